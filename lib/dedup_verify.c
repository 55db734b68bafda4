/*
 * dedup_verify.c - the measures that verify a candidate pair of near
 * duplicates from the two texts (tsr_dedup_verify, tsr_dedup_measure,
 * tsr_index_near_duplicate).
 *
 * Why not Jaccard.  Jaccard on word 5-shingles is what MinHash estimates,
 * and it is a poor judge of an edited copy: every changed word breaks up
 * to five shingles, so a copy with 5% of its words edited keeps only
 * about three quarters of them, and one that also lost a paragraph falls
 * far below 0.8.  What a reader calls a duplicate is a text that the
 * other one holds: a measure of the shorter text's share in the longer.
 *
 * Both work on compact forms (tsr_dedup_prepare; minhash.h), made in the
 * pass that computes the signatures and read back from the corpus's spool
 * file, so that verification never tokenizes a text: for aligned, per
 * word 16 bits of its hash (2 bytes a word); for containment, the sorted
 * 32-bit hashes of the distinct 3-grams (about 4 bytes a word), so that a
 * pair costs one merge; for both, the sorted hashes of the figures.  16
 * bits tell words apart well enough: two different words agree by chance
 * once in 65,536, a 3-gram of them once in 2.8e14; two 3-gram hashes once
 * in 4e9.
 *
 * Aligned (TSR_MEASURE_ALIGNED).  The shorter text is the query of the
 * aligner (align.c, the stages of tsr_align), the longer one its source.
 * Inside each passage found, a word of the shorter text counts as matched
 * when it lies in a run of at least DV_GRAM words that the passage's span
 * of the other text also holds (a word 3-gram of one span found in the
 * other).  The score is the matched share of the shorter text.  Word
 * edits cost only the runs they break, a dropped paragraph or an added
 * byline only its own words (the paragraph is not in the shorter text;
 * the byline is a few words of it).
 *
 * Templates.  Two instances of one template ("The Federal Reserve entered
 * the U.S. Government securities market to arrange 1.5 billion dlrs of
 * customer repurchase agreements ... Federal funds were trading at 6-3/8
 * pct") hold the same phrases and differ in their slots: figures and
 * names.  Runs of three words already leave out slots packed close
 * together (earnings tables: "Oper shr 35 cts vs 34 cts"), but in prose
 * templates the phrases between slots are long, and 95% of the words may
 * match.  What tells the instances apart is their figures, which a copy
 * keeps.  Figures are numbers as written: words that start or end with a
 * digit, joined by . , / - or :, so that "0.50" and "51.00" are two
 * figures, not four
 * pieces of which three recur in "1.00" and "51.50".  The figure share is
 * (f' + 1) / (f + 1) for f figures of which f' are found (as a multiset)
 * in the other text: a text without figures has 1; one figure of two
 * differing gives 2/3.  Both measures are the smaller of their word share
 * and this figure share.  Only the shorter text's figures are counted (a
 * copy that dropped a paragraph lost its figures too; between two texts
 * of one length, the smaller of the two ways counts): so a shorter text
 * that spells a figure out ("trading at six pct") passes as a copy of one
 * that gives another ("trading at 6-3/8 pct").  Counting the longer text's
 * figures inside the passages too would catch that, and costs about 1%
 * of the edited copies of EVAL.md, which lose a figure to a word edit.
 * Names are left to the runs.
 *
 * The aligner runs with tsr_align's defaults (tsr_params_default), except
 * that a passage may be as short as half the shorter text when that has
 * fewer than 30 words (4 words at least), that there is no significance
 * cut (no corpus statistics
 * here), and that there are no rare-word seeds: a long word shared once is
 * evidence of reworded reuse, but two instances of a template share their
 * long words ("eurobond", "concession") too.
 *
 * Containment (TSR_MEASURE_CONTAINMENT).  The share of the shorter text's
 * distinct word 3-grams that the other holds, wherever they are (a merge
 * of the two sorted hash lists), and the figure share as above.  No
 * aligner, no order, no neighbourhood: cheaper, and a little less strict.
 *
 * Bounds.  In verification (dv_score's `bound`), a pair is decided without
 * the aligner when a cheap bound already puts it below the threshold: the
 * figure share, then the share of the shorter text's words in 3-grams the
 * longer holds anywhere (the aligned words are among them).
 *
 * Jaccard (TSR_MEASURE_JACCARD, for tsr_dedup_measure only): the exact
 * Jaccard of the sets of word `shingle`-grams (64-bit hashes), which the
 * signatures estimate; no figure share.
 *
 * Edge cases.  Texts with the same words (after normalization) score 1;
 * a text without words scores 0 with anything.  A text shorter than 3
 * words has one "3-gram" of all its words (as mh_shingles does), so two
 * short texts contain each other only when equal; the aligner finds no
 * run in it (no seed fits), so its aligned score is 0 unless equal.
 */
