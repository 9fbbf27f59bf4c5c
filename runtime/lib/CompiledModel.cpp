//===- CompiledModel.cpp - the program's compiled model -------------------===//

#include "xf/CompiledModel.h"

#include <algorithm>
#include <cstdlib>

using namespace xf;

/// Defined only in a program compiled with a layers draft.
extern "C" void xf_draft_packed_main(void **args) __attribute__((weak));

/// The layers draft: the same inputs and cache as the target, another
/// entry point.
class CompiledModel::LayersDraft : public ModelStep {
public:
  explicit LayersDraft(CompiledModel &target) : target(target) {}
  int64_t vocabSize() const override { return target.vocabSize(); }
  int64_t maxContext() const override { return target.maxContext(); }
  KVCache &cache() override { return target.cache(); }
  Result<LogitsView> run(const std::vector<SequenceId> &seqs,
                         bool allRows) override {
    return target.runEntry(xf_draft_packed_main, seqs, allRows);
  }

private:
  CompiledModel &target;
};

namespace {

bool isContiguous(const OutputView &view) {
  int64_t stride = 1;
  for (int64_t r = view.sizes.size() - 1; r >= 0; --r) {
    if (view.sizes[r] != 1 && view.strides[r] != stride)
      return false;
    stride *= view.sizes[r];
  }
  return true;
}

/// The inputs of one paged call, B sequences of S tokens flattened into
/// [1, B*S] and left-padded (ModelABI.h).
struct PagedInputs {
  int64_t batch = 0, perSequence = 1, width = 1;
  std::vector<int64_t> ids, positions, rows;
  std::vector<int32_t> slots, lens, tables;
};

PagedInputs pagedInputs(KVCache &kv, const std::vector<KVCache::SequenceId> &seqs,
                        bool allRows, bool selectsRows) {
  PagedInputs in;
  in.batch = seqs.size();
  for (KVCache::SequenceId seq : seqs) {
    in.perSequence = std::max(in.perSequence,
                              kv.length(seq) - kv.computedLength(seq));
    in.width = std::max<int64_t>(in.width, kv.blockTable(seq).size());
  }
  int64_t n = in.batch * in.perSequence, blockTokens = kv.blockTokens();
  in.ids.assign(n, 0);
  in.positions.assign(n, 0);
  in.slots.assign(n, -1);
  in.lens.resize(in.batch);
  in.tables.resize(in.batch * in.width);
  for (int64_t b = 0; b < in.batch; ++b) {
    KVCache::SequenceId seq = seqs[b];
    int64_t length = kv.length(seq), done = kv.computedLength(seq);
    const std::vector<int32_t> &tokens = kv.tokens(seq);
    const std::vector<KVCache::BlockId> &table = kv.blockTable(seq);
    int64_t pad = in.perSequence - (length - done);
    for (int64_t p = done; p < length; ++p) {
      int64_t row = b * in.perSequence + pad + (p - done);
      in.ids[row] = tokens[p];
      in.positions[row] = p;
      in.slots[row] = table[p / blockTokens] * blockTokens + p % blockTokens;
    }
    in.lens[b] = static_cast<int32_t>(length);
  }
  if (selectsRows)
    for (int64_t b = 0; b < in.batch; ++b)
      for (int64_t i = allRows ? 0 : in.perSequence - 1; i < in.perSequence;
           ++i)
        in.rows.push_back(b * in.perSequence + i);
  return in;
}

} // namespace

namespace {
/// The KV pool's bytes: `kvMemory` if given, else what xfc recorded, else
/// 512 MiB.
int64_t kvBudget(const ModelMetadata &meta, int64_t kvMemory) {
  return kvMemory > 0 ? kvMemory
                      : meta.kvMemoryBytes.value_or(int64_t(512) << 20);
}
} // namespace

