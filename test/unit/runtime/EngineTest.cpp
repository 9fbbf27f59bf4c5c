//===- EngineTest.cpp - the engine's scheduler over a fake model ----------===//
//
// The model is a fake ModelStep: its logits are a function of the tokens
// of a sequence, so every request's tokens are known in advance whatever
// the batching, preemption or prefix sharing.
//
//===----------------------------------------------------------------------===//

#include "xf/Engine.h"

#include "gtest/gtest.h"

#include <algorithm>

using namespace xf;

namespace {

constexpr int64_t kVocab = 32;

/// Deterministic logits for the next token after `tokens[0..length)`:
/// distinct values, so greedy and sampling are both well defined.
std::vector<float> fakeLogits(const std::vector<int32_t> &tokens,
                              int64_t length) {
  uint64_t h = 1469598103934665603ULL;
  for (int64_t i = 0; i < length; ++i)
    h = (h ^ static_cast<uint64_t>(tokens[i])) * 1099511628211ULL;
  std::vector<float> logits(kVocab);
  for (int64_t v = 0; v < kVocab; ++v)
    logits[v] = static_cast<float>((h % 97 + v * 17) % kVocab) / 4.0f;
  return logits;
}

/// A ModelStep over a small KVCache (4 tokens per block, `blocks` blocks)
/// computing fakeLogits. Records the sequences of every call.
class FakeStep : public ModelStep {
public:
  explicit FakeStep(int64_t blocks, int64_t maxContextLength = 256)
      : maxContextLength(maxContextLength) {
    KVCacheConfig config;
    config.layers = 1;
    config.kvHeads = 1;
    config.headDim = 16;
    config.elementBytes = 4;
    config.blockTokens = 4;
    config.budgetBytes = blocks * 2 * 4 * 16 * 4;
    auto created = KVCache::create(config);
    EXPECT_TRUE(created) << created.error();
    kv.emplace(std::move(*created));
  }

  int64_t vocabSize() const override { return kVocab; }
  int64_t maxContext() const override { return maxContextLength; }
  KVCache &cache() override { return *kv; }

