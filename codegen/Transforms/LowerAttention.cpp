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
// xf.paged_attention reads the blocks of a paged KV pool, each block's id
// from the block table and its K/V tiles as views of the pool at that block
// (nothing gathered). A prefill (more than kFewRowsMatmul query rows) runs
// the same forall and online-softmax step, one block per step. Decode and
// verify steps (up to kFewRowsMatmul rows) take flash decoding: a decode
// step has only batch x heads rows, too few to share among threads over a
// long context, so the keys are split into partitions of 256 fixed by
// absolute position; a forall over (batch, KV head, partition) computes
// each partition's row max m, row sum l and unnormalized P V for all the q
// heads of the KV group at once (each block of K and V is read once for
// them), and linalg generics after it combine the partitions per row:
//
//   M = max_s m_s,  w_s = exp(m_s - M),
//   out = (sum_s w_s acc_s) / (sum_s w_s l_s)
//
// Both paged forms give each of up to kFewRowsMatmul rows the bits it gets
// alone (see PagedAttention::buildPartitioned).
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

/// S[i, column + j] += sum_d Q[i, d] * K[j, d] for a [tq, D] query tile
/// (compute type) and a [tk, D] key tile, into `init` [tq, >= column + tk]
/// (the scores of several key tiles side by side): scf loops over
/// (i, j) around a 1-D reduction generic over d whose adds may be
/// reassociated, so LLVM vectorizes it along head_dim (contiguous in both
/// tiles) and the index arithmetic stays outside it. A matmul kernel call per block costs more
/// than the product itself at decode sizes, and a 3-D contraction generic
/// would be interchanged (xf-contiguous-inner-loop) to run along the keys,
/// strided by D.
Value buildDotProducts(OpBuilder &b, Location loc, Type elementType,
                       Value query, Value key, Value init, Value column,
                       Value tq, Value tk, OpFoldResult headDim) {
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
              SmallVector<OpFoldResult> cellOffsets = {
                  i, arith::AddIOp::create(cb, cl, column, j).getResult()};
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

/// Keys per partition of flash decoding (a multiple of the block size, at
/// least one block): the scores of 16 rows over it take 16 KB and its K and
/// V tiles 128 KB at head_dim 64, within L2, so the q heads of a KV group
/// that run one after another find them there.
constexpr int64_t kDecodePartitionKeys = 256;

/// Fewer forall items of flash decoding than this (a short context of one
/// sequence) split the q heads of a KV group into items of their own, so
/// that the threads share the work.
constexpr int64_t kMinDecodeItems = 8;

/// The operands and attributes of one xf.paged_attention, and the two forms
/// of its lowering. Query row `i` of a sequence sits at position
/// `context_len - Sq + i`; the scale is applied to the query once, so a
/// block whose keys every row sees (all blocks of a decode step) takes no
/// elementwise pass over its scores before the softmax, and only the keys
/// that cross the causal diagonal or fall behind a row's window are masked.
struct PagedAttention {
  xf::XF::PagedAttentionOp op;
  FloatType storageType, elementType;
  Value query, keyPool, valuePool, blockTable, contextLens;
  bool causal;
  std::optional<int64_t> window;
  std::optional<double> softcap;
  double scale;
  OpFoldResult batch, heads, queryLen, headDim, valueDim;
  Value sq, blockSize, kvHeads, group;

  static PagedAttention get(OpBuilder &b, xf::XF::PagedAttentionOp op,
                            FloatType storageType, FloatType elementType) {
    Location loc = op.getLoc();
    auto dim = [&](Value v, int64_t i) {
      return tensor::getMixedSize(b, loc, v, i);
    };
    auto dimValue = [&](Value v, int64_t i) {
      return getValueOrCreateConstantIndexOp(b, loc, dim(v, i));
    };
    PagedAttention p;
    p.op = op;
    p.storageType = storageType;
    p.elementType = elementType;
    p.query = op.getQuery();
    p.keyPool = op.getKeyPool();
    p.valuePool = op.getValuePool();
    p.blockTable = op.getBlockTable();
    p.contextLens = op.getContextLens();
    p.causal = op.getCausal();
    p.window = op.getWindow();
    if (std::optional<APFloat> cap = op.getSoftcap())
      p.softcap = cap->convertToDouble();
    p.scale = op.getScale().convertToDouble();
    p.batch = dim(p.query, 0);
    p.heads = dim(p.query, 1);
    p.queryLen = dim(p.query, 2);
    p.headDim = dim(p.query, 3);
    p.valueDim = dim(p.valuePool, 3);
    p.sq = dimValue(p.query, 2);
    p.blockSize = dimValue(p.keyPool, 2);
    p.kvHeads = dimValue(p.keyPool, 1);
    p.group = arith::DivUIOp::create(b, loc, dimValue(p.query, 1), p.kvHeads);
    return p;
  }

  static Value toIndex(OpBuilder &b, Location l, Value v) {
    return arith::IndexCastOp::create(b, l, b.getIndexType(), v);
  }

  Value contextLength(OpBuilder &b, Location l, Value bIdx) const {
    return toIndex(b, l, tensor::ExtractOp::create(b, l, contextLens, bIdx));
  }

  /// The pool block that holds keys [n * block, (n + 1) * block) of
  /// sequence `bIdx`.
  Value blockId(OpBuilder &b, Location l, Value bIdx, Value n) const {
    return toIndex(b, l,
                   tensor::ExtractOp::create(b, l, blockTable,
                                             ValueRange{bIdx, n}));
  }

  /// The [tk, D] view of `pool` (key or value) at `block` and KV head `g`.
  Value poolTile(OpBuilder &b, Location l, Value pool, Value block, Value g,
                 Value tk, OpFoldResult d) const {
    OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
    return tile2D(b, l, pool, {block, g, zero, zero}, {one, one, tk, d});
  }

  /// `tile` (query rows) times the scale, in the compute type.
  Value scaled(OpBuilder &b, Location l, Value tile) const {
    TileBuilder t{b, l, elementType};
    auto type = cast<RankedTensorType>(tile.getType());
    unsigned rank = type.getRank();
    SmallVector<OpFoldResult> sizes;
    for (unsigned i = 0; i < rank; ++i)
      sizes.push_back(tensor::getMixedSize(b, l, tile, i));
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
    double s = scale;
    Type computeType = elementType;
    return linalg::GenericOp::create(
               b, l, type.clone(elementType), ValueRange{tile},
               ValueRange{t.empty(sizes)},
               ArrayRef<AffineMap>{identity, identity},
               SmallVector<IteratorType>(rank, kParallel),
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value scaleValue = arith::ConstantOp::create(
                     nb, nl, nb.getFloatAttr(computeType, s));
                 linalg::YieldOp::create(
                     nb, nl,
                     arith::MulFOp::create(nb, nl, t.extend(nb, nl, args[0]),
                                           scaleValue)
                         .getResult());
               })
        .getResult(0);
  }

  /// The last row's window starts latest: keys before it are hidden from
  /// some row of a tile whose last row sits at `lastRow`.
  Value lastRowWindowStart(OpBuilder &b, Location l, Value lastRow) const {
    if (!window)
      return Value();
    return arith::SubIOp::create(
        b, l, lastRow, arith::ConstantIndexOp::create(b, l, *window - 1));
  }

  /// `scores` [tq, tk] of rows from position `firstRow` against keys from
  /// `firstKey`, capped with a softcap and, with `causal`, -inf where a key
  /// is hidden from a row. Row `i` sits at `firstRow + i`, or, with
  /// `rowsPerHead` (the rows of several heads one after another), at
  /// `firstRow + i mod rowsPerHead`. Only a key range whose last key lies
  /// past the first row's position has hidden keys; with a window, so does
  /// one whose first key lies before `windowStart` (lastRowWindowStart): the
  /// mask is an scf.if, so a decode step's key ranges take none.
  Value capAndMask(OpBuilder &b, Location l, Value scores, Value firstRow,
                   Value firstKey, Value tk, Value windowStart,
                   Value rowsPerHead = Value()) const {
    TileBuilder t{b, l, elementType};
    AffineMap all2 = t.map(2, {t.d(0), t.d(1)});
    auto elementwise = [&](OpBuilder &eb, Value tile,
                           function_ref<Value(OpBuilder &, Location, Value)>
                               body) {
      return linalg::GenericOp::create(
                 eb, l, tile.getType(), ValueRange{}, ValueRange{tile},
                 ArrayRef<AffineMap>{all2},
                 ArrayRef<IteratorType>{kParallel, kParallel},
                 [&](OpBuilder &nb, Location nl, ValueRange args) {
                   linalg::YieldOp::create(nb, nl, body(nb, nl, args[0]));
                 })
          .getResult(0);
    };
    if (softcap) {
      double cap = *softcap;
      scores = elementwise(b, scores, [&](OpBuilder &nb, Location nl, Value s) {
        return applySoftcap(nb, nl, s, cap);
      });
    }
    if (!causal)
      return scores;
    Value lastKey = arith::SubIOp::create(
        b, l, arith::AddIOp::create(b, l, firstKey, tk), t.index(1));
    Value crosses = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt,
                                          lastKey, firstRow);
    if (window)
      crosses = arith::OrIOp::create(
          b, l, crosses,
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, firstKey,
                                windowStart));
    auto masking = scf::IfOp::create(b, l, TypeRange{scores.getType()},
                                     crosses, /*addThenBlock=*/true,
                                     /*addElseBlock=*/true);
    OpBuilder thenBuilder = masking.getThenBodyBuilder();
    Type computeType = elementType;
    std::optional<int64_t> w = window;
    scf::YieldOp::create(
        thenBuilder, l,
        elementwise(thenBuilder, scores,
                    [&](OpBuilder &nb, Location nl, Value s) -> Value {
                      Value i = linalg::IndexOp::create(nb, nl, 0);
                      if (rowsPerHead)
                        i = arith::RemUIOp::create(nb, nl, i, rowsPerHead);
                      Value row = arith::AddIOp::create(nb, nl, firstRow, i);
                      Value col = arith::AddIOp::create(
                          nb, nl, firstKey, linalg::IndexOp::create(nb, nl, 1));
                      Value hidden =
                          isHidden(nb, nl, row, col, /*causal=*/true, w);
                      return arith::SelectOp::create(
                          nb, nl, hidden, minusInfinity(nb, nl, computeType),
                          s);
                    }));
    OpBuilder elseBuilder = masking.getElseBodyBuilder();
    scf::YieldOp::create(elseBuilder, l, scores);
    return masking.getResult(0);
  }

  Value buildTiled(OpBuilder &rewriter, Location loc, int64_t queryTile) const;
  Value buildPartitioned(OpBuilder &rewriter, Location loc) const;
};

