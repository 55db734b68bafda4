/*
 * signif.c - the E-value of a passage: how many passages this strong a
 * search of this corpus would turn up by chance.
 *
 * Why.  Wire copy is full of formulas ("said its February load factor
 * slipped to ... from ... a year earlier", "Oper shr ... vs ...", "will be
 * listed in Luxembourg").  Two unrelated items written on one template
 * share many words in order, and the aligner, which sees words only, pairs
 * them at similarity 0.5-0.8.  What tells a copy from a look-alike is not
 * how many words the two spans share but which: a look-alike shares the
 * template (phrases that hundreds of documents hold) and differs in what
 * is specific to each item (names, figures, dates); a copy shares the
 * specific words too.  BLAST answers the same question for sequences with
 * the E-value of an alignment, from the statistics of its database; a text
 * index knows the document frequency of every fingerprint, and that is
 * what this model uses.
 *
 * How it works.
 * 1. Units.  The evidence of a passage A[a_lo,a_hi) ~ B[b_lo,b_hi) is its
 *    n-grams (n = the index's n-gram length): each n-gram of A's span is
 *    shared when B's span holds it too.  The index counts documents for
 *    its winnowed fingerprints only (fingerprint.c), so each n-gram takes
 *    the document frequency of A's fingerprint that governs it: the last
 *    one at or before it, at most window - 1 n-grams back, which holds
 *    the same stretch of words.  (Units are those fingerprints, sg_units.)
 * 2. Information.  A unit held by df documents other than A and B is worth
 *        w = log2(d0 / (df + 1)) bits, and nothing when df + 1 >= d0,
 *    where d0 is the corpus's boilerplate level (tsr_params.boilerplate_df,
 *    by default max(20, documents / 500)): an n-gram that many documents
 *    hold is a formula and says nothing about where a text came from
 *    (BLAST masks low-complexity sequence the same way; passim drops
 *    n-grams above a document frequency of 100).  Below it, the rarer the
 *    n-gram, the more it says.
 * 3. Net evidence.  Z = S - LAMBDA * U bits, where S sums the information
 *    of the shared n-grams and U that of those B does not hold, each in
 *    proportion to its words that B's span lacks: text of A's span that is
 *    specific (rare) and yet missing from B says that B is not where it
 *    came from, which is exactly the case of a look-alike (same template,
 *    different specifics).  Copies edited at rate e keep about (1 - e)^n of
 *    their n-grams (0.5 at e = 0.15, n = 4), but a replaced word is one
 *    word missing, not n: counted whole, the n-grams it breaks made a
 *    reworded copy (PAN's obfuscations, a rewritten wire story) look like a
 *    look-alike, whose specifics are missing word for word.  An n-gram
 *    whose words B holds in another order counts nothing against.
 *    LAMBDA sets the balance (0.6; measured in EVAL.md, section 4).
 * 4. E-value.  Under the null hypothesis that A and B share no source,
 *    each shared n-gram is a chance event of probability about 2^-w, so a
 *    passage with net evidence Z arises by chance about 2^-Z times per
 *    document compared, and
 *        E = N * 2^-Z
 *    over a search of N documents (check: the index; discover: the index,
 *    per document, as BLAST counts E per query; align: one pair, N = 1).
 *    Overlapping n-grams are not independent (a copied run of L words
 *    shares L - n + 1 of them), so Z overstates the evidence of long
 *    passages; the cut is a level, set where the evaluations (EVAL.md) put
 *    it, not a probability to be read literally.  A passage with
 *    E <= tsr_params.max_evalue is reported when that is above 0; the
 *    default, 10 (with the figures of step 7 weighed; 1 before them), is
 *    a few passages expected by chance in the whole search.  In check the
 *    cut costs no planted passage of the stitched articles and halves the
 *    false sources; in discovery it keeps template look-alikes out (pair
 *    precision 0.46 -> 0.84 on planted news) and costs heavily reworded
 *    reuse (PAN as discovery 0.855 -> 0.795): EVAL.md, section 4.
 *    The sentence stage's passages (kind paraphrase) share terms out of
 *    order, not n-grams; they are not cut (sg_cut), their E-value is
 *    reported.
 * 5. Copies.  The rarest shared n-gram's document count is a floor of how
 *    many documents hold the passage itself; shared n-grams are counted
 *    above it, so that a story reprinted 30 times is not a formula.  Not
 *    when the two spans' figures differ (step 7): reprints keep their
 *    figures, and ten items on one template, whose shared n-grams ten
 *    documents hold, are no ten copies of one text.
 * 6. Both ways.  The model reads A's n-grams; A's own edits (a reworded
 *    copy's substituted words, rare by construction) count against it.
 *    Either side of a pair may be the copy, so a passage's E-value is the
 *    smaller of the two readings, A against B and B against A
 *    (sg_filter2; check reads the source against the checked text with
 *    a model whose B, the checked text, is not indexed).  The second
 *    reading is made only where the first is above SG_BOTH_WAYS (1e-6):
 *    a passage that strong is significant either way, and the second
 *    reading costs lookups of the source's fingerprints.
 * 7. Figures.  Two items written on one template share its phrases and
 *    differ in their slots, and the slots are mostly figures ("rose 11
 *    pct to 221.0 mln dlrs from 199.5 mln dlrs", "Qtly div three cts vs
 *    three cts prior Pay July 31 Record July 15"); a copy keeps its
 *    figures, and rewording (PAN's obfuscations, a rewritten story) keeps
 *    them too.  The n-grams above count a differing figure as one of four
 *    words missing, which a template's many shared phrases outweigh.  So
 *    each figure (common.h: numbers as written, "6-3/8" is one) that one
 *    span holds and the other lacks, counted once however often it
 *    occurs, takes SG_FIG_BITS (5) bits more off the net evidence: it
 *    multiplies E by 32; and the passage is read without step 5's floor
 *    of copies.  With the figures weighed, the default cut is 10
 *    (BLAST's default expect value too) instead of 1: on planted news
 *    (EVAL.md, section 4) pair precision 0.797 -> 0.842 at recall 0.9887
 *    -> 0.9893 (one planted pair more), PAN as discovery 0.7939 -> 0.7954,
 *    the stitched articles unchanged.  (5 bits: 3.3 gave 0.829 and 0.798,
 *    6.6 gave 0.846 and 0.793, before the floor rule.)  Without a corpus (align of one
 *    pair) figures are not weighed, as nothing counts against there.
 *
 * 8. Brief passages.  A passage shorter than tsr_params.min_words that the
 *    aligner reports in check and discovery (align.c, stage 10: down to
 *    two thirds of min_words, and only as all the aligner finds in a pair)
 *    is kept only when E <= SG_BRIEF (1e-7) * max_evalue, and never without
 *    a cut.  Length stood in for evidence, and on its own it is poor
 *    evidence both ways: a 14-word sentence of rare words copied whole is
 *    surer than 30 words of a formula.  On planted news (EVAL.md, section 4)
 *    pair recall 0.9893 -> 0.9907 and precision 0.8418 -> 0.8514 (single
 *    sentences of 15 words planted with an edit or two came out below
 *    min_words); 1e-5 gave 0.9927 and 0.8546 but took formula phrases in
 *    check ("filed a registration statement with the Securities and
 *    Exchange Commission", a committee chairman's title) as sources of the
 *    stitched articles (false-source passages 4 -> 10); 1e-7 changes
 *    nothing there.
 *
 * Edge cases.  Document frequencies come from the index's postings, which
 * hold winnowed fingerprints only: an n-gram kept in A's context is kept
 * wherever its context (window + n - 1 words) is the same, which is the
 * case for copies and formulas alike, so the counts are right where they
 * matter and too low (the evidence too strong) elsewhere.  Without an index
 * (tsr_align, one pair) there is no telling a formula from specific text:
 * every df is 0, each n-gram is worth log2(20) bits, nothing counts
 * against (LAMBDA is 0) and E = 2^-S, at most 1: the default cut keeps
 * every passage the aligner finds, and the E-value says how much
 * evidence it rests on (tsr_align reads one way only).  A span too short for any unit has Z = 0 and
 * E = N.
 */
