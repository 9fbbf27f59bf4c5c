// Numerics of xf-lower-qlinear-to-microkernels: run-linear.mlir's qlinear
// cases (XFToLinalg/run-linear.mlir; expected values numpy's float64) through
// the runtime's xfrt_qmatmul_f32 instead of the reference lowering. The int4
// case with f16 scales is not the kernel's and keeps the reference
// lowering; the others call the kernel (CALLS). Biases become onnx.Add.

// RUN: xf-opt %s -pass-pipeline='builtin.module(builtin.module(xf-lower-qlinear-to-microkernels))' | FileCheck %s --check-prefix=CALLS
// CALLS: func.func private @xfrt_qmatmul_f32(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CALLS-LABEL: func.func @qlinear_int8_sym(
// CALLS: memref.alloc
// CALLS: linalg.fill
// CALLS: bufferization.to_buffer %{{.+}} read_only : tensor<?x5xf32> to memref<?x5xf32>
// CALLS: call @xfrt_qmatmul_f32(
// CALLS: bufferization.to_tensor %{{.+}} restrict writable
// CALLS-LABEL: func.func @qlinear_int4_sym(
// CALLS-NOT: call
// CALLS: xf.qlinear {{.+}} tensor<2x3xf16>
// CALLS-LABEL: func.func @qlinear_int4_asym(
// CALLS: call @xfrt_qmatmul_f32(
// CALLS-LABEL: func.func @qlinear_int8_asym(
// CALLS: call @xfrt_qmatmul_f32(
// CALLS: onnx.Add
// CALLS-LABEL: func.func @qlinear_int8_sym_int8_activations(
// CALLS: %[[ROUND:.+]] = arith.constant 1 : i64
// CALLS: call @xfrt_qmatmul_f32({{.+}}, %[[ROUND]])
// CALLS-LABEL: func.func @qlinear_int8_sym_exact_activations(
// CALLS: call @xfrt_qmatmul_f32({{.+}}, %c2_i64{{[_0-9]*}}) :
// CALLS-LABEL: func.func @qlinear_int4_float_zero_points(
// CALLS-DAG: %[[F32ZP:.+]] = arith.constant 1 : i64
// CALLS: call @xfrt_qmatmul_f32({{.+}}, %[[F32ZP]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}})

// RUN: xf-opt %s -pass-pipeline='builtin.module(builtin.module(xf-lower-qlinear-to-microkernels,xf-convert-xf-to-linalg,xf-convert-onnx-to-linalg,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}),one-shot-bufferize{bufferize-function-boundaries},convert-linalg-to-loops,expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-math-to-libm,convert-math-to-llvm,convert-arith-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts)' \
// RUN: | mlir-runner -e main -entry-point-result=void -link-nested-modules \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_runner_utils.so,%xfrt_kernels \
// RUN: | FileCheck %s

