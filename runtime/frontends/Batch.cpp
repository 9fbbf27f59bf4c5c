//===- Batch.cpp - --prompts-file / --tokens-file -------------------------===//
//
// Every line of the file is a request to the engine; they run together
// (continuous batching) and the results are printed in the order of the
// lines: a JSON line per text prompt, a line of ids per id prompt, then the
// KV-use line on stderr.
//
//===----------------------------------------------------------------------===//

#include "Frontends.h"

#include "xf/CommandLine.h"
#include "xf/Engine.h"
#include "xf/Tokenizer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

using namespace xf;
using namespace xf::frontends;

namespace {

/// One line of the file as prompt ids: text through the tokenizer (and
/// chat template), or comma-separated ids below the vocabulary size.
Result<std::vector<int32_t>> lineIds(const std::string &line,
                                     const std::string &where,
                                     const Tokenizer *tokenizer,
                                     const Options &options, int64_t vocab) {
  if (tokenizer)
    return buildPrompt(*tokenizer, line, options.chat, options.systemText);
  std::vector<int32_t> ids;
  for (const std::string &id : splitList(line, ',')) {
    int64_t value;
    if (!parseInt(id, value) || value < 0 || value >= vocab)
      return ErrorMessage{where + ": expected comma-separated token ids below " +
                          std::to_string(vocab) + ", got '" + id + "'"};
    ids.push_back(static_cast<int32_t>(value));
  }
  return ids;
}

/// The non-empty lines of `path` and their prompt ids; 0 or the exit code.
int readPrompts(const std::string &path, const Tokenizer *tokenizer,
                const Options &options, int64_t vocab,
                std::vector<std::string> &lines,
                std::vector<std::vector<int32_t>> &prompts) {
  std::ifstream in(path);
  if (!in)
    return fail("cannot read " + path + ": " + std::strerror(errno));
  std::string line;
  for (int64_t lineNumber = 1; std::getline(in, line); ++lineNumber) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty())
      continue;
    std::string where = path + ":" + std::to_string(lineNumber);
    auto ids = lineIds(line, where, tokenizer, options, vocab);
    if (!ids)
      return fail(ids.error());
    if (ids->empty())
      return fail(where + ": the prompt is empty");
    lines.push_back(line);
    prompts.push_back(std::move(*ids));
  }
  if (prompts.empty())
    return fail(path + " has no prompts");
  return 0;
}

void printResults(const Engine &engine, const std::vector<std::string> &lines,
                  const Tokenizer *tokenizer) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::vector<int32_t> &ids = engine.generated(i);
    if (tokenizer) {
      std::printf("{\"index\": %zu, \"prompt\": %s, \"completion\": %s}\n", i,
                  jsonString(lines[i]).c_str(),
                  jsonString(tokenizer->decode(ids, /*skipSpecial=*/true))
                      .c_str());
    } else {
      std::string out;
      for (size_t t = 0; t < ids.size(); ++t)
        out += (t ? "," : "") + std::to_string(ids[t]);
      std::printf("%s\n", out.c_str());
    }
  }
  std::fflush(stdout);
}

} // namespace

int xf::frontends::runBatch(CompiledModel &model, const Options &options) {
  bool text = !options.promptsPath.empty();
  const std::string &path = text ? options.promptsPath : options.tokensPath;
  std::optional<Tokenizer> tokenizer;
  if (text) {
    auto loaded = Tokenizer::fromWeightsFile(model.weightsFile());
    if (!loaded)
      return fail(loaded.error());
    tokenizer.emplace(std::move(*loaded));
  }
  const Tokenizer *textTokenizer = tokenizer ? &*tokenizer : nullptr;
  std::vector<std::string> lines;
  std::vector<std::vector<int32_t>> prompts;
  if (int status = readPrompts(path, textTokenizer, options, model.vocabSize(),
                               lines, prompts))
    return status;
  if (!model.isPaged())
    return fail("several prompts need a model compiled with the paged KV "
                "cache (xfc pages it when every attention fuses); this one "
                "runs its sequences one at a time only");

  EngineOptions engineOptions;
  engineOptions.maxBatch = options.maxBatch;
  engineOptions.onPreempt = [](RequestId id) {
    std::fprintf(stderr,
                 "[preempting prompt %lld: the KV cache is full; it is "
                 "recomputed when it rejoins]\n",
                 static_cast<long long>(id + 1));
  };
  auto drafter = makeDrafter(model, options);
  if (!drafter)
    return usageError(drafter.error());
  std::optional<SpeculativeDecoder> speculative;
  if (*drafter) {
    speculative.emplace(model, **drafter, SpeculationOptions{options.specK});
    engineOptions.speculative = &*speculative;
  }
  Engine engine(model, engineOptions);
  for (size_t i = 0; i < prompts.size(); ++i) {
    GenerationRequest request;
    request.prompt = std::move(prompts[i]);
    request.sampling = options.sampling;
    request.seed = options.seed + i;
    // With ids, exactly --max-tokens are generated, as with --tokens.
    request.maxTokens =
        options.maxTokens >= 0 ? options.maxTokens : (text ? 256 : 32);
    if (tokenizer)
      request.stopIds = tokenizer->stopIds();
    if (auto submitted = engine.submit(std::move(request)); !submitted)
      return fail(submitted.error());
  }
  auto start = Clock::now();
  if (auto done = engine.runToCompletion(); !done)
    return fail(done.error());
  double seconds = secondsSince(start);
  printResults(engine, lines, textTokenizer);
  std::fprintf(stderr, "%s\n", engine.statsLine(seconds).c_str());
  if (speculative)
    std::fprintf(stderr, "%s", speculative->statsLine(seconds).c_str());
  return 0;
}
