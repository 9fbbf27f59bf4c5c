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
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

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
  /// (i, j, k); a plain multiply-add body.
  Value contract(Value a, Value bOperand, AffineMap bMap, Value init) {
    SmallVector<AffineMap> maps = {map(3, {d(0), d(2)}), bMap,
                                   map(3, {d(0), d(1)})};
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{a, bOperand}, init, maps,
               ArrayRef<IteratorType>{kParallel, kParallel, kReduction},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value lhs = extend(nb, l, args[0]);
                 Value rhs = extend(nb, l, args[1]);
                 Value p = arith::MulFOp::create(nb, l, lhs, rhs);
                 linalg::YieldOp::create(nb, l,
                                         arith::AddFOp::create(nb, l, args[2], p)
                                             .getResult());
               })
        .getResult(0);
  }
};

struct AttentionLowering : OpRewritePattern<xf::XF::AttentionOp> {
  AttentionLowering(MLIRContext *context, int64_t queryTile, int64_t kvTile)
      : OpRewritePattern(context), queryTile(queryTile), kvTile(kvTile) {}

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

          // A 2-D tile of a 4-D operand: the two leading unit dimensions
          // dropped.
          auto slice = [](OpBuilder &sb, Location sl, Value source,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes) -> Value {
            OpFoldResult unit = sb.getIndexAttr(1);
            auto type = tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(
                2, cast<RankedTensorType>(source.getType()), sizes);
            return tensor::ExtractSliceOp::create(
                sb, sl, type, source, offsets, sizes,
                ArrayRef<OpFoldResult>{unit, unit, unit, unit});
          };
          Value qTileValue = slice(
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

          Value mInit = tb.filled({tq}, -std::numeric_limits<double>::infinity());
          Value lInit = tb.filled({tq}, 0.0);
          Value accInit = tb.filled({tq, valueDim}, 0.0);
          auto kvLoop = scf::ForOp::create(
              b, l, tb.index(0), kvEnd, kTile,
              ValueRange{mInit, lInit, accInit},
              [&](OpBuilder &fb, Location fl, Value j0, ValueRange carried) {
                TileBuilder ft{fb, fl, elementType};
                Value m = carried[0], lSum = carried[1], acc = carried[2];
                Value tk = arith::MinUIOp::create(
                    fb, fl, kTile, arith::SubIOp::create(fb, fl, kvEnd, j0));
                Value kTileValue = slice(fb, fl, key, {bIdx, g, j0, zero},
                                         {one, one, tk, headDim});
                Value vTileValue = slice(fb, fl, value, {bIdx, g, j0, zero},
                                         {one, one, tk, valueDim});

                // S = Q K^T, then scale, mask and the causal diagonal.
                Value scores = ft.contract(
                    qTileValue, kTileValue, ft.map(3, {ft.d(1), ft.d(2)}),
                    ft.filled({tq, tk}, 0.0));
                SmallVector<Value> inputs = {scores};
                SmallVector<AffineMap> maps = {ft.map(2, {ft.d(0), ft.d(1)})};
                if (mask) {
                  // Broadcast dimensions of the mask are read at index 0.
                  auto bcast = [&](int64_t i) {
                    return maskType.getDimSize(i) == 1;
                  };
                  SmallVector<OpFoldResult> offsets = {
                      bcast(0) ? zero : OpFoldResult(bIdx),
                      bcast(1) ? zero : OpFoldResult(hIdx),
                      bcast(2) ? zero : OpFoldResult(i0),
                      bcast(3) ? zero : OpFoldResult(j0)};
                  SmallVector<OpFoldResult> sizes = {
                      one, one, bcast(2) ? one : OpFoldResult(tq),
                      bcast(3) ? one : OpFoldResult(tk)};
                  Value maskTile = slice(fb, fl, mask, offsets, sizes);
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
                          if (hasMask)
                            s = arith::AddFOp::create(
                                nb, nl, s, ft.extend(nb, nl, args[1]));
                          if (causal) {
                            Value i = linalg::IndexOp::create(nb, nl, 0);
                            Value j = linalg::IndexOp::create(nb, nl, 1);
                            Value row = arith::AddIOp::create(nb, nl, rowBase, i);
                            Value col = arith::AddIOp::create(nb, nl, j0, j);
                            Value hidden = arith::CmpIOp::create(
                                nb, nl, arith::CmpIPredicate::sgt, col, row);
                            Value minusInf = arith::ConstantOp::create(
                                nb, nl,
                                nb.getFloatAttr(
                                    elementType,
                                    -std::numeric_limits<double>::infinity()));
                            s = arith::SelectOp::create(nb, nl, hidden,
                                                        minusInf, s);
                          }
                          linalg::YieldOp::create(nb, nl, s);
                        })
                        .getResult(0);

                // Each carried value is updated in place (its new value is
                // written over it once nothing else reads the old one), so
                // bufferization keeps one buffer per value for the loop.
                AffineMap rowsOf2 = ft.map(2, {ft.d(0)});
                AffineMap all2 = ft.map(2, {ft.d(0), ft.d(1)});
                AffineMap rows1 = ft.map(1, {ft.d(0)});
                auto scaleInPlace = [&](Value factor, Value target,
                                        AffineMap factorMap,
                                        AffineMap targetMap,
                                        ArrayRef<IteratorType> iterators) {
                  return linalg::GenericOp::create(
                             fb, fl, target.getType(), ValueRange{factor},
                             ValueRange{target},
                             ArrayRef<AffineMap>{factorMap, targetMap},
                             iterators,
                             [](OpBuilder &nb, Location nl, ValueRange args) {
                               linalg::YieldOp::create(
                                   nb, nl,
                                   arith::MulFOp::create(nb, nl, args[1],
                                                         args[0])
                                       .getResult());
                             })
                      .getResult(0);
                };
                // exp(x - max) that is 0 where the max is -inf (a row that
                // has seen no visible key yet).
                auto shiftedExp = [elementType](OpBuilder &nb, Location nl,
                                                Value x, Value max) -> Value {
                  Value minusInf = arith::ConstantOp::create(
                      nb, nl,
                      nb.getFloatAttr(elementType,
                                      -std::numeric_limits<double>::infinity()));
                  Value none = arith::CmpFOp::create(
                      nb, nl, arith::CmpFPredicate::OEQ, max, minusInf);
                  Value e = math::ExpOp::create(
                      nb, nl, arith::SubFOp::create(nb, nl, x, max));
                  Value zeroF = arith::ConstantOp::create(
                      nb, nl, nb.getFloatAttr(elementType, 0.0));
                  return arith::SelectOp::create(nb, nl, none, zeroF, e);
                };
                // The tile's row maximum, then alpha = exp(m - max(m, rowmax)).
                Value rowMax =
                    linalg::GenericOp::create(
                        fb, fl, m.getType(), ValueRange{masked},
                        ValueRange{ft.filled(
                            {tq}, -std::numeric_limits<double>::infinity())},
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
                        fb, fl, m.getType(), ValueRange{m, rowMax},
                        ValueRange{ft.empty({tq})},
                        ArrayRef<AffineMap>{rows1, rows1, rows1},
                        ArrayRef<IteratorType>{kParallel},
                        [&](OpBuilder &nb, Location nl, ValueRange args) {
                          Value newMax =
                              arith::MaximumFOp::create(nb, nl, args[0], args[1]);
                          linalg::YieldOp::create(
                              nb, nl, shiftedExp(nb, nl, args[0], newMax));
                        })
                        .getResult(0);
                // m' = max(m, rowmax), over m.
                Value mNew =
                    linalg::GenericOp::create(
                        fb, fl, m.getType(), ValueRange{rowMax}, ValueRange{m},
                        ArrayRef<AffineMap>{rows1, rows1},
                        ArrayRef<IteratorType>{kParallel},
                        [](OpBuilder &nb, Location nl, ValueRange args) {
                          linalg::YieldOp::create(
                              nb, nl,
                              arith::MaximumFOp::create(nb, nl, args[1], args[0])
                                  .getResult());
                        })
                        .getResult(0);
                Value probabilities =
                    linalg::GenericOp::create(
                        fb, fl, scores.getType(), ValueRange{masked, mNew},
                        ValueRange{ft.empty({tq, tk})},
                        ArrayRef<AffineMap>{all2, rowsOf2, all2},
                        ArrayRef<IteratorType>{kParallel, kParallel},
                        [&](OpBuilder &nb, Location nl, ValueRange args) {
                          linalg::YieldOp::create(
                              nb, nl, shiftedExp(nb, nl, args[0], args[1]));
                        })
                        .getResult(0);
                // l' = alpha * l + rowsum(P), over l.
                Value lScaled = scaleInPlace(alpha, lSum, rows1, rows1,
                                             {kParallel});
                Value lNew =
                    linalg::GenericOp::create(
                        fb, fl, lSum.getType(), ValueRange{probabilities},
                        ValueRange{lScaled}, ArrayRef<AffineMap>{all2, rowsOf2},
                        ArrayRef<IteratorType>{kParallel, kReduction},
                        [](OpBuilder &nb, Location nl, ValueRange args) {
                          linalg::YieldOp::create(
                              nb, nl,
                              arith::AddFOp::create(nb, nl, args[1], args[0])
                                  .getResult());
                        })
                        .getResult(0);
                // acc' = alpha * acc + P V, over acc.
                Value accScaled = scaleInPlace(alpha, acc, rowsOf2, all2,
                                               {kParallel, kParallel});
                Value accNew = ft.contract(probabilities, vTileValue,
                                           ft.map(3, {ft.d(2), ft.d(1)}),
                                           accScaled);
                scf::YieldOp::create(fb, fl, ValueRange{mNew, lNew, accNew});
              });

