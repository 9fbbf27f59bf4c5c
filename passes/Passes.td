//===- Passes.td - xfc graph passes ------------------------*- tablegen -*-===//

#ifndef XF_PASSES_PASSES_TD
#define XF_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

def ONNXInferShapesPass : Pass<"onnx-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Refines onnx result types from their operands";
  let description = [{
    Re-runs result type inference on every onnx op in order and gives each
    result every dimension the inferred type knows (one that became known
    after constants were folded, say) while keeping the declared ones, then
    updates the function's result types to match what it returns. A refined
    operand that contradicts a declared result type is an error. Run it
    after `canonicalize` to turn shape computations into static shapes.
  }];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

#endif // XF_PASSES_PASSES_TD
