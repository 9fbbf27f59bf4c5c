//===- LowerAttention.cpp - xf.attention -> tiled online-softmax loops ----===//
//
// Flash attention on tensors. For every (batch, query head, query tile) of
// an scf.forall, an scf.for over key/value tiles carries the running row
// maximum m, the running row sum l and the unnormalized output tile acc:
//
//   S     = scale * Q_tile K_tile^T + mask_tile     (-inf above the diagonal)
//   m'    = max(m, rowmax(S))
//   P     = exp(S - m')
//   alpha = exp(m - m')
//   l'    = alpha * l + rowsum(P)
//   acc'  = alpha * acc + P V_tile
//
// and the tile's output is acc / l. No [Sq, Skv] buffer exists: the largest
// intermediate is one [query tile, kv tile] score block. With `causal`, the
// kv loop stops at the last key the tile's last query sees, so tiles above
// the diagonal are never visited, and the diagonal tile is masked per
// element. The two contractions per step keep plain multiply-add bodies, so
// the CPU pipeline turns them into calls of the runtime's matmul kernel.
//
// xf.paged_attention runs the same step over the blocks of a paged KV pool:
// the key loop takes one block per step, its id read from the block table,
// and the K/V tiles are views of the pool at that block (nothing gathered).
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/Utils/ShapeChecks.h"
#include "dialects/XF/IR/XFOps.h"
#include "xf/Kernels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <array>
#include <limits>

namespace xf {
#define GEN_PASS_DEF_LOWERATTENTIONPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {

using utils::IteratorType;
constexpr IteratorType kParallel = IteratorType::parallel;
constexpr IteratorType kReduction = IteratorType::reduction;

/// Builders for the small linalg ops of one step, on tiles of the compute
/// type.
struct TileBuilder {
  OpBuilder &b;
  Location loc;
  Type elementType;

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value constant(double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(elementType, v));
  }
  Value empty(ArrayRef<OpFoldResult> sizes) {
    return tensor::EmptyOp::create(b, loc, sizes, elementType);
  }
  Value filled(ArrayRef<OpFoldResult> sizes, double value) {
    return linalg::FillOp::create(b, loc, constant(value), empty(sizes))
        .getResult(0);
  }
  AffineMap map(unsigned dims, ArrayRef<AffineExpr> results) {
    return AffineMap::get(dims, 0, results, b.getContext());
  }
  AffineExpr d(unsigned i) { return b.getAffineDimExpr(i); }
  /// `v` in the compute type (f16/bf16 tiles are read into f32).
  Value extend(OpBuilder &nb, Location l, Value v) {
    if (v.getType() == elementType)
      return v;
    return arith::ExtFOp::create(nb, l, elementType, v);
  }

  /// C[i, j] (+)= sum_k A[i, k] * B(k, j) with B given by `bMap` over
  /// (i, j, k); a plain multiply-add body, which the CPU pipeline turns into
  /// a matmul kernel call, or with `fused` a math.fma body, which stays a
  /// loop nest (xf-contiguous-inner-loop puts j innermost, contiguous in B
  /// and C): cheaper than a kernel call for the tiny products of a decode
  /// step.
  Value contract(Value a, Value bOperand, AffineMap bMap, Value init,
                 bool fused = false) {
    SmallVector<AffineMap> maps = {map(3, {d(0), d(2)}), bMap,
                                   map(3, {d(0), d(1)})};
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{a, bOperand}, init, maps,
               ArrayRef<IteratorType>{kParallel, kParallel, kReduction},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value lhs = extend(nb, l, args[0]);
                 Value rhs = extend(nb, l, args[1]);
                 if (fused) {
                   linalg::YieldOp::create(
                       nb, l,
                       math::FmaOp::create(nb, l, lhs, rhs, args[2])
                           .getResult());
                   return;
                 }
                 Value p = arith::MulFOp::create(nb, l, lhs, rhs);
                 linalg::YieldOp::create(nb, l,
                                         arith::AddFOp::create(nb, l, args[2], p)
                                             .getResult());
               })
        .getResult(0);
  }
};

/// A 2-D tile of a 4-D operand: the two leading unit dimensions dropped.
Value tile2D(OpBuilder &b, Location loc, Value source,
             ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  OpFoldResult unit = b.getIndexAttr(1);
  auto type = tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(
      2, cast<RankedTensorType>(source.getType()), sizes);
  return tensor::ExtractSliceOp::create(
      b, loc, type, source, offsets, sizes,
      ArrayRef<OpFoldResult>{unit, unit, unit, unit});
}

/// -inf in `type`.
Value minusInfinity(OpBuilder &b, Location loc, Type type) {
  return arith::ConstantOp::create(
      b, loc, b.getFloatAttr(type, -std::numeric_limits<double>::infinity()));
}

/// exp(x - max) that is 0 where the max is -inf (a row that has seen no
/// visible key yet).
Value shiftedExp(OpBuilder &b, Location loc, Value x, Value max) {
  Type type = x.getType();
  Value none = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, max,
                                     minusInfinity(b, loc, type));
  Value e = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, x, max));
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.0));
  return arith::SelectOp::create(b, loc, none, zero, e);
}

/// softcap * tanh(s / softcap): Gemma 2's cap on the scaled scores.
Value applySoftcap(OpBuilder &b, Location loc, Value s, double softcap) {
  Type type = s.getType();
  Value cap = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, softcap));
  Value inverse =
      arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 1.0 / softcap));
  Value t = math::TanhOp::create(b, loc,
                                 arith::MulFOp::create(b, loc, s, inverse));
  return arith::MulFOp::create(b, loc, t, cap);
}

/// Whether key `col` is hidden from the query at position `row`: past the
/// diagonal with `causal`, or `window` or more positions behind it.
Value isHidden(OpBuilder &b, Location loc, Value row, Value col, bool causal,
               std::optional<int64_t> window) {
  Value hidden;
  if (causal)
    hidden = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, col, row);
  if (window) {
    // row - col >= window  <=>  col <= row - window
    Value edge = arith::SubIOp::create(
        b, loc, row, arith::ConstantIndexOp::create(b, loc, *window));
    Value behind =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, col, edge);
    hidden = hidden ? arith::OrIOp::create(b, loc, hidden, behind).getResult()
                    : behind;
  }
  return hidden;
}

