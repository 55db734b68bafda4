/*
 * serve.h - `tessera serve`: an HTTP API and a web page over one index.
 *
 * Three parts, each small:
 *
 *   serve.c        the HTTP side, on GNU libmicrohttpd: listening socket,
 *                  thread pool, request bodies and their limits, the
 *                  deadline per request, routing, JSON errors, the access
 *                  log and a graceful stop.  Knows nothing of tessera.
 *   serve_api.c    the handlers (check, documents, stats, health, the
 *                  page's files) and the shared index they read.  Knows
 *                  nothing of HTTP beyond srv_request / srv_response.
 *   serve_assets.c generated at build time from web/ by web/embed.sh: the
 *                  page's files as byte arrays.
 *
 * cmd_serve.c parses the command line and runs serve_run().
 *
 * Part of the CLI: uses only the public header, never lib/ internals.
 */
#ifndef TSR_CLI_SERVE_H
#define TSR_CLI_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

/* ------------------------------------------------------------------------
 * Configuration and the one entry point (serve.c)
 * --------------------------------------------------------------------- */

typedef struct serve_config {
    const char *db;            /* index directory */
    const char *listen;        /* "ADDR:PORT", "[V6ADDR]:PORT"; port 0 = any free */
    int threads;               /* worker threads (the pool) */
    const char *api_key;       /* key for POST /api/documents; NULL: adds refused */
    size_t max_body;           /* largest request body, bytes */
    size_t cache;              /* document cache, bytes (tsr_index_set_cache) */
    unsigned timeout;          /* seconds to receive a request; idle keep-alive */
    unsigned max_connections;  /* concurrent connections */
    unsigned max_per_ip;       /* concurrent connections from one address; 0: no limit */
    unsigned refresh_ms;       /* look for new commits this often; 0 = never */
    int access_log;            /* one line per request on stderr */
    tsr_params params;         /* for checks */
    /* Host names the server answers to besides localhost names and IP
     * literals (DNS rebinding: a page on another site must not reach a
     * loopback server under its own name); "*" in the list: any. */
    const char *const *allow_hosts;
    size_t n_allow_hosts;
} serve_config;

/* Open the index, listen, serve until SIGTERM or SIGINT, then stop
 * accepting, let requests in flight finish (up to `timeout` seconds) and
 * close.  Prints "tessera: serving DIR on http://HOST:PORT/" on stderr once
 * ready.  Returns a CLI exit code (cli.h). */
int serve_run(const serve_config *cfg);

/* ------------------------------------------------------------------------
 * Between serve.c and serve_api.c
 * --------------------------------------------------------------------- */

/* A request as the handlers see it.  All strings NUL-terminated; `body`
 * too (body[body_len] == 0), and may hold NUL bytes before that. */
typedef struct srv_request {
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* percent-decoded path, without the query */
    const char *content_type;  /* media type, lower case, no parameters; "" if none */
    const char *charset;       /* charset parameter, lower case; "" if none */
    const char *api_key;       /* from "Authorization: Bearer K" or "X-API-Key"; NULL */
    int pretty;                /* query "?pretty=1" */
    const char *body;
    size_t body_len;
} srv_request;

/* What a handler answers.  `body` is freed with `body_free` (NULL: static). */
typedef struct srv_response {
    int status;
    const char *content_type;
    char *body;
    size_t body_len;
    void (*body_free)(void *);
    const char *allow;         /* Allow header (405) */
    const char *cache;         /* Cache-Control header; NULL: none */
    int retry_after;           /* Retry-After seconds (503); 0: none */
    int www_auth;              /* send "WWW-Authenticate: Bearer" (401) */
} srv_response;

/* Fill `out` with {"error": MESSAGE, "status": STATUS}. */
void srv_error(srv_response *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Caps on the JSON values of a body (counted before it is parsed: a tree of
 * values takes ~20 times the bytes of small numbers): a check is an object
 * with a text, an add a list of documents of a few fields each. */
#define SRV_CHECK_MAX_VALUES 1024
#define SRV_ADD_MAX_VALUES (1u << 20)

/* The API (serve_api.c). */
typedef struct api api;

/* Open the index read-only for sharing.  Returns TSR_OK or a status
 * with `err` filled. */
int api_open(const serve_config *cfg, api **out, tsr_error *err);
/* Answer one request.  Thread-safe. */
void api_handle(api *a, const srv_request *rq, srv_response *out);
/* Before any byte of the body is read: what the headers alone decide (the
 * key and content type of an add).  0: go on; else `out` holds the answer
 * and the body is not read.  Thread-safe. */
int api_preauth(api *a, const srv_request *rq, srv_response *out);
/* Take in commits made since the last call (by this server or by other
 * processes).  Thread-safe; waits for checks in flight. */
void api_refresh(api *a);
void api_close(api *a);

/* The page's files (serve_assets.c, generated). */
typedef struct serve_asset {
    const char *name;          /* "index.html", "app.js", ... */
    const unsigned char *data;
    size_t len;
} serve_asset;
extern const serve_asset serve_assets[];
extern const size_t serve_n_assets;

#endif
