// RUN: xf-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// Operand and result type constraints (ODS)
//===----------------------------------------------------------------------===//

func.func @sqrt_of_integer(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{operand #0 must be tensor of floating-point values}}
  %y = onnx.Sqrt %x : (tensor<4xi32>) -> tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

func.func @neg_of_unsigned(%x: tensor<4xui8>) -> tensor<4xui8> {
  // expected-error @+1 {{operand #0 must be tensor of signless integer or floating-point values}}
  %y = onnx.Neg %x : (tensor<4xui8>) -> tensor<4xui8>
  return %y : tensor<4xui8>
}

// -----

func.func @not_of_float(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operand #0 must be tensor of 1-bit signless integer values}}
  %y = onnx.Not %x : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @and_of_integer(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{operand #0 must be tensor of 1-bit signless integer values}}
  %c = onnx.And %a, %a : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %c : tensor<4xi32>
}

// -----

func.func @compare_result_not_bool(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{result #0 must be tensor of 1-bit signless integer values}}
  %c = onnx.Less %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

func.func @where_condition_not_bool(%c: tensor<4xf32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operand #0 must be tensor of 1-bit signless integer values}}
  %r = onnx.Where %c, %x, %x : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @reshape_shape_i32(%x: tensor<4xf32>, %s: tensor<2xi32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{operand #1 must be tensor of 64-bit signless integer values}}
  %r = onnx.Reshape %x, %s : (tensor<4xf32>, tensor<2xi32>) -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// -----

func.func @gather_float_indices(%x: tensor<4xf32>, %i: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{operand #1 must be tensor of 32-bit signless integer or 64-bit signless integer values}}
  %r = onnx.Gather %x, %i : (tensor<4xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %r : tensor<2xf32>
}

// -----

func.func @shape_result_i32(%x: tensor<4xf32>) -> tensor<1xi32> {
  // expected-error @+1 {{result #0 must be tensor of 64-bit signless integer values}}
  %s = onnx.Shape %x : (tensor<4xf32>) -> tensor<1xi32>
  return %s : tensor<1xi32>
}

// -----

func.func @softmax_of_integer(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{operand #0 must be tensor of floating-point values}}
  %y = onnx.Softmax %x : (tensor<4xi32>) -> tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

func.func @cast_without_to(%x: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{requires attribute 'to'}}
  %y = onnx.Cast %x : (tensor<4xi64>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @concat_without_axis(%a: tensor<2xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{requires attribute 'axis'}}
  %c = onnx.Concat %a, %a : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  return %c : tensor<4xi64>
}

// -----

//===----------------------------------------------------------------------===//
// Declared result types against inferred ones
//===----------------------------------------------------------------------===//

func.func @unary_result_shape(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{result #0 has type 'tensor<3x2xf32>' but its operands and attributes give 'tensor<2x3xf32>'}}
  %y = onnx.Exp %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @unary_result_element_type(%x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{result #0 has type 'tensor<4xf16>' but its operands and attributes give 'tensor<4xf32>'}}
  %y = onnx.Tanh %x : (tensor<4xf32>) -> tensor<4xf16>
  return %y : tensor<4xf16>
}

// -----

func.func @unary_result_rank(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{result #0 has type 'tensor<?xf32>' but its operands and attributes give 'tensor<?x?xf32>'}}
  %y = onnx.Identity %x : (tensor<?x?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

func.func @add_result_shape(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{result #0 has type 'tensor<2x4xf32>' but its operands and attributes give 'tensor<2x3xf32>'}}
  %c = onnx.Add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return %c : tensor<2x4xf32>
}

// -----

func.func @cast_result_element_type(%x: tensor<4xi64>) -> tensor<4xf16> {
  // expected-error @+1 {{result #0 has type 'tensor<4xf16>' but its operands and attributes give 'tensor<4xf32>'}}
  %y = onnx.Cast %x {to = f32} : (tensor<4xi64>) -> tensor<4xf16>
  return %y : tensor<4xf16>
}

// -----

func.func @constant_result_type() -> tensor<3xi64> {
  // expected-error @+1 {{result #0 has type 'tensor<3xi64>' but its operands and attributes give 'tensor<2xi64>'}}
  %c = onnx.Constant {value = dense<[1, 2]> : tensor<2xi64>} : tensor<3xi64>
  return %c : tensor<3xi64>
}

// -----

func.func @layer_normalization_stash_type(%x: tensor<2x8xf16>, %s: tensor<8xf16>) -> tensor<2x1xf16> {
  // expected-error @+1 {{result #1 has type 'tensor<2x1xf16>' but its operands and attributes give 'tensor<2x1xf32>'}}
  %y, %m, %i = onnx.LayerNormalization %x, %s : (tensor<2x8xf16>, tensor<8xf16>) -> (tensor<2x8xf16>, tensor<2x1xf16>, tensor<2x1xf32>)
  return %m : tensor<2x1xf16>
}

// -----

func.func @gather_result_shape(%x: tensor<10x4xf32>, %i: tensor<3xi64>) -> tensor<3x5xf32> {
  // expected-error @+1 {{result #0 has type 'tensor<3x5xf32>' but its operands and attributes give 'tensor<3x4xf32>'}}
  %r = onnx.Gather %x, %i : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}

// -----

func.func @reduce_result_rank(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %axes = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{result #0 has type 'tensor<2x1xf32>' but its operands and attributes give 'tensor<2xf32>'}}
  %r = onnx.ReduceSum %x, %axes {keepdims = 0 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  return %r : tensor<2x1xf32>
}

// -----

func.func @shape_result_length(%x: tensor<?x?x512xf32>) -> tensor<2xi64> {
  // expected-error @+1 {{result #0 has type 'tensor<2xi64>' but its operands and attributes give 'tensor<1xi64>'}}
  %s = onnx.Shape %x {start = -1 : i64} : (tensor<?x?x512xf32>) -> tensor<2xi64>
  return %s : tensor<2xi64>
}

// -----

func.func @range_result_length() -> tensor<4xi64> {
  %start = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %limit = onnx.Constant {value = dense<10> : tensor<i64>} : tensor<i64>
  %delta = onnx.Constant {value = dense<3> : tensor<i64>} : tensor<i64>
  // ceil(10 / 3) = 4 elements: 0, 3, 6, 9; so 5 contradicts.
  // expected-error @+1 {{result #0 has type 'tensor<5xi64>' but its operands and attributes give 'tensor<4xi64>'}}
  %r = onnx.Range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<5xi64>
  %s = onnx.Constant {value = dense<[0, 1, 2, 3]> : tensor<4xi64>} : tensor<4xi64>
  return %s : tensor<4xi64>
}

// -----

func.func @constant_of_shape_element_type(%s: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{result #0 has type 'tensor<?x?xf32>' but its operands and attributes give 'tensor<?x?xi64>'}}
  %z = onnx.ConstantOfShape %s {value = dense<0> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x?xf32>
  return %z : tensor<?x?xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

func.func @broadcast_conflict(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{operand shapes cannot be broadcast together: 'tensor<4xf32>' against [2, 3]}}
  %c = onnx.Mul %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %c : tensor<2x3xf32>
}

// -----

func.func @element_type_mismatch(%a: tensor<4xf32>, %b: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{operands must have one element type, got 'f32' and 'f16'}}
  %c = onnx.Sub %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

func.func @compare_element_type_mismatch(%a: tensor<4xi64>, %b: tensor<4xi32>) -> tensor<4xi1> {
  // expected-error @+1 {{operands must have one element type, got 'i64' and 'i32'}}
  %c = onnx.Equal %a, %b : (tensor<4xi64>, tensor<4xi32>) -> tensor<4xi1>
  return %c : tensor<4xi1>
}

// -----

func.func @pow_broadcast_conflict(%x: tensor<3xf32>, %y: tensor<2xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{operand shapes cannot be broadcast together}}
  %z = onnx.Pow %x, %y : (tensor<3xf32>, tensor<2xf32>) -> tensor<3xf32>
  return %z : tensor<3xf32>
}

// -----

func.func @max_without_inputs() -> tensor<f32> {
  // expected-error @+1 {{needs at least one input}}
  %m = "onnx.Max"() : () -> tensor<f32>
  return %m : tensor<f32>
}

// -----

func.func @min_broadcast_conflict(%a: tensor<2xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{operand shapes cannot be broadcast together}}
  %m = onnx.Min %a, %a, %b : (tensor<2xf32>, tensor<2xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %m : tensor<3xf32>
}

// -----

func.func @where_element_type_mismatch(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+1 {{operands must have one element type, got 'f32' and 'i32'}}
  %r = onnx.Where %c, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @where_broadcast_conflict(%c: tensor<3xi1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operand shapes cannot be broadcast together}}
  %r = onnx.Where %c, %x, %x : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Linear algebra and normalization
//===----------------------------------------------------------------------===//

func.func @matmul_k_mismatch(%a: tensor<4x8xf32>, %b: tensor<16x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{contracting dimensions differ: 8 and 16}}
  %c = onnx.MatMul %a, %b : (tensor<4x8xf32>, tensor<16x4xf32>) -> tensor<4x4xf32>
  return %c : tensor<4x4xf32>
}

// -----

func.func @matmul_vector_k_mismatch(%a: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{contracting dimensions differ: 3 and 4}}
  %c = onnx.MatMul %a, %b : (tensor<3xf32>, tensor<4xf32>) -> tensor<f32>
  return %c : tensor<f32>
}

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operands must have rank 1 or more}}
  %c = onnx.MatMul %a, %b : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

func.func @matmul_batch_mismatch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x4xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+1 {{batch dimensions cannot be broadcast together}}
  %c = onnx.MatMul %a, %b : (tensor<2x4x8xf32>, tensor<3x8x4xf32>) -> tensor<2x4x4xf32>
  return %c : tensor<2x4x4xf32>
}

// -----

func.func @matmul_element_type_mismatch(%a: tensor<4x8xf32>, %b: tensor<8x4xf16>) -> tensor<4x4xf32> {
  // expected-error @+1 {{operands must have one element type, got 'f32' and 'f16'}}
  %c = onnx.MatMul %a, %b : (tensor<4x8xf32>, tensor<8x4xf16>) -> tensor<4x4xf32>
  return %c : tensor<4x4xf32>
}

// -----

func.func @gemm_k_mismatch(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>) -> tensor<4x8xf32> {
  // Without transB, K is B's first dim.
  // expected-error @+1 {{contracting dimensions differ: 8 and 16}}
  %y = onnx.Gemm %a, %b : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @gemm_trans_a_k_mismatch(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // With transA, K is A's first dim.
  // expected-error @+1 {{contracting dimensions differ: 4 and 8}}
  %y = onnx.Gemm %a, %b {transA = 1 : i64} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

func.func @gemm_not_2d(%a: tensor<2x4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{A and B must be 2-D}}
  %y = onnx.Gemm %a, %b : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

func.func @gemm_c_not_broadcastable(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<15xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{C of type 'tensor<15xf32>' cannot be broadcast to [M, N]}}
  %y = onnx.Gemm %a, %b, %c : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<15xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

func.func @gemm_c_larger_than_result(%a: tensor<1x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<1x16xf32> {
  // C broadcasts to Y in one direction only: a [4, 16] C does not fit [1, 16].
  // expected-error @+1 {{C of type 'tensor<4x16xf32>' cannot be broadcast to [M, N]}}
  %y = onnx.Gemm %a, %b, %c : (tensor<1x8xf32>, tensor<8x16xf32>, tensor<4x16xf32>) -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @gemm_c_rank_3(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<1x4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{C of type 'tensor<1x4x16xf32>' cannot be broadcast to [M, N]}}
  %y = onnx.Gemm %a, %b, %c : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<1x4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

func.func @softmax_bad_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %y = onnx.Softmax %x {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_normalization_bad_axis(%x: tensor<2x8xf32>, %s: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{axis -3 is out of range for rank 2}}
  %y, %m, %i = onnx.LayerNormalization %x, %s {axis = -3 : i64} : (tensor<2x8xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
  return %y : tensor<2x8xf32>
}

// -----

func.func @layer_normalization_bad_stash_type(%x: tensor<2x8xf32>, %s: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{stash_type 7 is not a floating-point type}}
  %y, %m, %i = onnx.LayerNormalization %x, %s {stash_type = 7 : i64} : (tensor<2x8xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  return %y : tensor<2x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

func.func @reduce_bad_axis(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %axes = onnx.Constant {value = dense<[0, 2]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %r = onnx.ReduceMean %x, %axes : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

func.func @reduce_bad_negative_axis(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %axes = onnx.Constant {value = dense<-3> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{axis -3 is out of range for rank 2}}
  %r = onnx.ReduceMax %x, %axes : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

func.func @cumsum_axis_not_scalar(%x: tensor<4xf32>, %axis: tensor<2xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{axis must be a scalar}}
  %y = onnx.CumSum %x, %axis : (tensor<4xf32>, tensor<2xi64>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @cumsum_bad_axis(%x: tensor<4xf32>) -> tensor<4xf32> {
  %axis = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  // expected-error @+1 {{axis 1 is out of range for rank 1}}
  %y = onnx.CumSum %x, %axis : (tensor<4xf32>, tensor<i64>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Data movement and shapes
//===----------------------------------------------------------------------===//

func.func @gather_bad_axis(%x: tensor<2x3xf32>, %i: tensor<1xi64>) -> tensor<*xf32> {
  // expected-error @+1 {{axis -3 is out of range for rank 2}}
  %r = onnx.Gather %x, %i {axis = -3 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

func.func @reshape_element_count(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %s = onnx.Constant {value = dense<[4, 2]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{cannot reshape 6 elements into 8}}
  %r = onnx.Reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

func.func @reshape_inferred_dim_not_divisible(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %s = onnx.Constant {value = dense<[4, -1]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{cannot reshape 6 elements into a multiple of 4}}
  %r = onnx.Reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

func.func @reshape_two_minus_ones(%x: tensor<?x3xf32>) -> tensor<*xf32> {
  %s = onnx.Constant {value = dense<[-1, 3, -1]> : tensor<3xi64>} : tensor<3xi64>
  // expected-error @+1 {{shape has more than one -1}}
  %r = onnx.Reshape %x, %s : (tensor<?x3xf32>, tensor<3xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

func.func @reshape_invalid_dim(%x: tensor<?x3xf32>) -> tensor<*xf32> {
  %s = onnx.Constant {value = dense<[-2, 3]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{shape has invalid dimension -2}}
  %r = onnx.Reshape %x, %s : (tensor<?x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

func.func @reshape_copies_missing_dim(%x: tensor<6xf32>) -> tensor<*xf32> {
  %s = onnx.Constant {value = dense<[2, 0]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{shape copies dimension 1 which the input does not have}}
  %r = onnx.Reshape %x, %s : (tensor<6xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

func.func @reshape_result_contradicts(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %s = onnx.Constant {value = dense<[-1, 3]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{result #0 has type 'tensor<3x2xf32>' but its operands and attributes give 'tensor<2x3xf32>'}}
  %r = onnx.Reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

func.func @transpose_perm_not_a_permutation(%x: tensor<2x3x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{perm is not a permutation of 0..2}}
  %t = onnx.Transpose %x {perm = [0, 2, 2]} : (tensor<2x3x4xf32>) -> tensor<*xf32>
  return %t : tensor<*xf32>
}

// -----

func.func @transpose_perm_out_of_range(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{perm is not a permutation of 0..1}}
  %t = onnx.Transpose %x {perm = [-1, 0]} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %t : tensor<*xf32>
}

// -----

func.func @transpose_perm_length(%x: tensor<2x3x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{perm has 2 entries for an input of rank 3}}
  %t = onnx.Transpose %x {perm = [1, 0]} : (tensor<2x3x4xf32>) -> tensor<*xf32>
  return %t : tensor<*xf32>
}

// -----

func.func @concat_without_inputs() -> tensor<0xi64> {
  // expected-error @+1 {{needs at least one input}}
  %c = "onnx.Concat"() {axis = 0 : i64} : () -> tensor<0xi64>
  return %c : tensor<0xi64>
}

// -----

func.func @concat_rank_mismatch(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{inputs have different ranks}}
  %c = onnx.Concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

func.func @concat_dim_mismatch(%a: tensor<2x3xf32>, %b: tensor<?x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{inputs differ in dimension 1: 3 and 4}}
  %c = onnx.Concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<?x4xf32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

func.func @concat_bad_axis(%a: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %c = onnx.Concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

func.func @concat_element_type_mismatch(%a: tensor<2xi64>, %b: tensor<2xi32>) -> tensor<4xi64> {
  // expected-error @+1 {{operands must have one element type, got 'i64' and 'i32'}}
  %c = onnx.Concat %a, %b {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi32>) -> tensor<4xi64>
  return %c : tensor<4xi64>
}

// -----

func.func @concat_result_contradicts(%a: tensor<2x3xf32>, %b: tensor<5x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{result #0 has type 'tensor<8x3xf32>' but its operands and attributes give 'tensor<7x3xf32>'}}
  %c = onnx.Concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<5x3xf32>) -> tensor<8x3xf32>
  return %c : tensor<8x3xf32>
}

// -----

func.func @slice_bad_axis(%x: tensor<4x4xf32>) -> tensor<*xf32> {
  %c = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %axes = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %s = onnx.Slice %x, %c, %c axes %axes : (tensor<4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  return %s : tensor<*xf32>
}

// -----

func.func @slice_zero_step(%x: tensor<4xf32>) -> tensor<*xf32> {
  %c = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{step must not be 0}}
  %s = onnx.Slice %x, %c, %c steps %zero : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  return %s : tensor<*xf32>
}

// -----

func.func @slice_length_mismatch(%x: tensor<4x4xf32>) -> tensor<*xf32> {
  %starts = onnx.Constant {value = dense<[0, 0]> : tensor<2xi64>} : tensor<2xi64>
  %ends = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{starts, ends, axes and steps differ in length}}
  %s = onnx.Slice %x, %starts, %ends : (tensor<4x4xf32>, tensor<2xi64>, tensor<1xi64>) -> tensor<*xf32>
  return %s : tensor<*xf32>
}

// -----

func.func @slice_length_mismatch_dynamic(%x: tensor<?x?xf32>) -> tensor<*xf32> {
  %c = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %step = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  // The lengths disagree whatever the data's dims are.
  // expected-error @+1 {{starts, ends, axes and steps differ in length}}
  %s = onnx.Slice %x, %c, %c axes %c steps %step : (tensor<?x?xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<1xi64>) -> tensor<*xf32>
  return %s : tensor<*xf32>
}

// -----

func.func @slice_result_contradicts(%x: tensor<10xf32>) -> tensor<3xf32> {
  %start = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %end = onnx.Constant {value = dense<-9223372036854775808> : tensor<1xi64>} : tensor<1xi64>
  %step = onnx.Constant {value = dense<-2> : tensor<1xi64>} : tensor<1xi64>
  // Indices 9, 7, 5, 3, 1.
  // expected-error @+1 {{result #0 has type 'tensor<3xf32>' but its operands and attributes give 'tensor<5xf32>'}}
  %s = onnx.Slice %x, %start, %end steps %step : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xf32>
  return %s : tensor<3xf32>
}

// -----

func.func @slice_repeated_axis(%x: tensor<4x4xf32>) -> tensor<*xf32> {
  %c = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %axes = onnx.Constant {value = dense<[1, -1]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{axis -1 is repeated}}
  %s = onnx.Slice %x, %c, %c axes %axes : (tensor<4x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<*xf32>
  return %s : tensor<*xf32>
}

// -----

func.func @split_without_outputs(%x: tensor<4xf32>) {
  // expected-error @+1 {{needs at least one output}}
  "onnx.Split"(%x) : (tensor<4xf32>) -> ()
  return
}

// -----

func.func @split_num_outputs_mismatch(%x: tensor<6xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{has num_outputs = 3 but 2 results}}
  %a, %b = onnx.Split %x {num_outputs = 3 : i64} : (tensor<6xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  return %a : tensor<3xf32>
}

// -----

func.func @split_operand_and_num_outputs(%x: tensor<6xf32>, %sizes: tensor<2xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{takes either a split operand or num_outputs, not both}}
  %a, %b = onnx.Split %x, %sizes {num_outputs = 2 : i64} : (tensor<6xf32>, tensor<2xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return %a : tensor<?xf32>
}

// -----

func.func @split_sizes_do_not_add_up(%x: tensor<1x10xf32>) -> tensor<1x4xf32> {
  %sizes = onnx.Constant {value = dense<[4, 5]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{split sizes add up to 9, not to the dimension 10}}
  %a, %b = onnx.Split %x, %sizes {axis = 1 : i64} : (tensor<1x10xf32>, tensor<2xi64>) -> (tensor<1x4xf32>, tensor<1x5xf32>)
  return %a : tensor<1x4xf32>
}

// -----

func.func @split_sizes_count(%x: tensor<10xf32>) -> tensor<?xf32> {
  %sizes = onnx.Constant {value = dense<[4, 4, 2]> : tensor<3xi64>} : tensor<3xi64>
  // expected-error @+1 {{split has 3 sizes for 2 results}}
  %a, %b = onnx.Split %x, %sizes : (tensor<10xf32>, tensor<3xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return %a : tensor<?xf32>
}

// -----

func.func @split_negative_size(%x: tensor<?xf32>) -> tensor<?xf32> {
  %sizes = onnx.Constant {value = dense<[-1, 5]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{split size -1 is negative}}
  %a, %b = onnx.Split %x, %sizes : (tensor<?xf32>, tensor<2xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return %a : tensor<?xf32>
}

// -----

func.func @split_uneven(%x: tensor<7xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{dimension 7 does not split evenly into 2}}
  %a, %b = onnx.Split %x : (tensor<7xf32>) -> (tensor<?xf32>, tensor<?xf32>)
  return %a : tensor<?xf32>
}

// -----

func.func @split_bad_axis(%x: tensor<4xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{axis -2 is out of range for rank 1}}
  %a, %b = onnx.Split %x {axis = -2 : i64} : (tensor<4xf32>) -> (tensor<?xf32>, tensor<?xf32>)
  return %a : tensor<?xf32>
}

// -----

func.func @split_result_contradicts(%x: tensor<7xf32>) -> tensor<3xf32> {
  // ceil(7 / 3) = 3: parts of 3, 3 and 1.
  // expected-error @+1 {{result #2 has type 'tensor<2xf32>' but its operands and attributes give 'tensor<1xf32>'}}
  %a, %b, %c = onnx.Split %x {num_outputs = 3 : i64} : (tensor<7xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<2xf32>)
  return %a : tensor<3xf32>
}

// -----

func.func @squeeze_non_one_dim(%x: tensor<1x3xf32>) -> tensor<*xf32> {
  %axes = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{cannot squeeze dimension 1 of size 3}}
  %s = onnx.Squeeze %x, %axes : (tensor<1x3xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %s : tensor<*xf32>
}

// -----

func.func @squeeze_bad_axis(%x: tensor<1x3xf32>) -> tensor<*xf32> {
  %axes = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %s = onnx.Squeeze %x, %axes : (tensor<1x3xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %s : tensor<*xf32>
}

// -----

func.func @unsqueeze_repeated_axis(%x: tensor<3xf32>) -> tensor<*xf32> {
  %axes = onnx.Constant {value = dense<[0, -3]> : tensor<2xi64>} : tensor<2xi64>
  // Output rank 3: -3 is axis 0 again.
  // expected-error @+1 {{axis -3 is out of range or repeated for output rank 3}}
  %u = onnx.Unsqueeze %x, %axes : (tensor<3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %u : tensor<*xf32>
}

// -----

func.func @unsqueeze_axis_out_of_range(%x: tensor<3xf32>) -> tensor<*xf32> {
  %axes = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{axis 2 is out of range or repeated for output rank 2}}
  %u = onnx.Unsqueeze %x, %axes : (tensor<3xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %u : tensor<*xf32>
}

// -----

func.func @flatten_bad_axis(%x: tensor<2x3xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{axis 3 is out of range for rank 2}}
  %f = onnx.Flatten %x {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<?x?xf32>
  return %f : tensor<?x?xf32>
}

// -----

func.func @flatten_bad_negative_axis(%x: tensor<2x3xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{axis -3 is out of range for rank 2}}
  %f = onnx.Flatten %x {axis = -3 : i64} : (tensor<2x3xf32>) -> tensor<?x?xf32>
  return %f : tensor<?x?xf32>
}

// -----

func.func @expand_conflict(%x: tensor<3x1xf32>) -> tensor<*xf32> {
  %s = onnx.Constant {value = dense<[2, 4]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{input 'tensor<3x1xf32>' cannot be expanded to the given shape}}
  %e = onnx.Expand %x, %s : (tensor<3x1xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %e : tensor<*xf32>
}

// -----

func.func @tile_repeats_length(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %r = onnx.Constant {value = dense<[1, 2, 3]> : tensor<3xi64>} : tensor<3xi64>
  // expected-error @+1 {{repeats has 3 entries for an input of rank 2}}
  %t = onnx.Tile %x, %r : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<*xf32>
  return %t : tensor<*xf32>
}

// -----

func.func @trilu_of_vector(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{input must have rank 2 or more}}
  %y = onnx.Trilu %x : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @trilu_k_not_scalar(%x: tensor<4x4xf32>, %k: tensor<2xi64>) -> tensor<4x4xf32> {
  // expected-error @+1 {{k must be a scalar}}
  %y = onnx.Trilu %x, %k : (tensor<4x4xf32>, tensor<2xi64>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

func.func @range_not_scalar(%a: tensor<2xi64>, %b: tensor<i64>) -> tensor<?xi64> {
  // expected-error @+1 {{operands must be scalars}}
  %r = onnx.Range %a, %b, %b : (tensor<2xi64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %r : tensor<?xi64>
}

// -----

func.func @range_zero_delta(%a: tensor<i64>) -> tensor<?xi64> {
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  // expected-error @+1 {{delta must not be 0}}
  %r = onnx.Range %zero, %one, %zero : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %r : tensor<?xi64>
}

// -----

func.func @range_element_type_mismatch(%a: tensor<i64>, %b: tensor<i32>) -> tensor<?xi64> {
  // expected-error @+1 {{operands must have one element type, got 'i64' and 'i32'}}
  %r = onnx.Range %a, %b, %a : (tensor<i64>, tensor<i32>, tensor<i64>) -> tensor<?xi64>
  return %r : tensor<?xi64>
}

// -----

func.func @constant_of_shape_value_count(%s: tensor<2xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{value must have exactly one element, it has 2}}
  %z = onnx.ConstantOfShape %s {value = dense<[0.0, 1.0]> : tensor<2xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  return %z : tensor<?x?xf32>
}

// -----

func.func @constant_of_shape_negative_dim() -> tensor<*xf32> {
  %s = onnx.Constant {value = dense<[2, -1]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{shape has negative dimension -1}}
  %z = onnx.ConstantOfShape %s : (tensor<2xi64>) -> tensor<*xf32>
  return %z : tensor<*xf32>
}

// -----

func.func @attention_3d_without_heads(%q: tensor<1x8x64xf32>) -> tensor<1x8x64xf32> {
  // expected-error @+1 {{3-D Q, K, V need the q_num_heads and kv_num_heads attributes}}
  %y, %pk, %pv, %qk = onnx.Attention %q, %q, %q {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>} : (tensor<1x8x64xf32>, tensor<1x8x64xf32>, tensor<1x8x64xf32>) -> (tensor<1x8x64xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  return %y : tensor<1x8x64xf32>
}

// -----

func.func @attention_heads_not_grouped(%q: tensor<1x6x4x16xf32>, %k: tensor<1x4x4x16xf32>) -> tensor<1x6x4x16xf32> {
  // expected-error @+1 {{Q's 6 heads are not a multiple of K's and V's 4}}
  %y, %pk, %pv, %qk = onnx.Attention %q, %k, %k {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>} : (tensor<1x6x4x16xf32>, tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) -> (tensor<1x6x4x16xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  return %y : tensor<1x6x4x16xf32>
}

// -----

func.func @gqa_heads_not_grouped(%q: tensor<1x6x48xf32>, %k: tensor<1x6x32xf32>, %s: tensor<1xi32>, %t: tensor<i32>) -> tensor<1x6x48xf32> {
  // expected-error @+1 {{num_heads (3) must be a positive multiple of kv_num_heads (2)}}
  %o, %pk, %pv = onnx.com.microsoft.GroupQueryAttention %q, %k, %k, %s, %t {kv_num_heads = 2 : i64, num_heads = 3 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 1, 0, 0, 0>} : (tensor<1x6x48xf32>, tensor<1x6x32xf32>, tensor<1x6x32xf32>, tensor<1xi32>, tensor<i32>) -> (tensor<1x6x48xf32>, tensor<*xf32>, tensor<*xf32>)
  return %o : tensor<1x6x48xf32>
}

// -----

func.func @gqa_key_width(%q: tensor<1x6x64xf32>, %k: tensor<1x6x48xf32>, %s: tensor<1xi32>, %t: tensor<i32>) -> tensor<1x6x64xf32> {
  // expected-error @+1 {{kv_num_heads * head_size and key/value's hidden size disagree: 48 and 32}}
  %o, %pk, %pv = onnx.com.microsoft.GroupQueryAttention %q, %k, %k, %s, %t {kv_num_heads = 2 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 1, 0, 0, 0>} : (tensor<1x6x64xf32>, tensor<1x6x48xf32>, tensor<1x6x48xf32>, tensor<1xi32>, tensor<i32>) -> (tensor<1x6x64xf32>, tensor<*xf32>, tensor<*xf32>)
  return %o : tensor<1x6x64xf32>
}

// -----

func.func @gqa_rotary_without_caches(%q: tensor<1x6x64xf32>, %k: tensor<1x6x32xf32>, %s: tensor<1xi32>, %t: tensor<i32>) -> tensor<1x6x64xf32> {
  // expected-error @+1 {{do_rotary needs cos_cache and sin_cache}}
  %o, %pk, %pv = onnx.com.microsoft.GroupQueryAttention %q, %k, %k, %s, %t {do_rotary = 1 : i64, kv_num_heads = 2 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 1, 0, 0, 0>} : (tensor<1x6x64xf32>, tensor<1x6x32xf32>, tensor<1x6x32xf32>, tensor<1xi32>, tensor<i32>) -> (tensor<1x6x64xf32>, tensor<*xf32>, tensor<*xf32>)
  return %o : tensor<1x6x64xf32>
}

// -----

func.func @mha_packed_qkv(%q: tensor<1x6x4x3x8xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{packed QKV (no key and value) is not supported; give query, key and value as 3-D tensors}}
  %o, %pk, %pv = onnx.com.microsoft.MultiHeadAttention %q {num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 0, 0, 0, 0, 0>} : (tensor<1x6x4x3x8xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  return %o : tensor<*xf32>
}

// -----

func.func @rotary_3d_without_heads(%x: tensor<2x5x64xf32>, %c: tensor<32x8xf32>, %p: tensor<2x5xi64>) -> tensor<2x5x64xf32> {
  // expected-error @+1 {{a 3-D X needs a positive num_heads}}
  %y = onnx.RotaryEmbedding %x, %c, %c, %p : (tensor<2x5x64xf32>, tensor<32x8xf32>, tensor<32x8xf32>, tensor<2x5xi64>) -> tensor<2x5x64xf32>
  return %y : tensor<2x5x64xf32>
}

// -----

func.func @rotary_tables_without_positions(%x: tensor<2x4x5x16xf32>, %c: tensor<32x8xf32>) -> tensor<2x4x5x16xf32> {
  // expected-error @+1 {{cos_cache and sin_cache must be 3-D [batch, sequence, rotary_dim / 2] without position_ids}}
  %y = onnx.RotaryEmbedding %x, %c, %c : (tensor<2x4x5x16xf32>, tensor<32x8xf32>, tensor<32x8xf32>) -> tensor<2x4x5x16xf32>
  return %y : tensor<2x4x5x16xf32>
}
