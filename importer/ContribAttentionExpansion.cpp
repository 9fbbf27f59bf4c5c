//===- ContribAttentionExpansion.cpp - com.microsoft attention -> onnx ----===//
//
// Follows ONNX Runtime's definitions (docs/ContribOperators.md and its CPU
// kernels) for the forms exporters write:
//
// MultiHeadAttention: 3-D query, key, value [B, S, H * D]; the packed input
//   bias (Q | K | V) added first; heads [B, H, S, D]; present = Concat(past,
//   new) on the sequence axis; scores = scale * Q K^T (scale 1/sqrt(D) by
//   default) + key_padding_mask as Where(mask > 0, 0, mask_filter_value) +
//   attention_bias; unidirectional: key j is visible to query i iff
//   j <= i + past_length; Softmax; times V; back to [B, S, H * Dv].
//
// GroupQueryAttention: query [B, S, Hq * D] (or packed Q | K | V when key
//   and value are absent), key and value [B, S, Hkv * D], past [B, Hkv, P,
//   D]. With do_rotary, Q and the new K are rotated (rotate-half or
//   interleaved pairs) by rows P .. P + S - 1 of cos_cache and sin_cache;
//   present = Concat(past, K) (K rotated); key/value heads repeated as
//   np.repeat (Unsqueeze -> Expand -> Reshape, the repeat_kv form the fusion
//   strips); causal with offset P.
//
//   seqlens_k and total_sequence_length are not read: the expansion assumes
//   that every batch row holds P + S tokens (seqlens_k[b] = P + S - 1), the
//   case of a single sequence or of equally long ones. ONNX Runtime places a
//   shorter row's new tokens right after its own past instead; for such
//   batches (and for a padded first prompt's padding rows) the results
//   differ. The non-padding rows of a right-padded first prompt (no past)
//   agree.
//
// The causal condition is Cast(Trilu(ones [S, P + S], k = P)) with S read
// from the key, so that the fusion proves it is xf.attention's `causal`
// (offset (P + S) - S = P).
//
//===----------------------------------------------------------------------===//

#include "importer/ContribAttentionExpansion.h"
#include "importer/ONNXOpEmitter.h"

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <limits>
#include <optional>

using namespace mlir;
using llvm::StringRef;

namespace xf {
namespace {

constexpr StringRef kContribDomain = "com.microsoft";

/// What the attention core computes from heads: scores = scale * Q K^T +
/// the additive masks, keys outside the causal condition dropped.
struct AttentionParts {
  Value query;           // [B, Hq, S, D]
  Value key, value;      // [B, Hkv, T, D], [B, Hkv, T, Dv]
  int64_t heads = 0;     // Hq
  int64_t kvHeads = 0;   // Hkv
  double scale = 1.0;
  SmallVector<Value> additive;
  Value causalCondition; // bool [S, T] or null
};

class ContribExpander : ONNXOpEmitter {
public:
  ContribExpander(const onnx::NodeProto &node, OpBuilder &builder,
                  Location loc, ONNXOpCreator create)
      : ONNXOpEmitter(builder, loc, create), node(node) {}

  LogicalResult expandMultiHeadAttention(ArrayRef<Value> inputs,
                                         SmallVectorImpl<Value> &outputs);
  LogicalResult expandGroupQueryAttention(ArrayRef<Value> inputs,
                                          SmallVectorImpl<Value> &outputs);

private:
  InFlightDiagnostic fail() {
    return emitError(loc) << kContribDomain << "." << node.op_type() << ": ";
  }

  // Attributes.
  LogicalResult readAttributes(ArrayRef<StringRef> known);
  bool has(StringRef name) const { return attributes.contains(name); }
  FailureOr<int64_t> intAttribute(StringRef name, int64_t defaultValue);
  FailureOr<double> floatAttribute(StringRef name, double defaultValue);
  FailureOr<std::string> stringAttribute(StringRef name,
                                         StringRef defaultValue);

