//===- MicrokernelsTest.cpp - the runtime defines xf/Microkernels.def -----===//
//
// The definitions in runtime/lib include the prototypes generated from the
// table, so a drifted signature does not compile (test/runtime/
// microkernel-drift.test shows it). What is left to check is that every
// entry has a definition: taking each one's address makes the link fail if
// libxfrt lacks one.
//
//===----------------------------------------------------------------------===//

#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace {

// The table's type of each entry is the type of the function the runtime
// declares (and, through the header, defines).
#define XF_MICROKERNEL(Id, Symbol, Attributes, Result, Parameters, Doc)        \
  static_assert(std::is_same_v<decltype(&::Symbol), Result(*) Parameters>,     \
                #Symbol " differs from xf/Microkernels.def");
#include "xf/Microkernels.def"

TEST(MicrokernelsTest, EveryEntryIsDefined) {
  struct Defined {
    const char *name;
    const void *address;
  };
  const Defined entries[] = {
#define XF_MICROKERNEL(Id, Symbol, Attributes, Result, Parameters, Doc)        \
  {#Symbol, reinterpret_cast<const void *>(&::Symbol)},
#include "xf/Microkernels.def"
  };
  for (const Defined &entry : entries)
    EXPECT_NE(entry.address, nullptr) << entry.name;
}

} // namespace
