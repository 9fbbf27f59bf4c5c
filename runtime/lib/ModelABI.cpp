//===- ModelABI.cpp - descriptors for calling generated code --------------===//

#include "xf/ModelABI.h"

#include "xf/CommandLine.h"
#include "xf/ModelMetadata.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace xf {

MemRefDescriptor::MemRefDescriptor(const void *data,
                                   const std::vector<int64_t> &sizes)
    : storage(wordCount(sizes.size()), 0) {
  int64_t rank = sizes.size();
  auto address = reinterpret_cast<int64_t>(data);
  storage[0] = storage[1] = address;
  int64_t stride = 1;
  for (int64_t r = rank - 1; r >= 0; --r) {
    storage[3 + r] = sizes[r];
    storage[3 + rank + r] = stride;
    stride *= sizes[r];
  }
}

std::vector<OutputView> readResults(const int64_t *block,
                                    const std::vector<int64_t> &ranks) {
  std::vector<OutputView> outputs;
  for (int64_t rank : ranks) {
    OutputView view;
    view.allocated = reinterpret_cast<void *>(block[0]);
    view.aligned = reinterpret_cast<const void *>(block[1]);
    view.offset = block[2];
    view.sizes.assign(block + 3, block + 3 + rank);
    view.strides.assign(block + 3 + rank, block + 3 + 2 * rank);
    outputs.push_back(std::move(view));
    block += MemRefDescriptor::wordCount(rank);
  }
  return outputs;
}

} // namespace xf

namespace {
/// MLIR's unranked memref as passed to memrefCopy: a rank and a pointer to a
/// ranked descriptor.
struct UnrankedMemRef {
  int64_t rank;
  int64_t *descriptor;
};
} // namespace

/// Copies between two strided buffers of the same shape. Generated code calls
/// it for memref.copy of non-contiguous layouts (MLIR's C runner utilities
/// define the same symbol; programs must not depend on those).
extern "C" void memrefCopy(int64_t elementSize, UnrankedMemRef *source,
                           UnrankedMemRef *target) {
  int64_t rank = source->rank;
  const int64_t *s = source->descriptor;
  const int64_t *t = target->descriptor;
  auto *from = reinterpret_cast<const char *>(s[1]) + s[2] * elementSize;
  auto *to = reinterpret_cast<char *>(t[1]) + t[2] * elementSize;
  if (rank == 0) {
    std::memcpy(to, from, elementSize);
    return;
  }
  const int64_t *sizes = s + 3, *fromStrides = s + 3 + rank,
                *toStrides = t + 3 + rank;
  int64_t count = 1;
  for (int64_t r = 0; r < rank; ++r)
    count *= sizes[r];
  if (count == 0)
    return;
  // The innermost dimensions that are contiguous in both buffers go as one
  // memcpy (concatenating KV caches copies rows of head_dim floats, and a
  // call per element made this a hot spot).
  int64_t inner = rank, run = 1;
  while (inner > 0 && fromStrides[inner - 1] == run &&
         toStrides[inner - 1] == run) {
    run *= sizes[inner - 1];
    --inner;
  }
  int64_t runBytes = run * elementSize;
  int64_t runs = count / run;
  std::vector<int64_t> index(inner, 0);
  int64_t fromOffset = 0, toOffset = 0;
  for (int64_t n = 0; n < runs; ++n) {
    std::memcpy(to + toOffset * elementSize, from + fromOffset * elementSize,
                runBytes);
    for (int64_t r = inner - 1; r >= 0; --r) {
      ++index[r];
      fromOffset += fromStrides[r];
      toOffset += toStrides[r];
      if (index[r] < sizes[r])
        break;
      fromOffset -= fromStrides[r] * sizes[r];
      toOffset -= toStrides[r] * sizes[r];
      index[r] = 0;
    }
  }
}

//===----------------------------------------------------------------------===//
// bindModel
//===----------------------------------------------------------------------===//

