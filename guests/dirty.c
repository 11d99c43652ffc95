/* dirty: the write-tracking probe (src/sandbox/cut.test.ts, issue 10.5). Fills a buffer of MIB MiB, then
 * forever: each round writes a few pseudo-random pages of it, each through one way at a time: its own
 * store, and the syscalls that write into guest memory (fd_read of /dev/urandom and of a file, fd_pread,
 * random_get, clock_time_get, fd_filestat_get, path_filestat_get, fd_fdstat_get, fd_readdir,
 * fd_prestat_get, fd_prestat_dir_name, args_sizes_get, environ_sizes_get, fd_seek, fd_tell, poll_oneoff's
 * events), each one's result pointer into the buffer, a read across a page boundary now and then; then it
 * sleeps 1 ms so the pod can be cut. A checkpoint between rounds must find every page any of them wrote.
 * Prints "ready" once filled, "round N" after each round.
 * Usage: dirty MIB */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static uint64_t x = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

static uint8_t *buf;
static size_t size;

/* An 8-aligned place in the buffer with room for len bytes: mostly inside one page, at times across two. */
static uint8_t *at(size_t len) {
  size_t off = (size_t)(next() % (size - len - 16)) & ~(size_t)7;
  if (next() % 4 == 0) off = ((off / 4096) * 4096 + 4096 - 8) % (size - len - 16); /* across a page end */
  return buf + off;
}

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "dirty: %s failed\n", what);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: dirty MIB\n");
    return 2;
  }
  size = (size_t)strtol(argv[1], NULL, 10) << 20;
  buf = malloc(size);
  check(buf != NULL, "malloc");
  for (size_t i = 0; i < size; i += 8) *(uint64_t *)(buf + i) = next();
  int urandom = open("/dev/urandom", O_RDONLY);
  check(urandom >= 0, "open /dev/urandom");
  int file = open("/tmp/dirty.data", O_RDWR | O_CREAT | O_TRUNC, 0644);
  check(file >= 0, "open /tmp/dirty.data");
  for (int i = 0; i < 64; i++) {
    uint64_t v = next();
    check(write(file, &v, sizeof v) == sizeof v, "write");
  }
  printf("ready\n");
  fflush(stdout);
  for (unsigned long round = 1;; round++) {
    at(1)[0] = (uint8_t)next();                                   /* its own store */
    check(read(urandom, at(64), 64) == 64, "read /dev/urandom");  /* fd_read */
    check(lseek(file, 0, SEEK_SET) == 0, "lseek");
    check(read(file, at(300), 300) == 300, "read file");          /* fd_read */
    check(pread(file, at(100), 100, 8) == 100, "pread");          /* fd_pread */
    check(__wasi_random_get(at(48), 48) == 0, "random_get");
    check(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (__wasi_timestamp_t *)at(8)) == 0, "clock_time_get");
    check(__wasi_fd_filestat_get(file, (__wasi_filestat_t *)at(sizeof(__wasi_filestat_t))) == 0, "fd_filestat_get");
    check(__wasi_path_filestat_get(3, 0, "tmp/dirty.data", (__wasi_filestat_t *)at(sizeof(__wasi_filestat_t))) == 0, "path_filestat_get");
    check(__wasi_fd_fdstat_get(file, (__wasi_fdstat_t *)at(sizeof(__wasi_fdstat_t))) == 0, "fd_fdstat_get");
    uint8_t *dir = at(256);
    check(__wasi_fd_readdir(3, dir, 256, 0, (__wasi_size_t *)at(4)) == 0, "fd_readdir");
    check(__wasi_fd_prestat_get(3, (__wasi_prestat_t *)at(sizeof(__wasi_prestat_t))) == 0, "fd_prestat_get");
    check(__wasi_fd_prestat_dir_name(3, at(1), 1) == 0, "fd_prestat_dir_name");
    check(__wasi_args_sizes_get((__wasi_size_t *)at(4), (__wasi_size_t *)at(4)) == 0, "args_sizes_get");
    check(__wasi_environ_sizes_get((__wasi_size_t *)at(4), (__wasi_size_t *)at(4)) == 0, "environ_sizes_get");
    check(__wasi_fd_seek(file, 16, __WASI_WHENCE_SET, (__wasi_filesize_t *)at(8)) == 0, "fd_seek");
    check(__wasi_fd_tell(file, (__wasi_filesize_t *)at(8)) == 0, "fd_tell");
    /* poll_oneoff: a 1 ms sleep whose event lands in the buffer (and the pod may be cut meanwhile). */
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.userdata = round;
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.timeout = 1000000;
    check(__wasi_poll_oneoff(&sub, (__wasi_event_t *)at(sizeof(__wasi_event_t)), 1, (__wasi_size_t *)at(4)) == 0, "poll_oneoff");
    printf("round %lu\n", round);
    fflush(stdout);
  }
}
