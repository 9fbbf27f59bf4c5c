//===- QMatmulTest.cpp - the quantizer and xfrt_qmatmul_f32 ---------------===//
//
// Quantize / dequantize round trips (error within half a step, exact
// packing of nibbles), and the kernel on every instruction set the CPU has,
// and through the threaded entry point with 1 and 2 threads, against
// dequantize-then-multiply in double: int8 and int4, symmetric, integer
// and f32 zero points, whole and partial last groups, odd k, one row and
// many. f32 zero points recover weights that lie on a Q4_1 grid exactly.
// Up to kFewRowsMatmul rows with groups a multiple of 32 take the integer
// path, which quantizes A to int8 in blocks of 32: it is checked against the
// reference on that rounded A as tightly as the f32 path, and against the
// reference on A itself within the rounding's bound; each of those rows
// comes out bit for bit as it does alone.
//
//===----------------------------------------------------------------------===//

#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace xf;

namespace {

constexpr QuantScheme kSymmetric = QuantScheme::Symmetric;
constexpr QuantScheme kIntegerZero = QuantScheme::IntegerZeroPoint;
constexpr QuantScheme kFloatZero = QuantScheme::FloatZeroPoint;
constexpr QuantScheme kSchemes[] = {kSymmetric, kIntegerZero, kFloatZero};

const char *describe(QuantScheme scheme) {
  return scheme == kSymmetric     ? "symmetric"
         : scheme == kIntegerZero ? "u8 zero points"
                                  : "f32 zero points";
}

struct Quantized {
  int64_t n, k, bits, groupSize, groups;
  std::vector<uint8_t> codes, zeroPoints;
  std::vector<float> scales, floatZeroPoints;
  QuantScheme scheme;
  const void *zeros() const {
    if (scheme == kSymmetric)
      return nullptr;
    if (scheme == kFloatZero)
      return floatZeroPoints.data();
    return zeroPoints.data();
  }
  float at(int64_t j, int64_t p) const {
    return dequantizeWeight(codes.data(), scales.data(), zeros(), scheme, k,
                            bits, groupSize, j, p);
  }
};

Quantized quantize(const std::vector<float> &w, int64_t n, int64_t k,
                   int64_t bits, int64_t groupSize, QuantScheme scheme,
                   bool transposed = false) {
  Quantized q{n, k, bits, groupSize, (k + groupSize - 1) / groupSize};
  q.scheme = scheme;
  q.codes.resize(n * quantizedRowBytes(k, bits));
  q.scales.resize(n * q.groups);
  q.zeroPoints.resize(n * q.groups);
  q.floatZeroPoints.resize(n * q.groups);
  quantizeWeights(w.data(), transposed ? 1 : k, transposed ? n : 1, n, k, bits,
                  groupSize, scheme, q.codes.data(), q.scales.data(),
                  const_cast<void *>(q.zeros()));
  return q;
}

std::vector<float> randomVector(int64_t size, std::mt19937 &rng,
                                float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(size);
  for (float &x : v)
    x = dist(rng);
  return v;
}

TEST(QuantizeTest, RoundTripWithinHalfAStep) {
  std::mt19937 rng(1);
  for (int64_t bits : {8, 4})
    for (QuantScheme scheme : kSchemes)
      for (int64_t k : {1, 7, 32, 33, 100}) {
        int64_t n = 5, groupSize = 16;
        bool symmetric = scheme == kSymmetric;
        std::vector<float> w = randomVector(n * k, rng);
        Quantized q = quantize(w, n, k, bits, groupSize, scheme);
        for (int64_t j = 0; j < n; ++j)
          for (int64_t p = 0; p < k; ++p) {
            float step = std::fabs(q.scales[j * q.groups + p / groupSize]);
            // Symmetric int4 puts the extreme at -8: a value of the other
            // sign near the extreme's magnitude clamps to 7, one step off.
            float steps = bits == 4 && symmetric ? 1.0f : 0.5f;
            EXPECT_LE(std::fabs(q.at(j, p) - w[j * k + p]),
                      steps * step * 1.0001f + 1e-7f)
                << "bits " << bits << " " << describe(scheme) << " k " << k
                << " at " << j << "," << p;
          }
      }
}

TEST(QuantizeTest, CodesRoundAsNearbyint) {
  // QuantGrid::code rounds without nearbyint's library call; it must give
  // nearbyint's codes: ties to even, negative values, and values past the
  // exact range of the fast rounding (clamped either way).
  QuantGrid floatZero;
  floatZero.scheme = QuantScheme::FloatZeroPoint;
  floatZero.scale = 1.0f;
  floatZero.lo = 0;
  floatZero.hi = 15;
  for (float w : {0.5f, 1.5f, 2.5f, 3.5f, 14.5f, 2.4999998f, 2.5000002f})
    EXPECT_EQ(floatZero.code(w), int32_t(std::nearbyint(w))) << w;
  QuantGrid symmetric;
  symmetric.scheme = QuantScheme::Symmetric;
  symmetric.scale = 1.0f;
  symmetric.lo = -128;
  symmetric.hi = 127;
  for (float w : {-0.5f, -1.5f, -2.5f, 1.5f, -126.5f, 126.5f, -1e30f, 1e30f,
                  -5e6f, 5e6f})
    EXPECT_EQ(symmetric.code(w),
              std::clamp<int32_t>(int32_t(std::nearbyint(std::clamp(
                                      w, -1e9f, 1e9f))),
                                  -128, 127))
        << w;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-140.0f, 140.0f);
  for (int t = 0; t < 100000; ++t) {
    float w = uniform(rng);
    ASSERT_EQ(symmetric.code(w),
              std::clamp<int32_t>(int32_t(std::nearbyint(w)), -128, 127))
        << w;
  }
}

