// RUN: xf-opt %s -split-input-file -xf-expose-linear-input-grams | FileCheck %s

// Two layers read %x (one weight through fusion's Transpose): one Gram
// matrix for both, listing both weights; a third reads %h: its own. The
// rows of X are its leading dimensions flattened; X^T X is a linear of X^T
// by itself.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    -> (tensor<1x?x3xf32> {onnx.name = "y"}, tensor<4x4xf32> {onnx.name = "xf.gram.0", xf.gram_weights = ["wq", "wk"]}, tensor<3x3xf32> {onnx.name = "xf.gram.1", xf.gram_weights = ["wo"]})
// CHECK:         %[[ROWS:.+]] = onnx.Reshape %arg0, %{{.+}} : (tensor<1x?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
// CHECK:         %[[COLS:.+]] = onnx.Transpose %[[ROWS]] {perm = [1, 0]} : (tensor<?x4xf32>) -> tensor<4x?xf32>
// CHECK:         %[[G0:.+]] = xf.linear %[[COLS]], %[[COLS]] : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4x4xf32>
// CHECK:         %[[G1:.+]] = xf.linear %{{.+}}, %{{.+}} : (tensor<3x?xf32>, tensor<3x?xf32>) -> tensor<3x3xf32>
// CHECK:         return %{{.+}}, %[[G0]], %[[G1]]
func.func @main(%x: tensor<1x?x4xf32>) -> (tensor<1x?x3xf32> {onnx.name = "y"}) {
  %wq = onnx.Constant {value = dense_resource<wq> : tensor<3x4xf32>} : tensor<3x4xf32>
  %wk = onnx.Constant {value = dense_resource<wk> : tensor<4x3xf32>} : tensor<4x3xf32>
  %wkt = onnx.Transpose %wk {perm = [1, 0]} : (tensor<4x3xf32>) -> tensor<3x4xf32>
  %wo = onnx.Constant {value = dense_resource<wo> : tensor<3x3xf32>} : tensor<3x3xf32>
  %q = xf.linear %x, %wq : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  %k = xf.linear %x, %wkt : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  %h = onnx.Add %q, %k : (tensor<1x?x3xf32>, tensor<1x?x3xf32>) -> tensor<1x?x3xf32>
  %y = xf.linear %h, %wo : (tensor<1x?x3xf32>, tensor<3x3xf32>) -> tensor<1x?x3xf32>
  return %y : tensor<1x?x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      wq: "0x04000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      wk: "0x04000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      wo: "0x04000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

// -----

// Nothing to expose: a weight that is a function argument (not a constant
// the quantizer packs) and an inline constant (no name to match across
// compiles).
// CHECK-LABEL: func.func @main
// CHECK-SAME:    -> tensor<?x2xf32>
// CHECK-NOT:     xf.gram
func.func @main(%x: tensor<?x4xf32>, %w: tensor<2x4xf32>) -> tensor<?x2xf32> {
  %y = xf.linear %x, %w : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
  %c = onnx.Constant {value = dense<1.0> : tensor<2x2xf32>} : tensor<2x2xf32>
  %z = xf.linear %y, %c : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %z : tensor<?x2xf32>
}
