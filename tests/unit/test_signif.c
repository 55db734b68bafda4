/*
 * test_signif.c - the E-value of passages (lib/signif.c) and explaining
 * away among sources (rs_explain_away, lib/result.c): a copy is
 * significant, a template look-alike is not, rare n-grams weigh more than
 * common ones, the cut drops and keeps in order, and a source that another
 * explains better leaves the result while an equal one stays.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "result.h"
#include "signif.h"
#include "tessera.h"
#include "testhelp.h"
#include "testutil.h"

/* n words with hashes base, base+1, ... (word i at bytes [10i, 10i+5)) */
static tsr_word *words(size_t n, uint64_t base)
{
    tsr_word *w = calloc(n, sizeof *w);
    for (size_t i = 0; i < n; i++) {
        w[i].hash = 0x9E3779B97F4A7C15ull * (base + i) + 7;
        w[i].begin = (uint32_t)(10 * i);
        w[i].end = (uint32_t)(10 * i + 5);
    }
    return w;
}

/* A's text for the model, every unit held by df other documents. */
static sg_text text_of(const tsr_word *w, size_t n, uint32_t df)
{
    tsr_params p;
    tsr_params_default(&p);
    sg_text t;
    tsr_error err = { 0 };
    CHECK(sg_text_init(&t, w, n, &p, &err) == TSR_OK);
    CHECK(t.ngram_count == n - 3 && t.nu > 0);
    for (size_t i = 0; i < t.nu; i++) t.u[i].df = df;
    return t;
}

static void test_model(void)
{
    sg_model m;
    sg_model_init(&m, 0, 0, 4);          /* one pair */
    CHECK(m.d0 == 20.0 && m.space == 1.0 && m.lambda == 0.0 && !m.b_indexed);
    sg_model_init(&m, 100000, 0, 4);     /* boilerplate level N/500 */
    CHECK(m.d0 == 200.0 && m.space == 100000.0 && m.lambda > 0 && m.b_indexed);
    sg_model_init(&m, 1000, 0, 4);       /* at least 20 */
    CHECK(m.d0 == 20.0);
    sg_model_init(&m, 1000, 50, 4);      /* as set */
    CHECK(m.d0 == 50.0);
}

/* A verbatim copy of 30 rare words against an index of 10,000 documents:
 * 27 shared 4-grams worth log2(20) bits each. */
static void test_copy_is_significant(void)
{
    tsr_word *A = words(30, 1), *B = words(30, 1);
    sg_text t = text_of(A, 30, 0);
    sg_model m;
    sg_model_init(&m, 10000, 0, 4);
    sg_work *w = sg_work_new();
    double bits = 0;
    double e = sg_evalue(&m, &t, B, 0, 30, 0, 30, 1, w, &bits);
    CHECK(fabs(bits - 27 * log2(20.0)) < 1e-9);
    CHECK(fabs(e - 10000 * exp2(-bits)) < 1e-30);
    CHECK(e < 1e-30);
    /* the whole run held by 500 documents alike: a story reprinted, not a
     * formula (the rarest shared n-gram is the floor): as strong */
    for (size_t i = 0; i < t.nu; i++) t.u[i].df = 500;
    e = sg_evalue(&m, &t, B, 0, 30, 0, 30, 1, w, &bits);
    CHECK(fabs(bits - 27 * log2(20.0)) < 1e-9);
    /* one rare n-gram among common ones: the common ones count nothing */
    for (size_t i = 0; i < t.nu; i++) t.u[i].df = i == 0 ? 0 : 500;
    e = sg_evalue(&m, &t, B, 0, 30, 0, 30, 1, w, &bits);
    CHECK(bits > 0 && bits < 27 * log2(20.0) / 2);
    sg_work_free(w);
    sg_text_free(&t); free(A); free(B);
}

/* A look-alike: the template (common n-grams) shared, the specifics (rare
 * n-grams) different.  B holds A's words 0-9 and 20-29 but other words in
 * 10-19.  With the template's n-grams common, what is left is specific
 * text of A that B lacks: E above 1, and dropped by the default cut. */
