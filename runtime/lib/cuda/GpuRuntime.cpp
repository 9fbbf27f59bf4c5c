//===- GpuRuntime.cpp - MLIR's gpu runtime calls over the driver API ------===//

#include "xf/GpuRuntime.h"
#include "xf/CudaDriver.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

using namespace xf;
using namespace xf::cuda;

namespace {

[[noreturn]] void fail(const std::string &message, int status = 1) {
  // What the program printed so far (generated text) comes first.
  std::fflush(stdout);
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::exit(status);
}

const CudaDriver &driver() {
  Result<const CudaDriver *> opened = processDriver();
  if (!opened)
    fail(opened.error(), kNoDeviceExitCode);
  return **opened;
}

CUstream stream() {
  Result<CUstream> created = processStream();
  if (!created)
    fail(created.error());
  return *created;
}

void check(CUresult result, const char *call) {
  if (Result<void> ok = driver().check(result, call); !ok)
    fail(ok.error());
}

/// A registered image and, once a kernel of it is first looked up, its
/// loaded module.
struct LazyModule {
  LazyModule(const void *image, int jitOptimizationLevel)
      : image(image), jitOptimizationLevel(jitOptimizationLevel) {}

  const void *image;
  int jitOptimizationLevel; // -1: a cubin or fatbin
  std::once_flag loadedOnce;
  CUmodule module = nullptr;
};

} // namespace

extern "C" void *mgpuModuleLoad(void *data, size_t /*size*/) {
  return new LazyModule(data, -1);
}

extern "C" void *mgpuModuleLoadJIT(void *data, int optLevel) {
  return new LazyModule(data, optLevel);
}

extern "C" void mgpuModuleUnload(void *handle) {
  auto *lazy = static_cast<LazyModule *>(handle);
  // At exit the driver may be shut down already; nothing to report then.
  if (lazy->module)
    (void)driver().api().cuModuleUnload(lazy->module);
  delete lazy;
}

extern "C" void *mgpuModuleGetFunction(void *handle, const char *name) {
  auto *lazy = static_cast<LazyModule *>(handle);
  const CudaDriver &cuda = driver();
  std::call_once(lazy->loadedOnce, [&] {
    Result<CUmodule> module =
        cuda.loadModule(lazy->image, lazy->jitOptimizationLevel);
    if (!module)
      fail("cannot load the program's GPU kernels on " +
           cuda.deviceDescription() + ": " + module.error());
    lazy->module = *module;
  });
  Result<CUfunction> function = cuda.function(lazy->module, name);
  if (!function)
    fail(function.error());
  return *function;
}

extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                 intptr_t gridZ, intptr_t blockX,
                                 intptr_t blockY, intptr_t blockZ,
                                 int32_t sharedMemBytes, void *launchStream,
                                 void **params, void **extra,
                                 size_t /*paramsCount*/) {
  check(driver().api().cuLaunchKernel(
            static_cast<CUfunction>(function), unsigned(gridX), unsigned(gridY),
            unsigned(gridZ), unsigned(blockX), unsigned(blockY),
            unsigned(blockZ), unsigned(sharedMemBytes),
            static_cast<CUstream>(launchStream), params, extra),
        "cuLaunchKernel");
}

extern "C" void *mgpuStreamCreate() { return stream(); }

extern "C" void mgpuStreamDestroy(void * /*stream*/) {}

extern "C" void mgpuStreamSynchronize(void *launchStream) {
  check(driver().api().cuStreamSynchronize(static_cast<CUstream>(launchStream)),
        "cuStreamSynchronize");
}

extern "C" void mgpuStreamWaitEvent(void *launchStream, void *event) {
  check(driver().api().cuStreamWaitEvent(static_cast<CUstream>(launchStream),
                                         static_cast<CUevent>(event), 0),
        "cuStreamWaitEvent");
}

extern "C" void *mgpuEventCreate() {
  CUevent event = nullptr;
  check(driver().api().cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
        "cuEventCreate");
  return event;
}

extern "C" void mgpuEventDestroy(void *event) {
  check(driver().api().cuEventDestroy(static_cast<CUevent>(event)),
        "cuEventDestroy");
}

extern "C" void mgpuEventSynchronize(void *event) {
  check(driver().api().cuEventSynchronize(static_cast<CUevent>(event)),
        "cuEventSynchronize");
}

extern "C" void mgpuEventRecord(void *event, void *launchStream) {
  check(driver().api().cuEventRecord(static_cast<CUevent>(event),
                                     static_cast<CUstream>(launchStream)),
        "cuEventRecord");
}

extern "C" void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/,
                              bool isHostShared) {
  // The driver refuses a zero-byte allocation; an empty buffer is null.
  if (sizeBytes == 0)
    return nullptr;
  if (isHostShared) {
    // Shape and index tensors that host code reads: managed memory, which
    // both sides reach (each launch waits for the stream, so the host
    // reads what a kernel wrote).
    CUdeviceptr pointer = 0;
    check(driver().api().cuMemAllocManaged(&pointer, sizeBytes,
                                           CU_MEM_ATTACH_GLOBAL),
          "cuMemAllocManaged");
    return reinterpret_cast<void *>(pointer);
  }
  Result<CUdeviceptr> pointer = driver().allocate(sizeBytes);
  if (!pointer)
    fail(pointer.error());
  return reinterpret_cast<void *>(*pointer);
}

extern "C" void mgpuMemFree(void *pointer, void * /*stream*/) {
  if (!pointer)
    return;
  if (Result<void> ok = driver().free(reinterpret_cast<CUdeviceptr>(pointer));
      !ok)
    fail(ok.error());
}

extern "C" void mgpuMemcpy(void *destination, void *source, size_t sizeBytes,
                           void *launchStream) {
  // Unified addressing: the driver tells host from device pointers.
  check(driver().api().cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(destination),
                                     reinterpret_cast<CUdeviceptr>(source),
                                     sizeBytes,
                                     static_cast<CUstream>(launchStream)),
        "cuMemcpyAsync");
}

extern "C" void mgpuMemset32(void *destination, unsigned value, size_t count,
                             void *launchStream) {
  check(driver().api().cuMemsetD32Async(
            reinterpret_cast<CUdeviceptr>(destination), value, count,
            static_cast<CUstream>(launchStream)),
        "cuMemsetD32Async");
}

extern "C" void mgpuMemset16(void *destination, unsigned short value,
                             size_t count, void *launchStream) {
  check(driver().api().cuMemsetD16Async(
            reinterpret_cast<CUdeviceptr>(destination), value, count,
            static_cast<CUstream>(launchStream)),
        "cuMemsetD16Async");
}

extern "C" void mgpuSetDefaultDevice(int32_t device) {
  if (device != 0)
    fail("only CUDA device 0 is supported, not " + std::to_string(device));
}
