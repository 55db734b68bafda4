/*
 * api.c - the handlers of `tessera serve` (api.h) and the index they share.
 *
 * The index.  One read-only handle serves every request: tsr_index_check,
 * tsr_index_get and tsr_index_stats may share it across threads.  New
 * commits (from POST /api/documents, or from `tessera index` run beside
 * the server) are taken in by api_refresh in two steps: the catalog is read
 * and new segments mapped and checksummed beside the requests in flight
 * (tsr_index_refresh_prepare; nothing at all when nothing changed), then
 * swapped in (tsr_index_refresh_apply, no I/O) under the write side of a
 * lock whose read side every request holds.  The lock prefers writers (on
 * glibc), so that a steady stream of checks cannot starve the swap.
 *
 * Adding documents.  One writer handle, opened at the first add and kept
 * while adds keep coming (opening checksums every segment: too much per
 * request), closed after writer_idle_ms without one so that `tessera
 * index` run beside the server can take the index's lock.  One request at
 * a time (a mutex); a writer in another process makes the request fail
 * with 503 and Retry-After.  A batch is all or nothing, except for ids
 * already indexed, which are skipped and listed in the answer (the rule of
 * tsr_index_add); on a failure the writer is closed, which drops the batch.
 * After the commit the shared handle is refreshed, so the client that
 * added a document can check against it at once; if that fails, the
 * documents are durable all the same: 201 with a warning (a retry would
 * only report duplicates).  A full disk is 507.
 *
 * Checks are capped in size (max_check_bytes, 413) and time
 * (max_check_seconds, tsr_index_check_timed, 503).
 *
 * Input rules: bodies must be valid UTF-8 (422 otherwise, with the byte
 * offset), JSON is parsed by jansson, whose depth limit turns hostile
 * nesting into a 400, after a count of its values against a cap (413);
 * NUL bytes are refused (422) unless --allow-nul; "\u0000" in a JSON
 * "text" is a character of the text, not binary input: read as a space,
 * as the reader reads it (tsr_reader_opts.allow_nul).
 *
 * Failures of the index are answered without their details (they name
 * the server's files): the details go to stderr.
 */
#define _GNU_SOURCE 1   /* pthread_rwlockattr_setkind_np */
#include "api.h"
#include "assets.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

