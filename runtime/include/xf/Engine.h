//===- Engine.h - the runtime engine: scheduling, sampling, streaming -*- C++ -*-===//
//
// The engine runs generation requests over the paged KV cache: a request
// (prompt ids, sampling, limits, callbacks) is submitted, and each step()
// admits waiting requests while a batch slot and the KV blocks for them are
// free (prefilling each, which samples its first token), then decodes every
// running request by one token in one model call (continuous batching).
// When the pool cannot hold the next token of every running request, the
// newest is preempted: its blocks are freed and it is recomputed from its
// tokens when it rejoins, with the same sampler, so it yields the tokens it
// would have. Prompts sharing whole blocks of prefix compute them once
// (KVCache's prefix cache).
//
// The model sits behind ModelStep: CompiledModel (xf/CompiledModel.h) calls
// the compiled function, a test passes a fake. Front ends (runtime/frontends:
// the program's subcommands, `serve`'s HTTP server) build requests and read
// results through callbacks or generated().
//
//   xf::Engine engine(model, {/*maxBatch=*/16});
//   xf::GenerationRequest request;
//   request.prompt = ids;
//   request.maxTokens = 64;
//   request.stopIds = tokenizer.stopIds();
//   request.onToken = [&](xf::RequestId, int32_t id) { ... };
//   xf::Result<xf::RequestId> id = engine.submit(std::move(request));
//   while (...) { auto more = engine.step(); ... }   // or runToCompletion()
//   engine.cancel(*id);                              // frees its KV blocks
//
// Not thread-safe: one thread submits, steps and cancels (a server queues
// its connections' requests to that thread). Callbacks run inside step()
// and may call cancel().
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_ENGINE_H
#define XF_RUNTIME_INCLUDE_XF_ENGINE_H

#include "xf/KVCache.h"
#include "xf/Result.h"
#include "xf/Sampler.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xf {

/// Logits rows of one model call, read in place from its output buffer: row
/// r, vocabulary entry v at base[r * rowStride + v * vocabStride]. Valid
/// until the model's next call.
struct LogitsView {
  const float *base = nullptr;
  int64_t rows = 0;
  int64_t rowStride = 0;
  int64_t vocabStride = 1;

  float at(int64_t row, int64_t v) const {
    return base[row * rowStride + v * vocabStride];
  }
  /// Row `row` as `vocab` contiguous floats.
  std::vector<float> row(int64_t row, int64_t vocab) const;
};

/// One forward pass over sequences of a KVCache: what the engine calls.
class ModelStep {
public:
  virtual ~ModelStep();

  virtual int64_t vocabSize() const = 0;
  /// The longest sequence the model accepts.
  virtual int64_t maxContext() const = 0;
  /// The cache holding the sequences' tokens, block tables and K/V.
  virtual KVCache &cache() = 0;
  /// Computes, in one call, the tokens each of `seqs` has reserved in
  /// cache() but not computed (createSequence / appendTokens) and marks
  /// them computed. Without `allRows`, row b of the result holds the last
  /// token of sequence b. With it, row b * S + i holds token i of the S (the
  /// most any sequence has) of sequence b, right-aligned; a speculative
  /// decoder appends k draft tokens to one sequence, runs it with allRows
  /// (k + 1 rows) and rolls the rejected ones back with KVCache::truncate.
  virtual Result<LogitsView> run(const std::vector<KVCache::SequenceId> &seqs,
                                 bool allRows) = 0;
};

class SpeculativeDecoder;

/// Submission order: 0, 1, 2, ...
using RequestId = int64_t;

enum class FinishReason {
  Stop,       ///< sampled one of the stop ids (not part of the output)
  MaxTokens,  ///< generated maxTokens (at least one token is generated)
  MaxContext, ///< prompt and output reached the model's max context
  Cancelled,  ///< cancel()
};

