//===- WeightsFile.h - the .xfw weights file --------------------*- C++ -*-===//
//
// Reads and writes .xfw files: a 16-byte prefix (magic, format version,
// header length), a FlatBuffers header (runtime/schema/xfw.fbs) and raw
// tensor data, each tensor 64-byte aligned. runtime/README.md and the schema
// describe the layout.
//
// The reader maps the file read-only and hands out pointers into the mapping;
// it never copies tensor data. It refuses a malformed file with a message
// that starts with the path and says what is wrong.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_WEIGHTSFILE_H
#define XF_RUNTIME_INCLUDE_XF_WEIGHTSFILE_H

#include "xf/Result.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace xf {

namespace xfw {
struct Header; // The FlatBuffers root table, from xf/xfw_generated.h.
} // namespace xfw

struct TokenizerData; // xf/Tokenizer.h

/// The format version this runtime reads and writes.
inline constexpr uint32_t kXfwFormatVersion = 1;
/// Every tensor starts at a multiple of this many bytes from the file start.
inline constexpr uint64_t kXfwTensorAlignment = 64;
/// Magic, format version and header length come before the header.
inline constexpr uint64_t kXfwPrefixSize = 16;

/// Element type of tensor data; the values are those of xfw.fbs's DType.
enum class DType : uint8_t {
  F32 = 0,
  F16 = 1,
  BF16 = 2,
  I8 = 3,
  U8 = 4,
  I32 = 5,
  I64 = 6,
  /// Signed 4-bit, two per byte, low nibble first (see xfw.fbs).
  I4 = 7,
};

/// "f32", "f16", "bf16", "i8", "u8", "i32", "i64", "i4"; "?" for a value
/// that is not a DType.
const char *dtypeName(DType dtype);

/// The number of bytes a tensor of `dtype` and `shape` takes, or nothing if a
/// dimension is negative or the size does not fit in 64 bits.
std::optional<uint64_t> tensorByteSize(DType dtype,
                                       const std::vector<int64_t> &shape);

/// Quantization parameters of a tensor of integer codes (see xfw.fbs).
struct Quantization {
  uint8_t bits = 8;
  /// Elements along `axis` per scale; 0 means the whole axis.
  uint32_t groupSize = 0;
  int32_t axis = -1;
  std::string scaleTensor;
  /// Empty for symmetric quantization.
  std::string zeroPointTensor;
};

/// Model hyperparameters; each is absent unless the file says it.
struct ModelConfig {
  std::string architecture;
  std::optional<uint32_t> vocabSize;
  std::optional<uint32_t> hiddenSize;
  std::optional<uint32_t> numLayers;
  std::optional<uint32_t> numHeads;
  std::optional<uint32_t> numKVHeads;
  std::optional<uint32_t> headDim;
  std::optional<uint32_t> maxContext;
  std::optional<double> ropeTheta;
  std::optional<double> normEps;
};

/// A tensor of an open WeightsFile. `name` and `data` point into the file's
/// mapping and stay valid as long as the WeightsFile (moves included).
struct TensorView {
  std::string_view name;
  DType dtype;
  std::vector<int64_t> shape;
  std::optional<Quantization> quantization;
  /// Start of the tensor's bytes; 64-byte aligned.
  const std::byte *data;
  /// Where the bytes lie in the file.
  uint64_t offset;
  uint64_t length;
  uint64_t checksum;
};

/// A validated, read-only memory mapping of an .xfw file.
class WeightsFile {
public:
  /// Maps the file at `path` and validates everything that does not need
  /// the tensor data itself: magic, version, header length, the FlatBuffers
  /// verifier, every tensor's name, dtype, shape, byte length, alignment and
  /// range within the file, and quantization references. Reads no tensor
  /// pages.
  static Result<WeightsFile> open(const std::string &path);

  WeightsFile(WeightsFile &&other) noexcept;
  WeightsFile &operator=(WeightsFile &&other) noexcept;
  WeightsFile(const WeightsFile &) = delete;
  WeightsFile &operator=(const WeightsFile &) = delete;
  ~WeightsFile();

