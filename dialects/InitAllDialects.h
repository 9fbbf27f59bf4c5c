//===- InitAllDialects.h - registers xfc's dialects -----------*- C++ -*-===//

#ifndef XF_DIALECTS_INITALLDIALECTS_H
#define XF_DIALECTS_INITALLDIALECTS_H

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"

namespace xf {
/// Registers the onnx and xf dialects and the upstream dialects their IR
/// uses.
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<ONNX::ONNXDialect, XF::XFDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
}
} // namespace xf

#endif // XF_DIALECTS_INITALLDIALECTS_H
