/*
 * cache.c - tokenized documents kept in memory between checks.
 *
 * Why.  A check aligns its text with up to max_candidates documents, and
 * each must be read from the catalog, decompressed and cut into words:
 * about half of the time of a check of 1,000 words against a news index.
 * A server that checks many texts against one index meets the same
 * documents again and again (the wire story fifty outlets reprint is a
 * candidate of all fifty), so it keeps their words, and the fields a report
 * names, in memory up to a byte budget (tsr_index_set_cache).  The words
 * are exactly what tsr_tokenize gives, so a check answers the same with or
 * without the cache.
 *
 * How.  Entries are found by document number in a chained hash table.
 * Their memory comes in blocks (a sixteenth of the budget, 4 KB to 8 MB;
 * an entry over half a block has one of its own), filled in order and
 * evicted whole, oldest first (FIFO), skipping a block that holds an
 * entry someone holds.  An entry found (dc_get) in the oldest quarter of
 * the blocks is copied to the newest first, so that a document read again
 * and again stays, as it did in the least-recently-used order (CLOCK)
 * the cache had before.  Why blocks and not malloc per entry: the cache is
 * most of discovery's memory, and filled once, entry by entry, it came as
 * fresh 4 KB pages, one page fault (about 12 us on this project's host)
 * each: 65,000 faults, 15% of `tessera discover`'s CPU at 100,000
 * documents.  Blocks of 2 MB and more lie on transparent huge pages
 * (tsr_huge_alloc; BENCHMARKS.md, "The document cache on huge pages").
 * One mutex guards it all; holds are counted per entry and per block, so
 * that an entry held by one check is never freed under it.  Documents never change once committed (ids are unique,
 * nothing is deleted), so an entry is never stale; a reader whose index
 * directory was replaced calls dc_clear.
 */
/* PTHREAD_MUTEX_ADAPTIVE_NP is declared under _GNU_SOURCE (glibc) */
#define _GNU_SOURCE 1
#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>

#define DC_ALIGN ((size_t)16)
#define DC_BLOCK_MIN ((size_t)4 << 10)
#define DC_BLOCK_MAX ((size_t)8 << 20)

typedef struct dc_block dc_block;

typedef struct dc_entry {
    dc_doc d;                  /* first member: a dc_doc * is a dc_entry * */
    struct dc_entry *next;     /* hash chain */
    dc_block *blk;
    size_t bytes;              /* its size in the block, DC_ALIGN'ed */
    int refs;                  /* holds on it (its block counts them too) */
    int linked;                /* in the table (else replaced or cleared) */
} dc_entry;

/* Entries laid out from base, `used` bytes of `size`; `refs` counts the
 * holds on all of them. */
struct dc_block {
    dc_block *next;            /* the FIFO: oldest first; a block is one
                                * malloc, this header at its start */
    char *base;
    size_t size, used;
    size_t refs;
    uint64_t seq;              /* blocks made before it */
};

struct dcache {
    pthread_mutex_t mu;
    size_t budget, bytes;      /* bytes: the blocks' sizes, summed */
    size_t content;            /* the entries' sizes in the table, summed */
    size_t blksz;
    dc_block *oldest, *newest, *cur;   /* cur: where entries go, or NULL */
    dc_block *spare;           /* an evicted block of blksz bytes, or NULL:
                                * the next block made is this one (its
                                * bytes stay counted) */
    size_t nblocks;
    uint64_t seq;              /* blocks made */
    uint64_t allocs;           /* blocks taken from malloc */
    dc_entry **bucket;
    size_t nbucket;            /* a power of two */
    size_t ndocs;              /* entries in the table */
    uint64_t hits, misses;
    _Atomic int full;          /* a block was evicted to make room */
};

/* The one mutex is taken two or three times a pair by each discovery
 * worker (dc_get, dc_put, dc_release) and held for a lookup or a copy:
 * an adaptive mutex spins a while before it sleeps, where a plain one
 * went to the kernel (futex calls 38,000 -> 6,800 in `tessera discover`
 * of 100,000 documents on 2 cores, CPU -8%: BENCHMARKS.md).  A plain one
 * where the C library has no such kind. */
static int cache_mutex_init(pthread_mutex_t *mu)
{
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    pthread_mutexattr_t ma;
    if (pthread_mutexattr_init(&ma) == 0) {
        const int rc = pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP) == 0
                           ? pthread_mutex_init(mu, &ma) : pthread_mutex_init(mu, NULL);
        pthread_mutexattr_destroy(&ma);
        return rc;
    }
