// RUN: xf-opt %s -split-input-file -xf-simplify-math | FileCheck %s

// CHECK-LABEL: func.func @square
// CHECK-NOT: math.powf
// CHECK: %[[R:.+]] = arith.mulf %[[X:.+]], %[[X]] : f32
// CHECK: return %[[R]]
func.func @square(%x: f32) -> f32 {
  %two = arith.constant 2.0 : f32
  %r = math.powf %x, %two : f32
  return %r : f32
}

// -----

// CHECK-LABEL: func.func @square_root
// CHECK: math.sqrt
// CHECK-NOT: math.powf
func.func @square_root(%x: f32) -> f32 {
  %half = arith.constant 0.5 : f32
  %r = math.powf %x, %half : f32
  return %r : f32
}

// -----

// A non-constant exponent stays a powf.
// CHECK-LABEL: func.func @general
// CHECK: math.powf
func.func @general(%x: f32, %y: f32) -> f32 {
  %r = math.powf %x, %y : f32
  return %r : f32
}

// -----

// exp and erf become inline arithmetic (no libm call); inline-math=false
// keeps them.
// RUN: xf-opt %s -split-input-file -xf-simplify-math="inline-math=false" | FileCheck %s --check-prefix=KEEP
// CHECK-LABEL: func.func @exp
// CHECK-NOT: math.exp
// CHECK: arith.mulf
// CHECK: return
// KEEP-LABEL: func.func @exp
// KEEP: math.exp
func.func @exp(%x: f32) -> f32 {
  %r = math.exp %x : f32
  return %r : f32
}

// -----

// CHECK-LABEL: func.func @erf
// CHECK-NOT: math.erf
// CHECK: return
// KEEP-LABEL: func.func @erf
// KEEP: math.erf
func.func @erf(%x: f32) -> f32 {
  %r = math.erf %x : f32
  return %r : f32
}
