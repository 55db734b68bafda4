/*
 * test_align.c - tsr_align on hand-made pairs: verbatim, reworded,
 * reordered paragraphs found each on its own, repeats inside a text,
 * unrelated texts, empty texts; and the JSON of a result.
 */
#include <stdlib.h>
#include <string.h>

#include "tessera.h"
#include "testhelp.h"

/* Paragraphs of made-up prose (written for these tests). */
static const char P1[] =
    "The lighthouse keeper climbed the spiral stairs every evening at dusk, "
    "carrying a brass lantern and a notebook in which he recorded the colour "
    "of the sky, the direction of the wind and the names of passing ships.";
static const char P2[] =
    "In the village below, the baker opened his shutters before dawn and "
    "arranged loaves of rye and barley on wooden trays, while the smell of "
    "warm bread drifted along the harbour wall towards the fishing boats.";
static const char P3[] =
    "Every spring the school children planted sunflowers along the old "
    "railway embankment, measuring their growth each week with a yardstick "
    "painted in bright stripes of red and white by the retired stationmaster.";
static const char FILLER[] =
    "Meanwhile an entirely different subject occupied the council, namely "
    "parking permits, the cost of resurfacing roads and complaints about noise.";

static char *cat3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 5;
    char *s = malloc(n);
    snprintf(s, n, "%s\n\n%s\n\n%s", a, b, c);
    return s;
}

static const tsr_passage *find(const tsr_result *r, size_t a_begin, size_t a_end, size_t slack)
{
    for (size_t i = 0; i < r->n_passages; i++) {
        const tsr_passage *p = &r->passages[i];
        if (p->a_begin + slack >= a_begin && p->a_begin <= a_begin + slack &&
            p->a_end + slack >= a_end && p->a_end <= a_end + slack)
            return p;
    }
    return NULL;
}

static void test_verbatim_offsets(void)
{
    char *a = cat3(FILLER, P1, FILLER), *b = cat3(P2, P1, P3);
    tsr_result *r = NULL;
    CHECK(tsr_align(a, strlen(a), b, strlen(b), NULL, &r, NULL) == TSR_OK);
    size_t ab = strlen(FILLER) + 2, bb = strlen(P2) + 2;
    /* ends at the last word: "ships", before the final '.' */
    const tsr_passage *p = find(r, ab, ab + strlen(P1) - 1, 0);
    CHECK(r->n_passages == 1 && p != NULL);
    if (p) {
        CHECK(p->b_begin == bb && p->b_end == bb + strlen(P1) - 1);
        CHECK(p->similarity == 1.0 && p->a_words == p->b_words && p->matches == p->a_words);
    }
    CHECK(r->n_sources == 1 && r->coverage > 0.3 && r->coverage < 0.6);
    tsr_result_free(r);
    free(a);
    free(b);
}

static void test_reordered_paragraphs(void)
{
    /* B has P1 P2 P3; A has them reversed, with other text between: each
     * paragraph is found on its own, wherever it moved */
    size_t n = strlen(P1) + strlen(P2) + strlen(P3) + 2 * strlen(FILLER) + 16;
    char *a = malloc(n);
    snprintf(a, n, "%s\n\n%s\n\n%s\n\n%s\n\n%s", P3, FILLER, P2, FILLER, P1);
    char *b = cat3(P1, P2, P3);
    tsr_result *r = NULL;
    CHECK(tsr_align(a, strlen(a), b, strlen(b), NULL, &r, NULL) == TSR_OK);
    CHECK(r->n_passages == 3);
    size_t at3 = 0, at2 = strlen(P3) + strlen(FILLER) + 4;
    size_t at1 = at2 + strlen(P2) + strlen(FILLER) + 4;
    const tsr_passage *p3 = find(r, at3, at3 + strlen(P3) - 1, 0);
    const tsr_passage *p2 = find(r, at2, at2 + strlen(P2) - 1, 0);
    const tsr_passage *p1 = find(r, at1, at1 + strlen(P1) - 1, 0);
    CHECK(p1 && p2 && p3);
    if (p1 && p2 && p3) {
        CHECK(p1->b_begin == 0);
        CHECK(p2->b_begin == strlen(P1) + 2);
        CHECK(p3->b_begin == strlen(P1) + strlen(P2) + 4);
    }
    tsr_result_free(r);
    /* in the same order with an unrelated sentence between, they are two
     * passages: P1 F P2 against P1 P2 (a passage does not carry text the
     * source lacks) */
    snprintf(a, n, "%s\n\n%s\n\n%s", P1, FILLER, P2);
    CHECK(tsr_align(a, strlen(a), b, strlen(b), NULL, &r, NULL) == TSR_OK);
    const size_t f2 = strlen(P1) + strlen(FILLER) + 4;
    CHECK(r->n_passages == 2 && find(r, 0, strlen(P1) - 1, 0) != NULL &&
          find(r, f2, f2 + strlen(P2) - 1, 0) != NULL);
    tsr_result_free(r);
    free(a);
    free(b);
}

