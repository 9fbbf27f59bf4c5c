//===- ComputeToLinalg.cpp - matmul, normalization, reductions -> linalg --===//
//
// Contractions become linalg.matmul / linalg.batch_matmul where the operand
// shapes fit them and a contraction linalg.generic otherwise (1-D operands,
// broadcast batch dimensions, Gemm's transposes and scaling). Reductions are
// linalg.generic ops whose result drops the reduced dimensions; keepdims is
// a tensor.expand_shape afterwards.
//
//===----------------------------------------------------------------------===//

#include "codegen/ONNXToLinalg/ONNXToLinalg.h"
#include "codegen/ONNXToLinalg/ScalarBuilders.h"
#include "codegen/Utils/ShapeChecks.h"

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace xf;

namespace {

using BodyBuilder = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// tensor.empty of `type`; dynamic dimensions take their size from `sizes`.
Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<OpFoldResult> sizes) {
  SmallVector<Value> dynamicSizes;
  for (auto [dim, size] : llvm::zip_equal(type.getShape(), sizes))
    if (ShapedType::isDynamic(dim))
      dynamicSizes.push_back(getValueOrCreateConstantIndexOp(b, loc, size));
  return tensor::EmptyOp::create(b, loc, type, dynamicSizes);
}

Value createZeroFilled(OpBuilder &b, Location loc, RankedTensorType type,
                       ArrayRef<OpFoldResult> sizes) {
  Value zero = arith::ConstantOp::create(
      b, loc, b.getZeroAttr(type.getElementType()));
  return linalg::FillOp::create(b, loc, zero,
                                createEmpty(b, loc, type, sizes))
      .getResult(0);
}

Value buildAdd(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  if (isa<FloatType>(lhs.getType()))
    return arith::AddFOp::create(b, loc, lhs, rhs);
  return arith::AddIOp::create(b, loc, lhs, rhs);
}

Value buildMul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  if (isa<FloatType>(lhs.getType()))
    return arith::MulFOp::create(b, loc, lhs, rhs);
  return arith::MulIOp::create(b, loc, lhs, rhs);
}

/// Operand `index` of `op` (`lowered`, its converted value) read in a loop
/// nest over `target`'s dimensions of sizes `loopSizes`, aligned on the
/// trailing ones (unidirectional broadcasting: Gemm's C, LayerNormalization's
/// Scale and B): its map, with a unit dimension read at 0, and the value to
/// read, in which every dynamic dimension the shape analysis does not prove
/// equal to the loop's has been checked and broadcast at run time.
std::pair<Value, AffineMap>
broadcastToLoops(OpBuilder &b, Location loc,
                 ONNX::SymbolicShapeAnalysis &shapes, Operation *op,
                 unsigned index, Value lowered, Value target,
                 ArrayRef<OpFoldResult> loopSizes) {
  Value original = op->getOperand(index);
  auto type = cast<RankedTensorType>(lowered.getType());
  int64_t numLoops = loopSizes.size();
  int64_t offset = numLoops - type.getRank();
  SmallVector<AffineExpr> exprs;
  SmallVector<RuntimeBroadcast> runtime;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    int64_t loop = offset + i;
    bool unit = shapes.getDim(original, i).getConstant() == 1;
    exprs.push_back(unit && getConstantIntValue(loopSizes[loop]) != 1
                        ? b.getAffineConstantExpr(0)
                        : b.getAffineDimExpr(loop));
    if (unit || shapes.provenEqual(original, i, target, loop))
      continue;
    runtime.push_back({i, loopSizes[loop],
                       llvm::formatv("{0}: dimension {1} of input {2}",
                                     describeOp(op), i, index)
                           .str()});
  }
  if (!runtime.empty())
    lowered = materializeRuntimeBroadcast(b, loc, lowered, runtime);
  return {lowered, AffineMap::get(numLoops, 0, exprs, b.getContext())};
}

