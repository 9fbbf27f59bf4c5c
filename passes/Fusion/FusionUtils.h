//===- FusionUtils.h - matching helpers for onnx -> xf fusion --*- C++ -*-===//
//
// Small matchers the fusion pattern families share: constants read back as
// numbers (inline or dense resources), commutative operand pairs, reductions
// over the last axis, onnx ops created with inferred result types, and a
// symbolic reading of the scalar shape arithmetic exporters write (so that
// `past + seq - seq == past` can be proved without knowing the sizes).
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_FUSION_FUSIONUTILS_H
#define XF_PASSES_FUSION_FUSIONUTILS_H

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/SymbolicShapes.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace xf::fusion {

/// The op of type OpTy defining `value`, or null.
template <typename OpTy> OpTy defOp(mlir::Value value) {
  return value ? value.getDefiningOp<OpTy>() : OpTy();
}

/// The elements of a constant (`onnx.Constant`, inline or a dense resource)
/// as doubles, if it has at most `maxElements` of float, integer or bool type.
std::optional<llvm::SmallVector<double>>
getConstantElements(mlir::Value value, int64_t maxElements = 1 << 24);

/// The value of a constant whose elements are all equal (a splat, or a
/// single element).
std::optional<double> getSplatValue(mlir::Value value);

/// Whether `value` is a constant whose elements all equal `expected` within
/// a relative tolerance fit for f32 constants written by exporters.
bool isSplatNear(mlir::Value value, double expected, double relTol = 1e-5);

/// Whether `type` is a tensor with every dimension static and 1 (a scalar
/// or [1, 1, ...]) of rank at most `maxRank`.
bool isUnitTensor(mlir::Type type, int64_t maxRank);

/// Whether a binary op with operands `x` and a unit-shaped `other` leaves
/// `x`'s shape alone, i.e. its result has `x`'s type.
bool keepsShape(mlir::Value result, mlir::Value x);

/// Calls `fn(lhs, rhs)` with the operands of a commutative binary op in both
/// orders; true once it succeeds.
template <typename OpTy, typename Fn> bool eitherOrder(OpTy op, Fn &&fn) {
  return op && (fn(op.getA(), op.getB()) || fn(op.getB(), op.getA()));
}

/// Whether `axis` names the last of `rank` dimensions.
bool isLastAxis(int64_t axis, int64_t rank);

/// Whether `weight` is a 1-D [D] tensor of `input`'s element type, `input`
/// being [..., D].
bool isFeatureVector(mlir::Value weight, mlir::Value input);

/// `data` if `value` is a ReduceMean of it over its last axis only, with
/// keepdims; null otherwise.
mlir::Value matchMeanOverLastAxis(mlir::Value value);

/// Creates an onnx op with placeholder result types, then gives each result
/// the type the op infers from its operands.
template <typename OpTy, typename... Args>
OpTy createInferred(mlir::OpBuilder &builder, mlir::Location loc,
                    mlir::Type elementType, Args &&...args) {
  auto op = OpTy::create(builder, loc,
                         mlir::UnrankedTensorType::get(elementType),
                         std::forward<Args>(args)...);
  llvm::SmallVector<mlir::Type> types;
  if (mlir::succeeded(
          llvm::cast<ONNX::ResultTypeInferenceOpInterface>(op.getOperation())
              .inferResultTypes(types)))
    for (auto [result, type] : llvm::zip(op->getResults(), types))
      result.setType(type);
  return op;
}

/// An onnx.Constant holding a scalar (rank 0) of `elementType`.
mlir::Value createScalarConstant(mlir::OpBuilder &builder, mlir::Location loc,
                                 mlir::Type elementType, double value);

/// An onnx.Constant holding the 1-D i64 tensor `values`.
mlir::Value createI64Constant(mlir::OpBuilder &builder, mlir::Location loc,
                              llvm::ArrayRef<int64_t> values);

/// An onnx.Transpose of `value` by `perm`.
mlir::Value createTranspose(mlir::OpBuilder &builder, mlir::Location loc,
                            mlir::Value value, llvm::ArrayRef<int64_t> perm);

/// The [B, Hkv, S, D] tensor that `value` ([B, Hkv * n, S, D]) repeats each
/// head of n times in a row (head h reads h / n), and n: transformers'
/// repeat_kv (Reshape(Expand|Tile(Unsqueeze(kv, 2))), or a Concat of n
/// copies on axis 2) or one head broadcast over all (MQA).
std::optional<std::pair<mlir::Value, int64_t>> stripRepeatKV(mlir::Value value);

/// The symbolic reading of shape arithmetic, shared with shape inference
/// and codegen (dialects/ONNX/IR/SymbolicShapes.h).
using ONNX::getSymbolicDim;
using ONNX::getSymbolicInt;
using ONNX::SymbolicInt;

} // namespace xf::fusion

#endif // XF_PASSES_FUSION_FUSIONUTILS_H
