/*
 * catalog.h - the SQLite catalog of an index: format and fingerprint
 * parameters, counters, documents (with zstd-compressed text) and the list
 * of live segment files.  Schema in doc/index-format.md.  Not API.
 *
 * Threads: every call takes the catalog's mutex, so one cat may be shared
 * by the threads of a read-only index.
 */
#ifndef TSR_CATALOG_H
#define TSR_CATALOG_H

#include "common/common.h"

/* Catalog format versions.  1: the tables meta, docs, segments.  2: also
 * the table `removed` (documents removed since their segment was last
 * written, tsr_index_remove), whose docnos the segments still hold.  3:
 * also the table `dicts`: zstd dictionaries, named by the frames of the
 * texts compressed with them (and `removed`, empty or not).  New catalogs
 * are made as version 1, so that earlier builds read them; the first
 * removal turns a catalog into version 2, the first dictionary into
 * version 3, which earlier builds refuse (TSR_ERR_VERSION) instead of
 * finding postings of documents that are not in `docs`, or texts they
 * cannot decompress. */
#define CAT_FORMAT_VERSION 1
#define CAT_FORMAT_REMOVED 2
#define CAT_FORMAT_DICT 3
#define CAT_APPLICATION_ID 0x54535243 /* "TSRC" in PRAGMA application_id */
/* The page size of a new catalog.  SQLite's default (4 KB) wrote a
 * 10,000-document catalog in 5,715 pwrite calls, 16 KB pages in 1,383:
 * `tessera index` -5% CPU at 10k and 100k documents, the file 9% smaller
 * (less room left over in pages of compressed texts); discovery's reads no
 * slower.  64 KB pages made random reads of one document slower
 * (BENCHMARKS.md, "The catalog's page size"). */
#define CAT_PAGE_SIZE 16384

typedef struct cat cat;

/* The meta table, as numbers. */
typedef struct cat_meta {
    int format;
    int ngram, window;       /* fingerprint parameters, fixed at creation */
    uint64_t commits;        /* completed tsr_index_commit calls */
    uint64_t generation;     /* bumped by every commit and every merge */
    uint64_t docs;           /* documents */
    uint64_t text_bytes;     /* raw text, sum of docs.text_len */
    uint64_t stored_bytes;   /* compressed text, sum of length(docs.text) */
    uint64_t next_seg;       /* number of the next segment file */
    int removals;            /* documents were ever removed: format 2, or meta
                              * `removals` 1 in format 3 (not in put_meta) */
} cat_meta;

/* One row of the segments table. */
typedef struct cat_seg {
    char file[64];
    uint32_t doc_lo, doc_hi, ndocs;
    uint64_t npostings, bytes, checksum;
} cat_seg;

/* One row of the docs table, for insertion.  Strings may be NULL except id. */
typedef struct cat_doc {
    int64_t docno;
    const char *id, *title, *date, *series, *meta;
    uint64_t text_len;
    const void *blob;        /* compressed text */
    size_t blob_len;
} cat_doc;

/* Open the catalog at `path`.  `writable`: read-write with WAL journal and
 * synchronous=FULL.  `init` non-NULL: create the file and schema when
 * missing or empty (a creation that a killed writer began: nothing was
 * committed), with init's format, ngram and window.  TSR_ERR_NOTFOUND when
 * the file is missing (and may not be created) or empty without `init`,
 * TSR_ERR_FORMAT when it is not a tessera catalog, TSR_ERR_VERSION for
 * another catalog format. */
int cat_open(const char *path, int writable, const cat_meta *init, cat **out,
             tsr_error *err);
/* cat_open's `writable` for a catalog being created that need not survive
 * a crash (TSR_OPEN_SCRATCH): its journal in memory, nothing synced. */
#define CAT_SCRATCH 2
void cat_close(cat *c);

/* The meta values, the segments (ordered by doc_lo) and the removed
 * docnos (ascending; none in a version 1 catalog) in one consistent read.
 * *segs and *removed are freed by the caller with free(); `removed` may be
 * NULL when the caller does not want them.  The segments' document counts
 * must add up to meta's count plus the removed ones (TSR_ERR_CORRUPT). */
int cat_snapshot(cat *c, cat_meta *m, cat_seg **segs, size_t *nsegs, uint32_t **removed,
                 size_t *nremoved, tsr_error *err);

/* The generation counter alone (cheap: one row). */
int cat_generation(cat *c, uint64_t *gen, tsr_error *err);

/* Largest docno, or -1 for an empty catalog. */
int cat_max_docno(cat *c, int64_t *out, tsr_error *err);

/* Whether a document with this id exists. */
int cat_has_id(cat *c, const char *id, int *found, tsr_error *err);
/* End the read transaction cat_has_id opened, if it is open (a batch with
 * nothing to commit: the next cat_begin would have ended it). */
void cat_lookup_end(cat *c);

/* Write transactions: begin (IMMEDIATE), the changes, commit; on any
 * failure call cat_rollback.  A commit whose final sync failed is rolled
 * back here but may be applied when the catalog is next opened (its
 * message says so): its outcome is unknown, never reuse what it names. */
int cat_begin(cat *c, tsr_error *err);
int cat_commit(cat *c, tsr_error *err);
/* Whether the last cat_commit failed after its transaction went in: the
 * first commit of a catalog made by this connection (in the rollback
 * journal), whose final sync, the directory's after the journal's unlink,
 * failed.  The database holds the transaction; a power loss may undo it.
 * The caller syncs the directory itself and, if that works, calls
 * cat_synced: the commit is durable. */
