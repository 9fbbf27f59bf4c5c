//===- WeightsFileTest.cpp - the .xfw weights file ------------------------===//

#include "ScratchDirectory.h"
#include "xf/WeightsFile.h"
#include "xf/xfw_generated.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>

using namespace xf;

namespace {

/// A scratch directory per test, removed with everything in it.
class WeightsFileTest : public ScratchDirectoryTest {};

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Replaces the file at `path` with `bytes`. Removes it first: rewriting a
/// file in place makes ext4 flush it to disk (auto_da_alloc), which is slow.
void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  ::unlink(path.c_str());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

bool exists(const std::string &path) {
  struct stat status;
  return ::stat(path.c_str(), &status) == 0;
}

uint32_t readLittleEndian32(const std::vector<uint8_t> &bytes, size_t at) {
  return bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 |
         uint32_t(bytes[at + 3]) << 24;
}

std::vector<uint8_t> pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<uint8_t>(seed + i * 7);
  return bytes;
}

/// Tensors of every dtype, including a quantized one with its scale and
/// zero-point tensors, a scalar and an empty tensor; sizes are not multiples
/// of 64 so that padding is exercised.
struct SampleTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  std::optional<Quantization> quantization;
};

std::vector<SampleTensor> sampleTensors() {
  Quantization int4;
  int4.bits = 4;
  int4.groupSize = 5;
  int4.axis = 1;
  int4.scaleTensor = "q.scale";
  int4.zeroPointTensor = "q.zero";
  return {
      {"embed.weight", DType::F32, {4, 3}, pattern(48, 1), {}},
      {"norm.weight", DType::BF16, {3}, pattern(6, 2), {}},
      {"position_ids", DType::I64, {5}, pattern(40, 3), {}},
      {"q.weight", DType::I4, {3, 5}, pattern(8, 4), int4},
      {"q.scale", DType::F16, {3, 1}, pattern(6, 5), {}},
      {"q.zero", DType::I8, {3, 1}, pattern(3, 6), {}},
      {"counts", DType::I32, {2, 2}, pattern(16, 7), {}},
      {"mask", DType::U8, {7}, pattern(7, 8), {}},
      {"scale", DType::F32, {}, pattern(4, 9), {}},
      {"empty", DType::F32, {0, 8}, {}, {}},
      {"lm_head.weight", DType::F32, {8, 4}, pattern(128, 10), {}},
  };
}

ModelConfig sampleConfig() {
  ModelConfig config;
  config.architecture = "llama";
  config.vocabSize = 32000;
  config.hiddenSize = 4096;
  config.numLayers = 32;
  config.numHeads = 32;
  config.numKVHeads = 8;
  config.headDim = 128;
  config.ropeTheta = 500000.0;
  config.normEps = 1e-5;
  // maxContext left out on purpose.
  return config;
}

/// Writes the sample tensors to `path`; `tensors` must outlive the call.
void writeSample(const std::string &path,
                 const std::vector<SampleTensor> &tensors) {
  WeightsFileWriter writer;
  writer.setConfig(sampleConfig());
  writer.addMetadata("producer", "xfc test");
  for (const SampleTensor &tensor : tensors) {
    Result<void> added = writer.addTensor(
        tensor.name, tensor.dtype, tensor.shape, tensor.bytes.data(),
        tensor.bytes.size(), tensor.quantization);
    ASSERT_TRUE(added.ok()) << added.error();
  }
  Result<void> written = writer.write(path);
  ASSERT_TRUE(written.ok()) << written.error();
}

/// The error WeightsFile::open gives for `path`, or "opened".
std::string openError(const std::string &path) {
  Result<WeightsFile> file = WeightsFile::open(path);
  return file.ok() ? std::string("opened") : file.error();
}

} // namespace

//===----------------------------------------------------------------------===//
// Round trip
//===----------------------------------------------------------------------===//

