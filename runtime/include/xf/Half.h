//===- Half.h - IEEE half and bfloat16 <-> f32, bit exact ---------*- C++ -*-===//
//
// Scalar conversions between f32 and the two 16-bit float formats weights
// are exported in. Widening is exact; narrowing rounds to nearest, ties to
// even, as ONNX's Cast and numpy do. Used where no vector instruction does
// the work: the compiler converting weights once, the kernels' tails and
// CPUs without F16C.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_HALF_H
#define XF_RUNTIME_INCLUDE_XF_HALF_H

#include <cstdint>
#include <cstring>

namespace xf {

/// How a matmul's B operand or a weight stores its floats.
enum class FloatFormat : int64_t { F32 = 0, F16 = 1, BF16 = 2 };

inline float bitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint32_t floatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

inline float bf16ToFloat(uint16_t h) { return bitsToFloat(uint32_t(h) << 16); }

inline uint16_t floatToBF16(float f) {
  uint32_t bits = floatToBits(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet and a NaN
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

inline float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent == 0x1f) // inf, NaN
    return bitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0)
      return bitsToFloat(sign);
    // Subnormal: mantissa * 2^-24, exact in f32.
    float magnitude = float(mantissa) * (1.0f / 16777216.0f);
    return sign ? -magnitude : magnitude;
  }
  return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline uint16_t floatToHalf(float f) {
  uint32_t bits = floatToBits(f);
  uint16_t sign = uint16_t((bits >> 16) & 0x8000);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) // NaN
    return uint16_t(sign | 0x7e00);
  if (magnitude >= 0x477ff000u) // rounds to >= 65520: inf
    return uint16_t(sign | 0x7c00);
  if (magnitude < 0x38800000u) { // below 2^-14: subnormal or zero
    // Scale into units of 2^-24 and round to nearest even in f32.
    float scaled = bitsToFloat(magnitude) * 16777216.0f;
    float rounded = scaled + 8388608.0f - 8388608.0f; // nearest-even
    return uint16_t(sign | uint16_t(rounded));
  }
  uint32_t exponent = (magnitude >> 23) - 112, mantissa = magnitude & 0x7fffff;
  uint32_t half = (exponent << 10) | (mantissa >> 13);
  uint32_t rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half; // may carry into the exponent, which is right
  return uint16_t(sign | half);
}

inline float formatToFloat(FloatFormat format, const void *data,
                           int64_t index) {
  switch (format) {
  case FloatFormat::F16:
    return halfToFloat(static_cast<const uint16_t *>(data)[index]);
  case FloatFormat::BF16:
    return bf16ToFloat(static_cast<const uint16_t *>(data)[index]);
  case FloatFormat::F32:
    break;
  }
  return static_cast<const float *>(data)[index];
}

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_HALF_H
