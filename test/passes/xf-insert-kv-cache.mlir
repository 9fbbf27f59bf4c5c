// RUN: xf-opt %s -split-input-file -xf-insert-kv-cache -verify-diagnostics | FileCheck %s

// A stateless model: new arguments for positions, slots, block tables,
// context lengths and one key and one value pool per layer; the attention
// writes its keys and values into the pools and reads them back paged. The
// flattened [1, H, B*S, D] query is viewed as [B, H, S, D] and back.
// The token-stream inputs share their dim_params, as block_tables and
// context_lens do (xf-check-dim-params checks them on entry).
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<?x?xi64> {onnx.dim_params = ["xf.stream", "xf.tokens"], onnx.name = "input_ids"}
// CHECK-SAME: %[[POS:[^:]+]]: tensor<?x?xi64> {onnx.dim_params = ["xf.stream", "xf.tokens"], onnx.name = "position_ids"}
// CHECK-SAME: %[[SLOTS:[^:]+]]: tensor<?x?xi32> {onnx.dim_params = ["xf.stream", "xf.tokens"], onnx.name = "slot_mapping"}
// CHECK-SAME: %[[TABLES:[^:]+]]: tensor<?x?xi32> {onnx.dim_params = ["xf.sequences", ""], onnx.name = "block_tables"}
// CHECK-SAME: %[[LENS:[^:]+]]: tensor<?xi32> {onnx.dim_params = ["xf.sequences"], onnx.name = "context_lens"}
// CHECK-SAME: %[[KP:[^:]+]]: tensor<?x2x16x4xf32> {onnx.name = "kv_cache.0.key"}
// CHECK-SAME: %[[VP:[^:]+]]: tensor<?x2x16x4xf32> {onnx.name = "kv_cache.0.value"})
// CHECK-SAME: -> (tensor<?x?x8xf32> {onnx.name = "logits"})
// CHECK-SAME: xf.kv_block_size = 16
// CHECK-NOT: xf.kv_window
// CHECK: %[[Q:.+]] = onnx.Transpose
// CHECK: %[[K:[^ ,]+]], %[[V:[^ ]+]] = xf.kv_cache_write %[[Q]], %[[Q]] into %[[KP]], %[[VP]] at %[[SLOTS]]
// A fresh prompt (one sequence, context == its tokens) of more than 16
// tokens attends to its contiguous keys and values; everything else reads
// the pool (a shorter prompt too, so its rows are those of decode steps).
// CHECK: %[[NB:.+]] = tensor.dim %[[LENS]]
// CHECK: %[[SINGLE:.+]] = arith.cmpi eq, %[[NB]]
// CHECK: %[[LEN:.+]] = tensor.extract %[[LENS]]
// CHECK: %[[LENI:.+]] = arith.index_cast %[[LEN]]
// CHECK: %[[T:.+]] = tensor.dim %[[Q]]
// CHECK: %[[FRESH:.+]] = arith.cmpi eq, %[[LENI]], %[[T]]
// CHECK: %[[C16:.+]] = arith.constant 16 : index
// CHECK: %[[MANY:.+]] = arith.cmpi ugt, %[[T]], %[[C16]]
// CHECK: %[[FRESHMANY:.+]] = arith.andi %[[FRESH]], %[[MANY]]
// CHECK: %[[COND:.+]] = arith.andi %[[SINGLE]], %[[FRESHMANY]]
// CHECK: scf.if %[[COND]]
// CHECK-NEXT: %[[FLASH:.+]] = xf.attention %[[Q]], %[[Q]], %[[Q]] scale = 5.000000e-01 causal
// CHECK-NEXT: scf.yield %[[FLASH]]
// CHECK-NEXT: } else {
// CHECK: %[[B:.+]] = onnx.Shape %[[LENS]]
// CHECK: %[[SPLIT:.+]] = onnx.Reshape %[[Q]]
// CHECK: %[[BHSD:.+]] = onnx.Transpose %[[SPLIT]] {perm = [1, 0, 2, 3]}
// CHECK: %[[O:.+]] = xf.paged_attention %[[BHSD]], %[[K]], %[[V]], %[[TABLES]], %[[LENS]] scale = 5.000000e-01 causal
// CHECK: %[[BACK:.+]] = onnx.Transpose %[[O]] {perm = [1, 0, 2, 3]}
// The view back takes the query's sizes (allowzero), so both branches
// yield them: the shape analysis proves what reads the result.
// CHECK: %[[QS:.+]] = onnx.Shape %[[Q]] {end = 3 : i64} : (tensor<?x2x?x4xf32>) -> tensor<3xi64>
// CHECK: %[[JOIN:.+]] = onnx.Concat %[[QS]], %{{.+}} {axis = 0 : i64}
// CHECK: %[[JOINED:.+]] = onnx.Reshape %[[BACK]], %[[JOIN]] {allowzero = 1 : i64}
// CHECK: scf.yield %[[JOINED]]
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

