/*
 * The floor for a PSS scan: open, read to EOF and close /proc/PID/smaps_rollup for every pid
 * in /proc, and nothing else. What is left is the kernel's own cost (walking each process's
 * page tables under its mmap lock) plus one process start.
 * Prints one JSON line: {"ms":..,"procs":..,"bytes":..}.
 *
 * cc -O2 -o smaps-floor smaps-floor.c
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  DIR *d = opendir("/proc");
  if (!d) return 1;
  static char buf[65536];
  char path[64];
  long procs = 0, bytes = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    snprintf(path, sizeof path, "/proc/%s/smaps_rollup", e->d_name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) bytes += n;
    close(fd);
    procs++;
  }
  closedir(d);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("{\"ms\":%.3f,\"procs\":%ld,\"bytes\":%ld}\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, procs, bytes);
  return 0;
}
