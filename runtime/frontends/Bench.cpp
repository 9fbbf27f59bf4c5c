//===- Bench.cpp - bench: prefill and decode speed ------------------------===//

#include "Frontends.h"

#include <cstdio>

using namespace xf;
using namespace xf::frontends;

namespace {

int64_t argmax(const LogitsView &logits, int64_t row, int64_t vocab) {
  int64_t best = 0;
  for (int64_t v = 1; v < vocab; ++v)
    if (logits.at(row, v) > logits.at(row, best))
      best = v;
  return best;
}

/// Random prompt ids, the same on every run.
template <typename Id>
std::vector<Id> randomIds(int64_t count, int64_t vocab, uint64_t &state) {
  std::vector<Id> ids(count);
  for (Id &id : ids) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    id = static_cast<Id>((state >> 33) % vocab);
  }
  return ids;
}

void printPrefill(int64_t tokens, double seconds) {
  std::printf("prefill: %lld tokens in %.3f s, %.1f tokens/s\n",
              static_cast<long long>(tokens), seconds, tokens / seconds);
}

/// One sequence, any model kind.
int benchOne(CompiledModel &model, int64_t promptLength,
             int64_t generateLength) {
  uint64_t state = 12345;
  std::vector<int64_t> ids =
      randomIds<int64_t>(promptLength, model.vocabSize(), state);
  auto start = Clock::now();
  auto logits = model.append(ids, /*allRows=*/false);
  if (!logits)
    return fail(logits.error());
  double prefill = secondsSince(start);
  start = Clock::now();
  for (int64_t i = 0; i < generateLength; ++i) {
    int64_t next = argmax(*logits, logits->rows - 1, model.vocabSize());
    logits = model.append({next}, /*allRows=*/false);
    if (!logits)
      return fail(logits.error());
  }
  double decode = secondsSince(start);
  printPrefill(promptLength, prefill);
  std::printf("decode: %lld tokens in %.3f s, %.1f tokens/s%s\n",
              static_cast<long long>(generateLength), decode,
              generateLength ? generateLength / decode : 0.0,
              model.hasKVCache()
                  ? ""
                  : " (the model has no KV cache inputs: each step "
                    "recomputes the whole sequence)");
  return 0;
}

/// Paged models: `batch` sequences of random prompts, prefilled one by
/// one, then decoded together, greedily and for exactly `generateLength`
/// steps (no stop ids), which is why this drives the model step directly
/// rather than through the engine.
int benchPaged(CompiledModel &model, int64_t promptLength,
               int64_t generateLength, int64_t batch) {
  KVCache &kv = model.cache();
  uint64_t state = 12345;
  std::vector<KVCache::SequenceId> seqs;
  std::vector<int32_t> next;
  auto start = Clock::now();
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int32_t> ids =
        randomIds<int32_t>(promptLength, model.vocabSize(), state);
    auto created = kv.createSequence(ids);
    if (!created)
      return fail(created.error() + " (raise --kv-memory)");
    seqs.push_back(created->id);
    auto logits = model.run({created->id}, /*allRows=*/false);
    if (!logits)
      return fail(logits.error());
    next.push_back(argmax(*logits, logits->rows - 1, model.vocabSize()));
  }
  double prefill = secondsSince(start);
  start = Clock::now();
  for (int64_t i = 0; i < generateLength; ++i) {
    for (int64_t b = 0; b < batch; ++b)
      if (auto appended = kv.appendTokens(seqs[b], &next[b], 1); !appended)
        return fail(appended.error() + " (raise --kv-memory)");
    auto logits = model.run(seqs, /*allRows=*/false);
    if (!logits)
      return fail(logits.error());
    for (int64_t b = 0; b < batch; ++b)
      next[b] = argmax(*logits, b, model.vocabSize());
  }
  double decode = secondsSince(start);
  printPrefill(promptLength * batch, prefill);
  std::printf("decode: %lld tokens in %.3f s, %.1f tokens/s (batch %lld, "
              "context %lld to %lld)\n",
              static_cast<long long>(generateLength * batch), decode,
              generateLength ? generateLength * batch / decode : 0.0,
              static_cast<long long>(batch),
              static_cast<long long>(promptLength),
              static_cast<long long>(promptLength + generateLength));
  return 0;
}

