// RUN: xf-opt %s -split-input-file -xf-device-buffers | FileCheck %s

// Host allocations are device memory, allocated and freed through the
// async forms that gpu-to-llvm lowers, each waited for at once; a copy
// becomes a linalg.copy (a kernel, later).
// CHECK-LABEL: func.func @alloc_copy_free(
// CHECK-SAME: %[[A:.+]]: memref<?xf32>, %[[N:.+]]: index
// CHECK: %[[T0:.+]] = gpu.wait async
// CHECK: %[[B:.+]], %[[T1:.+]] = gpu.alloc async [%[[T0]]] (%[[N]]) : memref<?xf32>
// CHECK: gpu.wait [%[[T1]]]
// CHECK: linalg.copy ins(%[[A]] : memref<?xf32>) outs(%[[B]] : memref<?xf32>)
// CHECK: %[[T2:.+]] = gpu.wait async
// CHECK: %[[T3:.+]] = gpu.dealloc async [%[[T2]]] %[[B]] : memref<?xf32>
// CHECK: gpu.wait [%[[T3]]]
// CHECK-NOT: memref.
func.func @alloc_copy_free(%a: memref<?xf32>, %n: index) {
  %b = memref.alloc(%n) : memref<?xf32>
  memref.copy %a, %b : memref<?xf32> to memref<?xf32>
  memref.dealloc %b : memref<?xf32>
  return
}

// -----

// Inside a parallel loop (a kernel's body) a scratch buffer of a static
// size is the thread's own memory.
// CHECK-LABEL: func.func @in_parallel_loop(
// CHECK: scf.parallel
// CHECK: memref.alloca() : memref<4xf32>
// CHECK-NOT: memref.dealloc
// CHECK-NOT: gpu.
func.func @in_parallel_loop(%n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %t = memref.alloc() : memref<4xf32>
    memref.store %x, %t[%c0] : memref<4xf32>
    memref.dealloc %t : memref<4xf32>
    scf.reduce
  }
  return
}

// -----

// A partial last tile: the largest size it can have, viewed at its size.
// CHECK-LABEL: func.func @partial_tile(
// CHECK: scf.forall
// CHECK: %[[STORAGE:.+]] = memref.alloca() : memref<512xf32>
// CHECK: memref.reinterpret_cast %[[STORAGE]] to offset: [0], sizes: [%{{.+}}, 8], strides: [8, 1] : memref<512xf32> to memref<?x8xf32>
// A size nothing bounds stays, for xf-check-cuda-host-code to refuse.
// CHECK: memref.alloc(%{{.+}}) : memref<?xf32>
func.func @partial_tile(%n: index, %m: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  scf.forall (%i) in (%n) {
    %rest = arith.subi %n, %i : index
    %rows = arith.minui %rest, %c64 : index
    %tile = memref.alloc(%rows) : memref<?x8xf32>
    %unbounded = memref.alloc(%m) : memref<?xf32>
    memref.store %x, %tile[%c0, %c0] : memref<?x8xf32>
    memref.store %x, %unbounded[%c0] : memref<?xf32>
    memref.dealloc %tile : memref<?x8xf32>
    memref.dealloc %unbounded : memref<?xf32>
  }
  return
}

// -----

// A shape tensor host code writes and a reshape reads: managed memory.
// The argument host code reads (a view of it is returned) is marked for
// the runtime.
// CHECK-LABEL: func.func @shape_on_host(
// CHECK-SAME: %{{.+}}: memref<?xf32> {xf.host_accessible}
// CHECK: %[[SHAPE:.+]] = gpu.alloc  host_shared () : memref<2xi64>
// CHECK: memref.store %{{.+}}, %[[SHAPE]]
// CHECK: memref.reshape %{{.+}}(%[[SHAPE]])
func.func @shape_on_host(%a: memref<?xf32>, %rows: i64) -> memref<?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : i64
  %shape = memref.alloc() : memref<2xi64>
  memref.store %rows, %shape[%c0] : memref<2xi64>
  memref.store %c4, %shape[%c1] : memref<2xi64>
  %r = memref.reshape %a(%shape) : (memref<?xf32>, memref<2xi64>) -> memref<?x4xf32>
  return %r : memref<?x4xf32>
}

// -----

// A constant a kernel reads: copied to device memory, freed at the end.
// CHECK-LABEL: func.func @constant_in_kernel(
// CHECK: %[[GLOBAL:.+]] = memref.get_global @table : memref<4xf32>
// CHECK: %[[COPY:.+]], %{{.+}} = gpu.alloc async [%{{.+}}] () : memref<4xf32>
// CHECK: gpu.memcpy async [%{{.+}}] %[[COPY]], %[[GLOBAL]] : memref<4xf32>, memref<4xf32>
// CHECK: scf.parallel
// CHECK: memref.load %[[COPY]]
// CHECK: gpu.dealloc async [%{{.+}}] %[[COPY]] : memref<4xf32>
// CHECK-NEXT: gpu.wait
// CHECK-NEXT: return
memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func @constant_in_kernel(%out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %t = memref.get_global @table : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %t[%i] : memref<4xf32>
    memref.store %v, %out[%i] : memref<4xf32>
    scf.reduce
  }
  return
}

// -----

// Strided views are copied element by element, in a kernel.
// CHECK-LABEL: func.func @strided_copy(
// CHECK: linalg.copy ins(%{{.+}} : memref<4x8xf32, strided<[16, 1]>>) outs(%{{.+}} : memref<4x8xf32>)
func.func @strided_copy(%a: memref<4x8xf32, strided<[16, 1]>>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  return
}
