//===- DataMovementToLinalg.cpp - embedding, kv_cache_write -> linalg/scf -===//
//
// embedding is a linalg.generic over the result whose body reads the table
// row with tensor.extract, the id clamped into [0, V) so that no id reads
// outside the table. kv_cache_write is a reference lowering: scf.for loops
// over (batch, token) that insert each token's [Hkv, 1, D] slice into its
// pool slot with tensor.insert_slice; one-shot bufferization makes these
// in-place writes when nothing reads the old pools.
//
//===----------------------------------------------------------------------===//

#include "codegen/XFToLinalg/LinalgBuilders.h"
#include "codegen/XFToLinalg/XFToLinalg.h"

#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace xf;

namespace {

struct EmbeddingLowering : OpRewritePattern<XF::EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(XF::EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value table = op.getTable(), ids = op.getIds();
    Type elementType = cast<RankedTensorType>(table.getType()).getElementType();
    Value result = buildRowGather(
        rewriter, loc, ids, tensor::DimOp::create(rewriter, loc, table, 0),
        tensor::getMixedSize(rewriter, loc, table, 1), elementType,
        [&](OpBuilder &b, Location loc, Value row, Value column) -> Value {
          return tensor::ExtractOp::create(b, loc, table,
                                           ValueRange{row, column});
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Writes token `token` of sequence `batch` of `source` [B, Hkv, S, D] into
/// row `row` of block `block` of `pool` [num_blocks, Hkv, block_size, D].
Value insertToken(OpBuilder &b, Location loc, Value source, Value pool,
                  Value batch, Value token, Value block, Value row) {
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> sizes = {
      one, tensor::getMixedSize(b, loc, source, 1), one,
      tensor::getMixedSize(b, loc, source, 3)};
  SmallVector<OpFoldResult> strides(4, one);
  Value slice = tensor::ExtractSliceOp::create(
      b, loc, source, SmallVector<OpFoldResult>{batch, zero, token, zero},
      sizes, strides);
  return tensor::InsertSliceOp::create(
      b, loc, slice, pool, SmallVector<OpFoldResult>{block, zero, row, zero},
      sizes, strides);
}

/// for b, t: s = slot_mapping[b, t]; if 0 <= s < num_blocks * block_size,
/// the pools take key[b, :, t, :] and value[b, :, t, :] at block
/// s / block_size, row s % block_size. Slots past the pool are skipped like
/// negative ones, so a bad mapping cannot write outside the pools.
struct KVCacheWriteLowering : OpRewritePattern<XF::KVCacheWriteOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(XF::KVCacheWriteOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value key = op.getKey(), value = op.getValue();
    Value slots = op.getSlotMapping();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value batches = tensor::DimOp::create(rewriter, loc, key, 0);
    Value tokens = tensor::DimOp::create(rewriter, loc, key, 2);
    Value blockSize = tensor::DimOp::create(rewriter, loc, op.getKeyPool(), 2);
    Value capacity = arith::MulIOp::create(
        rewriter, loc, tensor::DimOp::create(rewriter, loc, op.getKeyPool(), 0),
        blockSize);

    auto batchLoop = scf::ForOp::create(
        rewriter, loc, zero, batches, one,
        ValueRange{op.getKeyPool(), op.getValuePool()},
        [&](OpBuilder &b, Location loc, Value batch, ValueRange pools) {
          auto tokenLoop = scf::ForOp::create(
              b, loc, zero, tokens, one, pools,
              [&](OpBuilder &b, Location loc, Value token, ValueRange pools) {
                Value slot = arith::IndexCastOp::create(
                    b, loc, b.getIndexType(),
                    tensor::ExtractOp::create(b, loc, slots,
                                              ValueRange{batch, token}));
                Value valid = arith::AndIOp::create(
                    b, loc,
                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                          slot, zero),
                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                          slot, capacity));
                auto write = scf::IfOp::create(
                    b, loc, valid,
                    [&](OpBuilder &b, Location loc) {
                      Value block =
                          arith::DivUIOp::create(b, loc, slot, blockSize);
                      Value row =
                          arith::RemUIOp::create(b, loc, slot, blockSize);
                      scf::YieldOp::create(
                          b, loc,
                          ValueRange{insertToken(b, loc, key, pools[0], batch,
                                                 token, block, row),
                                     insertToken(b, loc, value, pools[1],
                                                 batch, token, block, row)});
                    },
                    [&](OpBuilder &b, Location loc) {
                      scf::YieldOp::create(b, loc, pools);
                    });
                scf::YieldOp::create(b, loc, write.getResults());
              });
          scf::YieldOp::create(b, loc, tokenLoop.getResults());
        });
    rewriter.replaceOp(op, batchLoop.getResults());
    return success();
  }
};

} // namespace

void xf::populateXFDataMovementToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<EmbeddingLowering, KVCacheWriteLowering>(patterns.getContext());
}
