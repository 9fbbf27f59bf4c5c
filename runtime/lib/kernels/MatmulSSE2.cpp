//===- MatmulSSE2.cpp - f32 matmul blocks with 16-byte vectors ---------===//
//
// Compiled with the SSE2 target flags (runtime/CMakeLists.txt); Matmul.cpp
// calls it only on a CPU that has them.
//
//===----------------------------------------------------------------------===//

#define XF_KERNEL_NAMESPACE sse2
#define XF_VECTOR_BYTES 16
#include "MatmulKernels.inc"
