/* Drives librjob through its C header (ABI v2) as a C caller would: start, status, list, receive
 * (first with a buffer too small for the record, then with the size it asked for), stop, wait, the
 * change feed, remove, and the NULL / bad-input paths. Every buffer is the caller's: there is
 * nothing to free. Prints one line per check and a closing "N passed, N failed"; exits non-zero
 * on any failure. Meant to run under valgrind. */
#include "rjob.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static void check(int ok, const char *what) {
    printf("%s - %s\n", ok ? "ok" : "FAIL", what);
    if (ok) passed++; else failed++;
}

static int contains(const char *s, const char *needle) { return s && strstr(s, needle) != NULL; }

/* The last error's text, in a buffer sized by asking first. */
static void last_error(char *out, size_t cap) {
    size_t len = 0;
    out[0] = 0;
    if (rjob_last_error(NULL, 0, &len) == RJOB_STATUS_BUFFER_TOO_SMALL && len <= cap)
        rjob_last_error(out, cap, &len);
}

/* One record from rjob_receive's buffer: flags, then u32 LE length, then the bytes. */
static size_t record_at(const uint8_t *buf, size_t at, uint8_t *flags, const uint8_t **data) {
    uint32_t len = (uint32_t)buf[at + 1] | (uint32_t)buf[at + 2] << 8 | (uint32_t)buf[at + 3] << 16 |
                   (uint32_t)buf[at + 4] << 24;
    *flags = buf[at];
    *data = buf + at + RJOB_RECORD_HEADER;
    return len;
}

