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

#include <jansson.h>

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

/* The document written, NUL-terminated (the caller frees it), or NULL
 * when memory ran out on the way (the buffer is freed). */
static char *jw_finish(jw *w)
{
    if (w->oom) {
        free(w->buf);
        return NULL;
    }
    w->buf[w->n] = 0;
    return w->buf;
}

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

/* A string of `n` bytes, escaped as RFC 8259 asks (and as jansson does:
 * control characters, quote and backslash; everything else as is; a NUL
 * byte is "\u0000").  Bytes that are not UTF-8 become U+FFFD, so the output
 * is always valid JSON. */
static void jw_string_n(jw *w, const char *s, size_t n)
{
    JW_LIT(w, "\"");
    const unsigned char *p = (const unsigned char *)s, *const end = p + n;
    const unsigned char *run = p;
    while (p < end) {
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
            if (skip && (size_t)(end - p) >= skip &&
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

static void jw_string(jw *w, const char *s)
{
    if (!s) {
        JW_LIT(w, "null");
        return;
    }
    jw_string_n(w, s, strlen(s));
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

size_t tsr_utf8_chars(const char *text, size_t len)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < len; i++)
        n += (p[i] & 0xC0) != 0x80;
    return n;
}

/* ------------------------------------------------------------------------
 * Offsets as code points
 *
 * A check's passages are sorted by their begin in the checked text, and a
 * source's spans come in no order; each offset is counted from the last
 * one converted in the same text, forwards or backwards (jw_cursor), so
 * the work is the distance between consecutive offsets: about one walk of
 * a text whose offsets come in order, as the checked text's do.
 * --------------------------------------------------------------------- */

typedef struct {
    const char *text;
    size_t len;
    size_t byte, chr;   /* the last offset converted, in bytes and code points */
} jw_cursor;

static size_t cursor_chars(jw_cursor *c, size_t off)
{
    if (off > c->len)
        off = c->len;   /* checked by the caller: spans lie inside their text */
    if (off >= c->byte)
        c->chr += tsr_utf8_chars(c->text + c->byte, off - c->byte);
    else
        c->chr -= tsr_utf8_chars(c->text + off, c->byte - off);
    c->byte = off;
    return c->chr;
}

/* What one result's writing needs beside the result. */
typedef struct {
    unsigned flags;
    jw_cursor a;            /* the checked text */
    jw_cursor *b;           /* each source's text (text NULL: not given) */
    json_t **fields;        /* each source's fields (NULL: none) */
} jw_ctx;

static void jw_off(jw *w, const char *k, jw_cursor *c, size_t off, unsigned flags)
{
    jw_uint(w, k, (flags & TSR_JSON_CHARS) ? cursor_chars(c, off) : off);
}

static void jw_value(jw *w, const json_t *v);

/* The members of a jansson object, in its order, into the open object. */
static void jw_members(jw *w, const json_t *o)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        jw_key(w, k);
        jw_value(w, v);
    }
}

/* A value read by jansson, written as the rest of the output (an input
 * field echoed as it came). */
static void jw_value(jw *w, const json_t *v)
{
    char b[40];
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        jw_open(w, '{');
        jw_members(w, v);
        jw_close(w, '}');
        break;
    case JSON_ARRAY:
        jw_open(w, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            jw_sep(w);
            jw_value(w, json_array_get(v, i));
        }
        jw_close(w, ']');
        break;
    case JSON_STRING:
        jw_string_n(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        jw_put(w, b, (size_t)snprintf(b, sizeof b, "%" JSON_INTEGER_FORMAT,
                                      json_integer_value(v)));
        break;
    case JSON_REAL: {
        /* as jansson writes it: shortest "%.17g", with ".0" when integral */
        int n = snprintf(b, sizeof b, "%.17g", json_real_value(v));
        if (!strpbrk(b, ".eE") && n + 3 < (int)sizeof b) {
            memcpy(b + n, ".0", 3);
            n += 2;
        }
        jw_put(w, b, (size_t)n);
        break;
    }
    case JSON_TRUE: JW_LIT(w, "true"); break;
    case JSON_FALSE: JW_LIT(w, "false"); break;
    default: JW_LIT(w, "null"); break;
    }
}

static void jw_fields(jw *w, const jw_ctx *c, size_t src)
{
    if (!c->fields || !c->fields[src])
        return;
    jw_key(w, "fields");
    jw_value(w, c->fields[src]);
}

static void jw_text(jw *w, const jw_cursor *c, size_t b, size_t e)
{
    jw_key(w, "text");
    if (c->text && b <= e && e <= c->len)
        jw_string_n(w, c->text + b, e - b);
    else
        JW_LIT(w, "null");
}

