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
    if (failed(xf::addPackedEntryPoint(getOperation(), function)))
      return signalPassFailure();
    // A layers draft (xf-insert-speculative-decode) gets its own.
    if (getOperation().lookupSymbol(
            ("_mlir_ciface_" + xf::kDraftModelFunction).str()) &&
        failed(xf::addPackedEntryPoint(getOperation(), xf::kDraftModelFunction,
                                       xf::kDraftPackedEntryPoint)))
      signalPassFailure();
  }
};
} // namespace
