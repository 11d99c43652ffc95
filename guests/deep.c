/* deep: recursion N levels deep (each level a real call with values live across it, as a recursive
 * descent parser's), then prints "depth N sum S" and exits 0. Native stack is what runs out: a runtime
 * whose frames are bigger (Asyncify-instrumented code) dies of it at a depth another runtime reaches.
 * Usage: deep N */
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

/* Sixteen values live across the call: a frame of real size, as a parser's or an optimizer's. */
static __attribute__((noinline)) long long down(int n, long long a, long long b) {
  if (n == 0) return a + b;
  long long v[16];
  for (int i = 0; i < 16; i++) v[i] = a * (i + 3) + (b >> i) + sink;
  long long c = v[0] ^ v[5] ^ v[11];
  long long r = down(n - 1, c, b + v[15]);
#pragma clang loop unroll(full)
  for (int i = 0; i < 16; i++) r += v[i] & (i + 1);
  return r;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: deep N\n");
    return 2;
  }
  int n = atoi(argv[1]);
  if (n < 0) {
    fprintf(stderr, "deep: N must be >= 0\n");
    return 2;
  }
  printf("depth %d sum %lld\n", n, down(n, 1, 2));
  return 0;
}
