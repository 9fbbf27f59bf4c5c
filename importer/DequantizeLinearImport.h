//===- DequantizeLinearImport.h - DequantizeLinear -> MatMul as qlinear -*- C++ -*-===//
//
// DequantizeLinear has no onnx dialect op: the importer writes its
// arithmetic (Cast, Sub, Mul), and a MatMul whose B is that arithmetic on
// constant int8/uint8 codes (INT4/UINT4 initializers import as such), per
// tensor, per output column or blocked along K, imports as one xf.qlinear
// on the codes (transposed to [N, K] rows, bits = 4 when they fit), so the
// weight is never dequantized; the arithmetic is then dead.
//
//===----------------------------------------------------------------------===//

#ifndef XF_IMPORTER_DEQUANTIZELINEARIMPORT_H
#define XF_IMPORTER_DEQUANTIZELINEARIMPORT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace onnx {
class NodeProto;
} // namespace onnx

namespace xf {

/// Creates the onnx op `onnx.<opType>` at the builder's insertion point with
/// `numResults` results whose types it infers, and verifies it; on failure
/// the op is gone and an error was reported.
using ONNXOpCreator = llvm::function_ref<mlir::FailureOr<mlir::Operation *>(
    llvm::StringRef opType, mlir::ValueRange operands,
    llvm::ArrayRef<mlir::NamedAttribute> attributes, unsigned numResults)>;

/// Expands DequantizeLinear (`inputs`: x, x_scale, optional x_zero_point)
/// into onnx ops made by `create`: Mul(Sub(Cast(x), Cast(zero_point)),
/// scale), with the scale (and zero point) of a per-axis form reshaped to
/// broadcast along `axis`, and of a blocked form (block_size B: x's shape
/// with ceil(D / B) at `axis`) spread to x's shape: Unsqueeze(axis + 1),
/// Expand to B there, Reshape, Slice to D when the last block is partial.
/// Blocked forms need static shapes; what is refused is reported at `loc`.
mlir::FailureOr<mlir::Value>
expandDequantizeLinear(const onnx::NodeProto &node,
                       llvm::ArrayRef<mlir::Value> inputs,
                       mlir::OpBuilder &builder, mlir::Location loc,
                       ONNXOpCreator create);

/// xf.qlinear for MatMul(a, b) when `b` is expandDequantizeLinear's
/// arithmetic on constant 2-D [K, N] int8/uint8 codes with a per-tensor,
/// per-column (axis 1) or blocked (axis 0, group_size = block_size) scale
/// and zero point, and `a` is f32 of known rank; bits = 4 when the codes
/// and zero points fit 4 bits. A null Value otherwise (import the MatMul as
/// it is).
mlir::Value importDequantizedMatMul(mlir::Value a, mlir::Value b,
                                    mlir::OpBuilder &builder,
                                    mlir::Location loc);

} // namespace xf

#endif // XF_IMPORTER_DEQUANTIZELINEARIMPORT_H