TEST(QuantizeTest, ExactValuesAndPacking) {
  // Symmetric int4: the largest magnitude becomes -8, codes low nibble first.
  std::vector<float> w = {-8, 4, 2, -1, 7};
  Quantized q = quantize(w, 1, 5, 4, 5, kSymmetric);
  EXPECT_FLOAT_EQ(q.scales[0], 1.0f);
  ASSERT_EQ(q.codes.size(), 3u);
  EXPECT_EQ(q.codes[0], 0x48); // -8 low, 4 high
  EXPECT_EQ(q.codes[1], 0xF2); // 2 low, -1 high
  EXPECT_EQ(q.codes[2], 0x07); // 7 low, padding high nibble 0
  for (int p = 0; p < 5; ++p)
    EXPECT_FLOAT_EQ(q.at(0, p), w[p]);
  // A positive extreme: the scale is negative and the extreme still exact.
  Quantized r = quantize({8, -4, 0}, 1, 3, 4, 3, kSymmetric);
  EXPECT_FLOAT_EQ(r.scales[0], -1.0f);
  EXPECT_FLOAT_EQ(r.at(0, 0), 8.0f);
  EXPECT_FLOAT_EQ(r.at(0, 1), -4.0f);
  // Symmetric int8: absmax / 127.
  Quantized s = quantize({127, -63.5f, 0}, 1, 3, 8, 3, kSymmetric);
  EXPECT_FLOAT_EQ(s.scales[0], 1.0f);
  EXPECT_EQ(int8_t(s.codes[1]), -64); // -63.5 rounds to even
  // Asymmetric int8 on [0, 255]: zero point 0, codes the values.
  Quantized t = quantize({0, 255, 17}, 1, 3, 8, 3, kIntegerZero);
  EXPECT_FLOAT_EQ(t.scales[0], 1.0f);
  EXPECT_EQ(t.zeroPoints[0], 0);
  EXPECT_EQ(t.codes[2], 17);
  // Asymmetric int4 with negatives: zero is exact.
  Quantized u = quantize({-5, 10, 0}, 1, 3, 4, 3, kIntegerZero);
  EXPECT_FLOAT_EQ(u.scales[0], 1.0f);
  EXPECT_EQ(u.zeroPoints[0], 5);
  EXPECT_FLOAT_EQ(u.at(0, 2), 0.0f);
  // A group of zeros.
  Quantized z = quantize({0, 0, 0, 0}, 1, 4, 4, 2, kSymmetric);
  EXPECT_FLOAT_EQ(z.at(0, 3), 0.0f);
  // f32 zero points: the grid spans [min, max], zero need not be on it.
  Quantized f = quantize({1, 3, 16}, 1, 3, 4, 3, kFloatZero);
  EXPECT_FLOAT_EQ(f.scales[0], 1.0f);
  EXPECT_FLOAT_EQ(f.floatZeroPoints[0], -1.0f);
  EXPECT_EQ(f.codes[0], 0x20); // 1 -> 0, 3 -> 2
  EXPECT_EQ(f.codes[1], 0x0F); // 16 -> 15
  EXPECT_FLOAT_EQ(f.at(0, 2), 16.0f);
  // A constant group (scale 0 cannot hold it): still exact, zeros too.
  Quantized c = quantize({-0.75f, -0.75f, 0, 0}, 1, 4, 4, 2, kFloatZero);
  EXPECT_FLOAT_EQ(c.at(0, 0), -0.75f);
  EXPECT_FLOAT_EQ(c.at(0, 1), -0.75f);
  EXPECT_FLOAT_EQ(c.at(0, 3), 0.0f);
}

