/*
 * paraphrase.h - the sentence stage (lib/paraphrase.c): reuse whose words
 * and word order changed, found sentence by sentence.  Internal: for the
 * stages that align a pair (result.c's tsr_align) and their unit tests
 * (tests/unit/test_paraphrase.c).  Not API.
 */
#ifndef TSR_PARAPHRASE_H
#define TSR_PARAPHRASE_H
#include "align.h"

/* Thresholds of the stage (paraphrase.c, "How it works"). */
#define PP_MIN_COS 0.33      /* a seed's tf-isf cosine */
#define PP_MIN_DICE 0.33     /* and its Dice over distinct terms */
#ifndef PP_SUM_COS
#define PP_SUM_COS 0.3       /* summaries: a sentence's best match, cosine */
#endif
#ifndef PP_SUM_MIN
#define PP_SUM_MIN 3         /* summaries: sentences matched in order */
#endif
#ifndef PP_SUM_RATIO
#define PP_SUM_RATIO 2       /* summaries: source stretch / summary, in words */
#endif
#ifndef PP_SUM_MAXRATIO
#define PP_SUM_MAXRATIO 25   /* summaries: at most this much longer */
#endif
#ifndef PP_SUM_COPY
#define PP_SUM_COPY 0.7      /* summaries: not over a passage this similar */
#endif
#ifndef PP_SUM_SHARE
#define PP_SUM_SHARE 0.7     /* summaries: summary terms the stretch holds */
#endif
#ifndef PP_SUM_HOLE
#define PP_SUM_HOLE 4        /* summaries: no run of this many source sentences
                              * sharing no term with the summary */
#endif
#ifndef PP_SUM_HOLE_TERMS
#define PP_SUM_HOLE_TERMS 1  /* (a source sentence sharing fewer terms) */
#endif
#ifndef PP_EXT_MIN
#define PP_EXT_MIN 0.25      /* both, for a sentence next to a passage (extension) */
#endif
#ifndef PP_BAG_TAU
#define PP_BAG_TAU 0.4       /* step 7b: the least weighted Dice beyond an end */
#endif
#define PP_BAG_MIN 2         /* step 7b: the fewest content words shared beyond an end */
#define PP_BAG_MAX 60        /* step 7b: the most words looked at beyond an end */
#define PP_CROSS_RATIO 2     /* step 7b, across an end: windows of comparable */
#define PP_CROSS_SLACK 2     /* lengths (at most 2 * the other's + 2 words) */
#define PP_CROSS_MIN 3       /* step 7b, across an end: content words shared */
#define PP_GAP 4             /* sentences between two seeds of one passage */
#define PP_MIN_SEEDS 2       /* seeds a passage needs */
#define PP_MIN_BYTES 150     /* bytes of each span */
#ifndef PP_MIN_SHARE
#define PP_MIN_SHARE 0.45    /* terms in common (bags) over the spans' terms */
#endif

/* One text as the stage reads it: its sentences (word ranges) and each
 * sentence's terms (stems of its content words, hashed, with counts). */
typedef struct pp_sentence {
    uint32_t lo, hi;          /* words [lo, hi) */
    uint32_t t_lo, t_hi;      /* its distinct terms, pp_text.t[t_lo, t_hi) */
} pp_sentence;

typedef struct pp_term {
    uint64_t term;            /* hash of the stem, never 0 */
    uint32_t tf;              /* occurrences in the sentence */
    uint32_t lid;             /* the term as an index of pp_text.dk */
} pp_term;

/* A sentence holding a term, and how often (pp_text.pst). */
typedef struct pp_post {
    uint32_t sent, tf;
} pp_post;

typedef struct pp_text {
    pp_sentence *s;
    size_t ns;
    pp_term *t;
    size_t nt;
    /* its distinct terms (pp_text_init), which pp_weigh matches with the
     * other text's without hashing the text again for each pair it is in */
    uint64_t *dk;             /* the distinct terms, in order of first use */
    uint32_t *dsf;            /* the sentences holding each */
    uint32_t *slot;           /* dk as a hash table: 0 or index + 1 */
    size_t nd, dmask;         /* nd distinct terms, dmask + 1 slots */
    /* the sentences holding each distinct term d, in order:
     * pst[ph[d], ph[d + 1]) (the postings pp_align_texts reads of b) */
    uint32_t *ph;
    pp_post *pst;
    /* a filter of the distinct terms (4,096 bits: bit term >> 52 set for
     * each): a term whose bit is clear is not one of them (pp_may_pair) */
    uint64_t filter[64];
    /* each word's term, as an index of dk + 1 (0: a stop word): nw words */
    uint32_t *wd;
    size_t nw;
    /* the text's figures (text_figures), in order, which step 7b reads:
     * borrowed, set by the caller before each pp_align_texts (pp_text_init
     * and pp_text_build leave none: NULL, 0) */
    const tsr_fig *fig;
    size_t nfig;
} pp_text;

/* Split text (its words w[0, n)) into sentences and terms.  A sentence
 * ends where the bytes between two words hold . ! ? (or their CJK forms)
 * or a blank line; one of fewer than 4 words joins the next.  Stop words
 * (English function words) are left out, the rest stemmed (Snowball,
 * English: libstemmer).  0, or TSR_ERR_NOMEM with `err` set. */
int pp_text_init(pp_text *t, const char *text, const tsr_word *w, size_t n, tsr_error *err);
/* pp_text_init in two halves, for callers that keep a text's words but
 * not its bytes (discovery's document cache).  pp_marks reads what the
 * split needs from the bytes: each word's term (0: a stop word) into
 * term[0, n) and, into cut[0, n), 1 where a sentence may end after the
 * word (the marks between it and the next; always after the last).  0, or
 * -1 when out of memory.  pp_text_build splits from those alone, exactly
 * as pp_text_init does from the text; 0 or TSR_ERR_NOMEM with `err` set. */
