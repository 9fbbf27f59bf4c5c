//===- Sampler.cpp - choosing the next token from logits ------------------===//
//
// Every floating-point step here is a single correctly rounded IEEE-754
// operation (the library builds with -ffp-contract=off, so none is fused),
// which is what makes the tokens the same on every machine.
//
//===----------------------------------------------------------------------===//

#include "xf/Sampler.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <unordered_map>

using namespace xf;

namespace {

uint64_t splitMix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t rotateLeft(uint64_t x, int bits) {
  return (x << bits) | (x >> (64 - bits));
}

constexpr int kExpTerms = 14;

/// 1/0!, 1/1!, ..., 1/13!, each rounded once.
constexpr auto kInverseFactorials = [] {
  struct {
    double values[kExpTerms];
  } table{};
  double factorial = 1.0;
  for (int n = 0; n < kExpTerms; ++n) {
    if (n > 0)
      factorial *= n;
    table.values[n] = 1.0 / factorial;
  }
  return table;
}();

/// e^x for x <= 0, from +, -, * and exact conversions only, because libm's
/// exp differs in the last bit between implementations. x = k ln2 + r with
/// |r| <= ln2/2 (ln2 split in two so that k * kLn2High is exact), e^r by its
/// Taylor series to r^13 (truncation error below 1e-17; evaluated in
/// Estrin's scheme, whose short dependency chains make it several times
/// faster than Horner's on a vocabulary of logits), times 2^k built from its
/// bits. Relative error about one ulp. Below -708 the result would be
/// subnormal; it is 0 instead, which changes no probability (the largest
/// weight is 1).
double exponential(double x) {
  assert(!(x > 0) && "exponential() is for x <= 0");
  if (!(x >= -708.0))
    return 0.0;
  constexpr double kLog2E = 1.4426950408889634074;
  constexpr double kLn2High = 6.93147180369123816490e-01;
  constexpr double kLn2Low = 1.90821492927058770002e-10;
  // k = x / ln2 rounded to nearest: adding 1.5 * 2^52 leaves k in the low
  // bits of the sum's significand (and subtracting it again, k as a double).
  constexpr double kShifter = 0x1.8p52;
  double shifted = x * kLog2E + kShifter;
  double kd = shifted - kShifter;
  uint64_t shiftedBits;
  std::memcpy(&shiftedBits, &shifted, sizeof(shiftedBits));
  uint64_t k = shiftedBits - 0x4338000000000000ULL;
  double r = (x - kd * kLn2High) - kd * kLn2Low;
  const double *c = kInverseFactorials.values;
  double r2 = r * r;
  double r4 = r2 * r2;
  double r8 = r4 * r4;
  double series = ((c[0] + c[1] * r) + r2 * (c[2] + c[3] * r)) +
                  r4 * ((c[4] + c[5] * r) + r2 * (c[6] + c[7] * r)) +
                  r8 * (((c[8] + c[9] * r) + r2 * (c[10] + c[11] * r)) +
                        r4 * (c[12] + c[13] * r));
  uint64_t scaleBits = (k + 1023) << 52;
  double scale;
  std::memcpy(&scale, &scaleBits, sizeof(scale));
  return series * scale;
}

std::string formatFloat(float value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

} // namespace

Xoshiro256StarStar::Xoshiro256StarStar(uint64_t seed) {
  // Four consecutive splitmix64 outputs are never all zero, the one state
  // xoshiro cannot leave.
  for (uint64_t &word : state)
    word = splitMix64(seed);
}

uint64_t Xoshiro256StarStar::next() {
  uint64_t result = rotateLeft(state[1] * 5, 7) * 9;
  uint64_t shifted = state[1] << 17;
  state[2] ^= state[0];
  state[3] ^= state[1];
  state[1] ^= state[2];
  state[0] ^= state[3];
  state[2] ^= shifted;
  state[3] = rotateLeft(state[3], 45);
  return result;
}

double Xoshiro256StarStar::nextUnit() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

int32_t xf::argmaxToken(const float *logits, size_t count) {
  assert(count >= 1 && count <= INT32_MAX && "logits row of 1..INT32_MAX");
  int32_t best = 0;
  bool found = false;
  for (size_t i = 0; i < count; ++i) {
    if (std::isnan(logits[i]))
      continue;
    if (!found || logits[i] > logits[best]) {
      best = static_cast<int32_t>(i);
      found = true;
    }
  }
  return best;
}

Result<Sampler> Sampler::create(const SamplingParams &params, uint64_t seed) {
  if (!std::isfinite(params.temperature) || params.temperature < 0)
    return ErrorMessage{"temperature must be a finite number >= 0, got " +
                        formatFloat(params.temperature)};
  if (!(params.topP > 0 && params.topP <= 1))
    return ErrorMessage{"top-p must be in (0, 1], got " +
                        formatFloat(params.topP)};
  return Sampler(params, seed);
}

std::optional<int32_t> Sampler::filter(const SamplingParams &params,
                                       const float *logits, size_t count,
                                       std::vector<Candidate> &kept) {
  assert(count >= 1 && count <= INT32_MAX && "logits row of 1..INT32_MAX");
  if (params.temperature == 0 || params.topK == 1)
    return argmaxToken(logits, count);

  const double temperature = params.temperature;
  const double infinity = std::numeric_limits<double>::infinity();
  kept.clear();
  double maxScaled = -infinity;
  for (size_t i = 0; i < count; ++i) {
    if (std::isnan(logits[i]))
      continue;
    double scaled = static_cast<double>(logits[i]) / temperature;
    kept.push_back({scaled, 0.0, static_cast<int32_t>(i)});
    maxScaled = std::max(maxScaled, scaled);
  }
  if (maxScaled == -infinity)
    return argmaxToken(logits, count);

  // A strict total order, so every sort and selection algorithm agrees.
  auto comesFirst = [](const Candidate &a, const Candidate &b) {
    if (a.scaledLogit != b.scaledLogit)
      return a.scaledLogit > b.scaledLogit;
    return a.token < b.token;
  };

  bool sorted = false;
  if (params.topK > 0 && params.topK < kept.size()) {
    std::nth_element(kept.begin(), kept.begin() + params.topK, kept.end(),
                     comesFirst);
    kept.resize(params.topK);
    std::sort(kept.begin(), kept.end(), comesFirst);
    sorted = true;
  }

  // Weights only for what top-k kept; the order above needs none.
  for (Candidate &candidate : kept)
    candidate.weight = maxScaled == infinity
                           ? (candidate.scaledLogit == infinity ? 1.0 : 0.0)
                           : exponential(candidate.scaledLogit - maxScaled);

  if (params.topP < 1.0f) {
    double total = 0.0;
    for (const Candidate &candidate : kept)
      total += candidate.weight;
    const double threshold = static_cast<double>(params.topP) * total;
    // The nucleus is usually a few tokens of a large vocabulary: sort a
    // growing head of the order instead of everything.
    size_t head = sorted ? kept.size() : std::min<size_t>(kept.size(), 64);
    for (;;) {
      if (!sorted) {
        if (head < kept.size())
          std::nth_element(kept.begin(), kept.begin() + head, kept.end(),
                           comesFirst);
        std::sort(kept.begin(), kept.begin() + head, comesFirst);
      }
      double mass = 0.0;
      size_t length = 0;
      while (length < head && mass < threshold)
        mass += kept[length++].weight;
      if (mass >= threshold || head == kept.size()) {
        kept.resize(length);
        break;
      }
      head = std::min(kept.size(), head * 4);
    }
  }
  return std::nullopt;
}

int32_t Sampler::sample(const float *logits, size_t count) {
  if (std::optional<int32_t> token =
          filter(samplingParams, logits, count, candidates))
    return *token;

  double total = 0.0;
  for (const Candidate &candidate : candidates)
    total += candidate.weight;
  const double target = generator.nextUnit() * total;
  double running = 0.0;
  for (const Candidate &candidate : candidates) {
    running += candidate.weight;
    if (running > target)
      return candidate.token;
  }
  // u * total rounded up to total: the last token that has weight (there is
  // one, the most likely token weighs 1).
  auto last = std::find_if(candidates.rbegin(), candidates.rend(),
                           [](const Candidate &c) { return c.weight > 0; });
  return last->token;
}

std::vector<TokenProbability> Sampler::distribution(const float *logits,
                                                    size_t count) const {
  std::vector<Candidate> kept;
  if (std::optional<int32_t> token =
          filter(samplingParams, logits, count, kept))
    return {{*token, 1.0}};
  double total = 0.0;
  for (const Candidate &candidate : kept)
    total += candidate.weight;
  std::vector<TokenProbability> probabilities;
  for (const Candidate &candidate : kept)
    if (candidate.weight > 0)
      probabilities.push_back({candidate.token, candidate.weight / total});
  return probabilities;
}

Sampler::Verdict
Sampler::verifyDraft(const std::vector<TokenProbability> &target,
                     const std::vector<TokenProbability> &draft,
                     int32_t drafted) {
  std::unordered_map<int32_t, double> draftOf;
  draftOf.reserve(draft.size());
  for (const TokenProbability &entry : draft)
    draftOf[entry.token] = entry.probability;
  auto draftProbability = [&](int32_t token) {
    auto it = draftOf.find(token);
    return it == draftOf.end() ? 0.0 : it->second;
  };
  double p = 0.0;
  for (const TokenProbability &entry : target)
    if (entry.token == drafted)
      p = entry.probability;
  double q = draftProbability(drafted);
  // q(drafted) = 0 cannot happen for a token drawn from q; accepting it
  // exactly when p > 0 keeps the rule total.
  double acceptance = q > 0 ? std::min(1.0, p / q) : (p > 0 ? 1.0 : 0.0);
  if (p > 0 && (acceptance >= 1.0 || generator.nextUnit() < acceptance))
    return {drafted, true};

  // Rejected: the residual max(0, p - q), walked in target's order.
  double total = 0.0;
  std::vector<double> residual(target.size());
  for (size_t i = 0; i < target.size(); ++i) {
    residual[i] = std::max(
        0.0, target[i].probability - draftProbability(target[i].token));
    total += residual[i];
  }
  if (!(total > 0.0)) {
    // p == q wherever p > 0 (then a rejection has probability 0, barring
    // rounding): p itself.
    for (size_t i = 0; i < target.size(); ++i)
      residual[i] = target[i].probability;
    total = 1.0;
  }
  double u = generator.nextUnit() * total;
  for (size_t i = 0; i < target.size(); ++i) {
    if (u < residual[i])
      return {target[i].token, false};
    u -= residual[i];
  }
  // Rounding left u past the end: the last token with residual mass.
  for (size_t i = target.size(); i-- > 0;)
    if (residual[i] > 0)
      return {target[i].token, false};
  return {target.front().token, false};
}
