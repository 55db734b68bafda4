/*
 * test_jsonl.c - unit tests of the two paths of the JSON Lines parser
 * (lib/reader.c, "TWO PATHS"): the fast path takes plain records and gives
 * exactly jansson's document; everything else it declines, and jansson
 * answers with the same documents, errors and messages as before.
 *
 * Each line is parsed three ways (rd_parse_jsonl, lib/reader.h): the fast
 * path alone, jansson alone, and both, as tsr_parse_jsonl and the reader
 * do.  Every line lives in a buffer of exactly its length, so that a read
 * past it shows in the sanitizer build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "tessera.h"
#include "testhelp.h"

/* ------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_doc(const tsr_docinfo *a, const tsr_docinfo *b)
{
    return same_str(a->id, b->id) && same_str(a->title, b->title) &&
           same_str(a->date, b->date) && same_str(a->series, b->series) &&
           same_str(a->meta_json, b->meta_json) && a->text_len == b->text_len &&
           memcmp(a->text, b->text, a->text_len) == 0;
}

/* One line parsed three ways.  `both` is what tsr_parse_jsonl gives. */
typedef struct three {
    int rc_fast, rc_slow, rc_both;
    tsr_jsonl_doc *fast, *slow, *both;
    tsr_error e_slow, e_both;
} three;

static void parse3(const tsr_reader_opts *o, const char *s, size_t len, three *t)
{
    char *line = malloc(len ? len : 1); /* exactly the line: no NUL after it */
    memcpy(line, s, len);
    tsr_error ef;
    memset(t, 0, sizeof *t);
    t->rc_fast = rd_parse_jsonl(o, RD_PATH_FAST, line, len, "f.jsonl", 3, &t->fast, &ef);
    t->rc_slow = rd_parse_jsonl(o, RD_PATH_JANSSON, line, len, "f.jsonl", 3, &t->slow,
                                &t->e_slow);
    t->rc_both = tsr_parse_jsonl(o, line, len, "f.jsonl", 3, &t->both, &t->e_both);
    free(line); /* the documents own their strings */
}

static void free3(three *t)
{
    tsr_jsonl_doc_free(t->fast);
    tsr_jsonl_doc_free(t->slow);
    tsr_jsonl_doc_free(t->both);
}

/* A plain record: the fast path takes it, and its document is jansson's. */
static int fast_same(const tsr_reader_opts *o, const char *s, size_t len)
{
    three t;
    parse3(o, s, len, &t);
    int ok = t.rc_fast == TSR_OK && t.fast && rd_jsonl_doc_fast(t.fast) &&
             t.rc_slow == TSR_OK && t.slow && !rd_jsonl_doc_fast(t.slow) &&
             t.rc_both == TSR_OK && t.both && rd_jsonl_doc_fast(t.both) &&
             same_doc(&t.fast->doc, &t.slow->doc) && same_doc(&t.both->doc, &t.slow->doc) &&
             !t.fast->doc.meta_json;
    if (!ok)
        fprintf(stderr, "  not taken, or not jansson's: %.*s\n", (int)len, s);
    free3(&t);
    return ok;
}

/* A line the fast path declines: jansson's answer, document or error, the
 * same with both paths as with jansson alone. */
static int declined_same(const tsr_reader_opts *o, const char *s, size_t len)
{
    three t;
    parse3(o, s, len, &t);
    int ok = t.rc_fast == TSR_OK && !t.fast && t.rc_both == t.rc_slow;
    if (ok && t.rc_slow == TSR_OK)
        ok = t.both && t.slow && !rd_jsonl_doc_fast(t.both) &&
             same_doc(&t.both->doc, &t.slow->doc);
    else if (ok)
        ok = !t.both && t.e_both.code == t.e_slow.code &&
             strcmp(t.e_both.message, t.e_slow.message) == 0;
    if (!ok)
        fprintf(stderr, "  taken, or not jansson's answer: %.*s\n", (int)len, s);
    free3(&t);
    return ok;
}