int pp_marks(const char *text, const tsr_word *w, size_t n, uint64_t *term, unsigned char *cut);
int pp_text_build(pp_text *t, const uint64_t *term, const unsigned char *cut, size_t n,
                  tsr_error *err);
/* A caller's buffers for the marks of one text at a time, kept from text
 * to text: pp_markbuf_fill makes the marks of text's n words w in them
 * (room made); 0 or -1 when out of memory. */
typedef struct pp_markbuf {
    uint64_t *term;
    unsigned char *cut;
    size_t cap[2];
} pp_markbuf;
int pp_markbuf_fill(pp_markbuf *m, const char *text, const tsr_word *w, size_t n);
void pp_markbuf_free(pp_markbuf *m);
void pp_text_free(pp_text *t);
/* The bytes t holds (about: without the allocator's overhead). */
size_t pp_text_bytes(const pp_text *t);

/* What the weights of a pair of texts a, b are made of (pp_weigh): which
 * terms the two share, each distinct term's log(N / sf) over the N
 * sentences of both (sf: the sentences of both holding it), and the norm of
 * each sentence's tf-isf vector.  A term's weight in a sentence is
 * tf * that log (pp_wa, pp_wb).  The buffers are kept from pair to pair. */
typedef struct pp_pair {
    uint32_t nterms;          /* the pair's term numbers are below it */
    uint32_t *amap;           /* a's distinct term d -> b's same term, or UINT32_MAX */
    uint32_t *bid;            /* b's distinct term d -> its number in the pair:
                               * a's (its index in a->dk) when a holds it, else a->nd + d */
    double *lga, *lgb;        /* log(N / sf) of each distinct term of a, of b */
    double *na, *nb;          /* the norms of a's sentences, of b's */
    double *lg;               /* scratch: log(N / f) by f */
    size_t cap[7];            /* of each buffer, in this order */
} pp_pair;

/* Weigh the terms of a and b by tf * isf, isf = log(N / sentences holding
 * the term) over the N sentences of both texts, and set the norms (into
 * *p, whose buffers it reuses; all zeros at first).  0 or -1. */
int pp_weigh(const pp_text *a, const pp_text *b, pp_pair *p);
void pp_pair_free(pp_pair *p);

/* The weight of term t[k] of a, of b; and its number in the pair. */
static inline double pp_wa(const pp_pair *p, const pp_text *a, size_t k)
{
    return a->t[k].tf * p->lga[a->t[k].lid];
}
static inline double pp_wb(const pp_pair *p, const pp_text *b, size_t k)
{
    return b->t[k].tf * p->lgb[b->t[k].lid];
}
static inline uint32_t pp_ida(const pp_text *a, size_t k) { return a->t[k].lid; }
static inline uint32_t pp_idb(const pp_pair *p, const pp_text *b, size_t k)
{
    return p->bid[b->t[k].lid];
}

/* Whether the sentence stage may find anything in a pair for which the
 * aligner found nothing: 0 when pp_align_texts(a, b) would surely add no
 * passage to an empty list, 1 when it may, -1 when out of memory.  B's
 * words come with their marks (pp_marks), not split: a pair can be ruled
 * out without splitting B.  The test is necessary, not sufficient: from
 * how many of each side's term occurrences the other side holds at all,
 * over runs of sentences long enough for a passage or a summary
 * (paraphrase.c, "Ruling pairs out"). */
int pp_may_pair(const pp_text *a, const tsr_word *A, const tsr_word *B, const uint64_t *bterm,
                const unsigned char *bcut, size_t bn);

/* The sentence stage: passages of A ~ B made of sentence pairs that share
 * weighted content (cosine and Dice at least PP_MIN_COS, PP_MIN_DICE),
 * grouped when within PP_GAP sentences of each other on both sides, kept
 * when PP_MIN_SEEDS pairs, PP_MIN_BYTES on each side, PP_MIN_SHARE of
 * their terms in common, and no passage already in *ps overlapping them
 * on either side.  Then the passages that were in *ps grow by whole
 * sentences while the next (or previous) sentence on both sides is such a
 * pair, never into another passage; and runs of A's sentences that condense
 * a longer stretch of B in order become summary passages (paraphrase.c,
 * step 8).  They are appended
 * to *ps with matches (words in common, as a bag: al_bag_matches) and
 * similarity; last, neighbours that the extensions brought together merge
 * as the aligner's do (al_merge_passages, with p's max_gap and
 * min_similarity; p NULL: the defaults), and *ps comes out sorted by A.
 * `wk` is the aligner's workspace, whose bag table counts them (the
 * caller's, one per thread, as for al_align; NULL: one for this call
 * only).  TSR_OK or TSR_ERR_NOMEM with `err` set. */
int pp_align(const char *a, const tsr_word *A, size_t an, const char *b, const tsr_word *B,
             size_t bn, const tsr_params *p, al_work *wk, al_passages *ps, tsr_error *err);
/* pp_align on texts already split (pp_text_init), so that one text can be
 * aligned with many without being split again: its weights are recomputed
 * for each pair (pp_weigh), its sentences, terms and postings kept.  The
 * caller sets ta->fig and tb->fig (pp_align finds them in the texts). */
int pp_align_texts(pp_text *ta, pp_text *tb, const tsr_word *A, size_t an, const tsr_word *B,
                   size_t bn, const tsr_params *p, al_work *wk, al_passages *ps,
                   tsr_error *err);

#endif
