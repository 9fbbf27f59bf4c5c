//===- PrepareModelFunction.cpp - @main -> the program's model function ---===//

#include "passes/Passes.h"

namespace xf {
#define GEN_PASS_DEF_PREPAREMODELFUNCTIONPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
struct PrepareModelFunctionPass
    : xf::impl::PrepareModelFunctionPassBase<PrepareModelFunctionPass> {
  using Base::Base;

  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal()) {
      getOperation().emitError()
          << "xf-prepare-model-function needs a func.func @main";
      return signalPassFailure();
    }
    prepare(func, function);
    // xf-insert-speculative-decode's layers draft: the same interface.
    if (auto draft = getOperation().lookupSymbol<func::FuncOp>("main_draft"))
      prepare(draft, "xf_draft_model");
  }

  void prepare(func::FuncOp func, StringRef name) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      func.setArgAttrs(i, xf::keepDimParamAttrs(func.getArgAttrDict(i)));
    func.removeResAttrsAttr();
    func->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));
    func.setSymName(name);
  }
};
} // namespace
