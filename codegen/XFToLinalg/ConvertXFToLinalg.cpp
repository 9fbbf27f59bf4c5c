//===- ConvertXFToLinalg.cpp - the xf-convert-xf-to-linalg pass -----------===//

#include "codegen/Passes.h"
#include "codegen/XFToLinalg/XFToLinalg.h"

#include "dialects/XF/IR/XFOps.h"

#include "mlir/Transforms/DialectConversion.h"

namespace xf {
#define GEN_PASS_DEF_CONVERTXFTOLINALGPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
struct ConvertXFToLinalgPass
    : xf::impl::ConvertXFToLinalgPassBase<ConvertXFToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    xf::populateXFToLinalgPatterns(patterns);

    // Every xf op must go except the attention ops, which have lowerings of
    // their own (xf-lower-attention) or none yet. Ops of other dialects pass
    // through, and the ops the patterns create must count as legal.
    ConversionTarget target(*context);
    target.addIllegalDialect<xf::XF::XFDialect>();
    target.addLegalOp<xf::XF::AttentionOp, xf::XF::PagedAttentionOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
