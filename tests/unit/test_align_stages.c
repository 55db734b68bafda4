/*
 * test_align_stages.c - the stages of al_align (lib/align_stages.h), each
 * called on its own with small hand-made inputs: seeds, runs, rare-word
 * seeds, pruning, clustering, the trims of a cluster's ends (both ends,
 * which one function serves with a direction), extension, scoring of a
 * cluster, overlap resolution and the merge of neighbours.
 *
 * Words are made from tokens separated by spaces: a token's hash is
 * FNV-1a of its bytes, and its span is where it stands in the string, so
 * that a word is as long as its token (rare words need 5 bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align_stages.h"
#include "testhelp.h"

/* ---- helpers -------------------------------------------------------------- */

enum { MAXW = 256 };

/* The words of `s` into w (room for MAXW); returns how many. */
static size_t mkwords(const char *s, tsr_word *w)
{
    size_t n = 0;
    for (size_t i = 0; s[i] && n < MAXW;) {
        if (s[i] == ' ') { i++; continue; }
        size_t e = i;
        uint64_t h = 14695981039346656037ull;
        while (s[e] && s[e] != ' ') {
            h = (h ^ (unsigned char)s[e]) * 1099511628211ull;
            e++;
        }
        w[n].hash = h;
        w[n].begin = (uint32_t)i;
        w[n].end = (uint32_t)e;
        n++;
        i = e;
    }
    return n;
}

/* Appends "<prefix>0 <prefix>1 ... <prefix>(n-1) " to buf (room for 4096). */
static void tokens(char *buf, const char *prefix, int n)
{
    size_t len = strlen(buf);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, 4096 - len, "%s%d ", prefix, i);
}

static al_run R(uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    al_run r = { a0, a1, b0, b1 };
    return r;
}

static int same_run(al_run x, al_run y)
{
    return x.a0 == y.a0 && x.a1 == y.a1 && x.b0 == y.b0 && x.b1 == y.b1;
}

static int range_is(al_range g, size_t lo, size_t hi)
{
    return g.lo == lo && g.hi == hi;
}

static al_passage P(uint32_t a_lo, uint32_t a_hi, uint32_t b_lo, uint32_t b_hi,
                    uint32_t matches)
{
    al_passage p = { .a_lo = a_lo, .a_hi = a_hi, .b_lo = b_lo, .b_hi = b_hi,
                     .matches = matches };
    return p;
}

/* A query of the words of `a`, and the pair of it with the words of `b`
 * (b NULL: self mode).  Words live in the caller's arrays. */
typedef struct {
    tsr_word A[MAXW], B[MAXW];
    size_t an, bn;
    tsr_params p;
    al_query q;
    al_pair c;
    al_work *wk;
} fixture;

static void fx_open(fixture *f, const char *a, const char *b)
{
    tsr_params_default(&f->p);
    f->an = mkwords(a, f->A);
    f->bn = b ? mkwords(b, f->B) : f->an;
    if (al_query_init(&f->q, f->A, f->an, &f->p, NULL) != TSR_OK) abort();
    al_pair_init(&f->c, &f->q, b ? f->B : f->A, f->bn, &f->p, b == NULL);
    f->wk = al_work_new();
    if (!f->wk) abort();
}

static void fx_close(fixture *f)
{
    al_work_free(f->wk);
    al_query_free(&f->q);
}

/* The next of a seeded sequence of random numbers (an LCG's high bits). */
static uint32_t next_rand(uint64_t *r)
{
    *r = *r * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*r >> 33);
}

/* buf (room for 4096) := up to 250 random words, separated by spaces,
 * from the first `vocab` of tok[0, ntok) and, past ntok, numbered
 * variants of them ("<tok>N"). */
static void random_text(char *buf, uint64_t *r, const char *const *tok, int ntok, int vocab)
{
    size_t len = 0;
    const int n = (int)(next_rand(r) % 251);
    for (int x = 0; x < n; x++) {
        const int v = (int)(next_rand(r) % (uint32_t)vocab);
        len += (size_t)snprintf(buf + len, 4096 - len, "%s%.0d ", tok[v % ntok], v / ntok);
    }
    buf[len] = 0;
}

/* A fixture without texts, its query zeroed, to be reset from pair to
 * pair (fx_random); fx_close ends it. */
static void fx_empty(fixture *f)
{
    tsr_params_default(&f->p);
    memset(&f->q, 0, sizeof f->q);
    f->wk = al_work_new();
    if (!f->wk) abort();
}

/* f's query reset to a random text (random_text), paired with another. */
static void fx_random(fixture *f, uint64_t *r, const char *const *tok, int ntok, int vocab)
{
    char a[4096], b[4096];
    random_text(a, r, tok, ntok, vocab);
    random_text(b, r, tok, ntok, vocab);
    f->an = mkwords(a, f->A);
    f->bn = mkwords(b, f->B);
    if (al_query_reset(&f->q, f->A, f->an, &f->p, NULL) != TSR_OK) abort();
    al_pair_init(&f->c, &f->q, f->B, f->bn, &f->p, 0);
}

/* A pair without a query, for the stages that read only runs. */
static al_pair bare_pair(const tsr_params *p, size_t an)
{
    al_pair c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.an = an;
    c.bn = an;
    c.k = (size_t)p->seed;
    c.min_words = (uint32_t)p->min_words;
    return c;
}

/* ---- 1. seeds ------------------------------------------------------------- */

static void test_seeds(void)
{
    fixture f;
    fx_open(&f, "a b c d e f", "x a b c d y");
    CHECK(al_seeds(&f.c, f.wk) == 0);
    /* grams "a b c" and "b c d" are shared: in order of B, then A */
    CHECK(f.wk->hits.n == 2);
    if (f.wk->hits.n == 2) {
        CHECK(f.wk->hits.a[0].i == 0 && f.wk->hits.a[0].j == 1);
        CHECK(f.wk->hits.a[1].i == 1 && f.wk->hits.a[1].j == 2);
    }
    fx_close(&f);

    /* self mode: only the later copy of "a b c" finds the earlier one */
    fx_open(&f, "a b c x a b c", NULL);
    CHECK(f.c.self == 1);
    CHECK(al_seeds(&f.c, f.wk) == 0);
    CHECK(f.wk->hits.n == 1 && f.wk->hits.a[0].i == 0 && f.wk->hits.a[0].j == 4);
    fx_close(&f);

    /* a gram 32 times in A gives 32 hits; 33 times, none */
    static char a[4096];
    for (int times = 32; times <= 33; times++) {
        a[0] = 0;
        for (int t = 0; t < times; t++) strcat(a, "a b c ");
        fx_open(&f, a, "z a b c z");
        CHECK(al_seeds(&f.c, f.wk) == 0);
        CHECK(f.wk->hits.n == (times == 32 ? 32u : 0u));
        if (times == 32 && f.wk->hits.n == 32)
            CHECK(f.wk->hits.a[31].i == 93 && f.wk->hits.a[31].j == 1);
        fx_close(&f);
    }

    /* B shorter than a seed: no hits */
    fx_open(&f, "a b c", "a b");
    CHECK(al_seeds(&f.c, f.wk) == 0 && f.wk->hits.n == 0);
    fx_close(&f);
}

