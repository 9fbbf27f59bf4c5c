//===- Frontends.h - the emitted program's subcommands ----------*- C++ -*-===//
//
// Each subcommand of the program is a front end in a file of its own over
// the engine (xf/Engine.h) and the compiled model (xf/CompiledModel.h);
// Main.cpp parses the options and dispatches. Exit codes: 0 success, 1
// runtime error (bad weights file, sequence too long, unreadable file), 2
// bad command line.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_FRONTENDS_FRONTENDS_H
#define XF_RUNTIME_FRONTENDS_FRONTENDS_H

#include "xf/CompiledModel.h"
#include "xf/Sampler.h"
#include "xf/Speculative.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xf::frontends {

enum class Mode { Generate, Bench, Perplexity, Logits, Calibrate, Serve };

/// The program's command line (see kUsage in Main.cpp).
struct Options {
  Mode mode = Mode::Generate;
  std::string weightsPath;
  std::vector<int64_t> prompt; ///< --tokens
  std::optional<std::string> promptText, systemText;
  int64_t maxTokens = -1, promptLength = -1, generateLength = -1;
  int64_t context = 512, maxChunks = 0, threads = 0, kvMemory = 0;
  int64_t maxBatch = 16, batch = 1;
  std::string logitsPath, textPath, promptsPath, tokensPath, outPath;
  SamplingParams sampling;
  uint64_t seed = 0;
  bool verifyWeights = false, chat = false, recompute = false;
  /// Speculative decoding: --draft (default: what xfc --draft recorded),
  /// --spec-k, --no-speculate; bench --speculate.
  std::string draft;
  int64_t specK = 8;
  bool noSpeculate = false, benchSpeculate = false;
  /// serve: where to listen (port 0: any free one, printed), the API key
  /// every endpoint but /health needs, requests waiting beyond the batch.
  std::string host = "127.0.0.1", apiKey;
  int64_t port = 8080, maxQueue = 64;
  bool apiKeyGiven = false;

  Options() { sampling.temperature = 0; }
};

// The subcommands; each returns the exit code.
/// --prompt / --chat / --tokens: one sequence, streamed.
int runGenerate(CompiledModel &model, const Options &options);
/// --prompts-file / --tokens-file: every line at once, on the engine.
int runBatch(CompiledModel &model, const Options &options);
/// bench: prefill and decode speed.
int runBench(CompiledModel &model, const Options &options);
/// ppl: perplexity over a text.
int runPerplexity(CompiledModel &model, const Options &options);
/// logits: every position's logits over a text, for comparisons.
int runLogits(CompiledModel &model, const Options &options);
/// calibrate: the mean input Gram matrices for GPTQ.
int runCalibrate(CompiledModel &model, const Options &options);
/// serve: the OpenAI-compatible HTTP server (Serve.cpp).
int runServe(CompiledModel &model, const Options &options);

// Shared by the front ends.
/// Prints "error: MESSAGE"; returns 1.
int fail(const std::string &message);
/// Prints "error: MESSAGE" and a pointer to --help; returns 2.
int usageError(const std::string &message);
/// 0 if the model fits in the memory the machine has available (its
/// weights, KV pool and a margin for activations, against MemAvailable of
/// /proc/meminfo), else a usage error that says the numbers and what to do:
/// a model that does not fit would thrash rather than fail.
int checkResidentMemory(const Options &options);
/// JSON string literal of UTF-8 `text`.
std::string jsonString(const std::string &text);

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start);

/// The drafter the options and the model's metadata choose, or null when
/// the run does not speculate (--no-speculate, an unpaged model, no draft
/// recorded or given); an error for a --draft the program cannot honour.
Result<std::unique_ptr<Drafter>> makeDrafter(CompiledModel &model,
                                             const Options &options);

/// The text of options.textPath, tokenized and cut into consecutive chunks
/// of options.context tokens (at most options.maxChunks, if positive): what
/// ppl scores, logits writes and calibrate runs.
Result<std::vector<std::vector<int64_t>>> readChunks(const CompiledModel &model,
                                                     const Options &options);

} // namespace xf::frontends

#endif // XF_RUNTIME_FRONTENDS_FRONTENDS_H
