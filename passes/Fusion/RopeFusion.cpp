//===- RopeFusion.cpp - rotary position embedding -------------------------===//
//
// x * cos + rotate(x) * sin -> xf.rope, in the two forms exporters write:
//
//   rotate_half (GPT-NeoX, Llama in Hugging Face): rotate(x) = Concat(-x2,
//     x1) of the two halves of the last axis; cos/sin repeat each row's
//     first half in its second (Concat(f, f)).
//   interleaved (GPT-J, Llama's original code): rotate(x) = stack(-x[...,
//     1::2], x[..., ::2], -1) flattened back to [..., D]; the two every-other
//     parts are Slices with step 2, or the two columns of x reshaped to
//     [..., D/2, 2] (Gather, Split or Slice, with or without Squeeze);
//     cos/sin repeat each element twice in a row (repeat_interleave:
//     Reshape of Concat/Expand/Tile of Unsqueeze(f, -1)).
//
// Tables are read through elementwise math and data movement that keep the
// last axis whole, or checked element by element when constant.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/Fusion.h"
#include "passes/Fusion/FusionUtils.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/ShapeHelpers.h"
#include "dialects/XF/IR/XFOps.h"

#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-fuse-onnx-to-xf"

using namespace mlir;
using namespace xf::fusion;
namespace ONNX = xf::ONNX;
namespace XF = xf::XF;

namespace {

/// The first index and the length that `slice` takes of the last axis of
/// its [..., D] input, if it slices only that axis with step 1.
std::optional<std::pair<int64_t, int64_t>> lastAxisSlice(ONNX::SliceOp slice,
                                                         int64_t rank,
                                                         int64_t d) {
  auto starts = ONNX::getConstantIntValues(slice.getStarts());
  auto ends = ONNX::getConstantIntValues(slice.getEnds());
  auto axes = slice.getAxes() ? ONNX::getConstantIntValues(slice.getAxes())
                              : std::nullopt;
  if (!starts || !ends || !axes || starts->size() != 1 || ends->size() != 1 ||
      axes->size() != 1 || !isLastAxis((*axes)[0], rank))
    return std::nullopt;
  if (slice.getSteps()) {
    auto steps = ONNX::getConstantIntValues(slice.getSteps());
    if (!steps || steps->size() != 1 || (*steps)[0] != 1)
      return std::nullopt;
  }
  return ONNX::sliceRange(d, (*starts)[0], (*ends)[0], 1);
}

/// The two halves of `x` along its last axis, if `lo` and `hi` are them:
/// Slices [0, D/2) and [D/2, D), or the two results of an even Split.
bool areHalves(Value lo, Value hi, Value &x) {
  if (auto split = defOp<ONNX::SplitOp>(lo)) {
    auto type = dyn_cast<RankedTensorType>(split.getInput().getType());
    if (!type || split.getNumResults() != 2 || lo != split.getResult(0) ||
        hi != split.getResult(1) || !isLastAxis(split.getAxis(), type.getRank()) ||
        lo.getType() != hi.getType())
      return false;
    x = split.getInput();
    return true;
  }
  auto first = defOp<ONNX::SliceOp>(lo), second = defOp<ONNX::SliceOp>(hi);
  if (!first || !second || first.getData() != second.getData())
    return false;
  auto type = dyn_cast<RankedTensorType>(first.getData().getType());
  if (!type || type.getRank() < 1 || type.isDynamicDim(type.getRank() - 1))
    return false;
  int64_t d = type.getShape().back();
  auto a = lastAxisSlice(first, type.getRank(), d);
  auto b = lastAxisSlice(second, type.getRank(), d);
  if (d % 2 != 0 || !a || !b || *a != std::pair<int64_t, int64_t>(0, d / 2) ||
      *b != std::pair<int64_t, int64_t>(d / 2, d / 2))
    return false;
  x = first.getData();
  return true;
}

/// `x` if `value` is rotate_half(x) = Concat(-x2, x1) on the last axis.
Value matchRotateHalf(Value value) {
  auto concat = defOp<ONNX::ConcatOp>(value);
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!concat || !type || concat.getInputs().size() != 2 ||
      !isLastAxis(concat.getAxis(), type.getRank()))
    return {};
  auto neg = defOp<ONNX::NegOp>(concat.getInputs()[0]);
  Value x;
  if (!neg || !areHalves(concat.getInputs()[1], neg.getX(), x) ||
      x.getType() != value.getType())
    return {};
  return x;
}