/// A linalg.generic over `input`'s dimensions reducing those marked in
/// `reduced` into a tensor of `resultType` (the kept dimensions, in order),
/// starting from `init`. `reducedInputs` have the result's shape and are read
/// alongside; `combine` gets (input element, reduced-input elements...,
/// accumulator).
Value buildReduction(OpBuilder &b, Location loc, RankedTensorType resultType,
                     Value input, ValueRange reducedInputs,
                     ArrayRef<bool> reduced, Value init, BodyBuilder combine) {
  int64_t rank = reduced.size();
  SmallVector<AffineExpr> keptExprs;
  SmallVector<OpFoldResult> keptSizes;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(reduced[d] ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
    if (reduced[d])
      continue;
    keptExprs.push_back(b.getAffineDimExpr(d));
    keptSizes.push_back(tensor::getMixedSize(b, loc, input, d));
  }
  AffineMap keptMap = AffineMap::get(rank, 0, keptExprs, b.getContext());
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  maps.append(reducedInputs.size() + 1, keptMap);
  SmallVector<Value> inputs = {input};
  llvm::append_range(inputs, reducedInputs);
  Value filled =
      linalg::FillOp::create(b, loc, init,
                             createEmpty(b, loc, resultType, keptSizes))
          .getResult(0);
  return linalg::GenericOp::create(
             b, loc, resultType, inputs, filled, maps, iterators,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               linalg::YieldOp::create(nested, nestedLoc,
                                       combine(nested, nestedLoc, args));
             })
      .getResult(0);
}

/// A parallel linalg.generic over `resultType` (sized like `sizeSource`)
/// reading each input through its map.
Value buildMap(OpBuilder &b, Location loc, RankedTensorType resultType,
               Value sizeSource, ValueRange inputs, ArrayRef<AffineMap> maps,
               BodyBuilder body) {
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> allMaps(maps);
  allMaps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = createEmpty(b, loc, resultType,
                           tensor::getMixedSizes(b, loc, sizeSource));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, resultType, inputs, init, allMaps, iterators,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               linalg::YieldOp::create(nested, nestedLoc,
                                       body(nested, nestedLoc, args));
             })
      .getResult(0);
}

/// The number of elements in the reduced dimensions, as a scalar of
/// `type` (float or integer).
Value buildReducedCount(OpBuilder &b, Location loc, Value input,
                        ArrayRef<bool> reduced, Type type) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t staticCount = 1;
  for (auto [d, isReduced] : llvm::enumerate(reduced))
    if (isReduced && !inputType.isDynamicDim(d))
      staticCount *= inputType.getDimSize(d);
  Value count = arith::ConstantIndexOp::create(b, loc, staticCount);
  for (auto [d, isReduced] : llvm::enumerate(reduced))
    if (isReduced && inputType.isDynamicDim(d))
      count = arith::MulIOp::create(
          b, loc, count, tensor::DimOp::create(b, loc, input, d));
  if (isa<FloatType>(type)) {
    Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
    return arith::SIToFPOp::create(b, loc, type, asInt);
  }
  return arith::IndexCastOp::create(b, loc, type, count);
}

/// Inserts the reduced dimensions back as size 1 (keepdims, LayerNorm's
/// Mean): each group is a kept dimension and the unit dimensions after it;
/// leading unit dimensions join the first group.
Value expandReducedDims(OpBuilder &b, Location loc, Value reducedValue,
                        RankedTensorType resultType, ArrayRef<bool> reduced) {
  SmallVector<ReassociationIndices> groups;
  for (auto [d, isReduced] : llvm::enumerate(reduced)) {
    if (!isReduced || groups.empty())
      groups.push_back({});
    groups.back().push_back(d);
  }
  // Without kept dimensions the source is 0-D and takes no groups.
  if (llvm::all_of(reduced, [](bool r) { return r; }))
    groups.clear();
  else if (reduced.front() && groups.size() > 1) {
    // Merge the leading unit group into the first kept dimension's group.
    ReassociationIndices leading = groups.front();
    groups.erase(groups.begin());
    groups.front().insert(groups.front().begin(), leading.begin(),
                          leading.end());
  }
  return tensor::ExpandShapeOp::create(b, loc, resultType, reducedValue,
                                       groups);
}

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// The integer values of a constant operand, read from the original value
/// (an onnx.Constant) or its converted form (an arith.constant).
FailureOr<SmallVector<int64_t>> getConstantInts(Value original,
                                                Value converted) {
  DenseIntElementsAttr attr;
  if (!matchPattern(original, m_Constant(&attr)) &&
      !matchPattern(converted, m_Constant(&attr)))
    return failure();
  return llvm::to_vector(llvm::map_range(
      attr.getValues<APInt>(), [](APInt v) { return v.getSExtValue(); }));
}