#include "signif.h"
#include "fingerprint.h"
#include <math.h>
#include <stdlib.h>

/* The weight of the missing specific text against the shared (step 3). */
#define SG_LAMBDA 0.6
/* A figure that one span holds and the other lacks (step 7), and the most
 * figures counted (E stays finite: 2^1000 is about 1e301). */
#define SG_FIG_BITS 5.0
#define SG_FIG_MAX 200
/* Marks a word's hash in the set of B's n-grams and words (step 3). */
#define SG_WORD_TAG 0x9E3779B97F4A7C15ull
/* A brief passage's cut, as a share of the cut (step 8). */
#define SG_BRIEF 1e-7
/* The least boilerplate level (as check.c's automatic one). */
#define SG_D0_MIN 20.0
#define SG_D0_DIV 500.0

typedef TSR_VEC(uint64_t) sg_hashes;

/* B's n-grams of one span, as an open-addressing set (keys hash | 1, 0 =
 * empty), cleared after each use through the list of slots taken. */
struct sg_work {
    uint64_t *key;
    uint32_t *used;
    uint32_t mask;
    sg_text b;            /* sg_judge: the other side's text */
    al_passages needy;    /* sg_judge: the passages read the other way */
    TSR_VEC(double) fac;  /* sg_judge: each passage's figure factor */
    sg_hashes fa, fb;     /* sg_fig_factor: the two spans' figures */
};