/// Prefill: a forall over (batch, query head, query tile) whose key loop
/// visits the sequence's blocks, one per step, reading the K and V tiles of
/// block `block_table[b, n]` in place (a [tk, D] view of the pool,
/// contiguous along head_dim) and carrying the online softmax. A tile of
/// more than kFewRowsMatmul queries multiplies through plain contractions,
/// matmul kernel calls in the CPU pipeline; a smaller one (the last tile of
/// a prompt) through the loops of buildDotProducts and an fma contraction.
Value PagedAttention::buildTiled(OpBuilder &rewriter, Location loc,
                                 int64_t queryTile) const {
  TileBuilder t{rewriter, loc, elementType};
  Value qTile = t.index(queryTile);
  Value numQTiles = arith::CeilDivUIOp::create(rewriter, loc, sq, qTile);
  Value init = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{batch, heads, queryLen, valueDim},
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
        Value contextLen = contextLength(b, l, bIdx);
        Value firstRow = arith::AddIOp::create(
            b, l, arith::SubIOp::create(b, l, contextLen, sq), i0);
        Value qScaled = scaled(
            b, l,
            tile2D(b, l, query, {bIdx, hIdx, i0, zero},
                   {one, one, tq, headDim}));

        // Keys visible to the tile: the whole context, or up to the last
        // row's position with `causal` (none for a tile of padding rows).
        Value kvEnd = arith::MaxSIOp::create(b, l, contextLen, tb.index(0));
        if (causal) {
          Value lastVisible = arith::AddIOp::create(b, l, firstRow, tq);
          kvEnd = arith::MinSIOp::create(
              b, l, kvEnd,
              arith::MaxSIOp::create(b, l, lastVisible, tb.index(0)));
        }
        Value numBlocks = arith::CeilDivUIOp::create(b, l, kvEnd, blockSize);
        // With a window, blocks wholly before the first row's window are
        // never read (the loop starts past them).
        Value firstBlock = arith::DivUIOp::create(
            b, l, firstVisibleKey(b, l, firstRow, window), blockSize);
        Value windowStart = lastRowWindowStart(
            b, l,
            arith::AddIOp::create(
                b, l, firstRow, arith::SubIOp::create(b, l, tq, tb.index(1))));
        Value useKernel = arith::CmpIOp::create(
            b, l, arith::CmpIPredicate::ugt, tq, tb.index(xf::kFewRowsMatmul));

        Value mInit = tb.filled({tq}, -std::numeric_limits<double>::infinity());
        Value lInit = tb.filled({tq}, 0.0);
        Value accInit = tb.filled({tq, valueDim}, 0.0);
        auto blockLoop = scf::ForOp::create(
            b, l, firstBlock, numBlocks, tb.index(1),
            ValueRange{mInit, lInit, accInit},
            [&](OpBuilder &fb, Location fl, Value n, ValueRange carried) {
              TileBuilder ft{fb, fl, elementType};
              Value j0 = arith::MulIOp::create(fb, fl, n, blockSize);
              Value tk = arith::MinUIOp::create(
                  fb, fl, blockSize, arith::SubIOp::create(fb, fl, kvEnd, j0));
              Value block = blockId(fb, fl, bIdx, n);
              Value kTileValue =
                  poolTile(fb, fl, keyPool, block, g, tk, headDim);
              Value vTileValue =
                  poolTile(fb, fl, valuePool, block, g, tk, valueDim);
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
                                   kTileValue, scoresInit, ft.index(0), tq,
                                   tk, headDim));
              Value scores = capAndMask(fb, fl, product.getResult(0),
                                        firstRow, j0, tk, windowStart);
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
            b, l, normalized, out, ArrayRef<OpFoldResult>{bIdx, hIdx, i0, zero},
            ArrayRef<OpFoldResult>{one, one, tq, valueDim},
            ArrayRef<OpFoldResult>{one, one, one, one});
      });
  return forall.getResult(0);
}

