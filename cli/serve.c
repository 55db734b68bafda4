/*
 * serve.c - the HTTP side of `tessera serve`, on GNU libmicrohttpd.
 *
 * This file turns HTTP requests into srv_request values, hands them to
 * api_handle() (serve_api.c) and writes back its srv_response.  It owns
 * everything that is about the protocol and its abuse, and nothing that
 * is about text reuse:
 *
 * - The listening socket: bound here (IPv4 or IPv6, port 0 = any free
 *   port) and given to MHD, so that the real port can be printed.
 * - Threads: MHD's internal thread pool, one epoll loop per thread; a
 *   handler runs on the thread of its connection.  A slow client holds a
 *   connection, never a thread.
 * - Limits: the body is collected up to --max-body bytes (a larger
 *   Content-Length is refused with 413 before any of it is read; a larger
 *   chunked body is read to its end, kept no further, then refused);
 *   --max-connections is MHD's connection limit (at the limit MHD stops
 *   accepting: new connections wait in the listen backlog until one
 *   ends); headers larger than MHD's buffer get MHD's own 431.
 * - Time: MHD's timeout closes connections idle for --timeout seconds.
 *   That alone does not stop a slowloris client, which sends a byte every
 *   few seconds and so is never idle.  A housekeeping thread therefore
 *   also enforces a deadline: a request must arrive in full (headers and
 *   body) within --timeout seconds of the connection opening or of the
 *   previous response; past it, the thread shuts the socket down and MHD
 *   closes the connection.  The deadline is off while a handler runs, so
 *   a request that arrived in time is always answered.  The connection
 *   table it scans is guarded by a mutex that MHD's "connection closed"
 *   notice also takes, and MHD closes the socket only after that notice,
 *   so the thread never touches a descriptor that was reused.
 * - The same thread takes in new commits every --refresh milliseconds
 *   (api_refresh).
 * - Access log: one line per request on stderr, written in one call so
 *   that lines of different threads do not mix.
 * - Stop: SIGTERM or SIGINT stops accepting (MHD_quiesce_daemon), waits
 *   for requests in flight to finish (at most --timeout seconds), and
 *   then stops the daemon.  Responses sent while stopping carry
 *   "Connection: close".
 */
#include "cli.h"
#include "serve.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result;
#else
typedef int mhd_result;
#endif

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
} req_ctx;

typedef struct server {
    const serve_config *cfg;
    api *api;
    struct MHD_Daemon *d;
    pthread_mutex_t mu;         /* guards conns */
    conn_ctx *conns;
    atomic_int in_flight;       /* requests past their headers, not yet ended */
    atomic_int stopping;
    atomic_int quit_keeper;
    atomic_ulong served;
    pthread_t keeper;
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

/* `s` as the inside of a JSON string.  Messages may quote what a client
 * sent (a document id from the URL, cut at some length), so bytes that are
 * not valid UTF-8 become U+FFFD: the answer stays valid JSON. */
static void json_escape_into(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    while (*s && n + 8 < cap) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char)c;
            s++;
        } else if (c < 0x20) {
            n += (size_t)snprintf(dst + n, cap - n, "\\u%04x", c);
            s++;
        } else if (c < 0x80) {
            dst[n++] = (char)c;
            s++;
        } else {
            const size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
            size_t bad = 0, have = 0;
            while (have < k && s[have]) have++;
            if (k && have == k && tsr_utf8_check(s, k, &bad) == TSR_OK) {
                memcpy(dst + n, s, k);
                n += k;
                s += k;
            } else {
                memcpy(dst + n, "\\ufffd", 6);
                n += 6;
                s++;
            }
        }
    }
    dst[n] = 0;
}

