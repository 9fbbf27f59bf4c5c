//===- SpeculativeTest.cpp - speculative decoding over fake models --------===//
//
// SpeculativeDecoder (xf/Speculative.h) over fake ModelSteps whose logits
// are a fixed table indexed by the last two tokens of a sequence, on real
// KVCaches, so every exact probability is known:
//
//  - NgramDrafter's proposals;
//  - the distribution of the tokens speculation emits at temperature 1:
//    the empirical joint distribution of the first 3 tokens over 20,000
//    seeds is compared with the exact target distribution (products of
//    Sampler::distribution) by a chi-square goodness-of-fit test at
//    significance p = 0.001 (cells with expected count < 5 merged into one;
//    critical value by the Wilson-Hilferty approximation, within 0.5% of
//    the tabulated values for the 100-220 degrees of freedom here). A
//    correct sampler fails it once in 1000 seeds sets; these seeds are
//    fixed, so the test is deterministic. The same test is run on plain
//    sampling (the baseline) and on a decode loop that accepts every draft
//    (a broken acceptance rule, built in the test), which must fail it by
//    far;
//  - greedy identity with plain argmax decoding for 200 tokens, up to the
//    max context (drafts cut short by it), for each drafter kind;
//  - rollback: the cache holds exactly the emitted context after every
//    round and nothing after the sequence is freed;
//  - the same seed gives the same tokens, whatever the timing (the decoder
//    switches between speculative and plain steps on measured time).
//
//===----------------------------------------------------------------------===//

#include "xf/Speculative.h"

#include "gtest/gtest.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

using namespace xf;

namespace {

constexpr int64_t kVocab = 6;
constexpr int64_t kBlockTokens = 4;

/// A logits table: row (a * kVocab + b) holds the logits after tokens a, b.
using LogitsTable = std::vector<std::vector<float>>;

LogitsTable makeTable(uint64_t seed, float scale) {
  LogitsTable table(kVocab * kVocab, std::vector<float>(kVocab));
  uint64_t state = seed;
  for (auto &row : table)
    for (float &logit : row) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      logit = scale * (static_cast<float>((state >> 40) % 1000) / 500.0f - 1);
    }
  return table;
}

/// The logits after tokens[0..end): the table row of the last two (a lone
/// token counts as following token 0).
const std::vector<float> &logitsAfter(const LogitsTable &table,
                                      const std::vector<int32_t> &tokens,
                                      int64_t end) {
  int32_t a = end >= 2 ? tokens[end - 2] : 0, b = tokens[end - 1];
  return table[a * kVocab + b];
}

KVCache makeCache(int64_t blocks) {
  KVCacheConfig config;
  config.layers = 1;
  config.kvHeads = 1;
  config.headDim = 4;
  config.elementBytes = 4;
  config.blockTokens = kBlockTokens;
  config.budgetBytes = blocks * 2 * kBlockTokens * 4 * 4;
  auto created = KVCache::create(config);
  EXPECT_TRUE(created) << created.error();
  return std::move(*created);
}

/// A ModelStep computing a logits table over a KVCache (its own, or one it
/// shares: a draft made from the target's first layers). Optionally sleeps
/// in plain or in multi-row calls, to steer the decoder's timing.
class FakeStep : public ModelStep {
public:
  FakeStep(LogitsTable table, int64_t maxContextLength, KVCache *shared = nullptr)
      : table(std::move(table)), maxContextLength(maxContextLength) {
    if (shared) {
      kv = shared;
    } else {
      owned.emplace(makeCache(256));
      kv = &*owned;
    }
  }

  int64_t vocabSize() const override { return kVocab; }
  int64_t maxContext() const override { return maxContextLength; }
  KVCache &cache() override { return *kv; }

