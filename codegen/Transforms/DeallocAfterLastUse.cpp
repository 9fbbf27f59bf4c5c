//===- DeallocAfterLastUse.cpp - free buffers as soon as they are dead ----===//
//
// For each `memref.dealloc %a` where %a is a `memref.alloc` of the same
// block: collects every value that may alias %a (results of ops that take
// an alias, the block arguments and results of region ops an alias enters
// or leaves, integers computed from its address), finds the last op of the
// block that uses any of them (a use inside a nested region counts as a
// use by its ancestor in the block) and moves the dealloc just after it.
// The closure over-approximates aliasing (any result of an op with an
// aliasing operand that is a memref or an address), so a buffer is never
// freed early; at worst it is freed where it was.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/SetVector.h"

namespace xf {
#define GEN_PASS_DEF_DEALLOCAFTERLASTUSEPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {

/// Whether `type` can carry a buffer: a memref, or an integer (an address
/// taken with memref.extract_aligned_pointer_as_index and cast).
bool mayCarryBuffer(Type type) {
  return isa<BaseMemRefType, IndexType, IntegerType>(type) ||
         isa<LLVM::LLVMPointerType>(type);
}

/// Every value that may alias `buffer`, or hold its address.
llvm::SetVector<Value> aliasesOf(Value buffer) {
  llvm::SetVector<Value> aliases;
  aliases.insert(buffer);
  // Integers count only once derived from the address: sizes from
  // memref.dim, say, do not carry the buffer.
  auto addResults = [&](Operation *op, bool integersToo) {
    for (Value result : op->getResults())
      if (isa<BaseMemRefType>(result.getType()) ||
          (integersToo && mayCarryBuffer(result.getType())))
        aliases.insert(result);
  };
  for (size_t i = 0; i < aliases.size(); ++i) {
    Value value = aliases[i];
    bool isAddress = !isa<BaseMemRefType>(value.getType());
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (isa<memref::DeallocOp>(user))
        continue;
      if (isa<memref::ExtractAlignedPointerAsIndexOp>(user)) {
        addResults(user, /*integersToo=*/true);
        continue;
      }
      addResults(user, /*integersToo=*/isAddress);
      // Into a region op (loop-carried values, captured operands): its
      // regions' block arguments may alias it.
      for (Region &region : user->getRegions())
        for (Block &block : region)
          for (BlockArgument argument : block.getArguments())
            if (isa<BaseMemRefType>(argument.getType()) ||
                (isAddress && mayCarryBuffer(argument.getType())))
              aliases.insert(argument);
      // Out of a region (yielded): the parent's results may alias it.
      if (user->hasTrait<OpTrait::IsTerminator>())
        if (Operation *parent = user->getParentOp())
          addResults(parent, isAddress);
    }
  }
  return aliases;
}

struct DeallocAfterLastUsePass
    : xf::impl::DeallocAfterLastUsePassBase<DeallocAfterLastUsePass> {
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp dealloc) {
      auto alloc = dealloc.getMemref().getDefiningOp<memref::AllocOp>();
      if (alloc && alloc->getBlock() == dealloc->getBlock())
        deallocs.push_back(dealloc);
    });
    for (memref::DeallocOp dealloc : deallocs) {
      Block *block = dealloc->getBlock();
      Operation *last = dealloc.getMemref().getDefiningOp();
      bool escapes = false;
      for (Value alias : aliasesOf(dealloc.getMemref())) {
        for (Operation *user : alias.getUsers()) {
          if (user == dealloc)
            continue;
          Operation *inBlock = block->findAncestorOpInBlock(*user);
          if (!inBlock) {
            // Used outside the block (through an alias): leave it.
            escapes = true;
            break;
          }
          if (last->isBeforeInBlock(inBlock))
            last = inBlock;
        }
        if (escapes)
          break;
      }
      if (escapes || last == dealloc || !last->isBeforeInBlock(dealloc))
        continue;
      dealloc->moveAfter(last);
    }
  }
};

} // namespace
