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

def OutlineWeightsPass : Pass<"xf-outline-weights", "::mlir::ModuleOp"> {
  let summary = "Turns weight constants into arguments of @main";
  let description = [{
    Every `onnx.Constant` of @main whose value is a dense resource (a weight,
    as the importer makes them) becomes a new trailing argument of @main, in
    the order the constants appear. Each such argument carries `xf.weight`
    (the weight's name) and `xf.value` (the resource itself, so that the
    compiler can write the weights file). The generated code then reads
    weights through pointers the runtime passes in, from the memory-mapped
    weights file, instead of holding them in the executable.

    ```mlir
    func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x256xf32> {
      %w = onnx.Constant {value = dense_resource<wte> : tensor<256x64xf32>} : tensor<256x64xf32>
    ...
    // becomes
    func.func @main(%ids: tensor<?x?xi64>,
                    %w: tensor<256x64xf32> {xf.weight = "wte", xf.value = dense_resource<wte> : tensor<256x64xf32>})
    ```
  }];
  let dependentDialects = ["::xf::ONNX::ONNXDialect"];
}

#endif // XF_PASSES_PASSES_TD