/// Flash decoding, for up to kFewRowsMatmul query rows (decode steps, a
/// speculative verify step): a decode step of one sequence has only
/// batch x heads rows of work, too few to keep the threads busy over a long
/// context, so each sequence's keys are also split into partitions of
/// kDecodePartitionKeys keys fixed by absolute position. A forall over
/// (batch, KV head, partition, q head of the group) (the q heads of a group
/// run one after another over the same partition, whose K and V they then
/// find in cache) computes for each row of its partition, over every block
/// at once (no online rescaling per block),
///
///   S = Q K^T (masked), m = rowmax S, P = exp(S - m), l = rowsum P,
///   acc = P V
///
/// into partial buffers m, l [B, H, partitions, Sq] and acc [B, H,
/// partitions, Sq, Dv]. Linalg generics after the forall combine them per
/// row: M = max_s m_s, w_s = exp(m_s - M), out = (sum_s w_s acc_s) /
/// (sum_s w_s l_s), visiting the partitions in order.
///
/// Each row is computed as it would be alone: partitions are fixed by
/// position, a score is one row against one key (buildDotProducts), the
/// sums run along the keys in order, and what a taller tile or a longer
/// batch adds for a row are exact zeros: keys hidden from it (score -inf,
/// exp(-inf) = 0, fma(0, v, acc) = acc) before or after its own, and
/// partitions it sees nothing of (m = -inf, l = 0, acc = 0, weight 0). So
/// up to kFewRowsMatmul rows get the bits of single decode steps.
Value PagedAttention::buildPartitioned(OpBuilder &rewriter,
                                       Location loc) const {
  TileBuilder t{rewriter, loc, elementType};
  Value blocksPerPartition = arith::MaxUIOp::create(
      rewriter, loc, t.index(1),
      arith::DivUIOp::create(rewriter, loc, t.index(kDecodePartitionKeys),
                             blockSize));
  // The table's width bounds every sequence's blocks; the partitions of a
  // shorter sequence past its context add exact zeros.
  Value numPartitions = arith::CeilDivUIOp::create(
      rewriter, loc,
      getValueOrCreateConstantIndexOp(
          rewriter, loc, tensor::getMixedSize(rewriter, loc, blockTable, 1)),
      blocksPerPartition);
  OpFoldResult partitions = numPartitions;
  Value mParts = t.empty({batch, heads, partitions, queryLen});
  Value lParts = t.empty({batch, heads, partitions, queryLen});
  Value accParts = t.empty({batch, heads, partitions, queryLen, valueDim});
  // An item takes the q heads of a KV group together (each block's K and V
  // are then read once for all of them), unless that leaves fewer than
  // kMinDecodeItems items (a short context of one sequence): then one head
  // each. A row's arithmetic is the same either way.
  Value batchValue = getValueOrCreateConstantIndexOp(rewriter, loc, batch);
  Value groupItems = arith::MulIOp::create(
      rewriter, loc,
      arith::MulIOp::create(rewriter, loc, batchValue, kvHeads),
      numPartitions);
  Value fewItems = arith::CmpIOp::create(rewriter, loc,
                                         arith::CmpIPredicate::ult, groupItems,
                                         t.index(kMinDecodeItems));
  Value itemsPerGroup =
      arith::SelectOp::create(rewriter, loc, fewItems, group, t.index(1));
  Value headsPerItem =
      arith::SelectOp::create(rewriter, loc, fewItems, t.index(1), group);
  SmallVector<OpFoldResult> upper = {batch, OpFoldResult(kvHeads), partitions,
                                     OpFoldResult(itemsPerGroup)};
  auto forall = scf::ForallOp::create(
      rewriter, loc, upper, ValueRange{mParts, lParts, accParts}, std::nullopt,
      [&](OpBuilder &b, Location l, ValueRange ivs) {
        OpBuilder::InsertionGuard guard(b);
        TileBuilder tb{b, l, elementType};
        Value bIdx = ivs[0], g = ivs[1], s = ivs[2], q = ivs[3];
        Value firstHead = arith::AddIOp::create(
            b, l, arith::MulIOp::create(b, l, g, group),
            arith::MulIOp::create(b, l, q, headsPerItem));
        OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
        Value contextLen = contextLength(b, l, bIdx);
        Value firstRow = arith::SubIOp::create(b, l, contextLen, sq);
        // The item's query rows, head after head: row r * Sq + i is query
        // i of head firstHead + r, at position firstRow + i.
        Value rows = arith::MulIOp::create(b, l, headsPerItem, sq);
        auto groupType = RankedTensorType::get(
            {ShapedType::kDynamic, ShapedType::kDynamic,
             cast<RankedTensorType>(query.getType()).getDimSize(3)},
            cast<RankedTensorType>(query.getType()).getElementType());
        Value groupQuery = tensor::ExtractSliceOp::create(
            b, l, groupType, query,
            ArrayRef<OpFoldResult>{bIdx, firstHead, zero, zero},
            ArrayRef<OpFoldResult>{one, OpFoldResult(headsPerItem), OpFoldResult(sq),
                                   headDim},
            ArrayRef<OpFoldResult>{one, one, one, one});
        auto rowsType = [&](OpFoldResult inner) {
          return RankedTensorType::get(
              {ShapedType::kDynamic,
               getConstantIntValue(inner).value_or(ShapedType::kDynamic)},
              elementType);
        };
        Value qScaled = tensor::CollapseShapeOp::create(
            b, l, rowsType(headDim), scaled(b, l, groupQuery),
            ArrayRef<ReassociationIndices>{{0, 1}, {2}});

        // The tile's last row sits at context_len - 1: every row sees at
        // most the context, and with a window none sees a block wholly
        // before the first row's window.
        Value kvEnd = arith::MaxSIOp::create(b, l, contextLen, tb.index(0));
        Value numBlocks = arith::CeilDivUIOp::create(b, l, kvEnd, blockSize);
        Value firstBlock = arith::DivUIOp::create(
            b, l, firstVisibleKey(b, l, firstRow, window), blockSize);
        Value partitionBlock = arith::MulIOp::create(b, l, s, blocksPerPartition);
        Value blockBegin = arith::MaxUIOp::create(b, l, firstBlock, partitionBlock);
        Value blockEnd = arith::MinUIOp::create(
            b, l, numBlocks,
            arith::AddIOp::create(b, l, partitionBlock, blocksPerPartition));
        Value keyBegin = arith::MulIOp::create(b, l, blockBegin, blockSize);
        Value keyEnd = arith::MinSIOp::create(
            b, l, kvEnd, arith::MulIOp::create(b, l, blockEnd, blockSize));
        Value numKeys = arith::MaxSIOp::create(
            b, l, arith::SubIOp::create(b, l, keyEnd, keyBegin), tb.index(0));
        auto blockKeys = [&](OpBuilder &fb, Location fl, Value n) {
          Value j0 = arith::MulIOp::create(fb, fl, n, blockSize);
          Value tk = arith::MinUIOp::create(
              fb, fl, blockSize, arith::SubIOp::create(fb, fl, kvEnd, j0));
          return std::pair(j0, tk);
        };

        // S = Q K^T over the partition, block by block: each block's keys
        // are read once for all the item's rows.
        auto scoreLoop = scf::ForOp::create(
            b, l, blockBegin, blockEnd, tb.index(1),
            ValueRange{tb.filled({rows, numKeys}, 0.0)},
            [&](OpBuilder &fb, Location fl, Value n, ValueRange carried) {
              auto [j0, tk] = blockKeys(fb, fl, n);
              Value key = poolTile(fb, fl, keyPool, blockId(fb, fl, bIdx, n),
                                   g, tk, headDim);
              scf::YieldOp::create(
                  fb, fl,
                  buildDotProducts(fb, fl, elementType, qScaled, key,
                                   carried[0],
                                   arith::SubIOp::create(fb, fl, j0, keyBegin),
                                   rows, tk, headDim));
            });
        Value lastRow = arith::SubIOp::create(b, l, contextLen, tb.index(1));
        Value scores = capAndMask(b, l, scoreLoop.getResult(0), firstRow,
                                  keyBegin, numKeys,
                                  lastRowWindowStart(b, l, lastRow), sq);

        // Per row: m = max S (-inf for a row that sees no key of the
        // partition), P = exp(S - m), l = sum P. One-dimensional reductions
        // along the row (a row at a time, so they run along the keys and
        // are not interchanged to run along the rows).
        auto cellType = RankedTensorType::get({}, elementType);
        auto keysType = RankedTensorType::get({ShapedType::kDynamic}, elementType);
        AffineMap keys1 = tb.map(1, {tb.d(0)}), scalar1 = tb.map(1, {});
        auto softmaxRows = scf::ForOp::create(
            b, l, tb.index(0), rows, tb.index(1),
            ValueRange{tb.empty({rows, numKeys}), tb.empty({headsPerItem, sq}),
                       tb.empty({headsPerItem, sq})},
            [&](OpBuilder &fb, Location fl, Value i, ValueRange carried) {
              TileBuilder ft{fb, fl, elementType};
              SmallVector<OpFoldResult> headAndQuery = {
                  arith::DivUIOp::create(fb, fl, i, sq).getResult(),
                  arith::RemUIOp::create(fb, fl, i, sq).getResult()};
              SmallVector<OpFoldResult> cellSizes = {one, one};
              auto rowOf = [&](Value tile) {
                return tensor::ExtractSliceOp::create(
                    fb, fl, keysType, tile, ArrayRef<OpFoldResult>{i, zero},
                    ArrayRef<OpFoldResult>{one, OpFoldResult(numKeys)},
                    ArrayRef<OpFoldResult>{one, one});
              };
              auto cellOf = [&](Value vector, double init) {
                Value cell = tensor::ExtractSliceOp::create(
                    fb, fl, cellType, vector, headAndQuery, cellSizes,
                    cellSizes);
                return linalg::FillOp::create(fb, fl, ft.constant(init), cell)
                    .getResult(0);
              };
              auto reduce = [&](Value input, Value init, auto combine) {
                return linalg::GenericOp::create(
                           fb, fl, cellType, ValueRange{input},
                           ValueRange{init},
                           ArrayRef<AffineMap>{keys1, scalar1},
                           ArrayRef<IteratorType>{kReduction},
                           [&](OpBuilder &nb, Location nl, ValueRange args) {
                             linalg::YieldOp::create(
                                 nb, nl,
                                 combine(nb, nl, args[1], args[0]).getResult());
                           })
                    .getResult(0);
              };
              Value maxCell = reduce(
                  rowOf(scores),
                  cellOf(carried[1], -std::numeric_limits<double>::infinity()),
                  [](OpBuilder &nb, Location nl, Value acc, Value x) {
                    return arith::MaximumFOp::create(nb, nl, acc, x);
                  });
              Value pRow =
                  linalg::GenericOp::create(
                      fb, fl, keysType, ValueRange{rowOf(scores), maxCell},
                      ValueRange{rowOf(carried[0])},
                      ArrayRef<AffineMap>{keys1, scalar1, keys1},
                      ArrayRef<IteratorType>{kParallel},
                      [](OpBuilder &nb, Location nl, ValueRange args) {
                        linalg::YieldOp::create(
                            nb, nl, shiftedExp(nb, nl, args[0], args[1]));
                      })
                      .getResult(0);
              Value sumCell =
                  reduce(pRow, cellOf(carried[2], 0.0),
                         [](OpBuilder &nb, Location nl, Value acc, Value x) {
                           return arith::AddFOp::create(nb, nl, acc, x);
                         });
              auto insert = [&](Value part, Value into,
                                ArrayRef<OpFoldResult> offsets,
                                ArrayRef<OpFoldResult> sizes) -> Value {
                return tensor::InsertSliceOp::create(
                    fb, fl, part, into, offsets, sizes,
                    SmallVector<OpFoldResult>(offsets.size(), one));
              };
              scf::YieldOp::create(
                  fb, fl,
                  ValueRange{insert(pRow, carried[0], {i, zero},
                                    {one, OpFoldResult(numKeys)}),
                             insert(maxCell, carried[1], headAndQuery,
                                    cellSizes),
                             insert(sumCell, carried[2], headAndQuery,
                                    cellSizes)});
            });
        Value probabilities = softmaxRows.getResult(0);
        Value rowMax = softmaxRows.getResult(1);
        Value rowSum = softmaxRows.getResult(2);

        // acc = P V [heads of the item, Sq, Dv], block by block and head
        // by head (the block's values stay in L1 across the heads), in fma
        // loops along head_dim.
        auto valueLoop = scf::ForOp::create(
            b, l, blockBegin, blockEnd, tb.index(1),
            ValueRange{tb.filled({headsPerItem, sq, valueDim}, 0.0)},
            [&](OpBuilder &fb, Location fl, Value n, ValueRange blockArgs) {
              auto keys = blockKeys(fb, fl, n);
              Value j0 = keys.first, tk = keys.second;
              Value value = poolTile(fb, fl, valuePool,
                                     blockId(fb, fl, bIdx, n), g, tk, valueDim);
              Value column = arith::SubIOp::create(fb, fl, j0, keyBegin);
              auto heads = scf::ForOp::create(
                  fb, fl, tb.index(0), headsPerItem, tb.index(1), blockArgs,
                  [&](OpBuilder &hb, Location hl, Value r,
                      ValueRange carried) {
                    TileBuilder ht{hb, hl, elementType};
                    Value p = tensor::ExtractSliceOp::create(
                        hb, hl, probabilities,
                        ArrayRef<OpFoldResult>{
                            arith::MulIOp::create(hb, hl, r, sq).getResult(),
                            column},
                        ArrayRef<OpFoldResult>{OpFoldResult(sq),
                                               OpFoldResult(tk)},
                        ArrayRef<OpFoldResult>{one, one});
                    SmallVector<OpFoldResult> offsets = {r, zero, zero};
                    SmallVector<OpFoldResult> sizes = {one, OpFoldResult(sq),
                                                       valueDim};
                    SmallVector<OpFoldResult> strides(3, one);
                    Value headAcc = tensor::ExtractSliceOp::create(
                        hb, hl, rowsType(valueDim), carried[0], offsets, sizes,
                        strides);
                    Value updated = ht.contract(
                        p, value, ht.map(3, {ht.d(2), ht.d(1)}), headAcc,
                        /*fused=*/true);
                    scf::YieldOp::create(
                        hb, hl,
                        tensor::InsertSliceOp::create(hb, hl, updated,
                                                      carried[0], offsets,
                                                      sizes, strides)
                            .getResult());
                  });
              scf::YieldOp::create(fb, fl, heads.getResults());
            });

        // The partials are [heads of the item, Sq] (and Dv) tiles, not
        // reshaped from rows: memref.expand_shape of one dimension into two
        // dynamic ones is what expand-strided-metadata cannot lower.
        auto inParallel = scf::InParallelOp::create(b, l);
        b.setInsertionPointToStart(inParallel.getBody());
        std::array<std::pair<Value, Value>, 2> rowParts = {
            std::pair(rowMax, ivs[4]), std::pair(rowSum, ivs[5])};
        for (auto [part, dest] : rowParts)
          tensor::ParallelInsertSliceOp::create(
              b, l, part, dest,
              ArrayRef<OpFoldResult>{bIdx, firstHead, s, zero},
              ArrayRef<OpFoldResult>{one, OpFoldResult(headsPerItem), one,
                                     OpFoldResult(sq)},
              ArrayRef<OpFoldResult>{one, one, one, one});
        tensor::ParallelInsertSliceOp::create(
            b, l, valueLoop.getResult(0), ivs[6],
            ArrayRef<OpFoldResult>{bIdx, firstHead, s, zero, zero},
            ArrayRef<OpFoldResult>{one, OpFoldResult(headsPerItem), one,
                                   OpFoldResult(sq), valueDim},
            ArrayRef<OpFoldResult>{one, one, one, one, one});
      });
  Value m = forall.getResult(0), lSum = forall.getResult(1),
        acc = forall.getResult(2);

  // The combine, per row (b, h, i), over the partitions s in order.
  auto map = [&](ArrayRef<unsigned> dims, unsigned count) {
    SmallVector<AffineExpr> results;
    for (unsigned d : dims)
      results.push_back(t.d(d));
    return t.map(count, results);
  };
  // Over (b, h, i, s): the partials [b, h, s, i], a row's value [b, h, i].
  AffineMap partial4 = map({0, 1, 3, 2}, 4), row4 = map({0, 1, 2}, 4);
  SmallVector<IteratorType> reduceParts = {kParallel, kParallel, kParallel,
                                           kReduction};
  SmallVector<OpFoldResult> rows = {batch, heads, queryLen};
  Value rowMax =
      linalg::GenericOp::create(
          rewriter, loc, TypeRange{t.empty(rows).getType()}, ValueRange{m},
          ValueRange{t.filled(rows, -std::numeric_limits<double>::infinity())},
          ArrayRef<AffineMap>{partial4, row4}, reduceParts,
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                arith::MaximumFOp::create(nb, nl, args[1], args[0])
                    .getResult());
          })
          .getResult(0);
  // Over (b, h, s, i): w = exp(m - M), 0 for a partition or a row that saw
  // no key.
  AffineMap ident4 = map({0, 1, 2, 3}, 4), rowOfPart = map({0, 1, 3}, 4);
  Value weights =
      linalg::GenericOp::create(
          rewriter, loc, m.getType(), ValueRange{m, rowMax},
          ValueRange{t.empty({batch, heads, partitions, queryLen})},
          ArrayRef<AffineMap>{ident4, rowOfPart, ident4},
          SmallVector<IteratorType>(4, kParallel),
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl,
                                    shiftedExp(nb, nl, args[0], args[1]));
          })
          .getResult(0);
  auto weightedSum = [](OpBuilder &nb, Location nl, ValueRange args) {
    Value p = arith::MulFOp::create(nb, nl, args[0], args[1]);
    linalg::YieldOp::create(
        nb, nl, arith::AddFOp::create(nb, nl, args[2], p).getResult());
  };
  Value rowSum = linalg::GenericOp::create(
                     rewriter, loc, rowMax.getType(), ValueRange{weights, lSum},
                     ValueRange{t.filled(rows, 0.0)},
                     ArrayRef<AffineMap>{partial4, partial4, row4}, reduceParts,
                     weightedSum)
                     .getResult(0);
  // Over (b, h, i, s, d): the partitions' acc rows, weighted.
  SmallVector<OpFoldResult> outSizes = {batch, heads, queryLen, valueDim};
  Value output =
      linalg::GenericOp::create(
          rewriter, loc, TypeRange{t.empty(outSizes).getType()},
          ValueRange{weights, acc}, ValueRange{t.filled(outSizes, 0.0)},
          ArrayRef<AffineMap>{map({0, 1, 3, 2}, 5), map({0, 1, 3, 2, 4}, 5),
                              map({0, 1, 2, 4}, 5)},
          ArrayRef<IteratorType>{kParallel, kParallel, kParallel, kReduction,
                                 kParallel},
          weightedSum)
          .getResult(0);
  // out = acc / l in the storage type; a row that saw no key is zero, and
  // so is, without `causal` (which hides every key from it), a row at a
  // negative position (left padding).
  SmallVector<Value> inputs = {output, rowSum};
  SmallVector<AffineMap> maps = {map({0, 1, 2, 3}, 4), map({0, 1, 2}, 4)};
  if (!causal) {
    inputs.push_back(contextLens);
    maps.push_back(map({0}, 4));
  }
  maps.push_back(map({0, 1, 2, 3}, 4));
  Type computeType = elementType, outType = storageType;
  Value queryRows = sq;
  bool padding = !causal;
  Value init = tensor::EmptyOp::create(rewriter, loc, outSizes, storageType);
  return linalg::GenericOp::create(
             rewriter, loc, TypeRange{init.getType()}, inputs,
             ValueRange{init}, maps, SmallVector<IteratorType>(4, kParallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value zeroF = arith::ConstantOp::create(
                   nb, nl, nb.getFloatAttr(computeType, 0.0));
               Value empty = arith::CmpFOp::create(
                   nb, nl, arith::CmpFPredicate::OEQ, args[1], zeroF);
               if (padding) {
                 Value row = arith::AddIOp::create(
                     nb, nl,
                     arith::SubIOp::create(nb, nl, toIndex(nb, nl, args[2]),
                                           queryRows),
                     linalg::IndexOp::create(nb, nl, 2));
                 empty = arith::OrIOp::create(
                     nb, nl, empty,
                     arith::CmpIOp::create(
                         nb, nl, arith::CmpIPredicate::slt, row,
                         arith::ConstantIndexOp::create(nb, nl, 0)));
               }
               Value q = arith::DivFOp::create(nb, nl, args[0], args[1]);
               Value result = arith::SelectOp::create(nb, nl, empty, zeroF, q);
               if (outType != computeType)
                 result = arith::TruncFOp::create(nb, nl, outType, result);
               linalg::YieldOp::create(nb, nl, result);
             })
      .getResult(0);
}

