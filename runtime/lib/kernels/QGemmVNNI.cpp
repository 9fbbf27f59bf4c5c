//===- QGemmVNNI.cpp - int8/int4 x int8 GEMM on AVX-512 VNNI --------------===//
//
// Many rows of A (prefill) on a CPU with AVX-512 VNNI: A's rows quantized to
// int8 in blocks of 32 (as decode's rows are, QMatmulTile.h), and W's rows
// repacked once per panel into vpdpbusd's operand layout: for every 4
// consecutive k, the 4 unsigned codes of 16 W rows side by side in one zmm.
// One vpdpbusd with A's 4 codes broadcast then makes 64 multiply-adds, four
// times an f32 FMA's 16, into int32 sums with the columns of C in the lanes;
// once per block of 32 k they are converted, scaled by the activation's
// block scale and W's group scales (one vector per 16 columns), and summed
// in f32. The bias of signed codes and the zero points come off once per
// group: scale * (z + bias) * (the sum of the group's activations).
//
// Compiled with AVX-512 VNNI and BMI2 flags (runtime/CMakeLists.txt);
// QMatmul.cpp calls it only where the CPU has them.
//
//===----------------------------------------------------------------------===//

#include "QMatmulTile.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace xf::kernels::vnni {
namespace {

constexpr int64_t kBlock = kActivationBlock;
/// Register tile: kTileRows rows of A x 32 columns of C (two zmm); int32
/// and f32 sums take 16 of the 32 zmm.
constexpr int kTileRows = 4;

inline uint32_t load32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint16_t load16(const uint8_t *p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

/// The unsigned code of element e of a row: q + 128 (signed int8), q + 8
/// (signed int4) or q (with zero points).
inline uint8_t unsignedCode(const QMatmulProblem &p, const uint8_t *row,
                            int64_t e, bool asym) {
  if (p.bits == 8)
    return asym ? row[e] : uint8_t(row[e] ^ 0x80);
  uint8_t nibble = (e & 1) ? row[e / 2] >> 4 : row[e / 2] & 0xF;
  return asym ? nibble : uint8_t(nibble ^ 8);
}

/// C[rows, j0 + c0 + 0..32) += the tile's sums over every group, for R
/// rows of A starting at row i.
template <int R>
void tile(const QMatmulProblem &p, const QuantizedRows &a, int64_t i,
          const uint8_t *panel, const float *scales, const float *corrections,
          int64_t pk, int64_t j0, int64_t c0, int64_t columns) {
  int64_t blocks = (p.k + kBlock - 1) / kBlock;
  int64_t blocksPerGroup = p.groupSize / kBlock;
  int64_t groups = (blocks + blocksPerGroup - 1) / blocksPerGroup;
  const int8_t *codes[R];
  const float *blockScales[R], *groupSums[R];
  for (int r = 0; r < R; ++r) {
    codes[r] = a.codes + (i + r) * a.codesM;
    blockScales[r] = a.scales + (i + r) * a.scalesM;
    groupSums[r] = a.groupSums + (i + r) * a.groupSumsM;
  }
  __m512 sum[R][2];
  for (int r = 0; r < R; ++r)
    sum[r][0] = sum[r][1] = _mm512_setzero_ps();
  for (int64_t g = 0; g < groups; ++g) {
    __m512 scale[2], correction[2];
    for (int v = 0; v < 2; ++v) {
      scale[v] = _mm512_loadu_ps(scales + g * pk + c0 + 16 * v);
      correction[v] = _mm512_loadu_ps(corrections + g * pk + c0 + 16 * v);
    }
    int64_t b1 = std::min(blocks, (g + 1) * blocksPerGroup);
    for (int64_t b = g * blocksPerGroup; b < b1; ++b) {
      __m512i dot[R][2];
      for (int r = 0; r < R; ++r)
        dot[r][0] = dot[r][1] = _mm512_setzero_si512();
      const uint8_t *w = panel + (b * (kBlock / 4) * pk + c0) * 4;
      for (int s = 0; s < kBlock / 4; ++s, w += pk * 4) {
        __m512i w0 = _mm512_loadu_si512(w);
        __m512i w1 = _mm512_loadu_si512(w + 64);
        for (int r = 0; r < R; ++r) {
          int32_t x;
          std::memcpy(&x, codes[r] + b * kBlock + 4 * s, 4);
          __m512i xv = _mm512_set1_epi32(x);
          dot[r][0] = _mm512_dpbusd_epi32(dot[r][0], w0, xv);
          dot[r][1] = _mm512_dpbusd_epi32(dot[r][1], w1, xv);
        }
      }
      for (int r = 0; r < R; ++r) {
        __m512 xScale = _mm512_set1_ps(blockScales[r][b]);
        for (int v = 0; v < 2; ++v)
          sum[r][v] = _mm512_fmadd_ps(
              _mm512_mul_ps(_mm512_cvtepi32_ps(dot[r][v]), xScale), scale[v],
              sum[r][v]);
      }
    }
    for (int r = 0; r < R; ++r) {
      __m512 groupSum = _mm512_set1_ps(groupSums[r][g]);
      for (int v = 0; v < 2; ++v)
        sum[r][v] = _mm512_fnmadd_ps(correction[v], groupSum, sum[r][v]);
    }
  }
  for (int v = 0; v < 2; ++v) {
    int64_t valid = std::clamp<int64_t>(columns - c0 - 16 * v, 0, 16);
    if (!valid)
      break;
    __mmask16 mask = __mmask16((1u << valid) - 1);
    for (int r = 0; r < R; ++r) {
      float *c = p.c + (i + r) * p.cM + j0 + c0 + 16 * v;
      _mm512_mask_storeu_ps(
          c, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, c), sum[r][v]));
    }
  }
}

} // namespace

