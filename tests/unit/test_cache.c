/*
 * test_cache.c - the document cache (lib/cache.c): budget, eviction order,
 * held entries, counters.
 */
#include "cache.h"
#include "testhelp.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A document of n words whose hashes derive from its number. */
static dc_doc make_doc(int64_t docno, size_t n, tsr_word *w)
{
    for (size_t i = 0; i < n; i++) {
        w[i].hash = (uint64_t)docno * 1000003u + i;
        w[i].begin = (uint32_t)(6 * i);
        w[i].end = (uint32_t)(6 * i + 5);
    }
    dc_doc d = { docno, w, n, 6 * n, "id", "A title", NULL, "series", NULL, 0, NULL, NULL };
    return d;
}

static int same_words(const dc_doc *d, int64_t docno, size_t n)
{
    if (!d || d->docno != docno || d->n != n || strcmp(d->id, "id") ||
        strcmp(d->title, "A title") || d->date || strcmp(d->series, "series"))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (d->w[i].hash != (uint64_t)docno * 1000003u + i || d->w[i].begin != 6 * i)
            return 0;
    return 1;
}

static void test_basic(void)
{
    tsr_word w[100];
    dcache *c = dc_new(1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK(dc_get(c, 7, 0) == NULL);
    dc_doc d = make_doc(7, 100, w);
    const dc_doc *e = dc_put(c, &d);
    CHECK(same_words(e, 7, 100));
    CHECK(e && e->w != w);  /* a copy */
    memset(w, 0, sizeof w);
    CHECK(same_words(e, 7, 100));
    dc_release(c, e);
    const dc_doc *g = dc_get(c, 7, 0);
    CHECK(same_words(g, 7, 100));
    /* a second put of the same number returns the cached one */
    d = make_doc(7, 100, w);
    const dc_doc *h = dc_put(c, &d);
    CHECK(h == g);
    dc_release(c, g);
    dc_release(c, h);
    dc_release(c, NULL);
    uint64_t bytes, docs, hits, misses;
    dc_stats(c, &bytes, &docs, &hits, &misses);
    CHECK(docs == 1 && hits == 1 && misses == 1 && bytes > 100 * sizeof(tsr_word));
    /* larger than the whole budget: not cached */
    dcache *small = dc_new(256);
    d = make_doc(8, 100, w);
    CHECK(small && dc_put(small, &d) == NULL);
    dc_free(small);
    dc_clear(c);
    dc_stats(c, &bytes, &docs, &hits, &misses);
    CHECK(docs == 0 && bytes == 0 && dc_get(c, 7, 0) == NULL);
    dc_free(c);
}

/* The budget holds at every step, entries in use are never evicted, old
 * unused ones are.  (Which of the recently used ones stay is CLOCK's
 * approximation of recency, not asserted.) */
static void test_eviction(void)
{
    tsr_word w[50];
    dc_doc d = make_doc(0, 50, w);
    dcache *probe = dc_new(1 << 20);
    const dc_doc *pe = probe ? dc_put(probe, &d) : NULL;
    uint64_t one = 0, docs, hits, misses;
    if (pe) {
        dc_release(probe, pe);
        dc_stats(probe, &one, &docs, &hits, &misses);
    }
    dc_free(probe);
    CHECK(one > 0);
    if (!one)
        return;

    const size_t budget = (size_t)(10 * one);  /* room for ten documents */
    dcache *c = dc_new(budget);
    CHECK(c != NULL);
    if (!c)
        return;
    const dc_doc *pinned = NULL;
    int bad = 0;
    for (int64_t k = 0; k < 200; k++) {
        d = make_doc(k, 50, w);
        const dc_doc *e = dc_put(c, &d);
        if (!same_words(e, k, 50)) bad++;
        if (k == 3) pinned = e;         /* held all along */
        else dc_release(c, e);
        uint64_t bytes;
        dc_stats(c, &bytes, &docs, &hits, &misses);
        if (bytes > budget || docs > 10) bad++;
    }
    CHECK(bad == 0);
    CHECK(same_words(pinned, 3, 50));   /* never evicted while held */
    const dc_doc *again = dc_get(c, 3, 0);
    CHECK(again == pinned);
    dc_release(c, again);
    const dc_doc *last = dc_get(c, 199, 0);
    CHECK(same_words(last, 199, 50));   /* the newest is there */
    dc_release(c, last);
    const dc_doc *old = dc_get(c, 5, 0);
    CHECK(old == NULL);                 /* an unused old one left */
    dc_release(c, old);
    /* dc_clear keeps what is held */
    dc_clear(c);
    dc_stats(c, &one, &docs, &hits, &misses);
    CHECK(docs == 1 && dc_get(c, 3, 0) == pinned);
    dc_release(c, pinned);
    dc_release(c, pinned);
    dc_clear(c);
    dc_stats(c, &one, &docs, &hits, &misses);
    CHECK(docs == 0 && one == 0);
    dc_free(c);
}

/* A document put with its marks (the sentence stage's) comes back with a
 * copy of them, aligned, the words and fields unchanged; one put without
 * comes back without; marks cost room in the budget. */
static void test_marks(void)
{
    tsr_word w[7];
    uint64_t term[7];
    unsigned char cut[7];
    for (int i = 0; i < 7; i++) {
        term[i] = i % 3 ? 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) | 1 : 0;
        cut[i] = i == 3 || i == 6;
    }
    dcache *c = dc_new(1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    dc_doc d = make_doc(1, 7, w);
    d.term = term;
    d.cut = cut;
    const dc_doc *e = dc_put(c, &d);
    CHECK(e && same_words(e, 1, 7));
    CHECK(e && e->term && e->cut && e->term != term && e->cut != cut &&
          (uintptr_t)e->term % sizeof *e->term == 0);
    CHECK(e && e->term && !memcmp(e->term, term, sizeof term) && !memcmp(e->cut, cut, 7));
    uint64_t with = 0, without = 0, docs, hits, misses;
    dc_stats(c, &with, &docs, &hits, &misses);
    dc_release(c, e);
    dc_doc d2 = make_doc(2, 7, w);
    const dc_doc *f = dc_put(c, &d2);
    CHECK(f && same_words(f, 2, 7) && !f->term && !f->cut);
    dc_stats(c, &without, &docs, &hits, &misses);
    /* the second holds no marks (sizes are rounded up to 16) */
    CHECK(with - (without - with) >= 7 * (sizeof *term + 1) &&
          with - (without - with) <= 7 * (sizeof *term + 1) + 15);
    dc_release(c, f);
    dc_free(c);
}

/* An entry cached without marks (by a check without the sentence stage)
 * is a miss for a caller that needs them, and a put with marks takes its
 * place, while a holder of the old entry still reads it until it lets go
 * (then it is freed: ASan's leak check).  Figures are copied with the
 * words. */
static void test_marks_replace(void)
{
    tsr_word w[7];
    uint64_t term[7];
    unsigned char cut[7];
    for (size_t i = 0; i < 7; i++) {
        w[i] = (tsr_word){ 0x1234567ull * (i + 1), (uint32_t)(6 * i), (uint32_t)(6 * i + 5) };
        term[i] = 0xABCull * (i + 1);
        cut[i] = i == 6;
    }
    const tsr_fig fig[2] = { { 1, 2, 0x77 }, { 4, 6, 0x88 } };
    dcache *c = dc_new(1 << 20);
    CHECK(c != NULL);
    if (!c)
        return;
    dc_doc d = make_doc(5, 7, w);
    d.fig = fig;
    d.nfig = 2;
    const dc_doc *old = dc_put(c, &d);
    CHECK(old && !old->term && old->nfig == 2 && old->fig != fig &&
          !memcmp(old->fig, fig, sizeof fig) && (uintptr_t)old->fig % 8 == 0);
    CHECK(dc_get(c, 5, 1) == NULL);          /* needs marks: a miss */
    const dc_doc *plain = dc_get(c, 5, 0);
    CHECK(plain == old);
    dc_release(c, plain);
    d.term = term;
    d.cut = cut;
    const dc_doc *fresh = dc_put(c, &d);     /* replaces the entry */
    CHECK(fresh && fresh != old && fresh->term && !memcmp(fresh->term, term, sizeof term) &&
          fresh->nfig == 2 && !memcmp(fresh->fig, fig, sizeof fig));
    CHECK(old && same_words(old, 5, 7));     /* still valid for its holder */
    dc_release(c, old);                      /* freed now */
    const dc_doc *again = dc_get(c, 5, 1);
    CHECK(again == fresh);
    uint64_t bytes, docs, hits, misses;
    dc_stats(c, &bytes, &docs, &hits, &misses);
    CHECK(docs == 1);
    dc_release(c, again);
    dc_release(c, fresh);
    /* a put without marks over an entry with them returns that entry */
    d.term = NULL;
    d.cut = NULL;
    const dc_doc *keep = dc_put(c, &d);
    CHECK(keep == fresh && keep->term);
    dc_release(c, keep);
    dc_free(c);
}

/* The memory (cache.c): entries in blocks of a sixteenth of the budget,
 * evicted whole, oldest first, skipping a block with a held entry; the
 * blocks never over the budget; an entry larger than half a block has a
 * block of its own and leaves the block being filled as it was. */
static void test_blocks(void)
{
    enum { N = 60 };
    static tsr_word w[4096];
    const size_t budget = (size_t)256 << 10;    /* blocks of 16 KB */
    dcache *c = dc_new(budget);
    CHECK(c != NULL);
    if (!c)
        return;
    dc_doc d = make_doc(0, N, w);
    const dc_doc *first = dc_put(c, &d);        /* held all along */
    CHECK(same_words(first, 0, N));
    uint64_t one, docs, hits, misses;
    dc_stats(c, &one, &docs, &hits, &misses);
    CHECK(one > N * sizeof(tsr_word) && one % 16 == 0);
    const size_t per_block = ((size_t)16 << 10) / one;
    int over = 0, bad = 0;
    for (int64_t k = 1; k < 400; k++) {
        d = make_doc(k, N, w);
        const dc_doc *e = dc_put(c, &d);
        if (!same_words(e, k, N)) bad++;
        dc_release(c, e);
        over += dc_memory(c) > budget;
    }
    CHECK(bad == 0 && over == 0);
    CHECK(dc_memory(c) <= budget && dc_memory(c) + ((size_t)16 << 10) > budget);
    /* a full cache fills the blocks it evicts again: 400 documents went
     * through 16 blocks' worth of budget with hardly more taken from
     * malloc (before: one for every block filled, 400 / per_block) */
    CHECK(dc_allocs(c) <= budget / ((size_t)16 << 10) + 1);
    CHECK(400 / per_block > budget / ((size_t)16 << 10) + 1);
    /* the first block, held, stays whole: its other entries too */
    const dc_doc *g = dc_get(c, 1, 0);
    CHECK(g && same_words(g, 1, N));
    dc_release(c, g);
    /* the next blocks went, oldest first: the entries put right after the
     * first block's are gone, the newest are there */
    g = dc_get(c, (int64_t)per_block + 1, 0);
    CHECK(g == NULL);
    g = dc_get(c, 399, 0);
    CHECK(same_words(g, 399, N));
    dc_release(c, g);
    /* an entry larger than half a block: a block of its own */
    const size_t before = dc_memory(c);
    d = make_doc(1000, 4096, w);
    const dc_doc *big = dc_put(c, &d);
    CHECK(same_words(big, 1000, 4096));
    dc_release(c, big);
    CHECK(dc_memory(c) <= budget);
    d = make_doc(1001, N, w);                   /* into the block being filled */
    const dc_doc *small = dc_put(c, &d);
    CHECK(same_words(small, 1001, N));
    dc_release(c, small);
    CHECK(dc_memory(c) <= budget && before <= budget);
    /* larger than the budget: not cached */
    dcache *tiny = dc_new(one / 2);
    d = make_doc(7, N, w);
    CHECK(tiny && dc_put(tiny, &d) == NULL && dc_memory(tiny) == 0);
    dc_free(tiny);
    /* everything held: a put that needs a block is refused, nothing evicted */
    dcache *full = dc_new(4 * one);
    const dc_doc *held[8] = { 0 };
    size_t nheld = 0;
    for (int64_t k = 0; k < 8 && full; k++) {
        d = make_doc(k, N, w);
        if ((held[nheld] = dc_put(full, &d))) nheld++;
    }
    CHECK(nheld >= 3 && nheld < 8);
    CHECK(full && dc_memory(full) <= 4 * one);
    for (size_t i = 0; i < nheld; i++) {
        CHECK(same_words(held[i], (int64_t)i, N));
        dc_release(full, held[i]);
    }
    dc_free(full);
    dc_release(c, first);
    dc_clear(c);
    dc_stats(c, &one, &docs, &hits, &misses);
    CHECK(docs == 0 && one == 0 && dc_memory(c) == 0);
    dc_free(c);
}

/* A document found again and again stays while the blocks around it go
 * (it is copied forward from the oldest quarter of the blocks); one put
 * beside it and never read again goes. */
static void test_hot(void)
{
    enum { N = 60 };
    tsr_word w[N];
    dcache *c = dc_new((size_t)256 << 10);
    CHECK(c != NULL);
    if (!c)
        return;
    dc_doc d = make_doc(1, N, w);
    dc_release(c, dc_put(c, &d));          /* hot */
    d = make_doc(2, N, w);
    dc_release(c, dc_put(c, &d));          /* cold */
    int lost = 0;
    for (int64_t k = 10; k < 3000; k++) {
        d = make_doc(k, N, w);
        dc_release(c, dc_put(c, &d));
        if (k % 25 == 0) {
            const dc_doc *h = dc_get(c, 1, 0);
            lost += !same_words(h, 1, N);
            dc_release(c, h);
        }
    }
    CHECK(lost == 0);
    CHECK(dc_get(c, 2, 0) == NULL);
    CHECK(dc_memory(c) <= ((size_t)256 << 10));
    uint64_t bytes, docs, hits, misses;
    dc_stats(c, &bytes, &docs, &hits, &misses);
    CHECK(hits == 119 && misses == 1);
    dc_free(c);
}

/* Four threads get and put 300 documents at random through a cache of
 * sixteen blocks with room for a third of them, each holding up to three
 * entries at a time: every entry handed out holds its document while held
 * (eviction, copies forward, replacements by a copy with marks), and the
 * memory stays within the budget.  (ThreadSanitizer: make BUILD=build-tsan
 * with -fsanitize=thread, TESTING.md.) */
enum { HOT_N = 40, HOT_DOCS = 300 };
typedef struct { dcache *c; unsigned seed; int bad; } stress_arg;

static void *stress(void *p)
{
    stress_arg *a = p;
    tsr_word w[HOT_N];
    uint64_t term[HOT_N];
    unsigned char cut[HOT_N];
    memset(term, 0, sizeof term);
    memset(cut, 0, sizeof cut);
    const dc_doc *held[3] = { 0 };
    for (int i = 0; i < 20000; i++) {
        a->seed = a->seed * 1103515245u + 12345u;
        const int64_t docno = (int64_t)((a->seed >> 8) % HOT_DOCS);
        const int slot = (int)((a->seed >> 4) % 3), marks = (a->seed >> 20) % 5 == 0;
        if (held[slot] && !same_words(held[slot], held[slot]->docno, HOT_N)) a->bad++;
        dc_release(a->c, held[slot]);
        held[slot] = dc_get(a->c, docno, marks);
        if (!held[slot]) {
            dc_doc d = make_doc(docno, HOT_N, w);
            if (marks) { d.term = term; d.cut = cut; }
            held[slot] = dc_put(a->c, &d);
        }
        if (held[slot] && (!same_words(held[slot], docno, HOT_N) || (marks && !held[slot]->term)))
            a->bad++;
        if (dc_memory(a->c) > (size_t)96 << 10) a->bad++;
    }
    for (int k = 0; k < 3; k++) dc_release(a->c, held[k]);
    return NULL;
}

static void test_threads(void)
{
    dcache *c = dc_new((size_t)96 << 10);   /* blocks of 6 KB, ~100 entries */
    CHECK(c != NULL);
    if (!c)
        return;
    pthread_t t[4];
    stress_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (stress_arg){ c, 7u + 31u * (unsigned)i, 0 };
        CHECK(pthread_create(&t[i], NULL, stress, &a[i]) == 0);
    }
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        bad += a[i].bad;
    }
    CHECK(bad == 0);
    uint64_t bytes, docs, hits, misses;
    dc_stats(c, &bytes, &docs, &hits, &misses);
    CHECK(hits > 1000 && misses > 1000 && docs > 0 && bytes <= ((size_t)96 << 10));
    dc_clear(c);
    dc_stats(c, &bytes, &docs, &hits, &misses);
    CHECK(docs == 0 && dc_memory(c) == 0);
    dc_free(c);
}

