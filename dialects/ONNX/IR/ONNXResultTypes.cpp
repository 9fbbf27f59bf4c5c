//===- ONNXResultTypes.cpp - result type inference for onnx ops -----------===//
//
// One inferResultTypes per op. Dimensions that depend on values not known at
// compile time come out dynamic; a rank that cannot be known gives an
// unranked tensor.
//
//===----------------------------------------------------------------------===//

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/ShapeHelpers.h"

using namespace mlir;
using namespace xf::ONNX;
using llvm::SmallVector;

namespace {
using Shape = SmallVector<int64_t>;

std::optional<Shape> shapeOf(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return std::nullopt;
  return Shape(type.getShape());
}

Type elementTypeOf(Value value) {
  return cast<ShapedType>(value.getType()).getElementType();
}

bool isDynamic(int64_t dim) { return ShapedType::isDynamic(dim); }

/// Whether `value` may be a 0-D or one-element 1-D tensor, the forms
/// exporters give scalar operands.
bool isScalarLike(Value value) {
  auto shape = shapeOf(value);
  return !shape || shape->empty() ||
         (shape->size() == 1 && ((*shape)[0] == 1 || isDynamic((*shape)[0])));
}

int64_t multiplyDims(int64_t a, int64_t b) {
  if (a == 0 || b == 0)
    return 0;
  return isDynamic(a) || isDynamic(b) ? ShapedType::kDynamic : a * b;
}

/// Broadcasts the shapes of `values`; unranked if any is unranked.
LogicalResult inferBroadcast(Operation *op, ValueRange values, Type elementType,
                             SmallVectorImpl<Type> &resultTypes) {
  Shape result;
  for (Value value : values) {
    auto shape = shapeOf(value);
    if (!shape) {
      resultTypes.push_back(UnrankedTensorType::get(elementType));
      return success();
    }
    auto broadcast = broadcastShapes(result, *shape);
    if (!broadcast)
      return op->emitOpError() << "operand shapes cannot be broadcast together: "
                               << value.getType() << " against ["
                               << llvm::make_range(result.begin(), result.end())
                               << "]";
    result = *broadcast;
  }
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult requireSameElementType(Operation *op, ValueRange values) {
  Type first = elementTypeOf(values.front());
  for (Value value : values.drop_front())
    if (elementTypeOf(value) != first)
      return op->emitOpError() << "operands must have one element type, got "
                               << first << " and " << elementTypeOf(value);
  return success();
}

LogicalResult inferSameAsOperand(Value operand,
                                 SmallVectorImpl<Type> &resultTypes) {
  resultTypes.push_back(operand.getType());
  return success();
}

LogicalResult inferReduction(Operation *op, Value data, Value axesValue,
                             bool keepdims, bool noopWithEmptyAxes,
                             SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(data);
  auto shape = shapeOf(data);
  std::optional<Shape> axes;
  if (axesValue) {
    axes = getConstantIntValues(axesValue);
    if (!axes) {
      // Unknown axes: the rank is known only when dimensions are kept.
      if (shape && keepdims)
        resultTypes.push_back(RankedTensorType::get(
            Shape(shape->size(), ShapedType::kDynamic), elementType));
      else
        resultTypes.push_back(UnrankedTensorType::get(elementType));
      return success();
    }
  }
  if (!axes || axes->empty()) {
    if (noopWithEmptyAxes)
      return inferSameAsOperand(data, resultTypes);
    if (!shape) {
      resultTypes.push_back(UnrankedTensorType::get(elementType));
      return success();
    }
    axes = Shape();
    for (int64_t i = 0, e = shape->size(); i < e; ++i)
      axes->push_back(i);
  }
  if (!shape) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  int64_t rank = shape->size();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : *axes) {
    auto normalized = normalizeAxis(axis, rank);
    if (!normalized)
      return op->emitOpError() << "axis " << axis << " is out of range for rank "
                               << rank;
    reduced[*normalized] = true;
  }
  Shape result;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      result.push_back((*shape)[i]);
    else if (keepdims)
      result.push_back(1);
  }
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

#define XF_UNARY_SAME_TYPE(OP)                                                 \
  LogicalResult OP::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {     \
    return inferSameAsOperand((*this)->getOperand(0), resultTypes);                      \
  }
XF_UNARY_SAME_TYPE(SqrtOp)
XF_UNARY_SAME_TYPE(ReciprocalOp)
XF_UNARY_SAME_TYPE(NegOp)
XF_UNARY_SAME_TYPE(ExpOp)
XF_UNARY_SAME_TYPE(LogOp)
XF_UNARY_SAME_TYPE(ErfOp)
XF_UNARY_SAME_TYPE(TanhOp)
XF_UNARY_SAME_TYPE(SigmoidOp)
XF_UNARY_SAME_TYPE(ReluOp)
XF_UNARY_SAME_TYPE(AbsOp)
XF_UNARY_SAME_TYPE(SinOp)
XF_UNARY_SAME_TYPE(CosOp)
XF_UNARY_SAME_TYPE(NotOp)
XF_UNARY_SAME_TYPE(IdentityOp)
#undef XF_UNARY_SAME_TYPE

LogicalResult IsNaNOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  resultTypes.push_back(cast<TensorType>(getX().getType())
                            .clone(IntegerType::get(getContext(), 1)));
  return success();
}

LogicalResult GeluOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError() << "approximate must be \"none\" or \"tanh\", not \""
                         << getApproximate() << "\"";
  return inferSameAsOperand(getX(), resultTypes);
}

LogicalResult
FastGeluOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (getBias())
    return inferBroadcast(*this, getOperands(), elementTypeOf(getX()),
                          resultTypes);
  return inferSameAsOperand(getX(), resultTypes);
}

LogicalResult SoftmaxOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (auto shape = shapeOf(getInput());
      shape && !normalizeAxis(getAxis(), shape->size()))
    return emitOpError() << "axis " << static_cast<int64_t>(getAxis())
                         << " is out of range for rank " << shape->size();
  return inferSameAsOperand(getInput(), resultTypes);
}

LogicalResult CumSumOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (!isScalarLike(getAxis()))
    return emitOpError() << "axis must be a scalar";
  auto shape = shapeOf(getX());
  auto axis = getConstantIntValues(getAxis());
  if (shape && axis && !normalizeAxis(axis->front(), shape->size()))
    return emitOpError() << "axis " << axis->front()
                         << " is out of range for rank " << shape->size();
  return inferSameAsOperand(getX(), resultTypes);
}