namespace {

using namespace xf;

bool startsWith(const std::string &text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

/// kv_cache.L.key or kv_cache.L.value, of a rank-4 shape with static
/// [kv_heads, block_tokens, head_dim].
Result<void> bindPool(const ModelInput &input, InputBinding &binding,
                      const std::string &path) {
  std::vector<std::string> parts = splitList(input.name, '.');
  const std::vector<int64_t> &shape = input.shape;
  if (parts.size() != 3 || !parseInt(parts[1], binding.layer) ||
      binding.layer < 0 || (parts[2] != "key" && parts[2] != "value") ||
      shape.size() != 4 || shape[1] <= 0 || shape[2] <= 0 || shape[3] <= 0)
    return ErrorMessage{path + ": bad KV pool input '" + input.name + "' (" +
                        shapeString(shape) + ")"};
  binding.role = InputRole::KVPool;
  binding.kind = parts[2] == "key" ? 0 : 1;
  binding.shape = shape;
  return {};
}

/// past_key_values.*, fed from the output present.* of the previous call.
Result<void> bindPast(const ModelMetadata &metadata, const ModelInput &input,
                      InputBinding &binding, const std::string &path) {
  if (input.shape.size() != 4)
    return ErrorMessage{path + ": " + input.name + " is not of rank 4"};
  std::string present = std::string(abi::kPresentPrefix) +
                        input.name.substr(abi::kPastPrefix.size());
  binding.present = metadata.outputIndex(present);
  if (binding.present < 0)
    return ErrorMessage{path + ": input " + input.name + " has no output " +
                        present + " to be fed from"};
  binding.role = InputRole::Past;
  binding.shape = input.shape;
  return {};
}

/// The roles every model may have, and the paged model's own.
std::optional<InputRole> namedRole(const std::string &name, bool paged) {
  if (name == abi::kInputIds)
    return InputRole::InputIds;
  if (name == abi::kAttentionMask)
    return InputRole::AttentionMask;
  if (name == abi::kPositionIds)
    return InputRole::PositionIds;
  if (!paged)
    return std::nullopt;
  if (name == abi::kSlotMapping)
    return InputRole::SlotMapping;
  if (name == abi::kBlockTables)
    return InputRole::BlockTables;
  if (name == abi::kContextLens)
    return InputRole::ContextLens;
  if (name == abi::kLogitsRows)
    return InputRole::LogitsRows;
  return std::nullopt;
}

/// Every pool plane present once, all of one shape.
Result<void> checkPools(ModelBinding &binding, const std::string &path) {
  int64_t planes = 0;
  for (const InputBinding &input : binding.inputs) {
    if (input.role != InputRole::KVPool)
      continue;
    ++planes;
    binding.layers = std::max(binding.layers, input.layer + 1);
    if (binding.poolShape.empty())
      binding.poolShape = input.shape;
    else if (input.shape != binding.poolShape)
      return ErrorMessage{
          path + ": the KV pools of all layers must have one shape "
                 "(kv_heads x block x head_dim); this runtime does not "
                 "mix them"};
  }
  if (planes == 0)
    return ErrorMessage{path + ": a paged model without kv_cache.* inputs"};
  if (planes != 2 * binding.layers)
    return ErrorMessage{path + ": kv_cache.* inputs are incomplete"};
  return {};
}

} // namespace

Result<ModelBinding> xf::bindModel(const ModelMetadata &metadata,
                                   const std::string &path) {
  ModelBinding binding;
  int64_t logits = metadata.outputIndex(std::string(abi::kLogits));
  if (logits < 0 || metadata.outputs[logits].rank != 3)
    return ErrorMessage{path + ": the model has no rank-3 'logits' output"};
  binding.logitsOutput = logits;
  binding.paged =
      metadata.inputIndex(std::string(abi::kSlotMapping)) >= 0;
  for (const ModelInput &input : metadata.inputs) {
    InputBinding bound;
    if (auto role = namedRole(input.name, binding.paged)) {
      bound.role = *role;
      binding.selectsRows |= *role == InputRole::LogitsRows;
    } else if (binding.paged && startsWith(input.name, abi::kPoolPrefix)) {
      if (auto ok = bindPool(input, bound, path); !ok)
        return ErrorMessage{ok.error()};
    } else if (!binding.paged && startsWith(input.name, abi::kPastPrefix)) {
      if (auto ok = bindPast(metadata, input, bound, path); !ok)
        return ErrorMessage{ok.error()};
    } else {
      return ErrorMessage{path + ": the model has an input '" + input.name +
                          "' this program does not know how to fill"};
    }
    binding.inputs.push_back(std::move(bound));
  }
  if (binding.paged)
    if (auto ok = checkPools(binding, path); !ok)
      return ErrorMessage{ok.error()};
  return binding;
}
