//===- LinearWeights.h - naming the constant weight of a linear -*- C++ -*-===//
//
// What xf-quantize-weights and xf-expose-linear-input-grams agree on: a
// linear layer's weight is named by the key of its dense resource, so that
// statistics gathered by one compile find the weight in another.
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_LINEARWEIGHTS_H
#define XF_PASSES_LINEARWEIGHTS_H

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace xf {

/// The dense resource key of a linear layer's [N, K] weight, read directly
/// or through the Transpose (perm [1, 0] or none) fusion puts on a MatMul
/// weight; empty for anything else.
inline llvm::StringRef linearWeightName(mlir::Value weight) {
  if (auto transpose = weight.getDefiningOp<ONNX::TransposeOp>())
    weight = transpose.getData();
  auto constant = weight.getDefiningOp<ONNX::ConstantOp>();
  auto resource =
      constant ? llvm::dyn_cast<mlir::DenseResourceElementsAttr>(
                     constant.getValue())
               : nullptr;
  return resource ? resource.getRawHandle().getKey() : llvm::StringRef();
}

} // namespace xf

#endif // XF_PASSES_LINEARWEIGHTS_H
