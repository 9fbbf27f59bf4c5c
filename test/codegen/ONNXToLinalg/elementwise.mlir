// RUN: xf-opt %s -split-input-file -xf-convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @constant_dense
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>

func.func @constant_dense() -> tensor<2xf32> {
  %0 = onnx.Constant {value = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @constant_unsigned() -> tensor<2xi16>
// CHECK: %[[C:.+]] = arith.constant dense<[1, -1]> : tensor<2xi16>
// CHECK: return %[[C]] : tensor<2xi16>

func.func @constant_unsigned() -> tensor<2xui16> {
  %0 = onnx.Constant {value = dense<[1, 65535]> : tensor<2xui16>} : tensor<2xui16>
  return %0 : tensor<2xui16>
}

// -----

// CHECK-LABEL: func.func @constant_resource() -> tensor<3xi16>
// CHECK: arith.constant dense_resource<blob> : tensor<3xi16>

func.func @constant_resource() -> tensor<3xui16> {
  %0 = onnx.Constant {value = dense_resource<blob> : tensor<3xui16>} : tensor<3xui16>
  return %0 : tensor<3xui16>
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x02000000010002000300"
    }
  }
#-}

// -----

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[BC:.+]] = affine_map<(d0, d1, d2) -> (0, d2)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[A:.+]]: tensor<2x?x4xf32>, %[[B:.+]]: tensor<1x4xf32>)
// CHECK: %[[C1:.+]] = arith.constant 1 : index
// CHECK: %[[D:.+]] = tensor.dim %[[A]], %[[C1]]
// CHECK: %[[E:.+]] = tensor.empty(%[[D]]) : tensor<2x?x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[BC]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<2x?x4xf32>, tensor<1x4xf32>) outs(%[[E]] : tensor<2x?x4xf32>)
// CHECK: ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[S:.+]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK: linalg.yield %[[S]]

func.func @add_broadcast(%a: tensor<2x?x4xf32>, %b: tensor<1x4xf32>) -> tensor<2x?x4xf32> {
  %0 = onnx.Add %a, %b : (tensor<2x?x4xf32>, tensor<1x4xf32>) -> tensor<2x?x4xf32>
  return %0 : tensor<2x?x4xf32>
}

// -----

// CHECK-DAG: #[[BC:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @add_dynamic_from_rhs
// CHECK-SAME: (%[[A:.+]]: tensor<1x4xi64>, %[[B:.+]]: tensor<?x4xi64>)
// CHECK: %[[D:.+]] = tensor.dim %[[B]], %{{.+}} : tensor<?x4xi64>
// CHECK: tensor.empty(%[[D]]) : tensor<?x4xi64>
// CHECK: linalg.generic {indexing_maps = [#[[BC]], #[[ID]], #[[ID]]]
// CHECK: arith.addi

func.func @add_dynamic_from_rhs(%a: tensor<1x4xi64>, %b: tensor<?x4xi64>) -> tensor<?x4xi64> {
  %0 = onnx.Add %a, %b : (tensor<1x4xi64>, tensor<?x4xi64>) -> tensor<?x4xi64>
  return %0 : tensor<?x4xi64>
}

// -----

// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @sub_mul_scalar
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[SCALAR]], #{{.+}}]
// CHECK: arith.subf
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[SCALAR]], #{{.+}}]
// CHECK: arith.mulf

