// One f16 decode step (the single-row matmuls of bench/synthetic_llama.py's
// 1B or 3B model: q, k, v, o, gate, up, down per layer and the LM head)
// with the weights in two layouts, run alternately in one process so that
// both see the same machine:
//
//   kn: K x N, as the program stores 16-bit weights today, through
//       xf::matmulF32 (eight weight rows per pass over the partial sums);
//   nk: N x K, a dot product per output along contiguous K (4 outputs at a
//       time, 16 weights per FMA), the rows split between threads. This is
//       a prototype here, not the runtime's kernel.
//
// Prints each layout's best and mean step time and weight read rate.
//
//   clang++-22 -O2 -march=native -std=c++17 -Iruntime/include \
//       bench/f16_layouts.cpp build/runtime/libxfrt.a -lpthread -o f16_layouts
//   ./f16_layouts [THREADS=2] [REPS=10] [SHAPE=1b|3b] [FILE=DIR]
//
// With FILE=DIR the weights are written to files in DIR (deleted at once)
// and read through read-only mappings of them, in 4 KiB page cache pages as
// the program reads its .xfw, instead of from anonymous memory (which
// transparent huge pages may back).
#include "xf/Half.h"
#include "xf/Kernels.h"
#include "xf/ThreadPool.h"

#include <fcntl.h>
#include <immintrin.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Layer {
  int64_t n, k;
  std::vector<uint16_t> kn, nk;
  std::vector<float> out;
  // Where the kernels read the weights: the vectors, or (FILE) a mapping of
  // a file the weights were written to, as a program maps its .xfw.
  const uint16_t *knData = nullptr, *nkData = nullptr;
};

/// `values` written to `path` and mapped read-only from it (page cache
/// pages, as the program's .xfw).
const uint16_t *mapped(const std::vector<uint16_t> &values,
                       const std::string &path) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(values.data(), 2, values.size(), f) != values.size()) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fclose(f);
  int fd = ::open(path.c_str(), O_RDONLY);
  void *address = ::mmap(nullptr, values.size() * 2, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  ::unlink(path.c_str());
  if (address == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  return static_cast<const uint16_t *>(address);
}

struct DotProblem {
  const float *a;
  const uint16_t *w; // N x K
  int64_t n, k, rowsPerItem;
  float *out;
};

inline float dotTail(const float *a, const uint16_t *w, int64_t k0,
                     int64_t k) {
  float s = 0.0f;
  for (int64_t p = k0; p < k; ++p)
    s += a[p] * xf::halfToFloat(w[p]);
  return s;
}

void dotItem(void *context, int64_t item) {
  const DotProblem &d = *static_cast<const DotProblem *>(context);
  int64_t n0 = item * d.rowsPerItem, n1 = std::min(d.n, n0 + d.rowsPerItem);
  int64_t kv = d.k - d.k % 16;
  int64_t j = n0;
  for (; j + 4 <= n1; j += 4) {
    const uint16_t *w0 = d.w + j * d.k, *w1 = w0 + d.k, *w2 = w1 + d.k,
                   *w3 = w2 + d.k;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t p = 0; p < kv; p += 16) {
      __m512 av = _mm512_loadu_ps(d.a + p);
      s0 = _mm512_fmadd_ps(
          av, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w0 + p))),
          s0);
      s1 = _mm512_fmadd_ps(
          av, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w1 + p))),
          s1);
      s2 = _mm512_fmadd_ps(
          av, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w2 + p))),
          s2);
      s3 = _mm512_fmadd_ps(
          av, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w3 + p))),
          s3);
    }
    d.out[j] += _mm512_reduce_add_ps(s0) + dotTail(d.a, w0, kv, d.k);
    d.out[j + 1] += _mm512_reduce_add_ps(s1) + dotTail(d.a, w1, kv, d.k);
    d.out[j + 2] += _mm512_reduce_add_ps(s2) + dotTail(d.a, w2, kv, d.k);
    d.out[j + 3] += _mm512_reduce_add_ps(s3) + dotTail(d.a, w3, kv, d.k);
  }
  for (; j < n1; ++j)
    d.out[j] += dotTail(d.a, d.w + j * d.k, 0, d.k);
}

void dotMatvec(const float *a, const Layer &y, float *out, int threads) {
  DotProblem d{a, y.nkData, y.n, y.k, 0, out};
  int64_t items = std::max<int64_t>(1, 4 * threads);
  d.rowsPerItem = ((y.n + items - 1) / items + 3) / 4 * 4;
  items = (y.n + d.rowsPerItem - 1) / d.rowsPerItem;
  xf::parallelFor(items, dotItem, &d);
}