/// Greedy generation of `count` tokens after `prompt` in a fresh sequence,
/// with `speculative` or plainly; the tokens and the decode seconds.
Result<std::pair<std::vector<int32_t>, double>>
generateGreedy(CompiledModel &model, const std::vector<int32_t> &prompt,
               int64_t count, SpeculativeDecoder *speculative) {
  KVCache &kv = model.cache();
  auto created = kv.createSequence(prompt, /*reusePrefix=*/false);
  if (!created)
    return ErrorMessage{created.error() + " (raise --kv-memory)"};
  auto logits = model.run({created->id}, /*allRows=*/false);
  if (!logits)
    return ErrorMessage{logits.error()};
  SamplingParams greedy;
  greedy.temperature = 0;
  Sampler sampler = *Sampler::create(greedy, 0);
  std::vector<int32_t> out = {
      static_cast<int32_t>(argmax(*logits, logits->rows - 1, model.vocabSize()))};
  auto start = Clock::now();
  while (static_cast<int64_t>(out.size()) < count) {
    Result<std::vector<int32_t>> tokens = std::vector<int32_t>{};
    if (speculative) {
      tokens = speculative->step(created->id, out.back(), sampler);
    } else {
      int32_t pending = out.back();
      if (auto appended = kv.appendTokens(created->id, &pending, 1); !appended)
        return ErrorMessage{appended.error() + " (raise --kv-memory)"};
      auto next = model.run({created->id}, /*allRows=*/false);
      if (!next)
        return ErrorMessage{next.error()};
      tokens = std::vector<int32_t>{static_cast<int32_t>(
          argmax(*next, next->rows - 1, model.vocabSize()))};
    }
    if (!tokens)
      return ErrorMessage{tokens.error()};
    out.insert(out.end(), tokens->begin(), tokens->end());
  }
  double seconds = secondsSince(start);
  if (speculative)
    speculative->forget(created->id);
  kv.freeSequence(created->id);
  out.resize(count);
  return std::make_pair(out, seconds);
}

/// bench --speculate: the same greedy generation with and without the
/// draft, from a prompt whose second half repeats its first (text that
/// repeats its context, where prompt lookup has something to find).
int benchSpeculative(CompiledModel &model, const Options &options) {
  Options withDraft = options;
  const ModelMetadata &meta = model.metadata();
  if (withDraft.draft.empty() && !meta.draftNgram && !meta.draftLayers &&
      !meta.draftModel)
    withDraft.draft = "ngram";
  auto drafter = makeDrafter(model, withDraft);
  if (!drafter)
    return usageError(drafter.error());
  if (!*drafter)
    return usageError("bench --speculate: no draft (--draft, or a model "
                      "compiled with xfc --draft)");
  uint64_t state = 12345;
  int64_t half = std::max<int64_t>(1, options.promptLength / 2);
  std::vector<int32_t> prompt = randomIds<int32_t>(half, model.vocabSize(), state);
  prompt.insert(prompt.end(), prompt.begin(), prompt.end());
  int64_t count = std::max<int64_t>(options.generateLength, 2);
  auto plain = generateGreedy(model, prompt, count, nullptr);
  if (!plain)
    return fail(plain.error());
  SpeculativeDecoder speculative(model, **drafter,
                                 SpeculationOptions{options.specK});
  auto fast = generateGreedy(model, prompt, count, &speculative);
  if (!fast)
    return fail(fast.error());
  const SpeculationStats &s = speculative.stats();
  double plainRate = (count - 1) / plain->second,
         fastRate = (count - 1) / fast->second;
  std::printf("plain decode: %lld tokens, %.1f tokens/s\n",
              static_cast<long long>(count), plainRate);
  std::printf("speculative decode (draft %s): %lld tokens, %.1f tokens/s, "
              "%.2fx; %lld verifies, %lld of %lld drafted accepted (%.1f%%), "
              "%.2f accepted per verify; same tokens: %s\n",
              (*drafter)->name().c_str(), static_cast<long long>(count),
              fastRate, fastRate / plainRate,
              static_cast<long long>(s.rounds),
              static_cast<long long>(s.accepted),
              static_cast<long long>(s.drafted),
              s.drafted ? 100.0 * s.accepted / s.drafted : 0.0,
              s.rounds ? double(s.accepted) / s.rounds : 0.0,
              plain->first == fast->first ? "yes" : "NO");
  return plain->first == fast->first ? 0 : 1;
}

} // namespace

int xf::frontends::runBench(CompiledModel &model, const Options &options) {
  if (options.benchSpeculate) {
    if (!model.isPaged())
      return usageError("bench --speculate needs a model compiled with the "
                        "paged KV cache");
    if (int status = benchPaged(model, options.promptLength,
                                options.generateLength, 1))
      return status;
    return benchSpeculative(model, options);
  }
  if (model.isPaged())
    return benchPaged(model, options.promptLength, options.generateLength,
                      options.batch);
  if (options.batch != 1)
    return usageError("bench --batch needs a model compiled with the paged "
                      "KV cache");
  return benchOne(model, options.promptLength, options.generateLength);
}
