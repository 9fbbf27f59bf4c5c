// xf.attention (lowered by xf-lower-attention) and xf.paged_attention (no
// lowering yet) are left alone; the ops around them are lowered.

// RUN: xf-opt %s -split-input-file -xf-convert-xf-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @attention
// CHECK: %[[O:.+]] = xf.attention %{{.+}}, %{{.+}}, %{{.+}} mask %{{.+}} scale = 1.250000e-01 causal
// CHECK: linalg.generic {{.+}} ins(%[[O]] : tensor<1x4x?x8xf32>)
// CHECK: math.exp
// CHECK-NOT: xf.silu

func.func @attention(%q: tensor<1x4x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %m: tensor<1x1x?x?xf32>) -> tensor<1x4x?x8xf32> {
  %o = xf.attention %q, %k, %v mask %m scale = 1.250000e-01 causal : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) -> tensor<1x4x?x8xf32>
  %y = xf.silu %o : tensor<1x4x?x8xf32>
  return %y : tensor<1x4x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @paged_attention
// CHECK: xf.paged_attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} scale = 1.250000e-01 causal

func.func @paged_attention(%q: tensor<4x32x1x64xf16>, %kp: tensor<?x8x16x64xf16>, %vp: tensor<?x8x16x64xf16>, %bt: tensor<4x?xi32>, %lens: tensor<4xi32>) -> tensor<4x32x1x64xf16> {
  %o = xf.paged_attention %q, %kp, %vp, %bt, %lens scale = 1.250000e-01 causal : (tensor<4x32x1x64xf16>, tensor<?x8x16x64xf16>, tensor<?x8x16x64xf16>, tensor<4x?xi32>, tensor<4xi32>) -> tensor<4x32x1x64xf16>
  return %o : tensor<4x32x1x64xf16>
}
