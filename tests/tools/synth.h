/*
 * synth.h - what the round-trip testers share: small growable buffers, a
 * made-up vocabulary with Zipf frequencies, and texts built from its word
 * ids.  Their seeded random numbers and the removal of a temporary
 * directory come from tests/unit/testutil.h, which the unit tests share
 * too.  Header-only (static functions): each tester is one program built
 * from one .c file.  Define SYNTH_PROG (the program's name, for messages)
 * before including it.
 */
#ifndef TSR_TESTS_SYNTH_H
#define TSR_TESTS_SYNTH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/testutil.h"

#ifndef SYNTH_PROG
#error "define SYNTH_PROG before including synth.h"
#endif

/* ---- small helpers --------------------------------------------------------- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { fputs(SYNTH_PROG ": out of memory\n", stderr); exit(5); }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) { fputs(SYNTH_PROG ": out of memory\n", stderr); exit(5); }
    return p;
}

typedef struct { char *s; size_t len, cap; } sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

typedef struct { int *v; size_t n, cap; } ivec;

static void iv_push(ivec *a, int x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = x;
}

/* ---- vocabulary with Zipf frequencies -------------------------------------- */

#define VOCAB 6000

static char vocab[VOCAB][32];
static double zipf_cdf[VOCAB];

static void vocab_make(uint64_t seed)
{
    static const char *syl[] = {
        "ba", "ke", "lo", "mu", "ri", "sa", "te", "vo", "na", "pi", "do", "gu",
        "fa", "le", "mo", "zu", "hi", "ra", "so", "ti", "ne", "wa", "ku", "ge",
        "tor", "lan", "mes", "dur", "vin", "kas", "pol", "ser",
    };
    const int nsyl = (int)(sizeof syl / sizeof syl[0]);
    rng r = { seed ^ 0x5eed5eedull };
    for (int i = 0; i < VOCAB; i++) {
        /* frequent words are short; a base-32 rank suffix keeps them distinct */
        char *w = vocab[i];
        w[0] = 0;
        int extra = i < 40 ? 0 : i < 600 ? 1 : 2;
        for (int k = 0; k < extra; k++)
            strcat(w, syl[rng_next(&r) % (uint64_t)nsyl]);
        int x = i;
        do {
            strcat(w, syl[x % nsyl]);
            x /= nsyl;
        } while (x);
    }
    /* Zipf-Mandelbrot: weight 1/(rank + 2.7) */
    double sum = 0, acc = 0;
    for (int i = 0; i < VOCAB; i++) sum += 1.0 / (i + 2.7);
    for (int i = 0; i < VOCAB; i++) {
        acc += 1.0 / (i + 2.7) / sum;
        zipf_cdf[i] = acc;
    }
    zipf_cdf[VOCAB - 1] = 1.0;
}

static int zipf_word(rng *r)
{
    double u = rng_unit(r);
    int lo = 0, hi = VOCAB - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (zipf_cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}


/* ---- texts built from word ids ----------------------------------------------
 * A text is rendered from a sequence of word ids: sentences of 6-20 words,
 * capitalized, ended by '.', now and then a paragraph break.  Words are runs
 * of ASCII letters, so the library's tokenizer must see exactly our words:
 * the testers assert that. */

typedef struct {
    sbuf text;
    ivec words;      /* word ids */
    ivec wbegin;     /* byte offset of each word */
    int sentence_left;
} textb;

static void tb_word(textb *t, rng *r, int id)
{
    int cap = 0;
    if (t->sentence_left <= 0) {
        if (t->words.n) {
            sb_put(&t->text, ".", 1);
            if (rng_next(r) % 6 == 0) sb_put(&t->text, "\n\n", 2);
            else sb_put(&t->text, " ", 1);
        }
        t->sentence_left = rng_range(r, 6, 20);
        cap = 1;
    } else {
        if (rng_next(r) % 19 == 0) sb_put(&t->text, ", ", 2);
        else sb_put(&t->text, " ", 1);
    }
    iv_push(&t->words, id);
    iv_push(&t->wbegin, (int)t->text.len);
    const char *w = vocab[id];
    char first = (char)(cap ? w[0] - 'a' + 'A' : w[0]);
    sb_put(&t->text, &first, 1);
    sb_put(&t->text, w + 1, strlen(w + 1));
    t->sentence_left--;
}

static void tb_finish(textb *t)
{
    if (t->words.n) sb_put(&t->text, ".\n", 2);
    else sb_put(&t->text, "", 0);
}

static void tb_filler(textb *t, rng *r, int nwords)
{
    for (int i = 0; i < nwords; i++) tb_word(t, r, zipf_word(r));
}

/* A reordering of `len` (at least 45) words: cut into k chunks (3, or for
 * 60 words and more 3 or 4) of at least 15 words, chunk c being words
 * [cut[c], cut[c + 1]), and a shuffle of them that is not the identity,
 * perm[0 .. k) (chunk perm[c] goes c-th).  Returns k. */
static int tb_chunks(rng *r, int len, int cut[5], int perm[4])
{
    const int k = len >= 60 ? rng_range(r, 3, 4) : 3;
    cut[0] = 0;
    cut[k] = len;
    int slack = len - 15 * k;
    for (int c = 1; c < k; c++) {
        int give = slack ? rng_range(r, 0, slack) : 0;
        slack -= give;
        cut[c] = cut[c - 1] + 15 + give;
    }
    for (int c = 0; c < k; c++) perm[c] = c;
    do {
        for (int c = k - 1; c > 0; c--) {
            int j = rng_range(r, 0, c);
            int x = perm[c]; perm[c] = perm[j]; perm[j] = x;
        }
    } while (perm[0] == 0 && perm[1] == 1 && perm[2] == 2);
    return k;
}

/* The words w[0, len) reworded into t: each inner word (not the first two
 * nor the last three) at `rate`, swapped with the next, preceded by a
 * word inserted, deleted, or substituted (one in four each); the others
 * as they are. */
static void tb_reword(textb *t, rng *r, const int *w, int len, double rate)
{
    for (int i = 0; i < len; i++) {
        int inner = i >= 2 && i < len - 3;
        if (!inner || rng_unit(r) >= rate) { tb_word(t, r, w[i]); continue; }
        switch (rng_next(r) % 4) {
        case 0: /* swap with the next word */
            tb_word(t, r, w[i + 1]);
            tb_word(t, r, w[i]);
            i++;
            break;
        case 1: /* insert a word before this one */
            tb_word(t, r, zipf_word(r));
            tb_word(t, r, w[i]);
            break;
        case 2: /* delete this word */
            break;
        default: /* substitute */
            tb_word(t, r, zipf_word(r));
            break;
        }
    }
}

static void tb_free(textb *t)
{
    free(t->text.s);
    free(t->words.v);
    free(t->wbegin.v);
}

#endif
