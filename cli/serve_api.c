/*
 * serve_api.c - the handlers of `tessera serve` and the index they share.
 *
 * Routes (doc/api.md):
 *
 *   GET  /                      the page (web/index.html), and its files
 *   GET  /healthz               {"status":"ok"}
 *   GET  /api/stats             counts of the index (tessera stats --json)
 *   POST /api/check             a text -> the JSON of tessera check --json
 *   POST /api/documents         add documents (needs the API key)
 *   GET  /api/documents/{id}    one document with its text
 *
 * The index.  One read-only handle serves every request: tsr_index_check,
 * tsr_index_get and tsr_index_stats may share it across threads.  New
 * commits (from POST /api/documents, or from `tessera index` run beside
 * the server) become visible through tsr_index_refresh, which must not run
 * beside those calls; so every read takes a read lock and the refresh
 * takes the write lock.  The lock prefers writers (on glibc), so that a
 * steady stream of checks cannot starve the refresh; a refresh that finds
 * nothing new is one SQLite read, so the pause it causes is short.
 *
 * Adding documents opens the index for writing, adds, commits and closes,
 * one request at a time (a mutex; a writer in another process makes the
 * request fail with 503 and Retry-After).  A batch is all or nothing,
 * except for ids already indexed, which are skipped and listed in the
 * answer (the rule of tsr_index_add).  Then the shared handle is
 * refreshed, so the client that added a document can check against it at
 * once.
 *
 * Input rules: bodies must be valid UTF-8 (422 otherwise, with the byte
 * offset), JSON is parsed by jansson, whose depth limit turns hostile
 * nesting into a 400; NUL bytes are refused (422) unless --allow-nul.
 */
#define _GNU_SOURCE 1   /* pthread_rwlockattr_setkind_np */
#include "cli.h"
#include "serve.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct api {
    const serve_config *cfg;
    tsr_index *ix;              /* read-only, shared */
    pthread_rwlock_t lock;      /* read: queries; write: refresh */
    pthread_mutex_t writer;     /* one POST /api/documents at a time */
    int lock_ok, writer_ok;
};

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
    case TSR_ERR_LOCKED: return 503;
    default: return 500;
    }
}

/* A failure of the index, answered without its details (they name files
 * of the server): the client gets the status and a general message, the
 * server's log gets the library's message. */
