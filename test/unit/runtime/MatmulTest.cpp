//===- MatmulTest.cpp - the runtime's f32 matmul kernel -------------------===//
//
// Every instruction set the CPU has, and the threaded entry point, against a
// plain triple loop in double precision, over shapes that hit whole tiles,
// ragged edges, a single row (decode), transposed and broadcast operands.
//
//===----------------------------------------------------------------------===//

#include "xf/Half.h"
#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include "../../../runtime/lib/kernels/MatmulTile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

struct Case {
  int64_t m, n, k;
  bool transposeA, transposeB;
};

/// Row-major A [m x k] (or [k x m] if transposed), B [k x n] (or [n x k]).
struct Operands {
  std::vector<float> a, b;
  int64_t aM, aK, bK, bN;
};

Operands makeOperands(const Case &c, std::mt19937 &rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Operands o;
  o.a.resize(c.m * c.k);
  o.b.resize(c.k * c.n);
  for (float &x : o.a)
    x = dist(rng);
  for (float &x : o.b)
    x = dist(rng);
  o.aM = c.transposeA ? 1 : c.k;
  o.aK = c.transposeA ? c.m : 1;
  o.bK = c.transposeB ? 1 : c.n;
  o.bN = c.transposeB ? c.k : 1;
  return o;
}

std::vector<double> reference(const Case &c, const Operands &o,
                              const std::vector<float> &cInit) {
  std::vector<double> out(cInit.begin(), cInit.end());
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j)
      for (int64_t p = 0; p < c.k; ++p)
        out[i * c.n + j] += double(o.a[i * o.aM + p * o.aK]) *
                            double(o.b[p * o.bK + j * o.bN]);
  return out;
}

/// f32 accumulation over k terms of size <= 1: allow k ulps-ish of 1.
void expectClose(const std::vector<double> &expected,
                 const std::vector<float> &actual, int64_t k,
                 const char *what) {
  double tolerance = 1e-6 * (k + 8);
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(expected[i], actual[i], tolerance) << what << " at " << i;
}

/// The block kernel of every instruction set, and whether this CPU runs it
/// (the dispatch's conditions: AVX2 also needs FMA and F16C).
struct Kernel {
  const char *name;
  bool supported;
  void (*block)(const xf::kernels::TileProblem &, int64_t, int64_t, int64_t,
                int64_t, float *);
  int64_t (*scratch)(int64_t, int64_t);
};

std::vector<Kernel> kernelsHere() {
  __builtin_cpu_init();
  return {
      {"sse2", true, xf::kernels::sse2::matmulBlock,
       xf::kernels::sse2::scratchFloats},
      {"avx2",
       __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c"),
       xf::kernels::avx2::matmulBlock, xf::kernels::avx2::scratchFloats},
      {"avx512", __builtin_cpu_supports("avx512f") != 0,
       xf::kernels::avx512::matmulBlock, xf::kernels::avx512::scratchFloats},
  };
}

const Case kCases[] = {
    {1, 1, 1, false, false},    {1, 576, 576, false, false},
    {1, 100, 37, false, true},  {6, 16, 8, false, false},
    {7, 33, 19, false, false},  {13, 70, 64, true, false},
    {64, 64, 64, false, true},  {50, 300, 129, true, true},
    {128, 192, 576, false, false},
};

TEST(MatmulTest, EveryKernelMatchesReference) {
  const std::vector<Kernel> kernels = kernelsHere();
  std::mt19937 rng(7);
  for (const Kernel &kernel : kernels) {
    if (!kernel.supported)
      continue;
    for (const Case &c : kCases) {
      Operands o = makeOperands(c, rng);
      std::vector<float> out(c.m * c.n, 0.5f);
      std::vector<double> expected = reference(c, o, out);
      xf::kernels::TileProblem t{c.k,  o.a.data(), o.aM,
                                 o.aK, o.b.data(), xf::FloatFormat::F32,
                                 o.bK, o.bN,       out.data(),
                                 c.n,  1};
      std::vector<float> scratch(kernel.scratch(c.k, c.n));
      kernel.block(t, 0, c.m, 0, c.n, scratch.data());
      SCOPED_TRACE(::testing::Message()
                   << kernel.name << " m=" << c.m << " n=" << c.n
                   << " k=" << c.k << " tA=" << c.transposeA
                   << " tB=" << c.transposeB);
      expectClose(expected, out, c.k, kernel.name);
    }
  }
}