void sg_model_init(sg_model *m, uint64_t ndocs, int boilerplate_df, int ngram)
{
    double d0 = boilerplate_df > 0 ? (double)boilerplate_df : (double)ndocs / SG_D0_DIV;
    if (d0 < SG_D0_MIN) d0 = SG_D0_MIN;
    m->d0 = d0;
    m->space = ndocs > 0 ? (double)ndocs : 1.0;
    m->ngram = ngram;
    m->b_indexed = ndocs > 0;
    m->lambda = ndocs > 0 ? SG_LAMBDA : 0.0;
}

int sg_text_init(sg_text *t, const tsr_word *w, size_t n, const tsr_params *p,
                 tsr_error *err)
{
    memset(t, 0, sizeof *t);
    t->w = w;
    t->n = n;
    const size_t k = (size_t)p->ngram;
    if (n < k)
        return TSR_OK;
    uint64_t *fp = NULL;
    uint32_t *pos = NULL;
    size_t nf = 0;
    TSR_FORWARD(tsr_fingerprints(w, n, p, &fp, &pos, &nf, err));
    t->ngram_count = n - k + 1;
    t->gram = malloc(t->ngram_count * sizeof *t->gram);
    t->u = malloc((nf + 1) * sizeof *t->u);
    if (!t->gram || !t->u) {
        free(fp); free(pos);
        sg_text_free(t);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < t->ngram_count; i++)
        t->gram[i] = fp_ngram_hash(w + i, k);
    for (size_t i = 0; i < nf; i++)
        t->u[i] = (sg_unit){ fp[i], pos[i], 0 };
    t->nu = nf;
    free(fp);
    free(pos);
    return TSR_OK;
}

void sg_text_free(sg_text *t)
{
    if (!t) return;
    free(t->gram);
    free(t->u);
    memset(t, 0, sizeof *t);
}

sg_work *sg_work_new(void)
{
    return calloc(1, sizeof(sg_work));
}

void sg_work_free(sg_work *w)
{
    if (!w) return;
    free(w->key);
    free(w->used);
    sg_text_free(&w->b);
    tsr_vec_free(&w->needy);
    tsr_vec_free(&w->fac);
    tsr_vec_free(&w->fa);
    tsr_vec_free(&w->fb);
    free(w);
}

/* Room for a set of n keys; 0 or -1. */
static int set_reserve(sg_work *w, size_t n)
{
    uint32_t slots = 64;
    while (slots < 2 * n + 2) slots <<= 1;
    if (w->key && slots - 1 <= w->mask)
        return 0;
    free(w->key);
    free(w->used);
    w->key = calloc(slots, sizeof *w->key);
    w->used = malloc(slots * sizeof *w->used);
    w->mask = w->key && w->used ? slots - 1 : 0;
    return w->mask ? 0 : -1;
}

static inline uint32_t set_slot(const sg_work *w, uint64_t h)
{
    uint32_t s = (uint32_t)(h >> 23) & w->mask;
    while (w->key[s] && w->key[s] != h) s = (s + 1) & w->mask;
    return s;
}

static inline int has_gram(const sg_work *w, uint64_t h)
{
    return w->key[set_slot(w, h | 1)] != 0;
}

