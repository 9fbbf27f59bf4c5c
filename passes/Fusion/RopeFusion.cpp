//===- RopeFusion.cpp - rotary position embedding -------------------------===//

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

/// Whether every row of `value` ([..., D]) repeats its first half in its
/// second: Concat(a, a) on the last axis, looked at through elementwise
/// math, broadcasts with a last dimension of 1 and data movement that keeps
/// the last axis whole; or a constant that does.
bool repeatsHalves(Value value, int depth = 0) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() < 1 || depth > 12)
    return false;
  int64_t rank = type.getRank();
  Operation *op = value.getDefiningOp();
  if (!op)
    return false;
  if (auto concat = dyn_cast<ONNX::ConcatOp>(op))
    return concat.getInputs().size() == 2 &&
           concat.getInputs()[0] == concat.getInputs()[1] &&
           isLastAxis(concat.getAxis(), rank);
  if (isa<ONNX::CosOp, ONNX::SinOp, ONNX::CastOp, ONNX::IdentityOp,
          ONNX::NegOp>(op))
    return repeatsHalves(op->getOperand(0), depth + 1);
  if (isa<ONNX::MulOp, ONNX::DivOp, ONNX::AddOp, ONNX::SubOp>(op)) {
    auto ok = [&](Value operand) {
      auto t = dyn_cast<RankedTensorType>(operand.getType());
      if (t && (t.getRank() == 0 || t.getShape().back() == 1))
        return true;
      return repeatsHalves(operand, depth + 1);
    };
    return ok(op->getOperand(0)) && ok(op->getOperand(1));
  }
  if (auto unsqueeze = dyn_cast<ONNX::UnsqueezeOp>(op)) {
    auto axes = ONNX::getConstantIntValues(unsqueeze.getAxes());
    return axes && llvm::none_of(*axes, [&](int64_t a) {
             return isLastAxis(a, rank);
           }) && repeatsHalves(unsqueeze.getData(), depth + 1);
  }
  if (auto gather = dyn_cast<ONNX::GatherOp>(op)) {
    auto data = dyn_cast<RankedTensorType>(gather.getData().getType());
    return data && !isLastAxis(gather.getAxis(), data.getRank()) &&
           repeatsHalves(gather.getData(), depth + 1);
  }
  if (auto transpose = dyn_cast<ONNX::TransposeOp>(op)) {
    std::optional<ArrayAttr> perm = transpose.getPerm();
    return perm && cast<IntegerAttr>(perm->getValue().back()).getInt() ==
                       rank - 1 &&
           repeatsHalves(transpose.getData(), depth + 1);
  }
  if (auto slice = dyn_cast<ONNX::SliceOp>(op)) {
    auto axes = slice.getAxes() ? ONNX::getConstantIntValues(slice.getAxes())
                                : std::nullopt;
    return axes && llvm::none_of(*axes, [&](int64_t a) {
             return isLastAxis(a, rank);
           }) && repeatsHalves(slice.getData(), depth + 1);
  }
  if (auto expand = dyn_cast<ONNX::ExpandOp>(op)) {
    auto input = dyn_cast<RankedTensorType>(expand.getInput().getType());
    return input && input.getRank() >= 1 &&
           input.getShape().back() == type.getShape().back() &&
           !ShapedType::isDynamic(input.getShape().back()) &&
           repeatsHalves(expand.getInput(), depth + 1);
  }
  if (type.hasStaticShape() && !type.isDynamicDim(rank - 1)) {
    int64_t d = type.getShape().back();
    auto values = getConstantElements(value);
    if (!values || d % 2 != 0)
      return false;
    for (int64_t row = 0, e = values->size() / d; row < e; ++row)
      for (int64_t i = 0; i < d / 2; ++i)
        if ((*values)[row * d + i] != (*values)[row * d + i + d / 2])
          return false;
    return true;
  }
  return false;
}

/// Whether `table`, a cos or sin table [.., D] that broadcasts against the
/// input [B, H, S, D], has head dimension 1 and repeats its halves; sets
/// `perSequence` when it has a batch dimension other than 1.
bool isRopeTable(Value table, RankedTensorType input, bool &perSequence) {
  auto type = dyn_cast<RankedTensorType>(table.getType());
  if (!type || type.getRank() < 2 || type.getRank() > 4 ||
      type.getElementType() != input.getElementType() ||
      type.getShape().back() != input.getShape().back() ||
      !repeatsHalves(table))
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
/// table accepted by isRopeTable: its first halves, without the unit
/// dimensions in front.
Value buildRopeTable(PatternRewriter &rewriter, Location loc, Value table,
                     bool perSequence) {
  auto type = cast<RankedTensorType>(table.getType());
  int64_t half = type.getShape().back() / 2;
  Type elementType = type.getElementType();
  Value halfTable = createInferred<ONNX::SliceOp>(
      rewriter, loc, elementType, table, createI64Constant(rewriter, loc, {0}),
      createI64Constant(rewriter, loc, {half}),
      createI64Constant(rewriter, loc, {-1}), Value());
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

/// x * cos + rotate_half(x) * sin -> xf.rope(x, cos', sin') rotate_half,
/// where cos' and sin' are the first halves of tables that repeat them.
struct RotateHalfRopePattern : OpRewritePattern<ONNX::AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ONNX::AddOp op,
                                PatternRewriter &rewriter) const override {
    Value input, cos, sin;
    if (!eitherOrder(op, [&](Value direct, Value rotated) {
          return eitherOrder(
              defOp<ONNX::MulOp>(rotated), [&](Value half, Value s) {
                Value x = matchRotateHalf(half);
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
      return rewriter.notifyMatchFailure(op, "not x*cos + rotate_half(x)*sin");
    auto type = dyn_cast<RankedTensorType>(input.getType());
    if (!type || type.getRank() != 4 || !isa<FloatType>(type.getElementType()) ||
        !keepsShape(op.getC(), input) || cos.getType() != sin.getType())
      return rewriter.notifyMatchFailure(op, "not a [B, H, S, D] input");
    bool perSequence = false, sinPerSequence = false;
    if (!isRopeTable(cos, type, perSequence) ||
        !isRopeTable(sin, type, sinPerSequence) ||
        perSequence != sinPerSequence)
      return rewriter.notifyMatchFailure(
          op, "cos/sin are not [.., 1, S, D] tables with repeated halves");
    Value cosTable = buildRopeTable(rewriter, op.getLoc(), cos, perSequence);
    Value sinTable = buildRopeTable(rewriter, op.getLoc(), sin, perSequence);
    LDBG() << "rope at " << op.getLoc();
    rewriter.replaceOp(
        op, XF::RopeOp::create(
                rewriter, op.getLoc(), type, input, cosTable, sinTable,
                XF::RopeStyleAttr::get(getContext(), XF::RopeStyle::rotate_half)));
    return success();
  }
};

} // namespace

void xf::populateRopeFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<RotateHalfRopePattern>(patterns.getContext());
}