  Result<LogitsView> run(const std::vector<KVCache::SequenceId> &seqs,
                         bool allRows) override {
    ++calls;
    std::this_thread::sleep_for(allRows ? multiRowDelay : plainDelay);
    int64_t perSequence = 1;
    for (KVCache::SequenceId seq : seqs) {
      if (kv->length(seq) > maxContextLength)
        return ErrorMessage{"sequence past the max context"};
      perSequence =
          std::max(perSequence, kv->length(seq) - kv->computedLength(seq));
    }
    int64_t rowsPerSequence = allRows ? perSequence : 1;
    rows.assign(seqs.size() * rowsPerSequence * kVocab, 0.0f);
    for (size_t b = 0; b < seqs.size(); ++b) {
      const std::vector<int32_t> &tokens = kv->tokens(seqs[b]);
      int64_t length = kv->length(seqs[b]);
      for (int64_t r = 0; r < rowsPerSequence; ++r) {
        int64_t end = length - (rowsPerSequence - 1 - r);
        if (end <= kv->computedLength(seqs[b]))
          continue; // padding
        const std::vector<float> &logits = logitsAfter(table, tokens, end);
        std::copy(logits.begin(), logits.end(),
                  rows.begin() + (b * rowsPerSequence + r) * kVocab);
      }
      kv->markComputed(seqs[b]);
    }
    LogitsView view;
    view.base = rows.data();
    view.rows = seqs.size() * rowsPerSequence;
    view.rowStride = kVocab;
    return view;
  }

  LogitsTable table;
  int64_t calls = 0;
  std::chrono::microseconds plainDelay{0}, multiRowDelay{0};

private:
  std::optional<KVCache> owned;
  KVCache *kv;
  std::vector<float> rows;
  int64_t maxContextLength;
};

/// A drafter that samples its proposals from a logits table at
/// temperature 1 and reports the distributions q it drew them from (what a
/// sampling draft model does; ModelDrafter is greedy).
class SamplingDrafter : public Drafter {
public:
  explicit SamplingDrafter(LogitsTable table) : table(std::move(table)) {}
  std::string name() const override { return "sampling"; }
  void reseed(uint64_t seed) { sampler.emplace(*Sampler::create({}, seed)); }
  Result<DraftProposal> propose(KVCache::SequenceId,
                                const std::vector<int32_t> &context,
                                int64_t k) override {
    DraftProposal proposal;
    std::vector<int32_t> tokens = context;
    for (int64_t i = 0; i < k; ++i) {
      const std::vector<float> &logits =
          logitsAfter(table, tokens, tokens.size());
      proposal.distributions.push_back(
          sampler->distribution(logits.data(), kVocab));
      int32_t token = sampler->sample(logits.data(), kVocab);
      proposal.tokens.push_back(token);
      tokens.push_back(token);
    }
    return proposal;
  }

private:
  LogitsTable table;
  std::optional<Sampler> sampler;
};

Sampler makeSampler(float temperature, uint64_t seed) {
  SamplingParams params;
  params.temperature = temperature;
  auto sampler = Sampler::create(params, seed);
  EXPECT_TRUE(sampler) << sampler.error();
  return std::move(*sampler);
}

/// Starts a sequence: all of `prompt` but its last token computed in the
/// target's cache; the last is the pending token, so every generated token
/// comes from a round of the decoder under test.
struct Started {
  KVCache::SequenceId seq;
  int32_t pending;
};
Started start(FakeStep &target, const std::vector<int32_t> &prompt) {
  std::vector<int32_t> head(prompt.begin(), prompt.end() - 1);
  auto created = target.cache().createSequence(head, /*reusePrefix=*/false);
  EXPECT_TRUE(created) << created.error();
  auto logits = target.run({created->id}, false);
  EXPECT_TRUE(logits) << logits.error();
  return {created->id, prompt.back()};
}

