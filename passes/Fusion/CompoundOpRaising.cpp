//===- CompoundOpRaising.cpp - whole-operator onnx ops -> xf --------------===//
//
// ONNX operators that already state a transformer block whole (opset 20's
// Gelu, opset 23's RMSNormalization, ONNX Runtime's normalization and GELU
// contrib operators) become the xf op with the same meaning. These are not
// pattern matches over decomposed arithmetic, so they run whatever fusion
// families are disabled: an onnx op of this kind has no lowering of its own.
// Each pattern checks what the xf op cannot express (normalized axes other
// than the last, statistics outputs that are read, a non-f32 stash type
// with other element types); an RMS norm over several axes becomes its own
// arithmetic, anything else is left alone, so the conversion to linalg
// reports it by node name.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/Fusion.h"
#include "passes/Fusion/FusionUtils.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-fuse-onnx-to-xf"

using namespace mlir;
using namespace xf::fusion;
namespace ONNX = xf::ONNX;
namespace XF = xf::XF;

namespace {

XF::GeluApproximationAttr approximationAttr(MLIRContext *context,
                                           XF::GeluApproximation kind) {
  return XF::GeluApproximationAttr::get(context, kind);
}

struct GeluPattern : OpRewritePattern<ONNX::GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::GeluOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<RankedTensorType>(op.getType()))
      return rewriter.notifyMatchFailure(op, "unranked");
    auto kind = op.getApproximate() == "tanh" ? XF::GeluApproximation::tanh
                                              : XF::GeluApproximation::none;
    rewriter.replaceOpWithNewOp<XF::GeluOp>(
        op, op.getType(), op.getX(), approximationAttr(getContext(), kind));
    return success();
  }
};

/// FastGelu(x, bias) = gelu_tanh(x + bias).
struct FastGeluPattern : OpRewritePattern<ONNX::FastGeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::FastGeluOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unranked");
    Value input = op.getX();
    if (Value bias = op.getBias())
      input = createInferred<ONNX::AddOp>(rewriter, op.getLoc(),
                                          type.getElementType(), input, bias);
    if (input.getType() != type)
      return rewriter.notifyMatchFailure(op, "bias changes the shape");
    rewriter.replaceOpWithNewOp<XF::GeluOp>(
        op, type, input,
        approximationAttr(getContext(), XF::GeluApproximation::tanh));
    return success();
  }
};

/// Whether a normalization of `x` with `weight` fits xf's norms: over the
/// last axis only, weight [D] of x's element type, statistics in f32 (or
/// the element type) and unread.
LogicalResult checkNormalization(PatternRewriter &rewriter, Operation *op,
                                 Value x, Value weight, int64_t axis,
                                 ValueRange statistics) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || !isLastAxis(axis, type.getRank()))
    return rewriter.notifyMatchFailure(op, "not over the last axis only");
  if (!isFeatureVector(weight, x))
    return rewriter.notifyMatchFailure(op, "scale is not [D] of x's type");
  for (Value statistic : statistics)
    if (!statistic.use_empty())
      return rewriter.notifyMatchFailure(op, "statistics are read");
  return success();
}