TEST_F(WeightsFileTest, RoundTripsEveryDType) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  EXPECT_FALSE(exists(path + ".tmp"));

  Result<WeightsFile> file = WeightsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_TRUE(file->verifyChecksums().ok());
  EXPECT_EQ(file->path(), path);
  ASSERT_EQ(file->tensors().size(), tensors.size());

  const std::byte *begin = file->fileData();
  const std::byte *end = begin + file->fileSize();
  uint64_t previousEnd = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const SampleTensor &expected = tensors[i];
    const TensorView *view = file->findTensor(expected.name);
    ASSERT_NE(view, nullptr) << expected.name;
    EXPECT_EQ(view, &file->tensors()[i]);
    EXPECT_EQ(view->name, expected.name);
    EXPECT_EQ(view->dtype, expected.dtype);
    EXPECT_EQ(view->shape, expected.shape);
    EXPECT_EQ(view->length, expected.bytes.size());
    EXPECT_TRUE(std::equal(expected.bytes.begin(), expected.bytes.end(),
                           reinterpret_cast<const uint8_t *>(view->data)));
    // Aligned, in the mapping (not a copy), in order, not overlapping.
    EXPECT_EQ(view->offset % kXfwTensorAlignment, 0u) << expected.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(view->data) % kXfwTensorAlignment,
              0u);
    EXPECT_EQ(view->data, begin + view->offset);
    EXPECT_LE(view->data + view->length, end);
    EXPECT_GE(view->offset, previousEnd);
    previousEnd = view->offset + view->length;
    EXPECT_EQ(view->quantization.has_value(),
              expected.quantization.has_value());
  }
  EXPECT_EQ(file->fileSize(), previousEnd);

  const Quantization &q = *file->findTensor("q.weight")->quantization;
  EXPECT_EQ(q.bits, 4);
  EXPECT_EQ(q.groupSize, 5u);
  EXPECT_EQ(q.axis, 1);
  EXPECT_EQ(q.scaleTensor, "q.scale");
  EXPECT_EQ(q.zeroPointTensor, "q.zero");

  const ModelConfig &config = file->config();
  EXPECT_EQ(config.architecture, "llama");
  EXPECT_EQ(config.vocabSize, 32000u);
  EXPECT_EQ(config.hiddenSize, 4096u);
  EXPECT_EQ(config.numLayers, 32u);
  EXPECT_EQ(config.numHeads, 32u);
  EXPECT_EQ(config.numKVHeads, 8u);
  EXPECT_EQ(config.headDim, 128u);
  EXPECT_EQ(config.ropeTheta, 500000.0);
  EXPECT_EQ(config.normEps, 1e-5);
  EXPECT_FALSE(config.maxContext.has_value());

  EXPECT_EQ(file->metadata("producer"), "xfc test");
  EXPECT_FALSE(file->metadata("missing").has_value());
  EXPECT_EQ(file->findTensor("missing"), nullptr);
  EXPECT_EQ(file->header().tokenizer(), nullptr);
}

// xfc drops each weight's pages as soon as the writer has written it: the
// writer must hand over every byte once, in pieces no larger than it says,
// and never read them again (the checksums come from the same pass).
TEST_F(WeightsFileTest, WriterReportsEachPieceOnceAsItWrites) {
  std::vector<SampleTensor> tensors = sampleTensors();
  tensors.push_back({"big", DType::U8,
                     {int64_t(WeightsFileWriter::kWrittenPieceBytes + 1000)},
                     pattern(WeightsFileWriter::kWrittenPieceBytes + 1000, 11),
                     {}});
  WeightsFileWriter writer;
  std::vector<std::pair<const void *, uint64_t>> pieces;
  writer.setWrittenCallback([&](const void *data, uint64_t length) {
    pieces.push_back({data, length});
  });
  for (const SampleTensor &tensor : tensors)
    ASSERT_TRUE(writer
                    .addTensor(tensor.name, tensor.dtype, tensor.shape,
                               tensor.bytes.data(), tensor.bytes.size(),
                               tensor.quantization)
                    .ok());
  ASSERT_TRUE(writer.write(path).ok());

  std::vector<std::pair<const void *, uint64_t>> expected;
  for (const SampleTensor &tensor : tensors)
    for (uint64_t at = 0; at < tensor.bytes.size();
         at += WeightsFileWriter::kWrittenPieceBytes)
      expected.push_back(
          {tensor.bytes.data() + at,
           std::min<uint64_t>(WeightsFileWriter::kWrittenPieceBytes,
                              tensor.bytes.size() - at)});
  EXPECT_EQ(pieces, expected);

  Result<WeightsFile> file = WeightsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_TRUE(file->verifyChecksums().ok());
  for (const TensorView &view : file->tensors())
    EXPECT_NE(view.checksum, 0u) << view.name; // not the placeholder
}

