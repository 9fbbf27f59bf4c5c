//===- MatMulNBitsImport.cpp - com.microsoft.MatMulNBits -> xf.qlinear ----===//
//
// MatMulNBits (onnxruntime contrib, since 1.17): Y = A x dequant(B)^T with
//
//   B            uint8 [N, n_blocks, blob], blob = block_size * bits / 8:
//                row n's codes along K, two per byte low nibble first (4 bits)
//   scales       [N * n_blocks] (or [N, n_blocks]), A's float type
//   zero_points  optional: uint8 [N * ceil(n_blocks * bits / 8)], packed as
//                B is, or A's float type [N * n_blocks]; default 2^(bits-1)
//   g_idx        optional, act-order group index: not supported
//   bias         optional [N]
//   w[n, k] = (q[n, k] - zero_point[n, k / block_size]) * scale[n, ...]
//
// which is xf.qlinear with group_size = block_size, codes [N, ceil(K * bits
// / 8)] (B's rows cut to K), zero points one per byte; without zero points
// the codes are flipped to signed ones (q - 2^(bits-1): the top bit of each
// code inverted) and the layer is symmetric.
//
//===----------------------------------------------------------------------===//

#include "importer/MatMulNBitsImport.h"
#include "importer/QLinearPacking.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <vector>

using namespace mlir;

bool xf::isMatMulNBits(StringRef domain, StringRef opType) {
  return domain == "com.microsoft" && opType == "MatMulNBits";
}

FailureOr<Value> xf::importMatMulNBits(const onnx::NodeProto &node,
                                       ArrayRef<Value> inputs, OpBuilder &b,
                                       Location loc) {
  b.getContext()->getOrLoadDialect<XF::XFDialect>();
  auto fail = [&]() { return emitError(loc) << "MatMulNBits: "; };
  int64_t k = 0, n = 0, bits = 4, blockSize = 0;
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (attr.name() == "K")
      k = attr.i();
    else if (attr.name() == "N")
      n = attr.i();
    else if (attr.name() == "bits")
      bits = attr.i();
    else if (attr.name() == "block_size")
      blockSize = attr.i();
  }
  if (bits != 4 && bits != 8)
    return fail() << bits << "-bit weights are not supported (4 and 8 are)";
  if (k <= 0 || n <= 0 || blockSize <= 0)
    return fail() << "needs positive K, N and block_size attributes";
  if (inputs.size() < 3 || !inputs[0] || !inputs[1] || !inputs[2])
    return fail() << "needs A, B and scales";
  if (inputs.size() > 4 && inputs[4])
    return fail() << "g_idx (act-order groups) is not supported";

  Value a = inputs[0];
  auto aType = dyn_cast<RankedTensorType>(a.getType());
  if (!aType || aType.getRank() < 2 || !isa<FloatType>(aType.getElementType()))
    return fail() << "A must be a float tensor of known rank >= 2, not "
                  << a.getType();
  auto scaleType =
      cast<TensorType>(inputs[2].getType()).getElementType();
  if (!scaleType.isF32() && !scaleType.isF16())
    return fail() << "scales must be f32 or f16, not " << scaleType;

  int64_t groups = (k + blockSize - 1) / blockSize;
  int64_t blob = blockSize * bits / 8;
  int64_t rowBytes = (k * bits + 7) / 8;
  std::optional<std::vector<char>> codes = constantBytes(inputs[1]);
  std::optional<std::vector<char>> scales = constantBytes(inputs[2]);
  if (!codes || !scales)
    return fail() << "B and scales must be initializers";
  int64_t scaleBytes = scaleType.isF32() ? 4 : 2;
  if (int64_t(codes->size()) != n * groups * blob ||
      int64_t(scales->size()) != n * groups * scaleBytes)
    return fail() << "B has " << codes->size() << " bytes and scales "
                  << scales->size() << " where K = " << k << ", N = " << n
                  << ", block_size = " << blockSize << " need "
                  << n * groups * blob << " and " << n * groups * scaleBytes;

  Value zeroPointsIn = inputs.size() > 3 ? inputs[3] : Value();
  bool symmetric = !zeroPointsIn;
  std::vector<int8_t> packed(n * rowBytes);
  for (int64_t j = 0; j < n; ++j)
    std::memcpy(&packed[j * rowBytes], codes->data() + j * groups * blob,
                rowBytes);
  if (symmetric) {
    // q - 2^(bits-1) in two's complement: the top bit of each code flipped.
    uint8_t flip = bits == 4 ? 0x88 : 0x80;
    for (int8_t &byte : packed)
      byte = int8_t(uint8_t(byte) ^ flip);
  }

  std::string base = node.input(1) + (bits == 4 ? ".q4" : ".q8");
  Type i8 = b.getI8Type();
  Value codesValue = xf::createResourceConstant<int8_t>(
      b, loc, RankedTensorType::get({n, rowBytes}, i8), base, packed);
  auto groupType = RankedTensorType::get({n, groups}, scaleType);
  AsmResourceBlob scaleBlob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(*scales), alignof(float));
  Value scalesValue = ONNX::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(groupType, base + ".scales",
                                     std::move(scaleBlob)));

  Value zeroPoints;
  if (!symmetric) {
    std::optional<std::vector<char>> zp = constantBytes(zeroPointsIn);
    if (!zp)
      return fail() << "zero_points must be an initializer";
    Type zpType = cast<TensorType>(zeroPointsIn.getType()).getElementType();
    if (isa<FloatType>(zpType)) {
      if (zpType != scaleType || int64_t(zp->size()) != n * groups * scaleBytes)
        return fail() << "float zero_points must be " << scaleType << " ["
                      << n * groups << "]";
      AsmResourceBlob zpBlob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
          ArrayRef<char>(*zp), alignof(float));
      zeroPoints = ONNX::ConstantOp::create(
          b, loc,
          DenseResourceElementsAttr::get(groupType, base + ".zero_points",
                                         std::move(zpBlob)));
    } else {
      int64_t zpRowBytes = (groups * bits + 7) / 8;
      if (int64_t(zp->size()) != n * zpRowBytes)
        return fail() << "zero_points has " << zp->size() << " bytes, not "
                      << n * zpRowBytes;
      std::vector<int8_t> unpacked(n * groups);
      for (int64_t j = 0; j < n; ++j)
        for (int64_t g = 0; g < groups; ++g) {
          const char *row = zp->data() + j * zpRowBytes;
          unpacked[j * groups + g] =
              int8_t(bits == 4 ? xf::packedNibble(row, g) : uint8_t(row[g]));
        }
      zeroPoints = xf::createResourceConstant<int8_t>(
          b, loc, RankedTensorType::get({n, groups}, i8),
          base + ".zero_points", unpacked);
    }
  }

  Value bias = inputs.size() > 5 ? inputs[5] : Value();
  SmallVector<int64_t> shape(aType.getShape());
  shape.back() = n;
  auto resultType = RankedTensorType::get(shape, aType.getElementType());
  auto qlinear = XF::QLinearOp::create(
      b, loc, resultType, a, codesValue, scalesValue, zeroPoints, bias,
      b.getI64IntegerAttr(bits), b.getI64IntegerAttr(blockSize),
      symmetric ? b.getUnitAttr() : UnitAttr());
  if (failed(qlinear.verify()))
    return failure();
  return qlinear.getResult();
}
