/*
 * minhash.c - MinHash signatures of word-shingle sets, and the LSH banding
 * that turns them into candidate pairs.
 *
 * How it works.  A document is the set of its word shingles (runs of
 * `shingle` normalized words, hashed by fp_ngram_hash).  Classic MinHash
 * (Broder 1997) keeps, for each of K independent hash functions, the
 * smallest hash over the set; two sets agree on one value with probability
 * equal to their Jaccard similarity J.  That costs K hashes per shingle.
 * One-permutation hashing (Li, Owen & Zhang 2012) hashes each shingle once:
 * the hash's high bits pick one of K bins, its low 32 bits compete for that
 * bin's minimum.  Two sets agree on a bin that is non-empty in both with
 * probability J, and a bin's minimum is a MinHash of the shingles that fell
 * into it.
 *
 * Short texts leave bins empty, and an empty bin must not count as agreement.
 * Densification fills them: optimal densification (Shrivastava, ICML 2017)
 * lets empty bin i probe bins h(i, 1), h(i, 2), ... with a hash fixed for
 * the whole corpus, and copies the first non-empty one.  Two documents whose
 * bin i is empty in both probe the same sequence, so they copy from the same
 * bin, and agreement stays a coin of bias J; the estimator keeps a variance
 * close to that of K independent permutations.
 *
 * Each value keeps only the low 16 bits of its minimum (b-bit MinHash, Li &
 * Koenig, WWW 2010): half the memory of 32-bit values.  Unrelated values
 * then agree by chance with probability 2^-16, which the estimator
 * subtracts; inside an LSH band of r >= 4 rows such chance agreement is
 * below 2^-64 and harmless.
 *
 * Banding.  K values are cut into b bands of r rows; two documents become
 * candidates when all rows of at least one band agree, with probability
 * P(s) = 1 - (1 - s^r)^b, an S-curve rising around s = (1/b)^(1/r).
 * tsr_lsh_params picks (b, r) as datasketch does: minimise the area under P
 * left of the threshold (false positives) plus the area above P right of it
 * (false negatives), both weighted 1/2.  Integrals by Simpson's rule.
 */
#include "common/common.h"
#include "fingerprint.h"
#include "minhash.h"
#include "common/xxh.h"

#include <math.h>

/* ------------------------------------------------------------------------
 * Options
 * --------------------------------------------------------------------- */

void tsr_dedup_opts_default(tsr_dedup_opts *o)
{
    memset(o, 0, sizeof *o);
    o->perm = 128;
    o->keep = TSR_KEEP_FIRST;
    tsr_dedup_opts_measure(o, TSR_MEASURE_JACCARD);
}

int tsr_dedup_opts_measure(tsr_dedup_opts *o, int measure)
{
    switch (measure) {
    case TSR_MEASURE_JACCARD:
        o->threshold = 0.8;
        o->shingle = 5;
        o->candidate = 0.0;
        break;
    case TSR_MEASURE_ALIGNED:
    case TSR_MEASURE_CONTAINMENT:
        /* EVAL.md (eval/dedup_edited.py) has the figures behind these */
        o->threshold = measure == TSR_MEASURE_ALIGNED ? 0.8 : 0.7;
        o->shingle = 3;
        o->candidate = 0.3;
        break;
    default:
        return TSR_ERR_INVALID;
    }
    o->measure = measure;
    return TSR_OK;
}

const char *tsr_measure_name(int measure)
{
    switch (measure) {
    case TSR_MEASURE_JACCARD: return "jaccard";
    case TSR_MEASURE_ALIGNED: return "aligned";
    case TSR_MEASURE_CONTAINMENT: return "containment";
    default: return NULL;
    }
}

