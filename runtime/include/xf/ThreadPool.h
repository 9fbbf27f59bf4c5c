//===- ThreadPool.h - the runtime's worker threads --------------*- C++ -*-===//
//
// One process-wide pool. Kernels hand it a range of independent work items;
// the calling thread works too, so a pool of N threads has N - 1 workers.
// Workers spin briefly after each job before they sleep, because a decode
// step issues hundreds of small jobs in a row and waking a sleeping thread
// costs more than most of them.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_THREADPOOL_H
#define XF_RUNTIME_INCLUDE_XF_THREADPOOL_H

// parallelFor for generated code is xfrt_parallel_for (xf/Microkernels.def):
// the CPU pipeline's `xf-outline-parallel-loops` turns an scf.forall into its
// call, with the loop body outlined into `body` and its captured values behind
// `context`.
#include "xf/Microkernels.h"

#include <cstdint>

namespace xf {

/// Sets the number of threads kernels use, the caller included (at least 1).
/// Without a call, XF_NUM_THREADS if set, else the hardware's thread count.
void setNumThreads(int threads);

/// The number of threads kernels use.
int numThreads();

/// Calls `body(context, item)` for every item in [0, count), spread over the
/// pool's threads, and returns when all calls have returned. Calls may run in
/// any order and concurrently. A parallelFor called from inside a body runs
/// its items on the calling thread.
void parallelFor(int64_t count, void (*body)(void *context, int64_t item),
                 void *context);

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_THREADPOOL_H
