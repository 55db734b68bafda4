/*
 * align.c - from shared words to passages.
 *
 * How it works.  Alignment runs on words, never on characters, so that
 * re-flowed line breaks, punctuation and case do not matter.  al_align
 * is a short driver of nine stages, each a function below with its
 * contract above it (declared in align_stages.h, for the unit tests).
 * They hand the workspace (al_work) on: hits, then runs, then clusters
 * (ranges of the runs), then passages.
 *
 * 1. Seeds (al_seeds).  Every run of `seed` (default 3) consecutive words
 *    of the query A is put in a hash table (al_query_init); every run of
 *    B is looked up in it.  A hit (i, j) says that A[i..i+k) ==
 *    B[j..j+k).  Seed-grams that occur very often in A (formulae,
 *    repeated lines) are capped so that repetitive text cannot make the
 *    anchor set quadratic.
 *
 * 2. Runs (al_runs).  Hits on the same diagonal (j - i) that touch or
 *    overlap are one exact run: a verbatim stretch.
 *
 * 3. Rare-word seeds (al_rare_seeds).  A long word that occurs once in
 *    each text is a run of one word: it survives the rewording that
 *    breaks every seed-gram around it.
 *
 * 4. Pruning (al_prune).  A short run with no neighbour on a nearby
 *    diagonal, or over words that a long run aligns elsewhere, is chance,
 *    and is dropped before it can stretch a passage.
 *
 * 5. Clusters (al_cluster).  Runs are grouped into passages by
 *    alternating splits: sorted by their position in A, a gap of more
 *    than `max_gap` words starts a new group; each group, sorted by
 *    position in B, is split the same way; repeat until no group splits.
 *    What remains are clusters of runs that are close on both sides.  The
 *    rule does not ask runs to be in the same order on both sides, so
 *    local reordering (shuffled words, swapped clauses) does not break a
 *    passage, while text moved far away (a reordered paragraph) becomes a
 *    passage of its own: every paragraph is found wherever it moved.
 *    Inserted and deleted words are just gaps.
 *
 * 6. Refinement, per cluster.  First the doubles (al_part_doubles): where
 *    a phrase occurs twice in one text, runs that map its words across to
 *    the other copy, far off the cluster's diagonal while a run on it maps
 *    the same words, are clustered apart, so that a passage never spans
 *    from one copy to the other.  Then (al_refine) short runs off the cluster's
 *    diagonal at its ends (al_trim_edges), a weak fringe across a wide
 *    gap from a strong core (al_trim_fringes), and stray single-word
 *    seeds at its ends (al_trim_strays) are trimmed.  Each trims one end
 *    at a time through one function that takes the direction, as
 *    al_extend does (al_trim_edge_end, al_trim_fringe_end,
 *    al_trim_stray_end).
 *
 * 7. Extension and scoring (al_score_cluster).  Each cluster's ends are
 *    extended outward by a banded X-drop alignment on words (al_extend:
 *    match +1, mismatch or gap -1, stop when the score falls
 *    `ALIGN_XDROP` below its best), so that a passage ends on the last
 *    matching word, not on the last seed.  The similarity is the share of
 *    matching words: 2 * |A-span ∩ B-span| / (|A-span| + |B-span|),
 *    counted as multisets of words (al_bag_matches), which is robust to
 *    reordering.  Passages shorter than `min_words` or less similar than
 *    `min_similarity` are dropped.  A cluster whose diagonal jumps (two
 *    copies, or two moved stretches) or that is too dissimilar as a whole
 *    is split in two instead, and al_cluster_passages, which runs stages
 *    6 and 7 over a stack of clusters, refines and scores the halves in
 *    turn.
 *
 * 8. Overlaps (al_resolve_overlaps).  Of two passages that cover mostly
 *    the same words of A (or of B), the stronger is kept.
 *
 * 9. Granularity (al_merge_neighbours).  Neighbouring passages that were
 *    split apart but are, taken together, still one passage (or a
 *    summary of a longer stretch of B) are merged back, never so that
 *    the merged spans pair text with other text: not across text moved
 *    (a block in another order, a gap that another passage fills), nor
 *    across a stretch that one side lacks.
 *
 * 10. Brief passages (al_add_brief; only with AL_BRIEF, for check and
 *    discovery).  A passage that passes every test of stage 7 but is
 *    shorter than min_words, down to AL_BRIEF_WORDS (two thirds of it,
 *    at least 8), is held aside in stage 7 and comes out only when the
 *    pair has no other passage: a sentence copied whole, reworded in a
 *    word or two, is often 10-14 words, and the only text two documents
 *    share.  Whether it is worth reporting is not a question of length but
 *    of how rare its words are: the caller's E-value cut takes it only at
 *    a 10^7 times stronger level (signif.c, step 8).  align (one pair, no
 *    corpus to tell a formula from a rare sentence) has none.
 *
 * A passage is a claim that its two spans hold the same text.  A stretch
 * of A that the source does not hold (more than ALIGN_HOLE words, few of
 * them found in the source span: `foreign`) therefore ends a passage,
 * in stage 7 and in stage 9; so does reordered text: a cluster whose diagonal jumps between
 * two stretches of min_words seeded words each is split (stage 7), and
 * neighbours in swapped order stay apart (stage 9) unless both are
 * rewritten text, where a swap is one of the edits.
 *
 * Edge cases.  Texts shorter than the seed length have no seeds and so no
 * passages.  In self mode (A against itself) only hits with j > i count,
 * there are no rare-word seeds and no merges, and a passage must end
 * before its copy begins; that is how repetition inside one text is
 * found.
 */
#include "align_stages.h"
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
/* A cluster whose diagonal jumps by more than this many words between
 * two stretches of min_words seeded words each is two passages (a
 * sentence moved inside a paragraph). */
#define ALIGN_MOVE_JUMP 10
/* ... when the cluster is a clean copy: at least ALIGN_MOVE_DENSE of its
 * span in A seeded.  Neighbouring passages in swapped order merge only
 * when both are rewritten (less similar than ALIGN_MOVE_SIM): a swap
 * inside reworded text is part of the rewording (PAN's random
 * obfuscation shuffles phrases); clean blocks in another order are
 * moved text, each a passage of its own. */
#define ALIGN_MOVE_DENSE 0.9
#define ALIGN_MOVE_SIM AL_REWRITTEN_SIM
/* Neighbouring passages in the same order merge only when the gap between
 * them in A exceeds the gap in B by at most ALIGN_INDEL words (a phrase
 * inserted, not a sentence the source lacks) or their B spans overlap
 * (then the merged B span holds A's gap, or merge_similar's foreign test
 * keeps them apart), and a wider gap in B is not text that another passage
 * claims (text moved, not left out). */
#define ALIGN_INDEL 10
/* A stretch of A of more than ALIGN_HOLE words between seeds, less than
 * ALIGN_FOREIGN of whose words the source span holds (as a bag), is text
 * the source lacks (a sentence of another source between two of this
 * one's): a cluster is split there, and neighbours do not merge across
 * it.  Reworded and translated text keeps more of its words than that. */
#define ALIGN_HOLE 10
#define ALIGN_FOREIGN 0.25

/* Summaries: neighbouring passages at most ALIGN_SUM_AGAP apart in A and
 * at most ALIGN_SUM_BGAP_F * max_gap apart in B (in order) merge when the
 * merged B span is at least ALIGN_SUM_RATIO times the A span and holds
 * ALIGN_SUM_CONTAIN of A's words: a summary condenses a long stretch of
 * its source, so similarity (which counts both sides) cannot judge it. */
#define ALIGN_SUM_AGAP 20
#define ALIGN_SUM_BGAP_F 8
#define ALIGN_SUM_RATIO 2
#define ALIGN_SUM_CONTAIN 0.5

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

/* *buf with room for n elements of `el` bytes (its room *cap, in
 * elements, kept when enough); zeroed when `zero`.  0, or -1 when out of
 * memory. */
static int q_room(void *buf, size_t *cap, size_t n, size_t el, int zero)
{
    void **b = buf;
    if (n > *cap || !*b) {   /* new room: calloc's, zero without a memset when fresh */
        const size_t want = n ? n : 1;
        void *nb = zero ? calloc(want, el) : malloc(want * el);
        if (!nb)
            return -1;
        free(*b);
        *b = nb;
        *cap = want;
    } else if (zero) {
        memset(*b, 0, n * el);
    }
    return 0;
}

/* The least power of two >= want, at least lo, at most 2^31: the slots
 * of a table for `want`, so that a text of 2^30 words and more (4 GiB of
 * text holds up to 2^31) makes no doubling go round to 0.  The chained
 * table (head) takes any load; the open ones (tkey, rkey) get at most
 * 2^31 / 6 long words, below their cap. */
