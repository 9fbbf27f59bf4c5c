// Numerics of the data-movement lowerings, run on the CPU. Parameters reach
// the ops as function arguments, so the run-time paths (clamping, 0 and -1 in
// shapes, sizes from tensors) are what runs.
//
// xf-convert-onnx-to-linalg converts whole modules and knows no func.call or
// bufferization ops, so it lowers the functions above the DRIVER line alone;
// the driver is then spliced into the lowered module before the rest of the
// pipeline to LLVM.
// RUN: sed '/^\/\/ DRIVER/,$d' %s | xf-opt -xf-convert-onnx-to-linalg > %t.lowered.mlir
// RUN: sed '/^}$/d' %t.lowered.mlir > %t.mlir
// RUN: sed -n '/^\/\/ DRIVER/,$p' %s >> %t.mlir
// RUN: echo '}' >> %t.mlir
// RUN: xf-opt %t.mlir -xf-lower-shape-checks \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries" \
// RUN:   -convert-linalg-to-loops -expand-strided-metadata -lower-affine \
// RUN:   -convert-scf-to-cf -convert-math-to-llvm -convert-arith-to-llvm \
// RUN:   -convert-index-to-llvm -finalize-memref-to-llvm -convert-func-to-llvm \
// RUN:   -convert-cf-to-llvm -reconcile-unrealized-casts \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_runner_utils.so,%xfrt_kernels \
// RUN: | FileCheck %s

