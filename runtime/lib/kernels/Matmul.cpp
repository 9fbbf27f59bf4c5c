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
};

KernelSet selectKernels() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {"avx512", avx512::matmulBlock, avx512::scratchFloats};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {"avx2", avx2::matmulBlock, avx2::scratchFloats};
#endif
  return {"sse2", sse2::matmulBlock, sse2::scratchFloats};
}

const KernelSet &selectedKernels() {
  static const KernelSet selected = selectKernels();
  return selected;
}

/// Columns per block: whole 64-column tiles. Rows per block: whole 6-row
/// tiles. Blocks are large enough to amortize packing a transposed B and
/// small enough to give every thread several.
constexpr int64_t kBlockRows = 48;
constexpr int64_t kBlockColumns = 256;
/// Below this many multiply-adds a call runs on the calling thread: handing
/// work to the pool costs a few microseconds, about what 256K multiply-adds
/// take on one core.
constexpr int64_t kParallelMinMACs = 1 << 18;

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
  t.b = p.b + o0 * p.bOuter[0] + o1 * p.bOuter[1];
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

} // namespace

const char *xf::matmulKernelISA() { return selectedKernels().isa; }

void xf::matmulF32(const MatmulProblem &p) {
  if (p.outer[0] <= 0 || p.outer[1] <= 0 || p.m <= 0 || p.n <= 0)
    return;
  if (p.k <= 0)
    return; // C += nothing.
  Split s;
  s.problem = &p;
  int64_t outer = p.outer[0] * p.outer[1];
  int threads = numThreads();
  s.rowsPerBlock = p.m == 1 ? 1 : kBlockRows;
  s.rowBlocks = ceilDiv(p.m, s.rowsPerBlock);
  // Enough column blocks that every thread gets a few, in whole 64-column
  // tiles, at most kBlockColumns wide.
  int64_t wanted = std::max<int64_t>(1, ceilDiv(4 * threads, outer * s.rowBlocks));
  s.columnsPerBlock = std::min<int64_t>(
      kBlockColumns, std::max<int64_t>(64, ceilDiv(ceilDiv(p.n, wanted), 64) * 64));
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

extern "C" void xfrt_matmul_f32(int64_t outer0, int64_t outer1, int64_t m,
                                int64_t n, int64_t k, int64_t a, int64_t aO0,
                                int64_t aO1, int64_t aM, int64_t aK, int64_t b,
                                int64_t bO0, int64_t bO1, int64_t bK,
                                int64_t bN, int64_t c, int64_t cO0,
                                int64_t cO1, int64_t cM, int64_t cN) {
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
  p.b = reinterpret_cast<const float *>(b);
  p.bOuter[0] = bO0;
  p.bOuter[1] = bO1;
  p.bK = bK;
  p.bN = bN;
  p.c = reinterpret_cast<float *>(c);
  p.cOuter[0] = cO0;
  p.cOuter[1] = cO1;
  p.cM = cM;
  p.cN = cN;
  matmulF32(p);
}
