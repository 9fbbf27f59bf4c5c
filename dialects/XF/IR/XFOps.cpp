//===- XFOps.cpp - verifiers of the xf operations -------------------------===//
//
// Traits check operand kinds, ranks and element types; these verifiers check
// the relations between dimensions. A check applies only where every
// dimension it involves is static: dynamic dimensions are trusted.
//
//===----------------------------------------------------------------------===//

#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace xf::XF;

namespace {
/// Two dimensions that the op's semantics require to be equal, with the
/// names the error message gives them.
struct DimPair {
  StringRef name;
  int64_t size;
  StringRef otherName;
  int64_t otherSize;
};
} // namespace

static bool areStatic(std::initializer_list<int64_t> sizes) {
  return llvm::none_of(sizes, ShapedType::isDynamic);
}

/// Fails on the first pair whose sizes are both static and differ.
static LogicalResult verifyEqualDims(Operation *op, ArrayRef<DimPair> pairs) {
  for (const DimPair &pair : pairs)
    if (areStatic({pair.size, pair.otherSize}) && pair.size != pair.otherSize)
      return op->emitOpError()
             << pair.name << " (" << pair.size << ") does not match "
             << pair.otherName << " (" << pair.otherSize << ")";
  return success();
}

/// Checks that `result` is `leading` followed by exactly one dimension,
/// whose size the caller checks.
static LogicalResult verifyLeadingDims(Operation *op, ArrayRef<int64_t> leading,
                                       StringRef leadingName,
                                       RankedTensorType result) {
  int64_t rank = static_cast<int64_t>(leading.size()) + 1;
  if (result.getRank() != rank)
    return op->emitOpError() << "result has rank " << result.getRank()
                             << " but should have rank " << rank;
  for (auto [index, expected, actual] :
       llvm::enumerate(leading, result.getShape().drop_back()))
    if (areStatic({expected, actual}) && expected != actual)
      return op->emitOpError()
             << "result dimension " << index << " (" << actual
             << ") does not match " << leadingName << " dimension " << index
             << " (" << expected << ")";
  return success();
}

/// Checks an optional bias [N] against the output features and the element
/// type of the values it is added to.
static LogicalResult verifyBias(Operation *op,
                                TypedValue<RankedTensorType> bias,
                                int64_t outputFeatures, Type elementType) {
  if (!bias)
    return success();
  if (bias.getType().getElementType() != elementType)
    return op->emitOpError()
           << "bias element type " << bias.getType().getElementType()
           << " does not match input element type " << elementType;
  return verifyEqualDims(op, {{"bias size", bias.getType().getDimSize(0),
                               "output features", outputFeatures}});
}

