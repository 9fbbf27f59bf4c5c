//===- AttentionOpRaising.cpp - attention operators -> xf ------------------===//
//
// Operators that state attention or a rotary embedding whole (ONNX's
// Attention and RotaryEmbedding, ONNX Runtime's GroupQueryAttention,
// MultiHeadAttention and RotaryEmbedding) become xf.attention and xf.rope
// with onnx ops around them for the layout (heads split with Reshape and
// Transpose), the KV cache (Concat(past, new) on the sequence axis, the form
// xf-insert-kv-cache pages) and whatever mask xf.attention's `causal` and
// `window` cannot say (an additive operand). Every semantic is the
// operator's own (the op descriptions in ONNXOps.td), not a match over
// decomposed arithmetic, so these run whatever fusion families are
// disabled; an op that cannot be raised is reported, with the reason, by
// xf-fuse-onnx-to-xf.
//
// GroupQueryAttention reads seqlens_k and total_sequence_length at run
// time. Where they provably say that every batch row is full
// (seqlens_k[b] + 1 == total_sequence_length == past + new, which is what
// xf-bind-attention-mask's all-ones mask gives the GenAI builder's
// ReduceSum(mask) - 1 and Shape(mask)[1]; proved with the symbolic shape
// analysis), the raise is
// causal attention over Concat(past, new) with the tokens at positions
// past + s. Otherwise it
// writes ONNX Runtime's per-row computation out: each row's new keys land
// after that row's own past (a GatherND over Concat(past, new)), rotary
// positions are per token, and an additive mask says which keys each query
// sees. local_window_size = W lets a query see W keys, itself included
// (what onnxruntime 1.32's CPU kernel computes, checked against it by
// test/e2e/contrib_attention_vs_ort.py): xf.attention's `window = W`.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/Fusion.h"
#include "passes/Fusion/FusionUtils.h"
#include "passes/Fusion/MaskAnalysis.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/ShapeHelpers.h"
#include "dialects/ONNX/IR/SymbolicShapes.h"
#include "dialects/XF/IR/XFOps.h"

#include "llvm/Support/DebugLog.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

#define DEBUG_TYPE "xf-fuse-onnx-to-xf"

using namespace mlir;
using namespace xf::fusion;
namespace ONNX = xf::ONNX;
namespace XF = xf::XF;

namespace {

constexpr double kNegativeInfinity = -std::numeric_limits<double>::infinity();

using Refusal = std::function<void(Operation *, StringRef)>;

/// Builds onnx ops with inferred result types at the rewriter's insertion
/// point.
class Emitter {
public:
  Emitter(PatternRewriter &rewriter, Location loc) : b(rewriter), loc(loc) {}

  static Type elementOf(Value value) {
    return getElementTypeOrSelf(value.getType());
  }
  Type i64() { return b.getI64Type(); }

  Value ints(ArrayRef<int64_t> values) {
    return createI64Constant(b, loc, values);
  }
  Value intScalar(int64_t value) {
    return createScalarConstant(b, loc, i64(), static_cast<double>(value));
  }
  /// A scalar of `element` (float or integer).
  Value scalar(Type element, double value) {
    return createScalarConstant(b, loc, element, value);
  }

  Value reshape(Value x, ArrayRef<int64_t> shape) {
    return make<ONNX::ReshapeOp>(elementOf(x), x, ints(shape), uint64_t(0));
  }
  Value transpose(Value x, ArrayRef<int64_t> perm) {
    return createTranspose(b, loc, x, perm);
  }
  Value concat(ValueRange inputs, int64_t axis) {
    return make<ONNX::ConcatOp>(elementOf(inputs.front()), inputs,
                                static_cast<uint64_t>(axis));
  }
  Value unsqueeze(Value x, ArrayRef<int64_t> axes) {
    return make<ONNX::UnsqueezeOp>(elementOf(x), x, ints(axes));
  }
  /// x[start:end] on `axis`, constant bounds.
  Value slice(Value x, int64_t start, int64_t end, int64_t axis) {
    return make<ONNX::SliceOp>(elementOf(x), x, ints({start}), ints({end}),
                               ints({axis}), ints({1}));
  }
  Value gather(Value data, Value indices) {
    return make<ONNX::GatherOp>(elementOf(data), data, indices, uint64_t(0));
  }
  Value gatherND(Value data, Value indices, int64_t batchDims) {
    return make<ONNX::GatherNDOp>(elementOf(data), data, indices,
                                  static_cast<uint64_t>(batchDims));
  }
  Value castTo(Value x, Type to) { return make<ONNX::CastOp>(to, x, to); }
  Value range(Value start, Value limit) {
    return make<ONNX::RangeOp>(elementOf(start), start, limit, intScalar(1));
  }
  /// Dimension `dim` of `x` as an i64 scalar: a constant when static.
  Value dim(Value x, int64_t dim) {
    auto type = cast<RankedTensorType>(x.getType());
    if (!type.isDynamicDim(dim))
      return intScalar(type.getDimSize(dim));
    Value shape = make<ONNX::ShapeOp>(i64(), x, uint64_t(0), IntegerAttr());
    return make<ONNX::GatherOp>(i64(), shape, intScalar(dim), uint64_t(0));
  }

