// RUN: xf-opt %s --split-input-file --xf-dealloc-after-last-use | FileCheck %s

// A chain of buffers, all freed at the end of the block: each dealloc moves
// to right after the last op that reads its buffer.
// CHECK-LABEL: func.func @chain
// CHECK:         %[[A:.*]] = memref.alloc
// CHECK:         %[[B:.*]] = memref.alloc
// CHECK:         linalg.copy ins(%[[A]] {{.*}} outs(%[[B]]
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK:         %[[C:.*]] = memref.alloc
// CHECK:         linalg.copy ins(%[[B]] {{.*}} outs(%[[C]]
// CHECK-NEXT:    memref.dealloc %[[B]]
// CHECK:         linalg.copy ins(%[[C]]
// CHECK-NEXT:    memref.dealloc %[[C]]
// CHECK-NEXT:    return
func.func @chain(%n: index, %out: memref<?xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc(%n) : memref<?xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<?xf32>)
  %b = memref.alloc(%n) : memref<?xf32>
  linalg.copy ins(%a : memref<?xf32>) outs(%b : memref<?xf32>)
  %c = memref.alloc(%n) : memref<?xf32>
  linalg.copy ins(%b : memref<?xf32>) outs(%c : memref<?xf32>)
  linalg.copy ins(%c : memref<?xf32>) outs(%out : memref<?xf32>)
  memref.dealloc %a : memref<?xf32>
  memref.dealloc %b : memref<?xf32>
  memref.dealloc %c : memref<?xf32>
  return
}

// -----

// Uses through a view, inside a loop, and through the buffer's address as
// an integer all keep it alive: the dealloc lands after the last of them.
// CHECK-LABEL: func.func @aliases
// CHECK:         %[[A:.*]] = memref.alloc
// CHECK:         memref.subview %[[A]]
// CHECK:         scf.for
// CHECK:         memref.extract_aligned_pointer_as_index %[[A]]
// CHECK:         call @use_address
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK:         linalg.fill
// CHECK-NEXT:    return
func.func private @use_address(i64)
func.func @aliases(%n: index, %out: memref<?xf32>) {
  %cst = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc(%n) : memref<?xf32>
  %view = memref.subview %a[0] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1]>>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %view[%i] : memref<?xf32, strided<[1]>>
    memref.store %v, %out[%i] : memref<?xf32>
  }
  %address = memref.extract_aligned_pointer_as_index %a : memref<?xf32> -> index
  %address64 = arith.index_cast %address : index to i64
  call @use_address(%address64) : (i64) -> ()
  linalg.fill ins(%cst : f32) outs(%out : memref<?xf32>)
  memref.dealloc %a : memref<?xf32>
  return
}

// -----

// A buffer carried by a loop aliases the loop's iteration argument and
// result; a conditional dealloc (dynamic ownership) stays where it is.
// CHECK-LABEL: func.func @carried
// CHECK:         %[[A:.*]] = memref.alloc
// CHECK:         %[[R:.*]] = scf.for
// CHECK:         linalg.copy ins(%[[R]]
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK:         scf.if
// CHECK-NEXT:      memref.dealloc
// CHECK:         return
func.func @carried(%n: index, %out: memref<?xf32>, %cond: i1, %maybe: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc(%n) : memref<?xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %a) -> (memref<?xf32>) {
    scf.yield %x : memref<?xf32>
  }
  linalg.copy ins(%r : memref<?xf32>) outs(%out : memref<?xf32>)
  %cst = arith.constant 0.0 : f32
  linalg.fill ins(%cst : f32) outs(%out : memref<?xf32>)
  scf.if %cond {
    memref.dealloc %maybe : memref<?xf32>
  }
  memref.dealloc %a : memref<?xf32>
  return
}
