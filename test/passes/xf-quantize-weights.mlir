// RUN: xf-opt %s -split-input-file -xf-quantize-weights | FileCheck %s --check-prefix=INT8
// RUN: xf-opt %s -split-input-file -xf-quantize-weights='bits=4 group-size=2 scheme=symmetric' | FileCheck %s --check-prefix=INT4
// RUN: xf-opt %s -split-input-file -xf-quantize-weights='bits=4 group-size=4' | FileCheck %s --check-prefix=ASYM
// RUN: xf-opt %s -split-input-file -xf-quantize-weights='bits=8 scheme=asymmetric' | FileCheck %s --check-prefix=ASYM8
// RUN: xf-opt %s -split-input-file -xf-quantize-weights='keep-fp32=embeddings,lm_head' | FileCheck %s --check-prefix=KEEP
// RUN: xf-opt %s -split-input-file -xf-quantize-weights -xf-outline-weights | FileCheck %s --check-prefix=OUTLINE
// RUN: xf-opt %s -split-input-file -xf-quantize-weights='bits=4 head-bits=8' | FileCheck %s --check-prefix=HEAD

// A [2, 4] weight: row 0 is 1, -2, 0.5, 127 (int8: scale 1, codes 1, -2, 0
// (0.5 rounds to even), 127), row 1 zeros (scale 0). The f32 constant is
// gone; the codes, scales (and zero points) are new dense resources.
// INT8-LABEL: func.func @main
// INT8-NOT:     dense_resource<w0> :
// INT8-DAG:     %[[Q:.+]] = onnx.Constant {value = dense_resource<w0.q8> : tensor<2x4xi8>}
// INT8-DAG:     %[[S:.+]] = onnx.Constant {value = dense_resource<w0.q8.scales> : tensor<2x1xf32>}
// INT8:         xf.qlinear %arg0, %[[Q]], %[[S]] bias %arg1 bits = 8 group_size = 128 symmetric int8_activations
// INT8-NOT:     xf.linear
// INT8:         w0.q8: "0x0100000001FE007F00000000"
// INT8:         w0.q8.scales: "0x040000000000803F00000000"

// int4 in groups of 2: row 0's groups (1, -2) and (0.5, 127): scales
// -2 / -8 = 0.25 -> codes 4, -8 (0x84); 127 / -8 -> codes 0 (0.5 / -15.875
// rounds to -0), -8 (0x80).
// INT4-LABEL: func.func @main
// INT4:         xf.qlinear %arg0, %{{.+}}, %{{.+}} bias %arg1 bits = 4 group_size = 2 symmetric int8_activations
// INT4-SAME:    tensor<2x2xi8>, tensor<2x2xf32>
// INT4:         w0.q4: "0x0100000084800000"

// int4 by default is asymmetric with f32 zero points, in one group of 4:
// [min, max] = [-2, 127], scale 129 / 15 = 8.6 gives codes 0, 0, 0, 15;
// the least-squares refit to those codes (min the mean of 1, -2, 0.5, scale
// (127 - min) / 15) has less error and is kept: codes 0x00, 0xF0.
// ASYM-LABEL: func.func @main
// ASYM:         xf.qlinear %arg0, %{{.+}}, %{{.+}} zero_points %{{.+}} bias %arg1 bits = 4 group_size = 4 int8_activations {
// ASYM-SAME:    tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xf32>
// ASYM:         w0.q4: "0x0100000000F00000"
// ASYM8-LABEL: func.func @main
// ASYM8:        xf.qlinear %arg0, %{{.+}}, %{{.+}} zero_points %{{.+}} bias %arg1 bits = 8 group_size = 128 int8_activations {
// ASYM8-SAME:   tensor<2x4xi8>, tensor<2x1xf32>, tensor<2x1xf32>

// The outliner then writes only packed weights.
// OUTLINE-LABEL: func.func @main
// OUTLINE-SAME:    xf.weight = "w0.q8"
// OUTLINE-SAME:    xf.weight = "w0.q8.scales"
// OUTLINE-NOT:     xf.weight = "w0"
// A linear whose result is returned is the LM head: head-bits applies, with
// that width's default group size.
// HEAD-LABEL: func.func @main
// HEAD:         xf.qlinear {{.+}} bits = 8 group_size = 128 symmetric
func.func @main(%x: tensor<?x4xf32>, %b: tensor<2xf32>) -> tensor<?x2xf32> {
  %w = onnx.Constant {value = dense_resource<w0> : tensor<2x4xf32>} : tensor<2x4xf32>
  %y = xf.linear %x, %w, %b : (tensor<?x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F000000C00000003F0000FE4200000000000000000000000000000000"
    }
  }
#-}

// -----

