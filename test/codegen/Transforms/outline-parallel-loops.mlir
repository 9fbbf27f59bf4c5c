// RUN: xf-opt %s --split-input-file --xf-outline-parallel-loops | FileCheck %s

// Each forall becomes a body function run by xfrt_parallel_for; two loops
// that differ only in their locations and buffers (a model's layers) share
// one body.

// CHECK-LABEL: func.func @layers
// CHECK: %[[F0:.+]] = constant @layers_forall_0
// CHECK: call @xfrt_parallel_for(%{{.+}}, %[[F0]], %{{.+}})
// CHECK: %[[F1:.+]] = constant @layers_forall_0
// CHECK: call @xfrt_parallel_for(%{{.+}}, %[[F1]], %{{.+}})
// CHECK-NOT: @layers_forall_1
// CHECK: func.func private @layers_forall_0(
// CHECK-NOT: func.func private @layers_forall_1(
func.func @layers(%x: memref<8xf32>, %y: memref<8xf32>) {
  scf.forall (%i) in (8) {
    %v = memref.load %x[%i] : memref<8xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %x[%i] : memref<8xf32>
  } loc("layer0")
  scf.forall (%i) in (8) {
    %v = memref.load %y[%i] : memref<8xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %y[%i] : memref<8xf32>
  } loc("layer1")
  return
}

// -----

// Bodies that compute different things stay apart.

// CHECK-LABEL: func.func @different
// CHECK: constant @different_forall_0
// CHECK: constant @different_forall_1
// CHECK-DAG: func.func private @different_forall_0(
// CHECK-DAG: func.func private @different_forall_1(
func.func @different(%x: memref<8xf32>) {
  scf.forall (%i) in (8) {
    %v = memref.load %x[%i] : memref<8xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %x[%i] : memref<8xf32>
  }
  scf.forall (%i) in (8) {
    %v = memref.load %x[%i] : memref<8xf32>
    %w = arith.mulf %v, %v : f32
    memref.store %w, %x[%i] : memref<8xf32>
  }
  return
}