double sg_evalue(const sg_model *m, const sg_text *a, const tsr_word *B, uint32_t a_lo,
                 uint32_t a_hi, uint32_t b_lo, uint32_t b_hi, int copies, sg_work *w,
                 double *bits)
{
    const uint32_t k = (uint32_t)m->ngram;
    const sg_unit *u = a->u;
    const size_t nu = a->nu;
    double z = 0.0;
    /* B's n-grams and words in its span, in one set (words tagged) */
    const size_t ng = b_hi >= b_lo + k ? b_hi - b_lo - k + 1 : 0;
    if (set_reserve(w, ng + (b_hi - b_lo)))
        return -1.0;
    size_t nused = 0;
    for (size_t j = 0; j < ng; j++) {
        const uint64_t h = fp_ngram_hash(B + b_lo + j, k) | 1;
        const uint32_t s = set_slot(w, h);
        if (!w->key[s]) { w->key[s] = h; w->used[nused++] = s; }
    }
    for (uint32_t j = b_lo; m->lambda > 0.0 && j < b_hi; j++) {
        const uint64_t h = (B[j].hash ^ SG_WORD_TAG) | 1;
        const uint32_t s = set_slot(w, h);
        if (!w->key[s]) { w->key[s] = h; w->used[nused++] = s; }
    }
    /* the unit that governs the first n-gram of the span: the last one
     * at or before a_lo, else the first */
    size_t lo = 0, hi = nu;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u[mid].pos <= a_lo) lo = mid + 1; else hi = mid;
    }
    const size_t x0 = lo > 0 ? lo - 1 : 0;
    const double ld0 = log2(m->d0);
    /* copies: the rarest shared n-gram's count is a floor of how many
     * documents hold the passage itself (a story reprinted 30 times); the
     * shared n-grams are counted above that floor */
    uint32_t floor_df = UINT32_MAX;
    for (int pass = 0; pass < 2; pass++) {
        size_t x = x0;
        for (uint32_t i = a_lo; nu && i + k <= a_hi; i++) {
            while (x + 1 < nu && u[x + 1].pos <= i) x++;
            const int shared = has_gram(w, a->gram[i]);
            uint32_t df = shared && m->b_indexed && u[x].df > 0 ? u[x].df - 1 : u[x].df;
            if (pass == 0) {
                if (shared && df < floor_df) floor_df = df;
                continue;
            }
            if (shared && copies) df -= floor_df;
            const double wt = ld0 - log2((double)df + 1.0);
            if (wt <= 0.0) continue;
            if (shared) {
                z += wt;
            } else if (m->lambda > 0.0) {
                uint32_t absent = 0;
                for (uint32_t q = i; q < i + k; q++)
                    absent += !has_gram(w, a->w[q].hash ^ SG_WORD_TAG);
                z -= m->lambda * wt * absent / k;
            }
        }
    }
    for (size_t j = 0; j < nused; j++)
        w->key[w->used[j]] = 0;
    if (bits) *bits = z;
    return m->space * exp2(-z);
}

/* Whether the cut drops p (step 4): its E-value is above max_evalue, which
 * is above 0, and its evidence is of the kind the model reads (the sentence
 * stage's passages share terms out of order, not n-grams: their test is
 * paraphrase.c's, and their E-value is reported only).  A brief passage
 * (step 8) needs SG_BRIEF times less, and goes without a cut. */
static int sg_cut(const al_passage *p, double max_evalue)
{
    if (p->brief)
        return !(max_evalue > 0) || p->evalue > max_evalue * SG_BRIEF;
    return max_evalue > 0 && p->evalue > max_evalue && p->kind != TSR_KIND_PARAPHRASE;
}

int sg_filter(const sg_model *m, const sg_text *a, const tsr_word *B, double max_evalue,
              al_passages *ps, sg_work *w)
{
    size_t kept = 0;
    for (size_t i = 0; i < ps->n; i++) {
        al_passage *p = &ps->a[i];
        const double e = sg_evalue(m, a, B, p->a_lo, p->a_hi, p->b_lo, p->b_hi, 1, w, NULL);
        if (e < 0)
            return TSR_ERR_NOMEM;
        p->evalue = e;
        if (sg_cut(p, max_evalue))
            continue;
        ps->a[kept++] = *p;
    }
    ps->n = kept;
    return TSR_OK;
}

