//===- Common.cpp - what the program's front ends share -------------------===//

#include "Frontends.h"

#include "xf/CommandLine.h"
#include "xf/Kernels.h"
#include "xf/Tokenizer.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

using namespace xf;
using namespace xf::frontends;

int xf::frontends::fail(const std::string &message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

int xf::frontends::usageError(const std::string &message) {
  std::cerr << "error: " << message << "\n(see --help)\n";
  return 2;
}

namespace {
/// What a run needs beyond its weights and KV pool: a prefill chunk's
/// activations and logits, the runtime's buffers.
constexpr uint64_t kActivationMargin = uint64_t(256) << 20;

/// MemAvailable from /proc/meminfo in bytes, or nothing where there is none.
/// XF_TEST_MEMAVAILABLE replaces it (bytes, suffixes K, M, G): only the
/// tests set it, to be a machine too small for any model.
std::optional<uint64_t> availableMemory() {
  if (const char *fake = std::getenv("XF_TEST_MEMAVAILABLE")) {
    int64_t bytes = 0;
    if (parseBytes(fake, bytes))
      return static_cast<uint64_t>(bytes);
  }
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib) {
    std::getline(meminfo, unit);
    if (key == "MemAvailable:")
      return kib * 1024;
  }
  return std::nullopt;
}

std::string humanBytes(uint64_t bytes) {
  char text[32];
  if (bytes < (uint64_t(1) << 30))
    std::snprintf(text, sizeof text, "%.1f MiB", bytes / double(1 << 20));
  else
    std::snprintf(text, sizeof text, "%.2f GiB", bytes / double(1 << 30));
  return text;
}
} // namespace

int xf::frontends::checkResidentMemory(const Options &options) {
  auto memory =
      CompiledModel::residentMemory(options.weightsPath, options.kvMemory);
  if (!memory)
    return fail(memory.error());
  std::optional<uint64_t> available = availableMemory();
  uint64_t needed =
      memory->weightBytes + memory->kvPoolBytes + kActivationMargin;
  if (!available || needed <= *available)
    return 0;
  return usageError(
      "this model needs about " + humanBytes(needed) + " of memory to run (" +
      humanBytes(memory->weightBytes) + " of weights in " +
      options.weightsPath +
      " + " + humanBytes(memory->kvPoolBytes) + " of KV cache + " +
      humanBytes(kActivationMargin) + " for activations), but only " +
      humanBytes(*available) +
      " is available (MemAvailable in /proc/meminfo): it would thrash. "
      "Give a smaller --kv-memory, or compile a quantized build (xfc "
      "--quantize=int8, or int4 for a quarter of the f32 weights' size)");
}

std::string xf::frontends::jsonString(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

double xf::frontends::secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Result<std::unique_ptr<Drafter>>
xf::frontends::makeDrafter(CompiledModel &model, const Options &options) {
  std::unique_ptr<Drafter> none;
  const ModelMetadata &meta = model.metadata();
  std::string draft = options.draft;
  if (draft.empty() && meta.draftNgram)
    draft = "ngram:" + std::to_string(*meta.draftNgram);
  if (draft.empty() && meta.draftLayers)
    draft = "self:layers";
  if (draft.empty() && meta.draftModel)
    draft = "model";
  if (options.noSpeculate || draft.empty() || draft == "none")
    return none;
  if (!model.isPaged())
    return ErrorMessage{"--draft needs a model compiled with the paged KV "
                        "cache (this one is not; see xfc's warning)"};
  // A speculative step rolls a sequence back by at most this much (and a
  // draft model's own sequence likewise).
  model.setRollbackMargin(kFewRowsMatmul);
  if (draft == "ngram" || draft.rfind("ngram:", 0) == 0) {
    int64_t n = 3;
    if (draft != "ngram" && (!parseInt(draft.substr(6), n) || n < 1))
      return ErrorMessage{"--draft " + draft + ": N in ngram:N must be a "
                          "positive integer"};
    return std::unique_ptr<Drafter>(new NgramDrafter(n));
  }
  if (draft == "self:layers") {
    ModelStep *layers = model.layersDraft();
    if (!layers)
      return ErrorMessage{"--draft self:layers: this program has no layers "
                          "draft (compile it with xfc --draft=self:layers=N)"};
    return std::unique_ptr<Drafter>(new ModelDrafter(
        *layers, /*sharesTargetCache=*/true,
        "self:layers=" + std::to_string(*meta.draftLayers)));
  }
  if (draft == "model") {
    if (!meta.draftModel)
      return ErrorMessage{"--draft model: this program has no draft model "
                          "(compile it with xfc --draft=self:int8, "
                          "self:int4 or DRAFT.onnx)"};
    auto loaded = CompiledModel::load(options.weightsPath, options.kvMemory,
                                      ModelPart::Draft);
    if (!loaded)
      return ErrorMessage{"--draft model: " + loaded.error()};
    (*loaded)->setRollbackMargin(kFewRowsMatmul);
    if (!(*loaded)->isPaged())
      return ErrorMessage{"--draft model: the draft model is not paged"};
    if ((*loaded)->vocabSize() != model.vocabSize())
      return ErrorMessage{"--draft model: the draft's vocabulary (" +
                          std::to_string((*loaded)->vocabSize()) +
                          ") is not the model's (" +
                          std::to_string(model.vocabSize()) + ")"};
    return std::unique_ptr<Drafter>(new ModelDrafter(
        std::unique_ptr<ModelStep>(std::move(*loaded)),
        *meta.draftModel));
  }
  return ErrorMessage{"--draft " + draft +
                      ": expected ngram[:N], self:layers, model or none"};
}

Result<std::vector<std::vector<int64_t>>>
xf::frontends::readChunks(const CompiledModel &model, const Options &options) {
  const std::string &path = options.textPath;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return ErrorMessage{"cannot read " + path + ": " + std::strerror(errno)};
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  auto tokenizer = Tokenizer::fromWeightsFile(model.weightsFile());
  if (!tokenizer)
    return ErrorMessage{tokenizer.error()};
  std::vector<int32_t> ids = tokenizer->encode(text, /*parseSpecial=*/false);
  int64_t context = options.context;
  int64_t count = ids.size() / context;
  if (options.maxChunks > 0)
    count = std::min(count, options.maxChunks);
  if (count == 0)
    return ErrorMessage{path + " has " + std::to_string(ids.size()) +
                        " tokens, fewer than one chunk of " +
                        std::to_string(context)};
  std::vector<std::vector<int64_t>> chunks;
  for (int64_t c = 0; c < count; ++c)
    chunks.emplace_back(ids.begin() + c * context,
                        ids.begin() + (c + 1) * context);
  return chunks;
}