/// The first key a tile of queries whose first row sits at `firstRow` can
/// see: 0, or firstRow - window + 1 with a window (never negative).
Value firstVisibleKey(OpBuilder &b, Location loc, Value firstRow,
                      std::optional<int64_t> window) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  if (!window)
    return zero;
  Value start = arith::SubIOp::create(
      b, loc, firstRow, arith::ConstantIndexOp::create(b, loc, *window - 1));
  return arith::MaxSIOp::create(b, loc, start, zero);
}

/// S[i, j] += sum_d Q[i, d] * K[j, d] for a [tq, D] query tile (compute
/// type) and a [tk, D] key tile, into `init` [tq, tk]: scf loops over
/// (i, j) around a 1-D reduction generic over d whose adds may be
/// reassociated, so LLVM vectorizes it along head_dim (contiguous in both
/// tiles) and the index arithmetic stays outside it. A matmul kernel call per block costs more
/// than the product itself at decode sizes, and a 3-D contraction generic
/// would be interchanged (xf-contiguous-inner-loop) to run along the keys,
/// strided by D.
Value buildDotProducts(OpBuilder &b, Location loc, Type elementType,
                       Value query, Value key, Value init, Value tq, Value tk,
                       OpFoldResult headDim) {
  TileBuilder t{b, loc, elementType};
  Value zero = t.index(0), one = t.index(1);
  auto flags = arith::FastMathFlagsAttr::get(
      b.getContext(),
      arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  OpFoldResult unit = b.getIndexAttr(1), origin = b.getIndexAttr(0);
  auto row = [&](OpBuilder &rb, Location rl, Value tile, Value r) -> Value {
    auto type = tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(
        1, cast<RankedTensorType>(tile.getType()), {unit, headDim});
    return tensor::ExtractSliceOp::create(
        rb, rl, type, tile, ArrayRef<OpFoldResult>{r, origin},
        ArrayRef<OpFoldResult>{unit, headDim},
        ArrayRef<OpFoldResult>{unit, unit});
  };
  auto rows = scf::ForOp::create(
      b, loc, zero, tq, one, ValueRange{init},
      [&](OpBuilder &rb, Location rl, Value i, ValueRange rowArgs) {
        Value queryRow = row(rb, rl, query, i);
        auto cols = scf::ForOp::create(
            rb, rl, zero, tk, one, rowArgs,
            [&](OpBuilder &cb, Location cl, Value j, ValueRange colArgs) {
              TileBuilder ct{cb, cl, elementType};
              auto cellType = RankedTensorType::get({}, elementType);
              SmallVector<OpFoldResult> cellOffsets = {i, j};
              SmallVector<OpFoldResult> cellSizes = {unit, unit};
              Value cell = tensor::ExtractSliceOp::create(
                  cb, cl, cellType, colArgs[0], cellOffsets, cellSizes,
                  cellSizes);
              Value dot =
                  linalg::GenericOp::create(
                      cb, cl, cellType,
                      ValueRange{queryRow, row(cb, cl, key, j)},
                      ValueRange{cell},
                      ArrayRef<AffineMap>{ct.map(1, {ct.d(0)}),
                                          ct.map(1, {ct.d(0)}),
                                          ct.map(1, {})},
                      ArrayRef<IteratorType>{kReduction},
                      [&](OpBuilder &nb, Location nl, ValueRange args) {
                        Value p = arith::MulFOp::create(
                            nb, nl, args[0], ct.extend(nb, nl, args[1]),
                            flags);
                        linalg::YieldOp::create(
                            nb, nl,
                            arith::AddFOp::create(nb, nl, args[2], p, flags)
                                .getResult());
                      })
                      .getResult(0);
              scf::YieldOp::create(
                  cb, cl,
                  tensor::InsertSliceOp::create(cb, cl, dot, colArgs[0],
                                                cellOffsets, cellSizes,
                                                cellSizes)
                      .getResult());
            });
        scf::YieldOp::create(rb, rl, cols.getResults());
      });
  return rows.getResult(0);
}

/// One online-softmax step over a key tile: from the tile's final scores
/// [tq, tk] (scaled and masked, -inf where hidden) and its values [tk, Dv],
/// the carried (m [tq], l [tq], acc [tq, Dv]) become
///   m' = max(m, rowmax S), P = exp(S - m'), alpha = exp(m - m'),
///   l' = alpha l + rowsum P, acc' = alpha acc + P V.
/// Each carried value is updated in place (its new value is written over it
/// once nothing else reads the old one), so bufferization keeps one buffer
/// per value for the loop. P V is a plain contraction (a matmul kernel call
/// in the CPU pipeline), or, where `useKernel` is given and false at run
/// time, an fma loop nest (see TileBuilder::contract).
SmallVector<Value> buildOnlineSoftmaxStep(OpBuilder &b, Location loc,
                                          Type elementType, Value scores,
                                          Value valueTile, ValueRange carried,
                                          Value useKernel) {
  TileBuilder t{b, loc, elementType};
  Value m = carried[0], lSum = carried[1], acc = carried[2];
  OpFoldResult tq = tensor::getMixedSize(b, loc, scores, 0);
  OpFoldResult tk = tensor::getMixedSize(b, loc, scores, 1);
  AffineMap rowsOf2 = t.map(2, {t.d(0)});
  AffineMap all2 = t.map(2, {t.d(0), t.d(1)});
  AffineMap rows1 = t.map(1, {t.d(0)});
  auto scaleInPlace = [&](Value factor, Value target, AffineMap factorMap,
                          AffineMap targetMap,
                          ArrayRef<IteratorType> iterators) {
    return linalg::GenericOp::create(
               b, loc, target.getType(), ValueRange{factor},
               ValueRange{target}, ArrayRef<AffineMap>{factorMap, targetMap},
               iterators,
               [](OpBuilder &nb, Location nl, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, nl,
                     arith::MulFOp::create(nb, nl, args[1], args[0])
                         .getResult());
               })
        .getResult(0);
  };
  // The tile's row maximum, then alpha = exp(m - max(m, rowmax)). The
  // reduction starts from the lowest finite value rather than -inf: a fill
  // of -inf would be the same op as the loop's initial m, CSE would merge
  // them, and bufferization would then copy m's buffer on every step. A row
  // with no visible key so far gets a finite maximum, which changes nothing:
  // its exponentials and alpha are still exp(-inf) = 0.
  Value rowMax =
      linalg::GenericOp::create(
          b, loc, m.getType(), ValueRange{scores},
          ValueRange{t.filled({tq}, std::numeric_limits<float>::lowest())},
          ArrayRef<AffineMap>{all2, rowsOf2},
          ArrayRef<IteratorType>{kParallel, kReduction},
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                arith::MaximumFOp::create(nb, nl, args[0], args[1])
                    .getResult());
          })
          .getResult(0);
  Value alpha =
      linalg::GenericOp::create(
          b, loc, m.getType(), ValueRange{m, rowMax}, ValueRange{t.empty({tq})},
          ArrayRef<AffineMap>{rows1, rows1, rows1},
          ArrayRef<IteratorType>{kParallel},
          [](OpBuilder &nb, Location nl, ValueRange args) {
            Value newMax = arith::MaximumFOp::create(nb, nl, args[0], args[1]);
            linalg::YieldOp::create(nb, nl,
                                    shiftedExp(nb, nl, args[0], newMax));
          })
          .getResult(0);
  // m' = max(m, rowmax), over m.
  Value mNew =
      linalg::GenericOp::create(
          b, loc, m.getType(), ValueRange{rowMax}, ValueRange{m},
          ArrayRef<AffineMap>{rows1, rows1}, ArrayRef<IteratorType>{kParallel},
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                arith::MaximumFOp::create(nb, nl, args[1], args[0])
                    .getResult());
          })
          .getResult(0);
  Value probabilities =
      linalg::GenericOp::create(
          b, loc, scores.getType(), ValueRange{scores, mNew},
          ValueRange{t.empty({tq, tk})},
          ArrayRef<AffineMap>{all2, rowsOf2, all2},
          ArrayRef<IteratorType>{kParallel, kParallel},
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl,
                                    shiftedExp(nb, nl, args[0], args[1]));
          })
          .getResult(0);
  // l' = alpha * l + rowsum(P), over l.
  Value lScaled = scaleInPlace(alpha, lSum, rows1, rows1, {kParallel});
  Value lNew =
      linalg::GenericOp::create(
          b, loc, lSum.getType(), ValueRange{probabilities},
          ValueRange{lScaled}, ArrayRef<AffineMap>{all2, rowsOf2},
          ArrayRef<IteratorType>{kParallel, kReduction},
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                arith::AddFOp::create(nb, nl, args[1], args[0]).getResult());
          })
          .getResult(0);
  // acc' = alpha * acc + P V, over acc.
  Value accScaled =
      scaleInPlace(alpha, acc, rowsOf2, all2, {kParallel, kParallel});
  AffineMap valueMap = t.map(3, {t.d(2), t.d(1)});
  Value accNew;
  if (!useKernel) {
    accNew = t.contract(probabilities, valueTile, valueMap, accScaled);
  } else {
    auto product = scf::IfOp::create(b, loc, TypeRange{accScaled.getType()},
                                     useKernel, /*addThenBlock=*/true,
                                     /*addElseBlock=*/true);
    for (bool fused : {false, true}) {
      OpBuilder branch = fused ? product.getElseBodyBuilder()
                               : product.getThenBodyBuilder();
      TileBuilder bt{branch, loc, elementType};
      scf::YieldOp::create(branch, loc,
                           bt.contract(probabilities, valueTile, valueMap,
                                       accScaled, fused));
    }
    accNew = product.getResult(0);
  }
  return {mNew, lNew, accNew};
}