  Value add(Value x, Value y) { return make<ONNX::AddOp>(elementOf(x), x, y); }
  Value sub(Value x, Value y) { return make<ONNX::SubOp>(elementOf(x), x, y); }
  Value mul(Value x, Value y) { return make<ONNX::MulOp>(elementOf(x), x, y); }
  Value div(Value x, Value y) { return make<ONNX::DivOp>(elementOf(x), x, y); }
  Value max(Value x, Value y) {
    return make<ONNX::MaxOp>(elementOf(x), ValueRange{x, y});
  }
  Value min(Value x, Value y) {
    return make<ONNX::MinOp>(elementOf(x), ValueRange{x, y});
  }
  Value equal(Value x, Value y) { return make<ONNX::EqualOp>(i1(), x, y); }
  Value less(Value x, Value y) { return make<ONNX::LessOp>(i1(), x, y); }
  Value lessOrEqual(Value x, Value y) {
    return make<ONNX::LessOrEqualOp>(i1(), x, y);
  }
  Value greaterOrEqual(Value x, Value y) {
    return make<ONNX::GreaterOrEqualOp>(i1(), x, y);
  }
  Value greater(Value x, Value y) { return make<ONNX::GreaterOp>(i1(), x, y); }
  Value andOf(Value x, Value y) { return make<ONNX::AndOp>(i1(), x, y); }
  Value where(Value condition, Value x, Value y) {
    return make<ONNX::WhereOp>(elementOf(x), condition, x, y);
  }
  Value tanh(Value x) { return make<ONNX::TanhOp>(elementOf(x), x); }
  Value matmul(Value x, Value y) {
    return make<ONNX::MatMulOp>(elementOf(x), x, y);
  }
  Value softmax(Value x) {
    return make<ONNX::SoftmaxOp>(elementOf(x), x, b.getI64IntegerAttr(-1));
  }
  Value expand(Value x, Value shape) {
    return make<ONNX::ExpandOp>(elementOf(x), x, shape);
  }
  /// A float tensor of the i64 `shape` holding `value`.
  Value filled(Value shape, Type element, double value) {
    auto fill = DenseElementsAttr::get(
        RankedTensorType::get({1}, element),
        ArrayRef<Attribute>{b.getFloatAttr(element, value)});
    return make<ONNX::ConstantOfShapeOp>(element, shape, fill);
  }
  Value shape(Value x, int64_t start, int64_t end) {
    return make<ONNX::ShapeOp>(i64(), x, static_cast<uint64_t>(start),
                               b.getI64IntegerAttr(end));
  }

  /// 0 where `condition` holds, -inf elsewhere, as `element`.
  Value maskOf(Value condition, Type element) {
    return where(condition, scalar(element, 0.0),
                 scalar(element, kNegativeInfinity));
  }

  /// [B, S, H * D] -> [B, H, S, D]; D spelled out when known, so that it
  /// stays static next to a dynamic B or S.
  Value toHeads(Value x, int64_t heads) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t headDim =
        type.isDynamicDim(2) ? int64_t(-1) : type.getDimSize(2) / heads;
    return transpose(reshape(x, {0, 0, heads, headDim}), {0, 2, 1, 3});
  }
  /// [B, H, S, D] -> [B, S, H * D]; H * D spelled out when known.
  Value fromHeads(Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t width = type.isDynamicDim(1) || type.isDynamicDim(3)
                        ? int64_t(-1)
                        : type.getDimSize(1) * type.getDimSize(3);
    return reshape(transpose(x, {0, 2, 1, 3}), {0, 0, width});
  }

  PatternRewriter &b;
  Location loc;

private:
  Type i1() { return b.getI1Type(); }
  template <typename OpTy, typename... Args>
  Value make(Type element, Args &&...args) {
    return createInferred<OpTy>(b, loc, element, std::forward<Args>(args)...)
        ->getResult(0);
  }
};

/// `value` with `type`: itself, or an onnx.Identity when one of the two is
/// more static than the other (the op's declared result type stays).
Value withType(PatternRewriter &rewriter, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return ONNX::IdentityOp::create(rewriter, value.getLoc(), type, value);
}

/// Replaces the results of `op` that are used by `values` (a null value
/// for a result that has no raised form, which must then be unused).
void replaceResults(PatternRewriter &rewriter, Operation *op,
                    ArrayRef<Value> values) {
  for (auto [result, value] : llvm::zip(op->getResults(), values))
    if (!result.use_empty())
      rewriter.replaceAllUsesWith(result, withType(rewriter, value,
                                                   result.getType()));
  rewriter.eraseOp(op);
}

XF::AttentionOp createAttention(PatternRewriter &rewriter, Location loc,
                                Value query, Value key, Value value, Value mask,
                                double scale, double softcap, bool causal,
                                int64_t window) {
  auto queryType = cast<RankedTensorType>(query.getType());
  auto valueType = cast<RankedTensorType>(value.getType());
  auto resultType = RankedTensorType::get(
      {queryType.getDimSize(0), queryType.getDimSize(1),
       queryType.getDimSize(2), valueType.getDimSize(3)},
      queryType.getElementType());
  return XF::AttentionOp::create(
      rewriter, loc, resultType, query, key, value, mask,
      rewriter.getF32FloatAttr(static_cast<float>(scale)),
      softcap > 0 ? rewriter.getF32FloatAttr(static_cast<float>(softcap))
                  : FloatAttr(),
      causal ? rewriter.getUnitAttr() : UnitAttr(),
      window > 0 ? rewriter.getI64IntegerAttr(window) : IntegerAttr());
}

