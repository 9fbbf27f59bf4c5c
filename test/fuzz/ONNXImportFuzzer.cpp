//===- ONNXImportFuzzer.cpp - libFuzzer target for the ONNX importer ------===//
//
// Feeds arbitrary bytes to the importer as a model file. Any crash, sanitizer
// report, leak or timeout is a bug; import errors are the expected outcome
// for almost every input.
//
//===----------------------------------------------------------------------===//

#include "dialects/InitAllDialects.h"
#include "importer/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  xf::registerAllDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler silence(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  // No external data exists in this directory, so external references
  // exercise the error paths rather than reading files.
  auto module = xf::importONNXModelBytes(
      llvm::StringRef(reinterpret_cast<const char *>(data), size),
      "/nonexistent-xfc-fuzz-dir", "fuzz.onnx", context);
  (void)module;
  return 0;
}
