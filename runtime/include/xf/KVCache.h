//===- KVCache.h - the paged KV cache's blocks and sequences ----*- C++ -*-===//
//
// The KV pool is an array of fixed-size blocks (`blockTokens` token slots
// each, default 16). A sequence is a block table (block ids, in token order)
// and a length; token i of a sequence lives in block table[i / blockTokens],
// slot i % blockTokens. Blocks are reference counted: fork shares them, and
// a write into a block that someone else also holds copies it first
// (copy-on-write). A full block whose K/V has been computed is registered
// under its prefix (the previous blocks and its own token ids), so a later
// prompt with the same prefix shares it instead of recomputing it. Blocks
// that no sequence holds but that are registered stay cached until memory is
// needed, then are evicted least recently used.
//
// Storage: one 64-byte-aligned allocation for the whole pool, a 6-d array
//
//   [layer][k|v][block][kv_head][slot][head_dim]     (k = 0, v = 1)
//
// of elements of `elementBytes` bytes, row-major, except that the stride
// between blocks is rounded up to a multiple of 64 bytes (blockStrideBytes;
// it equals kvHeads * blockTokens * headDim * elementBytes whenever that is
// a multiple of 64, as it is for every real model), so every block starts
// 64-byte aligned. poolLayout() gives sizes and strides in elements, i.e.
// exactly a strided memref descriptor of rank 6 over poolData().
//
// Two-phase append: appendTokens (or createSequence) reserves slots and
// records the token ids; the caller then writes K and V for the new positions
// (generated code, through the block table) and calls markComputed. Only
// computed full blocks enter the prefix cache, so a lookup never shares a
// block whose K/V has not been written yet.
//
// Not thread-safe: one scheduler thread owns a KVCache. Generated code reads
// and writes the pool's memory concurrently, but never calls these methods.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_KVCACHE_H
#define XF_RUNTIME_INCLUDE_XF_KVCACHE_H

#include "xf/Result.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace xf {

struct KVCacheConfig {
  int64_t layers = 0;
  int64_t kvHeads = 0;
  int64_t headDim = 0;
  /// Bytes of one K or V element: 4 for f32, 2 for f16/bf16, 1 for i8.
  int64_t elementBytes = 4;
  /// Token slots per block.
  int64_t blockTokens = 16;
  /// Memory for the pool; it holds budgetBytes / bytesPerBlock() blocks.
  int64_t budgetBytes = 0;
  /// For tests only: replaces the XXH3 prefix hash (e.g. with a constant, to
  /// prove that hash collisions never make blocks shared wrongly).
  uint64_t (*blockHash)(uint64_t parentHash, const int32_t *tokens,
                        int64_t count) = nullptr;
};

/// Sizes and strides, in elements, of the pool as the 6-d array
/// [layers][2][blocks][kvHeads][blockTokens][headDim].
struct KVPoolLayout {
  std::array<int64_t, 6> sizes;
  std::array<int64_t, 6> strides;
};

/// A snapshot of the pool's occupancy (KVCache::stats()).
struct KVCacheStats {
  int64_t totalBlocks = 0;
  int64_t usedBlocks = 0;   ///< held by at least one sequence
  int64_t cachedBlocks = 0; ///< held by none, registered, evictable
  int64_t freeBlocks = 0;   ///< neither
  int64_t sharedBlocks = 0; ///< held more than once (refcount > 1)
  int64_t usedBytes = 0;    ///< usedBlocks * bytesPerBlock (all layers, K+V)
  int64_t sequences = 0;
  /// Token slots of the used blocks, and how many of them hold a token of
  /// some sequence (a block shared by sequences of different lengths counts
  /// its longest fill). wasteSlots = allocatedSlots - storedTokens: at most
  /// one partial block per sequence.
  int64_t allocatedSlots = 0;
  int64_t storedTokens = 0;
  int64_t wasteSlots = 0;
};

enum class KVBlockState : uint8_t { Free, InUse, Cached };

class KVCache {
public:
  using SequenceId = int64_t;
  using BlockId = int32_t;
  enum KV : int { Key = 0, Value = 1 };

  /// Validates `config`, sizes the pool from its budget and allocates it
  /// (uninitialized; the OS commits pages as they are first written). Fails
  /// if the budget holds no block.
  static Result<KVCache> create(const KVCacheConfig &config);

  KVCache(KVCache &&) = default;
  KVCache &operator=(KVCache &&) = default;
  KVCache(const KVCache &) = delete;
  KVCache &operator=(const KVCache &) = delete;

  //===--- Geometry and storage ------------------------------------------===//

