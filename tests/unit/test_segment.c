/*
 * test_segment.c - posting segments: batches, write, open, lookup and
 * merge checked against a naive model (qsort) on seeded random data; a
 * batch writes the same bytes as seg_write of the model; damaged files
 * (truncation, flipped bits, bad magic, newer version) are refused.
 */
#include "segment.h"
#include "testhelp.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static char tmpdir[64];

/* the file's random numbers (testutil.h): the same every run */
static rng R = { 0x9E3779B97F4A7C15ull };

static char *tpath(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* A pool of fingerprint hashes with traps: pairs that share the 44-bit id
 * (differ only in the low 20 bits), and many that share a bucket. */
static uint64_t *make_pool(size_t n)
{
    uint64_t *pool = malloc(n * sizeof *pool);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = rng_next(&R);
        if (i % 7 == 1)
            h = (pool[i - 1] & ~0xFFFFFull) | (rng_next(&R) & 0xFFFFF); /* same id */
        else if (i % 5 == 2)
            h = (pool[i - 1] & 0xFFF0000000000000ull) | (rng_next(&R) >> 12); /* same bucket */
        pool[i] = h;
    }
    return pool;
}

/* Postings for documents [lo, lo + ndocs), doc-ascending, with repeats. */
static seg_posting *make_postings(const uint64_t *pool, size_t npool, uint32_t lo,
                                  uint32_t ndocs, size_t per_doc, size_t *n)
{
    seg_posting *p = malloc((size_t)ndocs * per_doc * sizeof *p);
    size_t k = 0;
    for (uint32_t d = 0; d < ndocs; d++) {
        const size_t m = per_doc ? (size_t)(rng_next(&R) % per_doc) : 0;
        for (size_t j = 0; j < m; j++) {
            seg_posting sp = { pool[rng_next(&R) % npool], lo + d, 0 };
            p[k++] = sp;
        }
    }
    *n = k;
    return p;
}

