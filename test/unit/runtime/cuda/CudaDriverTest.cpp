//===- CudaDriverTest.cpp - the driver API opened at run time -------------===//
//
// The error paths run everywhere; the rest needs a GPU and its driver and
// is skipped, with the reason, without one.
//
//===----------------------------------------------------------------------===//

#include "xf/CudaDriver.h"

#include "cuda/AddOneKernel.h"

#include <gtest/gtest.h>

#include <vector>

using namespace xf;
using namespace xf::cuda;

namespace {

/// EXPECT_THAT(text, HasSubstr(part)) without gmock, which the runtime's
/// tests do not link.
#define EXPECT_CONTAINS(text, part)                                            \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

TEST(CudaDriverTest, MissingLibraryIsOneClearError) {
  Result<CudaDriver> driver = CudaDriver::open("libxf-no-such-driver.so.1");
  ASSERT_FALSE(driver.ok());
  EXPECT_CONTAINS(driver.error(),
                  "no CUDA driver: cannot open libxf-no-such-driver.so.1");
  EXPECT_CONTAINS(driver.error(), "needs an NVIDIA GPU and its driver");
  EXPECT_EQ(driver.error().find('\n'), std::string::npos);
}

TEST(CudaDriverTest, LibraryWithoutTheDriverAPIIsRefused) {
  // A library that loads but is no driver: the first symbol it lacks.
  Result<CudaDriver> driver = CudaDriver::open("libm.so.6");
  ASSERT_FALSE(driver.ok());
  EXPECT_CONTAINS(driver.error(), "libm.so.6 is too old: it has no cuInit");
}

// A stand-in driver library (FakeDriver.cpp) takes the loader past dlopen
// on any machine.
TEST(CudaDriverTest, DriverWithoutDeviceIsOneClearError) {
  setenv("FAKE_CUDA_DEVICES", "0", 1);
  Result<CudaDriver> driver = CudaDriver::open(XF_FAKE_CUDA_DRIVER);
  ASSERT_FALSE(driver.ok());
  EXPECT_CONTAINS(driver.error(),
                  "no usable CUDA device: cuInit failed: CUDA_ERROR_NO_DEVICE "
                  "(no CUDA-capable device is detected)");
}

TEST(CudaDriverTest, FailedModuleLoadCarriesTheJitLog) {
  setenv("FAKE_CUDA_DEVICES", "1", 1);
  Result<CudaDriver> driver = CudaDriver::open(XF_FAKE_CUDA_DRIVER);
  ASSERT_TRUE(driver.ok()) << driver.error();
  EXPECT_EQ(driver->deviceDescription(), "Fake GPU (sm_90)");
  Result<CUmodule> module = driver->loadModule(".version 8.0\n", 2);
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.error(),
            "cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_IMAGE (fake "
            "driver); JIT log: ptxas fatal: fake driver: no GPU to compile "
            "for");
}

/// The driver of this machine, or a skip that says why there is none.
#define OPEN_DRIVER_OR_SKIP(driver)                                            \
  Result<CudaDriver> driver = CudaDriver::open();                              \
  if (!driver)                                                                 \
  GTEST_SKIP() << "no GPU to test on: " << driver.error()

TEST(CudaDriverTest, DescribesTheDevice) {
  OPEN_DRIVER_OR_SKIP(driver);
  EXPECT_GE(driver->computeCapability(), 50);
  EXPECT_CONTAINS(driver->deviceDescription(), "(sm_");
}

TEST(CudaDriverTest, CopiesRoundTrip) {
  OPEN_DRIVER_OR_SKIP(driver);
  std::vector<float> host = {1, 2, 3, 4}, back(4);
  Result<CUdeviceptr> device = driver->allocate(sizeof(float) * host.size());
  ASSERT_TRUE(device.ok()) << device.error();
  ASSERT_TRUE(driver->copyToDevice(*device, host.data(), 16).ok());
  ASSERT_TRUE(driver->copyToHost(back.data(), *device, 16).ok());
  EXPECT_EQ(back, host);
  EXPECT_TRUE(driver->free(*device).ok());
}

TEST(CudaDriverTest, LoadsAndLaunchesPtx) {
  OPEN_DRIVER_OR_SKIP(driver);
  Result<CUmodule> module = driver->loadModule(test::kAddOnePtx, 2);
  ASSERT_TRUE(module.ok()) << module.error();
  Result<CUfunction> addOne = driver->function(*module, "add_one");
  ASSERT_TRUE(addOne.ok()) << addOne.error();
  std::vector<float> host(300, 2.0f);
  Result<CUdeviceptr> device = driver->allocate(sizeof(float) * host.size());
  ASSERT_TRUE(device.ok()) << device.error();
  ASSERT_TRUE(
      driver->copyToDevice(*device, host.data(), sizeof(float) * 300).ok());
  unsigned count = 300;
  void *params[] = {&*device, &count};
  ASSERT_TRUE(
      driver
          ->check(driver->api().cuLaunchKernel(*addOne, 3, 1, 1, 128, 1, 1, 0,
                                               nullptr, params, nullptr),
                  "cuLaunchKernel")
          .ok());
  ASSERT_TRUE(
      driver->copyToHost(host.data(), *device, sizeof(float) * 300).ok());
  EXPECT_EQ(host, std::vector<float>(300, 3.0f));
  EXPECT_TRUE(driver->free(*device).ok());
  EXPECT_TRUE(
      driver->check(driver->api().cuModuleUnload(*module), "cuModuleUnload")
          .ok());
}

TEST(CudaDriverTest, BadPtxCarriesTheJitLog) {
  OPEN_DRIVER_OR_SKIP(driver);
  Result<CUmodule> module =
      driver->loadModule(".version 7.0\n.target sm_80\n.address_size 64\n"
                         ".visible .entry broken() { no.such.instruction; }\n");
  ASSERT_FALSE(module.ok());
  EXPECT_CONTAINS(module.error(), "cuModuleLoadDataEx failed: ");
  EXPECT_CONTAINS(module.error(), "JIT log: ");
}

TEST(CudaDriverTest, ErrorsAreNamed) {
  OPEN_DRIVER_OR_SKIP(driver);
  Result<void> ok = driver->check(/*CUDA_ERROR_INVALID_VALUE*/ 1, "cuTest");
  ASSERT_FALSE(ok.ok());
  EXPECT_CONTAINS(ok.error(), "cuTest failed: CUDA_ERROR_INVALID_VALUE");
}

} // namespace