/// The output tile acc / l in the storage type; a row that saw no key is
/// zero, and so is every row at a negative position `firstRow + i` when
/// `firstRow` is given (a left-padding query of paged attention).
Value buildNormalizedTile(OpBuilder &b, Location loc, Type elementType,
                          Type storageType, Value acc, Value lSum, Value tq,
                          OpFoldResult valueDim, Value firstRow) {
  TileBuilder t{b, loc, elementType};
  AffineMap rowsOf2 = t.map(2, {t.d(0)});
  AffineMap all2 = t.map(2, {t.d(0), t.d(1)});
  Value outTile = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{tq, valueDim}, storageType);
  return linalg::GenericOp::create(
             b, loc, outTile.getType(), ValueRange{acc, lSum},
             ValueRange{outTile}, ArrayRef<AffineMap>{all2, rowsOf2, all2},
             ArrayRef<IteratorType>{kParallel, kParallel},
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value zeroF = arith::ConstantOp::create(
                   nb, nl, nb.getFloatAttr(elementType, 0.0));
               Value empty = arith::CmpFOp::create(
                   nb, nl, arith::CmpFPredicate::OEQ, args[1], zeroF);
               if (firstRow) {
                 Value row = arith::AddIOp::create(
                     nb, nl, firstRow, linalg::IndexOp::create(nb, nl, 0));
                 Value padding = arith::CmpIOp::create(
                     nb, nl, arith::CmpIPredicate::slt, row,
                     arith::ConstantIndexOp::create(nb, nl, 0));
                 empty = arith::OrIOp::create(nb, nl, empty, padding);
               }
               Value q = arith::DivFOp::create(nb, nl, args[0], args[1]);
               Value result = arith::SelectOp::create(nb, nl, empty, zeroF, q);
               if (storageType != elementType)
                 result = arith::TruncFOp::create(nb, nl, storageType, result);
               linalg::YieldOp::create(nb, nl, result);
             })
      .getResult(0);
}

struct AttentionLowering : OpRewritePattern<xf::XF::AttentionOp> {
  AttentionLowering(MLIRContext *context,
                    const xf::AttentionShapeFactsMap &factsMap,
                    int64_t queryTile, int64_t kvTile)
      : OpRewritePattern(context), factsMap(factsMap), queryTile(queryTile),
        kvTile(kvTile) {}

