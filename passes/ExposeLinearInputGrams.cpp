//===- ExposeLinearInputGrams.cpp - X^T X of linear inputs as results -----===//
//
// For calibration (GPTQ in xf-quantize-weights): the program returns, for
// each input of the linear layers the quantizer would pack, the Gram matrix
// of that call's rows, which the program's `calibrate` subcommand sums over
// a text. The product is an xf.linear of X^T by itself, so it runs on the
// same matmul kernel as the model.
//
//===----------------------------------------------------------------------===//

#include "passes/LinearWeights.h"
#include "passes/Passes.h"

#include "passes/Fusion/FusionUtils.h"

#include "llvm/ADT/MapVector.h"

namespace xf {
#define GEN_PASS_DEF_EXPOSELINEARINPUTGRAMSPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;
using namespace xf;

namespace {

struct ExposeLinearInputGramsPass
    : xf::impl::ExposeLinearInputGramsPassBase<ExposeLinearInputGramsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        expose(func);
  }

  void expose(func::FuncOp func) {
    // Input -> the weights that read it, in program order.
    llvm::MapVector<Value, SmallVector<Attribute>> readers;
    func.walk([&](XF::LinearOp op) {
      auto inputType = cast<RankedTensorType>(op.getInput().getType());
      StringRef name = linearWeightName(op.getWeight());
      if (name.empty() || !inputType.getElementType().isF32() ||
          inputType.isDynamicDim(inputType.getRank() - 1))
        return;
      SmallVector<Attribute> &names = readers[op.getInput()];
      auto attr = StringAttr::get(&getContext(), name);
      if (!llvm::is_contained(names, attr))
        names.push_back(attr);
    });
    if (readers.empty())
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    OpBuilder builder(ret);
    SmallVector<Value> results(ret.getOperands());
    unsigned index = 0;
    for (auto &[input, names] : readers) {
      Location loc = input.getLoc();
      auto type = cast<RankedTensorType>(input.getType());
      int64_t k = type.getDimSize(type.getRank() - 1);
      Type f32 = builder.getF32Type();
      // X [..., K] -> rows [T, K] -> X^T [K, T]; X^T (X^T)^T = X^T X.
      Value rows = ONNX::ReshapeOp::create(
          builder, loc, RankedTensorType::get({ShapedType::kDynamic, k}, f32),
          input, fusion::createI64Constant(builder, loc, {-1, k}));
      Value columns = fusion::createTranspose(builder, loc, rows, {1, 0});
      auto gramType = RankedTensorType::get({k, k}, f32);
      Value gram = XF::LinearOp::create(builder, loc, gramType, columns,
                                        columns, Value());
      results.push_back(gram);
      NamedAttribute attrs[] = {
          builder.getNamedAttr(
              "onnx.name",
              builder.getStringAttr("xf.gram." + std::to_string(index++))),
          builder.getNamedAttr("xf.gram_weights", builder.getArrayAttr(names))};
      if (failed(func.insertResult(func.getNumResults(), gramType,
                                   builder.getDictionaryAttr(attrs))))
        return signalPassFailure();
    }
    ret->setOperands(results);
  }
};

} // namespace
