//===- WeightMemory.cpp - weight bytes that can leave RSS -----------------===//

#include "passes/WeightMemory.h"

#include "llvm/Support/MathExtras.h"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>

using namespace mlir;

namespace {

struct WeightMemory {
  std::mutex mutex;
  /// Start -> end of every range whose pages may be dropped.
  std::map<uintptr_t, uintptr_t> ranges;
  std::string scratchDirectory;
  int scratchFile = -1;
  bool scratchFailed = false;
  uint64_t scratchEnd = 0;

  /// The scratch file (-1 if none can be made); needs `mutex`.
  int scratch() {
    if (scratchFile >= 0 || scratchFailed)
      return scratchFile;
    std::string directory = scratchDirectory;
    if (directory.empty()) {
      const char *tmp = std::getenv("TMPDIR");
      directory = tmp && *tmp ? tmp : "/tmp";
    }
    // Unlinked from the start: nothing is left behind however xfc ends.
    scratchFile =
        ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (scratchFile < 0) {
      std::string path = directory + "/xfc-scratch-XXXXXX";
      scratchFile = ::mkostemp(path.data(), O_CLOEXEC);
      if (scratchFile >= 0)
        ::unlink(path.c_str());
    }
    scratchFailed = scratchFile < 0;
    return scratchFile;
  }
};

/// Never destroyed: blobs may outlive static destructors.
WeightMemory &weightMemory() {
  static WeightMemory *memory = new WeightMemory;
  return *memory;
}

uintptr_t pageSize() {
  static const uintptr_t size = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

} // namespace

void xf::registerFileBackedRange(const void *data, size_t size) {
  WeightMemory &memory = weightMemory();
  std::lock_guard<std::mutex> lock(memory.mutex);
  auto start = reinterpret_cast<uintptr_t>(data);
  memory.ranges[start] = start + size;
}

void xf::unregisterFileBackedRange(const void *data) {
  WeightMemory &memory = weightMemory();
  std::lock_guard<std::mutex> lock(memory.mutex);
  memory.ranges.erase(reinterpret_cast<uintptr_t>(data));
}

void xf::releaseWeightPages(const void *data, size_t size) {
  auto start = reinterpret_cast<uintptr_t>(data);
  uintptr_t end = start + size;
  WeightMemory &memory = weightMemory();
  {
    std::lock_guard<std::mutex> lock(memory.mutex);
    auto range = memory.ranges.upper_bound(start);
    if (range == memory.ranges.begin())
      return;
    --range;
    if (end > range->second)
      return;
  }
  // Only whole pages: the ends may share a page with other data.
  uintptr_t first = llvm::alignTo(start, pageSize());
  uintptr_t last = end & ~(pageSize() - 1);
  if (first < last)
    ::madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

void xf::setScratchDirectory(std::string directory) {
  WeightMemory &memory = weightMemory();
  std::lock_guard<std::mutex> lock(memory.mutex);
  memory.scratchDirectory = std::move(directory);
}

AsmResourceBlob xf::copyToScratchBlob(llvm::ArrayRef<char> data,
                                      size_t alignment) {
  auto onHeap = [&] {
    return HeapAsmResourceBlob::allocateAndCopyWithAlign(data, alignment);
  };
  if (data.empty() || alignment > pageSize())
    return onHeap();
  WeightMemory &memory = weightMemory();
  std::unique_lock<std::mutex> lock(memory.mutex);
  int fd = memory.scratch();
  if (fd < 0)
    return onHeap();
  uint64_t offset = memory.scratchEnd;
  size_t length = llvm::alignTo(data.size(), pageSize());
  // Blocks reserved up front: a store into a mapped hole of a full disk
  // would be a SIGBUS, where this is a fallback to the heap.
  if (::fallocate(fd, 0, static_cast<off_t>(offset),
                  static_cast<off_t>(length)) != 0)
    return onHeap();
  void *mapped = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                        static_cast<off_t>(offset));
  if (mapped == MAP_FAILED)
    return onHeap();
  memory.scratchEnd = offset + length;
  auto start = reinterpret_cast<uintptr_t>(mapped);
  memory.ranges[start] = start + length;
  lock.unlock();

  std::memcpy(mapped, data.data(), data.size());
  // Shared and file-backed: the dirty pages move to the page cache, which
  // writes them back to the file or keeps them as memory allows.
  ::madvise(mapped, length, MADV_DONTNEED);
  auto deleter = [offset, length](void *pointer, size_t, size_t) {
    WeightMemory &memory = weightMemory();
    std::lock_guard<std::mutex> lock(memory.mutex);
    memory.ranges.erase(reinterpret_cast<uintptr_t>(pointer));
    ::munmap(pointer, length);
    ::fallocate(memory.scratchFile, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                static_cast<off_t>(offset), static_cast<off_t>(length));
  };
  return AsmResourceBlob(
      llvm::ArrayRef<char>(static_cast<const char *>(mapped), data.size()),
      alignment, deleter, /*dataIsMutable=*/true);
}
