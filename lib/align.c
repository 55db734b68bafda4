/*
 * align.c - from shared words to passages.
 *
 * How it works.  Alignment runs on words, never on characters, so that
 * re-flowed line breaks, punctuation and case do not matter.  Four steps:
 *
 * 1. Seeds.  Every run of `seed` (default 3) consecutive words of the
 *    query A is put in a hash table; every run of B is looked up in it.  A
 *    hit (i, j) says that A[i..i+k) == B[j..j+k).  Seed-grams that occur
 *    very often in A (formulae, repeated lines) are capped so that
 *    repetitive text cannot make the anchor set quadratic.
 *
 * 2. Runs.  Hits on the same diagonal (j - i) that touch or overlap are
 *    one exact run: a verbatim stretch.
 *
 * 3. Chains.  Runs are grouped into passages by alternating splits:
 *    sorted by their position in A, a gap of more than `max_gap` words
 *    starts a new group; each group, sorted by position in B, is split the
 *    same way; repeat until no group splits.  What remains are clusters of
 *    runs that are close on both sides.  The rule does not ask runs to be
 *    in the same order on both sides, so local reordering (shuffled words,
 *    swapped clauses) does not break a passage, while text moved far away
 *    (a reordered paragraph) becomes a passage of its own: every paragraph
 *    is found wherever it moved.  Inserted and deleted words are just gaps.
 *
 * 4. Extension and scoring.  Each cluster's ends are extended outward by
 *    a banded X-drop alignment on words (match +1, mismatch or gap -1,
 *    stop when the score falls `ALIGN_XDROP` below its best), so that a
 *    passage ends on the last matching word, not on the last seed.  The
 *    similarity is the share of matching words: 2 * |A-span ∩ B-span| /
 *    (|A-span| + |B-span|), counted as multisets of words, which is
 *    robust to reordering.  Passages shorter than `min_words` or less
 *    similar than `min_similarity` are dropped; of two passages that
 *    cover mostly the same words of A, the stronger is kept.
 *
 * Edge cases.  Texts shorter than the seed length have no seeds and so no
 * passages.  In self mode (A against itself) only hits with j > i count
 * and a passage must end before its copy begins; that is how repetition
 * inside one text is found.
 */
#include "align.h"
#include "common/xxh.h"


/* ------------------------------------------------------------------------
 * Constants.  Set together on three sets at once (PAN 2013, stitched news
 * articles, the synthetic round trips of `make test`), so that none is
 * fitted alone; EVAL.md has the figures.  Lengths are in words.
 * --------------------------------------------------------------------- */

/* Seeds: a seed-gram found more often than this in the query is ignored. */
#define ALIGN_MAX_OCC 32
/* A passage needs one exact run longer than a chance phrase... */
#define ALIGN_MIN_RUN(k) ((uint32_t)(k) + 1)
/* ... or this many single-word (rare word) seeds. */
#define ALIGN_RARE_MIN 8

/* Rare-word seeds: words of at least this many bytes that occur at most
 * ALIGN_RARE_MAXOCC times in each text. */
#define ALIGN_RARE_LEN 5
#define ALIGN_RARE_MAXOCC 1
/* A cluster held together by rare words may be this much less similar. */
#define ALIGN_RARE_SIM 0.8
/* A rare-word seed needs another seed within this many words, on a
 * diagonal within as many words. */
#define ALIGN_UNI_NEAR 6
/* Single-word seeds at a cluster's edge are trimmed past this gap, or
 * past ALIGN_RARE_FAR from the first longer run. */
#define ALIGN_RARE_TRIM 4
#define ALIGN_RARE_FAR 12

/* Isolated runs: a run shorter than ALIGN_SHORT_RUN needs a neighbour
 * within ALIGN_SHORT_GAP words on a diagonal within ALIGN_SHORT_DTOL. */
#define ALIGN_SHORT_RUN(k) ((uint32_t)(k) + 2)
#define ALIGN_SHORT_GAP(g) ((g) / 2)
#define ALIGN_SHORT_DTOL 8

/* Edges of clusters that keep to one diagonal (ALIGN_EDGE_SHARE of their
 * seeded words within ALIGN_EDGE_TOL of the median diagonal): short runs
 * off that diagonal are trimmed. */
#define ALIGN_EDGE_TOL(gap) ((gap) / 4)
#define ALIGN_EDGE_SHARE 0.8
/* Weak fringes (fewer than 2k seeded words) are cut from clusters whose
 * longest run is at least ALIGN_FRINGE_CORE, across a gap wider than three
 * times the cluster's median gap and at least ALIGN_FRINGE_GAP. */
#define ALIGN_FRINGE_GAP 8
#define ALIGN_FRINGE_CORE(k) (4 * (uint32_t)(k))

/* Extension: banded X-drop, band half-width, drop, longest extension,
 * match score (mismatch and gap cost 1). */
#define ALIGN_BAND 6
#define ALIGN_XDROP 4
#define ALIGN_EXT_MAX 64
#define ALIGN_MATCH 1

/* Similarity: passages shorter than twice min_words need up to this much
 * more than min_similarity (linearly, the shorter the more). */
#define ALIGN_SHORT_SIM 0.35
/* Neighbouring passages merge when, together, they reach this share of
 * min_similarity; in swapped order only across gaps up to ALIGN_SWAP_GAP. */
#define ALIGN_MERGE_SIM 0.8
#define ALIGN_SWAP_GAP 15
/* Summaries: neighbouring passages at most ALIGN_SUM_AGAP apart in A and
 * at most ALIGN_SUM_BGAP_F * max_gap apart in B (in order) merge when the
 * merged B span is at least ALIGN_SUM_RATIO times the A span and holds
 * ALIGN_SUM_CONTAIN of A's words: a summary condenses a long stretch of
 * its source, so similarity (which counts both sides) cannot judge it. */
#define ALIGN_SUM_AGAP 20
#define ALIGN_SUM_BGAP_F 8
#define ALIGN_SUM_RATIO 2
#define ALIGN_SUM_CONTAIN 0.5
/* Repeats inside one text need 2/3 of min_words, but at least 8 words
 * (or min_words, when that is smaller). */
#define ALIGN_REPEAT_MIN_WORDS(m) ((uint32_t)((m) * 2 / 3 > 8 ? (m) * 2 / 3 : ((m) < 8 ? (m) : 8)))

/* ------------------------------------------------------------------------
 * Query preparation
 * --------------------------------------------------------------------- */

/* The hash of the seed-gram w[0, k): the words' own hashes, which are
 * XXH3 values already, each rotated by its place and xor-ed.  Seed hashes
 * are compared only within one alignment, never stored, so they need not
 * be the index's n-gram hashes (fp_ngram_hash), only cheap: one is made
 * per word of every aligned text.  (21 is prime to 64: for k <= 16 every
 * place gets its own rotation.) */
