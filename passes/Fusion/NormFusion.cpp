//===- NormFusion.cpp - RMSNorm and LayerNorm -----------------------------===//

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

/// `y` if `value` is y^2: Pow(y, 2) or y * y.
Value matchSquare(Value value) {
  if (auto pow = defOp<ONNX::PowOp>(value))
    return isSplatNear(pow.getY(), 2.0, 0.0) ? pow.getX() : Value();
  if (auto mul = defOp<ONNX::MulOp>(value))
    return mul.getA() == mul.getB() ? mul.getA() : Value();
  return {};
}

/// `t` if `value` is 1 / sqrt(t): Reciprocal(Sqrt(t)) or Div(1, Sqrt(t)).
Value matchReciprocalSqrt(Value value) {
  if (auto reciprocal = defOp<ONNX::ReciprocalOp>(value))
    if (auto sqrt = defOp<ONNX::SqrtOp>(reciprocal.getX()))
      return sqrt.getX();
  if (auto div = defOp<ONNX::DivOp>(value))
    if (auto sqrt = defOp<ONNX::SqrtOp>(div.getB());
        sqrt && isSplatNear(div.getA(), 1.0, 0.0))
      return sqrt.getX();
  return {};
}

/// What a normalization divides by the root of a mean square: `value` is
/// `a / sqrt(mean_last(a^2) + eps)` (or `a * 1/sqrt(...)`) with `a` of
/// `value`'s type; sets `a` and `eps`.
bool matchRmsNormalized(Value value, Value &a, double &eps) {
  Value numerator, denominatorSquare;
  if (auto div = defOp<ONNX::DivOp>(value)) {
    if (auto sqrt = defOp<ONNX::SqrtOp>(div.getB())) {
      numerator = div.getA();
      denominatorSquare = sqrt.getX();
    }
  } else {
    eitherOrder(defOp<ONNX::MulOp>(value), [&](Value x, Value r) {
      Value t = matchReciprocalSqrt(r);
      if (!t)
        return false;
      numerator = x;
      denominatorSquare = t;
      return true;
    });
  }
  if (!numerator || !keepsShape(value, numerator))
    return false;
  return eitherOrder(defOp<ONNX::AddOp>(denominatorSquare),
                     [&](Value meanSquare, Value epsilon) {
                       std::optional<double> e = getSplatValue(epsilon);
                       if (!e || !isUnitTensor(epsilon.getType(), 8) ||
                           !keepsShape(denominatorSquare, meanSquare) ||
                           matchSquare(matchMeanOverLastAxis(meanSquare)) !=
                               numerator)
                         return false;
                       a = numerator;
                       eps = *e;
                       return true;
                     });
}

/// `x` if `value` is x - mean_last(x).
Value matchCentered(Value value) {
  auto sub = defOp<ONNX::SubOp>(value);
  if (!sub || matchMeanOverLastAxis(sub.getB()) != sub.getA() ||
      !keepsShape(value, sub.getA()))
    return {};
  return sub.getA();
}

/// Whether `weight` is a 1-D [D] tensor of `input`'s element type, `input`
/// being [..., D]. D must be proven one size (static, or one symbol): a `?`
/// weight may be a broadcast 1, which the xf norms do not take.
bool isFeatureVector(Value weight, Value input) {
  auto w = dyn_cast<RankedTensorType>(weight.getType());
  auto x = dyn_cast<RankedTensorType>(input.getType());
  if (!w || !x || w.getRank() != 1 || x.getRank() < 1 ||
      w.getElementType() != x.getElementType() ||
      !isa<FloatType>(x.getElementType()))
    return false;
  return getSymbolicDim(weight, 0) == getSymbolicDim(input, x.getRank() - 1);
}

FloatAttr epsilonAttr(Builder &builder, double eps) {
  return builder.getF32FloatAttr(static_cast<float>(eps));
}

