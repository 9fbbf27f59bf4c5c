//===- DequantizeLinearImport.cpp - DequantizeLinear -> MatMul as qlinear -===//
//
// y = (x - x_zero_point) * x_scale (ONNX DequantizeLinear, opsets 10-21),
// written as Mul(Sub(Cast(x), Cast(zp)), scale), or Mul(Cast(x), scale)
// without a zero point. A MatMul reading such a y as its [K, N] B, with x,
// scale and zero point constants, is xf.qlinear with group_size = K: codes
// x^T ([N, K] rows), scales [N, 1], and int8 codes made unsigned (q + 128,
// zp + 128) when a zero point is given, symmetric when it is not.
//
//===----------------------------------------------------------------------===//

#include "importer/DequantizeLinearImport.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <onnx/onnx_pb.h>

#include <vector>

using namespace mlir;

namespace {

/// The elements of a constant as doubles (codes, scales, zero points), or
/// nothing.
std::optional<std::vector<double>> constantValues(Value value) {
  auto constant = value ? value.getDefiningOp<xf::ONNX::ConstantOp>() : nullptr;
  if (!constant)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(constant.getType());
  if (!type)
    return std::nullopt;
  Attribute attr = constant.getValue();
  ArrayRef<char> raw;
  bool splat = false;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    raw = blob->getData();
  } else if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    raw = dense.getRawData();
    splat = dense.isSplat();
  } else {
    return std::nullopt;
  }
  Type element = type.getElementType();
  int64_t count = type.getNumElements();
  std::vector<double> values(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t at = splat ? 0 : i;
    if (element.isF32())
      values[i] = reinterpret_cast<const float *>(raw.data())[at];
    else if (element.isSignedInteger(8) || element.isSignlessInteger(8))
      values[i] = reinterpret_cast<const int8_t *>(raw.data())[at];
    else if (element.isUnsignedInteger(8))
      values[i] = reinterpret_cast<const uint8_t *>(raw.data())[at];
    else
      return std::nullopt;
  }
  return values;
}

} // namespace

FailureOr<Value> xf::expandDequantizeLinear(const onnx::NodeProto &node,
                                            ArrayRef<Value> inputs,
                                            OpBuilder &builder, Location loc,
                                            ONNXOpCreator create) {
  int64_t axis = 1;
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (attr.name() == "axis")
      axis = attr.i();
    else if (attr.name() == "block_size" && attr.i() != 0)
      return emitError(loc) << "DequantizeLinear: blocked forms (block_size) "
                               "are not supported";
  }
  if (inputs.size() < 2 || !inputs[0] || !inputs[1])
    return emitError(loc) << "DequantizeLinear needs x and x_scale";
  Value x = inputs[0], scale = inputs[1];
  Value zeroPoint = inputs.size() > 2 ? inputs[2] : Value();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto scaleType = dyn_cast<RankedTensorType>(scale.getType());
  if (!xType || !scaleType)
    return emitError(loc) << "DequantizeLinear: x and x_scale need known ranks";
  Type floatType = scaleType.getElementType();
  auto i64 = [&](ArrayRef<int64_t> v) -> Value {
    auto type = RankedTensorType::get({int64_t(v.size())}, builder.getI64Type());
    return ONNX::ConstantOp::create(builder, loc,
                                    DenseElementsAttr::get(type, v));
  };
  // A per-axis scale [C] broadcasts against x after a reshape to
  // [1, ..., C, ..., 1] (C at `axis`).
  auto broadcastable = [&](Value v) -> FailureOr<Value> {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() == 0 || xType.getRank() <= 1)
      return v;
    int64_t rank = xType.getRank();
    int64_t at = axis < 0 ? axis + rank : axis;
    SmallVector<int64_t> shape(rank, 1);
    shape[at] = -1;
    FailureOr<Operation *> reshape =
        create("Reshape", {v, i64(shape)}, {}, 1);
    if (failed(reshape))
      return failure();
    return (*reshape)->getResult(0);
  };
  auto cast = [&](Value v) -> FailureOr<Value> {
    FailureOr<Operation *> op = create(
        "Cast", {v}, {builder.getNamedAttr("to", TypeAttr::get(floatType))}, 1);
    if (failed(op))
      return failure();
    return (*op)->getResult(0);
  };
  FailureOr<Value> y = cast(x);
  if (failed(y))
    return failure();
  if (zeroPoint) {
    FailureOr<Value> zp = broadcastable(zeroPoint);
    FailureOr<Value> zpFloat = failed(zp) ? zp : cast(*zp);
    if (failed(zpFloat))
      return failure();
    FailureOr<Operation *> sub = create("Sub", {*y, *zpFloat}, {}, 1);
    if (failed(sub))
      return failure();
    y = (*sub)->getResult(0);
  }
  FailureOr<Value> s = broadcastable(scale);
  if (failed(s))
    return failure();
  FailureOr<Operation *> mul = create("Mul", {*y, *s}, {}, 1);
  if (failed(mul))
    return failure();
  return (*mul)->getResult(0);
}