  Value concat(ValueRange values, int64_t axis) {
    return op("Concat", values, {intAttr("axis", axis)});
  }
  Value unsqueeze(Value value, ArrayRef<int64_t> axes) {
    return op("Unsqueeze", {value, i64Vector(axes)});
  }
  /// value[..., start:end:step] on `axis` (constant bounds).
  Value slice(Value value, int64_t start, int64_t end, int64_t axis,
              int64_t step = 1) {
    return sliceBy(value, i64Vector({start}), i64Vector({end}), axis, step);
  }
  Value sliceBy(Value value, Value starts, Value ends, int64_t axis,
                int64_t step = 1) {
    return op("Slice",
              {value, starts, ends, i64Vector({axis}), i64Vector({step})},
              {builder.getNamedAttr("operandSegmentSizes",
                                    builder.getDenseI32ArrayAttr(
                                        {1, 1, 1, 1, 1}))});
  }

  // Pieces.
  LogicalResult checkFloat3D(StringRef name, Value value, Type elementType);
  Value toHeads(Value value, int64_t heads);
  Value repeatHeads(Value value, int64_t heads, int64_t reps);
  Value causalCondition(Value newKey, Value pastLength, Value totalLength);
  Value rotate(Value x, Value cosRows, Value sinRows, bool interleaved);
  Value attend(const AttentionParts &parts);

  const onnx::NodeProto &node;
  llvm::StringMap<const onnx::AttributeProto *> attributes;
};

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

LogicalResult ContribExpander::readAttributes(ArrayRef<StringRef> known) {
  for (const onnx::AttributeProto &a : node.attribute()) {
    if (!llvm::is_contained(known, StringRef(a.name())))
      return fail() << "attribute '" << a.name() << "' is not supported";
    if (!a.ref_attr_name().empty())
      return fail() << "attribute '" << a.name()
                    << "' refers to a function attribute, which is only "
                       "valid inside a function body";
    attributes[a.name()] = &a;
  }
  return success();
}

FailureOr<int64_t> ContribExpander::intAttribute(StringRef name,
                                                 int64_t defaultValue) {
  const onnx::AttributeProto *a = attributes.lookup(name);
  if (!a)
    return defaultValue;
  if (a->type() != onnx::AttributeProto::INT &&
      !(a->type() == onnx::AttributeProto::UNDEFINED && a->has_i()))
    return fail() << "attribute '" << name << "' must be an int";
  return a->i();
}

FailureOr<double> ContribExpander::floatAttribute(StringRef name,
                                                  double defaultValue) {
  const onnx::AttributeProto *a = attributes.lookup(name);
  if (!a)
    return defaultValue;
  if (a->type() != onnx::AttributeProto::FLOAT &&
      !(a->type() == onnx::AttributeProto::UNDEFINED && a->has_f()))
    return fail() << "attribute '" << name << "' must be a float";
  return a->f();
}

FailureOr<std::string> ContribExpander::stringAttribute(StringRef name,
                                                        StringRef defaultValue) {
  const onnx::AttributeProto *a = attributes.lookup(name);
  if (!a)
    return defaultValue.str();
  if (a->type() != onnx::AttributeProto::STRING &&
      !(a->type() == onnx::AttributeProto::UNDEFINED && a->has_s()))
    return fail() << "attribute '" << name << "' must be a string";
  return a->s();
}

//===----------------------------------------------------------------------===//
// Pieces
//===----------------------------------------------------------------------===//

LogicalResult ContribExpander::checkFloat3D(StringRef name, Value value,
                                            Type elementType) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != 3 || type.getElementType() != elementType)
    return fail() << name << " must be 3-D [batch, sequence, hidden] of "
                  << elementType << ", not " << value.getType();
  return success();
}

/// [B, S, H * D] -> [B, H, S, D]; D spelled out when known.
Value ContribExpander::toHeads(Value value, int64_t heads) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t headSize =
      type.isDynamicDim(2) ? int64_t(-1) : type.getDimSize(2) / heads;
  return transpose(op("Reshape", {value, i64Vector({0, 0, heads, headSize})}),
                   {0, 2, 1, 3});
}

