//===- CudaDriver.cpp - the CUDA driver API, opened at run time -----------===//

#include "xf/CudaDriver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <optional>
#include <utility>

using namespace xf;
using namespace xf::cuda;

namespace {

/// Looks `symbol` up into `entry`; false (with the name kept) if missing.
template <typename Fn>
bool lookUp(void *library, const char *symbol, Fn &entry,
            std::string &missing) {
  entry = reinterpret_cast<Fn>(dlsym(library, symbol));
  if (!entry && missing.empty())
    missing = symbol;
  return entry != nullptr;
}

/// Fills `api` from `library`; the first symbol it lacks, if any.
std::string lookUpAll(void *library, DriverAPI &api) {
  std::string missing;
  // The versioned names are what cuda.h's macros make of the plain ones;
  // the plain symbols are older ABIs kept for old binaries.
  lookUp(library, "cuInit", api.cuInit, missing);
  lookUp(library, "cuDriverGetVersion", api.cuDriverGetVersion, missing);
  lookUp(library, "cuDeviceGetCount", api.cuDeviceGetCount, missing);
  lookUp(library, "cuDeviceGet", api.cuDeviceGet, missing);
  lookUp(library, "cuDeviceGetName", api.cuDeviceGetName, missing);
  lookUp(library, "cuDeviceGetAttribute", api.cuDeviceGetAttribute, missing);
  lookUp(library, "cuDevicePrimaryCtxRetain", api.cuDevicePrimaryCtxRetain,
         missing);
  lookUp(library, "cuDevicePrimaryCtxRelease_v2", api.cuDevicePrimaryCtxRelease,
         missing);
  lookUp(library, "cuCtxSetCurrent", api.cuCtxSetCurrent, missing);
  lookUp(library, "cuModuleLoadDataEx", api.cuModuleLoadDataEx, missing);
  lookUp(library, "cuModuleUnload", api.cuModuleUnload, missing);
  lookUp(library, "cuModuleGetFunction", api.cuModuleGetFunction, missing);
  lookUp(library, "cuLaunchKernel", api.cuLaunchKernel, missing);
  lookUp(library, "cuMemAlloc_v2", api.cuMemAlloc, missing);
  lookUp(library, "cuMemAllocManaged", api.cuMemAllocManaged, missing);
  lookUp(library, "cuMemFree_v2", api.cuMemFree, missing);
  lookUp(library, "cuMemcpyHtoD_v2", api.cuMemcpyHtoD, missing);
  lookUp(library, "cuMemcpyDtoH_v2", api.cuMemcpyDtoH, missing);
  lookUp(library, "cuMemcpyAsync", api.cuMemcpyAsync, missing);
  lookUp(library, "cuMemsetD32Async", api.cuMemsetD32Async, missing);
  lookUp(library, "cuMemsetD16Async", api.cuMemsetD16Async, missing);
  lookUp(library, "cuStreamCreate", api.cuStreamCreate, missing);
  lookUp(library, "cuStreamDestroy_v2", api.cuStreamDestroy, missing);
  lookUp(library, "cuStreamSynchronize", api.cuStreamSynchronize, missing);
  lookUp(library, "cuStreamWaitEvent", api.cuStreamWaitEvent, missing);
  lookUp(library, "cuEventCreate", api.cuEventCreate, missing);
  lookUp(library, "cuEventDestroy_v2", api.cuEventDestroy, missing);
  lookUp(library, "cuEventRecord", api.cuEventRecord, missing);
  lookUp(library, "cuEventSynchronize", api.cuEventSynchronize, missing);
  lookUp(library, "cuGetErrorName", api.cuGetErrorName, missing);
  lookUp(library, "cuGetErrorString", api.cuGetErrorString, missing);
  return missing;
}

ErrorMessage error(std::string text) { return ErrorMessage{std::move(text)}; }

} // namespace