func.func @sub_mul_scalar(%a: tensor<3xf32>, %b: tensor<f32>) -> tensor<3xf32> {
  %0 = onnx.Sub %a, %b : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %1 = onnx.Mul %0, %b : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @div_float
// CHECK: arith.divf

func.func @div_float(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  %0 = onnx.Div %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @div_signed
// CHECK: arith.divsi %{{.+}}, %{{.+}} : i32

func.func @div_signed(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
  %0 = onnx.Div %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// CHECK-LABEL: func.func @div_unsigned
// CHECK-SAME: (%{{.+}}: tensor<4xi8>, %{{.+}}: tensor<i8>) -> tensor<4xi8>
// CHECK: arith.divui %{{.+}}, %{{.+}} : i8
// CHECK: return %{{.+}} : tensor<4xi8>

func.func @div_unsigned(%a: tensor<4xui8>, %b: tensor<ui8>) -> tensor<4xui8> {
  %0 = onnx.Div %a, %b : (tensor<4xui8>, tensor<ui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// CHECK-LABEL: func.func @pow_float
// CHECK: ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: f16, %{{.+}}: f32):
// CHECK: %[[E:.+]] = arith.extf %[[Y]] : f16 to f32
// CHECK: math.powf %[[X]], %[[E]] : f32

func.func @pow_float(%x: tensor<4xf32>, %y: tensor<f16>) -> tensor<4xf32> {
  %0 = onnx.Pow %x, %y : (tensor<4xf32>, tensor<f16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// An integer exponent is converted to the base's float type (LLVM's powi
// takes only 32-bit exponents).
// CHECK-LABEL: func.func @pow_float_int
// CHECK: ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: i32, %{{.+}}: f32):
// CHECK: %[[E:.+]] = arith.sitofp %[[Y]] : i32 to f32
// CHECK: math.powf %[[X]], %[[E]] : f32

func.func @pow_float_int(%x: tensor<4xf32>, %y: tensor<i32>) -> tensor<4xf32> {
  %0 = onnx.Pow %x, %y : (tensor<4xf32>, tensor<i32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @pow_int
// CHECK: %[[E:.+]] = arith.extsi %{{.+}} : i32 to i64
// CHECK: math.ipowi %{{.+}}, %[[E]] : i64

func.func @pow_int(%x: tensor<4xi64>, %y: tensor<i32>) -> tensor<4xi64> {
  %0 = onnx.Pow %x, %y : (tensor<4xi64>, tensor<i32>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @pow_int_float
// CHECK: %[[B:.+]] = arith.sitofp %{{.+}} : i32 to f32
// CHECK: %[[P:.+]] = math.powf %[[B]], %{{.+}} : f32
// CHECK: arith.fptosi %[[P]] : f32 to i32

func.func @pow_int_float(%x: tensor<4xi32>, %y: tensor<f32>) -> tensor<4xi32> {
  %0 = onnx.Pow %x, %y : (tensor<4xi32>, tensor<f32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @and_or_not
// CHECK: arith.andi %{{.+}}, %{{.+}} : i1
// CHECK: arith.ori %{{.+}}, %{{.+}} : i1
// CHECK: %[[T:.+]] = arith.constant true
// CHECK: arith.xori %{{.+}}, %[[T]] : i1

func.func @and_or_not(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %0 = onnx.And %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %1 = onnx.Or %0, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %2 = onnx.Not %1 : (tensor<4xi1>) -> tensor<4xi1>
  return %2 : tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @compare_float
// CHECK: outs(%{{.+}} : tensor<4xi1>)
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf ole
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oge

func.func @compare_float(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = onnx.Equal %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %1 = onnx.Less %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %2 = onnx.LessOrEqual %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %3 = onnx.Greater %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %4 = onnx.GreaterOrEqual %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0, %1, %2, %3, %4 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @compare_signed
// CHECK: tensor.empty(%{{.+}}) : tensor<?xi1>
// CHECK: arith.cmpi eq
// CHECK: arith.cmpi slt
// CHECK: arith.cmpi sle
// CHECK: arith.cmpi sgt
// CHECK: arith.cmpi sge

func.func @compare_signed(%a: tensor<?xi64>, %b: tensor<?xi64>) -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = onnx.Equal %a, %b : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi1>
  %1 = onnx.Less %a, %b : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi1>
  %2 = onnx.LessOrEqual %a, %b : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi1>
  %3 = onnx.Greater %a, %b : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi1>
  %4 = onnx.GreaterOrEqual %a, %b : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi1>
  return %0, %1, %2, %3, %4 : tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>
}

// -----

// CHECK-LABEL: func.func @compare_unsigned
// CHECK-SAME: tensor<4xi32>
// CHECK: arith.cmpi ult
// CHECK: arith.cmpi ule
// CHECK: arith.cmpi ugt
// CHECK: arith.cmpi uge

func.func @compare_unsigned(%a: tensor<4xui32>, %b: tensor<4xui32>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %1 = onnx.Less %a, %b : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xi1>
  %2 = onnx.LessOrEqual %a, %b : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xi1>
  %3 = onnx.Greater %a, %b : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xi1>
  %4 = onnx.GreaterOrEqual %a, %b : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xi1>
  return %1, %2, %3, %4 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @max_min_variadic
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]], #[[OUT]]]
// CHECK: ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: f32, %[[Z:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[M:.+]] = arith.maximumf %[[X]], %[[Y]] : f32
// CHECK: arith.maximumf %[[M]], %[[Z]] : f32
// CHECK: arith.minimumf
// CHECK: arith.minimumf

func.func @max_min_variadic(%a: tensor<2x1xf32>, %b: tensor<3xf32>, %c: tensor<f32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = onnx.Max %a, %b, %c : (tensor<2x1xf32>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = onnx.Min %a, %b, %c : (tensor<2x1xf32>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @max_min_int
// CHECK: arith.maxsi %{{.+}}, %{{.+}} : i32
// CHECK: arith.minui %{{.+}}, %{{.+}} : i8

func.func @max_min_int(%a: tensor<4xi32>, %b: tensor<4xi32>, %c: tensor<4xui8>, %d: tensor<4xui8>) -> (tensor<4xi32>, tensor<4xui8>) {
  %0 = onnx.Max %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %1 = onnx.Min %c, %d : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0, %1 : tensor<4xi32>, tensor<4xui8>
}

// -----

// CHECK-DAG: #[[COND:.+]] = affine_map<(d0, d1, d2, d3) -> (0, 0, d2, d3)>
// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0, d1, d2, d3) -> ()>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @where
// CHECK: linalg.generic {indexing_maps = [#[[COND]], #[[SCALAR]], #[[ID]], #[[ID]]]
// CHECK: ^bb0(%[[C:.+]]: i1, %[[X:.+]]: f32, %[[Y:.+]]: f32, %{{.+}}: f32):
// CHECK: arith.select %[[C]], %[[X]], %[[Y]] : f32

func.func @where(%c: tensor<1x1x4x4xi1>, %x: tensor<f32>, %y: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32> {
  %0 = onnx.Where %c, %x, %y : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
  return %0 : tensor<2x8x4x4xf32>
}

// -----

// CHECK-LABEL: func.func @unary_float
// CHECK: math.sqrt
// CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK: arith.divf %[[ONE]], %{{.+}} : f32
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: math.log
// CHECK: math.erf
// CHECK: math.tanh
// CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[NEG:.+]] = arith.negf %[[IN:.+]] : f32
// CHECK: %[[EXP:.+]] = math.exp %[[NEG]] : f32
// CHECK: %[[DEN:.+]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK: arith.divf %[[ONE]], %[[DEN]] : f32
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: arith.maximumf %{{.+}}, %[[ZERO]] : f32
// CHECK: math.absf
// CHECK: math.sin
// CHECK: %[[COS:.+]] = linalg.generic
// CHECK: math.cos
// CHECK: return %[[COS]]

func.func @unary_float(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = onnx.Sqrt %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %1 = onnx.Reciprocal %0 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = onnx.Neg %1 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %3 = onnx.Exp %2 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %4 = onnx.Log %3 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %5 = onnx.Erf %4 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %6 = onnx.Tanh %5 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %7 = onnx.Sigmoid %6 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %8 = onnx.Relu %7 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %9 = onnx.Abs %8 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %10 = onnx.Sin %9 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %11 = onnx.Cos %10 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %12 = onnx.Identity %11 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %12 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @unary_int
// CHECK: %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK: arith.subi %[[ZERO]], %{{.+}} : i32
// CHECK: arith.maxsi
// CHECK: math.absi
// CHECK: %[[F:.+]] = arith.sitofp %{{.+}} : i32 to f32
// CHECK: %[[E:.+]] = math.erf %[[F]] : f32
// CHECK: arith.fptosi %[[E]] : f32 to i32
// CHECK-NOT: math.absi
// CHECK: return

func.func @unary_int(%x: tensor<4xi32>, %u: tensor<4xui8>) -> (tensor<4xi32>, tensor<4xui8>) {
  %0 = onnx.Neg %x : (tensor<4xi32>) -> tensor<4xi32>
  %1 = onnx.Relu %0 : (tensor<4xi32>) -> tensor<4xi32>
  %2 = onnx.Abs %1 : (tensor<4xi32>) -> tensor<4xi32>
  %3 = onnx.Erf %2 : (tensor<4xi32>) -> tensor<4xi32>
  %4 = onnx.Abs %u : (tensor<4xui8>) -> tensor<4xui8>
  return %3, %4 : tensor<4xi32>, tensor<4xui8>
}

// -----

// CHECK-LABEL: func.func @cast_int_to_float
// CHECK: arith.sitofp %{{.+}} : i64 to f32
// CHECK: arith.uitofp %{{.+}} : i8 to f16
// CHECK: arith.uitofp %{{.+}} : i1 to f64

func.func @cast_int_to_float(%a: tensor<4xi64>, %b: tensor<4xui8>, %c: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xf16>, tensor<4xf64>) {
  %0 = onnx.Cast %a {to = f32} : (tensor<4xi64>) -> tensor<4xf32>
  %1 = onnx.Cast %b {to = f16} : (tensor<4xui8>) -> tensor<4xf16>
  %2 = onnx.Cast %c {to = f64} : (tensor<4xi1>) -> tensor<4xf64>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf16>, tensor<4xf64>
}

// -----

// CHECK-LABEL: func.func @cast_float_to_int
// CHECK: arith.fptosi %{{.+}} : f32 to i32
// CHECK: arith.fptoui %{{.+}} : f32 to i8
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: arith.cmpf une, %{{.+}}, %[[ZERO]] : f32

func.func @cast_float_to_int(%a: tensor<4xf32>) -> (tensor<4xi32>, tensor<4xui8>, tensor<4xi1>) {
  %0 = onnx.Cast %a {to = i32} : (tensor<4xf32>) -> tensor<4xi32>
  %1 = onnx.Cast %a {to = ui8} : (tensor<4xf32>) -> tensor<4xui8>
  %2 = onnx.Cast %a {to = i1} : (tensor<4xf32>) -> tensor<4xi1>
  return %0, %1, %2 : tensor<4xi32>, tensor<4xui8>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @cast_int_to_int
// CHECK-SAME: %[[U16:[^:]+]]: tensor<4xi16>
// CHECK: arith.extsi %{{.+}} : i32 to i64
// CHECK: arith.extui %{{.+}} : i16 to i64
// CHECK: arith.trunci %{{.+}} : i64 to i8
// CHECK: %[[ZERO:.+]] = arith.constant 0 : i64
// CHECK: arith.cmpi ne, %{{.+}}, %[[ZERO]] : i64
// CHECK: arith.extui %{{.+}} : i1 to i32
// CHECK: return {{.+}}, %[[U16]] :

func.func @cast_int_to_int(%a: tensor<4xi32>, %b: tensor<4xui16>, %c: tensor<4xi64>, %d: tensor<4xi1>) -> (tensor<4xi64>, tensor<4xi64>, tensor<4xi8>, tensor<4xi1>, tensor<4xi32>, tensor<4xi16>) {
  %0 = onnx.Cast %a {to = i64} : (tensor<4xi32>) -> tensor<4xi64>
  %1 = onnx.Cast %b {to = i64} : (tensor<4xui16>) -> tensor<4xi64>
  %2 = onnx.Cast %c {to = i8} : (tensor<4xi64>) -> tensor<4xi8>
  %3 = onnx.Cast %c {to = i1} : (tensor<4xi64>) -> tensor<4xi1>
  %4 = onnx.Cast %d {to = i32} : (tensor<4xi1>) -> tensor<4xi32>
  %5 = onnx.Cast %b {to = i16} : (tensor<4xui16>) -> tensor<4xi16>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi64>, tensor<4xi64>, tensor<4xi8>, tensor<4xi1>, tensor<4xi32>, tensor<4xi16>
}

// -----

// CHECK-LABEL: func.func @cast_float_to_float
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: arith.truncf %{{.+}} : f32 to bf16
// CHECK: %[[W:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK: arith.truncf %[[W]] : f32 to bf16
// CHECK: arith.truncf %{{.+}} : f64 to f32

func.func @cast_float_to_float(%a: tensor<?xf16>, %b: tensor<?xf32>, %c: tensor<?xf64>) -> (tensor<?xf32>, tensor<?xbf16>, tensor<?xbf16>, tensor<?xf32>) {
  %0 = onnx.Cast %a {to = f32} : (tensor<?xf16>) -> tensor<?xf32>
  %1 = onnx.Cast %b {to = bf16} : (tensor<?xf32>) -> tensor<?xbf16>
  %2 = onnx.Cast %a {to = bf16} : (tensor<?xf16>) -> tensor<?xbf16>
  %3 = onnx.Cast %c {to = f32} : (tensor<?xf64>) -> tensor<?xf32>
  return %0, %1, %2, %3 : tensor<?xf32>, tensor<?xbf16>, tensor<?xbf16>, tensor<?xf32>
}
