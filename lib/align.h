/*
 * align.h - word alignment between a query text and other texts.  Shared
 * by tsr_align (one pair) and check.c (a text against index candidates);
 * its scoring of passages also by the sentence stage (paraphrase.c).
 * Not API.
 */
#ifndef TSR_ALIGN_H
#define TSR_ALIGN_H
#include "common/common.h"

/* A passage in word coordinates: A[a_lo, a_hi) aligned with B[b_lo, b_hi). */
typedef struct al_passage {
    uint32_t a_lo, a_hi, b_lo, b_hi;
    uint32_t matches;     /* words of A matched in B (bag of words) */
    uint32_t seeded;      /* words of A covered by exact seeds */
    double similarity;
    double evalue;        /* set by sg_filter (signif.h); 0 until then */
    int kind;             /* TSR_KIND_PARAPHRASE from the sentence stage, else 0
                           * (aligned: al_kind tells verbatim from edited) */
    int brief;            /* shorter than min_words (AL_BRIEF): to be reported
                           * only on a far stronger E-value (signif.c, sg_cut) */
} al_passage;

/* The kind of passage p of A ~ B: the sentence stage's, else verbatim when
 * its two spans hold the same words in the same order, else edited. */
int al_kind(const al_passage *p, const tsr_word *A, const tsr_word *B);

typedef TSR_VEC(al_passage) al_passages;

/* The query side, prepared once and aligned against many texts.  Read
 * only after al_query_init: one query may be shared by threads. */
typedef struct al_query {
    const tsr_word *w;
    size_t n;
    int k;                /* seed length in words */
    size_t ng;            /* number of seed grams: n - k + 1, or 0 */
    uint64_t *g;          /* seed-gram hashes */
    uint32_t *head;       /* hash table: slot -> first gram position + 1 */
    uint32_t *next;       /* gram position -> next position + 1 with same slot */
    uint32_t mask;
    uint64_t *filter;     /* bit (g[i] >> 32) & fmask set for each gram */
    uint32_t fmask;
    uint8_t *rare;        /* rare[i]: word i is long and occurs (almost) once */
    uint64_t *rkey;       /* the rare words: hash | 1 (0 = empty slot), */
    uint32_t *rpos;       /* and position; rmask + 1 slots */
    uint32_t rmask;
    uint64_t *rfilter;    /* bit ((hash | 1) >> 32) & rfmask set for each */
    uint32_t rfmask;
    int no_rare;          /* set by the caller: no rare words made, no rare-word
                           * seeds (dedup's aligned measure); kept by
                           * al_query_reset, cleared by al_query_init */
    /* the arrays' room, kept from one query to the next (al_query_reset),
     * with the counting table of the rare words */
    size_t gcap, hcap, rarecap, rcap, tcap, tpcap, fcap, rfcap;
    uint64_t *tkey;
    uint8_t *tcnt;
    uint32_t *tpos, *tslot;   /* the long words' positions, their slots */
} al_query;

/* Prepare text w[0, n) as the query A.  al_query_init starts from nothing;
 * al_query_reset reuses the room of the query q held before (q zeroed, or
 * prepared before): one query after another, discovery's a sides, without
 * their arrays coming back as fresh pages each time. */
int al_query_init(al_query *q, const tsr_word *w, size_t n, const tsr_params *p,
                  tsr_error *err);
int al_query_reset(al_query *q, const tsr_word *w, size_t n, const tsr_params *p,
                   tsr_error *err);
void al_query_free(al_query *q);

/* Scratch memory for al_align, reused across calls (one per thread). */
typedef struct al_work al_work;
al_work *al_work_new(void);  /* NULL when out of memory */
void al_work_free(al_work *w);

/* Two thirds of min_words m, but at least 8 words (or m, when that is
 * smaller): the shortest repeat inside one text, and the shortest brief
 * passage. */
#define AL_BRIEF_WORDS(m) ((uint32_t)((m) * 2 / 3 > 8 ? (m) * 2 / 3 : ((m) < 8 ? (m) : 8)))

/* A passage less similar than this is rewritten text, where a swap of
 * phrases or sentences is one of the edits (the aligner's merges of
 * neighbours in swapped order, align.c; the sentence stage's extension
 * across a passage's ends, paraphrase.c, step 7b); above it, text in
 * another order is moved text, each block a passage of its own. */
#define AL_REWRITTEN_SIM 0.97

/* al_align's modes (bits). */
#define AL_SELF 1    /* B is the query itself: repeats inside one text */
#define AL_BRIEF 2   /* also brief passages (al_passage.brief) */

/* Align the query against words B[0, bn); append passages to `out`
 * (sorted by a_lo).  With AL_SELF in `mode`, B is the query itself and
 * only later copies of earlier text are reported (repeats).  With
 * AL_BRIEF, a passage that is shorter than min_words but at least
 * AL_BRIEF_WORDS(min_words) long on both sides, and passes every other
 * test, comes too, marked brief, when the pair has no other passage: for
 * callers that judge passages against a corpus (check, discovery), whose
 * E-value cut takes a brief passage only when it is far stronger than the
 * cut (signif.c, sg_cut).  `w` may be NULL (a workspace for this call
 * only). */
int al_align(const al_query *q, const tsr_word *b, size_t bn,
             const tsr_params *p, int mode, al_work *w, al_passages *out,
             tsr_error *err);

/* How passages are scored, by the aligner and by the sentence stage
 * (paraphrase.c): the number of words A[a0, a1) and B[b0, b1) share, as
 * multisets (a word counts as often as it stands in both spans), counted
 * in the workspace's bag table, which al_bag_reserve first sizes for
 * spans of B[0, bn): 0, or -1 when out of memory.  Words are told apart
 * by their hash (tsr_word.hash, its lowest bit aside). */
int al_bag_reserve(al_work *wk, size_t bn);

/* Stage 9 of al_align (granularity) run again over *ps, passages of A ~ B
 * that the sentence stage (paraphrase.c) added to or extended: neighbours
 * that extension brought together merge as the aligner's own do, under
 * the same rules (same order on both sides, no stretch one side lacks, no
 * text moved between them; paraphrase.c, step 9).  *ps is sorted by A and
 * must hold no overlaps.  0, or -1 when out of memory (*ps unchanged). */
int al_merge_passages(const tsr_word *A, size_t an, const tsr_word *B, size_t bn,
                      const tsr_params *p, al_work *wk, al_passages *ps);
uint32_t al_bag_matches(al_work *wk, const tsr_word *A, uint32_t a0, uint32_t a1,
                        const tsr_word *B, uint32_t b0, uint32_t b1);
#endif
