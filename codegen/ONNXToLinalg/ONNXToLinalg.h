//===- ONNXToLinalg.h - onnx -> linalg/tensor/arith/math ------*- C++ -*-===//

#ifndef XF_CODEGEN_ONNXTOLINALG_ONNXTOLINALG_H
#define XF_CODEGEN_ONNXTOLINALG_ONNXTOLINALG_H

#include "dialects/ONNX/IR/SymbolicShapes.h"

#include "mlir/Transforms/DialectConversion.h"

namespace xf {

/// Element types as the lowered code sees them: ONNX's unsigned integers
/// become signless integers of the same width; everything else is kept.
void populateONNXToLinalgTypeConversions(mlir::TypeConverter &converter);

// Every pattern that relates the sizes of two operands (broadcasting,
// contraction dimensions, Concat's other dimensions) leaves a dynamic
// dimension unchecked only where `shapes` proves the relation, and checks
// or handles it at run time otherwise. `shapes` must have seen the onnx ops
// before conversion starts (createShapeAnalysis): the patterns query it on
// the ops they replace.

/// Elementwise ops (unary, binary with broadcasting, comparisons, Where,
/// Cast, Max/Min) and Constant.
void populateONNXElementwiseToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns,
    ONNX::SymbolicShapeAnalysis &shapes);

/// MatMul, Gemm, Softmax, LayerNormalization, ReduceMean/Sum/Max, CumSum.
void populateONNXComputeToLinalgPatterns(const mlir::TypeConverter &converter,
                                         mlir::RewritePatternSet &patterns,
                                         ONNX::SymbolicShapeAnalysis &shapes);

/// Shapes and data movement: Shape, Reshape, Flatten, Squeeze, Unsqueeze,
/// Transpose, Concat, Slice, Split, Gather, Expand, Tile, Trilu, Range,
/// ConstantOfShape, Identity.
void populateONNXDataMovementToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns,
    ONNX::SymbolicShapeAnalysis &shapes);

} // namespace xf

#endif // XF_CODEGEN_ONNXTOLINALG_ONNXTOLINALG_H
