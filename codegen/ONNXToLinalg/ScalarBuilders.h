//===- ScalarBuilders.h - scalar helpers shared by the onnx lowerings -*- C++ -*-===//

#ifndef XF_CODEGEN_ONNXTOLINALG_SCALARBUILDERS_H
#define XF_CODEGEN_ONNXTOLINALG_SCALARBUILDERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

namespace xf {

inline mlir::Value createFloatConstant(mlir::OpBuilder &b, mlir::Location loc,
                                       mlir::Type type, double value) {
  return mlir::arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

inline mlir::Value createIntConstant(mlir::OpBuilder &b, mlir::Location loc,
                                     mlir::Type type, int64_t value) {
  return mlir::arith::ConstantOp::create(b, loc,
                                         b.getIntegerAttr(type, value));
}

/// `value` converted between float types; f16 <-> bf16 have one width and go
/// through f32.
inline mlir::Value resizeFloat(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value value, mlir::FloatType to) {
  auto from = mlir::cast<mlir::FloatType>(value.getType());
  if (from == to)
    return value;
  if (from.getWidth() == to.getWidth())
    value = mlir::arith::ExtFOp::create(b, loc, b.getF32Type(), value);
  if (mlir::cast<mlir::FloatType>(value.getType()).getWidth() < to.getWidth())
    return mlir::arith::ExtFOp::create(b, loc, to, value);
  return mlir::arith::TruncFOp::create(b, loc, to, value);
}

} // namespace xf

#endif // XF_CODEGEN_ONNXTOLINALG_SCALARBUILDERS_H
