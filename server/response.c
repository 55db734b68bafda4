/*
 * response.c - answers that the HTTP layer and the application both make:
 * http_error's JSON error body (http.h), escaped by jansson.  Apart from
 * http.c so that a program may drive an http_handler without a server (the
 * fuzz targets of the handlers, tests/fuzz/fuzz_http.c).
 */
#include "http.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether the k bytes at `s` (k = 2..4, from the lead byte) are one valid
 * UTF-8 character: continuation bytes, no overlong form, no surrogate,
 * nothing above U+10FFFF. */
static int utf8_seq_ok(const unsigned char *s, size_t k)
{
    unsigned cp = s[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const unsigned least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    return cp >= least[k] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

/* `s` as valid UTF-8 in dst[0, cap): messages may quote what a client sent
 * (a document id from the URL, cut at some length), and a byte that does
 * not start a valid character becomes U+FFFD, so that jansson, which
 * escapes the rest, takes the string and the answer stays valid JSON. */
static void utf8_repair(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    while (*s && n + 4 < cap) {
        const unsigned char c = (unsigned char)*s;
        const size_t k = c < 0x80 ? 1 : c >= 0xF8 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3
                       : c >= 0xC0 ? 2 : 0;
        size_t have = 0;
        while (have < k && s[have]) have++;
        if (k && have == k && (k == 1 || utf8_seq_ok((const unsigned char *)s, k))) {
            memcpy(dst + n, s, k);
            n += k;
            s += k;
        } else {
            memcpy(dst + n, "\xEF\xBF\xBD", 3);
            n += 3;
            s++;
        }
    }
    dst[n] = 0;
}

/* The answer when the error body itself cannot be made. */
static void oom_body(http_response *out)
{
    static char oom[] = "{\"error\":\"out of memory\",\"status\":500}\n";
    out->status = 500;
    out->body = oom;
    out->body_len = sizeof oom - 1;
}

void http_error(http_response *out, int status, const char *fmt, ...)
{
    char msg[600], text[1300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_repair(text, sizeof text, msg);
    memset(out, 0, sizeof *out);
    out->status = status;
    out->content_type = "application/json";
    json_t *o = json_pack("{s:s, s:i}", "error", text, "status", status);
    char *b = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    /* the body ends with a newline, as every answer of the API does */
    const size_t len = b ? strlen(b) : 0;
    char *nl = b ? realloc(b, len + 2) : NULL;
    if (!nl) {
        free(b);
        oom_body(out);
        return;
    }
    nl[len] = '\n';
    nl[len + 1] = 0;
    out->body = nl;
    out->body_len = len + 1;
    out->body_free = free;
}
