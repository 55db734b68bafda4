/*
 * segment.c - immutable posting segments: write (from a sorted batch or by
 * merging segments), open (mmap + header checks), look up, verify.
 *
 * A segment holds (fingerprint, docno) postings.  The layout (see
 * doc/index-format.md for the byte-exact spec) is built for two things:
 * size, about 8 bytes per posting, and a lookup that costs one directory
 * read and a short binary search:
 *
 *   header (64 bytes) | dir[2^B + 1] u32 | keys[n] u32 | docs[n] u32
 *   | table[ndirchunks + nchunks + 1] u64 (version 2)
 *
 * A fingerprint is identified by the top 44 bits of its hash ("id").  The
 * directory splits the hash space on its top B bits (12 <= B <= 26, chosen
 * so that a bucket holds 8 to 16 postings on average); dir[b] is the first
 * entry of bucket b and dir[2^B] = n.  keys[i] holds bits 12..43 of the id
 * (counting from the top), so the top 12 bits come from the bucket and the
 * next 32 from the entry, whatever B is: segments built with different B
 * hold the same ids and merge without loss.  Entries are sorted by
 * (id, docno) with no repeats, so the documents of one fingerprint are
 * contiguous and in increasing docno order.  keys[] and docs[] are separate
 * arrays so that the search touches only the 4-byte keys.
 *
 * Writing goes through a seg_writer: entries are pushed in order, keys and
 * docs are streamed to their two regions with pwrite, the directory is
 * counted on the way and written last.  Each region gets its own XXH3
 * digest while it is written; the body checksum is XXH3 of the digests,
 * so no second pass over the file is needed.
 *
 * Version 2 adds a table after the docs: one digest per chunk of
 * SEG_CHUNK_ENTRIES entries of the directory, then of the postings (their
 * keys and docs), and the table's own digest.  A reader checks the table
 * when it maps the file, and each chunk the first time it reads it
 * (seg_lazy), so that opening an index costs its tables, not its files:
 * version 1 had the reader hash every segment whole at each open, 0.32 of
 * the 0.39 s of a `tessera check` of one text against 1,000,000 documents
 * (BENCHMARKS.md, "Segments checked chunk by chunk").
 *
 * A batch (seg_batch: the postings of one commit, tens of millions of
 * them) is kept from the start in 2^12 buckets by the top 12 bits of the
 * id, the part of the id that a segment's directory holds whatever its B.
 * An entry is 8 bytes, the other 32 bits of the id (the segment's key)
 * above the docno.  seg_batch_add appends to the buckets as documents
 * come, each bucket a list of chunks (16 entries, then as many as the
 * bucket holds, up to 2,048) carved from the batch's arena (common.h):
 * growing copies nothing and frees nothing, and the memory comes in 8 MB
 * chunks offered for huge pages (realloc-doubled arrays were a third of
 * the page faults of `tessera index`, BENCHMARKS.md).  Sorting is then
 * bucket by bucket: the chunks gathered into one array, a stable LSD
 * radix sort of the key in four 8-bit passes, on a bucket of a few
 * thousand entries that stays in the cache, with scratch the size of the
 * largest bucket, and the result put back into the chunks in order.
 * Postings arrive document by document, so equal keys end up in docno
 * order and the entries, read as 64-bit numbers, in increasing order;
 * repeats of a (id, docno) pair are adjacent and dropped.  Writing walks
 * the buckets in order.  An earlier design appended 16-byte postings to
 * one array and radix-sorted it whole (4 passes of 11 bits) through a
 * scratch copy as large: twice the memory of this one and three times
 * the fresh pages, and on a host where a page fault is expensive the
 * kernel's page clearing cost more than the sort (BENCHMARKS.md, issue
 * 13).
 */
#include "segment.h"
#include "common/xxh.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Header fields (byte offsets)
 * --------------------------------------------------------------------- */
enum {
    H_MAGIC = 0,        /* 8 bytes */
    H_VERSION = 8,      /* u32 */
    H_HEADER_BYTES = 12,/* u32 */
    H_NPOSTINGS = 16,   /* u64 */
    H_BODY_BYTES = 24,  /* u64 */
    H_CHECKSUM = 32,    /* u64 */
    H_NDOCS = 40,       /* u32 */
    H_DOC_LO = 44,      /* u32 */
    H_DOC_HI = 48,      /* u32 */
    H_DIR_BITS = 52,    /* u32 */
    H_KEY_BITS = 56,    /* u32 */
    H_HEADER_CHECK = 60 /* u32: low 32 bits of XXH3 of bytes [0, 60) */
};

static unsigned seg_bits_for(uint64_t n)
{
    unsigned b = SEG_MIN_BITS;
    while (b < SEG_MAX_BITS && ((uint64_t)16 << b) <= n)
        b++;
    return b;
}

/* Chunks of the entries, and of the directory's 2^bits + 1 entries. */
static uint64_t seg_nchunks(uint64_t n)
{
    return (n + SEG_CHUNK_ENTRIES - 1) / SEG_CHUNK_ENTRIES;
}

static uint64_t seg_ndirchunks(unsigned bits)
{
    return (((uint64_t)1 << bits) + SEG_CHUNK_ENTRIES) / SEG_CHUNK_ENTRIES;
}

/* The body's size: directory, keys, docs and (version 2) the table. */
static uint64_t seg_body_bytes(unsigned bits, uint64_t n, uint32_t version)
{
    const uint64_t table = version >= 2 ? 8 * (seg_ndirchunks(bits) + seg_nchunks(n) + 1) : 0;
    return 4 * (((uint64_t)1 << bits) + 1) + 8 * n + table;
}

/* The digest of chunk k: its docs hashed with its keys' digest as seed. */
static uint64_t chunk_digest(const unsigned char *keys, const unsigned char *docs, size_t len)
{
    return XXH3_64bits_withSeed(docs, len, XXH3_64bits(keys, len));
}

/* ------------------------------------------------------------------------
 * Writing
 * --------------------------------------------------------------------- */
#define OUT_BUF (1u << 16)

typedef struct seg_out {   /* one buffered output region */
    unsigned char buf[OUT_BUF];
    size_t len;
    uint64_t off;          /* file offset of buf[0] */
    XXH3_state_t *st;
} seg_out;

typedef struct seg_writer {
    int fd;
    const char *path;
    uint64_t n, i;         /* planned and pushed entries */
    unsigned bits;
    uint32_t *dir;         /* counts per bucket, then offsets */
    seg_out keys, docs;
    uint64_t ndc;          /* chunks of the directory */
    uint64_t *sums;        /* version 2's table: the directory's chunks'
                            * digests, the entries', the table's */
    uint64_t last_id;
    uint32_t last_doc;
    uint32_t ndocs, doc_lo, doc_hi;
    int nosync;            /* no fsync at the end (seg_batch.nosync) */
} seg_writer;

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off,
                      const char *path, tsr_error *err)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t k = pwrite(fd, p, len, (off_t)off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return tsr_seterr(err, tsr_io_status(errno), "%s: write at byte %" PRIu64 ": %s",
                              path, off, strerror(errno));
        }
        p += k;
        len -= (size_t)k;
        off += (uint64_t)k;
    }
    return TSR_OK;
}

/* The digests of the chunks in the buffers: the last keys.len / 4
 * entries pushed, which start on a chunk boundary (OUT_BUF holds whole
 * chunks, and the buffers are flushed only when full, or at the end). */
