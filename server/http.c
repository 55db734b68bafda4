/*
 * http.c - the HTTP layer of `tessera serve` (http.h), on GNU libmicrohttpd.
 *
 * This file turns HTTP requests into http_request values, hands them to
 * the application's http_handler and writes back its http_response.  It
 * owns everything that is about the protocol and its abuse, and nothing
 * that is about text reuse:
 *
 * - The listening socket: bound here (IPv4 or IPv6, port 0 = any free
 *   port) and given to MHD, so that the real port can be printed.
 * - The event loop: MHD's internal thread, one epoll loop.  It reads
 *   requests and writes responses, and answers the requests the handler
 *   calls quick itself.  A slow client holds a connection, never a thread.
 * - Workers: every other request, once its body is in, is suspended
 *   (MHD_suspend_connection) and queued; one of cfg->workers threads runs
 *   the handler and resumes the connection, and the event loop sends the
 *   answer.  More than cfg->max_queue requests waiting get 503 with
 *   Retry-After at once.  So /healthz answers in microseconds while every
 *   worker is busy with a long check.
 * - Limits: the body is collected up to --max-body bytes (a larger
 *   Content-Length is refused with 413 before any of it is read; a larger
 *   chunked body is read to its end, kept no further, then refused);
 *   --max-connections is MHD's connection limit (at the limit MHD stops
 *   accepting: new connections wait in the listen backlog until one
 *   ends), --max-per-ip its per-address limit; headers larger than MHD's
 *   buffer get MHD's own 431.  Before any byte of a body: the Host check
 *   (421), a NUL byte in the path (400), Content-Length over the limit
 *   (413) and the handler's own header check (a key, a content type).
 * - Time: MHD's timeout closes connections idle for --timeout seconds.
 *   That alone does not stop a slowloris client, which sends a byte every
 *   few seconds and so is never idle.  A housekeeping thread therefore
 *   also enforces a deadline: a request must arrive in full (headers and
 *   body) within --timeout seconds of the connection opening or of the
 *   previous response; past it, the thread shuts the socket down and MHD
 *   closes the connection.  The deadline is off while a handler runs or
 *   waits for a worker, so a request that arrived in time is always
 *   answered.  The connection table it scans is guarded by a mutex that
 *   MHD's "connection closed" notice also takes, and MHD closes the socket
 *   only after that notice, so the thread never touches a descriptor that
 *   was reused.
 * - The same thread calls the handler's tick every tick_ms.
 * - Access log: one line per request on stderr, written in one call so
 *   that lines of different threads do not mix.
 * - Stop: SIGTERM or SIGINT stops accepting (MHD_quiesce_daemon), waits
 *   for requests in flight to finish (at most --timeout seconds; requests
 *   still queued then get 503), stops the workers and then the daemon.
 *   Responses sent while stopping carry "Connection: close".
 */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result;
#else
typedef int mhd_result;
#endif

/* How much lower the workers' priority is than the event loop's. */
#define HTTP_WORKER_NICE 5

/* ------------------------------------------------------------------------
 * Types
 * --------------------------------------------------------------------- */

/* One connection, tracked for the request deadline. */
typedef struct conn_ctx {
    int fd;
    double deadline;            /* 0: none (a handler is running) */
    int shut;                   /* the deadline passed; socket shut down */
    struct conn_ctx *prev, *next;
} conn_ctx;

/* One request (MHD's con_cls), from its request line to its end. */
typedef struct req_ctx {
    double t0;
    int started;                /* headers seen by the access handler */
    char *body;
    size_t len, cap;
    int too_large;
    int status;                 /* what we answered; 0: nothing */
    size_t bytes_out;
    char client[64];
    char method[16];            /* for the log, sanitized */
    char uri[200];
    int nul_in_uri;             /* "%00" in the raw URI */
    /* A request handed to a worker: the request as the handler sees it
     * (its strings are MHD's, valid until the request ends, or below), the
     * connection to resume, and the answer once `answered`. */
    struct MHD_Connection *conn;
    http_request rq;
    char ctype[96], charset[32];
    http_response resp;
    int answered;
    struct req_ctx *next;       /* in the queue */
} req_ctx;

