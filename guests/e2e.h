/* e2e.h: what the end-to-end guests (e2e_*.c, for test/pods.test.ts and test/seeds.test.ts) share: a
 * verdict ("OK prog: ..." or "FAIL prog: ...", one line on stderr and in the --done file the test polls
 * for), trigger files that park a guest so a checkpoint lands while it runs (--ready written by the
 * guest, --go created by the test), file helpers, /proc/self/mountinfo, and the `amber` import module
 * (mount(2)/umount2(2); 0 or a WASI errno). */
#ifndef AMBER_GUESTS_E2E_H
#define AMBER_GUESTS_E2E_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define U __attribute__((unused)) static

__attribute__((import_module("amber"), import_name("mount")))
int amber_mount(const char *source, const char *target, const char *fstype, unsigned long long flags, const char *data);
__attribute__((import_module("amber"), import_name("umount")))
int amber_umount(const char *target, int flags);
#define MS_RDONLY 1ULL
#define MS_NOSUID 2ULL
#define MS_NODEV 4ULL
#define MS_NOEXEC 8ULL
#define MS_REMOUNT 32ULL
#define MS_BIND 4096ULL

static const char *g_prog = "guest";
static const char *g_done;

/* The verdict line to stderr and, with --done, into that file in one write. */
static void verdict(const char *line) {
  fflush(stdout);
  fputs(line, stderr);
  fflush(stderr);
  if (!g_done) return;
  int fd = open(g_done, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, line, strlen(line)) < 0) fprintf(stderr, "%s: cannot write %s: %s\n", g_prog, g_done, strerror(errno));
  if (fd >= 0) close(fd);
}

__attribute__((noreturn, format(printf, 1, 2))) U void fail(const char *fmt, ...) {
  char msg[900], line[1000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *c = msg; *c; c++)
    if (*c == '\n') *c = '|';
  snprintf(line, sizeof line, "FAIL %s: %s\n", g_prog, msg);
  verdict(line);
  exit(1);
}

__attribute__((format(printf, 1, 2))) U void pass(const char *fmt, ...) {
  char msg[900], line[1000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(line, sizeof line, "OK %s: %s\n", g_prog, msg);
  verdict(line);
}

U void usage(const char *text) {
  fprintf(stderr, "usage: %s\n", text);
  exit(2);
}

U void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

U long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

U int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* The whole file into buf, NUL-terminated; its length, or -1 with errno. */
U long read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  size_t len = 0;
  ssize_t r;
  while (len < cap - 1 && (r = read(fd, buf + len, cap - 1 - len)) > 0) len += (size_t)r;
  close(fd);
  buf[len] = 0;
  return (long)len;
}

U void write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail("open(%s, O_CREAT|O_TRUNC): %s", path, strerror(errno));
  if (write(fd, data, strlen(data)) != (ssize_t)strlen(data)) fail("write(%s): %s", path, strerror(errno));
  close(fd);
}

/* A count and a newline in path: -1 if the file is absent; fails on anything else. */
U int read_count(const char *path) {
  char b[32];
  if (read_file(path, b, sizeof b) < 0) {
    if (errno == ENOENT) return -1;
    fail("reading %s: %s", path, strerror(errno));
  }
  char *end;
  long v = strtol(b, &end, 10);
  if (end == b || strcmp(end, "\n")) fail("%s: expected a count and a newline, saw '%.20s'", path, b);
  return (int)v;
}

U void write_count(const char *path, int n) {
  char b[32];
  snprintf(b, sizeof b, "%d\n", n);
  write_file(path, b);
}

U void pread_all(int fd, void *buf, size_t n, off_t off, const char *what) {
  for (size_t got = 0; got < n;) {
    ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
    if (r <= 0) fail("pread(%s) at %lld: %s", what, (long long)(off + (off_t)got), r < 0 ? strerror(errno) : "end of file");
    got += (size_t)r;
  }
}

U void pwrite_all(int fd, const void *buf, size_t n, off_t off, const char *what) {
  for (size_t put = 0; put < n;) {
    ssize_t r = pwrite(fd, (const char *)buf + put, n - put, off + (off_t)put);
    if (r <= 0) fail("pwrite(%s) at %lld: %s", what, (long long)(off + (off_t)put), r < 0 ? strerror(errno) : "wrote 0");
    put += (size_t)r;
  }
}

/* tmpl with its "%d" (if any) replaced by k, so one flag names a trigger file per hold point. */
U const char *subst(const char *tmpl, int k, char *out, size_t cap) {
  const char *p = strstr(tmpl, "%d");
  if (!p) snprintf(out, cap, "%s", tmpl);
  else snprintf(out, cap, "%.*s%d%s", (int)(p - tmpl), tmpl, k, p + 2);
  return out;
}

/* Writes the ready file (if any), then polls for the go file with short sleeps (the checkpoint lands
 * in this loop); gives up after 60 s. */
U void hold(const char *ready, const char *go, const char *what) {
  if (ready) write_file(ready, what);
  long long start = mono_ms();
  while (!exists(go)) {
    if (mono_ms() - start > 60000) fail("waited 60 s at %s for trigger file %s", what, go);
    sleep_ms(10);
  }
}

/* --- /proc/self/mountinfo ----------------------------------------------------------------------- */

typedef struct {
  char id[16], parent[16], mp[128], opts[128], fstype[32];
} mount_line;

/* The mounts of /proc/self/mountinfo, in its order; their count. */
U int mountinfo(mount_line *out, int cap) {
  static char text[32768];
  if (read_file("/proc/self/mountinfo", text, sizeof text) < 0) fail("reading /proc/self/mountinfo: %s", strerror(errno));
  int n = 0;
  for (char *line = strtok(text, "\n"); line && n < cap; line = strtok(NULL, "\n")) {
    char *f[24], *save;
    int nf = 0, dash = -1;
    for (char *s = strtok_r(line, " ", &save); s && nf < 24; s = strtok_r(NULL, " ", &save)) {
      if (nf >= 6 && dash < 0 && !strcmp(s, "-")) dash = nf;
      f[nf++] = s;
    }
    if (nf < 9 || dash < 0 || dash + 1 >= nf) fail("mountinfo line %d is not in Linux's format", n + 1);
    mount_line *m = &out[n++];
    snprintf(m->id, sizeof m->id, "%s", f[0]);
    snprintf(m->parent, sizeof m->parent, "%s", f[1]);
    snprintf(m->mp, sizeof m->mp, "%s", f[4]);
    snprintf(m->opts, sizeof m->opts, "%s", f[5]);
    snprintf(m->fstype, sizeof m->fstype, "%s", f[dash + 1]);
  }
  return n;
}

U int has_opt(const char *list, const char *opt) {
  size_t n = strlen(opt);
  for (const char *p = list; *p;) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    if (len == n && !strncmp(p, opt, n)) return 1;
    if (!c) break;
    p = c + 1;
  }
  return 0;
}

#endif