/// Grouped-query attention maps each key/value head to a whole number of
/// query heads.
static LogicalResult verifyHeadGroups(Operation *op, int64_t queryHeads,
                                      int64_t keyValueHeads) {
  if (!areStatic({queryHeads, keyValueHeads}))
    return success();
  if (keyValueHeads == 0 || queryHeads % keyValueHeads != 0)
    return op->emitOpError() << "query heads (" << queryHeads
                             << ") are not a multiple of key/value heads ("
                             << keyValueHeads << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// A softcap is positive; a window needs `causal` (it is measured back
/// from each query's own position).
static LogicalResult verifySoftcapAndWindow(Operation *op,
                                            std::optional<APFloat> softcap,
                                            std::optional<uint64_t> window,
                                            bool causal) {
  if (softcap && !(softcap->convertToDouble() > 0.0))
    return op->emitOpError() << "softcap must be positive";
  if (window && !causal)
    return op->emitOpError() << "has a window but is not causal";
  return success();
}

LogicalResult AttentionOp::verify() {
  ArrayRef<int64_t> q = getQuery().getType().getShape();
  ArrayRef<int64_t> k = getKey().getType().getShape();
  ArrayRef<int64_t> v = getValue().getType().getShape();
  ArrayRef<int64_t> r = getResult().getType().getShape();
  if (failed(verifyEqualDims(
          *this, {{"key batch", k[0], "query batch", q[0]},
                  {"value batch", v[0], "query batch", q[0]},
                  {"value heads", v[1], "key heads", k[1]},
                  {"value length", v[2], "key length", k[2]},
                  {"key head_dim", k[3], "query head_dim", q[3]},
                  {"result batch", r[0], "query batch", q[0]},
                  {"result heads", r[1], "query heads", q[1]},
                  {"result length", r[2], "query length", q[2]},
                  {"result head_dim", r[3], "value head_dim", v[3]}})) ||
      failed(verifyHeadGroups(*this, q[1], k[1])))
    return failure();

  if (getCausal() && areStatic({q[2], k[2]}) && q[2] > k[2])
    return emitOpError() << "is causal with more queries (" << q[2]
                         << ") than keys (" << k[2] << ")";
  if (failed(verifySoftcapAndWindow(*this, getSoftcap(), getWindow(),
                                    getCausal())))
    return failure();

  if (TypedValue<RankedTensorType> mask = getMask()) {
    RankedTensorType maskType = mask.getType();
    Type elementType = getQuery().getType().getElementType();
    if (maskType.getElementType() != elementType)
      return emitOpError() << "mask element type " << maskType.getElementType()
                           << " does not match query element type "
                           << elementType;
    // Numpy broadcasting, aligned on the right, to [B, Hq, Sq, Skv].
    SmallVector<int64_t, 4> scores = {q[0], q[1], q[2], k[2]};
    int64_t offset = 4 - maskType.getRank();
    for (auto [index, size] : llvm::enumerate(maskType.getShape())) {
      int64_t target = scores[offset + index];
      if (size != 1 && areStatic({size, target}) && size != target)
        return emitOpError() << "mask dimension " << index << " (" << size
                             << ") does not broadcast to " << target;
    }
  }
  return success();
}

LogicalResult PagedAttentionOp::verify() {
  ArrayRef<int64_t> q = getQuery().getType().getShape();
  ArrayRef<int64_t> kp = getKeyPool().getType().getShape();
  ArrayRef<int64_t> vp = getValuePool().getType().getShape();
  ArrayRef<int64_t> r = getResult().getType().getShape();
  int64_t tableBatch = getBlockTable().getType().getDimSize(0);
  int64_t lensBatch = getContextLens().getType().getDimSize(0);
  if (failed(verifyEqualDims(
          *this,
          {{"value_pool blocks", vp[0], "key_pool blocks", kp[0]},
           {"value_pool heads", vp[1], "key_pool heads", kp[1]},
           {"value_pool block size", vp[2], "key_pool block size", kp[2]},
           {"key_pool head_dim", kp[3], "query head_dim", q[3]},
           {"block_table batch", tableBatch, "query batch", q[0]},
           {"context_lens batch", lensBatch, "query batch", q[0]},
           {"result batch", r[0], "query batch", q[0]},
           {"result heads", r[1], "query heads", q[1]},
           {"result length", r[2], "query length", q[2]},
           {"result head_dim", r[3], "value_pool head_dim", vp[3]}})) ||
      failed(verifySoftcapAndWindow(*this, getSoftcap(), getWindow(),
                                    getCausal())))
    return failure();
  return verifyHeadGroups(*this, q[1], kp[1]);
}

LogicalResult KVCacheWriteOp::verify() {
  ArrayRef<int64_t> k = getKey().getType().getShape();
  ArrayRef<int64_t> v = getValue().getType().getShape();
  ArrayRef<int64_t> kp = getKeyPool().getType().getShape();
  ArrayRef<int64_t> vp = getValuePool().getType().getShape();
  ArrayRef<int64_t> slots = getSlotMapping().getType().getShape();
  return verifyEqualDims(
      *this, {{"value batch", v[0], "key batch", k[0]},
              {"value heads", v[1], "key heads", k[1]},
              {"value length", v[2], "key length", k[2]},
              {"key_pool heads", kp[1], "key heads", k[1]},
              {"key_pool head_dim", kp[3], "key head_dim", k[3]},
              {"value_pool blocks", vp[0], "key_pool blocks", kp[0]},
              {"value_pool heads", vp[1], "key_pool heads", kp[1]},
              {"value_pool block size", vp[2], "key_pool block size", kp[2]},
              {"value_pool head_dim", vp[3], "value head_dim", v[3]},
              {"slot_mapping batch", slots[0], "key batch", k[0]},
              {"slot_mapping length", slots[1], "key length", k[2]}});
}

//===----------------------------------------------------------------------===//
// Normalization and positional embedding
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  return verifyEqualDims(
      *this,
      {{"weight size", getWeight().getType().getDimSize(0),
        "input last dimension", getInput().getType().getShape().back()}});
}

LogicalResult LayerNormOp::verify() {
  int64_t features = getInput().getType().getShape().back();
  if (failed(verifyEqualDims(
          *this, {{"weight size", getWeight().getType().getDimSize(0),
                   "input last dimension", features}})))
    return failure();
  return verifyBias(*this, getBias(), features,
                    getInput().getType().getElementType());
}