/* A stored row by hand, as ix_reader_row packs one: the fields, then the
 * stored bytes, in one block. */
static ix_row make_row(int64_t docno, size_t blen)
{
    ix_row r;
    memset(&r, 0, sizeof r);
    ix_row src;
    memset(&src, 0, sizeof src);
    char block[256];
    char id[32];
    const int il = snprintf(id, sizeof id, "doc-%lld", (long long)docno) + 1;
    memcpy(block, id, (size_t)il);
    memcpy(block + il, "1999-01-02", 11);
    src.block = block;
    src.docno = docno;
    src.id = block;
    src.date = block + il;
    src.blob = block + il + 11;
    for (size_t i = 0; i < blen; i++)
        block[il + 11 + (int)i] = (char)('a' + (docno + (int64_t)i) % 26);
    src.blob_len = blen;
    src.text_len = 2 * blen;
    src.bytes = (size_t)il + 11 + blen;
    if (ix_row_copy(&r, &src))   /* out of memory: an empty row, which same_row refuses */
        memset(&r, 0, sizeof r);
    return r;
}

/* Whether r is make_row(docno, blen)'s row, pointing into its own block. */
static int same_row(const ix_row *r, int64_t docno, size_t blen)
{
    if (!r->block)
        return 0;
    char id[32];
    snprintf(id, sizeof id, "doc-%lld", (long long)docno);
    if (r->docno != docno || strcmp(r->id, id) || r->title || strcmp(r->date, "1999-01-02") ||
        r->series || r->blob_len != blen || r->text_len != 2 * blen || r->id != r->block ||
        (const char *)r->blob + blen != r->block + r->bytes)
        return 0;
    for (size_t i = 0; i < blen; i++)
        if (((const char *)r->blob)[i] != (char)('a' + (docno + (int64_t)i) % 26))
            return 0;
    return 1;
}

