//===- KVCache.cpp - the paged KV cache's blocks and sequences ------------===//

#include "xf/KVCache.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstring>
#include <string>

using namespace xf;

namespace {

constexpr int64_t kAlignment = 64;

int64_t roundUp(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

/// a * b, or -1 if it overflows int64 (operands are non-negative).
int64_t checkedMul(int64_t a, int64_t b) {
  int64_t product;
  if (__builtin_mul_overflow(a, b, &product))
    return -1;
  return product;
}

ErrorMessage noSequence(KVCache::SequenceId seq) {
  return ErrorMessage{"KV cache: no sequence " + std::to_string(seq)};
}

} // namespace

//===--- Creation and geometry --------------------------------------------===//

KVCache::KVCache(const KVCacheConfig &config, int64_t blockCount,
                 int64_t stride)
    : cfg(config), numBlocks(blockCount), blockStride(stride),
      blocks(static_cast<size_t>(blockCount)),
      blockTokenIds(static_cast<size_t>(blockCount * config.blockTokens)) {
  // Popped from the back: block 0 is taken first.
  freeList.reserve(static_cast<size_t>(blockCount));
  for (int64_t b = blockCount - 1; b >= 0; --b) {
    freeList.push_back(static_cast<BlockId>(b));
    blocks[static_cast<size_t>(b)].onFreeList = true;
  }
}

Result<KVCache> KVCache::create(const KVCacheConfig &config) {
  if (config.layers <= 0 || config.kvHeads <= 0 || config.headDim <= 0 ||
      config.elementBytes <= 0 || config.blockTokens <= 0 ||
      config.budgetBytes < 0)
    return ErrorMessage{"KV cache: invalid configuration: layers " +
                        std::to_string(config.layers) + ", KV heads " +
                        std::to_string(config.kvHeads) + ", head dim " +
                        std::to_string(config.headDim) + ", element bytes " +
                        std::to_string(config.elementBytes) +
                        ", block tokens " + std::to_string(config.blockTokens) +
                        ", budget " + std::to_string(config.budgetBytes) +
                        " (all must be positive, the budget non-negative)"};

  int64_t blockBytes =
      checkedMul(checkedMul(checkedMul(config.kvHeads, config.blockTokens),
                            config.headDim),
                 config.elementBytes);
  int64_t stride = blockBytes < 0 ? -1 : roundUp(blockBytes, kAlignment);
  int64_t perBlock = stride < 0 ? -1 : checkedMul(2 * config.layers, stride);
  if (blockBytes < 0 || perBlock < 0)
    return ErrorMessage{"KV cache: one block's size overflows 64 bits"};

  int64_t blocks = config.budgetBytes / perBlock;
  if (blocks == 0)
    return ErrorMessage{
        "KV cache: a budget of " + std::to_string(config.budgetBytes) +
        " bytes holds no block: one block of " +
        std::to_string(config.blockTokens) + " tokens takes " +
        std::to_string(perBlock) + " bytes (" + std::to_string(config.layers) +
        " layers x K,V x " + std::to_string(config.kvHeads) + " KV heads x " +
        std::to_string(config.headDim) + " x " +
        std::to_string(config.elementBytes) + " bytes per token)"};
  blocks = std::min<int64_t>(blocks, INT32_MAX);

  KVCache cache(config, blocks, stride);
  size_t bytes = static_cast<size_t>(blocks * perBlock);
  cache.pool.reset(
      static_cast<std::byte *>(std::aligned_alloc(kAlignment, bytes)));
  if (!cache.pool)
    return ErrorMessage{"KV cache: cannot allocate " + std::to_string(bytes) +
                        " bytes for " + std::to_string(blocks) + " blocks"};
  return cache;
}

int64_t KVCache::bytesPerToken() const {
  return cfg.layers * 2 * cfg.kvHeads * cfg.headDim * cfg.elementBytes;
}

KVPoolLayout KVCache::poolLayout() const {
  int64_t blockElems = blockStride / cfg.elementBytes;
  KVPoolLayout layout;
  layout.sizes = {cfg.layers,      2,          numBlocks, cfg.kvHeads,
                  cfg.blockTokens, cfg.headDim};
  layout.strides = {2 * numBlocks * blockElems,
                    numBlocks * blockElems,
                    blockElems,
                    cfg.blockTokens * cfg.headDim,
                    cfg.headDim,
                    1};
  return layout;
}

std::byte *KVCache::blockData(int64_t layer, KV kv, BlockId block) {
  assert(layer >= 0 && layer < cfg.layers && block >= 0 && block < numBlocks);
  return pool.get() + ((layer * 2 + kv) * numBlocks + block) * blockStride;
}

std::byte *KVCache::slotData(int64_t layer, KV kv, BlockId block,
                             int64_t kvHead, int64_t slot) {
  assert(kvHead >= 0 && kvHead < cfg.kvHeads && slot >= 0 &&
         slot < cfg.blockTokens);
  return blockData(layer, kv, block) +
         (kvHead * cfg.blockTokens + slot) * cfg.headDim * cfg.elementBytes;
}

void KVCache::copyBlock(BlockId from, BlockId to, int64_t slots) {
  size_t bytes = static_cast<size_t>(slots * cfg.headDim * cfg.elementBytes);
  for (int64_t layer = 0; layer < cfg.layers; ++layer)
    for (KV kv : {Key, Value})
      for (int64_t head = 0; head < cfg.kvHeads; ++head)
        std::memcpy(slotData(layer, kv, to, head, 0),
                    slotData(layer, kv, from, head, 0), bytes);
}

//===--- Block bookkeeping ------------------------------------------------===//

void KVCache::lruPushBack(BlockId block) {
  Block &b = blocks[block];
  b.lruPrev = lruTail;
  b.lruNext = -1;
  if (lruTail >= 0)
    blocks[lruTail].lruNext = block;
  else
    lruHead = block;
  lruTail = block;
  ++cachedCount;
}

void KVCache::lruRemove(BlockId block) {
  Block &b = blocks[block];
  if (b.lruPrev >= 0)
    blocks[b.lruPrev].lruNext = b.lruNext;
  else
    lruHead = b.lruNext;
  if (b.lruNext >= 0)
    blocks[b.lruNext].lruPrev = b.lruPrev;
  else
    lruTail = b.lruPrev;
  b.lruPrev = b.lruNext = -1;
  --cachedCount;
}

KVCache::BlockId KVCache::takeBlock() {
  if (!freeList.empty()) {
    BlockId block = freeList.back();
    freeList.pop_back();
    blocks[block].onFreeList = false;
    return block;
  }
  BlockId block = lruHead;
  assert(block >= 0 && "takeBlock without an available block");
  lruRemove(block);
  unregisterBlock(block);
  return block;
}

void KVCache::acquire(BlockId block) {
  Block &b = blocks[block];
  assert(!b.onFreeList);
  if (b.refs == 0 && b.registered)
    lruRemove(block);
  ++b.refs;
}

void KVCache::release(BlockId block) {
  Block &b = blocks[block];
  assert(b.refs > 0);
  if (--b.refs > 0)
    return;
  if (b.registered) {
    lruPushBack(block);
  } else {
    b.onFreeList = true;
    freeList.push_back(block);
  }
}

int64_t KVCache::evictCached(int64_t maxBlocks) {
  int64_t evicted = 0;
  while (evicted < maxBlocks && lruHead >= 0) {
    BlockId block = lruHead;
    lruRemove(block);
    unregisterBlock(block);
    blocks[block].onFreeList = true;
    freeList.push_back(block);
    ++evicted;
  }
  return evicted;
}

ErrorMessage KVCache::outOfBlocks(int64_t needed) const {
  return ErrorMessage{"KV cache full: need " + std::to_string(needed) +
                      " blocks of " + std::to_string(cfg.blockTokens) +
                      " tokens, " + std::to_string(availableBlocks()) +
                      " available (" + std::to_string(freeList.size()) +
                      " free + " + std::to_string(cachedCount) +
                      " cached) of " + std::to_string(numBlocks) +
                      "; free or preempt a sequence"};
}

//===--- Prefix index -----------------------------------------------------===//

uint64_t KVCache::hashBlock(uint64_t parentHash, const int32_t *tokens) const {
  if (cfg.blockHash)
    return cfg.blockHash(parentHash, tokens, cfg.blockTokens);
  return XXH3_64bits_withSeed(
      tokens, static_cast<size_t>(cfg.blockTokens) * sizeof(int32_t),
      parentHash);
}

const int32_t *KVCache::blockTokensOf(BlockId block) const {
  return blockTokenIds.data() + static_cast<size_t>(block) * cfg.blockTokens;
}

KVCache::BlockId KVCache::findRegistered(uint64_t hash, BlockId parent,
                                         uint32_t parentGen,
                                         const int32_t *tokens) const {
  auto [first, last] = prefixIndex.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    const Block &b = blocks[it->second];
    // The parent's identity (block and generation) stands for the whole
    // prefix before this block, checked the same way when it was found, so
    // equal tokens here mean an equal prefix, whatever the hash says.
    if (b.parent == parent && b.parentGeneration == parentGen &&
        std::memcmp(blockTokensOf(it->second), tokens,
                    static_cast<size_t>(cfg.blockTokens) * sizeof(int32_t)) ==
            0)
      return it->second;
  }
  return -1;
}

