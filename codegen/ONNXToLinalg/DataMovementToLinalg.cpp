//===- DataMovementToLinalg.cpp - shape and data movement ops -> linalg ---===//
//
// Sizes, offsets and shape parameters are `index` values built with
// createOrFold, so one piece of code serves static and dynamic shapes: what is
// known at compile time (static dims, constant operands, partially known
// shape tensors) folds to constants and the rest is computed at run time.
// Moves that tensor ops can express (reshapes, slices with positive steps,
// concatenation) use them; the others are linalg.generic ops over the result
// that read the input with tensor.extract at computed indices.
//
//===----------------------------------------------------------------------===//

#include "codegen/ONNXToLinalg/ONNXToLinalg.h"
#include "codegen/Utils/ShapeChecks.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/ShapeHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
namespace ONNX = xf::ONNX;
using xf::createDimCheck;
using xf::describeOp;
using xf::materializeRuntimeBroadcast;
using xf::RuntimeBroadcast;

namespace {
/// An extract_slice, or an empty tensor when a size is statically 0: the
/// slice verifier rejects an offset at the end of a dimension even for an
/// empty slice, which ONNX allows.
Value extractSliceOrEmpty(OpBuilder &b, Location loc, Value source,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes,
                          ArrayRef<OpFoldResult> strides) {
  if (llvm::any_of(sizes, [](OpFoldResult size) {
        std::optional<int64_t> value = getConstantIntValue(size);
        return value && *value == 0;
      }))
    return tensor::EmptyOp::create(
        b, loc, sizes, cast<ShapedType>(source.getType()).getElementType());
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                        strides);
}


/// Index arithmetic on OpFoldResults: constants fold in C++ and only what is
/// unknown at compile time becomes arith ops. Conditions are i1 attributes or
/// values.
class IndexMath {
public:
  IndexMath(OpBuilder &builder, Location loc) : b(builder), loc(loc) {}

  OpFoldResult c(int64_t v) { return b.getIndexAttr(v); }
  Value value(OpFoldResult x) {
    if (auto v = dyn_cast<Value>(x))
      return v;
    return arith::ConstantOp::create(b, loc,
                                     cast<TypedAttr>(cast<Attribute>(x)));
  }
  SmallVector<Value> values(ArrayRef<OpFoldResult> xs) {
    return llvm::map_to_vector(xs, [&](OpFoldResult x) { return value(x); });
  }

  /// `x` as an attribute where it is a constant, so that results returned
  /// unchanged and the sizes ops are built with are static where known.
  OpFoldResult canonical(OpFoldResult x) {
    if (std::optional<int64_t> known = getConstantIntValue(x))
      return isa<Attribute>(x) ? x : c(*known);
    return x;
  }

  OpFoldResult add(OpFoldResult x, OpFoldResult y) {
    x = canonical(x);
    y = canonical(y);
    if (isConstantIntValue(y, 0))
      return x;
    if (isConstantIntValue(x, 0))
      return y;
    return fold<arith::AddIOp>(x, y, [](int64_t p, int64_t q) {
      return static_cast<int64_t>(static_cast<uint64_t>(p) +
                                  static_cast<uint64_t>(q));
    });
  }
  OpFoldResult sub(OpFoldResult x, OpFoldResult y) {
    x = canonical(x);
    y = canonical(y);
    if (isConstantIntValue(y, 0))
      return x;
    return fold<arith::SubIOp>(x, y, [](int64_t p, int64_t q) {
      return static_cast<int64_t>(static_cast<uint64_t>(p) -
                                  static_cast<uint64_t>(q));
    });
  }
  OpFoldResult mul(OpFoldResult x, OpFoldResult y) {
    x = canonical(x);
    y = canonical(y);
    if (isConstantIntValue(y, 1))
      return x;
    if (isConstantIntValue(x, 1))
      return y;
    return fold<arith::MulIOp>(x, y, [](int64_t p, int64_t q) {
      return static_cast<int64_t>(static_cast<uint64_t>(p) *
                                  static_cast<uint64_t>(q));
    });
  }
  OpFoldResult div(OpFoldResult x, OpFoldResult y) {
    x = canonical(x);
    y = canonical(y);
    if (isConstantIntValue(y, 1))
      return x;
    return foldDivision<arith::DivSIOp>(
        x, y, [](int64_t p, int64_t q) { return p / q; });
  }
  OpFoldResult ceilDiv(OpFoldResult x, OpFoldResult y) {
    return foldDivision<arith::CeilDivSIOp>(x, y, [](int64_t p, int64_t q) {
      return llvm::divideCeilSigned(p, q);
    });
  }
  OpFoldResult min(OpFoldResult x, OpFoldResult y) {
    return fold<arith::MinSIOp>(
        x, y, [](int64_t p, int64_t q) { return std::min(p, q); });
  }
  OpFoldResult max(OpFoldResult x, OpFoldResult y) {
    return fold<arith::MaxSIOp>(
        x, y, [](int64_t p, int64_t q) { return std::max(p, q); });
  }
  OpFoldResult clamp(OpFoldResult x, OpFoldResult lo, OpFoldResult hi) {
    return min(max(x, lo), hi);
  }
  OpFoldResult cmp(arith::CmpIPredicate predicate, OpFoldResult x,
                   OpFoldResult y) {
    std::optional<int64_t> p = getConstantIntValue(x);
    std::optional<int64_t> q = getConstantIntValue(y);
    if (p && q)
      return b.getBoolAttr(
          arith::applyCmpPredicate(predicate, APInt(64, *p, /*isSigned=*/true),
                                   APInt(64, *q, /*isSigned=*/true)));
    return arith::CmpIOp::create(b, loc, predicate, value(x), value(y))
        .getResult();
  }
  OpFoldResult select(OpFoldResult cond, OpFoldResult x, OpFoldResult y) {
    if (std::optional<int64_t> known = getConstantIntValue(cond))
      return *known != 0 ? canonical(x) : canonical(y);
    if (x == y)
      return x;
    return arith::SelectOp::create(b, loc, value(cond), value(x), value(y))
        .getResult();
  }
  /// `x + size` where `x` is negative: ONNX's counting from the end.
  OpFoldResult wrapNegative(OpFoldResult x, OpFoldResult size) {
    return select(cmp(arith::CmpIPredicate::slt, x, c(0)), add(x, size), x);
  }
  OpFoldResult dim(Value tensor, int64_t d) {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (!type.isDynamicDim(d))
      return c(type.getDimSize(d));
    return tensor::DimOp::create(b, loc, tensor, d).getResult();
  }
  SmallVector<OpFoldResult> dims(Value tensor) {
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0, e = cast<RankedTensorType>(tensor.getType()).getRank();
         d < e; ++d)
      sizes.push_back(dim(tensor, d));
    return sizes;
  }
  OpFoldResult product(ArrayRef<OpFoldResult> factors) {
    OpFoldResult result = c(1);
    for (OpFoldResult factor : factors)
      result = mul(result, factor);
    return result;
  }

  OpBuilder &b;
  Location loc;