/// Whether `reshape` only splits or merges trailing axes: the leading
/// entries of its target (all but the last `tail.size()`) are 0 or equal
/// (symbolically) to that dimension of `leading` or of the reshape's input,
/// and the others are `tail` (one of them may be -1).
bool keepsLeadingDims(ONNX::ReshapeOp reshape, Value leading,
                      ArrayRef<int64_t> tail) {
  auto in = dyn_cast<RankedTensorType>(reshape.getData().getType());
  auto out = dyn_cast<RankedTensorType>(reshape.getType());
  auto target = dyn_cast<RankedTensorType>(reshape.getShape().getType());
  int64_t numLeading = out ? out.getRank() - static_cast<int64_t>(tail.size())
                           : -1;
  if (!in || !out || !target || !target.hasStaticShape() ||
      target.getNumElements() != out.getRank() || numLeading < 0 ||
      numLeading >= in.getRank())
    return false;
  for (int64_t i = 0; i < numLeading; ++i) {
    SymbolicInt entry = getSymbolicInt(reshape.getShape(), i);
    if (!(entry == SymbolicInt()) &&
        !(entry == getSymbolicDim(leading, i)) &&
        !(entry == getSymbolicDim(reshape.getData(), i)))
      return false;
  }
  int64_t inferred = 0;
  for (auto [j, expected] : llvm::enumerate(tail)) {
    SymbolicInt entry = getSymbolicInt(reshape.getShape(), numLeading + j);
    if (!entry.isConstant())
      return false;
    if (entry.constant == -1 && ++inferred == 1)
      continue;
    if (entry.constant != expected)
      return false;
  }
  return true;
}

/// One element of every pair (2i, 2i + 1) on the last axis of `x`, possibly
/// negated.
struct PairElement {
  Value x;
  int64_t index = 0; // 0: x[..., ::2], 1: x[..., 1::2]
  bool negated = false;
};

/// `x` if `value` is x [..., D] reshaped to [..., D/2, 2].
Value matchPairsOf(Value value) {
  auto reshape = defOp<ONNX::ReshapeOp>(value);
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!reshape || !type || type.getRank() < 2 ||
      type.getShape().back() != 2)
    return {};
  Value x = reshape.getData();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  if (!xType || xType.getRank() != type.getRank() - 1 ||
      xType.isDynamicDim(xType.getRank() - 1) ||
      xType.getShape().back() != 2 * type.getDimSize(type.getRank() - 2) ||
      !keepsLeadingDims(reshape, x,
                        {type.getDimSize(type.getRank() - 2), 2}))
    return {};
  return x;
}

std::optional<PairElement> matchPairColumn(Value value, int depth);

