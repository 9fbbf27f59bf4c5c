//===- QMatmul.cpp - the threaded int8/int4 x f32 matmul ------------------===//
//
// xfrt_qmatmul_f32 (include/xf/Kernels.h): splits C into blocks, runs them
// on the thread pool, and sends each to the vector kernel of the widest
// instruction set the CPU has (QMatmulKernels.inc). A single row of A
// (decode) with groups a multiple of 32 is first quantized to int8 blocks
// (llama.cpp's Q8_1 activations) for the integer dot-product kernels. Also the quantizer that
// xf-quantize-weights packs weights with, and the scalar dequantization the
// tests check the kernel against.
//
//===----------------------------------------------------------------------===//

#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include "QMatmulTile.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace xf;
using namespace xf::kernels;

namespace {

using BlockFn = void (*)(const QMatmulProblem &, int64_t, int64_t, int64_t,
                         int64_t);

BlockFn kernelFor(const char *isa) {
  if (!std::strcmp(isa, "avx512"))
    return avx512::qmatmulBlock;
  if (!std::strcmp(isa, "avx2"))
    return avx2::qmatmulBlock;
  return sse2::qmatmulBlock;
}

using RowFn = void (*)(const QMatmulProblem &, const QuantizedRow &, int64_t,
                       int64_t);

RowFn rowKernelFor(const char *isa) {
#if defined(__x86_64__)
  // Without VNNI the avx2 kernel's vpmaddwd is what AVX-512 would do too.
  if (!std::strcmp(isa, "avx512")) {
    static const bool vnni = __builtin_cpu_supports("avx512vnni");
    return vnni ? avx512::qmatvecBlock : avx2::qmatvecBlock;
  }
#endif
  if (!std::strcmp(isa, "avx2"))
    return avx2::qmatvecBlock;
  return sse2::qmatvecBlock;
}

const char *bestISA() {
  static const char *isa = cpuSupportsISA("avx512") ? "avx512"
                           : cpuSupportsISA("avx2") ? "avx2"
                                                    : "sse2";
  return isa;
}

/// Rows of A and of W per block when A has several rows; rows of W per
/// chunk of a single-row (decode) call is chosen from the thread count.
constexpr int64_t kBlockRows = 48;
constexpr int64_t kBlockCols = 64;
/// Below this many multiply-adds a call runs on the calling thread.
constexpr int64_t kParallelMinMACs = 1 << 18;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Split {
  const QMatmulProblem *p;
  BlockFn block;
  int64_t rowsPerBlock, rowBlocks, colsPerBlock;
  RowFn rowBlock; // with `row`: the quantized single-row path
  QuantizedRow row;
};

void runBlock(void *context, int64_t item) {
  const Split &s = *static_cast<const Split *>(context);
  if (s.rowBlock) {
    int64_t j0 = item * s.colsPerBlock;
    s.rowBlock(*s.p, s.row, j0, std::min(s.p->n, j0 + s.colsPerBlock));
    return;
  }
  int64_t rowBlock = item % s.rowBlocks, colBlock = item / s.rowBlocks;
  int64_t i0 = rowBlock * s.rowsPerBlock;
  int64_t i1 = std::min(s.p->m, i0 + s.rowsPerBlock);
  int64_t j0 = colBlock * s.colsPerBlock;
  int64_t j1 = std::min(s.p->n, j0 + s.colsPerBlock);
  s.block(*s.p, i0, i1, j0, j1);
}

/// Quantizes a[0:k] into the QuantizedRow layout (QMatmulTile.h), stored
/// in `codes` and `scalesAndSums`; `nibbleOrder` for int4 weights.
QuantizedRow quantizeRow(const float *a, int64_t k, bool nibbleOrder,
                         std::vector<int8_t> &codes,
                         std::vector<float> &scalesAndSums) {
  int64_t blocks = ceilDiv(k, kActivationBlock);
  codes.assign(blocks * kActivationBlock, 0);
  scalesAndSums.resize(2 * blocks);
  float *scales = scalesAndSums.data(), *sums = scales + blocks;
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t k0 = b * kActivationBlock;
    int64_t count = std::min(kActivationBlock, k - k0);
    float amax = 0.0f;
    for (int64_t t = 0; t < count; ++t)
      amax = std::max(amax, std::fabs(a[k0 + t]));
    float scale = amax / 127.0f;
    float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
    int32_t sum = 0;
    for (int64_t t = 0; t < count; ++t) {
      int32_t q = int32_t(std::nearbyint(a[k0 + t] * inverse));
      sum += q;
      int64_t at = nibbleOrder && count == kActivationBlock
                       ? (t & 1 ? kActivationBlock / 2 : 0) + t / 2
                       : t;
      codes[k0 + at] = int8_t(q);
    }
    scales[b] = scale;
    sums[b] = scale * float(sum);
  }
  return {codes.data(), scales, sums};
}

} // namespace