#endif
    return pthread_mutex_init(mu, NULL);
}

static size_t slot_of(const dcache *c, int64_t docno)
{
    return (size_t)(((uint64_t)docno * 0x9E3779B97F4A7C15ull) >> 20) & (c->nbucket - 1);
}

dcache *dc_new(size_t budget)
{
    dcache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->budget = budget;
    size_t b = budget / 16 & ~(DC_ALIGN - 1);
    b = b < DC_BLOCK_MIN ? DC_BLOCK_MIN : b > DC_BLOCK_MAX ? DC_BLOCK_MAX : b;
    if (b >= TSR_HUGE_PAGE)
        b &= ~(TSR_HUGE_PAGE - 1);
    if (b > budget)   /* a small budget: blocks no larger than it */
        b = budget & ~(DC_ALIGN - 1);
    c->blksz = b;
    c->nbucket = 1024;
    c->bucket = calloc(c->nbucket, sizeof *c->bucket);
    if (!c->bucket || cache_mutex_init(&c->mu) != 0) {
        free(c->bucket);
        free(c);
        return NULL;
    }
    return c;
}

void dc_free(dcache *c)
{
    if (!c)
        return;
    for (dc_block *b = c->oldest, *nx; b; b = nx) {
        nx = b->next;
        free(b);
    }
    free(c->spare);
    free(c->bucket);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static dc_entry *find(const dcache *c, int64_t docno)
{
    dc_entry *e = c->bucket[slot_of(c, docno)];
    while (e && e->d.docno != docno)
        e = e->next;
    return e;
}

/* Put e in the table, held once. */
static void link_held(dcache *c, dc_entry *e)
{
    const size_t s = slot_of(c, e->d.docno);
    e->next = c->bucket[s];
    c->bucket[s] = e;
    e->linked = 1;
    c->ndocs++;
    c->content += e->bytes;
    e->refs++;
    e->blk->refs++;
}

/* Take e out of the table; its memory stays in its block. */
static void unlink_entry(dcache *c, dc_entry *e)
{
    dc_entry **p = &c->bucket[slot_of(c, e->d.docno)];
    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    e->next = NULL;
    e->linked = 0;
    c->ndocs--;
    c->content -= e->bytes;
}

/* Unlink the entries of b and free it, or keep it as the spare; prev is
 * the block before it in the FIFO (NULL for the oldest).  b holds no hold
 * (refs 0).  Why a spare: a block freed goes back to the kernel (8 MB is
 * past malloc's mmap threshold), and the next one comes as fresh pages,
 * each zeroed by the kernel on its first touch; a cache that is full
 * evicts a block for every block it fills, so `tessera discover` spent
 * more time zeroing pages than aligning some documents (BENCHMARKS.md,
 * "Evicted blocks used again"). */
static void evict_block(dcache *c, dc_block *prev, dc_block *b)
{
    for (size_t at = 0; at < b->used;) {
        dc_entry *e = (dc_entry *)(void *)(b->base + at);
        if (e->linked)
            unlink_entry(c, e);
        at += e->bytes;
    }
    if (prev)
        prev->next = b->next;
    else
        c->oldest = b->next;
    if (c->newest == b)
        c->newest = prev;
    if (c->cur == b)
        c->cur = NULL;
    c->nblocks--;
    if (!c->spare && b->size == c->blksz) {
        c->spare = b;
        return;
    }
    c->bytes -= b->size;
    free(b);
}

/* The bytes of blocks in use: the spare is room. */
static size_t in_use(const dcache *c)
{
    return c->bytes - (c->spare ? c->spare->size : 0);
}

/* Evict the oldest blocks not held until `size` more bytes of blocks fit
 * the budget; 0, or -1 when held blocks leave no room. */
static int make_room(dcache *c, size_t size)
{
    dc_block *prev = NULL, *b = c->oldest;
    while (in_use(c) + size > c->budget && b) {
        dc_block *nx = b->next;
        if (b->refs) {
            prev = b;
        } else {
            evict_block(c, prev, b);
            atomic_store_explicit(&c->full, 1, memory_order_relaxed);
        }
        b = nx;
    }
    return in_use(c) + size <= c->budget ? 0 : -1;
}

int dc_full(dcache *c)
{
    return atomic_load_explicit(&c->full, memory_order_relaxed);
}

/* A new block of `size` bytes at the FIFO's end, or NULL. */
static dc_block *new_block(dcache *c, size_t size)
{
    if (make_room(c, size))
        return NULL;
    dc_block *b = c->spare;
    char *base;
    int reused = 0;
    c->spare = NULL;
    if (b) {
        c->bytes -= b->size;     /* counted again below */
        if (b->size != size) {   /* of no use for this size */
            free(b);
            b = NULL;
        }
    }
    if (b) {
        base = b->base;
        reused = 1;
    } else if (size >= TSR_HUGE_PAGE) {
        b = tsr_huge_alloc(sizeof *b, size, &base);
    } else {
        const size_t head = (sizeof *b + DC_ALIGN - 1) & ~(DC_ALIGN - 1);
        b = malloc(head + size);
        base = (char *)b + head;   /* malloc's alignment is 16 */
    }
    if (!b)
        return NULL;
    c->allocs += !reused;
    memset(b, 0, sizeof *b);
    b->base = base;
    b->size = size;
    b->seq = c->seq++;
    c->nblocks++;
    if (c->newest)
        c->newest->next = b;
    else
        c->oldest = b;
    c->newest = b;
    c->bytes += size;
    return b;
}

/* Room for an entry of `bytes` (DC_ALIGN'ed): in the current block, else
 * a new one (the current one for the next entries too, unless the entry
 * needs a block of its own); NULL when the budget has no room. */
static dc_entry *entry_alloc(dcache *c, size_t bytes)
{
    dc_block *b = c->cur;
    if (!b || b->size - b->used < bytes) {
        const int alone = bytes > c->blksz / 2;
        size_t size = alone ? bytes : c->blksz;
        if (alone && size >= TSR_HUGE_PAGE)
            size = tsr_huge_round(size);
        if (!(b = new_block(c, size)))
            return NULL;
        if (!alone)
            c->cur = b;
    }
    dc_entry *e = (dc_entry *)(void *)(b->base + b->used);
    b->used += bytes;
    memset(e, 0, sizeof *e);
    e->blk = b;
    e->bytes = bytes;
    return e;
}

static int grow_buckets(dcache *c)
{
    const size_t n = c->nbucket * 2;
    dc_entry **b = calloc(n, sizeof *b);
    if (!b)
        return -1;
    dc_entry **old = c->bucket;
    const size_t oldn = c->nbucket;
    c->bucket = b;
    c->nbucket = n;
    for (size_t i = 0; i < oldn; i++)
        for (dc_entry *e = old[i], *nx; e; e = nx) {
            nx = e->next;
            const size_t s = slot_of(c, e->d.docno);
            e->next = b[s];
            b[s] = e;
        }
    free(old);
    return 0;
}

static void fill_entry(dc_entry *e, const dc_doc *d, size_t words, size_t figs, size_t marks);

/* The entry's sizes: words, figures, marks (dc_put). */
static size_t doc_parts(const dc_doc *d, size_t *words, size_t *figs, size_t *marks);

/* e, held, found in the oldest quarter of the blocks: a copy at the
 * newest takes its place (the old copy stays valid for its holders, this
 * hold moved to the copy); e itself when there is no room. */
static dc_entry *promote(dcache *c, dc_entry *e)
{
    if (c->nblocks < 4 || e->blk->seq - c->oldest->seq >= c->nblocks / 4)
        return e;
    size_t words, figs, marks;
    (void)doc_parts(&e->d, &words, &figs, &marks);
    dc_entry *n = entry_alloc(c, e->bytes);   /* e's block is held: not evicted */
    if (!n)
        return e;
    fill_entry(n, &e->d, words, figs, marks);
    unlink_entry(c, e);
    e->refs--;
    e->blk->refs--;
    link_held(c, n);
    return n;
}

const dc_doc *dc_get(dcache *c, int64_t docno, int marks)
{
    pthread_mutex_lock(&c->mu);
    dc_entry *e = find(c, docno);
    if (e && marks && !e->d.term)
        e = NULL;
    if (e) {
        e->refs++;
        e->blk->refs++;
        e = promote(c, e);
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return e ? &e->d : NULL;
}

static size_t str_bytes(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *put_str(char **at, const char *s)
{
    if (!s)
        return NULL;
    const size_t n = strlen(s) + 1;
    char *d = *at;
    memcpy(d, s, n);
    *at += n;
    return d;
}

/* Copy d into e (its size measured by dc_put). */
static void fill_entry(dc_entry *e, const dc_doc *d, size_t words, size_t figs, size_t marks)
{
    tsr_word *w = (tsr_word *)(e + 1);
    if (words)
        memcpy(w, d->w, words);
    char *at = (char *)w + words;
    if (figs) {    /* words are 8-byte aligned, so the figures after them are */
        tsr_fig *f = (tsr_fig *)(void *)at;
        memcpy(f, d->fig, figs);
        e->d.fig = f;
        e->d.nfig = d->nfig;
        at += figs;
    }
    if (marks) {   /* and the terms after those */
        uint64_t *term = (uint64_t *)(void *)at;
        memcpy(term, d->term, d->n * sizeof *term);
        e->d.term = term;
        at += d->n * sizeof *term;
        memcpy(at, d->cut, d->n);
        e->d.cut = (const unsigned char *)at;
        at += d->n;
    }
    e->d.docno = d->docno;
    e->d.w = w;
    e->d.n = d->n;
    e->d.text_len = d->text_len;
    e->d.id = put_str(&at, d->id);
    e->d.title = put_str(&at, d->title);
    e->d.date = put_str(&at, d->date);
    e->d.series = put_str(&at, d->series);
}

/* one entry: its header, the words, the figures, the words' marks, the
 * strings; the whole rounded up to DC_ALIGN */
static size_t doc_parts(const dc_doc *d, size_t *words, size_t *figs, size_t *marks)
{
    *words = d->n * sizeof *d->w;
    *figs = d->nfig * sizeof *d->fig;
    *marks = d->term && d->cut ? d->n * (sizeof *d->term + 1) : 0;
    const size_t bytes = sizeof(dc_entry) + *words + *figs + *marks + str_bytes(d->id) +
                         str_bytes(d->title) + str_bytes(d->date) + str_bytes(d->series);
    return (bytes + DC_ALIGN - 1) & ~(DC_ALIGN - 1);
}

const dc_doc *dc_put(dcache *c, const dc_doc *d)
{
    size_t words, figs, marks;
    const size_t bytes = doc_parts(d, &words, &figs, &marks);
    if (bytes > c->budget)
        return NULL;

    pthread_mutex_lock(&c->mu);
    dc_entry *have = find(c, d->docno);
    if (have && !(marks && !have->d.term)) {  /* another thread was quicker */
        have->refs++;
        have->blk->refs++;
        pthread_mutex_unlock(&c->mu);
        return &have->d;
    }
    if (have)   /* cached without marks: this copy, which has them, replaces it */
        unlink_entry(c, have);
    dc_entry *e = NULL;
    if ((c->ndocs < c->nbucket || grow_buckets(c) == 0) && (e = entry_alloc(c, bytes))) {
        fill_entry(e, d, words, figs, marks);
        link_held(c, e);
    }
    pthread_mutex_unlock(&c->mu);
    return e ? &e->d : NULL;
}

void dc_release(dcache *c, const dc_doc *d)
{
    if (!d)
        return;
    dc_entry *e = (dc_entry *)(void *)d;
    pthread_mutex_lock(&c->mu);
    e->refs--;
    e->blk->refs--;
    pthread_mutex_unlock(&c->mu);
}

void dc_clear(dcache *c)
{
    pthread_mutex_lock(&c->mu);
    dc_block *prev = NULL;
    for (dc_block *b = c->oldest, *nx; b; b = nx) {
        nx = b->next;
        if (b->refs) {   /* its entries held by someone stay, the others go */
            for (size_t at = 0; at < b->used;) {
                dc_entry *e = (dc_entry *)(void *)(b->base + at);
                if (e->linked && !e->refs)
                    unlink_entry(c, e);
                at += e->bytes;
            }
            prev = b;
        } else {
            evict_block(c, prev, b);
        }
    }
    if (c->spare) {   /* cleared: the memory goes back */
        c->bytes -= c->spare->size;
        free(c->spare);
        c->spare = NULL;
    }
    pthread_mutex_unlock(&c->mu);
}

size_t dc_memory(dcache *c)
{
    pthread_mutex_lock(&c->mu);
    const size_t n = c->bytes;
    pthread_mutex_unlock(&c->mu);
    return n;
}

uint64_t dc_allocs(dcache *c)
{
    pthread_mutex_lock(&c->mu);
    const uint64_t n = c->allocs;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void dc_stats(dcache *c, uint64_t *bytes, uint64_t *docs, uint64_t *hits, uint64_t *misses)
{
    pthread_mutex_lock(&c->mu);
    *bytes = c->content;
    *docs = c->ndocs;
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->mu);
}

/* ------------------------------------------------------------------------
 * Stored rows of documents read again (discovery)
 *
 * Discovery reads the documents of its candidate pairs in the pairs'
 * order, and the b side of a pair comes from anywhere in the index: at 1M
 * documents, 2.7 million reads of 826,000 documents, when the tokenized
 * cache above had a quarter of --memory and held about 57,000 (it has
 * half now, the rows a quarter: discover.c).  A read from the
 * catalog (a B-tree walk and a 16 KB page copied) was two thirds of a
 * read's cost, and a row as stored, about 600 bytes, is a seventh of a
 * tokenized entry: so the rows of documents that will be read again are
 * kept here, each in one malloc, by docno, until their last read
 * (discover.c counts the reads a document has left) or until the budget
 * is spent, after which rows are not taken (first come, kept; no
 * eviction: a row leaves when it has been read for the last time).
 * --------------------------------------------------------------------- */

struct dc_rows {
    pthread_mutex_t mu;
    size_t budget, bytes;      /* bytes: the kept rows' mallocs, summed */
    ix_row **slot;             /* by docno; NULL when not kept */
    size_t nslot;
    uint64_t kept, hits;
};

/* What a kept row costs: its malloc and the allocator's word before it. */
static size_t row_cost(const ix_row *r)
{
    return sizeof *r + r->bytes + 16;
}

dc_rows *dc_rows_new(size_t budget, size_t ndocs)
{
    dc_rows *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->slot = calloc(ndocs ? ndocs : 1, sizeof *k->slot);
    if (!k->slot || cache_mutex_init(&k->mu) != 0) {
        free(k->slot);
        free(k);
        return NULL;
    }
    k->budget = budget;
    k->nslot = ndocs;
    return k;
}

void dc_rows_free(dc_rows *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->nslot; i++)
        free(k->slot[i]);
    free(k->slot);
    pthread_mutex_destroy(&k->mu);
    free(k);
}

int dc_rows_get(dc_rows *k, int64_t docno, int last, ix_row *row)
{
    if (!k || docno < 0 || (uint64_t)docno >= k->nslot)
        return 0;
    pthread_mutex_lock(&k->mu);
    ix_row *e = k->slot[docno], *gone = NULL;
    int rc = 0;
    if (e) {
        rc = ix_row_copy(row, e) ? -1 : 1;
        if (rc == 1) {
            k->hits++;
            if (last) {
                k->slot[docno] = NULL;
                k->bytes -= row_cost(e);
                gone = e;
            }
        }
    }
    pthread_mutex_unlock(&k->mu);
    free(gone);
    return rc;
}

void dc_rows_put(dc_rows *k, const ix_row *row)
{
    if (!k || row->docno < 0 || (uint64_t)row->docno >= k->nslot)
        return;
    const size_t cost = row_cost(row);
    pthread_mutex_lock(&k->mu);   /* the bytes reserved before the copy is made */
    const int room = !k->slot[row->docno] && k->bytes + cost <= k->budget;
    if (room)
        k->bytes += cost;
    pthread_mutex_unlock(&k->mu);
    if (!room)
        return;
    ix_row *e = malloc(sizeof *e + row->bytes);
    if (e) {
        memset(e, 0, sizeof *e);
        e->block = (char *)(e + 1);
        e->cap = row->bytes;
        (void)ix_row_copy(e, row);   /* fits: no allocation, no failure */
    }
    pthread_mutex_lock(&k->mu);
    if (e && !k->slot[row->docno]) {
        k->slot[row->docno] = e;
        k->kept++;
        e = NULL;
    } else {
        k->bytes -= cost;
    }
    pthread_mutex_unlock(&k->mu);
    free(e);
}

void dc_rows_stats(dc_rows *k, uint64_t *kept, uint64_t *hits, size_t *bytes)
{
    pthread_mutex_lock(&k->mu);
    *kept = k->kept;
    *hits = k->hits;
    *bytes = k->bytes;
    pthread_mutex_unlock(&k->mu);
}