#include "common/common.h"
#include "align.h"
#include "minhash.h"
#include "fingerprint.h"

/* Words per n-gram: the run length that counts as matched (aligned) and
 * the n-grams of containment; the aligner's seed length. */
#define DV_GRAM 3
/* The aligner's shortest passage, in words, for texts of twice this many
 * words or more (tsr_params_default's). */
#define DV_MIN_WORDS 15

struct dv_work {
    al_work *al;
    al_query q;               /* the shorter text's, its room kept from pair to pair */
    al_passages ps;
    TSR_VEC(tsr_word) wa, wb; /* the two texts' words, for the aligner */
    uint64_t *set;            /* hash set of one span's 3-grams (dv_mark) */
    size_t setcap;
    TSR_VEC(uint8_t) hit;     /* per word of the shorter text: matched */
};

dv_work *dv_work_new(void)
{
    dv_work *w = calloc(1, sizeof *w);
    if (w && !(w->al = al_work_new())) { free(w); w = NULL; }
    return w;
}

void dv_work_free(dv_work *w)
{
    if (!w) return;
    al_work_free(w->al);
    al_query_free(&w->q);
    tsr_vec_free(&w->ps);
    tsr_vec_free(&w->wa);
    tsr_vec_free(&w->wb);
    free(w->set);
    tsr_vec_free(&w->hit);
    free(w);
}

void dv_text_free(dv_text *t)
{
    if (!t) return;
    memset(t, 0, sizeof *t);
}

size_t dv_size(const void *pack, size_t len, int measure)
{
    uint32_t head[3];
    if (len < DV_PACK_HEAD)
        return 0;
    memcpy(head, pack, sizeof head);
    return DV_PACK_HEAD + 2 * (size_t)head[2] +
           (measure == TSR_MEASURE_CONTAINMENT ? 4 * (size_t)head[1] : 2 * (size_t)head[0]);
}

int dv_check(const void *pack, size_t len, int measure)
{
    uint32_t head[3];
    if (!pack || len < DV_PACK_HEAD)
        return 0;
    memcpy(head, pack, sizeof head);
    if (head[2] > head[0])
        return 0;
    if (measure == TSR_MEASURE_CONTAINMENT)
        return len == DV_PACK_HEAD + 4 * (size_t)head[1] + 2 * (size_t)head[2] &&
               head[1] <= head[0];
    return len == DV_PACK_HEAD + 2 * (size_t)head[0] + 2 * (size_t)head[2] && !head[1];
}

int dv_load(dv_text *t, const void *pack, size_t len, const tsr_dedup_opts *o,
            tsr_error *err)
{
    uint32_t head[3];
    if (!dv_check(pack, len, o->measure))
        return tsr_seterr(err, TSR_ERR_FORMAT, "not a compact form of %s (%zu bytes)",
                          tsr_measure_name(o->measure), len);
    memcpy(head, pack, sizeof head);
    const unsigned char *body = (const unsigned char *)pack + DV_PACK_HEAD;
    t->n = head[0];
    t->nf = head[2];
    if (o->measure == TSR_MEASURE_CONTAINMENT) {
        t->v = NULL;
        t->g = (const uint32_t *)(const void *)body;
        t->ng = head[1];
        t->f = (const uint16_t *)(const void *)(body + 4 * (size_t)head[1]);
    } else {
        t->v = (const uint16_t *)(const void *)body;
        t->g = NULL;
        t->ng = 0;
        t->f = t->v + t->n;
    }
    return TSR_OK;
}

