//===- Kernels.h - runtime kernels that generated code calls ----*- C++ -*-===//
//
// Compute kernels the compiler lowers to calls instead of loops, because a
// hand-blocked, vectorized and threaded kernel beats what the loop pipeline
// makes of them (like IREE's microkernels or ONNX Runtime's MLAS).
//
// The CPU pipeline's `xf-lower-contractions-to-microkernels` pass rewrites an
// f32 contraction (linalg matmul / batch_matmul / a contraction generic with
// one m, one n, one k dimension and at most two further outer dimensions)
// into one call of
//
//   void xfrt_matmul_f32(
//       int64_t outer0, int64_t outer1, int64_t m, int64_t n, int64_t k,
//       float *a, int64_t a_o0, int64_t a_o1, int64_t a_m, int64_t a_k,
//       float *b, int64_t b_o0, int64_t b_o1, int64_t b_k, int64_t b_n,
//       float *c, int64_t c_o0, int64_t c_o1, int64_t c_m, int64_t c_n);
//
// which computes, for every (o0, o1) in [0, outer0) x [0, outer1):
//
//   C[o0, o1][i, j] += sum_p A[o0, o1][i, p] * B[o0, o1][p, j]
//
// Every operand is a pointer to its first element plus one stride per
// dimension, in elements. A stride may be 0 (an operand broadcast along that
// dimension) and any stride may be non-unit (a transposed operand needs no
// copy). C must not alias A or B. Pointers are passed as 64-bit integers, so
// the generated code needs no pointer types.
//
// The kernel splits the work across the runtime's thread pool
// (xf::setNumThreads; the environment variable XF_NUM_THREADS; by default
// one thread per hardware thread). It picks AVX-512, AVX2+FMA or a baseline
// SSE2 version when first called, by what the CPU supports.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_KERNELS_H
#define XF_RUNTIME_INCLUDE_XF_KERNELS_H

#include <cstdint>

extern "C" void xfrt_matmul_f32(int64_t outer0, int64_t outer1, int64_t m,
                                int64_t n, int64_t k, int64_t a, int64_t aO0,
                                int64_t aO1, int64_t aM, int64_t aK, int64_t b,
                                int64_t bO0, int64_t bO1, int64_t bK,
                                int64_t bN, int64_t c, int64_t cO0,
                                int64_t cO1, int64_t cM, int64_t cN);

namespace xf {

/// The shape and strides of one xfrt_matmul_f32 call.
struct MatmulProblem {
  int64_t outer[2], m, n, k;
  const float *a;
  int64_t aOuter[2], aM, aK;
  const float *b;
  int64_t bOuter[2], bK, bN;
  float *c;
  int64_t cOuter[2], cM, cN;
};

/// Runs `problem` with the best kernel for this CPU on the thread pool.
void matmulF32(const MatmulProblem &problem);

/// Which instruction set matmulF32 uses here: "avx512", "avx2" or "sse2".
const char *matmulKernelISA();

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_KERNELS_H
