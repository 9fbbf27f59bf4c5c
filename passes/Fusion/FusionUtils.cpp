//===- FusionUtils.cpp - matching helpers for onnx -> xf fusion -----------===//

#include "passes/Fusion/FusionUtils.h"

#include "dialects/ONNX/IR/ShapeHelpers.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace xf::fusion {

namespace {
/// Reads element `i` of raw little-endian `data` of `elementType`.
std::optional<double> readRawElement(ArrayRef<char> data, Type elementType,
                                     int64_t i) {
  unsigned bits = elementType.getIntOrFloatBitWidth();
  // Bools are stored one per byte, as ONNX stores them.
  unsigned bytes = bits == 1 ? 1 : bits / 8;
  if (bytes == 0 || (i + 1) * bytes > data.size())
    return std::nullopt;
  uint64_t raw = 0;
  std::memcpy(&raw, data.data() + i * bytes, bytes);
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    APFloat value(floatType.getFloatSemantics(), APInt(bits, raw));
    return value.convertToDouble();
  }
  if (bits == 1)
    return raw != 0 ? 1.0 : 0.0;
  APInt value(bits, raw);
  return elementType.isUnsignedInteger()
             ? static_cast<double>(value.getZExtValue())
             : static_cast<double>(value.getSExtValue());
}
} // namespace

std::optional<SmallVector<double>> getConstantElements(Value value,
                                                       int64_t maxElements) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto elements = dyn_cast<ElementsAttr>(attr);
  if (!elements || elements.getNumElements() > maxElements)
    return std::nullopt;
  Type elementType = elements.getElementType();
  if (!elementType.isIntOrFloat())
    return std::nullopt;
  SmallVector<double> values;
  values.reserve(elements.getNumElements());
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (isa<FloatType>(elementType)) {
      for (const APFloat &v : dense.getValues<APFloat>())
        values.push_back(v.convertToDouble());
    } else {
      bool zeroExtend =
          elementType.isUnsignedInteger() || elementType.isInteger(1);
      for (const APInt &v : dense.getValues<APInt>())
        values.push_back(zeroExtend ? static_cast<double>(v.getZExtValue())
                                    : static_cast<double>(v.getSExtValue()));
    }
    return values;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!resource)
    return std::nullopt;
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  ArrayRef<char> data = blob->getData();
  for (int64_t i = 0, e = elements.getNumElements(); i < e; ++i) {
    std::optional<double> v = readRawElement(data, elementType, i);
    if (!v)
      return std::nullopt;
    values.push_back(*v);
  }
  return values;
}

std::optional<double> getSplatValue(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr); dense && dense.isSplat()) {
    if (isa<FloatType>(dense.getElementType()))
      return dense.getSplatValue<APFloat>().convertToDouble();
    if (dense.getElementType().isIntOrIndex())
      return static_cast<double>(dense.getSplatValue<APInt>().getSExtValue());
    return std::nullopt;
  }
  std::optional<SmallVector<double>> values = getConstantElements(value, 4096);
  if (!values || values->empty())
    return std::nullopt;
  for (double v : *values)
    if (v != values->front() && !(std::isnan(v) && std::isnan(values->front())))
      return std::nullopt;
  return values->front();
}

bool isSplatNear(Value value, double expected, double relTol) {
  std::optional<double> v = getSplatValue(value);
  if (!v)
    return false;
  if (std::isinf(expected) || expected == 0.0)
    return *v == expected;
  return std::fabs(*v - expected) <= relTol * std::fabs(expected);
}

bool isUnitTensor(Type type, int64_t maxRank) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() <= maxRank &&
         llvm::all_of(tensor.getShape(), [](int64_t d) { return d == 1; });
}

bool keepsShape(Value result, Value x) {
  return result.getType() == x.getType();
}

bool isLastAxis(int64_t axis, int64_t rank) {
  return rank > 0 && (axis == rank - 1 || axis == -1);
}

bool isFeatureVector(Value weight, Value input) {
  auto w = dyn_cast<RankedTensorType>(weight.getType());
  auto x = dyn_cast<RankedTensorType>(input.getType());
  if (!w || !x || w.getRank() != 1 || x.getRank() < 1 ||
      w.getElementType() != x.getElementType() ||
      !isa<FloatType>(x.getElementType()))
    return false;
  // D must be proven one size (static, or one symbol): a `?` weight may be
  // a broadcast 1, which the xf norms do not take.
  return ONNX::getSymbolicDim(weight, 0) ==
         ONNX::getSymbolicDim(input, x.getRank() - 1);
}

Value matchMeanOverLastAxis(Value value) {
  auto mean = defOp<ONNX::ReduceMeanOp>(value);
  if (!mean || mean.getKeepdims() != 1 || !mean.getAxes())
    return {};
  auto type = dyn_cast<RankedTensorType>(mean.getData().getType());
  std::optional<SmallVector<int64_t>> axes =
      ONNX::getConstantIntValues(mean.getAxes());
  if (!type || !axes || axes->size() != 1 ||
      !isLastAxis((*axes)[0], type.getRank()))
    return {};
  return mean.getData();
}

Value createScalarConstant(OpBuilder &builder, Location loc, Type elementType,
                           double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element;
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    APFloat v(value);
    bool losesInfo = false;
    v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &losesInfo);
    element = FloatAttr::get(elementType, v);
  } else {
    element = IntegerAttr::get(elementType, static_cast<int64_t>(value));
  }
  return ONNX::ConstantOp::create(builder, loc,
                                  DenseElementsAttr::get(type, element));
}