/// [B, Hkv, T, D] -> [B, Hkv * reps, T, D], head h reading h / reps.
Value ContribExpander::repeatHeads(Value value, int64_t heads, int64_t reps) {
  auto type = cast<RankedTensorType>(value.getType());
  Value expanded = op("Expand", {unsqueeze(value, {2}),
                                 i64Vector({1, 1, reps, 1, 1})});
  Value shape = type.isDynamicDim(3)
                    ? concat({i64Vector({0, heads, -1}), dimVector(value, 3)}, 0)
                    : i64Vector({0, heads, -1, type.getDimSize(3)});
  return op("Reshape", {expanded, shape});
}

/// Bool [S, T] keeping key j for query i iff j <= i + past, with S the new
/// keys' length.
Value ContribExpander::causalCondition(Value newKey, Value pastLength,
                                       Value totalLength) {
  Value shape =
      concat({dimVector(newKey, 2), unsqueeze(totalLength, {0})}, 0);
  auto one = DenseIntElementsAttr::get(
      RankedTensorType::get({1}, builder.getI64Type()), ArrayRef<int64_t>{1});
  Value ones = op("ConstantOfShape", {shape},
                  {builder.getNamedAttr("value", one)});
  Value lower = op("Trilu", {ones, pastLength}, {intAttr("upper", 0)});
  return op("Cast", {lower},
            {builder.getNamedAttr("to", TypeAttr::get(builder.getI1Type()))});
}

/// x [B, H, S, D] rotated by the angles of `cosRows`/`sinRows` [S, D/2]:
/// x * cos + rotate(x) * sin, with cos/sin repeated to [S, D] (each half
/// twice, or each element twice in a row when interleaved).
Value ContribExpander::rotate(Value x, Value cosRows, Value sinRows,
                              bool interleaved) {
  int64_t d = cast<RankedTensorType>(x.getType()).getDimSize(3);
  Value cosTable, sinTable, rotated;
  if (!interleaved) {
    cosTable = concat({cosRows, cosRows}, -1);
    sinTable = concat({sinRows, sinRows}, -1);
    Value x1 = slice(x, 0, d / 2, -1), x2 = slice(x, d / 2, d, -1);
    rotated = concat({op("Neg", {x2}), x1}, -1);
  } else {
    // repeat_interleave(rows, 2, -1) and stack(-x[..., 1::2], x[..., ::2],
    // -1) flattened, as GPT-J's rotate_every_two.
    auto repeatPairs = [&](Value rows) {
      Value column = unsqueeze(rows, {-1});
      return op("Reshape", {concat({column, column}, -1), i64Vector({0, d})});
    };
    cosTable = repeatPairs(cosRows);
    sinTable = repeatPairs(sinRows);
    Value x1 = slice(x, 0, d, -1, 2), x2 = slice(x, 1, d, -1, 2);
    Value stacked =
        concat({unsqueeze(op("Neg", {x2}), {-1}), unsqueeze(x1, {-1})}, -1);
    rotated = op("Reshape", {stacked, i64Vector({0, 0, 0, d})});
  }
  return op("Add", {op("Mul", {x, cosTable}), op("Mul", {rotated, sinTable})});
}

/// The attention output [B, S, Hq * Dv].
Value ContribExpander::attend(const AttentionParts &parts) {
  Value key = parts.key, value = parts.value;
  if (parts.heads != parts.kvHeads) {
    int64_t reps = parts.heads / parts.kvHeads;
    key = repeatHeads(key, parts.heads, reps);
    value = repeatHeads(value, parts.heads, reps);
  }
  Type elementType =
      cast<RankedTensorType>(parts.query.getType()).getElementType();
  Value scores = op("Mul", {op("MatMul", {parts.query,
                                          transpose(key, {0, 1, 3, 2})}),
                            scalarOf(elementType, parts.scale)});
  for (Value mask : parts.additive)
    scores = op("Add", {scores, mask});
  if (parts.causalCondition)
    scores = op("Where", {parts.causalCondition, scores,
                          scalarOf(elementType,
                                   -std::numeric_limits<double>::infinity())});
  Value probabilities = op("Softmax", {scores}, {intAttr("axis", -1)});
  Value output = transpose(op("MatMul", {probabilities, value}), {0, 2, 1, 3});
  return op("Reshape", {output, i64Vector({0, 0, -1})});
}

