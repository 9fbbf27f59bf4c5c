// GFLOP/s of the runtime's matmul kernels on SmolLM2-135M's prefill shapes,
// against the machine's FMA peak (measured here) and, when the library is
// installed, OpenBLAS on the same shapes (a yardstick, not a dependency:
// loaded with dlopen).
//
//   clang++-22 -O2 -std=c++17 -Iruntime/include -Ibuild/runtime/include \
//     bench/gemm.cpp build/runtime/libxfrt.a -lpthread -ldl -o /tmp/gemm
//   /tmp/gemm [threads] [--cpu-time]   (default 2 threads; OpenBLAS from
//                                       apt-get install libopenblas0-pthread)
//
// --cpu-time times by the process's CPU time instead of the wall clock: on
// a shared machine, with one thread, a figure that other processes' load
// changes little (with more threads it counts waiting workers too).
//
// f32: C[m x n] += A[m x k] B[k x n] (B is the compiled model's weight
// layout). int8 / int4: C += A W^T with W [n x k] packed as xf.qlinear packs
// it, with xfc --quantize's default grids. Every figure is the best of several
// repetitions, B/W in cache or not as the model would have it (one pass
// over all shapes per repetition, so the weights of one shape are evicted
// by the others, as in a forward).
#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <random>
#include <string>
#include <time.h>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool cpuTime = false;
double cpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

#if defined(__x86_64__)
/// Independent FMAs on 12 accumulators: the core's FMA throughput.
__attribute__((target("avx2,fma"))) float fmaLoop(int64_t iterations) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm256_set1_ps(float(i));
  __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(0.001f);
  for (int64_t it = 0; it < iterations; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i)
    s = _mm256_add_ps(s, acc[i]);
  return _mm256_cvtss_f32(s);
}

/// The same with 512-bit FMAs (twice the flops per instruction; whether
/// the core runs them at the 256-bit rate, as Zen 4 does, or faster, this
/// measures it).
__attribute__((target("avx512f"))) float fmaLoop512(int64_t iterations) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm512_set1_ps(float(i));
  __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(0.001f);
  for (int64_t it = 0; it < iterations; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i)
    s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

bool wideFMAs() { return __builtin_cpu_supports("avx512f"); }

/// GFLOP/s of `threads` threads each running fmaLoop (fmaLoop512 where the
/// CPU has AVX-512: the matmul kernel uses them there).
double fmaPeak(int threads) {
  const int64_t iterations = 40'000'000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<std::thread> pool;
    volatile float sink = 0;
    auto start = Clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        sink = sink + (wideFMAs() ? fmaLoop512(iterations / 2)
                                  : fmaLoop(iterations));
      });
    for (auto &t : pool)
      t.join();
    double seconds = since(start);
    best = std::max(best, threads * iterations * 12.0 * 16.0 / seconds / 1e9);
  }
  return best;
}
#endif

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float *,
                         int, const float *, int, float, float *, int);

struct Shape {
  int64_t k, n, perToken; // perToken: calls per token of the model
};

} // namespace

int main(int argc, char **argv) {
  int threads = 2;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--cpu-time")
      cpuTime = true;
    else
      threads = std::atoi(argv[i]);
  }
  xf::setNumThreads(threads);
  std::printf("threads %d, matmul ISA %s\n", threads, xf::matmulKernelISA());
#if defined(__x86_64__)
  double peak1 = fmaPeak(1), peakN = fmaPeak(threads);
  std::printf("FMA peak (%d-bit FMAs, independent): %.1f GFLOP/s on 1 "
              "thread, %.1f on %d\n",
              wideFMAs() ? 512 : 256, peak1, peakN, threads);
