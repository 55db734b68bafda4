/*
 * json.c - results as JSON (the format of doc/json.md).
 *
 * Keys come out in a fixed order (the order of doc/json.md), so that the
 * output of the same result is byte-for-byte stable.  Reals carry six
 * significant digits.
 *
 * The text is written straight into one growing buffer.  A result of a
 * checked article holds hundreds of values; building them as a jansson
 * tree first (an allocation and a hash insert per value, then the dump,
 * then the frees) cost a server more than a third of its time.  The output
 * is the one jansson's json_dumps gives for the same values and flags
 * (JSON_COMPACT, or JSON_INDENT(2); JSON_REAL_PRECISION(6)): the unit tests
 * hold the two against each other.  Reading JSON is jansson's job.
 */
#include "common/common.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

typedef struct {
    char *buf;
    size_t n, cap;
    int oom;
    int pretty;
    int depth;
    int first;        /* no member written yet in the innermost container */
} jw;

static void jw_put(jw *w, const char *s, size_t n)
{
    if (w->oom)
        return;
    if (w->n + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + n + 1) cap *= 2;
        char *b = realloc(w->buf, cap);
        if (!b) {
            w->oom = 1;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->n, s, n);
    w->n += n;
}

#define JW_LIT(w, lit) jw_put((w), (lit), sizeof(lit) - 1)

static void jw_newline(jw *w, int depth)
{
    static const char spaces[] = "                                ";
    JW_LIT(w, "\n");
    for (int k = 2 * depth; k > 0; k -= 32)
        jw_put(w, spaces, k < 32 ? (size_t)k : 32);
}

/* Before a value or key inside a container: the separator and, when
 * pretty, the line break and indentation. */
static void jw_sep(jw *w)
{
    if (!w->depth)
        return;
    if (!w->first)
        JW_LIT(w, ",");
    if (w->pretty)
        jw_newline(w, w->depth);
    w->first = 0;
}

static void jw_open(jw *w, char c)
{
    jw_put(w, &c, 1);
    w->depth++;
    w->first = 1;
}

static void jw_close(jw *w, char c)
{
    w->depth--;
    if (!w->first && w->pretty)  /* an empty container stays "{}" or "[]" */
        jw_newline(w, w->depth);
    jw_put(w, &c, 1);
    w->first = 0;
}

/* A string, escaped as RFC 8259 asks (and as jansson does: control
 * characters, quote and backslash; everything else as is).  Bytes that are
 * not UTF-8 become U+FFFD, so the output is always valid JSON. */
static void jw_string(jw *w, const char *s)
{
    if (!s) {
        JW_LIT(w, "null");
        return;
    }
    JW_LIT(w, "\"");
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run = p;
    while (*p) {
        const unsigned c = *p;
        const char *esc = NULL;
        char u[8];
        size_t skip = 1;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0x80) {
            /* a well-formed sequence is copied as is */
            skip = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
            if (skip && strnlen((const char *)p, skip) == skip &&
                tsr_utf8_check((const char *)p, skip, NULL) == TSR_OK) {
                p += skip;
                continue;
            }
            esc = "\xEF\xBF\xBD";  /* U+FFFD for one bad byte */
            skip = 1;
        } else if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else {
            snprintf(u, sizeof u, "\\u%04X", c);
            esc = u;
        }
        jw_put(w, (const char *)run, (size_t)(p - run));
        jw_put(w, esc, strlen(esc));
        p += skip;
        run = p;
    }
    jw_put(w, (const char *)run, (size_t)(p - run));
    JW_LIT(w, "\"");
}

static void jw_key(jw *w, const char *k)
{
    jw_sep(w);
    jw_string(w, k);
    if (w->pretty) JW_LIT(w, ": ");
    else JW_LIT(w, ":");
}

static void jw_uint(jw *w, const char *k, uint64_t v)
{
    char b[24];
    jw_key(w, k);
    jw_put(w, b, (size_t)snprintf(b, sizeof b, "%" PRIu64, v));
}

/* "%.6g", with ".0" added to what would read as an integer, and the
 * exponent without '+' or leading zeros: jansson's real format. */
/* A real with `digits` significant digits, always with a '.' or an
 * exponent (so that it reads back as a real), exponents without a '+' or
 * leading zeros ("1e-12"). */
static void jw_realp(jw *w, const char *k, double v, int digits)
{
    char b[40];
    jw_key(w, k);
    if (!isfinite(v))
        v = 0;
    int n = snprintf(b, sizeof b, "%.*g", digits, v);
    char *e = strchr(b, 'e');
    if (!e && !strchr(b, '.')) {
        memcpy(b + n, ".0", 3);
        n += 2;
    } else if (e) {
        char *d = e + 1, *q = e + 1;
        if (*q == '+') q++;
        else if (*q == '-') *d++ = *q++;
        while (*q == '0' && q[1]) q++;
        memmove(d, q, strlen(q) + 1);
        n = (int)strlen(b);
    }
    jw_put(w, b, (size_t)n);
}

