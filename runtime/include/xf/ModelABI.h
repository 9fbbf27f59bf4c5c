//===- ModelABI.h - the contract between generated code and runtime -*- C++ -*-===//
//
// xfc compiles a model's @main into a function the runtime calls as
//
//   extern "C" void xf_packed_main(void **args);
//
//   args[0]      the results block: one strided memref descriptor per output
//                of the model, in output order, laid end to end. The callee
//                writes it; each output's buffer is malloc'd by the callee
//                and belongs to the caller (free its `allocated` pointer).
//   args[1 + i]  a pointer to the descriptor of @main's argument i: first the
//                model's inputs, in the order of the ONNX graph's inputs,
//                then its weights, in the order of the .xfw tensor table.
//
// A descriptor of rank R is 3 + 2R 64-bit words: allocated pointer, aligned
// pointer, offset (in elements), sizes[R], strides[R] (in elements). This is
// MLIR's C interface for memrefs.
//
// The .xfw's ModelMetadata (xf/ModelMetadata.h: input names and shapes,
// output names and ranks, max context, KV pool size and window) tells the
// program what to pass; bindModel() maps each input to its role below.
//
// A model compiled with the paged KV cache (xf-insert-kv-cache; its inputs
// include slot_mapping) takes, for B sequences of S new tokens each,
// flattened sequence by sequence and left-padded to S:
//   input_ids [1, B*S] i64, position_ids [1, B*S] i64 (0 for padding),
//   slot_mapping [1, B*S] i32 (block * block_tokens + slot, -1 for padding),
//   block_tables [B, W] i32 (xf::KVCache::writeBlockTables),
//   context_lens [B] i32 (tokens in the cache after this call),
//   kv_cache.L.key, kv_cache.L.value: plane [L][k|v] of the KVCache pool as
//   a contiguous [blocks, kv_heads, block_tokens, head_dim] array,
// and returns logits [1, B*S, vocab]; it writes the new keys and values into
// the pool in place. A model that also takes
//   logits_rows [R] i64 (xf-select-logits-rows: rows of the stream)
// returns logits [1, R, vocab] for those rows only: the runtime asks for the
// last token of each sequence when it samples, for every row when it needs
// them all (ppl, --logits).
//
// This header is the only place the contract is written down; the compiler
// side (codegen/Target/LLVMEmission.h, tools/xfc) produces exactly this.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_MODELABI_H
#define XF_RUNTIME_INCLUDE_XF_MODELABI_H

#include "xf/Result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" void xf_packed_main(void **args);

namespace xf {

/// The roles of a language model's inputs and outputs, by the names the
/// compiler gives them (xf-identify-model-roles finds them by dataflow,
/// whatever the exporter called them) and the program binds by.
namespace abi {
inline constexpr std::string_view kInputIds = "input_ids";
inline constexpr std::string_view kAttentionMask = "attention_mask";
inline constexpr std::string_view kPositionIds = "position_ids";
inline constexpr std::string_view kCachePosition = "cache_position";
inline constexpr std::string_view kLogits = "logits";
/// past_key_values.L.key / .value and present.L.key / .value.
inline constexpr std::string_view kPastPrefix = "past_key_values.";
inline constexpr std::string_view kPresentPrefix = "present.";
/// The paged KV cache's inputs (xf-insert-kv-cache, xf-select-logits-rows).
inline constexpr std::string_view kSlotMapping = "slot_mapping";
inline constexpr std::string_view kBlockTables = "block_tables";
inline constexpr std::string_view kContextLens = "context_lens";
inline constexpr std::string_view kLogitsRows = "logits_rows";
/// kv_cache.L.key / .value.
inline constexpr std::string_view kPoolPrefix = "kv_cache.";
} // namespace abi

struct ModelMetadata;

/// What the runtime passes for one input of the compiled function.
enum class InputRole {
  InputIds,
  AttentionMask,
  PositionIds,
  SlotMapping,
  BlockTables,
  ContextLens,
  LogitsRows,
  KVPool, ///< kv_cache.L.key/value: plane [layer][kind] of the paged pool
  Past,   ///< past_key_values.*: the previous call's output `present`
};

struct InputBinding {
  InputRole role = InputRole::InputIds;
  /// KVPool: the layer and 0 for key, 1 for value.
  int64_t layer = 0;
  int64_t kind = 0;
  /// Past: the output fed back as this input, and its shape (-1 dynamic).
  int64_t present = -1;
  std::vector<int64_t> shape;
};

/// Every input of a compiled model bound to its role: the one place that
/// reads the contract above from a model's metadata.
struct ModelBinding {
  std::vector<InputBinding> inputs;
  /// Takes slot_mapping: runs over the paged KV cache.
  bool paged = false;
  /// Takes logits_rows: computes only the logits rows asked for.
  bool selectsRows = false;
  size_t logitsOutput = 0;
  /// Paged: layers, and the [?, kv_heads, block_tokens, head_dim] shape every
  /// pool plane shares.
  int64_t layers = 0;
  std::vector<int64_t> poolShape;
};

/// Binds `metadata`'s inputs; an error names `path` and the input.
Result<ModelBinding> bindModel(const ModelMetadata &metadata,
                               const std::string &path);

/// A strided memref descriptor of any rank, as words.
class MemRefDescriptor {
public:
  /// A contiguous row-major view of `data` with the given sizes.
  MemRefDescriptor(const void *data, const std::vector<int64_t> &sizes);

  static int64_t wordCount(int64_t rank) { return 3 + 2 * rank; }
  void *words() { return storage.data(); }

private:
  std::vector<int64_t> storage;
};

/// An output read back from the results block.
struct OutputView {
  void *allocated;
  const void *aligned;
  int64_t offset;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

/// Reads the outputs of ranks `ranks` from a results block.
std::vector<OutputView> readResults(const int64_t *block,
                                    const std::vector<int64_t> &ranks);

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_MODELABI_H
