//===- ProgramMain.cpp - the emitted inference program's main -------------===//
//
// Every program xfc emits is this main linked with the compiled model. It
// maps OUT.xfw and calls the model (include/xf/ModelABI.h) to generate ids or
// text, to measure speed (bench) and perplexity (ppl).
//
// Models exported with a KV cache (optimum's past_key_values.* inputs and
// present.* outputs) run incrementally: each call gets only the new tokens
// and the previous call's present.* as its past, so a decode step costs one
// token's work. Models without one recompute the whole sequence per step.
// (The paged KV cache of issue 6 will replace the per-call buffers.)
//
// Exit codes: 0 success, 1 runtime error (bad weights file, sequence too
// long, unreadable file), 2 bad command line.
//
//===----------------------------------------------------------------------===//

#include "xf/ModelABI.h"
#include "xf/Sampler.h"
#include "xf/ThreadPool.h"
#include "xf/Tokenizer.h"
#include "xf/WeightsFile.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <vector>

namespace {

const char *kUsage = R"(usage:
  PROGRAM --prompt TEXT [--chat] [--system TEXT] [--max-tokens N] [sampling]
  PROGRAM --tokens 1,2,3 [--max-tokens N] [--logits FILE] [sampling]
  PROGRAM bench --prompt-len P --gen-len G
  PROGRAM ppl --file TEXT [--ctx N] [--chunks C]
  PROGRAM --help

--prompt encodes TEXT with the model's tokenizer and streams the generated
text to stdout until an end-of-sequence token or --max-tokens; speed goes to
stderr. --chat wraps TEXT in the model's chat template (a user turn, with
--system or the template's default system prompt).

--tokens takes prompt ids and prints the generated ids (not the prompt) as one
comma-separated line, exactly --max-tokens of them (end-of-sequence does not
stop it). Greedy unless --temperature is above 0. --logits FILE writes
float32 little-endian logits, one row of vocab floats per forward position:
the prompt's positions first, then one per generated token but the last.

bench prints prefill and decode tokens per second for a prompt of P random
ids followed by G generated tokens.

ppl prints the perplexity of the model on the text in FILE: the text is split
into consecutive chunks of N tokens (default 512), each evaluated from an
empty context, and every token of a chunk but the first is scored. --chunks C
stops after C chunks.

Options:
  --max-tokens N     tokens to generate (default 32 for --tokens, 256 for
                     --prompt)
  --temperature T    0 = greedy (default 0)
  --top-k K          keep the K most likely tokens (0 = all)
  --top-p P          keep the smallest set with probability >= P (default 1)
  --seed S           sampling seed (default 0); same seed, same tokens
  --threads N        threads for the kernels (default: XF_NUM_THREADS, else
                     one per hardware thread)
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

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Logits of the positions of one call, read in place from the model's
/// output buffer: row r, vocabulary entry v at base[r * rowStride + v *
/// vocabStride].
struct LogitsView {
  const float *base = nullptr;
  int64_t rows = 0;
  int64_t rowStride = 0;
  int64_t vocabStride = 1;

  float at(int64_t row, int64_t v) const {
    return base[row * rowStride + v * vocabStride];
  }
  /// Row `row` as contiguous floats.
  std::vector<float> row(int64_t row, int64_t vocab) const {
    std::vector<float> out(vocab);
    for (int64_t v = 0; v < vocab; ++v)
      out[v] = at(row, v);
    return out;
  }
};

/// The compiled model, its weights, and the state of one sequence.
class Model {
public:
  static xf::Result<std::unique_ptr<Model>> load(const std::string &path) {
    auto file = xf::WeightsFile::open(path);
    if (!file)
      return xf::ErrorMessage{file.error()};
    std::unique_ptr<Model> model(new Model(std::move(*file)));
    if (auto loaded = model->readSignature(path); !loaded)
      return xf::ErrorMessage{loaded.error()};
    return model;
  }

  ~Model() { releaseState(); }

  int64_t vocab() const { return vocabSize; }
  int64_t contextLength() const { return pastLength + history.size(); }
  bool hasKVCache() const { return !pastInputs.empty(); }
  const xf::WeightsFile &weightsFile() const { return weights; }

  /// Forgets the sequence: the next call starts from an empty context.
  void reset() {
    releaseState();
    pastLength = 0;
    history.clear();
  }

