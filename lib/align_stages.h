/*
 * align_stages.h - the stages of al_align (lib/align.c), one function
 * each, and the types they hand on.  Internal: for align.c and its unit
 * tests (tests/unit/test_align_stages.c).  Not API, and not included by
 * tessera.h.
 *
 * Each declaration says what a stage reads and writes; the full contract
 * is above the definition in align.c, and the essay at the top of align.c
 * says how the stages fit together.  Stages work on the workspace
 * (struct al_work) in place: one stage's output vector is the next one's
 * input, and none is copied.  Those that allocate return 0, or -1 when
 * out of memory (al_align turns that into TSR_ERR_NOMEM).
 */
#ifndef TSR_ALIGN_STAGES_H
#define TSR_ALIGN_STAGES_H
#include "align.h"

/* ------------------------------------------------------------------------
 * Types
 * --------------------------------------------------------------------- */

/* A seed hit: A[i, i+k) == B[j, j+k) for the seed length k. */
typedef struct { uint32_t i, j; } al_hit;
/* An exact run, A[a0, a1) == B[b0, b1) (half open, equal lengths).  A
 * rare-word seed is a run of one word. */
typedef struct { uint32_t a0, a1, b0, b1; } al_run;
/* A cluster: the runs [lo, hi) of the workspace's run list. */
typedef struct { size_t lo, hi; } al_range;
/* A diagonal b0 - a0 and its weight (a run's length). */
typedef struct { int64_t d; uint32_t w; } al_dw;

typedef TSR_VEC(al_hit) al_hit_vec;
typedef TSR_VEC(al_run) al_run_vec;
typedef TSR_VEC(al_range) al_range_vec;

/* Scratch memory of al_align, kept from one call to the next so that a
 * query aligned with many texts allocates and clears nothing per text.
 * Hash tables are left empty by the call that used them. */
struct al_work {
    al_hit_vec hits;      /* al_seeds -> al_runs */
    al_hit_vec hits2;     /* al_runs: the hits sorted by diagonal */
    al_run_vec runs;      /* al_runs, al_rare_seeds, al_prune -> al_cluster */
    al_run_vec longr;     /* al_prune: the long runs */
    al_range_vec work;    /* al_cluster -> al_cluster_passages: the clusters */
    al_range_vec next;    /* al_cluster: next round; al_cluster_passages: stack */
    al_range_vec spare;   /* al_cluster_passages: re-clustering a cluster's doubles */
    al_passages cand;     /* al_cluster_passages -> overlaps, merges, output */
    al_passages brief;    /* al_cluster_passages -> al_add_brief: brief passages */
    uint32_t *dcount;     /* counting sort of hits by diagonal (al_runs) */
    size_t dcap;
    uint8_t *keep;        /* runs kept (al_prune) */
    uint8_t *nrare;       /* rare-word pairs per query position (al_rare_seeds) */
    size_t keepcap, nrarecap;
    al_dw *diag_tmp;      /* room for runs.n + 1 (al_cluster_passages) */
    size_t dtcap;
    al_hit_vec rpairs;    /* rare-word seeds (al_rare_seeds) */
    /* the bag table of al_bag_matches: keys/cnt/used, `bslots` slots */
    uint64_t *keys;
    uint32_t *cnt, *used, bslots;
};

/* One alignment: the query A (q->w[0, q->n)) against B[0, bn), and what
 * every stage reads of the parameters. */
typedef struct al_pair {
    const al_query *q;
    const tsr_word *A, *B;
    size_t an, bn;
    const tsr_params *p;
    int self;             /* B is A: repeats inside one text */
    size_t k;             /* seed length, q->k */
    uint32_t min_words;   /* p->min_words, or the shorter one of repeats */
    uint32_t brief_words; /* AL_BRIEF: the shortest brief passage; else 0 */
} al_pair;

/* What al_score_cluster makes of a cluster. */
enum { AL_DROP, AL_PASSAGE, AL_SPLIT };

/* The slots of a table for `want` entries: the least power of two >=
 * want, at least lo, at most 2^31 (the query's tables, al_query_reset). */
uint32_t al_pow2_slots(uint64_t want, uint32_t lo);

/* ------------------------------------------------------------------------
 * Stages, in the order al_align runs them
 * --------------------------------------------------------------------- */

void al_pair_init(al_pair *c, const al_query *q, const tsr_word *B, size_t bn,
                  const tsr_params *p, int mode);

int al_seeds(const al_pair *c, al_work *wk);       /* -> wk->hits */
int al_runs(const al_pair *c, al_work *wk);        /* wk->hits -> wk->runs */
int al_rare_seeds(const al_pair *c, al_work *wk);  /* wk->runs += single words */
int al_prune(const al_pair *c, al_work *wk);       /* wk->runs, fewer */
int al_cluster(const al_pair *c, al_work *wk);     /* wk->runs -> wk->work */
/* wk->work -> wk->cand: al_refine and al_score_cluster on each cluster */
int al_cluster_passages(const al_pair *c, al_work *wk);
void al_resolve_overlaps(al_passages *cand);
void al_merge_neighbours(const al_pair *c, al_work *wk);  /* granularity */
int al_add_brief(al_work *wk);      /* AL_BRIEF, wk->cand empty: += wk->brief */

/* The runs of r[cl.lo, cl.hi) that map words a run nearer the cluster's
 * diagonal maps elsewhere, moved to its end: returns where they start
 * (cl.hi: none).  `tmp` has room for the cluster's runs; `flag` for
 * cl.hi entries. */
size_t al_part_doubles(const al_pair *c, al_run *r, al_range cl, al_dw *tmp, uint8_t *flag);

/* Refinement of one cluster: trims that return the narrowed range. */
al_range al_refine(const al_pair *c, al_run *r, al_range cl, al_dw *tmp);
al_range al_trim_edges(const al_pair *c, al_run *r, al_range cl, al_dw *tmp);
al_range al_trim_fringes(const al_pair *c, al_run *r, al_range cl, uint32_t *gaps);
al_range al_trim_strays(al_run *r, al_range cl);
/* One end of a cluster sorted by `side` (0 = A, 1 = B): the low end for
 * dir = +1, the high end for dir = -1. */
al_range al_trim_edge_end(const al_run *r, al_range cl, int dir, int64_t dm,
                          int64_t tol, size_t k);
al_range al_trim_fringe_end(const al_run *r, al_range cl, int side, int dir,
                            uint32_t thr, size_t k);
al_range al_trim_stray_end(const al_run *r, al_range cl, int side, int dir);

/* Extension and scoring of one cluster: AL_DROP, AL_PASSAGE (*ps) or
 * AL_SPLIT (into [cl.lo, *at) and [*at, cl.hi)). */
int al_score_cluster(const al_pair *c, al_work *wk, al_range cl, al_passage *ps,
                     size_t *at);
void al_extend(const tsr_word *A, const tsr_word *B, uint32_t a, uint32_t b,
               int dir, uint32_t alim0, uint32_t alim1, uint32_t blim0,
               uint32_t blim1, uint32_t *da, uint32_t *db);

/* The bag table (al_bag_reserve, al_bag_matches: align.h):
 * al_cluster_passages sizes it, al_score_cluster and al_merge_neighbours
 * need it. */
#endif