#endif
  void *blas = dlopen("libopenblas.so.0", RTLD_NOW);
  SgemmFn sgemm = blas ? (SgemmFn)dlsym(blas, "cblas_sgemm") : nullptr;
  if (blas) {
    auto setThreads = (void (*)(int))dlsym(blas, "openblas_set_num_threads");
    if (setThreads)
      setThreads(threads);
  } else {
    std::printf("OpenBLAS not found (apt-get install libopenblas0-pthread): "
                "no yardstick column\n");
  }

  // One layer of SmolLM2-135M: q, o (576 x 576), k, v (576 x 192),
  // gate, up (576 x 1536), down (1536 x 576).
  const Shape shapes[] = {{576, 576, 2}, {576, 192, 2}, {576, 1536, 2},
                          {1536, 576, 1}};
  std::mt19937 rng(1);
  auto uniform = [&] { return float(rng() % 2001) / 1000.0f - 1.0f; };
  std::printf("\n%6s %12s %10s %10s %10s %10s\n", "m", "k x n", "xfc f32",
              "OpenBLAS", "xfc int8", "xfc int4");
  for (int64_t m : {128, 512}) {
    double layer[4] = {}; // f32, blas, int8, int4 seconds per layer
    for (const Shape &s : shapes) {
      std::vector<float> a(m * s.k), b(s.k * s.n), c(m * s.n);
      for (float &x : a)
        x = uniform();
      for (float &x : b)
        x = uniform();
      // W = B^T quantized: int8 per row (group k), int4 groups of 32.
      std::vector<float> wT(s.n * s.k);
      for (int64_t j = 0; j < s.n; ++j)
        for (int64_t p = 0; p < s.k; ++p)
          wT[j * s.k + p] = b[p * s.n + j];
      // The defaults of xfc --quantize: int8 symmetric in groups of 128,
      // int4 with f32 zero points (Q4_1's scale and min) in groups of 32.
      struct Packed {
        int64_t bits, group;
        xf::QuantScheme scheme;
        std::vector<uint8_t> codes;
        std::vector<float> scales, zeros;
      } packed[2] = {{8, 128, xf::QuantScheme::Symmetric},
                     {4, 32, xf::QuantScheme::FloatZeroPoint}};
      for (Packed &q : packed) {
        int64_t groups = (s.k + q.group - 1) / q.group;
        int64_t rowBytes = xf::quantizedRowBytes(s.k, q.bits);
        q.codes.assign(s.n * rowBytes, 0);
        q.scales.assign(s.n * groups, 0);
        q.zeros.assign(s.n * groups, 0);
        for (int64_t j = 0; j < s.n; ++j)
          for (int64_t g = 0; g < groups; ++g) {
            int64_t k0 = g * q.group, k1 = std::min(s.k, k0 + q.group);
            xf::QuantGrid grid = xf::fitQuantGrid(&wT[j * s.k + k0], 1,
                                                  k1 - k0, q.bits, q.scheme);
            grid.store(q.scales.data(), q.zeros.data(), j * groups + g);
            for (int64_t p = k0; p < k1; ++p)
              xf::storeQuantCode(&q.codes[j * rowBytes], p, q.bits,
                                 grid.code(wT[j * s.k + p]));
          }
      }
      auto time = [&](auto &&call) {
        double best = 1e9;
        for (int rep = 0; rep < 7; ++rep) {
          auto start = Clock::now();
          double cpuStart = cpuSeconds();
          call();
          best = std::min(best, cpuTime ? cpuSeconds() - cpuStart
                                        : since(start));
        }
        return best;
      };
      double f32 = time([&] {
        xfrt_matmul_f32(1, 1, m, s.n, s.k, (int64_t)a.data(), 0, 0, s.k, 1,
                        (int64_t)b.data(), 0, 0, s.n, 1, (int64_t)c.data(), 0,
                        0, s.n, 1);
      });
      double blasTime = sgemm ? time([&] {
        sgemm(101, 111, 111, int(m), int(s.n), int(s.k), 1.0f, a.data(),
              int(s.k), b.data(), int(s.n), 1.0f, c.data(), int(s.n));
      })
                              : 0;
      double q[2];
      for (int i = 0; i < 2; ++i) {
        Packed &p = packed[i];
        int64_t groups = (s.k + p.group - 1) / p.group;
        q[i] = time([&] {
          xfrt_qmatmul_f32(m, s.n, s.k, (int64_t)a.data(), s.k,
                           (int64_t)p.codes.data(),
                           xf::quantizedRowBytes(s.k, p.bits),
                           (int64_t)p.scales.data(), groups,
                           p.scheme == xf::QuantScheme::Symmetric
                               ? 0
                               : (int64_t)p.zeros.data(),
                           groups, 1, p.bits,
                           p.group, (int64_t)c.data(), s.n,
                           /*int8Activations=*/1);
        });
      }
      double flops = 2.0 * m * s.n * s.k;
      std::printf("%6lld %5lld x %-5lld %10.1f %10.1f %10.1f %10.1f\n",
                  (long long)m, (long long)s.k, (long long)s.n,
                  flops / f32 / 1e9, sgemm ? flops / blasTime / 1e9 : 0.0,
                  flops / q[0] / 1e9, flops / q[1] / 1e9);
      layer[0] += s.perToken * f32;
      layer[1] += s.perToken * blasTime;
      layer[2] += s.perToken * q[0];
      layer[3] += s.perToken * q[1];
    }
    double flops = 2.0 * m * 3538944;
    std::printf("%6lld %12s %10.1f %10.1f %10.1f %10.1f   (GFLOP/s)\n",
                (long long)m, "one layer", flops / layer[0] / 1e9,
                sgemm ? flops / layer[1] / 1e9 : 0.0, flops / layer[2] / 1e9,
                flops / layer[3] / 1e9);
  }
  return 0;
}
