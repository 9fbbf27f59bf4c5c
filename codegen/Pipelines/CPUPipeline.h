//===- CPUPipeline.h - onnx -> LLVM dialect for the CPU -------*- C++ -*-===//

#ifndef XF_CODEGEN_PIPELINES_CPUPIPELINE_H
#define XF_CODEGEN_PIPELINES_CPUPIPELINE_H

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace xf {

/// Lowers a module of onnx ops to the LLVM dialect: folding and result type
/// refinement, onnx -> xf fusion (attention, norms, rope, activations,
/// linear; `fusion` turns families off, for comparisons), xf -> linalg with
/// xf.attention as flash-attention loops, onnx -> linalg, elementwise
/// fusion, bufferization with deallocation, f32 contractions as calls of the
/// runtime's matmul kernel, outermost foralls on the runtime's thread pool,
/// loops, then LLVM. Functions keep their tensor signatures as memrefs with
/// identity layouts. docs/design.md walks through the passes.
void buildXFCpuPipeline(mlir::OpPassManager &pm,
                        const FuseONNXToXFPassOptions &fusion = {});

/// Registers `xf-cpu-pipeline` for xf-opt.
void registerXFCpuPipeline();

} // namespace xf

#endif // XF_CODEGEN_PIPELINES_CPUPIPELINE_H
