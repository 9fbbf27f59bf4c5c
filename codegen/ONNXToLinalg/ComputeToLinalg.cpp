//===- ComputeToLinalg.cpp - matmul, normalization, reductions -> linalg --===//
// In progress: patterns are being added op by op.

#include "codegen/ONNXToLinalg/ONNXToLinalg.h"

using namespace mlir;

void xf::populateONNXComputeToLinalgPatterns(const TypeConverter &converter,
                                             RewritePatternSet &patterns) {}
