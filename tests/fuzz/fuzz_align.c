/*
 * fuzz_align.c - libFuzzer target for the text pipeline and the aligner:
 * the input, cut in two at its first 0xFF byte (or in the middle), goes
 * through tsr_utf8_check, tsr_tokenize, tsr_fingerprints, text_figures (the
 * figures the E-value and dedup weigh) and tsr_align (both orders, NUL bytes
 * allowed), and the result through tsr_result_json.  Invalid UTF-8 must be
 * refused with an offset inside the text; any result's spans must lie
 * inside the texts and on word boundaries; figures are word ranges in
 * order, apart, each word of them starting or ending with a digit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tessera.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_spans(const tsr_result *r, size_t alen, size_t blen)
{
    for (size_t i = 0; i < r->n_passages; i++) {
        const tsr_passage *p = &r->passages[i];
        if (p->a_begin >= p->a_end || p->a_end > alen || p->b_begin >= p->b_end || p->b_end > blen)
            abort();
    }
    for (size_t i = 0; i < r->n_repeats; i++)
        if (r->repeats[i].end > alen || r->repeats[i].first_end > r->repeats[i].begin)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *cut = memchr(data, 0xFF, size);
    size_t alen = cut ? (size_t)(cut - data) : size / 2;
    const char *a = (const char *)data, *b = (const char *)data + alen + (cut ? 1 : 0);
    size_t blen = size - alen - (cut ? 1 : 0);

    size_t off = 0;
    if (tsr_utf8_check(a, alen, &off) != TSR_OK && off >= alen && alen) abort();
    tsr_word *w = NULL;
    size_t n = 0;
    if (tsr_tokenize(a, alen, &w, &n, NULL) == TSR_OK) {
        for (size_t i = 0; i < n; i++)
            if (w[i].begin >= w[i].end || w[i].end > alen) abort();
        tsr_params p;
        tsr_params_default(&p);
        uint64_t *fp = NULL;
        uint32_t *pos = NULL;
        size_t nf = 0;
        if (tsr_fingerprints(w, n, &p, &fp, &pos, &nf, NULL) == TSR_OK)
            for (size_t i = 0; i < nf; i++)
                if (pos[i] >= n) abort();
        tsr_free(fp);
        tsr_free(pos);
        tsr_fig *fig = NULL;
        size_t cap = 0, nfig = 0;
        if (text_figures(a, w, n, &fig, &cap, &nfig) == 0) {
            for (size_t i = 0; i < nfig; i++) {
                const tsr_fig *f = &fig[i];
                if (f->lo >= f->hi || f->hi > n || (i && f->lo < fig[i - 1].hi)) abort();
                for (uint32_t k = f->lo; k < f->hi; k++) {
                    const unsigned char first = (unsigned char)a[w[k].begin],
                                        last = (unsigned char)a[w[k].end - 1];
                    if ((first < '0' || first > '9') && (last < '0' || last > '9')) abort();
                }
            }
        }
        free(fig);
    }
    tsr_free(w);

    tsr_params p;
    tsr_params_default(&p);
    p.allow_nul = 1;
    p.min_words = 3;  /* small inputs: let the aligner work */
    tsr_result *r = NULL;
    if (tsr_align(a, alen, b, blen, &p, &r, NULL) == TSR_OK) {
        check_spans(r, alen, blen);
        char *j = tsr_result_json(r, 0);
        tsr_free(j);
        tsr_result_free(r);
    }
    if (tsr_align(b, blen, a, alen, &p, &r, NULL) == TSR_OK) {
        check_spans(r, blen, alen);
        tsr_result_free(r);
    }
    return 0;
}
