/*
 * discover_out.c - the outputs of `tessera discover`: passage pairs and
 * families as JSON Lines, an SQLite database, and an HTML report (an
 * index page plus one page per large family).
 *
 * A tsr_discovery names documents by number only.  The writers share a
 * cache of each mentioned document's id, title, date and series
 * (dsc_docs), fetched once per document in docno order, so that writing
 * millions of links costs one catalog lookup per document, not per link.
 *
 * Every file is written whole or not at all (cli_atomic, atomic.c): an
 * interrupt or a kill never leaves a partial file under a final name.
 *
 * The HTML report is deterministic (same discovery, same bytes) and
 * self-contained: inline CSS and SVG, no script, no external resources.
 * Texts are fetched per family page and escaped on output; malformed
 * UTF-8, control characters and bidirectional controls become U+FFFD.
 * Words of one side of a pair that the other side lacks are marked (a
 * bag-of-words difference: cheap for long spans, unlike an LCS, and it
 * shows exactly the substitutions and insertions a reader looks for).
 * Escaping, excerpts and the page frame are shared with the check report
 * (html.c); the pages' layout is here.
 */
#include "discover_out.h"
#include "cli.h"
#include "atomic.h"
#include "report.h"
#include "html.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------
 * Document cache
 * --------------------------------------------------------------------- */

static int i64_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int dsc_docs_load(dsc_docs *c, tsr_index *ix, const tsr_discovery *d,
                  dsc_tick_fn tick, void *ud, tsr_error *err)
{
    return dsc_docs_load_ex(c, ix, d, 0, 0, NULL, tick, ud, err);
}

/* The code points before every DSC_CKPT-th byte of `e`'s text. */
static int make_ckpt(dsc_doc *e)
{
    const size_t n = e->text_len / DSC_CKPT + 1;
    e->ckpt = malloc(n * sizeof *e->ckpt);
    if (!e->ckpt)
        return -1;
    e->ckpt[0] = 0;
    for (size_t k = 1; k < n; k++)
        e->ckpt[k] = e->ckpt[k - 1] +
                     tsr_utf8_chars(e->text + (k - 1) * DSC_CKPT, DSC_CKPT);
    return 0;
}

long long dsc_offset(const dsc_docs *docs, const dsc_doc *dd, uint32_t off)
{
    return docs->chars ? dsc_chars(dd, off) : off;
}

long long dsc_chars(const dsc_doc *dd, uint32_t off)
{
    if (!dd || !dd->text || !dd->ckpt || off > dd->text_len)
        return -1;
    const size_t k = off / DSC_CKPT;
    return (long long)(dd->ckpt[k] + tsr_utf8_chars(dd->text + k * DSC_CKPT,
                                                    off - k * DSC_CKPT));
}

/* The fields of document `docno` as the discovery read them (d->docs, by
 * number), or NULL. */
static const tsr_document *known_doc(const tsr_discovery *d, int64_t docno)
{
    size_t lo = 0, hi = d->n_docs;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (d->docs[mid].docno < docno) lo = mid + 1; else hi = mid;
    }
    return lo < d->n_docs && d->docs[lo].docno == docno ? &d->docs[lo] : NULL;
}

/* The parts of a span that are the document's own, as JSON (json_span):
 * e->js_id and e->js_meta, made once for all its spans; left NULL when out
 * of memory (the span is then written piece by piece). */
static void make_js(dsc_doc *e)
{
    const char *src[4] = { e->id, e->title, e->date, e->series };
    char *q[4] = { NULL, NULL, NULL, NULL };
    int ok = 1;
    size_t len = 64;
    for (int k = 0; k < 4; k++) {
        if (src[k] && !(q[k] = tsr_json_string(src[k], strlen(src[k]))))
            ok = 0;
        len += q[k] ? strlen(q[k]) : 4;
    }
    if (ok && (e->js_id = malloc(len)))
        snprintf(e->js_id, len, "\"id\":%s", q[0] ? q[0] : "null");
    if (ok && (e->js_meta = malloc(len)))
        snprintf(e->js_meta, len, ",\"title\":%s,\"date\":%s,\"series\":%s",
                 q[1] ? q[1] : "null", q[2] ? q[2] : "null", q[3] ? q[3] : "null");
    for (int k = 0; k < 4; k++)
        tsr_free(q[k]);
}

/* c->v[c->n..] := the documents nos[0, k): their fields as the discovery
 * had them, else (with their texts, or with --fields) a get each; TSR_OK,
 * an error of the index, or -1 when out of memory. */
static int load_each(dsc_docs *c, tsr_index *ix, const tsr_discovery *d, const int64_t *nos,
                     size_t k, int text, int chars, const char *fields, dsc_tick_fn tick,
                     void *ud, tsr_error *err)
{
    for (size_t i = 0; i < k; i++) {
        dsc_doc *e = &c->v[c->n++];
        /* the discovery's have no text, nor the meta that fields come from */
        const tsr_document *known = text || chars || fields ? NULL : known_doc(d, nos[i]);
        tsr_document *got = NULL;
        int st = known ? TSR_OK
               : text || chars ? tsr_index_get_docno(ix, nos[i], &got, err)
                               : tsr_index_get_info(ix, nos[i], &got, err);
        const tsr_document *doc = known ? known : got;

        e->docno = nos[i];
        if (st == TSR_ERR_NOTFOUND)
            continue;
        if (st != TSR_OK)
            return st;
        e->id = dup_or_null(doc->id);
        e->title = dup_or_null(doc->title);
        e->date = dup_or_null(doc->date);
        e->series = dup_or_null(doc->series);
        e->text_len = doc->text_len;
        if ((doc->id && !e->id) || (doc->title && !e->title) ||
            (doc->date && !e->date) || (doc->series && !e->series) ||
            (fields && tsr_document_fields(doc, fields, &e->fields, NULL) != TSR_OK)) {
            tsr_document_free(got);
            return -1;
        }
        make_js(e);
        if (got && (text || chars)) {    /* the text is kept: taken from the document */
            e->text = got->text;
            got->text = NULL;
            if (chars && e->text && make_ckpt(e) != 0) {
                tsr_document_free(got);
                return -1;
            }
        }
        tsr_document_free(got);
        if (tick && (i % 1024 == 1023 || i + 1 == k))
            tick(ud, i + 1, k);
    }
    return TSR_OK;
}

int dsc_docs_load_ex(dsc_docs *c, tsr_index *ix, const tsr_discovery *d, int text,
                     int chars, const char *fields, dsc_tick_fn tick, void *ud,
                     tsr_error *err)
{
    size_t cap = 2 * d->n_links + d->n_members, n = 0, k = 0;
    int64_t *nos = malloc((cap ? cap : 1) * sizeof *nos);
    int st = -1;

    c->n = 0;
    c->v = NULL;
    c->text = text;
    c->chars = chars;
    c->fields = fields != NULL;
    if (!nos)
        goto done;
    for (size_t i = 0; i < d->n_links; i++) {
        nos[n++] = d->links[i].a_doc;
        nos[n++] = d->links[i].b_doc;
    }
    for (size_t i = 0; i < d->n_members; i++)
        nos[n++] = d->members[i].docno;
    qsort(nos, n, sizeof *nos, i64_cmp);
    for (size_t i = 0; i < n; i++)
        if (k == 0 || nos[k - 1] != nos[i])
            nos[k++] = nos[i];
    c->v = calloc(k ? k : 1, sizeof *c->v);
    if (!c->v)
        goto done;
    /* in one snapshot: a read transaction for each document took 40 us */
    if ((st = tsr_index_read_begin(ix, err)) != TSR_OK)
        goto done;
    st = load_each(c, ix, d, nos, k, text, chars, fields, tick, ud, err);
    tsr_index_read_end(ix);
done:
    free(nos);
    if (st == -1) {
        st = TSR_ERR_NOMEM;
        if (err) {
            err->code = TSR_ERR_NOMEM;
            snprintf(err->message, sizeof err->message, "out of memory");
        }
    }
    return st;
}

