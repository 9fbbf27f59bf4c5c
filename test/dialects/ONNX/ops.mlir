// RUN: xf-opt %s -split-input-file | xf-opt -split-input-file | FileCheck %s

// Round trip of every onnx op.

// Static and dynamic dims.
// CHECK-LABEL: func.func @sqrt
// CHECK-SAME: (%[[X:.+]]: tensor<2x?xf32>) -> tensor<2x?xf32>
// CHECK: %[[Y:.+]] = onnx.Sqrt %[[X]] : (tensor<2x?xf32>) -> tensor<2x?xf32>
// CHECK: return %[[Y]]
func.func @sqrt(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  %y = onnx.Sqrt %x : (tensor<2x?xf32>) -> tensor<2x?xf32>
  return %y : tensor<2x?xf32>
}

// -----

// Unranked.
// CHECK-LABEL: func.func @reciprocal
// CHECK-SAME: (%[[X:.+]]: tensor<*xf32>) -> tensor<*xf32>
// CHECK: %[[Y:.+]] = onnx.Reciprocal %[[X]] : (tensor<*xf32>) -> tensor<*xf32>
// CHECK: return %[[Y]]
func.func @reciprocal(%x: tensor<*xf32>) -> tensor<*xf32> {
  %y = onnx.Reciprocal %x : (tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @neg
// CHECK-SAME: (%[[X:.+]]: tensor<4xi32>) -> tensor<4xi32>
// CHECK: %[[Y:.+]] = onnx.Neg %[[X]] : (tensor<4xi32>) -> tensor<4xi32>
// CHECK: return %[[Y]]
func.func @neg(%x: tensor<4xi32>) -> tensor<4xi32> {
  %y = onnx.Neg %x : (tensor<4xi32>) -> tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @exp
// CHECK-SAME: (%[[X:.+]]: tensor<?x?xbf16>) -> tensor<?x?xbf16>
// CHECK: %[[Y:.+]] = onnx.Exp %[[X]] : (tensor<?x?xbf16>) -> tensor<?x?xbf16>
// CHECK: return %[[Y]]
func.func @exp(%x: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %y = onnx.Exp %x : (tensor<?x?xbf16>) -> tensor<?x?xbf16>
  return %y : tensor<?x?xbf16>
}

// -----

// A 0-D tensor.
// CHECK-LABEL: func.func @log
// CHECK-SAME: (%[[X:.+]]: tensor<f64>) -> tensor<f64>
// CHECK: %[[Y:.+]] = onnx.Log %[[X]] : (tensor<f64>) -> tensor<f64>
// CHECK: return %[[Y]]
func.func @log(%x: tensor<f64>) -> tensor<f64> {
  %y = onnx.Log %x : (tensor<f64>) -> tensor<f64>
  return %y : tensor<f64>
}

// -----

// CHECK-LABEL: func.func @erf
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf16>) -> tensor<2x3xf16>
// CHECK: %[[Y:.+]] = onnx.Erf %[[X]] : (tensor<2x3xf16>) -> tensor<2x3xf16>
// CHECK: return %[[Y]]
func.func @erf(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  %y = onnx.Erf %x : (tensor<2x3xf16>) -> tensor<2x3xf16>
  return %y : tensor<2x3xf16>
}

// -----

// CHECK-LABEL: func.func @tanh
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
// CHECK: %[[Y:.+]] = onnx.Tanh %[[X]] : (tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
// CHECK: return %[[Y]]
func.func @tanh(%x: tensor<1x?x64xf32>) -> tensor<1x?x64xf32> {
  %y = onnx.Tanh %x : (tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
  return %y : tensor<1x?x64xf32>
}

// -----

// The declared result may be more static than the operand.
// CHECK-LABEL: func.func @sigmoid
// CHECK-SAME: (%[[X:.+]]: tensor<?xf32>) -> tensor<8xf32>
// CHECK: %[[Y:.+]] = onnx.Sigmoid %[[X]] : (tensor<?xf32>) -> tensor<8xf32>
// CHECK: return %[[Y]]
func.func @sigmoid(%x: tensor<?xf32>) -> tensor<8xf32> {
  %y = onnx.Sigmoid %x : (tensor<?xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @relu
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xi8>) -> tensor<2x3xi8>
// CHECK: %[[Y:.+]] = onnx.Relu %[[X]] : (tensor<2x3xi8>) -> tensor<2x3xi8>
// CHECK: return %[[Y]]
func.func @relu(%x: tensor<2x3xi8>) -> tensor<2x3xi8> {
  %y = onnx.Relu %x : (tensor<2x3xi8>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// Unsigned elements.
// CHECK-LABEL: func.func @abs
// CHECK-SAME: (%[[X:.+]]: tensor<3xui8>) -> tensor<3xui8>
// CHECK: %[[Y:.+]] = onnx.Abs %[[X]] : (tensor<3xui8>) -> tensor<3xui8>
// CHECK: return %[[Y]]
func.func @abs(%x: tensor<3xui8>) -> tensor<3xui8> {
  %y = onnx.Abs %x : (tensor<3xui8>) -> tensor<3xui8>
  return %y : tensor<3xui8>
}

// -----

// An unranked operand with a ranked result.
// CHECK-LABEL: func.func @sin
// CHECK-SAME: (%[[X:.+]]: tensor<*xf32>) -> tensor<4xf32>
// CHECK: %[[Y:.+]] = onnx.Sin %[[X]] : (tensor<*xf32>) -> tensor<4xf32>
// CHECK: return %[[Y]]
func.func @sin(%x: tensor<*xf32>) -> tensor<4xf32> {
  %y = onnx.Sin %x : (tensor<*xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @cos
// CHECK-SAME: (%[[X:.+]]: tensor<4x4xf32>) -> tensor<4x4xf32>
// CHECK: %[[Y:.+]] = onnx.Cos %[[X]] : (tensor<4x4xf32>) -> tensor<4x4xf32>
// CHECK: return %[[Y]]
func.func @cos(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %y = onnx.Cos %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// CHECK-LABEL: func.func @not
// CHECK-SAME: (%[[X:.+]]: tensor<?xi1>) -> tensor<?xi1>
// CHECK: %[[Y:.+]] = onnx.Not %[[X]] : (tensor<?xi1>) -> tensor<?xi1>
// CHECK: return %[[Y]]
func.func @not(%x: tensor<?xi1>) -> tensor<?xi1> {
  %y = onnx.Not %x : (tensor<?xi1>) -> tensor<?xi1>
  return %y : tensor<?xi1>
}

// -----

// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.+]]: tensor<4xi64>, %[[U:.+]]: tensor<*xf32>) -> (tensor<4xi64>, tensor<*xf32>)
// CHECK: %[[A:.+]] = onnx.Identity %[[X]] : (tensor<4xi64>) -> tensor<4xi64>
// CHECK: %[[B:.+]] = onnx.Identity %[[U]] : (tensor<*xf32>) -> tensor<*xf32>
// CHECK: return %[[A]], %[[B]]
func.func @identity(%x: tensor<4xi64>, %u: tensor<*xf32>) -> (tensor<4xi64>, tensor<*xf32>) {
  %a = onnx.Identity %x : (tensor<4xi64>) -> tensor<4xi64>
  %b = onnx.Identity %u : (tensor<*xf32>) -> tensor<*xf32>
  return %a, %b : tensor<4xi64>, tensor<*xf32>
}

// -----

// Broadcasting a lower-rank operand.
// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[A:.+]]: tensor<2x3xf32>, %[[B:.+]]: tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: %[[C:.+]] = onnx.Add %[[A]], %[[B]] : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: return %[[C]]
func.func @add(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %c = onnx.Add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %c : tensor<2x3xf32>
}

// -----

// Dynamic dims broadcast against 1.
// CHECK-LABEL: func.func @sub
// CHECK-SAME: (%[[A:.+]]: tensor<?x1xf32>, %[[B:.+]]: tensor<1x?xf32>) -> tensor<?x?xf32>
// CHECK: %[[C:.+]] = onnx.Sub %[[A]], %[[B]] : (tensor<?x1xf32>, tensor<1x?xf32>) -> tensor<?x?xf32>
// CHECK: return %[[C]]
func.func @sub(%a: tensor<?x1xf32>, %b: tensor<1x?xf32>) -> tensor<?x?xf32> {
  %c = onnx.Sub %a, %b : (tensor<?x1xf32>, tensor<1x?xf32>) -> tensor<?x?xf32>
  return %c : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @mul
// CHECK-SAME: (%[[A:.+]]: tensor<4x1x8xi64>, %[[B:.+]]: tensor<3x1xi64>) -> tensor<4x3x8xi64>
// CHECK: %[[C:.+]] = onnx.Mul %[[A]], %[[B]] : (tensor<4x1x8xi64>, tensor<3x1xi64>) -> tensor<4x3x8xi64>
// CHECK: return %[[C]]
func.func @mul(%a: tensor<4x1x8xi64>, %b: tensor<3x1xi64>) -> tensor<4x3x8xi64> {
  %c = onnx.Mul %a, %b : (tensor<4x1x8xi64>, tensor<3x1xi64>) -> tensor<4x3x8xi64>
  return %c : tensor<4x3x8xi64>
}

// -----

// An unranked operand gives an unranked result; a dynamic dim against a
// static one may be declared static.
// CHECK-LABEL: func.func @div
// CHECK-SAME: (%[[A:.+]]: tensor<*xf32>, %[[B:.+]]: tensor<f32>, %[[C:.+]]: tensor<?x4xf32>, %[[D:.+]]: tensor<3x1xf32>) -> (tensor<*xf32>, tensor<3x4xf32>)
// CHECK: %[[Q:.+]] = onnx.Div %[[A]], %[[B]] : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
// CHECK: %[[R:.+]] = onnx.Div %[[C]], %[[D]] : (tensor<?x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
// CHECK: return %[[Q]], %[[R]]
func.func @div(%a: tensor<*xf32>, %b: tensor<f32>, %c: tensor<?x4xf32>, %d: tensor<3x1xf32>) -> (tensor<*xf32>, tensor<3x4xf32>) {
  %q = onnx.Div %a, %b : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %r = onnx.Div %c, %d : (tensor<?x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %q, %r : tensor<*xf32>, tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @and_or
// CHECK-SAME: (%[[A:.+]]: tensor<2x1xi1>, %[[B:.+]]: tensor<1x2xi1>) -> (tensor<2x2xi1>, tensor<2x2xi1>)
// CHECK: %[[X:.+]] = onnx.And %[[A]], %[[B]] : (tensor<2x1xi1>, tensor<1x2xi1>) -> tensor<2x2xi1>
// CHECK: %[[Y:.+]] = onnx.Or %[[A]], %[[B]] : (tensor<2x1xi1>, tensor<1x2xi1>) -> tensor<2x2xi1>
// CHECK: return %[[X]], %[[Y]]
func.func @and_or(%a: tensor<2x1xi1>, %b: tensor<1x2xi1>) -> (tensor<2x2xi1>, tensor<2x2xi1>) {
  %x = onnx.And %a, %b : (tensor<2x1xi1>, tensor<1x2xi1>) -> tensor<2x2xi1>
  %y = onnx.Or %a, %b : (tensor<2x1xi1>, tensor<1x2xi1>) -> tensor<2x2xi1>
  return %x, %y : tensor<2x2xi1>, tensor<2x2xi1>
}

// -----

// Comparisons give i1 of the broadcast shape.
// CHECK-LABEL: func.func @compare
// CHECK-SAME: (%[[A:.+]]: tensor<2x3xi64>, %[[B:.+]]: tensor<i64>, %[[F:.+]]: tensor<?x3xf32>, %[[G:.+]]: tensor<1x1xf32>)
// CHECK: %[[EQ:.+]] = onnx.Equal %[[A]], %[[B]] : (tensor<2x3xi64>, tensor<i64>) -> tensor<2x3xi1>
// CHECK: %[[LT:.+]] = onnx.Less %[[F]], %[[G]] : (tensor<?x3xf32>, tensor<1x1xf32>) -> tensor<?x3xi1>
// CHECK: %[[LE:.+]] = onnx.LessOrEqual %[[F]], %[[G]] : (tensor<?x3xf32>, tensor<1x1xf32>) -> tensor<?x3xi1>
// CHECK: %[[GT:.+]] = onnx.Greater %[[A]], %[[B]] : (tensor<2x3xi64>, tensor<i64>) -> tensor<2x3xi1>
// CHECK: %[[GE:.+]] = onnx.GreaterOrEqual %[[G]], %[[F]] : (tensor<1x1xf32>, tensor<?x3xf32>) -> tensor<?x3xi1>
// CHECK: return %[[EQ]], %[[LT]], %[[LE]], %[[GT]], %[[GE]]
func.func @compare(%a: tensor<2x3xi64>, %b: tensor<i64>, %f: tensor<?x3xf32>, %g: tensor<1x1xf32>)
    -> (tensor<2x3xi1>, tensor<?x3xi1>, tensor<?x3xi1>, tensor<2x3xi1>, tensor<?x3xi1>) {
  %eq = onnx.Equal %a, %b : (tensor<2x3xi64>, tensor<i64>) -> tensor<2x3xi1>
  %lt = onnx.Less %f, %g : (tensor<?x3xf32>, tensor<1x1xf32>) -> tensor<?x3xi1>
  %le = onnx.LessOrEqual %f, %g : (tensor<?x3xf32>, tensor<1x1xf32>) -> tensor<?x3xi1>
  %gt = onnx.Greater %a, %b : (tensor<2x3xi64>, tensor<i64>) -> tensor<2x3xi1>
  %ge = onnx.GreaterOrEqual %g, %f : (tensor<1x1xf32>, tensor<?x3xf32>) -> tensor<?x3xi1>
  return %eq, %lt, %le, %gt, %ge : tensor<2x3xi1>, tensor<?x3xi1>, tensor<?x3xi1>, tensor<2x3xi1>, tensor<?x3xi1>
}

// -----

// The exponent may have another element type than the base.
// CHECK-LABEL: func.func @pow
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>, %[[Y:.+]]: tensor<i64>) -> tensor<4x8xf32>
// CHECK: %[[Z:.+]] = onnx.Pow %[[X]], %[[Y]] : (tensor<4x8xf32>, tensor<i64>) -> tensor<4x8xf32>
// CHECK: return %[[Z]]
func.func @pow(%x: tensor<4x8xf32>, %y: tensor<i64>) -> tensor<4x8xf32> {
  %z = onnx.Pow %x, %y : (tensor<4x8xf32>, tensor<i64>) -> tensor<4x8xf32>
  return %z : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @max_min
// CHECK-SAME: (%[[A:.+]]: tensor<2x1xf32>, %[[B:.+]]: tensor<3xf32>, %[[C:.+]]: tensor<?x1x1xf32>) -> (tensor<?x2x3xf32>, tensor<2x1xf32>)
// CHECK: %[[MAX:.+]] = onnx.Max %[[A]], %[[B]], %[[C]] : (tensor<2x1xf32>, tensor<3xf32>, tensor<?x1x1xf32>) -> tensor<?x2x3xf32>
// CHECK: %[[MIN:.+]] = onnx.Min %[[A]] : (tensor<2x1xf32>) -> tensor<2x1xf32>
// CHECK: return %[[MAX]], %[[MIN]]
func.func @max_min(%a: tensor<2x1xf32>, %b: tensor<3xf32>, %c: tensor<?x1x1xf32>) -> (tensor<?x2x3xf32>, tensor<2x1xf32>) {
  %max = onnx.Max %a, %b, %c : (tensor<2x1xf32>, tensor<3xf32>, tensor<?x1x1xf32>) -> tensor<?x2x3xf32>
  %min = onnx.Min %a : (tensor<2x1xf32>) -> tensor<2x1xf32>
  return %max, %min : tensor<?x2x3xf32>, tensor<2x1xf32>
}

// -----

// CHECK-LABEL: func.func @where
// CHECK-SAME: (%[[C:.+]]: tensor<1x1x4x4xi1>, %[[X:.+]]: tensor<f32>, %[[Y:.+]]: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
// CHECK: %[[R:.+]] = onnx.Where %[[C]], %[[X]], %[[Y]] : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
// CHECK: return %[[R]]
func.func @where(%c: tensor<1x1x4x4xi1>, %x: tensor<f32>, %y: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32> {
  %r = onnx.Where %c, %x, %y : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
  return %r : tensor<2x8x4x4xf32>
}

// -----

// Default-valued attributes are elided when printed.
// CHECK-LABEL: func.func @cast
// CHECK-SAME: (%[[X:.+]]: tensor<2x?xi64>, %[[U:.+]]: tensor<*xf32>) -> (tensor<2x?xf32>, tensor<2x?xf8E4M3FN>, tensor<*xi1>)
// CHECK: %[[A:.+]] = onnx.Cast %[[X]] {to = f32} : (tensor<2x?xi64>) -> tensor<2x?xf32>
// CHECK: %[[B:.+]] = onnx.Cast %[[X]] {saturate = 0 : i64, to = f8E4M3FN} : (tensor<2x?xi64>) -> tensor<2x?xf8E4M3FN>
// CHECK: %[[C:.+]] = onnx.Cast %[[U]] {to = i1} : (tensor<*xf32>) -> tensor<*xi1>
// CHECK: return %[[A]], %[[B]], %[[C]]
func.func @cast(%x: tensor<2x?xi64>, %u: tensor<*xf32>) -> (tensor<2x?xf32>, tensor<2x?xf8E4M3FN>, tensor<*xi1>) {
  %a = onnx.Cast %x {to = f32, saturate = 1 : i64, round_mode = "up"} : (tensor<2x?xi64>) -> tensor<2x?xf32>
  %b = onnx.Cast %x {to = f8E4M3FN, saturate = 0 : i64} : (tensor<2x?xi64>) -> tensor<2x?xf8E4M3FN>
  %c = onnx.Cast %u {to = i1} : (tensor<*xf32>) -> tensor<*xi1>
  return %a, %b, %c : tensor<2x?xf32>, tensor<2x?xf8E4M3FN>, tensor<*xi1>
}

// -----

// Batched 3-D x 2-D, vector x vector (a 0-D result), vector x batched
// matrix, and broadcast batch dims.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.+]]: tensor<?x?x64xf32>, %[[B:.+]]: tensor<64x256xf32>, %[[V:.+]]: tensor<64xf32>, %[[W:.+]]: tensor<2x1x64x8xf32>, %[[M:.+]]: tensor<3x5x64xf32>)
// CHECK: %[[R0:.+]] = onnx.MatMul %[[A]], %[[B]] : (tensor<?x?x64xf32>, tensor<64x256xf32>) -> tensor<?x?x256xf32>
// CHECK: %[[R1:.+]] = onnx.MatMul %[[V]], %[[V]] : (tensor<64xf32>, tensor<64xf32>) -> tensor<f32>
// CHECK: %[[R2:.+]] = onnx.MatMul %[[V]], %[[W]] : (tensor<64xf32>, tensor<2x1x64x8xf32>) -> tensor<2x1x8xf32>
// CHECK: %[[R3:.+]] = onnx.MatMul %[[M]], %[[W]] : (tensor<3x5x64xf32>, tensor<2x1x64x8xf32>) -> tensor<2x3x5x8xf32>
// CHECK: %[[R4:.+]] = onnx.MatMul %[[M]], %[[V]] : (tensor<3x5x64xf32>, tensor<64xf32>) -> tensor<3x5xf32>
// CHECK: return %[[R0]], %[[R1]], %[[R2]], %[[R3]], %[[R4]]
func.func @matmul(%a: tensor<?x?x64xf32>, %b: tensor<64x256xf32>, %v: tensor<64xf32>, %w: tensor<2x1x64x8xf32>, %m: tensor<3x5x64xf32>)
    -> (tensor<?x?x256xf32>, tensor<f32>, tensor<2x1x8xf32>, tensor<2x3x5x8xf32>, tensor<3x5xf32>) {
  %r0 = onnx.MatMul %a, %b : (tensor<?x?x64xf32>, tensor<64x256xf32>) -> tensor<?x?x256xf32>
  %r1 = onnx.MatMul %v, %v : (tensor<64xf32>, tensor<64xf32>) -> tensor<f32>
  %r2 = onnx.MatMul %v, %w : (tensor<64xf32>, tensor<2x1x64x8xf32>) -> tensor<2x1x8xf32>
  %r3 = onnx.MatMul %m, %w : (tensor<3x5x64xf32>, tensor<2x1x64x8xf32>) -> tensor<2x3x5x8xf32>
  %r4 = onnx.MatMul %m, %v : (tensor<3x5x64xf32>, tensor<64xf32>) -> tensor<3x5xf32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<?x?x256xf32>, tensor<f32>, tensor<2x1x8xf32>, tensor<2x3x5x8xf32>, tensor<3x5xf32>
}

// -----

// With C, without C, and with both operands transposed.
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A:.+]]: tensor<4x8xf32>, %[[B:.+]]: tensor<16x8xf32>, %[[C:.+]]: tensor<16xf32>, %[[D:.+]]: tensor<8x?xf32>)
// CHECK: %[[Y0:.+]] = onnx.Gemm %[[A]], %[[B]], %[[C]] {transB = 1 : i64} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
// CHECK: %[[Y1:.+]] = onnx.Gemm %[[A]], %[[D]] : (tensor<4x8xf32>, tensor<8x?xf32>) -> tensor<4x?xf32>
// CHECK: %[[Y2:.+]] = onnx.Gemm %[[D]], %[[B]] {alpha = 5.000000e-01 : f32, beta = 0.000000e+00 : f32, transA = 1 : i64, transB = 1 : i64} : (tensor<8x?xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
// CHECK: return %[[Y0]], %[[Y1]], %[[Y2]]
func.func @gemm(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>, %c: tensor<16xf32>, %d: tensor<8x?xf32>)
    -> (tensor<4x16xf32>, tensor<4x?xf32>, tensor<?x16xf32>) {
  %y0 = onnx.Gemm %a, %b, %c {transB = 1 : i64} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %y1 = onnx.Gemm %a, %d : (tensor<4x8xf32>, tensor<8x?xf32>) -> tensor<4x?xf32>
  %y2 = onnx.Gemm %d, %b {alpha = 0.5 : f32, beta = 0.0 : f32, transA = 1 : i64, transB = 1 : i64} : (tensor<8x?xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y0, %y1, %y2 : tensor<4x16xf32>, tensor<4x?xf32>, tensor<?x16xf32>
}

// -----

// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[S:.+]]: tensor<1x8x?x?xf32>) -> (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>)
// CHECK: %[[P:.+]] = onnx.Softmax %[[S]] : (tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
// CHECK: %[[Q:.+]] = onnx.Softmax %[[S]] {axis = 1 : i64} : (tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
// CHECK: return %[[P]], %[[Q]]
func.func @softmax(%s: tensor<1x8x?x?xf32>) -> (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) {
  %p = onnx.Softmax %s {axis = -1 : i64} : (tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %q = onnx.Softmax %s {axis = 1 : i64} : (tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  return %p, %q : tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>
}

// -----

// With and without the bias; Mean and InvStdDev have the stash type and
// size-1 normalized dims.
// CHECK-LABEL: func.func @layer_normalization
// CHECK-SAME: (%[[X:.+]]: tensor<2x?x64xf32>, %[[S:.+]]: tensor<64xf32>, %[[B:.+]]: tensor<64xf32>, %[[H:.+]]: tensor<2x?x64xf16>, %[[HS:.+]]: tensor<?x64xf16>)
// CHECK: %[[Y0:.+]], %{{.+}}, %{{.+}} = onnx.LayerNormalization %[[X]], %[[S]], %[[B]] {epsilon = 9.99999997E-7 : f32} : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> (tensor<2x?x64xf32>, tensor<2x?x1xf32>, tensor<2x?x1xf32>)
// CHECK: %[[Y1:.+]], %[[MEAN:.+]], %[[INV:.+]] = onnx.LayerNormalization %[[H]], %[[HS]] {axis = 1 : i64, stash_type = 10 : i64} : (tensor<2x?x64xf16>, tensor<?x64xf16>) -> (tensor<2x?x64xf16>, tensor<2x1x1xf16>, tensor<2x1x1xf16>)
// CHECK: return %[[Y0]], %[[Y1]], %[[MEAN]], %[[INV]]
func.func @layer_normalization(%x: tensor<2x?x64xf32>, %scale: tensor<64xf32>, %bias: tensor<64xf32>, %h: tensor<2x?x64xf16>, %hscale: tensor<?x64xf16>)
    -> (tensor<2x?x64xf32>, tensor<2x?x64xf16>, tensor<2x1x1xf16>, tensor<2x1x1xf16>) {
  %y0, %m0, %i0 = onnx.LayerNormalization %x, %scale, %bias {epsilon = 1.0e-06 : f32}
      : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf32>)
      -> (tensor<2x?x64xf32>, tensor<2x?x1xf32>, tensor<2x?x1xf32>)
  %y1, %m1, %i1 = onnx.LayerNormalization %h, %hscale {axis = 1 : i64, stash_type = 10 : i64}
      : (tensor<2x?x64xf16>, tensor<?x64xf16>)
      -> (tensor<2x?x64xf16>, tensor<2x1x1xf16>, tensor<2x1x1xf16>)
  return %y0, %y1, %m1, %i1 : tensor<2x?x64xf32>, tensor<2x?x64xf16>, tensor<2x1x1xf16>, tensor<2x1x1xf16>
}

// -----

// With constant axes (keepdims and not, a negative axis), without axes
// (all axes, or none with noop_with_empty_axes), and with axes that are not
// constant.
// CHECK-LABEL: func.func @reduce
// CHECK-SAME: (%[[X:.+]]: tensor<2x?x64xf32>, %[[AXES:.+]]: tensor<1xi64>, %[[I:.+]]: tensor<3x4xi32>)
// CHECK: %[[C:.+]] = onnx.Constant {value = dense<[0, -1]> : tensor<2xi64>} : tensor<2xi64>
// CHECK: %[[R0:.+]] = onnx.ReduceMean %[[X]], %[[C]] : (tensor<2x?x64xf32>, tensor<2xi64>) -> tensor<1x?x1xf32>
// CHECK: %[[R1:.+]] = onnx.ReduceSum %[[X]], %[[C]] {keepdims = 0 : i64} : (tensor<2x?x64xf32>, tensor<2xi64>) -> tensor<?xf32>
// CHECK: %[[R2:.+]] = onnx.ReduceSum %[[I]] {keepdims = 0 : i64} : (tensor<3x4xi32>) -> tensor<i32>
// CHECK: %[[R3:.+]] = onnx.ReduceMax %[[I]] : (tensor<3x4xi32>) -> tensor<1x1xi32>
// CHECK: %[[R4:.+]] = onnx.ReduceMax %[[X]] {noop_with_empty_axes = 1 : i64} : (tensor<2x?x64xf32>) -> tensor<2x?x64xf32>
// CHECK: %[[R5:.+]] = onnx.ReduceMean %[[X]], %[[AXES]] : (tensor<2x?x64xf32>, tensor<1xi64>) -> tensor<?x?x?xf32>
// CHECK: %[[R6:.+]] = onnx.ReduceMean %[[X]], %[[AXES]] {keepdims = 0 : i64} : (tensor<2x?x64xf32>, tensor<1xi64>) -> tensor<*xf32>
// CHECK: return %[[R0]], %[[R1]], %[[R2]], %[[R3]], %[[R4]], %[[R5]], %[[R6]]
func.func @reduce(%x: tensor<2x?x64xf32>, %axes: tensor<1xi64>, %i: tensor<3x4xi32>)
    -> (tensor<1x?x1xf32>, tensor<?xf32>, tensor<i32>, tensor<1x1xi32>, tensor<2x?x64xf32>, tensor<?x?x?xf32>, tensor<*xf32>) {
  %c = onnx.Constant {value = dense<[0, -1]> : tensor<2xi64>} : tensor<2xi64>
  %r0 = onnx.ReduceMean %x, %c : (tensor<2x?x64xf32>, tensor<2xi64>) -> tensor<1x?x1xf32>
  %r1 = onnx.ReduceSum %x, %c {keepdims = 0 : i64} : (tensor<2x?x64xf32>, tensor<2xi64>) -> tensor<?xf32>
  %r2 = onnx.ReduceSum %i {keepdims = 0 : i64} : (tensor<3x4xi32>) -> tensor<i32>
  %r3 = onnx.ReduceMax %i : (tensor<3x4xi32>) -> tensor<1x1xi32>
  %r4 = onnx.ReduceMax %x {noop_with_empty_axes = 1 : i64} : (tensor<2x?x64xf32>) -> tensor<2x?x64xf32>
  %r5 = onnx.ReduceMean %x, %axes : (tensor<2x?x64xf32>, tensor<1xi64>) -> tensor<?x?x?xf32>
  %r6 = onnx.ReduceMean %x, %axes {keepdims = 0 : i64} : (tensor<2x?x64xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %r0, %r1, %r2, %r3, %r4, %r5, %r6 : tensor<1x?x1xf32>, tensor<?xf32>, tensor<i32>, tensor<1x1xi32>, tensor<2x?x64xf32>, tensor<?x?x?xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @cumsum
// CHECK-SAME: (%[[X:.+]]: tensor<1x?xi64>, %[[AXIS:.+]]: tensor<i64>, %[[F:.+]]: tensor<4xf32>, %[[AXIS32:.+]]: tensor<1xi32>)
// CHECK: %[[Y0:.+]] = onnx.CumSum %[[X]], %[[AXIS]] : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
// CHECK: %[[Y1:.+]] = onnx.CumSum %[[F]], %[[AXIS32]] {exclusive = 1 : i64, reverse = 1 : i64} : (tensor<4xf32>, tensor<1xi32>) -> tensor<4xf32>
// CHECK: return %[[Y0]], %[[Y1]]
func.func @cumsum(%x: tensor<1x?xi64>, %axis: tensor<i64>, %f: tensor<4xf32>, %axis32: tensor<1xi32>) -> (tensor<1x?xi64>, tensor<4xf32>) {
  %y0 = onnx.CumSum %x, %axis : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
  %y1 = onnx.CumSum %f, %axis32 {exclusive = 1 : i64, reverse = 1 : i64} : (tensor<4xf32>, tensor<1xi32>) -> tensor<4xf32>
  return %y0, %y1 : tensor<1x?xi64>, tensor<4xf32>
}

// -----

// An embedding lookup, a scalar index (drops the axis) and a negative axis.
// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[T:.+]]: tensor<32000x512xf32>, %[[IDS:.+]]: tensor<?x?xi64>, %[[I:.+]]: tensor<i32>, %[[X:.+]]: tensor<2x3x4xf32>, %[[J:.+]]: tensor<5xi64>)
// CHECK: %[[E:.+]] = onnx.Gather %[[T]], %[[IDS]] : (tensor<32000x512xf32>, tensor<?x?xi64>) -> tensor<?x?x512xf32>
// CHECK: %[[S:.+]] = onnx.Gather %[[X]], %[[I]] {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<i32>) -> tensor<2x4xf32>
// CHECK: %[[N:.+]] = onnx.Gather %[[X]], %[[J]] {axis = -1 : i64} : (tensor<2x3x4xf32>, tensor<5xi64>) -> tensor<2x3x5xf32>
// CHECK: return %[[E]], %[[S]], %[[N]]
func.func @gather(%table: tensor<32000x512xf32>, %ids: tensor<?x?xi64>, %i: tensor<i32>, %x: tensor<2x3x4xf32>, %j: tensor<5xi64>)
    -> (tensor<?x?x512xf32>, tensor<2x4xf32>, tensor<2x3x5xf32>) {
  %e = onnx.Gather %table, %ids : (tensor<32000x512xf32>, tensor<?x?xi64>) -> tensor<?x?x512xf32>
  %s = onnx.Gather %x, %i {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<i32>) -> tensor<2x4xf32>
  %n = onnx.Gather %x, %j {axis = -1 : i64} : (tensor<2x3x4xf32>, tensor<5xi64>) -> tensor<2x3x5xf32>
  return %e, %s, %n : tensor<?x?x512xf32>, tensor<2x4xf32>, tensor<2x3x5xf32>
}

// -----

// A constant shape with 0 (copy) and -1 (inferred), a static -1, and a shape
// that is not constant.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x512xf32>, %[[Y:.+]]: tensor<2x3x4xf32>, %[[S:.+]]: tensor<3xi64>)
// CHECK-DAG: %[[C0:.+]] = onnx.Constant {value = dense<[0, -1, 8, 64]> : tensor<4xi64>} : tensor<4xi64>
// CHECK-DAG: %[[C1:.+]] = onnx.Constant {value = dense<[-1, 6]> : tensor<2xi64>} : tensor<2xi64>
// CHECK: %[[R0:.+]] = onnx.Reshape %[[X]], %[[C0]] : (tensor<1x?x512xf32>, tensor<4xi64>) -> tensor<1x?x8x64xf32>
// CHECK: %[[R1:.+]] = onnx.Reshape %[[Y]], %[[C1]] : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<4x6xf32>
// CHECK: %[[R2:.+]] = onnx.Reshape %[[Y]], %[[S]] {allowzero = 1 : i64} : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
// CHECK: return %[[R0]], %[[R1]], %[[R2]]
func.func @reshape(%x: tensor<1x?x512xf32>, %y: tensor<2x3x4xf32>, %s: tensor<3xi64>) -> (tensor<1x?x8x64xf32>, tensor<4x6xf32>, tensor<?x?x?xf32>) {
  %c0 = onnx.Constant {value = dense<[0, -1, 8, 64]> : tensor<4xi64>} : tensor<4xi64>
  %c1 = onnx.Constant {value = dense<[-1, 6]> : tensor<2xi64>} : tensor<2xi64>
  %r0 = onnx.Reshape %x, %c0 : (tensor<1x?x512xf32>, tensor<4xi64>) -> tensor<1x?x8x64xf32>
  %r1 = onnx.Reshape %y, %c1 : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  %r2 = onnx.Reshape %y, %s {allowzero = 1 : i64} : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %r0, %r1, %r2 : tensor<1x?x8x64xf32>, tensor<4x6xf32>, tensor<?x?x?xf32>
}

// -----

// With a permutation and without (reversed dims).
// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x8x64xf32>) -> (tensor<1x8x?x64xf32>, tensor<64x8x?x1xf32>)
// CHECK: %[[T0:.+]] = onnx.Transpose %[[X]] {perm = [0, 2, 1, 3]} : (tensor<1x?x8x64xf32>) -> tensor<1x8x?x64xf32>
// CHECK: %[[T1:.+]] = onnx.Transpose %[[X]] : (tensor<1x?x8x64xf32>) -> tensor<64x8x?x1xf32>
// CHECK: return %[[T0]], %[[T1]]
func.func @transpose(%x: tensor<1x?x8x64xf32>) -> (tensor<1x8x?x64xf32>, tensor<64x8x?x1xf32>) {
  %t0 = onnx.Transpose %x {perm = [0, 2, 1, 3]} : (tensor<1x?x8x64xf32>) -> tensor<1x8x?x64xf32>
  %t1 = onnx.Transpose %x : (tensor<1x?x8x64xf32>) -> tensor<64x8x?x1xf32>
  return %t0, %t1 : tensor<1x8x?x64xf32>, tensor<64x8x?x1xf32>
}

// -----

// Static, dynamic and unranked inputs.
// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.+]]: tensor<2xi64>, %[[B:.+]]: tensor<2xi64>, %[[K:.+]]: tensor<1x?x64xf32>, %[[V:.+]]: tensor<?x3x64xf32>, %[[U:.+]]: tensor<*xf32>)
// CHECK: %[[C0:.+]] = onnx.Concat %[[A]], %[[B]] {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
// CHECK: %[[C1:.+]] = onnx.Concat %[[K]], %[[V]] {axis = -2 : i64} : (tensor<1x?x64xf32>, tensor<?x3x64xf32>) -> tensor<1x?x64xf32>
// CHECK: %[[C2:.+]] = onnx.Concat %[[V]], %[[U]] {axis = 0 : i64} : (tensor<?x3x64xf32>, tensor<*xf32>) -> tensor<?x3x64xf32>
// CHECK: return %[[C0]], %[[C1]], %[[C2]]
func.func @concat(%a: tensor<2xi64>, %b: tensor<2xi64>, %k: tensor<1x?x64xf32>, %v: tensor<?x3x64xf32>, %u: tensor<*xf32>)
    -> (tensor<4xi64>, tensor<1x?x64xf32>, tensor<?x3x64xf32>) {
  %c0 = onnx.Concat %a, %b {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  %c1 = onnx.Concat %k, %v {axis = -2 : i64} : (tensor<1x?x64xf32>, tensor<?x3x64xf32>) -> tensor<1x?x64xf32>
  %c2 = onnx.Concat %v, %u {axis = 0 : i64} : (tensor<?x3x64xf32>, tensor<*xf32>) -> tensor<?x3x64xf32>
  return %c0, %c1, %c2 : tensor<4xi64>, tensor<1x?x64xf32>, tensor<?x3x64xf32>
}

// -----

// With axes, with axes and steps (negative, clamped bounds), without either,
// and with starts that are not constant.
// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:.+]]: tensor<1x1x1024x1024xi1>, %[[Y:.+]]: tensor<10x?xf32>, %[[S:.+]]: tensor<1xi64>)
// CHECK-DAG: %[[ZERO:.+]] = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
// CHECK-DAG: %[[TWO:.+]] = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
// CHECK-DAG: %[[BIG:.+]] = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
// CHECK-DAG: %[[MIN:.+]] = onnx.Constant {value = dense<-9223372036854775808> : tensor<1xi64>} : tensor<1xi64>
// CHECK-DAG: %[[MINUS3:.+]] = onnx.Constant {value = dense<-3> : tensor<1xi64>} : tensor<1xi64>
// CHECK: %[[R0:.+]] = onnx.Slice %[[X]], %[[ZERO]], %[[S]] axes %[[TWO]] : (tensor<1x1x1024x1024xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x1024xi1>
// CHECK: %[[R1:.+]] = onnx.Slice %[[Y]], %[[BIG]], %[[MIN]] axes %[[ZERO]] steps %[[MINUS3]] : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x?xf32>
// CHECK: %[[R2:.+]] = onnx.Slice %[[Y]], %[[TWO]], %[[BIG]] : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<8x?xf32>
// CHECK: %[[R3:.+]] = onnx.Slice %[[Y]], %[[MINUS3]], %[[BIG]] steps %[[TWO]] : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x?xf32>
// CHECK: %[[R4:.+]] = onnx.Slice %[[Y]], %[[S]], %[[BIG]] : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
// CHECK: return %[[R0]], %[[R1]], %[[R2]], %[[R3]], %[[R4]]
func.func @slice(%x: tensor<1x1x1024x1024xi1>, %y: tensor<10x?xf32>, %s: tensor<1xi64>)
    -> (tensor<1x1x?x1024xi1>, tensor<4x?xf32>, tensor<8x?xf32>, tensor<2x?xf32>, tensor<?x?xf32>) {
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
  %min = onnx.Constant {value = dense<-9223372036854775808> : tensor<1xi64>} : tensor<1xi64>
  %minus3 = onnx.Constant {value = dense<-3> : tensor<1xi64>} : tensor<1xi64>
  %r0 = onnx.Slice %x, %zero, %s axes %two
      : (tensor<1x1x1024x1024xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x1024xi1>
  %r1 = onnx.Slice %y, %big, %min axes %zero steps %minus3
      : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x?xf32>
  %r2 = onnx.Slice %y, %two, %big : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<8x?xf32>
  %r3 = onnx.Slice %y, %minus3, %big steps %two
      : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x?xf32>
  %r4 = onnx.Slice %y, %s, %big : (tensor<10x?xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<1x1x?x1024xi1>, tensor<4x?xf32>, tensor<8x?xf32>, tensor<2x?xf32>, tensor<?x?xf32>
}

// -----

// With a constant split operand, with num_outputs (the last part smaller),
// an even split with neither, and a split operand that is not constant.
// CHECK-LABEL: func.func @split
// CHECK-SAME: (%[[QKV:.+]]: tensor<1x?x1536xf32>, %[[X:.+]]: tensor<7x2xf32>, %[[SIZES:.+]]: tensor<2xi64>)
// CHECK: %[[C:.+]] = onnx.Constant {value = dense<512> : tensor<3xi64>} : tensor<3xi64>
// CHECK: %[[QKV_PARTS:.+]]:3 = onnx.Split %[[QKV]], %[[C]] {axis = 2 : i64} : (tensor<1x?x1536xf32>, tensor<3xi64>) -> (tensor<1x?x512xf32>, tensor<1x?x512xf32>, tensor<1x?x512xf32>)
// CHECK: %[[X_PARTS:.+]]:3 = onnx.Split %[[X]] {num_outputs = 3 : i64} : (tensor<7x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<1x2xf32>)
// CHECK: %[[HALVES:.+]]:2 = onnx.Split %[[QKV]] {axis = -1 : i64} : (tensor<1x?x1536xf32>) -> (tensor<1x?x768xf32>, tensor<1x?x768xf32>)
// CHECK: %[[DYN:.+]]:2 = onnx.Split %[[X]], %[[SIZES]] : (tensor<7x2xf32>, tensor<2xi64>) -> (tensor<?x2xf32>, tensor<?x2xf32>)
// CHECK: return %[[QKV_PARTS]]#2, %[[X_PARTS]]#2, %[[HALVES]]#1, %[[DYN]]#0
func.func @split(%qkv: tensor<1x?x1536xf32>, %x: tensor<7x2xf32>, %sizes: tensor<2xi64>)
    -> (tensor<1x?x512xf32>, tensor<1x2xf32>, tensor<1x?x768xf32>, tensor<?x2xf32>) {
  %c = onnx.Constant {value = dense<512> : tensor<3xi64>} : tensor<3xi64>
  %q, %k, %v = onnx.Split %qkv, %c {axis = 2 : i64}
      : (tensor<1x?x1536xf32>, tensor<3xi64>)
      -> (tensor<1x?x512xf32>, tensor<1x?x512xf32>, tensor<1x?x512xf32>)
  %a, %b, %r = onnx.Split %x {num_outputs = 3 : i64}
      : (tensor<7x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<1x2xf32>)
  %h0, %h1 = onnx.Split %qkv {axis = -1 : i64}
      : (tensor<1x?x1536xf32>) -> (tensor<1x?x768xf32>, tensor<1x?x768xf32>)
  %d0, %d1 = onnx.Split %x, %sizes : (tensor<7x2xf32>, tensor<2xi64>) -> (tensor<?x2xf32>, tensor<?x2xf32>)
  return %v, %r, %h1, %d0 : tensor<1x?x512xf32>, tensor<1x2xf32>, tensor<1x?x768xf32>, tensor<?x2xf32>
}

// -----

// With axes (a dynamic dim may be squeezed) and without (all size-1 dims).
// CHECK-LABEL: func.func @squeeze
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x1xf32>, %[[Y:.+]]: tensor<1x3x1x5xi64>)
// CHECK: %[[AXES:.+]] = onnx.Constant {value = dense<[-1, 1]> : tensor<2xi64>} : tensor<2xi64>
// CHECK: %[[S0:.+]] = onnx.Squeeze %[[X]], %[[AXES]] : (tensor<1x?x1xf32>, tensor<2xi64>) -> tensor<1xf32>
// CHECK: %[[S1:.+]] = onnx.Squeeze %[[Y]] : (tensor<1x3x1x5xi64>) -> tensor<3x5xi64>
// CHECK: %[[S2:.+]] = onnx.Squeeze %[[X]] : (tensor<1x?x1xf32>) -> tensor<*xf32>
// CHECK: return %[[S0]], %[[S1]], %[[S2]]
func.func @squeeze(%x: tensor<1x?x1xf32>, %y: tensor<1x3x1x5xi64>) -> (tensor<1xf32>, tensor<3x5xi64>, tensor<*xf32>) {
  %axes = onnx.Constant {value = dense<[-1, 1]> : tensor<2xi64>} : tensor<2xi64>
  %s0 = onnx.Squeeze %x, %axes : (tensor<1x?x1xf32>, tensor<2xi64>) -> tensor<1xf32>
  %s1 = onnx.Squeeze %y : (tensor<1x3x1x5xi64>) -> tensor<3x5xi64>
  %s2 = onnx.Squeeze %x : (tensor<1x?x1xf32>) -> tensor<*xf32>
  return %s0, %s1, %s2 : tensor<1xf32>, tensor<3x5xi64>, tensor<*xf32>
}

// -----

// Axes index the output, negative ones from its end.
// CHECK-LABEL: func.func @unsqueeze
// CHECK-SAME: (%[[S:.+]]: tensor<i64>, %[[X:.+]]: tensor<?x4xf32>, %[[A:.+]]: tensor<1xi64>)
// CHECK-DAG: %[[ZERO:.+]] = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
// CHECK-DAG: %[[AXES:.+]] = onnx.Constant {value = dense<[-1, 1]> : tensor<2xi64>} : tensor<2xi64>
// CHECK: %[[U0:.+]] = onnx.Unsqueeze %[[S]], %[[ZERO]] : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
// CHECK: %[[U1:.+]] = onnx.Unsqueeze %[[X]], %[[AXES]] : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x1x4x1xf32>
// CHECK: %[[U2:.+]] = onnx.Unsqueeze %[[X]], %[[A]] : (tensor<?x4xf32>, tensor<1xi64>) -> tensor<*xf32>
// CHECK: return %[[U0]], %[[U1]], %[[U2]]
func.func @unsqueeze(%s: tensor<i64>, %x: tensor<?x4xf32>, %a: tensor<1xi64>) -> (tensor<1xi64>, tensor<?x1x4x1xf32>, tensor<*xf32>) {
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %axes = onnx.Constant {value = dense<[-1, 1]> : tensor<2xi64>} : tensor<2xi64>
  %u0 = onnx.Unsqueeze %s, %zero : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %u1 = onnx.Unsqueeze %x, %axes : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x1x4x1xf32>
  %u2 = onnx.Unsqueeze %x, %a : (tensor<?x4xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %u0, %u1, %u2 : tensor<1xi64>, tensor<?x1x4x1xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @flatten
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>, %[[Y:.+]]: tensor<2x?x4xf32>, %[[U:.+]]: tensor<*xf32>)
// CHECK: %[[F0:.+]] = onnx.Flatten %[[X]] : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
// CHECK: %[[F1:.+]] = onnx.Flatten %[[X]] {axis = 0 : i64} : (tensor<2x3x4xf32>) -> tensor<1x24xf32>
// CHECK: %[[F2:.+]] = onnx.Flatten %[[X]] {axis = 3 : i64} : (tensor<2x3x4xf32>) -> tensor<24x1xf32>
// CHECK: %[[F3:.+]] = onnx.Flatten %[[Y]] {axis = -1 : i64} : (tensor<2x?x4xf32>) -> tensor<?x4xf32>
// CHECK: %[[F4:.+]] = onnx.Flatten %[[U]] : (tensor<*xf32>) -> tensor<?x?xf32>
// CHECK: return %[[F0]], %[[F1]], %[[F2]], %[[F3]], %[[F4]]
func.func @flatten(%x: tensor<2x3x4xf32>, %y: tensor<2x?x4xf32>, %u: tensor<*xf32>)
    -> (tensor<2x12xf32>, tensor<1x24xf32>, tensor<24x1xf32>, tensor<?x4xf32>, tensor<?x?xf32>) {
  %f0 = onnx.Flatten %x : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %f1 = onnx.Flatten %x {axis = 0 : i64} : (tensor<2x3x4xf32>) -> tensor<1x24xf32>
  %f2 = onnx.Flatten %x {axis = 3 : i64} : (tensor<2x3x4xf32>) -> tensor<24x1xf32>
  %f3 = onnx.Flatten %y {axis = -1 : i64} : (tensor<2x?x4xf32>) -> tensor<?x4xf32>
  %f4 = onnx.Flatten %u : (tensor<*xf32>) -> tensor<?x?xf32>
  return %f0, %f1, %f2, %f3, %f4 : tensor<2x12xf32>, tensor<1x24xf32>, tensor<24x1xf32>, tensor<?x4xf32>, tensor<?x?xf32>
}

// -----

// A constant target shape (a 1 keeps the input's dim, a higher rank adds
// leading dims) and one that is not constant.
// CHECK-LABEL: func.func @expand
// CHECK-SAME: (%[[KV:.+]]: tensor<1x4x1x?x64xf32>, %[[X:.+]]: tensor<3x1xf32>, %[[S:.+]]: tensor<3xi64>)
// CHECK-DAG: %[[C0:.+]] = onnx.Constant {value = dense<[1, 4, 2, 1, 64]> : tensor<5xi64>} : tensor<5xi64>
// CHECK-DAG: %[[C1:.+]] = onnx.Constant {value = dense<[2, 1, 5]> : tensor<3xi64>} : tensor<3xi64>
// CHECK: %[[E0:.+]] = onnx.Expand %[[KV]], %[[C0]] : (tensor<1x4x1x?x64xf32>, tensor<5xi64>) -> tensor<1x4x2x?x64xf32>
// CHECK: %[[E1:.+]] = onnx.Expand %[[X]], %[[C1]] : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<2x3x5xf32>
// CHECK: %[[E2:.+]] = onnx.Expand %[[X]], %[[S]] : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<?x3x?xf32>
// CHECK: return %[[E0]], %[[E1]], %[[E2]]
func.func @expand(%kv: tensor<1x4x1x?x64xf32>, %x: tensor<3x1xf32>, %s: tensor<3xi64>)
    -> (tensor<1x4x2x?x64xf32>, tensor<2x3x5xf32>, tensor<?x3x?xf32>) {
  %c0 = onnx.Constant {value = dense<[1, 4, 2, 1, 64]> : tensor<5xi64>} : tensor<5xi64>
  %c1 = onnx.Constant {value = dense<[2, 1, 5]> : tensor<3xi64>} : tensor<3xi64>
  %e0 = onnx.Expand %kv, %c0 : (tensor<1x4x1x?x64xf32>, tensor<5xi64>) -> tensor<1x4x2x?x64xf32>
  %e1 = onnx.Expand %x, %c1 : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<2x3x5xf32>
  %e2 = onnx.Expand %x, %s : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<?x3x?xf32>
  return %e0, %e1, %e2 : tensor<1x4x2x?x64xf32>, tensor<2x3x5xf32>, tensor<?x3x?xf32>
}

// -----

// CHECK-LABEL: func.func @tile
// CHECK-SAME: (%[[X:.+]]: tensor<1x4x?x64xf32>, %[[R:.+]]: tensor<4xi64>)
// CHECK: %[[C:.+]] = onnx.Constant {value = dense<[1, 2, 3, 1]> : tensor<4xi64>} : tensor<4xi64>
// CHECK: %[[T0:.+]] = onnx.Tile %[[X]], %[[C]] : (tensor<1x4x?x64xf32>, tensor<4xi64>) -> tensor<1x8x?x64xf32>
// CHECK: %[[T1:.+]] = onnx.Tile %[[X]], %[[R]] : (tensor<1x4x?x64xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
// CHECK: return %[[T0]], %[[T1]]
func.func @tile(%x: tensor<1x4x?x64xf32>, %r: tensor<4xi64>) -> (tensor<1x8x?x64xf32>, tensor<?x?x?x?xf32>) {
  %c = onnx.Constant {value = dense<[1, 2, 3, 1]> : tensor<4xi64>} : tensor<4xi64>
  %t0 = onnx.Tile %x, %c : (tensor<1x4x?x64xf32>, tensor<4xi64>) -> tensor<1x8x?x64xf32>
  %t1 = onnx.Tile %x, %r : (tensor<1x4x?x64xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  return %t0, %t1 : tensor<1x8x?x64xf32>, tensor<?x?x?x?xf32>
}

// -----

// With and without k.
// CHECK-LABEL: func.func @trilu
// CHECK-SAME: (%[[X:.+]]: tensor<?x?xf32>, %[[K:.+]]: tensor<i64>, %[[M:.+]]: tensor<2x4x4xi1>)
// CHECK: %[[U:.+]] = onnx.Trilu %[[X]], %[[K]] : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
// CHECK: %[[L:.+]] = onnx.Trilu %[[M]] {upper = 0 : i64} : (tensor<2x4x4xi1>) -> tensor<2x4x4xi1>
// CHECK: return %[[U]], %[[L]]
func.func @trilu(%x: tensor<?x?xf32>, %k: tensor<i64>, %m: tensor<2x4x4xi1>) -> (tensor<?x?xf32>, tensor<2x4x4xi1>) {
  %u = onnx.Trilu %x, %k {upper = 1 : i64} : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %l = onnx.Trilu %m {upper = 0 : i64} : (tensor<2x4x4xi1>) -> tensor<2x4x4xi1>
  return %u, %l : tensor<?x?xf32>, tensor<2x4x4xi1>
}

// -----

// Constant operands give a static length: ceil((10 - 1) / 3) = 3 and
// ceil((-5 - 5) / -4) = 3.
// CHECK-LABEL: func.func @range
// CHECK-SAME: (%[[START:.+]]: tensor<i64>, %[[LIMIT:.+]]: tensor<i64>, %[[DELTA:.+]]: tensor<i64>, %[[F:.+]]: tensor<f32>)
// CHECK-DAG: %[[C1:.+]] = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
// CHECK-DAG: %[[C10:.+]] = onnx.Constant {value = dense<10> : tensor<i64>} : tensor<i64>
// CHECK-DAG: %[[C3:.+]] = onnx.Constant {value = dense<3> : tensor<i64>} : tensor<i64>
// CHECK-DAG: %[[C5:.+]] = onnx.Constant {value = dense<5> : tensor<i64>} : tensor<i64>
// CHECK-DAG: %[[CM5:.+]] = onnx.Constant {value = dense<-5> : tensor<i64>} : tensor<i64>
// CHECK-DAG: %[[CM4:.+]] = onnx.Constant {value = dense<-4> : tensor<i64>} : tensor<i64>
// CHECK: %[[R0:.+]] = onnx.Range %[[START]], %[[LIMIT]], %[[DELTA]] : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
// CHECK: %[[R1:.+]] = onnx.Range %[[C1]], %[[C10]], %[[C3]] : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
// CHECK: %[[R2:.+]] = onnx.Range %[[C5]], %[[CM5]], %[[CM4]] : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
// CHECK: %[[R3:.+]] = onnx.Range %[[F]], %[[F]], %[[F]] : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
// CHECK: return %[[R0]], %[[R1]], %[[R2]], %[[R3]]
func.func @range(%start: tensor<i64>, %limit: tensor<i64>, %delta: tensor<i64>, %f: tensor<f32>)
    -> (tensor<?xi64>, tensor<3xi64>, tensor<3xi64>, tensor<?xf32>) {
  %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %c10 = onnx.Constant {value = dense<10> : tensor<i64>} : tensor<i64>
  %c3 = onnx.Constant {value = dense<3> : tensor<i64>} : tensor<i64>
  %c5 = onnx.Constant {value = dense<5> : tensor<i64>} : tensor<i64>
  %cm5 = onnx.Constant {value = dense<-5> : tensor<i64>} : tensor<i64>
  %cm4 = onnx.Constant {value = dense<-4> : tensor<i64>} : tensor<i64>
  %r0 = onnx.Range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %r1 = onnx.Range %c1, %c10, %c3 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %r2 = onnx.Range %c5, %cm5, %cm4 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %r3 = onnx.Range %f, %f, %f : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %r0, %r1, %r2, %r3 : tensor<?xi64>, tensor<3xi64>, tensor<3xi64>, tensor<?xf32>
}

// -----

// Of a ranked input (with start and end, clamped), and of an unranked one.
// CHECK-LABEL: func.func @shape
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x512xf32>, %[[U:.+]]: tensor<*xf32>)
// CHECK: %[[S0:.+]] = onnx.Shape %[[X]] : (tensor<?x?x512xf32>) -> tensor<3xi64>
// CHECK: %[[S1:.+]] = onnx.Shape %[[X]] {end = -1 : i64, start = 1 : i64} : (tensor<?x?x512xf32>) -> tensor<1xi64>
// CHECK: %[[S2:.+]] = onnx.Shape %[[X]] {end = 10 : i64, start = -2 : i64} : (tensor<?x?x512xf32>) -> tensor<2xi64>
// CHECK: %[[S3:.+]] = onnx.Shape %[[U]] : (tensor<*xf32>) -> tensor<?xi64>
// CHECK: return %[[S0]], %[[S1]], %[[S2]], %[[S3]]
func.func @shape(%x: tensor<?x?x512xf32>, %u: tensor<*xf32>) -> (tensor<3xi64>, tensor<1xi64>, tensor<2xi64>, tensor<?xi64>) {
  %s0 = onnx.Shape %x : (tensor<?x?x512xf32>) -> tensor<3xi64>
  %s1 = onnx.Shape %x {start = 1 : i64, end = -1 : i64} : (tensor<?x?x512xf32>) -> tensor<1xi64>
  %s2 = onnx.Shape %x {start = -2 : i64, end = 10 : i64} : (tensor<?x?x512xf32>) -> tensor<2xi64>
  %s3 = onnx.Shape %u : (tensor<*xf32>) -> tensor<?xi64>
  return %s0, %s1, %s2, %s3 : tensor<3xi64>, tensor<1xi64>, tensor<2xi64>, tensor<?xi64>
}

// -----

// The value's element type is the result's (f32 without a value); a shape
// from Shape gives its known dims.
// CHECK-LABEL: func.func @constant_of_shape
// CHECK-SAME: (%[[S:.+]]: tensor<2xi64>, %[[X:.+]]: tensor<?x8xf32>, %[[D:.+]]: tensor<?xi64>)
// CHECK: %[[Z0:.+]] = onnx.ConstantOfShape %[[S]] {value = dense<0> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x?xi64>
// CHECK: %[[Z1:.+]] = onnx.ConstantOfShape %[[S]] : (tensor<2xi64>) -> tensor<?x?xf32>
// CHECK: %[[SHAPE:.+]] = onnx.Shape %[[X]] : (tensor<?x8xf32>) -> tensor<2xi64>
// CHECK: %[[Z2:.+]] = onnx.ConstantOfShape %[[SHAPE]] {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x8xi1>
// CHECK: %[[Z3:.+]] = onnx.ConstantOfShape %[[D]] {value = dense<1.000000e+00> : tensor<1xf16>} : (tensor<?xi64>) -> tensor<*xf16>
// CHECK: return %[[Z0]], %[[Z1]], %[[Z2]], %[[Z3]]
func.func @constant_of_shape(%s: tensor<2xi64>, %x: tensor<?x8xf32>, %d: tensor<?xi64>)
    -> (tensor<?x?xi64>, tensor<?x?xf32>, tensor<?x8xi1>, tensor<*xf16>) {
  %z0 = onnx.ConstantOfShape %s {value = dense<0> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x?xi64>
  %z1 = onnx.ConstantOfShape %s : (tensor<2xi64>) -> tensor<?x?xf32>
  %shape = onnx.Shape %x : (tensor<?x8xf32>) -> tensor<2xi64>
  %z2 = onnx.ConstantOfShape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x8xi1>
  %z3 = onnx.ConstantOfShape %d {value = dense<1.0> : tensor<1xf16>} : (tensor<?xi64>) -> tensor<*xf16>
  return %z0, %z1, %z2, %z3 : tensor<?x?xi64>, tensor<?x?xf32>, tensor<?x8xi1>, tensor<*xf16>
}

// -----

// Inline and resource-backed values.
// CHECK-LABEL: func.func @constant
// CHECK: %[[W:.+]] = onnx.Constant {value = dense_resource<w0> : tensor<2x2xf32>} : tensor<2x2xf32>
// CHECK: %[[S:.+]] = onnx.Constant {value = dense<[0, -1, 8, 64]> : tensor<4xi64>} : tensor<4xi64>
// CHECK: %[[F:.+]] = onnx.Constant {value = dense<1.500000e+00> : tensor<f32>} : tensor<f32>
// CHECK: return %[[W]], %[[S]], %[[F]]
// CHECK: dialect_resources
// CHECK: w0: "0x0400000000000000000000000000803F0000004000004040"
func.func @constant() -> (tensor<2x2xf32>, tensor<4xi64>, tensor<f32>) {
  %w = onnx.Constant {value = dense_resource<w0> : tensor<2x2xf32>} : tensor<2x2xf32>
  %s = onnx.Constant {value = dense<[0, -1, 8, 64]> : tensor<4xi64>} : tensor<4xi64>
  %f = onnx.Constant {value = dense<1.5> : tensor<f32>} : tensor<f32>
  return %w, %s, %f : tensor<2x2xf32>, tensor<4xi64>, tensor<f32>
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x0400000000000000000000000000803F0000004000004040"
    }
  }
#-}

// -----

// Attention operators: result types from the heads (GQA: 8 query heads
// over 2 key/value heads), the past and, for GroupQueryAttention, the
// total length.
// CHECK-LABEL: func.func @attention_ops
// CHECK: onnx.Attention %arg0, %arg1, %arg2 {is_causal = 1 : i64, kv_num_heads = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>, q_num_heads = 8 : i64} : (tensor<1x?x128xf32>, tensor<1x?x32xf32>, tensor<1x?x32xf32>) -> (tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x8x?x?xf32>)
// CHECK: onnx.com.microsoft.GroupQueryAttention %arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6 {kv_num_heads = 2 : i64, local_window_size = 16 : i64, num_heads = 8 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0, 0>, softcap = 5.000000e+01 : f32}
// CHECK: onnx.com.microsoft.MultiHeadAttention %arg0, %arg0, %arg0 {num_heads = 8 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>}
// CHECK: onnx.RotaryEmbedding %arg7, %arg8, %arg8, %arg9 {interleaved = 1 : i64}
// CHECK: onnx.com.microsoft.RotaryEmbedding %arg0, %arg9, %arg8, %arg8 {num_heads = 8 : i64}
func.func @attention_ops(%q: tensor<1x?x128xf32>, %k: tensor<1x?x32xf32>, %v: tensor<1x?x32xf32>, %pk: tensor<1x2x?x16xf32>, %pv: tensor<1x2x?x16xf32>, %seqlens: tensor<1xi32>, %total: tensor<i32>, %x: tensor<1x8x?x16xf32>, %cache: tensor<64x8xf32>, %pos: tensor<1x?xi64>) -> (tensor<1x?x128xf32>, tensor<1x?x128xf32>, tensor<1x?x128xf32>, tensor<1x8x?x16xf32>, tensor<1x?x128xf32>) {
  %y, %pko, %pvo, %qk = onnx.Attention %q, %k, %v {is_causal = 1 : i64, kv_num_heads = 2 : i64, q_num_heads = 8 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>} : (tensor<1x?x128xf32>, tensor<1x?x32xf32>, tensor<1x?x32xf32>) -> (tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x8x?x?xf32>)
  %o, %gk, %gv = onnx.com.microsoft.GroupQueryAttention %q, %k, %v, %pk, %pv, %seqlens, %total {kv_num_heads = 2 : i64, local_window_size = 16 : i64, num_heads = 8 : i64, softcap = 50.0 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0, 0>} : (tensor<1x?x128xf32>, tensor<1x?x32xf32>, tensor<1x?x32xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1xi32>, tensor<i32>) -> (tensor<1x?x128xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
  %m, %mk, %mv = onnx.com.microsoft.MultiHeadAttention %q, %q, %q {num_heads = 8 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>} : (tensor<1x?x128xf32>, tensor<1x?x128xf32>, tensor<1x?x128xf32>) -> (tensor<1x?x128xf32>, tensor<1x8x?x16xf32>, tensor<1x8x?x16xf32>)
  %r = onnx.RotaryEmbedding %x, %cache, %cache, %pos {interleaved = 1 : i64} : (tensor<1x8x?x16xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<1x?xi64>) -> tensor<1x8x?x16xf32>
  %c = onnx.com.microsoft.RotaryEmbedding %q, %pos, %cache, %cache {num_heads = 8 : i64} : (tensor<1x?x128xf32>, tensor<1x?xi64>, tensor<64x8xf32>, tensor<64x8xf32>) -> tensor<1x?x128xf32>
  return %y, %o, %m, %r, %c : tensor<1x?x128xf32>, tensor<1x?x128xf32>, tensor<1x?x128xf32>, tensor<1x8x?x16xf32>, tensor<1x?x128xf32>
}
