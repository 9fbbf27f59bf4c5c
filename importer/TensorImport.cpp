//===- TensorImport.cpp - ONNX tensors and types -> MLIR ------------------===//

#include "importer/TensorImport.h"
#include "dialects/ONNX/IR/QLinearPacking.h"
#include "passes/WeightMemory.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;
using llvm::createStringError;
using llvm::Expected;

namespace xf {

Expected<Type> convertONNXElementType(int32_t dataType, MLIRContext &ctx) {
  using TP = onnx::TensorProto;
  switch (dataType) {
  case TP::FLOAT: return Float32Type::get(&ctx);
  case TP::DOUBLE: return Float64Type::get(&ctx);
  case TP::FLOAT16: return Float16Type::get(&ctx);
  case TP::BFLOAT16: return BFloat16Type::get(&ctx);
  case TP::BOOL: return IntegerType::get(&ctx, 1);
  case TP::INT8: return IntegerType::get(&ctx, 8);
  case TP::INT16: return IntegerType::get(&ctx, 16);
  case TP::INT32: return IntegerType::get(&ctx, 32);
  case TP::INT64: return IntegerType::get(&ctx, 64);
  case TP::UINT8: return IntegerType::get(&ctx, 8, IntegerType::Unsigned);
  case TP::UINT16: return IntegerType::get(&ctx, 16, IntegerType::Unsigned);
  case TP::UINT32: return IntegerType::get(&ctx, 32, IntegerType::Unsigned);
  case TP::UINT64: return IntegerType::get(&ctx, 64, IntegerType::Unsigned);
  // Newer than the onnx.proto Debian ships; the numbers are ONNX's.
  case 17: return Float8E4M3FNType::get(&ctx);
  case 18: return Float8E4M3FNUZType::get(&ctx);
  case 19: return Float8E5M2Type::get(&ctx);
  case 20: return Float8E5M2FNUZType::get(&ctx);
  case 21: return IntegerType::get(&ctx, 4, IntegerType::Unsigned);
  case 22: return IntegerType::get(&ctx, 4);
  case 23: return Float4E2M1FNType::get(&ctx);
  case 24: return Float8E8M0FNUType::get(&ctx);
  case 25: return IntegerType::get(&ctx, 2, IntegerType::Unsigned);
  case 26: return IntegerType::get(&ctx, 2);
  default:
    return createStringError("element type %s has no MLIR equivalent",
                             onnxDataTypeName(dataType).c_str());
  }
}

std::string onnxDataTypeName(int32_t dataType) {
  switch (dataType) {
  case 17: return "FLOAT8E4M3FN";
  case 18: return "FLOAT8E4M3FNUZ";
  case 19: return "FLOAT8E5M2";
  case 20: return "FLOAT8E5M2FNUZ";
  case 21: return "UINT4";
  case 22: return "INT4";
  case 23: return "FLOAT4E2M1";
  case 24: return "FLOAT8E8M0";
  case 25: return "UINT2";
  case 26: return "INT2";
  default:
    break;
  }
  if (onnx::TensorProto::DataType_IsValid(dataType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(dataType));
  return "data type " + std::to_string(dataType);
}

//===----------------------------------------------------------------------===//
// External data
//===----------------------------------------------------------------------===//

struct TensorImporter::MappedFile {
  const char *data = nullptr;
  size_t size = 0;
  ~MappedFile() {
    if (data && size) {
      unregisterFileBackedRange(data);
      munmap(const_cast<char *>(data), size);
    }
  }
};

TensorImporter::TensorImporter(MLIRContext &context, std::string modelDir,
                               int64_t inlineElementLimit)
    : context(context), modelDir(std::move(modelDir)),
      inlineElementLimit(inlineElementLimit) {}

TensorImporter::~TensorImporter() = default;

Expected<std::shared_ptr<TensorImporter::MappedFile>>
TensorImporter::mapFile(llvm::StringRef location) {
  auto it = mappedFiles.find(location);
  if (it != mappedFiles.end())
    return it->second;
  // ONNX requires external data to live beside the model.
  if (llvm::sys::path::is_absolute(location) ||
      llvm::any_of(llvm::make_range(llvm::sys::path::begin(location),
                                    llvm::sys::path::end(location)),
                   [](llvm::StringRef part) { return part == ".."; }))
    return createStringError(
        "external data location '%s' is outside the model's directory",
        location.str().c_str());
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return createStringError("cannot open external data file '%s': %s",
                             path.c_str(), std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return createStringError("external data '%s' is not a regular file",
                             path.c_str());
  }
  auto file = std::make_shared<MappedFile>();
  file->size = st.st_size;
  if (file->size) {
    void *data = mmap(nullptr, file->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      ::close(fd);
      return createStringError("cannot map external data file '%s': %s",
                               path.c_str(), std::strerror(errno));
    }
    file->data = static_cast<const char *>(data);
    // Read-only and private: a compile drops the pages of a weight once it
    // is written out (or quantized), and a later read faults them back in.
    registerFileBackedRange(data, file->size);
  }
  ::close(fd);
  mappedFiles[location] = file;
  return file;
}

//===----------------------------------------------------------------------===//
// Tensor data
//===----------------------------------------------------------------------===//

namespace {
/// Bytes per element as stored in raw_data and in MLIR dense storage. Sub-byte
/// types are rejected before this is used.
size_t storageBytes(Type elementType) {
  if (elementType.isInteger(1))
    return 1;
  return (elementType.getIntOrFloatBitWidth() + 7) / 8;
}

/// ONNX's UINT4 (21) and INT4 (22): raw and external data pack two values
/// per byte, element 2t in the low nibble of byte t, the last byte padded.
/// They import as ui8/i8 constants (INT4 sign-extended), which every reader
/// of an 8-bit integer takes (Cast, DequantizeLinear's match into
/// xf.qlinear, which packs codes that fit 4 bits as bits = 4).
bool isPacked4Bit(int32_t dataType) { return dataType == 21 || dataType == 22; }

/// Packed 4-bit `data` -> one byte per element.
std::vector<char> unpack4Bit(llvm::ArrayRef<char> data, int64_t count,
                             bool isSigned) {
  std::vector<char> out(count);
  for (int64_t i = 0; i < count; ++i) {
    uint8_t v = packedNibble(data.data(), i);
    out[i] = char(isSigned && v >= 8 ? int(v) - 16 : int(v));
  }
  return out;
}

std::string resourceName(llvm::StringRef tensorName) {
  std::string name;
  for (char c : tensorName)
    name += (llvm::isAlnum(c) || c == '_' || c == '.') ? c : '_';
  if (name.empty() || llvm::isDigit(name[0]))
    name.insert(0, "w_");
  return name;
}

/// Copies the typed repeated field that holds `elementType` in ONNX into
/// little-endian storage bytes.
llvm::Error copyTypedData(const onnx::TensorProto &tensor, Type elementType,
                          int64_t count, std::vector<char> &out) {
  size_t bytes = storageBytes(elementType);
  auto fail = [&](int64_t have) {
    return createStringError("holds %lld values where its shape needs %lld",
                             static_cast<long long>(have),
                             static_cast<long long>(count));
  };
  // Sizes are checked before anything is allocated: `count` comes from the
  // file and may be absurd.
  if (elementType.isF32()) {
    if (tensor.float_data_size() != count)
      return fail(tensor.float_data_size());
    out.resize(count * bytes);
    std::memcpy(out.data(), tensor.float_data().data(), count * 4);
  } else if (elementType.isF64()) {
    if (tensor.double_data_size() != count)
      return fail(tensor.double_data_size());
    out.resize(count * bytes);
    std::memcpy(out.data(), tensor.double_data().data(), count * 8);
  } else if (elementType.isInteger(64) && !elementType.isUnsignedInteger()) {
    if (tensor.int64_data_size() != count)
      return fail(tensor.int64_data_size());
    out.resize(count * bytes);
    std::memcpy(out.data(), tensor.int64_data().data(), count * 8);
  } else if (elementType.isUnsignedInteger(32) ||
             elementType.isUnsignedInteger(64)) {
    if (tensor.uint64_data_size() != count)
      return fail(tensor.uint64_data_size());
    out.resize(count * bytes);
    for (int64_t i = 0; i < count; ++i) {
      uint64_t v = tensor.uint64_data(i);
      std::memcpy(out.data() + i * bytes, &v, bytes);
    }
  } else {
    // int32_data holds every other type of 32 bits or less, one per entry,
    // 16-bit floats as their bit patterns.
    if (tensor.int32_data_size() != count)
      return fail(tensor.int32_data_size());
    out.resize(count * bytes);
    for (int64_t i = 0; i < count; ++i) {
      int32_t v = tensor.int32_data(i);
      std::memcpy(out.data() + i * bytes, &v, bytes);
    }
  }
  return llvm::Error::success();
}
} // namespace

Expected<RankedTensorType> tensorTypeOf(const onnx::TensorProto &tensor,
                                        MLIRContext &context) {
  auto elementTypeOr = convertONNXElementType(tensor.data_type(), context);
  if (!elementTypeOr)
    return elementTypeOr.takeError();
  Type elementType = *elementTypeOr;
  // INT4/UINT4 constants hold one value per byte, as i8/ui8 (see
  // isPacked4Bit).
  if (isPacked4Bit(tensor.data_type()))
    elementType = IntegerType::get(
        &context, 8,
        tensor.data_type() == 21 ? IntegerType::Unsigned : IntegerType::Signless);
  else if (elementType.getIntOrFloatBitWidth() < 8 && !elementType.isInteger(1))
    return createStringError("constants of %s are not supported",
                             onnxDataTypeName(tensor.data_type()).c_str());
  if (tensor.has_segment())
    return createStringError("segmented tensors are not supported");
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return createStringError("has negative dimension %lld",
                               static_cast<long long>(dim));
    if (dim != 0 && count > (int64_t(1) << 48) / dim)
      return createStringError("is too large");
    shape.push_back(dim);
    count *= dim;
  }
  return RankedTensorType::get(shape, elementType);
}

Expected<std::vector<char>> readInlineTensorData(const onnx::TensorProto &tensor,
                                                 RankedTensorType type) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return createStringError("holds external data, which is not read here");
  size_t expectedBytes =
      type.getNumElements() * storageBytes(type.getElementType());
  if (isPacked4Bit(tensor.data_type())) {
    size_t packedBytes = (type.getNumElements() + 1) / 2;
    if (!tensor.has_raw_data())
      return createStringError("%s data must be raw data",
                               onnxDataTypeName(tensor.data_type()).c_str());
    if (tensor.raw_data().size() != packedBytes)
      return createStringError(
          "has %zu bytes of raw data where its shape needs %zu",
          tensor.raw_data().size(), packedBytes);
    return unpack4Bit(tensor.raw_data(), type.getNumElements(),
                      tensor.data_type() == 22);
  }
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != expectedBytes)
      return createStringError(
          "has %zu bytes of raw data where its shape needs %zu",
          tensor.raw_data().size(), expectedBytes);
    return std::vector<char>(tensor.raw_data().begin(), tensor.raw_data().end());
  }
  std::vector<char> bytes;
  if (llvm::Error err = copyTypedData(tensor, type.getElementType(),
                                      type.getNumElements(), bytes))
    return std::move(err);
  return bytes;
}

