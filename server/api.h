/*
 * api.h - the application of `tessera serve`: a JSON API and a web page
 * over one index, as an http_handler (http.h).
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
 * Uses only the public API of the library (tessera.h).
 */
#ifndef TSR_SERVER_API_H
#define TSR_SERVER_API_H

#include <stddef.h>

#include "http.h"
#include "tessera.h"

typedef struct api_config {
    const char *prog;          /* prefix of the lines on stderr */
    const char *db;            /* index directory */
    const char *api_key;       /* key for POST /api/documents; NULL: adds refused */
    size_t cache;              /* document cache, bytes (tsr_index_set_cache) */
    unsigned refresh_ms;       /* look for new commits this often; 0 = never */
    size_t max_check_bytes;    /* longest text of one check (413 above) */
    double max_check_seconds;  /* time of one check (503 past it); 0: no limit */
    unsigned writer_idle_ms;   /* keep the writer of adds open this long after one */
    tsr_params params;         /* for checks */
} api_config;

/* Caps on the JSON values of a body (counted before it is parsed: a tree of
 * values takes ~20 times the bytes of small numbers): a check is an object
 * with a text, an add a list of documents of a few fields each. */
#define API_CHECK_MAX_VALUES 1024
#define API_ADD_MAX_VALUES (1u << 20)

typedef struct api api;

/* Open the index read-only for sharing.  Returns TSR_OK or a status
 * with `err` filled.  `cfg` must outlive the api. */
int api_open(const api_config *cfg, api **out, tsr_error *err);

/* The api as an http_handler: headers (the key and content type of an
 * add), quick (/healthz, the page's files, wrong methods and paths),
 * handle, and a tick every refresh_ms (new commits; the idle writer). */
void api_handler(api *a, http_handler *h);

/* Take in commits made since the last call (by this server or by other
 * processes): new segments are mapped and checksummed beside the checks
 * in flight, then swapped in under a short exclusive lock.  Thread-safe. */
int api_refresh(api *a, tsr_error *err);

void api_close(api *a);

#endif
