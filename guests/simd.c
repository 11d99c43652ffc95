// simd: 128-bit SIMD at work (built with -msimd128, as codecs and numeric code are built for engines that
// have it). Runs ROUNDS rounds of f32x4 and i32x4 arithmetic over a buffer, keeping its accumulators in
// v128 values across a sleep of SLEEP_MS every EVERY rounds (a blocking call: they are saved when it
// unwinds), prints "simd R" then, and at the end a checksum of them.
//   simd ROUNDS EVERY SLEEP_MS
// cflags: -msimd128
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wasm_simd128.h>

#define N 256

static float data[N];

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: simd ROUNDS EVERY SLEEP_MS\n");
    return 2;
  }
  unsigned long rounds = strtoul(argv[1], NULL, 10), every = strtoul(argv[2], NULL, 10);
  long sleep_ms = strtol(argv[3], NULL, 10);
  for (int i = 0; i < N; i++) data[i] = (float)(i % 17) * 0.25f;
  v128_t facc = wasm_f32x4_splat(0.0f);
  v128_t iacc = wasm_i32x4_make(1, 2, 3, 4);
  for (unsigned long r = 1; r <= rounds; r++) {
    v128_t scale = wasm_f32x4_splat((float)(r % 7) * 0.5f);
    for (int i = 0; i < N; i += 4) {
      v128_t v = wasm_v128_load(data + i);
      facc = wasm_f32x4_add(facc, wasm_f32x4_mul(v, scale));
      iacc = wasm_i32x4_add(wasm_i32x4_mul(iacc, wasm_i32x4_splat(31)), wasm_i32x4_trunc_sat_f32x4(v));
    }
    facc = wasm_f32x4_mul(facc, wasm_f32x4_splat(0.5f)); // keeps it finite
    iacc = wasm_i8x16_shuffle(iacc, iacc, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3);
    if (every != 0 && r % every == 0) {
      printf("simd %lu\n", r);
      fflush(stdout);
      struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
  uint32_t sum = (uint32_t)(wasm_f32x4_extract_lane(facc, 0) + wasm_f32x4_extract_lane(facc, 3));
  sum = sum * 31 + (uint32_t)wasm_i32x4_extract_lane(iacc, 0);
  sum = sum * 31 + (uint32_t)wasm_i32x4_extract_lane(iacc, 1);
  sum = sum * 31 + (uint32_t)wasm_i32x4_extract_lane(iacc, 2);
  sum = sum * 31 + (uint32_t)wasm_i32x4_extract_lane(iacc, 3);
  printf("simd %lu rounds: checksum %08x\n", rounds, sum);
  return 0;
}
