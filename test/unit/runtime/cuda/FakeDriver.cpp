//===- FakeDriver.cpp - a stand-in libcuda for the loader's tests ---------===//
//
// Defines the driver entry points CudaDriver looks up, with no GPU behind
// them, so that the loader's paths past dlopen run on machines without
// one: FAKE_CUDA_DEVICES (default 0) devices are reported; module loads
// fail with a JIT log; everything else succeeds and does nothing.
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace {
int fakeDevices() {
  const char *count = std::getenv("FAKE_CUDA_DEVICES");
  return count ? std::atoi(count) : 0;
}
constexpr int kInvalidImage = 200; // CUDA_ERROR_INVALID_IMAGE
constexpr int kNoDevice = 100;     // CUDA_ERROR_NO_DEVICE
} // namespace

extern "C" {
int cuInit(unsigned) { return fakeDevices() ? 0 : kNoDevice; }
int cuDriverGetVersion(int *version) { return *version = 13000, 0; }
int cuDeviceGetCount(int *count) { return *count = fakeDevices(), 0; }
int cuDeviceGet(int *device, int) { return *device = 0, 0; }
int cuDeviceGetName(char *name, int length, int) {
  std::strncpy(name, "Fake GPU", length);
  return 0;
}
int cuDeviceGetAttribute(int *value, int attribute, int) {
  *value = attribute == 75 ? 9 : 0; // compute capability 9.0
  return 0;
}
int cuDevicePrimaryCtxRetain(void **context, int) {
  static int primary;
  return *context = &primary, 0;
}
int cuDevicePrimaryCtxRelease_v2(int) { return 0; }
int cuCtxSetCurrent(void *) { return 0; }
int cuModuleLoadDataEx(void **, const void *, unsigned count, int *options,
                       void **values) {
  for (unsigned i = 0; i < count; ++i)
    if (options[i] == 5) // CU_JIT_ERROR_LOG_BUFFER
      std::strcpy(static_cast<char *>(values[i]),
                  "ptxas fatal: fake driver: no GPU to compile for");
  return kInvalidImage;
}
int cuModuleUnload(void *) { return 0; }
int cuModuleGetFunction(void **, void *, const char *) { return 500; }
int cuLaunchKernel(void *, unsigned, unsigned, unsigned, unsigned, unsigned,
                   unsigned, unsigned, void *, void **, void **) {
  return 0;
}
int cuMemAlloc_v2(unsigned long long *pointer, size_t) {
  return *pointer = 0x1000, 0;
}
int cuMemAllocManaged(unsigned long long *pointer, size_t, unsigned) {
  return *pointer = 0x2000, 0;
}
int cuMemFree_v2(unsigned long long) { return 0; }
int cuMemcpyHtoD_v2(unsigned long long, const void *, size_t) { return 0; }
int cuMemcpyDtoH_v2(void *, unsigned long long, size_t) { return 0; }
int cuMemcpyAsync(unsigned long long, unsigned long long, size_t, void *) {
  return 0;
}
int cuMemsetD32Async(unsigned long long, unsigned, size_t, void *) { return 0; }
int cuMemsetD16Async(unsigned long long, unsigned short, size_t, void *) {
  return 0;
}
int cuStreamCreate(void **stream, unsigned) {
  static int one;
  return *stream = &one, 0;
}
int cuStreamDestroy_v2(void *) { return 0; }
int cuStreamSynchronize(void *) { return 0; }
int cuStreamWaitEvent(void *, void *, unsigned) { return 0; }
int cuEventCreate(void **event, unsigned) {
  static int one;
  return *event = &one, 0;
}
int cuEventDestroy_v2(void *) { return 0; }
int cuEventRecord(void *, void *) { return 0; }
int cuEventSynchronize(void *) { return 0; }
int cuGetErrorName(int error, const char **name) {
  *name = error == kNoDevice       ? "CUDA_ERROR_NO_DEVICE"
          : error == kInvalidImage ? "CUDA_ERROR_INVALID_IMAGE"
                                   : "CUDA_ERROR_UNKNOWN";
  return 0;
}
int cuGetErrorString(int error, const char **text) {
  *text =
      error == kNoDevice ? "no CUDA-capable device is detected" : "fake driver";
  return 0;
}
}