typedef struct server {
    const http_config *cfg;
    const http_handler *h;
    struct MHD_Daemon *d;
    pthread_mutex_t mu;         /* guards conns */
    conn_ctx *conns;
    atomic_int in_flight;       /* requests past their headers, not yet ended */
    atomic_int stopping;
    atomic_int quit_keeper;
    atomic_ulong served;
    pthread_t keeper;
    /* the worker pool: a FIFO of suspended requests */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    req_ctx *qhead, *qtail;
    unsigned queued;
    int quit_workers;
    pthread_t *workers;
    int nworkers;
} server;

/* ------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Copy `s` for the log: printable ASCII only, at most cap-1 bytes. */
static void sanitize(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++)
        dst[n++] = isprint((unsigned char)*s) && *s != '"' ? *s : '?';
    dst[n] = 0;
}

/* Lower-case media type and charset of a Content-Type value. */
static void parse_ctype(const char *v, char *type, size_t tcap, char *cs, size_t ccap)
{
    size_t n = 0;
    type[0] = cs[0] = 0;
    if (!v)
        return;
    while (*v == ' ' || *v == '\t') v++;
    for (; *v && *v != ';' && *v != ' ' && *v != '\t' && n + 1 < tcap; v++)
        type[n++] = (char)tolower((unsigned char)*v);
    type[n] = 0;
    const char *p = strchr(v, ';');
    while (p) {
        p++;
        while (*p == ' ' || *p == '\t') p++;
        if (!strncasecmp(p, "charset=", 8)) {
            p += 8;
            if (*p == '"') p++;
            n = 0;
            for (; *p && *p != ';' && *p != '"' && *p != ' ' && n + 1 < ccap; p++)
                cs[n++] = (char)tolower((unsigned char)*p);
            cs[n] = 0;
            return;
        }
        p = strchr(p, ';');
    }
}

/* ------------------------------------------------------------------------
 * Connections and the deadline
 * --------------------------------------------------------------------- */

static void set_deadline(server *s, struct MHD_Connection *c, int on)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (!ci || !ci->socket_context)
        return;
    conn_ctx *cc = ci->socket_context;
    pthread_mutex_lock(&s->mu);
    cc->deadline = on ? now_mono() + s->cfg->timeout : 0;
    pthread_mutex_unlock(&s->mu);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_ctx *cc = calloc(1, sizeof *cc);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!cc || !ci) {
            free(cc);
            return;
        }
        cc->fd = ci->connect_fd;
        pthread_mutex_lock(&s->mu);
        cc->deadline = now_mono() + s->cfg->timeout;
        cc->next = s->conns;
        if (s->conns) s->conns->prev = cc;
        s->conns = cc;
        pthread_mutex_unlock(&s->mu);
        *socket_context = cc;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_ctx *cc = *socket_context;
        if (!cc)
            return;
        pthread_mutex_lock(&s->mu);
        if (cc->prev) cc->prev->next = cc->next;
        else s->conns = cc->next;
        if (cc->next) cc->next->prev = cc->prev;
        pthread_mutex_unlock(&s->mu);
        free(cc);
        *socket_context = NULL;
    }
}

/* The housekeeping thread: deadlines every 100 ms, the handler's tick
 * every tick_ms. */