void knMatvec(const float *a, const Layer &y, float *out) {
  xf::MatmulProblem p{};
  p.outer[0] = p.outer[1] = 1;
  p.m = 1;
  p.n = y.n;
  p.k = y.k;
  p.a = a;
  p.aM = y.k;
  p.aK = 1;
  p.b = y.knData;
  p.bFormat = xf::FloatFormat::F16;
  p.bK = y.n;
  p.bN = 1;
  p.c = out;
  p.cM = y.n;
  p.cN = 1;
  xf::matmulF32(p);
}

} // namespace

int main(int argc, char **argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  int reps = argc > 2 ? std::atoi(argv[2]) : 10;
  std::string shape = argc > 3 ? argv[3] : "1b";
  std::string fileDir = argc > 4 ? argv[4] : "";
  if (shape != "1b" && shape != "3b") {
    std::fprintf(stderr, "f16_layouts: SHAPE is 1b or 3b, not %s\n",
                 shape.c_str());
    return 2;
  }
  xf::setNumThreads(threads);
  bool big = shape == "3b";
  // bench/synthetic_llama.py's shapes.
  const int64_t d = big ? 3072 : 2048, kv = big ? 1024 : 512,
                ffn = big ? 8192 : 8192, layers = big ? 28 : 16;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-0.1f, 0.1f);
  std::vector<Layer> all;
  size_t bytes = 0;
  auto add = [&](int64_t n, int64_t k) {
    Layer y{n, k, {}, {}, std::vector<float>(n)};
    y.kn.resize(n * k);
    y.nk.resize(n * k);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) {
        uint16_t h = xf::floatToHalf(uniform(rng));
        y.kn[p * n + j] = h;
        y.nk[j * k + p] = h;
      }
    bytes += 2 * y.kn.size();
    if (fileDir.empty()) {
      y.knData = y.kn.data();
      y.nkData = y.nk.data();
    } else {
      y.knData = mapped(y.kn, fileDir + "/f16_layouts.kn");
      y.nkData = mapped(y.nk, fileDir + "/f16_layouts.nk");
      std::vector<uint16_t>().swap(y.kn);
      std::vector<uint16_t>().swap(y.nk);
    }
    all.push_back(std::move(y));
  };
  const int64_t ns[7] = {d, kv, kv, d, ffn, ffn, d};
  const int64_t ks[7] = {d, d, d, d, d, d, ffn};
  for (int l = 0; l < layers; ++l)
    for (int i = 0; i < 7; ++i)
      add(ns[i], ks[i]);
  add(49152, d);
  std::vector<float> a(ffn);
  std::normal_distribution<float> normal;
  for (float &v : a)
    v = normal(rng);

  // The two layouts agree (the same sums in another order).
  {
    Layer &y = all[4];
    std::vector<float> x(y.n, 0.0f), z(y.n, 0.0f);
    knMatvec(a.data(), y, x.data());
    dotMatvec(a.data(), y, z.data(), threads);
    double worst = 0, scale = 0;
    for (int64_t j = 0; j < y.n; ++j) {
      worst = std::max(worst, double(std::abs(x[j] - z[j])));
      scale = std::max(scale, double(std::abs(x[j])));
    }
    std::printf("f16_layouts: kn vs nk max |diff| %.2e of max |out| %.2e\n",
                worst, scale);
    if (worst > 1e-4 * scale)
      return 1;
  }

  double best[2] = {1e9, 1e9}, sum[2] = {0, 0};
  for (int r = 0; r < reps + 1; ++r)
    for (int layout = 0; layout < 2; ++layout) {
      double t0 = now();
      for (Layer &y : all)
        if (layout == 0)
          knMatvec(a.data(), y, y.out.data());
        else
          dotMatvec(a.data(), y, y.out.data(), threads);
      double t = now() - t0;
      if (r == 0)
        continue; // warm-up
      best[layout] = std::min(best[layout], t);
      sum[layout] += t;
    }
  const char *names[2] = {"kn (today)", "nk (dot products)"};
  for (int layout = 0; layout < 2; ++layout)
    std::printf("f16_layouts: %s threads=%d %s weights %.2f GB: best %.1f ms "
                "(%.1f GB/s), mean %.1f ms\n",
                shape.c_str(), threads, names[layout], bytes / 1e9,
                best[layout] * 1e3, bytes / best[layout] / 1e9,
                sum[layout] / reps * 1e3);
  return 0;
}
