/*
 * A fork family for the sharing tests and bench/pages.mjs.
 *
 *   fork-family MIB CHILDREN
 *
 * The parent maps MIB MiB of private anonymous memory with MADV_NOHUGEPAGE (so every frame is a
 * 4 KiB page whatever /sys/kernel/mm/transparent_hugepage/enabled says), writes every page, then
 * forks CHILDREN children that share it copy-on-write. It prints "ready PID CHILD..." and waits.
 * On SIGUSR1 a child rewrites every page of the buffer (one copy-on-write fault per page), then
 * prints "copied PID". Children die with the parent (PR_SET_PDEATHSIG); the parent dies on SIGTERM
 * after killing its children.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t go;
static pid_t *kids;
static int nkids;

static void on_usr1(int s) { (void)s; go = 1; }

static void on_term(int s) {
  (void)s;
  for (int i = 0; i < nkids; i++) kill(kids[i], SIGKILL);
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  size_t bytes = (size_t)atol(argv[1]) << 20;
  nkids = atoi(argv[2]);
  long page = sysconf(_SC_PAGESIZE);
  char *buf = NULL;
  if (bytes) {
    buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) return 1;
    madvise(buf, bytes, MADV_NOHUGEPAGE);
    for (size_t o = 0; o < bytes; o += page) buf[o] = 1;
  }
  kids = calloc(nkids ? nkids : 1, sizeof *kids);
  signal(SIGUSR1, on_usr1);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, &old);
  pid_t parent = getpid();
  for (int i = 0; i < nkids; i++) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      for (;;) {
        while (!go) sigsuspend(&old);
        go = 0;
        for (size_t o = 0; o < bytes; o += page) buf[o] = 2;
        printf("copied %d\n", getpid());
        fflush(stdout);
      }
    }
    kids[i] = pid;
  }
  signal(SIGTERM, on_term);
  printf("ready %d", getpid());
  for (int i = 0; i < nkids; i++) printf(" %d", kids[i]);
  printf("\n");
  fflush(stdout);
  for (;;) pause();
}
