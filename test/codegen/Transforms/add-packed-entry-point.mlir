// RUN: xf-opt %s -split-input-file -xf-add-packed-entry-point -verify-diagnostics | FileCheck %s

// xf_packed_main(args) loads each argument's pointer from args and calls
// the model's C interface with them.
// CHECK-LABEL: llvm.func @_mlir_ciface_xf_model
// CHECK-LABEL: llvm.func @xf_packed_main
// CHECK-SAME: (%[[ARGS:.+]]: !llvm.ptr)
// CHECK: %[[P0:.+]] = llvm.getelementptr %[[ARGS]][0]
// CHECK: %[[A0:.+]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[P1:.+]] = llvm.getelementptr %[[ARGS]][1]
// CHECK: %[[A1:.+]] = llvm.load %[[P1]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @_mlir_ciface_xf_model(%[[A0]], %[[A1]])
llvm.func @_mlir_ciface_xf_model(%arg0: !llvm.ptr, %arg1: !llvm.ptr) {
  llvm.return
}

// -----

// A model function lowered without its C interface.
// expected-error @below {{no C interface function '_mlir_ciface_xf_model'}}
module {
  llvm.func @xf_model(%arg0: !llvm.ptr) {
    llvm.return
  }
}
