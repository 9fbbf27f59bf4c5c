//===- MaskAnalysis.cpp - what an attention's masks compute ---------------===//
//
// The evaluator walks a mask's subgraph from the mask down, asking for the
// element at a vector of index expressions: the score indices (b, h, i, j)
// at the top, shifted, dropped or replaced by constants as it passes through
// broadcasts, Unsqueeze, Transpose, Slice, Gather and the like. Integer
// index arithmetic stays affine in the four score indices plus a symbolic
// constant (a Range's start such as the past length); comparisons of two
// affine forms become atoms, normalized so that one condition written two
// ways (j <= i + p, i + p + 1 > j) is one atom. Expressions are interned, so
// equal expressions are one object (ScatterND of a slice with itself is
// seen to change nothing).
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/MaskAnalysis.h"
#include "passes/Fusion/FusionUtils.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/ShapeHelpers.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cmath>
#include <deque>
#include <limits>

using namespace mlir;
namespace ONNX = xf::ONNX;

namespace xf::fusion {
namespace {

/// The score indices: batch, head, query, key.
constexpr int kNumIndices = 4;
constexpr int kQuery = 2, kKey = 3;

/// sum_v coeff[v] * index_v + constant.
struct Affine {
  std::array<int64_t, kNumIndices> coeff{};
  SymbolicInt constant;

  static Affine index(int v) {
    Affine a;
    a.coeff[v] = 1;
    return a;
  }
  static Affine of(SymbolicInt c) {
    Affine a;
    a.constant = std::move(c);
    return a;
  }
  static Affine of(int64_t c) {
    SymbolicInt s;
    s.constant = c;
    return of(s);
  }
  bool hasIndices() const {
    return llvm::any_of(coeff, [](int64_t c) { return c != 0; });
  }
  Affine operator+(const Affine &o) const {
    Affine r = *this;
    for (int v = 0; v < kNumIndices; ++v)
      r.coeff[v] += o.coeff[v];
    r.constant += o.constant;
    return r;
  }
  Affine scaled(int64_t f) const {
    Affine r;
    for (int v = 0; v < kNumIndices; ++v)
      r.coeff[v] = coeff[v] * f;
    r.constant = constant.scaled(f);
    return r;
  }
  Affine operator-(const Affine &o) const { return *this + o.scaled(-1); }
  std::string key() const {
    std::string s;
    llvm::raw_string_ostream os(s);
    for (int64_t c : coeff)
      os << c << ",";
    os << "|" << constant.constant;
    for (auto &[symbol, c] : constant.terms)
      os << ";" << symbol.first << ":" << symbol.second << "*" << c;
    return s;
  }
};

/// A node of an interned expression DAG over the score indices.
struct Expr {
  enum class Kind {
    Const,   // value
    Linear,  // an integer affine form of the indices
    LessEq,  // affine <= 0 (an atom), the affine's first index positive
    Equal,   // affine == 0 (an atom), the affine's first index positive
    Leaf,    // an opaque element of a value: an atom when used as a bool
    Not, And, Or, Add, Sub, Mul, Div, Neg, Min, Max,
    Less, LessOrEqual, Greater, GreaterOrEqual, IsEqual, // on non-affine
    Select, ToBool,
  };
  Kind kind;
  double value = 0;
  Affine affine;
  SmallVector<const Expr *, 3> operands;
  std::string key;
};

class Evaluator {
public:
  explicit Evaluator(std::string &why) : why(why) {}

  /// The element of `value` at `indices` (one per dimension), or null.
  const Expr *eval(Value value, ArrayRef<Affine> indices, int depth = 0);

  const Expr *constant(double v) {
    Expr e;
    e.kind = Expr::Kind::Const;
    e.value = v;
    e.key = llvm::formatv("c{0}", llvm::bit_cast<uint64_t>(v)).str();
    return intern(std::move(e));
  }
  const Expr *linear(const Affine &a) {
    if (!a.hasIndices() && a.constant.isConstant())
      return constant(static_cast<double>(a.constant.constant));
    Expr e;
    e.kind = Expr::Kind::Linear;
    e.affine = a;
    e.key = "L" + a.key();
    return intern(std::move(e));
  }
  const Expr *node(Expr::Kind kind, ArrayRef<const Expr *> operands);

  /// Fails the analysis with a reason (the first one is kept).
  const Expr *fail(const Twine &reason) {
    if (why.empty())
      why = reason.str();
    return nullptr;
  }

private:
  const Expr *intern(Expr e) {
    auto [it, inserted] = table.try_emplace(e.key, nullptr);
    if (inserted) {
      storage.push_back(std::move(e));
      it->second = &storage.back();
    }
    return it->second;
  }
  const Expr *compareAffine(Affine a, bool equal);
  const Expr *evalOp(Operation *op, Value value, ArrayRef<Affine> indices,
                     int depth);
  /// The indices of `operand` read for `result`'s `indices` under numpy
  /// broadcasting; false if a dynamic dimension may or may not broadcast.
  bool broadcastIndices(Value operand, Value result, ArrayRef<Affine> indices,
                        SmallVectorImpl<Affine> &out);
  const Expr *evalConstant(Value value, ArrayRef<Affine> indices);
  const Expr *evalScatterND(ONNX::ScatterNDOp op, ArrayRef<Affine> indices,
                            int depth);