/// B stored in 16 bits: every kernel's block and the threaded entry point
/// (few rows, one row, many rows; [K, N] and transposed [N, K] B) give the
/// f32 matmul on B's widened values. The widening is exact, so the
/// reference and tolerance are the f32 ones.
TEST(MatmulTest, SixteenBitWeightsMatchTheirF32Values) {
  const std::vector<Kernel> kernels = kernelsHere();
  const Case cases[] = {
      {1, 576, 576, false, false}, {3, 100, 37, false, false},
      {1, 100, 37, false, true},   {16, 130, 70, false, false},
      {40, 300, 129, false, true}, {64, 192, 96, false, false},
  };
  std::mt19937 rng(5);
  for (xf::FloatFormat format : {xf::FloatFormat::F16, xf::FloatFormat::BF16}) {
    for (const Case &c : cases) {
      Operands o = makeOperands(c, rng);
      // Round B to the format; the reference uses the widened values.
      std::vector<uint16_t> b16(o.b.size());
      for (size_t i = 0; i < o.b.size(); ++i) {
        b16[i] = format == xf::FloatFormat::F16 ? xf::floatToHalf(o.b[i])
                                                : xf::floatToBF16(o.b[i]);
        o.b[i] = xf::formatToFloat(format, b16.data(), i);
      }
      std::vector<float> init(c.m * c.n, 0.5f);
      std::vector<double> expected = reference(c, o, init);
      SCOPED_TRACE(::testing::Message()
                   << "format=" << int(format) << " m=" << c.m << " n=" << c.n
                   << " k=" << c.k << " tB=" << c.transposeB);
      for (const Kernel &kernel : kernels) {
        if (!kernel.supported)
          continue;
        std::vector<float> out = init;
        xf::kernels::TileProblem t{c.k,  o.a.data(), o.aM, o.aK,
                                   b16.data(), format, o.bK, o.bN,
                                   out.data(), c.n, 1};
        std::vector<float> scratch(kernel.scratch(c.k, c.n));
        kernel.block(t, 0, c.m, 0, c.n, scratch.data());
        expectClose(expected, out, c.k, kernel.name);
      }
      for (int threads : {1, 2}) {
        xf::setNumThreads(threads);
        std::vector<float> out = init;
        xfrt_matmul_f32_b16(1, 1, c.m, c.n, c.k,
                            reinterpret_cast<int64_t>(o.a.data()), 0, 0, o.aM,
                            o.aK, reinterpret_cast<int64_t>(b16.data()), 0, 0,
                            o.bK, o.bN, reinterpret_cast<int64_t>(out.data()),
                            0, 0, c.n, 1, int64_t(format));
        expectClose(expected, out, c.k, "threaded");
      }
    }
  }
}

TEST(MatmulTest, HalfConversionsRoundToNearestEven) {
  // Every f16 bit pattern widens and narrows back to itself (NaNs stay
  // NaNs), and f32 values between two halves round to the nearer, ties to
  // the even one, as numpy's astype(float16) does.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = xf::halfToFloat(uint16_t(h));
    uint16_t back = xf::floatToHalf(f);
    if (std::isnan(f))
      EXPECT_TRUE(std::isnan(xf::halfToFloat(back))) << h;
    else
      EXPECT_EQ(back, h) << h;
    float g = xf::bf16ToFloat(uint16_t(h));
    if (std::isnan(g))
      EXPECT_TRUE(std::isnan(xf::bf16ToFloat(xf::floatToBF16(g)))) << h;
    else
      EXPECT_EQ(xf::floatToBF16(g), h) << "bf16 " << h;
  }
  EXPECT_EQ(xf::floatToHalf(1.0f + 1.0f / 2048), 0x3c00);      // tie -> even
  EXPECT_EQ(xf::floatToHalf(1.0f + 3.0f / 2048), 0x3c02);      // tie -> even
  EXPECT_EQ(xf::floatToHalf(65504.0f), 0x7bff);                // largest
  EXPECT_EQ(xf::floatToHalf(65520.0f), 0x7c00);                // overflow
  EXPECT_EQ(xf::floatToHalf(5.96046448e-8f), 0x0001);          // 2^-24
  EXPECT_EQ(xf::floatToHalf(2.98023224e-8f), 0x0000);          // tie -> 0
  EXPECT_EQ(xf::floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(xf::floatToBF16(1.0f + 1.0f / 256), 0x3f80);       // tie -> even
  EXPECT_EQ(xf::floatToBF16(1.0f + 3.0f / 256), 0x3f82);
}

