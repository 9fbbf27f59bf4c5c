// RUN: xf-opt %s -split-input-file -xf-identify-model-roles -verify-diagnostics | FileCheck %s

// Roles by dataflow, whatever the exporter named the inputs: the ids gather
// the [vocab, hidden] table, the mask reaches a bool cast, the positions a
// float cast; the cache pair is what an output returns grown on axis 2.
// CHECK-LABEL: func.func @main
// CHECK-SAME: {onnx.name = "input_ids", xf.exported_name = "tokens", xf.positive_dims = [0, 1]}
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

// GroupQueryAttention reads the cache (as the GenAI builder writes it, with
// the mask reaching ReduceSum): its present_key / present_value are the
// past_key / past_value grown, one layer per op, whatever order the
// outputs come in.
// CHECK-LABEL: func.func @main
// CHECK-SAME: {onnx.name = "input_ids", xf.exported_name = "tokens"
// CHECK-SAME: {onnx.name = "attention_mask", xf.exported_name = "mask"}
// CHECK-SAME: {onnx.name = "past_key_values.0.key", xf.exported_name = "k0"}
// CHECK-SAME: {onnx.name = "past_key_values.0.value", xf.exported_name = "v0"}
// CHECK-SAME: {onnx.name = "past_key_values.1.key", xf.exported_name = "k1"}
// CHECK-SAME: {onnx.name = "past_key_values.1.value", xf.exported_name = "v1"}
// CHECK-SAME: {onnx.name = "logits"}, tensor<1x2x?x16xf32> {onnx.name = "present.0.key", xf.exported_name = "k0_out"}, tensor<1x2x?x16xf32> {onnx.name = "present.1.key", xf.exported_name = "k1_out"}, tensor<1x2x?x16xf32> {onnx.name = "present.0.value", xf.exported_name = "v0_out"}, tensor<1x2x?x16xf32> {onnx.name = "present.1.value", xf.exported_name = "v1_out"})
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "tokens"},
                %mask: tensor<1x?xi64> {onnx.name = "mask"},
                %k0: tensor<1x2x?x16xf32> {onnx.name = "k0"},
                %v0: tensor<1x2x?x16xf32> {onnx.name = "v0"},
                %k1: tensor<1x2x?x16xf32> {onnx.name = "k1"},
                %v1: tensor<1x2x?x16xf32> {onnx.name = "v1"})
    -> (tensor<1x?x128xf32> {onnx.name = "logits"},
        tensor<1x2x?x16xf32> {onnx.name = "k0_out"},
        tensor<1x2x?x16xf32> {onnx.name = "k1_out"},
        tensor<1x2x?x16xf32> {onnx.name = "v0_out"},
        tensor<1x2x?x16xf32> {onnx.name = "v1_out"}) {
  %table = onnx.Constant {value = dense<1.0> : tensor<128x128xf32>} : tensor<128x128xf32>
  %e = onnx.Gather %table, %ids : (tensor<128x128xf32>, tensor<1x?xi64>) -> tensor<1x?x128xf32>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %sum = onnx.ReduceSum %mask, %one {keepdims = 0 : i64} : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1xi64>
  %sub = onnx.Sub %sum, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %seqlens = onnx.Cast %sub {to = i32} : (tensor<1xi64>) -> tensor<1xi32>
  %shape = onnx.Shape %mask {start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
  %total = onnx.Cast %shape {to = i32} : (tensor<1xi64>) -> tensor<1xi32>
  %o0, %pk0, %pv0 = onnx.com.microsoft.GroupQueryAttention %e, %k0, %v0, %seqlens, %total {kv_num_heads = 2 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 1, 1, 1, 1, 0, 0, 0>} : (tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1xi32>, tensor<1xi32>) -> (tensor<1x?x64xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
  %o1, %pk1, %pv1 = onnx.com.microsoft.GroupQueryAttention %e, %k1, %v1, %seqlens, %total {kv_num_heads = 2 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 1, 1, 1, 1, 0, 0, 0>} : (tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1xi32>, tensor<1xi32>) -> (tensor<1x?x64xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
  return %e, %pk0, %pk1, %pv0, %pv1 : tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
}

// -----

// A 1-D cache_position input reads position_ids, added if missing.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<?x?xi64> {onnx.name = "input_ids", xf.positive_dims = [0, 1]}
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
