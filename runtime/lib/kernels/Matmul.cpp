//===- Matmul.cpp - the threaded f32 matmul kernel ------------------------===//
//
// Splits each call into blocks of C (and the outer dimensions), runs them on
// the thread pool, and sends each block to the vector kernel of the widest
// instruction set the CPU has.
//
//===----------------------------------------------------------------------===//

#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include "MatmulTile.h"

#include <vector>

using namespace xf;
using namespace xf::kernels;

namespace {

struct KernelSet {
  const char *isa;
  void (*block)(const TileProblem &, int64_t, int64_t, int64_t, int64_t,
                float *);
  int64_t (*scratch)(int64_t, int64_t);
  void (*rowPanel)(int64_t, int64_t, int64_t, int64_t, const float *, int64_t,
                   int64_t, const void *, FloatFormat, int64_t, float *,
                   int64_t);
};

KernelSet selectKernels() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {"avx512", avx512::matmulBlock, avx512::scratchFloats, avx512::rowPanel};
  // F16C converts 16-bit weights; every AVX2 CPU has it, but check.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c"))
    return {"avx2", avx2::matmulBlock, avx2::scratchFloats, avx2::rowPanel};
#endif
  return {"sse2", sse2::matmulBlock, sse2::scratchFloats, sse2::rowPanel};
}

const KernelSet &selectedKernels() {
  static const KernelSet selected = selectKernels();
  return selected;
}

/// Columns per block: whole 64-column tiles (16 for a single row). Rows per block: whole 6-row
/// tiles. Blocks are large enough to amortize packing a transposed B and
/// small enough to give every thread several.
constexpr int64_t kBlockRows = 48;
constexpr int64_t kBlockColumns = 256;
/// Below this many multiply-adds a call runs on the calling thread: handing
/// work to the pool costs a few microseconds, about what 256K multiply-adds
/// take on one core.
constexpr int64_t kParallelMinMACs = 1 << 18;

/// `base` advanced by `index` elements of `format`.
const void *elementAt(const void *base, FloatFormat format, int64_t index) {
  int64_t bytes = format == FloatFormat::F32 ? 4 : 2;
  return static_cast<const char *>(base) + index * bytes;
}

struct Split {
  const MatmulProblem *problem;
  int64_t rowBlocks, columnBlocks, rowsPerBlock, columnsPerBlock;
};