int tsr_dedup_opts_validate(const tsr_dedup_opts *o, tsr_error *err)
{
    if (!o)
        return tsr_seterr(err, TSR_ERR_INVALID, "no dedup options given");
    if (!tsr_measure_name(o->measure))
        return tsr_seterr(err, TSR_ERR_INVALID,
                          "measure must be TSR_MEASURE_JACCARD, _ALIGNED or _CONTAINMENT, not %d",
                          o->measure);
    if (!(o->threshold > 0.0 && o->threshold < 1.0) &&
        !(o->measure != TSR_MEASURE_JACCARD && o->threshold == 1.0))
        return tsr_seterr(err, TSR_ERR_INVALID, "threshold must be in (0, %s, not %g",
                          o->measure == TSR_MEASURE_JACCARD ? "1)" : "1]", o->threshold);
    if (o->measure != TSR_MEASURE_JACCARD && !(o->candidate > 0.0 && o->candidate < 1.0))
        return tsr_seterr(err, TSR_ERR_INVALID, "candidate must be in (0, 1), not %g",
                          o->candidate);
    if (o->shingle < 1 || o->shingle > 16)
        return tsr_seterr(err, TSR_ERR_INVALID, "shingle must be in 1..16, not %d", o->shingle);
    if (o->perm < 8 || o->perm > 1024)
        return tsr_seterr(err, TSR_ERR_INVALID, "perm must be in 8..1024, not %d", o->perm);
    if (o->bands < 0 || o->rows < 0 || (o->bands == 0) != (o->rows == 0) ||
        (long)o->bands * o->rows > o->perm)
        return tsr_seterr(err, TSR_ERR_INVALID,
                          "bands (%d) and rows (%d) must both be 0, or bands*rows <= perm (%d)",
                          o->bands, o->rows, o->perm);
    if (o->keep < TSR_KEEP_FIRST || o->keep > TSR_KEEP_EARLIEST)
        return tsr_seterr(err, TSR_ERR_INVALID, "keep must be first, longest or earliest");
    if (o->threads < 0 || o->threads > 1024)
        return tsr_seterr(err, TSR_ERR_INVALID, "threads must be in 0..1024");
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * Banding
 * --------------------------------------------------------------------- */

double tsr_lsh_probability(double s, int bands, int rows)
{
    return 1.0 - pow(1.0 - pow(s, rows), bands);
}

/* Simpson's rule on [a, b] of P (want_fp) or 1 - P. */
static double lsh_area(double a, double b, int bands, int rows, int want_fp)
{
    const int steps = 200; /* even */
    if (b <= a)
        return 0.0;
    double hstep = (b - a) / steps, sum = 0.0;
    for (int i = 0; i <= steps; i++) {
        double p = tsr_lsh_probability(a + i * hstep, bands, rows);
        double f = want_fp ? p : 1.0 - p;
        sum += f * (i == 0 || i == steps ? 1 : (i % 2 ? 4 : 2));
    }
    return sum * hstep / 3.0;
}

int tsr_lsh_params(double threshold, int perm, int *bands, int *rows, tsr_error *err)
{
    if (!(threshold > 0.0 && threshold < 1.0))
        return tsr_seterr(err, TSR_ERR_INVALID, "threshold must be in (0, 1), not %g", threshold);
    if (perm < 1 || perm > 1024)
        return tsr_seterr(err, TSR_ERR_INVALID, "perm must be in 1..1024, not %d", perm);
    double best = INFINITY;
    int bb = 1, br = 1;
    for (int b = 1; b <= perm; b++) {
        for (int r = 1; r <= perm / b; r++) {
            double fp = lsh_area(0.0, threshold, b, r, 1);
            double fn = lsh_area(threshold, 1.0, b, r, 0);
            double e = 0.5 * fp + 0.5 * fn;
            if (e < best) { best = e; bb = b; br = r; }
        }
    }
    *bands = bb;
    *rows = br;
    return TSR_OK;
}

uint64_t mh_band_hash(const uint16_t *sig, int band, int rows)
{
    const uint16_t *p = sig + (size_t)band * rows;
    if (rows <= 4) {
        /* a few rows: their values side by side, mixed (splitmix64's
         * finalizer), cheaper than a hash call per document and band */
        uint64_t x = (uint64_t)band << 56 | (uint64_t)rows << 48;
        for (int i = 0; i < rows; i++) x ^= (uint64_t)p[i] << (16 * i);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
        return x ^ (x >> 31);
    }
    return XXH3_64bits_withSeed(p, (size_t)rows * sizeof *p, (uint64_t)band);
}

/* ------------------------------------------------------------------------
 * Signatures
 * --------------------------------------------------------------------- */

/* splitmix64: the fixed probe sequence of densification. */
#define mh_mix tsr_mix64

int mh_signature(const uint64_t *h, size_t n, int perm, uint16_t *sig)
{
    uint32_t mins[1024];
    unsigned char full[1024];
    const uint64_t k = (uint64_t)perm;
    memset(full, 0, (size_t)perm);
    memset(mins, 0xFF, (size_t)perm * sizeof *mins);
    for (size_t i = 0; i < n; i++) {
        /* bin from the high 32 bits (multiply-shift: no modulo bias worth
         * a thought), value from the low 32 bits; no branch on the data
         * (which bin, whether smaller: as good as random) */
        uint32_t bin = (uint32_t)(((h[i] >> 32) * k) >> 32);
        uint32_t v = (uint32_t)h[i];
        mins[bin] = v < mins[bin] ? v : mins[bin];
        full[bin] = 1;
    }
    size_t nfull = 0;
    for (int i = 0; i < perm; i++) nfull += full[i];
    if (nfull == 0) {
        for (int i = 0; i < perm; i++) sig[i] = 0xFFFF;
        return 0;
    }
    for (int i = 0; i < perm; i++) {
        uint32_t v;
        if (full[i]) {
            v = mins[i];
        } else {
            /* optimal densification: probe a fixed sequence of bins */
            uint64_t attempt = 1;
            for (;;) {
                uint64_t r = mh_mix((uint64_t)i << 32 | attempt);
                uint32_t j = (uint32_t)(((r >> 32) * k) >> 32);
                if (full[j]) { v = mins[j]; break; }
                attempt++;
            }
        }
        sig[i] = (uint16_t)v;
    }
    return 1;
}

int mh_shingles(const tsr_word *w, size_t n, int shingle, uint64_t **out,
                size_t *nout, tsr_error *err)
{
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return TSR_OK;
    size_t k = (size_t)shingle;
    size_t ns = n >= k ? n - k + 1 : 1;
    uint64_t *h = malloc(ns * sizeof *h);
    TSR_CHECK_ALLOC(h, err);
    if (n >= k)
        for (size_t i = 0; i < ns; i++) h[i] = fp_ngram_hash(w + i, k);
    else
        h[0] = fp_ngram_hash(w, n);
    *out = h;
    *nout = ns;
    return TSR_OK;
}

int tsr_minhash(const char *text, size_t len, const tsr_dedup_opts *o,
                uint16_t *sig, size_t *nshingles, tsr_error *err)
{
    /* tsr_dedup_prepare without the compact form */
    return tsr_dedup_prepare(text, len, o, sig, nshingles, NULL, NULL, err);
}

size_t tsr_dedup_pack_bound(size_t len)
{
    /* a word takes a byte and a separator (but the last one): at most
     * len / 2 + 1 words, each 2 bytes (aligned) or 4 (containment), and
     * as many figures of 2 bytes */
    return DV_PACK_HEAD + 6 * (len / 2 + 1) + 8;
}

/* Sort v[0, n) (LSD radix, 8 bits a pass, over the bytes that differ
 * somewhere); tmp: room for n. */
static void mh_sort32(uint32_t *v, size_t n, uint32_t *tmp)
{
    uint32_t all_or = 0, all_and = ~0u;
    for (size_t i = 0; i < n; i++) { all_or |= v[i]; all_and &= v[i]; }
    const uint32_t differ = all_or ^ all_and;
    uint32_t *src = v, *dst = tmp;
    for (int sh = 0; sh < 32; sh += 8) {
        if (!((differ >> sh) & 0xFF)) continue;
        size_t count[256] = { 0 };
        for (size_t i = 0; i < n; i++) count[(src[i] >> sh) & 0xFF]++;
        size_t sum = 0;
        for (int b = 0; b < 256; b++) { size_t c = count[b]; count[b] = sum; sum += c; }
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> sh) & 0xFF]++] = src[i];
        uint32_t *t = src; src = dst; dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
}

