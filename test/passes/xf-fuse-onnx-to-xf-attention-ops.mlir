// RUN: xf-opt %s -split-input-file -xf-fuse-onnx-to-xf | FileCheck %s

// Attention operators raised to xf.attention and xf.rope
// (passes/Fusion/AttentionOpRaising.cpp); refusals are in
// xf-fuse-onnx-to-xf-attention-ops-invalid.mlir.

// Every row full (seqlens_k = total - 1 = past + new - 1, as constants):
// causal attention over Concat(past, new), rotary at positions 5.
// CHECK-LABEL: func.func @gqa_full_rows
// CHECK-DAG: %[[FIVE:.+]] = onnx.Constant {value = dense<5> : tensor<i64>}
// CHECK-DAG: %[[SIX:.+]] = onnx.Constant {value = dense<6> : tensor<i64>}
// CHECK: %[[Q:.+]] = onnx.Transpose %{{.+}} {perm = [0, 2, 1, 3]} : (tensor<1x1x4x16xf32>) -> tensor<1x4x1x16xf32>
// CHECK: %[[K:.+]] = onnx.Transpose %{{.+}} {perm = [0, 2, 1, 3]} : (tensor<1x1x2x16xf32>) -> tensor<1x2x1x16xf32>
// CHECK: %[[V:.+]] = onnx.Transpose %{{.+}} {perm = [0, 2, 1, 3]} : (tensor<1x1x2x16xf32>) -> tensor<1x2x1x16xf32>
// CHECK: %[[POS:.+]] = onnx.Range %[[FIVE]], %[[SIX]], %{{.+}}
// CHECK: %[[COS:.+]] = onnx.Gather %arg5, %[[POS]]
// CHECK: %[[SIN:.+]] = onnx.Gather %arg6, %[[POS]]
// CHECK: %[[QR:.+]] = xf.rope %[[Q]], %[[COS]], %[[SIN]] style = rotate_half
// CHECK: %[[KR:.+]] = xf.rope %[[K]], %[[COS]], %[[SIN]] style = rotate_half
// CHECK: %[[PK:.+]] = onnx.Concat %arg3, %[[KR]] {axis = 2 : i64} : (tensor<1x2x5x16xf32>, tensor<1x2x1x16xf32>) -> tensor<1x2x6x16xf32>
// CHECK: %[[PV:.+]] = onnx.Concat %arg4, %[[V]] {axis = 2 : i64}
// CHECK: %[[A:.+]] = xf.attention %[[QR]], %[[PK]], %[[PV]] scale = 2.500000e-01 causal : (tensor<1x4x1x16xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>) -> tensor<1x4x1x16xf32>
// CHECK: %[[T:.+]] = onnx.Transpose %[[A]] {perm = [0, 2, 1, 3]}
// CHECK: %[[O:.+]] = onnx.Reshape %[[T]], %{{.+}} : (tensor<1x1x4x16xf32>, tensor<3xi64>) -> tensor<1x1x64xf32>
// CHECK: return %[[O]], %[[PK]], %[[PV]]
func.func @gqa_full_rows(%q: tensor<1x1x64xf32>, %k: tensor<1x1x32xf32>, %v: tensor<1x1x32xf32>, %pk: tensor<1x2x5x16xf32>, %pv: tensor<1x2x5x16xf32>, %cos: tensor<32x8xf32>, %sin: tensor<32x8xf32>) -> (tensor<1x1x64xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>) {
  %seqlens = onnx.Constant {value = dense<5> : tensor<1xi32>} : tensor<1xi32>
  %total = onnx.Constant {value = dense<6> : tensor<i32>} : tensor<i32>
  %o, %pko, %pvo = onnx.com.microsoft.GroupQueryAttention %q, %k, %v, %pk, %pv, %seqlens, %total, %cos, %sin {do_rotary = 1 : i64, kv_num_heads = 2 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 0>} : (tensor<1x1x64xf32>, tensor<1x1x32xf32>, tensor<1x1x32xf32>, tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, tensor<1xi32>, tensor<i32>, tensor<32x8xf32>, tensor<32x8xf32>) -> (tensor<1x1x64xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>)
  return %o, %pko, %pvo : tensor<1x1x64xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>
}

// -----