static int cmp_pair(const void *a, const void *b)
{
    const seg_posting *x = a, *y = b;
    const uint64_t ix = SEG_ID(x->hash), iy = SEG_ID(y->hash);
    if (ix != iy) return ix < iy ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* The model: a sorted, deduplicated copy made with qsort. */
static seg_posting *model_of(const seg_posting *p, size_t n, size_t *nout)
{
    seg_posting *m = malloc((n ? n : 1) * sizeof *m);
    memcpy(m, p, n * sizeof *m);
    qsort(m, n, sizeof *m, cmp_pair);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (w == 0 || cmp_pair(&m[w - 1], &m[i]) != 0)
            m[w++] = m[i];
    *nout = w;
    return m;
}

/* Sort and deduplicate p[0..n) in place, as the model does. */
static size_t sorted(seg_posting *p, size_t n)
{
    size_t mn;
    seg_posting *m = model_of(p, n, &mn);
    memcpy(p, m, mn * sizeof *p);
    free(m);
    return mn;
}

/* Compare seg_lookup with the model for every pool hash and some absent
 * ones.  Returns the number of mismatches. */
static int check_lookups(const seg_file *const *segs, size_t nsegs, const seg_posting *m,
                         size_t mn, const uint64_t *pool, size_t npool)
{
    int bad = 0;
    uint32_t *got = malloc(65536 * sizeof *got);
    for (size_t q = 0; q < npool + 200; q++) {
        const uint64_t h = q < npool ? pool[q] : rng_next(&R);
        size_t total = 0, ngot = 0;
        for (size_t s = 0; s < nsegs; s++) {
            size_t k = seg_lookup(segs[s], h, got + ngot, 65536 - ngot);
            total += k;
            ngot += k;
        }
        /* The model's documents for this id, in docno order. */
        size_t want = 0;
        for (size_t i = 0; i < mn; i++) {
            if (SEG_ID(m[i].hash) == SEG_ID(h)) {
                if (want >= ngot || got[want] != m[i].doc)
                    bad++;
                want++;
            }
        }
        if (want != total)
            bad++;
        /* a small `max` copies a prefix and still counts all */
        if (nsegs == 1 && total > 1) {
            uint32_t one = 0;
            if (seg_lookup(segs[0], h, &one, 1) != total || one != got[0])
                bad++;
        }
    }
    free(got);
    return bad;
}

/* A batch of doc-ascending postings, one seg_batch_add per document. */
static int batch_of(seg_batch *b, const seg_posting *p, size_t n)
{
    uint64_t *h = malloc((n ? n : 1) * sizeof *h);
    int rc = TSR_OK;
    for (size_t i = 0; i < n && rc == TSR_OK;) {
        size_t j = i;
        for (; j < n && p[j].doc == p[i].doc; j++)
            h[j - i] = p[j].hash;
        rc = seg_batch_add(b, h, j - i, p[i].doc, NULL);
        i = j;
    }
    free(h);
    return rc;
}

/* Whether the sorted batch holds exactly the model's (id, docno) pairs in
 * the model's order. */
static int batch_is(const seg_batch *b, const seg_posting *m, size_t mn)
{
    if (b->n != mn)
        return 0;
    size_t i = 0;
    for (size_t k = 0; b->bk && k < ((size_t)1 << SEG_MIN_BITS); k++) {
        size_t in_bucket = 0;
        for (const seg_chunk *c = b->bk[k].head; c; c = c->next)
            for (uint32_t j = 0; j < c->n; j++, i++, in_bucket++) {
                const uint64_t e = c->e[j];
                if (i >= mn || ((uint64_t)k << 32 | e >> 32) != SEG_ID(m[i].hash) ||
                    (uint32_t)e != m[i].doc)
                    return 0;
            }
        if (in_bucket != b->bk[k].n)
            return 0;
    }
    return i == mn;
}

/* Whether two files hold the same bytes. */
static int same_file(const char *a, const char *b)
{
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    int same = f && g;
    while (same) {
        const int x = getc(f), y = getc(g);
        same = x == y;
        if (x == EOF || y == EOF)
            break;
    }
    if (f) fclose(f);
    if (g) fclose(g);
    return same;
}

/* Sort the batch, compare with the model, write it and compare the file
 * with seg_write's of the model. */
static void check_batch(seg_batch *b, const seg_posting *m, size_t mn, uint32_t ndocs,
                        uint32_t lo, uint32_t hi)
{
    tsr_error e = {0};
    CHECK(seg_batch_sort(b, &e) == TSR_OK);
    CHECK(batch_is(b, m, mn));
    seg_info bi, mi;
    CHECK(seg_batch_write(tpath("batch.tsg"), b, ndocs, lo, hi, &bi, &e) == TSR_OK);
    CHECK(batch_is(b, m, mn)); /* sorting again changes nothing */
    CHECK(seg_write(tpath("model.tsg"), m, mn, ndocs, lo, hi, &mi, &e) == TSR_OK);
    CHECK(bi.npostings == mn && bi.checksum == mi.checksum && bi.bytes == mi.bytes);
    CHECK(same_file(tpath("batch.tsg"), tpath("model.tsg")));
}

static void test_batch(void)
{
    /* Random postings with repeats and the pool's traps, against qsort. */
    uint64_t *pool = make_pool(5000);
    size_t np, mn;
    seg_posting *p = make_postings(pool, 5000, 0, 2000, 200, &np);
    CHECK(np > 1000);
    seg_posting *m = model_of(p, np, &mn);
    seg_batch b = {0};
    CHECK(batch_of(&b, p, np) == TSR_OK && b.n == np);
    check_batch(&b, m, mn, 2000, 0, 1999);

    /* More documents after a sort (a commit that failed, then more adds):
     * sorting again takes them in. */
    size_t np2, mn2;
    seg_posting *p2 = make_postings(pool, 5000, 2000, 300, 100, &np2);
    CHECK(batch_of(&b, p2, np2) == TSR_OK);
    seg_posting *all = malloc((np + np2) * sizeof *all);
    memcpy(all, p, np * sizeof *p);
    memcpy(all + np, p2, np2 * sizeof *p2);
    seg_posting *m2 = model_of(all, np + np2, &mn2);
    check_batch(&b, m2, mn2, 2300, 0, 2299);

    /* Docnos must not go down; the batch is unchanged by the refusal. */
    const uint64_t one = pool[0];
    CHECK(seg_batch_add(&b, &one, 1, 5, NULL) == TSR_ERR_INVALID);
    CHECK(batch_is(&b, m2, mn2));
    free(p2);
    free(all);
    free(m2);
    free(p);
    free(m);

    /* One fingerprint in thousands of documents, among others of its
     * bucket: its documents stay in docno order (the sort is stable and
     * the docnos are below the keys). */
    seg_batch_clear(&b);
    CHECK(b.n == 0);
    const uint64_t hot = 0xABCDE12345678000ull;
    np = 0;
    p = malloc(6000 * 4 * sizeof *p);
    for (uint32_t d = 0; d < 6000; d++) {
        p[np++] = (seg_posting){ hot, 10 + d, 0 };
        p[np++] = (seg_posting){ (hot & 0xFFF0000000000000ull) | (rng_next(&R) >> 12), 10 + d, 0 };
        if (d % 3 == 0)
            p[np++] = (seg_posting){ hot + 1, 10 + d, 0 }; /* same id: a repeat */
        p[np++] = (seg_posting){ rng_next(&R), 10 + d, 0 };
    }
    m = model_of(p, np, &mn);
    CHECK(batch_of(&b, p, np) == TSR_OK);
    check_batch(&b, m, mn, 6000, 10, 6009);
    free(p);
    free(m);

    /* Keys that share their top 8 or 16 bits (passes skipped, an odd or
     * an even number of them), and tiny buckets (insertion sort). */
    for (int shared = 1; shared <= 3; shared++) {
        seg_batch_clear(&b);
        np = 0;
        p = malloc(3000 * 3 * sizeof *p);
        for (uint32_t d = 0; d < 3000; d++)
            for (int j = 0; j < 3; j++) {
                uint64_t h = rng_next(&R);
                if (shared == 1) /* top 12 bits and the key's top 8 */
                    h = 0x5A5A000000000000ull | (h >> 20);
                else if (shared == 2) /* and the key's next 8 */
                    h = 0x5A5A5A0000000000ull | (h >> 28);
                else if (j == 1 && d < 12) /* a bucket of 12: 4 ids, 3 docs each */
                    h = 0xFFF0000000000000ull | (uint64_t)(3 - d % 4) << 20;
                else if (j > 0) /* a few per bucket */
                    h = (h & 0xFFE0000000000000ull) | (d & 0x3FFull);
                p[np++] = (seg_posting){ h, d, 0 };
            }
        m = model_of(p, np, &mn);
        CHECK(batch_of(&b, p, np) == TSR_OK);
        check_batch(&b, m, mn, 3000, 0, 2999);
        free(p);
        free(m);
    }

    /* Empty and single. */
    seg_batch_clear(&b);
    check_batch(&b, NULL, 0, 3, 7, 9);
    CHECK(seg_batch_add(&b, &one, 1, 7, NULL) == TSR_OK);
    seg_posting single = { one, 7, 0 };
    check_batch(&b, &single, 1, 3, 7, 9);
    seg_batch_free(&b);
    seg_batch empty = {0};
    check_batch(&empty, NULL, 0, 1, 0, 0);
    seg_batch_free(&empty);
    free(pool);
}

static void test_roundtrip(void)
{
    uint64_t *pool = make_pool(3000);
    size_t np, mn, sn;
    seg_posting *p = make_postings(pool, 3000, 100, 500, 60, &np);
    seg_posting *m = model_of(p, np, &mn);
    sn = sorted(p, np);
    CHECK(sn == mn);

    seg_info info;
    tsr_error e = {0};
    CHECK(seg_write(tpath("a.tsg"), p, sn, 500, 100, 599, &info, &e) == TSR_OK);
    CHECK(info.npostings == sn && info.ndocs == 500 && info.doc_lo == 100 && info.doc_hi == 599);
    seg_file *s = NULL;
    CHECK(seg_open(tpath("a.tsg"), &s, &e) == TSR_OK);
    if (!s) {
        fprintf(stderr, "%s\n", e.message);
        return;
    }
    CHECK(s->info.checksum == info.checksum && s->info.bytes == info.bytes);
    struct stat st;
    CHECK(stat(tpath("a.tsg"), &st) == 0 && (uint64_t)st.st_size == info.bytes);
    /* size: about 8 bytes per posting plus a small directory and the
     * chunk table (a digest per SEG_CHUNK_ENTRIES postings, per as many
     * of the directory's 2^12 + 1 entries, and the table's) */
    const size_t ndc = ((1u << SEG_MIN_BITS) + SEG_CHUNK_ENTRIES) / SEG_CHUNK_ENTRIES;
    CHECK(info.bytes == 64 + 4 * ((1u << SEG_MIN_BITS) + 1) + 8 * sn +
                        8 * ((sn + SEG_CHUNK_ENTRIES - 1) / SEG_CHUNK_ENTRIES + ndc + 1));
    CHECK(seg_verify(s, 1, &e) == TSR_OK);
    const seg_file *segs[1] = { s };
    CHECK(check_lookups(segs, 1, m, mn, pool, 3000) == 0);
    seg_close(s);

    /* An empty segment (a batch whose documents have no words). */
    CHECK(seg_write(tpath("empty.tsg"), NULL, 0, 3, 600, 602, &info, &e) == TSR_OK);
    CHECK(seg_open(tpath("empty.tsg"), &s, &e) == TSR_OK);
    CHECK(s && seg_lookup(s, pool[0], NULL, 0) == 0);
    CHECK(s && seg_verify(s, 1, &e) == TSR_OK);
    seg_close(s);

    /* Out of order input is refused. */
    seg_posting bad[2] = { { 1ull << 63, 5, 0 }, { 1ull << 62, 5, 0 } };
    CHECK(seg_write(tpath("bad.tsg"), bad, 2, 1, 5, 5, &info, &e) == TSR_ERR_CORRUPT);
    CHECK(access(tpath("bad.tsg"), F_OK) != 0); /* removed on failure */
    free(p);
    free(m);
    free(pool);
}

static void test_merge(void)
{
    uint64_t *pool = make_pool(4000);
    /* Three segments of very different sizes (different directory bits). */
    const uint32_t lo[3] = { 0, 1000, 30000 }, nd[3] = { 1000, 29000, 10 };
    const size_t per[3] = { 20, 22, 8 };
    seg_posting *all = NULL;
    size_t nall = 0;
    seg_file *segs[3] = { 0 };
    tsr_error e = {0};
    for (int k = 0; k < 3; k++) {
        size_t np, sn;
        seg_posting *p = make_postings(pool, 4000, lo[k], nd[k], per[k], &np);
        all = realloc(all, (nall + np) * sizeof *all);
        memcpy(all + nall, p, np * sizeof *p);
        nall += np;
        sn = sorted(p, np);
        char name[32];
        snprintf(name, sizeof name, "m%d.tsg", k);
        CHECK(seg_write(tpath(name), p, sn, nd[k], lo[k], lo[k] + nd[k] - 1, NULL, &e) == TSR_OK);
        CHECK(seg_open(tpath(name), &segs[k], &e) == TSR_OK);
        free(p);
    }
    CHECK(segs[1] && segs[0] && segs[1]->info.dir_bits > segs[0]->info.dir_bits);
    size_t mn;
    seg_posting *m = model_of(all, nall, &mn);
    CHECK(check_lookups((const seg_file *const *)segs, 3, m, mn, pool, 4000) == 0);

    /* Merge in a scrambled order: the output is the union. */
    seg_file *in[3] = { segs[2], segs[0], segs[1] };
    seg_info info;
    CHECK(seg_merge(tpath("merged.tsg"), in, 3, &info, &e) == TSR_OK);
    CHECK(info.npostings == mn && info.ndocs == 30010 && info.doc_lo == 0 &&
          info.doc_hi == 30009);
    seg_file *mg = NULL;
    CHECK(seg_open(tpath("merged.tsg"), &mg, &e) == TSR_OK);
    if (mg) {
        CHECK(seg_verify(mg, 1, &e) == TSR_OK);
        const seg_file *one[1] = { mg };
        CHECK(check_lookups(one, 1, m, mn, pool, 4000) == 0);
    }
    /* Merging again with itself would repeat documents: refused. */
    seg_file *twice[2] = { segs[0], segs[0] };
    CHECK(seg_merge(tpath("twice.tsg"), twice, 2, NULL, &e) == TSR_ERR_CORRUPT);
    seg_close(mg);
    for (int k = 0; k < 3; k++)
        seg_close(segs[k]);
    free(all);
    free(m);
    free(pool);
}

/* Property: a merge (of 1 to 7 segments of random sizes, so of different
 * directory bits, some without postings, given in a scrambled order, with
 * and without removed documents) writes byte for byte the file that
 * seg_write makes from the model, the inputs' union less the removed
 * documents' postings, sorted by qsort. */
static void test_merge_model(void)
{
    uint64_t *pool = make_pool(3000);
    tsr_error e = {0};
    int bad = 0;
    for (int trial = 0; trial < 40; trial++) {
        const size_t k = 1 + rng_next(&R) % 7;
        seg_file *segs[7] = { 0 };
        seg_posting *all = NULL;
        size_t nall = 0;
        uint32_t lo = (uint32_t)(rng_next(&R) % 100), ndocs = 0;
        for (size_t i = 0; i < k; i++) {
            const uint32_t nd = 1 + (uint32_t)(rng_next(&R) % (i % 3 ? 300 : 3000));
            const size_t per = rng_next(&R) % 5 == 0 ? 0 : 1 + rng_next(&R) % 40;
            size_t np;
            seg_posting *p = make_postings(pool, 3000, lo, nd, per, &np);
            np = sorted(p, np);
            all = realloc(all, (nall + np + 1) * sizeof *all);
            memcpy(all + nall, p, np * sizeof *p);
            nall += np;
            char name[32];
            snprintf(name, sizeof name, "pm%zu.tsg", i);
            CHECK(seg_write(tpath(name), p, np, nd, lo, lo + nd - 1, NULL, &e) == TSR_OK);
            CHECK(seg_open(tpath(name), &segs[i], &e) == TSR_OK);
            free(p);
            lo += nd;
            ndocs += nd;
        }
        const uint32_t first = segs[0] ? segs[0]->info.doc_lo : 0, last = lo - 1;
        /* every third trial without removals, else about one in nine gone */
        uint64_t *bits = calloc((last >> 6) + 1, sizeof *bits);
        seg_dead dead = { bits, (uint64_t)last + 1 };
        uint32_t gone = 0;
        for (uint32_t d = first; trial % 3 && d <= last; d++)
            if (rng_next(&R) % 9 == 0) {
                bits[d >> 6] |= 1ull << (d & 63);
                gone++;
            }
        size_t w = 0;
        for (size_t i = 0; i < nall; i++)
            if (!seg_is_dead(&dead, all[i].doc))
                all[w++] = all[i];
        size_t mn;
        seg_posting *m = model_of(all, w, &mn);
        CHECK(seg_write(tpath("pm-want.tsg"), m, mn, ndocs - gone, first, last, NULL, &e) ==
              TSR_OK);
        seg_file *in[7];
        for (size_t i = 0; i < k; i++)   /* the inputs in another order: rotated */
            in[i] = segs[(i + (size_t)trial) % k];
        seg_info info;
        CHECK(seg_merge_live(tpath("pm-got.tsg"), in, k, trial % 3 ? &dead : NULL, &info, &e) ==
              TSR_OK);
        if (!same_file(tpath("pm-got.tsg"), tpath("pm-want.tsg")))
            bad++;
        for (size_t i = 0; i < k; i++)
            seg_close(segs[i]);
        free(bits);
        free(all);
        free(m);
    }
    CHECK(bad == 0);
    free(pool);
}

/* Copy `src` to `dst`, keeping `keep` bytes (all when SIZE_MAX), and XOR
 * byte `flip_at` with `mask` (when flip_at < size). */
static void damaged_copy(const char *src, const char *dst, size_t keep, size_t flip_at,
                         unsigned char mask)
{
    FILE *f = fopen(src, "rb");
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n);
    CHECK(fread(b, 1, n, f) == n);
    fclose(f);
    if (flip_at < n)
        b[flip_at] ^= mask;
    if (keep < n)
        n = keep;
    f = fopen(dst, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
    free(b);
}

static void test_damage(void)
{
    uint64_t *pool = make_pool(1000);
    size_t np, sn;
    seg_posting *p = make_postings(pool, 1000, 0, 100, 50, &np);
    sn = sorted(p, np);
    seg_info info;
    tsr_error e = {0};
    char good[256];
    snprintf(good, sizeof good, "%s", tpath("good.tsg"));
    CHECK(seg_write(good, p, sn, 100, 0, 99, &info, &e) == TSR_OK);
    seg_file *s = NULL;

    /* Truncated: by one byte, to the header, to less than a header. */
    const size_t cuts[3] = { (size_t)info.bytes - 1, SEG_HEADER_BYTES, 10 };
    for (int k = 0; k < 3; k++) {
        damaged_copy(good, tpath("cut.tsg"), cuts[k], SIZE_MAX, 0);
        CHECK(seg_open(tpath("cut.tsg"), &s, &e) == TSR_ERR_FORMAT && s == NULL);
        CHECK(strstr(e.message, "cut.tsg") != NULL);
        CHECK(strstr(e.message, "truncated") != NULL);
    }
    /* Trailing garbage. */
    FILE *f = fopen(tpath("long.tsg"), "wb");
    fclose(f);
    damaged_copy(good, tpath("long.tsg"), SIZE_MAX, SIZE_MAX, 0);
    f = fopen(tpath("long.tsg"), "ab");
    fputs("junk", f);
    fclose(f);
    CHECK(seg_open(tpath("long.tsg"), &s, &e) == TSR_ERR_FORMAT);

    /* A flipped bit in the body: opens (cheap checks); the open-time check
     * finds it in the chunk table, the body checksum anywhere (the
     * directory and the entries, as lookups find them: test_chunks). */
    const size_t table = 8 * ((sn + SEG_CHUNK_ENTRIES - 1) / SEG_CHUNK_ENTRIES +
                              ((1u << SEG_MIN_BITS) + SEG_CHUNK_ENTRIES) / SEG_CHUNK_ENTRIES + 1);
    const size_t body_bits[4] = { SEG_HEADER_BYTES + 5, (size_t)info.bytes - 3,
                                  (size_t)info.bytes - table - 4 * sn - 2,
                                  (size_t)info.bytes - table + 9 };
    for (int k = 0; k < 4; k++) {
        damaged_copy(good, tpath("flip.tsg"), SIZE_MAX, body_bits[k], 0x10);
        s = NULL;
        int rc = seg_open(tpath("flip.tsg"), &s, &e);
        CHECK(rc == TSR_OK);
        if (s) {
            CHECK((seg_verify(s, SEG_CHECK_OPEN, &e) == TSR_ERR_CHECKSUM) == (k % 2 == 1));
            CHECK(seg_verify(s, SEG_CHECK_BODY, &e) == TSR_ERR_CHECKSUM);
            CHECK(strstr(e.message, "flip.tsg") != NULL);
            CHECK(seg_verify(s, SEG_CHECK_DEEP, &e) == TSR_ERR_CHECKSUM);
            seg_close(s);
        }
    }
    /* A flipped bit in the header: refused at open. */
    for (size_t at = 16; at < SEG_HEADER_BYTES; at += 9) {
        damaged_copy(good, tpath("hdr.tsg"), SIZE_MAX, at, 0x01);
        CHECK(seg_open(tpath("hdr.tsg"), &s, &e) == TSR_ERR_CHECKSUM);
    }
    /* Bad magic. */
    damaged_copy(good, tpath("magic.tsg"), SIZE_MAX, 0, 0x20);
    CHECK(seg_open(tpath("magic.tsg"), &s, &e) == TSR_ERR_FORMAT);
    CHECK(strstr(e.message, "magic") != NULL);

    /* A newer format version (with a valid header check). */
    damaged_copy(good, tpath("v2.tsg"), SIZE_MAX, SIZE_MAX, 0);
    f = fopen(tpath("v2.tsg"), "r+b");
    unsigned char h[SEG_HEADER_BYTES];
    CHECK(fread(h, 1, sizeof h, f) == sizeof h);
    tsr_put_u32(h + 8, SEG_FORMAT_VERSION + 1);
    tsr_put_u32(h + 60, (uint32_t)XXH3_64bits(h, 60));
    fseek(f, 0, SEEK_SET);
    fwrite(h, 1, sizeof h, f);
    fclose(f);
    CHECK(seg_open(tpath("v2.tsg"), &s, &e) == TSR_ERR_VERSION);
    CHECK(strstr(e.message, "versions 1 to 2") != NULL);

    /* Missing file. */
    CHECK(seg_open(tpath("nope.tsg"), &s, &e) == TSR_ERR_NOTFOUND);
    free(p);
    free(pool);
}

/* A version 2 file made version 1 (doc/index-format.md): the chunk table
 * dropped, the header's version, body size and checksum (three digests)
 * rewritten.  What an index written before version 2 holds. */
static void as_version1(const char *src, const char *dst)
{
    FILE *f = fopen(src, "rb");
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n);
    CHECK(fread(b, 1, n, f) == n);
    fclose(f);
    const uint64_t np = tsr_get_u64(b + 16);
    const unsigned bits = tsr_get_u32(b + 52);
    const size_t dir = 4 * (((size_t)1 << bits) + 1), body = dir + 8 * np;
    unsigned char dig[24];
    tsr_put_u64(dig, XXH3_64bits(b + 64, dir));
    tsr_put_u64(dig + 8, XXH3_64bits(b + 64 + dir, 4 * np));
    tsr_put_u64(dig + 16, XXH3_64bits(b + 64 + dir + 4 * np, 4 * np));
    tsr_put_u32(b + 8, 1);
    tsr_put_u64(b + 24, body);
    tsr_put_u64(b + 32, XXH3_64bits(dig, sizeof dig));
    tsr_put_u32(b + 60, (uint32_t)XXH3_64bits(b, 60));
    f = fopen(dst, "wb");
    fwrite(b, 1, 64 + body, f);
    fclose(f);
    free(b);
}