LogicalResult TriluOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (auto shape = shapeOf(getInput()); shape && shape->size() < 2)
    return emitOpError() << "input must have rank 2 or more";
  if (getK() && !isScalarLike(getK()))
    return emitOpError() << "k must be a scalar";
  return inferSameAsOperand(getInput(), resultTypes);
}

#define XF_BINARY(OP, RESULT_ELEMENT)                                          \
  LogicalResult OP::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {     \
    if (failed(requireSameElementType(*this, getOperands())))                  \
      return failure();                                                        \
    Type operandElement = elementTypeOf(getA());                               \
    (void)operandElement;                                                      \
    return inferBroadcast(*this, getOperands(), RESULT_ELEMENT, resultTypes);  \
  }
XF_BINARY(AddOp, operandElement)
XF_BINARY(SubOp, operandElement)
XF_BINARY(MulOp, operandElement)
XF_BINARY(DivOp, operandElement)
XF_BINARY(AndOp, operandElement)
XF_BINARY(OrOp, operandElement)
XF_BINARY(EqualOp, IntegerType::get(getContext(), 1))
XF_BINARY(LessOp, IntegerType::get(getContext(), 1))
XF_BINARY(LessOrEqualOp, IntegerType::get(getContext(), 1))
XF_BINARY(GreaterOp, IntegerType::get(getContext(), 1))
XF_BINARY(GreaterOrEqualOp, IntegerType::get(getContext(), 1))
#undef XF_BINARY

LogicalResult PowOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  return inferBroadcast(*this, getOperands(), elementTypeOf(getX()),
                        resultTypes);
}

/// Max and Min. The check for inputs is here, not in a verifier: the
/// interface's verifier runs first and would fail without a message.
static LogicalResult
inferVariadicElementwise(Operation *op, SmallVectorImpl<Type> &resultTypes) {
  if (op->getNumOperands() == 0)
    return op->emitOpError() << "needs at least one input";
  if (failed(requireSameElementType(op, op->getOperands())))
    return failure();
  return inferBroadcast(op, op->getOperands(),
                        elementTypeOf(op->getOperand(0)), resultTypes);
}

LogicalResult MaxOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  return inferVariadicElementwise(*this, resultTypes);
}

LogicalResult MinOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  return inferVariadicElementwise(*this, resultTypes);
}

LogicalResult WhereOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (failed(requireSameElementType(*this, {getX(), getY()})))
    return failure();
  return inferBroadcast(*this, getOperands(), elementTypeOf(getX()),
                        resultTypes);
}

LogicalResult CastOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  auto type = cast<TensorType>(getInput().getType());
  resultTypes.push_back(type.clone(getTo()));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra and normalization
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (failed(requireSameElementType(*this, getOperands())))
    return failure();
  Type elementType = elementTypeOf(getA());
  auto a = shapeOf(getA());
  auto b = shapeOf(getB());
  if (!a || !b) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  if (a->empty() || b->empty())
    return emitOpError() << "operands must have rank 1 or more";
  bool promoteA = a->size() == 1, promoteB = b->size() == 1;
  if (promoteA)
    a->insert(a->begin(), 1);
  if (promoteB)
    b->push_back(1);
  int64_t k1 = a->back(), k2 = (*b)[b->size() - 2];
  if (!isDynamic(k1) && !isDynamic(k2) && k1 != k2)
    return emitOpError() << "contracting dimensions differ: " << k1 << " and "
                         << k2;
  auto batch = broadcastShapes(ArrayRef<int64_t>(*a).drop_back(2),
                               ArrayRef<int64_t>(*b).drop_back(2));
  if (!batch)
    return emitOpError() << "batch dimensions cannot be broadcast together";
  Shape result = *batch;
  if (!promoteA)
    result.push_back((*a)[a->size() - 2]);
  if (!promoteB)
    result.push_back(b->back());
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult GemmOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (failed(requireSameElementType(*this, getOperands())))
    return failure();
  Type elementType = elementTypeOf(getA());
  auto a = shapeOf(getA());
  auto b = shapeOf(getB());
  if ((a && a->size() != 2) || (b && b->size() != 2))
    return emitOpError() << "A and B must be 2-D";
  int64_t m = a ? (*a)[getTransA() ? 1 : 0] : ShapedType::kDynamic;
  int64_t ka = a ? (*a)[getTransA() ? 0 : 1] : ShapedType::kDynamic;
  int64_t kb = b ? (*b)[getTransB() ? 1 : 0] : ShapedType::kDynamic;
  int64_t n = b ? (*b)[getTransB() ? 0 : 1] : ShapedType::kDynamic;
  if (!isDynamic(ka) && !isDynamic(kb) && ka != kb)
    return emitOpError() << "contracting dimensions differ: " << ka << " and "
                         << kb;
  Shape result{m, n};
  // C broadcasts to [M, N] in one direction only: each of its dims is 1 or
  // the matching result dim.
  auto fitsResult = [&](ArrayRef<int64_t> cShape) {
    if (cShape.size() > 2)
      return false;
    for (auto [c, r] : llvm::zip(llvm::reverse(cShape), llvm::reverse(result)))
      if (c != 1 && !isDynamic(c) && !isDynamic(r) && c != r)
        return false;
    return true;
  };
  if (Value c = getC())
    if (auto cShape = shapeOf(c); cShape && !fitsResult(*cShape))
      return emitOpError() << "C of type " << c.getType()
                           << " cannot be broadcast to [M, N]";
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult
LayerNormalizationOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type stashType;
  switch (getStashType()) {
  case 1: stashType = Float32Type::get(getContext()); break;
  case 10: stashType = Float16Type::get(getContext()); break;
  case 11: stashType = Float64Type::get(getContext()); break;
  case 16: stashType = BFloat16Type::get(getContext()); break;
  default:
    return emitOpError() << "stash_type " << getStashType()
                         << " is not a floating-point type";
  }
  resultTypes.push_back(getX().getType());
  auto shape = shapeOf(getX());
  if (!shape) {
    resultTypes.append(2, UnrankedTensorType::get(stashType));
    return success();
  }
  auto axis = normalizeAxis(getAxis(), shape->size());
  if (!axis)
    return emitOpError() << "axis " << static_cast<int64_t>(getAxis())
                         << " is out of range for rank " << shape->size();
  Shape statShape(*shape);
  for (int64_t i = *axis, e = shape->size(); i < e; ++i)
    statShape[i] = 1;
  resultTypes.append(2, RankedTensorType::get(statShape, stashType));
  return success();
}

