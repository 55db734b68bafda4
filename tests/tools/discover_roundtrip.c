/*
 * discover_roundtrip.c - the seeded round-trip tester of tsr_discover: plant
 * reuse families in a corpus, index it, discover, check that every family
 * comes back whole, with its origin, and nothing else.  Public API only.
 *
 *   discover_roundtrip SEED [--docs N] [--families N] [--copies N]
 *                           [--tolerance W] [--keep] [-v]
 *   discover_roundtrip SEED [--docs N] [--families N] [--copies N] --write-jsonl FILE
 *
 * How it works.  From SEED it generates the Zipf-distributed synthetic
 * language of tests/tools/roundtrip.c (the generator is copied here: tools
 * are single-file programs) and a corpus of N documents (default 300) of
 * filler sentences.  N/15 families are planted (--families): a family is a
 * base passage of 30-80 fresh words copied into 2-6 (--copies) distinct
 * documents, one copy per document, each copy of one kind:
 *
 *   verbatim   the base as it is (the first copy of every family)
 *   reworded   10-15% of the words edited: adjacent words swapped, words
 *              inserted, deleted or substituted (first two and last three
 *              words kept, so the boundaries are defined)
 *   reordered  bases of 45+ words cut into 3-4 chunks of 15+ words, shuffled
 *
 * Every document has a series (one of five) and, except in every fifth
 * family and a few filler documents, a date; dates are a random permutation
 * of days, so a family's origin is its earliest dated member (the lowest
 * document number when the family is undated) and is not simply its first
 * document.  The corpus is indexed in three commits, and tsr_discover runs.
 * Discovered byte spans are turned into word spans (tsr_tokenize) and
 * checked (W = --tolerance, default 5 words):
 *
 *   copy (per kind)  the family found for the planted family has members in
 *                    the copy's document whose union has both ends within W
 *                    words of the planted copy and none outside it;
 *   family           all copies of a planted family are in one discovered
 *                    family, and it holds no other document;
 *   origin           its origin is the planted one (origin_dated agrees);
 *   series           its same_series count agrees with its links;
 *   spurious         no discovered family is left over (a split family or
 *                    reuse "found" in filler);
 *   links            every link joins two copies of one planted family and
 *                    both its spans lie within the copies (link precision).
 *
 * Then the engine's promises: the same result with 2 threads and a 64 KiB
 * pair buffer (spilled runs) as with 1 thread; a run with a work directory,
 * then again after deleting its "links" stage, then again untouched: the
 * same result, with 0, 1 and 2 stages resumed; new_after = the last
 * document of the first commit gives exactly the links of the full run with
 * a newer document; series = -1 and 1 split the full run's links into
 * cross- and same-series ones.
 *
 * Everything derives from SEED: a failure prints the replay command.
 * --write-jsonl writes the corpus as JSON Lines (id, date, series, text)
 * and exits, for the CLI tests (tests/cli/discover_kill.sh).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera.h"

#define SYNTH_PROG "discover_roundtrip"
#include "synth.h"

/* ---- the corpus with planted families ---------------------------------------- */

enum { K_VERBATIM, K_REWORDED, K_REORDERED, K_NCOPY };
static const char *kind_name[K_NCOPY] = { "verbatim", "reworded", "reordered" };

#define MAXMEM 200

typedef struct {
    char id[32];
    char date[32];     /* "" when undated */
    char series[16];
    textb t;
    int fam, kind;     /* planted copy: family (-1: none) and kind */
    int w0, w1;        /* its words */
    int64_t docno;
    tsr_word *tw;      /* the tokenizer's words */
    size_t ntw;
} doc;

typedef struct {
    int n;
    int doc[MAXMEM];
    ivec base;         /* the base passage's word ids */
    int dated;
    int origin;        /* the expected origin (document) */
} family;

static doc *docs;
static int ndocs;
static family *fams;
static int nfams;
static int max_copies = 6;  /* --copies: most copies of one family */

/* Write a copy of the family's base of `kind` into t; returns the kind
 * actually used (short bases cannot be reordered). */
