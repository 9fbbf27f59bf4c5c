//===- QMatmul.cpp - the threaded int8/int4 x f32 matmul ------------------===//
//
// xfrt_qmatmul_f32 (include/xf/Kernels.h): splits C into blocks, runs them
// on the thread pool, and sends each to the vector kernel of the widest
// instruction set the CPU has (QMatmulKernels.inc). A few rows of A
// (decode) with groups a multiple of 32 are first quantized to int8 blocks
// (llama.cpp's Q8_1 activations) for the integer dot-product kernels. More
// than kFewRowsMatmul rows (prefill) run, when the layer allows int8
// activations (the weights xfc quantized) on a CPU with AVX-512 VNNI and
// groups a multiple of 32, on A rounded the same way and panels of W's codes
// repacked for vpdpbusd (QGemmVNNI.cpp); otherwise on panels of W
// dequantized once to f32 and the f32 matmul's register tiles: as fast as
// an f32 matmul (on AVX2 without VNNI, integer dot products are no faster
// than f32 FMAs). The quantizer that packs weights is in Quantize.cpp.
//
//===----------------------------------------------------------------------===//

#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include "MatmulTile.h"
#include "QMatmulTile.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/// Many rows of A: W's rows dequantized into an f32 panel, then the f32
/// matmul's register tiles (MatmulTile.h) over it.
struct PanelKernels {
  void (*dequantize)(const QMatmulProblem &, int64_t, int64_t, float *,
                     int64_t);
  int64_t (*panelColumns)(int64_t);
  int64_t (*tileScratch)();
  void (*multiply)(int64_t, int64_t, int64_t, const float *, int64_t,
                   const float *, int64_t, float *, int64_t, float *);
};

