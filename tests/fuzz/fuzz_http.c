/*
 * fuzz_http.c - libFuzzer target for the request handlers of `tessera
 * serve` (server/api.c), through the http_handler interface (server/http.h)
 * as the HTTP layer drives it, without sockets: api_harness.h.
 *
 * Input: byte 0 the method (GET, HEAD, POST, PUT, DELETE, OPTIONS), byte 1
 * the path (one of the routes, /api/documents/ followed by the input's
 * next bytes up to a NUL, or those bytes as the whole path), byte 2 the
 * content type and charset, byte 3 the key (none, right, wrong, empty) and
 * ?pretty; the rest is the body.
 */
#include "api_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS" };
    static const char *const paths[] = { "/api/check", "/api/documents", "/api/stats",
                                         "/healthz", "/", "/app.js", "/index.html",
                                         "/api/documents/a", "/api/documents/__proto__" };
    static const char *const types[][2] = {
        { "", "" }, { "text/plain", "" }, { "text/plain", "utf-8" }, { "text/plain", "latin1" },
        { "application/json", "" }, { "application/x-ndjson", "" }, { "application/jsonl", "" },
        { "multipart/form-data", "" } };
    static const char *const keys[] = { NULL, FZ_KEY, "wrong-key-0000000", "" };
    if (size < 4) return 0;
    const uint8_t m = data[0], p = data[1], t = data[2], k = data[3];
    data += 4;
    size -= 4;
    char path[512];
    const size_t np = sizeof paths / sizeof paths[0];
    if (p % 12 < np) {
        snprintf(path, sizeof path, "%s", paths[p % 12]);
    } else {   /* a path from the input, up to a NUL byte */
        size_t n = 0;
        while (n < size && n < 200 && data[n]) n++;
        snprintf(path, sizeof path, "%s%.*s", p % 12 == np ? "/api/documents/" : "/", (int)n,
                 (const char *)data);
        data += n < size ? n + 1 : n;
        size -= n < size ? n + 1 : n;
    }
    char *body = malloc(size + 1);
    if (!body) return 0;
    if (size) memcpy(body, data, size);
    body[size] = 0;
    http_request rq = {
        .method = methods[m % 6], .path = path,
        .content_type = types[t % 8][0], .charset = types[t % 8][1],
        .api_key = keys[k % 4], .pretty = (k >> 2) & 1, .body = body, .body_len = size,
    };
    fz_request(&rq);
    free(body);
    return 0;
}