TEST(QuantizeTest, FloatZeroPointsRecoverQ4_1Grid) {
  // Weights written as Q4_1 dequantizes them (d * q + m in f32) come back
  // to within float rounding, where integer zero points cannot follow.
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> code(0, 15);
  std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
  int64_t n = 8, k = 96, group = 32;
  std::vector<float> w(n * k);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t g = 0; g < k / group; ++g) {
      float d = std::fabs(dist(rng)) / 8 + 1e-4f, m = dist(rng);
      for (int64_t p = g * group; p < (g + 1) * group; ++p) {
        // Every group holds both ends of its grid, as Q4_1's min/max do.
        int q = p == g * group ? 0 : p == g * group + 1 ? 15 : code(rng);
        w[j * k + p] = d * float(q) + m;
      }
    }
  Quantized f = quantize(w, n, k, 4, group, kFloatZero);
  Quantized u = quantize(w, n, k, 4, group, kIntegerZero);
  double floatError = 0, integerError = 0, norm = 0;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t p = 0; p < k; ++p) {
      float x = w[j * k + p];
      EXPECT_NEAR(f.at(j, p), x, 1e-6f * (std::fabs(x) + 0.05f));
      floatError += std::pow(f.at(j, p) - x, 2);
      integerError += std::pow(u.at(j, p) - x, 2);
      norm += double(x) * x;
    }
  EXPECT_LT(std::sqrt(floatError / norm), 1e-5);
  EXPECT_GT(std::sqrt(integerError / norm), 1e-2);
}

TEST(QuantizeTest, FloatZeroPointsNoWorseThanMinMax) {
  // The least-squares refit never raises the error of the min/max grid,
  // and on random data it beats the integer zero point grid.
  std::mt19937 rng(7);
  int64_t n = 16, k = 256;
  std::vector<float> w = randomVector(n * k, rng);
  for (float &x : w)
    x = x * x * x; // heavier tails than uniform
  for (int64_t bits : {4, 8}) {
    Quantized f = quantize(w, n, k, bits, 32, kFloatZero);
    Quantized u = quantize(w, n, k, bits, 32, kIntegerZero);
    double floatError = 0, integerError = 0;
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) {
        floatError += std::pow(f.at(j, p) - w[j * k + p], 2);
        integerError += std::pow(u.at(j, p) - w[j * k + p], 2);
      }
    EXPECT_LT(floatError, integerError) << "bits " << bits;
  }
}

TEST(QuantizeTest, TransposedSourceMatches) {
  std::mt19937 rng(2);
  int64_t n = 6, k = 40;
  std::vector<float> w = randomVector(n * k, rng), wt(n * k);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t p = 0; p < k; ++p)
      wt[p * n + j] = w[j * k + p];
  Quantized a = quantize(w, n, k, 4, 32, kSymmetric);
  Quantized b = quantize(wt, n, k, 4, 32, kSymmetric, /*transposed=*/true);
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_EQ(a.scales, b.scales);
}

struct KernelCase {
  int64_t m, n, k, bits, groupSize;
  QuantScheme scheme;
};

/// How a call lets the kernel round A: xfrt_qmatmul_f32's last argument.
enum Activations { kDecodeRounds = 0, kAlwaysRounds = 1, kNeverRounds = 2 };

/// Whether qmatmulF32 quantizes A (a few rows, or many on AVX-512 VNNI
/// when the call allows int8 activations; groups a multiple of 32; never
/// when the call asks for the exact product).
bool quantizesActivations(const KernelCase &c, Activations activations,
                          const char *isa) {
  return qmatmulQuantizesActivations(c.m, c.groupSize,
                                     activations == kAlwaysRounds, isa,
                                     activations == kNeverRounds);
}

