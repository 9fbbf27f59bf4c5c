//===- GPTQTest.cpp - passes/GPTQ.h against direct computations -----------===//
//
// Inputs with correlated features (X = Z M, as activations are), so that
// the output error GPTQ minimizes differs from the weight error rounding to
// nearest minimizes; errors are computed here in double from the
// dequantized codes, independently of gramWeightedNorm.
//
//===----------------------------------------------------------------------===//

#include "passes/GPTQ.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace xf;

namespace {

struct Problem {
  int64_t n, k;
  std::vector<float> w;       // [n, k]
  std::vector<double> hessian; // [k, k] = X^T X / T
};

Problem makeProblem(int64_t n, int64_t k, bool correlated, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Problem p{n, k, std::vector<float>(n * k), std::vector<double>(k * k, 0.0)};
  for (float &v : p.w)
    v = 0.05f * normal(rng);
  if (!correlated) {
    for (int64_t i = 0; i < k; ++i)
      p.hessian[i * k + i] = 1.0;
    return p;
  }
  int64_t tokens = 4 * k;
  std::vector<float> mix(k * k), z(k), x(k);
  for (float &v : mix)
    v = normal(rng) / std::sqrt(float(k));
  for (int64_t i = 0; i < k; ++i)
    mix[i * k + i] += 1.0f;
  for (int64_t t = 0; t < tokens; ++t) {
    for (float &v : z)
      v = normal(rng);
    // A few large-magnitude features, as in transformer activations.
    z[3] *= 20.0f;
    z[k / 2] *= 8.0f;
    for (int64_t j = 0; j < k; ++j) {
      double sum = 0;
      for (int64_t i = 0; i < k; ++i)
        sum += double(z[i]) * mix[i * k + j];
      x[j] = float(sum);
    }
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        p.hessian[i * k + j] += double(x[i]) * x[j] / tokens;
  }
  return p;
}

struct Packed {
  std::vector<uint8_t> codes;
  std::vector<float> scales, zeroPoints;
};

Packed pack(const Problem &p, int64_t bits, int64_t group, QuantScheme scheme,
            const std::vector<float> *factor) {
  int64_t groups = (p.k + group - 1) / group;
  Packed out{std::vector<uint8_t>(p.n * quantizedRowBytes(p.k, bits)),
             std::vector<float>(p.n * groups),
             std::vector<float>(p.n * groups)};
  void *zeros = scheme == QuantScheme::Symmetric ? nullptr : out.zeroPoints.data();
  if (factor)
    quantizeWeightsGPTQ(p.w.data(), p.k, 1, p.n, p.k, bits, group, scheme,
                        *factor, out.codes.data(), out.scales.data(), zeros);
  else
    quantizeWeights(p.w.data(), p.k, 1, p.n, p.k, bits, group, scheme,
                    out.codes.data(), out.scales.data(), zeros);
  return out;
}

/// tr(dW H dW^T) in double, from the codes.
double outputError(const Problem &p, const Packed &q, int64_t bits,
                   int64_t group, QuantScheme scheme) {
  const void *zeros =
      scheme == QuantScheme::Symmetric ? nullptr : q.zeroPoints.data();
  double total = 0;
  std::vector<double> d(p.k);
  for (int64_t j = 0; j < p.n; ++j) {
    for (int64_t i = 0; i < p.k; ++i)
      d[i] = double(dequantizeWeight(q.codes.data(), q.scales.data(), zeros,
                                     scheme, p.k, bits, group, j, i)) -
             p.w[j * p.k + i];
    for (int64_t a = 0; a < p.k; ++a)
      for (int64_t b = 0; b < p.k; ++b)
        total += d[a] * p.hessian[a * p.k + b] * d[b];
  }
  return total;
}

TEST(GPTQTest, FactorInvertsTheDampedHessian) {
  Problem p = makeProblem(4, 40, /*correlated=*/true, 1);
  auto factor = gptqFactor(p.hessian.data(), p.k, 0.01);
  ASSERT_TRUE(factor);
  int64_t k = p.k;
  double meanDiagonal = 0;
  for (int64_t i = 0; i < k; ++i)
    meanDiagonal += p.hessian[i * k + i] / k;
  // (H + d I) U^T U = I, and U is upper triangular.
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < i; ++j)
      EXPECT_EQ((*factor)[i * k + j], 0.0f);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double sum = 0;
      for (int64_t m = 0; m < k; ++m) {
        double inverse = 0; // (U^T U)[m][j]
        for (int64_t r = 0; r <= std::min(m, j); ++r)
          inverse += double((*factor)[r * k + m]) * (*factor)[r * k + j];
        double h = p.hessian[i * k + m] + (i == m ? 0.01 * meanDiagonal : 0);
        sum += h * inverse;
      }
      // Float factor: about 1e-6 relative per entry, times k terms.
      EXPECT_NEAR(sum, i == j ? 1.0 : 0.0, 1e-3) << i << ", " << j;
    }
}

