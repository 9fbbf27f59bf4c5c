//===- ShapeHelpers.cpp - shape arithmetic for onnx ops -------------------===//

#include "dialects/ONNX/IR/ShapeHelpers.h"
#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace xf::ONNX {

std::optional<SmallVector<int64_t>> getConstantIntValues(Value value) {
  DenseIntElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  // Bools are 0 and 1 (sign-extended, true would be -1).
  Type elementType = attr.getElementType();
  bool zeroExtend = elementType.isUnsignedInteger() || elementType.isInteger(1);
  SmallVector<int64_t> values;
  values.reserve(attr.getNumElements());
  for (const APInt &element : attr.getValues<APInt>())
    values.push_back(zeroExtend ? element.getZExtValue()
                                : element.getSExtValue());
  return values;
}

static std::optional<int64_t> staticElementCount(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() > 1 || !type.hasStaticShape())
    return std::nullopt;
  return type.getNumElements();
}

std::optional<SmallVector<int64_t>> getPartialIntValues(Value value) {
  if (auto values = getConstantIntValues(value))
    return values;
  std::optional<int64_t> count = staticElementCount(value);
  if (!count)
    return std::nullopt;
  SmallVector<int64_t> unknown(*count, kUnknownValue);
  Operation *def = value.getDefiningOp();
  if (!def)
    return unknown;

  if (auto shape = dyn_cast<ShapeOp>(def)) {
    auto inputType = dyn_cast<RankedTensorType>(shape.getData().getType());
    if (!inputType)
      return unknown;
    int64_t rank = inputType.getRank();
    // I64Attr getters return uint64_t; start and end may be negative.
    auto clampIndex = [&](int64_t i) {
      return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank);
    };
    int64_t start = clampIndex(shape.getStart());
    int64_t end = rank;
    if (auto e = shape.getEnd())
      end = clampIndex(*e);
    SmallVector<int64_t> dims;
    for (int64_t i = start; i < end; ++i)
      dims.push_back(inputType.getDimSize(i));
    if (static_cast<int64_t>(dims.size()) != *count)
      return unknown;
    return dims;
  }
  if (auto concat = dyn_cast<ConcatOp>(def)) {
    SmallVector<int64_t> result;
    for (Value input : concat.getInputs()) {
      auto part = getPartialIntValues(input);
      if (!part)
        return unknown;
      result.append(*part);
    }
    return static_cast<int64_t>(result.size()) == *count ? result : unknown;
  }
  if (isa<UnsqueezeOp, SqueezeOp, IdentityOp, ReshapeOp>(def)) {
    auto part = getPartialIntValues(def->getOperand(0));
    return part && static_cast<int64_t>(part->size()) == *count ? *part
                                                                : unknown;
  }
  if (auto cast = dyn_cast<CastOp>(def)) {
    auto to = dyn_cast<IntegerType>(cast.getTo());
    if (!to)
      return unknown;
    auto part = getPartialIntValues(cast.getInput());
    if (!part || static_cast<int64_t>(part->size()) != *count)
      return unknown;
    // Known values change as the cast changes them: to 0 or 1 for bool,
    // wrapped to a narrower width.
    unsigned width = to.getWidth();
    for (int64_t &v : *part) {
      if (v == kUnknownValue || width >= 64)
        continue;
      if (width == 1) {
        v = v != 0;
        continue;
      }
      APInt bits = APInt(64, v, /*isSigned=*/true).trunc(width);
      v = to.isUnsigned() ? bits.getZExtValue() : bits.getSExtValue();
    }
    return part;
  }
  if (auto gather = dyn_cast<GatherOp>(def)) {
    auto data = getPartialIntValues(gather.getData());
    auto indices = getConstantIntValues(gather.getIndices());
    if (!data || !indices ||
        static_cast<int64_t>(indices->size()) != *count)
      return unknown;
    SmallVector<int64_t> result;
    int64_t size = data->size();
    for (int64_t index : *indices) {
      if (index < 0)
        index += size;
      if (index < 0 || index >= size)
        return unknown;
      result.push_back((*data)[index]);
    }
    return result;
  }
  return unknown;
}

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                    ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l == 1)
      result[i] = r;
    else if (r == 1)
      result[i] = l;
    else if (ShapedType::isDynamic(l))
      result[i] = r;
    else if (ShapedType::isDynamic(r) || l == r)
      result[i] = l;
    else
      return std::nullopt;
  }
  return result;
}

std::pair<int64_t, int64_t> sliceRange(int64_t dim, int64_t start, int64_t end,
                                       int64_t step) {
  if (dim == 0)
    return {0, 0};
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  // Counted as 1 + (span - 1) / |step|, which cannot overflow for any step.
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    return {start, end > start ? (end - start - 1) / step + 1 : 0};
  }
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  return {start, start > end ? 1 - (start - end - 1) / step : 0};
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

TensorType makeTensorType(std::optional<ArrayRef<int64_t>> shape,
                          Type elementType) {
  if (!shape)
    return UnrankedTensorType::get(elementType);
  return RankedTensorType::get(*shape, elementType);
}

} // namespace xf::ONNX
