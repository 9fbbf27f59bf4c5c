//===- SymbolicShapes.cpp - dynamic dimensions as symbolic sums -----------===//

#include "dialects/ONNX/IR/SymbolicShapes.h"
#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/ShapeHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/raw_ostream.h"

#include <numeric>

using namespace mlir;

namespace xf::ONNX {

//===----------------------------------------------------------------------===//
// SymbolicInt
//===----------------------------------------------------------------------===//

SymbolicInt SymbolicInt::of(int64_t value) {
  SymbolicInt result;
  result.constant = value;
  return result;
}

SymbolicInt SymbolicInt::of(Symbol symbol) {
  SymbolicInt result;
  result.terms[symbol] = 1;
  return result;
}

SymbolicInt &SymbolicInt::operator+=(const SymbolicInt &other) {
  for (auto [symbol, coefficient] : other.terms)
    if ((terms[symbol] += coefficient) == 0)
      terms.erase(symbol);
  constant += other.constant;
  return *this;
}

SymbolicInt SymbolicInt::scaled(int64_t factor) const {
  SymbolicInt result;
  if (factor == 0)
    return result;
  for (auto [symbol, coefficient] : terms)
    result.terms[symbol] = coefficient * factor;
  result.constant = constant * factor;
  return result;
}

bool SymbolicInt::isConstant() const { return terms.empty(); }

std::optional<int64_t> SymbolicInt::getConstant() const {
  if (!isConstant())
    return std::nullopt;
  return constant;
}

bool SymbolicInt::isNonNegative() const {
  return constant >= 0 &&
         llvm::all_of(terms, [](const auto &term) { return term.second > 0; });
}

bool SymbolicInt::operator==(const SymbolicInt &other) const {
  return constant == other.constant && terms == other.terms;
}

SymbolicInt operator+(const SymbolicInt &lhs, const SymbolicInt &rhs) {
  SymbolicInt result = lhs;
  result += rhs;
  return result;
}

SymbolicInt operator-(const SymbolicInt &lhs, const SymbolicInt &rhs) {
  return lhs + rhs.scaled(-1);
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
/// Deep enough for any shape computation; a chain of same-shape ops longer
/// than this (a very deep model queried out of order) ends in an opaque
/// symbol, which proves less but never anything false.
constexpr unsigned kMaxDepth = 512;

std::optional<int64_t> staticNumElements(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  return type.getNumElements();
}

int64_t rankOf(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type ? type.getRank() : -1;
}

/// `value / divisor` when every coefficient and the constant divide evenly.
std::optional<SymbolicInt> dividedExactly(const SymbolicInt &value,
                                          int64_t divisor) {
  if (divisor == 0)
    return std::nullopt;
  SymbolicInt result;
  for (auto [symbol, coefficient] : value.terms) {
    if (coefficient % divisor != 0)
      return std::nullopt;
    result.terms[symbol] = coefficient / divisor;
  }
  if (value.constant % divisor != 0)
    return std::nullopt;
  result.constant = value.constant / divisor;
  return result;
}

/// The product of `factors` when at most one is not a constant.
std::optional<SymbolicInt> product(ArrayRef<SymbolicInt> factors) {
  int64_t constant = 1;
  const SymbolicInt *symbolic = nullptr;
  for (const SymbolicInt &factor : factors) {
    if (std::optional<int64_t> c = factor.getConstant()) {
      constant *= *c;
      continue;
    }
    if (symbolic)
      return std::nullopt;
    symbolic = &factor;
  }
  return symbolic ? symbolic->scaled(constant) : SymbolicInt::of(constant);
}

/// The operand dimension a result dimension reads for an op that keeps its
/// operand's shape.
bool keepsShape(Operation *op) {
  return isa<SqrtOp, ReciprocalOp, NegOp, ExpOp, LogOp, ErfOp, TanhOp,
             SigmoidOp, ReluOp, AbsOp, SinOp, CosOp, NotOp, IdentityOp, CastOp,
             SoftmaxOp, CumSumOp, TriluOp, LayerNormalizationOp, IsNaNOp,
             GeluOp, ScatterNDOp, RMSNormalizationOp,
             SimplifiedLayerNormalizationOp,
             SkipSimplifiedLayerNormalizationOp, SkipLayerNormalizationOp>(op);
}

bool broadcasts(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, AndOp, OrOp, EqualOp, LessOp,
             LessOrEqualOp, GreaterOp, GreaterOrEqualOp, PowOp, MaxOp, MinOp,
             WhereOp>(op);
}

/// The input dimensions a reduction keeps, in order, with -1 for a reduced
/// one kept as 1; nullopt if the axes are not constant.
std::optional<SmallVector<int64_t>>
reductionResultDims(Operation *op, Value data, Value axesValue, bool keepdims,
                    bool noopWithEmpty) {
  int64_t rank = rankOf(data);
  if (rank < 0)
    return std::nullopt;
  SmallVector<int64_t> axes;
  if (axesValue) {
    auto constant = getConstantIntValues(axesValue);
    if (!constant)
      return std::nullopt;
    axes = *constant;
  }
  SmallVector<bool> reduced(rank, axes.empty() && !noopWithEmpty);
  for (int64_t axis : axes) {
    std::optional<int64_t> normalized = normalizeAxis(axis, rank);
    if (!normalized)
      return std::nullopt;
    reduced[*normalized] = true;
  }
  SmallVector<int64_t> dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      dims.push_back(i);
    else if (keepdims)
      dims.push_back(-1);
  }
  return dims;
}

/// The input dimension each output dimension of a Squeeze or Unsqueeze is,
/// -1 for an inserted unit dimension.
std::optional<SmallVector<int64_t>> squeezeSourceDims(Operation *op) {
  if (auto squeeze = dyn_cast<SqueezeOp>(op)) {
    auto type = dyn_cast<RankedTensorType>(squeeze.getData().getType());
    if (!type)
      return std::nullopt;
    int64_t rank = type.getRank();
    SmallVector<bool> squeezed(rank, false);
    if (squeeze.getAxes()) {
      auto axes = getConstantIntValues(squeeze.getAxes());
      if (!axes)
        return std::nullopt;
      for (int64_t axis : *axes) {
        std::optional<int64_t> normalized = normalizeAxis(axis, rank);
        if (!normalized)
          return std::nullopt;
        squeezed[*normalized] = true;
      }
    } else {
      if (!type.hasStaticShape())
        return std::nullopt;
      for (int64_t i = 0; i < rank; ++i)
        squeezed[i] = type.getDimSize(i) == 1;
    }
    SmallVector<int64_t> sources;
    for (int64_t i = 0; i < rank; ++i)
      if (!squeezed[i])
        sources.push_back(i);
    return sources;
  }
  auto unsqueeze = cast<UnsqueezeOp>(op);
  int64_t inputRank = rankOf(unsqueeze.getData());
  auto axes = getConstantIntValues(unsqueeze.getAxes());
  if (inputRank < 0 || !axes)
    return std::nullopt;
  int64_t rank = inputRank + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : *axes) {
    std::optional<int64_t> normalized = normalizeAxis(axis, rank);
    if (!normalized)
      return std::nullopt;
    inserted[*normalized] = true;
  }
  SmallVector<int64_t> sources;
  int64_t next = 0;
  for (int64_t i = 0; i < rank; ++i)
    sources.push_back(inserted[i] ? -1 : next++);
  return sources;
}

