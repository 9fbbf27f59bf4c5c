//===- QMatmulTile.h - per-ISA quantized matmul kernels ---------*- C++ -*-===//
//
// What QMatmul.cpp (threading, dispatch) calls in QMatmulKernels.inc, which
// is compiled once per instruction set (QMatmulSSE2.cpp, QMatmulAVX2.cpp,
// QMatmulAVX512.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_LIB_KERNELS_QMATMULTILE_H
#define XF_RUNTIME_LIB_KERNELS_QMATMULTILE_H

#include "xf/Kernels.h"

#include <cstdint>

namespace xf::kernels {

/// C[i0:i1, j0:j1] += A[i0:i1, :] x dequant(W[j0:j1, :])^T for the problem
/// `p` (xf::QMatmulProblem). Weights are decoded and scaled in registers,
/// 16 codes at a time.
#define XF_DECLARE_QMATMUL_KERNELS(NS)                                         \
  namespace NS {                                                               \
  void qmatmulBlock(const QMatmulProblem &p, int64_t i0, int64_t i1,           \
                    int64_t j0, int64_t j1);                                   \
  }
XF_DECLARE_QMATMUL_KERNELS(sse2)
XF_DECLARE_QMATMUL_KERNELS(avx2)
XF_DECLARE_QMATMUL_KERNELS(avx512)
#undef XF_DECLARE_QMATMUL_KERNELS

} // namespace xf::kernels

#endif // XF_RUNTIME_LIB_KERNELS_QMATMULTILE_H