struct api {
    const api_config *cfg;
    tsr_index *ix;              /* read-only, shared */
    pthread_rwlock_t lock;      /* read: requests; write: the refresh's swap */
    pthread_mutex_t refresh_mu; /* one refresh at a time */
    pthread_mutex_t writer;     /* one POST /api/documents at a time; guards w */
    tsr_index *w;               /* the writer of adds, or NULL */
    double next_refresh;        /* api_tick: when to look for commits */
    double w_used;              /* when it last added (monotonic seconds) */
    int lock_ok, refresh_ok, writer_ok;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A line on stderr, "PROG: MESSAGE", in one write. */
static void api_warn(const api *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void api_warn(const api *a, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", a->cfg->prog, msg);
}

/* ------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

/* The HTTP status for a library status. */
static int http_status(int st)
{
    switch (st) {
    case TSR_ERR_UTF8: case TSR_ERR_NUL: case TSR_ERR_EMPTY: return 422;
    case TSR_ERR_JSON: case TSR_ERR_INVALID: return 400;
    case TSR_ERR_NOTFOUND: return 404;
    case TSR_ERR_DUPLICATE: return 409;
    case TSR_ERR_TOOBIG: return 413;
    case TSR_ERR_LOCKED: case TSR_ERR_TIMEOUT: return 503;
    case TSR_ERR_NOSPACE: return 507;
    default: return 500;
    }
}

/* A failure of the index, answered without its details (they name files
 * of the server): the client gets the status and a general message, the
 * server's log gets the library's message. */
static void internal_error(const api *a, http_response *out, int st, const char *what,
                           const char *detail)
{
    api_warn(a, "%s: %s", what, detail);
    http_error(out, http_status(st), "%s failed (%s); the server's log has the details", what,
              tsr_strerror(st));
}

/* The values of a JSON text, counted without parsing it: one for the text
 * and one per ',' outside strings (so `[0,0,0]` counts 3).  A body is
 * parsed into a tree of all its values (jansson), at ~20 times its size for
 * arrays of small numbers: a cap on the count bounds that. */
static size_t json_values(const char *p, size_t n)
{
    size_t v = 1;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        const char c = p[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == ',') {
            v++;
        }
    }
    return v;
}

/* Refuse a body of more JSON values than `max` (413). */
static int refuse_many_values(const http_request *rq, size_t max, http_response *out)
{
    const size_t v = json_values(rq->body, rq->body_len);
    if (v <= max) return 0;
    http_error(out, 413, "the JSON body holds %zu values, over the limit of %zu for %s", v, max,
              rq->path);
    return 1;
}

static void json_out(http_response *out, int status, json_t *v, int pretty)
{
    char *s = v ? json_dumps(v, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(v);
    if (!s) {
        http_error(out, 500, "out of memory");
        return;
    }
    memset(out, 0, sizeof *out);
    out->status = status;
    out->content_type = "application/json";
    out->body = s;
    out->body_len = strlen(s);
    out->body_free = free;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* 422 when the body is not UTF-8 or holds NUL bytes (the latter unless
 * `nul_ok`); 0 when it is fine. */
static int refuse_bad_text(const http_request *rq, int nul_ok, http_response *out)
{
    size_t off = 0;
    int st = tsr_utf8_check(rq->body, rq->body_len, &off);
    if (st == TSR_ERR_UTF8) {
        http_error(out, 422, "request body is not valid UTF-8 (byte %zu)", off);
        return 1;
    }
    if (st == TSR_ERR_NUL && !nul_ok) {
        http_error(out, 422, "request body holds a NUL byte (byte %zu)", off);
        return 1;
    }
    return 0;
}

/* "\u0000" in the JSON string `t` (a text) as spaces: one byte each, as
 * the NUL it decodes to, so offsets hold.  0, or -1 when out of memory. */
static int json_text_nul_to_space(json_t *t)
{
    const char *s = json_string_value(t);
    const size_t n = json_string_length(t);
    if (!memchr(s, 0, n))
        return 0;
    char *c = malloc(n);
    if (!c)
        return -1;
    memcpy(c, s, n);
    for (size_t i = 0; i < n; i++)
        if (!c[i]) c[i] = ' ';
    const int r = json_string_setn_nocheck(t, c, n);
    free(c);
    return r ? -1 : 0;
}

static void json_parse_error(http_response *out, const json_error_t *je, const char *where)
{
    if (json_error_code(je) == json_error_out_of_memory)
        http_error(out, 500, "out of memory");
    else
        http_error(out, 400, "malformed JSON%s: %s at line %d, column %d", where, je->text,
                  je->line, je->column);
}

static int is_json_type(const char *t)
{
    return !strcmp(t, "application/json");
}

static int is_jsonl_type(const char *t)
{
    return !strcmp(t, "application/x-ndjson") || !strcmp(t, "application/ndjson") ||
           !strcmp(t, "application/jsonl") || !strcmp(t, "application/x-jsonlines") ||
           !strcmp(t, "application/jsonlines");
}

static int utf8_charset(const char *cs)
{
    return !*cs || !strcmp(cs, "utf-8") || !strcmp(cs, "utf8") || !strcmp(cs, "us-ascii");
}

/* ------------------------------------------------------------------------
 * GET /, the page's files
 * --------------------------------------------------------------------- */

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".js")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    if (!strcmp(dot, ".png")) return "image/png";
    if (!strcmp(dot, ".ico")) return "image/x-icon";
    return "application/octet-stream";
}

/* 1 when `path` names one of the page's files (answered in `out`). */
static int get_asset(const char *path, http_response *out)
{
    const char *name = !strcmp(path, "/") ? "index.html" : path + 1;
    for (size_t i = 0; i < serve_n_assets; i++) {
        if (strcmp(serve_assets[i].name, name) != 0)
            continue;
        memset(out, 0, sizeof *out);
        out->status = 200;
        out->content_type = type_of(name);
        out->body = (char *)serve_assets[i].data;
        out->body_len = serve_assets[i].len;
        out->cache = "no-cache";
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * GET /api/stats, GET /healthz
 * --------------------------------------------------------------------- */

static void get_stats(api *a, const http_request *rq, http_response *out)
{
    tsr_stats s;
    tsr_error e = { 0 };
    pthread_rwlock_rdlock(&a->lock);
    int st = tsr_index_stats(a->ix, &s, &e);
    pthread_rwlock_unlock(&a->lock);
    if (st != TSR_OK) {
        internal_error(a, out, st, "reading the index's counts", e.message);
        return;
    }
    double ratio = s.text_bytes ? (double)s.postings_bytes / (double)s.text_bytes : 0;
    json_t *v = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:f, s:I, "
                          "s:{s:I, s:I, s:I, s:I}}",
                          "documents", (json_int_t)s.documents,
                          "text_bytes", (json_int_t)s.text_bytes,
                          "stored_bytes", (json_int_t)s.stored_bytes,
                          "segments", (json_int_t)s.segments,
                          "postings", (json_int_t)s.postings,
                          "postings_bytes", (json_int_t)s.postings_bytes,
                          "catalog_bytes", (json_int_t)s.catalog_bytes,
                          "commits", (json_int_t)s.commits,
                          "ngram", s.ngram, "window", s.window,
                          "postings_ratio", (double)(long long)(ratio * 1e4 + 0.5) / 1e4,
                          "shards", (json_int_t)s.shards,
                          "cache", "bytes", (json_int_t)s.cache_bytes,
                          "documents", (json_int_t)s.cache_docs,
                          "hits", (json_int_t)s.cache_hits,
                          "misses", (json_int_t)s.cache_misses);
    json_out(out, 200, v, rq->pretty);
}

/* ------------------------------------------------------------------------
 * POST /api/check
 * --------------------------------------------------------------------- */

/* The JSON of a check of `text`, with what the query asks beyond the plain
 * result (text=1, offsets=chars, fields=...): the sources' texts and fields
 * are read from the index for it, under the read lock.  *json is NULL on
 * failure, with the answer already in `out`. */
static void check_json_ex(api *a, const http_request *rq, const tsr_result *r,
                          const char *text, size_t len, int chars, char **json,
                          http_response *out)
{
    const size_t n = r->n_sources;
    tsr_document **docs = calloc(n + 1, sizeof *docs);
    const char **srcs = calloc(n + 1, sizeof *srcs);
    size_t *lens = calloc(n + 1, sizeof *lens);
    char **fields = rq->fields ? calloc(n + 1, sizeof *fields) : NULL;
    tsr_error e = { 0 };
    int st = docs && srcs && lens && (fields || !rq->fields) ? TSR_OK : TSR_ERR_NOMEM;
    *json = NULL;
    pthread_rwlock_rdlock(&a->lock);
    for (size_t i = 0; i < n && st == TSR_OK; i++) {
        st = tsr_index_get_docno(a->ix, r->sources[i].docno, &docs[i], &e);
        if (st == TSR_OK) {
            srcs[i] = docs[i]->text;
            lens[i] = docs[i]->text_len;
            if (fields) st = tsr_document_fields(docs[i], rq->fields, &fields[i], &e);
        }
    }
    pthread_rwlock_unlock(&a->lock);
    if (st == TSR_OK) {
        tsr_json_opts jo = { (rq->pretty ? TSR_JSON_PRETTY : 0) |
                             (rq->text ? TSR_JSON_TEXT : 0) | (chars ? TSR_JSON_CHARS : 0),
                             text, len, srcs, lens, (const char *const *)fields };
        st = tsr_result_json_ex(r, &jo, json, &e);
    }
    if (st == TSR_ERR_NOMEM)
        http_error(out, 500, "out of memory");
    else if (st != TSR_OK)
        internal_error(a, out, st, "writing the check's passages", e.message);
    for (size_t i = 0; docs && i < n; i++) tsr_document_free(docs[i]);
    for (size_t i = 0; fields && i < n; i++) tsr_free(fields[i]);
    free(docs); free(srcs); free(lens); free(fields);
}

static void post_check(api *a, const http_request *rq, http_response *out)
{
    const char *text = NULL;
    size_t len = 0;
    json_t *root = NULL;
    const int nul_ok = a->cfg->params.allow_nul;
    int chars = 0;

    if (rq->offsets && strcmp(rq->offsets, "bytes") && strcmp(rq->offsets, "chars")) {
        http_error(out, 400, "offsets takes bytes or chars, not '%s'", rq->offsets);
        return;
    }
    chars = rq->offsets && !strcmp(rq->offsets, "chars");
    if (rq->fields) {
        char *probe = NULL;
        tsr_document none = { 0 };
        const int fst = tsr_document_fields(&none, rq->fields, &probe, NULL);
        tsr_free(probe);
        if (fst == TSR_ERR_INVALID) {
            http_error(out, 400, "fields takes names separated by commas (e.g. url,title) "
                       "or all, not '%s'", rq->fields);
            return;
        }
    }

    if (!*rq->content_type || !strcmp(rq->content_type, "text/plain")) {
        if (!utf8_charset(rq->charset)) {
            http_error(out, 415, "charset '%s' is not supported: send UTF-8", rq->charset);
            return;
        }
        if (refuse_bad_text(rq, nul_ok, out))
            return;
        text = rq->body;
        len = rq->body_len;
    } else if (is_json_type(rq->content_type)) {
        if (refuse_bad_text(rq, 0, out) || refuse_many_values(rq, API_CHECK_MAX_VALUES, out))
            return;
        json_error_t je;
        root = json_loadb(rq->body, rq->body_len, JSON_ALLOW_NUL, &je);
        if (!root) {
            json_parse_error(out, &je, "");
            return;
        }
        json_t *t = json_is_object(root) ? json_object_get(root, "text") : NULL;
        if (!json_is_object(root) || !json_is_string(t)) {
            http_error(out, 400, "expected a JSON object with a \"text\" string");
            json_decref(root);
            return;
        }
        if (json_text_nul_to_space(t) != 0) {
            http_error(out, 500, "out of memory");
            json_decref(root);
            return;
        }
        text = json_string_value(t);
        len = json_string_length(t);
    } else {
        http_error(out, 415, "Content-Type '%s' is not supported: send text/plain or "
                  "application/json", rq->content_type);
        return;
    }

    if (a->cfg->max_check_bytes && len > a->cfg->max_check_bytes) {
        http_error(out, 413, "the text of %zu bytes is over the limit of %zu bytes for one "
                   "check", len, a->cfg->max_check_bytes);
        json_decref(root);
        return;
    }
    tsr_result *r = NULL;
    tsr_error e = { 0 };
    pthread_rwlock_rdlock(&a->lock);
    int st = tsr_index_check_timed(a->ix, text, len, &a->cfg->params,
                                   a->cfg->max_check_seconds, &r, &e);
    pthread_rwlock_unlock(&a->lock);
    if (st == TSR_ERR_TIMEOUT) {
        json_decref(root);
        http_error(out, 503, "the check took longer than the server's limit of %g seconds",
                   a->cfg->max_check_seconds);
        return;
    }
    if (st != TSR_OK) {   /* the text's fault (422 ...), or the index's */
        json_decref(root);
        if (http_status(st) >= 500) internal_error(a, out, st, "the check", e.message);
        else http_error(out, http_status(st), "%s", e.message);
        return;
    }
    char *s = NULL;
    if (rq->text || chars || rq->fields) {
        check_json_ex(a, rq, r, text, len, chars, &s, out);   /* `text` lives in root */
        json_decref(root);
        tsr_result_free(r);
        if (!s)
            return;
    } else {
        json_decref(root);
        s = tsr_result_json(r, rq->pretty ? TSR_JSON_PRETTY : 0);
        tsr_result_free(r);
        if (!s) {
            http_error(out, 500, "out of memory");
            return;
        }
    }
    memset(out, 0, sizeof *out);
    out->status = 200;
    out->content_type = "application/json";
    out->body = s;
    out->body_len = strlen(s);
    out->body_free = tsr_free;
}

/* ------------------------------------------------------------------------
 * GET /api/documents/{id}
 * --------------------------------------------------------------------- */

static void get_document(api *a, const http_request *rq, const char *id, http_response *out)
{
    tsr_document *d = NULL;
    tsr_error e = { 0 };
    pthread_rwlock_rdlock(&a->lock);
    int st = tsr_index_get(a->ix, id, &d, &e);
    pthread_rwlock_unlock(&a->lock);
    if (st == TSR_ERR_NOTFOUND) {
        http_error(out, 404, "no document with id '%.200s'", id);
        return;
    }
    if (st != TSR_OK) {
        internal_error(a, out, st, "reading the document", e.message);
        return;
    }
    /* JSON_ALLOW_NUL: a field may hold "\u0000" (a character of the text, kept) */
    json_t *meta = d->meta_json ? json_loads(d->meta_json, JSON_ALLOW_NUL, NULL) : NULL;
    json_t *v = json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:s%}",
                          "id", str_or_null(d->id), "docno", (json_int_t)d->docno,
                          "title", str_or_null(d->title), "date", str_or_null(d->date),
                          "series", str_or_null(d->series),
                          "meta", meta ? meta : json_null(),
                          "text", d->text ? d->text : "", d->text ? d->text_len : (size_t)0);
    tsr_document_free(d);
    json_out(out, 200, v, rq->pretty);
}

