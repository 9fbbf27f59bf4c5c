//===- QMatmulAVX512.cpp - quantized matmul blocks, avx512 build ----------------===//
//
// Compiled with the avx512 target flags (runtime/CMakeLists.txt); QMatmul.cpp
// calls it only on a CPU that has them.
//
//===----------------------------------------------------------------------===//

#define XF_KERNEL_NAMESPACE avx512
#define XF_VECTOR_BYTES 64
#include "QMatmulKernels.inc"