/// x[..., index::2] ([..., D/2]): a Slice with step 2 of x, a Gather of a
/// column of x's pairs, or a squeezed pair column.
std::optional<PairElement> matchEveryOther(Value value, int depth = 0) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() < 1 || depth > 6)
    return std::nullopt;
  int64_t rank = type.getRank();
  if (auto neg = defOp<ONNX::NegOp>(value)) {
    std::optional<PairElement> e = matchEveryOther(neg.getX(), depth + 1);
    if (e)
      e->negated = !e->negated;
    return e;
  }
  if (auto slice = defOp<ONNX::SliceOp>(value)) {
    auto xType = dyn_cast<RankedTensorType>(slice.getData().getType());
    auto starts = ONNX::getConstantIntValues(slice.getStarts());
    auto ends = ONNX::getConstantIntValues(slice.getEnds());
    auto axes = slice.getAxes() ? ONNX::getConstantIntValues(slice.getAxes())
                                : std::nullopt;
    auto steps = slice.getSteps()
                     ? ONNX::getConstantIntValues(slice.getSteps())
                     : std::nullopt;
    if (!xType || xType.getRank() != rank ||
        xType.isDynamicDim(rank - 1) || !starts || !ends || !axes || !steps ||
        starts->size() != 1 || ends->size() != 1 || axes->size() != 1 ||
        steps->size() != 1 || !isLastAxis((*axes)[0], rank) ||
        (*steps)[0] != 2)
      return std::nullopt;
    int64_t d = xType.getShape().back();
    auto range = ONNX::sliceRange(d, (*starts)[0], (*ends)[0], 2);
    if (d % 2 != 0 || range.second != d / 2 ||
        (range.first != 0 && range.first != 1))
      return std::nullopt;
    for (int64_t i = 0; i < rank - 1; ++i)
      if (xType.getDimSize(i) != type.getDimSize(i))
        return std::nullopt;
    return PairElement{slice.getData(), range.first, false};
  }
  if (auto gather = defOp<ONNX::GatherOp>(value)) {
    auto indices = ONNX::getConstantIntValues(gather.getIndices());
    auto indexType = dyn_cast<RankedTensorType>(gather.getIndices().getType());
    Value x = matchPairsOf(gather.getData());
    if (!x || !indices || !indexType || indexType.getRank() != 0 ||
        !isLastAxis(gather.getAxis(), rank + 1))
      return std::nullopt;
    int64_t index = (*indices)[0] < 0 ? (*indices)[0] + 2 : (*indices)[0];
    if (index != 0 && index != 1)
      return std::nullopt;
    return PairElement{x, index, false};
  }
  if (auto squeeze = defOp<ONNX::SqueezeOp>(value)) {
    auto axes = squeeze.getAxes()
                    ? ONNX::getConstantIntValues(squeeze.getAxes())
                    : std::nullopt;
    if (!axes || axes->size() != 1 || !isLastAxis((*axes)[0], rank + 1))
      return std::nullopt;
    return matchPairColumn(squeeze.getData(), depth + 1);
  }
  return std::nullopt;
}

/// x[..., index::2, None] ([..., D/2, 1]): an unsqueezed every-other part,
/// or one column of x's pairs taken by Slice or Split.
std::optional<PairElement> matchPairColumn(Value value, int depth) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() < 2 || type.getShape().back() != 1 ||
      depth > 6)
    return std::nullopt;
  int64_t rank = type.getRank();
  if (auto neg = defOp<ONNX::NegOp>(value)) {
    std::optional<PairElement> e = matchPairColumn(neg.getX(), depth + 1);
    if (e)
      e->negated = !e->negated;
    return e;
  }
  if (auto unsqueeze = defOp<ONNX::UnsqueezeOp>(value)) {
    auto axes = ONNX::getConstantIntValues(unsqueeze.getAxes());
    if (!axes || axes->size() != 1 || !isLastAxis((*axes)[0], rank))
      return std::nullopt;
    return matchEveryOther(unsqueeze.getData(), depth + 1);
  }
  if (auto slice = defOp<ONNX::SliceOp>(value)) {
    Value x = matchPairsOf(slice.getData());
    auto starts = ONNX::getConstantIntValues(slice.getStarts());
    auto ends = ONNX::getConstantIntValues(slice.getEnds());
    auto axes = slice.getAxes() ? ONNX::getConstantIntValues(slice.getAxes())
                                : std::nullopt;
    if (!x || !starts || !ends || !axes || starts->size() != 1 ||
        ends->size() != 1 || axes->size() != 1 ||
        !isLastAxis((*axes)[0], rank))
      return std::nullopt;
    if (slice.getSteps()) {
      auto steps = ONNX::getConstantIntValues(slice.getSteps());
      if (!steps || steps->size() != 1 || (*steps)[0] != 1)
        return std::nullopt;
    }
    auto range = ONNX::sliceRange(2, (*starts)[0], (*ends)[0], 1);
    if (range.second != 1)
      return std::nullopt;
    return PairElement{x, range.first, false};
  }
  if (auto split = defOp<ONNX::SplitOp>(value)) {
    Value x = matchPairsOf(split.getInput());
    if (!x || split.getNumResults() != 2 ||
        !isLastAxis(split.getAxis(), rank))
      return std::nullopt;
    return PairElement{x, value == split.getResult(0) ? 0 : 1, false};
  }
  return std::nullopt;
}

