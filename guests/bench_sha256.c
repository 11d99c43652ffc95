/* bench_sha256: the compute benchmark guest (bench/run.ts), also built natively with gcc -O2 for the
 * native baseline, so it uses nothing but ISO C and POSIX clocks. Hashes MIB mebibytes (a 1 MiB buffer
 * of fixed pseudo-random bytes, over and over) with a plain FIPS 180-4 SHA-256, times that loop alone
 * and prints
 *   elapsed_ns N      CLOCK_MONOTONIC
 *   cpu_ns N          CLOCK_PROCESS_CPUTIME_ID (every thread; less hurt by a busy machine)
 *   sha256 HEX
 * The digest makes the work observable (so no compiler can drop it) and lets the runner check that
 * every runtime computed the same thing.
 * Two shapes of the same work, because V8 treats them differently (DESIGN.md §3):
 *   calls  one call of compress() per 64-byte block: V8 tiers compress up from Liftoff after a while,
 *          and later calls run optimized code;
 *   flat   the whole input in one call with compress inlined: a loop that never returns cannot be
 *          tiered up (no on-stack replacement for wasm), so it runs at whatever tier it started in.
 * Usage: bench_sha256 [MIB=64] [calls|flat] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef struct {
  uint32_t h[8];
  uint64_t bytes;
  uint8_t block[64];
  size_t fill;
} sha256_ctx;

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static inline __attribute__((always_inline)) void compress_body(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) {
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  }
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static __attribute__((noinline)) void compress(uint32_t h[8], const uint8_t *p) { compress_body(h, p); }

/* The "flat" shape: `times` passes over buf (a multiple of 64 bytes) in one call, compress inlined. */
static __attribute__((noinline)) void hash_flat(sha256_ctx *c, const uint8_t *buf, size_t len, long times) {
  for (long i = 0; i < times; i++) {
    for (size_t off = 0; off < len; off += 64) compress_body(c->h, buf + off);
  }
  c->bytes += (uint64_t)len * (uint64_t)times;
}

static void sha256_init(sha256_ctx *c) {
  static const uint32_t iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  };
  memcpy(c->h, iv, sizeof iv);
  c->bytes = 0;
  c->fill = 0;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n) {
  c->bytes += n;
  while (n > 0) {
    if (c->fill == 0 && n >= 64) {
      compress(c->h, p);
      p += 64;
      n -= 64;
      continue;
    }
    size_t k = 64 - c->fill < n ? 64 - c->fill : n;
    memcpy(c->block + c->fill, p, k);
    c->fill += k;
    p += k;
    n -= k;
    if (c->fill == 64) {
      compress(c->h, c->block);
      c->fill = 0;
    }
  }
}

static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
  uint64_t bits = c->bytes * 8;
  uint8_t pad[72] = {0x80};
  size_t padlen = (c->fill < 56 ? 56 : 120) - c->fill;
  for (int i = 0; i < 8; i++) pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(c, pad, padlen + 8);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->h[i];
  }
}

int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 64;
  const char *shape = argc > 2 ? argv[2] : "calls";
  int flat = strcmp(shape, "flat") == 0;
  if (mib <= 0 || (!flat && strcmp(shape, "calls") != 0)) {
    fprintf(stderr, "usage: bench_sha256 [MIB > 0] [calls|flat]\n");
    return 2;
  }
  static uint8_t buf[1 << 20];
  uint32_t x = 0x12345678; /* xorshift32: the same bytes everywhere */
  for (size_t i = 0; i < sizeof buf; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (uint8_t)x;
  }
  sha256_ctx c;
  uint8_t digest[32];
  long long c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  sha256_init(&c);
  if (flat) hash_flat(&c, buf, sizeof buf, mib);
  else for (long i = 0; i < mib; i++) sha256_update(&c, buf, sizeof buf);
  sha256_final(&c, digest);
  long long t1 = clock_ns(CLOCK_MONOTONIC);
  long long c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  printf("elapsed_ns %lld\ncpu_ns %lld\nsha256 ", t1 - t0, c1 - c0);
  for (int i = 0; i < 32; i++) printf("%02x", digest[i]);
  printf("\n");
  return 0;
}
