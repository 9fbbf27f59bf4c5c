// RUN: xf-opt %s -split-input-file -xf-fuse-onnx-to-xf | FileCheck %s

// Attention as Llama exports it without masks: K transposed by
// perm [0, 1, 3, 2], scores divided by sqrt(d).
// CHECK-LABEL: func.func @attention_div_scale
// CHECK-SAME: (%[[Q:.+]]: tensor<1x4x8x16xf32>, %[[K:.+]]: tensor<1x4x8x16xf32>, %[[V:.+]]: tensor<1x4x8x16xf32>)
// CHECK: %[[O:.+]] = xf.attention %[[Q]], %[[K]], %[[V]] scale = 2.500000e-01 : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
// CHECK-NOT: onnx.Softmax
// CHECK: return %[[O]]
func.func @attention_div_scale(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %c = onnx.Constant {value = dense<4.0> : tensor<f32>} : tensor<f32>
  %d = onnx.Div %s, %c : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %d {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// The scale applied to Q, and split as sqrt onto both Q and K^T.
// CHECK-LABEL: func.func @attention_scale_on_q
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 1.250000e-01
func.func @attention_scale_on_q(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %c = onnx.Constant {value = dense<0.125> : tensor<f32>} : tensor<f32>
  %qs = onnx.Mul %q, %c : (tensor<1x4x8x16xf32>, tensor<f32>) -> tensor<1x4x8x16xf32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %qs, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %s {axis = 3 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// CHECK-LABEL: func.func @attention_sqrt_split_scale
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 2.500000e-01
func.func @attention_sqrt_split_scale(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %c = onnx.Constant {value = dense<0.5> : tensor<1xf32>} : tensor<1xf32>
  %qs = onnx.Mul %q, %c : (tensor<1x4x8x16xf32>, tensor<1xf32>) -> tensor<1x4x8x16xf32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %ks = onnx.Mul %c, %kt : (tensor<1xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %qs, %ks : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %s {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// GPT-2's key: [B, S, H, D] transposed by perm [0, 2, 3, 1] at once; the
// key becomes a Transpose by [0, 2, 1, 3].
// CHECK-LABEL: func.func @attention_key_perm_0231
// CHECK: %[[K:.+]] = onnx.Transpose %arg1 {perm = [0, 2, 1, 3]} : (tensor<1x8x4x16xf32>) -> tensor<1x4x8x16xf32>
// CHECK: xf.attention %arg0, %[[K]], %arg2 scale = 1.000000e+00
func.func @attention_key_perm_0231(%q: tensor<1x4x8x16xf32>, %k: tensor<1x8x4x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %kt = onnx.Transpose %k {perm = [0, 2, 3, 1]} : (tensor<1x8x4x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %s {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// GQA: repeat_kv as Unsqueeze + Expand + Reshape on K and V is stripped.
// CHECK-LABEL: func.func @attention_gqa_expand
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 2.500000e-01 : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32>
func.func @attention_gqa_expand(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %axis = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %shape5 = onnx.Constant {value = dense<[1, 2, 2, 8, 16]> : tensor<5xi64>} : tensor<5xi64>
  %shape4 = onnx.Constant {value = dense<[1, 4, 8, 16]> : tensor<4xi64>} : tensor<4xi64>
  %k5 = onnx.Unsqueeze %k, %axis : (tensor<1x2x8x16xf32>, tensor<1xi64>) -> tensor<1x2x1x8x16xf32>
  %ke = onnx.Expand %k5, %shape5 : (tensor<1x2x1x8x16xf32>, tensor<5xi64>) -> tensor<1x2x2x8x16xf32>
  %kr = onnx.Reshape %ke, %shape4 : (tensor<1x2x2x8x16xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %v5 = onnx.Unsqueeze %v, %axis : (tensor<1x2x8x16xf32>, tensor<1xi64>) -> tensor<1x2x1x8x16xf32>
  %ve = onnx.Expand %v5, %shape5 : (tensor<1x2x1x8x16xf32>, tensor<5xi64>) -> tensor<1x2x2x8x16xf32>
  %vr = onnx.Reshape %ve, %shape4 : (tensor<1x2x2x8x16xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %kt = onnx.Transpose %kr {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %c = onnx.Constant {value = dense<4.0> : tensor<f32>} : tensor<f32>
  %d = onnx.Div %s, %c : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %d {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %vr : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// GQA through Tile of the unsqueezed heads, and through Concat of copies on
// the new axis.
// CHECK-LABEL: func.func @attention_gqa_tile_concat
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 1.000000e+00 : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32>
func.func @attention_gqa_tile_concat(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %axis = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %reps = onnx.Constant {value = dense<[1, 1, 2, 1, 1]> : tensor<5xi64>} : tensor<5xi64>
  %shape4 = onnx.Constant {value = dense<[1, 4, 8, 16]> : tensor<4xi64>} : tensor<4xi64>
  %k5 = onnx.Unsqueeze %k, %axis : (tensor<1x2x8x16xf32>, tensor<1xi64>) -> tensor<1x2x1x8x16xf32>
  %kt5 = onnx.Tile %k5, %reps : (tensor<1x2x1x8x16xf32>, tensor<5xi64>) -> tensor<1x2x2x8x16xf32>
  %kr = onnx.Reshape %kt5, %shape4 : (tensor<1x2x2x8x16xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %v5 = onnx.Unsqueeze %v, %axis : (tensor<1x2x8x16xf32>, tensor<1xi64>) -> tensor<1x2x1x8x16xf32>
  %vc = onnx.Concat %v5, %v5 {axis = 2 : i64} : (tensor<1x2x1x8x16xf32>, tensor<1x2x1x8x16xf32>) -> tensor<1x2x2x8x16xf32>
  %vr = onnx.Reshape %vc, %shape4 : (tensor<1x2x2x8x16xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %kt = onnx.Transpose %kr {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %s {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %vr : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// MQA: one key/value head expanded over all query heads.
// CHECK-LABEL: func.func @attention_mqa_expand
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 1.000000e+00 : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
func.func @attention_mqa_expand(%q: tensor<1x4x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %shape4 = onnx.Constant {value = dense<[1, 4, 8, 16]> : tensor<4xi64>} : tensor<4xi64>
  %ke = onnx.Expand %k, %shape4 : (tensor<1x1x8x16xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %ve = onnx.Expand %v, %shape4 : (tensor<1x1x8x16xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %kt = onnx.Transpose %ke {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %s {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %ve : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Tile over the heads axis with two key/value heads repeats the block
// (head h reads h mod 2, not h / 2): not stripped.
// CHECK-LABEL: func.func @attention_tile_heads_not_stripped
// CHECK: %[[KT:.+]] = onnx.Tile %arg1
// CHECK: %[[VT:.+]] = onnx.Tile %arg2
// CHECK: xf.attention %arg0, %[[KT]], %[[VT]] scale = 1.000000e+00 : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
func.func @attention_tile_heads_not_stripped(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %reps = onnx.Constant {value = dense<[1, 2, 1, 1]> : tensor<4xi64>} : tensor<4xi64>
  %ke = onnx.Tile %k, %reps : (tensor<1x2x8x16xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %ve = onnx.Tile %v, %reps : (tensor<1x2x8x16xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %kt = onnx.Transpose %ke {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %s {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %ve : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Causal from Trilu of ones, cast to bool, applied with Where and -inf.
// CHECK-LABEL: func.func @attention_causal_trilu_where
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 1.000000e+00 causal : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
func.func @attention_causal_trilu_where(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %square = onnx.Constant {value = dense<[8, 8]> : tensor<2xi64>} : tensor<2xi64>
  %ones = onnx.ConstantOfShape %square {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<8x8xi64>
  %tril = onnx.Trilu %ones {upper = 0 : i64} : (tensor<8x8xi64>) -> tensor<8x8xi64>
  %cond = onnx.Cast %tril {to = i1} : (tensor<8x8xi64>) -> tensor<8x8xi1>
  %ninf = onnx.Constant {value = dense<0xFF800000> : tensor<f32>} : tensor<f32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %m = onnx.Where %cond, %s, %ninf : (tensor<8x8xi1>, tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// A decode-style step: 4 queries over 8 keys, Trilu with k = Skv - Sq = 4.
// CHECK-LABEL: func.func @attention_causal_with_past
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 1.000000e+00 causal : (tensor<1x4x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x4x16xf32>
func.func @attention_causal_with_past(%q: tensor<1x4x4x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x4x16xf32> {
  %shape = onnx.Constant {value = dense<[4, 8]> : tensor<2xi64>} : tensor<2xi64>
  %ones = onnx.ConstantOfShape %shape {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<4x8xi64>
  %diag = onnx.Constant {value = dense<4> : tensor<i64>} : tensor<i64>
  %tril = onnx.Trilu %ones, %diag {upper = 0 : i64} : (tensor<4x8xi64>, tensor<i64>) -> tensor<4x8xi64>
  %cond = onnx.Cast %tril {to = i1} : (tensor<4x8xi64>) -> tensor<4x8xi1>
  %min = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
  %zero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %mask = onnx.Where %cond, %zero, %min : (tensor<4x8xi1>, tensor<f32>, tensor<f32>) -> tensor<4x8xf32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x4x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x4x8xf32>
  %m = onnx.Add %s, %mask : (tensor<1x4x4x8xf32>, tensor<4x8xf32>) -> tensor<1x4x4x8xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x4x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x4x16xf32>
  return %o : tensor<1x4x4x16xf32>
}

// -----

// The same with k = 3: not causal with offset Skv - Sq, so the whole mask
// stays additive.
// CHECK-LABEL: func.func @attention_wrong_offset_not_causal
// CHECK: %[[MASK:.+]] = onnx.Where
// CHECK: xf.attention %arg0, %arg1, %arg2 mask %[[MASK]] scale = 1.000000e+00 :
// CHECK-NOT: causal
func.func @attention_wrong_offset_not_causal(%q: tensor<1x4x4x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x4x16xf32> {
  %shape = onnx.Constant {value = dense<[4, 8]> : tensor<2xi64>} : tensor<2xi64>
  %ones = onnx.ConstantOfShape %shape {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<4x8xi64>
  %diag = onnx.Constant {value = dense<3> : tensor<i64>} : tensor<i64>
  %tril = onnx.Trilu %ones, %diag {upper = 0 : i64} : (tensor<4x8xi64>, tensor<i64>) -> tensor<4x8xi64>
  %cond = onnx.Cast %tril {to = i1} : (tensor<4x8xi64>) -> tensor<4x8xi1>
  %min = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
  %zero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %mask = onnx.Where %cond, %zero, %min : (tensor<4x8xi1>, tensor<f32>, tensor<f32>) -> tensor<4x8xf32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x4x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x4x8xf32>
  %m = onnx.Add %s, %mask : (tensor<1x4x4x8xf32>, tensor<4x8xf32>) -> tensor<1x4x4x8xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x4x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x4x16xf32>
  return %o : tensor<1x4x4x16xf32>
}

// -----

// Causal and padding combined with And (Llama's export): the causal part
// sets `causal`; the padding part reads a graph input, so the whole mask
// stays as the operand (applying it again under `causal` changes nothing).
// xfc binds the padding mask to ones before fusion, which folds it away.
// CHECK-LABEL: func.func @attention_causal_and_padding
// CHECK-SAME: %[[PAD:[^:]+]]: tensor<1x1x1x8xi1>
// CHECK: %[[ALLOWED:.+]] = onnx.And %{{.+}}, %[[PAD]]
// CHECK: %[[MASK:.+]] = onnx.Where %[[ALLOWED]], %{{.+}}, %{{.+}} : (tensor<1x1x8x8xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x8x8xf32>
// CHECK: xf.attention %arg0, %arg1, %arg2 mask %[[MASK]] scale = 1.000000e+00 causal
func.func @attention_causal_and_padding(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %pad: tensor<1x1x1x8xi1>) -> tensor<1x4x8x16xf32> {
  %square = onnx.Constant {value = dense<[8, 8]> : tensor<2xi64>} : tensor<2xi64>
  %ones = onnx.ConstantOfShape %square {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<8x8xi64>
  %tril = onnx.Trilu %ones {upper = 0 : i64} : (tensor<8x8xi64>) -> tensor<8x8xi64>
  %causal = onnx.Cast %tril {to = i1} : (tensor<8x8xi64>) -> tensor<8x8xi1>
  %axes = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %causal4 = onnx.Unsqueeze %causal, %axes : (tensor<8x8xi1>, tensor<2xi64>) -> tensor<1x1x8x8xi1>
  %allowed = onnx.And %causal4, %pad : (tensor<1x1x8x8xi1>, tensor<1x1x1x8xi1>) -> tensor<1x1x8x8xi1>
  %min = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
  %zero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %mask = onnx.Where %allowed, %zero, %min : (tensor<1x1x8x8xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x8x8xf32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %m = onnx.Add %s, %mask : (tensor<1x4x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// GPT-2: rows [Skv - Sq, Skv) and columns [0, Skv) of a lower-triangular
// bool buffer, applied with Where, plus an additive term from a graph input
// that can hold any value (a bias, not a keep/mask choice): the whole
// masked sum stays as the operand and `causal` is not claimed.
// CHECK-LABEL: func.func @attention_gpt2_sliced_bias
// CHECK-SAME: %[[ADD:[^:]+]]: tensor<1x1x1x8xf32>
// CHECK: %[[MASK:.+]] = onnx.Add %{{.+}}, %[[ADD]]
// CHECK: xf.attention %arg0, %arg1, %arg2 mask %[[MASK]] scale = 2.500000e-01 :
func.func @attention_gpt2_sliced_bias(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %additive: tensor<1x1x1x8xf32>) -> tensor<1x4x8x16xf32> {
  %bias = onnx.Constant {value = dense<[[[
      [true, false, false, false, false, false, false, false, false, false],
      [true, true, false, false, false, false, false, false, false, false],
      [true, true, true, false, false, false, false, false, false, false],
      [true, true, true, true, false, false, false, false, false, false],
      [true, true, true, true, true, false, false, false, false, false],
      [true, true, true, true, true, true, false, false, false, false],
      [true, true, true, true, true, true, true, false, false, false],
      [true, true, true, true, true, true, true, true, false, false],
      [true, true, true, true, true, true, true, true, true, false],
      [true, true, true, true, true, true, true, true, true, true]]]]> : tensor<1x1x10x10xi1>} : tensor<1x1x10x10xi1>
  %kshape = onnx.Shape %k : (tensor<1x4x8x16xf32>) -> tensor<4xi64>
  %qshape = onnx.Shape %q : (tensor<1x4x8x16xf32>) -> tensor<4xi64>
  %two = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %klen = onnx.Gather %kshape, %two : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %qlen = onnx.Gather %qshape, %two : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %diff = onnx.Sub %klen, %qlen : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %axis0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %start = onnx.Unsqueeze %diff, %axis0 : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %end = onnx.Unsqueeze %klen, %axis0 : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %ax2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %ax3 = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %rows = onnx.Slice %bias, %start, %end axes %ax2 : (tensor<1x1x10x10xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x8x10xi1>
  %cm = onnx.Slice %rows, %zero, %end axes %ax3 : (tensor<1x1x8x10xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x8x8xi1>
  %min = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %c = onnx.Constant {value = dense<4.0> : tensor<f32>} : tensor<f32>
  %d = onnx.Div %s, %c : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %w = onnx.Where %cm, %d, %min : (tensor<1x1x8x8xi1>, tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %m = onnx.Add %w, %additive : (tensor<1x4x8x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Causal from Range comparisons: kv_idx <= q_idx, with the lengths read from
// the shapes of Q and K (past = Skv - Sq), as dynamo exports build them.
// CHECK-LABEL: func.func @attention_causal_range_compare
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 1.000000e+00 causal
func.func @attention_causal_range_compare(%q: tensor<1x4x?x16xf32>, %k: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32> {
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %two = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %qshape = onnx.Shape %q : (tensor<1x4x?x16xf32>) -> tensor<4xi64>
  %kshape = onnx.Shape %k : (tensor<1x4x?x16xf32>) -> tensor<4xi64>
  %seq = onnx.Gather %qshape, %two : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %total = onnx.Gather %kshape, %two : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %past = onnx.Sub %total, %seq : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %qpos = onnx.Range %past, %total, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %kpos = onnx.Range %zero, %total, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %ax = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %rows = onnx.Unsqueeze %qpos, %ax : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %cond = onnx.LessOrEqual %kpos, %rows : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %ninf = onnx.Constant {value = dense<0xFF800000> : tensor<f32>} : tensor<f32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %m = onnx.Where %cond, %s, %ninf : (tensor<?x?xi1>, tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// -----

// Near miss: the same comparison over lengths that come from elsewhere
// (two free scalars) says nothing about the positions of Q and K, so the
// mask is kept whole and `causal` is not set.
// CHECK-LABEL: func.func @attention_range_compare_unrelated_lengths
// CHECK: %[[MASK:.+]] = onnx.Where
// CHECK: xf.attention %arg0, %arg1, %arg2 mask %[[MASK]] scale = 1.000000e+00 :
func.func @attention_range_compare_unrelated_lengths(%q: tensor<1x4x?x16xf32>, %k: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>, %past: tensor<i64>, %seq: tensor<i64>) -> tensor<1x4x?x16xf32> {
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %total = onnx.Add %past, %seq : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %qpos = onnx.Range %past, %total, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %kpos = onnx.Range %zero, %total, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %ax = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %rows = onnx.Unsqueeze %qpos, %ax : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %cond = onnx.LessOrEqual %kpos, %rows : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %ninf = onnx.Constant {value = dense<0xFF800000> : tensor<f32>} : tensor<f32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %m = onnx.Where %cond, %s, %ninf : (tensor<?x?xi1>, tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// -----

// The legacy Hugging Face causal mask (Falcon, OPT through optimum): min
// where j > i (triu of a full matrix) and j > cache_position[i] = past + i,
// the past being the cache the keys were concatenated to. As past >= 0 the
// second implies the first, so the keys kept are j <= past + i: causal.
// CHECK-LABEL: func.func @attention_legacy_hf_causal
// CHECK-NOT: onnx.Where
// CHECK: %[[K:.+]] = onnx.Concat %arg1, %arg0
// CHECK-NOT: onnx.Where
// CHECK: xf.attention %arg0, %[[K]], %arg2 scale = 1.000000e+00 causal :
func.func @attention_legacy_hf_causal(%q: tensor<1x4x?x16xf32>, %pk: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32> {
  %k = onnx.Concat %pk, %q {axis = 2 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %two = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %ax = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %qshape = onnx.Shape %q : (tensor<1x4x?x16xf32>) -> tensor<4xi64>
  %kshape = onnx.Shape %k : (tensor<1x4x?x16xf32>) -> tensor<4xi64>
  %seq = onnx.Gather %qshape, %two : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %total = onnx.Gather %kshape, %two : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %past = onnx.Sub %total, %seq : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %first = onnx.Identity %past : (tensor<i64>) -> tensor<i64>
  %end = onnx.Add %first, %seq : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %rows = onnx.Range %zero, %seq, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %rows2 = onnx.Unsqueeze %rows, %ax : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %cache = onnx.Range %first, %end, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %cache2 = onnx.Unsqueeze %cache, %ax : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %cols = onnx.Range %zero, %total, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %above = onnx.Greater %cols, %rows2 : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %ahead = onnx.Greater %cols, %cache2 : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %hidden = onnx.And %above, %ahead : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %min = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
  %fzero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %mask = onnx.Where %hidden, %min, %fzero : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %m = onnx.Add %s, %mask : (tensor<1x4x?x?xf32>, tensor<?x?xf32>) -> tensor<1x4x?x?xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// -----

// Near miss: the same with cache positions past - 1 + i. Whether j > i or
// j > past - 1 + i decides depends on whether past is 0, which the sizes do
// not say: the mask stays whole.
// CHECK-LABEL: func.func @attention_legacy_hf_offset_near_miss
// CHECK: %[[MASK:.+]] = onnx.Where
// CHECK: xf.attention %arg0, %{{.+}}, %arg2 mask %[[MASK]] scale = 1.000000e+00 :
func.func @attention_legacy_hf_offset_near_miss(%q: tensor<1x4x?x16xf32>, %pk: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32> {
  %k = onnx.Concat %pk, %q {axis = 2 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %two = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %ax = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %qshape = onnx.Shape %q : (tensor<1x4x?x16xf32>) -> tensor<4xi64>
  %kshape = onnx.Shape %k : (tensor<1x4x?x16xf32>) -> tensor<4xi64>
  %seq = onnx.Gather %qshape, %two : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %total = onnx.Gather %kshape, %two : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %past = onnx.Sub %total, %seq : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %first = onnx.Sub %past, %one : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %end = onnx.Add %first, %seq : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %rows = onnx.Range %zero, %seq, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %rows2 = onnx.Unsqueeze %rows, %ax : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %cache = onnx.Range %first, %end, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %cache2 = onnx.Unsqueeze %cache, %ax : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %cols = onnx.Range %zero, %total, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %above = onnx.Greater %cols, %rows2 : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %ahead = onnx.Greater %cols, %cache2 : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %hidden = onnx.And %above, %ahead : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %min = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
  %fzero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %mask = onnx.Where %hidden, %min, %fzero : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %m = onnx.Add %s, %mask : (tensor<1x4x?x?xf32>, tensor<?x?xf32>) -> tensor<1x4x?x?xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// -----

// An additive causal mask: Trilu(upper, k = 1) of -inf.
// CHECK-LABEL: func.func @attention_causal_additive_triu
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 1.000000e+00 causal :
func.func @attention_causal_additive_triu(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %square = onnx.Constant {value = dense<[8, 8]> : tensor<2xi64>} : tensor<2xi64>
  %full = onnx.ConstantOfShape %square {value = dense<0xFF800000> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<8x8xf32>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %mask = onnx.Trilu %full, %one {upper = 1 : i64} : (tensor<8x8xf32>, tensor<i64>) -> tensor<8x8xf32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %m = onnx.Add %mask, %s : (tensor<8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// f16 attention with the Softmax in f32 between two Casts.
// CHECK-LABEL: func.func @attention_f16_softmax_in_f32
// CHECK: xf.attention %arg0, %arg1, %arg2 scale = 1.000000e+00 : (tensor<1x4x8x16xf16>, tensor<1x4x8x16xf16>, tensor<1x4x8x16xf16>) -> tensor<1x4x8x16xf16>
func.func @attention_f16_softmax_in_f32(%q: tensor<1x4x8x16xf16>, %k: tensor<1x4x8x16xf16>, %v: tensor<1x4x8x16xf16>) -> tensor<1x4x8x16xf16> {
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf16>) -> tensor<1x4x16x8xf16>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf16>, tensor<1x4x16x8xf16>) -> tensor<1x4x8x8xf16>
  %s32 = onnx.Cast %s {to = f32} : (tensor<1x4x8x8xf16>) -> tensor<1x4x8x8xf32>
  %p32 = onnx.Softmax %s32 {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Cast %p32 {to = f16} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf16>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf16>, tensor<1x4x8x16xf16>) -> tensor<1x4x8x16xf16>
  return %o : tensor<1x4x8x16xf16>
}

// -----

// Near misses: Softmax over another axis, a scale that is not a constant.
// CHECK-LABEL: func.func @attention_softmax_wrong_axis
// CHECK-NOT: xf.attention
// CHECK: onnx.Softmax
func.func @attention_softmax_wrong_axis(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %s {axis = 2 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// CHECK-LABEL: func.func @attention_scale_not_constant
// CHECK-NOT: xf.attention
// CHECK: onnx.Softmax
func.func @attention_scale_not_constant(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %c: tensor<f32>) -> tensor<1x4x8x16xf32> {
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %d = onnx.Div %s, %c : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %d {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// A Where that selects 0 rather than a large negative is not a mask.
// CHECK-LABEL: func.func @attention_where_zero_not_mask
// CHECK-NOT: xf.attention
func.func @attention_where_zero_not_mask(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %cond: tensor<8x8xi1>) -> tensor<1x4x8x16xf32> {
  %zero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %kt = onnx.Transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = onnx.MatMul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %m = onnx.Where %cond, %s, %zero : (tensor<8x8xi1>, tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %p = onnx.Softmax %m {axis = -1 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = onnx.MatMul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// RMSNorm as Llama exports it: Pow 2, ReduceMean over -1, Add eps, Sqrt,
// Div, times the weight.
// CHECK-LABEL: func.func @rms_norm_pow_div
// CHECK: %[[Y:.+]] = xf.rms_norm %arg0, %arg1 epsilon = 9.99999997E-7 : (tensor<2x?x64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
// CHECK: return %[[Y]]
func.func @rms_norm_pow_div(%x: tensor<2x?x64xf32>, %w: tensor<64xf32>) -> tensor<2x?x64xf32> {
  %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
  %axes = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %eps = onnx.Constant {value = dense<1.0e-6> : tensor<f32>} : tensor<f32>
  %sq = onnx.Pow %x, %two : (tensor<2x?x64xf32>, tensor<f32>) -> tensor<2x?x64xf32>
  %mean = onnx.ReduceMean %sq, %axes : (tensor<2x?x64xf32>, tensor<1xi64>) -> tensor<2x?x1xf32>
  %var = onnx.Add %mean, %eps : (tensor<2x?x1xf32>, tensor<f32>) -> tensor<2x?x1xf32>
  %rms = onnx.Sqrt %var : (tensor<2x?x1xf32>) -> tensor<2x?x1xf32>
  %n = onnx.Div %x, %rms : (tensor<2x?x64xf32>, tensor<2x?x1xf32>) -> tensor<2x?x64xf32>
  %y = onnx.Mul %w, %n : (tensor<64xf32>, tensor<2x?x64xf32>) -> tensor<2x?x64xf32>
  return %y : tensor<2x?x64xf32>
}

// x * x, Reciprocal of the root, weight on the right.
// CHECK-LABEL: func.func @rms_norm_mul_reciprocal
// CHECK: xf.rms_norm %arg0, %arg1 epsilon = 9.99999974E-6
func.func @rms_norm_mul_reciprocal(%x: tensor<2x8x64xf32>, %w: tensor<64xf32>) -> tensor<2x8x64xf32> {
  %axes = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %eps = onnx.Constant {value = dense<1.0e-5> : tensor<1xf32>} : tensor<1xf32>
  %sq = onnx.Mul %x, %x : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %mean = onnx.ReduceMean %sq, %axes : (tensor<2x8x64xf32>, tensor<1xi64>) -> tensor<2x8x1xf32>
  %var = onnx.Add %eps, %mean : (tensor<1xf32>, tensor<2x8x1xf32>) -> tensor<2x8x1xf32>
  %rms = onnx.Sqrt %var : (tensor<2x8x1xf32>) -> tensor<2x8x1xf32>
  %inv = onnx.Reciprocal %rms : (tensor<2x8x1xf32>) -> tensor<2x8x1xf32>
  %n = onnx.Mul %x, %inv : (tensor<2x8x64xf32>, tensor<2x8x1xf32>) -> tensor<2x8x64xf32>
  %y = onnx.Mul %n, %w : (tensor<2x8x64xf32>, tensor<64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// Near misses: exponent 3, and a mean over a non-last axis.
// CHECK-LABEL: func.func @rms_norm_pow3_not_fused
// CHECK-NOT: xf.rms_norm
// CHECK: onnx.Pow
func.func @rms_norm_pow3_not_fused(%x: tensor<2x8x64xf32>, %w: tensor<64xf32>) -> tensor<2x8x64xf32> {
  %three = onnx.Constant {value = dense<3.0> : tensor<f32>} : tensor<f32>
  %axes = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %eps = onnx.Constant {value = dense<1.0e-6> : tensor<f32>} : tensor<f32>
  %sq = onnx.Pow %x, %three : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %mean = onnx.ReduceMean %sq, %axes : (tensor<2x8x64xf32>, tensor<1xi64>) -> tensor<2x8x1xf32>
  %var = onnx.Add %mean, %eps : (tensor<2x8x1xf32>, tensor<f32>) -> tensor<2x8x1xf32>
  %rms = onnx.Sqrt %var : (tensor<2x8x1xf32>) -> tensor<2x8x1xf32>
  %n = onnx.Div %x, %rms : (tensor<2x8x64xf32>, tensor<2x8x1xf32>) -> tensor<2x8x64xf32>
  %y = onnx.Mul %w, %n : (tensor<64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// CHECK-LABEL: func.func @rms_norm_wrong_axis_not_fused
// CHECK-NOT: xf.rms_norm
// CHECK: onnx.ReduceMean
func.func @rms_norm_wrong_axis_not_fused(%x: tensor<2x64x64xf32>, %w: tensor<64xf32>) -> tensor<2x64x64xf32> {
  %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
  %axes = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %eps = onnx.Constant {value = dense<1.0e-6> : tensor<f32>} : tensor<f32>
  %sq = onnx.Pow %x, %two : (tensor<2x64x64xf32>, tensor<f32>) -> tensor<2x64x64xf32>
  %mean = onnx.ReduceMean %sq, %axes : (tensor<2x64x64xf32>, tensor<1xi64>) -> tensor<2x1x64xf32>
  %var = onnx.Add %mean, %eps : (tensor<2x1x64xf32>, tensor<f32>) -> tensor<2x1x64xf32>
  %rms = onnx.Sqrt %var : (tensor<2x1x64xf32>) -> tensor<2x1x64xf32>
  %n = onnx.Div %x, %rms : (tensor<2x64x64xf32>, tensor<2x1x64xf32>) -> tensor<2x64x64xf32>
  %y = onnx.Mul %w, %n : (tensor<64xf32>, tensor<2x64x64xf32>) -> tensor<2x64x64xf32>
  return %y : tensor<2x64x64xf32>
}

// -----

// LayerNormalization over the last axis; one over two axes stays.
// CHECK-LABEL: func.func @layer_norm_op
// CHECK: xf.layer_norm %arg0, %arg1, %arg2 epsilon = 9.99999974E-6 : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
func.func @layer_norm_op(%x: tensor<2x?x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<2x?x64xf32> {
  %y, %mean, %inv = onnx.LayerNormalization %x, %w, %b {axis = -1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> (tensor<2x?x64xf32>, tensor<2x?x1xf32>, tensor<2x?x1xf32>)
  return %y : tensor<2x?x64xf32>
}

// CHECK-LABEL: func.func @layer_norm_two_axes_not_fused
// CHECK-NOT: xf.layer_norm
func.func @layer_norm_two_axes_not_fused(%x: tensor<2x8x64xf32>, %w: tensor<8x64xf32>) -> tensor<2x8x64xf32> {
  %y, %mean, %inv = onnx.LayerNormalization %x, %w {axis = 1 : i64} : (tensor<2x8x64xf32>, tensor<8x64xf32>) -> (tensor<2x8x64xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %y : tensor<2x8x64xf32>
}

// The decomposed form with a bias.
// CHECK-LABEL: func.func @layer_norm_decomposed
// CHECK: %[[Y:.+]] = xf.layer_norm %arg0, %arg1, %arg2 epsilon = 9.99999974E-6 : (tensor<2x8x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x8x64xf32>
// CHECK: return %[[Y]]
func.func @layer_norm_decomposed(%x: tensor<2x8x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<2x8x64xf32> {
  %axes = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
  %eps = onnx.Constant {value = dense<1.0e-5> : tensor<f32>} : tensor<f32>
  %mean = onnx.ReduceMean %x, %axes : (tensor<2x8x64xf32>, tensor<1xi64>) -> tensor<2x8x1xf32>
  %d = onnx.Sub %x, %mean : (tensor<2x8x64xf32>, tensor<2x8x1xf32>) -> tensor<2x8x64xf32>
  %sq = onnx.Pow %d, %two : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %var = onnx.ReduceMean %sq, %axes : (tensor<2x8x64xf32>, tensor<1xi64>) -> tensor<2x8x1xf32>
  %ve = onnx.Add %var, %eps : (tensor<2x8x1xf32>, tensor<f32>) -> tensor<2x8x1xf32>
  %sd = onnx.Sqrt %ve : (tensor<2x8x1xf32>) -> tensor<2x8x1xf32>
  %n = onnx.Div %d, %sd : (tensor<2x8x64xf32>, tensor<2x8x1xf32>) -> tensor<2x8x64xf32>
  %s = onnx.Mul %n, %w : (tensor<2x8x64xf32>, tensor<64xf32>) -> tensor<2x8x64xf32>
  %y = onnx.Add %s, %b : (tensor<2x8x64xf32>, tensor<64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// rotate_half RoPE with cos/sin computed as Cos/Sin(Concat(f, f)) and
// unsqueezed to [1, 1, S, D]: xf.rope gets their first halves as [S, D/2].
// CHECK-LABEL: func.func @rope_rotate_half
// CHECK: %[[C:.+]] = onnx.Squeeze {{.+}} -> tensor<8x8xf32>
// CHECK: %[[S:.+]] = onnx.Squeeze {{.+}} -> tensor<8x8xf32>
// CHECK: xf.rope %arg0, %[[C]], %[[S]] style = rotate_half : (tensor<1x4x8x16xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8x16xf32>
func.func @rope_rotate_half(%x: tensor<1x4x8x16xf32>, %f: tensor<8x8xf32>) -> tensor<1x4x8x16xf32> {
  %emb = onnx.Concat %f, %f {axis = -1 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %c2 = onnx.Cos %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %s2 = onnx.Sin %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %cos = onnx.Unsqueeze %c2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %sin = onnx.Unsqueeze %s2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %half = onnx.Constant {value = dense<8> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<4611686018427387904> : tensor<1xi64>} : tensor<1xi64>
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %x1 = onnx.Slice %x, %zero, %half axes %last : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %x2 = onnx.Slice %x, %half, %big axes %last : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %nx2 = onnx.Neg %x2 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %rot = onnx.Concat %nx2, %x1 {axis = -1 : i64} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x16xf32>
  %a = onnx.Mul %x, %cos : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %b = onnx.Mul %rot, %sin : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %y = onnx.Add %a, %b : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// Tables that do not repeat their halves (arbitrary arguments) are not
// rope tables.
// CHECK-LABEL: func.func @rope_tables_not_repeated
// CHECK-NOT: xf.rope
func.func @rope_tables_not_repeated(%x: tensor<1x4x8x16xf32>, %cos: tensor<1x1x8x16xf32>, %sin: tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %half = onnx.Constant {value = dense<8> : tensor<1xi64>} : tensor<1xi64>
  %end = onnx.Constant {value = dense<16> : tensor<1xi64>} : tensor<1xi64>
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %x1 = onnx.Slice %x, %zero, %half axes %last : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %x2 = onnx.Slice %x, %half, %end axes %last : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %nx2 = onnx.Neg %x2 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %rot = onnx.Concat %nx2, %x1 {axis = -1 : i64} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x16xf32>
  %a = onnx.Mul %x, %cos : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %b = onnx.Mul %rot, %sin : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %y = onnx.Add %a, %b : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// Interleaved (GPT-J) RoPE as torch.onnx writes rotate_every_two: x[..., ::2]
// and x[..., 1::2] as Slices with step 2, stack(-x2, x1) as Unsqueeze +
// Concat, flattened by a Reshape; cos/sin repeat_interleave'd (Unsqueeze(-1),
// Concat with itself, Reshape): xf.rope gets every other element.
// CHECK-LABEL: func.func @rope_interleaved_slice_step
// CHECK: %[[CS:.+]] = onnx.Slice %{{.+}}, %{{.+}}, %{{.+}} axes %{{.+}} steps %{{.+}} : (tensor<1x1x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x8x8xf32>
// CHECK: %[[C:.+]] = onnx.Squeeze %[[CS]], %{{.+}} -> tensor<8x8xf32>
// CHECK: %[[S:.+]] = onnx.Squeeze {{.+}} -> tensor<8x8xf32>
// CHECK: %[[Y:.+]] = xf.rope %arg0, %[[C]], %[[S]] style = interleaved : (tensor<1x4x8x16xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8x16xf32>
// CHECK: return %[[Y]]
func.func @rope_interleaved_slice_step(%x: tensor<1x4x8x16xf32>, %f: tensor<8x8xf32>) -> tensor<1x4x8x16xf32> {
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %fu = onnx.Unsqueeze %f, %last : (tensor<8x8xf32>, tensor<1xi64>) -> tensor<8x8x1xf32>
  %fp = onnx.Concat %fu, %fu {axis = -1 : i64} : (tensor<8x8x1xf32>, tensor<8x8x1xf32>) -> tensor<8x8x2xf32>
  %tshape = onnx.Constant {value = dense<[8, 16]> : tensor<2xi64>} : tensor<2xi64>
  %emb = onnx.Reshape %fp, %tshape : (tensor<8x8x2xf32>, tensor<2xi64>) -> tensor<8x16xf32>
  %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %c2 = onnx.Cos %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %s2 = onnx.Sin %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %cos = onnx.Unsqueeze %c2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %sin = onnx.Unsqueeze %s2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<4611686018427387904> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %x1 = onnx.Slice %x, %zero, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %x2 = onnx.Slice %x, %one, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %nx2 = onnx.Neg %x2 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %u2 = onnx.Unsqueeze %nx2, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %u1 = onnx.Unsqueeze %x1, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %st = onnx.Concat %u2, %u1 {axis = -1 : i64} : (tensor<1x4x8x8x1xf32>, tensor<1x4x8x8x1xf32>) -> tensor<1x4x8x8x2xf32>
  %flat = onnx.Constant {value = dense<[1, 4, 8, 16]> : tensor<4xi64>} : tensor<4xi64>
  %rot = onnx.Reshape %st, %flat : (tensor<1x4x8x8x2xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %a = onnx.Mul %x, %cos : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %b = onnx.Mul %rot, %sin : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %y = onnx.Add %a, %b : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// The pairs form: x reshaped to [..., D/2, 2], its two columns taken with
// Gather (flattened back with a -1 in the target); [S, D] tables from
// Expand of Unsqueeze(f, -1).
// CHECK-LABEL: func.func @rope_interleaved_reshape_gather
// CHECK: xf.rope %arg0, %{{.+}}, %{{.+}} style = interleaved : (tensor<1x4x8x16xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8x16xf32>
func.func @rope_interleaved_reshape_gather(%x: tensor<1x4x8x16xf32>, %f: tensor<8x8xf32>) -> tensor<1x4x8x16xf32> {
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %fu = onnx.Unsqueeze %f, %last : (tensor<8x8xf32>, tensor<1xi64>) -> tensor<8x8x1xf32>
  %eshape = onnx.Constant {value = dense<[8, 8, 2]> : tensor<3xi64>} : tensor<3xi64>
  %fe = onnx.Expand %fu, %eshape : (tensor<8x8x1xf32>, tensor<3xi64>) -> tensor<8x8x2xf32>
  %tshape = onnx.Constant {value = dense<[0, -1]> : tensor<2xi64>} : tensor<2xi64>
  %emb = onnx.Reshape %fe, %tshape : (tensor<8x8x2xf32>, tensor<2xi64>) -> tensor<8x16xf32>
  %cos = onnx.Cos %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %sin = onnx.Sin %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %pshape = onnx.Constant {value = dense<[0, 0, 0, 8, 2]> : tensor<5xi64>} : tensor<5xi64>
  %pairs = onnx.Reshape %x, %pshape : (tensor<1x4x8x16xf32>, tensor<5xi64>) -> tensor<1x4x8x8x2xf32>
  %i0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %i1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %x1 = onnx.Gather %pairs, %i0 {axis = -1 : i64} : (tensor<1x4x8x8x2xf32>, tensor<i64>) -> tensor<1x4x8x8xf32>
  %x2 = onnx.Gather %pairs, %i1 {axis = -1 : i64} : (tensor<1x4x8x8x2xf32>, tensor<i64>) -> tensor<1x4x8x8xf32>
  %nx2 = onnx.Neg %x2 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %u2 = onnx.Unsqueeze %nx2, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %u1 = onnx.Unsqueeze %x1, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %st = onnx.Concat %u2, %u1 {axis = -1 : i64} : (tensor<1x4x8x8x1xf32>, tensor<1x4x8x8x1xf32>) -> tensor<1x4x8x8x2xf32>
  %flat = onnx.Constant {value = dense<[1, 4, 8, -1]> : tensor<4xi64>} : tensor<4xi64>
  %rot = onnx.Reshape %st, %flat : (tensor<1x4x8x8x2xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %a = onnx.Mul %x, %cos : (tensor<1x4x8x16xf32>, tensor<8x16xf32>) -> tensor<1x4x8x16xf32>
  %b = onnx.Mul %sin, %rot : (tensor<8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %y = onnx.Add %b, %a : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// The pairs' columns from Split, negated before the Concat; tables from Tile
// of Unsqueeze(f, -1).
// CHECK-LABEL: func.func @rope_interleaved_split
// CHECK: xf.rope %arg0, %{{.+}}, %{{.+}} style = interleaved : (tensor<1x4x8x16xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8x16xf32>
func.func @rope_interleaved_split(%x: tensor<1x4x8x16xf32>, %f: tensor<8x8xf32>) -> tensor<1x4x8x16xf32> {
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %fu = onnx.Unsqueeze %f, %last : (tensor<8x8xf32>, tensor<1xi64>) -> tensor<8x8x1xf32>
  %reps = onnx.Constant {value = dense<[1, 1, 2]> : tensor<3xi64>} : tensor<3xi64>
  %ft = onnx.Tile %fu, %reps : (tensor<8x8x1xf32>, tensor<3xi64>) -> tensor<8x8x2xf32>
  %tshape = onnx.Constant {value = dense<[8, 16]> : tensor<2xi64>} : tensor<2xi64>
  %emb = onnx.Reshape %ft, %tshape : (tensor<8x8x2xf32>, tensor<2xi64>) -> tensor<8x16xf32>
  %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %c2 = onnx.Cos %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %s2 = onnx.Sin %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %cos = onnx.Unsqueeze %c2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %sin = onnx.Unsqueeze %s2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %pshape = onnx.Constant {value = dense<[1, 4, 8, 8, 2]> : tensor<5xi64>} : tensor<5xi64>
  %pairs = onnx.Reshape %x, %pshape : (tensor<1x4x8x16xf32>, tensor<5xi64>) -> tensor<1x4x8x8x2xf32>
  %p1, %p2 = onnx.Split %pairs {axis = -1 : i64, num_outputs = 2 : i64} : (tensor<1x4x8x8x2xf32>) -> (tensor<1x4x8x8x1xf32>, tensor<1x4x8x8x1xf32>)
  %np2 = onnx.Neg %p2 : (tensor<1x4x8x8x1xf32>) -> tensor<1x4x8x8x1xf32>
  %st = onnx.Concat %np2, %p1 {axis = -1 : i64} : (tensor<1x4x8x8x1xf32>, tensor<1x4x8x8x1xf32>) -> tensor<1x4x8x8x2xf32>
  %flat = onnx.Constant {value = dense<[1, 4, 8, 16]> : tensor<4xi64>} : tensor<4xi64>
  %rot = onnx.Reshape %st, %flat : (tensor<1x4x8x8x2xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %a = onnx.Mul %x, %cos : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %b = onnx.Mul %rot, %sin : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %y = onnx.Add %a, %b : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// Near miss: stack(-x1, x2) pairs the wrong elements (not a rotation).
// CHECK-LABEL: func.func @rope_interleaved_wrong_pairing_not_fused
// CHECK-NOT: xf.rope
func.func @rope_interleaved_wrong_pairing_not_fused(%x: tensor<1x4x8x16xf32>, %f: tensor<8x8xf32>) -> tensor<1x4x8x16xf32> {
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %fu = onnx.Unsqueeze %f, %last : (tensor<8x8xf32>, tensor<1xi64>) -> tensor<8x8x1xf32>
  %fp = onnx.Concat %fu, %fu {axis = -1 : i64} : (tensor<8x8x1xf32>, tensor<8x8x1xf32>) -> tensor<8x8x2xf32>
  %tshape = onnx.Constant {value = dense<[8, 16]> : tensor<2xi64>} : tensor<2xi64>
  %emb = onnx.Reshape %fp, %tshape : (tensor<8x8x2xf32>, tensor<2xi64>) -> tensor<8x16xf32>
  %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %c2 = onnx.Cos %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %s2 = onnx.Sin %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %cos = onnx.Unsqueeze %c2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %sin = onnx.Unsqueeze %s2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<4611686018427387904> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %x1 = onnx.Slice %x, %zero, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %x2 = onnx.Slice %x, %one, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %nx2 = onnx.Neg %x1 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %u2 = onnx.Unsqueeze %nx2, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %u1 = onnx.Unsqueeze %x2, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %st = onnx.Concat %u2, %u1 {axis = -1 : i64} : (tensor<1x4x8x8x1xf32>, tensor<1x4x8x8x1xf32>) -> tensor<1x4x8x8x2xf32>
  %flat = onnx.Constant {value = dense<[1, 4, 8, 16]> : tensor<4xi64>} : tensor<4xi64>
  %rot = onnx.Reshape %st, %flat : (tensor<1x4x8x8x2xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %a = onnx.Mul %x, %cos : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %b = onnx.Mul %rot, %sin : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %y = onnx.Add %a, %b : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// Near miss: both Slices start at 0 (x[..., ::2] twice).
// CHECK-LABEL: func.func @rope_interleaved_same_parity_not_fused
// CHECK-NOT: xf.rope
func.func @rope_interleaved_same_parity_not_fused(%x: tensor<1x4x8x16xf32>, %f: tensor<8x8xf32>) -> tensor<1x4x8x16xf32> {
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %fu = onnx.Unsqueeze %f, %last : (tensor<8x8xf32>, tensor<1xi64>) -> tensor<8x8x1xf32>
  %fp = onnx.Concat %fu, %fu {axis = -1 : i64} : (tensor<8x8x1xf32>, tensor<8x8x1xf32>) -> tensor<8x8x2xf32>
  %tshape = onnx.Constant {value = dense<[8, 16]> : tensor<2xi64>} : tensor<2xi64>
  %emb = onnx.Reshape %fp, %tshape : (tensor<8x8x2xf32>, tensor<2xi64>) -> tensor<8x16xf32>
  %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %c2 = onnx.Cos %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %s2 = onnx.Sin %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %cos = onnx.Unsqueeze %c2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %sin = onnx.Unsqueeze %s2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<4611686018427387904> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %x1 = onnx.Slice %x, %zero, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %x2 = onnx.Slice %x, %zero, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %nx2 = onnx.Neg %x2 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %u2 = onnx.Unsqueeze %nx2, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %u1 = onnx.Unsqueeze %x1, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %st = onnx.Concat %u2, %u1 {axis = -1 : i64} : (tensor<1x4x8x8x1xf32>, tensor<1x4x8x8x1xf32>) -> tensor<1x4x8x8x2xf32>
  %flat = onnx.Constant {value = dense<[1, 4, 8, 16]> : tensor<4xi64>} : tensor<4xi64>
  %rot = onnx.Reshape %st, %flat : (tensor<1x4x8x8x2xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %a = onnx.Mul %x, %cos : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %b = onnx.Mul %rot, %sin : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %y = onnx.Add %a, %b : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// Near miss: stacked on axis -2 ([..., 2, D/2]), so the flattened rows
// are [-x2, x1] of the every-other parts, not interleaved pairs.
// CHECK-LABEL: func.func @rope_interleaved_stacked_wrong_axis_not_fused
// CHECK-NOT: xf.rope
func.func @rope_interleaved_stacked_wrong_axis_not_fused(%x: tensor<1x4x8x16xf32>, %f: tensor<8x8xf32>) -> tensor<1x4x8x16xf32> {
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %fu = onnx.Unsqueeze %f, %last : (tensor<8x8xf32>, tensor<1xi64>) -> tensor<8x8x1xf32>
  %fp = onnx.Concat %fu, %fu {axis = -1 : i64} : (tensor<8x8x1xf32>, tensor<8x8x1xf32>) -> tensor<8x8x2xf32>
  %tshape = onnx.Constant {value = dense<[8, 16]> : tensor<2xi64>} : tensor<2xi64>
  %emb = onnx.Reshape %fp, %tshape : (tensor<8x8x2xf32>, tensor<2xi64>) -> tensor<8x16xf32>
  %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %c2 = onnx.Cos %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %s2 = onnx.Sin %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %cos = onnx.Unsqueeze %c2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %sin = onnx.Unsqueeze %s2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<4611686018427387904> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %x1 = onnx.Slice %x, %zero, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %x2 = onnx.Slice %x, %one, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %nx2 = onnx.Neg %x2 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %m2 = onnx.Constant {value = dense<-2> : tensor<1xi64>} : tensor<1xi64>
  %u2 = onnx.Unsqueeze %nx2, %m2 : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x1x8xf32>
  %u1 = onnx.Unsqueeze %x1, %m2 : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x1x8xf32>
  %st = onnx.Concat %u2, %u1 {axis = -2 : i64} : (tensor<1x4x8x1x8xf32>, tensor<1x4x8x1x8xf32>) -> tensor<1x4x8x2x8xf32>
  %flat = onnx.Constant {value = dense<[1, 4, 8, 16]> : tensor<4xi64>} : tensor<4xi64>
  %rot = onnx.Reshape %st, %flat : (tensor<1x4x8x2x8xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %a = onnx.Mul %x, %cos : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %b = onnx.Mul %rot, %sin : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %y = onnx.Add %a, %b : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// Near miss: an interleaved rotation with tables that repeat halves
// (rotate_half's Concat(f, f)), not each element twice.
// CHECK-LABEL: func.func @rope_interleaved_halves_tables_not_fused
// CHECK-NOT: xf.rope
func.func @rope_interleaved_halves_tables_not_fused(%x: tensor<1x4x8x16xf32>, %f: tensor<8x8xf32>) -> tensor<1x4x8x16xf32> {
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %emb = onnx.Concat %f, %f {axis = -1 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %c2 = onnx.Cos %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %s2 = onnx.Sin %emb : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %cos = onnx.Unsqueeze %c2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %sin = onnx.Unsqueeze %s2, %ax01 : (tensor<8x16xf32>, tensor<2xi64>) -> tensor<1x1x8x16xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<4611686018427387904> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %x1 = onnx.Slice %x, %zero, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %x2 = onnx.Slice %x, %one, %big axes %last steps %two : (tensor<1x4x8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x8x8xf32>
  %nx2 = onnx.Neg %x2 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %u2 = onnx.Unsqueeze %nx2, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %u1 = onnx.Unsqueeze %x1, %last : (tensor<1x4x8x8xf32>, tensor<1xi64>) -> tensor<1x4x8x8x1xf32>
  %st = onnx.Concat %u2, %u1 {axis = -1 : i64} : (tensor<1x4x8x8x1xf32>, tensor<1x4x8x8x1xf32>) -> tensor<1x4x8x8x2xf32>
  %flat = onnx.Constant {value = dense<[1, 4, 8, 16]> : tensor<4xi64>} : tensor<4xi64>
  %rot = onnx.Reshape %st, %flat : (tensor<1x4x8x8x2xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %a = onnx.Mul %x, %cos : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %b = onnx.Mul %rot, %sin : (tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %y = onnx.Add %a, %b : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// GELU, erf form as torch.onnx writes it, and the tanh form.
// CHECK-LABEL: func.func @gelu_erf
// CHECK: %[[Y:.+]] = xf.gelu %arg0 approximation = none : tensor<2x8x64xf32>
// CHECK: return %[[Y]]
func.func @gelu_erf(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  %sqrt2 = onnx.Constant {value = dense<1.41421354> : tensor<f32>} : tensor<f32>
  %one = onnx.Constant {value = dense<1.0> : tensor<f32>} : tensor<f32>
  %half = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %d = onnx.Div %x, %sqrt2 : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %e = onnx.Erf %d : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %a = onnx.Add %e, %one : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %m = onnx.Mul %x, %a : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %y = onnx.Mul %m, %half : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// CHECK-LABEL: func.func @gelu_tanh
// CHECK: xf.gelu %arg0 approximation = tanh : tensor<2x8x64xf32>
func.func @gelu_tanh(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  %three = onnx.Constant {value = dense<3.0> : tensor<f32>} : tensor<f32>
  %k = onnx.Constant {value = dense<0.044715> : tensor<f32>} : tensor<f32>
  %c = onnx.Constant {value = dense<0.797884583> : tensor<f32>} : tensor<f32>
  %one = onnx.Constant {value = dense<1.0> : tensor<f32>} : tensor<f32>
  %half = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %cube = onnx.Pow %x, %three : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %kc = onnx.Mul %k, %cube : (tensor<f32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %in = onnx.Add %x, %kc : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %arg = onnx.Mul %c, %in : (tensor<f32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %t = onnx.Tanh %arg : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %a = onnx.Add %one, %t : (tensor<f32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %hx = onnx.Mul %half, %x : (tensor<f32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %y = onnx.Mul %hx, %a : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// A near miss: erf(x / 2) is not GELU.
// CHECK-LABEL: func.func @gelu_wrong_constant
// CHECK-NOT: xf.gelu
func.func @gelu_wrong_constant(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
  %one = onnx.Constant {value = dense<1.0> : tensor<f32>} : tensor<f32>
  %half = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %d = onnx.Div %x, %two : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %e = onnx.Erf %d : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %a = onnx.Add %e, %one : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %m = onnx.Mul %x, %a : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %y = onnx.Mul %m, %half : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// SiLU and SwiGLU.
// CHECK-LABEL: func.func @swiglu
// CHECK: %[[Y:.+]] = xf.swiglu %arg0, %arg1 : tensor<2x8x128xf32>
// CHECK: return %[[Y]]
func.func @swiglu(%gate: tensor<2x8x128xf32>, %up: tensor<2x8x128xf32>) -> tensor<2x8x128xf32> {
  %s = onnx.Sigmoid %gate : (tensor<2x8x128xf32>) -> tensor<2x8x128xf32>
  %silu = onnx.Mul %gate, %s : (tensor<2x8x128xf32>, tensor<2x8x128xf32>) -> tensor<2x8x128xf32>
  %y = onnx.Mul %silu, %up : (tensor<2x8x128xf32>, tensor<2x8x128xf32>) -> tensor<2x8x128xf32>
  return %y : tensor<2x8x128xf32>
}

// CHECK-LABEL: func.func @silu
// CHECK: xf.silu %arg0 : tensor<2x8x128xf32>
func.func @silu(%x: tensor<2x8x128xf32>) -> tensor<2x8x128xf32> {
  %s = onnx.Sigmoid %x : (tensor<2x8x128xf32>) -> tensor<2x8x128xf32>
  %y = onnx.Mul %s, %x : (tensor<2x8x128xf32>, tensor<2x8x128xf32>) -> tensor<2x8x128xf32>
  return %y : tensor<2x8x128xf32>
}

// CHECK-LABEL: func.func @silu_of_other_not_fused
// CHECK-NOT: xf.silu
func.func @silu_of_other_not_fused(%x: tensor<2x8x128xf32>, %z: tensor<2x8x128xf32>) -> tensor<2x8x128xf32> {
  %s = onnx.Sigmoid %z : (tensor<2x8x128xf32>) -> tensor<2x8x128xf32>
  %y = onnx.Mul %s, %x : (tensor<2x8x128xf32>, tensor<2x8x128xf32>) -> tensor<2x8x128xf32>
  return %y : tensor<2x8x128xf32>
}

// -----

// MatMul by a constant [K, N] weight plus a bias: xf.linear over the
// weight transposed to [N, K].
// CHECK-LABEL: func.func @linear_matmul_bias
// CHECK: %[[W:.+]] = onnx.Constant
// CHECK: %[[B:.+]] = onnx.Constant
// CHECK: %[[WT:.+]] = onnx.Transpose %[[W]] {perm = [1, 0]} : (tensor<4x3xf32>) -> tensor<3x4xf32>
// CHECK: %[[Y:.+]] = xf.linear %arg0, %[[WT]], %[[B]] : (tensor<2x?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x?x3xf32>
// CHECK: return %[[Y]]
func.func @linear_matmul_bias(%x: tensor<2x?x4xf32>) -> tensor<2x?x3xf32> {
  %w = onnx.Constant {value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>} : tensor<4x3xf32>
  %b = onnx.Constant {value = dense<[0.5, 0.25, 0.125]> : tensor<3xf32>} : tensor<3xf32>
  %m = onnx.MatMul %x, %w : (tensor<2x?x4xf32>, tensor<4x3xf32>) -> tensor<2x?x3xf32>
  %y = onnx.Add %b, %m : (tensor<3xf32>, tensor<2x?x3xf32>) -> tensor<2x?x3xf32>
  return %y : tensor<2x?x3xf32>
}

// A tied LM head: MatMul by the Transpose of an [N, K] constant uses the
// constant itself.
// CHECK-LABEL: func.func @linear_tied_transpose
// CHECK: %[[W:.+]] = onnx.Constant
// CHECK: xf.linear %arg0, %[[W]] : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
func.func @linear_tied_transpose(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = onnx.Constant {value = dense<1.0> : tensor<3x4xf32>} : tensor<3x4xf32>
  %wt = onnx.Transpose %w {perm = [1, 0]} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %y = onnx.MatMul %x, %wt : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// Gemm with transB and a bias; alpha != 1 stays a Gemm; a MatMul of two
// activations is no linear layer.
// CHECK-LABEL: func.func @linear_gemm
// CHECK: xf.linear %arg0, %arg1, %arg2 : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: onnx.Gemm
// CHECK: onnx.MatMul
func.func @linear_gemm(%a: tensor<2x4xf32>, %b: tensor<3x4xf32>, %c: tensor<3xf32>, %x: tensor<4x2xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2xf32>) {
  %y = onnx.Gemm %a, %b, %c {transB = 1 : i64} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %z = onnx.Gemm %a, %b, %c {transB = 1 : i64, alpha = 2.0 : f32} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %w = onnx.MatMul %a, %x : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %y, %z, %w : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2xf32>
}
