//===- QMatmulAVX2.cpp - quantized matmul blocks, avx2 build ----------------===//
//
// Compiled with the avx2 target flags (runtime/CMakeLists.txt); QMatmul.cpp
// calls it only on a CPU that has them.
//
//===----------------------------------------------------------------------===//

#define XF_KERNEL_NAMESPACE avx2
#define XF_VECTOR_BYTES 32
#include "QMatmulKernels.inc"
