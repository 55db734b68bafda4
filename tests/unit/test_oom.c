/*
 * test_oom.c - out of memory, at every allocation: the library must answer
 * TSR_ERR_NOMEM with a message, never crash, never hand out a half-made
 * result, never leak (LeakSanitizer, in the sanitizer build).  And the
 * sizes it asks for: a damaged index must not make it ask for more memory
 * than the index could hold.
 *
 * HOW IT WORKS
 *
 * This program defines malloc, calloc, realloc and free itself.  The unit
 * tests link libtessera.a statically and the C library dynamically, so
 * these definitions take the place of the C library's for every caller in
 * the process: the library, zlib, zstd, libc itself.  Each one forwards to
 * the next definition (dlsym RTLD_NEXT: glibc's, or the sanitizer
 * runtime's in the SANITIZE=1 build), counting the calls while a test has
 * armed the counter, and fails the one whose number is `fail_at`.
 *
 * A test runs one scenario again and again with fail_at = 0, 1, 2, ...:
 * each run fails one more allocation further on, until a run ends with no
 * failed allocation, which must then give the full, right answer.  So
 * every allocation the scenario makes has failed once, in its own run.
 * Apart from that, any request over `cap_bytes` (when set) is refused and
 * the largest one is remembered, so that a test can show that nothing
 * asked for gigabytes without the machine having to have them.
 *
 * Edge cases: dlsym may allocate while the first call resolves the real
 * functions; those calls get memory from a small static arena, which free
 * ignores.  Nothing in this file allocates while the counter is armed
 * (CHECK prints to stderr, which is unbuffered).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zlib.h>

#include "segment.h"
#include "tessera.h"
#include "testhelp.h"
#include "testutil.h"

/* ------------------------------------------------------------------------
 * The failing allocator
 * --------------------------------------------------------------------- */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

static _Alignas(16) unsigned char boot[4096];   /* for dlsym's own needs */
static size_t boot_used;
static int resolving;

static int armed;          /* count and fail only between arm() and disarm() */
static long n_calls;       /* allocations counted since arm() */
static long fail_at = -1;  /* the call (from 0) that fails; -1: none */
static int failed;         /* whether it came */
static size_t cap_bytes;   /* refuse larger requests; 0: no cap */
static size_t largest;     /* the largest request refused by the cap */

static void *boot_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > sizeof boot - boot_used)
        return NULL;
    void *p = boot + boot_used;
    boot_used += n;
    return p;
}

static int in_boot(const void *p)
{
    return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + sizeof boot;
}

static void resolve(void)
{
    resolving = 1;
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    resolving = 0;
    if (!real_malloc || !real_calloc || !real_realloc || !real_free)
        _exit(99);
}

/* Whether this allocation of `n` bytes is the one to fail. */
static int fail_now(size_t n)
{
    if (cap_bytes && n > cap_bytes) {
        if (n > largest)
            largest = n;
        errno = ENOMEM;
        return 1;
    }
    if (!armed)
        return 0;
    if (n_calls++ != fail_at)
        return 0;
    failed = 1;
    errno = ENOMEM;
    return 1;
}

/* Skewed placement (test_arena_skew): while `skew` is set, a request of
 * SKEW_MIN bytes or more is served 16 bytes short of a 2 MiB boundary,
 * inside a larger allocation, as the heap may place it; `skewed` records
 * what was asked, for the test and for free. */
#define SKEW_MIN ((size_t)1 << 20)
#define SKEW_HUGE ((size_t)2 << 20)
static int skew;
static struct { char *user, *raw; size_t n; } skewed[8];