void KVCache::registerBlock(BlockId block, uint64_t hash, BlockId parent,
                            uint32_t parentGen, const int32_t *tokens) {
  Block &b = blocks[block];
  assert(!b.registered);
  b.registered = true;
  b.hash = hash;
  b.parent = parent;
  b.parentGeneration = parentGen;
  std::memcpy(blockTokenIds.data() +
                  static_cast<size_t>(block) * cfg.blockTokens,
              tokens, static_cast<size_t>(cfg.blockTokens) * sizeof(int32_t));
  prefixIndex.emplace(hash, block);
}

void KVCache::unregisterBlock(BlockId block) {
  Block &b = blocks[block];
  if (!b.registered)
    return;
  auto [first, last] = prefixIndex.equal_range(b.hash);
  for (auto it = first; it != last; ++it)
    if (it->second == block) {
      prefixIndex.erase(it);
      break;
    }
  b.registered = false;
  ++b.generation;
}

//===--- Sequences --------------------------------------------------------===//

int64_t KVCache::blocksNeeded(const Sequence &seq, int64_t count) const {
  if (count == 0)
    return 0;
  int64_t length = static_cast<int64_t>(seq.tokens.size());
  int64_t needed = (length + count + cfg.blockTokens - 1) / cfg.blockTokens -
                   static_cast<int64_t>(seq.table.size());
  if (length % cfg.blockTokens != 0 && blocks[seq.table.back()].refs > 1)
    ++needed;
  return needed;
}

