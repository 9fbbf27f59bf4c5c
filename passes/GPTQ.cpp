//===- GPTQ.cpp - GPTQ weight quantization --------------------------------===//
//
// Each row of W is independent given U, so rows are the parallel work
// (llvm::parallelFor) and a row's update is one contiguous axpy per column.
// The factor comes from one Cholesky decomposition: with P the reversal
// permutation and P (H + d I) P = L L^T, U = P L^-1 P is upper triangular
// and U^T U = (H + d I)^-1.
//
//===----------------------------------------------------------------------===//

#include "passes/GPTQ.h"

#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cmath>

using namespace xf;

namespace {

/// sum a[i] * b[i] with independent partial sums, which the dependent
/// chain of a plain loop would leave latency-bound.
double dot(const double *a, const double *b, int64_t count) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= count; i += 8)
    for (int l = 0; l < 8; ++l)
      s[l] += a[i + l] * b[i + l];
  for (; i < count; ++i)
    s[0] += a[i] * b[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/// Lower Cholesky factor of the row-major [k, k] `a`, in place (the upper
/// triangle is left as it was). False when `a` is not positive definite.
bool choleskyInPlace(std::vector<double> &a, int64_t k) {
  for (int64_t j = 0; j < k; ++j) {
    double *rowJ = &a[j * k];
    double diagonal = rowJ[j] - dot(rowJ, rowJ, j);
    if (!(diagonal > 0.0))
      return false;
    double root = std::sqrt(diagonal);
    rowJ[j] = root;
    llvm::parallelFor(j + 1, k, [&](int64_t i) {
      double *rowI = &a[i * k];
      rowI[j] = (rowI[j] - dot(rowI, rowJ, j)) / root;
    });
  }
  return true;
}

} // namespace

std::optional<std::vector<float>> xf::gptqFactor(const double *hessian,
                                                 int64_t k,
                                                 double dampFraction) {
  double meanDiagonal = 0;
  for (int64_t i = 0; i < k; ++i)
    meanDiagonal += hessian[i * k + i];
  meanDiagonal /= double(k);
  if (!(meanDiagonal > 0.0))
    meanDiagonal = 1.0;
  for (int attempt = 0; attempt < 5; ++attempt, dampFraction *= 2) {
    double damp = dampFraction * meanDiagonal;
    // a = P (H + d I) P, reading H's lower triangle.
    std::vector<double> a(k * k, 0.0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j <= i; ++j) {
        double h = hessian[i * k + j];
        if (i == j && h == 0.0)
          h = 1.0;
        if (i == j)
          h += damp;
        int64_t ri = k - 1 - i, rj = k - 1 - j;
        a[rj * k + ri] = h; // (rj >= ri): the lower triangle of a
      }
    if (!choleskyInPlace(a, k))
      continue;
    // inverse = L^-1 (lower), column c by forward substitution, held
    // transposed so that each dot product reads two rows.
    std::vector<double> inverseT(k * k, 0.0); // inverseT[c][i] = L^-1[i][c]
    llvm::parallelFor(0, k, [&](int64_t c) {
      double *x = &inverseT[c * k];
      x[c] = 1.0 / a[c * k + c];
      for (int64_t i = c + 1; i < k; ++i) {
        const double *rowI = &a[i * k];
        x[i] = -dot(rowI + c, x + c, i - c) / rowI[i];
      }
    });
    // U[i][j] = L^-1[k-1-i][k-1-j] = inverseT[k-1-j][k-1-i], for j >= i.
    std::vector<float> factor(k * k, 0.0f);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = i; j < k; ++j)
        factor[i * k + j] = float(inverseT[(k - 1 - j) * k + (k - 1 - i)]);
    return factor;
  }
  return std::nullopt;
}

void xf::quantizeWeightsGPTQ(const float *w, int64_t wN, int64_t wK,
                             int64_t n, int64_t k, int64_t bits,
                             int64_t groupSize, QuantScheme scheme,
                             const std::vector<float> &factor, uint8_t *codes,
                             float *scales, void *zeroPoints) {
  int64_t rowBytes = quantizedRowBytes(k, bits);
  int64_t groups = (k + groupSize - 1) / groupSize;
  // Whole groups per block, so that a group is corrected in full before
  // its grid is fitted.
  int64_t block = groupSize >= 128 ? groupSize : (128 / groupSize) * groupSize;
  std::fill(codes, codes + n * rowBytes, 0);
  std::vector<float> rows(n * k);
  llvm::parallelFor(0, n, [&](int64_t j) {
    for (int64_t p = 0; p < k; ++p)
      rows[j * k + p] = w[j * wN + p * wK];
  });
  // The negated, scaled errors of the current block: [n, block].
  std::vector<float> errors(n * block);
  for (int64_t b0 = 0; b0 < k; b0 += block) {
    int64_t b1 = std::min(k, b0 + block);
    llvm::parallelFor(0, n, [&](int64_t j) {
      float *row = &rows[j * k];
      uint8_t *codeRow = codes + j * rowBytes;
      QuantGrid grid;
      for (int64_t p = b0; p < b1; ++p) {
        if (p % groupSize == 0) {
          grid = fitQuantGrid(&row[p], 1, std::min(k, p + groupSize) - p,
                              bits, scheme);
          grid.store(scales, zeroPoints, j * groups + p / groupSize);
        }
        int32_t code = grid.code(row[p]);
        storeQuantCode(codeRow, p, bits, code);
        const float *u = &factor[p * k];
        float error = (row[p] - grid.value(code)) / u[p];
        errors[j * block + (p - b0)] = -error;
        for (int64_t q = p + 1; q < b1; ++q)
          row[q] -= error * u[q];
      }
    });
    if (b1 == k)
      break;
    // rows[:, b1:] += (-errors) [n, b1 - b0] x U[b0:b1, b1:].
    auto address = [](const float *pointer) {
      return static_cast<int64_t>(reinterpret_cast<intptr_t>(pointer));
    };
    xfrt_matmul_f32(1, 1, n, k - b1, b1 - b0, address(errors.data()), 0, 0,
                    block, 1, address(&factor[b0 * k + b1]), 0, 0, k, 1,
                    address(&rows[b1]), 0, 0, k, 1);
  }
}

std::vector<double> xf::gramWeightedRowNorms(const float *a, int64_t n,
                                             int64_t k, const float *hessian) {
  constexpr int64_t kChunk = 1024;
  std::vector<float> product(std::min(n, kChunk) * k);
  auto address = [](const float *pointer) {
    return static_cast<int64_t>(reinterpret_cast<intptr_t>(pointer));
  };
  std::vector<double> norms(n, 0.0);
  for (int64_t r0 = 0; r0 < n; r0 += kChunk) {
    int64_t rows = std::min(kChunk, n - r0);
    std::fill(product.begin(), product.end(), 0.0f);
    // product = A[r0:r0+rows] x H.
    xfrt_matmul_f32(1, 1, rows, k, k, address(a + r0 * k), 0, 0, k, 1,
                    address(hessian), 0, 0, k, 1, address(product.data()), 0,
                    0, k, 1);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t p = 0; p < k; ++p)
        norms[r0 + r] += double(product[r * k + p]) * a[(r0 + r) * k + p];
  }
  return norms;
}
