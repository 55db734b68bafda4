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
 * How.  Entries are found by document number in a chained hash table and
 * evicted by CLOCK: an entry used since the hand last passed gets a second
 * chance.  One mutex guards it all; entries are reference-counted so that
 * an entry held by one check is never evicted under it.  Documents never
 * change once committed (ids are unique, nothing is deleted), so an entry
 * is never stale; a reader whose index directory was replaced calls
 * dc_clear.
 */
#include "cache.h"

#include <pthread.h>

typedef struct dc_entry {
    dc_doc d;                  /* first member: a dc_doc * is a dc_entry * */
    struct dc_entry *next;     /* hash chain */
    size_t bytes;
    size_t ring;               /* place in the clock ring; DC_DETACHED when
                                * replaced while held (dc_put): then freed
                                * by its last dc_release */
    int refs;
    unsigned char used;        /* used since the hand last passed */
} dc_entry;

struct dcache {
    pthread_mutex_t mu;
    size_t budget, bytes;
    dc_entry **bucket;
    size_t nbucket;            /* a power of two */
    dc_entry **ring;
    size_t nring, capring, hand;
    uint64_t hits, misses;
};

#define DC_DETACHED SIZE_MAX

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
    c->nbucket = 1024;
    c->bucket = calloc(c->nbucket, sizeof *c->bucket);
    if (!c->bucket || pthread_mutex_init(&c->mu, NULL) != 0) {
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
    for (size_t i = 0; i < c->nring; i++)
        free(c->ring[i]);
    free(c->ring);
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

/* Take e out of the table and the ring (its bytes no longer counted);
 * free it unless it is held: then it is detached, and freed by its last
 * dc_release. */
static void unlink_entry(dcache *c, dc_entry *e)
{
    dc_entry **p = &c->bucket[slot_of(c, e->d.docno)];
    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    c->ring[e->ring] = c->ring[--c->nring];
    c->ring[e->ring]->ring = e->ring;
    c->bytes -= e->bytes;
    if (e->refs) {
        e->ring = DC_DETACHED;
        e->next = NULL;
    } else {
        free(e);
    }
}

/* Evict until `need` more bytes fit; 0, or -1 when held entries leave no
 * room.  The hand goes round at most twice: once clearing marks, once
 * evicting. */
static int make_room(dcache *c, size_t need)
{
    size_t steps = 2 * c->nring + 2;
    while (c->bytes + need > c->budget && c->nring && steps--) {
        if (c->hand >= c->nring)
            c->hand = 0;
        dc_entry *e = c->ring[c->hand];
        if (e->used || e->refs) {
            e->used = 0;
            c->hand++;
        } else {
            unlink_entry(c, e);  /* the ring's last entry moves to `hand` */
        }
    }
    return c->bytes + need <= c->budget ? 0 : -1;
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

const dc_doc *dc_get(dcache *c, int64_t docno, int marks)
{
    pthread_mutex_lock(&c->mu);
    dc_entry *e = find(c, docno);
    if (e && marks && !e->d.term)
        e = NULL;
    if (e) {
        e->refs++;
        e->used = 1;
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

const dc_doc *dc_put(dcache *c, const dc_doc *d)
{
    /* one allocation: the entry, the words, the figures, the words' marks,
     * the strings */
    const size_t words = d->n * sizeof *d->w;
    const size_t figs = d->nfig * sizeof *d->fig;
    const size_t marks = d->term && d->cut ? d->n * (sizeof *d->term + 1) : 0;
    const size_t bytes = sizeof(dc_entry) + words + figs + marks + str_bytes(d->id) +
                         str_bytes(d->title) + str_bytes(d->date) + str_bytes(d->series);
    if (bytes > c->budget)
        return NULL;
    dc_entry *e = malloc(bytes);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
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
    e->bytes = bytes;
    e->refs = 1;
    e->used = 1;

    pthread_mutex_lock(&c->mu);
    dc_entry *have = find(c, d->docno);
    if (have && !(marks && !have->d.term)) {  /* another thread was quicker */
        have->refs++;
        pthread_mutex_unlock(&c->mu);
        free(e);
        return &have->d;
    }
    if (have)   /* cached without marks: this copy, which has them, replaces it */
        unlink_entry(c, have);
    if (make_room(c, bytes) ||
        (c->nring == c->capring &&
         tsr_vec_grow_((void **)&c->ring, &c->capring, c->nring, 1, sizeof *c->ring)) ||
        (c->nring >= c->nbucket && grow_buckets(c))) {
        pthread_mutex_unlock(&c->mu);
        free(e);
        return NULL;
    }
    const size_t s = slot_of(c, e->d.docno);
    e->next = c->bucket[s];
    c->bucket[s] = e;
    e->ring = c->nring;
    c->ring[c->nring++] = e;
    c->bytes += bytes;
    pthread_mutex_unlock(&c->mu);
    return &e->d;
}

void dc_release(dcache *c, const dc_doc *d)
{
    if (!d)
        return;
    dc_entry *e = (dc_entry *)(void *)d;
    pthread_mutex_lock(&c->mu);
    const int gone = --e->refs == 0 && e->ring == DC_DETACHED;
    pthread_mutex_unlock(&c->mu);
    if (gone)
        free(e);
}

void dc_clear(dcache *c)
{
    pthread_mutex_lock(&c->mu);
    for (size_t i = c->nring; i-- > 0;)
        if (c->ring[i]->refs == 0)
            unlink_entry(c, c->ring[i]);
    c->hand = 0;
    pthread_mutex_unlock(&c->mu);
}

void dc_stats(dcache *c, uint64_t *bytes, uint64_t *docs, uint64_t *hits, uint64_t *misses)
{
    pthread_mutex_lock(&c->mu);
    *bytes = c->bytes;
    *docs = c->nring;
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->mu);
}
