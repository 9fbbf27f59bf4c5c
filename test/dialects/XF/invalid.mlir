// RUN: xf-opt %s -split-input-file -verify-diagnostics

func.func @attention_batch(%q: tensor<2x8x4x64xf32>, %k: tensor<3x8x4x64xf32>, %v: tensor<3x8x4x64xf32>) -> tensor<2x8x4x64xf32> {
  // expected-error @+1 {{key batch (3) does not match query batch (2)}}
  %o = xf.attention %q, %k, %v scale = 0.125
      : (tensor<2x8x4x64xf32>, tensor<3x8x4x64xf32>, tensor<3x8x4x64xf32>) -> tensor<2x8x4x64xf32>
  return %o : tensor<2x8x4x64xf32>
}

// -----

func.func @attention_value_length(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x6x64xf32>, %v: tensor<1x8x5x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{value length (5) does not match key length (6)}}
  %o = xf.attention %q, %k, %v scale = 0.125
      : (tensor<1x8x4x64xf32>, tensor<1x8x6x64xf32>, tensor<1x8x5x64xf32>) -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_head_dim(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x4x32xf32>, %v: tensor<1x8x4x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{key head_dim (32) does not match query head_dim (64)}}
  %o = xf.attention %q, %k, %v scale = 0.125
      : (tensor<1x8x4x64xf32>, tensor<1x8x4x32xf32>, tensor<1x8x4x64xf32>) -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_result_head_dim(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x4x64xf32>, %v: tensor<1x8x4x32xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{result head_dim (64) does not match value head_dim (32)}}
  %o = xf.attention %q, %k, %v scale = 0.125
      : (tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>, tensor<1x8x4x32xf32>) -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_result_heads(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x4x64xf32>, %v: tensor<1x8x4x64xf32>) -> tensor<1x4x4x64xf32> {
  // expected-error @+1 {{result heads (4) does not match query heads (8)}}
  %o = xf.attention %q, %k, %v scale = 0.125
      : (tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>) -> tensor<1x4x4x64xf32>
  return %o : tensor<1x4x4x64xf32>
}

// -----

func.func @attention_head_groups(%q: tensor<1x6x4x64xf32>, %k: tensor<1x4x4x64xf32>, %v: tensor<1x4x4x64xf32>) -> tensor<1x6x4x64xf32> {
  // expected-error @+1 {{query heads (6) are not a multiple of key/value heads (4)}}
  %o = xf.attention %q, %k, %v scale = 0.125
      : (tensor<1x6x4x64xf32>, tensor<1x4x4x64xf32>, tensor<1x4x4x64xf32>) -> tensor<1x6x4x64xf32>
  return %o : tensor<1x6x4x64xf32>
}

// -----

func.func @attention_causal_lengths(%q: tensor<1x8x8x64xf32>, %k: tensor<1x8x4x64xf32>, %v: tensor<1x8x4x64xf32>) -> tensor<1x8x8x64xf32> {
  // expected-error @+1 {{is causal with more queries (8) than keys (4)}}
  %o = xf.attention %q, %k, %v scale = 0.125 causal
      : (tensor<1x8x8x64xf32>, tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>) -> tensor<1x8x8x64xf32>
  return %o : tensor<1x8x8x64xf32>
}

// -----

func.func @attention_mask_element_type(%q: tensor<1x8x4x64xf16>, %k: tensor<1x8x4x64xf16>, %v: tensor<1x8x4x64xf16>, %m: tensor<4x4xf32>) -> tensor<1x8x4x64xf16> {
  // expected-error @+1 {{mask element type 'f32' does not match query element type 'f16'}}
  %o = xf.attention %q, %k, %v mask %m scale = 0.125
      : (tensor<1x8x4x64xf16>, tensor<1x8x4x64xf16>, tensor<1x8x4x64xf16>, tensor<4x4xf32>) -> tensor<1x8x4x64xf16>
  return %o : tensor<1x8x4x64xf16>
}

// -----