namespace {
/// The statistics shape of a normalization of `x` over `axis..rank-1`: x's
/// shape with those dimensions set to 1, of `elementType`.
LogicalResult inferNormalization(Operation *op, Value x, int64_t axisAttr,
                                 Type statType, unsigned numStats,
                                 SmallVectorImpl<Type> &resultTypes) {
  resultTypes.push_back(x.getType());
  auto shape = shapeOf(x);
  if (!shape) {
    resultTypes.append(numStats, UnrankedTensorType::get(statType));
    return success();
  }
  auto axis = normalizeAxis(axisAttr, shape->size());
  if (!axis)
    return op->emitOpError() << "axis " << axisAttr
                             << " is out of range for rank " << shape->size();
  Shape statShape(*shape);
  for (int64_t i = *axis, e = shape->size(); i < e; ++i)
    statShape[i] = 1;
  resultTypes.append(numStats, RankedTensorType::get(statShape, statType));
  return success();
}

FailureOr<Type> stashElementType(Operation *op, int64_t stashType) {
  MLIRContext *context = op->getContext();
  switch (stashType) {
  case 1: return Type(Float32Type::get(context));
  case 10: return Type(Float16Type::get(context));
  case 11: return Type(Float64Type::get(context));
  case 16: return Type(BFloat16Type::get(context));
  default:
    return op->emitOpError() << "stash_type " << stashType
                             << " is not a floating-point type";
  }
}
} // namespace

LogicalResult
RMSNormalizationOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (failed(stashElementType(*this, getStashType())))
    return failure();
  SmallVector<Type> withStats;
  if (failed(inferNormalization(*this, getX(), getAxis(),
                                elementTypeOf(getX()), 0, withStats)))
    return failure();
  resultTypes.append(withStats);
  return success();
}

LogicalResult SimplifiedLayerNormalizationOp::inferResultTypes(
    SmallVectorImpl<Type> &resultTypes) {
  FailureOr<Type> stash = stashElementType(*this, getStashType());
  if (failed(stash))
    return failure();
  return inferNormalization(*this, getX(), getAxis(), *stash, 1, resultTypes);
}

LogicalResult SkipSimplifiedLayerNormalizationOp::inferResultTypes(
    SmallVectorImpl<Type> &resultTypes) {
  if (failed(inferNormalization(*this, getInput(), -1,
                                Float32Type::get(getContext()), 2,
                                resultTypes)))
    return failure();
  resultTypes.push_back(getInput().getType());
  return success();
}

LogicalResult
MatMulNBitsOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  // A [..., K] -> [..., N]; N read by name, as the importer checks
  // attributes only after inference.
  auto type = dyn_cast<RankedTensorType>(getA().getType());
  auto n = (*this)->getAttrOfType<IntegerAttr>("N");
  if (!type || type.getRank() < 1 || !n)
    return failure();
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = n.getInt();
  resultTypes.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult SkipLayerNormalizationOp::inferResultTypes(
    SmallVectorImpl<Type> &resultTypes) {
  if (failed(inferNormalization(*this, getInput(), -1,
                                Float32Type::get(getContext()), 2,
                                resultTypes)))
    return failure();
  resultTypes.push_back(getInput().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// Attention and rotary embeddings
//===----------------------------------------------------------------------===//

namespace {
/// The static one of two sizes of one dimension, or an error if both are
/// static and differ.
FailureOr<int64_t> mergeDims(Operation *op, int64_t a, int64_t b,
                             StringRef what) {
  if (!isDynamic(a) && !isDynamic(b) && a != b)
    return op->emitOpError() << what << " disagree: " << a << " and " << b;
  return isDynamic(a) ? b : a;
}

/// `hidden / heads`, or an error if `hidden` is static and not a multiple.
FailureOr<int64_t> headSize(Operation *op, int64_t hidden, int64_t heads,
                            StringRef name) {
  if (isDynamic(hidden))
    return ShapedType::kDynamic;
  if (hidden % heads != 0)
    return op->emitOpError() << name << "'s hidden size " << hidden
                             << " is not a multiple of its " << heads
                             << " heads";
  return hidden / heads;
}

/// Checks that `value` is a ranked tensor of `rank` and `elementType`.
LogicalResult checkTensor(Operation *op, Value value, StringRef name,
                          int64_t rank, Type elementType,
                          StringRef shapeText) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != rank || type.getElementType() != elementType)
    return op->emitOpError() << name << " must be " << rank << "-D "
                             << shapeText << " of " << elementType << ", not "
                             << value.getType();
  return success();
}

int64_t addDims(int64_t a, int64_t b) {
  return isDynamic(a) || isDynamic(b) ? ShapedType::kDynamic : a + b;
}
} // namespace

