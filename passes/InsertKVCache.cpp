//===- InsertKVCache.cpp - attention over a paged KV pool -----------------===//
//
// Rewrites @main so that every xf.attention writes its new keys and values
// into a paged KV pool and attends through block tables (xf.kv_cache_write,
// xf.paged_attention). The call then takes a flattened token stream: B
// sequences of S new tokens each (left-padded), laid end to end as
// input_ids [1, B*S], with per-token positions and pool slots; the runtime
// owns the pools and the block tables between calls. A model exported with
// past_key_values / present (optimum) loses both: its Concat-based cache is
// replaced, not kept. The signature contract is in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionUtils.h"
#include "passes/Passes.h"
#include "xf/Kernels.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-insert-kv-cache"

namespace xf {
#define GEN_PASS_DEF_INSERTKVCACHEPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;
using namespace xf;

namespace {

StringRef argName(func::FuncOp func, unsigned index) {
  auto name = func.getArgAttrOfType<StringAttr>(index, "onnx.name");
  return name ? name.getValue() : StringRef();
}

StringRef resultName(func::FuncOp func, unsigned index) {
  auto name = func.getResultAttrOfType<StringAttr>(index, "onnx.name");
  return name ? name.getValue() : StringRef();
}

/// The function arguments `value` is computed from. With `dataOnly`, an
/// argument read only through onnx.Shape (its length, not its contents) or
/// through an xf.attention (an earlier layer's) does not count.
llvm::SmallDenseSet<BlockArgument> argumentLeaves(Value value,
                                                  bool dataOnly = false) {
  llvm::SmallDenseSet<BlockArgument> leaves;
  SmallVector<Value> worklist = {value};
  llvm::DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (isa<func::FuncOp>(arg.getOwner()->getParentOp()))
        leaves.insert(arg);
      continue;
    }
    Operation *op = v.getDefiningOp();
    // An earlier layer's attention reads its own cache, which this pass
    // pages too.
    if (dataOnly && isa<ONNX::ShapeOp, XF::AttentionOp>(op))
      continue;
    for (Value operand : op->getOperands())
      worklist.push_back(operand);
    // Values captured by regions (none in onnx/xf today) count too.
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        worklist.push_back(operand);
    });
  }
  return leaves;
}

/// One attention and where its new keys and values come from.
struct LayerPlan {
  XF::AttentionOp attention;
  Value newKey, newValue;
  /// The optimum cache's Concat(past, new) on the sequence axis, if any.
  Operation *keyConcat = nullptr, *valueConcat = nullptr;
};

