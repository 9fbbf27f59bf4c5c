//===- MatmulAVX512.cpp - f32 matmul blocks with 64-byte vectors ---------===//
//
// Compiled with the AVX512 target flags (runtime/CMakeLists.txt); Matmul.cpp
// calls it only on a CPU that has them.
//
//===----------------------------------------------------------------------===//

#define XF_KERNEL_NAMESPACE avx512
#define XF_VECTOR_BYTES 64
#include "MatmulKernels.inc"
