// RUN: xf-opt %s -split-input-file -xf-check-dim-params | FileCheck %s
// RUN: xf-opt %s -split-input-file -xf-check-dim-params -xf-convert-onnx-to-linalg | FileCheck %s --check-prefix=LOWERED

// Every named dimension is checked against the first of its name; the
// names move into xf.checked_dim_params, and onnx.dim_params and onnx.name
// (read for the messages) leave the arguments.
// CHECK-LABEL: func.func @named
// CHECK-SAME: (%[[IDS:[^:]+]]: tensor<?x?xi64>, %[[POS:[^:]+]]: tensor<?x?xi64>, %[[W:[^:]+]]: tensor<4xf32>)
// CHECK-SAME: attributes {xf.checked_dim_params = {{\[}}["batch", "sequence"], ["batch", "sequence"], []]}
// CHECK: %[[PB:.+]] = tensor.dim %[[POS]], %{{.+}}
// CHECK: %[[IB:.+]] = tensor.dim %[[IDS]], %{{.+}}
// CHECK: xf.check_dim %[[PB]], %[[IB]] "@named: dimension 0 ('batch') of input 'position_ids' (named like dimension 0 of input 'input_ids')"
// CHECK: %[[PS:.+]] = tensor.dim %[[POS]], %{{.+}}
// CHECK: %[[IS:.+]] = tensor.dim %[[IDS]], %{{.+}}
// CHECK: xf.check_dim %[[PS]], %[[IS]] "@named: dimension 1 ('sequence') of input 'position_ids' (named like dimension 1 of input 'input_ids')"
// CHECK-NOT: xf.check_dim
// CHECK-NOT: onnx.dim_params
// CHECK-NOT: onnx.name
// After the entry checks the shape analysis takes each name for one size:
// the Add of the two inputs needs no check of its own.
// LOWERED-LABEL: func.func @named
// LOWERED-COUNT-2: xf.check_dim
// LOWERED-NOT: xf.check_dim
// LOWERED-NOT: scf.if
// LOWERED: linalg.generic
// LOWERED: arith.addi
func.func @named(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "sequence"], onnx.name = "input_ids"},
                 %pos: tensor<?x?xi64> {onnx.dim_params = ["batch", "sequence"], onnx.name = "position_ids"},
                 %w: tensor<4xf32> {onnx.name = "w"}) -> tensor<?x?xi64> {
  %0 = onnx.Add %ids, %pos : (tensor<?x?xi64>, tensor<?x?xi64>) -> tensor<?x?xi64>
  return %0 : tensor<?x?xi64>
}

// -----

// Near miss: names that appear once, or empty names, check nothing, and the
// Add's dimensions stay unproven.
// CHECK-LABEL: func.func @distinct
// CHECK-NOT: xf.check_dim
// CHECK: onnx.Add
// LOWERED-LABEL: func.func @distinct
// LOWERED-COUNT-4: xf.check_dim {{.+}} broadcast "{{.*}}(onnx.Add)
func.func @distinct(%a: tensor<?x?xf32> {onnx.dim_params = ["rows", ""]},
                    %b: tensor<?x?xf32> {onnx.dim_params = ["", "cols"]}) -> tensor<?x?xf32> {
  %0 = onnx.Add %a, %b : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
