//===- WeightsFile.cpp - the .xfw weights file ----------------------------===//

#include "xf/WeightsFile.h"

#include "TokenizerSerialization.h"
#include "xf/Tokenizer.h"
#include "xf/xfw_generated.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .xfw tensor data is little-endian and mapped in place"
#endif

using namespace xf;

namespace {

constexpr bool mirrors(DType ours, xfw::DType schema) {
  return static_cast<int>(ours) == static_cast<int>(schema);
}

/// "XFW\0", then CR LF ^Z LF so that a text-mode transfer breaks the magic.
constexpr unsigned char kMagic[8] = {'X', 'F', 'W', 0, 0x0D, 0x0A, 0x1A, 0x0A};

uint64_t alignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

bool isValidDType(uint8_t value) {
  return value <= static_cast<uint8_t>(DType::I4);
}

/// Bits per element of `dtype`.
unsigned dtypeBits(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 32;
  case DType::F16:
  case DType::BF16:
    return 16;
  case DType::I8:
  case DType::U8:
    return 8;
  case DType::I64:
    return 64;
  case DType::I4:
    return 4;
  }
  return 0;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i)
    out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

std::string hex(uint64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

/// Checks what the writer and the reader both require of one tensor: a
/// name, non-negative dimensions, a length that dtype and shape imply, and
/// quantization only of integer codes that hold the stated bits, along an
/// axis the tensor has. The message names the tensor; the caller prefixes
/// the file.
std::optional<std::string>
checkTensor(std::string_view name, DType dtype,
            const std::vector<int64_t> &shape, uint64_t length,
            const std::optional<Quantization> &quantization) {
  std::string quoted = "tensor '" + std::string(name) + "'";
  if (name.empty())
    return std::string("a tensor has an empty name");
  for (int64_t dim : shape)
    if (dim < 0)
      return quoted + " has a negative dimension in shape " +
             formatShape(shape);
  std::optional<uint64_t> expected = tensorByteSize(dtype, shape);
  if (!expected)
    return quoted + " has shape " + formatShape(shape) +
           ", whose byte size does not fit in 64 bits";
  if (*expected != length)
    return quoted + " is " + std::to_string(length) + " bytes but dtype " +
           dtypeName(dtype) + " and shape " + formatShape(shape) + " need " +
           std::to_string(*expected);
  if (!quantization)
    return std::nullopt;
  if (dtype != DType::I4 && dtype != DType::I8 && dtype != DType::U8)
    return quoted + " is quantized but its dtype is " + dtypeName(dtype) +
           " (quantized codes are i4, i8 or u8)";
  if (quantization->bits == 0 || quantization->bits > dtypeBits(dtype))
    return quoted + " has " + std::to_string(quantization->bits) +
           "-bit quantization but dtype " + dtypeName(dtype) + " holds " +
           std::to_string(dtypeBits(dtype)) + " bits";
  int64_t rank = static_cast<int64_t>(shape.size());
  if (quantization->axis < -rank || quantization->axis >= rank)
    return quoted + " has quantization axis " +
           std::to_string(quantization->axis) + " but rank " +
           std::to_string(rank);
  if (quantization->scaleTensor.empty())
    return quoted + " is quantized but names no scale tensor";
  return std::nullopt;
}

/// Checks that `quantization`'s scale and zero-point tensors are `known`;
/// the message names the tensor.
template <typename IsKnown>
std::optional<std::string>
checkQuantizationReferences(std::string_view name,
                            const Quantization &quantization, IsKnown known) {
  std::string quoted = "tensor '" + std::string(name) + "'";
  if (!known(quantization.scaleTensor))
    return quoted + " is quantized with scale tensor '" +
           quantization.scaleTensor + "', which is not in the file";
  if (!quantization.zeroPointTensor.empty() &&
      !known(quantization.zeroPointTensor))
    return quoted + " is quantized with zero-point tensor '" +
           quantization.zeroPointTensor + "', which is not in the file";
  return std::nullopt;
}

std::string systemError(const std::string &path, const std::string &what) {
  return path + ": " + what + ": " + std::strerror(errno);
}

/// Writes all `size` bytes, retrying short writes and interruptions.
bool writeAll(int fd, const void *data, uint64_t size) {
  const char *bytes = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    bytes += written;
    size -= static_cast<uint64_t>(written);
  }
  return true;
}