#define FAST(s) fast_same(NULL, s, sizeof s - 1)
#define DECLINED(s) declined_same(NULL, s, sizeof s - 1)

/* declined_same of each of n lines (NUL-terminated); how many were not. */
static int declined_all(const char *const *lines, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += !declined_same(NULL, lines[i], strlen(lines[i]));
    return bad;
}
#define DECLINED_ALL(a) declined_all(a, sizeof a / sizeof *a)

/* tsr_parse_jsonl of a line: its document (free it), or NULL with *rc and
 * the message in e. */
static tsr_jsonl_doc *parse(const tsr_reader_opts *o, const char *s, size_t len, int *rc,
                            tsr_error *e)
{
    tsr_jsonl_doc *d = NULL;
    *rc = tsr_parse_jsonl(o, s, len, "f.jsonl", 3, &d, e);
    return d;
}

/* ------------------------------------------------------------------------
 * Plain records: the fast path
 * --------------------------------------------------------------------- */

static void test_plain(void)
{
    CHECK(FAST("{\"id\":\"a\",\"text\":\"alpha beta\"}"));
    CHECK(FAST("{\"id\":\"a\",\"text\":\"alpha\",\"title\":\"A\",\"date\":\"2024-01-02\","
               "\"series\":\"s\"}"));
    CHECK(FAST("{\"id\":\"a\",\"text\":\"\"}")); /* empty text: a document */
    /* keys in any order */
    CHECK(FAST("{\"series\":\"s\",\"date\":\"d\",\"text\":\"t\",\"title\":\"h\",\"id\":\"i\"}"));
    /* whitespace everywhere JSON allows it, none where it does not */
    CHECK(FAST(" \t{ \"id\" :\"a\" ,\r\n\"text\"\t:\n\"b c\" , \"title\" : null }\t \r\n"));
    /* raw UTF-8, of every length */
    CHECK(FAST("{\"id\":\"\xC3\xA9\",\"text\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 "
               "\xF4\x8F\xBF\xBF\"}"));
    /* long plain runs, and a quote or escape at every offset of a word */
    CHECK(FAST("{\"id\":\"a\",\"text\":\"0123456789abcdef0123456789abcdef\\\"0123456\\\\"
               "89abcdef\\n\\n0123456789abcdef\\u00e90123456789abcde\"}"));

    tsr_jsonl_doc *d;
    int rc;
    tsr_error e;
    static const char nt[] = "{\"id\":\"a\",\"text\":\"x\",\"title\":null}";
    d = parse(NULL, nt, sizeof nt - 1, &rc, &e);
    CHECK(d && rd_jsonl_doc_fast(d) && d->doc.title == NULL && d->doc.date == NULL);
    CHECK(d && d->doc.text[d->doc.text_len] == 0 && d->doc.meta_json == NULL);
    tsr_jsonl_doc_free(d);
}

static void test_escapes(void)
{
    static const char line[] =
        "{\"id\":\"e\",\"text\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t u\\u00e9\\u20AC "
        "p\\ud83d\\ude00\\uD83D\\uDE00 z\\u0000z a\\u0041\"}";
    static const char want[] = "q\" b\\ s/ \b\f\n\r\t u\xC3\xA9\xE2\x82\xAC "
                               "p\xF0\x9F\x98\x80\xF0\x9F\x98\x80 z z aA";
    CHECK(fast_same(NULL, line, sizeof line - 1));
    int rc;
    tsr_error e;
    tsr_jsonl_doc *d = parse(NULL, line, sizeof line - 1, &rc, &e);
    CHECK(d && rd_jsonl_doc_fast(d));
    CHECK(d && d->doc.text_len == sizeof want - 1 && memcmp(d->doc.text, want, sizeof want - 1) == 0);
    tsr_jsonl_doc_free(d);

    /* the edges of each range: U+007F, U+0080, U+07FF, U+0800, U+FFFF,
     * U+10000, U+10FFFF, in both cases of hex */
    CHECK(FAST("{\"id\":\"\\u007f\\u0080\\u07FF\\u0800\\uffff\",\"text\":"
               "\"\\ud800\\udc00\\uDBFF\\uDFFF\\ud7ff\\ue000\"}"));
    /* escapes in the id, title, date and series too */
    CHECK(FAST("{\"id\":\"a\\tb\",\"text\":\"x\",\"title\":\"\\\"T\\\"\",\"date\":\"\\/\","
               "\"series\":\"\\u00e9\"}"));
}