bool xf::cpuSupportsISA(const char *isa) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (!std::strcmp(isa, "avx512"))
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw");
  if (!std::strcmp(isa, "avx2"))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return !std::strcmp(isa, "sse2");
#else
  return false;
#endif
}

void xf::qmatmulF32(const QMatmulProblem &p, const char *isa) {
  if (p.m <= 0 || p.n <= 0 || p.k <= 0)
    return;
  Split s;
  s.p = &p;
  s.block = kernelFor(isa ? isa : bestISA());
  int threads = numThreads();
  bool parallel = p.m * p.n * p.k >= kParallelMinMACs && threads > 1;
  s.rowBlock = nullptr;
  thread_local std::vector<int8_t> rowCodes;
  thread_local std::vector<float> rowScales;
  if (p.m == 1 && p.groupSize % kActivationBlock == 0) {
    s.rowBlock = rowKernelFor(isa ? isa : bestISA());
    s.row = quantizeRow(p.a, p.k, p.bits == 4, rowCodes, rowScales);
  }
  if (p.m == 1) {
    // Decode: contiguous stretches of W rows, a few per thread.
    s.rowsPerBlock = 1;
    s.rowBlocks = 1;
    s.colsPerBlock =
        parallel ? std::max<int64_t>(16, ceilDiv(ceilDiv(p.n, 4 * threads), 16) * 16)
                 : p.n;
  } else {
    s.rowsPerBlock = std::min(kBlockRows, p.m);
    s.rowBlocks = ceilDiv(p.m, s.rowsPerBlock);
    s.colsPerBlock = kBlockCols;
    // Enough blocks that every thread gets several.
    while (parallel && s.colsPerBlock > 16 &&
           s.rowBlocks * ceilDiv(p.n, s.colsPerBlock) < 4 * threads)
      s.colsPerBlock /= 2;
  }
  int64_t items = s.rowBlocks * ceilDiv(p.n, s.colsPerBlock);
  if (!parallel || items == 1) {
    for (int64_t i = 0; i < items; ++i)
      runBlock(&s, i);
    return;
  }
  parallelFor(items, runBlock, &s);
}

extern "C" void xfrt_qmatmul_f32(int64_t m, int64_t n, int64_t k, int64_t a,
                                 int64_t aM, int64_t w, int64_t wN,
                                 int64_t scales, int64_t sN,
                                 int64_t zeroPoints, int64_t zN,
                                 int64_t zeroPointsF32, int64_t bits,
                                 int64_t groupSize, int64_t c, int64_t cM) {
  QMatmulProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = reinterpret_cast<const float *>(a);
  p.aM = aM;
  p.w = reinterpret_cast<const uint8_t *>(w);
  p.wN = wN;
  p.scales = reinterpret_cast<const float *>(scales);
  p.sN = sN;
  p.zeroPoints = reinterpret_cast<const void *>(zeroPoints);
  p.zN = zN;
  p.zeroPointsF32 = zeroPointsF32 != 0;
  p.bits = bits;
  p.groupSize = groupSize;
  p.c = reinterpret_cast<float *>(c);
  p.cM = cM;
  qmatmulF32(p);
}

namespace {

void storeCode(uint8_t *row, int64_t p, int64_t bits, int32_t q) {
  if (bits == 8)
    row[p] = uint8_t(q);
  else
    row[p / 2] |= uint8_t((q & 0xF) << (p & 1 ? 4 : 0));
}

/// FloatZeroPoint for one group of `count` weights `at(0..count)`: the
/// min/max grid, then up to two least-squares refits of (scale, min) to
/// the codes the last grid gave, keeping the grid of least squared error.
template <typename At>
void fitScaleAndMin(At at, int64_t count, int32_t qmax, float &scale,
                    float &min) {
  float mn = at(0), mx = at(0);
  for (int64_t p = 1; p < count; ++p) {
    mn = std::min(mn, at(p));
    mx = std::max(mx, at(p));
  }
  min = mn;
  scale = (mx - mn) / float(qmax);
  if (scale == 0.0f)
    return;
  auto codeOf = [&](float s, float m, int64_t p) {
    return std::clamp<int32_t>(int32_t(std::nearbyint((at(p) - m) / s)), 0,
                               qmax);
  };
  auto squaredError = [&](float s, float m) {
    double e = 0.0;
    for (int64_t p = 0; p < count; ++p) {
      double d = double(s) * codeOf(s, m, p) + m - at(p);
      e += d * d;
    }
    return e;
  };
  double best = squaredError(scale, min);
  float s = scale, m = min;
  for (int round = 0; round < 2 && best > 0.0; ++round) {
    double sq = 0, sw = 0, sqq = 0, sqw = 0;
    for (int64_t p = 0; p < count; ++p) {
      double q = codeOf(s, m, p), w = at(p);
      sq += q;
      sw += w;
      sqq += q * q;
      sqw += q * w;
    }
    double det = double(count) * sqq - sq * sq;
    if (det <= 0.0)
      break;
    double fitScale = (double(count) * sqw - sq * sw) / det;
    if (!(fitScale > 0.0))
      break;
    s = float(fitScale);
    m = float((sw - fitScale * sq) / double(count));
    double error = squaredError(s, m);
    if (!(error < best))
      break;
    best = error;
    scale = s;
    min = m;
  }
}

} // namespace