Value createRope(PatternRewriter &rewriter, Location loc, Value x, Value cos,
                 Value sin, XF::RopeStyle style) {
  return XF::RopeOp::create(rewriter, loc, x.getType(), x, cos, sin,
                            XF::RopeStyleAttr::get(rewriter.getContext(),
                                                   style));
}

/// A raise pattern that reports why it refuses an op.
template <typename OpTy> struct RaisePattern : OpRewritePattern<OpTy> {
  RaisePattern(MLIRContext *context, Refusal refusal)
      : OpRewritePattern<OpTy>(context), refusal(std::move(refusal)) {}

  LogicalResult refuse(PatternRewriter &rewriter, OpTy op,
                       const Twine &why) const {
    std::string text = why.str();
    if (refusal)
      refusal(op, text);
    return rewriter.notifyMatchFailure(op, text);
  }

  Refusal refusal;
};

//===----------------------------------------------------------------------===//
// GroupQueryAttention
//===----------------------------------------------------------------------===//

/// Where dimension `dim` of `result` comes from, for the ops the symbolic
/// shape analysis leaves to its caller: xf ops, and the onnx ops this pass
/// raises in the same run (so that the proof below sees the same sizes
/// whichever of them the greedy driver rewrites first).
std::optional<ONNX::SymbolicShapeAnalysis::DimSource>
dimSource(OpResult result, int64_t dim) {
  using Source = ONNX::SymbolicShapeAnalysis::DimSource;
  Operation *op = result.getOwner();
  unsigned index = result.getResultNumber();
  if (index == 0 &&
      isa<ONNX::FastGeluOp, ONNX::RotaryEmbeddingOp,
          ONNX::ContribRotaryEmbeddingOp>(op))
    return Source(op->getOperand(0), dim);
  // An attention output has its query's dimensions but the last.
  if (index == 0 &&
      isa<ONNX::GroupQueryAttentionOp, ONNX::MultiHeadAttentionOp,
          ONNX::AttentionOp>(op) &&
      dim + 1 < cast<RankedTensorType>(result.getType()).getRank())
    return Source(op->getOperand(0), dim);
  return XF::getResultDimSource(result, dim);
}

/// The value all elements of the integer tensor `value` hold, when they
/// provably hold one: a splat, or a sum over one axis of a
/// ConstantOfShape (ReduceSum of an all-ones mask is its length), with
/// elementwise integer arithmetic on top.
std::optional<SymbolicInt> uniformElement(ONNX::SymbolicShapeAnalysis &shapes,
                                          Value value) {
  if (std::optional<SmallVector<int64_t>> values =
          ONNX::getConstantIntValues(value)) {
    if (values->empty() || !llvm::all_equal(*values))
      return std::nullopt;
    return SymbolicInt::of(values->front());
  }
  Operation *op = value.getDefiningOp();
  if (!op)
    return std::nullopt;
  if (isa<ONNX::IdentityOp, ONNX::ReshapeOp, ONNX::SqueezeOp,
          ONNX::UnsqueezeOp, ONNX::ExpandOp>(op))
    return uniformElement(shapes, op->getOperand(0));
  if (auto cast = dyn_cast<ONNX::CastOp>(op)) {
    if (!getElementTypeOrSelf(cast.getInput().getType()).isSignlessInteger() ||
        !cast.getTo().isSignlessInteger())
      return std::nullopt;
    return uniformElement(shapes, cast.getInput());
  }
  if (isa<ONNX::AddOp, ONNX::SubOp>(op)) {
    std::optional<SymbolicInt> lhs = uniformElement(shapes, op->getOperand(0));
    std::optional<SymbolicInt> rhs = uniformElement(shapes, op->getOperand(1));
    if (!lhs || !rhs)
      return std::nullopt;
    return isa<ONNX::AddOp>(op) ? *lhs + *rhs : *lhs - *rhs;
  }
  if (auto sum = dyn_cast<ONNX::ReduceSumOp>(op)) {
    Value data = sum.getData();
    while (auto identity = data.getDefiningOp<ONNX::IdentityOp>())
      data = identity.getInput();
    auto fill = data.getDefiningOp<ONNX::ConstantOfShapeOp>();
    auto type = dyn_cast<RankedTensorType>(data.getType());
    std::optional<SmallVector<int64_t>> axes =
        sum.getAxes() ? ONNX::getConstantIntValues(sum.getAxes())
                      : std::nullopt;
    if (!fill || !type || !axes || axes->size() != 1)
      return std::nullopt;
    std::optional<int64_t> axis =
        ONNX::normalizeAxis((*axes)[0], type.getRank());
    int64_t fillValue = 0;
    if (std::optional<Attribute> attr = fill.getValue()) {
      auto elements = dyn_cast<DenseIntElementsAttr>(*attr);
      if (!elements || !elements.isSplat())
        return std::nullopt;
      fillValue = elements.getSplatValue<APInt>().getSExtValue();
    }
    if (!axis)
      return std::nullopt;
    return shapes.getElement(fill.getInput(), *axis).scaled(fillValue);
  }
  return std::nullopt;
}

/// Whether every batch row of `op` provably holds past + new tokens:
/// seqlens_k[b] + 1 == total_sequence_length == P + S. (In xfc the past
/// lengths of all layers are one symbol: the analysis trusts their shared
/// dim_param, which xf-check-dim-params checks on entry.)
bool rowsAreFull(ONNX::GroupQueryAttentionOp op) {
  ONNX::SymbolicShapeAnalysis shapes(dimSource);
  std::optional<SymbolicInt> seqlen = uniformElement(shapes, op.getSeqlensK());
  if (!seqlen)
    return false;
  SymbolicInt total = shapes.getElement(op.getTotalSequenceLength());
  SymbolicInt tokens = shapes.getDim(op.getQuery(), 1);
  if (Value past = op.getPastKey())
    tokens += shapes.getDim(past, 2);
  return *seqlen + SymbolicInt::of(1) == total && total == tokens;
}

