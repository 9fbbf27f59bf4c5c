//===- ActivationFusion.cpp - GELU, SiLU and SwiGLU -----------------------===//

#include "passes/Fusion/Fusion.h"
#include "passes/Fusion/FusionUtils.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "llvm/Support/DebugLog.h"

#include <cmath>

#define DEBUG_TYPE "xf-fuse-onnx-to-xf"

using namespace mlir;
using namespace xf::fusion;
namespace ONNX = xf::ONNX;
namespace XF = xf::XF;

namespace {

bool isFloatTensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<FloatType>(type.getElementType());
}

/// x * Sigmoid(x) -> xf.silu(x).
struct SiluPattern : OpRewritePattern<ONNX::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::MulOp op,
                                PatternRewriter &rewriter) const override {
    Value input;
    if (!eitherOrder(op, [&](Value x, Value other) {
          auto sigmoid = defOp<ONNX::SigmoidOp>(other);
          if (!sigmoid || sigmoid.getX() != x)
            return false;
          input = x;
          return true;
        }))
      return rewriter.notifyMatchFailure(op, "not x * Sigmoid(x)");
    if (!isFloatTensor(input) || !keepsShape(op.getC(), input))
      return rewriter.notifyMatchFailure(op, "not a float tensor of x's type");
    rewriter.replaceOp(op, XF::SiluOp::create(rewriter, op.getLoc(),
                                              op.getType(), input));
    return success();
  }
};

/// xf.silu(gate) * up -> xf.swiglu(gate, up), all of one type.
struct SwiGLUPattern : OpRewritePattern<ONNX::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::MulOp op,
                                PatternRewriter &rewriter) const override {
    Value gate, up;
    if (!eitherOrder(op, [&](Value lhs, Value rhs) {
          auto silu = defOp<XF::SiluOp>(lhs);
          if (!silu || rhs.getType() != lhs.getType() ||
              op.getType() != lhs.getType())
            return false;
          gate = silu.getInput();
          up = rhs;
          return true;
        }))
      return rewriter.notifyMatchFailure(op, "not silu(gate) * up");
    rewriter.replaceOp(op, XF::SwiGLUOp::create(rewriter, op.getLoc(),
                                                op.getType(), gate, up));
    return success();
  }
};

/// The three factors of a product of two Muls, `(a * b) * c` in any
/// association and order: each operand of `op` that is itself a Mul is
/// expanded once.
SmallVector<std::array<Value, 3>> threeFactorProducts(ONNX::MulOp op) {
  SmallVector<std::array<Value, 3>> products;
  for (auto [inner, other] : {std::pair(op.getA(), op.getB()),
                              std::pair(op.getB(), op.getA())})
    if (auto mul = defOp<ONNX::MulOp>(inner))
      products.push_back({mul.getA(), mul.getB(), other});
  return products;
}

/// `x` if `value` is x / sqrt(2) or x * (1 / sqrt(2)).
Value matchDivSqrt2(Value value) {
  if (auto div = defOp<ONNX::DivOp>(value))
    return isSplatNear(div.getB(), std::sqrt(2.0)) ? div.getA() : Value();
  Value x;
  eitherOrder(defOp<ONNX::MulOp>(value), [&](Value a, Value c) {
    if (!isSplatNear(c, 1.0 / std::sqrt(2.0)))
      return false;
    x = a;
    return true;
  });
  return x;
}

/// `x` if `value` is x^3: Pow(x, 3), x * (x * x) or (x * x) * x.
Value matchCube(Value value) {
  if (auto pow = defOp<ONNX::PowOp>(value))
    return isSplatNear(pow.getY(), 3.0, 0.0) ? pow.getX() : Value();
  Value x;
  eitherOrder(defOp<ONNX::MulOp>(value), [&](Value a, Value square) {
    auto mul = defOp<ONNX::MulOp>(square);
    if (!mul || mul.getA() != a || mul.getB() != a)
      return false;
    x = a;
    return true;
  });
  return x;
}

/// `x` if `value` is sqrt(2 / pi) * (x + 0.044715 * x^3), factors in any
/// order.
Value matchTanhArgument(Value value) {
  Value x;
  eitherOrder(defOp<ONNX::MulOp>(value), [&](Value c, Value inner) {
    if (!isSplatNear(c, std::sqrt(2.0 / M_PI)))
      return false;
    return eitherOrder(defOp<ONNX::AddOp>(inner), [&](Value a, Value cubic) {
      return eitherOrder(defOp<ONNX::MulOp>(cubic), [&](Value k, Value cube) {
        if (!isSplatNear(k, 0.044715) || matchCube(cube) != a)
          return false;
        x = a;
        return true;
      });
    });
  });
  return x;
}

/// 0.5 * x * (1 + erf(x / sqrt(2))) -> xf.gelu none;
/// 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) -> xf.gelu tanh.
struct GeluPattern : OpRewritePattern<ONNX::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::MulOp op,
                                PatternRewriter &rewriter) const override {
    for (std::array<Value, 3> factors : threeFactorProducts(op)) {
      for (int half = 0; half < 3; ++half) {
        if (!isSplatNear(factors[half], 0.5))
          continue;
        for (int gate = 0; gate < 3; ++gate) {
          if (gate == half)
            continue;
          Value x = factors[3 - half - gate];
          std::optional<XF::GeluApproximation> approximation;
          eitherOrder(defOp<ONNX::AddOp>(factors[gate]), [&](Value f, Value one) {
            if (!isSplatNear(one, 1.0))
              return false;
            if (auto erf = defOp<ONNX::ErfOp>(f); erf && matchDivSqrt2(erf.getX()) == x)
              approximation = XF::GeluApproximation::none;
            else if (auto tanh = defOp<ONNX::TanhOp>(f);
                     tanh && matchTanhArgument(tanh.getX()) == x)
              approximation = XF::GeluApproximation::tanh;
            return approximation.has_value();
          });
          if (!approximation || !isFloatTensor(x) || !keepsShape(op.getC(), x))
            continue;
          LDBG() << "gelu at " << op.getLoc();
          rewriter.replaceOp(
              op, XF::GeluOp::create(
                      rewriter, op.getLoc(), op.getType(), x,
                      XF::GeluApproximationAttr::get(getContext(),
                                                     *approximation)));
          return success();
        }
      }
    }
    return rewriter.notifyMatchFailure(op, "not a GELU product");
  }
};

} // namespace

void xf::populateActivationFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<SiluPattern, SwiGLUPattern, GeluPattern>(patterns.getContext());
}
