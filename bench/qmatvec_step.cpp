// The quantized matmuls of one SmolLM2-135M decode step, alone: the 211
// single-row (M = 1) calls of xf::qmatmulF32 (30 layers of q, k, v, o, gate,
// up, down and the LM head), each on its own weights, so that W streams
// from memory as in the program (random codes and scales: speed only).
// Prints the best and mean time of a step over REPS steps, the rate at which
// it read the packed weights, and a plain read of the same bytes with as
// many threads (the bound the kernel can approach). With HOT=1 the 30
// layers share one layer's weights and the head is left out (in cache: the
// kernel's arithmetic alone).
//
//   clang++-22 -O2 -march=native -std=c++17 -Iruntime/include \
//       bench/qmatvec_step.cpp build/runtime/libxfrt.a -lpthread -o qmatvec_step
//   ./qmatvec_step [THREADS=2] [BITS=8] [REPS=30] [HOT=0] [SHAPE=smollm2]
//
// SHAPE=1b: the 16 layers of bench/synthetic_llama.py's 1B model (d 2048,
// kv 512, ffn 8192, head 49152 x 2048) instead of SmolLM2's 30.
// BITS=8: every layer int8, groups of 128, symmetric (--quantize=int8);
// BITS=4: layers int4, groups of 32, f32 zero points, head int8 g128
// (--quantize=int4); BITS=32: f32 weights, K x N as the fp32 program holds
// them, through xf::matmulF32; BITS=16: f16 weights, K x N, through
// xf::matmulF32 with bFormat F16 (--weights=f16), head f16 too.
#include "xf/Half.h"
#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Layer {
  int64_t n, k, bits, groupSize;
  std::vector<uint8_t> codes;
  std::vector<float> scales, zeroPoints;
  std::vector<float> out;
  std::vector<float> f32;     // BITS=32: K x N
  std::vector<uint16_t> f16;  // BITS=16: K x N
};

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

