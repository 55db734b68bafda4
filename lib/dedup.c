/*
 * dedup.c - near-duplicate clusters of a corpus of MinHash signatures.
 *
 * How it works.  Signatures are stored in chunks (never moved, so the
 * corpus can grow to many millions without a copy).  tsr_dedup_run takes
 * one band at a time: every document with shingles contributes the pair
 * (hash of its band rows, document); the pairs are radix-sorted by hash,
 * and documents with equal hashes form a bucket.  Each document of a
 * bucket is verified against the bucket's first document (estimated
 * Jaccard >= threshold), and when that fails, against its predecessor in
 * the bucket: O(m) work for a bucket of m, where all-pairs would be
 * O(m^2).  Verified pairs are joined by union-find.  Worker threads take
 * bands in turn; joining happens under a lock, once per band.
 *
 * The cost of the star-and-chain verification: a document that matches
 * neither the bucket's first document nor its predecessor, but some other
 * member, is not joined through this band; the other bands usually join
 * it.  It errs towards fewer, purer clusters.
 *
 * Clusters and the kept document.  After joining, documents are grouped by
 * their union-find root; a group of two or more is a cluster.  The keeper
 * follows o->keep (first, longest, earliest; see tessera.h), and the
 * cluster's similarity is the least estimated Jaccard of a member with the
 * keeper (members join through chains, so it may fall below the
 * threshold: reported, not hidden).
 *
 * Memory: 2*perm bytes of signature, 8 of length, 4 of union-find parent,
 * 1 flag per document; a date arena for TSR_KEEP_EARLIEST; and during a
 * run, 16 bytes per document per worker thread for the band sort.
 */
#include "common/common.h"
#include "minhash.h"

#include <pthread.h>
#include <unistd.h>

#define DD_CHUNK_BITS 16
#define DD_CHUNK ((size_t)1 << DD_CHUNK_BITS)

typedef struct {
    uint64_t key;
    uint32_t doc;
    uint32_t pad_;
} dd_entry;

