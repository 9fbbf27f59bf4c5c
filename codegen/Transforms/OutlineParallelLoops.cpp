//===- OutlineParallelLoops.cpp - scf.forall -> runtime thread pool -------===//
//
// Runs the iterations of each outermost scf.forall on buffers on the
// runtime's thread pool. The body becomes a function
//
//   func.func private @<parent>_forall_<n>(%context: !llvm.ptr, %item: i64)
//
// that reads every value it captures from `context` (an array of pointers,
// one per captured value, each to a copy of the value in its lowered LLVM
// form: a memref descriptor struct, an i64 for an index) and recovers the
// forall's induction variables from the linear item number. The forall
// itself becomes a call of
//
//   xfrt_parallel_for(i64 count, ptr body, ptr context)
//
// (runtime/include/xf/Microkernels.def). The values cross into and out of their
// LLVM form through unrealized casts that the LLVM conversion resolves.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/Transforms/Microkernels.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace xf {
#define GEN_PASS_DEF_OUTLINEPARALLELLOOPSPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
bool isCapturable(Type type) {
  if (auto memref = dyn_cast<MemRefType>(type))
    return memref.isStrided();
  return type.isIndex() || type.isIntOrFloat();
}

bool isNormalized(scf::ForallOp op) {
  auto isConstant = [](OpFoldResult v, int64_t expected) {
    std::optional<int64_t> c = getConstantIntValue(v);
    return c && *c == expected;
  };
  return llvm::all_of(op.getMixedLowerBound(),
                      [&](OpFoldResult v) { return isConstant(v, 0); }) &&
         llvm::all_of(op.getMixedStep(),
                      [&](OpFoldResult v) { return isConstant(v, 1); });
}

/// The ops in `f`'s body: a cheap key before the full comparison.
int64_t countOps(func::FuncOp f) {
  int64_t count = 0;
  f.walk([&](Operation *) { ++count; });
  return count;
}

/// A function of `bodies` (each with its op count) whose body is `body`'s
/// but for locations.
func::FuncOp findEquivalent(func::FuncOp body, int64_t count,
                            ArrayRef<std::pair<func::FuncOp, int64_t>> bodies) {
  for (auto [other, otherCount] : bodies)
    if (otherCount == count &&
        OperationEquivalence::isRegionEquivalentTo(
            &body.getBody(), &other.getBody(),
            OperationEquivalence::IgnoreLocations))
      return other;
  return nullptr;
}