static void *keeper_main(void *arg)
{
    server *s = arg;
    double next_tick = now_mono() + s->h->tick_ms / 1000.0;
    while (!atomic_load(&s->quit_keeper)) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        double t = now_mono();
        pthread_mutex_lock(&s->mu);
        for (conn_ctx *cc = s->conns; cc; cc = cc->next)
            if (cc->deadline > 0 && t > cc->deadline && !cc->shut) {
                shutdown(cc->fd, SHUT_RDWR);
                cc->shut = 1;
            }
        pthread_mutex_unlock(&s->mu);
        if (s->h->tick && s->h->tick_ms && t >= next_tick && !atomic_load(&s->stopping)) {
            s->h->tick(s->h->ud);
            next_tick = now_mono() + s->h->tick_ms / 1000.0;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Requests
 * --------------------------------------------------------------------- */

/* Called when the request line has arrived: the request's context starts
 * here, so that every request, even one MHD itself refuses, is logged. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    req_ctx *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->t0 = now_mono();
    strcpy(r->client, "-");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        socklen_t sl = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                 : sizeof(struct sockaddr_in);
        if (getnameinfo(sa, sl, r->client, sizeof r->client, NULL, 0, NI_NUMERICHOST) != 0)
            strcpy(r->client, "-");
    }
    sanitize(r->uri, sizeof r->uri, uri);
    r->nul_in_uri = strstr(uri, "%00") != NULL;
    return r;
}

/* Whether the Host header names this server: no header (HTTP/1.0), an IP
 * literal (v4, or v6 in brackets), "localhost" or a name under
 * ".localhost", or a name of --allow-host ("*": any).  A DNS rebinding page
 * reaches a loopback server under its own domain name, which fails here. */
static int host_allowed(const http_config *cfg, const char *host)
{
    if (!host || !*host)
        return 1;
    char h[256];
    size_t n = 0;
    if (host[0] == '[') {   /* [v6]:port */
        const char *e = strchr(host, ']');
        if (!e || (size_t)(e - host - 1) >= sizeof h) return 0;
        memcpy(h, host + 1, (size_t)(e - host - 1));
        h[e - host - 1] = 0;
        struct in6_addr a6;
        return inet_pton(AF_INET6, h, &a6) == 1;
    }
    while (host[n] && host[n] != ':' && n + 1 < sizeof h) {
        h[n] = (char)tolower((unsigned char)host[n]);
        n++;
    }
    h[n] = 0;
    if (n && h[n - 1] == '.') h[--n] = 0;   /* "localhost." */
    struct in_addr a4;
    if (inet_pton(AF_INET, h, &a4) == 1) return 1;
    if (!strcmp(h, "localhost") || (n > 10 && !strcmp(h + n - 10, ".localhost"))) return 1;
    for (size_t i = 0; i < cfg->n_allow_hosts; i++)
        if (!strcmp(cfg->allow_hosts[i], "*") || !strcasecmp(cfg->allow_hosts[i], h)) return 1;
    return 0;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    server *s = cls;
    req_ctx *r = *con_cls;
    if (!r)
        return;
    if (r->started)
        atomic_fetch_sub(&s->in_flight, 1);
    if (s->cfg->access_log) {
        char when[32], status[8];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (r->status)
            snprintf(status, sizeof status, "%d", r->status);
        else
            strcpy(status, "-");
        fprintf(stderr, "%s %s \"%s %s\" %s %zu %.2fms%s\n", when, r->client,
                r->method[0] ? r->method : "-", r->uri, status,
                r->bytes_out, (now_mono() - r->t0) * 1e3,
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" :
                toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timed out)" :
                toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? " (client closed)" :
                " (closed)");
    }
    atomic_fetch_add(&s->served, 1);
    /* an answer a worker made but that was never queued for sending */
    if (r->answered && r->resp.body_free)
        r->resp.body_free(r->resp.body);
    free(r->body);
    free(r);
    *con_cls = NULL;
    set_deadline(s, c, 1);   /* keep-alive: the next request has --timeout */
}

/* Queue `out` as the answer; MHD owns its body from here on. */
static mhd_result send_response(server *s, struct MHD_Connection *c, req_ctx *r,
                                const char *method, http_response *out)
{
    struct MHD_Response *resp;
    const size_t len = out->body_len;
    if (out == &r->resp)
        r->answered = 0;   /* the body changes hands here */
    if (out->body_free)
        resp = MHD_create_response_from_buffer_with_free_callback(len, out->body,
                                                                   out->body_free);
    else
        resp = MHD_create_response_from_buffer(len, out->body, MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (out->body_free) out->body_free(out->body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            out->content_type ? out->content_type : "application/json");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (out->content_type && !strncmp(out->content_type, "text/html", 9)) {
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            out->cache ? out->cache : "no-store");
    if (out->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, out->allow);
    if (out->www_auth) {
        char wa[128];
        snprintf(wa, sizeof wa, "Bearer realm=\"%.100s\"",
                 s->cfg->realm ? s->cfg->realm : "api");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, wa);
    }
    if (out->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", out->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (out->warning) {
        char w[300], esc[200];
        sanitize(esc, sizeof esc, out->warning);
        snprintf(w, sizeof w, "199 - \"%s\"", esc);
        MHD_add_response_header(resp, "Warning", w);
    }
    if (atomic_load(&s->stopping) || out->status == 413)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    r->status = out->status;
    r->bytes_out = strcmp(method, "HEAD") ? len : 0;
    mhd_result ret = MHD_queue_response(c, (unsigned)out->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The API key of a request: "Authorization: Bearer KEY", else "X-API-Key". */
static const char *request_key(struct MHD_Connection *c)
{
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key");
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth && !strncasecmp(auth, "Bearer ", 7)) {
        key = auth + 7;
        while (*key == ' ') key++;
    }
    return key;
}

/* ------------------------------------------------------------------------
 * Workers
 * --------------------------------------------------------------------- */

/* Suspend request `r`'s connection and hand it to the workers; 0, or -1
 * (nothing done) when the queue is full or the workers are stopping.  The
 * connection is suspended under the queue's lock, so that no worker can
 * resume it before it is suspended. */
static int enqueue(server *s, struct MHD_Connection *c, req_ctx *r)
{
    pthread_mutex_lock(&s->qmu);
    if ((s->cfg->max_queue && s->queued >= s->cfg->max_queue) || s->quit_workers) {
        pthread_mutex_unlock(&s->qmu);
        return -1;
    }
    r->conn = c;
    r->next = NULL;
    MHD_suspend_connection(c);
    if (s->qtail) s->qtail->next = r;
    else s->qhead = r;
    s->qtail = r;
    s->queued++;
    pthread_cond_signal(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
    return 0;
}

/* A worker: take the oldest request, run the handler, resume the
 * connection (the event loop then calls on_request, which sends the
 * answer).  When told to quit, requests still queued get 503 unrun. */
static void *worker_main(void *arg)
{
    server *s = arg;
#ifdef __linux__
    /* Below the event loop: on a machine whose cores the workers keep
     * busy, a health check must not wait for a time slice behind them
     * (Linux: the nice value is per thread; raising it needs no
     * privilege; a failure changes nothing but the latency). */
    errno = 0;
    const int prio = getpriority(PRIO_PROCESS, 0);
    if (errno == 0)
        (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), prio + HTTP_WORKER_NICE);
#endif
    for (;;) {
        pthread_mutex_lock(&s->qmu);
        while (!s->qhead && !s->quit_workers)
            pthread_cond_wait(&s->qcv, &s->qmu);
        req_ctx *r = s->qhead;
        if (!r) {   /* quitting, nothing left */
            pthread_mutex_unlock(&s->qmu);
            return NULL;
        }
        s->qhead = r->next;
        if (!s->qhead) s->qtail = NULL;
        s->queued--;
        const int quit = s->quit_workers;
        pthread_mutex_unlock(&s->qmu);
        memset(&r->resp, 0, sizeof r->resp);
        if (quit) {
            http_error(&r->resp, 503, "the server is stopping");
        } else {
            s->h->handle(s->h->ud, &r->rq, &r->resp);
            if (!r->resp.status)
                http_error(&r->resp, 500, "the handler gave no answer");
        }
        r->answered = 1;
        MHD_resume_connection(r->conn);
    }
}

/* ------------------------------------------------------------------------
 * The access handler
 * --------------------------------------------------------------------- */

/* The request's headers into `r`: content type, charset, key; the query's
 * pretty, text, offsets and fields. */
static void fill_request(req_ctx *r, struct MHD_Connection *c, const char *url,
                         const char *method)
{
    parse_ctype(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
                r->ctype, sizeof r->ctype, r->charset, sizeof r->charset);
    const char *pretty = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "pretty");
    const char *text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "text");
    r->rq = (http_request){
        .method = method, .path = url, .content_type = r->ctype, .charset = r->charset,
        .api_key = request_key(c), .pretty = pretty && strcmp(pretty, "0") != 0,
        .text = text && strcmp(text, "0") != 0,
        .offsets = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "offsets"),
        .fields = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fields"),
        .body = r->body, .body_len = r->len,
    };
}

