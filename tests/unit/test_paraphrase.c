/*
 * test_paraphrase.c - the sentence stage (lib/paraphrase.h): sentences,
 * terms (stop words, stems, normalization), windows for text without
 * marks, weights, and passages of rewritten text, on their own and
 * through tsr_align (with the stage on and off).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paraphrase.h"
#include "testhelp.h"

/* The words of s (tsr_tokenize), into *w; their count. */
static size_t words(const char *s, tsr_word **w)
{
    size_t n = 0;
    *w = NULL;
    if (tsr_tokenize(s, strlen(s), w, &n, NULL) != TSR_OK) return 0;
    return n;
}

/* The word index of the first word at or after byte `at` of s. */
static uint32_t word_at(const tsr_word *w, size_t n, size_t at)
{
    uint32_t i = 0;
    while (i < n && w[i].begin < at) i++;
    return i;
}

/* ---- sentences ----------------------------------------------------------- */

static const struct {
    const char *text;
    size_t sentences;      /* expected */
    const char *first_end; /* the first sentence's last word */
} sentence_cases[] = {
    { "One two three four. Five six seven eight! Nine ten eleven twelve?", 3, "four" },
    /* "Mr." and "U.S." make sentences of one word: they join the next */
    { "Mr. Smith went to the U.S. capital yesterday by train.", 1, "train" },
    { "a b c d e\n\nf g h i j\nk l m n o", 2, "e" },   /* a blank line ends one */
    { "first line here now\nsecond line here now", 1, "now" }, /* one newline does not */
    { "\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89\xe5\x9b\x9b\xe3\x80\x82"
      "\xe4\xba\x94\xe5\x85\xad\xe4\xb8\x83\xe5\x85\xab", 2, "\xe5\x9b\x9b" }, /* CJK stop */
    { "one two three four five. six", 1, "six" },     /* a short last one joins */
};

static void test_sentences(void)
{
    for (size_t k = 0; k < sizeof sentence_cases / sizeof *sentence_cases; k++) {
        const char *s = sentence_cases[k].text;
        tsr_word *w;
        size_t n = words(s, &w);
        pp_text t;
        CHECK(pp_text_init(&t, s, w, n, NULL) == TSR_OK);
        CHECK(t.ns == sentence_cases[k].sentences);
        if (t.ns) {
            const tsr_word *e = &w[t.s[0].hi - 1];
            CHECK(strlen(sentence_cases[k].first_end) == e->end - e->begin &&
                  memcmp(s + e->begin, sentence_cases[k].first_end, e->end - e->begin) == 0);
            CHECK(t.s[0].lo == 0 && t.s[t.ns - 1].hi == n);
        }
        for (size_t i = 1; i < t.ns; i++) CHECK(t.s[i].lo == t.s[i - 1].hi);
        pp_text_free(&t);
        tsr_free(w);
    }
}

/* Text without marks is cut into windows of 100 words. */
static void test_windows(void)
{
    char *s = malloc(250 * 12 + 1);
    size_t len = 0;
    for (int i = 0; i < 250; i++) len += (size_t)sprintf(s + len, "word%d ", i);
    tsr_word *w;
    size_t n = words(s, &w);
    pp_text t;
    CHECK(n == 250 && pp_text_init(&t, s, w, n, NULL) == TSR_OK);
    CHECK(t.ns == 3 && t.s[0].hi == 100 && t.s[1].hi == 200 && t.s[2].hi == 250);
    pp_text_free(&t);
    tsr_free(w);
    free(s);
}

/* ---- terms --------------------------------------------------------------- */

/* The terms of a one-sentence text, in a sorted array; their count. */
static size_t terms_of(const char *s, pp_term **out)
{
    tsr_word *w;
    size_t n = words(s, &w);
    pp_text t;
    size_t nt = 0;
    *out = NULL;
    if (pp_text_init(&t, s, w, n, NULL) == TSR_OK && t.ns == 1) {
        nt = t.nt;
        *out = malloc((nt + 1) * sizeof **out);
        memcpy(*out, t.t, nt * sizeof **out);
    }
    pp_text_free(&t);
    tsr_free(w);
    return nt;
}

static const struct {
    const char *a, *b;
    int same;   /* one term (1) or two (0) */
} term_cases[] = {
    { "reported report", "reports reporting", 1 },   /* stems: one term */
    { "Café café", "CAFE cafe", 1 },                  /* normalized as text.c does */
    { "connection connected", "connecting connects", 1 },
    { "bridge", "bridges", 1 },
    { "bridge", "budget", 0 },
    { "running runner", "run", 0 },                  /* Snowball keeps "runner" */
};

static void test_terms(void)
{
    for (size_t k = 0; k < sizeof term_cases / sizeof *term_cases; k++) {
        char s[256];
        snprintf(s, sizeof s, "%s %s", term_cases[k].a, term_cases[k].b);
        pp_term *t;
        size_t nt = terms_of(s, &t);
        CHECK(term_cases[k].same ? nt == 1 : nt >= 2);
        free(t);
    }
    /* stop words are no terms; counts add up */
    pp_term *t;
    size_t nt = terms_of("the bridge and the bridges of the river", &t);
    CHECK(nt == 2);
    CHECK(nt == 2 && ((t[0].tf == 2 && t[1].tf == 1) || (t[0].tf == 1 && t[1].tf == 2)));
    free(t);
}

/* isf: a term in every sentence weighs nothing, a rarer one more. */
static void test_weigh(void)
{
    const char *a = "river bridge crumbling today. river tax budget council.";
    const char *b = "river vote mayor residents.";
    tsr_word *wa, *wb;
    size_t na = words(a, &wa), nb = words(b, &wb);
    pp_text ta, tb;
    pp_pair p;
    memset(&p, 0, sizeof p);
    CHECK(pp_text_init(&ta, a, wa, na, NULL) == TSR_OK && ta.ns == 2);
    CHECK(pp_text_init(&tb, b, wb, nb, NULL) == TSR_OK && tb.ns == 1);
    CHECK(pp_weigh(&ta, &tb, &p) == 0);
    /* river bridg crumbl today tax budget council, then vote mayor resid */
    CHECK(ta.nd == 7 && tb.nd == 4 && p.nterms == 11);
    for (size_t i = 0; i < ta.nt; i++) {
        /* "river" is in all 3 sentences: log(3/3) = 0; the others log(3) */
        CHECK(fabs(pp_wa(&p, &ta, i)) < 1e-12 || fabs(pp_wa(&p, &ta, i) - log(3.0)) < 1e-12);
    }
    CHECK(fabs(p.na[0] - sqrt(3.0) * log(3.0)) < 1e-9);
    pp_pair_free(&p);
    pp_text_free(&ta);
    pp_text_free(&tb);
    tsr_free(wa);
    tsr_free(wb);
}