/// Whether a Slice parameter element is "to the end" for any dimension.
bool isUnboundedEnd(int64_t end) { return end >= (int64_t(1) << 31); }
} // namespace

//===----------------------------------------------------------------------===//
// SymbolicShapeAnalysis
//===----------------------------------------------------------------------===//

SymbolicInt SymbolicShapeAnalysis::opaqueDim(Value value, int64_t dim) {
  return SymbolicInt::of({value.getAsOpaquePointer(), dim});
}

SymbolicInt SymbolicShapeAnalysis::opaqueElement(Value value, int64_t index) {
  // Negative second halves keep elements apart from dimensions.
  return SymbolicInt::of({value.getAsOpaquePointer(), -1 - index});
}

SymbolicInt SymbolicShapeAnalysis::getDim(Value value, int64_t dim) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (type && dim >= 0 && dim < type.getRank() && !type.isDynamicDim(dim))
    return SymbolicInt::of(type.getDimSize(dim));
  auto key = std::make_pair(value, dim);
  if (auto it = dims.find(key); it != dims.end())
    return it->second;
  if (depth >= kMaxDepth)
    return opaqueDim(value, dim);
  ++depth;
  SymbolicInt result = computeDim(value, dim);
  --depth;
  dims[key] = result;
  return result;
}

SymbolicInt SymbolicShapeAnalysis::getElement(Value value, int64_t index) {
  auto key = std::make_pair(value, index);
  if (auto it = elements.find(key); it != elements.end())
    return it->second;
  if (depth >= kMaxDepth)
    return opaqueElement(value, index);
  ++depth;
  SymbolicInt result = computeElement(value, index);
  --depth;
  elements[key] = result;
  return result;
}

SymbolicInt SymbolicShapeAnalysis::broadcastDim(Value result,
                                                ValueRange operands,
                                                int64_t dim) {
  int64_t rank = rankOf(result);
  SmallVector<std::pair<Value, int64_t>> reads;
  for (Value operand : operands) {
    int64_t operandRank = rankOf(operand);
    if (operandRank < 0)
      return opaqueDim(result, dim);
    reads.push_back({operand, dim - (rank - operandRank)});
  }
  return broadcastOf(result, dim, reads);
}

SymbolicInt SymbolicShapeAnalysis::broadcastOf(
    Value result, int64_t dim, ArrayRef<std::pair<Value, int64_t>> reads) {
  std::optional<SymbolicInt> size;
  bool ambiguous = false;
  for (auto [operand, i] : reads) {
    if (i < 0)
      continue;
    SymbolicInt s = getDim(operand, i);
    std::optional<int64_t> c = s.getConstant();
    if (c == 1)
      continue;
    // A size other than 1 is the result's, or the op is invalid.
    if (c)
      return s;
    if (size && *size != s)
      ambiguous = true;
    size = s;
  }
  if (ambiguous)
    return opaqueDim(result, dim);
  return size.value_or(SymbolicInt::of(1));
}