/* The first call, once the headers are in: what they alone decide, before
 * any byte of a body is read.  MHD_YES with nothing queued: go on. */
static mhd_result on_headers(server *s, struct MHD_Connection *c, req_ctx *r,
                             const char *url, const char *method)
{
    http_response out;
    r->started = 1;
    atomic_fetch_add(&s->in_flight, 1);
    sanitize(r->method, sizeof r->method, method);
    if (!r->uri[0])
        sanitize(r->uri, sizeof r->uri, url);
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host_allowed(s->cfg, host)) {
        http_error(&out, 421, "this server does not answer to the host name '%.100s'%s",
                   host, s->cfg->host_hint ? s->cfg->host_hint : "");
        set_deadline(s, c, 1);
        return send_response(s, c, r, method, &out);
    }
    if (r->nul_in_uri) {
        http_error(&out, 400, "a NUL byte (%%00) in the URI");
        set_deadline(s, c, 1);
        return send_response(s, c, r, method, &out);
    }
    if (s->h->headers) {   /* a key or a content type that will be refused */
        fill_request(r, c, url, method);
        r->rq.body = NULL;
        memset(&out, 0, sizeof out);
        if (s->h->headers(s->h->ud, &r->rq, &out)) {
            set_deadline(s, c, 1);
            return send_response(s, c, r, method, &out);
        }
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        unsigned long long n = strtoull(cl, NULL, 10);
        if (n > s->cfg->max_body) {
            http_error(&out, 413, "request body of %llu bytes is over the limit of %zu bytes",
                       n, s->cfg->max_body);
            set_deadline(s, c, 1);
            return send_response(s, c, r, method, &out);
        }
        /* room for what was announced, but not more than 64 KiB before
         * it arrives: a client that announces 10 MB and sends nothing
         * must not hold 10 MB */
        size_t cap = n < 65536 ? (size_t)n : 65536;
        if (cap > 0 && !(r->body = malloc(cap + 1)))
            return MHD_NO;
        r->cap = r->body ? cap : 0;
    }
    return MHD_YES;
}