Result<void> KVCache::appendReserved(Sequence &seq, const int32_t *tokens,
                                     int64_t count) {
  if (count == 0)
    return {};
  int64_t needed = blocksNeeded(seq, count);
  if (needed > availableBlocks())
    return outOfBlocks(needed);

  int64_t filled = static_cast<int64_t>(seq.tokens.size()) % cfg.blockTokens;
  if (filled != 0) {
    BlockId last = seq.table.back();
    if (blocks[last].refs > 1) {
      BlockId copy = takeBlock();
      acquire(copy);
      copyBlock(last, copy, filled);
      release(last);
      seq.table.back() = copy;
    } else {
      // Ours alone, but registered (a truncation left it partial): it is
      // about to hold other tokens, so it leaves the prefix index.
      unregisterBlock(last);
    }
  }
  seq.tokens.insert(seq.tokens.end(), tokens, tokens + count);
  int64_t length = static_cast<int64_t>(seq.tokens.size());
  while (static_cast<int64_t>(seq.table.size()) * cfg.blockTokens < length) {
    BlockId block = takeBlock();
    acquire(block);
    seq.table.push_back(block);
  }
  return {};
}

Result<KVCache::NewSequence> KVCache::createSequence(const int32_t *prompt,
                                                     int64_t count,
                                                     bool reusePrefix) {
  assert(count >= 0);
  Sequence seq;
  // Whole cached blocks, leaving at least the last prompt token to compute.
  int64_t maxShared =
      count > 0 && reusePrefix ? (count - 1) / cfg.blockTokens : 0;
  uint64_t parentHash = 0;
  BlockId parent = -1;
  uint32_t parentGen = 0;
  for (int64_t i = 0; i < maxShared; ++i) {
    const int32_t *blockTokens = prompt + i * cfg.blockTokens;
    uint64_t hash = hashBlock(parentHash, blockTokens);
    BlockId block = findRegistered(hash, parent, parentGen, blockTokens);
    if (block < 0)
      break;
    acquire(block);
    seq.table.push_back(block);
    seq.chain.push_back({hash, block, blocks[block].generation});
    parentHash = hash;
    parent = block;
    parentGen = blocks[block].generation;
  }
  int64_t cached = static_cast<int64_t>(seq.table.size()) * cfg.blockTokens;
  seq.tokens.assign(prompt, prompt + cached);
  seq.computed = cached;

  Result<void> appended = appendReserved(seq, prompt + cached, count - cached);
  if (!appended) {
    for (auto it = seq.table.rbegin(); it != seq.table.rend(); ++it)
      release(*it);
    return ErrorMessage{appended.error()};
  }
  SequenceId id = nextId++;
  seqs.emplace(id, std::move(seq));
  return NewSequence{id, cached};
}

