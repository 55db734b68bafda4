/*
 * api_harness.h - what the fuzz targets of `tessera serve`'s handlers
 * share (fuzz_http.c, fuzz_json_body.c): an index and the api over it
 * (server/api.h), made once per process, and one request driven through
 * the http_handler as the HTTP layer would: headers, then (unless they
 * answered) quick or not, handle.  Every answer must be a sound response:
 * a status from 200 to 599, a body when its length says so, a JSON body
 * that parses when the content type is JSON, and an error body that
 * repeats its status; else the target traps.
 *
 * Adds commit (and fsync) into the index: the harness keeps it on
 * /dev/shm when it can (fsync costs nothing there) and small, refusing
 * texts over 4 KB before they reach it (the API's own limits are far
 * larger), and starts over with a fresh index every 2,000 adds.  The
 * directory is removed at exit (it was left on /dev/shm by every run).
 */
#ifndef TSR_FUZZ_API_HARNESS_H
#define TSR_FUZZ_API_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "http.h"
#include "tessera.h"

#define FZ_KEY "fuzz-key-0123456789"

static char fz_dir[64];
static api_config fz_cfg;
static api *fz_api;
static http_handler fz_h;
static unsigned fz_adds;

static void fz_rm_rf(const char *dir)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) { /* a leftover in /tmp */ }
}

static void fz_cleanup(void)
{
    if (fz_api) api_close(fz_api);
    fz_api = NULL;
    fz_rm_rf(fz_dir);
}

/* The index (three documents) and the api over it; 0, or -1. */
static int fz_setup(void)
{
    if (fz_api) return 0;
    if (!fz_dir[0]) {   /* in memory where there is a tmpfs: adds fsync */
        snprintf(fz_dir, sizeof fz_dir, "%s/fuzz-api-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(fz_dir)) {
            fz_dir[0] = 0;
            return -1;
        }
        atexit(fz_cleanup);
    }
    char ix[96];
    snprintf(ix, sizeof ix, "%s/ix", fz_dir);
    fz_rm_rf(ix);
    static const char *text[3] = {
        "the lighthouse keeper climbed the iron stairs every evening at dusk and wound the clock",
        "a loaf of bread needs flour water salt and a long slow rise in a warm kitchen",
        "the keeper climbed the iron stairs every evening and wound the great brass clock" };
    static const char *id[3] = { "a", "b", "__proto__" };
    tsr_index *w = NULL;
    tsr_error e;
    if (tsr_index_open(ix, TSR_OPEN_CREATE, &w, &e) != TSR_OK) return -1;
    for (int d = 0; d < 3; d++) {
        tsr_docinfo doc = { .id = id[d], .text = text[d], .text_len = strlen(text[d]),
                            .meta_json = d == 0 ? "{\"url\":\"http://x/\"}" : NULL };
        tsr_index_add(w, &doc, &e);
    }
    tsr_index_commit(w, &e);
    tsr_index_close(w);
    static char dbpath[96];
    memcpy(dbpath, ix, sizeof ix);
    memset(&fz_cfg, 0, sizeof fz_cfg);
    tsr_params_default(&fz_cfg.params);
    fz_cfg.prog = "fuzz";
    fz_cfg.db = dbpath;
    fz_cfg.api_key = FZ_KEY;
    fz_cfg.cache = 1u << 20;
    fz_cfg.max_check_bytes = 1u << 20;
    fz_cfg.max_check_seconds = 2;
    fz_cfg.writer_idle_ms = 0;   /* the writer closed after each add: opens exercised too */
    if (api_open(&fz_cfg, &fz_api, &e) != TSR_OK) return -1;
    api_handler(fz_api, &fz_h);
    fz_adds = 0;
    return 0;
}

static void fz_check_response(const http_response *out)
{
    if (out->status < 200 || out->status > 599) __builtin_trap();
    if (out->body_len && !out->body) __builtin_trap();
    const char *ct = out->content_type ? out->content_type : "application/json";
    if (strcmp(ct, "application/json") != 0 || !out->body_len) return;
    json_error_t je;
    json_t *v = json_loadb(out->body, out->body_len, JSON_ALLOW_NUL, &je);
    if (!v) {   /* the server must answer valid JSON */
        fprintf(stderr, "invalid JSON answer (%s at %d): status %d: %.300s\n", je.text,
                je.position, out->status, out->body);
        __builtin_trap();
    }
    if (out->status >= 400) {
        json_t *st = json_object_get(v, "status");
        if (!json_is_string(json_object_get(v, "error")) || !json_is_integer(st) ||
            json_integer_value(st) != out->status)
            __builtin_trap();
    }
    json_decref(v);
}

/* One request through the handler; `rq->body` must be NUL-terminated. */
static void fz_request(http_request *rq)
{
    if (fz_setup() != 0) return;
    const int add = !strcmp(rq->method, "POST") && !strcmp(rq->path, "/api/documents");
    if (add && rq->body_len > 4096) return;   /* keep the index small */
    http_response out;
    memset(&out, 0, sizeof out);
    const char *body = rq->body;
    rq->body = NULL;
    int answered = fz_h.headers(fz_h.ud, rq, &out);
    rq->body = body;
    if (!answered) {
        (void)fz_h.quick(fz_h.ud, rq);
        memset(&out, 0, sizeof out);
        fz_h.handle(fz_h.ud, rq, &out);
    }
    fz_check_response(&out);
    if (out.body_free) out.body_free(out.body);
    fz_h.tick(fz_h.ud);
    if (add && ++fz_adds >= 2000) {   /* start over with a fresh index */
        api_close(fz_api);
        fz_api = NULL;
    }
}

#endif