private:
  template <typename OpTy>
  OpFoldResult fold(OpFoldResult x, OpFoldResult y,
                    function_ref<int64_t(int64_t, int64_t)> compute) {
    std::optional<int64_t> p = getConstantIntValue(x);
    std::optional<int64_t> q = getConstantIntValue(y);
    if (p && q)
      return c(compute(*p, *q));
    return OpTy::create(b, loc, value(x), value(y)).getResult();
  }
  /// As fold, but leaves a division by 0 (or INT64_MIN / -1) to run time.
  template <typename OpTy>
  OpFoldResult foldDivision(OpFoldResult x, OpFoldResult y,
                            function_ref<int64_t(int64_t, int64_t)> compute) {
    std::optional<int64_t> q = getConstantIntValue(y);
    if (q && (*q == 0 || *q == -1))
      return OpTy::create(b, loc, value(x), value(y)).getResult();
    return fold<OpTy>(x, y, compute);
  }
};

/// The static sizes of `sizes`, dynamic where not constant.
SmallVector<int64_t> staticSizes(ArrayRef<OpFoldResult> sizes) {
  return llvm::map_to_vector(sizes, [](OpFoldResult x) {
    return getConstantIntValue(x).value_or(ShapedType::kDynamic);
  });
}

/// `value` as `type`, with a tensor.cast where the shapes are more or less
/// static.
Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

/// An empty tensor of `sizes`.
Value emptyTensor(IndexMath &m, ArrayRef<OpFoldResult> sizes,
                  Type elementType) {
  return tensor::EmptyOp::create(m.b, m.loc, sizes, elementType);
}

/// The elements of the 0-D or 1-D integer tensor operand `original` of an onnx
/// op as index values: constants where they are known at compile time (also
/// through the shape computations getPartialIntValues follows), else read
/// from `converted`, its lowered value, at run time. Fails unless the number
/// of elements is static.
FailureOr<SmallVector<OpFoldResult>> indexElements(IndexMath &m, Value original,
                                                   Value converted) {
  auto type = dyn_cast<RankedTensorType>(converted.getType());
  if (!type || type.getRank() > 1 || !type.hasStaticShape())
    return failure();
  // A constant is taken whole: INT64_MIN, a common Slice end, is also
  // getPartialIntValues' marker of an unknown element.
  std::optional<SmallVector<int64_t>> constant =
      ONNX::getConstantIntValues(original);
  std::optional<SmallVector<int64_t>> known =
      constant ? constant : ONNX::getPartialIntValues(original);
  SmallVector<OpFoldResult> values;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    if (known && static_cast<int64_t>(known->size()) == e &&
        (constant || (*known)[i] != ONNX::kUnknownValue)) {
      values.push_back(m.c((*known)[i]));
      continue;
    }
    SmallVector<Value> position;
    if (type.getRank() == 1)
      position.push_back(m.value(m.c(i)));
    Value element = tensor::ExtractOp::create(m.b, m.loc, converted, position);
    values.push_back(
        arith::IndexCastOp::create(m.b, m.loc, m.b.getIndexType(), element)
            .getResult());
  }
  return values;
}

/// Parallel iterators over `rank` loops.
SmallVector<utils::IteratorType> parallel(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

/// A linalg.generic over an empty tensor of `sizes` whose element at each
/// index is `element(builder, loc, indices)`: a gather from computed indices.
Value generateTensor(
    IndexMath &m, ArrayRef<OpFoldResult> sizes, Type elementType,
    function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)> element) {
  int64_t rank = sizes.size();
  Value init = emptyTensor(m, sizes, elementType);
  auto type = cast<RankedTensorType>(init.getType());
  auto generic = linalg::GenericOp::create(
      m.b, m.loc, TypeRange{type}, ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{m.b.getMultiDimIdentityMap(rank)}, parallel(rank),
      [&](OpBuilder &b, Location loc, ValueRange) {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d)
          indices.push_back(linalg::IndexOp::create(b, loc, d));
        linalg::YieldOp::create(b, loc, element(b, loc, indices));
      });
  return generic.getResult(0);
}

/// Groups the dimensions of the larger of two shapes that differ by unit
/// dimensions: each `unit` dimension joins the next kept one, trailing ones
/// the last kept one.
SmallVector<ReassociationIndices> groupUnitDims(ArrayRef<bool> unit) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (auto [i, isUnit] : llvm::enumerate(unit)) {
    pending.push_back(i);
    if (!isUnit) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!groups.empty())
    groups.back().append(pending);
  return groups;
}

int64_t countDynamic(ArrayRef<int64_t> shape) {
  return llvm::count_if(shape, ShapedType::isDynamic);
}

/// `input` reshaped to `sizes`, as `resultType`: a collapse_shape or
/// expand_shape where the grouping of dimensions is certain from the static
/// sizes (at most one dynamic dimension on either side), else tensor.reshape
/// with a shape tensor.
Value buildReshape(IndexMath &m, Value input, ArrayRef<OpFoldResult> sizes,
                   RankedTensorType resultType) {
  auto inputType = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> outShape = staticSizes(sizes);
  ArrayRef<int64_t> inShape = inputType.getShape();
  Type elementType = inputType.getElementType();
  auto outType = RankedTensorType::get(outShape, elementType);
  if (inShape == ArrayRef<int64_t>(outShape))
    return castTo(m.b, m.loc, input, resultType);

  bool unambiguous = countDynamic(inShape) <= 1 && countDynamic(outShape) <= 1;
  if (unambiguous && outShape.size() < inShape.size()) {
    if (auto groups = getReassociationIndicesForCollapse(inShape, outShape)) {
      Value collapsed =
          tensor::CollapseShapeOp::create(m.b, m.loc, input, *groups);
      return castTo(m.b, m.loc, collapsed, resultType);
    }
  }
  if (unambiguous && outShape.size() > inShape.size()) {
    if (auto groups = getReassociationIndicesForCollapse(outShape, inShape)) {
      Value expanded = tensor::ExpandShapeOp::create(m.b, m.loc, outType, input,
                                                     *groups, sizes);
      return castTo(m.b, m.loc, expanded, resultType);
    }
  }
  // The shape tensor is i64: memref.reshape with an index-typed shape does
  // not lower to LLVM.
  SmallVector<Value> dims;
  for (Value size : m.values(sizes))
    dims.push_back(arith::IndexCastOp::create(m.b, m.loc, m.b.getI64Type(),
                                              size));
  Value shape = tensor::FromElementsOp::create(
      m.b, m.loc,
      RankedTensorType::get({static_cast<int64_t>(sizes.size())},
                            m.b.getI64Type()),
      dims);
  Value reshaped = tensor::ReshapeOp::create(m.b, m.loc, outType, input, shape);
  return castTo(m.b, m.loc, reshaped, resultType);
}

