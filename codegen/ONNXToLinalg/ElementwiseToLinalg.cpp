//===- ElementwiseToLinalg.cpp - elementwise onnx ops -> linalg -----------===//
// In progress: patterns are being added op by op.

#include "codegen/ONNXToLinalg/ONNXToLinalg.h"

using namespace mlir;

void xf::populateONNXToLinalgTypeConversions(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
}

void xf::populateONNXElementwiseToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {}