/// Generates `count` tokens after `prompt` (by rounds of `decoder`, or
/// plain steps without one),
/// checking after every round that the cache holds exactly the context.
std::vector<int32_t> generate(FakeStep &target, SpeculativeDecoder *decoder,
                              const std::vector<int32_t> &prompt,
                              int64_t count, Sampler &sampler,
                              Drafter *drafter = nullptr) {
  KVCache &kv = target.cache();
  Started s = start(target, prompt);
  std::vector<int32_t> out;
  while (static_cast<int64_t>(out.size()) < count) {
    int32_t pending = out.empty() ? s.pending : out.back();
    std::vector<int32_t> more;
    if (decoder) {
      auto round = decoder->step(s.seq, pending, sampler);
      EXPECT_TRUE(round) << round.error();
      if (!round)
        break;
      more = *round;
    } else {
      EXPECT_TRUE(kv.appendTokens(s.seq, &pending, 1));
      auto logits = target.run({s.seq}, false);
      EXPECT_TRUE(logits) << logits.error();
      std::vector<float> row = logits->row(0, kVocab);
      more = {sampler.sample(row.data(), kVocab)};
    }
    EXPECT_FALSE(more.empty());
    out.insert(out.end(), more.begin(), more.end());
    // Rollback: the prompt and every emitted token but the pending one,
    // all computed, in exactly as many blocks as they need.
    int64_t length = prompt.size() + out.size() - 1;
    EXPECT_EQ(kv.length(s.seq), length);
    EXPECT_EQ(kv.computedLength(s.seq), length);
    std::vector<int32_t> expected = prompt;
    expected.insert(expected.end(), out.begin(), out.end() - 1);
    EXPECT_EQ(kv.tokens(s.seq), expected);
    EXPECT_EQ(kv.stats().usedBlocks,
              (length + kBlockTokens - 1) / kBlockTokens);
  }
  kv.freeSequence(s.seq);
  if (drafter)
    drafter->forget(s.seq);
  return out;
}

//===----------------------------------------------------------------------===//
// NgramDrafter
//===----------------------------------------------------------------------===//

TEST(NgramDrafter, ProposesContinuationOfLatestLongestMatch) {
  NgramDrafter drafter(3);
  auto propose = [&](std::vector<int32_t> context, int64_t k) {
    auto proposal = drafter.propose(0, context, k);
    EXPECT_TRUE(proposal) << proposal.error();
    EXPECT_TRUE(proposal->distributions.empty());
    return proposal->tokens;
  };
  // The 3-gram 1 2 3 occurs earlier at 0 (followed by 9 8) and the 1-gram 3
  // also at 5 (followed by 7): the longer match wins.
  EXPECT_EQ(propose({1, 2, 3, 9, 8, 3, 7, 1, 2, 3}, 2),
            (std::vector<int32_t>{9, 8}));
  // Two occurrences of the 3-gram: the latest one's continuation.
  EXPECT_EQ(propose({1, 2, 3, 4, 1, 2, 3, 5, 6, 1, 2, 3}, 3),
            (std::vector<int32_t>{5, 6, 1}));
  // At most k tokens, and at most what follows the match.
  EXPECT_EQ(propose({1, 2, 3, 4, 5, 6, 1, 2, 3}, 2),
            (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(propose({4, 5, 6, 1, 2, 3, 5, 6}, 8),
            (std::vector<int32_t>{1, 2, 3, 5, 6}));
  // No 3-gram match: falls back to the latest 2-gram, then 1-gram.
  EXPECT_EQ(propose({7, 2, 3, 8, 1, 2, 3}, 4),
            (std::vector<int32_t>{8, 1, 2, 3}));
  EXPECT_EQ(propose({3, 5, 9, 3, 6, 1, 3}, 1), (std::vector<int32_t>{6}));
  // maxN bounds n: with maxN 1 only the last token is matched.
  NgramDrafter unigram(1);
  auto one = unigram.propose(0, {1, 2, 9, 5, 2, 8, 1, 2}, 3);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->tokens, (std::vector<int32_t>{8, 1, 2}));
  // Nothing when the last token never occurred before, or alone.
  EXPECT_TRUE(propose({1, 2, 3, 4}, 4).empty());
  EXPECT_TRUE(propose({5}, 4).empty());
  EXPECT_TRUE(propose({}, 4).empty());
}

//===----------------------------------------------------------------------===//
// Distribution at temperature 1
//===----------------------------------------------------------------------===//

constexpr int64_t kTrials = 20000;
constexpr int64_t kJoint = 3; // tokens whose joint distribution is tested
const std::vector<int32_t> kPrompt = {1, 2, 1, 2};

/// The exact probability of each kJoint-token continuation of kPrompt under
/// `table` at temperature 1, indexed t0 * V^2 + t1 * V + t2.
std::vector<double> exactJoint(const LogitsTable &table) {
  Sampler sampler = makeSampler(1.0f, 0);
  std::vector<double> joint(kVocab * kVocab * kVocab);
  for (int64_t cell = 0; cell < static_cast<int64_t>(joint.size()); ++cell) {
    std::vector<int32_t> tokens = kPrompt;
    double probability = 1;
    for (int64_t i = 0, rest = cell, div = kVocab * kVocab; i < kJoint;
         ++i, rest %= div, div /= kVocab) {
      int32_t next = static_cast<int32_t>(rest / div);
      const std::vector<float> &logits =
          logitsAfter(table, tokens, tokens.size());
      double p = 0;
      for (const TokenProbability &tp : sampler.distribution(logits.data(),
                                                             kVocab))
        if (tp.token == next)
          p = tp.probability;
      probability *= p;
      tokens.push_back(next);
    }
    joint[cell] = probability;
  }
  return joint;
}

struct ChiSquare {
  double statistic;
  int64_t degreesOfFreedom;
  double critical; // at p = 0.001
};

/// Pearson's chi-square of `counts` against `probabilities` (kTrials
/// draws); cells expecting fewer than 5 are pooled into one cell.
ChiSquare chiSquare(const std::vector<int64_t> &counts,
                    const std::vector<double> &probabilities) {
  double statistic = 0, pooledExpected = 0;
  int64_t pooledCount = 0, cells = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    double expected = probabilities[i] * kTrials;
    if (expected < 5) {
      pooledExpected += expected;
      pooledCount += counts[i];
      continue;
    }
    statistic += (counts[i] - expected) * (counts[i] - expected) / expected;
    ++cells;
  }
  if (pooledExpected > 0) {
    // A pooled cell expecting less than 5 still counts (its contribution
    // is then noisier, never smaller).
    statistic += (pooledCount - pooledExpected) *
                 (pooledCount - pooledExpected) / pooledExpected;
    ++cells;
  }
  int64_t df = cells - 1;
  // Wilson-Hilferty: chi2_{1-a}(df) ~ df (1 - 2/(9 df) + z_a sqrt(2/(9 df)))^3,
  // z_0.001 = 3.0902.
  double h = 2.0 / (9.0 * df);
  double critical = df * std::pow(1 - h + 3.0902 * std::sqrt(h), 3);
  return {statistic, df, critical};
}

