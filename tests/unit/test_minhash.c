/*
 * test_minhash.c - MinHash signatures, LSH banding, near-duplicate clusters
 * (lib/minhash.c, lib/dedup.c, lib/dedup_index.c), on generated data.
 *
 *   - the banding chosen for 0.8 minimises the datasketch error;
 *   - the estimator is unbiased and its spread is that of K permutations;
 *   - the LSH candidate rate, measured on many pairs of sets of known
 *     Jaccard s, matches the S-curve 1 - (1 - s^r)^b within 4 standard
 *     errors (plus 0.01 for the discreteness of one-permutation hashing);
 *   - generated texts (bases, exact copies, near copies with word edits at
 *     0.5% and 12%, unrelated texts) cluster as their exact shingle Jaccard
 *     says: >= 0.9 together, <= 0.6 apart;
 *   - keep rules; an index finds the near copy of an indexed text;
 *   - the measures that read texts (aligned, containment): edited copies of
 *     news-like texts (5% of the words changed, a paragraph dropped, a
 *     byline added) score at the default threshold and are clustered with
 *     their source, where Jaccard leaves most apart; instances of one
 *     template (the same words, other figures) score below it and are
 *     not; a chain A ~ B ~ C whose ends differ too much is not one
 *     cluster; every dropped document scores at least the threshold with
 *     the one kept in its place; an index finds edited copies too.
 * Seeded: the same binary gives the same data every run.
 */
#include "testhelp.h"
#include "testutil.h"
#include "../../lib/common/common.h"
#include "../../lib/minhash.h"
#include "../../lib/fingerprint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the file's random numbers (testutil.h): the same every run */
static rng R = { 42 };

/* Two sets of m elements sharing x: Jaccard x / (2m - x). */
static void make_pair(uint64_t *a, uint64_t *b, size_t m, size_t x)
{
    for (size_t i = 0; i < m; i++) {
        a[i] = rng_next(&R);
        b[i] = i < x ? a[i] : rng_next(&R);
    }
}

static void test_banding(void)
{
    int b = 0, r = 0;
    CHECK(tsr_lsh_params(0.8, 128, &b, &r, NULL) == TSR_OK);
    printf("banding for 0.8, 128: %d bands x %d rows, P(0.8) = %.3f\n", b, r,
           tsr_lsh_probability(0.8, b, r));
    CHECK(b * r <= 128);
    /* datasketch's rule puts the threshold near the S-curve's middle:
     * P(0.8) = 0.40 for 9 x 13; the curve is steep around it */
    CHECK(b == 9 && r == 13);
    CHECK(tsr_lsh_probability(0.9, b, r) > 0.9);
    CHECK(tsr_lsh_probability(0.6, b, r) < 0.02);
    /* no other banding does better on the datasketch error (coarse check
     * with a trapezoid on 1000 steps) */
    double best = 1e9;
    int bb = 0, br = 0;
    for (int x = 1; x <= 128; x++)
        for (int y = 1; y <= 128 / x; y++) {
            double fp = 0, fn = 0;
            for (int i = 0; i < 1000; i++) {
                double s = (i + 0.5) / 1000.0;
                double p = tsr_lsh_probability(s, x, y);
                if (s < 0.8) fp += p / 1000.0;
                else fn += (1 - p) / 1000.0;
            }
            double e = 0.5 * fp + 0.5 * fn;
            if (e < best) { best = e; bb = x; br = y; }
        }
    CHECK(bb == b && br == r);
    CHECK(tsr_lsh_params(1.5, 128, &b, &r, NULL) == TSR_ERR_INVALID);
    tsr_dedup_opts o;
    tsr_dedup_opts_default(&o);
    o.shingle = 0;
    CHECK(tsr_dedup_opts_validate(&o, NULL) == TSR_ERR_INVALID);
    tsr_dedup_opts_default(&o);
    o.bands = 20; o.rows = 20;
    CHECK(tsr_dedup_opts_validate(&o, NULL) == TSR_ERR_INVALID);
}

static void test_estimator(void)
{
    const int K = 128, trials = 400;
    const size_t m = 300;
    uint64_t a[300], b[300];
    uint16_t sa[128], sb[128];
    const double targets[] = { 0.2, 0.5, 0.8, 0.95 };
    for (int t = 0; t < 4; t++) {
        size_t x = (size_t)llround(2.0 * m * targets[t] / (1 + targets[t]));
        double j = (double)x / (double)(2 * m - x);
        double sum = 0, sum2 = 0;
        for (int i = 0; i < trials; i++) {
            make_pair(a, b, m, x);
            mh_signature(a, m, K, sa);
            mh_signature(b, m, K, sb);
            double e = tsr_minhash_jaccard(sa, sb, K);
            sum += e;
            sum2 += e * e;
        }
        double mean = sum / trials, sd = sqrt(sum2 / trials - mean * mean);
        double sd_theory = sqrt(j * (1 - j) / K);
        printf("J = %.3f: mean estimate %.4f, sd %.4f (K perms: %.4f)\n", j, mean, sd, sd_theory);
        CHECK(fabs(mean - j) < 4 * sd_theory / sqrt(trials) + 0.005);
        CHECK(sd < sd_theory * 1.25 + 0.005);
    }
    /* tiny sets: densification; identical sets agree everywhere */
    uint64_t one[1] = { 12345 };
    mh_signature(one, 1, K, sa);
    mh_signature(one, 1, K, sb);
    CHECK(tsr_minhash_jaccard(sa, sb, K) == 1.0);
    /* sets of 4 sharing 2: J = 1/3 on average */
    double sum = 0;
    for (int i = 0; i < 2000; i++) {
        make_pair(a, b, 4, 2);
        mh_signature(a, 4, K, sa);
        mh_signature(b, 4, K, sb);
        sum += tsr_minhash_jaccard(sa, sb, K);
    }
    printf("sets of 4 sharing 2: mean estimate %.4f (J = 0.3333)\n", sum / 2000);
    CHECK(fabs(sum / 2000 - 1.0 / 3) < 0.02);
    CHECK(mh_signature(a, 0, K, sa) == 0 && sa[0] == 0xFFFF);
}

