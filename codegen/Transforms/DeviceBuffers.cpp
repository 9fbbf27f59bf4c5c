//===- DeviceBuffers.cpp - a CUDA program's buffers in device memory ------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "xf-device-buffers"

namespace xf {
#define GEN_PASS_DEF_DEVICEBUFFERSPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {

/// The argument attribute of a model function argument host code reads.
constexpr llvm::StringLiteral kHostAccessible = "xf.host_accessible";

/// Ops inside a parallel loop run in a kernel: not host code.
bool inKernel(Operation *op) {
  return op->getParentOfType<scf::ParallelOp>() ||
         op->getParentOfType<scf::ForallOp>() ||
         op->getParentOfType<gpu::LaunchOp>();
}

/// A token for the async form, and a wait for what it produces: gpu-to-llvm
/// lowers gpu.alloc and gpu.dealloc only with async dependencies.
Value startAsync(PatternRewriter &rewriter, Location loc) {
  return gpu::WaitOp::create(rewriter, loc,
                             gpu::AsyncTokenType::get(rewriter.getContext()),
                             ValueRange())
      .getAsyncToken();
}

/// Where the ops that use a buffer (through its views) run: in a kernel
/// (inside a parallel loop or a linalg op with loops, which becomes one),
/// on the host (loads and stores outside them, 0-d linalg ops, a reshape's
/// shape operand, calls, the returned results the runtime reads), or
/// neither (sizes, frees).
struct BufferUses {
  bool host = false, kernel = false, escapes = false;
};

BufferUses usesOf(Value buffer) {
  BufferUses uses;
  SmallVector<Value> worklist = {buffer};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (inKernel(user)) {
        uses.kernel = true;
        continue;
      }
      if (auto reshape = dyn_cast<memref::ReshapeOp>(user)) {
        if (use.get() == reshape.getShape())
          uses.host = true;
        else
          worklist.push_back(reshape.getResult());
        continue;
      }
      if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
        if (view.getViewSource() == use.get())
          for (Value result : user->getResults())
            worklist.push_back(result);
        continue;
      }
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(user)) {
        (linalgOp.getNumLoops() ? uses.kernel : uses.host) = true;
        continue;
      }
      if (auto copy = dyn_cast<memref::CopyOp>(user)) {
        (copy.getSource().getType().getRank() ? uses.kernel : uses.host) = true;
        continue;
      }
      if (auto yield = dyn_cast<scf::YieldOp>(user);
          yield && isa<scf::IfOp>(user->getParentOp())) {
        worklist.push_back(
            user->getParentOp()->getResult(use.getOperandNumber()));
        continue;
      }
      if (isa<memref::DeallocOp, gpu::DeallocOp, gpu::MemcpyOp, memref::DimOp,
              memref::ExtractStridedMetadataOp,
              memref::ExtractAlignedPointerAsIndexOp>(user))
        continue;
      // Loads, stores, calls, returns and anything unknown: the host.
      uses.host = true;
      uses.escapes |= isa<func::ReturnOp, scf::YieldOp>(user);
    }
  }
  return uses;
}

/// gpu.alloc in device memory, or in managed memory (host_shared) when
/// host code reads or writes the buffer too: shape and index tensors.
Value allocateOnDevice(PatternRewriter &rewriter, Location loc, MemRefType type,
                       ValueRange sizes, ValueRange symbols, bool hostShared) {
  // gpu-to-llvm lowers a host-shared allocation only in the sync form, a
  // device one only in the async form.
  if (hostShared)
    return gpu::AllocOp::create(rewriter, loc, type, Type(), ValueRange(),
                                sizes, symbols, /*hostShared=*/true)
        .getMemref();
  Value token = startAsync(rewriter, loc);
  auto alloc = gpu::AllocOp::create(
      rewriter, loc, type, gpu::AsyncTokenType::get(rewriter.getContext()),
      ValueRange(token), sizes, symbols, /*hostShared=*/false);
  gpu::WaitOp::create(rewriter, loc, Type(), ValueRange(alloc.getAsyncToken()));
  return alloc.getMemref();
}

struct AllocToGpu : OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::AllocOp op,
                                PatternRewriter &rewriter) const override {
    if (inKernel(op))
      return rewriter.notifyMatchFailure(op, "allocates inside a kernel");
    if (op.getMemref().getType().getMemorySpace())
      return rewriter.notifyMatchFailure(op, "not the default memory space");
    Value buffer = allocateOnDevice(
        rewriter, op.getLoc(), op.getMemref().getType(), op.getDynamicSizes(),
        op.getSymbolOperands(), usesOf(op.getMemref()).host);
    rewriter.replaceOp(op, buffer);
    return success();
  }
};

