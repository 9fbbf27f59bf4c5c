//===- Passes.td - xfc graph passes ------------------------*- tablegen -*-===//

#ifndef XF_PASSES_PASSES_TD
#define XF_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

def ONNXInferShapesPass : Pass<"onnx-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Refines onnx result types from their operands";
  let description = [{
    Re-runs result type inference on every onnx op in order and replaces a
    result type by the inferred one where that is more static (a dimension
    that became known after constants were folded, say), then updates the
    function's result types to match what it returns. Run it after
    `canonicalize` to turn shape computations into static shapes.
  }];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

#endif // XF_PASSES_PASSES_TD
