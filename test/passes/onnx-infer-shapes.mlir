// RUN: xf-opt %s -split-input-file -canonicalize -onnx-infer-shapes -verify-diagnostics | FileCheck %s
// RUN: xf-opt %s -split-input-file -onnx-infer-shapes -verify-diagnostics | FileCheck %s --check-prefix=NOFOLD

// An exporter's attention reshape: [batch, seq, 512] to [batch, seq, 8, 64]
// with batch and seq read back with Shape -> Gather -> Unsqueeze. The head
// count is computed (4 * 2); once folded, the Reshape knows its last two
// dims, and the Transpose and the function's result type follow.
// CHECK-LABEL: func.func @attention_reshape
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x512xf32>) -> tensor<?x8x?x64xf32>
// CHECK-DAG: %[[HEADS:.+]] = onnx.Constant {value = dense<8> : tensor<1xi64>} : tensor<1xi64>
// CHECK-DAG: %[[HEAD_DIM:.+]] = onnx.Constant {value = dense<64> : tensor<1xi64>} : tensor<1xi64>
// CHECK: %[[SHAPE:.+]] = onnx.Shape %[[X]] : (tensor<?x?x512xf32>) -> tensor<3xi64>
// CHECK: %[[BATCH:.+]] = onnx.Gather %[[SHAPE]], %{{.+}} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
// CHECK: %[[SEQ:.+]] = onnx.Gather %[[SHAPE]], %{{.+}} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
// CHECK: %[[BATCH1:.+]] = onnx.Unsqueeze %[[BATCH]], %{{.+}} : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
// CHECK: %[[SEQ1:.+]] = onnx.Unsqueeze %[[SEQ]], %{{.+}} : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
// CHECK: %[[TARGET:.+]] = onnx.Concat %[[BATCH1]], %[[SEQ1]], %[[HEADS]], %[[HEAD_DIM]] {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
// CHECK: %[[R:.+]] = onnx.Reshape %[[X]], %[[TARGET]] : (tensor<?x?x512xf32>, tensor<4xi64>) -> tensor<?x?x8x64xf32>
// CHECK: %[[T:.+]] = onnx.Transpose %[[R]] {perm = [0, 2, 1, 3]} : (tensor<?x?x8x64xf32>) -> tensor<?x8x?x64xf32>
// CHECK: return %[[T]] : tensor<?x8x?x64xf32>

