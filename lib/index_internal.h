/*
 * index_internal.h - what check.c needs from the index, beyond the public
 * API.  Not API.
 */
#ifndef TSR_INDEX_INTERNAL_H
#define TSR_INDEX_INTERNAL_H

#include "common/common.h"

/* Documents in the index as of the last commit seen. */
uint64_t ix_ndocs(const tsr_index *ix);

/* The fingerprint parameters the index was built with (fixed at creation). */
void ix_fingerprint_params(const tsr_index *ix, int *ngram, int *window);

/* Look up one fingerprint across all segments.  Copies up to `max`
 * document numbers into `docs` (in increasing order; `docs` may be NULL
 * when `max` is 0) and returns how many documents hold the fingerprint in
 * all (its document frequency), which may exceed `max`.  Thread-safe on a
 * read-only index. */
size_t ix_lookup(const tsr_index *ix, uint64_t hash, uint32_t *docs, size_t max);

/* The live segments (read-only; valid until the next refresh). */
struct seg_file;
size_t ix_segments(const tsr_index *ix, struct seg_file *const **segs);

/* A number that changes with every commit and merge: whether the index
 * changed since a previous look. */
uint64_t ix_generation(const tsr_index *ix);

/* Hold one read transaction on the catalog across many document reads
 * (discovery): each read then skips taking SQLite's file locks.  Must not
 * be used on a handle that is writing. */
int ix_read_begin(tsr_index *ix, tsr_error *err);
void ix_read_end(tsr_index *ix);

#endif
