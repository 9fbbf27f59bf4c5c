//===- KVCacheTest.cpp - the paged KV cache's block manager ---------------===//

#include "xf/KVCache.h"

#include "gtest/gtest.h"

#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <set>

using namespace xf;

namespace {

using SequenceId = KVCache::SequenceId;
using BlockId = KVCache::BlockId;

KVCacheConfig smallConfig(int64_t blocks, int64_t blockTokens = 4) {
  KVCacheConfig config;
  config.layers = 2;
  config.kvHeads = 2;
  config.headDim = 4;
  config.elementBytes = 4;
  config.blockTokens = blockTokens;
  // kvHeads * blockTokens * headDim * 4 bytes, a multiple of 64 for
  // blockTokens 4 and 16: no padding.
  config.budgetBytes = blocks * 2 * config.layers *
                       (config.kvHeads * blockTokens * config.headDim * 4);
  return config;
}

KVCache makeCache(const KVCacheConfig &config) {
  Result<KVCache> cache = KVCache::create(config);
  EXPECT_TRUE(cache.ok()) << cache.error();
  return std::move(*cache);
}

SequenceId create(KVCache &kv, const std::vector<int32_t> &prompt,
                  int64_t *cached = nullptr) {
  Result<KVCache::NewSequence> seq = kv.createSequence(prompt);
  EXPECT_TRUE(seq.ok()) << seq.error();
  if (cached)
    *cached = seq->cachedTokens;
  return seq->id;
}

std::vector<int32_t> iota(int64_t count, int32_t first) {
  std::vector<int32_t> v(static_cast<size_t>(count));
  std::iota(v.begin(), v.end(), first);
  return v;
}

/// Stands for the K/V of the token at `pos`, which depends on that token and
/// every token before it (a hash of tokens[0..pos]), so that a block shared
/// after a different prefix holds the wrong pattern.
uint32_t prefixHash(const std::vector<int32_t> &tokens, int64_t pos) {
  uint32_t h = 2166136261u;
  for (int64_t i = 0; i <= pos; ++i)
    h = (h ^ static_cast<uint32_t>(tokens[i])) * 16777619u;
  return h;
}

/// Element (layer, kv, head, d) of that K/V.
uint32_t pattern(uint32_t prefix, int64_t layer, int kv, int64_t head,
                 int64_t d) {
  return prefix ^
         static_cast<uint32_t>(layer << 24 | kv << 20 | head << 12 | d);
}

/// Writes the pattern for positions [from, to) of `seq` through its block
/// table, as generated code would.
void writeKV(KVCache &kv, SequenceId seq, int64_t from, int64_t to) {
  const KVCacheConfig &c = kv.config();
  const std::vector<int32_t> &tokens = kv.tokens(seq);
  const std::vector<BlockId> &table = kv.blockTable(seq);
  for (int64_t pos = from; pos < to; ++pos) {
    uint32_t prefix = prefixHash(tokens, pos);
    for (int64_t layer = 0; layer < c.layers; ++layer)
      for (KVCache::KV which : {KVCache::Key, KVCache::Value})
        for (int64_t head = 0; head < c.kvHeads; ++head) {
          auto *slot = reinterpret_cast<uint32_t *>(
              kv.slotData(layer, which, table[pos / c.blockTokens], head,
                          pos % c.blockTokens));
          for (int64_t d = 0; d < c.headDim; ++d)
            slot[d] = pattern(prefix, layer, which, head, d);
        }
  }
}

/// Writes K/V for every reserved position not yet computed, then commits.
void compute(KVCache &kv, SequenceId seq) {
  writeKV(kv, seq, kv.computedLength(seq), kv.length(seq));
  kv.markComputed(seq);
}

/// Whether position `pos` of `seq` holds its pattern, read through the pool
/// layout (the 6-d strides), not slotData, so the documented layout is
/// checked too.
::testing::AssertionResult holdsPattern(KVCache &kv, SequenceId seq,
                                        int64_t pos) {
  const KVCacheConfig &c = kv.config();
  KVPoolLayout layout = kv.poolLayout();
  const auto *base = reinterpret_cast<const uint32_t *>(kv.poolData());
  BlockId block = kv.blockTable(seq)[pos / c.blockTokens];
  uint32_t prefix = prefixHash(kv.tokens(seq), pos);
  for (int64_t layer = 0; layer < c.layers; ++layer)
    for (int which = 0; which < 2; ++which)
      for (int64_t head = 0; head < c.kvHeads; ++head)
        for (int64_t d = 0; d < c.headDim; ++d) {
          int64_t index = layer * layout.strides[0] +
                          which * layout.strides[1] +
                          block * layout.strides[2] + head * layout.strides[3] +
                          (pos % c.blockTokens) * layout.strides[4] + d;
          uint32_t want = pattern(prefix, layer, which, head, d);
          if (base[index] != want)
            return ::testing::AssertionFailure()
                   << "sequence " << seq << " position " << pos << " block "
                   << block << " layer " << layer << " kv " << which << " head "
                   << head << " d " << d << ": " << base[index]
                   << " != " << want;
        }
  return ::testing::AssertionSuccess();
}

void expectInvariants(const KVCache &kv) {
  Result<void> ok = kv.checkInvariants();
  EXPECT_TRUE(ok.ok()) << ok.error();
}

//===--- Creation and layout ----------------------------------------------===//

TEST(KVCacheTest, SizesThePoolFromTheBudget) {
  KVCacheConfig config;
  config.layers = 30;
  config.kvHeads = 3;
  config.headDim = 64;
  config.elementBytes = 4;
  config.budgetBytes = 100 << 20;
  KVCache kv = makeCache(config);
  EXPECT_EQ(kv.bytesPerToken(), 30 * 2 * 3 * 64 * 4);
  EXPECT_EQ(kv.blockStrideBytes(), 3 * 16 * 64 * 4);
  EXPECT_EQ(kv.bytesPerBlock(), 16 * kv.bytesPerToken());
  EXPECT_EQ(kv.totalBlocks(), (100 << 20) / kv.bytesPerBlock());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(kv.poolData()) % 64, 0u);

