//===- LinearToLinalg.cpp - linear, qlinear, qembedding -> linalg --------===//
//
// Both are contractions over loops (leading dims of the input..., n, k) with
// the weight read at [n, k]: the transposed-B layout of nn.Linear, which
// xf-lower-contractions-to-microkernels passes to the runtime's matmul as
// strides, without a copy. An f32 linear keeps a plain multiply-add body so
// that it matches; the bias (and, for narrower floats, the cast back from
// the f32 accumulator) is a separate elementwise linalg.generic after it,
// never fused into the contraction. qlinear is a reference lowering: its
// body decodes the int8/int4 code and dequantizes it in registers (minus an
// integer or fractional zero point), so no float weight is materialized.
// qembedding, the quantized table's row gather, decodes only the rows it
// looks up, with the same helpers.
//
//===----------------------------------------------------------------------===//

#include "codegen/Utils/ShapeChecks.h"
#include "codegen/XFToLinalg/LinalgBuilders.h"
#include "codegen/XFToLinalg/XFToLinalg.h"
#include "dialects/ONNX/IR/ONNXOps.h"

#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace xf;

namespace {

/// Loops and maps of a linear layer on `input` [..., K] with `outFeatures`
/// (N) outputs: loops (leading..., n, k).
struct ContractionShape {
  unsigned numLoops;
  unsigned n, k;
  SmallVector<OpFoldResult> resultSizes;
  AffineMap inputMap, resultMap;
  SmallVector<utils::IteratorType> iterators;
};

ContractionShape getContractionShape(OpBuilder &b, Location loc, Value input,
                                     OpFoldResult outFeatures) {
  unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
  ContractionShape shape;
  shape.numLoops = rank + 1;
  shape.n = rank - 1;
  shape.k = rank;
  shape.resultSizes = tensor::getMixedSizes(b, loc, input);
  shape.resultSizes.back() = outFeatures;
  SmallVector<unsigned> inputDims;
  for (unsigned d = 0; d + 1 < rank; ++d)
    inputDims.push_back(d);
  inputDims.push_back(shape.k);
  shape.inputMap = getProjection(b, shape.numLoops, inputDims);
  shape.resultMap = getLeadingMap(b, shape.numLoops, rank);
  shape.iterators.assign(rank, utils::IteratorType::parallel);
  shape.iterators.push_back(utils::IteratorType::reduction);
  return shape;
}

/// The contraction's accumulator of `computeType` plus the optional bias,
/// cast to `elementType`; an accumulator that needs neither is returned as
/// it is.
Value buildEpilogue(OpBuilder &b, Location loc, Value accumulator, Value bias,
                    FloatType elementType) {
  auto type = cast<RankedTensorType>(accumulator.getType());
  if (!bias && type.getElementType() == elementType)
    return accumulator;
  unsigned rank = type.getRank();
  SmallVector<Value> inputs = {accumulator};
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  if (bias) {
    inputs.push_back(bias);
    maps.push_back(getProjection(b, rank, {rank - 1}));
  }
  auto computeType = cast<FloatType>(type.getElementType());
  return buildMap(
      b, loc, tensor::getMixedSizes(b, loc, accumulator), elementType, inputs,
      maps, [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value sum = args[0];
        if (bias)
          sum = arith::AddFOp::create(nb, nl, sum,
                                      resizeFloat(nb, nl, args[1], computeType));
        return resizeFloat(nb, nl, sum, elementType);
      });
}

struct LinearLowering : OpRewritePattern<XF::LinearOp> {
  LinearLowering(MLIRContext *context, ONNX::SymbolicShapeAnalysis &shapes)
      : OpRewritePattern(context), shapes(shapes) {}

