//===- FuseONNXToXF.cpp - onnx subgraphs -> xf transformer ops ------------===//

#include "passes/Passes.h"
#include "passes/Fusion/Fusion.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "xf-fuse-onnx-to-xf"

namespace xf {
#define GEN_PASS_DEF_FUSEONNXTOXFPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
struct FuseONNXToXFPass : xf::impl::FuseONNXToXFPassBase<FuseONNXToXFPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    xf::populateCompoundOpRaisingPatterns(patterns);
    llvm::DenseMap<Operation *, std::string> refusals;
    auto refuse = [&](Operation *op, StringRef why) {
      refusals[op] = why.str();
    };
    xf::populateAttentionOpRaisingPatterns(patterns, refuse);
    xf::populateQuantizedOpRaisingPatterns(patterns, refuse);
    // Reasons are kept per op and reported once, for the ops still there
    // after the greedy driver is done (a pattern may be tried many times).
    llvm::DenseMap<Operation *, std::string> reasons;
    std::function<void(Operation *, StringRef)> explain;
    if (remarks)
      explain = [&](Operation *op, StringRef why) { reasons[op] = why.str(); };
    if (attention)
      xf::populateAttentionFusionPatterns(patterns, explain);
    if (norms)
      xf::populateNormFusionPatterns(patterns);
    if (rope)
      xf::populateRopeFusionPatterns(patterns);
    if (activations)
      xf::populateActivationFusionPatterns(patterns);
    if (linear)
      xf::populateLinearFusionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      getOperation().emitWarning()
          << "xf-fuse-onnx-to-xf: patterns did not converge";
    // The attention and quantized operators have no lowering but the xf
    // op they are raised to: one left is an error here, with the reason,
    // rather than at the conversion.
    bool refused = false;
    getOperation().walk([&](Operation *op) {
      if (!isa<xf::ONNX::AttentionOp, xf::ONNX::RotaryEmbeddingOp,
               xf::ONNX::GroupQueryAttentionOp,
               xf::ONNX::MultiHeadAttentionOp,
               xf::ONNX::ContribRotaryEmbeddingOp, xf::ONNX::MatMulNBitsOp>(op))
        return;
      auto it = refusals.find(op);
      op->emitError() << op->getName().stripDialect()
                      << " cannot be compiled: "
                      << (it != refusals.end() ? it->second
                                               : std::string("not raised"));
      refused = true;
    });
    if (refused)
      return signalPassFailure();
    if (!remarks)
      return;
    getOperation().walk([&](Operation *op) {
      auto it = reasons.find(op);
      if (isa<xf::XF::AttentionOp>(op) && it != reasons.end())
        op->emitRemark() << "attention fused, but " << it->second;
      else if (isa<xf::ONNX::MatMulOp>(op) && it != reasons.end())
        op->emitRemark() << "attention not fused: " << it->second;
    });
  }
};
} // namespace