/* The stored rows kept for discovery (dc_rows): a row comes back as put,
 * in the caller's block, until its last read; docnos out of range and
 * rows past the budget are not kept; a NULL keeper keeps nothing. */
static void test_rows(void)
{
    ix_row r = make_row(7, 100), got;
    memset(&got, 0, sizeof got);
    CHECK(same_row(&r, 7, 100));
    dc_rows *k = dc_rows_new(4096, 16);
    CHECK(k != NULL);
    if (!k) {
        ix_row_free(&r);
        return;
    }
    CHECK(dc_rows_get(k, 7, 0, &got) == 0);
    dc_rows_put(k, &r);
    CHECK(dc_rows_get(k, 7, 0, &got) == 1 && same_row(&got, 7, 100) && got.block != r.block);
    CHECK(dc_rows_get(k, 7, 1, &got) == 1 && same_row(&got, 7, 100));   /* the last read */
    CHECK(dc_rows_get(k, 7, 0, &got) == 0);                              /* forgotten */
    uint64_t kept, hits;
    size_t bytes;
    dc_rows_stats(k, &kept, &hits, &bytes);
    CHECK(kept == 1 && hits == 2 && bytes == 0);
    ix_row_free(&r);
    /* out of range */
    r = make_row(16, 10);
    dc_rows_put(k, &r);
    CHECK(dc_rows_get(k, 16, 0, &got) == 0 && dc_rows_get(k, -1, 0, &got) == 0);
    ix_row_free(&r);
    /* the budget: rows of about 300 bytes, 4096 bytes in all */
    int n = 0;
    for (int64_t d = 0; d < 16; d++) {
        r = make_row(d, 200);
        dc_rows_put(k, &r);
        ix_row_free(&r);
        dc_rows_stats(k, &kept, &hits, &bytes);
        CHECK(bytes <= 4096);
    }
    for (int64_t d = 0; d < 16; d++)
        n += dc_rows_get(k, d, 0, &got) == 1 && same_row(&got, d, 200);
    CHECK(n > 4 && n < 16);   /* the first ones, until the budget ran out */
    CHECK(dc_rows_get(k, 0, 1, &got) == 1 && dc_rows_get(k, 15, 0, &got) == 0);
    r = make_row(15, 200);    /* the room the last read of 0 gave back */
    dc_rows_put(k, &r);
    CHECK(dc_rows_get(k, 15, 1, &got) == 1 && same_row(&got, 15, 200));
    dc_rows_put(NULL, &r);
    CHECK(dc_rows_get(NULL, 15, 0, &got) == 0);
    ix_row_free(&r);
    ix_row_free(&got);
    dc_rows_free(k);
}

