//===- MatMulNBitsImport.h - com.microsoft.MatMulNBits -> xf.qlinear -*- C++ -*-===//
//
// ONNX Runtime's blockwise-quantized matmul (what its int4 quantizer,
// MatMulNBitsQuantizer, writes) imported straight into xf.qlinear on
// repacked constants: the codes already are xf.qlinear's (low nibble first),
// so only row padding, the zero points' packing and the default zero point
// change, and the weight is never dequantized.
//
//===----------------------------------------------------------------------===//

#ifndef XF_IMPORTER_MATMULNBITSIMPORT_H
#define XF_IMPORTER_MATMULNBITSIMPORT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace onnx {
class NodeProto;
} // namespace onnx

namespace xf {

/// Whether (`domain`, `opType`) is com.microsoft MatMulNBits.
bool isMatMulNBits(llvm::StringRef domain, llvm::StringRef opType);

/// Imports the MatMulNBits node `node`, whose inputs are `inputs` (null for
/// an absent optional one), as one xf.qlinear at `loc`; B, scales and
/// zero_points must be constants (initializers). Forms it does not take
/// (bits other than 4 and 8, g_idx, an input of unknown rank) are refused
/// with an error at `loc` that says so.
mlir::FailureOr<mlir::Value> importMatMulNBits(const onnx::NodeProto &node,
                                               llvm::ArrayRef<mlir::Value> inputs,
                                               mlir::OpBuilder &builder,
                                               mlir::Location loc);

} // namespace xf

#endif // XF_IMPORTER_MATMULNBITSIMPORT_H