/// `x` if `value` is GPT-J's rotate_every_two(x): stack(-x[..., 1::2],
/// x[..., ::2], -1) reshaped back to x's shape.
Value matchRotateEveryTwo(Value value) {
  auto reshape = defOp<ONNX::ReshapeOp>(value);
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!reshape || !type || type.getRank() < 1 ||
      type.isDynamicDim(type.getRank() - 1))
    return {};
  Value stacked = reshape.getData();
  auto concat = defOp<ONNX::ConcatOp>(stacked);
  auto stackedType = dyn_cast<RankedTensorType>(stacked.getType());
  if (!concat || !stackedType || stackedType.getRank() != type.getRank() + 1 ||
      stackedType.getShape().back() != 2 || concat.getInputs().size() != 2 ||
      !isLastAxis(concat.getAxis(), stackedType.getRank()))
    return {};
  std::optional<PairElement> first = matchPairColumn(concat.getInputs()[0], 0);
  std::optional<PairElement> second =
      matchPairColumn(concat.getInputs()[1], 0);
  if (!first || !second || first->x != second->x || first->index != 1 ||
      !first->negated || second->index != 0 || second->negated ||
      first->x.getType() != value.getType() ||
      !keepsLeadingDims(reshape, first->x, {type.getShape().back()}))
    return {};
  return first->x;
}

/// Concat(a, a) on the last axis (rotate_half), or repeat_interleave(a, 2,
/// -1) as Reshape(Concat(u, u) | Expand | Tile of u = Unsqueeze(a, -1))
/// (interleaved).
bool isRepeatingConstruction(Operation *op, int64_t rank,
                             XF::RopeStyle style) {
  if (style == XF::RopeStyle::rotate_half) {
    auto concat = dyn_cast<ONNX::ConcatOp>(op);
    return concat && concat.getInputs().size() == 2 &&
           concat.getInputs()[0] == concat.getInputs()[1] &&
           isLastAxis(concat.getAxis(), rank);
  }
  auto reshape = dyn_cast<ONNX::ReshapeOp>(op);
  if (!reshape)
    return false;
  Value pairs = reshape.getData();
  auto pairsType = dyn_cast<RankedTensorType>(pairs.getType());
  auto type = cast<RankedTensorType>(reshape.getType());
  if (!pairsType || pairsType.getRank() != rank + 1 ||
      pairsType.getShape().back() != 2 || type.isDynamicDim(rank - 1) ||
      type.getShape().back() != 2 * pairsType.getDimSize(rank - 1) ||
      !keepsLeadingDims(reshape, pairs, {type.getShape().back()}))
    return false;
  Value column;
  if (auto concat = defOp<ONNX::ConcatOp>(pairs)) {
    if (concat.getInputs().size() != 2 ||
        concat.getInputs()[0] != concat.getInputs()[1] ||
        !isLastAxis(concat.getAxis(), rank + 1))
      return false;
    column = concat.getInputs()[0];
  } else if (auto expand = defOp<ONNX::ExpandOp>(pairs)) {
    column = expand.getInput();
  } else if (auto tile = defOp<ONNX::TileOp>(pairs)) {
    auto repeats = ONNX::getConstantIntValues(tile.getRepeats());
    if (!repeats || static_cast<int64_t>(repeats->size()) != rank + 1 ||
        repeats->back() != 2 ||
        llvm::any_of(ArrayRef<int64_t>(*repeats).drop_back(),
                     [](int64_t r) { return r != 1; }))
      return false;
    column = tile.getInput();
  } else {
    return false;
  }
  auto columnType = dyn_cast<RankedTensorType>(column.getType());
  auto unsqueeze = defOp<ONNX::UnsqueezeOp>(column);
  auto axes = unsqueeze ? ONNX::getConstantIntValues(unsqueeze.getAxes())
                        : std::nullopt;
  return columnType && columnType.getRank() == rank + 1 &&
         columnType.getShape().back() == 1 && axes && axes->size() == 1 &&
         isLastAxis((*axes)[0], rank + 1) &&
         columnType.getDimSize(rank - 1) == pairsType.getDimSize(rank - 1);
}