LogicalResult RopeOp::verify() {
  ArrayRef<int64_t> x = getInput().getType().getShape();
  ArrayRef<int64_t> table = getCos().getType().getShape();
  bool perSequence = table.size() == 3;
  if (perSequence && failed(verifyEqualDims(*this, {{"cos/sin batch", table[0],
                                                     "input batch", x[0]}})))
    return failure();
  int64_t length = table[table.size() - 2];
  int64_t halfRotary = table.back();
  if (failed(verifyEqualDims(
          *this, {{"cos/sin length", length, "input length", x[2]}})))
    return failure();
  if (areStatic({halfRotary, x[3]}) && 2 * halfRotary > x[3])
    return emitOpError() << "cos/sin rows of " << halfRotary
                         << " angles rotate " << 2 * halfRotary
                         << " elements but head_dim is " << x[3];
  return success();
}

//===----------------------------------------------------------------------===//
// Linear layers
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  RankedTensorType input = getInput().getType();
  ArrayRef<int64_t> w = getWeight().getType().getShape();
  RankedTensorType result = getResult().getType();
  Type weightElement = getWeight().getType().getElementType();
  if (weightElement != input.getElementType() &&
      !(input.getElementType().isF32() &&
        (weightElement.isF16() || weightElement.isBF16())))
    return emitOpError() << "weight element type " << weightElement
                         << " must be the input's ("
                         << input.getElementType()
                         << "), or f16/bf16 with an f32 input";
  if (failed(verifyEqualDims(*this,
                             {{"weight columns", w[1], "input last dimension",
                               input.getShape().back()}})) ||
      failed(verifyLeadingDims(*this, input.getShape().drop_back(), "input",
                               result)) ||
      failed(verifyEqualDims(
          *this, {{"result last dimension", result.getShape().back(),
                   "weight rows", w[0]}})))
    return failure();
  return verifyBias(*this, getBias(), w[0], input.getElementType());
}

/// What xf.qlinear and xf.qembedding share: codes [rows, ceil(k * bits / 8)],
/// scales [rows, ceil(k / groupSize)], zero points (integer, or float of
/// the scales' type) exactly when not symmetric, of the scales' shape.
static LogicalResult
verifyQuantizedStorage(Operation *op, ArrayRef<int64_t> w,
                       TypedValue<RankedTensorType> scales,
                       TypedValue<RankedTensorType> zeroPoints, int64_t k,
                       int64_t bits, int64_t groupSize, bool symmetric) {
  ArrayRef<int64_t> s = scales.getType().getShape();
  if (symmetric && zeroPoints)
    return op->emitOpError() << "is symmetric but has zero points";
  if (!symmetric && !zeroPoints)
    return op->emitOpError() << "is asymmetric but has no zero points";

  if (!ShapedType::isDynamic(k)) {
    int64_t rowBytes = llvm::divideCeil(k * bits, 8);
    if (!ShapedType::isDynamic(w[1]) && w[1] != rowBytes)
      return op->emitOpError()
             << "weight rows have " << w[1] << " bytes but " << k
             << " codes of " << bits << " bits need " << rowBytes;
    int64_t groups = llvm::divideCeil(k, groupSize);
    if (!ShapedType::isDynamic(s[1]) && s[1] != groups)
      return op->emitOpError() << "scales have " << s[1]
                               << " groups per row but " << k
                               << " inputs in groups of " << groupSize
                               << " make " << groups;
  }

  if (failed(
          verifyEqualDims(op, {{"scales rows", s[0], "weight rows", w[0]}})))
    return failure();
  if (zeroPoints) {
    Type zeroType = zeroPoints.getType().getElementType();
    Type scaleType = scales.getType().getElementType();
    if (isa<FloatType>(zeroType) && zeroType != scaleType)
      return op->emitOpError()
             << "has " << zeroType << " zero points but " << scaleType
             << " scales (float zero points take the scales' type)";
    ArrayRef<int64_t> z = zeroPoints.getType().getShape();
    if (failed(verifyEqualDims(
            op, {{"zero_points rows", z[0], "scales rows", s[0]},
                 {"zero_points groups", z[1], "scales groups", s[1]}})))
      return failure();
  }
  return success();
}