/// A row rounded as the integer path does: blocks of 32, scale max|x| / 127,
/// codes round(x * (1 / scale)).
std::vector<float> roundActivations(const float *a, int64_t k) {
  std::vector<float> rounded(k);
  for (int64_t k0 = 0; k0 < k; k0 += 32) {
    int64_t k1 = std::min<int64_t>(k, k0 + 32);
    float amax = 0.0f;
    for (int64_t p = k0; p < k1; ++p)
      amax = std::max(amax, std::fabs(a[p]));
    float scale = amax / 127.0f;
    float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
    for (int64_t p = k0; p < k1; ++p)
      rounded[p] = scale * std::nearbyint(a[p] * inverse);
  }
  return rounded;
}

void checkKernel(const KernelCase &c, const char *isa, std::mt19937 &rng,
                 Activations activations = kAlwaysRounds) {
  std::vector<float> w = randomVector(c.n * c.k, rng, 0.1f);
  Quantized q = quantize(w, c.n, c.k, c.bits, c.groupSize, c.scheme);
  // Padded strides: A and C rows longer than k and n.
  int64_t aM = c.k + 3, cM = c.n + 5;
  std::vector<float> a = randomVector(c.m * aM, rng);
  std::vector<float> out = randomVector(c.m * cM, rng);
  std::vector<double> expected(out.begin(), out.end());
  std::vector<double> exact(out.begin(), out.end());
  bool rounded = quantizesActivations(c, activations, isa);
  if (activations == kNeverRounds)
    EXPECT_FALSE(rounded);
  double bound = 0.0, roundingBound = 0.0;
  for (int64_t i = 0; i < c.m; ++i) {
    const float *row = a.data() + i * aM;
    std::vector<float> used = rounded ? roundActivations(row, c.k)
                                      : std::vector<float>(row, row + c.k);
    for (int64_t j = 0; j < c.n; ++j) {
      double sum = 0.0, magnitude = 0.0, exactSum = 0.0, rounding = 0.0;
      for (int64_t p = 0; p < c.k; ++p) {
        double term = double(used[p]) * double(q.at(j, p));
        sum += term;
        magnitude += std::fabs(term);
        exactSum += double(row[p]) * double(q.at(j, p));
        // |x - rounded x| <= half a step, max|x| / 254, and |x| <= 1.
        rounding += std::fabs(q.at(j, p)) / 254.0;
      }
      expected[i * cM + j] += sum;
      exact[i * cM + j] += exactSum;
      bound = std::max(bound, magnitude);
      roundingBound = std::max(roundingBound, rounding);
    }
  }
  QMatmulProblem p;
  p.m = c.m;
  p.n = c.n;
  p.k = c.k;
  p.a = a.data();
  p.aM = aM;
  p.w = q.codes.data();
  p.wN = quantizedRowBytes(c.k, c.bits);
  p.scales = q.scales.data();
  p.sN = q.groups;
  p.zeroPoints = q.zeros();
  p.zN = q.groups;
  p.zeroPointsF32 = c.scheme == kFloatZero;
  p.bits = c.bits;
  p.groupSize = c.groupSize;
  p.c = out.data();
  p.cM = cM;
  p.int8Activations = activations == kAlwaysRounds;
  p.exactActivations = activations == kNeverRounds;
  qmatmulF32(p, isa);
  double tolerance = 1e-5 * (bound + 1.0);
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j)
      ASSERT_NEAR(out[i * cM + j], expected[i * cM + j], tolerance)
          << (isa ? isa : "best") << " m " << c.m << " n " << c.n << " k "
          << c.k << " bits " << c.bits << " group " << c.groupSize
          << " " << describe(c.scheme) << " at " << i
          << "," << j;
    for (int64_t j = 0; j < c.n && rounded; ++j)
      ASSERT_NEAR(out[i * cM + j], exact[i * cM + j],
                  tolerance + roundingBound)
          << (isa ? isa : "best") << " n " << c.n << " k " << c.k << " bits "
          << c.bits << " group " << c.groupSize << " at " << j;
    // Padding between rows of C is untouched (checked via expected too).
    for (int64_t j = c.n; j < cM; ++j)
      ASSERT_EQ(out[i * cM + j], float(expected[i * cM + j]));
  }
}