  KVPoolLayout layout = kv.poolLayout();
  std::array<int64_t, 6> sizes = {30, 2, kv.totalBlocks(), 3, 16, 64};
  EXPECT_EQ(layout.sizes, sizes);
  std::array<int64_t, 6> strides = {2 * kv.totalBlocks() * 3 * 16 * 64,
                                    kv.totalBlocks() * 3 * 16 * 64,
                                    3 * 16 * 64,
                                    16 * 64,
                                    64,
                                    1};
  EXPECT_EQ(layout.strides, strides);
  EXPECT_EQ(kv.slotData(2, KVCache::Value, 5, 1, 3),
            kv.poolData() + 4 * (2 * strides[0] + strides[1] + 5 * strides[2] +
                                 strides[3] + 3 * strides[4]));
}

TEST(KVCacheTest, PadsTheBlockStrideTo64Bytes) {
  KVCacheConfig config;
  config.layers = 1;
  config.kvHeads = 1;
  config.headDim = 3;
  config.elementBytes = 2;
  config.blockTokens = 4; // 24 bytes of data per block
  config.budgetBytes = 10 * 2 * 64;
  KVCache kv = makeCache(config);
  EXPECT_EQ(kv.blockStrideBytes(), 64);
  EXPECT_EQ(kv.totalBlocks(), 10);
  EXPECT_EQ(kv.poolLayout().strides[2], 32);
  for (BlockId b = 0; b < 10; ++b)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(kv.blockData(0, KVCache::Value, b)) %
                  64,
              0u);
}

TEST(KVCacheTest, RefusesBadConfigurations) {
  KVCacheConfig config = smallConfig(4);
  config.headDim = 0;
  Result<KVCache> bad = KVCache::create(config);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("invalid configuration"), std::string::npos);

  config = smallConfig(4);
  config.budgetBytes = 100;
  Result<KVCache> tiny = KVCache::create(config);
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.error().find("budget of 100 bytes holds no block"),
            std::string::npos)
      << tiny.error();
}

//===--- Sequences --------------------------------------------------------===//

TEST(KVCacheTest, AppendTakesABlockWhenTheLastIsFull) {
  KVCache kv = makeCache(smallConfig(8));
  SequenceId seq = create(kv, iota(3, 100));
  EXPECT_EQ(kv.length(seq), 3);
  EXPECT_EQ(kv.blockTable(seq).size(), 1u);
  ASSERT_TRUE(kv.appendTokens(seq, {103}).ok());
  EXPECT_EQ(kv.blockTable(seq).size(), 1u);
  ASSERT_TRUE(kv.appendTokens(seq, {104}).ok());
  EXPECT_EQ(kv.blockTable(seq).size(), 2u);
  ASSERT_TRUE(kv.appendTokens(seq, iota(6, 105)).ok());
  EXPECT_EQ(kv.length(seq), 11);
  EXPECT_EQ(kv.blockTable(seq).size(), 3u);
  EXPECT_EQ(kv.tokens(seq), iota(11, 100));
  EXPECT_EQ(kv.computedLength(seq), 0);
  compute(kv, seq);
  EXPECT_EQ(kv.computedLength(seq), 11);
  for (int64_t pos = 0; pos < 11; ++pos)
    EXPECT_TRUE(holdsPattern(kv, seq, pos));
  KVCacheStats s = kv.stats();
  EXPECT_EQ(s.usedBlocks, 3);
  EXPECT_EQ(s.freeBlocks, 5);
  EXPECT_EQ(s.storedTokens, 11);
  EXPECT_EQ(s.wasteSlots, 1);
  EXPECT_EQ(s.usedBytes, 3 * kv.bytesPerBlock());
  expectInvariants(kv);
}