  std::string &why;
  llvm::StringMap<const Expr *> table;
  std::deque<Expr> storage;
};

const Expr *Evaluator::compareAffine(Affine a, bool equal) {
  // a <= 0 (or a == 0) over integers, normalized so that the first index
  // with a non-zero coefficient has a positive one: -x <= 0 is !(x <= -1).
  if (!a.hasIndices()) {
    if (!a.constant.isConstant())
      return fail("a mask compares sizes whose relation is not known");
    int64_t c = a.constant.constant;
    return constant(equal ? c == 0 : c <= 0);
  }
  bool negate = false;
  for (int v = 0; v < kNumIndices; ++v) {
    if (a.coeff[v] == 0)
      continue;
    negate = a.coeff[v] < 0;
    break;
  }
  if (negate) {
    a = a.scaled(-1);
    if (!equal) {
      // -x <= 0  <=>  x >= 0  <=>  !(x + 1 <= 0)
      a.constant.constant += 1;
    }
  }
  Expr e;
  e.kind = equal ? Expr::Kind::Equal : Expr::Kind::LessEq;
  e.affine = a;
  e.key = (equal ? "E" : "C") + a.key();
  const Expr *atom = intern(std::move(e));
  return negate && !equal ? node(Expr::Kind::Not, {atom}) : atom;
}

const Expr *Evaluator::node(Expr::Kind kind, ArrayRef<const Expr *> operands) {
  using K = Expr::Kind;
  for (const Expr *o : operands)
    if (!o)
      return nullptr;
  auto isConst = [](const Expr *e) { return e->kind == K::Const; };
  // Affine arithmetic stays affine.
  auto asAffine = [](const Expr *e) -> std::optional<Affine> {
    if (e->kind == K::Linear)
      return e->affine;
    if (e->kind == K::Const && std::isfinite(e->value) &&
        e->value == std::floor(e->value) && std::fabs(e->value) < 1e15)
      return Affine::of(static_cast<int64_t>(e->value));
    return std::nullopt;
  };
  if (operands.size() == 2 &&
      (operands[0]->kind == K::Linear || operands[1]->kind == K::Linear)) {
    std::optional<Affine> a = asAffine(operands[0]), b = asAffine(operands[1]);
    if (a && b) {
      switch (kind) {
      case K::Add: return linear(*a + *b);
      case K::Sub: return linear(*a - *b);
      case K::Mul:
        if (!b->hasIndices() && b->constant.isConstant())
          return linear(a->scaled(b->constant.constant));
        if (!a->hasIndices() && a->constant.isConstant())
          return linear(b->scaled(a->constant.constant));
        return fail("a mask multiplies two index expressions");
      // Integers: a < b <=> a - b + 1 <= 0.
      case K::Less: return compareAffine(*a - *b + Affine::of(1), false);
      case K::LessOrEqual: return compareAffine(*a - *b, false);
      case K::Greater: return compareAffine(*b - *a + Affine::of(1), false);
      case K::GreaterOrEqual: return compareAffine(*b - *a, false);
      case K::IsEqual: return compareAffine(*a - *b, true);
      default:
        return fail("a mask computes with positions other than by adding, "
                    "subtracting and comparing them");
      }
    }
  }
  if (kind == K::Neg && operands[0]->kind == K::Linear)
    return linear(operands[0]->affine.scaled(-1));
  // Constant folding.
  if (llvm::all_of(operands, isConst)) {
    double x = operands[0]->value;
    double y = operands.size() > 1 ? operands[1]->value : 0;
    switch (kind) {
    case K::Not: return constant(x == 0);
    case K::And: return constant(x != 0 && y != 0);
    case K::Or: return constant(x != 0 || y != 0);
    case K::Add: return constant(x + y);
    case K::Sub: return constant(x - y);
    case K::Mul: return constant(x * y);
    case K::Div: return constant(x / y);
    case K::Neg: return constant(-x);
    case K::Min: return constant(std::fmin(x, y));
    case K::Max: return constant(std::fmax(x, y));
    case K::Less: return constant(x < y);
    case K::LessOrEqual: return constant(x <= y);
    case K::Greater: return constant(x > y);
    case K::GreaterOrEqual: return constant(x >= y);
    case K::IsEqual: return constant(x == y);
    case K::ToBool: return constant(x != 0);
    case K::Select:
      return x != 0 ? operands[1] : operands[2];
    default: break;
    }
  }
  if (kind == K::Select) {
    if (isConst(operands[0]))
      return operands[0]->value != 0 ? operands[1] : operands[2];
    if (operands[1] == operands[2])
      return operands[1];
  }
  if (kind == K::Not && operands[0]->kind == K::Not)
    return operands[0]->operands[0];
  if (kind == K::ToBool &&
      llvm::is_contained({K::LessEq, K::Equal, K::Not, K::And, K::Or, K::Less,
                          K::LessOrEqual, K::Greater, K::GreaterOrEqual,
                          K::IsEqual, K::ToBool},
                         operands[0]->kind))
    return operands[0];
  if (kind == K::And || kind == K::Or) {
    // x and true = x, x or false = x, and their absorbing values.
    for (int s = 0; s < 2; ++s)
      if (isConst(operands[s])) {
        bool v = operands[s]->value != 0;
        if (kind == K::And)
          return v ? node(K::ToBool, {operands[1 - s]}) : constant(0);
        return v ? constant(1) : node(K::ToBool, {operands[1 - s]});
      }
  }
  for (const Expr *o : operands)
    if (o->kind == K::Linear)
      return fail("a mask uses positions other than in comparisons");
  Expr e;
  e.kind = kind;
  e.operands.assign(operands.begin(), operands.end());
  std::string key = llvm::formatv("n{0}(", static_cast<int>(kind)).str();
  for (const Expr *o : operands)
    key += llvm::formatv("{0},", static_cast<const void *>(o)).str();
  e.key = key;
  return intern(std::move(e));
}

/// The value of a splat: a constant whose elements are all equal or a
/// ConstantOfShape, through casts and shape-only ops.
std::optional<double> splatValue(Value value) {
  for (int depth = 0; depth < 16; ++depth) {
    if (std::optional<double> v = getSplatValue(value))
      return v;
    Operation *op = value.getDefiningOp();
    if (!op)
      return std::nullopt;
    if (auto fill = dyn_cast<ONNX::ConstantOfShapeOp>(op)) {
      std::optional<ElementsAttr> attr = fill.getValue();
      if (!attr)
        return 0.0;
      auto dense = dyn_cast<DenseElementsAttr>(*attr);
      if (!dense || dense.getNumElements() != 1)
        return std::nullopt;
      if (isa<FloatType>(dense.getElementType()))
        return (*dense.getValues<APFloat>().begin()).convertToDouble();
      return static_cast<double>(
          (*dense.getValues<APInt>().begin()).getSExtValue());
    }
    if (auto cast = dyn_cast<ONNX::CastOp>(op)) {
      std::optional<double> v = splatValue(cast.getInput());
      if (!v)
        return std::nullopt;
      Type to = cast.getTo();
      if (to.isInteger(1))
        return *v != 0 ? 1.0 : 0.0;
      if (isa<IntegerType>(to))
        return std::trunc(*v);
      return *v;
    }
    // Ops that only move or pick elements (operand 0: the data) keep a
    // splat a splat.
    if (isa<ONNX::TransposeOp, ONNX::UnsqueezeOp, ONNX::SqueezeOp,
            ONNX::ReshapeOp, ONNX::ExpandOp, ONNX::IdentityOp, ONNX::SliceOp,
            ONNX::TileOp, ONNX::FlattenOp, ONNX::GatherOp, ONNX::GatherNDOp>(
            op)) {
      value = op->getOperand(0);
      continue;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

bool Evaluator::broadcastIndices(Value operand, Value result,
                                 ArrayRef<Affine> indices,
                                 SmallVectorImpl<Affine> &out) {
  auto type = dyn_cast<RankedTensorType>(operand.getType());
  auto resultType = dyn_cast<RankedTensorType>(result.getType());
  if (!type || !resultType || type.getRank() > resultType.getRank())
    return false;
  int64_t offset = resultType.getRank() - type.getRank();
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t size = type.getDimSize(d);
    int64_t resultSize = resultType.getDimSize(offset + d);
    const Affine &index = indices[offset + d];
    if (size == 1) {
      out.push_back(Affine::of(0));
      continue;
    }
    if (!ShapedType::isDynamic(size) || resultSize == 1 ||
        !index.hasIndices()) {
      out.push_back(index);
      continue;
    }
    // A dynamic operand dimension: the same index only if it is the
    // result's size, not a 1 that broadcasts.
    SymbolicInt operandDim = getSymbolicDim(operand, d);
    if (operandDim.isConstant() && operandDim.constant == 1) {
      out.push_back(Affine::of(0));
      continue;
    }
    if (!(operandDim == getSymbolicDim(result, offset + d))) {
      fail("a mask operand's dynamic dimension may broadcast");
      return false;
    }
    out.push_back(index);
  }
  return true;
}

const Expr *Evaluator::evalConstant(Value value, ArrayRef<Affine> indices) {
  if (std::optional<double> splat = splatValue(value))
    return constant(*splat);
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() > (1 << 22))
    return fail("a mask reads a constant it cannot follow");
  std::optional<SmallVector<double>> elements = getConstantElements(value);
  if (!elements)
    return fail("a mask reads a constant it cannot follow");
  // All indices known: the element itself.
  if (llvm::none_of(indices, [](const Affine &a) { return a.hasIndices(); }) &&
      llvm::all_of(indices,
                   [](const Affine &a) { return a.constant.isConstant(); })) {
    int64_t flat = 0;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t i = indices[d].constant.constant;
      if (i < 0 || i >= type.getDimSize(d))
        return fail("a mask reads a constant out of its bounds");
      flat = flat * type.getDimSize(d) + i;
    }
    return constant((*elements)[flat]);
  }
  // A matrix (over the last two dimensions; the others read at constant
  // indices) whose elements are v where col - row <= k and w elsewhere, as
  // GPT-2's `bias` buffer (tril of ones).
  int64_t rank = type.getRank();
  if (rank < 2)
    return fail("a mask reads a constant vector at a position");
  int64_t rows = type.getDimSize(rank - 2), cols = type.getDimSize(rank - 1);
  int64_t base = 0;
  for (int64_t d = 0; d < rank - 2; ++d) {
    if (indices[d].hasIndices() || !indices[d].constant.isConstant())
      return fail("a mask reads a constant tensor at a position");
    base = base * type.getDimSize(d) + indices[d].constant.constant;
  }
  base *= rows * cols;
  auto at = [&](int64_t r, int64_t c) { return (*elements)[base + r * cols + c]; };
  double inside = at(0, 0), outside = cols > 1 ? at(0, cols - 1) : inside;
  int64_t k = -1;
  while (k + 1 < cols && at(0, k + 1) == inside)
    ++k;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (at(r, c) != (c - r <= k ? inside : outside))
        return fail("a mask reads a constant that is not triangular");
  // col - row - k <= 0
  const Expr *keep = compareAffine(
      indices[rank - 1] - indices[rank - 2] - Affine::of(k), false);
  return node(Expr::Kind::Select, {keep, constant(inside), constant(outside)});
}

const Expr *Evaluator::evalScatterND(ONNX::ScatterNDOp op,
                                     ArrayRef<Affine> indices, int depth) {
  // Only the slice assignment exporters write for `mask[..., :n] = u`:
  // index tuples that run over a box of `data` (tuple element c of update
  // position u is u_c + offset_c), with the reduction `none`.
  if (op.getReduction() != "none")
    return fail("a mask scatters with a reduction");
  auto indicesType = dyn_cast<RankedTensorType>(op.getIndices().getType());
  auto updatesType = dyn_cast<RankedTensorType>(op.getUpdates().getType());
  auto dataType = dyn_cast<RankedTensorType>(op.getData().getType());
  if (!indicesType || !updatesType || !dataType ||
      indicesType.isDynamicDim(indicesType.getRank() - 1))
    return fail("a mask scatters with index tuples of unknown length");
  int64_t tuple = indicesType.getDimSize(indicesType.getRank() - 1);
  int64_t leading = indicesType.getRank() - 1;
  if (leading != tuple ||
      updatesType.getRank() != dataType.getRank() ||
      static_cast<int64_t>(indices.size()) != dataType.getRank())
    return fail("a mask scatters other than into a box");
  // Offsets: the tuple at update position 0.
  SmallVector<Affine> zero(leading + 1, Affine::of(0));
  SmallVector<Affine> offsets;
  for (int64_t c = 0; c < tuple; ++c) {
    zero.back() = Affine::of(c);
    const Expr *e = eval(op.getIndices(), zero, depth + 1);
    if (!e)
      return nullptr;
    if (e->kind == Expr::Kind::Const)
      offsets.push_back(Affine::of(static_cast<int64_t>(e->value)));
    else if (e->kind == Expr::Kind::Linear && !e->affine.hasIndices())
      offsets.push_back(e->affine);
    else
      return fail("a mask scatters at positions it cannot follow");
  }
  // Update position u = indices - offsets must give the tuple back.
  SmallVector<Affine> update(indices.begin(), indices.end());
  for (int64_t c = 0; c < tuple; ++c)
    update[c] = indices[c] - offsets[c];
  SmallVector<Affine> at(update.begin(), update.begin() + leading);
  at.push_back(Affine());
  const Expr *inside = constant(1);
  for (int64_t c = 0; c < tuple; ++c) {
    at.back() = Affine::of(c);
    const Expr *e = eval(op.getIndices(), at, depth + 1);
    if (!e)
      return nullptr;
    std::optional<Affine> got;
    if (e->kind == Expr::Kind::Linear)
      got = e->affine;
    else if (e->kind == Expr::Kind::Const)
      got = Affine::of(static_cast<int64_t>(e->value));
    if (!got || got->key() != indices[c].key())
      return fail("a mask scatters other than into a box");
    // 0 <= u_c < size_c
    SymbolicInt size = getSymbolicDim(op.getUpdates(), c);
    const Expr *low = compareAffine(update[c].scaled(-1), false);
    const Expr *high = compareAffine(
        update[c] - Affine::of(size) + Affine::of(1), false);
    inside = node(Expr::Kind::And,
                  {inside, node(Expr::Kind::And, {low, high})});
  }
  const Expr *fromUpdates = eval(op.getUpdates(), update, depth + 1);
  const Expr *fromData = eval(op.getData(), indices, depth + 1);
  return node(Expr::Kind::Select, {inside, fromUpdates, fromData});
}

const Expr *Evaluator::eval(Value value, ArrayRef<Affine> indices,
                            int depth) {
  if (depth > 64)
    return fail("a mask's subgraph is too deep to follow");
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != static_cast<int64_t>(indices.size()))
    return fail("a mask value of unknown rank");
  if (std::optional<double> splat = splatValue(value))
    return constant(*splat);
  Operation *op = value.getDefiningOp();
  if (!op) {
    // A graph input's element: an opaque leaf (attention_mask[b, j]).
    Expr e;
    e.kind = Expr::Kind::Leaf;
    std::string key =
        llvm::formatv("leaf{0}", value.getAsOpaquePointer()).str();
    for (const Affine &a : indices)
      key += "[" + a.key() + "]";
    e.key = key;
    return intern(std::move(e));
  }
  return evalOp(op, value, indices, depth);
}

const Expr *Evaluator::evalOp(Operation *op, Value value,
                              ArrayRef<Affine> indices, int depth) {
  using K = Expr::Kind;
  auto evalBroadcast = [&](Value operand) -> const Expr * {
    SmallVector<Affine> at;
    if (!broadcastIndices(operand, value, indices, at))
      return fail("a mask broadcasts a dimension it cannot prove");
    return eval(operand, at, depth + 1);
  };
  auto binary = [&](K kind) {
    return node(kind, {evalBroadcast(op->getOperand(0)),
                       evalBroadcast(op->getOperand(1))});
  };
  if (isa<ONNX::ConstantOp>(op))
    return evalConstant(value, indices);
  if (auto range = dyn_cast<ONNX::RangeOp>(op)) {
    if (!isSplatNear(range.getDelta(), 1.0, 0.0))
      return fail("a mask uses a Range whose step is not 1");
    if (std::optional<double> start = getSplatValue(range.getStart());
        start && *start != std::floor(*start))
      return fail("a mask uses a Range from a fraction");
    return linear(indices[0] + Affine::of(getSymbolicInt(range.getStart())));
  }
  if (auto cast = dyn_cast<ONNX::CastOp>(op)) {
    const Expr *x = eval(cast.getInput(), indices, depth + 1);
    if (!x)
      return nullptr;
    Type from = getElementTypeOrSelf(cast.getInput().getType());
    Type to = cast.getTo();
    if (to.isInteger(1))
      return node(K::ToBool, {x});
    if (isa<FloatType>(from) && isa<IntegerType>(to) &&
        x->kind != K::Const && x->kind != K::Linear)
      return fail("a mask truncates a float");
    return x;
  }
  if (isa<ONNX::IdentityOp>(op))
    return eval(op->getOperand(0), indices, depth + 1);
  if (auto unsqueeze = dyn_cast<ONNX::UnsqueezeOp>(op)) {
    auto axes = ONNX::getConstantIntValues(unsqueeze.getAxes());
    if (!axes)
      return fail("a mask unsqueezes at unknown axes");
    SmallVector<bool> inserted(indices.size(), false);
    for (int64_t a : *axes) {
      std::optional<int64_t> axis = ONNX::normalizeAxis(a, indices.size());
      if (!axis)
        return fail("a mask unsqueezes at a bad axis");
      inserted[*axis] = true;
    }
    SmallVector<Affine> at;
    for (auto [i, index] : llvm::enumerate(indices))
      if (!inserted[i])
        at.push_back(index);
    return eval(unsqueeze.getData(), at, depth + 1);
  }
  if (auto squeeze = dyn_cast<ONNX::SqueezeOp>(op)) {
    auto in = dyn_cast<RankedTensorType>(squeeze.getData().getType());
    if (!in)
      return fail("a mask squeezes a tensor of unknown rank");
    SmallVector<bool> removed(in.getRank(), false);
    if (squeeze.getAxes()) {
      auto axes = ONNX::getConstantIntValues(squeeze.getAxes());
      if (!axes)
        return fail("a mask squeezes unknown axes");
      for (int64_t a : *axes) {
        std::optional<int64_t> axis = ONNX::normalizeAxis(a, in.getRank());
        if (!axis)
          return fail("a mask squeezes a bad axis");
        removed[*axis] = true;
      }
    } else {
      for (int64_t d = 0; d < in.getRank(); ++d)
        removed[d] = in.getDimSize(d) == 1;
    }
    SmallVector<Affine> at;
    unsigned next = 0;
    for (int64_t d = 0; d < in.getRank(); ++d)
      at.push_back(removed[d] ? Affine::of(0) : indices[next++]);
    return eval(squeeze.getData(), at, depth + 1);
  }
  if (auto transpose = dyn_cast<ONNX::TransposeOp>(op)) {
    int64_t rank = indices.size();
    SmallVector<int64_t> perm;
    if (std::optional<ArrayAttr> attr = transpose.getPerm())
      for (Attribute a : *attr)
        perm.push_back(cast<IntegerAttr>(a).getInt());
    else
      for (int64_t d = rank - 1; d >= 0; --d)
        perm.push_back(d);
    SmallVector<Affine> at(rank);
    for (int64_t k = 0; k < rank; ++k)
      at[perm[k]] = indices[k];
    return eval(transpose.getData(), at, depth + 1);
  }
  if (auto reshape = dyn_cast<ONNX::ReshapeOp>(op)) {
    // Only reshapes that add or drop unit dimensions.
    auto in = dyn_cast<RankedTensorType>(reshape.getData().getType());
    auto out = dyn_cast<RankedTensorType>(value.getType());
    if (!in || !out)
      return fail("a mask reshapes a tensor of unknown rank");
    SmallVector<int64_t> inKept, outKept;
    for (int64_t d = 0; d < in.getRank(); ++d)
      if (in.getDimSize(d) != 1)
        inKept.push_back(d);
    for (int64_t d = 0; d < out.getRank(); ++d)
      if (out.getDimSize(d) != 1)
        outKept.push_back(d);
    if (inKept.size() != outKept.size())
      return fail("a mask reshapes other than by unit dimensions");
    SmallVector<Affine> at(in.getRank(), Affine::of(0));
    for (auto [i, o] : llvm::zip(inKept, outKept)) {
      if (in.getDimSize(i) != out.getDimSize(o) &&
          !(getSymbolicDim(reshape.getData(), i) == getSymbolicDim(value, o)))
        return fail("a mask reshapes other than by unit dimensions");
      at[i] = indices[o];
    }
    return eval(reshape.getData(), at, depth + 1);
  }
  if (auto expand = dyn_cast<ONNX::ExpandOp>(op))
    return evalBroadcast(expand.getInput());
  if (auto tile = dyn_cast<ONNX::TileOp>(op)) {
    // Tiling a unit dimension is a broadcast; repeating once changes
    // nothing. (The GenAI builder tiles its mask over the heads.)
    auto in = dyn_cast<RankedTensorType>(tile.getInput().getType());
    std::optional<SmallVector<int64_t>> repeats =
        ONNX::getConstantIntValues(tile.getRepeats());
    if (!in || !repeats ||
        static_cast<int64_t>(repeats->size()) != in.getRank())
      return fail("a mask is tiled by unknown repeats");
    SmallVector<Affine> at;
    for (int64_t d = 0; d < in.getRank(); ++d) {
      if (in.getDimSize(d) == 1)
        at.push_back(Affine::of(0));
      else if ((*repeats)[d] == 1)
        at.push_back(indices[d]);
      else
        return fail("a mask tiles a dimension other than a unit one");
    }
    return eval(tile.getInput(), at, depth + 1);
  }
  if (auto slice = dyn_cast<ONNX::SliceOp>(op)) {
    auto in = dyn_cast<RankedTensorType>(slice.getData().getType());
    if (!in)
      return fail("a mask slices a tensor of unknown rank");
    SmallVector<int64_t> axes;
    if (slice.getAxes()) {
      auto constAxes = ONNX::getConstantIntValues(slice.getAxes());
      if (!constAxes)
        return fail("a mask slices unknown axes");
      axes = *constAxes;
    } else {
      auto count = dyn_cast<RankedTensorType>(slice.getStarts().getType());
      if (!count || !count.hasStaticShape())
        return fail("a mask slices unknown axes");
      for (int64_t i = 0; i < count.getNumElements(); ++i)
        axes.push_back(i);
    }
    if (slice.getSteps()) {
      auto steps = ONNX::getConstantIntValues(slice.getSteps());
      if (!steps || llvm::any_of(*steps, [](int64_t s) { return s != 1; }))
        return fail("a mask slices with a step other than 1");
    }
    SmallVector<Affine> at(indices.begin(), indices.end());
    for (auto [i, a] : llvm::enumerate(axes)) {
      std::optional<int64_t> axis = ONNX::normalizeAxis(a, in.getRank());
      if (!axis)
        return fail("a mask slices a bad axis");
      SymbolicInt start = getSymbolicInt(slice.getStarts(), i);
      if (start.isConstant() && start.constant < 0)
        start = getSymbolicDim(slice.getData(), *axis) + start;
      at[*axis] = at[*axis] + Affine::of(start);
    }
    return eval(slice.getData(), at, depth + 1);
  }
  if (auto concat = dyn_cast<ONNX::ConcatOp>(op)) {
    std::optional<int64_t> axis =
        ONNX::normalizeAxis(concat.getAxis(), indices.size());
    if (!axis)
      return fail("a mask concatenates on a bad axis");
    // Piecewise along the axis, last piece first.
    SmallVector<SymbolicInt> starts;
    SymbolicInt offset;
    for (Value input : concat.getInputs()) {
      starts.push_back(offset);
      offset += getSymbolicDim(input, *axis);
    }
    const Expr *result = nullptr;
    for (int64_t p = concat.getInputs().size() - 1; p >= 0; --p) {
      SmallVector<Affine> at(indices.begin(), indices.end());
      at[*axis] = at[*axis] - Affine::of(starts[p]);
      const Expr *piece = eval(concat.getInputs()[p], at, depth + 1);
      if (!result) {
        result = piece;
        continue;
      }
      // index < start of the next piece
      const Expr *before = compareAffine(
          indices[*axis] - Affine::of(starts[p + 1]) + Affine::of(1), false);
      result = node(K::Select, {before, piece, result});
    }
    return result;
  }
  if (auto trilu = dyn_cast<ONNX::TriluOp>(op)) {
    int64_t rank = indices.size();
    SymbolicInt k;
    if (trilu.getK())
      k = getSymbolicInt(trilu.getK());
    Affine diff = indices[rank - 1] - indices[rank - 2] - Affine::of(k);
    // lower keeps col - row <= k; upper keeps col - row >= k.
    const Expr *keep = trilu.getUpper()
                           ? compareAffine(diff.scaled(-1), false)
                           : compareAffine(diff, false);
    const Expr *x = eval(trilu.getInput(), indices, depth + 1);
    return node(K::Select, {keep, x, constant(0)});
  }
  if (isa<ONNX::GatherOp, ONNX::GatherNDOp>(op) &&
      splatValue(op->getOperand(0)))
    return constant(*splatValue(op->getOperand(0)));
  if (auto gather = dyn_cast<ONNX::GatherOp>(op)) {
    auto data = dyn_cast<RankedTensorType>(gather.getData().getType());
    auto idx = dyn_cast<RankedTensorType>(gather.getIndices().getType());
    if (!data || !idx)
      return fail("a mask gathers from a tensor of unknown rank");
    std::optional<int64_t> axis =
        ONNX::normalizeAxis(gather.getAxis(), data.getRank());
    if (!axis)
      return fail("a mask gathers on a bad axis");
    SmallVector<Affine> at(indices.begin(), indices.begin() + *axis);
    const Expr *position = eval(
        gather.getIndices(),
        indices.slice(*axis, idx.getRank()), depth + 1);
    if (!position)
      return nullptr;
    if (position->kind == K::Const)
      at.push_back(Affine::of(static_cast<int64_t>(position->value)));
    else if (position->kind == K::Linear)
      at.push_back(position->affine);
    else
      return fail("a mask gathers at positions it cannot follow");
    at.append(indices.begin() + *axis + idx.getRank(), indices.end());
    return eval(gather.getData(), at, depth + 1);
  }
  if (auto gather = dyn_cast<ONNX::GatherNDOp>(op)) {
    auto data = dyn_cast<RankedTensorType>(gather.getData().getType());
    auto idx = dyn_cast<RankedTensorType>(gather.getIndices().getType());
    if (!data || !idx || idx.isDynamicDim(idx.getRank() - 1) ||
        gather.getBatchDims() != 0)
      return fail("a mask gathers index tuples it cannot follow");
    int64_t tuple = idx.getDimSize(idx.getRank() - 1);
    int64_t leading = idx.getRank() - 1;
    SmallVector<Affine> position(indices.begin(), indices.begin() + leading);
    position.push_back(Affine());
    SmallVector<Affine> at;
    for (int64_t t = 0; t < tuple; ++t) {
      position.back() = Affine::of(t);
      const Expr *e = eval(gather.getIndices(), position, depth + 1);
      if (!e)
        return nullptr;
      if (e->kind == K::Const)
        at.push_back(Affine::of(static_cast<int64_t>(e->value)));
      else if (e->kind == K::Linear)
        at.push_back(e->affine);
      else
        return fail("a mask gathers at positions it cannot follow");
    }
    at.append(indices.begin() + leading, indices.end());
    return eval(gather.getData(), at, depth + 1);
  }
  if (auto scatter = dyn_cast<ONNX::ScatterNDOp>(op))
    return evalScatterND(scatter, indices, depth);
  if (auto where = dyn_cast<ONNX::WhereOp>(op))
    return node(K::Select, {evalBroadcast(where.getCondition()),
                            evalBroadcast(where.getX()),
                            evalBroadcast(where.getY())});
  if (isa<ONNX::NotOp>(op))
    return node(K::Not, {evalBroadcast(op->getOperand(0))});
  if (isa<ONNX::NegOp>(op))
    return node(K::Neg, {evalBroadcast(op->getOperand(0))});
  if (isa<ONNX::AddOp>(op)) return binary(K::Add);
  if (isa<ONNX::SubOp>(op)) return binary(K::Sub);
  if (isa<ONNX::MulOp>(op)) return binary(K::Mul);
  if (isa<ONNX::DivOp>(op)) {
    if (isa<IntegerType>(getElementTypeOrSelf(value.getType())))
      return fail("a mask divides integers");
    return binary(K::Div);
  }
  if (isa<ONNX::AndOp>(op)) return binary(K::And);
  if (isa<ONNX::OrOp>(op)) return binary(K::Or);
  if (isa<ONNX::LessOp>(op)) return binary(K::Less);
  if (isa<ONNX::LessOrEqualOp>(op)) return binary(K::LessOrEqual);
  if (isa<ONNX::GreaterOp>(op)) return binary(K::Greater);
  if (isa<ONNX::GreaterOrEqualOp>(op)) return binary(K::GreaterOrEqual);
  if (isa<ONNX::EqualOp>(op)) return binary(K::IsEqual);
  if (isa<ONNX::MinOp, ONNX::MaxOp>(op)) {
    K kind = isa<ONNX::MinOp>(op) ? K::Min : K::Max;
    const Expr *result = evalBroadcast(op->getOperand(0));
    for (Value operand : op->getOperands().drop_front())
      result = node(kind, {result, evalBroadcast(operand)});
    return result;
  }
  return fail(llvm::formatv("a mask is computed with {0}, which the analysis "
                            "does not follow",
                            op->getName().getStringRef()));
}

/// Evaluates an expression under an assignment of its atoms; nullopt if it
/// depends on something else.
std::optional<double>
evaluate(const Expr *e, const llvm::DenseMap<const Expr *, bool> &atoms) {
  using K = Expr::Kind;
  if (auto it = atoms.find(e); it != atoms.end())
    return it->second ? 1.0 : 0.0;
  auto arg = [&](unsigned i) { return evaluate(e->operands[i], atoms); };
  switch (e->kind) {
  case K::Const: return e->value;
  case K::Linear: case K::LessEq: case K::Equal: case K::Leaf:
    return std::nullopt;
  case K::Select: {
    std::optional<double> c = arg(0);
    if (!c)
      return std::nullopt;
    return *c != 0 ? arg(1) : arg(2);
  }
  default: break;
  }
  SmallVector<double, 3> v;
  for (unsigned i = 0; i < e->operands.size(); ++i) {
    std::optional<double> x = arg(i);
    if (!x)
      return std::nullopt;
    v.push_back(*x);
  }
  switch (e->kind) {
  case K::Not: return v[0] == 0;
  case K::ToBool: return v[0] != 0;
  case K::And: return v[0] != 0 && v[1] != 0;
  case K::Or: return v[0] != 0 || v[1] != 0;
  case K::Add: return v[0] + v[1];
  case K::Sub: return v[0] - v[1];
  case K::Mul: return v[0] * v[1];
  case K::Div: return v[0] / v[1];
  case K::Neg: return -v[0];
  case K::Min: return std::fmin(v[0], v[1]);
  case K::Max: return std::fmax(v[0], v[1]);
  case K::Less: return v[0] < v[1];
  case K::LessOrEqual: return v[0] <= v[1];
  case K::Greater: return v[0] > v[1];
  case K::GreaterOrEqual: return v[0] >= v[1];
  case K::IsEqual: return v[0] == v[1];
  default: return std::nullopt;
  }
}

/// The atoms (affine comparisons and leaves used as conditions) of `e`.
void collectAtoms(const Expr *e, SmallVectorImpl<const Expr *> &atoms,
                  llvm::SmallPtrSetImpl<const Expr *> &seen) {
  if (!seen.insert(e).second)
    return;
  using K = Expr::Kind;
  if (e->kind == K::LessEq || e->kind == K::Equal || e->kind == K::Leaf) {
    atoms.push_back(e);
    return;
  }
  for (const Expr *o : e->operands)
    collectAtoms(o, atoms, seen);
}

} // namespace