TEST_F(WeightsFileTest, LayoutMatchesTheDocumentation) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  std::vector<uint8_t> bytes = readBytes(path);
  ASSERT_GE(bytes.size(), 16u);
  const uint8_t magic[8] = {'X', 'F', 'W', 0, 0x0D, 0x0A, 0x1A, 0x0A};
  EXPECT_EQ(std::memcmp(bytes.data(), magic, 8), 0);
  EXPECT_EQ(readLittleEndian32(bytes, 8), kXfwFormatVersion);
  uint32_t headerLength = readLittleEndian32(bytes, 12);
  EXPECT_TRUE(xfw::HeaderBufferHasIdentifier(bytes.data() + 16));
  EXPECT_EQ(std::memcmp(bytes.data() + 20, "XFWH", 4), 0);

  // The first tensor starts at the first multiple of 64 after the header,
  // and padding is zeros.
  Result<WeightsFile> file = WeightsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error();
  uint64_t dataStart = (16 + headerLength + 63) / 64 * 64;
  EXPECT_EQ(file->tensors().front().offset, dataStart);
  for (uint64_t i = 16 + headerLength; i < dataStart; ++i)
    ASSERT_EQ(bytes[i], 0) << "padding byte " << i;
}

TEST_F(WeightsFileTest, ViewsSurviveMovingTheFile) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  Result<WeightsFile> opened = WeightsFile::open(path);
  ASSERT_TRUE(opened.ok()) << opened.error();
  const TensorView *view = opened->findTensor("lm_head.weight");
  WeightsFile moved = std::move(*opened);
  EXPECT_EQ(moved.findTensor("lm_head.weight"), view);
  EXPECT_EQ(std::memcmp(view->data, tensors.back().bytes.data(), 128), 0);
  EXPECT_TRUE(moved.verifyChecksums().ok());
}

TEST_F(WeightsFileTest, EmptyFileHasNoTensors) {
  Result<void> written = WeightsFileWriter().write(path);
  ASSERT_TRUE(written.ok()) << written.error();
  Result<WeightsFile> file = WeightsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_TRUE(file->tensors().empty());
  EXPECT_FALSE(file->config().vocabSize.has_value());
  EXPECT_TRUE(file->verifyChecksums().ok());
}

TEST(TensorByteSizeTest, CountsBytes) {
  EXPECT_EQ(tensorByteSize(DType::F32, {2, 3}), 24u);
  EXPECT_EQ(tensorByteSize(DType::BF16, {5}), 10u);
  EXPECT_EQ(tensorByteSize(DType::I64, {}), 8u);
  EXPECT_EQ(tensorByteSize(DType::I4, {3, 5}), 8u);
  EXPECT_EQ(tensorByteSize(DType::I4, {4, 4}), 8u);
  EXPECT_EQ(tensorByteSize(DType::U8, {0, 100}), 0u);
  EXPECT_EQ(tensorByteSize(DType::F32, {-1, 4}), std::nullopt);
  EXPECT_EQ(tensorByteSize(DType::F32, {int64_t(1) << 62, 2}), std::nullopt);
  EXPECT_EQ(tensorByteSize(DType::F32, {int64_t(1) << 62}), std::nullopt);
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

TEST_F(WeightsFileTest, WriterRefusesBadTensors) {
  WeightsFileWriter writer;
  float data[6] = {};
  ASSERT_TRUE(writer.addTensor("w", DType::F32, {2, 3}, data, 24).ok());
  auto error = [&](Result<void> result) {
    return result.ok() ? std::string("accepted") : result.error();
  };
  EXPECT_EQ(error(writer.addTensor("w", DType::F32, {2, 3}, data, 24)),
            "two tensors are named 'w'");
  EXPECT_EQ(error(writer.addTensor("", DType::F32, {2, 3}, data, 24)),
            "a tensor has an empty name");
  EXPECT_EQ(error(writer.addTensor("n", DType::F32, {2, -3}, data, 24)),
            "tensor 'n' has a negative dimension in shape [2, -3]");
  EXPECT_EQ(error(writer.addTensor("l", DType::F32, {2, 3}, data, 20)),
            "tensor 'l' is 20 bytes but dtype f32 and shape [2, 3] need 24");

  Quantization quantization;
  quantization.bits = 4;
  quantization.scaleTensor = "w";
  EXPECT_EQ(
      error(writer.addTensor("f", DType::F32, {6}, data, 24, quantization)),
      "tensor 'f' is quantized but its dtype is f32 (quantized codes are "
      "i4, i8 or u8)");
  quantization.bits = 5;
  EXPECT_EQ(error(writer.addTensor("b", DType::I4, {6}, data, 3, quantization)),
            "tensor 'b' has 5-bit quantization but dtype i4 holds 4 bits");
  quantization.bits = 8;
  quantization.axis = 1;
  EXPECT_EQ(error(writer.addTensor("a", DType::I8, {6}, data, 6, quantization)),
            "tensor 'a' has quantization axis 1 but rank 1");
  quantization.axis = -1;
  quantization.scaleTensor = "";
  EXPECT_EQ(error(writer.addTensor("s", DType::I8, {6}, data, 6, quantization)),
            "tensor 's' is quantized but names no scale tensor");
}

TEST_F(WeightsFileTest, WriterRefusesMissingScaleAndKeepsTheOldFile) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  std::vector<uint8_t> before = readBytes(path);

  WeightsFileWriter writer;
  int8_t codes[4] = {};
  Quantization quantization;
  quantization.scaleTensor = "absent.scale";
  ASSERT_TRUE(
      writer.addTensor("w", DType::I8, {4}, codes, 4, quantization).ok());
  Result<void> written = writer.write(path);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error(), path +
                                 ": tensor 'w' is quantized with scale tensor "
                                 "'absent.scale', which is not in the file");
  EXPECT_EQ(readBytes(path), before);
  EXPECT_FALSE(exists(path + ".tmp"));
}

