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

#include "xf/KVCache.h"
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
#include <deque>
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
  PROGRAM --prompts-file FILE [--max-batch N] [--max-tokens N] [sampling]
  PROGRAM --tokens-file FILE [--max-batch N] [--max-tokens N] [sampling]
  PROGRAM bench --prompt-len P --gen-len G [--batch N]
  PROGRAM ppl --file TEXT [--ctx N] [--chunks C]
  PROGRAM logits --file TEXT [--ctx N] [--chunks C] --logits FILE
  PROGRAM calibrate --file TEXT [--ctx N] [--chunks C] --out FILE
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

--prompts-file generates for every line of FILE (one prompt each) together:
all running sequences decode in one call per step, and a prompt joins as soon
as there is room (continuous batching, up to --max-batch sequences, default
16). Each result is printed as one JSON line, in the order of the prompts:
{"index": I, "prompt": "...", "completion": "..."}. --tokens-file does the
same with a line of comma-separated ids per prompt and prints a line of
generated ids per prompt. KV-cache use goes to stderr. Both need a model
compiled with the paged KV cache.

bench prints prefill and decode tokens per second for a prompt of P random
ids followed by G generated tokens; with --batch N (paged models), N such
sequences decode together and the decode figure is their aggregate.

ppl prints the perplexity of the model on the text in FILE: the text is split
into consecutive chunks of N tokens (default 512), each evaluated from an
empty context, and every token of a chunk but the first is scored. --chunks C
stops after C chunks.

logits runs the chunks ppl scores and writes every position's logits to
FILE (as --logits: float32 rows of vocab floats, chunk after chunk); it
prints each chunk's token ids as one comma-separated line. xfc --eval-text
compares two programs with it.

calibrate runs the same chunks through a program compiled for calibration
(xfc --calibration makes one) and writes the mean Gram matrix E[x x^T] of
the inputs of each linear layer to FILE, for GPTQ; it prints one JSON line
per matrix: name, weights (the layers that read those inputs), k, tokens,
trace and frobenius (its norm).

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
  --kv-memory BYTES  size of the paged KV pool (suffixes K, M, G; default:
                     what xfc --kv-memory recorded, else 512M)
  --recompute        no KV cache reuse: every step recomputes the whole
                     sequence (to check cached decoding against)
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

