// RUN: xf-opt %s -split-input-file -xf-convert-xf-to-linalg | FileCheck %s

// The sum of squares is a reduction over the last loop into an f32 row
// tensor (f16 input widened in the body), then a per-row 1/sqrt, then one
// elementwise generic that rounds to f16 once.

// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[FEAT:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @rms_norm_f16
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x64xf16>, %[[W:.+]]: tensor<64xf16>)
// CHECK: %[[B:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x?x64xf16>
// CHECK: %[[S:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x?x64xf16>
// CHECK: %[[FILL:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<?x?xf32>)
// CHECK: %[[SUMSQ:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x?x64xf16>) outs(%[[FILL]] : tensor<?x?xf32>)
// CHECK: ^bb0(%[[IN:.+]]: f16, %[[ACC:.+]]: f32):
// CHECK-NEXT: %[[E:.+]] = arith.extf %[[IN]] : f16 to f32
// CHECK-NEXT: %[[SQ:.+]] = arith.mulf %[[E]], %[[E]] : f32
// CHECK-NEXT: %[[ADD:.+]] = arith.addf %[[ACC]], %[[SQ]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK: %[[INV:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[SUMSQ]] : tensor<?x?xf32>)
// CHECK: arith.divf
// CHECK: arith.addf
// CHECK: math.sqrt
// CHECK: arith.divf
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[ROW]], #[[FEAT]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[INV]], %[[W]] : tensor<?x?x64xf16>, tensor<?x?xf32>, tensor<64xf16>)
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK: arith.truncf %{{.+}} : f32 to f16
// CHECK: return %[[Y]] : tensor<?x?x64xf16>

func.func @rms_norm_f16(%x: tensor<?x?x64xf16>, %w: tensor<64xf16>) -> tensor<?x?x64xf16> {
  %y = xf.rms_norm %x, %w epsilon = 9.99999997E-7 : (tensor<?x?x64xf16>, tensor<64xf16>) -> tensor<?x?x64xf16>
  return %y : tensor<?x?x64xf16>
}

// -----

// Mean, then the sum of squared deviations from it (two reductions), the
// per-row inverse standard deviation, and the affine transform with bias.

// CHECK-LABEL: func.func @layer_norm_bias
// CHECK-SAME: (%[[X:.+]]: tensor<?x768xf32>, %[[W:.+]]: tensor<768xf32>, %[[BIAS:.+]]: tensor<768xf32>)
// CHECK: %[[SUM:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x768xf32>)
// CHECK: %[[MEAN:.+]] = linalg.generic {{.+}} iterator_types = ["parallel"]} ins(%[[SUM]] : tensor<?xf32>)
// CHECK: arith.divf
// CHECK: %[[DEV:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[MEAN]] : tensor<?x768xf32>, tensor<?xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[INV:.+]] = linalg.generic {{.+}} iterator_types = ["parallel"]} ins(%[[DEV]] : tensor<?xf32>)
// CHECK: math.sqrt
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MEAN]], %[[INV]], %[[W]], %[[BIAS]] : tensor<?x768xf32>, tensor<?xf32>, tensor<?xf32>, tensor<768xf32>, tensor<768xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: arith.truncf
// CHECK: linalg.yield

