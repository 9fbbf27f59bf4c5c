//===- Quantize.cpp - the weight quantizer xf-quantize-weights packs with --===//
//
// Group grids (xf::QuantGrid), xf::quantizeWeights and the scalar
// dequantization the kernel tests check against. The compiler links this
// very code, so the packing it writes is by construction the one the
// kernels read.
//
//===----------------------------------------------------------------------===//

#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace xf;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// round(x) (ties to even, as std::nearbyint in the default rounding mode)
/// plus `offset` (a whole number), clamped to [lo, hi]. Without nearbyint's
/// library call, which saves and restores the floating-point environment
/// on baseline x86-64 (no roundss) and was most of the packing's time:
/// x is clamped to +-2^22 first (which cannot change the clamped result),
/// where adding and subtracting 1.5 * 2^23 rounds exactly (IEEE arithmetic,
/// no -ffast-math here, so it is not folded away), and the whole is
/// branchless, so the loops over a group vectorize. Clamping as floats also
/// avoids converting an out-of-range float to int32 (undefined; x86 gives
/// INT_MIN, which made a huge positive weight the lowest code).
inline int32_t roundedCode(float x, int32_t lo, int32_t hi,
                           float offset = 0.0f) {
  x = std::fmin(std::fmax(x, -0x1p22f), 0x1p22f);
  float r = ((x + 0x1.8p23f) - 0x1.8p23f) + offset;
  return int32_t(std::fmax(float(lo), std::fmin(float(hi), r)));
}

/// FloatZeroPoint for one group of `count` weights `at(0..count)`: the
/// min/max grid, then up to two least-squares refits of (scale, min) to
/// the codes the last grid gave, keeping the grid of least squared error.
/// Each grid's codes are computed once, for its error and the next refit.
template <typename At>
void fitScaleAndMin(At at, int64_t count, int32_t qmax, float &scale,
                    float &min) {
  thread_local std::vector<float> values;
  thread_local std::vector<int32_t> codes;
  values.resize(count);
  codes.resize(count);
  float *v = values.data();
  int32_t *q = codes.data();
  for (int64_t p = 0; p < count; ++p)
    v[p] = at(p);
  float mn = v[0], mx = v[0];
  for (int64_t p = 1; p < count; ++p) {
    mn = std::min(mn, v[p]);
    mx = std::max(mx, v[p]);
  }
  min = mn;
  scale = (mx - mn) / float(qmax);
  if (scale == 0.0f)
    return;
  auto setCodes = [&](float s, float m) {
    for (int64_t p = 0; p < count; ++p)
      q[p] = roundedCode((v[p] - m) / s, 0, qmax);
  };
  auto squaredError = [&](float s, float m) {
    double e = 0.0;
    for (int64_t p = 0; p < count; ++p) {
      double d = double(s) * q[p] + m - v[p];
      e += d * d;
    }
    return e;
  };
  setCodes(scale, min);
  double best = squaredError(scale, min);
  float s = scale, m = min;
  for (int round = 0; round < 2 && best > 0.0; ++round) {
    // q holds the codes of (s, m), the grid kept last.
    double sq = 0, sw = 0, sqq = 0, sqw = 0;
    for (int64_t p = 0; p < count; ++p) {
      double c = q[p], w = v[p];
      sq += c;
      sw += w;
      sqq += c * c;
      sqw += c * w;
    }
    double det = double(count) * sqq - sq * sq;
    if (det <= 0.0)
      break;
    double fitScale = (double(count) * sqw - sq * sw) / det;
    if (!(fitScale > 0.0))
      break;
    s = float(fitScale);
    m = float((sw - fitScale * sq) / double(count));
    setCodes(s, m);
    double error = squaredError(s, m);
    if (!(error < best))
      break;
    best = error;
    scale = s;
    min = m;
  }
}

} // namespace

int32_t QuantGrid::code(float w) const {
  if (scale == 0.0f)
    return scheme == QuantScheme::IntegerZeroPoint ? int32_t(zero) : 0;
  if (scheme == QuantScheme::FloatZeroPoint)
    return roundedCode((w - min) / scale, lo, hi);
  float inverse = 1.0f / scale;
  // zero is a whole number: added after rounding, as before.
  return roundedCode(w * inverse, lo, hi, zero);
}

float QuantGrid::value(int32_t code) const {
  if (scheme == QuantScheme::FloatZeroPoint)
    return scale * (float(code) - zero);
  if (scheme == QuantScheme::IntegerZeroPoint)
    code -= int32_t(zero);
  return scale * float(code);
}

void QuantGrid::store(float *scales, void *zeroPoints, int64_t index) const {
  scales[index] = scale;
  if (scheme == QuantScheme::FloatZeroPoint)
    static_cast<float *>(zeroPoints)[index] = zero;
  else if (scheme == QuantScheme::IntegerZeroPoint)
    static_cast<uint8_t *>(zeroPoints)[index] = uint8_t(zero);
}