/// Counts of the first kJoint generated tokens over seeds 0..kTrials-1.
template <typename Generate>
std::vector<int64_t> histogram(Generate generateOne) {
  std::vector<int64_t> counts(kVocab * kVocab * kVocab);
  for (int64_t seed = 0; seed < kTrials; ++seed) {
    std::vector<int32_t> tokens = generateOne(seed);
    EXPECT_GE(tokens.size(), static_cast<size_t>(kJoint));
    if (tokens.size() < static_cast<size_t>(kJoint))
      continue;
    ++counts[(tokens[0] * kVocab + tokens[1]) * kVocab + tokens[2]];
  }
  return counts;
}

ChiSquare report(const char *what, const std::vector<int64_t> &counts,
                 const std::vector<double> &exact) {
  ChiSquare c = chiSquare(counts, exact);
  std::printf("[chi-square] %-34s statistic %8.1f, df %3lld, critical "
              "(p = 0.001) %.1f\n",
              what, c.statistic, static_cast<long long>(c.degreesOfFreedom),
              c.critical);
  return c;
}

class SpeculativeDistribution : public ::testing::Test {
protected:
  // The target, and a draft that agrees with it loosely: its logits are
  // the target's plus independent noise of the same size, so drafts are
  // accepted often but not always and q differs from p everywhere.
  LogitsTable targetTable = makeTable(1, 2.0f);
  LogitsTable draftTable = [&] {
    LogitsTable noise = makeTable(2, 2.0f), sum = targetTable;
    for (size_t r = 0; r < sum.size(); ++r)
      for (int64_t v = 0; v < kVocab; ++v)
        sum[r][v] += noise[r][v];
    return sum;
  }();
  std::vector<double> exact = exactJoint(targetTable);
};

