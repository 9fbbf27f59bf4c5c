//===- ThreadPool.cpp - the runtime's worker threads ----------------------===//

#include "xf/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define XF_CPU_RELAX() _mm_pause()
#else
#define XF_CPU_RELAX() std::this_thread::yield()
#endif

namespace {

/// How long a worker polls for the next job before it sleeps: longer than
/// the gap between two kernels of a decode step, short enough not to steal
/// much from other processes when the program is idle.
constexpr auto kSpinTime = std::chrono::microseconds(100);

/// Pause instructions the caller spends waiting for claimed items before it
/// starts yielding its core (a few microseconds: an item is a kernel tile).
constexpr int kWaitSpins = 1 << 11;

/// Items are claimed one at a time through `state`, which holds the job's
/// generation in its high 32 bits and the next unclaimed item in its low 32.
/// A worker claims with a compare-and-swap that also checks the generation,
/// so a worker that wakes late can never claim an item of a newer job with
/// the parameters of an older one, and the caller waits only for claimed
/// items, never for a worker that has not been scheduled (on a loaded
/// machine that wait is a whole time slice).
///
/// A job is published in two steps. First the state moves to a closed
/// generation (item field kClosed) so that no claim on the previous job can
/// succeed any more; only then are the job's parameters written, and the
/// state opened at the next generation. Without the closed step, a worker
/// still looking at the finished previous job could read the new job's
/// count, claim "one more" item of the old generation before the new one
/// was published, and run it with the new parameters: an item run twice and
/// counted in the wrong job (seen as a hang: done > count).
thread_local bool insideJob = false;

constexpr uint64_t kClosed = 0xffffffffu;

class ThreadPool {
public:
  explicit ThreadPool(int threads) { resize(threads); }
  ~ThreadPool() { stopWorkers(); }

  int size() const { return static_cast<int>(workers.size()) + 1; }

  void resize(int threads) {
    threads = std::max(threads, 1);
    if (threads == size())
      return;
    stopWorkers();
    stopping = false;
    for (int i = 1; i < threads; ++i)
      workers.emplace_back([this] { workerLoop(); });
  }

  void run(int64_t count, void (*body)(void *, int64_t), void *context) {
    // A job started from inside a job (a matmul inside a parallel attention
    // loop) runs on the thread that started it.
    if (workers.empty() || count == 1 || count >= int64_t(kClosed) ||
        insideJob) {
      for (int64_t i = 0; i < count; ++i)
        body(context, i);
      return;
    }
    uint64_t closed =
        ((state.load(std::memory_order_relaxed) >> 32) + 1) & 0xffffffffu;
    state.store(closed << 32 | kClosed, std::memory_order_seq_cst);
    jobBody = body;
    jobContext = context;
    doneItems.store(0, std::memory_order_relaxed);
    jobCount.store(count, std::memory_order_release);
    uint64_t job = (closed + 1) & 0xffffffffu;
    {
      std::lock_guard<std::mutex> lock(mutex);
      state.store(job << 32, std::memory_order_release);
    }
    wake.notify_all();
    work(job);
    // Wait for the items other threads claimed. After a short spin, yield:
    // on a machine with more runnable threads than cores, the worker that
    // holds the last item may be waiting for this very core, and spinning
    // through its time slice turned each job into a scheduler period.
    for (int spins = 0; doneItems.load(std::memory_order_acquire) != count;) {
      if (spins < kWaitSpins) {
        ++spins;
        XF_CPU_RELAX();
      } else {
        std::this_thread::yield();
      }
    }
  }

private:
  void work(uint64_t job) {
    insideJob = true;
    int64_t done = 0;
    uint64_t current = state.load(std::memory_order_acquire);
    while ((current >> 32) == (job & 0xffffffffu)) {
      uint64_t item = current & 0xffffffffu;
      // Acquire: a count written for a later job makes the closing store
      // visible, so the claim below fails instead of taking a stale item.
      if (item == kClosed ||
          static_cast<int64_t>(item) >= jobCount.load(std::memory_order_acquire))
        break;
      if (!state.compare_exchange_weak(current, current + 1,
                                       std::memory_order_acq_rel))
        continue;
      jobBody(jobContext, static_cast<int64_t>(item));
      ++done;
      current = state.load(std::memory_order_acquire);
    }
    insideJob = false;
    if (done)
      doneItems.fetch_add(done, std::memory_order_acq_rel);
  }

  uint64_t currentJob() const {
    return state.load(std::memory_order_acquire) >> 32;
  }

  void workerLoop() {
    uint64_t seen = currentJob();
    while (true) {
      uint64_t job = currentJob();
      auto spinUntil = std::chrono::steady_clock::now() + kSpinTime;
      for (int i = 1; job == seen; ++i) {
        XF_CPU_RELAX();
        job = currentJob();
        if (i % 64 == 0 && std::chrono::steady_clock::now() > spinUntil)
          break;
      }
      if (job == seen) {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stopping || currentJob() != seen; });
        if (stopping)
          return;
        job = currentJob();
      }
      seen = job;
      work(job);
    }
  }

  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &worker : workers)
      worker.join();
    workers.clear();
  }

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::atomic<uint64_t> state{0};
  void (*jobBody)(void *, int64_t) = nullptr;
  void *jobContext = nullptr;
  std::atomic<int64_t> jobCount{0};
  std::atomic<int64_t> doneItems{0};
};

int defaultThreads() {
  if (const char *env = std::getenv("XF_NUM_THREADS")) {
    int value = std::atoi(env);
    if (value > 0)
      return value;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool &pool() {
  static ThreadPool instance(defaultThreads());
  return instance;
}

} // namespace

void xf::setNumThreads(int threads) { pool().resize(threads); }

int xf::numThreads() { return pool().size(); }

void xf::parallelFor(int64_t count, void (*body)(void *, int64_t),
                     void *context) {
  if (count <= 0)
    return;
  pool().run(count, body, context);
}

extern "C" void xfrt_parallel_for(int64_t count,
                                  void (*body)(void *context, int64_t item),
                                  void *context) {
  xf::parallelFor(count, body, context);
}