int64_t panelColumns(int64_t columns) { return (columns + 31) / 32 * 32; }

int64_t panelBytes(int64_t k, int64_t columns) {
  return (k + kBlock - 1) / kBlock * kBlock * panelColumns(columns);
}

void packPanel(const QMatmulProblem &p, int64_t j0, int64_t j1,
               uint8_t *panel, float *scales, float *corrections) {
  int64_t pk = panelColumns(j1 - j0);
  int64_t steps = (p.k + kBlock - 1) / kBlock * (kBlock / 4);
  int64_t groups = (p.k + p.groupSize - 1) / p.groupSize;
  bool asym = p.zeroPoints != nullptr;
  float bias = asym ? 0.0f : p.bits == 8 ? 128.0f : 8.0f;
  uint32_t flip = asym ? 0 : p.bits == 8 ? 0x80808080u : 0x08080808u;
  int64_t wholeSteps = p.k / 4;
  for (int64_t col = 0; col < pk; ++col) {
    int64_t j = j0 + col;
    uint8_t *out = panel + col * 4;
    if (j >= j1) {
      for (int64_t s = 0; s < steps; ++s)
        std::memset(out + s * pk * 4, 0, 4);
      for (int64_t g = 0; g < groups; ++g)
        scales[g * pk + col] = corrections[g * pk + col] = 0.0f;
      continue;
    }
    const uint8_t *row = p.w + j * p.wN;
    if (p.bits == 8) {
      for (int64_t s = 0; s < wholeSteps; ++s) {
        uint32_t word = load32(row + 4 * s) ^ flip;
        std::memcpy(out + s * pk * 4, &word, 4);
      }
    } else {
      // Four nibbles to four bytes.
      for (int64_t s = 0; s < wholeSteps; ++s) {
        uint32_t word = _pdep_u32(load16(row + 2 * s), 0x0F0F0F0Fu) ^ flip;
        std::memcpy(out + s * pk * 4, &word, 4);
      }
    }
    // The last few codes, then zeros up to the last whole block (A's codes
    // are zero there too).
    for (int64_t s = wholeSteps; s < steps; ++s) {
      uint8_t word[4] = {0, 0, 0, 0};
      for (int t = 0; t < 4; ++t)
        if (4 * s + t < p.k)
          word[t] = unsignedCode(p, row, 4 * s + t, asym);
      std::memcpy(out + s * pk * 4, word, 4);
    }
    for (int64_t g = 0; g < groups; ++g) {
      float scale = p.scales[j * p.sN + g];
      float zero = bias;
      if (asym && p.zeroPointsF32)
        zero += static_cast<const float *>(p.zeroPoints)[j * p.zN + g];
      else if (asym)
        zero += float(static_cast<const uint8_t *>(p.zeroPoints)[j * p.zN + g]);
      scales[g * pk + col] = scale;
      corrections[g * pk + col] = scale * zero;
    }
  }
}

void multiplyPanel(const QMatmulProblem &p, const QuantizedRows &a,
                   int64_t j0, int64_t j1, const uint8_t *panel,
                   const float *scales, const float *corrections) {
  int64_t pk = panelColumns(j1 - j0);
  int64_t columns = j1 - j0;
  // Columns outermost: a 32-column strip of the panel stays in L1 while
  // every row tile of A passes over it.
  for (int64_t c0 = 0; c0 < columns; c0 += 32) {
    int64_t i = 0;
    for (; i + kTileRows <= p.m; i += kTileRows)
      tile<kTileRows>(p, a, i, panel, scales, corrections, pk, j0, c0,
                      columns);
    for (; i < p.m; ++i)
      tile<1>(p, a, i, panel, scales, corrections, pk, j0, c0, columns);
  }
}

} // namespace xf::kernels::vnni
