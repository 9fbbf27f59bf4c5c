//===- ONNXFolders.cpp - constant folding of onnx ops ---------------------===//
//
// Folds the small integer computations exporters write around shapes
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) and casts of constants.
// Only inline DenseElementsAttr values up to kMaxFoldedElements are folded,
// never weights held as dense resources.
//
//===----------------------------------------------------------------------===//

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/ShapeHelpers.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APSInt.h"

#include <cmath>

using namespace mlir;
using namespace xf::ONNX;

namespace {
constexpr int64_t kMaxFoldedElements = 1 << 16;

/// The static result type of `op`'s first result, if it is small enough to fold.
RankedTensorType foldableResultType(Operation *op) {
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.hasStaticShape() ||
      type.getNumElements() > kMaxFoldedElements)
    return nullptr;
  return type;
}

DenseElementsAttr denseOperand(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxFoldedElements)
    return nullptr;
  return dense;
}

/// Row-major strides of `shape` as a broadcast operand of `resultShape`:
/// broadcast dimensions get stride 0.
SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> resultShape) {
  SmallVector<int64_t> strides(resultShape.size(), 0);
  int64_t stride = 1;
  for (int64_t i = shape.size() - 1, r = resultShape.size() - 1; i >= 0;
       --i, --r) {
    strides[r] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

int64_t broadcastIndex(int64_t linear, ArrayRef<int64_t> resultShape,
                       ArrayRef<int64_t> strides) {
  int64_t index = 0;
  for (int64_t d = resultShape.size() - 1; d >= 0; --d) {
    index += (linear % resultShape[d]) * strides[d];
    linear /= resultShape[d];
  }
  return index;
}

/// Folds an elementwise binary op on constants with broadcasting.
template <typename IntFn, typename FloatFn>
Attribute foldBinary(Operation *op, ArrayRef<Attribute> operands, IntFn intFn,
                     FloatFn floatFn) {
  RankedTensorType resultType = foldableResultType(op);
  DenseElementsAttr lhs = denseOperand(operands[0]);
  DenseElementsAttr rhs = denseOperand(operands[1]);
  if (!resultType || !lhs || !rhs)
    return {};
  ArrayRef<int64_t> shape = resultType.getShape();
  auto lhsStrides = broadcastStrides(lhs.getType().getShape(), shape);
  auto rhsStrides = broadcastStrides(rhs.getType().getShape(), shape);
  int64_t count = resultType.getNumElements();
  Type elementType = resultType.getElementType();
  if (auto intType = dyn_cast<IntegerType>(elementType)) {
    auto l = llvm::to_vector(lhs.getValues<APInt>());
    auto r = llvm::to_vector(rhs.getValues<APInt>());
    SmallVector<APInt> result;
    result.reserve(count);
    for (int64_t i = 0; i < count; ++i) {
      std::optional<APInt> v =
          intFn(l[broadcastIndex(i, shape, lhsStrides)],
                r[broadcastIndex(i, shape, rhsStrides)], intType.isUnsigned());
      if (!v)
        return {};
      result.push_back(*v);
    }
    return DenseElementsAttr::get(resultType, result);
  }
  if (isa<FloatType>(elementType)) {
    auto l = llvm::to_vector(lhs.getValues<APFloat>());
    auto r = llvm::to_vector(rhs.getValues<APFloat>());
    SmallVector<APFloat> result;
    result.reserve(count);
    for (int64_t i = 0; i < count; ++i)
      result.push_back(floatFn(l[broadcastIndex(i, shape, lhsStrides)],
                               r[broadcastIndex(i, shape, rhsStrides)]));
    return DenseElementsAttr::get(resultType, result);
  }
  return {};
}

/// The same elements under the op's (static) result type.
Attribute foldByReshape(Operation *op, Attribute input) {
  RankedTensorType resultType = foldableResultType(op);
  DenseElementsAttr dense = denseOperand(input);
  // A result type more static than the inferred one is trusted only as far
  // as the element count, which reshape() requires to match.
  if (!resultType || !dense ||
      dense.getElementType() != resultType.getElementType() ||
      dense.getNumElements() != resultType.getNumElements())
    return {};
  return dense.reshape(resultType);
}
} // namespace

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult IdentityOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a + b;
      },
      [](const APFloat &a, const APFloat &b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a - b;
      },
      [](const APFloat &a, const APFloat &b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a * b;
      },
      [](const APFloat &a, const APFloat &b) { return a * b; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APInt &a, const APInt &b,
         bool isUnsigned) -> std::optional<APInt> {
        // Division by zero is left to run time, where it is undefined.
        if (b.isZero())
          return std::nullopt;
        return isUnsigned ? a.udiv(b) : a.sdiv(b);
      },
      [](const APFloat &a, const APFloat &b) { return a / b; });
}