TEST(KVCacheTest, ForkSharesEveryBlock) {
  KVCache kv = makeCache(smallConfig(8));
  SequenceId parent = create(kv, iota(6, 0));
  compute(kv, parent);
  Result<SequenceId> child = kv.fork(parent);
  ASSERT_TRUE(child.ok()) << child.error();
  EXPECT_EQ(kv.blockTable(*child), kv.blockTable(parent));
  EXPECT_EQ(kv.tokens(*child), kv.tokens(parent));
  EXPECT_EQ(kv.computedLength(*child), 6);
  for (BlockId b : kv.blockTable(parent))
    EXPECT_EQ(kv.refCount(b), 2);
  KVCacheStats s = kv.stats();
  EXPECT_EQ(s.usedBlocks, 2);
  EXPECT_EQ(s.sharedBlocks, 2);
  EXPECT_FALSE(kv.fork(12345).ok());
  expectInvariants(kv);
}

TEST(KVCacheTest, AppendCopiesASharedPartialBlock) {
  KVCache kv = makeCache(smallConfig(8));
  SequenceId a = create(kv, iota(6, 0)); // blocks: [0 1 2 3] [4 5 . .]
  compute(kv, a);
  SequenceId b = *kv.fork(a);
  BlockId shared = kv.blockTable(a)[1];

  ASSERT_TRUE(kv.appendTokens(b, {50}).ok());
  BlockId copy = kv.blockTable(b)[1];
  EXPECT_NE(copy, shared);
  EXPECT_EQ(kv.blockTable(b)[0], kv.blockTable(a)[0]); // full: still shared
  EXPECT_EQ(kv.refCount(shared), 1);
  EXPECT_EQ(kv.refCount(copy), 1);
  EXPECT_EQ(kv.refCount(kv.blockTable(a)[0]), 2);
  // The copy holds the original's filled slots, every layer, K and V.
  const KVCacheConfig &c = kv.config();
  size_t filled = 2 * c.headDim * c.elementBytes;
  for (int64_t layer = 0; layer < c.layers; ++layer)
    for (KVCache::KV which : {KVCache::Key, KVCache::Value})
      for (int64_t head = 0; head < c.kvHeads; ++head)
        EXPECT_EQ(std::memcmp(kv.slotData(layer, which, copy, head, 0),
                              kv.slotData(layer, which, shared, head, 0),
                              filled),
                  0);
  compute(kv, b);

  // a writes its own token at the same position: b is not affected.
  ASSERT_TRUE(kv.appendTokens(a, {60}).ok());
  EXPECT_EQ(kv.blockTable(a)[1], shared); // held alone now: no copy
  compute(kv, a);
  for (int64_t pos = 0; pos < 7; ++pos) {
    EXPECT_TRUE(holdsPattern(kv, a, pos));
    EXPECT_TRUE(holdsPattern(kv, b, pos));
  }
  EXPECT_EQ(kv.tokens(a)[6], 60);
  EXPECT_EQ(kv.tokens(b)[6], 50);
  expectInvariants(kv);
}

TEST(KVCacheTest, CopyOnWriteNeedsABlock) {
  KVCache kv = makeCache(smallConfig(2));
  SequenceId a = create(kv, iota(6, 0));
  compute(kv, a);
  SequenceId b = *kv.fork(a);
  EXPECT_EQ(kv.availableBlocks(), 0);
  Result<void> appended = kv.appendTokens(b, {7});
  ASSERT_FALSE(appended.ok());
  EXPECT_NE(appended.error().find("need 1 blocks"), std::string::npos)
      << appended.error();
  EXPECT_EQ(kv.length(b), 6);
  EXPECT_EQ(kv.blockTable(b), kv.blockTable(a));
  expectInvariants(kv);
}

TEST(KVCacheTest, FreeReleasesBlocks) {
  KVCache kv = makeCache(smallConfig(8));
  SequenceId a = create(kv, iota(6, 0));
  compute(kv, a);
  SequenceId b = *kv.fork(a);
  kv.freeSequence(a);
  EXPECT_FALSE(kv.contains(a));
  for (BlockId block : kv.blockTable(b))
    EXPECT_EQ(kv.refCount(block), 1);
  std::vector<BlockId> table = kv.blockTable(b);
  kv.freeSequence(b);
  // The full computed block is cached, the partial one free.
  EXPECT_EQ(kv.blockState(table[0]), KVBlockState::Cached);
  EXPECT_EQ(kv.blockState(table[1]), KVBlockState::Free);
  KVCacheStats s = kv.stats();
  EXPECT_EQ(s.usedBlocks, 0);
  EXPECT_EQ(s.cachedBlocks, 1);
  EXPECT_EQ(s.freeBlocks, 7);
  kv.freeSequence(b); // unknown: ignored
  expectInvariants(kv);
}

