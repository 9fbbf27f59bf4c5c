//===- Passes.h - xfc graph passes ----------------------------*- C++ -*-===//

#ifndef XF_PASSES_PASSES_H
#define XF_PASSES_PASSES_H

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace xf {
#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Of an argument's attributes, what the CPU pipeline still reads: the ONNX
/// name and dim_params, which xf-check-dim-params turns into entry checks.
/// The tools drop the rest (a weight's data, say) before lowering.
mlir::DictionaryAttr keepDimParamAttrs(mlir::DictionaryAttr attrs);
} // namespace xf

#endif // XF_PASSES_PASSES_H