/* Fill in the counts of t's units that the passages' spans on t's side
 * need (side 0: a_lo/a_hi, 1: b_lo/b_hi; the unit before each span too),
 * those still unknown (UINT32_MAX): df(ctx, hash) documents, less `self`
 * (1 when t's own document is indexed).  t starts at word `off` of the
 * side's text. */
static void sg_text_counts(sg_text *t, const al_passages *ps, int side, uint32_t off,
                    sg_count_fn df, void *ctx, uint32_t self)
{
    for (size_t k = 0; k < ps->n; k++) {
        const uint32_t lo_w = (side ? ps->a[k].b_lo : ps->a[k].a_lo) - off;
        const uint32_t hi_w = (side ? ps->a[k].b_hi : ps->a[k].a_hi) - off;
        size_t lo = 0, hi = t->nu;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (t->u[mid].pos < lo_w) lo = mid + 1; else hi = mid;
        }
        for (size_t i = lo > 0 ? lo - 1 : 0; i < t->nu && t->u[i].pos < hi_w; i++) {
            if (t->u[i].df != UINT32_MAX) continue;
            size_t n = df(ctx, t->u[i].hash);
            n = n > self ? n - self : 0;
            t->u[i].df = n >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)n;
        }
    }
}

/* The stretch [*lo, *hi) of the B side (side 1) or A side (side 0) of n
 * words that the passages' spans need, with room for the fingerprint
 * window on each side. */
static void sg_span(const al_passages *ps, int side, size_t n, const tsr_params *p, uint32_t *lo,
             uint32_t *hi)
{
    uint32_t l = UINT32_MAX, h = 0;
    for (size_t k = 0; k < ps->n; k++) {
        const uint32_t a = side ? ps->a[k].b_lo : ps->a[k].a_lo;
        const uint32_t b = side ? ps->a[k].b_hi : ps->a[k].a_hi;
        if (a < l) l = a;
        if (b > h) h = b;
    }
    const uint32_t margin = (uint32_t)(p->window + p->ngram);
    *lo = l > margin ? l - margin : 0;
    *hi = h + margin < n ? h + margin : (uint32_t)n;
    if (*lo > *hi) *lo = *hi;
}

/* A passage whose first reading is at most this is significant either way;
 * the other reading is made for the rest only. */
#define SG_BOTH_WAYS 1e-6

/* The passages of ps whose first reading is above SG_BOTH_WAYS, copied to
 * *out (emptied first); 0 or -1 when out of memory. */
static int sg_needy(const al_passages *ps, al_passages *out)
{
    out->n = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (ps->a[i].evalue > SG_BOTH_WAYS && tsr_vec_push(out, ps->a[i]))
            return -1;
    return 0;
}

