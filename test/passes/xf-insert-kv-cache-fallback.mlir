// RUN: xf-opt %s -split-input-file -xf-insert-kv-cache="strict=false" -verify-diagnostics | FileCheck %s

// xfc's mode: what can be paged is paged as in strict mode (xf-insert-kv-cache.mlir).
// CHECK-LABEL: func.func @main
// CHECK-SAME: onnx.name = "slot_mapping"
// CHECK-SAME: xf.kv_block_size = 16
// CHECK: xf.kv_cache_write
// CHECK: xf.paged_attention
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %split = onnx.Constant {value = dense<[0, 0, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
  %join = onnx.Constant {value = dense<[0, 0, 8]> : tensor<3xi64>} : tensor<3xi64>
  %e = onnx.Gather %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %r = onnx.Reshape %e, %split : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %q = onnx.Transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  %a = xf.attention %q, %q, %q scale = 5.000000e-01 causal : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %t = onnx.Transpose %a {perm = [0, 2, 1, 3]} : (tensor<?x2x?x4xf32>) -> tensor<?x?x2x4xf32>
  %o = onnx.Reshape %t, %join : (tensor<?x?x2x4xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// A mask the paged cache cannot apply: a warning, its reason a note at the
// attention, and @main as it was.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%{{.+}}: tensor<?x?xi64> {onnx.name = "input_ids"}) -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
// CHECK-NOT: xf.kv_block_size
// CHECK: xf.attention %{{.+}}, %{{.+}}, %{{.+}} mask
// CHECK-NOT: xf.kv_cache_write
// expected-warning @+1 {{the KV cache is not paged, because:}}
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %split = onnx.Constant {value = dense<[0, 0, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
  %join = onnx.Constant {value = dense<[0, 0, 8]> : tensor<3xi64>} : tensor<3xi64>
  %bias = onnx.Constant {value = dense<-1.0> : tensor<1x2x1x1xf32>} : tensor<1x2x1x1xf32>
  %e = onnx.Gather %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %r = onnx.Reshape %e, %split : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %q = onnx.Transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  // expected-note @+1 {{xf-insert-kv-cache: this attention has a mask other than causal and a sliding window}}
  %a = xf.attention %q, %q, %q mask %bias scale = 5.000000e-01 causal : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<1x2x1x1xf32>) -> tensor<?x2x?x4xf32>
  %t = onnx.Transpose %a {perm = [0, 2, 1, 3]} : (tensor<?x2x?x4xf32>) -> tensor<?x?x2x4xf32>
  %o = onnx.Reshape %t, %join : (tensor<?x?x2x4xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// A failure found after the rewrite began (the past is still read by
// something else once the layer is paged) leaves @main untouched too: the
// pass pages a copy.
// CHECK-LABEL: func.func @main
// CHECK-SAME: onnx.name = "past_key_values.0.key"
// CHECK-NOT: slot_mapping
// CHECK: onnx.Concat
// CHECK: xf.attention
// CHECK-NOT: xf.kv_cache_write
// expected-warning @+1 {{the KV cache is not paged, because:}}
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %pk: tensor<?x2x?x4xf32> {onnx.name = "past_key_values.0.key"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"},
        tensor<?x2x?x4xf32> {onnx.name = "extra"}) {
  %table = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %split = onnx.Constant {value = dense<[0, 0, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
  %join = onnx.Constant {value = dense<[0, 0, 8]> : tensor<3xi64>} : tensor<3xi64>
  %e = onnx.Gather %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %r = onnx.Reshape %e, %split : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %q = onnx.Transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  %k = onnx.Concat %pk, %q {axis = 2 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %a = xf.attention %q, %k, %k scale = 5.000000e-01 causal : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %t = onnx.Transpose %a {perm = [0, 2, 1, 3]} : (tensor<?x2x?x4xf32>) -> tensor<?x?x2x4xf32>
  %o = onnx.Reshape %t, %join : (tensor<?x?x2x4xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  // expected-note @+1 {{xf-insert-kv-cache: input past_key_values.0.key is still read (by onnx.Neg)}}
  %n = onnx.Neg %pk : (tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %o, %n : tensor<?x?x8xf32>, tensor<?x2x?x4xf32>
}

// -----

// Nothing to page: no warning, @main as it was.
// CHECK-LABEL: func.func @main
// CHECK-NEXT: return
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> (tensor<?x?xi64> {onnx.name = "logits"}) {
  return %ids : tensor<?x?xi64>
}
