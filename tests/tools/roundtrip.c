/*
 * roundtrip.c - the seeded round-trip tester (after zstd tests/fuzzer.c):
 * plant passages, build an index, query it, check that every planted
 * passage is found where it was planted.  Uses only the public API.
 *
 *   roundtrip SEED COUNT [--docs N] [--only Q] [--tolerance W] [--spun] [--ocr]
 *             [--rewrites] [--paraphrase] [--keep] [-v]
 *
 * How it works.  From SEED it generates a vocabulary of made-up words with a
 * Zipf-like frequency law (a few short words are very common, most are rare,
 * as in natural language), then a corpus of N documents (default 250) of
 * sentences drawn from it, and indexes the corpus into a temporary
 * directory.  It then writes COUNT query texts.  Each query mixes filler
 * (fresh random sentences from the same vocabulary: language-like text that
 * was copied from nowhere) with 2-4 passages copied from distinct documents,
 * each passage of one kind:
 *
 *   verbatim   15-80 words copied as they are
 *   reworded   30-80 words with 10-15% of the words edited: adjacent words
 *              swapped, words inserted, deleted or substituted (the first
 *              and last two words are kept, so the boundaries are defined)
 *   reordered  45-80 words cut into 3-4 chunks of 15+ words, shuffled
 *   spun       (--spun, --rewrites) 40-80 words of which 30-40% are replaced
 *              by their synonym in a fixed thesaurus (an article spinner's
 *              output; the first two and last three words kept)
 *   paraphrase (--rewrites) 40-80 words, a fifth of the inner ones replaced
 *              by their synonym, then a quarter of the inner positions
 *              swapped with the next word: words and their order changed
 *
 * and every fifth query is filler only ("unrelated").  Each query goes
 * through tsr_index_check.  The planted spans are known in words on both
 * sides; a reported passage's byte offsets are turned into word offsets
 * (with tsr_tokenize) and compared:
 *
 *   ocr        (--ocr) 40-80 words read as OCR reads a scanned page: 15% of
 *              the words with a letter misread, split by a space or by a
 *              hyphen at a line's end, or run into the next word
 *
 *   verbatim, reworded, spun, ocr, paraphrase: some passage from the right
 *     source document has both ends, on both sides, within --tolerance
 *     words (default 5); with --rewrites, a spun or paraphrased passage
 *     that the check reports no passage of its source for at all (its
 *     source was no candidate: few word n-grams survive such rewriting)
 *     is found so by tsr_align on its (query, source) pair instead;
 *   reordered: each run of chunks that kept its order is covered, on both
 *     sides, within the tolerance, by a passage from the right source (an
 *     aligner may legitimately bridge a moved chunk as a gap);
 *   unrelated: no passage at all;
 *   and no passage anywhere may lie outside the planted spans or name a
 *     source that was not planted there (a false positive).
 *
 * The first planted passage of every query is also checked with tsr_align
 * on the (query, source) pair, and unrelated queries are aligned with a
 * random document (no passage allowed).
 *
 * Every random choice derives from SEED (the corpus) and SEED + query
 * number (each query), so a failure replays exactly: the failure message
 * prints the command, and --only Q re-runs just query Q.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera.h"

#define SYNTH_PROG "roundtrip"
#include "synth.h"

/* ---- the corpus ------------------------------------------------------------- */

typedef struct {
    char id[32];
    textb t;
} doc;

static doc *docs;
static int ndocs;

/* ---- planted passages -------------------------------------------------------- */

enum { K_VERBATIM, K_REWORDED, K_REORDERED, K_SPUN, K_OCR, K_PARA, K_UNRELATED, K_ALIGN,
       K_CACHE, K_NKINDS };
static const char *kind_name[K_NKINDS] = {
    "verbatim", "reworded", "reordered", "spun", "ocr", "paraphrase", "unrelated",
    "align-pairs", "cached"
};

/* OCR noise: word `id` written as an OCR engine might read it off a scanned
 * page, as one or two tokens (each pushed as a word of its own, id -1, so
 * that the plan's word positions stay the tokenizer's): 0 a letter misread
 * (one of "rnlioe" for another), 1 the word split by a space, 2 split by a
 * hyphen at the end of a line ("exam-\nple"), 3 run into the next word
 * (`next`, written too; returns 2 for the two source words it used). */
