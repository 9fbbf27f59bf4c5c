// RUN: xf-opt %s -split-input-file -verify-diagnostics -xf-fuse-onnx-to-xf

// Attention operators xf-fuse-onnx-to-xf cannot raise are errors there,
// with the reason: they have no lowering of their own.

// local_window_size 0 would leave a query no key (ONNX Runtime computes
// no attention then).
func.func @gqa_window_zero(%q: tensor<1x6x32xf32>, %k: tensor<1x6x16xf32>, %v: tensor<1x6x16xf32>) -> tensor<1x6x32xf32> {
  %seqlens = onnx.Constant {value = dense<5> : tensor<1xi32>} : tensor<1xi32>
  %total = onnx.Constant {value = dense<6> : tensor<i32>} : tensor<i32>
  // expected-error @+1 {{com.microsoft.GroupQueryAttention cannot be compiled: local_window_size 0 is neither -1 (no window) nor positive}}
  %o, %pk, %pv = onnx.com.microsoft.GroupQueryAttention %q, %k, %v, %seqlens, %total {kv_num_heads = 2 : i64, local_window_size = 0 : i64, num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 1, 0, 0, 0>} : (tensor<1x6x32xf32>, tensor<1x6x16xf32>, tensor<1x6x16xf32>, tensor<1xi32>, tensor<i32>) -> (tensor<1x6x32xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>)
  return %o : tensor<1x6x32xf32>
}

// -----

// unidirectional with fewer queries than keys: ONNX Runtime's alignment of
// that case is not modeled.
func.func @mha_causal_cross(%q: tensor<2x3x32xf32>, %k: tensor<2x5x32xf32>, %v: tensor<2x5x32xf32>) -> tensor<2x3x32xf32> {
  // expected-error @+1 {{com.microsoft.MultiHeadAttention cannot be compiled: unidirectional with a query length other than the key length is not supported}}
  %o, %pk, %pv = onnx.com.microsoft.MultiHeadAttention %q, %k, %v {num_heads = 4 : i64, unidirectional = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>} : (tensor<2x3x32xf32>, tensor<2x5x32xf32>, tensor<2x5x32xf32>) -> (tensor<2x3x32xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>)
  return %o : tensor<2x3x32xf32>
}

// -----

// A softmax in f16 for f32 inputs would round the probabilities;
// xf.attention keeps them in f32.
func.func @attention_narrow_softmax(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{Attention cannot be compiled: a softmax_precision narrower than f32 and than Q's type is not supported}}
  %y, %pk, %pv, %qk = onnx.Attention %q, %k, %v {softmax_precision = 10 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x8xf32>)
  return %y : tensor<1x4x8x16xf32>
}

// -----

// The default scale needs the head size.
func.func @attention_dynamic_head_size(%q: tensor<1x4x8x?xf32>, %k: tensor<1x4x8x?xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{Attention cannot be compiled: the default scale 1/sqrt(head_size) needs a static head size (give the 'scale' attribute)}}
  %y, %pk, %pv, %qk = onnx.Attention %q, %k, %v {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>} : (tensor<1x4x8x?xf32>, tensor<1x4x8x?xf32>, tensor<1x4x8x16xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x4x8x?xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x8xf32>)
  return %y : tensor<1x4x8x16xf32>
}

// -----

// ONNX Runtime reads cache rows rotary_embedding_dim / 2 apart: a wider
// cache would be read at other positions than its rows.
func.func @contrib_rotary_cache_width(%x: tensor<2x5x64xf32>, %pos: tensor<2x5xi64>, %cos: tensor<32x8xf32>, %sin: tensor<32x8xf32>) -> tensor<2x5x64xf32> {
  // expected-error @+1 {{com.microsoft.RotaryEmbedding cannot be compiled: cos_cache's width 8 is not rotary_embedding_dim / 2 (8 / 2)}}
  %y = onnx.com.microsoft.RotaryEmbedding %x, %pos, %cos, %sin {num_heads = 4 : i64, rotary_embedding_dim = 8 : i64} : (tensor<2x5x64xf32>, tensor<2x5xi64>, tensor<32x8xf32>, tensor<32x8xf32>) -> tensor<2x5x64xf32>
  return %y : tensor<2x5x64xf32>
}

// -----

func.func @rotary_cache_width(%x: tensor<2x4x5x16xf32>, %cos: tensor<32x8xf32>, %sin: tensor<32x8xf32>, %pos: tensor<2x5xi64>) -> tensor<2x4x5x16xf32> {
  // expected-error @+1 {{RotaryEmbedding cannot be compiled: cos_cache's width 8 is not rotary_embedding_dim / 2 (4 / 2)}}
  %y = onnx.RotaryEmbedding %x, %cos, %sin, %pos {rotary_embedding_dim = 4 : i64} : (tensor<2x4x5x16xf32>, tensor<32x8xf32>, tensor<32x8xf32>, tensor<2x5xi64>) -> tensor<2x4x5x16xf32>
  return %y : tensor<2x4x5x16xf32>
}
