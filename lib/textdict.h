/*
 * textdict.h - the zstd dictionary that an index's texts are compressed
 * with: a sample of the first texts a writer adds, the dictionary trained
 * on it, and the dictionaries a reader has loaded.  Format in
 * doc/index-format.md ("dicts").  Not API.
 */
#ifndef TSR_TEXTDICT_H
#define TSR_TEXTDICT_H

#include "catalog.h"

#include <pthread.h>
#include <zstd.h>

/* How much text is sampled before a dictionary is trained, at most how
 * much of one text goes into the sample, and the dictionary's size
 * (BENCHMARKS.md, "A zstd dictionary for the stored texts"). */
#define TD_SAMPLE_BYTES ((size_t)512 << 10)
#define TD_PIECE_MAX ((size_t)16 << 10)
#define TD_DICT_BYTES ((size_t)64 << 10)
/* The compression level the dictionary's statistics are made for: the
 * index's (IX_ZSTD_LEVEL). */
#define TD_LEVEL 1

/* The texts sampled so far: pieces laid end to end, and their sizes. */
typedef struct td_sample {
    char *buf;
    size_t len, cap;
    TSR_VEC(size_t) sizes;
} td_sample;

/* Add the start of a text (at most TD_PIECE_MAX bytes) while the sample
 * holds less than TD_SAMPLE_BYTES; a text that does not fit in memory is
 * left out (the sample only makes compression better). */
void td_sample_add(td_sample *s, const char *text, size_t len);
int td_sample_full(const td_sample *s);
void td_sample_free(td_sample *s);

/* A dictionary trained on the sample: *dict (malloc'ed, TD_DICT_BYTES at
 * most) and its id, or TSR_ERR_NOTFOUND when the sample gives none (too
 * few or too alike texts: then the texts are compressed without one), or
 * TSR_ERR_NOMEM. */
int td_train(const td_sample *s, void **dict, size_t *len, uint32_t *id);

/* Whether `data` is a zstd dictionary whose header names `id`. */
int td_valid(const void *data, size_t len, uint32_t id);

/* The dictionaries a handle has loaded for reading, by id: each read from
 * the catalog once (cat_get_dict), the first time a frame names it. */
#define TD_MAX 8
typedef struct td_cache {
    pthread_mutex_t mu;
    int n;
    uint32_t id[TD_MAX];
    ZSTD_DDict *dd[TD_MAX];
} td_cache;

void td_cache_init(td_cache *c);
void td_cache_free(td_cache *c);
/* Add a dictionary the caller has in hand (a writer's own). */
int td_cache_add(td_cache *c, uint32_t id, const void *data, size_t len, tsr_error *err);
/* Decompress the frame `blob` into dst (exactly `text_len` bytes), with
 * the dictionary it names if any, loaded through `rd` (its snapshot) or
 * `cg`.  TSR_OK, or an error with `err` set; a damaged frame is
 * TSR_ERR_CORRUPT (the caller names the document). */
int td_decompress(td_cache *c, cat *cg, cat_reader *rd, ZSTD_DCtx *dc, char *dst,
                  size_t text_len, const void *blob, size_t blen, tsr_error *err);

#endif
