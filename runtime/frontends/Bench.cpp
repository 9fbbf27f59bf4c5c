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

} // namespace

int xf::frontends::runBench(CompiledModel &model, const Options &options) {
  if (model.isPaged())
    return benchPaged(model, options.promptLength, options.generateLength,
                      options.batch);
  if (options.batch != 1)
    return usageError("bench --batch needs a model compiled with the paged "
                      "KV cache");
  return benchOne(model, options.promptLength, options.generateLength);
}
