//===- TestSymbolicShapes.cpp - print what the shape analysis proves ------===//
//
// `test-symbolic-shapes` remarks, for every op result with a dynamic
// dimension, each dimension as the symbolic shape analysis expresses it
// (dialects/ONNX/IR/SymbolicShapes.h): lit tests check the proofs directly.
//
//===----------------------------------------------------------------------===//

#include "test/lib/TestPasses.h"

#include "dialects/ONNX/IR/SymbolicShapes.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace {
struct TestSymbolicShapesPass
    : PassWrapper<TestSymbolicShapesPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestSymbolicShapesPass)

  StringRef getArgument() const final { return "test-symbolic-shapes"; }
  StringRef getDescription() const final {
    return "Remarks each dynamic result dimension as the symbolic shape "
           "analysis expresses it";
  }

  void runOnOperation() override {
    xf::ONNX::SymbolicShapeAnalysis shapes(xf::XF::getResultDimSource);
    getOperation().walk([&](Operation *op) {
      for (OpResult result : op->getResults()) {
        auto type = dyn_cast<RankedTensorType>(result.getType());
        if (!type || type.hasStaticShape())
          continue;
        std::string text;
        llvm::raw_string_ostream os(text);
        os << "result " << result.getResultNumber() << ": [";
        for (int64_t d = 0; d < type.getRank(); ++d)
          os << (d ? ", " : "") << shapes.print(shapes.getDim(result, d));
        os << "]";
        op->emitRemark() << text;
      }
    });
  }
};
} // namespace

void xf::test::registerTestPasses() {
  PassRegistration<TestSymbolicShapesPass>();
}