TEST(KVCacheTest, TruncateReleasesTheTailAndRewritesSafely) {
  KVCache kv = makeCache(smallConfig(8));
  SequenceId a = create(kv, iota(10, 0));
  compute(kv, a);
  SequenceId b = *kv.fork(a);
  ASSERT_TRUE(kv.truncate(b, 5).ok());
  EXPECT_EQ(kv.length(b), 5);
  EXPECT_EQ(kv.computedLength(b), 5);
  EXPECT_EQ(kv.blockTable(b).size(), 2u);
  EXPECT_EQ(kv.refCount(kv.blockTable(a)[2]), 1);
  // b's last block is a's full, registered second block: writing position 5
  // must not change it for a.
  ASSERT_TRUE(kv.appendTokens(b, {77}).ok());
  EXPECT_NE(kv.blockTable(b)[1], kv.blockTable(a)[1]);
  compute(kv, b);
  for (int64_t pos = 0; pos < 10; ++pos)
    EXPECT_TRUE(holdsPattern(kv, a, pos));
  for (int64_t pos = 0; pos < 6; ++pos)
    EXPECT_TRUE(holdsPattern(kv, b, pos));

  // Alone on a registered block: it leaves the prefix cache instead.
  kv.freeSequence(b);
  ASSERT_TRUE(kv.truncate(a, 6).ok());
  BlockId registered = kv.blockTable(a)[1];
  ASSERT_TRUE(kv.appendTokens(a, {88}).ok());
  EXPECT_EQ(kv.blockTable(a)[1], registered);
  compute(kv, a);
  SequenceId c = create(kv, iota(9, 0));
  EXPECT_EQ(kv.blockTable(c)[0], kv.blockTable(a)[0]);
  EXPECT_NE(kv.blockTable(c)[1], registered);
  EXPECT_FALSE(kv.truncate(a, 100).ok());
  expectInvariants(kv);
}

TEST(KVCacheTest, WritesBlockTablesForABatch) {
  KVCache kv = makeCache(smallConfig(8));
  SequenceId a = create(kv, iota(9, 0));
  SequenceId b = create(kv, iota(2, 50));
  std::vector<SequenceId> ids = {a, b};
  std::vector<int32_t> tables(8, -1);
  ASSERT_TRUE(kv.writeBlockTables(ids.data(), 2, 4, tables.data()).ok());
  const std::vector<BlockId> &ta = kv.blockTable(a);
  std::vector<int32_t> want = {ta[0], ta[1], ta[2], 0, kv.blockTable(b)[0],
                               0,     0,     0};
  EXPECT_EQ(tables, want);
  EXPECT_FALSE(kv.writeBlockTables(ids.data(), 2, 2, tables.data()).ok());
}

TEST(KVCacheTest, ReleasesBlocksOutsideTheWindow) {
  KVCache kv = makeCache(smallConfig(8));
  SequenceId a = create(kv, iota(10, 0));
  compute(kv, a);
  SequenceId b = *kv.fork(a);
  std::vector<BlockId> before = kv.blockTable(a);
  // Positions 0..4 are out of the window: only block 0 (0..3) is wholly.
  EXPECT_EQ(kv.releaseBefore(a, 5), 1);
  EXPECT_EQ(kv.blockTable(a)[0], KVCache::kNoBlock);
  EXPECT_EQ(kv.refCount(before[0]), 1); // b still holds it
  EXPECT_EQ(kv.releaseBefore(a, 5), 0); // already released
  expectInvariants(kv);

  // The released entry is written as block 0; the others as they were.
  std::vector<int32_t> table(3, -1);
  ASSERT_TRUE(kv.writeBlockTables(&a, 1, 3, table.data()).ok());
  EXPECT_EQ(table, (std::vector<int32_t>{0, before[1], before[2]}));

  // Growing past the window keeps releasing from the front; the pattern of
  // every position still held is intact.
  ASSERT_TRUE(kv.appendTokens(a, iota(6, 10)).ok());
  compute(kv, a);
  EXPECT_EQ(kv.releaseBefore(a, 12), 2);
  for (int64_t pos = 12; pos < 16; ++pos)
    EXPECT_TRUE(holdsPattern(kv, a, pos));
  EXPECT_FALSE(kv.truncate(a, 7).ok()); // into a released block
  ASSERT_TRUE(kv.truncate(a, 13).ok());
  expectInvariants(kv);

  // Freed alone, a registered block goes to the prefix cache: a new prompt
  // still shares it.
  kv.freeSequence(b);
  SequenceId c = create(kv, iota(9, 0));
  EXPECT_EQ(kv.blockTable(c)[0], before[0]);
  kv.freeSequence(a);
  kv.freeSequence(c);
  EXPECT_EQ(kv.stats().usedBlocks, 0);
  expectInvariants(kv);
}

//===--- Prefix cache -----------------------------------------------------===//