std::optional<SymbolicInt>
SymbolicShapeAnalysis::inferredReshapeDim(Value input,
                                          ArrayRef<SymbolicInt> known) {
  int64_t rank = rankOf(input);
  if (rank < 0)
    return std::nullopt;
  SmallVector<SymbolicInt> numerator, denominator(known);
  for (int64_t i = 0; i < rank; ++i)
    numerator.push_back(getDim(input, i));
  // Cancel equal symbolic factors; what remains must be constants over
  // constants times at most one symbolic factor.
  for (auto it = denominator.begin(); it != denominator.end();) {
    if (it->isConstant()) {
      ++it;
      continue;
    }
    auto match = llvm::find(numerator, *it);
    if (match == numerator.end())
      return std::nullopt;
    numerator.erase(match);
    it = denominator.erase(it);
  }
  std::optional<SymbolicInt> top = product(numerator);
  std::optional<SymbolicInt> bottom = product(denominator);
  if (!top || !bottom || !bottom->isConstant())
    return std::nullopt;
  return dividedExactly(*top, bottom->constant);
}

bool SymbolicShapeAnalysis::isPositive(const SymbolicInt &value) {
  if (!value.isNonNegative())
    return false;
  if (value.constant > 0)
    return true;
  for (const auto &[symbol, coefficient] : value.terms) {
    if (symbol.second == kDimParamSymbol) {
      // A name is positive when some positive dimension carries it; the
      // functions that use names check them on entry.
      if (positiveNames.contains(symbol.first))
        return true;
      continue;
    }
    auto arg = dyn_cast_or_null<BlockArgument>(
        Value::getFromOpaquePointer(symbol.first));
    auto function =
        arg ? dyn_cast_or_null<FunctionOpInterface>(
                  arg.getOwner()->getParentOp())
            : FunctionOpInterface();
    if (!function || arg.getOwner() != &function.getFunctionBody().front())
      continue;
    auto dims = function.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(),
                                                     kPositiveDimsAttr);
    if (dims && llvm::any_of(dims, [&](Attribute d) {
          return cast<IntegerAttr>(d).getInt() == symbol.second;
        }))
      return true;
  }
  return false;
}

