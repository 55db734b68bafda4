/*
 * check.c - one text against an index: candidates, alignment, summary.
 *
 * How it works.  Every word n-gram of the checked text (all of them, not a
 * winnowed sample: the query is small and lookups are cheap) is looked up
 * in the index's postings.  Since the index keeps the winnowed
 * fingerprints of each document, any run of at least ngram + window - 1
 * words shared with a document is sure to hit it.  Hits are counted per
 * document; documents with at least `min_shared` hits, the best
 * `max_candidates` of them, are aligned word by word with the checked text
 * (align.c), exactly as `tsr_align` would: their words come from the
 * index's document cache when it holds them (cache.c), else their rows are
 * read from the catalog in one transaction and each text is decompressed
 * and tokenized (then cached).  Posting lookups are prefetched a few
 * n-grams ahead, since each one is a cache miss in a large index.
 * "Best" is diverse: when more documents qualify than there are slots,
 * each part of the text gets its few best sources before any part gets
 * more (select_diverse), so a paragraph found in fifty documents does not
 * crowd out the sources of the rest of the text.
 *
 * Boilerplate.  An n-gram held by more than `boilerplate_df` documents is
 * site furniture or a formula ("Discuss this article"), not evidence of
 * reuse: it does not make candidates, and a line of the checked text whose
 * words are mostly covered by such n-grams is reported as boilerplate.
 * Passages lying mostly in boilerplate lines are flagged, and kept out of
 * the coverage figures.
 */
#include "align.h"
#include "cache.h"
#include "fingerprint.h"
#include "index_internal.h"
#include "result.h"

typedef struct { uint32_t doc, hits; } ck_cand;
typedef struct { uint32_t doc, pos; } ck_hit;
typedef TSR_VEC(ck_hit) ck_hits;

static int cand_cmp(const void *x, const void *y)
{
    const ck_cand *p = x, *q = y;
    if (p->hits != q->hits) return p->hits > q->hits ? -1 : 1;
    return (p->doc > q->doc) - (p->doc < q->doc);
}


/* Each part of the text is credited to at most this many candidates in
 * the first, diverse round of selection. */
#define CHECK_DIVERSE_CAP 4


/* Sort hits by document.  They were appended in order of position, so a
 * stable sort by document alone leaves each document's hits by position:
 * an LSD radix sort on the document number, in as few passes of at most
 * 11 bits as the largest number needs (the qsort it replaces was a tenth
 * of a check's time). */
static int sort_hits(ck_hits *hv)
{
    if (hv->n < 2)
        return 0;
    uint32_t all_or = 0;
    for (size_t i = 0; i < hv->n; i++) all_or |= hv->a[i].doc;
    unsigned bits = 1;
    while (bits < 32 && (all_or >> bits)) bits++;
    const unsigned passes = (bits + 10) / 11, digit = (bits + passes - 1) / passes;
    const uint32_t mask = (1u << digit) - 1;
    ck_hit *tmp = malloc(hv->n * sizeof *tmp);
    if (!tmp)
        return -1;
    size_t cnt[1u << 11];
    for (unsigned shift = 0; shift < passes * digit; shift += digit) {
        memset(cnt, 0, ((size_t)mask + 1) * sizeof *cnt);
        for (size_t i = 0; i < hv->n; i++) cnt[(hv->a[i].doc >> shift) & mask]++;
        size_t sum = 0;
        for (size_t d = 0; d <= mask; d++) { size_t c = cnt[d]; cnt[d] = sum; sum += c; }
        for (size_t i = 0; i < hv->n; i++) tmp[cnt[(hv->a[i].doc >> shift) & mask]++] = hv->a[i];
        memcpy(hv->a, tmp, hv->n * sizeof *tmp);
    }
    free(tmp);
    return 0;
}

/* Choose `max` of the `*nc` candidates (sorted best first).  A text made
 * of a paragraph that fifty documents share and of other paragraphs from
 * other documents must not spend every slot on the fifty: first take, best
 * first, candidates that bring hits on parts of the text that fewer than
 * CHECK_DIVERSE_CAP chosen candidates cover; then fill the remaining slots
 * in order.  The chosen ones end up first in `cand`, best first.  `hv` is
 * sorted by document (sort_hits). */
