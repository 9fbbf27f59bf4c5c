// RUN: xf-opt %s --split-input-file --verify-diagnostics --xf-lower-attention | FileCheck %s
// RUN: xf-opt %s --split-input-file --verify-diagnostics --xf-lower-attention="query-tile=16 kv-tile=32" | FileCheck %s --check-prefix=TILES

// Causal GQA attention over a cache: a forall over (batch, head, query
// tile), a loop over key tiles that ends at the tile's last visible key,
// carrying the row max, row sum and output tile. No [Sq, Skv] tensor.
// CHECK-LABEL: func.func @causal_gqa
// CHECK-SAME:    (%[[Q:.+]]: tensor<1x8x?x64xf32>, %[[K:.+]]: tensor<1x2x?x64xf32>, %[[V:.+]]: tensor<1x2x?x64xf32>)
// CHECK-DAG:     %[[QT:.+]] = arith.constant 64 : index
// CHECK-DAG:     %[[KT:.+]] = arith.constant 128 : index
// CHECK:         %[[NQT:.+]] = arith.ceildivui %{{.+}}, %[[QT]]
// CHECK:         scf.forall (%[[B:.+]], %[[H:.+]], %[[T:.+]]) in (1, 8, %[[NQT]]) shared_outs(%[[OUT:.+]] = %{{.+}}) -> (tensor<1x8x?x64xf32>)
// CHECK:           %[[G:.+]] = arith.divui %[[H]], %{{.+}}
// CHECK:           tensor.extract_slice %[[Q]][%[[B]], %[[H]], %{{.+}}, 0] [1, 1, %{{.+}}, 64] [1, 1, 1, 1] : tensor<1x8x?x64xf32> to tensor<?x64xf32>
// CHECK:           %[[END:.+]] = arith.minsi
// CHECK:           %[[LOOP:.+]]:3 = scf.for %[[J:.+]] = %{{.+}} to %[[END]] step %[[KT]] iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<?xf32>, tensor<?xf32>, tensor<?x64xf32>)
// CHECK:             tensor.extract_slice %[[K]][%[[B]], %[[G]], %[[J]], 0]
// CHECK:             tensor.extract_slice %[[V]][%[[B]], %[[G]], %[[J]], 0]
// CHECK:             linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:             arith.cmpi sgt
// CHECK:             math.exp
// CHECK:             linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:             scf.yield
// CHECK:           arith.divf
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice
// CHECK-NOT:     xf.attention
// TILES-LABEL: func.func @causal_gqa
// TILES-DAG:     arith.constant 16 : index
// TILES-DAG:     arith.constant 32 : index
func.func @causal_gqa(%q: tensor<1x8x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x64xf32>) -> tensor<1x8x?x64xf32> {
  %0 = xf.attention %q, %k, %v scale = 1.250000e-01 causal
      : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) -> tensor<1x8x?x64xf32>
  return %0 : tensor<1x8x?x64xf32>
}

// -----

// A padding mask [B, 1, 1, Skv] is read per key tile at query and head
// index 0; without `causal` the key loop runs to Skv. Key, value and mask
// are computed from the query's argument, so the shape analysis proves every
// size they share with it: nothing is checked.
// CHECK-LABEL: func.func @padding_mask
// CHECK:         %[[M:.+]] = onnx.Transpose
// CHECK-NOT:     xf.check_dim
// CHECK:         scf.forall
// CHECK:         scf.for
// CHECK:           tensor.extract_slice %[[M]][%{{.+}}, 0, 0, %{{.+}}] [1, 1, 1, %{{.+}}]
// CHECK-NOT:       arith.cmpi sgt
// CHECK:           scf.yield
func.func @padding_mask(%x: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %axes = onnx.Constant {value = dense<[1, 3]> : tensor<2xi64>} : tensor<2xi64>
  %keys = onnx.ReduceMean %x, %axes : (tensor<?x4x?x16xf32>, tensor<2xi64>) -> tensor<?x1x?x1xf32>
  %m = onnx.Transpose %keys {perm = [0, 1, 3, 2]} : (tensor<?x1x?x1xf32>) -> tensor<?x1x1x?xf32>
  %0 = xf.attention %x, %x, %x mask %m scale = 2.500000e-01
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x16xf32>
  return %0 : tensor<?x4x?x16xf32>
}

// -----

// A mask whose every dimension is `?` and unrelated to the query: each is
// checked to be 1 or the size it broadcasts to. A batch or head of 1 is read
// at offset 0 (a select per tile, from a flag computed once); a query or key
// dimension of 1 is broadcast into a copy of the mask first (scf.if), so the
// per-element code stays the same. Separate key and value arguments are
// checked against the query's batch and the key's sequence and heads.
// CHECK-LABEL: func.func @runtime_mask
// CHECK-SAME:    %[[M:[^:]+]]: tensor<?x?x?x?xf32>)
// CHECK:         xf.check_dim {{.+}} "{{.*}}(xf.attention): the key's batch against the query's"
// CHECK:         xf.check_dim {{.+}} "{{.*}}(xf.attention): the value's batch against the query's"
// CHECK:         xf.check_dim {{.+}} "{{.*}}(xf.attention): the value's sequence against the key's"
// CHECK:         xf.check_dim {{.+}} broadcast "{{.*}}(xf.attention): dimension 0 of the mask"
// CHECK:         %[[B1:.+]] = arith.cmpi eq
// CHECK:         xf.check_dim {{.+}} broadcast "{{.*}}(xf.attention): dimension 1 of the mask"
// CHECK:         %[[H1:.+]] = arith.cmpi eq
// CHECK:         xf.check_dim {{.+}} broadcast "{{.*}}(xf.attention): dimension 2 of the mask"
// CHECK:         %[[M2:.+]] = scf.if
// CHECK:         xf.check_dim {{.+}} broadcast "{{.*}}(xf.attention): dimension 3 of the mask"
// CHECK:         %[[M3:.+]] = scf.if
// CHECK:         scf.forall
// CHECK:         scf.for
// CHECK-DAG:       arith.select %[[B1]]
// CHECK-DAG:       arith.select %[[H1]]
// CHECK:           tensor.extract_slice %[[M3]]
func.func @runtime_mask(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %m: tensor<?x?x?x?xf32>) -> tensor<?x4x?x16xf32> {
  %0 = xf.attention %q, %k, %v mask %m scale = 2.500000e-01
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x?x?x?xf32>) -> tensor<?x4x?x16xf32>
  return %0 : tensor<?x4x?x16xf32>
}

// -----

// f16 is read into f32 tiles (scores, softmax and sums in f32) and the
// output is stored back as f16.
// CHECK-LABEL: func.func @f16
// CHECK:         scf.forall
// CHECK:           scf.for
// CHECK:             arith.extf {{.*}} : f16 to f32
// CHECK:             math.exp {{.*}} : f32
// CHECK:           arith.truncf {{.*}} : f32 to f16
// CHECK:           tensor.parallel_insert_slice {{.*}} : tensor<?x8xf16> into tensor<1x1x4x8xf16>
func.func @f16(%q: tensor<1x1x4x8xf16>, %k: tensor<1x1x4x8xf16>, %v: tensor<1x1x4x8xf16>) -> tensor<1x1x4x8xf16> {
  %0 = xf.attention %q, %k, %v scale = 1.000000e+00
      : (tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>) -> tensor<1x1x4x8xf16>
  return %0 : tensor<1x1x4x8xf16>
}