/// Whether every row of `value` ([..., D]) repeats as `style` needs (its
/// first half in its second for rotate_half, every element twice in a row
/// for interleaved): a repeating construction, looked at through
/// elementwise math, broadcasts with a last dimension of 1 and data
/// movement that keeps the last axis whole; or a constant that does.
bool isRepeatingTable(Value value, XF::RopeStyle style, int depth = 0) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() < 1 || depth > 12)
    return false;
  int64_t rank = type.getRank();
  Operation *op = value.getDefiningOp();
  if (!op)
    return false;
  auto repeats = [&](Value operand, int nextDepth) {
    return isRepeatingTable(operand, style, nextDepth);
  };
  if (isRepeatingConstruction(op, rank, style))
    return true;
  if (isa<ONNX::CosOp, ONNX::SinOp, ONNX::CastOp, ONNX::IdentityOp,
          ONNX::NegOp>(op))
    return repeats(op->getOperand(0), depth + 1);
  if (isa<ONNX::MulOp, ONNX::DivOp, ONNX::AddOp, ONNX::SubOp>(op)) {
    auto ok = [&](Value operand) {
      auto t = dyn_cast<RankedTensorType>(operand.getType());
      if (t && (t.getRank() == 0 || t.getShape().back() == 1))
        return true;
      return repeats(operand, depth + 1);
    };
    return ok(op->getOperand(0)) && ok(op->getOperand(1));
  }
  if (auto unsqueeze = dyn_cast<ONNX::UnsqueezeOp>(op)) {
    auto axes = ONNX::getConstantIntValues(unsqueeze.getAxes());
    return axes && llvm::none_of(*axes, [&](int64_t a) {
             return isLastAxis(a, rank);
           }) && repeats(unsqueeze.getData(), depth + 1);
  }
  if (auto gather = dyn_cast<ONNX::GatherOp>(op)) {
    auto data = dyn_cast<RankedTensorType>(gather.getData().getType());
    return data && !isLastAxis(gather.getAxis(), data.getRank()) &&
           repeats(gather.getData(), depth + 1);
  }
  if (auto transpose = dyn_cast<ONNX::TransposeOp>(op)) {
    std::optional<ArrayAttr> perm = transpose.getPerm();
    return perm && cast<IntegerAttr>(perm->getValue().back()).getInt() ==
                       rank - 1 &&
           repeats(transpose.getData(), depth + 1);
  }
  if (auto slice = dyn_cast<ONNX::SliceOp>(op)) {
    auto axes = slice.getAxes() ? ONNX::getConstantIntValues(slice.getAxes())
                                : std::nullopt;
    return axes && llvm::none_of(*axes, [&](int64_t a) {
             return isLastAxis(a, rank);
           }) && repeats(slice.getData(), depth + 1);
  }
  if (auto expand = dyn_cast<ONNX::ExpandOp>(op)) {
    auto input = dyn_cast<RankedTensorType>(expand.getInput().getType());
    return input && input.getRank() >= 1 &&
           input.getShape().back() == type.getShape().back() &&
           !ShapedType::isDynamic(input.getShape().back()) &&
           repeats(expand.getInput(), depth + 1);
  }
  if (type.hasStaticShape() && !type.isDynamicDim(rank - 1)) {
    int64_t d = type.getShape().back();
    auto values = getConstantElements(value);
    if (!values || d % 2 != 0)
      return false;
    bool interleaved = style == XF::RopeStyle::interleaved;
    for (int64_t row = 0, e = values->size() / d; row < e; ++row)
      for (int64_t i = 0; i < d / 2; ++i) {
        int64_t a = interleaved ? 2 * i : i;
        int64_t b = interleaved ? 2 * i + 1 : i + d / 2;
        if ((*values)[row * d + a] != (*values)[row * d + b])
          return false;
      }
    return true;
  }
  return false;
}

/// Whether `table`, a cos or sin table [.., D] that broadcasts against the
/// input [B, H, S, D], has head dimension 1 and repeats as `style` needs;
/// sets `perSequence` when it has a batch dimension other than 1.
bool isRopeTable(Value table, RankedTensorType input, XF::RopeStyle style,
                 bool &perSequence) {
  auto type = dyn_cast<RankedTensorType>(table.getType());
  if (!type || type.getRank() < 2 || type.getRank() > 4 ||
      type.getElementType() != input.getElementType() ||
      type.getShape().back() != input.getShape().back() ||
      !isRepeatingTable(table, style))
    return false;
  // Aligned on the right with [B, H, S, D].
  SmallVector<int64_t, 4> dims(4 - type.getRank(), 1);
  llvm::append_range(dims, type.getShape());
  if (dims[1] != 1 || (dims[2] == 1 && input.getDimSize(2) != 1))
    return false;
  if (!ShapedType::isDynamic(dims[0]) && dims[0] != 1 &&
      !input.isDynamicDim(0) && dims[0] != input.getDimSize(0))
    return false;
  perSequence = dims[0] != 1;
  return true;
}