/// The zero of `type` as an attribute arith.constant accepts.
TypedAttr zeroAttr(OpBuilder &b, Type type) {
  return cast<TypedAttr>(b.getZeroAttr(type));
}

template <typename OpTy>
struct DataMovementPattern : OpConversionPattern<OpTy> {
  DataMovementPattern(const TypeConverter &converter, MLIRContext *context,
                      ONNX::SymbolicShapeAnalysis &shapes)
      : OpConversionPattern<OpTy>(converter, context), shapes(shapes) {}

  /// The lowered result type, if ranked.
  RankedTensorType rankedResultType(Value result) const {
    return this->getTypeConverter()->template convertType<RankedTensorType>(
        result.getType());
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

struct IdentityLowering : DataMovementPattern<ONNX::IdentityOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::IdentityOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type type = getTypeConverter()->convertType(op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "result type not convertible");
    rewriter.replaceOp(op,
                       castTo(rewriter, op.getLoc(), adaptor.getInput(), type));
    return success();
  }
};

struct ShapeLowering : DataMovementPattern<ONNX::ShapeOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::ShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inputType = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!inputType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    int64_t rank = inputType.getRank();
    // I64Attr getters return uint64_t; start and end may be negative.
    auto clampIndex = [&](int64_t i) {
      return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank);
    };
    int64_t start = clampIndex(static_cast<int64_t>(op.getStart()));
    int64_t end =
        op.getEnd() ? clampIndex(static_cast<int64_t>(*op.getEnd())) : rank;
    IndexMath m(rewriter, op.getLoc());
    SmallVector<Value> dims;
    for (int64_t d = start; d < end; ++d)
      dims.push_back(rewriter.createOrFold<arith::IndexCastOp>(
          op.getLoc(), rewriter.getI64Type(),
          m.value(m.dim(adaptor.getData(), d))));
    Value shape = tensor::FromElementsOp::create(
        rewriter, op.getLoc(),
        RankedTensorType::get({static_cast<int64_t>(dims.size())},
                              rewriter.getI64Type()),
        dims);
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), shape, resultType));
    return success();
  }
};

struct ReshapeLowering : DataMovementPattern<ONNX::ReshapeOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getData();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!inputType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    IndexMath m(rewriter, op.getLoc());
    FailureOr<SmallVector<OpFoldResult>> shape =
        indexElements(m, op.getShape(), adaptor.getShape());
    if (failed(shape) ||
        static_cast<int64_t>(shape->size()) != resultType.getRank())
      return rewriter.notifyMatchFailure(op, "shape of unknown length");

    // Each size is the result type's where static, else the shape entry with
    // 0 copying the input's size (without allowzero); a -1 entry takes what
    // the other sizes leave of the element count.
    bool allowZero = op.getAllowzero() != 0;
    SmallVector<OpFoldResult> sizes;
    for (auto [d, entry] : llvm::enumerate(*shape)) {
      int64_t dim = d;
      if (!resultType.isDynamicDim(dim)) {
        sizes.push_back(m.c(resultType.getDimSize(dim)));
        continue;
      }
      OpFoldResult size = entry;
      if (!allowZero && dim < inputType.getRank())
        size = m.select(m.cmp(arith::CmpIPredicate::eq, entry, m.c(0)),
                        m.dim(input, dim), entry);
      sizes.push_back(size);
    }
    OpFoldResult minusOne = m.c(-1);
    auto isInferred = [&](OpFoldResult size) {
      return m.cmp(arith::CmpIPredicate::eq, size, minusOne);
    };
    OpFoldResult known = m.c(1);
    for (OpFoldResult size : sizes)
      known = m.mul(known, m.select(isInferred(size), m.c(1), size));
    OpFoldResult count = m.product(m.dims(input));
    OpFoldResult inferred = m.div(count, known);
    for (OpFoldResult &size : sizes)
      size = m.select(isInferred(size), inferred, size);

    // A result of another element count than the input's would be a view
    // past its end (or an inferred size rounded down). Checked unless the
    // analysis proves the products equal, or the target is a lone -1 (the
    // whole count).
    SmallVector<ONNX::SymbolicInt> inputDims, resultDims;
    for (int64_t d = 0; d < inputType.getRank(); ++d)
      inputDims.push_back(shapes.getDim(op.getData(), d));
    for (int64_t d = 0; d < resultType.getRank(); ++d)
      resultDims.push_back(shapes.getDim(op.getResult(), d));
    bool wholeCount = resultType.getRank() == 1 &&
                      shapes.getElement(op.getShape(), 0).getConstant() == -1;
    if (!wholeCount && !ONNX::provenSameProduct(inputDims, resultDims))
      createDimCheck(rewriter, op.getLoc(), m.value(m.product(sizes)),
                     m.value(count), /*broadcast=*/false,
                     describeOp(op) + ": the result's element count");

    rewriter.replaceOp(op, buildReshape(m, input, sizes, resultType));
    return success();
  }
};

struct FlattenLowering : DataMovementPattern<ONNX::FlattenOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::FlattenOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!inputType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    int64_t rank = inputType.getRank();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis > rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    IndexMath m(rewriter, op.getLoc());
    SmallVector<OpFoldResult> dims = m.dims(input);
    SmallVector<OpFoldResult> sizes = {
        m.product(ArrayRef(dims).take_front(axis)),
        m.product(ArrayRef(dims).drop_front(axis))};
    rewriter.replaceOp(op, buildReshape(m, input, sizes, resultType));
    return success();
  }
};

/// Axes given by a constant operand, made non-negative for `rank`.
FailureOr<SmallVector<int64_t>> constantAxes(Value axes, int64_t rank) {
  std::optional<SmallVector<int64_t>> values = ONNX::getConstantIntValues(axes);
  if (!values)
    return failure();
  for (int64_t &axis : *values) {
    std::optional<int64_t> normalized = ONNX::normalizeAxis(axis, rank);
    if (!normalized)
      return failure();
    axis = *normalized;
  }
  return *values;
}

struct SqueezeLowering : DataMovementPattern<ONNX::SqueezeOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::SqueezeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getData();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!inputType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    int64_t rank = inputType.getRank();
    SmallVector<bool> removed(rank, false);
    if (op.getAxes()) {
      FailureOr<SmallVector<int64_t>> axes = constantAxes(op.getAxes(), rank);
      if (failed(axes))
        return rewriter.notifyMatchFailure(op, "axes not constant or invalid");
      for (int64_t axis : *axes)
        removed[axis] = true;
    } else {
      for (int64_t d = 0; d < rank; ++d)
        removed[d] = inputType.getDimSize(d) == 1;
    }
    // A squeezed dimension is 1; saying so statically lets collapse_shape
    // keep the other dimensions' sizes.
    SmallVector<int64_t> shape(inputType.getShape());
    for (int64_t d = 0; d < rank; ++d)
      if (removed[d])
        shape[d] = 1;
    Location loc = op.getLoc();
    Value unitInput = castTo(rewriter, loc, input, inputType.clone(shape));
    Value collapsed = tensor::CollapseShapeOp::create(rewriter, loc, unitInput,
                                                      groupUnitDims(removed));
    rewriter.replaceOp(op, castTo(rewriter, loc, collapsed, resultType));
    return success();
  }
};

