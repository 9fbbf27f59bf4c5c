//===- ShapeChecks.h - run-time handling of unproven dimensions -*- C++ -*-===//
//
// What the lowerings do with a dimension that is `?` at compile time: ask
// the symbolic shape analysis whether it equals the size the op needs, and
// where it does not prove that, check it at run time (xf.check_dim) and, for
// a broadcast, handle a run-time size of 1.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_UTILS_SHAPECHECKS_H
#define XF_CODEGEN_UTILS_SHAPECHECKS_H

#include "dialects/ONNX/IR/SymbolicShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include <string>

namespace xf {

/// The symbolic shape analysis over onnx and xf ops and what their
/// lowerings leave (linalg, tensor.empty, tensor.dim), with every dynamic
/// dimension under `root` computed in program order, so that later queries
/// (from patterns that rewrite the IR under the analysis) find their answers
/// without walking IR that may have changed.
ONNX::SymbolicShapeAnalysis createShapeAnalysis(mlir::Operation *root);

/// Where a run-time error points: "model.onnx: node 'Add_3' (onnx.Add)",
/// from the op's location as the importer writes it.
std::string describeOp(mlir::Operation *op);

/// xf.check_dim: at run time `size` must be `expected`, or with `broadcast`
/// also 1; `message` names the op and the dimension.
void createDimCheck(mlir::OpBuilder &b, mlir::Location loc, mlir::Value size,
                    mlir::Value expected, bool broadcast,
                    const llvm::Twine &message);

/// Unless `shapes` proves it, checks at run time that dimension `lhsDim` of
/// `lhs` equals dimension `rhsDim` of `rhs` (values `op` reads, before or
/// after lowering alike: the analysis follows both); the message is
/// `describeOp(op) + ": " + what`.
void checkEqualDims(mlir::OpBuilder &b, mlir::Location loc,
                    ONNX::SymbolicShapeAnalysis &shapes, mlir::Operation *op,
                    mlir::Value lhs, int64_t lhsDim, mlir::Value rhs,
                    int64_t rhsDim, const llvm::Twine &what);

/// One dimension of an operand that broadcasts, or not, only at run time.
struct RuntimeBroadcast {
  int64_t dim;
  /// The size the operand must have there, or 1.
  mlir::OpFoldResult target;
  /// Names the op and the dimension for the run-time error.
  std::string message;
};

/// `operand` with each dimension of `dims` checked to be its target or 1 and,
/// where it is 1 and the target is not, broadcast to the target (a copy made
/// under an scf.if). The result has `operand`'s type and, in those
/// dimensions, the target sizes, so the consumer reads it with identity maps.
///
/// Why a copy behind a branch rather than index arithmetic in the consumer
/// (`i * (size != 1)`): where the sizes are equal, as they are on every
/// path that matters for speed, the branch yields the operand itself, the
/// consumer's maps stay affine and it vectorizes; reading through computed
/// indices would put a tensor.extract in every element of every such op.
/// Only the broadcast case pays, with one copy of the operand.
mlir::Value materializeRuntimeBroadcast(mlir::OpBuilder &b, mlir::Location loc,
                                        mlir::Value operand,
                                        llvm::ArrayRef<RuntimeBroadcast> dims);

} // namespace xf

#endif // XF_CODEGEN_UTILS_SHAPECHECKS_H
