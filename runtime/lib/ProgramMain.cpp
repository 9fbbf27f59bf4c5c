//===- ProgramMain.cpp - the emitted inference program's main -------------===//
//
// Every program xfc emits is this main linked with the compiled model. It
// maps OUT.xfw, and generates tokens by calling the model (include/xf/
// ModelABI.h). Until the KV cache lands (issue 6) every step recomputes the
// whole sequence.
//
// Exit codes: 0 success, 1 runtime error (bad weights file, sequence too
// long), 2 bad command line.
//
//===----------------------------------------------------------------------===//

#include "xf/ModelABI.h"
#include "xf/Sampler.h"
#include "xf/WeightsFile.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char *kUsage = R"(usage:
  PROGRAM --tokens 1,2,3 [--max-tokens N] [--logits FILE]
          [--temperature T] [--top-k K] [--top-p P] [--seed S]
  PROGRAM bench --prompt-len P --gen-len G
  PROGRAM --help

Generates tokens after the prompt ids given with --tokens and prints the
generated ids (not the prompt) as one comma-separated line. Greedy unless
--temperature is above 0. --logits FILE writes float32 little-endian logits,
one row of vocab floats per forward position: the prompt's positions first,
then one per generated token but the last.

bench prints prefill and decode tokens per second for a prompt of P random
ids and G generated tokens.

Options:
  --max-tokens N     tokens to generate (default 32)
  --temperature T    0 = greedy (default 0)
  --top-k K          keep the K most likely tokens (0 = all)
  --top-p P          keep the smallest set with probability >= P (default 1)
  --seed S           sampling seed (default 0); same seed, same tokens
  --weights FILE     the weights file (default: PROGRAM.xfw)
  --verify-weights   check every tensor's checksum before running (reads the
                     whole file once)
)";

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream{std::string(text)};
  while (std::getline(stream, part, separator))
    parts.push_back(part);
  return parts;
}

bool parseInt(const std::string &text, int64_t &value) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno)
    return false;
  value = v;
  return true;
}

bool parseFloat(const std::string &text, float &value) {
  char *end = nullptr;
  value = std::strtof(text.c_str(), &end);
  return !text.empty() && !*end;
}

/// The compiled model with its weights, called on a whole sequence.
class Model {
public:
  static xf::Result<Model> load(const std::string &path) {
    auto file = xf::WeightsFile::open(path);
    if (!file)
      return xf::ErrorMessage{file.error()};
    Model model(std::move(*file));
    auto inputs = model.weights.metadata("xf.inputs");
    auto outputRanks = model.weights.metadata("xf.output_ranks");
    auto vocab = model.weights.config().vocabSize;
    if (!inputs || !outputRanks || !vocab)
      return xf::ErrorMessage{
          path + ": not made by xfc for this program (no xf.inputs, "
                 "xf.output_ranks or vocabulary size)"};
    model.inputNames = split(*inputs, ',');
    if (auto shapes = model.weights.metadata("xf.input_shapes"))
      model.inputShapes = split(*shapes, ',');
    if (model.inputShapes.size() != model.inputNames.size())
      return xf::ErrorMessage{path + ": xf.input_shapes does not match "
                                     "xf.inputs"};
    for (const std::string &rank : split(*outputRanks, ',')) {
      int64_t value;
      if (!parseInt(rank, value))
        return xf::ErrorMessage{path + ": bad xf.output_ranks"};
      model.outputRanks.push_back(value);
    }
    model.vocabSize = *vocab;
    if (auto maxContext = model.weights.metadata("xf.max_context")) {
      int64_t value;
      if (parseInt(std::string(*maxContext), value))
        model.maxContext = value;
    }
    return model;
  }

