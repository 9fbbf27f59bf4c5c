//===- LinearFusion.cpp - MatMul by constant weights and Gemm -------------===//

#include "passes/Fusion/Fusion.h"
#include "passes/Fusion/FusionUtils.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/IR/Matchers.h"

#define DEBUG_TYPE "xf-fuse-onnx-to-xf"

using namespace mlir;
using namespace xf::fusion;
namespace ONNX = xf::ONNX;
namespace XF = xf::XF;

namespace {

bool isConstant(Value value) { return value && matchPattern(value, m_Constant()); }

bool isFloatOfRank(Value value, int64_t minRank, int64_t maxRank) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<FloatType>(type.getElementType()) &&
         type.getRank() >= minRank && type.getRank() <= maxRank;
}

/// A 16-bit weight constant behind the Cast to f32 that xf-promote-to-f32
/// puts after it (xf.linear reads it in 16 bits), else `w` itself.
Value storedWeight(Value w) {
  auto cast = defOp<ONNX::CastOp>(w);
  if (!cast || !getElementTypeOrSelf(w.getType()).isF32())
    return w;
  Type stored = getElementTypeOrSelf(cast.getInput().getType());
  if ((stored.isF16() || stored.isBF16()) && isConstant(cast.getInput()))
    return cast.getInput();
  return w;
}

/// The [N, K] weight of `x @ w` for a [K, N] weight `w`: the constant that
/// `w` transposes, or a new onnx.Transpose of `w`.
Value linearWeight(PatternRewriter &rewriter, Location loc, Value w) {
  if (auto transpose = defOp<ONNX::TransposeOp>(w)) {
    std::optional<ArrayAttr> perm = transpose.getPerm();
    // Without `perm` a 2-D Transpose reverses its dimensions too.
    bool swaps = !perm || (perm->size() == 2 &&
                           cast<IntegerAttr>((*perm)[0]).getInt() == 1 &&
                           cast<IntegerAttr>((*perm)[1]).getInt() == 0);
    if (swaps && isFloatOfRank(transpose.getData(), 2, 2))
      return storedWeight(transpose.getData());
  }
  return createTranspose(rewriter, loc, storedWeight(w), {1, 0});
}

/// x @ W, W a constant [K, N] (or the Transpose of a constant [N, K]) ->
/// xf.linear(x, W^T).
struct MatMulToLinearPattern : OpRewritePattern<ONNX::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getA(), w = op.getB();
    auto transpose = defOp<ONNX::TransposeOp>(w);
    if (!isConstant(storedWeight(w)) &&
        !(transpose && isConstant(storedWeight(transpose.getData()))))
      return rewriter.notifyMatchFailure(op, "weight is not a constant");
    if (!isFloatOfRank(x, 1, 8) || !isFloatOfRank(w, 2, 2) ||
        getElementTypeOrSelf(x.getType()) != getElementTypeOrSelf(w.getType()))
      return rewriter.notifyMatchFailure(op, "not [..., K] x [K, N] floats");
    auto result = cast<RankedTensorType>(op.getType());
    if (result.getRank() != cast<RankedTensorType>(x.getType()).getRank())
      return rewriter.notifyMatchFailure(op, "result rank differs from x's");
    Value weight = linearWeight(rewriter, op.getLoc(), w);
    rewriter.replaceOp(op, XF::LinearOp::create(rewriter, op.getLoc(), result,
                                                x, weight, Value()));
    return success();
  }
};

/// Gemm(A, B, C) with alpha = 1, A not transposed and C absent or a [N]
/// bias with beta = 1 -> xf.linear(A, B or B^T, C).
struct GemmToLinearPattern : OpRewritePattern<ONNX::GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getAlpha().convertToDouble() != 1.0 || op.getTransA() != 0)
      return rewriter.notifyMatchFailure(op, "alpha != 1 or A transposed");
    Value a = op.getA(), b = op.getB(), c = op.getC();
    auto result = dyn_cast<RankedTensorType>(op.getType());
    if (!result || !isFloatOfRank(a, 2, 2) || !isFloatOfRank(b, 2, 2) ||
        getElementTypeOrSelf(a.getType()) != getElementTypeOrSelf(b.getType()))
      return rewriter.notifyMatchFailure(op, "not 2-D floats");
    if (c && (op.getBeta().convertToDouble() != 1.0 ||
              !isFloatOfRank(c, 1, 1) ||
              getElementTypeOrSelf(c.getType()) != result.getElementType()))
      return rewriter.notifyMatchFailure(op, "C is not a [N] bias");
    if (c) {
      int64_t n = result.getDimSize(1);
      int64_t biasSize = cast<RankedTensorType>(c.getType()).getDimSize(0);
      if (ShapedType::isDynamic(n) || biasSize != n)
        return rewriter.notifyMatchFailure(op, "C broadcasts");
    }
    b = storedWeight(b);
    Value weight = op.getTransB() ? b : createTranspose(rewriter, op.getLoc(), b, {1, 0});
    rewriter.replaceOp(op, XF::LinearOp::create(rewriter, op.getLoc(), result,
                                                a, weight, c));
    return success();
  }
};

/// xf.linear without bias + b ([N]) -> xf.linear with bias b.
struct LinearBiasPattern : OpRewritePattern<ONNX::AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::AddOp op,
                                PatternRewriter &rewriter) const override {
    XF::LinearOp linear;
    Value bias;
    if (!eitherOrder(op, [&](Value l, Value b) {
          linear = defOp<XF::LinearOp>(l);
          if (!linear || linear.getBias() || !keepsShape(op.getC(), l) ||
              !isFloatOfRank(b, 1, 1) ||
              getElementTypeOrSelf(b.getType()) != getElementTypeOrSelf(l.getType()))
            return false;
          int64_t n = linear.getWeight().getType().getDimSize(0);
          int64_t size = cast<RankedTensorType>(b.getType()).getDimSize(0);
          if (ShapedType::isDynamic(n) || size != n)
            return false;
          bias = b;
          return true;
        }))
      return rewriter.notifyMatchFailure(op, "not linear + [N] bias");
    rewriter.replaceOp(op, XF::LinearOp::create(rewriter, op.getLoc(),
                                                op.getType(), linear.getInput(),
                                                linear.getWeight(), bias));
    return success();
  }
};

} // namespace

void xf::populateLinearFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<MatMulToLinearPattern, GemmToLinearPattern, LinearBiasPattern>(
      patterns.getContext());
}
