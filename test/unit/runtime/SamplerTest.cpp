//===- SamplerTest.cpp - token sampling -----------------------------------===//

#include "xf/Sampler.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

using namespace xf;

namespace {

Sampler makeSampler(float temperature, uint32_t topK, float topP,
                    uint64_t seed) {
  Result<Sampler> sampler =
      Sampler::create(SamplingParams{temperature, topK, topP}, seed);
  EXPECT_TRUE(sampler.ok()) << sampler.error();
  return std::move(*sampler);
}

/// A row of `count` logits in [-scale, scale) from a generator of its own.
std::vector<float> randomLogits(size_t count, uint64_t seed,
                                float scale = 4.0f) {
  Xoshiro256StarStar generator(seed);
  std::vector<float> logits(count);
  for (float &logit : logits)
    logit = static_cast<float>((generator.nextUnit() * 2 - 1) * scale);
  return logits;
}

/// Softmax of logits / temperature with libm's exp, independent of the
/// sampler's own arithmetic. Pass the temperature as the float the sampler
/// gets (1.2f is not 1.2).
std::vector<double> softmax(const std::vector<float> &logits,
                            double temperature) {
  double maxLogit = *std::max_element(logits.begin(), logits.end());
  std::vector<double> probabilities(logits.size());
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    total += probabilities[i] = std::exp((logits[i] - maxLogit) / temperature);
  for (double &p : probabilities)
    p /= total;
  return probabilities;
}

/// Pearson's chi-square statistic of `counts` against `probabilities` over
/// `draws` draws.
double chiSquare(const std::vector<int> &counts,
                 const std::vector<double> &probabilities, int draws) {
  double statistic = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    double expected = probabilities[i] * draws;
    statistic += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  return statistic;
}

std::vector<int32_t> drawTokens(Sampler &sampler,
                                const std::vector<float> &logits, int count) {
  std::vector<int32_t> tokens;
  for (int i = 0; i < count; ++i)
    tokens.push_back(sampler.sample(logits.data(), logits.size()));
  return tokens;
}

std::vector<int32_t> tokensOf(const std::vector<TokenProbability> &dist) {
  std::vector<int32_t> tokens;
  for (const TokenProbability &entry : dist)
    tokens.push_back(entry.token);
  return tokens;
}

/// The logits whose softmax (at temperature 1) is `probabilities`.
std::vector<float> logitsFor(const std::vector<double> &probabilities) {
  std::vector<float> logits;
  for (double p : probabilities)
    logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

} // namespace

//===----------------------------------------------------------------------===//
// The generator
//===----------------------------------------------------------------------===//

// Reference values from an independent implementation of splitmix64 seeding
// and xoshiro256** (Python integers; splitmix64 from seed 0 starts with
// 0xe220a8397b1dcdaf, the published value).
TEST(Xoshiro256StarStarTest, MatchesReferenceSequence) {
  Xoshiro256StarStar zero(0);
  EXPECT_EQ(zero.next(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(zero.next(), 0xbf6e1f784956452aULL);
  EXPECT_EQ(zero.next(), 0x1a5f849d4933e6e0ULL);
  EXPECT_EQ(zero.next(), 0x6aa594f1262d2d2cULL);

  Xoshiro256StarStar fortyTwo(42);
  EXPECT_EQ(fortyTwo.next(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(fortyTwo.next(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(fortyTwo.next(), 0xae17533239e499a1ULL);
  EXPECT_EQ(fortyTwo.next(), 0xecb8ad4703b360a1ULL);

  Xoshiro256StarStar units(42);
  EXPECT_EQ(units.nextUnit(), 0.08386297105988216);
  EXPECT_EQ(units.nextUnit(), 0.3789802506626686);
  EXPECT_EQ(units.nextUnit(), 0.6800434110281394);
}

TEST(Xoshiro256StarStarTest, UnitIsInHalfOpenInterval) {
  Xoshiro256StarStar generator(7);
  for (int i = 0; i < 100000; ++i) {
    double u = generator.nextUnit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

//===----------------------------------------------------------------------===//
// Greedy
//===----------------------------------------------------------------------===//

TEST(SamplerTest, ArgmaxIsExact) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::vector<float> logits = randomLogits(1 + seed * 7, seed);
    int32_t expected = 0;
    for (size_t i = 1; i < logits.size(); ++i)
      if (logits[i] > logits[expected])
        expected = static_cast<int32_t>(i);
    ASSERT_EQ(argmaxToken(logits.data(), logits.size()), expected);
  }
}

TEST(SamplerTest, ArgmaxTiesGoToLowestIdAndSkipsNaN) {
  std::vector<float> ties = {1, 3, 2, 3, 3};
  EXPECT_EQ(argmaxToken(ties.data(), ties.size()), 1);
  std::vector<float> withNaN = {kNaN, 0.5f, kNaN, 2, kNaN};
  EXPECT_EQ(argmaxToken(withNaN.data(), withNaN.size()), 3);
  std::vector<float> allNaN = {kNaN, kNaN};
  EXPECT_EQ(argmaxToken(allNaN.data(), allNaN.size()), 0);
  std::vector<float> minusInf = {kNaN, -kInf, -kInf};
  EXPECT_EQ(argmaxToken(minusInf.data(), minusInf.size()), 1);
  std::vector<float> plusInf = {1, kInf, kInf};
  EXPECT_EQ(argmaxToken(plusInf.data(), plusInf.size()), 1);
}

TEST(SamplerTest, ZeroTemperatureIsGreedy) {
  Sampler sampler = makeSampler(0.0f, 0, 1.0f, 1);
  for (uint64_t seed = 0; seed < 100; ++seed) {
    std::vector<float> logits = randomLogits(1000, seed);
    // Plant a tie with the maximum at a higher id.
    int32_t best = argmaxToken(logits.data(), logits.size());
    logits[999] = logits[best];
    ASSERT_EQ(sampler.sample(logits.data(), logits.size()), best);
  }
}

TEST(SamplerTest, TopKOneEqualsGreedy) {
  for (float temperature : {0.5f, 1.0f, 5.0f}) {
    Sampler topOne = makeSampler(temperature, 1, 0.9f, 3);
    for (uint64_t seed = 0; seed < 100; ++seed) {
      std::vector<float> logits = randomLogits(500, seed);
      logits[400] = *std::max_element(logits.begin(), logits.end());
      ASSERT_EQ(topOne.sample(logits.data(), logits.size()),
                argmaxToken(logits.data(), logits.size()));
    }
  }
}

// Logits at least 0.05 apart and temperature 1e-3: every other token weighs
// at most e^-50 (2e-22) relative to the best, so over 1000 rows the chance
// that any draw differs from greedy is below 1e-17.
TEST(SamplerTest, TemperatureTowardZeroBehavesLikeGreedy) {
  Sampler sampler = makeSampler(1e-3f, 0, 1.0f, 11);
  std::vector<float> logits(64);
  for (uint64_t seed = 0; seed < 1000; ++seed) {
    for (size_t i = 0; i < logits.size(); ++i)
      logits[i] = 0.05f * static_cast<float>((i * 37 + seed * 11) % 64);
    int32_t greedy = argmaxToken(logits.data(), logits.size());
    ASSERT_EQ(sampler.sample(logits.data(), logits.size()), greedy);
    for (const TokenProbability &entry :
         sampler.distribution(logits.data(), logits.size()))
      ASSERT_NEAR(entry.probability, entry.token == greedy ? 1.0 : 0.0, 1e-15);
  }
}

//===----------------------------------------------------------------------===//
// Reproducibility
//===----------------------------------------------------------------------===//

TEST(SamplerTest, SameSeedSameSequence) {
  std::vector<float> logits = randomLogits(2000, 5, 2.0f);
  for (SamplingParams params :
       {SamplingParams{1.0f, 0, 1.0f}, SamplingParams{0.8f, 40, 1.0f},
        SamplingParams{1.2f, 0, 0.9f}, SamplingParams{0.7f, 50, 0.95f}}) {
    Sampler first =
        makeSampler(params.temperature, params.topK, params.topP, 1234);
    Sampler second =
        makeSampler(params.temperature, params.topK, params.topP, 1234);
    Sampler other =
        makeSampler(params.temperature, params.topK, params.topP, 1235);
    std::vector<int32_t> a = drawTokens(first, logits, 500);
    EXPECT_EQ(a, drawTokens(second, logits, 500));
    EXPECT_NE(a, drawTokens(other, logits, 500));
  }
}

// Expected tokens from an independent implementation of the documented
// semantics (Python, libm's exp): they pin the generator, the order of the
// steps and the walk order, so a change in any shows up here.
TEST(SamplerTest, MatchesReferenceTokens) {
  std::vector<float> logits = {1.5f, -0.25f, 0.75f, 2.0f,
                               0.0f, -1.0f,  1.25f, 0.5f};
  struct Case {
    SamplingParams params;
    std::vector<int32_t> tokens;
  } cases[] = {
      {{1.0f, 0, 1.0f}, {0, 6, 0, 0, 6, 1, 3, 2, 3, 0, 4, 7, 6, 3, 6, 0}},
      {{0.7f, 4, 1.0f}, {3, 6, 3, 3, 6, 3, 3, 3, 0, 3, 0, 2, 6, 3, 6, 3}},
      {{1.3f, 0, 0.8f}, {3, 2, 3, 3, 2, 3, 0, 3, 0, 3, 6, 7, 2, 0, 2, 3}},
      {{0.9f, 5, 0.7f}, {3, 0, 3, 3, 0, 3, 3, 3, 0, 3, 0, 6, 6, 3, 0, 3}},
  };
  for (const Case &c : cases) {
    Sampler sampler =
        makeSampler(c.params.temperature, c.params.topK, c.params.topP, 2024);
    EXPECT_EQ(drawTokens(sampler, logits, 16), c.tokens)
        << "temperature " << c.params.temperature << " top-k " << c.params.topK
        << " top-p " << c.params.topP;
  }
}

//===----------------------------------------------------------------------===//
// Top-k and top-p
//===----------------------------------------------------------------------===//

TEST(SamplerTest, TopKKeepsTheKLargestTiesToLowerId) {
  std::vector<float> logits = {0.5f, 2.0f, 1.0f, 2.0f, -1.0f, 1.0f, 3.0f};
  Sampler sampler = makeSampler(1.0f, 4, 1.0f, 0);
  std::vector<TokenProbability> dist =
      sampler.distribution(logits.data(), logits.size());
  EXPECT_EQ(tokensOf(dist), (std::vector<int32_t>{6, 1, 3, 2}));
  double total = 0;
  for (const TokenProbability &entry : dist)
    total += entry.probability;
  EXPECT_NEAR(total, 1.0, 1e-12);
  // Renormalized over the kept four: e^3 / (e^3 + 2 e^2 + e^1).
  double e = std::exp(1.0);
  EXPECT_NEAR(dist[0].probability, e * e * e / (e * e * e + 2 * e * e + e),
              1e-12);
}

TEST(SamplerTest, TopPKeepsSmallestPrefixWithEnoughMass) {
  std::vector<float> logits = logitsFor({0.1, 0.4, 0.2, 0.3});
  auto kept = [&](float topP) {
    return tokensOf(
        makeSampler(1.0f, 0, topP, 0).distribution(logits.data(), 4));
  };
  EXPECT_EQ(kept(0.35f), (std::vector<int32_t>{1}));
  EXPECT_EQ(kept(0.4f - 1e-6f), (std::vector<int32_t>{1}));
  EXPECT_EQ(kept(0.4f + 1e-6f), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(kept(0.65f), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(kept(0.75f), (std::vector<int32_t>{1, 3, 2}));
  EXPECT_EQ(kept(0.95f), (std::vector<int32_t>{1, 3, 2, 0}));
  EXPECT_EQ(kept(1.0f), (std::vector<int32_t>{0, 1, 2, 3}));

  std::vector<TokenProbability> dist =
      makeSampler(1.0f, 0, 0.65f, 0).distribution(logits.data(), 4);
  EXPECT_NEAR(dist[0].probability, 0.4 / 0.7, 1e-6);
  EXPECT_NEAR(dist[1].probability, 0.3 / 0.7, 1e-6);
}

// The nucleus search sorts a growing head of the vocabulary instead of all
// of it; compare it with sorting everything, on vocabularies below and far
// above the first head (64) and nuclei of a few to thousands of tokens.
TEST(SamplerTest, TopPMatchesFullSort) {
  for (size_t vocab : {10u, 100u, 5000u}) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
      std::vector<float> logits =
          randomLogits(vocab, seed * 31 + vocab, seed % 2 ? 1.0f : 8.0f);
      for (float topP : {0.1f, 0.5f, 0.9f, 0.999f}) {
        std::vector<int32_t> order(vocab);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
          return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
        });
        std::vector<double> probabilities = softmax(logits, 1.0);
        std::vector<int32_t> expected;
        double mass = 0;
        for (int32_t token : order) {
          if (mass >= topP)
            break;
          mass += probabilities[token];
          expected.push_back(token);
        }
        Sampler sampler = makeSampler(1.0f, 0, topP, 0);
        ASSERT_EQ(tokensOf(sampler.distribution(logits.data(), vocab)),
                  expected)
            << "vocab " << vocab << " seed " << seed << " top-p " << topP;
      }
    }
  }
}

// Temperature, then top-k, then top-p, each on what the step before left.
TEST(SamplerTest, StepsApplyInDocumentedOrder) {
  // Temperature before top-p: flattening widens the nucleus.
  std::vector<float> logits = logitsFor({0.6, 0.3, 0.1});
  EXPECT_EQ(tokensOf(makeSampler(1.0f, 0, 0.85f, 0)
                         .distribution(logits.data(), logits.size())),
            (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(tokensOf(makeSampler(4.0f, 0, 0.85f, 0)
                         .distribution(logits.data(), logits.size())),
            (std::vector<int32_t>{0, 1, 2}));

  // Top-k before top-p: within the top two, token 0 holds 0.3 / 0.55 >= 0.5
  // of the mass; top-p first would have kept both (0.3 < 0.5 overall).
  logits = logitsFor({0.3, 0.25, 0.2, 0.15, 0.1});
  std::vector<TokenProbability> dist =
      makeSampler(1.0f, 2, 0.5f, 0).distribution(logits.data(), 5);
  EXPECT_EQ(tokensOf(dist), (std::vector<int32_t>{0}));
  EXPECT_EQ(dist[0].probability, 1.0);
}

TEST(SamplerTest, NaNAndInfiniteLogits) {
  // NaN never sampled; -inf never sampled.
  std::vector<float> logits = {kNaN, 0.0f, -kInf, 0.0f, kNaN};
  Sampler sampler = makeSampler(1.0f, 0, 1.0f, 9);
  for (int32_t token : drawTokens(sampler, logits, 1000))
    ASSERT_TRUE(token == 1 || token == 3);
  // +inf takes all the mass, shared between the +inf tokens.
  logits = {1e30f, kInf, 0.0f, kInf};
  for (int32_t token : drawTokens(sampler, logits, 1000))
    ASSERT_TRUE(token == 1 || token == 3);
  // Nothing above -inf: argmax.
  logits = {kNaN, -kInf, -kInf};
  EXPECT_EQ(sampler.sample(logits.data(), logits.size()), 1);
}

TEST(SamplerTest, RefusesInvalidParameters) {
  auto error = [](SamplingParams params) {
    Result<Sampler> sampler = Sampler::create(params, 0);
    return sampler.ok() ? std::string("accepted") : sampler.error();
  };
  EXPECT_EQ(error({-1.0f, 0, 1.0f}),
            "temperature must be a finite number >= 0, got -1");
  EXPECT_EQ(error({kInf, 0, 1.0f}),
            "temperature must be a finite number >= 0, got inf");
  EXPECT_EQ(error({kNaN, 0, 1.0f}),
            "temperature must be a finite number >= 0, got nan");
  EXPECT_EQ(error({1.0f, 0, 0.0f}), "top-p must be in (0, 1], got 0");
  EXPECT_EQ(error({1.0f, 0, 1.5f}), "top-p must be in (0, 1], got 1.5");
  EXPECT_EQ(error({1.0f, 0, kNaN}), "top-p must be in (0, 1], got nan");
  EXPECT_EQ(error({0.0f, 0, 1.0f}), "accepted");
}

//===----------------------------------------------------------------------===//
// The distribution of samples
//===----------------------------------------------------------------------===//

// Pearson's chi-square test of 200000 draws against the softmax computed
// here with libm's exp. If the sampler draws from the right distribution,
// the statistic exceeds the 0.999 quantile of chi-square with (categories -
// 1) degrees of freedom with probability 0.001. The seeds are fixed (chosen
// before the first run, not searched), so the test is deterministic. Here
// the statistic is 23.6 (below 27.9); over seeds 0..199 it averaged 9.5,
// as chi-square with 9 degrees of freedom should, and 2e7 draws gave 4.3.
// The same draws against a wrong distribution (temperature ignored) give
// 4358, which shows the test can tell.
TEST(SamplerTest, SampleFrequenciesMatchSoftmax) {
  constexpr int kDraws = 200000;
  std::vector<float> logits = {1.0f, 0.2f,  -0.5f, 1.6f, 0.0f,
                               0.9f, -1.0f, 0.4f,  1.2f, -0.2f};
  Sampler sampler = makeSampler(0.8f, 0, 1.0f, 20240601);
  std::vector<int> counts(logits.size());
  for (int32_t token : drawTokens(sampler, logits, kDraws))
    ++counts[token];
  // Quantile 0.999 of chi-square with 9 degrees of freedom.
  EXPECT_LT(chiSquare(counts, softmax(logits, 0.8f), kDraws), 27.877);
  EXPECT_GT(chiSquare(counts, softmax(logits, 1.0), kDraws), 1000.0);
}

// The same test with top-k and top-p: draws stay in the kept set and follow
// the renormalized probabilities.
TEST(SamplerTest, FilteredSampleFrequenciesMatchRenormalizedSoftmax) {
  constexpr int kDraws = 200000;
  std::vector<float> logits = {1.0f, 0.2f,  -0.5f, 1.6f, 0.0f,
                               0.9f, -1.0f, 0.4f,  1.2f, -0.2f};
  // At temperature 1.2, top-5 keeps {3, 8, 0, 5, 7}, which hold 0.308,
  // 0.221, 0.187, 0.172 and 0.113 of their mass (rounded); top-p 0.8 then
  // keeps the first four (0.887 >= 0.8 > 0.715).
  Sampler sampler = makeSampler(1.2f, 5, 0.8f, 77);
  std::vector<TokenProbability> dist =
      sampler.distribution(logits.data(), logits.size());
  ASSERT_EQ(tokensOf(dist), (std::vector<int32_t>{3, 8, 0, 5}));

  std::vector<double> full = softmax(logits, 1.2f);
  std::vector<double> expected;
  double keptMass = full[3] + full[8] + full[0] + full[5];
  for (int32_t token : {3, 8, 0, 5})
    expected.push_back(full[token] / keptMass);
  for (size_t i = 0; i < dist.size(); ++i)
    EXPECT_NEAR(dist[i].probability, expected[i], 1e-12);

  std::map<int32_t, size_t> slot = {{3, 0}, {8, 1}, {0, 2}, {5, 3}};
  std::vector<int> counts(4);
  for (int32_t token : drawTokens(sampler, logits, kDraws)) {
    ASSERT_TRUE(slot.count(token)) << "token " << token << " was filtered";
    ++counts[slot[token]];
  }
  // Quantile 0.999 of chi-square with 3 degrees of freedom.
  EXPECT_LT(chiSquare(counts, expected, kDraws), 16.266);
}

//===--- Speculative decoding's acceptance --------------------------------===//

namespace {

/// `draws` tokens through the draft-then-verify rule: a token drawn from the
/// draft's distribution (its own sampler), then verifyDraft against the
/// target's, counted per token id.
std::vector<int> speculativeCounts(const std::vector<float> &targetLogits,
                                   const std::vector<float> &draftLogits,
                                   int draws, uint64_t seed) {
  Sampler target = makeSampler(1.0f, 0, 1.0f, seed);
  Sampler draft = makeSampler(1.0f, 0, 1.0f, seed + 1);
  std::vector<TokenProbability> p =
      target.distribution(targetLogits.data(), targetLogits.size());
  std::vector<TokenProbability> q =
      draft.distribution(draftLogits.data(), draftLogits.size());
  std::vector<int> counts(targetLogits.size());
  for (int i = 0; i < draws; ++i) {
    int32_t drafted = draft.sample(draftLogits.data(), draftLogits.size());
    ++counts[target.verifyDraft(p, q, drafted).token];
  }
  return counts;
}

} // namespace

// Whatever the draft proposes, the tokens verifyDraft returns follow the
// target's distribution. Chi-square of 20,000 draws against the target's
// softmax, 5 tokens: 4 degrees of freedom, critical value 18.47 at
// significance 0.001 (seeds fixed beforehand, not searched). A broken rule
// (a rejection resampled from p instead of the residual max(0, p - q),
// the classic mistake) is computed on the same kind of draws and must fail
// it. Here the statistic is 2.1; over 200 other seeds it averaged 4.2, as
// chi-square with 4 degrees of freedom should; the broken rule gives 2848
// and the draft's own distribution 37959.
TEST(SamplerTest, SpeculativeAcceptanceKeepsTheTargetDistribution) {
  constexpr int kDraws = 20000;
  std::vector<float> targetLogits = {1.2f, 0.1f, -0.4f, 0.8f, -1.5f};
  std::vector<float> draftLogits = {-0.3f, 1.1f, 0.6f, 0.9f, 0.2f};
  std::vector<double> p = softmax(targetLogits, 1.0f);
  std::vector<double> q = softmax(draftLogits, 1.0f);

  std::vector<int> counts =
      speculativeCounts(targetLogits, draftLogits, kDraws, 12345);
  EXPECT_LT(chiSquare(counts, p, kDraws), 18.467);
  // Not the draft's distribution either (the test can tell the two apart).
  EXPECT_GT(chiSquare(counts, q, kDraws), 1000.0);

  // The broken rule, with the same kind of draws.
  Xoshiro256StarStar rng(999);
  Sampler draft = makeSampler(1.0f, 0, 1.0f, 1000);
  std::vector<int> broken(p.size());
  for (int i = 0; i < kDraws; ++i) {
    int32_t d = draft.sample(draftLogits.data(), draftLogits.size());
    if (rng.nextUnit() < std::min(1.0, p[d] / q[d])) {
      ++broken[d];
      continue;
    }
    double u = rng.nextUnit(), acc = 0;
    size_t t = 0;
    for (; t + 1 < p.size() && u >= acc + p[t]; ++t)
      acc += p[t];
    ++broken[t];
  }
  EXPECT_GT(chiSquare(broken, p, kDraws), 18.467);
}

// Greedy parameters: the target's distribution is its argmax alone, so a
// draft is accepted exactly when it is the argmax, and a rejection yields
// the argmax.
TEST(SamplerTest, SpeculativeAcceptanceUnderGreedyIsExactMatch) {
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 1.9f};
  Sampler target = makeSampler(0.0f, 0, 1.0f, 7);
  std::vector<TokenProbability> p =
      target.distribution(logits.data(), logits.size());
  std::vector<TokenProbability> q = {{0, 0.25}, {1, 0.25}, {2, 0.25},
                                     {3, 0.25}};
  for (int32_t drafted = 0; drafted < 4; ++drafted) {
    Sampler::Verdict verdict = target.verifyDraft(p, q, drafted);
    EXPECT_EQ(verdict.accepted, drafted == 1);
    EXPECT_EQ(verdict.token, 1);
  }
}

// With the same seed, the same draws give the same verdicts.
TEST(SamplerTest, SpeculativeAcceptanceRepeatsWithTheSeed) {
  std::vector<float> targetLogits = {1.2f, 0.1f, -0.4f, 0.8f, -1.5f};
  std::vector<float> draftLogits = {-0.3f, 1.1f, 0.6f, 0.9f, 0.2f};
  EXPECT_EQ(speculativeCounts(targetLogits, draftLogits, 2000, 5),
            speculativeCounts(targetLogits, draftLogits, 2000, 5));
}