static inline uint64_t seed_hash(const tsr_word *w, size_t k)
{
    uint64_t h = w[0].hash;
    for (size_t x = 1; x < k; x++) {
        const unsigned r = (unsigned)(21 * x) & 63;
        h ^= w[x].hash << r | w[x].hash >> ((64 - r) & 63);
    }
    return h;
}

int al_query_init(al_query *q, const tsr_word *w, size_t n, const tsr_params *p,
                  tsr_error *err)
{
    memset(q, 0, sizeof *q);
    q->w = w;
    q->n = n;
    q->k = p->seed;
    if (n < (size_t)q->k)
        return TSR_OK;
    q->ng = n - (size_t)q->k + 1;
    uint32_t slots = 16;
    while (slots < 2 * q->ng) slots <<= 1;
    q->mask = slots - 1;
    q->g = malloc(q->ng * sizeof *q->g);
    q->head = calloc(slots, sizeof *q->head);
    q->next = malloc(q->ng * sizeof *q->next);
    if (!q->g || !q->head || !q->next) {
        al_query_free(q);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory preparing alignment");
    }
    /* insert in reverse so that chains list positions in increasing order */
    for (size_t i = 0; i < q->ng; i++)
        q->g[i] = seed_hash(w + i, (size_t)q->k);
    for (size_t i = q->ng; i-- > 0;) {
        uint32_t s = (uint32_t)q->g[i] & q->mask;
        q->next[i] = q->head[s];
        q->head[s] = (uint32_t)i + 1;
    }
    /* rare words: long, and at most ALIGN_RARE_MAXOCC times in the query */
    q->rare = calloc(n, 1);
    uint64_t *key = calloc(slots, sizeof *key);
    uint8_t *cnt = calloc(slots, 1);
    if (!q->rare || !key || !cnt) {
        free(key); free(cnt);
        al_query_free(q);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory preparing alignment");
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if (w[i].end - w[i].begin < ALIGN_RARE_LEN) continue;
            uint64_t h = w[i].hash | 1;
            uint32_t s = (uint32_t)(h >> 21) & q->mask;
            while (key[s] && key[s] != h) s = (s + 1) & q->mask;
            key[s] = h;
            if (pass == 0) { if (cnt[s] < 255) cnt[s]++; }
            else q->rare[i] = cnt[s] <= ALIGN_RARE_MAXOCC;
        }
    free(cnt);
    /* and a table of them, hash -> position, for al_align to look B's long
     * words up in (each is in it once: ALIGN_RARE_MAXOCC is 1) */
    _Static_assert(ALIGN_RARE_MAXOCC == 1, "the rare-word table keeps one position per word");
    free(key);
    size_t nrare = 0;
    for (size_t i = 0; i < n; i++) nrare += q->rare[i];
    uint32_t rslots = 64;
    while (rslots < 8 * nrare) rslots <<= 1;  /* sparse: a probe seldom collides */
    q->rmask = rslots - 1;
    q->rkey = calloc(rslots, sizeof *q->rkey);
    q->rpos = calloc(rslots, sizeof *q->rpos);
    if (!q->rkey || !q->rpos) {
        al_query_free(q);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory preparing alignment");
    }
    for (size_t i = 0; i < n; i++) {
        if (!q->rare[i]) continue;
        uint64_t h = w[i].hash | 1;
        uint32_t s = (uint32_t)(h >> 21) & q->rmask;
        while (q->rkey[s]) s = (s + 1) & q->rmask;
        q->rkey[s] = h;
        q->rpos[s] = (uint32_t)i;
    }
    return TSR_OK;
}

void al_query_free(al_query *q)
{
    if (!q) return;
    free(q->g);
    free(q->head);
    free(q->next);
    free(q->rare);
    free(q->rkey);
    free(q->rpos);
    memset(q, 0, sizeof *q);
}

/* ------------------------------------------------------------------------
 * Seeds and runs
 * --------------------------------------------------------------------- */

typedef struct { uint32_t i, j; } al_hit;
typedef struct { uint32_t a0, a1, b0, b1; } al_run;  /* half-open spans */
typedef TSR_VEC(al_hit) hit_vec;

static int run_cmp_a(const void *x, const void *y)
{
    const al_run *p = x, *q = y;
    if (p->a0 != q->a0) return p->a0 < q->a0 ? -1 : 1;
    return (p->b0 > q->b0) - (p->b0 < q->b0);
}

static int run_cmp_b(const void *x, const void *y)
{
    const al_run *p = x, *q = y;
    if (p->b0 != q->b0) return p->b0 < q->b0 ? -1 : 1;
    return (p->a0 > q->a0) - (p->a0 < q->a0);
}

typedef TSR_VEC(al_run) run_vec;
typedef struct { size_t lo, hi; } range;
typedef TSR_VEC(range) range_vec;
typedef struct { int64_t d; uint32_t w; } al_dw;

/* ------------------------------------------------------------------------
 * Workspace
 * --------------------------------------------------------------------- */

/* Scratch memory of al_align, kept from one call to the next so that a
 * query aligned with many texts allocates and clears nothing per text.
 * Hash tables are left empty by the call that used them. */
struct al_work {
    hit_vec hits, hits2;
    run_vec runs, longr;
    range_vec work, next;
    al_passages cand;
    uint32_t *dcount;     /* counting sort of hits by diagonal */
    size_t dcap;
    uint8_t *keep;        /* runs kept (2b) */
    uint8_t *nrare;       /* rare-word pairs per query position (2a) */
    size_t keepcap, nrarecap;
    al_dw *diag_tmp;
    size_t dtcap;
    hit_vec rpairs;       /* rare-word seeds */
    /* bag_matches: keys/cnt/used, `bslots` slots */
    uint64_t *keys;
    uint32_t *cnt, *used, bslots;
};

al_work *al_work_new(void)
{
    return calloc(1, sizeof(al_work));
}

void al_work_free(al_work *w)
{
    if (!w)
        return;
    tsr_vec_free(&w->hits); tsr_vec_free(&w->hits2);
    tsr_vec_free(&w->runs); tsr_vec_free(&w->longr);
    tsr_vec_free(&w->work); tsr_vec_free(&w->next);
    tsr_vec_free(&w->cand);
    free(w->dcount); free(w->keep); free(w->nrare); free(w->diag_tmp);
    tsr_vec_free(&w->rpairs);
    free(w->keys); free(w->cnt); free(w->used);
    free(w);
}

