/*
 * fingerprint.c - word n-gram hashes and winnowing.
 *
 * How it works.  Each run of `ngram` consecutive words gets a 64-bit hash
 * (XXH3 over the words' own 64-bit hashes).  Keeping every n-gram would
 * make the index as large as the text several times over, so we keep a
 * sample chosen by winnowing (Schleimer, Wilkerson & Aiken, SIGMOD 2003):
 * slide a window over `window` consecutive n-gram hashes and keep the
 * smallest hash of each window.  Two texts that share a run of at least
 * window + ngram - 1 words share every window inside it, and a window's
 * minimum depends on nothing but the window's contents, so both texts keep
 * that n-gram: the guarantee.  The expected density is 2 / (window + 1)
 * n-grams per word.
 *
 * Edge cases.  Ties inside a window (repeated text gives equal hashes)
 * follow "robust winnowing": while the minimum chosen for the previous
 * window is still inside the window and still minimal, keep it; when it
 * leaves, take the rightmost minimum.  A new fingerprint is kept only when
 * the chosen position changes, so repetitive text does not inflate the
 * sample.  A text with fewer than
 * `window` n-grams keeps its smallest n-gram; a text with fewer than
 * `ngram` words (but at least one) is one n-gram of all its words, so
 * that short texts are indexed too.
 */
#include "common/common.h"
#include "fingerprint.h"
#include "common/xxh.h"


uint64_t fp_ngram_hash(const tsr_word *w, size_t n)
{
    uint64_t tmp[16];
    if (n > 16) n = 16;
    for (size_t k = 0; k < n; k++)
        tmp[k] = w[k].hash;
    return XXH3_64bits(tmp, n * sizeof tmp[0]);
}

int tsr_fingerprints(const tsr_word *words, size_t n, const tsr_params *p,
                     uint64_t **out, uint32_t **pos, size_t *nout,
                     tsr_error *err)
{
    tsr_params def;
    if (!p) { tsr_params_default(&def); p = &def; }
    *out = NULL;
    if (pos) *pos = NULL;
    *nout = 0;
    if (n == 0)
        return TSR_OK;
    const size_t k = (size_t)p->ngram, w = (size_t)p->window;
    if (k < 1 || k > 16 || w < 1)
        return tsr_seterr(err, TSR_ERR_INVALID, "ngram must be 1..16 and window >= 1");

    size_t ng = n >= k ? n - k + 1 : 1;
    uint64_t *h = malloc(ng * sizeof *h);
    TSR_CHECK_ALLOC(h, err);
    if (n >= k) {
        for (size_t i = 0; i < ng; i++)
            h[i] = fp_ngram_hash(words + i, k);
    } else {
        h[0] = fp_ngram_hash(words, n);
    }

    size_t cap = ng < w ? 1 : (ng * 2) / (w + 1) + 16;
    uint64_t *fp = malloc(cap * sizeof *fp);
    uint32_t *fpos = pos ? malloc(cap * sizeof *fpos) : NULL;
    if (!fp || (pos && !fpos)) {
        free(h); free(fp); free(fpos);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    size_t nf = 0;
    size_t win = ng < w ? ng : w;
    size_t last = SIZE_MAX;  /* position of the last kept fingerprint */
    size_t mi = SIZE_MAX;    /* position of the current window minimum */
    for (size_t end = win; end <= ng; end++) {
        size_t start = end - win;
        if (mi == SIZE_MAX || mi < start) {
            /* the minimum left the window: rescan, rightmost minimum wins */
            mi = start;
            for (size_t j = start + 1; j < end; j++)
                if (h[j] <= h[mi]) mi = j;
        } else if (h[end - 1] < h[mi]) {
            /* a tie keeps the minimum already chosen (robust winnowing):
             * repeated text then yields one fingerprint, not one a word */
            mi = end - 1;
        }
        if (mi != last) {
            if (nf == cap) {
                cap *= 2;
                uint64_t *nfp = realloc(fp, cap * sizeof *fp);
                if (!nfp) goto oom;
                fp = nfp;
                if (fpos) {
                    uint32_t *np = realloc(fpos, cap * sizeof *fpos);
                    if (!np) goto oom;
                    fpos = np;
                }
            }
            fp[nf] = h[mi];
            if (fpos) fpos[nf] = (uint32_t)mi;
            nf++;
            last = mi;
        }
    }
    free(h);
    *out = fp;
    if (pos) *pos = fpos;
    *nout = nf;
    return TSR_OK;
oom:
    free(h); free(fp); free(fpos);
    return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
}
