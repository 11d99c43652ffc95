/* bench_mem: the checkpoint/restore benchmark guest (bench/checkpoint.ts). Touches MIB MiB of memory
 * with non-trivial content (an xorshift stream: no zero page, no two pages alike, so neither a zero
 * check nor dedup nor a codec makes the image small), prints
 *   ready MIB sum=HEX                        once the memory is filled
 * then parks: it sleeps TICK_MS ms (poll_oneoff) again and again, and whenever one sleep took over 20 ms
 * longer than asked (the pod was paused, starved, or restored from an image) it prints
 *   resumed realtime_ns=N gap_ms=M sum=HEX   N is CLOCK_REALTIME when it woke, so a benchmark can tell when
 *                                            the program ran again; sum checks the memory is intact
 * Usage: bench_mem MIB [TICK_MS=2] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A checksum of every 4 KiB-th word: cheap, and any page lost or shifted shows. */
static uint64_t sample_sum(const uint64_t *words, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; i += 512) s = s * 31 + words[i];
  return s;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_mem MIB [TICK_MS]\n");
    return 2;
  }
  long mib = strtol(argv[1], NULL, 10);
  long tick_ms = argc >= 3 ? strtol(argv[2], NULL, 10) : 2;
  if (mib <= 0 || tick_ms <= 0) {
    fprintf(stderr, "bench_mem: MIB and TICK_MS must be positive\n");
    return 2;
  }
  size_t n = (size_t)mib << 17; /* 8-byte words in MIB MiB */
  uint64_t *words = malloc(n * sizeof *words);
  if (words == NULL) {
    fprintf(stderr, "bench_mem: cannot allocate %ld MiB\n", mib);
    return 1;
  }
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    words[i] = x;
  }
  printf("ready %ld sum=%016llx\n", mib, (unsigned long long)sample_sum(words, n));
  fflush(stdout);
  long long tick_ns = tick_ms * 1000000LL;
  for (;;) {
    long long before = clock_ns(CLOCK_REALTIME);
    struct timespec ts = {tick_ms / 1000, (tick_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    long long after = clock_ns(CLOCK_REALTIME);
    if (after - before > tick_ns + 20000000LL) {
      printf("resumed realtime_ns=%lld gap_ms=%lld sum=%016llx\n", after, (after - before) / 1000000,
             (unsigned long long)sample_sum(words, n));
      fflush(stdout);
    }
  }
}