          // out = acc / l; a row that saw no key is zero.
          Value lFinal = kvLoop.getResult(1), accFinal = kvLoop.getResult(2);
          AffineMap rowsOf2 = tb.map(2, {tb.d(0)});
          AffineMap all2 = tb.map(2, {tb.d(0), tb.d(1)});
          Value outTile = tensor::EmptyOp::create(
              b, l, ArrayRef<OpFoldResult>{tq, valueDim}, storageType);
          Value normalized =
              linalg::GenericOp::create(
                  b, l, outTile.getType(), ValueRange{accFinal, lFinal},
                  ValueRange{outTile},
                  ArrayRef<AffineMap>{all2, rowsOf2, all2},
                  ArrayRef<IteratorType>{kParallel, kParallel},
                  [elementType, storageType](OpBuilder &nb, Location nl,
                                             ValueRange args) {
                    Value zeroF = arith::ConstantOp::create(
                        nb, nl, nb.getFloatAttr(elementType, 0.0));
                    Value empty = arith::CmpFOp::create(
                        nb, nl, arith::CmpFPredicate::OEQ, args[1], zeroF);
                    Value q = arith::DivFOp::create(nb, nl, args[0], args[1]);
                    Value result =
                        arith::SelectOp::create(nb, nl, empty, zeroF, q);
                    if (storageType != elementType)
                      result = arith::TruncFOp::create(nb, nl, storageType,
                                                       result);
                    linalg::YieldOp::create(nb, nl, result);
                  })
                  .getResult(0);
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

  int64_t queryTile, kvTile;
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
    RewritePatternSet patterns(&getContext());
    xf::populateAttentionLoweringPatterns(patterns, queryTile, kvTile);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    bool left = false;
    getOperation()->walk([&](xf::XF::AttentionOp op) {
      op.emitError("xf-lower-attention: cannot lower this attention (float "
                   "query, key and value with a mask of the same type)");
      left = true;
    });
    if (left)
      signalPassFailure();
  }
};

} // namespace

void xf::populateAttentionLoweringPatterns(RewritePatternSet &patterns,
                                           int64_t queryTile, int64_t kvTile) {
  patterns.add<AttentionLowering>(patterns.getContext(), queryTile, kvTile);
}
