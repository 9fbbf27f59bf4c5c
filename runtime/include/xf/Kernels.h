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
// A linear layer whose weights are stored in 16 bits (an fp16/bf16 export,
// or xfc --weights=f16|bf16) calls xfrt_matmul_f32_b16: the same operands
// and strides, B's in elements of 2 bytes, plus `b_format` (1: IEEE f16,
// 2: bf16). B is widened to f32 exactly as it is read (F16C / AVX-512
// vcvtph2ps, a shift for bf16), so the result is the f32 matmul on the
// weights' f32 values, reading half the bytes.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_KERNELS_H
#define XF_RUNTIME_INCLUDE_XF_KERNELS_H

// The prototypes of xfrt_matmul_f32, xfrt_qmatmul_f32 and xfrt_shape_error
// come from the table that codegen declares them from (xf/Microkernels.def).
#include "xf/Half.h"
#include "xf/Microkernels.h"

#include <cstdint>

// Quantized linear layers (`xf.qlinear`, lowered by xf-lower-qlinear-to-
// microkernels) call
//
//   void xfrt_qmatmul_f32(
//       int64_t m, int64_t n, int64_t k,
//       float *a, int64_t a_m,                 // A[i, p] = a[i * a_m + p]
//       uint8_t *w, int64_t w_n,               // codes of W row j at w + j * w_n
//       float *scales, int64_t s_n,            // scale of (j, g): scales[j * s_n + g]
//       void *zero_points, int64_t z_n,        // null when symmetric
//       int64_t zero_points_f32,               // 1: f32 zero points, 0: u8
//       int64_t bits, int64_t group_size,
//       float *c, int64_t c_m,                 // C[i, j] = c[i * c_m + j]
//       int64_t int8_activations);             // 1: A may be rounded to int8
//
// which computes, with G = group_size, g = p / G (the last group of a row
// may be partial: ceil(k / G) groups per row):
//
//   C[i, j] += sum_p A[i, p] * w(j, p)
//   w(j, p) = scales[j, g] * q(j, p)                      (zero_points null)
//   w(j, p) = scales[j, g] * (q(j, p) - zero_points[j, g]) (otherwise)
//
// W is [n, k] (row j: the k weights of output feature j, nn.Linear's
// layout) stored as codes, `xf.qlinear`'s packing: bits = 8, one code per
// byte; bits = 4, two per byte, element 2t in the low nibble of byte t and
// element 2t + 1 in the high nibble (odd k: the last byte's high nibble is
// padding). Codes are signed (two's complement: -128..127, -8..7) when
// zero_points is null, unsigned (0..255, 0..15) otherwise; zero points are
// one unsigned byte each, also for bits = 4, or with zero_points_f32 one
// f32 each (fractional: `scale * (q - z)` is then Q4_1's `d * q + min`
// with min = -scale * z, a grid that need not hold 0). Scales are f32.
// Strides are in elements (bytes for w and u8 zero_points); A, W, scales and C rows are
// contiguous along their last dimension. C must not alias the others.
//
// Up to kFewRowsMatmul rows of A (decode, a batch of decode steps, a
// speculative verify step) split W by rows across the pool, so each thread
// streams a contiguous stretch of W once; with group_size a multiple of 32
// each row of A is first rounded to int8 in blocks of 32 (scale max|A| /
// 127 per block, llama.cpp's Q8_1) and the codes are multiplied as
// integers: C then differs from the f32 sum by the rounding of A (at most
// half a step, max|A| / 254, per element); other group sizes decode W in
// registers, 16 codes at a time. More rows (prefill) split C by columns:
// each block of W's rows is dequantized once into an f32 panel (in cache,
// never the whole matrix) that every row of A is multiplied with; with
// int8_activations (xf.qlinear's, set for the weights xfc quantized) on a
// CPU with AVX-512 VNNI and groups a multiple of 32 the panel holds W's
// codes instead and A is rounded to int8 as for a few rows (integer dot
// products make four times an f32 FMA's multiply-adds). ISA and threads as
// for xfrt_matmul_f32.