Result<std::unique_ptr<CompiledModel>>
CompiledModel::load(const std::string &path, int64_t kvMemory,
                    ModelPart part) {
  auto file = WeightsFile::open(path);
  if (!file)
    return ErrorMessage{file.error()};
  std::unique_ptr<CompiledModel> model(new CompiledModel(std::move(*file)));
  bool draft = part == ModelPart::Draft;
  model->entryPoint = draft ? xf_draft_packed_main : xf_packed_main;
  if (!model->entryPoint)
    return ErrorMessage{path + ": this program has no draft model compiled "
                               "in (xfc --draft=self:int8|self:int4|"
                               "draft.onnx makes one)"};
  const std::string kDraftTensors = "draft/";
  for (const TensorView &tensor : model->weights.tensors())
    if ((tensor.name.rfind(kDraftTensors, 0) == 0) == draft)
      model->partTensors.push_back(tensor);
  auto meta = ModelMetadata::read(model->weights, draft ? "draft." : "");
  if (!meta)
    return ErrorMessage{meta.error()};
  model->meta = std::move(*meta);
  auto bound = bindModel(model->meta, path);
  if (!bound)
    return ErrorMessage{bound.error()};
  model->binding = std::move(*bound);
  for (const ModelOutput &output : model->meta.outputs)
    model->outputRanks.push_back(output.rank);
  model->pasts.resize(model->binding.inputs.size());
  if (model->binding.paged)
    if (auto created = model->createCache(kvMemory); !created)
      return ErrorMessage{created.error()};
  return model;
}

Result<CompiledModel::ResidentMemory>
CompiledModel::residentMemory(const std::string &path, int64_t kvMemory) {
  auto file = WeightsFile::open(path);
  if (!file)
    return ErrorMessage{file.error()};
  auto meta = ModelMetadata::read(*file, "");
  if (!meta)
    return ErrorMessage{meta.error()};
  auto bound = bindModel(*meta, path);
  if (!bound)
    return ErrorMessage{bound.error()};
  ResidentMemory memory;
  memory.weightBytes = file->fileSize();
  if (bound->paged)
    memory.kvPoolBytes = kvBudget(*meta, kvMemory);
  return memory;
}

CompiledModel::CompiledModel(WeightsFile file) : weights(std::move(file)) {}

CompiledModel::~CompiledModel() { releaseOutputs(); }

ModelStep *CompiledModel::layersDraft() {
  if (!binding.paged || !meta.draftLayers || !xf_draft_packed_main ||
      entryPoint != xf_packed_main)
    return nullptr;
  if (!draft)
    draft = std::make_unique<LayersDraft>(*this);
  return draft.get();
}

/// Sizes the paged pool from the kv_cache.* inputs. The pool's elements
/// are f32: xf-insert-kv-cache makes f32 pools.
Result<void> CompiledModel::createCache(int64_t kvMemory) {
  KVCacheConfig config;
  config.layers = binding.layers;
  config.kvHeads = binding.poolShape[1];
  config.blockTokens = binding.poolShape[2];
  config.headDim = binding.poolShape[3];
  config.elementBytes = 4;
  config.budgetBytes = kvBudget(meta, kvMemory);
  auto created = KVCache::create(config);
  if (!created)
    return ErrorMessage{created.error()};
  kv.emplace(std::move(*created));
  // The generated code reads each [layer][k|v] plane as a contiguous
  // [blocks, kv_heads, block_tokens, head_dim] array.
  KVPoolLayout layout = kv->poolLayout();
  if (layout.strides[2] != layout.sizes[3] * layout.sizes[4] * layout.sizes[5])
    return ErrorMessage{
        weights.path() + ": a KV block of this model is not a multiple of 64 "
                         "bytes, which the generated code's pool layout needs"};
  return {};
}

bool CompiledModel::hasKVCache() const {
  if (binding.paged)
    return true;
  for (const InputBinding &input : binding.inputs)
    if (input.role == InputRole::Past)
      return true;
  return false;
}

int64_t CompiledModel::contextLength() const {
  if (binding.paged)
    return current ? kv->length(*current) : 0;
  return pastLength + history.size();
}

void CompiledModel::releaseOutputs() {
  for (void *buffer : ownedBuffers)
    std::free(buffer);
  ownedBuffers.clear();
  for (PastState &past : pasts)
    past.data = nullptr;
}

void CompiledModel::reset() {
  releaseOutputs();
  pastLength = 0;
  history.clear();
  if (current)
    kv->freeSequence(*current);
  current.reset();
}