LogicalResult AttentionOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type element = elementTypeOf(getQ());
  if (failed(requireSameElementType(*this, {getQ(), getK(), getV()})))
    return failure();
  auto q = shapeOf(getQ()), k = shapeOf(getK()), v = shapeOf(getV());
  if (!q || !k || !v) {
    resultTypes.append(4, UnrankedTensorType::get(element));
    return success();
  }
  int64_t rank = q->size();
  if ((rank != 3 && rank != 4) || k->size() != q->size() ||
      v->size() != q->size())
    return emitOpError() << "Q, K and V must all be 3-D or all 4-D, not of "
                            "ranks "
                         << q->size() << ", " << k->size() << ", "
                         << v->size();
  for (auto [name, heads] : {std::pair("q_num_heads", getQNumHeads()),
                             std::pair("kv_num_heads", getKvNumHeads())})
    if (heads && static_cast<int64_t>(*heads) <= 0)
      return emitOpError() << name << " must be positive, not "
                           << static_cast<int64_t>(*heads);
  int64_t qkMode = getQkMatmulOutputMode();
  if (qkMode < 0 || qkMode > 3)
    return emitOpError() << "qk_matmul_output_mode " << qkMode
                         << " is not one of 0, 1, 2, 3";
  // [B, Hq, Sq, D], [B, Hkv, Skv, D], [B, Hkv, Skv, Dv].
  int64_t batch, hq, hkv, sq, skv, dk, dv;
  if (rank == 3) {
    if (!getQNumHeads() || !getKvNumHeads())
      return emitOpError() << "3-D Q, K, V need the q_num_heads and "
                              "kv_num_heads attributes";
    hq = *getQNumHeads();
    hkv = *getKvNumHeads();
    FailureOr<int64_t> dq = headSize(*this, (*q)[2], hq, "Q");
    FailureOr<int64_t> dkOr = headSize(*this, (*k)[2], hkv, "K");
    FailureOr<int64_t> dvOr = headSize(*this, (*v)[2], hkv, "V");
    if (failed(dq) || failed(dkOr) || failed(dvOr))
      return failure();
    FailureOr<int64_t> d = mergeDims(*this, *dq, *dkOr, "Q's and K's head sizes");
    if (failed(d))
      return failure();
    dk = *d;
    dv = *dvOr;
    sq = (*q)[1];
    skv = (*k)[1];
  } else {
    hq = (*q)[1];
    hkv = (*k)[1];
    for (auto [name, attr, heads] :
         {std::tuple("q_num_heads", getQNumHeads(), hq),
          std::tuple("kv_num_heads", getKvNumHeads(), hkv)})
      if (attr && !isDynamic(heads) && heads != static_cast<int64_t>(*attr))
        return emitOpError() << name << " is " << static_cast<int64_t>(*attr)
                             << " but the 4-D input has " << heads
                             << " heads";
    if (isDynamic(hq) && getQNumHeads())
      hq = *getQNumHeads();
    if (isDynamic(hkv) && getKvNumHeads())
      hkv = *getKvNumHeads();
    FailureOr<int64_t> d =
        mergeDims(*this, (*q)[3], (*k)[3], "Q's and K's head sizes");
    FailureOr<int64_t> vh = mergeDims(*this, hkv, (*v)[1], "K's and V's heads");
    if (failed(d) || failed(vh))
      return failure();
    hkv = *vh;
    dk = *d;
    dv = (*v)[3];
    sq = (*q)[2];
    skv = (*k)[2];
  }
  FailureOr<int64_t> kvLength =
      mergeDims(*this, skv, (*v)[rank == 3 ? 1 : 2], "K's and V's lengths");
  if (failed(kvLength))
    return failure();
  skv = *kvLength;
  if (!isDynamic(hq) && !isDynamic(hkv) && hq % hkv != 0)
    return emitOpError() << "Q's " << hq
                         << " heads are not a multiple of K's and V's " << hkv;
  batch = (*q)[0];
  for (ArrayRef<int64_t> s : {ArrayRef<int64_t>(*k), ArrayRef<int64_t>(*v)}) {
    FailureOr<int64_t> b = mergeDims(*this, batch, s[0], "batch sizes");
    if (failed(b))
      return failure();
    batch = *b;
  }

  int64_t past = 0;
  if (!getPastKey() != !getPastValue())
    return emitOpError() << "past_key and past_value must be given together";
  if (getPastKey()) {
    for (auto [name, value, headDim] :
         {std::tuple("past_key", getPastKey(), dk),
          std::tuple("past_value", getPastValue(), dv)}) {
      if (failed(checkTensor(*this, value, name, 4, element,
                             "[batch, kv_num_heads, past, head_size]")))
        return failure();
      auto p = *shapeOf(value);
      if (failed(mergeDims(*this, p[1], hkv, "past and new kv heads")) ||
          failed(mergeDims(*this, p[3], headDim, "past and new head sizes")))
        return failure();
    }
    FailureOr<int64_t> p = mergeDims(*this, (*shapeOf(getPastKey()))[2],
                                     (*shapeOf(getPastValue()))[2],
                                     "past_key's and past_value's lengths");
    if (failed(p))
      return failure();
    past = *p;
  }
  if (Value mask = getAttnMask()) {
    auto type = dyn_cast<RankedTensorType>(mask.getType());
    if (!type || type.getRank() < 1 || type.getRank() > 4 ||
        (!type.getElementType().isInteger(1) &&
         type.getElementType() != element))
      return emitOpError() << "attn_mask must be bool or " << element
                           << " of rank 1 to 4, not " << mask.getType();
  }
  if (Value lengths = getNonpadKvSeqlen()) {
    auto s = shapeOf(lengths);
    if (!s || s->size() != 1)
      return emitOpError() << "nonpad_kv_seqlen must be 1-D [batch], not "
                           << lengths.getType();
  }
  int64_t total = addDims(past, skv);
  Shape y = rank == 3 ? Shape{batch, sq, multiplyDims(hq, dv)}
                      : Shape{batch, hq, sq, dv};
  resultTypes.push_back(RankedTensorType::get(y, element));
  resultTypes.push_back(
      RankedTensorType::get({batch, hkv, total, dk}, element));
  resultTypes.push_back(
      RankedTensorType::get({batch, hkv, total, dv}, element));
  resultTypes.push_back(RankedTensorType::get({batch, hq, sq, total}, element));
  return success();
}

LogicalResult
RotaryEmbeddingOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (failed(requireSameElementType(*this, {getX(), getCosCache(),
                                            getSinCache()})))
    return failure();
  if (auto x = shapeOf(getX())) {
    if (x->size() != 3 && x->size() != 4)
      return emitOpError() << "X must be 3-D [batch, sequence, hidden] or "
                              "4-D [batch, heads, sequence, head_size], not "
                           << getX().getType();
    if (x->size() == 3 &&
        (!getNumHeads() || static_cast<int64_t>(*getNumHeads()) <= 0))
      return emitOpError() << "a 3-D X needs a positive num_heads";
  }
  int64_t tableRank = getPositionIds() ? 2 : 3;
  for (Value table : {getCosCache(), getSinCache()})
    if (auto s = shapeOf(table); s && static_cast<int64_t>(s->size()) != tableRank)
      return emitOpError() << "cos_cache and sin_cache must be "
                           << (tableRank == 2
                                   ? "2-D [max_position, rotary_dim / 2] with "
                                     "position_ids"
                                   : "3-D [batch, sequence, rotary_dim / 2] "
                                     "without position_ids")
                           << ", not " << table.getType();
  int64_t rotaryDim = getRotaryEmbeddingDim();
  if (rotaryDim < 0 || rotaryDim % 2 != 0)
    return emitOpError() << "rotary_embedding_dim must be even and not "
                            "negative, not "
                         << rotaryDim;
  return inferSameAsOperand(getX(), resultTypes);
}