TEST(GPTQTest, NotPositiveDefiniteGivesNoFactor) {
  // A negative eigenvalue larger than any damping tried.
  std::vector<double> h = {1.0, 0.0, 0.0, -100.0};
  EXPECT_FALSE(gptqFactor(h.data(), 2, 0.01));
}

TEST(GPTQTest, UncorrelatedInputsGiveRoundToNearest) {
  // H = I: U is diagonal, nothing propagates, the codes are RTN's.
  Problem p = makeProblem(8, 96, /*correlated=*/false, 2);
  auto factor = gptqFactor(p.hessian.data(), p.k, 0.01);
  ASSERT_TRUE(factor);
  for (auto [bits, group, scheme] :
       {std::tuple{4, 32, QuantScheme::FloatZeroPoint},
        std::tuple{8, 64, QuantScheme::Symmetric}}) {
    Packed rtn = pack(p, bits, group, scheme, nullptr);
    Packed gptq = pack(p, bits, group, scheme, &*factor);
    EXPECT_EQ(rtn.codes, gptq.codes);
    EXPECT_EQ(rtn.scales, gptq.scales);
  }
}

TEST(GPTQTest, LowersTheOutputErrorBelowRoundToNearest) {
  // Partial last groups (k = 200) and a block boundary inside the row.
  Problem p = makeProblem(48, 200, /*correlated=*/true, 3);
  auto factor = gptqFactor(p.hessian.data(), p.k, 0.01);
  ASSERT_TRUE(factor);
  for (auto [bits, group, scheme] :
       {std::tuple{4, 32, QuantScheme::FloatZeroPoint},
        std::tuple{4, 64, QuantScheme::Symmetric},
        std::tuple{4, 128, QuantScheme::IntegerZeroPoint},
        std::tuple{8, 128, QuantScheme::Symmetric}}) {
    double rtn = outputError(p, pack(p, bits, group, scheme, nullptr), bits,
                             group, scheme);
    double gptq = outputError(p, pack(p, bits, group, scheme, &*factor), bits,
                              group, scheme);
    // GPTQ's published gains on correlated inputs are well beyond this;
    // 0.8 leaves room for the damping and the float factor.
    EXPECT_LT(gptq, 0.8 * rtn) << "bits " << bits << " group " << group;
  }
}

TEST(GPTQTest, GramWeightedRowNormsMatchDirectSums) {
  Problem p = makeProblem(1100, 24, /*correlated=*/true, 4); // > one chunk
  std::vector<float> h(p.hessian.begin(), p.hessian.end());
  std::vector<double> norms =
      gramWeightedRowNorms(p.w.data(), p.n, p.k, h.data());
  ASSERT_EQ(norms.size(), size_t(p.n));
  for (int64_t j = 0; j < p.n; ++j) {
    double direct = 0;
    for (int64_t a = 0; a < p.k; ++a)
      for (int64_t b = 0; b < p.k; ++b)
        direct += double(p.w[j * p.k + a]) * h[a * p.k + b] * p.w[j * p.k + b];
    EXPECT_NEAR(norms[j], direct, 1e-5 * direct) << j;
  }
}

} // namespace