static void test_lookalike_is_not(void)
{
    tsr_word *A = words(30, 1), *B = words(30, 1);
    for (size_t i = 10; i < 20; i++) B[i].hash ^= 0xABCDEFull;
    sg_text t = text_of(A, 30, 0);
    for (size_t i = 0; i < t.nu; i++)
        if (t.u[i].pos < 7 || t.u[i].pos >= 20) t.u[i].df = 400;   /* the template */
    sg_model m;
    sg_model_init(&m, 10000, 0, 4);
    sg_work *w = sg_work_new();
    double bits = 0;
    double e = sg_evalue(&m, &t, B, 0, 30, 0, 30, 1, w, &bits);
    CHECK(bits < 0);
    CHECK(e > 10000);
    /* without a corpus nothing counts against: E at most 1 */
    sg_model_init(&m, 0, 0, 4);
    for (size_t i = 0; i < t.nu; i++) t.u[i].df = 0;
    e = sg_evalue(&m, &t, B, 0, 30, 0, 30, 1, w, &bits);
    CHECK(bits > 0 && e <= 1.0);
    sg_work_free(w);
    sg_text_free(&t); free(A); free(B);
}

/* A reworded copy: B is A with words 7, 14 and 21 replaced.  Each
 * replacement breaks the four n-grams over it, but it is one word: each
 * broken n-gram counts against by the share of its words that B's span
 * lacks (1 of 4), not in full.  15 shared n-grams, 12 broken ones. */
static void test_reworded_copy(void)
{
    tsr_word *A = words(30, 1), *B = words(30, 1);
    B[7].hash ^= 0xABCDEFull; B[14].hash ^= 0xABCDEFull; B[21].hash ^= 0xABCDEFull;
    sg_text t = text_of(A, 30, 0);
    sg_model m;
    sg_model_init(&m, 10000, 0, 4);
    sg_work *w = sg_work_new();
    const double l = log2(20.0);
    double bits = 0;
    sg_evalue(&m, &t, B, 0, 30, 0, 30, 1, w, &bits);
    CHECK(fabs(bits - (15 * l - m.lambda * 12 * l / 4)) < 1e-9);
    /* the same three words moved, not replaced (B holds every word of A,
     * three of them elsewhere in its span): nothing counts against */
    tsr_word *C = words(30, 1);
    C[7].hash = A[21].hash; C[14].hash = A[7].hash; C[21].hash = A[14].hash;
    sg_evalue(&m, &t, C, 0, 30, 0, 30, 1, w, &bits);
    CHECK(fabs(bits - 15 * l) < 1e-9);
    sg_work_free(w);
    sg_text_free(&t); free(A); free(B); free(C);
}

static void test_filter(void)
{
    tsr_word *A = words(60, 1), *B = words(60, 1);
    for (size_t i = 30; i < 60; i++) B[i].hash ^= 0x55ull;   /* 30-59 differ */
    sg_text t = text_of(A, 60, 0);
    sg_model m;
    sg_model_init(&m, 10000, 0, 4);
    sg_work *w = sg_work_new();
    al_passages ps = { 0 };
    al_passage a = { 0, 30, 0, 30, 30, 30, 1.0, 0, 0, 0 }, b = { 30, 60, 30, 60, 0, 0, 0.5, 0, 0, 0 };
    CHECK(tsr_vec_push(&ps, a) == 0 && tsr_vec_push(&ps, b) == 0);
    CHECK(sg_filter(&m, &t, B, 0, &ps, w) == TSR_OK);     /* no cut */
    CHECK(ps.n == 2 && ps.a[0].evalue < 1e-20 && ps.a[1].evalue > 1e6);
    CHECK(sg_filter(&m, &t, B, 1.0, &ps, w) == TSR_OK);   /* a cut of 1 */
    CHECK(ps.n == 1 && ps.a[0].a_lo == 0);
    tsr_vec_free(&ps);
    sg_work_free(w);
    sg_text_free(&t); free(A); free(B);
}

