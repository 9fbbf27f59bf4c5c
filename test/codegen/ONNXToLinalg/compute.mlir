// RUN: xf-opt %s -split-input-file -xf-convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @matmul_2d
// CHECK-SAME: (%[[A:.+]]: tensor<?x64xf32>, %[[B:.+]]: tensor<64x?xf32>)
// CHECK-DAG: %[[M:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x64xf32>
// CHECK-DAG: %[[N:.+]] = tensor.dim %[[B]], %{{.+}} : tensor<64x?xf32>
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[E:.+]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
// CHECK: %[[F:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x?xf32>)
// CHECK: linalg.matmul ins(%[[A]], %[[B]] : tensor<?x64xf32>, tensor<64x?xf32>) outs(%[[F]] : tensor<?x?xf32>)

func.func @matmul_2d(%a: tensor<?x64xf32>, %b: tensor<64x?xf32>) -> tensor<?x?xf32> {
  %0 = onnx.MatMul %a, %b : (tensor<?x64xf32>, tensor<64x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_batch
// CHECK: linalg.batch_matmul ins(%{{.+}}, %{{.+}} : tensor<?x8x16xf32>, tensor<?x16x4xf32>) outs(%{{.+}} : tensor<?x8x4xf32>)

func.func @matmul_batch(%a: tensor<?x8x16xf32>, %b: tensor<?x16x4xf32>) -> tensor<?x8x4xf32> {
  %0 = onnx.MatMul %a, %b : (tensor<?x8x16xf32>, tensor<?x16x4xf32>) -> tensor<?x8x4xf32>
  return %0 : tensor<?x8x4xf32>
}

// -----

// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @matmul_3d_2d
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK: %[[P:.+]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK: %[[S:.+]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK: linalg.yield %[[S]]

func.func @matmul_3d_2d(%a: tensor<?x?x64xf32>, %b: tensor<64x256xf32>) -> tensor<?x?x256xf32> {
  %0 = onnx.MatMul %a, %b : (tensor<?x?x64xf32>, tensor<64x256xf32>) -> tensor<?x?x256xf32>
  return %0 : tensor<?x?x256xf32>
}

// -----

// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d1, d2, d4)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d4, d3)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @matmul_broadcast_batch
// CHECK-SAME: (%[[LHS:.+]]: tensor<1x8x?x64xf32>, %[[RHS:.+]]: tensor<2x1x64x?xf32>)
// CHECK-DAG: %[[M:.+]] = tensor.dim %[[LHS]], %{{.+}} : tensor<1x8x?x64xf32>
// CHECK-DAG: %[[N:.+]] = tensor.dim %[[RHS]], %{{.+}} : tensor<2x1x64x?xf32>
// CHECK: tensor.empty(%[[M]], %[[N]]) : tensor<2x8x?x?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}

func.func @matmul_broadcast_batch(%a: tensor<1x8x?x64xf32>, %b: tensor<2x1x64x?xf32>) -> tensor<2x8x?x?xf32> {
  %0 = onnx.MatMul %a, %b : (tensor<1x8x?x64xf32>, tensor<2x1x64x?xf32>) -> tensor<2x8x?x?xf32>
  return %0 : tensor<2x8x?x?xf32>
}

// -----

// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_vector_matrix
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]}

func.func @matmul_vector_matrix(%a: tensor<16xf32>, %b: tensor<3x16x4xf32>) -> tensor<3x4xf32> {
  %0 = onnx.MatMul %a, %b : (tensor<16xf32>, tensor<3x16x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @matmul_matrix_vector
// CHECK: %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK: linalg.fill ins(%[[ZERO]] : i32)
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "reduction"]}
// CHECK: arith.muli
// CHECK: arith.addi

func.func @matmul_matrix_vector(%a: tensor<8x16xi32>, %b: tensor<16xi32>) -> tensor<8xi32> {
  %0 = onnx.MatMul %a, %b : (tensor<8x16xi32>, tensor<16xi32>) -> tensor<8xi32>
  return %0 : tensor<8xi32>
}

// -----

// CHECK-DAG: #[[V:.+]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[S:.+]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @matmul_dot
// CHECK: linalg.generic {indexing_maps = [#[[V]], #[[V]], #[[S]]], iterator_types = ["reduction"]}
// CHECK-SAME: outs(%{{.+}} : tensor<f32>)

func.func @matmul_dot(%a: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<f32> {
  %0 = onnx.MatMul %a, %b : (tensor<16xf32>, tensor<16xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-DAG: #[[CMAP:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[BT:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A_ARG:.+]]: tensor<4x8xf32>, %[[B_ARG:.+]]: tensor<16x8xf32>, %[[C_ARG:.+]]: tensor<16xf32>)
// CHECK: %[[INIT:.+]] = linalg.generic {indexing_maps = [#[[CMAP]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[C_ARG]] : tensor<16xf32>)
// CHECK: %[[BETA:.+]] = arith.constant 5.000000e-01 : f32
// CHECK: arith.mulf %{{.+}}, %[[BETA]] : f32
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[BT]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[A_ARG]], %[[B_ARG]] : tensor<4x8xf32>, tensor<16x8xf32>) outs(%[[INIT]] : tensor<4x16xf32>)
// CHECK: %[[P:.+]] = arith.mulf
// CHECK: %[[ALPHA:.+]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[SCALED:.+]] = arith.mulf %[[P]], %[[ALPHA]] : f32
// CHECK: arith.addf %{{.+}}, %[[SCALED]] : f32

func.func @gemm(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>, %c: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = onnx.Gemm %a, %b, %c {alpha = 2.0 : f32, beta = 0.5 : f32, transB = 1 : i64} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// CHECK-DAG: #[[AT:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @gemm_no_c
// CHECK-SAME: (%[[A:.+]]: tensor<8x?xf32>
// CHECK: %[[M:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<8x?xf32>
// CHECK: %[[E:.+]] = tensor.empty(%[[M]]) : tensor<?x16xf32>
// CHECK: %[[F:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E]]
// CHECK: linalg.generic {indexing_maps = [#[[AT]], #[[B]], #{{.+}}]
// CHECK-SAME: outs(%[[F]] : tensor<?x16xf32>)
// CHECK-NOT: arith.constant

func.func @gemm_no_c(%a: tensor<8x?xf32>, %b: tensor<8x16xf32>) -> tensor<?x16xf32> {
  %0 = onnx.Gemm %a, %b {transA = 1 : i64} : (tensor<8x?xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @softmax
// CHECK-DAG: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAXINIT:.+]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.+}} : tensor<1x8x?xf32>)
// CHECK: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[MAXINIT]] : tensor<1x8x?xf32>)
// CHECK: arith.maximumf
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%{{.+}}, %[[MAX]] :
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%{{.+}}, %[[MAX]], %[[SUM]] :
// CHECK: %[[D:.+]] = arith.subf
// CHECK: %[[X:.+]] = math.exp %[[D]]
// CHECK: arith.divf %[[X]], %{{.+}} : f32

func.func @softmax(%x: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %0 = onnx.Softmax %x {axis = -1 : i64} : (tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  return %0 : tensor<1x8x?x?xf32>
}

// -----

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[KEPT:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @softmax_axis1
// CHECK: arith.constant 0xFC00 : f16
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[KEPT]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK: arith.maximumf %{{.+}}, %{{.+}} : f16

func.func @softmax_axis1(%x: tensor<2x5x3xf16>) -> tensor<2x5x3xf16> {
  %0 = onnx.Softmax %x {axis = 1 : i64} : (tensor<2x5x3xf16>) -> tensor<2x5x3xf16>
  return %0 : tensor<2x5x3xf16>
}

// -----

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[LAST:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.+]]: tensor<2x?x64xf32>, %[[S:.+]]: tensor<64xf32>, %[[B:.+]]: tensor<64xf32>)
// CHECK: %[[C64:.+]] = arith.constant 64 : index
// CHECK: %[[I64:.+]] = arith.index_cast %[[C64]]
// CHECK: %[[N:.+]] = arith.sitofp %[[I64]] : i64 to f32
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: %[[MEAN:.+]] = linalg.generic
// CHECK-SAME: ins(%[[SUM]] : tensor<2x?xf32>)
// CHECK: arith.divf %{{.+}}, %[[N]]
// CHECK: %[[SQ:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[MEAN]] :
// CHECK: %[[C:.+]] = arith.subf
// CHECK: arith.mulf %[[C]], %[[C]]
// CHECK: %[[INV:.+]] = linalg.generic
// CHECK-SAME: ins(%[[SQ]] : tensor<2x?xf32>)
// CHECK: %[[VAR:.+]] = arith.divf %{{.+}}, %[[N]]
// CHECK: %[[EPS:.+]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[SHIFTED:.+]] = arith.addf %[[VAR]], %[[EPS]]
// CHECK: %[[ROOT:.+]] = math.sqrt %[[SHIFTED]]
// CHECK: arith.divf %{{.+}}, %[[ROOT]]
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[LAST]], #[[LAST]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[MEAN]], %[[INV]], %[[S]], %[[B]] :
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[MEAN_OUT:.+]] = tensor.expand_shape %[[MEAN]] {{\[}}[0], [1, 2]] output_shape [2, %{{.+}}, 1] : tensor<2x?xf32> into tensor<2x?x1xf32>
// CHECK: %[[INV_OUT:.+]] = tensor.expand_shape %[[INV]] {{\[}}[0], [1, 2]]
// CHECK: return %[[Y]], %[[MEAN_OUT]], %[[INV_OUT]]

func.func @layer_norm(%x: tensor<2x?x64xf32>, %s: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<2x?x64xf32>, tensor<2x?x1xf32>, tensor<2x?x1xf32>) {
  %y, %mean, %inv = onnx.LayerNormalization %x, %s, %b {epsilon = 1.0e-05 : f32}
      : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf32>)
      -> (tensor<2x?x64xf32>, tensor<2x?x1xf32>, tensor<2x?x1xf32>)
  return %y, %mean, %inv : tensor<2x?x64xf32>, tensor<2x?x1xf32>, tensor<2x?x1xf32>
}

// -----

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[OUTER:.+]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[SCALE:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @layer_norm_f16_no_bias
// CHECK: arith.constant 128 : index
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[OUTER]]], iterator_types = ["parallel", "reduction", "reduction"]}
// CHECK-SAME: outs(%{{.+}} : tensor<4xf32>)
// CHECK: %[[W:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK: arith.addf %{{.+}}, %[[W]] : f32
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[OUTER]], #[[OUTER]], #[[SCALE]], #[[ID]]]
// CHECK: %[[NORM:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK: %[[NARROW:.+]] = arith.truncf %[[NORM]] : f32 to f16
// CHECK: %[[SCALED:.+]] = arith.mulf %[[NARROW]], %{{.+}} : f16
// CHECK-NEXT: linalg.yield %[[SCALED]] : f16
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1, 2]] output_shape [4, 1, 1] : tensor<4xf32> into tensor<4x1x1xf32>

