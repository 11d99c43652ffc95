/* ls: an `ls -lR`-style recursive listing of argv[1] (default "."), names sorted, symlinks not followed:
 * a "DIR:" header per directory, then "MODE NLINK SIZE NAME" per entry ("NAME -> TARGET" for a symlink;
 * WASI preview 1 has no permission bits, so MODE is the type then "---------", e.g. "d---------").
 * Subdirectories follow, each after a blank line. Exits 1 on any error, after listing what it could. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failed;

static void fail(const char *what, const char *path) {
  fprintf(stderr, "ls: %s %s: %s\n", what, path, strerror(errno));
  failed = 1;
}

static char type_char(mode_t m) {
  if (S_ISDIR(m)) return 'd';
  if (S_ISLNK(m)) return 'l';
  if (S_ISCHR(m)) return 'c';
  if (S_ISBLK(m)) return 'b';
  if (S_ISFIFO(m)) return 'p';
  if (S_ISSOCK(m)) return 's';
  return '-';
}

static void mode_string(mode_t m, char out[11]) {
  static const char rwx[] = "rwxrwxrwx";
  out[0] = type_char(m);
  for (int i = 0; i < 9; i++) out[i + 1] = (m & (0400 >> i)) ? rwx[i] : '-';
  out[10] = '\0';
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + 1 + strlen(name) + 1;
  char *p = malloc(n);
  if (p == NULL) {
    perror("ls: malloc");
    exit(1);
  }
  snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
  return p;
}

/* Reads the names in dir, except "." and "..", sorted; returns how many (or -1 on error). */
static int read_names(const char *dir, char ***names) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    fail("cannot open directory", dir);
    return -1;
  }
  int n = 0, cap = 16;
  char **v = malloc(sizeof *v * (size_t)cap);
  struct dirent *e;
  errno = 0;
  while (v != NULL && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (n == cap) v = realloc(v, sizeof *v * (size_t)(cap *= 2));
    if (v != NULL) v[n++] = strdup(e->d_name);
  }
  if (v == NULL || errno != 0) {
    fail("cannot read directory", dir);
    closedir(d);
    return -1;
  }
  closedir(d);
  qsort(v, (size_t)n, sizeof *v, by_name);
  *names = v;
  return n;
}

/* Prints one entry's line; returns 1 when it is a directory (to descend into), 0 otherwise or on error. */
static int entry(const char *path, const char *name) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    fail("cannot access", path);
    return 0;
  }
  char mode[11];
  mode_string(st.st_mode, mode);
  printf("%s %llu %lld %s", mode, (unsigned long long)st.st_nlink, (long long)st.st_size, name);
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len < 0) {
      printf("\n");
      fail("cannot read symbolic link", path);
      return 0;
    }
    target[len] = '\0';
    printf(" -> %s", target);
  }
  printf("\n");
  return S_ISDIR(st.st_mode);
}

static void list(const char *dir, int first) {
  char **names;
  int n = read_names(dir, &names);
  if (n < 0) return;
  printf("%s%s:\n", first ? "" : "\n", dir);
  char *subdirs[n > 0 ? n : 1];
  int nsub = 0;
  for (int i = 0; i < n; i++) {
    char *path = join(dir, names[i]);
    if (entry(path, names[i]))
      subdirs[nsub++] = path;
    else
      free(path);
  }
  for (int i = 0; i < nsub; i++) {
    list(subdirs[i], 0);
    free(subdirs[i]);
  }
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

int main(int argc, char **argv) {
  if (argc > 2) {
    fprintf(stderr, "usage: ls [DIR]\n");
    return 2;
  }
  const char *dir = argc == 2 ? argv[1] : ".";
  struct stat st;
  if (lstat(dir, &st) != 0) {
    fail("cannot access", dir);
    return 1;
  }
  if (S_ISDIR(st.st_mode))
    list(dir, 1);
  else
    entry(dir, dir);
  return failed;
}
