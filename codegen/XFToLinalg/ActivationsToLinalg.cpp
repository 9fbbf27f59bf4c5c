//===- ActivationsToLinalg.cpp - gelu, silu, swiglu -> linalg -------------===//
//
// Each op is one elementwise linalg.generic. The body computes in at least
// f32 (math.exp, math.erf and math.tanh on f16 have no fast lowering) and
// casts back.
//
//===----------------------------------------------------------------------===//

#include "codegen/Utils/ShapeChecks.h"
#include "codegen/XFToLinalg/LinalgBuilders.h"
#include "codegen/XFToLinalg/XFToLinalg.h"

#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace xf;

namespace {

/// x * sigmoid(x) = x / (1 + exp(-x)).
Value buildSilu(OpBuilder &b, Location loc, Value x) {
  Value negated = arith::NegFOp::create(b, loc, x);
  Value denominator = arith::AddFOp::create(
      b, loc, createFloatConstant(b, loc, x.getType(), 1.0),
      math::ExpOp::create(b, loc, negated));
  return arith::DivFOp::create(b, loc, x, denominator);
}

/// 0.5 * x * (1 + erf(x / sqrt(2))), or with tanh:
/// 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
Value buildGelu(OpBuilder &b, Location loc, Value x,
                XF::GeluApproximation approximation) {
  Type type = x.getType();
  auto constant = [&](double value) {
    return createFloatConstant(b, loc, type, value);
  };
  Value cdfTerm;
  if (approximation == XF::GeluApproximation::tanh) {
    Value cube = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x),
                                       x);
    Value inner = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, constant(0.044715), cube));
    Value scaled = arith::MulFOp::create(
        b, loc, constant(std::sqrt(2.0 / M_PI)), inner);
    cdfTerm = math::TanhOp::create(b, loc, scaled);
  } else {
    Value scaled = arith::MulFOp::create(b, loc, x, constant(M_SQRT1_2));
    cdfTerm = math::ErfOp::create(b, loc, scaled);
  }
  Value onePlus = arith::AddFOp::create(b, loc, constant(1.0), cdfTerm);
  Value half = arith::MulFOp::create(b, loc, constant(0.5), x);
  return arith::MulFOp::create(b, loc, half, onePlus);
}

/// One elementwise linalg.generic over `operands` (all of one type) whose
/// body gets them widened to the compute type.
Value buildActivation(
    OpBuilder &b, Location loc, ValueRange operands,
    function_ref<Value(OpBuilder &, Location, ValueRange)> compute) {
  auto type = cast<RankedTensorType>(operands.front().getType());
  auto elementType = cast<FloatType>(type.getElementType());
  FloatType computeType = getComputeType(elementType);
  SmallVector<AffineMap> maps(operands.size(),
                              b.getMultiDimIdentityMap(type.getRank()));
  return buildMap(
      b, loc, tensor::getMixedSizes(b, loc, operands.front()), elementType,
      operands, maps, [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> widened;
        for (Value arg : args.drop_back())
          widened.push_back(resizeFloat(nb, nl, arg, computeType));
        return resizeFloat(nb, nl, compute(nb, nl, widened), elementType);
      });
}

struct GeluLowering : OpRewritePattern<XF::GeluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(XF::GeluOp op,
                                PatternRewriter &rewriter) const override {
    XF::GeluApproximation approximation = op.getApproximation();
    rewriter.replaceOp(
        op, buildActivation(rewriter, op.getLoc(), op.getInput(),
                            [&](OpBuilder &b, Location loc, ValueRange x) {
                              return buildGelu(b, loc, x[0], approximation);
                            }));
    return success();
  }
};

struct SiluLowering : OpRewritePattern<XF::SiluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(XF::SiluOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildActivation(rewriter, op.getLoc(), op.getInput(),
                            [](OpBuilder &b, Location loc, ValueRange x) {
                              return buildSilu(b, loc, x[0]);
                            }));
    return success();
  }
};

struct SwiGLULowering : OpRewritePattern<XF::SwiGLUOp> {
  SwiGLULowering(MLIRContext *context, ONNX::SymbolicShapeAnalysis &shapes)
      : OpRewritePattern(context), shapes(shapes) {}

  LogicalResult matchAndRewrite(XF::SwiGLUOp op,
                                PatternRewriter &rewriter) const override {
    // One type, but its dynamic sizes are only the same symbol.
    for (int64_t d = 0, e = op.getGate().getType().getRank(); d < e; ++d)
      checkEqualDims(rewriter, op.getLoc(), shapes, op, op.getUp(), d,
                     op.getGate(), d,
                     "dimension " + Twine(d) + " of up against gate's");
    rewriter.replaceOp(
        op, buildActivation(
                rewriter, op.getLoc(), {op.getGate(), op.getUp()},
                [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                  return arith::MulFOp::create(
                      b, loc, buildSilu(b, loc, args[0]), args[1]);
                }));
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

} // namespace

void xf::populateXFActivationsToLinalgPatterns(
    RewritePatternSet &patterns, ONNX::SymbolicShapeAnalysis &shapes) {
  patterns.add<GeluLowering, SiluLowering>(patterns.getContext());
  patterns.add<SwiGLULowering>(patterns.getContext(), shapes);
}
