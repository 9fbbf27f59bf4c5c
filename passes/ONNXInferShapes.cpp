//===- ONNXInferShapes.cpp - refine onnx result types ---------------------===//

#include "passes/Passes.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/SymbolicShapes.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "onnx-infer-shapes"

namespace xf {
#define GEN_PASS_DEF_ONNXINFERSHAPESPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
/// The type that knows every dimension either `declared` or `inferred`
/// knows, so a declared dimension the inference cannot see is kept; nullopt
/// if they contradict each other.
std::optional<Type> refineType(Type declared, Type inferred) {
  auto declaredTensor = dyn_cast<TensorType>(declared);
  auto inferredTensor = dyn_cast<TensorType>(inferred);
  if (!declaredTensor || !inferredTensor)
    return declared == inferred ? std::optional<Type>(declared) : std::nullopt;
  if (declaredTensor.getElementType() != inferredTensor.getElementType())
    return std::nullopt;
  if (!inferredTensor.hasRank())
    return declared;
  if (!declaredTensor.hasRank())
    return inferred;
  if (declaredTensor.getRank() != inferredTensor.getRank())
    return std::nullopt;
  SmallVector<int64_t> shape(declaredTensor.getShape());
  for (auto [dim, inferredDim] : llvm::zip(shape, inferredTensor.getShape())) {
    if (ShapedType::isDynamic(dim))
      dim = inferredDim;
    else if (!ShapedType::isDynamic(inferredDim) && dim != inferredDim)
      return std::nullopt;
  }
  return declaredTensor.clone(shape);
}

/// `type` with each dynamic dimension that `shapes` proves to be a
/// constant made static: a broadcast whose other operand is 1, a Reshape of
/// a dimension read back with Shape, an Expand to a shape computed from
/// constants in ways the op's own inference does not follow.
Type refineWithSymbolicDims(Value result,
                            xf::ONNX::SymbolicShapeAnalysis &shapes) {
  auto type = dyn_cast<RankedTensorType>(result.getType());
  if (!type || type.hasStaticShape())
    return result.getType();
  SmallVector<int64_t> shape(type.getShape());
  for (auto [d, dim] : llvm::enumerate(shape))
    if (ShapedType::isDynamic(dim))
      if (std::optional<int64_t> known = shapes.getDim(result, d).getConstant();
          known && *known >= 0)
        dim = *known;
  return type.clone(shape);
}

struct ONNXInferShapesPass
    : xf::impl::ONNXInferShapesPassBase<ONNXInferShapesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    xf::ONNX::SymbolicShapeAnalysis shapes(xf::XF::getResultDimSource);
    WalkResult walk = func.walk([&](xf::ONNX::ResultTypeInferenceOpInterface op) {
      SmallVector<Type> inferred;
      if (failed(op.inferResultTypes(inferred)))
        return WalkResult::interrupt();
      for (auto [index, result, type] :
           llvm::enumerate(op->getResults(), inferred)) {
        // Types refined earlier in the walk can reveal a conflict the
        // verifier could not see.
        std::optional<Type> refined = refineType(result.getType(), type);
        if (!refined) {
          op->emitOpError() << "result #" << index << " has type "
                            << result.getType()
                            << " but its refined operands give " << type;
          return WalkResult::interrupt();
        }
        if (*refined != result.getType()) {
          LDBG() << "refining " << result.getType() << " to " << *refined;
          result.setType(*refined);
        }
        Type symbolic = refineWithSymbolicDims(result, shapes);
        if (symbolic != result.getType()) {
          LDBG() << "refining " << result.getType() << " to " << symbolic
                 << " (symbolic shapes)";
          result.setType(symbolic);
        }
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