/// weight * x / sqrt(mean_last(x^2) + eps) -> xf.rms_norm(x, weight).
struct RMSNormPattern : OpRewritePattern<ONNX::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::MulOp op,
                                PatternRewriter &rewriter) const override {
    Value input, weight;
    double eps = 0;
    if (!eitherOrder(op, [&](Value w, Value normalized) {
          Value x;
          if (!matchRmsNormalized(normalized, x, eps) ||
              !isFeatureVector(w, x) || !keepsShape(op.getC(), x))
            return false;
          input = x;
          weight = w;
          return true;
        }))
      return rewriter.notifyMatchFailure(op, "not weight * rms-normalized x");
    if (matchCentered(input))
      return rewriter.notifyMatchFailure(op, "centered first: a layer norm");
    LDBG() << "rms_norm at " << op.getLoc();
    rewriter.replaceOp(op, XF::RMSNormOp::create(rewriter, op.getLoc(),
                                                 op.getType(), input, weight,
                                                 epsilonAttr(rewriter, eps)));
    return success();
  }
};

/// weight * (x - mean) / sqrt(var + eps) -> xf.layer_norm(x, weight), the
/// variance being mean_last((x - mean)^2).
struct DecomposedLayerNormPattern : OpRewritePattern<ONNX::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::MulOp op,
                                PatternRewriter &rewriter) const override {
    Value input, weight;
    double eps = 0;
    if (!eitherOrder(op, [&](Value w, Value normalized) {
          Value centered;
          if (!matchRmsNormalized(normalized, centered, eps))
            return false;
          Value x = matchCentered(centered);
          if (!x || !isFeatureVector(w, x) || !keepsShape(op.getC(), x))
            return false;
          input = x;
          weight = w;
          return true;
        }))
      return rewriter.notifyMatchFailure(op, "not a decomposed layer norm");
    LDBG() << "layer_norm at " << op.getLoc();
    rewriter.replaceOp(op, XF::LayerNormOp::create(
                               rewriter, op.getLoc(), op.getType(), input,
                               weight, Value(), epsilonAttr(rewriter, eps)));
    return success();
  }
};

/// xf.layer_norm without bias + b -> xf.layer_norm with bias b.
struct LayerNormBiasPattern : OpRewritePattern<ONNX::AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::AddOp op,
                                PatternRewriter &rewriter) const override {
    XF::LayerNormOp norm;
    Value bias;
    if (!eitherOrder(op, [&](Value n, Value b) {
          norm = defOp<XF::LayerNormOp>(n);
          if (!norm || norm.getBias() || !keepsShape(op.getC(), n) ||
              !isFeatureVector(b, norm.getInput()))
            return false;
          bias = b;
          return true;
        }))
      return rewriter.notifyMatchFailure(op, "not layer_norm + bias");
    rewriter.replaceOp(op, XF::LayerNormOp::create(
                               rewriter, op.getLoc(), op.getType(),
                               norm.getInput(), norm.getWeight(), bias,
                               norm.getEpsilonAttr()));
    return success();
  }
};

/// LayerNormalization over the last axis whose Mean and InvStdDev are unused
/// -> xf.layer_norm.
struct LayerNormalizationPattern
    : OpRewritePattern<ONNX::LayerNormalizationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::LayerNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getX().getType());
    if (!type || !isLastAxis(op.getAxis(), type.getRank()))
      return rewriter.notifyMatchFailure(op, "not over the last axis only");
    if (!op.getMean().use_empty() || !op.getInvStdDev().use_empty())
      return rewriter.notifyMatchFailure(op, "statistics are used");
    if (!isFeatureVector(op.getScale(), op.getX()) ||
        (op.getB() && !isFeatureVector(op.getB(), op.getX())) ||
        op.getY().getType() != type)
      return rewriter.notifyMatchFailure(op, "scale or bias is not [D]");
    Value norm = XF::LayerNormOp::create(
        rewriter, op.getLoc(), type, op.getX(), op.getScale(), op.getB(),
        op.getEpsilonAttr());
    rewriter.replaceAllUsesWith(op.getY(), norm);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void xf::populateNormFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<RMSNormPattern, DecomposedLayerNormPattern, LayerNormBiasPattern,
               LayerNormalizationPattern>(patterns.getContext());
}
