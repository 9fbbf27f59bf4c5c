//===- WeightMemoryTest.cpp - weight bytes that can leave RSS -------------===//

#include "passes/WeightMemory.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using namespace xf;

namespace {

std::vector<char> pattern(size_t size) {
  std::vector<char> bytes(size);
  for (size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<char>(i * 131 + 7);
  return bytes;
}

size_t page() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

/// Pages of [data, data + size) that this process has mapped (resident in
/// its RSS), from /proc/self/pagemap: mincore would tell the page cache's
/// view, which keeps a file's pages after the process drops them.
size_t residentPages(const void *data, size_t size) {
  int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ~size_t(0);
  size_t first = reinterpret_cast<uintptr_t>(data) / page();
  std::vector<uint64_t> entries(size / page());
  ssize_t bytes = entries.size() * sizeof(uint64_t);
  ssize_t read = ::pread(fd, entries.data(), bytes, first * sizeof(uint64_t));
  ::close(fd);
  if (read != bytes)
    return ~size_t(0);
  size_t count = 0;
  for (uint64_t entry : entries)
    count += entry >> 63; // present
  return count;
}

} // namespace

// MADV_DONTNEED on heap memory zeroes it: releasing must leave memory that
// no mapping was registered for alone.
TEST(WeightMemoryTest, HeapMemoryIsNeverReleased) {
  size_t size = 16 * page();
  std::vector<char> expected = pattern(size);
  void *heap = std::aligned_alloc(page(), size);
  ASSERT_NE(heap, nullptr);
  std::memcpy(heap, expected.data(), size);
  releaseWeightPages(heap, size);
  EXPECT_EQ(std::memcmp(heap, expected.data(), size), 0);
  std::free(heap);
}

TEST(WeightMemoryTest, FileBackedPagesAreDroppedAndReadBack) {
  size_t size = 16 * page();
  std::vector<char> expected = pattern(size);
  char path[] = "/tmp/xf-weight-memory-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  ASSERT_EQ(::write(fd, expected.data(), size), static_cast<ssize_t>(size));
  void *mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  ASSERT_NE(mapped, MAP_FAILED);
  registerFileBackedRange(mapped, size);
  volatile char sum = 0;
  for (size_t i = 0; i < size; i += page())
    sum += static_cast<const char *>(mapped)[i];
  EXPECT_EQ(residentPages(mapped, size), 16u);
  // Partial pages at the ends stay: they may hold other data.
  releaseWeightPages(static_cast<char *>(mapped) + 1, size - 1);
  EXPECT_EQ(residentPages(mapped, size), 1u);
  releaseWeightPages(mapped, size);
  EXPECT_EQ(residentPages(mapped, size), 0u);
  EXPECT_EQ(std::memcmp(mapped, expected.data(), size), 0);
  unregisterFileBackedRange(mapped);
  ::munmap(mapped, size);
}

TEST(WeightMemoryTest, ScratchBlobsHoldTheirDataOutsideTheHeap) {
  size_t size = 10 * page() + 13;
  std::vector<char> expected = pattern(size);
  mlir::AsmResourceBlob blob = copyToScratchBlob(expected, 8);
  ASSERT_EQ(blob.getData().size(), size);
  EXPECT_TRUE(blob.isMutable());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(blob.getData().data()) % page(), 0u);
  // Written, then released straight away: not mapped until read again.
  EXPECT_EQ(residentPages(blob.getData().data(), 10 * page()), 0u);
  EXPECT_EQ(std::memcmp(blob.getData().data(), expected.data(), size), 0);
  releaseWeightPages(blob.getData().data(), size);
  EXPECT_EQ(residentPages(blob.getData().data(), 10 * page()), 0u);
  EXPECT_EQ(std::memcmp(blob.getData().data(), expected.data(), size), 0);
}