static void jw_real(jw *w, const char *k, double v)
{
    jw_realp(w, k, v, 6);
}

static void jw_bool(jw *w, const char *k, int v)
{
    jw_key(w, k);
    if (v) JW_LIT(w, "true");
    else JW_LIT(w, "false");
}

static void jw_str(jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_string(w, v);
}

static void jw_span(jw *w, size_t b, size_t e)
{
    jw_open(w, '{');
    jw_uint(w, "begin", b);
    jw_uint(w, "end", e);
    jw_close(w, '}');
}

char *tsr_result_json(const tsr_result *r, unsigned flags)
{
    jw w = { 0 };
    w.pretty = (flags & TSR_JSON_PRETTY) != 0;
    jw_open(&w, '{');

    jw_key(&w, "passages");
    jw_open(&w, '[');
    for (size_t i = 0; i < r->n_passages; i++) {
        const tsr_passage *p = &r->passages[i];
        const tsr_source *s = p->source < r->n_sources ? &r->sources[p->source] : NULL;
        jw_sep(&w);
        jw_open(&w, '{');
        jw_uint(&w, "begin", p->a_begin);
        jw_uint(&w, "end", p->a_end);
        jw_key(&w, "source");
        jw_open(&w, '{');
        jw_str(&w, "id", s ? s->id : NULL);
        jw_uint(&w, "begin", p->b_begin);
        jw_uint(&w, "end", p->b_end);
        if (s && s->title) jw_str(&w, "title", s->title);
        if (s && s->date) jw_str(&w, "date", s->date);
        if (s && s->series) jw_str(&w, "series", s->series);
        jw_close(&w, '}');
        jw_real(&w, "similarity", p->similarity);
        jw_str(&w, "kind", tsr_kind_name(p->kind));
        jw_realp(&w, "evalue", p->evalue, 3);
        jw_uint(&w, "words", p->a_words);
        jw_uint(&w, "source_words", p->b_words);
        jw_uint(&w, "matches", p->matches);
        jw_bool(&w, "boilerplate", p->boilerplate);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_real(&w, "coverage", r->coverage);
    jw_uint(&w, "bytes", r->text_bytes);
    jw_uint(&w, "words", r->text_words);
    jw_uint(&w, "bytes_reused", r->bytes_reused);

    /* passages per source, counted once */
    size_t *np = calloc(r->n_sources + 1, sizeof *np);
    if (!np)
        w.oom = 1;
    for (size_t k = 0; np && k < r->n_passages; k++)
        if (r->passages[k].source < r->n_sources)
            np[r->passages[k].source]++;
    jw_key(&w, "sources");
    jw_open(&w, '[');
    for (size_t i = 0; np && i < r->n_sources; i++) {
        const tsr_source *s = &r->sources[i];
        jw_sep(&w);
        jw_open(&w, '{');
        jw_str(&w, "id", s->id);
        jw_str(&w, "title", s->title);
        jw_str(&w, "date", s->date);
        jw_str(&w, "series", s->series);
        jw_real(&w, "coverage", s->coverage);
        jw_uint(&w, "bytes_reused", s->bytes_reused);
        jw_uint(&w, "passages", np[i]);
        jw_close(&w, '}');
    }
    free(np);
    jw_close(&w, ']');

    jw_key(&w, "repeats");
    jw_open(&w, '[');
    for (size_t i = 0; i < r->n_repeats; i++) {
        const tsr_repeat *t = &r->repeats[i];
        jw_sep(&w);
        jw_open(&w, '{');
        jw_uint(&w, "begin", t->begin);
        jw_uint(&w, "end", t->end);
        jw_key(&w, "first");
        jw_span(&w, t->first_begin, t->first_end);
        jw_real(&w, "similarity", t->similarity);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');

    jw_key(&w, "boilerplate");
    jw_open(&w, '[');
    for (size_t i = 0; i < r->n_boilerplate; i++) {
        jw_sep(&w);
        jw_span(&w, r->boilerplate[i].begin, r->boilerplate[i].end);
    }
    jw_close(&w, ']');

    jw_close(&w, '}');
    if (w.oom) {
        free(w.buf);
        return NULL;
    }
    w.buf[w.n] = 0;
    return w.buf;
}

int tsr_result_set_source(tsr_result *r, size_t i, const char *id,
                          const char *title, const char *date,
                          const char *series)
{
    if (!r || i >= r->n_sources)
        return TSR_ERR_INVALID;
    tsr_source *s = &r->sources[i];
    int oom = 0;
    char *nid = tsr_strdup_or_null(id, &oom), *nt = tsr_strdup_or_null(title, &oom);
    char *nd = tsr_strdup_or_null(date, &oom), *ns = tsr_strdup_or_null(series, &oom);
    if (oom) {
        free(nid); free(nt); free(nd); free(ns);
        return TSR_ERR_NOMEM;
    }
    free(s->id); free(s->title); free(s->date); free(s->series);
    s->id = nid; s->title = nt; s->date = nd; s->series = ns;
    return TSR_OK;
}
