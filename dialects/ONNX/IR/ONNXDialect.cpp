//===- ONNXDialect.cpp - the onnx dialect ---------------------------------===//

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace xf::ONNX;

#include "dialects/ONNX/IR/ONNXOpsDialect.cpp.inc"
#include "dialects/ONNX/IR/ONNXInterfaces.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/ONNX/IR/ONNXOps.cpp.inc"
      >();
}

Operation *ONNXDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

bool xf::ONNX::isCompatibleRefinement(Type declared, Type inferred) {
  auto declaredTensor = dyn_cast<TensorType>(declared);
  auto inferredTensor = dyn_cast<TensorType>(inferred);
  if (!declaredTensor || !inferredTensor)
    return declared == inferred;
  if (declaredTensor.getElementType() != inferredTensor.getElementType())
    return false;
  if (!declaredTensor.hasRank() || !inferredTensor.hasRank())
    return true;
  if (declaredTensor.getRank() != inferredTensor.getRank())
    return false;
  for (auto [d, i] :
       llvm::zip(declaredTensor.getShape(), inferredTensor.getShape()))
    if (!ShapedType::isDynamic(d) && !ShapedType::isDynamic(i) && d != i)
      return false;
  return true;
}

LogicalResult xf::ONNX::verifyInferredResultTypes(Operation *op) {
  auto inference = cast<ResultTypeInferenceOpInterface>(op);
  SmallVector<Type> inferred;
  if (failed(inference.inferResultTypes(inferred)))
    return failure();
  if (inferred.size() != op->getNumResults())
    return op->emitOpError() << "has " << op->getNumResults()
                             << " results but " << inferred.size()
                             << " were inferred";
  for (auto [index, result, type] :
       llvm::enumerate(op->getResultTypes(), inferred))
    if (!isCompatibleRefinement(result, type))
      return op->emitOpError()
             << "result #" << index << " has type " << result
             << " but its operands and attributes give " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// Verifiers for what neither traits nor result type inference check.
//===----------------------------------------------------------------------===//

LogicalResult SplitOp::verify() {
  if (auto n = getNumOutputs(); n && *n != getNumResults())
    return emitOpError() << "has num_outputs = " << static_cast<int64_t>(*n)
                         << " but " << getNumResults() << " results";
  if (getSplit() && getNumOutputs())
    return emitOpError() << "takes either a split operand or num_outputs, "
                            "not both";
  return success();
}

LogicalResult ConstantOfShapeOp::verify() {
  if (auto value = getValueAttr(); value && value.getNumElements() != 1)
    return emitOpError() << "value must have exactly one element, it has "
                         << value.getNumElements();
  return success();
}

#define GET_OP_CLASSES
#include "dialects/ONNX/IR/ONNXOps.cpp.inc"
