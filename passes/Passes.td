//===- Passes.td - xfc graph passes ------------------------*- tablegen -*-===//

#ifndef XF_PASSES_PASSES_TD
#define XF_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

def CheckDimParamsPass : Pass<"xf-check-dim-params", "::mlir::func::FuncOp"> {
  let summary = "Checks on entry that equally named dimensions agree";
  let description = [{
    ONNX names a dynamic dimension with a dim_param, and one name means one
    size across the graph's inputs (`batch` of `input_ids` and of
    `position_ids`); the importer keeps the names as `onnx.dim_params`.
    This pass makes that a checked fact: at the function's entry it compares
    every named argument dimension with the first of its name
    (`xf.check_dim`, an error naming both inputs at run time), moves the
    names into the function attribute `xf.checked_dim_params` and drops
    `onnx.dim_params` and `onnx.name` (read for the messages; nothing after
    it needs either). The symbolic shape analysis then takes equally named
    dimensions to be one symbol, which proves broadcasts between inputs
    (GPT-2's token and position embeddings) with one check per call instead
    of one per op. It also checks that dimensions marked
    `xf.positive_dims` (the token ids of a language-model program) are at
    least 1, which the analysis relies on. A function without names is left
    as it is.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::xf::XF::XFDialect"];
}

def FuseONNXToXFPass : Pass<"xf-fuse-onnx-to-xf", "::mlir::ModuleOp"> {
  let summary = "Rewrites onnx subgraphs of transformer blocks into xf ops";
  let description = [{
    Applies the fusion pattern families greedily, each rewriting the onnx
    subgraphs that torch.onnx and optimum write for one kind of block into
    the xf op that states it whole. A pattern rewrites only what it proves
    equivalent from axes, shapes and the constants it reads; near misses
    stay onnx. Run it after `canonicalize` and `onnx-infer-shapes`, which
    fold the shape arithmetic and make the shapes the patterns check static.

    - attention: `MatMul(Softmax(scores, axis = -1), V)` -> `xf.attention`
      (torch's `Where(IsNaN(p), 0, p)` after the Softmax and a Cast to f32
      around it are looked through). The scores are walked down to Q K^T:
      Div/Mul by constants (the scale, also on Q or K, split between them),
      a softcap `c * Tanh(x / c)` (no mask may sit inside it, no scale
      outside it), additive masks and `Where(cond, scores, fill)`. K^T is K
      through a Transpose that swaps its last two dimensions (or any other
      Transpose, rewritten to give [B, H, S, D]). repeat_kv (Unsqueeze +
      Expand/Tile/Concat + Reshape, or a broadcast of one head) is stripped
      from K and V alike, so GQA and MQA keep their key/value heads. The
      masks are evaluated symbolically over the score indices
      (MaskAnalysis.h): when a key is visible exactly under the causal
      condition `j <= i + (Skv - Sq)`, optionally with a sliding window
      `(Skv - Sq + i) - j < W`, and visible keys get exactly 0 added, the
      masks become `causal` and `window`; otherwise they stay one additive
      `mask` operand, each term multiplied by the scale the graph applies
      after it (exact, but the KV cache cannot be paged then).
    - rms_norm: `w * x / Sqrt(ReduceMean(x^2, [-1], keepdims) + eps)`, with
      x^2 as Pow 2 or x * x and the division as Div, Reciprocal or 1 / ...;
      w must be [D].
    - layer_norm: LayerNormalization over the last axis whose Mean and
      InvStdDev are unused, and the decomposed form (x - mean) / Sqrt(var +
      eps) * w (+ b).
    - rope: `x * cos + rotate_half(x) * sin`, rotate_half being Concat(-x2,
      x1) of two Slices or a Split of the last axis, when cos and sin are
      [.., 1, S, D] tables whose rows repeat their first half (proved from a
      Concat(f, f) they are computed from, or from constant values);
      xf.rope gets their first halves as [S, D/2] or [B, S, D/2].
    - activations: GELU's erf form `0.5 * x * (1 + Erf(x / sqrt 2))` and tanh
      form, `x * Sigmoid(x)` -> xf.silu, `xf.silu(g) * up` -> xf.swiglu.
    - linear: MatMul by a constant [K, N] weight -> xf.linear with the
      weight transposed by an onnx.Transpose (or the constant itself when the
      graph transposes an [N, K] constant, as tied LM heads do); an Add of a
      [N] bias joins it; Gemm with alpha = 1 and a [N] C (beta = 1).

    Operators that state a block whole (Gelu, RMSNormalization, ONNX
    Runtime's SimplifiedLayerNormalization, Skip(Simplified)LayerNormalization,
    FastGelu) are always raised to their xf op, and so are the attention
    operators: ONNX's Attention and RotaryEmbedding and ONNX Runtime's
    GroupQueryAttention, MultiHeadAttention and RotaryEmbedding become
    xf.attention and xf.rope, with the KV cache as Concat(past, new) on axis
    2, `causal`/`window`/`softcap` where they say it and an additive mask
    otherwise. GroupQueryAttention is causal attention over Concat(past,
    new) where seqlens_k and total_sequence_length provably fill every row;
    otherwise its per-row semantics are written out (each row's keys after
    its own past, positions per token, a mask per row).
    local_window_size = W is `window = W`. ONNX Runtime's MatMulNBits is
    raised to xf.qlinear on its codes repacked at compile time. An attention
    or MatMulNBits operator that cannot be raised is an error naming it and
    why.

    A mask's query or key length that the symbolic shape analysis cannot
    prove to be the scores' is checked at run time by an `xf.check_dim`
    before the attention whose `causal`/`window` relied on it.

    Each family can be turned off with its option. With `remarks`, every
    Softmax left unfused and every attention whose masks stay an operand
    gets a remark saying why.

    Known limits: masked rows whose every key is masked (padding queries)
    may differ: the original spreads the softmax over all keys, xf.attention
    over the causally visible ones.
  }];
  let options = [
    Option<"attention", "attention", "bool", "true", "fuse attention">,
    Option<"norms", "norms", "bool", "true", "fuse rms_norm and layer_norm">,
    Option<"rope", "rope", "bool", "true", "fuse rotary embeddings">,
    Option<"activations", "activations", "bool", "true",
           "fuse gelu, silu and swiglu">,
    Option<"linear", "linear", "bool", "true",
           "fuse MatMul by constant weights and Gemm into xf.linear">,
    Option<"remarks", "remarks", "bool", "false",
           "explain, as remarks, each attention left unfused and each mask "
           "kept as an operand">,
  ];
  let dependentDialects = ["::xf::ONNX::ONNXDialect", "::xf::XF::XFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def IdentifyModelRolesPass
    : Pass<"xf-identify-model-roles", "::mlir::ModuleOp"> {
  let summary = "Finds each input's and output's role by dataflow";
  let description = [{
    Names @main's inputs and outputs by their role in the language model,
    found from what they feed rather than from what the exporter called
    them: `input_ids` (gathers rows of the [vocab, hidden] embedding
    table), `logits` (the float [batch, sequence, vocab] output),
    `past_key_values.L.key/.value` and `present.L.key/.value` (a float
    rank-4 input an output returns grown by Concat on axis 2, or as the
    present_key/present_value of an attention operator reading it as
    past_key/past_value),
    `attention_mask` (an integer input that reaches mask logic),
    `position_ids` (an integer input that reaches float arithmetic or a
    position table) and `cache_position` (a 1-D integer input, rewritten to
    read `position_ids`). The exporter's names are kept as
    `xf.exported_name`. Fails, naming the input or output, on one without a
    role, on two candidates for one role, and on a name that contradicts
    the dataflow. The names are the contract of runtime/include/xf/ModelABI.h.
  }];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

def CheckModelSignaturePass
    : Pass<"xf-check-model-signature", "::mlir::ModuleOp"> {
  let summary = "Checks that @main is a language model a program can drive";
  let description = [{
    Run after `xf-identify-model-roles`, which names the inputs and outputs
    by their role. A program xfc emits feeds token ids and reads logits, so
    @main must take `input_ids` and optionally `attention_mask` and
    `position_ids` (int64 [batch, sequence]) and an optimum export's
    `past_key_values.*` (float [batch, heads, past, head_dim], static heads
    and head size), and return `logits` (float32 [batch, sequence, vocab],
    static vocab) first and then only `present.*`. Anything else is an error
    that lists the inputs and outputs the model has. The IR is not changed.
  }];
}

def BindAttentionMaskPass
    : Pass<"xf-bind-attention-mask", "::mlir::ModuleOp"> {
  let summary = "Makes @main's attention_mask input all ones";
  let description = [{
    A program xfc emits never pads inside a sequence: it runs each sequence
    alone, or several flattened side by side on the paged cache, so the
    `attention_mask` it would pass is always ones over the past and the new
    tokens. This pass makes that explicit: the input goes, and its uses
    read `ConstantOfShape([batch, past + sequence], 1)` instead (batch and
    sequence from `input_ids`, past from the third dimension of the first
    `past_key_values.*` input, 0 without one). Canonicalization then folds
    the padding arithmetic away, so that the fusion sees masks made of
    positions only (causal, sliding window) and the KV cache can be paged.
    Only for whole-model programs: `xf-run`, which runs a graph on the
    inputs it is given, does not run it. A function without such an input
    is left alone.
  }];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

def ONNXInferShapesPass : Pass<"onnx-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Refines onnx result types from their operands";
  let description = [{
    Re-runs result type inference on every onnx op in order and gives each
    result every dimension the inferred type knows (one that became known
    after constants were folded, say) while keeping the declared ones, then
    updates the function's result types to match what it returns. A refined
    operand that contradicts a declared result type is an error. Run it
    after `canonicalize` to turn shape computations into static shapes.
    A dimension the op's own inference leaves dynamic is also made static
    where the symbolic shape analysis (dialects/ONNX/IR/SymbolicShapes.h)
    proves it a constant: a broadcast of a `?` against 1 whose `?` is 1, a
    Reshape to sizes read back with Shape, Gather and Concat, an Expand to a
    shape built through Equal/Where as torch exports write it.
  }];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

def OutlineWeightsPass : Pass<"xf-outline-weights", "::mlir::ModuleOp"> {
  let summary = "Turns weight constants into arguments of @main";
  let description = [{
    Every `onnx.Constant` of @main whose value is a dense resource (a weight,
    as the importer makes them) becomes a new trailing argument of @main, in
    the order the constants appear. Each such argument carries `xf.weight`
    (the weight's name) and `xf.value` (the resource itself, so that the
    compiler can write the weights file). The generated code then reads
    weights through pointers the runtime passes in, from the memory-mapped
    weights file, instead of holding them in the executable.

    ```mlir
    func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x256xf32> {
      %w = onnx.Constant {value = dense_resource<wte> : tensor<256x64xf32>} : tensor<256x64xf32>
    ...
    // becomes
    func.func @main(%ids: tensor<?x?xi64>,
                    %w: tensor<256x64xf32> {xf.weight = "wte", xf.value = dense_resource<wte> : tensor<256x64xf32>})
    ```
  }];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

def InsertSpeculativeDecodePass
    : Pass<"xf-insert-speculative-decode", "::mlir::ModuleOp"> {
  let summary = "Prepares a paged model for speculative decoding; builds a "
                "layers draft";
  let description = [{
    Speculative decoding verifies k drafted tokens of one sequence in one
    call of the paged step: k + 1 new positions over the paged cache, with
    the causal mask among them that `xf.paged_attention` applies, and one
    logits row per position (`logits_rows`). This pass checks that @main is
    such a step (it takes `slot_mapping` and `logits_rows`: the paged KV
    cache and logits row selection ran) and fails, saying why, otherwise.
    The draft-verify-accept loop and the cache rollback are the runtime's
    `xf::SpeculativeDecoder` (runtime/include/xf/Speculative.h), which the
    program calls between steps.

    With `draft-layers=N` it also makes the draft from the target itself
    (LayerSkip-style early exit): `@main_draft`, a copy of @main whose
    final norm (and the row gather before it) reads the residual stream
    after layer N instead of after the last layer, so the layers above N,
    and their KV-cache writes, fold away. It takes @main's arguments (the
    same weights, the same pools: its layers below N write the keys and
    values the verify step rewrites with the same values) and returns the
    same logits. The residual stream is the chain of adds from the final
    norm's input down to the embedding, each add's residual operand being
    the one the other is computed from; a layer's end is the last value of
    that chain that N `xf.kv_cache_write` ops feed. The module records
    `xf.draft_layers = N`. Fails when N is not between 1 and the layer
    count - 1, or the stream cannot be traced (a parallel attention and MLP
    block, for one).

    ```mlir
    %r = onnx.Gather %h_last, %logits_rows {axis = 1 : i64} : ...
    %n = xf.rms_norm %r, %w ...
    // @main_draft, with draft-layers=N:
    %r = onnx.Gather %h_after_layer_N, %logits_rows {axis = 1 : i64} : ...
    %n = xf.rms_norm %r, %w ...
    ```
  }];
  let options = [
    Option<"draftLayers", "draft-layers", "int64_t", /*default=*/"0",
           "build @main_draft from the first N layers (0: no draft function)">,
  ];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

def InsertKVCachePass : Pass<"xf-insert-kv-cache", "::mlir::ModuleOp"> {
  let summary = "Makes every xf.attention read and write a paged KV pool";
  let description = [{
    Turns @main into one step of generation over a paged KV cache: each
    `xf.attention` becomes an `xf.kv_cache_write` of its new keys and
    values into that layer's pools followed by an `xf.paged_attention`
    that reads the whole context through block tables. A model exported
    with `past_key_values.*` inputs and `present.*` outputs (optimum) loses
    both: the Concat that grew its cache is replaced, not kept.

    The step takes B sequences with S new tokens each, flattened (the
    runtime pads shorter ones on the left):

    - `input_ids` [1, B*S], sequence by sequence;
    - `position_ids` [1, B*S] (i64; added if the model had none): each
      token's position in its sequence, 0 for padding. Integer `onnx.Range`
      ops computed from the sequence or past length (exporters' positions)
      read it instead;
    - `slot_mapping` [1, B*S] (i32): each token's pool slot, -1 for padding;
    - `block_tables` [B, max_blocks] (i32), `context_lens` [B] (i32): as
      `xf.paged_attention` reads them, context_lens counting the new tokens;
    - `kv_cache.L.key`, `kv_cache.L.value` per layer L (in attention order):
      [num_blocks, kv_heads, block-size, head_dim] pools, written in place.

    prefill (a prompt, or several of one length) and decode (one token for
    each of B sequences) are the same function with S > 1 and S == 1;
    `xf.paged_attention` picks its loop form from S at run time. A fresh
    prompt (B == 1 and context_lens[0] == S: nothing cached before it)
    takes an `scf.if` branch that runs the original `xf.attention` on the
    new, contiguous keys and values (flash attention), after writing them
    to the pool like every other step. The
    attention mask input is dropped: it may only have fed a padding mask,
    which a paged sequence never needs. A function without `xf.attention`
    is left as it is. Fails, naming the op, on what it
    cannot prove: an attention mask made from anything else, keys that
    read the past other than through Concat(past, new) on axis 2, a past
    or mask input still read by something else, a non-unit Range over the
    sequence.

    With `strict=false` (xfc's pipeline) none of these is an error: the
    pass pages a copy of @main and, if that fails, leaves @main as it was
    exported (the program then recomputes the whole sequence each step) and
    emits a warning `the KV cache is not paged, because:` with each reason
    as a note at the op it names.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"16",
           "token slots per KV block">,
    Option<"strict", "strict", "bool", /*default=*/"true",
           "fail on an attention that cannot be paged; false: leave @main "
           "unpaged with a warning saying why">,
  ];
  let dependentDialects = ["::xf::ONNX::ONNXDialect", "::xf::XF::XFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def PromoteToF32Pass : Pass<"xf-promote-to-f32", "::mlir::ModuleOp"> {
  let summary = "Computes a 16-bit graph in f32, keeping 16-bit weights";
  let description = [{
    fp16 and bf16 exports compute in 16 bits because GPUs do; on the CPU
    16-bit arithmetic is no faster and less exact, and what 16 bits are
    worth is half the bytes per weight. This pass makes every f16/bf16
    value of the onnx graph f32 (types, Cast targets, typed attributes such
    as ConstantOfShape's value, small constants), so the graph computes its
    f32 upcast, while the weights keep their storage: a 2-D float constant
    of at least 1024 elements that only MatMul/Gemm B operands and axis-0
    Gathers read (directly or through a 2-D Transpose) stays as it is,
    followed by an `onnx.Cast` to f32 that fusion looks through
    (`xf.linear` takes the 16-bit weight, whose kernel widens it as it reads
    it). A Gather of such a table reads the 16-bit rows and widens only
    them.

    `weight-type` (xfc's `--weights`) stores those weights as f16, bf16 or
    f32 instead of as exported, converting them (rounding to nearest even
    when narrowing); every other value is f32 either way. Run it first,
    before folding, on the imported graph.

    ```mlir
    %w = onnx.Constant {value = dense_resource<w> : tensor<64x128xf16>} : tensor<64x128xf16>
    %y = onnx.MatMul %x, %w : (tensor<?x64xf16>, tensor<64x128xf16>) -> tensor<?x128xf16>
    // becomes
    %w = onnx.Constant {value = dense_resource<w> : tensor<64x128xf16>} : tensor<64x128xf16>
    %c = onnx.Cast %w {to = f32} : (tensor<64x128xf16>) -> tensor<64x128xf32>
    %y = onnx.MatMul %x, %c : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
    ```
  }];
  let options = [
    Option<"weightType", "weight-type", "std::string", /*default=*/"\"\"",
           "What linear and lookup weights are stored as: f16, bf16, f32, "
           "or empty for as exported">,
  ];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

def SelectLogitsRowsPass : Pass<"xf-select-logits-rows", "::mlir::ModuleOp"> {
  let summary = "Computes the logits only for the rows the runtime asks for";
  let description = [{
    A paged step (an `@main` with a `slot_mapping` input, as
    `xf-insert-kv-cache` makes it) computes logits for every token of its
    stream, while generation reads one row per sequence: the last token of
    each. This pass adds an input `logits_rows` [R] (i64, row indices into
    the stream [1, B*S]) and inserts `onnx.Gather(h, logits_rows, axis = 1)`
    before the position-wise tail that turns the last hidden states `h`
    into the `logits` output (final norm, LM head, soft-capping: ops that
    compute each row from the same row alone, other operands fixed), which
    then runs on R rows: `logits` becomes [1, R, vocab]. The runtime passes
    the last row of each sequence when sampling and every row when it needs
    them all (perplexity, `--logits`). Where the logits are not made by such
    a tail the function is left alone and every row is computed, as before.

    ```mlir
    %n = xf.rms_norm %h, %w epsilon = 1.0E-6 : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
    %logits = xf.linear %n, %head : (tensor<?x?x64xf32>, tensor<256x64xf32>) -> tensor<?x?x256xf32>
    // becomes
    %r = onnx.Gather %h, %logits_rows {axis = 1 : i64} : (tensor<?x?x64xf32>, tensor<?xi64>) -> tensor<?x?x64xf32>
    %n = xf.rms_norm %r, %w ...
    ```
  }];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

def QuantizeWeightsPass : Pass<"xf-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Rewrites xf.linear with a constant f32 weight into xf.qlinear";
  let description = [{
    Every `xf.linear` on f32 whose [N, K] weight is an `onnx.Constant` (a
    dense resource or inline dense elements), or an `onnx.Transpose` (perm
    [1, 0]) of a [K, N] one (how fusion writes a MatMul; the language-model
    head of a tied embedding reads the table itself), becomes an
    `xf.qlinear` on new dense-resource constants: the packed codes
    (`<weight>.q8` / `.q4`: int8, or int4 two per byte low nibble first),
    f32 group scales (`<weight>.scales`) and, when asymmetric, zero points
    (`<weight>.zero_points`). Groups are `group-size` elements along K; the
    last one is partial when K is not a multiple. Rounding is to nearest
    (ties to even); the scheme is runtime/include/xf/Kernels.h's
    xf::quantizeWeights (the runtime's own quantizer, so compiler and
    kernel agree on every bit). Constants left without uses (the f32
    weights) are erased, so `xf-outline-weights` writes only the packed
    weights; a weight also read elsewhere (an embedding table tied to the
    LM head) stays for those readers. Run it after `xf-fuse-onnx-to-xf` and
    before `xf-outline-weights`.

    `head-bits` gives the language-model head (an `xf.linear` whose result
    the function returns: the logits) its own width, as llama.cpp keeps
    the tied output matrix of its Q4 files in 8 bits; its group size is
    the default of its width unless `group-size` is given.

    `int8-weights` names weights (their dense resource keys, e.g.
    `model.layers.3.mlp.down_proj.weight`) that stay at 8 bits, with the
    8-bit default group size unless `group-size` is given. Each new
    `xf.qlinear` carries `xf.quantization = {weight = "<name>",
    rel_rms_error = <f64>}`: the relative RMS error of its dequantized
    weight, ||W - dequant(quant(W))||_F / ||W||_F, which xfc's quality
    report ranks layers by.

    Defaults: int8 in groups of 128 (scales cost 3% of the codes; 8 bits
    leave little to gain from smaller groups), symmetric; int4 in groups of
    32 (as llama.cpp's Q4_0/Q4_1: 4 bits need small groups), asymmetric with
    f32 zero points (`scheme=auto`): each group's scale and minimum are its
    min/max, refitted by least squares (xf::QuantScheme::FloatZeroPoint),
    which holds weights that came from a Q4_1 file exactly.

    Token embedding tables (an `onnx.Gather` on axis 0, or `xf.embedding`,
    of a constant f32 [V, D] table by ids that are a function argument)
    become `xf.qembedding` on the table packed as the LM head would pack it
    (the head's width, group size and scheme, groups along D), so a table
    tied to the head is stored once; `keep-fp32=embeddings` leaves them
    f32, `keep-fp32=lm_head` the head.

    `calibration` names an activation statistics file: the mean Gram matrix
    H = E[x x^T] of the inputs of each linear layer on a calibration text,
    as a program compiled with `xf-expose-linear-input-grams` writes it
    (`PROGRAM calibrate`; xfc --calibration makes one). Every weight it has
    an H for is quantized with GPTQ (Frantar et al., 2022) instead of
    rounding to nearest: the columns of each row are rounded in order, and
    each one's rounding error is spread over the columns not yet rounded
    through the inverse of H (damped by 1% of its mean diagonal), which
    minimizes the layer's output error on the calibration inputs rather
    than its weight error. Groups keep their layout: a group's grid is
    fitted, with the same scheme, to its weights as corrected when its first
    column is reached. The codes, scales and zero points are written as
    without it, so the kernels and the file format do not change. Those
    layers' `xf.quantization` also records `rel_output_error` =
    sqrt(tr(dW H dW^T) / tr(W H W^T)), the layer's relative RMS output
    error on the calibration inputs, and the same for rounding to nearest
    (`rel_output_error_rtn`). GPTQ is greedy, and rounding to nearest can
    do better (exactly so for weights already on the grid, as in a model
    converted from a Q4_1 file), so each output row (rows are independent
    in both) keeps the packing of lower output error, a_j^T H a_j for its
    error a_j; `gptq_rows` counts the rows that kept GPTQ's, `gptq` says
    whether any did.
  }];
  let options = [
    Option<"bits", "bits", "int64_t", /*default=*/"8",
           "bits per weight: 8 or 4">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"0",
           "weights per scale along K (0: 128 for int8, 32 for int4)">,
    Option<"headBits", "head-bits", "int64_t", /*default=*/"0",
           "bits for the language-model head (an xf.linear whose result the "
           "function returns): 8 or 4; 0: as `bits`">,
    Option<"scheme", "scheme", "std::string", /*default=*/"\"auto\"",
           "symmetric (signed codes, no zero points), asymmetric (unsigned "
           "codes and an f32 zero point per group: Q4_1's scale and min) or "
           "auto (symmetric for 8 bits, asymmetric for 4)">,
    ListOption<"keepFp32", "keep-fp32", "std::string",
               "what stays f32: embeddings (the token embedding tables), "
               "lm_head">,
    ListOption<"int8Weights", "int8-weights", "std::string",
               "weights (dense resource names) quantized to 8 bits whatever "
               "`bits` and `head-bits` say (xfc --min-quality's fallback)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "an activation statistics file (a program's `calibrate` output): "
           "GPTQ for the weights it has statistics for">,
  ];
  let dependentDialects = ["::xf::ONNX::ONNXDialect", "::xf::XF::XFDialect"];
}

def ExposeLinearInputGramsPass
    : Pass<"xf-expose-linear-input-grams", "::mlir::ModuleOp"> {
  let summary = "Returns the Gram matrix of every quantizable linear input";
  let description = [{
    For calibration: each distinct input X [..., K] of the `xf.linear` ops
    on f32 whose weight is a dense-resource constant (what
    `xf-quantize-weights` quantizes; directly or through the Transpose that
    fusion writes) gets one more result of its function, X^T X [K, K] over
    every row of X (the leading dimensions flattened), named `xf.gram.<i>`
    (`onnx.name`) and listing the weights that read X in `xf.gram_weights`
    (an array of their resource names). A program built from the module
    sums these over a calibration text (`PROGRAM calibrate`), which
    `xf-quantize-weights`' `calibration` option reads. Layers that read the
    same X (q/k/v, gate/up) share one matrix.
  }];
  let dependentDialects = ["::xf::ONNX::ONNXDialect", "::xf::XF::XFDialect"];
}

def PrepareModelFunctionPass
    : Pass<"xf-prepare-model-function", "::mlir::ModuleOp"> {
  let summary = "Makes @main the model function a program calls";
  let description = [{
    The step between the graph passes and the lowering (was code in xfc's
    and xf-run's main): @main keeps, of its argument attributes, only what
    the CPU pipeline reads (`onnx.name` and `onnx.dim_params`, which
    `xf-check-dim-params` turns into entry checks; a weight's `xf.weight`
    and `xf.value` go: the tool has written them to the weights file), loses
    its result attributes, gets `llvm.emit_c_interface` and is renamed
    `function` (`xf_model`: the C symbol `main` belongs to the program that
    calls the model). A layers draft, `@main_draft`
    (xf-insert-speculative-decode), becomes `xf_draft_model` the same way.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"xf_model\"",
           "the name @main gets (codegen/Target/LLVMEmission.h's "
           "kModelFunction)">,
  ];
}

#endif // XF_PASSES_PASSES_TD