func.func @slice1d(%x: tensor<10xf32>, %starts: tensor<1xi64>, %ends: tensor<1xi64>, %steps: tensor<1xi64>) -> tensor<?xf32> {
  %axes = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %0 = onnx.Slice %x, %starts, %ends axes %axes steps %steps : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

func.func @slice2d(%x: tensor<3x4xf32>, %starts: tensor<2xi64>, %ends: tensor<2xi64>, %axes: tensor<2xi64>, %steps: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = onnx.Slice %x, %starts, %ends axes %axes steps %steps : (tensor<3x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

func.func @gather0(%x: tensor<3x2xf32>, %i: tensor<1x2xi64>) -> tensor<1x2x2xf32> {
  %0 = onnx.Gather %x, %i : (tensor<3x2xf32>, tensor<1x2xi64>) -> tensor<1x2x2xf32>
  return %0 : tensor<1x2x2xf32>
}

func.func @gather1(%x: tensor<3x2xf32>, %i: tensor<1xi32>) -> tensor<3x1xf32> {
  %0 = onnx.Gather %x, %i {axis = -1 : i64} : (tensor<3x2xf32>, tensor<1xi32>) -> tensor<3x1xf32>
  return %0 : tensor<3x1xf32>
}

func.func @expand(%x: tensor<3x1xf32>, %shape: tensor<3xi64>) -> tensor<?x?x?xf32> {
  %0 = onnx.Expand %x, %shape : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

func.func @tile(%x: tensor<2x2xf32>, %repeats: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = onnx.Tile %x, %repeats : (tensor<2x2xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

func.func @trilu(%x: tensor<3x4xf32>, %k: tensor<i64>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %0 = onnx.Trilu %x, %k {upper = 1 : i64} : (tensor<3x4xf32>, tensor<i64>) -> tensor<3x4xf32>
  %1 = onnx.Trilu %x, %k {upper = 0 : i64} : (tensor<3x4xf32>, tensor<i64>) -> tensor<3x4xf32>
  return %0, %1 : tensor<3x4xf32>, tensor<3x4xf32>
}

func.func @range_i64(%start: tensor<i64>, %limit: tensor<i64>, %delta: tensor<i64>) -> tensor<?xi64> {
  %0 = onnx.Range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

func.func @range_f32(%start: tensor<f32>, %limit: tensor<f32>, %delta: tensor<f32>) -> tensor<?xf32> {
  %0 = onnx.Range %start, %limit, %delta : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

func.func @reshape(%x: tensor<2x3x4xf32>, %shape: tensor<3xi64>) -> tensor<?x?x?xf32> {
  %0 = onnx.Reshape %x, %shape : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// DRIVER: calls the lowered functions and prints their results.

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}
func.func private @printMemrefI64(memref<*xi64>) attributes {llvm.emit_c_interface}

func.func @printF32(%t: tensor<*xf32>) {
  %m = bufferization.to_buffer %t : tensor<*xf32> to memref<*xf32>
  call @printMemrefF32(%m) : (memref<*xf32>) -> ()
  return
}

func.func @printI64(%t: tensor<*xi64>) {
  %m = bufferization.to_buffer %t : tensor<*xi64> to memref<*xi64>
  call @printMemrefI64(%m) : (memref<*xi64>) -> ()
  return
}

func.func @main() {
  %iota10 = arith.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]> : tensor<10xf32>
  %max = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %min = arith.constant dense<-9223372036854775808> : tensor<1xi64>
  %minus3 = arith.constant dense<-3> : tensor<1xi64>
  %hundred = arith.constant dense<100> : tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>

  // Backwards from a clamped start to a clamped end, every third element.
  // CHECK: sizes = [4]
  // CHECK-NEXT: [9,  6,  3,  0]
  %s0 = call @slice1d(%iota10, %max, %min, %minus3) : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf32>
  %u0 = tensor.cast %s0 : tensor<?xf32> to tensor<*xf32>
  call @printF32(%u0) : (tensor<*xf32>) -> ()

  // x[-3:100:2]: start 7, end clamped to 10.
  // CHECK: sizes = [2]
  // CHECK-NEXT: [7,  9]
  %s1 = call @slice1d(%iota10, %minus3, %hundred, %two) : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf32>
  %u1 = tensor.cast %s1 : tensor<?xf32> to tensor<*xf32>
  call @printF32(%u1) : (tensor<*xf32>) -> ()

  // Axes [-1, 0] at run time: columns 3, 2, 1 (step -1 down to 0,
  // exclusive) of rows 0 and 1.
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: [3,   2,   1]
  // CHECK-NEXT: [7,   6,   5]
  %x34 = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]> : tensor<3x4xf32>
  %starts2 = arith.constant dense<[3, 0]> : tensor<2xi64>
  %ends2 = arith.constant dense<[0, 2]> : tensor<2xi64>
  %axes2 = arith.constant dense<[-1, 0]> : tensor<2xi64>
  %steps2 = arith.constant dense<[-1, 1]> : tensor<2xi64>
  %s2 = call @slice2d(%x34, %starts2, %ends2, %axes2, %steps2) : (tensor<3x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  %u2 = tensor.cast %s2 : tensor<?x?xf32> to tensor<*xf32>
  call @printF32(%u2) : (tensor<*xf32>) -> ()

  // Index -1 is the last row.
  // CHECK: sizes = [1, 2, 2]
  // CHECK-NEXT: {{\[}}[4,    5],
  // CHECK-NEXT: [0,    1]]]
  %x32 = arith.constant dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]> : tensor<3x2xf32>
  %i0 = arith.constant dense<[[-1, 0]]> : tensor<1x2xi64>
  %g0 = call @gather0(%x32, %i0) : (tensor<3x2xf32>, tensor<1x2xi64>) -> tensor<1x2x2xf32>
  %v0 = tensor.cast %g0 : tensor<1x2x2xf32> to tensor<*xf32>
  call @printF32(%v0) : (tensor<*xf32>) -> ()

  // CHECK: sizes = [3, 1]
  // CHECK-NEXT: [1],
  // CHECK-NEXT: [3],
  // CHECK-NEXT: [5]]
  %i1 = arith.constant dense<[-1]> : tensor<1xi32>
  %g1 = call @gather1(%x32, %i1) : (tensor<3x2xf32>, tensor<1xi32>) -> tensor<3x1xf32>
  %v1 = tensor.cast %g1 : tensor<3x1xf32> to tensor<*xf32>
  call @printF32(%v1) : (tensor<*xf32>) -> ()

  // Shape [2, 1, 4]: the 1 keeps the input's 3.
  // CHECK: sizes = [2, 3, 4]
  // CHECK-NEXT: {{\[}}[1,     1,     1,     1],
  // CHECK-NEXT: [2,     2,     2,     2],
  // CHECK-NEXT: [3,     3,     3,     3]],
  // CHECK-NEXT: {{\[}}[1,     1,     1,     1],
  // CHECK-NEXT: [2,     2,     2,     2],
  // CHECK-NEXT: [3,     3,     3,     3]]]
  %x31 = arith.constant dense<[[1.0], [2.0], [3.0]]> : tensor<3x1xf32>
  %shape = arith.constant dense<[2, 1, 4]> : tensor<3xi64>
  %e = call @expand(%x31, %shape) : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %ue = tensor.cast %e : tensor<?x?x?xf32> to tensor<*xf32>
  call @printF32(%ue) : (tensor<*xf32>) -> ()

  // CHECK: sizes = [4, 6]
  // CHECK-NEXT: [1,   2,   1,   2,   1,   2],
  // CHECK-NEXT: [3,   4,   3,   4,   3,   4],
  // CHECK-NEXT: [1,   2,   1,   2,   1,   2],
  // CHECK-NEXT: [3,   4,   3,   4,   3,   4]]
  %x22 = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %repeats = arith.constant dense<[2, 3]> : tensor<2xi64>
  %t = call @tile(%x22, %repeats) : (tensor<2x2xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %ut = tensor.cast %t : tensor<?x?xf32> to tensor<*xf32>
  call @printF32(%ut) : (tensor<*xf32>) -> ()

  // k = 1: above the diagonal (upper), on and below the first superdiagonal
  // (lower).
  // CHECK: sizes = [3, 4]
  // CHECK-NEXT: [0,   1,   2,   3],
  // CHECK-NEXT: [0,   0,   6,   7],
  // CHECK-NEXT: [0,   0,   0,   11]]
  // CHECK: sizes = [3, 4]
  // CHECK-NEXT: [0,   1,   0,   0],
  // CHECK-NEXT: [4,   5,   6,   0],
  // CHECK-NEXT: [8,   9,   10,   11]]
  %k = arith.constant dense<1> : tensor<i64>
  %upper, %lower = call @trilu(%x34, %k) : (tensor<3x4xf32>, tensor<i64>) -> (tensor<3x4xf32>, tensor<3x4xf32>)
  %uu = tensor.cast %upper : tensor<3x4xf32> to tensor<*xf32>
  call @printF32(%uu) : (tensor<*xf32>) -> ()
  %ul = tensor.cast %lower : tensor<3x4xf32> to tensor<*xf32>
  call @printF32(%ul) : (tensor<*xf32>) -> ()

  // CHECK: sizes = [3]
  // CHECK-NEXT: [1,  4,  7]
  // CHECK: sizes = [3]
  // CHECK-NEXT: [10,  6,  2]
  // CHECK: sizes = [0]
  %r1 = arith.constant dense<1> : tensor<i64>
  %r10 = arith.constant dense<10> : tensor<i64>
  %r3 = arith.constant dense<3> : tensor<i64>
  %rm4 = arith.constant dense<-4> : tensor<i64>
  %ra = call @range_i64(%r1, %r10, %r3) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %ua = tensor.cast %ra : tensor<?xi64> to tensor<*xi64>
  call @printI64(%ua) : (tensor<*xi64>) -> ()
  %rb = call @range_i64(%r10, %r1, %rm4) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %ub = tensor.cast %rb : tensor<?xi64> to tensor<*xi64>
  call @printI64(%ub) : (tensor<*xi64>) -> ()
  %rc = call @range_i64(%r10, %r1, %r3) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %uc = tensor.cast %rc : tensor<?xi64> to tensor<*xi64>
  call @printI64(%uc) : (tensor<*xi64>) -> ()

  // ceil((1 - 0) / 0.3) = 4 elements.
  // CHECK: sizes = [4]
  // CHECK-NEXT: [0,  0.3,  0.6,  0.9]
  %f0 = arith.constant dense<0.0> : tensor<f32>
  %f1 = arith.constant dense<1.0> : tensor<f32>
  %f03 = arith.constant dense<0.3> : tensor<f32>
  %rf = call @range_f32(%f0, %f1, %f03) : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  %uf = tensor.cast %rf : tensor<?xf32> to tensor<*xf32>
  call @printF32(%uf) : (tensor<*xf32>) -> ()

  // Shape [-1, 0, 2] of a 2x3x4 tensor: 0 copies the 3, -1 is 24 / 6 = 4.
  // CHECK: sizes = [4, 3, 2]
  // CHECK-NEXT: {{\[}}[0,     1],
  // CHECK-NEXT: [2,     3],
  // CHECK-NEXT: [4,     5]],
  // CHECK-NEXT: {{\[}}[6,     7],
  // CHECK-NEXT: [8,     9],
  // CHECK-NEXT: [10,     11]],
  %x234 = arith.constant dense<[[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]], [[12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0], [20.0, 21.0, 22.0, 23.0]]]> : tensor<2x3x4xf32>
  %newShape = arith.constant dense<[-1, 0, 2]> : tensor<3xi64>
  %rs = call @reshape(%x234, %newShape) : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %urs = tensor.cast %rs : tensor<?x?x?xf32> to tensor<*xf32>
  call @printF32(%urs) : (tensor<*xf32>) -> ()
  return
}