static void writer_sum(seg_writer *w)
{
    const size_t n = w->keys.len / 4;
    const uint64_t first = w->i - n;
    for (size_t at = 0; at < n; at += SEG_CHUNK_ENTRIES) {
        const size_t len = 4 * (n - at < SEG_CHUNK_ENTRIES ? n - at : SEG_CHUNK_ENTRIES);
        w->sums[w->ndc + (first + at) / SEG_CHUNK_ENTRIES] =
            chunk_digest(w->keys.buf + 4 * at, w->docs.buf + 4 * at, len);
    }
}

static int out_flush(seg_writer *w, seg_out *o, tsr_error *err)
{
    if (o->len == 0)
        return TSR_OK;
    TSR_FORWARD(pwrite_all(w->fd, o->buf, o->len, o->off, w->path, err));
    XXH3_64bits_update(o->st, o->buf, o->len);
    o->off += o->len;
    o->len = 0;
    return TSR_OK;
}

static void writer_free(seg_writer *w, int unlink_file)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        close(w->fd);
        if (unlink_file)
            unlink(w->path);
    }
    XXH3_freeState(w->keys.st);
    XXH3_freeState(w->docs.st);
    free(w->dir);
    free(w->sums);
    free(w);
}

static int writer_open(const char *path, uint64_t n, uint32_t ndocs,
                       uint32_t doc_lo, uint32_t doc_hi, seg_writer **out,
                       tsr_error *err)
{
    *out = NULL;
    if (n > SEG_MAX_POSTINGS)
        return tsr_seterr(err, TSR_ERR_TOOBIG,
                          "%s: %" PRIu64 " postings, a segment holds at most %u",
                          path, n, (unsigned)SEG_MAX_POSTINGS);
    seg_writer *w = calloc(1, sizeof *w);
    TSR_CHECK_ALLOC(w, err);
    w->fd = -1;
    w->path = path;
    w->n = n;
    w->bits = seg_bits_for(n);
    w->ndocs = ndocs;
    w->doc_lo = doc_lo;
    w->doc_hi = doc_hi;
    w->dir = calloc(((size_t)1 << w->bits) + 1, sizeof *w->dir);
    w->ndc = seg_ndirchunks(w->bits);
    w->sums = malloc((w->ndc + seg_nchunks(n) + 1) * sizeof *w->sums);
    w->keys.st = XXH3_createState();
    w->docs.st = XXH3_createState();
    if (!w->dir || !w->sums || !w->keys.st || !w->docs.st) {
        writer_free(w, 0);
        return tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    }
    XXH3_64bits_reset(w->keys.st);
    XXH3_64bits_reset(w->docs.st);
    w->keys.off = SEG_HEADER_BYTES + 4 * (((uint64_t)1 << w->bits) + 1);
    w->docs.off = w->keys.off + 4 * n;
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        writer_free(w, 0);
        return tsr_seterr(err, tsr_io_status(e), "%s: cannot create: %s", path, strerror(e));
    }
    *out = w;
    return TSR_OK;
}

static int writer_push(seg_writer *w, uint64_t id, uint32_t doc, tsr_error *err)
{
    if (TSR_UNLIKELY(w->i >= w->n))
        return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: more postings than planned (%" PRIu64 ")",
                          w->path, w->n);
    if (TSR_UNLIKELY(w->i > 0 && (id < w->last_id ||
                                  (id == w->last_id && doc <= w->last_doc))))
        return tsr_seterr(err, TSR_ERR_CORRUPT,
                          "%s: posting %" PRIu64 " out of order (fingerprint %011" PRIx64
                          " doc %u after %011" PRIx64 " doc %u)",
                          w->path, w->i, id, doc, w->last_id, w->last_doc);
    w->last_id = id;
    w->last_doc = doc;
    w->dir[(id >> (SEG_KEY_BITS - w->bits)) + 1]++;
    tsr_put_u32(w->keys.buf + w->keys.len, (uint32_t)id);
    tsr_put_u32(w->docs.buf + w->docs.len, doc);
    w->keys.len += 4;
    w->docs.len += 4;
    w->i++;
    if (w->keys.len == OUT_BUF) {
        writer_sum(w);
        TSR_FORWARD(out_flush(w, &w->keys, err));
        TSR_FORWARD(out_flush(w, &w->docs, err));
    }
    return TSR_OK;
}

/* Push e[0..n), the entries of top-level group g (the first SEG_MIN_BITS
 * bits of their ids), each its key above its docno as a batch holds them
 * (batch_entry): what writer_push does one entry at a time, with the
 * group's part of the order check and of the directory's index worked
 * out once; the rest of the check is that the entries increase as 64-bit
 * numbers. */
static int writer_push_group(seg_writer *w, uint64_t g, const uint64_t *e, size_t n,
                             tsr_error *err)
{
    if (n == 0)
        return TSR_OK;
    if (TSR_UNLIKELY(n > w->n - w->i))
        return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: more postings than planned (%" PRIu64 ")",
                          w->path, w->n);
    uint64_t last_id = w->last_id;
    uint32_t last_doc = w->last_doc;
    for (size_t j = 0; j < n; j++) {
        const uint64_t id = g << 32 | e[j] >> 32;
        const uint32_t doc = (uint32_t)e[j];
        if (TSR_UNLIKELY((w->i > 0 || j > 0) &&
                         (id < last_id || (id == last_id && doc <= last_doc))))
            return tsr_seterr(err, TSR_ERR_CORRUPT,
                              "%s: posting %" PRIu64 " out of order (fingerprint %011" PRIx64
                              " doc %u after %011" PRIx64 " doc %u)",
                              w->path, w->i + j, id, doc, last_id, last_doc);
        last_id = id;
        last_doc = doc;
    }
    const unsigned sub = w->bits - SEG_MIN_BITS;   /* the key's bits in the bucket */
    uint32_t *dir = w->dir + (g << sub) + 1;
    for (size_t j = 0; j < n;) {
        const size_t room = (OUT_BUF - w->keys.len) / 4;
        const size_t m = n - j < room ? n - j : room;
        unsigned char *kb = w->keys.buf + w->keys.len, *db = w->docs.buf + w->docs.len;
        for (size_t t = 0; t < m; t++) {
            const uint64_t key = e[j + t] >> 32;
            dir[key >> (32 - sub)]++;
            tsr_put_u32(kb + 4 * t, (uint32_t)key);
            tsr_put_u32(db + 4 * t, (uint32_t)e[j + t]);
        }
        w->keys.len += 4 * m;
        w->docs.len += 4 * m;
        w->i += m;
        j += m;
        if (w->keys.len == OUT_BUF) {
            writer_sum(w);
            TSR_FORWARD(out_flush(w, &w->keys, err));
            TSR_FORWARD(out_flush(w, &w->docs, err));
        }
    }
    w->last_id = last_id;
    w->last_doc = last_doc;
    return TSR_OK;
}

/* Flush, write the directory, the chunk table and the header, fsync,
 * close. */