Value createI64Constant(OpBuilder &builder, Location loc,
                        ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    builder.getI64Type());
  return ONNX::ConstantOp::create(builder, loc,
                                  DenseElementsAttr::get(type, values));
}

Value createTranspose(OpBuilder &builder, Location loc, Value value,
                      ArrayRef<int64_t> perm) {
  Type elementType = cast<ShapedType>(value.getType()).getElementType();
  return createInferred<ONNX::TransposeOp>(builder, loc, elementType, value,
                                           builder.getI64ArrayAttr(perm));
}

/// The [B, Hkv, S, D] tensor that `value` ([B, Hkv * n, S, D]) repeats each
/// head of n times in a row (head h reads h / n), and n; written as
/// Reshape(Expand|Tile(Unsqueeze(kv, 2))) or Concat of n copies of
/// Unsqueeze(kv, 2) on axis 2; or Expand/Tile/Concat over heads of a single
/// head (MQA).
std::optional<std::pair<Value, int64_t>> stripRepeatKV(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != 4 || type.isDynamicDim(1))
    return std::nullopt;
  int64_t heads = type.getDimSize(1);
  auto checked = [&](Value kv) -> std::optional<std::pair<Value, int64_t>> {
    auto kvType = dyn_cast<RankedTensorType>(kv.getType());
    if (!kvType || kvType.getRank() != 4 || kvType.isDynamicDim(1) ||
        kvType.getElementType() != type.getElementType() ||
        heads % kvType.getDimSize(1) != 0)
      return std::nullopt;
    for (int64_t d : {0, 2, 3})
      if (!kvType.isDynamicDim(d) && !type.isDynamicDim(d) &&
          kvType.getDimSize(d) != type.getDimSize(d))
        return std::nullopt;
    return std::pair(kv, heads / kvType.getDimSize(1));
  };

  if (auto reshape = defOp<ONNX::ReshapeOp>(value)) {
    Value repeated = reshape.getData();
    auto rType = dyn_cast<RankedTensorType>(repeated.getType());
    if (!rType || rType.getRank() != 5 || rType.isDynamicDim(1) ||
        rType.isDynamicDim(2) ||
        rType.getDimSize(1) * rType.getDimSize(2) != heads)
      return std::nullopt;
    Value unsqueezed;
    if (auto expand = defOp<ONNX::ExpandOp>(repeated))
      unsqueezed = expand.getInput();
    else if (auto tile = defOp<ONNX::TileOp>(repeated)) {
      auto repeats = ONNX::getConstantIntValues(tile.getRepeats());
      if (!repeats || repeats->size() != 5 || (*repeats)[0] != 1 ||
          (*repeats)[1] != 1 || (*repeats)[3] != 1 || (*repeats)[4] != 1)
        return std::nullopt;
      unsqueezed = tile.getInput();
    } else if (auto concat = defOp<ONNX::ConcatOp>(repeated)) {
      if (concat.getAxis() != 2 && concat.getAxis() != -3)
        return std::nullopt;
      unsqueezed = concat.getInputs().front();
      if (llvm::any_of(concat.getInputs(),
                       [&](Value v) { return v != unsqueezed; }))
        return std::nullopt;
    } else {
      return std::nullopt;
    }
    auto unsqueeze = defOp<ONNX::UnsqueezeOp>(unsqueezed);
    auto axes = unsqueeze ? ONNX::getConstantIntValues(unsqueeze.getAxes())
                          : std::nullopt;
    auto uType = dyn_cast<RankedTensorType>(unsqueezed.getType());
    if (!axes || axes->size() != 1 || ((*axes)[0] != 2 && (*axes)[0] != -3) ||
        !uType || uType.getDimSize(2) != 1 ||
        uType.getDimSize(1) != rType.getDimSize(1))
      return std::nullopt;
    // The reshape must merge (Hkv, n) and keep the other dimensions: its
    // target is [B or 0 or -1, Hkv * n, S or 0 or -1, D].
    std::optional<SmallVector<int64_t>> target =
        ONNX::getPartialIntValues(reshape.getShape());
    if (!target || target->size() != 4 || (*target)[1] != heads)
      return std::nullopt;
    return checked(unsqueeze.getData());
  }
  // MQA: one head broadcast over all of them.
  Value single;
  if (auto expand = defOp<ONNX::ExpandOp>(value))
    single = expand.getInput();
  else if (auto tile = defOp<ONNX::TileOp>(value)) {
    auto repeats = ONNX::getConstantIntValues(tile.getRepeats());
    if (!repeats || repeats->size() != 4 || (*repeats)[0] != 1 ||
        (*repeats)[2] != 1 || (*repeats)[3] != 1)
      return std::nullopt;
    single = tile.getInput();
  } else if (auto concat = defOp<ONNX::ConcatOp>(value)) {
    if (concat.getAxis() != 1 && concat.getAxis() != -3)
      return std::nullopt;
    single = concat.getInputs().front();
    if (llvm::any_of(concat.getInputs(), [&](Value v) { return v != single; }))
      return std::nullopt;
  }
  auto singleType = single ? dyn_cast<RankedTensorType>(single.getType())
                           : RankedTensorType();
  if (!singleType || singleType.getRank() != 4 || singleType.getDimSize(1) != 1)
    return std::nullopt;
  return checked(single);
}

} // namespace xf::fusion
