//===- RowInvariance.cpp - a row's logits whatever else the call computes -===//
//
// The main of a test program that row_invariance.py links with a model
// compiled by `xfc --emit=obj` (xf_packed_main) and the runtime. Speculative
// decoding verifies k drafted tokens in one call of k + 1 rows, and batching
// decodes B sequences in one call; both must give, to the bit, the logits
// that single decode steps give, or greedy output changes. Through the
// engine's ModelStep (CompiledModel::run over the paged KV cache), this
// computes the same positions
//
//   - one token per call (the reference),
//   - as a fresh prompt of at most kFewRowsMatmul tokens,
//   - in chunks of S new tokens behind a cached context (a verify step;
//     most rows in the middle of their chunk), after a short prompt and
//     after one longer than kFewRowsMatmul (which takes the flash-attention
//     prefill),
//   - in batched calls: sequences of different lengths decoding together,
//     and left-padded chunks of different lengths,
//
// and requires every row to equal the reference's bitwise. Prints one line
// per check; exits 1 if any row differs.
//
//   row-invariance MODEL.xfw
//
//===----------------------------------------------------------------------===//

#include "xf/CompiledModel.h"
#include "xf/Kernels.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace xf;

namespace {

using Row = std::vector<float>;

struct Checker {
  CompiledModel &model;
  KVCache &kv;
  int64_t vocab;
  bool failed = false;

  /// Token i of stream `s`: fixed ids, not sampled, so every way of
  /// computing a position sees the same sequence.
  int32_t token(int64_t s, int64_t i) const {
    return static_cast<int32_t>((i * 37 + s * 101 + 11) % vocab);
  }
  std::vector<int32_t> tokens(int64_t s, int64_t begin, int64_t end) const {
    std::vector<int32_t> ids;
    for (int64_t i = begin; i < end; ++i)
      ids.push_back(token(s, i));
    return ids;
  }

  /// Runs `seqs` (allRows) and returns the rows: S per sequence,
  /// right-aligned, as CompiledModel::run lays them out.
  std::vector<Row> run(const std::vector<KVCache::SequenceId> &seqs,
                       bool allRows = true) {
    auto logits = model.run(seqs, allRows);
    if (!logits) {
      std::fprintf(stderr, "error: %s\n", logits.error().c_str());
      std::exit(2);
    }
    std::vector<Row> rows;
    for (int64_t r = 0; r < logits->rows; ++r)
      rows.push_back(logits->row(r, vocab));
    return rows;
  }

  KVCache::SequenceId create(const std::vector<int32_t> &prompt) {
    // Nothing from the prefix cache: every way starts from the same
    // computation of the prompt.
    auto created = kv.createSequence(prompt, /*reusePrefix=*/false);
    if (!created) {
      std::fprintf(stderr, "error: %s\n", created.error().c_str());
      std::exit(2);
    }
    return created->id;
  }

  void append(KVCache::SequenceId seq, const std::vector<int32_t> &ids) {
    if (auto appended = kv.appendTokens(seq, ids); !appended) {
      std::fprintf(stderr, "error: %s\n", appended.error().c_str());
      std::exit(2);
    }
  }

  /// Stream `s`: a prompt of `prompt` tokens, then one token per call up to
  /// `end`. Returns the logits of every position, by position.
  std::map<int64_t, Row> reference(int64_t s, int64_t prompt, int64_t end) {
    KVCache::SequenceId seq = create(tokens(s, 0, prompt));
    std::map<int64_t, Row> rows;
    std::vector<Row> first = run({seq});
    for (int64_t i = 0; i < prompt; ++i)
      rows[i] = first[i];
    for (int64_t p = prompt; p < end; ++p) {
      append(seq, {token(s, p)});
      rows[p] = run({seq})[0];
    }
    kv.freeSequence(seq);
    return rows;
  }

  /// Compares `got` (position -> row) with `want`; one line per check.
  void check(const std::string &what, const std::map<int64_t, Row> &got,
             const std::map<int64_t, Row> &want) {
    int64_t differing = 0;
    double worst = 0;
    for (const auto &[position, row] : got) {
      const Row &expected = want.at(position);
      if (std::memcmp(row.data(), expected.data(), vocab * sizeof(float)) == 0)
        continue;
      ++differing;
      for (int64_t v = 0; v < vocab; ++v)
        worst = std::max(worst, double(std::fabs(row[v] - expected[v])));
    }
    if (differing) {
      failed = true;
      std::printf("FAIL %s: %lld of %zu rows differ (max |diff| %.3g)\n",
                  what.c_str(), static_cast<long long>(differing), got.size(),
                  worst);
    } else {
      std::printf("ok   %s: %zu rows bitwise equal\n", what.c_str(),
                  got.size());
    }
  }

