//===- LLVMEmission.h - LLVM dialect -> object code ------------*- C++ -*-===//

#ifndef XF_CODEGEN_TARGET_LLVMEMISSION_H
#define XF_CODEGEN_TARGET_LLVMEMISSION_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace xf {

/// What the compiled model function is called (never `main`, which is the
/// program's).
inline constexpr llvm::StringLiteral kModelFunction = "xf_model";

/// Name of the packed entry point `addPackedEntryPoint` adds.
inline constexpr llvm::StringLiteral kPackedEntryPoint = "xf_packed_main";

/// Adds `void xf_packed_main(void **args)` to a module in the LLVM dialect
/// that calls `_mlir_ciface_<function>(args[0], ..., args[n-1])`: callers
/// then need no knowledge of the function's arity. `function` must have
/// been lowered with `llvm.emit_c_interface`.
mlir::LogicalResult addPackedEntryPoint(mlir::ModuleOp module,
                                        llvm::StringRef function);

/// Translates a module in the LLVM dialect to LLVM IR, optimizes it at -O3
/// for `cpu` ("native" for the host) and returns the object file's bytes.
mlir::FailureOr<std::string> emitObjectFile(mlir::ModuleOp module,
                                            llvm::StringRef cpu);

/// Like emitObjectFile, but returns the optimized LLVM IR as text.
mlir::FailureOr<std::string> emitLLVMIR(mlir::ModuleOp module,
                                        llvm::StringRef cpu);

/// Links object files into a shared object with clang-22 (as the linker
/// driver, so libm and the C runtime resolve as usual), with the runtime's
/// memrefCopy.
mlir::LogicalResult linkSharedObject(llvm::ArrayRef<std::string> objects,
                                     llvm::StringRef output,
                                     std::string &errorMessage);

/// Links object files with the runtime (libxfrt and the program's main) into
/// an executable.
mlir::LogicalResult linkExecutable(llvm::ArrayRef<std::string> objects,
                                   llvm::StringRef output,
                                   std::string &errorMessage);

} // namespace xf

#endif // XF_CODEGEN_TARGET_LLVMEMISSION_H
