//===- ShapeHelpers.h - shape arithmetic for onnx ops ---------*- C++ -*-===//

#ifndef XF_DIALECTS_ONNX_IR_SHAPEHELPERS_H
#define XF_DIALECTS_ONNX_IR_SHAPEHELPERS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace xf::ONNX {

/// Marks an element of a partially known integer tensor (see
/// getPartialIntValues) whose value is not known at compile time.
inline constexpr int64_t kUnknownValue = mlir::ShapedType::kDynamic;

/// The elements of a constant integer tensor, if `value` is one.
std::optional<llvm::SmallVector<int64_t>> getConstantIntValues(mlir::Value value);

/// The elements of a 0-D or 1-D integer tensor of static size, where each
/// element is known or kUnknownValue. Follows the shape computations that
/// exporters write (Shape, Gather, Concat, Unsqueeze, Squeeze, Cast,
/// Identity), so `Concat(Unsqueeze(Gather(Shape(x), 0)), [-1, 64])` gives
/// `[x.dim0 or unknown, -1, 64]`.
std::optional<llvm::SmallVector<int64_t>> getPartialIntValues(mlir::Value value);

/// Multidirectional (numpy) broadcast of two shapes; fails on a conflict.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// ONNX Slice of one axis of size `dim` with a non-zero `step`: the first
/// index taken and the number of elements, after ONNX's clamping of `start`
/// and `end`.
std::pair<int64_t, int64_t> sliceRange(int64_t dim, int64_t start, int64_t end,
                                       int64_t step);

/// `axis` in [-rank, rank) made non-negative, or nullopt if out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// A ranked tensor type of `shape` and `elementType`, or an unranked one if
/// `shape` is nullopt.
mlir::TensorType makeTensorType(std::optional<llvm::ArrayRef<int64_t>> shape,
                                mlir::Type elementType);

} // namespace xf::ONNX

#endif // XF_DIALECTS_ONNX_IR_SHAPEHELPERS_H