const dsc_doc *dsc_docs_find(const dsc_docs *c, int64_t docno)
{
    size_t lo = 0, hi = c->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->v[mid].docno < docno) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->n && c->v[lo].docno == docno ? &c->v[lo] : NULL;
}

void dsc_docs_free(dsc_docs *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].id);
        free(c->v[i].title);
        free(c->v[i].date);
        free(c->v[i].series);
        free(c->v[i].text);
        free(c->v[i].ckpt);
        tsr_free(c->v[i].fields);
        free(c->v[i].js_id);
        free(c->v[i].js_meta);
    }
    free(c->v);
    c->v = NULL;
    c->n = 0;
}

/* ------------------------------------------------------------------------
 * JSON Lines
 * --------------------------------------------------------------------- */

static void json_str_or_null(FILE *f, const char *s)
{
    if (s)
        cli_json_string(f, s);
    else
        fputs("null", f);
}

/* v in decimal, at the end of b (24 bytes); returns where it starts. */
static const char *dec_str(unsigned long long v, char *b)
{
    char *p = b + 23;
    *p = 0;
    do *--p = (char)('0' + v % 10); while (v /= 10);
    return p;
}

/* An offset as written (dsc_offset): a number, or null when unknown. */
static void json_off(FILE *f, const dsc_docs *docs, const dsc_doc *dd, uint32_t off)
{
    const long long v = dsc_offset(docs, dd, off);
    char num[24];
    fputs(v < 0 ? "null" : dec_str((unsigned long long)v, num), f);
}

/* A span's text (--text): a JSON string, or null when unknown. */
static void json_text(FILE *f, const dsc_doc *dd, uint32_t begin, uint32_t end)
{
    if (!dd || !dd->text || begin > end || end > dd->text_len) {
        fputs("null", f);
        return;
    }
    cli_json_string_n(f, dd->text + begin, end - begin);
}

/* ,"fields": {...} and ,"text": "..." as the options ask */
static void json_extras(FILE *f, const dsc_docs *docs, const dsc_doc *dd, uint32_t begin,
                        uint32_t end)
{
    if (docs->fields) {
        fputs(",\"fields\":", f);
        fputs(dd && dd->fields ? dd->fields : "null", f);
    }
    if (docs->text) {
        fputs(",\"text\":", f);
        json_text(f, dd, begin, end);
    }
}

/* ,"title": ..., "date": ..., "series": ... of a document (null when unknown) */
static void json_meta(FILE *f, const dsc_doc *dd)
{
    fputs(",\"title\":", f);
    json_str_or_null(f, dd ? dd->title : NULL);
    fputs(",\"date\":", f);
    json_str_or_null(f, dd ? dd->date : NULL);
    fputs(",\"series\":", f);
    json_str_or_null(f, dd ? dd->series : NULL);
}

/* "id": ..., "begin": B, "end": E, "title": ..., "date": ..., "series": ...,
 * "docno": N, then "fields" and "text" when asked for (without braces).
 * The document's own part is written as dsc_docs_load made it once
 * (js_id, js_meta), and the numbers without printf: 40,000 pairs took
 * 70 ms of CPU to write (BENCHMARKS.md, "Discovery at small sizes: fewer
 * fresh pages and syncs"). */
static void json_span(FILE *f, const dsc_docs *docs, int64_t docno,
                      uint32_t begin, uint32_t end)
{
    const dsc_doc *dd = dsc_docs_find(docs, docno);
    char num[24];

    if (dd && dd->js_id) {
        fputs(dd->js_id, f);
    } else {
        fputs("\"id\":", f);
        json_str_or_null(f, dd ? dd->id : NULL);
    }
    fputs(",\"begin\":", f);
    json_off(f, docs, dd, begin);
    fputs(",\"end\":", f);
    json_off(f, docs, dd, end);
    if (dd && dd->js_meta)
        fputs(dd->js_meta, f);
    else
        json_meta(f, dd);
    fputs(",\"docno\":", f);
    fputs(dec_str((unsigned long long)docno, num), f);
    json_extras(f, docs, dd, begin, end);
}

/* An E-value as JSON: three significant digits, always a real ("1e-12",
 * "0.5", "3.0"), as the library's JSON writes it. */
static const char *evalue_str(float e, char *b, size_t n)
{
    double v = isfinite(e) ? (double)e : 0.0;
    int k = snprintf(b, n, "%.3g", v);
    char *x = strchr(b, 'e');
    if (x) {
        char *d = x + 1, *q = x + 1;
        if (*q == '+') q++;
        else if (*q == '-') *d++ = *q++;
        while (*q == '0' && q[1]) q++;
        memmove(d, q, strlen(q) + 1);
    } else if (!strchr(b, '.') && k > 0 && (size_t)k + 2 < n) {
        memcpy(b + k, ".0", 3);
    }
    return b;
}

int dsc_write_links(FILE *f, const tsr_discovery *d, const dsc_docs *docs)
{
    char eb[32];
    for (size_t i = 0; i < d->n_links; i++) {
        const tsr_link *l = &d->links[i];

        char num[24];
        fputs("{\"family\":", f);
        fputs(dec_str(l->family, num), f);
        fputs(",\"a\":{", f);
        json_span(f, docs, l->a_doc, l->a_begin, l->a_end);
        fputs("},\"b\":{", f);
        json_span(f, docs, l->b_doc, l->b_begin, l->b_end);
        fprintf(f, "},\"similarity\":%.6g,\"kind\":\"%s\",\"evalue\":%s,\"words\":[%u,%u],"
                "\"matches\":%u}\n", (double)l->similarity, tsr_kind_name((int)l->kind),
                evalue_str(l->evalue, eb, sizeof eb), l->a_words, l->b_words, l->matches);
        if (ferror(f))
            return -1;
    }
    return fflush(f) != 0 || ferror(f) ? -1 : 0;
}

/* The member of family `fm` in the origin document (its first span). */
static const tsr_member *origin_member(const tsr_discovery *d, const tsr_family *fm)
{
    for (size_t k = fm->first; k < fm->first + fm->n && k < d->n_members; k++)
        if (d->members[k].docno == fm->origin)
            return &d->members[k];
    return NULL;
}

