//===- NormsToLinalg.cpp - rms_norm, layer_norm, rope -> linalg -----------===//
//
// Normalizations reduce over the last dimension in a linalg.generic whose
// last loop is a reduction, accumulating in at least f32, then normalize in
// an elementwise linalg.generic that casts back once at the end. Rope is one
// elementwise linalg.generic whose body reads the partner element and the
// cos/sin entries with tensor.extract at indices computed from linalg.index.
//
//===----------------------------------------------------------------------===//

#include "codegen/Utils/ShapeChecks.h"
#include "codegen/XFToLinalg/LinalgBuilders.h"
#include "codegen/XFToLinalg/XFToLinalg.h"

#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace xf;

namespace {

using TermBuilder =
    function_ref<Value(OpBuilder &, Location, Value, ValueRange)>;

/// The sum over the last dimension of `input` of `term`, accumulated in
/// `computeType` into a tensor of `input`'s leading dimensions. `rowValues`
/// (tensors of that shape) are read alongside; `term` gets the input
/// element widened to `computeType` and the row values' elements.
Value buildLastDimSum(OpBuilder &b, Location loc, Value input,
                      ValueRange rowValues, FloatType computeType,
                      TermBuilder term) {
  unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
  SmallVector<OpFoldResult> rowSizes = tensor::getMixedSizes(b, loc, input);
  rowSizes.pop_back();
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  maps.append(rowValues.size() + 1, getLeadingMap(b, rank, rank - 1));
  SmallVector<Value> inputs = {input};
  llvm::append_range(inputs, rowValues);
  SmallVector<utils::IteratorType> iterators(rank - 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value zeros = createFilled(b, loc, rowSizes, computeType, 0.0);
  return buildGeneric(
      b, loc, rowSizes, computeType, inputs, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value element = resizeFloat(nb, nl, args[0], computeType);
        Value value = term(nb, nl, element, args.slice(1, rowValues.size()));
        return arith::AddFOp::create(nb, nl, args.back(), value);
      },
      zeros);
}

/// 1 / sqrt(sum / count + epsilon) for every row of `sums`.
Value buildInverseRoot(OpBuilder &b, Location loc, Value sums, Value count,
                       double epsilon) {
  auto type = cast<RankedTensorType>(sums.getType());
  auto computeType = cast<FloatType>(type.getElementType());
  return buildMap(
      b, loc, tensor::getMixedSizes(b, loc, sums), computeType, sums,
      b.getMultiDimIdentityMap(type.getRank()),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value mean = arith::DivFOp::create(nb, nl, args[0], count);
        Value shifted = arith::AddFOp::create(
            nb, nl, mean, createFloatConstant(nb, nl, computeType, epsilon));
        Value one = createFloatConstant(nb, nl, computeType, 1.0);
        return arith::DivFOp::create(nb, nl, one,
                                     math::SqrtOp::create(nb, nl, shifted));
      });
}

struct RMSNormLowering : OpRewritePattern<XF::RMSNormOp> {
  RMSNormLowering(MLIRContext *context, ONNX::SymbolicShapeAnalysis &shapes)
      : OpRewritePattern(context), shapes(shapes) {}

  LogicalResult matchAndRewrite(XF::RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();
    FloatType computeType = getComputeType(type.getElementType());
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, input);
    Value count = indexToFloat(rewriter, loc, sizes.back(), computeType);
    checkEqualDims(rewriter, loc, shapes, op, op.getWeight(), 0, input,
                   rank - 1, "the weight's size against the input's features");

