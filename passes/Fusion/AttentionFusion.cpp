//===- AttentionFusion.cpp - scaled dot-product attention -----------------===//
//
// Matches MatMul(Softmax(scale * Q K^T + masks), V) as exporters write it and
// rewrites it into xf.attention. The scores are walked from the Softmax down
// to Q K^T through Div/Mul by constants (the scale), Add (additive masks) and
// Where(cond, scores, large negative) (boolean masks). Boolean conditions are
// split at And (or at Or under a negation); a conjunct that is exactly the
// causal mask with offset Skv - Sq sets `causal`, the others become an
// additive mask operand. repeat_kv on K and V is stripped so that GQA and
// MQA keep their key/value heads.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/Fusion.h"
#include "passes/Fusion/FusionUtils.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/ShapeHelpers.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/IR/Matchers.h"
#include "llvm/Support/DebugLog.h"

#include <cmath>

#define DEBUG_TYPE "xf-fuse-onnx-to-xf"

using namespace mlir;
using namespace xf::fusion;
namespace ONNX = xf::ONNX;
namespace XF = xf::XF;

namespace {

/// Masked scores are pushed at least this far down. Any such value makes
/// exp(masked - max) exactly 0 in f32 next to one visible score of ordinary
/// size, so replacing a score by it, adding it, or dropping the key from the
/// softmax (causal) give the same probabilities.
constexpr double kMaskThreshold = -1.0e4;

bool isLargeNegative(Value value) {
  std::optional<double> v = getSplatValue(value);
  return v && *v <= kMaskThreshold && isUnitTensor(value.getType(), 4);
}

/// The scale factor of `value` = x * c or x / c with `c` a unit constant,
/// and x; nullopt otherwise.
std::optional<std::pair<Value, double>> matchScaled(Value value) {
  if (auto div = defOp<ONNX::DivOp>(value)) {
    std::optional<double> c = getSplatValue(div.getB());
    if (c && *c != 0.0 && isUnitTensor(div.getB().getType(), 4) &&
        keepsShape(value, div.getA()))
      return std::pair(div.getA(), 1.0 / *c);
    return std::nullopt;
  }
  std::optional<std::pair<Value, double>> result;
  eitherOrder(defOp<ONNX::MulOp>(value), [&](Value x, Value c) {
    std::optional<double> v = getSplatValue(c);
    if (!v || !isUnitTensor(c.getType(), 4) || !keepsShape(value, x))
      return false;
    result = std::pair(x, *v);
    return true;
  });
  return result;
}

/// Strips Mul/Div by constants from `value`, multiplying `scale` by them.
Value stripScale(Value value, double &scale) {
  while (std::optional<std::pair<Value, double>> scaled = matchScaled(value)) {
    value = scaled->first;
    scale *= scaled->second;
  }
  return value;
}

/// A boolean condition `keep` (or `!keep` when `negated`) that a mask keeps
/// scores by, and the value the others get.
struct Condition {
  Value value;
  bool negated;
  Value fill;
};

/// What the scores of an attention are made of.
struct Scores {
  Value query, keyTransposed;
  double scale = 1.0;
  SmallVector<Value> additive;
  SmallVector<Condition> conditions;
};

/// Whether `mask` (added to or selected into `scores`) broadcasts into
/// `scores`' shape without changing it: `result` has `scores`' shape.
bool broadcastsInto(Value result, Value scores, Value mask) {
  auto r = dyn_cast<RankedTensorType>(result.getType());
  auto s = dyn_cast<RankedTensorType>(scores.getType());
  auto m = dyn_cast<RankedTensorType>(mask.getType());
  if (!r || !s || !m || r.getRank() != 4 || s.getRank() != 4 ||
      m.getRank() > 4)
    return false;
  for (auto [rd, sd] : llvm::zip(r.getShape(), s.getShape()))
    if (!ShapedType::isDynamic(sd) && rd != sd)
      return false;
  return true;
}

/// Walks the scores from the Softmax's input down to the Q K^T MatMul.
bool parseScores(Value value, Scores &scores, int depth = 0) {
  if (depth > 16)
    return false;
  if (auto matmul = defOp<ONNX::MatMulOp>(value)) {
    scores.query = matmul.getA();
    scores.keyTransposed = matmul.getB();
    return true;
  }
  if (std::optional<std::pair<Value, double>> scaled = matchScaled(value)) {
    scores.scale *= scaled->second;
    return parseScores(scaled->first, scores, depth + 1);
  }
  if (auto add = defOp<ONNX::AddOp>(value)) {
    for (auto [inner, mask] : {std::pair(add.getA(), add.getB()),
                               std::pair(add.getB(), add.getA())}) {
      Scores attempt = scores;
      if (broadcastsInto(value, inner, mask) &&
          parseScores(inner, attempt, depth + 1)) {
        attempt.additive.push_back(mask);
        scores = attempt;
        return true;
      }
    }
    return false;
  }
  if (auto where = defOp<ONNX::WhereOp>(value)) {
    if (!broadcastsInto(value, where.getX(), where.getCondition()))
      return false;
    if (isLargeNegative(where.getY())) {
      scores.conditions.push_back({where.getCondition(), false, where.getY()});
      return parseScores(where.getX(), scores, depth + 1);
    }
    if (isLargeNegative(where.getX())) {
      scores.conditions.push_back({where.getCondition(), true, where.getX()});
      return parseScores(where.getY(), scores, depth + 1);
    }
  }
  return false;
}

/// Splits a condition into conjuncts: And under no negation, Or under one,
/// Not flips.
void splitConjuncts(Value value, bool negated, Value fill,
                    SmallVectorImpl<Condition> &out) {
  if (auto notOp = defOp<ONNX::NotOp>(value))
    return splitConjuncts(notOp.getX(), !negated, fill, out);
  if (!negated) {
    if (auto andOp = defOp<ONNX::AndOp>(value)) {
      splitConjuncts(andOp.getA(), negated, fill, out);
      splitConjuncts(andOp.getB(), negated, fill, out);
      return;
    }
  } else if (auto orOp = defOp<ONNX::OrOp>(value)) {
    splitConjuncts(orOp.getA(), negated, fill, out);
    splitConjuncts(orOp.getB(), negated, fill, out);
    return;
  }
  out.push_back({value, negated, fill});
}

//===----------------------------------------------------------------------===//
// Causal masks
//===----------------------------------------------------------------------===//

/// A mask matrix [R, C] over the last two dimensions that keeps key j for
/// query i iff j <= i + k: causal for xf.attention iff k == C - R.
struct Triangle {
  SymbolicInt rows, cols, offset;
  bool isCausal() const { return offset == cols - rows; }
};

/// Looks through ops that put a mask matrix into a larger broadcast shape
/// without touching its last two dimensions: Unsqueeze in front, Expand of
/// a matrix whose dimensions are not 1, Identity.
Value stripBroadcast(Value value) {
  while (true) {
    if (auto unsqueeze = defOp<ONNX::UnsqueezeOp>(value)) {
      auto out = dyn_cast<RankedTensorType>(value.getType());
      auto axes = ONNX::getConstantIntValues(unsqueeze.getAxes());
      if (!out || !axes ||
          llvm::any_of(*axes, [&](int64_t a) {
            std::optional<int64_t> axis = ONNX::normalizeAxis(a, out.getRank());
            return !axis || *axis >= out.getRank() - 2;
          }))
        return value;
      value = unsqueeze.getData();
      continue;
    }
    if (auto expand = defOp<ONNX::ExpandOp>(value)) {
      auto in = dyn_cast<RankedTensorType>(expand.getInput().getType());
      if (!in || in.getRank() < 2 ||
          llvm::any_of(in.getShape().take_back(2),
                       [](int64_t d) { return d == 1; }))
        return value;
      value = expand.getInput();
      continue;
    }
    if (auto identity = defOp<ONNX::IdentityOp>(value)) {
      value = identity.getInput();
      continue;
    }
    return value;
  }
}

/// Rows and columns of a tensor filled with one value: ConstantOfShape or a
/// static constant; sets `fill`.
std::optional<std::pair<SymbolicInt, SymbolicInt>>
filledMatrix(Value value, double &fill) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() < 2)
    return std::nullopt;
  int64_t rank = type.getRank();
  if (auto fillOp = defOp<ONNX::ConstantOfShapeOp>(value)) {
    std::optional<ElementsAttr> attr = fillOp.getValue();
    if (!attr) {
      fill = 0.0;
    } else {
      auto dense = dyn_cast<DenseElementsAttr>(*attr);
      if (!dense || dense.getNumElements() != 1)
        return std::nullopt;
      if (isa<FloatType>(dense.getElementType()))
        fill = (*dense.getValues<APFloat>().begin()).convertToDouble();
      else
        fill = static_cast<double>(
            (*dense.getValues<APInt>().begin()).getSExtValue());
    }
    return std::pair(getSymbolicInt(fillOp.getInput(), rank - 2),
                     getSymbolicInt(fillOp.getInput(), rank - 1));
  }
  std::optional<double> splat = getSplatValue(value);
  if (!splat || !type.hasStaticShape())
    return std::nullopt;
  fill = *splat;
  return std::pair(getSymbolicDim(value, rank - 2),
                   getSymbolicDim(value, rank - 1));
}