  /// Hashes every tensor's bytes and compares with the stored checksums.
  /// Separate from open() because it reads every page of the file.
  Result<void> verifyChecksums() const;

  const std::string &path() const { return filePath; }
  /// In the order of the file's tensor table.
  const std::vector<TensorView> &tensors() const { return tensorViews; }
  /// The tensor named `name`, or null.
  const TensorView *findTensor(std::string_view name) const;
  const ModelConfig &config() const { return modelConfig; }
  /// The metadata value for `key`, if the file has one.
  std::optional<std::string_view> metadata(std::string_view key) const;
  /// The FlatBuffers header, for sections this class does not wrap (the
  /// tokenizer: use Tokenizer::fromWeightsFile or readWeightsFileTokenizer
  /// from xf/Tokenizer.h); include "xf/xfw_generated.h" to use it.
  const xfw::Header &header() const { return *rootTable; }

  /// The whole file as mapped.
  const std::byte *fileData() const { return mapping; }
  uint64_t fileSize() const { return mappingSize; }

private:
  WeightsFile() = default;
  void unmap();

  std::string filePath;
  const std::byte *mapping = nullptr;
  uint64_t mappingSize = 0;
  const xfw::Header *rootTable = nullptr;
  std::vector<TensorView> tensorViews;
  std::unordered_map<std::string_view, size_t> tensorIndex;
  ModelConfig modelConfig;
};

/// Collects tensors and writes an .xfw file.
///
///   WeightsFileWriter writer;
///   writer.setConfig(config);
///   if (Result<void> added = writer.addTensor("w", DType::F32, {2, 3},
///                                             data, 24); !added) ...
///   if (Result<void> written = writer.write("model.xfw"); !written) ...
class WeightsFileWriter {
public:
  void setConfig(ModelConfig config) { modelConfig = std::move(config); }
  void addMetadata(std::string key, std::string value);
  /// Stores a tokenizer in the header (the file has none otherwise; it
  /// still opens, and Tokenizer::fromWeightsFile then says so). Refuses
  /// data that Tokenizer::fromData refuses, and merges with a space in a
  /// part (the file stores each merge as "left right").
  Result<void> setTokenizer(const TokenizerData &data);

  /// Adds a tensor of `length` bytes at `data`. The bytes are not copied:
  /// they must stay valid and unchanged until write() returns. Refuses an
  /// empty or repeated name, a negative dimension, a length other than what
  /// dtype and shape imply, and quantization of a dtype that is not i4, i8
  /// or u8 (or with more bits than the dtype holds).
  Result<void> addTensor(std::string name, DType dtype,
                         std::vector<int64_t> shape, const void *data,
                         uint64_t length,
                         std::optional<Quantization> quantization = {});

  /// Called by write() with each piece of tensor data (at most
  /// kWrittenPieceBytes, in file order) right after it is written: write()
  /// reads every byte once, checksumming as it writes, and never again, so
  /// a caller whose tensors are file-backed mappings can drop their pages
  /// here and keep the writer's resident memory to one piece (xfc does).
  void setWrittenCallback(
      std::function<void(const void *data, uint64_t length)> callback) {
    written = std::move(callback);
  }
  static constexpr uint64_t kWrittenPieceBytes = uint64_t(64) << 20;

  /// Writes the file to `path` + ".tmp", flushes it to disk and renames it
  /// to `path`, so `path` is either the old file or the complete new one.
  /// Reserves the whole file's blocks first, so that a disk too small fails
  /// before any data is written. Refuses quantized tensors whose scale or
  /// zero-point tensor was not added. On failure removes the temporary
  /// file.
  Result<void> write(const std::string &path) const;

private:
  struct PendingTensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::optional<Quantization> quantization;
    const void *data;
    uint64_t length;
  };

  ModelConfig modelConfig;
  std::shared_ptr<const TokenizerData> tokenizer;
  std::vector<std::pair<std::string, std::string>> metadataEntries;
  std::vector<PendingTensor> pending;
  std::unordered_map<std::string, size_t> pendingIndex;
  std::function<void(const void *, uint64_t)> written;
};

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_WEIGHTSFILE_H
