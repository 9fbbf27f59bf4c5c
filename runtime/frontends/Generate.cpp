//===- Generate.cpp - --prompt / --chat / --tokens ------------------------===//
//
// One sequence, every model kind: the compiled model's single sequence
// (CompiledModel::append), so that models without the paged KV cache run
// too and --logits / --recompute see every position.
//
//===----------------------------------------------------------------------===//

#include "Frontends.h"

#include "xf/CommandLine.h"
#include "xf/Tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

using namespace xf;
using namespace xf::frontends;

namespace {

/// The generation loop's output: ids as a comma-separated line, or text
/// streamed through the tokenizer until a stop id.
struct Printer {
  std::optional<Tokenizer::StreamDecoder> stream;
  std::vector<int32_t> stopIds;

  /// Prints `id`; false if it ends the generation.
  bool print(int32_t id, int64_t step) {
    // Each id or piece of text is printed as soon as it exists.
    if (stream) {
      if (std::find(stopIds.begin(), stopIds.end(), id) != stopIds.end())
        return false;
      std::cout << stream->push(id) << std::flush;
    } else {
      std::cout << (step ? "," : "") << id << std::flush;
    }
    return true;
  }
  void finish() {
    if (stream)
      std::cout << stream->finish();
    std::cout << "\n" << std::flush;
  }
};

void writeRows(std::ofstream &out, const LogitsView &logits, int64_t vocab) {
  for (int64_t r = 0; r < logits.rows; ++r) {
    std::vector<float> row = logits.row(r, vocab);
    out.write(reinterpret_cast<const char *>(row.data()),
              row.size() * sizeof(float));
  }
}

/// The timing line of a text generation.
void printSpeed(size_t promptTokens, int64_t generated, double prefillSeconds,
                double totalSeconds) {
  std::fprintf(stderr,
               "[%lld prompt tokens at %.1f tokens/s, %lld generated at "
               "%.1f tokens/s]\n",
               static_cast<long long>(promptTokens),
               promptTokens / std::max(prefillSeconds, 1e-9),
               static_cast<long long>(generated),
               generated > 1 ? (generated - 1) /
                                   std::max(totalSeconds - prefillSeconds, 1e-9)
                             : 0.0);
}

/// The prompt ids (--tokens, or --prompt encoded), checked against the
/// vocabulary; 0 on success, else the exit code.
int promptIds(CompiledModel &model, const Options &options,
              std::optional<Tokenizer> &tokenizer,
              std::vector<int64_t> &prompt) {
  prompt = options.prompt;
  if (options.promptText) {
    auto loaded = Tokenizer::fromWeightsFile(model.weightsFile());
    if (!loaded)
      return fail(loaded.error());
    tokenizer.emplace(std::move(*loaded));
    auto ids = buildPrompt(*tokenizer, *options.promptText, options.chat,
                           options.systemText);
    if (!ids)
      return fail(ids.error());
    prompt.assign(ids->begin(), ids->end());
    if (prompt.empty())
      return usageError("the prompt is empty");
  }
  for (int64_t id : prompt)
    if (id >= model.vocabSize())
      return usageError("token id " + std::to_string(id) +
                        " is not below the vocabulary size " +
                        std::to_string(model.vocabSize()));
  return 0;
}

} // namespace

int xf::frontends::runGenerate(CompiledModel &model, const Options &options) {
  std::optional<Tokenizer> tokenizer;
  std::vector<int64_t> prompt;
  if (int status = promptIds(model, options, tokenizer, prompt))
    return status;
  int64_t maxTokens = options.maxTokens;
  if (maxTokens < 0)
    maxTokens = options.promptText ? 256 : 32;
  auto sampler = Sampler::create(options.sampling, options.seed);
  if (!sampler)
    return usageError(sampler.error());
  Printer printer;
  if (tokenizer) {
    printer.stopIds = tokenizer->stopIds();
    printer.stream.emplace(*tokenizer, /*skipSpecial=*/true);
  }
  std::ofstream logitsOut;
  if (!options.logitsPath.empty()) {
    logitsOut.open(options.logitsPath, std::ios::binary | std::ios::trunc);
    if (!logitsOut)
      return fail("cannot write " + options.logitsPath);
  }

  auto drafter = options.logitsPath.empty() && !options.recompute
                     ? makeDrafter(model, options)
                     : Result<std::unique_ptr<Drafter>>(nullptr);
  if (!drafter)
    return usageError(drafter.error());
  std::optional<SpeculativeDecoder> speculative;
  if (*drafter)
    speculative.emplace(model, **drafter, SpeculationOptions{options.specK});

  auto start = Clock::now();
  double prefillSeconds = 0;
  int64_t generated = 0, vocab = model.vocabSize();
  std::vector<int64_t> next = prompt, sequence = prompt;
  for (int64_t step = 0; step < maxTokens; ++step) {
    if (speculative && step > 0) {
      // The rest of the generation, several tokens per step.
      int32_t pending = static_cast<int32_t>(next[0]);
      bool more = true;
      while (more && generated < maxTokens) {
        auto tokens = speculative->step(*model.currentSequence(), pending,
                                        *sampler);
        if (!tokens)
          return fail(tokens.error());
        for (int32_t id : *tokens) {
          if (generated == maxTokens || !printer.print(id, generated++)) {
            more = false;
            break;
          }
        }
        pending = tokens->back();
      }
      break;
    }
    if (options.recompute && step > 0) {
      // From an empty cache, every token again.
      model.reset();
      model.setReusePrefix(false);
      next = sequence;
    }
    auto logits = model.append(next, /*allRows=*/logitsOut.is_open());
    if (!logits)
      return fail(logits.error());
    if (step == 0)
      prefillSeconds = secondsSince(start);
    if (logitsOut.is_open()) {
      LogitsView rows = *logits;
      if (options.recompute && step > 0) {
        // Only the new position's row, as without --recompute.
        rows.base += (rows.rows - 1) * rows.rowStride;
        rows.rows = 1;
      }
      writeRows(logitsOut, rows, vocab);
    }
    std::vector<float> last = logits->row(logits->rows - 1, vocab);
    int32_t id = sampler->sample(last.data(), vocab);
    ++generated;
    if (!printer.print(id, step))
      break;
    next = {id};
    sequence.push_back(id);
  }
  printer.finish();
  if (logitsOut.is_open() && !logitsOut.flush())
    return fail("cannot write " + options.logitsPath);
  if (tokenizer)
    printSpeed(prompt.size(), generated, prefillSeconds, secondsSince(start));
  if (speculative)
    std::cerr << speculative->statsLine(secondsSince(start) - prefillSeconds);
  return 0;
}