/// A Trilu of a filled matrix: the triangle it keeps (as `upper` says) and
/// the fill.
struct TriluInfo {
  SymbolicInt rows, cols, k;
  bool upper;
  double fill;
};
std::optional<TriluInfo> matchTrilu(Value value) {
  auto trilu = defOp<ONNX::TriluOp>(value);
  if (!trilu)
    return std::nullopt;
  double fill = 0;
  auto dims = filledMatrix(trilu.getInput(), fill);
  if (!dims)
    return std::nullopt;
  SymbolicInt k;
  if (trilu.getK())
    k = getSymbolicInt(trilu.getK());
  return TriluInfo{dims->first, dims->second, k, trilu.getUpper() != 0, fill};
}

/// A position vector: a Range with step 1 laid along the rows (`row`) or the
/// columns of the last two dimensions, plus a symbolic offset.
struct Positions {
  SymbolicInt base, count;
  int64_t trailing = 0;  // dimensions after the Range's one
};
std::optional<Positions> matchPositions(Value value, int depth = 0) {
  if (depth > 8)
    return std::nullopt;
  if (auto range = defOp<ONNX::RangeOp>(value)) {
    if (!isSplatNear(range.getDelta(), 1.0, 0.0))
      return std::nullopt;
    SymbolicInt start = getSymbolicInt(range.getStart());
    return Positions{start, getSymbolicInt(range.getLimit()) - start, 0};
  }
  if (auto cast = defOp<ONNX::CastOp>(value))
    return matchPositions(cast.getInput(), depth + 1);
  if (auto unsqueeze = defOp<ONNX::UnsqueezeOp>(value)) {
    auto in = dyn_cast<RankedTensorType>(unsqueeze.getData().getType());
    auto out = dyn_cast<RankedTensorType>(value.getType());
    auto axes = ONNX::getConstantIntValues(unsqueeze.getAxes());
    std::optional<Positions> p = matchPositions(unsqueeze.getData(), depth + 1);
    if (!in || !out || !axes || !p)
      return std::nullopt;
    SmallVector<bool> inserted(out.getRank(), false);
    for (int64_t a : *axes) {
      std::optional<int64_t> axis = ONNX::normalizeAxis(a, out.getRank());
      if (!axis)
        return std::nullopt;
      inserted[*axis] = true;
    }
    int64_t position = in.getRank() - 1 - p->trailing, seen = 0;
    for (int64_t o = 0; o < out.getRank(); ++o) {
      if (inserted[o])
        continue;
      if (seen++ == position) {
        p->trailing = out.getRank() - 1 - o;
        return p;
      }
    }
    return std::nullopt;
  }
  if (auto reshape = defOp<ONNX::ReshapeOp>(value)) {
    auto shape = ONNX::getConstantIntValues(reshape.getShape());
    std::optional<Positions> p = matchPositions(reshape.getData(), depth + 1);
    auto in = dyn_cast<RankedTensorType>(reshape.getData().getType());
    if (!shape || !p || !in || in.getRank() != 1)
      return std::nullopt;
    int64_t position = -1;
    for (auto [i, d] : llvm::enumerate(*shape)) {
      if (d == 1)
        continue;
      if (position >= 0 || d == 0)
        return std::nullopt;
      position = i;
    }
    if (position < 0)
      return std::nullopt;
    p->trailing = shape->size() - 1 - position;
    return p;
  }
  if (isa_and_present<ONNX::AddOp, ONNX::SubOp>(value.getDefiningOp())) {
    Operation *op = value.getDefiningOp();
    for (int side = 0; side < 2; ++side) {
      Value vector = op->getOperand(side), offset = op->getOperand(1 - side);
      if (!isUnitTensor(offset.getType(), 1) || (isa<ONNX::SubOp>(op) && side == 1))
        continue;
      std::optional<Positions> p = matchPositions(vector, depth + 1);
      if (!p || value.getType() != vector.getType())
        continue;
      SymbolicInt shift = getSymbolicInt(offset);
      p->base = isa<ONNX::SubOp>(op) ? p->base - shift : p->base + shift;
      return p;
    }
  }
  return std::nullopt;
}

