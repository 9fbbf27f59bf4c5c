//===- xf-translate.cpp - ONNX -> MLIR ------------------------------------===//
//
// Exit codes: 0 success, 1 the model could not be imported (a message says
// why), 2 bad command line.
//
//===----------------------------------------------------------------------===//

#include "dialects/InitAllDialects.h"
#include "importer/ImportDiagnostics.h"
#include "importer/ONNXImporter.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("xf-translate options");

static cl::opt<bool> importOnnx("import-onnx",
                                cl::desc("Import an ONNX model (.onnx) into "
                                         "the onnx dialect"),
                                cl::cat(category));
static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<model.onnx>"),
                                          cl::cat(category));
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("file"),
                                           cl::init("-"), cl::cat(category));
static cl::opt<bool> emitBytecode("emit-bytecode",
                                  cl::desc("Write MLIR bytecode, not text"),
                                  cl::cat(category));
static cl::opt<int64_t> inlineLimit(
    "inline-elements",
    cl::desc("Constants of up to this many elements are inline dense "
             "attributes; larger ones are dense resources (default 64)"),
    cl::init(64), cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "xf-translate: translates models into MLIR\n\n"
      "  xf-translate --import-onnx model.onnx -o model.mlir\n\n"
      "Reads the model and its external data files (mapped, not copied),\n"
      "and prints one func.func @main of onnx ops. Large constants are\n"
      "dense resources; pass --mlir-elide-resource-strings-if-larger=N to\n"
      "leave their bytes out of the text.\n");
  if (!importOnnx || inputFilename.empty()) {
    llvm::WithColor::error(llvm::errs(), "xf-translate")
        << "usage: xf-translate --import-onnx MODEL.onnx [-o OUT]\n";
    return 2;
  }

  DialectRegistry registry;
  xf::registerAllDialects(registry);
  MLIRContext context(registry);
  xf::ImportDiagnosticHandler diagnostics(&context, llvm::errs());
  xf::ONNXImportOptions options;
  options.inlineElementLimit = inlineLimit;
  OwningOpRef<ModuleOp> module =
      xf::importONNXModelFile(inputFilename, context, options);
  if (!module)
    return 1;

  // The output file is written in full or not at all.
  std::string errorMessage;
  auto output = openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "xf-translate") << errorMessage << "\n";
    return 1;
  }
  if (emitBytecode) {
    if (failed(writeBytecodeToFile(*module, output->os())))
      return 1;
  } else {
    module->print(output->os());
  }
  output->os().flush();
  if (output->os().has_error()) {
    llvm::WithColor::error(llvm::errs(), "xf-translate")
        << "cannot write '" << outputFilename << "'\n";
    output->os().clear_error();
    return 1;
  }
  output->keep();
  return 0;
}