TEST(KVCacheTest, SharesACachedPrefixInWholeBlocks) {
  KVCache kv = makeCache(smallConfig(16));
  std::vector<int32_t> prompt = iota(10, 0);
  int64_t cached;
  SequenceId a = create(kv, prompt, &cached);
  EXPECT_EQ(cached, 0);
  compute(kv, a);
  std::vector<BlockId> tableA = kv.blockTable(a);

  SequenceId b = create(kv, prompt, &cached);
  EXPECT_EQ(cached, 8); // two full blocks; the partial third is recomputed
  EXPECT_EQ(kv.computedLength(b), 8);
  EXPECT_EQ(kv.length(b), 10);
  EXPECT_EQ(kv.blockTable(b)[0], tableA[0]);
  EXPECT_EQ(kv.blockTable(b)[1], tableA[1]);
  EXPECT_NE(kv.blockTable(b)[2], tableA[2]);
  for (int64_t pos = 0; pos < 8; ++pos)
    EXPECT_TRUE(holdsPattern(kv, b, pos));
  compute(kv, b);

  // A cached prefix survives its sequences, until evicted.
  kv.freeSequence(a);
  kv.freeSequence(b);
  EXPECT_EQ(kv.stats().cachedBlocks, 2);
  SequenceId c = create(kv, iota(12, 0), &cached);
  EXPECT_EQ(cached, 8);
  EXPECT_EQ(kv.blockTable(c)[1], tableA[1]);

  // A diverging second block shares only the first.
  std::vector<int32_t> other = iota(12, 0);
  other[5] = 99;
  SequenceId d = create(kv, other, &cached);
  EXPECT_EQ(cached, 4);
  EXPECT_EQ(kv.blockTable(d)[0], tableA[0]);
  // The same block of tokens after a different prefix is not shared.
  std::vector<int32_t> shifted = iota(12, 0);
  shifted[0] = 99;
  create(kv, shifted, &cached);
  EXPECT_EQ(cached, 0);
  expectInvariants(kv);
}

TEST(KVCacheTest, LeavesTheLastPromptTokenToCompute) {
  KVCache kv = makeCache(smallConfig(16));
  SequenceId a = create(kv, iota(8, 0));
  compute(kv, a);
  int64_t cached;
  SequenceId b = create(kv, iota(8, 0), &cached);
  EXPECT_EQ(cached, 4);
  EXPECT_EQ(kv.blockTable(b)[0], kv.blockTable(a)[0]);
  EXPECT_NE(kv.blockTable(b)[1], kv.blockTable(a)[1]);
  SequenceId empty = create(kv, {}, &cached);
  EXPECT_EQ(cached, 0);
  EXPECT_TRUE(kv.blockTable(empty).empty());
}

TEST(KVCacheTest, NeverSharesUncomputedBlocks) {
  KVCache kv = makeCache(smallConfig(16));
  SequenceId a = create(kv, iota(9, 0));
  int64_t cached;
  create(kv, iota(9, 0), &cached);
  EXPECT_EQ(cached, 0);
  compute(kv, a);
  create(kv, iota(9, 0), &cached);
  EXPECT_EQ(cached, 8);
}

uint64_t collidingHash(uint64_t, const int32_t *, int64_t) { return 42; }

TEST(KVCacheTest, HashCollisionsNeverShareWrongly) {
  KVCacheConfig config = smallConfig(32);
  config.blockHash = collidingHash;
  KVCache kv = makeCache(config);
  // Same second block after different first blocks, and vice versa: every
  // block hashes alike.
  std::vector<std::vector<int32_t>> prompts = {{1, 2, 3, 4, 5, 6, 7, 8, 0},
                                               {9, 2, 3, 4, 5, 6, 7, 8, 0},
                                               {1, 2, 3, 4, 5, 6, 7, 9, 0},
                                               {5, 6, 7, 8, 1, 2, 3, 4, 0}};
  std::vector<SequenceId> firsts;
  for (const auto &prompt : prompts) {
    int64_t cached;
    SequenceId seq = create(kv, prompt, &cached);
    EXPECT_EQ(cached, prompt == prompts[2] ? 4 : 0);
    compute(kv, seq);
    firsts.push_back(seq);
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    int64_t cached;
    SequenceId seq = create(kv, prompts[i], &cached);
    EXPECT_EQ(cached, 8);
    EXPECT_EQ(kv.blockTable(seq)[1], kv.blockTable(firsts[i])[1]);
    for (int64_t pos = 0; pos < 8; ++pos)
      EXPECT_TRUE(holdsPattern(kv, seq, pos));
  }
  expectInvariants(kv);
}