static int plant_copy(textb *t, rng *r, const ivec *base, int kind)
{
    const int len = (int)base->n;
    const int *w = base->v;
    if (kind == K_REORDERED && len < 45) kind = K_REWORDED;
    if (kind == K_VERBATIM) {
        for (int i = 0; i < len; i++) tb_word(t, r, w[i]);
    } else if (kind == K_REWORDED) {
        tb_reword(t, r, w, len, 0.10 + 0.05 * rng_unit(r));
    } else {
        int cut[5], perm[4];
        const int k = tb_chunks(r, len, cut, perm);
        for (int c = 0; c < k; c++)
            for (int i = cut[perm[c]]; i < cut[perm[c] + 1]; i++) tb_word(t, r, w[i]);
    }
    return kind;
}

static void corpus_make(uint64_t seed)
{
    rng r = { seed * 0x100000001B3ull + 7 };
    docs = xmalloc((size_t)ndocs * sizeof *docs);
    memset(docs, 0, (size_t)ndocs * sizeof *docs);
    /* dates: a random permutation of days */
    int *day = xmalloc((size_t)ndocs * sizeof *day);
    for (int d = 0; d < ndocs; d++) day[d] = d;
    for (int d = ndocs - 1; d > 0; d--) {
        int j = rng_range(&r, 0, d);
        int x = day[d]; day[d] = day[j]; day[j] = x;
    }
    for (int d = 0; d < ndocs; d++) {
        doc *x = &docs[d];
        snprintf(x->id, sizeof x->id, "dr-%05d", d);
        snprintf(x->date, sizeof x->date, "%04d-%02d-%02d", 2001 + day[d] / 336,
                 day[d] % 336 / 28 + 1, day[d] % 28 + 1);
        if (d % 7 == 3) x->date[0] = 0;
        snprintf(x->series, sizeof x->series, "src-%c", 'A' + (int)(rng_next(&r) % 5));
        x->fam = -1;
    }
    free(day);

    /* families: distinct documents, one copy per document */
    if (nfams <= 0) nfams = ndocs / 15 < 2 ? 2 : ndocs / 15;
    if (nfams * max_copies > ndocs / 2) nfams = ndocs / 2 / max_copies;  /* room left */
    if (nfams < 1) nfams = 1;
    fams = xmalloc((size_t)nfams * sizeof *fams);
    memset(fams, 0, (size_t)nfams * sizeof *fams);
    for (int f = 0; f < nfams; f++) {
        family *fm = &fams[f];
        fm->n = rng_range(&r, 2, max_copies);
        fm->dated = f % 5 != 4;
        int len = rng_range(&r, 30, 80);
        for (int i = 0; i < len; i++) iv_push(&fm->base, zipf_word(&r));
        for (int m = 0; m < fm->n; m++) {
            int d;
            do d = rng_range(&r, 0, ndocs - 1); while (docs[d].fam >= 0);
            fm->doc[m] = d;
            docs[d].fam = f;
            docs[d].kind = m == 0 ? K_VERBATIM : (int)(rng_next(&r) % 3);
            if (!fm->dated) docs[d].date[0] = 0;
            else if (!docs[d].date[0])  /* undated filler slot: give it a date */
                snprintf(docs[d].date, sizeof docs[d].date, "2000-01-%02d", 1 + d % 28);
        }
    }
    /* the texts */
    for (int d = 0; d < ndocs; d++) {
        doc *x = &docs[d];
        tb_filler(&x->t, &r, rng_range(&r, 20, 250));
        if (x->fam >= 0) {
            x->w0 = (int)x->t.words.n;
            x->kind = plant_copy(&x->t, &r, &fams[x->fam].base, x->kind);
            x->w1 = (int)x->t.words.n;
        }
        tb_filler(&x->t, &r, rng_range(&r, 20, 250));
        tb_finish(&x->t);
    }
}

/* The expected origin: the earliest dated member, else (all undated) the
 * lowest document number; needs docno. */
static void origins_make(void)
{
    for (int f = 0; f < nfams; f++) {
        family *fm = &fams[f];
        int best = fm->doc[0];
        for (int m = 1; m < fm->n; m++) {
            const doc *a = &docs[fm->doc[m]], *b = &docs[best];
            int c = a->date[0] && b->date[0] ? strcmp(a->date, b->date)
                  : a->date[0] ? -1 : b->date[0] ? 1 : 0;
            if (c < 0 || (c == 0 && a->docno < b->docno)) best = fm->doc[m];
        }
        fm->origin = best;
    }
}

/* ---- comparing results with the plan ----------------------------------------- */

