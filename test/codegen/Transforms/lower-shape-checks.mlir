// RUN: xf-opt %s -split-input-file -xf-lower-shape-checks | FileCheck %s

// Each check becomes a compare and, on the failing side of an scf.if, a call
// of the runtime's xfrt_shape_error with the message (one constant global
// per distinct text, passed as an i64 like the kernels' pointers), the two
// sizes and whether 1 was allowed.
// CHECK-DAG: llvm.mlir.global internal constant @xf_shape_error_message_0("m.onnx: node 'add' (onnx.Add): dimension 1 of input 1\00")
// CHECK-DAG: func.func private @xfrt_shape_error(i64, i64, i64, i64)
// CHECK-NOT: llvm.mlir.global
// CHECK-LABEL: func.func @checks
// CHECK-SAME: (%[[A:.+]]: index, %[[B:.+]]: index)
// CHECK: %[[NE:.+]] = arith.cmpi ne, %[[A]], %[[B]] : index
// CHECK: %[[C1:.+]] = arith.constant 1 : index
// CHECK: %[[NOT1:.+]] = arith.cmpi ne, %[[A]], %[[C1]] : index
// CHECK: %[[FAILS:.+]] = arith.andi %[[NE]], %[[NOT1]] : i1
// CHECK: scf.if %[[FAILS]] {
// CHECK:   %[[P:.+]] = llvm.mlir.addressof @xf_shape_error_message_0 : !llvm.ptr
// CHECK:   %[[M:.+]] = llvm.ptrtoint %[[P]] : !llvm.ptr to i64
// CHECK:   %[[ONE:.+]] = arith.constant 1 : i64
// CHECK:   %[[S:.+]] = arith.index_cast %[[A]] : index to i64
// CHECK:   %[[E:.+]] = arith.index_cast %[[B]] : index to i64
// CHECK:   func.call @xfrt_shape_error(%[[M]], %[[S]], %[[E]], %[[ONE]]) : (i64, i64, i64, i64) -> ()
// CHECK: }
// CHECK: %[[NE2:.+]] = arith.cmpi ne, %[[A]], %[[B]] : index
// CHECK: scf.if %[[NE2]] {
// CHECK:   llvm.mlir.addressof @xf_shape_error_message_0
// CHECK:   %[[ZERO:.+]] = arith.constant 0 : i64
// CHECK:   func.call @xfrt_shape_error(%{{.+}}, %{{.+}}, %{{.+}}, %[[ZERO]])
// CHECK: }
// CHECK-NOT: xf.check_dim
func.func @checks(%a: index, %b: index) {
  xf.check_dim %a, %b broadcast "m.onnx: node 'add' (onnx.Add): dimension 1 of input 1"
  xf.check_dim %a, %b "m.onnx: node 'add' (onnx.Add): dimension 1 of input 1"
  return
}

// -----

// Without checks the module is left alone: no declaration.
// CHECK-NOT: xfrt_shape_error
// CHECK-LABEL: func.func @none
func.func @none() {
  return
}
