//===- ShapeErrorTest.cpp - the exit of a failed run-time shape check -----===//

#include "xf/Kernels.h"

#include <gtest/gtest.h>

namespace {

int64_t address(const char *text) { return reinterpret_cast<int64_t>(text); }

TEST(ShapeErrorTest, BroadcastMessageAndStatus) {
  EXPECT_EXIT(
      xfrt_shape_error(
          address("model.onnx: node 'add' (onnx.Add): dimension 1 of input 1"),
          3, 9, /*broadcast=*/1),
      testing::ExitedWithCode(1),
      "error: model.onnx: node 'add' \\(onnx.Add\\): dimension 1 of input 1 "
      "is 3, which does not broadcast to 9");
}

TEST(ShapeErrorTest, EqualityMessageAndStatus) {
  EXPECT_EXIT(xfrt_shape_error(address("m.onnx: node 'mm' (onnx.MatMul): k"), 6,
                               5, /*broadcast=*/0),
              testing::ExitedWithCode(1),
              "error: m.onnx: node 'mm' \\(onnx.MatMul\\): k is 6 but must "
              "be 5");
}

} // namespace