  LogicalResult matchAndRewrite(xf::XF::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    auto queryType = cast<RankedTensorType>(op.getQuery().getType());
    // f32 and f64 are computed in their own type; narrower floats are not
    // lowered yet.
    auto storageType = dyn_cast<FloatType>(queryType.getElementType());
    if (!storageType || storageType.getWidth() > 64)
      return rewriter.notifyMatchFailure(op, "not a float attention");
    // Scores, softmax and sums are computed in f32 for narrower floats (as
    // the op promises), in f64 for f64; the output is stored back in the
    // operands' type.
    FloatType elementType = storageType.getWidth() < 32
                                ? FloatType(rewriter.getF32Type())
                                : storageType;
    Location loc = op.getLoc();
    TileBuilder t{rewriter, loc, elementType};
    Value query = op.getQuery(), key = op.getKey(), value = op.getValue();
    Value mask = op.getMask();
    bool causal = op.getCausal();
    std::optional<int64_t> window = op.getWindow();
    std::optional<double> softcap;
    if (std::optional<APFloat> cap = op.getSoftcap())
      softcap = cap->convertToDouble();
    double scale = op.getScale().convertToDouble();

    auto dim = [&](Value v, int64_t i) {
      return tensor::getMixedSize(rewriter, loc, v, i);
    };
    auto dimValue = [&](Value v, int64_t i) {
      return getValueOrCreateConstantIndexOp(rewriter, loc, dim(v, i));
    };
    OpFoldResult batch = dim(query, 0), heads = dim(query, 1);
    Value sq = dimValue(query, 2), skv = dimValue(key, 2);
    OpFoldResult headDim = dim(query, 3), valueDim = dim(value, 3);
    Value group = arith::DivUIOp::create(rewriter, loc, dimValue(query, 1),
                                         dimValue(key, 1));
    Value kvOffset = arith::SubIOp::create(rewriter, loc, skv, sq);
    Value qTile = t.index(queryTile), kTile = t.index(kvTile);
    Value numQTiles = arith::CeilDivUIOp::create(rewriter, loc, sq, qTile);

    // The tiles below index key and value with the query's batch, the
    // key's sequence and the group's head: sizes the op's semantics tie
    // together, checked here where the shape analysis does not prove them.
    xf::AttentionShapeFacts facts;
    if (auto it = factsMap.find(op); it != factsMap.end())
      facts = it->second;
    auto checkEqual = [&](bool proven, Value lhs, int64_t lhsDim, Value rhs,
                          int64_t rhsDim, const Twine &what) {
      if (!proven)
        xf::createDimCheck(rewriter, loc, dimValue(lhs, lhsDim),
                           dimValue(rhs, rhsDim), /*broadcast=*/false,
                           xf::describeOp(op) + ": " + what);
    };
    checkEqual(facts.keyBatch, key, 0, query, 0,
               "the key's batch against the query's");
    checkEqual(facts.valueBatch, value, 0, query, 0,
               "the value's batch against the query's");
    checkEqual(facts.keyHeadSize, key, 3, query, 3,
               "the key's head size against the query's");
    checkEqual(facts.valueSequence, value, 2, key, 2,
               "the value's sequence against the key's");
    checkEqual(facts.valueHeads, value, 1, key, 1,
               "the value's heads against the key's");
    if (!facts.sameHeads &&
        (queryType.isDynamicDim(1) ||
         cast<RankedTensorType>(key.getType()).isDynamicDim(1)))
      xf::createDimCheck(
          rewriter, loc,
          arith::RemUIOp::create(rewriter, loc, dimValue(query, 1),
                                 dimValue(key, 1)),
          t.index(0), /*broadcast=*/false,
          xf::describeOp(op) + ": the query's heads modulo the key's");

    // The mask, made rank 4 by leading unit dimensions (numpy broadcasting
    // aligns on the right).
    auto maskType = mask ? cast<RankedTensorType>(mask.getType())
                         : RankedTensorType();
    if (mask && maskType.getRank() == 0) {
      maskType = RankedTensorType::get({1, 1, 1, 1}, maskType.getElementType());
      mask = tensor::ExpandShapeOp::create(rewriter, loc, maskType, mask,
                                           ArrayRef<ReassociationIndices>{});
    } else if (mask && maskType.getRank() < 4) {
      int64_t missing = 4 - maskType.getRank();
      SmallVector<int64_t> shape(missing, 1);
      llvm::append_range(shape, maskType.getShape());
      SmallVector<ReassociationIndices> groups;
      for (int64_t i = 0; i < maskType.getRank(); ++i)
        groups.push_back({});
      for (int64_t i = 0; i <= missing; ++i)
        groups[0].push_back(i);
      for (int64_t i = 1; i < maskType.getRank(); ++i)
        groups[i].push_back(missing + i);
      maskType = RankedTensorType::get(shape, maskType.getElementType());
      mask = tensor::ExpandShapeOp::create(rewriter, loc, maskType, mask,
                                           groups);
    }
    if (mask && maskType.getElementType() != storageType)
      return rewriter.notifyMatchFailure(op, "the mask's type differs");

    // Each mask dimension is 1 (read at 0) or the size it broadcasts to.
    // One the shape analysis does not prove either is checked; where it is
    // dynamic, a batch or head dimension that turns out 1 is read at 0 by
    // choosing the tile's offset (free: once per tile), and a query or key
    // dimension that does is broadcast into a copy of the mask first, so
    // that the per-element code stays the same.
    std::array<bool, 4> maskUnit = facts.maskUnit;
    std::array<Value, 4> maskIsOne;
    if (mask) {
      Value original = op.getMask();
      int64_t missing =
          4 - cast<RankedTensorType>(original.getType()).getRank();
      std::array<std::pair<Value, int64_t>, 4> targets = {
          std::pair(query, int64_t(0)), std::pair(query, int64_t(1)),
          std::pair(query, int64_t(2)), std::pair(key, int64_t(2))};
      for (int64_t d = 0; d < 4; ++d) {
        // Missing dimensions and static 1s broadcast without facts too.
        maskUnit[d] = maskUnit[d] || d < missing || maskType.getDimSize(d) == 1;
        if (maskUnit[d] || facts.maskProven[d])
          continue;
        int64_t i = d - missing;
        auto [target, targetDim] = targets[d];
        std::string what = xf::describeOp(op) + ": dimension " +
                           std::to_string(i) + " of the mask";
        OpFoldResult targetSize = dim(target, targetDim);
        if (!maskType.isDynamicDim(d)) {
          xf::createDimCheck(
              rewriter, loc, t.index(maskType.getDimSize(d)),
              getValueOrCreateConstantIndexOp(rewriter, loc, targetSize),
              /*broadcast=*/true, what);
        } else if (d < 2) {
          Value size = dimValue(mask, d);
          xf::createDimCheck(
              rewriter, loc, size,
              getValueOrCreateConstantIndexOp(rewriter, loc, targetSize),
              /*broadcast=*/true, what);
          maskIsOne[d] = arith::CmpIOp::create(
              rewriter, loc, arith::CmpIPredicate::eq, size, t.index(1));
        } else {
          mask = xf::materializeRuntimeBroadcast(rewriter, loc, mask,
                                                 {{d, targetSize, what}});
        }
      }
    }

    Value init = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef<OpFoldResult>{batch, heads, dim(query, 2), valueDim},
        storageType);
    SmallVector<OpFoldResult> upper = {
        batch, heads, OpFoldResult(numQTiles)};
    auto forall = scf::ForallOp::create(
        rewriter, loc, upper, ValueRange{init}, std::nullopt,
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          OpBuilder::InsertionGuard guard(b);
          TileBuilder tb{b, l, elementType};
          Value bIdx = ivs[0], hIdx = ivs[1], qt = ivs[2];
          Value out = ivs[3];
          Value i0 = arith::MulIOp::create(b, l, qt, qTile);
          Value tq = arith::MinUIOp::create(
              b, l, qTile, arith::SubIOp::create(b, l, sq, i0));
          Value g = arith::DivUIOp::create(b, l, hIdx, group);
          OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);