static void *skew_malloc(size_t n)
{
    for (size_t k = 0; k < sizeof skewed / sizeof skewed[0]; k++) {
        if (skewed[k].user)
            continue;
        char *raw = real_malloc(n + 2 * SKEW_HUGE);
        if (!raw)
            return NULL;
        const uintptr_t b = ((uintptr_t)raw + SKEW_HUGE) & ~(uintptr_t)(SKEW_HUGE - 1);
        skewed[k].user = (char *)(b + SKEW_HUGE - 16);
        skewed[k].raw = raw;
        skewed[k].n = n;
        return skewed[k].user;
    }
    return NULL;
}

static int skew_free(void *p)
{
    for (size_t k = 0; k < sizeof skewed / sizeof skewed[0]; k++)
        if (skewed[k].user && skewed[k].user == p) {
            real_free(skewed[k].raw);
            skewed[k].user = NULL;
            return 1;
        }
    return 0;
}

void *malloc(size_t n)
{
    if (!real_malloc) {
        if (resolving)
            return boot_alloc(n);
        resolve();
    }
    if (fail_now(n))
        return NULL;
    return skew && n >= SKEW_MIN ? skew_malloc(n) : real_malloc(n);
}

void *calloc(size_t k, size_t n)
{
    if (!real_calloc) {
        if (resolving)
            return n && k > sizeof boot / n ? NULL : boot_alloc(k * n); /* zeroed */
        resolve();
    }
    return fail_now(n && k > SIZE_MAX / n ? SIZE_MAX : k * n) ? NULL : real_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
    if (!real_realloc)
        resolve();
    if (in_boot(p)) {     /* never happens with glibc; kept simple */
        void *q = fail_now(n) ? NULL : real_malloc(n);
        if (q)
            memcpy(q, p, n < sizeof boot ? n : sizeof boot);
        return q;
    }
    return fail_now(n) ? NULL : real_realloc(p, n);
}

void free(void *p)
{
    if (!p || in_boot(p))
        return;
    if (!real_free)
        resolve();
    if (skew_free(p))
        return;
    real_free(p);
}

static void arm(long at)
{
    n_calls = 0;
    fail_at = at;
    failed = 0;
    armed = 1;
}

static void disarm(void)
{
    armed = 0;
}

/* ------------------------------------------------------------------------
 * Fixtures
 * --------------------------------------------------------------------- */

static char tmpdir[256];

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len)) {
        perror(path);
        exit(2);
    }
    fclose(f);
}

static void write_gzip(const char *path, const char *s)
{
    gzFile g = gzopen(path, "wb");
    if (!g) {
        perror(path);
        exit(2);
    }
    gzwrite(g, s, (unsigned)strlen(s));
    gzclose(g);
}

/* ------------------------------------------------------------------------
 * The WET reader
 * --------------------------------------------------------------------- */

/* A warcinfo record (skipped) and two conversion records (documents),
 * every header present, so that every field of a document is set. */
static const char wet_file[] =
    "WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Date: 2024-03-01T09:00:00Z\r\n"
    "WARC-Record-ID: <urn:uuid:0>\r\nContent-Length: 15\r\n\r\n"
    "software: test\n\r\n\r\n"
    "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://example.com/a/b\r\n"
    "WARC-Date: 2024-03-01T10:00:00Z\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
    "Content-Type: text/plain\r\nContent-Length: 27\r\n\r\n"
    "First page.\nAbout harbours.\r\n\r\n"
    "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: https://news.example.org:8080/x\r\n"
    "WARC-Date: 2024-03-02T11:00:00Z\r\nWARC-Record-ID: <urn:uuid:2>\r\n"
    "Content-Type: text/plain\r\nContent-Length: 12\r\n\r\n"
    "Second page.\r\n\r\n";

static const struct {
    const char *id, *title, *date, *series, *text;
} wet_docs[2] = {
    { "<urn:uuid:1>", "http://example.com/a/b", "2024-03-01T10:00:00Z", "example.com",
      "First page.\nAbout harbours." },
    { "<urn:uuid:2>", "https://news.example.org:8080/x", "2024-03-02T11:00:00Z",
      "news.example.org", "Second page." },
};