Result<KVCache::SequenceId> KVCache::fork(SequenceId parent) {
  auto it = seqs.find(parent);
  if (it == seqs.end())
    return noSequence(parent);
  Sequence child = it->second;
  for (BlockId block : child.table)
    if (block != kNoBlock)
      acquire(block);
  SequenceId id = nextId++;
  seqs.emplace(id, std::move(child));
  return id;
}

Result<void> KVCache::appendTokens(SequenceId seq, const int32_t *tokens,
                                   int64_t count) {
  assert(count >= 0);
  auto it = seqs.find(seq);
  if (it == seqs.end())
    return noSequence(seq);
  return appendReserved(it->second, tokens, count);
}

void KVCache::markComputed(SequenceId id) {
  auto it = seqs.find(id);
  assert(it != seqs.end() && "markComputed of an unknown sequence");
  if (it == seqs.end())
    return;
  Sequence &seq = it->second;
  int64_t length = static_cast<int64_t>(seq.tokens.size());
  seq.computed = length;
  int64_t fullBlocks = length / cfg.blockTokens;
  for (int64_t i = static_cast<int64_t>(seq.chain.size()); i < fullBlocks;
       ++i) {
    const int32_t *blockTokens = seq.tokens.data() + i * cfg.blockTokens;
    ChainLink parent = i == 0 ? ChainLink{0, -1, 0} : seq.chain[i - 1];
    uint64_t hash = hashBlock(parent.hash, blockTokens);
    BlockId block = seq.table[i];
    // Released before a window: the chain (and so the prefix cache) stops
    // here for this sequence.
    if (block == kNoBlock)
      break;
    BlockId same =
        findRegistered(hash, parent.block, parent.generation, blockTokens);
    if (same < 0 && !blocks[block].registered) {
      registerBlock(block, hash, parent.block, parent.generation, blockTokens);
      same = block;
    }
    // An identical block registered first stays the one the index knows;
    // this sequence's copy is freed, not cached, when released.
    BlockId canonical = same >= 0 ? same : block;
    seq.chain.push_back({hash, canonical, blocks[canonical].generation});
  }
}

