// Times xfrt_matmul_f32 on SmolLM2-135M's matmul shapes for 1 to 16 rows of
// A (a decode step, a speculative verify step) and prints the modelled
// matmul time of one model step. B stays in cache between repetitions, so
// m = 1 is faster here than in the model; the ratios are what matter.
//
//   clang++-22 -O2 -std=c++17 -Iruntime/include -Ibuild/runtime/include \
//     bench/fewrows_matmul.cpp build/runtime/libxfrt.a -lpthread -o /tmp/fewrows
//   /tmp/fewrows
#include "xf/Kernels.h"
#include "xf/ThreadPool.h"
#include <chrono>
#include <cstdio>
#include <vector>
#include <random>
int main() {
  xf::setNumThreads(2);
  struct S { int64_t k, n; } shapes[] = {{576, 576}, {576, 192}, {576, 1536}, {1536, 576}, {576, 49152}};
  std::mt19937 rng(1);
  for (int64_t m : {1, 2, 4, 9, 16}) {
    double total = 0;
    for (auto s : shapes) {
      std::vector<float> a(m * s.k), b(s.k * s.n), c(m * s.n);
      for (auto &x : a) x = rng() % 100 / 100.0f;
      for (auto &x : b) x = rng() % 100 / 100.0f;
      int reps = s.n == 49152 ? 5 : 50;
      auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < reps; ++r)
        xfrt_matmul_f32(1, 1, m, s.n, s.k, (int64_t)a.data(), 0, 0, s.k, 1, (int64_t)b.data(), 0, 0, s.n, 1, (int64_t)c.data(), 0, 0, s.n, 1);
      double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
      // per SmolLM2 token: 30 layers x (q,o: 576x576; k,v: 576x192; gate,up: 576x1536; down 1536x576) + head
      int64_t count = s.n == 49152 ? 1 : (s.n == 576 && s.k == 576 ? 60 : s.n == 192 ? 60 : s.n == 1536 ? 60 : 30);
      total += sec * count;
    }
    std::printf("m=%lld: modeled step %.1f ms (%.1f ms per row)\n", (long long)m, total * 1e3, total * 1e3 / m);
  }
}
