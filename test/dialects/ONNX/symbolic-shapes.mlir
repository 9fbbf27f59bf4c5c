// RUN: xf-opt %s -split-input-file -test-symbolic-shapes -verify-diagnostics

// What the symbolic shape analysis proves (dialects/ONNX/IR/SymbolicShapes.h):
// each dynamic result dimension as a sum of the function's argument
// dimensions (%argN.dD) and opaque symbols (?N) for what it cannot follow.

// Elementwise ops keep their operand's dimensions; a broadcast against a
// static 1 or a missing dimension takes the other side's.
func.func @elementwise(%x: tensor<?x?x64xf32>, %b: tensor<1x64xf32>) -> tensor<?x?x64xf32> {
  // expected-remark @below {{result 0: [%arg0.d0, %arg0.d1, 64]}}
  %0 = onnx.Relu %x : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // expected-remark @below {{result 0: [%arg0.d0, %arg0.d1, 64]}}
  %1 = onnx.Add %0, %b : (tensor<?x?x64xf32>, tensor<1x64xf32>) -> tensor<?x?x64xf32>
  // expected-remark @below {{result 0: [%arg0.d0, %arg0.d1, 64]}}
  %2 = onnx.Mul %1, %x : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %2 : tensor<?x?x64xf32>
}

// -----

// Near miss: two arguments' dimensions are not proven equal, so the result's
// is a symbol of its own; the one both sides share is kept.
func.func @broadcast_unproven(%a: tensor<?x9x?xf32>, %m: tensor<?x?x?xf32>) -> tensor<?x9x?xf32> {
  // expected-remark @below {{result 0: [?0.d0, 9, ?0.d2]}}
  %0 = onnx.Add %a, %m : (tensor<?x9x?xf32>, tensor<?x?x?xf32>) -> tensor<?x9x?xf32>
  return %0 : tensor<?x9x?xf32>
}

// -----

// MatMul: batch from either side, m from A, n from B; Transpose permutes.
func.func @matmul_transpose(%x: tensor<?x?x64xf32>, %w: tensor<64x?xf32>) -> tensor<?x?x?xf32> {
  // expected-remark @below {{result 0: [%arg0.d0, %arg0.d1, %arg1.d1]}}
  %0 = onnx.MatMul %x, %w : (tensor<?x?x64xf32>, tensor<64x?xf32>) -> tensor<?x?x?xf32>
  // expected-remark @below {{result 0: [%arg1.d1, %arg0.d0, %arg0.d1]}}
  %1 = onnx.Transpose %0 {perm = [2, 0, 1]} : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %1 : tensor<?x?x?xf32>
}

// -----

// An exporter's head split: the target is built from the input's own sizes
// (Shape, Gather, Unsqueeze, Concat) and the -1 is what the others leave of
// the element count, here 4 * seq.
func.func @reshape(%x: tensor<?x?x64xf32>) -> tensor<?x?x16xf32> {
  %shape = onnx.Shape %x : (tensor<?x?x64xf32>) -> tensor<3xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %batch = onnx.Gather %shape, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %axes = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %batch1 = onnx.Unsqueeze %batch, %axes : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = onnx.Constant {value = dense<[-1, 16]> : tensor<2xi64>} : tensor<2xi64>
  %target = onnx.Concat %batch1, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  // expected-remark @below {{result 0: [%arg0.d0, 4*%arg0.d1, 16]}}
  %r = onnx.Reshape %x, %target : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
  return %r : tensor<?x?x16xf32>
}

// -----