// Every layer attends within a window: the smallest one is recorded for the
// runtime, which releases the blocks behind it. The second layer reads the
// first one's output directly (both are paged; rewriting the first must not
// leave the second's plan holding an erased value).
// CHECK-LABEL: func.func @main
// CHECK-SAME: xf.kv_block_size = 16 : i64, xf.kv_window = 4 : i64
// CHECK: %[[A:.+]] = scf.if
// CHECK: xf.paged_attention {{.*}} window = 8
// CHECK: xf.kv_cache_write %[[A]], %[[A]]
// CHECK: xf.paged_attention {{.*}} window = 4
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %split = onnx.Constant {value = dense<[0, 0, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
  %join = onnx.Constant {value = dense<[0, 0, 8]> : tensor<3xi64>} : tensor<3xi64>
  %e = onnx.Gather %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %r = onnx.Reshape %e, %split : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %q = onnx.Transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  %a = xf.attention %q, %q, %q scale = 5.000000e-01 causal window = 8 : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %b = xf.attention %a, %a, %a scale = 5.000000e-01 causal window = 4 : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %t = onnx.Transpose %b {perm = [0, 2, 1, 3]} : (tensor<?x2x?x4xf32>) -> tensor<?x?x2x4xf32>
  %o = onnx.Reshape %t, %join : (tensor<?x?x2x4xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// A global layer beside a windowed one (Gemma's pattern): every block stays.
// CHECK-LABEL: func.func @main
// CHECK-SAME: xf.kv_block_size = 16 : i64}
// CHECK-NOT: xf.kv_window
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %split = onnx.Constant {value = dense<[0, 0, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
  %join = onnx.Constant {value = dense<[0, 0, 8]> : tensor<3xi64>} : tensor<3xi64>
  %e = onnx.Gather %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %r = onnx.Reshape %e, %split : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %q = onnx.Transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  %a = xf.attention %q, %q, %q scale = 5.000000e-01 causal window = 8 : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %b = xf.attention %q, %q, %q scale = 5.000000e-01 causal : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %s = onnx.Add %a, %b : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %t = onnx.Transpose %s {perm = [0, 2, 1, 3]} : (tensor<?x2x?x4xf32>) -> tensor<?x?x2x4xf32>
  %o = onnx.Reshape %t, %join : (tensor<?x?x2x4xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// An optimum-style cache: Concat(past, new) on axis 2 is replaced, the
// present output and the past input go, positions computed by Range from
// the past length read position_ids, and the attention_mask input, which
// xf-bind-attention-mask has already cut from the attention, goes.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %{{[^:]+}}: tensor<?x?xi64> {onnx.dim_params = ["xf.stream", "xf.tokens"], onnx.name = "input_ids"}
// CHECK-SAME: %[[POS:[^:]+]]: tensor<?x?xi64> {onnx.dim_params = ["xf.stream", "xf.tokens"], onnx.name = "position_ids"}
// CHECK-SAME: onnx.name = "slot_mapping"}
// CHECK-SAME: {onnx.name = "kv_cache.0.key"}
// CHECK-SAME: {onnx.name = "kv_cache.0.value"})
// CHECK-SAME: -> (tensor<?x?x8xf32> {onnx.name = "logits"})
// CHECK-NOT: attention_mask
// CHECK-NOT: past_key_values
// CHECK-NOT: onnx.Range
// The positions are flattened to their own length, read with Shape.
// CHECK: %[[LEN:.+]] = onnx.Shape %[[POS]] {end = 2 : i64, start = 1 : i64}
// CHECK: %[[FLAT:.+]] = onnx.Reshape %[[POS]], %[[LEN]] {allowzero = 1 : i64}
// CHECK: onnx.Cast %[[FLAT]] {{.*}}to = f32
// CHECK-NOT: onnx.Concat %{{.*}}axis = 2
// CHECK: xf.kv_cache_write
// CHECK: xf.attention %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} scale
// CHECK: xf.paged_attention
// CHECK-NOT: onnx.Where
// CHECK: return %{{[^,]+}} : tensor<?x?x8xf32>
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %mask: tensor<?x?xi64> {onnx.name = "attention_mask"},
                %pk: tensor<?x2x?x4xf32> {onnx.name = "past_key_values.0.key"},
                %pv: tensor<?x2x?x4xf32> {onnx.name = "past_key_values.0.value"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"},
        tensor<?x2x?x4xf32> {onnx.name = "present.0.key"},
        tensor<?x2x?x4xf32> {onnx.name = "present.0.value"}) {
  %table = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %split = onnx.Constant {value = dense<[0, 0, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
  %join = onnx.Constant {value = dense<[0, 0, 8]> : tensor<3xi64>} : tensor<3xi64>
  %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %c2 = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %axes = onnx.Constant {value = dense<[1, 2]> : tensor<2xi64>} : tensor<2xi64>
  %zero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %min = onnx.Constant {value = dense<-3.0e+38> : tensor<f32>} : tensor<f32>
  %e = onnx.Gather %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  // positions past .. past + seq - 1, scaled into the embedding
  %ps = onnx.Shape %pk : (tensor<?x2x?x4xf32>) -> tensor<4xi64>
  %past = onnx.Gather %ps, %c2 : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %is = onnx.Shape %ids : (tensor<?x?xi64>) -> tensor<2xi64>
  %seq = onnx.Gather %is, %c1 : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %end = onnx.Add %past, %seq : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %range = onnx.Range %past, %end, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pf = onnx.Cast %range {to = f32} : (tensor<?xi64>) -> tensor<?xf32>
  %pu = onnx.Unsqueeze %pf, %c1 : (tensor<?xf32>, tensor<i64>) -> tensor<?x1xf32>
  %ep = onnx.Add %e, %pu : (tensor<?x?x8xf32>, tensor<?x1xf32>) -> tensor<?x?x8xf32>
  %r = onnx.Reshape %ep, %split : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %q = onnx.Transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  %k = onnx.Concat %pk, %q {axis = 2 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %v = onnx.Concat %pv, %q {axis = 2 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %a = xf.attention %q, %k, %v scale = 5.000000e-01 causal : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %t = onnx.Transpose %a {perm = [0, 2, 1, 3]} : (tensor<?x2x?x4xf32>) -> tensor<?x?x2x4xf32>
  %o = onnx.Reshape %t, %join : (tensor<?x?x2x4xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %o, %k, %v : tensor<?x?x8xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
}

// -----

// Near miss: an additive mask left on the attention (here an ALiBi-style
// bias) cannot be applied by the paged cache.
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %split = onnx.Constant {value = dense<[0, 0, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
  %join = onnx.Constant {value = dense<[0, 0, 8]> : tensor<3xi64>} : tensor<3xi64>
  %bias = onnx.Constant {value = dense<-1.0> : tensor<1x2x1x1xf32>} : tensor<1x2x1x1xf32>
  %e = onnx.Gather %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %r = onnx.Reshape %e, %split : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %q = onnx.Transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  // expected-error @+1 {{has a mask other than causal and a sliding window}}
  %a = xf.attention %q, %q, %q mask %bias scale = 5.000000e-01 causal : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<1x2x1x1xf32>) -> tensor<?x2x?x4xf32>
  %t = onnx.Transpose %a {perm = [0, 2, 1, 3]} : (tensor<?x2x?x4xf32>) -> tensor<?x?x2x4xf32>
  %o = onnx.Reshape %t, %join : (tensor<?x?x2x4xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// Near miss: keys that read the past other than through Concat on axis 2.
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %pk: tensor<?x2x?x4xf32> {onnx.name = "past_key_values.0.key"})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %table = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
  %split = onnx.Constant {value = dense<[0, 0, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
  %join = onnx.Constant {value = dense<[0, 0, 8]> : tensor<3xi64>} : tensor<3xi64>
  %e = onnx.Gather %table, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %r = onnx.Reshape %e, %split : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %q = onnx.Transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  %k = onnx.Concat %q, %pk {axis = 2 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  // expected-error @+1 {{keys/values read the past cache in a form other than Concat(past, new) on axis 2}}
  %a = xf.attention %q, %k, %k scale = 5.000000e-01 causal : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %t = onnx.Transpose %a {perm = [0, 2, 1, 3]} : (tensor<?x2x?x4xf32>) -> tensor<?x?x2x4xf32>
  %o = onnx.Reshape %t, %join : (tensor<?x?x2x4xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// A model without fused attention has nothing to page: it stays as it is.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[IDS:.+]]: tensor<?x?xi64> {onnx.name = "input_ids"}) -> (tensor<?x?xi64> {onnx.name = "logits"}) {
// CHECK-NEXT: return %[[IDS]]
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> (tensor<?x?xi64> {onnx.name = "logits"}) {
  return %ids : tensor<?x?xi64>
}

// -----

// Attention in a function that is not a language model's.
func.func @main(%x: tensor<1x2x4x4xf32> {onnx.name = "x"}) -> (tensor<1x2x4x4xf32> {onnx.name = "y"}) {
  // expected-error @-1 {{@main has attention but no argument named input_ids}}
  %a = xf.attention %x, %x, %x scale = 5.000000e-01 causal : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}
