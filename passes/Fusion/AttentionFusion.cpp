//===- AttentionFusion.cpp - scaled dot-product attention -----------------===//
//
// Matches MatMul(Softmax(scores), V) as exporters write it and rewrites it
// into xf.attention. The scores are walked from the Softmax down to Q K^T
// through Div/Mul by constants (the scale), a softcap (c * tanh(x / c)),
// Add (additive masks) and Where(cond, scores, large negative) (boolean
// masks), recording where each mask sits relative to the scale and the
// softcap. MaskAnalysis then proves what the masks compute: exactly the
// causal condition (and a sliding window), which become attributes, or
// something else, which stays an additive mask operand scaled as the graph
// scales it. repeat_kv on K and V is stripped so that GQA and MQA keep
// their key/value heads.
//
// Preconditions each rewrite checks (a near miss is left unfused):
// - masks are added after the softcap, never inside it (tanh would turn a
//   mask into a finite score), and no scale is applied after a softcap;
// - a mask term keeps scores exactly (adds 0) or pushes them below
//   kMaskThreshold; anything else stays an additive operand, multiplied by
//   the scale applied after it;
// - causal and window are aligned to the last query (offset Skv - Sq);
// - repeat_kv repeats each key/value head n times in a row (head h reads
//   h / n), the same n for keys and values.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/Fusion.h"
#include "passes/Fusion/FusionUtils.h"
#include "passes/Fusion/MaskAnalysis.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/ShapeHelpers.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/DebugLog.h"

#include <cmath>

#define DEBUG_TYPE "xf-fuse-onnx-to-xf"

using namespace mlir;
using namespace xf::fusion;
namespace ONNX = xf::ONNX;
namespace XF = xf::XF;

namespace {

/// Dimension `d` of `value` as an index, computed from the sizes and bounds
/// that make it where that is simple (a Slice's clamped bounds, through
/// casts), so that a run-time check of it does not keep the sliced tensor
/// (GPT-2's [1, 1, n_positions, n_positions] bias buffer) alive.
Value reifyDim(OpBuilder &b, Location loc, Value value, int64_t d) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.isDynamicDim(d))
    return arith::ConstantIndexOp::create(b, loc, type.getDimSize(d));
  Operation *def = value.getDefiningOp();
  if (isa_and_nonnull<ONNX::CastOp, ONNX::NotOp>(def))
    return reifyDim(b, loc, def->getOperand(0), d);
  auto slice = dyn_cast_or_null<ONNX::SliceOp>(def);
  if (!slice)
    return tensor::DimOp::create(b, loc, value, d);
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  if (slice.getAxes()) {
    auto constant = ONNX::getConstantIntValues(slice.getAxes());
    if (!constant)
      return tensor::DimOp::create(b, loc, value, d);
    axes = *constant;
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  std::optional<size_t> position;
  for (auto [i, axis] : llvm::enumerate(axes))
    if ((axis < 0 ? axis + rank : axis) == d)
      position = i;
  if (!position)
    return reifyDim(b, loc, slice.getData(), d);
  if (slice.getSteps()) {
    auto steps = ONNX::getConstantIntValues(slice.getSteps());
    if (!steps || (*steps)[*position] != 1)
      return tensor::DimOp::create(b, loc, value, d);
  }
  Type i64 = b.getI64Type();
  Value size = arith::IndexCastOp::create(
      b, loc, i64, reifyDim(b, loc, slice.getData(), d));
  Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
  Value at = arith::ConstantIndexOp::create(b, loc, *position);
  // ONNX clamps a bound to [0, size] after adding size to a negative one.
  auto clamp = [&](Value bounds) -> Value {
    Value x = tensor::ExtractOp::create(b, loc, bounds, ValueRange{at});
    Value negative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
    Value fromEnd = arith::MaxSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, x, size), zero);
    Value fromStart = arith::MinSIOp::create(b, loc, x, size);
    return arith::SelectOp::create(b, loc, negative, fromEnd, fromStart);
  };
  Value length = arith::MaxSIOp::create(
      b, loc,
      arith::SubIOp::create(b, loc, clamp(slice.getEnds()),
                            clamp(slice.getStarts())),
      zero);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), length);
}