          Value qTileValue = tile2D(
              b, l, query,
              {bIdx, hIdx, i0, zero}, {one, one, tq, headDim});

          // Keys visible to the tile: all, or up to the last query's
          // diagonal (a decode step's single query sees every key).
          Value kvEnd = skv;
          if (causal) {
            Value lastVisible = arith::AddIOp::create(
                b, l, arith::AddIOp::create(b, l, i0, tq), kvOffset);
            kvEnd = arith::MinSIOp::create(
                b, l, skv,
                arith::MaxSIOp::create(b, l, lastVisible, tb.index(0)));
          }

          // With a window, keys before the first row's window are never
          // visited.
          Value kvStart = firstVisibleKey(
              b, l, arith::AddIOp::create(b, l, i0, kvOffset), window);

          Value mInit = tb.filled({tq}, -std::numeric_limits<double>::infinity());
          Value lInit = tb.filled({tq}, 0.0);
          Value accInit = tb.filled({tq, valueDim}, 0.0);
          auto kvLoop = scf::ForOp::create(
              b, l, kvStart, kvEnd, kTile,
              ValueRange{mInit, lInit, accInit},
              [&](OpBuilder &fb, Location fl, Value j0, ValueRange carried) {
                TileBuilder ft{fb, fl, elementType};
                Value tk = arith::MinUIOp::create(
                    fb, fl, kTile, arith::SubIOp::create(fb, fl, kvEnd, j0));
                Value kTileValue = tile2D(fb, fl, key, {bIdx, g, j0, zero},
                                         {one, one, tk, headDim});
                Value vTileValue = tile2D(fb, fl, value, {bIdx, g, j0, zero},
                                         {one, one, tk, valueDim});

                // S = Q K^T, then scale, mask and the causal diagonal.
                Value scores = ft.contract(
                    qTileValue, kTileValue, ft.map(3, {ft.d(1), ft.d(2)}),
                    ft.filled({tq, tk}, 0.0));
                SmallVector<Value> inputs = {scores};
                SmallVector<AffineMap> maps = {ft.map(2, {ft.d(0), ft.d(1)})};
                if (mask) {
                  // Broadcast dimensions of the mask are read at index 0.
                  auto bcast = [&](int64_t i) { return maskUnit[i]; };
                  auto offset = [&](int64_t i, Value index) -> OpFoldResult {
                    if (bcast(i))
                      return zero;
                    if (!maskIsOne[i])
                      return index;
                    return arith::SelectOp::create(fb, fl, maskIsOne[i],
                                                   ft.index(0), index)
                        .getResult();
                  };
                  SmallVector<OpFoldResult> offsets = {
                      offset(0, bIdx), offset(1, hIdx), offset(2, i0),
                      offset(3, j0)};
                  SmallVector<OpFoldResult> sizes = {
                      one, one, bcast(2) ? one : OpFoldResult(tq),
                      bcast(3) ? one : OpFoldResult(tk)};
                  Value maskTile = tile2D(fb, fl, mask, offsets, sizes);
                  inputs.push_back(maskTile);
                  maps.push_back(ft.map(
                      2, {bcast(2) ? fb.getAffineConstantExpr(0) : ft.d(0),
                          bcast(3) ? fb.getAffineConstantExpr(0) : ft.d(1)}));
                }
                maps.push_back(ft.map(2, {ft.d(0), ft.d(1)}));
                Value rowBase = arith::AddIOp::create(fb, fl, i0, kvOffset);
                bool hasMask = static_cast<bool>(mask);
                Value masked =
                    linalg::GenericOp::create(
                        fb, fl, scores.getType(), inputs,
                        ValueRange{ft.empty({tq, tk})}, maps,
                        ArrayRef<IteratorType>{kParallel, kParallel},
                        [&](OpBuilder &nb, Location nl, ValueRange args) {
                          Value s = arith::MulFOp::create(
                              nb, nl, args[0],
                              arith::ConstantOp::create(
                                  nb, nl, nb.getFloatAttr(elementType, scale)));
                          if (softcap)
                            s = applySoftcap(nb, nl, s, *softcap);
                          if (hasMask)
                            s = arith::AddFOp::create(
                                nb, nl, s, ft.extend(nb, nl, args[1]));
                          if (causal || window) {
                            Value i = linalg::IndexOp::create(nb, nl, 0);
                            Value j = linalg::IndexOp::create(nb, nl, 1);
                            Value row = arith::AddIOp::create(nb, nl, rowBase, i);
                            Value col = arith::AddIOp::create(nb, nl, j0, j);
                            Value hidden =
                                isHidden(nb, nl, row, col, causal, window);
                            s = arith::SelectOp::create(
                                nb, nl, hidden,
                                minusInfinity(nb, nl, elementType), s);
                          }
                          linalg::YieldOp::create(nb, nl, s);
                        })
                        .getResult(0);

                scf::YieldOp::create(
                    fb, fl,
                    buildOnlineSoftmaxStep(fb, fl, elementType, masked,
                                           vTileValue, carried,
                                           /*useKernel=*/Value()));
              });