/// xf.paged_attention in the partitioned form (PagedAttention::
/// buildPartitioned) for up to kFewRowsMatmul query rows and in the tiled
/// form (buildTiled) for more, chosen by an scf.if where the query length is
/// dynamic (one function serves prefill and decode).
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
    PagedAttention attention =
        PagedAttention::get(rewriter, op, storageType, elementType);
    Type resultType = op.getType();
    auto build = [&](OpBuilder &b, bool fewRows) -> Value {
      Value result = fewRows ? attention.buildPartitioned(b, loc)
                             : attention.buildTiled(b, loc, queryTile);
      if (result.getType() == resultType)
        return result;
      return tensor::CastOp::create(b, loc, resultType, result);
    };
    if (!queryType.isDynamicDim(2)) {
      rewriter.replaceOp(
          op, build(rewriter, queryType.getDimSize(2) <= xf::kFewRowsMatmul));
      return success();
    }
    Value fewRows = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::ule, attention.sq,
        arith::ConstantIndexOp::create(rewriter, loc, xf::kFewRowsMatmul));
    auto choice = scf::IfOp::create(rewriter, loc, TypeRange{resultType},
                                    fewRows, /*addThenBlock=*/true,
                                    /*addElseBlock=*/true);
    for (bool few : {true, false}) {
      OpBuilder branch =
          few ? choice.getThenBodyBuilder() : choice.getElseBodyBuilder();
      scf::YieldOp::create(branch, loc, build(branch, few));
    }
    rewriter.replaceOp(op, choice.getResult(0));
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
