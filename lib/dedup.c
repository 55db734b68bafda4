/*
 * dedup.c - near-duplicate clusters of a corpus of MinHash signatures.
 *
 * How it works.  Signatures are stored in chunks (never moved, so the
 * corpus can grow to many millions without a copy).  tsr_dedup_run takes
 * a few bands at a time (DD_BAND_GROUP, from one sweep over the
 * signatures): for each band, every document with shingles contributes the
 * pair (32-bit hash of its band rows, document); the pairs are radix-sorted by
 * hash, and documents with equal hashes form a bucket.  Each document of a
 * bucket is checked against the bucket's first document (estimated
 * Jaccard >= threshold), and when that fails, against its predecessor in
 * the bucket: O(m) work for a bucket of m, where all-pairs would be
 * O(m^2).  Pairs that pass are joined by union-find.  Worker threads take
 * bands in turn; joining happens under a lock, once per band.  Two band
 * values whose hashes collide (once in 2^32) only put an unrelated
 * document into a bucket, where the signature check rejects it.
 *
 * The cost of the star-and-chain check: a document that matches neither
 * the bucket's first document nor its predecessor, but some other member,
 * is not joined through this band; the other bands usually join it.  It
 * errs towards fewer, purer clusters.
 *
 * Clusters and the kept document (Jaccard).  After joining, documents are
 * grouped by their union-find root; a group of two or more is a cluster.
 * The keeper follows o->keep (first, longest, earliest; see tessera.h),
 * and the cluster's similarity is the least estimated Jaccard of a member
 * with the keeper (members join through chains, so it may fall below the
 * threshold: reported, not hidden).
 *
 * Measures that read texts (TSR_MEASURE_ALIGNED, _CONTAINMENT).  Each
 * document comes with its compact form (tsr_dedup_prepare), appended to an
 * unlinked spool file as it is added; memory keeps its offset.  The bands
 * are cut for the lower o->candidate, on shorter shingles (3 words by
 * default, which an edit breaks fewer of); a bucket pair whose estimated
 * Jaccard reaches it is a candidate, kept in `pend`, which is sorted and
 * made unique after the bands.
 *
 * tsr_dedup_verify scores the candidate pairs whose scores can matter
 * (dd_make_clusters; dedup_verify.c) on o->threads threads, in runs of one
 * first document, whose compact
 * form is read once for all its pairs (pread: any thread, no lock; read in
 * place from a mapping instead, the forms cost the same and the resident
 * size grew by the spool).  Pairs
 * with equal signatures (equal sets of shingles) score 1 unread: exact
 * copies, the bulk of real duplicates, cost nothing more.
 *
 * Clusters are not the connected components of the pairs that pass: a
 * chain of pairs joins two instances of a template through a third that
 * shares a little with each (the 6-3/8 pct of one, the 1.5 billion dlrs of
 * the other), and every dropped document must be a duplicate of the one
 * kept in its place.  So keepers are chosen greedily (dd_make_clusters):
 * documents are taken in the order of o->keep (input order for
 * TSR_KEEP_FIRST, longest first, earliest first); one that no keeper took
 * yet becomes a keeper and takes every document not yet taken that it has
 * a passing pair with, and with each of these the documents of the same
 * signature (copies of it, same shingles, which the keeper may have no pair
 * with).  A document is dropped only for a pair that passed with its
 * keeper (or a copy of such a document), and a cluster is a keeper with
 * what it took.  The cost is a little recall: a near copy whose only
 * passing pair is with another near copy (not with the keeper) stays; the
 * LSH buckets, whose first document is the first in input order, make
 * such cases rare for TSR_KEEP_FIRST.
 *
 * Memory: 2*perm bytes of signature, 8 of length, 4 of union-find parent,
 * 1 flag per document, and 8 of spool offset with the measures that read
 * texts; a date arena for TSR_KEEP_EARLIEST; during a run, 32 bytes per
 * document per worker thread for the band sort (the keys of
 * DD_BAND_GROUP bands and a buffer); with the measures that
 * read texts, 12 bytes per candidate pair (8 more while they are sorted,
 * 8 more while clusters are made), 9 per document while clusters are
 * made, and per thread the two compact forms being scored.  Disk: the
 * spool, 12 bytes per document and 2 (aligned) or about 4 (containment)
 * per word.
 */
#include "common/common.h"
#include "minhash.h"

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define DD_CHUNK_BITS 16
#define DD_CHUNK ((size_t)1 << DD_CHUNK_BITS)

/* Flags of d->has, per document. */
#define DD_HAS 1u     /* the document has shingles */

/* What tsr_dedup_run left. */
enum { DD_NONE, DD_PENDING, DD_DONE };

/* Pairs (a, b) as one sortable key. */
#define DD_PAIR(a, b) ((uint64_t)(a) << 32 | (uint32_t)(b))
#define DD_PA(p) ((uint32_t)((p) >> 32))
#define DD_PB(p) ((uint32_t)(p))

/* The banding of the measures that read texts: a pair of Jaccard
 * o->candidate + DD_CAND_MARGIN is a candidate with probability DD_CAND_P
 * (14 bands of 2 rows for the default 0.3). */
#define DD_CAND_MARGIN 0.2
#define DD_CAND_P 0.98

/* Bytes of compact forms buffered before a write to the spool. */
#define DD_SPOOL_BUF ((size_t)1 << 20)

typedef struct {
    uint32_t key;
    uint32_t doc;
} dd_entry;

