// RUN: xf-opt %s -split-input-file -xf-convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.+]]: tensor<?x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identity(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = onnx.Identity %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @shape
// CHECK-SAME: (%[[X:.+]]: tensor<?x8x?xf32>)
// CHECK-DAG: %[[C8:.+]] = arith.constant 8 : i64
// CHECK-DAG: %[[D0:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x8x?xf32>
// CHECK-DAG: %[[I0:.+]] = arith.index_cast %[[D0]] : index to i64
// CHECK-DAG: %[[D2:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x8x?xf32>
// CHECK-DAG: %[[I2:.+]] = arith.index_cast %[[D2]] : index to i64
// CHECK: %[[ALL:.+]] = tensor.from_elements %[[I0]], %[[C8]], %[[I2]] : tensor<3xi64>
// CHECK: %[[TAIL:.+]] = tensor.from_elements %{{.+}}, %{{.+}} : tensor<2xi64>
// CHECK: return %[[ALL]], %[[TAIL]]
func.func @shape(%x: tensor<?x8x?xf32>) -> (tensor<3xi64>, tensor<2xi64>) {
  %0 = onnx.Shape %x : (tensor<?x8x?xf32>) -> tensor<3xi64>
  %1 = onnx.Shape %x {start = -2 : i64} : (tensor<?x8x?xf32>) -> tensor<2xi64>
  return %0, %1 : tensor<3xi64>, tensor<2xi64>
}

// -----

// A constant shape with 0 and -1 splits the last dimension.
// CHECK-LABEL: func.func @reshape_constant
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x512xf32>)
// CHECK: %[[SEQ:.+]] = arith.divsi
// CHECK: %[[R:.+]] = tensor.expand_shape %[[X]] {{\[}}[0], [1], [2, 3]] output_shape [1, %[[SEQ]], 8, 64] : tensor<1x?x512xf32> into tensor<1x?x8x64xf32>
// CHECK: return %[[R]]
func.func @reshape_constant(%x: tensor<1x?x512xf32>) -> tensor<1x?x8x64xf32> {
  %s = onnx.Constant {value = dense<[0, -1, 8, 64]> : tensor<4xi64>} : tensor<4xi64>
  %0 = onnx.Reshape %x, %s : (tensor<1x?x512xf32>, tensor<4xi64>) -> tensor<1x?x8x64xf32>
  return %0 : tensor<1x?x8x64xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_collapse
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0], [1], [2, 3]] : tensor<1x?x8x64xf32> into tensor<1x?x512xf32>
func.func @reshape_collapse(%x: tensor<1x?x8x64xf32>) -> tensor<1x?x512xf32> {
  %s = onnx.Constant {value = dense<[0, 0, 512]> : tensor<3xi64>} : tensor<3xi64>
  %0 = onnx.Reshape %x, %s : (tensor<1x?x8x64xf32>, tensor<3xi64>) -> tensor<1x?x512xf32>
  return %0 : tensor<1x?x512xf32>
}

// -----

