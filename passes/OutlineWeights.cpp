//===- OutlineWeights.cpp - weight constants -> arguments of @main --------===//

#include "passes/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-outline-weights"

namespace xf {
#define GEN_PASS_DEF_OUTLINEWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
struct OutlineWeightsPass
    : xf::impl::OutlineWeightsPassBase<OutlineWeightsPass> {
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal()) {
      getOperation().emitError() << "xf-outline-weights needs a func.func @main";
      return signalPassFailure();
    }
    SmallVector<xf::ONNX::ConstantOp> weights;
    func.walk([&](xf::ONNX::ConstantOp constant) {
      if (isa<DenseResourceElementsAttr>(constant.getValue()))
        weights.push_back(constant);
    });
    Block &entry = func.getBody().front();
    for (xf::ONNX::ConstantOp constant : weights) {
      auto value = cast<DenseResourceElementsAttr>(constant.getValue());
      StringRef name = value.getRawHandle().getKey();
      NamedAttrList attrs;
      attrs.append("xf.weight", StringAttr::get(&getContext(), name));
      attrs.append("xf.value", value);
      unsigned index = func.getNumArguments();
      if (failed(func.insertArgument(index, constant.getType(),
                                     attrs.getDictionary(&getContext()),
                                     constant.getLoc())))
        return signalPassFailure();
      LDBG() << "outlined weight " << name;
      constant.getResult().replaceAllUsesWith(entry.getArgument(index));
      constant.erase();
    }
  }
};
} // namespace
