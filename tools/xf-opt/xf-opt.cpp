//===- xf-opt.cpp - run any xfc pass or pipeline on IR --------------------===//

#include "codegen/Passes.h"
#include "codegen/Pipelines/Pipeline.h"
#include "dialects/InitAllDialects.h"
#include "passes/Passes.h"
#include "test/lib/TestPasses.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  xf::registerAllDialects(registry);
  // Upstream dialects and passes that xfc's pipelines use, so any stage of
  // a pipeline can be replayed here.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // The cuda target's gpu-module-to-binary translates kernels to LLVM IR.
  mlir::registerAllGPUToLLVMIRTranslations(registry);
  mlir::registerAllPasses();
  xf::registerXFPasses();
  xf::registerXFCodegenPasses();
  xf::registerXfcPipelines();
  xf::test::registerTestPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "xf-opt: runs xfc's passes and pipelines on MLIR\n",
      registry));
}