/// A constant a kernel reads: copied from host memory into a buffer of its
/// own, freed at the end of the block.
struct GlobalToGpu : OpRewritePattern<memref::GetGlobalOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::GetGlobalOp op,
                                PatternRewriter &rewriter) const override {
    if (inKernel(op))
      return rewriter.notifyMatchFailure(op, "inside a kernel");
    BufferUses uses = usesOf(op.getResult());
    if (!uses.kernel)
      return rewriter.notifyMatchFailure(op, "read on the host only");
    if (uses.escapes)
      return rewriter.notifyMatchFailure(op, "leaves its block");
    Location loc = op.getLoc();
    MemRefType type = op.getType();
    rewriter.setInsertionPointAfter(op);
    Value copy = allocateOnDevice(rewriter, loc, type, ValueRange(),
                                  ValueRange(), uses.host);
    rewriter.replaceAllUsesWith(op.getResult(), copy);
    Value token = startAsync(rewriter, loc);
    auto memcpy = gpu::MemcpyOp::create(
        rewriter, loc, gpu::AsyncTokenType::get(rewriter.getContext()),
        ValueRange(token), copy, op.getResult());
    gpu::WaitOp::create(rewriter, loc, Type(),
                        ValueRange(memcpy.getAsyncToken()));
    rewriter.setInsertionPoint(op->getBlock()->getTerminator());
    Value freeToken = startAsync(rewriter, loc);
    auto free = gpu::DeallocOp::create(
        rewriter, loc, gpu::AsyncTokenType::get(rewriter.getContext()),
        ValueRange(freeToken), copy);
    gpu::WaitOp::create(rewriter, loc, Type(),
                        ValueRange(free.getAsyncToken()));
    return success();
  }
};

/// The largest value `size` can take: the tile size of a min(tile,
/// remaining) (arith.minui, which the value-bounds analysis does not
/// know), else what that analysis proves.
FailureOr<int64_t> upperBound(Value size) {
  if (auto min = size.getDefiningOp<arith::MinUIOp>())
    for (Value operand : {min.getLhs(), min.getRhs()})
      if (std::optional<int64_t> tile = getConstantIntValue(operand))
        return *tile;
  return ValueBoundsConstraintSet::computeConstantBound(
      presburger::BoundType::UB, size, nullptr, /*closedUB=*/true);
}

/// A kernel's scratch buffer (a flash-attention tile's scores and running
/// statistics): the thread's own memory, of the largest size it can have
/// when its size is dynamic (a last, partial tile), viewed at its size.
struct KernelAllocToAlloca : OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::AllocOp op,
                                PatternRewriter &rewriter) const override {
    if (!inKernel(op))
      return rewriter.notifyMatchFailure(op, "host code");
    MemRefType type = op.getType();
    if (!type.getLayout().isIdentity() || !op.getSymbolOperands().empty())
      return rewriter.notifyMatchFailure(op, "not a plain buffer");
    // The element count it can reach: a static size, or each dynamic
    // size's constant upper bound.
    int64_t capacity = 1;
    auto dynamicSize = op.getDynamicSizes().begin();
    for (int64_t size : type.getShape()) {
      if (!ShapedType::isDynamic(size)) {
        capacity *= size;
        continue;
      }
      FailureOr<int64_t> bound = upperBound(*dynamicSize++);
      if (failed(bound))
        return rewriter.notifyMatchFailure(op, "a size without a bound");
      capacity *= *bound;
    }
    Location loc = op.getLoc();
    for (Operation *user : llvm::make_early_inc_range(op->getUsers()))
      if (isa<memref::DeallocOp>(user))
        rewriter.eraseOp(user);
    if (type.hasStaticShape()) {
      rewriter.replaceOpWithNewOp<memref::AllocaOp>(op, type,
                                                    op.getAlignmentAttr());
      return success();
    }
    Value storage = memref::AllocaOp::create(
        rewriter, loc, MemRefType::get({capacity}, type.getElementType()),
        op.getAlignmentAttr());
    // Row-major strides of the dynamic sizes: the identity layout.
    SmallVector<OpFoldResult> sizes = op.getMixedSizes();
    SmallVector<OpFoldResult> strides(sizes.size());
    OpFoldResult stride = rewriter.getIndexAttr(1);
    for (int64_t dim = type.getRank() - 1; dim >= 0; --dim) {
      strides[dim] = stride;
      stride = affine::makeComposedFoldedAffineApply(
          rewriter, loc,
          rewriter.getAffineSymbolExpr(0) * rewriter.getAffineSymbolExpr(1),
          {stride, sizes[dim]});
    }
    rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
        op, type, storage, rewriter.getIndexAttr(0), sizes, strides);
    return success();
  }
};

struct DeallocToGpu : OpRewritePattern<memref::DeallocOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::DeallocOp op,
                                PatternRewriter &rewriter) const override {
    if (inKernel(op))
      return rewriter.notifyMatchFailure(op, "frees inside a kernel");
    Location loc = op.getLoc();
    Value token = startAsync(rewriter, loc);
    auto dealloc = gpu::DeallocOp::create(
        rewriter, loc, gpu::AsyncTokenType::get(rewriter.getContext()),
        ValueRange(token), op.getMemref());
    gpu::WaitOp::create(rewriter, loc, Type(),
                        ValueRange(dealloc.getAsyncToken()));
    rewriter.eraseOp(op);
    return success();
  }
};

struct CopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                op.getTarget());
    return success();
  }
};

struct DeviceBuffersPass : xf::impl::DeviceBuffersPassBase<DeviceBuffersPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    xf::populateDeviceBufferPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // What the runtime must pass in memory both sides reach: the arguments
    // host code reads (positions, slot mappings checked on the host).
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    for (BlockArgument argument : function.getArguments())
      if (isa<MemRefType>(argument.getType()) && usesOf(argument).host)
        function.setArgAttr(argument.getArgNumber(), kHostAccessible,
                            UnitAttr::get(&getContext()));
  }
};

} // namespace

void xf::populateDeviceBufferPatterns(RewritePatternSet &patterns) {
  patterns.add<AllocToGpu, DeallocToGpu, CopyToLinalg, GlobalToGpu,
               KernelAllocToAlloca>(patterns.getContext());
}