          Value normalized = buildNormalizedTile(
              b, l, elementType, storageType, kvLoop.getResult(2),
              kvLoop.getResult(1), tq, valueDim, /*firstRow=*/Value());
          auto inParallel = scf::InParallelOp::create(b, l);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(
              b, l, normalized, out,
              ArrayRef<OpFoldResult>{bIdx, hIdx, i0, zero},
              ArrayRef<OpFoldResult>{one, one, tq, valueDim},
              ArrayRef<OpFoldResult>{one, one, one, one});
        });
    rewriter.replaceOp(op, forall.getResult(0));
    return success();
  }

  const xf::AttentionShapeFactsMap &factsMap;
  int64_t queryTile, kvTile;
};

/// Flash attention against a paged KV pool. The forall over (batch, query
/// head, query tile) is the same; its key loop visits the sequence's blocks,
/// one per step, reading the K and V tiles of block `block_table[b, n]` in
/// place (a [tk, D] view of the pool, contiguous along head_dim). Query row
/// `i` of the tile sits at position `firstRow + i` with
/// `firstRow = context_len - Sq + i0`. The scale is applied to the query tile
/// once, so a block whose keys every row of the tile sees (all blocks of a
/// decode step) takes no elementwise pass over its scores before the
/// softmax; only the blocks that cross the causal diagonal are masked. A
/// tile of more than kFewRowsMatmul queries (prefill) multiplies through
/// plain contractions, matmul kernel calls in the CPU pipeline; a smaller
/// one (decode, a speculative verify step) through loops vectorized along
/// head_dim, since a kernel call per [1, 16] block costs more than its
/// arithmetic (on a 1024-token decode step they made this lowering 3x
/// slower).
///
/// In the loop form each row is computed as it would be alone: the blocks
/// are fixed by position, a dot product is one row against one key, and
/// the keys past a row's diagonal that a longer tile visits add exact
/// zeros (exp(-inf) = 0, alpha = exp(0) = 1) after its own keys, in order.
/// So up to kFewRowsMatmul rows get the bits of single decode steps.
struct PagedAttentionLowering : OpRewritePattern<xf::XF::PagedAttentionOp> {
  PagedAttentionLowering(MLIRContext *context, int64_t queryTile)
      : OpRewritePattern(context), queryTile(queryTile) {}