SymbolicInt SymbolicShapeAnalysis::computeDim(Value value, int64_t dim) {
  int64_t rank = rankOf(value);
  if (rank < 0 || dim < 0 || dim >= rank)
    return opaqueDim(value, dim);

  if (auto arg = dyn_cast<BlockArgument>(value)) {
    Operation *parent = arg.getOwner()->getParentOp();
    auto function = dyn_cast_or_null<FunctionOpInterface>(parent);
    if (!function || arg.getOwner() != &function.getFunctionBody().front())
      return opaqueDim(value, dim);
    // Named dimensions are one symbol once the function checks them.
    auto namesOf = [&](unsigned i) -> ArrayAttr {
      if (auto checked =
              function->getAttrOfType<ArrayAttr>(kCheckedDimParamsAttr))
        return i < checked.size() ? dyn_cast<ArrayAttr>(checked[i])
                                  : ArrayAttr();
      if (function->hasAttr(kDimParamsCheckedLaterAttr))
        return function.getArgAttrOfType<ArrayAttr>(i, "onnx.dim_params");
      return {};
    };
    if (ArrayAttr names = namesOf(arg.getArgNumber());
        names && dim < static_cast<int64_t>(names.size()))
      if (auto name = dyn_cast<StringAttr>(names[dim]);
          name && !name.getValue().empty()) {
        // Every name a positive dimension of this function carries.
        if (namesSeen.insert(function.getOperation()).second)
          for (unsigned i = 0; i < function.getNumArguments(); ++i) {
            ArrayAttr argNames = namesOf(i);
            auto positive =
                function.getArgAttrOfType<ArrayAttr>(i, kPositiveDimsAttr);
            if (!argNames || !positive)
              continue;
            for (Attribute d : positive) {
              int64_t index = cast<IntegerAttr>(d).getInt();
              if (index < static_cast<int64_t>(argNames.size()))
                if (auto n = dyn_cast<StringAttr>(argNames[index]))
                  positiveNames.insert(n.getAsOpaquePointer());
            }
          }
        return SymbolicInt::of({name.getAsOpaquePointer(), kDimParamSymbol});
      }
    return SymbolicInt::of({value.getAsOpaquePointer(), dim});
  }

  auto result = cast<OpResult>(value);
  Operation *op = result.getOwner();

  if (keepsShape(op))
    return getDim(op->getOperand(0), dim);
  // A [..., K] x W^T: A's dimensions, then N.
  if (auto nbits = dyn_cast<MatMulNBitsOp>(op))
    return dim < rank - 1 ? getDim(nbits.getA(), dim)
                          : SymbolicInt::of(static_cast<int64_t>(nbits.getN()));
  if (broadcasts(op))
    return broadcastDim(value, op->getOperands(), dim);

  if (auto matmul = dyn_cast<MatMulOp>(op)) {
    int64_t aRank = rankOf(matmul.getA()), bRank = rankOf(matmul.getB());
    if (aRank < 1 || bRank < 1)
      return opaqueDim(value, dim);
    bool hasM = aRank >= 2, hasN = bRank >= 2;
    int64_t batchRank = rank - hasM - hasN;
    if (dim >= batchRank) {
      if (hasM && dim == batchRank)
        return getDim(matmul.getA(), aRank - 2);
      return getDim(matmul.getB(), bRank - 1);
    }
    // Batch dimensions broadcast like an elementwise op's; Unsqueeze-free
    // alignment on the right of the batch part.
    int64_t aBatch = hasM ? aRank - 2 : 0, bBatch = hasN ? bRank - 2 : 0;
    return broadcastOf(value, dim,
                       {{matmul.getA(), dim - (batchRank - aBatch)},
                        {matmul.getB(), dim - (batchRank - bBatch)}});
  }
  if (auto gemm = dyn_cast<GemmOp>(op)) {
    if (dim == 0)
      return getDim(gemm.getA(), gemm.getTransA() ? 1 : 0);
    return getDim(gemm.getB(), gemm.getTransB() ? 0 : 1);
  }
  if (auto transpose = dyn_cast<TransposeOp>(op)) {
    int64_t p = rank - 1 - dim;
    if (auto perm = transpose.getPerm()) {
      if (static_cast<int64_t>(perm->size()) != rank)
        return opaqueDim(value, dim);
      p = cast<IntegerAttr>((*perm)[dim]).getInt();
    }
    return getDim(transpose.getData(), p);
  }
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    std::optional<int64_t> count = staticNumElements(reshape.getShape());
    if (!count || *count != rank)
      return opaqueDim(value, dim);
    Value input = reshape.getData();
    int64_t inputRank = rankOf(input);
    bool allowZero = reshape.getAllowzero() != 0;
    // Entry i of the target: a known size, or nullopt for the -1.
    auto entry = [&](int64_t i) -> std::optional<SymbolicInt> {
      SymbolicInt e = getElement(reshape.getShape(), i);
      std::optional<int64_t> c = e.getConstant();
      if (c == -1)
        return std::nullopt;
      if (c == 0 && !allowZero && i < inputRank)
        return getDim(input, i);
      if (c)
        return e;
      // A symbolic entry is its value unless it can be -1 or, copying the
      // input's size, 0: a sum of sizes with a positive constant cannot,
      // and a 0 that copies an equal input size changes nothing.
      if (!e.isNonNegative())
        return opaqueDim(value, i);
      if (allowZero || e.constant > 0 || i >= inputRank ||
          e == getDim(input, i) || isPositive(e))
        return e;
      return opaqueDim(value, i);
    };
    if (std::optional<SymbolicInt> own = entry(dim))
      return *own;
    SmallVector<SymbolicInt> known;
    for (int64_t i = 0; i < rank; ++i) {
      if (i == dim)
        continue;
      std::optional<SymbolicInt> other = entry(i);
      if (!other)
        return opaqueDim(value, dim);
      known.push_back(*other);
    }
    if (std::optional<SymbolicInt> inferred = inferredReshapeDim(input, known))
      return *inferred;
    return opaqueDim(value, dim);
  }
  if (auto flatten = dyn_cast<FlattenOp>(op)) {
    int64_t inputRank = rankOf(flatten.getInput());
    if (inputRank < 0)
      return opaqueDim(value, dim);
    int64_t axis = static_cast<int64_t>(flatten.getAxis());
    if (axis < 0)
      axis += inputRank;
    SmallVector<SymbolicInt> factors;
    for (int64_t i = dim == 0 ? 0 : axis; i < (dim == 0 ? axis : inputRank);
         ++i)
      factors.push_back(getDim(flatten.getInput(), i));
    if (std::optional<SymbolicInt> p = product(factors))
      return *p;
    return opaqueDim(value, dim);
  }
  if (isa<SqueezeOp, UnsqueezeOp>(op)) {
    auto sources = squeezeSourceDims(op);
    if (!sources || static_cast<int64_t>(sources->size()) != rank)
      return opaqueDim(value, dim);
    if ((*sources)[dim] < 0)
      return SymbolicInt::of(1);
    return getDim(op->getOperand(0), (*sources)[dim]);
  }
  if (auto concat = dyn_cast<ConcatOp>(op)) {
    std::optional<int64_t> axis = normalizeAxis(concat.getAxis(), rank);
    if (!axis)
      return opaqueDim(value, dim);
    if (dim != *axis)
      // The other dimensions agree (the lowering checks what is not
      // proven); the first input's stands for all.
      return getDim(concat.getInputs().front(), dim);
    SymbolicInt sum;
    for (Value input : concat.getInputs())
      sum += getDim(input, dim);
    return sum;
  }
  if (auto slice = dyn_cast<SliceOp>(op)) {
    std::optional<SmallVector<int64_t>> axes, steps;
    auto startCount = dyn_cast<RankedTensorType>(slice.getStarts().getType());
    if (slice.getAxes())
      axes = getConstantIntValues(slice.getAxes());
    else if (startCount && startCount.hasStaticShape())
      axes = llvm::to_vector(
          llvm::seq<int64_t>(0, startCount.getNumElements()));
    if (slice.getSteps())
      steps = getConstantIntValues(slice.getSteps());
    if (!axes)
      return opaqueDim(value, dim);
    for (auto [i, axis] : llvm::enumerate(*axes)) {
      std::optional<int64_t> normalized = normalizeAxis(axis, rank);
      if (!normalized)
        return opaqueDim(value, dim);
      if (*normalized != dim)
        continue;
      if ((slice.getSteps() && (!steps || i >= steps->size())) ||
          (steps && (*steps)[i] != 1))
        return opaqueDim(value, dim);
      // [start, end) of a dimension of size d with step 1 has end - start
      // elements when 0 <= start <= end <= d: clamping then changes
      // nothing. An end past every size is d.
      SymbolicInt size = getDim(slice.getData(), dim);
      SymbolicInt start = getElement(slice.getStarts(), i);
      SymbolicInt end = getElement(slice.getEnds(), i);
      if (std::optional<int64_t> c = end.getConstant();
          c && isUnboundedEnd(*c))
        end = size;
      if (start.isNonNegative() && (end - start).isNonNegative() &&
          (size - end).isNonNegative())
        return end - start;
      return opaqueDim(value, dim);
    }
    return getDim(slice.getData(), dim);
  }
  if (auto split = dyn_cast<SplitOp>(op)) {
    std::optional<int64_t> axis = normalizeAxis(split.getAxis(), rank);
    if (axis && dim != *axis)
      return getDim(split.getInput(), dim);
    return opaqueDim(value, dim);
  }
  if (auto gather = dyn_cast<GatherOp>(op)) {
    int64_t dataRank = rankOf(gather.getData());
    int64_t indicesRank = rankOf(gather.getIndices());
    std::optional<int64_t> axis =
        dataRank < 0 ? std::nullopt : normalizeAxis(gather.getAxis(), dataRank);
    if (!axis || indicesRank < 0)
      return opaqueDim(value, dim);
    if (dim < *axis)
      return getDim(gather.getData(), dim);
    if (dim < *axis + indicesRank)
      return getDim(gather.getIndices(), dim - *axis);
    return getDim(gather.getData(), dim - indicesRank + 1);
  }
  if (auto gather = dyn_cast<GatherNDOp>(op)) {
    // indices.shape[:-1] + data.shape[batch_dims + k:].
    int64_t indicesRank = rankOf(gather.getIndices());
    auto indicesType = dyn_cast<RankedTensorType>(gather.getIndices().getType());
    if (indicesRank < 1 || !indicesType ||
        indicesType.isDynamicDim(indicesRank - 1))
      return opaqueDim(value, dim);
    int64_t tuple = indicesType.getDimSize(indicesRank - 1);
    if (dim < indicesRank - 1)
      return getDim(gather.getIndices(), dim);
    return getDim(gather.getData(), gather.getBatchDims() + tuple +
                                        (dim - (indicesRank - 1)));
  }
  if (auto expand = dyn_cast<ExpandOp>(op)) {
    int64_t inputRank = rankOf(expand.getInput());
    std::optional<int64_t> shapeRank = staticNumElements(expand.getShape());
    if (inputRank < 0 || !shapeRank)
      return opaqueDim(value, dim);
    int64_t i = dim - (rank - inputRank), s = dim - (rank - *shapeRank);
    std::optional<SymbolicInt> in, target;
    if (i >= 0)
      in = getDim(expand.getInput(), i);
    if (s >= 0)
      target = getElement(expand.getShape(), s);
    if (!target)
      return *in;
    if (!in || in->getConstant() == 1)
      return *target;
    // A size other than 1 on either side is the result's (or the op is
    // invalid, which the lowering reports).
    if (in->getConstant())
      return *in;
    if (target->getConstant() == 1 || *in == *target)
      return *in;
    if (std::optional<int64_t> c = target->getConstant())
      return *target;
    return opaqueDim(value, dim);
  }
  if (auto tile = dyn_cast<TileOp>(op)) {
    auto repeats = getConstantIntValues(tile.getRepeats());
    if (!repeats || dim >= static_cast<int64_t>(repeats->size()))
      return opaqueDim(value, dim);
    return getDim(tile.getInput(), dim).scaled((*repeats)[dim]);
  }
  if (auto range = dyn_cast<RangeOp>(op)) {
    SymbolicInt start = getElement(range.getStart());
    SymbolicInt limit = getElement(range.getLimit());
    std::optional<int64_t> delta = getElement(range.getDelta()).getConstant();
    // max(0, ceil((limit - start) / delta)): linear for unit steps whose
    // span cannot be negative.
    SymbolicInt span = delta == 1 ? limit - start : start - limit;
    if ((delta == 1 || delta == -1) && span.isNonNegative())
      return span;
    return opaqueDim(value, dim);
  }
  if (auto fill = dyn_cast<ConstantOfShapeOp>(op))
    return getElement(fill.getInput(), dim);
  if (isa<ReduceMeanOp, ReduceSumOp, ReduceMaxOp>(op)) {
    auto dimsOf = [&](auto reduce) {
      return reductionResultDims(op, reduce.getData(), reduce.getAxes(),
                                 reduce.getKeepdims() != 0,
                                 reduce.getNoopWithEmptyAxes() != 0);
    };
    std::optional<SmallVector<int64_t>> sources;
    if (auto r = dyn_cast<ReduceMeanOp>(op))
      sources = dimsOf(r);
    else if (auto r = dyn_cast<ReduceSumOp>(op))
      sources = dimsOf(r);
    else
      sources = dimsOf(cast<ReduceMaxOp>(op));
    if (!sources || static_cast<int64_t>(sources->size()) != rank)
      return opaqueDim(value, dim);
    if ((*sources)[dim] < 0)
      return SymbolicInt::of(1);
    return getDim(op->getOperand(0), (*sources)[dim]);
  }

  // Ops of other dialects.
  if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
    // Either branch may run: the size is known where both yield the same.
    if (!ifOp.elseBlock())
      return opaqueDim(value, dim);
    unsigned i = result.getResultNumber();
    SymbolicInt thenSize = getDim(ifOp.thenYield().getOperand(i), dim);
    if (thenSize == getDim(ifOp.elseYield().getOperand(i), dim))
      return thenSize;
    return opaqueDim(value, dim);
  }
  if (foreignRule)
    if (std::optional<DimSource> source = foreignRule(result, dim))
      return getDim(source->first, source->second);
  if (auto empty = dyn_cast<tensor::EmptyOp>(op))
    return getIndexValue(empty.getDynamicSize(dim));
  if (auto castOp = dyn_cast<tensor::CastOp>(op))
    return getDim(castOp.getSource(), dim);
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
    if (OpOperand *init = dps.getTiedOpOperand(result))
      return getDim(init->get(), dim);
  return opaqueDim(value, dim);
}