/* A brief passage (shorter than min_words, al_align's AL_BRIEF) is cut
 * at SG_BRIEF (1e-7) times the cut, and without a cut it goes: 12 shared
 * words (9 units of log2(20) bits: E = 10^4 * 2^-38.9, about 2e-8) pass a
 * cut of 10, 10 words (7 units: about 8e-6) only as a passage of full
 * length. */
static void test_filter_brief(void)
{
    tsr_word *A = words(40, 1), *B = words(40, 1);
    sg_text t = text_of(A, 40, 0);
    sg_model m;
    sg_model_init(&m, 10000, 0, 4);
    sg_work *w = sg_work_new();
    al_passages ps = { 0 };
    const al_passage b12 = { .a_lo = 0, .a_hi = 12, .b_lo = 0, .b_hi = 12, .matches = 12,
                             .similarity = 1.0, .brief = 1 };
    al_passage b10 = b12, f10 = b12;
    b10.a_lo = b10.b_lo = 20; b10.a_hi = b10.b_hi = 30; b10.matches = 10;
    f10 = b10; f10.brief = 0;
    CHECK(tsr_vec_push(&ps, b12) == 0 && tsr_vec_push(&ps, b10) == 0);
    CHECK(sg_filter(&m, &t, B, 10.0, &ps, w) == TSR_OK);
    CHECK(ps.n == 1 && ps.a[0].a_lo == 0 && ps.a[0].evalue < 1e-6);
    ps.n = 0;
    CHECK(tsr_vec_push(&ps, f10) == 0);
    CHECK(sg_filter(&m, &t, B, 10.0, &ps, w) == TSR_OK);
    CHECK(ps.n == 1 && ps.a[0].evalue > 1e-6 && ps.a[0].evalue < 1e-4);
    ps.n = 0;
    CHECK(tsr_vec_push(&ps, b12) == 0 && tsr_vec_push(&ps, f10) == 0);
    CHECK(sg_filter(&m, &t, B, 0, &ps, w) == TSR_OK);      /* no cut: brief ones go */
    CHECK(ps.n == 1 && ps.a[0].a_lo == 20 && !ps.a[0].brief);
    tsr_vec_free(&ps);
    sg_work_free(w);
    sg_text_free(&t); free(A); free(B);
}

/* Two sources aligned with the same stretch: the weaker goes, an equal
 * one (a re-filing) stays, and a passage elsewhere is untouched. */
static void test_explain_away(void)
{
    tsr_word *A = words(100, 1), *B = words(100, 1);
    tsr_result *r = rs_new(1000, 100);
    size_t s0, s1, s2;
    CHECK(rs_add_source(r, "real", NULL, NULL, NULL, 0, &s0) == TSR_OK);
    CHECK(rs_add_source(r, "lookalike", NULL, NULL, NULL, 1, &s1) == TSR_OK);
    CHECK(rs_add_source(r, "refiling", NULL, NULL, NULL, 2, &s2) == TSR_OK);
    al_passages ps = { 0 };
    al_passage p = { 0, 40, 0, 40, 40, 40, 1.0, 0, 0, 0 };
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(rs_add_passages(r, &ps, A, B, s0) == TSR_OK);
    ps.n = 0;
    p = (al_passage){ 5, 40, 5, 40, 30, 30, 0.7, 0, 0, 0 };          /* weaker, same words */
    CHECK(tsr_vec_push(&ps, p) == 0);
    p = (al_passage){ 60, 90, 60, 90, 30, 30, 0.7, 0, 0, 0 };        /* elsewhere: stays */
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(rs_add_passages(r, &ps, A, B, s1) == TSR_OK);
    ps.n = 0;
    p = (al_passage){ 0, 40, 0, 40, 40, 40, 0.99, 0, 0, 0 };         /* within the margin */
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(rs_add_passages(r, &ps, A, B, s2) == TSR_OK);
    rs_explain_away(r);
    CHECK(r->n_passages == 3 && r->n_sources == 3);
    size_t lookalike = 0;
    for (size_t i = 0; i < r->n_passages; i++)
        if (!strcmp(r->sources[r->passages[i].source].id, "lookalike")) {
            lookalike++;
            CHECK(r->passages[i].a_begin == A[60].begin);
        }
    CHECK(lookalike == 1);
    /* with the passage elsewhere gone too, the look-alike source goes */
    tsr_result *r2 = rs_new(1000, 100);
    CHECK(rs_add_source(r2, "real", NULL, NULL, NULL, 0, &s0) == TSR_OK);
    CHECK(rs_add_source(r2, "lookalike", NULL, NULL, NULL, 1, &s1) == TSR_OK);
    ps.n = 0;
    p = (al_passage){ 5, 40, 5, 40, 30, 30, 0.7, 0, 0, 0 };
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(rs_add_passages(r2, &ps, A, B, s1) == TSR_OK);
    ps.n = 0;
    p = (al_passage){ 0, 40, 0, 40, 40, 40, 1.0, 0, 0, 0 };
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(rs_add_passages(r2, &ps, A, B, s0) == TSR_OK);
    rs_explain_away(r2);
    CHECK(r2->n_sources == 1 && !strcmp(r2->sources[0].id, "real"));
    CHECK(r2->n_passages == 1 && r2->passages[0].source == 0);
    tsr_result_free(r);
    tsr_result_free(r2);
    tsr_vec_free(&ps);
    free(A); free(B);
}

