//===- IdentifyModelRoles.cpp - what each input and output of @main is ----===//
//
// Exporters name a language model's inputs and outputs differently, or not
// at all the way we would; what an input *is* shows in what it feeds. The
// roles, and the names the rest of xfc and the runtime use for them
// (runtime/include/xf/ModelABI.h), are:
//
//   input_ids        the integer input the token embedding gathers rows by
//   logits           the float [batch, sequence, vocab] output, vocab being
//                    the embedding table's row count
//   past_key_values.L.key / .value, present.L.key / .value
//                    a float rank-4 input that an output returns grown by
//                    the new tokens (Concat(past, new) on axis 2, or an
//                    attention operator's present from its past), per layer
//                    in the order the graph lists them
//   position_ids     an integer [batch, sequence] input that reaches rotary
//                    angles (Cos, Sin, a RotaryEmbedding op) or a second
//                    embedding table (learned positions) and no mask logic
//   attention_mask   an integer [batch, length] input that reaches mask
//                    logic (a bool cast, comparisons, Where, ReduceSum or
//                    CumSum), or float arithmetic that reaches a Softmax and
//                    no rotary angle (an additive (1 - mask) * min)
//   cache_position   an integer [sequence] input: the new tokens' positions,
//                    rewritten to read position_ids
//
// An input whose name says one role while its dataflow says another, or
// that has no role, is refused with a message naming it. The names exporters
// gave are kept in `xf.exported_name` for messages.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/ONNX/IR/SymbolicShapes.h"
#include "xf/ModelABI.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

namespace xf {
#define GEN_PASS_DEF_IDENTIFYMODELROLESPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;
using namespace xf;

namespace {

StringRef nameAttr(func::FuncOp func, unsigned index, bool result) {
  auto name = result ? func.getResultAttrOfType<StringAttr>(index, "onnx.name")
                     : func.getArgAttrOfType<StringAttr>(index, "onnx.name");
  return name ? name.getValue() : StringRef();
}

/// Looks through ops that move integer ids without computing with them.
Value throughIdMoves(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (!isa<ONNX::CastOp, ONNX::IdentityOp, ONNX::ReshapeOp, ONNX::UnsqueezeOp,
             ONNX::SqueezeOp, ONNX::FlattenOp>(op) ||
        !isa<IntegerType>(getElementTypeOrSelf(op->getOperand(0).getType())))
      break;
    value = op->getOperand(0);
  }
  return value;
}

/// The rows of a float [rows, hidden] table computed from constants only
/// (an initializer, or one dequantized from constant codes).
std::optional<int64_t> tableRows(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != 2 || !isa<FloatType>(type.getElementType()) ||
      type.isDynamicDim(0))
    return std::nullopt;
  SmallVector<Value> worklist = {value};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val().getDefiningOp();
    if (!op || seen.size() > 64)
      return std::nullopt;
    if (!seen.insert(op).second || isa<ONNX::ConstantOp>(op))
      continue;
    for (Value operand : op->getOperands())
      worklist.push_back(operand);
  }
  return type.getDimSize(0);
}

/// What an integer input's values reach.
struct Reach {
  bool maskLogic = false;   // bool casts, comparisons, Where, sums
  bool floatMath = false;   // cast to float and computed with
  bool positionTable = false; // indices of a gather from a float table
  bool trigonometry = false;  // rotary angles: Cos or Sin of them
  bool softmaxInput = false;  // a Softmax reads what they became
};