LogicalResult
ContribRotaryEmbeddingOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (failed(requireSameElementType(*this, {getInput(), getCosCache(),
                                            getSinCache()})))
    return failure();
  if (auto x = shapeOf(getInput()); x && x->size() != 3 && x->size() != 4)
    return emitOpError() << "input must be 3-D [batch, sequence, hidden] or "
                            "4-D [batch, heads, sequence, head_size], not "
                         << getInput().getType();
  if (auto p = shapeOf(getPositionIds()); p && p->size() != 1 && p->size() != 2)
    return emitOpError() << "position_ids must be [1] or [batch, sequence], "
                            "not "
                         << getPositionIds().getType();
  for (Value table : {getCosCache(), getSinCache()})
    if (auto s = shapeOf(table); s && s->size() != 2)
      return emitOpError() << "cos_cache and sin_cache must be 2-D "
                              "[max_position, rotary_dim / 2], not "
                           << table.getType();
  if (static_cast<int64_t>(getNumHeads()) < 0 ||
      static_cast<int64_t>(getRotaryEmbeddingDim()) < 0 ||
      getRotaryEmbeddingDim() % 2 != 0)
    return emitOpError() << "num_heads must not be negative and "
                            "rotary_embedding_dim must be even and not "
                            "negative";
  if (getRotaryEmbeddingDim() > 0 && getNumHeads() == 0)
    return emitOpError() << "rotary_embedding_dim needs num_heads";
  return inferSameAsOperand(getInput(), resultTypes);
}

LogicalResult
MultiHeadAttentionOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type element = elementTypeOf(getQuery());
  int64_t heads = getNumHeads();
  if (heads <= 0)
    return emitOpError() << "num_heads must be positive, not " << heads;
  if (!getKey() || !getValue())
    return emitOpError() << "packed QKV (no key and value) is not supported; "
                            "give query, key and value as 3-D tensors";
  StringRef form = "[batch, sequence, hidden]";
  if (failed(checkTensor(*this, getQuery(), "query", 3, element, form)) ||
      failed(checkTensor(*this, getKey(), "key", 3, element,
                         "[batch, kv_sequence, hidden] (packed KV and "
                         "BNSH keys are not supported)")) ||
      failed(checkTensor(*this, getValue(), "value", 3, element, form)))
    return failure();
  Shape q = *shapeOf(getQuery()), k = *shapeOf(getKey()),
        v = *shapeOf(getValue());
  FailureOr<int64_t> dq = headSize(*this, q[2], heads, "query");
  FailureOr<int64_t> dk = headSize(*this, k[2], heads, "key");
  FailureOr<int64_t> dv = headSize(*this, v[2], heads, "value");
  if (failed(dq) || failed(dk) || failed(dv))
    return failure();
  FailureOr<int64_t> d = mergeDims(*this, *dq, *dk, "query's and key's head sizes");
  FailureOr<int64_t> length = mergeDims(*this, k[1], v[1], "key's and value's lengths");
  if (failed(d) || failed(length))
    return failure();
  int64_t batch = q[0];
  for (int64_t b : {k[0], v[0]}) {
    FailureOr<int64_t> merged = mergeDims(*this, batch, b, "batch sizes");
    if (failed(merged))
      return failure();
    batch = *merged;
  }
  if (Value bias = getBias()) {
    if (failed(checkTensor(*this, bias, "bias", 1, element,
                           "[3 * hidden] (Q | K | V)")))
      return failure();
    int64_t n = (*shapeOf(bias))[0];
    int64_t expected = addDims(addDims(q[2], k[2]), v[2]);
    if (failed(mergeDims(*this, n, expected, "bias's length and Q | K | V's")))
      return failure();
  }
  if (Value mask = getKeyPaddingMask()) {
    auto s = shapeOf(mask);
    if (!s || (s->size() != 2 && s->size() != 3))
      return emitOpError() << "key_padding_mask must be [batch, "
                              "total_sequence_length] or [batch, "
                              "sequence_length, total_sequence_length], not "
                           << mask.getType()
                           << " (the [batch] and [3 * batch + 2] length forms "
                              "are not supported)";
  }
  if (Value bias = getAttentionBias())
    if (failed(checkTensor(*this, bias, "attention_bias", 4, element,
                           "[batch or 1, num_heads or 1, sequence, total]")))
      return failure();
  int64_t past = 0;
  if (!getPastKey() != !getPastValue())
    return emitOpError() << "past_key and past_value must be given together";
  if (getPastKey()) {
    for (auto [name, value, headDim] :
         {std::tuple("past_key", getPastKey(), *d),
          std::tuple("past_value", getPastValue(), *dv)}) {
      if (failed(checkTensor(*this, value, name, 4, element,
                             "[batch, num_heads, past, head_size]")))
        return failure();
      Shape p = *shapeOf(value);
      if (failed(mergeDims(*this, p[1], heads, "past heads and num_heads")) ||
          failed(mergeDims(*this, p[3], headDim, "past and new head sizes")))
        return failure();
    }
    past = (*shapeOf(getPastKey()))[2];
  }
  int64_t total = addDims(past, *length);
  resultTypes.push_back(RankedTensorType::get({q[0], q[1], v[2]}, element));
  resultTypes.push_back(RankedTensorType::get({batch, heads, total, *d}, element));
  resultTypes.push_back(RankedTensorType::get({batch, heads, total, *dv}, element));
  return success();
}