/* The docs of fingerprint `id` in the model, in order, into want[]; how many. */
static size_t model_docs(const seg_posting *m, size_t mn, uint64_t hash, uint32_t *want,
                         size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < mn; i++)
        if (SEG_ID(m[i].hash) == SEG_ID(hash) && k < max)
            want[k++] = m[i].doc;
    return k;
}

/* Version 2's chunks: a damaged chunk of entries is not seen when the
 * segment opens (only the directory and the table are hashed then), is
 * found by the first lookup or scan that reads it, which gives no
 * documents from it and marks the segment (seg_fault names the file and
 * the postings); the other chunks read as before.  The body checksum and
 * the deep check find it too, and a version 1 file (no table) is read and
 * checked whole as before. */
static void test_chunks(void)
{
    const size_t npool = 20000;
    uint64_t *pool = make_pool(npool);
    size_t np = 0, mn = 0;
    seg_posting *p = make_postings(pool, npool, 0, 4000, 12, &np);
    seg_posting *m = model_of(p, np, &mn);
    size_t sn = sorted(p, np);
    CHECK(sn == mn && sn > 4 * SEG_CHUNK_ENTRIES);
    seg_info info;
    tsr_error e = {0};
    char good[256];
    snprintf(good, sizeof good, "%s", tpath("chunks.tsg"));
    CHECK(seg_write(good, p, sn, 4000, 0, 3999, &info, &e) == TSR_OK);

    /* Sound: opening hashes no chunk; a lookup checks the chunks it reads */
    seg_file *s = NULL;
    CHECK(seg_open(good, &s, &e) == TSR_OK && s && s->version == 2);
    if (!s) return;
    const uint64_t nc = s->nchunks, ndc = s->ndirchunks;
    CHECK(nc == (sn + SEG_CHUNK_ENTRIES - 1) / SEG_CHUNK_ENTRIES);
    CHECK(ndc == ((1u << s->info.dir_bits) + SEG_CHUNK_ENTRIES) / SEG_CHUNK_ENTRIES);
    CHECK(seg_verify(s, SEG_CHECK_OPEN, &e) == TSR_OK);
    CHECK(seg_chunks_checked(s) == 0);
    uint32_t got[64], want[64];
    CHECK(seg_lookup(s, m[0].hash, got, 64) == model_docs(m, mn, m[0].hash, want, 64));
    CHECK(seg_chunks_checked(s) >= 2 && seg_chunks_checked(s) <= 4);   /* dir + entries */
    CHECK(seg_verify(s, SEG_CHECK_BODY, &e) == TSR_OK && seg_chunks_checked(s) == ndc + nc);
    seg_close(s);

    /* A flipped bit in the keys of chunk 1, then in the docs of chunk 2 */
    const size_t keys = SEG_HEADER_BYTES + 4 * (((size_t)1 << info.dir_bits) + 1);
    const size_t at[2] = { keys + 4 * (SEG_CHUNK_ENTRIES + 100) + 1,
                           keys + 4 * sn + 4 * (2 * SEG_CHUNK_ENTRIES + 7) };
    for (int k = 0; k < 2; k++) {
        const uint64_t bad = (uint64_t)k + 1;
        damaged_copy(good, tpath("chunk-bad.tsg"), SIZE_MAX, at[k], 0x40);
        s = NULL;
        CHECK(seg_open(tpath("chunk-bad.tsg"), &s, &e) == TSR_OK && s);
        if (!s) continue;
        CHECK(seg_verify(s, SEG_CHECK_OPEN, &e) == TSR_OK);
        CHECK(seg_fault(s, &e) == TSR_OK);
        /* a lookup whose entries lie in chunk 0 or 3: as in the good file */
        size_t i0 = 0, i3 = 3 * SEG_CHUNK_ENTRIES + 50, ib = bad * SEG_CHUNK_ENTRIES + 100;
        /* entries of one fingerprint may straddle a chunk's end: pick ones inside */
        while (i0 < SEG_CHUNK_ENTRIES / 2 && SEG_ID(m[i0].hash) == SEG_ID(m[i0 + 1].hash)) i0++;
        size_t n = model_docs(m, mn, m[i0].hash, want, 64);
        CHECK(n > 0 && seg_lookup(s, m[i0].hash, got, 64) == n && !memcmp(got, want, 4 * n));
        n = model_docs(m, mn, m[i3].hash, want, 64);
        CHECK(n > 0 && seg_lookup(s, m[i3].hash, got, 64) == n && !memcmp(got, want, 4 * n));
        CHECK(seg_fault(s, &e) == TSR_OK);
        /* one that reads the damaged chunk: nothing, and the segment marked */
        CHECK(seg_lookup(s, m[ib].hash, got, 64) == 0);
        CHECK(seg_fault(s, &e) == TSR_ERR_CHECKSUM);
        CHECK(strstr(e.message, "chunk-bad.tsg") != NULL);
        char range[64];
        snprintf(range, sizeof range, "postings %llu..%llu",
                 (unsigned long long)(bad * SEG_CHUNK_ENTRIES),
                 (unsigned long long)(bad * SEG_CHUNK_ENTRIES + SEG_CHUNK_ENTRIES - 1));
        CHECK(strstr(e.message, range) != NULL);
        CHECK(seg_lookup(s, m[ib].hash, got, 64) == 0);   /* and again, from the mark */
        seg_close(s);

        /* a scan of the whole file stops at the damaged chunk, naming it */
        CHECK(seg_open(tpath("chunk-bad.tsg"), &s, &e) == TSR_OK && s);
        if (!s) continue;
        seg_scan *sc = NULL;
        long r = 0;
        size_t seen = 0;
        CHECK(seg_scan_open((seg_file *const *)&s, 1, 0, 0, &sc, &e) == TSR_OK);
        if (sc) {
            uint64_t id;
            const uint32_t *d;
            while ((r = seg_scan_next(sc, &id, &d)) > 0) seen += (size_t)r;
            CHECK(r == -1 && seen >= bad * SEG_CHUNK_ENTRIES - 64 &&
                  seen <= bad * SEG_CHUNK_ENTRIES);
            CHECK(seg_scan_error(sc, &e) == TSR_ERR_CHECKSUM && strstr(e.message, range));
            seg_scan_close(sc);
        }
        /* the body checksum fails, and says where: the table is sound */
        CHECK(seg_verify(s, SEG_CHECK_BODY, &e) == TSR_ERR_CHECKSUM);
        CHECK(strstr(e.message, "body checksum mismatch") && strstr(e.message, range));
        seg_close(s);
        CHECK(seg_open(tpath("chunk-bad.tsg"), &s, &e) == TSR_OK && s);
        if (!s) continue;
        CHECK(seg_verify(s, SEG_CHECK_DEEP, &e) == TSR_ERR_CHECKSUM && strstr(e.message, range));
        seg_close(s);
    }

    /* A flipped bit in the directory entry of a fingerprint's bucket: its
     * lookup gives nothing and names the directory's chunk */
    {
        const uint64_t h = m[5].hash, b = h >> (64 - info.dir_bits);
        damaged_copy(good, tpath("chunk-bad.tsg"), SIZE_MAX,
                     SEG_HEADER_BYTES + 4 * (b + 1) + 1, 0x02);
        s = NULL;
        CHECK(seg_open(tpath("chunk-bad.tsg"), &s, &e) == TSR_OK && s);
        if (s) {
            CHECK(seg_verify(s, SEG_CHECK_OPEN, &e) == TSR_OK);
            CHECK(seg_lookup(s, h, got, 64) == 0);
            CHECK(seg_fault(s, &e) == TSR_ERR_CHECKSUM && strstr(e.message, "directory"));
            seg_close(s);
        }
    }

    /* Version 1: no table, no lazy checks; the open-time check is the body
     * checksum, which finds a flipped entry. */
    as_version1(good, tpath("v1.tsg"));
    s = NULL;
    CHECK(seg_open(tpath("v1.tsg"), &s, &e) == TSR_OK && s && s->version == 1);
    if (s) {
        CHECK(s->table == NULL && s->lazy == NULL);
        CHECK(seg_verify(s, SEG_CHECK_OPEN, &e) == TSR_OK);
        CHECK(seg_verify(s, SEG_CHECK_DEEP, &e) == TSR_OK);
        const seg_file *segs[1] = { s };
        CHECK(check_lookups(segs, 1, m, mn, pool, 2000) == 0);
        seg_close(s);
    }
    damaged_copy(tpath("v1.tsg"), tpath("v1-bad.tsg"), SIZE_MAX, at[0], 0x40);
    CHECK(seg_open(tpath("v1-bad.tsg"), &s, &e) == TSR_OK && s);
    if (s) {
        CHECK(seg_verify(s, SEG_CHECK_OPEN, &e) == TSR_ERR_CHECKSUM);
        seg_close(s);
    }
    /* a merge of a version 1 and a version 2 file writes version 2, which
     * holds the postings of both */
    size_t np2 = 0, mn2 = 0;
    seg_posting *p2 = make_postings(pool, npool, 4000, 100, 12, &np2);
    const size_t sn2 = sorted(p2, np2);
    CHECK(seg_write(tpath("v2b.tsg"), p2, sn2, 100, 4000, 4099, &info, &e) == TSR_OK);
    seg_file *in[2] = { NULL, NULL };
    CHECK(seg_open(tpath("v1.tsg"), &in[0], &e) == TSR_OK);
    CHECK(seg_open(tpath("v2b.tsg"), &in[1], &e) == TSR_OK);
    if (in[0] && in[1]) {
        CHECK(in[0]->version == 1 && in[1]->version == 2);
        CHECK(seg_merge(tpath("v12.tsg"), in, 2, &info, &e) == TSR_OK);
        s = NULL;
        CHECK(seg_open(tpath("v12.tsg"), &s, &e) == TSR_OK && s && s->version == 2);
        if (s) {
            CHECK(s->info.npostings == sn + sn2 && s->info.ndocs == 4100);
            CHECK(seg_verify(s, SEG_CHECK_DEEP, &e) == TSR_OK);
            seg_posting *all = malloc((sn + sn2) * sizeof *all);
            memcpy(all, p, sn * sizeof *all);
            memcpy(all + sn, p2, sn2 * sizeof *all);
            seg_posting *m2 = model_of(all, sn + sn2, &mn2);
            const seg_file *segs[1] = { s };
            CHECK(check_lookups(segs, 1, m2, mn2, pool, 2000) == 0);
            free(m2);
            free(all);
            seg_close(s);
        }
    }
    seg_close(in[0]);
    seg_close(in[1]);
    free(p2);
    free(p);
    free(m);
    free(pool);
}