static void tb_token(textb *t, const char *s, size_t n, const char *sep)
{
    sb_put(&t->text, sep, strlen(sep));
    iv_push(&t->words, -1);
    iv_push(&t->wbegin, (int)t->text.len);
    sb_put(&t->text, s, n);
}

static int tb_ocr(textb *t, rng *r, int id, int next, int mode)
{
    const char *w = vocab[id];
    const size_t n = strlen(w);
    char buf[80];
    if (n < 4 && mode != 3) mode = 0;
    switch (mode) {
    case 0: {
        static const char misread[] = "rnlioe";
        memcpy(buf, w, n);
        size_t at = 1 + rng_next(r) % (n > 2 ? n - 2 : 1);
        char c = misread[rng_next(r) % 6];
        buf[at] = c == buf[at] ? 'x' : c;
        tb_token(t, buf, n, t->words.n ? " " : "");
        return 1;
    }
    case 1: case 2: {
        size_t cut = 2 + rng_next(r) % (n - 3);
        tb_token(t, w, cut, t->words.n ? " " : "");
        tb_token(t, w + cut, n - cut, mode == 1 ? " " : "-\n");
        return 1;
    }
    default: {
        const char *v = vocab[next];
        memcpy(buf, w, n);
        memcpy(buf + n, v, strlen(v));
        tb_token(t, buf, n + strlen(v), t->words.n ? " " : "");
        return 2;
    }
    }
}

/* The spinner's thesaurus: every word has one "synonym", a word of about
 * the same frequency (its neighbour in rank), as article spinners swap
 * words for thesaurus entries. */
static int synonym(int id) { return id ^ 1; }

/* One unit to find: words [a0,a1) of the query came from words [b0,b1) of
 * document `doc`.  `cover` relaxes the test (see the top comment). */
typedef struct {
    int kind, doc, cover;
    int a0, a1, b0, b1;
    int passage; /* planted passage number, for the message */
    int pa0, pa1, pb0, pb1; /* the whole planted passage (reordered) */
} unit;

typedef struct {
    textb t;
    unit *u;
    int nu;
    int kinds[4];        /* the kinds planted, for the unrelated case */
    int unrelated;
} query;

static void q_unit(query *q, int kind, int d, int cover, int a0, int a1, int b0, int b1,
                   int pno)
{
    q->u = xrealloc(q->u, (size_t)(q->nu + 1) * sizeof *q->u);
    unit *u = &q->u[q->nu++];
    memset(u, 0, sizeof *u);
    u->kind = kind; u->doc = d; u->cover = cover;
    u->a0 = a0; u->a1 = a1; u->b0 = b0; u->b1 = b1;
    u->passage = pno;
}