struct tsr_dedup {
    tsr_dedup_opts o;
    uint64_t n;
    TSR_VEC(uint16_t *) chunks;   /* DD_CHUNK signatures each, on huge pages */
    TSR_VEC(void *) chunk_raw;    /* what to free for each */
    TSR_VEC(uint64_t) length;
    TSR_VEC(unsigned char) has;   /* DD_HAS */
    TSR_VEC(uint32_t) date;       /* offset+1 into dates, 0 = none */
    TSR_VEC(char) dates;
    uint32_t *parent;             /* union-find, after run */
    /* results */
    TSR_VEC(tsr_dedup_cluster) clusters;
    TSR_VEC(uint64_t) members;
    int64_t *cluster_of;          /* per document: cluster or -1 */
    uint64_t candidates, verified;
    /* measures that read texts */
    int state;                    /* DD_NONE, DD_PENDING, DD_DONE */
    int spool;                    /* the spool file, unlinked; -1: none yet */
    TSR_VEC(uint64_t) off;        /* per document: its form's offset; then the end */
    TSR_VEC(unsigned char) wbuf;  /* forms not yet written */
    uint64_t written;             /* bytes of the spool on disk */
    TSR_VEC(uint64_t) pend;       /* candidate pairs, DD_PAIR(a, b), a < b, sorted */
    float *score;                 /* per pend pair: its score, -1 unscored */
    tsr_dedup_counts counts;
};

/* ------------------------------------------------------------------------
 * Corpus
 * --------------------------------------------------------------------- */

int tsr_dedup_create(const tsr_dedup_opts *o, tsr_dedup **out, tsr_error *err)
{
    *out = NULL;
    tsr_dedup_opts def;
    if (!o) { tsr_dedup_opts_default(&def); o = &def; }
    TSR_FORWARD(tsr_dedup_opts_validate(o, err));
    tsr_dedup *d = calloc(1, sizeof *d);
    TSR_CHECK_ALLOC(d, err);
    d->o = *o;
    d->spool = -1;
    if (d->o.bands == 0 && o->measure == TSR_MEASURE_JACCARD) {
        int rc = tsr_lsh_params(o->threshold, o->perm, &d->o.bands, &d->o.rows, err);
        if (rc != TSR_OK) { free(d); return rc; }
    } else if (d->o.bands == 0) {
        /* bands of 2 rows, as many as a pair of Jaccard candidate + 0.2
         * needs to share one with probability 0.98 (DD_CAND_*): the
         * candidate floor, not the datasketch rule's middle of the curve,
         * decides, and the cheapest bands that reach it win */
        const double sj = o->candidate + DD_CAND_MARGIN, p = 1.0 - sj * sj;
        int b = sj >= 1.0 ? 1 : (int)ceil(log(1.0 - DD_CAND_P) / log(p));
        if (b < 1) b = 1;
        if (b > o->perm / 2) b = o->perm / 2;
        d->o.bands = b;
        d->o.rows = 2;
    }
    *out = d;
    return TSR_OK;
}

void tsr_dedup_banding(const tsr_dedup *d, int *bands, int *rows)
{
    *bands = d->o.bands;
    *rows = d->o.rows;
}

uint64_t tsr_dedup_count(const tsr_dedup *d) { return d->n; }

static uint16_t *dd_sig(const tsr_dedup *d, uint64_t doc)
{
    return d->chunks.a[doc >> DD_CHUNK_BITS] + (doc & (DD_CHUNK - 1)) * (size_t)d->o.perm;
}

static int dd_add(tsr_dedup *d, const uint16_t *sig, uint64_t length, const char *date,
                  tsr_error *err)
{
    if (d->n >= UINT32_MAX - 1)
        return tsr_seterr(err, TSR_ERR_TOOBIG, "more than %u documents", UINT32_MAX - 2);
    if ((d->n & (DD_CHUNK - 1)) == 0 && (d->n >> DD_CHUNK_BITS) == d->chunks.n) {
        /* 16 MB at the default 128 values: on 4 KB pages, filling the
         * chunks was half of `tessera dedup`'s page faults (12,700 at
         * 100,000 documents; BENCHMARKS.md, "Dedup's signatures on huge
         * pages") */
        const size_t bytes = DD_CHUNK * (size_t)d->o.perm * sizeof(uint16_t);
        char *c;
        void *raw = tsr_huge_alloc(0, bytes, &c);
        TSR_CHECK_ALLOC(raw, err);
        if (tsr_vec_reserve(&d->chunks, 1) || tsr_vec_push(&d->chunk_raw, raw)) {
            free(raw);
            TSR_CHECK_ALLOC(NULL, err);
        }
        d->chunks.a[d->chunks.n++] = (uint16_t *)(void *)c;
    }
    if (tsr_vec_reserve(&d->length, 1) || tsr_vec_reserve(&d->has, 1) ||
        (d->o.keep == TSR_KEEP_EARLIEST && tsr_vec_reserve(&d->date, 1)))
        TSR_CHECK_ALLOC(NULL, err);
    uint32_t off = 0;
    if (d->o.keep == TSR_KEEP_EARLIEST && date && *date) {
        size_t l = strlen(date) + 1;
        if (d->dates.n + l >= UINT32_MAX)
            return tsr_seterr(err, TSR_ERR_TOOBIG, "over 4 GiB of dates");
        if (tsr_vec_reserve(&d->dates, l)) TSR_CHECK_ALLOC(NULL, err);
        off = (uint32_t)d->dates.n + 1;
        memcpy(d->dates.a + d->dates.n, date, l);
        d->dates.n += l;
    }
    uint16_t *dst = dd_sig(d, d->n);
    if (sig) memcpy(dst, sig, (size_t)d->o.perm * sizeof *dst);
    else for (int i = 0; i < d->o.perm; i++) dst[i] = 0xFFFF;
    d->length.a[d->length.n++] = length;
    d->has.a[d->has.n++] = (unsigned char)(sig != NULL ? DD_HAS : 0);
    if (d->o.keep == TSR_KEEP_EARLIEST) d->date.a[d->date.n++] = off;
    d->n++;
    return TSR_OK;
}

int tsr_dedup_add(tsr_dedup *d, const uint16_t *sig, uint64_t length,
                  const char *date, tsr_error *err)
{
    if (d->o.measure != TSR_MEASURE_JACCARD)
        return tsr_seterr(err, TSR_ERR_INVALID, "the measure %s reads texts: add documents "
                          "with tsr_dedup_add_packed", tsr_measure_name(d->o.measure));
    return dd_add(d, sig, length, date, err);
}

