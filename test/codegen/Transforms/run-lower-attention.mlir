// Numerics of the flash-attention lowering with tiles smaller than the
// problem (2 queries x 2 keys per tile over 3 queries x 5 keys): grouped
// heads (2 query heads share 1 key/value head), causal with the queries at
// the end of the keys, an additive padding mask. Expected values are from
// numpy in float64 (test/codegen/Transforms/Inputs/gen_attention.py); the
// CHECK lines compare the first three decimals (float32 against float64).

// RUN: xf-opt %s -pass-pipeline='builtin.module(func.func(xf-lower-attention{query-tile=2 kv-tile=2}),one-shot-bufferize{bufferize-function-boundaries},func.func(scf-forall-to-for),convert-linalg-to-loops,expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-math-to-llvm,convert-arith-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts)' \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_runner_utils.so \
// RUN: | FileCheck %s

// The same through the whole CPU pipeline: the (batch, head, query tile)
// loop runs on the runtime's thread pool and the tile products call the
// runtime's matmul kernel.
// RUN: xf-opt %s -pass-pipeline='builtin.module(xf-cpu-pipeline)' \
// RUN: | env XF_NUM_THREADS=2 mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%xfrt_kernels,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_runner_utils.so \
// RUN: | FileCheck %s

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %q = arith.constant dense<[[[[-0.8287017  , -0.526379   ,  0.60254896 ,  0.16432407 ],   [-0.8117427  , -0.13374612 , -0.041897405, -0.68052214 ],   [ 0.4691543  , -0.77265596 , -0.21754362 ,  0.033480365]],  [[-0.13874395 ,  0.17359714 ,  0.47567558 ,  0.91253453 ],   [-0.43159768 ,  0.2970944  ,  0.392432   , -0.4145585  ],   [-0.9970198  ,  0.9469206  , -0.40319756 , -0.372028   ]]]]> : tensor<1x2x3x4xf32>
  %k = arith.constant dense<[[[[ 0.7834221 ,  0.17032588, -0.05738067,  0.546554  ],   [-0.939308  ,  0.41393018, -0.25151232, -0.8182946 ],   [ 0.32100013,  0.86292773, -0.58561766,  0.2601804 ],   [-0.40367383,  0.48351336,  0.44432962, -0.56256914],   [ 0.65977377,  0.31530443,  0.3655978 ,  0.6401515 ]]]]> : tensor<1x1x5x4xf32>
  %v = arith.constant dense<[[[[-0.1428542  ,  0.51741093 ,  0.7569604  , -0.79536015 ],   [ 0.6995367  , -0.21214533 , -0.040632155, -0.7073309  ],   [ 0.3968527  , -0.41604277 ,  0.7422783  , -0.44925123 ],   [ 0.12361944 , -0.20068756 ,  0.22581898 , -0.6067215  ],   [-0.6394249  ,  0.49372077 ,  0.50444686 ,  0.13395575 ]]]]> : tensor<1x1x5x4xf32>
  %m = arith.constant dense<[[[[ 0.e+00, -1.e+09,  0.e+00,  0.e+00,  0.e+00]]]]> : tensor<1x1x1x5xf32>
  %causal = xf.attention %q, %k, %v mask %m scale = 5.000000e-01 causal
      : (tensor<1x2x3x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x1x5xf32>) -> tensor<1x2x3x4xf32>
  %plain = xf.attention %q, %k, %v scale = 5.000000e-01
      : (tensor<1x2x3x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32>) -> tensor<1x2x3x4xf32>
  %0 = tensor.cast %causal : tensor<1x2x3x4xf32> to tensor<*xf32>
  %1 = tensor.cast %plain : tensor<1x2x3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%0) : (tensor<*xf32>) -> ()
  call @printMemrefF32(%1) : (tensor<*xf32>) -> ()
  return
}

// CHECK: 0.103{{[0-9]*}}, 0.091{{[0-9]*}}, 0.750{{[0-9]*}}, -0.637{{[0-9]*}}
// CHECK: 0.142{{[0-9]*}}, -0.104{{[0-9]*}}, 0.487{{[0-9]*}}, -0.603{{[0-9]*}}
// CHECK: -0.105{{[0-9]*}}, 0.162{{[0-9]*}}, 0.582{{[0-9]*}}, -0.428{{[0-9]*}}
// CHECK: 0.104{{[0-9]*}}, 0.088{{[0-9]*}}, 0.750{{[0-9]*}}, -0.636{{[0-9]*}}
// CHECK: 0.136{{[0-9]*}}, -0.085{{[0-9]*}}, 0.506{{[0-9]*}}, -0.607{{[0-9]*}}
// CHECK: 0.047{{[0-9]*}}, -0.046{{[0-9]*}}, 0.518{{[0-9]*}}, -0.466{{[0-9]*}}
// CHECK: 0.124{{[0-9]*}}, 0.012{{[0-9]*}}, 0.363{{[0-9]*}}, -0.503{{[0-9]*}}
// CHECK: 0.254{{[0-9]*}}, -0.074{{[0-9]*}}, 0.297{{[0-9]*}}, -0.556{{[0-9]*}}
// CHECK: 0.021{{[0-9]*}}, 0.103{{[0-9]*}}, 0.483{{[0-9]*}}, -0.472{{[0-9]*}}
// CHECK: -0.012{{[0-9]*}}, 0.107{{[0-9]*}}, 0.486{{[0-9]*}}, -0.433{{[0-9]*}}
// CHECK: 0.166{{[0-9]*}}, -0.028{{[0-9]*}}, 0.357{{[0-9]*}}, -0.517{{[0-9]*}}
// CHECK: 0.279{{[0-9]*}}, -0.105{{[0-9]*}}, 0.319{{[0-9]*}}, -0.552{{[0-9]*}}
