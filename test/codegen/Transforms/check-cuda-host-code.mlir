// RUN: xf-opt %s -split-input-file -verify-diagnostics -xf-check-cuda-host-code | FileCheck %s

// Sizes, views, device memory and launches: a CUDA program's host code.
// CHECK-LABEL: func.func @host_code_that_runs(
module attributes {gpu.container_module} {
  func.func @host_code_that_runs(%a: memref<?x4xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = memref.dim %a, %c0 : memref<?x4xf32>
    %flat = memref.collapse_shape %a [[0, 1]] : memref<?x4xf32> into memref<?xf32>
    %t = gpu.wait async
    %b, %t1 = gpu.alloc async [%t] (%n) : memref<?xf32>
    gpu.wait [%t1]
    gpu.launch_func @kernels::@k blocks in (%n, %c1, %c1) threads in (%c1, %c1, %c1) args(%flat : memref<?xf32>, %b : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>, %y: memref<?xf32>) kernel {
      %i = gpu.block_id x
      %v = memref.load %x[%i] : memref<?xf32>
      memref.store %v, %y[%i] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

func.func @reads_device_memory(%a: memref<4xi64>) -> i64 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{--target=cuda cannot yet lower 'memref.load' on the host: it would read device memory on the host}}
  %v = memref.load %a[%c0] : memref<4xi64>
  return %v : i64
}

// -----

// Managed memory, host memory and the arguments the runtime passes in
// managed memory: host code reads and writes them.
// CHECK-LABEL: func.func @host_accessible(
memref.global "private" constant @table : memref<2xi64> = dense<[1, 2]>
func.func @host_accessible(%positions: memref<?xi64> {xf.host_accessible}) -> i64 {
  %c0 = arith.constant 0 : index
  %shape = gpu.alloc host_shared () : memref<2xi64>
  %t = memref.get_global @table : memref<2xi64>
  %a = memref.load %t[%c0] : memref<2xi64>
  %b = memref.load %positions[%c0] : memref<?xi64>
  %s = arith.addi %a, %b : i64
  memref.store %s, %shape[%c0] : memref<2xi64>
  return %s : i64
}

// -----

module attributes {gpu.container_module} {
  memref.global "private" constant @table : memref<2xf32> = dense<[1.0, 2.0]>
  func.func @host_memory_to_kernel() {
    %c1 = arith.constant 1 : index
    %t = memref.get_global @table : memref<2xf32>
    // expected-error @below {{--target=cuda cannot yet lower 'gpu.launch_func' on the host: a kernel would read host memory}}
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%t : memref<2xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<2xf32>) kernel {
      gpu.return
    }
  }
}

// -----

func.func private @xfrt_matmul_f32(i64, i64, i64, i64, i64, i64)
func.func @cpu_kernel(%x: i64) {
  // expected-error @below {{--target=cuda cannot yet lower 'func.call' on the host: it calls 'xfrt_matmul_f32', which runs on the CPU}}
  func.call @xfrt_matmul_f32(%x, %x, %x, %x, %x, %x) : (i64, i64, i64, i64, i64, i64) -> ()
  return
}

// -----

// A loop that was not mapped is reported once, not each op in it.
func.func @unmapped_loop(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{--target=cuda cannot yet lower 'scf.parallel' on the host: the parallel loop was not mapped to a kernel}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %a[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @allocates() kernel {
      // expected-error @below {{--target=cuda cannot yet lower 'memref.alloc' in a kernel: it allocates memory inside a kernel (a size with no constant bound)}}
      %t = memref.alloc() : memref<4xf32>
      gpu.return
    }
  }
}
