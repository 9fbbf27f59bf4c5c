//===- MatmulAVX2.cpp - f32 matmul blocks with 32-byte vectors ---------===//
//
// Compiled with the AVX2 target flags (runtime/CMakeLists.txt); Matmul.cpp
// calls it only on a CPU that has them.
//
//===----------------------------------------------------------------------===//

#define XF_KERNEL_NAMESPACE avx2
#define XF_VECTOR_BYTES 32
#include "MatmulKernels.inc"
