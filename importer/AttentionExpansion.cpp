//===- AttentionExpansion.cpp - ONNX Attention -> onnx dialect ops --------===//
//
// Follows onnx/reference/ops/op_attention.py step by step:
//
//   3-D Q, K, V [B, S, H * D] -> Reshape [0, 0, H, D or -1] -> Transpose
//     [0, 2, 1, 3]
//   present_key = Concat(past_key, K, axis 2) (K itself without a past),
//   the same for V
//   GQA (q heads a multiple of kv heads): K, V heads repeated as np.repeat
//     does (head h reads kv head h / reps): Unsqueeze(2) -> Expand
//     [1, 1, reps, 1, 1] -> Reshape [0, Hq, -1, D]
//   scores = MatMul(Q * sqrt(scale), Transpose(K, [0, 1, 3, 2]) * sqrt(scale))
//   softcap: scores = softcap * Tanh(scores / softcap)
//   attn_mask: float -> Add; bool -> Where(mask, scores, -inf); a mask shorter
//     than the total kv length is padded with -inf (false)
//   is_causal: Where(Cast(Trilu(ones [Sq, Skv], k = past, lower)), scores,
//     -inf): key j is visible to query i iff j <= i + past_sequence_length
//   nonpad_kv_seqlen: Where(Range(Skv) < nonpad[:, None, None, None], ...)
//   Softmax(axis -1) (in softmax_precision between two Casts if given),
//   MatMul with V; 3-D: Transpose [0, 2, 1, 3] -> Reshape [0, 0, -1]
//
// The fusion pass (passes/Fusion/AttentionFusion.cpp) reads this back as one
// xf.attention: the two sqrt(scale) factors multiply into its scale, the
// repeat is stripped, Where(cond, scores, -inf) becomes a mask (or `causal`
// when the triangle's offset is Skv - Sq).
//
//===----------------------------------------------------------------------===//

#include "importer/AttentionExpansion.h"
#include "importer/ONNXOpEmitter.h"
#include "importer/TensorImport.h"

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <limits>
#include <optional>

using namespace mlir;
using llvm::StringRef;

namespace xf {
namespace {

struct AttentionAttributes {
  std::optional<double> scale;
  bool isCausal = false;
  std::optional<int64_t> qNumHeads, kvNumHeads;
  std::optional<int64_t> softmaxPrecision;
  double softcap = 0.0;
  int64_t qkMatmulOutputMode = 0;
};

class AttentionExpander : ONNXOpEmitter {
public:
  AttentionExpander(const onnx::NodeProto &node, int64_t version,
                    OpBuilder &builder, Location loc, ONNXOpCreator create)
      : ONNXOpEmitter(builder, loc, create), node(node), version(version) {}

  LogicalResult expand(ArrayRef<Value> inputs, SmallVectorImpl<Value> &outputs);

private:
  InFlightDiagnostic fail() {
    return emitError(loc) << node.op_type() << "-" << version << ": ";
  }
  LogicalResult readAttributes();

  Value toHeads(Value value, int64_t heads);
  Value repeatHeads(Value value, int64_t heads, int64_t reps);
  Value padMask(Value mask, Value presentKey);
  Value causalCondition(Value query, Value pastLength, Value totalLength);