/* A reworded copy A of a passage B reprinted in 50 documents: read from
 * A, A's substituted words (rare: only A has them) count against; read
 * from B, B's words that A replaced are common (the 50 copies hold them)
 * and count for nothing.  sg_judge keeps the smaller reading. */
static size_t count_51(void *ctx, uint64_t hash)
{
    (void)ctx; (void)hash;
    return 51;  /* B and 50 other copies */
}

static void test_both_ways(void)
{
    tsr_word *A = words(40, 1), *B = words(40, 1);
    for (size_t i = 3; i < 40; i += 4) A[i].hash ^= 0x77ull;   /* every 4th word */
    sg_text ta = text_of(A, 40, 0), tb = text_of(B, 40, 50);
    sg_model m;
    sg_model_init(&m, 10000, 0, 4);
    sg_work *w = sg_work_new();
    const double ea = sg_evalue(&m, &ta, B, 0, 40, 0, 40, 1, w, NULL);
    const double eb = sg_evalue(&m, &tb, A, 0, 40, 0, 40, 1, w, NULL);
    CHECK(ea > eb && ea > 1e-6);  /* the second reading is made */
    tsr_params fp;
    tsr_params_default(&fp);
    tsr_error err = { 0 };
    al_passages ps = { 0 };
    al_passage p = { 0, 40, 0, 40, 30, 0, 0.75, 0, 0, 0 };
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(sg_judge(&m, &ta, 0, &m, B, 40, NULL, 0, &fp, count_51, NULL, 0, &ps, w, &err) ==
          TSR_OK);
    CHECK(ps.n == 1 && ps.a[0].evalue == eb);
    CHECK(sg_judge(&m, &ta, 0, &m, B, 40, NULL, 0, &fp, count_51, NULL, eb / 2, &ps, w, &err) ==
              TSR_OK &&
          ps.n == 0);
    tsr_vec_free(&ps);
    sg_work_free(w);
    sg_text_free(&ta);
    sg_text_free(&tb);
    free(A); free(B);
}

/* Figures (signif.c, step 7): a figure that one span holds and the other
 * lacks multiplies E by 2^5, counted once however often it occurs; those
 * both hold and those outside the spans do not count, nor do figures
 * without a corpus.  Through sg_judge, so as check and discovery judge. */
static size_t count_0(void *ctx, uint64_t hash)
{
    (void)ctx; (void)hash;
    return 1;   /* B alone */
}

static size_t count_11(void *ctx, uint64_t hash)
{
    (void)ctx; (void)hash;
    return 11;  /* B and the template's ten other documents */
}

