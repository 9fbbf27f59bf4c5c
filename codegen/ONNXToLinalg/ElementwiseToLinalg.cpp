//===- ElementwiseToLinalg.cpp - elementwise onnx ops -> linalg -----------===//
//
// Every elementwise op becomes one linalg.generic over the broadcast result
// shape; the scalar body is built per op. Converted element types are
// signless, so bodies read signedness from the ONNX types. Broadcasting over
// a dimension that is dynamic at compile time is proven by the symbolic
// shape analysis or handled at run time (buildBroadcastGeneric).
//
//===----------------------------------------------------------------------===//

#include "codegen/ONNXToLinalg/ONNXToLinalg.h"
#include "codegen/ONNXToLinalg/ScalarBuilders.h"
#include "codegen/Utils/ShapeChecks.h"

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace xf;

namespace {

Type toSignless(Type type) {
  auto intType = dyn_cast<IntegerType>(type);
  if (!intType || !intType.isUnsigned())
    return type;
  return IntegerType::get(type.getContext(), intType.getWidth());
}

/// i1 compares and extends as unsigned: ONNX bool true is 1, not -1.
bool isUnsignedLike(Type onnxType) {
  return onnxType.isUnsignedInteger() || onnxType.isInteger(1);
}

/// A linalg.generic over `resultType` computing `op`'s result from its
/// lowered `operands` with numpy broadcasting (aligned on the trailing
/// dimensions). An operand dimension that is a static 1 is read at index 0.
/// A dynamic one that `shapes` proves equal to the result's is read as it
/// is; any other is checked at run time to be the result's size or 1 and,
/// where it is 1, broadcast first (materializeRuntimeBroadcast). A dynamic
/// result dimension takes its size from an operand proven equal to it, else
/// the largest operand size there: once every operand is checked against
/// it, that is the broadcast size.
Value buildBroadcastGeneric(
    OpBuilder &b, Location loc, Operation *op, RankedTensorType resultType,
    ValueRange operands, ONNX::SymbolicShapeAnalysis &shapes,
    function_ref<Value(OpBuilder &, Location, ValueRange)> buildScalar) {
  int64_t rank = resultType.getRank();
  MLIRContext *context = b.getContext();
  Value result = op->getResult(0);
  auto operandType = [&](unsigned j) {
    return cast<RankedTensorType>(operands[j].getType());
  };
  // Operand j's dimension aligned with result dimension d, or -1.
  auto alignedDim = [&](unsigned j, int64_t d) {
    return d - (rank - operandType(j).getRank());
  };
  auto provenEqual = [&](unsigned j, int64_t i, int64_t d) {
    return shapes.provenEqual(op->getOperand(j), i, result, d);
  };
  auto isUnit = [&](unsigned j, int64_t i) {
    return shapes.getDim(op->getOperand(j), i).getConstant() == 1;
  };

  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (!resultType.isDynamicDim(d)) {
      sizes.push_back(b.getIndexAttr(resultType.getDimSize(d)));
      continue;
    }
    std::optional<unsigned> proven;
    for (unsigned j = 0; j < operands.size() && !proven; ++j) {
      int64_t i = alignedDim(j, d);
      if (i >= 0 && provenEqual(j, i, d))
        proven = j;
    }
    if (proven) {
      sizes.push_back(tensor::getMixedSize(b, loc, operands[*proven],
                                           alignedDim(*proven, d)));
      continue;
    }
    Value size;
    for (unsigned j = 0; j < operands.size(); ++j) {
      int64_t i = alignedDim(j, d);
      if (i < 0 || isUnit(j, i))
        continue;
      Value dim = tensor::DimOp::create(b, loc, operands[j], i);
      size = size ? arith::MaxUIOp::create(b, loc, size, dim).getResult() : dim;
    }
    sizes.push_back(size ? OpFoldResult(size) : b.getIndexAttr(1));
  }

  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (unsigned j = 0; j < operands.size(); ++j) {
    SmallVector<AffineExpr> exprs;
    SmallVector<RuntimeBroadcast> runtime;
    for (int64_t i = 0; i < operandType(j).getRank(); ++i) {
      int64_t d = i + (rank - operandType(j).getRank());
      bool unit = isUnit(j, i);
      exprs.push_back(unit && resultType.getDimSize(d) != 1
                          ? b.getAffineConstantExpr(0)
                          : b.getAffineDimExpr(d));
      if (unit || !operandType(j).isDynamicDim(i) || provenEqual(j, i, d))
        continue;
      runtime.push_back({i, sizes[d],
                         llvm::formatv("{0}: dimension {1} of input {2}",
                                       describeOp(op), i, j)
                             .str()});
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, context));
    inputs.push_back(runtime.empty() ? operands[j]
                                     : materializeRuntimeBroadcast(
                                           b, loc, operands[j], runtime));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));

  Value init =
      tensor::EmptyOp::create(b, loc, sizes, resultType.getElementType());
  if (init.getType() != resultType)
    init = tensor::CastOp::create(b, loc, resultType, init);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result =
            buildScalar(nested, nestedLoc, args.drop_back(/*n=*/1));
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value resizeInt(OpBuilder &b, Location loc, Value value, Type to,
                bool isUnsigned) {
  unsigned fromWidth = value.getType().getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return isUnsigned ? arith::ExtUIOp::create(b, loc, to, value).getResult()
                      : arith::ExtSIOp::create(b, loc, to, value).getResult();
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, to, value);
  return value;
}

