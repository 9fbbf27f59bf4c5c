// Numerics of the compute lowerings: the onnx kernels sit in a nested module
// that alone goes through xf-convert-onnx-to-linalg (the driver does not
// convert func.call); mlir-runner links it with the printing main.
// Expected values are from numpy.

// RUN: xf-opt %s -pass-pipeline='builtin.module(builtin.module(xf-convert-onnx-to-linalg,one-shot-bufferize{bufferize-function-boundaries}),one-shot-bufferize{bufferize-function-boundaries},convert-linalg-to-loops,expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-math-to-llvm,convert-arith-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts)' \
// RUN: | mlir-runner -e main -entry-point-result=void -link-nested-modules \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_runner_utils.so \
// RUN: | FileCheck %s

module {
  module @kernels {
    func.func @matmul(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x2xf32> {
      %0 = onnx.MatMul %a, %b : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
      return %0 : tensor<2x2xf32>
    }
    func.func @matmul_vector_batch(%a: tensor<2xf32>, %b: tensor<2x2x3xf32>) -> tensor<2x3xf32> {
      %0 = onnx.MatMul %a, %b : (tensor<2xf32>, tensor<2x2x3xf32>) -> tensor<2x3xf32>
      return %0 : tensor<2x3xf32>
    }
    func.func @gemm(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %c: tensor<2xf32>) -> tensor<2x2xf32> {
      %0 = onnx.Gemm %a, %b, %c {alpha = 2.0 : f32, beta = 0.5 : f32, transB = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32>
      return %0 : tensor<2x2xf32>
    }
    func.func @softmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
      %0 = onnx.Softmax %x {axis = -1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
      return %0 : tensor<2x3xf32>
    }
    func.func @layer_norm(%x: tensor<1x4xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<1x4xf32>, tensor<1x1xf32>, tensor<1x1xf32>) {
      %y, %mean, %inv = onnx.LayerNormalization %x, %s, %b {epsilon = 0.0 : f32}
          : (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>)
          -> (tensor<1x4xf32>, tensor<1x1xf32>, tensor<1x1xf32>)
      return %y, %mean, %inv : tensor<1x4xf32>, tensor<1x1xf32>, tensor<1x1xf32>
    }
    func.func @reduce(%x: tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<3xf32>) {
      %a1 = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
      %a0 = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : tensor<1xi64>
      %0 = onnx.ReduceMean %x, %a1 : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x1xf32>
      %1 = onnx.ReduceMax %x, %a0 {keepdims = 0 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<3xf32>
      return %0, %1 : tensor<2x1xf32>, tensor<3xf32>
    }
    func.func @cumsum(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
      %axis = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
      %0 = onnx.CumSum %x, %axis : (tensor<4xf32>, tensor<i64>) -> tensor<4xf32>
      %1 = onnx.CumSum %x, %axis {exclusive = 1 : i64, reverse = 1 : i64} : (tensor<4xf32>, tensor<i64>) -> tensor<4xf32>
      return %0, %1 : tensor<4xf32>, tensor<4xf32>
    }
  }

  func.func private @printMemrefF32(tensor<*xf32>)
  func.func private @matmul(tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  func.func private @matmul_vector_batch(tensor<2xf32>, tensor<2x2x3xf32>) -> tensor<2x3xf32>
  func.func private @gemm(tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  func.func private @softmax(tensor<2x3xf32>) -> tensor<2x3xf32>
  func.func private @layer_norm(tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<1x4xf32>, tensor<1x1xf32>, tensor<1x1xf32>)
  func.func private @reduce(tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<3xf32>)
  func.func private @cumsum(tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)

  func.func @main() {
    %m23 = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
    %m32 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]> : tensor<3x2xf32>
    %mm = call @matmul(%m23, %m32) : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
    %mm_u = tensor.cast %mm : tensor<2x2xf32> to tensor<*xf32>
    // CHECK: [4,   5]
    // CHECK-NEXT: [10,   11]
    call @printMemrefF32(%mm_u) : (tensor<*xf32>) -> ()

    %v = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
    %b223 = arith.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]> : tensor<2x2x3xf32>
    %vb = call @matmul_vector_batch(%v, %b223) : (tensor<2xf32>, tensor<2x2x3xf32>) -> tensor<2x3xf32>
    %vb_u = tensor.cast %vb : tensor<2x3xf32> to tensor<*xf32>
    // CHECK: [5,   7,   9]
    // CHECK-NEXT: [1,   1,   0]
    call @printMemrefF32(%vb_u) : (tensor<*xf32>) -> ()

    %gb = arith.constant dense<[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]> : tensor<2x3xf32>
    %gc = arith.constant dense<[10.0, 20.0]> : tensor<2xf32>
    %g = call @gemm(%m23, %gb, %gc) : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32>
    %g_u = tensor.cast %g : tensor<2x2xf32> to tensor<*xf32>
    // 2 * A B^T + 0.5 * C
    // CHECK: [13,   14]
    // CHECK-NEXT: [25,   20]
    call @printMemrefF32(%g_u) : (tensor<*xf32>) -> ()

    %sx = arith.constant dense<[[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]]> : tensor<2x3xf32>
    %sm = call @softmax(%sx) : (tensor<2x3xf32>) -> tensor<2x3xf32>
    %sm_u = tensor.cast %sm : tensor<2x3xf32> to tensor<*xf32>
    // The second row would overflow exp without the subtracted max.
    // CHECK: [0.0900306,   0.244728,   0.665241]
    // CHECK-NEXT: [0.333333,   0.333333,   0.333333]
    call @printMemrefF32(%sm_u) : (tensor<*xf32>) -> ()

    %lx = arith.constant dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>
    %ls = arith.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
    %lb = arith.constant dense<[0.0, 0.0, 1.0, 1.0]> : tensor<4xf32>
    %ly, %lmean, %linv = call @layer_norm(%lx, %ls, %lb) : (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<1x4xf32>, tensor<1x1xf32>, tensor<1x1xf32>)
    %ly_u = tensor.cast %ly : tensor<1x4xf32> to tensor<*xf32>
    %lmean_u = tensor.cast %lmean : tensor<1x1xf32> to tensor<*xf32>
    %linv_u = tensor.cast %linv : tensor<1x1xf32> to tensor<*xf32>
    // CHECK: [-1.34164,   -0.447214,   1.89443,   3.68328]
    call @printMemrefF32(%ly_u) : (tensor<*xf32>) -> ()
    // CHECK: {{\[}}[2.5]]
    call @printMemrefF32(%lmean_u) : (tensor<*xf32>) -> ()
    // CHECK: {{\[}}[0.894427]]
    call @printMemrefF32(%linv_u) : (tensor<*xf32>) -> ()

    %rx = arith.constant dense<[[1.0, 2.0, 6.0], [4.0, -5.0, 3.0]]> : tensor<2x3xf32>
    %rmean, %rmax = call @reduce(%rx) : (tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<3xf32>)
    %rmean_u = tensor.cast %rmean : tensor<2x1xf32> to tensor<*xf32>
    %rmax_u = tensor.cast %rmax : tensor<3xf32> to tensor<*xf32>
    // CHECK: {{\[}}[3],
    // CHECK-NEXT: [0.666667]]
    call @printMemrefF32(%rmean_u) : (tensor<*xf32>) -> ()
    // CHECK: [4,  2,  6]
    call @printMemrefF32(%rmax_u) : (tensor<*xf32>) -> ()

    %cx = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
    %cs, %cse = call @cumsum(%cx) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
    %cs_u = tensor.cast %cs : tensor<4xf32> to tensor<*xf32>
    %cse_u = tensor.cast %cse : tensor<4xf32> to tensor<*xf32>
    // CHECK: [1,  3,  6,  10]
    call @printMemrefF32(%cs_u) : (tensor<*xf32>) -> ()
    // CHECK: [9,  7,  4,  0]
    call @printMemrefF32(%cse_u) : (tensor<*xf32>) -> ()
    return
  }
}