static int dv_same(const dv_text *a, const dv_text *b)
{
    if (a->n != b->n || a->nf != b->nf || memcmp(a->f, b->f, a->nf * sizeof *a->f)) return 0;
    if (a->v) return !memcmp(a->v, b->v, a->n * sizeof *a->v);
    return a->ng == b->ng && !memcmp(a->g, b->g, a->ng * sizeof *a->g);
}

/* Containment of a's 3-grams in b's (both sorted, unique). */
static double dv_containment(const dv_text *a, const dv_text *b)
{
    size_t i = 0, j = 0, c = 0;
    while (i < a->ng && j < b->ng) {
        if (a->g[i] < b->g[j]) i++;
        else if (b->g[j] < a->g[i]) j++;
        else { c++; i++; j++; }
    }
    return a->ng ? (double)c / (double)a->ng : 0.0;
}

/* How many of the sorted figures a[0, na) the sorted b[0, nb) holds (a
 * merge of two multisets). */
static size_t dv_found(const uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
    size_t i = 0, j = 0, c = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) i++;
        else if (b[j] < a[i]) j++;
        else { c++; i++; j++; }
    }
    return c;
}

/* The figure share of a in b: (f' + 1) / (f + 1) for the f figures of a,
 * f' of them found in b. */
static double dv_figures(const dv_text *a, const dv_text *b)
{
    return (double)(dv_found(a->f, a->nf, b->f, b->nf) + 1) / (double)(a->nf + 1);
}

/* Words for the aligner from a compact form: the 16-bit value spread over
 * 64 bits; no byte offsets (they serve only rare-word seeds, off here:
 * al_query.no_rare). */
static int dv_words(const dv_text *t, void *vec)
{
    TSR_VEC(tsr_word) *v = vec;
    if (tsr_vec_reserve(v, t->n)) return -1;
    for (size_t i = 0; i < t->n; i++) {
        v->a[i].hash = ((uint64_t)t->v[i] + 1) * 0x9E3779B97F4A7C15ull;
        v->a[i].begin = v->a[i].end = 0;
    }
    v->n = t->n;
    return 0;
}

/* The 3-gram at v[i] exactly (three 16-bit values side by side), with
 * bit 63 set so that no key is 0 (an empty slot). */
static inline uint64_t dv_key3(const uint16_t *v, size_t i)
{
    return 1ull << 63 | (uint64_t)v[i] << 32 | (uint64_t)v[i + 1] << 16 | v[i + 2];
}

/* hit[i] := 1 for the words of a[lo, hi) in a 3-gram that b[blo, bhi)
 * holds (a hash set of b's); -1 when out of memory. */
static int dv_mark(const dv_text *a, size_t lo, size_t hi, const dv_text *b, size_t blo,
                   size_t bhi, dv_work *w)
{
    if (hi - lo < DV_GRAM || bhi - blo < DV_GRAM)
        return 0;
    const size_t nb = bhi - blo - DV_GRAM + 1;
    size_t cap = 64;
    int bits = 6;
    while (cap < 2 * nb) { cap <<= 1; bits++; }
    if (cap > w->setcap) {
        uint64_t *t = realloc(w->set, cap * sizeof *t);
        if (!t) return -1;
        w->set = t;
        w->setcap = cap;
    }
    uint64_t *set = w->set;
    memset(set, 0, cap * sizeof *set);
    const size_t mask = cap - 1;
    for (size_t j = blo; j + DV_GRAM <= bhi; j++) {
        const uint64_t k = dv_key3(b->v, j);
        size_t sl = (size_t)((k * 0x9E3779B97F4A7C15ull) >> (64 - bits));
        while (set[sl] && set[sl] != k) sl = (sl + 1) & mask;
        set[sl] = k;
    }
    for (size_t i = lo; i + DV_GRAM <= hi; i++) {
        const uint64_t k = dv_key3(a->v, i);
        size_t sl = (size_t)((k * 0x9E3779B97F4A7C15ull) >> (64 - bits));
        while (set[sl] && set[sl] != k) sl = (sl + 1) & mask;
        if (set[sl]) memset(w->hit.a + i, 1, DV_GRAM);
    }
    return 0;
}

