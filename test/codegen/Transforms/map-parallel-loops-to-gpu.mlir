// RUN: xf-opt %s -split-input-file -verify-diagnostics -xf-map-parallel-loops-to-gpu=block-size=128 | FileCheck %s

// A 2-D loop: collapsed to one dimension, tiled by the block size, tiles to
// blocks and a tile's iterations to threads, the last block's overhang
// guarded. The dynamically sized buffer it writes is passed as its base
// pointer and sizes, and rebuilt in the thread.
// CHECK-LABEL: func.func @two_dims(
// CHECK-SAME: %[[OUT:.+]]: memref<?x?xf32>, %[[M:.+]]: index, %[[N:.+]]: index)
// CHECK: %[[ROWS:.+]] = arith.muli %{{.+}}, %[[M]] : index
// CHECK: %[[COUNT:.+]] = arith.muli %[[ROWS]], %[[N]] : index
// CHECK: %[[BASE:.+]], %{{.+}}, %[[SIZES:.+]]:2, %[[STRIDES:.+]]:2 = memref.extract_strided_metadata %[[OUT]]
// CHECK: scf.parallel (%[[TILE:.+]]) = (%{{.+}}) to (%[[COUNT]]) step (%[[BLOCK:c128.*]]) {
// CHECK: scf.parallel (%[[LANE:.+]]) = (%{{.+}}) to (%[[BLOCK]]) step (%{{.+}}) {
// CHECK: %[[VIEW:.+]] = memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [%[[SIZES]]#0, %[[SIZES]]#1], strides: [%[[STRIDES]]#0, 1] : memref<f32> to memref<?x?xf32>
// CHECK: %[[I:.+]] = arith.addi %[[LANE]], %[[TILE]] : index
// CHECK: arith.cmpi ult, %{{.+}}, %[[COUNT]] : index
// CHECK: scf.if
// CHECK: %[[COL:.+]] = arith.remsi %[[I]], %[[N]] : index
// CHECK: %[[ROW:.+]] = arith.divsi %[[I]], %[[N]] : index
// CHECK: memref.store %{{.+}}, %[[VIEW]][%[[ROW]], %[[COL]]]
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
func.func @two_dims(%out: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %n) step (%c1, %c1) {
    memref.store %zero, %out[%i, %j] : memref<?x?xf32>
    scf.reduce
  }
  return
}

// -----

// A parallel loop nested in the mapped one (inside a thread's sequential
// reduction) becomes an scf.for its thread runs.
// CHECK-LABEL: func.func @nested(
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: scf.if
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.load
// CHECK-NOT: scf.parallel
// CHECK: processor = thread_x
// CHECK: processor = block_x
func.func @nested(%out: memref<64x96xf32>, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c96 = arith.constant 96 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    scf.for %r = %c0 to %k step %c1 {
      scf.parallel (%j) = (%c0) to (%c96) step (%c1) {
        %v = memref.load %out[%i, %j] : memref<64x96xf32>
        %s = arith.addf %v, %one : f32
        memref.store %s, %out[%i, %j] : memref<64x96xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

// A loop that yields a reduction result is not mapped: refused.
func.func @with_result(%n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{a parallel loop with a reduction result cannot be mapped to the GPU yet}}
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    scf.reduce(%zero : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
