//===- Speculative.cpp - speculative decoding: draft, verify, accept -----===//

#include "xf/Speculative.h"
#include "xf/Kernels.h"

#include <algorithm>
#include <cstdio>

using namespace xf;

Drafter::~Drafter() = default;

std::string NgramDrafter::name() const {
  return "ngram:" + std::to_string(maxN);
}

Result<DraftProposal> NgramDrafter::propose(KVCache::SequenceId,
                                            const std::vector<int32_t> &context,
                                            int64_t k) {
  DraftProposal proposal;
  int64_t size = context.size();
  for (int64_t n = std::min<int64_t>(maxN, size - 1); n >= 1; --n) {
    const int32_t *tail = context.data() + size - n;
    // The latest earlier occurrence: recent text predicts best.
    for (int64_t start = size - n - 1; start >= 0; --start) {
      if (!std::equal(tail, tail + n, context.data() + start))
        continue;
      int64_t from = start + n;
      int64_t count = std::min<int64_t>(k, size - from);
      proposal.tokens.assign(context.begin() + from,
                             context.begin() + from + count);
      return proposal;
    }
  }
  return proposal;
}

Result<DraftProposal> ModelDrafter::propose(KVCache::SequenceId seq,
                                            const std::vector<int32_t> &context,
                                            int64_t k) {
  KVCache &kv = draft.cache();
  DraftProposal proposal;
  int64_t length = context.size() - 1; // computed in the target's cache
  KVCache::SequenceId draftSeq = seq;
  std::vector<int32_t> feed(context.end() - 1, context.end());
  if (sharesTargetCache) {
    if (auto appended = kv.appendTokens(seq, feed); !appended)
      return proposal; // no room: propose nothing
  } else {
    auto found = own.find(seq);
    if (found == own.end()) {
      auto created = kv.createSequence(context, /*reusePrefix=*/false);
      if (!created)
        return proposal;
      own[seq] = draftSeq = created->id;
    } else {
      // Keep the computed common prefix, feed the rest.
      draftSeq = found->second;
      const std::vector<int32_t> &have = kv.tokens(draftSeq);
      int64_t common = 0, limit = std::min<int64_t>(kv.computedLength(draftSeq),
                                                    context.size() - 1);
      while (common < limit && have[common] == context[common])
        ++common;
      if (auto cut = kv.truncate(draftSeq, common); !cut)
        return ErrorMessage{cut.error()};
      feed.assign(context.begin() + common, context.end());
      if (auto appended = kv.appendTokens(draftSeq, feed); !appended) {
        forget(seq);
        return proposal;
      }
    }
  }
  int64_t vocab = draft.vocabSize();
  for (int64_t i = 0; i < k; ++i) {
    auto logits = draft.run({draftSeq}, /*allRows=*/false);
    if (!logits)
      return ErrorMessage{logits.error()};
    std::vector<float> row = logits->row(logits->rows - 1, vocab);
    int32_t token = argmaxToken(row.data(), row.size());
    proposal.tokens.push_back(token);
    if (i + 1 == k || kv.length(draftSeq) + 1 >= draft.maxContext() ||
        !kv.appendTokens(draftSeq, &token, 1))
      break;
  }
  if (sharesTargetCache)
    if (auto cut = kv.truncate(seq, length); !cut)
      return ErrorMessage{cut.error()};
  return proposal;
}

void ModelDrafter::forget(KVCache::SequenceId seq) {
  auto found = own.find(seq);
  if (found == own.end())
    return;
  draft.cache().freeSequence(found->second);
  own.erase(found);
}

SpeculativeDecoder::SpeculativeDecoder(ModelStep &target, Drafter &drafter,
                                       SpeculationOptions options)
    : target(target), drafter(drafter), options(options) {
  this->options.maxK =
      std::clamp<int64_t>(options.maxK, 1, kFewRowsMatmul - 1);
  k = std::min<int64_t>(4, this->options.maxK);
}

bool SpeculativeDecoder::shouldSpeculate() {
  if (plainLeft > 0) {
    --plainLeft;
    return false;
  }
  if (--untilProbe <= 0) {
    // Re-measure plain decoding now and then: its cost grows with the
    // context as speculation's does.
    untilProbe = 32;
    plainLeft = 2;
    return false;
  }
  return true;
}

void SpeculativeDecoder::record(bool speculative, double seconds,
                                int64_t tokens, bool mayFallBack) {
  double cost = seconds / std::max<int64_t>(tokens, 1);
  double &average = speculative ? specCost : plainCost;
  average = average < 0 ? cost : 0.7 * average + 0.3 * cost;
  if (mayFallBack && speculative && plainCost > 0 && specCost > plainCost &&
      plainLeft == 0)
    plainLeft = 64; // speculating does not pay now: decode plainly a while
}

