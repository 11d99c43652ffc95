/* sqlite_bench: a real program's syscall-heavy work, SQLite (the amalgamation built by
 * scripts/build-sqlite.mjs) running N small transactions on a database file in DIR, as an application
 * would: each one BEGIN, an INSERT, an UPDATE of a running total, COMMIT, with SQLite's defaults
 * (rollback journal, synchronous=FULL, the WASI build's dot-file locking), so every transaction opens,
 * writes, syncs and deletes a journal and takes and drops a lock directory. Prints
 *   sqlite VERSION
 *   elapsed_ns N      the N transactions alone, CLOCK_MONOTONIC (open and schema left out)
 *   cpu_ns N          the same in CLOCK_PROCESS_CPUTIME_ID
 *   rows N sum S      read back after the last commit (and checked against the rows themselves): the
 *                     same for every runtime that ran it right
 * With --progress K it also prints `tx I` after every K-th transaction (a checkpoint can be taken
 * mid-run and the restored run must carry on to the same final line). With --warmup W, W more
 * transactions run first, outside the clock (the runtime's compiler has then seen every path).
 * Exits 1 on any SQLite error, naming the statement.
 * Usage: sqlite_bench DIR [N=1000] [--progress K] [--warmup W]   (DIR must exist; DIR/bench.db is made anew) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sqlite3.h"

static long long clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static sqlite3 *db;

static void die(const char *what) {
  fprintf(stderr, "sqlite_bench: %s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static void exec(const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "sqlite_bench: %s: %s\n", sql, err != NULL ? err : "?");
    exit(1);
  }
}

static sqlite3_stmt *prepare(const char *sql) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(sql);
  return s;
}

/* Steps s to its end; returns the first column of its last row (0 if none). */
static long long run(sqlite3_stmt *s, const char *what) {
  long long v = 0;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  if (rc != SQLITE_DONE) die(what);
  sqlite3_reset(s);
  return v;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sqlite_bench DIR [N] [--progress K] [--warmup W]\n");
    return 2;
  }
  const char *dir = argv[1];
  long n = 1000;
  long progress = 0;
  long warmup = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--progress") == 0 && i + 1 < argc) progress = atol(argv[++i]);
    else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) warmup = atol(argv[++i]);
    else n = atol(argv[i]);
  }
  if (n <= 0 || progress < 0 || warmup < 0) {
    fprintf(stderr, "sqlite_bench: N must be > 0, K and W >= 0\n");
    return 2;
  }
  char path[4096];
  if (snprintf(path, sizeof path, "%s/bench.db", dir) >= (int)sizeof path) {
    fprintf(stderr, "sqlite_bench: %s: path too long\n", dir);
    return 2;
  }
  unlink(path); /* a fresh database each run: every runtime does the same work */
  if (sqlite3_open(path, &db) != SQLITE_OK) die(path);
  printf("sqlite %s\n", sqlite3_libversion());
  exec("CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT);"
       "CREATE TABLE totals(n INTEGER, s INTEGER); INSERT INTO totals VALUES(0, 0)");
  sqlite3_stmt *begin = prepare("BEGIN");
  sqlite3_stmt *insert = prepare("INSERT INTO t(k, v) VALUES(?1, printf('value %d', ?1))");
  /* A running total, not a sum over t: every transaction does the same work however many came before. */
  sqlite3_stmt *total = prepare("UPDATE totals SET n = n + 1, s = s + ?1");
  sqlite3_stmt *commit = prepare("COMMIT");

  long long t0 = 0, c0 = 0;
  for (long i = 1 - warmup; i <= n; i++) {
    if (i == 1) {
      t0 = clock_ns(CLOCK_MONOTONIC);
      c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    }
    run(begin, "BEGIN");
    long k = i + warmup; /* 1, 2, ... over every transaction, warm-up included */
    sqlite3_bind_int64(insert, 1, k);
    run(insert, "INSERT");
    sqlite3_bind_int64(total, 1, k);
    run(total, "UPDATE");
    run(commit, "COMMIT");
    if (progress > 0 && k % progress == 0) {
      printf("tx %ld\n", k);
      fflush(stdout);
    }
  }
  long long t1 = clock_ns(CLOCK_MONOTONIC), c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

  sqlite3_stmt *check = prepare("SELECT count(*) = (SELECT n FROM totals) AND sum(k) = (SELECT s FROM totals) FROM t");
  sqlite3_stmt *count = prepare("SELECT n FROM totals");
  sqlite3_stmt *sum = prepare("SELECT s FROM totals");
  if (run(check, "SELECT check") != 1) {
    fprintf(stderr, "sqlite_bench: the running total disagrees with the rows\n");
    return 1;
  }
  long long rows = run(count, "SELECT n");
  long long s = run(sum, "SELECT s");
  sqlite3_finalize(check);
  sqlite3_finalize(count);
  sqlite3_finalize(sum);
  sqlite3_finalize(begin);
  sqlite3_finalize(insert);
  sqlite3_finalize(total);
  sqlite3_finalize(commit);
  if (sqlite3_close(db) != SQLITE_OK) die("close");
  printf("elapsed_ns %lld\ncpu_ns %lld\nrows %lld sum %lld\n", t1 - t0, c1 - c0, rows, s);
  return 0;
}
