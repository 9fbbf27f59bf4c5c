//===- ConvertONNXToLinalg.cpp - the xf-convert-onnx-to-linalg pass -------===//

#include "codegen/ONNXToLinalg/ONNXToLinalg.h"
#include "codegen/Passes.h"
#include "codegen/Utils/ShapeChecks.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"

namespace xf {
#define GEN_PASS_DEF_CONVERTONNXTOLINALGPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
struct ConvertONNXToLinalgPass
    : xf::impl::ConvertONNXToLinalgPassBase<ConvertONNXToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    TypeConverter converter;
    xf::populateONNXToLinalgTypeConversions(converter);

    xf::ONNX::SymbolicShapeAnalysis shapes =
        xf::createShapeAnalysis(getOperation());
    RewritePatternSet patterns(context);
    xf::populateONNXElementwiseToLinalgPatterns(converter, patterns, shapes);
    xf::populateONNXComputeToLinalgPatterns(converter, patterns, shapes);
    xf::populateONNXDataMovementToLinalgPatterns(converter, patterns, shapes);

    ConversionTarget target(*context);
    target.addIllegalDialect<xf::ONNX::ONNXDialect>();
    target.addLegalOp<ModuleOp>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           scf::SCFDialect, xf::XF::XFDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp func) {
      return converter.isSignatureLegal(func.getFunctionType());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    // Ops of other dialects (calls, bufferization in test drivers) pass
    // through; only onnx ops must go.
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    if (failed(applyFullConversion(getOperation(), target,
                                   std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