LogicalResult
GroupQueryAttentionOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type element = elementTypeOf(getQuery());
  int64_t heads = getNumHeads(), kvHeads = getKvNumHeads();
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
    return emitOpError() << "num_heads (" << heads
                         << ") must be a positive multiple of kv_num_heads ("
                         << kvHeads << ")";
  if (failed(checkTensor(*this, getQuery(), "query", 3, element,
                         "[batch, sequence, hidden]")))
    return failure();
  Shape q = *shapeOf(getQuery());
  if (isDynamic(q[2]))
    return emitOpError() << "query's hidden size must be static, not "
                         << getQuery().getType();
  if (!getKey() != !getValue())
    return emitOpError() << "key and value must be given together (or "
                            "neither, for packed QKV)";
  int64_t headDim;
  if (!getKey()) {
    int64_t groups = heads + 2 * kvHeads;
    if (q[2] % groups != 0)
      return emitOpError() << "packed QKV's width " << q[2]
                           << " is not a multiple of num_heads + 2 * "
                              "kv_num_heads ("
                           << groups << ")";
    headDim = q[2] / groups;
  } else {
    if (q[2] % heads != 0)
      return emitOpError() << "query's hidden size " << q[2]
                           << " is not a multiple of num_heads (" << heads
                           << ")";
    headDim = q[2] / heads;
    for (auto [name, value] :
         {std::pair("key", getKey()), std::pair("value", getValue())}) {
      if (failed(checkTensor(*this, value, name, 3, element,
                             "[batch, sequence, kv_num_heads * head_size]")))
        return failure();
      Shape s = *shapeOf(value);
      if (failed(mergeDims(*this, s[2], kvHeads * headDim,
                           "kv_num_heads * head_size and key/value's "
                           "hidden size")) ||
          failed(mergeDims(*this, s[1], q[1], "query's and key/value's "
                                              "lengths")) ||
          failed(mergeDims(*this, s[0], q[0], "batch sizes")))
        return failure();
    }
  }
  int64_t past = 0;
  if (!getPastKey() != !getPastValue())
    return emitOpError() << "past_key and past_value must be given together";
  if (getPastKey()) {
    for (auto [name, value] : {std::pair("past_key", getPastKey()),
                               std::pair("past_value", getPastValue())}) {
      if (failed(checkTensor(*this, value, name, 4, element,
                             "[batch, kv_num_heads, past, head_size] (BNSH)")))
        return failure();
      Shape p = *shapeOf(value);
      if (failed(mergeDims(*this, p[1], kvHeads, "past heads and "
                                                 "kv_num_heads")) ||
          failed(mergeDims(*this, p[3], headDim, "past and new head sizes")))
        return failure();
    }
    FailureOr<int64_t> p = mergeDims(*this, (*shapeOf(getPastKey()))[2],
                                     (*shapeOf(getPastValue()))[2],
                                     "past_key's and past_value's lengths");
    if (failed(p))
      return failure();
    past = *p;
  }
  if (auto s = shapeOf(getSeqlensK()); s && s->size() != 1)
    return emitOpError() << "seqlens_k must be 1-D [batch], not "
                         << getSeqlensK().getType();
  if (!isScalarLike(getTotalSequenceLength()))
    return emitOpError() << "total_sequence_length must be a scalar, not "
                         << getTotalSequenceLength().getType();
  if (!getCosCache() != !getSinCache())
    return emitOpError() << "cos_cache and sin_cache must be given together";
  if (getDoRotary() && !getCosCache())
    return emitOpError() << "do_rotary needs cos_cache and sin_cache";
  if (getCosCache()) {
    for (Value table : {getCosCache(), getSinCache()}) {
      if (failed(checkTensor(*this, table, "cos_cache and sin_cache", 2,
                             element, "[max_position, rotary_dim / 2]")))
        return failure();
      int64_t half = (*shapeOf(table))[1];
      if (!isDynamic(half) && 2 * half > headDim)
        return emitOpError() << "cos_cache and sin_cache rotate " << 2 * half
                             << " elements, more than the head size "
                             << headDim;
    }
  }
  if (Value bias = getAttentionBias())
    if (failed(checkTensor(*this, bias, "attention_bias", 4, element,
                           "[batch or 1, num_heads or 1, sequence, total]")))
      return failure();
  // max(total_sequence_length, past), when both are known.
  int64_t present = ShapedType::kDynamic;
  if (auto total = getConstantIntValues(getTotalSequenceLength());
      total && total->size() == 1 && !isDynamic(past))
    present = std::max((*total)[0], past);
  resultTypes.push_back(
      RankedTensorType::get({q[0], q[1], heads * headDim}, element));
  resultTypes.append(2, RankedTensorType::get({q[0], kvHeads, present, headDim},
                                              element));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

#define XF_REDUCE(OP)                                                          \
  LogicalResult OP::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {     \
    return inferReduction(*this, getData(), getAxes(), getKeepdims() != 0,     \
                          getNoopWithEmptyAxes() != 0, resultTypes);           \
  }
XF_REDUCE(ReduceMeanOp)
XF_REDUCE(ReduceSumOp)
XF_REDUCE(ReduceMaxOp)
#undef XF_REDUCE

//===----------------------------------------------------------------------===//
// Data movement and shapes
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getData());
  auto data = shapeOf(getData());
  auto indices = shapeOf(getIndices());
  if (!data || !indices) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  auto axis = normalizeAxis(getAxis(), data->size());
  if (!axis)
    return emitOpError() << "axis " << static_cast<int64_t>(getAxis())
                         << " is out of range for rank " << data->size();
  Shape result(data->begin(), data->begin() + *axis);
  result.append(*indices);
  result.append(data->begin() + *axis + 1, data->end());
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult GatherNDOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getData());
  auto data = shapeOf(getData());
  auto indices = shapeOf(getIndices());
  if (!data || !indices || indices->empty() || isDynamic(indices->back())) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  int64_t batch = getBatchDims();
  int64_t k = indices->back();
  int64_t q = indices->size(), r = data->size();
  if (batch < 0 || batch >= std::min(q, r) || k < 1 || batch + k > r)
    return emitOpError() << "batch_dims " << batch << " and index length " << k
                         << " do not fit data of rank " << r
                         << " and indices of rank " << q;
  Shape result(indices->begin(), indices->end() - 1);
  result.append(data->begin() + batch + k, data->end());
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult
ScatterNDOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (failed(requireSameElementType(*this, {getData(), getUpdates()})))
    return failure();
  StringRef reduction = getReduction();
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return emitOpError() << "reduction \"" << reduction
                         << "\" is not none, add, mul, max or min";
  return inferSameAsOperand(getData(), resultTypes);
}