static int tolerance = 5;
static int verbose;
static int64_t *doc_of_docno;   /* docno -> document, -1 */
static int64_t max_docno;

static int doc_of(int64_t docno)
{
    return docno >= 0 && docno <= max_docno ? (int)doc_of_docno[docno] : -1;
}

/* Word span [w0,w1) of byte span [b,e): first word starting at or after b,
 * up to the last word ending at or before e. */
static void word_span(const doc *x, size_t b, size_t e, int *w0, int *w1)
{
    const tsr_word *w = x->tw;
    size_t n = x->ntw, lo = 0, hi = n;
    while (lo < hi) { size_t m = (lo + hi) / 2; if (w[m].begin < b) lo = m + 1; else hi = m; }
    *w0 = (int)lo;
    lo = 0; hi = n;
    while (lo < hi) { size_t m = (lo + hi) / 2; if (w[m].end <= e) lo = m + 1; else hi = m; }
    *w1 = (int)lo;
}

/* Does [w0,w1) of document d lie on its planted copy (within tolerance)? */
static int on_copy(int d, int w0, int w1)
{
    const doc *x = &docs[d];
    return x->fam >= 0 && w0 < w1 && w0 >= x->w0 - tolerance && w1 <= x->w1 + tolerance &&
           w0 < x->w1 && x->w0 < w1;
}

static int passed_n, failed_n;
static char replay[256];
static uint64_t seed_g;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    failed_n++;
    if (failed_n > 40) return;  /* the first few tell the story */
    printf("FAIL seed %llu: ", (unsigned long long)seed_g);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n    replay: %s -v\n", replay);
}

static void print_words(const doc *x, int w0, int w1)
{
    if (w0 < 0) w0 = 0;
    if (w1 > (int)x->t.words.n) w1 = (int)x->t.words.n;
    printf("      %s [%d,%d):", x->id, w0, w1);
    for (int i = w0; i < w1; i++) printf(" %s", vocab[x->t.words.v[i]]);
    putchar('\n');
}

static void print_family(const tsr_discovery *D, size_t f)
{
    const tsr_family *fm = &D->families[f];
    printf("    family %zu: %zu members, %zu links, origin docno %lld (%s)\n", f, fm->n,
           fm->links, (long long)fm->origin, fm->origin_dated ? "dated" : "undated");
    for (size_t k = fm->first; k < fm->first + fm->n; k++) {
        const tsr_member *m = &D->members[k];
        int d = doc_of(m->docno), w0 = -1, w1 = -1;
        if (d >= 0) word_span(&docs[d], m->begin, m->end, &w0, &w1);
        printf("      docno %lld %s words [%d,%d)", (long long)m->docno,
               d >= 0 ? docs[d].id : "?", w0, w1);
        if (d >= 0 && docs[d].fam >= 0)
            printf("  planted: family %d %s [%d,%d)", docs[d].fam, kind_name[docs[d].kind],
                   docs[d].w0, docs[d].w1);
        putchar('\n');
    }
}

