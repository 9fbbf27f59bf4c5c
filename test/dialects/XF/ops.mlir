// RUN: xf-opt %s -split-input-file | xf-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @attention_gqa_causal_masked
// CHECK-SAME: (%[[Q:.+]]: tensor<1x32x?x64xf16>, %[[K:.+]]: tensor<1x8x?x64xf16>, %[[V:.+]]: tensor<1x8x?x64xf16>, %[[M:.+]]: tensor<1x1x?x?xf16>)
// CHECK: xf.attention %[[Q]], %[[K]], %[[V]] mask %[[M]] scale = 1.250000e-01 causal
// CHECK-SAME: : (tensor<1x32x?x64xf16>, tensor<1x8x?x64xf16>, tensor<1x8x?x64xf16>, tensor<1x1x?x?xf16>) -> tensor<1x32x?x64xf16>
func.func @attention_gqa_causal_masked(%q: tensor<1x32x?x64xf16>, %k: tensor<1x8x?x64xf16>, %v: tensor<1x8x?x64xf16>, %m: tensor<1x1x?x?xf16>) -> tensor<1x32x?x64xf16> {
  %o = xf.attention %q, %k, %v mask %m scale = 0.125 causal
      : (tensor<1x32x?x64xf16>, tensor<1x8x?x64xf16>, tensor<1x8x?x64xf16>, tensor<1x1x?x?xf16>) -> tensor<1x32x?x64xf16>
  return %o : tensor<1x32x?x64xf16>
}

// -----

// Multi-query attention, value head_dim unlike the key's, a padding mask of
// rank 2 broadcast over batch and heads, not causal.
// CHECK-LABEL: func.func @attention_mqa
// CHECK: %[[O:.+]] = xf.attention %{{.+}}, %{{.+}}, %{{.+}} mask %{{.+}} scale = 1.000000e+00 :
// CHECK-SAME: -> tensor<2x4x3x32xf32>
// CHECK: return %[[O]]
func.func @attention_mqa(%q: tensor<2x4x3x16xf32>, %k: tensor<2x1x5x16xf32>, %v: tensor<2x1x5x32xf32>, %m: tensor<3x5xf32>) -> tensor<2x4x3x32xf32> {
  %o = xf.attention %q, %k, %v mask %m scale = 1.0
      : (tensor<2x4x3x16xf32>, tensor<2x1x5x16xf32>, tensor<2x1x5x32xf32>, tensor<3x5xf32>) -> tensor<2x4x3x32xf32>
  return %o : tensor<2x4x3x32xf32>
}

// -----