/// The triangle kept by a comparison of a column position vector with a row
/// one (j + cb <= i + rb and the like).
std::optional<Triangle> matchComparison(Value value, bool negated) {
  Operation *op = value.getDefiningOp();
  if (!isa_and_present<ONNX::LessOp, ONNX::LessOrEqualOp, ONNX::GreaterOp,
                       ONNX::GreaterOrEqualOp>(op))
    return std::nullopt;
  // Normalized to `small (<= or <) large`.
  bool swap = isa<ONNX::GreaterOp, ONNX::GreaterOrEqualOp>(op);
  bool strict = isa<ONNX::LessOp, ONNX::GreaterOp>(op);
  Value small = op->getOperand(swap ? 1 : 0), large = op->getOperand(swap ? 0 : 1);
  if (negated) {
    // !(a <= b) is b < a; !(a < b) is b <= a.
    std::swap(small, large);
    strict = !strict;
  }
  std::optional<Positions> col = matchPositions(small);
  std::optional<Positions> row = matchPositions(large);
  if (!col || !row || col->trailing != 0 || row->trailing != 1)
    return std::nullopt;
  SymbolicInt k = row->base - col->base;
  if (strict)
    k.constant -= 1;
  return Triangle{row->count, col->count, k};
}

/// The triangle kept by rows [a, b) and columns [0, c) of a constant
/// lower-triangular table (GPT-2's `bias` buffer).
std::optional<Triangle> matchSlicedTable(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() < 2 || !defOp<ONNX::SliceOp>(value))
    return std::nullopt;
  int64_t rank = type.getRank();
  std::optional<SymbolicInt> starts[2], ends[2];
  while (auto slice = defOp<ONNX::SliceOp>(value)) {
    auto sliceType = dyn_cast<RankedTensorType>(slice.getData().getType());
    if (!sliceType || sliceType.getRank() != rank)
      return std::nullopt;
    SmallVector<int64_t> axes;
    if (slice.getAxes()) {
      auto constAxes = ONNX::getConstantIntValues(slice.getAxes());
      if (!constAxes)
        return std::nullopt;
      axes = *constAxes;
    } else {
      auto count = dyn_cast<RankedTensorType>(slice.getStarts().getType());
      if (!count || !count.hasStaticShape())
        return std::nullopt;
      for (int64_t i = 0; i < count.getNumElements(); ++i)
        axes.push_back(i);
    }
    if (slice.getSteps()) {
      auto steps = ONNX::getConstantIntValues(slice.getSteps());
      if (!steps || llvm::any_of(*steps, [](int64_t s) { return s != 1; }))
        return std::nullopt;
    }
    for (auto [i, a] : llvm::enumerate(axes)) {
      std::optional<int64_t> axis = ONNX::normalizeAxis(a, rank);
      if (!axis)
        return std::nullopt;
      if (*axis < rank - 2)
        continue;
      int64_t which = *axis - (rank - 2);
      if (starts[which])
        return std::nullopt;
      starts[which] = getSymbolicInt(slice.getStarts(), i);
      ends[which] = getSymbolicInt(slice.getEnds(), i);
    }
    value = slice.getData();
  }
  auto tableType = dyn_cast<RankedTensorType>(value.getType());
  if (!tableType || !tableType.hasStaticShape())
    return std::nullopt;
  int64_t m = tableType.getDimSize(rank - 2), n = tableType.getDimSize(rank - 1);
  std::optional<SmallVector<double>> values = getConstantElements(value);
  if (!values || static_cast<int64_t>(values->size()) != m * n)
    return std::nullopt;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      if (((*values)[i * n + j] != 0.0) != (j <= i))
        return std::nullopt;
  SymbolicInt zero, rowsEnd, colsEnd;
  rowsEnd.constant = m;
  colsEnd.constant = n;
  SymbolicInt a = starts[0].value_or(zero), b = ends[0].value_or(rowsEnd);
  SymbolicInt c = ends[1].value_or(colsEnd);
  if (starts[1] && !(*starts[1] == zero))
    return std::nullopt;
  // mask[i, j] = table[a + i, j] = (j <= i + a), R = b - a, C = c.
  return Triangle{b - a, c, a};
}