SymbolicInt SymbolicShapeAnalysis::computeElement(Value value, int64_t index) {
  if (auto values = getConstantIntValues(value)) {
    if (values->size() == 1)
      return SymbolicInt::of(values->front());
    if (index >= 0 && index < static_cast<int64_t>(values->size()))
      return SymbolicInt::of((*values)[index]);
    return opaqueElement(value, index);
  }
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !isa<IntegerType>(type.getElementType()))
    return opaqueElement(value, index);
  std::optional<int64_t> count = staticNumElements(value);
  // A one-element tensor is read at 0 whatever the index (broadcasting).
  if (count == 1)
    index = 0;
  Operation *op = value.getDefiningOp();
  if (!op)
    return opaqueElement(value, index);

  // The element an elementwise operand gives element `index` of `value`:
  // the same one, or its only one.
  auto operandIndex = [&](Value operand) -> std::optional<int64_t> {
    std::optional<int64_t> n = staticNumElements(operand);
    if (n == 1)
      return 0;
    if (n && count && *n == *count && rankOf(operand) == rankOf(value))
      return index;
    return std::nullopt;
  };

  if (auto shape = dyn_cast<ShapeOp>(op)) {
    int64_t rank = rankOf(shape.getData());
    if (rank < 0)
      return opaqueElement(value, index);
    int64_t start = std::clamp<int64_t>(shape.getStart() < 0
                                            ? int64_t(shape.getStart()) + rank
                                            : int64_t(shape.getStart()),
                                        0, rank);
    return getDim(shape.getData(), start + index);
  }
  if (auto gather = dyn_cast<GatherOp>(op)) {
    int64_t dataRank = rankOf(gather.getData());
    auto indices = getConstantIntValues(gather.getIndices());
    if (dataRank == 1 && gather.getAxis() == 0 && indices &&
        !indices->empty()) {
      int64_t i = (*indices)[indices->size() == 1 ? 0 : index];
      if (i < 0) {
        std::optional<int64_t> n = staticNumElements(gather.getData());
        if (!n)
          return opaqueElement(value, index);
        i += *n;
      }
      if (i >= 0)
        return getElement(gather.getData(), i);
    }
    return opaqueElement(value, index);
  }
  if (isa<UnsqueezeOp, SqueezeOp, ReshapeOp, IdentityOp, FlattenOp>(op))
    return getElement(op->getOperand(0), index);
  if (auto cast = dyn_cast<CastOp>(op)) {
    // Sizes survive integer casts to 32 bits or more; a constant is
    // truncated as the cast truncates it (INT64_MAX, a Slice end, to -1).
    auto from = dyn_cast<IntegerType>(getElementTypeOrSelf(cast.getInput()));
    auto to = dyn_cast<IntegerType>(cast.getTo());
    if (!from || !to || from.getWidth() < 32 || to.getWidth() < 32)
      return opaqueElement(value, index);
    SymbolicInt element = getElement(cast.getInput(), index);
    if (std::optional<int64_t> c = element.getConstant();
        c && to.getWidth() < 64) {
      APInt bits = APInt(64, *c, /*isSigned=*/true).trunc(to.getWidth());
      return SymbolicInt::of(to.isUnsigned() ? int64_t(bits.getZExtValue())
                                             : bits.getSExtValue());
    }
    return element;
  }
  if (auto concat = dyn_cast<ConcatOp>(op)) {
    if (rankOf(value) != 1)
      return opaqueElement(value, index);
    int64_t offset = 0;
    for (Value input : concat.getInputs()) {
      std::optional<int64_t> n = staticNumElements(input);
      if (!n)
        return opaqueElement(value, index);
      if (index < offset + *n)
        return getElement(input, index - offset);
      offset += *n;
    }
    return opaqueElement(value, index);
  }
  if (isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, EqualOp>(op) &&
      op->getNumOperands() == 2) {
    std::optional<int64_t> lhsIndex = operandIndex(op->getOperand(0));
    std::optional<int64_t> rhsIndex = operandIndex(op->getOperand(1));
    if (!lhsIndex || !rhsIndex)
      return opaqueElement(value, index);
    SymbolicInt lhs = getElement(op->getOperand(0), *lhsIndex);
    SymbolicInt rhs = getElement(op->getOperand(1), *rhsIndex);
    SymbolicInt difference = lhs - rhs;
    if (isa<AddOp>(op))
      return lhs + rhs;
    if (isa<SubOp>(op))
      return difference;
    if (isa<MulOp>(op)) {
      if (lhs.isConstant())
        return rhs.scaled(lhs.constant);
      if (rhs.isConstant())
        return lhs.scaled(rhs.constant);
      return opaqueElement(value, index);
    }
    if (isa<DivOp>(op)) {
      // Integer division truncates; exact only when it divides evenly and
      // the sum cannot change sign.
      std::optional<int64_t> divisor = rhs.getConstant();
      if (divisor && *divisor > 0 && lhs.isNonNegative())
        if (std::optional<SymbolicInt> q = dividedExactly(lhs, *divisor))
          return *q;
      return opaqueElement(value, index);
    }
    if (isa<MaxOp>(op) || isa<MinOp>(op)) {
      bool lhsLarger = difference.isNonNegative();
      bool rhsLarger = difference.scaled(-1).isNonNegative();
      if (lhsLarger || rhsLarger)
        return (lhsLarger == isa<MaxOp>(op)) ? lhs : rhs;
      return opaqueElement(value, index);
    }
    // Equal: 1 for equal sums, 0 when one exceeds the other by a positive
    // constant or more (torch's Expand writes Equal(shape, -1)).
    if (difference.isConstant())
      return SymbolicInt::of(difference.constant == 0);
    SymbolicInt lessOne = difference - SymbolicInt::of(1);
    SymbolicInt negatedLessOne = difference.scaled(-1) - SymbolicInt::of(1);
    if (lessOne.isNonNegative() || negatedLessOne.isNonNegative())
      return SymbolicInt::of(0);
    return opaqueElement(value, index);
  }
  if (auto neg = dyn_cast<NegOp>(op))
    return getElement(neg.getX(), index).scaled(-1);
  if (auto where = dyn_cast<WhereOp>(op)) {
    std::optional<int64_t> c = operandIndex(where.getCondition());
    std::optional<int64_t> x = operandIndex(where.getX());
    std::optional<int64_t> y = operandIndex(where.getY());
    if (!c || !x || !y)
      return opaqueElement(value, index);
    std::optional<int64_t> condition =
        getElement(where.getCondition(), *c).getConstant();
    SymbolicInt ifTrue = getElement(where.getX(), *x);
    SymbolicInt ifFalse = getElement(where.getY(), *y);
    if (condition)
      return *condition ? ifTrue : ifFalse;
    if (ifTrue == ifFalse)
      return ifTrue;
    return opaqueElement(value, index);
  }
  if (auto fill = dyn_cast<ConstantOfShapeOp>(op)) {
    std::optional<ElementsAttr> attr = fill.getValue();
    if (!attr)
      return SymbolicInt::of(0);
    auto dense = dyn_cast<DenseIntElementsAttr>(*attr);
    if (!dense || dense.getNumElements() != 1)
      return opaqueElement(value, index);
    return SymbolicInt::of((*dense.getValues<APInt>().begin()).getSExtValue());
  }
  if (auto slice = dyn_cast<SliceOp>(op)) {
    std::optional<int64_t> n = staticNumElements(slice.getData());
    auto starts = getConstantIntValues(slice.getStarts());
    auto ends = getConstantIntValues(slice.getEnds());
    std::optional<SmallVector<int64_t>> steps;
    if (slice.getSteps())
      steps = getConstantIntValues(slice.getSteps());
    if (!n || rankOf(slice.getData()) != 1 || !starts || !ends ||
        starts->size() != 1 || ends->size() != 1 ||
        (slice.getSteps() && (!steps || steps->size() != 1)))
      return opaqueElement(value, index);
    int64_t step = steps ? steps->front() : 1;
    if (step == 0)
      return opaqueElement(value, index);
    auto [first, length] = sliceRange(*n, starts->front(), ends->front(), step);
    if (index >= length)
      return opaqueElement(value, index);
    return getElement(slice.getData(), first + index * step);
  }
  return opaqueElement(value, index);
}