/// ONNX Cast of one element: float -> int truncates toward zero, anything ->
/// bool is `!= 0` (NaN is true).
Value castScalar(OpBuilder &b, Location loc, Value value, Type from,
                 Type to) {
  Type target = toSignless(to);
  if (auto toFloat = dyn_cast<FloatType>(target)) {
    if (isa<FloatType>(from))
      return resizeFloat(b, loc, value, toFloat);
    if (isUnsignedLike(from))
      return arith::UIToFPOp::create(b, loc, target, value);
    return arith::SIToFPOp::create(b, loc, target, value);
  }
  if (isa<FloatType>(from)) {
    if (target.isInteger(1))
      return arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::UNE, value,
          createFloatConstant(b, loc, value.getType(), 0.0));
    if (to.isUnsignedInteger())
      return arith::FPToUIOp::create(b, loc, target, value);
    return arith::FPToSIOp::create(b, loc, target, value);
  }
  if (target.isInteger(1))
    return arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, value,
        createIntConstant(b, loc, value.getType(), 0));
  return resizeInt(b, loc, value, target, isUnsignedLike(from));
}

/// What a scalar body needs besides its arguments: the ONNX element types of
/// the operands (conversion drops unsignedness) and of the result.
struct ScalarTypes {
  SmallVector<Type> operands;
  Type result;
};

using ScalarBuilder = Value (*)(OpBuilder &, Location, ValueRange,
                                const ScalarTypes &);

template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  ElementwiseLowering(const TypeConverter &converter, MLIRContext *context,
                      ONNX::SymbolicShapeAnalysis &shapes,
                      ScalarBuilder buildScalar)
      : OpConversionPattern<OpTy>(converter, context), shapes(shapes),
        buildScalar(buildScalar) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = dyn_cast_or_null<RankedTensorType>(
        this->getTypeConverter()->convertType(op->getResult(0).getType()));
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    ScalarTypes types;
    for (Value operand : op->getOperands()) {
      if (!isa<RankedTensorType>(operand.getType()))
        return rewriter.notifyMatchFailure(op, "operand is not ranked");
      types.operands.push_back(getElementTypeOrSelf(operand.getType()));
    }
    types.result = getElementTypeOrSelf(op->getResult(0).getType());
    Value result = buildBroadcastGeneric(
        rewriter, op.getLoc(), op, resultType, adaptor.getOperands(), shapes,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return buildScalar(b, loc, args, types);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
  ScalarBuilder buildScalar;
};

template <typename MathOp>
Value buildFloatUnary(OpBuilder &b, Location loc, ValueRange args,
                      const ScalarTypes &) {
  return MathOp::create(b, loc, args[0]);
}

template <typename FloatOp, typename IntOp>
Value buildArithmetic(OpBuilder &b, Location loc, ValueRange args,
                      const ScalarTypes &) {
  if (isa<FloatType>(args[0].getType()))
    return FloatOp::create(b, loc, args[0], args[1]);
  return IntOp::create(b, loc, args[0], args[1]);
}

template <typename IntOp>
Value buildBitwise(OpBuilder &b, Location loc, ValueRange args,
                   const ScalarTypes &) {
  return IntOp::create(b, loc, args[0], args[1]);
}