/// Whether the boolean condition `value` (negated if so) keeps exactly the
/// causal triangle, j <= i + (C - R).
bool isCausalCondition(Value value, bool negated) {
  value = stripBroadcast(value);
  if (auto cast = defOp<ONNX::CastOp>(value)) {
    // bool(t) keeps t's non-zero entries: a Trilu of a non-zero fill.
    if (std::optional<TriluInfo> trilu = matchTrilu(cast.getInput())) {
      if (trilu->fill == 0.0)
        return false;
      SymbolicInt k = trilu->k;
      if (trilu->upper == negated) {
        // Lower (keeps j - i <= k), or the negation of an upper one (keeps
        // j - i < k).
        if (negated)
          k.constant -= 1;
        return Triangle{trilu->rows, trilu->cols, k}.isCausal();
      }
      return false;
    }
    return false;
  }
  if (std::optional<TriluInfo> trilu = matchTrilu(value)) {
    if (trilu->fill == 0.0 || trilu->upper != negated)
      return false;
    SymbolicInt k = trilu->k;
    if (negated)
      k.constant -= 1;
    return Triangle{trilu->rows, trilu->cols, k}.isCausal();
  }
  if (std::optional<Triangle> t = matchComparison(value, negated))
    return t->isCausal();
  if (!negated)
    if (std::optional<Triangle> t = matchSlicedTable(value))
      return t->isCausal();
  return false;
}