/// "512M", "1G", "65536": bytes.
bool parseBytes(const std::string &text, int64_t &value) {
  if (text.empty())
    return false;
  int64_t scale = 1;
  std::string digits = text;
  switch (std::toupper(static_cast<unsigned char>(text.back()))) {
  case 'K': scale = int64_t(1) << 10; break;
  case 'M': scale = int64_t(1) << 20; break;
  case 'G': scale = int64_t(1) << 30; break;
  default: break;
  }
  if (scale != 1)
    digits.pop_back();
  if (!parseInt(digits, value) || value <= 0)
    return false;
  value *= scale;
  return true;
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

/// The compiled model, its weights, and the state of its sequences.
///
/// Two kinds of compiled model exist. A paged one (xf-insert-kv-cache ran:
/// its inputs include slot_mapping) keeps every sequence's keys and values
/// in the runtime's paged KV pool (xf/KVCache.h) and runs B sequences of S
/// new tokens each per call, flattened into [1, B*S] and left-padded. Any
/// other model is run the way it was exported: with optimum's
/// past_key_values.* it gets the previous call's present.* back as its
/// past; without, it recomputes the whole sequence every step.
class Model {
public:
  using SequenceId = xf::KVCache::SequenceId;

  /// `kvMemory`: bytes for the KV pool of a paged model (0: the default
  /// xfc recorded, else 512 MiB).
  static xf::Result<std::unique_ptr<Model>> load(const std::string &path,
                                                 int64_t kvMemory = 0) {
    auto file = xf::WeightsFile::open(path);
    if (!file)
      return xf::ErrorMessage{file.error()};
    std::unique_ptr<Model> model(new Model(std::move(*file)));
    if (auto loaded = model->readSignature(path); !loaded)
      return xf::ErrorMessage{loaded.error()};
    if (model->paged) {
      if (auto created = model->createCache(path, kvMemory); !created)
        return xf::ErrorMessage{created.error()};
    }
    return model;
  }

  ~Model() { releaseState(); }

  int64_t vocab() const { return vocabSize; }
  int64_t maxContextLength() const { return maxContext; }
  int64_t contextLength() const {
    if (paged)
      return current ? kv->length(*current) : 0;
    return pastLength + history.size();
  }
  bool hasKVCache() const { return paged || !pastInputs.empty(); }
  bool isPaged() const { return paged; }
  const xf::WeightsFile &weightsFile() const { return weights; }
  const std::vector<std::string> &outputs() const { return outputNames; }
  /// Output `index` of the last call; valid until the next call.
  const xf::OutputView &lastOutput(size_t index) const {
    return lastOutputs[index];
  }
  xf::KVCache &cache() { return *kv; }

  /// Whether a new single sequence may share cached prefix blocks. Off when
  /// every position's logits are wanted (--logits, ppl).
  void setReusePrefix(bool reuse) { reusePrefix = reuse; }

  /// Forgets the sequence: the next call starts from an empty context.
  void reset() {
    releaseState();
    pastLength = 0;
    history.clear();
    if (current)
      kv->freeSequence(*current);
    current.reset();
  }

  /// Appends `ids` to the sequence and returns the logits of the positions
  /// computed (all of `ids`, unless a paged model found a prefix of them in
  /// its cache: then the last ones). With `allRows` false the view may hold
  /// the last position's row only (a model that selects its logits rows
  /// computes no other). The view stays valid until the next call of
  /// append, step or reset.
  xf::Result<LogitsView> append(const std::vector<int64_t> &ids,
                                bool allRows = true) {
    int64_t total = contextLength() + ids.size();
    if (total > maxContext)
      return xf::ErrorMessage{
          "the sequence would have " + std::to_string(total) +
          " tokens; this program was compiled for at most " +
          std::to_string(maxContext) + " (xfc --max-context)"};
    if (ids.empty())
      return xf::ErrorMessage{"no tokens to run"};
    if (paged) {
      std::vector<int32_t> tokens(ids.begin(), ids.end());
      if (!current) {
        auto created = kv->createSequence(tokens, reusePrefix);
        if (!created)
          return xf::ErrorMessage{created.error()};
        current = created->id;
      } else if (auto appended = kv->appendTokens(*current, tokens);
                 !appended) {
        return xf::ErrorMessage{appended.error()};
      }
      return step({*current}, allRows);
    }
    return appendUnpaged(ids);
  }

  /// Paged models: runs the tokens each of `seqs` has reserved in the cache
  /// but not computed (createSequence / appendTokens), as one call, and
  /// marks them computed. With `allRows`, row `b * S + i` of the result
  /// holds token i of the S (the longest count) of sequence b,
  /// right-aligned: the last token of sequence b is row `b * S + S - 1`.
  /// Without, row b holds the last token of sequence b (the only rows a
  /// model that selects its logits rows computes).
  xf::Result<LogitsView> step(const std::vector<SequenceId> &seqs,
                              bool allRows = false) {
    int64_t batch = seqs.size(), width = 1, perSequence = 1;
    for (SequenceId seq : seqs) {
      perSequence = std::max(perSequence,
                             kv->length(seq) - kv->computedLength(seq));
      width = std::max<int64_t>(width, kv->blockTable(seq).size());
    }
    int64_t n = batch * perSequence, blockTokens = kv->blockTokens();
    std::vector<int64_t> ids(n, 0), positions(n, 0);
    std::vector<int32_t> slots(n, -1), lens(batch), tables(batch * width);
    for (int64_t b = 0; b < batch; ++b) {
      SequenceId seq = seqs[b];
      int64_t length = kv->length(seq), done = kv->computedLength(seq);
      const std::vector<int32_t> &tokens = kv->tokens(seq);
      const std::vector<xf::KVCache::BlockId> &table = kv->blockTable(seq);
      int64_t pad = perSequence - (length - done);
      for (int64_t p = done; p < length; ++p) {
        int64_t row = b * perSequence + pad + (p - done);
        ids[row] = tokens[p];
        positions[row] = p;
        slots[row] =
            table[p / blockTokens] * blockTokens + p % blockTokens;
      }
      lens[b] = static_cast<int32_t>(length);
    }
    std::vector<int64_t> rows;
    if (selectsRows)
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t i = allRows ? 0 : perSequence - 1; i < perSequence; ++i)
          rows.push_back(b * perSequence + i);
    if (auto written =
            kv->writeBlockTables(seqs.data(), batch, width, tables.data());
        !written)
      return xf::ErrorMessage{written.error()};

    std::vector<xf::MemRefDescriptor> descriptors;
    descriptors.reserve(inputNames.size() + weights.tensors().size());
    xf::KVPoolLayout layout = kv->poolLayout();
    for (size_t i = 0; i < inputNames.size(); ++i) {
      const std::string &name = inputNames[i];
      if (name == "input_ids")
        descriptors.emplace_back(ids.data(), std::vector<int64_t>{1, n});
      else if (name == "position_ids")
        descriptors.emplace_back(positions.data(), std::vector<int64_t>{1, n});
      else if (name == "slot_mapping")
        descriptors.emplace_back(slots.data(), std::vector<int64_t>{1, n});
      else if (name == "block_tables")
        descriptors.emplace_back(tables.data(),
                                 std::vector<int64_t>{batch, width});
      else if (name == "context_lens")
        descriptors.emplace_back(lens.data(), std::vector<int64_t>{batch});
      else if (name == "logits_rows")
        descriptors.emplace_back(
            rows.data(), std::vector<int64_t>{int64_t(rows.size())});
      else {
        const PoolInput &pool = poolInputs[poolIndexOfInput[i]];
        const std::byte *base =
            kv->poolData() + (pool.layer * layout.strides[0] +
                              pool.kind * layout.strides[1]) *
                                 kv->config().elementBytes;
        descriptors.emplace_back(base,
                                 std::vector<int64_t>{
                                     layout.sizes[2], layout.sizes[3],
                                     layout.sizes[4], layout.sizes[5]});
      }
    }
    std::vector<xf::OutputView> outputs = invoke(descriptors);
    for (SequenceId seq : seqs) {
      kv->markComputed(seq);
      // Every layer attends within kvWindow keys: the next query (at the
      // current length) never reads a block wholly before its window.
      if (kvWindow > 0)
        kv->releaseBefore(seq, kv->length(seq) - kvWindow + 1);
    }
    const xf::OutputView &logits = outputs[logitsOutput];
    LogitsView view;
    view.rowStride = logits.strides[1];
    view.vocabStride = logits.strides[2];
    view.base = static_cast<const float *>(logits.aligned) + logits.offset;
    view.rows = selectsRows ? int64_t(rows.size()) : n;
    if (!allRows && !selectsRows) {
      // The same rows as a selecting model's: the last of each sequence
      // (one per sequence, S apart).
      view.base += (perSequence - 1) * view.rowStride;
      view.rowStride *= perSequence;
      view.rows = batch;
    }
    return view;
  }

private:
  struct PastInput {
    std::vector<int64_t> shape;
    int64_t sequenceDim = 2;
    const float *data = nullptr;
  };
  /// kv_cache.L.key / .value: plane [L][kind] of the pool.
  struct PoolInput {
    int64_t layer = 0;
    int64_t kind = 0;
    std::vector<int64_t> shape; // [?, kv_heads, block_tokens, head_dim]
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

  /// Calls the model with `descriptors` for its inputs (the weights are
  /// added) and takes ownership of its outputs, freeing those of the
  /// previous call that are not among them (an output may be returned in
  /// an input's buffer).
  std::vector<xf::OutputView>
  invoke(std::vector<xf::MemRefDescriptor> &descriptors) {
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
    lastOutputs = outputs;
    return outputs;
  }

  xf::Result<LogitsView> appendUnpaged(const std::vector<int64_t> &ids) {
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
    std::vector<xf::OutputView> outputs = invoke(descriptors);
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

  /// Sizes the paged pool from the kv_cache.* inputs.
  xf::Result<void> createCache(const std::string &path, int64_t kvMemory) {
    xf::KVCacheConfig config;
    config.layers = 0;
    for (const PoolInput &pool : poolInputs)
      config.layers = std::max(config.layers, pool.layer + 1);
    const PoolInput &first = poolInputs.front();
    config.kvHeads = first.shape[1];
    config.blockTokens = first.shape[2];
    config.headDim = first.shape[3];
    config.elementBytes = 4;
    if (auto bytes = weights.metadata("xf.kv_element_bytes")) {
      int64_t value;
      if (parseInt(std::string(*bytes), value))
        config.elementBytes = value;
    }
    for (const PoolInput &pool : poolInputs)
      if (pool.shape != first.shape)
        return xf::ErrorMessage{
            path + ": the KV pools of all layers must have one shape "
                   "(kv_heads x block x head_dim); this runtime does not "
                   "mix them"};
    if (static_cast<int64_t>(poolInputs.size()) != 2 * config.layers)
      return xf::ErrorMessage{path + ": kv_cache.* inputs are incomplete"};
    if (kvMemory <= 0) {
      kvMemory = int64_t(512) << 20;
      if (auto recorded = weights.metadata("xf.kv_memory")) {
        int64_t value;
        if (parseInt(std::string(*recorded), value) && value > 0)
          kvMemory = value;
      }
    }
    config.budgetBytes = kvMemory;
    auto created = xf::KVCache::create(config);
    if (!created)
      return xf::ErrorMessage{created.error()};
    kv.emplace(std::move(*created));
    // The generated code reads each [layer][k|v] plane as a contiguous
    // [blocks, kv_heads, block_tokens, head_dim] array.
    xf::KVPoolLayout layout = kv->poolLayout();
    if (layout.strides[2] != layout.sizes[3] * layout.sizes[4] * layout.sizes[5])
      return xf::ErrorMessage{
          path + ": a KV block of this model is not a multiple of 64 bytes, "
                 "which the generated code's pool layout needs"};
    return {};
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
    if (auto w = weights.metadata("xf.kv_window")) {
      int64_t value;
      if (parseInt(std::string(*w), value) && value > 0)
        kvWindow = value;
    }
    auto logits = std::find(outputNames.begin(), outputNames.end(), "logits");
    if (logits == outputNames.end() || outputRanks[logits - outputNames.begin()] != 3)
      return xf::ErrorMessage{path + ": the model has no rank-3 'logits' output"};
    logitsOutput = logits - outputNames.begin();

    auto parseShape = [](const std::string &text) {
      std::vector<int64_t> shape;
      for (const std::string &dim : split(text, 'x')) {
        int64_t value = 0;
        shape.push_back(parseInt(dim, value) ? value : -1);
      }
      return shape;
    };
    paged = std::find(inputNames.begin(), inputNames.end(), "slot_mapping") !=
            inputNames.end();
    pastIndexOfInput.assign(inputNames.size(), -1);
    poolIndexOfInput.assign(inputNames.size(), -1);
    presentToPast.assign(outputNames.size(), -1);
    const std::string pastPrefix = "past_key_values.", poolPrefix = "kv_cache.";
    for (size_t i = 0; i < inputNames.size(); ++i) {
      const std::string &name = inputNames[i];
      if (name == "input_ids" || name == "attention_mask" ||
          name == "position_ids")
        continue;
      if (paged && (name == "slot_mapping" || name == "block_tables" ||
                    name == "context_lens"))
        continue;
      if (paged && name == "logits_rows") {
        selectsRows = true;
        continue;
      }
      if (paged && name.rfind(poolPrefix, 0) == 0) {
        // kv_cache.L.key or kv_cache.L.value
        std::vector<std::string> parts = split(name, '.');
        PoolInput pool;
        pool.shape = parseShape(shapes[i]);
        if (parts.size() != 3 || !parseInt(parts[1], pool.layer) ||
            (parts[2] != "key" && parts[2] != "value") ||
            pool.shape.size() != 4 || pool.shape[1] <= 0 ||
            pool.shape[2] <= 0 || pool.shape[3] <= 0)
          return xf::ErrorMessage{path + ": bad KV pool input '" + name +
                                  "' (" + shapes[i] + ")"};
        pool.kind = parts[2] == "key" ? 0 : 1;
        poolIndexOfInput[i] = poolInputs.size();
        poolInputs.push_back(std::move(pool));
        continue;
      }
      if (paged || name.rfind(pastPrefix, 0) != 0)
        return xf::ErrorMessage{path + ": the model has an input '" + name +
                                "' this program does not know how to fill"};
      PastInput past;
      past.shape = parseShape(shapes[i]);
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
    if (paged && poolInputs.empty())
      return xf::ErrorMessage{path + ": a paged model without kv_cache.* "
                                     "inputs"};
    return {};
  }

  xf::WeightsFile weights;
  std::vector<std::string> inputNames, outputNames;
  std::vector<int64_t> outputRanks;
  size_t logitsOutput = 0;
  std::vector<PastInput> pastInputs;
  std::vector<int> pastIndexOfInput, presentToPast;
  std::unordered_set<void *> ownedBuffers;
  std::vector<xf::OutputView> lastOutputs;
  int64_t pastLength = 0;
  /// The sequence so far, for models without a KV cache.
  std::vector<int64_t> history;
  /// What an empty past points at: a valid address holding nothing.
  float emptyPast = 0;
  int64_t vocabSize = 0;
  int64_t maxContext = 2048;
  /// Every layer attends within this many keys (0: some layer is global).
  int64_t kvWindow = 0;
  // Paged models.
  bool paged = false;
  /// The model takes logits_rows (xf-select-logits-rows): the head runs on
  /// the rows asked for only.
  bool selectsRows = false;
  bool reusePrefix = true;
  std::vector<PoolInput> poolInputs;
  std::vector<int> poolIndexOfInput;
  std::optional<xf::KVCache> kv;
  /// The sequence of append().
  std::optional<SequenceId> current;
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
  auto logits = model.append(ids, /*allRows=*/false);
  if (!logits)
    return fail(logits.error());
  double prefill = secondsSince(start);
  start = Clock::now();
  for (int64_t i = 0; i < generateLength; ++i) {
    int64_t next = argmax(*logits, logits->rows - 1, model.vocab());
    logits = model.append({next}, /*allRows=*/false);
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

/// One prompt of --prompts-file / --tokens-file and what it generated.
struct Request {
  std::vector<int32_t> prompt;
  std::vector<int32_t> generated;
  std::optional<xf::Sampler> sampler;
  bool done = false;
};

/// Continuous batching over the paged KV cache: every running sequence
/// decodes in one call per step; a prompt joins as soon as a batch slot and
/// the blocks for it are free, and a finished sequence leaves at once. When
/// the pool cannot hold the next token of every running sequence, the newest
/// is preempted (its blocks freed; it is recomputed from its tokens when it
/// rejoins). Identical prompt prefixes (whole blocks) are computed once.
/// `report` receives a line about speed and KV-cache use.
int runBatch(Model &model, std::vector<Request> &requests, int64_t maxTokens,
             int64_t maxBatch, const std::vector<int32_t> &stopIds,
             std::string &report) {
  if (!model.isPaged())
    return fail("several prompts need a model compiled with the paged KV "
                "cache (xfc pages it when every attention fuses); this one "
                "runs its sequences one at a time only");
  xf::KVCache &kv = model.cache();
  using SequenceId = Model::SequenceId;
  struct Running {
    size_t request;
    SequenceId seq;
  };
  std::deque<size_t> waiting;
  for (size_t i = 0; i < requests.size(); ++i)
    waiting.push_back(i);
  std::vector<Running> running;
  int64_t steps = 0, generatedTokens = 0, preemptions = 0, reusedTokens = 0,
          prefillTokens = 0, peakUsed = 0, peakShared = 0, peakBatch = 0;

  // Samples the next token of `r` from a logits row; true if it finished.
  auto advance = [&](Request &r, const LogitsView &logits, int64_t row) {
    std::vector<float> values = logits.row(row, model.vocab());
    int32_t id = r.sampler->sample(values.data(), model.vocab());
    ++generatedTokens;
    bool stop = std::find(stopIds.begin(), stopIds.end(), id) != stopIds.end();
    if (!stop)
      r.generated.push_back(id);
    r.done = stop || static_cast<int64_t>(r.generated.size()) >= maxTokens ||
             static_cast<int64_t>(r.prompt.size() + r.generated.size()) >=
                 model.maxContextLength();
    return r.done;
  };
  auto noteUsage = [&] {
    xf::KVCacheStats s = kv.stats();
    peakUsed = std::max(peakUsed, s.usedBlocks);
    peakShared = std::max(peakShared, s.sharedBlocks);
  };

  auto start = Clock::now();
  while (!waiting.empty() || !running.empty()) {
    // Join: prefill waiting prompts while there is room.
    while (!waiting.empty() &&
           static_cast<int64_t>(running.size()) < maxBatch) {
      size_t index = waiting.front();
      Request &r = requests[index];
      // A preempted request resumes from everything it has so far.
      std::vector<int32_t> tokens = r.prompt;
      tokens.insert(tokens.end(), r.generated.begin(), r.generated.end());
      if (static_cast<int64_t>(tokens.size()) >= model.maxContextLength())
        return fail("prompt " + std::to_string(index + 1) + " has " +
                    std::to_string(tokens.size()) +
                    " tokens; this program was compiled for at most " +
                    std::to_string(model.maxContextLength()));
      auto created = kv.createSequence(tokens);
      if (!created) {
        if (running.empty())
          return fail("prompt " + std::to_string(index + 1) +
                      " does not fit in the KV cache even alone: " +
                      created.error() + " (raise --kv-memory)");
        break; // wait for running sequences to finish
      }
      waiting.pop_front();
      reusedTokens += created->cachedTokens;
      prefillTokens += tokens.size() - created->cachedTokens;
      noteUsage();
      auto logits = model.step({created->id});
      if (!logits)
        return fail(logits.error());
      if (advance(r, *logits, logits->rows - 1))
        kv.freeSequence(created->id);
      else
        running.push_back({index, created->id});
    }
    if (running.empty())
      continue;

    // Reserve the next slot of every running sequence, preempting the
    // newest while the pool is short.
    for (size_t i = 0; i < running.size();) {
      Request &r = requests[running[i].request];
      if (kv.appendTokens(running[i].seq, &r.generated.back(), 1)) {
        ++i;
        continue;
      }
      auto newest = std::max_element(
          running.begin(), running.end(),
          [](const Running &a, const Running &b) { return a.seq < b.seq; });
      if (running.size() == 1)
        return fail("the KV cache cannot hold the next token of prompt " +
                    std::to_string(newest->request + 1) +
                    " (raise --kv-memory)");
      std::fprintf(stderr,
                   "[preempting prompt %zu: the KV cache is full; it is "
                   "recomputed when it rejoins]\n",
                   newest->request + 1);
      ++preemptions;
      // Tokens reserved for it this step are released with it.
      kv.freeSequence(newest->seq);
      waiting.push_front(newest->request);
      size_t removed = newest - running.begin();
      running.erase(newest);
      if (removed < i)
        --i;
    }
    noteUsage();
    peakBatch = std::max<int64_t>(peakBatch, running.size());
    std::vector<SequenceId> seqs;
    for (const Running &run : running)
      seqs.push_back(run.seq);
    auto logits = model.step(seqs);
    if (!logits)
      return fail(logits.error());
    ++steps;
    std::vector<Running> still;
    for (size_t b = 0; b < running.size(); ++b) {
      Request &r = requests[running[b].request];
      if (advance(r, *logits, b))
        kv.freeSequence(running[b].seq);
      else
        still.push_back(running[b]);
    }
    running = std::move(still);
  }
  double seconds = secondsSince(start);
  const xf::KVCacheConfig &config = kv.config();
  char line[512];
  std::snprintf(
      line, sizeof line,
      "[%zu prompts: %lld tokens generated in %.2f s (%.1f tokens/s), %lld "
      "decode steps, batch up to %lld; %lld prompt tokens computed, %lld "
      "reused from the prefix cache; KV cache: peak %lld of %lld blocks "
      "(%.1f of %.1f MiB, %lld tokens per block), peak %lld blocks shared, "
      "%lld preemptions]\n",
      requests.size(), static_cast<long long>(generatedTokens), seconds,
      generatedTokens / std::max(seconds, 1e-9),
      static_cast<long long>(steps), static_cast<long long>(peakBatch),
      static_cast<long long>(prefillTokens),
      static_cast<long long>(reusedTokens), static_cast<long long>(peakUsed),
      static_cast<long long>(kv.totalBlocks()),
      peakUsed * kv.bytesPerBlock() / 1048576.0,
      kv.totalBlocks() * kv.bytesPerBlock() / 1048576.0,
      static_cast<long long>(config.blockTokens),
      static_cast<long long>(peakShared), static_cast<long long>(preemptions));
  report = line;
  return 0;
}

/// JSON string literal of UTF-8 `text`.
std::string jsonString(const std::string &text) {
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

/// bench for paged models: `batch` sequences of random prompts, prefilled
/// one by one, then decoded together.
int runPagedBench(Model &model, int64_t promptLength, int64_t generateLength,
                  int64_t batch) {
  xf::KVCache &kv = model.cache();
  uint64_t state = 12345;
  std::vector<Model::SequenceId> seqs;
  std::vector<int32_t> next;
  auto start = Clock::now();
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int32_t> ids(promptLength);
    for (int32_t &id : ids) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      id = static_cast<int32_t>((state >> 33) % model.vocab());
    }
    auto created = kv.createSequence(ids);
    if (!created)
      return fail(created.error() + " (raise --kv-memory)");
    seqs.push_back(created->id);
    auto logits = model.step({created->id});
    if (!logits)
      return fail(logits.error());
    next.push_back(argmax(*logits, logits->rows - 1, model.vocab()));
  }
  double prefill = secondsSince(start);
  start = Clock::now();
  for (int64_t i = 0; i < generateLength; ++i) {
    for (int64_t b = 0; b < batch; ++b)
      if (auto appended = kv.appendTokens(seqs[b], &next[b], 1); !appended)
        return fail(appended.error() + " (raise --kv-memory)");
    auto logits = model.step(seqs);
    if (!logits)
      return fail(logits.error());
    for (int64_t b = 0; b < batch; ++b)
      next[b] = argmax(*logits, b, model.vocab());
  }
  double decode = secondsSince(start);
  std::printf("prefill: %lld tokens in %.3f s, %.1f tokens/s\n",
              static_cast<long long>(promptLength * batch), prefill,
              promptLength * batch / prefill);
  std::printf("decode: %lld tokens in %.3f s, %.1f tokens/s (batch %lld, "
              "context %lld to %lld)\n",
              static_cast<long long>(generateLength * batch), decode,
              generateLength ? generateLength * batch / decode : 0.0,
              static_cast<long long>(batch),
              static_cast<long long>(promptLength),
              static_cast<long long>(promptLength + generateLength));
  return 0;
}

xf::Result<xf::Tokenizer> loadTokenizer(const Model &model) {
  return xf::Tokenizer::fromWeightsFile(model.weightsFile());
}

/// --prompts-file / --tokens-file: reads the prompts, generates for all of
/// them together (runBatch) and prints the results in prompt order.
int runSeveral(Model &model, const std::string &promptsPath,
               const std::string &tokensPath, int64_t maxTokens,
               int64_t maxBatch, const xf::SamplingParams &sampling,
               uint64_t seed, bool chat,
               const std::optional<std::string> &systemText) {
  bool text = !promptsPath.empty();
  const std::string &path = text ? promptsPath : tokensPath;
  std::ifstream in(path);
  if (!in)
    return fail("cannot read " + path + ": " + std::strerror(errno));
  std::optional<xf::Tokenizer> tokenizer;
  if (text) {
    auto loaded = loadTokenizer(model);
    if (!loaded)
      return fail(loaded.error());
    tokenizer.emplace(std::move(*loaded));
  }
  std::vector<Request> requests;
  std::vector<std::string> lines;
  std::string line;
  for (int64_t lineNumber = 1; std::getline(in, line); ++lineNumber) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty())
      continue;
    Request r;
    if (text) {
      std::string prompt = line;
      if (chat) {
        auto templated = tokenizer->applyChatTemplate(prompt, systemText);
        if (!templated)
          return fail(templated.error());
        prompt = std::move(*templated);
      }
      // A chat template writes its own BOS (transformers encodes its text
      // without adding one).
      if (!chat && tokenizer->addBos() && tokenizer->bosId())
        r.prompt.push_back(*tokenizer->bosId());
      for (int32_t id : tokenizer->encode(prompt))
        r.prompt.push_back(id);
    } else {
      for (const std::string &id : split(line, ',')) {
        int64_t value;
        if (!parseInt(id, value) || value < 0 || value >= model.vocab())
          return fail(path + ":" + std::to_string(lineNumber) +
                      ": expected comma-separated token ids below " +
                      std::to_string(model.vocab()) + ", got '" + id + "'");
        r.prompt.push_back(static_cast<int32_t>(value));
      }
    }
    if (r.prompt.empty())
      return fail(path + ":" + std::to_string(lineNumber) +
                  ": the prompt is empty");
    auto sampler = xf::Sampler::create(sampling, seed + requests.size());
    if (!sampler)
      return fail(sampler.error());
    r.sampler.emplace(std::move(*sampler));
    requests.push_back(std::move(r));
    lines.push_back(line);
  }
  if (requests.empty())
    return fail(path + " has no prompts");
  if (maxTokens < 0)
    maxTokens = text ? 256 : 32;
  // With ids, exactly --max-tokens are generated, as with --tokens.
  std::vector<int32_t> stopIds;
  if (tokenizer)
    stopIds = tokenizer->stopIds();
  std::string report;
  if (int status =
          runBatch(model, requests, maxTokens, maxBatch, stopIds, report))
    return status;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request &r = requests[i];
    if (text) {
      std::vector<int32_t> ids(r.generated.begin(), r.generated.end());
      std::printf("{\"index\": %zu, \"prompt\": %s, \"completion\": %s}\n", i,
                  jsonString(lines[i]).c_str(),
                  jsonString(tokenizer->decode(ids, /*skipSpecial=*/true))
                      .c_str());
    } else {
      std::string out;
      for (size_t t = 0; t < r.generated.size(); ++t)
        out += (t ? "," : "") + std::to_string(r.generated[t]);
      std::printf("%s\n", out.c_str());
    }
  }
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", report.c_str());
  return 0;
}

/// The text of `path`, tokenized and cut into consecutive chunks of
/// `context` tokens (at most `maxChunks` of them, if positive): what ppl
/// scores and `logits` writes.
xf::Result<std::vector<std::vector<int64_t>>>
readChunks(const Model &model, const std::string &path, int64_t context,
           int64_t maxChunks) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return xf::ErrorMessage{"cannot read " + path + ": " +
                            std::strerror(errno)};
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  auto tokenizer = loadTokenizer(model);
  if (!tokenizer)
    return xf::ErrorMessage{tokenizer.error()};
  std::vector<int32_t> ids = tokenizer->encode(text, /*parseSpecial=*/false);
  int64_t count = ids.size() / context;
  if (maxChunks > 0)
    count = std::min(count, maxChunks);
  if (count == 0)
    return xf::ErrorMessage{path + " has " + std::to_string(ids.size()) +
                            " tokens, fewer than one chunk of " +
                            std::to_string(context)};
  std::vector<std::vector<int64_t>> chunks;
  for (int64_t c = 0; c < count; ++c)
    chunks.emplace_back(ids.begin() + c * context,
                        ids.begin() + (c + 1) * context);
  return chunks;
}

