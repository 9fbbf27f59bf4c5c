// RUN: xf-opt %s -split-input-file -xf-promote-to-f32 -verify-diagnostics | FileCheck %s
// RUN: xf-opt %s -split-input-file -xf-promote-to-f32=weight-type=f32 -verify-diagnostics | FileCheck %s --check-prefix=F32
// RUN: xf-opt %s -split-input-file -xf-promote-to-f32=weight-type=bf16 -verify-diagnostics | FileCheck %s --check-prefix=BF16

// An f16 graph computes in f32; the MatMul weight keeps its 16 bits behind
// a Cast; the bias (a vector), the Cast target and ConstantOfShape's value
// become f32.
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.+]]: tensor<?x32xf32>) -> tensor<?x32xf32>
// CHECK-DAG: %[[W:.+]] = onnx.Constant {value = dense<5.000000e-01> : tensor<32x32xf16>} : tensor<32x32xf16>
// CHECK-DAG: %[[WF:.+]] = onnx.Cast %[[W]] {to = f32} : (tensor<32x32xf16>) -> tensor<32x32xf32>
// CHECK-DAG: %[[B:.+]] = onnx.Constant {value = dense<2.500000e-01> : tensor<32xf32>} : tensor<32xf32>
// CHECK: %[[M:.+]] = onnx.MatMul %[[X]], %[[WF]] : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
// CHECK: onnx.Add %[[M]], %[[B]] : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
// CHECK: onnx.Cast %{{.+}} {to = f32} : (tensor<?x32xf32>) -> tensor<?x32xf32>
// CHECK: onnx.ConstantOfShape %{{.+}} {value = dense<-6.550400e+04> : tensor<1xf32>}
// F32-LABEL: func.func @linear
// F32: %[[W:.+]] = onnx.Constant {value = dense<5.000000e-01> : tensor<32x32xf32>} : tensor<32x32xf32>
// F32-NOT: onnx.Cast %[[W]]
// F32: onnx.MatMul %{{.+}}, %[[W]] : (tensor<?x32xf32>, tensor<32x32xf32>)
// BF16-LABEL: func.func @linear
// BF16: %[[W:.+]] = onnx.Constant {value = dense<5.000000e-01> : tensor<32x32xbf16>} : tensor<32x32xbf16>
// BF16: onnx.Cast %[[W]] {to = f32} : (tensor<32x32xbf16>) -> tensor<32x32xf32>
func.func @linear(%x: tensor<?x32xf16>) -> tensor<?x32xf16> {
  %w = onnx.Constant {value = dense<0.5> : tensor<32x32xf16>} : tensor<32x32xf16>
  %b = onnx.Constant {value = dense<0.25> : tensor<32xf16>} : tensor<32xf16>
  %m = onnx.MatMul %x, %w : (tensor<?x32xf16>, tensor<32x32xf16>) -> tensor<?x32xf16>
  %a = onnx.Add %m, %b : (tensor<?x32xf16>, tensor<32xf16>) -> tensor<?x32xf16>
  %c = onnx.Cast %a {to = f16} : (tensor<?x32xf16>) -> tensor<?x32xf16>
  %shape = onnx.Constant {value = dense<[2, 32]> : tensor<2xi64>} : tensor<2xi64>
  %fill = onnx.ConstantOfShape %shape {value = dense<-65504.0> : tensor<1xf16>} : (tensor<2xi64>) -> tensor<2x32xf16>
  %r = onnx.Add %c, %fill : (tensor<?x32xf16>, tensor<2x32xf16>) -> tensor<?x32xf16>
  return %c : tensor<?x32xf16>
}

// -----

// A lookup table read by a Gather keeps 16 bits: the rows are gathered,
// then widened.
// CHECK-LABEL: func.func @lookup
// CHECK: %[[T:.+]] = onnx.Constant {value = dense<1.000000e+00> : tensor<64x32xbf16>}
// CHECK: %[[G:.+]] = onnx.Gather %[[T]], %{{.+}} : (tensor<64x32xbf16>, tensor<1x?xi64>) -> tensor<1x?x32xbf16>
// CHECK: onnx.Cast %[[G]] {to = f32} : (tensor<1x?x32xbf16>) -> tensor<1x?x32xf32>
// F32-LABEL: func.func @lookup
// F32: onnx.Gather %{{.+}}, %{{.+}} : (tensor<64x32xf32>, tensor<1x?xi64>) -> tensor<1x?x32xf32>
func.func @lookup(%ids: tensor<1x?xi64>) -> tensor<1x?x32xbf16> {
  %t = onnx.Constant {value = dense<1.0> : tensor<64x32xbf16>} : tensor<64x32xbf16>
  %g = onnx.Gather %t, %ids {axis = 0 : i64} : (tensor<64x32xbf16>, tensor<1x?xi64>) -> tensor<1x?x32xbf16>
  return %g : tensor<1x?x32xbf16>
}

// -----

// An f32 graph is left as it is by default; a 16-bit constant that is not a
// weight of a linear or lookup (here added) becomes f32.
// CHECK-LABEL: func.func @not_a_weight
// CHECK: %[[C:.+]] = onnx.Constant {value = dense<3.000000e+00> : tensor<32x32xf32>} : tensor<32x32xf32>
// CHECK: onnx.Cast %[[C]] {to = f32} : (tensor<32x32xf32>) -> tensor<32x32xf32>
// BF16-LABEL: func.func @not_a_weight
// BF16-NOT: bf16
func.func @not_a_weight(%x: tensor<32x32xf32>) -> tensor<32x32xf32> {
  %c = onnx.Constant {value = dense<3.0> : tensor<32x32xf16>} : tensor<32x32xf16>
  %w = onnx.Cast %c {to = f32} : (tensor<32x32xf16>) -> tensor<32x32xf32>
  %r = onnx.Add %x, %w : (tensor<32x32xf32>, tensor<32x32xf32>) -> tensor<32x32xf32>
  return %r : tensor<32x32xf32>
}
