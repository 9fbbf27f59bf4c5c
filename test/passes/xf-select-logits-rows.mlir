// RUN: xf-opt %s -split-input-file -xf-select-logits-rows | FileCheck %s

// The final norm, the head and a soft-cap run on the selected rows; the
// residual stream before them is computed for every token.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    %[[ROWS:[a-z0-9]+]]: tensor<?xi64> {onnx.dim_params = ["xf.rows"], onnx.name = "logits_rows"}
// CHECK:         %[[H:.+]] = onnx.Add
// CHECK:         %[[SEL:.+]] = onnx.Gather %[[H]], %[[ROWS]] {axis = 1 : i64} : (tensor<1x?x4xf32>, tensor<?xi64>) -> tensor<1x?x4xf32>
// CHECK:         %[[N:.+]] = xf.rms_norm %[[SEL]]
// CHECK:         %[[L:.+]] = xf.linear %[[N]]
// CHECK:         onnx.Div %[[L]]
// CHECK:         onnx.Tanh
// CHECK:         onnx.Mul
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "input_ids"},
                %slots: tensor<?x?xi32> {onnx.name = "slot_mapping"},
                %x: tensor<1x?x4xf32> {onnx.name = "x"})
    -> (tensor<1x?x3xf32> {onnx.name = "logits"}) {
  %w = onnx.Constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xf32>
  %head = onnx.Constant {value = dense<0.5> : tensor<3x4xf32>} : tensor<3x4xf32>
  %cap = onnx.Constant {value = dense<30.0> : tensor<f32>} : tensor<f32>
  %h = onnx.Add %x, %x : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  %n = xf.rms_norm %h, %w epsilon = 1.0E-6 : (tensor<1x?x4xf32>, tensor<4xf32>) -> tensor<1x?x4xf32>
  %l = xf.linear %n, %head : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  %d = onnx.Div %l, %cap : (tensor<1x?x3xf32>, tensor<f32>) -> tensor<1x?x3xf32>
  %t = onnx.Tanh %d : (tensor<1x?x3xf32>) -> tensor<1x?x3xf32>
  %logits = onnx.Mul %t, %cap : (tensor<1x?x3xf32>, tensor<f32>) -> tensor<1x?x3xf32>
  return %logits : tensor<1x?x3xf32>
}

// -----

// A value of the tail read by something else (here a second output) keeps
// all its rows; the gather goes after it.
// CHECK-LABEL: func.func @main
// CHECK:         %[[N:.+]] = xf.rms_norm %arg2
// CHECK:         %[[SEL:.+]] = onnx.Gather %[[N]], %arg3 {axis = 1 : i64}
// CHECK:         %[[L:.+]] = xf.linear %[[SEL]]
// CHECK:         return %[[L]], %[[N]]
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "input_ids"},
                %slots: tensor<?x?xi32> {onnx.name = "slot_mapping"},
                %x: tensor<1x?x4xf32> {onnx.name = "x"})
    -> (tensor<1x?x3xf32> {onnx.name = "logits"}, tensor<1x?x4xf32> {onnx.name = "hidden"}) {
  %w = onnx.Constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xf32>
  %head = onnx.Constant {value = dense<0.5> : tensor<3x4xf32>} : tensor<3x4xf32>
  %n = xf.rms_norm %x, %w epsilon = 1.0E-6 : (tensor<1x?x4xf32>, tensor<4xf32>) -> tensor<1x?x4xf32>
  %logits = xf.linear %n, %head : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  return %logits, %n : tensor<1x?x3xf32>, tensor<1x?x4xf32>
}

// -----

// A tail that mixes in something computed per token (an input here) is not
// position-wise in its operands: every row is computed, as before.
// CHECK-LABEL: func.func @main
// CHECK-NOT:     logits_rows
// CHECK-NOT:     onnx.Gather
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "input_ids"},
                %slots: tensor<?x?xi32> {onnx.name = "slot_mapping"},
                %x: tensor<1x?x4xf32> {onnx.name = "x"},
                %bias: tensor<1x?x3xf32> {onnx.name = "bias"})
    -> (tensor<1x?x3xf32> {onnx.name = "logits"}) {
  %head = onnx.Constant {value = dense<0.5> : tensor<3x4xf32>} : tensor<3x4xf32>
  %l = xf.linear %x, %head : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  %logits = onnx.Add %l, %bias : (tensor<1x?x3xf32>, tensor<1x?x3xf32>) -> tensor<1x?x3xf32>
  return %logits : tensor<1x?x3xf32>
}

// -----

// Not a paged step (no slot_mapping): left alone.
// CHECK-LABEL: func.func @main
// CHECK-NOT:     logits_rows
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "input_ids"},
                %x: tensor<1x?x4xf32> {onnx.name = "x"})
    -> (tensor<1x?x3xf32> {onnx.name = "logits"}) {
  %head = onnx.Constant {value = dense<0.5> : tensor<3x4xf32>} : tensor<3x4xf32>
  %logits = xf.linear %x, %head : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  return %logits : tensor<1x?x3xf32>
}
