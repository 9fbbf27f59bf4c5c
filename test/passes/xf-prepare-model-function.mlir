// RUN: xf-opt %s -split-input-file -xf-prepare-model-function | FileCheck %s
// RUN: xf-opt %s -split-input-file -xf-prepare-model-function="function=model" | FileCheck %s --check-prefix=NAMED

// The inputs keep their names and dim_params (xf-check-dim-params reads
// them), a weight loses its name and value (written to the weights file),
// the results their attributes; @main becomes xf_model with a C interface.
// CHECK-LABEL: func.func @xf_model
// CHECK-SAME: (%{{.+}}: tensor<?x?xi64> {onnx.dim_params = ["batch", "sequence"], onnx.name = "input_ids"},
// CHECK-SAME: %{{[^:]+}}: tensor<16x8xf32>)
// CHECK-SAME: -> tensor<?x?x8xf32>
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK-NOT: xf.value
// NAMED: func.func @model(
func.func @main(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "sequence"], onnx.name = "input_ids", xf.exported_name = "ids"},
                %w: tensor<16x8xf32> {xf.weight = "wte", xf.value = dense<0.5> : tensor<16x8xf32>})
    -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  %e = onnx.Gather %w, %ids : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}