SymbolicInt SymbolicShapeAnalysis::getIndexValue(Value value) {
  if (!value)
    return SymbolicInt::of(0);
  APInt constant;
  if (matchPattern(value, m_ConstantInt(&constant)))
    return SymbolicInt::of(constant.getSExtValue());
  auto key = std::make_pair(value, int64_t(-1));
  if (auto it = elements.find(key); it != elements.end())
    return it->second;
  Operation *op = value.getDefiningOp();
  SymbolicInt result = opaqueElement(value, 0);
  if (auto dimOp = dyn_cast_or_null<tensor::DimOp>(op)) {
    if (std::optional<int64_t> i = dimOp.getConstantIndex())
      result = getDim(dimOp.getSource(), *i);
  } else if (isa_and_nonnull<arith::IndexCastOp, arith::IndexCastUIOp>(op)) {
    result = getIndexValue(op->getOperand(0));
  } else if (isa_and_nonnull<arith::AddIOp>(op)) {
    result =
        getIndexValue(op->getOperand(0)) + getIndexValue(op->getOperand(1));
  } else if (isa_and_nonnull<arith::SubIOp>(op)) {
    result =
        getIndexValue(op->getOperand(0)) - getIndexValue(op->getOperand(1));
  } else if (isa_and_nonnull<arith::MulIOp>(op)) {
    SymbolicInt lhs = getIndexValue(op->getOperand(0));
    SymbolicInt rhs = getIndexValue(op->getOperand(1));
    if (lhs.isConstant())
      result = rhs.scaled(lhs.constant);
    else if (rhs.isConstant())
      result = lhs.scaled(rhs.constant);
  } else if (auto extract = dyn_cast_or_null<tensor::ExtractOp>(op)) {
    // An element of a shape computation still in the onnx dialect.
    auto type = extract.getTensor().getType();
    SmallVector<int64_t> indices;
    for (Value i : extract.getIndices()) {
      APInt c;
      if (!matchPattern(i, m_ConstantInt(&c)))
        break;
      indices.push_back(c.getSExtValue());
    }
    if (indices.size() == extract.getIndices().size() && type.getRank() <= 1)
      result = getElement(extract.getTensor(),
                          indices.empty() ? 0 : indices.front());
  }
  elements[key] = result;
  return result;
}