static int same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static int doc_right(const tsr_docinfo *d, int k)
{
    return k < 2 && same(d->id, wet_docs[k].id) && same(d->title, wet_docs[k].title) &&
           same(d->date, wet_docs[k].date) && same(d->series, wet_docs[k].series) &&
           d->text && d->text_len == strlen(wet_docs[k].text) &&
           !memcmp(d->text, wet_docs[k].text, d->text_len) && !d->meta_json;
}

/* Whether an error is the out-of-memory answer: the code, in err too,
 * and a message. */
static int nomem_answer(int rc, const tsr_error *e)
{
    return rc == TSR_ERR_NOMEM && e->code == rc && e->message[0] != 0 &&
           memchr(e->message, 0, sizeof e->message) != NULL;
}

/* One read of `path` with allocation number `at` failing.  Returns
 * whether the failure came (else the run was complete). */
static int wet_run(const char *path, int skip_bad, long at, long *bad_at)
{
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.skip_bad = skip_bad;
    tsr_reader *r = NULL;
    tsr_error e;
    int ok = 1;
    arm(at);
    int rc = tsr_reader_open(path, &o, &r, &e);
    if (rc != TSR_OK) {
        disarm();
        ok = failed && r == NULL && nomem_answer(rc, &e);
    } else {
        int k = 0;
        for (;;) {
            tsr_docinfo d;
            int eof = 0;
            rc = tsr_reader_next(r, &d, &eof, &e);
            if (rc != TSR_OK) {
                /* final: the next call says the same */
                tsr_error e2;
                int eof2 = 0;
                const int rc2 = tsr_reader_next(r, &d, &eof2, &e2);
                ok = failed && nomem_answer(rc, &e) && rc2 == rc && !eof2;
                break;
            }
            if (eof) {
                ok = k == 2 && tsr_reader_skipped(r) == 0;
                break;
            }
            if (!doc_right(&d, k++)) {
                ok = 0;
                break;
            }
        }
        disarm();
        tsr_reader_close(r);
    }
    if (!ok && *bad_at < 0)
        *bad_at = at;
    return failed;
}

static void test_wet_oom(void)
{
    char plain[512], gz[512];
    snprintf(plain, sizeof plain, "%s/cc.warc.wet", tmpdir);
    snprintf(gz, sizeof gz, "%s/cc.warc.wet.gz", tmpdir);
    write_file(plain, wet_file, sizeof wet_file - 1);
    write_gzip(gz, wet_file);
    const char *paths[2] = { plain, gz };
    for (int p = 0; p < 2; p++) {
        for (int skip = 0; skip < 2; skip++) {
            long bad_at = -1, at = 0;
            while (at < 100000 && wet_run(paths[p], skip, at, &bad_at))
                at++;
            if (bad_at >= 0)
                fprintf(stderr, "  %s (skip_bad %d): allocation %ld of %ld failed:"
                        " a wrong answer\n", paths[p], skip, bad_at, at);
            CHECK(bad_at < 0);
            CHECK(at >= 3 && at < 100000);   /* it walked, and it ended */
        }
    }
    unlink(plain);
    unlink(gz);
}

/* ------------------------------------------------------------------------
 * tsr_align with the sentence stage (lib/paraphrase.c)
 * --------------------------------------------------------------------- */

/* A paragraph rewritten (test_paraphrase.c): only the stage finds it. */
static const char *const rw_a =
    "Tickets for the concert sold out within an hour of going on sale. Following months of"
    " debating, councillors approving budgets for the city did so on Tuesday. Under the planned"
    " rise, taxes on properties go up three percent, paying for repairing roads. Outside the hall"
    " of the town, residents were protesting while votes were cast. Increases are a necessity,"
    " according to the mayor, since bridges have crumbled.";