static char *result_json(const tsr_result *r, jw_ctx *c)
{
    jw w = { 0 };
    const unsigned fl = c->flags;
    w.pretty = (fl & TSR_JSON_PRETTY) != 0;
    jw_open(&w, '{');

    jw_key(&w, "passages");
    jw_open(&w, '[');
    for (size_t i = 0; i < r->n_passages; i++) {
        const tsr_passage *p = &r->passages[i];
        const tsr_source *s = p->source < r->n_sources ? &r->sources[p->source] : NULL;
        jw_cursor *bc = s && c->b ? &c->b[p->source] : NULL;
        jw_sep(&w);
        jw_open(&w, '{');
        jw_off(&w, "begin", &c->a, p->a_begin, fl);
        jw_off(&w, "end", &c->a, p->a_end, fl);
        jw_key(&w, "source");
        jw_open(&w, '{');
        jw_str(&w, "id", s ? s->id : NULL);
        jw_off(&w, "begin", bc, p->b_begin, bc ? fl : 0);
        jw_off(&w, "end", bc, p->b_end, bc ? fl : 0);
        if (s && s->title) jw_str(&w, "title", s->title);
        if (s && s->date) jw_str(&w, "date", s->date);
        if (s && s->series) jw_str(&w, "series", s->series);
        if (s) jw_fields(&w, c, p->source);
        if (fl & TSR_JSON_TEXT) {
            static const jw_cursor none = { 0 };
            jw_text(&w, bc ? bc : &none, p->b_begin, p->b_end);
        }
        jw_close(&w, '}');
        jw_real(&w, "similarity", p->similarity);
        jw_str(&w, "kind", tsr_kind_name(p->kind));
        jw_realp(&w, "evalue", p->evalue, 3);
        jw_uint(&w, "words", p->a_words);
        jw_uint(&w, "source_words", p->b_words);
        jw_uint(&w, "matches", p->matches);
        jw_bool(&w, "boilerplate", p->boilerplate);
        if (fl & TSR_JSON_TEXT)
            jw_text(&w, &c->a, p->a_begin, p->a_end);
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
        jw_uint(&w, "group", s->group);
        jw_real(&w, "unique_coverage", s->unique_coverage);
        jw_uint(&w, "unique_bytes", s->unique_bytes);
        jw_fields(&w, c, i);
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
        jw_off(&w, "begin", &c->a, t->begin, fl);
        jw_off(&w, "end", &c->a, t->end, fl);
        jw_key(&w, "first");
        jw_open(&w, '{');
        jw_off(&w, "begin", &c->a, t->first_begin, fl);
        jw_off(&w, "end", &c->a, t->first_end, fl);
        jw_close(&w, '}');
        jw_real(&w, "similarity", t->similarity);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');

    jw_key(&w, "boilerplate");
    jw_open(&w, '[');
    for (size_t i = 0; i < r->n_boilerplate; i++) {
        jw_sep(&w);
        jw_open(&w, '{');
        jw_off(&w, "begin", &c->a, r->boilerplate[i].begin, fl);
        jw_off(&w, "end", &c->a, r->boilerplate[i].end, fl);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');

    jw_close(&w, '}');
    return jw_finish(&w);
}

char *tsr_json_string(const char *s, size_t n)
{
    jw w;
    memset(&w, 0, sizeof w);
    jw_string_n(&w, s ? s : "", s ? n : 0);
    return jw_finish(&w);
}

char *tsr_result_json(const tsr_result *r, unsigned flags)
{
    jw_ctx c = { .flags = flags & TSR_JSON_PRETTY };
    return result_json(r, &c);
}

/* Whether every span of `r` lies inside the texts of `o` that the flags
 * need; else the error names the first that does not. */
static int spans_fit(const tsr_result *r, const tsr_json_opts *o, tsr_error *err)
{
    const int need_b = (o->flags & (TSR_JSON_TEXT | TSR_JSON_CHARS)) != 0;
    const size_t alen = o->text_len;
    if (!o->text)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_result_json_ex: the flags need the "
                          "checked text, and opts.text is NULL");
    for (size_t i = 0; i < r->n_passages; i++) {
        const tsr_passage *p = &r->passages[i];
        if (p->a_begin > p->a_end || p->a_end > alen)
            return tsr_seterr(err, TSR_ERR_INVALID, "tsr_result_json_ex: passage %zu "
                              "[%zu, %zu) is outside the checked text of %zu bytes", i,
                              p->a_begin, p->a_end, alen);
        if (!need_b || p->source >= r->n_sources)
            continue;
        if (!o->source_texts || !o->source_lens || !o->source_texts[p->source])
            return tsr_seterr(err, TSR_ERR_INVALID, "tsr_result_json_ex: no text given "
                              "for source %zu ('%s')", p->source,
                              r->sources[p->source].id ? r->sources[p->source].id : "");
        const size_t bl = o->source_lens[p->source];
        if (p->b_begin > p->b_end || p->b_end > bl)
            return tsr_seterr(err, TSR_ERR_INVALID, "tsr_result_json_ex: passage %zu "
                              "[%zu, %zu) is outside the text of source %zu (%zu bytes)",
                              i, p->b_begin, p->b_end, p->source, bl);
    }
    for (size_t i = 0; i < r->n_repeats; i++) {
        const tsr_repeat *t = &r->repeats[i];
        if (t->end > alen || t->first_end > alen || t->begin > t->end ||
            t->first_begin > t->first_end)
            return tsr_seterr(err, TSR_ERR_INVALID, "tsr_result_json_ex: repeat %zu is "
                              "outside the checked text of %zu bytes", i, alen);
    }
    for (size_t i = 0; i < r->n_boilerplate; i++)
        if (r->boilerplate[i].begin > r->boilerplate[i].end || r->boilerplate[i].end > alen)
            return tsr_seterr(err, TSR_ERR_INVALID, "tsr_result_json_ex: boilerplate %zu "
                              "is outside the checked text of %zu bytes", i, alen);
    return TSR_OK;
}

int tsr_result_json_ex(const tsr_result *r, const tsr_json_opts *o, char **out,
                       tsr_error *err)
{
    if (!out)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_result_json_ex: NULL argument");
    *out = NULL;
    if (!r || !o)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_result_json_ex: NULL argument");
    if ((o->flags & (TSR_JSON_TEXT | TSR_JSON_CHARS)) && spans_fit(r, o, err) != TSR_OK)
        return TSR_ERR_INVALID;
    jw_ctx c = { .flags = o->flags };
    c.a.text = o->text;
    c.a.len = o->text_len;
    int rc = TSR_OK;
    if (r->n_sources && o->source_texts && o->source_lens) {
        c.b = calloc(r->n_sources, sizeof *c.b);
        if (!c.b)
            return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < r->n_sources; i++) {
            c.b[i].text = o->source_texts[i];
            c.b[i].len = o->source_texts[i] ? o->source_lens[i] : 0;
        }
    }
    if (r->n_sources && o->source_fields) {
        c.fields = calloc(r->n_sources, sizeof *c.fields);
        if (!c.fields)
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        for (size_t i = 0; rc == TSR_OK && i < r->n_sources; i++) {
            if (!o->source_fields[i])
                continue;
            json_error_t je;
            c.fields[i] = json_loads(o->source_fields[i], JSON_REJECT_DUPLICATES, &je);
            if (!json_is_object(c.fields[i]))
                rc = tsr_seterr(err, TSR_ERR_INVALID, "tsr_result_json_ex: the fields of "
                                "source %zu are not a JSON object%s%s", i,
                                c.fields[i] ? "" : ": ", c.fields[i] ? "" : je.text);
        }
    }
    if (rc == TSR_OK && !(*out = result_json(r, &c)))
        rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; c.fields && i < r->n_sources; i++)
        json_decref(c.fields[i]);
    free(c.fields);
    free(c.b);
    return rc;
}