TEST(KVCacheTest, ABlockRewrittenInPlaceOrphansItsCachedChildren) {
  // Every hash equal, so only block identities tell prefixes apart.
  KVCacheConfig config = smallConfig(8);
  config.blockHash = collidingHash;
  KVCache kv = makeCache(config);
  SequenceId x = create(kv, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  compute(kv, x);
  BlockId head = kv.blockTable(x)[0];
  SequenceId y = *kv.fork(x);
  ASSERT_TRUE(kv.truncate(y, 2).ok());
  kv.freeSequence(x); // x's second block stays cached, child of `head`
  // y alone holds `head` now: it is rewritten in place, then registered
  // again with other tokens.
  ASSERT_TRUE(kv.appendTokens(y, {10, 11}).ok());
  EXPECT_EQ(kv.blockTable(y)[0], head);
  compute(kv, y);
  // Same block id, same second block of tokens: the cached child must not
  // be found, its K/V belongs to the old prefix.
  int64_t cached;
  SequenceId z = create(kv, {1, 2, 10, 11, 5, 6, 7, 8, 0}, &cached);
  EXPECT_EQ(cached, 4);
  EXPECT_EQ(kv.blockTable(z)[0], head);
  compute(kv, z);
  for (int64_t pos = 0; pos < 9; ++pos)
    EXPECT_TRUE(holdsPattern(kv, z, pos));
  expectInvariants(kv);
}

TEST(KVCacheTest, IdenticalBlocksComputedTwiceAreCachedOnce) {
  KVCache kv = makeCache(smallConfig(16));
  SequenceId a = create(kv, iota(9, 0));
  SequenceId b = create(kv, iota(9, 0)); // before a is computed: no sharing
  compute(kv, a);
  compute(kv, b);
  kv.freeSequence(a);
  kv.freeSequence(b);
  KVCacheStats s = kv.stats();
  EXPECT_EQ(s.cachedBlocks, 2); // a's two full blocks; b's copies are free
  EXPECT_EQ(s.freeBlocks, 14);
  expectInvariants(kv);
}

TEST(KVCacheTest, EightSequencesStoreA200TokenPrefixOnce) {
  KVCache kv = makeCache(smallConfig(64, 16));
  std::vector<int32_t> system = iota(200, 1000);
  std::vector<SequenceId> seqs;
  for (int32_t i = 0; i < 8; ++i) {
    std::vector<int32_t> prompt = system;
    std::vector<int32_t> question = iota(8, 100 * i);
    prompt.insert(prompt.end(), question.begin(), question.end());
    int64_t cached;
    SequenceId seq = create(kv, prompt, &cached);
    // 200 tokens = 12 full blocks (192 tokens) + 8 in a block that also holds
    // the sequence's own tokens.
    EXPECT_EQ(cached, i == 0 ? 0 : 192);
    compute(kv, seq);
    seqs.push_back(seq);
  }
  KVCacheStats s = kv.stats();
  EXPECT_EQ(s.usedBlocks, 12 + 8);
  EXPECT_EQ(s.sharedBlocks, 12);
  EXPECT_EQ(s.storedTokens, 192 + 8 * 16);
  EXPECT_EQ(s.wasteSlots, 0);
  for (int64_t b = 0; b < 12; ++b)
    EXPECT_EQ(kv.refCount(kv.blockTable(seqs[0])[b]), 8);
  for (SequenceId seq : seqs)
    for (int64_t pos = 0; pos < 208; pos += 7)
      EXPECT_TRUE(holdsPattern(kv, seq, pos));
  expectInvariants(kv);
}

//===--- Eviction and preemption ------------------------------------------===//

TEST(KVCacheTest, EvictsTheLeastRecentlyUsedCachedBlocks) {
  KVCache kv = makeCache(smallConfig(10));
  // Three cached 2-block prefixes, used in the order x, y, z.
  std::vector<std::vector<int32_t>> prefixes = {iota(8, 0), iota(8, 100),
                                                iota(8, 200)};
  for (const auto &prompt : prefixes) {
    SequenceId seq = create(kv, prompt);
    compute(kv, seq);
    kv.freeSequence(seq);
  }
  KVCacheStats s = kv.stats();
  EXPECT_EQ(s.cachedBlocks, 6);
  EXPECT_EQ(s.freeBlocks, 4);
  EXPECT_EQ(kv.availableBlocks(), 10);

  // Use x again: y is now the least recently used.
  int64_t cached;
  SequenceId x = create(kv, {0, 1, 2, 3, 4, 5, 6, 7, 8}, &cached);
  EXPECT_EQ(cached, 8);
  kv.freeSequence(x);
  // Five blocks: the four free ones, then one evicted: y's tail.
  SequenceId big = create(kv, iota(20, 500));
  EXPECT_EQ(kv.stats().cachedBlocks, 5);
  kv.freeSequence(big);
  create(kv, {100, 101, 102, 103, 104, 105, 106, 107, 108}, &cached);
  EXPECT_EQ(cached, 4);
  create(kv, {200, 201, 202, 203, 204, 205, 206, 207, 208}, &cached);
  EXPECT_EQ(cached, 8);
  create(kv, {0, 1, 2, 3, 4, 5, 6, 7, 8}, &cached);
  EXPECT_EQ(cached, 8);
  expectInvariants(kv);
}

TEST(KVCacheTest, EvictsTheTailOfAPrefixFirst) {
  KVCache kv = makeCache(smallConfig(4));
  SequenceId a = create(kv, iota(13, 0)); // 3 full blocks + 1 partial
  compute(kv, a);
  kv.freeSequence(a);
  EXPECT_EQ(kv.evictCached(1), 1);
  int64_t cached;
  SequenceId b = create(kv, iota(13, 0), &cached);
  EXPECT_EQ(cached, 8);
  kv.freeSequence(b);
  EXPECT_EQ(kv.evictCached(100), 2);
  EXPECT_EQ(kv.stats().cachedBlocks, 0);
  expectInvariants(kv);
}

TEST(KVCacheTest, FailsClearlyWhenFull) {
  KVCache kv = makeCache(smallConfig(4));
  SequenceId a = create(kv, iota(10, 0));
  Result<KVCache::NewSequence> b = kv.createSequence(iota(10, 50));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().find("KV cache full: need 3 blocks of 4 tokens, 1 "
                           "available (1 free + 0 cached) of 4"),
            std::string::npos)
      << b.error();
  Result<void> appended = kv.appendTokens(a, iota(20, 10));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(kv.length(a), 10);
  EXPECT_EQ(kv.stats().usedBlocks, 3);

  // A failed create that had matched a cached prefix gives it back.
  compute(kv, a);
  kv.freeSequence(a);
  ASSERT_TRUE(kv.createSequence(iota(4, 900)).ok());
  EXPECT_FALSE(kv.createSequence(iota(30, 0)).ok());
  expectInvariants(kv);
  int64_t cached;
  create(kv, iota(9, 0), &cached);
  EXPECT_EQ(cached, 8);
}