/* A text of n words drawn from a vocabulary of v (with stop words and
 * inflected forms), sentences of 2-40 words; the caller frees it. */
static char *gen_text(uint64_t *rng, size_t n, unsigned v)
{
    static const char *const stops[] = { "the", "of", "and", "a", "to", "in", "was" };
    static const char *const ends[] = { "", "s", "ed", "ing" };
    char *s = malloc(n * 24 + 1);
    size_t len = 0, left = 0;
    for (size_t i = 0; i < n; i++) {
        *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
        const unsigned r = (unsigned)(*rng >> 33);
        if (r % 5 == 0)
            len += (size_t)sprintf(s + len, "%s", stops[r / 5 % 7]);
        else
            len += (size_t)sprintf(s + len, "w%u%s", r / 7 % v, ends[r / 3 % 4]);
        if (left == 0) left = 2 + r / 11 % 39;
        s[len++] = --left == 0 ? '.' : ' ';
        if (left == 0) s[len++] = ' ';
    }
    s[len] = 0;
    return s;
}

/* The terms of each sentence are sorted and distinct (the sort of
 * pp_add_sentence, short and long sentences), each text's distinct
 * terms (dk, dsf, pp_term.lid) are what its sentences hold, and its
 * postings (ph, pst) list the sentences holding each, in order. */
static void test_terms_sorted(void)
{
    uint64_t rng = 7;
    for (int round = 0; round < 40; round++) {
        char *s = gen_text(&rng, 50 + (size_t)round * 37, 20 + (unsigned)round * 13);
        tsr_word *w;
        size_t n = words(s, &w);
        pp_text t;
        CHECK(pp_text_init(&t, s, w, n, NULL) == TSR_OK);
        int sorted = 1, lids = 1, sfs = 1, post = 1;   /* one CHECK each per round */
        for (size_t x = 0; x < t.ns; x++)
            for (uint32_t i = t.s[x].t_lo + 1; i < t.s[x].t_hi; i++)
                sorted &= t.t[i - 1].term < t.t[i].term;
        uint32_t *sf = calloc(t.nd + 1, sizeof *sf);
        for (size_t i = 0; i < t.nt; i++) {
            lids &= t.t[i].lid < t.nd && t.dk[t.t[i].lid] == t.t[i].term;
            sf[t.t[i].lid]++;
        }
        for (size_t d = 0; d < t.nd; d++) sfs &= sf[d] == t.dsf[d];
        CHECK(t.ph[0] == 0 && t.ph[t.nd] == t.nt);
        for (size_t d = 0; d < t.nd; d++) {
            post &= t.ph[d + 1] - t.ph[d] == t.dsf[d];
            for (uint32_t e = t.ph[d]; e < t.ph[d + 1]; e++) {
                const uint32_t j = t.pst[e].sent;
                post &= j < t.ns && (e == t.ph[d] || t.pst[e - 1].sent < j);
                if (j >= t.ns) continue;
                uint32_t tf = 0;   /* the sentence holds the term, that often */
                for (uint32_t k = t.s[j].t_lo; k < t.s[j].t_hi; k++)
                    if (t.t[k].lid == d) tf = t.t[k].tf;
                post &= tf && tf == t.pst[e].tf;
            }
        }
        CHECK(sorted);
        CHECK(lids);
        CHECK(sfs);
        CHECK(post);
        CHECK(pp_text_bytes(&t) > t.nt * sizeof *t.t);
        free(sf);
        pp_text_free(&t);
        tsr_free(w);
        free(s);
    }
}

/* pp_weigh against its definition (a term's sentences over both texts,
 * counted here by brute force): the same numbers for the same terms, the
 * same weights and norms to the bit, with *p reused from pair to pair (also
 * when a text was b of an earlier pair and is a now). */
static void check_weigh(pp_text *a, pp_text *b, pp_pair *p)
{
    CHECK(pp_weigh(a, b, p) == 0);
    CHECK(p->nterms == a->nd + b->nd);
    const double N = (double)(a->ns + b->ns);
    /* one CHECK per property and pair (not per term: the pass count
     * stays a count of properties) */
    int ids = 1, same = 1, weights = 1, norms = 1, map = 1;
    pp_text *side[2] = { a, b };
    for (int k = 0; k < 2; k++) {
        pp_text *t = side[k];
        for (size_t x = 0; x < t->ns; x++) {
            double sq = 0.0;
            for (uint32_t i = t->s[x].t_lo; i < t->s[x].t_hi; i++) {
                const uint64_t h = t->t[i].term;
                const uint32_t id = k ? pp_idb(p, b, i) : pp_ida(a, i);
                ids &= id < p->nterms;
                uint32_t sf = 0;
                for (int m = 0; m < 2; m++)
                    for (size_t j = 0; j < side[m]->nt; j++) {
                        const uint32_t jd = m ? pp_idb(p, b, j) : pp_ida(a, j);
                        sf += side[m]->t[j].term == h;
                        same &= (side[m]->t[j].term == h) == (jd == id);
                    }
                const double wt = t->t[i].tf * log(N / (double)sf);
                const double w = k ? pp_wb(p, b, i) : pp_wa(p, a, i);
                weights &= memcmp(&wt, &w, sizeof wt) == 0;
                sq += wt * wt;
            }
            const double norm = sqrt(sq);
            norms &= memcmp(&norm, k ? &p->nb[x] : &p->na[x], sizeof norm) == 0;
        }
    }
    /* amap: a's distinct terms to b's */
    for (size_t d = 0; d < a->nd; d++) {
        uint32_t y = UINT32_MAX;
        for (size_t e = 0; e < b->nd; e++)
            if (b->dk[e] == a->dk[d]) y = (uint32_t)e;
        map &= p->amap[d] == y;
    }
    CHECK(ids);
    CHECK(same);
    CHECK(weights);
    CHECK(norms);
    CHECK(map);
}

