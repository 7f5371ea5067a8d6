/* Drives librjob through its C header as a C caller would: start, list, receive, stop, wait,
 * remove, and the NULL / bad-input paths. Prints one line per check and a closing
 * "N passed, N failed"; exits non-zero on any failure. Meant to run under valgrind. */
#include "rjob.h"
#include <stdio.h>
#include <string.h>

static int passed, failed;

static void check(int ok, const char *what) {
    printf("%s - %s\n", ok ? "ok" : "FAIL", what);
    if (ok) passed++; else failed++;
}

static int contains(const char *s, const char *needle) { return s && strstr(s, needle) != NULL; }

int main(void) {
    uint64_t id = 0;
    char *json = NULL;

    check(rjob_start(NULL, &id) == RJOB_STATUS_NULL_POINTER, "start with NULL spec");
    check(rjob_start("{\"argv\":[\"/bin/true\"]}", NULL) == RJOB_STATUS_NULL_POINTER, "start with NULL out_id");
    check(rjob_start("{nope", &id) == RJOB_STATUS_INVALID_JSON, "start with bad JSON");
    check(rjob_start("{\"argv\":[\"/no/such/exe\"]}", &id) == RJOB_STATUS_SPAWN_FAILED, "start of a missing executable");
    char *msg = NULL;
    check(rjob_last_error(&msg) == RJOB_STATUS_OK && contains(msg, "not found"), "last error names the problem");
    check(rjob_string_free(msg) == RJOB_STATUS_OK, "free the message");
    check(rjob_string_free(msg) == RJOB_STATUS_UNKNOWN_POINTER, "double free is refused");
    check(rjob_string_free(NULL) == RJOB_STATUS_OK, "free(NULL) is a no-op");
    check(id == 0, "out_id untouched by failures");

    const char *spec = "{\"argv\":[\"/bin/sh\",\"-c\",\"echo hello from C; exec sleep 30\"],\"name\":\"c-job\"}";
    check(rjob_start(spec, &id) == RJOB_STATUS_OK && id > 0, "start a job");
    check(rjob_receive(id, true, 0, 10, 10000, &json) == RJOB_STATUS_OK && contains(json, "hello from C"), "receive its first line");
    rjob_string_free(json);
    check(rjob_list("{\"names\":[\"c-*\"]}", &json) == RJOB_STATUS_OK && contains(json, "\"Running\""), "list shows it running");
    rjob_string_free(json);
    check(rjob_remove(id) == RJOB_STATUS_JOB_ACTIVE, "a running job cannot be removed");
    check(rjob_wait(&id, 1, false, 20) == RJOB_STATUS_TIMEOUT, "wait with a short timeout times out");
    check(rjob_stop(&id, 1, false, 2000) == RJOB_STATUS_OK, "stop it");
    check(rjob_wait(&id, 1, false, 10000) == RJOB_STATUS_OK, "wait for it");
    check(rjob_get(id, &json) == RJOB_STATUS_OK && contains(json, "\"Stopped\""), "it is Stopped");
    rjob_string_free(json);
    check(rjob_remove(id) == RJOB_STATUS_OK, "remove it");
    json = NULL;
    check(rjob_get(id, &json) == RJOB_STATUS_NOT_FOUND && json == NULL, "gone after remove");
    check(strlen(rjob_version()) > 0, "version string");

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
