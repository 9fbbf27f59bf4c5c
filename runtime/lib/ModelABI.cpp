//===- ModelABI.cpp - descriptors for calling generated code --------------===//

#include "xf/ModelABI.h"

#include <cstring>

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