struct UnsqueezeLowering : DataMovementPattern<ONNX::UnsqueezeOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::UnsqueezeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getData();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!inputType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    int64_t rank = resultType.getRank();
    FailureOr<SmallVector<int64_t>> axes = constantAxes(op.getAxes(), rank);
    if (failed(axes))
      return rewriter.notifyMatchFailure(op, "axes not constant or invalid");
    SmallVector<bool> inserted(rank, false);
    for (int64_t axis : *axes)
      inserted[axis] = true;
    if (rank - llvm::count(inserted, true) != inputType.getRank())
      return rewriter.notifyMatchFailure(op, "axes repeat");
    IndexMath m(rewriter, op.getLoc());
    SmallVector<OpFoldResult> sizes;
    int64_t inputDim = 0;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(inserted[d] ? m.c(1) : m.dim(input, inputDim++));
    auto expandedType = resultType.clone(staticSizes(sizes));
    Value expanded =
        tensor::ExpandShapeOp::create(rewriter, op.getLoc(), expandedType,
                                      input, groupUnitDims(inserted), sizes);
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), expanded, resultType));
    return success();
  }
};

struct TransposeLowering : DataMovementPattern<ONNX::TransposeOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getData();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!inputType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    int64_t rank = inputType.getRank();
    SmallVector<int64_t> perm;
    if (std::optional<ArrayAttr> permAttr = op.getPerm()) {
      for (Attribute a : *permAttr)
        perm.push_back(cast<IntegerAttr>(a).getInt());
    } else {
      for (int64_t d = rank - 1; d >= 0; --d)
        perm.push_back(d);
    }
    if (!isPermutationVector(perm) || static_cast<int64_t>(perm.size()) != rank)
      return rewriter.notifyMatchFailure(op, "perm is not a permutation");
    IndexMath m(rewriter, op.getLoc());
    SmallVector<OpFoldResult> sizes;
    for (int64_t p : perm)
      sizes.push_back(m.dim(input, p));
    Value init = emptyTensor(m, sizes, inputType.getElementType());
    Value transposed =
        linalg::TransposeOp::create(rewriter, op.getLoc(), input, init, perm)
            .getResult()[0];
    rewriter.replaceOp(op,
                       castTo(rewriter, op.getLoc(), transposed, resultType));
    return success();
  }
};

struct ConcatLowering : DataMovementPattern<ONNX::ConcatOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "unranked result");
    for (Value input : adaptor.getInputs())
      if (!isa<RankedTensorType>(input.getType()))
        return rewriter.notifyMatchFailure(op, "unranked input");
    int64_t rank = resultType.getRank();
    std::optional<int64_t> axis =
        ONNX::normalizeAxis(static_cast<int64_t>(op.getAxis()), rank);
    if (!axis)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    IndexMath m(rewriter, op.getLoc());

    // Sizes off the axis are shared; take each from the result type or an
    // input where one has it static. An input whose size there is not
    // proven to be that one is checked: a larger one would be cut, a
    // smaller one read past its end.
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *axis) {
        sizes.push_back(m.c(0));
        continue;
      }
      OpFoldResult size = m.dim(adaptor.getInputs().front(), d);
      if (!resultType.isDynamicDim(d))
        size = m.c(resultType.getDimSize(d));
      for (Value input : adaptor.getInputs())
        if (!cast<RankedTensorType>(input.getType()).isDynamicDim(d))
          size = m.dim(input, d);
      sizes.push_back(size);
      for (auto [k, input] : llvm::enumerate(adaptor.getInputs())) {
        if (!cast<RankedTensorType>(input.getType()).isDynamicDim(d) ||
            shapes.provenEqual(op.getInputs()[k], d, op.getResult(), d))
          continue;
        createDimCheck(rewriter, op.getLoc(), m.value(m.dim(input, d)),
                       m.value(size), /*broadcast=*/false,
                       llvm::formatv("{0}: dimension {1} of input {2}",
                                     describeOp(op), d, k)
                           .str());
      }
    }
    SmallVector<OpFoldResult> axisSizes;
    for (Value input : adaptor.getInputs()) {
      axisSizes.push_back(m.dim(input, *axis));
      sizes[*axis] = m.add(sizes[*axis], axisSizes.back());
    }

    Value result = emptyTensor(m, sizes, resultType.getElementType());
    SmallVector<OpFoldResult> offsets(rank, m.c(0));
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    for (auto [i, input] : llvm::enumerate(adaptor.getInputs())) {
      OpFoldResult axisSize = axisSizes[i];
      SmallVector<OpFoldResult> inputSizes = sizes;
      inputSizes[*axis] = axisSize;
      // An input empty along the axis adds nothing, and the slice verifier
      // would reject its offset at the end of the axis.
      std::optional<int64_t> staticAxisSize = getConstantIntValue(axisSize);
      if (staticAxisSize && *staticAxisSize == 0)
        continue;
      Value typed = castTo(rewriter, op.getLoc(), input,
                           resultType.clone(staticSizes(inputSizes)));
      result = tensor::InsertSliceOp::create(
          rewriter, op.getLoc(), typed, result, offsets, inputSizes, strides);
      if (i + 1 < axisSizes.size())
        offsets[*axis] = m.add(offsets[*axis], axisSize);
    }
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), result, resultType));
    return success();
  }
};

