//===- DequantizeLinearImport.cpp - DequantizeLinear -> MatMul as qlinear -===//
//
// y = (x - x_zero_point) * x_scale (ONNX DequantizeLinear, opsets 10-21),
// written as Mul(Sub(Cast(x), Cast(zp)), scale), or Mul(Cast(x), scale)
// without a zero point; a blocked form's (opset 21, block_size B) scale and
// zero point spread along the axis first. A MatMul reading such a y as its
// [K, N] B, with x, scale and zero point constants, is xf.qlinear with
// group_size = K (per tensor or column: scales [N, 1]) or B (blocked along
// K, axis 0: scales [N, ceil(K / B)]): codes x^T ([N, K] rows), bits = 4
// when codes and zero points fit 4 bits (INT4/UINT4 initializers import as
// i8/ui8 holding one value each), signed codes made unsigned (q + 8 or
// 128, zp likewise) when a nonzero zero point is given, symmetric when not.
//
//===----------------------------------------------------------------------===//

#include "importer/DequantizeLinearImport.h"
#include "dialects/ONNX/IR/QLinearPacking.h"

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
  std::optional<std::vector<char>> raw = xf::constantBytes(value);
  if (!raw)
    return std::nullopt;
  Type element = type.getElementType();
  int64_t count = type.getNumElements();
  std::vector<double> values(count);
  size_t elementBytes = element.isF32() ? 4 : element.isInteger(8) ? 1 : 0;
  if (!elementBytes || raw->size() < size_t(count) * elementBytes)
    return std::nullopt;
  for (int64_t i = 0; i < count; ++i) {
    if (element.isF32())
      values[i] = reinterpret_cast<const float *>(raw->data())[i];
    else if (element.isSignedInteger(8) || element.isSignlessInteger(8))
      values[i] = reinterpret_cast<const int8_t *>(raw->data())[i];
    else if (element.isUnsignedInteger(8))
      values[i] = reinterpret_cast<const uint8_t *>(raw->data())[i];
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
  int64_t axis = 1, blockSize = 0;
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (attr.name() == "axis")
      axis = attr.i();
    else if (attr.name() == "block_size")
      blockSize = attr.i();
  }
  auto fail = [&]() {
    return emitError(loc) << "DequantizeLinear: ";
  };
  if (inputs.size() < 2 || !inputs[0] || !inputs[1])
    return fail() << "needs x and x_scale";
  Value x = inputs[0], scale = inputs[1];
  Value zeroPoint = inputs.size() > 2 ? inputs[2] : Value();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto scaleType = dyn_cast<RankedTensorType>(scale.getType());
  if (!xType || !scaleType)
    return fail() << "x and x_scale need known ranks";
  if (blockSize < 0)
    return fail() << "block_size must be >= 0, not " << blockSize;
  int64_t rank = xType.getRank();
  int64_t at = axis < 0 ? axis + rank : axis;
  if (blockSize && (at < 0 || at >= rank))
    return fail() << "axis " << axis << " is outside x's rank " << rank;
  Type floatType = scaleType.getElementType();
  auto i64 = [&](ArrayRef<int64_t> v) -> Value {
    auto type = RankedTensorType::get({int64_t(v.size())}, builder.getI64Type());
    return ONNX::ConstantOp::create(builder, loc,
                                    DenseElementsAttr::get(type, v));
  };
  auto op = [&](StringRef name, ArrayRef<Value> operands) -> FailureOr<Value> {
    SmallVector<NamedAttribute> attrs;
    if (name == "Slice") // data, starts, ends, axes; no steps
      attrs.push_back(builder.getNamedAttr(
          "operandSegmentSizes", builder.getDenseI32ArrayAttr({1, 1, 1, 1, 0})));
    FailureOr<Operation *> made = create(name, operands, attrs, 1);
    if (failed(made))
      return failure();
    return (*made)->getResult(0);
  };
  // Blocked: scale (and zero point) are x's shape with ceil(D / block_size)
  // at `axis` (D = x's size there); each value covers block_size elements
  // along the axis: Unsqueeze after the axis, Expand to block_size there,
  // Reshape the two into one and Slice to D.
  if (blockSize) {
    if (!xType.hasStaticShape() || !scaleType.hasStaticShape() ||
        scaleType.getRank() != rank)
      return fail() << "blocked form (block_size " << blockSize
                    << ") needs x and x_scale of static shapes and the same "
                       "rank, not "
                    << x.getType() << " and " << scale.getType();
    int64_t d = xType.getDimSize(at);
    SmallVector<int64_t> expected(xType.getShape());
    expected[at] = (d + blockSize - 1) / blockSize;
    if (scaleType.getShape() != ArrayRef<int64_t>(expected) ||
        (zeroPoint &&
         cast<ShapedType>(zeroPoint.getType()).getShape() !=
             ArrayRef<int64_t>(expected)))
      return fail() << "blocked form (axis " << axis << ", block_size "
                    << blockSize << ") needs x_scale (and x_zero_point) of shape ["
                    << ArrayRef<int64_t>(expected)
                    << "] for x " << x.getType() << ", not " << scale.getType();
  }
  auto blockExpand = [&](Value v) -> FailureOr<Value> {
    int64_t d = xType.getDimSize(at), groups = (d + blockSize - 1) / blockSize;
    FailureOr<Value> u = op("Unsqueeze", {v, i64({at + 1})});
    if (failed(u))
      return failure();
    SmallVector<int64_t> shape(xType.getShape());
    shape[at] = groups;
    shape.insert(shape.begin() + at + 1, blockSize);
    FailureOr<Value> e = op("Expand", {*u, i64(shape)});
    if (failed(e))
      return failure();
    shape.erase(shape.begin() + at + 1);
    shape[at] = groups * blockSize;
    FailureOr<Value> r = op("Reshape", {*e, i64(shape)});
    if (failed(r) || groups * blockSize == d)
      return r;
    return op("Slice", {*r, i64({0}), i64({d}), i64({at})});
  };
  // A per-axis scale [C] broadcasts against x after a reshape to
  // [1, ..., C, ..., 1] (C at `axis`).
  auto broadcastable = [&](Value v) -> FailureOr<Value> {
    if (blockSize)
      return blockExpand(v);
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() == 0 || xType.getRank() <= 1)
      return v;
    SmallVector<int64_t> shape(rank, 1);
    shape[at] = -1;
    return op("Reshape", {v, i64(shape)});
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
    y = op("Sub", {*y, *zpFloat});
    if (failed(y))
      return failure();
  }
  FailureOr<Value> s = broadcastable(scale);
  if (failed(s))
    return failure();
  return op("Mul", {*y, *s});
}