    Value sumOfSquares = buildLastDimSum(
        rewriter, loc, input, {}, computeType,
        [](OpBuilder &b, Location loc, Value x, ValueRange) -> Value {
          return arith::MulFOp::create(b, loc, x, x);
        });
    Value inverseRms =
        buildInverseRoot(rewriter, loc, sumOfSquares, count,
                         op.getEpsilon().convertToDouble());
    auto elementType = cast<FloatType>(type.getElementType());
    Value result = buildMap(
        rewriter, loc, sizes, elementType,
        {input, inverseRms, op.getWeight()},
        {rewriter.getMultiDimIdentityMap(rank),
         getLeadingMap(rewriter, rank, rank - 1),
         getProjection(rewriter, rank, {rank - 1})},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = resizeFloat(b, loc, args[0], computeType);
          Value normalized = arith::MulFOp::create(b, loc, x, args[1]);
          Value scaled = arith::MulFOp::create(
              b, loc, normalized, resizeFloat(b, loc, args[2], computeType));
          return resizeFloat(b, loc, scaled, elementType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

/// Two passes over each row: the mean, then the mean of squared deviations
/// from it (more accurate than E[x^2] - E[x]^2).
struct LayerNormLowering : OpRewritePattern<XF::LayerNormOp> {
  LayerNormLowering(MLIRContext *context, ONNX::SymbolicShapeAnalysis &shapes)
      : OpRewritePattern(context), shapes(shapes) {}

  LogicalResult matchAndRewrite(XF::LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();
    FloatType computeType = getComputeType(type.getElementType());
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, input);
    Value count = indexToFloat(rewriter, loc, sizes.back(), computeType);
    checkEqualDims(rewriter, loc, shapes, op, op.getWeight(), 0, input,
                   rank - 1, "the weight's size against the input's features");
    if (op.getBias())
      checkEqualDims(rewriter, loc, shapes, op, op.getBias(), 0, input,
                     rank - 1, "the bias's size against the input's features");

    Value sum = buildLastDimSum(
        rewriter, loc, input, {}, computeType,
        [](OpBuilder &, Location, Value x, ValueRange) { return x; });
    Value mean = buildMap(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, sum), computeType,
        sum, rewriter.getMultiDimIdentityMap(rank - 1),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::DivFOp::create(b, loc, args[0], count);
        });
    Value squaredDeviations = buildLastDimSum(
        rewriter, loc, input, mean, computeType,
        [](OpBuilder &b, Location loc, Value x, ValueRange row) -> Value {
          Value centered = arith::SubFOp::create(b, loc, x, row[0]);
          return arith::MulFOp::create(b, loc, centered, centered);
        });
    Value inverseStdDev =
        buildInverseRoot(rewriter, loc, squaredDeviations, count,
                         op.getEpsilon().convertToDouble());

    AffineMap rowMap = getLeadingMap(rewriter, rank, rank - 1);
    AffineMap featureMap = getProjection(rewriter, rank, {rank - 1});
    SmallVector<Value> inputs = {input, mean, inverseStdDev, op.getWeight()};
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   rowMap, rowMap, featureMap};
    Value bias = op.getBias();
    if (bias) {
      inputs.push_back(bias);
      maps.push_back(featureMap);
    }
    auto elementType = cast<FloatType>(type.getElementType());
    Value result = buildMap(
        rewriter, loc, sizes, elementType, inputs, maps,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = resizeFloat(b, loc, args[0], computeType);
          Value centered = arith::SubFOp::create(b, loc, x, args[1]);
          Value normalized = arith::MulFOp::create(b, loc, centered, args[2]);
          Value y = arith::MulFOp::create(
              b, loc, normalized, resizeFloat(b, loc, args[3], computeType));
          if (bias)
            y = arith::AddFOp::create(
                b, loc, y, resizeFloat(b, loc, args[4], computeType));
          return resizeFloat(b, loc, y, elementType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

/// Element d of a head is the first or second member of the pair rotated by
/// angle i, and `partner` is the other member:
///
///   rotate_half: d < R/2: i = d, partner = d + R/2, first
///                d < R:   i = d - R/2, partner = d - R/2, second
///   interleaved: d < R:   i = d / 2, partner = d ^ 1, first iff d is even
///
/// Elements from R on pass through; their i and partner are clamped to 0 and
/// d so that no read leaves the tables or the head.
struct RopeLowering : OpRewritePattern<XF::RopeOp> {
  RopeLowering(MLIRContext *context, ONNX::SymbolicShapeAnalysis &shapes)
      : OpRewritePattern(context), shapes(shapes) {}

  LogicalResult matchAndRewrite(XF::RopeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    Value cos = op.getCos(), sin = op.getSin();
    auto type = cast<RankedTensorType>(input.getType());
    auto tableType = cast<RankedTensorType>(cos.getType());
    int64_t tableRank = tableType.getRank();
    if (tableType.getShape().back() == 0) {
      rewriter.replaceOp(op, input);
      return success();
    }
    bool perSequence = tableRank == 3;
    bool interleaved = op.getStyle() == XF::RopeStyle::interleaved;
    auto elementType = cast<FloatType>(type.getElementType());
    FloatType computeType = getComputeType(elementType);

    // The body reads both tables at each token (and sequence) of the input.
    for (auto [table, name] : {std::pair(cos, "cos"), std::pair(sin, "sin")}) {
      checkEqualDims(rewriter, loc, shapes, op, table, tableRank - 2, input, 2,
                     Twine("the ") + name +
                         " table's tokens against the "
                         "input's");
      if (perSequence)
        checkEqualDims(rewriter, loc, shapes, op, table, 0, input, 0,
                       Twine("the ") + name +
                           " table's sequences against "
                           "the input's");
    }
    Value halfRotary = tensor::DimOp::create(rewriter, loc, cos, tableRank - 1);
    Value rotary = arith::AddIOp::create(rewriter, loc, halfRotary, halfRotary);
    Value result = buildMap(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, input),
        elementType, input, rewriter.getMultiDimIdentityMap(4),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value batch = linalg::IndexOp::create(b, loc, 0);
          Value head = linalg::IndexOp::create(b, loc, 1);
          Value token = linalg::IndexOp::create(b, loc, 2);
          Value d = linalg::IndexOp::create(b, loc, 3);
          Value zero = arith::ConstantIndexOp::create(b, loc, 0);
          Value one = arith::ConstantIndexOp::create(b, loc, 1);
          Value rotated = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ult, d, rotary);
          Value first, angle, partner;
          if (interleaved) {
            Value parity = arith::AndIOp::create(b, loc, d, one);
            first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          parity, zero);
            angle = arith::ShRUIOp::create(b, loc, d, one);
            partner = arith::XOrIOp::create(b, loc, d, one);
          } else {
            first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          d, halfRotary);
            Value below = arith::SubIOp::create(b, loc, d, halfRotary);
            angle = arith::SelectOp::create(b, loc, first, d, below);
            partner = arith::SelectOp::create(
                b, loc, first, arith::AddIOp::create(b, loc, d, halfRotary),
                below);
          }
          angle = arith::SelectOp::create(b, loc, rotated, angle, zero);
          partner = arith::SelectOp::create(b, loc, rotated, partner, d);

          SmallVector<Value> tableIndices;
          if (perSequence)
            tableIndices.push_back(batch);
          tableIndices.append({token, angle});
          auto read = [&](Value tensor, ValueRange indices) {
            return resizeFloat(
                b, loc, tensor::ExtractOp::create(b, loc, tensor, indices),
                computeType);
          };
          Value c = read(cos, tableIndices);
          Value s = read(sin, tableIndices);
          Value other = read(input, {batch, head, token, partner});
          Value x = resizeFloat(b, loc, args[0], computeType);
          // y1 = x1 c - x2 s for the first member, y2 = x2 c + x1 s for the
          // second.
          Value xc = arith::MulFOp::create(b, loc, x, c);
          Value os = arith::MulFOp::create(b, loc, other, s);
          Value y = arith::SelectOp::create(
              b, loc, first, arith::SubFOp::create(b, loc, xc, os),
              arith::AddFOp::create(b, loc, xc, os));
          y = arith::SelectOp::create(b, loc, rotated, y, x);
          return resizeFloat(b, loc, y, elementType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

} // namespace

void xf::populateXFNormsToLinalgPatterns(RewritePatternSet &patterns,
                                         ONNX::SymbolicShapeAnalysis &shapes) {
  patterns.add<RMSNormLowering, LayerNormLowering, RopeLowering>(
      patterns.getContext(), shapes);
}