struct SliceLowering : DataMovementPattern<ONNX::SliceOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!dataType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    int64_t rank = dataType.getRank();
    IndexMath m(rewriter, op.getLoc());
    FailureOr<SmallVector<OpFoldResult>> starts =
        indexElements(m, op.getStarts(), adaptor.getStarts());
    FailureOr<SmallVector<OpFoldResult>> ends =
        indexElements(m, op.getEnds(), adaptor.getEnds());
    if (failed(starts) || failed(ends) || starts->size() != ends->size())
      return rewriter.notifyMatchFailure(op, "starts/ends of unknown length");
    size_t count = starts->size();
    SmallVector<OpFoldResult> axes, steps;
    if (op.getAxes()) {
      FailureOr<SmallVector<OpFoldResult>> values =
          indexElements(m, op.getAxes(), adaptor.getAxes());
      if (failed(values) || values->size() != count)
        return rewriter.notifyMatchFailure(op, "axes of unknown length");
      axes = *values;
    } else {
      for (size_t j = 0; j < count; ++j)
        axes.push_back(m.c(j));
    }
    if (op.getSteps()) {
      FailureOr<SmallVector<OpFoldResult>> values =
          indexElements(m, op.getSteps(), adaptor.getSteps());
      if (failed(values) || values->size() != count)
        return rewriter.notifyMatchFailure(op, "steps of unknown length");
      steps = *values;
    } else {
      steps.assign(count, m.c(1));
    }

    // Per dimension: the parameters of the axis naming it (selected at run
    // time where axes are not constant), then ONNX's clamping.
    SmallVector<OpFoldResult> offsets, sizes, strides;
    bool positiveSteps = true;
    for (int64_t d = 0; d < rank; ++d) {
      OpFoldResult dim = m.dim(data, d);
      OpFoldResult start = m.c(0), end = dim, step = m.c(1);
      bool named = false;
      for (size_t j = 0; j < count; ++j) {
        OpFoldResult axis = m.wrapNegative(axes[j], m.c(rank));
        OpFoldResult here = m.cmp(arith::CmpIPredicate::eq, axis, m.c(d));
        named |= !isConstantIntValue(here, 0);
        start = m.select(here, (*starts)[j], start);
        end = m.select(here, (*ends)[j], end);
        step = m.select(here, steps[j], step);
      }
      if (!named) {
        offsets.push_back(m.c(0));
        sizes.push_back(dim);
        strides.push_back(m.c(1));
        continue;
      }
      start = m.wrapNegative(start, dim);
      end = m.wrapNegative(end, dim);
      std::optional<int64_t> knownStep = getConstantIntValue(step);
      if (knownStep && *knownStep == 0)
        return rewriter.notifyMatchFailure(op, "step is 0");
      OpFoldResult forwardStart, forwardSize, backwardStart, backwardSize;
      if (!knownStep || *knownStep > 0) {
        forwardStart = m.clamp(start, m.c(0), dim);
        OpFoldResult stop = m.clamp(end, m.c(0), dim);
        OpFoldResult span = m.sub(stop, forwardStart);
        forwardSize =
            m.select(m.cmp(arith::CmpIPredicate::sgt, span, m.c(0)),
                     m.add(m.div(m.sub(span, m.c(1)), step), m.c(1)), m.c(0));
      }
      if (!knownStep || *knownStep < 0) {
        OpFoldResult last = m.sub(dim, m.c(1));
        backwardStart = m.clamp(start, m.c(0), last);
        OpFoldResult stop = m.clamp(end, m.c(-1), last);
        OpFoldResult span = m.sub(backwardStart, stop);
        backwardSize = m.select(
            m.cmp(arith::CmpIPredicate::sgt, span, m.c(0)),
            m.add(m.div(m.sub(span, m.c(1)), m.sub(m.c(0), step)), m.c(1)),
            m.c(0));
      }
      if (!knownStep) {
        OpFoldResult forward = m.cmp(arith::CmpIPredicate::sgt, step, m.c(0));
        offsets.push_back(m.select(forward, forwardStart, backwardStart));
        sizes.push_back(m.select(forward, forwardSize, backwardSize));
      } else {
        offsets.push_back(*knownStep > 0 ? forwardStart : backwardStart);
        sizes.push_back(*knownStep > 0 ? forwardSize : backwardSize);
      }
      strides.push_back(step);
      positiveSteps &= knownStep && *knownStep > 0;
    }

    Location loc = op.getLoc();
    Value result;
    if (positiveSteps) {
      result = extractSliceOrEmpty(rewriter, loc, data, offsets, sizes,
                                   strides);
    } else {
      // extract_slice takes no negative strides: read data[offset + i*step].
      SmallVector<Value> offsetValues = m.values(offsets);
      SmallVector<Value> strideValues = m.values(strides);
      result = generateTensor(
          m, sizes, dataType.getElementType(),
          [&](OpBuilder &b, Location loc, ArrayRef<Value> indices) {
            SmallVector<Value> source;
            for (auto [i, offset, stride] :
                 llvm::zip_equal(indices, offsetValues, strideValues))
              source.push_back(arith::AddIOp::create(
                  b, loc, offset, arith::MulIOp::create(b, loc, i, stride)));
            return tensor::ExtractOp::create(b, loc, data, source);
          });
    }
    rewriter.replaceOp(op, castTo(rewriter, loc, result, resultType));
    return success();
  }
};

struct SplitLowering : DataMovementPattern<ONNX::SplitOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    if (!inputType)
      return rewriter.notifyMatchFailure(op, "unranked input");
    SmallVector<Type> resultTypes;
    for (Value result : op.getResults()) {
      RankedTensorType type = rankedResultType(result);
      if (!type)
        return rewriter.notifyMatchFailure(op, "unranked result");
      resultTypes.push_back(type);
    }
    int64_t rank = inputType.getRank();
    std::optional<int64_t> axis =
        ONNX::normalizeAxis(static_cast<int64_t>(op.getAxis()), rank);
    if (!axis)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    IndexMath m(rewriter, op.getLoc());
    int64_t parts = op.getNumResults();
    OpFoldResult dim = m.dim(input, *axis);
    SmallVector<OpFoldResult> partSizes;
    if (op.getSplit()) {
      FailureOr<SmallVector<OpFoldResult>> values =
          indexElements(m, op.getSplit(), adaptor.getSplit());
      if (failed(values) || static_cast<int64_t>(values->size()) != parts)
        return rewriter.notifyMatchFailure(op, "split of unknown length");
      partSizes = *values;
    } else {
      // Even parts of ceil(dim / parts); the last takes what is left.
      OpFoldResult chunk = m.ceilDiv(dim, m.c(parts));
      partSizes.assign(parts - 1, chunk);
      partSizes.push_back(m.sub(dim, m.mul(chunk, m.c(parts - 1))));
    }

    SmallVector<OpFoldResult> offsets(rank, m.c(0));
    SmallVector<OpFoldResult> sizes = m.dims(input);
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    SmallVector<Value> results;
    for (auto [size, type] : llvm::zip_equal(partSizes, resultTypes)) {
      sizes[*axis] = size;
      Value part = extractSliceOrEmpty(rewriter, op.getLoc(), input, offsets,
                                       sizes, strides);
      results.push_back(castTo(rewriter, op.getLoc(), part, type));
      offsets[*axis] = m.add(offsets[*axis], size);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// An index read at run time, counted from the end when negative and
/// clamped into [0, size): ONNX leaves an out-of-range index undefined, and
/// generated code must never read or write outside a buffer.
Value wrapAndClampIndex(OpBuilder &b, Location loc, Value index, Value size) {
  index = arith::IndexCastOp::create(b, loc, b.getIndexType(), index);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index, zero);
  index = arith::SelectOp::create(
      b, loc, negative, arith::AddIOp::create(b, loc, index, size), index);
  Value last = arith::SubIOp::create(
      b, loc, size, arith::ConstantIndexOp::create(b, loc, 1));
  return arith::MaxSIOp::create(
      b, loc, zero, arith::MinSIOp::create(b, loc, index, last));
}

