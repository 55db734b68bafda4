/*
 * cache.h - tokenized documents kept in memory between checks
 * (tsr_index_set_cache).  Not API.
 *
 * Threads: every call takes the cache's mutex; an entry handed out by
 * dc_get or dc_put stays valid, even if evicted meanwhile, until its
 * holder calls dc_release.
 */
#ifndef TSR_CACHE_H
#define TSR_CACHE_H

#include "common/common.h"
#include "index_internal.h"

/* One document as a check needs it: its words and the fields a report
 * names.  Read only. */
typedef struct dc_doc {
    int64_t docno;
    const tsr_word *w;
    size_t n;
    uint64_t text_len;
    const char *id, *title, *date, *series;  /* NULL when absent, but id */
    /* its figures (text_figures, common.h), in order: the E-value weighs
     * those that one span holds and the other lacks (signif.c) */
    const tsr_fig *fig;
    size_t nfig;
    /* the sentence stage's marks of each word (pp_marks), so that its
     * text need not be read again; NULL when not made */
    const uint64_t *term;
    const unsigned char *cut;
} dc_doc;

typedef struct dcache dcache;

/* A cache of at most `budget` bytes (words, fields and bookkeeping).
 * NULL when out of memory. */
dcache *dc_new(size_t budget);
void dc_free(dcache *c);

/* The document numbered `docno`, held, or NULL when not cached; when
 * `marks` is set, also NULL when the entry lacks its marks (cached by a
 * caller without the sentence stage: a miss, to be read again). */
const dc_doc *dc_get(dcache *c, int64_t docno, int marks);

/* Cache a copy of a document (its marks too, when it has them) and return
 * it held; NULL when it does not fit the budget at all or memory runs out
 * (the caller then goes on with its own copy: the cache is only ever an
 * optimization).  When the docno is cached already, that entry is
 * returned, unless d has marks and the entry has none: then d's copy
 * takes its place (the old entry stays valid for its holders until they
 * release it).  So an entry put with marks comes back with them. */
const dc_doc *dc_put(dcache *c, const dc_doc *d);

/* Let go of an entry from dc_get or dc_put.  Accepts NULL. */
void dc_release(dcache *c, const dc_doc *d);

/* Drop every entry not held (the index was replaced under a reader). */
void dc_clear(dcache *c);

/* Counters: bytes of the entries (each rounded up to 16), entries,
 * lookups that hit and that missed.  The memory held is the blocks the
 * entries lie in, at most the budget (cache.c). */
void dc_stats(dcache *c, uint64_t *bytes, uint64_t *docs, uint64_t *hits,
              uint64_t *misses);

/* The bytes of the blocks the cache holds (entries held after a dc_clear
 * included): at most the budget. */
size_t dc_memory(dcache *c);

/* Whether the cache has evicted documents to make room for others: it
 * cannot hold all it is given (no lock taken; a late answer is harmless). */
int dc_full(dcache *c);

/* The blocks taken from malloc so far: a full cache uses an evicted block
 * again rather than free it and take a new one (cache.c, evict_block). */
uint64_t dc_allocs(dcache *c);

/* Stored rows (ix_row) of documents that will be read again, by docno
 * (0 <= docno < ndocs), for discovery's workers; at most `budget` bytes
 * (cache.c).  dc_rows_get copies the row of docno into *row when it is
 * kept (1; 0 when not, -1 out of memory), and forgets it when `last`:
 * the document's last read.  dc_rows_put keeps a copy of a row when the
 * budget has room and it is not kept yet.  NULL from dc_rows_new when out
 * of memory; every call accepts a NULL keeper (then nothing is kept). */
typedef struct dc_rows dc_rows;
dc_rows *dc_rows_new(size_t budget, size_t ndocs);
void dc_rows_free(dc_rows *k);
int dc_rows_get(dc_rows *k, int64_t docno, int last, ix_row *row);
void dc_rows_put(dc_rows *k, const ix_row *row);
/* rows kept so far, rows found, bytes held now */
void dc_rows_stats(dc_rows *k, uint64_t *kept, uint64_t *hits, size_t *bytes);

#endif