static int writer_finish(seg_writer *w, seg_info *info, tsr_error *err)
{
    if (w->i != w->n)
        return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: %" PRIu64 " postings written, %"
                          PRIu64 " planned", w->path, w->i, w->n);
    writer_sum(w);
    const uint64_t table_off = w->docs.off + w->docs.len;
    TSR_FORWARD(out_flush(w, &w->keys, err));
    TSR_FORWARD(out_flush(w, &w->docs, err));

    /* The directory: counts per bucket (shifted by one) to offsets. */
    const size_t nb = (size_t)1 << w->bits;
    for (size_t b = 1; b <= nb; b++)
        w->dir[b] += w->dir[b - 1];
    XXH3_state_t *dst = XXH3_createState();
    unsigned char *buf = malloc(OUT_BUF);
    if (!dst || !buf) {
        XXH3_freeState(dst);
        free(buf);
        return tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory", w->path);
    }
    XXH3_64bits_reset(dst);
    uint64_t off = SEG_HEADER_BYTES;
    int rc = TSR_OK;
    for (size_t b = 0; b <= nb && rc == TSR_OK;) {
        size_t len = 0;
        const size_t first = b;   /* a multiple of OUT_BUF / 4: whole chunks */
        for (; b <= nb && len < OUT_BUF; b++, len += 4)
            tsr_put_u32(buf + len, w->dir[b]);
        for (size_t at = 0; at < len; at += 4 * SEG_CHUNK_ENTRIES)
            w->sums[(first + at / 4) / SEG_CHUNK_ENTRIES] =
                XXH3_64bits(buf + at, len - at < 4 * SEG_CHUNK_ENTRIES ? len - at
                                                                      : 4 * SEG_CHUNK_ENTRIES);
        rc = pwrite_all(w->fd, buf, len, off, w->path, err);
        XXH3_64bits_update(dst, buf, len);
        off += len;
    }
    unsigned char dig[32];
    tsr_put_u64(dig, XXH3_64bits_digest(dst));
    tsr_put_u64(dig + 8, XXH3_64bits_digest(w->keys.st));
    tsr_put_u64(dig + 16, XXH3_64bits_digest(w->docs.st));
    XXH3_freeState(dst);
    free(buf);
    TSR_FORWARD(rc);

    /* The table: the chunks' digests, directory first, then its own.
     * Little endian in place (w->sums becomes the bytes written). */
    const uint64_t nt = w->ndc + seg_nchunks(w->n);
    unsigned char *tb = (unsigned char *)w->sums;
    for (uint64_t k = 0; k < nt; k++)
        tsr_put_u64(tb + 8 * k, w->sums[k]);
    tsr_put_u64(tb + 8 * nt, XXH3_64bits(tb, 8 * nt));
    const size_t tlen = 8 * (nt + 1);
    TSR_FORWARD(pwrite_all(w->fd, tb, tlen, table_off, w->path, err));
    tsr_put_u64(dig + 24, XXH3_64bits(tb, tlen));

    seg_info in = {0};
    in.npostings = w->n;
    in.bytes = SEG_HEADER_BYTES + seg_body_bytes(w->bits, w->n, SEG_FORMAT_VERSION);
    in.checksum = XXH3_64bits(dig, sizeof dig);
    in.ndocs = w->ndocs;
    in.doc_lo = w->doc_lo;
    in.doc_hi = w->doc_hi;
    in.dir_bits = w->bits;

    unsigned char h[SEG_HEADER_BYTES] = {0};
    memcpy(h + H_MAGIC, SEG_MAGIC, 8);
    tsr_put_u32(h + H_VERSION, SEG_FORMAT_VERSION);
    tsr_put_u32(h + H_HEADER_BYTES, SEG_HEADER_BYTES);
    tsr_put_u64(h + H_NPOSTINGS, in.npostings);
    tsr_put_u64(h + H_BODY_BYTES, in.bytes - SEG_HEADER_BYTES);
    tsr_put_u64(h + H_CHECKSUM, in.checksum);
    tsr_put_u32(h + H_NDOCS, in.ndocs);
    tsr_put_u32(h + H_DOC_LO, in.doc_lo);
    tsr_put_u32(h + H_DOC_HI, in.doc_hi);
    tsr_put_u32(h + H_DIR_BITS, in.dir_bits);
    tsr_put_u32(h + H_KEY_BITS, SEG_KEY_BITS);
    tsr_put_u32(h + H_HEADER_CHECK, (uint32_t)XXH3_64bits(h, H_HEADER_CHECK));
    TSR_FORWARD(pwrite_all(w->fd, h, sizeof h, 0, w->path, err));

    if (!w->nosync && fsync(w->fd) != 0)
        return tsr_seterr(err, tsr_io_status(errno), "%s: fsync: %s", w->path, strerror(errno));
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0)
        return tsr_seterr(err, tsr_io_status(errno), "%s: close: %s", w->path, strerror(errno));
    if (info)
        *info = in;
    return TSR_OK;
}

int seg_write(const char *path, const seg_posting *p, size_t n, uint32_t ndocs,
              uint32_t doc_lo, uint32_t doc_hi, seg_info *info, tsr_error *err)
{
    seg_writer *w;
    TSR_FORWARD(writer_open(path, n, ndocs, doc_lo, doc_hi, &w, err));
    int rc = TSR_OK;
    for (size_t i = 0; i < n && rc == TSR_OK; i++)
        rc = writer_push(w, SEG_ID(p[i].hash), p[i].doc, err);
    if (rc == TSR_OK)
        rc = writer_finish(w, info, err);
    writer_free(w, rc != TSR_OK);
    return rc;
}

/* ------------------------------------------------------------------------
 * Building a batch
 * --------------------------------------------------------------------- */
#define BATCH_BUCKETS ((size_t)1 << SEG_MIN_BITS)
#define BATCH_FIRST_CAP 16   /* entries of a bucket's first chunk */
#define BATCH_MAX_CAP 2048   /* and of its largest (16 KiB) */
#define SMALL_SORT 32        /* buckets up to this size: insertion sort */

/* One entry: bits 12..43 of the id (the segment's key) above the docno. */
static inline uint64_t batch_entry(uint64_t hash, uint32_t doc)
{
    return (hash >> (64u - SEG_KEY_BITS)) << 32 | doc;
}

void seg_batch_clear(seg_batch *b)
{
    if (b->bk)
        memset(b->bk, 0, BATCH_BUCKETS * sizeof *b->bk);
    tsr_arena_reset(&b->mem);
    b->n = 0;
    b->last_doc = 0;
}

void seg_batch_free(seg_batch *b)
{
    free(b->bk);
    tsr_arena_free(&b->mem);
    memset(b, 0, sizeof *b);
}

/* Room for one more entry at the end of bucket k: the chunk after its
 * tail when there is one (emptied by a failed add), else a new chunk as
 * large as the bucket (16 entries, doubling up to BATCH_MAX_CAP), from
 * the arena: nothing is copied or freed as buckets grow. */
static int bucket_grow(seg_batch *b, seg_bucket *k)
{
    if (k->tail && k->tail->next) {
        k->tail = k->tail->next;
        return 0;
    }
    size_t cap = k->n < BATCH_FIRST_CAP ? BATCH_FIRST_CAP
                 : k->n > BATCH_MAX_CAP ? BATCH_MAX_CAP : k->n;
    seg_chunk *c = tsr_arena_alloc(&b->mem, sizeof *c + cap * sizeof c->e[0]);
    if (!c)
        return -1;
    c->next = NULL;
    c->prev = k->tail;
    c->n = 0;
    c->cap = (uint32_t)cap;
    if (k->tail)
        k->tail->next = c;
    else
        k->head = c;
    k->tail = c;
    return 0;
}