//===----------------------------------------------------------------------===//
// MatMul and Gemm
//===----------------------------------------------------------------------===//

/// Numpy matmul: 2-D x 2-D is linalg.matmul, 3-D x 3-D with the same batch
/// is linalg.batch_matmul; anything else (1-D operands, broadcast or
/// higher-rank batches) is a contraction linalg.generic over
/// (batch..., m?, n?, k), where m and n exist only for operands of rank >= 2.
struct MatMulLowering : OpConversionPattern<ONNX::MatMulOp> {
  MatMulLowering(const TypeConverter &converter, MLIRContext *context,
                 ONNX::SymbolicShapeAnalysis &shapes)
      : OpConversionPattern(converter, context), shapes(shapes) {}

  LogicalResult
  matchAndRewrite(ONNX::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getA(), rhs = adaptor.getB();
    auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
    auto rhsType = dyn_cast<RankedTensorType>(rhs.getType());
    auto resultType = dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    if (!lhsType || !rhsType || !resultType)
      return rewriter.notifyMatchFailure(op, "operands must be ranked");
    int64_t lhsRank = lhsType.getRank(), rhsRank = rhsType.getRank();
    int64_t rank = resultType.getRank();
    bool hasM = lhsRank >= 2, hasN = rhsRank >= 2;
    int64_t batchRank = rank - hasM - hasN;
    int64_t lhsBatch = hasM ? lhsRank - 2 : 0;
    int64_t rhsBatch = hasN ? rhsRank - 2 : 0;
    std::string where = describeOp(op);

    // The contraction dimension must agree, or the loop over it reads past
    // the shorter operand.
    int64_t lhsK = lhsRank - 1, rhsK = hasN ? rhsRank - 2 : 0;
    if (!shapes.provenEqual(op.getA(), lhsK, op.getB(), rhsK))
      createDimCheck(
          rewriter, loc, tensor::DimOp::create(rewriter, loc, rhs, rhsK),
          tensor::DimOp::create(rewriter, loc, lhs, lhsK),
          /*broadcast=*/false,
          where + ": the contraction dimension of input 1 (dimension " +
              Twine(rhsK) + "), against input 0's");

    // Batch dimensions broadcast as elementwise ops do: a size from an
    // operand proven equal to the result's, else the larger of the two, and
    // an operand dimension not proven equal checked and broadcast at run
    // time.
    SmallVector<OpFoldResult> sizes;
    SmallVector<RuntimeBroadcast> lhsRuntime, rhsRuntime;
    for (int64_t d = 0; d < batchRank; ++d) {
      struct Side {
        Value original, lowered;
        int64_t dim;
        SmallVector<RuntimeBroadcast> *runtime;
        unsigned index;
      };
      SmallVector<Side, 2> sides;
      if (int64_t l = d - (batchRank - lhsBatch); l >= 0)
        sides.push_back({op.getA(), lhs, l, &lhsRuntime, 0});
      if (int64_t r = d - (batchRank - rhsBatch); r >= 0)
        sides.push_back({op.getB(), rhs, r, &rhsRuntime, 1});
      auto proven = [&](const Side &side) {
        return shapes.provenEqual(side.original, side.dim, op.getResult(), d);
      };
      auto isUnit = [&](const Side &side) {
        return shapes.getDim(side.original, side.dim).getConstant() == 1;
      };
      OpFoldResult size;
      if (!resultType.isDynamicDim(d))
        size = rewriter.getIndexAttr(resultType.getDimSize(d));
      for (const Side &side : sides)
        if (!size && proven(side))
          size = tensor::getMixedSize(rewriter, loc, side.lowered, side.dim);
      if (!size) {
        Value largest;
        for (const Side &side : sides) {
          if (isUnit(side))
            continue;
          Value dim =
              tensor::DimOp::create(rewriter, loc, side.lowered, side.dim);
          largest = largest
                        ? arith::MaxUIOp::create(rewriter, loc, largest, dim)
                              .getResult()
                        : dim;
        }
        size = largest ? OpFoldResult(largest) : rewriter.getIndexAttr(1);
      }
      sizes.push_back(size);
      for (const Side &side : sides) {
        auto type = cast<RankedTensorType>(side.lowered.getType());
        if (!type.isDynamicDim(side.dim) || proven(side))
          continue;
        side.runtime->push_back(
            {side.dim, size,
             llvm::formatv("{0}: batch dimension {1} of input {2}", where,
                           side.dim, side.index)
                 .str()});
      }
    }
    if (!lhsRuntime.empty())
      lhs = materializeRuntimeBroadcast(rewriter, loc, lhs, lhsRuntime);
    if (!rhsRuntime.empty())
      rhs = materializeRuntimeBroadcast(rewriter, loc, rhs, rhsRuntime);
    if (hasM)
      sizes.push_back(tensor::getMixedSize(rewriter, loc, lhs, lhsRank - 2));
    if (hasN)
      sizes.push_back(tensor::getMixedSize(rewriter, loc, rhs, rhsRank - 1));
    Value init = createZeroFilled(rewriter, loc, resultType, sizes);

    if (lhsRank == 2 && rhsRank == 2) {
      rewriter.replaceOp(
          op, linalg::MatmulOp::create(rewriter, loc, resultType,
                                       ValueRange{lhs, rhs}, init)
                  .getResult(0));
      return success();
    }
    int64_t lhsB = lhsType.getDimSize(0), rhsB = rhsType.getDimSize(0);
    if (lhsRank == 3 && rhsRank == 3 && (lhsB == rhsB || (lhsB != 1 && rhsB != 1))) {
      rewriter.replaceOp(
          op, linalg::BatchMatmulOp::create(rewriter, loc, resultType,
                                            ValueRange{lhs, rhs}, init)
                  .getResult(0));
      return success();
    }

    int64_t numLoops = batchRank + hasM + hasN + 1;
    AffineExpr k = rewriter.getAffineDimExpr(numLoops - 1);
    auto batchExprs = [&](RankedTensorType type, int64_t batch) {
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < batch; ++i) {
        int64_t loop = batchRank - batch + i;
        bool broadcast = type.getDimSize(i) == 1 &&
                         resultType.getDimSize(loop) != 1;
        exprs.push_back(broadcast ? rewriter.getAffineConstantExpr(0)
                                  : rewriter.getAffineDimExpr(loop));
      }
      return exprs;
    };
    SmallVector<AffineExpr> lhsExprs = batchExprs(lhsType, lhsBatch);
    SmallVector<AffineExpr> rhsExprs = batchExprs(rhsType, rhsBatch);
    SmallVector<AffineExpr> outExprs;
    for (int64_t d = 0; d < batchRank; ++d)
      outExprs.push_back(rewriter.getAffineDimExpr(d));
    if (hasM) {
      AffineExpr m = rewriter.getAffineDimExpr(batchRank);
      lhsExprs.push_back(m);
      outExprs.push_back(m);
    }
    lhsExprs.push_back(k);
    rhsExprs.push_back(k);
    if (hasN) {
      AffineExpr n = rewriter.getAffineDimExpr(batchRank + hasM);
      rhsExprs.push_back(n);
      outExprs.push_back(n);
    }
    MLIRContext *context = rewriter.getContext();
    SmallVector<AffineMap> maps = {
        AffineMap::get(numLoops, 0, lhsExprs, context),
        AffineMap::get(numLoops, 0, rhsExprs, context),
        AffineMap::get(numLoops, 0, outExprs, context)};
    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{lhs, rhs}, init, maps,
        iterators, [](OpBuilder &b, Location loc, ValueRange args) {
          Value product = buildMul(b, loc, args[0], args[1]);
          linalg::YieldOp::create(b, loc, buildAdd(b, loc, args[2], product));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

/// Gemm: the optional C, broadcast to [M, N] and scaled by beta, is the
/// accumulator of a contraction generic whose maps carry the transposes.
struct GemmLowering : OpConversionPattern<ONNX::GemmOp> {
  GemmLowering(const TypeConverter &converter, MLIRContext *context,
               ONNX::SymbolicShapeAnalysis &shapes)
      : OpConversionPattern(converter, context), shapes(shapes) {}

  LogicalResult
  matchAndRewrite(ONNX::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    if (!resultType || resultType.getRank() != 2)
      return rewriter.notifyMatchFailure(op, "result must be a 2-D tensor");
    Type elementType = resultType.getElementType();
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    bool isFloat = isa<FloatType>(elementType);
    if (!isFloat && (alpha != 1.0 || beta != 1.0))
      return rewriter.notifyMatchFailure(
          op, "integer Gemm needs alpha = beta = 1");
    bool transA = op.getTransA() != 0, transB = op.getTransB() != 0;
    Value a = adaptor.getA(), b = adaptor.getB();
    SmallVector<OpFoldResult> sizes = {
        tensor::getMixedSize(rewriter, loc, a, transA ? 1 : 0),
        tensor::getMixedSize(rewriter, loc, b, transB ? 0 : 1)};
    int64_t aK = transA ? 0 : 1, bK = transB ? 1 : 0;
    if (!shapes.provenEqual(op.getA(), aK, op.getB(), bK))
      createDimCheck(rewriter, loc, tensor::DimOp::create(rewriter, loc, b, bK),
                     tensor::DimOp::create(rewriter, loc, a, aK),
                     /*broadcast=*/false,
                     describeOp(op) +
                         ": the contraction dimension of input 1 (dimension " +
                         Twine(bK) + "), against input 0's");

    Value init;
    if (adaptor.getC()) {
      auto [c, cMap] = broadcastToLoops(rewriter, loc, shapes, op, 2,
                                        adaptor.getC(), op.getResult(), sizes);
      SmallVector<AffineMap> maps = {cMap, rewriter.getMultiDimIdentityMap(2)};
      auto generic = linalg::GenericOp::create(
          rewriter, loc, resultType, c,
          createEmpty(rewriter, loc, resultType, sizes), maps,
          {utils::IteratorType::parallel, utils::IteratorType::parallel},
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            Value scaled = args[0];
            if (beta != 1.0)
              scaled = arith::MulFOp::create(
                  nested, nestedLoc, scaled,
                  createFloatConstant(nested, nestedLoc, elementType, beta));
            linalg::YieldOp::create(nested, nestedLoc, scaled);
          });
      init = generic.getResult(0);
    } else {
      init = createZeroFilled(rewriter, loc, resultType, sizes);
    }

    AffineExpr m = rewriter.getAffineDimExpr(0),
               n = rewriter.getAffineDimExpr(1),
               k = rewriter.getAffineDimExpr(2);
    MLIRContext *context = rewriter.getContext();
    SmallVector<AffineExpr> aExprs = {m, k}, bExprs = {k, n};
    if (transA)
      std::swap(aExprs[0], aExprs[1]);
    if (transB)
      std::swap(bExprs[0], bExprs[1]);
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, aExprs, context),
                                   AffineMap::get(3, 0, bExprs, context),
                                   AffineMap::get(3, 0, {m, n}, context)};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{a, b}, init, maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel,
         utils::IteratorType::reduction},
        [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
          Value product = buildMul(nested, nestedLoc, args[0], args[1]);
          if (alpha != 1.0)
            product = arith::MulFOp::create(
                nested, nestedLoc, product,
                createFloatConstant(nested, nestedLoc, elementType, alpha));
          linalg::YieldOp::create(nested, nestedLoc,
                                  buildAdd(nested, nestedLoc, args[2],
                                           product));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

//===----------------------------------------------------------------------===//
// Softmax and LayerNormalization
//===----------------------------------------------------------------------===//

/// Shape of `type` without the reduced dimensions.
RankedTensorType dropReduced(RankedTensorType type, ArrayRef<bool> reduced,
                             Type elementType) {
  SmallVector<int64_t> shape;
  for (auto [dim, isReduced] : llvm::zip_equal(type.getShape(), reduced))
    if (!isReduced)
      shape.push_back(dim);
  return RankedTensorType::get(shape, elementType);
}

/// The map from all loops to the kept (not reduced) ones.
AffineMap getKeptMap(OpBuilder &b, ArrayRef<bool> reduced) {
  SmallVector<AffineExpr> exprs;
  for (auto [d, isReduced] : llvm::enumerate(reduced))
    if (!isReduced)
      exprs.push_back(b.getAffineDimExpr(d));
  return AffineMap::get(reduced.size(), 0, exprs, b.getContext());
}

/// Softmax as max, then sum of exp(x - max), then exp(x - max) / sum: the
/// subtracted max keeps exp from overflowing.
struct SoftmaxLowering : OpConversionPattern<ONNX::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ONNX::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = dyn_cast<RankedTensorType>(input.getType());
    if (!type || type.getRank() == 0)
      return rewriter.notifyMatchFailure(op, "input must be ranked, rank >= 1");
    int64_t axis = normalizeAxis(op.getAxis(), type.getRank());
    SmallVector<bool> reduced(type.getRank(), false);
    reduced[axis] = true;
    Type elementType = type.getElementType();
    RankedTensorType reducedType = dropReduced(type, reduced, elementType);

    Value negInf = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getFloatAttr(
            elementType,
            APFloat::getInf(cast<FloatType>(elementType).getFloatSemantics(),
                            /*Negative=*/true)));
    Value max = buildReduction(
        rewriter, loc, reducedType, input, {}, reduced, negInf,
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::MaximumFOp::create(b, loc, args[0], args[1]);
        });
    Value zero = createFloatConstant(rewriter, loc, elementType, 0.0);
    Value sum = buildReduction(
        rewriter, loc, reducedType, input, max, reduced, zero,
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value shifted = arith::SubFOp::create(b, loc, args[0], args[1]);
          return arith::AddFOp::create(b, loc, args[2],
                                       math::ExpOp::create(b, loc, shifted));
        });
    AffineMap keptMap = getKeptMap(rewriter, reduced);
    Value result = buildMap(
        rewriter, loc, type, input, ValueRange{input, max, sum},
        {rewriter.getMultiDimIdentityMap(type.getRank()), keptMap, keptMap},
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value shifted = arith::SubFOp::create(b, loc, args[0], args[1]);
          return arith::DivFOp::create(b, loc,
                                       math::ExpOp::create(b, loc, shifted),
                                       args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Mean and variance are computed in the stash type (the Mean result's
/// element type) by two reductions; the normalized value is cast back to
/// X's type before Scale and B, as ONNX's reference does.
struct LayerNormalizationLowering
    : OpConversionPattern<ONNX::LayerNormalizationOp> {
  LayerNormalizationLowering(const TypeConverter &converter,
                             MLIRContext *context,
                             ONNX::SymbolicShapeAnalysis &shapes)
      : OpConversionPattern(converter, context), shapes(shapes) {}

  LogicalResult
  matchAndRewrite(ONNX::LayerNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    auto type = dyn_cast<RankedTensorType>(x.getType());
    auto meanType = dyn_cast<RankedTensorType>(op.getMean().getType());
    auto invStdDevType =
        dyn_cast<RankedTensorType>(op.getInvStdDev().getType());
    if (!type || !meanType || !invStdDevType)
      return rewriter.notifyMatchFailure(op, "types must be ranked");
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    SmallVector<bool> reduced(rank, false);
    for (int64_t d = axis; d < rank; ++d)
      reduced[d] = true;
    Type elementType = type.getElementType();
    auto stashType = cast<FloatType>(meanType.getElementType());
    RankedTensorType reducedType =
        dropReduced(meanType, reduced, stashType);

    Value zero = createFloatConstant(rewriter, loc, stashType, 0.0);
    Value count = buildReducedCount(rewriter, loc, x, reduced, stashType);
    Value sum = buildReduction(
        rewriter, loc, reducedType, x, {}, reduced, zero,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::AddFOp::create(
              b, loc, args[1], resizeFloat(b, loc, args[0], stashType));
        });
    AffineMap reducedIdentity =
        rewriter.getMultiDimIdentityMap(reducedType.getRank());
    Value mean = buildMap(
        rewriter, loc, reducedType, sum, sum, reducedIdentity,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::DivFOp::create(b, loc, args[0], count);
        });
    Value squares = buildReduction(
        rewriter, loc, reducedType, x, mean, reduced, zero,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value centered = arith::SubFOp::create(
              b, loc, resizeFloat(b, loc, args[0], stashType), args[1]);
          Value square = arith::MulFOp::create(b, loc, centered, centered);
          return arith::AddFOp::create(b, loc, args[2], square);
        });
    double epsilon = op.getEpsilon().convertToDouble();
    Value invStdDev = buildMap(
        rewriter, loc, reducedType, squares, squares, reducedIdentity,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value variance = arith::DivFOp::create(b, loc, args[0], count);
          Value shifted = arith::AddFOp::create(
              b, loc, variance,
              createFloatConstant(b, loc, stashType, epsilon));
          Value one = createFloatConstant(b, loc, stashType, 1.0);
          return arith::DivFOp::create(b, loc, one,
                                       math::SqrtOp::create(b, loc, shifted));
        });

    AffineMap keptMap = getKeptMap(rewriter, reduced);
    SmallVector<Value> inputs = {x, mean, invStdDev};
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   keptMap, keptMap};
    SmallVector<OpFoldResult> xSizes = tensor::getMixedSizes(rewriter, loc, x);
    for (unsigned index = 1; index < op->getNumOperands(); ++index) {
      auto [affine, map] =
          broadcastToLoops(rewriter, loc, shapes, op, index,
                           adaptor.getOperands()[index], op.getX(), xSizes);
      inputs.push_back(affine);
      maps.push_back(map);
    }
    bool hasBias = inputs.size() == 5;
    Value y = buildMap(
        rewriter, loc, type, x, inputs, maps,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value centered = arith::SubFOp::create(
              b, loc, resizeFloat(b, loc, args[0], stashType), args[1]);
          Value normalized = resizeFloat(
              b, loc, arith::MulFOp::create(b, loc, centered, args[2]),
              cast<FloatType>(elementType));
          Value scaled = arith::MulFOp::create(b, loc, normalized, args[3]);
          return hasBias ? arith::AddFOp::create(b, loc, scaled, args[4])
                               .getResult()
                         : scaled;
        });
    rewriter.replaceOp(op, {y,
                            expandReducedDims(rewriter, loc, mean, meanType,
                                              reduced),
                            expandReducedDims(rewriter, loc, invStdDev,
                                              invStdDevType, reduced)});
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

