//===- DequantizeLinearImport.h - DequantizeLinear -> MatMul as qlinear -*- C++ -*-===//
//
// DequantizeLinear has no onnx dialect op: the importer writes its
// arithmetic (Cast, Sub, Mul), and a MatMul whose B is that arithmetic on
// constant int8/uint8 codes, per tensor or per output column, imports as
// one xf.qlinear on the codes (transposed to [N, K] rows), so the weight is
// never dequantized; the arithmetic is then dead.
//
//===----------------------------------------------------------------------===//

#ifndef XF_IMPORTER_DEQUANTIZELINEARIMPORT_H
#define XF_IMPORTER_DEQUANTIZELINEARIMPORT_H

#include "importer/AttentionExpansion.h"

namespace xf {

/// Expands DequantizeLinear (`inputs`: x, x_scale, optional x_zero_point)
/// into onnx ops made by `create`: Mul(Sub(Cast(x), Cast(zero_point)),
/// scale), with the scale (and zero point) of a per-axis form reshaped to
/// broadcast along `axis`. Blocked forms (block_size) are refused.
mlir::FailureOr<mlir::Value>
expandDequantizeLinear(const onnx::NodeProto &node,
                       llvm::ArrayRef<mlir::Value> inputs,
                       mlir::OpBuilder &builder, mlir::Location loc,
                       ONNXOpCreator create);

/// xf.qlinear for MatMul(a, b) when `b` is expandDequantizeLinear's
/// arithmetic on constant 2-D [K, N] int8/uint8 codes with a per-tensor or
/// per-column (axis 1) scale and zero point, and `a` is f32 of known rank;
/// a null Value otherwise (import the MatMul as it is).
mlir::Value importDequantizedMatMul(mlir::Value a, mlir::Value b,
                                    mlir::OpBuilder &builder,
                                    mlir::Location loc);

} // namespace xf

#endif // XF_IMPORTER_DEQUANTIZELINEARIMPORT_H