/* The S-curve: candidate rate against 1 - (1 - s^r)^b. */
static void test_scurve(void)
{
    const int K = 128, trials = 4000;
    int bands, rows;
    tsr_lsh_params(0.8, K, &bands, &rows, NULL);
    const size_t m = 250;
    uint64_t a[250], b[250];
    uint16_t sa[128], sb[128];
    for (int t = 0; t <= 8; t++) {
        double target = 0.5 + 0.05 * t;
        size_t x = (size_t)llround(2.0 * m * target / (1 + target));
        double s = (double)x / (double)(2 * m - x);
        int hits = 0;
        for (int i = 0; i < trials; i++) {
            make_pair(a, b, m, x);
            mh_signature(a, m, K, sa);
            mh_signature(b, m, K, sb);
            int cand = 0;
            for (int bd = 0; bd < bands && !cand; bd++)
                cand = mh_band_hash(sa, bd, rows) == mh_band_hash(sb, bd, rows);
            hits += cand;
        }
        double rate = (double)hits / trials, p = tsr_lsh_probability(s, bands, rows);
        double se = sqrt(p * (1 - p) / trials);
        printf("s = %.3f: candidate rate %.4f, S-curve %.4f, |diff| %.4f (4 SE = %.4f)\n",
               s, rate, p, fabs(rate - p), 4 * se);
        CHECK(fabs(rate - p) <= 4 * se + 0.01);
    }
}

/* ---- generated texts ---------------------------------------------------- */

#define VOCAB 5000
static char vocab[VOCAB][12];

static void make_vocab(void)
{
    for (int i = 0; i < VOCAB; i++) {
        int len = 3 + (int)(rng_next(&R) % 7);
        for (int k = 0; k < len; k++) vocab[i][k] = (char)('a' + rng_next(&R) % 26);
        vocab[i][len] = 0;
    }
}

typedef struct { int *w; size_t n; } words;

static words random_words(size_t n)
{
    words x = { malloc(n * sizeof(int)), n };
    for (size_t i = 0; i < n; i++) x.w[i] = (int)(rng_next(&R) % VOCAB);
    return x;
}

/* A copy with each word replaced by a random one with probability rate. */
static words edit_words(words src, double rate)
{
    words x = { malloc(src.n * sizeof(int)), src.n };
    for (size_t i = 0; i < src.n; i++)
        x.w[i] = (double)(rng_next(&R) % 1000000) / 1e6 < rate ? (int)(rng_next(&R) % VOCAB) : src.w[i];
    return x;
}

