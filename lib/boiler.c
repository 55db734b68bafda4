/*
 * boiler.c - boilerplate lines: lines that recur across many documents of
 * one series (site footers, "Discuss This Article", bylines, "REUTER").
 *
 * How it works (after onion, Pomikalek 2011, which drops a paragraph when
 * most of its n-grams were seen before).  A line is identified by the hash
 * of its normalized words (tsr_tokenize: case, accents, punctuation and
 * spacing do not matter), seeded with the hash of the document's series,
 * so that a footer of one site says nothing about another.  Counting pass:
 * each document adds 1 for each of its distinct lines, and 1 to its
 * series.  Asking pass: a line of a text is boilerplate when its count is
 * at least min_docs and at least min_share of its series' documents.
 * Lines without words are never boilerplate.  A "paragraph" written as one
 * line (as in most JSON text) is a line here.
 *
 * Two passes rather than onion's one: onion drops the second and later
 * occurrences in input order, which keeps a footer in the first document
 * of a site and treats a story re-filed twice as boilerplate.  Counting
 * first lets the threshold be a number of documents.
 *
 * Memory: an open-addressing table of (key, count), 16 bytes per slot, at
 * most half full; one per distinct (series, line).
 */
#include "common/common.h"
#include "common/xxh.h"

#include <pthread.h>

struct tsr_boiler {
    unsigned min_docs;
    double min_share;
    pthread_mutex_t mu;
    uint64_t *key;       /* 0 = empty */
    uint32_t *count;
    size_t mask, used;
};

int tsr_boiler_create(unsigned min_docs, double min_share, tsr_boiler **out,
                      tsr_error *err)
{
    *out = NULL;
    if (min_docs < 2)
        return tsr_seterr(err, TSR_ERR_INVALID, "boilerplate needs min_docs >= 2, not %u", min_docs);
    if (!(min_share >= 0.0 && min_share <= 1.0))
        return tsr_seterr(err, TSR_ERR_INVALID, "boilerplate min_share must be in 0..1");
    tsr_boiler *b = calloc(1, sizeof *b);
    TSR_CHECK_ALLOC(b, err);
    b->min_docs = min_docs;
    b->min_share = min_share;
    b->mask = 4095;
    b->key = calloc(b->mask + 1, sizeof *b->key);
    b->count = calloc(b->mask + 1, sizeof *b->count);
    if (!b->key || !b->count) {
        free(b->key); free(b->count); free(b);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&b->mu, NULL);
    *out = b;
    return TSR_OK;
}

void tsr_boiler_free(tsr_boiler *b)
{
    if (!b) return;
    pthread_mutex_destroy(&b->mu);
    free(b->key);
    free(b->count);
    free(b);
}

static size_t bp_slot(const tsr_boiler *b, uint64_t k)
{
    size_t i = (size_t)(k * 0x9E3779B97F4A7C15ull >> 20) & b->mask;
    while (b->key[i] && b->key[i] != k) i = (i + 1) & b->mask;
    return i;
}

static int bp_grow(tsr_boiler *b)
{
    size_t ncap = (b->mask + 1) * 2;
    uint64_t *ok = b->key;
    uint32_t *oc = b->count;
    size_t omask = b->mask;
    b->key = calloc(ncap, sizeof *b->key);
    b->count = calloc(ncap, sizeof *b->count);
    if (!b->key || !b->count) {
        free(b->key); free(b->count);
        b->key = ok; b->count = oc;
        return -1;
    }
    b->mask = ncap - 1;
    for (size_t i = 0; i <= omask; i++) {
        if (!ok[i]) continue;
        size_t s = bp_slot(b, ok[i]);
        b->key[s] = ok[i];
        b->count[s] = oc[i];
    }
    free(ok);
    free(oc);
    return 0;
}

static uint32_t bp_get(const tsr_boiler *b, uint64_t k)
{
    size_t s = bp_slot(b, k);
    return b->key[s] ? b->count[s] : 0;
}

static uint64_t bp_series(const char *series)
{
    const char *s = series ? series : "";
    uint64_t h = XXH3_64bits(s, strlen(s));
    return h ? h : 1;
}

/* Keys never 0 (the empty slot).  The series' own counter uses key
 * series_hash ^ a constant, which no line key collides with in practice. */