TEST(KVCacheTest, PicksTheNewestSequenceToPreempt) {
  KVCache kv = makeCache(smallConfig(8));
  EXPECT_FALSE(kv.newestSequence().has_value());
  SequenceId a = create(kv, iota(3, 0));
  SequenceId b = create(kv, iota(3, 10));
  EXPECT_EQ(kv.newestSequence(), b);
  SequenceId c = *kv.fork(a);
  EXPECT_EQ(kv.newestSequence(), c);
  kv.freeSequence(c);
  EXPECT_EQ(kv.newestSequence(), b);
  EXPECT_EQ(kv.sequences(), (std::vector<SequenceId>{a, b}));
}

TEST(KVCacheTest, WasteIsAtMostOnePartialBlockPerSequence) {
  KVCache kv = makeCache(smallConfig(64, 16));
  std::mt19937 rng(7);
  int64_t bound = 0;
  for (int i = 0; i < 10; ++i) {
    int64_t length = 1 + rng() % 60;
    SequenceId seq = create(kv, iota(length, 1000 * i));
    compute(kv, seq);
    bound += length % 16 ? 16 - length % 16 : 0;
  }
  KVCacheStats s = kv.stats();
  EXPECT_EQ(s.wasteSlots, bound);
  EXPECT_LE(s.wasteSlots, 15 * s.sequences);
  EXPECT_EQ(s.allocatedSlots, s.storedTokens + s.wasteSlots);
}

//===--- Randomized stress ------------------------------------------------===//