int main(void) {
    uint64_t id = 0;
    char msg[4096];
    char small[16];
    size_t len = 0;

    /* Bad input answers a status, and outputs stay untouched. */
    check(rjob_start(NULL, &id) == RJOB_STATUS_NULL_POINTER, "start with NULL spec");
    check(rjob_start("{\"argv\":[\"/bin/true\"]}", NULL) == RJOB_STATUS_NULL_POINTER, "start with NULL out_id");
    check(rjob_start("{nope", &id) == RJOB_STATUS_INVALID_JSON, "start with bad JSON");
    check(rjob_start("{\"argv\":[]}", &id) == RJOB_STATUS_INVALID_ARGUMENT, "start with an empty argv");
    check(rjob_start("{\"argv\":[\"/no/such/exe\"]}", &id) == RJOB_STATUS_SPAWN_FAILED, "start of a missing executable");
    check(rjob_last_error(small, 4, &len) == RJOB_STATUS_BUFFER_TOO_SMALL && len > 4, "last error: too small says the size");
    last_error(msg, sizeof msg);
    check(contains(msg, "not found"), "last error names the problem, kept after the too-small read");
    check(rjob_last_error(small, sizeof small, NULL) == RJOB_STATUS_NULL_POINTER, "last error with NULL out_len");
    check(id == 0, "out_id untouched by failures");
    RjobJobStatus st;
    check(rjob_status(999999, &st) == RJOB_STATUS_NOT_FOUND, "status of an unknown id");
    check(rjob_status(1, NULL) == RJOB_STATUS_NULL_POINTER, "status with NULL out");
    check(rjob_info(1, NULL, 10, &len) == RJOB_STATUS_NULL_POINTER, "info with NULL buffer but a capacity");
    check(rjob_list("{\"names\":[\"x*\"]}", small, sizeof small, &len) == RJOB_STATUS_INVALID_JSON, "list refuses name filters");
    check(rjob_stop(NULL, 1, false, -1) == RJOB_STATUS_NULL_POINTER, "stop with NULL ids");
    RjobReceiveResult rr;
    check(rjob_receive(1, false, 0, 0, (uint8_t *)small, sizeof small, NULL) == RJOB_STATUS_NULL_POINTER, "receive with NULL out");

    /* A job whose second line is 1000 bytes. */
    const char *spec = "{\"argv\":[\"/bin/sh\",\"-c\",\"echo hello from C; head -c 1000 /dev/zero | tr '\\\\0' y; echo; exec sleep 30\"],\"name\":\"c-job\"}";
    check(rjob_start(spec, &id) == RJOB_STATUS_OK && id > 0, "start a job");
    check(rjob_status(id, &st) == RJOB_STATUS_OK && st.state == RJOB_JOB_STATE_RUNNING && st.pid > 0 && !st.has_exit_code,
          "status: running, with a pid, no exit code");

    uint8_t *buf = malloc(64);
    uint8_t flags = 0;
    const uint8_t *data = NULL;
    int rc = rjob_receive(id, false, 0, 10000, buf, 64, &rr);
    size_t n = rc == RJOB_STATUS_OK && rr.count == 1 ? record_at(buf, 0, &flags, &data) : 0;
    check(n == 12 && flags == 0 && memcmp(data, "hello from C", 12) == 0 && rr.needed == RJOB_RECORD_HEADER + 12,
          "receive the first line as bytes");
    /* The long line may take a moment to arrive; wait for it with a real blocking receive. */
    rc = rjob_receive(id, false, 0, 10000, buf, 64, &rr);
    check(rc == RJOB_STATUS_BUFFER_TOO_SMALL && rr.needed == RJOB_RECORD_HEADER + 1000 && rr.count == 0,
          "a record bigger than the buffer: BUFFER_TOO_SMALL with the size needed");
    rc = rjob_receive(id, false, 0, 0, NULL, 0, &rr);
    check(rc == RJOB_STATUS_BUFFER_TOO_SMALL && rr.needed == RJOB_RECORD_HEADER + 1000, "asked again: nothing was consumed");
    size_t cap = rr.needed;
    buf = realloc(buf, cap);
    rc = rjob_receive(id, false, 0, 0, buf, cap, &rr);
    n = rc == RJOB_STATUS_OK && rr.count == 1 ? record_at(buf, 0, &flags, &data) : 0;
    check(n == 1000 && data[0] == 'y' && data[999] == 'y' && !rr.done, "the retry with the size asked for gets the whole record");

    check(rjob_list("{\"states\":[\"Running\"]}", NULL, 0, &len) == RJOB_STATUS_BUFFER_TOO_SMALL && len > 2, "list asks for its size");
    char *list = malloc(len + 256); /* the list may grow in between; leave room */
    check(rjob_list("{\"states\":[\"Running\"]}", list, len + 256, &len) == RJOB_STATUS_OK && contains(list, "\"c-job\""),
          "list shows it running");
    free(list);

    RjobChange changes[16];
    size_t count = 0;
    uint64_t seq = 0, after = 0;
    check(rjob_changes(0, changes, 16, 0, &count, &after) == RJOB_STATUS_OK && count >= 1, "change feed from 0 lists the jobs");
    check(rjob_changes(0, NULL, 16, 0, &count, &seq) == RJOB_STATUS_NULL_POINTER, "change feed with NULL buffer");
    check(rjob_remove(id) == RJOB_STATUS_JOB_ACTIVE, "a running job cannot be removed");
    check(rjob_wait(&id, 1, false, 20) == RJOB_STATUS_TIMEOUT, "wait with a short timeout times out");
    check(rjob_stop(&id, 1, false, 2000) == RJOB_STATUS_OK, "stop it");
    int stopped = 0;
    for (int i = 0; i < 100 && !stopped; i++) {
        if (rjob_changes(after, changes, 16, 200, &count, &seq) != RJOB_STATUS_OK) break;
        for (size_t k = 0; k < count; k++)
            if (changes[k].id == id && changes[k].state == RJOB_JOB_STATE_STOPPED) stopped = 1;
        after = seq;
    }
    check(stopped, "the change feed reports it Stopped");
    check(rjob_wait(&id, 1, false, 10000) == RJOB_STATUS_OK, "wait for it");
    check(rjob_status(id, &st) == RJOB_STATUS_OK && st.state == RJOB_JOB_STATE_STOPPED && st.has_end_time, "status: Stopped, with an end time");
    char info[4096];
    check(rjob_info(id, info, sizeof info, &len) == RJOB_STATUS_OK && contains(info, "\"Stopped\"") && info[len - 1] == 0,
          "info is NUL-terminated JSON");
    check(rjob_remove(id) == RJOB_STATUS_OK, "remove it");
    len = 0;
    check(rjob_info(id, info, sizeof info, &len) == RJOB_STATUS_NOT_FOUND && len == 0, "gone after remove");
    /* A job whose stdin stays open: fed after its start, then closed. */
    uint64_t fed = 0;
    check(rjob_start("{\"argv\":[\"/bin/cat\"],\"stdinPipe\":true}", &fed) == RJOB_STATUS_OK, "start a job with a stdin pipe");
    check(rjob_input(fed, (const uint8_t *)"fed from C\n", 11, false) == RJOB_STATUS_OK, "input to it");
    check(rjob_input(fed, NULL, 0, true) == RJOB_STATUS_OK, "close its stdin");
    check(rjob_wait(&fed, 1, false, 10000) == RJOB_STATUS_OK, "it ends at end of input");
    rc = rjob_receive(fed, false, 0, 0, buf, cap, &rr);
    n = rc == RJOB_STATUS_OK && rr.count == 1 ? record_at(buf, 0, &flags, &data) : 0;
    check(n == 10 && memcmp(data, "fed from C", 10) == 0, "what it read comes back");
    check(rjob_input(fed, (const uint8_t *)"x", 1, false) == RJOB_STATUS_INPUT_CLOSED, "no input after the end");
    check(rjob_input(999999, NULL, 0, true) == RJOB_STATUS_NOT_FOUND, "input to an unknown id");
    check(rjob_remove(fed) == RJOB_STATUS_OK, "remove it");
    /* "noWait": the start returns once the supervisor has the job; a process that cannot start
     * fails its job, with the reason, instead of the start. */
    uint64_t early = 0;
    check(rjob_start("{\"argv\":[\"/no/such/exe\"],\"noWait\":true}", &early) == RJOB_STATUS_OK && early > 0,
          "a start that does not wait returns OK for a missing executable");
    check(rjob_wait(&early, 1, false, 10000) == RJOB_STATUS_OK, "its job ends");
    check(rjob_status(early, &st) == RJOB_STATUS_OK && st.state == RJOB_JOB_STATE_FAILED && st.pid == 0 && !st.has_exit_code,
          "status: Failed, no pid, no exit code");
    check(rjob_info(early, info, sizeof info, &len) == RJOB_STATUS_OK && contains(info, "executable not found"),
          "info gives the reason");
    check(rjob_remove(early) == RJOB_STATUS_OK, "remove it");
    check(strlen(rjob_version()) > 0, "version string");
    free(buf);

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