int tsr_document_fields(const tsr_document *d, const char *spec, char **out,
                        tsr_error *err)
{
    if (out)
        *out = NULL;
    if (!d || !spec || !out)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_document_fields: NULL argument");
    const size_t sl = strlen(spec);
    if (!sl || spec[0] == ',' || spec[sl - 1] == ',' || strstr(spec, ",,"))
        return tsr_seterr(err, TSR_ERR_INVALID, "fields: expected names separated by "
                          "commas, or all, not '%s'", spec);
    json_t *meta = d->meta_json ? json_loads(d->meta_json, 0, NULL) : NULL;
    if (meta && !json_is_object(meta)) {
        json_decref(meta);
        meta = NULL;
    }
    json_t *o = NULL;
    if (!strcmp(spec, "all")) {
        o = meta ? json_incref(meta) : json_object();
    } else {
        o = json_object();
        for (const char *p = spec; o && *p;) {
            const size_t n = strcspn(p, ",");
            char *k = malloc(n + 1);
            if (!k) {
                json_decref(o);
                o = NULL;
                break;
            }
            memcpy(k, p, n);
            k[n] = 0;
            const char *own = !strcmp(k, "id") ? d->id : !strcmp(k, "title") ? d->title
                            : !strcmp(k, "date") ? d->date : !strcmp(k, "series") ? d->series
                            : NULL;
            const int is_own = !strcmp(k, "id") || !strcmp(k, "title") ||
                               !strcmp(k, "date") || !strcmp(k, "series");
            json_t *v = is_own ? (own ? json_string(own) : NULL)
                               : json_incref(meta ? json_object_get(meta, k) : NULL);
            if (json_object_set_new(o, k, v ? v : json_null()) != 0) {
                json_decref(o);
                o = NULL;
            }
            free(k);
            p += n;
            if (*p == ',') p++;
        }
    }
    json_decref(meta);
    *out = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return *out ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
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