/* ------------------------------------------------------------------------
 * POST /api/documents
 * --------------------------------------------------------------------- */

/* Constant-time comparison of the key given with the server's. */
static int key_matches(const char *given, const char *want)
{
    size_t gl = strlen(given), wl = strlen(want);
    unsigned diff = gl != wl;
    for (size_t i = 0; i < wl; i++)
        diff |= (unsigned char)want[i] ^ (unsigned char)(i < gl ? given[i] : 0);
    return diff == 0;
}

/* A document's string field: string, integer (as text) or null/absent.
 * `buf` holds the text of an integer.  Returns 0, or -1 (wrong type). */
static int doc_field(json_t *o, const char *name, const char **out, char *buf, size_t cap)
{
    json_t *v = json_object_get(o, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return 0;
    }
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *out = buf;
        return 0;
    }
    return -1;
}

/* Turn document `o` (number `k` of the request, from 1) into `doc`; on a
 * bad document fill `out` with the error (400, 422) and return -1.  `*meta` is freed by
 * the caller. */
static int to_docinfo(json_t *o, size_t k, tsr_docinfo *doc, char **meta, char num[4][32],
                      http_response *out)
{
    static const char *const known[] = { "id", "text", "title", "date", "series" };
    memset(doc, 0, sizeof *doc);
    *meta = NULL;
    if (!json_is_object(o)) {
        http_error(out, 400, "document %zu: not a JSON object", k);
        return -1;
    }
    json_t *t = json_object_get(o, "text");
    if (!json_is_string(t)) {
        http_error(out, 400, "document %zu: %s \"text\" string", k,
                  t ? "expected a" : "missing the");
        return -1;
    }
    if (json_text_nul_to_space(t) != 0) {
        http_error(out, 500, "out of memory");
        return -1;
    }
    doc->text = json_string_value(t);
    doc->text_len = json_string_length(t);
    if (doc_field(o, "id", &doc->id, num[0], sizeof num[0]) != 0 || !doc->id || !doc->id[0]) {
        http_error(out, 400, "document %zu: \"id\" must be a non-empty string or an integer", k);
        return -1;
    }
    if (strlen(doc->id) != json_string_length(json_object_get(o, "id")) &&
        json_is_string(json_object_get(o, "id"))) {
        http_error(out, 422, "document %zu: \"id\" holds a NUL byte", k);
        return -1;
    }
    if (doc_field(o, "title", &doc->title, num[1], sizeof num[1]) != 0 ||
        doc_field(o, "date", &doc->date, num[2], sizeof num[2]) != 0 ||
        doc_field(o, "series", &doc->series, num[3], sizeof num[3]) != 0) {
        http_error(out, 400, "document %zu ('%.200s'): \"title\", \"date\" and \"series\" "
                  "must be strings, integers or null", k, doc->id);
        return -1;
    }
    json_t *m = NULL;
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        int is_known = 0;
        for (size_t f = 0; f < sizeof known / sizeof known[0] && !is_known; f++)
            is_known = !strcmp(key, known[f]);
        if (is_known)
            continue;
        if ((!m && !(m = json_object())) || json_object_set(m, key, val) != 0) {
            json_decref(m);
            http_error(out, 500, "out of memory");
            return -1;
        }
    }
    if (m) {
        *meta = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(m);
        if (!*meta) {
            http_error(out, 500, "out of memory");
            return -1;
        }
        doc->meta_json = *meta;
    }
    return 0;
}