  /// Stream `s` after a prompt of `prompt` tokens: positions up to `end` in
  /// chunks of `chunk` tokens per call, against `want`.
  void checkChunks(int64_t s, int64_t prompt, int64_t end, int64_t chunk,
                   const std::map<int64_t, Row> &want) {
    KVCache::SequenceId seq = create(tokens(s, 0, prompt));
    run({seq}, /*allRows=*/false);
    std::map<int64_t, Row> got;
    for (int64_t p = prompt; p < end; p += chunk) {
      int64_t q = std::min(end, p + chunk);
      append(seq, tokens(s, p, q));
      std::vector<Row> rows = run({seq});
      for (int64_t i = p; i < q; ++i)
        got[i] = rows[i - p];
    }
    kv.freeSequence(seq);
    check("prompt " + std::to_string(prompt) + ", then chunks of " +
              std::to_string(chunk),
          got, want);
  }
};

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MODEL.xfw\n", argv[0]);
    return 2;
  }
  auto loaded = CompiledModel::load(argv[1], int64_t(64) << 20);
  if (!loaded) {
    std::fprintf(stderr, "error: %s\n", loaded.error().c_str());
    return 2;
  }
  CompiledModel &model = **loaded;
  if (!model.isPaged()) {
    std::fprintf(stderr, "error: the model's KV cache is not paged\n");
    return 2;
  }
  Checker c{model, model.cache(), model.vocabSize()};
  const int64_t few = kFewRowsMatmul;

  // A short prompt: the reference computes every position alone, from a
  // one-token prompt.
  std::map<int64_t, Row> shortRef = c.reference(0, 1, 2 * few + 3);
  // Fresh prompts of up to `few` tokens: each row as alone.
  for (int64_t length : {int64_t(5), int64_t(8), few}) {
    KVCache::SequenceId seq = c.create(c.tokens(0, 0, length));
    std::vector<Row> rows = c.run({seq});
    c.kv.freeSequence(seq);
    std::map<int64_t, Row> got;
    for (int64_t i = 0; i < length; ++i)
      got[i] = rows[i];
    c.check("fresh prompt of " + std::to_string(length), got, shortRef);
  }
  for (int64_t chunk : {int64_t(2), int64_t(5), few})
    c.checkChunks(0, 3, 2 * few + 3, chunk, shortRef);

  // A prompt longer than `few` (flash-attention prefill), then verify-like
  // chunks behind it against decode steps.
  const int64_t longPrompt = 2 * few + 9, longEnd = longPrompt + few + 4;
  std::map<int64_t, Row> longRef = c.reference(1, longPrompt, longEnd);
  for (int64_t chunk : {int64_t(3), int64_t(7), few})
    c.checkChunks(1, longPrompt, longEnd, chunk, longRef);

  // Batches: `few` sequences of different prompt lengths (streams 2..),
  // each alone first, then decoding together (one row per sequence, as the
  // engine asks), then a left-padded batch of chunks of different lengths.
  const int64_t batch = few, steps = 3;
  std::vector<int64_t> lengths;
  std::vector<std::map<int64_t, Row>> alone;
  for (int64_t b = 0; b < batch; ++b) {
    lengths.push_back(1 + (b * 7) % (3 * few));
    alone.push_back(c.reference(2 + b, lengths[b], lengths[b] + steps + 4));
  }
  {
    std::vector<KVCache::SequenceId> seqs;
    for (int64_t b = 0; b < batch; ++b) {
      seqs.push_back(c.create(c.tokens(2 + b, 0, lengths[b])));
      c.run({seqs[b]}, /*allRows=*/false);
    }
    std::vector<std::map<int64_t, Row>> got(batch);
    for (int64_t step = 0; step < steps; ++step) {
      for (int64_t b = 0; b < batch; ++b)
        c.append(seqs[b], {c.token(2 + b, lengths[b] + step)});
      std::vector<Row> rows = c.run(seqs, /*allRows=*/false);
      for (int64_t b = 0; b < batch; ++b)
        got[b][lengths[b] + step] = rows[b];
    }
    for (int64_t b = 0; b < batch; ++b)
      c.check("batch of " + std::to_string(batch) + " decoding, sequence " +
                  std::to_string(b),
              got[b], alone[b]);
    // Left-padded: 4 new tokens of one sequence and 1 and 3 of others in
    // one call (12 rows), after the steps above.
    const int64_t counts[] = {4, 1, 3};
    std::vector<KVCache::SequenceId> padded;
    std::vector<std::map<int64_t, Row>> paddedGot(3);
    for (int64_t b = 0; b < 3; ++b) {
      int64_t from = lengths[b] + steps;
      c.append(seqs[b], c.tokens(2 + b, from, from + counts[b]));
      padded.push_back(seqs[b]);
    }
    std::vector<Row> rows = c.run(padded);
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t i = 0; i < counts[b]; ++i)
        paddedGot[b][lengths[b] + steps + i] = rows[b * 4 + 4 - counts[b] + i];
    for (int64_t b = 0; b < 3; ++b)
      c.check("left-padded batch of chunks 4, 1, 3, sequence " +
                  std::to_string(b),
              paddedGot[b], alone[b]);
    for (KVCache::SequenceId seq : seqs)
      c.kv.freeSequence(seq);
  }
  if (c.failed)
    std::printf("FAILED\n");
  return c.failed ? 1 : 0;
}