  /// Logits of every position of `ids`, row-major [ids.size(), vocab].
  xf::Result<std::vector<float>> forward(const std::vector<int64_t> &ids) {
    int64_t n = ids.size();
    if (n > maxContext)
      return xf::ErrorMessage{
          "the sequence has " + std::to_string(n) +
          " tokens; this program was compiled for at most " +
          std::to_string(maxContext) + " (xfc --max-context)"};
    std::vector<int64_t> ones(n, 1), positions(n);
    for (int64_t i = 0; i < n; ++i)
      positions[i] = i;
    std::vector<xf::MemRefDescriptor> descriptors;
    for (size_t i = 0; i < inputNames.size(); ++i) {
      const std::string &name = inputNames[i];
      if (name.rfind("past_key_values.", 0) == 0) {
        // An optimum export's KV cache: given empty, every step recomputes
        // (the paged KV cache will replace this).
        std::vector<int64_t> shape;
        for (const std::string &dim : split(inputShapes[i], 'x')) {
          int64_t value = 0;
          shape.push_back(parseInt(dim, value) ? value : 0);
        }
        shape[0] = 1;
        descriptors.emplace_back(&emptyPast, shape);
        continue;
      }
      const int64_t *data = name == "input_ids"        ? ids.data()
                            : name == "attention_mask" ? ones.data()
                                                       : positions.data();
      descriptors.emplace_back(data, std::vector<int64_t>{1, n});
    }
    for (const xf::TensorView &weight : weights.tensors())
      descriptors.emplace_back(weight.data, weight.shape);
    int64_t resultWords = 0;
    for (int64_t rank : outputRanks)
      resultWords += xf::MemRefDescriptor::wordCount(rank);
    std::vector<int64_t> results(resultWords, 0);
    std::vector<void *> args = {results.data()};
    for (xf::MemRefDescriptor &d : descriptors)
      args.push_back(d.words());
    xf_packed_main(args.data());

    std::vector<xf::OutputView> outputs =
        xf::readResults(results.data(), outputRanks);
    const xf::OutputView &logits = outputs.front();
    std::vector<float> rows(n * vocabSize);
    const float *base = static_cast<const float *>(logits.aligned);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t v = 0; v < vocabSize; ++v)
        rows[i * vocabSize + v] =
            base[logits.offset + i * logits.strides[1] + v * logits.strides[2]];
    for (const xf::OutputView &output : outputs)
      std::free(output.allocated);
    return rows;
  }

  int64_t vocab() const { return vocabSize; }
  xf::Result<void> verifyChecksums() const { return weights.verifyChecksums(); }

private:
  explicit Model(xf::WeightsFile file) : weights(std::move(file)) {}

  xf::WeightsFile weights;
  std::vector<std::string> inputNames;
  std::vector<std::string> inputShapes;
  std::vector<int64_t> outputRanks;
  /// What an empty past points at: a valid address holding nothing.
  float emptyPast = 0;
  int64_t vocabSize = 0;
  int64_t maxContext = 2048;
};

