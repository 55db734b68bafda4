/*
 * http.h - an HTTP/1.1 server for one application, on GNU libmicrohttpd.
 *
 * The server of `tessera serve` in two layers, as redis' event loop takes
 * callbacks:
 *
 *   http.c   this layer: the listening socket, the event loop, request
 *            bodies and their limits, deadlines against slow clients, the
 *            Host check, the worker pool, the access log, a graceful stop.
 *            Knows nothing of tessera: it hands each request to an
 *            http_handler and writes back what the handler answers.
 *   api.c    the application (api.h): the handlers of the JSON API and the
 *            page over one index.  Knows HTTP only as http_request and
 *            http_response.
 *   response.c  http_error, used by both; apart from http.c so that the
 *            handlers can be driven without a server (tests/fuzz/fuzz_http.c).
 *
 * cli/cmd_serve.c parses the command line, opens the api, fills an
 * http_handler from it (api_handler) and runs http_run().  Neither layer
 * calls the other's functions except through this interface.
 *
 * Threads.  The event loop reads requests and writes responses; it runs
 * the handler itself only for requests the handler calls quick (a health
 * check, a static file), so that these answer at once however busy the
 * server is.  Every other request is suspended while one of `workers`
 * threads runs its handler, then resumed to send the answer: a long check
 * never holds up the event loop.
 */
#ifndef TSR_SERVER_HTTP_H
#define TSR_SERVER_HTTP_H

#include <stddef.h>

/* A request as a handler sees it.  All strings NUL-terminated; `body` too
 * (body[body_len] == 0), and may hold NUL bytes before that.  Valid for the
 * duration of the call. */
typedef struct http_request {
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* percent-decoded path, without the query */
    const char *content_type;  /* media type, lower case, no parameters; "" if none */
    const char *charset;       /* charset parameter, lower case; "" if none */
    const char *api_key;       /* from "Authorization: Bearer K" or "X-API-Key"; NULL */
    int pretty;                /* query "?pretty=1" */
    int text;                  /* query "text=1": passages' text (POST /api/check) */
    const char *offsets;       /* query "offsets=bytes|chars"; NULL if absent */
    const char *fields;        /* query "fields=url,title|all"; NULL if absent */
    const char *body;
    size_t body_len;
} http_request;

/* What a handler answers.  `body` is freed with `body_free` (NULL: static). */
typedef struct http_response {
    int status;
    const char *content_type;  /* NULL: application/json */
    char *body;
    size_t body_len;
    void (*body_free)(void *);
    const char *allow;         /* Allow header (405) */
    const char *cache;         /* Cache-Control header; NULL: no-store */
    int retry_after;           /* Retry-After seconds (503); 0: none */
    int www_auth;              /* send "WWW-Authenticate: Bearer" (401) */
    const char *warning;       /* a "Warning: 199 - ..." header; NULL: none */
} http_response;

/* Fill `out` with {"error": MESSAGE, "status": STATUS}; the message may
 * quote what a client sent: bytes that are not UTF-8 become U+FFFD. */
void http_error(http_response *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The application.  Each callback gets `ud`; all may run on several
 * threads at once. */
typedef struct http_handler {
    void *ud;
    /* Before any byte of the body is read (method, path, content type,
     * key; body NULL): 0 to go on, else `out` holds the answer and the
     * body is not read.  NULL: always go on. */
    int (*headers)(void *ud, const http_request *rq, http_response *out);
    /* 1: answer on the event loop (cheap, never waits on a lock held for
     * long); 0: on a worker.  NULL: every request goes to a worker. */
    int (*quick)(void *ud, const http_request *rq);
    /* Answer a request; `out` is zeroed before the call. */
    void (*handle)(void *ud, const http_request *rq, http_response *out);
    /* Housekeeping, every `tick_ms` on a thread of its own (NULL or 0: never). */
    void (*tick)(void *ud);
    unsigned tick_ms;
} http_handler;

typedef struct http_config {
    const char *prog;          /* prefix of the lines on stderr */
    const char *name;          /* what is served, for "serving NAME on URL" */
    const char *listen;        /* "ADDR:PORT", "[V6ADDR]:PORT" or "PORT"; port 0: any free */
    int workers;               /* threads running handlers (>= 1) */
    size_t max_body;           /* largest request body, bytes */
    unsigned timeout;          /* seconds to receive a request; idle keep-alive */
    unsigned max_connections;  /* concurrent connections */
    unsigned max_per_ip;       /* concurrent connections from one address; 0: no limit */
    unsigned max_queue;        /* requests waiting for a worker; more get 503 (0: no limit) */
    int access_log;            /* one line per request on stderr */
    /* Host names the server answers to besides localhost names and IP
     * literals (DNS rebinding: a page on another site must not reach a
     * loopback server under its own name); "*" in the list: any. */
    const char *const *allow_hosts;
    size_t n_allow_hosts;
    const char *host_hint;     /* appended to the 421 message; NULL: none */
    const char *realm;         /* of WWW-Authenticate; NULL: "api" */
} http_config;

/* What http_run returns. */
enum { HTTP_OK = 0, HTTP_EUSAGE = 1, HTTP_ESYSTEM = 2 };

/* Listen, serve until SIGTERM or SIGINT, then stop accepting, let requests
 * in flight finish (up to `timeout` seconds) and return HTTP_OK.  Prints
 * "PROG: serving NAME on http://HOST:PORT/" on stderr once ready.  Blocks
 * SIGTERM, SIGINT and SIGPIPE in every thread it starts.  Before serving,
 * a bad `listen` is HTTP_EUSAGE, a socket or thread that cannot be made
 * HTTP_ESYSTEM, with a message in `msg`. */
int http_run(const http_config *cfg, const http_handler *h, char *msg, size_t msgcap);

#endif
