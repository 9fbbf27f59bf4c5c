//===- SelectLogitsRows.cpp - the LM head only where logits are read ------===//
//
// Generation reads one row of logits per sequence per step, but a paged step
// computes the head for every token of the stream: for a prompt of P tokens
// P rows of [vocab] are computed and P - 1 thrown away. With a large
// vocabulary the head costs more than the rest of the model (Gemma 3 270M:
// 262,144 x 640 = 168M multiply-adds per row, against ~100M for its 18
// layers). This pass gathers the rows the runtime asks for (`logits_rows`)
// before the position-wise tail that makes the logits, so the head runs on
// those rows only.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionUtils.h"
#include "passes/ModelSignature.h"
#include "passes/Passes.h"
#include "xf/ModelABI.h"

#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-select-logits-rows"

namespace xf {
#define GEN_PASS_DEF_SELECTLOGITSROWSPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;
using namespace xf;

namespace {

constexpr llvm::StringLiteral kName = "onnx.name";

/// Whether `value` is computed without reading any argument of the function
/// (a weight, or arithmetic on weights): the same for every row.
bool isRowInvariant(Value value) {
  SmallVector<Value> worklist = {value};
  llvm::DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    Operation *op = v.getDefiningOp();
    if (!op || op->getNumRegions() != 0)
      return false;
    llvm::append_range(worklist, op->getOperands());
  }
  return true;
}

/// An invariant operand of an elementwise op that broadcasts the same way
/// whatever the number of rows: no dimension of its own on the row axis.
bool broadcastsOverRows(Value operand, int64_t rank) {
  auto type = dyn_cast<RankedTensorType>(operand.getType());
  if (!type || !isRowInvariant(operand))
    return false;
  int64_t rowAxis = type.getRank() - (rank - 1);
  return rowAxis < 0 || type.getDimSize(rowAxis) == 1;
}

/// The operand of `op` that carries the rows when `op` computes each row of
/// its result from the same row of that operand alone (and operands that
/// are the same for every row); null otherwise.
Value rowOperand(Operation *op, int64_t rank) {
  if (isa<XF::LinearOp, XF::QLinearOp, XF::RMSNormOp, XF::LayerNormOp>(op)) {
    for (Value other : op->getOperands().drop_front())
      if (!isRowInvariant(other))
        return {};
    return op->getOperand(0);
  }
  if (isa<XF::GeluOp, XF::SiluOp, ONNX::TanhOp, ONNX::SigmoidOp, ONNX::NegOp,
          ONNX::CastOp>(op))
    return op->getOperand(0);
  if (isa<ONNX::AddOp, ONNX::SubOp, ONNX::MulOp, ONNX::DivOp>(op)) {
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    if (broadcastsOverRows(rhs, rank) && !isRowInvariant(lhs))
      return lhs;
    if (broadcastsOverRows(lhs, rank) && !isRowInvariant(rhs))
      return rhs;
  }
  return {};
}

struct SelectLogitsRowsPass
    : xf::impl::SelectLogitsRowsPassBase<SelectLogitsRowsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isDeclaration())
        selectRows(func);
  }

  void selectRows(func::FuncOp func) {
    // Only the paged step: its rows are a flattened token stream [1, T].
    if (!hasArgumentNamed(func, abi::kSlotMapping) ||
        hasArgumentNamed(func, abi::kLogitsRows))
      return;
    Block &entry = func.getBody().front();
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    std::optional<unsigned> logitsIndex = resultNamed(func, abi::kLogits);
    if (!logitsIndex)
      return;

    // Walk back through the position-wise tail while each value feeds only
    // the next op of the tail; `rows` ends at the tail's input.
    Value logits = ret.getOperand(*logitsIndex);
    auto rankedWithDynamicRows = [](Value v) {
      auto type = dyn_cast<RankedTensorType>(v.getType());
      return type && type.getRank() == 3 && type.isDynamicDim(1);
    };
    if (!rankedWithDynamicRows(logits) || !logits.hasOneUse())
      return;
    Value rows = logits;
    Operation *first = nullptr;
    while (Operation *op = rows.getDefiningOp()) {
      Value input = rowOperand(op, 3);
      if (!input || !rankedWithDynamicRows(input))
        break;
      first = op;
      rows = input;
      if (!rows.hasOneUse())
        break;
    }
    if (!first) {
      LDBG() << "no position-wise tail before the logits";
      return;
    }

    MLIRContext *ctx = func.getContext();
    OpBuilder builder(ctx);
    unsigned index = func.getNumArguments();
    NamedAttrList attrs;
    attrs.append(kName, StringAttr::get(ctx, "logits_rows"));
    attrs.append("onnx.dim_params", builder.getStrArrayAttr({"xf.rows"}));
    (void)func.insertArgument(
        index, RankedTensorType::get({ShapedType::kDynamic},
                                     builder.getI64Type()),
        attrs.getDictionary(ctx), func.getLoc());
    builder.setInsertionPoint(first);
    Value selected = ONNX::GatherOp::create(builder, first->getLoc(),
                                            rows.getType(), rows,
                                            entry.getArgument(index),
                                            uint64_t(1));
    first->replaceUsesOfWith(rows, selected);
    LDBG() << "logits computed from the selected rows from " << *first;
  }
};

} // namespace