static uint64_t bp_series_key(uint64_t sh)
{
    uint64_t k = sh ^ 0x5E21E5C0FFEEull;
    return k ? k : 2;
}

/* The lines of a text: for each line with words, its key, begin, end. */
typedef struct { uint64_t key; size_t begin, end; } bp_line;

static int bp_lines(uint64_t sh, const char *text, size_t len, bp_line **out,
                    size_t *n, tsr_error *err)
{
    *out = NULL;
    *n = 0;
    tsr_word *w = NULL;
    size_t nw = 0;
    TSR_FORWARD(tsr_tokenize(text, len, &w, &nw, err));
    TSR_VEC(bp_line) v = { 0 };
    TSR_VEC(uint64_t) hs = { 0 };
    size_t wi = 0, pos = 0;
    int rc = TSR_OK;
    while (pos < len && rc == TSR_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        hs.n = 0;
        while (wi < nw && w[wi].begin < end) {
            if (tsr_vec_push(&hs, w[wi].hash)) { rc = TSR_ERR_NOMEM; break; }
            wi++;
        }
        if (rc == TSR_OK && hs.n > 0) {
            uint64_t k = XXH3_64bits_withSeed(hs.a, hs.n * sizeof *hs.a, sh);
            bp_line l = { k ? k : 3, pos, end };
            if (end > pos && text[end - 1] == '\r') l.end--;
            if (tsr_vec_push(&v, l)) rc = TSR_ERR_NOMEM;
        }
        pos = end + 1;
    }
    tsr_free(w);
    tsr_vec_free(&hs);
    if (rc != TSR_OK) {
        tsr_vec_free(&v);
        return tsr_seterr(err, rc, "out of memory splitting %zu bytes into lines", len);
    }
    *out = v.a;
    *n = v.n;
    return TSR_OK;
}

static int bp_cmp_key(const void *x, const void *y)
{
    uint64_t a = ((const bp_line *)x)->key, b = ((const bp_line *)y)->key;
    return (a > b) - (a < b);
}

int tsr_boiler_add(tsr_boiler *b, const char *series, const char *text,
                   size_t len, tsr_error *err)
{
    uint64_t sh = bp_series(series);
    bp_line *l = NULL;
    size_t n = 0;
    TSR_FORWARD(bp_lines(sh, text, len, &l, &n, err));
    tsr_sort(l, n, sizeof *l, bp_cmp_key);
    int rc = TSR_OK;
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i <= n && rc == TSR_OK; i++) {
        uint64_t k;
        if (i == n) k = bp_series_key(sh);
        else if (i > 0 && l[i].key == l[i - 1].key) continue;
        else k = l[i].key;
        if ((b->used + 1) * 2 > b->mask + 1 && bp_grow(b)) { rc = TSR_ERR_NOMEM; break; }
        size_t s = bp_slot(b, k);
        if (!b->key[s]) { b->key[s] = k; b->used++; }
        if (b->count[s] < UINT32_MAX) b->count[s]++;
    }
    pthread_mutex_unlock(&b->mu);
    free(l);
    if (rc != TSR_OK)
        return tsr_seterr(err, rc, "out of memory counting lines (%zu distinct)", b->used);
    return TSR_OK;
}

int tsr_boiler_spans(const tsr_boiler *b, const char *series, const char *text,
                     size_t len, tsr_span **spans, size_t *n, tsr_error *err)
{
    *spans = NULL;
    *n = 0;
    uint64_t sh = bp_series(series);
    bp_line *l = NULL;
    size_t nl = 0;
    TSR_FORWARD(bp_lines(sh, text, len, &l, &nl, err));
    uint32_t sdocs = bp_get(b, bp_series_key(sh));
    double need = b->min_share * sdocs;
    if (need < b->min_docs) need = b->min_docs;
    tsr_span *out = nl ? malloc(nl * sizeof *out) : NULL;
    if (nl && !out) { free(l); TSR_CHECK_ALLOC(NULL, err); }
    size_t k = 0;
    for (size_t i = 0; i < nl; i++) {
        if ((double)bp_get(b, l[i].key) >= need) {
            out[k].begin = l[i].begin;
            out[k].end = l[i].end;
            k++;
        }
    }
    free(l);
    if (k == 0) { free(out); return TSR_OK; }
    *spans = out;
    *n = k;
    return TSR_OK;
}