/// "node 'name': " for a location that carries an ONNX node name.
std::string describeLocation(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc); fused && !fused.getLocations().empty())
    return describeLocation(fused.getLocations().front());
  if (auto name = dyn_cast<NameLoc>(loc))
    return "node '" + name.getName().str() + "': ";
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return file.getFilename().str() + ":" + std::to_string(file.getLine()) +
           ": ";
  return "";
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

/// `x` and `c` if `value` is c * tanh(x / c) (or tanh(x * (1 / c))), a
/// logit softcap.
std::optional<std::pair<Value, double>> matchSoftcap(Value value) {
  std::optional<std::pair<Value, double>> outer = matchScaled(value);
  if (!outer)
    return std::nullopt;
  auto tanh = defOp<ONNX::TanhOp>(outer->first);
  if (!tanh)
    return std::nullopt;
  std::optional<std::pair<Value, double>> inner = matchScaled(tanh.getX());
  double cap = outer->second;
  if (!inner || !(cap > 0) ||
      std::fabs(inner->second * cap - 1.0) > 1e-6)
    return std::nullopt;
  return std::pair(inner->first, cap);
}

/// What the scores of an attention are made of.
struct Scores {
  Value query, keyTransposed, product;
  double scale = 1.0;
  double softcap = 0.0;
  SmallVector<MaskTerm> masks;
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
/// `outer` is the product of the scales applied after `value`, and
/// `insideSoftcap` whether `value` is under a softcap.
LogicalResult parseScores(Value value, Scores &scores, double outer,
                          bool insideSoftcap, std::string &why,
                          int depth = 0) {
  if (depth > 16) {
    why = "scores too deep to follow";
    return failure();
  }
  if (auto matmul = defOp<ONNX::MatMulOp>(value)) {
    scores.query = matmul.getA();
    scores.keyTransposed = matmul.getB();
    scores.product = value;
    scores.scale = outer;
    return success();
  }
  if (std::optional<std::pair<Value, double>> capped = matchSoftcap(value)) {
    if (insideSoftcap || outer != 1.0) {
      why = insideSoftcap ? "two softcaps" : "a scale applied after a softcap";
      return failure();
    }
    scores.softcap = capped->second;
    return parseScores(capped->first, scores, 1.0, true, why, depth + 1);
  }
  if (std::optional<std::pair<Value, double>> scaled = matchScaled(value))
    return parseScores(scaled->first, scores, outer * scaled->second,
                       insideSoftcap, why, depth + 1);
  auto maskInsideSoftcap = [&]() {
    why = "a mask applied inside the softcap";
    return failure();
  };
  if (auto add = defOp<ONNX::AddOp>(value)) {
    for (auto [inner, mask] : {std::pair(add.getA(), add.getB()),
                               std::pair(add.getB(), add.getA())}) {
      if (!broadcastsInto(value, inner, mask))
        continue;
      Scores attempt = scores;
      std::string attemptWhy;
      if (succeeded(parseScores(inner, attempt, outer, insideSoftcap,
                                attemptWhy, depth + 1))) {
        if (insideSoftcap)
          return maskInsideSoftcap();
        attempt.masks.push_back(
            {MaskTerm::Kind::Additive, mask, false, 0.0, outer});
        scores = attempt;
        return success();
      }
      why = attemptWhy;
    }
    if (why.empty())
      why = "an Add that is not scores + mask";
    return failure();
  }
  if (auto where = defOp<ONNX::WhereOp>(value)) {
    for (bool negated : {false, true}) {
      Value kept = negated ? where.getY() : where.getX();
      Value fill = negated ? where.getX() : where.getY();
      std::optional<double> fillValue = getSplatValue(fill);
      // Only a fill that masks (exp of it is 0 next to any visible score)
      // makes the Where a mask; Where(c, s, 0) changes the scores.
      if (!fillValue || !isUnitTensor(fill.getType(), 4) ||
          !(*fillValue * outer <= kMaskThreshold))
        continue;
      if (!broadcastsInto(value, kept, where.getCondition())) {
        why = "a Where that changes the scores' shape";
        return failure();
      }
      if (insideSoftcap)
        return maskInsideSoftcap();
      scores.masks.push_back({MaskTerm::Kind::Keep, where.getCondition(),
                              negated, *fillValue, outer});
      return parseScores(kept, scores, outer, insideSoftcap, why, depth + 1);
    }
  }
  why = "scores are not scale * Q K^T with masks";
  return failure();
}


//===----------------------------------------------------------------------===//
// The pattern
//===----------------------------------------------------------------------===//

/// The probabilities' Softmax and the scores it normalizes, looking through
/// a Cast to f32 before it and one back after it.
std::optional<Value> matchSoftmaxInput(Value probabilities, Type elementType) {
  // torch's Where(IsNaN(p), 0, p): a row with no visible key gives zeros
  // instead of NaN, which is what xf.attention gives for such a row.
  if (auto where = defOp<ONNX::WhereOp>(probabilities))
    if (auto isNaN = defOp<ONNX::IsNaNOp>(where.getCondition());
        isNaN && isNaN.getX() == where.getY() &&
        isSplatNear(where.getX(), 0.0, 0.0) &&
        isUnitTensor(where.getX().getType(), 4) &&
        where.getType() == where.getY().getType())
      probabilities = where.getY();
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
  AttentionPattern(MLIRContext *context,
                   std::function<void(Operation *, StringRef)> explain)
      : OpRewritePattern(context, /*benefit=*/2), explain(std::move(explain)) {}

  std::function<void(Operation *, StringRef)> explain;

  LogicalResult matchAndRewrite(ONNX::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    std::string reason;
    LogicalResult result = match(op, rewriter, reason);
    if (failed(result) && explain && !reason.empty())
      explain(op, reason);
    return result;
  }

  LogicalResult match(ONNX::MatMulOp op, PatternRewriter &rewriter,
                      std::string &reason) const {
    auto notifyMatchFailure = [&](Operation *op, const Twine &why) {
      reason = why.str();
      return rewriter.notifyMatchFailure(op, why);
    };
    auto resultType = dyn_cast<RankedTensorType>(op.getType());
    if (!resultType || resultType.getRank() != 4 ||
        !isa<FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "not a 4-D float MatMul");
    Type elementType = resultType.getElementType();
    std::optional<Value> scoresValue = matchSoftmaxInput(op.getA(), elementType);
    if (!scoresValue)
      return rewriter.notifyMatchFailure(op, "not Softmax(last axis) @ V");
    Scores scores;
    std::string why;
    if (failed(parseScores(*scoresValue, scores, 1.0, false, why)))
      return notifyMatchFailure(op, why);

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
      return notifyMatchFailure(op, "Q, K, V are not 4-D of one type");

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

    // Masks: proved to be causal (and a sliding window), which become
    // attributes, or kept whole as an additive mask operand.
    std::string maskWhy;
    std::optional<MaskSemantics> semantics;
    if (!scores.masks.empty())
      semantics = analyzeMasks(scores.masks, scores.product, maskWhy);
    else
      semantics = MaskSemantics();
    if (!semantics)
      LDBG() << "attention at " << op.getLoc()
             << ": masks kept as an additive operand: " << maskWhy;
    bool causal = semantics && semantics->causal;
    int64_t window = semantics ? semantics->window : 0;
    for (const MaskTerm &term : scores.masks) {
      auto type = dyn_cast<RankedTensorType>(term.value.getType());
      if (!type || type.getRank() > 4 ||
          (term.kind == MaskTerm::Kind::Additive &&
           type.getElementType() != elementType))
        return notifyMatchFailure(op, "mask of another type or rank");
    }
    int64_t sq = queryType.getDimSize(2), skv = valueType.getDimSize(2);
    if (causal && !ShapedType::isDynamic(sq) && !ShapedType::isDynamic(skv) &&
        sq > skv)
      return notifyMatchFailure(op, "causal with Sq > Skv");

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
        return notifyMatchFailure(op, "heads do not group");
      if (cast<RankedTensorType>(value.getType()).getDimSize(1) != hkv)
        return notifyMatchFailure(op, "key and value heads differ");
    }
    int64_t qb = queryType.getDimSize(0);
    for (Value v : {keyTransposed, value}) {
      int64_t b = cast<RankedTensorType>(v.getType()).getDimSize(0);
      if (!ShapedType::isDynamic(qb) && !ShapedType::isDynamic(b) && qb != b)
        return notifyMatchFailure(op, "batch broadcasts");
    }
    // Rewrite.
    if (!key)
      key = createTranspose(rewriter, loc, keySource, keyPerm);
    Value mask;
    if (!semantics || !semantics->residual.empty()) {
      // The whole mask as one additive operand, each term scaled by what
      // the graph multiplies the scores by after it.
      auto addMask = [&](Value m) {
        mask = mask ? Value(createInferred<ONNX::AddOp>(rewriter, loc,
                                                        elementType, mask, m))
                    : m;
      };
      for (const MaskTerm &term : scores.masks) {
        Value m = term.value;
        if (term.kind == MaskTerm::Kind::Keep) {
          if (term.negated)
            m = createInferred<ONNX::NotOp>(rewriter, loc,
                                            rewriter.getI1Type(), m);
          Value zero = createScalarConstant(rewriter, loc, elementType, 0.0);
          Value fill = createScalarConstant(rewriter, loc, elementType,
                                            term.fill * term.outerScale);
          m = createInferred<ONNX::WhereOp>(rewriter, loc, elementType, m,
                                            zero, fill);
        } else if (term.outerScale != 1.0) {
          m = createInferred<ONNX::MulOp>(
              rewriter, loc, elementType, m,
              createScalarConstant(rewriter, loc, elementType,
                                   term.outerScale));
        }
        addMask(m);
      }
    }

    // The mask dimensions the analysis assumed to be the scores'.
    if (semantics && (causal || window || semantics->residual.empty())) {
      for (const MaskSemantics::DimCheck &check : semantics->dimChecks) {
        bool isQuery = check.scoresDim == 2;
        Value size = reifyDim(rewriter, loc, check.mask, check.maskDim);
        Value expected = tensor::DimOp::create(
            rewriter, loc, isQuery ? query : value, 2);
        XF::CheckDimOp::create(
            rewriter, loc, size, expected, /*broadcast=*/false,
            rewriter.getStringAttr(
                describeLocation(check.mask.getLoc()) +
                "attention mask, dimension " + std::to_string(check.maskDim) +
                (isQuery ? " (query length)" : " (key length)")));
      }
    }
    LDBG() << "attention at " << loc << " scale " << scale
           << (causal ? " causal" : "") << (mask ? " masked" : "")
           << (window ? " window " + std::to_string(window) : "");
    auto attention = XF::AttentionOp::create(
                rewriter, loc, resultType, query, key, value, mask,
                rewriter.getF32FloatAttr(static_cast<float>(scale)),
                scores.softcap > 0 ? rewriter.getF32FloatAttr(static_cast<float>(
                                         scores.softcap))
                                   : FloatAttr(),
                causal ? rewriter.getUnitAttr() : UnitAttr(),
                window ? rewriter.getI64IntegerAttr(window) : IntegerAttr());
    if (explain && (!semantics || !semantics->residual.empty()))
      explain(attention, "its masks stay an additive operand: " +
                             (semantics ? semantics->residual : maskWhy));
    rewriter.replaceOp(op, attention);
    return success();
  }
};

} // namespace

void xf::populateAttentionFusionPatterns(
    RewritePatternSet &patterns,
    std::function<void(Operation *, StringRef)> explain) {
  patterns.add<AttentionPattern>(patterns.getContext(), std::move(explain));
}