PanelKernels panelKernelsFor(const char *isa) {
  if (!std::strcmp(isa, "avx512"))
    return {avx512::dequantizePanel, avx512::panelColumns,
            avx512::tileScratchFloats, avx512::matmulPanel};
  if (!std::strcmp(isa, "avx2"))
    return {avx2::dequantizePanel, avx2::panelColumns,
            avx2::tileScratchFloats, avx2::matmulPanel};
  return {sse2::dequantizePanel, sse2::panelColumns, sse2::tileScratchFloats,
          sse2::matmulPanel};
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

/// Floats of a dequantized panel: k x (its columns) stays within half of
/// a 512 KiB L2, next to the rows of A passing over it.
constexpr int64_t kPanelFloats = 1 << 16;

struct PanelSplit {
  const QMatmulProblem *p;
  PanelKernels kernels;
  int64_t columnsPerPanel;
};

/// One panel: columns [j0, j1) of C for every row of A. Dequantizing costs
/// about what a few rows of A cost to multiply, so each panel is made once
/// for all of them.
void runPanel(void *context, int64_t item) {
  const PanelSplit &s = *static_cast<const PanelSplit *>(context);
  const QMatmulProblem &p = *s.p;
  int64_t j0 = item * s.columnsPerPanel;
  int64_t j1 = std::min(p.n, j0 + s.columnsPerPanel);
  int64_t pk = s.kernels.panelColumns(j1 - j0);
  thread_local std::vector<float> scratch;
  int64_t tile = s.kernels.tileScratch();
  if (scratch.size() < size_t(tile + p.k * pk))
    scratch.resize(tile + p.k * pk);
  float *panel = scratch.data() + tile;
  if (pk != j1 - j0)
    std::fill(panel, panel + p.k * pk, 0.0f);
  s.kernels.dequantize(p, j0, j1, panel, pk);
  s.kernels.multiply(p.m, j1 - j0, p.k, p.a, p.aM, panel, pk, p.c + j0, p.cM,
                     scratch.data());
}

/// Columns per panel of n: whole 32-column steps (a tile width of every
/// ISA), as many as `budget` columns allow, but enough panels that every
/// thread gets several.
int64_t columnsPerPanel(int64_t n, int64_t budget) {
  int threads = numThreads();
  int64_t columns = std::max<int64_t>(32, budget / 32 * 32);
  while (threads > 1 && columns > 32 && ceilDiv(n, columns) < 4 * threads)
    columns -= 32;
  return std::min(columns, n);
}

/// runPanel-like `run` for each panel of n columns, on the pool.
void runPanels(int64_t n, int64_t columns, void (*run)(void *, int64_t),
               void *context) {
  int64_t items = ceilDiv(n, columns);
  if (numThreads() == 1 || items == 1) {
    for (int64_t i = 0; i < items; ++i)
      run(context, i);
    return;
  }
  parallelFor(items, run, context);
}

void panelMatmul(const QMatmulProblem &p, const char *isa) {
  PanelSplit s;
  s.p = &p;
  s.kernels = panelKernelsFor(isa);
  s.columnsPerPanel = columnsPerPanel(p.n, kPanelFloats / p.k);
  runPanels(p.n, s.columnsPerPanel, runPanel, &s);
}

struct Split {
  const QMatmulProblem *p;
  BlockFn block;
  int64_t rowsPerBlock, rowBlocks, colsPerBlock;
  RowFn rowBlock; // with `rows`: the quantized few-rows path
  /// Row i of A quantized, and the problem writing row i of C, for the
  /// `rowCount` rows of A (the caller's thread-local storage).
  const QuantizedRow *rows = nullptr;
  const QMatmulProblem *rowProblems = nullptr;
  int64_t rowCount = 0;
};

void runBlock(void *context, int64_t item) {
  const Split &s = *static_cast<const Split *>(context);
  if (s.rowBlock) {
    // The block's W rows stay in cache for the rows of A after the first.
    int64_t j0 = item * s.colsPerBlock;
    for (int64_t i = 0; i < s.rowCount; ++i)
      s.rowBlock(s.rowProblems[i], s.rows[i], j0,
                 std::min(s.p->n, j0 + s.colsPerBlock));
    return;
  }
  int64_t rowBlock = item % s.rowBlocks, colBlock = item / s.rowBlocks;
  int64_t i0 = rowBlock * s.rowsPerBlock;
  int64_t i1 = std::min(s.p->m, i0 + s.rowsPerBlock);
  int64_t j0 = colBlock * s.colsPerBlock;
  int64_t j1 = std::min(s.p->n, j0 + s.colsPerBlock);
  s.block(*s.p, i0, i1, j0, j1);
}

#if defined(__SSE2__)
/// Block b of quantizeRow when it is whole: the 32 codes of a[0:32] at
/// `inverse` (round to nearest even, as nearbyint in the default rounding
/// mode), in natural or nibble order, stored at `out`; returns their sum.
/// The scalar loop spent most of its time in calls of nearbyintf (this file
/// is built for baseline x86-64, where it is a library call).
int32_t quantizeBlock32(const float *a, float inverse, bool nibbleOrder,
                        int8_t *out) {
  __m128 inv = _mm_set1_ps(inverse);
  __m128i q[8];
  for (int i = 0; i < 8; ++i)
    q[i] = _mm_cvtps_epi32(_mm_mul_ps(_mm_loadu_ps(a + 4 * i), inv));
  if (nibbleOrder) {
    // The 16 even elements, then the 16 odd ones.
    __m128i even[4], odd[4];
    for (int i = 0; i < 4; ++i) {
      __m128 x = _mm_castsi128_ps(q[2 * i]), y = _mm_castsi128_ps(q[2 * i + 1]);
      even[i] = _mm_castps_si128(_mm_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0)));
      odd[i] = _mm_castps_si128(_mm_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    for (int i = 0; i < 4; ++i) {
      q[i] = even[i];
      q[4 + i] = odd[i];
    }
  }
  __m128i sum = _mm_setzero_si128();
  for (int i = 0; i < 8; ++i)
    sum = _mm_add_epi32(sum, q[i]);
  // |q| <= 127: the saturating packs are exact.
  for (int h = 0; h < 2; ++h) {
    __m128i bytes = _mm_packs_epi16(_mm_packs_epi32(q[4 * h], q[4 * h + 1]),
                                    _mm_packs_epi32(q[4 * h + 2], q[4 * h + 3]));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(out + 16 * h), bytes);
  }
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(sum);
}

/// max |a[t]| over a[0:32].
float absMax32(const float *a) {
  __m128 magnitude = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
  __m128 m = _mm_setzero_ps();
  for (int i = 0; i < 8; ++i)
    m = _mm_max_ps(m, _mm_and_ps(_mm_loadu_ps(a + 4 * i), magnitude));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}