/// RMSNormalization and SimplifiedLayerNormalization -> xf.rms_norm.
template <typename OpTy>
struct RMSNormalizationPattern : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> statistics(op->getResults().drop_front());
    if (failed(checkNormalization(rewriter, op, op.getX(), op.getScale(),
                                  op.getAxis(), statistics)))
      return decompose(op, rewriter);
    Value norm =
        XF::RMSNormOp::create(rewriter, op.getLoc(), op.getX().getType(),
                              op.getX(), op.getScale(), op.getEpsilonAttr());
    rewriter.replaceAllUsesWith(op->getResult(0), norm);
    rewriter.eraseOp(op);
    return success();
  }

  /// What xf.rms_norm cannot state (several normalized axes, a scale that
  /// broadcasts over more than [D]) as the operator's own arithmetic, in
  /// f32: x / sqrt(mean(x^2 over axis..rank-1) + epsilon) * scale.
  LogicalResult decompose(OpTy op, PatternRewriter &rewriter) const {
    for (Value statistic : op->getResults().drop_front())
      if (!statistic.use_empty())
        return rewriter.notifyMatchFailure(op, "statistics are read");
    auto type = dyn_cast<RankedTensorType>(op.getX().getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unranked");
    int64_t rank = type.getRank();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    auto toF32 = [&](Value v) -> Value {
      auto t = cast<RankedTensorType>(v.getType());
      if (t.getElementType().isF32())
        return v;
      return createInferred<ONNX::CastOp>(rewriter, loc, f32, v,
                                          TypeAttr::get(f32));
    };
    Value x = toF32(op.getX());
    SmallVector<int64_t> axes;
    for (int64_t a = axis; a < rank; ++a)
      axes.push_back(a);
    Value square = createInferred<ONNX::MulOp>(rewriter, loc, f32, x, x);
    Value mean = createInferred<ONNX::ReduceMeanOp>(
        rewriter, loc, f32, square, createI64Constant(rewriter, loc, axes));
    Value epsilon = createScalarConstant(
        rewriter, loc, f32, op.getEpsilon().convertToFloat());
    Value root = createInferred<ONNX::SqrtOp>(
        rewriter, loc, f32,
        createInferred<ONNX::AddOp>(rewriter, loc, f32, mean, epsilon));
    Value normalized =
        createInferred<ONNX::DivOp>(rewriter, loc, f32, x, root);
    Value y = createInferred<ONNX::MulOp>(rewriter, loc, f32, normalized,
                                          toF32(op.getScale()));
    if (!type.getElementType().isF32())
      y = createInferred<ONNX::CastOp>(rewriter, loc, type.getElementType(), y,
                                       TypeAttr::get(type.getElementType()));
    if (y.getType() != op->getResult(0).getType())
      return rewriter.notifyMatchFailure(op, "scale changes the shape");
    rewriter.replaceAllUsesWith(op->getResult(0), y);
    rewriter.eraseOp(op);
    return success();
  }
};

/// Skip(Simplified)LayerNormalization: s = input + skip (+ bias), then the
/// norm of s; s itself is the fourth result (the residual stream).
template <typename OpTy>
struct SkipNormalizationPattern : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unranked");
    if (failed(checkNormalization(rewriter, op, op.getInput(), op.getGamma(),
                                  -1, {op.getMean(), op.getInvStdVar()})))
      return failure();
    Location loc = op.getLoc();
    Type element = type.getElementType();
    Value sum = createInferred<ONNX::AddOp>(rewriter, loc, element,
                                            op.getInput(), op.getSkip());
    if (Value bias = op.getBias())
      sum = createInferred<ONNX::AddOp>(rewriter, loc, element, sum, bias);
    if (sum.getType() != type)
      return rewriter.notifyMatchFailure(op, "skip or bias changes the shape");
    Value norm;
    if constexpr (std::is_same_v<OpTy, ONNX::SkipLayerNormalizationOp>) {
      if (op.getBeta() && !isFeatureVector(op.getBeta(), op.getInput()))
        return rewriter.notifyMatchFailure(op, "beta is not [D]");
      norm = XF::LayerNormOp::create(rewriter, loc, type, sum, op.getGamma(),
                                     op.getBeta(), op.getEpsilonAttr());
    } else {
      norm = XF::RMSNormOp::create(rewriter, loc, type, sum, op.getGamma(),
                                   op.getEpsilonAttr());
    }
    rewriter.replaceAllUsesWith(op.getOutput(), norm);
    rewriter.replaceAllUsesWith(op.getInputSkipBiasSum(), sum);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void xf::populateCompoundOpRaisingPatterns(RewritePatternSet &patterns) {
  patterns.add<GeluPattern, FastGeluPattern,
               RMSNormalizationPattern<ONNX::RMSNormalizationOp>,
               RMSNormalizationPattern<ONNX::SimplifiedLayerNormalizationOp>,
               SkipNormalizationPattern<ONNX::SkipSimplifiedLayerNormalizationOp>,
               SkipNormalizationPattern<ONNX::SkipLayerNormalizationOp>>(
      patterns.getContext());
}