TEST_F(WeightsFileTest, FailedWriteLeavesNothingBehind) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  std::vector<uint8_t> before = readBytes(path);

  // The temporary file cannot be created: a directory is in the way.
  ASSERT_EQ(::mkdir((path + ".tmp").c_str(), 0755), 0);
  WeightsFileWriter writer;
  Result<void> written = writer.write(path);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().rfind(path + ".tmp: cannot create: ", 0), 0u)
      << written.error();
  EXPECT_EQ(readBytes(path), before);

  // A directory that does not exist.
  std::string missing = directory + "/no/such/dir/model.xfw";
  written = writer.write(missing);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error(),
            missing + ".tmp: cannot create: No such file or directory");
}

TEST_F(WeightsFileTest, WriteReplacesAnExistingFile) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  WeightsFileWriter writer;
  float one = 1.0f;
  ASSERT_TRUE(writer.addTensor("only", DType::F32, {1}, &one, 4).ok());
  ASSERT_TRUE(writer.write(path).ok());
  Result<WeightsFile> file = WeightsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error();
  ASSERT_EQ(file->tensors().size(), 1u);
  EXPECT_EQ(file->tensors()[0].name, "only");
  EXPECT_FALSE(exists(path + ".tmp"));
}

//===----------------------------------------------------------------------===//
// Reader refusals
//===----------------------------------------------------------------------===//

TEST_F(WeightsFileTest, RefusesMissingFile) {
  EXPECT_EQ(openError(path), path + ": cannot open: No such file or directory");
  EXPECT_EQ(openError(directory), directory + ": not a regular file");
}

TEST_F(WeightsFileTest, RefusesBadMagic) {
  writeBytes(path, {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0,
                    0,   0,   0,   0,   0, 0, 0, 0, 0, 0});
  EXPECT_EQ(openError(path), path + ": not an .xfw file (bad magic)");
  // Three bytes that are not a prefix of the magic.
  writeBytes(path, {'X', 'F', 'X'});
  EXPECT_EQ(openError(path), path + ": not an .xfw file (bad magic)");

  // A text-mode transfer turned CR LF into LF.
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  std::vector<uint8_t> bytes = readBytes(path);
  bytes.erase(bytes.begin() + 4);
  writeBytes(path, bytes);
  EXPECT_EQ(openError(path), path + ": not an .xfw file (bad magic)");
}