// A MatMul weight: Transpose of a [K, N] = [4, 2] constant, quantized
// transposed (the same [N, K] rows as above); the Transpose goes too. An
// inline weight works as a resource does.
// INT8-LABEL: func.func @main
// INT8-NOT:     onnx.Transpose
// INT8:         xf.qlinear {{.+}} : (tensor<1x?x4xf32>, tensor<2x4xi8>, tensor<2x1xf32>) -> tensor<1x?x2xf32>
// INT8:         weight.q8: "0x0100000001FE007F00000000"
func.func @main(%x: tensor<1x?x4xf32>) -> tensor<1x?x2xf32> {
  %w = onnx.Constant {value = dense<[[1.0, 0.0], [-2.0, 0.0], [0.5, 0.0], [127.0, 0.0]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %t = onnx.Transpose %w {perm = [1, 0]} : (tensor<4x2xf32>) -> tensor<2x4xf32>
  %y = xf.linear %x, %t : (tensor<1x?x4xf32>, tensor<2x4xf32>) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

// A tied LM head: the embedding Gather becomes an xf.qembedding on the
// head's packed table (one copy, the f32 table gone). A weight that is not
// a constant stays an xf.linear.
// INT8-LABEL: func.func @main
// INT8-NOT:     dense_resource<table> :
// INT8:         %[[T:.+]] = onnx.Constant {value = dense_resource<table.q8> : tensor<3x4xi8>}
// INT8:         %[[S:.+]] = onnx.Constant {value = dense_resource<table.q8.scales> : tensor<3x1xf32>}
// INT8:         xf.qembedding %arg0, %[[T]], %[[S]] bits = 8 group_size = 128 symmetric : (tensor<1x?xi64>, tensor<3x4xi8>, tensor<3x1xf32>) -> tensor<1x?x4xf32>
// INT8:         xf.qlinear %{{.+}}, %[[T]], %[[S]]
// INT8:         xf.qlinear {{.+}} tensor<4x4xi8>
// INT8:         xf.linear %{{.+}}, %arg1
// The hidden layer (not returned) keeps `bits`; the table follows the head.
// HEAD-LABEL: func.func @main
// HEAD-LABEL: func.func @main
// HEAD:         xf.qembedding {{.+}} bits = 8 group_size = 128 symmetric
// HEAD:         xf.qlinear {{.+}} bits = 8 group_size = 128 symmetric
// HEAD:         %[[H:.+]] = xf.qlinear {{.+}} bits = 4 group_size = 32 int8_activations {
// HEAD:         xf.linear %[[H]]
// keep-fp32: the Gather and the head stay f32, the hidden layer does not.
// KEEP-LABEL: func.func @main
// KEEP-LABEL: func.func @main
// KEEP:         onnx.Gather
// KEEP:         xf.linear %{{.+}}, %{{.+}} :
// KEEP:         xf.qlinear
func.func @main(%ids: tensor<1x?xi64>, %w: tensor<3x4xf32>) -> (tensor<1x?x3xf32>, tensor<1x?x3xf32>) {
  %table = onnx.Constant {value = dense_resource<table> : tensor<3x4xf32>} : tensor<3x4xf32>
  %sq = onnx.Constant {value = dense<0.5> : tensor<4x4xf32>} : tensor<4x4xf32>
  %h = onnx.Gather %table, %ids : (tensor<3x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
  %logits = xf.linear %h, %table : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  %hidden = xf.linear %h, %sq : (tensor<1x?x4xf32>, tensor<4x4xf32>) -> tensor<1x?x4xf32>
  %other = xf.linear %hidden, %w : (tensor<1x?x4xf32>, tensor<3x4xf32>) -> tensor<1x?x3xf32>
  return %logits, %other : tensor<1x?x3xf32>, tensor<1x?x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      table: "0x040000000000803F000000400000404000008040000080BF000000C0000040C0000080C00000003F0000003F0000003F0000003F"
    }
  }
#-}

// -----

// The GenAI builder's tied form: one [K, N] initializer, read by the head
// and, transposed, by the lookup. Both share one packing; no f32 copy stays.
// INT8-LABEL: func.func @main
// INT8-NOT:     dense_resource<head> :
// INT8-NOT:     onnx.Gather
// INT8:         %[[T:.+]] = onnx.Constant {value = dense_resource<head.q8> : tensor<2x3xi8>}
// INT8:         xf.qembedding %arg0, %[[T]], %{{.+}} bits = 8
// INT8:         xf.qlinear %{{.+}}, %[[T]],
// INT8-NOT:     onnx.Transpose
func.func @main(%ids: tensor<1x?xi64>) -> tensor<1x?x2xf32> {
  %head = onnx.Constant {value = dense_resource<head> : tensor<3x2xf32>} : tensor<3x2xf32>
  %table = onnx.Transpose %head {perm = [1, 0]} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %h = onnx.Gather %table, %ids : (tensor<2x3xf32>, tensor<1x?xi64>) -> tensor<1x?x3xf32>
  %t = onnx.Transpose %head {perm = [1, 0]} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %logits = xf.linear %h, %t : (tensor<1x?x3xf32>, tensor<2x3xf32>) -> tensor<1x?x2xf32>
  return %logits : tensor<1x?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      head: "0x040000000000803F0000803F00000040000080BF00004040000000C0"
    }
  }
#-}

// -----

// An untied copy: the head reads a [K, N] initializer equal to the table
// transposed (how exporters write a tied head); the table's lookup shares
// the head's packing, so neither f32 copy stays. A different table would
// get its own.
// INT8-LABEL: func.func @main
// INT8-NOT:     dense_resource<table> :
// INT8-NOT:     dense_resource<head> :
// INT8:         %[[T:.+]] = onnx.Constant {value = dense_resource<head.q8> : tensor<2x3xi8>}
// INT8:         xf.qembedding %arg0, %[[T]], %{{.+}} bits = 8
// INT8:         xf.qlinear %{{.+}}, %[[T]],
func.func @main(%ids: tensor<1x?xi64>) -> tensor<1x?x2xf32> {
  %table = onnx.Constant {value = dense_resource<table> : tensor<2x3xf32>} : tensor<2x3xf32>
  %head = onnx.Constant {value = dense_resource<head> : tensor<3x2xf32>} : tensor<3x2xf32>
  %h = onnx.Gather %table, %ids : (tensor<2x3xf32>, tensor<1x?xi64>) -> tensor<1x?x3xf32>
  %t = onnx.Transpose %head {perm = [1, 0]} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %logits = xf.linear %h, %t : (tensor<1x?x3xf32>, tensor<2x3xf32>) -> tensor<1x?x2xf32>
  return %logits : tensor<1x?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      table: "0x040000000000803F00000040000040400000803F000080BF000000C0",
      head: "0x040000000000803F0000803F00000040000080BF00004040000000C0"
    }
  }
#-}

// -----

// The GenAI builder's tied form in 16 bits (xf-promote-to-f32 keeps the
// initializer f16; the lookup widens its rows): one packing for both.
// INT8-LABEL: func.func @main
// INT8-NOT:     dense_resource<head16> :
// INT8:         %[[T:.+]] = onnx.Constant {value = dense_resource<head16.q8> : tensor<2x3xi8>}
// INT8:         xf.qembedding %arg0, %[[T]], %{{.+}} bits = 8
// INT8:         xf.qlinear %{{.+}}, %[[T]],
// INT8-NOT:     .q8>
func.func @main(%ids: tensor<1x?xi64>) -> tensor<1x?x2xf32> {
  %head = onnx.Constant {value = dense_resource<head16> : tensor<3x2xf16>} : tensor<3x2xf16>
  %table = onnx.Transpose %head {perm = [1, 0]} : (tensor<3x2xf16>) -> tensor<2x3xf16>
  %g = onnx.Gather %table, %ids : (tensor<2x3xf16>, tensor<1x?xi64>) -> tensor<1x?x3xf16>
  %h = onnx.Cast %g {to = f32} : (tensor<1x?x3xf16>) -> tensor<1x?x3xf32>
  %t = onnx.Transpose %head {perm = [1, 0]} : (tensor<3x2xf16>) -> tensor<2x3xf16>
  %logits = xf.linear %h, %t : (tensor<1x?x3xf32>, tensor<2x3xf16>) -> tensor<1x?x2xf32>
  return %logits : tensor<1x?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      head16: "0x04000000003C003C0040BC000042C000"
    }
  }