/// Gather: a linalg.generic over the result reading `data` at the index
/// `indices` holds. A Gather from a Transpose reads the transpose's input at
/// permuted coordinates instead, so a table stored transposed (the GenAI
/// builder's tied embedding, Gather(Transpose(lm_head [D, V]))) is never
/// materialized: per token it reads D elements, not a V x D copy.
struct GatherLowering : DataMovementPattern<ONNX::GatherOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    Value indices = adaptor.getIndices();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    auto indicesType = dyn_cast<RankedTensorType>(indices.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!dataType || !indicesType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked operand or result");
    int64_t dataRank = dataType.getRank();
    int64_t indicesRank = indicesType.getRank();
    std::optional<int64_t> axis =
        ONNX::normalizeAxis(static_cast<int64_t>(op.getAxis()), dataRank);
    if (!axis)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    IndexMath m(rewriter, op.getLoc());
    SmallVector<OpFoldResult> dataSizes = m.dims(data);
    SmallVector<OpFoldResult> sizes(ArrayRef(dataSizes).take_front(*axis));
    llvm::append_range(sizes, m.dims(indices));
    llvm::append_range(sizes, ArrayRef(dataSizes).drop_front(*axis + 1));
    int64_t rank = sizes.size();
    Value axisSize = m.value(dataSizes[*axis]);

    // data = Transpose(source, perm): data[i] = source[j], j[perm[d]] = i[d].
    Value source = data;
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(dataRank));
    if (auto transpose = op.getData().getDefiningOp<ONNX::TransposeOp>()) {
      Value input = rewriter.getRemappedValue(transpose.getData());
      auto inputType =
          input ? dyn_cast<RankedTensorType>(input.getType()) : nullptr;
      if (inputType && inputType.getRank() == dataRank &&
          inputType.getElementType() == dataType.getElementType()) {
        if (std::optional<ArrayAttr> attr = transpose.getPerm()) {
          for (auto [d, p] : llvm::enumerate(*attr))
            perm[d] = cast<IntegerAttr>(p).getInt();
        } else {
          std::reverse(perm.begin(), perm.end());
        }
        source = input;
      }
    }

    MLIRContext *context = rewriter.getContext();
    SmallVector<AffineExpr> indexDims;
    for (int64_t d = 0; d < indicesRank; ++d)
      indexDims.push_back(getAffineDimExpr(*axis + d, context));
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, indexDims, context),
                                   rewriter.getMultiDimIdentityMap(rank)};
    Value init = emptyTensor(m, sizes, dataType.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{init.getType()}, ValueRange{indices},
        ValueRange{init}, maps, parallel(rank),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          SmallVector<Value> at;
          for (int64_t d = 0; d < *axis; ++d)
            at.push_back(linalg::IndexOp::create(b, loc, d));
          at.push_back(wrapAndClampIndex(b, loc, args[0], axisSize));
          for (int64_t d = *axis + indicesRank; d < rank; ++d)
            at.push_back(linalg::IndexOp::create(b, loc, d));
          SmallVector<Value> position(dataRank);
          for (int64_t d = 0; d < dataRank; ++d)
            position[perm[d]] = at[d];
          linalg::YieldOp::create(
              b, loc,
              ValueRange{tensor::ExtractOp::create(b, loc, source, position)});
        });
    rewriter.replaceOp(
        op, castTo(rewriter, op.getLoc(), generic.getResult(0), resultType));
    return success();
  }
};

/// GatherND: a linalg.generic over the result reading `data` at the index
/// tuple each position of `indices` holds.
struct GatherNDLowering : DataMovementPattern<ONNX::GatherNDOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::GatherNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    Value indices = adaptor.getIndices();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    auto indicesType = dyn_cast<RankedTensorType>(indices.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!dataType || !indicesType || !resultType ||
        indicesType.isDynamicDim(indicesType.getRank() - 1))
      return rewriter.notifyMatchFailure(op, "index tuples of unknown length");
    int64_t batch = op.getBatchDims();
    int64_t tuple = indicesType.getDimSize(indicesType.getRank() - 1);
    int64_t leading = indicesType.getRank() - 1;
    IndexMath m(rewriter, op.getLoc());
    SmallVector<OpFoldResult> sizes(m.dims(indices));
    sizes.pop_back();
    SmallVector<OpFoldResult> dataSizes = m.dims(data);
    llvm::append_range(sizes, ArrayRef(dataSizes).drop_front(batch + tuple));
    SmallVector<Value> dataDims = m.values(dataSizes);
    Value gathered = generateTensor(
        m, sizes, dataType.getElementType(),
        [&](OpBuilder &b, Location loc, ArrayRef<Value> at) {
          SmallVector<Value> source(at.take_front(batch));
          SmallVector<Value> position(at.take_front(leading));
          position.push_back(Value());
          for (int64_t t = 0; t < tuple; ++t) {
            position.back() = arith::ConstantIndexOp::create(b, loc, t);
            Value index = tensor::ExtractOp::create(b, loc, indices, position);
            source.push_back(
                wrapAndClampIndex(b, loc, index, dataDims[batch + t]));
          }
          llvm::append_range(source, at.drop_front(leading));
          return tensor::ExtractOp::create(b, loc, data, source);
        });
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), gathered, resultType));
    return success();
  }
};

/// ScatterND: `data` copied, then one loop nest over `updates` that writes
/// each element at its index tuple (combined with the old value for a
/// reduction). Updates are applied in order, so with duplicate indices the
/// last one wins.
struct ScatterNDLowering : DataMovementPattern<ONNX::ScatterNDOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::ScatterNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    Value indices = adaptor.getIndices();
    Value updates = adaptor.getUpdates();
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    auto indicesType = dyn_cast<RankedTensorType>(indices.getType());
    auto updatesType = dyn_cast<RankedTensorType>(updates.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!dataType || !indicesType || !updatesType || !resultType ||
        indicesType.isDynamicDim(indicesType.getRank() - 1))
      return rewriter.notifyMatchFailure(op, "index tuples of unknown length");
    int64_t tuple = indicesType.getDimSize(indicesType.getRank() - 1);
    int64_t leading = indicesType.getRank() - 1;
    if (updatesType.getRank() != leading + dataType.getRank() - tuple)
      return rewriter.notifyMatchFailure(op, "updates of the wrong rank");
    StringRef reduction = op.getReduction();
    Location loc = op.getLoc();
    IndexMath m(rewriter, loc);
    // The copy keeps `data` intact for its other readers; bufferization
    // makes it the result's buffer.
    Value init = emptyTensor(m, m.dims(data), dataType.getElementType());
    Value copy =
        linalg::CopyOp::create(rewriter, loc, data, init).getResult(0);
    SmallVector<Value> dataDims = m.values(m.dims(data));
    SmallVector<Value> lower(updatesType.getRank(),
                             arith::ConstantIndexOp::create(rewriter, loc, 0));
    SmallVector<Value> upper = m.values(m.dims(updates));
    SmallVector<Value> steps(updatesType.getRank(),
                             arith::ConstantIndexOp::create(rewriter, loc, 1));
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lower, upper, steps, ValueRange{copy},
        [&](OpBuilder &b, Location loc, ValueRange at,
            ValueRange carried) -> scf::ValueVector {
          SmallVector<Value> position(at.take_front(leading));
          position.push_back(Value());
          SmallVector<Value> target;
          for (int64_t t = 0; t < tuple; ++t) {
            position.back() = arith::ConstantIndexOp::create(b, loc, t);
            Value index = tensor::ExtractOp::create(b, loc, indices, position);
            target.push_back(wrapAndClampIndex(b, loc, index, dataDims[t]));
          }
          llvm::append_range(target, at.drop_front(leading));
          Value update = tensor::ExtractOp::create(b, loc, updates, at);
          if (reduction != "none") {
            Value old = tensor::ExtractOp::create(b, loc, carried[0], target);
            bool isFloat = isa<FloatType>(update.getType());
            if (reduction == "add")
              update = isFloat ? arith::AddFOp::create(b, loc, old, update)
                                     .getResult()
                               : arith::AddIOp::create(b, loc, old, update)
                                     .getResult();
            else if (reduction == "mul")
              update = isFloat ? arith::MulFOp::create(b, loc, old, update)
                                     .getResult()
                               : arith::MulIOp::create(b, loc, old, update)
                                     .getResult();
            else if (reduction == "max")
              update = isFloat ? arith::MaximumFOp::create(b, loc, old, update)
                                     .getResult()
                               : arith::MaxSIOp::create(b, loc, old, update)
                                     .getResult();
            else
              update = isFloat ? arith::MinimumFOp::create(b, loc, old, update)
                                     .getResult()
                               : arith::MinSIOp::create(b, loc, old, update)
                                     .getResult();
          }
          return {tensor::InsertOp::create(b, loc, update, carried[0], target)
                      .getResult()};
        });
    Value result = nest.results.empty() ? copy : nest.results.front();
    rewriter.replaceOp(op, castTo(rewriter, loc, result, resultType));
    return success();
  }
};

