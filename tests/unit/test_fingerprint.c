/*
 * test_fingerprint.c - n-gram hashing and winnowing: the guarantee (any
 * shared run of ngram + window - 1 words shares a fingerprint), density,
 * short texts, and known-answer vectors for word and n-gram hashes (the
 * index stores them, so they must never change silently).
 *
 * The vectors live in tests/unit/cases/hash_kat.txt.  To rebuild them after
 * a deliberate change of the hash (which needs a new index format version):
 *   TSR_KAT_WRITE=1 build/tests/test_fingerprint
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tessera.h"
#include "testhelp.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return rng_state;
}

/* n random words of a 5000-word vocabulary, as text */
static char *random_text(size_t n, size_t *len)
{
    char *t = malloc(n * 8 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(t + o, "w%u ", (unsigned)(rnd() % 5000));
    t[o] = 0;
    *len = o;
    return t;
}

static int shares_fingerprint(const char *a, size_t al, const char *b, size_t bl,
                              const tsr_params *p)
{
    tsr_word *wa, *wb;
    size_t na, nb, fa, fb;
    uint64_t *ha, *hb;
    tsr_tokenize(a, al, &wa, &na, NULL);
    tsr_tokenize(b, bl, &wb, &nb, NULL);
    tsr_fingerprints(wa, na, p, &ha, NULL, &fa, NULL);
    tsr_fingerprints(wb, nb, p, &hb, NULL, &fb, NULL);
    int hit = 0;
    for (size_t i = 0; i < fa && !hit; i++)
        for (size_t j = 0; j < fb && !hit; j++)
            hit = ha[i] == hb[j];
    tsr_free(wa); tsr_free(wb); tsr_free(ha); tsr_free(hb);
    return hit;
}

static void test_guarantee(void)
{
    tsr_params p;
    tsr_params_default(&p);
    const size_t K = (size_t)(p.ngram + p.window - 1);
    int all = 1;
    for (int trial = 0; trial < 300; trial++) {
        size_t la, lb, lr;
        char *a = random_text(200, &la), *b = random_text(200, &lb), *run = random_text(K, &lr);
        /* a = prefix + run + suffix, b likewise, at random cut points */
        size_t ca = (size_t)(rnd() % la), cb = (size_t)(rnd() % lb);
        while (ca > 0 && a[ca - 1] != ' ') ca--;
        while (cb > 0 && b[cb - 1] != ' ') cb--;
        char *A = malloc(la + lr + 2), *B = malloc(lb + lr + 2);
        size_t AL = (size_t)sprintf(A, "%.*s%s%s", (int)ca, a, run, a + ca);
        size_t BL = (size_t)sprintf(B, "%.*s%s%s", (int)cb, b, run, b + cb);
        if (!shares_fingerprint(A, AL, B, BL, &p)) all = 0;
        free(a); free(b); free(run); free(A); free(B);
    }
    CHECK(all);
    /* unrelated random texts share nothing (a 5000-word vocabulary makes a
     * shared 4-gram a one-in-10^14 event) */
    size_t la, lb;
    char *a = random_text(500, &la), *b = random_text(500, &lb);
    CHECK(!shares_fingerprint(a, la, b, lb, &p));
    free(a); free(b);
}

static void test_density_and_short(void)
{
    tsr_params p;
    tsr_params_default(&p);
    size_t len;
    char *t = random_text(20000, &len);
    tsr_word *w;
    size_t n, nf;
    uint64_t *fp;
    uint32_t *pos;
    tsr_tokenize(t, len, &w, &n, NULL);
    CHECK(tsr_fingerprints(w, n, &p, &fp, &pos, &nf, NULL) == TSR_OK);
    double d = (double)nf / (double)n, expect = 2.0 / (p.window + 1);
    CHECK(d > expect * 0.85 && d < expect * 1.15);
    int ordered = 1;
    for (size_t i = 1; i < nf; i++) if (pos[i] <= pos[i - 1]) ordered = 0;
    CHECK(ordered);
    tsr_free(fp); tsr_free(pos); tsr_free(w); free(t);

    /* fewer words than an n-gram: one fingerprint; none for no words */
    tsr_tokenize("two words", 9, &w, &n, NULL);
    CHECK(tsr_fingerprints(w, n, &p, &fp, NULL, &nf, NULL) == TSR_OK && nf == 1);
    tsr_free(fp); tsr_free(w);
    CHECK(tsr_fingerprints(NULL, 0, &p, &fp, NULL, &nf, NULL) == TSR_OK && nf == 0 && !fp);
    /* repeated text does not inflate the sample (robust winnowing) */
    const char *rep = "la la la la la la la la la la la la la la la la la la la la";
    tsr_tokenize(rep, strlen(rep), &w, &n, NULL);
    CHECK(tsr_fingerprints(w, n, &p, &fp, NULL, &nf, NULL) == TSR_OK && nf <= 4);
    tsr_free(fp); tsr_free(w);
}

static void test_kat(void)
{
    static const char *const words[] = {
        "the", "Reuters", "café", "CAFÉ", "北", "Straße", "naïve", "1987", "ﬁne", "Ελληνικά",
    };
    const size_t nw = sizeof words / sizeof words[0];
    const char *path = "tests/unit/cases/hash_kat.txt";
    const char *sentence = "The quick brown fox jumps over the lazy dog again and again";
    tsr_params p;
    tsr_params_default(&p);
    uint64_t got[32];
    size_t ng = 0;
    for (size_t i = 0; i < nw; i++) {
        tsr_word *w;
        size_t n;
        tsr_tokenize(words[i], strlen(words[i]), &w, &n, NULL);
        got[ng++] = n == 1 ? w[0].hash : 0;
        tsr_free(w);
    }
    tsr_word *w;
    size_t n, nf;
    uint64_t *fp;
    tsr_tokenize(sentence, strlen(sentence), &w, &n, NULL);
    tsr_fingerprints(w, n, &p, &fp, NULL, &nf, NULL);
    for (size_t i = 0; i < nf && ng < 32; i++) got[ng++] = fp[i];
    tsr_free(fp); tsr_free(w);

    if (getenv("TSR_KAT_WRITE")) {
        FILE *f = fopen(path, "w");
        fprintf(f, "# known-answer vectors: word hashes of the words of test_kat, then the\n"
                   "# fingerprints of its sentence (defaults).  Rebuild: TSR_KAT_WRITE=1 build/tests/test_fingerprint\n");
        for (size_t i = 0; i < ng; i++) fprintf(f, "%016" PRIx64 "\n", got[i]);
        fclose(f);
    }
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[128];
    size_t i = 0;
    int same = 1;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        uint64_t v = strtoull(line, NULL, 16);
        if (i >= ng || got[i] != v) same = 0;
        i++;
    }
    fclose(f);
    CHECK(same && i == ng);
}

int main(void)
{
    RUN(test_guarantee);
    RUN(test_density_and_short);
    RUN(test_kat);
    return test_report();
}
