//===- QLinearPacking.h - xf.qlinear's code packing, shared -*- C++ -*-===//
//
// Helpers shared by what builds xf.qlinear on constants (the MatMulNBits
// raise in passes/Fusion/QuantizedOpRaising.cpp, the importer's
// DequantizeLinearImport.cpp) and by the INT4/UINT4 initializer import
// (importer/TensorImport.cpp): reading 4-bit values packed two per
// byte, low nibble first (ONNX's INT4/UINT4 raw data, MatMulNBits' B and
// zero points), packing [N, K] codes into xf.qlinear's rows, and making a
// named dense-resource constant.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECTS_ONNX_IR_QLINEARPACKING_H
#define XF_DIALECTS_ONNX_IR_QLINEARPACKING_H

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace xf {

/// The bytes of a constant operand (an initializer; a splat expanded), or
/// nothing.
inline std::optional<std::vector<char>> constantBytes(mlir::Value value) {
  auto constant = value ? value.getDefiningOp<ONNX::ConstantOp>() : nullptr;
  if (!constant)
    return std::nullopt;
  mlir::Attribute attr = constant.getValue();
  if (auto resource = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(attr)) {
    if (mlir::AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return std::vector<char>(blob->getData().begin(),
                               blob->getData().end());
    return std::nullopt;
  }
  auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  llvm::ArrayRef<char> raw = dense.getRawData();
  if (!dense.isSplat())
    return std::vector<char>(raw.begin(), raw.end());
  std::vector<char> bytes;
  for (int64_t i = 0; i < dense.getNumElements(); ++i)
    bytes.insert(bytes.end(), raw.begin(), raw.end());
  return bytes;
}

/// Element `index` of 4-bit values packed two per byte, element 2t in the
/// low nibble of byte t: 0..15.
inline uint8_t packedNibble(const char *bytes, int64_t index) {
  uint8_t byte = uint8_t(bytes[index / 2]);
  return index & 1 ? byte >> 4 : byte & 0xF;
}

/// [n, k] codes (row-major, each already in the range of `bits`: -8..7 or
/// 0..15 for 4 bits, one byte's worth for 8) -> xf.qlinear's weight bytes,
/// [n, ceil(k * bits / 8)]: one code per byte for 8 bits; for 4, element 2t
/// of a row in the low nibble of byte t, an odd row's last high nibble 0.
inline std::vector<int8_t> packQLinearCodes(const std::vector<int64_t> &codes,
                                            int64_t n, int64_t k, int bits) {
  int64_t rowBytes = (k * bits + 7) / 8;
  std::vector<int8_t> packed(n * rowBytes, 0);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t p = 0; p < k; ++p) {
      uint8_t code = uint8_t(codes[j * k + p]);
      int8_t &byte = packed[j * rowBytes + (bits == 4 ? p / 2 : p)];
      if (bits == 8)
        byte = int8_t(code);
      else
        byte = int8_t(uint8_t(byte) | ((code & 0xF) << (p & 1 ? 4 : 0)));
    }
  return packed;
}

/// An onnx.constant of `type` holding `data` as the dense resource `name`.
template <typename T>
mlir::Value createResourceConstant(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::RankedTensorType type,
                                   llvm::StringRef name,
                                   llvm::ArrayRef<T> data) {
  mlir::AsmResourceBlob blob =
      mlir::HeapAsmResourceBlob::allocateAndCopyInferAlign<T>(data);
  return ONNX::ConstantOp::create(
      b, loc, mlir::DenseResourceElementsAttr::get(type, name, std::move(blob)));
}

} // namespace xf

#endif // XF_DIALECTS_ONNX_IR_QLINEARPACKING_H