Result<void> KVCache::truncate(SequenceId id, int64_t length) {
  auto it = seqs.find(id);
  if (it == seqs.end())
    return noSequence(id);
  Sequence &seq = it->second;
  if (length < 0 || length > static_cast<int64_t>(seq.tokens.size()))
    return ErrorMessage{"KV cache: cannot truncate sequence " +
                        std::to_string(id) + " of " +
                        std::to_string(seq.tokens.size()) + " tokens to " +
                        std::to_string(length)};
  int64_t released = std::find_if(seq.table.begin(), seq.table.end(),
                                  [](BlockId b) { return b != kNoBlock; }) -
                     seq.table.begin();
  if (length < released * cfg.blockTokens)
    return ErrorMessage{"KV cache: cannot truncate sequence " +
                        std::to_string(id) + " to " + std::to_string(length) +
                        " tokens: its first " +
                        std::to_string(released * cfg.blockTokens) +
                        " were released (outside the attention window)"};
  size_t keepBlocks =
      static_cast<size_t>((length + cfg.blockTokens - 1) / cfg.blockTokens);
  while (seq.table.size() > keepBlocks) {
    release(seq.table.back());
    seq.table.pop_back();
  }
  seq.tokens.resize(static_cast<size_t>(length));
  seq.computed = std::min(seq.computed, length);
  seq.chain.resize(std::min(seq.chain.size(),
                            static_cast<size_t>(length / cfg.blockTokens)));
  return {};
}

void KVCache::freeSequence(SequenceId id) {
  auto it = seqs.find(id);
  if (it == seqs.end())
    return;
  // Last block first, so that a prefix's tail is evicted before its head
  // (a cached block is useless once its parent is gone).
  const std::vector<BlockId> &table = it->second.table;
  for (auto block = table.rbegin(); block != table.rend(); ++block)
    if (*block != kNoBlock)
      release(*block);
  seqs.erase(it);
}

int64_t KVCache::releaseBefore(SequenceId id, int64_t position) {
  auto it = seqs.find(id);
  if (it == seqs.end())
    return 0;
  Sequence &seq = it->second;
  int64_t end = std::min<int64_t>(position / cfg.blockTokens,
                                  static_cast<int64_t>(seq.table.size()));
  int64_t count = 0;
  for (int64_t i = 0; i < end; ++i) {
    BlockId &block = seq.table[static_cast<size_t>(i)];
    if (block == kNoBlock)
      continue;
    release(block);
    block = kNoBlock;
    ++count;
  }
  return count;
}

const std::vector<KVCache::BlockId> &KVCache::blockTable(SequenceId seq) const {
  auto it = seqs.find(seq);
  assert(it != seqs.end() && "blockTable of an unknown sequence");
  return it->second.table;
}

int64_t KVCache::length(SequenceId seq) const {
  auto it = seqs.find(seq);
  return it == seqs.end() ? 0 : static_cast<int64_t>(it->second.tokens.size());
}

int64_t KVCache::computedLength(SequenceId seq) const {
  auto it = seqs.find(seq);
  return it == seqs.end() ? 0 : it->second.computed;
}

const std::vector<int32_t> &KVCache::tokens(SequenceId seq) const {
  auto it = seqs.find(seq);
  assert(it != seqs.end() && "tokens of an unknown sequence");
  return it->second.tokens;
}

std::vector<KVCache::SequenceId> KVCache::sequences() const {
  std::vector<SequenceId> ids;
  ids.reserve(seqs.size());
  for (const auto &entry : seqs)
    ids.push_back(entry.first);
  return ids;
}