module {
  module @kernels {
    func.func @qlinear_int8_sym(%a0: tensor<?x5xf32>, %a1: tensor<3x5xi8>, %a2: tensor<3x3xf32>) -> (tensor<?x3xf32>) {
      %y = xf.qlinear %a0, %a1, %a2 bits = 8 group_size = 2 symmetric : (tensor<?x5xf32>, tensor<3x5xi8>, tensor<3x3xf32>) -> tensor<?x3xf32>
      return %y : tensor<?x3xf32>
    }
    func.func @qlinear_int4_sym(%a0: tensor<?x?x5xf32>, %a1: tensor<2x3xi8>, %a2: tensor<2x3xf16>, %a3: tensor<2xf32>) -> (tensor<?x?x2xf32>) {
      %y = xf.qlinear %a0, %a1, %a2 bias %a3 bits = 4 group_size = 2 symmetric : (tensor<?x?x5xf32>, tensor<2x3xi8>, tensor<2x3xf16>, tensor<2xf32>) -> tensor<?x?x2xf32>
      return %y : tensor<?x?x2xf32>
    }
    func.func @qlinear_int4_asym(%a0: tensor<?x6xf32>, %a1: tensor<3x3xi8>, %a2: tensor<3x2xf32>, %a3: tensor<3x2xi8>) -> (tensor<?x3xf32>) {
      %y = xf.qlinear %a0, %a1, %a2 zero_points %a3 bits = 4 group_size = 4 : (tensor<?x6xf32>, tensor<3x3xi8>, tensor<3x2xf32>, tensor<3x2xi8>) -> tensor<?x3xf32>
      return %y : tensor<?x3xf32>
    }
    func.func @qlinear_int8_asym(%a0: tensor<1x4xf32>, %a1: tensor<2x4xi8>, %a2: tensor<2x1xf32>, %a3: tensor<2x1xi8>, %a4: tensor<2xf32>) -> (tensor<1x2xf32>) {
      %y = xf.qlinear %a0, %a1, %a2 zero_points %a3 bias %a4 bits = 8 group_size = 4 : (tensor<1x4xf32>, tensor<2x4xi8>, tensor<2x1xf32>, tensor<2x1xi8>, tensor<2xf32>) -> tensor<1x2xf32>
      return %y : tensor<1x2xf32>
    }
    // Not run: the int8_activations flag reaches the kernel's last argument.
    func.func @qlinear_int8_sym_int8_activations(%a0: tensor<?x5xf32>, %a1: tensor<3x5xi8>, %a2: tensor<3x3xf32>) -> (tensor<?x3xf32>) {
      %y = xf.qlinear %a0, %a1, %a2 bits = 8 group_size = 2 symmetric int8_activations : (tensor<?x5xf32>, tensor<3x5xi8>, tensor<3x3xf32>) -> tensor<?x3xf32>
      return %y : tensor<?x3xf32>
    }
    // Not run: exact_activations reaches it as 2 (never round A).
    func.func @qlinear_int8_sym_exact_activations(%a0: tensor<?x5xf32>, %a1: tensor<3x5xi8>, %a2: tensor<3x3xf32>) -> (tensor<?x3xf32>) {
      %y = xf.qlinear %a0, %a1, %a2 bits = 8 group_size = 2 symmetric exact_activations : (tensor<?x5xf32>, tensor<3x5xi8>, tensor<3x3xf32>) -> tensor<?x3xf32>
      return %y : tensor<?x3xf32>
    }
    func.func @qlinear_int4_float_zero_points(%a0: tensor<?x7xf32>, %a1: tensor<3x4xi8>, %a2: tensor<3x2xf32>, %a3: tensor<3x2xf32>) -> (tensor<?x3xf32>) {
      %y = xf.qlinear %a0, %a1, %a2 zero_points %a3 bits = 4 group_size = 4 : (tensor<?x7xf32>, tensor<3x4xi8>, tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
      return %y : tensor<?x3xf32>
    }
  }

  func.func private @printMemrefF32(tensor<*xf32>)
  func.func private @qlinear_int8_sym(tensor<?x5xf32>, tensor<3x5xi8>, tensor<3x3xf32>) -> (tensor<?x3xf32>)
  func.func private @qlinear_int4_sym(tensor<?x?x5xf32>, tensor<2x3xi8>, tensor<2x3xf16>, tensor<2xf32>) -> (tensor<?x?x2xf32>)
  func.func private @qlinear_int4_asym(tensor<?x6xf32>, tensor<3x3xi8>, tensor<3x2xf32>, tensor<3x2xi8>) -> (tensor<?x3xf32>)
  func.func private @qlinear_int8_asym(tensor<1x4xf32>, tensor<2x4xi8>, tensor<2x1xf32>, tensor<2x1xi8>, tensor<2xf32>) -> (tensor<1x2xf32>)
  func.func private @qlinear_int4_float_zero_points(tensor<?x7xf32>, tensor<3x4xi8>, tensor<3x2xf32>, tensor<3x2xf32>) -> (tensor<?x3xf32>)

  func.func @main() {
    %qlinear_int8_sym_in0 = arith.constant dense<[[1.0, -1.0, 2.0, -0.25, 0.0], [0.0, 0.25, 0.25, 0.0, 2.0]]> : tensor<2x5xf32>
    %qlinear_int8_sym_in0_d = tensor.cast %qlinear_int8_sym_in0 : tensor<2x5xf32> to tensor<?x5xf32>
    %qlinear_int8_sym_in1 = arith.constant dense<[[-128, 32, 47, 101, 20], [70, 127, -71, -114, -52], [-56, 95, 105, -127, -1]]> : tensor<3x5xi8>
    %qlinear_int8_sym_in2 = arith.constant dense<[[1.5, 0.5, 0.0625], [0.5, 0.125, 1.5], [0.25, 0.25, 0.25]]> : tensor<3x3xf32>
    %qlinear_int8_sym_out0 = call @qlinear_int8_sym(%qlinear_int8_sym_in0_d, %qlinear_int8_sym_in1, %qlinear_int8_sym_in2) : (tensor<?x5xf32>, tensor<3x5xi8>, tensor<3x3xf32>) -> (tensor<?x3xf32>)
    %qlinear_int8_sym_out0_u = tensor.cast %qlinear_int8_sym_out0 : tensor<?x3xf32> to tensor<*xf32>
    // qlinear int8 symmetric, K = 5 in groups of 2 (partial last group)
    // CHECK: {{\[}}-205.625, -42.6875, 22.6875]
    // CHECK-NEXT: [20.375, -142.344, 12]
    call @printMemrefF32(%qlinear_int8_sym_out0_u) : (tensor<*xf32>) -> ()
    %qlinear_int4_sym_in0 = arith.constant dense<[[[-3.0, 0.0, 4.0, -0.5, 2.5], [3.5, 2.5, 1.0, -0.5, 0.0]]]> : tensor<1x2x5xf32>
    %qlinear_int4_sym_in0_d = tensor.cast %qlinear_int4_sym_in0 : tensor<1x2x5xf32> to tensor<?x?x5xf32>
    %qlinear_int4_sym_in1 = arith.constant dense<[[120, 19, -83], [-9, 91, -81]]> : tensor<2x3xi8>
    %qlinear_int4_sym_in2 = arith.constant dense<[[2.0, 1.5, 0.5], [0.5, 0.25, 0.5]]> : tensor<2x3xf16>
    %qlinear_int4_sym_in3 = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
    %qlinear_int4_sym_out0 = call @qlinear_int4_sym(%qlinear_int4_sym_in0_d, %qlinear_int4_sym_in1, %qlinear_int4_sym_in2, %qlinear_int4_sym_in3) : (tensor<?x?x5xf32>, tensor<2x3xi8>, tensor<2x3xf16>, tensor<2xf32>) -> (tensor<?x?x2xf32>)
    %qlinear_int4_sym_out0_u = tensor.cast %qlinear_int4_sym_out0 : tensor<?x?x2xf32> to tensor<*xf32>
    // qlinear int4 symmetric, K = 5 (padding nibble), groups of 2, f16 scales, bias
    // CHECK: {{\[}}62, -18.375]
    // CHECK-NEXT: [-16.75, 8.125]
    call @printMemrefF32(%qlinear_int4_sym_out0_u) : (tensor<*xf32>) -> ()
    %qlinear_int4_asym_in0 = arith.constant dense<[[-2.0, 1.0, 0.0, -1.75, -1.0, 0.25], [1.0, 0.0, 0.5, 1.5, 0.75, -0.5]]> : tensor<2x6xf32>
    %qlinear_int4_asym_in0_d = tensor.cast %qlinear_int4_asym_in0 : tensor<2x6xf32> to tensor<?x6xf32>
    %qlinear_int4_asym_in1 = arith.constant dense<[[-16, 54, 15], [49, -65, 62], [91, 7, -39]]> : tensor<3x3xi8>
    %qlinear_int4_asym_in2 = arith.constant dense<[[0.5, 0.125], [3.0, 3.0], [0.125, 0.125]]> : tensor<3x2xf32>
    %qlinear_int4_asym_in3 = arith.constant dense<[[10, 2], [8, 4], [15, 14]]> : tensor<3x2xi8>
    %qlinear_int4_asym_out0 = call @qlinear_int4_asym(%qlinear_int4_asym_in0_d, %qlinear_int4_asym_in1, %qlinear_int4_asym_in2, %qlinear_int4_asym_in3) : (tensor<?x6xf32>, tensor<3x3xi8>, tensor<3x2xf32>, tensor<3x2xi8>) -> (tensor<?x3xf32>)
    %qlinear_int4_asym_out0_u = tensor.cast %qlinear_int4_asym_out0 : tensor<?x3xf32> to tensor<*xf32>
    // qlinear int4 asymmetric with zero points, K = 6 in groups of 4 (partial last group)
    // CHECK: {{\[}}16.9375, -19.5, 3.625]
    // CHECK-NEXT: [-9.90625, 27, -4.21875]
    call @printMemrefF32(%qlinear_int4_asym_out0_u) : (tensor<*xf32>) -> ()
    %qlinear_int8_asym_in0 = arith.constant dense<[[-2.5, -3.0, -1.0, 2.5]]> : tensor<1x4xf32>
    %qlinear_int8_asym_in1 = arith.constant dense<[[-1, -103, 27, 15], [-87, 99, -103, 0]]> : tensor<2x4xi8>
    %qlinear_int8_asym_in2 = arith.constant dense<[[0.0625], [0.125]]> : tensor<2x1xf32>
    %qlinear_int8_asym_in3 = arith.constant dense<[[-128], [-56]]> : tensor<2x1xi8>
    %qlinear_int8_asym_in4 = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %qlinear_int8_asym_out0 = call @qlinear_int8_asym(%qlinear_int8_asym_in0, %qlinear_int8_asym_in1, %qlinear_int8_asym_in2, %qlinear_int8_asym_in3, %qlinear_int8_asym_in4) : (tensor<1x4xf32>, tensor<2x4xi8>, tensor<2x1xf32>, tensor<2x1xi8>, tensor<2xf32>) -> (tensor<1x2xf32>)
    %qlinear_int8_asym_out0_u = tensor.cast %qlinear_int8_asym_out0 : tensor<1x2xf32> to tensor<*xf32>
    // qlinear int8 asymmetric, per channel (group_size = K), unsigned codes and
    // zero points, bias
    // CHECK: {{\[}}-34.875, -7.0625]
    call @printMemrefF32(%qlinear_int8_asym_out0_u) : (tensor<*xf32>) -> ()
    %qlinear_int4_float_zero_points_in0 = arith.constant dense<[[0.75, 0.25, -1.5, 1.5, 1.5, 0.0, 2.0], [0.5, 1.75, 2.0, 0.25, -1.0, -1.5, 0.25]]> : tensor<2x7xf32>
    %qlinear_int4_float_zero_points_in0_d = tensor.cast %qlinear_int4_float_zero_points_in0 : tensor<2x7xf32> to tensor<?x7xf32>
    %qlinear_int4_float_zero_points_in1 = arith.constant dense<[[102, -7, -106, -89], [121, -118, -6, -94], [120, 53, 96, -83]]> : tensor<3x4xi8>
    %qlinear_int4_float_zero_points_in2 = arith.constant dense<[[0.125, 0.5], [0.5, 0.25], [0.125, 0.5]]> : tensor<3x2xf32>
    %qlinear_int4_float_zero_points_in3 = arith.constant dense<[[-2.5, 3.25], [-0.125, -0.125], [0.75, -2.5]]> : tensor<3x2xf32>
    %qlinear_int4_float_zero_points_out0 = call @qlinear_int4_float_zero_points(%qlinear_int4_float_zero_points_in0_d, %qlinear_int4_float_zero_points_in1, %qlinear_int4_float_zero_points_in2, %qlinear_int4_float_zero_points_in3) : (tensor<?x7xf32>, tensor<3x4xi8>, tensor<3x2xf32>, tensor<3x2xf32>) -> (tensor<?x3xf32>)
    %qlinear_int4_float_zero_points_out0_u = tensor.cast %qlinear_int4_float_zero_points_out0 : tensor<?x3xf32> to tensor<*xf32>
    // qlinear int4 with f32 zero points (fractional), K = 7 in groups of 4
    // CHECK: {{\[}}8, 7.67188, 17.875]
    // CHECK-NEXT: [0.59375, 11.5859, -2.73438]
    call @printMemrefF32(%qlinear_int4_float_zero_points_out0_u) : (tensor<*xf32>) -> ()
    return
  }
}
