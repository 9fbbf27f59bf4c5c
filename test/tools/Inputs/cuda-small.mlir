// A function with the kinds of loop nest a model has, for the cuda target:
// a matmul (a reduction inside each output element), elementwise math that
// needs libdevice (tanh, log) and a row reduction.
func.func @main(%a: tensor<64x128xf32>, %b: tensor<128x96xf32>, %c: tensor<96xf32>) -> (tensor<64x96xf32>, tensor<64x1xf32>) {
  %mm = onnx.MatMul %a, %b : (tensor<64x128xf32>, tensor<128x96xf32>) -> tensor<64x96xf32>
  %add = onnx.Add %mm, %c : (tensor<64x96xf32>, tensor<96xf32>) -> tensor<64x96xf32>
  %t = onnx.Tanh %add : (tensor<64x96xf32>) -> tensor<64x96xf32>
  %s = onnx.Sigmoid %t : (tensor<64x96xf32>) -> tensor<64x96xf32>
  %l = onnx.Log %s : (tensor<64x96xf32>) -> tensor<64x96xf32>
  %axes = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
  %r = onnx.ReduceSum %l, %axes : (tensor<64x96xf32>, tensor<1xi64>) -> tensor<64x1xf32>
  return %l, %r : tensor<64x96xf32>, tensor<64x1xf32>
}
