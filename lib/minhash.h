/* minhash.h - what dedup.c, dedup_index.c and the unit tests share with
 * minhash.c and dedup_verify.c.  Not API. */
#ifndef TSR_MINHASH_H
#define TSR_MINHASH_H
#include "common/common.h"

/* One-permutation MinHash of a set given as 64-bit element hashes
 * (duplicates allowed): `perm` 16-bit values into sig.  Returns 0 when the
 * set is empty (sig is then all 0xFFFF), else 1. */
int mh_signature(const uint64_t *h, size_t n, int perm, uint16_t *sig);

/* The shingle hashes of a word sequence: word `shingle`-grams; a text of
 * fewer words (but at least one) is one shingle of all its words.  *out is
 * malloc'ed (NULL when n is 0). */
int mh_shingles(const tsr_word *w, size_t n, int shingle, uint64_t **out,
                size_t *nout, tsr_error *err);

/* Hash of band `band` (rows [band*rows, band*rows+rows)) of a signature. */
uint64_t mh_band_hash(const uint16_t *sig, int band, int rows);

/* ---- compact forms (minhash.c) and the measures on them (dedup_verify.c) ----
 *
 * A compact form (tsr_dedup_prepare) starts with DV_PACK_HEAD bytes: three
 * uint32_t (native order: it never leaves the process), the word count n,
 * the 3-gram count g and the figure count f.  A word's value is the top 16
 * bits of its hash (bits 63..48 of tsr_word.hash).  A figure is a number as
 * written: a run of words that start or end with an ASCII digit, joined by
 * one of . , / - : ("1.5", "6-3/8", "51,000", "MAY7"), its value 16 bits
 * of a hash of its words.
 *   aligned:      g = 0, then the n word values, in order, then the f
 *                 figure values, ascending, repeats kept;
 *   containment:  g uint32_t hashes (mh_gram3) of the distinct word
 *                 3-grams, ascending, then the f figure values, as above.
 * A text shorter than 3 words has one "3-gram" of all its words. */
#define DV_PACK_HEAD 12

/* The compact form for `measure` of the words w[0, n) of `text` into
 * pack (room: tsr_dedup_pack_bound; any alignment); TSR_OK or
 * TSR_ERR_NOMEM. */
int mh_pack(const char *text, const tsr_word *w, size_t n, int measure, void *pack,
            size_t *pack_len);

/* The hash of the 3-gram at v[i] of v[0, n) (of all of v when n < 3). */
uint32_t mh_gram3(const uint16_t *v, size_t n, size_t i);

/* A compact form as the measures see it (borrowed from a buffer that must
 * outlive it): n words, and v their values (aligned); g[0, ng) the sorted
 * distinct 3-gram hashes (containment); f[0, nf) the sorted figures. */
typedef struct dv_text {
    size_t n;
    const uint16_t *v;
    const uint32_t *g;
    size_t ng;
    const uint16_t *f;
    size_t nf;
} dv_text;

/* Scratch of dv_score, one per thread. */
typedef struct dv_work dv_work;
dv_work *dv_work_new(void);    /* NULL when out of memory */
void dv_work_free(dv_work *w);

/* The size of the compact form at pack, as its head says (0 when len is
 * too short to hold a head). */
size_t dv_size(const void *pack, size_t len, int measure);

/* Whether pack[0, len) is a well-formed compact form for `measure`. */
int dv_check(const void *pack, size_t len, int measure);

/* t := the compact form pack[0, len) of a corpus of measure o->measure
 * (pack aligned for uint32_t: the spool keeps forms at multiples of 4).
 * TSR_ERR_FORMAT for one that is not such a form, TSR_ERR_NOMEM. */
int dv_load(dv_text *t, const void *pack, size_t len, const tsr_dedup_opts *o,
            tsr_error *err);
void dv_text_free(dv_text *t);

/* The score of a and b under o->measure (aligned or containment).  With
 * `bound` set, a score below o->threshold may be replaced by a bound that
 * is also below it (the figure share, the words in 3-grams of the other),
 * which spares the aligner: for decisions only.  -1 when out of memory. */
double dv_score(const dv_text *a, const dv_text *b, const tsr_dedup_opts *o, dv_work *w,
                int bound);

/* tsr_dedup_measure without checking o. */
int dv_score_texts(const char *a, size_t alen, const char *b, size_t blen,
                   const tsr_dedup_opts *o, double *score, tsr_error *err);
#endif