static const char *const rw_b =
    "Its call resembles the sound of a dripping tap in a quiet cave. The city council approved a"
    " new budget on Tuesday after months of debate. The plan raises property taxes by three"
    " percent to pay for road repairs. Several residents protested outside the town hall during"
    " the vote. The mayor said the increase was necessary to fix crumbling bridges.";

static void test_align_oom(void)
{
    long bad_at = -1, at = 0;
    for (; at < 100000; at++) {
        tsr_result *r = NULL;
        tsr_error e;
        arm(at);
        const int rc = tsr_align(rw_a, strlen(rw_a), rw_b, strlen(rw_b), NULL, &r, &e);
        disarm();
        const int ok = rc == TSR_OK ? r && r->n_passages == 1 && r->passages[0].a_words > 30
                                    : failed && !r && nomem_answer(rc, &e);
        if (!ok && bad_at < 0) bad_at = at;
        tsr_result_free(r);
        if (!failed) break;
    }
    if (bad_at >= 0)
        fprintf(stderr, "  tsr_align: allocation %ld failed: a wrong answer\n", bad_at);
    CHECK(bad_at < 0);
    CHECK(at >= 10 && at < 100000);
}

/* ------------------------------------------------------------------------
 * A batch's postings: all or nothing across chunks of its arena
 * --------------------------------------------------------------------- */

/* seg_batch_add of a document whose postings need a new chunk of the
 * batch's arena half way (1.5 million postings in one bucket: about 12 MB
 * of chunks, the arena's chunks being 8 MB), with each allocation failing
 * in turn: a failed add leaves the batch as it was, the next add and the
 * sort work, and the batch holds exactly the documents added. */
static void test_batch_oom(void)
{
    enum { SMALL = 300, BIG = 1500000 };
    uint64_t *h = malloc(BIG * sizeof *h);
    CHECK(h != NULL);
    if (!h) return;
    long bad_at = -1, at = 0;
    for (; at < 1000; at++) {
        seg_batch b = {0};
        int rc[3];
        size_t want = 0;
        arm(at);
        for (uint32_t d = 0; d < 3; d++) {
            const size_t n = d == 1 ? BIG : SMALL;
            for (size_t i = 0; i < n; i++)   /* distinct; document 1 all in bucket 0 */
                h[i] = d == 1 ? ((uint64_t)(i + 1) << 20 | 7)
                              : (0x9E3779B97F4A7C15ull * (i + 1 + 1000 * d)) | 1;
            rc[d] = seg_batch_add(&b, h, n, d, NULL);
            if (rc[d] == TSR_OK) want += n;
        }
        disarm();
        int ok = b.n == want;
        for (int d = 0; d < 3; d++)
            ok = ok && (rc[d] == TSR_OK || (rc[d] == TSR_ERR_NOMEM && failed));
        tsr_error e;
        ok = ok && seg_batch_sort(&b, &e) == TSR_OK && b.n == want;
        size_t seen = 0;
        for (size_t k = 0; ok && b.bk && k < ((size_t)1 << SEG_MIN_BITS); k++) {
            size_t in_bucket = 0;
            uint64_t last = 0;
            for (const seg_chunk *c = b.bk[k].head; c; c = c->next)
                for (uint32_t j = 0; j < c->n; j++, in_bucket++) {
                    const uint32_t d = (uint32_t)c->e[j];
                    ok = ok && d < 3 && rc[d] == TSR_OK && (in_bucket == 0 || c->e[j] > last);
                    last = c->e[j];
                }
            ok = ok && in_bucket == b.bk[k].n;
            seen += in_bucket;
        }
        ok = ok && seen == want;
        if (!ok && bad_at < 0) bad_at = at;
        seg_batch_free(&b);
        if (!failed) break;
    }
    free(h);
    if (bad_at >= 0)
        fprintf(stderr, "  seg_batch_add: allocation %ld failed: a wrong batch\n", bad_at);
    CHECK(bad_at < 0);
    CHECK(at >= 3 && at < 1000);   /* the buckets, the arena's chunks, the sort */
}

