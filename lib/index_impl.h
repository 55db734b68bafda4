/*
 * index_impl.h - the index handle's insides, shared by index.c (plain
 * indexes) and shard.c (sharded indexes: an index made of indexes).  Not
 * API; nothing else includes it.
 */
#ifndef TSR_INDEX_IMPL_H
#define TSR_INDEX_IMPL_H

#include "cache.h"
#include "catalog.h"
#include "index_internal.h"
#include "segment.h"
#include "textdict.h"

#include <pthread.h>
#include <zstd.h>

/* tsr_index_open flag (private): open the plain index in the directory,
 * whether or not a shard list is there (a shard, "." among them). */
#define IX_OPEN_PLAIN 0x100u
/* tsr_index_open flag (private, writers): read the segment list without
 * mapping the files (tsr_index_repair opens a damaged index). */
#define IX_OPEN_REPAIR 0x200u

#define IX_DCTX_POOL 16        /* decompression contexts kept for reuse */

typedef struct ix_shards ix_shards;

/* The removed documents of a plain index as of the last commit seen
 * (doc/index-format.md, "removed"): their docnos ascending, and as a
 * bitmap for the readers of postings (`dead`; its `bits` NULL when none). */
typedef struct ix_removed {
    uint32_t *list;
    size_t n;
    seg_dead dead;
} ix_removed;

/* A document of the batch.  The strings and the compressed text live in
 * one allocation starting at `id`. */
typedef struct ix_doc {
    int64_t docno;
    char *id, *title, *date, *series, *meta;
    void *z;
    size_t zlen;
    uint64_t text_len;
    uint64_t idhash;
} ix_doc;

struct tsr_index {
    char *dir;
    int writable;
    int scratch;            /* TSR_OPEN_SCRATCH: nothing synced */
    int unsettled;          /* a commit's outcome unknown to this handle: no more writes */
    int verify_on_map;      /* checksum each segment when it is mapped */
    int lock_fd;
    cat *cat;
    cat_meta meta;            /* as of the last commit seen */
    seg_file **segs;          /* live segments, in docno order */
    cat_seg *rows;            /* their catalog rows, same order */
    size_t nsegs;
    tsr_params fp;            /* ngram and window of this index */
    ix_removed removed;       /* documents removed, whose postings remain */
    cat_seg fresh;            /* the segment this handle wrote last (file "" if
                               * none): hashed as it was written, so not again
                               * when mapped (ix_stage) */

    /* The batch (writers only). */
    seg_batch post;
    TSR_VEC(ix_doc) docs;
    tsr_arena docmem;         /* the batch's documents' strings and texts */
    tsr_arena prepmem;        /* the calling thread's preparations in
                               * tsr_index_add_batch (ix_scratch.mem) */
    uint32_t *idtab;          /* open addressing: docs index + 1, 0 = empty */
    size_t idcap;             /* a power of two, or 0 */
    int64_t next_docno;
    ZSTD_CCtx *zc;
    void *zbuf;
    size_t zcap;
    struct ix_pool *pool;     /* tsr_index_add_batch's helpers (index.c), or NULL */
    /* The dictionary new texts are compressed with (textdict.c): sampled
     * and trained by this writer, or the catalog's (dict_state). */
    td_sample sample;
    ZSTD_CDict *cdict;
    void *dict;
    size_t dict_len;
    uint32_t dict_id;
    int dict_state;           /* IX_DICT_* (index.c) */

    /* Decompression contexts for reading texts, shared by reader threads:
     * ZSTD_decompress would build (and free) a context per call, which
     * costs more than decompressing a news article. */
    pthread_mutex_t dmu;
    ZSTD_DCtx *dctx[IX_DCTX_POOL];
    int ndctx;
    td_cache dicts;           /* the dictionaries frames name, as loaded */

    /* Tokenized documents for checks (tsr_index_set_cache), or NULL. */
    dcache *cache;

    /* A sharded index (doc/index-format.md section 10): its shards, each
     * a plain index, joined in shard.c; NULL for a plain index.  Then
     * `cat` is NULL, `segs` lists the shards' segments (not owned: each
     * carries its shard's docno base) and `meta` sums the shards'. */
    ix_shards *sh;
    /* Other indexes whose ids count as taken (the duplicate rule,
     * ix_has_id): a sharded index's shards; the earlier shards, for the
     * shard that takes a sharded index's appends; the index already in the
     * directory, for a shard being built (tsr_shard_create, `peer_owned`).
     * Not owned, but for `peer_owned`. */
    tsr_index *const *peers;
    size_t npeers;
    tsr_index *peer_owned;
};

/* Many documents at once (ix_docs_fetch). */
enum { DF_ID, DF_TITLE, DF_DATE, DF_SERIES, DF_BLOB, DF_N };

struct ix_docs {
    tsr_index *ix;
    size_t n;
    ix_docmeta *meta;
    size_t (*off)[DF_N];    /* arena offsets; SIZE_MAX for NULL */
    size_t *blob_len;
    char *arena;
    size_t alen, acap;
    char *text;             /* the text of the last ix_docs_text */
    size_t tcap;
    ZSTD_DCtx *dc;
    /* A sharded index's batch: per-shard batches; document i is document
     * part_idx[i] of parts[part_of[i]] (meta[] holds global docnos). */
    ix_docs **parts;
    size_t nparts;
    size_t *part_of, *part_idx;
};

/* index.c helpers that shard.c uses. */
char *ix_path_join(const char *dir, const char *name);
int ix_fsync_dir(const char *dir, tsr_error *err);
int ix_fsync_parent(const char *path, tsr_error *err);
int ix_has_id(tsr_index *ix, const char *id, int *found, tsr_error *err);
int ix_flock(const char *dir, int *fd, tsr_error *err);

/* shard.c: sharded indexes.  sh_detect: 1 when `dir` holds a shard list.
 * The rest mirror the public functions of the same names for a handle
 * whose `sh` is set. */
int sh_detect(const char *dir);
int sh_open(tsr_index *ix, unsigned flags, tsr_error *err);
void sh_close(tsr_index *ix);
int sh_refresh(tsr_index *ix, tsr_error *err);
/* Whether the shard list or a shard has commits the handle has not seen. */
int sh_stale(tsr_index *ix, int *stale, tsr_error *err);
int sh_rebuild(tsr_index *ix, tsr_error *err);
tsr_index *sh_writer(tsr_index *ix);
int sh_get(tsr_index *ix, const char *id, int64_t docno, int with_text,
           tsr_document **out, tsr_error *err);
int sh_docs_fetch(tsr_index *ix, const int64_t *docnos, size_t n, ix_docs **out,
                  tsr_error *err);
int sh_stats(tsr_index *ix, tsr_stats *out, tsr_error *err);
int sh_verify(tsr_index *ix, tsr_verify_fn fn, void *ud, tsr_error *err);
int sh_read_begin(tsr_index *ix, tsr_error *err);
void sh_read_end(tsr_index *ix);

#endif
