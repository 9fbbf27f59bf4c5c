//===- ThreadPoolTest.cpp - the runtime's worker threads ------------------===//

#include "xf/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace {

TEST(ThreadPoolTest, EveryItemRunsExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    xf::setNumThreads(threads);
    EXPECT_EQ(xf::numThreads(), threads);
    // Many back-to-back jobs of different sizes: a late worker must never
    // run an item of the wrong job or an item twice.
    for (int64_t count : {1, 2, 3, 17, 1000, 5, 64}) {
      for (int repeat = 0; repeat < 50; ++repeat) {
        std::vector<std::atomic<int>> hits(count);
        xf::parallelFor(
            count,
            [](void *context, int64_t item) {
              static_cast<std::atomic<int> *>(context)[item].fetch_add(1);
            },
            hits.data());
        for (int64_t i = 0; i < count; ++i)
          ASSERT_EQ(hits[i].load(), 1) << "threads=" << threads
                                       << " count=" << count << " item=" << i;
      }
    }
  }
  xf::setNumThreads(2);
}

// A worker that finished a small job late must not claim "one more" item of
// it once the next, larger job's count is written (that ran an item of the
// next job twice and counted it in the wrong job: a hang with done > count).
// Thousands of alternating small and large jobs give the race its chances.
TEST(ThreadPoolTest, ALargerJobAfterASmallOneRunsEachItemOnce) {
  for (int threads : {2, 4}) {
    xf::setNumThreads(threads);
    for (int job = 0; job < 20000; ++job) {
      int64_t count = job % 2 ? 9 : 2;
      std::atomic<int> hits[9] = {};
      xf::parallelFor(
          count,
          [](void *context, int64_t item) {
            static_cast<std::atomic<int> *>(context)[item].fetch_add(1);
          },
          hits);
      for (int64_t i = 0; i < count; ++i)
        ASSERT_EQ(hits[i].load(), 1)
            << "threads=" << threads << " job=" << job << " item=" << i;
    }
  }
  xf::setNumThreads(2);
}

TEST(ThreadPoolTest, ZeroItemsIsANoOp) {
  xf::parallelFor(
      0, [](void *, int64_t) { FAIL() << "called with no items"; }, nullptr);
}

} // namespace