/// Folds a float unary op on a constant, element by element in double (the
/// results are rounded to the element type once, as a correctly rounded f32
/// operation would give them).
Attribute foldFloatUnary(Operation *op, Attribute operand,
                         function_ref<double(double)> fn) {
  RankedTensorType resultType = foldableResultType(op);
  DenseElementsAttr input = denseOperand(operand);
  if (!resultType || !input || !isa<FloatType>(resultType.getElementType()) ||
      input.getNumElements() != resultType.getNumElements())
    return {};
  const llvm::fltSemantics &semantics =
      cast<FloatType>(resultType.getElementType()).getFloatSemantics();
  SmallVector<APFloat> result;
  for (const APFloat &x : input.getValues<APFloat>()) {
    APFloat y(fn(x.convertToDouble()));
    bool lost;
    y.convert(semantics, APFloat::rmNearestTiesToEven, &lost);
    result.push_back(y);
  }
  return DenseElementsAttr::get(resultType, result);
}

OpFoldResult SqrtOp::fold(FoldAdaptor adaptor) {
  return foldFloatUnary(*this, adaptor.getX(),
                        [](double x) { return std::sqrt(x); });
}

OpFoldResult ReciprocalOp::fold(FoldAdaptor adaptor) {
  return foldFloatUnary(*this, adaptor.getX(),
                        [](double x) { return 1.0 / x; });
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  RankedTensorType resultType = foldableResultType(*this);
  DenseElementsAttr input = denseOperand(adaptor.getInput());
  if (!resultType || !input)
    return {};
  Type from = input.getElementType(), to = resultType.getElementType();
  auto toInt = dyn_cast<IntegerType>(to);
  auto toFloat = dyn_cast<FloatType>(to);
  if (auto fromInt = dyn_cast<IntegerType>(from)) {
    bool isSigned = !fromInt.isUnsigned() && fromInt.getWidth() != 1;
    if (toInt) {
      SmallVector<APInt> values;
      for (const APInt &v : input.getValues<APInt>())
        values.push_back(toInt.getWidth() == 1
                             ? APInt(1, !v.isZero())
                             : (isSigned ? v.sextOrTrunc(toInt.getWidth())
                                         : v.zextOrTrunc(toInt.getWidth())));
      return DenseElementsAttr::get(resultType, values);
    }
    if (toFloat) {
      SmallVector<APFloat> values;
      for (const APInt &v : input.getValues<APInt>()) {
        APFloat f(toFloat.getFloatSemantics());
        f.convertFromAPInt(v, isSigned, APFloat::rmNearestTiesToEven);
        values.push_back(f);
      }
      return DenseElementsAttr::get(resultType, values);
    }
    return {};
  }
  if (isa<FloatType>(from)) {
    if (toFloat) {
      SmallVector<APFloat> values;
      for (APFloat v : input.getValues<APFloat>()) {
        bool losesInfo;
        v.convert(toFloat.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
        values.push_back(v);
      }
      return DenseElementsAttr::get(resultType, values);
    }
    if (toInt && toInt.getWidth() > 1) {
      SmallVector<APInt> values;
      for (const APFloat &v : input.getValues<APFloat>()) {
        if (!v.isFinite())
          return {};
        APSInt i(toInt.getWidth(), toInt.isUnsigned());
        bool exact;
        v.convertToInteger(i, APFloat::rmTowardZero, &exact);
        values.push_back(i);
      }
      return DenseElementsAttr::get(resultType, values);
    }
  }
  return {};
}

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto inputType = dyn_cast<RankedTensorType>(getData().getType());
  RankedTensorType resultType = foldableResultType(*this);
  if (!inputType || !resultType)
    return {};
  auto dims = getPartialIntValues(getResult());
  if (!dims || llvm::any_of(*dims, [](int64_t d) { return d == kUnknownValue; }))
    return {};
  return DenseElementsAttr::get(resultType, ArrayRef<int64_t>(*dims));
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  return foldByReshape(*this, adaptor.getData());
}

OpFoldResult SqueezeOp::fold(FoldAdaptor adaptor) {
  return foldByReshape(*this, adaptor.getData());
}

OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  return foldByReshape(*this, adaptor.getData());
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  RankedTensorType resultType = foldableResultType(*this);
  if (!resultType || resultType.getRank() != 1)
    return {};
  SmallVector<Attribute> elements;
  for (Attribute operand : adaptor.getInputs()) {
    DenseElementsAttr dense = denseOperand(operand);
    if (!dense)
      return {};
    llvm::append_range(elements, dense.getValues<Attribute>());
  }
  return DenseElementsAttr::get(resultType, elements);
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  RankedTensorType resultType = foldableResultType(*this);
  DenseElementsAttr data = denseOperand(adaptor.getData());
  DenseElementsAttr indices = denseOperand(adaptor.getIndices());
  // Gather(Shape(x), i) of dimensions of x that are static, though others
  // are not (so Shape(x) itself does not fold).
  if (auto shape = getData().getDefiningOp<ShapeOp>();
      shape && resultType && indices && !data) {
    auto type = dyn_cast<RankedTensorType>(shape.getData().getType());
    auto shapeType = dyn_cast<RankedTensorType>(shape.getType());
    if (!type || !shapeType || !shapeType.hasStaticShape())
      return {};
    int64_t size = shapeType.getNumElements();
    int64_t start = shape.getStart() < 0 ? shape.getStart() + type.getRank()
                                          : shape.getStart();
    SmallVector<Attribute> result;
    for (const APInt &i : indices.getValues<APInt>()) {
      int64_t index = i.getSExtValue();
      if (index < 0)
        index += size;
      if (index < 0 || index >= size)
        return {};
      int64_t dim = type.getDimSize(start + index);
      if (ShapedType::isDynamic(dim))
        return {};
      result.push_back(IntegerAttr::get(resultType.getElementType(), dim));
    }
    return DenseElementsAttr::get(resultType, result);
  }
  if (!resultType || !data || !indices || data.getType().getRank() != 1)
    return {};
  auto values = llvm::to_vector(data.getValues<Attribute>());
  int64_t size = values.size();
  SmallVector<Attribute> result;
  for (const APInt &i : indices.getValues<APInt>()) {
    int64_t index = i.getSExtValue();
    if (index < 0)
      index += size;
    if (index < 0 || index >= size)
      return {};
    result.push_back(values[index]);
  }
  return DenseElementsAttr::get(resultType, result);
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  RankedTensorType resultType = foldableResultType(*this);
  DenseElementsAttr data = denseOperand(adaptor.getData());
  // Slice(Shape(x)) of dimensions of x that are static, though others are
  // not (so Shape(x) itself does not fold).
  if (auto shape = getData().getDefiningOp<ShapeOp>();
      shape && resultType && !data) {
    auto type = dyn_cast<RankedTensorType>(shape.getData().getType());
    auto shapeType = dyn_cast<RankedTensorType>(shape.getType());
    auto starts = getConstantIntValues(getStarts());
    auto ends = getConstantIntValues(getEnds());
    auto steps = getSteps() ? getConstantIntValues(getSteps())
                            : std::optional<SmallVector<int64_t>>(
                                  SmallVector<int64_t>{1});
    if (!type || !shapeType || !shapeType.hasStaticShape() || !starts ||
        !ends || !steps || starts->size() != 1 || ends->size() != 1 ||
        steps->size() != 1 || steps->front() == 0)
      return {};
    int64_t start = shape.getStart() < 0 ? shape.getStart() + type.getRank()
                                          : shape.getStart();
    auto [first, count] = sliceRange(shapeType.getNumElements(),
                                     starts->front(), ends->front(),
                                     steps->front());
    if (count != resultType.getNumElements())
      return {};
    SmallVector<Attribute> result;
    for (int64_t i = 0; i < count; ++i) {
      int64_t dim = type.getDimSize(start + first + i * steps->front());
      if (ShapedType::isDynamic(dim))
        return {};
      result.push_back(IntegerAttr::get(resultType.getElementType(), dim));
    }
    return DenseElementsAttr::get(resultType, result);
  }
  if (!resultType || !data || data.getType().getRank() != 1)
    return {};
  auto starts = getConstantIntValues(getStarts());
  auto ends = getConstantIntValues(getEnds());
  auto steps = getSteps() ? getConstantIntValues(getSteps())
                          : std::optional<SmallVector<int64_t>>(
                                SmallVector<int64_t>{1});
  if (!starts || !ends || !steps || starts->size() != 1 ||
      ends->size() != 1 || steps->size() != 1 || steps->front() == 0)
    return {};
  auto values = llvm::to_vector(data.getValues<Attribute>());
  int64_t step = steps->front();
  auto [first, count] =
      sliceRange(values.size(), starts->front(), ends->front(), step);
  // The declared type may be more static than the inferred one; it must
  // still agree with the elements taken.
  if (count != resultType.getNumElements())
    return {};
  SmallVector<Attribute> result;
  for (int64_t i = 0; i < count; ++i)
    result.push_back(values[first + i * step]);
  return DenseElementsAttr::get(resultType, result);
}

OpFoldResult RangeOp::fold(FoldAdaptor) {
  RankedTensorType resultType = foldableResultType(*this);
  if (!resultType || !isa<IntegerType>(resultType.getElementType()))
    return {};
  auto start = getConstantIntValues(getStart());
  auto delta = getConstantIntValues(getDelta());
  if (!start || !delta)
    return {};
  unsigned width = resultType.getElementTypeBitWidth();
  SmallVector<APInt> result;
  for (int64_t i = 0, e = resultType.getNumElements(); i < e; ++i)
    result.push_back(APInt(width, start->front() + i * delta->front(),
                           /*isSigned=*/true));
  return DenseElementsAttr::get(resultType, result);
}

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  auto resultType = dyn_cast<RankedTensorType>(getType());
  if (!resultType || !resultType.hasStaticShape())
    return {};
  if (auto value = getValueAttr()) {
    auto dense = dyn_cast<DenseElementsAttr>(value);
    if (!dense)
      return {};
    return DenseElementsAttr::get(resultType,
                                  *dense.value_begin<Attribute>());
  }
  return DenseElementsAttr::get(resultType,
                                FloatAttr::get(resultType.getElementType(), 0.0));
}
