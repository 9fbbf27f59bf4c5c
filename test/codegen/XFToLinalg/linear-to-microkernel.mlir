// The f32 contraction that xf.linear becomes is one that
// xf-lower-contractions-to-microkernels turns into a call of the runtime's
// matmul once bufferized: the [N, K] weight goes as strides (no transpose
// copy) and the bias stays an elementwise loop nest after the call.

// RUN: xf-opt %s -pass-pipeline='builtin.module(xf-convert-xf-to-linalg,one-shot-bufferize{bufferize-function-boundaries},xf-lower-contractions-to-microkernels)' | FileCheck %s

// CHECK-LABEL: func.func @linear_bias
// CHECK: linalg.fill
// CHECK: call @xfrt_matmul_f32(
// CHECK-NOT: linalg.generic {{.+}} "reduction"
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel"]
// CHECK: arith.addf

func.func @linear_bias(%x: tensor<1x?x64xf32>, %w: tensor<128x64xf32>, %b: tensor<128xf32>) -> tensor<1x?x128xf32> {
  %y = xf.linear %x, %w, %b : (tensor<1x?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<1x?x128xf32>
  return %y : tensor<1x?x128xf32>
}