static char *render(words x, size_t *len)
{
    char *s = malloc(x.n * 12 + 1);
    size_t p = 0;
    for (size_t i = 0; i < x.n; i++) {
        size_t l = strlen(vocab[x.w[i]]);
        memcpy(s + p, vocab[x.w[i]], l);
        p += l;
        s[p++] = (i % 17 == 16) ? '.' : ' ';
        if (i % 17 == 16) s[p++] = ' ';
    }
    s[p] = 0;
    *len = p;
    return s;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Exact Jaccard of the word 5-shingle sets of two texts. */
static double exact_jaccard(const char *a, size_t al, const char *b, size_t bl)
{
    uint64_t *h[2];
    size_t n[2];
    const char *t[2] = { a, b };
    size_t l[2] = { al, bl };
    for (int k = 0; k < 2; k++) {
        tsr_word *w = NULL;
        size_t nw = 0;
        tsr_tokenize(t[k], l[k], &w, &nw, NULL);
        mh_shingles(w, nw, 5, &h[k], &n[k], NULL);
        tsr_free(w);
        qsort(h[k], n[k], sizeof(uint64_t), cmp_u64);
        size_t u = 0;
        for (size_t i = 0; i < n[k]; i++)
            if (i == 0 || h[k][i] != h[k][i - 1]) h[k][u++] = h[k][i];
        n[k] = u;
    }
    size_t i = 0, j = 0, inter = 0;
    while (i < n[0] && j < n[1]) {
        if (h[0][i] == h[1][j]) { inter++; i++; j++; }
        else if (h[0][i] < h[1][j]) i++;
        else j++;
    }
    double jac = (double)inter / (double)(n[0] + n[1] - inter);
    free(h[0]);
    free(h[1]);
    return jac;
}

/* A new index at DIR/ix of the first text of each of the first ten groups
 * of four, text[0], text[4], ..., text[36], under the ids PREFIX0 ..
 * PREFIX9 (their numbers 0 .. 9), opened read-only; NULL when that failed
 * (each step CHECKed). */
static tsr_index *index_ten_groups(const char *dir, const char *prefix, char **text,
                              const size_t *len)
{
    char path[64];
    snprintf(path, sizeof path, "%s/ix", dir);
    tsr_index *ix = NULL;
    CHECK(tsr_index_open(path, TSR_OPEN_CREATE, &ix, NULL) == TSR_OK);
    for (int g = 0; g < 10; g++) {
        char id[16];
        snprintf(id, sizeof id, "%s%d", prefix, g);
        tsr_docinfo di = { id, NULL, NULL, NULL, NULL, text[4 * g], len[4 * g] };
        CHECK(tsr_index_add(ix, &di, NULL) == TSR_OK);
    }
    CHECK(tsr_index_commit(ix, NULL) == TSR_OK);
    tsr_index_close(ix);
    ix = NULL;
    CHECK(tsr_index_open(path, TSR_OPEN_READONLY, &ix, NULL) == TSR_OK);
    return ix;
}

#define BASES 60
/* Each group: base, exact copy, light copy (0.5% edits), heavy copy (12%
 * edits); plus unrelated texts.  Documents: 4*BASES + BASES. */
static void test_clusters(void)
{
    make_vocab();
    const size_t nd = 5 * BASES;
    char **text = calloc(nd, sizeof *text);
    size_t *len = calloc(nd, sizeof *len);
    for (int g = 0; g < BASES; g++) {
        words base = random_words(200 + rng_next(&R) % 400);
        words light = edit_words(base, 0.005), heavy = edit_words(base, 0.12);
        text[4 * g] = render(base, &len[4 * g]);
        text[4 * g + 1] = render(base, &len[4 * g + 1]);
        text[4 * g + 2] = render(light, &len[4 * g + 2]);
        text[4 * g + 3] = render(heavy, &len[4 * g + 3]);
        free(base.w); free(light.w); free(heavy.w);
    }
    for (int u = 0; u < BASES; u++) {
        words x = random_words(50 + rng_next(&R) % 500);
        text[4 * BASES + u] = render(x, &len[4 * BASES + u]);
        free(x.w);
    }
    tsr_dedup_opts o;
    tsr_dedup_opts_default(&o);
    o.threads = 2;
    tsr_dedup *d = NULL;
    CHECK(tsr_dedup_create(&o, &d, NULL) == TSR_OK);
    uint16_t sig[128];
    for (size_t i = 0; i < nd; i++) {
        size_t ns = 0;
        CHECK(tsr_minhash(text[i], len[i], &o, sig, &ns, NULL) == TSR_OK);
        CHECK(tsr_dedup_add(d, ns ? sig : NULL, len[i], NULL, NULL) == TSR_OK);
    }
    CHECK(tsr_dedup_add(d, NULL, 0, NULL, NULL) == TSR_OK); /* an empty text */
    CHECK(tsr_dedup_run(d, NULL, NULL, NULL) == TSR_OK);
    int wrong_together = 0, wrong_apart = 0, checked_hi = 0, checked_lo = 0;
    double light_min = 1, heavy_max = 0;
    for (int g = 0; g < BASES; g++) {
        size_t b = 4 * g;
        for (size_t k = 1; k < 4; k++) {
            double j = exact_jaccard(text[b], len[b], text[b + k], len[b + k]);
            int64_t c1, c2;
            tsr_dedup_kept_as(d, b, &c1);
            tsr_dedup_kept_as(d, b + k, &c2);
            int together = c1 >= 0 && c1 == c2;
            if (k == 2 && j < light_min) light_min = j;
            if (k == 3 && j > heavy_max) heavy_max = j;
            if (j >= 0.9) { checked_hi++; wrong_apart += !together; }
            if (j <= 0.6) { checked_lo++; wrong_together += together; }
        }
        /* base and exact copy: first kept */
        CHECK(tsr_dedup_kept_as(d, b + 1, NULL) == b);
        CHECK(tsr_dedup_kept_as(d, b, NULL) == b);
    }
    printf("light copies: exact Jaccard >= %.3f; heavy copies <= %.3f\n", light_min, heavy_max);
    printf("pairs >= 0.9: %d, apart: %d; pairs <= 0.6: %d, together: %d\n", checked_hi,
           wrong_apart, checked_lo, wrong_together);
    CHECK(checked_hi >= BASES + BASES / 2 && wrong_apart == 0);
    CHECK(checked_lo >= BASES - 2 && wrong_together == 0);
    for (int u = 0; u < BASES; u++) {
        int64_t c;
        tsr_dedup_kept_as(d, 4 * BASES + u, &c);
        CHECK(c == -1);
    }
    int64_t c;
    CHECK(tsr_dedup_kept_as(d, nd, &c) == nd && c == -1);
    size_t ncl = 0;
    const tsr_dedup_cluster *cl = tsr_dedup_clusters(d, &ncl);
    CHECK(ncl == BASES);
    for (size_t i = 0; i < ncl; i++) {
        CHECK(cl[i].n == 2 || cl[i].n == 3);
        CHECK(cl[i].similarity >= 0.7 && cl[i].similarity <= 1.0);
    }
    uint64_t cand = 0, ver = 0;
    tsr_dedup_stats(d, &cand, &ver);
    CHECK(ver >= 2 * BASES);
    tsr_dedup_free(d);

    /* keep rules: longest and earliest */
    tsr_dedup_opts_default(&o);
    o.keep = TSR_KEEP_LONGEST;
    CHECK(tsr_dedup_create(&o, &d, NULL) == TSR_OK);
    tsr_minhash(text[0], len[0], &o, sig, NULL, NULL);
    tsr_dedup_add(d, sig, 10, NULL, NULL);
    tsr_dedup_add(d, sig, 30, NULL, NULL);
    tsr_dedup_add(d, sig, 30, NULL, NULL);
    tsr_dedup_run(d, NULL, NULL, NULL);
    CHECK(tsr_dedup_kept_as(d, 0, NULL) == 1 && tsr_dedup_kept_as(d, 2, NULL) == 1);
    tsr_dedup_free(d);
    o.keep = TSR_KEEP_EARLIEST;
    CHECK(tsr_dedup_create(&o, &d, NULL) == TSR_OK);
    tsr_dedup_add(d, sig, 10, NULL, NULL);
    tsr_dedup_add(d, sig, 10, "2004-05-01", NULL);
    tsr_dedup_add(d, sig, 10, "1987-03-02", NULL);
    tsr_dedup_add(d, sig, 10, "1987-03-02", NULL);
    tsr_dedup_run(d, NULL, NULL, NULL);
    CHECK(tsr_dedup_kept_as(d, 0, NULL) == 2 && tsr_dedup_kept_as(d, 3, NULL) == 2);
    tsr_dedup_free(d);

    /* against an index: a light copy of an indexed base is found, a heavy
     * copy and an unrelated text are not */
    char dir[] = "/tmp/tsr-minhash-XXXXXX";
    if (mkdtemp(dir)) {
        tsr_index *ix = index_ten_groups(dir, "base", text, len);
        tsr_dedup_opts_default(&o);
        int found = 0, wrong = 0;
        for (int g = 0; g < 10; g++) {
            tsr_dup_match m;
            CHECK(tsr_index_near_duplicate(ix, text[4 * g + 2], len[4 * g + 2], &o, &m, NULL) == TSR_OK);
            found += m.docno == g;
            CHECK(tsr_index_near_duplicate(ix, text[4 * g + 3], len[4 * g + 3], &o, &m, NULL) == TSR_OK);
            wrong += m.docno >= 0;
            CHECK(tsr_index_near_duplicate(ix, text[4 * BASES + g], len[4 * BASES + g], &o, &m, NULL) == TSR_OK);
            wrong += m.docno >= 0;
        }
        CHECK(found == 10);
        CHECK(wrong == 0);
        tsr_index_close(ix);
        CHECK(rm_tree(dir) == 0);
    }
    for (size_t i = 0; i < nd; i++) free(text[i]);
    free(text);
    free(len);
}


/* ---- the measures that read texts ---------------------------------------- */

/* A news-like text as tokens: >= 0 a word of vocab, < 0 the figure -(t + 1);
 * paragraphs end where para[] says (token counts). */
typedef struct { int *t; size_t n; size_t para[8]; int np; } ntext;

static ntext make_news(void)
{
    ntext x;
    memset(&x, 0, sizeof x);
    x.np = 4 + (int)(rng_next(&R) % 3);
    x.t = malloc(80 * 8 * sizeof *x.t);
    for (int p = 0; p < x.np; p++) {
        size_t len = 30 + rng_next(&R) % 31;
        for (size_t i = 0; i < len; i++)
            x.t[x.n++] = i % 7 == 3 ? -(int)(1 + rng_next(&R) % 99999) : (int)(rng_next(&R) % VOCAB);
        x.para[p] = x.n;
    }
    return x;
}

static char *render_news(const ntext *x, const char *first_line, size_t *len)
{
    char *s = malloc(x->n * 14 + 64);
    size_t p = 0;
    if (first_line) p += (size_t)sprintf(s, "%s\n\n", first_line);
    int para = 0;
    for (size_t i = 0; i < x->n; i++) {
        if (x->t[i] >= 0) p += (size_t)sprintf(s + p, "%s", vocab[x->t[i]]);
        else p += (size_t)sprintf(s + p, "%d", -x->t[i] - 1);
        while (para < x->np && x->para[para] == i + 1) para++;
        if (i + 1 < x->n)
            p += (size_t)sprintf(s + p, "%s", x->para[para - (para > 0)] == i + 1 ? ".\n\n" : " ");
    }
    s[p] = 0;
    *len = p;
    return s;
}

/* The source with `rate` of its words (not its figures) edited: replaced,
 * deleted or swapped with the next; paragraph `drop` (>= 0) left out. */
static ntext edit_news(const ntext *src, double rate, int drop)
{
    ntext x;
    memset(&x, 0, sizeof x);
    x.t = malloc((src->n + 1) * sizeof *x.t);
    size_t from = 0;
    for (int p = 0; p < src->np; p++) {
        size_t to = src->para[p];
        if (p != drop) {
            for (size_t i = from; i < to; i++) {
                int t = src->t[i];
                if (t >= 0 && (double)(rng_next(&R) % 1000000) / 1e6 < rate) {
                    int op = (int)(rng_next(&R) % 3);
                    if (op == 1) continue;                 /* deleted */
                    if (op == 0) t = (int)(rng_next(&R) % VOCAB); /* replaced */
                    else if (i + 1 < to && src->t[i + 1] >= 0) {
                        x.t[x.n++] = src->t[i + 1];       /* swapped */
                        x.t[x.n++] = t;
                        i++;
                        continue;
                    }
                }
                x.t[x.n++] = t;
            }
            x.para[x.np++] = x.n;
        }
        from = to;
    }
    return x;
}

/* The same template: every word kept, every figure another. */
static ntext template_news(const ntext *src)
{
    ntext x = *src;
    x.t = malloc(src->n * sizeof *x.t);
    for (size_t i = 0; i < src->n; i++)
        x.t[i] = src->t[i] >= 0 ? src->t[i] : -(int)(1 + rng_next(&R) % 99999);
    return x;
}

#define NEWS 40

/* Documents: per group g, 4g = source, 4g+1 = edited copy, 4g+2 = template
 * instance, 4g+3 = an unrelated text. */
static void make_news_corpus(char **text, size_t *len)
{
    for (int g = 0; g < NEWS; g++) {
        ntext src = make_news(), other = make_news();
        ntext ed = edit_news(&src, 0.05, 1 + (int)(rng_next(&R) % (unsigned)(src.np - 1)));
        ntext tp = template_news(&src);
        text[4 * g] = render_news(&src, NULL, &len[4 * g]);
        text[4 * g + 1] = render_news(&ed, "By Jane Doe, Staff Writer", &len[4 * g + 1]);
        text[4 * g + 2] = render_news(&tp, NULL, &len[4 * g + 2]);
        text[4 * g + 3] = render_news(&other, NULL, &len[4 * g + 3]);
        free(src.t); free(other.t); free(ed.t); free(tp.t);
    }
}

/* Run a corpus of the measure m over texts; returns the corpus. */
static tsr_dedup *dedup_texts(int measure, char **text, size_t *len, size_t nd)
{
    tsr_dedup_opts o;
    tsr_dedup_opts_default(&o);
    CHECK(tsr_dedup_opts_measure(&o, measure) == TSR_OK);
    o.threads = 2;
    tsr_dedup *d = NULL;
    CHECK(tsr_dedup_create(&o, &d, NULL) == TSR_OK);
    if (!d) return NULL;
    uint16_t sig[128];
    for (size_t i = 0; i < nd; i++) {
        size_t ns = 0, plen = 0;
        void *pack = malloc(tsr_dedup_pack_bound(len[i]));
        CHECK(tsr_dedup_prepare(text[i], len[i], &o, sig, &ns, pack, &plen, NULL) == TSR_OK);
        if (measure == TSR_MEASURE_JACCARD)
            CHECK(tsr_dedup_add(d, ns ? sig : NULL, len[i], NULL, NULL) == TSR_OK);
        else
            CHECK(tsr_dedup_add_packed(d, ns ? sig : NULL, len[i], NULL, pack, plen, NULL) == TSR_OK);
        free(pack);
    }
    CHECK(tsr_dedup_run(d, NULL, NULL, NULL) == TSR_OK);
    CHECK(tsr_dedup_verify(d, NULL, NULL, NULL) == TSR_OK);
    return d;
}

static int together(const tsr_dedup *d, uint64_t a, uint64_t b)
{
    int64_t ca, cb;
    tsr_dedup_kept_as(d, a, &ca);
    tsr_dedup_kept_as(d, b, &cb);
    return ca >= 0 && ca == cb;
}

static void test_measures(void)
{
    const size_t nd = 4 * NEWS;
    char **text = calloc(nd, sizeof *text);
    size_t *len = calloc(nd, sizeof *len);
    make_news_corpus(text, len);
    tsr_dedup_opts oa, oc, oj;
    tsr_dedup_opts_default(&oj);
    oa = oc = oj;
    tsr_dedup_opts_measure(&oa, TSR_MEASURE_ALIGNED);
    tsr_dedup_opts_measure(&oc, TSR_MEASURE_CONTAINMENT);
    CHECK(oa.threshold == 0.8 && oa.shingle == 3 && oa.candidate == 0.3);
    CHECK(oc.threshold == 0.7 && oj.threshold == 0.8 && oj.shingle == 5);
    CHECK(tsr_dedup_opts_measure(&oj, 7) == TSR_ERR_INVALID);
    CHECK(!strcmp(tsr_measure_name(TSR_MEASURE_ALIGNED), "aligned") && !tsr_measure_name(9));

    /* scores of pairs */
    double ed_al = 1, ed_co = 1, ed_ja = 0, tp_al = 0, tp_co = 0;
    int ed_ja_low = 0;
    for (int g = 0; g < NEWS; g++) {
        double s;
        const size_t b = 4 * (size_t)g;
        CHECK(tsr_dedup_measure(text[b], len[b], text[b + 1], len[b + 1], &oa, &s, NULL) == TSR_OK);
        if (s < ed_al) ed_al = s;
        CHECK(tsr_dedup_measure(text[b], len[b], text[b + 1], len[b + 1], &oc, &s, NULL) == TSR_OK);
        if (s < ed_co) ed_co = s;
        CHECK(tsr_dedup_measure(text[b], len[b], text[b + 1], len[b + 1], &oj, &s, NULL) == TSR_OK);
        if (s > ed_ja) ed_ja = s;
        ed_ja_low += s < oj.threshold;
        CHECK(tsr_dedup_measure(text[b], len[b], text[b + 2], len[b + 2], &oa, &s, NULL) == TSR_OK);
        if (s > tp_al) tp_al = s;
        CHECK(tsr_dedup_measure(text[b], len[b], text[b + 2], len[b + 2], &oc, &s, NULL) == TSR_OK);
        if (s > tp_co) tp_co = s;
        /* symmetric, and 1 for a text with itself */
        double s1, s2;
        tsr_dedup_measure(text[b + 1], len[b + 1], text[b], len[b], &oa, &s1, NULL);
        tsr_dedup_measure(text[b], len[b], text[b + 1], len[b + 1], &oa, &s2, NULL);
        CHECK(s1 == s2);
        tsr_dedup_measure(text[b], len[b], text[b], len[b], &oa, &s1, NULL);
        CHECK(s1 == 1.0);
    }
    printf("edited copies: aligned >= %.3f, containment >= %.3f, Jaccard <= %.3f (%d of %d "
           "below 0.8); templates: aligned <= %.3f, containment <= %.3f\n",
           ed_al, ed_co, ed_ja, ed_ja_low, NEWS, tp_al, tp_co);
    CHECK(ed_al >= oa.threshold);
    CHECK(ed_co >= oc.threshold);
    CHECK(tp_al < oa.threshold);
    CHECK(tp_co < oc.threshold);
    CHECK(ed_ja_low >= NEWS * 9 / 10);   /* why the measures exist */
    double s = 1;
    CHECK(tsr_dedup_measure("", 0, text[0], len[0], &oa, &s, NULL) == TSR_OK && s == 0.0);
    CHECK(tsr_dedup_measure("a \xff", 3, text[0], len[0], &oa, &s, NULL) == TSR_ERR_UTF8);

    /* clusters */
    const int measures[3] = { TSR_MEASURE_ALIGNED, TSR_MEASURE_CONTAINMENT, TSR_MEASURE_JACCARD };
    for (int mi = 0; mi < 3; mi++) {
        tsr_dedup *d = dedup_texts(measures[mi], text, len, nd);
        if (!d) continue;
        int ed = 0, tp = 0, un = 0;
        for (int g = 0; g < NEWS; g++) {
            const uint64_t b = 4 * (uint64_t)g;
            ed += together(d, b, b + 1);
            tp += together(d, b, b + 2) || together(d, b + 1, b + 2);
            un += tsr_dedup_kept_as(d, b + 3, NULL) != b + 3;
        }
        size_t ncl = 0;
        const tsr_dedup_cluster *cl = tsr_dedup_clusters(d, &ncl);
        tsr_dedup_opts o;
        tsr_dedup_opts_default(&o);
        tsr_dedup_opts_measure(&o, measures[mi]);
        double least = 1;
        for (size_t c = 0; c < ncl; c++) {
            if (cl[c].similarity < least) least = cl[c].similarity;
            /* the similarity is the least score with the keeper: check it */
            const uint64_t *m = tsr_dedup_members(d) + cl[c].first;
            for (size_t k = 0; k < cl[c].n && measures[mi] != TSR_MEASURE_JACCARD; k++) {
                if (m[k] == cl[c].keep) continue;
                double sc;
                tsr_dedup_measure(text[m[k]], len[m[k]], text[cl[c].keep], len[cl[c].keep], &o,
                                  &sc, NULL);
                CHECK(sc >= o.threshold && sc + 1e-6 >= cl[c].similarity);
            }
        }
        tsr_dedup_counts k;
        tsr_dedup_get_counts(d, &k);
        printf("%s: edited copies with their source %d/%d, template instances %d, unrelated "
               "dropped %d; %zu clusters, least similarity %.3f; %llu candidates, %llu scored\n",
               tsr_measure_name(measures[mi]), ed, NEWS, tp, un, ncl, least,
               (unsigned long long)k.candidates, (unsigned long long)k.scored);
        if (measures[mi] == TSR_MEASURE_JACCARD) {
            CHECK(ed <= NEWS / 10);
        } else {
            CHECK(ed == NEWS);
            CHECK(k.candidates >= NEWS && k.scored >= NEWS && k.joined == (uint64_t)ed);
            CHECK(least >= o.threshold);
        }
        CHECK(tp == 0);
        CHECK(un == 0);
        tsr_dedup_free(d);
    }
    for (size_t i = 0; i < nd; i++) free(text[i]);
    free(text);
    free(len);
}

/* A chain: B is A with every 4th word of its first half replaced, C is B
 * with every 4th word of its second half replaced.  A ~ B and B ~ C score
 * about 0.87; A ~ C is low (no run of A longer than 3 words survives in C:
 * no passage): B joins A, C stays (it would be a duplicate of A only
 * through B, which union-find of the passing pairs would make it). */
static void test_chain(void)
{
    words a = random_words(240);
    words b = { malloc(a.n * sizeof(int)), a.n }, c = { malloc(a.n * sizeof(int)), a.n };
    for (size_t i = 0; i < a.n; i++) {
        b.w[i] = i < a.n / 2 && i % 4 == 2 ? (int)(rng_next(&R) % VOCAB) : a.w[i];
        c.w[i] = i >= a.n / 2 && i % 4 == 2 ? (int)(rng_next(&R) % VOCAB) : b.w[i];
    }
    char *t[3];
    size_t l[3];
    t[0] = render(a, &l[0]);
    t[1] = render(b, &l[1]);
    t[2] = render(c, &l[2]);
    tsr_dedup_opts o;
    tsr_dedup_opts_default(&o);
    tsr_dedup_opts_measure(&o, TSR_MEASURE_ALIGNED);
    double ab, bc, ac;
    tsr_dedup_measure(t[0], l[0], t[1], l[1], &o, &ab, NULL);
    tsr_dedup_measure(t[1], l[1], t[2], l[2], &o, &bc, NULL);
    tsr_dedup_measure(t[0], l[0], t[2], l[2], &o, &ac, NULL);
    printf("chain: A~B %.3f, B~C %.3f, A~C %.3f\n", ab, bc, ac);
    CHECK(ab >= 0.8 && bc >= 0.8 && ac < 0.8);
    tsr_dedup *d = dedup_texts(TSR_MEASURE_ALIGNED, t, l, 3);
    if (d) {
        CHECK(tsr_dedup_kept_as(d, 1, NULL) == 0);
        CHECK(tsr_dedup_kept_as(d, 2, NULL) == 2);
        tsr_dedup_free(d);
    }
    for (int i = 0; i < 3; i++) free(t[i]);
    free(a.w); free(b.w); free(c.w);
}

/* Copies go together: K is kept, A is K without its last sentence, B is A
 * with "1.5" written "1 5" (the same words, so the same signature, but two
 * figures that K does not hold): B scores low with K, yet it is a copy of
 * A, which K takes, and goes with it. */
static void test_copies_together(void)
{
    const char *t[3] = {
        "Output at the plant rose 1.5 pct in the year to March, the company said on "
        "Tuesday, and it expects the same pace in the coming months as orders grow. "
        "Its shares closed higher on the news.",
        "Output at the plant rose 1.5 pct in the year to March, the company said on "
        "Tuesday, and it expects the same pace in the coming months as orders grow.",
        "Output at the plant rose 1 5 pct in the year to March, the company said on "
        "Tuesday, and it expects the same pace in the coming months as orders grow." };
    size_t l[3] = { strlen(t[0]), strlen(t[1]), strlen(t[2]) };
    tsr_dedup_opts o;
    tsr_dedup_opts_default(&o);
    tsr_dedup_opts_measure(&o, TSR_MEASURE_ALIGNED);
    double ka, kb;
    tsr_dedup_measure(t[0], l[0], t[1], l[1], &o, &ka, NULL);
    tsr_dedup_measure(t[0], l[0], t[2], l[2], &o, &kb, NULL);
    printf("copies: K~A %.3f, K~B %.3f\n", ka, kb);
    CHECK(ka >= o.threshold && kb < o.threshold);
    tsr_dedup *d = dedup_texts(TSR_MEASURE_ALIGNED, (char **)t, l, 3);
    if (d) {
        CHECK(tsr_dedup_kept_as(d, 1, NULL) == 0);
        CHECK(tsr_dedup_kept_as(d, 2, NULL) == 0);
        tsr_dedup_free(d);
    }
}

/* A short text (15 words) with its first word changed: one passage of 14
 * words, shorter than the aligner's default 15, still counts. */
static void test_short(void)
{
    const char *a = "Quarterly div eight cts vs eight cts prior pay June one record May "
                    "fifteen Reuter";
    const char *b = "Qtly div eight cts vs eight cts prior pay June one record May "
                    "fifteen Reuter";
    tsr_dedup_opts o;
    tsr_dedup_opts_default(&o);
    tsr_dedup_opts_measure(&o, TSR_MEASURE_ALIGNED);
    double s;
    CHECK(tsr_dedup_measure(a, strlen(a), b, strlen(b), &o, &s, NULL) == TSR_OK);
    printf("short text, first word changed: aligned %.3f\n", s);
    CHECK(s >= o.threshold);
}

/* Misuse and failures: the calls say what went wrong. */
static void test_misuse(void)
{
    tsr_dedup_opts o;
    tsr_dedup_opts_default(&o);
    tsr_dedup_opts_measure(&o, TSR_MEASURE_ALIGNED);
    tsr_dedup *d = NULL;
    uint16_t sig[128];
    const char *text = "one two three 4 five six seven";
    size_t ns, plen;
    unsigned char pack[256];
    CHECK(tsr_dedup_pack_bound(strlen(text)) <= sizeof pack);
    CHECK(tsr_dedup_prepare(text, strlen(text), &o, sig, &ns, pack, &plen, NULL) == TSR_OK);
    CHECK(plen == 12 + 2 * 7 + 2 * 1);   /* 7 words, one figure */
    CHECK(tsr_dedup_create(&o, &d, NULL) == TSR_OK);
    tsr_error e;
    CHECK(tsr_dedup_add(d, sig, 10, NULL, &e) == TSR_ERR_INVALID);
    CHECK(tsr_dedup_add_packed(d, sig, 10, NULL, pack, plen - 2, &e) == TSR_ERR_FORMAT);
    CHECK(tsr_dedup_verify(d, NULL, NULL, &e) == TSR_ERR_INVALID);  /* before run */
    CHECK(tsr_dedup_add_packed(d, sig, 10, NULL, pack, plen, &e) == TSR_OK);
    CHECK(tsr_dedup_add_packed(d, sig, 10, NULL, pack, plen, &e) == TSR_OK);
    CHECK(tsr_dedup_run(d, NULL, NULL, NULL) == TSR_OK);
    CHECK(tsr_dedup_kept_as(d, 1, NULL) == 1);   /* no clusters before verify */
    CHECK(tsr_dedup_verify(d, NULL, NULL, NULL) == TSR_OK);
    CHECK(tsr_dedup_kept_as(d, 1, NULL) == 0);
    tsr_dedup_counts k;
    tsr_dedup_get_counts(d, &k);
    CHECK(k.identical == 1 && k.scored == 0 && k.joined == 1);
    tsr_dedup_free(d);
    /* the spool cannot be made */
    o.tmpdir = "/nonexistent/tessera";
    CHECK(tsr_dedup_create(&o, &d, NULL) == TSR_OK);
    CHECK(tsr_dedup_add_packed(d, sig, 10, NULL, pack, plen, &e) == TSR_ERR_IO);
    CHECK(strstr(e.message, "/nonexistent/tessera") != NULL);
    tsr_dedup_free(d);
    /* containment's forms differ from aligned's */
    o.tmpdir = NULL;
    tsr_dedup_opts_measure(&o, TSR_MEASURE_CONTAINMENT);
    CHECK(tsr_dedup_create(&o, &d, NULL) == TSR_OK);
    CHECK(tsr_dedup_add_packed(d, sig, 10, NULL, pack, plen, &e) == TSR_ERR_FORMAT);
    tsr_dedup_free(d);
    o.candidate = 0;
    CHECK(tsr_dedup_opts_validate(&o, NULL) == TSR_ERR_INVALID);
    o.candidate = 0.25;
    o.measure = 5;
    CHECK(tsr_dedup_opts_validate(&o, NULL) == TSR_ERR_INVALID);
}

/* Figures are numbers as written: "0.50" and "51.00" are two figures, not
 * four pieces of which three recur in "1.00" and "51.50". */
static void test_figures(void)
{
    const char *a = "Cattle futures opened 0.50 cent higher on the day, floor traders said "
                    "this morning. The top price was 51.00 cents a pound at the open.";
    const char *b = "Cattle futures opened 1.00 cent higher on the day, floor traders said "
                    "this morning. The top price was 51.50 cents a pound at the open.";
    const char *c = "Cattle futures opened 0.50 cent higher on the day, floor dealers said "
                    "this morning. The top price was 51.00 cents a pound at the open.";
    tsr_dedup_opts o;
    tsr_dedup_opts_default(&o);
    for (int m = TSR_MEASURE_ALIGNED; m <= TSR_MEASURE_CONTAINMENT; m++) {
        tsr_dedup_opts_measure(&o, m);
        double ab, ac;
        CHECK(tsr_dedup_measure(a, strlen(a), b, strlen(b), &o, &ab, NULL) == TSR_OK);
        CHECK(tsr_dedup_measure(a, strlen(a), c, strlen(c), &o, &ac, NULL) == TSR_OK);
        printf("%s: other figures %.3f, one word changed %.3f\n", tsr_measure_name(m), ab, ac);
        CHECK(ab <= 1.0 / 3 + 1e-9);        /* (0 + 1) / (2 + 1) */
        CHECK(ac >= o.threshold);
    }
}

/* An index finds an edited copy of an indexed text under aligned, not a
 * template instance. */
static void test_index_measure(void)
{
    char **text = calloc(4 * NEWS, sizeof *text);
    size_t *len = calloc(4 * NEWS, sizeof *len);
    make_news_corpus(text, len);
    char dir[] = "/tmp/tsr-minhash-XXXXXX";
    if (mkdtemp(dir)) {
        tsr_index *ix = index_ten_groups(dir, "src", text, len);
        tsr_dedup_opts o;
        tsr_dedup_opts_default(&o);
        tsr_dedup_opts_measure(&o, TSR_MEASURE_ALIGNED);
        int found = 0, wrong = 0;
        for (int g = 0; g < 10; g++) {
            tsr_dup_match m;
            CHECK(tsr_index_near_duplicate(ix, text[4 * g + 1], len[4 * g + 1], &o, &m, NULL) == TSR_OK);
            found += m.docno == g && m.score >= o.threshold;
            CHECK(tsr_index_near_duplicate(ix, text[4 * g + 2], len[4 * g + 2], &o, &m, NULL) == TSR_OK);
            wrong += m.docno >= 0;
        }
        printf("index: edited copies found %d/10, template instances %d\n", found, wrong);
        CHECK(found == 10);
        CHECK(wrong == 0);
        tsr_index_close(ix);
        CHECK(rm_tree(dir) == 0);
    }
    for (int i = 0; i < 4 * NEWS; i++) free(text[i]);
    free(text);
    free(len);
}

/* The bounds of verification (dv_score with `bound`, which decides a pair
 * without the aligner when the figure share or the words in 3-grams of
 * the other text already put it below the threshold) never drop a pair
 * that the full measure keeps, and change no score that passes: over
 * generated pairs of every edit rate (0-60%), with paragraphs dropped,
 * template instances (other figures), unrelated texts, and the two
 * measures at thresholds from 0.5 to 0.95. */
static void test_bounds(void)
{
    size_t pairs = 0, kept = 0, spared = 0, wrong = 0;
    dv_work *w = dv_work_new();
    CHECK(w != NULL);
    for (int round = 0; w && round < 300; round++) {
        ntext src = make_news();
        const double rate = (double)(rng_next(&R) % 61) / 100.0;
        const int kind = (int)(rng_next(&R) % 4);
        ntext other = kind == 0 ? template_news(&src)
                    : kind == 1 ? make_news()
                    : edit_news(&src, rate, kind == 2 ? -1 : (int)(rng_next(&R) % (unsigned)src.np));
        size_t la, lb;
        char *ta = render_news(&src, NULL, &la), *tb = render_news(&other, NULL, &lb);
        for (int m = 0; m < 2; m++) {
            tsr_dedup_opts o;
            tsr_dedup_opts_default(&o);
            CHECK(tsr_dedup_opts_measure(&o, m ? TSR_MEASURE_CONTAINMENT : TSR_MEASURE_ALIGNED) ==
                  TSR_OK);
            o.threshold = 0.5 + 0.05 * (double)(rng_next(&R) % 10);
            uint16_t sig[128];
            size_t ns, pa_len, pb_len;
            uint32_t *pa = malloc(tsr_dedup_pack_bound(la) + 4), *pb = malloc(tsr_dedup_pack_bound(lb) + 4);
            dv_text xa, xb;
            if (tsr_dedup_prepare(ta, la, &o, sig, &ns, pa, &pa_len, NULL) == TSR_OK &&
                tsr_dedup_prepare(tb, lb, &o, sig, &ns, pb, &pb_len, NULL) == TSR_OK &&
                dv_load(&xa, pa, pa_len, &o, NULL) == TSR_OK) {
                if (dv_load(&xb, pb, pb_len, &o, NULL) == TSR_OK) {
                    const double full = dv_score(&xa, &xb, &o, w, 0);
                    const double fast = dv_score(&xa, &xb, &o, w, 1);
                    pairs++;
                    kept += full >= o.threshold;
                    spared += full < o.threshold && fast != full;
                    /* a pair the full measure keeps is kept with its
                     * score; one it drops is dropped */
                    wrong += (full >= o.threshold) != (fast >= o.threshold) ||
                             (full >= o.threshold && fast != full) || full < 0 || fast < 0;
                    dv_text_free(&xb);
                }
                dv_text_free(&xa);
            }
            free(pa);
            free(pb);
        }
        free(ta); free(tb); free(src.t); free(other.t);
    }
    CHECK(pairs == 600);
    CHECK(wrong == 0);
    CHECK(kept >= 50);      /* the property was put to the test both ways */
    CHECK(spared >= 100);   /* and the bounds spare the aligner */
    if (wrong || kept < 50 || spared < 100 || getenv("BOUNDSTAT"))
        fprintf(stderr, "  bounds: %zu pairs, %zu kept, %zu decided by a bound, %zu wrong\n",
                pairs, kept, spared, wrong);
    dv_work_free(w);
}

int main(void)
{
    RUN(test_banding);
    RUN(test_estimator);
    RUN(test_scurve);
    RUN(test_clusters);
    RUN(test_measures);
    RUN(test_chain);
    RUN(test_copies_together);
    RUN(test_short);
    RUN(test_misuse);
    RUN(test_figures);
    RUN(test_index_measure);
    RUN(test_bounds);
    return test_report();
}
