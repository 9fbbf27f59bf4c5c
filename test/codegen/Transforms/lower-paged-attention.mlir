// xf-lower-attention on xf.paged_attention; the BUF run goes on to one-shot
// bufferization with function boundaries, as the CPU pipeline runs it.
// RUN: xf-opt %s --split-input-file --xf-lower-attention | FileCheck %s
// RUN: xf-opt %s --split-input-file --xf-convert-xf-to-linalg --xf-lower-attention \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN: | FileCheck %s --check-prefix=BUF

// A causal GQA decode step (a static query length of at most 16 rows):
// flash decoding. A forall over (batch, KV head, partition of 256 keys =
// 16 blocks, fixed by position, heads of the group) takes the query rows of
// the group's four heads at once (one head per item when that leaves fewer
// than 8 items), scaled once; its key loop visits the partition's blocks,
// reading each block's id from the block table and K/V as [tk, D] views of
// the pool at that block. Q K^T is reassociable dot products over head_dim
// into one [rows, partition keys] score tile, masked only where it crosses
// the causal diagonal (an scf.if); a loop over the rows takes each row's
// max, exp and sum as one-dimensional reductions along the keys; P V is an
// fma contraction per block and head. The forall writes each partition's
// m, l and unnormalized acc; linalg generics combine them over the
// partitions (max, weights, weighted sums, then acc / l).
// CHECK-LABEL: func.func @decode_gqa
// CHECK-SAME:    (%[[Q:.+]]: tensor<4x8x1x64xf32>, %[[KP:.+]]: tensor<?x2x16x64xf32>, %[[VP:.+]]: tensor<?x2x16x64xf32>, %[[BT:.+]]: tensor<4x?xi32>, %[[CL:.+]]: tensor<4xi32>)
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG:     %[[C8:.+]] = arith.constant 8 : index
// CHECK-DAG:     %[[BS:.+]] = arith.constant 16 : index
// CHECK:         %[[W:.+]] = tensor.dim %[[BT]], %[[C1]]
// CHECK:         %[[NP:.+]] = arith.ceildivui %[[W]], %[[BS]]
// CHECK:         %[[ITEMS:.+]] = arith.muli %[[NP]], %[[C8]]
// CHECK:         %[[FEW:.+]] = arith.cmpi ult, %[[ITEMS]], %[[C8]]
// CHECK:         %[[IPG:.+]] = arith.select %[[FEW]], %[[C4]], %[[C1]]
// CHECK:         %[[HPI:.+]] = arith.select %[[FEW]], %[[C1]], %[[C4]]
// CHECK:         %[[PARTS:.+]]:3 = scf.forall (%[[B:.+]], %[[G:.+]], %[[S:.+]], %[[R:.+]]) in (4, %{{.+}}, %[[NP]], %[[IPG]]) shared_outs(%[[MO:.+]] = %{{.+}}, %[[LO:.+]] = %{{.+}}, %[[AO:.+]] = %{{.+}}) -> (tensor<4x8x?x1xf32>, tensor<4x8x?x1xf32>, tensor<4x8x?x1x64xf32>)
// CHECK:           %[[GH:.+]] = arith.muli %[[G]], %[[C4]]
// CHECK:           %[[RH:.+]] = arith.muli %[[R]], %[[HPI]]
// CHECK:           %[[H0:.+]] = arith.addi %[[GH]], %[[RH]]
// CHECK:           %[[LEN:.+]] = tensor.extract %[[CL]][%[[B]]] : tensor<4xi32>
// CHECK:           arith.index_cast %[[LEN]] : i32 to index
// CHECK:           tensor.extract_slice %[[Q]][%[[B]], %[[H0]], 0, 0] [1, %[[HPI]], %[[C1]], 64] [1, 1, 1, 1] : tensor<4x8x1x64xf32> to tensor<?x?x64xf32>
// CHECK:           linalg.generic
// CHECK:             arith.mulf
// CHECK:           %[[QR:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK:           %[[FIRST:.+]] = arith.muli %[[S]], %[[BS]]
// CHECK:           %[[END:.+]] = arith.minui
// CHECK:           scf.for %[[N:.+]] = %[[FIRST]] to %[[END]] step %[[C1]] iter_args(%{{.+}} = %{{.+}}) -> (tensor<?x?xf32>)
// CHECK:             %[[ID:.+]] = tensor.extract %[[BT]][%[[B]], %[[N]]] : tensor<4x?xi32>
// CHECK:             %[[BLK:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK:             %[[K:.+]] = tensor.extract_slice %[[KP]][%[[BLK]], %[[G]], 0, 0] [1, 1, %{{.+}}, 64] [1, 1, 1, 1] : tensor<?x2x16x64xf32> to tensor<?x64xf32>
// CHECK:             scf.for %[[I:.+]] = %[[C0]] to %[[ROWS:.+]] step %[[C1]]
// CHECK:               tensor.extract_slice %[[QR]][%[[I]], 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<64xf32>
// CHECK:               scf.for %[[J:.+]] = %[[C0]] to %{{.+}} step %[[C1]]
// CHECK:                 tensor.extract_slice %[[K]][%[[J]], 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<64xf32>
// CHECK:                 linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%{{.+}}, %{{.+}} : tensor<64xf32>, tensor<64xf32>) outs(%{{.+}} : tensor<f32>)
// CHECK:                   arith.mulf {{.*}} fastmath<reassoc,contract>
// CHECK:                   arith.addf {{.*}} fastmath<reassoc,contract>
// CHECK:                 tensor.insert_slice
// CHECK:           scf.if %{{.+}} -> (tensor<?x?xf32>)
// CHECK:             arith.cmpi sgt
// CHECK:             arith.select
// CHECK:           } else {
// CHECK:           %[[SM:.+]]:3 = scf.for %{{.+}} = %[[C0]] to %[[ROWS]] step %[[C1]]
// CHECK:             linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%{{.+}} : tensor<?xf32>) outs(%{{.+}} : tensor<f32>)
// CHECK-NEXT:        ^bb0
// CHECK-NEXT:          arith.maximumf
// CHECK:             linalg.generic {{.*}}iterator_types = ["parallel"]}
// CHECK:               math.exp
// CHECK:             linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%{{.+}} : tensor<?xf32>) outs(%{{.+}} : tensor<f32>)
// CHECK-NEXT:        ^bb0
// CHECK-NEXT:          arith.addf
// CHECK:           %[[ACC:.+]] = scf.for %[[N2:.+]] = %[[FIRST]] to %[[END]] step %[[C1]] iter_args(%{{.+}} = %{{.+}}) -> (tensor<?x?x64xf32>)
// CHECK:             tensor.extract %[[BT]][%[[B]], %[[N2]]] : tensor<4x?xi32>
// CHECK:             tensor.extract_slice %[[VP]][%{{.+}}, %[[G]], 0, 0] [1, 1, %{{.+}}, 64] [1, 1, 1, 1] : tensor<?x2x16x64xf32> to tensor<?x64xf32>
// CHECK:             scf.for %{{.+}} = %[[C0]] to %[[HPI]] step %[[C1]]
// CHECK:               linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NEXT:          ^bb0
// CHECK-NEXT:            math.fma
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %[[SM]]#1 into %[[MO]][%[[B]], %[[H0]], %[[S]], 0] [1, %[[HPI]], 1, %[[C1]]]
// CHECK-NEXT:        tensor.parallel_insert_slice %[[SM]]#2 into %[[LO]][%[[B]], %[[H0]], %[[S]], 0] [1, %[[HPI]], 1, %[[C1]]]
// CHECK-NEXT:        tensor.parallel_insert_slice %[[ACC]] into %[[AO]][%[[B]], %[[H0]], %[[S]], 0, 0] [1, %[[HPI]], 1, %[[C1]], 64]
// CHECK:         %[[MAX:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[PARTS]]#0 : tensor<4x8x?x1xf32>) outs(%{{.+}} : tensor<4x8x1xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[WT:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[PARTS]]#0, %[[MAX]] : tensor<4x8x?x1xf32>, tensor<4x8x1xf32>)
// CHECK:           math.exp
// CHECK:         %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[WT]], %[[PARTS]]#1 : tensor<4x8x?x1xf32>, tensor<4x8x?x1xf32>) outs(%{{.+}} : tensor<4x8x1xf32>)
// CHECK:         %[[OUT:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%[[WT]], %[[PARTS]]#2 : tensor<4x8x?x1xf32>, tensor<4x8x?x1x64xf32>) outs(%{{.+}} : tensor<4x8x1x64xf32>)
// CHECK:         %[[RES:.+]] = linalg.generic {{.*}} ins(%[[OUT]], %[[SUM]] : tensor<4x8x1x64xf32>, tensor<4x8x1xf32>)
// CHECK:           arith.divf
// CHECK:         return %[[RES]]
// CHECK-NOT:     xf.paged_attention
func.func @decode_gqa(%q: tensor<4x8x1x64xf32>, %kp: tensor<?x2x16x64xf32>, %vp: tensor<?x2x16x64xf32>, %bt: tensor<4x?xi32>, %cl: tensor<4xi32>) -> tensor<4x8x1x64xf32> {
  %0 = xf.paged_attention %q, %kp, %vp, %bt, %cl scale = 1.250000e-01 causal
      : (tensor<4x8x1x64xf32>, tensor<?x2x16x64xf32>, tensor<?x2x16x64xf32>, tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x8x1x64xf32>
  return %0 : tensor<4x8x1x64xf32>
}

// -----

// A dynamic query length picks the form at run time: flash decoding for at
// most 16 rows, the tiled online softmax for more. Without `causal` nothing
// is masked per key; rows at a negative position (left padding) are zeroed
// where the output is normalized: in the combine, which reads the context
// lengths, and per tile. i64 tables are read as they are; f16 pools are
// read into f32 and the output stored back.
// CHECK-LABEL: func.func @prefill_i64_f16
// CHECK:         %[[FEW:.+]] = arith.cmpi ule, %{{.+}}, %{{.+}} : index
// CHECK:         %[[RES:.+]] = scf.if %[[FEW]] -> (tensor<2x4x?x32xf16>)
// CHECK:           scf.forall
// CHECK:             arith.index_cast %{{.+}} : i64 to index
// CHECK:             arith.extf {{.*}} : f16 to f32
// CHECK:             scf.for
// CHECK:               arith.index_cast %{{.+}} : i64 to index
// CHECK-NOT:           arith.cmpi sgt
// CHECK:               arith.extf {{.*}} : f16 to f32
// CHECK:             math.exp {{.*}} : f32
// CHECK:             tensor.parallel_insert_slice {{.*}} : tensor<?x?x32xf32> into tensor<2x4x?x?x32xf32>
// CHECK:           linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<2x4x?x32xf32>, tensor<2x4x?xf32>, tensor<2xi64>) outs(%{{.+}} : tensor<2x4x?x32xf16>)
// CHECK:             arith.cmpi slt
// CHECK:             arith.ori
// CHECK:             arith.truncf {{.*}} : f32 to f16
// CHECK:         } else {
// CHECK:           scf.forall
// CHECK:             arith.index_cast %{{.+}} : i64 to index
// CHECK:             scf.for
// CHECK:               arith.index_cast %{{.+}} : i64 to index
// CHECK-NOT:           arith.cmpi sgt
// CHECK:               arith.extf {{.*}} : f16 to f32
// CHECK:               math.exp {{.*}} : f32
// CHECK:               scf.yield
// CHECK:             arith.cmpi slt
// CHECK:             arith.ori
// CHECK:             arith.truncf {{.*}} : f32 to f16
// CHECK:             tensor.parallel_insert_slice {{.*}} : tensor<?x32xf16> into tensor<2x4x?x32xf16>
// CHECK:         return %[[RES]]
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
