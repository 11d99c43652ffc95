/* bigmem: a guest with linear memory past 2 GiB (wasm32 allows 4 GiB, 65536 pages of 64 KiB).
 *   bigmem PAGES TICKS MS
 * Grows memory to PAGES pages, then keeps its counter and its output buffer in the last page and a
 * marker at 2 GiB + 12345 (both past 2^31 when PAGES > 32768). Each tick it checks the markers,
 * increments the counter, formats "bigmem N" in the last page and writes it to stdout from there (a WASI
 * call given a pointer past 2^31), then sleeps MS ms (poll_oneoff, a blocking call: the guest unwinds
 * with all that memory). Exits 0 after tick TICKS; a restored one continues its count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE 65536UL
#define MAGIC 0x5eed2b16U

struct top {
  unsigned magic;
  unsigned count;
  char line[64];
};

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bigmem PAGES TICKS MS\n");
    return 2;
  }
  unsigned long pages = strtoul(argv[1], NULL, 10);
  unsigned long ticks = strtoul(argv[2], NULL, 10);
  long ms = strtol(argv[3], NULL, 10);
  unsigned long have = __builtin_wasm_memory_size(0);
  if (pages > have && __builtin_wasm_memory_grow(0, pages - have) == (unsigned long)-1) {
    fprintf(stderr, "bigmem: memory.grow to %lu pages failed\n", pages);
    return 1;
  }
  struct top *top = (struct top *)(pages * PAGE - PAGE);
  volatile unsigned *mark = pages * PAGE > 0x80000000UL + 65536 ? (volatile unsigned *)(0x80000000UL + 12345) : NULL;
  top->magic = MAGIC;
  top->count = 0;
  if (mark != NULL) *mark = MAGIC ^ 1;
  printf("bigmem grew to %lu pages\n", pages);
  fflush(stdout);
  while (top->count < ticks) {
    if (top->magic != MAGIC || (mark != NULL && *mark != (MAGIC ^ 1))) {
      fprintf(stderr, "bigmem: a marker past 2 GiB changed\n");
      return 1;
    }
    top->count++;
    int n = snprintf(top->line, sizeof top->line, "bigmem %u\n", top->count);
    if (write(STDOUT_FILENO, top->line, (size_t)n) != n) {
      perror("bigmem: write");
      return 1;
    }
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  return 0;
}
