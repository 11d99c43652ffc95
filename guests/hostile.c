/* hostile: a container that tries to take more than it is given, for the tests of limits and hostile
 * input (issue 12). Each command prints one line saying what it got, errors by their errno name, and
 * exits 0 unless the command itself could not be run:
 *   hostile remount PATH       remount PATH clearing every flag (MS_REMOUNT|MS_BIND, then MS_REMOUNT), then
 *                              create PATH/.probe: "remount-bind=E remount=E create=E"
 *   hostile grow PAGES         memory.grow by PAGES, then a blocking call (a 10 ms sleep): "grew PAGES from OLD"
 *                              or "grow refused"
 *   hostile fill PATH MIB      write 1 MiB at a time to the file PATH until MIB MiB or an error:
 *                              "wrote N MiB: E"
 *   hostile open PATH N        open PATH N times, keeping each open: "opened N: E"
 *   hostile malloc MIB         malloc and touch 1 MiB at a time until MIB MiB or NULL: "allocated N MiB"
 *   hostile spinwrite PATH     write 1 MiB to PATH, rewinding, forever
 *   hostile out MIB            write MIB MiB of 'x' to stdout
 */
#include "e2e.h"

static char chunk[1 << 20];

static const char *errname(int e) {
  switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case EROFS: return "EROFS";
    case ENOSPC: return "ENOSPC";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EFBIG: return "EFBIG";
    case EDQUOT: return "EDQUOT";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    default: return strerror(e);
  }
}

static long number(const char *s) {
  char *end;
  long n = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || n < 0) usage("hostile: expected a number");
  return n;
}

static int remount(const char *path) {
  int bind = amber_mount(NULL, path, NULL, MS_REMOUNT | MS_BIND, NULL);
  int plain = amber_mount(NULL, path, NULL, MS_REMOUNT, NULL);
  char probe[512];
  snprintf(probe, sizeof probe, "%s/.probe", path);
  int fd = open(probe, O_WRONLY | O_CREAT, 0644);
  int created = fd >= 0 ? 0 : errno;
  if (fd >= 0) {
    if (write(fd, "escaped\n", 8) != 8) created = errno;
    close(fd);
  }
  printf("remount-bind=%s remount=%s create=%s\n", errname(bind), errname(plain), errname(created));
  return 0;
}

static int grow(long pages) {
  long old = (long)__builtin_wasm_memory_grow(0, (unsigned long)pages);
  if (old < 0) {
    printf("grow refused\n");
    return 0;
  }
  /* Touch the last page grown, so the memory is really there. */
  volatile char *last = (volatile char *)((old + pages) * 65536L - 1);
  *last = 1;
  sleep_ms(10);
  printf("grew %ld from %ld\n", pages, old);
  return 0;
}

static int fill(const char *path, long mib) {
  memset(chunk, 'f', sizeof chunk);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    printf("wrote 0 MiB: %s\n", errname(errno));
    return 0;
  }
  long n = 0;
  int err = 0;
  while (n < mib) {
    ssize_t w = write(fd, chunk, sizeof chunk);
    if (w < 0) {
      err = errno;
      break;
    }
    if (w != (ssize_t)sizeof chunk) {
      err = ENOSPC;
      break;
    }
    n++;
  }
  close(fd);
  printf("wrote %ld MiB: %s\n", n, errname(err));
  return 0;
}

static int open_many(const char *path, long count) {
  long n = 0;
  int err = 0;
  while (n < count) {
    if (open(path, O_RDONLY) < 0) {
      err = errno;
      break;
    }
    n++;
  }
  printf("opened %ld: %s\n", n, errname(err));
  return 0;
}

/* What alloc keeps: each block points at the one before, so the compiler cannot drop the mallocs. */
static void *volatile kept;

static int alloc(long mib) {
  long n = 0;
  while (n < mib) {
    char *p = malloc(1 << 20);
    if (p == NULL) break;
    memset(p, 'm', 1 << 20);
    *(void **)p = kept;
    kept = p;
    n++;
  }
  printf("allocated %ld MiB\n", n);
  return 0;
}

static int spinwrite(const char *path) {
  memset(chunk, 's', sizeof chunk);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail("open %s: %s", path, strerror(errno));
  for (;;) {
    if (pwrite(fd, chunk, sizeof chunk, 0) < 0) fail("pwrite %s: %s", path, strerror(errno));
  }
}

static int out(long mib) {
  memset(chunk, 'x', sizeof chunk);
  for (long i = 0; i < mib; i++) {
    for (size_t put = 0; put < sizeof chunk;) {
      ssize_t w = write(1, chunk + put, sizeof chunk - put);
      if (w <= 0) fail("write stdout: %s", w < 0 ? strerror(errno) : "wrote 0");
      put += (size_t)w;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  g_prog = "hostile";
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "remount") && argc == 3) return remount(argv[2]);
  if (!strcmp(cmd, "grow") && argc == 3) return grow(number(argv[2]));
  if (!strcmp(cmd, "fill") && argc == 4) return fill(argv[2], number(argv[3]));
  if (!strcmp(cmd, "open") && argc == 4) return open_many(argv[2], number(argv[3]));
  if (!strcmp(cmd, "malloc") && argc == 3) return alloc(number(argv[2]));
  if (!strcmp(cmd, "spinwrite") && argc == 3) return spinwrite(argv[2]);
  if (!strcmp(cmd, "out") && argc == 3) return out(number(argv[2]));
  usage("hostile remount PATH | grow PAGES | fill PATH MIB | open PATH N | malloc MIB | spinwrite PATH | out MIB");
  return 2;
}