static void test_weigh_pairs(void)
{
    uint64_t rng = 11;
    pp_pair p;
    memset(&p, 0, sizeof p);
    for (int round = 0; round < 12; round++) {
        pp_text t[3];
        tsr_word *w[3];
        char *s[3];
        for (int k = 0; k < 3; k++) {
            s[k] = gen_text(&rng, 30 + (size_t)(round * 29 + k * 53) % 400, 30 + (unsigned)round * 7);
            const size_t n = words(s[k], &w[k]);
            CHECK(pp_text_init(&t[k], s[k], w[k], n, NULL) == TSR_OK);
        }
        check_weigh(&t[0], &t[1], &p);
        check_weigh(&t[0], &t[2], &p);
        check_weigh(&t[1], &t[2], &p);   /* t[1] was b, is a */
        check_weigh(&t[2], &t[0], &p);
        check_weigh(&t[2], &t[2], &p);
        for (int k = 0; k < 3; k++) {
            pp_text_free(&t[k]);
            tsr_free(w[k]);
            free(s[k]);
        }
    }
    pp_text e;   /* an empty text */
    memset(&e, 0, sizeof e);
    char *s = gen_text(&rng, 100, 50);
    tsr_word *w;
    pp_text t;
    const size_t n = words(s, &w);
    CHECK(pp_text_init(&t, s, w, n, NULL) == TSR_OK);
    check_weigh(&e, &t, &p);
    check_weigh(&t, &e, &p);
    pp_pair_free(&p);
    pp_text_free(&t);
    tsr_free(w);
    free(s);
}

/* ---- passages ------------------------------------------------------------ */

#define OTHER_A "The orchestra opened its season with a symphony by Sibelius. " \
    "Tickets for the concert sold out within an hour of going on sale. "
#define OTHER_B "A new species of frog was described by biologists in Peru. " \
    "Its call resembles the sound of a dripping tap in a quiet cave. "
#define SOURCE "The city council approved a new budget on Tuesday after months of debate. " \
    "The plan raises property taxes by three percent to pay for road repairs. " \
    "Several residents protested outside the town hall during the vote. " \
    "The mayor said the increase was necessary to fix crumbling bridges. "
#define REWRITE "Following months of debating, councillors approving budgets for the city did so " \
    "on Tuesday. Under the planned rise, taxes on properties go up three percent, paying " \
    "for repairing roads. Outside the hall of the town, residents were protesting while " \
    "votes were cast. Increases are a necessity, according to the mayor, since bridges " \
    "have crumbled. "
#define TAIL_A "The conductor thanked the audience and promised more Finnish music next spring."
#define TAIL_B "Researchers hope to record more frogs before the rainy season begins in earnest."

static const char *const text_a = OTHER_A REWRITE TAIL_A;
static const char *const text_b = OTHER_B SOURCE TAIL_B;