/* A piece of the body: kept up to the limit, then read on and dropped. */
static mhd_result on_body(server *s, req_ctx *r, const char *data, size_t n)
{
    if (r->too_large || r->len + n > s->cfg->max_body) {
        r->too_large = 1;
        return MHD_YES;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 65536;
        while (cap < r->len + n) cap *= 2;
        if (cap > s->cfg->max_body) cap = s->cfg->max_body;
        char *b = realloc(r->body, cap + 1);
        if (!b)
            return MHD_NO;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    return MHD_YES;
}

static mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version,
                             const char *upload_data, size_t *upload_size, void **con_cls)
{
    server *s = cls;
    req_ctx *r = *con_cls;
    http_response out;
    (void)version;

    if (!r) {   /* the URI callback ran out of memory */
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->t0 = now_mono();
        *con_cls = r;
    }
    if (!r->started)
        return on_headers(s, c, r, url, method);
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        return on_body(s, r, upload_data, n);
    }
    if (r->answered) {   /* back from a worker */
        set_deadline(s, c, 1);
        return send_response(s, c, r, method, &r->resp);
    }

    /* the whole request is in: answer it, here or on a worker */
    set_deadline(s, c, 0);
    if (r->too_large) {
        http_error(&out, 413, "request body is over the limit of %zu bytes", s->cfg->max_body);
        set_deadline(s, c, 1);
        return send_response(s, c, r, method, &out);
    }
    if (!r->body && !(r->body = malloc(1)))
        return MHD_NO;
    r->body[r->len] = 0;
    fill_request(r, c, url, method);
    if (s->h->quick && s->h->quick(s->h->ud, &r->rq)) {
        memset(&out, 0, sizeof out);
        s->h->handle(s->h->ud, &r->rq, &out);
        set_deadline(s, c, 1);
        return send_response(s, c, r, method, &out);
    }
    if (enqueue(s, c, r) != 0) {
        http_error(&out, 503, "the server is busy: %u requests are waiting; try again",
                   s->cfg->max_queue);
        out.retry_after = 1;
        set_deadline(s, c, 1);
        return send_response(s, c, r, method, &out);
    }
    return MHD_YES;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    const server *s = cls;
    if (!s->cfg->access_log)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = 0;
    fprintf(stderr, "%s: http: %s\n", s->cfg->prog, msg);
}

