//===- TensorImport.h - ONNX tensors and types -> MLIR --------*- C++ -*-===//

#ifndef XF_IMPORTER_TENSORIMPORT_H
#define XF_IMPORTER_TENSORIMPORT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <memory>
#include <vector>
#include <string>

namespace xf {

/// The MLIR element type of an ONNX TensorProto data type, or an error naming
/// the type if MLIR has no equivalent (string, complex).
llvm::Expected<mlir::Type> convertONNXElementType(int32_t dataType,
                                                  mlir::MLIRContext &context);

/// The name ONNX gives a TensorProto data type ("FLOAT", "INT64", ...).
std::string onnxDataTypeName(int32_t dataType);

/// The type of a TensorProto's value, or an error naming what is wrong with
/// its data type or dimensions.
llvm::Expected<mlir::RankedTensorType>
tensorTypeOf(const onnx::TensorProto &tensor, mlir::MLIRContext &context);

/// The bytes of a tensor held in the proto itself (raw_data or a typed
/// field), little-endian, one byte per bool; `type` is tensorTypeOf's.
llvm::Expected<std::vector<char>>
readInlineTensorData(const onnx::TensorProto &tensor,
                     mlir::RankedTensorType type);

/// Converts tensors, memory-mapping each external data file once and
/// sharing the mapping with every resource that points into it.
class TensorImporter {
public:
  TensorImporter(mlir::MLIRContext &context, std::string modelDir,
                 int64_t inlineElementLimit);
  ~TensorImporter();

  /// Converts `tensor` into an inline dense attribute if it is small, else
  /// into a dense resource. Takes the tensor's raw data out of `tensor`
  /// rather than copying it.
  llvm::Expected<mlir::ElementsAttr> convert(onnx::TensorProto &tensor);

private:
  struct MappedFile;
  llvm::Expected<std::shared_ptr<MappedFile>> mapFile(llvm::StringRef location);

  mlir::MLIRContext &context;
  std::string modelDir;
  int64_t inlineElementLimit;
  llvm::StringMap<std::shared_ptr<MappedFile>> mappedFiles;
};

} // namespace xf

#endif // XF_IMPORTER_TENSORIMPORT_H