static size_t dv_hits(const dv_work *w, size_t n)
{
    size_t got = 0;
    for (size_t i = 0; i < n; i++) got += w->hit.a[i];
    return got;
}

/* The share of a's words in 3-grams that b holds anywhere: a bound on the
 * aligned share, cheap; -1 when out of memory. */
static double dv_covered(const dv_text *a, const dv_text *b, dv_work *w)
{
    if (tsr_vec_reserve(&w->hit, a->n)) return -1.0;
    memset(w->hit.a, 0, a->n);
    if (dv_mark(a, 0, a->n, b, 0, b->n, w)) return -1.0;
    return (double)dv_hits(w, a->n) / (double)a->n;
}

/* The aligned share of the shorter text a in b; -1 when out of memory. */
static double dv_aligned(const dv_text *a, const dv_text *b, dv_work *w)
{
    if (dv_words(a, &w->wa) || dv_words(b, &w->wb) || tsr_vec_reserve(&w->hit, a->n))
        return -1.0;
    tsr_params p;
    tsr_params_default(&p);
    /* a short text: passages of half of it (so that a copy of 15 words
     * with one changed still has one); DV_GRAM + 1, the longest chance
     * run, at least */
    if (a->n < 2 * DV_MIN_WORDS) {
        const size_t half = a->n / 2 > DV_GRAM + 1 ? a->n / 2 : DV_GRAM + 1;
        p.min_words = (int)(half < a->n ? half : a->n);
    }
    p.max_evalue = 0.0;
    /* the query's arrays kept for the next pair (al_query_reset): made
     * new for each pair, they were 11 allocations and frees a pair */
    al_query *q = &w->q;
    /* no rare-word seeds (see the top): none could come anyway, the words
     * having no byte offsets (dv_words) and so none long, but the flag
     * spares the two passes that would look for them; set each time, as a
     * reset that runs out of memory clears the query */
    q->no_rare = 1;
    if (al_query_reset(q, w->wa.a, a->n, &p, NULL) != TSR_OK)
        return -1.0;
    w->ps.n = 0;
    int rc = al_align(q, w->wb.a, b->n, &p, 0, w->al, &w->ps, NULL);
    if (rc != TSR_OK)
        return -1.0;
    memset(w->hit.a, 0, a->n);
    for (size_t x = 0; x < w->ps.n; x++) {
        const al_passage *ps = &w->ps.a[x];
        if (dv_mark(a, ps->a_lo, ps->a_hi, b, ps->b_lo, ps->b_hi, w)) return -1.0;
    }
    return (double)dv_hits(w, a->n) / (double)a->n;
}

