//===- Passes.h - xfc code generation passes ------------------*- C++ -*-===//

#ifndef XF_CODEGEN_PASSES_H
#define XF_CODEGEN_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace xf {
#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

/// xf.attention (f32) -> flash-attention loops (LowerAttention.cpp).
void populateAttentionLoweringPatterns(mlir::RewritePatternSet &patterns,
                                       int64_t queryTile, int64_t kvTile);

/// xf.paged_attention -> the same loops, the key loop visiting the
/// sequence's pool blocks through its block table (LowerAttention.cpp).
void populatePagedAttentionLoweringPatterns(mlir::RewritePatternSet &patterns,
                                            int64_t queryTile);
} // namespace xf

#endif // XF_CODEGEN_PASSES_H