  /// Appends `ids` to the sequence and returns the logits of their
  /// positions. The view stays valid until the next call of append or reset.
  xf::Result<LogitsView> append(const std::vector<int64_t> &ids) {
    int64_t total = contextLength() + ids.size();
    if (total > maxContext)
      return xf::ErrorMessage{
          "the sequence would have " + std::to_string(total) +
          " tokens; this program was compiled for at most " +
          std::to_string(maxContext) + " (xfc --max-context)"};
    if (ids.empty())
      return xf::ErrorMessage{"no tokens to run"};
    // Without a KV cache the model sees the whole sequence again.
    std::vector<int64_t> run = ids;
    int64_t skipRows = 0;
    if (!hasKVCache()) {
      history.insert(history.end(), ids.begin(), ids.end());
      run = history;
      skipRows = history.size() - ids.size();
    }
    int64_t n = run.size();
    std::vector<int64_t> mask(pastLength + n, 1), positions(n);
    for (int64_t i = 0; i < n; ++i)
      positions[i] = pastLength + i;

    std::vector<xf::MemRefDescriptor> descriptors;
    descriptors.reserve(inputNames.size() + weights.tensors().size());
    for (size_t i = 0; i < inputNames.size(); ++i) {
      const std::string &name = inputNames[i];
      if (name == "input_ids")
        descriptors.emplace_back(run.data(), std::vector<int64_t>{1, n});
      else if (name == "attention_mask")
        descriptors.emplace_back(mask.data(),
                                 std::vector<int64_t>{1, pastLength + n});
      else if (name == "position_ids")
        descriptors.emplace_back(positions.data(), std::vector<int64_t>{1, n});
      else {
        // A past_key_values input: the previous call's present, or empty.
        const PastInput &past = pastInputs[pastIndexOfInput[i]];
        std::vector<int64_t> shape = past.shape;
        shape[0] = 1;
        shape[past.sequenceDim] = pastLength;
        descriptors.emplace_back(past.data ? past.data : &emptyPast, shape);
      }
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

    // Take the new outputs, then free the buffers of the old ones that are
    // not among them (an output may be returned in an input's buffer).
    std::vector<xf::OutputView> outputs =
        xf::readResults(results.data(), outputRanks);
    std::unordered_set<void *> kept;
    for (const xf::OutputView &output : outputs)
      kept.insert(output.allocated);
    for (void *old : ownedBuffers)
      if (!kept.count(old))
        std::free(old);
    ownedBuffers.clear();
    for (const xf::OutputView &output : outputs)
      if (output.allocated && output.allocated != &emptyPast)
        ownedBuffers.insert(output.allocated);

    for (size_t o = 0; o < outputs.size(); ++o) {
      if (presentToPast[o] < 0)
        continue;
      const xf::OutputView &present = outputs[o];
      PastInput &past = pastInputs[presentToPast[o]];
      if (present.sizes.size() != past.shape.size() ||
          present.sizes[past.sequenceDim] != pastLength + n ||
          !isContiguous(present))
        return xf::ErrorMessage{
            outputNames[o] + " is not a contiguous [.., " +
            std::to_string(pastLength + n) +
            ", ..] tensor, so it cannot be fed back as the past"};
      past.data = static_cast<const float *>(present.aligned) + present.offset;
    }
    if (hasKVCache())
      pastLength += n;

    const xf::OutputView &logits = outputs[logitsOutput];
    LogitsView view;
    view.base = static_cast<const float *>(logits.aligned) + logits.offset +
                skipRows * logits.strides[1];
    view.rows = n - skipRows;
    view.rowStride = logits.strides[1];
    view.vocabStride = logits.strides[2];
    return view;
  }

private:
  struct PastInput {
    std::vector<int64_t> shape;
    int64_t sequenceDim = 2;
    const float *data = nullptr;
  };

  explicit Model(xf::WeightsFile file) : weights(std::move(file)) {}

  static bool isContiguous(const xf::OutputView &view) {
    int64_t stride = 1;
    for (int64_t r = view.sizes.size() - 1; r >= 0; --r) {
      if (view.sizes[r] != 1 && view.strides[r] != stride)
        return false;
      stride *= view.sizes[r];
    }
    return true;
  }

  void releaseState() {
    for (void *buffer : ownedBuffers)
      std::free(buffer);
    ownedBuffers.clear();
    for (PastInput &past : pastInputs)
      past.data = nullptr;
  }

  xf::Result<void> readSignature(const std::string &path) {
    auto inputs = weights.metadata("xf.inputs");
    auto outputs = weights.metadata("xf.outputs");
    auto ranks = weights.metadata("xf.output_ranks");
    auto vocab = weights.config().vocabSize;
    if (!inputs || !outputs || !ranks || !vocab)
      return xf::ErrorMessage{
          path + ": not made by xfc for this program (no xf.inputs, "
                 "xf.outputs, xf.output_ranks or vocabulary size)"};
    vocabSize = *vocab;
    inputNames = split(*inputs, ',');
    outputNames = split(*outputs, ',');
    std::vector<std::string> shapes;
    if (auto s = weights.metadata("xf.input_shapes"))
      shapes = split(*s, ',');
    if (shapes.size() != inputNames.size())
      return xf::ErrorMessage{path +
                              ": xf.input_shapes does not match xf.inputs"};
    for (const std::string &rank : split(*ranks, ',')) {
      int64_t value;
      if (!parseInt(rank, value))
        return xf::ErrorMessage{path + ": bad xf.output_ranks"};
      outputRanks.push_back(value);
    }
    if (outputRanks.size() != outputNames.size())
      return xf::ErrorMessage{path +
                              ": xf.output_ranks does not match xf.outputs"};
    if (auto m = weights.metadata("xf.max_context")) {
      int64_t value;
      if (parseInt(std::string(*m), value))
        maxContext = value;
    }
    auto logits = std::find(outputNames.begin(), outputNames.end(), "logits");
    if (logits == outputNames.end() || outputRanks[logits - outputNames.begin()] != 3)
      return xf::ErrorMessage{path + ": the model has no rank-3 'logits' output"};
    logitsOutput = logits - outputNames.begin();

    pastIndexOfInput.assign(inputNames.size(), -1);
    presentToPast.assign(outputNames.size(), -1);
    const std::string pastPrefix = "past_key_values.";
    for (size_t i = 0; i < inputNames.size(); ++i) {
      const std::string &name = inputNames[i];
      if (name == "input_ids" || name == "attention_mask" ||
          name == "position_ids")
        continue;
      if (name.rfind(pastPrefix, 0) != 0)
        return xf::ErrorMessage{path + ": the model has an input '" + name +
                                "' this program does not know how to fill"};
      PastInput past;
      for (const std::string &dim : split(shapes[i], 'x')) {
        int64_t value = 0;
        past.shape.push_back(parseInt(dim, value) ? value : -1);
      }
      if (past.shape.size() != 4)
        return xf::ErrorMessage{path + ": " + name + " is not of rank 4"};
      std::string present = "present." + name.substr(pastPrefix.size());
      auto found = std::find(outputNames.begin(), outputNames.end(), present);
      if (found == outputNames.end())
        return xf::ErrorMessage{path + ": input " + name + " has no output " +
                                present + " to be fed from"};
      pastIndexOfInput[i] = pastInputs.size();
      presentToPast[found - outputNames.begin()] = pastInputs.size();
      pastInputs.push_back(std::move(past));
    }
    return {};
  }

  xf::WeightsFile weights;
  std::vector<std::string> inputNames, outputNames;
  std::vector<int64_t> outputRanks;
  size_t logitsOutput = 0;
  std::vector<PastInput> pastInputs;
  std::vector<int> pastIndexOfInput, presentToPast;
  std::unordered_set<void *> ownedBuffers;
  int64_t pastLength = 0;
  /// The sequence so far, for models without a KV cache.
  std::vector<int64_t> history;
  /// What an empty past points at: a valid address holding nothing.
  float emptyPast = 0;
  int64_t vocabSize = 0;
  int64_t maxContext = 2048;
};

int fail(const std::string &message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

int64_t argmax(const LogitsView &logits, int64_t row, int64_t vocab) {
  int64_t best = 0;
  for (int64_t v = 1; v < vocab; ++v)
    if (logits.at(row, v) > logits.at(row, best))
      best = v;
  return best;
}

int runBench(Model &model, int64_t promptLength, int64_t generateLength) {
  std::vector<int64_t> ids(promptLength);
  uint64_t state = 12345;
  for (int64_t &id : ids) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    id = static_cast<int64_t>((state >> 33) % model.vocab());
  }
  auto start = Clock::now();
  auto logits = model.append(ids);
  if (!logits)
    return fail(logits.error());
  double prefill = secondsSince(start);
  start = Clock::now();
  for (int64_t i = 0; i < generateLength; ++i) {
    int64_t next = argmax(*logits, logits->rows - 1, model.vocab());
    logits = model.append({next});
    if (!logits)
      return fail(logits.error());
  }
  double decode = secondsSince(start);
  std::printf("prefill: %lld tokens in %.3f s, %.1f tokens/s\n",
              static_cast<long long>(promptLength), prefill,
              promptLength / prefill);
  std::printf("decode: %lld tokens in %.3f s, %.1f tokens/s%s\n",
              static_cast<long long>(generateLength), decode,
              generateLength ? generateLength / decode : 0.0,
              model.hasKVCache()
                  ? ""
                  : " (the model has no KV cache inputs: each step "
                    "recomputes the whole sequence)");
  return 0;
}

xf::Result<xf::Tokenizer> loadTokenizer(const Model &model) {
  return xf::Tokenizer::fromWeightsFile(model.weightsFile());
}

int runPerplexity(Model &model, const std::string &path, int64_t context,
                  int64_t maxChunks) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail("cannot read " + path + ": " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  auto tokenizer = loadTokenizer(model);
  if (!tokenizer)
    return fail(tokenizer.error());
  std::vector<int32_t> ids = tokenizer->encode(text, /*parseSpecial=*/false);
  int64_t chunks = ids.size() / context;
  if (maxChunks > 0)
    chunks = std::min(chunks, maxChunks);
  if (chunks == 0)
    return fail(path + " has " + std::to_string(ids.size()) +
                " tokens, fewer than one chunk of " + std::to_string(context));
  double nll = 0;
  int64_t scored = 0;
  auto start = Clock::now();
  for (int64_t c = 0; c < chunks; ++c) {
    std::vector<int64_t> chunk(ids.begin() + c * context,
                               ids.begin() + (c + 1) * context);
    model.reset();
    auto logits = model.append(chunk);
    if (!logits)
      return fail(logits.error());
    for (int64_t i = 0; i + 1 < context; ++i) {
      // log softmax in double: max-shifted log-sum-exp.
      double maxLogit = logits->at(i, 0);
      for (int64_t v = 1; v < model.vocab(); ++v)
        maxLogit = std::max<double>(maxLogit, logits->at(i, v));
      double sum = 0;
      for (int64_t v = 0; v < model.vocab(); ++v)
        sum += std::exp(logits->at(i, v) - maxLogit);
      nll += maxLogit + std::log(sum) - logits->at(i, chunk[i + 1]);
      ++scored;
    }
    std::fprintf(stderr, "[chunk %lld/%lld] perplexity so far %.4f\n",
                 static_cast<long long>(c + 1), static_cast<long long>(chunks),
                 std::exp(nll / scored));
  }
  std::printf("perplexity: %.4f over %lld tokens (%lld chunks of %lld, %.1f "
              "s)\n",
              std::exp(nll / scored), static_cast<long long>(scored),
              static_cast<long long>(chunks), static_cast<long long>(context),
              secondsSince(start));
  return 0;
}

} // namespace

int main(int argc, char **argv) {
#if defined(__GLIBC__)
  // The model mallocs and frees its activations on every call (a 512-token
  // chunk's logits alone are 100 MB). glibc would mmap each large one and
  // unmap it on free, so every call paid for zeroing fresh pages; from the
  // heap, and kept there, the same memory is reused.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string weightsPath = std::string(argv[0]) + ".xfw";
  std::vector<int64_t> prompt;
  std::optional<std::string> promptText, systemText;
  int64_t maxTokens = -1, promptLength = -1, generateLength = -1;
  int64_t context = 512, maxChunks = 0, threads = 0;
  std::string logitsPath, textPath;
  xf::SamplingParams sampling;
  sampling.temperature = 0;
  uint64_t seed = 0;
  enum class Mode { Generate, Bench, Perplexity } mode = Mode::Generate;
  if (!args.empty() && args[0] == "bench")
    mode = Mode::Bench;
  else if (!args.empty() && args[0] == "ppl")
    mode = Mode::Perplexity;
  bool verifyWeights = false, chat = false;
  auto usageError = [](const std::string &message) {
    std::cerr << "error: " << message << "\n(see --help)\n";
    return 2;
  };
  for (size_t i = mode == Mode::Generate ? 0 : 1; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--verify-weights") {
      verifyWeights = true;
      continue;
    }
    if (arg == "--chat") {
      chat = true;
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
    } else if (arg == "--prompt") {
      promptText = value;
    } else if (arg == "--system") {
      systemText = value;
    } else if (arg == "--max-tokens" && parseInt(value, number) && number >= 0) {
      maxTokens = number;
    } else if (arg == "--prompt-len" && parseInt(value, number) && number > 0) {
      promptLength = number;
    } else if (arg == "--gen-len" && parseInt(value, number) && number >= 0) {
      generateLength = number;
    } else if (arg == "--file") {
      textPath = value;
    } else if (arg == "--ctx" && parseInt(value, number) && number >= 2) {
      context = number;
    } else if (arg == "--chunks" && parseInt(value, number) && number >= 0) {
      maxChunks = number;
    } else if (arg == "--threads" && parseInt(value, number) && number > 0) {
      threads = number;
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
  if (mode == Mode::Bench && (promptLength < 0 || generateLength < 0))
    return usageError("bench needs --prompt-len and --gen-len");
  if (mode == Mode::Perplexity && textPath.empty())
    return usageError("ppl needs --file");
  if (mode == Mode::Generate) {
    if (prompt.empty() == !promptText)
      return usageError("give a prompt with either --prompt or --tokens");
    if (chat && !promptText)
      return usageError("--chat needs --prompt");
  }
  if (threads > 0)
    xf::setNumThreads(static_cast<int>(threads));

  auto loaded = Model::load(weightsPath);
  if (!loaded)
    return fail(loaded.error());
  Model &model = **loaded;
  if (verifyWeights) {
    if (auto verified = model.weightsFile().verifyChecksums(); !verified)
      return fail(verified.error());
  }
  if (mode == Mode::Bench)
    return runBench(model, promptLength, generateLength);
  if (mode == Mode::Perplexity)
    return runPerplexity(model, textPath, context, maxChunks);

  std::optional<xf::Tokenizer> tokenizer;
  if (promptText) {
    auto loadedTokenizer = loadTokenizer(model);
    if (!loadedTokenizer)
      return fail(loadedTokenizer.error());
    tokenizer.emplace(std::move(*loadedTokenizer));
    std::string text = *promptText;
    if (chat) {
      auto templated = tokenizer->applyChatTemplate(text, systemText);
      if (!templated)
        return fail(templated.error());
      text = std::move(*templated);
    }
    if (tokenizer->addBos() && tokenizer->bosId())
      prompt.push_back(*tokenizer->bosId());
    for (int32_t id : tokenizer->encode(text))
      prompt.push_back(id);
    if (prompt.empty())
      return usageError("the prompt is empty");
    if (maxTokens < 0)
      maxTokens = 256;
  }
  if (maxTokens < 0)
    maxTokens = 32;
  for (int64_t id : prompt)
    if (id >= model.vocab())
      return usageError("token id " + std::to_string(id) +
                        " is not below the vocabulary size " +
                        std::to_string(model.vocab()));

  auto sampler = xf::Sampler::create(sampling, seed);
  if (!sampler)
    return usageError(sampler.error());
  std::vector<int32_t> stopIds;
  std::optional<xf::Tokenizer::StreamDecoder> stream;
  if (tokenizer) {
    stopIds = tokenizer->stopIds();
    stream.emplace(*tokenizer, /*skipSpecial=*/true);
  }
  std::ofstream logitsOut;
  if (!logitsPath.empty()) {
    logitsOut.open(logitsPath, std::ios::binary | std::ios::trunc);
    if (!logitsOut)
      return fail("cannot write " + logitsPath);
  }
  auto writeRows = [&](const LogitsView &logits) {
    for (int64_t r = 0; r < logits.rows; ++r) {
      std::vector<float> row = logits.row(r, model.vocab());
      logitsOut.write(reinterpret_cast<const char *>(row.data()),
                      row.size() * sizeof(float));
    }
  };

  auto start = Clock::now();
  double prefillSeconds = 0;
  int64_t generated = 0;
  std::vector<int64_t> next = prompt;
  for (int64_t step = 0; step < maxTokens; ++step) {
    auto logits = model.append(next);
    if (!logits)
      return fail(logits.error());
    if (step == 0)
      prefillSeconds = secondsSince(start);
    if (logitsOut.is_open())
      writeRows(*logits);
    std::vector<float> last = logits->row(logits->rows - 1, model.vocab());
    int32_t id = sampler->sample(last.data(), model.vocab());
    ++generated;
    // Each id or piece of text is printed as soon as it exists.
    if (stream) {
      if (std::find(stopIds.begin(), stopIds.end(), id) != stopIds.end())
        break;
      std::cout << stream->push(id) << std::flush;
    } else {
      std::cout << (step ? "," : "") << id << std::flush;
    }
    next = {id};
  }
  if (stream)
    std::cout << stream->finish();
  std::cout << "\n" << std::flush;
  if (logitsOut.is_open() && !logitsOut.flush())
    return fail("cannot write " + logitsPath);
  if (tokenizer) {
    double total = secondsSince(start);
    std::fprintf(stderr,
                 "[%lld prompt tokens at %.1f tokens/s, %lld generated at "
                 "%.1f tokens/s]\n",
                 static_cast<long long>(prompt.size()),
                 prompt.size() / std::max(prefillSeconds, 1e-9),
                 static_cast<long long>(generated),
                 generated > 1
                     ? (generated - 1) / std::max(total - prefillSeconds, 1e-9)
                     : 0.0);
  }
  return 0;
}
