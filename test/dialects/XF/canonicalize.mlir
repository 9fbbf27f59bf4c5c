// RUN: xf-opt %s -split-input-file -canonicalize="test-convergence" | FileCheck %s

// xf.check_dim is removed where it holds at compile time: one value on both
// sides, equal constants, or a broadcast of a constant 1.
// CHECK-LABEL: func.func @holds
// CHECK-NOT: xf.check_dim
// CHECK: return
func.func @holds(%n: index) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c4b = arith.constant 4 : index
  xf.check_dim %n, %n "same value"
  xf.check_dim %c4, %c4b "equal constants"
  xf.check_dim %c1, %n broadcast "a broadcast 1"
  return
}

// -----

// Near misses: different constants (a check that always fails stays, for
// the program to report), a 1 without `broadcast`, unknown sizes.
// CHECK-LABEL: func.func @kept
// CHECK: xf.check_dim %{{.+}}, %{{.+}} "different constants"
// CHECK: xf.check_dim %{{.+}}, %{{.+}} "a 1 that must equal"
// CHECK: xf.check_dim %{{.+}}, %{{.+}} broadcast "unknown"
func.func @kept(%n: index, %m: index) {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  xf.check_dim %c3, %c4 "different constants"
  xf.check_dim %c1, %n "a 1 that must equal"
  xf.check_dim %n, %m broadcast "unknown"
  return
}