uint32_t al_pow2_slots(uint64_t want, uint32_t lo)
{
    uint32_t s = lo;
    while (s < want && s < ((uint32_t)1 << 31)) s <<= 1;
    return s;
}

/* A filter of a table's keys, before it: one bit per key among 16 per
 * key (bit (h >> 32) & mask), so that most lookups of a key that is not
 * there stop at the bit, with no look at the table and no branch that
 * goes either way (al_seeds, rare_pairs).  filter_clear sizes and clears
 * it for n keys: 0, or -1 when out of memory. */
static int filter_clear(uint64_t **bits, size_t *cap, uint32_t *mask, size_t n)
{
    const uint32_t nbits = al_pow2_slots(16 * (uint64_t)n, 64);
    *mask = nbits - 1;
    return q_room(bits, cap, nbits / 64, sizeof **bits, 1);
}

static inline void filter_add(uint64_t *bits, uint32_t mask, uint64_t h)
{
    const uint32_t f = (uint32_t)(h >> 32) & mask;
    bits[f >> 6] |= (uint64_t)1 << (f & 63);
}

static inline int filter_has(const uint64_t *bits, uint32_t mask, uint64_t h)
{
    const uint32_t f = (uint32_t)(h >> 32) & mask;
    return (int)(bits[f >> 6] >> (f & 63) & 1);
}

/* The query's rare words, q->rare: long, and at most ALIGN_RARE_MAXOCC
 * times in the query; and a table of them, hash -> position (q->rkey,
 * q->rpos), for al_rare_seeds to look B's long words up in.  The long
 * words are listed first (their positions in q->tpos), without a branch
 * per word, and counted in a table of twice as many slots (q->tkey,
 * q->tcnt) that also remembers each one's slot (q->tslot), so that the
 * second pass looks nothing up again (al_query_reset: 19% fewer
 * instructions than two passes over every word with a lookup each,
 * BENCHMARKS.md).  0, or -1 when out of memory. */
static int query_rare_words(al_query *q)
{
    const tsr_word *w = q->w;
    const size_t n = q->n;
    size_t pcap = q->tpcap;   /* tslot grows with tpos: the same room */
    if (q_room(&q->rare, &q->rarecap, n, 1, 1) || q_room(&q->tpos, &q->tpcap, n + 1, 4, 0) ||
        q_room(&q->tslot, &pcap, n + 1, 4, 0))
        return -1;
    uint32_t *pos = q->tpos, *slot = q->tslot;
    size_t nlong = 0;
    for (size_t i = 0; i < n; i++) {
        pos[nlong] = (uint32_t)i;
        nlong += w[i].end - w[i].begin >= ALIGN_RARE_LEN;
    }
    const uint32_t slots = al_pow2_slots(2 * (uint64_t)nlong, 16);
    const uint32_t tmask = slots - 1;
    size_t ccap = q->tcap;   /* tcnt grows with tkey: the same room */
    if (q_room(&q->tkey, &q->tcap, slots, 8, 1) || q_room(&q->tcnt, &ccap, slots, 1, 1))
        return -1;
    uint64_t *key = q->tkey;
    uint8_t *cnt = q->tcnt;
    for (size_t x = 0; x < nlong; x++) {
        const uint64_t h = w[pos[x]].hash | 1;
        uint32_t sl = (uint32_t)(h >> 21) & tmask;
        while (key[sl] && key[sl] != h) sl = (sl + 1) & tmask;
        key[sl] = h;
        cnt[sl] += cnt[sl] < 255;
        slot[x] = sl;
    }
    size_t nrare = 0;
    for (size_t x = 0; x < nlong; x++) {
        const uint8_t r = cnt[slot[x]] <= ALIGN_RARE_MAXOCC;
        q->rare[pos[x]] = r;
        nrare += r;
    }
    /* each rare word is in the table once: ALIGN_RARE_MAXOCC is 1 */
    _Static_assert(ALIGN_RARE_MAXOCC == 1, "the rare-word table keeps one position per word");
    /* sparse: a probe seldom collides */
    const uint32_t rslots = al_pow2_slots(8 * (uint64_t)nrare, 64);
    q->rmask = rslots - 1;
    size_t rpcap = q->rcap;   /* rpos grows with rkey: the same room */
    if (q_room(&q->rkey, &q->rcap, rslots, sizeof *q->rkey, 1) ||
        q_room(&q->rpos, &rpcap, rslots, sizeof *q->rpos, 0))
        return -1;
    /* and their filter (al_rare_seeds) */
    if (filter_clear(&q->rfilter, &q->rfcap, &q->rfmask, nrare))
        return -1;
    for (size_t x = 0; x < nlong; x++) {
        const size_t i = pos[x];
        if (!q->rare[i]) continue;
        uint64_t h = w[i].hash | 1;
        uint32_t s = (uint32_t)(h >> 21) & q->rmask;
        while (q->rkey[s]) s = (s + 1) & q->rmask;
        q->rkey[s] = h;
        q->rpos[s] = (uint32_t)i;
        filter_add(q->rfilter, q->rfmask, h);
    }
    return 0;
}

int al_query_init(al_query *q, const tsr_word *w, size_t n, const tsr_params *p,
                  tsr_error *err)
{
    memset(q, 0, sizeof *q);
    return al_query_reset(q, w, n, p, err);
}