TEST_F(WeightsFileTest, RefusesOtherFormatVersions) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  std::vector<uint8_t> bytes = readBytes(path);
  bytes[8] = 3;
  writeBytes(path, bytes);
  EXPECT_EQ(openError(path), path + ": format version 3, this runtime reads 1");
  bytes[8] = 0;
  bytes[11] = 1;
  writeBytes(path, bytes);
  EXPECT_EQ(openError(path),
            path + ": format version 16777216, this runtime reads 1");
}

TEST_F(WeightsFileTest, RefusesTruncatedFiles) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  std::vector<uint8_t> bytes = readBytes(path);
  uint32_t headerLength = readLittleEndian32(bytes, 12);
  uint64_t size = bytes.size();
  auto truncated = [&](size_t cut) {
    writeBytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + cut));
    return openError(path);
  };
  std::string s = std::to_string(size);
  std::string headerEnd = std::to_string(16 + headerLength);

  EXPECT_EQ(truncated(0), path + ": truncated: the file is empty");
  EXPECT_EQ(truncated(5), path + ": truncated: the file has 5 bytes, fewer "
                                 "than the 16-byte prefix");
  EXPECT_EQ(truncated(12), path + ": truncated: the file has 12 bytes, fewer "
                                  "than the 16-byte prefix");
  EXPECT_EQ(truncated(16), path + ": truncated: the header ends at byte " +
                               headerEnd + " but the file has 16");
  EXPECT_EQ(truncated(16 + headerLength / 2),
            path + ": truncated: the header ends at byte " + headerEnd +
                " but the file has " + std::to_string(16 + headerLength / 2));
  // Header complete, no data: the first tensor with bytes is past the end.
  uint64_t firstEnd = (16 + headerLength + 63) / 64 * 64 + 48;
  EXPECT_EQ(truncated(16 + headerLength),
            path + ": truncated: tensor 'embed.weight' ends at byte " +
                std::to_string(firstEnd) + " but the file has " + headerEnd);
  // One byte short of the end: the last tensor.
  EXPECT_EQ(truncated(size - 1),
            path + ": truncated: tensor 'lm_head.weight' ends at byte " + s +
                " but the file has " + std::to_string(size - 1));
  // A cut in the middle of the data.
  uint64_t countsOffset = 0;
  {
    writeBytes(path, bytes);
    Result<WeightsFile> file = WeightsFile::open(path);
    ASSERT_TRUE(file.ok()) << file.error();
    countsOffset = file->findTensor("counts")->offset;
  }
  EXPECT_EQ(truncated(countsOffset + 10),
            path + ": truncated: tensor 'counts' ends at byte " +
                std::to_string(countsOffset + 16) + " but the file has " +
                std::to_string(countsOffset + 10));
}

TEST_F(WeightsFileTest, RefusesBadHeaderLength) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  std::vector<uint8_t> bytes = readBytes(path);
  std::vector<uint8_t> patched = bytes;
  patched[12] = patched[13] = patched[14] = patched[15] = 0xFF;
  writeBytes(path, patched);
  EXPECT_EQ(openError(path), path + ": truncated: the header ends at byte " +
                                 std::to_string(16 + 0xFFFFFFFFull) +
                                 " but the file has " +
                                 std::to_string(bytes.size()));
  patched = bytes;
  patched[12] = 4;
  patched[13] = patched[14] = patched[15] = 0;
  writeBytes(path, patched);
  EXPECT_EQ(openError(path),
            path + ": the header is not an xfw FlatBuffer (bad identifier)");
}

TEST_F(WeightsFileTest, RefusesCorruptHeader) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  std::vector<uint8_t> bytes = readBytes(path);

  std::vector<uint8_t> patched = bytes;
  patched[20] = 'Z'; // The FlatBuffers file identifier.
  writeBytes(path, patched);
  EXPECT_EQ(openError(path),
            path + ": the header is not an xfw FlatBuffer (bad identifier)");

  patched = bytes;
  patched[16] = patched[17] = 0xF0; // The root table offset.
  writeBytes(path, patched);
  EXPECT_EQ(openError(path),
            path + ": corrupt header (FlatBuffers verification failed)");
}

