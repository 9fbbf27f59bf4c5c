//===- SimplifyMath.cpp - cheaper math ops for constant operands ----------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace xf {
#define GEN_PASS_DEF_SIMPLIFYMATHPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
struct SimplifyMathPass : xf::impl::SimplifyMathPassBase<SimplifyMathPass> {
  using SimplifyMathPassBase::SimplifyMathPassBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathAlgebraicSimplificationPatterns(patterns);
    if (inlineMath)
      populateMathPolynomialApproximationPatterns(
          patterns, [](StringRef name) { return name == "math.exp" || name == "math.erf";
          });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
