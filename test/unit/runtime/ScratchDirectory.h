//===- ScratchDirectory.h - a fixture with a temporary directory -*- C++ -*-===//

#ifndef XF_TEST_UNIT_RUNTIME_SCRATCHDIRECTORY_H
#define XF_TEST_UNIT_RUNTIME_SCRATCHDIRECTORY_H

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <unistd.h>

/// A scratch directory per test, removed with everything in it; `path` is
/// a file name in it for the test's .xfw.
class ScratchDirectoryTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "xf-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory = pattern;
    path = directory + "/model.xfw";
  }
  void TearDown() override {
    std::string command = "rm -rf '" + directory + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }

  std::string directory, path;
};

#endif // XF_TEST_UNIT_RUNTIME_SCRATCHDIRECTORY_H
