// RUN: xf-opt %s -split-input-file -canonicalize="test-convergence" | FileCheck %s

// Expected values are worked out by hand (numpy semantics), not copied from
// the output.

// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.+]]: tensor<4xi64>)
// CHECK-NOT: onnx.Identity
// CHECK: return %[[X]] : tensor<4xi64>
func.func @identity(%x: tensor<4xi64>) -> tensor<4xi64> {
  %y = onnx.Identity %x : (tensor<4xi64>) -> tensor<4xi64>
  return %y : tensor<4xi64>
}

// -----

// A result more static than the input keeps the op: folding would change
// the type.
// CHECK-LABEL: func.func @identity_refining_type
// CHECK-SAME: (%[[X:.+]]: tensor<?xi64>)
// CHECK: %[[Y:.+]] = onnx.Identity %[[X]] : (tensor<?xi64>) -> tensor<4xi64>
// CHECK: return %[[Y]]
func.func @identity_refining_type(%x: tensor<?xi64>) -> tensor<4xi64> {
  %y = onnx.Identity %x : (tensor<?xi64>) -> tensor<4xi64>
  return %y : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @add_int
// CHECK: %[[C:.+]] = onnx.Constant {value = dense<[11, 22, 33]> : tensor<3xi64>} : tensor<3xi64>
// CHECK-NOT: onnx.Add
// CHECK: return %[[C]]
func.func @add_int() -> tensor<3xi64> {
  %a = onnx.Constant {value = dense<[1, 2, 3]> : tensor<3xi64>} : tensor<3xi64>
  %b = onnx.Constant {value = dense<[10, 20, 30]> : tensor<3xi64>} : tensor<3xi64>
  %c = onnx.Add %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %c : tensor<3xi64>
}

// -----

// [[1, 2, 3], [4, 5, 6]] + [0.5, 0.25, -1].
// CHECK-LABEL: func.func @add_float_broadcast
// CHECK: %[[C:.+]] = onnx.Constant {value = dense<{{\[}}[1.500000e+00, 2.250000e+00, 2.000000e+00], [4.500000e+00, 5.250000e+00, 5.000000e+00]]> : tensor<2x3xf32>} : tensor<2x3xf32>
// CHECK-NOT: onnx.Add
// CHECK: return %[[C]]
func.func @add_float_broadcast() -> tensor<2x3xf32> {
  %a = onnx.Constant {value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>} : tensor<2x3xf32>
  %b = onnx.Constant {value = dense<[0.5, 0.25, -1.0]> : tensor<3xf32>} : tensor<3xf32>
  %c = onnx.Add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %c : tensor<2x3xf32>
}

// -----

// Both operands broadcast: [[1], [2]] - [[10, 20, 30]].
// CHECK-LABEL: func.func @sub_int_broadcast_both
// CHECK: %[[C:.+]] = onnx.Constant {value = dense<{{\[}}[-9, -19, -29], [-8, -18, -28]]> : tensor<2x3xi64>} : tensor<2x3xi64>
// CHECK-NOT: onnx.Sub
// CHECK: return %[[C]]
func.func @sub_int_broadcast_both() -> tensor<2x3xi64> {
  %a = onnx.Constant {value = dense<[[1], [2]]> : tensor<2x1xi64>} : tensor<2x1xi64>
  %b = onnx.Constant {value = dense<[[10, 20, 30]]> : tensor<1x3xi64>} : tensor<1x3xi64>
  %c = onnx.Sub %a, %b : (tensor<2x1xi64>, tensor<1x3xi64>) -> tensor<2x3xi64>
  return %c : tensor<2x3xi64>
}

// -----

// [1.5, -1.0] - [[0.5], [2.0], [-1.0]], a row against a column.
// CHECK-LABEL: func.func @sub_float_broadcast
// CHECK: %[[C:.+]] = onnx.Constant {value = dense<{{\[}}[1.000000e+00, -1.500000e+00], [-5.000000e-01, -3.000000e+00], [2.500000e+00, 0.000000e+00]]> : tensor<3x2xf32>} : tensor<3x2xf32>
// CHECK: return %[[C]]
func.func @sub_float_broadcast() -> tensor<3x2xf32> {
  %a = onnx.Constant {value = dense<[1.5, -1.0]> : tensor<2xf32>} : tensor<2xf32>
  %b = onnx.Constant {value = dense<[[0.5], [2.0], [-1.0]]> : tensor<3x1xf32>} : tensor<3x1xf32>
  %c = onnx.Sub %a, %b : (tensor<2xf32>, tensor<3x1xf32>) -> tensor<3x2xf32>
  return %c : tensor<3x2xf32>
}

// -----

// A 0-D operand times a vector; a splat times a row.
// CHECK-LABEL: func.func @mul
// CHECK-DAG: %[[I:.+]] = onnx.Constant {value = dense<[3, 6, 9, 12]> : tensor<4xi64>} : tensor<4xi64>
// CHECK-DAG: %[[F:.+]] = onnx.Constant {value = dense<{{\[}}[3.000000e+00, -2.000000e+00], [3.000000e+00, -2.000000e+00]]> : tensor<2x2xf32>} : tensor<2x2xf32>
// CHECK-NOT: onnx.Mul
// CHECK: return %[[I]], %[[F]]
func.func @mul() -> (tensor<4xi64>, tensor<2x2xf32>) {
  %three = onnx.Constant {value = dense<3> : tensor<i64>} : tensor<i64>
  %v = onnx.Constant {value = dense<[1, 2, 3, 4]> : tensor<4xi64>} : tensor<4xi64>
  %i = onnx.Mul %three, %v : (tensor<i64>, tensor<4xi64>) -> tensor<4xi64>
  %two = onnx.Constant {value = dense<2.0> : tensor<2x2xf32>} : tensor<2x2xf32>
  %row = onnx.Constant {value = dense<[1.5, -1.0]> : tensor<2xf32>} : tensor<2xf32>
  %f = onnx.Mul %two, %row : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %i, %f : tensor<4xi64>, tensor<2x2xf32>
}

// -----

// Integer division truncates toward zero: 7/2 = 3, -7/2 = -3, 9/-4 = -2,
// -9/-4 = 2 (floor division would give 3, -4, -3, 2). Unsigned operands
// divide unsigned: 200/3 = 66. Floats divide exactly.
// CHECK-LABEL: func.func @div
// CHECK-DAG: %[[S:.+]] = onnx.Constant {value = dense<[3, -3, -2, 2]> : tensor<4xi32>} : tensor<4xi32>
// CHECK-DAG: %[[U:.+]] = onnx.Constant {value = dense<[66, 3]> : tensor<2xui8>} : tensor<2xui8>
// CHECK-DAG: %[[F:.+]] = onnx.Constant {value = dense<[2.500000e-01, 1.500000e+00]> : tensor<2xf32>} : tensor<2xf32>
// CHECK-NOT: onnx.Div
// CHECK: return %[[S]], %[[U]], %[[F]]
func.func @div() -> (tensor<4xi32>, tensor<2xui8>, tensor<2xf32>) {
  %a = onnx.Constant {value = dense<[7, -7, 9, -9]> : tensor<4xi32>} : tensor<4xi32>
  %b = onnx.Constant {value = dense<[2, 2, -4, -4]> : tensor<4xi32>} : tensor<4xi32>
  %s = onnx.Div %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %c = onnx.Constant {value = dense<[200, 7]> : tensor<2xui8>} : tensor<2xui8>
  %d = onnx.Constant {value = dense<[3, 2]> : tensor<2xui8>} : tensor<2xui8>
  %u = onnx.Div %c, %d : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xui8>
  %e = onnx.Constant {value = dense<[1.0, 3.0]> : tensor<2xf32>} : tensor<2xf32>
  %f = onnx.Constant {value = dense<[4.0, 2.0]> : tensor<2xf32>} : tensor<2xf32>
  %g = onnx.Div %e, %f : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %s, %u, %g : tensor<4xi32>, tensor<2xui8>, tensor<2xf32>
}

// -----

// Integer division by zero is left to run time.
// CHECK-LABEL: func.func @div_by_zero
// CHECK-DAG: %[[A:.+]] = onnx.Constant {value = dense<[4, 2]> : tensor<2xi64>} : tensor<2xi64>
// CHECK-DAG: %[[B:.+]] = onnx.Constant {value = dense<[2, 0]> : tensor<2xi64>} : tensor<2xi64>
// CHECK: %[[Q:.+]] = onnx.Div %[[A]], %[[B]] : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
// CHECK: return %[[Q]]
func.func @div_by_zero() -> tensor<2xi64> {
  %a = onnx.Constant {value = dense<[4, 2]> : tensor<2xi64>} : tensor<2xi64>
  %b = onnx.Constant {value = dense<[2, 0]> : tensor<2xi64>} : tensor<2xi64>
  %q = onnx.Div %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %q : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @cast_int_to_float
// CHECK-DAG: %[[F:.+]] = onnx.Constant {value = dense<[1.000000e+00, -2.000000e+00, 3.000000e+00]> : tensor<3xf32>} : tensor<3xf32>
// CHECK-DAG: %[[U:.+]] = onnx.Constant {value = dense<[2.000000e+02, 7.000000e+00]> : tensor<2xf16>} : tensor<2xf16>
// CHECK-DAG: %[[B:.+]] = onnx.Constant {value = dense<[1.000000e+00, 0.000000e+00]> : tensor<2xf32>} : tensor<2xf32>
// CHECK-NOT: onnx.Cast
// CHECK: return %[[F]], %[[U]], %[[B]]
func.func @cast_int_to_float() -> (tensor<3xf32>, tensor<2xf16>, tensor<2xf32>) {
  %i = onnx.Constant {value = dense<[1, -2, 3]> : tensor<3xi64>} : tensor<3xi64>
  %f = onnx.Cast %i {to = f32} : (tensor<3xi64>) -> tensor<3xf32>
  // Unsigned 200 is 200.0, not -56.0.
  %u8 = onnx.Constant {value = dense<[200, 7]> : tensor<2xui8>} : tensor<2xui8>
  %u = onnx.Cast %u8 {to = f16} : (tensor<2xui8>) -> tensor<2xf16>
  // true is 1.0, not -1.0.
  %b1 = onnx.Constant {value = dense<[true, false]> : tensor<2xi1>} : tensor<2xi1>
  %b = onnx.Cast %b1 {to = f32} : (tensor<2xi1>) -> tensor<2xf32>
  return %f, %u, %b : tensor<3xf32>, tensor<2xf16>, tensor<2xf32>
}

// -----

// Float to integer truncates toward zero.
// CHECK-LABEL: func.func @cast_float_to_int
// CHECK-DAG: %[[I:.+]] = onnx.Constant {value = dense<[1, -1, 2, 0]> : tensor<4xi32>} : tensor<4xi32>
// CHECK-DAG: %[[U:.+]] = onnx.Constant {value = dense<[200, 3]> : tensor<2xui8>} : tensor<2xui8>
// CHECK-NOT: onnx.Cast
// CHECK: return %[[I]], %[[U]]
func.func @cast_float_to_int() -> (tensor<4xi32>, tensor<2xui8>) {
  %f = onnx.Constant {value = dense<[1.7, -1.7, 2.5, -0.5]> : tensor<4xf32>} : tensor<4xf32>
  %i = onnx.Cast %f {to = i32} : (tensor<4xf32>) -> tensor<4xi32>
  %g = onnx.Constant {value = dense<[200.7, 3.2]> : tensor<2xf64>} : tensor<2xf64>
  %u = onnx.Cast %g {to = ui8} : (tensor<2xf64>) -> tensor<2xui8>
  return %i, %u : tensor<4xi32>, tensor<2xui8>
}

// -----

// Any non-zero integer is true; bool to integer is 0 or 1.
// CHECK-LABEL: func.func @cast_int_bool
// CHECK-DAG: %[[B:.+]] = onnx.Constant {value = dense<[false, true, true]> : tensor<3xi1>} : tensor<3xi1>
// CHECK-DAG: %[[I:.+]] = onnx.Constant {value = dense<[1, 0]> : tensor<2xi64>} : tensor<2xi64>
// CHECK-NOT: onnx.Cast
// CHECK: return %[[B]], %[[I]]
func.func @cast_int_bool() -> (tensor<3xi1>, tensor<2xi64>) {
  %i = onnx.Constant {value = dense<[0, 3, -1]> : tensor<3xi64>} : tensor<3xi64>
  %b = onnx.Cast %i {to = i1} : (tensor<3xi64>) -> tensor<3xi1>
  %t = onnx.Constant {value = dense<[true, false]> : tensor<2xi1>} : tensor<2xi1>
  %j = onnx.Cast %t {to = i64} : (tensor<2xi1>) -> tensor<2xi64>
  return %b, %j : tensor<3xi1>, tensor<2xi64>
}

// -----

// Narrowing wraps, widening sign-extends signed and zero-extends unsigned.
// CHECK-LABEL: func.func @cast_int_to_int
// CHECK-DAG: %[[N:.+]] = onnx.Constant {value = dense<[44, -1]> : tensor<2xi8>} : tensor<2xi8>
// CHECK-DAG: %[[W:.+]] = onnx.Constant {value = dense<[-1, 255]> : tensor<2xi64>} : tensor<2xi64>
// CHECK-NOT: onnx.Cast
// CHECK: return %[[N]], %[[W]]
func.func @cast_int_to_int() -> (tensor<2xi8>, tensor<2xi64>) {
  %a = onnx.Constant {value = dense<[300, -1]> : tensor<2xi64>} : tensor<2xi64>
  %n = onnx.Cast %a {to = i8} : (tensor<2xi64>) -> tensor<2xi8>
  %s = onnx.Constant {value = dense<-1> : tensor<1xi8>} : tensor<1xi8>
  %ws = onnx.Cast %s {to = i64} : (tensor<1xi8>) -> tensor<1xi64>
  %u = onnx.Constant {value = dense<255> : tensor<1xui8>} : tensor<1xui8>
  %wu = onnx.Cast %u {to = i64} : (tensor<1xui8>) -> tensor<1xi64>
  %w = onnx.Concat %ws, %wu {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %n, %w : tensor<2xi8>, tensor<2xi64>
}

// -----

// A cast to the operand's own type is the operand.
// CHECK-LABEL: func.func @cast_to_same_type
// CHECK-SAME: (%[[X:.+]]: tensor<?xf32>)
// CHECK-NOT: onnx.Cast
// CHECK: return %[[X]]
func.func @cast_to_same_type(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = onnx.Cast %x {to = f32} : (tensor<?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @shape_of_static
// CHECK: %[[C:.+]] = onnx.Constant {value = dense<[2, 3, 4]> : tensor<3xi64>} : tensor<3xi64>
// CHECK-NOT: onnx.Shape
// CHECK: return %[[C]]
func.func @shape_of_static(%x: tensor<2x3x4xf32>) -> tensor<3xi64> {
  %s = onnx.Shape %x : (tensor<2x3x4xf32>) -> tensor<3xi64>
  return %s : tensor<3xi64>
}

// -----

// start and end select dims, negative ones count from the end, out of range
// ones are clamped.
// CHECK-LABEL: func.func @shape_start_end
// CHECK-DAG: %[[MID:.+]] = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
// CHECK-DAG: %[[TAIL:.+]] = onnx.Constant {value = dense<[3, 4]> : tensor<2xi64>} : tensor<2xi64>
// CHECK-DAG: %[[ALL:.+]] = onnx.Constant {value = dense<[2, 3, 4]> : tensor<3xi64>} : tensor<3xi64>
// CHECK-DAG: %[[NONE:.+]] = onnx.Constant {value = dense<> : tensor<0xi64>} : tensor<0xi64>
// CHECK-NOT: onnx.Shape
// CHECK: return %[[MID]], %[[TAIL]], %[[ALL]], %[[NONE]]
func.func @shape_start_end(%x: tensor<2x3x4xf32>) -> (tensor<1xi64>, tensor<2xi64>, tensor<3xi64>, tensor<0xi64>) {
  %mid = onnx.Shape %x {start = 1 : i64, end = -1 : i64} : (tensor<2x3x4xf32>) -> tensor<1xi64>
  %tail = onnx.Shape %x {start = -2 : i64} : (tensor<2x3x4xf32>) -> tensor<2xi64>
  %all = onnx.Shape %x {start = -10 : i64, end = 10 : i64} : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %none = onnx.Shape %x {start = 2 : i64, end = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<0xi64>
  return %mid, %tail, %all, %none : tensor<1xi64>, tensor<2xi64>, tensor<3xi64>, tensor<0xi64>
}

// -----

// A dynamic dim keeps Shape, unless start and end leave it out.
// CHECK-LABEL: func.func @shape_of_dynamic
// CHECK-SAME: (%[[X:.+]]: tensor<?x3x4xf32>)
// CHECK-DAG: %[[TAIL:.+]] = onnx.Constant {value = dense<[3, 4]> : tensor<2xi64>} : tensor<2xi64>
// CHECK-DAG: %[[S:.+]] = onnx.Shape %[[X]] : (tensor<?x3x4xf32>) -> tensor<3xi64>
// CHECK: return %[[S]], %[[TAIL]]
func.func @shape_of_dynamic(%x: tensor<?x3x4xf32>) -> (tensor<3xi64>, tensor<2xi64>) {
  %s = onnx.Shape %x : (tensor<?x3x4xf32>) -> tensor<3xi64>
  %tail = onnx.Shape %x {start = 1 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
  return %s, %tail : tensor<3xi64>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @reshape_squeeze_unsqueeze
// CHECK-DAG: %[[R:.+]] = onnx.Constant {value = dense<{{\[}}[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>} : tensor<2x3xi64>
// CHECK-DAG: %[[S:.+]] = onnx.Constant {value = dense<[7, 8, 9]> : tensor<3xi64>} : tensor<3xi64>
// CHECK-DAG: %[[U:.+]] = onnx.Constant {value = dense<5> : tensor<1x1xi64>} : tensor<1x1xi64>
// CHECK-NOT: onnx.Reshape
// CHECK-NOT: onnx.Squeeze
// CHECK-NOT: onnx.Unsqueeze
// CHECK: return %[[R]], %[[S]], %[[U]]
func.func @reshape_squeeze_unsqueeze() -> (tensor<2x3xi64>, tensor<3xi64>, tensor<1x1xi64>) {
  %data = onnx.Constant {value = dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>} : tensor<6xi64>
  %shape = onnx.Constant {value = dense<[2, -1]> : tensor<2xi64>} : tensor<2xi64>
  %r = onnx.Reshape %data, %shape : (tensor<6xi64>, tensor<2xi64>) -> tensor<2x3xi64>
  %row = onnx.Constant {value = dense<[[7, 8, 9]]> : tensor<1x3xi64>} : tensor<1x3xi64>
  %s = onnx.Squeeze %row : (tensor<1x3xi64>) -> tensor<3xi64>
  %five = onnx.Constant {value = dense<5> : tensor<i64>} : tensor<i64>
  %axes = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %u = onnx.Unsqueeze %five, %axes : (tensor<i64>, tensor<2xi64>) -> tensor<1x1xi64>
  return %r, %s, %u : tensor<2x3xi64>, tensor<3xi64>, tensor<1x1xi64>
}

// -----

// A declared result type with another element count than the data (the
// shape is not constant, so the verifier cannot tell) is not folded.
// CHECK-LABEL: func.func @reshape_element_count_mismatch
// CHECK-SAME: (%[[SHAPE:.+]]: tensor<2xi64>)
// CHECK: %[[DATA:.+]] = onnx.Constant {value = dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>} : tensor<6xi64>
// CHECK: %[[R:.+]] = onnx.Reshape %[[DATA]], %[[SHAPE]] : (tensor<6xi64>, tensor<2xi64>) -> tensor<2x2xi64>
// CHECK: return %[[R]]
func.func @reshape_element_count_mismatch(%shape: tensor<2xi64>) -> tensor<2x2xi64> {
  %data = onnx.Constant {value = dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>} : tensor<6xi64>
  %r = onnx.Reshape %data, %shape : (tensor<6xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  return %r : tensor<2x2xi64>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[X:.+]]: tensor<2xi64>)
// CHECK-DAG: %[[ALL:.+]] = onnx.Constant {value = dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>} : tensor<6xi64>
// CHECK-DAG: %[[ONE:.+]] = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
// CHECK: %[[PART:.+]] = onnx.Concat %[[ONE]], %[[X]] {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
// CHECK: return %[[ALL]], %[[PART]]
func.func @concat(%x: tensor<2xi64>) -> (tensor<6xi64>, tensor<3xi64>) {
  %a = onnx.Constant {value = dense<[1, 2]> : tensor<2xi64>} : tensor<2xi64>
  %b = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
  %c = onnx.Constant {value = dense<[4, 5, 6]> : tensor<3xi64>} : tensor<3xi64>
  %all = onnx.Concat %a, %b, %c {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>, tensor<3xi64>) -> tensor<6xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %part = onnx.Concat %one, %x {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  return %all, %part : tensor<6xi64>, tensor<3xi64>
}

// -----

// Indices may repeat and count from the end; a 0-D index gives a 0-D result.
// CHECK-LABEL: func.func @gather
// CHECK-DAG: %[[V:.+]] = onnx.Constant {value = dense<[40, 40, 10]> : tensor<3xi64>} : tensor<3xi64>
// CHECK-DAG: %[[S:.+]] = onnx.Constant {value = dense<20> : tensor<i64>} : tensor<i64>
// CHECK-NOT: onnx.Gather
// CHECK: return %[[V]], %[[S]]
func.func @gather() -> (tensor<3xi64>, tensor<i64>) {
  %data = onnx.Constant {value = dense<[10, 20, 30, 40]> : tensor<4xi64>} : tensor<4xi64>
  %indices = onnx.Constant {value = dense<[3, -1, 0]> : tensor<3xi64>} : tensor<3xi64>
  %v = onnx.Gather %data, %indices : (tensor<4xi64>, tensor<3xi64>) -> tensor<3xi64>
  %one = onnx.Constant {value = dense<1> : tensor<i32>} : tensor<i32>
  %s = onnx.Gather %data, %one {axis = -1 : i64} : (tensor<4xi64>, tensor<i32>) -> tensor<i64>
  return %v, %s : tensor<3xi64>, tensor<i64>
}

// -----

// On [0, 1, ..., 9]: [1:8:3] = [1, 4, 7]; [-1::-2] = [9, 7, 5, 3, 1];
// [8:2:-3] = [8, 5]; [-100:100] = all of it.
// CHECK-LABEL: func.func @slice
// CHECK-DAG: %[[A:.+]] = onnx.Constant {value = dense<[1, 4, 7]> : tensor<3xi64>} : tensor<3xi64>
// CHECK-DAG: %[[B:.+]] = onnx.Constant {value = dense<[9, 7, 5, 3, 1]> : tensor<5xi64>} : tensor<5xi64>
// CHECK-DAG: %[[C:.+]] = onnx.Constant {value = dense<[8, 5]> : tensor<2xi64>} : tensor<2xi64>
// CHECK-DAG: %[[D:.+]] = onnx.Constant {value = dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]> : tensor<10xi64>} : tensor<10xi64>
// CHECK-NOT: onnx.Slice
// CHECK: return %[[A]], %[[B]], %[[C]], %[[D]]
func.func @slice() -> (tensor<3xi64>, tensor<5xi64>, tensor<2xi64>, tensor<10xi64>) {
  %data = onnx.Constant {value = dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]> : tensor<10xi64>} : tensor<10xi64>
  %c1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %c8 = onnx.Constant {value = dense<8> : tensor<1xi64>} : tensor<1xi64>
  %c3 = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
  %a = onnx.Slice %data, %c1, %c8 steps %c3 : (tensor<10xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %cm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %min = onnx.Constant {value = dense<-9223372036854775808> : tensor<1xi64>} : tensor<1xi64>
  %cm2 = onnx.Constant {value = dense<-2> : tensor<1xi64>} : tensor<1xi64>
  %axis = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %b = onnx.Slice %data, %cm1, %min axes %axis steps %cm2 : (tensor<10xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
  %c2 = onnx.Constant {value = dense<2> : tensor<1xi32>} : tensor<1xi32>
  %c8b = onnx.Constant {value = dense<8> : tensor<1xi32>} : tensor<1xi32>
  %cm3 = onnx.Constant {value = dense<-3> : tensor<1xi32>} : tensor<1xi32>
  %c = onnx.Slice %data, %c8b, %c2 steps %cm3 : (tensor<10xi64>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>) -> tensor<2xi64>
  %cm100 = onnx.Constant {value = dense<-100> : tensor<1xi64>} : tensor<1xi64>
  %c100 = onnx.Constant {value = dense<100> : tensor<1xi64>} : tensor<1xi64>
  %d = onnx.Slice %data, %cm100, %c100 : (tensor<10xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<10xi64>
  return %a, %b, %c, %d : tensor<3xi64>, tensor<5xi64>, tensor<2xi64>, tensor<10xi64>
}

// -----

// Ends that are not constant: the declared length cannot be checked, so the
// slice is not folded.
// CHECK-LABEL: func.func @slice_unknown_ends
// CHECK-SAME: (%[[ENDS:.+]]: tensor<1xi64>)
// CHECK-DAG: %[[DATA:.+]] = onnx.Constant {value = dense<[0, 1, 2]> : tensor<3xi64>} : tensor<3xi64>
// CHECK-DAG: %[[ZERO:.+]] = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
// CHECK: %[[S:.+]] = onnx.Slice %[[DATA]], %[[ZERO]], %[[ENDS]] : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
// CHECK: return %[[S]]
func.func @slice_unknown_ends(%ends: tensor<1xi64>) -> tensor<5xi64> {
  %data = onnx.Constant {value = dense<[0, 1, 2]> : tensor<3xi64>} : tensor<3xi64>
  %c0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %s = onnx.Slice %data, %c0, %ends : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
  return %s : tensor<5xi64>
}

// -----

// ceil((11 - 2) / 3) = 3 and ceil((0 - 10) / -3) = 4 elements.
// CHECK-LABEL: func.func @range
// CHECK-DAG: %[[UP:.+]] = onnx.Constant {value = dense<[2, 5, 8]> : tensor<3xi64>} : tensor<3xi64>
// CHECK-DAG: %[[DOWN:.+]] = onnx.Constant {value = dense<[10, 7, 4, 1]> : tensor<4xi32>} : tensor<4xi32>
// CHECK-NOT: onnx.Range
// CHECK: return %[[UP]], %[[DOWN]]
func.func @range() -> (tensor<3xi64>, tensor<4xi32>) {
  %c2 = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %c11 = onnx.Constant {value = dense<11> : tensor<i64>} : tensor<i64>
  %c3 = onnx.Constant {value = dense<3> : tensor<i64>} : tensor<i64>
  %up = onnx.Range %c2, %c11, %c3 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %c10 = onnx.Constant {value = dense<10> : tensor<i32>} : tensor<i32>
  %c0 = onnx.Constant {value = dense<0> : tensor<i32>} : tensor<i32>
  %cm3 = onnx.Constant {value = dense<-3> : tensor<i32>} : tensor<i32>
  %down = onnx.Range %c10, %c0, %cm3 : (tensor<i32>, tensor<i32>, tensor<i32>) -> tensor<4xi32>
  return %up, %down : tensor<3xi64>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @constant_of_shape
// CHECK-DAG: %[[I:.+]] = onnx.Constant {value = dense<7> : tensor<2x3xi64>} : tensor<2x3xi64>
// CHECK-DAG: %[[F:.+]] = onnx.Constant {value = dense<0.000000e+00> : tensor<2xf32>} : tensor<2xf32>
// CHECK-DAG: %[[B:.+]] = onnx.Constant {value = dense<true> : tensor<2x1xi1>} : tensor<2x1xi1>
// CHECK-NOT: onnx.ConstantOfShape
// CHECK: return %[[I]], %[[F]], %[[B]]
func.func @constant_of_shape() -> (tensor<2x3xi64>, tensor<2xf32>, tensor<2x1xi1>) {
  %s23 = onnx.Constant {value = dense<[2, 3]> : tensor<2xi64>} : tensor<2xi64>
  %i = onnx.ConstantOfShape %s23 {value = dense<7> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<2x3xi64>
  %s2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %f = onnx.ConstantOfShape %s2 : (tensor<1xi64>) -> tensor<2xf32>
  %s21 = onnx.Constant {value = dense<[2, 1]> : tensor<2xi64>} : tensor<2xi64>
  %b = onnx.ConstantOfShape %s21 {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<2x1xi1>
  return %i, %f, %b : tensor<2x3xi64>, tensor<2xf32>, tensor<2x1xi1>
}

// -----

// A dynamic result shape is not folded.
// CHECK-LABEL: func.func @constant_of_dynamic_shape
// CHECK-SAME: (%[[S:.+]]: tensor<2xi64>)
// CHECK: %[[Z:.+]] = onnx.ConstantOfShape %[[S]] : (tensor<2xi64>) -> tensor<?x?xf32>
// CHECK: return %[[Z]]
func.func @constant_of_dynamic_shape(%s: tensor<2xi64>) -> tensor<?x?xf32> {
  %z = onnx.ConstantOfShape %s : (tensor<2xi64>) -> tensor<?x?xf32>
  return %z : tensor<?x?xf32>
}

// -----

// The exporter's shape computation on static dims folds to one constant.
// CHECK-LABEL: func.func @shape_computation
// CHECK-SAME: (%[[X:.+]]: tensor<2x5x512xf32>)
// CHECK: %[[SHAPE:.+]] = onnx.Constant {value = dense<[2, 5, 8, 64]> : tensor<4xi64>} : tensor<4xi64>
// CHECK: %[[R:.+]] = onnx.Reshape %[[X]], %[[SHAPE]] : (tensor<2x5x512xf32>, tensor<4xi64>) -> tensor<2x5x8x64xf32>
// CHECK: return %[[R]]
func.func @shape_computation(%x: tensor<2x5x512xf32>) -> tensor<2x5x8x64xf32> {
  %shape = onnx.Shape %x : (tensor<2x5x512xf32>) -> tensor<3xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %d0 = onnx.Gather %shape, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %d1 = onnx.Gather %shape, %one : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %axes = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %u0 = onnx.Unsqueeze %d0, %axes : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %u1 = onnx.Unsqueeze %d1, %axes : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %heads = onnx.Constant {value = dense<[8, 64]> : tensor<2xi64>} : tensor<2xi64>
  %target = onnx.Concat %u0, %u1, %heads {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = onnx.Reshape %x, %target : (tensor<2x5x512xf32>, tensor<4xi64>) -> tensor<2x5x8x64xf32>
  return %r : tensor<2x5x8x64xf32>
}

// -----

// Values held as dense resources are never folded.
// CHECK-LABEL: func.func @resource_not_folded
// CHECK-DAG: %[[W:.+]] = onnx.Constant {value = dense_resource<blob> : tensor<2xi32>} : tensor<2xi32>
// CHECK-DAG: %[[ONE:.+]] = onnx.Constant {value = dense<1> : tensor<2xi32>} : tensor<2xi32>
// CHECK: %[[SUM:.+]] = onnx.Add %[[W]], %[[ONE]] : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
// CHECK: %[[CAST:.+]] = onnx.Cast %[[W]] {to = f32} : (tensor<2xi32>) -> tensor<2xf32>
// CHECK: %[[ROW:.+]] = onnx.Unsqueeze %[[W]]
// CHECK: return %[[SUM]], %[[CAST]], %[[ROW]]
// CHECK: blob: "0x040000000100000002000000"
func.func @resource_not_folded() -> (tensor<2xi32>, tensor<2xf32>, tensor<1x2xi32>) {
  %w = onnx.Constant {value = dense_resource<blob> : tensor<2xi32>} : tensor<2xi32>
  %one = onnx.Constant {value = dense<1> : tensor<2xi32>} : tensor<2xi32>
  %sum = onnx.Add %w, %one : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %cast = onnx.Cast %w {to = f32} : (tensor<2xi32>) -> tensor<2xf32>
  %axes = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %row = onnx.Unsqueeze %w, %axes : (tensor<2xi32>, tensor<1xi64>) -> tensor<1x2xi32>
  return %sum, %cast, %row : tensor<2xi32>, tensor<2xf32>, tensor<1x2xi32>
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000100000002000000"
    }
  }
#-}

// -----

// Operands that are not constant are not folded.
// CHECK-LABEL: func.func @not_constant
// CHECK-SAME: (%[[X:.+]]: tensor<?xi64>)
// CHECK: %[[ONE:.+]] = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
// CHECK: %[[SUM:.+]] = onnx.Add %[[X]], %[[ONE]] : (tensor<?xi64>, tensor<1xi64>) -> tensor<?xi64>
// CHECK: return %[[SUM]]
func.func @not_constant(%x: tensor<?xi64>) -> tensor<?xi64> {
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %sum = onnx.Add %x, %one : (tensor<?xi64>, tensor<1xi64>) -> tensor<?xi64>
  return %sum : tensor<?xi64>
}
