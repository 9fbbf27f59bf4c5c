//===- PromoteToF32.cpp - 16-bit graphs computed in f32 ------------------===//
//
// fp16 and bf16 exports (optimum --dtype fp16, the GenAI builder's -p fp16,
// a converted fp32 model) are 16-bit graphs because GPUs compute them so.
// On the CPU 16-bit arithmetic is no faster (x86 converts to f32 anyway)
// and less exact; what 16 bits buy is half the bytes per weight, which is
// what decode is bound by. So the graph is computed as its f32 upcast, and
// only the weights keep their 16 bits: the kernels widen them as they read
// them (xfrt_matmul_f32_b16).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/WeightMemory.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "xf/Half.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-promote-to-f32"

namespace xf {
#define GEN_PASS_DEF_PROMOTETOF32PASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;
using namespace xf;

namespace {

/// A weight is a 2-D float constant this large that only linear layers
/// (MatMul's and Gemm's B) and row lookups (Gather on axis 0) read,
/// directly or through a 2-D Transpose: the consumers whose kernels read
/// 16-bit storage. Anything smaller is not worth a conversion per read.
constexpr int64_t kMinWeightElements = 1024;

bool isSixteenBit(Type type) { return type.isF16() || type.isBF16(); }

FloatFormat formatOf(Type type) {
  if (type.isF16())
    return FloatFormat::F16;
  if (type.isBF16())
    return FloatFormat::BF16;
  return FloatFormat::F32;
}

/// `type` with f16/bf16 elements made f32; other types as they are.
Type promoted(Type type) {
  auto shaped = dyn_cast<TensorType>(type);
  if (shaped && isSixteenBit(shaped.getElementType()))
    return shaped.clone(Float32Type::get(type.getContext()));
  if (isSixteenBit(type))
    return Float32Type::get(type.getContext());
  return type;
}

/// Whether `use` reads its value as a weight whose storage a kernel widens.
bool readsAsWeight(OpOperand &use) {
  Operation *user = use.getOwner();
  unsigned index = use.getOperandNumber();
  if (isa<ONNX::MatMulOp, ONNX::GemmOp>(user))
    return index == 1;
  if (auto gather = dyn_cast<ONNX::GatherOp>(user))
    return index == 0 && gather.getAxis() == 0;
  if (auto transpose = dyn_cast<ONNX::TransposeOp>(user)) {
    std::optional<ArrayAttr> perm = transpose.getPerm();
    bool swaps = !perm || (perm->size() == 2 &&
                           cast<IntegerAttr>((*perm)[0]).getInt() == 1);
    return swaps && llvm::all_of(transpose->getUses(), [](OpOperand &u) {
             return isa<ONNX::MatMulOp, ONNX::GemmOp>(u.getOwner()) &&
                    u.getOperandNumber() == 1;
           });
  }
  return false;
}

/// The raw bytes of a dense resource or dense elements value, or nullopt.
std::optional<ArrayRef<char>> rawBytes(Attribute value) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return blob->getData();
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(value);
      dense && !dense.isSplat())
    return dense.getRawData();
  return std::nullopt;
}

/// `value`'s floats converted to `to`, rounded to nearest even when
/// narrowing. Resources stay resources (named after the original, so that
/// statistics keyed by weight name still find them), small values inline.
ElementsAttr convertFloats(ElementsAttr value, FloatType to) {
  auto type = cast<RankedTensorType>(value.getType());
  auto newType = RankedTensorType::get(type.getShape(), to);
  Type from = type.getElementType();
  if (from == to)
    return value;
  std::optional<ArrayRef<char>> bytes = rawBytes(value);
  if (!bytes || !isa<DenseResourceElementsAttr>(value)) {
    // Inline (or splat) values: through APFloat, which rounds the same way.
    auto dense = cast<DenseElementsAttr>(value);
    SmallVector<APFloat> values;
    for (APFloat v : dense.getValues<APFloat>()) {
      bool losesInfo;
      v.convert(to.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                &losesInfo);
      values.push_back(v);
    }
    return DenseElementsAttr::get(newType, values);
  }
  int64_t count = type.getNumElements();
  FloatFormat source = formatOf(from);
  // One tensor converted at a time, then moved to the scratch file
  // (passes/WeightMemory.h): a large model's converted weights never sit in
  // the heap together, and the source's pages are dropped once read.
  std::vector<char> converted(count * (to.isF32() ? 4 : 2));
  if (to.isF32()) {
    float *out = reinterpret_cast<float *>(converted.data());
    for (int64_t i = 0; i < count; ++i)
      out[i] = formatToFloat(source, bytes->data(), i);
  } else {
    uint16_t *out = reinterpret_cast<uint16_t *>(converted.data());
    for (int64_t i = 0; i < count; ++i) {
      float f = formatToFloat(source, bytes->data(), i);
      out[i] = to.isF16() ? floatToHalf(f) : floatToBF16(f);
    }
  }
  releaseWeightPages(bytes->data(), bytes->size());
  AsmResourceBlob blob =
      copyToScratchBlob(converted, to.isF32() ? alignof(float) : 2);
  auto resource = cast<DenseResourceElementsAttr>(value);
  return DenseResourceElementsAttr::get(
      newType, resource.getRawHandle().getKey(), std::move(blob));
}

