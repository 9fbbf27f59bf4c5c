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
/// The layers draft's function (xf-insert-speculative-decode) and its packed
/// entry point, which the runtime calls when it is there.
inline constexpr llvm::StringLiteral kDraftModelFunction = "xf_draft_model";
inline constexpr llvm::StringLiteral kDraftPackedEntryPoint =
    "xf_draft_packed_main";

/// Adds `void xf_packed_main(void **args)` to a module in the LLVM dialect
/// that calls `_mlir_ciface_<function>(args[0], ..., args[n-1])`: callers
/// then need no knowledge of the function's arity. `function` must have
/// been lowered with `llvm.emit_c_interface`.
mlir::LogicalResult
addPackedEntryPoint(mlir::ModuleOp module, llvm::StringRef function,
                    llvm::StringRef entryPoint = kPackedEntryPoint);

/// How generated code is built beyond the CPU it is for.
struct EmissionOptions {
  /// Instrument the generated code with LLVM's AddressSanitizer: every load
  /// and store it makes is checked against the ASan runtime's shadow memory,
  /// so an out-of-bounds access to a heap or stack buffer stops the program
  /// with a report. Objects built so must be linked with the same option;
  /// a shared object then also needs the ASan runtime loaded first
  /// (LD_PRELOAD of findAddressSanitizerRuntime(), which xf-run does).
  bool addressSanitizer = false;
};

/// Translates a module in the LLVM dialect to LLVM IR, optimizes it at -O3
/// for `cpu` ("native" for the host) and returns the object file's bytes.
mlir::FailureOr<std::string>
emitObjectFile(mlir::ModuleOp module, llvm::StringRef cpu,
               const EmissionOptions &options = {});

/// Like emitObjectFile, but returns the optimized LLVM IR as text.
mlir::FailureOr<std::string> emitLLVMIR(mlir::ModuleOp module,
                                        llvm::StringRef cpu,
                                        const EmissionOptions &options = {});

/// Links object files into a shared object with clang-22 (as the linker
/// driver, so libm and the C runtime resolve as usual), with the runtime's
/// memrefCopy.
mlir::LogicalResult linkSharedObject(llvm::ArrayRef<std::string> objects,
                                     llvm::StringRef output,
                                     std::string &errorMessage,
                                     const EmissionOptions &options = {});

/// Links object files with the runtime (libxfrt and the program's main) into
/// an executable.
mlir::LogicalResult linkExecutable(llvm::ArrayRef<std::string> objects,
                                   llvm::StringRef output,
                                   std::string &errorMessage,
                                   const EmissionOptions &options = {});

/// The path of clang-22's shared AddressSanitizer runtime
/// (libclang_rt.asan-x86_64.so), which a process must load first to run
/// instrumented code from a shared object.
mlir::FailureOr<std::string>
findAddressSanitizerRuntime(std::string &errorMessage);

} // namespace xf

#endif // XF_CODEGEN_TARGET_LLVMEMISSION_H