/* A chunk of the arena (common.h) placed 16 bytes short of a 2 MiB
 * boundary, as malloc may place one in the heap: every block, the last
 * byte of a chunk filled to its end included, lies inside the memory the
 * chunk asked for.  (Was: the blocks start at the first huge-page
 * boundary after the chunk's header, but the chunk asked for its blocks
 * and one huge page only, not the header too: up to 31 bytes past its
 * end, when the placement was unlucky and the chunk filled.) */
static void test_arena_skew(void)
{
    tsr_arena a = {0};
    skew = 1;
    char *p = tsr_arena_alloc(&a, 100);
    char *q = p ? tsr_arena_alloc(&a, TSR_ARENA_CHUNK - 112) : NULL;   /* fills the chunk */
    skew = 0;
    CHECK(p && q);
    int inside = 0;
    for (size_t k = 0; q && k < sizeof skewed / sizeof skewed[0]; k++)
        if (skewed[k].user && p >= skewed[k].user)
            inside = q + TSR_ARENA_CHUNK - 112 <= skewed[k].user + skewed[k].n &&
                     p >= skewed[k].user;
    CHECK(inside);
    tsr_arena_free(&a);
}

/* ------------------------------------------------------------------------
 * A catalog row that lies about a text's length
 * --------------------------------------------------------------------- */

static const char *const ix_text[2] = {
    "the lighthouse keeper climbed the iron stairs every evening at dusk",
    "a loaf of bread needs flour water salt and a long slow rise",
};

static int sql(const char *db_path, const char *statement)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, statement, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* A new index of the two texts in `dir`; returns whether all went well. */
static int make_index(const char *dir)
{
    tsr_index *ix = NULL;
    tsr_error e;
    int ok = tsr_index_open(dir, TSR_OPEN_CREATE, &ix, &e) == TSR_OK;
    for (int k = 0; ok && k < 2; k++) {
        const tsr_docinfo d = { .id = k ? "b" : "a", .text = ix_text[k],
                                .text_len = strlen(ix_text[k]) };
        ok = tsr_index_add(ix, &d, &e) == TSR_OK;
    }
    ok = ok && tsr_index_commit(ix, &e) == TSR_OK;
    tsr_index_close(ix);
    return ok;
}

/* docs.text_len says 1 TiB (a damaged or forged catalog; the segments
 * and the stored text are sound): reading the document's text, by get or
 * as a check's candidate, must be TSR_ERR_CORRUPT, without asking for
 * that memory first (was: a malloc of text_len + 1 bytes, then
 * TSR_ERR_NOMEM, or the memory taken when the system grants it). */
static void test_text_len_lie(void)
{
    char dir[320], cat[400];
    snprintf(dir, sizeof dir, "%s/ix", tmpdir);
    snprintf(cat, sizeof cat, "%s/catalog.sqlite", dir);
    CHECK(make_index(dir));
    CHECK(sql(cat, "UPDATE docs SET text_len = 1099511627776 WHERE docno = 0") == SQLITE_OK);

    tsr_index *ix = NULL;
    tsr_error e;
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &ix, &e) == TSR_OK);
    if (!ix)
        return;
    cap_bytes = (size_t)256 << 20;
    largest = 0;
    tsr_document *doc = NULL;
    int rc = tsr_index_get(ix, "a", &doc, &e);
    CHECK(rc == TSR_ERR_CORRUPT && doc == NULL && strstr(e.message, "'a'") != NULL);
    tsr_result *r = NULL;
    rc = tsr_index_check(ix, ix_text[0], strlen(ix_text[0]), NULL, &r, &e);
    CHECK(rc == TSR_ERR_CORRUPT && r == NULL);
    if (largest)
        fprintf(stderr, "  the library asked for %zu bytes\n", largest);
    CHECK(largest == 0);
    /* the other document is sound */
    rc = tsr_index_get(ix, "b", &doc, &e);
    CHECK(rc == TSR_OK && doc && doc->text_len == strlen(ix_text[1]));
    tsr_document_free(doc);
    cap_bytes = 0;
    CHECK(tsr_index_verify(ix, NULL, NULL, &e) == TSR_ERR_CORRUPT);
    tsr_index_close(ix);
    CHECK(rm_tree(dir) == 0);
}