struct PromoteToF32Pass : xf::impl::PromoteToF32PassBase<PromoteToF32Pass> {
  using PromoteToF32PassBase::PromoteToF32PassBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    FloatType storage;
    if (weightType == "f16")
      storage = Float16Type::get(context);
    else if (weightType == "bf16")
      storage = BFloat16Type::get(context);
    else if (weightType == "f32")
      storage = Float32Type::get(context);
    else if (!weightType.empty()) {
      getOperation().emitError()
          << "xf-promote-to-f32: weight-type must be f16, bf16, f32 or empty "
             "(as exported), not '"
          << weightType << "'";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(promote(func, storage)))
        return signalPassFailure();
  }

  LogicalResult promote(func::FuncOp func, FloatType storage) {
    MLIRContext *context = &getContext();
    auto f32 = Float32Type::get(context);
    // The weights that keep 16 bits, and the widening Casts put after them.
    llvm::DenseSet<Operation *> kept;
    SmallVector<ONNX::CastOp> widenings;
    SmallVector<ONNX::ConstantOp> constants;
    func.walk([&](ONNX::ConstantOp op) { constants.push_back(op); });
    for (ONNX::ConstantOp constant : constants) {
      auto type = dyn_cast<RankedTensorType>(constant.getType());
      if (!type || !isa<FloatType>(type.getElementType()) ||
          type.getElementType().getIntOrFloatBitWidth() > 32)
        continue;
      Type element = type.getElementType();
      bool weight = type.getRank() == 2 && type.hasStaticShape() &&
                    type.getNumElements() >= kMinWeightElements &&
                    !constant->use_empty() &&
                    llvm::all_of(constant->getUses(), readsAsWeight);
      // What a weight is stored as: --weights, else as exported.
      Type target = f32;
      if (weight && storage)
        target = storage;
      else if (weight && (isSixteenBit(element) || element.isF32()))
        target = element;
      if (!element.isF32() && !isSixteenBit(element))
        continue; // f64, f8: not ours
      if (target == element && element.isF32())
        continue;
      OpBuilder builder(constant);
      if (target != element) {
        auto value = dyn_cast<ElementsAttr>(constant.getValue());
        if (!value || (!isa<DenseResourceElementsAttr>(value) &&
                       !isa<DenseElementsAttr>(value)))
          return constant.emitError()
                 << "xf-promote-to-f32: cannot convert this constant's value";
        ElementsAttr converted =
            convertFloats(value, cast<FloatType>(target));
        auto replacement =
            ONNX::ConstantOp::create(builder, constant.getLoc(), converted);
        replacement->setDiscardableAttrs(
            constant->getDiscardableAttrDictionary());
        constant.getResult().replaceAllUsesWith(replacement.getResult());
        constant.erase();
        constant = replacement;
      }
      if (isSixteenBit(target)) {
        kept.insert(constant);
        builder.setInsertionPointAfter(constant);
        auto widen = ONNX::CastOp::create(
            builder, constant.getLoc(),
            cast<RankedTensorType>(constant.getType()).clone(f32),
            constant.getResult(), TypeAttr::get(f32),
            builder.getI64IntegerAttr(1), builder.getStringAttr("up"));
        constant.getResult().replaceAllUsesExcept(widen.getResult(), widen);
        kept.insert(widen);
        widenings.push_back(widen);
      }
    }

    // Every other 16-bit value becomes f32: types, Cast targets, typed
    // attributes (ConstantOfShape's value, small constants).
    Block &entry = func.getBody().front();
    for (BlockArgument arg : entry.getArguments())
      arg.setType(promoted(arg.getType()));
    WalkResult walk = func.walk([&](Operation *op) -> WalkResult {
      if (kept.contains(op))
        return WalkResult::advance();
      for (NamedAttribute attr : op->getAttrs()) {
        Attribute value = attr.getValue();
        if (auto typeAttr = dyn_cast<TypeAttr>(value)) {
          if (promoted(typeAttr.getValue()) != typeAttr.getValue())
            op->setAttr(attr.getName(),
                        TypeAttr::get(promoted(typeAttr.getValue())));
        } else if (auto elements = dyn_cast<ElementsAttr>(value)) {
          if (isSixteenBit(elements.getElementType())) {
            if (!isa<DenseResourceElementsAttr, DenseElementsAttr>(elements)) {
              op->emitError() << "xf-promote-to-f32: cannot convert attribute '"
                              << attr.getName() << "'";
              return WalkResult::interrupt();
            }
            op->setAttr(attr.getName(), convertFloats(elements, f32));
          }
        }
      }
      for (OpResult result : op->getResults())
        result.setType(promoted(result.getType()));
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            arg.setType(promoted(arg.getType()));
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    // A row lookup reads the 16-bit table and widens the rows it read, not
    // the table.
    for (ONNX::CastOp widen : widenings) {
      for (OpOperand &use : llvm::make_early_inc_range(widen->getUses())) {
        auto gather = dyn_cast<ONNX::GatherOp>(use.getOwner());
        if (!gather || use.getOperandNumber() != 0)
          continue;
        OpBuilder builder(gather);
        auto resultType = cast<TensorType>(gather.getType());
        Type storageType = widen.getInput().getType().getElementType();
        auto lookup = ONNX::GatherOp::create(
            builder, gather.getLoc(), resultType.clone(storageType),
            widen.getInput(), gather.getIndices(), gather.getAxisAttr());
        lookup->setDiscardableAttrs(gather->getDiscardableAttrDictionary());
        auto widened = ONNX::CastOp::create(builder, gather.getLoc(),
                                            resultType, lookup.getResult(),
                                            TypeAttr::get(f32),
                                            builder.getI64IntegerAttr(1),
                                            builder.getStringAttr("up"));
        gather.getResult().replaceAllUsesWith(widened.getResult());
        gather.erase();
      }
      if (widen->use_empty())
        widen.erase();
    }

    auto returnOp = cast<func::ReturnOp>(entry.getParent()->back().getTerminator());
    func.setType(FunctionType::get(context, entry.getArgumentTypes(),
                                   returnOp.getOperandTypes()));
    return success();
  }
};

} // namespace