/// Float compares are ordered: any compare with NaN is false, as in ONNX.
template <arith::CmpFPredicate FloatPred, arith::CmpIPredicate SignedPred,
          arith::CmpIPredicate UnsignedPred>
Value buildCompare(OpBuilder &b, Location loc, ValueRange args,
                   const ScalarTypes &types) {
  if (isa<FloatType>(args[0].getType()))
    return arith::CmpFOp::create(b, loc, FloatPred, args[0], args[1]);
  return arith::CmpIOp::create(
      b, loc, isUnsignedLike(types.operands[0]) ? UnsignedPred : SignedPred,
      args[0], args[1]);
}

/// maximumf/minimumf propagate NaN, as ONNX Max/Min do.
template <typename FloatOp, typename SignedOp, typename UnsignedOp>
Value buildVariadic(OpBuilder &b, Location loc, ValueRange args,
                    const ScalarTypes &types) {
  Value result = args[0];
  for (Value arg : args.drop_front()) {
    if (isa<FloatType>(arg.getType()))
      result = FloatOp::create(b, loc, result, arg);
    else if (types.operands[0].isUnsignedInteger())
      result = UnsignedOp::create(b, loc, result, arg);
    else
      result = SignedOp::create(b, loc, result, arg);
  }
  return result;
}

Value buildReciprocal(OpBuilder &b, Location loc, ValueRange args,
                      const ScalarTypes &) {
  Value one = createFloatConstant(b, loc, args[0].getType(), 1.0);
  return arith::DivFOp::create(b, loc, one, args[0]);
}

Value buildNeg(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &) {
  if (isa<FloatType>(args[0].getType()))
    return arith::NegFOp::create(b, loc, args[0]);
  Value zero = createIntConstant(b, loc, args[0].getType(), 0);
  return arith::SubIOp::create(b, loc, zero, args[0]);
}

/// Integer Erf is computed in f32 and truncated back, like a Cast pair.
Value buildErf(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &types) {
  if (isa<FloatType>(args[0].getType()))
    return math::ErfOp::create(b, loc, args[0]);
  Type f32 = b.getF32Type();
  Value x = castScalar(b, loc, args[0], types.operands[0], f32);
  return castScalar(b, loc, math::ErfOp::create(b, loc, x), f32,
                    types.result);
}

Value buildSigmoid(OpBuilder &b, Location loc, ValueRange args,
                   const ScalarTypes &) {
  Type type = args[0].getType();
  Value one = createFloatConstant(b, loc, type, 1.0);
  Value negated = arith::NegFOp::create(b, loc, args[0]);
  Value denominator = arith::AddFOp::create(
      b, loc, one, math::ExpOp::create(b, loc, negated));
  return arith::DivFOp::create(b, loc, one, denominator);
}

Value buildRelu(OpBuilder &b, Location loc, ValueRange args,
                const ScalarTypes &) {
  Type type = args[0].getType();
  if (isa<FloatType>(type))
    return arith::MaximumFOp::create(
        b, loc, args[0], createFloatConstant(b, loc, type, 0.0));
  return arith::MaxSIOp::create(b, loc, args[0],
                                createIntConstant(b, loc, type, 0));
}

Value buildAbs(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &types) {
  if (isa<FloatType>(args[0].getType()))
    return math::AbsFOp::create(b, loc, args[0]);
  if (types.operands[0].isUnsignedInteger())
    return args[0];
  return math::AbsIOp::create(b, loc, args[0]);
}

/// Unordered with itself: only a NaN is.
Value buildIsNaN(OpBuilder &b, Location loc, ValueRange args,
                 const ScalarTypes &) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, args[0],
                               args[0]);
}

Value buildNot(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &) {
  Value one = createIntConstant(b, loc, args[0].getType(), 1);
  return arith::XOrIOp::create(b, loc, args[0], one);
}

/// Integer division truncates toward zero (divsi), as ONNX specifies.
Value buildDiv(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &types) {
  if (isa<FloatType>(args[0].getType()))
    return arith::DivFOp::create(b, loc, args[0], args[1]);
  if (types.operands[0].isUnsignedInteger())
    return arith::DivUIOp::create(b, loc, args[0], args[1]);
  return arith::DivSIOp::create(b, loc, args[0], args[1]);
}

