//===- CheckCudaHostCode.cpp - refuse what the CUDA path cannot run -------===//

#include "codegen/Passes.h"
#include "codegen/Transforms/Microkernels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/StringMap.h"

#define DEBUG_TYPE "xf-check-cuda-host-code"

namespace xf {
#define GEN_PASS_DEF_CHECKCUDAHOSTCODEPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {

/// Ops that make views of buffers or read their sizes, never their
/// elements. memref.reshape is not one: it reads its shape operand.
bool isMemRefMetadata(Operation *op) {
  return isa<memref::DimOp, memref::RankOp, memref::SubViewOp,
             memref::ExpandShapeOp, memref::CollapseShapeOp, memref::CastOp,
             memref::ReinterpretCastOp, memref::ExtractStridedMetadataOp,
             memref::ExtractAlignedPointerAsIndexOp, memref::ViewOp,
             memref::TransposeOp, memref::AssumeAlignmentOp>(op);
}

/// Whether host code may read and write `buffer`'s elements: managed
/// memory (gpu.alloc host_shared), host memory, an argument the runtime
/// passes in managed memory (xf-device-buffers marks those), an argument of
/// a helper function the host calls (its callers' operands are checked).
bool isHostAccessible(Value buffer) {
  if (auto argument = dyn_cast<BlockArgument>(buffer)) {
    auto function = dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
    if (!function || argument.getOwner() != &function.front())
      return false;
    return function.isPrivate() ||
           function.getArgAttr(argument.getArgNumber(), "xf.host_accessible");
  }
  Operation *producer = buffer.getDefiningOp();
  if (auto alloc = dyn_cast<gpu::AllocOp>(producer))
    return alloc.getHostShared();
  if (isa<memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp>(producer))
    return true;
  if (auto reshape = dyn_cast<memref::ReshapeOp>(producer))
    return isHostAccessible(reshape.getSource());
  if (auto view = dyn_cast<ViewLikeOpInterface>(producer))
    return isHostAccessible(view.getViewSource());
  if (auto branch = dyn_cast<scf::IfOp>(producer)) {
    unsigned index = cast<OpResult>(buffer).getResultNumber();
    return llvm::all_of(branch->getRegions(), [&](Region &region) {
      return region.empty() ||
             isHostAccessible(
                 region.front().getTerminator()->getOperand(index));
    });
  }
  return false;
}

/// Whether a kernel may read `buffer`: not host memory.
bool isDeviceAccessible(Value buffer) {
  Operation *producer = buffer.getDefiningOp();
  if (!producer)
    return true;
  if (isa<memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp>(producer))
    return false;
  if (auto view = dyn_cast<ViewLikeOpInterface>(producer))
    return isDeviceAccessible(view.getViewSource());
  if (auto reshape = dyn_cast<memref::ReshapeOp>(producer))
    return isDeviceAccessible(reshape.getSource());
  return true;
}

/// Why `op`, in a host function, cannot be part of a CUDA program; empty
/// if it can.
std::string whyNotOnHost(Operation *op) {
  Dialect *dialect = op->getDialect();
  if (isa_and_nonnull<arith::ArithDialect, index::IndexDialect,
                      math::MathDialect, cf::ControlFlowDialect>(dialect))
    return "";
  if (isa<affine::AffineApplyOp, affine::AffineMinOp, affine::AffineMaxOp,
          scf::ForOp, scf::IfOp, scf::YieldOp, scf::ExecuteRegionOp,
          func::ReturnOp, gpu::AllocOp, gpu::DeallocOp, gpu::WaitOp,
          gpu::MemcpyOp, UnrealizedConversionCastOp, memref::DeallocOp>(op) ||
      isMemRefMetadata(op))
    return "";
  // The shape check's message is a constant string for the runtime's
  // xfrt_shape_error, which reads only its scalar arguments.
  if (isa<LLVM::AddressOfOp, LLVM::PtrToIntOp, LLVM::ConstantOp>(op))
    return "";
  if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
    for (Value operand : launch.getKernelOperands())
      if (isa<MemRefType>(operand.getType()) && !isDeviceAccessible(operand))
        return "a kernel would read host memory";
    return "";
  }
  if (auto call = dyn_cast<func::CallOp>(op)) {
    if (call.getCallee() == xf::microkernelName(xf::Microkernel::ShapeError))
      return "";
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        op, call.getCalleeAttr());
    // A helper of the program's own (bufferization's dealloc_helper) runs
    // on the host like its caller; its body is checked with the rest.
    if (callee && !callee.isExternal()) {
      for (Value operand : call.getOperands())
        if (isa<MemRefType>(operand.getType()) && !isHostAccessible(operand))
          return "it passes device memory to a host function";
      return "";
    }
    return "it calls '" + call.getCallee().str() + "', which runs on the CPU";
  }
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return isHostAccessible(load.getMemRef())
               ? ""
               : "it would read device memory on the host";
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return isHostAccessible(store.getMemRef())
               ? ""
               : "it would write device memory on the host";
  if (auto reshape = dyn_cast<memref::ReshapeOp>(op))
    return isHostAccessible(reshape.getShape())
               ? ""
               : "it reads its shape operand, in device memory, on the host";
  if (isa<memref::GetGlobalOp, memref::AllocaOp>(op))
    return ""; // host memory; a launch that passes it is refused
  if (isa<memref::AllocOp>(op))
    return "it allocates host memory";
  if (isa<scf::ParallelOp>(op))
    return "the parallel loop was not mapped to a kernel";
  return "the host code of a CUDA program only computes sizes and views "
         "and launches kernels";
}

