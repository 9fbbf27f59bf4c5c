// Numerics of the elementwise lowerings: the onnx kernels sit in a nested
// module that alone goes through xf-convert-onnx-to-linalg (the driver does
// not convert func.call); mlir-runner links it with the printing main.

// RUN: xf-opt %s -pass-pipeline='builtin.module(builtin.module(xf-convert-onnx-to-linalg,one-shot-bufferize{bufferize-function-boundaries}),one-shot-bufferize{bufferize-function-boundaries},convert-linalg-to-loops,expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-math-to-llvm,convert-arith-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts)' \
// RUN: | mlir-runner -e main -entry-point-result=void -link-nested-modules \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_runner_utils.so \
// RUN: | FileCheck %s

module {
  module @kernels {
    func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
      %0 = onnx.Add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
      return %0 : tensor<2x3xf32>
    }
    func.func @div_signed(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xf32> {
      %0 = onnx.Div %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
      %1 = onnx.Cast %0 {to = f32} : (tensor<4xi32>) -> tensor<4xf32>
      return %1 : tensor<4xf32>
    }
    func.func @div_unsigned(%a: tensor<2xui8>, %b: tensor<2xui8>) -> tensor<2xf32> {
      %0 = onnx.Div %a, %b : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xui8>
      %1 = onnx.Cast %0 {to = f32} : (tensor<2xui8>) -> tensor<2xf32>
      return %1 : tensor<2xf32>
    }
    func.func @cast_round_trip(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
      %0 = onnx.Cast %x {to = i32} : (tensor<4xf32>) -> tensor<4xi32>
      %1 = onnx.Cast %0 {to = f32} : (tensor<4xi32>) -> tensor<4xf32>
      %2 = onnx.Cast %x {to = i1} : (tensor<4xf32>) -> tensor<4xi1>
      %3 = onnx.Cast %2 {to = f32} : (tensor<4xi1>) -> tensor<4xf32>
      return %1, %3 : tensor<4xf32>, tensor<4xf32>
    }
    func.func @max_min_nan(%a: tensor<3xf32>, %b: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
      %0 = onnx.Max %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
      %1 = onnx.Min %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
      return %0, %1 : tensor<3xf32>, tensor<3xf32>
    }
    func.func @where_less(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
      %c = onnx.Less %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
      %nine = onnx.Constant {value = dense<9.0> : tensor<f32>} : tensor<f32>
      %0 = onnx.Where %c, %a, %nine : (tensor<3xi1>, tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
      return %0 : tensor<3xf32>
    }
    func.func @unary(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
      %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
      %0 = onnx.Sigmoid %x : (tensor<3xf32>) -> tensor<3xf32>
      %1 = onnx.Pow %x, %two : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
      %2 = onnx.Relu %x : (tensor<3xf32>) -> tensor<3xf32>
      return %0, %1, %2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
    }
  }

  func.func private @printMemrefF32(tensor<*xf32>)
  func.func private @add_broadcast(tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  func.func private @div_signed(tensor<4xi32>, tensor<4xi32>) -> tensor<4xf32>
  func.func private @div_unsigned(tensor<2xi8>, tensor<2xi8>) -> tensor<2xf32>
  func.func private @cast_round_trip(tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  func.func private @max_min_nan(tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  func.func private @where_less(tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  func.func private @unary(tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)

  func.func @main() {
    %a = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
    %b = arith.constant dense<[10.0, 20.0, 30.0]> : tensor<3xf32>
    %add = call @add_broadcast(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    %add_u = tensor.cast %add : tensor<2x3xf32> to tensor<*xf32>
    // CHECK: [11,   22,   33]
    // CHECK-NEXT: [14,   25,   36]
    call @printMemrefF32(%add_u) : (tensor<*xf32>) -> ()

    // Integer division truncates toward zero.
    %n = arith.constant dense<[-7, 7, -8, 9]> : tensor<4xi32>
    %d = arith.constant dense<[2, -2, 3, 3]> : tensor<4xi32>
    %div = call @div_signed(%n, %d) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xf32>
    %div_u = tensor.cast %div : tensor<4xf32> to tensor<*xf32>
    // CHECK: [-3,  -3,  -2,  3]
    call @printMemrefF32(%div_u) : (tensor<*xf32>) -> ()

    // ui8 250 / 3 and 7 / 2 (250 is -6 as signless i8).
    %un = arith.constant dense<[-6, 7]> : tensor<2xi8>
    %ud = arith.constant dense<[3, 2]> : tensor<2xi8>
    %udiv = call @div_unsigned(%un, %ud) : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xf32>
    %udiv_u = tensor.cast %udiv : tensor<2xf32> to tensor<*xf32>
    // CHECK: [83,  3]
    call @printMemrefF32(%udiv_u) : (tensor<*xf32>) -> ()

    %cx = arith.constant dense<[-2.7, 2.7, 0.5, 0.0]> : tensor<4xf32>
    %trunc, %bool = call @cast_round_trip(%cx) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
    %trunc_u = tensor.cast %trunc : tensor<4xf32> to tensor<*xf32>
    %bool_u = tensor.cast %bool : tensor<4xf32> to tensor<*xf32>
    // CHECK: [-2,  2,  0,  0]
    call @printMemrefF32(%trunc_u) : (tensor<*xf32>) -> ()
    // CHECK: [1,  1,  1,  0]
    call @printMemrefF32(%bool_u) : (tensor<*xf32>) -> ()

    %ma = arith.constant dense<[1.0, 0x7FC00000, 3.0]> : tensor<3xf32>
    %mb = arith.constant dense<[2.0, 0.0, -1.0]> : tensor<3xf32>
    %max, %min = call @max_min_nan(%ma, %mb) : (tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
    %max_u = tensor.cast %max : tensor<3xf32> to tensor<*xf32>
    %min_u = tensor.cast %min : tensor<3xf32> to tensor<*xf32>
    // CHECK: [2,  nan,  3]
    call @printMemrefF32(%max_u) : (tensor<*xf32>) -> ()
    // CHECK: [1,  nan,  -1]
    call @printMemrefF32(%min_u) : (tensor<*xf32>) -> ()

    // Less with NaN is false, so the NaN lane takes 9.
    %wh = call @where_less(%ma, %mb) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    %wh_u = tensor.cast %wh : tensor<3xf32> to tensor<*xf32>
    // CHECK: [1,  9,  9]
    call @printMemrefF32(%wh_u) : (tensor<*xf32>) -> ()

    %ux = arith.constant dense<[0.0, 3.0, -2.0]> : tensor<3xf32>
    %sig, %pow, %relu = call @unary(%ux) : (tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
    %sig_u = tensor.cast %sig : tensor<3xf32> to tensor<*xf32>
    %pow_u = tensor.cast %pow : tensor<3xf32> to tensor<*xf32>
    %relu_u = tensor.cast %relu : tensor<3xf32> to tensor<*xf32>
    // CHECK: [0.5,  0.952574,  0.119203]
    call @printMemrefF32(%sig_u) : (tensor<*xf32>) -> ()
    // CHECK: [0,  9,  4]
    call @printMemrefF32(%pow_u) : (tensor<*xf32>) -> ()
    // CHECK: [0,  3,  0]
    call @printMemrefF32(%relu_u) : (tensor<*xf32>) -> ()
    return
  }
}
