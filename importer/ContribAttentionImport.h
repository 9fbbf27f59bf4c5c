//===- ContribAttentionImport.h - com.microsoft attention nodes -*- C++ -*-===//
//
// ONNX Runtime's MultiHeadAttention and GroupQueryAttention import one to
// one as onnx.com.microsoft.* ops (raised to xf.attention by
// xf-fuse-onnx-to-xf), but their schemas carry more than those ops state:
// quantized caches, head sinks, QK norms, extra outputs. This check refuses
// a node that uses any of it, naming the input, attribute or output, and
// says which inputs and attributes the op leaves out.
//
//===----------------------------------------------------------------------===//

#ifndef XF_IMPORTER_CONTRIBATTENTIONIMPORT_H
#define XF_IMPORTER_CONTRIBATTENTIONIMPORT_H

#include "mlir/IR/Location.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace onnx {
class NodeProto;
} // namespace onnx

namespace xf {

/// What the importer drops from an accepted node: inputs that must be
/// absent and have no operand, and attributes that hold the value meaning
/// "off" (the op has no attribute for them).
struct ContribAttentionForm {
  llvm::SmallVector<unsigned> droppedInputs;
  llvm::SmallVector<std::string> droppedAttributes;
};

/// Whether `node` is com.microsoft MultiHeadAttention or
/// GroupQueryAttention.
bool isContribAttention(llvm::StringRef domain, llvm::StringRef opType);

/// Checks `node` (a contrib attention node) for what its onnx op cannot
/// state; reports the first such thing at `loc` and fails.
mlir::FailureOr<ContribAttentionForm>
checkContribAttention(const onnx::NodeProto &node, mlir::Location loc);

} // namespace xf

#endif // XF_IMPORTER_CONTRIBATTENTIONIMPORT_H