struct InsertKVCachePass
    : xf::impl::InsertKVCachePassBase<InsertKVCachePass> {
  using Base::Base;

  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal()) {
      getOperation().emitError() << "xf-insert-kv-cache needs a func.func @main";
      return signalPassFailure();
    }
    if (strict) {
      if (failed(run(func)))
        signalPassFailure();
      return;
    }
    runOrWarn(func);
  }

  /// The fallback xfc uses: pages a copy of @main and keeps it only if every
  /// layer could be paged (run() may fail after it began rewriting). Else
  /// @main stays as exported, and a warning lists why, each reason a note at
  /// the op it is about.
  void runOrWarn(func::FuncOp func) {
    // Nothing to page: no copy, no warning (xfc says so itself).
    if (!func.walk([](XF::AttentionOp) { return WalkResult::interrupt(); })
             .wasInterrupted())
      return;
    OwningOpRef<func::FuncOp> copy(func.clone());
    SmallVector<std::pair<Location, std::string>> reasons;
    LogicalResult paged = failure();
    {
      ScopedDiagnosticHandler capture(&getContext(), [&](Diagnostic &diag) {
        reasons.emplace_back(diag.getLocation(), diag.str());
        return success();
      });
      paged = run(*copy);
    }
    if (succeeded(paged)) {
      func->getBlock()->getOperations().insert(Block::iterator(func),
                                               copy.release());
      func.erase();
      return;
    }
    // xfc prints this line as it is; test/corpus/check_corpus.py parses it.
    // At the location, not the op: no dump of @main as a note.
    InFlightDiagnostic warning =
        mlir::emitWarning(func.getLoc(), "the KV cache is not paged, because:");
    for (auto &[loc, reason] : reasons)
      warning.attachNote(loc) << reason;
  }

  LogicalResult run(func::FuncOp func) {
    // Arguments by role.
    std::optional<unsigned> idsArg, positionsArg, maskArg;
    llvm::SmallDenseSet<BlockArgument> pastArgs;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      StringRef name = argName(func, i);
      if (name == "input_ids")
        idsArg = i;
      else if (name == "position_ids")
        positionsArg = i;
      else if (name == "attention_mask")
        maskArg = i;
      else if (name.starts_with("past_key_values.") ||
               name.starts_with("past_key.") ||
               name.starts_with("past_value."))
        pastArgs.insert(func.getArgument(i));
    }
    SmallVector<XF::AttentionOp> attentions;
    func.walk([&](XF::AttentionOp op) { attentions.push_back(op); });
    // Nothing to page (not a language model, or its attention did not
    // fuse): the function stays as it is.
    if (attentions.empty())
      return success();
    if (!idsArg)
      return func.emitError() << "xf-insert-kv-cache: @main has attention "
                                 "but no argument named input_ids";

    // Plan every layer before changing anything.
    SmallVector<LayerPlan> plans;
    for (XF::AttentionOp attention : attentions) {
      LayerPlan plan;
      plan.attention = attention;
      if (failed(splitCache(attention, attention.getKey(), pastArgs,
                            plan.newKey, plan.keyConcat)) ||
          failed(splitCache(attention, attention.getValue(), pastArgs,
                            plan.newValue, plan.valueConcat)))
        return failure();
      // The paged step attends exactly by causal, window and softcap: any
      // other mask (the fusion could not prove it is one of those; with
      // xf-bind-attention-mask a padding input is gone) cannot be paged.
      if (attention.getMask())
        return attention.emitError()
               << "xf-insert-kv-cache: this attention has a mask other than "
                  "causal and a sliding window (see the fusion's remark), "
                  "which the paged cache cannot apply";
      if (!attention.getCausal())
        return attention.emitError()
               << "xf-insert-kv-cache: this attention is not causal; a "
                  "decode step over a cache needs causal attention";
      auto keyType = cast<RankedTensorType>(plan.newKey.getType());
      auto valueType = cast<RankedTensorType>(plan.newValue.getType());
      auto queryType = cast<RankedTensorType>(attention.getQuery().getType());
      if (keyType.isDynamicDim(1) || keyType.isDynamicDim(3) ||
          valueType.isDynamicDim(3) || queryType.isDynamicDim(1) ||
          queryType.isDynamicDim(3))
        return attention.emitError()
               << "xf-insert-kv-cache: heads and head sizes must be static, "
                  "got query "
               << queryType << ", new keys " << keyType;
      plans.push_back(plan);
    }

    // When every layer attends within a window, the runtime may release a
    // sequence's blocks behind the smallest one (a model with any global
    // layer keeps them all).
    std::optional<int64_t> window;
    for (LayerPlan &plan : plans) {
      std::optional<int64_t> w = plan.attention.getWindow();
      if (!w) {
        window.reset();
        break;
      }
      window = std::min(window.value_or(*w), *w);
    }

    OpBuilder builder(func.getContext());
    MLIRContext *ctx = func.getContext();
    Block &entry = func.getBody().front();
    auto i32 = builder.getI32Type();
    auto addArgument = [&](Type type, StringRef name) -> BlockArgument {
      unsigned index = func.getNumArguments();
      NamedAttrList attrs;
      attrs.append("onnx.name", StringAttr::get(ctx, name));
      (void)func.insertArgument(index, type, attrs.getDictionary(ctx),
                                func.getLoc());
      return entry.getArgument(index);
    };
    int64_t dyn = ShapedType::kDynamic;
    if (!positionsArg) {
      addArgument(RankedTensorType::get({dyn, dyn}, builder.getI64Type()),
                  "position_ids");
      positionsArg = func.getNumArguments() - 1;
    }
    Value positions = func.getArgument(*positionsArg);
    Value slots = addArgument(RankedTensorType::get({dyn, dyn}, i32),
                              "slot_mapping");
    Value blockTables = addArgument(RankedTensorType::get({dyn, dyn}, i32),
                                    "block_tables");
    Value contextLens = addArgument(RankedTensorType::get({dyn}, i32),
                                    "context_lens");

    SmallVector<std::pair<Value, Value>> pools;
    for (auto [layer, plan] : llvm::enumerate(plans)) {
      auto keyType = cast<RankedTensorType>(plan.newKey.getType());
      auto valueType = cast<RankedTensorType>(plan.newValue.getType());
      auto poolType = [&](RankedTensorType t) {
        return RankedTensorType::get({dyn, t.getDimSize(1), blockSize,
                                      t.getDimSize(3)},
                                     t.getElementType());
      };
      std::string prefix = "kv_cache." + std::to_string(layer);
      Value keyPool = addArgument(poolType(keyType), prefix + ".key");
      Value valuePool = addArgument(poolType(valueType), prefix + ".value");
      pools.push_back({keyPool, valuePool});
    }
    // Last layer first: a later layer's plan may hold an earlier attention's
    // result (its keys computed from it), which rewriting that earlier
    // attention replaces and erases; rewritten first, the later layer's new
    // ops are among the uses that replacement redirects.
    for (int64_t layer = plans.size() - 1; layer >= 0; --layer)
      rewriteAttention(builder, plans[layer], pools[layer].first,
                       pools[layer].second, slots, blockTables, contextLens);

    // The cache outputs (present.*) go: the pool holds what they held.
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    llvm::BitVector dropResults(func.getNumResults());
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      StringRef name = resultName(func, i);
      Operation *def = ret.getOperand(i).getDefiningOp();
      bool isCache = name.starts_with("present");
      for (const LayerPlan &plan : plans)
        isCache |= def && (def == plan.keyConcat || def == plan.valueConcat);
      if (isCache)
        dropResults.set(i);
    }
    SmallVector<Value> kept;
    for (unsigned i = 0; i < ret.getNumOperands(); ++i)
      if (!dropResults.test(i))
        kept.push_back(ret.getOperand(i));
    builder.setInsertionPoint(ret);
    func::ReturnOp::create(builder, ret.getLoc(), kept);
    ret.erase();
    if (failed(func.eraseResults(dropResults)))
      return failure();
    eraseDeadOps(func);

    // Positions computed in the graph (Range(past, past + seq) or
    // Range(0, seq)) become the runtime's per-token positions.
    if (failed(replacePositionRanges(builder, func, positions, *idsArg,
                                     pastArgs, maskArg)))
      return failure();
    eraseDeadOps(func);

    // What nothing reads any more leaves the signature; a past or mask input
    // still read is a form this pass does not handle.
    llvm::BitVector dropArgs(func.getNumArguments());
    for (BlockArgument past : pastArgs) {
      if (!past.use_empty())
        return describeLeftoverUse(past, argName(func, past.getArgNumber()));
      dropArgs.set(past.getArgNumber());
    }
    if (maskArg) {
      BlockArgument mask = func.getArgument(*maskArg);
      if (!mask.use_empty())
        return describeLeftoverUse(mask, "attention_mask");
      dropArgs.set(*maskArg);
    }
    // The contract above as dim_params: the token-stream inputs share one
    // [1, tokens] shape, block_tables and context_lens one sequence count.
    // The CPU pipeline checks the names once on entry (xf-check-dim-params);
    // the shape analysis then proves what mixes them (the positions against
    // the tokens in the rotary tables and GPT-2's position embedding).
    auto names = [&](ArrayRef<StringRef> dims) {
      return builder.getStrArrayAttr(dims);
    };
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      StringRef name = argName(func, i);
      if (i == *idsArg || i == *positionsArg || name == "slot_mapping")
        func.setArgAttr(i, "onnx.dim_params",
                        names({"xf.stream", "xf.tokens"}));
      else if (name == "block_tables")
        func.setArgAttr(i, "onnx.dim_params", names({"xf.sequences", ""}));
      else if (name == "context_lens")
        func.setArgAttr(i, "onnx.dim_params", names({"xf.sequences"}));
    }
    if (failed(func.eraseArguments(dropArgs)))
      return failure();
    func->setAttr("xf.kv_block_size", builder.getI64IntegerAttr(blockSize));
    if (window)
      func->setAttr("xf.kv_window", builder.getI64IntegerAttr(*window));
    LDBG() << "paged " << plans.size() << " attention layers";
    return success();
  }

  /// Finds the new keys (or values) of `cache`: the second operand of an
  /// optimum Concat(past, new) on the sequence axis, or `cache` itself when
  /// it is computed from this call's tokens only.
  LogicalResult splitCache(XF::AttentionOp attention, Value cache,
                           const llvm::SmallDenseSet<BlockArgument> &pastArgs,
                           Value &fresh, Operation *&concat) {
    if (auto cat = cache.getDefiningOp<ONNX::ConcatOp>()) {
      int64_t axis = cat.getAxis();
      if (axis < 0)
        axis += 4;
      auto past = dyn_cast<BlockArgument>(cat.getInputs().front());
      if (cat.getInputs().size() == 2 && axis == 2 && past &&
          pastArgs.contains(past)) {
        fresh = cat.getInputs()[1];
        concat = cat;
        for (Operation *user : cat->getUsers())
          if (user != attention && !isa<func::ReturnOp>(user))
            return user->emitError()
                   << "xf-insert-kv-cache: reads the concatenated KV cache "
                      "of a layer for something other than its attention";
        if (llvm::any_of(argumentLeaves(fresh, /*dataOnly=*/true),
                         [&](BlockArgument a) {
              return pastArgs.contains(a);
            }))
          return attention.emitError()
                 << "xf-insert-kv-cache: the new keys/values depend on the "
                    "past cache";
        return success();
      }
    }
    for (BlockArgument leaf : argumentLeaves(cache, /*dataOnly=*/true))
      if (pastArgs.contains(leaf))
        return attention.emitError()
               << "xf-insert-kv-cache: keys/values read the past cache in a "
                  "form other than Concat(past, new) on axis 2";
    fresh = cache;
    return success();
  }

  /// attention(q, k, v) -> kv_cache_write + paged_attention, with the
  /// flattened [1, H, B*S, D] tokens viewed as B sequences of S.
  void rewriteAttention(OpBuilder &builder, const LayerPlan &plan,
                        Value keyPool, Value valuePool, Value slots,
                        Value blockTables, Value contextLens) {
    XF::AttentionOp attention = plan.attention;
    Location loc = attention.getLoc();
    builder.setInsertionPoint(attention);
    auto write = XF::KVCacheWriteOp::create(
        builder, loc, keyPool.getType(), valuePool.getType(), plan.newKey,
        plan.newValue, keyPool, valuePool, slots);

    // A fresh prompt (one sequence, nothing cached before its tokens) has
    // exactly its new keys and values as context: it attends to them where
    // they are, contiguous, through the flash-attention lowering; the pool
    // was written above for the steps that follow. Anything else (decode,
    // a prompt behind a cached prefix) reads the pool, and so does a prompt
    // of at most kFewRowsMatmul tokens: the paged lowering computes each
    // of that many rows exactly as a decode step would (flash attention's
    // key tiles and kernel calls round differently), so a short prompt's
    // logits are those a speculative verify step gives for the same rows.
    Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
    Value oneIndex = arith::ConstantIndexOp::create(builder, loc, 1);
    Value single = arith::CmpIOp::create(
        builder, loc, arith::CmpIPredicate::eq,
        tensor::DimOp::create(builder, loc, contextLens, 0), oneIndex);
    Value length = arith::IndexCastOp::create(
        builder, loc, builder.getIndexType(),
        tensor::ExtractOp::create(builder, loc, contextLens, ValueRange{zero}));
    Value tokens = tensor::DimOp::create(builder, loc, attention.getQuery(), 2);
    Value fresh = arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::eq,
                                        length, tokens);
    Value many = arith::CmpIOp::create(
        builder, loc, arith::CmpIPredicate::ugt, tokens,
        arith::ConstantIndexOp::create(builder, loc, kFewRowsMatmul));
    Value contiguous = arith::AndIOp::create(
        builder, loc, single,
        arith::AndIOp::create(builder, loc, fresh, many));
    auto branch = scf::IfOp::create(builder, loc,
                                    TypeRange{attention.getType()}, contiguous,
                                    /*withElseRegion=*/true);
    builder.setInsertionPointToStart(branch.thenBlock());
    Value flash = XF::AttentionOp::create(
        builder, loc, attention.getType(), attention.getQuery(), plan.newKey,
        plan.newValue, Value(), attention.getScaleAttr(),
        attention.getSoftcapAttr(), attention.getCausalAttr(),
        attention.getWindowAttr());
    scf::YieldOp::create(builder, loc, flash);
    builder.setInsertionPointToStart(branch.elseBlock());

    auto queryType = cast<RankedTensorType>(attention.getQuery().getType());
    auto resultType = cast<RankedTensorType>(attention.getType());
    int64_t dyn = ShapedType::kDynamic;
    int64_t heads = queryType.getDimSize(1);
    Type element = queryType.getElementType();
    // [1, H, B*S, D] -> [H, B, S, D] -> [B, H, S, D]
    Value batch = ONNX::ShapeOp::create(
        builder, loc, RankedTensorType::get({1}, builder.getI64Type()),
        contextLens, builder.getI64IntegerAttr(0), IntegerAttr());
    auto i64Shape = RankedTensorType::get({4}, builder.getI64Type());
    Value splitShape = ONNX::ConcatOp::create(
        builder, loc, i64Shape,
        ValueRange{fusion::createI64Constant(builder, loc, {heads}), batch,
                   fusion::createI64Constant(builder, loc,
                                             {-1, queryType.getDimSize(3)})},
        builder.getI64IntegerAttr(0));
    Value split = ONNX::ReshapeOp::create(
        builder, loc,
        RankedTensorType::get({heads, dyn, dyn, queryType.getDimSize(3)},
                              element),
        attention.getQuery(), splitShape, builder.getI64IntegerAttr(0));
    Value query = ONNX::TransposeOp::create(
        builder, loc,
        RankedTensorType::get({dyn, heads, dyn, queryType.getDimSize(3)},
                              element),
        split, builder.getI64ArrayAttr({1, 0, 2, 3}));
    int64_t valueDim = resultType.getDimSize(3);
    Value paged = XF::PagedAttentionOp::create(
        builder, loc,
        RankedTensorType::get({dyn, heads, dyn, valueDim}, element), query,
        write.getUpdatedKeyPool(), write.getUpdatedValuePool(), blockTables,
        contextLens, attention.getScaleAttr(), attention.getSoftcapAttr(),
        attention.getCausalAttr(), attention.getWindowAttr());
    // [B, H, S, Dv] -> [H, B, S, Dv] -> [1, H, B*S, Dv]
    Value back = ONNX::TransposeOp::create(
        builder, loc,
        RankedTensorType::get({heads, dyn, dyn, valueDim}, element), paged,
        builder.getI64ArrayAttr({1, 0, 2, 3}));
    // The sizes are read from the query, not written as constants or -1:
    // shape inference gives the result the attention's type back (consumers
    // keep their declared types), and the symbolic shape analysis sees that
    // both branches yield the query's sizes, so the residual add after the
    // attention needs no run-time broadcast check. allowzero: a size of 0
    // is 0, not "copy the input's".
    Value querySizes = ONNX::ShapeOp::create(
        builder, loc, RankedTensorType::get({3}, builder.getI64Type()),
        attention.getQuery(), builder.getI64IntegerAttr(0),
        builder.getI64IntegerAttr(3));
    Value joinShape = ONNX::ConcatOp::create(
        builder, loc, i64Shape,
        ValueRange{querySizes,
                   fusion::createI64Constant(builder, loc, {valueDim})},
        builder.getI64IntegerAttr(0));
    Value joined =
        ONNX::ReshapeOp::create(builder, loc, resultType, back, joinShape,
                                builder.getI64IntegerAttr(1));
    scf::YieldOp::create(builder, loc, joined);
    attention.replaceAllUsesWith(branch.getResult(0));
    attention.erase();
  }

  /// Replaces each live integer onnx.Range computed from the sequence length
  /// or the past length (the tokens' positions, as exporters compute them
  /// when the model takes no position_ids) by the flattened position_ids.
  LogicalResult
  replacePositionRanges(OpBuilder &builder, func::FuncOp func, Value positions,
                        unsigned idsArg,
                        const llvm::SmallDenseSet<BlockArgument> &pastArgs,
                        std::optional<unsigned> maskArg) {
    SmallVector<ONNX::RangeOp> ranges;
    func.walk([&](ONNX::RangeOp range) { ranges.push_back(range); });
    for (ONNX::RangeOp range : ranges) {
      auto type = cast<RankedTensorType>(range.getType());
      bool fromSequence = false;
      for (BlockArgument leaf : argumentLeaves(range)) {
        unsigned n = leaf.getArgNumber();
        fromSequence |= n == idsArg || pastArgs.contains(leaf) || n == maskArg;
      }
      if (!fromSequence)
        continue;
      if (!isa<IntegerType>(type.getElementType()) ||
          !fusion::isSplatNear(range.getDelta(), 1.0))
        return range.emitError()
               << "xf-insert-kv-cache: a Range over the sequence that is not "
                  "an integer range of step 1 (positions expected)";
      Location loc = range.getLoc();
      builder.setInsertionPoint(range);
      // [1, tokens] -> [tokens], the length read from the positions rather
      // than left to -1: the shape analysis follows a size, not the product
      // the -1 stands for, so the tables built from the positions are proven
      // as long as the tokens they rotate. allowzero: 0 tokens is 0.
      auto i64Vector = RankedTensorType::get({1}, builder.getI64Type());
      Value tokens = ONNX::ShapeOp::create(builder, loc, i64Vector, positions,
                                           builder.getI64IntegerAttr(1),
                                           builder.getI64IntegerAttr(2));
      Value flat = ONNX::ReshapeOp::create(
          builder, loc,
          RankedTensorType::get({ShapedType::kDynamic}, builder.getI64Type()),
          positions, tokens, builder.getI64IntegerAttr(1));
      if (!type.getElementType().isInteger(64))
        flat = ONNX::CastOp::create(builder, loc, type, flat,
                                    TypeAttr::get(type.getElementType()),
                                    builder.getI64IntegerAttr(1),
                                    builder.getStringAttr("up"));
      range.replaceAllUsesWith(flat);
      range.erase();
    }
    return success();
  }

  static void eraseDeadOps(func::FuncOp func) {
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<Operation *> dead;
      func.walk<WalkOrder::PostOrder>([&](Operation *op) {
        if (op != func && !op->hasTrait<OpTrait::IsTerminator>() &&
            op->use_empty() && isMemoryEffectFree(op))
          dead.push_back(op);
      });
      for (Operation *op : llvm::reverse(dead)) {
        op->erase();
        changed = true;
      }
    }
  }

  LogicalResult describeLeftoverUse(BlockArgument arg, StringRef name) {
    Operation *user = *arg.getUsers().begin();
    return user->emitError()
           << "xf-insert-kv-cache: input " << name << " is still read (by "
           << user->getName()
           << ") after the cache was paged; only the attention mask, the "
              "positions and the Concat-based cache may read it";
  }
};

} // namespace