static void mh_sort16(uint16_t *v, size_t n)
{
    if (n > 64) {
        /* a text of many figures (a table of numbers, a hostile input):
         * a counting sort, linear, where insertion took a minute for
         * 600,000 numbered words; out of memory leaves the insertion */
        uint32_t *cnt = calloc((size_t)1 << 16, sizeof *cnt);
        if (cnt) {
            for (size_t i = 0; i < n; i++) cnt[v[i]]++;
            size_t at = 0;
            for (uint32_t k = 0; k < (1u << 16); k++)
                for (uint32_t c = cnt[k]; c; c--) v[at++] = (uint16_t)k;
            free(cnt);
            return;
        }
    }
    for (size_t i = 1; i < n; i++) {   /* figures are few: insertion */
        uint16_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) { v[j] = v[j - 1]; j--; }
        v[j] = x;
    }
}

uint32_t mh_gram3(const uint16_t *v, size_t n, size_t i)
{
    uint64_t x;
    if (n >= 3) {
        x = (uint64_t)v[i] << 32 | (uint64_t)v[i + 1] << 16 | v[i + 2];
    } else {
        x = (uint64_t)n << 48;
        for (size_t j = 0; j < n; j++) x |= (uint64_t)v[j] << (16 * j);
    }
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)(x ^ (x >> 31));
}

/* Texts of up to this many words make their compact forms on the stack
 * (about 12 KB of it). */
#define MH_STACK_WORDS 1024

