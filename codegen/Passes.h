//===- Passes.h - xfc code generation passes ------------------*- C++ -*-===//

#ifndef XF_CODEGEN_PASSES_H
#define XF_CODEGEN_PASSES_H

#include "dialects/ONNX/IR/SymbolicShapes.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/DenseMap.h"

#include <array>

namespace xf {
#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

/// A CUDA program's buffers into device memory (managed memory where host
/// code reads them too), host constants kernels read copied there, kernel
/// scratch buffers into the thread's memory, memref.copy -> linalg.copy
/// (DeviceBuffers.cpp).
void populateDeviceBufferPatterns(mlir::RewritePatternSet &patterns);

/// Collapses `loop` to one dimension, tiles it by `blockSize` and maps the
/// tiles to gpu blocks and their iterations to threads; parallel loops
/// nested in it become scf.for loops, and buffers it reads with dynamic
/// sizes are passed as a base pointer and sizes (MapParallelLoopsToGpu.cpp).
void mapParallelLoopToGpu(mlir::RewriterBase &rewriter,
                          mlir::scf::ParallelOp loop, int64_t blockSize);

/// What the symbolic shape analysis proves about the sizes of one
/// xf.attention, found before its lowering rewrites the function.
struct AttentionShapeFacts {
  /// The key's and value's batch are the query's, the key's head size the
  /// query's, the value's sequence and heads the key's, the query's heads
  /// the key's.
  bool keyBatch = false, valueBatch = false, keyHeadSize = false,
       valueSequence = false, valueHeads = false, sameHeads = false;
  /// Per mask dimension, aligned to [B, Hq, Sq, Skv]: 1 (or missing), or
  /// equal to the size it broadcasts to.
  std::array<bool, 4> maskUnit = {}, maskProven = {};
};
using AttentionShapeFactsMap =
    llvm::DenseMap<mlir::Operation *, AttentionShapeFacts>;

/// The facts of every xf.attention under `root`.
AttentionShapeFactsMap analyzeAttentionShapes(mlir::Operation *root);

/// xf.attention (f32) -> flash-attention loops (LowerAttention.cpp). Sizes
/// that `facts` does not prove (the mask's broadcast, key and value
/// against the query) are checked or handled at run time; an attention
/// without facts has all of them checked.
void populateAttentionLoweringPatterns(mlir::RewritePatternSet &patterns,
                                       const AttentionShapeFactsMap &facts,
                                       int64_t queryTile, int64_t kvTile);

/// xf.paged_attention -> the same loops, the key loop visiting the
/// sequence's pool blocks through its block table (LowerAttention.cpp).
void populatePagedAttentionLoweringPatterns(mlir::RewritePatternSet &patterns,
                                            int64_t queryTile);
} // namespace xf

#endif // XF_CODEGEN_PASSES_H
