/*
 * test_json.c - tsr_result_json against jansson's own serializer.
 *
 * tsr_result_json writes its text directly (lib/json.c); doc/json.md and
 * every golden file were made when it went through jansson.  For results
 * with awkward strings and numbers, its output is parsed with jansson and
 * dumped again with the flags it stands for (compact, or indent 2; reals
 * with 6 digits): the two texts must be the same bytes.
 */
#include "tessera.h"
#include "testhelp.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The jansson text of the value that `s` holds, with the flags that
 * tsr_result_json's `flags` stand for. */
static char *redump(const char *s, unsigned flags)
{
    json_error_t je;
    json_t *v = json_loads(s, 0, &je);
    if (!v) {
        fprintf(stderr, "not JSON: %s: %.200s\n", je.text, s);
        return NULL;
    }
    size_t f = JSON_REAL_PRECISION(6) | ((flags & TSR_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT);
    char *d = json_dumps(v, f);
    json_decref(v);
    return d;
}

static int same_as_jansson(const tsr_result *r)
{
    int ok = 1;
    for (unsigned flags = 0; flags <= TSR_JSON_PRETTY; flags++) {
        char *mine = tsr_result_json(r, flags);
        char *theirs = mine ? redump(mine, flags) : NULL;
        if (!mine || !theirs || strcmp(mine, theirs)) {
            ok = 0;
            fprintf(stderr, "differs (flags %u):\n  ours:    %.300s\n  jansson: %.300s\n",
                    flags, mine ? mine : "(null)", theirs ? theirs : "(null)");
        }
        tsr_free(mine);
        free(theirs);
    }
    return ok;
}

static const char *A =
    "The quick brown fox jumps over the lazy dog near the riverbank today. "
    "Reporters said the council would vote on the new budget next week, after "
    "months of debate about schools and roads. The quick brown fox jumps over "
    "the lazy dog near the riverbank today.";
static const char *B =
    "Other words first. Reporters said the council would vote on the new "
    "budget next week, after months of debate about schools and roads. The end.";

static void test_result_json(void)
{
    tsr_result *r = NULL;
    tsr_params p;
    tsr_params_default(&p);
    p.min_words = 8;
    CHECK(tsr_align(A, strlen(A), B, strlen(B), &p, &r, NULL) == TSR_OK);
    if (!r)
        return;
    CHECK(r->n_passages > 0 && r->n_repeats > 0);
    CHECK(same_as_jansson(r));

    /* strings that need escaping, Unicode, and absent fields */
    static const char *ids[] = {
        "plain", "quote \" and backslash \\ and slash /", "tab\tnew\nline\rcr\bbs\fff",
        "ctl \x01\x1f\x7f end", "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80", "",
    };
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        CHECK(tsr_result_set_source(r, 0, ids[i], i % 2 ? NULL : ids[i], i % 3 ? ids[i] : NULL,
                                    NULL) == TSR_OK);
        CHECK(same_as_jansson(r));
    }

    /* reals: whole numbers, small ones (exponents), many digits */
    static const double reals[] = { 1.0, 0.0, 0.5, 1e-5, 0.000123456789, 0.123456789,
                                    123456789.0, 2.5e-12, 0.1 + 0.2, 99999.95 };
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) {
        r->coverage = reals[i];
        r->passages[0].similarity = reals[(i + 3) % (sizeof reals / sizeof *reals)];
        CHECK(same_as_jansson(r));
    }

    /* empty containers */
    tsr_result *e = NULL;
    CHECK(tsr_align("", 0, B, strlen(B), &p, &e, NULL) == TSR_OK);
    if (e) {
        CHECK(e->n_passages == 0);
        CHECK(same_as_jansson(e));
        char *s = tsr_result_json(e, 0);
        CHECK(s && strstr(s, "\"passages\":[]") && strstr(s, "\"boilerplate\":[]"));
        tsr_free(s);
    }
    tsr_result_free(e);

    /* bytes that are not UTF-8 come out as U+FFFD: still valid JSON */
    CHECK(tsr_result_set_source(r, 0, "bad \xff\xc3 x \xe4\xb8", NULL, NULL, NULL) == TSR_OK);
    char *s = tsr_result_json(r, 0);
    json_t *v = s ? json_loads(s, 0, NULL) : NULL;
    CHECK(v != NULL);
    CHECK(s && strstr(s, "\"bad \xef\xbf\xbd\xef\xbf\xbd x \xef\xbf\xbd\xef\xbf\xbd\""));
    json_decref(v);
    tsr_free(s);
    tsr_result_free(r);
}

int main(void)
{
    RUN(test_result_json);
    return test_report();
}