std::string SymbolicShapeAnalysis::print(const SymbolicInt &value) {
  // Terms sorted by name, so that the text does not depend on addresses.
  SmallVector<std::pair<std::string, int64_t>> terms;
  for (auto [symbol, coefficient] : value.terms) {
    std::string name;
    llvm::raw_string_ostream os(name);
    auto [pointer, second] = symbol;
    Value v = second == kDimParamSymbol ? Value()
                                        : Value::getFromOpaquePointer(pointer);
    auto arg = dyn_cast_or_null<BlockArgument>(v);
    if (second == kDimParamSymbol) {
      os << StringAttr::getFromOpaquePointer(pointer).getValue();
    } else if (arg && second >= 0 &&
               isa_and_nonnull<FunctionOpInterface>(
                   arg.getOwner()->getParentOp())) {
      os << "%arg" << arg.getArgNumber() << ".d" << second;
    } else {
      auto [it, inserted] =
          opaqueNames.try_emplace(pointer, opaqueNames.size());
      os << "?" << it->second;
      if (second >= 0)
        os << ".d" << second;
      else
        os << ".e" << (-1 - second);
    }
    terms.emplace_back(name, coefficient);
  }
  llvm::sort(terms);
  std::string text;
  llvm::raw_string_ostream os(text);
  for (auto [i, term] : llvm::enumerate(terms)) {
    auto [name, coefficient] = term;
    if (i != 0)
      os << (coefficient < 0 ? " - " : " + ");
    else if (coefficient < 0)
      os << "-";
    int64_t magnitude = coefficient < 0 ? -coefficient : coefficient;
    if (magnitude != 1)
      os << magnitude << "*";
    os << name;
  }
  if (terms.empty())
    os << value.constant;
  else if (value.constant != 0)
    os << (value.constant < 0 ? " - " : " + ")
       << (value.constant < 0 ? -value.constant : value.constant);
  return text;
}