  LogicalResult matchAndRewrite(XF::LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput(), weight = op.getWeight();
    auto elementType = cast<FloatType>(
        cast<RankedTensorType>(input.getType()).getElementType());
    FloatType computeType = getComputeType(elementType);
    checkEqualDims(rewriter, loc, shapes, op, weight, 1, input,
                   cast<RankedTensorType>(input.getType()).getRank() - 1,
                   "the weight's columns against the input's features");
    ContractionShape shape = getContractionShape(
        rewriter, loc, input, tensor::getMixedSize(rewriter, loc, weight, 0));
    AffineMap weightMap =
        getProjection(rewriter, shape.numLoops, {shape.n, shape.k});
    // Fusion writes a MatMul by a [K, N] weight as a linear over
    // Transpose(weight): read the [K, N] tensor in place rather than
    // transposing every weight on every call.
    if (auto transpose = weight.getDefiningOp<ONNX::TransposeOp>()) {
      std::optional<ArrayAttr> perm = transpose.getPerm();
      auto sourceType =
          dyn_cast<RankedTensorType>(transpose.getData().getType());
      bool swap = sourceType && sourceType.getRank() == 2 &&
                  (!perm || (perm->size() == 2 &&
                             cast<IntegerAttr>((*perm)[0]).getInt() == 1 &&
                             cast<IntegerAttr>((*perm)[1]).getInt() == 0));
      if (swap) {
        weight = transpose.getData();
        weightMap = getProjection(rewriter, shape.numLoops, {shape.k, shape.n});
      }
    }
    Value zeros =
        createFilled(rewriter, loc, shape.resultSizes, computeType, 0.0);
    Value accumulator = buildGeneric(
        rewriter, loc, shape.resultSizes, computeType, {input, weight},
        {shape.inputMap, weightMap, shape.resultMap}, shape.iterators,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value product = arith::MulFOp::create(
              b, loc, resizeFloat(b, loc, args[0], computeType),
              resizeFloat(b, loc, args[1], computeType));
          return arith::AddFOp::create(b, loc, args[2], product);
        },
        zeros);
    rewriter.replaceOp(op, buildEpilogue(rewriter, loc, accumulator,
                                         op.getBias(), elementType));
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

/// The code of element k of a row, as an i32, from the byte that holds it:
/// the byte itself for int8; for int4 its low nibble when k is even, its high
/// nibble when k is odd. Symmetric codes are signed, the others unsigned.
Value decodeCode(OpBuilder &b, Location loc, Value byte, Value k, int64_t bits,
                 bool isSigned) {
  Type i32 = b.getI32Type();
  Value code = byte;
  if (bits == 4) {
    Type i8 = b.getI8Type();
    Value four = createIntConstant(b, loc, i8, 4);
    Value low, high;
    if (isSigned) {
      low = arith::ShRSIOp::create(b, loc,
                                   arith::ShLIOp::create(b, loc, byte, four),
                                   four);
      high = arith::ShRSIOp::create(b, loc, byte, four);
    } else {
      low = arith::AndIOp::create(b, loc, byte,
                                  createIntConstant(b, loc, i8, 0xF));
      high = arith::ShRUIOp::create(b, loc, byte, four);
    }
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value odd = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                      arith::AndIOp::create(b, loc, k, one),
                                      one);
    code = arith::SelectOp::create(b, loc, odd, high, low);
  }
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, i32, code);
  return arith::ExtUIOp::create(b, loc, i32, code);
}

/// scale * (code - zeroPoint) in `computeType`: an integer zero point
/// (a byte read unsigned) is subtracted from the i32 code, a fractional one
/// in floats; no zero point for symmetric codes.
Value dequantize(OpBuilder &b, Location loc, Value code, Value scale,
                 Value zeroPoint, FloatType computeType) {
  Value factor = resizeFloat(b, loc, scale, computeType);
  Value level;
  if (zeroPoint && isa<FloatType>(zeroPoint.getType())) {
    level = arith::SubFOp::create(
        b, loc, arith::SIToFPOp::create(b, loc, computeType, code),
        resizeFloat(b, loc, zeroPoint, computeType));
  } else {
    if (zeroPoint)
      code = arith::SubIOp::create(
          b, loc, code,
          arith::ExtUIOp::create(b, loc, b.getI32Type(), zeroPoint));
    level = arith::SIToFPOp::create(b, loc, computeType, code);
  }
  return arith::MulFOp::create(b, loc, factor, level);
}

