//===- ONNXToLinalg.h - onnx -> linalg/tensor/arith/math ------*- C++ -*-===//

#ifndef XF_CODEGEN_ONNXTOLINALG_ONNXTOLINALG_H
#define XF_CODEGEN_ONNXTOLINALG_ONNXTOLINALG_H

#include "mlir/Transforms/DialectConversion.h"

namespace xf {

/// Element types as the lowered code sees them: ONNX's unsigned integers
/// become signless integers of the same width; everything else is kept.
void populateONNXToLinalgTypeConversions(mlir::TypeConverter &converter);

/// Elementwise ops (unary, binary with broadcasting, comparisons, Where,
/// Cast, Max/Min) and Constant.
void populateONNXElementwiseToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);

/// MatMul, Gemm, Softmax, LayerNormalization, ReduceMean/Sum/Max, CumSum.
void populateONNXComputeToLinalgPatterns(const mlir::TypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);

/// Shapes and data movement: Shape, Reshape, Flatten, Squeeze, Unsqueeze,
/// Transpose, Concat, Slice, Split, Gather, Expand, Tile, Trilu, Range,
/// ConstantOfShape, Identity.
void populateONNXDataMovementToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);

} // namespace xf

#endif // XF_CODEGEN_ONNXTOLINALG_ONNXTOLINALG_H