/* al_seeds against a plain reading of its contract on 2,000 random pairs
 * of texts of up to 250 words from 2 to 9 tokens (grams shared many
 * times, some more than ALIGN_MAX_OCC = 32 times in A), with one query
 * reset from pair to pair: every (i, j) with A[i, i+3) == B[j, j+3), in
 * order of j then i, none for a gram of B that 33 or more grams of A
 * equal.  The seed filter (a bit per gram of A) turns grams of B away
 * before the table: this says it turns away none that has a hit, and
 * that a query's filter starts empty when the query is reset. */
static void test_seeds_random(void)
{
    static const char *const tok[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i" };
    uint64_t r = 20261205;
    fixture f;
    fx_empty(&f);
    int bad = 0;
    for (int t = 0; t < 2000 && !bad; t++) {
        fx_random(&f, &r, tok, 9, 2 + t % 8);
        if (al_seeds(&f.c, f.wk) != 0) abort();
        size_t k = 0;
        for (size_t j = 0; j + 3 <= f.bn && !bad; j++) {
            size_t same = 0;
            for (size_t i = 0; i + 3 <= f.an; i++)
                same += f.A[i].hash == f.B[j].hash && f.A[i + 1].hash == f.B[j + 1].hash &&
                        f.A[i + 2].hash == f.B[j + 2].hash;
            if (same > 32) continue;
            for (size_t i = 0; i + 3 <= f.an && !bad; i++)
                if (f.A[i].hash == f.B[j].hash && f.A[i + 1].hash == f.B[j + 1].hash &&
                    f.A[i + 2].hash == f.B[j + 2].hash) {
                    bad = k >= f.wk->hits.n || f.wk->hits.a[k].i != i || f.wk->hits.a[k].j != j;
                    k++;
                }
        }
        if (k != f.wk->hits.n) bad = 1;
        if (bad) fprintf(stderr, "seeds of random pair %d (%zu ~ %zu words) differ\n", t, f.an,
                         f.bn);
    }
    CHECK(!bad);
    fx_close(&f);

    /* the tables' sizes: powers of two from lo up, none above 2^31, even
     * for the 16 bits a gram of the filter of a text of 2^28 words */
    CHECK(al_pow2_slots(0, 16) == 16 && al_pow2_slots(16, 16) == 16);
    CHECK(al_pow2_slots(17, 16) == 32 && al_pow2_slots(1000, 64) == 1024);
    CHECK(al_pow2_slots(((uint64_t)1 << 31) + 1, 16) == (uint32_t)1 << 31);
    CHECK(al_pow2_slots(16 * ((uint64_t)1 << 28), 64) == (uint32_t)1 << 31);
}

/* ---- 2. runs -------------------------------------------------------------- */

static void test_runs(void)
{
    tsr_params p;
    tsr_params_default(&p);
    al_pair c = bare_pair(&p, 20);
    al_work *wk = al_work_new();
    /* as al_seeds makes them: in order of j, then i */
    const al_hit h[] = { { 0, 1 }, { 1, 2 }, { 2, 3 }, { 10, 3 }, { 6, 7 } };
    for (size_t x = 0; x < sizeof h / sizeof *h; x++)
        CHECK(tsr_vec_push(&wk->hits, h[x]) == 0);
    CHECK(al_runs(&c, wk) == 0);
    /* diagonal -7 first; on diagonal +1 the first three hits touch, and
     * (6, 7) starts past the run's end (5) */
    CHECK(wk->runs.n == 3);
    if (wk->runs.n == 3) {
        CHECK(same_run(wk->runs.a[0], R(10, 13, 3, 6)));
        CHECK(same_run(wk->runs.a[1], R(0, 5, 1, 6)));
        CHECK(same_run(wk->runs.a[2], R(6, 9, 7, 10)));
    }
    /* the hits are left sorted by diagonal */
    CHECK(wk->hits.n == 5 && wk->hits.a[0].i == 10 && wk->hits.a[4].i == 6);
    /* one hit, one run; none, none */
    wk->hits.n = 1;
    wk->hits.a[0].i = 4;
    wk->hits.a[0].j = 9;
    CHECK(al_runs(&c, wk) == 0 && wk->runs.n == 1 && same_run(wk->runs.a[0], R(4, 7, 9, 12)));
    wk->hits.n = 0;
    CHECK(al_runs(&c, wk) == 0 && wk->runs.n == 0);
    al_work_free(wk);
}

/* ---- 3. rare-word seeds --------------------------------------------------- */

static void test_rare_seeds(void)
{
    /* rare in A (5 bytes or more, once): aaaaa (0), bbbbb (1), eeeee (4);
     * ddddd is there twice, cc is short */
    const char *a = "aaaaa bbbbb cc ddddd eeeee ddddd";
    const char *b = "eeeee xx aaaaa bbbbb bbbbb ddddd";
    fixture f;
    fx_open(&f, a, b);
    /* bbbbb is twice in B: not rare there */
    CHECK(al_rare_seeds(&f.c, f.wk) == 0);
    CHECK(f.wk->runs.n == 2);
    if (f.wk->runs.n == 2) {
        CHECK(same_run(f.wk->runs.a[0], R(4, 5, 0, 1)));  /* in B's order */
        CHECK(same_run(f.wk->runs.a[1], R(0, 1, 2, 3)));
    }
    /* a word inside an exact run adds nothing */
    f.wk->runs.n = 0;
    CHECK(tsr_vec_push(&f.wk->runs, R(0, 1, 10, 11)) == 0);
    CHECK(al_rare_seeds(&f.c, f.wk) == 0);
    CHECK(f.wk->runs.n == 2 && same_run(f.wk->runs.a[0], R(0, 1, 10, 11)) &&
          same_run(f.wk->runs.a[1], R(4, 5, 0, 1)));
    fx_close(&f);
    /* none in self mode */
    fx_open(&f, "aaaaa bbbbb ccccc aaaaa", NULL);
    CHECK(al_rare_seeds(&f.c, f.wk) == 0 && f.wk->runs.n == 0);
    fx_close(&f);
}

/* al_rare_seeds against a plain reading of its contract on 2,000 random
 * pairs of texts of up to 250 words, long (5 bytes and more) and short,
 * from vocabularies of 3 to 40 words, with one query reset from pair to
 * pair and no exact runs: a run of one word (i, j) for each word i of A
 * that is long and once in A, where j is the one long word of B equal to
 * it (none when B holds it twice), in order of j.  The rare words' filter
 * (a bit per rare word of A) turns B's words away before the table: this
 * says it turns away none that is found. */
static void test_rare_seeds_random(void)
{
    static const char *const tok[] = { "alpha", "bravo", "cc", "delta", "eeeee", "ff",
                                       "golfer", "hotel", "india", "jj", "kilos", "lima5" };
    uint64_t r = 20261206;
    fixture f;
    fx_empty(&f);
    int bad = 0;
    for (int t = 0; t < 2000 && !bad; t++) {
        fx_random(&f, &r, tok, 12, 3 + t % 38);
        f.wk->runs.n = 0;
        if (al_rare_seeds(&f.c, f.wk) != 0) abort();
        size_t k = 0;
        for (size_t j = 0; j < f.bn && !bad; j++) {
            if (f.B[j].end - f.B[j].begin < 5) continue;
            for (size_t i = 0; i < f.an && !bad; i++) {
                if (f.A[i].hash != f.B[j].hash || f.A[i].end - f.A[i].begin < 5) continue;
                size_t in_a = 0, in_b = 0;
                for (size_t x = 0; x < f.an; x++) in_a += f.A[x].hash == f.A[i].hash;
                for (size_t y = 0; y < f.bn; y++)
                    in_b += f.B[y].hash == f.A[i].hash && f.B[y].end - f.B[y].begin >= 5;
                if (in_a != 1 || in_b != 1) continue;
                bad = k >= f.wk->runs.n || !same_run(f.wk->runs.a[k], R((uint32_t)i,
                      (uint32_t)i + 1, (uint32_t)j, (uint32_t)j + 1));
                k++;
            }
        }
        if (k != f.wk->runs.n) bad = 1;
        if (bad) fprintf(stderr, "rare seeds of random pair %d (%zu ~ %zu words) differ\n", t,
                         f.an, f.bn);
    }
    CHECK(!bad);
    fx_close(&f);
}

/* ---- 4. pruning ----------------------------------------------------------- */

static void test_prune(void)
{
    tsr_params p;
    tsr_params_default(&p);  /* k 3, max_gap 50 */
    al_pair c = bare_pair(&p, 600);
    al_work *wk = al_work_new();
    const al_run in[] = {
        R(200, 203, 500, 503),  /* short, alone: dropped */
        R(60, 63, 112, 115),    /* neighbour R(80..), but its B words are the long run's */
        R(30, 33, 318, 321),    /* neighbour of R(12..): kept */
        R(10, 20, 110, 120),    /* long: kept */
        R(12, 15, 300, 303),    /* neighbour R(30..), but its A words are the long run's */
        R(22, 25, 122, 125),    /* next to the long run, on its diagonal: kept */
        R(80, 83, 132, 135),    /* neighbour of R(60..): kept */
    };
    for (size_t x = 0; x < sizeof in / sizeof *in; x++)
        CHECK(tsr_vec_push(&wk->runs, in[x]) == 0);
    CHECK(al_prune(&c, wk) == 0);
    CHECK(wk->runs.n == 4);  /* and sorted by A */
    if (wk->runs.n == 4) {
        CHECK(same_run(wk->runs.a[0], R(10, 20, 110, 120)));
        CHECK(same_run(wk->runs.a[1], R(22, 25, 122, 125)));
        CHECK(same_run(wk->runs.a[2], R(30, 33, 318, 321)));
        CHECK(same_run(wk->runs.a[3], R(80, 83, 132, 135)));
    }
    /* a single word needs a neighbour within ALIGN_UNI_NEAR (6) words */
    wk->runs.n = 0;
    CHECK(tsr_vec_push(&wk->runs, R(40, 41, 40, 41)) == 0);
    CHECK(tsr_vec_push(&wk->runs, R(44, 49, 44, 49)) == 0);
    CHECK(tsr_vec_push(&wk->runs, R(70, 71, 72, 73)) == 0);
    CHECK(tsr_vec_push(&wk->runs, R(78, 83, 78, 83)) == 0);
    CHECK(al_prune(&c, wk) == 0);
    CHECK(wk->runs.n == 3 && same_run(wk->runs.a[0], R(40, 41, 40, 41)) &&
          same_run(wk->runs.a[2], R(78, 83, 78, 83)));
    al_work_free(wk);
}

/* ---- 5. clustering -------------------------------------------------------- */

static void test_cluster(void)
{
    tsr_params p;
    tsr_params_default(&p);
    p.max_gap = 10;
    al_pair c = bare_pair(&p, 200);
    al_work *wk = al_work_new();
    /* Y is close to X in A but far in B; Z is far in A */
    const al_run X = R(0, 5, 0, 5), Y = R(8, 12, 100, 104), Z = R(50, 55, 50, 55);
    CHECK(tsr_vec_push(&wk->runs, Z) == 0);
    CHECK(tsr_vec_push(&wk->runs, Y) == 0);
    CHECK(tsr_vec_push(&wk->runs, X) == 0);
    CHECK(al_cluster(&c, wk) == 0);
    CHECK(wk->work.n == 3);
    if (wk->work.n == 3) {
        CHECK(range_is(wk->work.a[0], 0, 1) && range_is(wk->work.a[1], 1, 2) &&
              range_is(wk->work.a[2], 2, 3));
        CHECK(same_run(wk->runs.a[0], X) && same_run(wk->runs.a[1], Y) &&
              same_run(wk->runs.a[2], Z));
    }
    /* swapped clauses close on both sides stay one cluster */
    wk->runs.n = 0;
    CHECK(tsr_vec_push(&wk->runs, R(0, 5, 10, 15)) == 0);
    CHECK(tsr_vec_push(&wk->runs, R(6, 10, 0, 4)) == 0);
    CHECK(al_cluster(&c, wk) == 0);
    CHECK(wk->work.n == 1 && range_is(wk->work.a[0], 0, 2));
    /* no runs, no clusters */
    wk->runs.n = 0;
    CHECK(al_cluster(&c, wk) == 0 && wk->work.n == 0);
    al_work_free(wk);
}

/* ---- 6. trims ------------------------------------------------------------- */

/* Runs mirrored in A and B (x -> m - x), in reverse order: what the low
 * end of `r` is, the high end of `out` is. */
static void mirror(const al_run *r, size_t n, uint32_t m, al_run *out)
{
    for (size_t x = 0; x < n; x++)
        out[n - 1 - x] = R(m - r[x].a1, m - r[x].a0, m - r[x].b1, m - r[x].b0);
}

static void test_trim_stray_end(void)
{
    al_run m[8];
    const al_range two = { 0, 2 };
    /* a single word 9 words before the next run: a stray */
    const al_run far[] = { R(0, 1, 0, 1), R(10, 15, 10, 15) };
    CHECK(range_is(al_trim_stray_end(far, two, 0, +1), 1, 2));
    CHECK(range_is(al_trim_stray_end(far, two, 0, -1), 0, 2));  /* other end: no single */
    mirror(far, 2, 15, m);
    CHECK(range_is(al_trim_stray_end(m, two, 0, -1), 0, 1));
    CHECK(range_is(al_trim_stray_end(m, two, 0, +1), 0, 2));
    /* 2 words before it: kept */
    const al_run near[] = { R(7, 8, 7, 8), R(10, 15, 10, 15) };
    CHECK(range_is(al_trim_stray_end(near, two, 0, +1), 0, 2));
    mirror(near, 2, 15, m);
    CHECK(range_is(al_trim_stray_end(m, two, 0, -1), 0, 2));
    /* a huddle of three single words 15 words before the first longer run:
     * all three go, one by one */
    const al_range four = { 0, 4 };
    const al_run huddle[] = { R(0, 1, 0, 1), R(2, 3, 2, 3), R(4, 5, 4, 5), R(20, 25, 20, 25) };
    CHECK(range_is(al_trim_stray_end(huddle, four, 0, +1), 3, 4));
    mirror(huddle, 4, 25, m);
    CHECK(range_is(al_trim_stray_end(m, four, 0, -1), 0, 1));
    /* ... but not 5 words before it */
    const al_run close[] = { R(10, 11, 10, 11), R(12, 13, 12, 13), R(14, 15, 14, 15),
                             R(16, 21, 16, 21) };
    CHECK(range_is(al_trim_stray_end(close, four, 0, +1), 0, 4));
    mirror(close, 4, 21, m);
    CHECK(range_is(al_trim_stray_end(m, four, 0, -1), 0, 4));
    /* two single words 9 words before the longer run: a huddle of fewer
     * than three is held to 2 * ALIGN_RARE_TRIM (8) */
    const al_range three = { 0, 3 };
    const al_run pair[] = { R(0, 1, 0, 1), R(3, 4, 3, 4), R(10, 15, 10, 15) };
    CHECK(range_is(al_trim_stray_end(pair, three, 0, +1), 2, 3));
    mirror(pair, 3, 15, m);
    CHECK(range_is(al_trim_stray_end(m, three, 0, -1), 0, 1));
    /* on side B: the stray is first in B, though last in A */
    const al_run byb[] = { R(50, 51, 0, 1), R(0, 5, 10, 15) };
    CHECK(range_is(al_trim_stray_end(byb, two, 1, +1), 1, 2));
    CHECK(range_is(al_trim_stray_end(byb, two, 0, +1), 0, 2));
    /* one run is never trimmed */
    const al_range one = { 0, 1 };
    CHECK(range_is(al_trim_stray_end(far, one, 0, +1), 0, 1));
}

static void test_trim_fringe_end(void)
{
    al_run m[8];
    const size_t k = 3;
    /* 3 words, then a gap of 20 (over thr 8), then the core */
    const al_run fr[] = { R(0, 3, 0, 3), R(23, 40, 23, 40), R(42, 60, 42, 60) };
    const al_range all = { 0, 3 };
    CHECK(range_is(al_trim_fringe_end(fr, all, 0, +1, 8, k), 1, 3));
    CHECK(range_is(al_trim_fringe_end(fr, all, 0, -1, 8, k), 0, 3));
    mirror(fr, 3, 60, m);
    CHECK(range_is(al_trim_fringe_end(m, all, 0, -1, 8, k), 0, 2));
    CHECK(range_is(al_trim_fringe_end(m, all, 0, +1, 8, k), 0, 3));
    /* a gap of 20 is not over thr 20 */
    CHECK(range_is(al_trim_fringe_end(fr, all, 0, +1, 20, k), 0, 3));
    /* a fringe of 2k words or more is not weak; of 2k - 1, it is */
    const al_run heavy[] = { R(0, 6, 0, 6), R(23, 40, 23, 40), R(42, 60, 42, 60) };
    CHECK(range_is(al_trim_fringe_end(heavy, all, 0, +1, 8, k), 0, 3));
    const al_run light[] = { R(0, 5, 0, 5), R(23, 40, 23, 40), R(42, 60, 42, 60) };
    CHECK(range_is(al_trim_fringe_end(light, all, 0, +1, 8, k), 1, 3));
    /* two small runs: cut at the innermost wide gap */
    const al_run two[] = { R(0, 2, 0, 2), R(4, 6, 4, 6), R(23, 40, 23, 40), R(42, 60, 42, 60) };
    const al_range four = { 0, 4 };
    CHECK(range_is(al_trim_fringe_end(two, four, 0, +1, 8, k), 2, 4));
    mirror(two, 4, 60, m);
    CHECK(range_is(al_trim_fringe_end(m, four, 0, -1, 8, k), 0, 2));
}

static void test_trim_edges(void)
{
    al_run m[8];
    const size_t k = 3;
    /* a short run at the low end 40 off the diagonal 0 (tol 2) */
    const al_run r[] = { R(0, 3, 40, 43), R(5, 20, 5, 20), R(22, 25, 22, 25) };
    const al_range all = { 0, 3 };
    CHECK(range_is(al_trim_edge_end(r, all, +1, 0, 2, k), 1, 3));
    CHECK(range_is(al_trim_edge_end(r, all, -1, 0, 2, k), 0, 3));
    CHECK(range_is(al_trim_edge_end(r, all, +1, 0, 40, k), 0, 3));  /* within tol */
    mirror(r, 3, 43, m);
    CHECK(range_is(al_trim_edge_end(m, all, -1, 0, 2, k), 0, 2));
    /* the whole trim: median diagonal 0, 36 of 39 seeded words near it */
    tsr_params p;
    tsr_params_default(&p);  /* max_gap 50: tol 12 */
    al_pair c = bare_pair(&p, 100);
    al_run cl[] = { R(27, 45, 27, 45), R(0, 3, 40, 43), R(22, 25, 22, 25), R(5, 20, 5, 20) };
    al_dw tmp[4];
    const al_range four = { 0, 4 };
    const al_range t = al_trim_edges(&c, cl, four, tmp);
    CHECK(range_is(t, 1, 4));
    CHECK(same_run(cl[0], R(0, 3, 40, 43)) && same_run(cl[1], R(5, 20, 5, 20)));
    /* a cluster with half its seeded words off its diagonal keeps them */
    al_run half[] = { R(0, 3, 40, 43), R(5, 11, 5, 11), R(13, 16, 53, 56) };
    const al_range three = { 0, 3 };
    CHECK(range_is(al_trim_edges(&c, half, three, tmp), 0, 3));
}

static void test_trim_strays_and_refine(void)
{
    tsr_params p;
    tsr_params_default(&p);
    al_pair c = bare_pair(&p, 200);
    /* a single word 10 words after the core in B but inside it in A: only
     * the pass on side B finds it */
    al_run r[] = { R(10, 30, 10, 30), R(15, 16, 50, 51), R(31, 40, 31, 40) };
    const al_range all = { 0, 3 };
    const al_range t = al_trim_strays(r, all);
    CHECK(range_is(t, 0, 2));
    CHECK(same_run(r[0], R(10, 30, 10, 30)) && same_run(r[1], R(31, 40, 31, 40)));
    /* al_refine: the same; here the edge-diagonal trim takes it already
     * (35 words off the diagonal 0, with 29 of 30 seeded words on it) */
    al_run r2[] = { R(15, 16, 50, 51), R(31, 40, 31, 40), R(10, 30, 10, 30) };
    al_dw tmp[3];
    const al_range t2 = al_refine(&c, r2, all, tmp);
    CHECK(range_is(t2, 0, 2));
    CHECK(same_run(r2[0], R(10, 30, 10, 30)) && same_run(r2[1], R(31, 40, 31, 40)));
}

/* ---- 7. extension and scoring -------------------------------------------- */

static void test_extend(void)
{
    tsr_word A[MAXW], B[MAXW];
    size_t an = mkwords("a b c d e f g h", A), bn = mkwords("x y c d e f g z", B);
    uint32_t da = 99, db = 99;
    /* forward from after "c d": e f g match, h and z do not */
    al_extend(A, B, 4, 4, +1, 0, (uint32_t)an, 0, (uint32_t)bn, &da, &db);
    CHECK(da == 3 && db == 3);
    /* backward from before "c d": nothing matches */
    al_extend(A, B, 2, 2, -1, 0, (uint32_t)an, 0, (uint32_t)bn, &da, &db);
    CHECK(da == 0 && db == 0);
    /* limits hold it */
    al_extend(A, B, 4, 4, +1, 0, 6, 0, (uint32_t)bn, &da, &db);
    CHECK(da == 2 && db == 2);
    /* a word inserted in B is a gap */
    an = mkwords("c d e f g h", A);
    bn = mkwords("c d q e f g h", B);
    al_extend(A, B, 2, 2, +1, 0, (uint32_t)an, 0, (uint32_t)bn, &da, &db);
    CHECK(da == 4 && db == 5);
    /* and backward, from the end */
    al_extend(A, B, (uint32_t)an, (uint32_t)bn, -1, 0, (uint32_t)an, 0, (uint32_t)bn, &da, &db);
    CHECK(da == 6 && db == 7);
}

static void test_bag_matches(void)
{
    fixture f;
    fx_open(&f, "a b b c", "b c c d");
    CHECK(al_bag_reserve(f.wk, f.bn) == 0);
    CHECK(al_bag_matches(f.wk, f.A, 0, 4, f.B, 0, 4) == 2);  /* one b, one c */
    CHECK(al_bag_matches(f.wk, f.A, 0, 4, f.B, 1, 3) == 1);
    CHECK(al_bag_matches(f.wk, f.A, 0, 1, f.B, 0, 4) == 0);
    fx_close(&f);
}

static void test_score_cluster(void)
{
    /* B holds A[5, 25) verbatim, between other words; one run inside it */
    static char a[4096], b[4096];
    a[0] = b[0] = 0;
    tokens(a, "w", 30);
    strcat(b, "x0 x1 x2 ");
    for (int i = 5; i < 25; i++) snprintf(b + strlen(b), sizeof b - strlen(b), "w%d ", i);
    strcat(b, "y0 y1 y2");
    fixture f;
    fx_open(&f, a, b);
    CHECK(f.an == 30 && f.bn == 26);
    CHECK(al_bag_reserve(f.wk, f.bn) == 0);
    CHECK(tsr_vec_push(&f.wk->runs, R(10, 15, 8, 13)) == 0);
    al_passage ps;
    memset(&ps, 0xA5, sizeof ps);   /* what the caller's stack held: every field set */
    ps.kind = TSR_KIND_PARAPHRASE;
    size_t at = 99;
    const al_range one = { 0, 1 };
    CHECK(al_score_cluster(&f.c, f.wk, one, &ps, &at) == AL_PASSAGE);
    /* an aligned passage (al_kind tells verbatim from edited), whatever
     * the memory held before (valgrind saw al_kind read it unset) */
    CHECK(ps.kind == 0);
    /* extended to the whole copy */
    CHECK(ps.a_lo == 5 && ps.a_hi == 25 && ps.b_lo == 3 && ps.b_hi == 23);
    CHECK(ps.matches == 20 && ps.seeded == 5 && ps.similarity == 1.0);
    /* a run of k words is a chance phrase: dropped */
    f.wk->runs.a[0] = R(10, 13, 8, 11);
    CHECK(al_score_cluster(&f.c, f.wk, one, &ps, &at) == AL_DROP);
    /* extension starts from the run that makes the end, wherever it is in
     * the list: backward from R(8..), not from R(15..) */
    f.wk->runs.a[0] = R(15, 20, 13, 18);
    CHECK(tsr_vec_push(&f.wk->runs, R(8, 12, 6, 10)) == 0);
    const al_range both = { 0, 2 };
    CHECK(al_score_cluster(&f.c, f.wk, both, &ps, &at) == AL_PASSAGE);
    CHECK(ps.a_lo == 5 && ps.a_hi == 25 && ps.b_lo == 3 && ps.b_hi == 23 && ps.seeded == 9);
    f.wk->runs.n = 1;
    /* the passage has 20 words: enough for min_words 20, not for 21 */
    f.wk->runs.a[0] = R(10, 20, 8, 18);
    for (int mw = 20; mw <= 21; mw++) {
        f.p.min_words = mw;
        al_pair_init(&f.c, &f.q, f.B, f.bn, &f.p, 0);
        CHECK(al_score_cluster(&f.c, f.wk, one, &ps, &at) == (mw == 20 ? AL_PASSAGE : AL_DROP));
    }
    CHECK(ps.a_lo == 5 && ps.a_hi == 25 && ps.seeded == 10);
    fx_close(&f);

    /* the diagonal jumps by more than max_gap, and the spans differ: two
     * passages, split at the jump */
    tsr_params p;
    tsr_params_default(&p);
    al_pair c = bare_pair(&p, 200);
    al_work *wk = al_work_new();
    CHECK(tsr_vec_push(&wk->runs, R(12, 22, 0, 10)) == 0);
    CHECK(tsr_vec_push(&wk->runs, R(0, 10, 100, 110)) == 0);
    const al_range two = { 0, 2 };
    at = 99;
    CHECK(al_score_cluster(&c, wk, two, &ps, &at) == AL_SPLIT && at == 1);
    CHECK(same_run(wk->runs.a[0], R(0, 10, 100, 110)));  /* sorted by A */
    al_work_free(wk);

    /* P U Q against P Q: too dissimilar for 0.7 as a whole; split at the
     * widest gap in A, between P and Q */
    a[0] = b[0] = 0;
    tokens(a, "p", 15);
    tokens(a, "u", 45);
    tokens(a, "q", 15);
    tokens(b, "p", 15);
    tokens(b, "q", 15);
    fx_open(&f, a, b);
    f.p.min_similarity = 0.7;
    al_pair_init(&f.c, &f.q, f.B, f.bn, &f.p, 0);
    CHECK(al_bag_reserve(f.wk, f.bn) == 0);
    CHECK(tsr_vec_push(&f.wk->runs, R(60, 75, 15, 30)) == 0);
    CHECK(tsr_vec_push(&f.wk->runs, R(0, 15, 0, 15)) == 0);
    at = 99;
    CHECK(al_score_cluster(&f.c, f.wk, two, &ps, &at) == AL_SPLIT && at == 1);
    /* at 0.5 it would be similar enough (60 of 105 words), but U is 45
     * words the source does not hold: split there all the same */
    f.p.min_similarity = 0.5;
    al_pair_init(&f.c, &f.q, f.B, f.bn, &f.p, 0);
    at = 99;
    CHECK(al_score_cluster(&f.c, f.wk, two, &ps, &at) == AL_SPLIT && at == 1);
    fx_close(&f);
    /* with U's words in the source between P and Q (a stretch reworded
     * past every seed) the gap is rewording, not foreign: one passage */
    a[0] = b[0] = 0;
    tokens(a, "p", 15);
    tokens(a, "u", 45);
    tokens(a, "q", 15);
    tokens(b, "p", 15);
    for (int i = 44; i >= 0; i--)
        snprintf(b + strlen(b), 4096 - strlen(b), "u%d ", i);
    tokens(b, "q", 15);
    fx_open(&f, a, b);
    f.p.min_similarity = 0.5;
    al_pair_init(&f.c, &f.q, f.B, f.bn, &f.p, 0);
    CHECK(al_bag_reserve(f.wk, f.bn) == 0);
    CHECK(tsr_vec_push(&f.wk->runs, R(0, 15, 0, 15)) == 0);
    CHECK(tsr_vec_push(&f.wk->runs, R(60, 75, 60, 75)) == 0);
    CHECK(al_score_cluster(&f.c, f.wk, two, &ps, &at) == AL_PASSAGE);
    CHECK(ps.a_lo == 0 && ps.a_hi == 75 && ps.b_lo == 0 && ps.b_hi == 75 && ps.matches == 75);
    fx_close(&f);
}

static void test_score_rare(void)
{
    /* every other word the same: 20 single-word seeds, 20 of 39 words
     * matching (0.513), short of 0.6 but held to 0.8 of it (0.48) */
    static char a[4096], b[4096];
    a[0] = b[0] = 0;
    tokens(a, "w", 40);
    for (int i = 0; i < 40; i++)
        snprintf(b + strlen(b), sizeof b - strlen(b), "%s%d ", i % 2 ? "z" : "w", i);
    fixture f;
    fx_open(&f, a, b);
    f.p.min_similarity = 0.6;
    al_pair_init(&f.c, &f.q, f.B, f.bn, &f.p, 0);
    CHECK(al_bag_reserve(f.wk, f.bn) == 0);
    for (uint32_t i = 0; i < 40; i += 2)
        CHECK(tsr_vec_push(&f.wk->runs, R(i, i + 1, i, i + 1)) == 0);
    al_passage ps;
    size_t at = 99;
    const al_range all = { 0, 20 };
    CHECK(al_score_cluster(&f.c, f.wk, all, &ps, &at) == AL_PASSAGE);
    CHECK(ps.a_lo == 0 && ps.a_hi == 39 && ps.b_lo == 0 && ps.b_hi == 39);
    CHECK(ps.matches == 20 && ps.seeded == 20 && ps.similarity == 40.0 / 78.0);
    /* at 0.65 (0.52 with rare words) it is split at its last widest gap */
    f.p.min_similarity = 0.65;
    al_pair_init(&f.c, &f.q, f.B, f.bn, &f.p, 0);
    CHECK(al_score_cluster(&f.c, f.wk, all, &ps, &at) == AL_SPLIT && at == 19);
    fx_close(&f);
}

static void test_cluster_passages(void)
{
    /* P U Q against P Q again, split at U (text the source lacks): at 0.7
     * the halves are each too short for their similarity (a passage of 15
     * words must be near 1.05 similar), so nothing; at 0.5, P and Q each a
     * passage of its own */
    static char a[4096], b[4096];
    a[0] = b[0] = 0;
    tokens(a, "p", 15);
    tokens(a, "u", 45);
    tokens(a, "q", 15);
    tokens(b, "p", 15);
    tokens(b, "q", 15);
    fixture f;
    fx_open(&f, a, b);
    for (int pass = 0; pass < 2; pass++) {
        f.p.min_similarity = pass ? 0.5 : 0.7;
        al_pair_init(&f.c, &f.q, f.B, f.bn, &f.p, 0);
        f.wk->runs.n = f.wk->work.n = 0;
        CHECK(tsr_vec_push(&f.wk->runs, R(0, 15, 0, 15)) == 0);
        CHECK(tsr_vec_push(&f.wk->runs, R(60, 75, 15, 30)) == 0);
        const al_range all = { 0, 2 };
        CHECK(tsr_vec_push(&f.wk->work, all) == 0);
        CHECK(al_cluster_passages(&f.c, f.wk) == 0);
        CHECK(f.wk->cand.n == (pass ? 2u : 0u));
    }
    /* (the stack gives them in either order; stage 8 sorts) */
    CHECK(f.wk->cand.n == 2);
    if (f.wk->cand.n == 2) {
        const al_passage *pp = &f.wk->cand.a[0], *qq = &f.wk->cand.a[1];
        if (pp->a_lo > qq->a_lo) { const al_passage *t = pp; pp = qq; qq = t; }
        CHECK(pp->a_lo == 0 && pp->a_hi == 15 && pp->b_lo == 0 && pp->b_hi == 15);
        CHECK(qq->a_lo == 60 && qq->a_hi == 75 && qq->b_lo == 15 && qq->b_hi == 30);
    }
    fx_close(&f);
}

static void test_part_doubles(void)
{
    /* runs along diagonal 0 over 0-200, and a phrase (words 40-46 and
     * 160-166 of both texts) mapped across as well: the two cross runs are
     * the doubles, on A and on B, and go to the end of the range */
    tsr_params p;
    tsr_params_default(&p);
    const al_pair c = bare_pair(&p, 300);
    al_run r[8] = { R(0, 30, 0, 30), R(40, 46, 40, 46), R(40, 46, 160, 166),
                    R(60, 150, 60, 150), R(160, 166, 160, 166), R(160, 166, 40, 46),
                    R(170, 200, 170, 200), R(0, 0, 0, 0) };
    al_dw tmp[8];
    uint8_t flag[8];
    const al_range all = { 0, 7 };
    const size_t mid = al_part_doubles(&c, r, all, tmp, flag);
    CHECK(mid == 5);
    int cross = 0, along = 0;
    for (size_t x = 0; x < 7; x++) {
        const int diag0 = r[x].a0 == r[x].b0;
        if (x < mid) along += diag0; else cross += !diag0;
    }
    CHECK(along == 5 && cross == 2);
    /* a run off the diagonal that maps no word twice (a moved phrase) stays */
    al_run s[4] = { R(0, 30, 0, 30), R(40, 46, 220, 226), R(60, 150, 60, 150), R(0, 0, 0, 0) };
    const al_range three = { 0, 3 };
    CHECK(al_part_doubles(&c, s, three, tmp, flag) == 3);
    /* nor does one off by less than max_gap (a clause swapped nearby) */
    al_run u[4] = { R(0, 30, 0, 30), R(30, 36, 40, 46), R(40, 46, 30, 36), R(0, 0, 0, 0) };
    CHECK(al_part_doubles(&c, u, three, tmp, flag) == 3);
}

static void test_cluster_passages_doubles(void)
{
    /* x0.. P y0.. P z0.. in both texts (P a phrase said twice): one passage
     * over the whole of both, not the first copy of A paired with the
     * second of B */
    static char a[4096];
    a[0] = 0;
    tokens(a, "x", 30);
    tokens(a, "p", 8);
    tokens(a, "y", 80);
    tokens(a, "p", 8);
    tokens(a, "z", 30);
    fixture f;
    fx_open(&f, a, a);
    f.wk->runs.n = f.wk->work.n = 0;
    const al_run in[] = { R(0, 30, 0, 30), R(30, 38, 30, 38), R(30, 38, 118, 126),
                          R(38, 118, 38, 118), R(118, 126, 118, 126), R(118, 126, 30, 38),
                          R(126, 156, 126, 156) };
    for (size_t x = 0; x < sizeof in / sizeof in[0]; x++)
        CHECK(tsr_vec_push(&f.wk->runs, in[x]) == 0);
    const al_range all = { 0, sizeof in / sizeof in[0] };
    CHECK(tsr_vec_push(&f.wk->work, all) == 0);
    CHECK(al_cluster_passages(&f.c, f.wk) == 0);
    al_resolve_overlaps(&f.wk->cand);
    CHECK(f.wk->cand.n == 1);
    if (f.wk->cand.n == 1) {
        const al_passage *m = &f.wk->cand.a[0];
        CHECK(m->a_lo == 0 && m->a_hi == 156 && m->b_lo == 0 && m->b_hi == 156);
    }
    fx_close(&f);
}

/* ---- 8. overlaps, 9. granularity ------------------------------------------ */

static void test_resolve_overlaps(void)
{
    al_passages cand = { 0 };
    const al_passage in[] = {
        P(125, 150, 310, 325, 10),  /* B words of the 30, overlapping it in A: dropped */
        P(140, 170, 0, 30, 15),     /* B words of the 50, but not in A: kept */
        P(10, 40, 200, 230, 20),    /* A words of the 50: dropped */
        P(100, 130, 300, 330, 30),
        P(0, 60, 0, 60, 50),
    };
    for (size_t x = 0; x < sizeof in / sizeof *in; x++)
        CHECK(tsr_vec_push(&cand, in[x]) == 0);
    al_resolve_overlaps(&cand);
    CHECK(cand.n == 3);  /* sorted by A */
    if (cand.n == 3) {
        CHECK(cand.a[0].a_lo == 0 && cand.a[0].matches == 50);
        CHECK(cand.a[1].a_lo == 100 && cand.a[1].matches == 30);
        CHECK(cand.a[2].a_lo == 140 && cand.a[2].matches == 15);
    }
    /* of two with as many matches, the one first in A wins */
    cand.n = 0;
    CHECK(tsr_vec_push(&cand, P(20, 50, 20, 50, 25)) == 0);
    CHECK(tsr_vec_push(&cand, P(10, 40, 10, 40, 25)) == 0);
    al_resolve_overlaps(&cand);
    CHECK(cand.n == 1 && cand.a[0].a_lo == 10);
    tsr_vec_free(&cand);
}

static void test_merge_neighbours(void)
{
    /* P Q against P + 3 other words + Q: two passages that are one */
    static char a[4096], b[4096];
    a[0] = b[0] = 0;
    tokens(a, "p", 20);
    tokens(a, "q", 20);
    tokens(b, "p", 20);
    tokens(b, "o", 3);
    tokens(b, "q", 20);
    fixture f;
    fx_open(&f, a, b);
    CHECK(al_bag_reserve(f.wk, f.bn) == 0);
    al_passage x = P(0, 20, 0, 20, 20), y = P(20, 40, 23, 43, 20);
    x.seeded = 20;
    y.seeded = 17;
    CHECK(tsr_vec_push(&f.wk->cand, x) == 0);
    CHECK(tsr_vec_push(&f.wk->cand, y) == 0);
    al_merge_neighbours(&f.c, f.wk);
    CHECK(f.wk->cand.n == 1);
    const al_passage *m = &f.wk->cand.a[0];
    CHECK(m->a_lo == 0 && m->a_hi == 40 && m->b_lo == 0 && m->b_hi == 43);
    CHECK(m->matches == 40 && m->seeded == 37 && m->similarity == 80.0 / 83.0);
    /* in swapped order and 20 words apart in B (over ALIGN_SWAP_GAP): two */
    f.wk->cand.n = 0;
    x = P(0, 20, 23, 43, 20);
    y = P(20, 40, 0, 3, 3);
    CHECK(tsr_vec_push(&f.wk->cand, x) == 0);
    CHECK(tsr_vec_push(&f.wk->cand, y) == 0);
    al_merge_neighbours(&f.c, f.wk);
    CHECK(f.wk->cand.n == 2);
    fx_close(&f);
    /* in swapped order 3 words apart in B (sentences shuffled): one */
    b[0] = 0;
    tokens(b, "q", 20);
    tokens(b, "o", 3);
    tokens(b, "p", 20);
    fx_open(&f, a, b);
    CHECK(al_bag_reserve(f.wk, f.bn) == 0);
    CHECK(tsr_vec_push(&f.wk->cand, P(0, 20, 23, 43, 20)) == 0);
    CHECK(tsr_vec_push(&f.wk->cand, P(20, 40, 0, 20, 20)) == 0);
    al_merge_neighbours(&f.c, f.wk);
    CHECK(f.wk->cand.n == 1);
    m = &f.wk->cand.a[0];
    CHECK(m->a_lo == 0 && m->a_hi == 40 && m->b_lo == 0 && m->b_hi == 43);
    CHECK(m->matches == 40);
    fx_close(&f);
    /* in order, their B spans overlapping (no gap in B) and 15 words apart
     * in A (over ALIGN_INDEL): one when B holds A's gap, two when it is
     * text B lacks (a stretch of another source) */
    for (int held = 1; held >= 0; held--) {
        a[0] = b[0] = 0;
        tokens(a, "p", 20);
        tokens(a, held ? "g" : "z", 15);
        tokens(a, "q", 20);
        tokens(b, "p", 20);
        tokens(b, "g", 15);
        tokens(b, "q", 20);
        fx_open(&f, a, b);
        CHECK(al_bag_reserve(f.wk, f.bn) == 0);
        CHECK(tsr_vec_push(&f.wk->cand, P(0, 20, 0, 30, 20)) == 0);
        CHECK(tsr_vec_push(&f.wk->cand, P(35, 55, 25, 55, 20)) == 0);
        al_merge_neighbours(&f.c, f.wk);
        CHECK(f.wk->cand.n == (held ? 1u : 2u));
        m = &f.wk->cand.a[0];
        if (held)
            CHECK(m->a_lo == 0 && m->a_hi == 55 && m->b_lo == 0 && m->b_hi == 55 &&
                  m->matches == 55);
        fx_close(&f);
    }
}

/* AL_BRIEF (al_score_cluster, al_add_brief): a sentence of 12 words that
 * two texts share and nothing else is a passage only with AL_BRIEF, marked
 * brief, with its exact spans; 9 words are too few (AL_BRIEF_WORDS(15) is
 * 10); beside a full passage of the pair it is not added. */
static void brief_case(int shared, int also_long, int mode, al_passages *out)
{
    static char a[4096], b[4096];
    a[0] = b[0] = 0;
    tokens(a, "xa", 20); tokens(a, "same", shared); tokens(a, "xb", 20);
    tokens(b, "ya", 20); tokens(b, "same", shared); tokens(b, "yb", 20);
    if (also_long) { tokens(a, "long", 30); tokens(b, "long", 30); }
    static tsr_word A[MAXW], B[MAXW];
    const size_t an = mkwords(a, A), bn = mkwords(b, B);
    tsr_params p;
    tsr_params_default(&p);
    al_query q;
    CHECK(al_query_init(&q, A, an, &p, NULL) == TSR_OK);
    out->n = 0;
    CHECK(al_align(&q, B, bn, &p, mode, NULL, out, NULL) == TSR_OK);
    al_query_free(&q);
}

static void test_brief(void)
{
    al_passages ps = { 0 };
    CHECK(AL_BRIEF_WORDS(15) == 10 && AL_BRIEF_WORDS(30) == 20 && AL_BRIEF_WORDS(6) == 6);
    brief_case(12, 0, 0, &ps);
    CHECK(ps.n == 0);
    brief_case(12, 0, AL_BRIEF, &ps);
    CHECK(ps.n == 1 && ps.a[0].brief == 1);
    if (ps.n == 1)
        CHECK(ps.a[0].a_lo == 20 && ps.a[0].a_hi == 32 && ps.a[0].b_lo == 20 &&
              ps.a[0].b_hi == 32 && ps.a[0].matches == 12);
    brief_case(9, 0, AL_BRIEF, &ps);
    CHECK(ps.n == 0);
    brief_case(15, 0, AL_BRIEF, &ps);    /* min_words: a passage, not brief */
    CHECK(ps.n == 1 && ps.a[0].brief == 0);
    brief_case(12, 1, AL_BRIEF, &ps);    /* beside 30 shared words: those only */
    CHECK(ps.n == 1 && ps.a[0].brief == 0 && ps.a[0].a_lo == 52 && ps.a[0].a_hi == 82);
    tsr_vec_free(&ps);
}

int main(void)
{
    RUN(test_seeds);
    RUN(test_seeds_random);
    RUN(test_runs);
    RUN(test_rare_seeds);
    RUN(test_rare_seeds_random);
    RUN(test_prune);
    RUN(test_cluster);
    RUN(test_trim_stray_end);
    RUN(test_trim_fringe_end);
    RUN(test_trim_edges);
    RUN(test_trim_strays_and_refine);
    RUN(test_extend);
    RUN(test_bag_matches);
    RUN(test_score_cluster);
    RUN(test_score_rare);
    RUN(test_cluster_passages);
    RUN(test_part_doubles);
    RUN(test_cluster_passages_doubles);
    RUN(test_resolve_overlaps);
    RUN(test_merge_neighbours);
    RUN(test_brief);
    return test_report();
}
