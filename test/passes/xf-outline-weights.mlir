// RUN: xf-opt %s -split-input-file -xf-outline-weights -verify-diagnostics | FileCheck %s

// Resource constants become trailing arguments, in order; inline constants
// stay.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.+]]: tensor<2x4xf32>,
// CHECK-SAME: %[[W:.+]]: tensor<4x3xf32> {xf.value = dense_resource<w0> : tensor<4x3xf32>, xf.weight = "w0"},
// CHECK-SAME: %[[B:.+]]: tensor<3xf32> {xf.value = dense_resource<b0> : tensor<3xf32>, xf.weight = "b0"})
// CHECK: %[[S:.+]] = onnx.Constant {value = dense<1.000000e+00> : tensor<f32>}
// CHECK: %[[M:.+]] = onnx.MatMul %[[X]], %[[W]]
// CHECK: %[[A:.+]] = onnx.Add %[[M]], %[[B]]
// CHECK: onnx.Mul %[[A]], %[[S]]
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = onnx.Constant {value = dense_resource<w0> : tensor<4x3xf32>} : tensor<4x3xf32>
  %b = onnx.Constant {value = dense_resource<b0> : tensor<3xf32>} : tensor<3xf32>
  %s = onnx.Constant {value = dense<1.0> : tensor<f32>} : tensor<f32>
  %m = onnx.MatMul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %a = onnx.Add %m, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %r = onnx.Mul %a, %s : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x04000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      b0: "0x04000000000000000000000000000000"
    }
  }
#-}

// -----

// A module without @main is an error.
// expected-error @+1 {{xf-outline-weights needs a func.func @main}}
module {
  func.func @other() {
    return
  }
}
