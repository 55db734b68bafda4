/*
 * test_reorder.c - reordered text is mapped faithfully (issue 9): an
 * article's paragraphs reversed, rotated, swapped, interleaved with the
 * paragraphs of a second source, its sentences rotated inside one
 * paragraph, a reordered block next to verbatim ones.  Each case asserts
 * the exact spans of every passage (one per block moved, on both sides)
 * and that each passage's two spans hold the same text.
 *
 * The prose is made up here from a seeded generator: every sentence has
 * its own words (w0001 ...), so that each block occurs once in each text
 * and the expected passages are known exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera.h"
#include "testhelp.h"

typedef struct { char *s; size_t n, cap; } buf;

static void put(buf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        b->cap = (b->n + l + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, l + 1);
    b->n += l;
}

static unsigned next_word = 1;

/* A sentence of `n` words of its own, capitalised, ending with '.'. */
static char *sentence(int n)
{
    buf b = { 0 };
    for (int i = 0; i < n; i++) {
        char w[16];
        snprintf(w, sizeof w, "%s%s%04u", i ? " " : "", i ? "w" : "W", next_word++);
        put(&b, w);
    }
    put(&b, ".");
    return b.s;
}

/* A paragraph of `ns` sentences of 16-25 words. */
static char **paragraph(int ns)
{
    char **p = calloc((size_t)ns + 1, sizeof *p);
    for (int i = 0; i < ns; i++) p[i] = sentence(16 + (int)((next_word * 7u + (unsigned)i) % 10));
    return p;
}

static char *join(char **s, const char *sep)
{
    buf b = { 0 };
    for (int i = 0; s[i]; i++) {
        if (i) put(&b, sep);
        put(&b, s[i]);
    }
    return b.s;
}

static void free_list(char **s)
{
    for (int i = 0; s && s[i]; i++) free(s[i]);
    free(s);
}

/* The blocks of a text, in order, joined by blank lines; starts[i] gets
 * each block's byte offset. */
static char *text_of(char *const *blocks, int n, size_t *starts)
{
    buf b = { 0 };
    for (int i = 0; i < n; i++) {
        if (i) put(&b, "\n\n");
        starts[i] = b.n;
        put(&b, blocks[i]);
    }
    return b.s;
}

/* Words of s[b, e) as one space-separated string (what "the same text"
 * means here: the same words in the same order). */
static char *words_of(const char *s, size_t b, size_t e)
{
    buf o = { 0 };
    int in = 0;
    char c[2] = { 0, 0 };
    for (size_t i = b; i < e; i++) {
        const int sp = s[i] == ' ' || s[i] == '\n';
        if (sp) { in = 0; continue; }
        if (!in && o.n) put(&o, " ");
        in = 1;
        c[0] = s[i];
        put(&o, c);
    }
    if (!o.s) put(&o, "");
    return o.s;
}

/* A (the reordered text) is made of blocks ablk[0..na); each is block
 * bidx[i] of B (-1: not in B).  The expected passages: maximal runs of
 * A's blocks that follow one another in B too; each must be reported
 * exactly (ending before the final '.'), and each passage's two spans
 * must hold the same words. */
static void expect(const char *name, char *const *bblk, int nb, char *const *ablk,
                   const int *bidx, int na)
{
    size_t as[64], bs[64];
    char *a = text_of(ablk, na, as), *b = text_of(bblk, nb, bs);
    tsr_result *r = NULL;
    CHECK(tsr_align(a, strlen(a), b, strlen(b), NULL, &r, NULL) == TSR_OK);
    if (!r) { free(a); free(b); return; }
    size_t want = 0;
    for (int i = 0; i < na;) {
        if (bidx[i] < 0) { i++; continue; }
        int j = i + 1;
        while (j < na && bidx[j] == bidx[j - 1] + 1) j++;
        const size_t a0 = as[i], a1 = as[j - 1] + strlen(ablk[j - 1]) - 1;
        const size_t b0 = bs[bidx[i]], b1 = bs[bidx[j - 1]] + strlen(bblk[bidx[j - 1]]) - 1;
        int found = 0;
        for (size_t k = 0; k < r->n_passages; k++) {
            const tsr_passage *p = &r->passages[k];
            if (p->a_begin == a0 && p->a_end == a1 && p->b_begin == b0 && p->b_end == b1)
                found = 1;
        }
        if (!found) {
            fprintf(stderr, "%s: no passage %zu-%zu ~ %zu-%zu; got:", name, a0, a1, b0, b1);
            for (size_t k = 0; k < r->n_passages; k++)
                fprintf(stderr, " %zu-%zu~%zu-%zu", r->passages[k].a_begin,
                        r->passages[k].a_end, r->passages[k].b_begin, r->passages[k].b_end);
            fprintf(stderr, "\n");
        }
        CHECK(found);
        want++;
        i = j;
    }
    CHECK(r->n_passages == want);
    for (size_t k = 0; k < r->n_passages; k++) {
        const tsr_passage *p = &r->passages[k];
        char *wa = words_of(a, p->a_begin, p->a_end), *wb = words_of(b, p->b_begin, p->b_end);
        CHECK(strcmp(wa, wb) == 0);
        free(wa);
        free(wb);
    }
    tsr_result_free(r);
    free(a);
    free(b);
}

/* An article of five paragraphs of 3-4 sentences. */
static char **article(char ***sent)
{
    char **par = calloc(6, sizeof *par);
    for (int i = 0; i < 5; i++) {
        sent[i] = paragraph(3 + i % 2);
        par[i] = join(sent[i], " ");
    }
    return par;
}