/* Plant one passage of `kind` from document d into q. */
static void plant(query *q, rng *r, int kind, int d, int pno)
{
    const doc *src = &docs[d];
    int dn = (int)src->t.words.n;
    textb *t = &q->t;
    if (kind == K_VERBATIM) {
        int len = rng_range(r, 15, 80);
        if (len > dn) len = dn;
        int s = rng_range(r, 0, dn - len);
        int a0 = (int)t->words.n;
        for (int i = 0; i < len; i++) tb_word(t, r, src->t.words.v[s + i]);
        q_unit(q, kind, d, 0, a0, (int)t->words.n, s, s + len, pno);
    } else if (kind == K_REWORDED) {
        int len = rng_range(r, 30, 80);
        if (len > dn) len = dn;
        int s = rng_range(r, 0, dn - len);
        double rate = 0.10 + 0.05 * rng_unit(r);
        int a0 = (int)t->words.n;
        tb_reword(t, r, src->t.words.v + s, len, rate);
        q_unit(q, kind, d, 0, a0, (int)t->words.n, s, s + len, pno);
    } else if (kind == K_SPUN) {
        int len = rng_range(r, 40, 80);
        if (len > dn) len = dn;
        int s = rng_range(r, 0, dn - len);
        double rate = 0.30 + 0.10 * rng_unit(r);
        int a0 = (int)t->words.n;
        const int *w = src->t.words.v + s;
        for (int i = 0; i < len; i++) {
            int inner = i >= 2 && i < len - 3;
            tb_word(t, r, inner && rng_unit(r) < rate ? synonym(w[i]) : w[i]);
        }
        q_unit(q, kind, d, 0, a0, (int)t->words.n, s, s + len, pno);
    } else if (kind == K_PARA) {
        /* a rewrite: a fifth of the inner words for their synonym, then a
         * quarter of the inner positions swapped with the next word */
        int len = rng_range(r, 40, 80);
        if (len > dn) len = dn;
        int s = rng_range(r, 0, dn - len);
        int *w = xmalloc((size_t)len * sizeof *w);
        for (int i = 0; i < len; i++) {
            const int inner = i >= 2 && i < len - 3;
            w[i] = inner && rng_unit(r) < 0.2 ? synonym(src->t.words.v[s + i])
                                               : src->t.words.v[s + i];
        }
        for (int i = 2; i + 1 < len - 3; i++)
            if (rng_unit(r) < 0.25) {
                const int x = w[i];
                w[i] = w[i + 1];
                w[i + 1] = x;
                i++;
            }
        int a0 = (int)t->words.n;
        for (int i = 0; i < len; i++) tb_word(t, r, w[i]);
        free(w);
        q_unit(q, kind, d, 0, a0, (int)t->words.n, s, s + len, pno);
    } else if (kind == K_OCR) {
        int len = rng_range(r, 40, 80);
        if (len > dn) len = dn;
        int s = rng_range(r, 0, dn - len);
        int a0 = (int)t->words.n;
        const int *w = src->t.words.v + s;
        for (int i = 0; i < len;) {
            int inner = i >= 3 && i < len - 4;   /* clean ends: the boundaries */
            if (!inner || rng_unit(r) >= 0.15) { tb_word(t, r, w[i]); i++; continue; }
            i += tb_ocr(t, r, w[i], w[i + 1], (int)(rng_next(r) % 4));
        }
        t->sentence_left = 0;   /* the next word starts a sentence, as after tb_word */
        q_unit(q, kind, d, 0, a0, (int)t->words.n, s, s + len, pno);
    } else { /* K_REORDERED */
        int len = rng_range(r, 45, 80);
        if (len > dn) len = dn;
        int s = rng_range(r, 0, dn - len);
        int cut[5], perm[4];
        const int k = tb_chunks(r, len, cut, perm);
        int run_a0 = -1, run_b0 = -1, prev = -2;
        const int a0 = (int)t->words.n;
        for (int c = 0; c < k; c++) {
            int ch = perm[c];
            if (ch != prev + 1) {
                if (run_a0 >= 0)
                    q_unit(q, kind, d, 1, run_a0, (int)t->words.n, run_b0,
                                      s + cut[prev + 1], pno);
                run_a0 = (int)t->words.n;
                run_b0 = s + cut[ch];
            }
            for (int i = cut[ch]; i < cut[ch + 1]; i++) tb_word(t, r, src->t.words.v[s + i]);
            prev = ch;
        }
        q_unit(q, kind, d, 1, run_a0, (int)t->words.n, run_b0, s + cut[prev + 1], pno);
        for (int i = q->nu - 1; i >= 0 && q->u[i].passage == pno; i--) {
            q->u[i].pa0 = a0;
            q->u[i].pa1 = (int)t->words.n;
            q->u[i].pb0 = s;
            q->u[i].pb1 = s + len;
        }
    }
}

/* --spun: plant spun passages too, each to be found by the check (a
 * measurement, not in make test: tsr_index_check finds 72-90% of them, the
 * misses with no candidate; tsr_align 98-100%). */
static int spun;
/* --ocr: half the reordered passages become OCR'd ones (same measurement). */
static int ocr;
/* --rewrites: spun and paraphrased passages (word order changed too) among
 * the others, each of which tsr_align must find on its (query, source)
 * pair; tsr_index_check must find them where it finds a passage of their
 * source at all (a miss with no passage of the source is counted apart:
 * few word n-grams survive such rewriting to make the source a candidate) */
static int rewrites;