Result<CudaDriver> CudaDriver::open(const char *libraryName) {
  if (!libraryName) {
    const char *fromEnvironment = std::getenv("XFRT_CUDA_DRIVER");
    libraryName = fromEnvironment && *fromEnvironment ? fromEnvironment
                                                      : kDefaultDriverLibrary;
  }
  CudaDriver driver;
  driver.library = dlopen(libraryName, RTLD_NOW | RTLD_LOCAL);
  if (!driver.library) {
    const char *reason = dlerror();
    return error(std::string("no CUDA driver: cannot open ") + libraryName +
                 (reason ? std::string(" (") + reason + ")" : std::string()) +
                 "; this program needs an NVIDIA GPU and its driver");
  }
  std::string missing = lookUpAll(driver.library, driver.entryPoints);
  if (!missing.empty())
    return error(std::string("the CUDA driver ") + libraryName +
                 " is too old: it has no " + missing);
  const DriverAPI &api = driver.entryPoints;
  if (Result<void> ok = driver.check(api.cuInit(0), "cuInit"); !ok)
    return error("no usable CUDA device: " + ok.error());
  int count = 0;
  if (Result<void> ok =
          driver.check(api.cuDeviceGetCount(&count), "cuDeviceGetCount");
      !ok)
    return error(ok.error());
  if (count == 0)
    return error("no CUDA device: the driver sees no GPU");
  if (Result<void> ok =
          driver.check(api.cuDeviceGet(&driver.deviceHandle, 0), "cuDeviceGet");
      !ok)
    return error(ok.error());
  char name[256] = {};
  int major = 0, minor = 0;
  if (Result<void> ok = driver.check(
          api.cuDeviceGetName(name, sizeof(name) - 1, driver.deviceHandle),
          "cuDeviceGetName");
      !ok)
    return error(ok.error());
  if (Result<void> ok =
          driver.check(api.cuDeviceGetAttribute(
                           &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                           driver.deviceHandle),
                       "cuDeviceGetAttribute");
      !ok)
    return error(ok.error());
  if (Result<void> ok =
          driver.check(api.cuDeviceGetAttribute(
                           &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                           driver.deviceHandle),
                       "cuDeviceGetAttribute");
      !ok)
    return error(ok.error());
  driver.capability = major * 10 + minor;
  driver.description =
      std::string(name) + " (sm_" + std::to_string(driver.capability) + ")";
  if (Result<void> ok =
          driver.check(api.cuDevicePrimaryCtxRetain(&driver.primaryContext,
                                                    driver.deviceHandle),
                       "cuDevicePrimaryCtxRetain");
      !ok)
    return error(ok.error());
  if (Result<void> ok = driver.makeCurrent(); !ok)
    return error(ok.error());
  return driver;
}

CudaDriver::CudaDriver(CudaDriver &&other) noexcept
    : library(std::exchange(other.library, nullptr)),
      entryPoints(other.entryPoints), deviceHandle(other.deviceHandle),
      primaryContext(std::exchange(other.primaryContext, nullptr)),
      capability(other.capability), description(std::move(other.description)) {}

CudaDriver::~CudaDriver() {
  if (primaryContext)
    entryPoints.cuDevicePrimaryCtxRelease(deviceHandle);
  // The library stays loaded: the driver keeps threads that outlive us.
}

Result<void> CudaDriver::check(CUresult result, const char *call) const {
  if (result == CUDA_SUCCESS)
    return {};
  const char *name = nullptr, *text = nullptr;
  if (entryPoints.cuGetErrorName)
    entryPoints.cuGetErrorName(result, &name);
  if (entryPoints.cuGetErrorString)
    entryPoints.cuGetErrorString(result, &text);
  std::string message = std::string(call) + " failed: " +
                        (name ? name : "CUresult " + std::to_string(result));
  if (text)
    message += std::string(" (") + text + ")";
  return error(std::move(message));
}

Result<void> CudaDriver::makeCurrent() const {
  return check(entryPoints.cuCtxSetCurrent(primaryContext), "cuCtxSetCurrent");
}