/* ------------------------------------------------------------------------
 * The spool of compact forms
 * --------------------------------------------------------------------- */

static int dd_spool_open(tsr_dedup *d, tsr_error *err)
{
    const char *dir = d->o.tmpdir;
    if (!dir || !*dir) dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    const size_t n = strlen(dir) + 32;
    char *path = malloc(n);
    TSR_CHECK_ALLOC(path, err);
    snprintf(path, n, "%s/tessera-dedup-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        int e = errno;
        int rc = tsr_seterr(err, tsr_io_status(e), "cannot make a spool file in %s: %s", dir,
                            strerror(e));
        free(path);
        return rc;
    }
    unlink(path);
    free(path);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    d->spool = fd;
    return TSR_OK;
}

static int dd_spool_flush(tsr_dedup *d, tsr_error *err)
{
    size_t done = 0;
    while (done < d->wbuf.n) {
        ssize_t w = pwrite(d->spool, d->wbuf.a + done, d->wbuf.n - done,
                           (off_t)(d->written + done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            return tsr_seterr(err, tsr_io_status(e), "writing the dedup spool file: %s",
                              strerror(e));
        }
        done += (size_t)w;
    }
    d->written += d->wbuf.n;
    d->wbuf.n = 0;
    return TSR_OK;
}

int tsr_dedup_add_packed(tsr_dedup *d, const uint16_t *sig, uint64_t length,
                         const char *date, const void *pack, size_t pack_len,
                         tsr_error *err)
{
    if (d->o.measure == TSR_MEASURE_JACCARD)
        return dd_add(d, sig, length, date, err);
    if (!dv_check(pack, pack_len, d->o.measure))
        return tsr_seterr(err, TSR_ERR_FORMAT, "document %llu: not a compact form of "
                          "tsr_dedup_prepare (%zu bytes)", (unsigned long long)d->n, pack_len);
    if (d->spool < 0) TSR_FORWARD(dd_spool_open(d, err));
    if (d->off.n == 0 && tsr_vec_push(&d->off, 0)) TSR_CHECK_ALLOC(NULL, err);
    if (tsr_vec_reserve(&d->off, 1)) TSR_CHECK_ALLOC(NULL, err);
    /* forms start at multiples of 4: read into a malloc'ed buffer, their
     * uint32_t hashes are aligned */
    const size_t padded = (pack_len + 3) & ~(size_t)3;
    if (d->wbuf.n + padded > DD_SPOOL_BUF && d->wbuf.n > 0)
        TSR_FORWARD(dd_spool_flush(d, err));
    if (tsr_vec_reserve(&d->wbuf, padded)) TSR_CHECK_ALLOC(NULL, err);
    TSR_FORWARD(dd_add(d, sig, length, date, err));
    memcpy(d->wbuf.a + d->wbuf.n, pack, pack_len);
    memset(d->wbuf.a + d->wbuf.n + pack_len, 0, padded - pack_len);
    d->wbuf.n += padded;
    /* off[i] is where document i starts, off[i + 1] where it ends */
    d->off.a[d->off.n] = d->off.a[d->off.n - 1] + padded;
    d->off.n++;
    return TSR_OK;
}

double tsr_dedup_similarity(const tsr_dedup *d, uint64_t a, uint64_t b)
{
    if (a >= d->n || b >= d->n || !(d->has.a[a] & DD_HAS) || !(d->has.a[b] & DD_HAS))
        return 0.0;
    return tsr_minhash_jaccard(dd_sig(d, a), dd_sig(d, b), d->o.perm);
}

void tsr_dedup_stats(const tsr_dedup *d, uint64_t *candidates, uint64_t *verified)
{
    if (candidates) *candidates = d->candidates;
    if (verified) *verified = d->verified;
}

void tsr_dedup_get_counts(const tsr_dedup *d, tsr_dedup_counts *c)
{
    *c = d->counts;
    c->spooled = d->written + d->wbuf.n;
}

void tsr_dedup_free(tsr_dedup *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->chunk_raw.n; i++) free(d->chunk_raw.a[i]);
    tsr_vec_free(&d->chunks);
    tsr_vec_free(&d->chunk_raw);
    tsr_vec_free(&d->length);
    tsr_vec_free(&d->has);
    tsr_vec_free(&d->date);
    tsr_vec_free(&d->dates);
    tsr_vec_free(&d->clusters);
    tsr_vec_free(&d->members);
    free(d->parent);
    free(d->cluster_of);
    if (d->spool >= 0) close(d->spool);
    tsr_vec_free(&d->off);
    tsr_vec_free(&d->wbuf);
    tsr_vec_free(&d->pend);
    free(d->score);
    free(d);
}

/* Union-find: tsr_uf_find / tsr_uf_union (common.h); the smaller root
 * number wins, so that a cluster's root is its first document. */

/* ------------------------------------------------------------------------
 * Sorts: LSD radix, 11 bits a pass (the counts stay in L1)
 * --------------------------------------------------------------------- */

/* Band entries by their 32-bit key, stably (documents ascend in a bucket). */
static void dd_radix(dd_entry *a, dd_entry *tmp, size_t n)
{
    static const int shifts[3] = { 0, 11, 22 };
    uint32_t count[2048];
    dd_entry *src = a, *dst = tmp;
    for (int p = 0; p < 3; p++) {
        const int sh = shifts[p];
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(src[i].key >> sh) & 2047]++;
        uint32_t sum = 0;
        for (size_t i = 0; i < 2048; i++) { uint32_t c = count[i]; count[i] = sum; sum += c; }
        for (size_t i = 0; i < n; i++) dst[count[(src[i].key >> sh) & 2047]++] = src[i];
        dd_entry *t = src; src = dst; dst = t;
    }
    /* three passes leave the result in tmp */
    memcpy(a, src, n * sizeof *a);
}

