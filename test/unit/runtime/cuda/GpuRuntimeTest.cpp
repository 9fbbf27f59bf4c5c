//===- GpuRuntimeTest.cpp - MLIR's gpu runtime calls over the driver ------===//

#include "xf/GpuRuntime.h"
#include "xf/CudaDriver.h"

#include "cuda/AddOneKernel.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

using namespace xf;

namespace {

char *ptxImage() { return const_cast<char *>(test::kAddOnePtx); }

TEST(GpuRuntimeTest, RegisteringAModuleNeedsNoDriver) {
  // What a program's global constructors and destructors do before and
  // after main: on a machine without a GPU they must not fail.
  void *module = mgpuModuleLoadJIT(ptxImage(), 2);
  ASSERT_NE(module, nullptr);
  mgpuModuleUnload(module);
}

TEST(GpuRuntimeTest, NoDriverIsOneLineAndItsExitStatus) {
  // A fresh process, whatever the driver state of this one.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("XFRT_CUDA_DRIVER", "libxf-no-such-driver.so.1", 1);
        mgpuModuleGetFunction(mgpuModuleLoadJIT(ptxImage(), 2), "add_one");
      },
      testing::ExitedWithCode(cuda::kNoDeviceExitCode),
      "^error: no CUDA driver: cannot open libxf-no-such-driver.so.1 .*\n$");
}

TEST(GpuRuntimeTest, KernelsThatDoNotLoadAreOneLineWithTheJitLog) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        // The stand-in driver (FakeDriver.cpp): a device, no JIT.
        setenv("XFRT_CUDA_DRIVER", XF_FAKE_CUDA_DRIVER, 1);
        setenv("FAKE_CUDA_DEVICES", "1", 1);
        mgpuModuleGetFunction(mgpuModuleLoadJIT(ptxImage(), 2), "add_one");
      },
      testing::ExitedWithCode(1),
      "^error: cannot load the program's GPU kernels on Fake GPU \\(sm_90\\): "
      "cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_IMAGE \\(fake driver\\); "
      "JIT log: ptxas fatal: fake driver: no GPU to compile for\n$");
}

TEST(GpuRuntimeTest, LaunchesOnTheProgramStream) {
  if (Result<const cuda::CudaDriver *> driver = cuda::processDriver(); !driver)
    GTEST_SKIP() << "no GPU to test on: " << driver.error();
  void *module = mgpuModuleLoadJIT(ptxImage(), 2);
  void *addOne = mgpuModuleGetFunction(module, "add_one");
  void *stream = mgpuStreamCreate();
  EXPECT_EQ(stream, mgpuStreamCreate());
  std::vector<float> host(1000, 41.0f);
  void *device = mgpuMemAlloc(sizeof(float) * host.size(), stream, false);
  mgpuMemcpy(device, host.data(), sizeof(float) * host.size(), stream);
  unsigned count = 1000;
  void *params[] = {&device, &count};
  mgpuLaunchKernel(addOne, 8, 1, 1, 128, 1, 1, 0, stream, params, nullptr, 2);
  mgpuMemcpy(host.data(), device, sizeof(float) * host.size(), stream);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(host, std::vector<float>(1000, 42.0f));
  mgpuMemFree(device, stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
}

TEST(GpuRuntimeTest, ManagedMemoryIsReadOnBothSides) {
  if (Result<const cuda::CudaDriver *> driver = cuda::processDriver(); !driver)
    GTEST_SKIP() << "no GPU to test on: " << driver.error();
  void *module = mgpuModuleLoadJIT(ptxImage(), 2);
  void *addOne = mgpuModuleGetFunction(module, "add_one");
  void *stream = mgpuStreamCreate();
  auto *shared = static_cast<float *>(mgpuMemAlloc(64, stream, true));
  for (int i = 0; i < 16; ++i)
    shared[i] = float(i);
  unsigned count = 16;
  void *params[] = {&shared, &count};
  mgpuLaunchKernel(addOne, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2);
  mgpuStreamSynchronize(stream);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(shared[i], float(i + 1));
  mgpuMemFree(shared, stream);
  mgpuModuleUnload(module);
}

TEST(GpuRuntimeTest, EmptyAllocationIsNull) {
  if (Result<const cuda::CudaDriver *> driver = cuda::processDriver(); !driver)
    GTEST_SKIP() << "no GPU to test on: " << driver.error();
  EXPECT_EQ(mgpuMemAlloc(0, mgpuStreamCreate(), false), nullptr);
  mgpuMemFree(nullptr, mgpuStreamCreate());
}

} // namespace
