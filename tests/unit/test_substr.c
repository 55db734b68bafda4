/*
 * test_substr.c - exact repeated substrings (lib/substr.c).
 *
 *   - on random texts over a small alphabet (many repeats), the spans equal
 *     a brute-force answer: position i is covered when some j < i (in the
 *     concatenation, never across a document end) shares a prefix of at
 *     least min_bytes with i that reaches over it;
 *   - the first occurrence of a repeated sentence is kept, later ones are
 *     spans; cutting keeps whole sentences and lines only;
 *   - errors: a min length below 8, spans before run.
 */
#include "testhelp.h"
#include "../../lib/common/common.h"

#include <stdlib.h>
#include <string.h>

static uint64_t st = 7;
static unsigned rnd(unsigned n)
{
    st = st * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((st >> 33) % n);
}

static void test_bruteforce(void)
{
    for (int round = 0; round < 200; round++) {
        size_t nd = 1 + rnd(5), minb = 8 + rnd(4);
        char docs[5][200];
        size_t len[5];
        tsr_substr *s = NULL;
        CHECK(tsr_substr_create(minb, &s, NULL) == TSR_OK);
        for (size_t d = 0; d < nd; d++) {
            len[d] = rnd(120);
            for (size_t i = 0; i < len[d]; i++) docs[d][i] = (char)('a' + rnd(2 + round % 3));
            CHECK(tsr_substr_add(s, docs[d], len[d], NULL) == TSR_OK);
        }
        CHECK(tsr_substr_run(s, NULL) == TSR_OK);
        /* brute force over all earlier positions */
        for (size_t d = 0; d < nd; d++) {
            unsigned char cover[200] = { 0 };
            for (size_t i = 0; i < len[d]; i++) {
                size_t best = 0;
                for (size_t e = 0; e <= d; e++) {
                    size_t lim = e == d ? i : len[e];
                    for (size_t j = 0; j < lim; j++) {
                        size_t k = 0;
                        while (i + k < len[d] && j + k < len[e] && docs[d][i + k] == docs[e][j + k]) k++;
                        if (k > best) best = k;
                    }
                }
                if (best >= minb)
                    for (size_t k = i; k < i + best; k++) cover[k] = 1;
            }
            tsr_span *sp = NULL;
            size_t n = 0;
            CHECK(tsr_substr_spans(s, d, 0, &sp, &n, NULL) == TSR_OK);
            unsigned char got[200] = { 0 };
            for (size_t k = 0; k < n; k++) {
                CHECK(sp[k].begin < sp[k].end && sp[k].end <= len[d]);
                if (k) CHECK(sp[k].begin > sp[k - 1].end);
                for (size_t x = sp[k].begin; x < sp[k].end && x < 200; x++) got[x] = 1;
            }
            CHECK(memcmp(cover, got, 200) == 0);
            tsr_free(sp);
        }
        tsr_substr_free(s);
    }
}

static void test_sentences(void)
{
    const char *a = "The first sentence is here. A repeated sentence of some length follows it.\n"
                    "Last line of A.";
    const char *b = "Other words start B. A repeated sentence of some length follows it. End of B "
                    "with a tail: and a repeated sentence of some length";
    tsr_substr *s = NULL;
    CHECK(tsr_substr_create(30, &s, NULL) == TSR_OK);
    CHECK(tsr_substr_add(s, a, strlen(a), NULL) == TSR_OK);
    CHECK(tsr_substr_add(s, b, strlen(b), NULL) == TSR_OK);
    CHECK(tsr_substr_count(s) == 2);
    CHECK(tsr_substr_bytes(s) == strlen(a) + strlen(b) + 2);
    tsr_span *sp = NULL;
    size_t n = 0;
    CHECK(tsr_substr_spans(s, 0, 0, &sp, &n, NULL) == TSR_ERR_INVALID);
    CHECK(tsr_substr_run(s, NULL) == TSR_OK);
    CHECK(tsr_substr_spans(s, 0, 0, &sp, &n, NULL) == TSR_OK && n == 0);
    CHECK(tsr_substr_spans(s, 1, 0, &sp, &n, NULL) == TSR_OK);
    CHECK(n == 2);
    tsr_free(sp);
    CHECK(tsr_substr_spans(s, 1, 1, &sp, &n, NULL) == TSR_OK);
    /* cut: only the whole sentence; the tail fragment has no sentence end */
    CHECK(n == 1);
    if (n == 1) {
        const char *want = "A repeated sentence of some length follows it.";
        CHECK(sp[0].end - sp[0].begin == strlen(want));
        CHECK(memcmp(b + sp[0].begin, want, strlen(want)) == 0);
    }
    tsr_free(sp);
    CHECK(tsr_substr_spans(s, 2, 1, &sp, &n, NULL) == TSR_ERR_INVALID);
    CHECK(tsr_substr_add(s, a, 3, NULL) == TSR_ERR_INVALID); /* after run */
    tsr_substr_reset(s);
    CHECK(tsr_substr_count(s) == 0);
    /* lines: a repeated line is cut at its line breaks */
    const char *c = "header line one\nrepeated footer line, all of it\nend";
    const char *d = "something else\nrepeated footer line, all of it\nmore";
    CHECK(tsr_substr_add(s, c, strlen(c), NULL) == TSR_OK);
    CHECK(tsr_substr_add(s, d, strlen(d), NULL) == TSR_OK);
    CHECK(tsr_substr_run(s, NULL) == TSR_OK);
    CHECK(tsr_substr_spans(s, 1, 1, &sp, &n, NULL) == TSR_OK && n == 1);
    if (n == 1)
        CHECK(strncmp(d + sp[0].begin, "repeated footer line, all of it\n",
                      sp[0].end - sp[0].begin) == 0 &&
              sp[0].end - sp[0].begin == strlen("repeated footer line, all of it\n"));
    tsr_free(sp);
    tsr_substr_free(s);
    CHECK(tsr_substr_create(4, &s, NULL) == TSR_ERR_INVALID);
    tsr_substr_free(NULL);
    /* an empty shard runs */
    CHECK(tsr_substr_create(8, &s, NULL) == TSR_OK);
    CHECK(tsr_substr_run(s, NULL) == TSR_OK);
    tsr_substr_free(s);
}

int main(void)
{
    RUN(test_bruteforce);
    RUN(test_sentences);
    return test_report();
}