// The GenAI builder's lengths after xf-bind-attention-mask: seqlens_k =
// ReduceSum(ones [B, P + S], 1) - 1 and total = Shape(ones)[1], P and S
// dynamic; packed QKV, window and softcap.
// CHECK-LABEL: func.func @gqa_bound_mask
// CHECK: %[[K:.+]] = onnx.Slice %arg0, {{.+}} -> tensor<1x?x32xf32>
// CHECK: %[[V:.+]] = onnx.Slice %arg0, {{.+}} -> tensor<1x?x32xf32>
// CHECK: %[[Q:.+]] = onnx.Slice %arg0, {{.+}} -> tensor<1x?x64xf32>
// CHECK: %[[PAST:.+]] = onnx.Gather %{{.+}}, %{{.+}} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
// CHECK: %[[NEW:.+]] = onnx.Gather %{{.+}}, %{{.+}} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
// CHECK: %[[END:.+]] = onnx.Add %[[PAST]], %[[NEW]]
// CHECK: onnx.Range %[[PAST]], %[[END]]
// CHECK: %[[PK:.+]] = onnx.Concat %arg1, %{{.+}} {axis = 2 : i64}
// CHECK: %[[PV:.+]] = onnx.Concat %arg2, %{{.+}} {axis = 2 : i64}
// CHECK: xf.attention %{{.+}}, %[[PK]], %[[PV]] scale = 2.500000e-01 softcap = 5.000000e+00 causal window = 16 : (tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x4x?x16xf32>
// CHECK-NOT: onnx.GatherND
// CHECK: return %{{.+}}, %[[PK]], %[[PV]]
func.func @gqa_bound_mask(%qkv: tensor<1x?x128xf32>, %pk: tensor<1x2x?x16xf32>, %pv: tensor<1x2x?x16xf32>, %cos: tensor<64x8xf32>, %sin: tensor<64x8xf32>) -> (tensor<1x?x64xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) {
  %b = onnx.Shape %qkv {end = 1 : i64, start = 0 : i64} : (tensor<1x?x128xf32>) -> tensor<1xi64>
  %s = onnx.Shape %qkv {end = 2 : i64, start = 1 : i64} : (tensor<1x?x128xf32>) -> tensor<1xi64>
  %p = onnx.Shape %pk {end = 3 : i64, start = 2 : i64} : (tensor<1x2x?x16xf32>) -> tensor<1xi64>
  %t = onnx.Add %p, %s : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %shape = onnx.Concat %b, %t {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %mask = onnx.ConstantOfShape %shape {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<1x?xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %sum = onnx.ReduceSum %mask, %one {keepdims = 0 : i64} : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1xi64>
  %sub = onnx.Sub %sum, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %seqlens = onnx.Cast %sub {to = i32} : (tensor<1xi64>) -> tensor<1xi32>
  %mshape = onnx.Shape %mask : (tensor<1x?xi64>) -> tensor<2xi64>
  %i1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %len = onnx.Gather %mshape, %i1 {axis = 0 : i64} : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %total = onnx.Cast %len {to = i32} : (tensor<i64>) -> tensor<i32>
  %o, %pko, %pvo = onnx.com.microsoft.GroupQueryAttention %qkv, %pk, %pv, %seqlens, %total, %cos, %sin {do_rotary = 1 : i64, kv_num_heads = 2 : i64, local_window_size = 16 : i64, num_heads = 4 : i64, scale = 2.500000e-01 : f32, softcap = 5.000000e+00 : f32, operandSegmentSizes = array<i32: 1, 0, 0, 1, 1, 1, 1, 1, 1, 0>} : (tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1xi32>, tensor<i32>, tensor<64x8xf32>, tensor<64x8xf32>) -> (tensor<1x?x64xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
  return %o, %pko, %pvo : tensor<1x?x64xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
}

// -----

// A later layer: its past is another input than the one the mask's length
// was built from, of the same dim_param name (one size by ONNX's contract,
// which xf-check-dim-params checks on entry; xfc's functions say so with
// xf.dim_params_checked_later), and the query comes through a
// normalization and a projection of the embedded ids: full rows.
// CHECK-LABEL: func.func @gqa_named_past
// CHECK: %[[PK:.+]] = onnx.Concat %arg2, %{{.+}} {axis = 2 : i64}
// CHECK: xf.attention %{{.+}}, %[[PK]], %{{.+}} scale = 2.500000e-01 causal :
// CHECK-NOT: onnx.GatherND
func.func @gqa_named_past(%ids: tensor<1x?xi64> {onnx.dim_params = ["", "sequence_length"]}, %pk0: tensor<1x2x?x16xf32> {onnx.dim_params = ["", "", "past_sequence_length", ""]}, %pk1: tensor<1x2x?x16xf32> {onnx.dim_params = ["", "", "past_sequence_length", ""]}, %pv1: tensor<1x2x?x16xf32> {onnx.dim_params = ["", "", "past_sequence_length", ""]}) -> tensor<1x?x64xf32> attributes {xf.dim_params_checked_later} {
  %table = onnx.Constant {value = dense<1.0> : tensor<16x64xf32>} : tensor<16x64xf32>
  %w = onnx.Constant {value = dense<1.0> : tensor<64x128xf32>} : tensor<64x128xf32>
  %gamma = onnx.Constant {value = dense<1.0> : tensor<64xf32>} : tensor<64xf32>
  %x = onnx.Gather %table, %ids : (tensor<16x64xf32>, tensor<1x?xi64>) -> tensor<1x?x64xf32>
  %n, %inv = onnx.SimplifiedLayerNormalization %x, %gamma : (tensor<1x?x64xf32>, tensor<64xf32>) -> (tensor<1x?x64xf32>, tensor<1x?x1xf32>)
  %qkv = onnx.MatMul %n, %w : (tensor<1x?x64xf32>, tensor<64x128xf32>) -> tensor<1x?x128xf32>
  %b = onnx.Shape %ids {end = 1 : i64, start = 0 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
  %s = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
  %p = onnx.Shape %pk0 {end = 3 : i64, start = 2 : i64} : (tensor<1x2x?x16xf32>) -> tensor<1xi64>
  %t = onnx.Add %p, %s : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %shape = onnx.Concat %b, %t {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %mask = onnx.ConstantOfShape %shape {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<1x?xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %sum = onnx.ReduceSum %mask, %one {keepdims = 0 : i64} : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1xi64>
  %sub = onnx.Sub %sum, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %seqlens = onnx.Cast %sub {to = i32} : (tensor<1xi64>) -> tensor<1xi32>
  %mshape = onnx.Shape %mask : (tensor<1x?xi64>) -> tensor<2xi64>
  %i1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %len = onnx.Gather %mshape, %i1 {axis = 0 : i64} : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %total = onnx.Cast %len {to = i32} : (tensor<i64>) -> tensor<i32>
  %o, %pko, %pvo = onnx.com.microsoft.GroupQueryAttention %qkv, %pk1, %pv1, %seqlens, %total {kv_num_heads = 2 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 1, 1, 1, 1, 0, 0, 0>} : (tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1xi32>, tensor<i32>) -> (tensor<1x?x64xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
  return %o : tensor<1x?x64xf32>
}

// -----

// Near miss: the past's length has another name than the one the mask
// was built from; nothing says they agree: per-row code.
// CHECK-LABEL: func.func @gqa_other_past_name
// CHECK: onnx.GatherND
// CHECK: xf.attention %{{.+}} mask %{{.+}} scale = 2.500000e-01 :
func.func @gqa_other_past_name(%qkv: tensor<1x?x128xf32>, %pk0: tensor<1x2x?x16xf32> {onnx.dim_params = ["", "", "past_sequence_length", ""]}, %pk1: tensor<1x2x?x16xf32> {onnx.dim_params = ["", "", "cache_length", ""]}, %pv1: tensor<1x2x?x16xf32> {onnx.dim_params = ["", "", "cache_length", ""]}) -> tensor<1x?x64xf32> attributes {xf.dim_params_checked_later} {
  %b = onnx.Shape %qkv {end = 1 : i64, start = 0 : i64} : (tensor<1x?x128xf32>) -> tensor<1xi64>
  %s = onnx.Shape %qkv {end = 2 : i64, start = 1 : i64} : (tensor<1x?x128xf32>) -> tensor<1xi64>
  %p = onnx.Shape %pk0 {end = 3 : i64, start = 2 : i64} : (tensor<1x2x?x16xf32>) -> tensor<1xi64>
  %t = onnx.Add %p, %s : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %shape = onnx.Concat %b, %t {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %mask = onnx.ConstantOfShape %shape {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<1x?xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %sum = onnx.ReduceSum %mask, %one {keepdims = 0 : i64} : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1xi64>
  %sub = onnx.Sub %sum, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %seqlens = onnx.Cast %sub {to = i32} : (tensor<1xi64>) -> tensor<1xi32>
  %mshape = onnx.Shape %mask : (tensor<1x?xi64>) -> tensor<2xi64>
  %i1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %len = onnx.Gather %mshape, %i1 {axis = 0 : i64} : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %total = onnx.Cast %len {to = i32} : (tensor<i64>) -> tensor<i32>
  %o, %pko, %pvo = onnx.com.microsoft.GroupQueryAttention %qkv, %pk1, %pv1, %seqlens, %total {kv_num_heads = 2 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 1, 1, 1, 1, 0, 0, 0>} : (tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1xi32>, tensor<i32>) -> (tensor<1x?x64xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
  return %o : tensor<1x?x64xf32>
}

// -----

// Lengths known only at run time: each row's keys gathered after its own
// past, and a mask of j < L_b, j <= past_b + s and past_b + s - j < 4.
// CHECK-LABEL: func.func @gqa_runtime_lengths
// CHECK-DAG: %[[NINF:.+]] = onnx.Constant {value = dense<0xFF800000> : tensor<f32>}
// CHECK-DAG: %[[W:.+]] = onnx.Constant {value = dense<4> : tensor<i64>}
// CHECK-DAG: %[[ZERO:.+]] = onnx.Constant {value = dense<0.000000e+00> : tensor<f32>}
// CHECK: %[[Q:.+]] = onnx.Transpose %{{.+}} -> tensor<2x4x1x16xf32>
// CHECK: %[[K:.+]] = onnx.Transpose %{{.+}} -> tensor<2x2x1x16xf32>
// CHECK: %[[P:.+]] = onnx.Gather %{{.+}}, %{{.+}} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
// CHECK: %[[T:.+]] = onnx.Cast %{{.+}} {to = i64} : (tensor<i32>) -> tensor<i64>
// CHECK: %[[SEQ:.+]] = onnx.Cast %arg5 {to = i64} : (tensor<2xi32>) -> tensor<2xi64>
// CHECK: %[[L:.+]] = onnx.Add %[[SEQ]], %{{.+}} : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
// CHECK: %[[FIRST:.+]] = onnx.Equal %{{.+}}, %[[T]]
// CHECK: %[[STARTS:.+]] = onnx.Where %[[FIRST]], %{{.+}}, %{{.+}} : (tensor<i1>, tensor<i64>, tensor<2xi64>) -> tensor<2xi64>
// CHECK: %[[TP:.+]] = onnx.Max %[[T]], %[[P]]
// CHECK: %[[J:.+]] = onnx.Range %{{.+}}, %[[TP]], %{{.+}}
// CHECK: onnx.GatherND %{{.+}}, %{{.+}} {batch_dims = 1 : i64} : (tensor<2x?x2x16xf32>, tensor<2x?x1xi64>) -> tensor<2x?x2x16xf32>
// CHECK: %[[PK:.+]] = onnx.Transpose %{{.+}} {perm = [0, 2, 1, 3]} : (tensor<2x?x2x16xf32>) -> tensor<2x2x?x16xf32>
// CHECK: onnx.GatherND
// CHECK: %[[PV:.+]] = onnx.Transpose %{{.+}} {perm = [0, 2, 1, 3]} : (tensor<2x?x2x16xf32>) -> tensor<2x2x?x16xf32>
// CHECK: %[[CAUSAL:.+]] = onnx.LessOrEqual
// CHECK: %[[INROW:.+]] = onnx.Less %{{.+}}, %{{.+}} : (tensor<1x1x?xi64>, tensor<2x1x1xi64>) -> tensor<2x1x?xi1>
// CHECK: %[[BOTH:.+]] = onnx.And %[[CAUSAL]], %[[INROW]]
// CHECK: %[[AGE:.+]] = onnx.Sub
// CHECK: %[[INWINDOW:.+]] = onnx.Less %[[AGE]], %[[W]]
// CHECK: %[[VISIBLE:.+]] = onnx.And %[[BOTH]], %[[INWINDOW]]
// CHECK: %[[MASK:.+]] = onnx.Where %[[VISIBLE]], %[[ZERO]], %[[NINF]]
// CHECK: %[[MASK4:.+]] = onnx.Unsqueeze %[[MASK]], %{{.+}} -> tensor<2x1x1x?xf32>
// CHECK: xf.attention %[[Q]], %[[PK]], %[[PV]] mask %[[MASK4]] scale = 2.500000e-01 : (tensor<2x4x1x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>, tensor<2x1x1x?xf32>) -> tensor<2x4x1x16xf32>
// CHECK: return %{{.+}}, %[[PK]], %[[PV]]
func.func @gqa_runtime_lengths(%q: tensor<2x1x64xf32>, %k: tensor<2x1x32xf32>, %v: tensor<2x1x32xf32>, %pk: tensor<2x2x?x16xf32>, %pv: tensor<2x2x?x16xf32>, %seqlens: tensor<2xi32>, %total: tensor<i32>) -> (tensor<2x1x64xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>) {
  %o, %pko, %pvo = onnx.com.microsoft.GroupQueryAttention %q, %k, %v, %pk, %pv, %seqlens, %total {kv_num_heads = 2 : i64, local_window_size = 4 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0, 0>} : (tensor<2x1x64xf32>, tensor<2x1x32xf32>, tensor<2x1x32xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>, tensor<2xi32>, tensor<i32>) -> (tensor<2x1x64xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>)
  return %o, %pko, %pvo : tensor<2x1x64xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>
}

// -----

// Near miss: every seqlens_k is total - 1, but total (7) is not past (10)
// + new (1), a shared cache buffer: per-row code.
// CHECK-LABEL: func.func @gqa_buffer_longer_than_total
// CHECK: onnx.GatherND
// CHECK: xf.attention %{{.+}} mask %{{.+}} scale = 2.500000e-01 :
// CHECK: %[[PK:.+]] = onnx.Identity %{{.+}} : (tensor<2x2x?x16xf32>) -> tensor<2x2x10x16xf32>
// CHECK: %[[PV:.+]] = onnx.Identity %{{.+}} : (tensor<2x2x?x16xf32>) -> tensor<2x2x10x16xf32>
// CHECK: return %{{.+}}, %[[PK]], %[[PV]]
func.func @gqa_buffer_longer_than_total(%q: tensor<2x1x64xf32>, %k: tensor<2x1x32xf32>, %v: tensor<2x1x32xf32>, %pk: tensor<2x2x10x16xf32>, %pv: tensor<2x2x10x16xf32>) -> (tensor<2x1x64xf32>, tensor<2x2x10x16xf32>, tensor<2x2x10x16xf32>) {
  %seqlens = onnx.Constant {value = dense<6> : tensor<2xi32>} : tensor<2xi32>
  %total = onnx.Constant {value = dense<7> : tensor<i32>} : tensor<i32>
  %o, %pko, %pvo = onnx.com.microsoft.GroupQueryAttention %q, %k, %v, %pk, %pv, %seqlens, %total {kv_num_heads = 2 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0, 0>} : (tensor<2x1x64xf32>, tensor<2x1x32xf32>, tensor<2x1x32xf32>, tensor<2x2x10x16xf32>, tensor<2x2x10x16xf32>, tensor<2xi32>, tensor<i32>) -> (tensor<2x1x64xf32>, tensor<2x2x10x16xf32>, tensor<2x2x10x16xf32>)
  return %o, %pko, %pvo : tensor<2x1x64xf32>, tensor<2x2x10x16xf32>, tensor<2x2x10x16xf32>
}

// -----

// Near miss: the rows differ ([6, 3]).
// CHECK-LABEL: func.func @gqa_ragged_constant
// CHECK-DAG: onnx.Constant {value = dense<{{\[\[\[}}7]], {{\[\[}}4]]]> : tensor<2x1x1xi64>}
// CHECK: onnx.GatherND
// CHECK: xf.attention %{{.+}} mask %{{.+}} scale = 2.500000e-01 :
func.func @gqa_ragged_constant(%q: tensor<2x1x64xf32>, %k: tensor<2x1x32xf32>, %v: tensor<2x1x32xf32>, %pk: tensor<2x2x6x16xf32>, %pv: tensor<2x2x6x16xf32>) -> tensor<2x1x64xf32> {
  %seqlens = onnx.Constant {value = dense<[6, 3]> : tensor<2xi32>} : tensor<2xi32>
  %total = onnx.Constant {value = dense<7> : tensor<i32>} : tensor<i32>
  %o, %pko, %pvo = onnx.com.microsoft.GroupQueryAttention %q, %k, %v, %pk, %pv, %seqlens, %total {kv_num_heads = 2 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0, 0>} : (tensor<2x1x64xf32>, tensor<2x1x32xf32>, tensor<2x1x32xf32>, tensor<2x2x6x16xf32>, tensor<2x2x6x16xf32>, tensor<2xi32>, tensor<i32>) -> (tensor<2x1x64xf32>, tensor<2x2x7x16xf32>, tensor<2x2x7x16xf32>)
  return %o : tensor<2x1x64xf32>
}

// -----

// MultiHeadAttention, causal over a past, with a key padding mask.
// CHECK-LABEL: func.func @mha_causal_padding
// CHECK-DAG: %[[FILTER:.+]] = onnx.Constant {value = dense<-1.000000e+04> : tensor<f32>}
// CHECK: %[[PK:.+]] = onnx.Concat %arg4, %{{.+}} {axis = 2 : i64} : (tensor<2x4x5x8xf32>, tensor<2x4x3x8xf32>) -> tensor<2x4x8x8xf32>
// CHECK: %[[PV:.+]] = onnx.Concat %arg5
// CHECK: %[[KEEP:.+]] = onnx.Greater %arg3, %{{.+}} : (tensor<2x8xi32>, tensor<i32>) -> tensor<2x8xi1>
// CHECK: %[[PAD:.+]] = onnx.Where %[[KEEP]], %{{.+}}, %[[FILTER]]
// CHECK: %[[MASK:.+]] = onnx.Unsqueeze %[[PAD]], %{{.+}} : (tensor<2x8xf32>, tensor<2xi64>) -> tensor<2x1x1x8xf32>
// CHECK: xf.attention %{{.+}}, %[[PK]], %[[PV]] mask %[[MASK]] scale = 0.353553385 causal :
// CHECK: return %{{.+}}, %[[PK]]
func.func @mha_causal_padding(%q: tensor<2x3x32xf32>, %k: tensor<2x3x32xf32>, %v: tensor<2x3x32xf32>, %mask: tensor<2x8xi32>, %pk: tensor<2x4x5x8xf32>, %pv: tensor<2x4x5x8xf32>) -> (tensor<2x3x32xf32>, tensor<2x4x8x8xf32>) {
  %o, %pko, %pvo = onnx.com.microsoft.MultiHeadAttention %q, %k, %v, %mask, %pk, %pv {num_heads = 4 : i64, unidirectional = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0, 1, 1>} : (tensor<2x3x32xf32>, tensor<2x3x32xf32>, tensor<2x3x32xf32>, tensor<2x8xi32>, tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>) -> (tensor<2x3x32xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>)
  return %o, %pko : tensor<2x3x32xf32>, tensor<2x4x8x8xf32>
}

// -----

// ONNX Attention, 4-D GQA, causal with as many new keys as queries:
// `causal`; softcap.
// CHECK-LABEL: func.func @attention_gqa_causal
// CHECK: %[[A:.+]] = xf.attention %arg0, %arg1, %arg2 scale = 2.500000e-01 softcap = 2.000000e+00 causal : (tensor<2x8x5x16xf32>, tensor<2x2x5x16xf32>, tensor<2x2x5x16xf32>) -> tensor<2x8x5x16xf32>
// CHECK-NEXT: return %[[A]]
func.func @attention_gqa_causal(%q: tensor<2x8x5x16xf32>, %k: tensor<2x2x5x16xf32>, %v: tensor<2x2x5x16xf32>) -> tensor<2x8x5x16xf32> {
  %y, %pk, %pv, %qk = onnx.Attention %q, %k, %v {is_causal = 1 : i64, softcap = 2.000000e+00 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>} : (tensor<2x8x5x16xf32>, tensor<2x2x5x16xf32>, tensor<2x2x5x16xf32>) -> (tensor<2x8x5x16xf32>, tensor<2x2x5x16xf32>, tensor<2x2x5x16xf32>, tensor<2x8x5x5xf32>)
  return %y : tensor<2x8x5x16xf32>
}

// -----

// Causal with fewer queries than keys and no past: ONNX aligns it to the
// top left (key j for query i iff j <= i), which `causal` does not say: a
// mask.
// CHECK-LABEL: func.func @attention_causal_top_left
// CHECK-DAG: %[[KEYS:.+]] = onnx.Constant {value = dense<{{\[\[}}0, 1, 2, 3, 4, 5]]> : tensor<1x6xi64>}
// CHECK-DAG: %[[QUERIES:.+]] = onnx.Constant {value = dense<{{\[\[}}0], [1], [2]]> : tensor<3x1xi64>}
// CHECK: %[[SEE:.+]] = onnx.LessOrEqual %[[KEYS]], %[[QUERIES]] : (tensor<1x6xi64>, tensor<3x1xi64>) -> tensor<3x6xi1>
// CHECK: %[[MASK:.+]] = onnx.Where %[[SEE]], %{{.+}}, %{{.+}} : (tensor<3x6xi1>, tensor<f32>, tensor<f32>) -> tensor<3x6xf32>
// CHECK: xf.attention %arg0, %arg1, %arg2 mask %[[MASK]] scale = 2.500000e-01 :
// CHECK-NOT: causal
func.func @attention_causal_top_left(%q: tensor<1x4x3x16xf32>, %k: tensor<1x4x6x16xf32>, %v: tensor<1x4x6x16xf32>) -> tensor<1x4x3x16xf32> {
  %y, %pk, %pv, %qk = onnx.Attention %q, %k, %v {is_causal = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>} : (tensor<1x4x3x16xf32>, tensor<1x4x6x16xf32>, tensor<1x4x6x16xf32>) -> (tensor<1x4x3x16xf32>, tensor<1x4x6x16xf32>, tensor<1x4x6x16xf32>, tensor<1x4x3x6xf32>)
  return %y : tensor<1x4x3x16xf32>
}

// -----

// qk_matmul_output (mode 2: scores plus mask) read: computed beside the
// xf.attention with the kv heads repeated.
// CHECK-LABEL: func.func @attention_qk_output
// CHECK: %[[MASK:.+]] = onnx.Where %arg3, %{{.+}}, %{{.+}} : (tensor<3x3xi1>, tensor<f32>, tensor<f32>) -> tensor<3x3xf32>
// CHECK: %[[Y:.+]] = xf.attention %arg0, %arg1, %arg2 mask %[[MASK]] scale = 2.500000e-01 : (tensor<1x4x3x16xf32>, tensor<1x2x3x16xf32>, tensor<1x2x3x16xf32>, tensor<3x3xf32>) -> tensor<1x4x3x16xf32>
// CHECK: %[[U:.+]] = onnx.Unsqueeze %arg1
// CHECK: %[[E:.+]] = onnx.Expand %[[U]], %{{.+}} : (tensor<1x2x1x3x16xf32>, tensor<5xi64>) -> tensor<1x2x2x3x16xf32>
// CHECK: %[[K:.+]] = onnx.Reshape %[[E]], %{{.+}} -> tensor<1x4x3x16xf32>
// CHECK: %[[S:.+]] = onnx.MatMul
// CHECK: %[[QK:.+]] = onnx.Add %[[S]], %[[MASK]]
// CHECK: return %[[Y]], %[[QK]]
func.func @attention_qk_output(%q: tensor<1x4x3x16xf32>, %k: tensor<1x2x3x16xf32>, %v: tensor<1x2x3x16xf32>, %mask: tensor<3x3xi1>) -> (tensor<1x4x3x16xf32>, tensor<1x4x3x3xf32>) {
  %y, %pk, %pv, %qk = onnx.Attention %q, %k, %v, %mask {qk_matmul_output_mode = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0>} : (tensor<1x4x3x16xf32>, tensor<1x2x3x16xf32>, tensor<1x2x3x16xf32>, tensor<3x3xi1>) -> (tensor<1x4x3x16xf32>, tensor<1x2x3x16xf32>, tensor<1x2x3x16xf32>, tensor<1x4x3x3xf32>)
  return %y, %qk : tensor<1x4x3x16xf32>, tensor<1x4x3x3xf32>
}

// -----

// ONNX RotaryEmbedding on [B, S, H * D] with a partial interleaved
// rotation.
// CHECK-LABEL: func.func @rotary_3d
// CHECK: %[[X:.+]] = onnx.Transpose %{{.+}} {perm = [0, 2, 1, 3]} : (tensor<2x5x4x16xf32>) -> tensor<2x4x5x16xf32>
// CHECK: %[[COS:.+]] = onnx.Gather %arg1, %arg3 : (tensor<32x4xf32>, tensor<2x5xi64>) -> tensor<2x5x4xf32>
// CHECK: %[[SIN:.+]] = onnx.Gather %arg2, %arg3
// CHECK: %[[Y:.+]] = xf.rope %[[X]], %[[COS]], %[[SIN]] style = interleaved : (tensor<2x4x5x16xf32>, tensor<2x5x4xf32>, tensor<2x5x4xf32>) -> tensor<2x4x5x16xf32>
// CHECK: onnx.Transpose %[[Y]] {perm = [0, 2, 1, 3]}
func.func @rotary_3d(%x: tensor<2x5x64xf32>, %cos: tensor<32x4xf32>, %sin: tensor<32x4xf32>, %pos: tensor<2x5xi64>) -> tensor<2x5x64xf32> {
  %y = onnx.RotaryEmbedding %x, %cos, %sin, %pos {interleaved = 1 : i64, num_heads = 4 : i64, rotary_embedding_dim = 8 : i64} : (tensor<2x5x64xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<2x5xi64>) -> tensor<2x5x64xf32>
  return %y : tensor<2x5x64xf32>
}

// -----

// ONNX Runtime's RotaryEmbedding with one position offset.
// CHECK-LABEL: func.func @contrib_rotary_offset
// CHECK: %[[START:.+]] = onnx.Reshape %arg1, %{{.+}} : (tensor<1xi64>, tensor<0xi64>) -> tensor<i64>
// CHECK: %[[END:.+]] = onnx.Add %[[START]], %{{.+}}
// CHECK: %[[POS:.+]] = onnx.Range %[[START]], %[[END]], %{{.+}}
// CHECK: %[[COS:.+]] = onnx.Gather %arg2, %[[POS]] : (tensor<32x8xf32>, tensor<?xi64>) -> tensor<?x8xf32>
// CHECK: xf.rope %arg0, %[[COS]], %{{.+}} style = rotate_half : (tensor<2x4x?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<2x4x?x16xf32>
func.func @contrib_rotary_offset(%x: tensor<2x4x?x16xf32>, %pos: tensor<1xi64>, %cos: tensor<32x8xf32>, %sin: tensor<32x8xf32>) -> tensor<2x4x?x16xf32> {
  %y = onnx.com.microsoft.RotaryEmbedding %x, %pos, %cos, %sin : (tensor<2x4x?x16xf32>, tensor<1xi64>, tensor<32x8xf32>, tensor<32x8xf32>) -> tensor<2x4x?x16xf32>
  return %y : tensor<2x4x?x16xf32>
}

// -----

// MultiHeadAttention over keys and values that repeat_kv (Unsqueeze,
// Expand, Reshape) and packing (Transpose, Reshape) made from two KV heads,
// as the GenAI builder's fp16 CPU graphs write them: the heads are unpacked
// and the repetition stripped, so the attention groups 4 query heads over
// the cache's own 2 and reads the KV Concat directly.
// CHECK-LABEL: func.func @mha_packed_repeated_heads
// CHECK: %[[K:.+]] = onnx.Concat %arg3, %arg1 {axis = 2 : i64}
// CHECK: %[[V:.+]] = onnx.Concat %arg4, %arg2 {axis = 2 : i64}
// CHECK: xf.attention %{{.+}}, %[[K]], %[[V]] scale = 0.353553385 causal : (tensor<1x4x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) -> tensor<1x4x3x8xf32>
func.func @mha_packed_repeated_heads(%q: tensor<1x3x32xf32>, %knew: tensor<1x2x3x8xf32>, %vnew: tensor<1x2x3x8xf32>, %pk: tensor<1x2x0x8xf32>, %pv: tensor<1x2x0x8xf32>) -> (tensor<1x3x32xf32>, tensor<1x2x3x8xf32>) {
  %axis = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %expanded = onnx.Constant {value = dense<[1, 2, 2, 3, 8]> : tensor<5xi64>} : tensor<5xi64>
  %heads = onnx.Constant {value = dense<[1, 4, 3, 8]> : tensor<4xi64>} : tensor<4xi64>
  %packed = onnx.Constant {value = dense<[0, 0, 32]> : tensor<3xi64>} : tensor<3xi64>
  %k = onnx.Concat %pk, %knew {axis = 2 : i64} : (tensor<1x2x0x8xf32>, tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  %v = onnx.Concat %pv, %vnew {axis = 2 : i64} : (tensor<1x2x0x8xf32>, tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  %k1 = onnx.Unsqueeze %k, %axis : (tensor<1x2x3x8xf32>, tensor<1xi64>) -> tensor<1x2x1x3x8xf32>
  %k2 = onnx.Expand %k1, %expanded : (tensor<1x2x1x3x8xf32>, tensor<5xi64>) -> tensor<1x2x2x3x8xf32>
  %k3 = onnx.Reshape %k2, %heads : (tensor<1x2x2x3x8xf32>, tensor<4xi64>) -> tensor<1x4x3x8xf32>
  %k4 = onnx.Transpose %k3 {perm = [0, 2, 1, 3]} : (tensor<1x4x3x8xf32>) -> tensor<1x3x4x8xf32>
  %k5 = onnx.Reshape %k4, %packed : (tensor<1x3x4x8xf32>, tensor<3xi64>) -> tensor<1x3x32xf32>
  %v1 = onnx.Unsqueeze %v, %axis : (tensor<1x2x3x8xf32>, tensor<1xi64>) -> tensor<1x2x1x3x8xf32>
  %v2 = onnx.Expand %v1, %expanded : (tensor<1x2x1x3x8xf32>, tensor<5xi64>) -> tensor<1x2x2x3x8xf32>
  %v3 = onnx.Reshape %v2, %heads : (tensor<1x2x2x3x8xf32>, tensor<4xi64>) -> tensor<1x4x3x8xf32>
  %v4 = onnx.Transpose %v3 {perm = [0, 2, 1, 3]} : (tensor<1x4x3x8xf32>) -> tensor<1x3x4x8xf32>
  %v5 = onnx.Reshape %v4, %packed : (tensor<1x3x4x8xf32>, tensor<3xi64>) -> tensor<1x3x32xf32>
  %o, %pko, %pvo = onnx.com.microsoft.MultiHeadAttention %q, %k5, %v5 {num_heads = 4 : i64, unidirectional = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>} : (tensor<1x3x32xf32>, tensor<1x3x32xf32>, tensor<1x3x32xf32>) -> (tensor<1x3x32xf32>, tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>)
  return %o, %k : tensor<1x3x32xf32>, tensor<1x2x3x8xf32>
}

// -----

// MultiHeadAttention with a causal attention_bias (the strict upper triangle
// of a filled block, tiled over the heads): proved causal by the mask
// analysis, it becomes the `causal` attribute and no mask operand.
// CHECK-LABEL: func.func @mha_causal_bias
// CHECK: xf.attention %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} scale = 0.353553385 causal : (
func.func @mha_causal_bias(%q: tensor<1x3x32xf32>, %k: tensor<1x3x32xf32>, %v: tensor<1x3x32xf32>) -> tensor<1x3x32xf32> {
  %shape = onnx.Constant {value = dense<[3, 3]> : tensor<2xi64>} : tensor<2xi64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %axes = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %repeats = onnx.Constant {value = dense<[1, 4, 1, 1]> : tensor<4xi64>} : tensor<4xi64>
  %filled = onnx.ConstantOfShape %shape {value = dense<-6.550400e+04> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<3x3xf32>
  %upper = onnx.Trilu %filled, %one {upper = 1 : i64} : (tensor<3x3xf32>, tensor<i64>) -> tensor<3x3xf32>
  %mask = onnx.Unsqueeze %upper, %axes : (tensor<3x3xf32>, tensor<2xi64>) -> tensor<1x1x3x3xf32>
  %bias = onnx.Tile %mask, %repeats : (tensor<1x1x3x3xf32>, tensor<4xi64>) -> tensor<1x4x3x3xf32>
  %o, %pko, %pvo = onnx.com.microsoft.MultiHeadAttention %q, %k, %v, %bias {num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 0, 0>} : (tensor<1x3x32xf32>, tensor<1x3x32xf32>, tensor<1x3x32xf32>, tensor<1x4x3x3xf32>) -> (tensor<1x3x32xf32>, tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>)
  return %o : tensor<1x3x32xf32>
}
