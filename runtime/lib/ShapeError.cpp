//===- ShapeError.cpp - the exit of a failed run-time shape check ---------===//

#include "xf/Kernels.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

extern "C" void xfrt_shape_error(int64_t message, int64_t size,
                                 int64_t expected, int64_t broadcast) {
  const char *text = reinterpret_cast<const char *>(message);
  // Whatever the program printed so far (generated ids) comes first.
  std::fflush(stdout);
  if (broadcast != 0)
    std::fprintf(stderr,
                 "error: %s is %" PRId64
                 ", which does not broadcast to %" PRId64 "\n",
                 text, size, expected);
  else
    std::fprintf(stderr, "error: %s is %" PRId64 " but must be %" PRId64 "\n",
                 text, size, expected);
  std::exit(1);
}