/* meta.docs says 10^15 documents, the segments hold 2: the index is
 * refused at open as corrupt (was: opened, and a check sized its
 * candidate buffer from the count, asking for 8 TB). */
static void test_docs_count_lie(void)
{
    char dir[320], cat[400];
    snprintf(dir, sizeof dir, "%s/ix", tmpdir);
    snprintf(cat, sizeof cat, "%s/catalog.sqlite", dir);
    CHECK(make_index(dir));
    CHECK(sql(cat, "UPDATE meta SET value = '1000000000000000' WHERE key = 'docs'") == SQLITE_OK);
    cap_bytes = (size_t)256 << 20;
    largest = 0;
    tsr_index *ix = NULL;
    tsr_error e;
    const int rc = tsr_index_open(dir, TSR_OPEN_READONLY, &ix, &e);
    CHECK(rc == TSR_ERR_CORRUPT && ix == NULL && strstr(e.message, "1000000000000000"));
    if (ix) {
        tsr_result *r = NULL;
        if (tsr_index_check(ix, ix_text[0], strlen(ix_text[0]), NULL, &r, &e) == TSR_OK)
            tsr_result_free(r);
        tsr_index_close(ix);
    }
    if (largest)
        fprintf(stderr, "  the library asked for %zu bytes\n", largest);
    CHECK(largest == 0);
    cap_bytes = 0;
    /* put right, it opens again */
    CHECK(sql(cat, "UPDATE meta SET value = '2' WHERE key = 'docs'") == SQLITE_OK);
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &ix, &e) == TSR_OK);
    tsr_index_close(ix);
    CHECK(rm_tree(dir) == 0);
}

/* A catalog row naming a file outside the index's directory (a copy of a
 * real segment there, so that opening it would work): refused as corrupt
 * before any file is opened, so that a forged catalog cannot make a reader
 * open another path (a FIFO would hang it). */
static void test_segment_path_lie(void)
{
    char dir[320], cat[400], cmd[1200], other[400];
    snprintf(dir, sizeof dir, "%s/ix", tmpdir);
    snprintf(cat, sizeof cat, "%s/catalog.sqlite", dir);
    snprintf(other, sizeof other, "%s/seg-000001.tsg", tmpdir);
    CHECK(make_index(dir));
    snprintf(cmd, sizeof cmd, "cp %s/seg-*.tsg %s", dir, other);
    CHECK(system(cmd) == 0);
    CHECK(sql(cat, "UPDATE segments SET file = '../seg-000001.tsg'") == SQLITE_OK);
    tsr_index *ix = NULL;
    tsr_error e;
    int rc = tsr_index_open(dir, TSR_OPEN_READONLY, &ix, &e);
    CHECK(rc == TSR_ERR_CORRUPT && ix == NULL && strstr(e.message, "../seg-000001.tsg"));
    tsr_index_close(ix);
    CHECK(sql(cat, "UPDATE segments SET file = '/dev/zero'") == SQLITE_OK);
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &ix, &e) == TSR_ERR_CORRUPT);
    unlink(other);
    CHECK(rm_tree(dir) == 0);
}

/* ------------------------------------------------------------------------
 * Discovery, its reads of texts kept as stored rows (lib/cache.c, dc_rows)
 * --------------------------------------------------------------------- */