static void test_figures(void)
{
    tsr_word *A = words(40, 1), *B = words(40, 1);
    /* A's figures: words 5 (X), 12 (Y), 13 (Y again), 30 (Q, outside the
     * passage); B's: 5 (X), 12 (Z), 20-22 (W, one figure of three words) */
    const tsr_fig fa[] = { { 5, 6, 0x1111 }, { 12, 13, 0x2222 }, { 13, 14, 0x2222 },
                           { 30, 31, 0x9999 } };
    const tsr_fig fb[] = { { 5, 6, 0x1111 }, { 12, 13, 0x3333 }, { 20, 23, 0x4444 } };
    for (int i = 12; i <= 13; i++) B[i].hash ^= 0x77ull;   /* Y is not Z */
    sg_text ta = text_of(A, 40, 0);
    sg_model m;
    sg_model_init(&m, 10000, 0, 4);
    sg_work *w = sg_work_new();
    tsr_params fp;
    tsr_params_default(&fp);
    tsr_error err = { 0 };
    al_passages ps = { 0 };
    const al_passage p = { 0, 25, 0, 25, 23, 0, 0.92, 0, 0, 0 };
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(sg_judge(&m, &ta, 0, &m, B, 40, NULL, 0, &fp, count_0, NULL, 0, &ps, w, &err) ==
          TSR_OK);
    const double plain = ps.a[0].evalue;
    CHECK(plain > 0);
    /* differing: Y (once, though twice in A), Z, W: 3 figures, 15 bits */
    ps.a[0] = p;
    ta.fig = fa;
    ta.nfig = 4;
    CHECK(sg_judge(&m, &ta, 0, &m, B, 40, fb, 3, &fp, count_0, NULL, 0, &ps, w, &err) ==
          TSR_OK);
    CHECK(ps.n == 1 && fabs(ps.a[0].evalue / plain - 32768.0) < 1e-6 * 32768.0);
    /* the same figures on both sides: nothing */
    ps.a[0] = p;
    CHECK(sg_judge(&m, &ta, 0, &m, B, 40, fa, 4, &fp, count_0, NULL, 0, &ps, w, &err) ==
          TSR_OK);
    CHECK(ps.a[0].evalue == plain);
    /* the cut between the two: the copy stays, the look-alike goes */
    ps.a[0] = p;
    CHECK(sg_judge(&m, &ta, 0, &m, B, 40, fb, 3, &fp, count_0, NULL, plain * 1000, &ps, w,
                   &err) == TSR_OK &&
          ps.n == 0);
    ps.n = 0;
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(sg_judge(&m, &ta, 0, &m, B, 40, fa, 4, &fp, count_0, NULL, plain * 1000, &ps, w,
                   &err) == TSR_OK &&
          ps.n == 1);
    /* a template held by ten documents: with the figures alike, the ten
     * are taken for copies (step 5: the rarest count is the floor) and the
     * shared n-grams weigh as if rare; with figures differing they are
     * ten items on one template: no floor, and the n-grams weigh little */
    sg_text t10 = text_of(A, 40, 10);
    t10.fig = fa;
    t10.nfig = 4;
    ps.a[0] = p;
    CHECK(sg_judge(&m, &t10, 0, &m, B, 40, fa, 4, &fp, count_11, NULL, 0, &ps, w, &err) ==
          TSR_OK);
    const double same10 = ps.a[0].evalue;
    ps.a[0] = p;
    CHECK(sg_judge(&m, &t10, 0, &m, B, 40, fb, 3, &fp, count_11, NULL, 0, &ps, w, &err) ==
          TSR_OK);
    CHECK(same10 < 1e-6 && ps.a[0].evalue > same10 * 32768.0 * 1e6);
    sg_text_free(&t10);
    /* without a corpus (one pair) figures are not weighed */
    sg_model one;
    sg_model_init(&one, 0, 0, 4);
    ps.a[0] = p;
    CHECK(sg_judge(&one, &ta, 0, &one, B, 40, NULL, 0, &fp, count_0, NULL, 0, &ps, w, &err) ==
          TSR_OK);
    const double plain1 = ps.a[0].evalue;
    ps.a[0] = p;
    CHECK(sg_judge(&one, &ta, 0, &one, B, 40, fb, 3, &fp, count_0, NULL, 0, &ps, w, &err) ==
          TSR_OK);
    CHECK(ps.a[0].evalue == plain1);
    tsr_vec_free(&ps);
    sg_work_free(w);
    sg_text_free(&ta);
    free(A); free(B);
}