int seg_batch_add(seg_batch *b, const uint64_t *hashes, size_t n, uint32_t doc, tsr_error *err)
{
    if (b->n > 0 && doc < b->last_doc)
        return tsr_seterr(err, TSR_ERR_INVALID, "postings of document %u after document %u",
                          doc, b->last_doc);
    if (n == 0)
        return TSR_OK;
    if (!b->bk && !(b->bk = calloc(BATCH_BUCKETS, sizeof *b->bk)))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for postings");
    seg_bucket *bk = b->bk;
    for (size_t i = 0; i < n; i++) {
        seg_bucket *k = &bk[hashes[i] >> (64u - SEG_MIN_BITS)];
        if (TSR_UNLIKELY(!k->tail || k->tail->n == k->tail->cap) && bucket_grow(b, k) != 0) {
            /* all or nothing: this document's entries are the last of
             * their buckets (an emptied chunk stays, for the next add) */
            while (i-- > 0) {
                seg_bucket *u = &bk[hashes[i] >> (64u - SEG_MIN_BITS)];
                if (u->tail->n == 0)
                    u->tail = u->tail->prev;
                u->tail->n--;
                u->n--;
            }
            return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for postings");
        }
        k->tail->e[k->tail->n++] = batch_entry(hashes[i], doc);
        k->n++;
    }
    b->n += n;
    b->last_doc = doc;
    return TSR_OK;
}

/* Sort a[0..n) by the key (the top 32 bits), stably, with tmp[0..n) as
 * scratch: an LSD radix sort of four 8-bit digits, whose 256-entry
 * counters and a bucket of a few thousand entries stay in the L1/L2
 * caches; insertion sort for the smallest.  Since the docnos below the
 * keys never decrease along the array, the result is in (key, docno)
 * order, that is in increasing order as 64-bit numbers. */