func.func @layer_norm_f16_no_bias(%x: tensor<4x8x16xf16>, %s: tensor<8x16xf16>) -> (tensor<4x8x16xf16>, tensor<4x1x1xf32>, tensor<4x1x1xf32>) {
  %y, %mean, %inv = onnx.LayerNormalization %x, %s {axis = 1 : i64}
      : (tensor<4x8x16xf16>, tensor<8x16xf16>)
      -> (tensor<4x8x16xf16>, tensor<4x1x1xf32>, tensor<4x1x1xf32>)
  return %y, %mean, %inv : tensor<4x8x16xf16>, tensor<4x1x1xf32>, tensor<4x1x1xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_mean_keepdims
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%{{.+}} : tensor<2x?xf32>)
// CHECK: arith.addf
// CHECK: %[[N:.+]] = arith.sitofp %{{.+}} : i64 to f32
// CHECK: %[[MEAN:.+]] = linalg.generic
// CHECK-SAME: ins(%[[SUM]] : tensor<2x?xf32>)
// CHECK: arith.divf %{{.+}}, %[[N]] : f32
// CHECK: %[[R:.+]] = tensor.expand_shape %[[MEAN]] {{\[}}[0], [1, 2]] output_shape [2, %{{.+}}, 1] : tensor<2x?xf32> into tensor<2x?x1xf32>
// CHECK: return %[[R]]

