// Memory read bandwidth: T threads (pthreads) each sum their share of a
// 1 GiB buffer of floats with vector adds (8 independent accumulators of
// 64 bytes, so the adds never limit the loop); the best of several passes,
// in GB/s (1e9 bytes per second). Used by bench/run.sh to put decode speeds
// in proportion to what the machine can stream.
//
//   cc -O3 -march=native -pthread bench/membw.c -o membw
//   ./membw [MiB=1024] [passes=7]
//
// Prints one line per thread count (1 and 2):
//   membw: threads=1 GB/s=12.34 (best of 7 passes over 1024 MiB)
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef float vfloat __attribute__((vector_size(64), aligned(64)));

struct job {
  const vfloat *begin;
  size_t count; // vectors
  float sum;
  pthread_barrier_t *barrier;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float sumVectors(const vfloat *p, size_t n) {
  vfloat a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0},
         a7 = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 += p[i];
    a1 += p[i + 1];
    a2 += p[i + 2];
    a3 += p[i + 3];
    a4 += p[i + 4];
    a5 += p[i + 5];
    a6 += p[i + 6];
    a7 += p[i + 7];
  }
  for (; i < n; ++i)
    a0 += p[i];
  vfloat t = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  float s = 0;
  for (size_t k = 0; k < sizeof(vfloat) / sizeof(float); ++k)
    s += t[k];
  return s;
}

static void *worker(void *arg) {
  struct job *job = arg;
  pthread_barrier_wait(job->barrier);
  job->sum = sumVectors(job->begin, job->count);
  return NULL;
}

// One pass with `threads` threads; returns seconds from the common start to
// the last thread's end.
static double pass(const vfloat *buffer, size_t vectors, int threads,
                   volatile float *sink) {
  pthread_t ids[16];
  struct job jobs[16];
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
  size_t share = vectors / threads;
  for (int t = 0; t < threads; ++t) {
    jobs[t].begin = buffer + t * share;
    jobs[t].count = t == threads - 1 ? vectors - t * share : share;
    jobs[t].barrier = &barrier;
    pthread_create(&ids[t], NULL, worker, &jobs[t]);
  }
  pthread_barrier_wait(&barrier);
  double start = now();
  for (int t = 0; t < threads; ++t)
    pthread_join(ids[t], NULL);
  double seconds = now() - start;
  for (int t = 0; t < threads; ++t)
    *sink += jobs[t].sum;
  pthread_barrier_destroy(&barrier);
  return seconds;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
  int passes = argc > 2 ? atoi(argv[2]) : 7;
  size_t bytes = mib << 20;
  size_t vectors = bytes / sizeof(vfloat);
  vfloat *buffer = aligned_alloc(64, bytes);
  if (!buffer) {
    fprintf(stderr, "membw: cannot allocate %zu MiB\n", mib);
    return 1;
  }
  float *f = (float *)buffer;
  for (size_t i = 0; i < bytes / sizeof(float); ++i)
    f[i] = (float)(i & 1023) * 1e-3f;
  volatile float sink = 0;
  int counts[] = {1, 2};
  for (int c = 0; c < 2; ++c) {
    double best = 1e30;
    for (int p = 0; p < passes; ++p) {
      double s = pass(buffer, vectors, counts[c], &sink);
      if (s < best)
        best = s;
    }
    printf("membw: threads=%d GB/s=%.2f (best of %d passes over %zu MiB)\n",
           counts[c], bytes / best / 1e9, passes, mib);
  }
  free(buffer);
  return sink == 12345.f; // keeps the sums alive
}
