// bulkmem: memory.copy and memory.fill at work (built with -mbulk-memory, as toolchains that target
// newer engines build by default). Fills and copies buffers ROUNDS times, moving overlapping ranges
// both ways, and prints a checksum that a build without bulk memory prints too.
//   bulkmem ROUNDS
// cflags: -mbulk-memory
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIZE (1 << 16)

static uint8_t a[SIZE], b[SIZE];

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bulkmem ROUNDS\n");
    return 2;
  }
  unsigned long rounds = strtoul(argv[1], NULL, 10);
  uint32_t sum = 0;
  for (unsigned long r = 0; r < rounds; r++) {
    size_t n = 1 + (r * 7919) % (SIZE / 2);
    memset(a, (int)(r & 0xff), n);
    memcpy(b + (r % 64), a, n);
    memmove(b + 1, b, n);
    memmove(b, b + 3, n);
    for (size_t i = 0; i < SIZE; i += 997) sum = sum * 31 + b[i];
  }
  printf("bulkmem %lu rounds: checksum %08x\n", rounds, sum);
  return 0;
}