/* 20 sources, then 10 targets each quoting four of them (test_index.c,
 * test_discover_kept, smaller): at 64 KB of memory the targets are read
 * again through the stored rows kept.  One thread, so that the
 * allocations come in one order.  Each allocation fails in turn: the
 * answer is TSR_ERR_NOMEM and no result, or, when none failed, the links
 * of a run without failures; no work directory is left behind. */
static void test_discover_oom(void)
{
    enum { NSRC = 20, NTGT = 10 };
    char dir[512], work[512];
    snprintf(dir, sizeof dir, "%s/disc.tsr", tmpdir);
    snprintf(work, sizeof work, "%s/disc-tmp", tmpdir);
    CHECK(mkdir(work, 0755) == 0);
    tsr_index *ix = NULL;
    tsr_error e;
    int ok = tsr_index_open(dir, TSR_OPEN_CREATE, &ix, &e) == TSR_OK;
    rng R = { 4242 };
    char *quote[NSRC];
    for (int i = 0; i < NSRC; i++)
        quote[i] = make_text(&R, 40);
    for (int i = 0; ok && i < NSRC + NTGT; i++) {
        char *t = malloc(4 * (40 + 35) * 12 + 64), id[32];
        t[0] = 0;
        for (int j = 0; j < (i < NSRC ? 1 : 4); j++) {
            char *own = make_text(&R, i < NSRC ? 60 : 35);
            strcat(t, own);
            strcat(t, " ");
            strcat(t, quote[i < NSRC ? i : (i - NSRC + 5 * j) % NSRC]);
            strcat(t, " ");
            free(own);
        }
        snprintf(id, sizeof id, "doc-%d", i);
        const tsr_docinfo d = { .id = id, .text = t, .text_len = strlen(t) };
        ok = tsr_index_add(ix, &d, &e) == TSR_OK;
        free(t);
    }
    for (int i = 0; i < NSRC; i++)
        free(quote[i]);
    ok = ok && tsr_index_commit(ix, &e) == TSR_OK;
    CHECK(ok);
    tsr_discover_opts o;
    tsr_discover_opts_default(&o);
    o.threads = 1;
    o.memory = (size_t)64 << 10;
    char *had = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", work, 1);
    tsr_discovery *ref = NULL;
    ok = ok && tsr_discover(ix, NULL, &o, &ref, &e) == TSR_OK;
    CHECK(ok && ref->n_links > 0 && ref->texts_kept > 0);
    long bad_at = -1, at = 0;
    for (; ok && at < 200000; at++) {
        tsr_discovery *d = NULL;
        arm(at);
        const int rc = tsr_discover(ix, NULL, &o, &d, &e);
        disarm();
        const int right = rc == TSR_OK
                              ? d && d->n_links == ref->n_links &&
                                    !memcmp(d->links, ref->links, d->n_links * sizeof *d->links)
                              : failed && !d && nomem_answer(rc, &e);
        if (!right && bad_at < 0) bad_at = at;
        tsr_discovery_free(d);
        if (!failed) break;
    }
    if (bad_at >= 0)
        fprintf(stderr, "  tsr_discover: allocation %ld failed: a wrong answer\n", bad_at);
    CHECK(bad_at < 0);
    CHECK(at >= 100 && at < 200000);
    CHECK(rmdir(work) == 0);   /* empty: every run took its work directory away */
    if (had) setenv("TMPDIR", had, 1); else unsetenv("TMPDIR");
    free(had);
    tsr_discovery_free(ref);
    tsr_index_close(ix);
    CHECK(rm_tree(dir) == 0);
}

/* ------------------------------------------------------------------------
 * Main
 * --------------------------------------------------------------------- */

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/tsr-oom-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    RUN(test_wet_oom);
    RUN(test_align_oom);
    RUN(test_batch_oom);
    RUN(test_arena_skew);
    RUN(test_text_len_lie);
    RUN(test_docs_count_lie);
    RUN(test_segment_path_lie);
    RUN(test_discover_oom);
    rmdir(tmpdir);
    return test_report();
}