static int dd_cmp_key(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* 64-bit keys (qsort when the buffer cannot be had). */
static void dd_sort_keys(uint64_t *a, size_t n)
{
    uint64_t *tmp = n > 1 ? malloc(n * sizeof *tmp) : NULL;
    size_t *count = tmp ? calloc(65536, sizeof *count) : NULL;
    if (!count) {
        free(tmp);
        tsr_sort(a, n, sizeof *a, dd_cmp_key);
        return;
    }
    uint64_t *src = a, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++) count[(src[i] >> shift) & 0xFFFF]++;
        size_t sum = 0;
        for (size_t i = 0; i < 65536; i++) { size_t c = count[i]; count[i] = sum; sum += c; }
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 0xFFFF]++] = src[i];
        uint64_t *t = src; src = dst; dst = t;
    }
    /* four passes leave the result in `a` */
    free(count);
    free(tmp);
}

/* Sort and drop repeats; returns the new count. */
static size_t dd_unique(uint64_t *a, size_t n)
{
    if (n < 2) return n;
    dd_sort_keys(a, n);
    size_t u = 1;
    for (size_t i = 1; i < n; i++)
        if (a[i] != a[u - 1]) a[u++] = a[i];
    return u;
}

/* ------------------------------------------------------------------------
 * Run: the bands
 * --------------------------------------------------------------------- */

typedef struct {
    tsr_dedup *d;
    pthread_mutex_t mu;
    int next_band, done_bands;
    int status;
    size_t pend_limit;            /* compact d->pend when it grows past */
    tsr_progress_fn progress;
    void *ud;
} dd_run;

typedef TSR_VEC(uint32_t) dd_pairs;
typedef TSR_VEC(uint64_t) dd_keys;

static int dd_nthreads(const tsr_dedup *d, size_t units)
{
    int nth = d->o.threads;
    if (nth <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nth = c > 0 ? (int)c : 1;
    }
    if ((size_t)nth > units) nth = (int)units;
    if (nth > 64) nth = 64;
    return nth < 1 ? 1 : nth;
}

/* One band: bucket pairs that pass the signature test, into *joins (a, b,
 * a, b, ...: to join now; Jaccard) or *cand (DD_PAIR, to verify; the
 * measures that read texts). */
/* Whether two signatures estimate a Jaccard of at least `floor`.  With
 * `early` (floor below 0.5, perm 128 or more), the first 64 values decide
 * a pair that is clearly below: fewer than 64 floor - 3.5 sd of them equal
 * (a pair at the floor has that few once in 4,000, one above it less
 * often), which spares the other half of two signatures met at random. */
static int dd_passes(const tsr_dedup *d, uint32_t a, uint32_t b, double floor, int early)
{
    const uint16_t *x = dd_sig(d, a), *y = dd_sig(d, b);
    if (early) {
        const double mean = 64 * floor, sd = sqrt(64 * floor * (1 - floor));
        if (tsr_minhash_jaccard(x, y, 64) * 64 < mean - 3.5 * sd)
            return 0;
    }
    return tsr_minhash_jaccard(x, y, d->o.perm) >= floor;
}

/* Buckets larger than this are crowds (see dd_band). */
#define DD_CROWD 16

static int dd_band(tsr_dedup *d, dd_entry *e, size_t m, dd_entry *tmp,
                   dd_pairs *joins, dd_keys *cand, uint64_t *cmp)
{
    const int texts = d->o.measure != TSR_MEASURE_JACCARD;
    const double floor = texts ? d->o.candidate : d->o.threshold;
    const int early = texts && floor < 0.5 && d->o.perm >= 128;
    dd_radix(e, tmp, m);
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && e[j].key == e[i].key) j++;
        /* bucket e[i..j): radix sort is stable, so docs ascend */
        for (size_t k = i + 1; k < j; k++) {
            uint32_t a = e[i].doc, b = e[k].doc;
            if (k + 2 < j) {   /* the first 64 values of the one after next */
                __builtin_prefetch(dd_sig(d, e[k + 2].doc));
                __builtin_prefetch(dd_sig(d, e[k + 2].doc) + 32);
            }
            (*cmp)++;
            int ok = dd_passes(d, a, b, floor, early);
            /* the previous document too, but (with the measures that read
             * texts) not in a crowd that a common shingle made, where it
             * is as unrelated as the first: other bands find the pair */
            if (!ok && k > i + 1 && !(early && j - i > DD_CROWD)) {
                a = e[k - 1].doc;
                (*cmp)++;
                ok = dd_passes(d, a, b, floor, early);
            }
            if (!ok) continue;
            if (!texts) {
                if (tsr_vec_push(joins, a) || tsr_vec_push(joins, b))
                    return TSR_ERR_NOMEM;
            } else if (tsr_vec_push(cand, DD_PAIR(a, b))) {
                return TSR_ERR_NOMEM;
            }
        }
        i = j;
    }
    return TSR_OK;
}

/* Bands a worker takes at once: their keys come from one sweep over the
 * signatures (a band's rows are a few bytes of each 2*perm-byte
 * signature: a sweep per band would wait on memory). */
#define DD_BAND_GROUP 3

/* The keys of bands [b0, b0 + g) of every document with shingles into
 * e[0..g), *m entries each. */
static void dd_band_keys(const tsr_dedup *d, int b0, int g, dd_entry **e, size_t *m)
{
    size_t k = 0;
    for (uint64_t i = 0; i < d->n; i++) {
        if (!(d->has.a[i] & DD_HAS)) continue;
        const uint16_t *sig = dd_sig(d, i);
        if (i + 8 < d->n) __builtin_prefetch(dd_sig(d, i + 8) + (size_t)b0 * d->o.rows);
        for (int t = 0; t < g; t++) {
            e[t][k].key = (uint32_t)mh_band_hash(sig, b0 + t, d->o.rows);
            e[t][k].doc = (uint32_t)i;
        }
        k++;
    }
    *m = k;
}