static void query_make(query *q, uint64_t seed, int qno)
{
    memset(q, 0, sizeof *q);
    rng r = { seed * 0x100000001B3ull + (uint64_t)qno * 0x9E3779B1ull + 99 };
    if (qno % 5 == 4) {
        q->unrelated = 1;
        tb_filler(&q->t, &r, rng_range(&r, 100, 300));
        tb_finish(&q->t);
        return;
    }
    int np = rng_range(&r, 2, 4);
    int used[4];
    tb_filler(&q->t, &r, rng_range(&r, 5, 40));
    for (int p = 0; p < np; p++) {
        int d;
        int again;
        do {
            d = rng_range(&r, 0, ndocs - 1);
            again = 0;
            for (int j = 0; j < p; j++) again |= used[j] == d;
        } while (again);
        used[p] = d;
        int kind = (int)(rng_next(&r) % (spun || rewrites ? 4 : 3));
        if (rewrites && kind == K_SPUN && rng_next(&r) % 2) kind = K_PARA;
        if (ocr && kind == K_REORDERED && rng_next(&r) % 2) kind = K_OCR;
        q->kinds[p] = kind;
        plant(q, &r, kind, d, p);
        /* filler of 15+ words between passages: more than the reach of a
         * seed chain across unrelated text, less than max_gap */
        tb_filler(&q->t, &r, rng_range(&r, 15, 40));
    }
    tb_finish(&q->t);
}

/* ---- comparing results with the plan ----------------------------------------- */

static int tolerance = 5;
static int verbose;
/* --paraphrase: checks run the sentence stage too (TSR_PARAPHRASE_ALL), as
 * tsr_align always does */
static int paraphrase;

/* Word span [w0,w1) of the byte span [b,e) of a text whose words begin at
 * wb[] and end at we[]: w0 = first word starting at or after b, w1 = words
 * ending at or before e. */
static void word_span(const tsr_word *w, size_t n, size_t b, size_t e, int *w0, int *w1)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { size_t m = (lo + hi) / 2; if (w[m].begin < b) lo = m + 1; else hi = m; }
    *w0 = (int)lo;
    lo = 0; hi = n;
    while (lo < hi) { size_t m = (lo + hi) / 2; if (w[m].end <= e) lo = m + 1; else hi = m; }
    *w1 = (int)lo;
}

static int iabs(int x) { return x < 0 ? -x : x; }

/* A passage in word coordinates. */
typedef struct { int doc, a0, a1, b0, b1; } wpass;

static int unit_found(const unit *u, const wpass *p, size_t np)
{
    for (size_t i = 0; i < np; i++) {
        const wpass *x = &p[i];
        if (x->doc != u->doc) continue;
        if (u->cover) {
            /* covers the run, and stays inside the whole planted passage */
            if (x->a0 <= u->a0 + tolerance && x->a1 >= u->a1 - tolerance &&
                x->b0 <= u->b0 + tolerance && x->b1 >= u->b1 - tolerance &&
                x->a0 >= u->pa0 - tolerance && x->a1 <= u->pa1 + tolerance &&
                x->b0 >= u->pb0 - tolerance && x->b1 <= u->pb1 + tolerance)
                return 1;
        } else if (iabs(x->a0 - u->a0) <= tolerance && iabs(x->a1 - u->a1) <= tolerance &&
                   iabs(x->b0 - u->b0) <= tolerance && iabs(x->b1 - u->b1) <= tolerance) {
            return 1;
        }
    }
    return 0;
}

/* Does a passage of the unit's document overlap it on the query side? */
static int unit_touched(const unit *u, const wpass *p, size_t np)
{
    for (size_t i = 0; i < np; i++)
        if (p[i].doc == u->doc && p[i].a0 < u->a1 && u->a0 < p[i].a1) return 1;
    return 0;
}

/* Why a unit was not found, for the failure message: "missed" when no
 * passage of the right document overlaps it, else the ends of the passage
 * that overlaps it most and how far off they are. */
static void explain_miss(const unit *u, const wpass *p, size_t np, char *buf, size_t n)
{
    int best = -1, best_ov = 0;
    for (size_t i = 0; i < np; i++) {
        if (p[i].doc != u->doc) continue;
        int lo = p[i].a0 > u->a0 ? p[i].a0 : u->a0, hi = p[i].a1 < u->a1 ? p[i].a1 : u->a1;
        if (hi - lo > best_ov) { best_ov = hi - lo; best = (int)i; }
    }
    if (best < 0) { snprintf(buf, n, "missed: no passage from rt-%05d overlaps it", u->doc); return; }
    const wpass *x = &p[best];
    snprintf(buf, n, "boundaries off: reported query [%d,%d) source [%d,%d), ends off by "
             "query %+d/%+d, source %+d/%+d words", x->a0, x->a1, x->b0, x->b1,
             x->a0 - u->a0, x->a1 - u->a1, x->b0 - u->b0, x->b1 - u->b1);
}