/* The arena the batch's chunks come from (common.h): blocks aligned and
 * apart, a block larger than a chunk, and after a reset the same chunks
 * handed out again, in the same order, with no new memory. */
static void test_arena(void)
{
    tsr_arena a = {0};
    unsigned char *p[64];
    size_t sizes[64];
    for (int i = 0; i < 64; i++) {
        sizes[i] = i == 40 ? TSR_ARENA_CHUNK + 12345 : (size_t)(i * 977 % 70000) + 1;
        p[i] = tsr_arena_alloc(&a, sizes[i]);
        CHECK(p[i] != NULL && ((uintptr_t)p[i] & 15) == 0);
        if (p[i]) memset(p[i], i, sizes[i]);
    }
    int intact = 1;   /* no block overlaps another */
    for (int i = 0; i < 64; i++)
        for (size_t k = 0; p[i] && k < sizes[i]; k += 97)
            intact &= p[i][k] == (unsigned char)i;
    CHECK(intact);
    const size_t bytes = a.bytes;
    CHECK(bytes >= 2 * TSR_ARENA_CHUNK);   /* the large block had a chunk of its own */
    tsr_arena_reset(&a);
    unsigned char *q0 = tsr_arena_alloc(&a, sizes[0]);
    CHECK(q0 == p[0]);                     /* the first chunk again, from its start */
    for (int i = 1; i < 64; i++)
        CHECK(tsr_arena_alloc(&a, sizes[i]) != NULL);
    CHECK(a.bytes == bytes);               /* the same blocks fit the kept chunks */
    CHECK(tsr_arena_alloc(&a, SIZE_MAX - 8) == NULL);   /* no overflow */
    tsr_arena_free(&a);
    CHECK(a.first == NULL && a.bytes == 0);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tsr-seg-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_arena);
    RUN(test_batch);
    RUN(test_roundtrip);
    RUN(test_merge);
    RUN(test_merge_model);
    RUN(test_damage);
    RUN(test_chunks);
    const char *names[] = { "chunks.tsg", "chunk-bad.tsg", "v1.tsg", "v1-bad.tsg", "v2b.tsg",
                            "v12.tsg", "a.tsg", "empty.tsg", "bad.tsg", "m0.tsg", "m1.tsg", "m2.tsg",
                            "merged.tsg", "twice.tsg", "good.tsg", "cut.tsg", "long.tsg",
                            "flip.tsg", "hdr.tsg", "magic.tsg", "v2.tsg", "pm-got.tsg", "pm-want.tsg",
                            "pm0.tsg", "pm1.tsg", "pm2.tsg", "pm3.tsg", "pm4.tsg", "pm5.tsg",
                            "pm6.tsg" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(tpath(names[i]));
    rmdir(tmpdir);
    return test_report();
}
