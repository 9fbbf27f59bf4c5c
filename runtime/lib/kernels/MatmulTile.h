//===- MatmulTile.h - the per-ISA matmul block interface --------*- C++ -*-===//
//
// Matmul.cpp splits a problem into blocks and hands each to the block
// function of the instruction set the CPU has (MatmulKernels.inc).
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_LIB_KERNELS_MATMULTILE_H
#define XF_RUNTIME_LIB_KERNELS_MATMULTILE_H

#include "xf/Half.h"

#include <algorithm>
#include <cstdint>

namespace xf::kernels {

/// One 2-D matmul C[m x n] += A[m x k] * B[k x n], strides in elements.
/// B holds f32, or f16/bf16 weights that are widened as they are read.
struct TileProblem {
  int64_t k;
  const float *a;
  int64_t aM, aK;
  const void *b;
  FloatFormat bFormat;
  int64_t bK, bN;
  float *c;
  int64_t cM, cN;
};

/// Per instruction set:
///   matmulBlock    rows [m0, m1) x columns [n0, n1) of C += A B
///   scratchFloats  the scratch matmulBlock needs for k and a block width
///   rowPanel       out[i, 0..n) += sum over p in [k0, k1) of
///                  a[i, p] * B[p, 0..n) for the m rows i of A (`am` apart)
///                  and of out (`outM` apart), B rows contiguous and `bk`
///                  apart (a few rows of A: decode), in `bFormat`; row
///                  i's sums are the same whatever m is
///   matmulPanel    C[0:m, 0:n] += A[0:m, 0:k] * P[0:k, 0:n] for a panel P
///                  whose rows are `pk` apart and readable (zeros) up to
///                  panelColumns(n); A and C rows contiguous; `scratch`
///                  holds tileScratchFloats() floats. The quantized matmul
///                  runs many rows of A through it on dequantized weights.
#define XF_DECLARE_MATMUL_KERNELS(NS)                                          \
  namespace NS {                                                               \
  void matmulBlock(const TileProblem &t, int64_t m0, int64_t m1, int64_t n0,   \
                   int64_t n1, float *scratch);                                \
  int64_t scratchFloats(int64_t k, int64_t columns);                           \
  void rowPanel(int64_t m, int64_t n, int64_t k0, int64_t k1, const float *a, \
                int64_t am, int64_t ak, const void *b, FloatFormat bFormat,    \
                int64_t bk, float *out, int64_t outM);                         \
  int64_t panelColumns(int64_t columns);                                       \
  int64_t tileScratchFloats();                                                 \
  void matmulPanel(int64_t m, int64_t n, int64_t k, const float *a,            \
                   int64_t am, const float *panel, int64_t pk, float *c,       \
                   int64_t cm, float *scratch);                                \
  }
XF_DECLARE_MATMUL_KERNELS(sse2)
XF_DECLARE_MATMUL_KERNELS(avx2)
XF_DECLARE_MATMUL_KERNELS(avx512)
#undef XF_DECLARE_MATMUL_KERNELS

} // namespace xf::kernels

#endif // XF_RUNTIME_LIB_KERNELS_MATMULTILE_H
