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

// Inside a parallel loop (a kernel's body) an allocation is not host code:
// left for xf-check-cuda-host-code to refuse.
// CHECK-LABEL: func.func @in_parallel_loop(
// CHECK: scf.parallel
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: memref.dealloc
// CHECK-NOT: gpu.
func.func @in_parallel_loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %t = memref.alloc() : memref<4xf32>
    memref.dealloc %t : memref<4xf32>
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
