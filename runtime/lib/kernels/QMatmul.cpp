//===- QMatmul.cpp - the threaded int8/int4 x f32 matmul ------------------===//
//
// xfrt_qmatmul_f32 (include/xf/Kernels.h): splits C into blocks, runs them
// on the thread pool, and sends each to the vector kernel of the widest
// instruction set the CPU has (QMatmulKernels.inc). Also the quantizer that
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
};

void runBlock(void *context, int64_t item) {
  const Split &s = *static_cast<const Split *>(context);
  int64_t rowBlock = item % s.rowBlocks, colBlock = item / s.rowBlocks;
  int64_t i0 = rowBlock * s.rowsPerBlock;
  int64_t i1 = std::min(s.p->m, i0 + s.rowsPerBlock);
  int64_t j0 = colBlock * s.colsPerBlock;
  int64_t j1 = std::min(s.p->n, j0 + s.colsPerBlock);
  s.block(*s.p, i0, i1, j0, j1);
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
                                 int64_t zeroPoints, int64_t zN, int64_t bits,
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
  p.zeroPoints = reinterpret_cast<const uint8_t *>(zeroPoints);
  p.zN = zN;
  p.bits = bits;
  p.groupSize = groupSize;
  p.c = reinterpret_cast<float *>(c);
  p.cM = cM;
  qmatmulF32(p);
}

void xf::quantizeWeights(const float *w, int64_t wN, int64_t wK, int64_t n,
                         int64_t k, int64_t bits, int64_t groupSize,
                         bool symmetric, uint8_t *codes, float *scales,
                         uint8_t *zeroPoints) {
  int64_t rowBytes = quantizedRowBytes(k, bits);
  int64_t groups = ceilDiv(k, groupSize);
  std::memset(codes, 0, n * rowBytes);
  for (int64_t j = 0; j < n; ++j) {
    uint8_t *row = codes + j * rowBytes;
    for (int64_t g = 0; g < groups; ++g) {
      int64_t k0 = g * groupSize, k1 = std::min(k, k0 + groupSize);
      auto at = [&](int64_t p) { return w[j * wN + p * wK]; };
      float scale = 0.0f;
      int32_t zero = 0, lo, hi;
      if (symmetric) {
        lo = bits == 8 ? -128 : -8;
        hi = bits == 8 ? 127 : 7;
        float extreme = 0.0f;
        for (int64_t p = k0; p < k1; ++p)
          if (std::fabs(at(p)) > std::fabs(extreme))
            extreme = at(p);
        scale = bits == 8 ? std::fabs(extreme) / 127.0f : -extreme / 8.0f;
      } else {
        lo = 0;
        hi = bits == 8 ? 255 : 15;
        float mn = 0.0f, mx = 0.0f;
        for (int64_t p = k0; p < k1; ++p) {
          mn = std::min(mn, at(p));
          mx = std::max(mx, at(p));
        }
        scale = (mx - mn) / float(hi);
        if (scale != 0.0f)
          zero = std::clamp<int32_t>(
              int32_t(std::nearbyint(-mn / scale)), lo, hi);
        zeroPoints[j * groups + g] = uint8_t(zero);
      }
      scales[j * groups + g] = scale;
      float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
      for (int64_t p = k0; p < k1; ++p) {
        int32_t q = std::clamp<int32_t>(
            int32_t(std::nearbyint(at(p) * inverse)) + zero, lo, hi);
        if (bits == 8)
          row[p] = uint8_t(int8_t(q));
        else
          row[p / 2] |= uint8_t((q & 0xF) << (p & 1 ? 4 : 0));
      }
    }
  }
}

float xf::dequantizeWeight(const uint8_t *codes, const float *scales,
                           const uint8_t *zeroPoints, int64_t k, int64_t bits,
                           int64_t groupSize, int64_t j, int64_t p) {
  const uint8_t *row = codes + j * quantizedRowBytes(k, bits);
  int64_t g = p / groupSize, groups = ceilDiv(k, groupSize);
  int32_t q;
  if (bits == 8) {
    q = zeroPoints ? int32_t(row[p]) : int32_t(int8_t(row[p]));
  } else {
    uint8_t nibble = p & 1 ? row[p / 2] >> 4 : row[p / 2] & 0xF;
    q = zeroPoints ? int32_t(nibble) : int32_t(nibble ^ 8) - 8;
  }
  if (zeroPoints)
    q -= int32_t(zeroPoints[j * groups + g]);
  return scales[j * groups + g] * float(q);
}
