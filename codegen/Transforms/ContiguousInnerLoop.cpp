//===- ContiguousInnerLoop.cpp - parallel innermost loop for contractions -===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-contiguous-inner-loop"

namespace xf {
#define GEN_PASS_DEF_CONTIGUOUSINNERLOOPPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
/// The interchange that makes the output's last dimension the innermost
/// loop, if the innermost loop is now a reduction.
std::optional<SmallVector<unsigned>> innermostParallelOrder(linalg::GenericOp op) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (numLoops < 2 || iterators.back() != utils::IteratorType::reduction ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  AffineMap output = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (output.getNumResults() == 0)
    return std::nullopt;
  auto last = dyn_cast<AffineDimExpr>(output.getResults().back());
  if (!last || iterators[last.getPosition()] != utils::IteratorType::parallel)
    return std::nullopt;
  SmallVector<unsigned> order;
  for (unsigned loop = 0; loop < numLoops; ++loop)
    if (loop != last.getPosition())
      order.push_back(loop);
  order.push_back(last.getPosition());
  return order;
}

struct ContiguousInnerLoopPass
    : xf::impl::ContiguousInnerLoopPassBase<ContiguousInnerLoopPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics) {
      auto order = innermostParallelOrder(op);
      if (!order)
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, *order)))
        return signalPassFailure();
      LDBG() << "made the output's last dimension innermost in " << op;
    }
  }
};
} // namespace