Result<std::vector<int32_t>>
SpeculativeDecoder::plainStep(KVCache::SequenceId seq, int32_t pending,
                              Sampler &sampler) {
  KVCache &kv = target.cache();
  if (auto appended = kv.appendTokens(seq, &pending, 1); !appended)
    return ErrorMessage{appended.error()};
  auto logits = target.run({seq}, /*allRows=*/false);
  if (!logits)
    return ErrorMessage{logits.error()};
  std::vector<float> row = logits->row(logits->rows - 1, target.vocabSize());
  ++counters.plainSteps;
  return std::vector<int32_t>{sampler.sample(row.data(), row.size())};
}

Result<std::vector<int32_t>>
SpeculativeDecoder::verify(KVCache::SequenceId seq, int32_t pending,
                           const DraftProposal &proposal, Sampler &sampler) {
  KVCache &kv = target.cache();
  int64_t length = kv.length(seq);
  std::vector<int32_t> fed = {pending};
  fed.insert(fed.end(), proposal.tokens.begin(), proposal.tokens.end());
  if (auto appended = kv.appendTokens(seq, fed); !appended)
    return plainStep(seq, pending, sampler); // the pool is short: no drafts
  auto logits = target.run({seq}, /*allRows=*/true);
  if (!logits)
    return ErrorMessage{logits.error()};
  int64_t vocab = target.vocabSize(), m = proposal.tokens.size();
  std::vector<int32_t> out;
  int64_t accepted = 0;
  std::vector<float> row;
  for (; accepted < m; ++accepted) {
    row = logits->row(accepted, vocab);
    std::vector<TokenProbability> p = sampler.distribution(row.data(), vocab);
    int32_t drafted = proposal.tokens[accepted];
    std::vector<TokenProbability> q =
        proposal.distributions.empty()
            ? std::vector<TokenProbability>{{drafted, 1.0}}
            : proposal.distributions[accepted];
    Sampler::Verdict verdict = sampler.verifyDraft(p, q, drafted);
    out.push_back(verdict.token);
    if (!verdict.accepted)
      break;
  }
  if (accepted == m) {
    row = logits->row(m, vocab);
    out.push_back(sampler.sample(row.data(), vocab));
  }
  // Keep pending and the accepted drafts; the rest go back to the pool.
  if (auto cut = kv.truncate(seq, length + 1 + accepted); !cut)
    return ErrorMessage{cut.error()};
  ++counters.rounds;
  counters.drafted += m;
  counters.accepted += accepted;
  counters.emitted += out.size();
  k = accepted == m ? std::min(options.maxK, k + 2)
                    : std::max<int64_t>(1, k - 1);
  return out;
}

Result<std::vector<int32_t>>
SpeculativeDecoder::step(KVCache::SequenceId seq, int32_t pending,
                         Sampler &sampler) {
  KVCache &kv = target.cache();
  auto start = Clock::now();
  // Falling back to plain steps on measured time is only done under greedy
  // parameters, where both kinds of step give the same tokens. When
  // sampling, a verify round draws other random numbers than plain steps
  // do, so a timing-dependent switch would make the tokens depend on the
  // machine's speed and break "same seed, same tokens" (found by
  // SpeculativeSeed.SameSeedSameTokens). The periodic probes count steps,
  // not time, so they stay.
  const SamplingParams &params = sampler.params();
  bool mayFallBack = params.temperature == 0 || params.topK == 1;
  // Room for pending, k drafts, and the token after them.
  int64_t room = target.maxContext() - kv.length(seq) - 2;
  int64_t budget = std::min(k, room);
  if (budget < 1 || !shouldSpeculate()) {
    auto out = plainStep(seq, pending, sampler);
    record(false, std::chrono::duration<double>(Clock::now() - start).count(),
           1, mayFallBack);
    return out;
  }
  std::vector<int32_t> context = kv.tokens(seq);
  context.push_back(pending);
  auto proposal = drafter.propose(seq, context, budget);
  if (!proposal)
    return ErrorMessage{proposal.error()};
  if (proposal->tokens.empty())
    return plainStep(seq, pending, sampler);
  auto out = verify(seq, pending, *proposal, sampler);
  if (out)
    record(true, std::chrono::duration<double>(Clock::now() - start).count(),
           out->size(), mayFallBack);
  return out;
}

std::string SpeculativeDecoder::statsLine(double seconds) const {
  const SpeculationStats &s = counters;
  int64_t tokens = s.emitted + s.plainSteps;
  char line[512];
  std::snprintf(
      line, sizeof line,
      "[speculation: draft %s, %lld verifies, %lld drafted, %lld accepted "
      "(%.1f%%), %.2f accepted per verify, %lld plain steps; %lld tokens in "
      "%.2f s, %.1f tokens/s]\n",
      drafter.name().c_str(), static_cast<long long>(s.rounds),
      static_cast<long long>(s.drafted), static_cast<long long>(s.accepted),
      s.drafted ? 100.0 * s.accepted / s.drafted : 0.0,
      s.rounds ? double(s.accepted) / s.rounds : 0.0,
      static_cast<long long>(s.plainSteps), static_cast<long long>(tokens),
      seconds, tokens / std::max(seconds, 1e-9));
  return line;
}