TEST_F(SpeculativeDistribution, PlainSamplingMatchesTarget) {
  FakeStep target(targetTable, 64);
  auto counts = histogram([&](int64_t seed) {
    Sampler sampler = makeSampler(1.0f, seed);
    return generate(target, nullptr, kPrompt, kJoint, sampler);
  });
  ChiSquare c = report("plain sampling", counts, exact);
  EXPECT_LT(c.statistic, c.critical);
}

TEST_F(SpeculativeDistribution, SamplingDraftMatchesTarget) {
  FakeStep target(targetTable, 64);
  SamplingDrafter drafter(draftTable);
  SpeculationStats total;
  auto counts = histogram([&](int64_t seed) {
    Sampler sampler = makeSampler(1.0f, seed);
    drafter.reseed(seed + 1000003);
    SpeculativeDecoder decoder(target, drafter, {});
    auto out = generate(target, &decoder, kPrompt, kJoint, sampler, &drafter);
    total.rounds += decoder.stats().rounds;
    total.drafted += decoder.stats().drafted;
    total.accepted += decoder.stats().accepted;
    return out;
  });
  ChiSquare c = report("speculative, sampling draft (q)", counts, exact);
  std::printf("[chi-square]   %lld verifies, %lld drafted, %lld accepted\n",
              static_cast<long long>(total.rounds),
              static_cast<long long>(total.drafted),
              static_cast<long long>(total.accepted));
  // Not vacuous: drafts were both accepted and rejected.
  EXPECT_GT(total.accepted, total.rounds / 4);
  EXPECT_LT(total.accepted, total.drafted);
  EXPECT_LT(c.statistic, c.critical);
}

TEST_F(SpeculativeDistribution, GreedyModelDraftMatchesTarget) {
  FakeStep target(targetTable, 64), draft(draftTable, 64);
  ModelDrafter drafter(draft, /*sharesTargetCache=*/false, "fake");
  SpeculationStats total;
  auto counts = histogram([&](int64_t seed) {
    Sampler sampler = makeSampler(1.0f, seed);
    SpeculativeDecoder decoder(target, drafter, {});
    auto out = generate(target, &decoder, kPrompt, kJoint, sampler, &drafter);
    total.drafted += decoder.stats().drafted;
    total.accepted += decoder.stats().accepted;
    return out;
  });
  ChiSquare c = report("speculative, greedy model draft", counts, exact);
  EXPECT_GT(total.accepted, 0);
  EXPECT_LT(total.accepted, total.drafted);
  EXPECT_LT(c.statistic, c.critical);
  EXPECT_EQ(draft.cache().stats().usedBlocks, 0);
}

TEST_F(SpeculativeDistribution, NgramDraftMatchesTarget) {
  FakeStep target(targetTable, 64);
  NgramDrafter drafter(3);
  int64_t accepted = 0;
  auto counts = histogram([&](int64_t seed) {
    Sampler sampler = makeSampler(1.0f, seed);
    SpeculativeDecoder decoder(target, drafter, {});
    auto out = generate(target, &decoder, kPrompt, kJoint, sampler, &drafter);
    accepted += decoder.stats().accepted;
    return out;
  });
  ChiSquare c = report("speculative, ngram draft", counts, exact);
  EXPECT_GT(accepted, 0);
  EXPECT_LT(c.statistic, c.critical);
}