LogicalResult QLinearOp::verify() {
  RankedTensorType input = getInput().getType();
  ArrayRef<int64_t> w = getWeight().getType().getShape();
  RankedTensorType result = getResult().getType();
  if (failed(verifyQuantizedStorage(
          *this, w, getScales(), getZeroPoints(), input.getShape().back(),
          static_cast<int64_t>(getBits()),
          static_cast<int64_t>(getGroupSize()), getSymmetric())))
    return failure();
  if (failed(verifyLeadingDims(*this, input.getShape().drop_back(), "input",
                               result)) ||
      failed(verifyEqualDims(
          *this, {{"result last dimension", result.getShape().back(),
                   "weight rows", w[0]}})))
    return failure();
  if (getInt8Activations() && getExactActivations())
    return emitOpError("int8_activations and exact_activations exclude each "
                       "other");
  return verifyBias(*this, getBias(), w[0], input.getElementType());
}

//===----------------------------------------------------------------------===//
// Embedding
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  RankedTensorType result = getResult().getType();
  if (failed(verifyLeadingDims(*this, getIds().getType().getShape(), "ids",
                               result)))
    return failure();
  return verifyEqualDims(
      *this, {{"result last dimension", result.getShape().back(),
               "table columns", getTable().getType().getDimSize(1)}});
}

LogicalResult QEmbeddingOp::verify() {
  RankedTensorType result = getResult().getType();
  if (failed(verifyQuantizedStorage(
          *this, getTable().getType().getShape(), getScales(),
          getZeroPoints(), result.getShape().back(),
          static_cast<int64_t>(getBits()),
          static_cast<int64_t>(getGroupSize()), getSymmetric())))
    return failure();
  return verifyLeadingDims(*this, getIds().getType().getShape(), "ids",
                           result);
}

//===----------------------------------------------------------------------===//
// Run-time shape checks
//===----------------------------------------------------------------------===//

LogicalResult CheckDimOp::canonicalize(CheckDimOp op,
                                       PatternRewriter &rewriter) {
  // One value on both sides, or constants that satisfy the rule.
  std::optional<int64_t> size = getConstantIntValue(op.getSize());
  std::optional<int64_t> expected = getConstantIntValue(op.getExpected());
  bool holds = op.getSize() == op.getExpected() ||
               (size && expected && *size == *expected) ||
               (op.getBroadcast() && size == 1);
  if (!holds)
    return failure();
  rewriter.eraseOp(op);
  return success();
}

//===----------------------------------------------------------------------===//
// Dimension sources
//===----------------------------------------------------------------------===//

std::optional<std::pair<Value, int64_t>>
xf::XF::getResultDimSource(OpResult result, int64_t dim) {
  Operation *op = result.getOwner();
  using Source = std::optional<std::pair<Value, int64_t>>;
  return llvm::TypeSwitch<Operation *, Source>(op)
      .Case<AttentionOp>([&](AttentionOp attention) -> Source {
        if (dim == 3)
          return std::pair(attention.getValue(), int64_t(3));
        return std::pair(attention.getQuery(), dim);
      })
      .Case<PagedAttentionOp>([&](PagedAttentionOp attention) -> Source {
        if (dim == 3)
          return std::pair(attention.getValuePool(), int64_t(3));
        return std::pair(attention.getQuery(), dim);
      })
      .Case<KVCacheWriteOp>([&](KVCacheWriteOp write) -> Source {
        return std::pair(result.getResultNumber() == 0 ? write.getKeyPool()
                                                       : write.getValuePool(),
                         dim);
      })
      .Case<RMSNormOp, LayerNormOp, RopeOp, GeluOp, SiluOp, SwiGLUOp>(
          [&](Operation *op) -> Source {
            return std::pair(op->getOperand(0), dim);
          })
      .Case<LinearOp, QLinearOp>([&](Operation *op) -> Source {
        int64_t rank = cast<RankedTensorType>(result.getType()).getRank();
        if (dim < rank - 1)
          return std::pair(op->getOperand(0), dim);
        // N: the weight's rows, or the rows of the scales of packed ones.
        if (auto linear = dyn_cast<LinearOp>(op))
          return std::pair(linear.getWeight(), int64_t(0));
        return std::pair(cast<QLinearOp>(op).getScales(), int64_t(0));
      })
      .Case<EmbeddingOp>([&](EmbeddingOp embedding) -> Source {
        int64_t idsRank = embedding.getIds().getType().getRank();
        if (dim < idsRank)
          return std::pair(embedding.getIds(), dim);
        return std::pair(embedding.getTable(), int64_t(1));
      })
      .Case<QEmbeddingOp>([&](QEmbeddingOp embedding) -> Source {
        if (dim < embedding.getIds().getType().getRank())
          return std::pair(embedding.getIds(), dim);
        return std::nullopt;
      })
      .Default([](Operation *) -> Source { return std::nullopt; });
}

#define GET_OP_CLASSES
#include "dialects/XF/IR/XFOps.cpp.inc"
