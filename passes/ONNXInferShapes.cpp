//===- ONNXInferShapes.cpp - refine onnx result types ---------------------===//

#include "passes/Passes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "onnx-infer-shapes"

namespace xf {
#define GEN_PASS_DEF_ONNXINFERSHAPESPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
/// Counts the dimensions a type knows; more means more static.
int64_t knownDims(Type type) {
  auto tensor = dyn_cast<TensorType>(type);
  if (!tensor || !tensor.hasRank())
    return -1;
  return llvm::count_if(tensor.getShape(),
                        [](int64_t d) { return !ShapedType::isDynamic(d); });
}

struct ONNXInferShapesPass
    : xf::impl::ONNXInferShapesPassBase<ONNXInferShapesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    WalkResult walk = func.walk([&](xf::ONNX::ResultTypeInferenceOpInterface op) {
      SmallVector<Type> inferred;
      if (failed(op.inferResultTypes(inferred)))
        return WalkResult::interrupt();
      for (auto [result, type] : llvm::zip(op->getResults(), inferred))
        if (knownDims(type) > knownDims(result.getType())) {
          LDBG() << "refining " << result.getType() << " to " << type;
          result.setType(type);
        }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (func.isExternal())
      return;
    Operation *terminator = func.getBody().back().getTerminator();
    func.setType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                   terminator->getOperandTypes()));
  }
};
} // namespace