// Shape errors. A size that is known only at run time and that the compiler
// could not prove right (a dimension that is `?` in the model, say a mask's
// head dimension that may broadcast) is checked by the generated code before
// anything reads through it (xf.check_dim, lowered by xf-lower-shape-checks).
// A failing check calls
//
//   void xfrt_shape_error(const char *message, int64_t size,
//                         int64_t expected, int64_t broadcast);
//
// which prints, with `message` naming the op (its ONNX node and file) and
// the dimension,
//
//   error: <message> is <size>, which does not broadcast to <expected>
//   error: <message> is <size> but must be <expected>
//
// (broadcast != 0: `size` had to be `expected` or 1; otherwise equal) to
// stderr and exits the process with status 1. It never returns. The message
// pointer is passed as a 64-bit integer, as the kernels' pointers are.

namespace xf {

/// Calls of xfrt_matmul_f32 (with contiguous B and C rows) and
/// xfrt_qmatmul_f32 (groups a multiple of 32) with at most this many rows
/// of A compute each row exactly as a call with that row alone would, to
/// the bit: a batch of decode steps, or a speculative verify step's k + 1
/// rows, gives the logits single decode steps give, so speculation and
/// batching change no greedy output.
constexpr int64_t kFewRowsMatmul = 16;

/// The shape and strides of one xfrt_matmul_f32 call.
struct MatmulProblem {
  int64_t outer[2], m, n, k;
  const float *a;
  int64_t aOuter[2], aM, aK;
  /// f32, or 16-bit weights (xfrt_matmul_f32_b16) widened as they are read.
  const void *b;
  FloatFormat bFormat = FloatFormat::F32;
  int64_t bOuter[2], bK, bN;
  float *c;
  int64_t cOuter[2], cM, cN;
};

/// Runs `problem` with the best kernel for this CPU on the thread pool.
void matmulF32(const MatmulProblem &problem);

/// Which instruction set matmulF32 uses here: "avx512", "avx2" or "sse2".
const char *matmulKernelISA();


/// The operands of one xfrt_qmatmul_f32 call.
struct QMatmulProblem {
  int64_t m, n, k;
  const float *a;
  int64_t aM;
  const uint8_t *w;
  int64_t wN;
  const float *scales;
  int64_t sN;
  const void *zeroPoints; // null: symmetric, signed codes
  int64_t zN;
  bool zeroPointsF32 = false; // f32 zero points; otherwise u8 ones
  int64_t bits, groupSize;
  float *c;
  int64_t cM;
  /// A may be rounded to int8 for many rows too (xf.qlinear's
  /// int8_activations).
  bool int8Activations = false;
  /// A is never rounded, not even for a few rows (xf.qlinear's
  /// exact_activations).
  bool exactActivations = false;
};

/// Runs `problem` on the thread pool with the best kernel for this CPU, or
/// with `isa` ("avx512", "avx2", "sse2"; for tests) when given.
void qmatmulF32(const QMatmulProblem &problem, const char *isa = nullptr);

/// Whether qmatmulF32 (with `isa`, or the best one when null) rounds the
/// rows of an m-row A to int8 in blocks of 32 before multiplying.
bool qmatmulQuantizesActivations(int64_t m, int64_t groupSize,
                                 bool int8Activations,
                                 const char *isa = nullptr,
                                 bool exactActivations = false);

/// Whether this CPU can run `isa` ("avx512", "avx2", "sse2").
bool cpuSupportsISA(const char *isa);

/// Bytes per row of `k` codes of `bits` bits: ceil(k * bits / 8).
inline int64_t quantizedRowBytes(int64_t k, int64_t bits) {
  return (k * bits + 7) / 8;
}

/// How quantizeWeights places a group's grid.
enum class QuantScheme {
  /// Signed codes, no zero point: int8 scale = max|w| / 127,
  /// q = round(w / scale); int4 scale = -(the element of largest magnitude)
  /// / 8, so that element is exactly -8 and the rest round into -8..7 (as
  /// llama.cpp's Q4_0).
  Symmetric,
  /// Unsigned codes over [min(w, 0), max(w, 0)]: scale = (max - min) / qmax
  /// (255, 15), u8 zero point z = round(-min / scale), q = round(w / scale)
  /// + z, both clamped to 0..qmax (zero is exact). What ONNX's
  /// DequantizeLinear can express.
  IntegerZeroPoint,
  /// Unsigned codes over [min(w), max(w)] with an f32 zero point (Q4_1's
  /// scale and min): scale = (max - min) / qmax, z = -min / scale,
  /// q = round((w - min) / scale); then scale and min are refitted to those
  /// codes by least squares when that lowers the group's squared error.
  /// Weights already on such a grid come back exactly (up to rounding).
  FloatZeroPoint,
};

/// One group's grid as quantizeWeights places it: `code` rounds a weight to
/// the nearest code the grid has, `value` is the weight a code stands for
/// (dequantizeWeight's). GPTQ (passes/Quantization/GPTQ.cpp) fits a grid
/// to a group and then rounds weights it has since corrected onto it.
struct QuantGrid {
  QuantScheme scheme = QuantScheme::Symmetric;
  /// zero: the f32 zero point (FloatZeroPoint), the u8 one as a float
  /// (IntegerZeroPoint), else 0. min: FloatZeroPoint's lowest grid value.
  float scale = 0.0f, zero = 0.0f, min = 0.0f;
  int32_t lo = 0, hi = 0;

