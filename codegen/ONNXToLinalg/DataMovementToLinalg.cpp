//===- DataMovementToLinalg.cpp - shape and data movement ops -> linalg ---===//
// In progress: patterns are being added op by op.

#include "codegen/ONNXToLinalg/ONNXToLinalg.h"

using namespace mlir;

void xf::populateONNXDataMovementToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {}