/* ------------------------------------------------------------------------
 * Listening socket
 * --------------------------------------------------------------------- */

static int fail(int code, char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(int code, char *msg, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msg && cap) vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
    return code;
}

/* Bind and listen on "HOST:PORT", "[V6]:PORT" or "PORT" (127.0.0.1). */
static int listen_on(const char *spec, int *fd_out, char *url, size_t ucap, char *msg,
                     size_t mcap)
{
    char host[256], port[16];
    const char *colon;
    if (spec[0] == '[') {
        const char *rb = strchr(spec, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof host)
            return fail(HTTP_EUSAGE, msg, mcap, "--listen: expected [ADDR]:PORT, got '%s'", spec);
        memcpy(host, spec + 1, (size_t)(rb - spec - 1));
        host[rb - spec - 1] = 0;
        colon = rb + 1;
    } else if ((colon = strrchr(spec, ':'))) {
        if ((size_t)(colon - spec) >= sizeof host || colon == spec)
            return fail(HTTP_EUSAGE, msg, mcap, "--listen: expected ADDR:PORT, got '%s'", spec);
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = 0;
    } else {
        strcpy(host, "127.0.0.1");
        colon = spec - 1;
    }
    const char *p = colon + 1;
    char *end;
    long pn = strtol(p, &end, 10);
    if (!*p || *end || pn < 0 || pn > 65535)
        return fail(HTTP_EUSAGE, msg, mcap,
                    "--listen takes [ADDR:]PORT, PORT from 0 to 65535, not '%s'", spec);
    snprintf(port, sizeof port, "%ld", pn);

    struct addrinfo hints = { 0 }, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0)
        return fail(HTTP_EUSAGE, msg, mcap, "--listen: %s: %s", host, gai_strerror(g));
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 511) != 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return fail(HTTP_ESYSTEM, msg, mcap, "cannot listen on %s: %s", spec, strerror(e));
    }
    freeaddrinfo(ai);

    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char h[NI_MAXHOST], sv[NI_MAXSERV];
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, sv, sizeof sv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        int e = errno;
        close(fd);
        return fail(HTTP_ESYSTEM, msg, mcap, "cannot listen on %s: %s", spec, strerror(e));
    }
    snprintf(url, ucap, ss.ss_family == AF_INET6 ? "http://[%s]:%s/" : "http://%s:%s/", h, sv);
    *fd_out = fd;
    return HTTP_OK;
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

