//===- LowerShapeChecks.cpp - xf.check_dim -> xfrt_shape_error ------------===//
//
// The run-time half of "dynamic shapes are checked, not assumed": each
// xf.check_dim left by the lowerings becomes a compare and a call of the
// runtime's error entry point on the failing side of an scf.if. The message
// is a module-level constant string, so the check costs a compare and a
// branch that is never taken on a valid input.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/Transforms/Microkernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/StringMap.h"

namespace xf {
#define GEN_PASS_DEF_LOWERSHAPECHECKSPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
/// The messages as NUL-terminated constant globals, one per distinct text.
class MessageTable {
public:
  explicit MessageTable(ModuleOp module) : module(module) {}

  LLVM::GlobalOp get(StringRef message) {
    auto [it, inserted] = globals.try_emplace(message);
    if (!inserted)
      return it->second;
    OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
    std::string text = (message + Twine('\0')).str();
    auto type = LLVM::LLVMArrayType::get(builder.getI8Type(), text.size());
    std::string name = "xf_shape_error_message_" + std::to_string(count++);
    it->second = LLVM::GlobalOp::create(
        builder, module.getLoc(), type, /*isConstant=*/true,
        LLVM::Linkage::Internal, name, builder.getStringAttr(text));
    return it->second;
  }

private:
  ModuleOp module;
  llvm::StringMap<LLVM::GlobalOp> globals;
  unsigned count = 0;
};

void lowerCheck(xf::XF::CheckDimOp check, func::FuncOp callee,
                MessageTable &messages) {
  OpBuilder b(check);
  Location loc = check.getLoc();
  Value size = check.getSize(), expected = check.getExpected();
  Value fails =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, size, expected);
  if (check.getBroadcast()) {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    fails = arith::AndIOp::create(
        b, loc, fails,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, size, one));
  }
  auto ifOp = scf::IfOp::create(b, loc, fails, /*withElseRegion=*/false);
  b.setInsertionPointToStart(ifOp.thenBlock());
  Type i64 = b.getI64Type();
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  Value address = LLVM::AddressOfOp::create(
      b, loc, ptrType, messages.get(check.getMessage()).getSymName());
  Value message = LLVM::PtrToIntOp::create(b, loc, i64, address);
  auto toI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(b, loc, i64, index);
  };
  Value broadcast =
      arith::ConstantIntOp::create(b, loc, i64, check.getBroadcast() ? 1 : 0);
  func::CallOp::create(
      b, loc, callee,
      ValueRange{message, toI64(size), toI64(expected), broadcast});
  check.erase();
}

struct LowerShapeChecksPass
    : xf::impl::LowerShapeChecksPassBase<LowerShapeChecksPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<xf::XF::CheckDimOp> checks;
    module.walk([&](xf::XF::CheckDimOp check) { checks.push_back(check); });
    if (checks.empty())
      return;
    func::FuncOp callee =
        xf::getOrInsertMicrokernel(module, xf::Microkernel::ShapeError);
    MessageTable messages(module);
    for (xf::XF::CheckDimOp check : checks)
      lowerCheck(check, callee, messages);
  }
};
} // namespace