  int32_t code(float w) const;
  float value(int32_t code) const;
  /// Writes the grid as group `index` of quantizeWeights' outputs: its
  /// scale, and its zero point unless symmetric.
  void store(float *scales, void *zeroPoints, int64_t index) const;
};

/// The grid quantizeWeights gives the `count` weights w[0], w[stride], ...
QuantGrid fitQuantGrid(const float *w, int64_t stride, int64_t count,
                       int64_t bits, QuantScheme scheme);

/// Stores `code` as element p of a row in xf.qlinear's packing (int4: low
/// nibble first; the row's bytes must start zeroed).
inline void storeQuantCode(uint8_t *row, int64_t p, int64_t bits,
                           int32_t code) {
  if (bits == 8)
    row[p] = uint8_t(code);
  else
    row[p / 2] |= uint8_t((code & 0xF) << (p & 1 ? 4 : 0));
}

/// Quantizes W [n, k], element (j, p) at w[j * wN + p * wK] (so a [k, n]
/// matrix is read transposed with wN = 1, wK = n), in groups of
/// `groupSize` along k (the last one may be partial), rounding to nearest
/// with `scheme`.
///
/// Writes `codes` [n, quantizedRowBytes(k, bits)] (xf.qlinear's packing),
/// `scales` [n, ceil(k / groupSize)] and, unless symmetric, `zeroPoints` of
/// the same shape (uint8_t for IntegerZeroPoint, float for FloatZeroPoint).
/// A group of zeros gets scale 0 (codes 0, zero point 0).
void quantizeWeights(const float *w, int64_t wN, int64_t wK, int64_t n,
                     int64_t k, int64_t bits, int64_t groupSize,
                     QuantScheme scheme, uint8_t *codes, float *scales,
                     void *zeroPoints);

/// The weight that code (j, p) of a quantized W stands for (the reference
/// the kernel is tested against); `zeroPoints` as quantizeWeights writes
/// them for `scheme`.
float dequantizeWeight(const uint8_t *codes, const float *scales,
                       const void *zeroPoints, QuantScheme scheme, int64_t k,
                       int64_t bits, int64_t groupSize, int64_t j, int64_t p);
} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_KERNELS_H