static void bucket_sort(uint64_t *a, uint64_t *tmp, size_t n)
{
    if (n <= SMALL_SORT) {
        for (size_t i = 1; i < n; i++) {
            const uint64_t v = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1] > v; j--)
                a[j] = a[j - 1];
            a[j] = v;
        }
        return;
    }
    uint32_t cnt[4][256];
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; i++) {
        const uint64_t v = a[i];
        cnt[0][(v >> 32) & 255]++;
        cnt[1][(v >> 40) & 255]++;
        cnt[2][(v >> 48) & 255]++;
        cnt[3][v >> 56]++;
    }
    uint64_t *src = a, *dst = tmp;
    for (unsigned d = 0; d < 4; d++) {
        uint32_t *c = cnt[d];
        const unsigned shift = 32 + 8 * d;
        if (c[(src[0] >> shift) & 255] == n)
            continue; /* one digit value: the pass would not move anything */
        uint32_t sum = 0;
        for (unsigned v = 0; v < 256; v++) {
            const uint32_t x = c[v];
            c[v] = sum;
            sum += x;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[(src[i] >> shift) & 255]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

int seg_batch_sort(seg_batch *b, tsr_error *err)
{
    if (b->n == 0)
        return TSR_OK;
    size_t most = 0;
    for (size_t k = 0; k < BATCH_BUCKETS; k++)
        if (b->bk[k].n > most)
            most = b->bk[k].n;
    if (most > UINT32_MAX)
        return tsr_seterr(err, TSR_ERR_TOOBIG, "%zu postings in one bucket of a batch", most);
    /* each bucket gathered into a, sorted with tmp, its repeats dropped,
     * and put back into its chunks in order */
    uint64_t *a = malloc((most ? most : 1) * sizeof *a);
    uint64_t *tmp = most > SMALL_SORT ? malloc(most * sizeof *tmp) : NULL;
    if (!a || (most > SMALL_SORT && !tmp)) {
        free(a);
        free(tmp);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory sorting %zu postings", most);
    }
    uint64_t total = 0;
    for (size_t k = 0; k < BATCH_BUCKETS; k++) {
        seg_bucket *bk = &b->bk[k];
        if (bk->n == 0)
            continue;
        size_t n = 0;
        for (seg_chunk *c = bk->head; c && n < bk->n; c = c->next) {
            memcpy(a + n, c->e, c->n * sizeof *a);
            n += c->n;
        }
        bucket_sort(a, tmp, n);
        size_t w = 1;
        for (size_t i = 1; i < n; i++)
            if (a[i] != a[w - 1])
                a[w++] = a[i];
        size_t i = 0;
        for (seg_chunk *c = bk->head; c; c = c->next) {
            const size_t m = w - i < c->cap ? w - i : c->cap;
            memcpy(c->e, a + i, m * sizeof *a);
            c->n = (uint32_t)m;
            i += m;
            if (m)
                bk->tail = c;
        }
        bk->n = w;
        total += w;
    }
    free(a);
    free(tmp);
    b->n = total;
    return TSR_OK;
}

int seg_batch_write(const char *path, seg_batch *b, uint32_t ndocs, uint32_t doc_lo,
                    uint32_t doc_hi, seg_info *info, tsr_error *err)
{
    TSR_FORWARD(seg_batch_sort(b, err));
    seg_writer *w;
    TSR_FORWARD(writer_open(path, b->n, ndocs, doc_lo, doc_hi, &w, err));
    w->nosync = b->nosync;
    int rc = TSR_OK;
    for (size_t k = 0; k < BATCH_BUCKETS && b->n > 0 && rc == TSR_OK; k++)
        for (const seg_chunk *c = b->bk[k].head; c && rc == TSR_OK; c = c->next)
            rc = writer_push_group(w, k, c->e, c->n, err);
    if (rc == TSR_OK)
        rc = writer_finish(w, info, err);
    writer_free(w, rc != TSR_OK);
    return rc;
}

/* ------------------------------------------------------------------------
 * Merging
 * --------------------------------------------------------------------- */

/* A read position in a segment; yields (id, doc) in segment order. */
typedef struct seg_cursor {
    const seg_file *s;
    uint64_t i, n;
    uint64_t b, nb;   /* current bucket, bucket count */
    uint64_t id;
    uint32_t doc;
    uint64_t ok_to;   /* entries below this one are in checked chunks */
    uint64_t dir_ok_to; /* and directory entries below this one */
} seg_cursor;

static uint32_t dir_at(const seg_file *s, uint64_t b) { return tsr_get_u32(s->dir + 4 * b); }
static uint32_t key_at(const seg_file *s, uint64_t i) { return tsr_get_u32(s->keys + 4 * i); }
static uint32_t doc_at(const seg_file *s, uint64_t i) { return tsr_get_u32(s->docs + 4 * i); }

/* ------------------------------------------------------------------------
 * Chunks checked as they are read (version 2)
 * --------------------------------------------------------------------- */

enum { CHUNK_UNSEEN = 0, CHUNK_GOOD = 1, CHUNK_BAD = 2 };

/* Chunks are numbered as the table holds their digests: the directory's
 * first (0 .. ndirchunks - 1), then the entries'. */
struct seg_lazy {
    _Atomic uint64_t bad;               /* 1 + the first bad chunk found, or 0 */
    _Atomic unsigned char state[];      /* per chunk: CHUNK_* */
};

/* Chunk k's first entry (of the directory or of the postings) and its
 * number of entries. */
static uint64_t chunk_span(const seg_file *s, uint64_t k, uint64_t *count)
{
    const int dir = k < s->ndirchunks;
    const uint64_t n = dir ? ((uint64_t)1 << s->info.dir_bits) + 1 : s->info.npostings;
    const uint64_t lo = (dir ? k : k - s->ndirchunks) * SEG_CHUNK_ENTRIES;
    *count = n - lo < SEG_CHUNK_ENTRIES ? n - lo : SEG_CHUNK_ENTRIES;
    return lo;
}

/* Chunk k's digest, computed from the file. */
static uint64_t chunk_sum(const seg_file *s, uint64_t k)
{
    uint64_t count;
    const uint64_t lo = chunk_span(s, k, &count);
    if (k < s->ndirchunks)
        return XXH3_64bits(s->dir + 4 * lo, 4 * count);
    return chunk_digest(s->keys + 4 * lo, s->docs + 4 * lo, 4 * count);
}

/* Whether chunk k matches its digest in the table. */
static int chunk_matches(const seg_file *s, uint64_t k)
{
    return chunk_sum(s, k) == tsr_get_u64(s->table + 8 * k);
}

/* The first chunk that does not match the table, or UINT64_MAX. */
static uint64_t first_bad_chunk(const seg_file *s)
{
    for (uint64_t k = 0; k < s->ndirchunks + s->nchunks; k++)
        if (!chunk_matches(s, k))
            return k;
    return UINT64_MAX;
}

/* TSR_ERR_CHECKSUM naming the file and chunk k's entries, after `what`
 * ("" or a phrase ending in ": "). */
static int chunk_error(const seg_file *s, uint64_t k, const char *what, tsr_error *err)
{
    uint64_t count;
    const uint64_t lo = chunk_span(s, k, &count);
    return tsr_seterr(err, TSR_ERR_CHECKSUM, "%s: %s%s %" PRIu64 "..%" PRIu64
                      " do not match their checksum (chunk %" PRIu64 " of the table)",
                      s->path, what, k < s->ndirchunks ? "directory entries" : "postings", lo,
                      lo + count - 1, k);
}

/* Whether chunk k matches its digest in the table, checked once per
 * seg_file (threads may check the same chunk at once: both get the same
 * answer).  A bad chunk marks the segment for seg_fault. */
static int chunk_ok(const seg_file *s, uint64_t k)
{
    seg_lazy *lz = s->lazy;
    if (!lz)
        return 1;   /* version 1, checked whole when mapped */
    const unsigned char st = atomic_load_explicit(&lz->state[k], memory_order_acquire);
    if (TSR_LIKELY(st == CHUNK_GOOD))
        return 1;
    if (st == CHUNK_BAD)
        return 0;
    const int good = chunk_matches(s, k);
    atomic_store_explicit(&lz->state[k], good ? CHUNK_GOOD : CHUNK_BAD, memory_order_release);
    if (!good) {
        uint64_t none = 0;
        atomic_compare_exchange_strong(&lz->bad, &none, k + 1);
    }
    return good;
}

/* Whether directory entries b and b + 1 lie in good chunks. */
static int dir_ok(const seg_file *s, uint64_t b)
{
    return !s->lazy || (chunk_ok(s, b / SEG_CHUNK_ENTRIES) &&
                        chunk_ok(s, (b + 1) / SEG_CHUNK_ENTRIES));
}

/* Whether the entries [lo, hi) lie in good chunks (checking them). */
static int entries_ok(const seg_file *s, uint64_t lo, uint64_t hi)
{
    if (!s->lazy || hi <= lo)
        return 1;
    for (uint64_t k = lo / SEG_CHUNK_ENTRIES; k <= (hi - 1) / SEG_CHUNK_ENTRIES; k++)
        if (!chunk_ok(s, s->ndirchunks + k))
            return 0;
    return 1;
}

/* Every chunk good: the whole body matched its checksum. */
static void chunks_all_good(const seg_file *s)
{
    for (uint64_t k = 0; s->lazy && k < s->ndirchunks + s->nchunks; k++)
        atomic_store_explicit(&s->lazy->state[k], CHUNK_GOOD, memory_order_release);
}

uint64_t seg_chunks_checked(const seg_file *s)
{
    uint64_t n = 0;
    for (uint64_t k = 0; s->lazy && k < s->ndirchunks + s->nchunks; k++)
        n += atomic_load(&s->lazy->state[k]) != CHUNK_UNSEEN;
    return n;
}

int seg_fault(const seg_file *s, tsr_error *err)
{
    const uint64_t bad = s->lazy ? atomic_load(&s->lazy->bad) : 0;
    return bad ? chunk_error(s, bad - 1, "", err) : TSR_OK;
}

/* Load the entry at c->i (c->i < c->n).  Returns 0, or -1 when the
 * directory does not account for the entry or its chunk fails its
 * checksum (a damaged file). */
static int cursor_load(seg_cursor *c)
{
    if (TSR_UNLIKELY(c->i >= c->ok_to)) {
        const uint64_t k = c->i / SEG_CHUNK_ENTRIES;
        if (!chunk_ok(c->s, c->s->ndirchunks + k))
            return -1;
        c->ok_to = (k + 1) * SEG_CHUNK_ENTRIES;
    }
    for (;;) {
        if (c->b >= c->nb)
            return -1;
        if (TSR_UNLIKELY(c->b + 1 >= c->dir_ok_to)) {
            const uint64_t k = (c->b + 1) / SEG_CHUNK_ENTRIES;
            if (!chunk_ok(c->s, k))
                return -1;
            c->dir_ok_to = (k + 1) * SEG_CHUNK_ENTRIES;
        }
        if (dir_at(c->s, c->b + 1) > c->i)
            break;
        c->b++;
    }
    const unsigned hi_shift = c->s->info.dir_bits - SEG_MIN_BITS;
    c->id = ((c->b >> hi_shift) << 32) | key_at(c->s, c->i);
    c->doc = doc_at(c->s, c->i);
    return 0;
}

/* The error of a cursor that failed to load: its segment's damaged chunk
 * (seg_fault), else its directory. */
static int cursor_error(const seg_cursor *c, tsr_error *err)
{
    TSR_FORWARD(seg_fault(c->s, err));
    return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: bad directory at entry %" PRIu64,
                      c->s->path, c->i);
}

static int cursor_less(const seg_cursor *a, const seg_cursor *b)
{
    /* documents by their numbers in the whole index (seg_file.base) */
    return a->id < b->id ||
           (a->id == b->id && (uint64_t)a->doc + a->s->base < (uint64_t)b->doc + b->s->base);
}

static void heap_down(seg_cursor **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && cursor_less(h[l], h[m]))
            m = l;
        if (l + 1 < n && cursor_less(h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        seg_cursor *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* The merge goes one top-level group at a time (the first SEG_MIN_BITS
 * bits of the ids, 2^12 groups): an input's entries of group g are one
 * range, which its directory gives whatever its B, sorted by key, then
 * docno.  They are gathered as 64-bit numbers, key above docno (the
 * inputs share one base: they are segments of one index or shard, with
 * disjoint documents), merged two runs at a time, and pushed as a block
 * (writer_push_group).  A heap of cursors taking one entry at a time, the
 * earlier way, spent half of the merge's time on the cursors' reloads and
 * comparisons (BENCHMARKS.md, "The merge by groups"). */
#define MERGE_GROUPS ((uint64_t)1 << SEG_MIN_BITS)

typedef struct merge_buf {
    uint64_t *a, *b;    /* the group's runs, and scratch as large */
    size_t cap;
    size_t *at;         /* per input: the first entry of the next group;
                         * then nin + 2 more, the bounds of the runs */
} merge_buf;

/* Merge the sorted runs a[r[i] .. r[i + 1]), i < m, into one (in a or in
 * b: the returned array), two at a time. */
static uint64_t *merge_runs(uint64_t *a, uint64_t *b, size_t *r, size_t m)
{
    while (m > 1) {
        size_t o = 0, nm = 0;
        for (size_t p = 0; p < m; p += 2) {
            const size_t x0 = r[p], x1 = r[p + 1];
            const size_t y1 = p + 1 < m ? r[p + 2] : x1;
            size_t i = x0, j = x1;
            r[nm++] = o;
            while (i < x1 && j < y1) {
                const uint64_t x = a[i], y = a[j];
                const int t = y < x;
                b[o++] = t ? y : x;
                i += !t;
                j += t;
            }
            while (i < x1) b[o++] = a[i++];
            while (j < y1) b[o++] = a[j++];
        }
        r[nm] = o;
        m = nm;
        uint64_t *t = a;
        a = b;
        b = t;
    }
    return a;
}

/* Group g of every input into the writer. */
static int merge_group(seg_writer *w, seg_file *const *in, size_t nin, const seg_dead *dead,
                       uint64_t g, merge_buf *mb, tsr_error *err)
{
    size_t *r = mb->at + nin;   /* the runs' bounds */
    size_t total = 0;
    for (size_t k = 0; k < nin; k++) {
        const seg_file *s = in[k];
        if (s->info.npostings == 0)
            continue;
        const unsigned shift = s->info.dir_bits - SEG_MIN_BITS;
        const uint64_t d1 = (g + 1) << shift;
        if (!chunk_ok(s, (g << shift) / SEG_CHUNK_ENTRIES) || !chunk_ok(s, d1 / SEG_CHUNK_ENTRIES))
            return cursor_error(&(seg_cursor){ .s = s, .i = mb->at[k] }, err);
        const uint32_t end = dir_at(s, d1);
        if (dir_at(s, g << shift) != mb->at[k] || end < mb->at[k] || end > s->info.npostings)
            return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: bad directory at entry %zu", s->path,
                              mb->at[k]);
        total += end - mb->at[k];
    }
    if (total > mb->cap) {
        const size_t cap = total > 2 * mb->cap ? total : 2 * mb->cap;
        free(mb->a);
        free(mb->b);
        mb->a = malloc(cap * sizeof *mb->a);
        mb->b = malloc(cap * sizeof *mb->b);
        mb->cap = mb->a && mb->b ? cap : 0;
        if (!mb->cap)
            return tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory", w->path);
    }
    size_t m = 0, o = 0;
    for (size_t k = 0; k < nin; k++) {
        const seg_file *s = in[k];
        if (s->info.npostings == 0)
            continue;
        const size_t from = mb->at[k];
        const size_t to = dir_at(s, (g + 1) << (s->info.dir_bits - SEG_MIN_BITS));
        if (!entries_ok(s, from, to))
            return cursor_error(&(seg_cursor){ .s = s, .i = from }, err);
        r[m++] = o;
        for (size_t i = from; i < to; i++) {
            const uint32_t doc = doc_at(s, i);
            if (!seg_is_dead(dead, doc))
                mb->a[o++] = (uint64_t)key_at(s, i) << 32 | doc;
        }
        mb->at[k] = to;
    }
    r[m] = o;
    const uint64_t *e = merge_runs(mb->a, mb->b, r, m);
    return writer_push_group(w, g, e, o, err);
}

int seg_merge(const char *path, seg_file *const *in, size_t nin, seg_info *info,
              tsr_error *err)
{
    return seg_merge_live(path, in, nin, NULL, info, err);
}

int seg_merge_live(const char *path, seg_file *const *in, size_t nin, const seg_dead *dead,
                   seg_info *info, tsr_error *err)
{
    uint64_t n = 0, ndocs = 0;
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t k = 0; k < nin; k++) {
        const seg_file *s = in[k];
        ndocs += s->info.ndocs;
        if (s->info.ndocs || dead) {
            if (s->info.doc_lo < lo) lo = s->info.doc_lo;
            if (s->info.doc_hi > hi) hi = s->info.doc_hi;
        }
        if (!dead) {
            n += s->info.npostings;
            continue;
        }
        /* the output's size is fixed before it is written: count the
         * postings and documents that stay */
        for (uint64_t i = 0; i < s->info.npostings; i++)
            n += !seg_is_dead(dead, doc_at(s, i));
        uint64_t gone = 0;
        for (uint64_t d = s->info.doc_lo; s->info.ndocs && d <= s->info.doc_hi && d < dead->n; d++)
            gone += seg_is_dead(dead, (uint32_t)d);
        if (gone > s->info.ndocs)
            return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: %" PRIu64 " removed documents in"
                              " %u..%u, more than its %u", s->path, gone, s->info.doc_lo,
                              s->info.doc_hi, s->info.ndocs);
        ndocs -= gone;
    }
    if (lo > hi)
        lo = hi = 0;
    if (ndocs > UINT32_MAX)
        return tsr_seterr(err, TSR_ERR_TOOBIG, "%s: too many documents", path);

    for (size_t k = 1; k < nin; k++)
        if (in[k]->base != in[0]->base)
            return tsr_seterr(err, TSR_ERR_INVALID, "%s: merging segments of different shards",
                              path);
    merge_buf mb = { 0 };
    if (!(mb.at = calloc(2 * nin + 2, sizeof *mb.at)))
        return tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    seg_writer *w = NULL;
    int rc = writer_open(path, n, (uint32_t)ndocs, lo, hi, &w, err);
    for (uint64_t g = 0; g < MERGE_GROUPS && rc == TSR_OK; g++)
        rc = merge_group(w, in, nin, dead, g, &mb, err);
    if (rc == TSR_OK)
        rc = writer_finish(w, info, err);
    writer_free(w, rc != TSR_OK);
    free(mb.a);
    free(mb.b);
    free(mb.at);
    return rc;
}