/* Room for n elements in *buf (capacity *cap, in elements); 0 or -1. */
static int room(void **buf, size_t *cap, size_t n, size_t elsize)
{
    if (n <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < n) c *= 2;
    void *b = realloc(*buf, c * elsize);
    if (!b)
        return -1;
    *buf = b;
    *cap = c;
    return 0;
}

/* The table of bag_matches, empty, with at least `want` slots (a power of
 * two); 0 or -1. */
static int bag_table(al_work *w, uint32_t want)
{
    if (want <= w->bslots)
        return 0;
    free(w->keys); free(w->cnt); free(w->used);
    w->keys = calloc(want, sizeof *w->keys);
    w->cnt = calloc(want, sizeof *w->cnt);
    w->used = malloc((size_t)want * sizeof *w->used);
    w->bslots = w->keys && w->cnt && w->used ? want : 0;
    return w->bslots ? 0 : -1;
}

/* Sort runs by A (side 0) or by B (side 1): insertion sort for the short
 * lists that clusters mostly are, qsort beyond.  No two runs start at the
 * same (a0, b0), so every correct sort gives the same order. */
static inline int run_before(const al_run *x, const al_run *y, int side)
{
    if (side)
        return x->b0 != y->b0 ? x->b0 < y->b0 : x->a0 < y->a0;
    return x->a0 != y->a0 ? x->a0 < y->a0 : x->b0 < y->b0;
}

static void sort_runs(al_run *r, size_t n, int side)
{
    if (n > 32) {
        tsr_sort(r, n, sizeof *r, side ? run_cmp_b : run_cmp_a);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        al_run x = r[i];
        size_t j = i;
        while (j > 0 && run_before(&x, &r[j - 1], side)) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
}

/* ------------------------------------------------------------------------
 * Clustering by alternating splits
 * --------------------------------------------------------------------- */

/* Split runs[lo,hi) sorted by side (0 = A, 1 = B) where gaps exceed gap.
 * Pushes the pieces onto `out`; returns number of pieces or -1 on OOM. */
static long split_side(al_run *r, size_t lo, size_t hi, int side, uint32_t gap,
                       range_vec *out)
{
    sort_runs(r + lo, hi - lo, side);
    long pieces = 0;
    size_t start = lo;
    uint32_t reach = side ? r[lo].b1 : r[lo].a1;
    for (size_t x = lo + 1; x <= hi; x++) {
        uint32_t s = x < hi ? (side ? r[x].b0 : r[x].a0) : 0;
        if (x == hi || s > reach + gap) {
            range g = { start, x };
            if (tsr_vec_push(out, g)) return -1;
            pieces++;
            start = x;
            if (x < hi) reach = side ? r[x].b1 : r[x].a1;
        } else {
            uint32_t e = side ? r[x].b1 : r[x].a1;
            if (e > reach) reach = e;
        }
    }
    return pieces;
}

/* ------------------------------------------------------------------------
 * Extension
 * --------------------------------------------------------------------- */

/* Banded X-drop extension from (a, b) in direction dir (+1 forward from
 * A[a], B[b]; -1 backward from A[a-1], B[b-1]).  Limits: A in [alim0,
 * alim1), B in [blim0, blim1).  Returns the words added on each side. */
static void extend(const tsr_word *A, const tsr_word *B, uint32_t a, uint32_t b,
                   int dir, uint32_t alim0, uint32_t alim1, uint32_t blim0,
                   uint32_t blim1, uint32_t *da, uint32_t *db)
{
    enum { W = 2 * ALIGN_BAND + 1, L = ALIGN_EXT_MAX };
    int prev[W], cur[W];
    const int NEG = -1000000;
    uint32_t maxa = dir > 0 ? alim1 - a : a - alim0;
    uint32_t maxb = dir > 0 ? blim1 - b : b - blim0;
    if (maxa > L) maxa = L;
    if (maxb > L) maxb = L;
    *da = *db = 0;
    if (maxa == 0 || maxb == 0)
        return;
    /* cell (x, y) = x words of A, y words of B consumed; band: y = x + t - BAND */
    for (int t = 0; t < W; t++) prev[t] = NEG;
    prev[ALIGN_BAND] = 0; /* (0,0) */
    for (int t = ALIGN_BAND + 1; t < W; t++) {  /* (0, y): gaps in A */
        int y = t - ALIGN_BAND;
        if ((uint32_t)y <= maxb) prev[t] = -y;
    }
    int best = 0;
    uint32_t bx = 0, by = 0;
    for (uint32_t x = 1; x <= maxa; x++) {
        int rowbest = NEG;
        for (int t = 0; t < W; t++) {
            long y = (long)x + t - ALIGN_BAND;
            cur[t] = NEG;
            if (y < 0 || (uint32_t)y > maxb) continue;
            int s = NEG, matched = 0;
            if (y > 0 && prev[t] > NEG) {  /* diagonal: (x-1, y-1) is same t */
                uint64_t ha = dir > 0 ? A[a + x - 1].hash : A[a - x].hash;
                uint64_t hb = dir > 0 ? B[b + (uint32_t)y - 1].hash : B[b - (uint32_t)y].hash;
                matched = ha == hb;
                s = prev[t] + (matched ? ALIGN_MATCH : -1);
            }
            if (t + 1 < W && prev[t + 1] > NEG && prev[t + 1] - 1 > s)  /* (x-1, y): gap in B */
                s = prev[t + 1] - 1;
            if (t > 0 && cur[t - 1] > NEG && cur[t - 1] - 1 > s)  /* (x, y-1): gap in A */
                s = cur[t - 1] - 1;
            cur[t] = s;
            if (s > rowbest) rowbest = s;
            /* an extension ends on a matching word; of equal scores the
             * longer wins (it has matched more words) */
            if (matched && s == prev[t] + ALIGN_MATCH && s >= best) {
                best = s; bx = x; by = (uint32_t)y;
            }
        }
        if (rowbest < best - ALIGN_XDROP)
            break;
        memcpy(prev, cur, sizeof prev);
    }
    *da = bx;
    *db = by;
}

/* ------------------------------------------------------------------------
 * Scoring
 * --------------------------------------------------------------------- */

/* Multiset intersection size of A[a0,a1) and B[b0,b1), with an open-
 * addressing table (keys/cnt, `mask`+1 slots, empty on entry and on
 * return; `used` has room for b1-b0 slot numbers). */
static uint32_t bag_matches(const tsr_word *A, uint32_t a0, uint32_t a1,
                            const tsr_word *B, uint32_t b0, uint32_t b1,
                            uint64_t *keys, uint32_t *cnt, uint32_t *used,
                            uint32_t mask)
{
    uint32_t m = 0, nu = 0;
    for (uint32_t j = b0; j < b1; j++) {
        uint64_t h = B[j].hash | 1;  /* 0 marks an empty slot */
        uint32_t s = (uint32_t)(h >> 17) & mask;
        while (keys[s] && keys[s] != h) s = (s + 1) & mask;
        if (!keys[s]) { keys[s] = h; used[nu++] = s; }
        cnt[s]++;
    }
    for (uint32_t i = a0; i < a1; i++) {
        uint64_t h = A[i].hash | 1;
        uint32_t s = (uint32_t)(h >> 17) & mask;
        while (keys[s] && keys[s] != h) s = (s + 1) & mask;
        if (keys[s] && cnt[s]) { cnt[s]--; m++; }
    }
    for (uint32_t u = 0; u < nu; u++) {
        keys[used[u]] = 0;
        cnt[used[u]] = 0;
    }
    return m;
}

/* Weighted (by run length) median of the runs' diagonals b0 - a0; `tmp`
 * has room for n entries. */
static int dw_cmp(const void *x, const void *y)
{
    const al_dw *p = x, *q = y;
    return (p->d > q->d) - (p->d < q->d);
}

static int64_t median_diag(const al_run *r, size_t n, al_dw *tmp, int64_t tol,
                           double *share)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        tmp[i].d = (int64_t)r[i].b0 - r[i].a0;
        tmp[i].w = r[i].a1 - r[i].a0;
        total += tmp[i].w;
    }
    tsr_sort(tmp, n, sizeof *tmp, dw_cmp);
    uint64_t acc = 0;
    int64_t dm = tmp[n - 1].d;
    for (size_t i = 0; i < n; i++) {
        acc += tmp[i].w;
        if (2 * acc >= total) { dm = tmp[i].d; break; }
    }
    uint64_t near = 0;
    for (size_t i = 0; i < n; i++)
        if (llabs(tmp[i].d - dm) <= tol) near += tmp[i].w;
    *share = total ? (double)near / (double)total : 0.0;
    return dm;
}