  LogicalResult matchAndRewrite(xf::XF::PagedAttentionOp op,
                                PatternRewriter &rewriter) const override {
    auto queryType = cast<RankedTensorType>(op.getQuery().getType());
    auto storageType = dyn_cast<FloatType>(queryType.getElementType());
    if (!storageType || storageType.getWidth() > 64)
      return rewriter.notifyMatchFailure(op, "not a float attention");
    FloatType elementType = storageType.getWidth() < 32
                                ? FloatType(rewriter.getF32Type())
                                : storageType;
    Location loc = op.getLoc();
    TileBuilder t{rewriter, loc, elementType};
    Value query = op.getQuery(), keyPool = op.getKeyPool(),
          valuePool = op.getValuePool();
    Value blockTable = op.getBlockTable(), contextLens = op.getContextLens();
    bool causal = op.getCausal();
    std::optional<int64_t> window = op.getWindow();
    std::optional<double> softcap;
    if (std::optional<APFloat> cap = op.getSoftcap())
      softcap = cap->convertToDouble();
    double scale = op.getScale().convertToDouble();

    auto dim = [&](Value v, int64_t i) {
      return tensor::getMixedSize(rewriter, loc, v, i);
    };
    auto dimValue = [&](Value v, int64_t i) {
      return getValueOrCreateConstantIndexOp(rewriter, loc, dim(v, i));
    };
    OpFoldResult batch = dim(query, 0), heads = dim(query, 1);
    Value sq = dimValue(query, 2), blockSize = dimValue(keyPool, 2);
    OpFoldResult headDim = dim(query, 3), valueDim = dim(valuePool, 3);
    Value group = arith::DivUIOp::create(rewriter, loc, dimValue(query, 1),
                                         dimValue(keyPool, 1));
    Value qTile = t.index(queryTile);
    Value numQTiles = arith::CeilDivUIOp::create(rewriter, loc, sq, qTile);

    Value init = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef<OpFoldResult>{batch, heads, dim(query, 2), valueDim},
        storageType);
    SmallVector<OpFoldResult> upper = {batch, heads, OpFoldResult(numQTiles)};
    auto forall = scf::ForallOp::create(
        rewriter, loc, upper, ValueRange{init}, std::nullopt,
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          OpBuilder::InsertionGuard guard(b);
          TileBuilder tb{b, l, elementType};
          Value bIdx = ivs[0], hIdx = ivs[1], qt = ivs[2];
          Value out = ivs[3];
          Value i0 = arith::MulIOp::create(b, l, qt, qTile);
          Value tq = arith::MinUIOp::create(
              b, l, qTile, arith::SubIOp::create(b, l, sq, i0));
          Value g = arith::DivUIOp::create(b, l, hIdx, group);
          OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
          auto toIndex = [&](OpBuilder &ib, Location il, Value v) -> Value {
            return arith::IndexCastOp::create(ib, il, ib.getIndexType(), v);
          };
          Value contextLen = toIndex(
              b, l, tensor::ExtractOp::create(b, l, contextLens, bIdx));
          Value firstRow = arith::AddIOp::create(
              b, l, arith::SubIOp::create(b, l, contextLen, sq), i0);

          // The query tile, scaled, in the compute type.
          Value qTileValue = tile2D(b, l, query, {bIdx, hIdx, i0, zero},
                                    {one, one, tq, headDim});
          AffineMap all2 = tb.map(2, {tb.d(0), tb.d(1)});
          Value qScaled =
              linalg::GenericOp::create(
                  b, l, RankedTensorType::get(
                            cast<RankedTensorType>(qTileValue.getType())
                                .getShape(),
                            elementType),
                  ValueRange{qTileValue}, ValueRange{tb.empty({tq, headDim})},
                  ArrayRef<AffineMap>{all2, all2},
                  ArrayRef<IteratorType>{kParallel, kParallel},
                  [&](OpBuilder &nb, Location nl, ValueRange args) {
                    Value scaleValue = arith::ConstantOp::create(
                        nb, nl, nb.getFloatAttr(elementType, scale));
                    linalg::YieldOp::create(
                        nb, nl,
                        arith::MulFOp::create(nb, nl,
                                              tb.extend(nb, nl, args[0]),
                                              scaleValue)
                            .getResult());
                  })
                  .getResult(0);

          // Keys visible to the tile: the whole context, or up to the last
          // row's position with `causal` (none for a tile of padding rows).
          Value kvEnd = arith::MaxSIOp::create(b, l, contextLen, tb.index(0));
          if (causal) {
            Value lastVisible = arith::AddIOp::create(b, l, firstRow, tq);
            kvEnd = arith::MinSIOp::create(
                b, l, kvEnd,
                arith::MaxSIOp::create(b, l, lastVisible, tb.index(0)));
          }
          Value numBlocks =
              arith::CeilDivUIOp::create(b, l, kvEnd, blockSize);
          // With a window, blocks wholly before the first row's window are
          // never read (the loop starts past them). The last row's window
          // starts latest: blocks before that edge are masked per key.
          Value firstBlock = arith::DivUIOp::create(
              b, l, firstVisibleKey(b, l, firstRow, window), blockSize);
          Value lastRowWindowStart;
          if (window)
            lastRowWindowStart = arith::SubIOp::create(
                b, l,
                arith::AddIOp::create(
                    b, l, firstRow,
                    arith::SubIOp::create(b, l, tq, tb.index(1))),
                tb.index(*window - 1));
          // Tiles of many queries (prefill) multiply through the matmul
          // kernel; a few (decode, verify) through loops, cheaper than a
          // kernel call at that size and the same for every row.
          Value useKernel = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::ugt, tq,
              tb.index(xf::kFewRowsMatmul));

          Value mInit =
              tb.filled({tq}, -std::numeric_limits<double>::infinity());
          Value lInit = tb.filled({tq}, 0.0);
          Value accInit = tb.filled({tq, valueDim}, 0.0);
          auto blockLoop = scf::ForOp::create(
              b, l, firstBlock, numBlocks, tb.index(1),
              ValueRange{mInit, lInit, accInit},
              [&](OpBuilder &fb, Location fl, Value n, ValueRange carried) {
                TileBuilder ft{fb, fl, elementType};
                Value j0 = arith::MulIOp::create(fb, fl, n, blockSize);
                Value tk = arith::MinUIOp::create(
                    fb, fl, blockSize,
                    arith::SubIOp::create(fb, fl, kvEnd, j0));
                Value block = toIndex(
                    fb, fl,
                    tensor::ExtractOp::create(fb, fl, blockTable,
                                              ValueRange{bIdx, n}));
                Value kTileValue = tile2D(fb, fl, keyPool,
                                          {block, g, zero, zero},
                                          {one, one, tk, headDim});
                Value vTileValue = tile2D(fb, fl, valuePool,
                                          {block, g, zero, zero},
                                          {one, one, tk, valueDim});
                Value scoresInit = ft.filled({tq, tk}, 0.0);
                auto product = scf::IfOp::create(
                    fb, fl, TypeRange{scoresInit.getType()}, useKernel,
                    /*addThenBlock=*/true, /*addElseBlock=*/true);
                OpBuilder kernelBuilder = product.getThenBodyBuilder();
                TileBuilder kt{kernelBuilder, fl, elementType};
                scf::YieldOp::create(
                    kernelBuilder, fl,
                    kt.contract(qScaled, kTileValue,
                                kt.map(3, {kt.d(1), kt.d(2)}), scoresInit));
                OpBuilder loopBuilder = product.getElseBodyBuilder();
                scf::YieldOp::create(
                    loopBuilder, fl,
                    buildDotProducts(loopBuilder, fl, elementType, qScaled,
                                     kTileValue, scoresInit, tq, tk,
                                     headDim));
                Value scores = product.getResult(0);
                if (softcap)
                  scores =
                      linalg::GenericOp::create(
                          fb, fl, scores.getType(), ValueRange{},
                          ValueRange{scores}, ArrayRef<AffineMap>{all2},
                          ArrayRef<IteratorType>{kParallel, kParallel},
                          [&](OpBuilder &nb, Location nl, ValueRange args) {
                            linalg::YieldOp::create(
                                nb, nl,
                                applySoftcap(nb, nl, args[0], *softcap));
                          })
                          .getResult(0);
                if (causal) {
                  // Key j0 + j is hidden from row firstRow + i iff
                  // j0 + j > firstRow + i; only a block whose last key lies
                  // past the first row's position has such keys. With a
                  // window, so does a block whose first key lies before
                  // the last row's window.
                  Value lastKey = arith::SubIOp::create(
                      fb, fl, arith::AddIOp::create(fb, fl, j0, tk),
                      ft.index(1));
                  Value crossesDiagonal = arith::CmpIOp::create(
                      fb, fl, arith::CmpIPredicate::sgt, lastKey, firstRow);
                  if (window)
                    crossesDiagonal = arith::OrIOp::create(
                        fb, fl, crossesDiagonal,
                        arith::CmpIOp::create(fb, fl,
                                              arith::CmpIPredicate::slt, j0,
                                              lastRowWindowStart));
                  auto masking = scf::IfOp::create(
                      fb, fl, TypeRange{scores.getType()}, crossesDiagonal,
                      /*addThenBlock=*/true, /*addElseBlock=*/true);
                  OpBuilder thenBuilder = masking.getThenBodyBuilder();
                  Value masked =
                      linalg::GenericOp::create(
                          thenBuilder, fl, scores.getType(), ValueRange{},
                          ValueRange{scores}, ArrayRef<AffineMap>{all2},
                          ArrayRef<IteratorType>{kParallel, kParallel},
                          [&](OpBuilder &nb, Location nl, ValueRange args) {
                            Value row = arith::AddIOp::create(
                                nb, nl, firstRow,
                                linalg::IndexOp::create(nb, nl, 0));
                            Value col = arith::AddIOp::create(
                                nb, nl, j0, linalg::IndexOp::create(nb, nl, 1));
                            Value hidden =
                                isHidden(nb, nl, row, col, causal, window);
                            linalg::YieldOp::create(
                                nb, nl,
                                arith::SelectOp::create(
                                    nb, nl, hidden,
                                    minusInfinity(nb, nl, elementType),
                                    args[0])
                                    .getResult());
                          })
                          .getResult(0);
                  scf::YieldOp::create(thenBuilder, fl, masked);
                  OpBuilder elseBuilder = masking.getElseBodyBuilder();
                  scf::YieldOp::create(elseBuilder, fl, scores);
                  scores = masking.getResult(0);
                }
                scf::YieldOp::create(
                    fb, fl,
                    buildOnlineSoftmaxStep(fb, fl, elementType, scores,
                                           vTileValue, carried, useKernel));
              });

