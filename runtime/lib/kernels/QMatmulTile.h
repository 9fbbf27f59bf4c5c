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

/// Activation blocks of the integer matvec path: a row of A is quantized
/// to int8 in blocks of this many elements (llama.cpp's Q8_1).
constexpr int64_t kActivationBlock = 32;

/// One row of A quantized for qmatvecBlock: codes[p] = round(A[p] /
/// scales[p / 32]) with the scale max|A| / 127 of each block, and
/// sums[b] = scales[b] * (the sum of block b's codes). For int4 weights a
/// whole block is stored in the weights' nibble order, its 16 even elements
/// then its 16 odd ones; a partial last block is in natural order.
struct QuantizedRow {
  const int8_t *codes;
  const float *scales;
  const float *sums;
};

/// C[i0:i1, j0:j1] += A[i0:i1, :] x dequant(W[j0:j1, :])^T for the problem
/// `p` (xf::QMatmulProblem). Weights are decoded and scaled in registers,
/// 16 codes at a time. qmatvecBlock: C[0, j0:j1] += the same for one row
/// of A given quantized (p.groupSize a multiple of kActivationBlock), by
/// integer dot products of 32 codes, scaled once per activation block; the
/// avx512 one uses AVX-512 VNNI and may run only where the CPU has it.
/// dequantizePanel: panel[p * pk + j - j0] = w(j, p) for j in [j0, j1),
/// p in [0, k): W's rows as the columns of an f32 matmul's B, for many
/// rows of A (MatmulTile.h's matmulPanel multiplies them).
#define XF_DECLARE_QMATMUL_KERNELS(NS)                                         \
  namespace NS {                                                               \
  void qmatmulBlock(const QMatmulProblem &p, int64_t i0, int64_t i1,           \
                    int64_t j0, int64_t j1);                                   \
  void qmatvecBlock(const QMatmulProblem &p, const QuantizedRow &a,            \
                    int64_t j0, int64_t j1);                                   \
  void dequantizePanel(const QMatmulProblem &p, int64_t j0, int64_t j1,        \
                       float *panel, int64_t pk);                              \
  }
XF_DECLARE_QMATMUL_KERNELS(sse2)
XF_DECLARE_QMATMUL_KERNELS(avx2)
XF_DECLARE_QMATMUL_KERNELS(avx512)
#undef XF_DECLARE_QMATMUL_KERNELS

/// Many rows of A on AVX-512 VNNI (QGemmVNNI.cpp), for groups a multiple of
/// kActivationBlock: row i's codes (in natural order, zero up to the last
/// whole block) at codes + i * codesM, its block scales at scales +
/// i * scalesM, and the sums of its groups' activations (the block sums of
/// QuantizedRow over each group of W) at groupSums + i * groupSumsM.
namespace vnni {
struct QuantizedRows {
  const int8_t *codes;
  int64_t codesM;
  const float *scales;
  int64_t scalesM;
  const float *groupSums;
  int64_t groupSumsM;
};
/// Columns of a panel of `columns` W rows (a multiple of 32), and its bytes.
int64_t panelColumns(int64_t columns);
int64_t panelBytes(int64_t k, int64_t columns);
/// W's rows [j0, j1) as vpdpbusd operands: byte (s * pk + c) * 4 + t is the
/// unsigned code of row j0 + c at k = 4 * s + t (pk = panelColumns), with
/// their group scales and scale * (zero point + bias) at [g * pk + c].
void packPanel(const QMatmulProblem &p, int64_t j0, int64_t j1,
               uint8_t *panel, float *scales, float *corrections);
/// C[0:m, j0:j1] += A x dequant(W[j0:j1, :])^T on a packed panel.
void multiplyPanel(const QMatmulProblem &p, const QuantizedRows &a,
                   int64_t j0, int64_t j1, const uint8_t *panel,
                   const float *scales, const float *corrections);
} // namespace vnni

} // namespace xf::kernels

#endif // XF_RUNTIME_LIB_KERNELS_QMATMULTILE_H
