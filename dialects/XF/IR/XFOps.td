//===- XFOps.td - xf operations ----------------------------*- tablegen -*-===//
//
// Transformer building blocks. Each description fixes the op's semantics and
// operand layouts exactly: codegen lowers against them and the runtime lays
// out weights and the KV pool by them.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECTS_XF_IR_XFOPS_TD
#define XF_DIALECTS_XF_IR_XFOPS_TD

include "dialects/XF/IR/XFDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class XF_Op<string mnemonic, list<Trait> traits = []>
    : Op<XF_Dialect, mnemonic, !listconcat(traits, [Pure])>;

// An enum attribute's printer in LLVM 22 starts with a space of its own, so
// the assembly formats put an empty literal (``) before enum operands to
// avoid printing two.

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def XF_AttentionOp : XF_Op<"attention",
    [AllElementTypesMatch<["query", "key", "value", "result"]>]> {
  let summary = "scaled dot-product attention (MHA, GQA, MQA)";
  let description = [{
    Operands, with `B` the batch, `Hq` the query heads, `Hkv` the key/value
    heads, `Sq` the queries and `Skv` the keys per sequence:

    - `query`: [B, Hq, Sq, D]
    - `key`: [B, Hkv, Skv, D]
    - `value`: [B, Hkv, Skv, Dv]
    - `mask` (optional): an additive mask of `query`'s element type that
      broadcasts (numpy rules, aligned on the right) to [B, Hq, Sq, Skv]
    - result: [B, Hq, Sq, Dv], `query`'s element type

    `Hq` is a multiple of `Hkv`: query head `h` reads key/value head
    `h / (Hq / Hkv)`, so `Hkv == Hq` is multi-head, `Hkv == 1` multi-query
    and anything between grouped-query attention. For each batch `b` and
    query head `h`, with `g = h / (Hq / Hkv)`:

    ```
    scores[i, j] = scale * sum_d query[b, h, i, d] * key[b, g, j, d]
                   + mask[b, h, i, j]
    result[b, h, i, :] = sum_j softmax_j(scores[i, :]) * value[b, g, j, :]
    ```

    With `softcap` (Gemma 2), the scaled product is capped before the mask
    is added: `scores[i, j] = softcap * tanh(scale * q.k / softcap) +
    mask[b, h, i, j]`.

    With `causal`, key `j` is visible to query `i` iff
    `j <= i + (Skv - Sq)`: the queries are the last `Sq` positions of the
    `Skv` keys, as in a decode step over a cache. With `window = W` (only
    with `causal`; sliding-window attention), key `j` is visible only if
    also `(Skv - Sq + i) - j < W`: a query sees itself and the `W - 1` keys
    before it. Invisible keys take no part
    in the softmax. A query row with no visible key (all its scores
    `-inf`) gives a zero row. Sums and the softmax are computed in at least
    f32 whatever the element type. Codegen tiles this op into online-softmax
    (flash attention) loops; no [Sq, Skv] score matrix is ever built.

    ```mlir
    %o = xf.attention %q, %k, %v mask %m scale = 1.250000e-01 causal
        : (tensor<1x32x?x64xf16>, tensor<1x8x?x64xf16>, tensor<1x8x?x64xf16>,
           tensor<1x1x?x?xf16>) -> tensor<1x32x?x64xf16>
    %w = xf.attention %q, %k, %v scale = 6.250000e-02 softcap = 5.000000e+01
        causal window = 4096
        : (tensor<1x8x?x256xf32>, tensor<1x4x?x256xf32>, tensor<1x4x?x256xf32>)
        -> tensor<1x8x?x256xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor4D:$query, XF_FloatTensor4D:$key,
                       XF_FloatTensor4D:$value,
                       Optional<XF_AttentionMask>:$mask, F32Attr:$scale,
                       OptionalAttr<F32Attr>:$softcap,
                       UnitAttr:$causal,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$window);
  let results = (outs XF_FloatTensor4D:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? `scale` `=` $scale
    (`softcap` `=` $softcap^)? (`causal` $causal^)? (`window` `=` $window^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_PagedAttentionOp : XF_Op<"paged_attention",
    [AllElementTypesMatch<["query", "key_pool", "value_pool", "result"]>]> {
  let summary = "attention over a paged KV cache, read through block tables";
  let description = [{
    `xf.attention` whose keys and values live in a paged KV pool (see
    `xf.kv_cache_write`). Operands:

    - `query`: [B, Hq, Sq, D]
    - `key_pool`: [num_blocks, Hkv, block_size, D]
    - `value_pool`: [num_blocks, Hkv, block_size, Dv]
    - `block_table`: [B, max_blocks], i32 or i64; `block_table[b, n]` is the
      pool block holding tokens `n * block_size` to
      `(n + 1) * block_size - 1` of sequence `b`
    - `context_lens`: [B], i32 or i64; the number of tokens of sequence `b`
      in the cache, the `Sq` new ones included (they are written with
      `xf.kv_cache_write` first)
    - result: [B, Hq, Sq, Dv]

    For sequence `b`, with `n = context_lens[b]`, key `j` (`0 <= j < n`) of
    key/value head `g` is

    ```
    key[j]   = key_pool[block_table[b, j / block_size], g, j % block_size, :]
    value[j] = value_pool[block_table[b, j / block_size], g, j % block_size, :]
    ```

    and the result is that of `xf.attention` over these `Skv = n` keys with
    the same `scale`, `softcap`, `causal` and `window` semantics: query `i`
    sits at position `n - Sq + i` and, with `causal`, sees key `j` iff
    `j <= n - Sq + i` (and, with `window = W`, `n - Sq + i - j < W`).
    A batch of sequences with fewer than `Sq` new tokens is padded on the
    left of the query; a padding row whose position is negative sees no key
    and gives a zero row, the others give rows the caller ignores. Entries
    of `block_table` past `ceil(n / block_size)` are never read. Nothing is
    gathered into a contiguous cache: generated code reads the pool through
    the block table.

    ```mlir
    %o = xf.paged_attention %q, %kpool, %vpool, %blocks, %lens
        scale = 1.250000e-01 causal
        : (tensor<4x32x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>,
           tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x32x1x64xf16>
    ```
  }];
  let arguments = (ins XF_FloatTensor4D:$query, XF_FloatTensor4D:$key_pool,
                       XF_FloatTensor4D:$value_pool,
                       XF_IndexTensor2D:$block_table,
                       XF_IndexTensor1D:$context_lens, F32Attr:$scale,
                       OptionalAttr<F32Attr>:$softcap,
                       UnitAttr:$causal,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$window);
  let results = (outs XF_FloatTensor4D:$result);
  let assemblyFormat = [{
    $query `,` $key_pool `,` $value_pool `,` $block_table `,` $context_lens
    `scale` `=` $scale (`softcap` `=` $softcap^)? (`causal` $causal^)?
    (`window` `=` $window^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_KVCacheWriteOp : XF_Op<"kv_cache_write",
    [AllTypesMatch<["key_pool", "updated_key_pool"]>,
     AllTypesMatch<["value_pool", "updated_value_pool"]>,
     AllElementTypesMatch<["key", "key_pool"]>,
     AllElementTypesMatch<["value", "value_pool"]>]> {
  let summary = "writes new keys and values into a paged KV pool";
  let description = [{
    The KV pool of one layer is an array of fixed-size blocks:

    - `key_pool`: [num_blocks, Hkv, block_size, D]
    - `value_pool`: [num_blocks, Hkv, block_size, Dv]

    Token slot `s` is row `s % block_size` of block `s / block_size`, for
    every head. The op writes the new tokens

    - `key`: [B, Hkv, S, D]
    - `value`: [B, Hkv, S, Dv]

    at the slots in `slot_mapping` ([B, S], i32 or i64), and returns the
    pools with every other entry unchanged:

    ```
    for b, t with s = slot_mapping[b, t] >= 0, for every head h:
      key_pool[s / block_size, h, s % block_size, :] = key[b, h, t, :]
      value_pool[s / block_size, h, s % block_size, :] = value[b, h, t, :]
    ```

    A negative slot (padding tokens use -1) writes nothing. The runtime
    computes `slot = block_table[b, p / block_size] * block_size +
    p % block_size` for a token at position `p`; non-negative slots must be
    distinct and below `num_blocks * block_size`. The op has value
    semantics; bufferization turns it into an in-place update of the pool
    buffers the runtime owns, since nothing reads the old pools afterwards.

    ```mlir
    %kp, %vp = xf.kv_cache_write %k, %v into %kpool, %vpool at %slots
        : (tensor<4x8x1x64xf16>, tensor<4x8x1x64xf16>, tensor<?x8x16x64xf16>,
           tensor<?x8x16x64xf16>, tensor<4x1xi32>)
        -> (tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>)
    ```
  }];
  let arguments = (ins XF_FloatTensor4D:$key, XF_FloatTensor4D:$value,
                       XF_FloatTensor4D:$key_pool,
                       XF_FloatTensor4D:$value_pool,
                       XF_IndexTensor2D:$slot_mapping);
  let results = (outs XF_FloatTensor4D:$updated_key_pool,
                      XF_FloatTensor4D:$updated_value_pool);
  let assemblyFormat = [{
    $key `,` $value `into` $key_pool `,` $value_pool `at` $slot_mapping
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization and positional embedding
//===----------------------------------------------------------------------===//

def XF_RMSNormOp : XF_Op<"rms_norm",
    [AllTypesMatch<["input", "result"]>,
     AllElementTypesMatch<["input", "weight"]>]> {
  let summary = "root-mean-square normalization over the last dimension";
  let description = [{
    For `input` [..., D] and `weight` [D], along the last dimension:

    ```
    result[..., d] = input[..., d] * weight[d]
                     / sqrt(mean_d'(input[..., d']^2) + epsilon)
    ```

    The mean is computed in at least f32. Models that scale by
    `(1 + weight)` (Gemma) are imported with the constant folded into
    `weight`.

    ```mlir
    %y = xf.rms_norm %x, %w epsilon = 9.99999997E-7
        : (tensor<1x?x4096xf16>, tensor<4096xf16>) -> tensor<1x?x4096xf16>
    ```
  }];
  let arguments = (ins XF_NonScalarFloatTensor:$input,
                       XF_FloatTensor1D:$weight, F32Attr:$epsilon);
  let results = (outs XF_NonScalarFloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `epsilon` `=` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_LayerNormOp : XF_Op<"layer_norm",
    [AllTypesMatch<["input", "result"]>,
     AllElementTypesMatch<["input", "weight"]>]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    For `input` [..., D], `weight` [D] and an optional `bias` [D] of the
    same element type, along the last dimension:

    ```
    mean = mean_d(input[..., d])
    var  = mean_d((input[..., d] - mean)^2)
    result[..., d] = (input[..., d] - mean) / sqrt(var + epsilon) * weight[d]
                     + bias[d]
    ```

    The variance is the biased (population) one, and both statistics are
    computed in at least f32. Without `bias` the last term is 0.

    ```mlir
    %y = xf.layer_norm %x, %w, %b epsilon = 9.99999974E-6
        : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<768xf32>)
        -> tensor<1x?x768xf32>
    ```
  }];
  let arguments = (ins XF_NonScalarFloatTensor:$input,
                       XF_FloatTensor1D:$weight,
                       Optional<XF_FloatTensor1D>:$bias, F32Attr:$epsilon);
  let results = (outs XF_NonScalarFloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `epsilon` `=` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_RopeOp : XF_Op<"rope",
    [AllTypesMatch<["input", "result"]>, AllTypesMatch<["cos", "sin"]>,
     AllElementTypesMatch<["input", "cos"]>]> {
  let summary = "rotary position embedding from cos/sin tables";
  let description = [{
    Rotates pairs of elements of `input` [B, H, S, D] by angles whose
    cosines and sines are given per token:

    - `cos`, `sin`: [S, R/2] (every sequence at the same positions) or
      [B, S, R/2] (per sequence, as in batched decoding), where `R <= D` is
      the rotary dimension. Row `t` belongs to token `t` of the input; the
      caller gathers the rows for the tokens' positions, so
      `cos[t, i] = cos(position(t) * theta^(-2i/R))` for the usual base
      `theta`, and likewise `sin`.

    Elements `R` to `D - 1` pass through unchanged (partial rotary
    embedding). `style` chooses the pairs rotated by angle `i`
    (`0 <= i < R/2`):

    - `rotate_half` (GPT-NeoX, Llama in Hugging Face): elements `i` and
      `i + R/2`
    - `interleaved` (GPT-J, Llama's original code): elements `2i` and `2i + 1`

    For a pair `(x1, x2)` of token `t`, with `c = cos[.., t, i]` and
    `sn = sin[.., t, i]` (`..` is `b` for per-sequence tables):

    ```
    y1 = x1 * c - x2 * sn
    y2 = x2 * c + x1 * sn
    ```

    All operands share one element type. Models whose tables repeat the
    angles over the whole head dimension ([S, D]) are imported with the
    first half of each row.

    ```mlir
    %y = xf.rope %x, %cos, %sin style = rotate_half
        : (tensor<1x32x?x128xf16>, tensor<?x64xf16>, tensor<?x64xf16>)
        -> tensor<1x32x?x128xf16>
    ```
  }];
  let arguments = (ins XF_FloatTensor4D:$input, XF_RopeTable:$cos,
                       XF_RopeTable:$sin, XF_RopeStyleAttr:$style);
  let results = (outs XF_FloatTensor4D:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin `style` `=` `` $style attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear layers
//===----------------------------------------------------------------------===//

def XF_LinearOp : XF_Op<"linear",
    [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "fully connected layer: input times weight transposed";
  let description = [{
    For `input` [..., K], `weight` [N, K] (row `n` holds the `K` weights of
    output feature `n`, the layout of PyTorch's `nn.Linear`) and an optional
    `bias` [N] of the same element type:

    ```
    result[..., n] = sum_k input[..., k] * weight[n, k] + bias[n]
    ```

    The result is [..., N]: `input`'s leading dimensions followed by `N`.
    Accumulation is in at least f32. The weight has `input`'s element type,
    or, with an f32 `input`, f16 or bf16: weights stored in 16 bits (a
    16-bit export computed in f32, or `xfc --weights=f16|bf16`), widened
    exactly as they are read. The fusion passes transpose ONNX
    MatMul weights ([K, N]) into this layout when they are constants. The
    language-model head is an `xf.linear` too.

    ```mlir
    %y = xf.linear %x, %w, %b
        : (tensor<1x?x4096xf16>, tensor<11008x4096xf16>, tensor<11008xf16>)
        -> tensor<1x?x11008xf16>
    ```
  }];
  let arguments = (ins XF_NonScalarFloatTensor:$input,
                       XF_FloatTensor2D:$weight,
                       Optional<XF_FloatTensor1D>:$bias);
  let results = (outs XF_NonScalarFloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_QLinearOp : XF_Op<"qlinear",
    [AttrSizedOperandSegments,
     AllElementTypesMatch<["input", "result"]>]> {
  let summary = "fully connected layer with group-quantized int8/int4 weights";
  let description = [{
    `xf.linear` whose [N, K] weight is stored quantized, in groups of
    `group_size` consecutive elements along `K`. With
    `G = ceil(K / group_size)` groups per row (the last one may be partial):

    - `input`: [..., K], a float type
    - `weight`: the codes, row-major [N, ceil(K * bits / 8)] of i8. With
      `bits = 8` each byte is one code. With `bits = 4` each byte holds two
      codes: element `2j` of a row in the low nibble (bits 0-3), element
      `2j + 1` in the high nibble (bits 4-7); when `K` is odd the high
      nibble of each row's last byte is padding.
    - `scales`: [N, G], f16 or f32
    - `zero_points` (optional): [N, G] of i8, one code per byte (not packed
      even for `bits = 4`), or of f16/f32: a fractional zero point, so the
      group's grid `scales * (q - z)` is Q4_1's `d * q + min` with
      `min = -scales * z` and need not hold 0
    - `bias` (optional): [N], `input`'s element type
    - result: [..., N], `input`'s element type

    With `symmetric` the codes are signed (two's complement; -8..7 for
    int4, -128..127 for int8) and there are no zero points; otherwise the
    codes (and integer zero points) are unsigned (0..15, 0..255) and
    `zero_points` is required. The weight the codes stand for is, with `g = k / group_size`:

    ```
    symmetric:  w[n, k] = scales[n, g] * q[n, k]
    otherwise:  w[n, k] = scales[n, g] * (q[n, k] - zero_points[n, g])
    result[..., n] = sum_k input[..., k] * w[n, k] + bias[n]
    ```

    Per-channel quantization is `group_size = K`. Accumulation is in at
    least f32. `int8_activations` lets a backend round `input` to int8 (in
    blocks of 32 along K, scale max|x| / 127) before multiplying, as
    llama.cpp's Q8 activations do: set for the weights `xfc --quantize`
    quantized, whose numerics are xfc's to choose; an imported quantized
    layer keeps the exporter's exact product for many rows, and decode (a
    few rows) rounds unless `exact_activations` is set: an exporter that
    asked for the exact product (MatMulNBits with an accuracy_level below
    4, which onnxruntime computes in f32, f16 or bf16, never int8) gets it
    for every row count.

    ```mlir
    %y = xf.qlinear %x, %w, %s bits = 4 group_size = 128 symmetric
        : (tensor<1x?x4096xf16>, tensor<11008x2048xi8>, tensor<11008x32xf16>)
        -> tensor<1x?x11008xf16>
    %z = xf.qlinear %x, %w, %s zero_points %zp bits = 4 group_size = 32
        : (tensor<1x?x4096xf32>, tensor<11008x2048xi8>, tensor<11008x128xf32>,
           tensor<11008x128xf32>) -> tensor<1x?x11008xf32>
    ```
  }];
  let arguments = (ins XF_NonScalarFloatTensor:$input,
                       XF_PackedWeight:$weight, XF_QuantScales:$scales,
                       Optional<XF_ZeroPoints>:$zero_points,
                       Optional<XF_FloatTensor1D>:$bias,
                       ConfinedAttr<I64Attr, [IntIsOneOf<[4, 8]>]>:$bits,
                       ConfinedAttr<I64Attr, [IntPositive]>:$group_size,
                       UnitAttr:$symmetric, UnitAttr:$int8_activations,
                       UnitAttr:$exact_activations);
  let results = (outs XF_NonScalarFloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $scales (`zero_points` $zero_points^)?
    (`bias` $bias^)? `bits` `=` $bits `group_size` `=` $group_size
    (`symmetric` $symmetric^)? (`int8_activations` $int8_activations^)?
    (`exact_activations` $exact_activations^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

def XF_GeluOp : XF_Op<"gelu", [SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit, elementwise";
  let description = [{
    With `approximation = none`, `y = 0.5 * x * (1 + erf(x / sqrt(2)))`;
    with `approximation = tanh`,
    `y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`.

    ```mlir
    %y = xf.gelu %x approximation = tanh : tensor<1x?x3072xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input,
                       XF_GeluApproximationAttr:$approximation);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input `approximation` `=` `` $approximation attr-dict `:` type($result)
  }];
}