static void *dd_worker(void *arg)
{
    dd_run *run = arg;
    tsr_dedup *d = run->d;
    dd_entry *e[DD_BAND_GROUP] = { NULL };
    dd_entry *tmp = malloc((d->n + 1) * sizeof *tmp);
    int st = tmp ? TSR_OK : TSR_ERR_NOMEM;
    for (int t = 0; t < DD_BAND_GROUP && st == TSR_OK; t++)
        if (!(e[t] = malloc((d->n + 1) * sizeof *e[t]))) st = TSR_ERR_NOMEM;
    dd_pairs joins = { 0 };
    dd_keys cand = { 0 };
    for (;;) {
        pthread_mutex_lock(&run->mu);
        int b0 = -1, g = 0;
        if (st != TSR_OK && run->status == TSR_OK) run->status = st;
        if (run->status == TSR_OK && run->next_band < d->o.bands) {
            b0 = run->next_band;
            g = d->o.bands - b0 < DD_BAND_GROUP ? d->o.bands - b0 : DD_BAND_GROUP;
            run->next_band += g;
        }
        pthread_mutex_unlock(&run->mu);
        if (b0 < 0) break;
        size_t m = 0;
        dd_band_keys(d, b0, g, e, &m);
        for (int t = 0; t < g && st == TSR_OK; t++) {
            uint64_t cmp = 0;
            joins.n = cand.n = 0;
            st = dd_band(d, e[t], m, tmp, &joins, &cand, &cmp);
            pthread_mutex_lock(&run->mu);
            if (st == TSR_OK && cand.n) {
                if (tsr_vec_reserve(&d->pend, cand.n)) {
                    st = TSR_ERR_NOMEM;
                } else {
                    memcpy(d->pend.a + d->pend.n, cand.a, cand.n * sizeof *cand.a);
                    d->pend.n += cand.n;
                    /* a pair shares many bands: drop the repeats now and then */
                    if (d->pend.n > run->pend_limit) {
                        d->pend.n = dd_unique(d->pend.a, d->pend.n);
                        if (run->pend_limit < 2 * d->pend.n) run->pend_limit = 2 * d->pend.n;
                    }
                }
            }
            if (st == TSR_OK) {
                for (size_t i = 0; i + 1 < joins.n; i += 2) {
                    const uint32_t ra = tsr_uf_find(d->parent, joins.a[i]);
                    const uint32_t rb = tsr_uf_find(d->parent, joins.a[i + 1]);
                    if (ra == rb) continue;
                    tsr_uf_union(d->parent, ra, rb);
                    d->counts.joined++;
                }
                d->candidates += cmp;
                d->verified += joins.n / 2;
                run->done_bands++;
            }
            pthread_mutex_unlock(&run->mu);
        }
    }
    for (int t = 0; t < DD_BAND_GROUP; t++) free(e[t]);
    free(tmp);
    tsr_vec_free(&joins);
    tsr_vec_free(&cand);
    return NULL;
}

/* Whether document a should be kept over b (a < b). */
static int dd_better(const tsr_dedup *d, uint64_t a, uint64_t b)
{
    switch (d->o.keep) {
    case TSR_KEEP_LONGEST:
        return d->length.a[a] >= d->length.a[b];
    case TSR_KEEP_EARLIEST: {
        uint32_t da = d->date.a[a], db = d->date.a[b];
        if (!db) return 1;
        if (!da) return 0;
        return strcmp(d->dates.a + da - 1, d->dates.a + db - 1) <= 0;
    }
    default:
        return 1;
    }
}

/* Drop the clusters and scores of an earlier run. */
static void dd_reset(tsr_dedup *d)
{
    d->candidates = d->verified = 0;
    memset(&d->counts, 0, sizeof d->counts);
    d->clusters.n = d->members.n = 0;
    free(d->parent);
    free(d->cluster_of);
    free(d->score);
    d->parent = NULL;
    d->cluster_of = NULL;
    d->score = NULL;
    d->pend.n = 0;
    d->state = DD_NONE;
}

/* After the bands, for the measures that read texts: the candidate pairs
 * unique, each with an unknown score. */
static int dd_prepare_verify(tsr_dedup *d, tsr_error *err)
{
    d->pend.n = dd_unique(d->pend.a, d->pend.n);
    d->counts.candidates = d->pend.n;
    d->score = malloc((d->pend.n + 1) * sizeof *d->score);
    TSR_CHECK_ALLOC(d->score, err);
    for (size_t i = 0; i < d->pend.n; i++) d->score[i] = -1.0f;
    return TSR_OK;
}

static int dd_group(tsr_dedup *d, const float *sim, tsr_error *err);