int runBench(Model &model, int64_t promptLength, int64_t generateLength) {
  std::vector<int64_t> ids(promptLength);
  uint64_t state = 12345;
  for (int64_t &id : ids) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    id = static_cast<int64_t>((state >> 33) % model.vocab());
  }
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto logits = model.forward(ids);
  if (!logits) {
    std::cerr << "error: " << logits.error() << "\n";
    return 1;
  }
  double prefill = std::chrono::duration<double>(Clock::now() - start).count();
  start = Clock::now();
  for (int64_t i = 0; i < generateLength; ++i) {
    const float *last = logits->data() + (ids.size() - 1) * model.vocab();
    ids.push_back(std::max_element(last, last + model.vocab()) - last);
    logits = model.forward(ids);
    if (!logits) {
      std::cerr << "error: " << logits.error() << "\n";
      return 1;
    }
  }
  double decode = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("prefill: %lld tokens in %.3f s, %.1f tokens/s\n",
              static_cast<long long>(promptLength), prefill,
              promptLength / prefill);
  std::printf("decode: %lld tokens in %.3f s, %.1f tokens/s (recomputes the "
              "whole sequence per token: no KV cache yet)\n",
              static_cast<long long>(generateLength), decode,
              generateLength ? generateLength / decode : 0.0);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string weightsPath = std::string(argv[0]) + ".xfw";
  std::vector<int64_t> prompt;
  int64_t maxTokens = 32, promptLength = -1, generateLength = -1;
  std::string logitsPath;
  xf::SamplingParams sampling;
  sampling.temperature = 0;
  uint64_t seed = 0;
  bool bench = !args.empty() && args[0] == "bench";
  bool verifyWeights = false;
  auto usageError = [](const std::string &message) {
    std::cerr << "error: " << message << "\n(see --help)\n";
    return 2;
  };
  for (size_t i = bench ? 1 : 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--verify-weights") {
      verifyWeights = true;
      continue;
    }
    if (i + 1 >= args.size())
      return usageError("'" + arg + "' needs a value or is unknown");
    const std::string &value = args[++i];
    int64_t number = 0;
    if (arg == "--tokens") {
      for (const std::string &id : split(value, ',')) {
        if (!parseInt(id, number) || number < 0)
          return usageError("--tokens takes comma-separated ids, got '" +
                            value + "'");
        prompt.push_back(number);
      }
    } else if (arg == "--max-tokens" && parseInt(value, number) && number >= 0) {
      maxTokens = number;
    } else if (arg == "--prompt-len" && parseInt(value, number) && number > 0) {
      promptLength = number;
    } else if (arg == "--gen-len" && parseInt(value, number) && number >= 0) {
      generateLength = number;
    } else if (arg == "--logits") {
      logitsPath = value;
    } else if (arg == "--weights") {
      weightsPath = value;
    } else if (arg == "--temperature" && parseFloat(value, sampling.temperature)) {
    } else if (arg == "--top-k" && parseInt(value, number) && number >= 0) {
      sampling.topK = number;
    } else if (arg == "--top-p" && parseFloat(value, sampling.topP)) {
    } else if (arg == "--seed" && parseInt(value, number)) {
      seed = number;
    } else {
      return usageError("bad option or value: " + arg + " " + value);
    }
  }

  auto model = Model::load(weightsPath);
  if (!model) {
    std::cerr << "error: " << model.error() << "\n";
    return 1;
  }
  if (verifyWeights) {
    if (auto verified = model->verifyChecksums(); !verified) {
      std::cerr << "error: " << verified.error() << "\n";
      return 1;
    }
  }
  if (bench) {
    if (promptLength < 0 || generateLength < 0)
      return usageError("bench needs --prompt-len and --gen-len");
    return runBench(*model, promptLength, generateLength);
  }
  if (prompt.empty())
    return usageError("give a prompt with --tokens");
  for (int64_t id : prompt)
    if (id >= model->vocab())
      return usageError("token id " + std::to_string(id) +
                        " is not below the vocabulary size " +
                        std::to_string(model->vocab()));

  auto sampler = xf::Sampler::create(sampling, seed);
  if (!sampler)
    return usageError(sampler.error());
  std::vector<int64_t> ids = prompt;
  std::vector<float> lastLogits;
  for (int64_t step = 0; step < maxTokens; ++step) {
    auto logits = model->forward(ids);
    if (!logits) {
      std::cerr << "error: " << logits.error() << "\n";
      return 1;
    }
    const float *last = logits->data() + (ids.size() - 1) * model->vocab();
    int32_t next = sampler->sample(last, model->vocab());
    ids.push_back(next);
    // Each id is printed as soon as it exists, so a reader sees the line
    // grow while the program generates.
    std::cout << (step ? "," : "") << next << std::flush;
    lastLogits = std::move(*logits);
  }
  std::cout << "\n";
  if (!logitsPath.empty()) {
    // The last forward saw every position but the final token.
    std::ofstream out(logitsPath, std::ios::binary);
    out.write(reinterpret_cast<const char *>(lastLogits.data()),
              lastLogits.size() * sizeof(float));
    if (!out) {
      std::cerr << "error: cannot write " << logitsPath << "\n";
      return 1;
    }
  }
  return 0;
}