/* The figure factor against a plain count, on 500 random passages: figures
 * drawn from a few values at random places of both texts (some spanning
 * two words), and E with them is E without them times 2^(5 d), d the
 * figures (distinct values) inside one span and not the other.  The two
 * texts have the same words and the passage the same span on both, so
 * that either reading (sg_judge reads the other way only above 1e-6)
 * gives the same E. */
static rng R = { 4242 };

static void random_figs(tsr_fig *f, size_t *n, size_t words)
{
    *n = 0;
    for (uint32_t i = 0; i + 2 < words; i++) {
        if (rng_next(&R) % 4) continue;
        const uint32_t len = 1 + (uint32_t)(rng_next(&R) % 2);
        f[(*n)++] = (tsr_fig){ i, i + len, 0x1000 + rng_next(&R) % 6 };
        i += len;
    }
}

static void test_figures_random(void)
{
    tsr_word *A = words(60, 1), *B = words(60, 1);
    sg_text ta = text_of(A, 60, 0);
    sg_model m;
    sg_model_init(&m, 10000, 0, 4);
    sg_work *w = sg_work_new();
    tsr_params fp;
    tsr_params_default(&fp);
    tsr_error err = { 0 };
    al_passages ps = { 0 };
    tsr_fig fa[60], fb[60];
    int bad = 0;
    for (int t = 0; t < 500 && !bad; t++) {
        size_t na, nb;
        random_figs(fa, &na, 60);
        random_figs(fb, &nb, 60);
        const uint32_t a0 = (uint32_t)(rng_next(&R) % 20), a1 = a0 + 20 + (uint32_t)(rng_next(&R) % 20);
        const uint32_t b0 = a0, b1 = a1;   /* B = A: both readings alike */
        const al_passage p = { a0, a1, b0, b1, 15, 0, 0.8, 0, 0, 0 };
        ps.n = 0;
        if (tsr_vec_push(&ps, p)) { bad = 1; break; }
        ta.fig = NULL;
        ta.nfig = 0;
        if (sg_judge(&m, &ta, 0, &m, B, 60, NULL, 0, &fp, count_0, NULL, 0, &ps, w, &err))
            { bad = 1; break; }
        const double plain = ps.a[0].evalue;
        ps.a[0] = p;
        ta.fig = fa;
        ta.nfig = na;
        if (sg_judge(&m, &ta, 0, &m, B, 60, fb, nb, &fp, count_0, NULL, 0, &ps, w, &err))
            { bad = 1; break; }
        /* the plain count: values inside each span (whole figures only) */
        int ina[6] = { 0 }, inb[6] = { 0 };
        for (size_t i = 0; i < na; i++)
            if (fa[i].lo >= a0 && fa[i].hi <= a1) ina[fa[i].hash - 0x1000] = 1;
        for (size_t i = 0; i < nb; i++)
            if (fb[i].lo >= b0 && fb[i].hi <= b1) inb[fb[i].hash - 0x1000] = 1;
        int d = 0;
        for (int v = 0; v < 6; v++) d += ina[v] != inb[v];
        const double want = plain * exp2(5.0 * d);
        if (fabs(ps.a[0].evalue - want) > 1e-9 * want) {
            fprintf(stderr, "passage %d: E %g, want %g (%d figures differ)\n", t,
                    ps.a[0].evalue, want, d);
            bad = 1;
        }
    }
    CHECK(!bad);
    tsr_vec_free(&ps);
    sg_work_free(w);
    ta.fig = NULL;
    sg_text_free(&ta);
    free(A); free(B);
}

int main(void)
{
    RUN(test_figures_random);
    RUN(test_figures);
    RUN(test_both_ways);
    RUN(test_model);
    RUN(test_copy_is_significant);
    RUN(test_lookalike_is_not);
    RUN(test_reworded_copy);
    RUN(test_filter);
    RUN(test_filter_brief);
    RUN(test_explain_away);
    return test_report();
}