// Concat adds along its axis; Unsqueeze inserts a 1; Gather puts the
// indices' dimensions in place of the axis.
func.func @concat_unsqueeze_gather(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %ids: tensor<?xi64>) -> tensor<?x1x?xf32> {
  // expected-remark @below {{result 0: [%arg0.d0, %arg0.d1 + %arg1.d1]}}
  %c = onnx.Concat %a, %b {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %axes = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  // expected-remark @below {{result 0: [%arg0.d0, 1, %arg0.d1 + %arg1.d1]}}
  %u = onnx.Unsqueeze %c, %axes : (tensor<?x?xf32>, tensor<1xi64>) -> tensor<?x1x?xf32>
  // expected-remark @below {{result 0: [%arg2.d0, 1, %arg0.d1 + %arg1.d1]}}
  %g = onnx.Gather %u, %ids : (tensor<?x1x?xf32>, tensor<?xi64>) -> tensor<?x1x?xf32>
  %s = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  // expected-remark @below {{result 0: [%arg2.d0, %arg0.d1 + %arg1.d1]}}
  %q = onnx.Squeeze %g, %s : (tensor<?x1x?xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  // expected-remark @below {{result 0: [%arg2.d0, 1, %arg0.d1 + %arg1.d1]}}
  %e = onnx.Unsqueeze %q, %axes : (tensor<?x?xf32>, tensor<1xi64>) -> tensor<?x1x?xf32>
  return %e : tensor<?x1x?xf32>
}

// -----

// torch's Expand writes its target through Where(Equal(shape, -1), 1, shape):
// a size is never -1, so the target is the shape, and the 1 in it keeps the
// input's size.
func.func @torch_expand(%x: tensor<?x1x8xf32>, %y: tensor<?x?xf32>) -> tensor<?x?x8xf32> {
  %shape = onnx.Shape %y : (tensor<?x?xf32>) -> tensor<2xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %rows = onnx.Gather %shape, %zero : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %cols = onnx.Gather %shape, %one : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %target = onnx.Concat %one, %rows, %cols {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %minus = onnx.Constant {value = dense<-1> : tensor<3xi64>} : tensor<3xi64>
  %ones = onnx.Constant {value = dense<1> : tensor<3xi64>} : tensor<3xi64>
  %eq = onnx.Equal %target, %minus : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %fixed = onnx.Where %eq, %ones, %target : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  // expected-remark @below {{result 0: [%arg0.d0, %arg1.d0, 8]}}
  %e = onnx.Expand %x, %fixed : (tensor<?x1x8xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// -----

// Positions: Range(0, seq, 1) is seq long.
func.func @range(%x: tensor<?x?xf32>) -> tensor<?xi64> {
  %shape = onnx.Shape %x : (tensor<?x?xf32>) -> tensor<2xi64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %seq = onnx.Gather %shape, %one : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  // expected-remark @below {{result 0: [%arg0.d1]}}
  %r = onnx.Range %zero, %seq, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %r : tensor<?xi64>
}

// -----

// Near misses: a Slice that is not the whole dimension (min/max clamping is
// not linear), and a Reshape entry that is another tensor's size, which may
// be 0 and then copy the input's own size instead; the -1 next to it
// follows that.
func.func @opaque(%x: tensor<?x?xf32>, %y: tensor<?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %start = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %end = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
  %axis = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  // expected-remark @below {{result 0: [%arg0.d0, ?0.d1]}}
  %s = onnx.Slice %x, %start, %end axes %axis : (tensor<?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  %shape = onnx.Shape %y : (tensor<?xf32>) -> tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %twice = onnx.Mul %shape, %two : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %minus = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %target = onnx.Concat %twice, %minus {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  // expected-remark @below {{result 0: [?1.d0, ?1.d1]}}
  %r = onnx.Reshape %x, %target : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %s, %r : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// xf ops: a norm keeps its input's dimensions, a linear layer replaces the
// last with the weight's rows.
func.func @xf_ops(%x: tensor<1x?x64xf32>, %w: tensor<64xf32>, %p: tensor<?x64xf32>) -> tensor<1x?x?xf32> {
  // expected-remark @below {{result 0: [1, %arg0.d1, 64]}}
  %n = xf.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
  // expected-remark @below {{result 0: [1, %arg0.d1, %arg2.d0]}}
  %l = xf.linear %n, %p : (tensor<1x?x64xf32>, tensor<?x64xf32>) -> tensor<1x?x?xf32>
  return %l : tensor<1x?x?xf32>
}