Reach reachOf(Value input) {
  Reach reach;
  SmallVector<Value> worklist = {input};
  llvm::SmallPtrSet<Operation *, 32> seen;
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (!seen.insert(user).second)
        continue;
      // Shapes are not values.
      if (isa<ONNX::ShapeOp>(user))
        continue;
      if (auto gather = dyn_cast<ONNX::GatherOp>(user)) {
        if (use.getOperandNumber() == 1 && tableRows(gather.getData())) {
          reach.positionTable = true;
          continue;
        }
      }
      if (auto cast = dyn_cast<ONNX::CastOp>(user)) {
        if (cast.getTo().isInteger(1))
          reach.maskLogic = true;
        else if (isa<FloatType>(cast.getTo()))
          reach.floatMath = true;
      }
      if (isa<ONNX::CosOp, ONNX::SinOp, ONNX::RotaryEmbeddingOp,
              ONNX::ContribRotaryEmbeddingOp>(user))
        reach.trigonometry = true;
      if (isa<ONNX::SoftmaxOp>(user))
        reach.softmaxInput = true;
      if (isa<ONNX::EqualOp, ONNX::LessOp, ONNX::LessOrEqualOp,
              ONNX::GreaterOp, ONNX::GreaterOrEqualOp, ONNX::NotOp,
              ONNX::AndOp, ONNX::OrOp, ONNX::ReduceSumOp, ONNX::CumSumOp>(
              user) ||
          (isa<ONNX::WhereOp>(user) && use.getOperandNumber() == 0))
        reach.maskLogic = true;
      for (Value result : user->getResults())
        worklist.push_back(result);
    }
  }
  return reach;
}

/// The past cache `present` returns grown by the new tokens: the first
/// input of a float rank-4 Concat(past, new) on axis 2, or the past_key or
/// past_value of an attention operator whose present_key or present_value
/// `present` is (`isValue` then says which); null otherwise.
Value grownPast(Value present, std::optional<bool> &isValue) {
  auto type = dyn_cast<RankedTensorType>(present.getType());
  if (!type || type.getRank() != 4 || !isa<FloatType>(type.getElementType()))
    return nullptr;
  if (auto concat = present.getDefiningOp<ONNX::ConcatOp>()) {
    if ((concat.getAxis() != 2 && concat.getAxis() != -2) ||
        concat.getInputs().size() != 2)
      return nullptr;
    return concat.getInputs().front();
  }
  auto result = dyn_cast<OpResult>(present);
  if (!result || (result.getResultNumber() != 1 &&
                  result.getResultNumber() != 2))
    return nullptr;
  isValue = result.getResultNumber() == 2;
  return TypeSwitch<Operation *, Value>(result.getOwner())
      .Case<ONNX::GroupQueryAttentionOp, ONNX::MultiHeadAttentionOp>(
          [&](auto op) { return *isValue ? op.getPastValue() : op.getPastKey(); })
      .Case([&](ONNX::AttentionOp op) {
        return *isValue ? op.getPastValue() : op.getPastKey();
      })
      .Default([](Operation *) { return Value(); });
}