/// Calls the model with `descriptors` for its inputs (the weights are
/// added) and takes ownership of its outputs, freeing those of the previous
/// call that are not among them (an output may be returned in an input's
/// buffer).
std::vector<OutputView>
CompiledModel::invoke(EntryPoint entry,
                      std::vector<MemRefDescriptor> &descriptors) {
  for (const TensorView &weight : partTensors)
    descriptors.emplace_back(weight.data, weight.shape);
  int64_t resultWords = 0;
  for (int64_t rank : outputRanks)
    resultWords += MemRefDescriptor::wordCount(rank);
  std::vector<int64_t> results(resultWords, 0);
  std::vector<void *> args = {results.data()};
  for (MemRefDescriptor &d : descriptors)
    args.push_back(d.words());
  entry(args.data());

  std::vector<OutputView> outputs = readResults(results.data(), outputRanks);
  std::unordered_set<void *> kept;
  for (const OutputView &output : outputs)
    kept.insert(output.allocated);
  for (void *old : ownedBuffers)
    if (!kept.count(old))
      std::free(old);
  ownedBuffers.clear();
  for (const OutputView &output : outputs)
    if (output.allocated && output.allocated != &emptyPast)
      ownedBuffers.insert(output.allocated);
  lastOutputs = outputs;
  return outputs;
}

Result<LogitsView> CompiledModel::append(const std::vector<int64_t> &ids,
                                         bool allRows) {
  int64_t total = contextLength() + ids.size();
  if (total > meta.maxContext)
    return ErrorMessage{"the sequence would have " + std::to_string(total) +
                        " tokens; this program was compiled for at most " +
                        std::to_string(meta.maxContext) + " (xfc --max-context)"};
  if (ids.empty())
    return ErrorMessage{"no tokens to run"};
  if (!binding.paged)
    return appendUnpaged(ids);
  std::vector<int32_t> tokens(ids.begin(), ids.end());
  if (!current) {
    auto created = kv->createSequence(tokens, reusePrefix);
    if (!created)
      return ErrorMessage{created.error()};
    current = created->id;
  } else if (auto appended = kv->appendTokens(*current, tokens); !appended) {
    return ErrorMessage{appended.error()};
  }
  return run({*current}, allRows);
}

Result<LogitsView> CompiledModel::run(const std::vector<SequenceId> &seqs,
                                      bool allRows) {
  return runEntry(entryPoint, seqs, allRows);
}

Result<LogitsView> CompiledModel::runEntry(EntryPoint entry,
                                           const std::vector<SequenceId> &seqs,
                                           bool allRows) {
  PagedInputs in = pagedInputs(*kv, seqs, allRows, binding.selectsRows);
  int64_t n = in.batch * in.perSequence;
  if (auto written =
          kv->writeBlockTables(seqs.data(), in.batch, in.width, in.tables.data());
      !written)
    return ErrorMessage{written.error()};

  std::vector<MemRefDescriptor> descriptors;
  descriptors.reserve(binding.inputs.size() + partTensors.size());
  KVPoolLayout layout = kv->poolLayout();
  for (const InputBinding &input : binding.inputs) {
    switch (input.role) {
    case InputRole::InputIds:
      descriptors.emplace_back(in.ids.data(), std::vector<int64_t>{1, n});
      break;
    case InputRole::PositionIds:
      descriptors.emplace_back(in.positions.data(), std::vector<int64_t>{1, n});
      break;
    case InputRole::SlotMapping:
      descriptors.emplace_back(in.slots.data(), std::vector<int64_t>{1, n});
      break;
    case InputRole::BlockTables:
      descriptors.emplace_back(in.tables.data(),
                               std::vector<int64_t>{in.batch, in.width});
      break;
    case InputRole::ContextLens:
      descriptors.emplace_back(in.lens.data(), std::vector<int64_t>{in.batch});
      break;
    case InputRole::LogitsRows:
      descriptors.emplace_back(in.rows.data(),
                               std::vector<int64_t>{int64_t(in.rows.size())});
      break;
    case InputRole::KVPool: {
      const std::byte *base =
          kv->poolData() +
          (input.layer * layout.strides[0] + input.kind * layout.strides[1]) *
              kv->config().elementBytes;
      descriptors.emplace_back(base, std::vector<int64_t>{
                                         layout.sizes[2], layout.sizes[3],
                                         layout.sizes[4], layout.sizes[5]});
      break;
    }
    case InputRole::AttentionMask:
    case InputRole::Past:
      return ErrorMessage{"a paged model takes no attention mask or past"};
    }
  }
  std::vector<OutputView> outputs = invoke(entry, descriptors);
  for (SequenceId seq : seqs) {
    kv->markComputed(seq);
    // Every layer attends within kvWindow keys: the next query (at the
    // current length, less what a speculative rollback may take back)
    // never reads a block wholly before its window.
    if (meta.kvWindow)
      kv->releaseBefore(seq, kv->length(seq) - rollbackMargin -
                                 *meta.kvWindow + 1);
  }
  const OutputView &logits = outputs[binding.logitsOutput];
  LogitsView view;
  view.rowStride = logits.strides[1];
  view.vocabStride = logits.strides[2];
  view.base = static_cast<const float *>(logits.aligned) + logits.offset;
  view.rows = binding.selectsRows ? int64_t(in.rows.size()) : n;
  if (!allRows && !binding.selectsRows) {
    // The same rows as a selecting model's: the last of each sequence (one
    // per sequence, S apart).
    view.base += (in.perSequence - 1) * view.rowStride;
    view.rowStride *= in.perSequence;
    view.rows = in.batch;
  }
  return view;
}