/// The test has power: a decode loop that accepts every draft (the
/// sampling drafter's, so the tokens follow q, not p) fails it by far.
TEST_F(SpeculativeDistribution, AcceptingEveryDraftFails) {
  FakeStep target(targetTable, 64);
  SamplingDrafter drafter(draftTable);
  auto counts = histogram([&](int64_t seed) {
    Sampler sampler = makeSampler(1.0f, seed);
    drafter.reseed(seed + 1000003);
    Started s = start(target, kPrompt);
    std::vector<int32_t> out;
    while (static_cast<int64_t>(out.size()) < kJoint) {
      int32_t pending = out.empty() ? s.pending : out.back();
      std::vector<int32_t> context = target.cache().tokens(s.seq);
      context.push_back(pending);
      auto proposal = drafter.propose(s.seq, context, 4);
      EXPECT_TRUE(proposal);
      std::vector<int32_t> fed = {pending};
      fed.insert(fed.end(), proposal->tokens.begin(), proposal->tokens.end());
      EXPECT_TRUE(target.cache().appendTokens(s.seq, fed));
      auto logits = target.run({s.seq}, true);
      EXPECT_TRUE(logits);
      // Broken: every draft accepted, then the bonus token from the last row.
      out.insert(out.end(), proposal->tokens.begin(), proposal->tokens.end());
      std::vector<float> row = logits->row(logits->rows - 1, kVocab);
      out.push_back(sampler.sample(row.data(), kVocab));
    }
    target.cache().freeSequence(s.seq);
    return out;
  });
  ChiSquare c = report("BROKEN: accept every draft", counts, exact);
  EXPECT_GT(c.statistic, c.critical);
}

//===----------------------------------------------------------------------===//
// Greedy identity, rollback, seeds
//===----------------------------------------------------------------------===//

constexpr int64_t kGreedyTokens = 200;

/// Plain argmax decoding of `count` tokens after `prompt`.
std::vector<int32_t> argmaxReference(const LogitsTable &table,
                                     std::vector<int32_t> tokens,
                                     int64_t count) {
  std::vector<int32_t> out;
  for (int64_t i = 0; i < count; ++i) {
    const std::vector<float> &logits = logitsAfter(table, tokens, tokens.size());
    out.push_back(argmaxToken(logits.data(), kVocab));
    tokens.push_back(out.back());
  }
  return out;
}

class SpeculativeGreedy : public ::testing::Test {
protected:
  LogitsTable targetTable = makeTable(3, 2.0f);
  /// Agrees with the target's argmax in about half the contexts.
  LogitsTable draftTable = [&] {
    LogitsTable table = targetTable, other = makeTable(4, 2.0f);
    for (size_t r = 0; r < table.size(); r += 2)
      table[r] = other[r];
    return table;
  }();
  const std::vector<int32_t> prompt = {3, 1, 4, 1, 5};
  /// Room for the prompt and exactly kGreedyTokens - 1 computed tokens: the
  /// last rounds' drafts are cut short by the max context.
  const int64_t maxContext = prompt.size() + kGreedyTokens - 1;

  void expectIdentity(FakeStep &target, Drafter &drafter) {
    // Plain steps made slow, so the decoder measures speculation as paying
    // and keeps verifying drafts rather than falling back to plain steps.
    target.plainDelay = std::chrono::microseconds(100);
    Sampler sampler = makeSampler(0.0f, 0);
    SpeculativeDecoder decoder(target, drafter, {/*maxK=*/8});
    std::vector<int32_t> out =
        generate(target, &decoder, prompt, kGreedyTokens, sampler, &drafter);
    EXPECT_EQ(out, argmaxReference(targetTable, prompt, kGreedyTokens));
    const SpeculationStats &s = decoder.stats();
    std::printf("[greedy] %s: %lld verifies, %lld drafted, %lld accepted, "
                "%lld plain steps\n",
                drafter.name().c_str(), static_cast<long long>(s.rounds),
                static_cast<long long>(s.drafted),
                static_cast<long long>(s.accepted),
                static_cast<long long>(s.plainSteps));
    EXPECT_GT(s.accepted, 0);
    // Nothing left in the target's cache once the sequence is freed.
    KVCacheStats stats = target.cache().stats();
    EXPECT_EQ(stats.usedBlocks, 0);
    EXPECT_EQ(stats.sequences, 0);
    EXPECT_TRUE(target.cache().checkInvariants());
  }
};

TEST_F(SpeculativeGreedy, NgramEqualsArgmax) {
  FakeStep target(targetTable, maxContext);
  NgramDrafter drafter(3);
  expectIdentity(target, drafter);
}