static void internal_error(srv_response *out, int st, const char *what, const char *detail)
{
    cli_warn("%s: %s", what, detail);
    srv_error(out, http_status(st), "%s failed (%s); the server's log has the details", what,
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
static int refuse_many_values(const srv_request *rq, size_t max, srv_response *out)
{
    const size_t v = json_values(rq->body, rq->body_len);
    if (v <= max) return 0;
    srv_error(out, 413, "the JSON body holds %zu values, over the limit of %zu for %s", v, max,
              rq->path);
    return 1;
}

static void json_out(srv_response *out, int status, json_t *v, int pretty)
{
    char *s = v ? json_dumps(v, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(v);
    if (!s) {
        srv_error(out, 500, "out of memory");
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
static int refuse_bad_text(const srv_request *rq, int nul_ok, srv_response *out)
{
    size_t off = 0;
    int st = tsr_utf8_check(rq->body, rq->body_len, &off);
    if (st == TSR_ERR_UTF8) {
        srv_error(out, 422, "request body is not valid UTF-8 (byte %zu)", off);
        return 1;
    }
    if (st == TSR_ERR_NUL && !nul_ok) {
        srv_error(out, 422, "request body holds a NUL byte (byte %zu)", off);
        return 1;
    }
    return 0;
}

static void json_parse_error(srv_response *out, const json_error_t *je, const char *where)
{
    if (json_error_code(je) == json_error_out_of_memory)
        srv_error(out, 500, "out of memory");
    else
        srv_error(out, 400, "malformed JSON%s: %s at line %d, column %d", where, je->text,
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
static int get_asset(const char *path, srv_response *out)
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

static void get_stats(api *a, const srv_request *rq, srv_response *out)
{
    tsr_stats s;
    tsr_error e = { 0 };
    pthread_rwlock_rdlock(&a->lock);
    int st = tsr_index_stats(a->ix, &s, &e);
    pthread_rwlock_unlock(&a->lock);
    if (st != TSR_OK) {
        internal_error(out, st, "reading the index's counts", e.message);
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

static void post_check(api *a, const srv_request *rq, srv_response *out)
{
    const char *text = NULL;
    size_t len = 0;
    json_t *root = NULL;
    const int nul_ok = a->cfg->params.allow_nul;

    if (!*rq->content_type || !strcmp(rq->content_type, "text/plain")) {
        if (!utf8_charset(rq->charset)) {
            srv_error(out, 415, "charset '%s' is not supported: send UTF-8", rq->charset);
            return;
        }
        if (refuse_bad_text(rq, nul_ok, out))
            return;
        text = rq->body;
        len = rq->body_len;
    } else if (is_json_type(rq->content_type)) {
        if (refuse_bad_text(rq, 0, out) || refuse_many_values(rq, SRV_CHECK_MAX_VALUES, out))
            return;
        json_error_t je;
        root = json_loadb(rq->body, rq->body_len, JSON_ALLOW_NUL, &je);
        if (!root) {
            json_parse_error(out, &je, "");
            return;
        }
        json_t *t = json_is_object(root) ? json_object_get(root, "text") : NULL;
        if (!json_is_object(root) || !json_is_string(t)) {
            srv_error(out, 400, "expected a JSON object with a \"text\" string");
            json_decref(root);
            return;
        }
        text = json_string_value(t);
        len = json_string_length(t);
    } else {
        srv_error(out, 415, "Content-Type '%s' is not supported: send text/plain or "
                  "application/json", rq->content_type);
        return;
    }

    tsr_result *r = NULL;
    tsr_error e = { 0 };
    pthread_rwlock_rdlock(&a->lock);
    int st = tsr_index_check(a->ix, text, len, &a->cfg->params, &r, &e);
    pthread_rwlock_unlock(&a->lock);
    json_decref(root);
    if (st != TSR_OK) {   /* the text's fault (422 ...), or the index's */
        if (http_status(st) >= 500) internal_error(out, st, "the check", e.message);
        else srv_error(out, http_status(st), "%s", e.message);
        return;
    }
    char *s = tsr_result_json(r, rq->pretty ? TSR_JSON_PRETTY : 0);
    tsr_result_free(r);
    if (!s) {
        srv_error(out, 500, "out of memory");
        return;
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

static void get_document(api *a, const srv_request *rq, const char *id, srv_response *out)
{
    tsr_document *d = NULL;
    tsr_error e = { 0 };
    pthread_rwlock_rdlock(&a->lock);
    int st = tsr_index_get(a->ix, id, &d, &e);
    pthread_rwlock_unlock(&a->lock);
    if (st == TSR_ERR_NOTFOUND) {
        srv_error(out, 404, "no document with id '%.200s'", id);
        return;
    }
    if (st != TSR_OK) {
        internal_error(out, st, "reading the document", e.message);
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
                      srv_response *out)
{
    static const char *const known[] = { "id", "text", "title", "date", "series" };
    memset(doc, 0, sizeof *doc);
    *meta = NULL;
    if (!json_is_object(o)) {
        srv_error(out, 400, "document %zu: not a JSON object", k);
        return -1;
    }
    json_t *t = json_object_get(o, "text");
    if (!json_is_string(t)) {
        srv_error(out, 400, "document %zu: %s \"text\" string", k,
                  t ? "expected a" : "missing the");
        return -1;
    }
    doc->text = json_string_value(t);
    doc->text_len = json_string_length(t);
    if (doc_field(o, "id", &doc->id, num[0], sizeof num[0]) != 0 || !doc->id || !doc->id[0]) {
        srv_error(out, 400, "document %zu: \"id\" must be a non-empty string or an integer", k);
        return -1;
    }
    if (strlen(doc->id) != json_string_length(json_object_get(o, "id")) &&
        json_is_string(json_object_get(o, "id"))) {
        srv_error(out, 422, "document %zu: \"id\" holds a NUL byte", k);
        return -1;
    }
    if (doc_field(o, "title", &doc->title, num[1], sizeof num[1]) != 0 ||
        doc_field(o, "date", &doc->date, num[2], sizeof num[2]) != 0 ||
        doc_field(o, "series", &doc->series, num[3], sizeof num[3]) != 0) {
        srv_error(out, 400, "document %zu ('%.200s'): \"title\", \"date\" and \"series\" "
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
            srv_error(out, 500, "out of memory");
            return -1;
        }
    }
    if (m) {
        *meta = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(m);
        if (!*meta) {
            srv_error(out, 500, "out of memory");
            return -1;
        }
        doc->meta_json = *meta;
    }
    return 0;
}

/* Parse the body into an array of documents (not yet checked); NULL with
 * `out` filled on an error. */
static json_t *parse_documents(const srv_request *rq, srv_response *out)
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
            srv_error(out, 500, "out of memory");
            return NULL;
        }
        return arr;
    }
    json_t *arr = json_array();   /* JSON Lines */
    if (!arr) {
        srv_error(out, 500, "out of memory");
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
                    srv_error(out, 500, "out of memory");
                else
                    srv_error(out, 400, "malformed JSON on line %zu: %s at column %d", lineno,
                              je.text, je.column);
                return NULL;
            }
            if (json_array_append_new(arr, v) != 0) {
                json_decref(arr);
                srv_error(out, 500, "out of memory");
                return NULL;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return arr;
}

/* What the headers alone decide for POST /api/documents: adding enabled,
 * the key, the content type.  0: go on; else `out` holds the answer. */
static int documents_headers(api *a, const srv_request *rq, srv_response *out)
{
    if (!a->cfg->api_key) {
        srv_error(out, 403, "adding documents is disabled: the server was started without "
                  "--api-key-file");
        return -1;
    }
    if (!rq->api_key || !*rq->api_key) {
        srv_error(out, 401, "adding documents needs the API key: send "
                  "\"Authorization: Bearer KEY\" or \"X-API-Key: KEY\"");
        out->www_auth = 1;
        return -1;
    }
    if (!key_matches(rq->api_key, a->cfg->api_key)) {
        srv_error(out, 403, "wrong API key");
        return -1;
    }
    if (!is_json_type(rq->content_type) && !is_jsonl_type(rq->content_type)) {
        srv_error(out, 415, "Content-Type '%s' is not supported: send application/json "
                  "(an object or an array of objects) or application/x-ndjson (JSON Lines)",
                  rq->content_type);
        return -1;
    }
    return 0;
}

int api_preauth(api *a, const srv_request *rq, srv_response *out)
{
    memset(out, 0, sizeof *out);
    if (!strcmp(rq->method, "POST") && !strcmp(rq->path, "/api/documents"))
        return documents_headers(a, rq, out);
    return 0;
}

static void post_documents(api *a, const srv_request *rq, srv_response *out)
{
    if (documents_headers(a, rq, out))
        return;
    if (refuse_bad_text(rq, 0, out) || refuse_many_values(rq, SRV_ADD_MAX_VALUES, out))
        return;
    json_t *docs = parse_documents(rq, out);
    if (!docs)
        return;
    const size_t n = json_array_size(docs);
    if (n == 0) {
        json_decref(docs);
        srv_error(out, 400, "no documents in the request");
        return;
    }

    /* Check every document before opening the index. */
    tsr_docinfo *di = calloc(n, sizeof *di);
    char **metas = calloc(n, sizeof *metas);
    char (*nums)[4][32] = calloc(n, sizeof *nums);
    json_t *dups = json_array();
    int failed = !di || !metas || !nums || !dups;
    if (failed)
        srv_error(out, 500, "out of memory");
    for (size_t i = 0; i < n && !failed; i++)
        failed = to_docinfo(json_array_get(docs, i), i + 1, &di[i], &metas[i], nums[i],
                            out) != 0;

    size_t added = 0;
    if (!failed) {
        tsr_index *w = NULL;
        tsr_error e = { 0 };
        pthread_mutex_lock(&a->writer);
        int st = tsr_index_open(a->cfg->db, TSR_OPEN_WRITE, &w, &e);
        if (st == TSR_ERR_LOCKED) {
            srv_error(out, 503, "the index is locked by another writer; try again");
            out->retry_after = 1;
            failed = 1;
        } else if (st != TSR_OK) {
            internal_error(out, st, "opening the index for writing", e.message);
            failed = 1;
        }
        for (size_t i = 0; i < n && !failed; i++) {
            st = tsr_index_add(w, &di[i], &e);
            if (st == TSR_OK) {
                added++;
            } else if (st == TSR_ERR_DUPLICATE) {
                json_array_append_new(dups, json_string(di[i].id));
            } else {
                srv_error(out, http_status(st), "document %zu ('%.200s'): %s; nothing was "
                          "added", i + 1, di[i].id, e.message);
                failed = 1;
            }
        }
        if (!failed && added && (st = tsr_index_commit(w, &e)) != TSR_OK) {
            internal_error(out, st, "the commit", e.message);
            failed = 1;
        }
        tsr_index_close(w);
        pthread_mutex_unlock(&a->writer);
    }
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
    api_refresh(a);
    tsr_stats s;
    pthread_rwlock_rdlock(&a->lock);
    int sst = tsr_index_stats(a->ix, &s, NULL);
    pthread_rwlock_unlock(&a->lock);
    json_t *v = json_pack("{s:I, s:o, s:I}", "added", (json_int_t)added, "duplicates", dups,
                          "documents", (json_int_t)(sst == TSR_OK ? s.documents : 0));
    json_out(out, added ? 201 : 200, v, rq->pretty);
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

int api_open(const serve_config *cfg, api **out, tsr_error *err)
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
    int st = a->lock_ok && a->writer_ok ? tsr_index_open(cfg->db, TSR_OPEN_READONLY, &a->ix, err)
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

void api_refresh(api *a)
{
    tsr_error e = { 0 };
    pthread_rwlock_wrlock(&a->lock);
    int st = tsr_index_refresh(a->ix, &e);
    pthread_rwlock_unlock(&a->lock);
    if (st != TSR_OK)
        cli_warn("refreshing the index failed: %s", e.message);
}

void api_handle(api *a, const srv_request *rq, srv_response *out)
{
    const char *p = rq->path, *m = rq->method;
    const int get = !strcmp(m, "GET") || !strcmp(m, "HEAD"), post = !strcmp(m, "POST");
    static const char doc_prefix[] = "/api/documents/";

    memset(out, 0, sizeof *out);
    if (!strcmp(p, "/api/check")) {
        if (post) post_check(a, rq, out);
        else { srv_error(out, 405, "use POST for %s", p); out->allow = "POST"; }
    } else if (!strcmp(p, "/api/documents")) {
        if (post) post_documents(a, rq, out);
        else { srv_error(out, 405, "use POST for %s", p); out->allow = "POST"; }
    } else if (!strncmp(p, doc_prefix, sizeof doc_prefix - 1) && p[sizeof doc_prefix - 1]) {
        if (get) get_document(a, rq, p + sizeof doc_prefix - 1, out);
        else { srv_error(out, 405, "use GET for %s", "/api/documents/{id}"); out->allow = "GET, HEAD"; }
    } else if (!strcmp(p, "/api/stats")) {
        if (get) get_stats(a, rq, out);
        else { srv_error(out, 405, "use GET for %s", p); out->allow = "GET, HEAD"; }
    } else if (!strcmp(p, "/healthz")) {
        if (get) {
            static char ok[] = "{\"status\":\"ok\"}\n";
            out->status = 200;
            out->content_type = "application/json";
            out->body = ok;
            out->body_len = sizeof ok - 1;
        } else {
            srv_error(out, 405, "use GET for %s", p);
            out->allow = "GET, HEAD";
        }
    } else if (get_asset(p, out)) {
        if (!get) {
            srv_error(out, 405, "use GET for %.200s", p);
            out->allow = "GET, HEAD";
        }
    } else {
        srv_error(out, 404, "no such path: %.200s", p);
    }
}

void api_close(api *a)
{
    if (!a)
        return;
    tsr_index_close(a->ix);
    if (a->lock_ok) pthread_rwlock_destroy(&a->lock);
    if (a->writer_ok) pthread_mutex_destroy(&a->writer);
    free(a);
}