/// `value` as a positive constant factor times a sum whose coefficients and
/// constant have no common divisor (4*x + 4 as 4 and x + 1).
static std::pair<int64_t, SymbolicInt> splitFactor(const SymbolicInt &value) {
  int64_t divisor = std::abs(value.constant);
  for (auto [symbol, coefficient] : value.terms)
    divisor = std::gcd(divisor, std::abs(coefficient));
  if (divisor <= 1)
    return {1, value};
  return {divisor, *dividedExactly(value, divisor)};
}

bool provenSameProduct(ArrayRef<SymbolicInt> lhs, ArrayRef<SymbolicInt> rhs) {
  int64_t lhsConstant = 1, rhsConstant = 1;
  SmallVector<SymbolicInt> lhsSymbolic, rhsSymbolic;
  auto split = [](ArrayRef<SymbolicInt> factors, int64_t &constant,
                  SmallVector<SymbolicInt> &symbolic) {
    for (const SymbolicInt &factor : factors) {
      if (std::optional<int64_t> c = factor.getConstant()) {
        constant *= *c;
        continue;
      }
      auto [multiple, rest] = splitFactor(factor);
      constant *= multiple;
      symbolic.push_back(rest);
    }
  };
  split(lhs, lhsConstant, lhsSymbolic);
  split(rhs, rhsConstant, rhsSymbolic);
  // A zero factor makes both products 0 only if the other side has one too;
  // compare what is left after cancelling equal symbolic factors.
  for (const SymbolicInt &factor : lhsSymbolic) {
    auto match = llvm::find(rhsSymbolic, factor);
    if (match == rhsSymbolic.end())
      return false;
    rhsSymbolic.erase(match);
  }
  return rhsSymbolic.empty() && lhsConstant == rhsConstant;
}

SymbolicInt getSymbolicInt(Value value, int64_t index) {
  return SymbolicShapeAnalysis().getElement(value, index);
}

SymbolicInt getSymbolicDim(Value value, int64_t dim) {
  return SymbolicShapeAnalysis().getDim(value, dim);
}

} // namespace xf::ONNX
