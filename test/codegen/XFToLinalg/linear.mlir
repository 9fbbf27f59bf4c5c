// RUN: xf-opt %s -split-input-file -xf-convert-xf-to-linalg | FileCheck %s

// f32 linear: a contraction over (b, s, n, k) reading the weight at [n, k]
// with a plain multiply-add body (what xf-lower-contractions-to-microkernels
// matches), then the bias in a separate elementwise generic.

// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[WT:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[FEAT:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x64xf32>, %[[W:.+]]: tensor<128x64xf32>, %[[BIAS:.+]]: tensor<128xf32>)
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[E:.+]] = tensor.empty(%{{.+}}, %{{.+}}) : tensor<?x?x128xf32>
// CHECK: %[[FILL:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x?x128xf32>)
// CHECK: %[[MM:.+]] = linalg.generic {indexing_maps = [#[[IN]], #[[WT]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<?x?x64xf32>, tensor<128x64xf32>) outs(%[[FILL]] : tensor<?x?x128xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %[[C:.+]]: f32):
// CHECK-NEXT: %[[MUL:.+]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[ADD:.+]] = arith.addf %[[C]], %[[MUL]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[FEAT]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[MM]], %[[BIAS]] : tensor<?x?x128xf32>, tensor<128xf32>)
// CHECK-NEXT: ^bb0(%[[ACC:.+]]: f32, %[[BV:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[SUM:.+]] = arith.addf %[[ACC]], %[[BV]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK: return %[[Y]]

func.func @linear_bias(%x: tensor<?x?x64xf32>, %w: tensor<128x64xf32>, %b: tensor<128xf32>) -> tensor<?x?x128xf32> {
  %y = xf.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  return %y : tensor<?x?x128xf32>
}

// -----

// Without a bias an f32 linear is the contraction alone.

// CHECK-LABEL: func.func @linear_no_bias
// CHECK: %[[MM:.+]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT: linalg.generic
// CHECK: return %[[MM]] : tensor<?x32xf32>

func.func @linear_no_bias(%x: tensor<?x16xf32>, %w: tensor<32x16xf32>) -> tensor<?x32xf32> {
  %y = xf.linear %x, %w : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// f16 accumulates in f32; the cast back is the separate elementwise op.

// CHECK-LABEL: func.func @linear_f16
// CHECK: %[[MM:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<1x?x256xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f16, %[[B:.+]]: f16, %[[C:.+]]: f32):
// CHECK-NEXT: %[[AE:.+]] = arith.extf %[[A]] : f16 to f32
// CHECK-NEXT: %[[BE:.+]] = arith.extf %[[B]] : f16 to f32
// CHECK-NEXT: %[[MUL:.+]] = arith.mulf %[[AE]], %[[BE]] : f32
// CHECK-NEXT: arith.addf %[[C]], %[[MUL]] : f32
// CHECK: linalg.generic {{.+}} ins(%[[MM]] : tensor<1x?x256xf32>) outs(%{{.+}} : tensor<1x?x256xf16>)
// CHECK: arith.truncf %{{.+}} : f32 to f16

func.func @linear_f16(%x: tensor<1x?x64xf16>, %w: tensor<256x64xf16>) -> tensor<1x?x256xf16> {
  %y = xf.linear %x, %w : (tensor<1x?x64xf16>, tensor<256x64xf16>) -> tensor<1x?x256xf16>
  return %y : tensor<1x?x256xf16>
}

// -----

// int4 symmetric: two codes per byte read at [n, k floordiv 2], scales at
// [n, k floordiv group_size]; the nibble is picked by the parity of k and
// sign-extended by shifts; the weight is dequantized in the body.

// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[CODES:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3 floordiv 2)>
// CHECK-DAG: #[[GROUPS:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3 floordiv 32)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @qlinear_int4_symmetric
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x128xf16>, %[[W:.+]]: tensor<64x64xi8>, %[[S:.+]]: tensor<64x4xf16>)
// CHECK: %[[ACC:.+]] = linalg.generic {indexing_maps = [#[[IN]], #[[CODES]], #[[GROUPS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[W]], %[[S]] : tensor<1x?x128xf16>, tensor<64x64xi8>, tensor<64x4xf16>) outs(%{{.+}} : tensor<1x?x64xf32>)
// CHECK-NEXT: ^bb0(%[[XV:.+]]: f16, %[[BYTE:.+]]: i8, %[[SV:.+]]: f16, %[[A:.+]]: f32):
// CHECK: %[[K:.+]] = linalg.index 3 : index
// CHECK: %[[SHL:.+]] = arith.shli %[[BYTE]], %[[FOUR:.+]] : i8
// CHECK: %[[LOW:.+]] = arith.shrsi %[[SHL]], %[[FOUR]] : i8
// CHECK: %[[HIGH:.+]] = arith.shrsi %[[BYTE]], %[[FOUR]] : i8
// CHECK: %[[ODDBIT:.+]] = arith.andi %[[K]], %{{.+}} : index
// CHECK: %[[ODD:.+]] = arith.cmpi eq, %[[ODDBIT]], %{{.+}} : index
// CHECK: %[[NIB:.+]] = arith.select %[[ODD]], %[[HIGH]], %[[LOW]] : i8
// CHECK: %[[Q:.+]] = arith.extsi %[[NIB]] : i8 to i32
// CHECK: %[[SE:.+]] = arith.extf %[[SV]] : f16 to f32
// CHECK: %[[QF:.+]] = arith.sitofp %[[Q]] : i32 to f32
// CHECK: %[[WV:.+]] = arith.mulf %[[SE]], %[[QF]] : f32
// CHECK: %[[XE:.+]] = arith.extf %[[XV]] : f16 to f32
// CHECK: %[[P:.+]] = arith.mulf %[[XE]], %[[WV]] : f32
// CHECK: %[[SUM:.+]] = arith.addf %[[A]], %[[P]] : f32
// CHECK: linalg.yield %[[SUM]] : f32
// CHECK: linalg.generic {{.+}} ins(%[[ACC]] : tensor<1x?x64xf32>) outs(%{{.+}} : tensor<1x?x64xf16>)
// CHECK: arith.truncf