static double share(size_t part, size_t whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

int dsc_write_families(FILE *f, const tsr_discovery *d, const dsc_docs *docs)
{
    for (size_t i = 0; i < d->n_families; i++) {
        const tsr_family *fm = &d->families[i];
        const tsr_member *om = origin_member(d, fm);
        const dsc_doc *od = dsc_docs_find(docs, fm->origin);

        fprintf(f, "{\"family\":%zu,\"size\":%zu,\"links\":%zu,\"origin\":{\"id\":",
                i, fm->n, fm->links);
        json_str_or_null(f, od ? od->id : NULL);
        fputs(",\"date\":", f);
        json_str_or_null(f, od ? od->date : NULL);
        if (om) {
            fputs(",\"begin\":", f);
            json_off(f, docs, od, om->begin);
            fputs(",\"end\":", f);
            json_off(f, docs, od, om->end);
        } else
            fputs(",\"begin\":null,\"end\":null", f);
        fprintf(f, ",\"docno\":%lld},\"origin_by\":\"%s\",\"same_series_share\":%.6g,"
                "\"members\":[", (long long)fm->origin,
                fm->origin_dated ? "date" : "docno", share(fm->same_series, fm->links));
        for (size_t k = fm->first; k < fm->first + fm->n && k < d->n_members; k++) {
            const tsr_member *m = &d->members[k];
            const dsc_doc *dd = dsc_docs_find(docs, m->docno);

            fputs(k > fm->first ? ",{\"id\":" : "{\"id\":", f);
            json_str_or_null(f, dd ? dd->id : NULL);
            json_meta(f, dd);
            fputs(",\"begin\":", f);
            json_off(f, docs, dd, m->begin);
            fputs(",\"end\":", f);
            json_off(f, docs, dd, m->end);
            fprintf(f, ",\"docno\":%lld", (long long)m->docno);
            json_extras(f, docs, dd, m->begin, m->end);
            fputc('}', f);
        }
        fputs("]}\n", f);
        if (ferror(f))
            return -1;
    }
    return fflush(f) != 0 || ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * passim's clusters output (--format passim)
 * --------------------------------------------------------------------- */

/* The keys a passim record has of its own: an input field of one of these
 * names is not echoed (the record's own value stands). */
static int passim_own_key(const char *k)
{
    static const char *const own[] = { "uid", "cluster", "size", "pboiler", "id",
                                       "begin", "end", "title", "date", "series",
                                       "text" };
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (!strcmp(k, own[i]))
            return 1;
    return 0;
}

/* ,"key":value for each member of the JSON object `fields` that is not one
 * of passim_own_key, in its order.  Returns 0, or -1 when out of memory. */
static int passim_fields(FILE *f, const char *fields)
{
    json_error_t je;
    json_t *o = fields ? json_loads(fields, 0, &je) : NULL;
    const char *k;
    json_t *v;
    int rc = 0;

    if (!json_is_object(o)) {
        json_decref(o);
        return 0;       /* no fields: nothing to echo */
    }
    json_object_foreach(o, k, v) {
        char *js;
        if (passim_own_key(k))
            continue;
        js = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        if (!js) {
            rc = -1;
            break;
        }
        fputc(',', f);
        cli_json_string(f, k);
        fputc(':', f);
        fputs(js, f);
        free(js);
    }
    json_decref(o);
    return rc;
}

int dsc_write_passim(FILE *f, const tsr_discovery *d, const dsc_docs *docs)
{
    for (size_t i = 0; i < d->n_families; i++) {
        const tsr_family *fm = &d->families[i];
        const double pboiler = share(fm->same_series, fm->links);

        for (size_t k = fm->first; k < fm->first + fm->n && k < d->n_members; k++) {
            const tsr_member *m = &d->members[k];
            const dsc_doc *dd = dsc_docs_find(docs, m->docno);
            const long long b = dsc_chars(dd, m->begin), e = dsc_chars(dd, m->end);

            fprintf(f, "{\"uid\":%lld,\"cluster\":%zu,\"size\":%zu,\"pboiler\":%.6g,"
                    "\"id\":", (long long)m->docno, i, fm->n, pboiler);
            json_str_or_null(f, dd ? dd->id : NULL);
            if (b < 0 || e < 0)
                fputs(",\"begin\":null,\"end\":null", f);
            else
                fprintf(f, ",\"begin\":%lld,\"end\":%lld", b, e);
            /* absent, not null, when unknown: as passim (Spark) writes them */
            if (dd && dd->title) { fputs(",\"title\":", f); cli_json_string(f, dd->title); }
            if (dd && dd->date) { fputs(",\"date\":", f); cli_json_string(f, dd->date); }
            if (dd && dd->series) { fputs(",\"series\":", f); cli_json_string(f, dd->series); }
            if (dd && passim_fields(f, dd->fields) != 0) {
                errno = ENOMEM;
                return -1;
            }
            fputs(",\"text\":", f);
            json_text(f, dd, m->begin, m->end);
            fputs("}\n", f);
            if (ferror(f))
                return -1;
        }
    }
    return fflush(f) != 0 || ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * SQLite
 * --------------------------------------------------------------------- */

static const char sql_schema[] =
    "CREATE TABLE documents(docno INTEGER PRIMARY KEY, id TEXT, title TEXT,"
    " date TEXT, series TEXT, fields TEXT);\n"
    "CREATE TABLE passages(family INTEGER NOT NULL, a_docno INTEGER NOT NULL,"
    " a_begin INTEGER, a_end INTEGER, b_docno INTEGER NOT NULL, b_begin INTEGER,"
    " b_end INTEGER, similarity REAL, a_words INTEGER, b_words INTEGER,"
    " matches INTEGER, evalue REAL, kind TEXT, a_text TEXT, b_text TEXT);\n"
    "CREATE TABLE families(family INTEGER PRIMARY KEY, size INTEGER, links INTEGER,"
    " origin_docno INTEGER, same_series_share REAL, origin_by TEXT);\n"
    "CREATE TABLE members(family INTEGER NOT NULL, docno INTEGER NOT NULL,"
    " \"begin\" INTEGER, \"end\" INTEGER);\n"
    "CREATE TABLE summary(key TEXT PRIMARY KEY, value);\n";

static const char sql_indexes[] =
    "CREATE INDEX documents_id ON documents(id);\n"
    "CREATE INDEX documents_date ON documents(date);\n"
    "CREATE INDEX documents_series ON documents(series);\n"
    "CREATE INDEX passages_family ON passages(family);\n"
    "CREATE INDEX passages_a ON passages(a_docno);\n"
    "CREATE INDEX passages_b ON passages(b_docno);\n"
    "CREATE INDEX families_origin ON families(origin_docno);\n"
    "CREATE INDEX members_family ON members(family);\n"
    "CREATE INDEX members_docno ON members(docno);\n";

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
    if (t)
        sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

/* An offset as written (dsc_offset), NULL when unknown. */
static void bind_offset(sqlite3_stmt *s, int i, const dsc_docs *docs, const dsc_doc *dd,
                        uint32_t off)
{
    const long long v = dsc_offset(docs, dd, off);
    if (v < 0)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int64(s, i, v);
}

/* A span's text (--text), NULL when unknown. */
static void bind_span_text(sqlite3_stmt *s, int i, const dsc_doc *dd, uint32_t begin,
                           uint32_t end)
{
    if (dd && dd->text && begin <= end && end <= dd->text_len)
        sqlite3_bind_text(s, i, dd->text + begin, (int)(end - begin), SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

/* Step a bound insert and reset it; SQLITE_DONE on success. */
static int step_reset(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int dsc_write_sqlite(const char *path, const tsr_discovery *d,
                     const dsc_docs *docs, const dsc_param *params, size_t n_params,
                     char *msg, size_t msglen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s[5] = { 0 };
    static const char *const ins[5] = {
        "INSERT INTO documents VALUES(?1,?2,?3,?4,?5,?6)",
        "INSERT INTO passages VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
        "INSERT INTO families VALUES(?1,?2,?3,?4,?5,?6)",
        "INSERT INTO members VALUES(?1,?2,?3,?4)",
        "INSERT INTO summary VALUES(?1,?2)",
    };
    const char *what = "opening";
    int rc = SQLITE_OK;

    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    what = "creating the tables";
    rc = sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                      " BEGIN;", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql_schema, NULL, NULL, NULL);
    for (int i = 0; i < 5 && rc == SQLITE_OK; i++)
        rc = sqlite3_prepare_v2(db, ins[i], -1, &s[i], NULL);
    if (rc != SQLITE_OK)
        goto fail;

    what = "writing documents";
    for (size_t i = 0; i < docs->n; i++) {
        const dsc_doc *e = &docs->v[i];
        sqlite3_bind_int64(s[0], 1, e->docno);
        bind_text_or_null(s[0], 2, e->id);
        bind_text_or_null(s[0], 3, e->title);
        bind_text_or_null(s[0], 4, e->date);
        bind_text_or_null(s[0], 5, e->series);
        bind_text_or_null(s[0], 6, docs->fields ? e->fields : NULL);
        if ((rc = step_reset(s[0])) != SQLITE_DONE)
            goto fail;
    }
    what = "writing passages";
    for (size_t i = 0; i < d->n_links; i++) {
        const tsr_link *l = &d->links[i];
        const dsc_doc *da = dsc_docs_find(docs, l->a_doc), *db_ = dsc_docs_find(docs, l->b_doc);
        sqlite3_bind_int64(s[1], 1, l->family);
        sqlite3_bind_int64(s[1], 2, l->a_doc);
        bind_offset(s[1], 3, docs, da, l->a_begin);
        bind_offset(s[1], 4, docs, da, l->a_end);
        sqlite3_bind_int64(s[1], 5, l->b_doc);
        bind_offset(s[1], 6, docs, db_, l->b_begin);
        bind_offset(s[1], 7, docs, db_, l->b_end);
        sqlite3_bind_double(s[1], 8, (double)l->similarity);
        sqlite3_bind_int64(s[1], 9, l->a_words);
        sqlite3_bind_int64(s[1], 10, l->b_words);
        sqlite3_bind_int64(s[1], 11, l->matches);
        sqlite3_bind_double(s[1], 12, (double)l->evalue);
        sqlite3_bind_text(s[1], 13, tsr_kind_name((int)l->kind), -1, SQLITE_STATIC);
        if (docs->text) {
            bind_span_text(s[1], 14, da, l->a_begin, l->a_end);
            bind_span_text(s[1], 15, db_, l->b_begin, l->b_end);
        }
        if ((rc = step_reset(s[1])) != SQLITE_DONE)
            goto fail;
    }
    what = "writing families";
    for (size_t i = 0; i < d->n_families; i++) {
        const tsr_family *fm = &d->families[i];
        sqlite3_bind_int64(s[2], 1, (sqlite3_int64)i);
        sqlite3_bind_int64(s[2], 2, (sqlite3_int64)fm->n);
        sqlite3_bind_int64(s[2], 3, (sqlite3_int64)fm->links);
        sqlite3_bind_int64(s[2], 4, fm->origin);
        sqlite3_bind_double(s[2], 5, share(fm->same_series, fm->links));
        sqlite3_bind_text(s[2], 6, fm->origin_dated ? "date" : "docno", -1, SQLITE_STATIC);
        if ((rc = step_reset(s[2])) != SQLITE_DONE)
            goto fail;
        for (size_t k = fm->first; k < fm->first + fm->n && k < d->n_members; k++) {
            const dsc_doc *dm = dsc_docs_find(docs, d->members[k].docno);
            sqlite3_bind_int64(s[3], 1, (sqlite3_int64)i);
            sqlite3_bind_int64(s[3], 2, d->members[k].docno);
            bind_offset(s[3], 3, docs, dm, d->members[k].begin);
            bind_offset(s[3], 4, docs, dm, d->members[k].end);
            if ((rc = step_reset(s[3])) != SQLITE_DONE)
                goto fail;
        }
    }
    what = "writing the summary";
    {
        const struct { const char *k; uint64_t v; } sum[] = {
            { "documents", d->documents }, { "fingerprints", d->fingerprints },
            { "skipped_fingerprints", d->skipped },
            { "candidate_pairs", d->candidate_pairs },
            { "passages", d->n_links }, { "families", d->n_families },
            { "members", d->n_members },
        };
        for (size_t i = 0; i < sizeof sum / sizeof sum[0]; i++) {
            sqlite3_bind_text(s[4], 1, sum[i].k, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s[4], 2, (sqlite3_int64)sum[i].v);
            if ((rc = step_reset(s[4])) != SQLITE_DONE)
                goto fail;
        }
        sqlite3_bind_text(s[4], 1, "tessera_version", -1, SQLITE_STATIC);
        sqlite3_bind_text(s[4], 2, tsr_version_string(), -1, SQLITE_STATIC);
        if ((rc = step_reset(s[4])) != SQLITE_DONE)
            goto fail;
        for (size_t i = 0; i < n_params; i++) {
            const dsc_param *pm = &params[i];
            sqlite3_bind_text(s[4], 1, pm->key, -1, SQLITE_STATIC);
            if (pm->type == 'i') sqlite3_bind_int64(s[4], 2, pm->i);
            else if (pm->type == 'r') sqlite3_bind_double(s[4], 2, pm->r);
            else bind_text_or_null(s[4], 2, pm->s);
            if ((rc = step_reset(s[4])) != SQLITE_DONE)
                goto fail;
        }
    }
    what = "creating the indexes";
    rc = sqlite3_exec(db, sql_indexes, NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        what = "committing";
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK)
        goto fail;
    for (int i = 0; i < 5; i++)
        sqlite3_finalize(s[i]);
    rc = sqlite3_close(db);
    if (rc != SQLITE_OK) {
        if (msg) snprintf(msg, msglen, "closing: %s", sqlite3_errstr(rc));
        return -1;
    }
    return 0;
fail:
    if (msg)
        snprintf(msg, msglen, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    for (int i = 0; i < 5; i++)
        sqlite3_finalize(s[i]);
    sqlite3_close(db);
    return -1;
}

/* ------------------------------------------------------------------------
 * HTML: excerpts and names
 * --------------------------------------------------------------------- */

#define PAGE_LINKS 200          /* passage pairs shown on a family page */
#define PAGE_MEMBERS 1000       /* members listed on a family page */

/* Each side of a pair: 140 bytes of context starting and ending at a word
 * (none where there is no space); passages over 2400 bytes cut to their
 * first 1500 and last 600.  Bidirectional controls become U+FFFD here,
 * in text as in attributes (flags 0 in every html_esc call). */
static const html_excerpt excerpt = {
    .context = 140, .long_span = 2400, .head = 1500, .tail = 600, .tint = 45,
    .flags = 0,
};

/* A document's name for display: its id, else "#docno". */
static void doc_name(FILE *f, const dsc_doc *dd, int64_t docno)
{
    if (dd && dd->id)
        html_esc_str(f, dd->id, 0);
    else
        fprintf(f, "#%lld", (long long)docno);
}

/* ------------------------------------------------------------------------
 * HTML: page frame
 * --------------------------------------------------------------------- */

/* The style sheet: css, the excerpt rules, css_end. */
static const char css[] =
":root{color-scheme:light;--ink:#1d2330;--muted:#6b7280;--line:#e5e7eb;"
"--bg:#f6f7f9;--card:#fff;--c:#2f6fdf;--t:#c1d4f5;--o:#b42318;"
"--diff:#ffe08a}\n"
"*{box-sizing:border-box}\n"
"html{-webkit-text-size-adjust:100%}\n"
"body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 "
"system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\n"
"a{color:var(--c)}\n"
".wrap{max-width:1240px;margin:0 auto;padding:28px 24px 64px}\n"
"header.top{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 16px;"
"border-bottom:1px solid var(--line);padding-bottom:14px;margin-bottom:20px}\n"
"header.top h1{font-size:22px;margin:0;font-weight:650;letter-spacing:-.01em}\n"
"header.top .name{font-size:14px;color:var(--muted)}\n"
"header.top .brand{margin-left:auto;font-size:12px;color:var(--muted)}\n"
"h2{font-size:13px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);"
"margin:0 0 12px;font-weight:650}\n"
".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));"
"gap:12px;margin-bottom:22px}\n"
".card{background:var(--card);border:1px solid var(--line);border-radius:10px;"
"padding:12px 16px}\n"
".card .v{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums;"
"line-height:1.2;overflow-wrap:anywhere}\n"
".card .k{font-size:12px;color:var(--muted)}\n"
".card.main .v{color:var(--o)}\n"
".charts{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-bottom:22px}\n"
".panel{background:var(--card);border:1px solid var(--line);border-radius:10px;"
"padding:18px 20px}\n"
".panel svg{display:block;width:100%;height:auto}\n"
".chart text{font:11px system-ui,sans-serif;fill:var(--muted)}\n"
".chart text.v{fill:var(--ink);font-weight:600}\n"
".chart .g{stroke:var(--line);stroke-width:1}\n"
".chart .b{fill:var(--c)}\n"
".chart .bo{fill:var(--o)}\n"
".note{font-size:12.5px;color:var(--muted);margin-top:8px}\n"
".sw{display:inline-block;width:10px;height:10px;border-radius:3px;"
"vertical-align:0;margin:0 4px 0 8px}\n"
"section{margin-top:26px}\n"
"table.list{width:100%;border-collapse:collapse;font-size:14px}\n"
"table.list th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;"
"border-bottom:1px solid var(--line);padding:6px 10px;white-space:nowrap}\n"
"table.list td{border-bottom:1px solid var(--line);padding:7px 10px;vertical-align:top}\n"
"table.list td.n{font-variant-numeric:tabular-nums;white-space:nowrap;text-align:right}\n"
"table.list td.q{font-family:Georgia,serif;color:#374151}\n"
"table.list td.id{word-break:break-word;font-weight:600;min-width:150px}\n"
"table.list td.dt{white-space:nowrap;font-variant-numeric:tabular-nums}\n"
"table.list td.id small{display:block;font-weight:400;color:var(--muted)}\n"
"table.list tr.org td{background:#fff7ed}\n"
".meter{display:inline-block;width:60px;height:6px;border-radius:3px;"
"background:var(--line);overflow:hidden;vertical-align:middle;margin-left:6px}\n"
".meter i{display:block;height:100%;background:var(--c)}\n"
".tag{font-size:11px;text-transform:uppercase;letter-spacing:.06em;"
"background:#fde7e4;color:var(--o);border-radius:4px;padding:1px 6px;"
"margin-left:6px;font-weight:600}\n"
".pair{background:var(--card);border:1px solid var(--line);border-left:4px solid "
"var(--c);border-radius:10px;margin-bottom:14px}\n"
".pair .ph{display:flex;flex-wrap:wrap;gap:4px 14px;align-items:baseline;"
"padding:10px 16px;border-bottom:1px solid var(--line);font-size:13.5px}\n"
".pair .no{font-weight:700;font-variant-numeric:tabular-nums}\n"
".pair .sim{font-weight:650;color:var(--c)}\n"
".pair .meta{color:var(--muted);font-variant-numeric:tabular-nums}\n"
".cols{display:grid;grid-template-columns:1fr 1fr}\n"
".col{padding:12px 16px 14px;min-width:0}\n"
".col+.col{border-left:1px solid var(--line)}\n"
".col .lab{font-size:12.5px;color:var(--muted);margin-bottom:6px;"
"display:flex;justify-content:space-between;gap:8px}\n"
".col .lab b{color:var(--ink);word-break:break-word}\n"
".col .lab span:last-child{font-variant-numeric:tabular-nums;white-space:nowrap}\n";

/* Between css and css_end go the excerpt rules (.ex, html_excerpt_css). */

static const char css_end[] =
".na{color:var(--muted);font-style:italic}\n"
".empty{padding:18px;color:var(--muted)}\n"
"nav.back{margin-bottom:10px;font-size:13.5px}\n"
"footer{margin-top:36px;font-size:12px;color:var(--muted);text-align:center}\n"
"@media (max-width:860px){.charts{grid-template-columns:1fr}}\n"
"@media (max-width:700px){.wrap{padding:16px 12px 40px}.cols{grid-template-columns:1fr}"
".col+.col{border-left:0;border-top:1px solid var(--line)}}\n"
"@media print{.ex{max-height:none}.pair{break-inside:avoid}}\n";

static void emit_head(FILE *f, const char *title, const char *sub)
{
    html_page_open(f, NULL, title);
    fputs(css, f);
    html_excerpt_css(f, &excerpt);
    fputs(css_end, f);
    html_page_header(f, title, sub, 0);
}

static void emit_foot(FILE *f)
{
    html_page_close(f, " discover. Offsets are UTF-8 byte offsets, end exclusive.",
                    NULL);
}

static void card(FILE *f, const char *cls, const char *v, const char *k)
{
    fprintf(f, "<div class=\"card%s\"><div class=\"v\">", cls);
    html_esc_str(f, v, 0);
    fputs("</div><div class=\"k\">", f);
    html_esc_str(f, k, 0);
    fputs("</div></div>\n", f);
}

static void card_u(FILE *f, const char *cls, uint64_t v, const char *k)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    card(f, cls, b, k);
}

/* ------------------------------------------------------------------------
 * HTML: charts (inline SVG)
 * --------------------------------------------------------------------- */

#define CH_W 560                /* chart viewBox */
#define CH_H 230
#define CH_L 44                 /* plot area margins */
#define CH_R 8
#define CH_T 18
#define CH_B 40

/* Bars of counts[0..n) labelled labels[i] (every `every`-th label shown),
 * a second series `over` (may be NULL) drawn over them in the origin
 * colour. */
static void svg_bars(FILE *f, const char *aria, const uint64_t *counts,
                     const uint64_t *over, char (*labels)[24], size_t n,
                     size_t every, int values)
{
    const double pw = CH_W - CH_L - CH_R, ph = CH_H - CH_T - CH_B;
    uint64_t max = 1;

    for (size_t i = 0; i < n; i++)
        if (counts[i] > max) max = counts[i];
    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
            CH_W, CH_H);
    html_esc_str(f, aria, 0);
    fputs("\">\n", f);
    for (int g = 0; g <= 2; g++) {             /* grid: 0, max/2, max */
        double y = CH_T + ph - ph * g / 2.0;
        fprintf(f, "<line class=\"g\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>",
                CH_L, CH_W - CH_R, y, y);
        if (g != 1 || max % 2 == 0)             /* label whole numbers only */
            fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%llu</text>",
                    CH_L - 6, y + 4, (unsigned long long)(g == 2 ? max : g ? max / 2 : 0));
        fputc('\n', f);
    }
    double slot = pw / (double)(n ? n : 1);
    double bw = slot > 6 ? slot * 0.78 : slot;
    for (size_t i = 0; i < n; i++) {
        double x = CH_L + slot * i + (slot - bw) / 2;
        double h = ph * (double)counts[i] / (double)max;
        if (counts[i]) {
            fprintf(f, "<rect class=\"b\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                    "height=\"%.2f\" rx=\"%d\"><title>", x, CH_T + ph - h, bw,
                    h < 0.5 ? 0.5 : h, bw > 6 ? 2 : 0);
            html_esc_str(f, labels[i], 0);
            fprintf(f, ": %llu</title></rect>\n", (unsigned long long)counts[i]);
        }
        if (over && over[i]) {
            double ho = ph * (double)over[i] / (double)max;
            fprintf(f, "<rect class=\"bo\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                    "height=\"%.2f\"><title>", x, CH_T + ph - ho, bw, ho < 0.5 ? 0.5 : ho);
            html_esc_str(f, labels[i], 0);
            fprintf(f, ": %llu first appearance%s</title></rect>\n",
                    (unsigned long long)over[i], over[i] == 1 ? "" : "s");
        }
        if (values && counts[i])
            fprintf(f, "<text class=\"v\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">"
                    "%llu</text>\n", x + bw / 2, CH_T + ph - h - 4,
                    (unsigned long long)counts[i]);
        if (i % every == 0) {
            fprintf(f, "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">", x + bw / 2,
                    CH_H - CH_B + 16);
            html_esc_str(f, labels[i], 0);
            fputs("</text>\n", f);
        }
    }
    fputs("</svg>\n", f);
}

/* Family sizes in bins: 2, 3, 4, 5, 6-9, 10-19, 20-49, 50-99, 100-999, 1000+. */
static void emit_histogram(FILE *f, const tsr_discovery *d)
{
    static const size_t lo[] = { 2, 3, 4, 5, 6, 10, 20, 50, 100, 1000 };
    enum { NB = sizeof lo / sizeof lo[0] };
    char labels[NB][24];
    uint64_t counts[NB] = { 0 };
    size_t nb = 0;

    for (size_t i = 0; i < d->n_families; i++) {
        size_t n = d->families[i].n, b = 0;
        while (b + 1 < NB && n >= lo[b + 1]) b++;
        counts[b]++;
        if (b + 1 > nb) nb = b + 1;
    }
    for (size_t b = 0; b < NB; b++) {
        if (b + 1 == NB) snprintf(labels[b], sizeof labels[b], "%zu+", lo[b]);
        else if (lo[b + 1] - lo[b] == 1) snprintf(labels[b], sizeof labels[b], "%zu", lo[b]);
        else snprintf(labels[b], sizeof labels[b], "%zu\xE2\x80\x93%zu", lo[b], lo[b + 1] - 1);
    }
    if (nb < 4) nb = 4;
    fputs("<div class=\"panel\"><h2>Family sizes</h2>\n", f);
    if (!d->n_families) {
        fputs("<div class=\"na\">No family was found.</div></div>\n", f);
        return;
    }
    svg_bars(f, "Number of families by size (members)", counts, NULL, labels, nb, 1, 1);
    fputs("<div class=\"note\">Families by number of members (passages in "
          "different places that repeat one another).</div></div>\n", f);
}

/* Month number (year*12 + month-1) of a date that starts "YYYY" or
 * "YYYY-MM"; *has_month says which.  -1 when the date has no year. */
static long date_key(const char *s, int *has_month)
{
    long y = 0, m = 0;

    *has_month = 0;
    if (!s)
        return -1;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        y = y * 10 + (s[i] - '0');
    }
    if ((s[4] == '-' || s[4] == '/' || s[4] == '.') && s[5] >= '0' && s[5] <= '9') {
        m = s[5] - '0';
        if (s[6] >= '0' && s[6] <= '9')
            m = m * 10 + (s[6] - '0');
        if (m >= 1 && m <= 12)
            *has_month = 1;
        else
            m = 1;
    } else {
        m = 1;
    }
    return y * 12 + (m - 1);
}

/* When members appeared: members per month (or year, over long spans or
 * when dates have no month), with the families' first appearances. */
static int emit_timeline(FILE *f, const tsr_discovery *d, const dsc_docs *docs)
{
    long kmin = 0, kmax = 0;
    size_t dated = 0, months = 0;
    int hm;

    fputs("<div class=\"panel\"><h2>When members appeared</h2>\n", f);
    for (size_t i = 0; i < d->n_members; i++) {
        const dsc_doc *dd = dsc_docs_find(docs, d->members[i].docno);
        long k = date_key(dd ? dd->date : NULL, &hm);
        if (k < 0) continue;
        if (!dated || k < kmin) kmin = k;
        if (!dated || k > kmax) kmax = k;
        dated++;
        months += hm;
    }
    if (!dated) {
        fputs("<div class=\"na\">No member has a date, so there is no timeline. "
              "Give documents a <code>date</code> field (ISO 8601, e.g. 1851-03-07) "
              "when indexing.</div></div>\n", f);
        return 0;
    }
    /* by month when most dates carry a month and they span at most 10 years */
    const int by_month = months * 2 >= dated && kmax - kmin < 120;
    const long b0 = by_month ? kmin : kmin / 12, b1 = by_month ? kmax : kmax / 12;
    const size_t nb = (size_t)(b1 - b0 + 1);
    uint64_t *cnt = calloc(nb, sizeof *cnt), *org = calloc(nb, sizeof *org);
    char (*labels)[24] = calloc(nb, sizeof *labels);
    if (!cnt || !org || !labels) {
        free(cnt);
        free(org);
        free(labels);
        fputs("</div>\n", f);
        return -1;
    }
    for (size_t i = 0; i < d->n_members; i++) {
        const dsc_doc *dd = dsc_docs_find(docs, d->members[i].docno);
        long k = date_key(dd ? dd->date : NULL, &hm);
        if (k >= 0) cnt[(by_month ? k : k / 12) - b0]++;
    }
    for (size_t i = 0; i < d->n_families; i++) {
        const tsr_family *fm = &d->families[i];
        const dsc_doc *dd = dsc_docs_find(docs, fm->origin);
        long k = fm->origin_dated ? date_key(dd ? dd->date : NULL, &hm) : -1;
        if (k >= 0) org[(by_month ? k : k / 12) - b0]++;
    }
    for (size_t b = 0; b < nb; b++) {
        long k = b0 + (long)b;
        if (by_month)
            snprintf(labels[b], sizeof labels[b], "%04ld-%02ld", k / 12, k % 12 + 1);
        else
            snprintf(labels[b], sizeof labels[b], "%ld", k);
    }
    /* a label needs about 52 (month) or 34 (year) units of the plot's 508 */
    const size_t per = by_month ? 508 / 52 : 508 / 34;
    svg_bars(f, by_month ? "Family members by month" : "Family members by year", cnt,
             org, labels, nb, (nb + per - 1) / per, nb <= 16);
    fprintf(f, "<div class=\"note\">Members by %s<span class=\"sw\" style=\"background:"
            "var(--c)\"></span>all members<span class=\"sw\" style=\"background:"
            "var(--o)\"></span>first appearance of a family. %zu of %zu members dated."
            "</div></div>\n", by_month ? "month" : "year", dated, d->n_members);
    free(cnt);
    free(org);
    free(labels);
    return 0;
}

/* ------------------------------------------------------------------------
 * HTML: texts of one page
 * --------------------------------------------------------------------- */

/* Documents with their texts, fetched for one page, sorted by docno. */
typedef struct page_texts {
    size_t n;
    tsr_document **v;
} page_texts;

static int doc_cmp(const void *x, const void *y)
{
    const tsr_document *a = *(tsr_document *const *)x, *b = *(tsr_document *const *)y;
    return a->docno < b->docno ? -1 : a->docno > b->docno;
}

/* Fetch the texts of nos[0..n) (sorted, may repeat).  Documents that
 * cannot be read are left out.  Returns 0, or -1 when out of memory. */
static int page_texts_load(page_texts *pt, tsr_index *ix, int64_t *nos, size_t n)
{
    pt->n = 0;
    pt->v = malloc((n ? n : 1) * sizeof *pt->v);
    if (!pt->v)
        return -1;
    qsort(nos, n, sizeof *nos, i64_cmp);
    for (size_t i = 0; i < n; i++) {
        tsr_document *doc = NULL;
        if (i > 0 && nos[i] == nos[i - 1])
            continue;
        if (tsr_index_get_docno(ix, nos[i], &doc, NULL) == TSR_OK && doc && doc->text)
            pt->v[pt->n++] = doc;
        else
            tsr_document_free(doc);
    }
    return 0;
}

static const tsr_document *page_text(const page_texts *pt, int64_t docno)
{
    tsr_document key = { .docno = docno };
    const tsr_document *kp = &key;
    tsr_document **hit = bsearch(&kp, pt->v, pt->n, sizeof *pt->v, doc_cmp);
    return hit ? *hit : NULL;
}

static void page_texts_free(page_texts *pt)
{
    for (size_t i = 0; i < pt->n; i++)
        tsr_document_free(pt->v[i]);
    free(pt->v);
    pt->v = NULL;
    pt->n = 0;
}

/* ------------------------------------------------------------------------
 * HTML: pages
 * --------------------------------------------------------------------- */

/* The links of each family: links order[start[f] .. start[f+1]). */
typedef struct fam_links {
    size_t *start, *order;
} fam_links;

static int fam_links_build(fam_links *fl, const tsr_discovery *d)
{
    size_t nf = d->n_families;

    fl->start = calloc(nf + 2, sizeof *fl->start);
    fl->order = malloc((d->n_links ? d->n_links : 1) * sizeof *fl->order);
    if (!fl->start || !fl->order)
        return -1;
    for (size_t i = 0; i < d->n_links; i++)
        if (d->links[i].family < nf)
            fl->start[d->links[i].family + 2]++;
    for (size_t k = 2; k < nf + 2; k++)
        fl->start[k] += fl->start[k - 1];
    for (size_t i = 0; i < d->n_links; i++)
        if (d->links[i].family < nf)
            fl->order[fl->start[d->links[i].family + 1]++] = i;
    return 0;   /* now start[f]..start[f+1] is family f */
}

static void emit_doc_cell(FILE *f, const dsc_doc *dd, int64_t docno)
{
    fputs("<td class=\"id\">", f);
    doc_name(f, dd, docno);
    if (dd && dd->title && (!dd->id || strcmp(dd->title, dd->id) != 0)) {
        fputs("<small>", f);
        html_esc_cut(f, dd->title, strlen(dd->title), 120, HTML_FOLD_SPACE);
        fputs("</small>", f);
    }
    fputs("</td>", f);
}

static int write_index_page(FILE *f, tsr_index *ix, const tsr_discovery *d,
                            const dsc_docs *docs)
{
    size_t shown = d->n_families < DSC_HTML_FAMILIES ? d->n_families : DSC_HTML_FAMILIES;
    int64_t *nos = malloc((shown ? shown : 1) * sizeof *nos);
    page_texts pt = { 0 };
    char sub[160];
    int rc = 0;

    if (!nos)
        return -1;
    for (size_t i = 0; i < shown; i++)
        nos[i] = d->families[i].origin;
    if (page_texts_load(&pt, ix, nos, shown) != 0) {
        free(nos);
        return -1;
    }
    snprintf(sub, sizeof sub, "%llu documents", (unsigned long long)d->documents);
    emit_head(f, "Text reuse in a corpus", sub);
    fputs("<div class=\"cards\">\n", f);
    card_u(f, " main", d->n_families, "reuse families");
    card_u(f, "", d->n_links, "aligned passage pairs");
    card_u(f, "", d->n_members, "passages in families");
    card_u(f, "", docs->n, "documents sharing text");
    card_u(f, "", d->documents, "documents in the index");
    card_u(f, "", d->candidate_pairs, "document pairs aligned");
    card_u(f, "", d->skipped, "boilerplate fingerprints skipped");
    fputs("</div>\n<div class=\"charts\">\n", f);
    emit_histogram(f, d);
    if (emit_timeline(f, d, docs) != 0)
        rc = -1;
    fputs("</div>\n", f);

    fprintf(f, "<section><h2>Largest families (%zu of %zu)</h2><div class=\"panel\">",
            shown, d->n_families);
    if (!shown)
        fputs("<div class=\"empty\">No passage is shared between documents.</div>", f);
    else
        fputs("<table class=\"list\"><thead><tr><th>Family</th><th>Members</th>"
              "<th>Links</th><th>Origin</th><th>Date</th><th>Same series</th>"
              "<th>Origin passage</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < shown; i++) {
        const tsr_family *fm = &d->families[i];
        const dsc_doc *od = dsc_docs_find(docs, fm->origin);
        const tsr_member *om = origin_member(d, fm);
        const tsr_document *ot = page_text(&pt, fm->origin);
        double ss = share(fm->same_series, fm->links) * 100.0;

        fprintf(f, "<tr><td class=\"n\"><a href=\"family-%zu.html\">%zu</a></td>"
                "<td class=\"n\">%zu</td><td class=\"n\">%zu</td>", i, i, fm->n, fm->links);
        emit_doc_cell(f, od, fm->origin);
        fputs("<td class=\"dt\">", f);
        if (od && od->date) html_esc_str(f, od->date, 0);
        if (!fm->origin_dated) fputs("<span class=\"na\">by number</span>", f);
        fprintf(f, "</td><td class=\"n\">%.0f%%<span class=\"meter\"><i style=\"width:"
                "%.1f%%\"></i></span></td><td class=\"q\">", ss, ss);
        if (ot && om) {
            size_t b = om->begin, e = om->end;
            rpt_clamp_span(ot->text, ot->text_len, &b, &e);
            html_esc_cut(f, ot->text + b, e - b, 150, HTML_FOLD_SPACE);
        }
        fputs("</td></tr>\n", f);
    }
    if (shown)
        fputs("</tbody></table>", f);
    fputs("</div>", f);
    if (d->n_families > shown)
        fprintf(f, "<div class=\"note\">%zu smaller families are in the JSON and "
                "SQLite outputs (--families, --sqlite).</div>", d->n_families - shown);
    fputs("</section>\n", f);
    emit_foot(f);
    page_texts_free(&pt);
    free(nos);
    return rc;
}

static int write_family_page(FILE *f, tsr_index *ix, const tsr_discovery *d,
                             const dsc_docs *docs, const fam_links *fl, size_t fi)
{
    const tsr_family *fm = &d->families[fi];
    size_t m0 = fm->first, m1 = fm->first + fm->n;
    size_t l0 = fl->start[fi], l1 = fl->start[fi + 1];
    size_t nm, nl, ndocs = 0;
    const char *dmin = NULL, *dmax = NULL;
    char title[64], sub[64], buf[64];
    const tsr_member *om = origin_member(d, fm);
    page_texts pt = { 0 };
    int64_t *nos;

    if (m1 > d->n_members) m1 = d->n_members;
    if (m0 > m1) m0 = m1;
    nm = m1 - m0 < PAGE_MEMBERS ? m1 - m0 : PAGE_MEMBERS;
    nl = l1 - l0 < PAGE_LINKS ? l1 - l0 : PAGE_LINKS;
    nos = malloc((m1 - m0 + 2 * nl + 1) * sizeof *nos);
    if (!nos)
        return -1;
    /* distinct documents and date range over all members */
    for (size_t k = m0; k < m1; k++)
        nos[k - m0] = d->members[k].docno;
    qsort(nos, m1 - m0, sizeof *nos, i64_cmp);
    for (size_t k = 0; k < m1 - m0; k++) {
        const dsc_doc *dd;
        if (k > 0 && nos[k] == nos[k - 1]) continue;
        ndocs++;
        dd = dsc_docs_find(docs, nos[k]);
        if (dd && dd->date) {
            if (!dmin || strcmp(dd->date, dmin) < 0) dmin = dd->date;
            if (!dmax || strcmp(dd->date, dmax) > 0) dmax = dd->date;
        }
    }
    /* texts: members shown and both sides of the links shown */
    size_t nn = 0;
    for (size_t k = m0; k < m0 + nm; k++)
        nos[nn++] = d->members[k].docno;
    for (size_t j = l0; j < l0 + nl; j++) {
        nos[nn++] = d->links[fl->order[j]].a_doc;
        nos[nn++] = d->links[fl->order[j]].b_doc;
    }
    if (page_texts_load(&pt, ix, nos, nn) != 0) {
        free(nos);
        return -1;
    }
    free(nos);

    snprintf(title, sizeof title, "Reuse family %zu", fi);
    snprintf(sub, sizeof sub, "%zu members, %zu passage pairs", fm->n, fm->links);
    emit_head(f, title, sub);
    fputs("<nav class=\"back\"><a href=\"index.html\">\xE2\x86\x90 All families</a></nav>\n"
          "<div class=\"cards\">\n", f);
    card_u(f, " main", fm->n, "members");
    card_u(f, "", fm->links, "passage pairs");
    card_u(f, "", ndocs, "documents");
    snprintf(buf, sizeof buf, "%.0f%%", share(fm->same_series, fm->links) * 100.0);
    card(f, "", buf, "pairs inside one series");
    if (dmin) {
        char range[80];
        if (strcmp(dmin, dmax) == 0) snprintf(range, sizeof range, "%.30s", dmin);
        else snprintf(range, sizeof range, "%.30s \xE2\x80\x93 %.30s", dmin, dmax);
        card(f, "", range, "dates of members");
    }
    fputs("</div>\n", f);

    fprintf(f, "<section><h2>Members (%zu)</h2><div class=\"panel\"><table class=\"list\">"
            "<thead><tr><th>#</th><th>Document</th><th>Date</th><th>Series</th>"
            "<th>Bytes</th><th>Passage</th></tr></thead><tbody>\n", fm->n);
    for (size_t k = m0; k < m0 + nm; k++) {
        const tsr_member *m = &d->members[k];
        const dsc_doc *dd = dsc_docs_find(docs, m->docno);
        const tsr_document *t = page_text(&pt, m->docno);
        const int is_origin = m == om;

        fprintf(f, "<tr%s><td class=\"n\">%zu</td>", is_origin ? " class=\"org\"" : "",
                k - m0 + 1);
        emit_doc_cell(f, dd, m->docno);
        fputs("<td class=\"dt\">", f);
        if (dd && dd->date) html_esc_str(f, dd->date, 0);
        if (is_origin)
            fprintf(f, "<span class=\"tag\" title=\"earliest by %s\">origin</span>",
                    fm->origin_dated ? "date" : "document number");
        fputs("</td><td>", f);
        if (dd && dd->series) html_esc_str(f, dd->series, 0);
        fprintf(f, "</td><td class=\"n\">%u\xE2\x80\x93%u</td><td class=\"q\">", m->begin,
                m->end);
        if (t) {
            size_t b = m->begin, e = m->end;
            rpt_clamp_span(t->text, t->text_len, &b, &e);
            html_esc_cut(f, t->text + b, e - b, 200, HTML_FOLD_SPACE);
        } else {
            fputs("<span class=\"na\">text not available</span>", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>", f);
    if (nm < m1 - m0)
        fprintf(f, "<div class=\"note\">%zu more members are in the --families and "
                "--sqlite outputs.</div>", m1 - m0 - nm);
    fputs("</section>\n", f);

    fprintf(f, "<section><h2>Passage pairs side by side (%zu)</h2>\n", l1 - l0);
    if (l1 == l0)
        fputs("<div class=\"panel empty\">No passage pair.</div>\n", f);
    for (size_t j = l0; j < l0 + nl; j++) {
        const tsr_link *l = &d->links[fl->order[j]];
        const tsr_document *ta = page_text(&pt, l->a_doc), *tb = page_text(&pt, l->b_doc);
        const dsc_doc *da = dsc_docs_find(docs, l->a_doc), *db = dsc_docs_find(docs, l->b_doc);
        html_spans sa = { 0 }, sb = { 0 };
        size_t ab = l->a_begin, ae = l->a_end, bb = l->b_begin, be = l->b_end;

        if (ta) rpt_clamp_span(ta->text, ta->text_len, &ab, &ae);
        if (tb) rpt_clamp_span(tb->text, tb->text_len, &bb, &be);
        if (ta && tb)
            html_word_diff(ta->text, ab, ae, tb->text, bb, be, HTML_DIFF_BAG, &sa,
                           &sb);
        fprintf(f, "<div class=\"pair\" id=\"l%zu\"><div class=\"ph\"><span class=\"no\">"
                "#%zu</span><span class=\"tag\">%s</span><span class=\"sim\">%.0f%% similar"
                "</span><span class=\"meta\">%u identical of %u / %u words; E-value %.2g"
                " (chance matches this strong expected)</span></div>\n<div class=\"cols\">",
                j - l0 + 1, j - l0 + 1, tsr_kind_name((int)l->kind),
                (double)l->similarity * 100.0, l->matches, l->a_words, l->b_words,
                (double)l->evalue);
        for (int side = 0; side < 2; side++) {
            const dsc_doc *dd = side ? db : da;
            const tsr_document *t = side ? tb : ta;
            fputs("<div class=\"col\"><div class=\"lab\"><span><b>", f);
            doc_name(f, dd, side ? l->b_doc : l->a_doc);
            fputs("</b>", f);
            if (dd && dd->date) { fputs(" \xC2\xB7 ", f); html_esc_str(f, dd->date, 0); }
            if (dd && dd->series) { fputs(" \xC2\xB7 ", f); html_esc_str(f, dd->series, 0); }
            fprintf(f, "</span><span>bytes %u\xE2\x80\x93%u</span></div>",
                    side ? l->b_begin : l->a_begin, side ? l->b_end : l->a_end);
            if (t)
                html_side(f, &excerpt, t->text, t->text_len, side ? bb : ab,
                          side ? be : ae, side ? &sb : &sa);
            else
                fputs("<div class=\"ex na\">Text not available.</div>", f);
            fputs("</div>", f);
        }
        fputs("</div></div>\n", f);
        html_spans_free(&sa);
        html_spans_free(&sb);
    }
    if (nl < l1 - l0)
        fprintf(f, "<div class=\"note\">%zu more pairs are in the JSON Lines and "
                "--sqlite outputs.</div>\n", l1 - l0 - nl);
    fputs("</section>\n", f);
    emit_foot(f);
    page_texts_free(&pt);
    return 0;
}

int dsc_write_html(const char *dir, tsr_index *ix, const tsr_discovery *d,
                   const dsc_docs *docs)
{
    fam_links fl = { 0 };
    size_t shown = d->n_families < DSC_HTML_FAMILIES ? d->n_families : DSC_HTML_FAMILIES;
    int rc = EXIT_OK;

    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return cli_fail(EXIT_SYSTEM, "%s: %s", dir, strerror(errno));
    if (fam_links_build(&fl, d) != 0)
        rc = cli_fail(EXIT_SYSTEM, "out of memory");
    for (size_t i = 0; rc == EXIT_OK && i <= shown; i++) {
        char name[48];
        cli_atomic page;

        /* family pages first, index.html last: its links then resolve */
        if (i < shown) snprintf(name, sizeof name, "family-%zu.html", i);
        else snprintf(name, sizeof name, "index.html");
        char *path = cli_path_join(dir, name);
        if (!path) {
            rc = cli_fail(EXIT_SYSTEM, "out of memory");
            break;
        }
        rc = cli_atomic_open(&page, path, 0);
        if (rc == EXIT_OK && (i < shown ? write_family_page(page.f, ix, d, docs, &fl, i)
                                        : write_index_page(page.f, ix, d, docs)) != 0) {
            cli_atomic_abort(&page);
            rc = cli_fail(EXIT_SYSTEM, "%s: out of memory", path);
        }
        if (rc == EXIT_OK)
            rc = cli_atomic_commit(&page);
        free(path);
    }
    free(fl.start);
    free(fl.order);
    return rc;
}
