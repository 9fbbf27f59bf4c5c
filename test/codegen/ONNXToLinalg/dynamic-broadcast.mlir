// RUN: xf-opt %s -split-input-file -xf-convert-onnx-to-linalg | FileCheck %s

// Broadcasting over dimensions that are dynamic at compile time: what the
// symbolic shape analysis proves equal is read as it is (one generic, no
// branch); what it does not is checked with xf.check_dim and, where the size
// may be 1 while the result's is not, broadcast under an scf.if first.

// A residual add whose operands come from one argument: proven, no check.
// CHECK-LABEL: func.func @proven_residual
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x64xf32>, %[[W:.+]]: tensor<64x64xf32>)
// CHECK-NOT: xf.check_dim
// CHECK-NOT: scf.if
// CHECK: %[[MM:.+]] = linalg.generic {{.+}}"reduction"]
// CHECK-NOT: xf.check_dim
// CHECK-NOT: scf.if
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[MM]], %[[X]] : tensor<1x?x64xf32>, tensor<1x?x64xf32>)
// CHECK: arith.addf
// CHECK-NOT: xf.check_dim
// CHECK-NOT: scf.if
// CHECK: return
func.func @proven_residual(%x: tensor<1x?x64xf32>, %w: tensor<64x64xf32>) -> tensor<1x?x64xf32> {
  %y = onnx.MatMul %x, %w : (tensor<1x?x64xf32>, tensor<64x64xf32>) -> tensor<1x?x64xf32>
  %r = onnx.Add %y, %x : (tensor<1x?x64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
  return %r : tensor<1x?x64xf32>
}

// -----

// The report: scores [b, 9, q, k] + mask [b, ?, q, k], every `?` from
// another argument. The mask's head dimension is checked against 9 and
// copied along it when it is 1; the other dimensions of both operands are
// checked against the larger size, which sizes the result.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[HEAD0:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>
// CHECK-LABEL: func.func @mask_heads
// CHECK-SAME: (%[[S:.+]]: tensor<?x9x?x?xf32>, %[[M:.+]]: tensor<?x?x?x?xf32>)
// CHECK: %[[B:.+]] = arith.maxui
// CHECK: xf.check_dim %{{.+}}, %[[B]] broadcast "model.onnx: node 'add_mask' (onnx.Add): dimension 0 of input 0"
// CHECK: scf.if
// CHECK: xf.check_dim {{.+}} broadcast "model.onnx: node 'add_mask' (onnx.Add): dimension 0 of input 1"
// CHECK: xf.check_dim %[[H:.+]], %[[C9:.+]] broadcast "model.onnx: node 'add_mask' (onnx.Add): dimension 1 of input 1"
// CHECK: %[[NE:.+]] = arith.cmpi ne, %[[H]], %[[C9]] : index
// CHECK: scf.if %[[NE]] -> (tensor<?x?x?x?xf32>) {
// CHECK:   linalg.generic {indexing_maps = [#[[HEAD0]], #[[ID]]]
// CHECK: } else {
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]]
// CHECK: arith.addf
func.func @mask_heads(%s: tensor<?x9x?x?xf32>, %m: tensor<?x?x?x?xf32>) -> tensor<?x9x?x?xf32> {
  %r = onnx.Add %s, %m : (tensor<?x9x?x?xf32>, tensor<?x?x?x?xf32>) -> tensor<?x9x?x?xf32> loc("add_mask"("model.onnx":0:0))
  return %r : tensor<?x9x?x?xf32>
}

// -----

// Near miss: a static 1 broadcasts at compile time (a constant map), and
// the dynamic dimension both sides share is proven; no check.
// CHECK-DAG: #[[BC:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @static_unit
// CHECK-NOT: xf.check_dim
// CHECK-NOT: scf.if
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[BC]], #{{.+}}]
// CHECK: arith.subf
func.func @static_unit(%a: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %axes = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %mean = onnx.ReduceMean %a, %axes : (tensor<?x?xf32>, tensor<1xi64>) -> tensor<1x?xf32>
  %s = onnx.Sub %a, %mean : (tensor<?x?xf32>, tensor<1x?xf32>) -> tensor<?x?xf32>
  return %s : tensor<?x?xf32>
}