int tsr_dedup_run(tsr_dedup *d, tsr_progress_fn progress, void *ud, tsr_error *err)
{
    dd_reset(d);
    d->parent = malloc((d->n + 1) * sizeof *d->parent);
    TSR_CHECK_ALLOC(d->parent, err);
    for (uint64_t i = 0; i < d->n; i++) d->parent[i] = (uint32_t)i;

    int nth = dd_nthreads(d, (size_t)(d->o.bands + DD_BAND_GROUP - 1) / DD_BAND_GROUP);
    dd_run run;
    memset(&run, 0, sizeof run);
    run.d = d;
    run.progress = progress;
    run.ud = ud;
    run.pend_limit = (size_t)1 << 22;
    pthread_mutex_init(&run.mu, NULL);
    pthread_t th[64];
    int started = 0;
    for (int t = 1; t < nth; t++) {
        if (pthread_create(&th[started], NULL, dd_worker, &run) != 0) break;
        started++;
    }
    if (progress) progress(ud, "bands", 0, (uint64_t)d->o.bands);
    dd_worker(&run);
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    pthread_mutex_destroy(&run.mu);
    if (progress) progress(ud, "bands", (uint64_t)run.done_bands, (uint64_t)d->o.bands);
    if (run.status != TSR_OK)
        return tsr_seterr(err, run.status, "out of memory in the band sort (%llu documents)",
                          (unsigned long long)d->n);
    d->counts.band_pairs = d->candidates;
    if (d->o.measure != TSR_MEASURE_JACCARD) {
        TSR_FORWARD(dd_prepare_verify(d, err));
        d->state = DD_PENDING;
        return TSR_OK;
    }
    TSR_FORWARD(dd_group(d, NULL, err));
    d->state = DD_DONE;
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * Verification: scores of pairs from the compact forms
 * --------------------------------------------------------------------- */

/* Pairs scored on several threads: pairs[k] = DD_PAIR(a, b), runs of one
 * `a` taken together so that its form is read once. */
typedef struct {
    tsr_dedup *d;
    const uint64_t *pairs;
    size_t n;
    float *score;
    pthread_mutex_t mu;
    size_t next;
    int status;
    tsr_error err;
    uint64_t scored, identical, fetched;
} dd_vrun;

/* Most pairs of one worker's turn. */
#define DD_VCHUNK 64

/* Read document doc's compact form into *buf and load it into *t. */
static int dd_load(tsr_dedup *d, uint32_t doc, unsigned char **buf, size_t *cap, dv_text *t,
                   tsr_error *err)
{
    const uint64_t off = d->off.a[doc], len = d->off.a[doc + 1] - off;
    if (len + 4 > *cap) {
        unsigned char *b = realloc(*buf, (size_t)len + 4);
        TSR_CHECK_ALLOC(b, err);
        *buf = b;
        *cap = (size_t)len + 4;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(d->spool, *buf + got, (size_t)len - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            return tsr_seterr(err, TSR_ERR_IO, "reading the dedup spool file: %s",
                              r < 0 ? strerror(errno) : "shorter than written");
        got += (size_t)r;
    }
    /* the form, without the padding that follows it */
    const size_t size = dv_size(*buf, (size_t)len, d->o.measure);
    if (size == 0 || size > len || len - size > 3)
        return tsr_seterr(err, TSR_ERR_CORRUPT, "the dedup spool file holds no compact form "
                          "of document %u", doc);
    return dv_load(t, *buf, size, &d->o, err);
}

static void dd_vwork(dd_vrun *v)
{
    tsr_dedup *d = v->d;
    dv_text ta = { 0 }, tb = { 0 };
    dv_work *w = dv_work_new();
    unsigned char *ba = NULL, *bb = NULL;
    size_t ca = 0, cb = 0;
    tsr_error e = { 0, "" };
    int st = w ? TSR_OK : tsr_seterr(&e, TSR_ERR_NOMEM, "out of memory verifying pairs");
    uint64_t scored = 0, identical = 0, fetched = 0;
    for (;;) {
        pthread_mutex_lock(&v->mu);
        if (st != TSR_OK && v->status == TSR_OK) { v->status = st; v->err = e; }
        v->scored += scored; v->identical += identical; v->fetched += fetched;
        scored = identical = fetched = 0;
        size_t i = v->next, j = i;
        if (v->status == TSR_OK && i < v->n) {
            j = i + 1;
            while (j < v->n && j - i < DD_VCHUNK && DD_PA(v->pairs[j]) == DD_PA(v->pairs[i])) j++;
            v->next = j;
        }
        pthread_mutex_unlock(&v->mu);
        if (i == j) break;
        int have_a = 0;
        for (size_t k = i; k < j && st == TSR_OK; k++) {
            const uint32_t a = DD_PA(v->pairs[k]), b = DD_PB(v->pairs[k]);
            if (!memcmp(dd_sig(d, a), dd_sig(d, b), (size_t)d->o.perm * sizeof(uint16_t))) {
                v->score[k] = 1.0f;   /* equal sets of shingles */
                identical++;
                continue;
            }
            if (!have_a) {
                if ((st = dd_load(d, a, &ba, &ca, &ta, &e)) != TSR_OK) break;
                fetched++;
                have_a = 1;
            }
            if ((st = dd_load(d, b, &bb, &cb, &tb, &e)) != TSR_OK) break;
            fetched++;
            const double s = dv_score(&ta, &tb, &d->o, w, 1);
            if (s < 0) { st = tsr_seterr(&e, TSR_ERR_NOMEM, "out of memory verifying pairs"); break; }
            v->score[k] = (float)s;
            scored++;
        }
    }
    dv_text_free(&ta);
    dv_text_free(&tb);
    dv_work_free(w);
    free(ba);
    free(bb);
}

static void *dd_vworker(void *arg)
{
    dd_vwork(arg);
    return NULL;
}

static int dd_score_pairs(tsr_dedup *d, const uint64_t *pairs, size_t n, float *score,
                          tsr_error *err)
{
    if (n == 0) return TSR_OK;
    dd_vrun v;
    memset(&v, 0, sizeof v);
    v.d = d; v.pairs = pairs; v.n = n; v.score = score;
    pthread_mutex_init(&v.mu, NULL);
    const int nth = dd_nthreads(d, n / DD_VCHUNK + 1);
    pthread_t th[64];
    int started = 0;
    for (int t = 1; t < nth; t++) {
        if (pthread_create(&th[started], NULL, dd_vworker, &v) != 0) break;
        started++;
    }
    dd_vwork(&v);
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    pthread_mutex_destroy(&v.mu);
    d->counts.scored += v.scored;
    d->counts.identical += v.identical;
    d->counts.fetched += v.fetched;
    if (v.status != TSR_OK) {
        if (err) *err = v.err;
        return v.status;
    }
    return TSR_OK;
}

static int dd_make_clusters(tsr_dedup *d, tsr_progress_fn progress, void *ud, tsr_error *err);

int tsr_dedup_verify(tsr_dedup *d, tsr_progress_fn progress, void *ud, tsr_error *err)
{
    if (d->o.measure == TSR_MEASURE_JACCARD || d->state == DD_DONE)
        return TSR_OK;
    if (d->state != DD_PENDING)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_dedup_verify before tsr_dedup_run");
    if (d->wbuf.n) TSR_FORWARD(dd_spool_flush(d, err));
    TSR_FORWARD(dd_make_clusters(d, progress, ud, err));
    d->state = DD_DONE;
    /* the pairs served the clusters; their memory goes back */
    tsr_vec_free(&d->pend);
    free(d->score);
    d->score = NULL;
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * Clusters
 * --------------------------------------------------------------------- */

/* Group by union-find root into clusters and choose each one's keeper.
 * sim (may be NULL: the estimated Jaccard) gives each document's score
 * with its keeper; a cluster's similarity is the least of its members'. */
static int dd_group(tsr_dedup *d, const float *sim, tsr_error *err)
{
    /* Roots are each cluster's smallest document, so a cluster is
     * numbered when its first member is met. */
    d->clusters.n = d->members.n = 0;
    free(d->cluster_of);
    d->cluster_of = malloc((d->n + 1) * sizeof *d->cluster_of);
    TSR_CHECK_ALLOC(d->cluster_of, err);
    uint32_t *size = calloc(d->n + 1, sizeof *size);
    TSR_CHECK_ALLOC(size, err);
    for (uint64_t i = 0; i < d->n; i++) size[tsr_uf_find(d->parent, (uint32_t)i)]++;
    size_t nmem = 0;
    for (uint64_t i = 0; i < d->n; i++) {
        uint32_t r = tsr_uf_find(d->parent, (uint32_t)i);
        if (size[r] < 2) { d->cluster_of[i] = -1; continue; }
        if (r == i) {
            tsr_dedup_cluster c = { i, nmem, 0, 1.0 };
            nmem += size[r];
            if (tsr_vec_push(&d->clusters, c)) { free(size); TSR_CHECK_ALLOC(NULL, err); }
            d->cluster_of[i] = (int64_t)d->clusters.n - 1;
        } else {
            d->cluster_of[i] = d->cluster_of[r];
        }
    }
    free(size);
    if (tsr_vec_reserve(&d->members, nmem)) TSR_CHECK_ALLOC(NULL, err);
    d->members.n = nmem;
    for (uint64_t i = 0; i < d->n; i++) {
        int64_t c = d->cluster_of[i];
        if (c < 0) continue;
        tsr_dedup_cluster *cl = &d->clusters.a[c];
        d->members.a[cl->first + cl->n++] = i;
    }
    for (size_t c = 0; c < d->clusters.n; c++) {
        tsr_dedup_cluster *cl = &d->clusters.a[c];
        const uint64_t *m = d->members.a + cl->first;
        uint64_t keep = m[0];
        for (size_t k = 1; k < cl->n; k++)
            if (!dd_better(d, keep, m[k])) keep = m[k];
        cl->keep = keep;
        double least = 1.0;
        for (size_t k = 0; k < cl->n; k++) {
            if (m[k] == keep) continue;
            const double s = sim ? sim[m[k]] : tsr_dedup_similarity(d, keep, m[k]);
            if (s < least) least = s;
        }
        cl->similarity = least;
    }
    return TSR_OK;
}

/* Documents of keeping order whose pairs are scored together (a window;
 * see dd_make_clusters). */
#define DD_WINDOW 8192

/* The clusters of the measures that read texts: keepers chosen greedily
 * (see the top), scoring a pair only when its score can matter.  The
 * candidate pairs become adjacency lists (CSR, both directions), and
 * documents are taken in keeping order: a document not taken becomes a
 * keeper and takes its neighbours not yet taken with which it scores at
 * least the threshold.  Its neighbours earlier in the order are never
 * free (a keeper among them would have taken it), so only the pair with
 * each later neighbour not taken yet is scored, and a document taken
 * before its turn has none of its pairs scored.  Scoring goes by windows
 * of DD_WINDOW documents: every pair that a window's documents may need,
 * as things stand at the window's start, is scored on o->threads threads,
 * then the window is walked in order (a pair of a document that an
 * earlier one of the same window takes was scored for nothing).  The
 * result is the one of scoring every pair first.  Then parent (union-find)
 * joins each taken document to its keeper, and dd_group makes the
 * clusters, whose similarity is each member's score with its keeper. */
static int dd_make_clusters(tsr_dedup *d, tsr_progress_fn progress, void *ud, tsr_error *err)
{
    int rc = TSR_OK;
    const size_t np = d->pend.n;
    uint32_t *start = calloc(d->n + 2, sizeof *start);  /* CSR offsets */
    uint64_t *adj = NULL;        /* neighbour << 32 | index of the pair */
    uint32_t *order = NULL, *pos = NULL;
    unsigned char *state = NULL; /* 0 free, 1 keeper, 2 taken */
    float *sim = NULL, *tsc = NULL;
    dd_keys tasks = { 0 };
    TSR_VEC(uint32_t) tidx = { 0 }, stack = { 0 };
    if (!start) goto oom;
    if (2 * np >= UINT32_MAX) {
        rc = tsr_seterr(err, TSR_ERR_TOOBIG, "%zu candidate pairs", np);
        goto done;
    }
    for (size_t i = 0; i < np; i++) {
        start[DD_PA(d->pend.a[i]) + 1]++;
        start[DD_PB(d->pend.a[i]) + 1]++;
    }
    for (uint64_t i = 0; i < d->n; i++) start[i + 1] += start[i];
    adj = malloc((2 * np + 1) * sizeof *adj);
    state = calloc(d->n + 1, 1);
    sim = malloc((d->n + 1) * sizeof *sim);
    pos = malloc((d->n + 1) * sizeof *pos);
    if (!adj || !state || !sim || !pos) goto oom;
    for (size_t i = 0; i < np; i++) {
        const uint32_t a = DD_PA(d->pend.a[i]), b = DD_PB(d->pend.a[i]);
        adj[start[a]++] = (uint64_t)b << 32 | (uint32_t)i;
        adj[start[b]++] = (uint64_t)a << 32 | (uint32_t)i;
    }
    /* start[x] now ends x's list: shift back */
    for (uint64_t i = d->n; i > 0; i--) start[i] = start[i - 1];
    start[0] = 0;
    /* documents with a candidate pair, in keeping order */
    size_t no = 0;
    for (uint64_t i = 0; i < d->n; i++) no += start[i + 1] > start[i];
    order = malloc((no + 1) * sizeof *order);
    if (!order) goto oom;
    no = 0;
    for (uint64_t i = 0; i < d->n; i++)
        if (start[i + 1] > start[i]) order[no++] = (uint32_t)i;
    if (d->o.keep != TSR_KEEP_FIRST) {
        /* a stable merge sort by dd_better */
        uint32_t *tmp = malloc((no + 1) * sizeof *tmp);
        if (!tmp) goto oom;
        for (size_t w = 1; w < no; w *= 2) {
            for (size_t lo = 0; lo < no; lo += 2 * w) {
                size_t mid = lo + w < no ? lo + w : no, hi = lo + 2 * w < no ? lo + 2 * w : no;
                size_t i = lo, j = mid, k = lo;
                while (i < mid && j < hi) {
                    /* order[i] < order[j] in input order within runs: ties keep it */
                    if (order[i] < order[j] ? dd_better(d, order[i], order[j])
                                            : !dd_better(d, order[j], order[i]))
                        tmp[k++] = order[i++];
                    else
                        tmp[k++] = order[j++];
                }
                while (i < mid) tmp[k++] = order[i++];
                while (j < hi) tmp[k++] = order[j++];
            }
            memcpy(order, tmp, no * sizeof *order);
        }
        free(tmp);
    }
    for (uint64_t i = 0; i < d->n; i++) {
        d->parent[i] = (uint32_t)i;
        sim[i] = 1.0f;
        pos[i] = UINT32_MAX;
    }
    for (size_t o = 0; o < no; o++) pos[order[o]] = (uint32_t)o;

    for (size_t o0 = 0; o0 < no; o0 += DD_WINDOW) {
        const size_t o1 = no - o0 < DD_WINDOW ? no : o0 + DD_WINDOW;
        /* the pairs this window may need */
        tasks.n = tidx.n = 0;
        for (size_t o = o0; o < o1; o++) {
            const uint32_t x = order[o];
            if (state[x]) continue;
            for (uint32_t k = start[x]; k < start[x + 1]; k++) {
                const uint32_t y = (uint32_t)(adj[k] >> 32);
                if (pos[y] <= o || state[y]) continue;
                if (tsr_vec_push(&tasks, DD_PAIR(x, y)) ||
                    tsr_vec_push(&tidx, (uint32_t)adj[k]))
                    goto oom;
            }
        }
        if (tasks.n) {
            float *t = realloc(tsc, tasks.n * sizeof *t);
            if (!t) goto oom;
            tsc = t;
            for (size_t i = 0; i < tasks.n; i++) tsc[i] = -1.0f;
            if ((rc = dd_score_pairs(d, tasks.a, tasks.n, tsc, err)) != TSR_OK)
                goto done;
            for (size_t i = 0; i < tasks.n; i++) d->score[tidx.a[i]] = tsc[i];
        }
        /* the window in order */
        for (size_t o = o0; o < o1; o++) {
            const uint32_t x = order[o];
            if (state[x]) continue;
            state[x] = 1;
            for (uint32_t k = start[x]; k < start[x + 1]; k++) {
                const uint32_t y = (uint32_t)(adj[k] >> 32);
                if (pos[y] <= o || state[y]) continue;
                /* y was free at the window's start, so scored (an unscored
                 * pair, -1, would be below any threshold: never joined) */
                const float sc = d->score[(uint32_t)adj[k]];
                if (!(sc >= d->o.threshold)) continue;
                state[y] = 2;
                sim[y] = sc;
                tsr_uf_union(d->parent, x, y);
                d->counts.joined++;
                d->verified++;
                /* and the copies of y that x has no pair with: a document
                 * with y's signature (the same shingles) goes with y */
                if (tsr_vec_push(&stack, y)) goto oom;
                while (stack.n) {
                    const uint32_t z = stack.a[--stack.n];
                    for (uint32_t q = start[z]; q < start[z + 1]; q++) {
                        const uint32_t c = (uint32_t)(adj[q] >> 32);
                        if (state[c] || memcmp(dd_sig(d, z), dd_sig(d, c),
                                               (size_t)d->o.perm * sizeof(uint16_t)))
                            continue;
                        state[c] = 2;
                        sim[c] = sim[z];
                        tsr_uf_union(d->parent, x, c);
                        d->counts.joined++;
                        d->verified++;
                        if (tsr_vec_push(&stack, c)) goto oom;
                    }
                }
            }
        }
        if (progress) progress(ud, "verify", o1, no);
    }
    rc = dd_group(d, sim, err);
    goto done;
oom:
    rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory making clusters");
done:
    free(start);
    free(adj);
    free(order);
    free(pos);
    free(state);
    free(sim);
    free(tsc);
    tsr_vec_free(&tasks);
    tsr_vec_free(&tidx);
    tsr_vec_free(&stack);
    return rc;
}

const tsr_dedup_cluster *tsr_dedup_clusters(const tsr_dedup *d, size_t *n)
{
    *n = d->clusters.n;
    return d->clusters.a;
}

const uint64_t *tsr_dedup_members(const tsr_dedup *d) { return d->members.a; }

uint64_t tsr_dedup_kept_as(const tsr_dedup *d, uint64_t doc, int64_t *cluster)
{
    int64_t c = (d->cluster_of && doc < d->n) ? d->cluster_of[doc] : -1;
    if (cluster) *cluster = c;
    return c < 0 ? doc : d->clusters.a[c].keep;
}