struct OutlineParallelLoopsPass
    : xf::impl::OutlineParallelLoopsPassBase<OutlineParallelLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    LLVMTypeConverter converter(context);
    auto ptrType = LLVM::LLVMPointerType::get(context);
    Type i64 = IntegerType::get(context, 64);

    SmallVector<scf::ForallOp> loops;
    module.walk([&](scf::ForallOp op) {
      if (op->getParentOfType<scf::ForallOp>() || op.getNumResults() != 0 ||
          !isNormalized(op))
        return;
      loops.push_back(op);
    });
    if (loops.empty())
      return;

    OpBuilder builder(context);
    builder.setInsertionPointToEnd(module.getBody());
    func::FuncOp parallelFor = xf::getOrInsertMicrokernel(
        builder, module, xf::Microkernel::ParallelFor);
    // The outlined bodies have the type of the kernel's callback parameter.
    auto bodyType = cast<FunctionType>(
        xf::microkernelType(context, xf::Microkernel::ParallelFor)
            .getInput(1));

    llvm::DenseMap<Operation *, unsigned> counters;
    SmallVector<std::pair<func::FuncOp, int64_t>> bodies;
    for (scf::ForallOp loop : loops) {
      auto parent = loop->getParentOfType<func::FuncOp>();
      llvm::SetVector<Value> captures;
      getUsedValuesDefinedAbove(loop.getRegion(), captures);
      // Upper bounds are needed inside too (to recover the indices).
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPoint(loop);
      SmallVector<Value> upperBounds = getValueOrCreateConstantIndexOp(
          builder, loop.getLoc(), loop.getMixedUpperBound());
      for (Value bound : upperBounds)
        captures.insert(bound);
      if (!llvm::all_of(captures, [](Value v) {
            return isCapturable(v.getType());
          }))
        continue;
      SmallVector<Type> loweredTypes;
      for (Value capture : captures)
        loweredTypes.push_back(converter.convertType(capture.getType()));

      // The body function.
      std::string name = (parent.getSymName() + "_forall_" +
                          std::to_string(counters[parent]++))
                             .str();
      builder.setInsertionPointToEnd(module.getBody());
      auto body = func::FuncOp::create(builder, loop.getLoc(), name, bodyType);
      body.setPrivate();
      Block *entry = body.addEntryBlock();
      builder.setInsertionPointToStart(entry);
      Location loc = loop.getLoc();
      Value contextArg = entry->getArgument(0);
      IRMapping mapping;
      for (auto [i, capture] : llvm::enumerate(captures)) {
        Value slot = LLVM::GEPOp::create(builder, loc, ptrType, ptrType,
                                         contextArg,
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        Value address = LLVM::LoadOp::create(builder, loc, ptrType, slot);
        Value lowered =
            LLVM::LoadOp::create(builder, loc, loweredTypes[i], address);
        Value value = UnrealizedConversionCastOp::create(
                          builder, loc, capture.getType(), lowered)
                          .getResult(0);
        mapping.map(capture, value);
      }
      // Row-major delinearization of the item number.
      Value remaining = arith::IndexCastOp::create(
          builder, loc, builder.getIndexType(), entry->getArgument(1));
      SmallVector<Value> ivs(upperBounds.size());
      for (int64_t d = upperBounds.size() - 1; d >= 0; --d) {
        Value bound = mapping.lookup(upperBounds[d]);
        ivs[d] = d == 0 ? remaining
                        : arith::RemUIOp::create(builder, loc, remaining, bound)
                              .getResult();
        if (d > 0)
          remaining = arith::DivUIOp::create(builder, loc, remaining, bound);
      }
      for (auto [iv, value] : llvm::zip(loop.getInductionVars(), ivs))
        mapping.map(iv, value);
      for (Operation &op : loop.getBody()->without_terminator())
        builder.clone(op, mapping);
      func::ReturnOp::create(builder, loc);
      // A model's layers make the same loops (attention per head, ...) over
      // their own buffers, which come in through the context: their bodies
      // are identical, and one function serves them all. LLVM then
      // optimizes and compiles one copy instead of one per layer (most of
      // the compile time of a large model is LLVM's).
      int64_t opCount = countOps(body);
      if (func::FuncOp same = findEquivalent(body, opCount, bodies)) {
        body.erase();
        body = same;
        counters[parent]--;
      } else {
        bodies.push_back({body, opCount});
      }

      // The call that replaces the loop.
      builder.setInsertionPoint(loop);
      Value count = arith::ConstantIndexOp::create(builder, loc, 1);
      for (Value bound : upperBounds)
        count = arith::MulIOp::create(builder, loc, count, bound);
      Value one = LLVM::ConstantOp::create(builder, loc, i64,
                                           builder.getI64IntegerAttr(1));
      Value array = LLVM::AllocaOp::create(
          builder, loc, ptrType, ptrType,
          LLVM::ConstantOp::create(
              builder, loc, i64,
              builder.getI64IntegerAttr(std::max<int64_t>(captures.size(), 1))),
          /*alignment=*/8);
      for (auto [i, capture] : llvm::enumerate(captures)) {
        Value lowered = UnrealizedConversionCastOp::create(
                            builder, loc, loweredTypes[i], capture)
                            .getResult(0);
        Value copy = LLVM::AllocaOp::create(builder, loc, ptrType,
                                            loweredTypes[i], one, 8);
        LLVM::StoreOp::create(builder, loc, lowered, copy);
        Value slot = LLVM::GEPOp::create(builder, loc, ptrType, ptrType, array,
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        LLVM::StoreOp::create(builder, loc, copy, slot);
      }
      Value function = func::ConstantOp::create(builder, loc, bodyType,
                                                body.getSymName());
      func::CallOp::create(
          builder, loc, parallelFor,
          ValueRange{arith::IndexCastOp::create(builder, loc, i64, count),
                     function, array});
      loop->erase();
    }
  }
};
} // namespace