static void test_paragraphs(void)
{
    char **sent[5];
    char **par = article(sent);
    {   /* reversed */
        char *a[5] = { par[4], par[3], par[2], par[1], par[0] };
        const int idx[5] = { 4, 3, 2, 1, 0 };
        expect("reversed", par, 5, a, idx, 5);
    }
    {   /* rotated: 4 5 1 2 3 (the case of the issue) */
        char *a[5] = { par[3], par[4], par[0], par[1], par[2] };
        const int idx[5] = { 3, 4, 0, 1, 2 };
        expect("rotated", par, 5, a, idx, 5);
    }
    {   /* two paragraphs swapped, the rest verbatim */
        char *a[5] = { par[0], par[2], par[1], par[3], par[4] };
        const int idx[5] = { 0, 2, 1, 3, 4 };
        expect("swapped", par, 5, a, idx, 5);
    }
    {   /* a reordered block (4 3) next to a verbatim one (1 2) and 5 */
        char *a[5] = { par[0], par[1], par[3], par[2], par[4] };
        const int idx[5] = { 0, 1, 3, 2, 4 };
        expect("block next to verbatim", par, 5, a, idx, 5);
    }
    for (int i = 0; i < 5; i++) { free_list(sent[i]); }
    free_list(par);
}

static void test_interleaved(void)
{
    char **s1[5], **s2[5];
    char **p1 = article(s1), **p2 = article(s2);
    /* S1 1, S2 1, S1 2, S2 2, S1 3: against S1, three passages */
    char *a[5] = { p1[0], p2[0], p1[1], p2[1], p1[2] };
    const int idx1[5] = { 0, -1, 1, -1, 2 };
    expect("interleaved vs source 1", p1, 5, a, idx1, 5);
    const int idx2[5] = { -1, 0, -1, 1, -1 };
    expect("interleaved vs source 2", p2, 5, a, idx2, 5);
    for (int i = 0; i < 5; i++) { free_list(s1[i]); free_list(s2[i]); }
    free_list(p1);
    free_list(p2);
}

static void test_sentences(void)
{
    char **sent[5];
    char **par = article(sent);
    /* B: the article as paragraphs.  A: paragraph 3's sentences rotated by
     * one (2 3 [4] 1), the others as they are.  The blocks of B are
     * compared sentence by sentence for paragraph 3. */
    char *bblk[16], *ablk[16];
    int idx[16], nb = 0, na = 0, first3 = 0, ns3 = 0;
    for (int p = 0; p < 5; p++) {
        if (p == 2) {
            first3 = nb;
            for (int s = 0; sent[p][s]; s++) { bblk[nb++] = sent[p][s]; ns3++; }
        } else {
            bblk[nb++] = par[p];
        }
    }
    for (int x = 0; x < nb; x++) {
        int y = x;
        if (x >= first3 && x < first3 + ns3)   /* rotate paragraph 3 by one */
            y = first3 + (x - first3 + 1) % ns3;
        ablk[na] = bblk[y];
        idx[na++] = y;
    }
    /* B's blocks within paragraph 3 are separated by a space, not a blank
     * line, in the real text; here every block is its own line, which is
     * the same to the aligner (words only). */
    expect("sentences rotated", bblk, nb, ablk, idx, na);
    for (int i = 0; i < 5; i++) { free_list(sent[i]); }
    free_list(par);
}

/* Stretches the source does not hold (part 3 of the issue): a reused
 * sentence between two unrelated ones; a reused sentence next to one on
 * the same subject in other words (a few of the same names, nothing
 * copied).  The passage is the reused sentence exactly. */
static void test_stretches(void)
{
    char *x = sentence(20), *s = sentence(22), *y = sentence(18);
    char *u1 = sentence(19), *u2 = sentence(21);
    {   /* U1 S U2 against X S Y */
        char *b[3] = { x, s, y }, *a[3] = { u1, s, u2 };
        const int idx[3] = { -1, 1, -1 };
        expect("sentence between unrelated ones", b, 3, a, idx, 3);
    }
    {   /* S T against S Y, T on Y's subject: 5 of Y's 18 words among 20
         * others, in another order */
        buf t = { 0 };
        char *yw = strdup(y);
        char *tok[32];
        int n = 0;
        for (char *w = strtok(yw, " ."); w && n < 32; w = strtok(NULL, " .")) tok[n++] = w;
        for (int i = 0; i < 25; i++) {
            char w[16];
            if (i % 5 == 2) snprintf(w, sizeof w, "%s", tok[(i * 7) % n]);
            else snprintf(w, sizeof w, "%s%04u", i ? "v" : "V", next_word++);
            if (i) put(&t, " ");
            put(&t, w);
        }
        put(&t, ".");
        char *b[2] = { s, y }, *a[2] = { s, t.s };
        const int idx[2] = { 0, -1 };
        expect("sentence next to one on the same subject", b, 2, a, idx, 2);
        free(t.s);
        free(yw);
    }
    {   /* S1 F S2 against S1 S2: F is not the source's */
        char *b[2] = { x, s }, *a[3] = { x, u1, s };
        const int idx[3] = { 0, -1, 1 };
        expect("unrelated sentence between two reused ones", b, 2, a, idx, 3);
    }
    {   /* S1 F S2 against S1 G S2: F is not G */
        char *b[3] = { x, y, s }, *a[3] = { x, u1, s };
        const int idx[3] = { 0, -1, 2 };
        expect("sentence in place of another", b, 3, a, idx, 3);
    }
    free(x); free(s); free(y); free(u1); free(u2);
}

int main(void)
{
    RUN(test_stretches);
    RUN(test_paragraphs);
    RUN(test_interleaved);
    RUN(test_sentences);
    return test_report();
}
