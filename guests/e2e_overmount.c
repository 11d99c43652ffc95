/* e2e_overmount: seed 002 (CRIU overmounts). Builds mounts hidden by later mounts, keeps fds under them,
 * parks for a checkpoint/restore, then checks the fds still reach the covered contents and that
 * /proc/self/mountinfo shows the same stacking as before.
 *   e2e_overmount --go PATH [--ready PATH] [--done PATH]
 * Mounts (tmpfs through the `amber` import): /mnt/x with f and sub/h, then /mnt over it (a parent over
 * a mount); /stack with f, then a second tmpfs on /stack (two mounts on one mountpoint). */
#include <dirent.h>

#include "e2e.h"

static mount_line mi[128];

static void mount_tmpfs(const char *target) {
  int r = amber_mount("tmpfs", target, "tmpfs", 0, "");
  if (r != 0) fail("mount tmpfs on %s: %s", target, strerror(r));
}

static void absent(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 || errno != ENOENT) fail("%s should be covered (ENOENT), stat says %s", path, strerror(errno));
}

static void content(int fd, const char *want, const char *what) {
  char b[128];
  size_t n = strlen(want);
  struct stat st;
  if (fstat(fd, &st) != 0 || (size_t)st.st_size != n) fail("%s: expected %zu bytes, fstat says %lld", what, n, (long long)st.st_size);
  pread_all(fd, b, n, 0, what);
  if (memcmp(b, want, n)) fail("%s: expected '%s', read '%.*s'", what, want, (int)n, b);
}

/* The mounts under /mnt and /stack as "mountpoint#rank<parent#rank opts fstype; ", rank counting the
 * earlier mounts on the same mountpoint: ids may change across a restore, the stacking may not. */
static void stacking(char *out, size_t cap) {
  int n = mountinfo(mi, 128);
  size_t len = 0;
  out[0] = 0;
  for (int i = 0; i < n; i++) {
    if (strncmp(mi[i].mp, "/mnt", 4) && strncmp(mi[i].mp, "/stack", 6)) continue;
    int rank = 0, p = -1, prank = 0;
    for (int j = 0; j < n; j++) {
      if (j < i && !strcmp(mi[j].mp, mi[i].mp)) rank++;
      if (!strcmp(mi[j].id, mi[i].parent)) p = j;
    }
    for (int j = 0; j < p; j++) prank += !strcmp(mi[j].mp, mi[p].mp);
    len += (size_t)snprintf(out + len, cap - len, "%s#%d<%s#%d %s %s; ", mi[i].mp, rank, p >= 0 ? mi[p].mp : "?", prank, mi[i].opts, mi[i].fstype);
    if (len >= cap) fail("mountinfo too long");
  }
}

int main(int argc, char **argv) {
  g_prog = "overmount";
  const char *go = NULL, *ready = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--go")) go = argv[i + 1];
    else if (!strcmp(argv[i], "--ready")) ready = argv[i + 1];
    else if (!strcmp(argv[i], "--done")) g_done = argv[i + 1];
    else usage("e2e_overmount --go PATH [--ready PATH] [--done PATH]");
  }
  if (argc % 2 == 0 || !go) usage("e2e_overmount --go PATH [--ready PATH] [--done PATH]");

  mkdir("/mnt", 0755);
  mkdir("/mnt/x", 0755);
  mount_tmpfs("/mnt/x");
  write_file("/mnt/x/f", "under /mnt\n");
  mkdir("/mnt/x/sub", 0755);
  write_file("/mnt/x/sub/h", "h\n");
  int dirx = open("/mnt/x", O_RDONLY | O_DIRECTORY), fx = open("/mnt/x/f", O_RDWR);
  if (dirx < 0 || fx < 0) fail("open /mnt/x and /mnt/x/f: %s", strerror(errno));
  mount_tmpfs("/mnt");
  absent("/mnt/x");
  write_file("/mnt/top", "top\n");

  mkdir("/stack", 0755);
  mount_tmpfs("/stack");
  write_file("/stack/f", "first on /stack\n");
  int fy = open("/stack/f", O_RDWR);
  if (fy < 0) fail("open /stack/f: %s", strerror(errno));
  mount_tmpfs("/stack");
  absent("/stack/f");

  static char before[4096], after[4096];
  stacking(before, sizeof before);
  printf("before: %s\n", before);
  fflush(stdout);
  hold(ready, go, "mounts built\n");
  stacking(after, sizeof after);
  if (strcmp(before, after)) fail("the stacking changed: before [%s] after [%s]", before, after);

  content(fx, "under /mnt\n", "fd of covered /mnt/x/f");
  pwrite_all(fx, "more\n", 5, 11, "fd of covered /mnt/x/f");
  content(fx, "under /mnt\nmore\n", "fd of covered /mnt/x/f after a write");
  int f2 = openat(dirx, "f", O_RDONLY), h = openat(dirx, "sub/h", O_RDONLY);
  if (f2 < 0 || h < 0) fail("openat(dir fd of covered /mnt/x, f and sub/h): %s", strerror(errno));
  content(f2, "under /mnt\nmore\n", "openat(covered /mnt/x, f)");
  content(h, "h\n", "openat(covered /mnt/x, sub/h)");
  int g = openat(dirx, "g", O_RDWR | O_CREAT | O_EXCL, 0644);
  if (g < 0) fail("openat(covered /mnt/x, g, O_CREAT|O_EXCL): %s", strerror(errno));
  DIR *d = fdopendir(openat(dirx, ".", O_RDONLY | O_DIRECTORY));
  if (!d) fail("fdopendir(covered /mnt/x): %s", strerror(errno));
  char names[128] = "";
  int count = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && ++count < 6) strncat(names, e->d_name, 16), strcat(names, " ");
  closedir(d);
  if (count != 3 || !strstr(names, "f ") || !strstr(names, "g ") || !strstr(names, "sub ")) fail("readdir(covered /mnt/x): expected f g sub, saw %s", names);
  absent("/mnt/x");
  absent("/stack/f");
  content(fy, "first on /stack\n", "fd of covered /stack/f");
  char top[16];
  if (read_file("/mnt/top", top, sizeof top) < 0 || strcmp(top, "top\n")) fail("/mnt/top: expected 'top'");
  pass("fds and a dir fd under covered mounts work; stacking unchanged: %s", after);
  return 0;
}
