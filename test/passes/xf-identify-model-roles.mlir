// RUN: xf-opt %s -split-input-file -xf-identify-model-roles -verify-diagnostics | FileCheck %s

// Roles by dataflow, whatever the exporter named the inputs: the ids gather
// the [vocab, hidden] table, the mask reaches a bool cast, the positions a
// float cast; the cache pair is what an output returns grown on axis 2.
// CHECK-LABEL: func.func @main
// CHECK-SAME: {onnx.name = "input_ids", xf.exported_name = "tokens"}
// CHECK-SAME: {onnx.name = "attention_mask", xf.exported_name = "mask"}
// CHECK-SAME: {onnx.name = "position_ids", xf.exported_name = "pos"}
// CHECK-SAME: {onnx.name = "past_key_values.0.key", xf.exported_name = "cache_k"}
// CHECK-SAME: {onnx.name = "past_key_values.0.value", xf.exported_name = "cache_v"}
// CHECK-SAME: -> (tensor<?x?x8xf32> {onnx.name = "logits", xf.exported_name = "scores"}, tensor<?x2x?x4xf32> {onnx.name = "present.0.key", xf.exported_name = "k_out"}, tensor<?x2x?x4xf32> {onnx.name = "present.0.value", xf.exported_name = "v_out"})
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "tokens"},
                %mask: tensor<?x?xi64> {onnx.name = "mask"},
                %pos: tensor<?x?xi64> {onnx.name = "pos"},
                %pk: tensor<?x2x?x4xf32> {onnx.name = "cache_k"},
                %pv: tensor<?x2x?x4xf32> {onnx.name = "cache_v"})
    -> (tensor<?x?x8xf32> {onnx.name = "scores"},
        tensor<?x2x?x4xf32> {onnx.name = "k_out"},
        tensor<?x2x?x4xf32> {onnx.name = "v_out"}) {
  %table = onnx.Constant {value = dense<1.0> : tensor<8x8xf32>} : tensor<8x8xf32>
  %e = onnx.Gather %table, %ids : (tensor<8x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %b = onnx.Cast %mask {to = i1} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  %axes = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %b3 = onnx.Unsqueeze %b, %axes : (tensor<?x?xi1>, tensor<1xi64>) -> tensor<?x?x1xi1>
  %f = onnx.Cast %pos {to = f32} : (tensor<?x?xi64>) -> tensor<?x?xf32>
  %f3 = onnx.Unsqueeze %f, %axes : (tensor<?x?xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %x = onnx.Add %e, %f3 : (tensor<?x?x8xf32>, tensor<?x?x1xf32>) -> tensor<?x?x8xf32>
  %y = onnx.Where %b3, %x, %e : (tensor<?x?x1xi1>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %nk = onnx.Reshape %y, %pos {allowzero = 0 : i64} : (tensor<?x?x8xf32>, tensor<?x?xi64>) -> tensor<?x2x?x4xf32>
  %k = onnx.Concat %pk, %nk {axis = 2 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %v = onnx.Concat %pv, %nk {axis = 2 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %y, %k, %v : tensor<?x?x8xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
}

// -----

// A 1-D cache_position input reads position_ids, added if missing.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<?x?xi64> {onnx.name = "input_ids"}
// CHECK-SAME: %[[POS:[^:]+]]: tensor<?x?xi64> {onnx.name = "position_ids"}
// CHECK: %[[FLAT:.+]] = onnx.Reshape %[[POS]]
// CHECK: onnx.Cast %[[FLAT]] {to = f32}
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %cache: tensor<?xi64> {onnx.name = "cache_position"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<1.0> : tensor<8x8xf32>} : tensor<8x8xf32>
  %e = onnx.Gather %table, %ids : (tensor<8x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %f = onnx.Cast %cache {to = f32} : (tensor<?xi64>) -> tensor<?xf32>
  %axes = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %f2 = onnx.Unsqueeze %f, %axes : (tensor<?xf32>, tensor<1xi64>) -> tensor<?x1xf32>
  %x = onnx.Add %e, %f2 : (tensor<?x?x8xf32>, tensor<?x1xf32>) -> tensor<?x?x8xf32>
  return %x : tensor<?x?x8xf32>
}

// -----

// A name that says one role while the dataflow says another is refused.
// expected-error @+1 {{input 'attention_mask' is named like the attention_mask, but what it feeds makes it the position_ids}}
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %mask: tensor<?x?xi64> {onnx.name = "attention_mask"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<1.0> : tensor<8x8xf32>} : tensor<8x8xf32>
  %e = onnx.Gather %table, %ids : (tensor<8x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %f = onnx.Cast %mask {to = f32} : (tensor<?x?xi64>) -> tensor<?x?xf32>
  %axes = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %f3 = onnx.Unsqueeze %f, %axes : (tensor<?x?xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %x = onnx.Add %e, %f3 : (tensor<?x?x8xf32>, tensor<?x?x1xf32>) -> tensor<?x?x8xf32>
  return %x : tensor<?x?x8xf32>
}

// -----

// A float rank-4 input that no output returns grown: a cache form xfc does
// not know.
// expected-error @+1 {{input 'past' looks like a KV cache, but no output returns it grown}}
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %past: tensor<?x2x?x4xf32> {onnx.name = "past"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<1.0> : tensor<8x8xf32>} : tensor<8x8xf32>
  %e = onnx.Gather %table, %ids : (tensor<8x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// -----

// No input gathers rows of a table as long as the vocabulary.
// expected-error @+1 {{no input feeds a token embedding (a Gather from a float [8, hidden] table)}}
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<1.0> : tensor<16x8xf32>} : tensor<16x8xf32>
  %e = onnx.Gather %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %w = onnx.Constant {value = dense<1.0> : tensor<8x8xf32>} : tensor<8x8xf32>
  %l = onnx.MatMul %e, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %l : tensor<?x?x8xf32>
}
