//===- TensorImportTest.cpp - importer/TensorImport -----------------------===//

#include "importer/TensorImport.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class TensorImportTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("xf-tensor-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  void writeFile(llvm::StringRef name, const std::string &bytes) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << bytes;
  }

  static onnx::TensorProto floats(std::vector<int64_t> dims,
                                  std::vector<float> values) {
    onnx::TensorProto t;
    t.set_name("t");
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims)
      t.add_dims(d);
    for (float v : values)
      t.add_float_data(v);
    return t;
  }

  std::string error(onnx::TensorProto tensor, int64_t inlineLimit = 64) {
    xf::TensorImporter importer(context, dir.str().str(), inlineLimit);
    auto result = importer.convert(tensor);
    if (result)
      return "";
    return llvm::toString(result.takeError());
  }

  MLIRContext context;
  llvm::SmallString<128> dir;
};

TEST_F(TensorImportTest, ElementTypes) {
  auto type = [&](int32_t t) {
    auto converted = xf::convertONNXElementType(t, context);
    std::string s;
    if (converted)
      llvm::raw_string_ostream(s) << *converted;
    else
      llvm::consumeError(converted.takeError());
    return s;
  };
  EXPECT_EQ(type(onnx::TensorProto::FLOAT), "f32");
  EXPECT_EQ(type(onnx::TensorProto::INT64), "i64");
  EXPECT_EQ(type(onnx::TensorProto::UINT8), "ui8");
  EXPECT_EQ(type(onnx::TensorProto::BOOL), "i1");
  EXPECT_EQ(type(onnx::TensorProto::BFLOAT16), "bf16");
  EXPECT_EQ(type(19), "f8E5M2");
  EXPECT_EQ(type(onnx::TensorProto::STRING), "");
}

TEST_F(TensorImportTest, TypedDataInline) {
  xf::TensorImporter importer(context, dir.str().str(), 64);
  onnx::TensorProto t = floats({2, 2}, {1, 2, 3, 4});
  auto attr = importer.convert(t);
  ASSERT_TRUE(bool(attr));
  auto dense = dyn_cast<DenseElementsAttr>(*attr);
  ASSERT_TRUE(dense);
  auto values = llvm::to_vector(dense.getValues<float>());
  EXPECT_EQ(values, (SmallVector<float>{1, 2, 3, 4}));
}

TEST_F(TensorImportTest, LargeTensorIsResourceOwningRawData) {
  xf::TensorImporter importer(context, dir.str().str(), /*inlineLimit=*/2);
  onnx::TensorProto t;
  t.set_name("weight/0");
  t.set_data_type(onnx::TensorProto::INT32);
  t.add_dims(4);
  std::string raw(16, '\0');
  for (int i = 0; i < 4; ++i)
    raw[i * 4] = static_cast<char>(10 + i);
  t.set_raw_data(raw);
  auto attr = importer.convert(t);
  ASSERT_TRUE(bool(attr));
  auto resource = dyn_cast<DenseResourceElementsAttr>(*attr);
  ASSERT_TRUE(resource);
  // The raw bytes moved into the blob instead of being copied.
  EXPECT_FALSE(t.has_raw_data());
  ArrayRef<char> blob = resource.getRawHandle().getBlob()->getData();
  ASSERT_EQ(blob.size(), 16u);
  EXPECT_EQ(blob[4], 11);
  EXPECT_EQ(resource.getRawHandle().getKey(), "weight_0");
}

TEST_F(TensorImportTest, ExternalDataIsMapped) {
  std::string bytes(32, '\0');
  float v = 2.5f;
  std::memcpy(&bytes[16], &v, 4);
  writeFile("weights.bin", bytes);
  onnx::TensorProto t;
  t.set_name("w");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(4);
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const char *k, const char *val) {
    auto *e = t.add_external_data();
    e->set_key(k);
    e->set_value(val);
  };
  add("location", "weights.bin");
  add("offset", "16");
  add("length", "16");
  xf::TensorImporter importer(context, dir.str().str(), 0);
  auto attr = importer.convert(t);
  ASSERT_TRUE(bool(attr)) << llvm::toString(attr.takeError());
  auto resource = cast<DenseResourceElementsAttr>(*attr);
  ArrayRef<char> blob = resource.getRawHandle().getBlob()->getData();
  float first;
  std::memcpy(&first, blob.data(), 4);
  EXPECT_EQ(first, 2.5f);
}

TEST_F(TensorImportTest, BadExternalDataIsRefused) {
  writeFile("small.bin", std::string(8, '\0'));
  auto external = [](const char *location, const char *offset,
                     const char *length) {
    onnx::TensorProto t;
    t.set_name("w");
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_dims(4);
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const char *k, const char *val) {
      auto *e = t.add_external_data();
      e->set_key(k);
      e->set_value(val);
    };
    add("location", location);
    if (offset)
      add("offset", offset);
    if (length)
      add("length", length);
    return t;
  };
  EXPECT_NE(error(external("missing.bin", nullptr, nullptr))
                .find("cannot open external data file"),
            std::string::npos);
  EXPECT_NE(error(external("small.bin", "0", "16")).find("which has 8"),
            std::string::npos);
  EXPECT_NE(error(external("small.bin", "0", "8")).find("its shape needs 16"),
            std::string::npos);
  EXPECT_NE(error(external("../small.bin", nullptr, nullptr))
                .find("outside the model's directory"),
            std::string::npos);
  EXPECT_NE(error(external("small.bin", "-3", nullptr))
                .find("invalid external data offset"),
            std::string::npos);
}

TEST_F(TensorImportTest, WrongSizesAreRefused) {
  EXPECT_NE(error(floats({2, 2}, {1, 2, 3})).find("holds 3 values"),
            std::string::npos);
  onnx::TensorProto raw = floats({3}, {});
  raw.set_raw_data(std::string(8, '\0'));
  EXPECT_NE(error(raw).find("8 bytes of raw data"), std::string::npos);
  // A huge shape is refused before anything is allocated.
  EXPECT_NE(error(floats({1 << 30, 1 << 30}, {})).find("too large"),
            std::string::npos);
  onnx::TensorProto negative = floats({-1}, {});
  EXPECT_NE(error(negative).find("negative dimension"), std::string::npos);
}
} // namespace