// A shape known only at run time: 0 copies the input's size and -1 takes
// what the others leave, both chosen with arith.select.
// CHECK-LABEL: func.func @reshape_runtime
// CHECK-SAME: (%[[X:.+]]: tensor<?x?xf32>, %[[S:.+]]: tensor<3xi64>)
// CHECK: %[[E0:.+]] = tensor.extract %[[S]][%{{.+}}] : tensor<3xi64>
// CHECK: %[[I0:.+]] = arith.index_cast %[[E0]] : i64 to index
// CHECK: %[[ZERO:.+]] = arith.cmpi eq, %[[I0]], %{{.+}} : index
// CHECK: %[[D0:.+]] = tensor.dim %[[X]]
// CHECK: arith.select %[[ZERO]], %[[D0]], %[[I0]] : index
// CHECK: arith.divsi
// The shape tensor is i64 (an index-typed one does not lower to LLVM).
// CHECK: %[[SHAPE:.+]] = tensor.from_elements %{{.+}}, %{{.+}}, %{{.+}} : tensor<3xi64>
// CHECK: %[[R:.+]] = tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
// CHECK: return %[[R]]
func.func @reshape_runtime(%x: tensor<?x?xf32>, %s: tensor<3xi64>) -> tensor<?x?x?xf32> {
  %0 = onnx.Reshape %x, %s : (tensor<?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @flatten
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2]] : tensor<2x?x4xf32> into tensor<2x?xf32>
func.func @flatten(%x: tensor<2x?x4xf32>) -> tensor<2x?xf32> {
  %0 = onnx.Flatten %x {axis = 1 : i64} : (tensor<2x?x4xf32>) -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// -----

// CHECK-LABEL: func.func @squeeze
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x1xf32>, %[[Y:.+]]: tensor<?x1xf32>)
// CHECK: %[[A:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<1x?x1xf32> into tensor<?x1xf32>
// CHECK: %[[B:.+]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1]] : tensor<?x1xf32> into tensor<?xf32>
// CHECK: return %[[A]], %[[B]]
func.func @squeeze(%x: tensor<1x?x1xf32>, %y: tensor<?x1xf32>) -> (tensor<?x1xf32>, tensor<?xf32>) {
  %a = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %0 = onnx.Squeeze %x, %a : (tensor<1x?x1xf32>, tensor<1xi64>) -> tensor<?x1xf32>
  %1 = onnx.Squeeze %y : (tensor<?x1xf32>) -> tensor<?xf32>
  return %0, %1 : tensor<?x1xf32>, tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @unsqueeze
// CHECK-SAME: (%[[X:.+]]: tensor<?x8xf32>, %[[S:.+]]: tensor<i64>)
// CHECK: %[[D0:.+]] = tensor.dim %[[X]]
// CHECK: %[[A:.+]] = tensor.expand_shape %[[X]] {{\[}}[0, 1], [2, 3]] output_shape [1, %[[D0]], 8, 1] : tensor<?x8xf32> into tensor<1x?x8x1xf32>
// CHECK: %[[B:.+]] = tensor.expand_shape %[[S]] [] output_shape [1] : tensor<i64> into tensor<1xi64>
// CHECK: return %[[A]], %[[B]]
func.func @unsqueeze(%x: tensor<?x8xf32>, %s: tensor<i64>) -> (tensor<1x?x8x1xf32>, tensor<1xi64>) {
  %a = onnx.Constant {value = dense<[0, -1]> : tensor<2xi64>} : tensor<2xi64>
  %0 = onnx.Unsqueeze %x, %a : (tensor<?x8xf32>, tensor<2xi64>) -> tensor<1x?x8x1xf32>
  %z = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %1 = onnx.Unsqueeze %s, %z : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  return %0, %1 : tensor<1x?x8x1xf32>, tensor<1xi64>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x8x64xf32>)
// CHECK: %[[D1:.+]] = tensor.dim %[[X]]
// CHECK: %[[INIT:.+]] = tensor.empty(%[[D1]]) : tensor<1x8x?x64xf32>
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[X]] : tensor<1x?x8x64xf32>) outs(%[[INIT]] : tensor<1x8x?x64xf32>) permutation = [0, 2, 1, 3]
// CHECK: return %[[T]]
func.func @transpose(%x: tensor<1x?x8x64xf32>) -> tensor<1x8x?x64xf32> {
  %0 = onnx.Transpose %x {perm = [0, 2, 1, 3]} : (tensor<1x?x8x64xf32>) -> tensor<1x8x?x64xf32>
  return %0 : tensor<1x8x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_default
// CHECK: linalg.transpose {{.+}} permutation = [2, 1, 0]
func.func @transpose_default(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = onnx.Transpose %x : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  return %0 : tensor<4x3x2xf32>
}

// -----

// The size off the axis comes from whichever input has it static.
// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.+]]: tensor<2x?xf32>, %[[B:.+]]: tensor<?x3xf32>)
// CHECK: %[[DB:.+]] = tensor.dim %[[B]]
// CHECK: %[[SIZE:.+]] = arith.addi %{{.+}}, %[[DB]] : index
// CHECK: %[[INIT:.+]] = tensor.empty(%[[SIZE]]) : tensor<?x3xf32>
// CHECK: %[[CA:.+]] = tensor.cast %[[A]] : tensor<2x?xf32> to tensor<2x3xf32>
// CHECK: %[[R0:.+]] = tensor.insert_slice %[[CA]] into %[[INIT]][0, 0] [2, 3] [1, 1]
// CHECK: %[[R1:.+]] = tensor.insert_slice %[[B]] into %[[R0]][2, 0] [%[[DB]], 3] [1, 1]
// CHECK: return %[[R1]]
func.func @concat(%a: tensor<2x?xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = onnx.Concat %a, %b {axis = 0 : i64} : (tensor<2x?xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Constant parameters fold: x[7:INT64_MAX:2] is an extract_slice; a negative
// step reads x[9 - 3 i] in a linalg.generic.
// CHECK-LABEL: func.func @slice_constant
// CHECK-SAME: (%[[X:.+]]: tensor<10x?xf32>)
// CHECK-DAG: %[[C9:.+]] = arith.constant 9 : index
// CHECK-DAG: %[[CM3:.+]] = arith.constant -3 : index
// CHECK: %[[INIT:.+]] = tensor.empty(%{{.+}}) : tensor<4x?xf32>
// CHECK: %[[BACK:.+]] = linalg.generic {{.+}} outs(%[[INIT]] : tensor<4x?xf32>)
// CHECK: %[[I:.+]] = linalg.index 0 : index
// CHECK: %[[STEP:.+]] = arith.muli %[[I]], %[[CM3]] : index
// CHECK: %[[ROW:.+]] = arith.addi %[[C9]], %[[STEP]] : index
// CHECK: tensor.extract %[[X]][%[[ROW]], %{{.+}}] : tensor<10x?xf32>
// CHECK: %[[FWD:.+]] = tensor.extract_slice %[[X]][7, 0] [2, %{{.+}}] [2, 1] : tensor<10x?xf32> to tensor<2x?xf32>
// CHECK: return %[[BACK]], %[[FWD]]
func.func @slice_constant(%x: tensor<10x?xf32>) -> (tensor<4x?xf32>, tensor<2x?xf32>) {
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
  %min = onnx.Constant {value = dense<-9223372036854775808> : tensor<1xi64>} : tensor<1xi64>
  %minus3 = onnx.Constant {value = dense<-3> : tensor<1xi64>} : tensor<1xi64>
  %0 = onnx.Slice %x, %big, %min axes %zero steps %minus3 : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x?xf32>
  %1 = onnx.Slice %x, %minus3, %big steps %two : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x?xf32>
  return %0, %1 : tensor<4x?xf32>, tensor<2x?xf32>
}

// -----

// A start known at run time is wrapped and clamped with arith.
// CHECK-LABEL: func.func @slice_runtime_start
// CHECK-SAME: (%[[X:.+]]: tensor<10x?xf32>, %[[S:.+]]: tensor<1xi64>)
// CHECK: %[[E:.+]] = tensor.extract %[[S]]
// CHECK: %[[I:.+]] = arith.index_cast %[[E]] : i64 to index
// CHECK: arith.cmpi slt, %[[I]]
// CHECK: arith.maxsi
// CHECK: %[[START:.+]] = arith.minsi
// CHECK: %[[SIZE:.+]] = arith.select
// CHECK: tensor.extract_slice %[[X]][%[[START]], 0] [%[[SIZE]], %{{.+}}] [1, 1] : tensor<10x?xf32> to tensor<?x?xf32>
func.func @slice_runtime_start(%x: tensor<10x?xf32>, %s: tensor<1xi64>) -> tensor<?x?xf32> {
  %big = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
  %0 = onnx.Slice %x, %s, %big : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Axes and steps known at run time: each dimension selects its parameters
// and the sign of its step, and a linalg.generic reads start + i * step.
// CHECK-LABEL: func.func @slice_runtime
// CHECK-SAME: (%[[X:.+]]: tensor<?x?xf32>
// CHECK: arith.divsi
// CHECK: arith.select
// CHECK: linalg.generic
// CHECK: %[[I:.+]] = linalg.index 0 : index
// CHECK: %[[J:.+]] = linalg.index 1 : index
// CHECK: %[[IS:.+]] = arith.muli %[[I]], %{{.+}} : index
// CHECK: %[[R:.+]] = arith.addi %{{.+}}, %[[IS]] : index
// CHECK: %[[JS:.+]] = arith.muli %[[J]], %{{.+}} : index
// CHECK: %[[C:.+]] = arith.addi %{{.+}}, %[[JS]] : index
// CHECK: tensor.extract %[[X]][%[[R]], %[[C]]] : tensor<?x?xf32>
func.func @slice_runtime(%x: tensor<?x?xf32>, %st: tensor<2xi64>, %en: tensor<2xi64>, %ax: tensor<2xi64>, %sp: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = onnx.Slice %x, %st, %en axes %ax steps %sp : (tensor<?x?xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @split
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x1536xf32>)
// CHECK: %[[D:.+]] = tensor.dim %[[X]]
// CHECK: %[[Q:.+]] = tensor.extract_slice %[[X]][0, 0, 0] [1, %[[D]], 512] [1, 1, 1]
// CHECK: %[[K:.+]] = tensor.extract_slice %[[X]][0, 0, 512] [1, %[[D]], 512] [1, 1, 1]
// CHECK: %[[V:.+]] = tensor.extract_slice %[[X]][0, 0, 1024] [1, %[[D]], 512] [1, 1, 1]
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @split(%x: tensor<1x?x1536xf32>) -> (tensor<1x?x512xf32>, tensor<1x?x512xf32>, tensor<1x?x512xf32>) {
  %sizes = onnx.Constant {value = dense<512> : tensor<3xi64>} : tensor<3xi64>
  %q, %k, %v = onnx.Split %x, %sizes {axis = 2 : i64} : (tensor<1x?x1536xf32>, tensor<3xi64>) -> (tensor<1x?x512xf32>, tensor<1x?x512xf32>, tensor<1x?x512xf32>)
  return %q, %k, %v : tensor<1x?x512xf32>, tensor<1x?x512xf32>, tensor<1x?x512xf32>
}

// -----

// num_outputs = 2 of 7: parts of 4 and 3.
// CHECK-LABEL: func.func @split_even
// CHECK: tensor.extract_slice %{{.+}}[0, 0] [%{{.+}}, 4] [1, 1] : tensor<?x7xf32> to tensor<?x4xf32>
// CHECK: tensor.extract_slice %{{.+}}[0, 4] [%{{.+}}, 3] [1, 1] : tensor<?x7xf32> to tensor<?x3xf32>
func.func @split_even(%x: tensor<?x7xf32>) -> (tensor<?x4xf32>, tensor<?x3xf32>) {
  %a, %b = onnx.Split %x {axis = 1 : i64, num_outputs = 2 : i64} : (tensor<?x7xf32>) -> (tensor<?x4xf32>, tensor<?x3xf32>)
  return %a, %b : tensor<?x4xf32>, tensor<?x3xf32>
}

// -----

// CHECK-DAG: #[[IDS:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[T:.+]]: tensor<32000x512xf32>, %[[IDS_ARG:.+]]: tensor<?x?xi64>)
// CHECK-DAG: %[[ROWS:.+]] = arith.constant 32000 : index
// CHECK: %[[G:.+]] = linalg.generic {indexing_maps = [#[[IDS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[IDS_ARG]] : tensor<?x?xi64>)
// CHECK: ^bb0(%[[ID:.+]]: i64, %{{.+}}: f32):
// CHECK: %[[I:.+]] = arith.index_cast %[[ID]] : i64 to index
// CHECK: %[[NEG:.+]] = arith.cmpi slt, %[[I]]
// CHECK: %[[WRAPPED:.+]] = arith.addi %[[I]], %[[ROWS]] : index
// CHECK: %[[SEL:.+]] = arith.select %[[NEG]], %[[WRAPPED]], %[[I]] : index
// CHECK: %[[LAST:.+]] = arith.subi %[[ROWS]], %{{.+}} : index
// CHECK: %[[LOW:.+]] = arith.minsi %[[SEL]], %[[LAST]] : index
// CHECK: %[[ROW:.+]] = arith.maxsi %{{.+}}, %[[LOW]] : index
// CHECK: %[[COL:.+]] = linalg.index 2 : index
// CHECK: %[[E:.+]] = tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<32000x512xf32>
// CHECK: linalg.yield %[[E]] : f32
// CHECK: return %[[G]]
func.func @gather(%t: tensor<32000x512xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x512xf32> {
  %0 = onnx.Gather %t, %ids : (tensor<32000x512xf32>, tensor<?x?xi64>) -> tensor<?x?x512xf32>
  return %0 : tensor<?x?x512xf32>
}

// -----

// A Gather from a Transpose (the GenAI builder's tied embedding table,
// stored as the LM head's [D, V]) reads the transpose's input at swapped
// coordinates: the [V, D] copy is never made.
// CHECK-LABEL: func.func @gather_transposed
// CHECK-SAME: (%[[W:.+]]: tensor<512x32000xf32>, %[[IDS_ARG:.+]]: tensor<?x?xi64>)
// CHECK: linalg.generic
// CHECK: %[[ROW:.+]] = arith.maxsi
// CHECK: %[[COL:.+]] = linalg.index 2 : index
// CHECK: tensor.extract %[[W]][%[[COL]], %[[ROW]]] : tensor<512x32000xf32>
func.func @gather_transposed(%w: tensor<512x32000xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x512xf32> {
  %t = onnx.Transpose %w {perm = [1, 0]} : (tensor<512x32000xf32>) -> tensor<32000x512xf32>
  %0 = onnx.Gather %t, %ids : (tensor<32000x512xf32>, tensor<?x?xi64>) -> tensor<?x?x512xf32>
  return %0 : tensor<?x?x512xf32>
}

// -----

// A scalar i32 index on a dynamic axis.
// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @gather_axis1
// CHECK-SAME: (%[[X:.+]]: tensor<2x?x3xf32>, %[[I:.+]]: tensor<i32>)
// CHECK: %[[D:.+]] = tensor.dim %[[X]]
// CHECK: linalg.generic {indexing_maps = [#[[SCALAR]], {{.+}}]{{.*}} ins(%[[I]] : tensor<i32>)
// CHECK: arith.index_cast %{{.+}} : i32 to index
// CHECK: arith.addi %{{.+}}, %[[D]] : index
// CHECK: tensor.extract %[[X]][%{{.+}}, %{{.+}}, %{{.+}}] : tensor<2x?x3xf32>
func.func @gather_axis1(%x: tensor<2x?x3xf32>, %i: tensor<i32>) -> tensor<2x3xf32> {
  %0 = onnx.Gather %x, %i {axis = 1 : i64} : (tensor<2x?x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Unit input dimensions broadcast through constant indexing.
// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d1, 0, d3, d4)>
// CHECK-LABEL: func.func @expand
// CHECK-SAME: (%[[X:.+]]: tensor<1x4x1x?x64xf32>)
// CHECK: %[[INIT:.+]] = tensor.empty(%{{.+}}) : tensor<1x4x2x?x64xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], {{.+}}]{{.*}} ins(%[[X]] : tensor<1x4x1x?x64xf32>) outs(%[[INIT]] : tensor<1x4x2x?x64xf32>)
func.func @expand(%x: tensor<1x4x1x?x64xf32>) -> tensor<1x4x2x?x64xf32> {
  %s = onnx.Constant {value = dense<[1, 4, 2, 1, 64]> : tensor<5xi64>} : tensor<5xi64>
  %0 = onnx.Expand %x, %s : (tensor<1x4x1x?x64xf32>, tensor<5xi64>) -> tensor<1x4x2x?x64xf32>
  return %0 : tensor<1x4x2x?x64xf32>
}

// -----

// A run-time shape entry of 1 keeps the input's size.
// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2) -> (0, d2)>
// CHECK-LABEL: func.func @expand_runtime
// CHECK-SAME: (%[[X:.+]]: tensor<1x3xf32>, %[[S:.+]]: tensor<3xi64>)
// CHECK: %[[E2:.+]] = tensor.extract %[[S]][%c2] : tensor<3xi64>
// CHECK: %[[S2:.+]] = arith.index_cast %[[E2]] : i64 to index
// CHECK: %[[ONE:.+]] = arith.cmpi eq, %[[S2]]
// CHECK: %[[C3:.+]] = arith.constant 3 : index
// CHECK: %[[D2:.+]] = arith.select %[[ONE]], %[[C3]], %[[S2]] : index
// CHECK: %[[INIT:.+]] = tensor.empty(%{{.+}}, %{{.+}}, %[[D2]]) : tensor<?x?x?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], {{.+}}]{{.*}} ins(%[[X]] : tensor<1x3xf32>)
func.func @expand_runtime(%x: tensor<1x3xf32>, %s: tensor<3xi64>) -> tensor<?x?x?xf32> {
  %0 = onnx.Expand %x, %s : (tensor<1x3xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @tile
// CHECK-SAME: (%[[X:.+]]: tensor<1x4x?x64xf32>)
// CHECK: %[[D:.+]] = tensor.dim %[[X]]
// CHECK: %[[INIT:.+]] = tensor.empty(%[[D]]) : tensor<1x8x?x64xf32>
// CHECK: linalg.generic {{.+}} outs(%[[INIT]] : tensor<1x8x?x64xf32>)
// CHECK: %[[I1:.+]] = linalg.index 1 : index
// CHECK: arith.remui %[[I1]], %{{.+}} : index
// CHECK: tensor.extract %[[X]]
func.func @tile(%x: tensor<1x4x?x64xf32>) -> tensor<1x8x?x64xf32> {
  %r = onnx.Constant {value = dense<[1, 2, 1, 1]> : tensor<4xi64>} : tensor<4xi64>
  %0 = onnx.Tile %x, %r : (tensor<1x4x?x64xf32>, tensor<4xi64>) -> tensor<1x8x?x64xf32>
  return %0 : tensor<1x8x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @trilu
// CHECK-SAME: (%[[X:.+]]: tensor<?x?xf32>, %[[K:.+]]: tensor<i64>)
// CHECK: %[[KE:.+]] = tensor.extract %[[K]][] : tensor<i64>
// CHECK: %[[KI:.+]] = arith.index_cast %[[KE]] : i64 to index
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.generic
// CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[ROW:.+]] = linalg.index 0 : index
// CHECK: %[[COL:.+]] = linalg.index 1 : index
// CHECK: %[[DIAG:.+]] = arith.subi %[[COL]], %[[ROW]] : index
// CHECK: %[[KEEP:.+]] = arith.cmpi sge, %[[DIAG]], %[[KI]] : index
// CHECK: arith.select %[[KEEP]], %[[IN]], %[[ZERO]] : f32
// CHECK: linalg.generic
// CHECK: arith.cmpi sle
func.func @trilu(%x: tensor<?x?xf32>, %k: tensor<i64>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %0 = onnx.Trilu %x, %k {upper = 1 : i64} : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %1 = onnx.Trilu %x {upper = 0 : i64} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0, %1 : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @range
// CHECK-SAME: (%[[START:.+]]: tensor<i64>, %[[LIMIT:.+]]: tensor<i64>, %[[DELTA:.+]]: tensor<i64>, %[[F:.+]]: tensor<f32>)
// CHECK: %[[S:.+]] = tensor.extract %[[START]][] : tensor<i64>
// CHECK: %[[L:.+]] = tensor.extract %[[LIMIT]][] : tensor<i64>
// CHECK: %[[D:.+]] = tensor.extract %[[DELTA]][] : tensor<i64>
// CHECK: %[[SPAN:.+]] = arith.subi %[[L]], %[[S]] : i64
// CHECK: %[[N:.+]] = arith.ceildivsi %[[SPAN]], %[[D]] : i64
// CHECK: %[[NI:.+]] = arith.index_cast %[[N]] : i64 to index
// CHECK: %[[SIZE:.+]] = arith.maxsi %[[NI]], %{{.+}} : index
// CHECK: %[[INIT:.+]] = tensor.empty(%[[SIZE]]) : tensor<?xi64>
// CHECK: linalg.generic {{.+}} outs(%[[INIT]] : tensor<?xi64>)
// CHECK: %[[I:.+]] = linalg.index 0 : index
// CHECK: %[[II:.+]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[STEP:.+]] = arith.muli %[[II]], %[[D]] : i64
// CHECK: arith.addi %[[S]], %[[STEP]] : i64
// CHECK: math.ceil
// CHECK: arith.fptosi
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @range(%a: tensor<i64>, %b: tensor<i64>, %c: tensor<i64>, %f: tensor<f32>) -> (tensor<?xi64>, tensor<?xf32>) {
  %0 = onnx.Range %a, %b, %c : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %1 = onnx.Range %f, %f, %f : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %0, %1 : tensor<?xi64>, tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @constant_of_shape
// CHECK-SAME: (%[[S:.+]]: tensor<2xi64>)
// CHECK: %[[E0:.+]] = tensor.extract %[[S]]
// CHECK: %[[D0:.+]] = arith.index_cast %[[E0]] : i64 to index
// CHECK: %[[E1:.+]] = tensor.extract %[[S]]
// CHECK: %[[D1:.+]] = arith.index_cast %[[E1]] : i64 to index
// CHECK: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK: %[[INIT:.+]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?xi64>
// CHECK: linalg.fill ins(%[[ONE]] : i64) outs(%[[INIT]] : tensor<?x?xi64>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ZERO]] : f32)
func.func @constant_of_shape(%s: tensor<2xi64>) -> (tensor<?x?xi64>, tensor<?x?xf32>) {
  %0 = onnx.ConstantOfShape %s {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x?xi64>
  %1 = onnx.ConstantOfShape %s : (tensor<2xi64>) -> tensor<?x?xf32>
  return %0, %1 : tensor<?x?xi64>, tensor<?x?xf32>
}
