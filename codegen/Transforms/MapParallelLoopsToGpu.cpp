//===- MapParallelLoopsToGpu.cpp - parallel loops -> blocks x threads -----===//

#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/DebugLog.h"

#include <numeric>

#define DEBUG_TYPE "xf-map-parallel-loops-to-gpu"

namespace xf {
#define GEN_PASS_DEF_MAPPARALLELLOOPSTOGPUPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {

/// Remembers the scf.parallel a utility creates in `block`
/// (collapseParallelLoops replaces the loop it is given and does not return
/// the new one; the loops it clones into the body are not that one).
struct CreatedLoop : RewriterBase::Listener {
  explicit CreatedLoop(Block *block) : block(block) {}
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    if (auto loop = dyn_cast<scf::ParallelOp>(op);
        loop && op->getBlock() == block)
      created = loop;
  }
  Block *block;
  scf::ParallelOp created;
};

/// Maps the (one-dimensional) `loop` to `processor`.
void mapTo(scf::ParallelOp loop, gpu::Processor processor) {
  MLIRContext *context = loop.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, context);
  // Cannot fail: one dimension, one processor.
  (void)gpu::setMappingAttr(loop, gpu::ParallelLoopDimMappingAttr::get(
                                      context, processor, identity, identity));
}

/// `loop` as nested scf.for loops (convert-parallel-loops-to-gpu maps a
/// parallel loop only where it directly nests in a mapped one, not inside
/// a thread's scf.for).
void toSequentialLoops(RewriterBase &rewriter, scf::ParallelOp loop) {
  rewriter.setInsertionPoint(loop);
  scf::LoopNest nest =
      scf::buildLoopNest(rewriter, loop.getLoc(), loop.getLowerBound(),
                         loop.getUpperBound(), loop.getStep());
  Block *innermost = nest.loops.back().getBody();
  SmallVector<Value> inductionVariables;
  for (scf::ForOp forLoop : nest.loops)
    inductionVariables.push_back(forLoop.getInductionVar());
  rewriter.eraseOp(loop.getBody()->getTerminator());
  rewriter.inlineBlockBefore(loop.getBody(), innermost->getTerminator(),
                             inductionVariables);
  rewriter.eraseOp(loop);
}

struct MapParallelLoopsToGpuPass
    : xf::impl::MapParallelLoopsToGpuPassBase<MapParallelLoopsToGpuPass> {
  using MapParallelLoopsToGpuPassBase::MapParallelLoopsToGpuPassBase;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        outermost.push_back(loop);
        return WalkResult::skip();
      }
      return WalkResult::advance();
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : outermost) {
      if (loop.getNumResults() != 0) {
        loop.emitError("a parallel loop with a reduction result cannot be "
                       "mapped to the GPU yet");
        return signalPassFailure();
      }
      xf::mapParallelLoopToGpu(rewriter, loop, blockSize);
    }
  }
};

} // namespace

void xf::mapParallelLoopToGpu(RewriterBase &rewriter, scf::ParallelOp loop,
                              int64_t blockSize) {
  SmallVector<scf::ParallelOp> nested;
  loop.getBody()->walk([&](scf::ParallelOp inner) { nested.push_back(inner); });
  // Post-order: the innermost first, so that each moves with its parent.
  for (scf::ParallelOp inner : nested)
    toSequentialLoops(rewriter, inner);
  // One dimension: any loop nest fills whole blocks, whatever its shape.
  if (loop.getNumLoops() > 1) {
    std::vector<unsigned> all(loop.getNumLoops());
    std::iota(all.begin(), all.end(), 0u);
    CreatedLoop listener(loop->getBlock());
    OpBuilder::Listener *previous = rewriter.getListener();
    rewriter.setListener(&listener);
    rewriter.setInsertionPoint(loop);
    collapseParallelLoops(rewriter, loop, {all});
    rewriter.setListener(previous);
    loop = listener.created;
  }
  auto [tiles, inTile] =
      scf::tileParallelLoop(loop, {blockSize}, /*noMinMaxBounds=*/true);
  LDBG() << "mapped a loop to blocks of " << blockSize << " threads";
  mapTo(tiles, gpu::Processor::BlockX);
  mapTo(inTile, gpu::Processor::ThreadX);
}