struct tsr_dedup {
    tsr_dedup_opts o;
    uint64_t n;
    TSR_VEC(uint16_t *) chunks;   /* DD_CHUNK signatures each */
    TSR_VEC(uint64_t) length;
    TSR_VEC(unsigned char) has;   /* 1 when the document has shingles */
    TSR_VEC(uint32_t) date;       /* offset+1 into dates, 0 = none */
    TSR_VEC(char) dates;
    uint32_t *parent;             /* union-find, after run */
    /* results */
    TSR_VEC(tsr_dedup_cluster) clusters;
    TSR_VEC(uint64_t) members;
    int64_t *cluster_of;          /* per document: cluster or -1 */
    uint64_t candidates, verified;
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
    if (d->o.bands == 0) {
        int rc = tsr_lsh_params(o->threshold, o->perm, &d->o.bands, &d->o.rows, err);
        if (rc != TSR_OK) { free(d); return rc; }
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

int tsr_dedup_add(tsr_dedup *d, const uint16_t *sig, uint64_t length,
                  const char *date, tsr_error *err)
{
    if (d->n >= UINT32_MAX - 1)
        return tsr_seterr(err, TSR_ERR_TOOBIG, "more than %u documents", UINT32_MAX - 2);
    if ((d->n & (DD_CHUNK - 1)) == 0 && (d->n >> DD_CHUNK_BITS) == d->chunks.n) {
        uint16_t *c = malloc(DD_CHUNK * (size_t)d->o.perm * sizeof *c);
        TSR_CHECK_ALLOC(c, err);
        if (tsr_vec_push(&d->chunks, c)) { free(c); TSR_CHECK_ALLOC(NULL, err); }
    }
    uint16_t *dst = dd_sig(d, d->n);
    if (sig) memcpy(dst, sig, (size_t)d->o.perm * sizeof *dst);
    else for (int i = 0; i < d->o.perm; i++) dst[i] = 0xFFFF;
    if (tsr_vec_push(&d->length, length) || tsr_vec_push(&d->has, (unsigned char)(sig != NULL)))
        TSR_CHECK_ALLOC(NULL, err);
    if (d->o.keep == TSR_KEEP_EARLIEST) {
        uint32_t off = 0;
        if (date && *date) {
            size_t l = strlen(date) + 1;
            if (d->dates.n + l >= UINT32_MAX)
                return tsr_seterr(err, TSR_ERR_TOOBIG, "over 4 GiB of dates");
            if (tsr_vec_reserve(&d->dates, l)) TSR_CHECK_ALLOC(NULL, err);
            off = (uint32_t)d->dates.n + 1;
            memcpy(d->dates.a + d->dates.n, date, l);
            d->dates.n += l;
        }
        if (tsr_vec_push(&d->date, off)) TSR_CHECK_ALLOC(NULL, err);
    }
    d->n++;
    return TSR_OK;
}

double tsr_dedup_similarity(const tsr_dedup *d, uint64_t a, uint64_t b)
{
    if (a >= d->n || b >= d->n || !d->has.a[a] || !d->has.a[b])
        return 0.0;
    return tsr_minhash_jaccard(dd_sig(d, a), dd_sig(d, b), d->o.perm);
}

void tsr_dedup_stats(const tsr_dedup *d, uint64_t *candidates, uint64_t *verified)
{
    if (candidates) *candidates = d->candidates;
    if (verified) *verified = d->verified;
}

void tsr_dedup_free(tsr_dedup *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->chunks.n; i++) free(d->chunks.a[i]);
    tsr_vec_free(&d->chunks);
    tsr_vec_free(&d->length);
    tsr_vec_free(&d->has);
    tsr_vec_free(&d->date);
    tsr_vec_free(&d->dates);
    tsr_vec_free(&d->clusters);
    tsr_vec_free(&d->members);
    free(d->parent);
    free(d->cluster_of);
    free(d);
}

/* Union-find: tsr_uf_find / tsr_uf_union (common.h); the smaller root
 * number wins, so that a cluster's root is its first document. */

/* ------------------------------------------------------------------------
 * Band sort: LSD radix sort of dd_entry by key, 16 bits per pass
 * --------------------------------------------------------------------- */

static void dd_radix(dd_entry *a, dd_entry *tmp, size_t n)
{
    static const int passes = 4;
    size_t *count = calloc(65536, sizeof *count);
    if (!count) { /* fall back: leave unsorted is wrong; sort slowly */
        for (size_t i = 1; i < n; i++) {
            dd_entry x = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1].key > x.key) { a[j] = a[j - 1]; j--; }
            a[j] = x;
        }
        return;
    }
    dd_entry *src = a, *dst = tmp;
    for (int p = 0; p < passes; p++) {
        int shift = 16 * p;
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++) count[(src[i].key >> shift) & 0xFFFF]++;
        size_t sum = 0;
        for (size_t i = 0; i < 65536; i++) { size_t c = count[i]; count[i] = sum; sum += c; }
        for (size_t i = 0; i < n; i++) dst[count[(src[i].key >> shift) & 0xFFFF]++] = src[i];
        dd_entry *t = src; src = dst; dst = t;
    }
    /* an even number of passes leaves the result in `a` */
    free(count);
}

/* ------------------------------------------------------------------------
 * Run
 * --------------------------------------------------------------------- */

typedef struct {
    tsr_dedup *d;
    pthread_mutex_t mu;
    int next_band, done_bands;
    int status;
    tsr_progress_fn progress;
    void *ud;
} dd_run;

typedef TSR_VEC(uint32_t) dd_pairs;

static int dd_verify(const tsr_dedup *d, uint32_t a, uint32_t b)
{
    return tsr_minhash_jaccard(dd_sig(d, a), dd_sig(d, b), d->o.perm) >= d->o.threshold;
}