void runBlock(void *context, int64_t item) {
  const Split &s = *static_cast<const Split *>(context);
  const MatmulProblem &p = *s.problem;
  int64_t perOuter = s.rowBlocks * s.columnBlocks;
  int64_t outer = item / perOuter, rest = item % perOuter;
  int64_t o0 = outer / p.outer[1], o1 = outer % p.outer[1];
  int64_t columnBlock = rest / s.rowBlocks, rowBlock = rest % s.rowBlocks;
  TileProblem t;
  t.k = p.k;
  t.a = p.a + o0 * p.aOuter[0] + o1 * p.aOuter[1];
  t.aM = p.aM;
  t.aK = p.aK;
  t.b = elementAt(p.b, p.bFormat, o0 * p.bOuter[0] + o1 * p.bOuter[1]);
  t.bFormat = p.bFormat;
  t.bK = p.bK;
  t.bN = p.bN;
  t.c = p.c + o0 * p.cOuter[0] + o1 * p.cOuter[1];
  t.cM = p.cM;
  t.cN = p.cN;
  int64_t m0 = rowBlock * s.rowsPerBlock;
  int64_t m1 = std::min(p.m, m0 + s.rowsPerBlock);
  int64_t n0 = columnBlock * s.columnsPerBlock;
  int64_t n1 = std::min(p.n, n0 + s.columnsPerBlock);
  thread_local std::vector<float> scratch;
  size_t need = selectedKernels().scratch(p.k, n1 - n0);
  if (scratch.size() < need)
    scratch.resize(need);
  selectedKernels().block(t, m0, m1, n0, n1, scratch.data());
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// A few rows of A times a B with contiguous rows (a decode step's
/// projection, a speculative verify step's k + 1 rows): memory-bound, so the
/// split is by rows of B, which makes each thread read one contiguous
/// stretch of the weights once for all rows of A. Column panels keep the
/// partial sums of a wide B (the LM head) in L1/L2. Partials are added into
/// C at the end, chunk by chunk. The chunks depend on k and the thread count
/// only, and rowPanel treats each row alike, so a row's result is the same
/// bits whether it comes alone or with up to kFewRowsMatmul - 1 others: a verify
/// step or a batch computes exactly the logits single decode steps would.
struct RowSplit {
  const MatmulProblem *problem;
  int64_t rowChunks, rowsPerChunk, panels, panelWidth;
  float *partials; // [rowChunks][m][stride]
  /// Floats between rows of a chunk's partials: n and 16 more, so that the
  /// rows of a wide B (a multiple of 4 KiB apart) do not share L1 sets.
  int64_t stride;
};

void runRowChunk(void *context, int64_t item) {
  const RowSplit &s = *static_cast<const RowSplit *>(context);
  const MatmulProblem &p = *s.problem;
  int64_t chunk = item / s.panels, panel = item % s.panels;
  int64_t k0 = chunk * s.rowsPerChunk, k1 = std::min(p.k, k0 + s.rowsPerChunk);
  int64_t n0 = panel * s.panelWidth, n1 = std::min(p.n, n0 + s.panelWidth);
  float *out = s.partials + chunk * p.m * s.stride + n0;
  for (int64_t i = 0; i < p.m; ++i)
    std::fill(out + i * s.stride, out + i * s.stride + (n1 - n0), 0.0f);
  selectedKernels().rowPanel(p.m, n1 - n0, k0, k1, p.a, p.aM, p.aK,
                             elementAt(p.b, p.bFormat, n0), p.bFormat, p.bK,
                             out, s.stride);
}

void fewRowsMatmul(const MatmulProblem &p) {
  RowSplit s;
  s.problem = &p;
  int threads = numThreads();
  // Not a function of m: the chunks, and so the sums, are the same for
  // every row count.
  bool parallel = p.n * p.k >= kParallelMinMACs && threads > 1;
  s.rowChunks = parallel ? std::min<int64_t>(2 * threads, ceilDiv(p.k, 16)) : 1;
  s.rowsPerChunk = ceilDiv(p.k, s.rowChunks);
  s.rowChunks = ceilDiv(p.k, s.rowsPerChunk);
  // One row reads whole rows of B, each chunk one contiguous stretch of
  // memory (panels of 4096 columns made strided 8 KiB pieces of a wide B:
  // 1B f16 decode ran 5% slower, AMD EPYC). Several rows keep their `out`
  // panels in L1: narrower panels. Either way the last n % 16 columns are
  // rowPanel's scalar tail (256 is whole vectors), so a row's sums do not
  // depend on the panel width.
  s.panelWidth = p.m == 1 ? p.n : 256;
  s.panels = ceilDiv(p.n, s.panelWidth);
  s.stride = p.n + 16;
  thread_local std::vector<float> partials;
  if (partials.size() < static_cast<size_t>(s.rowChunks * p.m * s.stride))
    partials.resize(s.rowChunks * p.m * s.stride);
  s.partials = partials.data();
  int64_t items = s.rowChunks * s.panels;
  if (parallel)
    parallelFor(items, runRowChunk, &s);
  else
    for (int64_t i = 0; i < items; ++i)
      runRowChunk(&s, i);
  for (int64_t i = 0; i < p.m; ++i) {
    float *c = p.c + i * p.cM;
    for (int64_t chunk = 0; chunk < s.rowChunks; ++chunk) {
      const float *partial = s.partials + (chunk * p.m + i) * s.stride;
      for (int64_t j = 0; j < p.n; ++j)
        c[j] += partial[j];
    }
  }
}

} // namespace

const char *xf::matmulKernelISA() { return selectedKernels().isa; }

