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

/* A code-point offset's byte offset in `s` (the inverse of tsr_utf8_chars). */
static size_t byte_of_char(const char *s, size_t chars)
{
    size_t b = 0;
    for (size_t n = 0; s[b] && n < chars; n++)
        for (b++; ((unsigned char)s[b] & 0xC0) == 0x80; b++) {}
    return b;
}

/* tsr_result_json_ex: offsets in code points name the same spans as the
 * bytes, with "£" (2 bytes), "é" (2) and "€" (3) before the passages on
 * both sides; the text written is the span's; fields are echoed. */
static void test_result_json_ex(void)
{
    static const char *A2 =
        "Prix: 12 \xc2\xa3, caf\xc3\xa9 cr\xc3\xa8me \xe2\x82\xac\xe2\x82\xac. "
        "Reporters said the council would vote on the new budget next week, after "
        "months of debate about schools and roads.";
    static const char *B2 =
        "\xc3\xa9t\xc3\xa9 \xc2\xa3\xc2\xa3\xc2\xa3 d\xc3\xa9j\xc3\xa0 vu. Reporters said "
        "the council would vote on the new budget next week, after months of debate "
        "about schools and roads. Fin.";
    tsr_params p;
    tsr_params_default(&p);
    p.min_words = 8;
    tsr_result *r = NULL;
    CHECK(tsr_align(A2, strlen(A2), B2, strlen(B2), &p, &r, NULL) == TSR_OK);
    if (!r) return;
    CHECK(r->n_passages == 1);
    if (r->n_passages != 1) { tsr_result_free(r); return; }
    const tsr_passage *ps = &r->passages[0];
    CHECK(tsr_utf8_chars(A2, ps->a_begin) < ps->a_begin);   /* multibyte before it */
    CHECK(tsr_utf8_chars(B2, ps->b_begin) < ps->b_begin);

    const char *srcs[1] = { B2 };
    const size_t lens[1] = { strlen(B2) };
    const char *fields[1] = { "{\"url\":\"http://x/\\u00e9\",\"n\":[1,2.5,true,null]}" };
    tsr_json_opts o = { TSR_JSON_TEXT | TSR_JSON_CHARS, A2, strlen(A2), srcs, lens, fields };
    char *s = NULL;
    tsr_error e = { 0 };
    CHECK(tsr_result_json_ex(r, &o, &s, &e) == TSR_OK);
    json_t *v = s ? json_loads(s, 0, NULL) : NULL;
    CHECK(v != NULL);
    json_t *pj = json_array_get(json_object_get(v, "passages"), 0);
    json_t *sj = json_object_get(pj, "source");
    size_t ab = (size_t)json_integer_value(json_object_get(pj, "begin"));
    size_t ae = (size_t)json_integer_value(json_object_get(pj, "end"));
    size_t bb = (size_t)json_integer_value(json_object_get(sj, "begin"));
    size_t be = (size_t)json_integer_value(json_object_get(sj, "end"));
    CHECK(byte_of_char(A2, ab) == ps->a_begin && byte_of_char(A2, ae) == ps->a_end);
    CHECK(byte_of_char(B2, bb) == ps->b_begin && byte_of_char(B2, be) == ps->b_end);
    const char *at = json_string_value(json_object_get(pj, "text"));
    const char *bt = json_string_value(json_object_get(sj, "text"));
    CHECK(at && strlen(at) == ps->a_end - ps->a_begin &&
          !memcmp(at, A2 + ps->a_begin, strlen(at)));
    CHECK(bt && strlen(bt) == ps->b_end - ps->b_begin &&
          !memcmp(bt, B2 + ps->b_begin, strlen(bt)));
    json_t *f = json_object_get(sj, "fields");
    CHECK(f && !strcmp(json_string_value(json_object_get(f, "url")), "http://x/\xc3\xa9"));
    CHECK(json_array_size(json_object_get(f, "n")) == 4);
    CHECK(json_object_get(json_array_get(json_object_get(v, "sources"), 0), "fields") != NULL);
    json_decref(v);
    /* the same bytes as jansson writes them, compact and pretty */
    for (unsigned pretty = 0; pretty <= 1; pretty++) {
        char *t = NULL;
        o.flags = TSR_JSON_TEXT | TSR_JSON_CHARS | pretty;
        CHECK(tsr_result_json_ex(r, &o, &t, &e) == TSR_OK);
        char *d = t ? redump(t, pretty) : NULL;
        CHECK(t && d && !strcmp(t, d));
        tsr_free(t);
        free(d);
    }
    tsr_free(s);

    /* no flags, no fields: what tsr_result_json writes */
    tsr_json_opts plain = { 0, NULL, 0, NULL, NULL, NULL };
    char *x = NULL, *y = tsr_result_json(r, 0);
    CHECK(tsr_result_json_ex(r, &plain, &x, &e) == TSR_OK && x && y && !strcmp(x, y));
    tsr_free(x);
    tsr_free(y);

    /* texts missing, too short, fields not an object: refused */
    tsr_json_opts bad = o;
    bad.text = NULL;
    CHECK(tsr_result_json_ex(r, &bad, &x, &e) == TSR_ERR_INVALID && !x);
    bad = o;
    bad.source_texts = NULL;
    CHECK(tsr_result_json_ex(r, &bad, &x, &e) == TSR_ERR_INVALID && !x);
    bad = o;
    bad.text_len = ps->a_end - 1;
    CHECK(tsr_result_json_ex(r, &bad, &x, &e) == TSR_ERR_INVALID && !x);
    const char *notobj[1] = { "[1]" };
    bad = o;
    bad.source_fields = notobj;
    CHECK(tsr_result_json_ex(r, &bad, &x, &e) == TSR_ERR_INVALID && !x);

    /* tsr_utf8_chars counts lead bytes */
    CHECK(tsr_utf8_chars("\xc2\xa3" "a\xe2\x82\xac", 6) == 3);
    CHECK(tsr_utf8_chars("\xc2\xa3", 1) == 1 && tsr_utf8_chars("", 0) == 0);
    tsr_result_free(r);
}