static int u64_cmp(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* The figures of f[0, n) (in the order of their words) that lie inside
 * words [lo, hi): their hashes into v, sorted, each once; 0 or -1. */
static int sg_fig_span(const tsr_fig *f, size_t n, uint32_t lo, uint32_t hi, sg_hashes *v)
{
    size_t i0, i1;
    text_figures_within(f, n, lo, hi, &i0, &i1);
    v->n = 0;
    for (size_t i = i0; i < i1; i++)
        if (tsr_vec_push(v, f[i].hash))
            return -1;
    uint64_t *x = v->a;
    if (v->n > 32) {   /* a table of numbers (or a hostile text) */
        qsort(x, v->n, sizeof *x, u64_cmp);
    } else {           /* a few: insertion */
        for (size_t i = 1; i < v->n; i++) {
            const uint64_t h = x[i];
            size_t j = i;
            for (; j > 0 && x[j - 1] > h; j--) x[j] = x[j - 1];
            x[j] = h;
        }
    }
    size_t u = 0;
    for (size_t i = 0; i < v->n; i++)
        if (!u || x[u - 1] != x[i]) x[u++] = x[i];
    v->n = u;
    return 0;
}

/* E's factor for the figures that one span of p holds and the other lacks
 * (step 7): 2^(SG_FIG_BITS * count); 1 without a corpus; -1 when out of
 * memory. */
static double sg_fig_factor(const sg_model *m, const sg_text *a, const tsr_fig *bfig,
                            size_t nbfig, const al_passage *p, sg_work *w)
{
    if (m->lambda <= 0.0 || (!a->nfig && !nbfig))
        return 1.0;
    if (sg_fig_span(a->fig, a->nfig, p->a_lo, p->a_hi, &w->fa) ||
        sg_fig_span(bfig, nbfig, p->b_lo, p->b_hi, &w->fb))
        return -1.0;
    size_t i = 0, j = 0, differ = 0;
    while (i < w->fa.n && j < w->fb.n) {
        if (w->fa.a[i] == w->fb.a[j]) { i++; j++; }
        else if (w->fa.a[i] < w->fb.a[j]) { differ++; i++; }
        else { differ++; j++; }
    }
    differ += (w->fa.n - i) + (w->fb.n - j);
    /* a finite factor (0 * inf would be NaN, which no cut drops) */
    if (differ > SG_FIG_MAX) differ = SG_FIG_MAX;
    return exp2(SG_FIG_BITS * (double)differ);
}

/* The second reading (b's text, from word b_off of B, against A) of the
 * passages above SG_BOTH_WAYS, times their figure factors (w->fac), the
 * smaller E-value kept, then the cut; `b` may be NULL when no passage
 * needs it. */
static int sg_filter2(const sg_model *mb, const sg_text *b, uint32_t b_off, const tsr_word *A,
               double max_evalue, al_passages *ps, sg_work *w)
{
    size_t kept = 0;
    for (size_t i = 0; i < ps->n; i++) {
        al_passage *p = &ps->a[i];
        if (b && p->evalue > SG_BOTH_WAYS) {
            const double f = w->fac.a[i];
            double eb = sg_evalue(mb, b, A, p->b_lo - b_off, p->b_hi - b_off, p->a_lo,
                                  p->a_hi, f == 1.0, w, NULL);
            if (eb < 0)
                return TSR_ERR_NOMEM;
            eb *= f;
            if (eb < p->evalue) p->evalue = eb;
        }
        if (sg_cut(p, max_evalue))
            continue;
        ps->a[kept++] = *p;
    }
    ps->n = kept;
    return TSR_OK;
}

/* The first reading of each passage (a's text against B): its figure
 * factor into w->fac (step 7), and its E-value, read without the floor of
 * copies where figures differ, times that factor.  0, or -1 when out of
 * memory. */
static int sg_read_first(const sg_model *m, const sg_text *a, const tsr_word *B,
                         const tsr_fig *bfig, size_t nbfig, al_passages *ps, sg_work *w)
{
    w->fac.n = 0;
    if (tsr_vec_reserve(&w->fac, ps->n))
        return -1;
    for (size_t i = 0; i < ps->n; i++) {
        al_passage *p = &ps->a[i];
        const double f = sg_fig_factor(m, a, bfig, nbfig, p, w);
        if (f < 0)
            return -1;
        w->fac.a[w->fac.n++] = f;
        const double e = sg_evalue(m, a, B, p->a_lo, p->a_hi, p->b_lo, p->b_hi, f == 1.0, w,
                                   NULL);
        if (e < 0)
            return -1;
        p->evalue = e * f;
    }
    return 0;
}

int sg_judge(const sg_model *ma, sg_text *a, uint32_t a_self, const sg_model *mb,
             const tsr_word *B, size_t bn, const tsr_fig *bfig, size_t nbfig,
             const tsr_params *fp, sg_count_fn count, void *ctx, double max_evalue,
             al_passages *ps, sg_work *w, tsr_error *err)
{
    sg_text_counts(a, ps, 0, 0, count, ctx, a_self);
    if (sg_read_first(ma, a, B, bfig, nbfig, ps, w) || sg_needy(ps, &w->needy))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    uint32_t lo = 0, hi = 0;
    if (w->needy.n) {
        sg_span(&w->needy, 1, bn, fp, &lo, &hi);
        sg_text_free(&w->b);
        TSR_FORWARD(sg_text_init(&w->b, B + lo, hi - lo, fp, err));
        for (size_t i = 0; i < w->b.nu; i++) w->b.u[i].df = UINT32_MAX;
        sg_text_counts(&w->b, &w->needy, 1, lo, count, ctx, 1);
    }
    if (sg_filter2(mb, w->needy.n ? &w->b : NULL, lo, a->w, max_evalue, ps, w))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    return TSR_OK;
}