/* Four threads putting and getting rows of 64 documents at random, each
 * read of a document by a thread counted down as discovery counts them
 * (the last read forgets the row): every row found is the one put. */
typedef struct { dc_rows *k; _Atomic int *left; unsigned seed; int bad; } rows_arg;

static void *rows_stress(void *p)
{
    rows_arg *a = p;
    ix_row got;
    memset(&got, 0, sizeof got);
    for (int i = 0; i < 4000; i++) {
        a->seed = a->seed * 1103515245u + 12345u;
        const int64_t d = (int64_t)((a->seed >> 8) % 64);
        const int n = atomic_fetch_sub(&a->left[d], 1);
        if (n <= 0)
            continue;   /* read out */
        const int r = dc_rows_get(a->k, d, n == 1, &got);
        if (r == 1 && !same_row(&got, d, 40 + (size_t)d))
            a->bad++;
        if (r == 0 && n > 1) {
            ix_row mine = make_row(d, 40 + (size_t)d);
            dc_rows_put(a->k, &mine);
            ix_row_free(&mine);
        }
    }
    ix_row_free(&got);
    return NULL;
}

static void test_rows_threads(void)
{
    dc_rows *k = dc_rows_new(16 << 10, 64);
    CHECK(k != NULL);
    if (!k)
        return;
    _Atomic int left[64];
    for (int d = 0; d < 64; d++)
        atomic_init(&left[d], 200);
    pthread_t t[4];
    rows_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (rows_arg){ k, left, 11u + 97u * (unsigned)i, 0 };
        CHECK(pthread_create(&t[i], NULL, rows_stress, &a[i]) == 0);
    }
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        bad += a[i].bad;
    }
    uint64_t kept, hits;
    size_t bytes;
    dc_rows_stats(k, &kept, &hits, &bytes);
    CHECK(bad == 0 && kept > 0 && hits > 1000 && bytes <= (16 << 10));
    dc_rows_free(k);
}

/* dc_full: set once the cache has evicted to make room, not before. */
static void test_full(void)
{
    tsr_word w[50];
    dcache *c = dc_new((size_t)16 << 10);
    CHECK(c != NULL);
    if (!c)
        return;
    int64_t k = 0;
    for (; k < 200 && !dc_full(c); k++) {
        uint64_t bytes, docs, hits, misses;
        dc_stats(c, &bytes, &docs, &hits, &misses);
        CHECK(docs == (uint64_t)k);   /* nothing evicted yet */
        dc_doc d = make_doc(k, 50, w);
        dc_release(c, dc_put(c, &d));
    }
    CHECK(k > 2 && k < 200 && dc_full(c));
    dc_free(c);
}

int main(void)
{
    RUN(test_marks_replace);
    RUN(test_basic);
    RUN(test_eviction);
    RUN(test_marks);
    RUN(test_blocks);
    RUN(test_hot);
    RUN(test_threads);
    RUN(test_rows);
    RUN(test_rows_threads);
    RUN(test_full);
    return test_report();
}
