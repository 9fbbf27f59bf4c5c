//===- XFToLinalg.h - xf -> linalg/tensor/arith/math/scf -------*- C++ -*-===//
//
// Reference lowerings of the xf dialect's ops to upstream tensor-level
// dialects. Every pattern follows the semantics and layouts that the op's
// ODS description fixes. xf.attention and xf.paged_attention have no pattern
// here (xf-lower-attention lowers both). Sizes that the op's semantics
// require to agree (rope's tables and tokens, swiglu's operands, a weight's
// features) are checked at run time (xf.check_dim) wherever `shapes`, the
// symbolic shape analysis of the function, does not prove them equal.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_XFTOLINALG_XFTOLINALG_H
#define XF_CODEGEN_XFTOLINALG_XFTOLINALG_H

#include "dialects/ONNX/IR/SymbolicShapes.h"

#include "mlir/IR/PatternMatch.h"

namespace xf {

/// rms_norm, layer_norm (statistics in at least f32) and rope (both styles,
/// shared or per-sequence tables, partial rotary dimension).
void populateXFNormsToLinalgPatterns(mlir::RewritePatternSet &patterns,
                                     ONNX::SymbolicShapeAnalysis &shapes);

/// linear as a plain multiply-add contraction (f32) or one accumulating in
/// f32 (narrower floats), the bias a separate elementwise op after it;
/// qlinear as a contraction that dequantizes its int8/int4 codes in the body;
/// qembedding as a row gather that dequantizes the rows it reads.
void populateXFLinearToLinalgPatterns(mlir::RewritePatternSet &patterns,
                                      ONNX::SymbolicShapeAnalysis &shapes);

/// gelu (erf and tanh forms), silu and swiglu, computed in at least f32.
void populateXFActivationsToLinalgPatterns(mlir::RewritePatternSet &patterns,
                                           ONNX::SymbolicShapeAnalysis &shapes);

/// embedding (row gather with the id clamped into the table) and
/// kv_cache_write (scf loops of tensor.insert_slice into the pools, which
/// bufferize to in-place writes of pool buffers passed as arguments).
void populateXFDataMovementToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// All of the above.
inline void populateXFToLinalgPatterns(mlir::RewritePatternSet &patterns,
                                       ONNX::SymbolicShapeAnalysis &shapes) {
  populateXFNormsToLinalgPatterns(patterns, shapes);
  populateXFLinearToLinalgPatterns(patterns, shapes);
  populateXFActivationsToLinalgPatterns(patterns, shapes);
  populateXFDataMovementToLinalgPatterns(patterns);
}

} // namespace xf

#endif // XF_CODEGEN_XFTOLINALG_XFTOLINALG_H
