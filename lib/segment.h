/*
 * segment.h - immutable posting segments: one file of (fingerprint, docno)
 * postings, sorted, checksummed, memory-mapped for lookup.  The byte layout
 * is specified in doc/index-format.md.  Not API.
 *
 * Threads: a seg_file is read-only once opened; seg_lookup may run from any
 * number of threads at once.  A seg_writer belongs to one thread.
 */
#ifndef TSR_SEGMENT_H
#define TSR_SEGMENT_H

#include "common/common.h"

#define SEG_MAGIC "TSRSEG\x1a\n"   /* 8 bytes, no terminating NUL used */
#define SEG_FORMAT_VERSION 2u     /* the layout written; not the program version */
#define SEG_FORMAT_OLDEST 1u      /* the oldest layout read (no chunk table) */
#define SEG_HEADER_BYTES 64u
/* Fingerprints are compared on the top SEG_KEY_BITS bits of their 64-bit
 * hash: the top SEG_MIN_BITS come from the bucket, the next 32 from the
 * entry.  Two different n-grams collide with probability ~ 2^-44. */
#define SEG_KEY_BITS 44u
#define SEG_MIN_BITS 12u
#define SEG_MAX_BITS 26u
/* The identity of a fingerprint hash inside segments. */
#define SEG_ID(hash) ((uint64_t)(hash) >> (64u - SEG_KEY_BITS))
/* Most postings in one segment (entry offsets are u32). */
#define SEG_MAX_POSTINGS UINT32_MAX
/* Version 2: the directory and the entries are checksummed in chunks of
 * this many entries, each checked the first time a lookup or a scan reads
 * it (doc/index-format.md, "Chunk table"). */
#define SEG_CHUNK_ENTRIES 1024u

/* One posting as seg_write takes it.  `hash` is the full fingerprint. */
typedef struct seg_posting {
    uint64_t hash;
    uint32_t doc;
    uint32_t pad_;
} seg_posting;

/* What a segment's header says (and the catalog row repeats). */
typedef struct seg_info {
    uint64_t npostings;
    uint64_t bytes;      /* size of the whole file */
    uint64_t checksum;   /* body checksum, see doc/index-format.md */
    uint32_t ndocs;      /* documents of the segment, with or without postings */
    uint32_t doc_lo, doc_hi; /* smallest and largest docno */
    uint32_t dir_bits;
} seg_info;

/* Which chunks of a version 2 segment have been checked (segment.c). */
typedef struct seg_lazy seg_lazy;

/* An open, mapped segment. */
typedef struct seg_file {
    char *path;                  /* as given to seg_open, for messages */
    const unsigned char *map;    /* the whole file */
    size_t size;
    seg_info info;
    uint32_t version;            /* SEG_FORMAT_OLDEST .. SEG_FORMAT_VERSION */
    const unsigned char *dir;    /* (1 << dir_bits) + 1 u32 */
    const unsigned char *keys;   /* npostings u32 */
    const unsigned char *docs;   /* npostings u32 */
    /* version 2: a digest per chunk of the directory, per chunk of the
     * entries, and the table's own (ndirchunks + nchunks + 1 u64); NULL
     * in version 1 */
    const unsigned char *table;
    uint64_t ndirchunks, nchunks;
    /* the chunks checked so far, good or bad (version 2; NULL in 1):
     * lookups and scans check a chunk before they read it */
    seg_lazy *lazy;
    /* Added to every docno that seg_lookup and seg_scan_next hand out: 0,
     * or in a sharded index the first document number of the segment's
     * shard (index.c sets it; the file itself holds the shard's own
     * numbers). */
    uint32_t base;
} seg_file;

/* Removed documents whose postings segments still hold (tsr_index_remove):
 * a bitmap over docnos 0..n-1 (a docno >= n is live), in the numbers the
 * files hold (before `base`).  Readers drop these docnos where they read
 * postings; a merge leaves their postings out. */
typedef struct seg_dead {
    const uint64_t *bits;
    uint64_t n;
} seg_dead;

