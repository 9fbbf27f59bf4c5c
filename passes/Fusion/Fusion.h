//===- Fusion.h - onnx -> xf fusion pattern families ----------*- C++ -*-===//
//
// Each family rewrites the onnx subgraphs that exporters write for one kind
// of transformer block into the xf op that states it whole. A pattern
// rewrites only what it proves equivalent (axes, broadcast shapes and the
// constants it reads); a near miss is left alone. The families compose: a
// pattern may match the xf op another family produced (Add of a bias onto
// xf.linear, silu times up into xf.swiglu).
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_FUSION_FUSION_H
#define XF_PASSES_FUSION_FUSION_H

#include "mlir/IR/PatternMatch.h"

#include <functional>

namespace xf {

/// Operators that state a block whole (Gelu, RMSNormalization, ONNX
/// Runtime's SimplifiedLayerNormalization, Skip(Simplified)LayerNormalization
/// and FastGelu) into the xf op of the same meaning. Always applied: these
/// onnx ops have no lowering of their own.
void populateCompoundOpRaisingPatterns(mlir::RewritePatternSet &patterns);

/// ONNX Runtime's MatMulNBits into xf.qlinear, its codes repacked at compile
/// time; `refuse` hears why one cannot be (g_idx, other bit widths, weights
/// that are not constants).
void populateQuantizedOpRaisingPatterns(
    mlir::RewritePatternSet &patterns,
    std::function<void(mlir::Operation *, llvm::StringRef)> refuse);

/// ONNX's Attention and RotaryEmbedding and ONNX Runtime's
/// GroupQueryAttention, MultiHeadAttention and RotaryEmbedding into
/// xf.attention and xf.rope, with onnx ops for the head layout, the KV
/// cache (Concat(past, new) on axis 2) and masks xf.attention's attributes
/// cannot state; GroupQueryAttention's per-row lengths are written out
/// exactly unless they provably fill every row. Always applied: these onnx
/// ops have no lowering of their own. `refuse` is told why an op cannot be
/// raised.
void populateAttentionOpRaisingPatterns(
    mlir::RewritePatternSet &patterns,
    std::function<void(mlir::Operation *, llvm::StringRef)> refuse);

/// Softmax(scale * Q K^T + masks) V, written with MatMul, Transpose,
/// Div/Mul by constants, Where/Add masks and Softmax, into xf.attention:
/// strips repeat_kv (so GQA/MQA keep their key/value heads), recognizes
/// causal masks (Trilu, a sliced lower-triangular buffer, Range
/// comparisons) and keeps the rest of the mask as an additive operand.
/// `explain`, if given, is told why an attention did not fuse (with the
/// attention's final MatMul) or why its masks stayed an operand (with the
/// new xf.attention).
void populateAttentionFusionPatterns(
    mlir::RewritePatternSet &patterns,
    std::function<void(mlir::Operation *, llvm::StringRef)> explain = {});

/// RMSNorm (Pow 2 or x*x, ReduceMean, Add eps, Sqrt, Div or Reciprocal,
/// times weight) into xf.rms_norm; LayerNormalization over the last axis and
/// its decomposed form into xf.layer_norm.
void populateNormFusionPatterns(mlir::RewritePatternSet &patterns);

/// x * cos + rotate_half(x) * sin, with tables that repeat their angles over
/// both halves of the head dimension, into xf.rope (rotate_half style).
void populateRopeFusionPatterns(mlir::RewritePatternSet &patterns);

/// GELU (erf and tanh forms), SiLU (x * Sigmoid(x)) and SwiGLU
/// (silu(gate) * up) into xf.gelu, xf.silu and xf.swiglu.
void populateActivationFusionPatterns(mlir::RewritePatternSet &patterns);

/// MatMul by a constant [K, N] weight (+ Add of a bias) and Gemm into
/// xf.linear, whose weight is [N, K]: an onnx.Transpose of the constant, or
/// the constant itself when the graph already transposes it.
void populateLinearFusionPatterns(mlir::RewritePatternSet &patterns);

} // namespace xf

#endif // XF_PASSES_FUSION_FUSION_H