/// Why `op`, in a kernel, cannot be compiled; empty if it can.
std::string whyNotInKernel(Operation *op) {
  if (isa<memref::AllocOp, gpu::AllocOp>(op))
    return "it allocates memory inside a kernel (a size with no constant "
           "bound)";
  if (isa<func::CallOp, gpu::LaunchFuncOp>(op))
    return "kernels make no calls";
  return "";
}

/// The refusals, one per op kind and reason: the first op that has it and
/// how many more do (a model repeats each one per layer).
class Refusals {
public:
  void add(Operation *op, StringRef where, StringRef reason) {
    std::string message =
        ("--target=cuda cannot yet lower '" + op->getName().getStringRef() +
         "'" + where + ": " + reason)
            .str();
    auto [it, inserted] = index.try_emplace(message, found.size());
    if (inserted)
      found.push_back({op, message, 0});
    else
      ++found[it->second].more;
  }

  /// Reports them; true if there were any.
  bool report() const {
    for (const Refusal &refusal : found) {
      InFlightDiagnostic diagnostic = refusal.op->emitError(refusal.message);
      if (refusal.more)
        diagnostic.attachNote() << "and " << refusal.more << " more like it";
    }
    return !found.empty();
  }

private:
  struct Refusal {
    Operation *op;
    std::string message;
    unsigned more;
  };
  std::vector<Refusal> found;
  llvm::StringMap<size_t> index;
};

struct CheckCudaHostCodePass
    : xf::impl::CheckCudaHostCodePassBase<CheckCudaHostCodePass> {
  void runOnOperation() override {
    Refusals refusals;
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      // What a refused op holds is not reported again.
      function.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (op == function.getOperation())
          return WalkResult::advance();
        if (std::string reason = whyNotOnHost(op); !reason.empty()) {
          refusals.add(op, " on the host", reason);
          return WalkResult::skip();
        }
        return WalkResult::advance();
      });
    }
    for (auto kernels : getOperation().getOps<gpu::GPUModuleOp>())
      kernels.walk([&](Operation *op) {
        if (std::string reason = whyNotInKernel(op); !reason.empty())
          refusals.add(op, " in a kernel", reason);
      });
    if (refusals.report())
      signalPassFailure();
  }
};

} // namespace
