//===- Sampler.h - choosing the next token from logits ---------*- C++ -*-===//
//
// Turns one row of logits into a token id: greedy, or a random draw after
// temperature, top-k and top-p (nucleus) filtering.
//
// Semantics, in this order, for logits l[0..n):
//
//  1. Greedy: if temperature == 0 or top_k == 1, the result is argmax(l):
//     the largest logit, ties to the lowest id, NaN never chosen. No random
//     number is drawn.
//  2. Temperature: z[i] = l[i] / temperature, in double precision. Tokens
//     whose logit is NaN drop out. If no logit is above -inf, the result is
//     argmax(l). Each token's weight is exp(z[i] - max z), so the most
//     likely token weighs 1; a weight below exp(-708) is 0 (if max z is +inf,
//     the tokens at +inf weigh 1 and all others 0). Weights are computed
//     after top-k, which only needs the order of z.
//  3. Top-k: if 0 < top_k < (tokens left), keep the top_k tokens that come
//     first in the order "larger z first, then lower id".
//  4. Top-p: if top_p < 1, sort what is left in that order and keep its
//     shortest prefix whose weight is >= top_p times the weight of all that
//     is left (so at least one token).
//  5. Sample: draw u uniform in [0, 1) (one 64-bit draw from the generator),
//     and return the first kept token, in the current order (token id order
//     if neither top-k nor top-p applied, else the sorted order), at which
//     the running weight exceeds u times the total kept weight.
//
// Every sum adds left to right in the current order.
//
// Reproducibility: the same seed, logits and parameters give the same tokens
// on every IEEE-754 machine (default rounding, no flush-to-zero) and with
// every C++ standard library. The
// generator (xoshiro256** seeded by splitmix64), its conversion to [0, 1),
// the exponential, the summation order and the sort order (a total order, so
// any sort algorithm agrees) are all defined here; nothing uses <random>'s
// distributions or libm's exp, whose results vary between implementations.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_SAMPLER_H
#define XF_RUNTIME_INCLUDE_XF_SAMPLER_H

#include "xf/Result.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace xf {

/// The xoshiro256** generator (Blackman and Vigna), its state seeded from
/// one 64-bit seed with splitmix64. Same seed, same sequence everywhere.
class Xoshiro256StarStar {
public:
  explicit Xoshiro256StarStar(uint64_t seed);

  /// The next 64 random bits.
  uint64_t next();
  /// A double uniform in [0, 1): the top 53 bits of next() times 2^-53.
  double nextUnit();

private:
  uint64_t state[4];
};

/// The id of the largest logit; ties go to the lowest id and NaN is never
/// chosen (0 if every logit is NaN). `count` must be at least 1.
int32_t argmaxToken(const float *logits, size_t count);

struct SamplingParams {
  /// Divides the logits; 0 means greedy. Finite and >= 0.
  float temperature = 1.0f;
  /// Keep the k most likely tokens; 0 keeps all, 1 is greedy.
  uint32_t topK = 0;
  /// Keep the most likely tokens up to this probability mass; in (0, 1],
  /// 1 keeps all.
  float topP = 1.0f;
};

/// A token and the probability that Sampler::sample returns it.
struct TokenProbability {
  int32_t token;
  double probability;
};

/// Samples tokens with fixed parameters from a seeded generator.
class Sampler {
public:
  /// Refuses a temperature that is negative or not finite and a top_p
  /// outside (0, 1].
  static Result<Sampler> create(const SamplingParams &params, uint64_t seed);

  /// The next token for `logits[0..count)`, as the file comment describes.
  /// `count` must be between 1 and INT32_MAX.
  int32_t sample(const float *logits, size_t count);

  /// The distribution sample() draws from for these logits: the kept tokens
  /// with their probabilities (summing to 1), in the order sample() walks
  /// them. Draws no random number.
  std::vector<TokenProbability> distribution(const float *logits,
                                             size_t count) const;

  /// Speculative decoding's acceptance test (modified rejection sampling,
  /// Leviathan et al. 2023 / Chen et al. 2023): `drafted` was drawn from the
  /// draft's distribution `draft` (q); `target` (p) is this sampler's
  /// distribution() at the same position. Accepts `drafted` with
  /// probability min(1, p(drafted) / q(drafted)); otherwise draws a token
  /// from max(0, p - q) normalized (from p if that is all zero). Whatever q
  /// is, the token returned is distributed as p, so speculation changes no
  /// output distribution; under greedy parameters p is one token with
  /// probability 1, so a draft is accepted exactly when it is the argmax.
  /// Draws one or two numbers from this sampler's generator.
  struct Verdict {
    int32_t token;
    bool accepted;
  };
  Verdict verifyDraft(const std::vector<TokenProbability> &target,
                      const std::vector<TokenProbability> &draft,
                      int32_t drafted);

  const SamplingParams &params() const { return samplingParams; }

private:
  /// A token with its scaled logit and unnormalized weight.
  struct Candidate {
    double scaledLogit;
    double weight;
    int32_t token;
  };

  Sampler(const SamplingParams &params, uint64_t seed)
      : samplingParams(params), generator(seed) {}

  /// Steps 1-4: fills `kept` with the kept candidates in the order step 5
  /// walks them, or returns the token when the answer is argmax.
  static std::optional<int32_t> filter(const SamplingParams &params,
                                       const float *logits, size_t count,
                                       std::vector<Candidate> &kept);

  SamplingParams samplingParams;
  Xoshiro256StarStar generator;
  /// Reused between calls so that sampling does not allocate.
  std::vector<Candidate> candidates;
};

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_SAMPLER_H