std::optional<MaskSemantics> analyzeMasks(ArrayRef<MaskTerm> terms,
                                          Value scores, std::string &why) {
  auto scoresType = dyn_cast<RankedTensorType>(scores.getType());
  if (!scoresType || scoresType.getRank() != 4) {
    why = "the scores are not 4-D";
    return std::nullopt;
  }
  ScoresShape shape;
  for (int64_t d = 0; d < 4; ++d) {
    shape.sizes[d] = scoresType.getDimSize(d);
    shape.dims[d] = getSymbolicDim(scores, d);
  }
  return analyzeMasks(terms, shape, why);
}

std::optional<MaskSemantics> analyzeMasks(ArrayRef<MaskTerm> terms,
                                          const ScoresShape &scores,
                                          std::string &why) {
  Evaluator evaluator(why);
  SmallVector<MaskSemantics::DimCheck> dimChecks;
  SmallVector<Affine> top;
  for (int v = 0; v < kNumIndices; ++v)
    top.push_back(Affine::index(v));

  // Each term as an expression of the score indices, read through the
  // broadcast of the mask into the scores.
  SmallVector<const Expr *> exprs;
  for (const MaskTerm &term : terms) {
    auto type = dyn_cast<RankedTensorType>(term.value.getType());
    if (!type || type.getRank() > 4) {
      why = "a mask of rank above 4";
      return std::nullopt;
    }
    SmallVector<Affine> at;
    int64_t offset = 4 - type.getRank();
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t size = type.getDimSize(d);
      int64_t scoreSize = scores.sizes[offset + d];
      if (size == 1) {
        at.push_back(Affine::of(0));
        continue;
      }
      if (!ShapedType::isDynamic(size) && ShapedType::isDynamic(scoreSize) &&
          offset + d >= kQuery)
        dimChecks.push_back({term.value, d, offset + d});
      if (ShapedType::isDynamic(size) && scoreSize != 1) {
        SymbolicInt dim = getSymbolicDim(term.value, d);
        if (dim.isConstant() && dim.constant == 1) {
          at.push_back(Affine::of(0));
          continue;
        }
        // Batch and head dimensions of a mask may stay unproven: the
        // conditions this analysis accepts do not depend on them. A query
        // or key dimension that is not proven (GPT-2's bias rows sliced up
        // to a length the analysis cannot bound by the buffer's) is
        // checked at run time by the user of the result.
        if (offset + d >= kQuery &&
            !(dim == scores.dims[offset + d]))
          dimChecks.push_back({term.value, d, offset + d});
      }
      at.push_back(top[offset + d]);
    }
    const Expr *e = evaluator.eval(term.value, at);
    if (!e)
      return std::nullopt;
    exprs.push_back(e);
  }

  SmallVector<const Expr *> atoms;
  llvm::SmallPtrSet<const Expr *, 16> seen;
  for (const Expr *e : exprs)
    collectAtoms(e, atoms, seen);
  if (atoms.size() > 10) {
    why = "a mask depends on too many conditions";
    return std::nullopt;
  }

  // Which assignments can happen: x + k1 <= 0 (or = 0) implies x + k2 <= 0
  // when k1 - k2 is never negative, whatever the sizes. (A legacy Hugging
  // Face causal mask hides a key when j > i and when j > past + i; only the
  // second matters, as past >= 0.)
  unsigned count = 1u << atoms.size();
  SmallVector<bool> feasible(count, true);
  for (auto [i, first] : llvm::enumerate(atoms)) {
    for (auto [j, second] : llvm::enumerate(atoms)) {
      if (i == j || second->kind != Expr::Kind::LessEq ||
          (first->kind != Expr::Kind::LessEq &&
           first->kind != Expr::Kind::Equal) ||
          first->affine.coeff != second->affine.coeff ||
          !(first->affine.constant - second->affine.constant).isNonNegative())
        continue;
      for (unsigned bits = 0; bits < count; ++bits)
        if (((bits >> i) & 1) && !((bits >> j) & 1))
          feasible[bits] = false;
    }
  }

  // Which assignments leave the key visible.
  SmallVector<bool> visible(count);
  for (unsigned bits = 0; bits < count; ++bits) {
    if (!feasible[bits])
      continue;
    llvm::DenseMap<const Expr *, bool> assignment;
    for (auto [i, atom] : llvm::enumerate(atoms))
      assignment[atom] = (bits >> i) & 1;
    bool masked = false;
    double added = 0;
    for (auto [term, e] : llvm::zip(terms, exprs)) {
      std::optional<double> v = evaluate(e, assignment);
      if (!v) {
        why = "a mask's value depends on more than conditions on positions";
        return std::nullopt;
      }
      if (term.kind == MaskTerm::Kind::Keep) {
        bool keep = (*v != 0) != term.negated;
        if (!keep) {
          if (!(term.fill * term.outerScale <= kMaskThreshold)) {
            why = "a mask replaces scores by a value that does not mask";
            return std::nullopt;
          }
          masked = true;
        }
      } else {
        added += *v * term.outerScale;
      }
    }
    if (masked || added <= kMaskThreshold)
      continue;
    if (added != 0) {
      why = "a mask adds a bias (a value that neither keeps nor masks)";
      return std::nullopt;
    }
    visible[bits] = true;
  }

  // visible <=> a conjunction of literals: those fixed over every visible
  // assignment, which must also suffice.
  SmallVector<std::pair<const Expr *, bool>> literals;
  bool any = llvm::is_contained(visible, true);
  if (!any) {
    why = "a mask hides every key";
    return std::nullopt;
  }
  for (auto [i, atom] : llvm::enumerate(atoms)) {
    std::optional<bool> fixed;
    bool constant = true;
    for (unsigned bits = 0; bits < count; ++bits) {
      if (!visible[bits])
        continue;
      bool v = (bits >> i) & 1;
      if (!fixed)
        fixed = v;
      else if (*fixed != v)
        constant = false;
    }
    if (constant)
      literals.push_back({atom, *fixed});
  }
  for (unsigned bits = 0; bits < count; ++bits) {
    if (!feasible[bits])
      continue;
    bool all = true;
    for (auto [atom, polarity] : literals) {
      unsigned i = llvm::find(atoms, atom) - atoms.begin();
      all &= (((bits >> i) & 1) != 0) == polarity;
    }
    if (all != visible[bits]) {
      why = "the keys a mask keeps are not a conjunction of conditions";
      return std::nullopt;
    }
  }

  // Each literal must be the causal condition or a sliding window, with
  // P = Skv - Sq the position of the first query.
  SymbolicInt past =
      scores.dims[kKey] - scores.dims[kQuery];
  MaskSemantics semantics;
  semantics.dimChecks = std::move(dimChecks);
  std::optional<int64_t> window;
  for (auto [atom, polarity] : literals) {
    const Affine &a = atom->affine;
    bool onlyPositions = atom->kind == Expr::Kind::LessEq && a.coeff[0] == 0 &&
                         a.coeff[1] == 0 && a.coeff[kQuery] == 1 &&
                         a.coeff[kKey] == -1;
    auto residual = [&](StringRef reason) {
      if (semantics.residual.empty())
        semantics.residual = reason.str();
    };
    if (!onlyPositions) {
      residual(atom->kind == Expr::Kind::Leaf
                   ? "a mask reads a graph input (a padding mask)"
                   : "a mask keeps keys by a condition other than causal or "
                     "a sliding window");
      continue;
    }
    // a = i - j + C.
    const SymbolicInt &c = a.constant;
    if (!polarity) {
      // i - j + C >= 1  <=>  j <= i + C - 1: causal when C - 1 = P.
      SymbolicInt offset = c;
      offset.constant -= 1;
      if (!(offset == past)) {
        residual("a mask's causal condition is not aligned to the last query "
                 "(its offset is not Skv - Sq)");
        continue;
      }
      semantics.causal = true;
    } else {
      // i - j + C <= 0  <=>  j >= i + C: a window of W = P - C + 1.
      SymbolicInt width = past - c;
      width.constant += 1;
      if (!width.isConstant() || width.constant < 1 ||
          (window && *window != width.constant)) {
        residual("a mask keeps keys at or after a position that is not one "
                 "fixed window behind the query");
        continue;
      }
      window = width.constant;
    }
  }
  // A window is measured back from the diagonal; without the causal
  // condition it stays in the residual mask.
  if (window && semantics.causal)
    semantics.window = *window;
  else if (window && semantics.residual.empty())
    semantics.residual = "a sliding window without the causal condition";
  return semantics;
}

} // namespace xf::fusion