static void test_reworded(void)
{
    /* P1 with words swapped, replaced, inserted and deleted */
    const char *rw =
        "The lighthouse keeper climbed the spiral staircase each evening at dusk, "
        "carrying a brass lamp and a small notebook in which he noted the colour "
        "of the sky, the wind direction and the names of all passing ships.";
    tsr_result *r = NULL;
    CHECK(tsr_align(rw, strlen(rw), P1, strlen(P1), NULL, &r, NULL) == TSR_OK);
    CHECK(r->n_passages == 1);
    if (r->n_passages == 1) {
        CHECK(r->passages[0].a_begin == 0 && r->passages[0].b_begin == 0);
        CHECK(r->passages[0].similarity > 0.7 && r->passages[0].similarity < 1.0);
    }
    tsr_result_free(r);
}

static void test_unrelated_empty_repeats(void)
{
    tsr_result *r = NULL;
    CHECK(tsr_align(P1, strlen(P1), P2, strlen(P2), NULL, &r, NULL) == TSR_OK);
    CHECK(r->n_passages == 0 && r->coverage == 0.0 && r->n_repeats == 0);
    tsr_result_free(r);
    CHECK(tsr_align("", 0, P2, strlen(P2), NULL, &r, NULL) == TSR_OK);
    CHECK(r->n_passages == 0 && r->text_bytes == 0 && r->coverage == 0.0);
    tsr_result_free(r);
    /* a paragraph said twice inside one text */
    char *a = cat3(P2, FILLER, P2);
    CHECK(tsr_align(a, strlen(a), "", 0, NULL, &r, NULL) == TSR_OK);
    CHECK(r->n_repeats == 1);
    if (r->n_repeats == 1) {
        CHECK(r->repeats[0].first_begin == 0);
        CHECK(r->repeats[0].begin == strlen(P2) + strlen(FILLER) + 4);
    }
    tsr_result_free(r);
    free(a);
    /* bad input names the text and the byte */
    tsr_error e;
    CHECK(tsr_align("ok\xff", 3, P1, strlen(P1), NULL, &r, &e) == TSR_ERR_UTF8 && r == NULL);
    CHECK(strstr(e.message, "first text") && strstr(e.message, "byte 2"));
    CHECK(tsr_align(P1, strlen(P1), "a\0b", 3, NULL, &r, &e) == TSR_ERR_NUL);
    CHECK(strstr(e.message, "second text") != NULL);
    tsr_params p;
    tsr_params_default(&p);
    p.allow_nul = 1;
    CHECK(tsr_align(P1, strlen(P1), "a\0b", 3, &p, &r, &e) == TSR_OK);
    tsr_result_free(r);
}

static void test_json(void)
{
    char *a = cat3(FILLER, P1, FILLER);
    tsr_result *r = NULL;
    CHECK(tsr_align(a, strlen(a), P1, strlen(P1), NULL, &r, NULL) == TSR_OK);
    CHECK(tsr_result_set_source(r, 0, "p1 \"quoted\"", "Title", NULL, NULL) == TSR_OK);
    CHECK(tsr_result_set_source(r, 5, "x", NULL, NULL, NULL) == TSR_ERR_INVALID);
    char *j = tsr_result_json(r, 0);
    CHECK(j != NULL);
    if (j) {
        /* documented keys, in the documented order */
        const char *k1 = strstr(j, "\"passages\""), *k2 = strstr(j, "\"coverage\"");
        const char *k3 = strstr(j, "\"sources\""), *k4 = strstr(j, "\"repeats\"");
        const char *k5 = strstr(j, "\"boilerplate\":[");
        CHECK(k1 == j + 1 && k2 && k3 && k4 && k5 && k1 < k2 && k2 < k3 && k3 < k4 && k4 < k5);
        CHECK(strstr(j, "\"id\":\"p1 \\\"quoted\\\"\"") != NULL);
        CHECK(strstr(j, "\"similarity\":1.0") != NULL);
        CHECK(strchr(j, '\n') == NULL);
        tsr_free(j);
    }
    j = tsr_result_json(r, TSR_JSON_PRETTY);
    CHECK(j && strchr(j, '\n'));
    tsr_free(j);
    tsr_result_free(r);
    tsr_result_free(NULL);
    free(a);
}

int main(void)
{
    RUN(test_verbatim_offsets);
    RUN(test_reordered_paragraphs);
    RUN(test_reworded);
    RUN(test_unrelated_empty_repeats);
    RUN(test_json);
    return test_report();
}