/* The accuracy checks on one discovery; per-kind counts into found/planted. */
static void check_accuracy(const tsr_discovery *D, int found[K_NCOPY], int planted[K_NCOPY],
                           size_t *links_ok)
{
    /* links */
    *links_ok = 0;
    for (size_t i = 0; i < D->n_links; i++) {
        const tsr_link *l = &D->links[i];
        int a = doc_of(l->a_doc), b = doc_of(l->b_doc);
        int a0 = -1, a1 = -1, b0 = -1, b1 = -1;
        if (a >= 0) word_span(&docs[a], l->a_begin, l->a_end, &a0, &a1);
        if (b >= 0) word_span(&docs[b], l->b_begin, l->b_end, &b0, &b1);
        if (a >= 0 && b >= 0 && docs[a].fam >= 0 && docs[a].fam == docs[b].fam &&
            on_copy(a, a0, a1) && on_copy(b, b0, b1)) {
            (*links_ok)++;
            continue;
        }
        fail("link %zu (family %u): %s words [%d,%d) <-> %s words [%d,%d) is not "
             "between two copies of one planted family", i, l->family,
             a >= 0 ? docs[a].id : "?", a0, a1, b >= 0 ? docs[b].id : "?", b0, b1);
        if (verbose && a >= 0 && b >= 0) {
            print_words(&docs[a], a0, a1);
            print_words(&docs[b], b0, b1);
        }
    }

    /* families */
    char *claimed = calloc(D->n_families ? D->n_families : 1, 1);
    if (!claimed) exit(5);
    for (int f = 0; f < nfams; f++) {
        const family *fm = &fams[f];
        /* the discovered family holding most copies of f */
        size_t best = (size_t)-1, best_n = 0;
        for (size_t g = 0; g < D->n_families; g++) {
            const tsr_family *df = &D->families[g];
            size_t n = 0;
            int64_t last = -1;
            for (size_t k = df->first; k < df->first + df->n; k++) {
                const tsr_member *m = &D->members[k];
                int d = doc_of(m->docno);
                if (d >= 0 && docs[d].fam == f && m->docno != last) { n++; last = m->docno; }
            }
            if (n > best_n) { best_n = n; best = g; }
        }
        for (int m = 0; m < fm->n; m++) planted[docs[fm->doc[m]].kind]++;
        if (best == (size_t)-1) {
            fail("family %d (%d copies): not found at all", f, fm->n);
            failed_n += fm->n + 2;  /* its copies, family, origin and series cases */
            continue;
        }
        claimed[best] = 1;
        const tsr_family *df = &D->families[best];
        int whole = 1;
        /* each copy: members of df in its document, union within tolerance */
        for (int m = 0; m < fm->n; m++) {
            const doc *x = &docs[fm->doc[m]];
            int lo = INT32_MAX, hi = -1, inside = 1;
            for (size_t k = df->first; k < df->first + df->n; k++) {
                const tsr_member *mm = &D->members[k];
                if (mm->docno != x->docno) continue;
                int w0, w1;
                word_span(x, mm->begin, mm->end, &w0, &w1);
                if (w0 < lo) lo = w0;
                if (w1 > hi) hi = w1;
                if (!on_copy(fm->doc[m], w0, w1)) inside = 0;
            }
            int ok = hi >= 0 && inside && abs(lo - x->w0) <= tolerance &&
                     abs(hi - x->w1) <= tolerance;
            if (ok) { found[x->kind]++; passed_n++; continue; }
            whole = 0;
            if (hi < 0)
                fail("family %d: copy in %s (%s, words [%d,%d)) is not in its family "
                     "(discovered family %zu)", f, x->id, kind_name[x->kind], x->w0, x->w1,
                     best);
            else
                fail("family %d: copy in %s (%s, words [%d,%d)): family %zu spans "
                     "words [%d,%d)%s", f, x->id, kind_name[x->kind], x->w0, x->w1, best,
                     lo, hi, inside ? "" : ", partly outside the copy");
        }
        /* no other document */
        for (size_t k = df->first; k < df->first + df->n; k++) {
            int d = doc_of(D->members[k].docno);
            if (d < 0 || docs[d].fam != f) {
                whole = 0;
                fail("family %d: discovered family %zu also holds %s (planted in %d)",
                     f, best, d >= 0 ? docs[d].id : "?", d >= 0 ? docs[d].fam : -2);
            }
        }
        if (whole) passed_n++;
        else {
            failed_n++;
            if (verbose) print_family(D, best);
        }
        const doc *o = &docs[fm->origin];
        if (df->origin == o->docno && df->origin_dated == fm->dated) passed_n++;
        else {
            int d = doc_of(df->origin);
            fail("family %d: origin is %s (docno %lld, %s), expected %s (docno %lld, "
                 "%s)", f, d >= 0 ? docs[d].id : "?", (long long)df->origin,
                 df->origin_dated ? "by date" : "by docno", o->id, (long long)o->docno,
                 fm->dated ? "by date" : "by docno");
        }
        /* same_series against the links */
        size_t same = 0, links = 0;
        for (size_t i = 0; i < D->n_links; i++) {
            const tsr_link *l = &D->links[i];
            if (l->family != best) continue;
            links++;
            int a = doc_of(l->a_doc), b = doc_of(l->b_doc);
            if (a >= 0 && b >= 0 && !strcmp(docs[a].series, docs[b].series)) same++;
        }
        if (links == df->links && same == df->same_series) passed_n++;
        else fail("family %d: discovered family %zu says %zu links, %zu same-series; "
                  "its links say %zu, %zu", f, best, df->links, df->same_series, links, same);
    }
    for (size_t g = 0; g < D->n_families; g++)
        if (!claimed[g]) {
            fail("spurious family %zu (%zu members): matches no planted family, or a "
                 "planted family came out split", g, D->families[g].n);
            if (verbose) print_family(D, g);
        }
    free(claimed);
}

