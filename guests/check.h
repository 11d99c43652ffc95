/* check.h: the assertions of the self-checking guests (syscalls.c). Each check counts itself; the first
 * mismatch prints "FAIL <what>: expected X, saw Y" to stderr and exits 1. Built with -DCHECK_KEEP_GOING,
 * a mismatch is printed and counted and the run goes on (to list every mismatch while debugging a kernel).
 * Errno values are WASI's: in wasi-libc, errno and the __wasi_* results use the same numbers. */
#ifndef AMBER_GUESTS_CHECK_H
#define AMBER_GUESTS_CHECK_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int checks;  /* checks run */
static int failures; /* mismatches seen (only past 0 with CHECK_KEEP_GOING) */

/* The symbolic name of a WASI errno, e.g. "ENOENT"; "success" for 0. */
static const char *errname(int e) {
#define N(x) [__WASI_ERRNO_##x] = "E" #x
  static const char *const names[] = {
      [__WASI_ERRNO_SUCCESS] = "success",
      N(2BIG), N(ACCES), N(ADDRINUSE), N(ADDRNOTAVAIL), N(AFNOSUPPORT), N(AGAIN), N(ALREADY), N(BADF),
      N(BADMSG), N(BUSY), N(CANCELED), N(CHILD), N(CONNABORTED), N(CONNREFUSED), N(CONNRESET), N(DEADLK),
      N(DESTADDRREQ), N(DOM), N(DQUOT), N(EXIST), N(FAULT), N(FBIG), N(HOSTUNREACH), N(IDRM), N(ILSEQ),
      N(INPROGRESS), N(INTR), N(INVAL), N(IO), N(ISCONN), N(ISDIR), N(LOOP), N(MFILE), N(MLINK), N(MSGSIZE),
      N(MULTIHOP), N(NAMETOOLONG), N(NETDOWN), N(NETRESET), N(NETUNREACH), N(NFILE), N(NOBUFS), N(NODEV),
      N(NOENT), N(NOEXEC), N(NOLCK), N(NOLINK), N(NOMEM), N(NOMSG), N(NOPROTOOPT), N(NOSPC), N(NOSYS),
      N(NOTCONN), N(NOTDIR), N(NOTEMPTY), N(NOTRECOVERABLE), N(NOTSOCK), N(NOTSUP), N(NOTTY), N(NXIO),
      N(OVERFLOW), N(OWNERDEAD), N(PERM), N(PIPE), N(PROTO), N(PROTONOSUPPORT), N(PROTOTYPE), N(RANGE),
      N(ROFS), N(SPIPE), N(SRCH), N(STALE), N(TIMEDOUT), N(TXTBSY), N(XDEV), N(NOTCAPABLE),
  };
#undef N
  static char other[24];
  if (e >= 0 && (size_t)e < sizeof names / sizeof names[0]) return names[e];
  snprintf(other, sizeof other, "errno %d", e);
  return other;
}

/* Formats into one of a few rotating static buffers, so a check can name itself: at("pread at %d", n). */
__attribute__((format(printf, 1, 2))) static const char *at(const char *fmt, ...) {
  static char bufs[4][256];
  static int next;
  char *b = bufs[next++ % 4];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b, sizeof bufs[0], fmt, ap);
  va_end(ap);
  return b;
}

static void mismatch(const char *what, const char *expected, const char *saw) {
  fprintf(stderr, "FAIL %s: expected %s, saw %s\n", what, expected, saw);
  failures++;
#ifndef CHECK_KEEP_GOING
  exit(1);
#endif
}

/* A printable, quoted, shortened copy of n bytes (non-printing bytes as \xHH). */
static const char *quote(const void *p, size_t n) {
  static char bufs[2][200];
  static int next;
  char *b = bufs[next++ % 2];
  const unsigned char *s = p;
  size_t o = 0;
  b[o++] = '"';
  for (size_t i = 0; i < n && o < sizeof bufs[0] - 8; i++) {
    if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
      b[o++] = (char)s[i];
    else
      o += (size_t)snprintf(b + o, 5, "\\x%02x", s[i]);
  }
  if (o >= sizeof bufs[0] - 8) o += (size_t)snprintf(b + o, 5, "...");
  b[o++] = '"';
  b[o] = '\0';
  return b;
}

/* saw == expected. */
static void eq(const char *what, long long expected, long long saw) {
  checks++;
  if (saw != expected) mismatch(what, at("%lld", expected), at("%lld", saw));
}

/* cond holds; `expected` says what should have been true (for the message), saw what was. */
static void truth(const char *what, int cond, const char *expected, const char *saw) {
  checks++;
  if (!cond) mismatch(what, expected, saw);
}

/* The n bytes at saw are the n bytes at expected. */
static void eq_bytes(const char *what, const void *expected, const void *saw, size_t n) {
  checks++;
  if (memcmp(expected, saw, n) != 0) mismatch(what, quote(expected, n), quote(saw, n));
}

static void eq_str(const char *what, const char *expected, const char *saw) {
  checks++;
  if (strcmp(expected, saw) != 0) mismatch(what, quote(expected, strlen(expected)), quote(saw, strlen(saw)));
}

/* A libc call succeeded: ret is not -1 (its errno is named otherwise). Returns ret. */
static long long ok(const char *what, long long ret) {
  checks++;
  if (ret == -1) mismatch(what, "success", errname(errno));
  return ret;
}

/* A libc call failed with errno e. */
static void fails(const char *what, long long ret, int e) {
  checks++;
  if (ret != -1)
    mismatch(what, errname(e), at("success (%lld)", ret));
  else if (errno != e)
    mismatch(what, errname(e), errname(errno));
}

/* A raw __wasi_* call returned e (0 for success). */
static void wasi(const char *what, __wasi_errno_t got, __wasi_errno_t e) {
  checks++;
  if (got != e) mismatch(what, errname(e), errname(got));
}

/* A function returning an error number (posix_fallocate) returned e. */
static void returns(const char *what, int got, int e) {
  checks++;
  if (got != e) mismatch(what, errname(e), errname(got));
}

#endif