func.func @reduce_mean_keepdims(%x: tensor<2x?x64xf32>) -> tensor<2x?x1xf32> {
  %axes = onnx.Constant {value = dense<[-1]> : tensor<1xi64>} : tensor<1xi64>
  %0 = onnx.ReduceMean %x, %axes : (tensor<2x?x64xf32>, tensor<1xi64>) -> tensor<2x?x1xf32>
  return %0 : tensor<2x?x1xf32>
}

// -----

// CHECK-DAG: #[[KEPT:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @reduce_mean_dynamic
// CHECK-SAME: (%[[X:.+]]: tensor<2x?x64xi64>)
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KEPT]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK: arith.addi
// CHECK: %[[D:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<2x?x64xi64>
// CHECK: %[[COUNT:.+]] = arith.muli %{{.+}}, %[[D]] : index
// CHECK: %[[N:.+]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK: arith.divsi %{{.+}}, %[[N]] : i64
// CHECK-NOT: tensor.expand_shape

func.func @reduce_mean_dynamic(%x: tensor<2x?x64xi64>) -> tensor<2x64xi64> {
  %axes = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
  %0 = onnx.ReduceMean %x, %axes {keepdims = 0 : i64} : (tensor<2x?x64xi64>, tensor<1xi64>) -> tensor<2x64xi64>
  return %0 : tensor<2x64xi64>
}