struct IdentifyModelRolesPass
    : xf::impl::IdentifyModelRolesPassBase<IdentifyModelRolesPass> {
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal()) {
      getOperation().emitError() << "xf-identify-model-roles: no @main";
      return signalPassFailure();
    }
    if (failed(run(func)))
      signalPassFailure();
  }

  /// "input 'NAME'" for messages.
  std::string describeInput(func::FuncOp func, unsigned i) {
    StringRef name = nameAttr(func, i, false);
    return "input '" + (name.empty() ? "#" + std::to_string(i) : name.str()) +
           "'";
  }

  /// "inputs: x tensor<2x3xf32>; outputs: y tensor<2x3xf32>" for messages.
  std::string describeSignature(func::FuncOp func) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "inputs:";
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      os << " " << nameAttr(func, i, false) << " "
         << func.getArgumentTypes()[i];
    os << "; outputs:";
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      os << " " << nameAttr(func, i, true) << " " << func.getResultTypes()[i];
    return text;
  }

  LogicalResult run(func::FuncOp func) {
    MLIRContext *ctx = func.getContext();
    Block &entry = func.getBody().front();
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    SmallVector<std::string> inputRoles(func.getNumArguments());
    SmallVector<std::string> outputRoles(func.getNumResults());

    // The logits: the float [batch, sequence, vocab] output.
    std::optional<unsigned> logits;
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      auto type = dyn_cast<RankedTensorType>(func.getResultTypes()[i]);
      if (!type || type.getRank() != 3 ||
          !isa<FloatType>(type.getElementType()) || type.isDynamicDim(2))
        continue;
      if (logits && nameAttr(func, *logits, true) == StringRef(abi::kLogits))
        continue;
      if (logits && nameAttr(func, i, true) != StringRef(abi::kLogits))
        return func.emitError()
               << "xf-identify-model-roles: two outputs could be the logits "
                  "(float [batch, sequence, vocab]): '"
               << nameAttr(func, *logits, true) << "' and '"
               << nameAttr(func, i, true) << "'";
      logits = i;
    }
    if (!logits)
      return func.emitError()
             << "xf-identify-model-roles: no output is float [batch, "
                "sequence, vocab] logits with a static vocab; xfc compiles "
                "language models (token ids in, logits out), and this model "
                "has "
             << describeSignature(func);
    outputRoles[*logits] = abi::kLogits;
    int64_t vocab =
        cast<RankedTensorType>(func.getResultTypes()[*logits]).getDimSize(2);

    // The token ids: what the [vocab, hidden] embedding table is gathered by.
    llvm::SetVector<unsigned> candidates;
    func.walk([&](ONNX::GatherOp gather) {
      std::optional<int64_t> rows = tableRows(gather.getData());
      auto arg = dyn_cast<BlockArgument>(throughIdMoves(gather.getIndices()));
      if (rows && *rows == vocab && arg && arg.getOwner() == &entry)
        candidates.insert(arg.getArgNumber());
    });
    if (candidates.empty())
      return func.emitError()
             << "xf-identify-model-roles: no input feeds a token embedding "
                "(a Gather from a float ["
             << vocab << ", hidden] table); this model has "
             << describeSignature(func);
    // Learned positions in a table as long as the vocabulary look the same;
    // there the exporter's name decides.
    std::optional<unsigned> ids;
    if (candidates.size() == 1)
      ids = candidates.front();
    for (unsigned c : candidates)
      if (candidates.size() > 1 &&
          nameAttr(func, c, false) == StringRef(abi::kInputIds))
        ids = c;
    if (!ids)
      return func.emitError()
             << "xf-identify-model-roles: " << describeInput(func, candidates[0])
             << " and " << describeInput(func, candidates[1])
             << " both gather rows of a [" << vocab
             << ", hidden] table, and neither is named input_ids";
    auto idsType = dyn_cast<RankedTensorType>(func.getArgument(*ids).getType());
    if (!idsType || idsType.getRank() != 2 ||
        !isa<IntegerType>(idsType.getElementType()))
      return func.emitError() << "xf-identify-model-roles: the token ids, "
                              << describeInput(func, *ids)
                              << ", are not an integer [batch, sequence] tensor";
    inputRoles[*ids] = abi::kInputIds;
    // The program never runs an empty batch or sequence, and xfc's CPU
    // pipeline checks both that and the dim_params on entry
    // (xf-check-dim-params), after the passes that change the signature.
    func.setArgAttr(*ids, ONNX::kPositiveDimsAttr,
                    Builder(ctx).getI64ArrayAttr({0, 1}));
    func->setAttr(ONNX::kDimParamsCheckedLaterAttr, UnitAttr::get(ctx));

    // KV cache pairs: an output that returns a float rank-4 input grown by
    // Concat on axis 2, or the present_key/present_value of an attention
    // operator reading it as past_key/past_value. Which layer and whether
    // key or value: from the exporter's names where they say it as
    // `<layer>.key` / `<layer>.value` consistently, else from the attention
    // operators (one layer each, in the order the outputs name them), else
    // in the graph's order, alternating key and value.
    struct Cache {
      unsigned output, input;
      Operation *attention; // null for a Concat
      bool isValue;
    };
    SmallVector<Cache> caches;
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      Value returned = ret.getOperand(i);
      while (auto identity = returned.getDefiningOp<ONNX::IdentityOp>())
        returned = identity.getInput();
      std::optional<bool> knownValue;
      auto past =
          dyn_cast_or_null<BlockArgument>(grownPast(returned, knownValue));
      if (!past || past.getOwner() != &entry ||
          llvm::any_of(caches, [&](const Cache &c) {
            return c.input == past.getArgNumber();
          }))
        continue;
      caches.push_back({i, past.getArgNumber(),
                        knownValue ? returned.getDefiningOp() : nullptr,
                        knownValue.value_or(false)});
    }
    auto parseSlot = [](StringRef name) -> std::optional<std::string> {
      for (StringRef kind : {"key", "value"}) {
        if (!name.consume_back(kind) || name.empty())
          continue;
        name = name.drop_back(); // the separator
        size_t start = name.size();
        while (start > 0 && llvm::isDigit(name[start - 1]))
          --start;
        StringRef digits = name.substr(start);
        unsigned layer;
        if (digits.empty() || digits.getAsInteger(10, layer))
          return std::nullopt;
        return std::to_string(layer) + "." + kind.str();
      }
      return std::nullopt;
    };
    SmallVector<std::string> slots;
    llvm::StringSet<> seenSlots;
    for (const Cache &cache : caches) {
      std::optional<std::string> slot =
          parseSlot(nameAttr(func, cache.input, false));
      if (!slot || !seenSlots.insert(*slot).second) {
        slots.clear();
        break;
      }
      slots.push_back(*slot);
    }
    if (slots.size() != caches.size()) {
      slots.clear();
      bool fromAttention =
          llvm::all_of(caches, [](const Cache &c) { return c.attention; });
      llvm::DenseMap<Operation *, unsigned> attentionLayers;
      for (auto [c, cache] : llvm::enumerate(caches)) {
        if (!fromAttention) {
          slots.push_back(std::to_string(c / 2) +
                          (c % 2 ? ".value" : ".key"));
          continue;
        }
        unsigned next = attentionLayers.size();
        unsigned layer =
            attentionLayers.try_emplace(cache.attention, next).first->second;
        slots.push_back(std::to_string(layer) +
                        (cache.isValue ? ".value" : ".key"));
      }
    }
    for (auto [c, cache] : llvm::enumerate(caches)) {
      inputRoles[cache.input] = std::string(abi::kPastPrefix) + slots[c];
      outputRoles[cache.output] = std::string(abi::kPresentPrefix) + slots[c];
    }

    // The other inputs, by what they reach.
    std::optional<unsigned> positions, mask, cachePosition;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      if (!inputRoles[i].empty())
        continue;
      BlockArgument arg = func.getArgument(i);
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      StringRef exported = nameAttr(func, i, false);
      if (type && isa<FloatType>(type.getElementType()) && type.getRank() == 4)
        return func.emitError()
               << "xf-identify-model-roles: " << describeInput(func, i)
               << " looks like a KV cache, but no output returns it grown "
                  "by the new tokens (Concat on axis 2); other cache forms "
                  "(a fixed-size buffer written with ScatterND, say) are "
                  "not supported";
      if (!type || !isa<IntegerType>(type.getElementType()) ||
          (type.getRank() != 1 && type.getRank() != 2))
        return func.emitError()
               << "xf-identify-model-roles: " << describeInput(func, i)
               << " (" << arg.getType()
               << ") has no role xfc knows: token ids, positions, attention "
                  "mask, cache position or a KV cache";
      if (arg.use_empty())
        continue;
      Reach reach = reachOf(arg);
      std::string role;
      if (type.getRank() == 1)
        role = abi::kCachePosition;
      else if (reach.maskLogic)
        role = abi::kAttentionMask;
      else if (reach.positionTable || reach.trigonometry)
        role = abi::kPositionIds;
      // Float arithmetic that ends in the scores and never becomes an angle
      // or a table row: an additive mask, (1 - mask) * min as GPT-2 writes.
      else if (reach.floatMath && reach.softmaxInput)
        role = abi::kAttentionMask;
      else if (reach.floatMath)
        role = abi::kPositionIds;
      else
        return func.emitError()
               << "xf-identify-model-roles: " << describeInput(func, i)
               << " reaches neither mask logic nor position arithmetic; "
                  "xfc cannot tell what it is";
      // A name that says another role is a contradiction, not a hint.
      for (std::string_view known : {abi::kInputIds, abi::kAttentionMask,
                                     abi::kPositionIds, abi::kCachePosition})
        if (exported == StringRef(known) && StringRef(known) != role)
          return func.emitError()
                 << "xf-identify-model-roles: " << describeInput(func, i)
                 << " is named like the " << known
                 << ", but what it feeds makes it the " << role;
      std::optional<unsigned> &slot = role == abi::kAttentionMask ? mask
                                      : role == abi::kPositionIds
                                          ? positions
                                          : cachePosition;
      if (slot)
        return func.emitError()
               << "xf-identify-model-roles: " << describeInput(func, *slot)
               << " and " << describeInput(func, i) << " both look like the "
               << role;
      slot = i;
      inputRoles[i] = role;
    }
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      if (outputRoles[i].empty())
        return func.emitError()
               << "xf-identify-model-roles: output '"
               << nameAttr(func, i, true)
               << "' is neither the logits nor a grown KV cache";

    // Canonical names; the exporter's are kept for messages.
    auto rename = [&](bool result, unsigned i, StringRef role) {
      StringRef exported = nameAttr(func, i, result);
      auto set = [&](StringRef attr, Attribute value) {
        if (result)
          func.setResultAttr(i, attr, value);
        else
          func.setArgAttr(i, attr, value);
      };
      if (!exported.empty() && exported != role)
        set("xf.exported_name", StringAttr::get(ctx, exported));
      set("onnx.name", StringAttr::get(ctx, role));
    };
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (!inputRoles[i].empty())
        rename(false, i, inputRoles[i]);
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      rename(true, i, outputRoles[i]);

    // cache_position: the new tokens' positions, read from position_ids.
    if (cachePosition) {
      BlockArgument cache = func.getArgument(*cachePosition);
      if (!positions) {
        unsigned index = func.getNumArguments();
        NamedAttrList attrs;
        attrs.append("onnx.name",
                     StringAttr::get(ctx, StringRef(abi::kPositionIds)));
        auto type = RankedTensorType::get(
            {ShapedType::kDynamic, ShapedType::kDynamic},
            IntegerType::get(ctx, 64));
        (void)func.insertArgument(index, type, attrs.getDictionary(ctx),
                                  func.getLoc());
        positions = index;
      }
      OpBuilder builder(ctx);
      builder.setInsertionPointToStart(&entry);
      Location loc = cache.getLoc();
      auto i64 = builder.getI64Type();
      Value minusOne = ONNX::ConstantOp::create(
          builder, loc,
          DenseElementsAttr::get(RankedTensorType::get({1}, i64),
                                 ArrayRef<int64_t>{-1}));
      Value flat = ONNX::ReshapeOp::create(
          builder, loc,
          RankedTensorType::get({ShapedType::kDynamic}, i64),
          func.getArgument(*positions), minusOne,
          builder.getI64IntegerAttr(0));
      if (flat.getType() != cache.getType())
        flat = ONNX::CastOp::create(
            builder, loc, cache.getType(), flat,
            TypeAttr::get(getElementTypeOrSelf(cache.getType())),
            builder.getI64IntegerAttr(1), builder.getStringAttr("up"));
      cache.replaceAllUsesWith(flat);
      llvm::BitVector erase(func.getNumArguments());
      erase.set(cache.getArgNumber());
      if (failed(func.eraseArguments(erase)))
        return failure();
    }
    return success();
  }
};

} // namespace