TEST(MatmulTest, ThreadedBatchedWithBroadcastAndStridedOutput) {
  // C[b, h] = A[b, h] x B[h] (B broadcast along b), C written transposed.
  const int64_t outer0 = 3, outer1 = 2, m = 37, n = 90, k = 64;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(outer0 * outer1 * m * k), b(outer1 * k * n);
  for (float &x : a)
    x = dist(rng);
  for (float &x : b)
    x = dist(rng);
  std::vector<float> c(outer0 * outer1 * m * n, 0.0f);
  for (int threads : {1, 2, 3}) {
    xf::setNumThreads(threads);
    std::fill(c.begin(), c.end(), 0.0f);
    xfrt_matmul_f32(outer0, outer1, m, n, k,
                    reinterpret_cast<int64_t>(a.data()), outer1 * m * k,
                    m * k, k, 1, reinterpret_cast<int64_t>(b.data()), 0,
                    k * n, n, 1, reinterpret_cast<int64_t>(c.data()),
                    outer1 * m * n, m * n, 1, m);
    for (int64_t o0 = 0; o0 < outer0; ++o0)
      for (int64_t o1 = 0; o1 < outer1; ++o1)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double sum = 0;
            for (int64_t p = 0; p < k; ++p)
              sum += double(a[((o0 * outer1 + o1) * m + i) * k + p]) *
                     double(b[(o1 * k + p) * n + j]);
            ASSERT_NEAR(sum, c[(o0 * outer1 + o1) * m * n + j * m + i], 1e-4)
                << "threads=" << threads;
          }
  }
  xf::setNumThreads(2);
}

TEST(MatmulTest, SingleRowSplitsRowsOfBAcrossThreads) {
  // Decode: one row of A against a wide B, wider than one column panel, with
  // a K that does not divide into the row chunks.
  const int64_t n = 5000, k = 301;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(k), b(k * n);
  for (float &x : a)
    x = dist(rng);
  for (float &x : b)
    x = dist(rng);
  for (int threads : {1, 2, 4}) {
    xf::setNumThreads(threads);
    std::vector<float> c(n, 1.0f);
    xfrt_matmul_f32(1, 1, 1, n, k, reinterpret_cast<int64_t>(a.data()), 0, 0,
                    k, 1, reinterpret_cast<int64_t>(b.data()), 0, 0, n, 1,
                    reinterpret_cast<int64_t>(c.data()), 0, 0, n, 1);
    for (int64_t j = 0; j < n; ++j) {
      double sum = 1.0;
      for (int64_t p = 0; p < k; ++p)
        sum += double(a[p]) * double(b[p * n + j]);
      ASSERT_NEAR(sum, c[j], 1e-4) << "threads=" << threads << " j=" << j;
    }
  }
  xf::setNumThreads(2);
}

TEST(MatmulTest, FewRowsGiveEachRowItsBitsAlone) {
  // A batch of decode steps or a speculative verify step (up to
  // kFewRowsMatmul rows) must produce the logits single decode steps do, so
  // that neither changes greedy output: each row, bit for bit, as alone.
  const int64_t n = 5000, k = 301;
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(xf::kFewRowsMatmul * k), b(k * n);
  for (float &x : a)
    x = dist(rng);
  for (float &x : b)
    x = dist(rng);
  auto multiply = [&](const float *rows, int64_t m) {
    std::vector<float> c(m * n, 0.25f);
    xfrt_matmul_f32(1, 1, m, n, k, reinterpret_cast<int64_t>(rows), 0, 0, k, 1,
                    reinterpret_cast<int64_t>(b.data()), 0, 0, n, 1,
                    reinterpret_cast<int64_t>(c.data()), 0, 0, n, 1);
    return c;
  };
  for (int threads : {1, 2}) {
    xf::setNumThreads(threads);
    for (int64_t m : {int64_t(2), int64_t(3), int64_t(9), xf::kFewRowsMatmul}) {
      std::vector<float> together = multiply(a.data(), m);
      for (int64_t i = 0; i < m; ++i) {
        std::vector<float> alone = multiply(a.data() + i * k, 1);
        for (int64_t j = 0; j < n; ++j) {
          ASSERT_EQ(together[i * n + j], alone[j])
              << "threads " << threads << " m " << m << " row " << i
              << " column " << j;
          double sum = 0.25;
          for (int64_t p = 0; p < k; ++p)
            sum += double(a[i * k + p]) * double(b[p * n + j]);
          ASSERT_NEAR(sum, alone[j], 1e-4);
        }
      }
    }
  }
  xf::setNumThreads(2);
}

TEST(MatmulTest, EmptyDimensionsDoNothing) {
  float c = 3.0f;
  xfrt_matmul_f32(1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                  reinterpret_cast<int64_t>(&c), 0, 0, 1, 1);
  EXPECT_EQ(c, 3.0f);
}

} // namespace
