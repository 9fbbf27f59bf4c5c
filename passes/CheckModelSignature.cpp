//===- CheckModelSignature.cpp - @main is a language model xfc can drive --===//
//
// Was xfc's checkSignature: a pass, so that xfc's pipeline holds everything
// it does to (and asks of) the IR.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace xf {
#define GEN_PASS_DEF_CHECKMODELSIGNATUREPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {

std::string describe(Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

std::string nameOf(DictionaryAttr attrs) {
  auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : nullptr;
  return name ? name.str() : "?";
}

/// Whether `name` is one of an optimum export's KV cache inputs.
bool isPastInput(StringRef name) {
  return name.starts_with("past_key_values.");
}

/// Whether input `i` is one the program feeds; appends it to `found`.
bool checkInput(func::FuncOp func, unsigned i, bool &hasIds,
                std::string &found) {
  std::string name = nameOf(func.getArgAttrDict(i));
  Type type = func.getArgumentTypes()[i];
  found += " " + name + " " + describe(type);
  auto tensor = dyn_cast<RankedTensorType>(type);
  hasIds |= name == "input_ids";
  if (isPastInput(name))
    return tensor && tensor.getRank() == 4 &&
           isa<FloatType>(tensor.getElementType()) &&
           !tensor.isDynamicDim(1) && !tensor.isDynamicDim(3);
  bool known = name == "input_ids" || name == "attention_mask" ||
               name == "position_ids";
  return known && tensor && tensor.getRank() == 2 &&
         tensor.getElementType().isInteger(64);
}

struct CheckModelSignaturePass
    : xf::impl::CheckModelSignaturePassBase<CheckModelSignaturePass> {
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal()) {
      getOperation().emitError()
          << "xf-check-model-signature needs a func.func @main";
      return signalPassFailure();
    }
    std::string found = "inputs:";
    bool ok = true, hasIds = false;
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      ok &= checkInput(func, i, hasIds, found);
    found += "; outputs:";
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      std::string name = nameOf(func.getResultAttrDict(i));
      found += " " + name + " " + describe(func.getResultTypes()[i]);
      if (i > 0 && (!StringRef(name).starts_with("present.") ||
                    !isa<RankedTensorType>(func.getResultTypes()[i])))
        ok = false;
    }
    auto logits = func.getNumResults() >= 1
                      ? dyn_cast<RankedTensorType>(func.getResultTypes()[0])
                      : RankedTensorType();
    if (!logits || nameOf(func.getResultAttrDict(0)) != "logits" ||
        logits.getRank() != 3 || !logits.getElementType().isF32() ||
        logits.isDynamicDim(2))
      ok = false;
    if (ok && hasIds)
      return;
    func.emitError()
        << "xfc compiles language models with inputs input_ids and "
           "optionally attention_mask and position_ids (int64 [batch, "
           "sequence]) and past_key_values.* (float [batch, heads, past, "
           "head_dim]), and outputs logits (float32 [batch, sequence, "
           "vocab] with a static vocab) and optionally present.*; this "
           "model has "
        << found;
    signalPassFailure();
  }
};

} // namespace
