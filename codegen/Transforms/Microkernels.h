//===- Microkernels.h - declarations of the xfrt_ entry points -*- C++ -*-====//
//
// The passes that lower to calls of the runtime (xfrt_*) declare their
// callees through these functions, which build each signature from the table
// the runtime declares its prototypes from (runtime/include/xf/
// Microkernels.def), so no pass spells a kernel's name or signature.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_TRANSFORMS_MICROKERNELS_H
#define XF_CODEGEN_TRANSFORMS_MICROKERNELS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <optional>

namespace xf {

/// The entry points of runtime/include/xf/Microkernels.def.
enum class Microkernel {
#define XF_MICROKERNEL(Id, Symbol, Attributes, Result, Parameters, Doc) Id,
#include "xf/Microkernels.def"
};

/// Every entry of the table, in its order.
llvm::ArrayRef<Microkernel> allMicrokernels();

/// The C symbol of `kernel`, e.g. "xfrt_matmul_f32".
llvm::StringRef microkernelName(Microkernel kernel);

/// The table's one-line description of `kernel`.
llvm::StringRef microkernelDoc(Microkernel kernel);

/// The entry point named `name`, if it is one.
std::optional<Microkernel> lookupMicrokernel(llvm::StringRef name);

/// The func type that calls of `kernel` have, from its C prototype.
mlir::FunctionType microkernelType(mlir::MLIRContext *context,
                                   Microkernel kernel);

/// The private declaration of `kernel` in `module`: the existing one, or a
/// new one inserted at `builder`'s insertion point.
mlir::func::FuncOp getOrInsertMicrokernel(mlir::OpBuilder &builder,
                                          mlir::ModuleOp module,
                                          Microkernel kernel);

/// As above, inserting a new declaration at the start of `module`.
mlir::func::FuncOp getOrInsertMicrokernel(mlir::ModuleOp module,
                                          Microkernel kernel);

} // namespace xf

#endif // XF_CODEGEN_TRANSFORMS_MICROKERNELS_H
