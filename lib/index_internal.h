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

/* Look up one fingerprint across all segments, leaving out removed
 * documents (ix_dead).  Copies up to `max` document numbers into `docs`
 * (in increasing order; `docs` may be NULL when `max` is 0) and returns
 * how many documents hold the fingerprint in all (its document
 * frequency), which may exceed `max`.  Thread-safe on a
 * read-only index. */
size_t ix_lookup(const tsr_index *ix, uint64_t hash, uint32_t *docs, size_t max);
/* TSR_ERR_CHECKSUM when a lookup or a scan found a damaged chunk in one of
 * the segments (seg_fault), else TSR_OK: whoever made a result from
 * lookups asks this before handing it out, so that a damaged segment
 * gives an error, never a result with postings missing. */
int ix_segments_sound(const tsr_index *ix, tsr_error *err);

/* Whether the index was opened TSR_OPEN_SCRATCH: what is written for it
 * (discovery's work files too) need not be synced to disk. */
int ix_is_scratch(const tsr_index *ix);

/* Free what a document's fields hold (tsr_document_free, but not `d`). */
void ix_document_clear(tsr_document *d);

/* The document frequency of one fingerprint (ix_lookup without the
 * documents), shaped as signif.h's sg_count_fn: `ix` is the index. */
size_t ix_count(void *ix, uint64_t hash);
/* A hint for a coming ix_lookup of `hash`: stage 0 about 16 lookups
 * ahead, stage 1 about 8 (segment.h, seg_prefetch). */
void ix_prefetch(const tsr_index *ix, uint64_t hash, int stage);

/* The removed documents whose postings the segments still hold (NULL
 * when none): a reader of postings (ix_lookup does it) drops them.  Valid
 * until the next refresh. */
struct seg_dead;
const struct seg_dead *ix_dead(const tsr_index *ix);

/* The live segments (read-only; valid until the next refresh). */
struct seg_file;
size_t ix_segments(const tsr_index *ix, struct seg_file *const **segs);

/* The document cache of tsr_index_set_cache, or NULL (cache.h). */
struct dcache;
struct dcache *ix_cache(const tsr_index *ix);

/* A number that changes with every commit and merge: whether the index
 * changed since a previous look. */
uint64_t ix_generation(const tsr_index *ix);

/* Hold one read transaction on the catalog across many document reads
 * (discovery): each read then skips taking SQLite's file locks.  Must not
 * be used on a handle that is writing. */
int ix_read_begin(tsr_index *ix, tsr_error *err);
void ix_read_end(tsr_index *ix);

/* A reader of one thread's own (catalog.h, cat_reader): documents by number
 * through a connection of its own, without the index's catalog mutex
 * (ix_reader_row below).  *out is NULL (and TSR_OK) for an index with no
 * catalog of its own (a sharded one): its documents are then read with
 * tsr_index_get_docno. */
struct cat_reader;
int ix_reader_open(tsr_index *ix, struct cat_reader **out, tsr_error *err);
void ix_reader_close(struct cat_reader *r);

/* A document's stored row, for a reader that keeps rows of its own
 * (discovery keeps those of the documents it reads again: cache.h,
 * dc_rows): its fields and its text as stored, in one block of `bytes`
 * bytes that the pointers point into.  ix_reader_row reads document docno
 * through r (a plain index's reader, not NULL) into *row, reusing its
 * block; ix_row_text decompresses the text into dst (row->text_len + 1
 * bytes, NUL-terminated), a damaged one refused as TSR_ERR_CORRUPT;
 * ix_row_copy copies src into dst's block (-1 when out of memory).  A row
 * starts zeroed; ix_row_free frees its block. */
typedef struct ix_row {
    int64_t docno;
    const char *id, *title, *date, *series;  /* NULL when absent, but id */
    uint64_t text_len;
    const void *blob;                        /* the stored text */
    size_t blob_len;
    char *block;
    size_t bytes, cap;                       /* the block's bytes used, allocated */
} ix_row;
int ix_reader_row(tsr_index *ix, struct cat_reader *r, int64_t docno, ix_row *row,
                  tsr_error *err);
int ix_row_text(tsr_index *ix, struct cat_reader *r, const ix_row *row, char *dst,
                tsr_error *err);
int ix_row_copy(ix_row *dst, const ix_row *src);
void ix_row_free(ix_row *row);

/* Many documents at once (a check's candidates): ix_docs_fetch reads the
 * stored rows of docnos[0..n) in one catalog transaction; then
 * ix_docs_meta gives the i-th one's fields (valid until ix_docs_free) and
 * ix_docs_text its text, decompressed into a buffer of the batch that the
 * next ix_docs_text call reuses.  A docno the catalog lacks is
 * TSR_ERR_NOTFOUND. */
typedef struct ix_docs ix_docs;
typedef struct ix_docmeta {
    int64_t docno;
    const char *id, *title, *date, *series;  /* NULL when absent, but id */
    uint64_t text_len;
} ix_docmeta;
int ix_docs_fetch(tsr_index *ix, const int64_t *docnos, size_t n, ix_docs **out,
                  tsr_error *err);
const ix_docmeta *ix_docs_meta(const ix_docs *b, size_t i);
int ix_docs_text(ix_docs *b, size_t i, const char **text, size_t *len, tsr_error *err);
void ix_docs_free(ix_docs *b);

#endif
