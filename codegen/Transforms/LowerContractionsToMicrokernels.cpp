//===- LowerContractionsToMicrokernels.cpp - f32 matmuls -> xfrt_matmul_f32 ===//
//
// Replaces each f32 contraction on buffers that has one m, one n and one k
// dimension, and at most two outer dimensions (batch dimensions, further m
// dimensions), with a call of the runtime's threaded, vectorized matmul
// (runtime/include/xf/Kernels.h). Each operand goes as its aligned pointer
// plus offset and one stride per loop dimension, 0 where the operand does not
// depend on it, so transposed and broadcast operands need no copies.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/Transforms/Microkernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-lower-contractions-to-microkernels"

namespace xf {
#define GEN_PASS_DEF_LOWERCONTRACTIONSTOMICROKERNELSPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
constexpr int kMaxOuterDims = 2;

/// The loops of a contraction in the kernel's terms.
struct KernelLoops {
  SmallVector<unsigned, kMaxOuterDims> outer;
  unsigned m, n, k;
};

/// The position of loop `dim` among the results of `map`, if it is one.
std::optional<unsigned> resultPositionOf(AffineMap map, unsigned dim) {
  for (auto [i, expr] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(expr); d && d.getPosition() == dim)
      return i;
  return std::nullopt;
}

std::optional<KernelLoops> matchKernelLoops(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getElementType().isF32())
      return std::nullopt;
  }
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->k.size() != 1 || dims->n.size() != 1 ||
      dims->m.empty())
    return std::nullopt;
  // The m loop that is innermost in C is the kernel's m; the others become
  // outer loops along which B does not move.
  AffineMap outputMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  unsigned m = dims->m.front();
  for (unsigned candidate : dims->m)
    if (*resultPositionOf(outputMap, candidate) >
        *resultPositionOf(outputMap, m))
      m = candidate;
  KernelLoops loops{{}, m, dims->n.front(), dims->k.front()};
  for (unsigned b : dims->batch)
    loops.outer.push_back(b);
  for (unsigned other : dims->m)
    if (other != m)
      loops.outer.push_back(other);
  if (loops.outer.size() > kMaxOuterDims)
    return std::nullopt;
  return loops;
}

void lowerToKernelCall(linalg::LinalgOp op, const KernelLoops &loops,
                       func::FuncOp kernel) {
  OpBuilder builder(op);
  Location loc = op.getLoc();
  Type i64 = builder.getI64Type();
  auto toI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(builder, loc, i64, index);
  };
  Value zero = arith::ConstantIntOp::create(builder, loc, i64, 0);
  Value one = arith::ConstantIntOp::create(builder, loc, i64, 1);

  SmallVector<Range> ranges = op.createLoopRanges(builder, loc);
  auto loopSize = [&](unsigned loop) {
    return toI64(getValueOrCreateConstantIndexOp(builder, loc,
                                                 ranges[loop].size));
  };
  SmallVector<Value> arguments;
  for (int i = 0; i < kMaxOuterDims; ++i)
    arguments.push_back(i < static_cast<int>(loops.outer.size())
                            ? loopSize(loops.outer[i])
                            : one);
  arguments.push_back(loopSize(loops.m));
  arguments.push_back(loopSize(loops.n));
  arguments.push_back(loopSize(loops.k));

  // Per operand: address of the first element, then its strides along the
  // outer loops and the two loops it has of m, n, k.
  auto addOperand = [&](OpOperand &operand, unsigned first, unsigned second) {
    Value memref = operand.get();
    auto metadata =
        memref::ExtractStridedMetadataOp::create(builder, loc, memref);
    Value aligned =
        memref::ExtractAlignedPointerAsIndexOp::create(builder, loc, memref);
    Value offsetBytes = arith::MulIOp::create(
        builder, loc, metadata.getOffset(),
        arith::ConstantIndexOp::create(builder, loc, 4));
    arguments.push_back(
        toI64(arith::AddIOp::create(builder, loc, aligned, offsetBytes)));
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto strideAlong = [&](std::optional<unsigned> loop) -> Value {
      if (!loop)
        return zero;
      std::optional<unsigned> position = resultPositionOf(map, *loop);
      return position ? toI64(metadata.getStrides()[*position]) : zero;
    };
    for (int i = 0; i < kMaxOuterDims; ++i)
      arguments.push_back(strideAlong(
          i < static_cast<int>(loops.outer.size())
              ? std::optional<unsigned>(loops.outer[i])
              : std::nullopt));
    arguments.push_back(strideAlong(first));
    arguments.push_back(strideAlong(second));
  };
  addOperand(*op.getDpsInputOperand(0), loops.m, loops.k);
  addOperand(*op.getDpsInputOperand(1), loops.k, loops.n);
  addOperand(*op.getDpsInitOperand(0), loops.m, loops.n);

  func::CallOp::create(builder, loc, kernel, arguments);
  op->erase();
}

struct LowerContractionsToMicrokernelsPass
    : xf::impl::LowerContractionsToMicrokernelsPassBase<
          LowerContractionsToMicrokernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<linalg::LinalgOp, KernelLoops>> matches;
    module.walk([&](linalg::LinalgOp op) {
      if (auto loops = matchKernelLoops(op))
        matches.emplace_back(op, *loops);
    });
    if (matches.empty())
      return;
    func::FuncOp kernel =
        xf::getOrInsertMicrokernel(module, xf::Microkernel::MatmulF32);
    for (auto &[op, loops] : matches) {
      LDBG() << "calling " << kernel.getSymName() << " for " << op;
      lowerToKernelCall(op, loops, kernel);
    }
  }
};
} // namespace
