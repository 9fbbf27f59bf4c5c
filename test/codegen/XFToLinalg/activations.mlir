// RUN: xf-opt %s -split-input-file -xf-convert-xf-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @gelu_erf
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x3072xf32>)
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<1x?x3072xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[SCALED:.+]] = arith.mulf %[[IN]], %{{.+}} : f32
// CHECK-NEXT: %[[ERF:.+]] = math.erf %[[SCALED]] : f32
// CHECK: %[[ONEPLUS:.+]] = arith.addf %{{.+}}, %[[ERF]] : f32
// CHECK: %[[HALF:.+]] = arith.mulf %{{.+}}, %[[IN]] : f32
// CHECK-NEXT: %[[Y:.+]] = arith.mulf %[[HALF]], %[[ONEPLUS]] : f32
// CHECK-NEXT: linalg.yield %[[Y]] : f32

func.func @gelu_erf(%x: tensor<1x?x3072xf32>) -> tensor<1x?x3072xf32> {
  %y = xf.gelu %x approximation = none : tensor<1x?x3072xf32>
  return %y : tensor<1x?x3072xf32>
}

// -----

// CHECK-LABEL: func.func @gelu_tanh_f16
// CHECK: ^bb0(%[[IN:.+]]: f16, %{{.+}}: f16):
// CHECK-NEXT: %[[X:.+]] = arith.extf %[[IN]] : f16 to f32
// CHECK: arith.constant 4.471500e-02 : f32
// CHECK: arith.constant 0.797884583 : f32
// CHECK: math.tanh %{{.+}} : f32
// CHECK: %[[Y:.+]] = arith.truncf %{{.+}} : f32 to f16
// CHECK-NEXT: linalg.yield %[[Y]] : f16

func.func @gelu_tanh_f16(%x: tensor<?x64xf16>) -> tensor<?x64xf16> {
  %y = xf.gelu %x approximation = tanh : tensor<?x64xf16>
  return %y : tensor<?x64xf16>
}

// -----

// CHECK-LABEL: func.func @silu
// CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[NEG:.+]] = arith.negf %[[IN]] : f32
// CHECK: %[[EXP:.+]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[DEN:.+]] = arith.addf %{{.+}}, %[[EXP]] : f32
// CHECK-NEXT: %[[Y:.+]] = arith.divf %[[IN]], %[[DEN]] : f32
// CHECK-NEXT: linalg.yield %[[Y]] : f32

func.func @silu(%x: tensor<?x?x11008xf32>) -> tensor<?x?x11008xf32> {
  %y = xf.silu %x : tensor<?x?x11008xf32>
  return %y : tensor<?x?x11008xf32>
}

// -----

// gate and up are separate arguments: their one type does not make their
// sequence lengths one, so that dimension is checked.
// CHECK-LABEL: func.func @swiglu_bf16
// CHECK-SAME: (%[[G:.+]]: tensor<1x?x64xbf16>, %[[U:.+]]: tensor<1x?x64xbf16>)
// CHECK: xf.check_dim {{.+}} "{{.*}}(xf.swiglu): dimension 1 of up against gate's"
// CHECK-NOT: xf.check_dim
// CHECK: linalg.generic {{.+}} ins(%[[G]], %[[U]] : tensor<1x?x64xbf16>, tensor<1x?x64xbf16>)
// CHECK-NEXT: ^bb0(%[[GV:.+]]: bf16, %[[UV:.+]]: bf16, %{{.+}}: bf16):
// CHECK-NEXT: %[[GE:.+]] = arith.extf %[[GV]] : bf16 to f32
// CHECK-NEXT: %[[UE:.+]] = arith.extf %[[UV]] : bf16 to f32
// CHECK: math.exp
// CHECK: %[[SILU:.+]] = arith.divf %[[GE]], %{{.+}} : f32
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[SILU]], %[[UE]] : f32
// CHECK-NEXT: %[[Y:.+]] = arith.truncf %[[P]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[Y]] : bf16

func.func @swiglu_bf16(%g: tensor<1x?x64xbf16>, %u: tensor<1x?x64xbf16>) -> tensor<1x?x64xbf16> {
  %y = xf.swiglu %g, %u : tensor<1x?x64xbf16>
  return %y : tensor<1x?x64xbf16>
}

// -----

// gate and up computed from one input: proven, no check.
// CHECK-LABEL: func.func @swiglu_proven
// CHECK-NOT: xf.check_dim
// CHECK: linalg.generic
func.func @swiglu_proven(%x: tensor<1x?x64xf32>) -> tensor<1x?x64xf32> {
  %g = xf.silu %x : tensor<1x?x64xf32>
  %y = xf.swiglu %g, %x : tensor<1x?x64xf32>
  return %y : tensor<1x?x64xf32>
}