std::optional<KVCache::SequenceId> KVCache::newestSequence() const {
  if (seqs.empty())
    return std::nullopt;
  return seqs.rbegin()->first;
}

Result<void> KVCache::writeBlockTables(const SequenceId *ids, int64_t count,
                                       int64_t width, int32_t *out) const {
  for (int64_t row = 0; row < count; ++row) {
    auto it = seqs.find(ids[row]);
    if (it == seqs.end())
      return noSequence(ids[row]);
    const std::vector<BlockId> &table = it->second.table;
    if (static_cast<int64_t>(table.size()) > width)
      return ErrorMessage{"KV cache: sequence " + std::to_string(ids[row]) +
                          " has " + std::to_string(table.size()) +
                          " blocks, more than the table width " +
                          std::to_string(width)};
    int32_t *dst = out + row * width;
    std::transform(table.begin(), table.end(), dst,
                   [](BlockId b) { return b == kNoBlock ? 0 : b; });
    std::fill(dst + table.size(), dst + width, 0);
  }
  return {};
}

//===--- Accounting -------------------------------------------------------===//

KVBlockState KVCache::blockState(BlockId block) const {
  const Block &b = blocks[block];
  if (b.refs > 0)
    return KVBlockState::InUse;
  return b.registered ? KVBlockState::Cached : KVBlockState::Free;
}

KVCacheStats KVCache::stats() const {
  KVCacheStats s;
  s.totalBlocks = numBlocks;
  s.freeBlocks = static_cast<int64_t>(freeList.size());
  s.cachedBlocks = cachedCount;
  s.usedBlocks = numBlocks - s.freeBlocks - s.cachedBlocks;
  s.usedBytes = s.usedBlocks * bytesPerBlock();
  s.sequences = static_cast<int64_t>(seqs.size());
  for (const Block &b : blocks)
    if (b.refs > 1)
      ++s.sharedBlocks;
  std::vector<int64_t> fill(static_cast<size_t>(numBlocks), 0);
  for (const auto &entry : seqs) {
    const Sequence &seq = entry.second;
    int64_t length = static_cast<int64_t>(seq.tokens.size());
    for (size_t i = 0; i < seq.table.size(); ++i) {
      if (seq.table[i] == kNoBlock)
        continue;
      int64_t slots = std::min<int64_t>(
          cfg.blockTokens, length - static_cast<int64_t>(i) * cfg.blockTokens);
      int64_t &f = fill[static_cast<size_t>(seq.table[i])];
      f = std::max(f, slots);
    }
  }
  s.allocatedSlots = s.usedBlocks * cfg.blockTokens;
  for (int64_t f : fill)
    s.storedTokens += f;
  s.wasteSlots = s.allocatedSlots - s.storedTokens;
  return s;
}