int cat_unsynced(const cat *c);
void cat_synced(cat *c);
void cat_rollback(cat *c);
int cat_insert_doc(cat *c, const cat_doc *d, uint64_t commit_no, tsr_error *err);
int cat_insert_seg(cat *c, const cat_seg *s, tsr_error *err);
int cat_delete_seg(cat *c, const char *file, tsr_error *err);
/* Removal (inside a write transaction).  cat_enable_removed makes the
 * catalog version 2 (the table `removed`, meta `format`, user_version)
 * when it is not yet.  cat_remove_doc deletes the row of document `id`
 * and records its docno in `removed`: *found = 0 when no document has that
 * id (nothing changes), else *docno, *text_len and *stored_len (the
 * length of its stored text) describe the row removed.
 * cat_forget_removed deletes the records of docnos lo..hi (a merge has
 * dropped their postings). */
int cat_enable_removed(cat *c, tsr_error *err);
int cat_remove_doc(cat *c, const char *id, int *found, int64_t *docno, uint64_t *text_len,
                   uint64_t *stored_len, tsr_error *err);
int cat_forget_removed(cat *c, int64_t lo, int64_t hi, tsr_error *err);
/* Store the counters of `m` (commits, generation, docs, text_bytes,
 * stored_bytes, next_seg). */
int cat_put_meta(cat *c, const cat_meta *m, tsr_error *err);

/* Fetch a document by id (when `id` is not NULL) or by docno.  Fills the
 * strings and docno/text_len of *d (text left NULL) and returns the
 * compressed text in a malloc'ed *blob, unless `blob` is NULL (the text
 * not read: a document's fields only).  TSR_ERR_NOTFOUND when absent. */
int cat_get_doc(cat *c, const char *id, int64_t docno, tsr_document *d,
                void **blob, size_t *blob_len, tsr_error *err);

/* Several documents by docno, in one read transaction (one round of
 * SQLite's file locks instead of one per document), under one hold of the
 * mutex.  For each docnos[i] in turn, fn(ud, i, &row) with pointers valid
 * during that call only; fn's status other than TSR_OK stops the reads and
 * is returned.  A docno that is absent is TSR_ERR_NOTFOUND naming it. */
typedef struct cat_row {
    int64_t docno;
    const char *id, *title, *date, *series;  /* NULL when absent, but id */
    uint64_t text_len;
    const void *blob;                        /* compressed text */
    size_t blob_len;
} cat_row;
typedef int (*cat_row_fn)(void *ud, size_t i, const cat_row *row);
int cat_get_docs(cat *c, const int64_t *docnos, size_t n, cat_row_fn fn, void *ud,
                 tsr_error *err);

/* A read-only connection of its own, in a read transaction of its own
 * from cat_reader_open to cat_reader_close, for one thread's document
 * reads without the cat's mutex (discovery's workers: catalog.c).  Its
 * reads see the catalog as it was when it was opened. */
typedef struct cat_reader cat_reader;
int cat_reader_open(cat *c, cat_reader **out, tsr_error *err);
/* cat_get_docs of one docno, through r: fn(ud, 0, &row), with pointers
 * valid during that call only (no copy of the fields or the text made). */
int cat_reader_row(cat_reader *r, int64_t docno, cat_row_fn fn, void *ud, tsr_error *err);
void cat_reader_close(cat_reader *r);

/* A read transaction, so that several reads see one state (verify,
 * discovery, tsr_index_read_begin).  Calls nest: the transaction begins
 * with the first and ends with the last cat_read_end. */
int cat_read_begin(cat *c, tsr_error *err);
void cat_read_end(cat *c);

/* PRAGMA integrity_check: *ok = 1 when "ok", else the first problem in msg. */
int cat_integrity(cat *c, int *ok, char *msg, size_t msgsz, tsr_error *err);

/* Documents with docno in [lo, hi]. */
int cat_count_range(cat *c, int64_t lo, int64_t hi, uint64_t *n, tsr_error *err);

/* Call fn for every document in docno order with its stored sizes; stops
 * and returns fn's status when it is not TSR_OK. */
typedef int (*cat_doc_fn)(void *ud, int64_t docno, uint64_t text_len,
                          const void *blob, size_t blob_len);
int cat_each_doc(cat *c, cat_doc_fn fn, void *ud, tsr_error *err);

/* Dictionaries (doc/index-format.md, "dicts").  cat_put_dict, inside a
 * write transaction, stores dictionary `id` (two copies and the XXH3 of
 * the bytes), making the catalog version 3 when it is not yet.
 * cat_get_dict reads dictionary `id` (0: the one of lowest id) through
 * `rd` when not NULL (its snapshot), else the cat's connection, into a
 * malloc'ed *data: the first copy whose checksum holds.  *got_id is its
 * id; TSR_ERR_NOTFOUND when there is none (id 0) and TSR_ERR_CORRUPT
 * when dictionary `id` is missing or both copies are damaged.
 * cat_each_dict calls fn for every dictionary row, with both copies and
 * whether each matches the checksum (tsr_index_verify). */
int cat_put_dict(cat *c, uint32_t id, const void *data, size_t len, tsr_error *err);
int cat_get_dict(cat *c, cat_reader *rd, uint32_t id, void **data, size_t *len,
                 uint32_t *got_id, tsr_error *err);
typedef int (*cat_dict_fn)(void *ud, uint32_t id, const void *data, size_t len, int ok1,
                           int ok2);
int cat_each_dict(cat *c, cat_dict_fn fn, void *ud, tsr_error *err);

#endif