/* ------------------------------------------------------------------------
 * Opening and lookup
 * --------------------------------------------------------------------- */

static int check_header(seg_file *s, tsr_error *err)
{
    const unsigned char *h = s->map;
    const char *path = s->path;
    if (memcmp(h + H_MAGIC, SEG_MAGIC, 8) != 0)
        return tsr_seterr(err, TSR_ERR_FORMAT, "%s: not a tessera segment (bad magic)", path);
    /* Bytes 8..16 (version, header size) and the header check in the last
     * 4 header bytes keep their place in every format version. */
    const uint32_t hbytes = tsr_get_u32(h + H_HEADER_BYTES);
    if (hbytes < SEG_HEADER_BYTES || hbytes > s->size || hbytes % 8 != 0)
        return tsr_seterr(err, hbytes > s->size ? TSR_ERR_FORMAT : TSR_ERR_CHECKSUM,
                          "%s: bad header size %u (file has %zu bytes)", path, hbytes, s->size);
    if (tsr_get_u32(h + hbytes - 4) != (uint32_t)XXH3_64bits(h, hbytes - 4))
        return tsr_seterr(err, TSR_ERR_CHECKSUM, "%s: header checksum mismatch (garbled header)",
                          path);
    const uint32_t version = tsr_get_u32(h + H_VERSION);
    if (version < SEG_FORMAT_OLDEST || version > SEG_FORMAT_VERSION)
        return tsr_seterr(err, TSR_ERR_VERSION,
                          "%s: segment format version %u, this build reads versions %u to %u",
                          path, version, SEG_FORMAT_OLDEST, SEG_FORMAT_VERSION);
    s->version = version;
    if (hbytes != SEG_HEADER_BYTES || tsr_get_u32(h + H_KEY_BITS) != SEG_KEY_BITS)
        return tsr_seterr(err, TSR_ERR_FORMAT, "%s: unexpected header size or key width", path);

    seg_info *in = &s->info;
    in->npostings = tsr_get_u64(h + H_NPOSTINGS);
    in->checksum = tsr_get_u64(h + H_CHECKSUM);
    in->ndocs = tsr_get_u32(h + H_NDOCS);
    in->doc_lo = tsr_get_u32(h + H_DOC_LO);
    in->doc_hi = tsr_get_u32(h + H_DOC_HI);
    in->dir_bits = tsr_get_u32(h + H_DIR_BITS);
    const uint64_t body = tsr_get_u64(h + H_BODY_BYTES);
    if (in->dir_bits < SEG_MIN_BITS || in->dir_bits > SEG_MAX_BITS ||
        in->npostings > SEG_MAX_POSTINGS ||
        body != seg_body_bytes(in->dir_bits, in->npostings, version))
        return tsr_seterr(err, TSR_ERR_FORMAT,
                          "%s: inconsistent header (%" PRIu64 " postings, %u directory bits, "
                          "body %" PRIu64 " bytes)", path, in->npostings, in->dir_bits, body);
    in->bytes = SEG_HEADER_BYTES + body;
    if (s->size < in->bytes)
        return tsr_seterr(err, TSR_ERR_FORMAT,
                          "%s: truncated: %zu bytes, the header says %" PRIu64, path,
                          s->size, in->bytes);
    if (s->size > in->bytes)
        return tsr_seterr(err, TSR_ERR_FORMAT,
                          "%s: %zu bytes, the header says %" PRIu64 " (trailing garbage)",
                          path, s->size, in->bytes);
    s->dir = s->map + SEG_HEADER_BYTES;
    s->keys = s->dir + 4 * (((uint64_t)1 << in->dir_bits) + 1);
    s->docs = s->keys + 4 * in->npostings;
    if (version >= 2) {
        s->table = s->docs + 4 * in->npostings;
        s->ndirchunks = seg_ndirchunks(in->dir_bits);
        s->nchunks = seg_nchunks(in->npostings);
    }
    if (dir_at(s, 0) != 0 || dir_at(s, (uint64_t)1 << in->dir_bits) != in->npostings)
        return tsr_seterr(err, TSR_ERR_FORMAT, "%s: directory does not span the %" PRIu64
                          " postings", path, in->npostings);
    return TSR_OK;
}