/// `fresh` [B, H, S, D] written into each row of `past` [B, H, P, D] after
/// its first `start[b]` entries, as ONNX Runtime's present: [B, H, Tp, D]
/// with row `j` = past[j] for j < start, fresh[j - start] for start <= j <
/// start + S, zero after. `sources` [B, Tp] are the rows' indices into
/// Concat(past, fresh) (clamped: GatherND reads nothing outside it), and
/// `written` [B, Tp] whether row j is one of them.
Value writeRows(Emitter &e, Value past, Value fresh, Value sources,
                Value written) {
  Value freshRows = e.transpose(fresh, {0, 2, 1, 3});
  Value rows = past ? e.concat({e.transpose(past, {0, 2, 1, 3}), freshRows}, 1)
                    : freshRows;
  Value gathered = e.gatherND(rows, e.unsqueeze(sources, {2}), 1);
  Type element = Emitter::elementOf(fresh);
  Value kept = e.where(e.unsqueeze(written, {2, 3}), gathered,
                       e.scalar(element, 0.0));
  return e.transpose(kept, {0, 2, 1, 3});
}

struct GroupQueryAttentionPattern
    : RaisePattern<ONNX::GroupQueryAttentionOp> {
  using RaisePattern::RaisePattern;

  LogicalResult matchAndRewrite(ONNX::GroupQueryAttentionOp op,
                                PatternRewriter &rewriter) const override {
    // The verifier checked the shapes: query 3-D with a static width.
    auto queryType = cast<RankedTensorType>(op.getQuery().getType());
    int64_t heads = op.getNumHeads(), kvHeads = op.getKvNumHeads();
    int64_t width = queryType.getDimSize(2);
    int64_t headDim = op.getKey() ? width / heads : width / (heads + 2 * kvHeads);
    int64_t window = op.getLocalWindowSize();
    if (window == 0 || window < -1)
      return refuse(rewriter, op,
                    "local_window_size " + Twine(window) +
                        " is neither -1 (no window) nor positive");
    double scale = op.getScale() ? op.getScale()->convertToDouble() : 0.0;
    if (scale == 0.0)
      scale = 1.0 / std::sqrt(static_cast<double>(headDim));
    double softcap = std::max(op.getSoftcap().convertToDouble(), 0.0);
    std::optional<XF::RopeStyle> style;
    if (op.getDoRotary())
      style = op.getRotaryInterleaved() ? XF::RopeStyle::interleaved
                                        : XF::RopeStyle::rotate_half;

    Emitter e(rewriter, op.getLoc());
    Value query = op.getQuery(), key = op.getKey(), value = op.getValue();
    if (!key) {
      int64_t qWidth = heads * headDim, kvWidth = kvHeads * headDim;
      key = e.slice(query, qWidth, qWidth + kvWidth, 2);
      value = e.slice(query, qWidth + kvWidth, width, 2);
      query = e.slice(query, 0, qWidth, 2);
    }
    Value q = e.toHeads(query, heads);
    Value k = e.toHeads(key, kvHeads);
    Value v = e.toHeads(value, kvHeads);
    Value pastKey = op.getPastKey(), pastValue = op.getPastValue();
    Value past = pastKey ? e.dim(pastKey, 2) : e.intScalar(0);
    Value length = e.dim(q, 2);
    auto rotate = [&](Value positions) {
      Value cos = e.gather(op.getCosCache(), positions);
      Value sin = e.gather(op.getSinCache(), positions);
      q = createRope(rewriter, op.getLoc(), q, cos, sin, *style);
      k = createRope(rewriter, op.getLoc(), k, cos, sin, *style);
    };

    Value attention, presentKey, presentValue;
    if (rowsAreFull(op)) {
      // Causal attention over Concat(past, new), tokens at P .. P + S - 1.
      LDBG() << "GroupQueryAttention with full rows at " << op.getLoc();
      if (style)
        rotate(e.range(past, e.add(past, length)));
      presentKey = pastKey ? e.concat({pastKey, k}, 2) : k;
      presentValue = pastValue ? e.concat({pastValue, v}, 2) : v;
      attention = createAttention(rewriter, op.getLoc(), q, presentKey,
                                  presentValue, op.getAttentionBias(), scale,
                                  softcap, /*causal=*/true, window);
    } else {
      LDBG() << "GroupQueryAttention with per-row lengths at " << op.getLoc();
      Type i64 = e.i64();
      Value total = e.castTo(e.reshape(op.getTotalSequenceLength(), {}), i64);
      // L_b, and past_b: 0 in a first prompt (S == T), else L_b - S.
      Value lengths = e.add(e.castTo(op.getSeqlensK(), i64), e.intScalar(1));
      Value pastLengths = e.where(e.equal(length, total), e.intScalar(0),
                                  e.sub(lengths, length));
      Value positions = e.add(e.unsqueeze(pastLengths, {1}),
                              e.range(e.intScalar(0), length)); // [B, S]
      if (style)
        rotate(positions);

      Value presentLength = e.max(total, past);
      Value keys = e.range(e.intScalar(0), presentLength); // [Tp]
      Value row = e.unsqueeze(keys, {0});                  // [1, Tp]
      Value start = e.unsqueeze(pastLengths, {1});         // [B, 1]
      Value sources =
          e.where(e.greaterOrEqual(row, start), e.add(e.sub(row, start), past),
                  row);
      sources = e.min(sources, e.sub(e.add(past, length), e.intScalar(1)));
      Value written = e.less(row, e.add(start, length));
      presentKey = writeRows(e, pastKey, k, sources, written);
      presentValue = writeRows(e, pastValue, v, sources, written);

      // Query s of row b (at position p = past_b + s) sees key j iff
      // j < L_b, j <= p and p - j < W.
      Value at = e.unsqueeze(positions, {2}); // [B, S, 1]
      Value key = e.unsqueeze(keys, {0, 1});  // [1, 1, Tp]
      Value visible = e.andOf(e.lessOrEqual(key, at),
                              e.less(key, e.unsqueeze(lengths, {1, 2})));
      if (window > 0)
        visible =
            e.andOf(visible, e.less(e.sub(at, key), e.intScalar(window)));
      Type element = queryType.getElementType();
      Value mask = e.unsqueeze(e.maskOf(visible, element), {1});
      if (Value bias = op.getAttentionBias()) {
        // [.., S, T] -> [.., S, Tp] with zeros for the keys past T.
        Value padding = e.filled(
            e.concat({e.shape(bias, 0, 3),
                      e.unsqueeze(e.sub(presentLength, total), {0})},
                     0),
            element, 0.0);
        mask = e.add(mask, e.concat({bias, padding}, 3));
      }
      attention = createAttention(rewriter, op.getLoc(), q, presentKey,
                                  presentValue, mask, scale, softcap,
                                  /*causal=*/false, /*window=*/0);
    }
    replaceResults(rewriter, op,
                   {e.fromHeads(attention), presentKey, presentValue});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// MultiHeadAttention
//===----------------------------------------------------------------------===//

/// The [B, H, S, D] tensor that `packed` ([B, S, H * D]) packs:
/// Reshape(Transpose(x, [0, 2, 1, 3])) to [B, S, H * D], B and S kept. The
/// GenAI builder's fp16 graphs for the CPU write a layer's keys and values
/// so: Concat(past, new) and repeat_kv on [B, Hkv, S, D], then packed for
/// MultiHeadAttention. Unpacked, the cache's Concat and the repetition stay
/// visible (to xf-insert-kv-cache, and as grouped heads).
Value unpackedHeads(Value packed, int64_t heads) {
  auto reshape = defOp<ONNX::ReshapeOp>(packed);
  auto transpose = reshape ? defOp<ONNX::TransposeOp>(reshape.getData())
                           : ONNX::TransposeOp();
  std::optional<ArrayAttr> permAttr =
      transpose ? transpose.getPerm() : std::nullopt;
  if (!permAttr)
    return {};
  SmallVector<int64_t> perm;
  for (Attribute a : *permAttr)
    perm.push_back(cast<IntegerAttr>(a).getInt());
  Value x = transpose.getData();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto packedType = cast<RankedTensorType>(packed.getType());
  if (perm != SmallVector<int64_t>{0, 2, 1, 3} || !xType ||
      xType.getRank() != 4 || xType.getDimSize(1) != heads ||
      xType.isDynamicDim(3) || packedType.getRank() != 3 ||
      packedType.getDimSize(2) != heads * xType.getDimSize(3))
    return {};
  // B and S kept: the result's first two sizes are provably x's B and S.
  if (!(getSymbolicDim(packed, 0) == getSymbolicDim(x, 0)) ||
      !(getSymbolicDim(packed, 1) == getSymbolicDim(x, 2)))
    return {};
  return x;
}

struct MultiHeadAttentionPattern : RaisePattern<ONNX::MultiHeadAttentionOp> {
  using RaisePattern::RaisePattern;

  LogicalResult matchAndRewrite(ONNX::MultiHeadAttentionOp op,
                                PatternRewriter &rewriter) const override {
    // The verifier checked: query, key and value 3-D of one element type.
    Value query = op.getQuery(), key = op.getKey(), value = op.getValue();
    auto queryType = cast<RankedTensorType>(query.getType());
    Type element = queryType.getElementType();
    int64_t heads = op.getNumHeads();
    int64_t width = queryType.getDimSize(2);
    double scale = op.getScale() ? op.getScale()->convertToDouble() : 0.0;
    if (scale == 0.0) {
      if (ShapedType::isDynamic(width))
        return refuse(rewriter, op,
                      "the default scale 1/sqrt(head_size) needs a static "
                      "query width (give the 'scale' attribute)");
      scale = 1.0 / std::sqrt(static_cast<double>(width / heads));
    }
    bool causal = op.getUnidirectional() != 0;
    if (causal && !(getSymbolicDim(query, 1) == getSymbolicDim(key, 1)))
      return refuse(rewriter, op,
                    "unidirectional with a query length other than the key "
                    "length is not supported");

    Emitter e(rewriter, op.getLoc());
    if (Value bias = op.getBias()) {
      int64_t widths[3];
      for (auto [i, x] : llvm::enumerate(ArrayRef<Value>{query, key, value})) {
        widths[i] = cast<RankedTensorType>(x.getType()).getDimSize(2);
        if (ShapedType::isDynamic(widths[i]))
          return refuse(rewriter, op,
                        "the packed bias needs static query, key and value "
                        "widths");
      }
      query = e.add(query, e.slice(bias, 0, widths[0], 0));
      key = e.add(key, e.slice(bias, widths[0], widths[0] + widths[1], 0));
      value = e.add(value, e.slice(bias, widths[0] + widths[1],
                                   widths[0] + widths[1] + widths[2], 0));
    }
    Value q = e.toHeads(query, heads);
    Value k = unpackedHeads(key, heads);
    Value v = unpackedHeads(value, heads);
    bool presentRead = llvm::any_of(op->getResults().drop_front(),
                                    [](Value r) { return !r.use_empty(); });
    if (k && v && !op.getPastKey() && !op.getPastValue() && !presentRead) {
      // Heads repeated for GQA/MQA (the op sees every query head's copy):
      // xf.attention groups query heads over the keys' own heads.
      std::optional<std::pair<Value, int64_t>> keyBase = stripRepeatKV(k),
                                               valueBase = stripRepeatKV(v);
      if (keyBase && valueBase && keyBase->second == valueBase->second) {
        k = keyBase->first;
        v = valueBase->first;
      }
    }
    if (!k || !v) {
      k = e.toHeads(key, heads);
      v = e.toHeads(value, heads);
    }
    Value presentKey = op.getPastKey() ? e.concat({op.getPastKey(), k}, 2) : k;
    Value presentValue =
        op.getPastValue() ? e.concat({op.getPastValue(), v}, 2) : v;

    Value mask;
    auto addTerm = [&](Value term) { mask = mask ? e.add(mask, term) : term; };
    if (Value padding = op.getKeyPaddingMask()) {
      // 0 marks padding: mask_filter_value there, as [B, 1, 1 or S, T].
      Type i32 = Emitter::elementOf(padding);
      Value term = e.where(e.greater(padding, e.scalar(i32, 0)),
                           e.scalar(element, 0.0),
                           e.scalar(element,
                                    op.getMaskFilterValue().convertToDouble()));
      bool perKey = cast<RankedTensorType>(padding.getType()).getRank() == 2;
      addTerm(e.unsqueeze(term, perKey ? ArrayRef<int64_t>{1, 2}
                                       : ArrayRef<int64_t>{1}));
    }
    int64_t window = 0;
    if (Value bias = op.getAttentionBias()) {
      // The GenAI builder's fp16 CPU graphs build their causal mask as an
      // attention_bias. Proved to be causal (and a window) with nothing
      // left over, it becomes attributes, which the paged cache can apply.
      auto qType = cast<RankedTensorType>(q.getType());
      auto kType = cast<RankedTensorType>(presentKey.getType());
      ScoresShape scores{{qType.getDimSize(0), heads, qType.getDimSize(2),
                          kType.getDimSize(2)},
                         {getSymbolicDim(query, 0), SymbolicInt::of(heads),
                          getSymbolicDim(query, 1),
                          getSymbolicDim(presentKey, 2)}};
      std::string why;
      std::optional<MaskSemantics> semantics =
          mask ? std::nullopt
               : analyzeMasks({MaskTerm{MaskTerm::Kind::Additive, bias}},
                              scores, why);
      if (semantics && semantics->residual.empty() &&
          semantics->dimChecks.empty() &&
          (semantics->causal || semantics->window == 0)) {
        causal |= semantics->causal;
        window = semantics->window;
      } else {
        addTerm(bias);
      }
    }
    Value attention =
        createAttention(rewriter, op.getLoc(), q, presentKey, presentValue,
                        mask, scale, /*softcap=*/0.0, causal, window);
    replaceResults(rewriter, op,
                   {e.fromHeads(attention), presentKey, presentValue});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ONNX Attention
//===----------------------------------------------------------------------===//

/// The float type an ONNX TensorProto element type code names.
Type floatTypeOf(MLIRContext *context, int64_t code) {
  switch (code) {
  case 1:
    return Float32Type::get(context);
  case 10:
    return Float16Type::get(context);
  case 11:
    return Float64Type::get(context);
  case 16:
    return BFloat16Type::get(context);
  default:
    return Type();
  }
}

struct ONNXAttentionPattern : RaisePattern<ONNX::AttentionOp> {
  using RaisePattern::RaisePattern;

  LogicalResult matchAndRewrite(ONNX::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    auto qType = dyn_cast<RankedTensorType>(op.getQ().getType());
    if (!qType)
      return refuse(rewriter, op, "Q has no known rank");
    Type element = qType.getElementType();
    int64_t rank = qType.getRank();
    // xf.attention sums and normalizes in at least f32; a softmax_precision
    // narrower than that and than Q's type would round in between.
    if (std::optional<int64_t> code = op.getSoftmaxPrecision()) {
      Type precision = floatTypeOf(getContext(), *code);
      if (!precision)
        return refuse(rewriter, op,
                      "softmax_precision " + Twine(*code) +
                          " is not a floating-point type");
      if (precision != element && precision.getIntOrFloatBitWidth() < 32)
        return refuse(rewriter, op,
                      "a softmax_precision narrower than f32 and than Q's "
                      "type is not supported");
    }

    Emitter e(rewriter, op.getLoc());
    Value q = op.getQ(), k = op.getK(), v = op.getV();
    if (rank == 3) {
      q = e.toHeads(q, *op.getQNumHeads());
      k = e.toHeads(k, *op.getKvNumHeads());
      v = e.toHeads(v, *op.getKvNumHeads());
    }
    auto headsType = cast<RankedTensorType>(q.getType());
    double scale;
    if (op.getScale()) {
      scale = op.getScale()->convertToDouble();
    } else {
      if (headsType.isDynamicDim(3))
        return refuse(rewriter, op,
                      "the default scale 1/sqrt(head_size) needs a static "
                      "head size (give the 'scale' attribute)");
      scale = 1.0 / std::sqrt(static_cast<double>(headsType.getDimSize(3)));
    }
    if (!(scale > 0.0) || !std::isfinite(scale))
      return refuse(rewriter, op,
                    "scale " + llvm::formatv("{0}", scale).str() +
                        " is not a positive number");
    double softcap = std::max(op.getSoftcap().convertToDouble(), 0.0);

    Value pastKey = op.getPastKey(), pastValue = op.getPastValue();
    Value presentKey = pastKey ? e.concat({pastKey, k}, 2) : k;
    Value presentValue = pastValue ? e.concat({pastValue, v}, 2) : v;
    Value past = pastKey ? e.dim(pastKey, 2) : e.intScalar(0);
    Value total = e.dim(presentKey, 2);
    bool wantsScores = !op.getQkMatmulOutput().use_empty();

    Value mask;
    auto addTerm = [&](Value term) { mask = mask ? e.add(mask, term) : term; };
    if (Value attnMask = op.getAttnMask()) {
      Value term = Emitter::elementOf(attnMask).isInteger(1)
                       ? e.maskOf(attnMask, element)
                       : attnMask;
      // A shorter mask hides the keys it does not reach.
      auto maskType = cast<RankedTensorType>(term.getType());
      int64_t maskRank = maskType.getRank();
      int64_t length = maskType.getDimSize(maskRank - 1);
      int64_t keys = cast<RankedTensorType>(presentKey.getType()).getDimSize(2);
      if (!ShapedType::isDynamic(length) && !ShapedType::isDynamic(keys) &&
          length != keys) {
        if (length > keys)
          return refuse(rewriter, op,
                        "attn_mask is longer (" + Twine(length) +
                            ") than the keys (" + Twine(keys) + ")");
        Value shape = e.ints({keys - length});
        if (maskRank > 1)
          shape = e.concat({e.shape(term, 0, maskRank - 1), shape}, 0);
        term = e.concat({term, e.filled(shape, element, kNegativeInfinity)},
                        maskRank - 1);
      }
      addTerm(term);
    }
    // is_causal: key j visible to query i iff j <= i + P, which is
    // xf.attention's `causal` (offset T - Sq) when the new keys are as many
    // as the queries.
    bool causal = false;
    if (op.getIsCausal()) {
      int64_t sequenceDim = rank == 3 ? 1 : 2;
      if (!wantsScores && getSymbolicDim(op.getQ(), sequenceDim) ==
                              getSymbolicDim(op.getK(), sequenceDim)) {
        causal = true;
      } else {
        Value rows = e.unsqueeze(e.range(e.intScalar(0), e.dim(q, 2)), {1});
        Value cols = e.unsqueeze(e.range(e.intScalar(0), total), {0});
        addTerm(e.maskOf(e.lessOrEqual(cols, e.add(rows, past)), element));
      }
    }
    if (Value lengths = op.getNonpadKvSeqlen()) {
      Value keys = e.range(e.intScalar(0), total);
      addTerm(e.maskOf(e.less(keys, e.unsqueeze(lengths, {1, 2, 3})), element));
    }
    Value attention = createAttention(rewriter, op.getLoc(), q, presentKey,
                                      presentValue, mask, scale, softcap,
                                      causal, /*window=*/0);
    Value y = rank == 3 ? e.fromHeads(attention) : attention;

    Value scores;
    if (wantsScores) {
      FailureOr<Value> computed =
          buildScores(e, q, presentKey, mask, scale, softcap,
                      op.getQkMatmulOutputMode());
      if (failed(computed))
        return refuse(rewriter, op,
                      "qk_matmul_output with grouped key/value heads needs "
                      "static head counts and head size");
      scores = *computed;
    }
    replaceResults(rewriter, op, {y, presentKey, presentValue, scores});
    return success();
  }

  /// qk_matmul_output as the reference computes it: (Q sqrt(scale)) (K^T
  /// sqrt(scale)) with each key/value head repeated for its query heads,
  /// softcapped (modes 0, 1), plus the mask (2), softmax'ed (3).
  static FailureOr<Value> buildScores(Emitter &e, Value q, Value key,
                                      Value mask, double scale, double softcap,
                                      int64_t mode) {
    auto qType = cast<RankedTensorType>(q.getType());
    auto kType = cast<RankedTensorType>(key.getType());
    int64_t heads = qType.getDimSize(1), kvHeads = kType.getDimSize(1);
    int64_t headDim = kType.getDimSize(3);
    if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(kvHeads) ||
        (heads != kvHeads && ShapedType::isDynamic(headDim)))
      return failure();
    if (heads != kvHeads) {
      Value repeated = e.expand(e.unsqueeze(key, {2}),
                                e.ints({1, 1, heads / kvHeads, 1, 1}));
      key = e.reshape(repeated, {0, heads, -1, headDim});
    }
    Type element = qType.getElementType();
    Value root = e.scalar(element, std::sqrt(scale));
    Value scores = e.matmul(e.mul(q, root),
                            e.mul(e.transpose(key, {0, 1, 3, 2}), root));
    if (softcap > 0) {
      Value cap = e.scalar(element, softcap);
      scores = e.mul(e.tanh(e.div(scores, cap)), cap);
    }
    if (mode < 2)
      return scores;
    Value biased = mask ? e.add(scores, mask) : scores;
    return mode == 2 ? biased : e.softmax(biased);
  }
};

//===----------------------------------------------------------------------===//
// Rotary embeddings
//===----------------------------------------------------------------------===//

/// `table` [B, S, R/2] as xf.rope takes it for `heads` [B, H, S, D]: a
/// table of batch 1 for more sequences is every sequence's, [S, R/2].
Value ropeTable(Emitter &e, Value table, Value heads) {
  auto tableType = cast<RankedTensorType>(table.getType());
  auto headsType = cast<RankedTensorType>(heads.getType());
  if (tableType.getRank() == 3 && tableType.getDimSize(0) == 1 &&
      headsType.getDimSize(0) != 1)
    return e.gather(table, e.intScalar(0));
  return table;
}

struct RotaryEmbeddingPattern : RaisePattern<ONNX::RotaryEmbeddingOp> {
  using RaisePattern::RaisePattern;

  LogicalResult matchAndRewrite(ONNX::RotaryEmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getX().getType());
    if (!type)
      return refuse(rewriter, op, "X has no known rank");
    int64_t rotary = op.getRotaryEmbeddingDim();
    int64_t half = cast<ShapedType>(op.getCosCache().getType()).getShape().back();
    if (rotary && !ShapedType::isDynamic(half) && 2 * half != rotary)
      return refuse(rewriter, op,
                    "cos_cache's width " + Twine(half) +
                        " is not rotary_embedding_dim / 2 (" + Twine(rotary) +
                        " / 2)");
    Emitter e(rewriter, op.getLoc());
    Value x = type.getRank() == 3 ? e.toHeads(op.getX(), *op.getNumHeads())
                                  : op.getX();
    Value cos = op.getCosCache(), sin = op.getSinCache();
    if (Value positions = op.getPositionIds()) {
      cos = e.gather(cos, positions);
      sin = e.gather(sin, positions);
    }
    auto style = op.getInterleaved() ? XF::RopeStyle::interleaved
                                     : XF::RopeStyle::rotate_half;
    Value y = createRope(rewriter, op.getLoc(), x, ropeTable(e, cos, x),
                         ropeTable(e, sin, x), style);
    replaceResults(rewriter, op, {type.getRank() == 3 ? e.fromHeads(y) : y});
    return success();
  }
};

struct ContribRotaryEmbeddingPattern
    : RaisePattern<ONNX::ContribRotaryEmbeddingOp> {
  using RaisePattern::RaisePattern;

  LogicalResult matchAndRewrite(ONNX::ContribRotaryEmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto positionsType =
        dyn_cast<RankedTensorType>(op.getPositionIds().getType());
    if (!type || !positionsType)
      return refuse(rewriter, op, "input or position_ids has no known rank");
    int64_t half = cast<ShapedType>(op.getCosCache().getType()).getShape().back();
    int64_t rotary = op.getRotaryEmbeddingDim();
    if (ShapedType::isDynamic(half))
      return refuse(rewriter, op, "cos_cache's width must be static");
    // ONNX Runtime reads row p of the caches at p * R/2: they must be R/2
    // wide.
    if (rotary && 2 * half != rotary)
      return refuse(rewriter, op,
                    "cos_cache's width " + Twine(half) +
                        " is not rotary_embedding_dim / 2 (" + Twine(rotary) +
                        " / 2)");
    Emitter e(rewriter, op.getLoc());
    Value x = op.getInput();
    if (type.getRank() == 3) {
      int64_t width = type.getDimSize(2);
      int64_t heads = op.getNumHeads();
      if (!heads) {
        // Heads of the rotated width.
        if (ShapedType::isDynamic(width) || width % (2 * half) != 0)
          return refuse(rewriter, op,
                        "without num_heads, the input's width must be a "
                        "static multiple of 2 * cos_cache's width");
        heads = width / (2 * half);
      }
      x = e.toHeads(x, heads);
    }
    Value cos = op.getCosCache(), sin = op.getSinCache();
    if (positionsType.getRank() == 1) {
      // One offset: token s of every sequence at position_ids[0] + s.
      Value start = e.reshape(op.getPositionIds(), {});
      Value positions = e.range(start, e.add(start, e.dim(x, 2)));
      cos = e.gather(cos, positions);
      sin = e.gather(sin, positions);
    } else {
      cos = ropeTable(e, e.gather(cos, op.getPositionIds()), x);
      sin = ropeTable(e, e.gather(sin, op.getPositionIds()), x);
    }
    auto style = op.getInterleaved() ? XF::RopeStyle::interleaved
                                     : XF::RopeStyle::rotate_half;
    Value y = createRope(rewriter, op.getLoc(), x, cos, sin, style);
    replaceResults(rewriter, op, {type.getRank() == 3 ? e.fromHeads(y) : y});
    return success();
  }
};

} // namespace

void xf::populateAttentionOpRaisingPatterns(RewritePatternSet &patterns,
                                            Refusal refusal) {
  patterns.add<GroupQueryAttentionPattern, MultiHeadAttentionPattern,
               ONNXAttentionPattern, RotaryEmbeddingPattern,
               ContribRotaryEmbeddingPattern>(patterns.getContext(), refusal);
}