/* Parse the body into an array of documents (not yet checked); NULL with
 * `out` filled on an error. */
static json_t *parse_documents(const http_request *rq, http_response *out)
{
    json_error_t je;
    if (is_json_type(rq->content_type)) {
        json_t *root = json_loadb(rq->body, rq->body_len, JSON_ALLOW_NUL, &je);
        if (!root) {
            json_parse_error(out, &je, "");
            return NULL;
        }
        if (json_is_array(root))
            return root;
        json_t *arr = json_array();
        if (!arr || json_array_append_new(arr, root) != 0) {
            json_decref(arr);
            http_error(out, 500, "out of memory");
            return NULL;
        }
        return arr;
    }
    json_t *arr = json_array();   /* JSON Lines */
    if (!arr) {
        http_error(out, 500, "out of memory");
        return NULL;
    }
    const char *p = rq->body, *end = rq->body + rq->body_len;
    for (size_t lineno = 1; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *q = p;
        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
        if (q < le) {
            json_t *v = json_loadb(p, (size_t)(le - p), JSON_ALLOW_NUL, &je);
            if (!v) {
                json_decref(arr);
                if (json_error_code(&je) == json_error_out_of_memory)
                    http_error(out, 500, "out of memory");
                else
                    http_error(out, 400, "malformed JSON on line %zu: %s at column %d", lineno,
                              je.text, je.column);
                return NULL;
            }
            if (json_array_append_new(arr, v) != 0) {
                json_decref(arr);
                http_error(out, 500, "out of memory");
                return NULL;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return arr;
}

/* Writing (adding, removing) enabled and the key right: 0, else `out`
 * holds the answer.  `what` names the writing ("adding documents"). */
static int key_headers(api *a, const http_request *rq, const char *what, http_response *out)
{
    if (!a->cfg->api_key) {
        http_error(out, 403, "%s is disabled: the server was started without "
                  "--api-key-file", what);
        return -1;
    }
    if (!rq->api_key || !*rq->api_key) {
        http_error(out, 401, "%s needs the API key: send "
                  "\"Authorization: Bearer KEY\" or \"X-API-Key: KEY\"", what);
        out->www_auth = 1;
        return -1;
    }
    if (!key_matches(rq->api_key, a->cfg->api_key)) {
        http_error(out, 403, "wrong API key");
        return -1;
    }
    return 0;
}

/* What the headers alone decide for POST /api/documents: adding enabled,
 * the key, the content type.  0: go on; else `out` holds the answer. */
static int documents_headers(api *a, const http_request *rq, http_response *out)
{
    if (key_headers(a, rq, "adding documents", out))
        return -1;
    if (!is_json_type(rq->content_type) && !is_jsonl_type(rq->content_type)) {
        http_error(out, 415, "Content-Type '%s' is not supported: send application/json "
                  "(an object or an array of objects) or application/x-ndjson (JSON Lines)",
                  rq->content_type);
        return -1;
    }
    return 0;
}

/* What the headers alone decide (http_handler.headers). */
static int api_headers(void *ud, const http_request *rq, http_response *out)
{
    api *a = ud;
    if (!strcmp(rq->method, "POST") && !strcmp(rq->path, "/api/documents"))
        return documents_headers(a, rq, out);
    if (!strcmp(rq->method, "DELETE") && !strncmp(rq->path, "/api/documents/", 15))
        return key_headers(a, rq, "removing documents", out);
    return 0;
}

/* The writer of adds, opened when there is none (a->writer held). */
static int writer_get(api *a, http_response *out)
{
    if (a->w)
        return 0;
    tsr_error e = { 0 };
    int st = tsr_index_open(a->cfg->db, TSR_OPEN_WRITE, &a->w, &e);
    if (st == TSR_OK)
        return 0;
    a->w = NULL;
    if (st == TSR_ERR_LOCKED) {
        http_error(out, 503, "the index is locked by another writer; try again");
        out->retry_after = 1;
    } else {
        internal_error(a, out, st, "opening the index for writing", e.message);
    }
    return -1;
}

/* Close the writer of adds (a->writer held): its uncommitted documents go. */
static void writer_drop(api *a)
{
    tsr_index_close(a->w);
    a->w = NULL;
}

/* Add the n documents and commit, all or nothing (but for duplicates,
 * listed in `dups`); 0, or -1 with `out` filled.  `*durable_but`: the
 * commit is durable but a step after it failed (tsr_index_commit failed
 * with the batch gone: tsr_index_pending() == 0). */
static int add_all(api *a, const tsr_docinfo *di, size_t n, json_t *dups, size_t *added,
                   int *durable_but, http_response *out)
{
    tsr_error e = { 0 };
    int failed = 0, st = TSR_OK;
    *added = 0;
    pthread_mutex_lock(&a->writer);
    failed = writer_get(a, out) != 0;
    for (size_t i = 0; i < n && !failed; i++) {
        st = tsr_index_add(a->w, &di[i], &e);
        if (st == TSR_OK) {
            (*added)++;
        } else if (st == TSR_ERR_DUPLICATE) {
            json_array_append_new(dups, json_string(di[i].id));
        } else if (http_status(st) >= 500) {
            internal_error(a, out, st, "adding a document", e.message);
            failed = 1;
        } else {
            http_error(out, http_status(st), "document %zu ('%.200s'): %s; nothing was "
                       "added", i + 1, di[i].id, e.message);
            failed = 1;
        }
    }
    if (!failed && *added && (st = tsr_index_commit(a->w, &e)) != TSR_OK &&
        tsr_index_pending(a->w) == 0) {
        /* durable: only what follows the commit failed (its reload, a
         * merge); the caller answers 201 with a warning */
        api_warn(a, "the commit is durable, but: %s", e.message);
        *durable_but = 1;
        writer_drop(a);
    } else if (!failed && *added && st != TSR_OK) {
        if (st == TSR_ERR_NOSPACE) {
            api_warn(a, "the commit: %s", e.message);
            http_error(out, 507, "the server's disk is full: nothing was added");
        } else {
            internal_error(a, out, st, "the commit", e.message);
        }
        failed = 1;
    }
    if (failed)
        writer_drop(a);   /* drops what the batch held */
    else if (a->w)
        a->w_used = mono_now();
    pthread_mutex_unlock(&a->writer);
    return failed ? -1 : 0;
}

static void post_documents(api *a, const http_request *rq, http_response *out)
{
    if (documents_headers(a, rq, out))
        return;
    if (refuse_bad_text(rq, 0, out) || refuse_many_values(rq, API_ADD_MAX_VALUES, out))
        return;
    json_t *docs = parse_documents(rq, out);
    if (!docs)
        return;
    const size_t n = json_array_size(docs);
    if (n == 0) {
        json_decref(docs);
        http_error(out, 400, "no documents in the request");
        return;
    }

    /* Check every document before opening the index. */
    tsr_docinfo *di = calloc(n, sizeof *di);
    char **metas = calloc(n, sizeof *metas);
    char (*nums)[4][32] = calloc(n, sizeof *nums);
    json_t *dups = json_array();
    int failed = !di || !metas || !nums || !dups;
    if (failed)
        http_error(out, 500, "out of memory");
    for (size_t i = 0; i < n && !failed; i++)
        failed = to_docinfo(json_array_get(docs, i), i + 1, &di[i], &metas[i], nums[i],
                            out) != 0;

    size_t added = 0;
    int durable_but = 0;
    if (!failed)
        failed = add_all(a, di, n, dups, &added, &durable_but, out) != 0;
    for (size_t i = 0; metas && i < n; i++)
        free(metas[i]);
    free(metas);
    free(nums);
    free(di);
    json_decref(docs);
    if (failed) {
        json_decref(dups);
        return;
    }
    tsr_error e = { 0 };
    const int rst = api_refresh(a, &e);
    tsr_stats s;
    pthread_rwlock_rdlock(&a->lock);
    int sst = tsr_index_stats(a->ix, &s, NULL);
    pthread_rwlock_unlock(&a->lock);
    json_t *v = json_pack("{s:I, s:o, s:I}", "added", (json_int_t)added, "duplicates", dups,
                          "documents", (json_int_t)(sst == TSR_OK ? s.documents : 0));
    static const char late[] = "the documents are stored, but the server could not take "
                               "them in yet (its log says why); they will be checked against "
                               "after its next refresh";
    if (rst != TSR_OK)
        api_warn(a, "refreshing the index after an add failed: %s", e.message);
    if ((rst != TSR_OK || durable_but) && v)
        json_object_set_new(v, "warning", json_string(late));
    json_out(out, added ? 201 : 200, v, rq->pretty);
    if (rst != TSR_OK || durable_but)
        out->warning = "documents stored; not yet visible to checks";
}

/* ------------------------------------------------------------------------
 * DELETE /api/documents/{id}
 * --------------------------------------------------------------------- */

/* Remove one document (tsr_index_remove through the writer of adds): 200
 * with the documents left, 404 when the index does not hold the id.  The
 * server's own reads see the removal after the refresh that follows. */
static void delete_document(api *a, const http_request *rq, const char *id,
                            http_response *out)
{
    if (key_headers(a, rq, "removing documents", out))
        return;
    tsr_error e = { 0 };
    int found = 0, st = TSR_OK;
    pthread_mutex_lock(&a->writer);
    const int failed = writer_get(a, out) != 0;
    if (!failed)
        st = tsr_index_remove(a->w, &id, 1, &found, NULL, &e);
    if (!failed && st != TSR_OK) {
        if (st == TSR_ERR_NOSPACE)
            http_error(out, 507, "the server's disk is full: nothing was removed");
        else if (http_status(st) >= 500)
            internal_error(a, out, st, "removing a document", e.message);
        else
            http_error(out, http_status(st), "%s", e.message);
        writer_drop(a);
    } else if (!failed) {
        a->w_used = mono_now();
    }
    pthread_mutex_unlock(&a->writer);
    if (failed || st != TSR_OK)
        return;
    if (!found) {
        http_error(out, 404, "no document with id '%.200s'", id);
        return;
    }
    const int rst = api_refresh(a, &e);
    if (rst != TSR_OK)
        api_warn(a, "refreshing the index after a removal failed: %s", e.message);
    tsr_stats s;
    pthread_rwlock_rdlock(&a->lock);
    const int sst = tsr_index_stats(a->ix, &s, NULL);
    pthread_rwlock_unlock(&a->lock);
    json_t *v = json_pack("{s:s, s:I}", "removed", id,
                          "documents", (json_int_t)(sst == TSR_OK ? s.documents : 0));
    json_out(out, 200, v, rq->pretty);
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

int api_open(const api_config *cfg, api **out, tsr_error *err)
{
    *out = NULL;
    api *a = calloc(1, sizeof *a);
    if (!a) {
        if (err) {
            err->code = TSR_ERR_NOMEM;
            snprintf(err->message, sizeof err->message, "out of memory");
        }
        return TSR_ERR_NOMEM;
    }
    a->cfg = cfg;
    pthread_rwlockattr_t at;
    pthread_rwlockattr_init(&at);
#ifdef __GLIBC__
    pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    a->lock_ok = pthread_rwlock_init(&a->lock, &at) == 0;
    pthread_rwlockattr_destroy(&at);
    a->writer_ok = pthread_mutex_init(&a->writer, NULL) == 0;
    a->refresh_ok = pthread_mutex_init(&a->refresh_mu, NULL) == 0;
    a->next_refresh = mono_now() + cfg->refresh_ms / 1000.0;
    int st = a->lock_ok && a->writer_ok && a->refresh_ok ? tsr_index_open(cfg->db, TSR_OPEN_READONLY, &a->ix, err)
                                        : TSR_ERR_NOMEM;
    if (st == TSR_OK)
        st = tsr_index_set_cache(a->ix, cfg->cache, err);
    if (st != TSR_OK) {
        if (st == TSR_ERR_NOMEM && err && !a->ix) {
            err->code = st;
            snprintf(err->message, sizeof err->message, "cannot create a lock");
        }
        api_close(a);
        return st;
    }
    *out = a;
    return TSR_OK;
}

int api_refresh(api *a, tsr_error *err)
{
    tsr_refresh *r = NULL;
    pthread_mutex_lock(&a->refresh_mu);
    int st = tsr_index_refresh_prepare(a->ix, &r, err);
    if (st == TSR_OK && r) {
        pthread_rwlock_wrlock(&a->lock);
        st = tsr_index_refresh_apply(a->ix, r, err);
        pthread_rwlock_unlock(&a->lock);
    }
    pthread_mutex_unlock(&a->refresh_mu);
    return st;
}

/* The housekeeping tick (API_TICK_MS): new commits every refresh_ms;
 * the writer of adds closed once idle for writer_idle_ms. */
#define API_TICK_MS 100
static void api_tick(void *ud)
{
    api *a = ud;
    tsr_error e = { 0 };
    const double now = mono_now();
    if (a->cfg->refresh_ms && now >= a->next_refresh) {
        if (api_refresh(a, &e) != TSR_OK)
            api_warn(a, "refreshing the index failed: %s", e.message);
        a->next_refresh = mono_now() + a->cfg->refresh_ms / 1000.0;
    }
    pthread_mutex_lock(&a->writer);
    if (a->w && now - a->w_used >= a->cfg->writer_idle_ms / 1000.0)
        writer_drop(a);
    pthread_mutex_unlock(&a->writer);
}

static void api_handle(void *ud, const http_request *rq, http_response *out)
{
    api *a = ud;
    const char *p = rq->path, *m = rq->method;
    const int get = !strcmp(m, "GET") || !strcmp(m, "HEAD"), post = !strcmp(m, "POST");
    static const char doc_prefix[] = "/api/documents/";

    memset(out, 0, sizeof *out);
    if (!strcmp(p, "/api/check")) {
        if (post) post_check(a, rq, out);
        else { http_error(out, 405, "use POST for %s", p); out->allow = "POST"; }
    } else if (!strcmp(p, "/api/documents")) {
        if (post) post_documents(a, rq, out);
        else { http_error(out, 405, "use POST for %s", p); out->allow = "POST"; }
    } else if (!strncmp(p, doc_prefix, sizeof doc_prefix - 1) && p[sizeof doc_prefix - 1]) {
        if (get) get_document(a, rq, p + sizeof doc_prefix - 1, out);
        else if (!strcmp(m, "DELETE")) delete_document(a, rq, p + sizeof doc_prefix - 1, out);
        else {
            http_error(out, 405, "use GET or DELETE for %s", "/api/documents/{id}");
            out->allow = "GET, HEAD, DELETE";
        }
    } else if (!strcmp(p, "/api/stats")) {
        if (get) get_stats(a, rq, out);
        else { http_error(out, 405, "use GET for %s", p); out->allow = "GET, HEAD"; }
    } else if (!strcmp(p, "/healthz")) {
        if (get) {
            static char ok[] = "{\"status\":\"ok\"}\n";
            out->status = 200;
            out->content_type = "application/json";
            out->body = ok;
            out->body_len = sizeof ok - 1;
        } else {
            http_error(out, 405, "use GET for %s", p);
            out->allow = "GET, HEAD";
        }
    } else if (get_asset(p, out)) {
        if (!get) {
            http_error(out, 405, "use GET for %.200s", p);
            out->allow = "GET, HEAD";
        }
    } else {
        http_error(out, 404, "no such path: %.200s", p);
    }
}

/* Requests answered on the event loop (http_handler.quick): those that
 * take no lock and touch no file, the health check and the page's files,
 * and every wrong method or path.  /api/stats is not one: it waits for the
 * refresh's swap, which waits for the checks in flight. */
static int api_quick(void *ud, const http_request *rq)
{
    (void)ud;
    const char *p = rq->path, *m = rq->method;
    const int get = !strcmp(m, "GET") || !strcmp(m, "HEAD"), post = !strcmp(m, "POST");
    if (!strcmp(p, "/api/check") || !strcmp(p, "/api/documents"))
        return !post;
    if (!strncmp(p, "/api/documents/", 15))
        return !get && strcmp(m, "DELETE");
    if (!strncmp(p, "/api/", 5))
        return !get;
    return 1;   /* /healthz, the page, 404 */
}

void api_handler(api *a, http_handler *h)
{
    memset(h, 0, sizeof *h);
    h->ud = a;
    h->headers = api_headers;
    h->quick = api_quick;
    h->handle = api_handle;
    h->tick = api_tick;
    h->tick_ms = API_TICK_MS;
}

void api_close(api *a)
{
    if (!a)
        return;
    if (a->writer_ok) {
        pthread_mutex_lock(&a->writer);
        writer_drop(a);
        pthread_mutex_unlock(&a->writer);
        pthread_mutex_destroy(&a->writer);
    }
    tsr_index_close(a->ix);
    if (a->lock_ok) pthread_rwlock_destroy(&a->lock);
    if (a->refresh_ok) pthread_mutex_destroy(&a->refresh_mu);
    free(a);
}
