//===- Speculative.h - speculative decoding: draft, verify, accept -*- C++ -*-===//
//
// The runtime step of speculative decoding (xf-insert-speculative-decode
// prepares the compiled side; docs/design.md). One round for a sequence
// whose tokens are all computed in the target's KV cache and whose next
// token `pending` has been sampled but not run:
//
//  1. draft: a Drafter proposes up to k tokens d1..dm to follow the
//     context (the sequence's tokens and `pending`);
//  2. verify: the target runs pending, d1..dm as m + 1 new positions of
//     the sequence in one call (the paged model's causal mask covers the
//     new positions among themselves) and returns their m + 1 logits rows;
//  3. accept: row i judges d(i+1) by modified rejection sampling
//     (Sampler::verifyDraft; under greedy parameters: accepted iff it is the
//     argmax). The first rejected draft is replaced by the token the rule
//     draws and ends the round; if all m are accepted, row m gives one more
//     token. The round emits the accepted drafts and that token;
//  4. roll back: the block table is cut back to the sequence plus `pending`
//     and the accepted drafts (KVCache::truncate; blocks past it return to
//     the pool). The last emitted token is the next round's `pending`.
//
// The tokens emitted are distributed exactly as the target's own samples
// (Leviathan et al. 2023, Chen et al. 2023), and under greedy parameters
// they are the tokens plain decoding gives: the compiled model computes a
// position's logits to the same bits whether it runs alone or among up to
// kFewRowsMatmul rows (xf/Kernels.h), which bounds k below it.
//
// k adapts: it grows by 2 after a round that accepted every draft and
// shrinks by 1 after one that did not, between 1 and the cap. And the
// decoder measures what it gains: every so often it runs plain steps, and
// under greedy parameters, while speculating costs more time per token than
// plain decoding, it decodes plainly (a draft that is rarely right stops
// costing anything). Not when sampling: there the kind of step changes the
// random draws, and the tokens must not depend on timing.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_SPECULATIVE_H
#define XF_RUNTIME_INCLUDE_XF_SPECULATIVE_H

#include "xf/Engine.h"
#include "xf/KVCache.h"
#include "xf/Result.h"
#include "xf/Sampler.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xf {

/// What a drafter proposes: tokens, and for a drafter that samples, the
/// distribution each was drawn from (empty: proposed with certainty, as an
/// n-gram lookup or a greedy draft model does).
struct DraftProposal {
  std::vector<int32_t> tokens;
  std::vector<std::vector<TokenProbability>> distributions;
};

class Drafter {
public:
  virtual ~Drafter();
  /// A name for the stats line ("ngram:3", "layers:8").
  virtual std::string name() const = 0;
  /// Proposes up to `k` tokens to follow `context`: the target sequence
  /// `seq`'s tokens (all computed in the target's cache) and the pending
  /// token. Leaves the target's cache as it found it.
  virtual Result<DraftProposal> propose(KVCache::SequenceId seq,
                                        const std::vector<int32_t> &context,
                                        int64_t k) = 0;
  /// The sequence has ended: drop what the drafter keeps for it.
  virtual void forget(KVCache::SequenceId seq) {}
};

/// Prompt-lookup decoding: finds the latest earlier occurrence of the
/// context's last n tokens (n from maxN down to 1) and proposes the tokens
/// that followed it. Needs no model.
class NgramDrafter : public Drafter {
public:
  explicit NgramDrafter(int64_t maxN = 3) : maxN(maxN) {}
  std::string name() const override;
  Result<DraftProposal> propose(KVCache::SequenceId seq,
                                const std::vector<int32_t> &context,
                                int64_t k) override;

private:
  int64_t maxN;
};

/// A draft model run through ModelStep, greedy: its argmax after each
/// token. Two kinds: one in the target's own KV cache (a draft the compiler
/// made from the target's first layers: it reads the target's keys and
/// values of those layers and writes them for the drafted positions, which
/// the verify step rewrites with the same values), or one with a cache of
/// its own, whose sequence follows the target's (rolled back to the common
/// prefix each round).
class ModelDrafter : public Drafter {
public:
  /// `sharesTargetCache`: `draft.cache()` is the target's cache.
  ModelDrafter(ModelStep &draft, bool sharesTargetCache, std::string name)
      : draft(draft), sharesTargetCache(sharesTargetCache),
        draftName(std::move(name)) {}
  /// A draft model with a cache of its own, owned by the drafter.
  ModelDrafter(std::unique_ptr<ModelStep> model, std::string name)
      : owned(std::move(model)), draft(*owned), sharesTargetCache(false),
        draftName(std::move(name)) {}
  std::string name() const override { return draftName; }
  Result<DraftProposal> propose(KVCache::SequenceId seq,
                                const std::vector<int32_t> &context,
                                int64_t k) override;
  void forget(KVCache::SequenceId seq) override;

private:
  std::unique_ptr<ModelStep> owned;
  ModelStep &draft;
  bool sharesTargetCache;
  std::string draftName;
  /// Own cache: the draft's sequence for each target sequence.
  std::map<KVCache::SequenceId, KVCache::SequenceId> own;
};

struct SpeculationOptions {
  /// The most tokens drafted per round (--spec-k); below kFewRowsMatmul.
  int64_t maxK = 8;
};

struct SpeculationStats {
  int64_t rounds = 0;   ///< verify calls
  int64_t drafted = 0;  ///< tokens proposed
  int64_t accepted = 0; ///< proposed tokens the target accepted
  int64_t emitted = 0;  ///< tokens produced by rounds (accepted + 1 each)
  int64_t plainSteps = 0;
};

class SpeculativeDecoder {
public:
  SpeculativeDecoder(ModelStep &target, Drafter &drafter,
                     SpeculationOptions options);

  /// One round for `seq` (see the file comment): returns the tokens it
  /// produces, at least one; the last is the new pending token, not in the
  /// cache. Fails if the model does, or the pool cannot hold the drafted
  /// tokens even after a plain step's one. A round near the max context
  /// drafts fewer tokens.
  Result<std::vector<int32_t>> step(KVCache::SequenceId seq, int32_t pending,
                                    Sampler &sampler);

  /// The sequence has ended (or was freed): the drafter drops its state
  /// for it (a draft model's own sequence and blocks).
  void forget(KVCache::SequenceId seq) { drafter.forget(seq); }

  const SpeculationStats &stats() const { return counters; }
  const Drafter &draft() const { return drafter; }
  /// "[speculation: draft D, R verifies, ...]" over `seconds`, for stderr.
  std::string statsLine(double seconds) const;

private:
  using Clock = std::chrono::steady_clock;
  Result<std::vector<int32_t>> plainStep(KVCache::SequenceId seq,
                                         int32_t pending, Sampler &sampler);
  Result<std::vector<int32_t>> verify(KVCache::SequenceId seq, int32_t pending,
                                      const DraftProposal &proposal,
                                      Sampler &sampler);
  bool shouldSpeculate();
  /// `mayFallBack`: the outputs do not depend on the kind of step (greedy),
  /// so a measured loss may switch to plain steps.
  void record(bool speculative, double seconds, int64_t tokens,
              bool mayFallBack);

  ModelStep &target;
  Drafter &drafter;
  SpeculationOptions options;
  int64_t k;
  SpeculationStats counters;
  /// Seconds per token, speculating and not (exponential averages; < 0
  /// until measured), and the plan: steps left in the current mode.
  double specCost = -1, plainCost = -1;
  /// The first probe of plain decoding comes early, so that a draft that
  /// does not pay is found out within a few rounds.
  int64_t plainLeft = 0, untilProbe = 8;
};

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_SPECULATIVE_H