  Result<LogitsView> run(const std::vector<KVCache::SequenceId> &seqs,
                         bool allRows) override {
    calls.push_back(seqs);
    int64_t perSequence = 1;
    for (KVCache::SequenceId seq : seqs)
      perSequence = std::max(perSequence,
                             kv->length(seq) - kv->computedLength(seq));
    int64_t rowsPerSequence = allRows ? perSequence : 1;
    rows.assign(seqs.size() * rowsPerSequence * kVocab, 0.0f);
    for (size_t b = 0; b < seqs.size(); ++b) {
      const std::vector<int32_t> &tokens = kv->tokens(seqs[b]);
      int64_t length = kv->length(seqs[b]);
      // Right-aligned: the last row of each sequence is its last token.
      for (int64_t r = 0; r < rowsPerSequence; ++r) {
        int64_t end = length - (rowsPerSequence - 1 - r);
        if (end <= kv->computedLength(seqs[b]))
          continue; // padding
        std::vector<float> logits = fakeLogits(tokens, end);
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

  std::vector<std::vector<KVCache::SequenceId>> calls;

private:
  std::optional<KVCache> kv;
  std::vector<float> rows;
  int64_t maxContextLength;
};

/// What greedy decoding of `prompt` yields for `count` tokens, alone.
std::vector<int32_t> greedyReference(std::vector<int32_t> tokens,
                                     int64_t count) {
  std::vector<int32_t> out;
  for (int64_t i = 0; i < count; ++i) {
    std::vector<float> logits = fakeLogits(tokens, tokens.size());
    int32_t next = argmaxToken(logits.data(), logits.size());
    out.push_back(next);
    tokens.push_back(next);
  }
  return out;
}

GenerationRequest greedy(std::vector<int32_t> prompt, int64_t maxTokens) {
  GenerationRequest request;
  request.prompt = std::move(prompt);
  request.sampling.temperature = 0;
  request.maxTokens = maxTokens;
  return request;
}

std::vector<int32_t> prompt(int32_t first, int64_t length) {
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < length; ++i)
    ids.push_back(static_cast<int32_t>((first + 5 * i) % kVocab));
  return ids;
}

TEST(EngineTest, GeneratesWhatTheModelAloneGenerates) {
  FakeStep model(64);
  Engine engine(model);
  auto id = engine.submit(greedy(prompt(1, 7), 9));
  ASSERT_TRUE(id) << id.error();
  ASSERT_TRUE(engine.runToCompletion());
  EXPECT_EQ(engine.generated(*id), greedyReference(prompt(1, 7), 9));
  EXPECT_EQ(engine.finishReason(*id), FinishReason::MaxTokens);
  EXPECT_TRUE(engine.idle());
  EXPECT_EQ(model.cache().stats().usedBlocks, 0);
}

TEST(EngineTest, SchedulesInSubmissionOrderUpToMaxBatch) {
  FakeStep model(64);
  EngineOptions options;
  options.maxBatch = 2;
  Engine engine(model, options);
  std::vector<RequestId> order;
  const int64_t maxTokens[] = {2, 4, 2};
  for (int i = 0; i < 3; ++i) {
    GenerationRequest request = greedy(prompt(3 * i, 5), maxTokens[i]);
    request.onToken = [&](RequestId id, int32_t) { order.push_back(id); };
    ASSERT_TRUE(engine.submit(std::move(request)));
  }
  ASSERT_TRUE(engine.runToCompletion());
  // Step 1: prefill 0 and 1, decode both (0 ends). Step 2: prefill 2 in
  // 0's slot, decode 1 and 2 (2 ends). Step 3: decode 1.
  EXPECT_EQ(order, (std::vector<RequestId>{0, 1, 0, 1, 2, 1, 2, 1}));
  std::vector<size_t> batchSizes;
  for (const auto &call : model.calls)
    batchSizes.push_back(call.size());
  EXPECT_EQ(batchSizes, (std::vector<size_t>{1, 1, 2, 1, 2, 1}));
  EXPECT_EQ(engine.stats().peakBatch, 2);
  EXPECT_EQ(engine.stats().steps, 3);
  EXPECT_EQ(engine.stats().generatedTokens, 8);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(engine.generated(i), greedyReference(prompt(3 * i, 5),
                                                   maxTokens[i]));
  EXPECT_EQ(engine.statsLine(1.0).rfind("[3 prompts: 8 tokens generated", 0),
            0u);
}

TEST(EngineTest, CountsWaitingAndRunningRequests) {
  FakeStep model(64);
  EngineOptions options;
  options.maxBatch = 2;
  Engine engine(model, options);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(engine.submit(greedy(prompt(3 * i, 5), 4)));
  EXPECT_EQ(engine.waitingCount(), 3u);
  EXPECT_EQ(engine.runningCount(), 0u);
  ASSERT_TRUE(engine.step());
  EXPECT_EQ(engine.waitingCount(), 1u);
  EXPECT_EQ(engine.runningCount(), 2u);
  ASSERT_TRUE(engine.runToCompletion());
  EXPECT_EQ(engine.waitingCount(), 0u);
  EXPECT_EQ(engine.runningCount(), 0u);
}

TEST(EngineTest, StreamsEveryTokenInOrderThenFinishes) {
  FakeStep model(64);
  Engine engine(model);
  std::vector<std::vector<int32_t>> streamed(2);
  std::vector<std::string> events;
  for (int i = 0; i < 2; ++i) {
    GenerationRequest request = greedy(prompt(10 + i, 6), 6);
    request.onToken = [&](RequestId id, int32_t token) {
      streamed[id].push_back(token);
      events.push_back("token " + std::to_string(id));
    };
    request.onFinish = [&](RequestId id, FinishReason reason) {
      EXPECT_EQ(reason, FinishReason::MaxTokens);
      events.push_back("finish " + std::to_string(id));
    };
    ASSERT_TRUE(engine.submit(std::move(request)));
  }
  ASSERT_TRUE(engine.runToCompletion());
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(streamed[i], greedyReference(prompt(10 + i, 6), 6));
    EXPECT_EQ(streamed[i], engine.generated(i));
  }
  // A request's finish follows its last token at once.
  ASSERT_EQ(events.size(), 14u);
  EXPECT_EQ(std::vector<std::string>(events.begin() + 10, events.end()),
            (std::vector<std::string>{"token 0", "finish 0", "token 1",
                                      "finish 1"}));
}

TEST(EngineTest, StopsAtAStopTokenWithoutEmittingIt) {
  FakeStep model(64);
  Engine engine(model);
  std::vector<int32_t> reference = greedyReference(prompt(2, 6), 8);
  GenerationRequest request = greedy(prompt(2, 6), 8);
  request.stopIds = {reference[3]};
  std::vector<int32_t> streamed;
  request.onToken = [&](RequestId, int32_t token) { streamed.push_back(token); };
  auto id = engine.submit(std::move(request));
  ASSERT_TRUE(id);
  ASSERT_TRUE(engine.runToCompletion());
  size_t stop = std::find(reference.begin(), reference.end(), reference[3]) -
                reference.begin();
  std::vector<int32_t> expected(reference.begin(), reference.begin() + stop);
  EXPECT_EQ(engine.generated(*id), expected);
  EXPECT_EQ(streamed, expected);
  EXPECT_EQ(engine.finishReason(*id), FinishReason::Stop);
}

TEST(EngineTest, MaxTokensAndMaxContextEndARequest) {
  FakeStep model(64, /*maxContextLength=*/12);
  Engine engine(model);
  auto capped = engine.submit(greedy(prompt(4, 3), 5));
  auto full = engine.submit(greedy(prompt(5, 10), 50));
  ASSERT_TRUE(capped && full);
  ASSERT_TRUE(engine.runToCompletion());
  EXPECT_EQ(engine.generated(*capped).size(), 5u);
  EXPECT_EQ(engine.finishReason(*capped), FinishReason::MaxTokens);
  EXPECT_EQ(engine.generated(*full).size(), 2u);
  EXPECT_EQ(engine.finishReason(*full), FinishReason::MaxContext);
  // No room to generate at all: refused when submitted.
  auto tooLong = engine.submit(greedy(prompt(6, 12), 5));
  ASSERT_FALSE(tooLong);
  EXPECT_EQ(tooLong.error(), "prompt 3 has 12 tokens; this program was "
                             "compiled for at most 12");
  EXPECT_FALSE(engine.submit(greedy({}, 5)));
}

TEST(EngineTest, CancelFreesTheBlocksOfARunningRequest) {
  FakeStep model(64);
  Engine engine(model);
  std::optional<FinishReason> finished;
  GenerationRequest request = greedy(prompt(7, 13), 100);
  request.onFinish = [&](RequestId, FinishReason reason) { finished = reason; };
  auto id = engine.submit(std::move(request));
  auto other = engine.submit(greedy(prompt(8, 5), 100));
  ASSERT_TRUE(id && other);
  ASSERT_TRUE(engine.step());
  int64_t withBoth = model.cache().stats().usedBlocks;
  EXPECT_GT(withBoth, 0);
  EXPECT_TRUE(engine.cancel(*id));
  EXPECT_EQ(finished, FinishReason::Cancelled);
  EXPECT_EQ(engine.finishReason(*id), FinishReason::Cancelled);
  // Its 4 blocks (14 tokens + 1 reserved) are no longer in use.
  EXPECT_EQ(model.cache().stats().usedBlocks, withBoth - 4);
  EXPECT_FALSE(engine.cancel(*id));
  EXPECT_TRUE(engine.cancel(*other));
  EXPECT_EQ(model.cache().stats().usedBlocks, 0);
  EXPECT_TRUE(engine.idle());
  EXPECT_TRUE(model.cache().checkInvariants());
}

TEST(EngineTest, CancelWaitingAndFromACallback) {
  FakeStep model(64);
  EngineOptions options;
  options.maxBatch = 1;
  Engine engine(model, options);
  Engine *self = &engine;
  GenerationRequest first = greedy(prompt(1, 5), 100);
  int64_t tokens = 0;
  // Cancels itself from its third token: no token is streamed after that.
  first.onToken = [&](RequestId id, int32_t) {
    if (++tokens == 3)
      self->cancel(id);
  };
  auto a = engine.submit(std::move(first));
  auto b = engine.submit(greedy(prompt(2, 5), 100));
  auto c = engine.submit(greedy(prompt(3, 5), 3));
  ASSERT_TRUE(a && b && c);
  EXPECT_TRUE(engine.cancel(*b)); // still waiting
  ASSERT_TRUE(engine.runToCompletion());
  EXPECT_EQ(tokens, 3);
  EXPECT_EQ(engine.generated(*a).size(), 3u);
  EXPECT_EQ(engine.finishReason(*a), FinishReason::Cancelled);
  EXPECT_TRUE(engine.generated(*b).empty());
  EXPECT_EQ(engine.finishReason(*b), FinishReason::Cancelled);
  EXPECT_EQ(engine.generated(*c), greedyReference(prompt(3, 5), 3));
  EXPECT_EQ(model.cache().stats().usedBlocks, 0);
}

/// Three sampled requests that outgrow a pool of 10 blocks together.
std::vector<std::vector<int32_t>> runSampled(int64_t blocks,
                                             int64_t *preemptions) {
  FakeStep model(blocks);
  EngineOptions options;
  std::vector<RequestId> preempted;
  options.onPreempt = [&](RequestId id) { preempted.push_back(id); };
  Engine engine(model, options);
  for (int i = 0; i < 3; ++i) {
    GenerationRequest request;
    request.prompt = prompt(11 * i + 1, 6);
    request.sampling.temperature = 1.0f;
    request.seed = 100 + i;
    request.maxTokens = 10;
    EXPECT_TRUE(engine.submit(std::move(request)));
  }
  EXPECT_TRUE(engine.runToCompletion());
  EXPECT_TRUE(model.cache().checkInvariants());
  *preemptions = engine.stats().preemptions;
  EXPECT_EQ(static_cast<int64_t>(preempted.size()), *preemptions);
  return {engine.generated(0), engine.generated(1), engine.generated(2)};
}

TEST(EngineTest, PreemptedRequestsResumeWithTheSameTokens) {
  int64_t roomy = 0, tight = 0;
  std::vector<std::vector<int32_t>> expected = runSampled(64, &roomy);
  std::vector<std::vector<int32_t>> got = runSampled(10, &tight);
  EXPECT_EQ(roomy, 0);
  EXPECT_GT(tight, 0);
  EXPECT_EQ(got, expected);
  for (const auto &tokens : got)
    EXPECT_EQ(tokens.size(), 10u);
}

TEST(EngineTest, FailsWhenOneRequestCannotFitAlone) {
  FakeStep model(2);
  Engine engine(model);
  ASSERT_TRUE(engine.submit(greedy(prompt(1, 12), 4)));
  auto stepped = engine.step();
  ASSERT_FALSE(stepped);
  EXPECT_NE(stepped.error().find("prompt 1 does not fit in the KV cache even "
                                 "alone"),
            std::string::npos);
}

TEST(EngineTest, SharesPromptPrefixes) {
  FakeStep model(64);
  Engine engine(model);
  std::vector<int32_t> system = prompt(9, 8);
  for (int i = 0; i < 2; ++i) {
    std::vector<int32_t> ids = system;
    ids.push_back(i);
    ASSERT_TRUE(engine.submit(greedy(ids, 2)));
  }
  ASSERT_TRUE(engine.runToCompletion());
  // The second prompt finds the first's two full blocks in the cache.
  EXPECT_EQ(engine.stats().reusedTokens, 8);
  EXPECT_EQ(engine.stats().prefillTokens, 9 + 1);
}

} // namespace