def XF_SiluOp : XF_Op<"silu", [SameOperandsAndResultType]> {
  let summary = "sigmoid linear unit (swish), elementwise";
  let description = [{
    `y = x * sigmoid(x) = x / (1 + exp(-x))`.

    ```mlir
    %y = xf.silu %x : tensor<1x?x11008xf16>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def XF_SwiGLUOp : XF_Op<"swiglu", [SameOperandsAndResultType]> {
  let summary = "SwiGLU gating: silu(gate) * up, elementwise";
  let description = [{
    `result = silu(gate) * up` elementwise, the gated feed-forward of Llama
    and its kin; `gate` and `up` are the outputs of the two projections and
    have one type.

    ```mlir
    %h = xf.swiglu %gate, %up : tensor<1x?x11008xf16>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$gate, XF_FloatTensor:$up);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Embedding
//===----------------------------------------------------------------------===//

def XF_EmbeddingOp : XF_Op<"embedding",
    [AllElementTypesMatch<["table", "result"]>]> {
  let summary = "looks up rows of an embedding table";
  let description = [{
    For `table` [V, D] and `ids` [...] of i32 or i64, the result is
    [..., D] with `result[..., :] = table[ids[...], :]`. Ids must lie in
    [0, V); the row an id outside that range gives is unspecified, but
    generated code never reads outside the table.

    ```mlir
    %e = xf.embedding %table, %ids
        : (tensor<32000x4096xf16>, tensor<1x?xi64>) -> tensor<1x?x4096xf16>
    ```
  }];
  let arguments = (ins XF_FloatTensor2D:$table, XF_IndexTensor:$ids);
  let results = (outs XF_NonScalarFloatTensor:$result);
  let assemblyFormat = [{
    $table `,` $ids attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_QEmbeddingOp : XF_Op<"qembedding"> {
  let summary = "looks up rows of a group-quantized embedding table";
  let description = [{
    `xf.embedding` whose [V, D] table is stored as `xf.qlinear` stores its
    [N, K] weight (rows = table rows, groups of `group_size` along D): the
    same packing of `table` ([V, ceil(D * bits / 8)] of i8), `scales`
    ([V, ceil(D / group_size)]), optional `zero_points` (integer or
    fractional) and `symmetric`, so one packed tensor can serve a tied
    LM head's `xf.qlinear` and this gather. With `q`, `s`, `z` the code,
    scale and zero point of element (ids[...], d):

    ```
    result[..., d] = s * q          (symmetric)
    result[..., d] = s * (q - z)    (otherwise)
    ```

    D is the result's last dimension. Ids must lie in [0, V); generated
    code clamps them into the table, as for `xf.embedding`.

    ```mlir
    %e = xf.qembedding %ids, %codes, %scales bits = 8 group_size = 128
        symmetric : (tensor<1x?xi64>, tensor<49152x576xi8>,
                     tensor<49152x5xf32>) -> tensor<1x?x576xf32>
    ```
  }];
  let arguments = (ins XF_IndexTensor:$ids, XF_PackedWeight:$table,
                       XF_QuantScales:$scales,
                       Optional<XF_ZeroPoints>:$zero_points,
                       ConfinedAttr<I64Attr, [IntIsOneOf<[4, 8]>]>:$bits,
                       ConfinedAttr<I64Attr, [IntPositive]>:$group_size,
                       UnitAttr:$symmetric);
  let results = (outs XF_NonScalarFloatTensor:$result);
  let assemblyFormat = [{
    $ids `,` $table `,` $scales (`zero_points` $zero_points^)? `bits` `=`
    $bits `group_size` `=` $group_size (`symmetric` $symmetric^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Run-time shape checks
//===----------------------------------------------------------------------===//

def XF_CheckDimOp : Op<XF_Dialect, "check_dim", [MemoryEffects<[MemWrite]>]> {
  let summary = "stops the program when a run-time size breaks a shape rule";
  let description = [{
    Lowerings emit this op for a shape rule between two sizes that are not
    known at compile time and that the symbolic shape analysis does not
    prove (dialects/ONNX/IR/SymbolicShapes.h): `size` must equal
    `expected`, or, with `broadcast`, be 1. Where it does not, the program
    prints one of
    ```
    error: <message> is <size>, which does not broadcast to <expected>
    error: <message> is <size> but must be <expected>
    ```
    (with and without `broadcast`) to stderr and exits with status 1, before
    any access that depends on the sizes. `message` names the op (its
    ONNX node and file) and the dimension. `xf-lower-shape-checks` turns the
    op into a call of the runtime's `xfrt_shape_error`; canonicalization
    removes a check that holds at compile time. Unlike every other `xf` op
    it has an effect (it may end the program), which keeps it in place.
    ```mlir
    xf.check_dim %mask_heads, %heads broadcast
        "model.onnx: node 'Add_3' (onnx.Add): dimension 1 of input 1"
    ```
  }];
  let arguments = (ins Index:$size, Index:$expected, UnitAttr:$broadcast,
                       StrAttr:$message);
  let assemblyFormat = [{
    $size `,` $expected (`broadcast` $broadcast^)? $message attr-dict
  }];
  let hasCanonicalizeMethod = 1;
}

#endif // XF_DIALECTS_XF_IR_XFOPS_TD
