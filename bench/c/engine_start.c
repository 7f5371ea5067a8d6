/* The engine's start cost from C: starts COUNT jobs of PROGRAM through librjob (include/rjob.h),
 * one after another, with "noWait" as Start-RJob does, and prints the milliseconds until every
 * job's process runs (its pid known; a job that ended counts too). Then stops (SIGKILL) what
 * still runs, waits and removes them, untimed.
 * Usage: engine_start COUNT PROGRAM [ARG...]   (no quotes or backslashes in them) */
#define _POSIX_C_SOURCE 200809L
#include "rjob.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s COUNT PROGRAM [ARG...]\n", argv[0]); return 2; }
    int count = atoi(argv[1]);
    char spec[4200];
    size_t at = (size_t)snprintf(spec, sizeof spec, "{\"argv\":[");
    for (int i = 2; i < argc && at < sizeof spec; i++)
        at += (size_t)snprintf(spec + at, sizeof spec - at, "%s\"%s\"", i > 2 ? "," : "", argv[i]);
    if (at + 20 > sizeof spec) { fprintf(stderr, "arguments too long\n"); return 2; }
    snprintf(spec + at, sizeof spec - at, "],\"noWait\":true}");
    uint64_t *ids = calloc((size_t)count, sizeof *ids);
    double t0 = now_ms();
    for (int i = 0; i < count; i++) {
        if (rjob_start(spec, &ids[i]) != RJOB_STATUS_OK) { fprintf(stderr, "rjob_start failed\n"); return 1; }
    }
    /* Each start returned once its supervisor had the job: wait for the processes. */
    for (int i = 0; i < count; i++) {
        RjobJobStatus st;
        while (rjob_status(ids[i], &st) == RJOB_STATUS_OK && st.pid == 0 && st.state == RJOB_JOB_STATE_RUNNING) {
            struct timespec pause = {0, 20000};
            nanosleep(&pause, NULL);
        }
    }
    double ms = now_ms() - t0;
    if (rjob_stop(ids, (size_t)count, true, 0) != RJOB_STATUS_OK) { fprintf(stderr, "rjob_stop failed\n"); return 1; }
    if (rjob_wait(ids, (size_t)count, false, 60000) != RJOB_STATUS_OK) { fprintf(stderr, "rjob_wait failed\n"); return 1; }
    for (int i = 0; i < count; i++) rjob_remove(ids[i]);
    printf("%.3f\n", ms);
    return 0;
}