/* Is passage x explained by some planted unit (same document, overlapping
 * the planted span on the query side)? */
static int passage_planted(const wpass *x, const query *q)
{
    for (int i = 0; i < q->nu; i++) {
        const unit *u = &q->u[i];
        if (u->doc == x->doc && x->a0 < u->a1 && u->a0 < x->a1) return 1;
    }
    return 0;
}

static int doc_of_id(const char *id)
{
    if (!id || strncmp(id, "rt-", 3) != 0) return -1;
    int d = atoi(id + 3);
    return d >= 0 && d < ndocs && !strcmp(docs[d].id, id) ? d : -1;
}

/* Convert a result into word-coordinate passages.  `fixed_doc` >= 0 for
 * tsr_align results (one source, no id). */
static wpass *result_words(const tsr_result *res, const tsr_word *qw, size_t nqw,
                           int fixed_doc, tsr_word **dw, size_t *ndw)
{
    wpass *p = xmalloc(res->n_passages * sizeof *p);
    for (size_t i = 0; i < res->n_passages; i++) {
        const tsr_passage *x = &res->passages[i];
        int d = fixed_doc;
        if (d < 0 && x->source < res->n_sources) d = doc_of_id(res->sources[x->source].id);
        p[i].doc = d;
        word_span(qw, nqw, x->a_begin, x->a_end, &p[i].a0, &p[i].a1);
        if (d >= 0)
            word_span(dw[d], ndw[d], x->b_begin, x->b_end, &p[i].b0, &p[i].b1);
        else
            p[i].b0 = p[i].b1 = -1;
    }
    return p;
}

/* With -v, the words of a span, to judge a boundary by eye. */
static void print_words(const char *label, const textb *t, int w0, int w1)
{
    if (w0 < 0) w0 = 0;
    if (w1 > (int)t->words.n) w1 = (int)t->words.n;
    fprintf(stderr, "      %s [%d,%d):", label, w0, w1);
    for (int i = w0; i < w1; i++) fprintf(stderr, " %s", vocab[t->words.v[i]]);
    fputc('\n', stderr);
}