func.func @layer_norm_bias(%x: tensor<?x768xf32>, %w: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<?x768xf32> {
  %y = xf.layer_norm %x, %w, %b epsilon = 9.99999974E-6 : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  return %y : tensor<?x768xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm_no_bias
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : tensor<2x8xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<8xbf16>)
// CHECK: arith.truncf %{{.+}} : f32 to bf16

func.func @layer_norm_no_bias(%x: tensor<2x8xbf16>, %w: tensor<8xbf16>) -> tensor<2x8xbf16> {
  %y = xf.layer_norm %x, %w epsilon = 9.99999974E-6 : (tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<2x8xbf16>
  return %y : tensor<2x8xbf16>
}

// -----

// rotate_half: the angle and the partner index come from d and R/2 (the
// table's last dimension); elements from R on keep their value. The
// tables' tokens, separate arguments here, are checked against the input's.

// CHECK-LABEL: func.func @rope_rotate_half
// CHECK-SAME: (%[[X:.+]]: tensor<1x32x?x128xf32>, %[[COS:.+]]: tensor<?x32xf32>, %[[SIN:.+]]: tensor<?x32xf32>)
// CHECK: %[[CT:.+]] = tensor.dim %[[COS]], %{{.+}} : tensor<?x32xf32>
// CHECK: %[[XT:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<1x32x?x128xf32>
// CHECK: xf.check_dim %[[CT]], %[[XT]] "{{.*}}(xf.rope): the cos table's tokens against the input's"
// CHECK: %[[ST:.+]] = tensor.dim %[[SIN]], %{{.+}} : tensor<?x32xf32>
// CHECK: xf.check_dim %[[ST]], %{{.+}} "{{.*}}(xf.rope): the sin table's tokens against the input's"
// CHECK: %[[HALF:.+]] = tensor.dim %[[COS]], %{{.+}} : tensor<?x32xf32>
// CHECK: %[[R:.+]] = arith.addi %[[HALF]], %[[HALF]] : index
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<1x32x?x128xf32>)
// CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK-DAG: %[[B:.+]] = linalg.index 0 : index
// CHECK-DAG: %[[H:.+]] = linalg.index 1 : index
// CHECK-DAG: %[[T:.+]] = linalg.index 2 : index
// CHECK-DAG: %[[D:.+]] = linalg.index 3 : index
// CHECK: %[[ROT:.+]] = arith.cmpi ult, %[[D]], %[[R]] : index
// CHECK: %[[FIRST:.+]] = arith.cmpi ult, %[[D]], %[[HALF]] : index
// CHECK: %[[BELOW:.+]] = arith.subi %[[D]], %[[HALF]] : index
// CHECK: %[[I:.+]] = arith.select %[[FIRST]], %[[D]], %[[BELOW]] : index
// CHECK: %[[ABOVE:.+]] = arith.addi %[[D]], %[[HALF]] : index
// CHECK: %[[P:.+]] = arith.select %[[FIRST]], %[[ABOVE]], %[[BELOW]] : index
// CHECK: %[[IC:.+]] = arith.select %[[ROT]], %[[I]], %{{.+}} : index
// CHECK: %[[PC:.+]] = arith.select %[[ROT]], %[[P]], %[[D]] : index
// CHECK: %[[C:.+]] = tensor.extract %[[COS]][%[[T]], %[[IC]]] : tensor<?x32xf32>
// CHECK: %[[S:.+]] = tensor.extract %[[SIN]][%[[T]], %[[IC]]] : tensor<?x32xf32>
// CHECK: %[[O:.+]] = tensor.extract %[[X]][%[[B]], %[[H]], %[[T]], %[[PC]]] : tensor<1x32x?x128xf32>
// CHECK: %[[XC:.+]] = arith.mulf %[[IN]], %[[C]] : f32
// CHECK: %[[OS:.+]] = arith.mulf %[[O]], %[[S]] : f32
// CHECK: %[[Y1:.+]] = arith.subf %[[XC]], %[[OS]] : f32
// CHECK: %[[Y2:.+]] = arith.addf %[[XC]], %[[OS]] : f32
// CHECK: %[[Y:.+]] = arith.select %[[FIRST]], %[[Y1]], %[[Y2]] : f32
// CHECK: %[[OUT:.+]] = arith.select %[[ROT]], %[[Y]], %[[IN]] : f32
// CHECK: linalg.yield %[[OUT]] : f32

func.func @rope_rotate_half(%x: tensor<1x32x?x128xf32>, %cos: tensor<?x32xf32>, %sin: tensor<?x32xf32>) -> tensor<1x32x?x128xf32> {
  %y = xf.rope %x, %cos, %sin style = rotate_half : (tensor<1x32x?x128xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<1x32x?x128xf32>
  return %y : tensor<1x32x?x128xf32>
}

// -----

// interleaved: pairs (2i, 2i + 1); per-sequence tables are read at the
// batch index too. f16 is computed in f32 and rounded once.

// CHECK-LABEL: func.func @rope_interleaved
// CHECK-SAME: (%[[X:.+]]: tensor<?x8x?x64xf16>, %[[COS:.+]]: tensor<?x?x32xf16>, %[[SIN:.+]]: tensor<?x?x32xf16>)
// CHECK: xf.check_dim {{.+}} "{{.*}}(xf.rope): the cos table's tokens against the input's"
// CHECK: xf.check_dim {{.+}} "{{.*}}(xf.rope): the cos table's sequences against the input's"
// CHECK: xf.check_dim {{.+}} "{{.*}}(xf.rope): the sin table's tokens against the input's"
// CHECK: xf.check_dim {{.+}} "{{.*}}(xf.rope): the sin table's sequences against the input's"
// CHECK: linalg.generic
// CHECK-DAG: %[[B:.+]] = linalg.index 0 : index
// CHECK-DAG: %[[T:.+]] = linalg.index 2 : index
// CHECK-DAG: %[[D:.+]] = linalg.index 3 : index
// CHECK: %[[PARITY:.+]] = arith.andi %[[D]], %{{.+}} : index
// CHECK: %[[FIRST:.+]] = arith.cmpi eq, %[[PARITY]], %{{.+}} : index
// CHECK: %[[I:.+]] = arith.shrui %[[D]], %{{.+}} : index
// CHECK: %[[P:.+]] = arith.xori %[[D]], %{{.+}} : index
// CHECK: %[[IC:.+]] = arith.select %{{.+}}, %[[I]], %{{.+}} : index
// CHECK: tensor.extract %[[COS]][%[[B]], %[[T]], %[[IC]]] : tensor<?x?x32xf16>
// CHECK: arith.extf
// CHECK: tensor.extract %[[SIN]][%[[B]], %[[T]], %[[IC]]] : tensor<?x?x32xf16>
// CHECK: arith.select %[[FIRST]]
// CHECK: arith.truncf %{{.+}} : f32 to f16

func.func @rope_interleaved(%x: tensor<?x8x?x64xf16>, %cos: tensor<?x?x32xf16>, %sin: tensor<?x?x32xf16>) -> tensor<?x8x?x64xf16> {
  %y = xf.rope %x, %cos, %sin style = interleaved : (tensor<?x8x?x64xf16>, tensor<?x?x32xf16>, tensor<?x?x32xf16>) -> tensor<?x8x?x64xf16>
  return %y : tensor<?x8x?x64xf16>
}

// -----

// Tables computed from the input's own positions (its token dimension,
// through a reduction and a Slice of the whole dimension): proven, no check.

// CHECK-LABEL: func.func @rope_proven_tables
// CHECK-NOT: xf.check_dim
// CHECK: linalg.generic
func.func @rope_proven_tables(%x: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %axes = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %mean = onnx.ReduceMean %x, %axes {keepdims = 0 : i64} : (tensor<1x2x?x8xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  %start = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %end = onnx.Constant {value = dense<4> : tensor<1xi64>} : tensor<1xi64>
  %axis = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %table = onnx.Slice %mean, %start, %end axes %axis : (tensor<?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
  %y = xf.rope %x, %table, %table style = rotate_half : (tensor<1x2x?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<1x2x?x8xf32>
  return %y : tensor<1x2x?x8xf32>
}