static int select_diverse(ck_cand *cand, size_t *nc, const ck_hits *hv, size_t nwords,
                          size_t max, int min_gain)
{
    uint8_t *cover = calloc(nwords + 1, 1);
    uint8_t *taken = calloc(*nc, 1);
    ck_cand *out = malloc(max * sizeof *out);
    if (!cover || !taken || !out) {
        free(cover); free(taken); free(out);
        return -1;
    }
    size_t n = 0;
    for (size_t c = 0; c < *nc && n < max; c++) {
        /* the candidate's hits: binary search for its first */
        size_t lo = 0, hi = hv->n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (hv->a[mid].doc < cand[c].doc) lo = mid + 1; else hi = mid;
        }
        size_t gain = 0;
        for (size_t x = lo; x < hv->n && hv->a[x].doc == cand[c].doc; x++)
            gain += cover[hv->a[x].pos] < CHECK_DIVERSE_CAP;
        if (gain < (size_t)min_gain) continue;
        for (size_t x = lo; x < hv->n && hv->a[x].doc == cand[c].doc; x++)
            if (cover[hv->a[x].pos] < 255) cover[hv->a[x].pos]++;
        out[n++] = cand[c];
        taken[c] = 1;
    }
    for (size_t c = 0; c < *nc && n < max; c++)
        if (!taken[c]) out[n++] = cand[c];
    tsr_sort(out, n, sizeof *out, cand_cmp);
    memcpy(cand, out, n * sizeof *out);
    *nc = n;
    free(cover); free(taken); free(out);
    return 0;
}


/* Candidates by hits, most first, then by document number: a counting
 * sort on the hits, stable over `c`, which is in document order. */
static int sort_cands(ck_cand *c, size_t n, uint32_t maxh)
{
    if (n < 2)
        return 0;
    size_t *cnt = calloc((size_t)maxh + 2, sizeof *cnt);
    ck_cand *tmp = malloc(n * sizeof *tmp);
    if (!cnt || !tmp) {
        free(cnt);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++) cnt[maxh - c[i].hits + 1]++;
    for (size_t h = 1; h <= (size_t)maxh + 1; h++) cnt[h] += cnt[h - 1];
    for (size_t i = 0; i < n; i++) tmp[cnt[maxh - c[i].hits]++] = c[i];
    memcpy(c, tmp, n * sizeof *tmp);
    free(cnt);
    free(tmp);
    return 0;
}

/* Mark lines of the text whose words are mostly boilerplate. */
static int mark_boilerplate(tsr_result *r, const char *text, size_t len,
                            const tsr_word *w, size_t n, const unsigned char *bp)
{
    size_t i = 0, line = 0;
    while (line < len) {
        const char *nl = memchr(text + line, '\n', len - line);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t words = 0, marked = 0;
        while (i < n && w[i].begin < end) {
            words++;
            marked += bp[i];
            i++;
        }
        if (words && marked * 2 > words)
            TSR_FORWARD(rs_add_boilerplate(r, line, end));
        line = end + 1;
    }
    return TSR_OK;
}

