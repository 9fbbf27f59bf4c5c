//===- QMatmulSSE2.cpp - quantized matmul blocks, sse2 build ----------------===//
//
// Compiled with the sse2 target flags (runtime/CMakeLists.txt); QMatmul.cpp
// calls it only on a CPU that has them.
//
//===----------------------------------------------------------------------===//

#define XF_KERNEL_NAMESPACE sse2
#define XF_VECTOR_BYTES 16
#include "QMatmulKernels.inc"
