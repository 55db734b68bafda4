/* minhash.h - what dedup.c, dedup_index.c and the unit tests share with
 * minhash.c.  Not API. */
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
#endif
