// RUN: xf-opt %s -split-input-file -verify-diagnostics -xf-insert-speculative-decode="draft-layers=1" | FileCheck %s

// A minimal paged step of two layers (each: a KV-cache write, paged
// attention over it, a residual add), the row gather and the final norm.
// @main stays as it was; @main_draft's gather (and so its norm) reads the
// residual stream after layer 1, and layer 2, its KV-cache write
// included, is gone.
// CHECK:       module attributes {xf.draft_layers = 1 : i64}
// CHECK-LABEL: func.func @main(
// CHECK-COUNT-2: xf.kv_cache_write
// CHECK:         %[[H2:.+]] = onnx.Add %[[H1:.+]], %{{.+}}
// CHECK:         onnx.Gather %[[H2]], %arg{{[0-9]+}} {axis = 1 : i64}
// CHECK-LABEL: func.func @main_draft(
// CHECK-SAME:    {onnx.name = "logits_rows"}
// CHECK:         xf.kv_cache_write
// CHECK-NOT:     xf.kv_cache_write
// CHECK:         %[[D1:.+]] = onnx.Add %arg9, %{{.+}}
// CHECK-NOT:     onnx.Add
// CHECK:         %[[SEL:.+]] = onnx.Gather %[[D1]], %arg{{[0-9]+}} {axis = 1 : i64}
// CHECK:         %[[N:.+]] = xf.rms_norm %[[SEL]]
// CHECK:         %[[L:.+]] = xf.linear %[[N]]
// CHECK:         return %[[L]]
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "input_ids"},
                %slots: tensor<1x?xi32> {onnx.name = "slot_mapping"},
                %tables: tensor<1x?xi32> {onnx.name = "block_tables"},
                %lens: tensor<1xi32> {onnx.name = "context_lens"},
                %k0: tensor<?x1x4x4xf32>, %v0: tensor<?x1x4x4xf32>,
                %k1: tensor<?x1x4x4xf32>, %v1: tensor<?x1x4x4xf32>,
                %rows: tensor<?xi64> {onnx.name = "logits_rows"},
                %x: tensor<1x?x4xf32> {onnx.name = "x"})
    -> (tensor<1x?x3xf32> {onnx.name = "logits"}) {
  %axis = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %w = onnx.Constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xf32>
  %head = onnx.Constant {value = dense<0.5> : tensor<3x4xf32>} : tensor<3x4xf32>
  // Layer 1.
  %q0 = onnx.Unsqueeze %x, %axis : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
  %kp0, %vp0 = xf.kv_cache_write %q0, %q0 into %k0, %v0 at %slots : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>) -> (tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>)
  %a0 = xf.paged_attention %q0, %kp0, %vp0, %tables, %lens scale = 5.000000e-01 causal : (tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>, tensor<1xi32>) -> tensor<1x1x?x4xf32>
  %s0 = onnx.Squeeze %a0, %axis : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x?x4xf32>
  %h1 = onnx.Add %x, %s0 : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  // Layer 2.
  %q1 = onnx.Unsqueeze %h1, %axis : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
  %kp1, %vp1 = xf.kv_cache_write %q1, %q1 into %k1, %v1 at %slots : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>) -> (tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>)
  %a1 = xf.paged_attention %q1, %kp1, %vp1, %tables, %lens scale = 5.000000e-01 causal : (tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>, tensor<1xi32>) -> tensor<1x1x?x4xf32>
  %s1 = onnx.Squeeze %a1, %axis : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x?x4xf32>
  %h2 = onnx.Add %h1, %s1 : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  // The tail: rows, final norm, head.
  %sel = onnx.Gather %h2, %rows {axis = 1 : i64} : (tensor<1x?x4xf32>, tensor<?xi64>) -> tensor<1x?x4xf32>
  %n = xf.rms_norm %sel, %w epsilon = 1.0E-6 : (tensor<1x?x4xf32>, tensor<4xf32>) -> tensor<1x?x4xf32>
  %logits = xf.linear %n, %head : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  return %logits : tensor<1x?x3xf32>
}

// -----

// draft-layers=1 on a model of one layer: the draft must keep fewer.
// expected-error @+1 {{--draft=self:layers=1: the model has 1 layers; the draft must keep fewer (1 to 0)}}
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "input_ids"},
                %slots: tensor<1x?xi32> {onnx.name = "slot_mapping"},
                %tables: tensor<1x?xi32> {onnx.name = "block_tables"},
                %lens: tensor<1xi32> {onnx.name = "context_lens"},
                %k0: tensor<?x1x4x4xf32>, %v0: tensor<?x1x4x4xf32>,
                %rows: tensor<?xi64> {onnx.name = "logits_rows"},
                %x: tensor<1x?x4xf32> {onnx.name = "x"})
    -> (tensor<1x?x3xf32> {onnx.name = "logits"}) {
  %axis = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %w = onnx.Constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xf32>
  %head = onnx.Constant {value = dense<0.5> : tensor<3x4xf32>} : tensor<3x4xf32>
  %q0 = onnx.Unsqueeze %x, %axis : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
  %kp0, %vp0 = xf.kv_cache_write %q0, %q0 into %k0, %v0 at %slots : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>) -> (tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>)
  %a0 = xf.paged_attention %q0, %kp0, %vp0, %tables, %lens scale = 5.000000e-01 causal : (tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>, tensor<1xi32>) -> tensor<1x1x?x4xf32>
  %s0 = onnx.Squeeze %a0, %axis : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x?x4xf32>
  %h1 = onnx.Add %x, %s0 : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  %sel = onnx.Gather %h1, %rows {axis = 1 : i64} : (tensor<1x?x4xf32>, tensor<?xi64>) -> tensor<1x?x4xf32>
  %n = xf.rms_norm %sel, %w epsilon = 1.0E-6 : (tensor<1x?x4xf32>, tensor<4xf32>) -> tensor<1x?x4xf32>
  %logits = xf.linear %n, %head : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  return %logits : tensor<1x?x3xf32>
}