std::vector<KernelCase> kernelCases() {
  std::vector<KernelCase> cases;
  for (int64_t bits : {8, 4})
    for (QuantScheme scheme : kSchemes) {
      // Whole groups; partial last group; group not a multiple of 16; odd k;
      // one row (decode) and several, ragged against every tile size.
      cases.push_back({1, 37, 64, bits, 32, scheme});
      cases.push_back({1, 70, 80, bits, 32, scheme});   // last group 16
      cases.push_back({1, 9, 77, bits, 32, scheme});    // odd k
      cases.push_back({1, 19, 600, bits, 128, scheme}); // last group 88
      cases.push_back({1, 5, 20, bits, 32, scheme});    // one partial block
      cases.push_back({1, 11, 45, bits, 20, scheme});   // f32 path
      cases.push_back({5, 13, 576, bits, 128, scheme}); // 4.5 groups
      cases.push_back({7, 21, 45, bits, 20, scheme});   // group % 16 != 0
      cases.push_back({13, 11, 33, bits, 33, scheme});  // per channel
      cases.push_back({2, 3, 1, bits, 32, scheme});
      cases.push_back({50, 67, 96, bits, 32, scheme});
      // int4 decode two blocks at a time (avx512): 34 groups of one block
      // (16 at a time, then two); groups of two; a partial last group.
      cases.push_back({1, 37, 1088, bits, 32, scheme});
      cases.push_back({3, 11, 192, bits, 64, scheme});
      cases.push_back({2, 20, 704, bits, 256, scheme});
      // Many rows (dequantized panels): ragged against panels and tiles,
      // odd k, partial last groups, groups not a multiple of 16.
      cases.push_back({17, 37, 64, bits, 32, scheme});
      cases.push_back({40, 70, 80, bits, 32, scheme});
      cases.push_back({33, 9, 77, bits, 32, scheme});
      cases.push_back({20, 19, 600, bits, 128, scheme});
      cases.push_back({19, 21, 45, bits, 20, scheme});
      cases.push_back({23, 11, 33, bits, 33, scheme});
      if (bits == 4)
        cases.push_back({18, 5, 50, bits, 7, scheme});
      if (bits == 4)
        cases.push_back({3, 5, 50, bits, 7, scheme}); // odd group: nibbles straddle
    }
  return cases;
}

TEST(QMatmulTest, EveryISAAgainstReference) {
  std::mt19937 rng(3);
  setNumThreads(1);
  for (const char *isa : {"sse2", "avx2", "avx512"}) {
    if (!cpuSupportsISA(isa))
      continue;
    for (const KernelCase &c : kernelCases())
      for (Activations activations :
           {kDecodeRounds, kAlwaysRounds, kNeverRounds})
        checkKernel(c, isa, rng, activations);
  }
}

TEST(QMatmulTest, ThreadedOneAndTwo) {
  std::mt19937 rng(4);
  for (int threads : {1, 2}) {
    setNumThreads(threads);
    // Large enough to be split across the pool.
    for (int64_t bits : {8, 4})
      for (QuantScheme scheme : kSchemes) {
        checkKernel({1, 1000, 576, bits, 32, scheme}, nullptr, rng);
        checkKernel({1, 333, 1537, bits, 128, scheme}, nullptr, rng);
        checkKernel({70, 200, 300, bits, 32, scheme}, nullptr, rng);
        checkKernel({130, 333, 1537, bits, 128, scheme}, nullptr, rng);
      }
    for (const KernelCase &c : kernelCases())
      checkKernel(c, nullptr, rng);
  }
}

/// C = A x dequant(W)^T for `m` rows of `a` (k apart) at once.
std::vector<float> multiply(const Quantized &q, const std::vector<float> &a,
                            int64_t m, const char *isa) {
  std::vector<float> c(m * q.n, 0.5f);
  QMatmulProblem p;
  p.m = m;
  p.n = q.n;
  p.k = q.k;
  p.a = a.data();
  p.aM = q.k;
  p.w = q.codes.data();
  p.wN = quantizedRowBytes(q.k, q.bits);
  p.scales = q.scales.data();
  p.sN = q.groups;
  p.zeroPoints = q.zeros();
  p.zN = q.groups;
  p.zeroPointsF32 = q.scheme == kFloatZero;
  p.bits = q.bits;
  p.groupSize = q.groupSize;
  p.c = c.data();
  p.cM = q.n;
  qmatmulF32(p, isa);
  return c;
}

