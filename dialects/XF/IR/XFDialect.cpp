//===- XFDialect.cpp - the xf dialect -------------------------------------===//

#include "dialects/XF/IR/XFOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace xf::XF;

#include "dialects/XF/IR/XFOpsDialect.cpp.inc"
#include "dialects/XF/IR/XFOpsEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/XF/IR/XFOpsAttributes.cpp.inc"

void XFDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/XF/IR/XFOpsAttributes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/XF/IR/XFOps.cpp.inc"
      >();
}
