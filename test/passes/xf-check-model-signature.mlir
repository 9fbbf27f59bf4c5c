// RUN: xf-opt %s -split-input-file -xf-check-model-signature -verify-diagnostics | FileCheck %s

// A language model a program can drive: token ids, mask and positions in,
// logits out. The IR is not changed.
// CHECK-LABEL: func.func @main
// CHECK-SAME: onnx.name = "input_ids"
// CHECK-SAME: onnx.name = "attention_mask"
// CHECK-SAME: onnx.name = "position_ids"
// CHECK-SAME: -> (tensor<?x?x8xf32> {onnx.name = "logits"})
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %mask: tensor<?x?xi64> {onnx.name = "attention_mask"},
                %pos: tensor<?x?xi64> {onnx.name = "position_ids"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %t = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %e = onnx.Gather %t, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// -----

// An optimum export's cache: past_key_values.* in, present.* out.
// CHECK-LABEL: func.func @main
// CHECK-SAME: onnx.name = "past_key_values.0.key"
// CHECK-SAME: onnx.name = "present.0.key"
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %pk: tensor<?x2x?x4xf32> {onnx.name = "past_key_values.0.key"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"},
        tensor<?x2x?x4xf32> {onnx.name = "present.0.key"}) {
  %t = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %e = onnx.Gather %t, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  return %e, %pk : tensor<?x?x8xf32>, tensor<?x2x?x4xf32>
}

// -----

// An input the program does not feed.
// expected-error @+1 {{xfc compiles language models with inputs input_ids and optionally attention_mask and position_ids (int64 [batch, sequence]) and past_key_values.* (float [batch, heads, past, head_dim]), and outputs logits (float32 [batch, sequence, vocab] with a static vocab) and optionally present.*; this model has inputs: input_ids tensor<?x?xi64> pixel_values tensor<1x3xf32>; outputs: logits tensor<?x?x8xf32>}}
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %x: tensor<1x3xf32> {onnx.name = "pixel_values"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %t = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %e = onnx.Gather %t, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// -----

// Logits without a static vocabulary.
// expected-error @+1 {{this model has inputs: input_ids tensor<?x?xi64> table tensor<?x?xf32>; outputs: logits tensor<?x?x?xf32>}}
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %t: tensor<?x?xf32> {onnx.name = "table"})
    -> (tensor<?x?x?xf32> {onnx.name = "logits"}) {
  %e = onnx.Gather %t, %ids : (tensor<?x?xf32>, tensor<?x?xi64>) -> tensor<?x?x?xf32>
  return %e : tensor<?x?x?xf32>
}

// -----

// No token ids.
// expected-error @+1 {{this model has inputs: position_ids tensor<?x?xi64>; outputs: logits tensor<?x?x8xf32>}}
func.func @main(%pos: tensor<?x?xi64> {onnx.name = "position_ids"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %t = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %e = onnx.Gather %t, %pos : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}