void xf::quantizeWeights(const float *w, int64_t wN, int64_t wK, int64_t n,
                         int64_t k, int64_t bits, int64_t groupSize,
                         QuantScheme scheme, uint8_t *codes, float *scales,
                         void *zeroPoints) {
  int64_t rowBytes = quantizedRowBytes(k, bits);
  int64_t groups = ceilDiv(k, groupSize);
  int32_t qmax = bits == 8 ? 255 : 15;
  std::memset(codes, 0, n * rowBytes);
  for (int64_t j = 0; j < n; ++j) {
    uint8_t *row = codes + j * rowBytes;
    for (int64_t g = 0; g < groups; ++g) {
      int64_t k0 = g * groupSize, k1 = std::min(k, k0 + groupSize);
      auto at = [&](int64_t p) { return w[j * wN + p * wK]; };
      float scale = 0.0f;
      if (scheme == QuantScheme::FloatZeroPoint) {
        float min;
        fitScaleAndMin([&](int64_t p) { return at(k0 + p); }, k1 - k0, qmax,
                       scale, min);
        float zero = 0.0f;
        if (scale == 0.0f && min != 0.0f) {
          // A constant group: code 0 and scale |min| give min exactly.
          scale = std::fabs(min);
          zero = min > 0.0f ? -1.0f : 1.0f;
          min = -scale * zero;
        } else if (scale != 0.0f) {
          zero = -min / scale;
        }
        scales[j * groups + g] = scale;
        static_cast<float *>(zeroPoints)[j * groups + g] = zero;
        for (int64_t p = k0; p < k1; ++p) {
          int32_t q = scale == 0.0f ? 0
                                    : std::clamp<int32_t>(
                                          int32_t(std::nearbyint(
                                              (at(p) - min) / scale)),
                                          0, qmax);
          storeCode(row, p, bits, q);
        }
        continue;
      }
      int32_t zero = 0, lo, hi;
      if (scheme == QuantScheme::Symmetric) {
        lo = bits == 8 ? -128 : -8;
        hi = bits == 8 ? 127 : 7;
        float extreme = 0.0f;
        for (int64_t p = k0; p < k1; ++p)
          if (std::fabs(at(p)) > std::fabs(extreme))
            extreme = at(p);
        scale = bits == 8 ? std::fabs(extreme) / 127.0f : -extreme / 8.0f;
      } else {
        lo = 0;
        hi = qmax;
        float mn = 0.0f, mx = 0.0f;
        for (int64_t p = k0; p < k1; ++p) {
          mn = std::min(mn, at(p));
          mx = std::max(mx, at(p));
        }
        scale = (mx - mn) / float(hi);
        if (scale != 0.0f)
          zero = std::clamp<int32_t>(
              int32_t(std::nearbyint(-mn / scale)), lo, hi);
        static_cast<uint8_t *>(zeroPoints)[j * groups + g] = uint8_t(zero);
      }
      scales[j * groups + g] = scale;
      float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
      for (int64_t p = k0; p < k1; ++p)
        storeCode(row, p, bits,
                  std::clamp<int32_t>(
                      int32_t(std::nearbyint(at(p) * inverse)) + zero, lo,
                      hi));
    }
  }
}

float xf::dequantizeWeight(const uint8_t *codes, const float *scales,
                           const void *zeroPoints, QuantScheme scheme,
                           int64_t k, int64_t bits, int64_t groupSize,
                           int64_t j, int64_t p) {
  const uint8_t *row = codes + j * quantizedRowBytes(k, bits);
  int64_t g = p / groupSize, groups = ceilDiv(k, groupSize);
  bool isSigned = scheme == QuantScheme::Symmetric;
  int32_t q;
  if (bits == 8) {
    q = isSigned ? int32_t(int8_t(row[p])) : int32_t(row[p]);
  } else {
    uint8_t nibble = p & 1 ? row[p / 2] >> 4 : row[p / 2] & 0xF;
    q = isSigned ? int32_t(nibble ^ 8) - 8 : int32_t(nibble);
  }
  float scale = scales[j * groups + g];
  if (scheme == QuantScheme::FloatZeroPoint)
    return scale *
           (float(q) - static_cast<const float *>(zeroPoints)[j * groups + g]);
  if (scheme == QuantScheme::IntegerZeroPoint)
    q -= int32_t(static_cast<const uint8_t *>(zeroPoints)[j * groups + g]);
  return scale * float(q);
}
