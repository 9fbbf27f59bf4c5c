//===- ONNXOpEmitter.h - building onnx ops while expanding a node -*- C++ -*-===//
//
// What the importer's node expansions (the opset-23 Attention op, the
// com.microsoft attention ops) share: creating onnx ops through the
// importer's creator and the small constants and shape reads they need.
//
//===----------------------------------------------------------------------===//

#ifndef XF_IMPORTER_ONNXOPEMITTER_H
#define XF_IMPORTER_ONNXOPEMITTER_H

#include "dialects/ONNX/IR/ONNXOps.h"
#include "importer/AttentionExpansion.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"

namespace xf {

class ONNXOpEmitter {
protected:
  ONNXOpEmitter(mlir::OpBuilder &builder, mlir::Location loc,
                ONNXOpCreator create)
      : builder(builder), loc(loc), create(create) {}

  /// One onnx op's first result; null if an operand is null or the op
  /// failed (error reported), so chains are checked once at their end.
  mlir::Value op(llvm::StringRef opType, mlir::ValueRange operands,
                 llvm::ArrayRef<mlir::NamedAttribute> attributes = {}) {
    if (llvm::any_of(operands, [](mlir::Value v) { return !v; }))
      return nullptr;
    mlir::FailureOr<mlir::Operation *> created =
        create(opType, operands, attributes, 1);
    return mlir::succeeded(created) ? (*created)->getResult(0)
                                    : mlir::Value();
  }
  mlir::NamedAttribute attr(llvm::StringRef name, mlir::Attribute value) {
    return builder.getNamedAttr(name, value);
  }
  mlir::NamedAttribute intAttr(llvm::StringRef name, int64_t value) {
    return attr(name, builder.getI64IntegerAttr(value));
  }
  mlir::Value constant(mlir::DenseElementsAttr value) {
    return ONNX::ConstantOp::create(builder, loc, value);
  }
  mlir::Value i64Vector(llvm::ArrayRef<int64_t> values) {
    auto type = mlir::RankedTensorType::get(
        {static_cast<int64_t>(values.size())}, builder.getI64Type());
    return constant(mlir::DenseIntElementsAttr::get(type, values));
  }
  mlir::Value i64Scalar(int64_t value) {
    auto type = mlir::RankedTensorType::get({}, builder.getI64Type());
    return constant(
        mlir::DenseIntElementsAttr::get(type, llvm::ArrayRef<int64_t>{value}));
  }
  /// A scalar of `elementType` (float or integer) holding `value`.
  mlir::Value scalarOf(mlir::Type elementType, double value) {
    auto type = mlir::RankedTensorType::get({}, elementType);
    mlir::Attribute element =
        llvm::isa<mlir::FloatType>(elementType)
            ? mlir::Attribute(mlir::FloatAttr::get(elementType, value))
            : mlir::Attribute(mlir::IntegerAttr::get(
                  elementType, static_cast<int64_t>(value)));
    return constant(mlir::DenseElementsAttr::get(type, {element}));
  }
  /// Dimension `dim` of `value` as an i64 scalar: a constant if static.
  mlir::Value dimScalar(mlir::Value value, int64_t dim) {
    auto type = llvm::cast<mlir::RankedTensorType>(value.getType());
    if (!type.isDynamicDim(dim))
      return i64Scalar(type.getDimSize(dim));
    return op("Gather", {op("Shape", {value}), i64Scalar(dim)},
              {intAttr("axis", 0)});
  }
  /// Dimension `dim` of `value` as a 1-element i64 vector.
  mlir::Value dimVector(mlir::Value value, int64_t dim) {
    auto type = llvm::cast<mlir::RankedTensorType>(value.getType());
    if (!type.isDynamicDim(dim))
      return i64Vector({type.getDimSize(dim)});
    return op("Shape", {value},
              {intAttr("start", dim), intAttr("end", dim + 1)});
  }
  mlir::Value transpose(mlir::Value value, llvm::ArrayRef<int64_t> perm) {
    return op("Transpose", {value},
              {attr("perm", builder.getI64ArrayAttr(perm))});
  }

  mlir::OpBuilder &builder;
  mlir::Location loc;
  ONNXOpCreator create;
};

} // namespace xf

#endif // XF_IMPORTER_ONNXOPEMITTER_H