/* ---- comparing discoveries ------------------------------------------------------ */

static int link_key_cmp(const void *x, const void *y)
{
    const tsr_link *p = x, *q = y;
    if (p->a_doc != q->a_doc) return p->a_doc < q->a_doc ? -1 : 1;
    if (p->b_doc != q->b_doc) return p->b_doc < q->b_doc ? -1 : 1;
    if (p->a_begin != q->a_begin) return p->a_begin < q->a_begin ? -1 : 1;
    if (p->b_begin != q->b_begin) return p->b_begin < q->b_begin ? -1 : 1;
    if (p->a_end != q->a_end) return p->a_end < q->a_end ? -1 : 1;
    return (p->b_end > q->b_end) - (p->b_end < q->b_end);
}

static int link_same(const tsr_link *p, const tsr_link *q, int with_family)
{
    return p->a_doc == q->a_doc && p->b_doc == q->b_doc && p->a_begin == q->a_begin &&
           p->a_end == q->a_end && p->b_begin == q->b_begin && p->b_end == q->b_end &&
           p->a_words == q->a_words && p->b_words == q->b_words && p->matches == q->matches &&
           p->similarity == q->similarity && (!with_family || p->family == q->family);
}

/* Identical discoveries (NULL when so, else what differs first). */
static const char *diff(const tsr_discovery *x, const tsr_discovery *y)
{
    static char why[256];
    if (x->n_links != y->n_links || x->n_families != y->n_families ||
        x->n_members != y->n_members) {
        snprintf(why, sizeof why, "%zu/%zu/%zu links/families/members vs %zu/%zu/%zu",
                 x->n_links, x->n_families, x->n_members, y->n_links, y->n_families,
                 y->n_members);
        return why;
    }
    for (size_t i = 0; i < x->n_links; i++)
        if (!link_same(&x->links[i], &y->links[i], 1)) {
            snprintf(why, sizeof why, "link %zu differs", i);
            return why;
        }
    for (size_t i = 0; i < x->n_families; i++) {
        const tsr_family *a = &x->families[i], *b = &y->families[i];
        if (a->first != b->first || a->n != b->n || a->links != b->links ||
            a->same_series != b->same_series || a->origin != b->origin ||
            a->origin_dated != b->origin_dated) {
            snprintf(why, sizeof why, "family %zu differs", i);
            return why;
        }
    }
    for (size_t i = 0; i < x->n_members; i++) {
        const tsr_member *a = &x->members[i], *b = &y->members[i];
        if (a->docno != b->docno || a->begin != b->begin || a->end != b->end) {
            snprintf(why, sizeof why, "member %zu differs", i);
            return why;
        }
    }
    if (x->documents != y->documents || x->fingerprints != y->fingerprints ||
        x->skipped != y->skipped || x->candidate_pairs != y->candidate_pairs) {
        snprintf(why, sizeof why, "counts differ: fingerprints %llu/%llu, skipped %llu/%llu, "
                 "candidate pairs %llu/%llu", (unsigned long long)x->fingerprints,
                 (unsigned long long)y->fingerprints, (unsigned long long)x->skipped,
                 (unsigned long long)y->skipped, (unsigned long long)x->candidate_pairs,
                 (unsigned long long)y->candidate_pairs);
        return why;
    }
    return NULL;
}

/* The links of x, sorted by place, without families (caller frees). */
static tsr_link *sorted_links(const tsr_link *v, size_t n)
{
    tsr_link *s = xmalloc(n * sizeof *s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, link_key_cmp);
    return s;
}

/* Do the links `sub` equal exactly the links of `all` that `keep` selects? */
static int same_link_set(const tsr_discovery *all, const tsr_discovery *sub,
                         int (*keep)(const tsr_link *, void *), void *ud, char *why, size_t n)
{
    tsr_link *a = sorted_links(all->links, all->n_links);
    tsr_link *b = sorted_links(sub->links, sub->n_links);
    size_t j = 0, bad = 0;
    for (size_t i = 0; i < all->n_links && !bad; i++) {
        if (!keep(&a[i], ud)) continue;
        if (j >= sub->n_links || !link_same(&a[i], &b[j], 0)) bad = 1;
        else j++;
    }
    if (!bad && j != sub->n_links) bad = 2;
    if (bad)
        snprintf(why, n, bad == 1 ? "a link of the full run is missing or differs (link %zu)"
                                  : "%zu links that the full run does not select", j);
    free(a);
    free(b);
    return !bad;
}

