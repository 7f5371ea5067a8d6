/* The spawn floor: starts COUNT copies of PROGRAM with posix_spawn, one after another, and prints
 * the milliseconds the starts took (posix_spawn returns once the child has exec'd). Then kills
 * what still runs and reaps them, untimed. Usage: spawn_floor COUNT PROGRAM [ARG...] */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s COUNT PROGRAM [ARG...]\n", argv[0]); return 2; }
    int count = atoi(argv[1]);
    pid_t *pids = calloc((size_t)count, sizeof *pids);
    double t0 = now_ms();
    for (int i = 0; i < count; i++) {
        if (posix_spawnp(&pids[i], argv[2], NULL, NULL, argv + 2, environ) != 0) { perror("posix_spawnp"); return 1; }
    }
    double ms = now_ms() - t0;
    for (int i = 0; i < count; i++) { kill(pids[i], SIGKILL); waitpid(pids[i], NULL, 0); }
    printf("%.3f\n", ms);
    return 0;
}