  const KVCacheConfig &config() const { return cfg; }
  int64_t blockTokens() const { return cfg.blockTokens; }
  int64_t totalBlocks() const { return numBlocks; }
  /// layers * 2 * kvHeads * headDim * elementBytes.
  int64_t bytesPerToken() const;
  /// Bytes between consecutive blocks of one [layer][k|v] plane (64-aligned).
  int64_t blockStrideBytes() const { return blockStride; }
  /// Bytes of one block over all layers, K and V: layers * 2 * blockStride.
  int64_t bytesPerBlock() const { return 2 * cfg.layers * blockStride; }

  /// The pool's base address, 64-byte aligned.
  std::byte *poolData() { return pool.get(); }
  const std::byte *poolData() const { return pool.get(); }
  KVPoolLayout poolLayout() const;
  /// Start of block `block` of plane [layer][kv]: kvHeads x blockTokens x
  /// headDim elements.
  std::byte *blockData(int64_t layer, KV kv, BlockId block);
  /// The headDim elements of one slot of one KV head.
  std::byte *slotData(int64_t layer, KV kv, BlockId block, int64_t kvHead,
                      int64_t slot);

  //===--- Sequences -----------------------------------------------------===//

  struct NewSequence {
    SequenceId id;
    /// Leading prompt tokens whose K/V is already in the pool (shared from
    /// the prefix cache, whole blocks): the caller computes only
    /// prompt[cachedTokens..] and then calls markComputed. Always less than
    /// the prompt's length, so the last prompt token is computed (its
    /// logits are needed); 0 for an empty prompt.
    int64_t cachedTokens;
  };

  /// A sequence holding `prompt`: shares the longest cached prefix of whole
  /// blocks, then reserves slots for the rest. All or nothing: if the pool
  /// cannot supply the blocks (free + evictable), fails and changes nothing
  /// but the LRU order. With `reusePrefix` false nothing is shared: every
  /// token is to be computed (when the caller needs all of their logits).
  Result<NewSequence> createSequence(const int32_t *prompt, int64_t count,
                                     bool reusePrefix = true);
  Result<NewSequence> createSequence(const std::vector<int32_t> &prompt,
                                     bool reusePrefix = true) {
    return createSequence(prompt.data(), static_cast<int64_t>(prompt.size()),
                          reusePrefix);
  }

  /// A new sequence sharing all of `parent`'s blocks (refcount + 1 each),
  /// with the same tokens, length and computed length. Allocates nothing.
  Result<SequenceId> fork(SequenceId parent);

  /// Reserves slots for `count` more tokens and records their ids: fills the
  /// last block, then takes new blocks. If the last block is partial and
  /// held by another sequence too (or registered in the prefix cache), it is
  /// first copied into a fresh block (its filled slots, every layer, K and
  /// V) that replaces it in this table. All or nothing, as createSequence.
  Result<void> appendTokens(SequenceId seq, const int32_t *tokens,
                            int64_t count);
  Result<void> appendTokens(SequenceId seq,
                            const std::vector<int32_t> &tokens) {
    return appendTokens(seq, tokens.data(),
                        static_cast<int64_t>(tokens.size()));
  }

  /// Declares that K and V of every reserved position of `seq` have been
  /// written; registers its newly computed full blocks in the prefix cache.
  void markComputed(SequenceId seq);

  /// Shortens `seq` to `length` tokens (speculative-decoding rollback,
  /// preemption of a tail); blocks past the end are released. Fails if
  /// `length` reaches into blocks releaseBefore has let go.
  Result<void> truncate(SequenceId seq, int64_t length);

  /// Sliding-window attention: releases `seq`'s blocks that hold only
  /// positions before `position` (no later query attends to them), and
  /// returns how many it released. Their table entries become kNoBlock
  /// (written as block 0 by writeBlockTables; the generated code never
  /// reads a block wholly outside its window). A registered block goes to
  /// the prefix cache as usual, so another prompt can still share it. The
  /// caller keeps every position it may still attend to or roll back to.
  int64_t releaseBefore(SequenceId seq, int64_t position);

  /// Releases `seq`'s blocks (refcount - 1 each; a block nobody holds goes to
  /// the cache if registered, else to the free list). Unknown ids are
  /// ignored.
  void freeSequence(SequenceId seq);

  bool contains(SequenceId seq) const { return seqs.count(seq) != 0; }
  /// The entry of a block table whose block releaseBefore let go.
  static constexpr BlockId kNoBlock = -1;