void xf::matmulF32(const MatmulProblem &p) {
  if (p.outer[0] <= 0 || p.outer[1] <= 0 || p.m <= 0 || p.n <= 0)
    return;
  if (p.k <= 0)
    return; // C += nothing.
  if (p.m <= kFewRowsMatmul && p.outer[0] * p.outer[1] == 1 && p.bN == 1 &&
      p.cN == 1)
    return fewRowsMatmul(p);
  Split s;
  s.problem = &p;
  int64_t outer = p.outer[0] * p.outer[1];
  int threads = numThreads();
  s.rowsPerBlock = p.m == 1 ? 1 : kBlockRows;
  s.rowBlocks = ceilDiv(p.m, s.rowsPerBlock);
  // Enough column blocks that every thread gets a few, in whole 64-column
  // tiles, at most kBlockColumns wide.
  // A single row streams B: fewer, wider blocks keep its runs long.
  int64_t perThread = p.m == 1 ? 2 : 4;
  int64_t unit = p.m == 1 ? 16 : 64;
  int64_t widest = p.m == 1 ? 4 * kBlockColumns : kBlockColumns;
  int64_t wanted =
      std::max<int64_t>(1, ceilDiv(perThread * threads, outer * s.rowBlocks));
  s.columnsPerBlock = std::min<int64_t>(
      widest, std::max<int64_t>(unit, ceilDiv(ceilDiv(p.n, wanted), unit) * unit));
  s.columnBlocks = ceilDiv(p.n, s.columnsPerBlock);
  int64_t items = outer * s.rowBlocks * s.columnBlocks;
  // Tiny problems are not worth waking the pool for.
  if (p.m * p.n * p.k * outer < kParallelMinMACs || items == 1) {
    for (int64_t i = 0; i < items; ++i)
      runBlock(&s, i);
    return;
  }
  parallelFor(items, runBlock, &s);
}

namespace {
/// The operands of an xfrt_matmul_f32(_b16) call.
MatmulProblem callProblem(int64_t outer0, int64_t outer1, int64_t m, int64_t n,
                          int64_t k, int64_t a, int64_t aO0, int64_t aO1,
                          int64_t aM, int64_t aK, int64_t b, int64_t bO0,
                          int64_t bO1, int64_t bK, int64_t bN, int64_t c,
                          int64_t cO0, int64_t cO1, int64_t cM, int64_t cN) {
  MatmulProblem p;
  p.outer[0] = outer0;
  p.outer[1] = outer1;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = reinterpret_cast<const float *>(a);
  p.aOuter[0] = aO0;
  p.aOuter[1] = aO1;
  p.aM = aM;
  p.aK = aK;
  p.b = reinterpret_cast<const void *>(b);
  p.bOuter[0] = bO0;
  p.bOuter[1] = bO1;
  p.bK = bK;
  p.bN = bN;
  p.c = reinterpret_cast<float *>(c);
  p.cOuter[0] = cO0;
  p.cOuter[1] = cO1;
  p.cM = cM;
  p.cN = cN;
  return p;
}
} // namespace

extern "C" void xfrt_matmul_f32(int64_t outer0, int64_t outer1, int64_t m,
                                int64_t n, int64_t k, int64_t a, int64_t aO0,
                                int64_t aO1, int64_t aM, int64_t aK, int64_t b,
                                int64_t bO0, int64_t bO1, int64_t bK,
                                int64_t bN, int64_t c, int64_t cO0,
                                int64_t cO1, int64_t cM, int64_t cN) {
  matmulF32(callProblem(outer0, outer1, m, n, k, a, aO0, aO1, aM, aK, b, bO0,
                        bO1, bK, bN, c, cO0, cO1, cM, cN));
}

extern "C" void xfrt_matmul_f32_b16(int64_t outer0, int64_t outer1, int64_t m,
                                    int64_t n, int64_t k, int64_t a,
                                    int64_t aO0, int64_t aO1, int64_t aM,
                                    int64_t aK, int64_t b, int64_t bO0,
                                    int64_t bO1, int64_t bK, int64_t bN,
                                    int64_t c, int64_t cO0, int64_t cO1,
                                    int64_t cM, int64_t cN, int64_t bFormat) {
  MatmulProblem p = callProblem(outer0, outer1, m, n, k, a, aO0, aO1, aM, aK,
                                b, bO0, bO1, bK, bN, c, cO0, cO1, cM, cN);
  p.bFormat = bFormat == 2 ? FloatFormat::BF16 : FloatFormat::F16;
  matmulF32(p);
}