Value xf::importDequantizedMatMul(Value a, Value b, OpBuilder &builder,
                                  Location loc) {
  auto aType = dyn_cast<RankedTensorType>(a.getType());
  auto mul = b.getDefiningOp<ONNX::MulOp>();
  if (!aType || aType.getRank() < 2 || !aType.getElementType().isF32() || !mul)
    return {};
  // Mul(Sub(Cast(x), Cast(zp)) | Cast(x), scale), scale and zp possibly
  // through a Reshape.
  auto throughReshape = [](Value v) -> Value {
    if (auto reshape = v.getDefiningOp<ONNX::ReshapeOp>())
      return reshape.getData();
    return v;
  };
  Value scale = throughReshape(mul.getB()), zeroPoint, x;
  Value lhs = mul.getA();
  if (auto sub = lhs.getDefiningOp<ONNX::SubOp>()) {
    auto zpCast = sub.getB().getDefiningOp<ONNX::CastOp>();
    if (!zpCast)
      return {};
    zeroPoint = throughReshape(zpCast.getInput());
    lhs = sub.getA();
  }
  auto xCast = lhs.getDefiningOp<ONNX::CastOp>();
  if (!xCast)
    return {};
  x = xCast.getInput();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  if (!xType || xType.getRank() != 2 || !xType.hasStaticShape() ||
      !xType.getElementType().isInteger(8))
    return {};
  bool isUnsigned = xType.getElementType().isUnsignedInteger();
  int64_t k = xType.getDimSize(0), n = xType.getDimSize(1);
  if (aType.getShape().back() != k && !aType.isDynamicDim(aType.getRank() - 1))
    return {};
  std::optional<std::vector<double>> codes = constantValues(x);
  std::optional<std::vector<double>> scales = constantValues(scale);
  std::optional<std::vector<double>> zps;
  if (zeroPoint)
    zps = constantValues(zeroPoint);
  if (!codes || !scales || (zeroPoint && !zps))
    return {};
  // Per tensor (one value) or per column (N values).
  auto perColumn = [&](const std::vector<double> &v, int64_t j) {
    return v.size() == 1 ? v[0] : v[j];
  };
  if ((scales->size() != 1 && int64_t(scales->size()) != n) ||
      (zps && zps->size() != 1 && int64_t(zps->size()) != n))
    return {};

  bool symmetric = !isUnsigned && (!zps || llvm::all_of(*zps, [](double z) {
                                      return z == 0;
                                    }));
  int64_t offset = isUnsigned || symmetric ? 0 : 128;
  std::vector<int8_t> packed(n * k);
  std::vector<float> scaleData(n);
  std::vector<int8_t> zeroData(n);
  for (int64_t j = 0; j < n; ++j) {
    scaleData[j] = float(perColumn(*scales, j));
    zeroData[j] = int8_t(uint8_t(int64_t(zps ? perColumn(*zps, j) : 0) + offset));
    for (int64_t p = 0; p < k; ++p)
      packed[j * k + p] = int8_t(uint8_t(int64_t((*codes)[p * n + j]) + offset));
  }
  builder.getContext()->getOrLoadDialect<XF::XFDialect>();
  std::string base = "dequantized";
  if (auto constant = x.getDefiningOp<ONNX::ConstantOp>())
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
      base = resource.getRawHandle().getKey().str();
  auto resource = [&](auto data, RankedTensorType type, StringRef name) {
    using T = typename decltype(data)::value_type;
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocateAndCopyInferAlign<T>(ArrayRef<T>(data));
    return ONNX::ConstantOp::create(
               builder, loc,
               DenseResourceElementsAttr::get(type, name, std::move(blob)))
        .getResult();
  };
  Type i8 = builder.getI8Type();
  Value codesValue =
      resource(packed, RankedTensorType::get({n, k}, i8), base + ".q8");
  Value scalesValue = resource(
      scaleData, RankedTensorType::get({n, 1}, builder.getF32Type()),
      base + ".q8.scales");
  Value zeroValue =
      symmetric ? Value()
                : resource(zeroData, RankedTensorType::get({n, 1}, i8),
                           base + ".q8.zero_points");
  SmallVector<int64_t> shape(aType.getShape());
  shape.back() = n;
  return XF::QLinearOp::create(
             builder, loc, RankedTensorType::get(shape, builder.getF32Type()),
             a, codesValue, scalesValue, zeroValue, Value(),
             builder.getI64IntegerAttr(8), builder.getI64IntegerAttr(k),
             symmetric ? builder.getUnitAttr() : UnitAttr())
      .getResult();
}