int runPerplexity(Model &model, const std::string &path, int64_t context,
                  int64_t maxChunks) {
  auto read = readChunks(model, path, context, maxChunks);
  if (!read)
    return fail(read.error());
  int64_t chunks = read->size();
  double nll = 0;
  int64_t scored = 0;
  auto start = Clock::now();
  for (int64_t c = 0; c < chunks; ++c) {
    const std::vector<int64_t> &chunk = (*read)[c];
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

/// `logits`: the chunks of runPerplexity, their logits to `logitsPath` and
/// their ids to stdout, for a comparison of two programs on the same text.
int runLogits(Model &model, const std::string &path, int64_t context,
              int64_t maxChunks, const std::string &logitsPath) {
  auto read = readChunks(model, path, context, maxChunks);
  if (!read)
    return fail(read.error());
  int64_t chunks = read->size();
  std::ofstream out(logitsPath, std::ios::binary | std::ios::trunc);
  if (!out)
    return fail("cannot write " + logitsPath);
  for (int64_t c = 0; c < chunks; ++c) {
    const std::vector<int64_t> &chunk = (*read)[c];
    model.reset();
    auto logits = model.append(chunk);
    if (!logits)
      return fail(logits.error());
    for (int64_t r = 0; r < logits->rows; ++r) {
      std::vector<float> row = logits->row(r, model.vocab());
      out.write(reinterpret_cast<const char *>(row.data()),
                row.size() * sizeof(float));
    }
    for (int64_t i = 0; i < context; ++i)
      std::cout << (i ? "," : "") << chunk[i];
    std::cout << "\n";
    std::fprintf(stderr, "[chunk %lld/%lld]\n", static_cast<long long>(c + 1),
                 static_cast<long long>(chunks));
  }
  if (!out.flush())
    return fail("cannot write " + logitsPath);
  return 0;
}

/// `calibrate`: the model's xf.gram.* outputs (xf-expose-linear-input-grams:
/// X^T X of the inputs of its linear layers) summed over the chunks of the
/// text, written as the mean Gram matrix E[x x^T] per input to a weights
/// file that xfc --calibration reads.
int runCalibrate(Model &model, const std::string &path, int64_t context,
                 int64_t maxChunks, const std::string &outPath) {
  std::vector<size_t> grams;
  for (size_t o = 0; o < model.outputs().size(); ++o)
    if (model.outputs()[o].rfind("xf.gram.", 0) == 0)
      grams.push_back(o);
  if (grams.empty())
    return fail("this program has no xf.gram.* outputs: compile it with "
                "xfc's calibration (xfc --calibration TEXT does)");
  auto read = readChunks(model, path, context, maxChunks);
  if (!read)
    return fail(read.error());
  std::vector<std::vector<double>> sums(grams.size());
  std::vector<int64_t> sizes(grams.size(), 0);
  int64_t tokens = 0;
  auto start = Clock::now();
  for (size_t c = 0; c < read->size(); ++c) {
    model.reset();
    auto logits = model.append((*read)[c]);
    if (!logits)
      return fail(logits.error());
    tokens += (*read)[c].size();
    for (size_t g = 0; g < grams.size(); ++g) {
      const xf::OutputView &view = model.lastOutput(grams[g]);
      if (view.sizes.size() != 2 || view.sizes[0] != view.sizes[1])
        return fail(model.outputs()[grams[g]] + " is not a square matrix");
      int64_t k = view.sizes[0];
      if (sums[g].empty()) {
        sums[g].assign(k * k, 0.0);
        sizes[g] = k;
      }
      const float *data = static_cast<const float *>(view.aligned) + view.offset;
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < k; ++j)
          sums[g][i * k + j] +=
              data[i * view.strides[0] + j * view.strides[1]];
    }
    std::fprintf(stderr, "[chunk %zu/%zu]\n", c + 1, read->size());
  }
  xf::WeightsFileWriter writer;
  writer.addMetadata("xf.calibration.text", path);
  writer.addMetadata("xf.calibration.tokens", std::to_string(tokens));
  std::vector<std::vector<float>> means(grams.size());
  for (size_t g = 0; g < grams.size(); ++g) {
    const std::string &name = model.outputs()[grams[g]];
    means[g].resize(sums[g].size());
    for (size_t i = 0; i < sums[g].size(); ++i)
      means[g][i] = float(sums[g][i] / double(tokens));
    std::string weights = "[]";
    if (auto recorded = model.weightsFile().metadata(name + ".weights"))
      weights = std::string(*recorded);
    writer.addMetadata(name + ".weights", weights);
    // A summary per matrix on stdout: its trace (the mean squared norm of
    // an input row) and Frobenius norm.
    double trace = 0, frobenius = 0;
    for (int64_t i = 0; i < sizes[g]; ++i)
      trace += means[g][i * sizes[g] + i];
    for (float v : means[g])
      frobenius += double(v) * v;
    std::printf("{\"name\": %s, \"weights\": %s, \"k\": %lld, \"tokens\": "
                "%lld, \"trace\": %.9g, \"frobenius\": %.9g}\n",
                jsonString(name).c_str(), weights.c_str(),
                static_cast<long long>(sizes[g]),
                static_cast<long long>(tokens), trace, std::sqrt(frobenius));
    if (auto added = writer.addTensor(name, xf::DType::F32,
                                      {sizes[g], sizes[g]}, means[g].data(),
                                      means[g].size() * sizeof(float));
        !added)
      return fail(added.error());
  }
  if (auto written = writer.write(outPath); !written)
    return fail(written.error());
  std::fprintf(stderr,
               "calibration: %zu input Gram matrices over %lld tokens (%.1f "
               "s) -> %s\n",
               grams.size(), static_cast<long long>(tokens),
               secondsSince(start), outPath.c_str());
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
  int64_t context = 512, maxChunks = 0, threads = 0, kvMemory = 0;
  int64_t maxBatch = 16, batch = 1;
  std::string logitsPath, textPath, promptsPath, tokensPath, outPath;
  xf::SamplingParams sampling;
  sampling.temperature = 0;
  uint64_t seed = 0;
  enum class Mode { Generate, Bench, Perplexity, Logits, Calibrate } mode =
      Mode::Generate;
  if (!args.empty() && args[0] == "bench")
    mode = Mode::Bench;
  else if (!args.empty() && args[0] == "ppl")
    mode = Mode::Perplexity;
  else if (!args.empty() && args[0] == "logits")
    mode = Mode::Logits;
  else if (!args.empty() && args[0] == "calibrate")
    mode = Mode::Calibrate;
  bool verifyWeights = false, chat = false, recompute = false;
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
    if (arg == "--recompute") {
      recompute = true;
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
    } else if (arg == "--kv-memory" && parseBytes(value, kvMemory)) {
    } else if (arg == "--prompts-file") {
      promptsPath = value;
    } else if (arg == "--tokens-file") {
      tokensPath = value;
    } else if (arg == "--max-batch" && parseInt(value, number) && number > 0) {
      maxBatch = number;
    } else if (arg == "--batch" && parseInt(value, number) && number > 0) {
      batch = number;
    } else if (arg == "--logits") {
      logitsPath = value;
    } else if (arg == "--out") {
      outPath = value;
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
  if (mode == Mode::Logits && (textPath.empty() || logitsPath.empty()))
    return usageError("logits needs --file and --logits");
  if (mode == Mode::Calibrate && (textPath.empty() || outPath.empty()))
    return usageError("calibrate needs --file and --out");
  bool several = !promptsPath.empty() || !tokensPath.empty();
  if (mode == Mode::Generate) {
    int given = !prompt.empty() + !!promptText + !promptsPath.empty() +
                !tokensPath.empty();
    if (given != 1)
      return usageError("give the prompt with exactly one of --prompt, "
                        "--tokens, --prompts-file, --tokens-file");
    if (chat && !promptText && promptsPath.empty())
      return usageError("--chat needs --prompt or --prompts-file");
  }
  if (threads > 0)
    xf::setNumThreads(static_cast<int>(threads));

  auto loaded = Model::load(weightsPath, kvMemory);
  if (!loaded)
    return fail(loaded.error());
  Model &model = **loaded;
  if (verifyWeights) {
    if (auto verified = model.weightsFile().verifyChecksums(); !verified)
      return fail(verified.error());
  }
  if (mode == Mode::Bench) {
    if (model.isPaged())
      return runPagedBench(model, promptLength, generateLength, batch);
    if (batch != 1)
      return usageError("bench --batch needs a model compiled with the paged "
                        "KV cache");
    return runBench(model, promptLength, generateLength);
  }
  // Perplexity and --logits want every position's logits: nothing may come
  // from the prefix cache.
  model.setReusePrefix(false);
  if (mode == Mode::Perplexity)
    return runPerplexity(model, textPath, context, maxChunks);
  if (mode == Mode::Calibrate)
    return runCalibrate(model, textPath, context, maxChunks, outPath);
  model.setReusePrefix(logitsPath.empty());
  if (several)
    return runSeveral(model, promptsPath, tokensPath, maxTokens, maxBatch,
                      sampling, seed, chat, systemText);
  if (mode == Mode::Logits)
    return runLogits(model, textPath, context, maxChunks, logitsPath);

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
    // A chat template writes its own BOS (transformers encodes its text
    // without adding one).
    if (!chat && tokenizer->addBos() && tokenizer->bosId())
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
  std::vector<int64_t> next = prompt, sequence = prompt;
  for (int64_t step = 0; step < maxTokens; ++step) {
    if (recompute && step > 0) {
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
      if (recompute && step > 0) {
        // Only the new position's row, as without --recompute.
        rows.base += (rows.rows - 1) * rows.rowStride;
        rows.rows = 1;
      }
      writeRows(rows);
    }
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
    sequence.push_back(id);
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