TEST(QMatmulTest, FewRowsGiveEachRowItsBitsAlone) {
  // A batch of decode steps or a speculative verify step must produce the
  // logits single decode steps do, so that neither changes greedy output.
  std::mt19937 rng(8);
  int64_t n = 300, k = 576;
  for (int threads : {1, 2}) {
    setNumThreads(threads);
    for (const char *isa : {"sse2", "avx2", "avx512", (const char *)nullptr}) {
      if (isa && !cpuSupportsISA(isa))
        continue;
      for (int64_t bits : {8, 4})
        for (QuantScheme scheme : kSchemes) {
          Quantized q = quantize(randomVector(n * k, rng, 0.1f), n, k, bits,
                                 bits == 8 ? 128 : 32, scheme);
          for (int64_t m : {int64_t(2), int64_t(5), kFewRowsMatmul}) {
            std::vector<float> a = randomVector(m * k, rng);
            std::vector<float> together = multiply(q, a, m, isa);
            for (int64_t i = 0; i < m; ++i) {
              std::vector<float> row(a.begin() + i * k,
                                     a.begin() + (i + 1) * k);
              std::vector<float> alone = multiply(q, row, 1, isa);
              for (int64_t j = 0; j < n; ++j)
                ASSERT_EQ(together[i * n + j], alone[j])
                    << (isa ? isa : "best") << " threads " << threads
                    << " bits " << bits << " " << describe(scheme) << " m "
                    << m << " row " << i << " column " << j;
            }
          }
        }
    }
  }
}

TEST(QMatmulTest, CEntryPoint) {
  std::mt19937 rng(5);
  int64_t n = 4, k = 40;
  std::vector<float> w = randomVector(n * k, rng);
  for (QuantScheme scheme : {kIntegerZero, kFloatZero}) {
    Quantized q = quantize(w, n, k, 4, 32, scheme);
    std::vector<float> a = randomVector(k, rng);
    // 1: A rounded to int8 blocks; 2: the exact product (0 rounds a
    // single row too).
    for (int64_t activations : {1, 2}) {
      std::vector<float> c(n, 1.0f);
      xfrt_qmatmul_f32(1, n, k, reinterpret_cast<int64_t>(a.data()), k,
                       reinterpret_cast<int64_t>(q.codes.data()),
                       quantizedRowBytes(k, 4),
                       reinterpret_cast<int64_t>(q.scales.data()), 2,
                       reinterpret_cast<int64_t>(q.zeros()), 2,
                       scheme == kFloatZero, 4, 32,
                       reinterpret_cast<int64_t>(c.data()), n, activations);
      std::vector<float> used = activations == 1
                                    ? roundActivations(a.data(), k)
                                    : a;
      for (int64_t j = 0; j < n; ++j) {
        double sum = 1.0;
        for (int64_t p = 0; p < k; ++p)
          sum += double(used[p]) * q.at(j, p);
        EXPECT_NEAR(c[j], sum, 1e-5) << describe(scheme) << " " << activations;
      }
    }
  }
}

TEST(QMatmulTest, DecodeRowRoundsHalvesToEven) {
  // The decode path rounds A's codes to nearest, ties to even (as
  // std::nearbyint): whole blocks in vector registers, a partial last block
  // by the scalar loop. Each block has max|a| = 127 (scale 1, so a * (1 /
  // scale) = a exactly) and otherwise halves; W is the identity, so
  // C[j] = w(j, j) * round(a[j]) and a tie rounded the other way is off by
  // a whole w(j, j).
  int64_t k = 2 * 32 + 16;
  std::vector<float> a(k);
  for (int64_t p = 0; p < k; ++p)
    a[p] = p % 32 == 5 ? 127.0f : (float(p % 11) - 5.0f) + 0.5f;
  std::vector<float> identity(k * k, 0.0f);
  for (int64_t j = 0; j < k; ++j)
    identity[j * k + j] = 1.0f;
  setNumThreads(1);
  for (const char *isa : {"sse2", "avx2", "avx512"}) {
    if (!cpuSupportsISA(isa))
      continue;
    for (int64_t bits : {8, 4}) {
      Quantized q = quantize(identity, k, k, bits, 32, kSymmetric);
      std::vector<float> c(k, 0.0f);
      QMatmulProblem p;
      p.m = 1;
      p.n = k;
      p.k = k;
      p.a = a.data();
      p.aM = k;
      p.w = q.codes.data();
      p.wN = quantizedRowBytes(k, bits);
      p.scales = q.scales.data();
      p.sN = q.groups;
      p.zeroPoints = nullptr;
      p.zN = 0;
      p.zeroPointsF32 = false;
      p.bits = bits;
      p.groupSize = 32;
      p.c = c.data();
      p.cM = k;
      qmatmulF32(p, isa);
      for (int64_t j = 0; j < k; ++j)
        EXPECT_NEAR(c[j], q.at(j, j) * std::nearbyint(a[j]), 1e-4)
            << isa << " bits " << bits << " a " << a[j] << " at " << j;
    }
  }
}

} // namespace