#-}

// -----

// An untied 16-bit copy (the head's initializer equal to the table
// transposed) shares the packing too, compared value by value.
// INT8-LABEL: func.func @main
// INT8-NOT:     dense_resource<table16> :
// INT8:         %[[T:.+]] = onnx.Constant {value = dense_resource<head16.q8> : tensor<2x3xi8>}
// INT8:         xf.qembedding %arg0, %[[T]], %{{.+}} bits = 8
// INT8:         xf.qlinear %{{.+}}, %[[T]],
// INT8-NOT:     .q8>
func.func @main(%ids: tensor<1x?xi64>) -> tensor<1x?x2xf32> {
  %table = onnx.Constant {value = dense_resource<table16> : tensor<2x3xf16>} : tensor<2x3xf16>
  %head = onnx.Constant {value = dense_resource<head16> : tensor<3x2xf16>} : tensor<3x2xf16>
  %g = onnx.Gather %table, %ids : (tensor<2x3xf16>, tensor<1x?xi64>) -> tensor<1x?x3xf16>
  %h = onnx.Cast %g {to = f32} : (tensor<1x?x3xf16>) -> tensor<1x?x3xf32>
  %t = onnx.Transpose %head {perm = [1, 0]} : (tensor<3x2xf16>) -> tensor<2x3xf16>
  %logits = xf.linear %h, %t : (tensor<1x?x3xf32>, tensor<2x3xf16>) -> tensor<1x?x2xf32>
  return %logits : tensor<1x?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      table16: "0x04000000003C00400042003CBC00C000",
      head16: "0x04000000003C003C0040BC000042C000"
    }
  }
#-}