/* Median of n values (reorders them); 0 for none. */
static int u32_cmp(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

static uint32_t median_u32(uint32_t *v, size_t n)
{
    if (n == 0) return 0;
    tsr_sort(v, n, sizeof *v, u32_cmp);
    return v[n / 2];
}

static int pass_cmp_strength(const void *x, const void *y)
{
    const al_passage *p = x, *q = y;
    if (p->matches != q->matches) return p->matches > q->matches ? -1 : 1;
    return (p->a_lo > q->a_lo) - (p->a_lo < q->a_lo);
}

static int pass_cmp_a(const void *x, const void *y)
{
    const al_passage *p = x, *q = y;
    if (p->a_lo != q->a_lo) return p->a_lo < q->a_lo ? -1 : 1;
    return (p->b_lo > q->b_lo) - (p->b_lo < q->b_lo);
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

int al_align(const al_query *q, const tsr_word *B, size_t bn,
             const tsr_params *p, int self, al_work *wk, al_passages *out,
             tsr_error *err)
{
    const size_t k = (size_t)q->k;
    if (q->ng == 0 || bn < k)
        return TSR_OK;
    al_work *own = NULL;
    if (!wk && !(wk = own = al_work_new()))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory aligning");
    const tsr_word *A = q->w;
    int rc = TSR_OK;
    /* the workspace's vectors, emptied; handed back at the end */
    hit_vec hits = wk->hits, hits2 = wk->hits2;
    run_vec runs = wk->runs;
    range_vec work = wk->work, next = wk->next;
    al_passages cand = wk->cand;
    hits.n = hits2.n = runs.n = work.n = next.n = cand.n = 0;
    uint64_t *keys = NULL;
    uint32_t *cnt = NULL, *used = NULL;
    uint32_t bag_slots = 0;
    al_dw *diag_tmp = NULL;

    /* A repeat inside one text is held to a shorter length: a sentence
     * said twice in one article is worth reporting even when short. */
    const uint32_t min_words = self ? ALIGN_REPEAT_MIN_WORDS(p->min_words)
                                    : (uint32_t)p->min_words;

    /* 1. seeds */
    size_t bng = bn - k + 1;
    for (size_t j = 0; j < bng; j++) {
        uint64_t h = self ? q->g[j] : seed_hash(B + j, k);
        uint32_t e = q->head[(uint32_t)h & q->mask];
        size_t occ = 0;
        size_t mark = hits.n;
        for (; e; e = q->next[e - 1]) {
            size_t i = e - 1;
            if (q->g[i] != h) continue;
            if (self && i >= j) break;  /* positions ascend: only earlier copies */
            if (++occ > ALIGN_MAX_OCC) { hits.n = mark; break; }
            al_hit x = { (uint32_t)i, (uint32_t)j };
            if (tsr_vec_push(&hits, x)) goto oom;
        }
    }
    /* 2. runs: merge touching hits on one diagonal.  Hits sorted by
     * diagonal, then by position: a stable counting sort on the diagonal
     * j - i + n (they were made in order of j, then i). */
    if (hits.n > 1) {
        /* counts over the diagonals that occur only: a text sharing one
         * passage has its hits on a few neighbouring diagonals */
        size_t dlo = SIZE_MAX, dhi = 0;
        for (size_t x = 0; x < hits.n; x++) {
            const size_t d = hits.a[x].j + q->n - hits.a[x].i;
            if (d < dlo) dlo = d;
            if (d > dhi) dhi = d;
        }
        const size_t nd = dhi - dlo + 1;
        if (room((void **)&wk->dcount, &wk->dcap, nd + 1, sizeof *wk->dcount) ||
            tsr_vec_reserve(&hits2, hits.n))
            goto oom;
        uint32_t *dc = wk->dcount;
        memset(dc, 0, (nd + 1) * sizeof *dc);
        for (size_t x = 0; x < hits.n; x++) dc[hits.a[x].j + q->n - hits.a[x].i - dlo + 1]++;
        for (size_t d = 1; d <= nd; d++) dc[d] += dc[d - 1];
        for (size_t x = 0; x < hits.n; x++)
            hits2.a[dc[hits.a[x].j + q->n - hits.a[x].i - dlo]++] = hits.a[x];
        hits2.n = hits.n;
        hit_vec t = hits; hits = hits2; hits2 = t;
    }
    for (size_t x = 0; x < hits.n;) {
        al_hit h0 = hits.a[x];
        al_run r = { h0.i, h0.i + (uint32_t)k, h0.j, h0.j + (uint32_t)k };
        size_t y = x + 1;
        while (y < hits.n && (int64_t)hits.a[y].j - hits.a[y].i == (int64_t)h0.j - h0.i &&
               hits.a[y].i <= r.a1) {
            r.a1 = hits.a[y].i + (uint32_t)k;
            r.b1 = hits.a[y].j + (uint32_t)k;
            y++;
        }
        if (tsr_vec_push(&runs, r)) goto oom;
        x = y;
    }

    /* 2a. rare-word seeds: a long word that occurs once in each
     * text is evidence on its own, and survives the rewording (synonyms,
     * reordering, translation round trips) that breaks every 3-gram
     * around it.  Positions already inside an exact run add nothing. */
    size_t first_uni = runs.n;
    if (!self && q->rkey) {
        /* B's long words found among A's rare ones, as (i, j) pairs */
        hit_vec pr = wk->rpairs;
        pr.n = 0;
        if (tsr_vec_reserve(&pr, bn)) { wk->rpairs = pr; goto oom; }
        /* without a branch per word: whether a word is found is as good
         * as random, so each is written and counted only when found */
        for (size_t j = 0; j < bn; j++) {
            const uint64_t h = B[j].hash | 1;
            uint32_t sl = (uint32_t)(h >> 21) & q->rmask;
            uint64_t key = q->rkey[sl];
            if (TSR_UNLIKELY(key != h && key != 0)) {
                while (q->rkey[sl] && q->rkey[sl] != h) sl = (sl + 1) & q->rmask;
                key = q->rkey[sl];
            }
            pr.a[pr.n].i = q->rpos[sl];
            pr.a[pr.n].j = (uint32_t)j;
            pr.n += (key == h) & (B[j].end - B[j].begin >= ALIGN_RARE_LEN);
        }
        if (pr.n) {
            /* a word found more than ALIGN_RARE_MAXOCC times in B is not
             * rare there, and one inside an exact run adds nothing: count
             * the pairs per position of A (covered ones marked 255).  The
             * runs are added in B's order: 2b sorts them all by A. */
            if (room((void **)&wk->nrare, &wk->nrarecap, q->n + 1, 1)) {
                wk->rpairs = pr;
                goto oom;
            }
            uint8_t *na = wk->nrare;
            memset(na, 0, q->n + 1);
            for (size_t x = 0; x < first_uni; x++)
                for (uint32_t i = runs.a[x].a0; i < runs.a[x].a1; i++) na[i] = 255;
            for (size_t x = 0; x < pr.n; x++)
                if (na[pr.a[x].i] < 254) na[pr.a[x].i]++;
            for (size_t x = 0; x < pr.n; x++) {
                if (na[pr.a[x].i] > ALIGN_RARE_MAXOCC) continue;  /* and 255 */
                al_run r = { pr.a[x].i, pr.a[x].i + 1, pr.a[x].j, pr.a[x].j + 1 };
                if (tsr_vec_push(&runs, r)) { wk->rpairs = pr; goto oom; }
            }
        }
        wk->rpairs = pr;
    }

    /* 2b. drop isolated runs: a short run with no neighbour in A on a
     * nearby diagonal is a chance match ("of the united"), and would
     * otherwise stretch a passage past its true edge.  A single-word seed
     * needs a close neighbour: rare words are shared by texts on one topic
     * without any reuse. */
    {
        sort_runs(runs.a, runs.n, 0);
        const uint32_t longrun = 2 * (uint32_t)k;
        if (room((void **)&wk->keep, &wk->keepcap, runs.n + 1, 1)) goto oom;
        uint8_t *keep = wk->keep;
        for (size_t x = 0; x < runs.n; x++) {
            const al_run *r = &runs.a[x];
            const int uni = r->a1 - r->a0 == 1;
            const int shortrun = r->a1 - r->a0 < ALIGN_SHORT_RUN(k);
            const int64_t gap = uni ? ALIGN_UNI_NEAR : shortrun ? ALIGN_SHORT_GAP(p->max_gap) : p->max_gap;
            const int64_t dtol = uni ? ALIGN_UNI_NEAR : shortrun ? ALIGN_SHORT_DTOL : p->max_gap / 2 + 1;
            int kp = r->a1 - r->a0 >= longrun;
            int64_t d = (int64_t)r->b0 - r->a0;
            for (size_t y = x; !kp && y-- > 0;) {
                if ((int64_t)runs.a[y].a0 + 4 * (int64_t)p->max_gap < r->a0) break;
                if ((int64_t)runs.a[y].a1 + gap < r->a0) continue;
                int64_t dd = (int64_t)runs.a[y].b0 - runs.a[y].a0 - d;
                if (dd <= dtol && dd >= -dtol) kp = 1;
            }
            for (size_t y = x + 1; !kp && y < runs.n; y++) {
                if (runs.a[y].a0 > (int64_t)r->a1 + gap) break;
                int64_t dd = (int64_t)runs.a[y].b0 - runs.a[y].a0 - d;
                if (dd <= dtol && dd >= -dtol) kp = 1;
            }
            keep[x] = (uint8_t)kp;
        }
        /* a short run over words that a long run already aligns elsewhere
         * (on either side) contradicts it: chance, drop it.  Long runs
         * hardly overlap one another on one side, so looking back over a
         * few of them, by start, finds any that covers a short run. */
        {
            run_vec longr = wk->longr;
            longr.n = 0;
            for (size_t x = 0; x < runs.n; x++)
                if (runs.a[x].a1 - runs.a[x].a0 >= 2 * k && tsr_vec_push(&longr, runs.a[x])) {
                    wk->longr = longr;
                    goto oom;
                }
            for (int side = 0; side < 2 && longr.n; side++) {
                sort_runs(longr.a, longr.n, side);
                for (size_t x = 0; x < runs.n; x++) {
                    const al_run *r = &runs.a[x];
                    const uint32_t len = r->a1 - r->a0;
                    if (!keep[x] || len >= 2 * k) continue;
                    const uint32_t r0 = side ? r->b0 : r->a0, r1 = side ? r->b1 : r->a1;
                    size_t lo = 0, hi = longr.n;  /* first long run starting at >= r1 */
                    while (lo < hi) {
                        size_t m = (lo + hi) / 2;
                        if ((side ? longr.a[m].b0 : longr.a[m].a0) < r1) lo = m + 1; else hi = m;
                    }
                    for (size_t y = lo, seen = 0; y-- > 0 && seen < 4; seen++) {
                        const al_run *g = &longr.a[y];
                        const uint32_t g0 = side ? g->b0 : g->a0, g1 = side ? g->b1 : g->a1;
                        if (g1 <= r0) continue;
                        if (g->a0 == r->a0 && g->b0 == r->b0) continue;
                        uint32_t ov = (g1 < r1 ? g1 : r1) - (g0 > r0 ? g0 : r0);
                        if (2 * ov >= r1 - r0) { keep[x] = 0; break; }
                    }
                }
            }
            wk->longr = longr;
        }
        size_t kept = 0;
        for (size_t x = 0; x < runs.n; x++)
            if (keep[x]) runs.a[kept++] = runs.a[x];
        runs.n = kept;
        if (runs.n == 0)
            goto done;
    }

    /* 3. clusters by alternating splits on A and B */
    {
        range all = { 0, runs.n };
        if (tsr_vec_push(&work, all)) goto oom;
        const uint32_t gap = (uint32_t)p->max_gap;
        /* stable once one pass over each side in a row splits nothing */
        int side = 0, quiet = 0;
        while (quiet < 2) {
            int changed = 0;
            next.n = 0;
            for (size_t w = 0; w < work.n; w++) {
                long pieces = split_side(runs.a, work.a[w].lo, work.a[w].hi, side, gap, &next);
                if (pieces < 0) goto oom;
                if (pieces > 1) changed = 1;
            }
            range_vec t = work; work = next; next = t;
            quiet = changed ? 0 : quiet + 1;
            side = !side;
        }
    }

    /* 4. extend, score, filter */
    {
        /* the bag table holds the words of a B span: size it for all of
         * B, so that any span (and any later merge of spans) fits */
        uint32_t want = 64;
        while (want < 2 * (bn + 1)) want <<= 1;
        if (bag_table(wk, want) ||
            room((void **)&wk->diag_tmp, &wk->dtcap, runs.n + 1, sizeof *wk->diag_tmp))
            goto oom;
        bag_slots = wk->bslots;
        const uint32_t slots = bag_slots;
        diag_tmp = wk->diag_tmp;
        keys = wk->keys;
        cnt = wk->cnt;
        used = wk->used;

        /* a stack of clusters; one that is too dissimilar as a whole is
         * split at its widest gap in A and its halves tried again, so a
         * stretch of unrelated text inside a cluster cannot sink the real
         * passages on either side of it */
        next.n = 0;
        for (size_t w = 0; w < work.n; w++)
            if (tsr_vec_push(&next, work.a[w])) goto oom;
        while (next.n) {
            range cl = next.a[--next.n];
            al_passage ps;
            /* a short run at either end of a cluster whose diagonal is far
             * from the cluster's (weighted median) diagonal is a chance
             * match that would stretch the passage: trim it */
            double share = 0;
            const int64_t tol = ALIGN_EDGE_TOL(p->max_gap);
            int64_t dm = cl.hi - cl.lo >= 2 ?
                median_diag(runs.a + cl.lo, cl.hi - cl.lo, diag_tmp, tol, &share) : 0;
            /* only where the cluster keeps to one diagonal (verbatim or
             * lightly edited text); reworded text with moved phrases has
             * runs off its diagonal at the edges for real */
            if (cl.hi - cl.lo >= 2 && share >= ALIGN_EDGE_SHARE) {
                for (int side = 0; side < 2; side++) {
                    sort_runs(runs.a + cl.lo, cl.hi - cl.lo, side);
                    while (cl.hi - cl.lo >= 2 && runs.a[cl.lo].a1 - runs.a[cl.lo].a0 < 2 * k &&
                           llabs((int64_t)runs.a[cl.lo].b0 - runs.a[cl.lo].a0 - dm) > tol)
                        cl.lo++;
                    while (cl.hi - cl.lo >= 2 && runs.a[cl.hi - 1].a1 - runs.a[cl.hi - 1].a0 < 2 * k &&
                           llabs((int64_t)runs.a[cl.hi - 1].b0 - runs.a[cl.hi - 1].a0 - dm) > tol)
                        cl.hi--;
                }
            }
            /* a weak fringe (fewer than 2k seeded words in all) cut off from
             * a cluster with a strong core (a long exact run) by a gap wider
             * than the cluster's own gaps is chance matches, not the
             * passage: trim it.  (Without a strong core, as in translated
             * text, sparse seeds at the edges are the passage.) */
            uint32_t core = 0;
            for (size_t x = cl.lo; x < cl.hi; x++)
                if (runs.a[x].a1 - runs.a[x].a0 > core) core = runs.a[x].a1 - runs.a[x].a0;
            for (int side = 0; side < 2 && cl.hi - cl.lo >= 3 && core >= ALIGN_FRINGE_CORE(k); side++) {
                sort_runs(runs.a + cl.lo, cl.hi - cl.lo, side);
                uint32_t *gaps = (uint32_t *)diag_tmp;  /* room for runs.n */
                size_t ng = 0;
                for (size_t x = cl.lo; x + 1 < cl.hi; x++) {
                    uint32_t e = side ? runs.a[x].b1 : runs.a[x].a1;
                    uint32_t b = side ? runs.a[x + 1].b0 : runs.a[x + 1].a0;
                    gaps[ng++] = b > e ? b - e : 0;
                }
                uint32_t med = median_u32(gaps, ng);
                uint32_t thr = 3 * med > ALIGN_FRINGE_GAP ? 3 * med : ALIGN_FRINGE_GAP;
                uint32_t acc = 0;
                size_t cut_at = cl.lo;
                for (size_t x = cl.lo; x + 1 < cl.hi; x++) {
                    acc += runs.a[x].a1 - runs.a[x].a0;
                    if (acc >= 2 * k) break;
                    uint32_t e = side ? runs.a[x].b1 : runs.a[x].a1;
                    uint32_t b = side ? runs.a[x + 1].b0 : runs.a[x + 1].a0;
                    if (b > e + thr) cut_at = x + 1;
                }
                acc = 0;
                size_t cut_hi = cl.hi;
                for (size_t x = cl.hi - 1; x > cut_at; x--) {
                    acc += runs.a[x].a1 - runs.a[x].a0;
                    if (acc >= 2 * k) break;
                    uint32_t b = side ? runs.a[x].b0 : runs.a[x].a0;
                    uint32_t e = side ? runs.a[x - 1].b1 : runs.a[x - 1].a1;
                    if (b > e + thr) cut_hi = x;
                }
                if (cut_hi - cut_at >= 1) { cl.lo = cut_at; cl.hi = cut_hi; }
            }
            /* a single-word seed at either end of a cluster, apart from the
             * rest, is more likely chance than a boundary: trim it, on both
             * sides, until neither side changes (a trim on one side can
             * expose a stray seed at the edge of the other) */
            for (size_t before = 0; before != cl.hi - cl.lo;) {
                before = cl.hi - cl.lo;
                for (int side = 0; side < 2; side++) {
                    sort_runs(runs.a + cl.lo, cl.hi - cl.lo, side);
                    /* the distance that counts is to the next seed, or, for
                     * a few single words huddled together at the edge, to
                     * the first longer run */
                    while (cl.hi - cl.lo >= 2 && runs.a[cl.lo].a1 - runs.a[cl.lo].a0 == 1) {
                        const al_run *f = &runs.a[cl.lo], *g = &runs.a[cl.lo + 1];
                        uint32_t fe = side ? f->b1 : f->a1, gs = side ? g->b0 : g->a0;
                        size_t x = cl.lo + 1;
                        while (x < cl.hi && runs.a[x].a1 - runs.a[x].a0 == 1) x++;
                        uint32_t cs = x < cl.hi ? (side ? runs.a[x].b0 : runs.a[x].a0) : fe;
                        const size_t huddle = x - cl.lo;
                        if (gs > fe + ALIGN_RARE_TRIM || (x < cl.hi && cs > fe + ALIGN_RARE_FAR) ||
                            (x < cl.hi && huddle < 3 && cs > fe + 2 * ALIGN_RARE_TRIM))
                            cl.lo++;
                        else break;
                    }
                    while (cl.hi - cl.lo >= 2 && runs.a[cl.hi - 1].a1 - runs.a[cl.hi - 1].a0 == 1) {
                        const al_run *l = &runs.a[cl.hi - 1], *m = &runs.a[cl.hi - 2];
                        uint32_t ls = side ? l->b0 : l->a0, me = side ? m->b1 : m->a1;
                        size_t x = cl.hi - 1;
                        while (x > cl.lo && runs.a[x - 1].a1 - runs.a[x - 1].a0 == 1) x--;
                        uint32_t ce = x > cl.lo ? (side ? runs.a[x - 1].b1 : runs.a[x - 1].a1) : ls;
                        const size_t huddle = cl.hi - x;
                        if (ls > me + ALIGN_RARE_TRIM || (x > cl.lo && ls > ce + ALIGN_RARE_FAR) ||
                            (x > cl.lo && huddle < 3 && ls > ce + 2 * ALIGN_RARE_TRIM))
                            cl.hi--;
                        else break;
                    }
                }
            }
            uint32_t a0 = UINT32_MAX, a1 = 0, b0 = UINT32_MAX, b1 = 0;
            /* the runs that make each of the four ends: extension starts
             * from a real alignment point, never from a corner made of two
             * different runs (which would align unrelated words) */
            al_run ra0 = runs.a[cl.lo], ra1 = ra0, rb0 = ra0, rb1 = ra0;
            for (size_t x = cl.lo; x < cl.hi; x++) {
                const al_run *r = &runs.a[x];
                if (r->a0 < a0) { a0 = r->a0; ra0 = *r; }
                if (r->a1 > a1) { a1 = r->a1; ra1 = *r; }
                if (r->b0 < b0) { b0 = r->b0; rb0 = *r; }
                if (r->b1 > b1) { b1 = r->b1; rb1 = *r; }
            }
            /* seeded words: union of run spans on A */
            sort_runs(runs.a + cl.lo, cl.hi - cl.lo, 0);
            uint32_t seeded = 0, reach = 0, widest = 0, longest = 0, uni = 0;
            size_t cut = 0, jump_at = 0;
            uint32_t seeded_at_jump = 0;
            int64_t jump = 0;
            for (size_t x = cl.lo; x < cl.hi; x++) {
                const al_run *r = &runs.a[x];
                if (x > cl.lo && r->a0 > reach && r->a0 - reach >= widest) {
                    widest = r->a0 - reach;
                    cut = x;
                }
                if (x > cl.lo) {
                    /* a jump of the diagonal: B went far back or ahead */
                    int64_t dd = ((int64_t)r->b0 - r->a0) -
                                 ((int64_t)runs.a[x - 1].b0 - runs.a[x - 1].a0);
                    if (dd < 0) dd = -dd;
                    if (dd > jump) { jump = dd; jump_at = x; seeded_at_jump = seeded; }
                }
                uint32_t st = r->a0 > reach ? r->a0 : reach;
                if (r->a1 > st) seeded += r->a1 - st;
                if (r->a1 > reach) reach = r->a1;
                if (r->a1 - r->a0 > longest) longest = r->a1 - r->a0;
                uni += r->a1 - r->a0 == 1;
            }
            /* a cluster that holds two copies of the same text (repeated
             * in A, or in B) is two passages: cut where the diagonal jumps */
            uint32_t span_a = 0, span_b = 0;
            {
                uint32_t x0 = UINT32_MAX, x1 = 0, y0 = UINT32_MAX, y1 = 0;
                for (size_t x = cl.lo; x < cl.hi; x++) {
                    if (runs.a[x].a0 < x0) x0 = runs.a[x].a0;
                    if (runs.a[x].a1 > x1) x1 = runs.a[x].a1;
                    if (runs.a[x].b0 < y0) y0 = runs.a[x].b0;
                    if (runs.a[x].b1 > y1) y1 = runs.a[x].b1;
                }
                span_a = x1 - x0;
                span_b = y1 - y0;
            }
            /* ... and so is a cluster of two stretches, each a passage in its
             * own right, whose order differs in the two texts (paragraphs
             * moved): each is found on its own */
            const int moved = seeded_at_jump >= min_words && seeded - seeded_at_jump >= min_words;
            if (jump > p->max_gap &&
                (moved || 2 * span_a > 3 * span_b || 2 * span_b > 3 * span_a)) {
                range lo = { cl.lo, jump_at }, hi = { jump_at, cl.hi };
                if (tsr_vec_push(&next, lo) || tsr_vec_push(&next, hi)) goto oom;
                continue;
            }
            /* cheap pre-filters before extension: enough seeded words, and
             * one exact run longer than a chance phrase */
            if (seeded * 4 < min_words ||
                (longest < ALIGN_MIN_RUN(k) && uni < ALIGN_RARE_MIN))
                continue;
            uint32_t da, db;
            /* backward from the run that starts the passage in A; limits
             * keep each side from running into the other run's span */
            extend(A, B, ra0.a0, ra0.b0, -1, 0, (uint32_t)q->n, 0, (uint32_t)bn, &da, &db);
            a0 -= da;
            if (rb0.a0 == ra0.a0 && rb0.b0 == ra0.b0) b0 -= db;
            else {
                extend(A, B, rb0.a0, rb0.b0, -1, 0, (uint32_t)q->n, 0, (uint32_t)bn, &da, &db);
                b0 -= db;
            }
            extend(A, B, ra1.a1, ra1.b1, +1, 0, (uint32_t)q->n, 0, (uint32_t)bn, &da, &db);
            a1 += da;
            if (rb1.a1 == ra1.a1 && rb1.b1 == ra1.b1) b1 += db;
            else {
                extend(A, B, rb1.a1, rb1.b1, +1, 0, (uint32_t)q->n, 0, (uint32_t)bn, &da, &db);
                b1 += db;
            }
            if (self && a1 > b0) {  /* a repeat must end before its copy */
                if (b0 <= a0) continue;
                a1 = b0;
            }
            uint32_t an = a1 - a0, bnw = b1 - b0;
            if (an < min_words || bnw < min_words)
                continue;
            ps.a_lo = a0; ps.a_hi = a1; ps.b_lo = b0; ps.b_hi = b1;
            ps.seeded = seeded;
            ps.matches = bag_matches(A, a0, a1, B, b0, b1, keys, cnt, used, slots - 1);
            ps.similarity = 2.0 * ps.matches / (double)(an + bnw);
            /* short passages must be more similar: two sentences that
             * share a formula ("for the fourth quarter ... a year
             * earlier") reach half their words in common by chance */
            const uint32_t shorter = an < bnw ? an : bnw;
            const double need = p->min_similarity +
                (shorter < 2 * min_words
                     ? ALIGN_SHORT_SIM * (double)(2 * min_words - shorter) / (double)min_words : 0.0);
            if (ps.similarity < need &&
                !(uni >= ALIGN_RARE_MIN && ps.similarity >= ALIGN_RARE_SIM * need)) {
                if (cut > cl.lo) {
                    range lo = { cl.lo, cut }, hi = { cut, cl.hi };
                    if (tsr_vec_push(&next, lo) || tsr_vec_push(&next, hi)) goto oom;
                }
                continue;
            }
            if (tsr_vec_push(&cand, ps)) goto oom;
        }
    }

    /* 5. overlaps: of passages covering mostly the same words of A (or of
     * B), keep the stronger */
    if (cand.n > 1) {
        tsr_sort(cand.a, cand.n, sizeof *cand.a, pass_cmp_strength);
        size_t kept = 0;
        for (size_t x = 0; x < cand.n; x++) {
            const al_passage *c = &cand.a[x];
            int drop = 0;
            for (size_t y = 0; y < kept && !drop; y++) {
                const al_passage *k2 = &cand.a[y];
                uint32_t lo = c->a_lo > k2->a_lo ? c->a_lo : k2->a_lo;
                uint32_t hi = c->a_hi < k2->a_hi ? c->a_hi : k2->a_hi;
                if (hi > lo && (hi - lo) * 2 > c->a_hi - c->a_lo) drop = 1;
                lo = c->b_lo > k2->b_lo ? c->b_lo : k2->b_lo;
                hi = c->b_hi < k2->b_hi ? c->b_hi : k2->b_hi;
                uint32_t alo = c->a_lo > k2->a_lo ? c->a_lo : k2->a_lo;
                uint32_t ahi = c->a_hi < k2->a_hi ? c->a_hi : k2->a_hi;
                /* same B words claimed twice, and overlapping in A too */
                if (hi > lo && (hi - lo) * 2 > c->b_hi - c->b_lo && ahi > alo) drop = 1;
            }
            if (!drop) cand.a[kept++] = *c;
        }
        cand.n = kept;
        tsr_sort(cand.a, cand.n, sizeof *cand.a, pass_cmp_a);
    }
    /* 6. granularity: neighbours on both sides that were split apart
     * (a dissimilar stretch, a jump) are one passage when, taken together,
     * they are still similar enough: one reuse reported as one passage */
    if (cand.n > 1 && !self) {
        const uint32_t gap = (uint32_t)p->max_gap;
        size_t w = 0;
        for (size_t x = 1; x < cand.n; x++) {
            al_passage *c = &cand.a[w];
            const al_passage *d = &cand.a[x];
            /* in the same order on both sides (d follows c in B as in A)
             * within the usual gap; in swapped order only when they touch on
             * both sides (sentences shuffled inside one passage), so that a
             * paragraph moved past other text stays a passage of its own */
            const int inorder = d->b_lo >= c->b_lo;
            uint32_t bgap = inorder ? (d->b_lo >= c->b_hi ? d->b_lo - c->b_hi : 0)
                                    : (c->b_lo >= d->b_hi ? c->b_lo - d->b_hi : 0);
            uint32_t agap = d->a_lo >= c->a_hi ? d->a_lo - c->a_hi : 0;
            const uint32_t lim = inorder ? gap : ALIGN_SWAP_GAP;
            /* a summary: pieces close together in A drawn, in order, from a
             * long stretch of B; merged when most words of the merged A are
             * found in the merged B (containment, not similarity) */
            if (inorder && agap <= ALIGN_SUM_AGAP && bgap > lim &&
                bgap <= ALIGN_SUM_BGAP_F * gap) {
                al_passage m = *c;
                if (d->a_hi > m.a_hi) m.a_hi = d->a_hi;
                if (d->b_hi > m.b_hi) m.b_hi = d->b_hi;
                m.seeded = c->seeded + d->seeded;
                m.matches = bag_matches(A, m.a_lo, m.a_hi, B, m.b_lo, m.b_hi, keys, cnt,
                                        used, bag_slots - 1);
                uint32_t an = m.a_hi - m.a_lo, bnw = m.b_hi - m.b_lo;
                if (bnw >= ALIGN_SUM_RATIO * an && m.matches >= ALIGN_SUM_CONTAIN * an) {
                    m.similarity = 2.0 * m.matches / (double)(an + bnw);
                    *c = m;
                    continue;
                }
            }
            if (agap <= lim && bgap <= lim) {
                al_passage m = *c;
                if (d->a_hi > m.a_hi) m.a_hi = d->a_hi;
                if (d->b_lo < m.b_lo) m.b_lo = d->b_lo;
                if (d->b_hi > m.b_hi) m.b_hi = d->b_hi;
                m.seeded = c->seeded + d->seeded;
                m.matches = bag_matches(A, m.a_lo, m.a_hi, B, m.b_lo, m.b_hi, keys, cnt,
                                        used, bag_slots - 1);
                m.similarity = 2.0 * m.matches / (double)(m.a_hi - m.a_lo + m.b_hi - m.b_lo);
                if (m.similarity >= ALIGN_MERGE_SIM * p->min_similarity) {
                    *c = m;
                    continue;
                }
            }
            cand.a[++w] = *d;
        }
        cand.n = w + 1;
    }
    if (tsr_vec_reserve(out, cand.n)) goto oom;
    for (size_t x = 0; x < cand.n; x++)
        out->a[out->n++] = cand.a[x];
    goto done;
oom:
    rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory aligning");
done:
    wk->hits = hits;
    wk->hits2 = hits2;
    wk->runs = runs;
    wk->work = work;
    wk->next = next;
    wk->cand = cand;
    al_work_free(own);
    return rc;
}