#endif

/// Quantizes a[0:k] into the QuantizedRow layout (QMatmulTile.h), stored
/// in `codes` and `scalesAndSums`; `nibbleOrder` for int4 weights.
QuantizedRow quantizeRow(const float *a, int64_t k, bool nibbleOrder,
                         std::vector<int8_t> &codes,
                         std::vector<float> &scalesAndSums) {
  int64_t blocks = ceilDiv(k, kActivationBlock);
  codes.resize(blocks * kActivationBlock);
  scalesAndSums.resize(2 * blocks);
  float *scales = scalesAndSums.data(), *sums = scales + blocks;
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t k0 = b * kActivationBlock;
    int64_t count = std::min(kActivationBlock, k - k0);
#if defined(__SSE2__)
    if (count == kActivationBlock) {
      float scale = absMax32(a + k0) / 127.0f;
      float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
      int32_t sum = quantizeBlock32(a + k0, inverse, nibbleOrder, &codes[k0]);
      scales[b] = scale;
      sums[b] = scale * float(sum);
      continue;
    }
#endif
    float amax = 0.0f;
    for (int64_t t = 0; t < count; ++t)
      amax = std::max(amax, std::fabs(a[k0 + t]));
    float scale = amax / 127.0f;
    float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
    int32_t sum = 0;
    for (int64_t t = 0; t < kActivationBlock; ++t)
      codes[k0 + t] = 0;
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

bool hasVNNI() {
#if defined(__x86_64__)
  static const bool vnni = __builtin_cpu_supports("avx512vnni") &&
                           __builtin_cpu_supports("bmi2") &&
                           cpuSupportsISA("avx512");
  return vnni;
#else
  return false;
#endif
}

bool useVNNIPanels(int64_t m, int64_t groupSize, const char *isa) {
  return m > kFewRowsMatmul && groupSize % kActivationBlock == 0 &&
         !std::strcmp(isa, "avx512") && hasVNNI();
}

struct VNNISplit {
  const QMatmulProblem *p;
  vnni::QuantizedRows rows;
  int64_t columnsPerPanel;
};

void runVNNIPanel(void *context, int64_t item) {
  const VNNISplit &s = *static_cast<const VNNISplit *>(context);
  const QMatmulProblem &p = *s.p;
  int64_t j0 = item * s.columnsPerPanel;
  int64_t j1 = std::min(p.n, j0 + s.columnsPerPanel);
  int64_t pk = vnni::panelColumns(j1 - j0);
  int64_t groups = ceilDiv(p.k, p.groupSize);
  thread_local std::vector<uint8_t> panel;
  thread_local std::vector<float> scales;
  panel.resize(vnni::panelBytes(p.k, j1 - j0));
  scales.resize(2 * groups * pk);
  float *corrections = scales.data() + groups * pk;
  vnni::packPanel(p, j0, j1, panel.data(), scales.data(), corrections);
  vnni::multiplyPanel(p, s.rows, j0, j1, panel.data(), scales.data(),
                      corrections);
}

/// Many rows of A with integer dot products: A rounded once, then panels
/// of W's codes (a quarter of an f32 panel's bytes, so four times the
/// columns in the same cache) split across the pool.
void vnniPanelMatmul(const QMatmulProblem &p) {
  int64_t blocks = ceilDiv(p.k, kActivationBlock);
  int64_t groups = ceilDiv(p.k, p.groupSize);
  int64_t blocksPerGroup = p.groupSize / kActivationBlock;
  thread_local std::vector<int8_t> codes;
  thread_local std::vector<float> scalesAndSums, groupSums;
  std::vector<int8_t> rowCodes;
  std::vector<float> rowScales;
  codes.resize(p.m * blocks * kActivationBlock);
  scalesAndSums.resize(p.m * blocks);
  groupSums.assign(p.m * groups, 0.0f);
  for (int64_t i = 0; i < p.m; ++i) {
    QuantizedRow row =
        quantizeRow(p.a + i * p.aM, p.k, false, rowCodes, rowScales);
    std::memcpy(&codes[i * blocks * kActivationBlock], row.codes,
                blocks * kActivationBlock);
    std::memcpy(&scalesAndSums[i * blocks], row.scales, blocks * sizeof(float));
    for (int64_t b = 0; b < blocks; ++b)
      groupSums[i * groups + b / blocksPerGroup] += row.sums[b];
  }
  VNNISplit s;
  s.p = &p;
  s.rows = {codes.data(), blocks * kActivationBlock, scalesAndSums.data(),
            blocks, groupSums.data(), groups};
  // A panel within half of a 1 MiB L2 (Zen 4 and the AVX-512 Xeons have at
  // least that).
  constexpr int64_t kPanelBytes = 1 << 19;
  s.columnsPerPanel =
      columnsPerPanel(p.n, kPanelBytes / (blocks * kActivationBlock));
  runPanels(p.n, s.columnsPerPanel, runVNNIPanel, &s);
}

} // namespace