static void print_passages(const char *what, const wpass *p, size_t n)
{
    fprintf(stderr, "    %s: %zu passage(s)\n", what, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "      doc %d (rt-%05d)  query words [%d,%d)  source words [%d,%d)\n",
                p[i].doc, p[i].doc, p[i].a0, p[i].a1, p[i].b0, p[i].b1);
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(void)
{
    fputs("usage: roundtrip SEED COUNT [--docs N] [--only Q] [--tolerance W] [--spun] [--ocr]"
          " [--rewrites] [--paraphrase] [--keep] [-v]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3) usage();
    char *end;
    uint64_t seed = strtoull(argv[1], &end, 10);
    if (*end) usage();
    int count = (int)strtol(argv[2], &end, 10);
    if (*end || count < 0) usage();
    int only = -1, keep = 0;
    ndocs = 250;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--docs") && i + 1 < argc) ndocs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tolerance") && i + 1 < argc) tolerance = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--keep")) keep = 1;
        else if (!strcmp(argv[i], "--spun")) spun = 1;
        else if (!strcmp(argv[i], "--rewrites")) rewrites = 1;
        else if (!strcmp(argv[i], "--ocr")) ocr = 1;
        else if (!strcmp(argv[i], "--paraphrase")) paraphrase = 1;
        else if (!strcmp(argv[i], "-v")) verbose = 1;
        else usage();
    }
    if (ndocs < 8) ndocs = 8;
    char replay[256];
    snprintf(replay, sizeof replay, "roundtrip %llu %d", (unsigned long long)seed, count);
    if (ndocs != 250)
        snprintf(replay + strlen(replay), sizeof replay - strlen(replay), " --docs %d", ndocs);

    int passed[K_NKINDS] = { 0 }, failed[K_NKINDS] = { 0 };
    int by_align[K_NKINDS] = { 0 };   /* --rewrites: found on the pair, not by the check */
    int spurious = 0, setup_failed = 0;
    tsr_error e = { 0 };
    tsr_params prm;
    tsr_params_default(&prm);
    if (paraphrase) prm.paraphrase = TSR_PARAPHRASE_ALL;

    /* the corpus */
    vocab_make(seed);
    docs = xmalloc((size_t)ndocs * sizeof *docs);
    tsr_word **dw = xmalloc((size_t)ndocs * sizeof *dw);
    size_t *ndw = xmalloc((size_t)ndocs * sizeof *ndw);
    rng cr = { seed };
    for (int d = 0; d < ndocs; d++) {
        memset(&docs[d], 0, sizeof docs[d]);
        snprintf(docs[d].id, sizeof docs[d].id, "rt-%05d", d);
        tb_filler(&docs[d].t, &cr, rng_range(&cr, 150, 600));
        tb_finish(&docs[d].t);
        if (tsr_tokenize(docs[d].t.text.s, docs[d].t.text.len, &dw[d], &ndw[d], &e) != TSR_OK ||
            ndw[d] != docs[d].t.words.n) {
            fprintf(stderr, "roundtrip: seed %llu: document %d: tokenizer gives %zu words, "
                    "generator %zu (%s)\n", (unsigned long long)seed, d, ndw[d],
                    docs[d].t.words.n, e.message);
            return 1;
        }
    }

    const char *tmp = getenv("TMPDIR");
    char dir[4096], ixdir[4200];
    snprintf(dir, sizeof dir, "%s/tsr-roundtrip-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) { perror("roundtrip: mkdtemp"); return 5; }
    snprintf(ixdir, sizeof ixdir, "%s/ix", dir);

    tsr_index *ix = NULL;
    int st = tsr_index_open(ixdir, TSR_OPEN_CREATE, &ix, &e);
    /* two commits, so that queries span segments */
    for (int d = 0; st == TSR_OK && d < ndocs; d++) {
        char title[64];
        snprintf(title, sizeof title, "Document %d", d);
        tsr_docinfo di = { docs[d].id, title, "2024-01-01", "synthetic", NULL,
                           docs[d].t.text.s, docs[d].t.text.len };
        st = tsr_index_add(ix, &di, &e);
        if (st == TSR_OK && d == ndocs / 2) st = tsr_index_commit(ix, &e);
    }
    if (st == TSR_OK) st = tsr_index_commit(ix, &e);
    tsr_index_close(ix);
    ix = NULL;
    if (st == TSR_OK) st = tsr_index_open(ixdir, TSR_OPEN_READONLY, &ix, &e);
    /* a second handle with a document cache too small for all candidates,
     * so that checks both hit it and evict from it: it must answer
     * exactly what the handle without a cache answers */
    tsr_index *ixc = NULL;
    if (st == TSR_OK) st = tsr_index_open(ixdir, TSR_OPEN_READONLY, &ixc, &e);
    if (st == TSR_OK) st = tsr_index_set_cache(ixc, 96 * 1024, &e);
    if (st != TSR_OK) {
        fprintf(stderr, "roundtrip: seed %llu: building the index failed: %s (%s)\n",
                (unsigned long long)seed, e.message, tsr_strerror(st));
        setup_failed = 1;
    }

    for (int qn = 0; !setup_failed && qn < count; qn++) {
        if (only >= 0 && qn != only) continue;
        query q;
        query_make(&q, seed, qn);
        const char *text = q.t.text.s;
        size_t len = q.t.text.len;
        tsr_word *qw = NULL;
        size_t nqw = 0;
        if (tsr_tokenize(text, len, &qw, &nqw, &e) != TSR_OK || nqw != q.t.words.n) {
            fprintf(stderr, "FAIL seed %llu query %d: tokenizer gives %zu words, generator %zu\n",
                    (unsigned long long)seed, qn, nqw, q.t.words.n);
            failed[K_VERBATIM]++;
            tsr_free(qw);
            tb_free(&q.t);
            free(q.u);
            continue;
        }

        /* 1. against the index */
        tsr_result *res = NULL;
        st = tsr_index_check(ix, text, len, &prm, &res, &e);
        if (st != TSR_OK) {
            fprintf(stderr, "FAIL seed %llu query %d: tsr_index_check: %s\n  replay: %s --only %d\n",
                    (unsigned long long)seed, qn, e.message, replay, qn);
            failed[q.unrelated ? K_UNRELATED : K_VERBATIM]++;
        } else {
            wpass *wp = result_words(res, qw, nqw, -1, dw, ndw);
            int qbad = 0;
            if (q.unrelated) {
                if (res->n_passages == 0) passed[K_UNRELATED]++;
                else {
                    failed[K_UNRELATED]++;
                    qbad = 1;
                    fprintf(stderr, "FAIL seed %llu query %d (unrelated, %zu words): "
                            "passages reported\n", (unsigned long long)seed, qn, nqw);
                }
            }
            for (int i = 0; i < q.nu; i++) {
                const unit *u = &q.u[i];
                if (unit_found(u, wp, res->n_passages)) { passed[u->kind]++; continue; }
                if (rewrites && (u->kind == K_SPUN || u->kind == K_PARA) &&
                    !unit_touched(u, wp, res->n_passages)) {
                    /* its source no candidate: tsr_align must find it on the pair */
                    tsr_result *ra = NULL;
                    int found = 0;
                    if (tsr_align(text, len, docs[u->doc].t.text.s, docs[u->doc].t.text.len,
                                  &prm, &ra, &e) == TSR_OK) {
                        wpass *wa = result_words(ra, qw, nqw, u->doc, dw, ndw);
                        found = unit_found(u, wa, ra->n_passages);
                        free(wa);
                    }
                    tsr_result_free(ra);
                    if (found) {
                        passed[u->kind]++;
                        by_align[u->kind]++;
                        continue;
                    }
                }
                failed[u->kind]++;
                qbad = 1;
                char why[256];
                explain_miss(u, wp, res->n_passages, why, sizeof why);
                fprintf(stderr, "FAIL seed %llu query %d passage %d (%s%s): rt-%05d "
                        "query words [%d,%d) <- source words [%d,%d) not found within %d "
                        "words; %s\n",
                        (unsigned long long)seed, qn, u->passage, kind_name[u->kind],
                        u->cover ? ", kept-order run" : "", u->doc, u->a0, u->a1, u->b0,
                        u->b1, tolerance, why);
            }
            for (size_t i = 0; !q.unrelated && i < res->n_passages; i++)
                if (!passage_planted(&wp[i], &q)) {
                    spurious++;
                    qbad = 1;
                    fprintf(stderr, "FAIL seed %llu query %d: false positive: doc %d "
                            "query words [%d,%d) source words [%d,%d)\n",
                            (unsigned long long)seed, qn, wp[i].doc, wp[i].a0, wp[i].a1,
                            wp[i].b0, wp[i].b1);
                }
            if (qbad || verbose) {
                {
                    fprintf(stderr, "    query %d planted:\n", qn);
                    for (int i = 0; i < q.nu; i++) {
                        fprintf(stderr, "      %-9s rt-%05d query words [%d,%d) source words [%d,%d)\n",
                                kind_name[q.u[i].kind], q.u[i].doc, q.u[i].a0, q.u[i].a1,
                                q.u[i].b0, q.u[i].b1);
                        if (verbose) {
                            print_words("query ", &q.t, q.u[i].a0, q.u[i].a1);
                            print_words("source", &docs[q.u[i].doc].t, q.u[i].b0, q.u[i].b1);
                        }
                    }
                }
                print_passages("tsr_index_check found", wp, res->n_passages);
                for (size_t i = 0; verbose && i < res->n_passages; i++)
                    if (wp[i].doc >= 0) {
                        print_words("query ", &q.t, wp[i].a0 - 3, wp[i].a1 + 3);
                        print_words("source", &docs[wp[i].doc].t, wp[i].b0 - 3, wp[i].b1 + 3);
                    }
                if (qbad)
                    fprintf(stderr, "    replay: %s --only %d -v\n", replay, qn);
            }
            free(wp);
        }
        /* 1b. the same through the cached handle, twice (a miss, then
         * mostly hits), as the same JSON */
        char *want = st == TSR_OK ? tsr_result_json(res, 0) : NULL;
        for (int pass = 0; want && pass < 2; pass++) {
            tsr_result *rc2 = NULL;
            char *got = NULL;
            if (tsr_index_check(ixc, text, len, &prm, &rc2, &e) == TSR_OK)
                got = tsr_result_json(rc2, 0);
            if (got && !strcmp(got, want)) passed[K_CACHE]++;
            else {
                failed[K_CACHE]++;
                fprintf(stderr, "FAIL seed %llu query %d: with the document cache (pass %d) "
                        "the check answers differently\n  replay: %s --only %d\n",
                        (unsigned long long)seed, qn, pass + 1, replay, qn);
            }
            tsr_free(got);
            tsr_result_free(rc2);
        }
        tsr_free(want);
        tsr_result_free(res);
        res = NULL;

        /* 2. tsr_align on a pair */
        int d = q.unrelated ? (int)(seed % (uint64_t)ndocs) : q.u[0].doc;
        st = tsr_align(text, len, docs[d].t.text.s, docs[d].t.text.len, &prm, &res, &e);
        if (st != TSR_OK) {
            failed[K_ALIGN]++;
            fprintf(stderr, "FAIL seed %llu query %d: tsr_align: %s\n", (unsigned long long)seed,
                    qn, e.message);
        } else {
            wpass *wp = result_words(res, qw, nqw, d, dw, ndw);
            int ok;
            if (q.unrelated) {
                ok = res->n_passages == 0;
            } else {
                ok = 1;
                for (int i = 0; i < q.nu; i++)
                    if (q.u[i].passage == 0 && !unit_found(&q.u[i], wp, res->n_passages))
                        ok = 0;
            }
            if (ok) passed[K_ALIGN]++;
            else {
                failed[K_ALIGN]++;
                fprintf(stderr, "FAIL seed %llu query %d: tsr_align with rt-%05d (%s): "
                        "planted passage 0 not found as planted\n", (unsigned long long)seed,
                        qn, d, q.unrelated ? "unrelated: expected nothing"
                                           : kind_name[q.u[0].kind]);
                for (int i = 0; i < q.nu; i++)
                    if (q.u[i].passage == 0)
                        fprintf(stderr, "    planted: query words [%d,%d) source words [%d,%d)\n",
                                q.u[i].a0, q.u[i].a1, q.u[i].b0, q.u[i].b1);
                print_passages("tsr_align found", wp, res->n_passages);
                fprintf(stderr, "    replay: %s --only %d -v\n", replay, qn);
            }
            free(wp);
        }
        tsr_result_free(res);
        tsr_free(qw);
        tb_free(&q.t);
        free(q.u);
    }

    tsr_stats cs;
    if (ixc && tsr_index_stats(ixc, &cs, NULL) == TSR_OK && verbose)
        fprintf(stderr, "roundtrip: cache %llu bytes, %llu documents, %llu hits, %llu misses\n",
                (unsigned long long)cs.cache_bytes, (unsigned long long)cs.cache_docs,
                (unsigned long long)cs.cache_hits, (unsigned long long)cs.cache_misses);
    tsr_index_close(ixc);
    tsr_index_close(ix);
    if (keep) fprintf(stderr, "roundtrip: index kept in %s\n", ixdir);
    else rm_tree(dir);
    for (int d = 0; d < ndocs; d++) { tb_free(&docs[d].t); tsr_free(dw[d]); }
    free(docs); free(dw); free(ndw);

    int np = 0, nf = setup_failed + spurious;
    printf("roundtrip seed %llu: %d docs, %d queries, tolerance %d words\n",
           (unsigned long long)seed, ndocs, count, tolerance);
    for (int k = 0; k < K_NKINDS; k++) {
        int n = passed[k] + failed[k];
        printf("  %-11s %4d/%-4d %s %5.1f%%\n", kind_name[k], passed[k], n,
               k == K_UNRELATED ? "clean, no passage"
               : k == K_ALIGN   ? "as planted       "
               : k == K_CACHE   ? "same as uncached "
                                : "found, recall    ",
               n ? 100.0 * passed[k] / n : 100.0);
        np += passed[k];
        nf += failed[k];
    }
    for (int k = K_SPUN; rewrites && k <= K_PARA; k++)
        if (k != K_OCR)
            printf("  %-11s %4d of them not reported by the check (no passage of the source) "
                   "but by tsr_align on the pair\n", kind_name[k], by_align[k]);
    printf("  false positives: %d\n", spurious);
    if (nf) printf("replay: %s\n", replay);
    printf("%d passed, %d failed\n", np, nf);
    return nf ? 1 : 0;
}
