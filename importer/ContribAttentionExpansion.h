//===- ContribAttentionExpansion.h - com.microsoft attention ---*- C++ -*-===//
//
// ONNX Runtime's contrib operators com.microsoft.MultiHeadAttention and
// com.microsoft.GroupQueryAttention, expanded into the onnx ops they compute,
// in the form passes/Fusion (AttentionFusion.cpp, RopeFusion.cpp) turns into
// one xf.attention (and xf.rope for GroupQueryAttention's rotary embedding).
//
//===----------------------------------------------------------------------===//

#ifndef XF_IMPORTER_CONTRIBATTENTIONEXPANSION_H
#define XF_IMPORTER_CONTRIBATTENTIONEXPANSION_H

#include "importer/AttentionExpansion.h"

namespace xf {

/// Whether the node (`domain`, `opType`) is a contrib attention operator
/// that expandContribAttention expands.
bool isContribAttention(llvm::StringRef domain, llvm::StringRef opType);

/// Expands the com.microsoft MultiHeadAttention or GroupQueryAttention node
/// `node` with inputs `inputs` (null for an absent optional one) into onnx
/// ops made by `create`, at `loc`. Sets `outputs` to output, present_key and
/// present_value. Forms it does not implement are refused with an error at
/// `loc` that says what is unsupported.
mlir::LogicalResult
expandContribAttention(const onnx::NodeProto &node,
                       llvm::ArrayRef<mlir::Value> inputs,
                       mlir::OpBuilder &builder, mlir::Location loc,
                       ONNXOpCreator create,
                       llvm::SmallVectorImpl<mlir::Value> &outputs);

} // namespace xf

#endif // XF_IMPORTER_CONTRIBATTENTIONEXPANSION_H
