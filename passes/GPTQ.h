//===- GPTQ.h - GPTQ weight quantization --------------------------*- C++ -*-===//
//
// GPTQ (Frantar, Ashkboos, Hoefler, Alistarh, 2022) for xf-quantize-weights:
// rounds a weight so as to keep the layer's output, not the weight itself,
// close on calibration inputs, given their mean Gram matrix H = E[x x^T].
// The packing is xf::quantizeWeights', so nothing downstream changes.
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_GPTQ_H
#define XF_PASSES_GPTQ_H

#include "xf/Kernels.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace xf {

/// The factor GPTQ propagates errors with: U upper triangular, row-major
/// [k, k], with U^T U = (H + d I)^-1, d = `dampFraction` of H's mean
/// diagonal. A zero diagonal entry (an input that is always 0) is set to 1
/// first. Doubles the damping, up to 4 times, while H + d I is not
/// positive definite; nothing if it still is not.
std::optional<std::vector<float>> gptqFactor(const double *hessian, int64_t k,
                                             double dampFraction = 0.01);

/// xf::quantizeWeights (same arguments, same outputs) with GPTQ: in each
/// row, columns are rounded in order; each rounding error e_p is divided by
/// U[p][p] and subtracted, times U[p][q], from every later column q. A
/// group's grid is fitted when its first column is reached, to the row as
/// corrected by then. As in the paper's lazy batch updates, the columns are
/// taken in blocks of whole groups (about 128 columns): the corrections
/// inside a block are applied column by column, those to the columns after
/// it at once, as one matmul (the runtime's xfrt_matmul_f32).
void quantizeWeightsGPTQ(const float *w, int64_t wN, int64_t wK, int64_t n,
                         int64_t k, int64_t bits, int64_t groupSize,
                         QuantScheme scheme, const std::vector<float> &factor,
                         uint8_t *codes, float *scales, void *zeroPoints);

/// a_j^T H a_j for each row a_j of the row-major [n, k] `a`, for the
/// row-major [k, k] symmetric `hessian` (their sum is tr(A H A^T)).
std::vector<double> gramWeightedRowNorms(const float *a, int64_t n, int64_t k,
                                         const float *hessian);

} // namespace xf

#endif // XF_PASSES_GPTQ_H