Result<void> KVCache::checkInvariants() const {
  auto fail = [](const std::string &what) {
    return ErrorMessage{"KV cache invariant: " + what};
  };
  std::vector<int32_t> holders(static_cast<size_t>(numBlocks), 0);
  for (const auto &[id, seq] : seqs) {
    std::string name = "sequence " + std::to_string(id);
    int64_t length = static_cast<int64_t>(seq.tokens.size());
    int64_t expectedBlocks = (length + cfg.blockTokens - 1) / cfg.blockTokens;
    if (static_cast<int64_t>(seq.table.size()) != expectedBlocks)
      return fail(name + " has " + std::to_string(seq.table.size()) +
                  " blocks for " + std::to_string(length) + " tokens");
    if (seq.computed < 0 || seq.computed > length)
      return fail(name + " has computed length " +
                  std::to_string(seq.computed));
    if (static_cast<int64_t>(seq.chain.size()) > seq.computed / cfg.blockTokens)
      return fail(name + " has a prefix chain longer than its computed "
                         "full blocks");
    // Blocks released before a window are a prefix of the table.
    auto held = std::find_if(seq.table.begin(), seq.table.end(),
                             [](BlockId b) { return b != kNoBlock; });
    if (std::find(held, seq.table.end(), kNoBlock) != seq.table.end())
      return fail(name + " has a released block after a held one");
    std::vector<BlockId> sorted(held, seq.table.end());
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      return fail(name + " holds a block twice");
    for (auto b = held; b != seq.table.end(); ++b) {
      BlockId block = *b;
      if (block < 0 || block >= numBlocks)
        return fail(name + " holds block " + std::to_string(block));
      ++holders[static_cast<size_t>(block)];
    }
  }

  int64_t registered = 0;
  for (int64_t i = 0; i < numBlocks; ++i) {
    const Block &b = blocks[static_cast<size_t>(i)];
    std::string name = "block " + std::to_string(i);
    if (b.refs != holders[static_cast<size_t>(i)])
      return fail(name + " has refcount " + std::to_string(b.refs) + " but " +
                  std::to_string(holders[static_cast<size_t>(i)]) +
                  " tables hold it");
    if (b.refs > 0 && b.onFreeList)
      return fail(name + " is held and on the free list");
    if (b.onFreeList && b.registered)
      return fail(name + " is registered and on the free list");
    if (b.refs == 0 && !b.onFreeList && !b.registered)
      return fail(name + " is neither held, cached nor free (leaked)");
    if (b.registered) {
      ++registered;
      bool indexed = false;
      auto [first, last] = prefixIndex.equal_range(b.hash);
      for (auto it = first; it != last; ++it)
        indexed |= it->second == static_cast<BlockId>(i);
      if (!indexed)
        return fail(name + " is registered but not in the prefix index");
    }
  }
  if (registered != static_cast<int64_t>(prefixIndex.size()))
    return fail("the prefix index has " + std::to_string(prefixIndex.size()) +
                " entries for " + std::to_string(registered) +
                " registered blocks");

  int64_t onList = 0;
  for (BlockId block : freeList) {
    if (!blocks[block].onFreeList)
      return fail("block " + std::to_string(block) +
                  " is on the free list unmarked");
    ++onList;
  }
  int64_t marked = std::count_if(blocks.begin(), blocks.end(),
                                 [](const Block &b) { return b.onFreeList; });
  if (marked != onList)
    return fail("the free list has " + std::to_string(onList) +
                " entries for " + std::to_string(marked) + " free blocks");

  int64_t cached = 0;
  BlockId prev = -1;
  for (BlockId block = lruHead; block >= 0; block = blocks[block].lruNext) {
    const Block &b = blocks[block];
    if (b.lruPrev != prev)
      return fail("the LRU list is broken at block " + std::to_string(block));
    if (b.refs != 0 || !b.registered)
      return fail("block " + std::to_string(block) +
                  " is on the LRU list but held or unregistered");
    prev = block;
    if (++cached > numBlocks)
      return fail("the LRU list has a cycle");
  }
  if (prev != lruTail || cached != cachedCount)
    return fail("the LRU list has " + std::to_string(cached) +
                " blocks, the count says " + std::to_string(cachedCount));
  int64_t unheldRegistered =
      std::count_if(blocks.begin(), blocks.end(),
                    [](const Block &b) { return b.refs == 0 && b.registered; });
  if (unheldRegistered != cachedCount)
    return fail(std::to_string(unheldRegistered) +
                " cached blocks but the LRU list has " +
                std::to_string(cachedCount));
  int64_t used = std::count_if(blocks.begin(), blocks.end(),
                               [](const Block &b) { return b.refs > 0; });
  if (used + cachedCount + onList != numBlocks)
    return fail("used " + std::to_string(used) + " + cached " +
                std::to_string(cachedCount) + " + free " +
                std::to_string(onList) + " != " + std::to_string(numBlocks));
  return {};
}
