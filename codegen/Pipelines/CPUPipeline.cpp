//===- CPUPipeline.cpp - onnx -> LLVM dialect for the CPU -----------------===//

#include "codegen/Pipelines/CPUPipeline.h"
#include "codegen/Passes.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void xf::buildXFCpuPipeline(OpPassManager &pm,
                            const FuseONNXToXFPassOptions &fusion) {
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createONNXInferShapesPass());
  pm.addPass(createFuseONNXToXFPass(fusion));
  pm.addNestedPass<func::FuncOp>(createCheckDimParamsPass());
  pm.addPass(createLowerQLinearToMicrokernelsPass());
  pm.addPass(createConvertXFToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createLowerAttentionPass());
  pm.addPass(createConvertONNXToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createFuseElementwisePass());
  pm.addNestedPass<func::FuncOp>(createSimplifyMathPass());
  pm.addNestedPass<func::FuncOp>(createLinalgGeneralizeNamedOpsPass());
  pm.addNestedPass<func::FuncOp>(createContiguousInnerLoopPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createLowerShapeChecksPass());
  pm.addPass(createLowerContractionsToMicrokernelsPass());
  pm.addPass(createOutlineParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  // Integer powers have no LLVM intrinsic: math-to-funcs writes a loop.
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void xf::registerXFCpuPipeline() {
  PassPipelineRegistration<>(
      "xf-cpu-pipeline",
      "Lowers onnx ops to the LLVM dialect for the CPU",
      [](OpPassManager &pm) { buildXFCpuPipeline(pm); });
}