static int keep_new(const tsr_link *l, void *ud)
{
    return l->b_doc > *(const int64_t *)ud || l->a_doc > *(const int64_t *)ud;
}

static int keep_series(const tsr_link *l, void *ud)
{
    int a = doc_of(l->a_doc), b = doc_of(l->b_doc);
    int same = a >= 0 && b >= 0 && !strcmp(docs[a].series, docs[b].series);
    return *(const int *)ud > 0 ? same : !same;
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(void)
{
    fputs("usage: discover_roundtrip SEED [--docs N] [--families N] [--copies N]\n"
          "                          [--tolerance W] [--keep] [-v]\n"
          "       discover_roundtrip SEED [--docs N] [--families N] [--copies N] "
          "--write-jsonl FILE\n", stderr);
    exit(2);
}

static int write_jsonl(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) { perror(path); return 5; }
    for (int d = 0; d < ndocs; d++) {
        const doc *x = &docs[d];
        fprintf(f, "{\"id\":\"%s\",", x->id);
        if (x->date[0]) fprintf(f, "\"date\":\"%s\",", x->date);
        fprintf(f, "\"series\":\"%s\",\"text\":\"", x->series);
        for (const char *s = x->t.text.s; *s; s++) {
            if (*s == '\n') fputs("\\n", f);
            else fputc(*s, f);
        }
        fputs("\"}\n", f);
    }
    if (f != stdout ? fclose(f) != 0 : fflush(f) != 0) { perror(path); return 5; }
    return 0;
}

static tsr_discovery *run(tsr_index *ix, const tsr_discover_opts *o, const char *what)
{
    tsr_discovery *D = NULL;
    tsr_error e = { 0 };
    int st = tsr_discover(ix, NULL, o, &D, &e);
    if (st != TSR_OK) {
        fail("tsr_discover (%s): %s (%s)", what, e.message, tsr_strerror(st));
        return NULL;
    }
    return D;
}