// CHECK-LABEL: func.func @attention_unmasked
// CHECK: xf.attention %{{.+}}, %{{.+}}, %{{.+}} scale = 5.000000e-01 causal : (tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16>
func.func @attention_unmasked(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>, %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = xf.attention %q, %k, %v scale = 0.5 causal
      : (tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

// -----

// CHECK-LABEL: func.func @paged_attention_decode
// CHECK-SAME: (%[[Q:.+]]: tensor<4x32x1x64xf16>, %[[KP:.+]]: tensor<?x8x16x64xf16>, %[[VP:.+]]: tensor<?x8x16x64xf16>, %[[BT:.+]]: tensor<4x?xi32>, %[[L:.+]]: tensor<4xi32>)
// CHECK: xf.paged_attention %[[Q]], %[[KP]], %[[VP]], %[[BT]], %[[L]] scale = 1.250000e-01 causal
// CHECK-SAME: : (tensor<4x32x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x32x1x64xf16>
func.func @paged_attention_decode(%q: tensor<4x32x1x64xf16>, %kpool: tensor<?x8x16x64xf16>, %vpool: tensor<?x8x16x64xf16>, %blocks: tensor<4x?xi32>, %lens: tensor<4xi32>) -> tensor<4x32x1x64xf16> {
  %o = xf.paged_attention %q, %kpool, %vpool, %blocks, %lens scale = 0.125 causal
      : (tensor<4x32x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x32x1x64xf16>
  return %o : tensor<4x32x1x64xf16>
}

// -----

// CHECK-LABEL: func.func @paged_attention_not_causal
// CHECK: xf.paged_attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} scale = 2.500000e-01 : (tensor<?x8x?x128xf32>, tensor<64x8x32x128xf32>, tensor<64x8x32x96xf32>, tensor<?x?xi64>, tensor<?xi64>) -> tensor<?x8x?x96xf32>
func.func @paged_attention_not_causal(%q: tensor<?x8x?x128xf32>, %kpool: tensor<64x8x32x128xf32>, %vpool: tensor<64x8x32x96xf32>, %blocks: tensor<?x?xi64>, %lens: tensor<?xi64>) -> tensor<?x8x?x96xf32> {
  %o = xf.paged_attention %q, %kpool, %vpool, %blocks, %lens scale = 0.25
      : (tensor<?x8x?x128xf32>, tensor<64x8x32x128xf32>, tensor<64x8x32x96xf32>, tensor<?x?xi64>, tensor<?xi64>) -> tensor<?x8x?x96xf32>
  return %o : tensor<?x8x?x96xf32>
}

// -----

// CHECK-LABEL: func.func @kv_cache_write
// CHECK-SAME: (%[[K:.+]]: tensor<4x8x1x64xf16>, %[[V:.+]]: tensor<4x8x1x64xf16>, %[[KP:.+]]: tensor<?x8x16x64xf16>, %[[VP:.+]]: tensor<?x8x16x64xf16>, %[[S:.+]]: tensor<4x1xi32>)
// CHECK: %[[NEWK:.+]], %[[NEWV:.+]] = xf.kv_cache_write %[[K]], %[[V]] into %[[KP]], %[[VP]] at %[[S]]
// CHECK-SAME: : (tensor<4x8x1x64xf16>, tensor<4x8x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x1xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>)
// CHECK: return %[[NEWK]], %[[NEWV]]
func.func @kv_cache_write(%k: tensor<4x8x1x64xf16>, %v: tensor<4x8x1x64xf16>, %kpool: tensor<?x8x16x64xf16>, %vpool: tensor<?x8x16x64xf16>, %slots: tensor<4x1xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>) {
  %kp, %vp = xf.kv_cache_write %k, %v into %kpool, %vpool at %slots
      : (tensor<4x8x1x64xf16>, tensor<4x8x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x1xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>)
  return %kp, %vp : tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>
}

// -----

// A prefill step writes its keys and values, then attends through the pool.
// CHECK-LABEL: func.func @kv_cache_prefill
// CHECK: %[[NEWK:.+]], %[[NEWV:.+]] = xf.kv_cache_write
// CHECK-SAME: tensor<1x?xi64>
// CHECK: xf.paged_attention %{{.+}}, %[[NEWK]], %[[NEWV]], %{{.+}}, %{{.+}} scale = 1.250000e-01 causal
func.func @kv_cache_prefill(%q: tensor<1x4x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x64xf32>, %kpool: tensor<128x2x16x64xf32>, %vpool: tensor<128x2x16x64xf32>, %slots: tensor<1x?xi64>, %blocks: tensor<1x8xi32>, %lens: tensor<1xi32>) -> tensor<1x4x?x64xf32> {
  %kp, %vp = xf.kv_cache_write %k, %v into %kpool, %vpool at %slots
      : (tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<128x2x16x64xf32>, tensor<128x2x16x64xf32>, tensor<1x?xi64>) -> (tensor<128x2x16x64xf32>, tensor<128x2x16x64xf32>)
  %o = xf.paged_attention %q, %kp, %vp, %blocks, %lens scale = 0.125 causal
      : (tensor<1x4x?x64xf32>, tensor<128x2x16x64xf32>, tensor<128x2x16x64xf32>, tensor<1x8xi32>, tensor<1xi32>) -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x4096xf16>, %[[W:.+]]: tensor<4096xf16>)
// CHECK: xf.rms_norm %[[X]], %[[W]] epsilon = 9.99999997E-7 : (tensor<1x?x4096xf16>, tensor<4096xf16>) -> tensor<1x?x4096xf16>
func.func @rms_norm(%x: tensor<1x?x4096xf16>, %w: tensor<4096xf16>) -> tensor<1x?x4096xf16> {
  %y = xf.rms_norm %x, %w epsilon = 1.0e-6
      : (tensor<1x?x4096xf16>, tensor<4096xf16>) -> tensor<1x?x4096xf16>
  return %y : tensor<1x?x4096xf16>
}

// -----

// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x768xf32>, %[[W:.+]]: tensor<768xf32>, %[[B:.+]]: tensor<768xf32>)
// CHECK: xf.layer_norm %[[X]], %[[W]], %[[B]] epsilon = 9.99999974E-6 : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
// CHECK: xf.layer_norm %[[X]], %[[W]] epsilon = 9.99999974E-6 : (tensor<1x?x768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
func.func @layer_norm(%x: tensor<1x?x768xf32>, %w: tensor<768xf32>, %b: tensor<768xf32>) -> (tensor<1x?x768xf32>, tensor<1x?x768xf32>) {
  %y = xf.layer_norm %x, %w, %b epsilon = 1.0e-5
      : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
  %z = xf.layer_norm %x, %w epsilon = 1.0e-5
      : (tensor<1x?x768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
  return %y, %z : tensor<1x?x768xf32>, tensor<1x?x768xf32>
}

// -----

// CHECK-LABEL: func.func @rope_rotate_half
// CHECK-SAME: (%[[X:.+]]: tensor<1x32x?x128xf16>, %[[C:.+]]: tensor<?x64xf16>, %[[S:.+]]: tensor<?x64xf16>)
// CHECK: xf.rope %[[X]], %[[C]], %[[S]] style = rotate_half : (tensor<1x32x?x128xf16>, tensor<?x64xf16>, tensor<?x64xf16>) -> tensor<1x32x?x128xf16>
func.func @rope_rotate_half(%x: tensor<1x32x?x128xf16>, %cos: tensor<?x64xf16>, %sin: tensor<?x64xf16>) -> tensor<1x32x?x128xf16> {
  %y = xf.rope %x, %cos, %sin style = rotate_half
      : (tensor<1x32x?x128xf16>, tensor<?x64xf16>, tensor<?x64xf16>) -> tensor<1x32x?x128xf16>
  return %y : tensor<1x32x?x128xf16>
}

// -----

// Per-sequence tables for batched decoding, rotating 32 of 80 elements.
// CHECK-LABEL: func.func @rope_interleaved_partial
// CHECK: xf.rope %{{.+}}, %{{.+}}, %{{.+}} style = interleaved : (tensor<4x32x1x80xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>) -> tensor<4x32x1x80xf32>
func.func @rope_interleaved_partial(%x: tensor<4x32x1x80xf32>, %cos: tensor<4x1x16xf32>, %sin: tensor<4x1x16xf32>) -> tensor<4x32x1x80xf32> {
  %y = xf.rope %x, %cos, %sin style = interleaved
      : (tensor<4x32x1x80xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>) -> tensor<4x32x1x80xf32>
  return %y : tensor<4x32x1x80xf32>
}

// -----

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x4096xf16>, %[[W:.+]]: tensor<11008x4096xf16>, %[[B:.+]]: tensor<11008xf16>)
// CHECK: xf.linear %[[X]], %[[W]], %[[B]] : (tensor<1x?x4096xf16>, tensor<11008x4096xf16>, tensor<11008xf16>) -> tensor<1x?x11008xf16>
// CHECK: xf.linear %[[X]], %[[W]] : (tensor<1x?x4096xf16>, tensor<11008x4096xf16>) -> tensor<1x?x11008xf16>
func.func @linear(%x: tensor<1x?x4096xf16>, %w: tensor<11008x4096xf16>, %b: tensor<11008xf16>) -> (tensor<1x?x11008xf16>, tensor<1x?x11008xf16>) {
  %y = xf.linear %x, %w, %b
      : (tensor<1x?x4096xf16>, tensor<11008x4096xf16>, tensor<11008xf16>) -> tensor<1x?x11008xf16>
  %z = xf.linear %x, %w
      : (tensor<1x?x4096xf16>, tensor<11008x4096xf16>) -> tensor<1x?x11008xf16>
  return %y, %z : tensor<1x?x11008xf16>, tensor<1x?x11008xf16>
}

// -----

// A language-model head on a 2-D input.
// CHECK-LABEL: func.func @linear_lm_head
// CHECK: xf.linear %{{.+}}, %{{.+}} : (tensor<?x512xbf16>, tensor<32000x512xbf16>) -> tensor<?x32000xbf16>
func.func @linear_lm_head(%x: tensor<?x512xbf16>, %w: tensor<32000x512xbf16>) -> tensor<?x32000xbf16> {
  %y = xf.linear %x, %w : (tensor<?x512xbf16>, tensor<32000x512xbf16>) -> tensor<?x32000xbf16>
  return %y : tensor<?x32000xbf16>
}

// -----

// CHECK-LABEL: func.func @qlinear_int4_symmetric
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x4096xf16>, %[[W:.+]]: tensor<11008x2048xi8>, %[[S:.+]]: tensor<11008x32xf16>)
// CHECK: xf.qlinear %[[X]], %[[W]], %[[S]] bits = 4 group_size = 128 symmetric : (tensor<1x?x4096xf16>, tensor<11008x2048xi8>, tensor<11008x32xf16>) -> tensor<1x?x11008xf16>
func.func @qlinear_int4_symmetric(%x: tensor<1x?x4096xf16>, %w: tensor<11008x2048xi8>, %s: tensor<11008x32xf16>) -> tensor<1x?x11008xf16> {
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 128 symmetric
      : (tensor<1x?x4096xf16>, tensor<11008x2048xi8>, tensor<11008x32xf16>) -> tensor<1x?x11008xf16>
  return %y : tensor<1x?x11008xf16>
}

// -----

// exact_activations (an imported layer whose A must not be rounded)
// round-trips.
// CHECK-LABEL: func.func @qlinear_exact_activations
// CHECK: xf.qlinear %{{.+}}, %{{.+}}, %{{.+}} bits = 4 group_size = 128 symmetric exact_activations :
func.func @qlinear_exact_activations(%x: tensor<1x?x4096xf16>, %w: tensor<11008x2048xi8>, %s: tensor<11008x32xf16>) -> tensor<1x?x11008xf16> {
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 128 symmetric exact_activations
      : (tensor<1x?x4096xf16>, tensor<11008x2048xi8>, tensor<11008x32xf16>) -> tensor<1x?x11008xf16>
  return %y : tensor<1x?x11008xf16>
}

// -----

// Odd K with a partial last group: 65 codes of 4 bits take 33 bytes a row,
// groups of 32 make 3 groups.
// CHECK-LABEL: func.func @qlinear_int4_asymmetric_partial_group
// CHECK-SAME: (%[[X:.+]]: tensor<2x65xf32>, %[[W:.+]]: tensor<16x33xi8>, %[[S:.+]]: tensor<16x3xf32>, %[[Z:.+]]: tensor<16x3xi8>, %[[B:.+]]: tensor<16xf32>)
// CHECK: xf.qlinear %[[X]], %[[W]], %[[S]] zero_points %[[Z]] bias %[[B]] bits = 4 group_size = 32 : (tensor<2x65xf32>, tensor<16x33xi8>, tensor<16x3xf32>, tensor<16x3xi8>, tensor<16xf32>) -> tensor<2x16xf32>
func.func @qlinear_int4_asymmetric_partial_group(%x: tensor<2x65xf32>, %w: tensor<16x33xi8>, %s: tensor<16x3xf32>, %z: tensor<16x3xi8>, %b: tensor<16xf32>) -> tensor<2x16xf32> {
  %y = xf.qlinear %x, %w, %s zero_points %z bias %b bits = 4 group_size = 32
      : (tensor<2x65xf32>, tensor<16x33xi8>, tensor<16x3xf32>, tensor<16x3xi8>, tensor<16xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

// Float zero points (Q4_1's scale and min): f32 like the scales.
// CHECK-LABEL: func.func @qlinear_int4_float_zero_points
// CHECK: xf.qlinear %{{.+}}, %{{.+}}, %{{.+}} zero_points %{{.+}} bits = 4 group_size = 32 : (tensor<1x?x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<16x2xf32>) -> tensor<1x?x16xf32>
func.func @qlinear_int4_float_zero_points(%x: tensor<1x?x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>, %z: tensor<16x2xf32>) -> tensor<1x?x16xf32> {
  %y = xf.qlinear %x, %w, %s zero_points %z bits = 4 group_size = 32
      : (tensor<1x?x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<16x2xf32>) -> tensor<1x?x16xf32>
  return %y : tensor<1x?x16xf32>
}

// -----

// A quantized table's lookup: int8 rows in groups of 128 along D; int4 with
// f32 zero points and an odd D (a padding nibble per row).
// CHECK-LABEL: func.func @qembedding
// CHECK: xf.qembedding %{{.+}}, %{{.+}}, %{{.+}} bits = 8 group_size = 128 symmetric : (tensor<1x?xi64>, tensor<100x576xi8>, tensor<100x5xf32>) -> tensor<1x?x576xf32>
// CHECK: xf.qembedding %{{.+}}, %{{.+}}, %{{.+}} zero_points %{{.+}} bits = 4 group_size = 32 : (tensor<?xi32>, tensor<100x17xi8>, tensor<100x2xf32>, tensor<100x2xf32>) -> tensor<?x33xf32>
func.func @qembedding(%ids: tensor<1x?xi64>, %t: tensor<100x576xi8>, %s: tensor<100x5xf32>, %ids4: tensor<?xi32>, %t4: tensor<100x17xi8>, %s4: tensor<100x2xf32>, %z4: tensor<100x2xf32>) -> (tensor<1x?x576xf32>, tensor<?x33xf32>) {
  %e = xf.qembedding %ids, %t, %s bits = 8 group_size = 128 symmetric
      : (tensor<1x?xi64>, tensor<100x576xi8>, tensor<100x5xf32>) -> tensor<1x?x576xf32>
  %f = xf.qembedding %ids4, %t4, %s4 zero_points %z4 bits = 4 group_size = 32
      : (tensor<?xi32>, tensor<100x17xi8>, tensor<100x2xf32>, tensor<100x2xf32>) -> tensor<?x33xf32>
  return %e, %f : tensor<1x?x576xf32>, tensor<?x33xf32>
}

// -----

// Per-channel int8 with a bias but no zero points.
// CHECK-LABEL: func.func @qlinear_int8_per_channel
// CHECK: xf.qlinear %{{.+}}, %{{.+}}, %{{.+}} bias %{{.+}} bits = 8 group_size = 4096 symmetric : (tensor<?x?x4096xbf16>, tensor<1024x4096xi8>, tensor<1024x1xf32>, tensor<1024xbf16>) -> tensor<?x?x1024xbf16>
func.func @qlinear_int8_per_channel(%x: tensor<?x?x4096xbf16>, %w: tensor<1024x4096xi8>, %s: tensor<1024x1xf32>, %b: tensor<1024xbf16>) -> tensor<?x?x1024xbf16> {
  %y = xf.qlinear %x, %w, %s bias %b bits = 8 group_size = 4096 symmetric
      : (tensor<?x?x4096xbf16>, tensor<1024x4096xi8>, tensor<1024x1xf32>, tensor<1024xbf16>) -> tensor<?x?x1024xbf16>
  return %y : tensor<?x?x1024xbf16>
}

// -----

// CHECK-LABEL: func.func @activations
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x3072xf32>, %[[U:.+]]: tensor<1x?x3072xf32>)
// CHECK: %[[EXACT:.+]] = xf.gelu %[[X]] approximation = none : tensor<1x?x3072xf32>
// CHECK: %[[TANH:.+]] = xf.gelu %[[EXACT]] approximation = tanh : tensor<1x?x3072xf32>
// CHECK: %[[SILU:.+]] = xf.silu %[[TANH]] : tensor<1x?x3072xf32>
// CHECK: %[[GLU:.+]] = xf.swiglu %[[SILU]], %[[U]] : tensor<1x?x3072xf32>
// CHECK: return %[[GLU]]
func.func @activations(%x: tensor<1x?x3072xf32>, %u: tensor<1x?x3072xf32>) -> tensor<1x?x3072xf32> {
  %0 = xf.gelu %x approximation = none : tensor<1x?x3072xf32>
  %1 = xf.gelu %0 approximation = tanh : tensor<1x?x3072xf32>
  %2 = xf.silu %1 : tensor<1x?x3072xf32>
  %3 = xf.swiglu %2, %u : tensor<1x?x3072xf32>
  return %3 : tensor<1x?x3072xf32>
}

// -----

// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[T:.+]]: tensor<32000x4096xf16>, %[[IDS:.+]]: tensor<1x?xi64>, %[[ID32:.+]]: tensor<i32>)
// CHECK: xf.embedding %[[T]], %[[IDS]] : (tensor<32000x4096xf16>, tensor<1x?xi64>) -> tensor<1x?x4096xf16>
// CHECK: xf.embedding %[[T]], %[[ID32]] : (tensor<32000x4096xf16>, tensor<i32>) -> tensor<4096xf16>
func.func @embedding(%table: tensor<32000x4096xf16>, %ids: tensor<1x?xi64>, %id: tensor<i32>) -> (tensor<1x?x4096xf16>, tensor<4096xf16>) {
  %e = xf.embedding %table, %ids : (tensor<32000x4096xf16>, tensor<1x?xi64>) -> tensor<1x?x4096xf16>
  %r = xf.embedding %table, %id : (tensor<32000x4096xf16>, tensor<i32>) -> tensor<4096xf16>
  return %e, %r : tensor<1x?x4096xf16>, tensor<4096xf16>
}

// -----

// CHECK-LABEL: func.func @check_dim
// CHECK-SAME: (%[[A:.+]]: index, %[[B:.+]]: index)
// CHECK: xf.check_dim %[[A]], %[[B]] broadcast "model.onnx: node 'add' (onnx.Add): dimension 1 of input 1"
// CHECK: xf.check_dim %[[A]], %[[B]] "m: equal"
func.func @check_dim(%a: index, %b: index) {
  xf.check_dim %a, %b broadcast "model.onnx: node 'add' (onnx.Add): dimension 1 of input 1"
  xf.check_dim %a, %b "m: equal"
  return
}
