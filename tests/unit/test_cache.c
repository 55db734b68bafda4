/*
 * test_cache.c - the document cache (lib/cache.c): budget, eviction order,
 * held entries, counters.
 */
#include "cache.h"
#include "testhelp.h"

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
    CHECK(without - with + 7 * (sizeof *term + 1) == with);   /* the second holds no marks */
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

int main(void)
{
    RUN(test_marks_replace);
    RUN(test_basic);
    RUN(test_eviction);
    RUN(test_marks);
    return test_report();
}