//===----------------------------------------------------------------------===//
// Reductions and CumSum
//===----------------------------------------------------------------------===//

enum class ReduceKind { Max, Mean, Sum };

template <typename OpTy, ReduceKind Kind>
struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData();
    auto type = dyn_cast<RankedTensorType>(data.getType());
    auto resultType = dyn_cast_or_null<RankedTensorType>(
        this->getTypeConverter()->convertType(op.getType()));
    if (!type || !resultType)
      return rewriter.notifyMatchFailure(op, "types must be ranked");
    SmallVector<int64_t> axes;
    if (op.getAxes()) {
      FailureOr<SmallVector<int64_t>> constantAxes =
          getConstantInts(op.getAxes(), adaptor.getAxes());
      if (failed(constantAxes))
        return rewriter.notifyMatchFailure(op, "axes must be a constant");
      axes = *constantAxes;
    }
    int64_t rank = type.getRank();
    if (axes.empty() && op.getNoopWithEmptyAxes() != 0) {
      rewriter.replaceOp(op, data);
      return success();
    }
    SmallVector<bool> reduced(rank, axes.empty());
    for (int64_t axis : axes)
      reduced[normalizeAxis(axis, rank)] = true;

    Type elementType = type.getElementType();
    bool isFloat = isa<FloatType>(elementType);
    // A bool's maximum is logical or: i1 compares as unsigned.
    Type onnxElementType = getElementTypeOrSelf(op.getData().getType());
    bool isUnsigned = onnxElementType.isUnsignedInteger() ||
                      onnxElementType.isInteger(1);
    TypedAttr initAttr = rewriter.getZeroAttr(elementType);
    if (Kind == ReduceKind::Max) {
      unsigned width = elementType.getIntOrFloatBitWidth();
      if (isFloat)
        initAttr = rewriter.getFloatAttr(
            elementType,
            APFloat::getInf(cast<FloatType>(elementType).getFloatSemantics(),
                            /*Negative=*/true));
      else if (!isUnsigned)
        initAttr = rewriter.getIntegerAttr(elementType,
                                           APInt::getSignedMinValue(width));
    }
    Value init = arith::ConstantOp::create(rewriter, loc, initAttr);
    bool keepDims = op.getKeepdims() != 0;
    RankedTensorType reducedType =
        keepDims ? dropReduced(resultType, reduced, elementType) : resultType;
    Value result = buildReduction(
        rewriter, loc, reducedType, data, {}, reduced, init,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (Kind != ReduceKind::Max)
            return buildAdd(b, loc, args[1], args[0]);
          if (isFloat)
            return arith::MaximumFOp::create(b, loc, args[1], args[0]);
          if (isUnsigned)
            return arith::MaxUIOp::create(b, loc, args[1], args[0]);
          return arith::MaxSIOp::create(b, loc, args[1], args[0]);
        });
    if (Kind == ReduceKind::Mean) {
      Value count =
          buildReducedCount(rewriter, loc, data, reduced, elementType);
      result = buildMap(
          rewriter, loc, reducedType, result, result,
          rewriter.getMultiDimIdentityMap(reducedType.getRank()),
          [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
            if (isFloat)
              return arith::DivFOp::create(b, loc, args[0], count);
            if (isUnsigned)
              return arith::DivUIOp::create(b, loc, args[0], count);
            return arith::DivSIOp::create(b, loc, args[0], count);
          });
    }
    if (keepDims)
      result = expandReducedDims(rewriter, loc, result, resultType, reduced);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// CumSum as a triangular reduction: y[.., i, ..] sums x[.., j, ..] over