  const onnx::NodeProto &node;
  int64_t version;
  AttentionAttributes attrs;
};

LogicalResult AttentionExpander::readAttributes() {
  using AP = onnx::AttributeProto;
  for (const onnx::AttributeProto &a : node.attribute()) {
    StringRef name = a.name();
    bool isFloat = name == "scale" || name == "softcap";
    bool isInt = name == "is_causal" || name == "q_num_heads" ||
                 name == "kv_num_heads" || name == "softmax_precision" ||
                 name == "qk_matmul_output_mode";
    if (!isFloat && !isInt)
      return fail() << "attribute '" << name << "' is not an attribute of "
                    << node.op_type() << "-" << version;
    if (!a.ref_attr_name().empty())
      return fail() << "attribute '" << name
                    << "' refers to a function attribute, which is only "
                       "valid inside a function body";
    AP::AttributeType type = a.type();
    if (type == AP::UNDEFINED)
      type = a.has_f() ? AP::FLOAT : a.has_i() ? AP::INT : AP::UNDEFINED;
    if ((isFloat && type != AP::FLOAT) || (isInt && type != AP::INT))
      return fail() << "attribute '" << name << "' must be "
                    << (isFloat ? "a float" : "an int");
    if (name == "scale")
      attrs.scale = a.f();
    else if (name == "softcap")
      attrs.softcap = a.f();
    else if (name == "is_causal")
      attrs.isCausal = a.i() != 0;
    else if (name == "q_num_heads")
      attrs.qNumHeads = a.i();
    else if (name == "kv_num_heads")
      attrs.kvNumHeads = a.i();
    else if (name == "softmax_precision")
      attrs.softmaxPrecision = a.i();
    else
      attrs.qkMatmulOutputMode = a.i();
  }
  if (attrs.qkMatmulOutputMode < 0 || attrs.qkMatmulOutputMode > 3)
    return fail() << "qk_matmul_output_mode " << attrs.qkMatmulOutputMode
                  << " is not one of 0, 1, 2, 3";
  for (auto [name, heads] : {std::pair("q_num_heads", attrs.qNumHeads),
                             std::pair("kv_num_heads", attrs.kvNumHeads)})
    if (heads && *heads <= 0)
      return fail() << name << " must be positive, not " << *heads;
  return success();
}

/// [B, S, H * D] -> [B, H, S, D]. D is spelled out when known, so that it
/// stays static next to a dynamic B or S.
Value AttentionExpander::toHeads(Value value, int64_t heads) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t headSize =
      type.isDynamicDim(2) ? int64_t(-1) : type.getDimSize(2) / heads;
  Value reshaped = op("Reshape", {value, i64Vector({0, 0, heads, headSize})});
  return reshaped ? transpose(reshaped, {0, 2, 1, 3}) : Value();
}

/// [B, Hkv, S, D] -> [B, Hkv * reps, S, D], each head `reps` times in a row
/// (np.repeat on axis 1).
Value AttentionExpander::repeatHeads(Value value, int64_t heads, int64_t reps) {
  Value unsqueezed = op("Unsqueeze", {value, i64Vector({2})});
  if (!unsqueezed)
    return nullptr;
  Value expanded = op("Expand", {unsqueezed, i64Vector({1, 1, reps, 1, 1})});
  if (!expanded)
    return nullptr;
  auto type = cast<RankedTensorType>(value.getType());
  Value shape;
  if (!type.isDynamicDim(3)) {
    shape = i64Vector({0, heads, -1, type.getDimSize(3)});
  } else {
    Value headSize = dimVector(value, 3);
    if (!headSize)
      return nullptr;
    shape = op("Concat", {i64Vector({0, heads, -1}), headSize},
               {intAttr("axis", 0)});
    if (!shape)
      return nullptr;
  }
  return op("Reshape", {expanded, shape});
}

/// The mask with its last dimension padded to the total kv length with
/// -inf (false for a bool mask), as the reference does for a shorter one.
Value AttentionExpander::padMask(Value mask, Value presentKey) {
  auto type = cast<RankedTensorType>(mask.getType());
  int64_t rank = type.getRank();
  int64_t length = type.getDimSize(rank - 1);
  int64_t total = cast<RankedTensorType>(presentKey.getType()).getDimSize(2);
  if (ShapedType::isDynamic(length) || ShapedType::isDynamic(total) ||
      length == total)
    return mask;
  if (length > total) {
    fail() << "attn_mask's last dimension (" << length
           << ") is longer than the total key/value sequence length (" << total
           << ")";
    return nullptr;
  }
  // The padding's shape: the mask's leading dimensions, then total - length.
  SmallVector<Value> parts;
  for (int64_t d = 0; d < rank - 1; ++d) {
    Value dim = dimVector(mask, d);
    if (!dim)
      return nullptr;
    parts.push_back(dim);
  }
  parts.push_back(i64Vector({total - length}));
  Value shape = parts.size() == 1 ? parts.front()
                                  : op("Concat", parts, {intAttr("axis", 0)});
  if (!shape)
    return nullptr;
  Type elementType = type.getElementType();
  auto valueType = RankedTensorType::get({1}, elementType);
  DenseElementsAttr fill =
      elementType.isInteger(1)
          ? DenseElementsAttr::get(valueType, false)
          : DenseElementsAttr::get(
                valueType,
                ArrayRef<Attribute>{FloatAttr::get(
                    elementType, -std::numeric_limits<double>::infinity())});
  Value padding = op("ConstantOfShape", {shape}, {attr("value", fill)});
  return padding ? op("Concat", {mask, padding}, {intAttr("axis", -1)})
                 : Value();
}

/// The bool [Sq, Skv] matrix that keeps key j for query i iff
/// j <= i + past: Cast(Trilu(ones, past, lower)).
Value AttentionExpander::causalCondition(Value query, Value pastLength,
                                         Value totalLength) {
  Value rows = dimVector(query, 2);
  if (!rows)
    return nullptr;
  Value cols = op("Unsqueeze", {totalLength, i64Vector({0})});
  if (!cols)
    return nullptr;
  Value shape = op("Concat", {rows, cols}, {intAttr("axis", 0)});
  if (!shape)
    return nullptr;
  auto one = DenseIntElementsAttr::get(
      RankedTensorType::get({1}, builder.getI64Type()), ArrayRef<int64_t>{1});
  Value ones = op("ConstantOfShape", {shape}, {attr("value", one)});
  if (!ones)
    return nullptr;
  Value lower = op("Trilu", {ones, pastLength}, {intAttr("upper", 0)});
  return lower ? op("Cast", {lower},
                    {attr("to", TypeAttr::get(builder.getI1Type()))})
               : Value();
}

LogicalResult AttentionExpander::expand(ArrayRef<Value> inputs,
                                        SmallVectorImpl<Value> &outputs) {
  if (node.output_size() > 4)
    return fail() << "the node has " << node.output_size()
                  << " outputs; Attention has 4";
  if (failed(readAttributes()))
    return failure();
  auto input = [&](size_t i) {
    return i < inputs.size() ? inputs[i] : Value();
  };
  Value query = input(0), key = input(1), value = input(2);
  Value attnMask = input(3), pastKey = input(4), pastValue = input(5);
  Value nonpadKvSeqlen = input(6);
  if (!query || !key || !value)
    return fail() << "Q, K and V are required";
  if (nonpadKvSeqlen && version < 24)
    return fail() << "input 6 (nonpad_kv_seqlen) needs opset 24";
  if (!pastKey != !pastValue)
    return fail() << "past_key and past_value must be given together";

  // Q, K, V: ranked float tensors of one type and rank 3 or 4.
  auto queryType = dyn_cast<RankedTensorType>(query.getType());
  auto keyType = dyn_cast<RankedTensorType>(key.getType());
  auto valueType = dyn_cast<RankedTensorType>(value.getType());
  if (!queryType || !keyType || !valueType)
    return fail() << "Q, K and V must have a known rank";
  Type elementType = queryType.getElementType();
  if (!isa<FloatType>(elementType) || keyType.getElementType() != elementType ||
      valueType.getElementType() != elementType)
    return fail() << "Q, K and V must have one floating-point element type, "
                     "not "
                  << queryType.getElementType() << ", "
                  << keyType.getElementType() << ", "
                  << valueType.getElementType();
  int64_t rank = queryType.getRank();
  if ((rank != 3 && rank != 4) || keyType.getRank() != rank ||
      valueType.getRank() != rank)
    return fail() << "Q, K and V must all be 3-D or all 4-D, not of ranks "
                  << rank << ", " << keyType.getRank() << ", "
                  << valueType.getRank();

  // To [B, H, S, D].
  if (rank == 3) {
    if (!attrs.qNumHeads || !attrs.kvNumHeads)
      return fail() << "3-D Q, K, V need the q_num_heads and kv_num_heads "
                       "attributes";
    for (auto [name, type, heads] :
         {std::tuple("Q", queryType, *attrs.qNumHeads),
          std::tuple("K", keyType, *attrs.kvNumHeads),
          std::tuple("V", valueType, *attrs.kvNumHeads)})
      if (!type.isDynamicDim(2) && type.getDimSize(2) % heads != 0)
        return fail() << name << "'s hidden size " << type.getDimSize(2)
                      << " is not a multiple of its " << heads << " heads";
    query = toHeads(query, *attrs.qNumHeads);
    key = query ? toHeads(key, *attrs.kvNumHeads) : Value();
    value = key ? toHeads(value, *attrs.kvNumHeads) : Value();
    if (!value)
      return failure();
  } else {
    for (auto [name, type, heads] :
         {std::tuple("q_num_heads", queryType, attrs.qNumHeads),
          std::tuple("kv_num_heads", keyType, attrs.kvNumHeads)})
      if (heads && !type.isDynamicDim(1) && type.getDimSize(1) != *heads)
        return fail() << name << " is " << *heads << " but the 4-D input has "
                      << type.getDimSize(1) << " heads";
  }
  queryType = cast<RankedTensorType>(query.getType());

  // Scale: 1/sqrt(head_size) by default; each of Q and K^T is multiplied by
  // its square root, as the reference does.
  double scale;
  if (attrs.scale) {
    scale = *attrs.scale;
  } else {
    if (queryType.isDynamicDim(3))
      return fail() << "the default scale 1/sqrt(head_size) needs a static "
                       "head size, and Q's is dynamic (give the 'scale' "
                       "attribute)";
    scale = 1.0 / std::sqrt(static_cast<double>(queryType.getDimSize(3)));
  }
  if (!(scale > 0.0) || !std::isfinite(scale))
    return fail() << "scale " << scale << " is not a positive number";

  // The key/value cache.
  Value presentKey = key, presentValue = value;
  if (pastKey) {
    for (auto [name, past] :
         {std::pair("past_key", pastKey), std::pair("past_value", pastValue)}) {
      auto type = dyn_cast<RankedTensorType>(past.getType());
      if (!type || type.getRank() != 4 || type.getElementType() != elementType)
        return fail() << name << " must be 4-D of Q's element type, not "
                      << past.getType();
    }
    presentKey = op("Concat", {pastKey, key}, {intAttr("axis", 2)});
    presentValue = presentKey
                       ? op("Concat", {pastValue, value}, {intAttr("axis", 2)})
                       : Value();
    if (!presentValue)
      return failure();
  }
  auto presentKeyType = cast<RankedTensorType>(presentKey.getType());
  auto presentValueType = cast<RankedTensorType>(presentValue.getType());

  // Grouped-query attention: repeat the key/value heads.
  Value keyHeads = presentKey, valueHeads = presentValue;
  int64_t qHeads = queryType.getDimSize(1);
  int64_t kHeads = presentKeyType.getDimSize(1);
  int64_t vHeads = presentValueType.getDimSize(1);
  if (!ShapedType::isDynamic(kHeads) && !ShapedType::isDynamic(vHeads) &&
      kHeads != vHeads)
    return fail() << "K has " << kHeads << " heads but V has " << vHeads;
  if (!ShapedType::isDynamic(qHeads) && !ShapedType::isDynamic(kHeads) &&
      qHeads != kHeads) {
    if (qHeads % kHeads != 0)
      return fail() << "Q's " << qHeads
                    << " heads are not a multiple of K's and V's " << kHeads;
    int64_t reps = qHeads / kHeads;
    keyHeads = repeatHeads(presentKey, qHeads, reps);
    valueHeads = keyHeads ? repeatHeads(presentValue, qHeads, reps) : Value();
    if (!valueHeads)
      return failure();
  }

  // Scores.
  Value sqrtScale = scalarOf(elementType, std::sqrt(scale));
  Value keyTransposed = transpose(keyHeads, {0, 1, 3, 2});
  if (!keyTransposed)
    return failure();
  Value scaledQuery = op("Mul", {query, sqrtScale});
  Value scaledKey =
      scaledQuery ? op("Mul", {keyTransposed, sqrtScale}) : Value();
  Value qk = scaledKey ? op("MatMul", {scaledQuery, scaledKey}) : Value();
  if (!qk)
    return failure();
  if (attrs.softcap > 0.0) {
    Value cap = scalarOf(elementType, attrs.softcap);
    Value divided = op("Div", {qk, cap});
    Value tanh = divided ? op("Tanh", {divided}) : Value();
    qk = tanh ? op("Mul", {tanh, cap}) : Value();
    if (!qk)
      return failure();
  }

  // Masks.
  Value scores = qk;
  Value negativeInfinityValue;
  auto negativeInfinity = [&]() {
    if (!negativeInfinityValue)
      negativeInfinityValue =
          scalarOf(elementType, -std::numeric_limits<double>::infinity());
    return negativeInfinityValue;
  };
  if (attnMask) {
    auto maskType = dyn_cast<RankedTensorType>(attnMask.getType());
    if (!maskType || maskType.getRank() < 1 || maskType.getRank() > 4)
      return fail() << "attn_mask must have a known rank from 1 to 4, not "
                    << attnMask.getType();
    bool isBool = maskType.getElementType().isInteger(1);
    if (!isBool && maskType.getElementType() != elementType)
      return fail() << "attn_mask must be bool or Q's element type ("
                    << elementType << "), not " << maskType.getElementType();
    Value mask = padMask(attnMask, presentKey);
    if (!mask)
      return failure();
    scores = isBool ? op("Where", {mask, scores, negativeInfinity()})
                    : op("Add", {scores, mask});
    if (!scores)
      return failure();
  }
  Value pastLength, totalLength;
  if (attrs.isCausal || nonpadKvSeqlen) {
    // past + kv length rather than present's length, so that the fusion can
    // relate it to Sq.
    Value kvLength = dimScalar(key, 2);
    if (!kvLength)
      return failure();
    totalLength = kvLength;
    pastLength = pastKey ? dimScalar(pastKey, 2) : i64Scalar(0);
    if (pastKey)
      totalLength = pastLength ? op("Add", {pastLength, kvLength}) : Value();
    if (!totalLength)
      return failure();
  }
  if (attrs.isCausal) {
    Value condition = causalCondition(query, pastLength, totalLength);
    scores = condition ? op("Where", {condition, scores, negativeInfinity()})
                       : Value();
    if (!scores)
      return failure();
  }
  if (nonpadKvSeqlen) {
    auto type = dyn_cast<RankedTensorType>(nonpadKvSeqlen.getType());
    if (!type || type.getRank() != 1 || !type.getElementType().isInteger(64))
      return fail() << "nonpad_kv_seqlen must be a 1-D int64 tensor, not "
                    << nonpadKvSeqlen.getType();
    Value positions = op("Range", {i64Scalar(0), totalLength, i64Scalar(1)});
    Value lengths =
        positions ? op("Unsqueeze", {nonpadKvSeqlen, i64Vector({1, 2, 3})})
                  : Value();
    Value keep = lengths ? op("Less", {positions, lengths}) : Value();
    scores = keep ? op("Where", {keep, scores, negativeInfinity()}) : Value();
    if (!scores)
      return failure();
  }

  // Softmax, in softmax_precision if that differs.
  Value probabilities;
  Type softmaxType = elementType;
  if (attrs.softmaxPrecision) {
    auto type =
        convertONNXElementType(*attrs.softmaxPrecision, *builder.getContext());
    if (!type || !isa<FloatType>(*type)) {
      if (!type)
        llvm::consumeError(type.takeError());
      return fail() << "softmax_precision " << *attrs.softmaxPrecision
                    << " is not a floating-point type";
    }
    softmaxType = *type;
  }
  if (softmaxType != elementType) {
    Value cast = op("Cast", {scores}, {attr("to", TypeAttr::get(softmaxType))});
    Value softmax =
        cast ? op("Softmax", {cast}, {intAttr("axis", -1)}) : Value();
    probabilities = softmax ? op("Cast", {softmax},
                                 {attr("to", TypeAttr::get(elementType))})
                            : Value();
  } else {
    probabilities = op("Softmax", {scores}, {intAttr("axis", -1)});
  }
  if (!probabilities)
    return failure();

  Value output = op("MatMul", {probabilities, valueHeads});
  if (output && rank == 3) {
    output = transpose(output, {0, 2, 1, 3});
    output = output ? op("Reshape", {output, i64Vector({0, 0, -1})}) : Value();
  }
  if (!output)
    return failure();

  Value qkOutput;
  if (node.output_size() > 3 && !node.output(3).empty()) {
    switch (attrs.qkMatmulOutputMode) {
    case 0: // The reference's qk_matmul_output is softcapped too.
    case 1:
      qkOutput = qk;
      break;
    case 2:
      qkOutput = scores;
      break;
    default:
      qkOutput = probabilities;
      break;
    }
  }
  outputs.assign({output, presentKey, presentValue, qkOutput});
  return success();
}

} // namespace

LogicalResult expandAttention(const onnx::NodeProto &node, int64_t version,
                              ArrayRef<Value> inputs, OpBuilder &builder,
                              Location loc, ONNXOpCreator create,
                              SmallVectorImpl<Value> &outputs) {
  return AttentionExpander(node, version, builder, loc, create)
      .expand(inputs, outputs);
}

} // namespace xf