int seg_open(const char *path, seg_file **out, tsr_error *err)
{
    *out = NULL;
    seg_file *s = calloc(1, sizeof *s);
    TSR_CHECK_ALLOC(s, err);
    s->path = tsr_strndup(path, strlen(path));
    if (!s->path) {
        free(s);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        seg_close(s);
        return tsr_seterr(err, e == ENOENT ? TSR_ERR_NOTFOUND : TSR_ERR_IO,
                          "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        seg_close(s);
        return tsr_seterr(err, TSR_ERR_IO, "%s: stat: %s", path, strerror(e));
    }
    if (st.st_size < (off_t)SEG_HEADER_BYTES) {
        close(fd);
        seg_close(s);
        return tsr_seterr(err, TSR_ERR_FORMAT,
                          "%s: truncated: %lld bytes, shorter than the %u-byte header",
                          path, (long long)st.st_size, SEG_HEADER_BYTES);
    }
    s->size = (size_t)st.st_size;
    void *m = mmap(NULL, s->size, PROT_READ, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        s->size = 0;
        seg_close(s);
        return tsr_seterr(err, TSR_ERR_IO, "%s: mmap: %s", path, strerror(e));
    }
    s->map = m;
    int rc = check_header(s, err);
    if (rc == TSR_OK && s->table) {
        s->lazy = malloc(sizeof *s->lazy + s->ndirchunks + s->nchunks);
        if (!s->lazy) {
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory", path);
        } else {
            atomic_init(&s->lazy->bad, 0);
            for (uint64_t k = 0; k < s->ndirchunks + s->nchunks; k++)
                atomic_init(&s->lazy->state[k], CHUNK_UNSEEN);
        }
    }
    if (rc != TSR_OK) {
        seg_close(s);
        return rc;
    }
    *out = s;
    return TSR_OK;
}

void seg_close(seg_file *s)
{
    if (!s)
        return;
    if (s->map)
        munmap((void *)s->map, s->size);
    free(s->lazy);
    free(s->path);
    free(s);
}

void seg_prefetch(const seg_file *s, uint64_t hash, int stage)
{
    const uint64_t b = hash >> (64u - s->info.dir_bits);
    if (stage == 0) {
        __builtin_prefetch(s->dir + 4 * b);
        return;
    }
    const uint32_t lo = dir_at(s, b);
    if (lo < s->info.npostings) {
        __builtin_prefetch(s->keys + 4 * (uint64_t)lo);
        __builtin_prefetch(s->docs + 4 * (uint64_t)lo);
    }
}

/* The entries [*first, *first + count) of fingerprint `hash`; the count. */
static size_t seg_range(const seg_file *s, uint64_t hash, uint32_t *first_out)
{
    const uint64_t b = hash >> (64u - s->info.dir_bits);
    const uint32_t key = (uint32_t)SEG_ID(hash);
    const uint32_t lo = dir_at(s, b), hi = dir_at(s, b + 1);
    *first_out = 0;
    if (TSR_UNLIKELY(!dir_ok(s, b)))
        return 0; /* a damaged chunk: seg_fault reports it */
    if (TSR_UNLIKELY(hi > s->info.npostings || lo > hi))
        return 0; /* corrupt directory: tsr_index_verify reports it */
    if (TSR_UNLIKELY(!entries_ok(s, lo, hi)))
        return 0; /* a damaged chunk: seg_fault reports it */
    uint32_t a = lo, z = hi;
    while (a < z) { /* first entry with key >= `key` */
        const uint32_t m = a + (z - a) / 2;
        if (key_at(s, m) < key) a = m + 1; else z = m;
    }
    const uint32_t first = a;
    z = hi;
    while (a < z) { /* first entry with key > `key` */
        const uint32_t m = a + (z - a) / 2;
        if (key_at(s, m) <= key) a = m + 1; else z = m;
    }
    *first_out = first;
    return a - first;
}

size_t seg_lookup(const seg_file *s, uint64_t hash, uint32_t *docs, size_t max)
{
    uint32_t first;
    const size_t count = seg_range(s, hash, &first);
    const size_t copy = count < max ? count : max;
    for (size_t i = 0; i < copy; i++)
        docs[i] = doc_at(s, first + i) + s->base;
    return count;
}

size_t seg_lookup_live(const seg_file *s, uint64_t hash, const seg_dead *dead, uint32_t *docs,
                       size_t max)
{
    if (!dead)
        return seg_lookup(s, hash, docs, max);
    uint32_t first;
    const size_t count = seg_range(s, hash, &first);
    size_t live = 0;
    for (size_t i = 0; i < count; i++) {
        const uint32_t d = doc_at(s, first + i);
        if (seg_is_dead(dead, d))
            continue;
        if (live < max)
            docs[live] = d + s->base;
        live++;
    }
    return live;
}

/* ------------------------------------------------------------------------
 * Verification
 * --------------------------------------------------------------------- */

/* The table's own digest (version 2). */
static int check_table(const seg_file *s, tsr_error *err)
{
    const uint64_t nt = s->ndirchunks + s->nchunks;
    if (XXH3_64bits(s->table, 8 * nt) != tsr_get_u64(s->table + 8 * nt))
        return tsr_seterr(err, TSR_ERR_CHECKSUM, "%s: the chunk table does not match its "
                          "checksum", s->path);
    return TSR_OK;
}

int seg_verify(const seg_file *s, int level, tsr_error *err)
{
    const seg_info *in = &s->info;
    const uint64_t nb = (uint64_t)1 << in->dir_bits;
    if (level == SEG_CHECK_OPEN && s->table)
        return check_table(s, err);
    unsigned char dig[32];
    tsr_put_u64(dig, XXH3_64bits(s->dir, 4 * (nb + 1)));
    tsr_put_u64(dig + 8, XXH3_64bits(s->keys, 4 * in->npostings));
    tsr_put_u64(dig + 16, XXH3_64bits(s->docs, 4 * in->npostings));
    size_t dlen = 24;
    if (s->table) {
        tsr_put_u64(dig + 24, XXH3_64bits(s->table, 8 * (s->ndirchunks + s->nchunks + 1)));
        dlen = 32;
    }
    const uint64_t sum = XXH3_64bits(dig, dlen);
    if (sum != in->checksum) {
        /* version 2: where, when the table is sound: its first bad chunk */
        const uint64_t k = s->table && check_table(s, NULL) == TSR_OK ? first_bad_chunk(s)
                                                                     : UINT64_MAX;
        if (k != UINT64_MAX)
            return chunk_error(s, k, "body checksum mismatch: ", err);
        return tsr_seterr(err, TSR_ERR_CHECKSUM,
                          "%s: body checksum mismatch: computed %016" PRIx64
                          ", header says %016" PRIx64, s->path, sum, in->checksum);
    }
    if (level != SEG_CHECK_DEEP) {
        chunks_all_good(s);   /* every byte as written */
        return TSR_OK;
    }
    if (s->table) {   /* the table as the writer should have made it */
        TSR_FORWARD(check_table(s, err));
        const uint64_t k = first_bad_chunk(s);
        if (k != UINT64_MAX)
            return chunk_error(s, k, "", err);
        chunks_all_good(s);
    }

    for (uint64_t b = 0; b < nb; b++) {
        if (dir_at(s, b) > dir_at(s, b + 1))
            return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: directory entry %" PRIu64
                              " decreases", s->path, b);
    }
    seg_cursor c = { .s = s, .n = in->npostings, .nb = nb };
    uint64_t last_id = 0;
    uint32_t last_doc = 0;
    for (; c.i < c.n; c.i++) {
        if (cursor_load(&c) != 0)
            return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: bad directory at entry %" PRIu64,
                              s->path, c.i);
        if ((c.id >> (SEG_KEY_BITS - in->dir_bits)) != c.b)
            return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: entry %" PRIu64 " is in bucket %"
                              PRIu64 " but its key belongs elsewhere", s->path, c.i, c.b);
        if (c.i > 0 && (c.id < last_id || (c.id == last_id && c.doc <= last_doc)))
            return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: entry %" PRIu64 " out of order",
                              s->path, c.i);
        if (c.doc < in->doc_lo || c.doc > in->doc_hi)
            return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: entry %" PRIu64 " has doc %u outside"
                              " the segment's range %u..%u", s->path, c.i, c.doc,
                              in->doc_lo, in->doc_hi);
        last_id = c.id;
        last_doc = c.doc;
    }
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * Scanning: all postings of several segments, grouped by fingerprint
 * --------------------------------------------------------------------- */

