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
 *
 * The code.  tsr_index_check checks its arguments, then runs the stages,
 * each a static function with its contract above it, on a ck_check that
 * holds the state: ck_prepare (words, alignment query, buffers, and
 * ck_units: the significance model, the text's n-grams and fingerprints); 1.
 * ck_lookup (n-gram lookups, boilerplate words) and ck_candidates (hits
 * counted and ordered, select_diverse); 2. ck_fetch (the document cache,
 * else one batch read) and ck_align_sources (ck_doc_words, alignment,
 * the E-values and cut of sg_judge, sources and passages, and
 * rs_explain_away among sources); 3. ck_finish (repeats, boilerplate lines,
 * rs_finish).  ck_free frees what the stages left.
 */
#include "align.h"
#include "cache.h"
#include "fingerprint.h"
#include "index_internal.h"
#include "paraphrase.h"
#include "result.h"
#include "signif.h"

#include <time.h>

/* ------------------------------------------------------------------------
 * Hits, candidates, boilerplate lines
 * --------------------------------------------------------------------- */

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

/* ------------------------------------------------------------------------
 * The stages of a check
 * --------------------------------------------------------------------- */

/* One check in progress: the text, its words and n-gram hits, the
 * candidates and the documents read for them, and the result being
 * built.  Lives on tsr_index_check's stack; ck_free frees what it holds. */
typedef struct {
    tsr_index *ix;
    const tsr_params *p;
    const char *text;
    size_t len;
    uint64_t ndocs;           /* documents in the index */
    tsr_word *A;              /* the text's words and figures */
    size_t an;
    tsr_fig *afig;
    size_t nafig, afcap;
    al_query q;               /* the text prepared for alignment */
    al_passages ps;
    al_work *wk;
    size_t bdf;               /* an n-gram in more documents is boilerplate */
    unsigned char *bp;        /* per word: inside a boilerplate n-gram */
    uint32_t *docs;           /* a lookup's documents: room for bdf + 1 */
    ck_hits hv;               /* every hit: (document, n-gram position) */
    ck_cand *cand;            /* the candidates, best first */
    size_t nc;
    dcache *cache;            /* the index's document cache, or NULL */
    const dc_doc **held;      /* per candidate: its cache entry, or NULL */
    int64_t *docnos;          /* the candidates the cache lacks */
    ix_docs *batch;           /* their rows, read at once */
    tsr_word *B;              /* a batch document's words and figures */
    size_t bcap;              /* (buffers reused) */
    tsr_fig *bfig;
    size_t bfcap;
    sg_model sm;              /* significance (signif.c): the index's model, */
    sg_text sgt;              /* the text's n-grams and fingerprints (df
                               * filled in by ck_lookup) */
    sg_model smb;             /* the model read the other way: a source's
                               * text against the checked one (not indexed) */
    tsr_params fp;            /* the index's fingerprint parameters */
    sg_work *sw;
    /* the sentence stage (paraphrase ALL): the text split once (ta, when
     * have_ta), and a candidate's marks when the cache does not keep them */
    pp_text ta;
    int have_ta;
    pp_markbuf bm;
    double deadline;          /* CLOCK_MONOTONIC seconds; 0: no limit */
    tsr_result *r;
} ck_check;

static int ck_oom(const ck_check *ck, tsr_error *err)
{
    return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory checking %zu bytes", ck->len);
}

static double ck_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* TSR_ERR_TIMEOUT once the check's deadline has passed (between steps:
 * a step is a few thousand lookups or one candidate's alignment). */
static int ck_in_time(const ck_check *ck, tsr_error *err)
{
    if (ck->deadline > 0 && ck_now() > ck->deadline)
        return tsr_seterr(err, TSR_ERR_TIMEOUT, "the check of %zu bytes ran out of time",
                          ck->len);
    return TSR_OK;
}

/* The significance model of the index and the text's n-grams and
 * fingerprints (signif.c); ck_lookup fills in their document counts. */
static int ck_units(ck_check *ck, tsr_error *err)
{
    ck->fp = *ck->p;
    ix_fingerprint_params(ck->ix, &ck->fp.ngram, &ck->fp.window);
    sg_model_init(&ck->sm, ck->ndocs, ck->p->boilerplate_df, ck->fp.ngram);
    ck->smb = ck->sm;
    ck->smb.b_indexed = 0;
    TSR_FORWARD(sg_text_init(&ck->sgt, ck->A, ck->an, &ck->fp, err));
    ck->sgt.fig = ck->afig;
    ck->sgt.nfig = ck->nafig;
    return TSR_OK;
}

/* The text's words, the empty result, the alignment query and the lookup
 * buffers.  The boilerplate bound is the parameter, else one document in
 * 500 and at least 20. */
static int ck_prepare(ck_check *ck, tsr_error *err)
{
    TSR_FORWARD(tsr_tokenize(ck->text, ck->len, &ck->A, &ck->an, err));
    ck->r = rs_new(ck->len, ck->an);
    if (!ck->r || text_figures(ck->text, ck->A, ck->an, &ck->afig, &ck->afcap, &ck->nafig))
        return ck_oom(ck, err);
    TSR_FORWARD(al_query_init(&ck->q, ck->A, ck->an, ck->p, err));
    const uint64_t ndocs = ck->ndocs = ix_ndocs(ck->ix);
    ck->bdf = ck->p->boilerplate_df > 0 ? (size_t)ck->p->boilerplate_df
                                        : (size_t)(ndocs / 500 > 20 ? ndocs / 500 : 20);
    ck->bp = calloc(ck->an + 1, 1);
    ck->docs = malloc((ck->bdf + 1) * sizeof *ck->docs);
    ck->wk = al_work_new();
    ck->sw = sg_work_new();
    if (!ck->bp || !ck->docs || !ck->wk || !ck->sw) return ck_oom(ck, err);
    return ck_units(ck, err);
}

/* Stage 1, lookup: every n-gram of the text looked up in the postings,
 * prefetched 8 and 16 n-grams ahead; each fingerprint of the text gets
 * its count for the significance model.  An n-gram in more than `bdf`
 * documents marks its words in `bp`; the others' hits go to `hv`, in
 * order of position. */
static int ck_lookup(ck_check *ck, tsr_error *err)
{
    if (ck->an == 0 || ck->ndocs == 0) return TSR_OK;
    int ngram, window;
    ix_fingerprint_params(ck->ix, &ngram, &window);
    const size_t an = ck->an, k = (size_t)ngram, bdf = ck->bdf;
    size_t ng = an >= k ? an - k + 1 : 1;
    /* the n-gram hashes of the significance model (ck_units), or, for a
     * text shorter than one n-gram, the one n-gram of all its words */
    uint64_t short_gram = an >= k ? 0 : fp_ngram_hash(ck->A, an);
    const uint64_t *gh = an >= k ? ck->sgt.gram : &short_gram;
    uint32_t *gdf = an >= k ? malloc(ng * sizeof *gdf) : NULL;
    if (an >= k && !gdf) return ck_oom(ck, err);
    int rc = TSR_OK;
    for (size_t i = 0; i < ng; i++) {
        if ((i & 4095) == 4095 && (rc = ck_in_time(ck, err)) != TSR_OK) break;
        if (i + 16 < ng) ix_prefetch(ck->ix, gh[i + 16], 0);
        if (i + 8 < ng) ix_prefetch(ck->ix, gh[i + 8], 1);
        uint64_t h = gh[i];
        size_t df = ix_lookup(ck->ix, h, ck->docs, bdf + 1);
        if (gdf) gdf[i] = df > UINT32_MAX ? UINT32_MAX : (uint32_t)df;
        if (df > bdf) {
            for (size_t j = i; j < i + k && j < an; j++) ck->bp[j] = 1;
            continue;
        }
        if (tsr_vec_reserve(&ck->hv, df)) { rc = ck_oom(ck, err); break; }
        for (size_t j = 0; j < df; j++)
            ck->hv.a[ck->hv.n++] = (ck_hit){ ck->docs[j], (uint32_t)i };
    }
    /* each fingerprint's count, for the significance model */
    for (size_t u = 0; gdf && rc == TSR_OK && u < ck->sgt.nu; u++)
        ck->sgt.u[u].df = gdf[ck->sgt.u[u].pos];
    free(gdf);
    return rc;
}

/* Stage 1, candidates: the documents with at least min_shared hits, the
 * hits sorted by document (stable: each document's hits stay in order of
 * position) and counted; ordered by hits, most first, then number; when
 * more than max_candidates qualify, chosen for diversity (select_diverse). */
static int ck_candidates(ck_check *ck, tsr_error *err)
{
    const ck_hits *hv = &ck->hv;
    if (sort_hits(&ck->hv)) return ck_oom(ck, err);
    ck_cand *cand = ck->cand = malloc((hv->n + 1) * sizeof *cand);
    if (!cand) return ck_oom(ck, err);
    size_t nc = 0;
    uint32_t maxh = 0;
    for (size_t x = 0; x < hv->n;) {
        size_t y = x + 1;
        while (y < hv->n && hv->a[y].doc == hv->a[x].doc) y++;
        if (y - x >= (size_t)ck->p->min_shared) {
            cand[nc].doc = hv->a[x].doc;
            cand[nc].hits = (uint32_t)(y - x);
            if (cand[nc].hits > maxh) maxh = cand[nc].hits;
            nc++;
        }
        x = y;
    }
    ck->nc = nc;
    if (sort_cands(cand, nc, maxh)) return ck_oom(ck, err);
    if (nc > (size_t)ck->p->max_candidates &&
        select_diverse(cand, &ck->nc, hv, ck->an, (size_t)ck->p->max_candidates,
                       ck->p->min_shared))
        return ck_oom(ck, err);
    return TSR_OK;
}

/* Stage 2, fetch: each candidate's words from the document cache when it
 * holds them (`held`), else the rows of all the others read at once, in
 * candidate order (`batch`). */
static int ck_fetch(ck_check *ck, tsr_error *err)
{
    ck->cache = ix_cache(ck->ix);
    if (!ck->nc) return TSR_OK;
    ck->held = calloc(ck->nc, sizeof *ck->held);
    ck->docnos = malloc(ck->nc * sizeof *ck->docnos);
    if (!ck->held || !ck->docnos) return ck_oom(ck, err);
    /* the sentence stage needs a document's marks, which an entry cached
     * by a check without it lacks: then its text is read again */
    const int marks = ck->p->paraphrase == TSR_PARAPHRASE_ALL;
    size_t nmiss = 0;
    for (size_t c = 0; c < ck->nc; c++) {
        if (ck->cache)
            ck->held[c] = dc_get(ck->cache, ck->cand[c].doc, marks);
        if (!ck->held[c])
            ck->docnos[nmiss++] = ck->cand[c].doc;
    }
    int rc = TSR_OK;
    if (nmiss && (rc = ix_docs_fetch(ck->ix, ck->docnos, nmiss, &ck->batch, err))) {
        if (rc == TSR_ERR_NOTFOUND)
            rc = tsr_preferr(err, TSR_ERR_CORRUPT,
                             "postings name a document that the catalog lacks");
    }
    return rc;
}

/* Candidate c's words when the cache lacked them: the batch's i-th text
 * decompressed (*btext, valid until the next call) and tokenized into
 * `B`, then offered to the cache (held[c] when it takes them: then `*d` is
 * the cache's entry). */
static int ck_doc_words(ck_check *ck, size_t c, size_t i, dc_doc *d, const char **btext,
                        tsr_error *err)
{
    const ix_docmeta *m = ix_docs_meta(ck->batch, i);
    size_t blen, bn = 0;
    TSR_FORWARD(ix_docs_text(ck->batch, i, btext, &blen, err));
    TSR_FORWARD(text_words(*btext, blen, &ck->B, &ck->bcap, &bn, err));
    size_t nfig = 0;
    if (text_figures(*btext, ck->B, bn, &ck->bfig, &ck->bfcap, &nfig)) return ck_oom(ck, err);
    const int marks = ck->p->paraphrase == TSR_PARAPHRASE_ALL;
    if (marks && pp_markbuf_fill(&ck->bm, *btext, ck->B, bn)) return ck_oom(ck, err);
    *d = (dc_doc){ m->docno, ck->B, bn, m->text_len, m->id, m->title, m->date, m->series,
                   ck->bfig, nfig, marks ? ck->bm.term : NULL, marks ? ck->bm.cut : NULL };
    if (ck->cache && (ck->held[c] = dc_put(ck->cache, d)))
        *d = *ck->held[c];   /* with marks when d has them (dc_put) */
    return TSR_OK;
}

/* The sentence stage on candidate d (its words' marks with it), after the
 * aligner: the text is split once per check; a candidate the aligner left
 * empty is first tested from its marks (pp_may_pair) and split only when
 * the stage may find something there, as in discovery (paraphrase.c,
 * "Ruling pairs out"). */
static int ck_sentences(ck_check *ck, const dc_doc *d, tsr_error *err)
{
    if (!ck->have_ta) {
        TSR_FORWARD(pp_text_init(&ck->ta, ck->text, ck->A, ck->an, err));
        ck->have_ta = 1;
    }
    if (!ck->ps.n) {
        const int may = pp_may_pair(&ck->ta, ck->A, d->w, d->term, d->cut, d->n);
        if (may < 0) return ck_oom(ck, err);
        if (!may) return TSR_OK;
    }
    pp_text tb;
    TSR_FORWARD(pp_text_build(&tb, d->term, d->cut, d->n, err));
    ck->ta.fig = ck->afig;
    ck->ta.nfig = ck->nafig;
    tb.fig = d->fig;
    tb.nfig = d->nfig;
    const int rc = pp_align_texts(&ck->ta, &tb, ck->A, ck->an, d->w, d->n, ck->p, ck->wk,
                                  &ck->ps, err);
    pp_text_free(&tb);
    return rc;
}

/* Stage 2, alignment: each candidate aligned with the text as tsr_align
 * would (with the sentence stage when paraphrase is TSR_PARAPHRASE_ALL:
 * then every candidate comes with its words' marks, from the cache or
 * made from its text), its passages judged against the index (sg_judge: the E-value read
 * both ways, the cut of max_evalue); one that keeps passages becomes a source of the
 * result.  Then the passages another source explains better go
 * (rs_explain_away). */
static int ck_align_sources(ck_check *ck, tsr_error *err)
{
    for (size_t c = 0, miss = 0; c < ck->nc; c++) {
        TSR_FORWARD(ck_in_time(ck, err));
        dc_doc d;
        const char *btext = NULL;
        if (ck->held[c])
            d = *ck->held[c];
        else
            TSR_FORWARD(ck_doc_words(ck, c, miss++, &d, &btext, err));
        ck->ps.n = 0;
        TSR_FORWARD(al_align(&ck->q, d.w, d.n, ck->p, AL_BRIEF, ck->wk, &ck->ps, err));
        if (ck->p->paraphrase == TSR_PARAPHRASE_ALL && d.n)
            TSR_FORWARD(ck_sentences(ck, &d, err));
        if (ck->ps.n)
            TSR_FORWARD(sg_judge(&ck->sm, &ck->sgt, 0, &ck->smb, d.w, d.n, d.fig, d.nfig,
                                 &ck->fp, ix_count, ck->ix, ck->p->max_evalue, &ck->ps, ck->sw,
                                 err));
        if (ck->ps.n) {
            size_t src;
            if (rs_add_source(ck->r, d.id, d.title, d.date, d.series, d.docno, &src) ||
                rs_add_passages(ck->r, &ck->ps, ck->A, d.w, src))
                return ck_oom(ck, err);
        }
    }
    rs_explain_away(ck->r);
    return TSR_OK;
}

/* Stage 3: passages repeated inside the text, the boilerplate lines, and
 * the result's summary (rs_finish). */
static int ck_finish(ck_check *ck, tsr_error *err)
{
    ck->ps.n = 0;
    TSR_FORWARD(al_align(&ck->q, ck->A, ck->an, ck->p, AL_SELF, ck->wk, &ck->ps, err));
    if (rs_add_repeats(ck->r, &ck->ps, ck->A) ||
        mark_boilerplate(ck->r, ck->text, ck->len, ck->A, ck->an, ck->bp) ||
        rs_finish(ck->r))
        return ck_oom(ck, err);
    return TSR_OK;
}

static void ck_free(ck_check *ck)
{
    tsr_result_free(ck->r);
    for (size_t c = 0; ck->held && c < ck->nc; c++)
        dc_release(ck->cache, ck->held[c]);
    free(ck->held);
    ix_docs_free(ck->batch);
    al_work_free(ck->wk);
    sg_work_free(ck->sw);
    sg_text_free(&ck->sgt);
    free(ck->docnos);
    al_query_free(&ck->q);
    tsr_vec_free(&ck->ps);
    tsr_vec_free(&ck->hv);
    free(ck->cand);
    free(ck->bp);
    free(ck->docs);
    free(ck->A);
    free(ck->B);
    free(ck->bfig);
    free(ck->afig);
    pp_text_free(&ck->ta);
    pp_markbuf_free(&ck->bm);
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

int tsr_index_check(tsr_index *ix, const char *text, size_t len,
                    const tsr_params *p, tsr_result **out, tsr_error *err)
{
    return tsr_index_check_timed(ix, text, len, p, 0, out, err);
}

int tsr_index_check_timed(tsr_index *ix, const char *text, size_t len, const tsr_params *p,
                          double seconds, tsr_result **out, tsr_error *err)
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

    ck_check ck;
    memset(&ck, 0, sizeof ck);
    ck.ix = ix;
    ck.p = p;
    ck.text = text;
    ck.len = len;
    ck.deadline = seconds > 0 ? ck_now() + seconds : 0;
    rc = ck_prepare(&ck, err);
    if (rc == TSR_OK) rc = ck_lookup(&ck, err);           /* 1. candidates */
    if (rc == TSR_OK) rc = ck_candidates(&ck, err);
    if (rc == TSR_OK) rc = ck_fetch(&ck, err);            /* 2. alignment */
    if (rc == TSR_OK) rc = ck_align_sources(&ck, err);
    if (rc == TSR_OK) rc = ck_in_time(&ck, err);
    if (rc == TSR_OK) rc = ck_finish(&ck, err);           /* 3. repeats, boilerplate */
    if (rc == TSR_OK) rc = ix_segments_sound(ix, err);    /* no chunk read was damaged */
    if (rc == TSR_OK) {
        *out = ck.r;
        ck.r = NULL;
    }
    ck_free(&ck);
    return rc;
}
