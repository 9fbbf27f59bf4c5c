//===- MapParallelLoopsToGpu.cpp - parallel loops -> blocks x threads -----===//

#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"
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

/// Whether a kernel can take `type` as one bare pointer: a static shape
/// and the identity layout (the sizes and strides are not passed).
bool isBarePointerType(MemRefType type) {
  return type.hasStaticShape() && type.getLayout().isIdentity();
}

/// Each buffer `kernel` (the body of a loop that becomes one) reads from
/// above with dynamic sizes or strides is passed as its base buffer (0-d,
/// a bare pointer) and its offset, sizes and strides (integers), and
/// rebuilt inside with memref.reinterpret_cast: the bare-pointer
/// convention of the kernels' arguments cannot carry them.
void passSizesApart(RewriterBase &rewriter, scf::ParallelOp loop,
                    Block *kernel) {
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(loop.getRegion(), captured);
  for (Value buffer : captured) {
    auto type = dyn_cast<MemRefType>(buffer.getType());
    if (!type || isBarePointerType(type))
      continue;
    Location loc = buffer.getLoc();
    rewriter.setInsertionPoint(loop);
    auto metadata =
        memref::ExtractStridedMetadataOp::create(rewriter, loc, buffer);
    auto [strides, offset] = type.getStridesAndOffset();
    auto staticOr = [&](int64_t value, Value dynamic) -> OpFoldResult {
      if (ShapedType::isDynamic(value))
        return dynamic;
      return rewriter.getIndexAttr(value);
    };
    SmallVector<OpFoldResult> sizes, strideValues;
    for (auto [size, value] : llvm::zip(type.getShape(), metadata.getSizes()))
      sizes.push_back(staticOr(size, value));
    for (auto [stride, value] : llvm::zip(strides, metadata.getStrides()))
      strideValues.push_back(staticOr(stride, value));
    rewriter.setInsertionPointToStart(kernel);
    Value view = memref::ReinterpretCastOp::create(
        rewriter, loc, type, metadata.getBaseBuffer(),
        staticOr(offset, metadata.getOffset()), sizes, strideValues);
    rewriter.replaceUsesWithIf(buffer, view, [&](OpOperand &use) {
      return loop->isProperAncestor(use.getOwner());
    });
  }
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
  bool unitStep = getConstantIntValue(loop.getStep()[0]) == 1;
  auto [tiles, inTile] =
      scf::tileParallelLoop(loop, {blockSize}, /*noMinMaxBounds=*/true);
  LDBG() << "mapped a loop to blocks of " << blockSize << " threads";
  // With step 1 (a collapsed loop's), the tile step and the threads of a
  // block are the block size: as a constant, the launch's block is one
  // (tiling writes it as 1 * size).
  if (unitStep) {
    rewriter.setInsertionPoint(tiles);
    Value threads =
        arith::ConstantIndexOp::create(rewriter, tiles.getLoc(), blockSize);
    rewriter.modifyOpInPlace(
        tiles, [&] { tiles.getStepMutable()[0].assign(threads); });
    rewriter.modifyOpInPlace(
        inTile, [&] { inTile.getUpperBoundMutable()[0].assign(threads); });
  }
  mapTo(tiles, gpu::Processor::BlockX);
  mapTo(inTile, gpu::Processor::ThreadX);
  passSizesApart(rewriter, tiles, inTile.getBody());
}