static inline int seg_is_dead(const seg_dead *d, uint32_t doc)
{
    return d && doc < d->n && (d->bits[doc >> 6] >> (doc & 63)) & 1u;
}

/* The postings of a batch being built (the documents of one commit), kept
 * apart by the top SEG_MIN_BITS bits of their id, as the segment's
 * directory will hold them: bucket k is a list of chunks of 8-byte
 * entries, bits 12..43 of the id (the segment's key) above the docno,
 * carved from the batch's arena (segment.c).  Zero-initialise;
 * seg_batch_free releases it. */
typedef struct seg_chunk seg_chunk;
typedef struct seg_bucket {
    seg_chunk *head, *tail;   /* the chunks in order; tail: the last used */
    size_t n;                 /* entries in all of them */
} seg_bucket;

typedef struct seg_batch {
    seg_bucket *bk;      /* 1 << SEG_MIN_BITS buckets, or NULL while empty */
    uint64_t n;          /* entries in all (repeats too until sorted) */
    uint32_t last_doc;   /* docno of the last seg_batch_add */
    tsr_arena mem;       /* the chunks */
    int nosync;          /* seg_batch_write without fsync (a scratch index's) */
} seg_batch;

/* Entry i of bucket `b` in order: for (c = b->head; c; c = c->next)
 * then c->e[0 .. c->n). */
struct seg_chunk {
    seg_chunk *next, *prev;
    uint32_t n, cap;
    uint64_t e[];
};

/* Add the postings of document `doc`, fingerprints `hashes[0..n)` (repeats
 * allowed).  Documents are added in non-decreasing docno order
 * (TSR_ERR_INVALID otherwise).  All or nothing: on TSR_ERR_NOMEM the batch
 * is as it was. */
int seg_batch_add(seg_batch *b, const uint64_t *hashes, size_t n, uint32_t doc,
                  tsr_error *err);
/* Sort every bucket by (id, docno) and drop repeats of the same (id,
 * docno); b->n becomes the count of distinct postings.  May be called
 * again, and more documents added between the calls.  Scratch memory is
 * the size of the largest bucket, not of the batch. */
int seg_batch_sort(seg_batch *b, tsr_error *err);
/* Empty the batch, keeping its memory for the next one. */
void seg_batch_clear(seg_batch *b);
void seg_batch_free(seg_batch *b);

/* Sort the batch (seg_batch_sort) and write it as a segment to `path`
 * (created or truncated, then fsync'ed unless b->nosync).  `ndocs`, `doc_lo`, `doc_hi`
 * describe the batch's documents (some may have no postings).  Fills
 * *info. */
int seg_batch_write(const char *path, seg_batch *b, uint32_t ndocs, uint32_t doc_lo,
                    uint32_t doc_hi, seg_info *info, tsr_error *err);

/* Write a segment to `path` (created or truncated, then fsync'ed) from
 * postings sorted by (id, docno) without repeats (TSR_ERR_CORRUPT
 * otherwise).  `ndocs`, `doc_lo`, `doc_hi` describe the
 * batch's documents (some may have no postings).  Fills *info. */
int seg_write(const char *path, const seg_posting *p, size_t n, uint32_t ndocs,
              uint32_t doc_lo, uint32_t doc_hi, seg_info *info, tsr_error *err);

/* Merge `nin` open segments, whose documents must be disjoint and which
 * must share one `base` (segments of one index or shard; TSR_ERR_INVALID
 * otherwise), into a new segment at `path` (fsync'ed).  Linear in the
 * input size (segment.c: group by group, two runs at a time).  Fills
 * *info. */
int seg_merge(const char *path, seg_file *const *in, size_t nin, seg_info *info,
              tsr_error *err);
/* seg_merge leaving out the postings of the documents `dead` marks (may
 * be NULL): the output's ndocs is the inputs' less the dead docnos inside
 * their ranges, and its docno range is the inputs' whole range (so that
 * it stays disjoint from its neighbours' even when no document is left). */
int seg_merge_live(const char *path, seg_file *const *in, size_t nin, const seg_dead *dead,
                   seg_info *info, tsr_error *err);

