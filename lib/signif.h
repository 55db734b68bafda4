/*
 * signif.h - how surprising a passage is, given the corpus: its E-value.
 * The model is the essay of signif.c.  Not API.
 */
#ifndef TSR_SIGNIF_H
#define TSR_SIGNIF_H

#include "common/common.h"
#include "align.h"

/* One unit of evidence: a winnowed n-gram fingerprint of the checked
 * text A (the index's own fingerprints), at word position `pos` (its
 * first word), held by `df` documents other than A and B. */
typedef struct sg_unit {
    uint64_t hash;
    uint32_t pos;
    uint32_t df;
} sg_unit;

/* The statistics a passage is judged against. */
typedef struct sg_model {
    double d0;       /* formula level: an n-gram held by d0 or more other
                      * documents carries no evidence */
    double space;    /* documents searched (the E-value's search space) */
    int ngram;       /* words per n-gram (the index's) */
    double lambda;   /* weight of A's units that B lacks (signif.c, step 3);
                      * 0 without a corpus */
    int b_indexed;   /* B is an indexed document: a unit B shares counts
                      * B in its df, which is taken off */
} sg_model;

/* The model of a search over `ndocs` documents (0: one pair, tsr_align)
 * whose boilerplate level is `boilerplate_df` (the automatic level when
 * 0, as tsr_params documents it), for n-grams of `ngram` words. */
void sg_model_init(sg_model *m, uint64_t ndocs, int boilerplate_df, int ngram);
/* (b_indexed is 1 when ndocs > 0.) */

/* The checked side A as the model reads it: its words, the hash of each
 * of its n-grams (gram[i]: words [i, i + n); n - ngram + 1 of them) and
 * its units (winnowed fingerprints, by position).  Read only once built:
 * one text may be judged against many B by several threads. */
typedef struct sg_text {
    const tsr_word *w;
    size_t n;
    uint64_t *gram;
    size_t ngram_count;
    sg_unit *u;
    size_t nu;
    const tsr_fig *fig;   /* its figures (text_figures), in order; set by
                           * the caller, not owned (sg_judge, step 4) */
    size_t nfig;
} sg_text;

/* Build t for the words w[0, n) with the fingerprint parameters of `p`
 * (ngram, window): every unit with df 0, for the caller to fill in
 * (sg_text_df does, from per-n-gram counts).  Free with sg_text_free. */
int sg_text_init(sg_text *t, const tsr_word *w, size_t n, const tsr_params *p,
                 tsr_error *err);
void sg_text_free(sg_text *t);

/* Scratch memory of sg_evalue (one per thread); NULL-safe free. */
typedef struct sg_work sg_work;
sg_work *sg_work_new(void);
void sg_work_free(sg_work *w);

/* The E-value of the passage A[a_lo, a_hi) ~ B[b_lo, b_hi): the number of
 * passages this strong expected by chance in the search; `copies`: the
 * rarest shared n-gram's count is taken as copies of the passage (signif.c,
 * step 5; not when the spans' figures differ, step 7).  When `bits` is not
 * NULL it receives the net evidence (signif.c).  Returns -1 when out of
 * memory. */
double sg_evalue(const sg_model *m, const sg_text *a, const tsr_word *B, uint32_t a_lo,
                 uint32_t a_hi, uint32_t b_lo, uint32_t b_hi, int copies, sg_work *w,
                 double *bits);

/* Set the E-value of each passage of `ps` (A the text of `a`, B the
 * aligned text) and, when max_evalue > 0, drop the
 * passages whose E-value exceeds it, keeping the order of the rest.
 * TSR_OK or TSR_ERR_NOMEM. */
int sg_filter(const sg_model *m, const sg_text *a, const tsr_word *B, double max_evalue,
              al_passages *ps, sg_work *w);

/* How many indexed documents hold an n-gram (ix_count for an index). */
typedef size_t (*sg_count_fn)(void *ctx, uint64_t hash);

/* The E-value of each passage of `ps` read both ways, and the cut of
 * max_evalue (signif.c, steps 6 and 7):
 * 1. a's text against B (model ma); a's units still unknown (UINT32_MAX)
 *    are counted inside the passages' A spans, less `a_self` (1 when a's
 *    document is indexed);
 * 2. the figures that one span holds and the other lacks (a's figures
 *    a->fig, B's bfig[0, nbfig)) weigh against each passage (with a corpus,
 *    ma->lambda > 0);
 * 3. for the passages whose E-value is then above SG_BOTH_WAYS (1e-6),
 *    B's text against a's words (model mb): B's n-grams and fingerprints
 *    over the stretch those passages need (fingerprint parameters `fp`),
 *    counted less 1 (B is indexed), the figures weighed as in 2;
 * 4. the smaller E-value kept; passages above max_evalue (when > 0)
 *    dropped, the others in order.
 * `count(ctx, hash)` gives the counts.  TSR_OK, or an error in *err. */
int sg_judge(const sg_model *ma, sg_text *a, uint32_t a_self, const sg_model *mb,
             const tsr_word *B, size_t bn, const tsr_fig *bfig, size_t nbfig,
             const tsr_params *fp, sg_count_fn count, void *ctx, double max_evalue,
             al_passages *ps, sg_work *w, tsr_error *err);

#endif