TEST_F(SpeculativeGreedy, OwnCacheModelDraftEqualsArgmax) {
  FakeStep target(targetTable, maxContext), draft(draftTable, maxContext);
  ModelDrafter drafter(draft, /*sharesTargetCache=*/false, "own");
  expectIdentity(target, drafter);
  // The drafter's own sequence went with forget().
  EXPECT_EQ(draft.cache().stats().usedBlocks, 0);
  EXPECT_EQ(draft.cache().stats().sequences, 0);
}

TEST_F(SpeculativeGreedy, SharedCacheModelDraftEqualsArgmax) {
  FakeStep target(targetTable, maxContext);
  FakeStep draft(draftTable, maxContext, &target.cache());
  ModelDrafter drafter(draft, /*sharesTargetCache=*/true, "shared");
  expectIdentity(target, drafter);
}

TEST_F(SpeculativeGreedy, DraftsStopAtMaxContext) {
  // A draft that always agrees: every round drafts as much as it may, so
  // the last ones are bounded by the max context, never past it (the fake
  // fails a call over it).
  FakeStep target(targetTable, maxContext), draft(targetTable, maxContext);
  ModelDrafter drafter(draft, /*sharesTargetCache=*/false, "same");
  expectIdentity(target, drafter);
}

/// Same seed, same tokens at temperature 1, even when the decoder's timing
/// differs between the runs: one where verifying is slow (so it measures
/// speculation as not paying and decodes plainly for a while), one where
/// plain steps are slow (so it keeps speculating).
TEST(SpeculativeSeed, SameSeedSameTokens) {
  LogitsTable table = makeTable(5, 1.0f);
  for (int kind = 0; kind < 2; ++kind) {
    std::vector<std::vector<int32_t>> runs;
    for (int run = 0; run < 3; ++run) {
      FakeStep target(table, 512), draft(table, 512);
      if (run == 1)
        target.multiRowDelay = std::chrono::microseconds(300);
      if (run == 2)
        target.plainDelay = std::chrono::microseconds(300);
      NgramDrafter ngram(3);
      ModelDrafter model(draft, false, "own");
      Drafter &drafter = kind == 0 ? static_cast<Drafter &>(ngram) : model;
      Sampler sampler = makeSampler(1.0f, 42);
      SpeculativeDecoder decoder(target, drafter, {});
      runs.push_back(
          generate(target, &decoder, {1, 2, 3}, 120, sampler, &drafter));
    }
    SCOPED_TRACE(kind == 0 ? "ngram" : "model");
    EXPECT_EQ(runs[0], runs[1]);
    EXPECT_EQ(runs[0], runs[2]);
    // And another seed gives other tokens.
    FakeStep target(table, 512);
    NgramDrafter ngram(3);
    Sampler sampler = makeSampler(1.0f, 43);
    SpeculativeDecoder decoder(target, ngram, {});
    EXPECT_NE(generate(target, &decoder, {1, 2, 3}, 120, sampler), runs[0]);
  }
}

TEST(SpeculativeEngine, DraftModelForgetsFinishedRequests) {
  // The engine speculates while one request runs; a draft model with a
  // cache of its own keeps a sequence per request, which must go when the
  // request ends, or the draft's pool fills with dead sequences.
  LogitsTable table = makeTable(5, 1.0f);
  FakeStep target(table, 512), draft(table, 512);
  ModelDrafter drafter(draft, /*sharesTargetCache=*/false, "own");
  SpeculativeDecoder decoder(target, drafter, {});
  EngineOptions options;
  options.speculative = &decoder;
  Engine engine(target, options);
  for (int i = 0; i < 5; ++i) {
    GenerationRequest request;
    request.prompt = {1, 2, 3};
    request.sampling.temperature = 0;
    request.maxTokens = 40;
    ASSERT_TRUE(engine.submit(std::move(request)));
    ASSERT_TRUE(engine.runToCompletion());
  }
  EXPECT_GT(decoder.stats().accepted, 0);
  EXPECT_EQ(draft.cache().stats().usedBlocks, 0);
  EXPECT_EQ(target.cache().stats().usedBlocks, 0);
}

} // namespace