/// The [S, D/2] (or [B, S, D/2] if `perSequence`) table xf.rope takes for a
/// table accepted by isRopeTable: its first halves (rotate_half) or every
/// other element (interleaved), without the unit dimensions in front.
Value buildRopeTable(PatternRewriter &rewriter, Location loc, Value table,
                     XF::RopeStyle style, bool perSequence) {
  auto type = cast<RankedTensorType>(table.getType());
  int64_t d = type.getShape().back();
  bool interleaved = style == XF::RopeStyle::interleaved;
  Type elementType = type.getElementType();
  Value halfTable = createInferred<ONNX::SliceOp>(
      rewriter, loc, elementType, table, createI64Constant(rewriter, loc, {0}),
      createI64Constant(rewriter, loc, {interleaved ? d : d / 2}),
      createI64Constant(rewriter, loc, {-1}),
      interleaved ? createI64Constant(rewriter, loc, {2}) : Value());
  SmallVector<int64_t> squeezed;
  int64_t leading = 4 - type.getRank();
  for (int64_t dim = perSequence ? 1 : 0; dim < 2; ++dim)
    if (dim >= leading)
      squeezed.push_back(dim - leading);
  if (squeezed.empty())
    return halfTable;
  return createInferred<ONNX::SqueezeOp>(
      rewriter, loc, elementType, halfTable,
      createI64Constant(rewriter, loc, squeezed));
}

/// `x` and the style if `value` is rotate_half(x) or rotate_every_two(x).
Value matchRotation(Value value, XF::RopeStyle &style) {
  if (Value x = matchRotateHalf(value)) {
    style = XF::RopeStyle::rotate_half;
    return x;
  }
  style = XF::RopeStyle::interleaved;
  return matchRotateEveryTwo(value);
}

/// x * cos + rotate(x) * sin -> xf.rope(x, cos', sin') with the rotation's
/// style, where cos' and sin' hold each angle once, taken from tables that
/// repeat them as the style pairs elements.
struct RopePattern : OpRewritePattern<ONNX::AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::AddOp op,
                                PatternRewriter &rewriter) const override {
    Value input, cos, sin;
    XF::RopeStyle style = XF::RopeStyle::rotate_half;
    if (!eitherOrder(op, [&](Value direct, Value rotated) {
          return eitherOrder(
              defOp<ONNX::MulOp>(rotated), [&](Value half, Value s) {
                Value x = matchRotation(half, style);
                if (!x || !keepsShape(rotated, x))
                  return false;
                return eitherOrder(defOp<ONNX::MulOp>(direct),
                                   [&](Value y, Value c) {
                                     if (y != x || !keepsShape(direct, x))
                                       return false;
                                     input = x;
                                     cos = c;
                                     sin = s;
                                     return true;
                                   });
              });
        }))
      return rewriter.notifyMatchFailure(op, "not x*cos + rotate(x)*sin");
    auto type = dyn_cast<RankedTensorType>(input.getType());
    if (!type || type.getRank() != 4 || !isa<FloatType>(type.getElementType()) ||
        !keepsShape(op.getC(), input) || cos.getType() != sin.getType())
      return rewriter.notifyMatchFailure(op, "not a [B, H, S, D] input");
    bool perSequence = false, sinPerSequence = false;
    if (!isRopeTable(cos, type, style, perSequence) ||
        !isRopeTable(sin, type, style, sinPerSequence) ||
        perSequence != sinPerSequence)
      return rewriter.notifyMatchFailure(
          op, "cos/sin are not [.., 1, S, D] tables repeated as the "
              "rotation pairs elements");
    Value cosTable =
        buildRopeTable(rewriter, op.getLoc(), cos, style, perSequence);
    Value sinTable =
        buildRopeTable(rewriter, op.getLoc(), sin, style, perSequence);
    LDBG() << "rope (" << XF::stringifyRopeStyle(style) << ") at "
           << op.getLoc();
    rewriter.replaceOp(
        op, XF::RopeOp::create(rewriter, op.getLoc(), type, input, cosTable,
                               sinTable,
                               XF::RopeStyleAttr::get(getContext(), style)));
    return success();
  }
};

} // namespace

void xf::populateRopeFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<RopePattern>(patterns.getContext());
}
