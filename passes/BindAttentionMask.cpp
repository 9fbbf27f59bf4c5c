//===- BindAttentionMask.cpp - attention_mask := ones ---------------------===//

#include "passes/Fusion/FusionUtils.h"
#include "passes/Passes.h"

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/BitVector.h"

namespace xf {
#define GEN_PASS_DEF_BINDATTENTIONMASKPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;
using namespace xf;

namespace {

StringRef argName(func::FuncOp func, unsigned index) {
  auto name = func.getArgAttrOfType<StringAttr>(index, "onnx.name");
  return name ? name.getValue() : StringRef();
}

struct BindAttentionMaskPass
    : xf::impl::BindAttentionMaskPassBase<BindAttentionMaskPass> {
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal())
      return;
    std::optional<unsigned> maskArg, idsArg, pastArg;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      StringRef name = argName(func, i);
      if (name == "attention_mask")
        maskArg = i;
      else if (name == "input_ids")
        idsArg = i;
      else if (!pastArg && name.starts_with("past_key_values."))
        pastArg = i;
    }
    if (!maskArg)
      return;
    BlockArgument mask = func.getArgument(*maskArg);
    auto maskType = dyn_cast<RankedTensorType>(mask.getType());
    if (!idsArg || !maskType || maskType.getRank() != 2 ||
        !isa<IntegerType>(maskType.getElementType())) {
      func.emitError() << "xf-bind-attention-mask: attention_mask must be an "
                          "integer [batch, length] input beside input_ids, "
                          "got "
                       << mask.getType();
      return signalPassFailure();
    }
    BlockArgument ids = func.getArgument(*idsArg);
    if (pastArg) {
      auto pastType =
          dyn_cast<RankedTensorType>(func.getArgument(*pastArg).getType());
      if (!pastType || pastType.getRank() != 4) {
        func.emitError() << "xf-bind-attention-mask: "
                         << argName(func, *pastArg)
                         << " is not a [batch, heads, past, head_dim] input";
        return signalPassFailure();
      }
    }

    OpBuilder builder(func.getContext());
    builder.setInsertionPointToStart(&func.getBody().front());
    Location loc = mask.getLoc();
    auto i64 = builder.getI64Type();
    auto oneElement = RankedTensorType::get({1}, i64);
    auto dimOf = [&](Value value, int64_t dim) -> Value {
      return ONNX::ShapeOp::create(builder, loc, oneElement, value,
                                   builder.getI64IntegerAttr(dim),
                                   builder.getI64IntegerAttr(dim + 1));
    };
    Value length = dimOf(ids, 1);
    if (pastArg)
      length = ONNX::AddOp::create(builder, loc, oneElement,
                                   dimOf(func.getArgument(*pastArg), 2),
                                   length);
    Value shape = ONNX::ConcatOp::create(
        builder, loc, RankedTensorType::get({2}, i64),
        ValueRange{dimOf(ids, 0), length}, builder.getI64IntegerAttr(0));
    auto one = DenseElementsAttr::get(
        RankedTensorType::get({1}, maskType.getElementType()),
        builder.getIntegerAttr(maskType.getElementType(), 1));
    auto ids2 = cast<RankedTensorType>(ids.getType());
    auto onesType = RankedTensorType::get(
        {ids2.getDimSize(0), ShapedType::kDynamic}, maskType.getElementType());
    Value ones = ONNX::ConstantOfShapeOp::create(builder, loc, onesType, shape,
                                                 one);
    // The declared type may be more static than [batch, ?]; keep it.
    if (ones.getType() != maskType)
      ones = ONNX::IdentityOp::create(builder, loc, maskType, ones);
    mask.replaceAllUsesWith(ones);
    llvm::BitVector erase(func.getNumArguments());
    erase.set(*maskArg);
    if (failed(func.eraseArguments(erase)))
      return signalPassFailure();
  }
};

} // namespace
