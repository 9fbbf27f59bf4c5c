//===- CPUPipeline.cpp - onnx -> LLVM dialect for the CPU -----------------===//

#include "codegen/Pipelines/CPUPipeline.h"
#include "codegen/Passes.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
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
  // Math on bf16 and f16 in f32 (x86 has no such instructions; LLVM would
  // call compiler-rt, which the program does not link).
  pm.addPass(math::createMathExtendToSupportedTypes());
  // Integer powers have no LLVM intrinsic: math-to-funcs writes a loop.
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // bf16 arithmetic in f32, and bf16 <-> f32 as integer shifts and
  // rounding: without AVX512-BF16, LLVM calls compiler-rt's __truncsfbf2,
  // which the program does not link.
  arith::ArithEmulateUnsupportedFloatsOptions emulate;
  emulate.sourceTypeStrs = {"bf16"};
  pm.addPass(arith::createArithEmulateUnsupportedFloats(emulate));
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void xf::registerXFCpuPipeline() {
  PassPipelineRegistration<>(
      "xf-cpu-pipeline",
      "Lowers onnx ops to the LLVM dialect for the CPU",
      [](OpPassManager &pm) { buildXFCpuPipeline(pm); });
}