int al_query_reset(al_query *q, const tsr_word *w, size_t n, const tsr_params *p,
                   tsr_error *err)
{
    q->w = w;
    q->n = n;
    q->k = p->seed;
    q->ng = 0;
    q->mask = 0;
    q->rmask = 0;
    /* the rare words first, for a text shorter than a seed too: a query
     * reset from a longer one kept that one's table (test_align_stages,
     * test_rare_seeds_random; al_align never looked, having no grams) */
    if (!q->no_rare && query_rare_words(q)) {
        al_query_free(q);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory preparing alignment");
    }
    if (n < (size_t)q->k)
        return TSR_OK;
    q->ng = n - (size_t)q->k + 1;
    const uint32_t slots = al_pow2_slots(2 * (uint64_t)q->ng, 16);
    q->mask = slots - 1;
    size_t ncap = q->gcap;   /* next grows with g: the same room */
    if (q_room(&q->g, &q->gcap, q->ng, sizeof *q->g, 0) ||
        q_room(&q->head, &q->hcap, slots, sizeof *q->head, 1) ||
        q_room(&q->next, &ncap, q->ng, sizeof *q->next, 0)) {
        al_query_free(q);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory preparing alignment");
    }
    /* and the grams' filter (al_seeds) */
    if (filter_clear(&q->filter, &q->fcap, &q->fmask, q->ng)) {
        al_query_free(q);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory preparing alignment");
    }
    /* insert in reverse so that chains list positions in increasing order */
    for (size_t i = 0; i < q->ng; i++) {
        q->g[i] = seed_hash(w + i, (size_t)q->k);
        filter_add(q->filter, q->fmask, q->g[i]);
    }
    for (size_t i = q->ng; i-- > 0;) {
        uint32_t s = (uint32_t)q->g[i] & q->mask;
        q->next[i] = q->head[s];
        q->head[s] = (uint32_t)i + 1;
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
    free(q->tkey);
    free(q->tcnt);
    free(q->tpos);
    free(q->tslot);
    free(q->filter);
    free(q->rfilter);
    memset(q, 0, sizeof *q);
}

/* ------------------------------------------------------------------------
 * Workspace
 * --------------------------------------------------------------------- */

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
    tsr_vec_free(&w->work); tsr_vec_free(&w->next); tsr_vec_free(&w->spare);
    tsr_vec_free(&w->cand); tsr_vec_free(&w->brief);
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

/* The bag table, empty, with at least `want` slots (a power of two); 0 or
 * -1. */
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

/* The bag table holds the words of a B span: it is sized for all of B,
 * so that any span (and any later merge of spans) fits. */
int al_bag_reserve(al_work *wk, size_t bn)
{
    uint32_t want = 64;
    while (want < 2 * (bn + 1)) want <<= 1;
    return bag_table(wk, want);
}

/* ------------------------------------------------------------------------
 * Helpers: runs, sorting, splitting
 * --------------------------------------------------------------------- */

/* Where a run starts and ends on side 0 (A) or 1 (B). */
static inline uint32_t run_start(const al_run *r, int side)
{
    return side ? r->b0 : r->a0;
}

static inline uint32_t run_end(const al_run *r, int side)
{
    return side ? r->b1 : r->a1;
}

static inline uint32_t run_len(const al_run *r)
{
    return r->a1 - r->a0;
}

/* The run t places in from the `dir` end of cluster cl: from cl.lo up
 * for dir = +1, from cl.hi - 1 down for dir = -1. */
static inline const al_run *from_end(const al_run *r, al_range cl, int dir, size_t t)
{
    return &r[dir > 0 ? cl.lo + t : cl.hi - 1 - t];
}

/* Whether run f, at the `dir` end of a cluster, and g, further in, are
 * more than `gap` words apart on `side`: the later one starts past the
 * end of the earlier one plus `gap`. */
static inline int apart(const al_run *f, const al_run *g, int side, int dir, uint32_t gap)
{
    const al_run *lo = dir > 0 ? f : g, *hi = dir > 0 ? g : f;
    return run_start(hi, side) > run_end(lo, side) + gap;
}

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

/* Split runs[lo,hi) sorted by side (0 = A, 1 = B) where gaps exceed gap.
 * Pushes the pieces onto `out`; returns number of pieces or -1 on OOM. */
static long split_side(al_run *r, size_t lo, size_t hi, int side, uint32_t gap,
                       al_range_vec *out)
{
    sort_runs(r + lo, hi - lo, side);
    long pieces = 0;
    size_t start = lo;
    uint32_t reach = run_end(&r[lo], side);
    for (size_t x = lo + 1; x <= hi; x++) {
        uint32_t s = x < hi ? run_start(&r[x], side) : 0;
        if (x == hi || s > reach + gap) {
            al_range g = { start, x };
            if (tsr_vec_push(out, g)) return -1;
            pieces++;
            start = x;
            if (x < hi) reach = run_end(&r[x], side);
        } else {
            uint32_t e = run_end(&r[x], side);
            if (e > reach) reach = e;
        }
    }
    return pieces;
}

/* ------------------------------------------------------------------------
 * Helpers: extension and scoring
 * --------------------------------------------------------------------- */

/* Banded X-drop extension from (a, b) in direction dir (+1 forward from
 * A[a], B[b]; -1 backward from A[a-1], B[b-1]).  Limits: A in [alim0,
 * alim1), B in [blim0, blim1).  Returns the words added on each side. */
void al_extend(const tsr_word *A, const tsr_word *B, uint32_t a, uint32_t b,
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

/* Multiset intersection size of A[a0,a1) and B[b0,b1), with the open-
 * addressing bag table of the workspace (keys/cnt, empty on entry and on
 * return; `used` has room for b1-b0 slot numbers: al_bag_reserve). */
uint32_t al_bag_matches(al_work *wk, const tsr_word *A, uint32_t a0, uint32_t a1,
                        const tsr_word *B, uint32_t b0, uint32_t b1)
{
    uint64_t *keys = wk->keys;
    uint32_t *cnt = wk->cnt, *used = wk->used;
    const uint32_t mask = wk->bslots - 1;
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
 * has room for n entries.  *share: the weight within tol of it. */
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
 * Stages 1-4: seeds, runs, rare-word seeds, pruning
 * --------------------------------------------------------------------- */

void al_pair_init(al_pair *c, const al_query *q, const tsr_word *B, size_t bn,
                  const tsr_params *p, int mode)
{
    const int self = mode & AL_SELF, brief = mode & AL_BRIEF;
    c->q = q;
    c->A = q->w;
    c->an = q->n;
    c->B = B;
    c->bn = bn;
    c->p = p;
    c->self = self;
    c->k = (size_t)q->k;
    /* A repeat inside one text is held to a shorter length: a sentence
     * said twice in one article is worth reporting even when short. */
    c->min_words = self ? AL_BRIEF_WORDS(p->min_words) : (uint32_t)p->min_words;
    c->brief_words = brief && !self ? AL_BRIEF_WORDS(p->min_words) : 0;
}

/* Seeds.  wk->hits := every (i, j) whose seed-grams A[i, i+k) and
 * B[j, j+k) are equal, in order of j, then i.  A gram of B found more
 * than ALIGN_MAX_OCC times in A gives no hits at all.  In self mode (B is
 * A) only earlier copies count: i < j.  No hits when either text is
 * shorter than k. */
int al_seeds(const al_pair *c, al_work *wk)
{
    const al_query *q = c->q;
    const size_t k = c->k;
    al_hit_vec *hits = &wk->hits;
    hits->n = 0;
    if (q->ng == 0 || c->bn < k)
        return 0;
    /* in locals: the hits written below could alias the fields */
    const uint64_t *g = q->g;
    const uint32_t *head = q->head, *next = q->next, mask = q->mask;
    const tsr_word *B = c->B;
    const int self = c->self;
    const size_t bng = c->bn - k + 1;
    const uint64_t *filter = q->filter;
    const uint32_t fmask = q->fmask;
    for (size_t j = 0; j < bng; j++) {
        const uint64_t h = self ? g[j] : seed_hash(B + j, k);
        /* most grams of B are in no chain: the filter turns away all but
         * 1 in 16 of them, where the table's slots are filled two in five */
        if (!filter_has(filter, fmask, h)) continue;
        size_t occ = 0;
        const size_t mark = hits->n;
        for (uint32_t e = head[(uint32_t)h & mask]; e; e = next[e - 1]) {
            const size_t i = e - 1;
            if (g[i] != h) continue;
            if (self && i >= j) break;  /* positions ascend: only earlier copies */
            if (++occ > ALIGN_MAX_OCC) { hits->n = mark; break; }
            al_hit x = { (uint32_t)i, (uint32_t)j };
            if (tsr_vec_push(hits, x)) return -1;
        }
    }
    return 0;
}

/* wk->hits sorted by diagonal, then by position: a stable counting sort
 * on the diagonal j - i + an (they were made in order of j, then i),
 * through wk->hits2 (the two are swapped). */
static int sort_hits_by_diagonal(al_work *wk, size_t an)
{
    al_hit_vec *hits = &wk->hits, *sorted = &wk->hits2;
    /* counts over the diagonals that occur only: a text sharing one
     * passage has its hits on a few neighbouring diagonals */
    size_t dlo = SIZE_MAX, dhi = 0;
    for (size_t x = 0; x < hits->n; x++) {
        const size_t d = hits->a[x].j + an - hits->a[x].i;
        if (d < dlo) dlo = d;
        if (d > dhi) dhi = d;
    }
    const size_t nd = dhi - dlo + 1;
    sorted->n = 0;
    if (room((void **)&wk->dcount, &wk->dcap, nd + 1, sizeof *wk->dcount) ||
        tsr_vec_reserve(sorted, hits->n))
        return -1;
    uint32_t *dc = wk->dcount;
    memset(dc, 0, (nd + 1) * sizeof *dc);
    for (size_t x = 0; x < hits->n; x++) dc[hits->a[x].j + an - hits->a[x].i - dlo + 1]++;
    for (size_t d = 1; d <= nd; d++) dc[d] += dc[d - 1];
    for (size_t x = 0; x < hits->n; x++)
        sorted->a[dc[hits->a[x].j + an - hits->a[x].i - dlo]++] = hits->a[x];
    sorted->n = hits->n;
    al_hit_vec t = *hits; *hits = *sorted; *sorted = t;
    return 0;
}

/* Runs.  wk->runs := the exact runs of wk->hits: hits on one diagonal
 * that touch or overlap are one run.  In order of diagonal (b0 - a0),
 * then of position.  wk->hits is left sorted that way. */
int al_runs(const al_pair *c, al_work *wk)
{
    const uint32_t k = (uint32_t)c->k;
    wk->runs.n = 0;
    if (wk->hits.n > 1 && sort_hits_by_diagonal(wk, c->an))
        return -1;
    const al_hit *h = wk->hits.a;
    const size_t n = wk->hits.n;
    for (size_t x = 0; x < n;) {
        const al_hit h0 = h[x];
        al_run r = { h0.i, h0.i + k, h0.j, h0.j + k };
        size_t y = x + 1;
        while (y < n && (int64_t)h[y].j - h[y].i == (int64_t)h0.j - h0.i && h[y].i <= r.a1) {
            r.a1 = h[y].i + k;
            r.b1 = h[y].j + k;
            y++;
        }
        if (tsr_vec_push(&wk->runs, r)) return -1;
        x = y;
    }
    return 0;
}

/* wk->rpairs := B's long words found among A's rare ones, as (i, j)
 * pairs in order of j. */
static int rare_pairs(const al_pair *c, al_work *wk)
{
    const al_query *q = c->q;
    const tsr_word *B = c->B;
    wk->rpairs.n = 0;
    if (tsr_vec_reserve(&wk->rpairs, c->bn))
        return -1;
    /* the filter turns away all but about 1 in 16 of B's words that are
     * none of A's rare ones; the rest without a branch per word: whether
     * one is found is as good as random, so each is written and counted
     * only when found */
    al_hit *pa = wk->rpairs.a;
    size_t n = 0;
    const uint64_t *filter = q->rfilter;
    const uint32_t fmask = q->rfmask;
    for (size_t j = 0; j < c->bn; j++) {
        const uint64_t h = B[j].hash | 1;
        if (!filter_has(filter, fmask, h)) continue;
        uint32_t sl = (uint32_t)(h >> 21) & q->rmask;
        uint64_t key = q->rkey[sl];
        if (TSR_UNLIKELY(key != h && key != 0)) {
            while (q->rkey[sl] && q->rkey[sl] != h) sl = (sl + 1) & q->rmask;
            key = q->rkey[sl];
        }
        pa[n].i = q->rpos[sl];
        pa[n].j = (uint32_t)j;
        n += (key == h) & (B[j].end - B[j].begin >= ALIGN_RARE_LEN);
    }
    wk->rpairs.n = n;
    return 0;
}

/* Rare-word seeds.  A long word that occurs once in each text is
 * evidence on its own, and survives the rewording (synonyms, reordering,
 * translation round trips) that breaks every 3-gram around it.  On entry
 * wk->runs holds the exact runs (al_runs) and nothing else; appended: a
 * run of one word for each word of A that is rare in A (al_query_init),
 * found exactly once in B, and inside no exact run (which it would add
 * nothing to).  In B's order.  Nothing in self mode. */
int al_rare_seeds(const al_pair *c, al_work *wk)
{
    const al_query *q = c->q;
    if (c->self || q->no_rare || !q->rkey)
        return 0;
    const size_t first_uni = wk->runs.n;
    if (rare_pairs(c, wk))
        return -1;
    const al_hit *pr = wk->rpairs.a;
    const size_t npr = wk->rpairs.n;
    if (npr == 0)
        return 0;
    /* a word found more than ALIGN_RARE_MAXOCC times in B is not rare
     * there, and one inside an exact run adds nothing: count the pairs
     * per position of A (covered ones marked 255) */
    if (room((void **)&wk->nrare, &wk->nrarecap, q->n + 1, 1))
        return -1;
    uint8_t *na = wk->nrare;
    memset(na, 0, q->n + 1);
    for (size_t x = 0; x < first_uni; x++)
        for (uint32_t i = wk->runs.a[x].a0; i < wk->runs.a[x].a1; i++) na[i] = 255;
    for (size_t x = 0; x < npr; x++)
        if (na[pr[x].i] < 254) na[pr[x].i]++;
    for (size_t x = 0; x < npr; x++) {
        if (na[pr[x].i] > ALIGN_RARE_MAXOCC) continue;  /* and 255 */
        al_run r = { pr[x].i, pr[x].i + 1, pr[x].j, pr[x].j + 1 };
        if (tsr_vec_push(&wk->runs, r)) return -1;
    }
    return 0;
}

/* keep[x] := whether run x of r[0, n) (sorted by A) has a neighbour:
 * another run near it in A on a nearby diagonal, the nearer the shorter
 * the run is.  Runs of at least 2k words need none. */
static void mark_isolated(const al_pair *c, const al_run *r, size_t n, uint8_t *keep)
{
    const tsr_params *p = c->p;
    const size_t k = c->k;
    const uint32_t longrun = 2 * (uint32_t)k;
    for (size_t x = 0; x < n; x++) {
        const int uni = r[x].a1 - r[x].a0 == 1;
        const int shortrun = r[x].a1 - r[x].a0 < ALIGN_SHORT_RUN(k);
        const int64_t gap = uni ? ALIGN_UNI_NEAR : shortrun ? ALIGN_SHORT_GAP(p->max_gap) : p->max_gap;
        const int64_t dtol = uni ? ALIGN_UNI_NEAR : shortrun ? ALIGN_SHORT_DTOL : p->max_gap / 2 + 1;
        int kp = r[x].a1 - r[x].a0 >= longrun;
        const int64_t d = (int64_t)r[x].b0 - r[x].a0;
        for (size_t y = x; !kp && y-- > 0;) {
            if ((int64_t)r[y].a0 + 4 * (int64_t)p->max_gap < r[x].a0) break;
            if ((int64_t)r[y].a1 + gap < r[x].a0) continue;
            int64_t dd = (int64_t)r[y].b0 - r[y].a0 - d;
            if (dd <= dtol && dd >= -dtol) kp = 1;
        }
        for (size_t y = x + 1; !kp && y < n; y++) {
            if (r[y].a0 > (int64_t)r[x].a1 + gap) break;
            int64_t dd = (int64_t)r[y].b0 - r[y].a0 - d;
            if (dd <= dtol && dd >= -dtol) kp = 1;
        }
        keep[x] = (uint8_t)kp;
    }
}

/* Clears keep[x] of each run of wk->runs over words that a run at least
 * twice as long (and of 2k words or more) already aligns elsewhere, on
 * either side: it contradicts the long run (a phrase of a paragraph
 * that recurs in the paragraph before it in the other text).  Long runs
 * hardly overlap one another on one side, so looking back over a few of
 * them, by start, finds any that covers a shorter run. */
static int unmark_contradicting(const al_pair *c, al_work *wk)
{
    const size_t k = c->k;
    const al_run *runs = wk->runs.a;
    const size_t n = wk->runs.n;
    uint8_t *keep = wk->keep;
    al_run_vec *longr = &wk->longr;
    longr->n = 0;
    for (size_t x = 0; x < n; x++)
        if (runs[x].a1 - runs[x].a0 >= 2 * k && tsr_vec_push(longr, runs[x]))
            return -1;
    for (int side = 0; side < 2 && longr->n; side++) {
        sort_runs(longr->a, longr->n, side);
        for (size_t x = 0; x < n; x++) {
            const al_run *r = &runs[x];
            if (!keep[x]) continue;
            const uint32_t r0 = run_start(r, side), r1 = run_end(r, side);
            size_t lo = 0, hi = longr->n;  /* first long run starting at >= r1 */
            while (lo < hi) {
                size_t m = (lo + hi) / 2;
                if (run_start(&longr->a[m], side) < r1) lo = m + 1; else hi = m;
            }
            for (size_t y = lo, seen = 0; y-- > 0 && seen < 4; seen++) {
                const al_run *g = &longr->a[y];
                const uint32_t g0 = run_start(g, side), g1 = run_end(g, side);
                if (g1 <= r0) continue;
                if ((g->a0 == r->a0 && g->b0 == r->b0) || run_len(g) < 2 * run_len(r))
                    continue;
                uint32_t ov = (g1 < r1 ? g1 : r1) - (g0 > r0 ? g0 : r0);
                if (2 * ov >= r1 - r0) { keep[x] = 0; break; }
            }
        }
    }
    return 0;
}

/* Pruning.  wk->runs, sorted by A, less the runs that are chance: a short
 * run with no neighbour in A on a nearby diagonal ("of the united"),
 * which would otherwise stretch a passage past its true edge, and a
 * short run that contradicts a long one (unmark_contradicting).  A
 * single-word seed needs a close neighbour: rare words are shared by
 * texts on one topic without any reuse. */
int al_prune(const al_pair *c, al_work *wk)
{
    al_run_vec *runs = &wk->runs;
    sort_runs(runs->a, runs->n, 0);
    if (room((void **)&wk->keep, &wk->keepcap, runs->n + 1, 1))
        return -1;
    mark_isolated(c, runs->a, runs->n, wk->keep);
    if (unmark_contradicting(c, wk))
        return -1;
    size_t kept = 0;
    for (size_t x = 0; x < runs->n; x++)
        if (wk->keep[x]) runs->a[kept++] = runs->a[x];
    runs->n = kept;
    return 0;
}

/* ------------------------------------------------------------------------
 * Stage 5: clusters
 * --------------------------------------------------------------------- */

/* Alternating splits of r[cl.lo, cl.hi): *out := its ranges that are
 * close on both sides (sorted by A, a gap of more than `gap` words starts
 * a new range; each range, sorted by B, is split the same way; and so on
 * until a pass over each side in a row splits nothing).  r is reordered so
 * that each range's runs are together; *tmp is scratch. */
static int split_alternating(al_run *r, al_range cl, uint32_t gap, al_range_vec *out,
                             al_range_vec *tmp)
{
    out->n = 0;
    if (tsr_vec_push(out, cl))
        return -1;
    int side = 0, quiet = 0;
    while (quiet < 2) {
        int changed = 0;
        tmp->n = 0;
        for (size_t w = 0; w < out->n; w++) {
            long pieces = split_side(r, out->a[w].lo, out->a[w].hi, side, gap, tmp);
            if (pieces < 0) return -1;
            if (pieces > 1) changed = 1;
        }
        al_range_vec t = *out; *out = *tmp; *tmp = t;
        quiet = changed ? 0 : quiet + 1;
        side = !side;
    }
    return 0;
}

/* Clusters.  wk->work := the ranges of wk->runs (reordered so that each
 * cluster's runs are together) that are close on both sides
 * (split_alternating, over max_gap). */
int al_cluster(const al_pair *c, al_work *wk)
{
    wk->work.n = 0;
    if (wk->runs.n == 0)
        return 0;
    const al_range all = { 0, wk->runs.n };
    return split_alternating(wk->runs.a, all, (uint32_t)c->p->max_gap, &wk->work, &wk->next);
}

/* ------------------------------------------------------------------------
 * Stage 6: refinement of a cluster
 * --------------------------------------------------------------------- */

/* Marks in flag[] (by position) the runs of r[cl.lo, cl.hi), sorted by
 * `side`, that overlap on that side, for half their length or more, a
 * run whose diagonal is more than `gap` words nearer dm.  Runs overlapping
 * on one side start close together in its order, so a few neighbours
 * each way are enough to look at. */
static void mark_doubles(const al_run *r, al_range cl, int side, int64_t dm, int64_t gap,
                         uint8_t *flag)
{
    enum { LOOK = 16 };
    for (size_t x = cl.lo; x < cl.hi; x++) {
        const uint32_t x0 = run_start(&r[x], side), x1 = run_end(&r[x], side);
        const int64_t off = llabs((int64_t)r[x].b0 - r[x].a0 - dm);
        flag[x] = 0;
        if (off <= gap)
            continue;
        const size_t lo = x - cl.lo > LOOK ? x - LOOK : cl.lo;
        const size_t hi = cl.hi - x > LOOK ? x + LOOK : cl.hi;
        for (size_t y = lo; y < hi && !flag[x]; y++) {
            const uint32_t y0 = run_start(&r[y], side), y1 = run_end(&r[y], side);
            const uint32_t o0 = x0 > y0 ? x0 : y0, o1 = x1 < y1 ? x1 : y1;
            if (y == x || o1 <= o0 || 2 * (o1 - o0) < x1 - x0)
                continue;
            flag[x] = llabs((int64_t)r[y].b0 - r[y].a0 - dm) + gap < off;
        }
    }
}

_Static_assert(sizeof(al_dw) >= sizeof(al_run), "part_flagged keeps runs in al_dw room");

/* Moves the flagged runs of r[lo, hi) to its end (in their order); returns
 * where they start. */
static size_t part_flagged(al_run *r, size_t lo, size_t hi, const uint8_t *flag, al_dw *tmp)
{
    al_run *moved = (al_run *)tmp;  /* room for hi - lo runs: al_dw is as big */
    size_t k = lo, m = 0;
    for (size_t x = lo; x < hi; x++) {
        if (flag[x]) moved[m++] = r[x];
        else r[k++] = r[x];
    }
    memcpy(r + k, moved, m * sizeof *r);
    return k;
}

/* Doubles.  Where a phrase occurs twice in one text ("Whoso is simple,
 * let him turn in hither" in verses 4 and 16 of a chapter), its words are
 * mapped twice: once along the cluster's diagonal, once across to the
 * other copy.  A cluster that holds both maps would span from the one to
 * the other and pair text with other text, so the runs that map words
 * which a run nearer the cluster's (weighted median) diagonal, by more
 * than max_gap, maps elsewhere are taken out of it, on A and then on B;
 * al_cluster_passages clusters them on their own (the second copy may be
 * reuse of its own: a sentence said twice). */
size_t al_part_doubles(const al_pair *c, al_run *r, al_range cl, al_dw *tmp, uint8_t *flag)
{
    if (cl.hi - cl.lo < 2)
        return cl.hi;
    double share;
    const int64_t dm = median_diag(r + cl.lo, cl.hi - cl.lo, tmp, 0, &share);
    const int64_t gap = c->p->max_gap;
    size_t mid = cl.hi;
    for (int side = 0; side < 2; side++) {
        const al_range kept = { cl.lo, mid };
        sort_runs(r + kept.lo, kept.hi - kept.lo, side);
        mark_doubles(r, kept, side, dm, gap, flag);
        size_t any = 0;
        for (size_t x = kept.lo; x < kept.hi; x++) any += flag[x];
        if (any)
            mid = part_flagged(r, kept.lo, kept.hi, flag, tmp);
    }
    return mid;
}

/* Trims short runs (under 2k words) whose diagonal is more than tol from
 * dm off the `dir` end of r[cl.lo, cl.hi), leaving at least one run. */
al_range al_trim_edge_end(const al_run *r, al_range cl, int dir, int64_t dm,
                          int64_t tol, size_t k)
{
    while (cl.hi - cl.lo >= 2) {
        const al_run *e = from_end(r, cl, dir, 0);
        if (run_len(e) >= 2 * k || llabs((int64_t)e->b0 - e->a0 - dm) <= tol)
            break;
        if (dir > 0) cl.lo++; else cl.hi--;
    }
    return cl;
}

/* Edge-diagonal trim.  A short run at either end of a cluster whose
 * diagonal is far from the cluster's (weighted median) diagonal is a
 * chance match that would stretch the passage: trimmed, from the ends in
 * A and then in B.  Only where the cluster keeps to one diagonal
 * (verbatim or lightly edited text); reworded text with moved phrases has
 * runs off its diagonal at the edges for real.  `tmp` has room for the
 * cluster's runs; r[cl.lo, cl.hi) is reordered. */
al_range al_trim_edges(const al_pair *c, al_run *r, al_range cl, al_dw *tmp)
{
    if (cl.hi - cl.lo < 2)
        return cl;
    double share = 0;
    const int64_t tol = ALIGN_EDGE_TOL(c->p->max_gap);
    const int64_t dm = median_diag(r + cl.lo, cl.hi - cl.lo, tmp, tol, &share);
    if (!(share >= ALIGN_EDGE_SHARE))
        return cl;
    for (int side = 0; side < 2; side++) {
        sort_runs(r + cl.lo, cl.hi - cl.lo, side);
        cl = al_trim_edge_end(r, cl, +1, dm, tol, c->k);
        cl = al_trim_edge_end(r, cl, -1, dm, tol, c->k);
    }
    return cl;
}

/* Trims the weak fringe off the `dir` end of r[cl.lo, cl.hi), sorted by
 * `side`: of the runs at that end that together hold fewer than 2k
 * words, those outside the innermost gap wider than `thr`.  Leaves at
 * least one run. */
al_range al_trim_fringe_end(const al_run *r, al_range cl, int side, int dir,
                            uint32_t thr, size_t k)
{
    const size_t n = cl.hi - cl.lo;
    size_t cut = 0;
    uint32_t acc = 0;
    for (size_t t = 0; t + 1 < n; t++) {
        const al_run *f = from_end(r, cl, dir, t), *g = from_end(r, cl, dir, t + 1);
        acc += run_len(f);
        if (acc >= 2 * k) break;
        if (apart(f, g, side, dir, thr)) cut = t + 1;
    }
    if (dir > 0) cl.lo += cut; else cl.hi -= cut;
    return cl;
}

/* Weak-fringe trim.  A weak fringe (fewer than 2k seeded words in all)
 * cut off from a cluster with a strong core (a run of
 * ALIGN_FRINGE_CORE(k) words) by a gap wider than three times the
 * cluster's median gap, and than ALIGN_FRINGE_GAP, is chance matches,
 * not the passage: trimmed, from the ends in A and then in B, while
 * three runs or more are left.  (Without a strong core, as in translated
 * text, sparse seeds at the edges are the passage.)  `gaps` has room for
 * the cluster's runs; r[cl.lo, cl.hi) is reordered. */
al_range al_trim_fringes(const al_pair *c, al_run *r, al_range cl, uint32_t *gaps)
{
    uint32_t core = 0;
    for (size_t x = cl.lo; x < cl.hi; x++)
        if (run_len(&r[x]) > core) core = run_len(&r[x]);
    for (int side = 0; side < 2 && cl.hi - cl.lo >= 3 && core >= ALIGN_FRINGE_CORE(c->k); side++) {
        sort_runs(r + cl.lo, cl.hi - cl.lo, side);
        size_t ng = 0;
        for (size_t x = cl.lo; x + 1 < cl.hi; x++) {
            const uint32_t e = run_end(&r[x], side), b = run_start(&r[x + 1], side);
            gaps[ng++] = b > e ? b - e : 0;
        }
        const uint32_t med = median_u32(gaps, ng);
        const uint32_t thr = 3 * med > ALIGN_FRINGE_GAP ? 3 * med : ALIGN_FRINGE_GAP;
        cl = al_trim_fringe_end(r, cl, side, +1, thr, c->k);
        cl = al_trim_fringe_end(r, cl, side, -1, thr, c->k);
    }
    return cl;
}

/* Trims stray single-word seeds off the `dir` end of r[cl.lo, cl.hi),
 * sorted by `side`, leaving at least one run.  The edge run is a stray
 * when it is one word more than ALIGN_RARE_TRIM words from the next run
 * in; or when, with the other single words huddled at the edge, it is
 * more than ALIGN_RARE_FAR words from the first longer run (more than
 * 2 * ALIGN_RARE_TRIM for a huddle of fewer than three). */
al_range al_trim_stray_end(const al_run *r, al_range cl, int side, int dir)
{
    while (cl.hi - cl.lo >= 2) {
        const size_t n = cl.hi - cl.lo;
        const al_run *f = from_end(r, cl, dir, 0);
        if (run_len(f) != 1)
            break;
        size_t huddle = 1;
        while (huddle < n && run_len(from_end(r, cl, dir, huddle)) == 1) huddle++;
        const al_run *g = from_end(r, cl, dir, 1);
        const al_run *longer = huddle < n ? from_end(r, cl, dir, huddle) : NULL;
        if (!(apart(f, g, side, dir, ALIGN_RARE_TRIM) ||
              (longer && apart(f, longer, side, dir, ALIGN_RARE_FAR)) ||
              (longer && huddle < 3 && apart(f, longer, side, dir, 2 * ALIGN_RARE_TRIM))))
            break;
        if (dir > 0) cl.lo++; else cl.hi--;
    }
    return cl;
}

/* Single-word-seed trim.  A single-word seed at either end of a cluster,
 * apart from the rest, is more likely chance than a boundary: trimmed, on
 * both sides, until neither side changes (a trim on one side can expose a
 * stray seed at the edge of the other).  r[cl.lo, cl.hi) is reordered. */
al_range al_trim_strays(al_run *r, al_range cl)
{
    for (size_t before = 0; before != cl.hi - cl.lo;) {
        before = cl.hi - cl.lo;
        for (int side = 0; side < 2; side++) {
            sort_runs(r + cl.lo, cl.hi - cl.lo, side);
            cl = al_trim_stray_end(r, cl, side, +1);
            cl = al_trim_stray_end(r, cl, side, -1);
        }
    }
    return cl;
}

/* Refinement.  The cluster r[cl.lo, cl.hi) less its chance edges: the
 * three trims above, in turn.  Never empty; r[cl.lo, cl.hi) is reordered
 * (the order the runs are left in matters to al_score_cluster, where two
 * runs start at the same place on one side).  `tmp` has room for the
 * cluster's runs. */
al_range al_refine(const al_pair *c, al_run *r, al_range cl, al_dw *tmp)
{
    cl = al_trim_edges(c, r, cl, tmp);
    cl = al_trim_fringes(c, r, cl, (uint32_t *)tmp);
    return al_trim_strays(r, cl);
}

/* ------------------------------------------------------------------------
 * Stage 7: extension and scoring of a cluster
 * --------------------------------------------------------------------- */

/* A cluster's extent, and the runs that make each of its four ends. */
typedef struct {
    uint32_t a0, a1, b0, b1;
    al_run ra0, ra1, rb0, rb1;
} cl_ends;

/* What the seeds of a cluster sorted by A say about it. */
typedef struct {
    uint32_t seeded;          /* words of A covered by runs */
    uint32_t longest;         /* longest run */
    uint32_t uni;             /* single-word runs */
    size_t cut;               /* the run after the widest gap in A (0: none) */
    size_t jump_at;           /* the run after the widest diagonal jump */
    int64_t jump;             /* that jump */
    uint32_t seeded_at_jump;  /* seeded words before it */
    uint32_t hole;            /* the widest gap in A (before run `cut`) */
} cl_stats;

/* Of runs at the same extreme, the first in r's order makes the end. */
static void cluster_ends(const al_run *r, al_range cl, cl_ends *e)
{
    e->a0 = e->b0 = UINT32_MAX;
    e->a1 = e->b1 = 0;
    e->ra0 = e->ra1 = e->rb0 = e->rb1 = r[cl.lo];
    for (size_t x = cl.lo; x < cl.hi; x++) {
        if (r[x].a0 < e->a0) { e->a0 = r[x].a0; e->ra0 = r[x]; }
        if (r[x].a1 > e->a1) { e->a1 = r[x].a1; e->ra1 = r[x]; }
        if (r[x].b0 < e->b0) { e->b0 = r[x].b0; e->rb0 = r[x]; }
        if (r[x].b1 > e->b1) { e->b1 = r[x].b1; e->rb1 = r[x]; }
    }
}

/* r[cl.lo, cl.hi) sorted by A. */
static void cluster_stats(const al_run *r, al_range cl, cl_stats *s)
{
    memset(s, 0, sizeof *s);
    uint32_t reach = 0, widest = 0;
    for (size_t x = cl.lo; x < cl.hi; x++) {
        if (x > cl.lo && r[x].a0 > reach && r[x].a0 - reach >= widest) {
            widest = r[x].a0 - reach;
            s->cut = x;
            s->hole = widest;
        }
        if (x > cl.lo) {
            /* a jump of the diagonal: B went far back or ahead */
            int64_t dd = ((int64_t)r[x].b0 - r[x].a0) - ((int64_t)r[x - 1].b0 - r[x - 1].a0);
            if (dd < 0) dd = -dd;
            if (dd > s->jump) { s->jump = dd; s->jump_at = x; s->seeded_at_jump = s->seeded; }
        }
        const uint32_t st = r[x].a0 > reach ? r[x].a0 : reach;
        if (r[x].a1 > st) s->seeded += r[x].a1 - st;
        if (r[x].a1 > reach) reach = r[x].a1;
        if (run_len(&r[x]) > s->longest) s->longest = run_len(&r[x]);
        s->uni += run_len(&r[x]) == 1;
    }
}

/* Extends the `dir` end of a cluster (the low ends for -1, the high ends
 * for +1) from the runs that make it: extension starts from a real
 * alignment point, never from a corner made of two different runs (which
 * would align unrelated words).  *a and *b move by the words added. */
static void extend_end(const al_pair *c, const al_run *ra, const al_run *rb, int dir,
                       uint32_t *a, uint32_t *b)
{
    const uint32_t an = (uint32_t)c->an, bn = (uint32_t)c->bn;
    uint32_t da, db;
    if (dir < 0) {
        al_extend(c->A, c->B, ra->a0, ra->b0, -1, 0, an, 0, bn, &da, &db);
        *a -= da;
        if (rb->a0 != ra->a0 || rb->b0 != ra->b0)
            al_extend(c->A, c->B, rb->a0, rb->b0, -1, 0, an, 0, bn, &da, &db);
        *b -= db;
    } else {
        al_extend(c->A, c->B, ra->a1, ra->b1, +1, 0, an, 0, bn, &da, &db);
        *a += da;
        if (rb->a1 != ra->a1 || rb->b1 != ra->b1)
            al_extend(c->A, c->B, rb->a1, rb->b1, +1, 0, an, 0, bn, &da, &db);
        *b += db;
    }
}

/* Whether A[a0, a1), a stretch of A between seeds, is text that B[b0, b1)
 * does not hold: fewer than ALIGN_FOREIGN of its words are found there
 * (as a bag).  Reworded text (words shuffled, replaced, inserted) keeps
 * most of its words; a sentence of another source keeps only a few
 * function words. */
static int foreign(const al_pair *c, al_work *wk, uint32_t a0, uint32_t a1, uint32_t b0,
                   uint32_t b1)
{
    const uint32_t m = al_bag_matches(wk, c->A, a0, a1, c->B, b0, b1);
    return (double)m < ALIGN_FOREIGN * (double)(a1 - a0);
}

/* Extension and scoring.  Of the refined cluster r[cl.lo, cl.hi) of
 * wk->runs (reordered: sorted by A on return):
 * - AL_SPLIT at *at where the diagonal jumps by more than max_gap, when
 *   the cluster holds two copies of the same text (its spans in A and B
 *   differ by half) or two stretches, each of min_words seeded words,
 *   whose order differs in the two texts (paragraphs moved), or by more
 *   than ALIGN_MOVE_JUMP between two such stretches of a clean copy
 *   (a sentence moved): each half is a passage of its own;
 * - AL_SPLIT at its widest gap in A when that gap is text the source
 *   span does not hold (foreign: more than ALIGN_HOLE words, few found
 *   in B);
 * - AL_DROP when it has too few seeded words or no run longer than a
 *   chance phrase (and few rare words), or, extended at its four ends by
 *   al_extend (and in self mode cut short of its copy), is shorter than
 *   min_words on a side (than c->brief_words with AL_BRIEF: between the
 *   two, a passage marked brief);
 * - AL_SPLIT at its widest gap in A (AL_DROP without one) when it is too
 *   dissimilar (the shorter, the more similar it must be), so that a
 *   stretch of unrelated text inside it cannot sink the real passages on
 *   either side;
 * - else AL_PASSAGE, *ps.
 * Needs the bag table (al_bag_reserve). */
int al_score_cluster(const al_pair *c, al_work *wk, al_range cl, al_passage *ps,
                     size_t *at)
{
    const tsr_params *p = c->p;
    const uint32_t min_words = c->min_words;
    al_run *r = wk->runs.a;
    cl_ends e;
    cl_stats s;
    cluster_ends(r, cl, &e);
    sort_runs(r + cl.lo, cl.hi - cl.lo, 0);
    cluster_stats(r, cl, &s);
    const uint32_t span_a = e.a1 - e.a0, span_b = e.b1 - e.b0;
    const int moved = s.seeded_at_jump >= min_words && s.seeded - s.seeded_at_jump >= min_words;
    if ((s.jump > p->max_gap && (moved || 2 * span_a > 3 * span_b || 2 * span_b > 3 * span_a)) ||
        (s.jump > ALIGN_MOVE_JUMP && moved && (double)s.seeded >= ALIGN_MOVE_DENSE * span_a)) {
        *at = s.jump_at;
        return AL_SPLIT;
    }
    /* a stretch of A that B lacks (a sentence of another source between
     * two of this one's) is not part of the passage: the halves are
     * scored apart */
    if (!c->self && s.hole > ALIGN_HOLE &&
        foreign(c, wk, r[s.cut].a0 - s.hole, r[s.cut].a0, e.b0, e.b1)) {
        *at = s.cut;
        return AL_SPLIT;
    }
    /* cheap pre-filters before extension */
    if (s.seeded * 4 < min_words || (s.longest < ALIGN_MIN_RUN(c->k) && s.uni < ALIGN_RARE_MIN))
        return AL_DROP;
    extend_end(c, &e.ra0, &e.rb0, -1, &e.a0, &e.b0);
    extend_end(c, &e.ra1, &e.rb1, +1, &e.a1, &e.b1);
    if (c->self && e.a1 > e.b0) {  /* a repeat must end before its copy */
        if (e.b0 <= e.a0) return AL_DROP;
        e.a1 = e.b0;
    }
    const uint32_t an = e.a1 - e.a0, bnw = e.b1 - e.b0;
    const int brief = an < min_words || bnw < min_words;
    if (brief && (!c->brief_words || an < c->brief_words || bnw < c->brief_words))
        return AL_DROP;
    ps->a_lo = e.a0; ps->a_hi = e.a1; ps->b_lo = e.b0; ps->b_hi = e.b1;
    ps->seeded = s.seeded;
    ps->evalue = 0.0;
    ps->kind = 0;   /* aligned: al_kind tells verbatim from edited */
    ps->brief = brief;
    ps->matches = al_bag_matches(wk, c->A, e.a0, e.a1, c->B, e.b0, e.b1);
    ps->similarity = 2.0 * ps->matches / (double)(an + bnw);
    /* short passages must be more similar: two sentences that share a
     * formula ("for the fourth quarter ... a year earlier") reach half
     * their words in common by chance */
    const uint32_t shorter = an < bnw ? an : bnw;
    const double need = p->min_similarity +
        (shorter < 2 * min_words
             ? ALIGN_SHORT_SIM * (double)(2 * min_words - shorter) / (double)min_words : 0.0);
    if (ps->similarity < need &&
        !(s.uni >= ALIGN_RARE_MIN && ps->similarity >= ALIGN_RARE_SIM * need)) {
        *at = s.cut;
        return s.cut > cl.lo ? AL_SPLIT : AL_DROP;
    }
    return AL_PASSAGE;
}

/* Stages 6 and 7 over a stack of clusters.  wk->cand := the passages of
 * the clusters of wk->work (al_cluster), each refined (al_refine) and
 * scored (al_score_cluster), wk->brief := the brief ones; the halves of a
 * split cluster go back on the stack (wk->next) and are refined and
 * scored in turn.  Sizes the bag table for B. */
int al_cluster_passages(const al_pair *c, al_work *wk)
{
    al_range_vec *stack = &wk->next;
    wk->cand.n = 0;
    wk->brief.n = 0;
    if (al_bag_reserve(wk, c->bn) ||
        room((void **)&wk->diag_tmp, &wk->dtcap, wk->runs.n + 1, sizeof *wk->diag_tmp) ||
        room((void **)&wk->keep, &wk->keepcap, wk->runs.n + 1, 1))
        return -1;
    stack->n = 0;
    for (size_t w = 0; w < wk->work.n; w++)
        if (tsr_vec_push(stack, wk->work.a[w])) return -1;
    while (stack->n) {
        const al_range top = stack->a[--stack->n];
        const size_t mid = c->self ? top.hi
                                   : al_part_doubles(c, wk->runs.a, top, wk->diag_tmp, wk->keep);
        if (mid > top.lo && mid < top.hi) {
            const al_range kept = { top.lo, mid }, doubles = { mid, top.hi };
            if (tsr_vec_push(stack, kept) ||
                split_alternating(wk->runs.a, doubles, (uint32_t)c->p->max_gap, &wk->work,
                                  &wk->spare))
                return -1;
            for (size_t w = 0; w < wk->work.n; w++)
                if (tsr_vec_push(stack, wk->work.a[w])) return -1;
            continue;
        }
        const al_range cl = al_refine(c, wk->runs.a, top, wk->diag_tmp);
        al_passage ps;
        size_t at = 0;
        switch (al_score_cluster(c, wk, cl, &ps, &at)) {
        case AL_SPLIT: {
            const al_range lo = { cl.lo, at }, hi = { at, cl.hi };
            if (tsr_vec_push(stack, lo) || tsr_vec_push(stack, hi)) return -1;
            break;
        }
        case AL_PASSAGE:
            if (tsr_vec_push(ps.brief ? &wk->brief : &wk->cand, ps)) return -1;
            break;
        default:
            break;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Stages 8 and 9: overlaps, granularity
 * --------------------------------------------------------------------- */

/* Whether passage c covers mostly words that the stronger passage s
 * already covers: over half of c's A span, or over half of its B span
 * while overlapping s in A too (the same B words claimed twice). */
static int overlapped(const al_passage *c, const al_passage *s)
{
    const uint32_t alo = c->a_lo > s->a_lo ? c->a_lo : s->a_lo;
    const uint32_t ahi = c->a_hi < s->a_hi ? c->a_hi : s->a_hi;
    if (ahi > alo && (ahi - alo) * 2 > c->a_hi - c->a_lo)
        return 1;
    const uint32_t blo = c->b_lo > s->b_lo ? c->b_lo : s->b_lo;
    const uint32_t bhi = c->b_hi < s->b_hi ? c->b_hi : s->b_hi;
    return bhi > blo && (bhi - blo) * 2 > c->b_hi - c->b_lo && ahi > alo;
}

/* Overlap resolution.  *cand less each passage that covers mostly the
 * same words as a stronger one (more matches; of equal ones, the one
 * starting first in A), then sorted by A. */
void al_resolve_overlaps(al_passages *cand)
{
    if (cand->n < 2)
        return;
    tsr_sort(cand->a, cand->n, sizeof *cand->a, pass_cmp_strength);
    size_t kept = 0;
    for (size_t x = 0; x < cand->n; x++) {
        int drop = 0;
        for (size_t y = 0; y < kept && !drop; y++)
            drop = overlapped(&cand->a[x], &cand->a[y]);
        if (!drop) cand->a[kept++] = cand->a[x];
    }
    cand->n = kept;
    tsr_sort(cand->a, cand->n, sizeof *cand->a, pass_cmp_a);
}

/* c and d as one passage if that is a summary: pieces close together in
 * A drawn, in order, from a long stretch of B, and most words of the
 * merged A found in the merged B (containment, not similarity). */
static int merge_summary(const al_pair *c, al_work *wk, al_passage *m,
                         const al_passage *d)
{
    if (d->a_hi > m->a_hi) m->a_hi = d->a_hi;
    if (d->b_hi > m->b_hi) m->b_hi = d->b_hi;
    m->seeded += d->seeded;
    m->matches = al_bag_matches(wk, c->A, m->a_lo, m->a_hi, c->B, m->b_lo, m->b_hi);
    const uint32_t an = m->a_hi - m->a_lo, bnw = m->b_hi - m->b_lo;
    if (bnw >= ALIGN_SUM_RATIO * an && m->matches >= ALIGN_SUM_CONTAIN * an) {
        m->similarity = 2.0 * m->matches / (double)(an + bnw);
        return 1;
    }
    return 0;
}

/* c and d as one passage if, taken together, they are still similar
 * enough. */
static int merge_similar(const al_pair *c, al_work *wk, al_passage *m,
                         const al_passage *d)
{
    /* not across a stretch of A that the source does not hold */
    if (d->a_lo > m->a_hi + ALIGN_HOLE &&
        foreign(c, wk, m->a_hi, d->a_lo, m->b_lo < d->b_lo ? m->b_lo : d->b_lo,
                m->b_hi > d->b_hi ? m->b_hi : d->b_hi))
        return 0;
    if (d->a_hi > m->a_hi) m->a_hi = d->a_hi;
    if (d->b_lo < m->b_lo) m->b_lo = d->b_lo;
    if (d->b_hi > m->b_hi) m->b_hi = d->b_hi;
    m->seeded += d->seeded;
    m->matches = al_bag_matches(wk, c->A, m->a_lo, m->a_hi, c->B, m->b_lo, m->b_hi);
    m->similarity = 2.0 * m->matches / (double)(m->a_hi - m->a_lo + m->b_hi - m->b_lo);
    return m->similarity >= ALIGN_MERGE_SIM * c->p->min_similarity;
}

/* Whether B[b0, b1), the gap in B between two neighbouring passages, is
 * mostly the B span of another passage than cand[x] (text moved there
 * from elsewhere in A, not text that A left out). */
static int b_gap_claimed(const al_passages *cand, size_t x, uint32_t b0, uint32_t b1)
{
    uint32_t most = 0;
    for (size_t y = 0; y < cand->n && b1 > b0; y++) {
        if (y == x) continue;
        const uint32_t lo = cand->a[y].b_lo > b0 ? cand->a[y].b_lo : b0;
        const uint32_t hi = cand->a[y].b_hi < b1 ? cand->a[y].b_hi : b1;
        if (hi > lo && hi - lo > most) most = hi - lo;
    }
    return b1 > b0 && 2 * most >= b1 - b0;
}

/* Granularity.  wk->cand (sorted by A, no overlaps) with neighbours that
 * were split apart (a dissimilar stretch, a jump) merged when, taken
 * together, they are still one passage: one reuse reported as one
 * passage.  A passage's two spans must hold the same text (up to its
 * edits), so: neighbours merge in the same order on both sides (d's
 * middle in B after c's) within the usual gap when the gap in A is not a
 * stretch B lacks (ALIGN_INDEL; B spans that overlap: foreign) and the
 * gap in B is not text moved
 * elsewhere (b_gap_claimed), or as a summary (merge_summary); in swapped
 * order only when both are rewritten text (ALIGN_MOVE_SIM) close on both
 * sides (ALIGN_SWAP_GAP), so that a paragraph or sentence moved stays a
 * passage of its own.  Needs the bag table. */
void al_merge_neighbours(const al_pair *c, al_work *wk)
{
    al_passages *cand = &wk->cand;
    if (cand->n < 2)
        return;
    const uint32_t gap = (uint32_t)c->p->max_gap;
    size_t w = 0;
    for (size_t x = 1; x < cand->n; x++) {
        al_passage *cw = &cand->a[w];
        const al_passage *d = &cand->a[x];
        const int inorder = d->b_lo + d->b_hi > cw->b_lo + cw->b_hi;
        const uint32_t bgap = inorder ? (d->b_lo >= cw->b_hi ? d->b_lo - cw->b_hi : 0)
                                      : (cw->b_lo >= d->b_hi ? cw->b_lo - d->b_hi : 0);
        const uint32_t agap = d->a_lo >= cw->a_hi ? d->a_lo - cw->a_hi : 0;
        const uint32_t lim = inorder ? gap : ALIGN_SWAP_GAP;
        al_passage m = *cw;
        if (inorder && agap <= ALIGN_SUM_AGAP && bgap > lim && bgap <= ALIGN_SUM_BGAP_F * gap &&
            !b_gap_claimed(cand, x, cw->b_hi, d->b_lo) && merge_summary(c, wk, &m, d)) {
            *cw = m;
            continue;
        }
        m = *cw;
        const int rewritten = cw->similarity < ALIGN_MOVE_SIM && d->similarity < ALIGN_MOVE_SIM;
        const int bover = inorder && d->b_lo < cw->b_hi;   /* no gap in B at all */
        const int ok = inorder ? (agap <= bgap + ALIGN_INDEL || bover) &&
                                 !(bgap > agap + ALIGN_INDEL && b_gap_claimed(cand, x, cw->b_hi, d->b_lo))
                               : rewritten;
        if (agap <= lim && bgap <= lim && ok && merge_similar(c, wk, &m, d)) {
            *cw = m;
            continue;
        }
        cand->a[++w] = *d;
    }
    cand->n = w + 1;
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

/* Stage 10 (AL_BRIEF), called for a pair with no other passage: wk->cand
 * += the brief passages of wk->brief, the stronger of two that cover
 * mostly the same words (al_resolve_overlaps) and none that shares a word
 * with one taken before it, in either text; sorted by A.  0, or -1 when
 * out of memory. */
int al_add_brief(al_work *wk)
{
    al_resolve_overlaps(&wk->brief);
    const size_t n0 = wk->cand.n;
    for (size_t x = 0; x < wk->brief.n; x++) {
        const al_passage *b = &wk->brief.a[x];
        int apart = 1;
        for (size_t y = 0; y < wk->cand.n && apart; y++) {
            const al_passage *q = &wk->cand.a[y];
            apart = (b->a_hi <= q->a_lo || q->a_hi <= b->a_lo) &&
                    (b->b_hi <= q->b_lo || q->b_hi <= b->b_lo);
        }
        if (apart && tsr_vec_push(&wk->cand, *b))
            return -1;
    }
    if (wk->cand.n > n0)
        tsr_sort(wk->cand.a, wk->cand.n, sizeof *wk->cand.a, pass_cmp_a);
    return 0;
}

/* The stages in turn; 0, or -1 when out of memory. */
static int align_stages(const al_pair *c, al_work *wk, al_passages *out)
{
    if (al_seeds(c, wk) || al_runs(c, wk) || al_rare_seeds(c, wk) || al_prune(c, wk))
        return -1;
    if (wk->runs.n == 0)
        return 0;
    if (al_cluster(c, wk) || al_cluster_passages(c, wk))
        return -1;
    al_resolve_overlaps(&wk->cand);
    if (!c->self)
        al_merge_neighbours(c, wk);
    if (wk->brief.n && !wk->cand.n && al_add_brief(wk))
        return -1;
    if (tsr_vec_reserve(out, wk->cand.n))
        return -1;
    for (size_t x = 0; x < wk->cand.n; x++)
        out->a[out->n++] = wk->cand.a[x];
    return 0;
}

int al_kind(const al_passage *p, const tsr_word *A, const tsr_word *B)
{
    if (p->kind == TSR_KIND_PARAPHRASE || p->kind == TSR_KIND_SUMMARY) return p->kind;
    const uint32_t n = p->a_hi - p->a_lo;
    if (n != p->b_hi - p->b_lo) return TSR_KIND_EDITED;
    for (uint32_t i = 0; i < n; i++)
        if (A[p->a_lo + i].hash != B[p->b_lo + i].hash) return TSR_KIND_EDITED;
    return TSR_KIND_VERBATIM;
}

int al_merge_passages(const tsr_word *A, size_t an, const tsr_word *B, size_t bn,
                      const tsr_params *p, al_work *wk, al_passages *ps)
{
    if (ps->n < 2)
        return 0;
    const al_pair c = { .A = A, .an = an, .B = B, .bn = bn, .p = p,
                        .min_words = (uint32_t)p->min_words };
    if (al_bag_reserve(wk, bn))
        return -1;
    al_passages t = wk->cand;   /* the merges work in wk->cand */
    wk->cand = *ps;
    *ps = t;
    tsr_sort(wk->cand.a, wk->cand.n, sizeof *wk->cand.a, pass_cmp_a);
    al_merge_neighbours(&c, wk);
    t = wk->cand;
    wk->cand = *ps;
    *ps = t;
    return 0;
}

int al_align(const al_query *q, const tsr_word *B, size_t bn,
             const tsr_params *p, int mode, al_work *wk, al_passages *out,
             tsr_error *err)
{
    if (q->ng == 0 || bn < (size_t)q->k)
        return TSR_OK;
    al_work *own = NULL;
    if (!wk && !(wk = own = al_work_new()))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory aligning");
    al_pair c;
    al_pair_init(&c, q, B, bn, p, mode);
    int rc = TSR_OK;
    if (align_stages(&c, wk, out))
        rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory aligning");
    al_work_free(own);
    return rc;
}
