//===- ONNXOps.td - onnx operators -------------------------*- tablegen -*-===//
//
// One op per ONNX operator used by decoder-only transformer exports. Operand
// and attribute names are ONNX's own, so the importer maps them by name.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECTS_ONNX_IR_ONNXOPS_TD
#define XF_DIALECTS_ONNX_IR_ONNXOPS_TD

include "dialects/ONNX/IR/ONNXDialect.td"
include "dialects/ONNX/IR/ONNXInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class ONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<ONNX_ResultTypeInferenceOpInterface>])> {
  let assemblyFormat = [{
    operands attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise operators
//===----------------------------------------------------------------------===//

class ONNX_UnaryOp<string mnemonic, string onnxName, Type type,
                   list<Trait> traits = []>
    : ONNX_Op<mnemonic, traits> {
  let summary = "ONNX " # onnxName # ": elementwise";
  let description = [{
    Applies ONNX `}] # onnxName # [{` to each element; the result has the
    operand's shape and element type.

    ```mlir
    %y = onnx.}] # mnemonic # [{ %x : (tensor<2x?xf32>) -> tensor<2x?xf32>
    ```
  }];
  let arguments = (ins type:$X);
  let results = (outs type:$Y);
}

// Sqrt and Reciprocal fold on constants: exporters compute attention's
// 1 / sqrt(head_dim) from the shape at run time.
def ONNX_SqrtOp : ONNX_UnaryOp<"Sqrt", "Sqrt", ONNX_FloatTensor> {
  let hasFolder = 1;
}
def ONNX_ReciprocalOp : ONNX_UnaryOp<"Reciprocal", "Reciprocal", ONNX_FloatTensor> {
  let hasFolder = 1;
}
def ONNX_NegOp : ONNX_UnaryOp<"Neg", "Neg", ONNX_SignedNumericTensor>;
def ONNX_ExpOp : ONNX_UnaryOp<"Exp", "Exp", ONNX_FloatTensor>;
def ONNX_LogOp : ONNX_UnaryOp<"Log", "Log", ONNX_FloatTensor>;
def ONNX_ErfOp : ONNX_UnaryOp<"Erf", "Erf", ONNX_NumericTensor>;
def ONNX_TanhOp : ONNX_UnaryOp<"Tanh", "Tanh", ONNX_FloatTensor>;
def ONNX_SigmoidOp : ONNX_UnaryOp<"Sigmoid", "Sigmoid", ONNX_FloatTensor>;
def ONNX_ReluOp : ONNX_UnaryOp<"Relu", "Relu", ONNX_SignedNumericTensor>;
def ONNX_AbsOp : ONNX_UnaryOp<"Abs", "Abs", ONNX_NumericTensor>;
def ONNX_SinOp : ONNX_UnaryOp<"Sin", "Sin", ONNX_FloatTensor>;
def ONNX_CosOp : ONNX_UnaryOp<"Cos", "Cos", ONNX_FloatTensor>;
def ONNX_NotOp : ONNX_UnaryOp<"Not", "Not", ONNX_BoolTensor>;

def ONNX_IsNaNOp : ONNX_Op<"IsNaN"> {
  let summary = "ONNX IsNaN: whether each element is a NaN";
  let description = [{
    torch writes `Where(IsNaN(p), 0, p)` after the softmax of
    scaled-dot-product attention, so that a row with no visible key gives 0
    instead of NaN.

    ```mlir
    %n = onnx.IsNaN %x : (tensor<2x?xf32>) -> tensor<2x?xi1>
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$X);
  let results = (outs ONNX_BoolTensor:$Y);
}

def ONNX_GeluOp : ONNX_Op<"Gelu"> {
  let summary = "ONNX Gelu (opset 20): Gaussian error linear unit";
  let description = [{
    `approximate` is `none` (`0.5 * x * (1 + erf(x / sqrt(2)))`) or `tanh`
    (`0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`).

    ```mlir
    %y = onnx.Gelu %x {approximate = "tanh"} : (tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$X,
                       DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let results = (outs ONNX_FloatTensor:$Y);
}

def ONNX_IdentityOp : ONNX_Op<"Identity"> {
  let summary = "ONNX Identity: the input, unchanged";
  let description = [{
    ```mlir
    %y = onnx.Identity %x : (tensor<4xi64>) -> tensor<4xi64>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$input);
  let results = (outs ONNX_AnyTensor:$output);
  let hasFolder = 1;
}

class ONNX_BinaryOp<string mnemonic, string onnxName, Type type,
                    Type resultType, list<Trait> traits = []>
    : ONNX_Op<mnemonic, traits> {
  let summary = "ONNX " # onnxName # ": elementwise with broadcasting";
  let description = [{
    Applies ONNX `}] # onnxName # [{` to each pair of elements after
    multidirectional (numpy) broadcasting of `A` and `B`. Both operands
    have the same element type.

    ```mlir
    %c = onnx.}] # mnemonic # [{ %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins type:$A, type:$B);
  let results = (outs resultType:$C);
}

class ONNX_ArithmeticOp<string name>
    : ONNX_BinaryOp<name, name, ONNX_NumericTensor, ONNX_NumericTensor> {
  let hasFolder = 1;
}
def ONNX_AddOp : ONNX_ArithmeticOp<"Add">;
def ONNX_SubOp : ONNX_ArithmeticOp<"Sub">;
def ONNX_MulOp : ONNX_ArithmeticOp<"Mul">;
def ONNX_DivOp : ONNX_ArithmeticOp<"Div">;

def ONNX_AndOp : ONNX_BinaryOp<"And", "And", ONNX_BoolTensor, ONNX_BoolTensor>;
def ONNX_OrOp : ONNX_BinaryOp<"Or", "Or", ONNX_BoolTensor, ONNX_BoolTensor>;

class ONNX_CompareOp<string name>
    : ONNX_BinaryOp<name, name, ONNX_AnyTensor, ONNX_BoolTensor>;
def ONNX_EqualOp : ONNX_CompareOp<"Equal">;
def ONNX_LessOp : ONNX_CompareOp<"Less">;
def ONNX_LessOrEqualOp : ONNX_CompareOp<"LessOrEqual">;
def ONNX_GreaterOp : ONNX_CompareOp<"Greater">;
def ONNX_GreaterOrEqualOp : ONNX_CompareOp<"GreaterOrEqual">;

def ONNX_PowOp : ONNX_Op<"Pow"> {
  let summary = "ONNX Pow: X raised to Y, elementwise with broadcasting";
  let description = [{
    The exponent may have another numeric element type than the base; the
    result has the base's element type.

    ```mlir
    %z = onnx.Pow %x, %y : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins ONNX_NumericTensor:$X, ONNX_NumericTensor:$Y);
  let results = (outs ONNX_NumericTensor:$Z);
}

class ONNX_VariadicOp<string name> : ONNX_Op<name> {
  let summary = "ONNX " # name # ": elementwise over any number of inputs";
  let description = [{
    Elementwise `}] # name # [{` of one or more inputs of one element type,
    with multidirectional broadcasting.

    ```mlir
    %r = onnx.}] # name # [{ %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Variadic<ONNX_NumericTensor>:$data_0);
  let results = (outs ONNX_NumericTensor:$result);
}
def ONNX_MaxOp : ONNX_VariadicOp<"Max">;
def ONNX_MinOp : ONNX_VariadicOp<"Min">;

def ONNX_WhereOp : ONNX_Op<"Where"> {
  let summary = "ONNX Where: X where condition holds, else Y";
  let description = [{
    ```mlir
    %r = onnx.Where %c, %x, %y : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
    ```
  }];
  let arguments = (ins ONNX_BoolTensor:$condition, ONNX_AnyTensor:$X,
                       ONNX_AnyTensor:$Y);
  let results = (outs ONNX_AnyTensor:$output);
}

def ONNX_CastOp : ONNX_Op<"Cast"> {
  let summary = "ONNX Cast: converts elements to another type";
  let description = [{
    `to` is the target element type (ONNX's TensorProto data type, given
    here as an MLIR type). `saturate` applies to float8 targets.

    ```mlir
    %y = onnx.Cast %x {to = f32} : (tensor<2x3xi64>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$input, TypeAttr:$to,
                       DefaultValuedAttr<I64Attr, "1">:$saturate,
                       DefaultValuedStrAttr<StrAttr, "up">:$round_mode);
  let results = (outs ONNX_AnyTensor:$output);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra and normalization
//===----------------------------------------------------------------------===//

def ONNX_MatMulOp : ONNX_Op<"MatMul"> {
  let summary = "ONNX MatMul: numpy matmul";
  let description = [{
    Matrix product with numpy semantics: 1-D operands are promoted to
    matrices and the batch dimensions broadcast.

    ```mlir
    %c = onnx.MatMul %a, %b : (tensor<?x?x64xf32>, tensor<64x256xf32>) -> tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins ONNX_NumericTensor:$A, ONNX_NumericTensor:$B);
  let results = (outs ONNX_NumericTensor:$Y);
}

def ONNX_GemmOp : ONNX_Op<"Gemm"> {
  let summary = "ONNX Gemm: alpha * A' B' + beta * C";
  let description = [{
    `A'` is `A` transposed when `transA` is 1, likewise `B'`; `C` is
    optional and broadcast to the [M, N] result.

    ```mlir
    %y = onnx.Gemm %a, %b, %c {transB = 1 : i64} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    ```
  }];
  let arguments = (ins ONNX_NumericTensor:$A, ONNX_NumericTensor:$B,
                       Optional<ONNX_NumericTensor>:$C,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta,
                       DefaultValuedAttr<I64Attr, "0">:$transA,
                       DefaultValuedAttr<I64Attr, "0">:$transB);
  let results = (outs ONNX_NumericTensor:$Y);
}

def ONNX_SoftmaxOp : ONNX_Op<"Softmax"> {
  let summary = "ONNX Softmax (opset 13 semantics) along one axis";
  let description = [{
    ```mlir
    %p = onnx.Softmax %s {axis = -1 : i64} : (tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs ONNX_FloatTensor:$output);
}

def ONNX_LayerNormalizationOp : ONNX_Op<"LayerNormalization"> {
  let summary = "ONNX LayerNormalization over the dimensions from `axis` on";
  let description = [{
    Normalizes `X` over its dimensions `axis..rank-1`, then scales by
    `Scale` and adds the optional bias `B`. `Mean` and `InvStdDev` always
    exist here (ONNX makes them optional outputs); they have `X`'s shape
    with the normalized dimensions set to 1 and the `stash_type` element
    type (1 = f32).

    ```mlir
    %y, %mean, %inv = onnx.LayerNormalization %x, %scale, %bias {epsilon = 1.0e-05 : f32}
        : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf32>)
        -> (tensor<2x?x64xf32>, tensor<2x?x1xf32>, tensor<2x?x1xf32>)
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$X, ONNX_FloatTensor:$Scale,
                       Optional<ONNX_FloatTensor>:$B,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs ONNX_FloatTensor:$Y, ONNX_FloatTensor:$Mean,
                      ONNX_FloatTensor:$InvStdDev);
}

def ONNX_RMSNormalizationOp : ONNX_Op<"RMSNormalization"> {
  let summary = "ONNX RMSNormalization (opset 23)";
  let description = [{
    `Y = X / sqrt(mean(X^2 over axis..rank-1) + epsilon) * scale`, the
    statistics computed in `stash_type` (1 = f32).

    ```mlir
    %y = onnx.RMSNormalization %x, %scale {epsilon = 1.0e-06 : f32}
        : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$X, ONNX_FloatTensor:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs ONNX_FloatTensor:$Y);
}

def ONNX_SimplifiedLayerNormalizationOp
    : ONNX_Op<"SimplifiedLayerNormalization"> {
  let summary = "ONNX Runtime SimplifiedLayerNormalization (RMSNorm)";
  let description = [{
    An ONNX Runtime contrib operator registered in the default ONNX domain
    (what the ONNX Runtime GenAI builder writes for RMSNorm):
    `Y = X / sqrt(mean(X^2 over axis..rank-1) + epsilon) * scale`.
    `inv_std_var` has `X`'s shape with the normalized dimensions set to 1,
    of the `stash_type` element type (1 = f32).

    ```mlir
    %y, %inv = onnx.SimplifiedLayerNormalization %x, %scale {epsilon = 1.0e-05 : f32}
        : (tensor<1x?x64xf32>, tensor<64xf32>) -> (tensor<1x?x64xf32>, tensor<1x?x1xf32>)
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$X, ONNX_FloatTensor:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs ONNX_FloatTensor:$Y, ONNX_FloatTensor:$inv_std_var);
}

def ONNX_SkipSimplifiedLayerNormalizationOp
    : ONNX_Op<"com.microsoft.SkipSimplifiedLayerNormalization"> {
  let summary = "ONNX Runtime SkipSimplifiedLayerNormalization: add, RMSNorm";
  let description = [{
    com.microsoft contrib operator: `s = input + skip (+ bias)`, then
    `output = s / sqrt(mean(s^2 over the last axis) + epsilon) * gamma`.
    `input_skip_bias_sum` is `s` (the residual stream the next layer adds
    to); `mean` and `inv_std_var` are [..., 1] f32 statistics.

    ```mlir
    %y, %m, %inv, %sum = onnx.com.microsoft.SkipSimplifiedLayerNormalization %x, %skip, %gamma
        {epsilon = 1.0e-05 : f32}
        : (tensor<1x?x64xf32>, tensor<1x?x64xf32>, tensor<64xf32>)
        -> (tensor<1x?x64xf32>, tensor<1x?x1xf32>, tensor<1x?x1xf32>, tensor<1x?x64xf32>)
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$input, ONNX_FloatTensor:$skip,
                       ONNX_FloatTensor:$gamma,
                       Optional<ONNX_FloatTensor>:$bias,
                       DefaultValuedAttr<F32Attr, "1.0e-12">:$epsilon);
  let results = (outs ONNX_FloatTensor:$output, ONNX_FloatTensor:$mean,
                      ONNX_FloatTensor:$inv_std_var,
                      ONNX_FloatTensor:$input_skip_bias_sum);
}

def ONNX_MatMulNBitsOp
    : ONNX_Op<"com.microsoft.MatMulNBits", [AttrSizedOperandSegments]> {
  let summary = "ONNX Runtime MatMulNBits: A times block-quantized weights";
  let description = [{
    com.microsoft contrib operator (what onnxruntime's quantizer and the
    GenAI builder write for int4/int8 weights): `Y = A x W^T (+ bias)` with
    `W` [N, K] dequantized block by block along K:
    `W[n, k] = (q[n, k] - zero_point[n, k / block_size]) * scale[n, ...]`.
    `B` is uint8 [N, ceil(K / block_size), block_size * bits / 8], codes
    packed low nibble first for 4 bits; `scales` [N * blocks] of A's type;
    `zero_points` uint8 packed as B is (or A's float type), default
    2^(bits - 1); `g_idx` (act-order groups) and `accuracy_level` (how
    narrow A may be made inside the product) as ONNX Runtime defines them.
    xf-fuse-onnx-to-xf raises it to xf.qlinear (passes/Fusion/
    QuantizedOpRaising.cpp).

    ```mlir
    %y = onnx.com.microsoft.MatMulNBits %a, %b, %scales
        {K = 64 : i64, N = 96 : i64, bits = 4 : i64, block_size = 32 : i64,
         operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}
        : (tensor<1x?x64xf32>, tensor<96x2x16xui8>, tensor<192xf32>) -> tensor<1x?x96xf32>
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$A, ONNX_AnyTensor:$B,
                       ONNX_FloatTensor:$scales,
                       Optional<ONNX_AnyTensor>:$zero_points,
                       Optional<ONNX_AnyTensor>:$g_idx,
                       Optional<ONNX_FloatTensor>:$bias,
                       I64Attr:$K, I64Attr:$N,
                       DefaultValuedAttr<I64Attr, "4">:$bits,
                       I64Attr:$block_size,
                       DefaultValuedAttr<I64Attr, "0">:$accuracy_level);
  let results = (outs ONNX_FloatTensor:$Y);
}

def ONNX_SkipLayerNormalizationOp
    : ONNX_Op<"com.microsoft.SkipLayerNormalization",
              [AttrSizedOperandSegments]> {
  let summary = "ONNX Runtime SkipLayerNormalization: add, LayerNorm";
  let description = [{
    com.microsoft contrib operator: `s = input + skip (+ bias)`, then
    LayerNorm of `s` over the last axis with `gamma` and the optional
    `beta`. `input_skip_bias_sum` is `s`; `mean` and `inv_std_var` are
    [..., 1] f32 statistics.

    ```mlir
    %y, %m, %inv, %sum = onnx.com.microsoft.SkipLayerNormalization %x, %skip, %gamma, %beta
        {epsilon = 1.0e-05 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}
        : (tensor<1x?x64xf32>, tensor<1x?x64xf32>, tensor<64xf32>, tensor<64xf32>)
        -> (tensor<1x?x64xf32>, tensor<1x?x1xf32>, tensor<1x?x1xf32>, tensor<1x?x64xf32>)
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$input, ONNX_FloatTensor:$skip,
                       ONNX_FloatTensor:$gamma,
                       Optional<ONNX_FloatTensor>:$beta,
                       Optional<ONNX_FloatTensor>:$bias,
                       DefaultValuedAttr<F32Attr, "1.0e-12">:$epsilon);
  let results = (outs ONNX_FloatTensor:$output, ONNX_FloatTensor:$mean,
                      ONNX_FloatTensor:$inv_std_var,
                      ONNX_FloatTensor:$input_skip_bias_sum);
}

def ONNX_FastGeluOp : ONNX_Op<"com.microsoft.FastGelu"> {
  let summary = "ONNX Runtime FastGelu: tanh-approximated GELU of x + bias";
  let description = [{
    com.microsoft contrib operator: `y = gelu_tanh(X + bias)` with the
    optional `bias` [D].

    ```mlir
    %y = onnx.com.microsoft.FastGelu %x : (tensor<1x?x256xf32>) -> tensor<1x?x256xf32>
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$X, Optional<ONNX_FloatTensor>:$bias);
  let results = (outs ONNX_FloatTensor:$Y);
}

//===----------------------------------------------------------------------===//
// Attention and rotary embeddings
//===----------------------------------------------------------------------===//

def ONNX_AttentionOp : ONNX_Op<"Attention", [AttrSizedOperandSegments]> {
  let summary = "ONNX Attention (opset 23, 24): scaled dot-product attention";
  let description = [{
    ONNX's `Attention` as onnx/reference/ops/op_attention.py computes it.
    `Q`, `K`, `V` are all 3-D [B, S, H * D] (then `q_num_heads` and
    `kv_num_heads` are required and split the last dimension into heads)
    or all 4-D [B, H, S, D]. With `past_key`/`past_value` [B, Hkv, P, D],
    `present_key` = Concat(past_key, K) on the sequence axis (K itself
    without a past), likewise `present_value`; T = P + Skv keys are
    attended. Query head `h` reads key/value head `h / (Hq / Hkv)`.

    `scores = scale * Q K^T` (`scale` defaults to 1/sqrt(D)); with
    `softcap > 0`, `scores = softcap * tanh(scores / softcap)`; then the
    bias is added: `attn_mask` (bool: false hides the key; float: added;
    shorter than T: padded with hidden keys), `is_causal` (key `j` visible
    to query `i` iff `j <= i + P`, aligned to the top left), and
    `nonpad_kv_seqlen` [B] (opset 24: key `j` of batch `b` visible iff
    `j < nonpad_kv_seqlen[b]`). `Y = softmax(scores) V`, computed in
    `softmax_precision` if given, back to [B, S, Hq * Dv] for 3-D inputs.
    `qk_matmul_output` [B, Hq, S, T] is the softcapped scores
    (`qk_matmul_output_mode` 0, 1), the scores with the bias (2) or the
    probabilities (3).

    ```mlir
    %y, %pk, %pv, %qk = onnx.Attention %q, %k, %v
        {is_causal = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>}
        : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>)
        -> (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>,
            tensor<1x8x?x?xf32>)
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$Q, ONNX_FloatTensor:$K,
                       ONNX_FloatTensor:$V,
                       Optional<ONNX_AnyTensor>:$attn_mask,
                       Optional<ONNX_FloatTensor>:$past_key,
                       Optional<ONNX_FloatTensor>:$past_value,
                       Optional<ONNX_I64Tensor>:$nonpad_kv_seqlen,
                       DefaultValuedAttr<I64Attr, "0">:$is_causal,
                       OptionalAttr<I64Attr>:$kv_num_heads,
                       OptionalAttr<I64Attr>:$q_num_heads,
                       DefaultValuedAttr<I64Attr, "0">:$qk_matmul_output_mode,
                       OptionalAttr<F32Attr>:$scale,
                       DefaultValuedAttr<F32Attr, "0.0">:$softcap,
                       OptionalAttr<I64Attr>:$softmax_precision);
  let results = (outs ONNX_FloatTensor:$Y, ONNX_FloatTensor:$present_key,
                      ONNX_FloatTensor:$present_value,
                      ONNX_FloatTensor:$qk_matmul_output);
}

def ONNX_RotaryEmbeddingOp : ONNX_Op<"RotaryEmbedding"> {
  let summary = "ONNX RotaryEmbedding (opset 23)";
  let description = [{
    Rotates pairs of elements of each head of `X` ([B, H, S, D], or
    [B, S, H * D] with `num_heads`) by per-token angles: the first
    `rotary_embedding_dim` elements (0: all of D) as pairs `(i, i + R/2)`,
    or `(2i, 2i + 1)` with `interleaved`, by `cos_cache[position_ids[b,
    s]]` and `sin_cache[...]` ([max_position, R/2] tables), or by
    `cos_cache[b, s]` ([B, S, R/2]) without `position_ids`:
    `(x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)`. The other elements
    pass through; `Y` has `X`'s shape.

    ```mlir
    %y = onnx.RotaryEmbedding %x, %cos, %sin, %pos
        : (tensor<2x4x3x8xf32>, tensor<50x4xf32>, tensor<50x4xf32>, tensor<2x3xi64>)
        -> tensor<2x4x3x8xf32>
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$X, ONNX_FloatTensor:$cos_cache,
                       ONNX_FloatTensor:$sin_cache,
                       Optional<ONNX_I64Tensor>:$position_ids,
                       DefaultValuedAttr<I64Attr, "0">:$interleaved,
                       OptionalAttr<I64Attr>:$num_heads,
                       DefaultValuedAttr<I64Attr, "0">:$rotary_embedding_dim);
  let results = (outs ONNX_FloatTensor:$Y);
}

def ONNX_ContribRotaryEmbeddingOp
    : ONNX_Op<"com.microsoft.RotaryEmbedding"> {
  let summary = "ONNX Runtime RotaryEmbedding";
  let description = [{
    com.microsoft contrib operator, as ONNX Runtime's CPU kernel computes
    it: `input` is [B, S, hidden] (heads of D = hidden / `num_heads`, or of
    D = 2 * cos_cache's width without `num_heads`) or [B, H, S, D]; token
    `s` of batch `b` is at position `position_ids[b, s]`, or
    `position_ids[0] + s` for a one-element `position_ids`. Its first
    R = `rotary_embedding_dim` (0: 2 * cos_cache's width) elements are
    rotated as onnx.RotaryEmbedding does, with rows of `cos_cache` and
    `sin_cache` [max_position, R/2]; `interleaved` pairs `(2i, 2i + 1)`.
    `scale` and `is_packed_batching` do not change the result (ONNX
    Runtime reads them only to check the cache's length).

    ```mlir
    %y = onnx.com.microsoft.RotaryEmbedding %x, %pos, %cos, %sin {num_heads = 4 : i64}
        : (tensor<1x?x64xf32>, tensor<1x?xi64>, tensor<2048x8xf32>, tensor<2048x8xf32>)
        -> tensor<1x?x64xf32>
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$input, ONNX_I64Tensor:$position_ids,
                       ONNX_FloatTensor:$cos_cache,
                       ONNX_FloatTensor:$sin_cache,
                       DefaultValuedAttr<I64Attr, "0">:$interleaved,
                       DefaultValuedAttr<I64Attr, "0">:$num_heads,
                       DefaultValuedAttr<I64Attr, "0">:$rotary_embedding_dim,
                       DefaultValuedAttr<F32Attr, "1.0">:$scale,
                       DefaultValuedAttr<I64Attr, "0">:$is_packed_batching);
  let results = (outs ONNX_FloatTensor:$output);
}

def ONNX_MultiHeadAttentionOp
    : ONNX_Op<"com.microsoft.MultiHeadAttention", [AttrSizedOperandSegments]> {
  let summary = "ONNX Runtime MultiHeadAttention (self/cross attention)";
  let description = [{
    com.microsoft contrib operator in the forms exporters write: `query`
    [B, S, H * D], `key` [B, L, H * D] and `value` [B, L, H * Dv], the
    optional packed `bias` [H * (2 D + Dv)] added to them first (Q | K | V
    parts); `past_key`/`past_value` [B, H, P, D] are prepended to the new
    keys and values, which are `present_key`/`present_value` [B, H, P + L,
    D]. `scores = scale * Q K^T` (1/sqrt(D) by default) plus
    `mask_filter_value` where `key_padding_mask` ([B, P + L] or [B, S, P +
    L] int32) is 0, plus `attention_bias` ([B or 1, H or 1, S, P + L]);
    with `unidirectional`, key `j` is visible to query `i` iff `j <= i + P`.
    `output = softmax(scores) V` as [B, S, H * Dv].

    ```mlir
    %o, %pk, %pv = onnx.com.microsoft.MultiHeadAttention %q, %k, %v, %pastk, %pastv
        {num_heads = 4 : i64, unidirectional = 1 : i64,
         operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 1>}
        : (tensor<2x3x32xf32>, tensor<2x3x32xf32>, tensor<2x3x32xf32>,
           tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>)
        -> (tensor<2x3x32xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>)
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$query,
                       Optional<ONNX_FloatTensor>:$key,
                       Optional<ONNX_FloatTensor>:$value,
                       Optional<ONNX_FloatTensor>:$bias,
                       Optional<TensorOf<[I32]>>:$key_padding_mask,
                       Optional<ONNX_FloatTensor>:$attention_bias,
                       Optional<ONNX_FloatTensor>:$past_key,
                       Optional<ONNX_FloatTensor>:$past_value,
                       I64Attr:$num_heads,
                       OptionalAttr<F32Attr>:$scale,
                       DefaultValuedAttr<I64Attr, "0">:$unidirectional,
                       DefaultValuedAttr<F32Attr, "-10000.0">:$mask_filter_value);
  let results = (outs ONNX_FloatTensor:$output, ONNX_FloatTensor:$present_key,
                      ONNX_FloatTensor:$present_value);
}

def ONNX_GroupQueryAttentionOp
    : ONNX_Op<"com.microsoft.GroupQueryAttention", [AttrSizedOperandSegments]> {
  let summary = "ONNX Runtime GroupQueryAttention (causal, with a KV cache)";
  let description = [{
    com.microsoft contrib operator, as ONNX Runtime's CPU kernel computes
    it. `query` [B, S, Hq * D] with `key` and `value` [B, S, Hkv * D], or
    packed Q | K | V [B, S, (Hq + 2 Hkv) * D] without them; `past_key`,
    `past_value` [B, Hkv, P, D] (BNSH; P = 0 without them). With
    `T = total_sequence_length` (a scalar) and, per batch row `b`,
    `L_b = seqlens_k[b] + 1` (int32):

    - a first prompt is a call with `S == T`; there `past_b = 0`, else
      `past_b = L_b - S`;
    - `present_key` [B, Hkv, max(T, P), D] holds row b's first `past_b`
      past keys, then its S new keys (rotated), then zeros; likewise
      `present_value`;
    - with `do_rotary`, token `s` of row `b` is at position `past_b + s`:
      Q and the new K are rotated by rows of `cos_cache`/`sin_cache`
      [max_position, R/2] (the first R elements of each head; pairs
      `(i, i + R/2)`, or `(2i, 2i + 1)` with `rotary_interleaved`);
    - query `s` of row `b` sees key `j` of that row's present iff
      `j < L_b`, `j <= past_b + s` and, with `local_window_size = W > 0`,
      `past_b + s - j < W` (W keys, itself included);
    - `scores = scale * q.k` (1/sqrt(D) by default), then
      `softcap * tanh(scores / softcap)` if `softcap > 0`, plus
      `attention_bias` ([B or 1, Hq or 1, S, T]) if given; query head `h`
      reads key/value head `h / (Hq / Hkv)`; a query that sees no key
      gives zeros. `output` is [B, S, Hq * D].

    When every row is full (`seqlens_k[b] == T - 1` and `T == P + S`),
    that is causal attention over Concat(past, new) at positions P + s.

    ```mlir
    %o, %pk, %pv = onnx.com.microsoft.GroupQueryAttention %qkv, %pastk, %pastv, %seqlens, %total, %cos, %sin
        {num_heads = 4 : i64, kv_num_heads = 2 : i64, do_rotary = 1 : i64,
         operandSegmentSizes = array<i32: 1, 0, 0, 1, 1, 1, 1, 1, 1, 0>}
        : (tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>,
           tensor<1xi32>, tensor<i32>, tensor<2048x8xf32>, tensor<2048x8xf32>)
        -> (tensor<1x?x64xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
    ```
  }];
  let arguments = (ins ONNX_FloatTensor:$query,
                       Optional<ONNX_FloatTensor>:$key,
                       Optional<ONNX_FloatTensor>:$value,
                       Optional<ONNX_FloatTensor>:$past_key,
                       Optional<ONNX_FloatTensor>:$past_value,
                       TensorOf<[I32]>:$seqlens_k,
                       TensorOf<[I32]>:$total_sequence_length,
                       Optional<ONNX_FloatTensor>:$cos_cache,
                       Optional<ONNX_FloatTensor>:$sin_cache,
                       Optional<ONNX_FloatTensor>:$attention_bias,
                       I64Attr:$num_heads, I64Attr:$kv_num_heads,
                       OptionalAttr<F32Attr>:$scale,
                       DefaultValuedAttr<F32Attr, "0.0">:$softcap,
                       DefaultValuedAttr<I64Attr, "-1">:$local_window_size,
                       DefaultValuedAttr<I64Attr, "0">:$do_rotary,
                       DefaultValuedAttr<I64Attr, "0">:$rotary_interleaved);
  let results = (outs ONNX_FloatTensor:$output, ONNX_FloatTensor:$present_key,
                      ONNX_FloatTensor:$present_value);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class ONNX_ReduceOp<string name> : ONNX_Op<name> {
  let summary = "ONNX " # name # " over the given axes";
  let description = [{
    Reduces `data` over `axes` (a 1-D i64 operand, the opset 18 form; the
    importer turns the older attribute into a constant operand). With no
    axes, all axes are reduced, unless `noop_with_empty_axes` is 1, when
    the input is returned. `keepdims` keeps reduced axes as size 1.

    ```mlir
    %m = onnx.}] # name # [{ %x, %axes : (tensor<2x?x64xf32>, tensor<1xi64>) -> tensor<2x?x1xf32>
    ```
  }];
  let arguments = (ins ONNX_NumericTensor:$data,
                       Optional<ONNX_I64Tensor>:$axes,
                       DefaultValuedAttr<I64Attr, "1">:$keepdims,
                       DefaultValuedAttr<I64Attr, "0">:$noop_with_empty_axes);
  let results = (outs ONNX_NumericTensor:$reduced);
}
def ONNX_ReduceMeanOp : ONNX_ReduceOp<"ReduceMean">;
def ONNX_ReduceSumOp : ONNX_ReduceOp<"ReduceSum">;
def ONNX_ReduceMaxOp : ONNX_ReduceOp<"ReduceMax">;

def ONNX_CumSumOp : ONNX_Op<"CumSum"> {
  let summary = "ONNX CumSum: cumulative sum along an axis";
  let description = [{
    `axis` is a scalar (or 1-element) i32/i64 tensor.

    ```mlir
    %y = onnx.CumSum %x, %axis : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
    ```
  }];
  let arguments = (ins ONNX_NumericTensor:$x, ONNX_IndexTensor:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$exclusive,
                       DefaultValuedAttr<I64Attr, "0">:$reverse);
  let results = (outs ONNX_NumericTensor:$y);
}

//===----------------------------------------------------------------------===//
// Data movement and shapes
//===----------------------------------------------------------------------===//

def ONNX_GatherOp : ONNX_Op<"Gather"> {
  let summary = "ONNX Gather: takes entries of `data` along `axis`";
  let description = [{
    The result shape is `data.shape[:axis] + indices.shape +
    data.shape[axis+1:]`; negative indices count from the end.

    ```mlir
    %e = onnx.Gather %table, %ids : (tensor<32000x512xf32>, tensor<?x?xi64>) -> tensor<?x?x512xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$data, ONNX_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs ONNX_AnyTensor:$output);
  let hasFolder = 1;
}

def ONNX_GatherNDOp : ONNX_Op<"GatherND"> {
  let summary = "ONNX GatherND: slices of `data` at index tuples";
  let description = [{
    With `b = batch_dims`, `q` the rank of `indices` and `k` its last
    dimension, the result is `indices.shape[:-1] + data.shape[b + k:]`:
    element `indices[i..., :]` (its first `b` dimensions shared with
    `data`'s) picks `data[i[:b]..., indices[i..., 0], ...,
    indices[i..., k - 1], :...]`; negative indices count from the end.

    ```mlir
    %g = onnx.GatherND %mask, %idx : (tensor<?x?xi1>, tensor<?x1xi64>) -> tensor<?x?xi1>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$data, ONNX_I64Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs ONNX_AnyTensor:$output);
}

def ONNX_ScatterNDOp : ONNX_Op<"ScatterND"> {
  let summary = "ONNX ScatterND: `data` with slices replaced from `updates`";
  let description = [{
    With `k` the last dimension of `indices`, each index tuple
    `indices[i..., :]` names a slice `data[indices[i..., 0], ...,
    indices[i..., k - 1], :...]` that takes `updates[i..., :...]`; the
    result has `data`'s shape. `reduction` (`none`, `add`, `mul`, `max`,
    `min`) combines an update with the old value; with `none`, duplicate
    indices are undefined (ONNX), here the last update wins.

    ```mlir
    %s = onnx.ScatterND %data, %idx, %upd : (tensor<?x1x?x?xf32>, tensor<?x1x?x?x4xi64>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$data, ONNX_I64Tensor:$indices,
                       ONNX_AnyTensor:$updates,
                       DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs ONNX_AnyTensor:$output);
}

def ONNX_ReshapeOp : ONNX_Op<"Reshape"> {
  let summary = "ONNX Reshape";
  let description = [{
    A 0 in `shape` copies the input's dimension (unless `allowzero` is 1);
    one -1 is inferred from the element count.

    ```mlir
    %r = onnx.Reshape %x, %shape : (tensor<1x?x512xf32>, tensor<4xi64>) -> tensor<1x?x8x64xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$data, ONNX_I64Tensor:$shape,
                       DefaultValuedAttr<I64Attr, "0">:$allowzero);
  let results = (outs ONNX_AnyTensor:$reshaped);
  let hasFolder = 1;
}

def ONNX_TransposeOp : ONNX_Op<"Transpose"> {
  let summary = "ONNX Transpose";
  let description = [{
    Result dimension `i` is input dimension `perm[i]`; without `perm` the
    dimensions are reversed.

    ```mlir
    %t = onnx.Transpose %x {perm = [0, 2, 1, 3]} : (tensor<1x?x8x64xf32>) -> tensor<1x8x?x64xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$data, OptionalAttr<I64ArrayAttr>:$perm);
  let results = (outs ONNX_AnyTensor:$transposed);
}

def ONNX_ConcatOp : ONNX_Op<"Concat"> {
  let summary = "ONNX Concat along one axis";
  let description = [{
    ```mlir
    %c = onnx.Concat %a, %b {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
    ```
  }];
  let arguments = (ins Variadic<ONNX_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs ONNX_AnyTensor:$concat_result);
  let hasFolder = 1;
}

def ONNX_SliceOp : ONNX_Op<"Slice", [AttrSizedOperandSegments]> {
  let summary = "ONNX Slice (opset 10+ form, parameters as operands)";
  let description = [{
    Takes `data[starts:ends:steps]` on `axes` (default all leading axes,
    steps default 1), with ONNX's clamping of out-of-range bounds.

    ```mlir
    %s = onnx.Slice %x, %starts, %ends axes %axes
        : (tensor<1x1x1024x1024xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>)
        -> tensor<1x1x?x1024xi1>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$data, ONNX_IndexTensor:$starts,
                       ONNX_IndexTensor:$ends,
                       Optional<ONNX_IndexTensor>:$axes,
                       Optional<ONNX_IndexTensor>:$steps);
  let results = (outs ONNX_AnyTensor:$output);
  let assemblyFormat = [{
    $data `,` $starts `,` $ends (`axes` $axes^)? (`steps` $steps^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def ONNX_SplitOp : ONNX_Op<"Split"> {
  let summary = "ONNX Split into several outputs along an axis";
  let description = [{
    With `split` the output sizes are given; otherwise the axis is split
    evenly into as many parts as there are results (the last may be
    smaller, as opset 18's `num_outputs` allows).

    ```mlir
    %q, %k, %v = onnx.Split %qkv, %sizes {axis = 2 : i64}
        : (tensor<1x?x1536xf32>, tensor<3xi64>)
        -> (tensor<1x?x512xf32>, tensor<1x?x512xf32>, tensor<1x?x512xf32>)
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$input, Optional<ONNX_I64Tensor>:$split,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       OptionalAttr<I64Attr>:$num_outputs);
  let results = (outs Variadic<ONNX_AnyTensor>:$outputs);
  let hasVerifier = 1;
}

def ONNX_SqueezeOp : ONNX_Op<"Squeeze"> {
  let summary = "ONNX Squeeze: removes size-1 dimensions";
  let description = [{
    Removes the `axes` (all size-1 dimensions when absent).

    ```mlir
    %s = onnx.Squeeze %x, %axes : (tensor<1x?x1xf32>, tensor<1xi64>) -> tensor<1x?xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$data, Optional<ONNX_I64Tensor>:$axes);
  let results = (outs ONNX_AnyTensor:$squeezed);
  let hasFolder = 1;
}

def ONNX_UnsqueezeOp : ONNX_Op<"Unsqueeze"> {
  let summary = "ONNX Unsqueeze: inserts size-1 dimensions";
  let description = [{
    `axes` index the output's dimensions.

    ```mlir
    %u = onnx.Unsqueeze %x, %axes : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$data, ONNX_I64Tensor:$axes);
  let results = (outs ONNX_AnyTensor:$expanded);
  let hasFolder = 1;
}

def ONNX_FlattenOp : ONNX_Op<"Flatten"> {
  let summary = "ONNX Flatten to 2-D at `axis`";
  let description = [{
    ```mlir
    %f = onnx.Flatten %x {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$input,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs ONNX_AnyTensor:$output);
}

def ONNX_ExpandOp : ONNX_Op<"Expand"> {
  let summary = "ONNX Expand: broadcasts to a shape";
  let description = [{
    The result shape is the broadcast of the input's shape and `shape`.

    ```mlir
    %e = onnx.Expand %kv, %shape : (tensor<1x4x1x?x64xf32>, tensor<5xi64>) -> tensor<1x4x2x?x64xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$input, ONNX_I64Tensor:$shape);
  let results = (outs ONNX_AnyTensor:$output);
}

def ONNX_TileOp : ONNX_Op<"Tile"> {
  let summary = "ONNX Tile: repeats the input along each dimension";
  let description = [{
    ```mlir
    %t = onnx.Tile %x, %repeats : (tensor<1x4x?x64xf32>, tensor<4xi64>) -> tensor<1x8x?x64xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$input, ONNX_I64Tensor:$repeats);
  let results = (outs ONNX_AnyTensor:$output);
}

def ONNX_TriluOp : ONNX_Op<"Trilu"> {
  let summary = "ONNX Trilu: upper or lower triangle of the last two dims";
  let description = [{
    Keeps the elements on and above (`upper` = 1) or on and below the
    `k`-th diagonal and zeroes the rest.

    ```mlir
    %m = onnx.Trilu %x, %k {upper = 1 : i64} : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$input, Optional<ONNX_I64Tensor>:$k,
                       DefaultValuedAttr<I64Attr, "1">:$upper);
  let results = (outs ONNX_AnyTensor:$output);
}

def ONNX_RangeOp : ONNX_Op<"Range"> {
  let summary = "ONNX Range: start, start + delta, ... up to limit";
  let description = [{
    Scalar operands of one numeric type; the result is 1-D with
    `max(ceil((limit - start) / delta), 0)` elements. `stash_type` (opset
    27) is the type f16 and bf16 ranges are computed in (1 = f32).

    ```mlir
    %r = onnx.Range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins ONNX_NumericTensor:$start, ONNX_NumericTensor:$limit,
                       ONNX_NumericTensor:$delta,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs ONNX_NumericTensor:$output);
  let hasFolder = 1;
}

def ONNX_ShapeOp : ONNX_Op<"Shape"> {
  let summary = "ONNX Shape: the input's dimensions as a 1-D i64 tensor";
  let description = [{
    `start` and `end` (opset 15) select a range of the dimensions.

    ```mlir
    %s = onnx.Shape %x : (tensor<?x?x512xf32>) -> tensor<3xi64>
    ```
  }];
  let arguments = (ins ONNX_AnyTensor:$data,
                       DefaultValuedAttr<I64Attr, "0">:$start,
                       OptionalAttr<I64Attr>:$end);
  let results = (outs ONNX_I64Tensor:$shape);
  let hasFolder = 1;
}

def ONNX_ConstantOfShapeOp : ONNX_Op<"ConstantOfShape"> {
  let summary = "ONNX ConstantOfShape: a tensor filled with one value";
  let description = [{
    `value` is a one-element tensor giving the value and the element type
    (default 0.0 : f32).

    ```mlir
    %z = onnx.ConstantOfShape %shape {value = dense<0> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x?xi64>
    ```
  }];
  let arguments = (ins ONNX_I64Tensor:$input,
                       OptionalAttr<ElementsAttr>:$value);
  let results = (outs ONNX_AnyTensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def ONNX_ConstantOp : ONNX_Op<"Constant", [ConstantLike]> {
  let summary = "ONNX Constant: a tensor value";
  let description = [{
    The importer turns every form of ONNX's Constant (`value`,
    `value_float`, `value_ints`, ...) and every initializer into this op.
    Large values are dense resources, never copied into the IR text.

    ```mlir
    %w = onnx.Constant {value = dense_resource<w0> : tensor<512x512xf32>} : tensor<512x512xf32>
    %s = onnx.Constant {value = dense<[0, -1, 8, 64]> : tensor<4xi64>} : tensor<4xi64>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs ONNX_AnyTensor:$output);
  let hasFolder = 1;
  let assemblyFormat = "attr-dict `:` type($output)";
  let builders = [
    OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
      build($_builder, $_state, value.getType(), value);
    }]>];
}

#endif // XF_DIALECTS_ONNX_IR_ONNXOPS_TD
