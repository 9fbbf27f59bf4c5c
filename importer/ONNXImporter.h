//===- ONNXImporter.h - ONNX model -> onnx dialect ------------*- C++ -*-===//
//
// Reads an ONNX model (ONNX's own protobuf classes) into a module holding one
// func.func @main of onnx ops.
//
//===----------------------------------------------------------------------===//

#ifndef XF_IMPORTER_ONNXIMPORTER_H
#define XF_IMPORTER_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

namespace xf {

struct ONNXImportOptions {
  /// Constants with at most this many elements are inline `dense<...>`
  /// attributes, so shape computations fold; larger ones (weights) are dense
  /// resources that share the model's memory instead of copying it.
  int64_t inlineElementLimit = 64;
};

/// Imports the model file at `path`. External data files are looked up next
/// to it and memory-mapped, not read. Every problem found is reported through
/// the context's diagnostic handler, naming the file and the node; on any
/// error the result is null.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModelFile(llvm::StringRef path, mlir::MLIRContext &context,
                    const ONNXImportOptions &options = {});

/// Imports a serialized ModelProto held in memory. `modelDir` is where
/// external data files are looked up; `displayName` names the model in
/// messages.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModelBytes(llvm::StringRef bytes, llvm::StringRef modelDir,
                     llvm::StringRef displayName, mlir::MLIRContext &context,
                     const ONNXImportOptions &options = {});

/// The context's dialects needed by imported modules.
void loadONNXImportDialects(mlir::MLIRContext &context);

} // namespace xf

#endif // XF_IMPORTER_ONNXIMPORTER_H