LogicalResult ReshapeOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getData());
  auto target = getPartialIntValues(getShape());
  if (!target) {
    auto shapeType = dyn_cast<RankedTensorType>(getShape().getType());
    if (shapeType && shapeType.getRank() == 1 && shapeType.hasStaticShape())
      resultTypes.push_back(RankedTensorType::get(
          Shape(shapeType.getDimSize(0), ShapedType::kDynamic), elementType));
    else
      resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  auto input = shapeOf(getData());
  Shape result;
  int64_t inferredIndex = -1;
  for (auto [i, dim] : llvm::enumerate(*target)) {
    if (dim == 0 && !getAllowzero()) {
      if (!input || i >= input->size()) {
        if (input)
          return emitOpError() << "shape copies dimension " << i
                               << " which the input does not have";
        result.push_back(ShapedType::kDynamic);
      } else {
        result.push_back((*input)[i]);
      }
    } else if (dim == -1) {
      if (inferredIndex >= 0)
        return emitOpError() << "shape has more than one -1";
      inferredIndex = i;
      result.push_back(ShapedType::kDynamic);
    } else if (dim < -1 && !isDynamic(dim)) {
      return emitOpError() << "shape has invalid dimension " << dim;
    } else {
      result.push_back(dim);
    }
  }
  if (input && inferredIndex >= 0) {
    int64_t inputCount = 1, knownCount = 1;
    for (int64_t d : *input)
      inputCount = multiplyDims(inputCount, d);
    for (auto [i, d] : llvm::enumerate(result))
      if (static_cast<int64_t>(i) != inferredIndex)
        knownCount = multiplyDims(knownCount, d);
    if (!isDynamic(inputCount) && !isDynamic(knownCount) && knownCount != 0) {
      if (inputCount % knownCount != 0)
        return emitOpError() << "cannot reshape " << inputCount
                             << " elements into a multiple of " << knownCount;
      result[inferredIndex] = inputCount / knownCount;
    }
  }
  if (input && llvm::none_of(*input, isDynamic) &&
      llvm::none_of(result, isDynamic)) {
    int64_t inputCount = 1, resultCount = 1;
    for (int64_t d : *input)
      inputCount *= d;
    for (int64_t d : result)
      resultCount *= d;
    if (inputCount != resultCount)
      return emitOpError() << "cannot reshape " << inputCount
                           << " elements into " << resultCount;
  }
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult
TransposeOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getData());
  auto input = shapeOf(getData());
  if (!input) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  int64_t rank = input->size();
  Shape perm;
  if (auto permAttr = getPerm()) {
    for (Attribute a : *permAttr)
      perm.push_back(cast<IntegerAttr>(a).getInt());
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank)
    return emitOpError() << "perm has " << perm.size()
                         << " entries for an input of rank " << rank;
  SmallVector<bool> seen(rank, false);
  Shape result;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return emitOpError() << "perm is not a permutation of 0.." << rank - 1;
    seen[p] = true;
    result.push_back((*input)[p]);
  }
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult ConcatOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (getInputs().empty())
    return emitOpError() << "needs at least one input";
  if (failed(requireSameElementType(*this, getInputs())))
    return failure();
  Type elementType = elementTypeOf(getInputs().front());
  std::optional<Shape> result;
  for (Value input : getInputs()) {
    auto shape = shapeOf(input);
    if (!shape)
      continue;
    auto axis = normalizeAxis(getAxis(), shape->size());
    if (!axis)
      return emitOpError() << "axis " << static_cast<int64_t>(getAxis())
                           << " is out of range for rank " << shape->size();
    if (!result) {
      result = *shape;
      continue;
    }
    if (result->size() != shape->size())
      return emitOpError() << "inputs have different ranks";
    for (int64_t i = 0, e = shape->size(); i < e; ++i) {
      int64_t &r = (*result)[i];
      int64_t s = (*shape)[i];
      if (i == *axis) {
        r = isDynamic(r) || isDynamic(s) ? ShapedType::kDynamic : r + s;
      } else if (isDynamic(r)) {
        r = s;
      } else if (!isDynamic(s) && r != s) {
        return emitOpError() << "inputs differ in dimension " << i << ": " << r
                             << " and " << s;
      }
    }
  }
  if (!result) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  // An unranked input makes the concatenated dimension unknown.
  if (llvm::any_of(getInputs(), [](Value v) { return !shapeOf(v); }))
    (*result)[*normalizeAxis(getAxis(), result->size())] = ShapedType::kDynamic;
  resultTypes.push_back(RankedTensorType::get(*result, elementType));
  return success();
}

LogicalResult SliceOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getData());
  auto input = shapeOf(getData());
  if (!input) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  int64_t rank = input->size();
  // One entry per sliced axis in each parameter, whatever the dims are.
  std::optional<int64_t> length;
  for (Value parameter : {getStarts(), getEnds(), getAxes(), getSteps()}) {
    auto type =
        parameter ? dyn_cast<RankedTensorType>(parameter.getType()) : nullptr;
    if (!type || !type.hasStaticShape())
      continue;
    if (length && *length != type.getNumElements())
      return emitOpError() << "starts, ends, axes and steps differ in length";
    length = type.getNumElements();
  }
  Shape result(*input);
  auto starts = getConstantIntValues(getStarts());
  auto ends = getConstantIntValues(getEnds());
  std::optional<Shape> axes;
  if (getAxes()) {
    axes = getConstantIntValues(getAxes());
    if (!axes) {
      resultTypes.push_back(RankedTensorType::get(
          Shape(rank, ShapedType::kDynamic), elementType));
      return success();
    }
  } else {
    auto startsType = dyn_cast<RankedTensorType>(getStarts().getType());
    if (!startsType || !startsType.hasStaticShape()) {
      resultTypes.push_back(RankedTensorType::get(
          Shape(rank, ShapedType::kDynamic), elementType));
      return success();
    }
    axes = Shape();
    for (int64_t i = 0; i < startsType.getNumElements(); ++i)
      axes->push_back(i);
  }
  std::optional<Shape> steps;
  if (getSteps())
    steps = getConstantIntValues(getSteps());
  SmallVector<bool> sliced(rank, false);
  for (auto [i, axis] : llvm::enumerate(*axes)) {
    auto normalized = normalizeAxis(axis, rank);
    if (!normalized)
      return emitOpError() << "axis " << axis << " is out of range for rank "
                           << rank;
    if (sliced[*normalized])
      return emitOpError() << "axis " << axis << " is repeated";
    sliced[*normalized] = true;
    int64_t dim = (*input)[*normalized];
    int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0)
      return emitOpError() << "step must not be 0";
    bool known = starts && ends && (!getSteps() || steps) && !isDynamic(dim);
    result[*normalized] =
        known ? sliceRange(dim, (*starts)[i], (*ends)[i], step).second
              : ShapedType::kDynamic;
  }
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult SplitOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getInput());
  int64_t numResults = getNumResults();
  // Checked here rather than in the verifier, which runs after this.
  if (numResults == 0)
    return emitOpError() << "needs at least one output";
  auto input = shapeOf(getInput());
  if (!input) {
    resultTypes.append(numResults, UnrankedTensorType::get(elementType));
    return success();
  }
  auto axis = normalizeAxis(getAxis(), input->size());
  if (!axis)
    return emitOpError() << "axis " << static_cast<int64_t>(getAxis())
                         << " is out of range for rank " << input->size();
  int64_t dim = (*input)[*axis];
  Shape sizes(numResults, ShapedType::kDynamic);
  if (getSplit()) {
    if (auto split = getConstantIntValues(getSplit())) {
      if (static_cast<int64_t>(split->size()) != numResults)
        return emitOpError() << "split has " << split->size()
                             << " sizes for " << numResults << " results";
      int64_t total = 0;
      for (int64_t s : *split) {
        if (s < 0)
          return emitOpError() << "split size " << s << " is negative";
        total += s;
      }
      if (!isDynamic(dim) && total != dim)
        return emitOpError() << "split sizes add up to " << total
                             << ", not to the dimension " << dim;
      sizes = *split;
    }
  } else if (!isDynamic(dim)) {
    int64_t chunk = (dim + numResults - 1) / numResults;
    if (!getNumOutputs() && dim % numResults != 0)
      return emitOpError() << "dimension " << dim
                           << " does not split evenly into " << numResults;
    for (int64_t i = 0; i < numResults; ++i)
      sizes[i] = std::max<int64_t>(0, std::min(chunk, dim - i * chunk));
  }
  for (int64_t size : sizes) {
    Shape shape(*input);
    shape[*axis] = size;
    resultTypes.push_back(RankedTensorType::get(shape, elementType));
  }
  return success();
}