// -----

// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @reduce_sum_all
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[SCALAR]]], iterator_types = ["reduction", "reduction"]}
// CHECK: return %[[R]] : tensor<f32>

func.func @reduce_sum_all(%x: tensor<2x3xf32>) -> tensor<f32> {
  %0 = onnx.ReduceSum %x {keepdims = 0 : i64} : (tensor<2x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @reduce_sum_all_keepdims
// CHECK: %[[R:.+]] = linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "reduction"]
// CHECK: tensor.expand_shape %[[R]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>

func.func @reduce_sum_all_keepdims(%x: tensor<2x3xf32>) -> tensor<1x1xf32> {
  %0 = onnx.ReduceSum %x : (tensor<2x3xf32>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_sum_noop
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]

func.func @reduce_sum_noop(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = onnx.ReduceSum %x {noop_with_empty_axes = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_max
// CHECK: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel"]
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1]] output_shape [1, %{{.+}}] : tensor<?xf32> into tensor<1x?xf32>
// CHECK: %[[IMIN:.+]] = arith.constant -2147483648 : i32
// CHECK: linalg.fill ins(%[[IMIN]] : i32)
// CHECK: arith.maxsi
// CHECK: %[[UMIN:.+]] = arith.constant 0 : i8
// CHECK: linalg.fill ins(%[[UMIN]] : i8)
// CHECK: arith.maxui
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1]] output_shape [4, 1] : tensor<4xi8> into tensor<4x1xi8>

func.func @reduce_max(%x: tensor<4x?xf32>, %i: tensor<4x5xi32>, %u: tensor<4x5xui8>) -> (tensor<1x?xf32>, tensor<4xi32>, tensor<4x1xui8>) {
  %a0 = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : tensor<1xi64>
  %a1 = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
  %0 = onnx.ReduceMax %x, %a0 : (tensor<4x?xf32>, tensor<1xi64>) -> tensor<1x?xf32>
  %1 = onnx.ReduceMax %i, %a1 {keepdims = 0 : i64} : (tensor<4x5xi32>, tensor<1xi64>) -> tensor<4xi32>
  %2 = onnx.ReduceMax %u, %a1 : (tensor<4x5xui8>, tensor<1xi64>) -> tensor<4x1xui8>
  return %0, %1, %2 : tensor<1x?xf32>, tensor<4xi32>, tensor<4x1xui8>
}

// -----

// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @cumsum
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: ^bb0(%[[X:.+]]: i64, %[[ACC:.+]]: i64):
// CHECK: %[[I:.+]] = linalg.index 1 : index
// CHECK: %[[J:.+]] = linalg.index 2 : index
// CHECK: %[[IN_RANGE:.+]] = arith.cmpi ule, %[[J]], %[[I]] : index
// CHECK: %[[SUM:.+]] = arith.addi %[[ACC]], %[[X]] : i64
// CHECK: arith.select %[[IN_RANGE]], %[[SUM]], %[[ACC]] : i64

func.func @cumsum(%x: tensor<1x?xi64>) -> tensor<1x?xi64> {
  %axis = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %0 = onnx.CumSum %x, %axis : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
  return %0 : tensor<1x?xi64>
}

// -----

// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @cumsum_exclusive_reverse
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.+}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: %[[I:.+]] = linalg.index 0 : index
// CHECK: %[[J:.+]] = linalg.index 2 : index
// CHECK: arith.cmpi ugt, %[[J]], %[[I]] : index

func.func @cumsum_exclusive_reverse(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %axis = onnx.Constant {value = dense<[-2]> : tensor<1xi32>} : tensor<1xi32>
  %0 = onnx.CumSum %x, %axis {exclusive = 1 : i64, reverse = 1 : i64} : (tensor<4x3xf32>, tensor<1xi32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
