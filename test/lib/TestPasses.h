//===- TestPasses.h - passes that exist for lit tests -----------*- C++ -*-===//

#ifndef XF_TEST_LIB_TESTPASSES_H
#define XF_TEST_LIB_TESTPASSES_H

namespace xf::test {

/// Registers the `test-` passes; xf-opt is the only tool that calls it.
void registerTestPasses();

} // namespace xf::test

#endif // XF_TEST_LIB_TESTPASSES_H
