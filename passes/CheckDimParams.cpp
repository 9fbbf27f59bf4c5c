//===- CheckDimParams.cpp - equally named input dimensions, checked once --===//
//
// ONNX's contract that one dim_param name is one size, made a run-time check
// at the function's entry so that the symbolic shape analysis may rely on it
// everywhere after (dialects/ONNX/IR/SymbolicShapes.h).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/ONNX/IR/SymbolicShapes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/DebugLog.h"
#include "llvm/Support/FormatVariadic.h"

#define DEBUG_TYPE "xf-check-dim-params"

namespace xf {
#define GEN_PASS_DEF_CHECKDIMPARAMSPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
constexpr llvm::StringLiteral kDimParams = "onnx.dim_params";

/// How a run-time error names argument `index`: its ONNX name if it kept
/// one, else its position.
std::string describeArgument(func::FuncOp func, unsigned index) {
  if (auto name = func.getArgAttrOfType<StringAttr>(index, "onnx.name"))
    return ("input '" + name.getValue() + "'").str();
  return "argument " + std::to_string(index);
}

struct CheckDimParamsPass
    : xf::impl::CheckDimParamsPassBase<CheckDimParamsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || func->hasAttr(xf::ONNX::kCheckedDimParamsAttr))
      return;
    // The input names serve the messages and go with the dim_params: LLVM
    // has no use for either.
    auto dropNames = llvm::make_scope_exit([&] {
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        func.removeArgAttr(i, "onnx.name");
    });
    MLIRContext *context = &getContext();
    OpBuilder builder = OpBuilder::atBlockBegin(&func.getBody().front());
    Location loc = func.getLoc();
    // The first argument dimension of each name, which the others must equal.
    llvm::StringMap<std::pair<unsigned, int64_t>> first;
    SmallVector<Attribute> perArgument;
    bool any = false;
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
      auto names = func.getArgAttrOfType<ArrayAttr>(i, kDimParams);
      auto type = dyn_cast<RankedTensorType>(func.getArgument(i).getType());
      if (!names || !type || names.size() != type.getRank()) {
        perArgument.push_back(ArrayAttr::get(context, {}));
        continue;
      }
      any = true;
      perArgument.push_back(names);
      func.removeArgAttr(i, kDimParams);
      for (auto [d, attr] : llvm::enumerate(names)) {
        auto name = dyn_cast<StringAttr>(attr);
        if (!name || name.getValue().empty())
          continue;
        auto [it, inserted] =
            first.try_emplace(name.getValue(), std::pair(i, int64_t(d)));
        if (inserted)
          continue;
        auto [j, dj] = it->second;
        LDBG() << "argument " << i << " dimension " << d << " is '"
               << name.getValue() << "' like argument " << j;
        Value size = tensor::DimOp::create(builder, loc, func.getArgument(i),
                                           static_cast<int64_t>(d));
        Value expected =
            tensor::DimOp::create(builder, loc, func.getArgument(j), dj);
        xf::XF::CheckDimOp::create(
            builder, loc, size, expected, /*broadcast=*/false,
            builder.getStringAttr(llvm::formatv(
                "@{0}: dimension {1} ('{2}') of {3} (named like dimension {4} "
                "of {5})",
                func.getSymName(), d, name.getValue(),
                describeArgument(func, i), dj, describeArgument(func, j))));
      }
    }
    // Dimensions promised to be at least 1: size == max(size, 1).
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
      auto positive =
          func.getArgAttrOfType<ArrayAttr>(i, xf::ONNX::kPositiveDimsAttr);
      auto type = dyn_cast<RankedTensorType>(func.getArgument(i).getType());
      if (!positive || !type)
        continue;
      for (Attribute attr : positive) {
        int64_t d = cast<IntegerAttr>(attr).getInt();
        if (d >= type.getRank() || !type.isDynamicDim(d))
          continue;
        Value size = tensor::DimOp::create(builder, loc, func.getArgument(i), d);
        Value atLeastOne = arith::MaxUIOp::create(
            builder, loc, size, arith::ConstantIndexOp::create(builder, loc, 1));
        xf::XF::CheckDimOp::create(
            builder, loc, size, atLeastOne, /*broadcast=*/false,
            builder.getStringAttr(llvm::formatv(
                "@{0}: dimension {1} of {2} (never empty)", func.getSymName(),
                d, describeArgument(func, i))));
      }
    }
    if (any)
      func->setAttr(xf::ONNX::kCheckedDimParamsAttr,
                    ArrayAttr::get(context, perArgument));
  }
};
} // namespace

DictionaryAttr xf::keepDimParamAttrs(DictionaryAttr attrs) {
  if (!attrs)
    return attrs;
  NamedAttrList kept;
  for (NamedAttribute attr : attrs)
    if (attr.getName() == kDimParams || attr.getName() == "onnx.name")
      kept.push_back(attr);
  return kept.getDictionary(attrs.getContext());
}
