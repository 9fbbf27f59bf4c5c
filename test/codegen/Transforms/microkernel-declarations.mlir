// The declarations of the runtime's entry points that the lowering passes
// create, from runtime/include/xf/Microkernels.def: one per kernel, private,
// with the C prototype's types (int64_t: i64, void *: !llvm.ptr, a callback:
// a func type). A change to the table changes these lines.

// RUN: xf-opt %s --xf-lower-qlinear-to-microkernels \
// RUN:   --xf-lower-contractions-to-microkernels --xf-lower-shape-checks \
// RUN:   --xf-outline-parallel-loops | FileCheck %s

// CHECK-DAG: func.func private @xfrt_qmatmul_f32(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64){{$}}
// CHECK-DAG: func.func private @xfrt_matmul_f32(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64){{$}}
// CHECK-DAG: func.func private @xfrt_shape_error(i64, i64, i64, i64){{$}}
// CHECK-DAG: func.func private @xfrt_parallel_for(i64, (!llvm.ptr, i64) -> (), !llvm.ptr){{$}}
// CHECK-DAG: func.func private @forall_forall_0(%{{.+}}: !llvm.ptr, %{{.+}}: i64)
// CHECK-DAG: call @xfrt_qmatmul_f32(
// CHECK-DAG: call @xfrt_matmul_f32(
// CHECK-DAG: call @xfrt_shape_error(
// CHECK-DAG: call @xfrt_parallel_for(

func.func @qlinear(%a: tensor<?x5xf32>, %w: tensor<3x5xi8>, %s: tensor<3x3xf32>) -> tensor<?x3xf32> {
  %y = xf.qlinear %a, %w, %s bits = 8 group_size = 2 symmetric : (tensor<?x5xf32>, tensor<3x5xi8>, tensor<3x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

func.func @matmul(%a: memref<?x64xf32>, %b: memref<64x32xf32>, %c: memref<?x32xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x32xf32>) outs(%c : memref<?x32xf32>)
  return
}

func.func @check(%a: index, %b: index) {
  xf.check_dim %a, %b "m.onnx: node 'add' (onnx.Add): dimension 1 of input 1"
  return
}

func.func @forall(%x: memref<8xf32>) {
  scf.forall (%i) in (8) {
    %v = memref.load %x[%i] : memref<8xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %x[%i] : memref<8xf32>
  }
  return
}
