//===- DeviceBuffers.cpp - a CUDA program's buffers in device memory ------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "xf-device-buffers"

namespace xf {
#define GEN_PASS_DEF_DEVICEBUFFERSPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {

/// Ops inside a parallel loop run in a kernel: not host code.
bool inKernel(Operation *op) {
  return op->getParentOfType<scf::ParallelOp>() ||
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

struct AllocToGpu : OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::AllocOp op,
                                PatternRewriter &rewriter) const override {
    if (inKernel(op))
      return rewriter.notifyMatchFailure(op, "allocates inside a kernel");
    if (op.getMemref().getType().getMemorySpace())
      return rewriter.notifyMatchFailure(op, "not the default memory space");
    Location loc = op.getLoc();
    Value token = startAsync(rewriter, loc);
    auto alloc = gpu::AllocOp::create(
        rewriter, loc, op.getMemref().getType(),
        gpu::AsyncTokenType::get(rewriter.getContext()), ValueRange(token),
        op.getDynamicSizes(), op.getSymbolOperands(), /*hostShared=*/false);
    gpu::WaitOp::create(rewriter, loc, Type(),
                        ValueRange(alloc.getAsyncToken()));
    rewriter.replaceOp(op, alloc.getMemref());
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
      signalPassFailure();
  }
};

} // namespace

void xf::populateDeviceBufferPatterns(RewritePatternSet &patterns) {
  patterns.add<AllocToGpu, DeallocToGpu, CopyToLinalg>(patterns.getContext());
}