bool xf::qmatmulQuantizesActivations(int64_t m, int64_t groupSize,
                                     bool int8Activations, const char *isa,
                                     bool exactActivations) {
  if (groupSize % kActivationBlock != 0 || exactActivations)
    return false;
  return m <= kFewRowsMatmul ||
         (int8Activations &&
          useVNNIPanels(m, groupSize, isa ? isa : bestISA()));
}

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
  if (p.m > kFewRowsMatmul) {
    if (p.int8Activations &&
        useVNNIPanels(p.m, p.groupSize, isa ? isa : bestISA()))
      return vnniPanelMatmul(p);
    return panelMatmul(p, isa ? isa : bestISA());
  }
  Split s;
  s.p = &p;
  s.block = kernelFor(isa ? isa : bestISA());
  int threads = numThreads();
  bool parallel = p.m * p.n * p.k >= kParallelMinMACs && threads > 1;
  s.rowBlock = nullptr;
  // A few rows (decode, a batch of decode steps, a speculative verify step)
  // take the integer path row by row, so each row's result is the same bits
  // as alone (xf::kFewRowsMatmul).
  bool fewRows = p.m <= kFewRowsMatmul;
  if (fewRows && p.groupSize % kActivationBlock == 0 && !p.exactActivations) {
    // Reused between calls: decode makes hundreds of them per token.
    thread_local std::vector<std::vector<int8_t>> rowCodes;
    thread_local std::vector<std::vector<float>> rowScales;
    thread_local std::vector<QuantizedRow> rows;
    thread_local std::vector<QMatmulProblem> rowProblems;
    if (rowCodes.size() < size_t(p.m)) {
      rowCodes.resize(p.m);
      rowScales.resize(p.m);
    }
    rows.clear();
    rowProblems.clear();
    s.rowBlock = rowKernelFor(isa ? isa : bestISA());
    for (int64_t i = 0; i < p.m; ++i) {
      rows.push_back(quantizeRow(p.a + i * p.aM, p.k, p.bits == 4,
                                 rowCodes[i], rowScales[i]));
      QMatmulProblem rowProblem = p;
      rowProblem.m = 1;
      rowProblem.a = p.a + i * p.aM;
      rowProblem.c = p.c + i * p.cM;
      rowProblems.push_back(rowProblem);
    }
    s.rows = rows.data();
    s.rowProblems = rowProblems.data();
    s.rowCount = p.m;
  }
  if (s.rowBlock || p.m == 1) {
    // Decode: contiguous stretches of W rows, a few per thread.
    s.rowsPerBlock = 1;
    s.rowBlocks = 1;
    s.colsPerBlock =
        parallel ? std::max<int64_t>(16, ceilDiv(ceilDiv(p.n, 4 * threads), 16) * 16)
                 : p.n;
    // Several rows read each block's W rows once from memory and again
    // from cache: blocks small enough to stay in L2. (A column's sum does
    // not depend on the blocking.)
    if (p.m > 1)
      s.colsPerBlock = std::min<int64_t>(s.colsPerBlock, 128);
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
                                 int64_t groupSize, int64_t c, int64_t cM,
                                 int64_t int8Activations) {
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
  p.int8Activations = int8Activations == 1;
  p.exactActivations = int8Activations == 2;
  qmatmulF32(p);
}