//===----------------------------------------------------------------------===//
// MultiHeadAttention
//===----------------------------------------------------------------------===//

LogicalResult
ContribExpander::expandMultiHeadAttention(ArrayRef<Value> inputs,
                                          SmallVectorImpl<Value> &outputs) {
  if (failed(readAttributes(
          {"num_heads", "scale", "unidirectional", "mask_filter_value"})))
    return failure();
  FailureOr<int64_t> heads = intAttribute("num_heads", 0);
  FailureOr<int64_t> unidirectional = intAttribute("unidirectional", 0);
  FailureOr<double> maskFilter = floatAttribute("mask_filter_value", -10000.0);
  FailureOr<double> scaleAttr = floatAttribute("scale", 0.0);
  if (failed(heads) || failed(unidirectional) || failed(maskFilter) ||
      failed(scaleAttr))
    return failure();
  if (!has("num_heads") || *heads <= 0)
    return fail() << "the attribute num_heads (positive) is required";
  if (inputs.size() > 10)
    return fail() << "the node has " << inputs.size()
                  << " inputs; MultiHeadAttention has at most 10";
  if (node.output_size() > 4)
    return fail() << "the node has " << node.output_size()
                  << " outputs; MultiHeadAttention has at most 4";
  if (node.output_size() == 4 && !node.output(3).empty())
    return fail() << "the qk output is not supported";
  auto input = [&](size_t i) {
    return i < inputs.size() ? inputs[i] : Value();
  };
  Value query = input(0), key = input(1), value = input(2), bias = input(3);
  Value keyPaddingMask = input(4), attentionBias = input(5);
  Value pastKey = input(6), pastValue = input(7);
  if (input(8) || input(9))
    return fail() << "past_sequence_length and cache_indirection (shared "
                     "KV buffers, beam search) are not supported";
  if (!query)
    return fail() << "query is required";
  auto queryType = dyn_cast<RankedTensorType>(query.getType());
  if (!queryType || !isa<FloatType>(queryType.getElementType()))
    return fail() << "query must be a ranked float tensor, not "
                  << query.getType();
  Type elementType = queryType.getElementType();
  if (queryType.getRank() == 5 || !key || !value)
    return fail() << "packed QKV (a 5-D query, or no key and value) is not "
                     "supported; give query, key and value as 3-D tensors";
  auto keyType = dyn_cast<RankedTensorType>(key.getType());
  if (keyType && keyType.getRank() == 5)
    return fail() << "packed KV (a 5-D key) is not supported";
  if (keyType && keyType.getRank() == 4)
    return fail() << "a 4-D key and value (a cross-attention cache in BNSH "
                     "used as key and value) are not supported";
  if (failed(checkFloat3D("query", query, elementType)) ||
      failed(checkFloat3D("key", key, elementType)) ||
      failed(checkFloat3D("value", value, elementType)))
    return failure();
  if (!pastKey != !pastValue)
    return fail() << "past_key and past_value must be given together";

  // Hidden sizes: Q and K share one, V may differ.
  int64_t hiddenQ = queryType.getDimSize(2);
  int64_t hiddenK = keyType.getDimSize(2);
  int64_t hiddenV = cast<RankedTensorType>(value.getType()).getDimSize(2);
  for (auto [name, hidden] : {std::pair("query", hiddenQ),
                              std::pair("key", hiddenK),
                              std::pair("value", hiddenV)})
    if (ShapedType::isDynamic(hidden) || hidden % *heads != 0)
      return fail() << name << "'s hidden size must be static and a multiple "
                    << "of num_heads (" << *heads << ")";
  if (hiddenQ != hiddenK)
    return fail() << "query's hidden size " << hiddenQ
                  << " differs from key's " << hiddenK;

  if (bias) {
    auto biasType = dyn_cast<RankedTensorType>(bias.getType());
    if (!biasType || biasType.getRank() != 1 ||
        biasType.getElementType() != elementType ||
        biasType.getDimSize(0) != hiddenQ + hiddenK + hiddenV)
      return fail() << "bias must be 1-D [" << hiddenQ + hiddenK + hiddenV
                    << "] of " << elementType << ", not " << bias.getType();
    query = op("Add", {query, slice(bias, 0, hiddenQ, 0)});
    key = op("Add", {key, slice(bias, hiddenQ, hiddenQ + hiddenK, 0)});
    value = op("Add", {value, slice(bias, hiddenQ + hiddenK,
                                    hiddenQ + hiddenK + hiddenV, 0)});
  }
  AttentionParts parts;
  parts.heads = parts.kvHeads = *heads;
  parts.query = toHeads(query, *heads);
  Value newKey = toHeads(key, *heads);
  Value newValue = toHeads(value, *heads);
  if (!parts.query || !newKey || !newValue)
    return failure();
  // As in ONNX Runtime, a scale of 0 means the default.
  parts.scale = has("scale") && *scaleAttr != 0.0
                    ? *scaleAttr
                    : 1.0 / std::sqrt(static_cast<double>(hiddenQ / *heads));
  if (!(parts.scale > 0.0) || !std::isfinite(parts.scale))
    return fail() << "scale " << parts.scale << " is not a positive number";

  parts.key = newKey;
  parts.value = newValue;
  if (pastKey) {
    for (auto [name, past, newHeads] :
         {std::tuple("past_key", pastKey, newKey),
          std::tuple("past_value", pastValue, newValue)}) {
      auto type = dyn_cast<RankedTensorType>(past.getType());
      auto expected = cast<RankedTensorType>(newHeads.getType());
      if (!type || type.getRank() != 4 || type.getElementType() != elementType ||
          type.getDimSize(1) != *heads ||
          type.getDimSize(3) != expected.getDimSize(3))
        return fail() << name << " must be [batch, " << *heads
                      << ", past, " << expected.getDimSize(3) << "] of "
                      << elementType << ", not " << past.getType();
    }
    parts.key = concat({pastKey, newKey}, 2);
    parts.value = concat({pastValue, newValue}, 2);
    if (!parts.key || !parts.value)
      return failure();
  }
  Value pastLength = pastKey ? dimScalar(pastKey, 2) : i64Scalar(0);
  Value totalLength = pastKey ? op("Add", {pastLength, dimScalar(newKey, 2)})
                              : dimScalar(newKey, 2);
  int64_t total = cast<RankedTensorType>(parts.key.getType()).getDimSize(2);

  if (keyPaddingMask) {
    // [B, T] or [B, S, T] int32, 0 = padding: an additive
    // Where(mask > 0, 0, mask_filter_value) as [B, 1, 1 or S, T].
    auto type = dyn_cast<RankedTensorType>(keyPaddingMask.getType());
    if (!type || !type.getElementType().isInteger(32) ||
        (type.getRank() != 2 && type.getRank() != 3) ||
        (!type.isDynamicDim(type.getRank() - 1) &&
         !ShapedType::isDynamic(total) &&
         type.getDimSize(type.getRank() - 1) != total))
      return fail() << "key_padding_mask must be int32 [batch, "
                       "total_sequence_length] or [batch, sequence_length, "
                       "total_sequence_length], not "
                    << keyPaddingMask.getType()
                    << " (the [batch] and [3 * batch + 2] length forms are "
                       "not supported)";
    Value keep = op("Greater",
                    {keyPaddingMask, scalarOf(type.getElementType(), 0)});
    Value mask = op("Where", {keep, scalarOf(elementType, 0.0),
                              scalarOf(elementType, *maskFilter)});
    parts.additive.push_back(
        unsqueeze(mask, type.getRank() == 2 ? ArrayRef<int64_t>{1, 2}
                                            : ArrayRef<int64_t>{1}));
  }
  if (attentionBias) {
    auto type = dyn_cast<RankedTensorType>(attentionBias.getType());
    if (!type || type.getRank() != 4 || type.getElementType() != elementType)
      return fail() << "attention_bias must be 4-D [batch or 1, num_heads or "
                       "1, sequence_length, total_sequence_length] of "
                    << elementType << ", not " << attentionBias.getType();
    parts.additive.push_back(attentionBias);
  }
  if (*unidirectional) {
    int64_t s = queryType.getDimSize(1), l = keyType.getDimSize(1);
    if (!ShapedType::isDynamic(s) && !ShapedType::isDynamic(l) && s != l)
      return fail() << "unidirectional with a query length (" << s
                    << ") other than the key length (" << l
                    << ") is not supported";
    parts.causalCondition = causalCondition(newKey, pastLength, totalLength);
  }
  Value output = attend(parts);
  if (!output)
    return failure();
  outputs.assign({output, parts.key, parts.value});
  return success();
}