func.func @attention_mask_broadcast(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x6x64xf32>, %v: tensor<1x8x6x64xf32>, %m: tensor<2x1x4x6xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{mask dimension 0 (2) does not broadcast to 1}}
  %o = xf.attention %q, %k, %v mask %m scale = 0.125
      : (tensor<1x8x4x64xf32>, tensor<1x8x6x64xf32>, tensor<1x8x6x64xf32>, tensor<2x1x4x6xf32>) -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_mask_broadcast_trailing(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x6x64xf32>, %v: tensor<1x8x6x64xf32>, %m: tensor<4x5xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{mask dimension 1 (5) does not broadcast to 6}}
  %o = xf.attention %q, %k, %v mask %m scale = 0.125
      : (tensor<1x8x4x64xf32>, tensor<1x8x6x64xf32>, tensor<1x8x6x64xf32>, tensor<4x5xf32>) -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_mask_rank(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x4x64xf32>, %v: tensor<1x8x4x64xf32>, %m: tensor<1x1x1x4x4xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{operand #3 must be ranked tensor of rank <= 4}}
  %o = xf.attention %q, %k, %v mask %m scale = 0.125
      : (tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>, tensor<1x1x1x4x4xf32>) -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_element_types(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x4x64xf16>, %v: tensor<1x8x4x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{failed to verify that all of {query, key, value, result} have same element type}}
  %o = xf.attention %q, %k, %v scale = 0.125
      : (tensor<1x8x4x64xf32>, tensor<1x8x4x64xf16>, tensor<1x8x4x64xf32>) -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_rank(%q: tensor<8x4x64xf32>, %k: tensor<8x4x64xf32>, %v: tensor<8x4x64xf32>) -> tensor<8x4x64xf32> {
  // expected-error @+1 {{operand #0 must be 4D tensor of floating-point values}}
  %o = xf.attention %q, %k, %v scale = 0.125
      : (tensor<8x4x64xf32>, tensor<8x4x64xf32>, tensor<8x4x64xf32>) -> tensor<8x4x64xf32>
  return %o : tensor<8x4x64xf32>
}

// -----

func.func @paged_attention_block_table(%q: tensor<4x32x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %bt: tensor<2x?xi32>, %l: tensor<4xi32>) -> tensor<4x32x1x64xf16> {
  // expected-error @+1 {{block_table batch (2) does not match query batch (4)}}
  %o = xf.paged_attention %q, %kp, %vp, %bt, %l scale = 0.125 causal
      : (tensor<4x32x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<2x?xi32>, tensor<4xi32>) -> tensor<4x32x1x64xf16>
  return %o : tensor<4x32x1x64xf16>
}

// -----

func.func @paged_attention_context_lens(%q: tensor<4x32x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %bt: tensor<4x?xi32>, %l: tensor<3xi32>) -> tensor<4x32x1x64xf16> {
  // expected-error @+1 {{context_lens batch (3) does not match query batch (4)}}
  %o = xf.paged_attention %q, %kp, %vp, %bt, %l scale = 0.125 causal
      : (tensor<4x32x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x?xi32>, tensor<3xi32>) -> tensor<4x32x1x64xf16>
  return %o : tensor<4x32x1x64xf16>
}

// -----

func.func @paged_attention_block_size(%q: tensor<4x32x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x32x64xf16>, %bt: tensor<4x?xi32>, %l: tensor<4xi32>) -> tensor<4x32x1x64xf16> {
  // expected-error @+1 {{value_pool block size (32) does not match key_pool block size (16)}}
  %o = xf.paged_attention %q, %kp, %vp, %bt, %l scale = 0.125 causal
      : (tensor<4x32x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x32x64xf16>, tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x32x1x64xf16>
  return %o : tensor<4x32x1x64xf16>
}

// -----

func.func @paged_attention_head_dim(%q: tensor<4x32x1x64xf16>, %kp: tensor<?x8x16x128xf16>, %vp: tensor<?x8x16x64xf16>, %bt: tensor<4x?xi32>, %l: tensor<4xi32>) -> tensor<4x32x1x64xf16> {
  // expected-error @+1 {{key_pool head_dim (128) does not match query head_dim (64)}}
  %o = xf.paged_attention %q, %kp, %vp, %bt, %l scale = 0.125 causal
      : (tensor<4x32x1x64xf16>, tensor<?x8x16x128xf16>, tensor<?x8x16x64xf16>, tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x32x1x64xf16>
  return %o : tensor<4x32x1x64xf16>
}

// -----

func.func @paged_attention_result(%q: tensor<4x32x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %bt: tensor<4x?xi32>, %l: tensor<4xi32>) -> tensor<4x32x2x64xf16> {
  // expected-error @+1 {{result length (2) does not match query length (1)}}
  %o = xf.paged_attention %q, %kp, %vp, %bt, %l scale = 0.125 causal
      : (tensor<4x32x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x32x2x64xf16>
  return %o : tensor<4x32x2x64xf16>
}

// -----

func.func @paged_attention_head_groups(%q: tensor<4x12x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %bt: tensor<4x?xi32>, %l: tensor<4xi32>) -> tensor<4x12x1x64xf16> {
  // expected-error @+1 {{query heads (12) are not a multiple of key/value heads (8)}}
  %o = xf.paged_attention %q, %kp, %vp, %bt, %l scale = 0.125 causal
      : (tensor<4x12x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x12x1x64xf16>
  return %o : tensor<4x12x1x64xf16>
}

// -----

func.func @paged_attention_block_table_type(%q: tensor<4x32x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %bt: tensor<4x?xi16>, %l: tensor<4xi32>) -> tensor<4x32x1x64xf16> {
  // expected-error @+1 {{operand #3 must be 2D tensor of 32-bit signless integer or 64-bit signless integer values}}
  %o = xf.paged_attention %q, %kp, %vp, %bt, %l scale = 0.125 causal
      : (tensor<4x32x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x?xi16>, tensor<4xi32>) -> tensor<4x32x1x64xf16>
  return %o : tensor<4x32x1x64xf16>
}

// -----

func.func @kv_cache_write_slots(%k: tensor<4x8x2x64xf16>, %v: tensor<4x8x2x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %s: tensor<4x1xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>) {
  // expected-error @+1 {{slot_mapping length (1) does not match key length (2)}}
  %a, %b = xf.kv_cache_write %k, %v into %kp, %vp at %s
      : (tensor<4x8x2x64xf16>, tensor<4x8x2x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x1xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>)
  return %a, %b : tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>
}

// -----

func.func @kv_cache_write_slot_batch(%k: tensor<4x8x1x64xf16>, %v: tensor<4x8x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %s: tensor<2x1xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>) {
  // expected-error @+1 {{slot_mapping batch (2) does not match key batch (4)}}
  %a, %b = xf.kv_cache_write %k, %v into %kp, %vp at %s
      : (tensor<4x8x1x64xf16>, tensor<4x8x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<2x1xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>)
  return %a, %b : tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>
}

// -----

func.func @kv_cache_write_pool_heads(%k: tensor<4x8x1x64xf16>, %v: tensor<4x8x1x64xf16>, %kp: tensor<?x4x16x64xf16>, %vp: tensor<?x4x16x64xf16>, %s: tensor<4x1xi32>) -> (tensor<?x4x16x64xf16>, tensor<?x4x16x64xf16>) {
  // expected-error @+1 {{key_pool heads (4) does not match key heads (8)}}
  %a, %b = xf.kv_cache_write %k, %v into %kp, %vp at %s
      : (tensor<4x8x1x64xf16>, tensor<4x8x1x64xf16>, tensor<?x4x16x64xf16>, tensor<?x4x16x64xf16>, tensor<4x1xi32>) -> (tensor<?x4x16x64xf16>, tensor<?x4x16x64xf16>)
  return %a, %b : tensor<?x4x16x64xf16>, tensor<?x4x16x64xf16>
}

// -----

func.func @kv_cache_write_value_head_dim(%k: tensor<4x8x1x64xf16>, %v: tensor<4x8x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x32xf16>, %s: tensor<4x1xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x32xf16>) {
  // expected-error @+1 {{value_pool head_dim (32) does not match value head_dim (64)}}
  %a, %b = xf.kv_cache_write %k, %v into %kp, %vp at %s
      : (tensor<4x8x1x64xf16>, tensor<4x8x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x32xf16>, tensor<4x1xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x32xf16>)
  return %a, %b : tensor<?x8x16x64xf16>, tensor<?x8x16x32xf16>
}

// -----

func.func @kv_cache_write_value_length(%k: tensor<4x8x2x64xf16>, %v: tensor<4x8x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %s: tensor<4x2xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>) {
  // expected-error @+1 {{value length (1) does not match key length (2)}}
  %a, %b = xf.kv_cache_write %k, %v into %kp, %vp at %s
      : (tensor<4x8x2x64xf16>, tensor<4x8x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x2xi32>) -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>)
  return %a, %b : tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>
}

// -----

func.func @kv_cache_write_pool_blocks(%k: tensor<4x8x1x64xf16>, %v: tensor<4x8x1x64xf16>, %kp: tensor<100x8x16x64xf16>, %vp: tensor<99x8x16x64xf16>, %s: tensor<4x1xi32>) -> (tensor<100x8x16x64xf16>, tensor<99x8x16x64xf16>) {
  // expected-error @+1 {{value_pool blocks (99) does not match key_pool blocks (100)}}
  %a, %b = xf.kv_cache_write %k, %v into %kp, %vp at %s
      : (tensor<4x8x1x64xf16>, tensor<4x8x1x64xf16>, tensor<100x8x16x64xf16>, tensor<99x8x16x64xf16>, tensor<4x1xi32>) -> (tensor<100x8x16x64xf16>, tensor<99x8x16x64xf16>)
  return %a, %b : tensor<100x8x16x64xf16>, tensor<99x8x16x64xf16>
}

// -----

func.func @kv_cache_write_result_type(%k: tensor<4x8x1x64xf16>, %v: tensor<4x8x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %s: tensor<4x1xi32>) -> (tensor<10x8x16x64xf16>, tensor<?x8x16x64xf16>) {
  // expected-error @+1 {{failed to verify that all of {key_pool, updated_key_pool} have same type}}
  %a, %b = xf.kv_cache_write %k, %v into %kp, %vp at %s
      : (tensor<4x8x1x64xf16>, tensor<4x8x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x1xi32>) -> (tensor<10x8x16x64xf16>, tensor<?x8x16x64xf16>)
  return %a, %b : tensor<10x8x16x64xf16>, tensor<?x8x16x64xf16>
}

// -----

func.func @rms_norm_weight(%x: tensor<2x?x64xf32>, %w: tensor<32xf32>) -> tensor<2x?x64xf32> {
  // expected-error @+1 {{weight size (32) does not match input last dimension (64)}}
  %y = xf.rms_norm %x, %w epsilon = 1.0e-6 : (tensor<2x?x64xf32>, tensor<32xf32>) -> tensor<2x?x64xf32>
  return %y : tensor<2x?x64xf32>
}

// -----

func.func @rms_norm_result(%x: tensor<2x?x64xf32>, %w: tensor<64xf32>) -> tensor<2x3x64xf32> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %y = xf.rms_norm %x, %w epsilon = 1.0e-6 : (tensor<2x?x64xf32>, tensor<64xf32>) -> tensor<2x3x64xf32>
  return %y : tensor<2x3x64xf32>
}

// -----

func.func @layer_norm_weight(%x: tensor<2x?x64xf32>, %w: tensor<63xf32>) -> tensor<2x?x64xf32> {
  // expected-error @+1 {{weight size (63) does not match input last dimension (64)}}
  %y = xf.layer_norm %x, %w epsilon = 1.0e-5 : (tensor<2x?x64xf32>, tensor<63xf32>) -> tensor<2x?x64xf32>
  return %y : tensor<2x?x64xf32>
}

// -----

func.func @layer_norm_bias_size(%x: tensor<2x?x64xf32>, %w: tensor<64xf32>, %b: tensor<32xf32>) -> tensor<2x?x64xf32> {
  // expected-error @+1 {{bias size (32) does not match output features (64)}}
  %y = xf.layer_norm %x, %w, %b epsilon = 1.0e-5 : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<32xf32>) -> tensor<2x?x64xf32>
  return %y : tensor<2x?x64xf32>
}

// -----

func.func @layer_norm_bias_type(%x: tensor<2x?x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf16>) -> tensor<2x?x64xf32> {
  // expected-error @+1 {{bias element type 'f16' does not match input element type 'f32'}}
  %y = xf.layer_norm %x, %w, %b epsilon = 1.0e-5 : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf16>) -> tensor<2x?x64xf32>
  return %y : tensor<2x?x64xf32>
}

// -----

func.func @rope_length(%x: tensor<1x8x5x64xf32>, %c: tensor<4x32xf32>, %s: tensor<4x32xf32>) -> tensor<1x8x5x64xf32> {
  // expected-error @+1 {{cos/sin length (4) does not match input length (5)}}
  %y = xf.rope %x, %c, %s style = rotate_half : (tensor<1x8x5x64xf32>, tensor<4x32xf32>, tensor<4x32xf32>) -> tensor<1x8x5x64xf32>
  return %y : tensor<1x8x5x64xf32>
}

// -----

func.func @rope_batch(%x: tensor<2x8x1x64xf32>, %c: tensor<3x1x32xf32>, %s: tensor<3x1x32xf32>) -> tensor<2x8x1x64xf32> {
  // expected-error @+1 {{cos/sin batch (3) does not match input batch (2)}}
  %y = xf.rope %x, %c, %s style = interleaved : (tensor<2x8x1x64xf32>, tensor<3x1x32xf32>, tensor<3x1x32xf32>) -> tensor<2x8x1x64xf32>
  return %y : tensor<2x8x1x64xf32>
}

// -----

func.func @rope_rotary_dim(%x: tensor<1x8x?x64xf32>, %c: tensor<?x64xf32>, %s: tensor<?x64xf32>) -> tensor<1x8x?x64xf32> {
  // expected-error @+1 {{cos/sin rows of 64 angles rotate 128 elements but head_dim is 64}}
  %y = xf.rope %x, %c, %s style = rotate_half : (tensor<1x8x?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<1x8x?x64xf32>
  return %y : tensor<1x8x?x64xf32>
}

// -----

func.func @rope_tables(%x: tensor<1x8x?x64xf32>, %c: tensor<?x32xf32>, %s: tensor<?x16xf32>) -> tensor<1x8x?x64xf32> {
  // expected-error @+1 {{failed to verify that all of {cos, sin} have same type}}
  %y = xf.rope %x, %c, %s style = rotate_half : (tensor<1x8x?x64xf32>, tensor<?x32xf32>, tensor<?x16xf32>) -> tensor<1x8x?x64xf32>
  return %y : tensor<1x8x?x64xf32>
}

// -----

func.func @rope_style(%x: tensor<1x8x?x64xf32>, %c: tensor<?x32xf32>, %s: tensor<?x32xf32>) -> tensor<1x8x?x64xf32> {
  // expected-error @+2 {{expected ::xf::XF::RopeStyle to be one of: rotate_half, interleaved}}
  // expected-error @+1 {{failed to parse XF_RopeStyleAttr parameter 'value'}}
  %y = xf.rope %x, %c, %s style = neox : (tensor<1x8x?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<1x8x?x64xf32>
  return %y : tensor<1x8x?x64xf32>
}

// -----

func.func @linear_inner_dim(%x: tensor<2x64xf32>, %w: tensor<16x32xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{weight columns (32) does not match input last dimension (64)}}
  %y = xf.linear %x, %w : (tensor<2x64xf32>, tensor<16x32xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @linear_result_rank(%x: tensor<1x2x64xf32>, %w: tensor<16x64xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{result has rank 2 but should have rank 3}}
  %y = xf.linear %x, %w : (tensor<1x2x64xf32>, tensor<16x64xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @linear_result_leading(%x: tensor<1x2x64xf32>, %w: tensor<16x64xf32>) -> tensor<1x3x16xf32> {
  // expected-error @+1 {{result dimension 1 (3) does not match input dimension 1 (2)}}
  %y = xf.linear %x, %w : (tensor<1x2x64xf32>, tensor<16x64xf32>) -> tensor<1x3x16xf32>
  return %y : tensor<1x3x16xf32>
}

// -----

func.func @linear_result_features(%x: tensor<2x64xf32>, %w: tensor<16x64xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{result last dimension (8) does not match weight rows (16)}}
  %y = xf.linear %x, %w : (tensor<2x64xf32>, tensor<16x64xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @linear_bias(%x: tensor<2x64xf32>, %w: tensor<16x64xf32>, %b: tensor<64xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{bias size (64) does not match output features (16)}}
  %y = xf.linear %x, %w, %b : (tensor<2x64xf32>, tensor<16x64xf32>, tensor<64xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @linear_bias_type(%x: tensor<2x64xf32>, %w: tensor<16x64xf32>, %b: tensor<16xbf16>) -> tensor<2x16xf32> {
  // expected-error @+1 {{bias element type 'bf16' does not match input element type 'f32'}}
  %y = xf.linear %x, %w, %b : (tensor<2x64xf32>, tensor<16x64xf32>, tensor<16xbf16>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

// A 16-bit weight goes with an f32 input only (xf-promote-to-f32's).
func.func @linear_element_types(%x: tensor<2x64xf16>, %w: tensor<16x64xf32>) -> tensor<2x16xf16> {
  // expected-error @+1 {{weight element type 'f32' must be the input's ('f16'), or f16/bf16 with an f32 input}}
  %y = xf.linear %x, %w : (tensor<2x64xf16>, tensor<16x64xf32>) -> tensor<2x16xf16>
  return %y : tensor<2x16xf16>
}

// -----

func.func @linear_result_type(%x: tensor<2x64xf32>, %w: tensor<16x64xbf16>) -> tensor<2x16xbf16> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same element type}}
  %y = xf.linear %x, %w : (tensor<2x64xf32>, tensor<16x64xbf16>) -> tensor<2x16xbf16>
  return %y : tensor<2x16xbf16>
}

// -----

func.func @qlinear_symmetric_zero_points(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>, %z: tensor<16x2xi8>) -> tensor<2x16xf32> {
  // expected-error @+1 {{is symmetric but has zero points}}
  %y = xf.qlinear %x, %w, %s zero_points %z bits = 4 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<16x2xi8>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_asymmetric_without_zero_points(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{is asymmetric but has no zero points}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_rounded_and_exact(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{int8_activations and exact_activations exclude each other}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric int8_activations exact_activations
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_int4_packing(%x: tensor<2x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16x2xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{weight rows have 64 bytes but 64 codes of 4 bits need 32}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x64xi8>, tensor<16x2xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_int4_odd_packing(%x: tensor<2x65xf32>, %w: tensor<16x32xi8>, %s: tensor<16x3xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{weight rows have 32 bytes but 65 codes of 4 bits need 33}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric
      : (tensor<2x65xf32>, tensor<16x32xi8>, tensor<16x3xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_int8_packing(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{weight rows have 32 bytes but 64 codes of 8 bits need 64}}
  %y = xf.qlinear %x, %w, %s bits = 8 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_partial_group(%x: tensor<2x65xf32>, %w: tensor<16x33xi8>, %s: tensor<16x2xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{scales have 2 groups per row but 65 inputs in groups of 32 make 3}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric
      : (tensor<2x65xf32>, tensor<16x33xi8>, tensor<16x2xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_scale_rows(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<8x2xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{scales rows (8) does not match weight rows (16)}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<8x2xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_zero_point_shape(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>, %z: tensor<16x1xi8>) -> tensor<2x16xf32> {
  // expected-error @+1 {{zero_points groups (1) does not match scales groups (2)}}
  %y = xf.qlinear %x, %w, %s zero_points %z bits = 4 group_size = 32
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<16x1xi8>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_float_zero_point_type(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>, %z: tensor<16x2xf16>) -> tensor<2x16xf32> {
  // expected-error @+1 {{has 'f16' zero points but 'f32' scales}}
  %y = xf.qlinear %x, %w, %s zero_points %z bits = 4 group_size = 32
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<16x2xf16>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_result(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{result last dimension (32) does not match weight rows (16)}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>) -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

// -----

func.func @qlinear_result_leading(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>) -> tensor<3x16xf32> {
  // expected-error @+1 {{result dimension 0 (3) does not match input dimension 0 (2)}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>) -> tensor<3x16xf32>
  return %y : tensor<3x16xf32>
}

// -----

func.func @qlinear_bias(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>, %b: tensor<8xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{bias size (8) does not match output features (16)}}
  %y = xf.qlinear %x, %w, %s bias %b bits = 4 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<8xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_bits(%x: tensor<2x64xf32>, %w: tensor<16x24xi8>, %s: tensor<16x2xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{attribute 'bits' failed to satisfy constraint: 64-bit signless integer attribute whose value is one of {4, 8}}}
  %y = xf.qlinear %x, %w, %s bits = 3 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x24xi8>, tensor<16x2xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_group_size(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{attribute 'group_size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 0 symmetric
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_weight_type(%x: tensor<2x64xf32>, %w: tensor<16x32xi4>, %s: tensor<16x2xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{operand #1 must be 2D tensor of 8-bit signless integer values}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x32xi4>, tensor<16x2xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @qlinear_scales_type(%x: tensor<2x64xf32>, %w: tensor<16x32xi8>, %s: tensor<16x2xbf16>) -> tensor<2x16xf32> {
  // expected-error @+1 {{operand #2 must be 2D tensor of 16-bit float or 32-bit float values}}
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xbf16>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

func.func @gelu_approximation(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{expected ::xf::XF::GeluApproximation to be one of: none, tanh}}
  // expected-error @+1 {{failed to parse XF_GeluApproximationAttr parameter 'value'}}
  %y = xf.gelu %x approximation = erf : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @gelu_integer(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %y = xf.gelu %x approximation = none : tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

func.func @swiglu_types(%g: tensor<4x8xf32>, %u: tensor<4x16xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %y = "xf.swiglu"(%g, %u) : (tensor<4x8xf32>, tensor<4x16xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @embedding_result_rank(%t: tensor<100x16xf32>, %ids: tensor<2x3xi64>) -> tensor<6x16xf32> {
  // expected-error @+1 {{result has rank 2 but should have rank 3}}
  %e = xf.embedding %t, %ids : (tensor<100x16xf32>, tensor<2x3xi64>) -> tensor<6x16xf32>
  return %e : tensor<6x16xf32>
}

// -----

func.func @embedding_result_leading(%t: tensor<100x16xf32>, %ids: tensor<2x3xi64>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{result dimension 1 (4) does not match ids dimension 1 (3)}}
  %e = xf.embedding %t, %ids : (tensor<100x16xf32>, tensor<2x3xi64>) -> tensor<2x4x16xf32>
  return %e : tensor<2x4x16xf32>
}

// -----

func.func @embedding_width(%t: tensor<100x16xf32>, %ids: tensor<2x3xi64>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{result last dimension (8) does not match table columns (16)}}
  %e = xf.embedding %t, %ids : (tensor<100x16xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
  return %e : tensor<2x3x8xf32>
}

// -----

func.func @embedding_ids_type(%t: tensor<100x16xf32>, %ids: tensor<2x3xf32>) -> tensor<2x3x16xf32> {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %e = xf.embedding %t, %ids : (tensor<100x16xf32>, tensor<2x3xf32>) -> tensor<2x3x16xf32>
  return %e : tensor<2x3x16xf32>
}

// -----

func.func @qembedding_row_bytes(%ids: tensor<4xi64>, %t: tensor<10x16xi8>, %s: tensor<10x1xf32>) -> tensor<4x33xf32> {
  // expected-error @+1 {{weight rows have 16 bytes but 33 codes of 4 bits need 17}}
  %e = xf.qembedding %ids, %t, %s bits = 4 group_size = 64 symmetric
      : (tensor<4xi64>, tensor<10x16xi8>, tensor<10x1xf32>) -> tensor<4x33xf32>
  return %e : tensor<4x33xf32>
}

// -----

func.func @qembedding_ids(%ids: tensor<4xi64>, %t: tensor<10x32xi8>, %s: tensor<10x1xf32>) -> tensor<5x32xf32> {
  // expected-error @+1 {{}}
  %e = xf.qembedding %ids, %t, %s bits = 8 group_size = 32 symmetric
      : (tensor<4xi64>, tensor<10x32xi8>, tensor<10x1xf32>) -> tensor<5x32xf32>
  return %e : tensor<5x32xf32>
}