double dv_score(const dv_text *a, const dv_text *b, const tsr_dedup_opts *o, dv_work *w,
                int bound)
{
    if (a->n == 0 || b->n == 0)
        return 0.0;
    if (dv_same(a, b))
        return 1.0;
    /* the shorter text x: fewer words (aligned), fewer 3-grams
     * (containment); between two of one length, the figure share is the
     * smaller of the two ways */
    const int al = o->measure == TSR_MEASURE_ALIGNED;
    const int swap = al ? a->n > b->n : a->ng > b->ng;
    const int tie = al ? a->n == b->n : a->ng == b->ng;
    const dv_text *x = swap ? b : a, *y = swap ? a : b;
    double f = dv_figures(x, y);
    if (tie) {
        const double f2 = dv_figures(y, x);
        if (f2 < f) f = f2;
    }
    if (bound && f < o->threshold)
        return f;
    double s;
    if (al) {
        /* the aligned words lie in 3-grams of y: when those are too few,
         * the aligner has nothing to find */
        s = bound ? dv_covered(x, y, w) : 1.0;
        if (s >= o->threshold)
            s = dv_aligned(x, y, w);
    } else {
        s = dv_containment(x, y);
    }
    if (s < 0)
        return -1.0;
    return s < f ? s : f;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* The sorted distinct shingle hashes of a text (Jaccard), malloc'ed. */
static int dv_shingles(const char *text, size_t len, int k, uint64_t **out, size_t *n,
                       tsr_error *err)
{
    tsr_word *w = NULL;
    size_t nw = 0;
    *out = NULL;
    *n = 0;
    TSR_FORWARD(tsr_tokenize(text, len, &w, &nw, err));
    if (nw == 0) return TSR_OK;
    const size_t kk = nw >= (size_t)k ? (size_t)k : nw;
    const size_t ng = nw - kk + 1;
    uint64_t *g = malloc(ng * sizeof *g);
    if (!g) { tsr_free(w); TSR_CHECK_ALLOC(NULL, err); }
    for (size_t i = 0; i < ng; i++) g[i] = fp_ngram_hash(w + i, kk);
    tsr_free(w);
    qsort(g, ng, sizeof *g, cmp_u64);
    size_t u = 1;
    for (size_t i = 1; i < ng; i++)
        if (g[i] != g[u - 1]) g[u++] = g[i];
    *out = g;
    *n = u;
    return TSR_OK;
}

static int dv_jaccard_texts(const char *a, size_t alen, const char *b, size_t blen, int k,
                            double *score, tsr_error *err)
{
    uint64_t *ga = NULL, *gb = NULL;
    size_t na = 0, nb = 0;
    int rc = dv_shingles(a, alen, k, &ga, &na, err);
    if (rc == TSR_OK) rc = dv_shingles(b, blen, k, &gb, &nb, err);
    if (rc == TSR_OK && na && nb) {
        size_t i = 0, j = 0, c = 0;
        while (i < na && j < nb) {
            if (ga[i] < gb[j]) i++;
            else if (gb[j] < ga[i]) j++;
            else { c++; i++; j++; }
        }
        *score = (double)c / (double)(na + nb - c);
    }
    free(ga);
    free(gb);
    return rc;
}

/* The compact form of a text for o->measure, malloc'ed. */
static int dv_pack_text(const char *text, size_t len, const tsr_dedup_opts *o, void **pack,
                        size_t *plen, tsr_error *err)
{
    *pack = NULL;
    tsr_word *w = NULL;
    size_t n = 0;
    TSR_FORWARD(tsr_tokenize(text, len, &w, &n, err));
    *pack = malloc(tsr_dedup_pack_bound(len));
    int rc = *pack ? mh_pack(text, w, n, o->measure, *pack, plen) : TSR_ERR_NOMEM;
    tsr_free(w);
    if (rc != TSR_OK) TSR_CHECK_ALLOC(NULL, err);
    return TSR_OK;
}

int dv_score_texts(const char *a, size_t alen, const char *b, size_t blen,
                   const tsr_dedup_opts *o, double *score, tsr_error *err)
{
    *score = 0.0;
    if (o->measure == TSR_MEASURE_JACCARD)
        return dv_jaccard_texts(a, alen, b, blen, o->shingle, score, err);
    void *pa = NULL, *pb = NULL;
    size_t la = 0, lb = 0;
    dv_text ta = { 0 }, tb = { 0 };
    dv_work *w = dv_work_new();
    int rc = w ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory scoring a pair");
    if (rc == TSR_OK) rc = dv_pack_text(a, alen, o, &pa, &la, err);
    if (rc == TSR_OK) rc = dv_pack_text(b, blen, o, &pb, &lb, err);
    if (rc == TSR_OK) rc = dv_load(&ta, pa, la, o, err);
    if (rc == TSR_OK) rc = dv_load(&tb, pb, lb, o, err);
    if (rc == TSR_OK) {
        double s = dv_score(&ta, &tb, o, w, 0);
        if (s < 0) rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory scoring a pair");
        else *score = s;
    }
    dv_text_free(&ta);
    dv_text_free(&tb);
    dv_work_free(w);
    free(pa);
    free(pb);
    return rc;
}

int tsr_dedup_measure(const char *a, size_t alen, const char *b, size_t blen,
                      const tsr_dedup_opts *o, double *score, tsr_error *err)
{
    tsr_dedup_opts def;
    if (!o) { tsr_dedup_opts_default(&def); o = &def; }
    *score = 0.0;
    TSR_FORWARD(tsr_dedup_opts_validate(o, err));
    return dv_score_texts(a, alen, b, blen, o, score, err);
}
