//===- ModelSignature.h - @main's arguments and results by name -*- C++ -*-===//
//
// The paged-step passes (xf-select-logits-rows, xf-insert-speculative-decode)
// find @main's inputs and outputs by the names xf-identify-model-roles and
// xf-insert-kv-cache give them (runtime/include/xf/ModelABI.h).
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_MODELSIGNATURE_H
#define XF_PASSES_MODELSIGNATURE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>

namespace xf {

/// Whether an argument of `func` has onnx.name `name`.
inline bool hasArgumentNamed(mlir::func::FuncOp func, llvm::StringRef name) {
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (auto attr = func.getArgAttrOfType<mlir::StringAttr>(i, "onnx.name");
        attr && attr.getValue() == name)
      return true;
  return false;
}

/// The index of the result of `func` with onnx.name `name`.
inline std::optional<unsigned> resultNamed(mlir::func::FuncOp func,
                                           llvm::StringRef name) {
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (auto attr = func.getResultAttrOfType<mlir::StringAttr>(i, "onnx.name");
        attr && attr.getValue() == name)
      return i;
  return std::nullopt;
}

} // namespace xf

#endif // XF_PASSES_MODELSIGNATURE_H