/// the j that precede i (or follow it, with `reverse`), i itself included
/// unless `exclusive`. Quadratic in the axis length, which is short where
/// transformers use CumSum (position ids from an attention mask).
struct CumSumLowering : OpConversionPattern<ONNX::CumSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ONNX::CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    auto type = dyn_cast<RankedTensorType>(x.getType());
    if (!type || type.getRank() == 0)
      return rewriter.notifyMatchFailure(op, "input must be ranked, rank >= 1");
    FailureOr<SmallVector<int64_t>> axisValues =
        getConstantInts(op.getAxis(), adaptor.getAxis());
    if (failed(axisValues) || axisValues->size() != 1)
      return rewriter.notifyMatchFailure(op, "axis must be a constant");
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(axisValues->front(), rank);

    // Loops: the result's dimensions, then j over the input's axis.
    SmallVector<AffineExpr> inputExprs;
    for (int64_t d = 0; d < rank; ++d)
      inputExprs.push_back(rewriter.getAffineDimExpr(d == axis ? rank : d));
    MLIRContext *context = rewriter.getContext();
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank + 1, 0, inputExprs, context),
        AffineMap::getMultiDimIdentityMap(rank + 1, context)
            .getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank + 1,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    Value init = createZeroFilled(rewriter, loc, type,
                                  tensor::getMixedSizes(rewriter, loc, x));
    arith::CmpIPredicate predicate =
        op.getReverse() != 0
            ? (op.getExclusive() != 0 ? arith::CmpIPredicate::ugt
                                      : arith::CmpIPredicate::uge)
            : (op.getExclusive() != 0 ? arith::CmpIPredicate::ult
                                      : arith::CmpIPredicate::ule);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, x, init, maps, iterators,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value i = linalg::IndexOp::create(b, loc, axis);
          Value j = linalg::IndexOp::create(b, loc, rank);
          Value included = arith::CmpIOp::create(b, loc, predicate, j, i);
          Value sum = buildAdd(b, loc, args[1], args[0]);
          linalg::YieldOp::create(
              b, loc, arith::SelectOp::create(b, loc, included, sum, args[1])
                          .getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void xf::populateONNXComputeToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns,
    ONNX::SymbolicShapeAnalysis &shapes) {
  patterns.add<MatMulLowering, GemmLowering, LayerNormalizationLowering>(
      converter, patterns.getContext(), shapes);
  patterns
      .add<SoftmaxLowering, ReduceLowering<ONNX::ReduceMaxOp, ReduceKind::Max>,
           ReduceLowering<ONNX::ReduceMeanOp, ReduceKind::Mean>,
           ReduceLowering<ONNX::ReduceSumOp, ReduceKind::Sum>, CumSumLowering>(
          converter, patterns.getContext());
}
