//===- ONNXOps.h - the onnx dialect ---------------------------*- C++ -*-===//

#ifndef XF_DIALECTS_ONNX_IR_ONNXOPS_H
#define XF_DIALECTS_ONNX_IR_ONNXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/ONNX/IR/ONNXOpsDialect.h.inc"

namespace xf::ONNX {
/// Checks an op's declared result types against the inferred ones: the
/// element types must match, the ranks must match where both are known, and
/// a dimension static in both must be equal.
llvm::LogicalResult verifyInferredResultTypes(mlir::Operation *op);

/// Whether a declared type agrees with an inferred one: the same element
/// type, and no dimension or rank the inferred type knows contradicted.
bool isCompatibleRefinement(mlir::Type declared, mlir::Type inferred);
} // namespace xf::ONNX

#include "dialects/ONNX/IR/ONNXInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/ONNX/IR/ONNXOps.h.inc"

#endif // XF_DIALECTS_ONNX_IR_ONNXOPS_H
