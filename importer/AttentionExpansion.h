//===- AttentionExpansion.h - ONNX Attention -> onnx ops ------*- C++ -*-===//
//
// The onnx dialect has no Attention op: the importer expands an ONNX
// Attention node (opset 23, 24) into the ops ONNX's reference implementation
// computes, in the form passes/Fusion/AttentionFusion.cpp turns back into
// one xf.attention.
//
//===----------------------------------------------------------------------===//

#ifndef XF_IMPORTER_ATTENTIONEXPANSION_H
#define XF_IMPORTER_ATTENTIONEXPANSION_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace onnx {
class NodeProto;
} // namespace onnx

namespace xf {

/// Creates the onnx op `onnx.<opType>` at the builder's insertion point with
/// `numResults` results whose types it infers, and verifies it; on failure
/// the op is gone and an error was reported.
using ONNXOpCreator = llvm::function_ref<mlir::FailureOr<mlir::Operation *>(
    llvm::StringRef opType, mlir::ValueRange operands,
    llvm::ArrayRef<mlir::NamedAttribute> attributes, unsigned numResults)>;

/// Expands the Attention node `node` (operator version `version`, 23 or 24)
/// with inputs `inputs` (null for an absent optional one) into onnx ops made
/// by `create`, at `loc`. Sets `outputs` to Y, present_key, present_value
/// and qk_matmul_output (null where the node does not ask for it). Errors
/// are reported at `loc`.
mlir::LogicalResult
expandAttention(const onnx::NodeProto &node, int64_t version,
                llvm::ArrayRef<mlir::Value> inputs, mlir::OpBuilder &builder,
                mlir::Location loc, ONNXOpCreator create,
                llvm::SmallVectorImpl<mlir::Value> &outputs);

} // namespace xf

#endif // XF_IMPORTER_ATTENTIONEXPANSION_H
