//===- FuseONNXToXF.cpp - onnx subgraphs -> xf transformer ops ------------===//

#include "passes/Passes.h"
#include "passes/Fusion/Fusion.h"

#include "dialects/XF/IR/XFOps.h"

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
    if (attention)
      xf::populateAttentionFusionPatterns(patterns);
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
  }
};
} // namespace