          // With `causal`, rows at a negative position saw no key and are
          // zero already; without it they are zeroed here.
          Value normalized = buildNormalizedTile(
              b, l, elementType, storageType, blockLoop.getResult(2),
              blockLoop.getResult(1), tq, valueDim,
              causal ? Value() : firstRow);
          auto inParallel = scf::InParallelOp::create(b, l);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(
              b, l, normalized, out,
              ArrayRef<OpFoldResult>{bIdx, hIdx, i0, zero},
              ArrayRef<OpFoldResult>{one, one, tq, valueDim},
              ArrayRef<OpFoldResult>{one, one, one, one});
        });
    rewriter.replaceOp(op, forall.getResult(0));
    return success();
  }

  int64_t queryTile;
};

struct LowerAttentionPass
    : xf::impl::LowerAttentionPassBase<LowerAttentionPass> {
  using LowerAttentionPassBase::LowerAttentionPassBase;

  void runOnOperation() override {
    if (queryTile <= 0 || kvTile <= 0) {
      getOperation()->emitError("xf-lower-attention: tile sizes must be "
                                "positive");
      return signalPassFailure();
    }
    // Found before any rewrite: the driver folds and erases ops as it goes,
    // and the analysis reads the IR as it was.
    xf::AttentionShapeFactsMap facts =
        xf::analyzeAttentionShapes(getOperation());
    RewritePatternSet patterns(&getContext());
    xf::populateAttentionLoweringPatterns(patterns, facts, queryTile, kvTile);
    xf::populatePagedAttentionLoweringPatterns(patterns, queryTile);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    bool left = false;
    getOperation()->walk([&](Operation *op) {
      if (isa<xf::XF::AttentionOp, xf::XF::PagedAttentionOp>(op)) {
        op->emitError("xf-lower-attention: cannot lower this attention "
                      "(float query, key and value with a mask of the same "
                      "type)");
        left = true;
      }
    });
    if (left)
      signalPassFailure();
  }
};

} // namespace

xf::AttentionShapeFactsMap xf::analyzeAttentionShapes(Operation *root) {
  ONNX::SymbolicShapeAnalysis shapes = createShapeAnalysis(root);
  AttentionShapeFactsMap map;
  root->walk([&](XF::AttentionOp op) {
    Value query = op.getQuery(), key = op.getKey(), value = op.getValue();
    AttentionShapeFacts &facts = map[op];
    facts.keyBatch = shapes.provenEqual(key, 0, query, 0);
    facts.valueBatch = shapes.provenEqual(value, 0, query, 0);
    facts.keyHeadSize = shapes.provenEqual(key, 3, query, 3);
    facts.valueSequence = shapes.provenEqual(value, 2, key, 2);
    facts.valueHeads = shapes.provenEqual(value, 1, key, 1);
    facts.sameHeads = shapes.provenEqual(query, 1, key, 1);
    Value mask = op.getMask();
    if (!mask)
      return;
    int64_t missing = 4 - cast<RankedTensorType>(mask.getType()).getRank();
    std::array<std::pair<Value, int64_t>, 4> targets = {
        std::pair(query, int64_t(0)), std::pair(query, int64_t(1)),
        std::pair(query, int64_t(2)), std::pair(key, int64_t(2))};
    for (int64_t d = 0; d < 4; ++d) {
      if (d < missing) {
        facts.maskUnit[d] = true;
        continue;
      }
      int64_t i = d - missing;
      facts.maskUnit[d] = shapes.getDim(mask, i).getConstant() == 1;
      facts.maskProven[d] =
          shapes.provenEqual(mask, i, targets[d].first, targets[d].second);
    }
  });
  return map;
}

void xf::populateAttentionLoweringPatterns(RewritePatternSet &patterns,
                                           const AttentionShapeFactsMap &facts,
                                           int64_t queryTile, int64_t kvTile) {
  patterns.add<AttentionLowering>(patterns.getContext(), facts, queryTile,
                                  kvTile);
}

void xf::populatePagedAttentionLoweringPatterns(RewritePatternSet &patterns,
                                                int64_t queryTile) {
  patterns.add<PagedAttentionLowering>(patterns.getContext(), queryTile);
}
