//===- LowerContractionsToMicrokernels.cpp - f32 matmuls -> xfrt_matmul ---===//
//
// Replaces each f32 contraction on buffers that has one m, one n and one k
// dimension, and at most two outer dimensions (batch dimensions, further m
// dimensions), with a call of the runtime's threaded, vectorized matmul
// (runtime/include/xf/Kernels.h): xfrt_matmul_f32, or xfrt_matmul_f32_b16
// when B is an f16/bf16 weight widened in the body (a 16-bit linear). Each operand goes as its aligned pointer
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

/// 16-bit B (an f16/bf16 weight): the kernel's b_format; 0 for f32.
int64_t bFormatOf(Type elementType) {
  if (elementType.isF16())
    return 1;
  if (elementType.isBF16())
    return 2;
  return 0;
}

/// The body is exactly `out + a * b` in f32, B widened by one arith.extf
/// when it is 16-bit: what the kernels compute, nothing dropped.
bool isF32MultiplyAdd(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value out = body->getArgument(2);
  Value product = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if ((add.getLhs() == out) == (add.getRhs() == out))
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  auto isB = [&](Value v) {
    if (auto ext = v.getDefiningOp<arith::ExtFOp>())
      v = ext.getIn();
    return v == body->getArgument(1);
  };
  return (mul.getLhs() == body->getArgument(0) && isB(mul.getRhs())) ||
         (mul.getRhs() == body->getArgument(0) && isB(mul.getLhs()));
}

std::optional<KernelLoops> matchKernelLoops(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return std::nullopt;
    bool isB = &operand == op.getDpsInputOperand(1);
    if (!type.getElementType().isF32() &&
        !(isB && bFormatOf(type.getElementType())))
      return std::nullopt;
  }
  auto bType = cast<MemRefType>(op.getDpsInputOperand(1)->get().getType());
  if (bFormatOf(bType.getElementType()) && !isF32MultiplyAdd(op))
    return std::nullopt;
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
    int64_t elementBytes =
        cast<MemRefType>(memref.getType()).getElementTypeBitWidth() / 8;
    Value offsetBytes = arith::MulIOp::create(
        builder, loc, metadata.getOffset(),
        arith::ConstantIndexOp::create(builder, loc, elementBytes));
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
  if (int64_t format = bFormatOf(
          getElementTypeOrSelf(op.getDpsInputOperand(1)->get().getType())))
    arguments.push_back(arith::ConstantIntOp::create(builder, loc, i64, format));

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
    for (auto &[op, loops] : matches) {
      bool sixteenBit = bFormatOf(getElementTypeOrSelf(
          op.getDpsInputOperand(1)->get().getType()));
      func::FuncOp kernel = xf::getOrInsertMicrokernel(
          module, sixteenBit ? xf::Microkernel::MatmulF32B16
                             : xf::Microkernel::MatmulF32);
      LDBG() << "calling " << kernel.getSymName() << " for " << op;
      lowerToKernelCall(op, loops, kernel);
    }
  }
};
} // namespace
