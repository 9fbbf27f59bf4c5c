//===- WeightMemory.h - weight bytes that can leave RSS ---------*- C++ -*-===//
//
// Where the weights' bytes live during a compile, so that a compile's
// resident memory does not grow with the model (issue 20). Two kinds of
// memory hold weights and can give their pages back without losing them:
//
//   - file-backed read-only mappings (the importer's ONNX external data, the
//     GPTQ statistics), registered here: dropping a page only unmaps it, and
//     the next read faults it back in from the file;
//   - the scratch arena: blobs that passes make (quantized codes, scales) in
//     an unlinked temporary file mapped shared, so that their pages go to
//     the page cache (and the disk) instead of the heap.
//
// releaseWeightPages drops pages only inside such ranges: on heap memory
// MADV_DONTNEED would zero the data.
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_WEIGHTMEMORY_H
#define XF_PASSES_WEIGHTMEMORY_H

#include "mlir/IR/AsmState.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstddef>
#include <string>

namespace xf {

/// Records [data, data + size) as a read-only, file-backed private mapping
/// whose pages releaseWeightPages may drop. Unregister before unmapping.
void registerFileBackedRange(const void *data, size_t size);
void unregisterFileBackedRange(const void *data);

/// Drops from resident memory the pages that lie wholly inside
/// [data, data + size), if the range is inside a registered mapping or a
/// scratch blob; does nothing otherwise. The bytes stay readable.
void releaseWeightPages(const void *data, size_t size);

/// Where scratch blobs' file goes (default: $TMPDIR, else /tmp). xfc puts
/// it beside OUT: the disk that must hold the weights anyway. Takes effect
/// before the first scratch blob.
void setScratchDirectory(std::string directory);

/// A mutable blob holding a copy of `data`, aligned to `alignment`, in the
/// scratch file, its pages already released. Falls back to the heap where
/// no scratch file can be made or the disk has no room for `data`.
mlir::AsmResourceBlob copyToScratchBlob(llvm::ArrayRef<char> data,
                                        size_t alignment);

} // namespace xf

#endif // XF_PASSES_WEIGHTMEMORY_H
