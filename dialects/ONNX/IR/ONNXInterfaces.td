//===- ONNXInterfaces.td - onnx op interfaces --------------*- tablegen -*-===//

#ifndef XF_DIALECTS_ONNX_IR_ONNXINTERFACES_TD
#define XF_DIALECTS_ONNX_IR_ONNXINTERFACES_TD

include "mlir/IR/OpBase.td"

def ONNX_ResultTypeInferenceOpInterface
    : OpInterface<"ResultTypeInferenceOpInterface"> {
  let cppNamespace = "::xf::ONNX";
  let description = [{
    Computes an op's result types from its operand types, its attributes and
    the values of constant operands (a Reshape's shape, a Slice's starts).
    Dimensions that cannot be known are dynamic. The importer calls it on
    every op it creates; the verifier checks the declared result types
    against it.
  }];
  let methods = [
    InterfaceMethod<
      "Appends one inferred type per result; emits an error and fails if "
      "the operands are inconsistent.",
      "::llvm::LogicalResult", "inferResultTypes",
      (ins "::llvm::SmallVectorImpl<::mlir::Type> &":$resultTypes)>,
  ];
  let verify = [{
    return ::xf::ONNX::verifyInferredResultTypes($_op);
  }];
}

#endif // XF_DIALECTS_ONNX_IR_ONNXINTERFACES_TD
