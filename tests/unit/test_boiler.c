/*
 * test_boiler.c - boilerplate lines (lib/boiler.c): a footer in every
 * document of a series is found in that series only; a line in two
 * documents is not; normalization (case, spacing, punctuation) does not
 * matter; thresholds and errors.
 */
#include "testhelp.h"
#include "../../lib/common/common.h"

#include <stdio.h>
#include <string.h>

static void test_footer(void)
{
    tsr_boiler *b = NULL;
    CHECK(tsr_boiler_create(1, 0, &b, NULL) == TSR_ERR_INVALID);
    CHECK(tsr_boiler_create(5, 0.3, &b, NULL) == TSR_OK);
    char text[256];
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof text, "Story number %d is about item %d.\n%s\nshared twice %d\n",
                 i, i * 7, i % 2 ? "Discuss this article!" : "DISCUSS   this, article", i / 10);
        CHECK(tsr_boiler_add(b, "site-a", text, strlen(text), NULL) == TSR_OK);
    }
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof text, "Other site story %d.\nDiscuss this article\n", i);
        /* only 3 of site-b's 20 documents hold the footer: under 30% */
        CHECK(tsr_boiler_add(b, "site-b", i < 3 ? text : "plain text only\n",
                             strlen(i < 3 ? text : "plain text only\n"), NULL) == TSR_OK);
    }
    const char *q = "A new story.\r\nDiscuss this article\r\nshared twice 0\r\n";
    tsr_span *sp = NULL;
    size_t n = 0;
    CHECK(tsr_boiler_spans(b, "site-a", q, strlen(q), &sp, &n, NULL) == TSR_OK);
    /* the footer (20 docs) and "shared twice 0" (10 docs >= 5 and 10/20 >= 0.3) */
    CHECK(n == 2);
    if (n == 2) {
        CHECK(sp[0].begin == 14 && sp[0].end == 34);  /* without its \r\n */
        CHECK(memcmp(q + sp[1].begin, "shared twice 0", sp[1].end - sp[1].begin) == 0);
    }
    tsr_free(sp);
    CHECK(tsr_boiler_spans(b, "site-b", q, strlen(q), &sp, &n, NULL) == TSR_OK);
    CHECK(n == 0);
    CHECK(tsr_boiler_spans(b, NULL, q, strlen(q), &sp, &n, NULL) == TSR_OK);
    CHECK(n == 0);
    tsr_boiler_free(b);
    tsr_boiler_free(NULL);

    /* many distinct lines: the table grows */
    CHECK(tsr_boiler_create(2, 0, &b, NULL) == TSR_OK);
    for (int i = 0; i < 20000; i++) {
        snprintf(text, sizeof text, "line %d\nline %d\n", i, i / 2);
        CHECK(tsr_boiler_add(b, NULL, text, strlen(text), NULL) == TSR_OK);
    }
    CHECK(tsr_boiler_spans(b, NULL, "line 6\nline 19999\n", 18, &sp, &n, NULL) == TSR_OK);
    /* "line 6": docs 6, 12, 13 -> 3; "line 19999": 1 doc */
    CHECK(n == 1 && sp && sp[0].begin == 0 && sp[0].end == 6);
    tsr_free(sp);
    CHECK(tsr_boiler_add(b, NULL, "\xff", 1, NULL) == TSR_ERR_UTF8);
    tsr_boiler_free(b);
}

int main(void)
{
    RUN(test_footer);
    return test_report();
}