namespace {

/// Writes the sample file, changes its header with `mutate` (through the
/// FlatBuffers mutation API, so the buffer stays well-formed) and writes it
/// back.
void mutateHeader(const std::string &path,
                  const std::function<void(xfw::Header &)> &mutate) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  std::vector<uint8_t> bytes = readBytes(path);
  mutate(*xfw::GetMutableHeader(bytes.data() + 16));
  writeBytes(path, bytes);
}

xfw::Tensor &tensorEntry(xfw::Header &header, const std::string &name) {
  auto *tensors = header.mutable_tensors();
  for (size_t i = 0; i < tensors->size(); ++i)
    if (tensors->Get(i)->name()->str() == name)
      return *tensors->GetMutableObject(i);
  ADD_FAILURE() << "no tensor " << name;
  return *tensors->GetMutableObject(0);
}

} // namespace

TEST_F(WeightsFileTest, RefusesOutOfRangeOffsets) {
  uint64_t size = 0;
  mutateHeader(path, [&](xfw::Header &header) {
    xfw::Tensor &entry = tensorEntry(header, "lm_head.weight");
    size = entry.offset() + entry.length();
    ASSERT_TRUE(entry.mutate_offset(entry.offset() + 64 * 1000));
  });
  EXPECT_EQ(openError(path),
            path + ": truncated: tensor 'lm_head.weight' ends at byte " +
                std::to_string(size + 64 * 1000) + " but the file has " +
                std::to_string(size));

  mutateHeader(path, [&](xfw::Header &header) {
    ASSERT_TRUE(
        tensorEntry(header, "lm_head.weight").mutate_offset(~uint64_t(63)));
  });
  EXPECT_EQ(openError(path), path + ": tensor 'lm_head.weight' has offset " +
                                 std::to_string(~uint64_t(63)) +
                                 " and length 128, which overflow 64 bits");

  mutateHeader(path, [&](xfw::Header &header) {
    ASSERT_TRUE(tensorEntry(header, "mask").mutate_length(64 * 1000 + 7));
  });
  EXPECT_EQ(openError(path), path + ": tensor 'mask' is 64007 bytes but dtype "
                                    "u8 and shape [7] need 7");
}

TEST_F(WeightsFileTest, RefusesMisplacedTensors) {
  uint64_t offset = 0;
  mutateHeader(path, [&](xfw::Header &header) {
    xfw::Tensor &entry = tensorEntry(header, "norm.weight");
    offset = entry.offset() + 8;
    ASSERT_TRUE(entry.mutate_offset(offset));
  });
  EXPECT_EQ(openError(path), path + ": tensor 'norm.weight' starts at byte " +
                                 std::to_string(offset) +
                                 ", which is not a multiple of 64");

  uint32_t headerLength = 0;
  mutateHeader(path, [&](xfw::Header &header) {
    ASSERT_TRUE(tensorEntry(header, "embed.weight").mutate_offset(0));
  });
  headerLength = readLittleEndian32(readBytes(path), 12);
  EXPECT_EQ(openError(path),
            path +
                ": tensor 'embed.weight' starts at byte 0, inside the "
                "header (which ends at byte " +
                std::to_string(16 + headerLength) + ")");
}