LogicalResult SqueezeOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getData());
  auto input = shapeOf(getData());
  if (!input) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  int64_t rank = input->size();
  SmallVector<bool> squeezed(rank, false);
  if (getAxes()) {
    auto axes = getConstantIntValues(getAxes());
    if (!axes) {
      resultTypes.push_back(UnrankedTensorType::get(elementType));
      return success();
    }
    for (int64_t axis : *axes) {
      auto normalized = normalizeAxis(axis, rank);
      if (!normalized)
        return emitOpError() << "axis " << axis
                             << " is out of range for rank " << rank;
      int64_t dim = (*input)[*normalized];
      if (!isDynamic(dim) && dim != 1)
        return emitOpError() << "cannot squeeze dimension " << *normalized
                             << " of size " << dim;
      squeezed[*normalized] = true;
    }
  } else {
    if (llvm::any_of(*input, isDynamic)) {
      resultTypes.push_back(UnrankedTensorType::get(elementType));
      return success();
    }
    for (int64_t i = 0; i < rank; ++i)
      squeezed[i] = (*input)[i] == 1;
  }
  Shape result;
  for (int64_t i = 0; i < rank; ++i)
    if (!squeezed[i])
      result.push_back((*input)[i]);
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult
UnsqueezeOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getData());
  auto input = shapeOf(getData());
  auto axes = getConstantIntValues(getAxes());
  if (!input || !axes) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  int64_t rank = input->size() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : *axes) {
    auto normalized = normalizeAxis(axis, rank);
    if (!normalized || inserted[*normalized])
      return emitOpError() << "axis " << axis
                           << " is out of range or repeated for output rank "
                           << rank;
    inserted[*normalized] = true;
  }
  Shape result;
  auto next = input->begin();
  for (int64_t i = 0; i < rank; ++i)
    result.push_back(inserted[i] ? 1 : *next++);
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult FlattenOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getInput());
  auto input = shapeOf(getInput());
  if (!input) {
    resultTypes.push_back(RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, elementType));
    return success();
  }
  int64_t rank = input->size();
  // I64Attr getters return uint64_t: compare as signed.
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < -rank || axis > rank)
    return emitOpError() << "axis " << static_cast<int64_t>(getAxis())
                         << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < axis ? outer : inner) = multiplyDims(i < axis ? outer : inner,
                                              (*input)[i]);
  resultTypes.push_back(RankedTensorType::get({outer, inner}, elementType));
  return success();
}

LogicalResult ExpandOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getInput());
  auto target = getPartialIntValues(getShape());
  auto input = shapeOf(getInput());
  if (!target || !input) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  // Unknown target entries are dynamic dimensions, which broadcasting treats
  // exactly as Expand must: a target 1 keeps the input's size.
  auto result = broadcastShapes(*input, *target);
  if (!result)
    return emitOpError() << "input " << getInput().getType()
                         << " cannot be expanded to the given shape";
  resultTypes.push_back(RankedTensorType::get(*result, elementType));
  return success();
}

LogicalResult TileOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = elementTypeOf(getInput());
  auto input = shapeOf(getInput());
  if (!input) {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  auto repeats = getPartialIntValues(getRepeats());
  if (repeats && repeats->size() != input->size())
    return emitOpError() << "repeats has " << repeats->size()
                         << " entries for an input of rank " << input->size();
  Shape result(*input);
  for (size_t i = 0; i < result.size(); ++i)
    result[i] = repeats ? multiplyDims(result[i], (*repeats)[i])
                        : ShapedType::kDynamic;
  resultTypes.push_back(RankedTensorType::get(result, elementType));
  return success();
}

LogicalResult RangeOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  if (failed(requireSameElementType(*this, getOperands())))
    return failure();
  Type elementType = elementTypeOf(getStart());
  for (Value operand : getOperands())
    if (!isScalarLike(operand))
      return emitOpError() << "operands must be scalars";
  int64_t length = ShapedType::kDynamic;
  auto start = getConstantIntValues(getStart());
  auto limit = getConstantIntValues(getLimit());
  auto delta = getConstantIntValues(getDelta());
  if (start && limit && delta && start->size() == 1 && limit->size() == 1 &&
      delta->size() == 1) {
    int64_t d = delta->front();
    if (d == 0)
      return emitOpError() << "delta must not be 0";
    int64_t span = limit->front() - start->front();
    length = std::max<int64_t>(
        0, d > 0 ? (span + d - 1) / d : (span + d + 1) / d);
  }
  resultTypes.push_back(RankedTensorType::get({length}, elementType));
  return success();
}

LogicalResult ShapeOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type i64 = IntegerType::get(getContext(), 64);
  auto input = shapeOf(getData());
  if (!input) {
    resultTypes.push_back(RankedTensorType::get({ShapedType::kDynamic}, i64));
    return success();
  }
  int64_t rank = input->size();
  auto clampIndex = [&](int64_t i) {
    return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank);
  };
  int64_t start = clampIndex(getStart());
  int64_t end = getEnd() ? clampIndex(*getEnd()) : rank;
  resultTypes.push_back(
      RankedTensorType::get({std::max<int64_t>(0, end - start)}, i64));
  return success();
}

LogicalResult
ConstantOfShapeOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  Type elementType = Float32Type::get(getContext());
  if (auto value = getValueAttr())
    elementType = value.getElementType();
  auto shape = getPartialIntValues(getInput());
  if (shape) {
    for (int64_t d : *shape)
      if (d < 0 && !isDynamic(d))
        return emitOpError() << "shape has negative dimension " << d;
    resultTypes.push_back(RankedTensorType::get(*shape, elementType));
  } else {
    resultTypes.push_back(UnrankedTensorType::get(elementType));
  }
  return success();
}

LogicalResult ConstantOp::inferResultTypes(SmallVectorImpl<Type> &resultTypes) {
  resultTypes.push_back(getValue().getType());
  return success();
}