Result<LogitsView> CompiledModel::appendUnpaged(const std::vector<int64_t> &ids) {
  // Without a KV cache the model sees the whole sequence again.
  std::vector<int64_t> runIds = ids;
  int64_t skipRows = 0;
  if (!hasKVCache()) {
    history.insert(history.end(), ids.begin(), ids.end());
    runIds = history;
    skipRows = history.size() - ids.size();
  }
  int64_t n = runIds.size();
  std::vector<int64_t> mask(pastLength + n, 1), positions(n);
  for (int64_t i = 0; i < n; ++i)
    positions[i] = pastLength + i;

  std::vector<MemRefDescriptor> descriptors;
  descriptors.reserve(binding.inputs.size() + partTensors.size());
  for (size_t i = 0; i < binding.inputs.size(); ++i) {
    const InputBinding &input = binding.inputs[i];
    if (input.role == InputRole::InputIds) {
      descriptors.emplace_back(runIds.data(), std::vector<int64_t>{1, n});
    } else if (input.role == InputRole::AttentionMask) {
      descriptors.emplace_back(mask.data(),
                               std::vector<int64_t>{1, pastLength + n});
    } else if (input.role == InputRole::PositionIds) {
      descriptors.emplace_back(positions.data(), std::vector<int64_t>{1, n});
    } else {
      // A past_key_values input: the previous call's present, or empty.
      std::vector<int64_t> shape = input.shape;
      shape[0] = 1;
      shape[2] = pastLength;
      descriptors.emplace_back(pasts[i].data ? pasts[i].data : &emptyPast,
                               shape);
    }
  }
  std::vector<OutputView> outputs = invoke(entryPoint, descriptors);
  if (auto kept = keepPresents(outputs, pastLength + n); !kept)
    return ErrorMessage{kept.error()};
  if (hasKVCache())
    pastLength += n;

  const OutputView &logits = outputs[binding.logitsOutput];
  LogitsView view;
  view.base = static_cast<const float *>(logits.aligned) + logits.offset +
              skipRows * logits.strides[1];
  view.rows = n - skipRows;
  view.rowStride = logits.strides[1];
  view.vocabStride = logits.strides[2];
  return view;
}

/// Each present.* output becomes the past of its past_key_values.* input.
Result<void> CompiledModel::keepPresents(const std::vector<OutputView> &outputs,
                                         int64_t length) {
  for (size_t i = 0; i < binding.inputs.size(); ++i) {
    const InputBinding &input = binding.inputs[i];
    if (input.role != InputRole::Past)
      continue;
    const OutputView &present = outputs[input.present];
    if (present.sizes.size() != input.shape.size() ||
        present.sizes[2] != length || !isContiguous(present))
      return ErrorMessage{meta.outputs[input.present].name +
                          " is not a contiguous [.., " +
                          std::to_string(length) +
                          ", ..] tensor, so it cannot be fed back as the past"};
    pasts[i].data = static_cast<const float *>(present.aligned) + present.offset;
  }
  return {};
}
