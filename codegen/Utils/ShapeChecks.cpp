//===- ShapeChecks.cpp - run-time handling of unproven dimensions ---------===//

#include "codegen/Utils/ShapeChecks.h"

#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace xf {

ONNX::SymbolicShapeAnalysis createShapeAnalysis(Operation *root) {
  ONNX::SymbolicShapeAnalysis analysis(XF::getResultDimSource);
  auto visit = [&](Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type)
      return;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        (void)analysis.getDim(value, d);
  };
  root->walk<WalkOrder::PreOrder>([&](Operation *op) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          visit(arg);
    for (Value result : op->getResults())
      visit(result);
  });
  return analysis;
}

static void printLocation(Location loc, llvm::raw_ostream &os) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (!isa<UnknownLoc>(name.getChildLoc())) {
      printLocation(name.getChildLoc(), os);
      os << ": ";
    }
    os << "node '" << name.getName().getValue() << "'";
  } else if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    os << file.getFilename().getValue();
    if (file.getLine() != 0)
      os << ":" << file.getLine() << ":" << file.getColumn();
  } else if (auto fused = dyn_cast<FusedLoc>(loc);
             fused && !fused.getLocations().empty()) {
    // Fusion keeps the nodes it replaced; the first names the pattern.
    printLocation(fused.getLocations().front(), os);
  } else {
    os << "<unknown location>";
  }
}

std::string describeOp(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printLocation(op->getLoc(), os);
  os << " (" << op->getName().getStringRef() << ")";
  return text;
}

void createDimCheck(OpBuilder &b, Location loc, Value size, Value expected,
                    bool broadcast, const llvm::Twine &message) {
  XF::CheckDimOp::create(b, loc, size, expected, broadcast,
                         b.getStringAttr(message));
}

void checkEqualDims(OpBuilder &b, Location loc,
                    ONNX::SymbolicShapeAnalysis &shapes, Operation *op,
                    Value lhs, int64_t lhsDim, Value rhs, int64_t rhsDim,
                    const llvm::Twine &what) {
  if (shapes.provenEqual(lhs, lhsDim, rhs, rhsDim))
    return;
  createDimCheck(b, loc, tensor::DimOp::create(b, loc, lhs, lhsDim),
                 tensor::DimOp::create(b, loc, rhs, rhsDim),
                 /*broadcast=*/false, describeOp(op) + ": " + what);
}

Value materializeRuntimeBroadcast(OpBuilder &b, Location loc, Value operand,
                                  ArrayRef<RuntimeBroadcast> dims) {
  auto type = cast<RankedTensorType>(operand.getType());
  int64_t rank = type.getRank();
  // One dimension at a time: each copy reads the dimension it broadcasts at
  // index 0, so every map stays a projection.
  for (const RuntimeBroadcast &broadcast : dims) {
    Value size = tensor::DimOp::create(b, loc, operand, broadcast.dim);
    Value target = getValueOrCreateConstantIndexOp(b, loc, broadcast.target);
    createDimCheck(b, loc, size, target, /*broadcast=*/true, broadcast.message);
    Value differs =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, size, target);
    auto ifOp = scf::IfOp::create(
        b, loc, differs,
        [&](OpBuilder &tb, Location tl) {
          SmallVector<OpFoldResult> sizes =
              tensor::getMixedSizes(tb, tl, operand);
          sizes[broadcast.dim] = broadcast.target;
          Value init =
              tensor::EmptyOp::create(tb, tl, sizes, type.getElementType());
          SmallVector<AffineExpr> exprs;
          for (int64_t d = 0; d < rank; ++d)
            exprs.push_back(d == broadcast.dim ? tb.getAffineConstantExpr(0)
                                               : tb.getAffineDimExpr(d));
          SmallVector<AffineMap> maps = {
              AffineMap::get(rank, 0, exprs, tb.getContext()),
              tb.getMultiDimIdentityMap(rank)};
          SmallVector<utils::IteratorType> iterators(
              rank, utils::IteratorType::parallel);
          Value copy =
              linalg::GenericOp::create(
                  tb, tl, init.getType(), operand, init, maps, iterators,
                  [](OpBuilder &nb, Location nl, ValueRange args) {
                    linalg::YieldOp::create(nb, nl, args[0]);
                  })
                  .getResult(0);
          if (copy.getType() != type)
            copy = tensor::CastOp::create(tb, tl, type, copy);
          scf::YieldOp::create(tb, tl, copy);
        },
        [&](OpBuilder &eb, Location el) {
          scf::YieldOp::create(eb, el, operand);
        });
    operand = ifOp.getResult(0);
  }
  return operand;
}

} // namespace xf