int mh_pack(const char *text, const tsr_word *w, size_t n, int measure, void *pack,
            size_t *pack_len)
{
    /* built in buffers of our own, then copied: `pack` may have any
     * alignment */
    uint32_t head[3] = { (uint32_t)n, 0, 0 };
    const size_t ng = measure == TSR_MEASURE_CONTAINMENT ? (n == 0 ? 0 : n >= 3 ? n - 2 : 1) : 0;
    /* words, then figures; grams and their sort buffer: on the stack for
     * texts of up to MH_STACK_WORDS words (most) */
    uint16_t sv[2 * MH_STACK_WORDS];
    uint32_t sg[2 * MH_STACK_WORDS];
    const int heap = n > MH_STACK_WORDS;
    uint16_t *v = heap ? malloc((2 * n + 1) * sizeof *v) : sv;
    uint32_t *g = heap && ng ? malloc(2 * ng * sizeof *g) : sg;
    if (!v || !g) {
        if (heap) { free(v); if (g != sg) free(g); }
        return TSR_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (uint16_t)(w[i].hash >> 48);
    /* the figures as written (common.h), the top 16 bits of each hash */
    uint16_t *f = v + n;
    size_t nf = 0, at = 0;
    tsr_fig fg;
    while (text_next_figure(text, w, n, &at, &fg))
        f[nf++] = (uint16_t)(fg.hash >> 48);
    mh_sort16(f, nf);
    unsigned char *p = pack;
    size_t at_out = DV_PACK_HEAD;
    if (measure == TSR_MEASURE_CONTAINMENT) {
        for (size_t i = 0; i < ng; i++) g[i] = mh_gram3(v, n, i);
        mh_sort32(g, ng, g + ng);
        size_t u = ng ? 1 : 0;
        for (size_t i = 1; i < ng; i++)
            if (g[i] != g[u - 1]) g[u++] = g[i];
        head[1] = (uint32_t)u;
        memcpy(p + at_out, g, 4 * u);
        at_out += 4 * u;
    } else {
        memcpy(p + at_out, v, 2 * n);
        at_out += 2 * n;
    }
    memcpy(p + at_out, f, 2 * nf);
    at_out += 2 * nf;
    head[2] = (uint32_t)nf;
    memcpy(p, head, sizeof head);
    *pack_len = at_out;
    if (heap) { free(v); if (g != sg) free(g); }
    return TSR_OK;
}

int tsr_dedup_prepare(const char *text, size_t len, const tsr_dedup_opts *o,
                      uint16_t *sig, size_t *nshingles, void *pack, size_t *pack_len,
                      tsr_error *err)
{
    tsr_dedup_opts def;
    if (!o) { tsr_dedup_opts_default(&def); o = &def; }
    if (pack_len) *pack_len = 0;
    TSR_FORWARD(tsr_dedup_opts_validate(o, err));
    tsr_word *w = NULL;
    size_t nw = 0;
    TSR_FORWARD(tsr_tokenize(text, len, &w, &nw, err));
    uint64_t *h = NULL;
    size_t ns = 0;
    int rc = mh_shingles(w, nw, o->shingle, &h, &ns, err);
    if (rc == TSR_OK) {
        mh_signature(h, ns, o->perm, sig);
        if (nshingles) *nshingles = ns;
        if (pack && pack_len && o->measure != TSR_MEASURE_JACCARD &&
            mh_pack(text, w, nw, o->measure, pack, pack_len) != TSR_OK)
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory making a compact form");
    }
    free(h);
    tsr_free(w);
    return rc;
}

double tsr_minhash_jaccard(const uint16_t *a, const uint16_t *b, int perm)
{
    if (perm <= 0)
        return 0.0;
    int eq = 0, i = 0;
    /* four values at a time: a lane of x is 0 where they are equal; the
     * high bit of each lane of y says that its lane of x is not */
    for (; i + 4 <= perm; i += 4) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        x ^= y;
        y = (((x & 0x7FFF7FFF7FFF7FFFull) + 0x7FFF7FFF7FFF7FFFull) | x) & 0x8000800080008000ull;
        /* the lanes' high bits summed by a multiply */
        eq += 4 - (int)(((y >> 15) * 0x0001000100010001ull) >> 48);
    }
    for (; i < perm; i++)
        eq += a[i] == b[i];
    /* P(equal) = J + (1 - J) / 65536: solve for J */
    const double c = 1.0 / 65536.0;
    double j = ((double)eq / perm - c) / (1.0 - c);
    return j < 0 ? 0 : j > 1 ? 1 : j;
}
