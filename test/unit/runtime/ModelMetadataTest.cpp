//===- ModelMetadataTest.cpp - the typed model metadata and its binding ---===//

#include "ScratchDirectory.h"
#include "xf/CommandLine.h"
#include "xf/ModelABI.h"
#include "xf/ModelMetadata.h"
#include "xf/WeightsFile.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <unistd.h>

using namespace xf;

namespace {

class ModelMetadataTest : public ScratchDirectoryTest {
protected:
  Result<ModelMetadata> writeAndRead(WeightsFileWriter &writer) {
    if (auto written = writer.write(path); !written)
      return ErrorMessage{written.error()};
    auto file = WeightsFile::open(path);
    if (!file)
      return ErrorMessage{file.error()};
    return ModelMetadata::read(*file);
  }
};

ModelMetadata pagedModel() {
  ModelMetadata m;
  m.inputs = {{"input_ids", {1, -1}},
              {"position_ids", {1, -1}},
              {"slot_mapping", {1, -1}},
              {"block_tables", {-1, -1}},
              {"context_lens", {-1}},
              {"logits_rows", {-1}},
              {"kv_cache.0.key", {-1, 2, 16, 8}},
              {"kv_cache.0.value", {-1, 2, 16, 8}}};
  m.outputs = {{"logits", 3}, {"xf.gram.0", 2}};
  m.vocabSize = 1000;
  m.maxContext = 4096;
  m.kvMemoryBytes = 64 << 20;
  m.kvWindow = 512;
  m.gramWeights["xf.gram.0"] = R"(["a.weight","b.weight"])";
  return m;
}

TEST_F(ModelMetadataTest, RoundTrips) {
  ModelMetadata written = pagedModel();
  WeightsFileWriter writer;
  written.write(writer);
  auto read = writeAndRead(writer);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(*read, written);

  ModelMetadata minimal;
  minimal.inputs = {{"input_ids", {1, -1}}, {"scalar", {}}};
  minimal.outputs = {{"logits", 3}};
  minimal.vocabSize = 7;
  minimal.maxContext = 64;
  WeightsFileWriter second;
  minimal.write(second);
  read = writeAndRead(second);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(*read, minimal);
}

/// What xfc wrote before ModelMetadata, key by key (xf.max_context too).
TEST_F(ModelMetadataTest, ReadsFilesOfEarlierXfc) {
  WeightsFileWriter writer;
  ModelConfig config;
  config.architecture = "onnx";
  config.vocabSize = 1000;
  config.maxContext = 4096;
  writer.setConfig(config);
  writer.addMetadata("xf.inputs", "input_ids,attention_mask,past_key_values.0.key");
  writer.addMetadata("xf.input_shapes", "1x?,1x?,?x2x?x8");
  writer.addMetadata("xf.outputs", "logits,present.0.key");
  writer.addMetadata("xf.output_ranks", "3,4");
  writer.addMetadata("xf.max_context", "4096");
  auto read = writeAndRead(writer);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->maxContext, 4096);
  EXPECT_EQ(read->vocabSize, 1000);
  ASSERT_EQ(read->inputs.size(), 3u);
  EXPECT_EQ(read->inputs[2].shape, (std::vector<int64_t>{-1, 2, -1, 8}));
  EXPECT_FALSE(read->kvMemoryBytes);
  EXPECT_FALSE(read->kvWindow);

  auto binding = bindModel(*read, path);
  ASSERT_TRUE(binding) << binding.error();
  EXPECT_FALSE(binding->paged);
  EXPECT_EQ(binding->inputs[1].role, InputRole::AttentionMask);
  EXPECT_EQ(binding->inputs[2].role, InputRole::Past);
  EXPECT_EQ(binding->inputs[2].present, 1);
}

TEST_F(ModelMetadataTest, ErrorsNameTheFileAndTheField) {
  WeightsFileWriter writer;
  ModelConfig config;
  config.vocabSize = 10;
  config.maxContext = 8;
  writer.setConfig(config);
  writer.addMetadata("xf.inputs", "input_ids,position_ids");
  writer.addMetadata("xf.input_shapes", "1x?");
  writer.addMetadata("xf.outputs", "logits");
  writer.addMetadata("xf.output_ranks", "3");
  auto read = writeAndRead(writer);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error(), path + ": xf.input_shapes has 1 shapes for 2 "
                                 "inputs of xf.inputs");

  WeightsFileWriter noOutputs;
  noOutputs.setConfig(config);
  noOutputs.addMetadata("xf.inputs", "input_ids");
  noOutputs.addMetadata("xf.input_shapes", "1x?");
  read = writeAndRead(noOutputs);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error(),
            path + ": xf.outputs is missing (not made by xfc for this program)");

  WeightsFileWriter badWindow;
  ModelMetadata m = pagedModel();
  m.kvWindow.reset();
  m.write(badWindow);
  badWindow.addMetadata("xf.kv_window", "-3");
  read = writeAndRead(badWindow);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error(),
            path + ": xf.kv_window is not a positive integer: '-3'");
}

TEST(ModelBindingTest, BindsAPagedModel) {
  auto binding = bindModel(pagedModel(), "m.xfw");
  ASSERT_TRUE(binding) << binding.error();
  EXPECT_TRUE(binding->paged);
  EXPECT_TRUE(binding->selectsRows);
  EXPECT_EQ(binding->layers, 1);
  EXPECT_EQ(binding->poolShape, (std::vector<int64_t>{-1, 2, 16, 8}));
  EXPECT_EQ(binding->inputs[2].role, InputRole::SlotMapping);
  EXPECT_EQ(binding->inputs[7].role, InputRole::KVPool);
  EXPECT_EQ(binding->inputs[7].kind, 1);
}

TEST(ModelBindingTest, RefusesWhatItCannotFill) {
  ModelMetadata m = pagedModel();
  m.inputs.pop_back();
  auto binding = bindModel(m, "m.xfw");
  ASSERT_FALSE(binding);
  EXPECT_EQ(binding.error(), "m.xfw: kv_cache.* inputs are incomplete");
  m = pagedModel();
  m.inputs.push_back({"token_type_ids", {1, -1}});
  binding = bindModel(m, "m.xfw");
  ASSERT_FALSE(binding);
  EXPECT_EQ(binding.error(), "m.xfw: the model has an input 'token_type_ids' "
                             "this program does not know how to fill");
  m = pagedModel();
  m.outputs[0].rank = 2;
  EXPECT_FALSE(bindModel(m, "m.xfw"));
}

TEST(CommandLineTest, ParsesBytesAndLists) {
  int64_t bytes = 0;
  EXPECT_TRUE(parseBytes("256M", bytes));
  EXPECT_EQ(bytes, int64_t(256) << 20);
  EXPECT_TRUE(parseBytes("2g", bytes));
  EXPECT_EQ(bytes, int64_t(2) << 30);
  EXPECT_TRUE(parseBytes("65536", bytes));
  EXPECT_EQ(bytes, 65536);
  EXPECT_FALSE(parseBytes("", bytes));
  EXPECT_FALSE(parseBytes("M", bytes));
  EXPECT_FALSE(parseBytes("-1K", bytes));
  EXPECT_FALSE(parseBytes("1.5G", bytes));
  EXPECT_EQ(splitList("1,2,", ','), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(parseShapeString("?x2x16"), (std::vector<int64_t>{-1, 2, 16}));
  EXPECT_FALSE(parseShapeString("2xy"));
  EXPECT_EQ(shapeString({-1, 2, 16}), "?x2x16");
}

} // namespace