static void expect(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void expect(int ok, const char *fmt, ...)
{
    if (ok) { passed_n++; return; }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail("%s", msg);
}

static int cmp_i64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* D->docs: every document of D's links once, by number, with the fields
 * that tsr_index_get_info gives (and no text). */
static void check_docs(tsr_index *ix, const tsr_discovery *D)
{
    size_t want = 0;
    int64_t *nos = xmalloc((2 * D->n_links + 1) * sizeof *nos);
    for (size_t i = 0; i < D->n_links; i++) {
        nos[want++] = D->links[i].a_doc;
        nos[want++] = D->links[i].b_doc;
    }
    qsort(nos, want, sizeof *nos, cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < want; i++)
        if (k == 0 || nos[k - 1] != nos[i]) nos[k++] = nos[i];
    expect(D->n_docs == k, "docs: %zu documents, the links name %zu", D->n_docs, k);
    for (size_t i = 0; i < D->n_docs && i < k; i++) {
        const tsr_document *x = &D->docs[i];
        tsr_document *g = NULL;
        tsr_error e = { 0 };
        if (tsr_index_get_info(ix, nos[i], &g, &e) != TSR_OK) {
            fail("docs: document %lld: %s", (long long)nos[i], e.message);
            continue;
        }
        expect(x->docno == nos[i] && str_eq(x->id, g->id) && str_eq(x->title, g->title) &&
               str_eq(x->date, g->date) && str_eq(x->series, g->series) && !x->text &&
               !x->meta_json && x->text_len == g->text_len,
               "docs: entry %zu (document %lld) is not the document's fields", i,
               (long long)nos[i]);
        tsr_document_free(g);
    }
    free(nos);
}

int main(int argc, char **argv)
{
    if (argc < 2) usage();
    char *end;
    uint64_t seed = strtoull(argv[1], &end, 10);
    if (*end) usage();
    seed_g = seed;
    int keep = 0;
    const char *jsonl = NULL;
    ndocs = 300;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--docs") && i + 1 < argc) ndocs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tolerance") && i + 1 < argc) tolerance = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--write-jsonl") && i + 1 < argc) jsonl = argv[++i];
        else if (!strcmp(argv[i], "--families") && i + 1 < argc) nfams = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--copies") && i + 1 < argc) max_copies = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--keep")) keep = 1;
        else if (!strcmp(argv[i], "-v")) verbose = 1;
        else usage();
    }
    if (ndocs < 30) ndocs = 30;
    if (max_copies < 2) max_copies = 2;
    if (max_copies > MAXMEM) max_copies = MAXMEM;
    snprintf(replay, sizeof replay, "discover_roundtrip %llu", (unsigned long long)seed);
    if (ndocs != 300)
        snprintf(replay + strlen(replay), sizeof replay - strlen(replay), " --docs %d", ndocs);
    if (nfams > 0)
        snprintf(replay + strlen(replay), sizeof replay - strlen(replay), " --families %d", nfams);
    if (max_copies != 6)
        snprintf(replay + strlen(replay), sizeof replay - strlen(replay), " --copies %d",
                 max_copies);

    vocab_make(seed);
    corpus_make(seed);
    if (jsonl) return write_jsonl(jsonl);

    tsr_error e = { 0 };
    for (int d = 0; d < ndocs; d++)
        if (tsr_tokenize(docs[d].t.text.s, docs[d].t.text.len, &docs[d].tw, &docs[d].ntw,
                         &e) != TSR_OK || docs[d].ntw != docs[d].t.words.n) {
            printf("FAIL seed %llu: document %d: tokenizer gives %zu words, generator %zu\n",
                   (unsigned long long)seed, d, docs[d].ntw, docs[d].t.words.n);
            puts("0 passed, 1 failed");
            return 1;
        }

    const char *tmp = getenv("TMPDIR");
    char dir[4096], ixdir[4200], wdir[4200];
    snprintf(dir, sizeof dir, "%s/tsr-discover-rt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) { perror("discover_roundtrip: mkdtemp"); return 5; }
    snprintf(ixdir, sizeof ixdir, "%s/ix", dir);
    snprintf(wdir, sizeof wdir, "%s/work", dir);

    /* the index, in three commits */
    tsr_index *ix = NULL;
    int64_t first_commit_last = -1;
    int st = tsr_index_open(ixdir, TSR_OPEN_CREATE, &ix, &e);
    for (int d = 0; st == TSR_OK && d < ndocs; d++) {
        char title[64];
        snprintf(title, sizeof title, "Document %d", d);
        tsr_docinfo di = { docs[d].id, title, docs[d].date[0] ? docs[d].date : NULL,
                           docs[d].series, NULL, docs[d].t.text.s, docs[d].t.text.len };
        st = tsr_index_add(ix, &di, &e);
        if (st == TSR_OK && (d == ndocs / 3 || d == 2 * ndocs / 3)) st = tsr_index_commit(ix, &e);
    }
    if (st == TSR_OK) st = tsr_index_commit(ix, &e);
    tsr_index_close(ix);
    ix = NULL;
    if (st == TSR_OK) st = tsr_index_open(ixdir, TSR_OPEN_READONLY, &ix, &e);
    doc_of_docno = NULL;
    max_docno = -1;
    for (int d = 0; st == TSR_OK && d < ndocs; d++) {
        tsr_document *x = NULL;
        st = tsr_index_get(ix, docs[d].id, &x, &e);
        if (st == TSR_OK) {
            docs[d].docno = x->docno;
            if (x->docno > max_docno) max_docno = x->docno;
        }
        tsr_document_free(x);
        if (d == ndocs / 3) first_commit_last = docs[d].docno;
    }
    if (st != TSR_OK) {
        printf("FAIL seed %llu: building the index failed: %s (%s)\n",
               (unsigned long long)seed, e.message, tsr_strerror(st));
        puts("0 passed, 1 failed");
        tsr_index_close(ix);
        rm_tree(dir);
        return 1;
    }
    doc_of_docno = xmalloc((size_t)(max_docno + 1) * sizeof *doc_of_docno);
    for (int64_t i = 0; i <= max_docno; i++) doc_of_docno[i] = -1;
    for (int d = 0; d < ndocs; d++) doc_of_docno[docs[d].docno] = d;
    origins_make();

    /* 1. accuracy, one thread */
    tsr_discover_opts o;
    tsr_discover_opts_default(&o);
    o.threads = 1;
    tsr_discovery *D = run(ix, &o, "threads 1");
    int found[K_NCOPY] = { 0 }, planted[K_NCOPY] = { 0 };
    size_t links_ok = 0;
    if (D) {
        check_accuracy(D, found, planted, &links_ok);
        check_docs(ix, D);
        if (verbose)
            printf("discovery: %zu links, %zu families, %zu members, %llu candidate pairs, "
                   "%llu fingerprints (%llu skipped)\n", D->n_links, D->n_families,
                   D->n_members, (unsigned long long)D->candidate_pairs,
                   (unsigned long long)D->fingerprints, (unsigned long long)D->skipped);
    }

    /* 2. determinism: 2 threads, a buffer small enough to spill */
    if (D) {
        o.threads = 2;
        o.memory = 65536;
        tsr_discovery *D2 = run(ix, &o, "threads 2, memory 64K");
        if (D2) {
            const char *why = diff(D, D2);
            expect(!why, "determinism: threads 1 and threads 2 (64K buffer) differ: %s", why);
        }
        tsr_discovery_free(D2);
        o.memory = 0;
    }

    /* 3. resume from the work directory */
    if (D) {
        o.threads = 2;
        o.workdir = wdir;
        char links_path[4300];
        snprintf(links_path, sizeof links_path, "%s/links", wdir);
        for (int round = 0; round < 3; round++) {
            if (round == 1 && unlink(links_path) != 0)
                fail("resume: cannot remove %s: %s", links_path, strerror(errno));
            tsr_discovery *R = run(ix, &o, round == 0 ? "workdir" : round == 1
                                   ? "workdir without links" : "workdir, complete");
            if (!R) continue;
            const char *why = diff(D, R);
            expect(!why, "resume round %d: the result differs from the plain run: %s", round,
                   why);
            check_docs(ix, R);   /* round 2: links from the workdir, fields read */
            expect(R->resumed_stages == round, "resume round %d: %d stages resumed, expected "
                   "%d", round, R->resumed_stages, round);
            tsr_discovery_free(R);
        }
        o.workdir = NULL;
    }

    /* 4. new_after, series */
    if (D) {
        char why[256];
        o.threads = 2;
        o.new_after = first_commit_last;
        tsr_discovery *N = run(ix, &o, "new_after");
        if (N)
            expect(same_link_set(D, N, keep_new, &first_commit_last, why, sizeof why),
                   "new_after %lld: not the full run's links with a newer document: %s",
                   (long long)first_commit_last, why);
        tsr_discovery_free(N);
        o.new_after = -1;
        for (int s = -1; s <= 1; s += 2) {
            o.series = s;
            tsr_discovery *S = run(ix, &o, s < 0 ? "series -1" : "series 1");
            if (S)
                expect(same_link_set(D, S, keep_series, &s, why, sizeof why),
                       "series %d: not the full run's %s-series links: %s", s,
                       s < 0 ? "cross" : "same", why);
            tsr_discovery_free(S);
        }
        o.series = 0;
    }

    printf("discover_roundtrip seed %llu: %d docs, %d families, tolerance %d words\n",
           (unsigned long long)seed, ndocs, nfams, tolerance);
    for (int k = 0; k < K_NCOPY; k++) {
        printf("  %-10s copies %4d/%-4d recall %5.1f%%\n", kind_name[k], found[k], planted[k],
               planted[k] ? 100.0 * found[k] / planted[k] : 100.0);
    }
    if (D)
        printf("  links      %zu, precision %5.1f%%; %zu families discovered, %d planted\n",
               D->n_links, D->n_links ? 100.0 * (double)links_ok / (double)D->n_links : 100.0,
               D->n_families, nfams);
    passed_n += (int)links_ok;

    tsr_discovery_free(D);
    tsr_index_close(ix);
    if (keep) fprintf(stderr, "discover_roundtrip: index kept in %s\n", ixdir);
    else rm_tree(dir);
    for (int d = 0; d < ndocs; d++) {
        tb_free(&docs[d].t);
        tsr_free(docs[d].tw);
    }
    for (int f = 0; f < nfams; f++) free(fams[f].base.v);
    free(docs);
    free(fams);
    free(doc_of_docno);
    if (failed_n) printf("replay: %s\n", replay);
    printf("%d passed, %d failed\n", passed_n, failed_n);
    return failed_n ? 1 : 0;
}
