/*
 * dedup_index.c - is a new text a near duplicate of an indexed document?
 *
 * How it works.  The index already holds, for every document, its
 * winnowed word n-gram fingerprints; a near duplicate (Jaccard >= 0.8 on
 * word shingles) shares most of them.  So the text's own fingerprints,
 * computed with the index's n-gram and window, are looked up (ix_lookup),
 * hits are counted per document, and only documents holding at least half
 * of the text's fingerprints are candidates: the best DI_MAX_CAND of them
 * by hits.  Each candidate's text is fetched and its MinHash signature
 * computed with the caller's options; the estimated Jaccard decides, or,
 * with the measures that read texts (dedup_verify.c), their score of the
 * two texts.  Nothing of the rest of the index is read or recomputed.
 *
 * Fingerprints held by more than DI_MAX_DF documents (boilerplate) count
 * for nothing: they do not tell near duplicates apart.  A text with no
 * fingerprints (no words) has no near duplicate.
 */
#include "common/common.h"
#include "index_internal.h"
#include "minhash.h"

#define DI_MAX_CAND 16
#define DI_MAX_DF 256

typedef struct { uint32_t doc, hits; } di_cand;

static int di_cmp_doc(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

static int di_cmp_hits(const void *x, const void *y)
{
    const di_cand *p = x, *q = y;
    if (p->hits != q->hits) return p->hits > q->hits ? -1 : 1;
    return (p->doc > q->doc) - (p->doc < q->doc);
}

int tsr_index_near_duplicate(tsr_index *ix, const char *text, size_t len,
                             const tsr_dedup_opts *o, tsr_dup_match *out,
                             tsr_error *err)
{
    tsr_dedup_opts def;
    if (!o) { tsr_dedup_opts_default(&def); o = &def; }
    out->docno = -1;
    out->jaccard = out->score = 0.0;
    TSR_FORWARD(tsr_dedup_opts_validate(o, err));
    const int texts = o->measure != TSR_MEASURE_JACCARD;

    int rc = TSR_OK;
    tsr_word *w = NULL;
    size_t nw = 0, nfp = 0, ns = 0;
    uint64_t *fp = NULL, *sh = NULL;
    uint16_t *sig = NULL, *csig = NULL;
    TSR_VEC(uint32_t) hits = { 0 };
    di_cand *cand = NULL;
    uint32_t docs[DI_MAX_DF + 1];
    dv_text tq = { 0 }, tc = { 0 };
    dv_work *dw = NULL;
    void *qpack = NULL, *cpack = NULL;
    size_t qplen = 0, cplen = 0;

    TSR_FORWARD(tsr_tokenize(text, len, &w, &nw, err));
    if (nw == 0 || ix_ndocs(ix) == 0)
        goto done;
    tsr_params p;
    tsr_params_default(&p);
    ix_fingerprint_params(ix, &p.ngram, &p.window);
    if ((rc = tsr_fingerprints(w, nw, &p, &fp, NULL, &nfp, err))) goto done;
    for (size_t i = 0; i < nfp; i++) {
        size_t df = ix_lookup(ix, fp[i], docs, DI_MAX_DF + 1);
        if (df > DI_MAX_DF) continue;
        for (size_t j = 0; j < df; j++)
            if (tsr_vec_push(&hits, docs[j])) goto oom;
    }
    if ((rc = ix_segments_sound(ix, err))) goto done;
    tsr_sort(hits.a, hits.n, sizeof *hits.a, di_cmp_doc);
    cand = malloc((hits.n + 1) * sizeof *cand);
    if (!cand) goto oom;
    size_t nc = 0;
    const uint32_t need = (uint32_t)(nfp + 1) / 2;
    for (size_t i = 0; i < hits.n;) {
        size_t j = i + 1;
        while (j < hits.n && hits.a[j] == hits.a[i]) j++;
        if (j - i >= need) {
            cand[nc].doc = hits.a[i];
            cand[nc].hits = (uint32_t)(j - i);
            nc++;
        }
        i = j;
    }
    if (nc == 0) goto done;
    tsr_sort(cand, nc, sizeof *cand, di_cmp_hits);
    if (nc > DI_MAX_CAND) nc = DI_MAX_CAND;

    if ((rc = mh_shingles(w, nw, o->shingle, &sh, &ns, err))) goto done;
    sig = malloc((size_t)o->perm * sizeof *sig);
    csig = malloc((size_t)o->perm * sizeof *csig);
    if (!sig || !csig) goto oom;
    mh_signature(sh, ns, o->perm, sig);
    if (texts) {
        if (!(dw = dv_work_new())) goto oom;
        if (!(qpack = malloc(tsr_dedup_pack_bound(len)))) goto oom;
        if (mh_pack(text, w, nw, o->measure, qpack, &qplen) != TSR_OK) goto oom;
        if ((rc = dv_load(&tq, qpack, qplen, o, err))) goto done;
    }
    for (size_t c = 0; c < nc; c++) {
        tsr_document *d = NULL;
        rc = tsr_index_get_docno(ix, cand[c].doc, &d, err);
        if (rc == TSR_ERR_NOTFOUND) { rc = TSR_OK; continue; }
        if (rc) goto done;
        size_t cs = 0;
        double score = 0.0;
        if (texts) {
            void *np = realloc(cpack, tsr_dedup_pack_bound(d->text_len));
            if (!np) { tsr_document_free(d); goto oom; }
            cpack = np;
        }
        rc = tsr_dedup_prepare(d->text, d->text_len, o, csig, &cs, cpack, &cplen, err);
        if (rc == TSR_OK && texts && cs > 0 && (rc = dv_load(&tc, cpack, cplen, o, err)) == TSR_OK)
            score = dv_score(&tq, &tc, o, dw, 1);
        int64_t docno = d->docno;
        tsr_document_free(d);
        if (rc) goto done;
        if (score < 0) goto oom;
        if (cs == 0) continue;
        double j = tsr_minhash_jaccard(sig, csig, o->perm);
        if (!texts) score = j;
        if (score >= o->threshold && score > out->score) {
            out->docno = docno;
            out->jaccard = j;
            out->score = score;
        }
    }
    goto done;
oom:
    rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory looking for near duplicates");
done:
    tsr_free(w);
    tsr_free(fp);
    free(sh);
    free(sig);
    free(csig);
    free(cand);
    tsr_vec_free(&hits);
    dv_text_free(&tq);
    dv_text_free(&tc);
    dv_work_free(dw);
    free(qpack);
    free(cpack);
    return rc;
}