// -----

// Where's three operands: the first dimension is the condition's alone
// (proven); in the second the condition's static 1 is read at 0 and the
// other two are checked against the larger of them.
// CHECK-LABEL: func.func @where
// CHECK: %[[N:.+]] = arith.maxui
// CHECK: xf.check_dim %{{.+}}, %[[N]] broadcast "{{.*}}(onnx.Where): dimension 0 of input 1"
// CHECK: xf.check_dim %{{.+}}, %[[N]] broadcast "{{.*}}(onnx.Where): dimension 1 of input 2"
// CHECK-NOT: xf.check_dim
// CHECK: linalg.generic
// CHECK: arith.select
func.func @where(%c: tensor<?x1xi1>, %x: tensor<?xf32>, %y: tensor<1x?xf32>) -> tensor<?x?xf32> {
  %r = onnx.Where %c, %x, %y : (tensor<?x1xi1>, tensor<?xf32>, tensor<1x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// MatMul: unproven batch dimensions are checked and broadcast like an
// elementwise operand's; an unproven contraction dimension is checked for
// equality (no broadcast).
// CHECK-LABEL: func.func @matmul_batch
// CHECK-SAME: (%[[A:.+]]: tensor<?x4x?xf32>, %[[B:.+]]: tensor<?x?x6xf32>)
// CHECK: xf.check_dim %{{.+}}, %{{.+}} "{{.*}}(onnx.MatMul): the contraction dimension of input 1 (dimension 1), against input 0's"
// CHECK: %[[BATCH:.+]] = arith.maxui
// CHECK: xf.check_dim %{{.+}}, %[[BATCH]] broadcast "{{.*}}(onnx.MatMul): batch dimension 0 of input 0"
// CHECK: scf.if
// CHECK: xf.check_dim %{{.+}}, %[[BATCH]] broadcast "{{.*}}(onnx.MatMul): batch dimension 0 of input 1"
// CHECK: scf.if
// CHECK: linalg.batch_matmul
func.func @matmul_batch(%a: tensor<?x4x?xf32>, %b: tensor<?x?x6xf32>) -> tensor<?x4x6xf32> {
  %r = onnx.MatMul %a, %b : (tensor<?x4x?xf32>, tensor<?x?x6xf32>) -> tensor<?x4x6xf32>
  return %r : tensor<?x4x6xf32>
}

// -----

// Attention scores against their own keys: batch and contraction proven.
// CHECK-LABEL: func.func @matmul_proven
// CHECK-NOT: xf.check_dim
// CHECK-NOT: scf.if
// CHECK: linalg.batch_matmul
func.func @matmul_proven(%q: tensor<?x?x8xf32>) -> tensor<?x?x?xf32> {
  %k = onnx.Transpose %q {perm = [0, 2, 1]} : (tensor<?x?x8xf32>) -> tensor<?x8x?xf32>
  %s = onnx.MatMul %q, %k : (tensor<?x?x8xf32>, tensor<?x8x?xf32>) -> tensor<?x?x?xf32>
  return %s : tensor<?x?x?xf32>
}

// -----

// Expand: an input dimension not proven to be the result's is checked and
// broadcast at run time; a static input size against a run-time target
// entry is checked to be compatible.
// CHECK-LABEL: func.func @expand
// CHECK: xf.check_dim %{{.+}}, %{{.+}} broadcast "{{.*}}(onnx.Expand): entry 1 of the target shape"
// CHECK: xf.check_dim %{{.+}}, %{{.+}} broadcast "{{.*}}(onnx.Expand): dimension 0 of the input"
// CHECK: scf.if
// CHECK: linalg.generic
func.func @expand(%x: tensor<?x4xf32>, %shape: tensor<2xi64>) -> tensor<?x4xf32> {
  %r = onnx.Expand %x, %shape : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Concat: the dimensions off the axis must agree; the first input's stands
// for the result, the other is checked against it.
// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.+]]: tensor<?x2xf32>, %[[B:.+]]: tensor<?x3xf32>)
// CHECK: %[[DA:.+]] = tensor.dim %[[A]]
// CHECK: %[[DB:.+]] = tensor.dim %[[B]]
// CHECK: xf.check_dim %[[DB]], %[[DA]] "{{.*}}(onnx.Concat): dimension 0 of input 1"
// CHECK-NOT: xf.check_dim
// CHECK: tensor.insert_slice
func.func @concat(%a: tensor<?x2xf32>, %b: tensor<?x3xf32>) -> tensor<?x5xf32> {
  %r = onnx.Concat %a, %b {axis = 1 : i64} : (tensor<?x2xf32>, tensor<?x3xf32>) -> tensor<?x5xf32>
  return %r : tensor<?x5xf32>
}

// -----

// Gemm's C and LayerNormalization's scale broadcast one way, to the result
// and to X: a `?` there is checked and broadcast too.
// CHECK-LABEL: func.func @gemm_c
// CHECK: xf.check_dim %{{.+}}, %{{.+}} broadcast "{{.*}}(onnx.Gemm): dimension 0 of input 2"
// CHECK: scf.if
func.func @gemm_c(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<?xf32>) -> tensor<3x5xf32> {
  %r = onnx.Gemm %a, %b, %c : (tensor<3x4xf32>, tensor<4x5xf32>, tensor<?xf32>) -> tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm_scale
// CHECK: xf.check_dim %{{.+}}, %{{.+}} broadcast "{{.*}}(onnx.LayerNormalization): dimension 0 of input 1"
// CHECK: scf.if
// CHECK-NOT: xf.check_dim
func.func @layer_norm_scale(%x: tensor<2x8xf32>, %scale: tensor<?xf32>, %bias: tensor<8xf32>) -> tensor<2x8xf32> {
  %y, %mean, %inv = onnx.LayerNormalization %x, %scale, %bias {axis = -1 : i64}
      : (tensor<2x8xf32>, tensor<?xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  return %y : tensor<2x8xf32>
}

// -----

// Reshape: an attention head split whose target is the input's own sizes
// read back with Shape is proven (element count and sizes); one whose
// target comes from another input has its element count checked (a larger
// one would be a view past the input's end).
// CHECK-LABEL: func.func @reshape_proven
// CHECK-NOT: xf.check_dim
// CHECK: return
func.func @reshape_proven(%x: tensor<?x?x64xf32>) -> tensor<?x?x4x16xf32> {
  %shape = onnx.Shape %x {end = 2 : i64} : (tensor<?x?x64xf32>) -> tensor<2xi64>
  %heads = onnx.Constant {value = dense<[4, 16]> : tensor<2xi64>} : tensor<2xi64>
  %target = onnx.Concat %shape, %heads {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = onnx.Reshape %x, %target : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  return %r : tensor<?x?x4x16xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_unproven
// CHECK: xf.check_dim {{.+}} "{{.*}}(onnx.Reshape): the result's element count"
// CHECK-NOT: xf.check_dim
func.func @reshape_unproven(%x: tensor<?x?x64xf32>, %y: tensor<?xf32>) -> tensor<?x?x64xf32> {
  %rows = onnx.Shape %y : (tensor<?xf32>) -> tensor<1xi64>
  %rest = onnx.Constant {value = dense<[-1, 64]> : tensor<2xi64>} : tensor<2xi64>
  %target = onnx.Concat %rows, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  %r = onnx.Reshape %x, %target : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %r : tensor<?x?x64xf32>
}