static void test_passage(void)
{
    tsr_word *A, *B;
    size_t an = words(text_a, &A), bn = words(text_b, &B);
    al_passages ps = { 0 };
    CHECK(pp_align(text_a, A, an, text_b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 1);
    if (ps.n == 1) {
        const al_passage *p = &ps.a[0];
        /* exactly the rewritten sentences, and exactly the source's */
        CHECK(p->a_lo == word_at(A, an, strlen(OTHER_A)));
        CHECK(p->a_hi == word_at(A, an, strlen(OTHER_A REWRITE)));
        CHECK(p->b_lo == word_at(B, bn, strlen(OTHER_B)));
        CHECK(p->b_hi == word_at(B, bn, strlen(OTHER_B SOURCE)));
        CHECK(p->similarity > 0.2 && p->similarity < 1.0);
        CHECK(p->matches > 0 && p->matches < p->a_hi - p->a_lo);
    }
    /* a passage already there (the aligner's) keeps the stage out */
    ps.n = 0;
    al_passage pre = { .a_lo = 25, .a_hi = 30, .b_lo = 0, .b_hi = 5, .similarity = 1.0 };
    CHECK(tsr_vec_push(&ps, pre) == 0);
    CHECK(pp_align(text_a, A, an, text_b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 1 && ps.a[0].a_lo == 25);
    /* texts on other subjects: nothing */
    ps.n = 0;
    tsr_word *C;
    const char *c = OTHER_A TAIL_A " " OTHER_B TAIL_B;
    size_t cn = words(c, &C);
    CHECK(pp_align(text_a, A, an, c, C, cn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 0 || ps.a[0].a_hi <= word_at(A, an, strlen(OTHER_A)) ||
          ps.a[0].a_lo >= word_at(A, an, strlen(OTHER_A REWRITE)));
    /* one sentence alike is not enough (PP_MIN_SEEDS) */
    ps.n = 0;
    const char *one = OTHER_B "The plan raises property taxes by three percent to pay for "
                      "road repairs. " TAIL_B;
    tsr_word *O;
    size_t on = words(one, &O);
    CHECK(pp_align(text_a, A, an, one, O, on, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 0);
    tsr_vec_free(&ps);
    tsr_free(A);
    tsr_free(B);
    tsr_free(C);
    tsr_free(O);
}

/* Through tsr_align: the aligner alone finds nothing in the rewrite (words
 * in other forms and orders); the stage finds it, by default. */
static void test_tsr_align(void)
{
    tsr_params p;
    tsr_params_default(&p);
    CHECK(p.paraphrase == 1);
    tsr_result *r = NULL;
    CHECK(tsr_align(text_a, strlen(text_a), text_b, strlen(text_b), &p, &r, NULL) == TSR_OK);
    CHECK(r && r->n_passages == 1);
    if (r && r->n_passages == 1) {
        CHECK(r->passages[0].a_begin == strlen(OTHER_A));
        CHECK(r->passages[0].b_begin == strlen(OTHER_B));
        CHECK(r->passages[0].a_end == strlen(OTHER_A REWRITE) - 2);   /* "crumbled. " */
        CHECK(r->passages[0].b_end == strlen(OTHER_B SOURCE) - 2);   /* "bridges. " */
    }
    tsr_result_free(r);
    p.paraphrase = 0;
    CHECK(tsr_align(text_a, strlen(text_a), text_b, strlen(text_b), &p, &r, NULL) == TSR_OK);
    CHECK(r && r->n_passages == 0);
    tsr_result_free(r);
    p.paraphrase = TSR_PARAPHRASE_ALL;   /* in align, the same as the default */
    CHECK(tsr_align(text_a, strlen(text_a), text_b, strlen(text_b), &p, &r, NULL) == TSR_OK);
    CHECK(r && r->n_passages == 1 && r->passages[0].kind == TSR_KIND_PARAPHRASE);
    tsr_result_free(r);
    p.paraphrase = TSR_PARAPHRASE_ALL + 1;
    CHECK(tsr_align(text_a, strlen(text_a), text_b, strlen(text_b), &p, &r, NULL) ==
          TSR_ERR_INVALID);
}

/* The kind of a passage (al_kind): the stage's, else verbatim when the two
 * spans hold the same words in the same order, else edited; and through
 * tsr_align and its JSON. */
static void test_kind(void)
{
    tsr_word *A, *B;
    const char *a = "one two three four five six", *b = "zero one two three four five seven";
    size_t an = words(a, &A), bn = words(b, &B);
    al_passage p = { .a_lo = 0, .a_hi = 5, .b_lo = 1, .b_hi = 6 };
    CHECK(al_kind(&p, A, B) == TSR_KIND_VERBATIM);
    p.a_hi = 6; p.b_hi = 7;                     /* six ~ seven */
    CHECK(al_kind(&p, A, B) == TSR_KIND_EDITED);
    p.a_hi = 5; p.b_lo = 0; p.b_hi = 6;         /* a word more on one side */
    CHECK(al_kind(&p, A, B) == TSR_KIND_EDITED);
    p.kind = TSR_KIND_PARAPHRASE;
    CHECK(al_kind(&p, A, B) == TSR_KIND_PARAPHRASE);
    CHECK(strcmp(tsr_kind_name(TSR_KIND_VERBATIM), "verbatim") == 0 &&
          strcmp(tsr_kind_name(TSR_KIND_EDITED), "edited") == 0 &&
          strcmp(tsr_kind_name(TSR_KIND_PARAPHRASE), "paraphrase") == 0 &&
          strcmp(tsr_kind_name(7), "?") == 0);
    (void)an; (void)bn;
    tsr_free(A);
    tsr_free(B);
    tsr_result *r = NULL;
    CHECK(tsr_align(text_a, strlen(text_a), text_b, strlen(text_b), NULL, &r, NULL) == TSR_OK);
    CHECK(r && r->n_passages == 1 && r->passages[0].kind == TSR_KIND_PARAPHRASE);
    char *j = r ? tsr_result_json(r, 0) : NULL;
    CHECK(j && strstr(j, "\"kind\":\"paraphrase\""));
    tsr_free(j);
    tsr_result_free(r);
}

/* Step 7 (pp_extend): a passage of the aligner's grows by whole sentences
 * while the next sentences on both sides are a seed pair: here from the
 * first rewritten sentence over the three after it, and not into the
 * unrelated tail. */
static void test_extend(void)
{
    tsr_word *A, *B;
    size_t an = words(text_a, &A), bn = words(text_b, &B);
    const uint32_t a0 = word_at(A, an, strlen(OTHER_A));
    const uint32_t b0 = word_at(B, bn, strlen(OTHER_B));
    /* the first sentence of each: "Following ... Tuesday", "The city ... debate" */
    const uint32_t a1 = word_at(A, an, strlen(OTHER_A) + strlen("Following months of debating,"
                                " councillors approving budgets for the city did so on Tuesday."));
    const uint32_t b1 = word_at(B, bn, strlen(OTHER_B) + strlen("The city council approved a new"
                                " budget on Tuesday after months of debate."));
    al_passages ps = { 0 };
    al_passage p = { .a_lo = a0, .a_hi = a1, .b_lo = b0, .b_hi = b1, .matches = 6,
                     .similarity = 0.4 };
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(pp_align(text_a, A, an, text_b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 1);
    CHECK(ps.a[0].a_lo == a0 && ps.a[0].a_hi == word_at(A, an, strlen(OTHER_A REWRITE)));
    CHECK(ps.a[0].b_lo == b0 && ps.a[0].b_hi == word_at(B, bn, strlen(OTHER_B SOURCE)));
    CHECK(ps.a[0].matches >= 6 && ps.a[0].kind == 0);
    tsr_vec_free(&ps);
    tsr_free(A);
    tsr_free(B);
}

/* Step 7b (pp_bag_extend): a passage of the aligner's that stops where
 * the rest of its sentence was reworded (words reordered, one form
 * changed: no run of identical words, no next sentence to extend into)
 * grows over the rest of that sentence on both sides, to the last word
 * the other side holds, and not into the unrelated text around it. */
#define BAG_SAME "Officials said the new bridge across the river will open in June, "
#define BAG_A BAG_SAME "with rebuilt ramps and wider lanes for cyclists and buses. "
#define BAG_B BAG_SAME "with wider lanes for buses, separate cycle paths and rebuilt ramps. "

static void test_bag_extend(void)
{
    const char *a = OTHER_A BAG_A TAIL_A, *b = OTHER_B BAG_B TAIL_B;
    tsr_word *A, *B;
    size_t an = words(a, &A), bn = words(b, &B);
    const uint32_t a0 = word_at(A, an, strlen(OTHER_A)), b0 = word_at(B, bn, strlen(OTHER_B));
    const uint32_t same = word_at(A, an, strlen(OTHER_A BAG_SAME)) - a0;
    al_passages ps = { 0 };
    al_passage p = { .a_lo = a0, .a_hi = a0 + same, .b_lo = b0, .b_hi = b0 + same,
                     .matches = same, .similarity = 1.0 };
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(pp_align(a, A, an, b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 1);
    if (ps.n == 1) {
        const al_passage *q = &ps.a[0];
        CHECK(q->a_lo == a0 && q->b_lo == b0);
        /* to "buses" and to "ramps": the sentences' last words */
        CHECK(q->a_hi == word_at(A, an, strlen(OTHER_A BAG_A)));
        CHECK(q->b_hi == word_at(B, bn, strlen(OTHER_B BAG_B)));
        CHECK(q->matches > same && q->similarity < 1.0 && q->similarity > 0.8);
    }
    /* a passage next to it on one side is a bound (and the two are not
     * similar enough together to merge in step 9 at this min_similarity) */
    ps.n = 0;
    al_passage r = { .a_lo = a0 + same + 3, .a_hi = (uint32_t)an, .b_lo = b0 + same + 3,
                     .b_hi = (uint32_t)bn, .matches = 3, .similarity = 0.3 };
    tsr_params strict;
    tsr_params_default(&strict);
    strict.min_similarity = 0.9;
    CHECK(tsr_vec_push(&ps, p) == 0 && tsr_vec_push(&ps, r) == 0);
    CHECK(pp_align(a, A, an, b, B, bn, &strict, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 2 && ps.a[0].a_hi <= r.a_lo && ps.a[0].b_hi <= r.b_lo);
    tsr_vec_free(&ps);
    tsr_free(A);
    tsr_free(B);
}

/* Step 9 (al_merge_passages): two passages of the aligner's with a
 * reworded sentence between them, which extension takes into the first,
 * are then neighbours and merge: one reuse, one passage (two before step
 * 9).  The same two in swapped order in B, copies both, stay apart:
 * merged, they would pair text with other text. */
#define MX_S1 "The harbour authority said the container terminal would handle twice as many ships next year. "
#define MX_RA "Dockworkers fearing job losses asked the port for guarantees and for training on the new cranes. "
#define MX_RB "The port was asked for training on the new cranes and for job guarantees by dockworkers fearing losses. "
#define MX_S2 "Shipping companies welcomed the expansion and said freight rates could fall by the autumn. "

static void test_merge_after_extension(void)
{
    const char *a = OTHER_A MX_S1 MX_RA MX_S2 TAIL_A, *b = OTHER_B MX_S1 MX_RB MX_S2 TAIL_B;
    tsr_word *A, *B;
    size_t an = words(a, &A), bn = words(b, &B);
    const uint32_t a1 = word_at(A, an, strlen(OTHER_A)), b1 = word_at(B, bn, strlen(OTHER_B));
    const uint32_t a2 = word_at(A, an, strlen(OTHER_A MX_S1 MX_RA));
    const uint32_t b2 = word_at(B, bn, strlen(OTHER_B MX_S1 MX_RB));
    const uint32_t n1 = word_at(A, an, strlen(OTHER_A MX_S1)) - a1;
    const uint32_t n2 = word_at(A, an, strlen(OTHER_A MX_S1 MX_RA MX_S2)) - a2;
    al_passages ps = { 0 };
    const al_passage p1 = { .a_lo = a1, .a_hi = a1 + n1, .b_lo = b1, .b_hi = b1 + n1,
                            .matches = n1, .similarity = 1.0 };
    const al_passage p2 = { .a_lo = a2, .a_hi = a2 + n2, .b_lo = b2, .b_hi = b2 + n2,
                            .matches = n2, .similarity = 1.0 };
    CHECK(tsr_vec_push(&ps, p1) == 0 && tsr_vec_push(&ps, p2) == 0);
    CHECK(pp_align(a, A, an, b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 1);
    if (ps.n == 1) {
        const al_passage *q = &ps.a[0];
        CHECK(q->a_lo == a1 && q->a_hi == a2 + n2 && q->b_lo == b1 && q->b_hi == b2 + n2);
        CHECK(q->similarity > 0.8 && q->similarity < 1.0);
    }
    tsr_vec_free(&ps);
    tsr_free(B);

    /* B with the two copies swapped: each stays a passage of its own */
    const char *c = OTHER_B MX_S2 MX_RB MX_S1 TAIL_B;
    tsr_word *C;
    size_t cn = words(c, &C);
    const uint32_t c2 = word_at(C, cn, strlen(OTHER_B)), c1 = word_at(C, cn, strlen(OTHER_B MX_S2 MX_RB));
    const al_passage q1 = { .a_lo = a1, .a_hi = a1 + n1, .b_lo = c1, .b_hi = c1 + n1,
                            .matches = n1, .similarity = 1.0 };
    const al_passage q2 = { .a_lo = a2, .a_hi = a2 + n2, .b_lo = c2, .b_hi = c2 + n2,
                            .matches = n2, .similarity = 1.0 };
    ps = (al_passages){ 0 };
    CHECK(tsr_vec_push(&ps, q1) == 0 && tsr_vec_push(&ps, q2) == 0);
    CHECK(pp_align(a, A, an, c, C, cn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 2);
    for (size_t k = 0; k < ps.n; k++) {
        const al_passage *q = &ps.a[k];
        const int first = q->a_lo < a2;
        CHECK(q->a_lo <= (first ? a1 : a2) && q->a_hi >= (first ? a1 + n1 : a2 + n2));
        CHECK(q->b_lo <= (first ? c1 : c2) && q->b_hi >= (first ? c1 + n1 : c2 + n2));
        CHECK(q->a_hi <= (first ? a2 : (uint32_t)an) && q->b_hi <= (first ? (uint32_t)cn : c1));
    }
    tsr_vec_free(&ps);
    tsr_free(A);
    tsr_free(C);
}

/* Step 7b across a passage's ends: a rewritten passage (similarity under
 * AL_REWRITTEN_SIM) whose next sentence in A is a rewrite of the sentence
 * before it in B (a rewriter moved it) grows over both, A onwards and B
 * backwards; not a copy (similarity 1: text in another order is moved
 * text, a passage of its own), not when the two sentences hold figures
 * that differ (one template's slots filled twice), and not on two content
 * words in common. */
#define CX_SAME_A "Officials said the new bridge across the river will open in June with wider lanes. "
#define CX_SAME_B "Officials said that the new bridge over the river would open in June with wider lanes. "
#define CX_XA "On Monday the old railway viaduct had %s cracked pillars inspected by engineers. "
#define CX_XB "Engineers inspected %s cracked pillars of the old railway viaduct on Monday. "
/* two content words in common only: too little for text moved (fa, fb NULL) */
#define CX_XA2 "Critics blamed engineers for pillars.%s "
#define CX_XB2 "Engineers inspected pillars carefully.%s "

static void crossed_case(const char *fa, const char *fb, double sim, int grows)
{
    char xa[160], xb[160], a[1024], b[1024];
    snprintf(xa, sizeof xa, fa ? CX_XA : CX_XA2, fa ? fa : "");
    snprintf(xb, sizeof xb, fb ? CX_XB : CX_XB2, fb ? fb : "");
    snprintf(a, sizeof a, "%s%s%s%s", OTHER_A, CX_SAME_A, xa, TAIL_A);
    snprintf(b, sizeof b, "%s%s%s%s", OTHER_B, xb, CX_SAME_B, TAIL_B);
    tsr_word *A, *B;
    size_t an = words(a, &A), bn = words(b, &B);
    const uint32_t a0 = word_at(A, an, strlen(OTHER_A));
    const uint32_t a1 = word_at(A, an, strlen(OTHER_A CX_SAME_A));
    const uint32_t a2 = word_at(A, an, strlen(OTHER_A CX_SAME_A) + strlen(xa));
    const uint32_t b0 = word_at(B, bn, strlen(OTHER_B));
    const uint32_t b1 = word_at(B, bn, strlen(OTHER_B) + strlen(xb));
    const uint32_t b2 = word_at(B, bn, strlen(OTHER_B) + strlen(xb) + strlen(CX_SAME_B));
    al_passages ps = { 0 };
    const al_passage p = { .a_lo = a0, .a_hi = a1, .b_lo = b1, .b_hi = b2,
                           .matches = 14, .similarity = sim };
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(pp_align(a, A, an, b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 1);
    if (ps.n == 1) {
        const al_passage *q = &ps.a[0];
        CHECK(q->a_lo == a0 && q->b_hi == b2);
        if (grows) {   /* to "engineers" in A, from "Engineers" in B */
            CHECK(q->a_hi == a2 && q->b_lo == b0);
            CHECK(q->matches > 14);
        } else {
            CHECK(q->a_hi == a1 && q->b_lo == b1);
        }
    }
    tsr_vec_free(&ps);
    tsr_free(A);
    tsr_free(B);
}

static void test_bag_extend_crossed(void)
{
    crossed_case("12", "12", 0.9, 1);   /* a rewrite, figures agree */
    crossed_case("", "", 0.9, 1);       /* no figures */
    crossed_case("12", "12", 1.0, 0);   /* a copy: moved text stays apart */
    crossed_case("19", "12", 0.9, 0);   /* other figures: a look-alike */
    crossed_case(NULL, NULL, 0.9, 0);   /* two words in common */
}

/* Step 7b weighs words by their terms' weights in the pair: words that
 * every sentence of both texts holds (a language without a stop list:
 * here "zu" and "ka") weigh nothing, so two unrelated sentences after a
 * passage that share only those are not taken into it (unweighted, two
 * shared words of three on each side passed: the round trips' made-up
 * language showed it, seeds 1 and 7). */
static void test_bag_extend_frequent(void)
{
    const char *a = "zu ka morvel tasine pli. zu ka doruve sinta felamo kortu wensi laroma "
                    "ostine. zu ka pelmo grista vunelo. zu ka hapsi trilo.";
    const char *b = "zu ka quendi brasol mu. zu ka doruve sinta felamo kortu wensi laroma "
                    "ostine. zu ka jorvat selemi ulpra. zu ka bintra okselo.";
    tsr_word *A, *B;
    size_t an = words(a, &A), bn = words(b, &B);
    const uint32_t a0 = word_at(A, an, strlen("zu ka morvel tasine pli. ")),
                   b0 = word_at(B, bn, strlen("zu ka quendi brasol mu. "));
    al_passages ps = { 0 };
    al_passage p = { .a_lo = a0, .a_hi = a0 + 9, .b_lo = b0, .b_hi = b0 + 9, .matches = 9,
                     .similarity = 1.0 };
    CHECK(tsr_vec_push(&ps, p) == 0);
    CHECK(pp_align(a, A, an, b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 1 && ps.a[0].a_lo == a0 && ps.a[0].a_hi == a0 + 9 && ps.a[0].b_lo == b0 &&
          ps.a[0].b_hi == b0 + 9);
    tsr_vec_free(&ps);
    tsr_free(A);
    tsr_free(B);
}

/* Step 8 (pp_summary): three sentences condensing, in order, a source
 * three times as long: one passage of kind summary, from the summary's first
 * word to its last, and over the source's stretch from the first sentence
 * matched to the last.  The same summary against a text on other subjects:
 * nothing. */
#define SUM_SRC "The weather station opened in 1950 on the hill above the town. " \
    "Glaciers in the northern valley retreated rapidly during the last century. " \
    "Scientists measured the ice thickness with radar from small aircraft. " \
    "The flights took place each autumn when the snow cover was thin. " \
    "Their surveys showed the glaciers losing almost a metre of ice every year. " \
    "The losses were largest on the lower slopes facing south. " \
    "Meltwater from the glaciers feeds the rivers that farmers use for irrigation. " \
    "Orchards and barley fields depend on that water in July and August. " \
    "In dry summers the rivers now shrink before the harvest is finished. " \
    "Several villages have built reservoirs to store water from the spring floods. " \
    "The largest reservoir holds enough water for two weeks of irrigation. " \
    "The regional government promised money for new canals and pumps. " \
    "Engineers drew up plans for a canal along the eastern side of the valley. " \
    "Critics argue the canals will not help once the glaciers are gone. " \
    "They want the government to plan for a future without meltwater. "
#define SUM_TEXT "Radar surveys from aircraft show the northern glaciers retreating and " \
    "losing a metre of ice yearly. Farmers irrigating with glacier meltwater see the rivers " \
    "shrinking in dry summers, and villages are building reservoirs. Government money for " \
    "canals and pumps will not help, critics argue, without a plan for the meltwater gone. "

static void test_summary(void)
{
    const char *a = OTHER_A SUM_TEXT TAIL_A, *b = SUM_SRC TAIL_B;
    tsr_word *A, *B;
    size_t an = words(a, &A), bn = words(b, &B);
    al_passages ps = { 0 };
    CHECK(pp_align(a, A, an, b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 1);
    if (ps.n == 1) {
        const al_passage *p = &ps.a[0];
        CHECK(p->kind == TSR_KIND_SUMMARY);
        CHECK(p->a_lo == word_at(A, an, strlen(OTHER_A)));
        CHECK(p->a_hi == word_at(A, an, strlen(OTHER_A SUM_TEXT)));
        /* from a sentence of the radar surveys to the critics' one or the last */
        const char *surveys = strstr(SUM_SRC, "Their surveys");
        CHECK(p->b_lo >= word_at(B, bn, strlen("The weather station opened in 1950 on the hill"
                                                  " above the town. ")));
        CHECK(p->b_lo <= word_at(B, bn, (size_t)(surveys - SUM_SRC)));
        CHECK(p->b_hi >= word_at(B, bn, strlen(SUM_SRC)) - 20);
        CHECK(p->b_hi <= word_at(B, bn, strlen(SUM_SRC)));
        CHECK(p->b_hi - p->b_lo >= 2 * (p->a_hi - p->a_lo));
    }
    ps.n = 0;
    tsr_word *C;
    const char *c = OTHER_B SOURCE TAIL_B;
    size_t cn = words(c, &C);
    CHECK(pp_align(a, A, an, c, C, cn, NULL, NULL, &ps, NULL) == TSR_OK && ps.n == 0);
    tsr_result *r = NULL;
    CHECK(tsr_align(a, strlen(a), b, strlen(b), NULL, &r, NULL) == TSR_OK);
    CHECK(r && r->n_passages == 1 && r->passages[0].kind == TSR_KIND_SUMMARY);
    char *j = r ? tsr_result_json(r, 0) : NULL;
    CHECK(j && strstr(j, "\"kind\":\"summary\""));
    tsr_free(j);
    tsr_result_free(r);
    tsr_vec_free(&ps);
    tsr_free(A);
    tsr_free(B);
    tsr_free(C);
}

/* Step 8, a summary with a copied sentence: sentences that the aligner's
 * passages hold count as matched where the passages map them, and a run
 * is no summary only when more than half of its sentences are copies.  Here
 * the middle one of three is copied word for word (a verbatim passage, as
 * the aligner reports it), and a fourth, copied from inside the stretch the
 * three condense but out of their order, follows: one passage of kind
 * summary over all four.  Before, the copy vetoed the summary and three or
 * four passages were left (PAN summaries 0.438 -> 0.533, EVAL.md). */
#define SUM_COPY "Several villages have built reservoirs to store water from the spring floods. "
#define SUM_NEXT "Orchards and barley fields depend on that water in July and August. "
#define SUM_TEXT_COPY "Radar surveys from aircraft show the northern glaciers retreating and " \
    "losing a metre of ice yearly. " SUM_COPY "Government money for " \
    "canals and pumps will not help, critics argue, without a plan for the meltwater gone. " \
    SUM_NEXT

/* The passage the aligner reports for `piece`, copied word for word from b
 * into a (its first occurrence in each). */
static al_passage verbatim_at(const char *a, const tsr_word *A, size_t an, const char *b,
                              const tsr_word *B, size_t bn, const char *piece)
{
    const size_t at_a = (size_t)(strstr(a, piece) - a), at_b = (size_t)(strstr(b, piece) - b);
    al_passage p = { .a_lo = word_at(A, an, at_a), .a_hi = word_at(A, an, at_a + strlen(piece)),
                     .b_lo = word_at(B, bn, at_b), .b_hi = word_at(B, bn, at_b + strlen(piece)),
                     .similarity = 1.0, .kind = TSR_KIND_VERBATIM };
    p.matches = p.a_hi - p.a_lo;
    return p;
}

static void test_summary_with_copies(void)
{
    const char *a = OTHER_A SUM_TEXT_COPY TAIL_A, *b = SUM_SRC TAIL_B;
    tsr_word *A, *B;
    size_t an = words(a, &A), bn = words(b, &B);
    al_passages ps = { 0 };
    const al_passage copy = verbatim_at(a, A, an, b, B, bn, SUM_COPY);
    const al_passage next = verbatim_at(a, A, an, b, B, bn, SUM_NEXT);
    CHECK(tsr_vec_push(&ps, copy) == 0 && tsr_vec_push(&ps, next) == 0);
    CHECK(pp_align(a, A, an, b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    CHECK(ps.n == 1);
    if (ps.n == 1) {
        const al_passage *p = &ps.a[0];
        CHECK(p->kind == TSR_KIND_SUMMARY);
        CHECK(p->a_lo == word_at(A, an, strlen(OTHER_A)));
        CHECK(p->a_hi == word_at(A, an, strlen(OTHER_A SUM_TEXT_COPY)));
        CHECK(p->b_lo <= copy.b_lo && p->b_hi >= copy.b_hi);
        CHECK(p->b_lo <= next.b_lo && p->b_hi >= next.b_hi);
    }
    tsr_vec_free(&ps);
    tsr_free(A);
    tsr_free(B);
}

/* Step 8's hole rule: the same source with another story of four sentences
 * (sharing no term with the summary) in its middle: no passage claims
 * that the summary condenses a stretch holding it. */
#define SUM_HOLE "The choir sang in the cathedral on Sunday morning. " \
    "Its conductor chose hymns by Bach and Handel. " \
    "Tickets cost five euros at the door. " \
    "Many tourists attended the concert with their children. "

static void test_summary_hole(void)
{
    const char *split = strstr(SUM_SRC, "Several villages");
    char b[4096];
    snprintf(b, sizeof b, "%.*s%s%s%s", (int)(split - SUM_SRC), SUM_SRC, SUM_HOLE, split,
             TAIL_B);
    const char *a = OTHER_A SUM_TEXT TAIL_A;
    tsr_word *A, *B;
    size_t an = words(a, &A), bn = words(b, &B);
    const uint32_t h0 = word_at(B, bn, (size_t)(split - SUM_SRC));
    const uint32_t h1 = word_at(B, bn, (size_t)(split - SUM_SRC) + strlen(SUM_HOLE));
    al_passages ps = { 0 };
    CHECK(pp_align(a, A, an, b, B, bn, NULL, NULL, &ps, NULL) == TSR_OK);
    for (size_t x = 0; x < ps.n; x++)
        CHECK(!(ps.a[x].b_lo <= h0 && ps.a[x].b_hi >= h1));
    tsr_vec_free(&ps);
    tsr_free(A);
    tsr_free(B);
}

/* A long text without marks: bounded work (windows), no passage from noise. */
static void test_long_unmarked(void)
{
    const size_t nw = 200000;
    char *s = malloc(nw * 8 + 1);
    size_t len = 0;
    unsigned x = 1;
    for (size_t i = 0; i < nw; i++) {
        x = x * 1103515245u + 12345u;
        len += (size_t)sprintf(s + len, "w%u ", (x >> 16) % 5000);
    }
    tsr_word *w;
    size_t n = words(s, &w);
    al_passages ps = { 0 };
    CHECK(n == nw);
    CHECK(pp_align(s, w, n, OTHER_B SOURCE, w, 0, NULL, NULL, &ps, NULL) == TSR_OK && ps.n == 0);
    tsr_vec_free(&ps);
    tsr_free(w);
    free(s);
}

/* ---- ruling pairs out (pp_may_pair) ------------------------------------ */

static uint32_t rnd(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*rng >> 33);
}

/* b made from a's words: each replaced by a word of vocabulary v at
 * `rate` percent, neighbours swapped at random; in mode 1 each sentence
 * followed by an unrelated one of 10-30 words (a is then a summary of
 * b), in mode 2 b is unrelated text.  The caller frees it. */
static char *gen_rewrite(uint64_t *rng, const char *a, unsigned rate, unsigned v, int mode)
{
    if (mode == 2) return gen_text(rng, 40 + rnd(rng) % 400, v);
    char *b = malloc(strlen(a) * 40 + 64), *o = b;
    const char *p = a;
    char prev[64] = "";
    while (*p) {
        size_t k = strcspn(p, " .");
        char word[64];
        snprintf(word, sizeof word, "%.*s", (int)(k < 60 ? k : 60), p);
        if (rnd(rng) % 100 < rate) snprintf(word, sizeof word, "w%u", rnd(rng) % v);
        const int stop = p[k] == '.';
        if (*prev && rnd(rng) % 4 == 0) {   /* swap with the one before */
            o += sprintf(o, "%s %s", word, prev);
            *prev = 0;
        } else {
            if (*prev) o += sprintf(o, "%s ", prev);
            snprintf(prev, sizeof prev, "%s", word);
        }
        if (stop) {
            if (*prev) o += sprintf(o, "%s", prev);
            *prev = 0;
            o += sprintf(o, ". ");
            if (mode == 1) {
                char *x = gen_text(rng, 10 + rnd(rng) % 21, v);
                o += sprintf(o, "%s ", x);
                free(x);
            }
        } else if (o > b && o[-1] != ' ') {
            *o++ = ' ';
        }
        p += k;
        while (*p == ' ' || *p == '.') p++;
    }
    if (*prev) o += sprintf(o, "%s", prev);
    *o = 0;
    return b;
}

/* pp_may_pair is necessary: over generated pairs (rewrites at every rate,
 * summaries, unrelated texts on small vocabularies), whenever the stage
 * finds a passage in a pair without the aligner's, pp_may_pair said it
 * may; and it rules out most of the others (else it would save little). */
static void test_may_pair(void)
{
    uint64_t rng = 2026;
    al_work *wk = al_work_new();
    size_t found = 0, ruled_out = 0, missed = 0, pairs = 0;
    for (int round = 0; round < 3000; round++) {
        const unsigned v = 20 + rnd(&rng) % 400, rate = rnd(&rng) % 101;
        const int mode = (int)(rnd(&rng) % 3);
        char *a = gen_text(&rng, 20 + rnd(&rng) % 300, v);
        char *b = gen_rewrite(&rng, a, rate, v, mode);
        tsr_word *A, *B;
        const size_t an = words(a, &A), bn = words(b, &B);
        pp_text ta, tb;
        uint64_t *term = malloc((bn + 1) * sizeof *term);
        unsigned char *cut = malloc(bn + 1);
        al_passages ps = { 0 };
        if (pp_text_init(&ta, a, A, an, NULL) == TSR_OK &&
            pp_text_init(&tb, b, B, bn, NULL) == TSR_OK && pp_marks(b, B, bn, term, cut) == 0 &&
            pp_align_texts(&ta, &tb, A, an, B, bn, NULL, wk, &ps, NULL) == TSR_OK) {
            const int may = pp_may_pair(&ta, A, B, term, cut, bn);
            pairs++;
            found += ps.n > 0;
            ruled_out += may == 0;
            missed += ps.n > 0 && may != 1;
            pp_text_free(&tb);
        }
        pp_text_free(&ta);
        tsr_vec_free(&ps);
        free(term);
        free(cut);
        tsr_free(A);
        tsr_free(B);
        free(a);
        free(b);
    }
    CHECK(pairs == 3000);
    CHECK(missed == 0);            /* never rules out a pair with a passage */
    CHECK(found >= 300);            /* the property was put to the test */
    /* and the test rules pairs out: 1,558 of them, 1,177 before seeds were
     * counted (pp_two_seeds) */
    CHECK(ruled_out >= 1500);
    if (missed || found < 300 || ruled_out < 1500 || getenv("MAYSTAT"))
        fprintf(stderr, "  may_pair: %zu pairs, %zu with passages, %zu ruled out, %zu missed\n",
                pairs, found, ruled_out, missed);
    al_work_free(wk);

    /* the fixtures: a rewrite and a summary may; texts on other subjects
     * are ruled out */
    const char *sa = OTHER_A SUM_TEXT TAIL_A, *sb = SUM_SRC TAIL_B;
    const char *oa = OTHER_A TAIL_A, *ob = OTHER_B TAIL_B;
    const char *const pairs_ab[3][2] = { { text_a, text_b }, { sa, sb }, { oa, ob } };
    for (int k = 0; k < 3; k++) {
        tsr_word *A, *B;
        const size_t an = words(pairs_ab[k][0], &A), bn = words(pairs_ab[k][1], &B);
        pp_text ta;
        uint64_t *term = malloc(bn * sizeof *term);
        unsigned char *cut = malloc(bn);
        CHECK(pp_text_init(&ta, pairs_ab[k][0], A, an, NULL) == TSR_OK &&
              pp_marks(pairs_ab[k][1], B, bn, term, cut) == 0);
        CHECK(pp_may_pair(&ta, A, B, term, cut, bn) == (k < 2));
        pp_text_free(&ta);
        free(term);
        free(cut);
        tsr_free(A);
        tsr_free(B);
    }
}

int main(void)
{
    RUN(test_sentences);
    RUN(test_windows);
    RUN(test_terms);
    RUN(test_weigh);
    RUN(test_terms_sorted);
    RUN(test_weigh_pairs);
    RUN(test_passage);
    RUN(test_tsr_align);
    RUN(test_kind);
    RUN(test_extend);
    RUN(test_bag_extend);
    RUN(test_bag_extend_frequent);
    RUN(test_merge_after_extension);
    RUN(test_bag_extend_crossed);
    RUN(test_summary);
    RUN(test_summary_with_copies);
    RUN(test_summary_hole);
    RUN(test_long_unmarked);
    RUN(test_may_pair);
    return test_report();
}