struct QLinearLowering : OpRewritePattern<XF::QLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(XF::QLinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto elementType = cast<FloatType>(
        cast<RankedTensorType>(input.getType()).getElementType());
    FloatType computeType = getComputeType(elementType);
    int64_t bits = static_cast<int64_t>(op.getBits());
    int64_t groupSize = static_cast<int64_t>(op.getGroupSize());
    bool isSigned = op.getSymmetric();
    Value zeroPoints = op.getZeroPoints();
    if (!isSigned && !zeroPoints)
      return rewriter.notifyMatchFailure(op, "asymmetric without zero points");

    ContractionShape shape = getContractionShape(
        rewriter, loc, input,
        tensor::getMixedSize(rewriter, loc, op.getWeight(), 0));
    AffineExpr n = rewriter.getAffineDimExpr(shape.n);
    AffineExpr k = rewriter.getAffineDimExpr(shape.k);
    AffineExpr byteColumn = bits == 4 ? k.floorDiv(2) : k;
    auto mapOf = [&](AffineExpr column) {
      return AffineMap::get(shape.numLoops, 0, {n, column},
                            rewriter.getContext());
    };
    AffineMap groupMap = mapOf(k.floorDiv(groupSize));
    SmallVector<Value> inputs = {input, op.getWeight(), op.getScales()};
    SmallVector<AffineMap> maps = {shape.inputMap, mapOf(byteColumn),
                                   groupMap};
    if (zeroPoints) {
      inputs.push_back(zeroPoints);
      maps.push_back(groupMap);
    }
    maps.push_back(shape.resultMap);

    Value zeros =
        createFilled(rewriter, loc, shape.resultSizes, computeType, 0.0);
    Value accumulator = buildGeneric(
        rewriter, loc, shape.resultSizes, computeType, inputs, maps,
        shape.iterators,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value column = linalg::IndexOp::create(b, loc, shape.k);
          Value code = decodeCode(b, loc, args[1], column, bits, isSigned);
          Value weight =
              dequantize(b, loc, code, args[2],
                         zeroPoints ? args[3] : Value(), computeType);
          Value product = arith::MulFOp::create(
              b, loc, resizeFloat(b, loc, args[0], computeType), weight);
          return arith::AddFOp::create(b, loc, args.back(), product);
        },
        zeros);
    rewriter.replaceOp(op, buildEpilogue(rewriter, loc, accumulator,
                                         op.getBias(), elementType));
    return success();
  }
};

/// A row gather over the result [..., D] whose body reads the code, scale
/// and zero point of (clamped id, d) with tensor.extract and dequantizes
/// them: only the rows looked up are ever decoded.
struct QEmbeddingLowering : OpRewritePattern<XF::QEmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(XF::QEmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value ids = op.getIds(), table = op.getTable();
    Value scales = op.getScales(), zeroPoints = op.getZeroPoints();
    int64_t bits = static_cast<int64_t>(op.getBits());
    int64_t groupSize = static_cast<int64_t>(op.getGroupSize());
    bool isSigned = op.getSymmetric();
    auto resultType = op.getResult().getType();
    auto elementType = cast<FloatType>(resultType.getElementType());
    FloatType computeType = getComputeType(elementType);
    unsigned idsRank = cast<RankedTensorType>(ids.getType()).getRank();
    Value result = buildRowGather(
        rewriter, loc, ids, tensor::DimOp::create(rewriter, loc, table, 0),
        tensor::getMixedSize(rewriter, loc, op.getResult(), idsRank),
        elementType,
        [&](OpBuilder &b, Location loc, Value id, Value column) -> Value {
          Value byteColumn =
              bits == 4 ? arith::DivUIOp::create(
                              b, loc, column,
                              arith::ConstantIndexOp::create(b, loc, 2))
                        : column;
          Value group = arith::DivUIOp::create(
              b, loc, column,
              arith::ConstantIndexOp::create(b, loc, groupSize));
          Value byte = tensor::ExtractOp::create(b, loc, table,
                                                 ValueRange{id, byteColumn});
          Value code = decodeCode(b, loc, byte, column, bits, isSigned);
          Value scale =
              tensor::ExtractOp::create(b, loc, scales, ValueRange{id, group});
          Value zeroPoint =
              zeroPoints ? tensor::ExtractOp::create(b, loc, zeroPoints,
                                                     ValueRange{id, group})
                               .getResult()
                         : Value();
          return resizeFloat(
              b, loc, dequantize(b, loc, code, scale, zeroPoint, computeType),
              elementType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void xf::populateXFLinearToLinalgPatterns(RewritePatternSet &patterns,
                                          ONNX::SymbolicShapeAnalysis &shapes) {
  patterns.add<LinearLowering>(patterns.getContext(), shapes);
  patterns.add<QLinearLowering, QEmbeddingLowering>(patterns.getContext());
}