/* tsr_document_fields: a list in its order, null for what is missing, the
 * document's own fields by name; "all"; bad lists refused. */
static void test_document_fields(void)
{
    tsr_document d = { 0 };
    d.id = "d1";
    d.title = "T\xc3\xaftle";
    d.meta_json = "{\"lang\":\"fr\",\"n\":3,\"url\":\"http://e.x/1\"}";
    char *s = NULL;
    CHECK(tsr_document_fields(&d, "url,title,date,nope,n", &s, NULL) == TSR_OK);
    CHECK(s && !strcmp(s, "{\"url\":\"http://e.x/1\",\"title\":\"T\xc3\xaftle\","
                          "\"date\":null,\"nope\":null,\"n\":3}"));
    tsr_free(s);
    CHECK(tsr_document_fields(&d, "all", &s, NULL) == TSR_OK);
    CHECK(s && !strcmp(s, d.meta_json));
    tsr_free(s);
    d.meta_json = NULL;
    CHECK(tsr_document_fields(&d, "all", &s, NULL) == TSR_OK && s && !strcmp(s, "{}"));
    tsr_free(s);
    CHECK(tsr_document_fields(&d, "url", &s, NULL) == TSR_OK && s && !strcmp(s, "{\"url\":null}"));
    tsr_free(s);
    static const char *bad[] = { "", ",", "url,", ",url", "url,,title" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s = (char *)1;
        CHECK(tsr_document_fields(&d, bad[i], &s, NULL) == TSR_ERR_INVALID && !s);
    }
}

/* tsr_json_string: RFC 8259 escapes, bad bytes as U+FFFD, a NUL kept as
 * \u0000 (the length is given), NULL as "". */
static void test_json_string(void)
{
    const char in[] = "a\"b\\c\x01\n\xff\xc3\xa9\0z";
    char *q = tsr_json_string(in, sizeof in - 1);
    CHECK(q && !strcmp(q, "\"a\\\"b\\\\c\\u0001\\n\xef\xbf\xbd\xc3\xa9\\u0000z\""));
    json_error_t je;
    json_t *v = q ? json_loads(q, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je) : NULL;
    CHECK(v && json_is_string(v) && json_string_length(v) == 14);   /* U+FFFD: 3 bytes */
    json_decref(v);
    tsr_free(q);
    q = tsr_json_string(NULL, 0);
    CHECK(q && !strcmp(q, "\"\""));
    tsr_free(q);
}

int main(void)
{
    RUN(test_json_string);
    RUN(test_document_fields);
    RUN(test_result_json);
    RUN(test_result_json_ex);
    return test_report();
}