/// Writes zeros from `position` up to `target`, which is less than one
/// alignment away, and advances `position`.
bool padTo(int fd, uint64_t &position, uint64_t target) {
  static constexpr char kZeros[kXfwTensorAlignment] = {};
  if (!writeAll(fd, kZeros, target - position))
    return false;
  position = target;
  return true;
}

void putLittleEndian32(unsigned char *out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<unsigned char>(value >> (8 * i));
}

uint32_t getLittleEndian32(const std::byte *in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= static_cast<uint32_t>(in[i]) << (8 * i);
  return value;
}

} // namespace

static_assert(mirrors(DType::F32, xfw::DType::F32) &&
                  mirrors(DType::F16, xfw::DType::F16) &&
                  mirrors(DType::BF16, xfw::DType::BF16) &&
                  mirrors(DType::I8, xfw::DType::I8) &&
                  mirrors(DType::U8, xfw::DType::U8) &&
                  mirrors(DType::I32, xfw::DType::I32) &&
                  mirrors(DType::I64, xfw::DType::I64) &&
                  mirrors(DType::I4, xfw::DType::I4) &&
                  mirrors(DType::I4, xfw::DType::MAX),
              "xf::DType must mirror xfw.fbs's DType");

const char *xf::dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I8:
    return "i8";
  case DType::U8:
    return "u8";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::I4:
    return "i4";
  }
  return "?";
}

std::optional<uint64_t> xf::tensorByteSize(DType dtype,
                                           const std::vector<int64_t> &shape) {
  uint64_t elements = 1;
  for (int64_t dim : shape) {
    if (dim < 0 ||
        __builtin_mul_overflow(elements, static_cast<uint64_t>(dim), &elements))
      return std::nullopt;
  }
  if (dtype == DType::I4)
    return elements / 2 + elements % 2;
  uint64_t bytes;
  if (__builtin_mul_overflow(elements, uint64_t(dtypeBits(dtype) / 8), &bytes))
    return std::nullopt;
  return bytes;
}

//===----------------------------------------------------------------------===//
// Reader
//===----------------------------------------------------------------------===//

/// Reads the table entry of one tensor into `view` and checks it against
/// the file: dtype, shape, quantization, 64-byte alignment, within the file
/// and past the header. Returns the problem, if any.
static std::optional<std::string>
readTensorEntry(const xfw::Tensor &entry, const std::byte *bytes, uint64_t size,
                uint64_t headerEnd, TensorView &view) {
  std::string_view name = entry.name()->string_view();
  std::string quoted = "tensor '" + std::string(name) + "'";
  uint8_t rawDType = static_cast<uint8_t>(entry.dtype());
  if (!isValidDType(rawDType))
    return std::string(quoted + " has unknown dtype " +
                       std::to_string(rawDType));

  view.name = name;
  view.dtype = static_cast<DType>(rawDType);
  if (const auto *shape = entry.shape()) {
    // FlatBuffers 2.0's verifier checks a vector's length word, not that
    // 8-byte elements are 8-byte aligned; a corrupt header can break that.
    // (The builder leaves empty vectors unaligned, which is harmless.)
    if (shape->size() != 0 &&
        reinterpret_cast<uintptr_t>(shape->Data()) % alignof(int64_t) != 0)
      return std::string("corrupt header (the shape of " + quoted +
                         " is misaligned)");
    view.shape.assign(shape->begin(), shape->end());
  }
  if (const xfw::Quantization *q = entry.quantization()) {
    Quantization quantization;
    quantization.bits = q->bits();
    quantization.groupSize = q->group_size();
    quantization.axis = q->axis();
    if (q->scale_tensor())
      quantization.scaleTensor = q->scale_tensor()->str();
    if (q->zero_point_tensor())
      quantization.zeroPointTensor = q->zero_point_tensor()->str();
    view.quantization = std::move(quantization);
  }
  view.offset = entry.offset();
  view.length = entry.length();
  view.checksum = entry.checksum();

  if (std::optional<std::string> problem = checkTensor(
          name, view.dtype, view.shape, view.length, view.quantization))
    return problem;
  if (view.offset % kXfwTensorAlignment != 0)
    return std::string(
        quoted + " starts at byte " + std::to_string(view.offset) +
        ", which is not a multiple of " + std::to_string(kXfwTensorAlignment));
  if (view.offset < headerEnd)
    return std::string(quoted + " starts at byte " +
                       std::to_string(view.offset) +
                       ", inside the header (which ends at byte " +
                       std::to_string(headerEnd) + ")");
  uint64_t end;
  if (__builtin_add_overflow(view.offset, view.length, &end))
    return std::string(quoted + " has offset " + std::to_string(view.offset) +
                       " and length " + std::to_string(view.length) +
                       ", which overflow 64 bits");
  if (end > size)
    return std::string("truncated: " + quoted + " ends at byte " +
                       std::to_string(end) + " but the file has " +
                       std::to_string(size));
  view.data = bytes + view.offset;
  return std::nullopt;
}