int main(int argc, char **argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  int bits = argc > 2 ? std::atoi(argv[2]) : 8;
  int reps = argc > 3 ? std::atoi(argv[3]) : 30;
  bool hot = argc > 4 && std::atoi(argv[4]) != 0;
  std::string shape = argc > 5 ? argv[5] : "smollm2";
  if (shape != "smollm2" && shape != "1b") {
    std::fprintf(stderr, "qmatvec_step: SHAPE is smollm2 or 1b, not %s\n",
                 shape.c_str());
    return 2;
  }
  bool big = shape == "1b";
  xf::setNumThreads(threads);
  std::mt19937 rng(1);
  std::vector<Layer> layers;
  size_t bytes = 0, codeBytes = 0;
  auto add = [&](int64_t n, int64_t k, int64_t layerBits) {
    Layer y{n, k, layerBits, layerBits == 8 ? 128 : 32, {}, {}, {}, {}, {}};
    if (layerBits == 16) {
      std::uniform_real_distribution<float> uniform(-0.1f, 0.1f);
      y.f16.resize(n * k);
      for (uint16_t &w : y.f16)
        w = xf::floatToHalf(uniform(rng));
      y.out.resize(n);
      bytes += 2 * y.f16.size();
      codeBytes += 2 * y.f16.size();
      layers.push_back(std::move(y));
      return;
    }
    if (layerBits == 32) {
      std::uniform_real_distribution<float> uniform(-0.1f, 0.1f);
      y.f32.resize(n * k);
      for (float &w : y.f32)
        w = uniform(rng);
      y.out.resize(n);
      bytes += 4 * y.f32.size();
      codeBytes += 4 * y.f32.size();
      layers.push_back(std::move(y));
      return;
    }
    int64_t groups = (k + y.groupSize - 1) / y.groupSize;
    y.codes.resize(n * (layerBits == 8 ? k : (k + 1) / 2));
    for (uint8_t &b : y.codes)
      b = uint8_t(rng());
    y.scales.resize(n * groups);
    for (float &s : y.scales)
      s = 0.001f * float(1 + rng() % 100);
    if (layerBits == 4) {
      y.zeroPoints.resize(n * groups);
      for (float &z : y.zeroPoints)
        z = 8.0f + float(rng() % 100) * 0.01f;
    }
    y.out.resize(n);
    bytes += y.codes.size() + 4 * (y.scales.size() + y.zeroPoints.size());
    codeBytes += y.codes.size();
    layers.push_back(std::move(y));
  };
  const int64_t d = big ? 2048 : 576, kv = big ? 512 : 192,
                ffn = big ? 8192 : 1536;
  const int64_t ns[7] = {d, kv, kv, d, ffn, ffn, d};
  const int64_t ks[7] = {d, d, d, d, d, d, ffn};
  for (int l = 0; l < (hot ? 1 : big ? 16 : 30); ++l)
    for (int i = 0; i < 7; ++i)
      add(ns[i], ks[i], bits);
  if (!hot)
    add(49152, d, bits >= 16 ? bits : 8);
  std::vector<float> a(ffn);
  std::normal_distribution<float> normal;
  for (float &v : a)
    v = normal(rng);

  auto step = [&] {
    for (int rep = 0; rep < (hot ? 30 : 1); ++rep)
      for (Layer &y : layers) {
        if (y.bits >= 16) {
          xf::MatmulProblem p{};
          p.outer[0] = p.outer[1] = 1;
          p.m = 1;
          p.n = y.n;
          p.k = y.k;
          p.a = a.data();
          p.aM = y.k;
          p.aK = 1;
          p.b = y.bits == 32 ? static_cast<const void *>(y.f32.data())
                             : static_cast<const void *>(y.f16.data());
          p.bFormat = y.bits == 32 ? xf::FloatFormat::F32 : xf::FloatFormat::F16;
          p.bK = y.n;
          p.bN = 1;
          p.c = y.out.data();
          p.cM = y.n;
          p.cN = 1;
          xf::matmulF32(p);
          continue;
        }
        xf::QMatmulProblem p;
        p.m = 1;
        p.n = y.n;
        p.k = y.k;
        p.a = a.data();
        p.aM = y.k;
        p.w = y.codes.data();
        p.wN = y.bits == 8 ? y.k : (y.k + 1) / 2;
        p.scales = y.scales.data();
        p.sN = (y.k + y.groupSize - 1) / y.groupSize;
        p.zeroPoints = y.zeroPoints.empty() ? nullptr : y.zeroPoints.data();
        p.zN = p.sN;
        p.zeroPointsF32 = true;
        p.bits = y.bits;
        p.groupSize = y.groupSize;
        p.c = y.out.data();
        p.cM = y.n;
        p.int8Activations = true;
        xf::qmatmulF32(p);
      }
  };
  step();
  double best = 1e9, sum = 0.0;
  for (int r = 0; r < reps; ++r) {
    double t0 = now();
    step();
    double t = now() - t0;
    best = std::min(best, t);
    sum += t;
  }
  std::printf("qmatvec_step: %s threads=%d bits=%d%s weights %.1f MB: best %.3f "
              "ms (%.1f GB/s), mean %.3f ms\n",
              shape.c_str(), threads, bits, hot ? " hot (x30)" : "", bytes / 1e6, best * 1e3,
              (hot ? 30.0 : 1.0) * bytes / best / 1e9, sum / reps * 1e3);

  // The same bytes read with plain 64-byte vector adds, split as evenly.
  typedef int32_t V16 __attribute__((vector_size(64), aligned(1)));
  auto readShare = [&](int t) {
    V16 acc = {};
    for (const Layer &y : layers) {
      size_t count = y.bits == 32   ? 4 * y.f32.size() / 64
                     : y.bits == 16 ? 2 * y.f16.size() / 64
                                    : y.codes.size() / 64;
      const V16 *v = reinterpret_cast<const V16 *>(
          y.bits == 32   ? static_cast<const void *>(y.f32.data())
          : y.bits == 16 ? static_cast<const void *>(y.f16.data())
                         : static_cast<const void *>(y.codes.data()));
      for (size_t i = count * t / threads; i < count * (t + 1) / threads; ++i)
        acc += v[i];
    }
    volatile int32_t sink = acc[0];
    (void)sink;
  };
  double bestRead = 1e9;
  for (int r = 0; r < reps; ++r) {
    double t0 = now();
    std::vector<std::thread> others;
    for (int t = 1; t < threads; ++t)
      others.emplace_back(readShare, t);
    readShare(0);
    for (std::thread &t : others)
      t.join();
    bestRead = std::min(bestRead, now() - t0);
  }
  std::printf("qmatvec_step: plain read of the codes (%.1f MB): best %.3f ms "
              "(%.1f GB/s)\n",
              codeBytes / 1e6, bestRead * 1e3, codeBytes / bestRead / 1e9);
  return 0;
}