QuantGrid xf::fitQuantGrid(const float *w, int64_t stride, int64_t count,
                           int64_t bits, QuantScheme scheme) {
  auto at = [&](int64_t p) { return w[p * stride]; };
  int32_t qmax = bits == 8 ? 255 : 15;
  QuantGrid grid;
  grid.scheme = scheme;
  if (scheme == QuantScheme::FloatZeroPoint) {
    grid.lo = 0;
    grid.hi = qmax;
    fitScaleAndMin(at, count, qmax, grid.scale, grid.min);
    if (grid.scale == 0.0f && grid.min != 0.0f) {
      // A constant group: code 0 and scale |min| give min exactly.
      grid.scale = std::fabs(grid.min);
      grid.zero = grid.min > 0.0f ? -1.0f : 1.0f;
      grid.min = -grid.scale * grid.zero;
    } else if (grid.scale != 0.0f) {
      grid.zero = -grid.min / grid.scale;
    }
    return grid;
  }
  if (scheme == QuantScheme::Symmetric) {
    grid.lo = bits == 8 ? -128 : -8;
    grid.hi = bits == 8 ? 127 : 7;
    float extreme = 0.0f;
    for (int64_t p = 0; p < count; ++p)
      if (std::fabs(at(p)) > std::fabs(extreme))
        extreme = at(p);
    grid.scale = bits == 8 ? std::fabs(extreme) / 127.0f : -extreme / 8.0f;
    return grid;
  }
  grid.lo = 0;
  grid.hi = qmax;
  float mn = 0.0f, mx = 0.0f;
  for (int64_t p = 0; p < count; ++p) {
    mn = std::min(mn, at(p));
    mx = std::max(mx, at(p));
  }
  grid.scale = (mx - mn) / float(qmax);
  if (grid.scale != 0.0f)
    grid.zero = float(roundedCode(-mn / grid.scale, grid.lo, grid.hi));
  return grid;
}

namespace {
/// quantizeWeights' arguments, for the pool's items of kQuantizeRows rows.
struct QuantizeJob {
  const float *w;
  int64_t wN, wK, n, k, bits, groupSize, rowBytes, groups;
  QuantScheme scheme;
  uint8_t *codes;
  float *scales;
  void *zeroPoints;
};
constexpr int64_t kQuantizeRows = 16;

void quantizeRows(void *context, int64_t item) {
  const QuantizeJob &job = *static_cast<const QuantizeJob *>(context);
  int64_t begin = item * kQuantizeRows;
  int64_t end = std::min(job.n, begin + kQuantizeRows);
  // A K x N source (a MatMul's B) has a row's weights N apart: the item's
  // rows are first copied out contiguously, reading each line of the source
  // once for all of them; weight by weight, every read was a cache miss
  // (most of the packing's time at 1B).
  const float *w = job.w;
  int64_t wN = job.wN, wK = job.wK;
  thread_local std::vector<float> rows;
  if (wK != 1) {
    rows.resize((end - begin) * job.k);
    for (int64_t p = 0; p < job.k; ++p)
      for (int64_t j = begin; j < end; ++j)
        rows[(j - begin) * job.k + p] = job.w[j * job.wN + p * job.wK];
    w = rows.data() - begin * job.k;
    wN = job.k;
    wK = 1;
  }
  for (int64_t j = begin; j < end; ++j) {
    uint8_t *row = job.codes + j * job.rowBytes;
    for (int64_t g = 0; g < job.groups; ++g) {
      int64_t k0 = g * job.groupSize, k1 = std::min(job.k, k0 + job.groupSize);
      const float *group = w + j * wN + k0 * wK;
      QuantGrid grid = fitQuantGrid(group, wK, k1 - k0, job.bits, job.scheme);
      grid.store(job.scales, job.zeroPoints, j * job.groups + g);
      for (int64_t p = k0; p < k1; ++p)
        storeQuantCode(row, p, job.bits, grid.code(group[(p - k0) * wK]));
    }
  }
}
} // namespace

void xf::quantizeWeights(const float *w, int64_t wN, int64_t wK, int64_t n,
                         int64_t k, int64_t bits, int64_t groupSize,
                         QuantScheme scheme, uint8_t *codes, float *scales,
                         void *zeroPoints) {
  int64_t rowBytes = quantizedRowBytes(k, bits);
  std::memset(codes, 0, n * rowBytes);
  // Rows are independent (each writes its own codes and grids), and one
  // thread takes minutes on a 7B model: the FloatZeroPoint refits make
  // about 18 M weights/s (issue 20).
  QuantizeJob job{w, wN, wK, n, k, bits, groupSize, rowBytes,
                  ceilDiv(k, groupSize), scheme, codes, scales, zeroPoints};
  parallelFor(ceilDiv(n, kQuantizeRows), quantizeRows, &job);
}

float xf::dequantizeWeight(const uint8_t *codes, const float *scales,
                           const void *zeroPoints, QuantScheme scheme,
                           int64_t k, int64_t bits, int64_t groupSize,
                           int64_t j, int64_t p) {
  const uint8_t *row = codes + j * quantizedRowBytes(k, bits);
  int64_t g = p / groupSize, groups = ceilDiv(k, groupSize);
  bool isSigned = scheme == QuantScheme::Symmetric;
  int32_t q;
  if (bits == 8) {
    q = isSigned ? int32_t(int8_t(row[p])) : int32_t(row[p]);
  } else {
    uint8_t nibble = p & 1 ? row[p / 2] >> 4 : row[p / 2] & 0xF;
    q = isSigned ? int32_t(nibble ^ 8) - 8 : int32_t(nibble);
  }
  float scale = scales[j * groups + g];
  if (scheme == QuantScheme::FloatZeroPoint)
    return scale *
           (float(q) - static_cast<const float *>(zeroPoints)[j * groups + g]);
  if (scheme == QuantScheme::IntegerZeroPoint)
    q -= int32_t(static_cast<const uint8_t *>(zeroPoints)[j * groups + g]);
  return scale * float(q);
}
