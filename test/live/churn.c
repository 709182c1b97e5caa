/*
 * Process churn for the collector's race tests: keeps about TARGET short-lived children alive,
 * forking up to two per millisecond and killing one at random per millisecond. Children are
 * of four kinds, so that a scan meets every way a process can go away under it:
 *   0  exits at once (often a zombie when scanned)
 *   1  touches 256 KiB of anonymous memory, sleeps 1-20 ms, exits
 *   2  execs /bin/true (comm, exe and mappings change mid-read)
 *   3  sleeps until killed
 * pid_max is often 32768, so pids wrap within seconds: reused pids are exercised too.
 * Every second it prints "forked N". Children die with the parent (PR_SET_PDEATHSIG).
 *
 * cc -O2 -o churn churn.c && ./churn [TARGET]
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_KIDS 1024

static void nap_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static void child(unsigned kind, unsigned r) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  switch (kind) {
  case 0:
    _exit(0);
  case 1: {
    size_t n = 256 * 1024;
    char *p = malloc(n);
    if (p) memset(p, (int)r, n);
    nap_us(1000 + (long)(r % 19000));
    _exit(p ? p[r % n] & 1 : 1);
  }
  case 2:
    execl("/bin/true", "true", (char *)NULL);
    _exit(127);
  default:
    for (;;) pause();
  }
}

int main(int argc, char **argv) {
  int target = argc > 1 ? atoi(argv[1]) : 48;
  if (target < 1 || target > MAX_KIDS) target = 48;
  pid_t kids[MAX_KIDS];
  int alive = 0;
  unsigned long forked = 0;
  unsigned seed = (unsigned)getpid();
  time_t last = time(NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready %d\n", (int)getpid());
  for (;;) {
    for (int i = 0; i < 2 && alive < target; i++) {
      unsigned r = (unsigned)rand_r(&seed);
      pid_t pid = fork();
      if (pid == 0) child(r % 4, r);
      if (pid > 0) {
        kids[alive++] = pid;
        forked++;
      }
    }
    if (alive > 0) {
      int i = rand_r(&seed) % alive;
      kill(kids[i], SIGKILL);
    }
    /* Reap whatever has exited, and forget it. */
    pid_t done;
    while ((done = waitpid(-1, NULL, WNOHANG)) > 0) {
      for (int i = 0; i < alive; i++) {
        if (kids[i] == done) {
          kids[i] = kids[--alive];
          break;
        }
      }
    }
    time_t now = time(NULL);
    if (now != last) {
      last = now;
      printf("forked %lu\n", forked);
    }
    nap_us(1000);
  }
}