struct ExpandLowering : DataMovementPattern<ONNX::ExpandOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!inputType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    IndexMath m(rewriter, op.getLoc());
    FailureOr<SmallVector<OpFoldResult>> shape =
        indexElements(m, op.getShape(), adaptor.getShape());
    if (failed(shape))
      return rewriter.notifyMatchFailure(op, "shape of unknown length");
    int64_t inputRank = inputType.getRank();
    int64_t shapeRank = shape->size();
    int64_t rank = std::max(inputRank, shapeRank);
    if (rank != resultType.getRank())
      return rewriter.notifyMatchFailure(op, "result rank mismatch");

    // A shape entry of 1 keeps the input's size. An input dimension that
    // the shape analysis does not prove equal to the result's is checked and
    // broadcast at run time; a static input size other than 1 against an
    // entry known only at run time is checked to be compatible with it.
    MLIRContext *context = rewriter.getContext();
    std::string where = describeOp(op);
    SmallVector<OpFoldResult> sizes;
    SmallVector<AffineExpr> inputExprs;
    SmallVector<RuntimeBroadcast> runtime;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t inputDim = d - (rank - inputRank);
      int64_t shapeDim = d - (rank - shapeRank);
      bool unit = inputDim >= 0 &&
                  shapes.getDim(op.getInput(), inputDim).getConstant() == 1;
      if (inputDim >= 0)
        inputExprs.push_back(unit ? getAffineConstantExpr(0, context)
                                  : getAffineDimExpr(d, context));
      if (!resultType.isDynamicDim(d)) {
        sizes.push_back(m.c(resultType.getDimSize(d)));
      } else if (shapeDim < 0) {
        sizes.push_back(m.dim(input, inputDim));
      } else {
        OpFoldResult entry = (*shape)[shapeDim];
        sizes.push_back(inputDim < 0 ? entry
                                     : m.select(m.cmp(arith::CmpIPredicate::eq,
                                                      entry, m.c(1)),
                                                m.dim(input, inputDim), entry));
      }
      if (inputDim < 0 || unit)
        continue;
      if (inputType.isDynamicDim(inputDim)) {
        if (!shapes.provenEqual(op.getInput(), inputDim, op.getResult(), d))
          runtime.push_back(
              {inputDim, sizes.back(),
               llvm::formatv("{0}: dimension {1} of the input", where, inputDim)
                   .str()});
        continue;
      }
      if (shapeDim < 0)
        continue;
      ONNX::SymbolicInt entry = shapes.getElement(op.getShape(), shapeDim);
      std::optional<int64_t> known = entry.getConstant();
      if (known == 1 || known == inputType.getDimSize(inputDim))
        continue;
      createDimCheck(
          rewriter, op.getLoc(), m.value((*shape)[shapeDim]),
          m.value(m.c(inputType.getDimSize(inputDim))),
          /*broadcast=*/true,
          llvm::formatv("{0}: entry {1} of the target shape", where, shapeDim)
              .str());
    }
    if (!runtime.empty())
      input =
          materializeRuntimeBroadcast(rewriter, op.getLoc(), input, runtime);
    Value init = emptyTensor(m, sizes, inputType.getElementType());
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, inputExprs, context),
                                   rewriter.getMultiDimIdentityMap(rank)};
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{init.getType()}, ValueRange{input},
        ValueRange{init}, maps, parallel(rank),
        [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(b, loc, args[0]);
        });
    rewriter.replaceOp(
        op, castTo(rewriter, op.getLoc(), generic.getResult(0), resultType));
    return success();
  }
};

struct TileLowering : DataMovementPattern<ONNX::TileOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::TileOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!inputType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    IndexMath m(rewriter, op.getLoc());
    FailureOr<SmallVector<OpFoldResult>> repeats =
        indexElements(m, op.getRepeats(), adaptor.getRepeats());
    if (failed(repeats) ||
        static_cast<int64_t>(repeats->size()) != inputType.getRank())
      return rewriter.notifyMatchFailure(op, "repeats of unknown length");
    SmallVector<OpFoldResult> inputDims = m.dims(input);
    SmallVector<OpFoldResult> sizes;
    for (auto [size, repeat] : llvm::zip_equal(inputDims, *repeats))
      sizes.push_back(m.mul(size, repeat));
    SmallVector<Value> inputSizes = m.values(inputDims);
    Value tiled = generateTensor(
        m, sizes, inputType.getElementType(),
        [&](OpBuilder &b, Location loc, ArrayRef<Value> indices) {
          SmallVector<Value> source;
          for (auto [i, size] : llvm::zip_equal(indices, inputSizes))
            source.push_back(arith::RemUIOp::create(b, loc, i, size));
          return tensor::ExtractOp::create(b, loc, input, source);
        });
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), tiled, resultType));
    return success();
  }
};