int tsr_index_check(tsr_index *ix, const char *text, size_t len,
                    const tsr_params *p, tsr_result **out, tsr_error *err)
{
    tsr_params def;
    *out = NULL;
    if (!p) { tsr_params_default(&def); p = &def; }
    TSR_FORWARD(tsr_params_validate(p, err));
    if (!ix || (!text && len))
        return tsr_seterr(err, TSR_ERR_INVALID, "NULL index or text");
    size_t off;
    int rc = text_check(text, len, p->allow_nul, &off);
    if (rc == TSR_ERR_UTF8)
        return tsr_seterr(err, rc, "invalid UTF-8 at byte %zu", off);
    if (rc == TSR_ERR_NUL)
        return tsr_seterr(err, rc, "NUL byte at byte %zu (binary file?)", off);

    tsr_word *A = NULL, *B = NULL;
    size_t an = 0, bcap = 0;
    al_query q;
    memset(&q, 0, sizeof q);
    al_passages ps = { 0 };
    ck_hits hv = { 0 };
    ck_cand *cand = NULL;
    unsigned char *bp = NULL;
    uint32_t *docs = NULL;
    tsr_result *r = NULL;
    int64_t *docnos = NULL;
    const dc_doc **held = NULL;
    size_t nc = 0;
    uint64_t *gh = NULL;
    ix_docs *batch = NULL;
    al_work *wk = NULL;

    TSR_FORWARD(tsr_tokenize(text, len, &A, &an, err));
    r = rs_new(len, an);
    if (!r) goto oom;
    if ((rc = al_query_init(&q, A, an, p, err))) goto fail;

    int ngram, window;
    ix_fingerprint_params(ix, &ngram, &window);
    uint64_t ndocs = ix_ndocs(ix);
    size_t bdf = p->boilerplate_df > 0 ? (size_t)p->boilerplate_df
                                       : (size_t)(ndocs / 500 > 20 ? ndocs / 500 : 20);
    bp = calloc(an + 1, 1);
    docs = malloc((bdf + 1) * sizeof *docs);
    wk = al_work_new();
    if (!bp || !docs || !wk) goto oom;

    /* 1. candidates */
    if (an > 0 && ndocs > 0) {
        size_t k = (size_t)ngram;
        size_t ng = an >= k ? an - k + 1 : 1;
        gh = malloc(ng * sizeof *gh);
        if (!gh) goto oom;
        for (size_t i = 0; i < ng; i++)
            gh[i] = fp_ngram_hash(A + i, an >= k ? k : an);
        for (size_t i = 0; i < ng; i++) {
            if (i + 16 < ng) ix_prefetch(ix, gh[i + 16], 0);
            if (i + 8 < ng) ix_prefetch(ix, gh[i + 8], 1);
            uint64_t h = gh[i];
            size_t df = ix_lookup(ix, h, docs, bdf + 1);
            if (df > bdf) {
                for (size_t j = i; j < i + k && j < an; j++) bp[j] = 1;
                continue;
            }
            if (tsr_vec_reserve(&hv, df)) goto oom;
            for (size_t j = 0; j < df; j++)
                hv.a[hv.n++] = (ck_hit){ docs[j], (uint32_t)i };
        }
    }
    /* documents with at least min_shared hits: the hits sorted by document
     * (stable: each document's hits stay in order of position), counted */
    if (sort_hits(&hv)) goto oom;
    cand = malloc((hv.n + 1) * sizeof *cand);
    if (!cand) goto oom;
    uint32_t maxh = 0;
    for (size_t x = 0; x < hv.n;) {
        size_t y = x + 1;
        while (y < hv.n && hv.a[y].doc == hv.a[x].doc) y++;
        if (y - x >= (size_t)p->min_shared) {
            cand[nc].doc = hv.a[x].doc;
            cand[nc].hits = (uint32_t)(y - x);
            if (cand[nc].hits > maxh) maxh = cand[nc].hits;
            nc++;
        }
        x = y;
    }
    if (sort_cands(cand, nc, maxh)) goto oom;
    if (nc > (size_t)p->max_candidates &&
        select_diverse(cand, &nc, &hv, an, (size_t)p->max_candidates, p->min_shared))
        goto oom;

    /* 2. align with each candidate: from the document cache, or else
     * their rows read at once and each text decompressed and tokenized in
     * turn (and then cached) */
    dcache *cache = ix_cache(ix);
    if (nc) {
        held = calloc(nc, sizeof *held);
        docnos = malloc(nc * sizeof *docnos);
        if (!held || !docnos) goto oom;
        size_t nmiss = 0;
        for (size_t c = 0; c < nc; c++)
            if (!cache || !(held[c] = dc_get(cache, cand[c].doc)))
                docnos[nmiss++] = cand[c].doc;
        if (nmiss && (rc = ix_docs_fetch(ix, docnos, nmiss, &batch, err))) {
            if (rc == TSR_ERR_NOTFOUND)
                rc = tsr_preferr(err, TSR_ERR_CORRUPT,
                                 "postings name a document that the catalog lacks");
            goto fail;
        }
    }
    for (size_t c = 0, miss = 0; c < nc; c++) {
        dc_doc d;
        if (held[c]) {
            d = *held[c];
        } else {
            const ix_docmeta *m = ix_docs_meta(batch, miss);
            const char *btext;
            size_t blen, bn = 0;
            if ((rc = ix_docs_text(batch, miss++, &btext, &blen, err))) goto fail;
            if ((rc = text_words(btext, blen, &B, &bcap, &bn, err))) goto fail;
            d = (dc_doc){ m->docno, B, bn, m->text_len, m->id, m->title, m->date, m->series };
            if (cache && (held[c] = dc_put(cache, &d)))
                d = *held[c];
        }
        ps.n = 0;
        if ((rc = al_align(&q, d.w, d.n, p, 0, wk, &ps, err))) goto fail;
        if (ps.n) {
            size_t src;
            if (rs_add_source(r, d.id, d.title, d.date, d.series, d.docno, &src) ||
                rs_add_passages(r, &ps, A, d.w, src))
                goto oom;
        }
    }

    /* 3. repetition inside the text, boilerplate lines */
    ps.n = 0;
    if ((rc = al_align(&q, A, an, p, 1, wk, &ps, err))) goto fail;
    if (rs_add_repeats(r, &ps, A)) goto oom;
    if (mark_boilerplate(r, text, len, A, an, bp)) goto oom;
    if (rs_finish(r)) goto oom;

    *out = r;
    r = NULL;
    rc = TSR_OK;
    goto done;
oom:
    rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory checking %zu bytes", len);
fail:
done:
    tsr_result_free(r);
    for (size_t c = 0; held && c < nc; c++)
        dc_release(ix_cache(ix), held[c]);
    free(held);
    ix_docs_free(batch);
    al_work_free(wk);
    free(docnos);
    free(gh);
    al_query_free(&q);
    tsr_vec_free(&ps);
    tsr_vec_free(&hv);
    free(cand); free(bp); free(docs);
    free(A); free(B);
    return rc;
}