/// The result has the base's type. A float exponent with an integer base is
/// evaluated in the exponent's float type and truncated back.
Value buildPow(OpBuilder &b, Location loc, ValueRange args,
               const ScalarTypes &types) {
  Value base = args[0], exponent = args[1];
  Type baseType = types.operands[0], exponentType = types.operands[1];
  if (auto baseFloat = dyn_cast<FloatType>(base.getType())) {
    if (isa<FloatType>(exponent.getType()))
      return math::PowFOp::create(b, loc, base,
                                  resizeFloat(b, loc, exponent, baseFloat));
    // An integer exponent goes through powf: LLVM's powi takes only 32-bit
    // exponents, and pow handles negative bases with integral exponents.
    Value floatExponent =
        isUnsignedLike(exponentType)
            ? Value(arith::UIToFPOp::create(b, loc, baseFloat, exponent))
            : Value(arith::SIToFPOp::create(b, loc, baseFloat, exponent));
    return math::PowFOp::create(b, loc, base, floatExponent);
  }
  if (isa<FloatType>(exponent.getType())) {
    Value floatBase = castScalar(b, loc, base, baseType, exponent.getType());
    Value power = math::PowFOp::create(b, loc, floatBase, exponent);
    return castScalar(b, loc, power, exponent.getType(), baseType);
  }
  exponent = resizeInt(b, loc, exponent, base.getType(),
                       isUnsignedLike(exponentType));
  return math::IPowIOp::create(b, loc, base, exponent);
}

Value buildWhere(OpBuilder &b, Location loc, ValueRange args,
                 const ScalarTypes &) {
  return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
}

/// Narrow floats (float8, float4) have no arith conversions to build on.
bool isCastableType(Type type) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return floatType.getWidth() >= 16;
  return isa<IntegerType>(type);
}

struct CastLowering : OpConversionPattern<ONNX::CastOp> {
  CastLowering(const TypeConverter &converter, MLIRContext *context,
               ONNX::SymbolicShapeAnalysis &shapes)
      : OpConversionPattern(converter, context), shapes(shapes) {}

  LogicalResult
  matchAndRewrite(ONNX::CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    if (!resultType || !isa<RankedTensorType>(op.getInput().getType()))
      return rewriter.notifyMatchFailure(op, "operand or result not ranked");
    Type from = getElementTypeOrSelf(op.getInput().getType());
    Type to = getElementTypeOrSelf(op.getType());
    if (!isCastableType(from) || !isCastableType(to))
      return rewriter.notifyMatchFailure(
          op, "only integer and 16/32/64-bit float casts are supported "
              "(float8/float4 have no arith conversions)");
    if (toSignless(from) == toSignless(to)) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    Value result = buildBroadcastGeneric(
        rewriter, op.getLoc(), op, resultType, adaptor.getInput(), shapes,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return castScalar(b, loc, args[0], from, to);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  ONNX::SymbolicShapeAnalysis &shapes;
};

/// Constants keep their storage: unsigned values are reinterpreted as
/// signless of the same width, and resources stay resources.
struct ConstantLowering : OpConversionPattern<ONNX::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ONNX::ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    if (!type)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Attribute value = op.getValue();
    if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
      if (dense.getType() != type)
        value = dense.bitcast(type.getElementType());
    } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
      value = DenseResourceElementsAttr::get(type, resource.getRawHandle());
    } else {
      return rewriter.notifyMatchFailure(
          op, "value is neither dense elements nor a dense resource");
    }
    if (cast<TypedAttr>(value).getType() != type)
      return rewriter.notifyMatchFailure(op, "value shape differs from type");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type,
                                                   cast<TypedAttr>(value));
    return success();
  }
};

} // namespace

void xf::populateONNXToLinalgTypeConversions(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion([](IntegerType type) { return toSignless(type); });
  converter.addConversion([](RankedTensorType type) -> Type {
    return type.clone(toSignless(type.getElementType()));
  });
  converter.addConversion([](UnrankedTensorType type) -> Type {
    return UnrankedTensorType::get(toSignless(type.getElementType()));
  });
}

