// RUN: xf-opt %s --split-input-file --xf-lower-contractions-to-microkernels | FileCheck %s

// A plain matmul: sizes m, n, k; every operand's address and strides.
// CHECK-LABEL: func.func private @xfrt_matmul_f32(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @matmul
// CHECK-SAME:    (%[[A:.+]]: memref<?x64xf32>, %[[B:.+]]: memref<64x32xf32>, %[[C:.+]]: memref<?x32xf32>)
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant 0 : i64
// CHECK-DAG:     %[[ONE:.+]] = arith.constant 1 : i64
// CHECK-DAG:     %[[M:.+]] = memref.dim %[[A]]
// CHECK-DAG:     %[[M64:.+]] = arith.index_cast %[[M]] : index to i64
// CHECK-DAG:     %[[N:.+]] = arith.constant 32 : index
// CHECK-DAG:     %[[N64:.+]] = arith.index_cast %[[N]] : index to i64
// CHECK-DAG:     %[[K:.+]] = arith.constant 64 : index
// CHECK-DAG:     %[[K64:.+]] = arith.index_cast %[[K]] : index to i64
// CHECK-DAG:     memref.extract_aligned_pointer_as_index %[[A]]
// CHECK-DAG:     memref.extract_aligned_pointer_as_index %[[B]]
// CHECK-DAG:     memref.extract_aligned_pointer_as_index %[[C]]
// CHECK:         call @xfrt_matmul_f32(%[[ONE]], %[[ONE]], %[[M64]], %[[N64]], %[[K64]], %{{.+}}, %[[ZERO]], %[[ZERO]], %{{.+}}, %{{.+}}, %{{.+}}, %[[ZERO]], %[[ZERO]], %{{.+}}, %{{.+}}, %{{.+}}, %[[ZERO]], %[[ZERO]], %{{.+}}, %{{.+}})
// CHECK-NOT:     linalg.matmul
func.func @matmul(%a: memref<?x64xf32>, %b: memref<64x32xf32>, %c: memref<?x32xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x32xf32>) outs(%c : memref<?x32xf32>)
  return
}

// -----

// Attention scores Q x K^T over (batch, head): two outer loops, B read
// through K's strides with k and n swapped (no transpose copy).
// CHECK-LABEL: func.func @scores_with_transposed_keys
// CHECK-SAME:    (%[[Q:.+]]: memref<2x4x?x16xf32>, %[[K:.+]]: memref<2x4x?x16xf32>, %[[S:.+]]: memref<2x4x?x?xf32>)
// CHECK:         %{{.+}}, %{{.+}}, %{{.+}}:4, %[[KSTRIDES:.+]]:4 = memref.extract_strided_metadata %[[K]]
// CHECK:         %[[KS0:.+]] = arith.index_cast %[[KSTRIDES]]#0
// CHECK:         %[[KS1:.+]] = arith.index_cast %[[KSTRIDES]]#1
// CHECK:         %[[KSK:.+]] = arith.index_cast %[[KSTRIDES]]#3
// CHECK:         %[[KSN:.+]] = arith.index_cast %[[KSTRIDES]]#2
// CHECK:         call @xfrt_matmul_f32({{(%[^,]+, )+}}%[[KS0]], %[[KS1]], %[[KSK]], %[[KSN]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}})
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
func.func @scores_with_transposed_keys(%q: memref<2x4x?x16xf32>, %k: memref<2x4x?x16xf32>, %s: memref<2x4x?x?xf32>) {
  linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<2x4x?x16xf32>, memref<2x4x?x16xf32>) outs(%s : memref<2x4x?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %c, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Not f32, or not a contraction: left alone.
// CHECK-LABEL: func.func @leaves_others
// CHECK-NOT:     call @xfrt_matmul_f32
// CHECK:         linalg.matmul
// CHECK:         linalg.generic
// CHECK-NOT:     call @xfrt_matmul_f32
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @leaves_others(%a: memref<4x8xi32>, %b: memref<8x2xi32>, %c: memref<4x2xi32>,
                         %x: memref<4x8xf32>, %y: memref<8x2xf32>, %z: memref<4x2xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xi32>, memref<8x2xi32>) outs(%c : memref<4x2xi32>)
  // max-plus is not a multiply-add.
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : memref<4x8xf32>, memref<8x2xf32>) outs(%z : memref<4x2xf32>) {
  ^bb0(%p: f32, %q: f32, %r: f32):
    %s = arith.addf %p, %q : f32
    %m = arith.maximumf %r, %s : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A linear with 16-bit weights (xf-promote-to-f32's): B is f16, widened in
// the body; the call is xfrt_matmul_f32_b16 with B's offset in 2-byte
// elements and b_format 1 (2 for bf16).
// CHECK-LABEL: func.func private @xfrt_matmul_f32_b16(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @linear_f16_weight
// CHECK:         %[[TWO:.+]] = arith.constant 2 : index
// CHECK:         arith.muli %{{.+}}, %[[TWO]] : index
// CHECK:         %[[F16:.+]] = arith.constant 1 : i64
// CHECK-NEXT:    call @xfrt_matmul_f32_b16({{(%[^,]+, )+}}%[[F16]])
// CHECK-NOT:     linalg.generic
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#y = affine_map<(m, n, k) -> (m, n)>
func.func @linear_f16_weight(%a: memref<?x64xf32>, %b: memref<32x64xf16>, %c: memref<?x32xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x64xf32>, memref<32x64xf16>) outs(%c : memref<?x32xf32>) {
  ^bb0(%x: f32, %w: f16, %acc: f32):
    %wide = arith.extf %w : f16 to f32
    %p = arith.mulf %x, %wide : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Anything else done to a 16-bit B (here a scale) is not the kernel's
// product: the generic stays.
// CHECK-LABEL: func.func @scaled_bf16_weight
// CHECK-NOT:     call @xfrt_matmul
// CHECK:         linalg.generic
func.func @scaled_bf16_weight(%a: memref<?x64xf32>, %b: memref<32x64xbf16>, %c: memref<?x32xf32>) {
  %two = arith.constant 2.0 : f32
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x64xf32>, memref<32x64xbf16>) outs(%c : memref<?x32xf32>) {
  ^bb0(%x: f32, %w: bf16, %acc: f32):
    %wide = arith.extf %w : bf16 to f32
    %s = arith.mulf %wide, %two : f32
    %p = arith.mulf %x, %s : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}