/* One band: candidate pairs, verified, into *pairs (a, b, a, b, ...). */
static int dd_band(tsr_dedup *d, int band, dd_entry *e, dd_entry *tmp,
                   dd_pairs *pairs, uint64_t *cand)
{
    size_t m = 0;
    for (uint64_t i = 0; i < d->n; i++) {
        if (!d->has.a[i]) continue;
        e[m].key = mh_band_hash(dd_sig(d, i), band, d->o.rows);
        e[m].doc = (uint32_t)i;
        e[m].pad_ = 0;
        m++;
    }
    dd_radix(e, tmp, m);
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && e[j].key == e[i].key) j++;
        /* bucket e[i..j): radix sort is stable, so docs ascend */
        for (size_t k = i + 1; k < j; k++) {
            uint32_t a = e[i].doc, b = e[k].doc;
            (*cand)++;
            int ok = dd_verify(d, a, b);
            if (!ok && k > i + 1) {
                a = e[k - 1].doc;
                (*cand)++;
                ok = dd_verify(d, a, b);
            }
            if (ok && (tsr_vec_push(pairs, a) || tsr_vec_push(pairs, b)))
                return TSR_ERR_NOMEM;
        }
        i = j;
    }
    return TSR_OK;
}

static void *dd_worker(void *arg)
{
    dd_run *run = arg;
    tsr_dedup *d = run->d;
    dd_entry *e = malloc((d->n + 1) * sizeof *e);
    dd_entry *tmp = malloc((d->n + 1) * sizeof *tmp);
    dd_pairs pairs = { 0 };
    int st = (e && tmp) ? TSR_OK : TSR_ERR_NOMEM;
    for (;;) {
        pthread_mutex_lock(&run->mu);
        int band = -1;
        if (st != TSR_OK && run->status == TSR_OK) run->status = st;
        if (run->status == TSR_OK && run->next_band < d->o.bands)
            band = run->next_band++;
        pthread_mutex_unlock(&run->mu);
        if (band < 0) break;
        uint64_t cand = 0;
        pairs.n = 0;
        st = dd_band(d, band, e, tmp, &pairs, &cand);
        pthread_mutex_lock(&run->mu);
        if (st == TSR_OK) {
            for (size_t i = 0; i + 1 < pairs.n; i += 2)
                tsr_uf_union(d->parent, pairs.a[i], pairs.a[i + 1]);
            d->candidates += cand;
            d->verified += pairs.n / 2;
            run->done_bands++;
        }
        pthread_mutex_unlock(&run->mu);
    }
    free(e);
    free(tmp);
    tsr_vec_free(&pairs);
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

int tsr_dedup_run(tsr_dedup *d, tsr_progress_fn progress, void *ud, tsr_error *err)
{
    d->candidates = d->verified = 0;
    d->clusters.n = d->members.n = 0;
    free(d->parent);
    free(d->cluster_of);
    d->cluster_of = NULL;
    d->parent = malloc((d->n + 1) * sizeof *d->parent);
    TSR_CHECK_ALLOC(d->parent, err);
    for (uint64_t i = 0; i < d->n; i++) d->parent[i] = (uint32_t)i;

    int nth = d->o.threads;
    if (nth <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nth = c > 0 ? (int)c : 1;
    }
    if (nth > d->o.bands) nth = d->o.bands;
    if (nth < 1) nth = 1;

    dd_run run;
    memset(&run, 0, sizeof run);
    run.d = d;
    run.progress = progress;
    run.ud = ud;
    pthread_mutex_init(&run.mu, NULL);
    pthread_t th[64];
    if (nth > 64) nth = 64;
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

    /* Group by root.  Roots are each cluster's smallest document, so a
     * cluster is numbered when its first member is met. */
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
        double sim = 1.0;
        for (size_t k = 0; k < cl->n; k++) {
            if (m[k] == keep) continue;
            double s = tsr_dedup_similarity(d, keep, m[k]);
            if (s < sim) sim = s;
        }
        cl->similarity = sim;
    }
    return TSR_OK;
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