TEST_F(WeightsFileTest, RefusesInconsistentTensorEntries) {
  mutateHeader(path, [](xfw::Header &header) {
    ASSERT_TRUE(tensorEntry(header, "counts")
                    .mutate_dtype(static_cast<xfw::DType>(99)));
  });
  EXPECT_EQ(openError(path), path + ": tensor 'counts' has unknown dtype 99");

  mutateHeader(path, [](xfw::Header &header) {
    ASSERT_TRUE(tensorEntry(header, "counts").mutate_dtype(xfw::DType::I64));
  });
  EXPECT_EQ(openError(path), path + ": tensor 'counts' is 16 bytes but dtype "
                                    "i64 and shape [2, 2] need 32");

  mutateHeader(path, [](xfw::Header &header) {
    tensorEntry(header, "counts").mutable_shape()->Mutate(1, -2);
  });
  EXPECT_EQ(openError(path), path + ": tensor 'counts' has a negative "
                                    "dimension in shape [2, -2]");

  // Rename "q.zero" to "q.zerp": the quantized tensor's reference dangles.
  mutateHeader(path, [](xfw::Header &header) {
    tensorEntry(header, "q.zero").mutable_name()->Mutate(5, 'p');
  });
  EXPECT_EQ(openError(path),
            path + ": tensor 'q.weight' is quantized with zero-point tensor "
                   "'q.zero', which is not in the file");

  // Rename "empty" to "scale", which exists already.
  mutateHeader(path, [](xfw::Header &header) {
    flatbuffers::String *name = tensorEntry(header, "empty").mutable_name();
    for (size_t i = 0; i < 5; ++i)
      name->Mutate(i, "scale"[i]);
  });
  EXPECT_EQ(openError(path), path + ": two tensors are named 'scale'");

  mutateHeader(path, [](xfw::Header &header) {
    ASSERT_TRUE(
        tensorEntry(header, "q.weight").mutable_quantization()->mutate_bits(8));
  });
  EXPECT_EQ(openError(path), path + ": tensor 'q.weight' has 8-bit "
                                    "quantization but dtype i4 holds 4 bits");

  mutateHeader(path, [](xfw::Header &header) {
    ASSERT_TRUE(tensorEntry(header, "q.weight")
                    .mutable_quantization()
                    ->mutate_axis(-3));
  });
  EXPECT_EQ(openError(path), path + ": tensor 'q.weight' has quantization "
                                    "axis -3 but rank 2");

  mutateHeader(path, [](xfw::Header &header) {
    ASSERT_TRUE(header.mutate_checksum_kind(static_cast<xfw::ChecksumKind>(7)));
  });
  EXPECT_EQ(openError(path), path + ": unknown checksum kind 7");
}

TEST_F(WeightsFileTest, ChecksumCatchesCorruptedByte) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  uint64_t offset;
  {
    Result<WeightsFile> file = WeightsFile::open(path);
    ASSERT_TRUE(file.ok()) << file.error();
    offset = file->findTensor("position_ids")->offset;
  }
  std::vector<uint8_t> bytes = readBytes(path);
  bytes[offset + 17] ^= 0x01;
  writeBytes(path, bytes);

  // Opening reads no tensor data, so it succeeds; the check finds it.
  Result<WeightsFile> file = WeightsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error();
  Result<void> verified = file->verifyChecksums();
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().rfind(path + ": checksum mismatch in tensor "
                                          "'position_ids' (stored 0x",
                                   0),
            0u)
      << verified.error();

  // A flipped padding byte is not in any tensor and goes unnoticed.
  bytes[offset + 17] ^= 0x01;
  bytes[offset + 40] ^= 0x01;
  writeBytes(path, bytes);
  Result<WeightsFile> padded = WeightsFile::open(path);
  ASSERT_TRUE(padded.ok()) << padded.error();
  EXPECT_TRUE(padded->verifyChecksums().ok());
}

// Bit flips anywhere in the prefix and header, and cuts anywhere: open()
// either refuses with a message that names the file or yields tensors that
// lie within the file. Run under AddressSanitizer and UBSan, this also
// checks that no corruption makes the reader touch memory it should not
// (it found that FlatBuffers 2.0's verifier lets an 8-byte vector be
// misaligned).
TEST_F(WeightsFileTest, RandomCorruptionIsRefusedOrHarmless) {
  std::vector<SampleTensor> tensors = sampleTensors();
  writeSample(path, tensors);
  const std::vector<uint8_t> original = readBytes(path);
  size_t headerEnd = 16 + readLittleEndian32(original, 12);
  uint64_t state = 12345;
  auto random = [&state](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  int refused = 0;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::vector<uint8_t> bytes = original;
    for (uint64_t flips = 1 + random(4); flips > 0; --flips)
      bytes[random(headerEnd)] ^= static_cast<uint8_t>(1u << random(8));
    if (random(8) == 0)
      bytes.resize(random(bytes.size()));
    writeBytes(path, bytes);
    Result<WeightsFile> file = WeightsFile::open(path);
    if (!file.ok()) {
      ASSERT_EQ(file.error().rfind(path + ": ", 0), 0u) << file.error();
      ++refused;
      continue;
    }
    for (const TensorView &view : file->tensors()) {
      ASSERT_LE(view.offset + view.length, file->fileSize());
      ASSERT_EQ(view.data, file->fileData() + view.offset);
    }
    (void)file->verifyChecksums();
  }
  EXPECT_GT(refused, 1000);
}