Result<WeightsFile> WeightsFile::open(const std::string &path) {
  auto fail = [&](const std::string &what) {
    return ErrorMessage{path + ": " + what};
  };

  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ErrorMessage{systemError(path, "cannot open")};
  struct stat status;
  if (::fstat(fd, &status) != 0) {
    std::string message = systemError(path, "cannot stat");
    ::close(fd);
    return ErrorMessage{message};
  }
  if (!S_ISREG(status.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  uint64_t size = static_cast<uint64_t>(status.st_size);
  if (size == 0) {
    ::close(fd);
    return fail("truncated: the file is empty");
  }
  void *address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  std::string mapError =
      address == MAP_FAILED ? systemError(path, "cannot map") : std::string();
  ::close(fd);
  if (address == MAP_FAILED)
    return ErrorMessage{mapError};

  // From here on `file` owns the mapping; returning an error unmaps it.
  WeightsFile file;
  file.filePath = path;
  file.mapping = static_cast<const std::byte *>(address);
  file.mappingSize = size;
  const std::byte *bytes = file.mapping;

  if (std::memcmp(bytes, kMagic, std::min<uint64_t>(size, sizeof(kMagic))) != 0)
    return fail("not an .xfw file (bad magic)");
  if (size < kXfwPrefixSize)
    return fail("truncated: the file has " + std::to_string(size) +
                " bytes, fewer than the " + std::to_string(kXfwPrefixSize) +
                "-byte prefix");
  uint32_t version = getLittleEndian32(bytes + 8);
  if (version != kXfwFormatVersion)
    return fail("format version " + std::to_string(version) +
                ", this runtime reads " + std::to_string(kXfwFormatVersion));
  uint64_t headerLength = getLittleEndian32(bytes + 12);
  uint64_t headerEnd = kXfwPrefixSize + headerLength;
  if (headerEnd > size)
    return fail("truncated: the header ends at byte " +
                std::to_string(headerEnd) + " but the file has " +
                std::to_string(size));
  if (headerLength >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return fail("header length " + std::to_string(headerLength) +
                " exceeds the FlatBuffers limit of 2 GiB");

  const auto *header =
      reinterpret_cast<const uint8_t *>(bytes + kXfwPrefixSize);
  if (headerLength < flatbuffers::kFileIdentifierLength + sizeof(uint32_t) ||
      !xfw::HeaderBufferHasIdentifier(header))
    return fail("the header is not an xfw FlatBuffer (bad identifier)");
  flatbuffers::Verifier verifier(header, headerLength);
  if (!xfw::VerifyHeaderBuffer(verifier))
    return fail("corrupt header (FlatBuffers verification failed)");
  file.rootTable = xfw::GetHeader(header);
  const xfw::Header &root = *file.rootTable;

  if (root.checksum_kind() != xfw::ChecksumKind::XXH3_64)
    return fail("unknown checksum kind " +
                std::to_string(static_cast<int>(root.checksum_kind())));

  if (const xfw::ModelConfig *config = root.config()) {
    ModelConfig &out = file.modelConfig;
    if (config->architecture())
      out.architecture = config->architecture()->str();
    out.vocabSize = config->vocab_size();
    out.hiddenSize = config->hidden_size();
    out.numLayers = config->num_layers();
    out.numHeads = config->num_heads();
    out.numKVHeads = config->num_kv_heads();
    out.headDim = config->head_dim();
    out.maxContext = config->max_context();
    out.ropeTheta = config->rope_theta();
    out.normEps = config->norm_eps();
  }

  const auto *tensors = root.tensors();
  size_t count = tensors ? tensors->size() : 0;
  file.tensorViews.reserve(count);
  file.tensorIndex.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const xfw::Tensor &entry = *tensors->Get(i);
    TensorView view;
    if (std::optional<std::string> problem =
            readTensorEntry(entry, bytes, size, headerEnd, view))
      return fail(*problem);
    std::string_view name = view.name;

    if (!file.tensorIndex.emplace(name, i).second)
      return fail("two tensors are named '" + std::string(name) + "'");
    file.tensorViews.push_back(std::move(view));
  }

  for (const TensorView &view : file.tensorViews) {
    if (!view.quantization)
      continue;
    if (std::optional<std::string> problem = checkQuantizationReferences(
            view.name, *view.quantization, [&](const std::string &name) {
              return file.tensorIndex.count(name) != 0;
            }))
      return fail(*problem);
  }
  return Result<WeightsFile>(std::move(file));
}

WeightsFile::WeightsFile(WeightsFile &&other) noexcept {
  *this = std::move(other);
}

WeightsFile &WeightsFile::operator=(WeightsFile &&other) noexcept {
  if (this == &other)
    return *this;
  unmap();
  filePath = std::move(other.filePath);
  mapping = std::exchange(other.mapping, nullptr);
  mappingSize = std::exchange(other.mappingSize, 0);
  rootTable = std::exchange(other.rootTable, nullptr);
  tensorViews = std::move(other.tensorViews);
  tensorIndex = std::move(other.tensorIndex);
  modelConfig = std::move(other.modelConfig);
  return *this;
}

WeightsFile::~WeightsFile() { unmap(); }

void WeightsFile::unmap() {
  if (mapping)
    ::munmap(const_cast<std::byte *>(mapping), mappingSize);
  mapping = nullptr;
  mappingSize = 0;
}

const TensorView *WeightsFile::findTensor(std::string_view name) const {
  auto found = tensorIndex.find(name);
  return found == tensorIndex.end() ? nullptr : &tensorViews[found->second];
}

std::optional<std::string_view>
WeightsFile::metadata(std::string_view key) const {
  if (const auto *entries = rootTable->metadata())
    for (const xfw::KeyValue *entry : *entries)
      if (entry->key()->string_view() == key)
        return entry->value() ? entry->value()->string_view()
                              : std::string_view();
  return std::nullopt;
}

Result<void> WeightsFile::verifyChecksums() const {
  for (const TensorView &view : tensorViews) {
    uint64_t computed = XXH3_64bits(view.data, view.length);
    if (computed != view.checksum)
      return ErrorMessage{filePath + ": checksum mismatch in tensor '" +
                          std::string(view.name) + "' (stored " +
                          hex(view.checksum) + ", computed " + hex(computed) +
                          ")"};
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

void WeightsFileWriter::addMetadata(std::string key, std::string value) {
  metadataEntries.emplace_back(std::move(key), std::move(value));
}

Result<void> WeightsFileWriter::addTensor(
    std::string name, DType dtype, std::vector<int64_t> shape, const void *data,
    uint64_t length, std::optional<Quantization> quantization) {
  if (!isValidDType(static_cast<uint8_t>(dtype)))
    return ErrorMessage{"tensor '" + name + "' has unknown dtype " +
                        std::to_string(static_cast<int>(dtype))};
  if (std::optional<std::string> problem =
          checkTensor(name, dtype, shape, length, quantization))
    return ErrorMessage{*problem};
  if (pendingIndex.count(name))
    return ErrorMessage{"two tensors are named '" + name + "'"};
  pendingIndex.emplace(name, pending.size());
  pending.push_back({std::move(name), dtype, std::move(shape),
                     std::move(quantization), data, length});
  return {};
}

namespace {

/// Builds the FlatBuffers header for tensors at `offsets`. Every scalar is
/// stored even when it equals its default, so the header's size does not
/// depend on the offsets' values.
template <typename Tensors>
flatbuffers::DetachedBuffer
buildHeader(const ModelConfig &config, const TokenizerData *tokenizer,
            const std::vector<std::pair<std::string, std::string>> &metadata,
            const Tensors &tensors, const std::vector<uint64_t> &offsets,
            const std::vector<uint64_t> &checksums) {
  flatbuffers::FlatBufferBuilder builder;
  builder.ForceDefaults(true);

  std::vector<flatbuffers::Offset<xfw::Tensor>> tensorTables;
  tensorTables.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto &tensor = tensors[i];
    auto name = builder.CreateString(tensor.name);
    auto shape = builder.CreateVector(tensor.shape);
    flatbuffers::Offset<xfw::Quantization> quantization;
    if (const std::optional<Quantization> &q = tensor.quantization) {
      auto scale = builder.CreateString(q->scaleTensor);
      auto zeroPoint = q->zeroPointTensor.empty()
                           ? flatbuffers::Offset<flatbuffers::String>()
                           : builder.CreateString(q->zeroPointTensor);
      quantization = xfw::CreateQuantization(builder, q->bits, q->groupSize,
                                             q->axis, scale, zeroPoint);
    }
    tensorTables.push_back(xfw::CreateTensor(
        builder, name, static_cast<xfw::DType>(tensor.dtype), shape,
        quantization, offsets[i], tensor.length, checksums[i]));
  }
  auto tensorVector = builder.CreateVector(tensorTables);

  auto architecture = config.architecture.empty()
                          ? flatbuffers::Offset<flatbuffers::String>()
                          : builder.CreateString(config.architecture);
  xfw::ModelConfigBuilder configBuilder(builder);
  configBuilder.add_architecture(architecture);
  if (config.vocabSize)
    configBuilder.add_vocab_size(*config.vocabSize);
  if (config.hiddenSize)
    configBuilder.add_hidden_size(*config.hiddenSize);
  if (config.numLayers)
    configBuilder.add_num_layers(*config.numLayers);
  if (config.numHeads)
    configBuilder.add_num_heads(*config.numHeads);
  if (config.numKVHeads)
    configBuilder.add_num_kv_heads(*config.numKVHeads);
  if (config.headDim)
    configBuilder.add_head_dim(*config.headDim);
  if (config.maxContext)
    configBuilder.add_max_context(*config.maxContext);
  if (config.ropeTheta)
    configBuilder.add_rope_theta(*config.ropeTheta);
  if (config.normEps)
    configBuilder.add_norm_eps(*config.normEps);
  auto configTable = configBuilder.Finish();

  std::vector<flatbuffers::Offset<xfw::KeyValue>> entries;
  for (const auto &[key, value] : metadata)
    entries.push_back(xfw::CreateKeyValue(builder, builder.CreateString(key),
                                          builder.CreateString(value)));
  auto metadataVector = builder.CreateVector(entries);

  flatbuffers::Offset<xfw::Tokenizer> tokenizerTable;
  if (tokenizer)
    tokenizerTable = detail::buildTokenizerTable(builder, *tokenizer);

  xfw::FinishHeaderBuffer(
      builder,
      xfw::CreateHeader(builder, configTable, tokenizerTable, tensorVector,
                        xfw::ChecksumKind::XXH3_64, metadataVector));
  return builder.Release();
}

} // namespace

Result<void> WeightsFileWriter::setTokenizer(const TokenizerData &data) {
  if (Result<void> checked = detail::checkTokenizerForFile(data); !checked)
    return ErrorMessage{"tokenizer: " + checked.error()};
  tokenizer = std::make_shared<const TokenizerData>(data);
  return {};
}

Result<void> WeightsFileWriter::write(const std::string &path) const {
  for (const PendingTensor &tensor : pending) {
    if (!tensor.quantization)
      continue;
    if (std::optional<std::string> problem = checkQuantizationReferences(
            tensor.name, *tensor.quantization, [&](const std::string &name) {
              return pendingIndex.count(name) != 0;
            }))
      return ErrorMessage{path + ": " + *problem};
  }

  // The header holds every tensor's checksum, which is known only once the
  // tensor is written: lay the file out with placeholders, write the data
  // (hashing each piece as it goes out), then rewrite the header. Every
  // scalar is stored, so the checksums' values do not change its size.
  std::vector<uint64_t> checksums(pending.size(), 0);
  // The data starts after the header, whose size the offsets in it could
  // change; recompute until the layout is stable. With every scalar stored,
  // the second pass confirms the first.
  std::vector<uint64_t> offsets(pending.size(), 0);
  flatbuffers::DetachedBuffer header;
  uint64_t fileSize = 0;
  for (bool stable = false; !stable;) {
    header =
        buildHeader(modelConfig, tokenizer.get(), metadataEntries, pending,
                    offsets, checksums);
    stable = true;
    uint64_t position =
        alignUp(kXfwPrefixSize + header.size(), kXfwTensorAlignment);
    fileSize = kXfwPrefixSize + header.size();
    for (size_t i = 0; i < pending.size(); ++i) {
      stable &= offsets[i] == position;
      offsets[i] = position;
      fileSize = position + pending[i].length;
      position = alignUp(fileSize, kXfwTensorAlignment);
    }
  }
  if (header.size() >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return ErrorMessage{path + ": the header exceeds the FlatBuffers limit of "
                               "2 GiB"};

  unsigned char prefix[kXfwPrefixSize];
  std::memcpy(prefix, kMagic, sizeof(kMagic));
  putLittleEndian32(prefix + 8, kXfwFormatVersion);
  putLittleEndian32(prefix + 12, static_cast<uint32_t>(header.size()));

  std::string temporary = path + ".tmp";
  int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return ErrorMessage{systemError(temporary, "cannot create")};
  auto abandon = [&](const std::string &what) {
    std::string message = systemError(temporary, what);
    ::close(fd);
    ::unlink(temporary.c_str());
    return ErrorMessage{message};
  };

  // A full disk is found here, in a moment, rather than after writing
  // gigabytes; filesystems without fallocate find it in write() instead.
  if (::fallocate(fd, 0, 0, static_cast<off_t>(fileSize)) != 0 &&
      errno != EOPNOTSUPP && errno != ENOSYS)
    return abandon("cannot reserve " + std::to_string(fileSize) + " bytes");

  if (!writeAll(fd, prefix, sizeof(prefix)) ||
      !writeAll(fd, header.data(), header.size()))
    return abandon("cannot write");
  uint64_t position = kXfwPrefixSize + header.size();
  XXH3_state_t hash;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (!padTo(fd, position, offsets[i]))
      return abandon("cannot write");
    XXH3_64bits_reset(&hash);
    const char *data = static_cast<const char *>(pending[i].data);
    for (uint64_t done = 0; done < pending[i].length;) {
      uint64_t piece = std::min(kWrittenPieceBytes, pending[i].length - done);
      XXH3_64bits_update(&hash, data + done, piece);
      if (!writeAll(fd, data + done, piece))
        return abandon("cannot write");
      if (written)
        written(data + done, piece);
      done += piece;
    }
    checksums[i] = XXH3_64bits_digest(&hash);
    position += pending[i].length;
  }

  flatbuffers::DetachedBuffer laidOut = std::move(header);
  header = buildHeader(modelConfig, tokenizer.get(), metadataEntries, pending,
                       offsets, checksums);
  if (header.size() != laidOut.size()) {
    errno = EINVAL;
    return abandon("the header changed size with its checksums");
  }
  if (::lseek(fd, kXfwPrefixSize, SEEK_SET) < 0 ||
      !writeAll(fd, header.data(), header.size()))
    return abandon("cannot write");
  if (::fsync(fd) != 0)
    return abandon("cannot flush");
  if (::close(fd) != 0) {
    std::string message = systemError(temporary, "cannot close");
    ::unlink(temporary.c_str());
    return ErrorMessage{message};
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string message = systemError(temporary, "cannot rename to " + path);
    ::unlink(temporary.c_str());
    return ErrorMessage{message};
  }
  return {};
}