struct GenerationRequest {
  std::vector<int32_t> prompt;
  SamplingParams sampling;
  uint64_t seed = 0;
  int64_t maxTokens = 256;
  /// Ids that end the generation.
  std::vector<int32_t> stopIds;
  /// Each generated token as soon as it is sampled, in order.
  std::function<void(RequestId, int32_t)> onToken;
  /// Once, when the request ends (for any reason).
  std::function<void(RequestId, FinishReason)> onFinish;
};

struct EngineOptions {
  /// Requests decoded together at most.
  int64_t maxBatch = 16;
  /// Told when a running request is preempted (KV pool full).
  std::function<void(RequestId)> onPreempt;
  /// Speculative decoding (xf/Speculative.h) over the same model and
  /// cache, used while a single request runs: a batch already reads each
  /// weight once for all its sequences, which is what speculation buys one
  /// sequence, so with several running the plain batched step is used.
  SpeculativeDecoder *speculative = nullptr;
};

struct EngineStats {
  int64_t requests = 0;
  int64_t steps = 0; ///< decode calls (prefills not counted)
  int64_t generatedTokens = 0;
  int64_t preemptions = 0;
  int64_t prefillTokens = 0; ///< prompt tokens computed
  int64_t reusedTokens = 0;  ///< prompt tokens found in the prefix cache
  int64_t peakUsedBlocks = 0;
  int64_t peakSharedBlocks = 0;
  int64_t peakBatch = 0;
};

class Engine {
public:
  explicit Engine(ModelStep &model, EngineOptions options = {});

  /// Queues a request. Refuses an empty prompt, one that leaves no room to
  /// generate within the max context, and bad sampling parameters.
  Result<RequestId> submit(GenerationRequest request);
  /// One round: admits waiting requests (prefill), then one decode call for
  /// every running request. Returns whether any request is left. Fails when
  /// a request cannot run even alone in the KV pool, or the model fails.
  Result<bool> step();
  /// Steps until every request has finished.
  Result<void> runToCompletion();
  /// Ends a waiting or running request (onFinish gets Cancelled) and frees
  /// its KV blocks; false if it has finished or is unknown.
  bool cancel(RequestId id);

  bool idle() const { return waiting.empty() && running.empty(); }
  /// Requests submitted and not running yet (new or preempted), and those
  /// running: a server's queue-depth and batch gauges.
  size_t waitingCount() const { return waiting.size(); }
  size_t runningCount() const { return running.size(); }
  /// The reason it finished, if it has.
  std::optional<FinishReason> finishReason(RequestId id) const;
  /// The tokens generated so far (stop ids excluded).
  const std::vector<int32_t> &generated(RequestId id) const;
  /// Forgets a finished request (a long-running server's bookkeeping).
  void release(RequestId id);

  const EngineStats &stats() const { return counters; }
  /// The KV-use line the program prints after a batch, over `seconds`.
  std::string statsLine(double seconds) const;

private:
  struct Request {
    GenerationRequest params;
    Sampler sampler;
    std::vector<int32_t> generated;
    std::optional<KVCache::SequenceId> seq;
    std::optional<FinishReason> finished;
    bool cancelRequested = false;
  };

  Result<void> admit();
  Result<void> reserveNextTokens();
  Result<void> decode();
  /// One speculative step of the only running request.
  Result<void> decodeSpeculatively();
  /// Samples the next token of `id` from row `row`; true if it finished.
  bool advance(RequestId id, const LogitsView &logits, int64_t row);
  /// Takes `token` as the next token of `id`; true if it finished.
  bool accept(RequestId id, int32_t token);
  void finish(RequestId id, FinishReason reason);
  /// Frees `r`'s KV blocks (and a draft model's for it), if it holds any.
  void freeSequence(Request &r);
  void noteUsage();
  void applyCancels();

  ModelStep &model;
  EngineOptions options;
  std::map<RequestId, Request> requests;
  std::deque<RequestId> waiting;
  std::vector<RequestId> running;
  std::vector<RequestId> pendingCancels;
  bool inStep = false;
  RequestId nextId = 0;
  EngineStats counters;
};

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_ENGINE_H
