//===- AddPackedEntryPoint.cpp - xf_packed_main(void **) ------------------===//

#include "codegen/Passes.h"
#include "codegen/Target/LLVMEmission.h"

namespace xf {
#define GEN_PASS_DEF_ADDPACKEDENTRYPOINTPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
/// A pass around xf::addPackedEntryPoint (LLVMEmission.cpp), so that the
/// pipeline xfc prints ends where its program's code begins.
struct AddPackedEntryPointPass
    : xf::impl::AddPackedEntryPointPassBase<AddPackedEntryPointPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(xf::addPackedEntryPoint(getOperation(), function, entryPoint)))
      return signalPassFailure();
    // A model linked into a program beside another (a draft model) exports
    // its entry point only: both define helpers such as dealloc_helper.
    if (entryPoint != xf::kPackedEntryPoint) {
      for (auto func : getOperation().getOps<LLVM::LLVMFuncOp>())
        if (!func.isExternal() && func.getSymName() != entryPoint)
          func.setLinkage(LLVM::Linkage::Internal);
      for (auto global : getOperation().getOps<LLVM::GlobalOp>())
        if (global.getValueOrNull() || !global.getInitializerRegion().empty())
          global.setLinkage(LLVM::Linkage::Internal);
    }
    // A layers draft (xf-insert-speculative-decode) beside the model gets
    // its own.
    if (function != xf::kDraftModelFunction &&
        getOperation().lookupSymbol(
            ("_mlir_ciface_" + xf::kDraftModelFunction).str()) &&
        failed(xf::addPackedEntryPoint(getOperation(), xf::kDraftModelFunction,
                                       xf::kDraftPackedEntryPoint)))
      signalPassFailure();
  }
};
} // namespace