Result<CUmodule> CudaDriver::loadModule(const void *image,
                                        int jitOptimizationLevel) const {
  // The JIT writes why a PTX image does not compile into this buffer.
  char errorLog[8192] = {};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  // Option values are passed in pointer-sized slots, integers by value.
  void *values[] = {errorLog,
                    reinterpret_cast<void *>(uintptr_t(sizeof(errorLog) - 1)),
                    reinterpret_cast<void *>(uintptr_t(jitOptimizationLevel))};
  unsigned numOptions = jitOptimizationLevel >= 0 ? 3 : 2;
  CUmodule module = nullptr;
  Result<void> ok = check(entryPoints.cuModuleLoadDataEx(
                              &module, image, numOptions, options, values),
                          "cuModuleLoadDataEx");
  if (!ok)
    return error(ok.error() + (errorLog[0]
                                   ? std::string("; JIT log: ") + errorLog
                                   : std::string()));
  return module;
}

Result<CUfunction> CudaDriver::function(CUmodule module,
                                        const char *name) const {
  CUfunction function = nullptr;
  if (Result<void> ok =
          check(entryPoints.cuModuleGetFunction(&function, module, name),
                "cuModuleGetFunction");
      !ok)
    return error(ok.error() + " for kernel '" + name + "'");
  return function;
}

Result<CUdeviceptr> CudaDriver::allocate(size_t bytes) const {
  CUdeviceptr pointer = 0;
  if (Result<void> ok =
          check(entryPoints.cuMemAlloc(&pointer, bytes), "cuMemAlloc");
      !ok)
    return error(ok.error() + " for " + std::to_string(bytes) + " bytes");
  return pointer;
}

Result<void> CudaDriver::free(CUdeviceptr pointer) const {
  return check(entryPoints.cuMemFree(pointer), "cuMemFree");
}

Result<void> CudaDriver::copyToDevice(CUdeviceptr destination,
                                      const void *source, size_t bytes) const {
  return check(entryPoints.cuMemcpyHtoD(destination, source, bytes),
               "cuMemcpyHtoD");
}

Result<void> CudaDriver::copyToHost(void *destination, CUdeviceptr source,
                                    size_t bytes) const {
  return check(entryPoints.cuMemcpyDtoH(destination, source, bytes),
               "cuMemcpyDtoH");
}

namespace {

struct ProcessState {
  std::once_flag opened;
  std::optional<Result<CudaDriver>> driver;
  std::once_flag streamCreated;
  std::optional<Result<CUstream>> stream;
};

ProcessState &processState() {
  // Never destroyed: generated modules are unloaded by global destructors
  // that may run after ours would.
  static ProcessState *state = new ProcessState;
  return *state;
}

} // namespace

Result<const CudaDriver *> cuda::processDriver() {
  ProcessState &state = processState();
  std::call_once(state.opened,
                 [&] { state.driver.emplace(CudaDriver::open()); });
  if (!*state.driver)
    return error(state.driver->error());
  const CudaDriver *driver = &**state.driver;
  // A thread's first call: the context is per thread.
  thread_local bool current = false;
  if (!current) {
    if (Result<void> ok = driver->makeCurrent(); !ok)
      return error(ok.error());
    current = true;
  }
  return driver;
}

Result<CUstream> cuda::processStream() {
  Result<const CudaDriver *> driver = processDriver();
  if (!driver)
    return error(driver.error());
  ProcessState &state = processState();
  std::call_once(state.streamCreated, [&] {
    CUstream stream = nullptr;
    Result<void> ok = (*driver)->check(
        (*driver)->api().cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
        "cuStreamCreate");
    state.stream.emplace(ok ? Result<CUstream>(stream)
                            : Result<CUstream>(error(ok.error())));
  });
  if (!*state.stream)
    return error(state.stream->error());
  return **state.stream;
}