/* Stop the workers: each finishes the handler it runs; requests still
 * queued get 503; then they are joined. */
static void stop_workers(server *s)
{
    pthread_mutex_lock(&s->qmu);
    s->quit_workers = 1;
    pthread_cond_broadcast(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
    for (int i = 0; i < s->nworkers; i++)
        pthread_join(s->workers[i], NULL);
    s->nworkers = 0;
}

int http_run(const http_config *cfg, const http_handler *h, char *msg, size_t msgcap)
{
    server s;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.h = h;
    pthread_mutex_init(&s.mu, NULL);
    pthread_mutex_init(&s.qmu, NULL);
    pthread_cond_init(&s.qcv, NULL);

    /* Signals: every thread started from here blocks them; this one waits. */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);

    int lfd = -1, rc;
    char url[320];
    if ((rc = listen_on(cfg->listen, &lfd, url, sizeof url, msg, msgcap)) != HTTP_OK)
        goto out;
    const int nw = cfg->workers > 0 ? cfg->workers : 1;
    if (!(s.workers = calloc((size_t)nw, sizeof *s.workers))) {
        rc = fail(HTTP_ESYSTEM, msg, msgcap, "out of memory");
        goto out;
    }
    for (; s.nworkers < nw; s.nworkers++)
        if (pthread_create(&s.workers[s.nworkers], NULL, worker_main, &s) != 0) {
            rc = fail(HTTP_ESYSTEM, msg, msgcap, "cannot start a thread");
            goto out;
        }
    s.d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
            MHD_ALLOW_SUSPEND_RESUME,
        0, NULL, NULL, on_request, &s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, &s,
        MHD_OPTION_LISTEN_SOCKET, lfd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, &s,
        MHD_OPTION_END);
    if (!s.d) {
        rc = fail(HTTP_ESYSTEM, msg, msgcap, "cannot start the HTTP server on %s", url);
        goto out;
    }
    if (pthread_create(&s.keeper, NULL, keeper_main, &s) != 0) {
        rc = fail(HTTP_ESYSTEM, msg, msgcap, "cannot start a thread");
        goto out;
    }
    fprintf(stderr, "%s: serving %s on %s (%d worker%s)\n", cfg->prog, cfg->name, url, nw,
            nw == 1 ? "" : "s");
    fflush(stderr);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    atomic_store(&s.stopping, 1);
    fprintf(stderr, "%s: %s: stopping; finishing requests in flight\n", cfg->prog,
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    /* stop accepting: MHD lets go of the listening socket, and closing it
     * makes new connections fail at once instead of waiting in the backlog */
    if (MHD_quiesce_daemon(s.d) == lfd) {
        close(lfd);
        lfd = -1;
    }
    double until = now_mono() + (cfg->timeout ? cfg->timeout : 1);
    while (atomic_load(&s.in_flight) > 0 && now_mono() < until) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    int left = atomic_load(&s.in_flight);
    /* every suspended connection is resumed before the daemon stops */
    stop_workers(&s);
    atomic_store(&s.quit_keeper, 1);
    pthread_join(s.keeper, NULL);
    MHD_stop_daemon(s.d);
    s.d = NULL;
    if (left > 0)
        fprintf(stderr, "%s: stopped; %d request%s cut short\n", cfg->prog, left,
                left == 1 ? "" : "s");
    else
        fprintf(stderr, "%s: stopped after %lu requests\n", cfg->prog,
                (unsigned long)atomic_load(&s.served));
    rc = HTTP_OK;
out:
    if (s.d) MHD_stop_daemon(s.d);
    stop_workers(&s);
    free(s.workers);
    if (lfd >= 0) close(lfd);
    pthread_cond_destroy(&s.qcv);
    pthread_mutex_destroy(&s.qmu);
    pthread_mutex_destroy(&s.mu);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
