//===- CudaDriver.h - the CUDA driver API, opened at run time ---*- C++ -*-===//
//
// A CUDA program calls the driver (libcuda.so.1) through function pointers
// looked up with dlopen/dlsym, so nothing links against the toolkit and a
// machine without a driver gets one clear error line instead of a loader
// failure. The few prototypes the runtime needs are declared here, with the
// driver's ABI (types, enum values); cuda.h is never included.
//
// The CPU program does not link this (it lives in libxfrt_cuda).
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_CUDADRIVER_H
#define XF_RUNTIME_INCLUDE_XF_CUDADRIVER_H

#include "xf/Result.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace xf::cuda {

// The driver's ABI, as cuda.h declares it (CUDA 12 and 13 agree on these).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUjit_option = int;

constexpr CUresult CUDA_SUCCESS = 0;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER = 3;
constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr CUjit_option CU_JIT_OPTIMIZATION_LEVEL = 7;
constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
constexpr unsigned CU_MEM_ATTACH_GLOBAL = 1;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 2;

/// The library the driver is opened from unless XFRT_CUDA_DRIVER names
/// another (a test's nonexistent name, an unusual install).
constexpr const char *kDefaultDriverLibrary = "libcuda.so.1";

/// The driver's entry points, looked up once. Each is the symbol the
/// toolkit's cuda.h maps the name to (cuMemAlloc is cuMemAlloc_v2, ...).
struct DriverAPI {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuDriverGetVersion)(int *version);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice device);
  CUresult (*cuCtxSetCurrent)(CUcontext context);
  CUresult (*cuModuleLoadDataEx)(CUmodule *module, const void *image,
                                 unsigned numOptions, CUjit_option *options,
                                 void **optionValues);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module,
                                  const char *name);
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned gridX,
                             unsigned gridY, unsigned gridZ, unsigned blockX,
                             unsigned blockY, unsigned blockZ,
                             unsigned sharedMemBytes, CUstream stream,
                             void **params, void **extra);
  CUresult (*cuMemAlloc)(CUdeviceptr *pointer, size_t bytes);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *pointer, size_t bytes,
                                unsigned flags);
  CUresult (*cuMemFree)(CUdeviceptr pointer);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr destination, const void *source,
                           size_t bytes);
  CUresult (*cuMemcpyDtoH)(void *destination, CUdeviceptr source, size_t bytes);
  CUresult (*cuMemcpyAsync)(CUdeviceptr destination, CUdeviceptr source,
                            size_t bytes, CUstream stream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr destination, unsigned value,
                               size_t count, CUstream stream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr destination, unsigned short value,
                               size_t count, CUstream stream);
  CUresult (*cuStreamCreate)(CUstream *stream, unsigned flags);
  CUresult (*cuStreamDestroy)(CUstream stream);
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuStreamWaitEvent)(CUstream stream, CUevent event, unsigned flags);
  CUresult (*cuEventCreate)(CUevent *event, unsigned flags);
  CUresult (*cuEventDestroy)(CUevent event);
  CUresult (*cuEventRecord)(CUevent event, CUstream stream);
  CUresult (*cuEventSynchronize)(CUevent event);
  CUresult (*cuGetErrorName)(CUresult error, const char **name);
  CUresult (*cuGetErrorString)(CUresult error, const char **text);
};

/// The opened driver with device 0's primary context current: what a
/// program needs before it loads a module or allocates.
class CudaDriver {
public:
  /// Opens `library` (default: XFRT_CUDA_DRIVER, else libcuda.so.1), looks
  /// up the entry points, initializes the driver and makes device 0's
  /// primary context current on the calling thread. The error says which
  /// of these failed: no driver library, a driver too old for a symbol, no
  /// device.
  static Result<CudaDriver> open(const char *library = nullptr);

  CudaDriver(CudaDriver &&other) noexcept;
  CudaDriver &operator=(CudaDriver &&other) = delete;
  CudaDriver(const CudaDriver &) = delete;
  CudaDriver &operator=(const CudaDriver &) = delete;
  ~CudaDriver();

  const DriverAPI &api() const { return entryPoints; }
  CUdevice device() const { return deviceHandle; }
  CUcontext context() const { return primaryContext; }
  /// "NVIDIA H100 80GB HBM3 (sm_90)".
  const std::string &deviceDescription() const { return description; }
  int computeCapability() const { return capability; }

  /// Success, or "<call> failed: CUDA_ERROR_NAME (the driver's text)".
  Result<void> check(CUresult result, const char *call) const;

  /// Makes the primary context current on the calling thread (each new
  /// thread that calls the driver needs this once).
  Result<void> makeCurrent() const;

  /// Loads a PTX (NUL-terminated) or cubin/fatbin image, PTX compiled at
  /// `jitOptimizationLevel` (0-4; -1: the driver's default). A failure
  /// carries the JIT's error log, which names the PTX line at fault.
  Result<CUmodule> loadModule(const void *image,
                              int jitOptimizationLevel = -1) const;

  Result<CUfunction> function(CUmodule module, const char *name) const;

  Result<CUdeviceptr> allocate(size_t bytes) const;
  Result<void> free(CUdeviceptr pointer) const;
  Result<void> copyToDevice(CUdeviceptr destination, const void *source,
                            size_t bytes) const;
  Result<void> copyToHost(void *destination, CUdeviceptr source,
                          size_t bytes) const;

private:
  CudaDriver() = default;

  void *library = nullptr;
  DriverAPI entryPoints{};
  CUdevice deviceHandle = 0;
  CUcontext primaryContext = nullptr;
  int capability = 0;
  std::string description;
};

/// The exit status of a program that finds no CUDA driver or device
/// (sysexits' EX_UNAVAILABLE), apart from 1 for a CUDA call that fails.
constexpr int kNoDeviceExitCode = 69;

/// The process-wide driver the generated code's launches use (the mgpu*
/// functions, runtime/lib/cuda/GpuRuntime.cpp), opened on first use. Its
/// error, if opening failed, stays: every later call gets the same one.
Result<const CudaDriver *> processDriver();

/// The one stream every launch and copy of the program is ordered on.
Result<CUstream> processStream();

} // namespace xf::cuda

#endif // XF_RUNTIME_INCLUDE_XF_CUDADRIVER_H
