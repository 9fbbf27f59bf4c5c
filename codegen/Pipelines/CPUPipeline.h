//===- CPUPipeline.h - onnx -> LLVM dialect for the CPU -------*- C++ -*-===//

#ifndef XF_CODEGEN_PIPELINES_CPUPIPELINE_H
#define XF_CODEGEN_PIPELINES_CPUPIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace xf {

/// Lowers a module of onnx ops to the LLVM dialect: folding and result type
/// refinement, onnx -> linalg/tensor,
/// bufferization with deallocation, loops, then LLVM. Functions keep their
/// tensor signatures as memrefs with identity layouts.
///
/// Today this is the straightforward loop lowering; tiling, vectorization
/// and threading are the next stages of this pipeline (issue 3).
void buildXFCpuPipeline(mlir::OpPassManager &pm);

/// Registers `xf-cpu-pipeline` for xf-opt.
void registerXFCpuPipeline();

} // namespace xf

#endif // XF_CODEGEN_PIPELINES_CPUPIPELINE_H