//===----------------------------------------------------------------------===//
// GroupQueryAttention
//===----------------------------------------------------------------------===//

LogicalResult
ContribExpander::expandGroupQueryAttention(ArrayRef<Value> inputs,
                                           SmallVectorImpl<Value> &outputs) {
  if (failed(readAttributes(
          {"num_heads", "kv_num_heads", "scale", "local_window_size",
           "softcap", "do_rotary", "rotary_interleaved", "smooth_softmax",
           "qk_output", "causal", "sliding_window_cache", "k_quant_type",
           "v_quant_type", "kv_cache_bit_width", "qk_norm_epsilon"})))
    return failure();
  FailureOr<int64_t> heads = intAttribute("num_heads", 0);
  FailureOr<int64_t> kvHeads = intAttribute("kv_num_heads", 0);
  FailureOr<double> scaleAttr = floatAttribute("scale", 0.0);
  FailureOr<int64_t> window = intAttribute("local_window_size", -1);
  FailureOr<double> softcap = floatAttribute("softcap", 0.0);
  FailureOr<int64_t> doRotary = intAttribute("do_rotary", 0);
  FailureOr<int64_t> interleaved = intAttribute("rotary_interleaved", 0);
  FailureOr<int64_t> smoothSoftmax = intAttribute("smooth_softmax", 0);
  FailureOr<int64_t> qkOutput = intAttribute("qk_output", 0);
  FailureOr<int64_t> causal = intAttribute("causal", 1);
  FailureOr<int64_t> slidingCache = intAttribute("sliding_window_cache", 0);
  FailureOr<std::string> kQuant = stringAttribute("k_quant_type", "NONE");
  FailureOr<std::string> vQuant = stringAttribute("v_quant_type", "NONE");
  if (failed(heads) || failed(kvHeads) || failed(scaleAttr) ||
      failed(window) || failed(softcap) || failed(doRotary) ||
      failed(interleaved) || failed(smoothSoftmax) || failed(qkOutput) ||
      failed(causal) || failed(slidingCache) || failed(kQuant) ||
      failed(vQuant))
    return failure();
  if (!has("num_heads") || !has("kv_num_heads") || *heads <= 0 ||
      *kvHeads <= 0)
    return fail() << "the attributes num_heads and kv_num_heads (positive) "
                     "are required";
  if (*heads % *kvHeads != 0)
    return fail() << "num_heads (" << *heads
                  << ") is not a multiple of kv_num_heads (" << *kvHeads << ")";
  if (*window != -1)
    return fail() << "local_window_size " << *window
                  << " (sliding-window attention) is not supported; only -1";
  if (*softcap != 0.0)
    return fail() << "softcap " << *softcap << " is not supported; only 0";
  if (*smoothSoftmax != 0)
    return fail() << "smooth_softmax is not supported";
  if (*qkOutput != 0)
    return fail() << "qk_output is not supported";
  if (*causal != 1)
    return fail() << "causal = " << *causal
                  << " (bidirectional attention) is not supported";
  if (*slidingCache != 0)
    return fail() << "sliding_window_cache is not supported";
  if (*kQuant != "NONE" || *vQuant != "NONE")
    return fail() << "quantized KV caches (k_quant_type '" << *kQuant
                  << "', v_quant_type '" << *vQuant << "') are not supported";
  if (inputs.size() > 16)
    return fail() << "the node has " << inputs.size()
                  << " inputs; GroupQueryAttention has at most 16";
  if (node.output_size() > 4)
    return fail() << "the node has " << node.output_size()
                  << " outputs; GroupQueryAttention has at most 4";
  if (node.output_size() == 4 && !node.output(3).empty())
    return fail() << "the output_qk output is not supported";
  auto input = [&](size_t i) {
    return i < inputs.size() ? inputs[i] : Value();
  };
  Value query = input(0), key = input(1), value = input(2);
  Value pastKey = input(3), pastValue = input(4);
  Value seqlensK = input(5), totalSequenceLength = input(6);
  Value cosCache = input(7), sinCache = input(8), attentionBias = input(10);
  static constexpr std::pair<unsigned, StringRef> kUnsupportedInputs[] = {
      {9, "position_ids"}, {11, "head_sink"},     {12, "k_scale"},
      {13, "v_scale"},     {14, "q_norm_weight"}, {15, "k_norm_weight"}};
  for (auto [index, name] : kUnsupportedInputs)
    if (input(index))
      return fail() << "input " << index << " (" << name
                    << ") is not supported";
  if (!query || !seqlensK || !totalSequenceLength)
    return fail() << "query, seqlens_k and total_sequence_length are required";
  for (auto [name, v] : {std::pair("seqlens_k", seqlensK),
                         std::pair("total_sequence_length",
                                   totalSequenceLength)}) {
    auto type = dyn_cast<TensorType>(v.getType());
    if (!type || !type.getElementType().isInteger(32))
      return fail() << name << " must be int32, not " << v.getType();
  }
  auto queryType = dyn_cast<RankedTensorType>(query.getType());
  if (!queryType || !isa<FloatType>(queryType.getElementType()))
    return fail() << "query must be a ranked float tensor, not "
                  << query.getType();
  Type elementType = queryType.getElementType();
  if (failed(checkFloat3D("query", query, elementType)))
    return failure();
  if (!key != !value)
    return fail() << "key and value must be given together (or neither, "
                     "for packed QKV)";
  if (!pastKey != !pastValue)
    return fail() << "past_key and past_value must be given together";

  // Head size, and Q, K, V from a packed query.
  int64_t width = queryType.getDimSize(2);
  if (ShapedType::isDynamic(width))
    return fail() << "query's hidden size must be static";
  int64_t headSize;
  if (!key) {
    int64_t groups = *heads + 2 * *kvHeads;
    if (width % groups != 0)
      return fail() << "packed QKV's width " << width
                    << " is not a multiple of num_heads + 2 * kv_num_heads ("
                    << groups << ")";
    headSize = width / groups;
    int64_t qWidth = *heads * headSize, kvWidth = *kvHeads * headSize;
    key = slice(query, qWidth, qWidth + kvWidth, -1);
    value = slice(query, qWidth + kvWidth, width, -1);
    query = slice(query, 0, qWidth, -1);
    if (!query || !key || !value)
      return failure();
  } else {
    if (failed(checkFloat3D("key", key, elementType)) ||
        failed(checkFloat3D("value", value, elementType)))
      return failure();
    if (width % *heads != 0)
      return fail() << "query's hidden size " << width
                    << " is not a multiple of num_heads (" << *heads << ")";
    headSize = width / *heads;
    for (auto [name, v] : {std::pair("key", key), std::pair("value", value)})
      if (cast<RankedTensorType>(v.getType()).getDimSize(2) !=
          *kvHeads * headSize)
        return fail() << name << " must be [batch, sequence, "
                      << *kvHeads * headSize << "] (kv_num_heads * head "
                      << "size), not " << v.getType();
  }

  AttentionParts parts;
  parts.heads = *heads;
  parts.kvHeads = *kvHeads;
  parts.scale = has("scale") && *scaleAttr != 0.0
                    ? *scaleAttr
                    : 1.0 / std::sqrt(static_cast<double>(headSize));
  if (!(parts.scale > 0.0) || !std::isfinite(parts.scale))
    return fail() << "scale " << parts.scale << " is not a positive number";
  parts.query = toHeads(query, *heads);
  Value newKey = toHeads(key, *kvHeads);
  Value newValue = toHeads(value, *kvHeads);
  if (!parts.query || !newKey || !newValue)
    return failure();

  if (pastKey) {
    for (auto [name, past] : {std::pair("past_key", pastKey),
                              std::pair("past_value", pastValue)}) {
      auto type = dyn_cast<RankedTensorType>(past.getType());
      if (!type || type.getRank() != 4 ||
          type.getElementType() != elementType ||
          type.getDimSize(1) != *kvHeads || type.getDimSize(3) != headSize)
        return fail() << name << " must be [batch, " << *kvHeads
                      << ", past, " << headSize << "] (BNSH) of "
                      << elementType << ", not " << past.getType()
                      << " (quantized caches are not supported)";
    }
  }
  Value pastLength = pastKey ? dimScalar(pastKey, 2) : i64Scalar(0);

  if (*doRotary) {
    if (!cosCache || !sinCache)
      return fail() << "do_rotary needs cos_cache and sin_cache";
    for (auto [name, cache] : {std::pair("cos_cache", cosCache),
                               std::pair("sin_cache", sinCache)}) {
      auto type = dyn_cast<RankedTensorType>(cache.getType());
      if (!type || type.getRank() != 2 ||
          type.getElementType() != elementType)
        return fail() << name << " must be 2-D [max_sequence_length, "
                      << "rotary_dim / 2] of " << elementType << ", not "
                      << cache.getType();
      if (type.getDimSize(1) * 2 != headSize)
        return fail() << name << " covers a rotary dimension of "
                      << type.getDimSize(1) * 2 << ", not the head size "
                      << headSize
                      << " (partial rotary embedding is not supported)";
    }
    if (*interleaved != 0 && *interleaved != 1)
      return fail() << "rotary_interleaved must be 0 or 1";
    // Rows P .. P + S - 1: positions of the new tokens.
    Value start = pastKey ? dimVector(pastKey, 2) : i64Vector({0});
    Value end = op("Add", {start, dimVector(newKey, 2)});
    Value cosRows = sliceBy(cosCache, start, end, 0);
    Value sinRows = sliceBy(sinCache, start, end, 0);
    parts.query = rotate(parts.query, cosRows, sinRows, *interleaved);
    newKey = rotate(newKey, cosRows, sinRows, *interleaved);
    if (!parts.query || !newKey)
      return failure();
  }

  parts.key = newKey;
  parts.value = newValue;
  if (pastKey) {
    parts.key = concat({pastKey, newKey}, 2);
    parts.value = concat({pastValue, newValue}, 2);
    if (!parts.key || !parts.value)
      return failure();
  }
  if (attentionBias) {
    auto type = dyn_cast<RankedTensorType>(attentionBias.getType());
    if (!type || type.getRank() != 4 || type.getElementType() != elementType)
      return fail() << "attention_bias must be 4-D [batch or 1, num_heads or "
                       "1, sequence_length, total_sequence_length] of "
                    << elementType << ", not " << attentionBias.getType();
    parts.additive.push_back(attentionBias);
  }
  Value totalLength = pastKey ? op("Add", {pastLength, dimScalar(newKey, 2)})
                              : dimScalar(newKey, 2);
  parts.causalCondition = causalCondition(newKey, pastLength, totalLength);
  Value output = attend(parts);
  if (!output)
    return failure();
  outputs.assign({output, parts.key, parts.value});
  return success();
}

} // namespace

bool isContribAttention(StringRef domain, StringRef opType) {
  return domain == kContribDomain &&
         (opType == "MultiHeadAttention" || opType == "GroupQueryAttention");
}

LogicalResult expandContribAttention(const onnx::NodeProto &node,
                                     ArrayRef<Value> inputs,
                                     OpBuilder &builder, Location loc,
                                     ONNXOpCreator create,
                                     SmallVectorImpl<Value> &outputs) {
  ContribExpander expander(node, builder, loc, create);
  if (node.op_type() == "MultiHeadAttention")
    return expander.expandMultiHeadAttention(inputs, outputs);
  return expander.expandGroupQueryAttention(inputs, outputs);
}

} // namespace xf
