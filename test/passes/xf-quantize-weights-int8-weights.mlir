// RUN: xf-opt %s -xf-quantize-weights='bits=4 int8-weights=w1' | FileCheck %s

// int8-weights keeps the named weight at 8 bits (with the 8-bit default
// group size) under bits=4; every xf.qlinear records its weight's name and
// relative RMS error: w1's row 0 is 1, -2, 0.5, 127 (int8 scale 1, only 0.5
// is off, by 0.5: 0.5 / |row| = 0.5 / 127.02 = 3.936e-3), row 1 zeros.
// CHECK-LABEL: func.func @main
// CHECK:         xf.qlinear {{.+}} bits = 4 group_size = 32 {{.*}}{xf.quantization = {rel_rms_error = {{.+}} : f64, weight = "w0"}}
// CHECK:         xf.qlinear {{.+}} bits = 8 group_size = 128 symmetric int8_activations {xf.quantization = {rel_rms_error = 0.0039363{{[0-9]*}} : f64, weight = "w1"}}
func.func @main(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w0 = onnx.Constant {value = dense_resource<w0> : tensor<2x4xf32>} : tensor<2x4xf32>
  %w1 = onnx.Constant {value = dense_resource<w1> : tensor<2x4xf32>} : tensor<2x4xf32>
  %h = xf.linear %x, %w0 : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
  %y = xf.linear %x, %w1 : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
  %s = onnx.Add %h, %y : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %s : tensor<?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F000000C00000003F0000FE420000003F000080BF0000C03F00000040",
      w1: "0x040000000000803F000000C00000003F0000FE4200000000000000000000000000000000"
    }
  }
#-}