void xf::populateONNXElementwiseToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns,
    ONNX::SymbolicShapeAnalysis &shapes) {
  MLIRContext *context = patterns.getContext();
  using CmpF = arith::CmpFPredicate;
  using CmpI = arith::CmpIPredicate;
  patterns.add<ElementwiseLowering<ONNX::SqrtOp>>(
      converter, context, shapes, buildFloatUnary<math::SqrtOp>);
  patterns.add<ElementwiseLowering<ONNX::ReciprocalOp>>(
      converter, context, shapes, buildReciprocal);
  patterns.add<ElementwiseLowering<ONNX::NegOp>>(converter, context, shapes,
                                                 buildNeg);
  patterns.add<ElementwiseLowering<ONNX::ExpOp>>(converter, context, shapes,
                                                 buildFloatUnary<math::ExpOp>);
  patterns.add<ElementwiseLowering<ONNX::LogOp>>(converter, context, shapes,
                                                 buildFloatUnary<math::LogOp>);
  patterns.add<ElementwiseLowering<ONNX::ErfOp>>(converter, context, shapes,
                                                 buildErf);
  patterns.add<ElementwiseLowering<ONNX::TanhOp>>(
      converter, context, shapes, buildFloatUnary<math::TanhOp>);
  patterns.add<ElementwiseLowering<ONNX::SigmoidOp>>(converter, context, shapes,
                                                     buildSigmoid);
  patterns.add<ElementwiseLowering<ONNX::ReluOp>>(converter, context, shapes,
                                                  buildRelu);
  patterns.add<ElementwiseLowering<ONNX::AbsOp>>(converter, context, shapes,
                                                 buildAbs);
  patterns.add<ElementwiseLowering<ONNX::SinOp>>(converter, context, shapes,
                                                 buildFloatUnary<math::SinOp>);
  patterns.add<ElementwiseLowering<ONNX::CosOp>>(converter, context, shapes,
                                                 buildFloatUnary<math::CosOp>);
  patterns.add<ElementwiseLowering<ONNX::NotOp>>(converter, context, shapes,
                                                 buildNot);
  patterns.add<ElementwiseLowering<ONNX::IsNaNOp>>(converter, context, shapes,
                                                   buildIsNaN);
  patterns.add<ElementwiseLowering<ONNX::AddOp>>(
      converter, context, shapes,
      buildArithmetic<arith::AddFOp, arith::AddIOp>);
  patterns.add<ElementwiseLowering<ONNX::SubOp>>(
      converter, context, shapes,
      buildArithmetic<arith::SubFOp, arith::SubIOp>);
  patterns.add<ElementwiseLowering<ONNX::MulOp>>(
      converter, context, shapes,
      buildArithmetic<arith::MulFOp, arith::MulIOp>);
  patterns.add<ElementwiseLowering<ONNX::DivOp>>(converter, context, shapes,
                                                 buildDiv);
  patterns.add<ElementwiseLowering<ONNX::PowOp>>(converter, context, shapes,
                                                 buildPow);
  patterns.add<ElementwiseLowering<ONNX::AndOp>>(converter, context, shapes,
                                                 buildBitwise<arith::AndIOp>);
  patterns.add<ElementwiseLowering<ONNX::OrOp>>(converter, context, shapes,
                                                buildBitwise<arith::OrIOp>);
  patterns.add<ElementwiseLowering<ONNX::EqualOp>>(
      converter, context, shapes, buildCompare<CmpF::OEQ, CmpI::eq, CmpI::eq>);
  patterns.add<ElementwiseLowering<ONNX::LessOp>>(
      converter, context, shapes,
      buildCompare<CmpF::OLT, CmpI::slt, CmpI::ult>);
  patterns.add<ElementwiseLowering<ONNX::LessOrEqualOp>>(
      converter, context, shapes,
      buildCompare<CmpF::OLE, CmpI::sle, CmpI::ule>);
  patterns.add<ElementwiseLowering<ONNX::GreaterOp>>(
      converter, context, shapes,
      buildCompare<CmpF::OGT, CmpI::sgt, CmpI::ugt>);
  patterns.add<ElementwiseLowering<ONNX::GreaterOrEqualOp>>(
      converter, context, shapes,
      buildCompare<CmpF::OGE, CmpI::sge, CmpI::uge>);
  patterns.add<ElementwiseLowering<ONNX::MaxOp>>(
      converter, context, shapes,
      buildVariadic<arith::MaximumFOp, arith::MaxSIOp, arith::MaxUIOp>);
  patterns.add<ElementwiseLowering<ONNX::MinOp>>(
      converter, context, shapes,
      buildVariadic<arith::MinimumFOp, arith::MinSIOp, arith::MinUIOp>);
  patterns.add<ElementwiseLowering<ONNX::WhereOp>>(converter, context, shapes,
                                                   buildWhere);
  patterns.add<CastLowering>(converter, context, shapes);
  patterns.add<ConstantLowering>(converter, context);
}
