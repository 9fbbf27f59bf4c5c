//===- ConvertXFToLinalg.cpp - the xf-convert-xf-to-linalg pass -----------===//

#include "codegen/Passes.h"
#include "codegen/Utils/ShapeChecks.h"
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
    xf::ONNX::SymbolicShapeAnalysis shapes =
        xf::createShapeAnalysis(getOperation());
    RewritePatternSet patterns(context);
    xf::populateXFToLinalgPatterns(patterns, shapes);

    // Every xf op must go except the attention ops, which have lowerings of
    // their own (xf-lower-attention) or none yet, and xf.check_dim. Ops of
    // other dialects pass through, and the ops the patterns create must count
    // as legal.
    ConversionTarget target(*context);
    target.addIllegalDialect<xf::XF::XFDialect>();
    target.addLegalOp<xf::XF::AttentionOp, xf::XF::PagedAttentionOp>();
    // The run-time shape checks the patterns emit stay until
    // xf-lower-shape-checks.
    target.addLegalOp<xf::XF::CheckDimOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