Expected<ElementsAttr> TensorImporter::convert(onnx::TensorProto &tensor) {
  auto typeOr = tensorTypeOf(tensor, context);
  if (!typeOr)
    return typeOr.takeError();
  RankedTensorType type = *typeOr;
  Type elementType = type.getElementType();
  int64_t count = type.getNumElements();
  size_t bytes = storageBytes(elementType);
  size_t expectedBytes = count * bytes;
  bool packed4 = isPacked4Bit(tensor.data_type());
  if (packed4)
    expectedBytes = (count + 1) / 2;

  // Where the bytes are: external file, raw_data, or a typed field.
  llvm::ArrayRef<char> data;
  std::vector<char> typedStorage;
  std::shared_ptr<MappedFile> mapping;
  std::unique_ptr<std::string> rawData;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset" || entry.key() == "length") {
        char *end = nullptr;
        long long v = std::strtoll(entry.value().c_str(), &end, 10);
        if (entry.value().empty() || *end || v < 0)
          return createStringError("has invalid external data %s '%s'",
                                   entry.key().c_str(), entry.value().c_str());
        (entry.key() == "offset" ? offset : length) = v;
      }
    }
    if (location.empty())
      return createStringError("is external but names no location");
    auto file = mapFile(location);
    if (!file)
      return file.takeError();
    mapping = *file;
    if (length < 0)
      length = static_cast<int64_t>(mapping->size) - offset;
    if (offset > static_cast<int64_t>(mapping->size) ||
        length > static_cast<int64_t>(mapping->size) - offset)
      return createStringError(
          "reads bytes %lld..%lld of external data file '%s', which has %zu",
          static_cast<long long>(offset),
          static_cast<long long>(offset + length), location.c_str(),
          mapping->size);
    if (static_cast<size_t>(length) != expectedBytes)
      return createStringError(
          "has %lld bytes of external data where its shape needs %zu",
          static_cast<long long>(length), expectedBytes);
    data = llvm::ArrayRef<char>(mapping->data + offset, length);
  } else if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != expectedBytes)
      return createStringError(
          "has %zu bytes of raw data where its shape needs %zu",
          tensor.raw_data().size(), expectedBytes);
    rawData.reset(tensor.release_raw_data());
    data = llvm::ArrayRef<char>(rawData->data(), rawData->size());
  } else if (packed4) {
    return createStringError("%s data must be raw or external data",
                             onnxDataTypeName(tensor.data_type()).c_str());
  } else {
    if (llvm::Error err =
            copyTypedData(tensor, elementType, count, typedStorage))
      return std::move(err);
    data = typedStorage;
  }
  if (packed4) {
    typedStorage = unpack4Bit(data, count, tensor.data_type() == 22);
    data = typedStorage;
    mapping.reset();
    rawData.reset();
  }

  if (count <= inlineElementLimit) {
    if (elementType.isInteger(1)) {
      SmallVector<bool> values;
      for (char c : data)
        values.push_back(c != 0);
      return cast<ElementsAttr>(DenseElementsAttr::get(type, values));
    }
    bool detectedSplat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, data, detectedSplat))
      return createStringError("has data MLIR cannot hold");
    return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, data));
  }

  // A dense resource that owns (or shares) the bytes. Misaligned external
  // data is copied, since blobs must be aligned to their element size.
  size_t alignment = std::max<size_t>(bytes, 1);
  AsmResourceBlob blob;
  if (reinterpret_cast<uintptr_t>(data.data()) % alignment != 0) {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(data, alignment);
  } else if (mapping) {
    blob = AsmResourceBlob(data, alignment,
                           [mapping](void *, size_t, size_t) {},
                           /*dataIsMutable=*/false);
  } else if (rawData) {
    std::string *owned = rawData.release();
    blob = AsmResourceBlob(data, alignment,
                           [owned](void *, size_t, size_t) { delete owned; },
                           /*dataIsMutable=*/false);
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(data, alignment);
  }
  auto &manager = DenseResourceElementsHandle::getManagerInterface(&context);
  auto handle =
      manager.insert(resourceName(tensor.name()), std::move(blob));
  return cast<ElementsAttr>(DenseResourceElementsAttr::get(type, handle));
}

} // namespace xf