struct TriluLowering : DataMovementPattern<ONNX::TriluOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!inputType || !resultType || inputType.getRank() < 2)
      return rewriter.notifyMatchFailure(op, "input not of rank 2 or more");
    IndexMath m(rewriter, op.getLoc());
    OpFoldResult k = m.c(0);
    if (op.getK()) {
      FailureOr<SmallVector<OpFoldResult>> values =
          indexElements(m, op.getK(), adaptor.getK());
      if (failed(values) || values->size() != 1)
        return rewriter.notifyMatchFailure(op, "k is not a scalar");
      k = values->front();
    }
    // Kept: column - row >= k for the upper triangle, <= k for the lower.
    arith::CmpIPredicate keep = op.getUpper() != 0 ? arith::CmpIPredicate::sge
                                                   : arith::CmpIPredicate::sle;
    int64_t rank = inputType.getRank();
    Type elementType = inputType.getElementType();
    Value zero = arith::ConstantOp::create(rewriter, op.getLoc(),
                                           zeroAttr(rewriter, elementType));
    Value diagonalOffset = m.value(k);
    Value init = emptyTensor(m, m.dims(input), elementType);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{init.getType()}, ValueRange{input},
        ValueRange{init}, ArrayRef<AffineMap>{identity, identity},
        parallel(rank), [&](OpBuilder &b, Location loc, ValueRange args) {
          Value row = linalg::IndexOp::create(b, loc, rank - 2);
          Value column = linalg::IndexOp::create(b, loc, rank - 1);
          Value diagonal = arith::SubIOp::create(b, loc, column, row);
          Value kept =
              arith::CmpIOp::create(b, loc, keep, diagonal, diagonalOffset);
          linalg::YieldOp::create(
              b, loc,
              ValueRange{arith::SelectOp::create(b, loc, kept, args[0], zero)});
        });
    rewriter.replaceOp(
        op, castTo(rewriter, op.getLoc(), generic.getResult(0), resultType));
    return success();
  }
};

struct RangeLowering : DataMovementPattern<ONNX::RangeOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::RangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!resultType || resultType.getRank() != 1)
      return rewriter.notifyMatchFailure(op, "result not 1-D");
    Type elementType = resultType.getElementType();
    bool isFloat = isa<FloatType>(elementType);
    if (!isFloat && !isa<IntegerType>(elementType))
      return rewriter.notifyMatchFailure(op, "element type not numeric");
    Location loc = op.getLoc();
    auto scalar = [&](Value tensor) -> Value {
      return tensor::ExtractOp::create(rewriter, loc, tensor, ValueRange{});
    };
    Value start = scalar(adaptor.getStart());
    Value limit = scalar(adaptor.getLimit());
    Value delta = scalar(adaptor.getDelta());
    IndexMath m(rewriter, loc);

    // max(ceil((limit - start) / delta), 0) elements.
    OpFoldResult size;
    if (!resultType.isDynamicDim(0)) {
      size = m.c(resultType.getDimSize(0));
    } else if (isFloat) {
      Value quotient = arith::DivFOp::create(
          rewriter, loc, arith::SubFOp::create(rewriter, loc, limit, start),
          delta);
      Value count = arith::FPToSIOp::create(
          rewriter, loc, rewriter.getI64Type(),
          math::CeilOp::create(rewriter, loc, quotient));
      size = m.max(arith::IndexCastOp::create(rewriter, loc,
                                              rewriter.getIndexType(), count)
                       .getResult(),
                   m.c(0));
    } else {
      Value count = arith::CeilDivSIOp::create(
          rewriter, loc, arith::SubIOp::create(rewriter, loc, limit, start),
          delta);
      size = m.max(arith::IndexCastOp::create(rewriter, loc,
                                              rewriter.getIndexType(), count)
                       .getResult(),
                   m.c(0));
    }

    Value range = generateTensor(
        m, {size}, elementType,
        [&](OpBuilder &b, Location loc, ArrayRef<Value> indices) -> Value {
          if (isFloat) {
            Value i = arith::SIToFPOp::create(
                b, loc, elementType,
                arith::IndexCastOp::create(b, loc, b.getI64Type(), indices[0]));
            return arith::AddFOp::create(
                b, loc, start, arith::MulFOp::create(b, loc, i, delta));
          }
          Value i = arith::IndexCastOp::create(b, loc, elementType, indices[0]);
          return arith::AddIOp::create(b, loc, start,
                                       arith::MulIOp::create(b, loc, i, delta));
        });
    rewriter.replaceOp(op, castTo(rewriter, loc, range, resultType));
    return success();
  }
};

struct ConstantOfShapeLowering : DataMovementPattern<ONNX::ConstantOfShapeOp> {
  using DataMovementPattern::DataMovementPattern;
  LogicalResult
  matchAndRewrite(ONNX::ConstantOfShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResultType(op.getResult());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "unranked result");
    IndexMath m(rewriter, op.getLoc());
    FailureOr<SmallVector<OpFoldResult>> shape =
        indexElements(m, op.getInput(), adaptor.getInput());
    if (failed(shape) ||
        static_cast<int64_t>(shape->size()) != resultType.getRank())
      return rewriter.notifyMatchFailure(op, "shape of unknown length");
    SmallVector<OpFoldResult> sizes;
    for (auto [d, entry] : llvm::enumerate(*shape))
      sizes.push_back(
          resultType.isDynamicDim(d) ? entry : m.c(resultType.getDimSize(d)));

    // The value's attribute in the lowered (signless) element type.
    Type elementType = resultType.getElementType();
    TypedAttr value = zeroAttr(rewriter, elementType);
    if (std::optional<ElementsAttr> attr = op.getValue()) {
      auto dense = dyn_cast<DenseElementsAttr>(*attr);
      if (!dense || dense.getNumElements() != 1)
        return rewriter.notifyMatchFailure(op,
                                           "value is not one dense element");
      Attribute element = *dense.getValues<Attribute>().begin();
      if (auto f = dyn_cast<FloatAttr>(element))
        value = FloatAttr::get(elementType, f.getValue());
      else if (auto i = dyn_cast<IntegerAttr>(element))
        value = IntegerAttr::get(elementType, i.getValue());
      else
        return rewriter.notifyMatchFailure(op, "value of unsupported type");
    }
    Value fillValue = arith::ConstantOp::create(rewriter, op.getLoc(), value);
    Value init = emptyTensor(m, sizes, elementType);
    Value filled =
        linalg::FillOp::create(rewriter, op.getLoc(), ValueRange{fillValue},
                               ValueRange{init})
            .getResult(0);
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), filled, resultType));
    return success();
  }
};

} // namespace

void xf::populateONNXDataMovementToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns,
    ONNX::SymbolicShapeAnalysis &shapes) {
  patterns.add<ConcatLowering, ConstantOfShapeLowering, ExpandLowering,
               FlattenLowering, GatherLowering, GatherNDLowering,
               IdentityLowering, RangeLowering, ReshapeLowering,
               ScatterNDLowering, ShapeLowering, SliceLowering, SplitLowering,
               SqueezeLowering, TileLowering, TransposeLowering, TriluLowering,
               UnsqueezeLowering>(converter, patterns.getContext(), shapes);
}