void srv_error(srv_response *out, int status, const char *fmt, ...)
{
    char msg[600], esc[1300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_escape_into(esc, sizeof esc, msg);
    size_t cap = strlen(esc) + 64;
    char *b = malloc(cap);
    memset(out, 0, sizeof *out);
    out->status = status;
    out->content_type = "application/json";
    if (!b) {   /* out of memory: a static body still says so */
        static char oom[] = "{\"error\":\"out of memory\",\"status\":500}\n";
        out->status = 500;
        out->body = oom;
        out->body_len = sizeof oom - 1;
        return;
    }
    out->body_len = (size_t)snprintf(b, cap, "{\"error\":\"%s\",\"status\":%d}\n", esc, status);
    out->body = b;
    out->body_free = free;
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

/* The housekeeping thread: deadlines every 100 ms, refresh every
 * cfg->refresh_ms. */
static void *keeper_main(void *arg)
{
    server *s = arg;
    double next_refresh = now_mono() + s->cfg->refresh_ms / 1000.0;
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
        if (s->cfg->refresh_ms && t >= next_refresh && !atomic_load(&s->stopping)) {
            api_refresh(s->api);
            next_refresh = now_mono() + s->cfg->refresh_ms / 1000.0;
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
static int host_allowed(const serve_config *cfg, const char *host)
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
    free(r->body);
    free(r);
    *con_cls = NULL;
    set_deadline(s, c, 1);   /* keep-alive: the next request has --timeout */
}

static mhd_result send_response(server *s, struct MHD_Connection *c, req_ctx *r,
                                const char *method, srv_response *out)
{
    struct MHD_Response *resp;
    const size_t len = out->body_len;
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
    if (out->www_auth)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"tessera\"");
    if (out->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", out->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
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

static mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version,
                             const char *upload_data, size_t *upload_size, void **con_cls)
{
    server *s = cls;
    req_ctx *r = *con_cls;
    srv_response out;
    (void)version;

    if (!r) {   /* the URI callback ran out of memory */
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->t0 = now_mono();
        *con_cls = r;
    }
    if (!r->started) {
        /* first call: the headers are in */
        r->started = 1;
        atomic_fetch_add(&s->in_flight, 1);
        sanitize(r->method, sizeof r->method, method);
        if (!r->uri[0])
            sanitize(r->uri, sizeof r->uri, url);
        /* decided from the headers, before any byte of a body is read */
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        if (!host_allowed(s->cfg, host)) {
            srv_error(&out, 421, "this server does not answer to the host name '%.100s' "
                      "(tessera serve --allow-host NAME adds one)", host);
            set_deadline(s, c, 1);
            return send_response(s, c, r, method, &out);
        }
        if (r->nul_in_uri) {
            srv_error(&out, 400, "a NUL byte (%%00) in the URI");
            set_deadline(s, c, 1);
            return send_response(s, c, r, method, &out);
        }
        {   /* a key or a content type that will be refused: before the body */
            char ctype[96], charset[32];
            srv_request hq = { .method = method, .path = url, .content_type = ctype,
                               .charset = charset, .api_key = request_key(c) };
            parse_ctype(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_TYPE),
                        ctype, sizeof ctype, charset, sizeof charset);
            if (api_preauth(s->api, &hq, &out)) {
                set_deadline(s, c, 1);
                return send_response(s, c, r, method, &out);
            }
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            unsigned long long n = strtoull(cl, NULL, 10);
            if (n > s->cfg->max_body) {
                srv_error(&out, 413, "request body of %llu bytes is over the limit of %zu bytes",
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
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_large || r->len + n > s->cfg->max_body) {
            r->too_large = 1;   /* read on to the end, keep nothing */
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
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        return MHD_YES;
    }

    /* the whole request is in: answer it */
    set_deadline(s, c, 0);
    if (r->too_large) {
        srv_error(&out, 413, "request body is over the limit of %zu bytes", s->cfg->max_body);
    } else {
        char ctype[96], charset[32];
        parse_ctype(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_CONTENT_TYPE),
                    ctype, sizeof ctype, charset, sizeof charset);
        const char *key = request_key(c);
        const char *pretty = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "pretty");
        if (!r->body && !(r->body = malloc(1)))
            return MHD_NO;
        r->body[r->len] = 0;
        srv_request rq = {
            .method = method, .path = url, .content_type = ctype, .charset = charset,
            .api_key = key, .pretty = pretty && strcmp(pretty, "0") != 0,
            .body = r->body, .body_len = r->len,
        };
        api_handle(s->api, &rq, &out);
    }
    set_deadline(s, c, 1);
    return send_response(s, c, r, method, &out);
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
    fprintf(stderr, "%s: http: %s\n", cli_prog, msg);
}

/* ------------------------------------------------------------------------
 * Listening socket
 * --------------------------------------------------------------------- */

/* Bind and listen on "HOST:PORT", "[V6]:PORT" or "PORT" (127.0.0.1). */
static int listen_on(const char *spec, int *fd_out, char *url, size_t ucap)
{
    char host[256], port[16];
    const char *colon;
    if (spec[0] == '[') {
        const char *rb = strchr(spec, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof host)
            return cli_usage_error("serve", "--listen: expected [ADDR]:PORT, got '%s'", spec);
        memcpy(host, spec + 1, (size_t)(rb - spec - 1));
        host[rb - spec - 1] = 0;
        colon = rb + 1;
    } else if ((colon = strrchr(spec, ':'))) {
        if ((size_t)(colon - spec) >= sizeof host || colon == spec)
            return cli_usage_error("serve", "--listen: expected ADDR:PORT, got '%s'", spec);
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
        return cli_usage_error("serve", "--listen: bad port in '%s'", spec);
    snprintf(port, sizeof port, "%ld", pn);

    struct addrinfo hints = { 0 }, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0)
        return cli_usage_error("serve", "--listen: %s: %s", host, gai_strerror(g));
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 511) != 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return cli_fail(EXIT_SYSTEM, "cannot listen on %s: %s", spec, strerror(e));
    }
    freeaddrinfo(ai);

    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char h[NI_MAXHOST], sv[NI_MAXSERV];
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, sv, sizeof sv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        close(fd);
        return cli_fail(EXIT_SYSTEM, "cannot listen on %s: %s", spec, strerror(errno));
    }
    snprintf(url, ucap, ss.ss_family == AF_INET6 ? "http://[%s]:%s/" : "http://%s:%s/", h, sv);
    *fd_out = fd;
    return EXIT_OK;
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

int serve_run(const serve_config *cfg)
{
    server s = { 0 };
    s.cfg = cfg;
    pthread_mutex_init(&s.mu, NULL);

    /* Signals: every thread started from here blocks them; this one waits. */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);

    tsr_error e = { 0 };
    int st = api_open(cfg, &s.api, &e);
    if (st != TSR_OK) {
        int code = cli_exit_code(st);
        if (code == EXIT_INPUT) code = EXIT_INDEX;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return cli_fail(code, "%s", e.message);
    }
    int lfd = -1;
    char url[320];
    int rc = listen_on(cfg->listen, &lfd, url, sizeof url);
    if (rc != EXIT_OK) {
        api_close(s.api);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return rc;
    }

    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem pool[] = {
        { cfg->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
          cfg->threads, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    s.d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, &s,
        MHD_OPTION_LISTEN_SOCKET, lfd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, &s,
        MHD_OPTION_ARRAY, pool,
        MHD_OPTION_END);
    if (!s.d) {
        close(lfd);
        api_close(s.api);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return cli_fail(EXIT_SYSTEM, "cannot start the HTTP server on %s", url);
    }
    if (pthread_create(&s.keeper, NULL, keeper_main, &s) != 0) {
        MHD_stop_daemon(s.d);
        close(lfd);
        api_close(s.api);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return cli_fail(EXIT_SYSTEM, "cannot start a thread");
    }
    fprintf(stderr, "%s: serving %s on %s (%d thread%s)\n", cli_prog, cfg->db, url,
            cfg->threads, cfg->threads == 1 ? "" : "s");
    fflush(stderr);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    atomic_store(&s.stopping, 1);
    fprintf(stderr, "%s: %s: stopping; finishing requests in flight\n", cli_prog,
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
    MHD_stop_daemon(s.d);
    if (lfd >= 0)
        close(lfd);
    atomic_store(&s.quit_keeper, 1);
    pthread_join(s.keeper, NULL);
    api_close(s.api);
    pthread_mutex_destroy(&s.mu);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (left > 0)
        fprintf(stderr, "%s: stopped; %d request%s cut short\n", cli_prog, left,
                left == 1 ? "" : "s");
    else
        fprintf(stderr, "%s: stopped after %lu requests\n", cli_prog,
                (unsigned long)atomic_load(&s.served));
    return EXIT_OK;
}
