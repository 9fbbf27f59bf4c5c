//===- CompiledModel.h - the program's compiled model -----------*- C++ -*-===//
//
// The compiled function (xf_packed_main, ModelABI.h) with its weights file,
// bound through the file's ModelMetadata. Two kinds exist. A paged model
// (xf-insert-kv-cache ran: it takes slot_mapping) keeps every sequence's
// keys and values in the runtime's KVCache and runs B sequences of S new
// tokens per call: it is the engine's ModelStep. Any other model runs as it
// was exported, one sequence at a time (append/reset): with optimum's
// past_key_values.* it gets the previous call's present.* back as its past;
// without, it recomputes the whole sequence every step.
//
// In libxfrt_main (with the front ends), not libxfrt: it calls the
// generated code, which only a program links.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_COMPILEDMODEL_H
#define XF_RUNTIME_INCLUDE_XF_COMPILEDMODEL_H

#include "xf/Engine.h"
#include "xf/ModelABI.h"
#include "xf/ModelMetadata.h"
#include "xf/WeightsFile.h"

#include <memory>
#include <optional>
#include <unordered_set>

namespace xf {

/// Which model of the program: the one it runs, or the draft model xfc
/// --draft=self:int4|self:int8|draft.onnx compiled in beside it (its
/// metadata under "draft.", its tensors named "draft/...", its entry point
/// xf_draft_packed_main; ModelMetadata.h).
enum class ModelPart { Main, Draft };

class CompiledModel : public ModelStep {
public:
  using SequenceId = KVCache::SequenceId;

  /// Maps the weights at `path` and binds the model. `kvMemory`: bytes of a
  /// paged model's KV pool (0: what xfc recorded, else 512 MiB).
  static Result<std::unique_ptr<CompiledModel>>
  load(const std::string &path, int64_t kvMemory = 0,
       ModelPart part = ModelPart::Main);

  /// What running the model at `path` keeps resident, as load() would set
  /// it up, found without allocating or reading any of it.
  struct ResidentMemory {
    /// The whole weights file: it is mapped, and a token reads every layer.
    uint64_t weightBytes = 0;
    /// The paged KV pool's budget (0 for a model without one).
    uint64_t kvPoolBytes = 0;
  };
  static Result<ResidentMemory> residentMemory(const std::string &path,
                                               int64_t kvMemory = 0);
  ~CompiledModel() override;

  // ModelStep (paged models only).
  int64_t vocabSize() const override { return meta.vocabSize; }
  int64_t maxContext() const override { return meta.maxContext; }
  KVCache &cache() override { return *kv; }
  Result<LogitsView> run(const std::vector<SequenceId> &seqs,
                         bool allRows) override;

  /// The compiler-made draft (xfc --draft=self:layers=N: the target's first
  /// layers, its final norm and head, xf_draft_packed_main), run over this
  /// model's KV cache with its weights; null if the program has none.
  ModelStep *layersDraft();
  /// Speculative decoding rolls a sequence back by up to this many
  /// positions: blocks behind a sliding window are released that much later.
  void setRollbackMargin(int64_t positions) { rollbackMargin = positions; }
  /// The single sequence once append has created it.
  std::optional<SequenceId> currentSequence() const { return current; }

  const ModelMetadata &metadata() const { return meta; }
  const WeightsFile &weightsFile() const { return weights; }
  bool isPaged() const { return binding.paged; }
  bool hasKVCache() const;
  /// Output `index` of the last call; valid until the next call.
  const OutputView &lastOutput(size_t index) const {
    return lastOutputs[index];
  }

  // The single sequence, for every kind of model.
  /// Whether it may share cached prefix blocks (paged). Off when every
  /// position's logits are wanted (--logits, ppl).
  void setReusePrefix(bool reuse) { reusePrefix = reuse; }
  /// Tokens in the single sequence.
  int64_t contextLength() const;
  /// Forgets the single sequence: the next append starts from nothing.
  void reset();
  /// Appends `ids` to the single sequence and returns the logits of the
  /// positions computed (all of `ids`, unless a paged model found a prefix
  /// of them in its cache: then the last ones). With `allRows` false the
  /// view may hold the last position's row only. Valid until the next call.
  Result<LogitsView> append(const std::vector<int64_t> &ids,
                            bool allRows = true);

private:
  /// A past_key_values input's state: the previous call's present.
  struct PastState {
    const float *data = nullptr;
  };

  using EntryPoint = void (*)(void **);
  class LayersDraft;

  explicit CompiledModel(WeightsFile file);
  Result<LogitsView> runEntry(EntryPoint entry,
                              const std::vector<SequenceId> &seqs,
                              bool allRows);
  Result<void> createCache(int64_t kvMemory);
  void releaseOutputs();
  std::vector<OutputView> invoke(EntryPoint entry,
                                 std::vector<MemRefDescriptor> &descriptors);
  Result<LogitsView> appendUnpaged(const std::vector<int64_t> &ids);
  Result<void> keepPresents(const std::vector<OutputView> &outputs,
                            int64_t length);

  WeightsFile weights;
  /// The tensors of this part, in argument order.
  std::vector<TensorView> partTensors;
  EntryPoint entryPoint = nullptr;
  ModelMetadata meta;
  ModelBinding binding;
  std::vector<int64_t> outputRanks;
  std::unordered_set<void *> ownedBuffers;
  std::vector<OutputView> lastOutputs;
  /// Unpaged models: per input, the past fed to it (Past inputs only).
  std::vector<PastState> pasts;
  int64_t pastLength = 0;
  /// The sequence so far, for models without a KV cache.
  std::vector<int64_t> history;
  /// What an empty past points at: a valid address holding nothing.
  float emptyPast = 0;
  bool reusePrefix = true;
  int64_t rollbackMargin = 0;
  std::unique_ptr<LayersDraft> draft;
  std::optional<KVCache> kv;
  /// The single sequence of a paged model.
  std::optional<SequenceId> current;
};

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_COMPILEDMODEL_H