/// Whether an additive mask is exactly 0 on the causal triangle and a large
/// negative above it: Trilu(upper, k) of a large-negative fill.
bool isCausalAdditiveMask(Value value) {
  std::optional<TriluInfo> trilu = matchTrilu(stripBroadcast(value));
  if (!trilu || !trilu->upper || trilu->fill > kMaskThreshold)
    return false;
  // Masks j - i >= k: keeps j <= i + k - 1.
  SymbolicInt k = trilu->k;
  k.constant -= 1;
  return Triangle{trilu->rows, trilu->cols, k}.isCausal();
}

/// Whether the mask's matrix dimensions can stand for [Sq, Skv] of
/// `scores`: a static 1 only where the scores' dimension is 1 too.
bool matchesScoreMatrix(Value mask, RankedTensorType scores) {
  auto type = dyn_cast<RankedTensorType>(stripBroadcast(mask).getType());
  if (!type || type.getRank() < 2)
    return false;
  for (int64_t i = 0; i < 2; ++i) {
    int64_t m = type.getDimSize(type.getRank() - 2 + i);
    int64_t s = scores.getDimSize(2 + i);
    if ((m == 1 && s != 1) ||
        (!ShapedType::isDynamic(m) && !ShapedType::isDynamic(s) && m != s))
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// repeat_kv
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// The pattern
//===----------------------------------------------------------------------===//

/// The probabilities' Softmax and the scores it normalizes, looking through
/// a Cast to f32 before it and one back after it.
std::optional<Value> matchSoftmaxInput(Value probabilities, Type elementType) {
  if (auto cast = defOp<ONNX::CastOp>(probabilities))
    probabilities = cast.getInput();
  auto softmax = defOp<ONNX::SoftmaxOp>(probabilities);
  if (!softmax)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(softmax.getInput().getType());
  if (!type || type.getRank() != 4 || !isLastAxis(softmax.getAxis(), 4))
    return std::nullopt;
  Value scores = softmax.getInput();
  if (auto cast = defOp<ONNX::CastOp>(scores))
    if (getElementTypeOrSelf(cast.getInput().getType()) == elementType)
      scores = cast.getInput();
  if (getElementTypeOrSelf(scores.getType()) != elementType)
    return std::nullopt;
  return scores;
}

struct AttentionPattern : OpRewritePattern<ONNX::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getType());
    if (!resultType || resultType.getRank() != 4 ||
        !isa<FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "not a 4-D float MatMul");
    Type elementType = resultType.getElementType();
    std::optional<Value> scoresValue = matchSoftmaxInput(op.getA(), elementType);
    if (!scoresValue)
      return rewriter.notifyMatchFailure(op, "not Softmax(last axis) @ V");
    Scores scores;
    if (!parseScores(*scoresValue, scores))
      return rewriter.notifyMatchFailure(op, "scores are not Q K^T + masks");
    auto scoresType = cast<RankedTensorType>(scoresValue->getType());

    Location loc = op.getLoc();
    double scale = scores.scale;
    Value query = stripScale(scores.query, scale);
    Value keyTransposed = stripScale(scores.keyTransposed, scale);
    Value value = op.getB();
    auto queryType = dyn_cast<RankedTensorType>(query.getType());
    auto keyTType = dyn_cast<RankedTensorType>(keyTransposed.getType());
    auto valueType = dyn_cast<RankedTensorType>(value.getType());
    if (!queryType || !keyTType || !valueType || queryType.getRank() != 4 ||
        keyTType.getRank() != 4 || valueType.getRank() != 4 ||
        queryType.getElementType() != elementType ||
        keyTType.getElementType() != elementType ||
        valueType.getElementType() != elementType)
      return rewriter.notifyMatchFailure(op, "Q, K, V are not 4-D of one type");

    // The key as [B, Hkv, Skv, D]: what K^T transposes, if it swaps the last
    // two dimensions of something.
    Value keySource = keyTransposed;
    SmallVector<int64_t> keyPerm = {0, 1, 3, 2};
    if (auto transpose = defOp<ONNX::TransposeOp>(keyTransposed)) {
      if (std::optional<ArrayAttr> perm = transpose.getPerm()) {
        keyPerm.clear();
        for (Attribute a : *perm)
          keyPerm.push_back(cast<IntegerAttr>(a).getInt());
        std::swap(keyPerm[2], keyPerm[3]);
        keySource = stripScale(transpose.getData(), scale);
      }
    }
    bool keyIsSource = keyPerm == SmallVector<int64_t>{0, 1, 2, 3};

    // Heads repeated for GQA/MQA: strip the repetition from both.
    std::optional<std::pair<Value, int64_t>> keyBase, valueBase;
    if (keyIsSource) {
      keyBase = stripRepeatKV(keySource);
      valueBase = stripRepeatKV(value);
    }
    bool stripRepeat = keyBase && valueBase && keyBase->second == valueBase->second;

    // Masks: causal conjuncts set `causal`, the rest stay as an additive mask.
    bool causal = false;
    SmallVector<Condition> residual;
    SmallVector<Value> additive;
    for (const Condition &condition : scores.conditions)
      splitConjuncts(condition.value, condition.negated, condition.fill,
                     residual);
    for (Value mask : scores.additive) {
      auto where = defOp<ONNX::WhereOp>(mask);
      if (where && isSplatNear(where.getX(), 0.0, 0.0) &&
          isUnitTensor(where.getX().getType(), 4) && isLargeNegative(where.getY())) {
        splitConjuncts(where.getCondition(), false, where.getY(), residual);
      } else if (where && isSplatNear(where.getY(), 0.0, 0.0) &&
                 isUnitTensor(where.getY().getType(), 4) &&
                 isLargeNegative(where.getX())) {
        splitConjuncts(where.getCondition(), true, where.getX(), residual);
      } else if (isCausalAdditiveMask(mask) &&
                 matchesScoreMatrix(mask, scoresType)) {
        causal = true;
      } else {
        auto maskType = dyn_cast<RankedTensorType>(mask.getType());
        if (!maskType || maskType.getElementType() != elementType)
          return rewriter.notifyMatchFailure(op, "mask of another type");
        additive.push_back(mask);
      }
    }
    llvm::erase_if(residual, [&](const Condition &c) {
      if (isCausalCondition(c.value, c.negated) &&
          matchesScoreMatrix(c.value, scoresType)) {
        causal = true;
        return true;
      }
      return false;
    });
    int64_t sq = queryType.getDimSize(2), skv = valueType.getDimSize(2);
    if (causal && !ShapedType::isDynamic(sq) && !ShapedType::isDynamic(skv) &&
        sq > skv)
      return rewriter.notifyMatchFailure(op, "causal with Sq > Skv");

    // Shapes the new ops need, checked before anything is created.
    Value key = keyIsSource ? keySource : Value();
    auto finalKeyType = keyIsSource
                            ? cast<RankedTensorType>(keySource.getType())
                            : RankedTensorType();
    if (stripRepeat) {
      key = keyBase->first;
      value = valueBase->first;
      finalKeyType = cast<RankedTensorType>(key.getType());
    }
    if (finalKeyType) {
      int64_t hq = queryType.getDimSize(1), hkv = finalKeyType.getDimSize(1);
      if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv) &&
          (hkv == 0 || hq % hkv != 0))
        return rewriter.notifyMatchFailure(op, "heads do not group");
      if (cast<RankedTensorType>(value.getType()).getDimSize(1) != hkv)
        return rewriter.notifyMatchFailure(op, "key and value heads differ");
    }
    int64_t qb = queryType.getDimSize(0);
    for (Value v : {keyTransposed, value}) {
      int64_t b = cast<RankedTensorType>(v.getType()).getDimSize(0);
      if (!ShapedType::isDynamic(qb) && !ShapedType::isDynamic(b) && qb != b)
        return rewriter.notifyMatchFailure(op, "batch broadcasts");
    }
    for (Value mask : additive)
      if (cast<RankedTensorType>(mask.getType()).getRank() > 4)
        return rewriter.notifyMatchFailure(op, "mask of rank > 4");
    for (const Condition &c : residual) {
      auto condType = dyn_cast<RankedTensorType>(c.value.getType());
      if (!condType || condType.getRank() > 4 || !getSplatValue(c.fill))
        return rewriter.notifyMatchFailure(op, "condition of rank > 4");
    }

    // Rewrite.
    if (!key)
      key = createTranspose(rewriter, loc, keySource, keyPerm);
    Value mask;
    auto addMask = [&](Value m) {
      mask = mask ? Value(createInferred<ONNX::AddOp>(rewriter, loc,
                                                      elementType, mask, m))
                  : m;
    };
    for (const Condition &c : residual) {
      Value cond = c.value;
      if (c.negated)
        cond = createInferred<ONNX::NotOp>(rewriter, loc, rewriter.getI1Type(),
                                           cond);
      std::optional<double> fill = getSplatValue(c.fill);
      Value zero = createScalarConstant(rewriter, loc, elementType, 0.0);
      Value negative = createScalarConstant(rewriter, loc, elementType, *fill);
      addMask(createInferred<ONNX::WhereOp>(rewriter, loc, elementType, cond,
                                            zero, negative));
    }
    for (Value m : additive)
      addMask(m);

    LDBG() << "attention at " << loc << " scale " << scale
           << (causal ? " causal" : "") << (mask ? " masked" : "");
    rewriter.replaceOp(
        op, XF::AttentionOp::create(rewriter, loc, resultType, query, key,
                                    value, mask,
                                    rewriter.getF32FloatAttr(
                                        static_cast<float>(scale)),
                                    causal ? rewriter.getUnitAttr()
                                           : UnitAttr()));
    return success();
  }
};

} // namespace

void xf::populateAttentionFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<AttentionPattern>(patterns.getContext(), /*benefit=*/2);
}