  /// The block table: block ids in token order (kNoBlock for blocks
  /// released before a window). Valid until the next call that changes this
  /// sequence.
  const std::vector<BlockId> &blockTable(SequenceId seq) const;
  int64_t length(SequenceId seq) const;
  int64_t computedLength(SequenceId seq) const;
  const std::vector<int32_t> &tokens(SequenceId seq) const;
  /// Live sequences, oldest first.
  std::vector<SequenceId> sequences() const;

  /// The most recently created (or forked) live sequence: the one to preempt
  /// (free, and recompute later) when an append fails for lack of blocks.
  std::optional<SequenceId> newestSequence() const;

  /// Writes the block tables of `ids` as a row-major [count, width] int32
  /// array, rows padded with block 0 (a valid block: code masks by length).
  /// Fails if a table is longer than `width` or an id is unknown.
  Result<void> writeBlockTables(const SequenceId *ids, int64_t count,
                                int64_t width, int32_t *out) const;

  //===--- Cache and accounting ------------------------------------------===//

  /// Evicts up to `maxBlocks` cached blocks, least recently used first;
  /// returns how many.
  int64_t evictCached(int64_t maxBlocks);

  /// Blocks an allocation could take now: free + cached.
  int64_t availableBlocks() const {
    return static_cast<int64_t>(freeList.size()) + cachedCount;
  }
  int refCount(BlockId block) const { return blocks[block].refs; }
  KVBlockState blockState(BlockId block) const;
  KVCacheStats stats() const;

  /// Checks the internal structures against each other (refcounts against
  /// the tables, free list, LRU list, prefix index); the message names the
  /// first violation. For tests and debugging: O(blocks + table entries).
  Result<void> checkInvariants() const;

private:
  struct FreeDeleter {
    void operator()(std::byte *p) const { std::free(p); }
  };

  struct Block {
    int32_t refs = 0;
    bool registered = false;
    bool onFreeList = false;
    /// Bumped whenever the block leaves the prefix index, so a child that
    /// names this block as its parent goes stale with it.
    uint32_t generation = 0;
    /// LRU links among cached blocks (-1: none).
    BlockId lruPrev = -1, lruNext = -1;
    /// Prefix identity when registered.
    uint64_t hash = 0;
    BlockId parent = -1;
    uint32_t parentGeneration = 0;
  };

  /// Where a sequence's chain of computed full blocks stands: the registered
  /// block that holds the same prefix (maybe not the sequence's own block,
  /// if an identical one was registered first).
  struct ChainLink {
    uint64_t hash;
    BlockId block;
    uint32_t generation;
  };

  struct Sequence {
    std::vector<BlockId> table;
    std::vector<int32_t> tokens;
    int64_t computed = 0;
    std::vector<ChainLink> chain; // one per computed full block
  };

  KVCache(const KVCacheConfig &config, int64_t blockCount, int64_t stride);

  uint64_t hashBlock(uint64_t parentHash, const int32_t *tokens) const;
  const int32_t *blockTokensOf(BlockId block) const;
  /// The registered block with this parent and these tokens, or -1.
  BlockId findRegistered(uint64_t hash, BlockId parent, uint32_t parentGen,
                         const int32_t *tokens) const;
  void registerBlock(BlockId block, uint64_t hash, BlockId parent,
                     uint32_t parentGen, const int32_t *tokens);
  void unregisterBlock(BlockId block);

  /// Takes one block from the free list, else evicts the LRU cached block.
  /// The caller has checked availableBlocks().
  BlockId takeBlock();
  void acquire(BlockId block);
  void release(BlockId block);
  void lruPushBack(BlockId block);
  void lruRemove(BlockId block);
  /// Blocks an append of `count` tokens to `seq` needs (COW + new).
  int64_t blocksNeeded(const Sequence &seq, int64_t count) const;
  Result<void> appendReserved(Sequence &seq, const int32_t *tokens,
                              int64_t count);
  void copyBlock(BlockId from, BlockId to, int64_t slots);
  ErrorMessage outOfBlocks(int64_t needed) const;

  KVCacheConfig cfg;
  int64_t numBlocks;
  int64_t blockStride;
  std::unique_ptr<std::byte, FreeDeleter> pool;
  std::vector<Block> blocks;
  /// Token ids of registered blocks, numBlocks x blockTokens.
  std::vector<int32_t> blockTokenIds;
  std::vector<BlockId> freeList;
  int64_t cachedCount = 0;
  BlockId lruHead = -1, lruTail = -1;
  std::unordered_multimap<uint64_t, BlockId> prefixIndex;
  std::map<SequenceId, Sequence> seqs;
  SequenceId nextId = 0;
};

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_KVCACHE_H