Value xf::importDequantizedMatMul(Value a, Value b, OpBuilder &builder,
                                  Location loc) {
  auto aType = dyn_cast<RankedTensorType>(a.getType());
  auto mul = b.getDefiningOp<ONNX::MulOp>();
  if (!aType || aType.getRank() < 2 || !aType.getElementType().isF32() || !mul)
    return {};
  // Mul(Sub(Cast(x), Cast(zp)) | Cast(x), scale), scale and zp possibly
  // through a Reshape (per axis) or expandDequantizeLinear's block expansion
  // along axis 0 (Slice(Reshape(Expand(Unsqueeze(v, 1), [G, B, N]))), the
  // Slice only for a partial last block), whose B is `blockSize`.
  int64_t scaleBlock = 0, zeroBlock = 0;
  auto peel = [](Value v, int64_t &blockSize) -> Value {
    if (auto slice = v.getDefiningOp<ONNX::SliceOp>())
      v = slice.getData();
    auto reshape = v.getDefiningOp<ONNX::ReshapeOp>();
    if (!reshape)
      return v;
    v = reshape.getData();
    auto expand = v.getDefiningOp<ONNX::ExpandOp>();
    if (!expand)
      return v;
    auto type = dyn_cast<RankedTensorType>(expand.getType());
    auto unsqueeze = expand.getInput().getDefiningOp<ONNX::UnsqueezeOp>();
    if (!type || type.getRank() != 3 || type.isDynamicDim(1) || !unsqueeze)
      return {};
    blockSize = type.getDimSize(1);
    return unsqueeze.getData();
  };
  Value scale = peel(mul.getB(), scaleBlock), zeroPoint, x;
  Value lhs = mul.getA();
  if (auto sub = lhs.getDefiningOp<ONNX::SubOp>()) {
    auto zpCast = sub.getB().getDefiningOp<ONNX::CastOp>();
    if (!zpCast)
      return {};
    zeroPoint = peel(zpCast.getInput(), zeroBlock);
    if (!zeroPoint || zeroBlock != scaleBlock)
      return {};
    lhs = sub.getA();
  }
  auto xCast = lhs.getDefiningOp<ONNX::CastOp>();
  if (!xCast || !scale)
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
  // Groups along K: one of K (per tensor: one value; per column: N values),
  // or blocks of B ([ceil(K / B), N] values, the last block maybe partial).
  int64_t groupSize = scaleBlock ? scaleBlock : k;
  int64_t groups = (k + groupSize - 1) / groupSize;
  auto at = [&](const std::vector<double> &v, int64_t g, int64_t j) {
    if (scaleBlock)
      return v[g * n + j];
    return v.size() == 1 ? v[0] : v[j];
  };
  auto validCount = [&](size_t count) {
    return scaleBlock ? int64_t(count) == groups * n
                      : count == 1 || int64_t(count) == n;
  };
  if (!validCount(scales->size()) || (zps && !validCount(zps->size())))
    return {};

  bool symmetric = !isUnsigned && (!zps || llvm::all_of(*zps, [](double z) {
                                      return z == 0;
                                    }));
  // Codes (and zero points) that fit 4 bits are packed as bits = 4: INT4 and
  // UINT4 initializers import as i8/ui8 holding one value each.
  auto fits4 = [&](const std::vector<double> &v) {
    return llvm::all_of(v, [&](double c) {
      return isUnsigned ? c >= 0 && c <= 15 : c >= -8 && c <= 7;
    });
  };
  int bits = fits4(*codes) && (symmetric || !zps || fits4(*zps)) ? 4 : 8;
  // Signed codes with zero points are made unsigned: q + 2^(bits-1) and
  // zp + 2^(bits-1).
  int64_t offset = isUnsigned || symmetric ? 0 : (bits == 4 ? 8 : 128);
  std::vector<int64_t> codeData(n * k);
  std::vector<float> scaleData(n * groups);
  std::vector<int8_t> zeroData(n * groups);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t g = 0; g < groups; ++g) {
      scaleData[j * groups + g] = float(at(*scales, g, j));
      zeroData[j * groups + g] =
          int8_t(uint8_t(int64_t(zps ? at(*zps, g, j) : 0) + offset));
    }
    for (int64_t p = 0; p < k; ++p)
      codeData[j * k + p] = int64_t((*codes)[p * n + j]) + offset;
  }
  std::vector<int8_t> packed = packQLinearCodes(codeData, n, k, bits);
  builder.getContext()->getOrLoadDialect<XF::XFDialect>();
  std::string base = "dequantized";
  if (auto constant = x.getDefiningOp<ONNX::ConstantOp>())
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
      base = resource.getRawHandle().getKey().str();
  base += bits == 4 ? ".q4" : ".q8";
  Type i8 = builder.getI8Type();
  Value codesValue = createResourceConstant<int8_t>(
      builder, loc, RankedTensorType::get({n, (k * bits + 7) / 8}, i8), base,
      packed);
  Value scalesValue = createResourceConstant<float>(
      builder, loc, RankedTensorType::get({n, groups}, builder.getF32Type()),
      base + ".scales", scaleData);
  Value zeroValue =
      symmetric ? Value()
                : createResourceConstant<int8_t>(
                      builder, loc, RankedTensorType::get({n, groups}, i8),
                      base + ".zero_points", zeroData);
  SmallVector<int64_t> shape(aType.getShape());
  shape.back() = n;
  return XF::QLinearOp::create(
             builder, loc, RankedTensorType::get(shape, builder.getF32Type()),
             a, codesValue, scalesValue, zeroValue, Value(),
             builder.getI64IntegerAttr(bits),
             builder.getI64IntegerAttr(groupSize),
             symmetric ? builder.getUnitAttr() : UnitAttr(),
             /*int8_activations=*/UnitAttr())
      .getResult();
}
