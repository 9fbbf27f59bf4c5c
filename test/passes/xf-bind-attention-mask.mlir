// RUN: xf-opt %s -split-input-file -xf-bind-attention-mask | FileCheck %s

// The mask becomes ones of [batch, past + sequence] and leaves the signature.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[IDS:[^:]+]]: tensor<?x?xi64> {onnx.name = "input_ids"}, %[[PAST:[^:]+]]: tensor<?x2x?x4xf32> {onnx.name = "past_key_values.0.key"})
// CHECK-DAG: %[[S:.+]] = onnx.Shape %[[IDS]] {end = 2 : i64, start = 1 : i64}
// CHECK-DAG: %[[P:.+]] = onnx.Shape %[[PAST]] {end = 3 : i64, start = 2 : i64}
// CHECK: %[[T:.+]] = onnx.Add %[[P]], %[[S]]
// CHECK: %[[B:.+]] = onnx.Shape %[[IDS]] {end = 1 : i64}
// CHECK: %[[SHAPE:.+]] = onnx.Concat %[[B]], %[[T]]
// CHECK: %[[ONES:.+]] = onnx.ConstantOfShape %[[SHAPE]] {value = dense<1> : tensor<1xi64>}
// CHECK: onnx.Cast %[[ONES]] {to = i1}
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %mask: tensor<?x?xi64> {onnx.name = "attention_mask"},
                %past: tensor<?x2x?x4xf32> {onnx.name = "past_key_values.0.key"})
    -> tensor<?x?xi1> {
  %b = onnx.Cast %mask {to = i1} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  return %b : tensor<?x?xi1>
}

// -----

// Without a mask input nothing changes.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%{{.+}}: tensor<?x?xi64> {onnx.name = "input_ids"}) -> tensor<?x?xi64>
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> tensor<?x?xi64> {
  return %ids : tensor<?x?xi64>
}
