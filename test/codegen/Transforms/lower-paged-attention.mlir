// xf-lower-attention on xf.paged_attention; the BUF run goes on to one-shot
// bufferization with function boundaries, as the CPU pipeline runs it.
// RUN: xf-opt %s --split-input-file --xf-lower-attention | FileCheck %s
// RUN: xf-opt %s --split-input-file --xf-convert-xf-to-linalg --xf-lower-attention \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN: | FileCheck %s --check-prefix=BUF

// A causal GQA decode step: a forall over (batch, head, query tile) whose
// key loop visits the sequence's blocks, reading each block's id from the
// block table and K/V as [tk, D] views of the pool at that block; the query
// tile is scaled once, and only a block that crosses the causal diagonal is
// masked (an scf.if). The scores are one [query tile, block] tile (nothing
// is sized by the context length). A tile of more than 16 queries
// multiplies through plain contractions (matmul kernel calls in the CPU
// pipeline); up to 16 (decode, a verify step) through reassociable dot
// products over head_dim for Q K^T and an fma contraction for P V.
// CHECK-LABEL: func.func @decode_gqa
// CHECK-SAME:    (%[[Q:.+]]: tensor<4x8x1x64xf32>, %[[KP:.+]]: tensor<?x2x16x64xf32>, %[[VP:.+]]: tensor<?x2x16x64xf32>, %[[BT:.+]]: tensor<4x?xi32>, %[[CL:.+]]: tensor<4xi32>)
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[BS:.+]] = arith.constant 16 : index
// CHECK:         scf.forall (%[[B:.+]], %[[H:.+]], %[[T:.+]]) in (4, 8, %{{.+}}) shared_outs(%[[OUT:.+]] = %{{.+}}) -> (tensor<4x8x1x64xf32>)
// CHECK:           %[[G:.+]] = arith.divui %[[H]], %{{.+}}
// CHECK:           %[[LEN:.+]] = tensor.extract %[[CL]][%[[B]]] : tensor<4xi32>
// CHECK:           arith.index_cast %[[LEN]] : i32 to index
// CHECK:           tensor.extract_slice %[[Q]][%[[B]], %[[H]], %{{.+}}, 0] [1, 1, %{{.+}}, 64] [1, 1, 1, 1] : tensor<4x8x1x64xf32> to tensor<?x64xf32>
// CHECK:           linalg.generic
// CHECK:             arith.mulf
// CHECK:           %[[NB:.+]] = arith.ceildivui %{{.+}}, %[[BS]]
// CHECK:           %[[USEK:.+]] = arith.cmpi ugt, %{{.+}}, %{{.+}} : index
// CHECK:           scf.for %[[N:.+]] = %[[C0]] to %[[NB]] step %[[C1]] iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<?xf32>, tensor<?xf32>, tensor<?x64xf32>)
// CHECK:             %[[J0:.+]] = arith.muli %[[N]], %[[BS]]
// CHECK:             %[[TK:.+]] = arith.minui
// CHECK:             %[[ID:.+]] = tensor.extract %[[BT]][%[[B]], %[[N]]] : tensor<4x?xi32>
// CHECK:             %[[BLK:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK:             tensor.extract_slice %[[KP]][%[[BLK]], %[[G]], 0, 0] [1, 1, %[[TK]], 64] [1, 1, 1, 1] : tensor<?x2x16x64xf32> to tensor<?x64xf32>
// CHECK:             tensor.extract_slice %[[VP]][%[[BLK]], %[[G]], 0, 0] [1, 1, %[[TK]], 64] [1, 1, 1, 1] : tensor<?x2x16x64xf32> to tensor<?x64xf32>
// CHECK:             tensor.empty(%{{.+}}, %[[TK]]) : tensor<?x?xf32>
// CHECK:             scf.if %[[USEK]] -> (tensor<?x?xf32>)
// CHECK:               linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:             } else {
// CHECK:               scf.for %[[I:.+]] = %[[C0]] to %{{.+}} step %[[C1]]
// CHECK:                 scf.for %[[J:.+]] = %[[C0]] to %[[TK]] step %[[C1]]
// CHECK:                 linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%{{.+}}, %{{.+}} : tensor<64xf32>, tensor<64xf32>) outs(%{{.+}} : tensor<f32>)
// CHECK:                   arith.mulf {{.*}} fastmath<reassoc,contract>
// CHECK:                   arith.addf {{.*}} fastmath<reassoc,contract>
// CHECK:                 tensor.insert_slice %{{.+}}[%[[I]], %[[J]]] [1, 1]
// CHECK:             scf.if %{{.+}} -> (tensor<?x?xf32>)
// CHECK:               arith.cmpi sgt
// CHECK:               arith.select
// CHECK:             } else {
// CHECK:             math.exp
// CHECK:             scf.if %[[USEK]] -> (tensor<?x64xf32>)
// CHECK:               linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:                 arith.mulf
// CHECK:             } else {
// CHECK:               linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NEXT:          ^bb0
// CHECK-NEXT:            math.fma
// CHECK:             scf.yield
// CHECK:           arith.divf
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice %{{.+}} into %[[OUT]][%[[B]], %[[H]], %{{.+}}, 0] [1, 1, %{{.+}}, 64]
// CHECK-NOT:     xf.paged_attention
func.func @decode_gqa(%q: tensor<4x8x1x64xf32>, %kp: tensor<?x2x16x64xf32>, %vp: tensor<?x2x16x64xf32>, %bt: tensor<4x?xi32>, %cl: tensor<4xi32>) -> tensor<4x8x1x64xf32> {
  %0 = xf.paged_attention %q, %kp, %vp, %bt, %cl scale = 1.250000e-01 causal
      : (tensor<4x8x1x64xf32>, tensor<?x2x16x64xf32>, tensor<?x2x16x64xf32>, tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x8x1x64xf32>
  return %0 : tensor<4x8x1x64xf32>
}

// -----

// Without `causal` nothing is masked per key; rows at a negative position
// (left padding) are zeroed when the tile is normalized. i64 tables are
// read as they are; f16 pools are read into f32 and the output stored back.
// CHECK-LABEL: func.func @prefill_i64_f16
// CHECK:         scf.forall
// CHECK:           arith.index_cast %{{.+}} : i64 to index
// CHECK:           scf.for
// CHECK:             arith.index_cast %{{.+}} : i64 to index
// CHECK-NOT:         arith.cmpi sgt
// CHECK:             arith.extf {{.*}} : f16 to f32
// CHECK:             math.exp {{.*}} : f32
// CHECK:             scf.yield
// CHECK:           arith.cmpi slt
// CHECK:           arith.ori
// CHECK:           arith.truncf {{.*}} : f32 to f16
// CHECK:           tensor.parallel_insert_slice {{.*}} : tensor<?x32xf16> into tensor<2x4x?x32xf16>
func.func @prefill_i64_f16(%q: tensor<2x4x?x32xf16>, %kp: tensor<?x4x16x32xf16>, %vp: tensor<?x4x16x32xf16>, %bt: tensor<2x?xi64>, %cl: tensor<2xi64>) -> tensor<2x4x?x32xf16> {
  %0 = xf.paged_attention %q, %kp, %vp, %bt, %cl scale = 1.000000e+00
      : (tensor<2x4x?x32xf16>, tensor<?x4x16x32xf16>, tensor<?x4x16x32xf16>, tensor<2x?xi64>, tensor<2xi64>) -> tensor<2x4x?x32xf16>
  return %0 : tensor<2x4x?x32xf16>
}

// -----

// The pools are function arguments the function does not return: the
// cache write bufferizes into copies of each token into a view of the
// argument buffers (in place, no copy of a pool), and the attention reads
// the same buffers.
// CHECK-LABEL: func.func @write_then_attend
// BUF-LABEL:   func.func @write_then_attend
// BUF-SAME:      %[[KP:[^:]+]]: memref<?x2x16x64xf32>, %[[VP:[^:]+]]: memref<?x2x16x64xf32>
// BUF-NOT:       memref.alloc({{.*}}) {{.*}}: memref<?x2x16x64xf32>
// BUF-NOT:       memref.copy %[[KP]]
// BUF-NOT:       memref.copy %[[VP]]
// BUF:           %[[W:.+]]:2 = scf.for {{.*}} iter_args(%{{.+}} = %[[KP]], %{{.+}} = %[[VP]]) -> (memref<?x2x16x64xf32>, memref<?x2x16x64xf32>)
// BUF:             scf.for
// BUF:               memref.copy %{{.+}}, %{{.+}} : memref<1x2x1x64xf32, {{.+}}> to memref<1x2x1x64xf32, strided<[2048, 1024, 64, 1], offset: ?>>
// BUF:               memref.copy %{{.+}}, %{{.+}} : memref<1x2x1x64xf32, {{.+}}> to memref<1x2x1x64xf32, strided<[2048, 1024, 64, 1], offset: ?>>
// BUF-NOT:       memref.alloc({{.*}}) {{.*}}: memref<?x2x16x64xf32>
// BUF:           scf.forall
// BUF:             scf.for
// BUF:               memref.subview %[[W]]#0[
// BUF:               memref.subview %[[W]]#1[
// BUF:           return
func.func @write_then_attend(%q: tensor<1x8x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x64xf32>,
                             %kpool: tensor<?x2x16x64xf32>, %vpool: tensor<?x2x16x64xf32>,
                             %bt: tensor<1x?xi32>, %cl: tensor<1xi32>, %slots: tensor<1x?xi32>) -> tensor<1x8x?x64xf32> {
  %kp, %vp = xf.kv_cache_write %k, %v into %kpool, %vpool at %slots
      : (tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<?x2x16x64xf32>, tensor<?x2x16x64xf32>, tensor<1x?xi32>)
      -> (tensor<?x2x16x64xf32>, tensor<?x2x16x64xf32>)
  %0 = xf.paged_attention %q, %kp, %vp, %bt, %cl scale = 1.250000e-01 causal
      : (tensor<1x8x?x64xf32>, tensor<?x2x16x64xf32>, tensor<?x2x16x64xf32>, tensor<1x?xi32>, tensor<1xi32>) -> tensor<1x8x?x64xf32>
  return %0 : tensor<1x8x?x64xf32>
}
