//===- XFOps.h - the xf dialect -------------------------------*- C++ -*-===//

#ifndef XF_DIALECTS_XF_IR_XFOPS_H
#define XF_DIALECTS_XF_IR_XFOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/XF/IR/XFOpsDialect.h.inc"
#include "dialects/XF/IR/XFOpsEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/XF/IR/XFOpsAttributes.h.inc"

#define GET_OP_CLASSES
#include "dialects/XF/IR/XFOps.h.inc"

#include <optional>

namespace xf::XF {

/// The operand dimension that dimension `dim` of `result` equals by the
/// op's semantics (an attention's batch is its query's, a linear layer's
/// last dimension its weight's first), for the symbolic shape analysis;
/// nullopt where none is.
std::optional<std::pair<mlir::Value, int64_t>>
getResultDimSource(mlir::OpResult result, int64_t dim);

} // namespace xf::XF

#endif // XF_DIALECTS_XF_IR_XFOPS_H