// Without folding, the Mul hides the head count from the Reshape's own
// inference; the symbolic shape analysis reads 4 * 2 through it.
// NOFOLD-LABEL: func.func @attention_reshape
// NOFOLD-SAME: -> tensor<?x8x?x64xf32>
// NOFOLD: onnx.Reshape {{.+}} -> tensor<?x?x8x64xf32>
// NOFOLD: onnx.Transpose {{.+}} -> tensor<?x8x?x64xf32>
func.func @attention_reshape(%x: tensor<?x?x512xf32>) -> tensor<?x?x?x?xf32> {
  %shape = onnx.Shape %x : (tensor<?x?x512xf32>) -> tensor<3xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %batch = onnx.Gather %shape, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %seq = onnx.Gather %shape, %one : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %axes = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %batch1 = onnx.Unsqueeze %batch, %axes : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %seq1 = onnx.Unsqueeze %seq, %axes : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %four = onnx.Constant {value = dense<4> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %heads = onnx.Mul %four, %two : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %head_dim = onnx.Constant {value = dense<64> : tensor<1xi64>} : tensor<1xi64>
  %target = onnx.Concat %batch1, %seq1, %heads, %head_dim {axis = 0 : i64}
      : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %r = onnx.Reshape %x, %target : (tensor<?x?x512xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %t = onnx.Transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %t : tensor<?x?x?x?xf32>
}

// -----

// A static batch survives the trip through Shape and Gather; -1 stays
// dynamic since the element count is not known.
// CHECK-LABEL: func.func @partially_known
// CHECK-SAME: -> tensor<2x?x8x64xf32>
// CHECK: onnx.Reshape {{.+}} -> tensor<2x?x8x64xf32>
func.func @partially_known(%x: tensor<2x?x512xf32>) -> tensor<*xf32> {
  %shape = onnx.Shape %x : (tensor<2x?x512xf32>) -> tensor<3xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %batch = onnx.Gather %shape, %zero : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = onnx.Constant {value = dense<[-1, 8, 64]> : tensor<3xi64>} : tensor<3xi64>
  %target = onnx.Concat %batch, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<3xi64>) -> tensor<4xi64>
  %r = onnx.Reshape %x, %target : (tensor<2x?x512xf32>, tensor<4xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

// Result types as loose as an importer without inference would write them:
// each refined type lets the next op see more, in order, down to a fully
// static Reshape.
// CHECK-LABEL: func.func @loose_types
// CHECK-SAME: -> tensor<2x5x8x64xf32>
// CHECK: onnx.Shape {{.+}} -> tensor<3xi64>
// CHECK: onnx.Gather {{.+}} -> tensor<2xi64>
// CHECK: onnx.Concat {{.+}} -> tensor<4xi64>
// CHECK: onnx.Reshape {{.+}} -> tensor<2x5x8x64xf32>
func.func @loose_types(%x: tensor<2x5x512xf32>) -> tensor<*xf32> {
  %shape = onnx.Shape %x : (tensor<2x5x512xf32>) -> tensor<?xi64>
  %indices = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %dims = onnx.Gather %shape, %indices : (tensor<?xi64>, tensor<2xi64>) -> tensor<*xi64>
  %heads = onnx.Constant {value = dense<[8, 64]> : tensor<2xi64>} : tensor<2xi64>
  %target = onnx.Concat %dims, %heads {axis = 0 : i64} : (tensor<*xi64>, tensor<2xi64>) -> tensor<*xi64>
  %r = onnx.Reshape %x, %target : (tensor<2x5x512xf32>, tensor<*xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

// A dim the declared type knows and inference cannot see (the batch, hidden
// by -1) is kept while the others are refined.
// CHECK-LABEL: func.func @keeps_declared_dims
// CHECK-SAME: -> tensor<2x3x4xf32>
// CHECK: onnx.Reshape {{.+}} -> tensor<2x3x4xf32>
func.func @keeps_declared_dims(%x: tensor<?x12xf32>) -> tensor<2x?x?xf32> {
  %s = onnx.Constant {value = dense<[-1, 3, 4]> : tensor<3xi64>} : tensor<3xi64>
  %r = onnx.Reshape %x, %s : (tensor<?x12xf32>, tensor<3xi64>) -> tensor<2x?x?xf32>
  return %r : tensor<2x?x?xf32>
}

// -----

// Casts change the values they pass on: to bool, 2 becomes 1; to i8, 300
// wraps to 44.
// CHECK-LABEL: func.func @cast_of_shape
// CHECK-SAME: -> (tensor<1x?xf32>, tensor<44x?xf32>)
// CHECK: onnx.ConstantOfShape {{.+}} -> tensor<1x?xf32>
// CHECK: onnx.ConstantOfShape {{.+}} -> tensor<44x?xf32>
func.func @cast_of_shape(%x: tensor<2x?xf32>, %y: tensor<300x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %sx = onnx.Shape %x : (tensor<2x?xf32>) -> tensor<2xi64>
  %bx = onnx.Cast %sx {to = i1} : (tensor<2xi64>) -> tensor<2xi1>
  %ix = onnx.Cast %bx {to = i64} : (tensor<2xi1>) -> tensor<2xi64>
  %zx = onnx.ConstantOfShape %ix : (tensor<2xi64>) -> tensor<?x?xf32>
  %sy = onnx.Shape %y : (tensor<300x?xf32>) -> tensor<2xi64>
  %by = onnx.Cast %sy {to = i8} : (tensor<2xi64>) -> tensor<2xi8>
  %iy = onnx.Cast %by {to = i64} : (tensor<2xi8>) -> tensor<2xi64>
  %zy = onnx.ConstantOfShape %iy : (tensor<2xi64>) -> tensor<?x?xf32>
  return %zx, %zy : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// A bool constant cast to a shape gives 1s, not -1s.
// CHECK-LABEL: func.func @bool_constant_shape
// CHECK-SAME: -> tensor<1x1xf32>
func.func @bool_constant_shape(%x: tensor<1xf32>) -> tensor<*xf32> {
  %b = onnx.Constant {value = dense<true> : tensor<2xi1>} : tensor<2xi1>
  %s = onnx.Cast %b {to = i64} : (tensor<2xi1>) -> tensor<2xi64>
  %r = onnx.Reshape %x, %s : (tensor<1xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

// Steps of the extreme i64 values take one element, with no overflow in
// the length arithmetic.
// CHECK-LABEL: func.func @extreme_slice_steps
// CHECK-SAME: -> (tensor<1xf32>, tensor<1xf32>)
func.func @extreme_slice_steps(%x: tensor<10xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %max = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
  %minus1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %min = onnx.Constant {value = dense<-9223372036854775808> : tensor<1xi64>} : tensor<1xi64>
  %a = onnx.Slice %x, %zero, %two steps %max : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf32>
  %b = onnx.Slice %x, %minus1, %min steps %min : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf32>
  return %a, %b : tensor<?xf32>, tensor<?xf32>
}

// -----

// Every op family's inference, from unranked results (worked out by hand).
// CHECK-LABEL: func.func @op_families
// CHECK-SAME: -> (tensor<2x4x3xf32>, tensor<2x?x4x16xf32>, tensor<4x16xf32>, tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>, tensor<2x4xf32>, tensor<2x5x6x4xf32>, tensor<4x3x2xf32>, tensor<2x8xf32>, tensor<3x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2xf32>, tensor<6x20xf32>, tensor<3xf32>, tensor<1x2x3x1xf32>, tensor<2x3x4xf32>, tensor<6x6xf32>, tensor<4xi64>, tensor<2x3xf32>, tensor<3x4xf16>)
// CHECK: onnx.Add {{.+}} -> tensor<2x4x3xf32>
// CHECK: onnx.MatMul {{.+}} -> tensor<2x?x4x16xf32>
// CHECK: onnx.Gemm {{.+}} -> tensor<4x16xf32>
// CHECK: onnx.LayerNormalization {{.+}} -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
// CHECK: onnx.ReduceMean {{.+}} -> tensor<2x4xf32>
// CHECK: onnx.Gather {{.+}} -> tensor<2x5x6x4xf32>
// CHECK: onnx.Transpose {{.+}} -> tensor<4x3x2xf32>
// CHECK: onnx.Concat {{.+}} -> tensor<2x8xf32>
// CHECK: onnx.Slice {{.+}} -> tensor<3x6xf32>
// CHECK: onnx.Split {{.+}} -> (tensor<4xf32>, tensor<4xf32>, tensor<2xf32>)
// CHECK: onnx.Squeeze {{.+}} -> tensor<3xf32>
// CHECK: onnx.Unsqueeze {{.+}} -> tensor<1x2x3x1xf32>
// CHECK: onnx.Flatten {{.+}} -> tensor<6x20xf32>
// CHECK: onnx.Expand {{.+}} -> tensor<2x3x4xf32>
// CHECK: onnx.Tile {{.+}} -> tensor<6x6xf32>
// CHECK: onnx.Range {{.+}} -> tensor<4xi64>
// CHECK: onnx.ConstantOfShape {{.+}} -> tensor<2x3xf32>
// CHECK: onnx.Where {{.+}} -> tensor<3x4xf32>
// CHECK: onnx.Cast {{.+}} -> tensor<3x4xf16>
func.func @op_families(%a: tensor<2x1x3xf32>, %b: tensor<4x1xf32>, %m: tensor<?x4x8xf32>, %n: tensor<2x1x8x16xf32>,
                       %ga: tensor<8x4xf32>, %gb: tensor<8x16xf32>, %x: tensor<2x3x4xf32>, %s: tensor<4xf32>,
                       %i: tensor<5x6xi64>, %c1: tensor<2x3xf32>, %c2: tensor<?x5xf32>, %t: tensor<10x20xf32>,
                       %v: tensor<10xf32>, %q: tensor<1x3x1xf32>, %f: tensor<2x3x4x5xf32>, %e: tensor<3x1xf32>,
                       %cond: tensor<1x4xi1>, %w: tensor<3x1xf32>, %y: tensor<f32>)
    -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>,
        tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>,
        tensor<?x?xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<?xi64>, tensor<*xf32>,
        tensor<*xf16>) {
  %0 = onnx.Add %a, %b : (tensor<2x1x3xf32>, tensor<4x1xf32>) -> tensor<*xf32>
  %1 = onnx.MatMul %m, %n : (tensor<?x4x8xf32>, tensor<2x1x8x16xf32>) -> tensor<*xf32>
  %2 = onnx.Gemm %ga, %gb {transA = 1 : i64} : (tensor<8x4xf32>, tensor<8x16xf32>) -> tensor<*xf32>
  %3:3 = onnx.LayerNormalization %x, %s {axis = -2 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  %axes1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %4 = onnx.ReduceMean %x, %axes1 {keepdims = 0 : i64} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<*xf32>
  %5 = onnx.Gather %x, %i {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<5x6xi64>) -> tensor<*xf32>
  %6 = onnx.Transpose %x : (tensor<2x3x4xf32>) -> tensor<*xf32>
  %7 = onnx.Concat %c1, %c2 {axis = 1 : i64} : (tensor<2x3xf32>, tensor<?x5xf32>) -> tensor<*xf32>
  // Axis 1 (20): 2, 5, 8, 11, 14, 17 up to 20 - 2; axis 0 (10): 1, 5, 9.
  %starts = onnx.Constant {value = dense<[2, 1]> : tensor<2xi64>} : tensor<2xi64>
  %ends = onnx.Constant {value = dense<[-2, 100]> : tensor<2xi64>} : tensor<2xi64>
  %axes = onnx.Constant {value = dense<[1, 0]> : tensor<2xi64>} : tensor<2xi64>
  %steps = onnx.Constant {value = dense<[3, 4]> : tensor<2xi64>} : tensor<2xi64>
  %8 = onnx.Slice %t, %starts, %ends axes %axes steps %steps : (tensor<10x20xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<*xf32>
  // ceil(10 / 3) = 4: 4, 4 and the rest, 2.
  %9:3 = onnx.Split %v {num_outputs = 3 : i64} : (tensor<10xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  %10 = onnx.Squeeze %q : (tensor<1x3x1xf32>) -> tensor<*xf32>
  %axes03 = onnx.Constant {value = dense<[0, 3]> : tensor<2xi64>} : tensor<2xi64>
  %11 = onnx.Unsqueeze %c1, %axes03 : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  %12 = onnx.Flatten %f {axis = 2 : i64} : (tensor<2x3x4x5xf32>) -> tensor<?x?xf32>
  %shape214 = onnx.Constant {value = dense<[2, 1, 4]> : tensor<3xi64>} : tensor<3xi64>
  %13 = onnx.Expand %e, %shape214 : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<*xf32>
  %repeats = onnx.Constant {value = dense<[3, 2]> : tensor<2xi64>} : tensor<2xi64>
  %14 = onnx.Tile %c1, %repeats : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  // ceil((10 - 0) / 3) = 4.
  %r0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %r10 = onnx.Constant {value = dense<10> : tensor<i64>} : tensor<i64>
  %r3 = onnx.Constant {value = dense<3> : tensor<i64>} : tensor<i64>
  %15 = onnx.Range %r0, %r10, %r3 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %shape23 = onnx.Shape %c1 : (tensor<2x3xf32>) -> tensor<2xi64>
  %16 = onnx.ConstantOfShape %shape23 : (tensor<2xi64>) -> tensor<*xf32>
  %17 = onnx.Where %cond, %w, %y : (tensor<1x4xi1>, tensor<3x1xf32>, tensor<f32>) -> tensor<*xf32>
  %18 = onnx.Cast %17 {to = f16} : (tensor<*xf32>) -> tensor<*xf16>
  return %0, %1, %2, %3#0, %3#1, %3#2, %4, %5, %6, %7, %8, %9#0, %9#1, %9#2, %12, %10, %11, %13, %14, %15, %16, %18
      : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>,
        tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>,
        tensor<?x?xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<?xi64>, tensor<*xf32>,
        tensor<*xf16>
}

// -----

// Refining one op can expose a contradiction in a later one: the Shape's
// length was hidden, so the declared [5] could not be checked before.
func.func @refinement_conflict(%x: tensor<?xf32>, %y: tensor<2x3xf32>) -> tensor<5xf32> {
  %shape = onnx.Shape %y : (tensor<2x3xf32>) -> tensor<?xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %dim = onnx.Gather %shape, %zero : (tensor<?xi64>, tensor<1xi64>) -> tensor<1xi64>
  // expected-error @+1 {{result #0 has type 'tensor<5xf32>' but its refined operands give 'tensor<2xf32>'}}
  %r = onnx.Reshape %x, %dim : (tensor<?xf32>, tensor<1xi64>) -> tensor<5xf32>
  return %r : tensor<5xf32>
}

// -----

// Proven equal to a static size: the -1 of [batch, -1, 2] over a
// [batch, 8] input is 8 / 2 = 4 once batch cancels, which the Reshape's own
// inference (element count unknown) cannot see.
// CHECK-LABEL: func.func @inferred_cancels
// CHECK-SAME: -> tensor<?x4x2xf32>
// CHECK: onnx.Reshape {{.+}} -> tensor<?x4x2xf32>
// NOFOLD-LABEL: func.func @inferred_cancels
// NOFOLD-SAME: -> tensor<?x4x2xf32>
func.func @inferred_cancels(%x: tensor<?x8xf32>) -> tensor<?x?x?xf32> {
  %shape = onnx.Shape %x : (tensor<?x8xf32>) -> tensor<2xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %batch = onnx.Gather %shape, %zero : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = onnx.Constant {value = dense<[-1, 2]> : tensor<2xi64>} : tensor<2xi64>
  %target = onnx.Concat %batch, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  %r = onnx.Reshape %x, %target : (tensor<?x8xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}

// -----

// Proven 1: torch's Expand target Where(Equal(shape, -1), 1, shape) hides
// the 1 in [1, rows] from Expand's own inference; a size is never -1, so
// the analysis reads the shape through it. A broadcast against it then
// keeps the other side's size.
// CHECK-LABEL: func.func @torch_expand_unit
// CHECK-SAME: -> tensor<1x?x8xf32>
// CHECK: onnx.Expand {{.+}} -> tensor<1x?x8xf32>
// NOFOLD-LABEL: func.func @torch_expand_unit
// NOFOLD-SAME: -> tensor<1x?x8xf32>
func.func @torch_expand_unit(%x: tensor<1x1x8xf32>, %y: tensor<?xf32>) -> tensor<?x?x8xf32> {
  %rows = onnx.Shape %y : (tensor<?xf32>) -> tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %eight = onnx.Constant {value = dense<8> : tensor<1xi64>} : tensor<1xi64>
  %target = onnx.Concat %one, %rows, %eight {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %minus = onnx.Constant {value = dense<-1> : tensor<3xi64>} : tensor<3xi64>
  %ones = onnx.Constant {value = dense<1> : tensor<3xi64>} : tensor<3xi64>
  %eq = onnx.Equal %target, %minus : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %fixed = onnx.Where %eq, %ones, %target : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %e = onnx.Expand %x, %fixed : (tensor<1x1x8xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %e : tensor<?x?x8xf32>
}

// -----

// Near miss: two inputs' sizes are not one symbol, so nothing is refined.
// CHECK-LABEL: func.func @unproven
// CHECK-SAME: -> tensor<?x?xf32>
// NOFOLD-LABEL: func.func @unproven
// NOFOLD-SAME: -> tensor<?x?xf32>
func.func @unproven(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = onnx.Sub %a, %b : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %s : tensor<?x?xf32>
}
