/*
 * The floor for an exact frame scan: for every pid given (or every pid in /proc), read
 * /proc/PID/maps, read /proc/PID/pagemap over each mapping in 512 KiB reads, set a bit per
 * present frame in a bitmap over the PFN space, and count distinct frames. With -k it also reads
 * /proc/kpagecount and /proc/kpageflags for the distinct frames, in runs of nearby PFNs, as
 * memledger does. Prints one JSON line: {"ms":..,"procs":..,"mappedPages":..,"uniqueFrames":..}.
 *
 * cc -O2 -o pagemap-floor pagemap-floor.c
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 65536
#define GAP 8

static uint64_t *bitmap;
static uint64_t bitmap_words;

static void set_bit(uint64_t pfn, uint64_t *unique) {
  uint64_t w = pfn >> 6;
  if (w >= bitmap_words) {
    uint64_t n = (w + 1) * 2;
    bitmap = realloc(bitmap, n * 8);
    memset(bitmap + bitmap_words, 0, (n - bitmap_words) * 8);
    bitmap_words = n;
  }
  uint64_t m = 1ULL << (pfn & 63);
  if (!(bitmap[w] & m)) {
    bitmap[w] |= m;
    (*unique)++;
  }
}

static uint64_t buf[BATCH];

static void scan_pid(int pid, uint64_t page, uint64_t *mapped, uint64_t *unique) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *maps = fopen(path, "r");
  if (!maps) return;
  snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fclose(maps);
    return;
  }
  char line[4096];
  while (fgets(line, sizeof line, maps)) {
    unsigned long long start, end;
    if (sscanf(line, "%llx-%llx", &start, &end) != 2) continue;
    if (strstr(line, "[vsyscall]")) continue;
    uint64_t vpn = start / page, evpn = (end + page - 1) / page;
    while (vpn < evpn) {
      uint64_t want = evpn - vpn < BATCH ? evpn - vpn : BATCH;
      ssize_t got = pread(fd, buf, want * 8, vpn * 8);
      if (got <= 0) break;
      size_t n = got / 8;
      for (size_t i = 0; i < n; i++) {
        uint64_t e = buf[i];
        if (!(e >> 63)) continue;
        uint64_t pfn = e & ((1ULL << 55) - 1);
        if (!pfn) continue;
        (*mapped)++;
        set_bit(pfn, unique);
      }
      vpn += n;
    }
  }
  close(fd);
  fclose(maps);
}

static uint64_t kbuf[BATCH], fbuf[BATCH];

/* Read kpagecount and kpageflags for the set bits, in runs as memledger reads them. */
static uint64_t read_kpages(void) {
  int cfd = open("/proc/kpagecount", O_RDONLY), ffd = open("/proc/kpageflags", O_RDONLY);
  if (cfd < 0 || ffd < 0) return 0;
  uint64_t reads = 0, total = bitmap_words * 64, pfn = 0, sink = 0;
  while (pfn < total) {
    if (!(bitmap[pfn >> 6] >> (pfn & 63) & 1)) {
      pfn++;
      continue;
    }
    uint64_t first = pfn, last = pfn;
    for (uint64_t p = pfn + 1; p < total && p - last <= GAP && p - first < BATCH; p++)
      if (bitmap[p >> 6] >> (p & 63) & 1) last = p;
    size_t len = (last - first + 1) * 8;
    ssize_t a = pread(cfd, kbuf, len, first * 8), b = pread(ffd, fbuf, len, first * 8);
    if (a > 0) sink += kbuf[0];
    if (b > 0) sink += fbuf[0];
    reads += 2;
    pfn = last + 1;
  }
  close(cfd);
  close(ffd);
  return reads + (sink & 0);
}

int main(int argc, char **argv) {
  int kpages = 0, argi = 1;
  if (argi < argc && !strcmp(argv[argi], "-k")) kpages = 1, argi++;
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), mapped = 0, unique = 0, procs = 0, kreads = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (argi < argc) {
    for (; argi < argc; argi++, procs++) scan_pid(atoi(argv[argi]), page, &mapped, &unique);
  } else {
    DIR *d = opendir("/proc");
    struct dirent *de;
    while ((de = readdir(d)))
      if (isdigit((unsigned char)de->d_name[0])) scan_pid(atoi(de->d_name), page, &mapped, &unique), procs++;
    closedir(d);
  }
  if (kpages) kreads = read_kpages();
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf("{\"ms\":%.3f,\"procs\":%llu,\"mappedPages\":%llu,\"uniqueFrames\":%llu,\"kpageReads\":%llu,\"bitmapBytes\":%llu}\n", ms,
         (unsigned long long)procs, (unsigned long long)mapped, (unsigned long long)unique, (unsigned long long)kreads,
         (unsigned long long)(bitmap_words * 8));
  free(bitmap);
  return 0;
}
