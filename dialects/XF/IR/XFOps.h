//===- XFOps.h - the xf dialect -------------------------------*- C++ -*-===//

#ifndef XF_DIALECTS_XF_IR_XFOPS_H
#define XF_DIALECTS_XF_IR_XFOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/XF/IR/XFOpsDialect.h.inc"
#include "dialects/XF/IR/XFOpsEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/XF/IR/XFOpsAttributes.h.inc"

#define GET_OP_CLASSES
#include "dialects/XF/IR/XFOps.h.inc"

#endif // XF_DIALECTS_XF_IR_XFOPS_H
