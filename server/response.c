/*
 * response.c - answers that the HTTP layer and the application both make:
 * http_error's JSON error body (http.h).  Apart from http.c so that a
 * program may drive an http_handler without a server (the fuzz targets of
 * the handlers, tests/fuzz/fuzz_http.c).
 */
#include "http.h"

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
            const size_t k = c >= 0xF8 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
            size_t have = 0;
            while (have < k && s[have]) have++;
            if (k && have == k && utf8_seq_ok((const unsigned char *)s, k)) {
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

void http_error(http_response *out, int status, const char *fmt, ...)
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