/* Open and map `path`, checking magic, version, header checksum and file
 * size against the header (not the body checksum).  TSR_ERR_FORMAT for a
 * truncated or malformed file, TSR_ERR_VERSION, TSR_ERR_CHECKSUM for a
 * garbled header, TSR_ERR_IO/TSR_ERR_NOTFOUND when it cannot be read.
 * Version 1 and 2 files are read; seg_write and seg_merge write 2. */
int seg_open(const char *path, seg_file **out, tsr_error *err);

/* Unmap and free.  Accepts NULL. */
void seg_close(seg_file *s);

/* Documents holding fingerprint `hash`, in increasing docno order: copies
 * up to `max` of them to `docs` and returns how many there are in all.
 * In a version 2 segment the chunk of entries read is checked first (once
 * per chunk and seg_file): a chunk that fails gives no documents and
 * marks the segment, which seg_fault then reports. */
size_t seg_lookup(const seg_file *s, uint64_t hash, uint32_t *docs, size_t max);
/* seg_lookup without the documents `dead` marks (may be NULL), in the
 * copies and in the count. */
size_t seg_lookup_live(const seg_file *s, uint64_t hash, const seg_dead *dead, uint32_t *docs,
                       size_t max);
/* A hint that seg_lookup(s, hash) comes soon: stage 0 brings in the
 * directory entry, stage 1 (some lookups later) the start of the bucket
 * it points to.  Batches of lookups hide the memory latency this way. */
void seg_prefetch(const seg_file *s, uint64_t hash, int stage);

/* How much seg_verify checks.
 *   SEG_CHECK_OPEN  what a reader checks when it maps the segment: in
 *                   version 1 the body checksum (the whole file); in
 *                   version 2 the chunk table's own digest, the directory
 *                   and the entries being checked chunk by chunk as they
 *                   are read (seg_lookup, seg_scan)
 *   SEG_CHECK_BODY  the body checksum, whatever the version (before a
 *                   merge: a damaged input is never laundered into a new
 *                   checksummed file); then no chunk is checked again
 *   SEG_CHECK_DEEP  SEG_CHECK_BODY, every chunk's digest against the table,
 *                   and the structure: directory monotone, entries strictly
 *                   sorted, docnos inside the header's range
 * TSR_ERR_CHECKSUM on a digest mismatch, TSR_ERR_CORRUPT on a structure
 * fault, each naming the file. */
enum { SEG_CHECK_OPEN, SEG_CHECK_BODY, SEG_CHECK_DEEP };
int seg_verify(const seg_file *s, int level, tsr_error *err);

/* TSR_ERR_CHECKSUM, naming the file and the entries, when a lookup or a
 * scan found a chunk of this segment damaged; else TSR_OK.  Whoever gave a
 * result made from lookups asks this of every segment before it hands the
 * result out (ix_segments_sound). */
int seg_fault(const seg_file *s, tsr_error *err);
/* The chunks checked so far, good or bad (for tests: how much a reader
 * has hashed). */
uint64_t seg_chunks_checked(const seg_file *s);

/* A scan of the postings of several segments in (fingerprint, docno)
 * order, one fingerprint at a time: the first stage of discovery.  The
 * fingerprint space is cut into 2^part_bits partitions (part_bits <=
 * SEG_MIN_BITS) by the top bits of the hash; a scan covers partition
 * `part` only, so partitions can be scanned apart (by threads, or ranks). */
typedef struct seg_scan seg_scan;
int seg_scan_open(seg_file *const *in, size_t n, unsigned part_bits, uint64_t part,
                  seg_scan **out, tsr_error *err);
/* The next fingerprint: its id and the documents holding it (ascending).
 * Returns their count, 0 at the end, -1 on a damaged segment (a corrupt
 * directory, a chunk that fails its checksum) or OOM: seg_scan_error says
 * which.  *docs stays valid until the next call. */
long seg_scan_next(seg_scan *s, uint64_t *id, const uint32_t **docs);
/* Why seg_scan_next returned -1: the error, in *err. */
int seg_scan_error(const seg_scan *s, tsr_error *err);
void seg_scan_close(seg_scan *s);

#endif
