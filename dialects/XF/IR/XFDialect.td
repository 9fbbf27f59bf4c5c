//===- XFDialect.td - the xf dialect -----------------------*- tablegen -*-===//
//
// The `xf` dialect holds a transformer at the level of its building blocks:
// attention, normalization, rotary embedding, linear layers (plain and
// quantized), activations, embedding lookup and the paged KV cache. The
// fusion passes produce it from `onnx`; codegen lowers it to upstream
// dialects.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECTS_XF_IR_XFDIALECT_TD
#define XF_DIALECTS_XF_IR_XFDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def XF_Dialect : Dialect {
  let name = "xf";
  let cppNamespace = "::xf::XF";
  let summary = "transformer building blocks with whole-model semantics";
  let description = [{
    The dialect that xfc's fusion passes produce and its codegen consumes.
    Every op works on ranked tensors with value semantics and has no side
    effects: even the KV-cache ops take a pool and return the updated pool.
    The one exception is `xf.check_dim`, the run-time shape check that
    lowerings emit, which may stop the program.
    Dimensions may be dynamic; verifiers check shape rules only where the
    dimensions involved are static.

    Layouts are fixed and written down in each op's description, since the
    runtime that owns the weights and the KV pool is written against them:
    activations of attention are [batch, heads, sequence, head_dim], linear
    weights are [out_features, in_features], and a KV pool is
    [num_blocks, kv_heads, block_size, head_dim].
  }];
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def XF_FloatTensor : RankedTensorOf<[AnyFloat]>;
def XF_FloatTensor1D : TensorRankOf<[AnyFloat], [1]>;
def XF_FloatTensor2D : TensorRankOf<[AnyFloat], [2]>;
def XF_FloatTensor4D : TensorRankOf<[AnyFloat], [4]>;
def XF_NonScalarFloatTensor
    : RankedTensorOf<[AnyFloat], [HasRankGreaterOrEqualPred<1>],
                     "ranked tensor of rank >= 1">;
def XF_RopeTable : TensorRankOf<[AnyFloat], [2, 3]>;
def XF_AttentionMask
    : RankedTensorOf<[AnyFloat],
        [CPred<"::llvm::cast<::mlir::ShapedType>($_self).getRank() <= 4">],
        "ranked tensor of rank <= 4">;
def XF_IndexTensor : RankedTensorOf<[I32, I64]>;
def XF_IndexTensor1D : TensorRankOf<[I32, I64], [1]>;
def XF_IndexTensor2D : TensorRankOf<[I32, I64], [2]>;
def XF_PackedWeight : TensorRankOf<[I8], [2]>;
def XF_QuantScales : TensorRankOf<[F16, F32], [2]>;
// Integer zero points are codes (i8 bytes read unsigned); float ones are
// fractional (Q4_1's min over -scale).
def XF_ZeroPoints : TensorRankOf<[I8, F16, F32], [2]>;

//===----------------------------------------------------------------------===//
// Enum attributes
//===----------------------------------------------------------------------===//

def XF_RopeStyle : I32EnumAttr<"RopeStyle",
    "which pairs of head-dimension elements a rotary embedding rotates", [
      I32EnumAttrCase<"rotate_half", 0>,
      I32EnumAttrCase<"interleaved", 1>
    ]> {
  let cppNamespace = "::xf::XF";
  let genSpecializedAttr = 0;
}
def XF_RopeStyleAttr : EnumAttr<XF_Dialect, XF_RopeStyle, "rope_style">;

def XF_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how GELU computes the normal distribution function", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"tanh", 1>
    ]> {
  let cppNamespace = "::xf::XF";
  let genSpecializedAttr = 0;
}
def XF_GeluApproximationAttr
    : EnumAttr<XF_Dialect, XF_GeluApproximation, "gelu_approximation">;

#endif // XF_DIALECTS_XF_IR_XFDIALECT_TD