struct seg_scan {
    seg_cursor *cur;
    seg_cursor **heap;
    size_t nh;
    TSR_VEC(uint32_t) docs;
    const seg_cursor *failed;  /* where seg_scan_next found damage, or NULL */
    int oom;                   /* seg_scan_next ran out of memory */
};


int seg_scan_open(seg_file *const *in, size_t nin, unsigned part_bits, uint64_t part,
                  seg_scan **out, tsr_error *err)
{
    *out = NULL;
    if (part_bits > SEG_MIN_BITS || part >= ((uint64_t)1 << part_bits))
        return tsr_seterr(err, TSR_ERR_INVALID, "seg_scan_open: bad partition");
    seg_scan *sc = calloc(1, sizeof *sc);
    if (sc) {
        sc->cur = calloc(nin ? nin : 1, sizeof *sc->cur);
        sc->heap = calloc(nin ? nin : 1, sizeof *sc->heap);
    }
    if (!sc || !sc->cur || !sc->heap) {
        seg_scan_close(sc);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < nin; k++) {
        seg_cursor *c = &sc->cur[k];
        const unsigned bits = in[k]->info.dir_bits;
        /* the partition's buckets: those whose top part_bits equal `part` */
        const uint64_t b0 = part << (bits - part_bits), b1 = (part + 1) << (bits - part_bits);
        c->s = in[k];
        c->nb = (uint64_t)1 << bits;
        c->b = b0;
        if (!dir_ok(in[k], b0) || !dir_ok(in[k], b1 - 1)) {
            const int rc = seg_fault(in[k], err);
            seg_scan_close(sc);
            return rc;
        }
        c->i = dir_at(in[k], b0);
        c->n = dir_at(in[k], b1);
        if (c->n > in[k]->info.npostings || c->i > c->n) {
            seg_scan_close(sc);
            return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: bad directory", in[k]->path);
        }
        if (c->i == c->n)
            continue;
        if (cursor_load(c) != 0) {
            const int rc = cursor_error(c, err);
            seg_scan_close(sc);
            return rc;
        }
        sc->heap[sc->nh++] = c;
    }
    for (size_t i = sc->nh / 2; i-- > 0;)
        heap_down(sc->heap, sc->nh, i);
    *out = sc;
    return TSR_OK;
}

long seg_scan_next(seg_scan *sc, uint64_t *id, const uint32_t **docs)
{
    sc->docs.n = 0;
    if (sc->nh == 0)
        return 0;
    const uint64_t want = sc->heap[0]->id;
    while (sc->nh > 0 && sc->heap[0]->id == want) {
        seg_cursor *c = sc->heap[0];
        if (tsr_vec_push(&sc->docs, c->doc + c->s->base)) {
            sc->oom = 1;
            return -1;
        }
        if (++c->i == c->n) {
            sc->heap[0] = sc->heap[--sc->nh];
        } else if (cursor_load(c) != 0) {
            sc->failed = c;
            return -1;
        }
        heap_down(sc->heap, sc->nh, 0);
    }
    *id = want;
    *docs = sc->docs.a;
    return (long)sc->docs.n;
}

int seg_scan_error(const seg_scan *sc, tsr_error *err)
{
    if (sc->failed)
        return cursor_error(sc->failed, err);
    if (sc->oom)
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory scanning segments");
    return TSR_OK;
}

void seg_scan_close(seg_scan *sc)
{
    if (!sc) return;
    free(sc->cur);
    free(sc->heap);
    tsr_vec_free(&sc->docs);
    free(sc);
}