static void test_integers(void)
{
    static const struct { const char *line, *id; } c[] = {
        { "{\"id\":0,\"text\":\"x\"}", "0" },
        { "{\"id\":-0,\"text\":\"x\"}", "0" },
        { "{\"id\":7,\"text\":\"x\"}", "7" },
        { "{\"id\":-42,\"text\":\"x\"}", "-42" },
        { "{\"id\":123456789012345678,\"text\":\"x\"}", "123456789012345678" },
        { "{\"id\":-999999999999999999,\"text\":\"x\"}", "-999999999999999999" },
        { "{\"id\": 12 ,\"text\":\"x\"}", "12" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        CHECK(fast_same(NULL, c[i].line, strlen(c[i].line)));
        int rc;
        tsr_error e;
        tsr_jsonl_doc *d = parse(NULL, c[i].line, strlen(c[i].line), &rc, &e);
        CHECK(d && strcmp(d->doc.id, c[i].id) == 0);
        tsr_jsonl_doc_free(d);
    }
    CHECK(FAST("{\"id\":\"a\",\"text\":\"x\",\"title\":1,\"date\":1890,\"series\":-3}"));
    /* 19 digits and more, reals, exponents: jansson's */
    static const char *const declined[] = {
        "{\"id\":1234567890123456789,\"text\":\"x\"}",
        "{\"id\":9223372036854775807,\"text\":\"x\"}",
        "{\"id\":-9223372036854775808,\"text\":\"x\"}",
        "{\"id\":9223372036854775808,\"text\":\"x\"}",  /* too big */
        "{\"id\":99999999999999999999,\"text\":\"x\"}",
        "{\"id\":1.5,\"text\":\"x\"}",
        "{\"id\":1e3,\"text\":\"x\"}",
        "{\"id\":1E3,\"text\":\"x\"}",
        "{\"id\":1.,\"text\":\"x\"}",
        "{\"id\":01,\"text\":\"x\"}",
        "{\"id\":-,\"text\":\"x\"}",
        "{\"id\":+1,\"text\":\"x\"}",
        "{\"id\":1x,\"text\":\"x\"}",
        "{\"id\":1 2,\"text\":\"x\"}",
    };
    CHECK(DECLINED_ALL(declined) == 0);
}

/* Field names from the options: custom ones, and one key naming two
 * fields (as jansson's lookup of each name finds it). */
static void test_field_names(void)
{
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.id_field = "n";
    o.text_field = "body";
    static const char a[] = "{\"n\":5,\"body\":\"x y\",\"title\":\"t\"}";
    CHECK(fast_same(&o, a, sizeof a - 1));
    static const char b[] = "{\"id\":5,\"text\":\"x y\"}"; /* not the names now */
    CHECK(declined_same(&o, b, sizeof b - 1));

    o.title_field = "body";  /* the title is the text ... */
    o.series_field = "n";    /* ... and the series the id */
    static const char c[] = "{\"n\":5,\"body\":\"x\\u0000y\"}";
    CHECK(fast_same(&o, c, sizeof c - 1));
    int rc;
    tsr_error e;
    tsr_jsonl_doc *d = parse(&o, c, sizeof c - 1, &rc, &e);
    /* the title is the text with its NUL made a space, as jansson's is */
    CHECK(d && strcmp(d->doc.title, "x y") == 0 && strcmp(d->doc.series, "5") == 0);
    tsr_jsonl_doc_free(d);
}

/* ------------------------------------------------------------------------
 * Declined: jansson's answer
 * --------------------------------------------------------------------- */

static void test_declined(void)
{
    /* extra fields: meta_json, jansson's canonical dump */
    static const char x[] = "{\"id\":\"a\",\"text\":\"b\",\"k\":[1.5],\"a\":{\"z\":null}}";
    CHECK(declined_same(NULL, x, sizeof x - 1));
    int rc;
    tsr_error e;
    tsr_jsonl_doc *d = parse(NULL, x, sizeof x - 1, &rc, &e);
    CHECK(d && !rd_jsonl_doc_fast(d) && d->doc.meta_json &&
          strcmp(d->doc.meta_json, "{\"a\":{\"z\":null},\"k\":[1.5]}") == 0);
    tsr_jsonl_doc_free(d);

    /* a key twice: jansson keeps the last */
    static const char dup[] = "{\"id\":\"a\",\"text\":\"first\",\"text\":\"second\"}";
    CHECK(declined_same(NULL, dup, sizeof dup - 1));
    d = parse(NULL, dup, sizeof dup - 1, &rc, &e);
    CHECK(d && !rd_jsonl_doc_fast(d) && d->doc.text_len == 6 &&
          memcmp(d->doc.text, "second", 6) == 0);
    tsr_jsonl_doc_free(d);
    CHECK(DECLINED("{\"id\":\"a\",\"title\":null,\"text\":\"b\",\"title\":\"t\"}"));

    /* an escaped key: jansson decodes it */
    static const char ek[] = "{\"id\":\"a\",\"te\\u0078t\":\"b\"}";
    CHECK(declined_same(NULL, ek, sizeof ek - 1));
    d = parse(NULL, ek, sizeof ek - 1, &rc, &e);
    CHECK(d && d->doc.text_len == 1 && d->doc.text[0] == 'b');
    tsr_jsonl_doc_free(d);

    static const char *const declined[] = {
        "{\"id\":\"a\",\"text\":\"b\",\"\":1}",  /* empty key */
        "{\"id\":\"a\",\"text\":\"b\",\"t\xC3\xAF\":1}",  /* non-ASCII key */
        "{\"id\":\"a\",\"text\":\"b\",\"title\":true}",
        "{\"id\":\"a\",\"text\":\"b\",\"title\":false}",
        "{\"id\":\"a\",\"text\":\"b\",\"title\":[\"x\"]}",
        "{\"id\":\"a\",\"text\":\"b\",\"title\":{}}",
        "{\"id\":\"a\",\"text\":\"b\",\"title\":nul}",
        "{\"id\":\"a\",\"text\":\"b\",\"title\":nulll}",
        "{\"id\":\"a\",\"text\":\"b\",\"title\":null1}",
        "{\"id\":null,\"text\":\"b\"}",
        "{\"id\":\"a\",\"text\":null}",
        "{\"id\":\"a\",\"text\":7}",
        "{\"id\":\"\",\"text\":\"b\"}",
        "{\"id\":\"a\"}",
        "{\"text\":\"b\"}",
        "{}",
        "[{\"id\":\"a\",\"text\":\"b\"}]",
        "\"text\"",
        "",
        "{",
        "\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"b\"}",  /* a BOM: the reader's */
        /* \u0000 is refused in the id and the other fields, not in the text */
        "{\"id\":\"a\\u0000\",\"text\":\"b\"}",
        "{\"id\":\"a\",\"text\":\"b\",\"series\":\"\\u0000\"}",
        /* what follows the object */
        "{\"id\":\"a\",\"text\":\"b\"} x",
        "{\"id\":\"a\",\"text\":\"b\"}{}",
        "{\"id\":\"a\",\"text\":\"b\"},",
        "{\"id\":\"a\",\"text\":\"b\",}",
        "{\"id\":\"a\" \"text\":\"b\"}",
        "{\"id\" \"a\",\"text\":\"b\"}",
        "{\"id\":\"a\",\"text\":\"b\"}\v",
        "\f{\"id\":\"a\",\"text\":\"b\"}",
    };
    CHECK(DECLINED_ALL(declined) == 0);
}

/* Invalid UTF-8, raw control bytes, bad escapes, limits: the errors and
 * messages of before, every one jansson's path's (besides those of
 * test_parse_jsonl in test_reader.c, which tsr_parse_jsonl now parses with
 * both paths). */
static void test_errors(void)
{
    static const struct { const char *line; int rc; const char *msg; } c[] = {
        { "{\"id\":\"1\",\"text\":\"ab\xC0\xAF\"}", TSR_ERR_UTF8,   /* overlong */
          "f.jsonl:3: invalid UTF-8 at byte 20 of the line" },
        { "{\"id\":\"1\",\"text\":\"ab\xED\xA0\x80\"}", TSR_ERR_UTF8, /* surrogate */
          "f.jsonl:3: invalid UTF-8 at byte 20 of the line" },
        { "{\"id\":\"1\",\"text\":\"ab\xF4\x90\x80\x80\"}", TSR_ERR_UTF8, /* > U+10FFFF */
          "f.jsonl:3: invalid UTF-8 at byte 20 of the line" },
        { "{\"id\":\"1\",\"text\":\"ab\xE2\x82\"}", TSR_ERR_UTF8,     /* cut */
          "f.jsonl:3: invalid UTF-8 at byte 20 of the line" },
        { "{\"id\":\"\xFF\",\"text\":\"x\"}", TSR_ERR_UTF8,
          "f.jsonl:3: invalid UTF-8 at byte 7 of the line" },
        { "{\"id\":\"1\",\"text\":\"a\x01" "b\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: control character 0x1 near '\"a' at column 19" },
        { "{\"id\":\"1\",\"text\":\"a\tb\"}", TSR_ERR_JSON, "f.jsonl:3: malformed JSON: " },
        { "{\"id\":\"1\",\"text\":\"a\nb\"}", TSR_ERR_JSON, "f.jsonl:3: malformed JSON: " },
        { "{\"id\":\"1\",\"text\":\"a\\x\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: invalid escape" },
        { "{\"id\":\"1\",\"text\":\"a\\u12G4\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: invalid escape" },
        { "{\"id\":\"1\",\"text\":\"a\\u12\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: invalid escape" },
        { "{\"id\":\"1\",\"text\":\"a\\ud800\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: invalid Unicode '\\uD800'" },
        { "{\"id\":\"1\",\"text\":\"a\\ud800\\u0041\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: invalid Unicode '\\uD800\\u0041'" },
        { "{\"id\":\"1\",\"text\":\"a\\ud800\\ue000\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: invalid Unicode '\\uD800\\uE000'" },
        { "{\"id\":\"1\",\"text\":\"a\\udbff\\udbff\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: invalid Unicode '\\uDBFF\\uDBFF'" },
        { "{\"id\":\"1\",\"text\":\"a\\udc00\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: invalid Unicode '\\uDC00'" },
        { "{\"id\":\"1\",\"text\":\"a\\udc00\\ud800\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: invalid Unicode '\\uDC00'" },
        { "{\"id\":\"1\",\"text\":\"a\\", TSR_ERR_JSON, "f.jsonl:3: malformed JSON: " },
        { "{\"id\":\"1\",\"text\":\"ab", TSR_ERR_JSON, "f.jsonl:3: malformed JSON: " },
        { "{\"id\":\"1\",\"text\":\"ab\"", TSR_ERR_JSON, "f.jsonl:3: malformed JSON: " },
        { "{\"id\":\"1\",\"text\":\"x\",\"date\":true}", TSR_ERR_JSON,
          "f.jsonl:3: \"date\" field is not a string or integer" },
        { "{\"id\":1.5,\"text\":\"x\"}", TSR_ERR_JSON,
          "f.jsonl:3: \"id\" field is not a string or integer" },
        { "{\"id\":99999999999999999999,\"text\":\"x\"}", TSR_ERR_JSON,
          "f.jsonl:3: malformed JSON: too big integer" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        const size_t len = strlen(c[i].line);
        CHECK(declined_same(NULL, c[i].line, len));
        int rc;
        tsr_error e;
        tsr_jsonl_doc *d = parse(NULL, c[i].line, len, &rc, &e);
        const int ok = !d && rc == c[i].rc && e.code == rc &&
                       strncmp(e.message, c[i].msg, strlen(c[i].msg)) == 0;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  case %zu: %d %s\n", i, rc, e.message);
        tsr_jsonl_doc_free(d);
    }

    /* the size limit: jansson's path tells it */
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.max_doc_bytes = 4;
    static const char big[] = "{\"id\":1,\"text\":\"abcde\"}";
    CHECK(declined_same(&o, big, sizeof big - 1));
    static const char fits[] = "{\"id\":1,\"text\":\"a\\u00e9d\"}"; /* 4 bytes decoded */
    CHECK(fast_same(&o, fits, sizeof fits - 1));
    int rc;
    tsr_error e;
    tsr_jsonl_doc *d = parse(&o, big, sizeof big - 1, &rc, &e);
    CHECK(!d && rc == TSR_ERR_TOOBIG &&
          strcmp(e.message, "f.jsonl:3: text of 5 bytes is over the limit of 4 bytes") == 0);
}

/* allow_nul: a raw NUL byte is a space; jansson refuses the line, then its
 * copy with spaces goes through both paths again. */
static void test_allow_nul(void)
{
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.allow_nul = 1;
    static const char line[] = "{\"id\":\"1\",\"text\":\"a\0b\"}";
    int rc;
    tsr_error e;
    tsr_jsonl_doc *d = parse(&o, line, sizeof line - 1, &rc, &e);
    CHECK(d && d->doc.text_len == 3 && memcmp(d->doc.text, "a b", 3) == 0);
    CHECK(d && rd_jsonl_doc_fast(d)); /* the copy took the fast path */
    tsr_jsonl_doc_free(d);
}

/* Every prefix of a plain line, each in a buffer of its own length: only
 * the whole line is a document, and no prefix is read past its end. */
static void test_prefixes(void)
{
    static const char line[] = "{\"id\":-12,\"text\":\"a\\u00e9\\ud83d\\ude00\\n\xC3\xA9\","
                               "\"title\":null,\"date\":\"d\"}";
    int bad = 0;
    for (size_t n = 0; n < sizeof line - 1; n++)
        bad += !declined_same(NULL, line, n);
    CHECK(bad == 0);
    CHECK(fast_same(NULL, line, sizeof line - 1));
}

/* The reader counts the lines each path parsed. */
static void test_reader_counts(void)
{
    char dir[] = "/tmp/tsr_jsonl_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
    char path[256];
    snprintf(path, sizeof path, "%s/in.jsonl", dir);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs("\xEF\xBB\xBF{\"id\":\"1\",\"text\":\"one\"}\n"  /* after the BOM: fast */
          "{\"id\":2,\"text\":\"two\\n\",\"title\":null}\n"
          "\n"
          "{\"id\":\"3\",\"text\":\"three\",\"k\":1}\n"       /* meta: jansson */
          "{\"id\":\"4\",\"text\":\"four\"}", f);
    fclose(f);
    tsr_reader *r = NULL;
    tsr_error e;
    CHECK(tsr_reader_open(path, NULL, &r, &e) == TSR_OK);
    int n = 0, eof = 0;
    tsr_docinfo d;
    while (r && tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof)
        n++;
    uint64_t fast = 0, slow = 0;
    rd_reader_paths(r, &fast, &slow);
    CHECK(n == 4 && fast == 3 && slow == 1);
    tsr_reader_close(r);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_plain);
    RUN(test_escapes);
    RUN(test_integers);
    RUN(test_field_names);
    RUN(test_declined);
    RUN(test_errors);
    RUN(test_allow_nul);
    RUN(test_prefixes);
    RUN(test_reader_counts);
    return test_report();
}
