/* flood: writes MIB MiB of 'x' to stdout, in writes of CHUNK bytes (default 1 MiB), each written whole
 * however short the writes it takes; exits 1 on a failed write. No import of Amber's own, so node:wasi
 * runs it too: the output benchmark (bench/stream.ts) pipes it to wc -c under both.
 *   flood MIB [CHUNK] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 20];

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: flood MIB [CHUNK]\n");
    return 2;
  }
  long long total = atoll(argv[1]) << 20;
  size_t chunk = argc == 3 ? (size_t)atol(argv[2]) : sizeof buf;
  if (chunk == 0 || chunk > sizeof buf) {
    fprintf(stderr, "flood: CHUNK must be 1..%zu\n", sizeof buf);
    return 2;
  }
  memset(buf, 'x', sizeof buf);
  for (long long done = 0; done < total;) {
    size_t want = total - done < (long long)chunk ? (size_t)(total - done) : chunk;
    for (size_t put = 0; put < want;) {
      ssize_t w = write(1, buf + put, want - put);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        fprintf(stderr, "flood: write: %s\n", w < 0 ? strerror(errno) : "wrote 0");
        return 1;
      }
      put += (size_t)w;
    }
    done += (long long)want;
  }
  return 0;
}