func.func @qlinear_int4_symmetric(%x: tensor<1x?x128xf16>, %w: tensor<64x64xi8>, %s: tensor<64x4xf16>) -> tensor<1x?x64xf16> {
  %y = xf.qlinear %x, %w, %s bits = 4 group_size = 32 symmetric : (tensor<1x?x128xf16>, tensor<64x64xi8>, tensor<64x4xf16>) -> tensor<1x?x64xf16>
  return %y : tensor<1x?x64xf16>
}

// -----

// int8 asymmetric: unsigned codes minus unsigned zero points, both read at
// [n, k] and [n, k floordiv group_size]; then the bias.

// CHECK-DAG: #[[CODES:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[GROUPS:.+]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 16)>
// CHECK-LABEL: func.func @qlinear_int8_asymmetric
// CHECK-SAME: (%[[X:.+]]: tensor<?x40xf32>, %[[W:.+]]: tensor<8x40xi8>, %[[S:.+]]: tensor<8x3xf32>, %[[Z:.+]]: tensor<8x3xi8>, %[[BIAS:.+]]: tensor<8xf32>)
// CHECK: %[[ACC:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[CODES]], #[[GROUPS]], #[[GROUPS]], #{{.+}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[W]], %[[S]], %[[Z]] :
// CHECK-NEXT: ^bb0(%[[XV:.+]]: f32, %[[BYTE:.+]]: i8, %[[SV:.+]]: f32, %[[ZV:.+]]: i8, %[[A:.+]]: f32):
// CHECK: %[[Q:.+]] = arith.extui %[[BYTE]] : i8 to i32
// CHECK: %[[ZE:.+]] = arith.extui %[[ZV]] : i8 to i32
// CHECK: %[[QZ:.+]] = arith.subi %[[Q]], %[[ZE]] : i32
// CHECK: %[[QF:.+]] = arith.sitofp %[[QZ]] : i32 to f32
// CHECK: %[[WV:.+]] = arith.mulf %[[SV]], %[[QF]] : f32
// CHECK: arith.mulf %[[XV]], %[[WV]] : f32
// CHECK: linalg.generic {{.+}} ins(%[[ACC]], %[[BIAS]] : tensor<?x8xf32>, tensor<8xf32>)
// CHECK: arith.addf

func.func @qlinear_int8_asymmetric(%x: tensor<?x40xf32>, %w: tensor<8x40xi8>, %s: tensor<8x3xf32>, %z: tensor<8x3xi8>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = xf.qlinear %x, %w, %s zero_points %z bias %b bits = 8 group_size = 16 : (tensor<?x40xf32>, tensor<8x40xi8>, tensor<8x3xf32>, tensor<8x3xi8>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// int4 asymmetric codes are unsigned nibbles: a mask and a logical shift.

// CHECK-LABEL: func.func @qlinear_int4_asymmetric
// CHECK: ^bb0(%{{.+}}: f32, %[[BYTE:.+]]: i8, %{{.+}}: f32, %[[ZV:.+]]: i8, %{{.+}}: f32):
// CHECK: %[[LOW:.+]] = arith.andi %[[BYTE]], %{{.+}} : i8
// CHECK: %[[HIGH:.+]] = arith.shrui %[[BYTE]], %{{.+}} : i8
// CHECK: %[[NIB:.+]] = arith.select %{{.+}}, %[[HIGH]], %[[LOW]] : i8
// CHECK: arith.extui %[[NIB]] : i8 to i32
// CHECK: arith.extui %[[ZV]] : i8 to i32
// CHECK: arith.subi

func.func @qlinear_int4_asymmetric(%x: tensor<?x7xf32>, %w: tensor<4x4xi8>, %s: tensor<4x2xf32>, %z: tensor<4x2xi8>) -> tensor<?x4xf32> {
  %y = xf.qlinear %x, %w, %s zero_points %z bits = 4 group_size = 4 : (tensor<?x7xf32>, tensor<4x4xi8>, tensor<4x2xf32>, tensor<4x2xi8>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