// -----

// No final norm on the way to the logits: no place to exit early.
// expected-error @+1 {{--draft=self:layers: no final norm (xf.rms_norm or xf.layer_norm) on the way to the logits}}
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "input_ids"},
                %slots: tensor<1x?xi32> {onnx.name = "slot_mapping"},
                %tables: tensor<1x?xi32> {onnx.name = "block_tables"},
                %lens: tensor<1xi32> {onnx.name = "context_lens"},
                %k0: tensor<?x1x4x4xf32>, %v0: tensor<?x1x4x4xf32>,
                %rows: tensor<?xi64> {onnx.name = "logits_rows"},
                %x: tensor<1x?x4xf32> {onnx.name = "x"})
    -> (tensor<1x?x3xf32> {onnx.name = "logits"}) {
  %axis = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %w = onnx.Constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xf32>
  %head = onnx.Constant {value = dense<0.5> : tensor<3x4xf32>} : tensor<3x4xf32>
  %q0 = onnx.Unsqueeze %x, %axis : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
  %kp0, %vp0 = xf.kv_cache_write %q0, %q0 into %k0, %v0 at %slots : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>) -> (tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>)
  %a0 = xf.paged_attention %q0, %kp0, %vp0, %tables, %lens scale = 5.000000e-01 causal : (tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>, tensor<1xi32>) -> tensor<1x1x?x4xf32>
  %s0 = onnx.Squeeze %a0, %axis : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x?x4xf32>
  %h1 = onnx.Add %x, %s0 : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  %sel = onnx.Gather %h1, %rows {axis = 1 : i64} : (tensor<1x?x4xf32>, tensor<?xi64>) -> tensor<1x?x4xf32>
  %logits = xf.linear %sel, %head : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  return %logits : tensor<1x?x3xf32>
}

// -----

// Not a paged step (no slot_mapping): the verify step would not be one call.
// expected-error @+1 {{speculative decoding needs the paged KV cache and the logits row selection}}
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "input_ids"},
                %rows: tensor<?xi64> {onnx.name = "logits_rows"},
                %x: tensor<1x?x4xf32> {onnx.name = "x"})
    -> (tensor<1x?x3xf32> {onnx.name = "logits"}) {
  %w = onnx.Constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xf32>
  %head = onnx.Constant {value = dense<0.5> : tensor<3x4xf32>} : tensor<3x4xf32>
  %sel = onnx.Gather %x, %rows {axis = 1 : i64} : (tensor<1x?x4xf32>, tensor<?xi64>) -> tensor<1x?x4xf32>
  %n = xf.rms_norm %sel, %w epsilon = 1.0E-6 : (tensor<1x?x4xf32>, tensor<4xf32>) -> tensor<1x?x4xf32>
  %logits = xf.linear %n, %head : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  return %logits : tensor<1x?x3xf32>
}

// -----

// Paged, but without the logits row selection (no logits_rows).
// expected-error @+1 {{speculative decoding needs the paged KV cache and the logits row selection}}
func.func @main(%ids: tensor<1x?xi64> {onnx.name = "input_ids"},
                %slots: tensor<1x?xi32> {onnx.name = "slot_mapping"},
                %tables: tensor<1x?xi32> {onnx.name = "block_tables"},
                %lens: tensor<1xi32> {onnx.name = "context_lens"},
                %k0: tensor<?x1x4x4xf32>, %v0: tensor<?x1x4x4xf32>,
                %rows: tensor<?xi64> {onnx.name = "rows"},
                %x: tensor<1x?x4xf32> {onnx.name = "x"})
    -> (tensor<1x?x3xf32> {onnx.name = "logits"}) {
  %axis = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %w = onnx.Constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xf32>
  %head = onnx.Constant {value = dense<0.5> : tensor<3x4xf32>} : tensor<3x4xf32>
  %q0 = onnx.Unsqueeze %x, %axis : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
  %kp0, %vp0 = xf.kv_cache_write %q0, %q0 into %k0, %v0 at %slots : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>) -> (tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>)
  %a0 = xf.paged_attention %q0, %kp0, %vp0, %tables, %lens scale = 5.000000e-01 causal : (tensor<1x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x4x4xf32>, tensor<1x?xi32>, tensor<1xi32>) -> tensor<1x1x?x4xf32>
  %s0 = onnx.Squeeze %a0, %axis : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x?x4xf32>
  %h1 = onnx.Add %x, %s0 : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  %sel = onnx.Gather %h1, %rows {axis = 1 : i64} : (tensor<1x?x4xf32>, tensor<?xi64>) -> tensor<1x?x4xf32>
  %n = xf.rms_norm %sel, %w epsilon = 1.0E-6 : (tensor<1x?x4xf32>, tensor<4xf32>) -> tensor<1x?x4xf32>
  %logits = xf.linear %n, %head : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  return %logits : tensor<1x?x3xf32>
}
