// RUN: xf-opt %s -split-input-file -xf-convert-xf-to-linalg | FileCheck %s

// The id is clamped into [0, V) before the row is read.

// CHECK-DAG: #[[IDS:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[T:.+]]: tensor<?x64xf16>, %[[I:.+]]: tensor<1x?xi64>)
// CHECK: %[[V:.+]] = tensor.dim %[[T]], %{{.+}} : tensor<?x64xf16>
// CHECK: %[[LAST:.+]] = arith.subi %[[V]], %{{.+}} : index
// CHECK: linalg.generic {indexing_maps = [#[[IDS]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[I]] : tensor<1x?xi64>) outs(%{{.+}} : tensor<1x?x64xf16>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: i64, %{{.+}}: f16):
// CHECK-NEXT: %[[IDX:.+]] = arith.index_cast %[[IN]] : i64 to index
// CHECK: %[[LO:.+]] = arith.maxsi %[[IDX]], %{{.+}} : index
// CHECK-NEXT: %[[ROW:.+]] = arith.minsi %[[LO]], %[[LAST]] : index
// CHECK-NEXT: %[[COL:.+]] = linalg.index 2 : index
// CHECK-NEXT: %[[E:.+]] = tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<?x64xf16>
// CHECK-NEXT: linalg.yield %[[E]] : f16

func.func @embedding(%t: tensor<?x64xf16>, %ids: tensor<1x?xi64>) -> tensor<1x?x64xf16> {
  %e = xf.embedding %t, %ids : (tensor<?x64xf16>, tensor<1x?xi64>) -> tensor<1x?x64xf16>
  return %e : tensor<1x?x64xf16>
}

// -----

// Loops over (batch, token) carry both pools; a slot in [0, capacity) is
// split into block and row, and the token's [1, Hkv, 1, D] slices are
// inserted there.

// CHECK-LABEL: func.func @kv_cache_write
// CHECK-SAME: (%[[K:.+]]: tensor<?x8x?x64xf32>, %[[V:.+]]: tensor<?x8x?x32xf32>, %[[KP:.+]]: tensor<?x8x16x64xf32>, %[[VP:.+]]: tensor<?x8x16x32xf32>, %[[SL:.+]]: tensor<?x?xi32>)
// CHECK-DAG: %[[B:.+]] = tensor.dim %[[K]], %{{.+}} : tensor<?x8x?x64xf32>
// CHECK-DAG: %[[S:.+]] = tensor.dim %[[K]], %{{.+}} : tensor<?x8x?x64xf32>
// CHECK-DAG: %[[BS:.+]] = tensor.dim %[[KP]], %{{.+}} : tensor<?x8x16x64xf32>
// CHECK-DAG: %[[NB:.+]] = tensor.dim %[[KP]], %{{.+}} : tensor<?x8x16x64xf32>
// CHECK: %[[CAP:.+]] = arith.muli %[[NB]], %[[BS]] : index
// CHECK: %[[R:.+]]:2 = scf.for %[[BI:.+]] = %{{.+}} to %[[B]] step %{{.+}} iter_args(%[[KA:.+]] = %[[KP]], %[[VA:.+]] = %[[VP]])
// CHECK: scf.for %[[TI:.+]] = %{{.+}} to %[[S]] step %{{.+}} iter_args(%[[KB:.+]] = %[[KA]], %[[VB:.+]] = %[[VA]])
// CHECK: %[[SLOT32:.+]] = tensor.extract %[[SL]][%[[BI]], %[[TI]]] : tensor<?x?xi32>
// CHECK: %[[SLOT:.+]] = arith.index_cast %[[SLOT32]] : i32 to index
// CHECK: arith.cmpi sge, %[[SLOT]]
// CHECK: arith.cmpi slt, %[[SLOT]], %[[CAP]] : index
// CHECK: scf.if
// CHECK: %[[BLK:.+]] = arith.divui %[[SLOT]], %[[BS]] : index
// CHECK: %[[ROW:.+]] = arith.remui %[[SLOT]], %[[BS]] : index
// CHECK: %[[KS:.+]] = tensor.extract_slice %[[K]][%[[BI]], 0, %[[TI]], 0] [1, 8, 1, 64] [1, 1, 1, 1]
// CHECK: %[[KI:.+]] = tensor.insert_slice %[[KS]] into %[[KB]][%[[BLK]], 0, %[[ROW]], 0] [1, 8, 1, 64] [1, 1, 1, 1]
// CHECK: %[[VS:.+]] = tensor.extract_slice %[[V]][%[[BI]], 0, %[[TI]], 0] [1, 8, 1, 32] [1, 1, 1, 1]
// CHECK: %[[VI:.+]] = tensor.insert_slice %[[VS]] into %[[VB]][%[[BLK]], 0, %[[ROW]], 0] [1, 8, 1, 32] [1, 1, 1, 1]
// CHECK: scf.yield %[[KI]], %[[VI]]
// CHECK: } else {
// CHECK: scf.yield %[[KB]], %[[VB]]
// CHECK: return %[[R]]#0, %[[R]]#1

func.func @kv_cache_write(%k: tensor<?x8x?x64xf32>, %v: tensor<?x8x?x32xf32>, %kp: tensor<?x8x16x64xf32>, %vp: tensor<?x8x16x32xf32>, %slots: tensor<?x?xi32>) -> (tensor<?x8x16x64xf32>, tensor<?x8x16x32xf32>) {
  %a, %b = xf.kv_cache_write %k, %v into %kp, %vp at %slots : (tensor<?x8x?x64xf32>, tensor<?x8x?x32xf32>, tensor<?x8x16x64xf32>, tensor<?x8x16x32xf32>, tensor<?x?xi32>) -> (tensor<?x8x16x64xf32>, tensor<?x8x16x32xf32>)
  return %a, %b : tensor<?x8x16x64xf32>, tensor<?x8x16x32xf32>
}