/// Thousands of random operations on a small pool under memory pressure,
/// with the block manager's invariants checked after every one, from the
/// outside (tables against refcounts and states) and from the inside
/// (checkInvariants), and K/V data read back through the block tables.
void stress(uint64_t (*hash)(uint64_t, const int32_t *, int64_t), uint32_t seed,
            int steps) {
  KVCacheConfig config = smallConfig(48);
  config.blockHash = hash;
  KVCache kv = makeCache(config);
  const int64_t B = config.blockTokens;
  std::mt19937 rng(seed);
  auto pick = [&](int64_t n) { return static_cast<int64_t>(rng() % n); };
  // Prompts start from one of a few shared prefixes over a small vocabulary,
  // so that prefix hits, duplicates and hash collisions happen.
  std::vector<std::vector<int32_t>> systems = {
      {1, 2, 3, 4, 5, 6, 7, 8, 1},
      {1, 2, 3, 4, 5, 6, 7, 8, 2, 2, 2, 2, 3},
      {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4},
      {}};
  auto randomTokens = [&](int64_t n) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (int32_t &x : t)
      x = static_cast<int32_t>(pick(6));
    return t;
  };
  std::map<SequenceId, std::vector<int32_t>> expected;
  int64_t prefixHits = 0, cows = 0, failures = 0, evictions = 0;

  auto randomSeq = [&]() {
    auto it = expected.begin();
    std::advance(it, pick(static_cast<int64_t>(expected.size())));
    return it->first;
  };

  for (int step = 0; step < steps; ++step) {
    int op = static_cast<int>(pick(100));
    SCOPED_TRACE("step " + std::to_string(step) + " op " + std::to_string(op));
    if (op < 25 || expected.empty()) {
      std::vector<int32_t> prompt = systems[pick(4)];
      std::vector<int32_t> rest = randomTokens(pick(12));
      prompt.insert(prompt.end(), rest.begin(), rest.end());
      Result<KVCache::NewSequence> seq = kv.createSequence(prompt);
      if (!seq) {
        ++failures;
        EXPECT_NE(seq.error().find("KV cache full"), std::string::npos);
        if (std::optional<SequenceId> victim = kv.newestSequence()) {
          kv.freeSequence(*victim);
          expected.erase(*victim);
        }
      } else {
        expected[seq->id] = prompt;
        prefixHits += seq->cachedTokens > 0;
        ASSERT_EQ(seq->cachedTokens % B, 0);
        ASSERT_LT(seq->cachedTokens, std::max<int64_t>(1, prompt.size()));
        for (int64_t pos = 0; pos < seq->cachedTokens; ++pos)
          ASSERT_TRUE(holdsPattern(kv, seq->id, pos));
        if (pick(4) != 0)
          compute(kv, seq->id);
      }
    } else if (op < 35) {
      SequenceId parent = randomSeq();
      Result<SequenceId> child = kv.fork(parent);
      ASSERT_TRUE(child.ok());
      expected[*child] = expected[parent];
    } else if (op < 62) {
      SequenceId seq = randomSeq();
      std::vector<int32_t> more = randomTokens(1 + pick(pick(3) ? 2 : 9));
      int64_t before = kv.length(seq);
      bool shared =
          before % B != 0 && kv.refCount(kv.blockTable(seq).back()) > 1;
      Result<void> appended = kv.appendTokens(seq, more);
      if (!appended) {
        ++failures;
        EXPECT_EQ(kv.length(seq), before);
        if (std::optional<SequenceId> victim = kv.newestSequence()) {
          kv.freeSequence(*victim);
          expected.erase(*victim);
        }
      } else {
        cows += shared;
        expected[seq].insert(expected[seq].end(), more.begin(), more.end());
        if (pick(4) != 0)
          compute(kv, seq);
      }
    } else if (op < 70) {
      compute(kv, randomSeq());
    } else if (op < 85) {
      SequenceId seq = randomSeq();
      kv.freeSequence(seq);
      expected.erase(seq);
    } else if (op < 93) {
      SequenceId seq = randomSeq();
      int64_t length = pick(kv.length(seq) + 1);
      ASSERT_TRUE(kv.truncate(seq, length).ok());
      expected[seq].resize(static_cast<size_t>(length));
    } else {
      evictions += kv.evictCached(pick(4));
    }

    // Invariants, from the outside.
    Result<void> inner = kv.checkInvariants();
    ASSERT_TRUE(inner.ok()) << inner.error();
    std::vector<int> holders(static_cast<size_t>(kv.totalBlocks()), 0);
    std::vector<int64_t> fill(static_cast<size_t>(kv.totalBlocks()), 0);
    int64_t partialBound = 0;
    ASSERT_EQ(kv.sequences().size(), expected.size());
    for (const auto &[seq, tokens] : expected) {
      ASSERT_EQ(kv.tokens(seq), tokens);
      int64_t length = static_cast<int64_t>(tokens.size());
      const std::vector<BlockId> &table = kv.blockTable(seq);
      ASSERT_EQ(static_cast<int64_t>(table.size()), (length + B - 1) / B);
      for (size_t i = 0; i < table.size(); ++i) {
        ++holders[static_cast<size_t>(table[i])];
        int64_t &f = fill[static_cast<size_t>(table[i])];
        f = std::max<int64_t>(f, std::min<int64_t>(B, length - i * B));
      }
      partialBound += length % B ? B - length % B : 0;
    }
    int64_t used = 0, cached = 0, free = 0, sharedBlocks = 0, stored = 0;
    for (BlockId b = 0; b < kv.totalBlocks(); ++b) {
      ASSERT_EQ(kv.refCount(b), holders[static_cast<size_t>(b)])
          << "block " << b;
      KVBlockState state = kv.blockState(b);
      ASSERT_EQ(state == KVBlockState::InUse, holders[b] > 0) << "block " << b;
      used += state == KVBlockState::InUse;
      cached += state == KVBlockState::Cached;
      free += state == KVBlockState::Free;
      sharedBlocks += holders[b] > 1;
      stored += fill[b];
    }
    ASSERT_EQ(used + cached + free, kv.totalBlocks());
    KVCacheStats s = kv.stats();
    ASSERT_EQ(s.usedBlocks, used);
    ASSERT_EQ(s.cachedBlocks, cached);
    ASSERT_EQ(s.freeBlocks, free);
    ASSERT_EQ(s.sharedBlocks, sharedBlocks);
    ASSERT_EQ(s.storedTokens, stored);
    ASSERT_LE(s.wasteSlots, partialBound);
    ASSERT_EQ(kv.availableBlocks(), free + cached);

    // Data, through the block tables: a sample every step, all every 500.
    for (int i = 0; i < 6 && !expected.empty(); ++i) {
      SequenceId seq = randomSeq();
      if (int64_t computed = kv.computedLength(seq))
        ASSERT_TRUE(holdsPattern(kv, seq, pick(computed)));
    }
    if (step % 500 == 499)
      for (const auto &entry : expected)
        for (int64_t pos = 0; pos < kv.computedLength(entry.first); ++pos)
          ASSERT_TRUE(holdsPattern(kv, entry.first, pos));
  }
  // The run exercised what it is meant to.
  EXPECT_GT(prefixHits, steps / 100);
  EXPECT_GT(cows, steps / 200);
  EXPECT_GT(failures, 0);
  EXPECT_GT(evictions, 0);

  for (SequenceId seq : kv.sequences())
    kv.freeSequence(seq);
  KVCacheStats s = kv.stats();
  EXPECT_EQ(s.usedBlocks, 0);
  EXPECT_EQ(s.freeBlocks + s.cachedBlocks, kv.totalBlocks());
  expectInvariants(kv);
}

TEST(KVCacheStressTest, RandomOperationsKeepTheInvariants) {
  stress(nullptr, 1, 20000);
}

/// Two hash values for every block: the index is all collisions.
uint64_t weakHash(uint64_t parent, const int32_t *tokens, int64_t) {
  return (parent + static_cast<uint64_t>(tokens[0])) % 2;
}

TEST(KVCacheStressTest, RandomOperationsWithCollidingHashes) {
  stress(weakHash, 2, 10000);
}

} // namespace
