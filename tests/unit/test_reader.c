/*
 * test_reader.c - unit tests of the document readers (lib/reader.c).
 *
 * Every fixture is written at run time into a fresh directory made by
 * mkdtemp, compressed ones with the zlib and zstd APIs, and removed at
 * the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>

#include "tessera.h"
#include "testhelp.h"
#include "testutil.h"

static char tmpdir[256];

/* ------------------------------------------------------------------------
 * Fixtures
 * --------------------------------------------------------------------- */

static char *path_of(const char *name)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static void write_bytes(const char *name, const void *data, size_t len)
{
    char *p = path_of(name);
    /* create parent directories */
    for (char *s = p + strlen(tmpdir) + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0700);
            *s = '/';
        }
    }
    FILE *f = fopen(p, "wb");
    if (!f) { perror(p); exit(2); }
    if (len && fwrite(data, 1, len, f) != len) { perror(p); exit(2); }
    fclose(f);
}

static void write_str(const char *name, const char *s)
{
    write_bytes(name, s, strlen(s));
}

/* Write `s` gzip-compressed; `mode` "wb" for a new file, "ab" to append
 * a second gzip member. */
static void write_gz(const char *name, const char *s, const char *mode)
{
    gzFile g = gzopen(path_of(name), mode);
    if (!g) { perror(name); exit(2); }
    gzwrite(g, s, (unsigned)strlen(s));
    gzclose(g);
}

static size_t zstd_of(const char *s, char **out)
{
    size_t n = strlen(s), cap = ZSTD_compressBound(n);
    *out = malloc(cap);
    size_t z = ZSTD_compress(*out, cap, s, n, 3);
    if (ZSTD_isError(z)) { fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(z)); exit(2); }
    return z;
}

/* `s` bzip2-compressed into *out (free it); its length. */
static size_t bzip2_of(const char *s, char **out)
{
    unsigned n = (unsigned)strlen(s), cap = n + n / 100 + 600;
    *out = malloc(cap);
    if (BZ2_bzBuffToBuffCompress(*out, &cap, (char *)s, n, 9, 0, 0) != BZ_OK) {
        fprintf(stderr, "bzip2 failed\n");
        exit(2);
    }
    return cap;
}

static void write_zst(const char *name, const char *s)
{
    char *z;
    size_t n = zstd_of(s, &z);
    write_bytes(name, z, n);
    free(z);
}

/* ------------------------------------------------------------------------
 * Reading helpers
 * --------------------------------------------------------------------- */

/* Everything one read of a path gave. */
typedef struct got {
    int n;
    char *id[64], *title[64], *date[64], *series[64], *meta[64];
    size_t len[64];
    char *text[64];
    int rc;            /* first non-OK status, TSR_OK at clean end */
    char msg[512];
    uint64_t skipped, done, total;
    uint64_t binary;   /* tsr_reader_binary at the end */
    char notes[1024];  /* the notices, one per line */
} got;

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void read_raw(const char *path, const tsr_reader_opts *o, got *g);
static void check_same(const got *a, const got *b);
static void got_free(got *g);
static int raw_runs;      /* reads checked against raw mode */

/* Read all of `path`, stopping at the first error; then read it again in
 * raw mode, parsing the lines with tsr_parse_jsonl, and check that this
 * gives the same documents, errors and messages. */
static void read_all_once(const char *path, const tsr_reader_opts *o, got *g);
static void read_all(const char *path, const tsr_reader_opts *o, got *g)
{
    read_all_once(path, o, g);
    got r;
    read_raw(path, o, &r);
    check_same(g, &r);
    got_free(&r);
    raw_runs++;
}

static void read_all_once(const char *path, const tsr_reader_opts *o, got *g)
{
    memset(g, 0, sizeof *g);
    tsr_reader *r = NULL;
    tsr_error e;
    g->rc = tsr_reader_open(path, o, &r, &e);
    if (g->rc != TSR_OK) {
        CHECK(r == NULL);
        snprintf(g->msg, sizeof g->msg, "%s", e.message);
        return;
    }
    for (;;) {
        tsr_docinfo d;
        int eof = 0;
        int rc = tsr_reader_next(r, &d, &eof, &e);
        for (const char *m; (m = tsr_reader_notice(r)) != NULL;) {
            const size_t k = strlen(g->notes);
            snprintf(g->notes + k, sizeof g->notes - k, "%s\n", m);
        }
        if (rc != TSR_OK) {
            g->rc = rc;
            snprintf(g->msg, sizeof g->msg, "%s", e.message);
            CHECK(e.code == rc);
            break;
        }
        if (eof)
            break;
        if (g->n < 64) {
            g->id[g->n] = dup_or_null(d.id);
            g->title[g->n] = dup_or_null(d.title);
            g->date[g->n] = dup_or_null(d.date);
            g->series[g->n] = dup_or_null(d.series);
            g->meta[g->n] = dup_or_null(d.meta_json);
            g->text[g->n] = malloc(d.text_len + 1);
            memcpy(g->text[g->n], d.text, d.text_len);
            g->text[g->n][d.text_len] = 0;
            g->len[g->n] = d.text_len;
        }
        g->n++;
    }
    g->skipped = tsr_reader_skipped(r);
    g->binary = tsr_reader_binary(r);
    CHECK(tsr_reader_notice(r) == NULL);   /* each notice is handed out once */
    g->done = tsr_reader_bytes_done(r);
    g->total = tsr_reader_bytes_total(r);
    tsr_reader_close(r);
}

static void got_free(got *g)
{
    for (int i = 0; i < g->n && i < 64; i++) {
        free(g->id[i]); free(g->title[i]); free(g->date[i]);
        free(g->series[i]); free(g->meta[i]); free(g->text[i]);
    }
    memset(g, 0, sizeof *g);
}

static void keep_doc(got *g, const tsr_docinfo *d)
{
    if (g->n < 64) {
        g->id[g->n] = dup_or_null(d->id);
        g->title[g->n] = dup_or_null(d->title);
        g->date[g->n] = dup_or_null(d->date);
        g->series[g->n] = dup_or_null(d->series);
        g->meta[g->n] = dup_or_null(d->meta_json);
        g->text[g->n] = malloc(d->text_len + 1);
        memcpy(g->text[g->n], d->text, d->text_len);
        g->text[g->n][d->text_len] = 0;
        g->len[g->n] = d->text_len;
    }
    g->n++;
}

/* As read_all_once, in raw mode: the reader hands out JSON lines
 * unparsed, they are parsed here with tsr_parse_jsonl, and bad ones are
 * skipped (skip_bad) or stop the reading, as the reader would do. */
static void read_raw(const char *path, const tsr_reader_opts *o, got *g)
{
    memset(g, 0, sizeof *g);
    tsr_reader_opts ro;
    if (o)
        ro = *o;
    else
        tsr_reader_opts_default(&ro);
    ro.raw_jsonl = 1;
    tsr_reader *r = NULL;
    tsr_error e;
    g->rc = tsr_reader_open(path, &ro, &r, &e);
    if (g->rc != TSR_OK) {
        snprintf(g->msg, sizeof g->msg, "%s", e.message);
        return;
    }
    uint64_t parse_skipped = 0;
    for (;;) {
        tsr_docinfo d;
        int eof = 0;
        int rc = tsr_reader_next(r, &d, &eof, &e);
        if (rc != TSR_OK) {
            g->rc = rc;
            snprintf(g->msg, sizeof g->msg, "%s", e.message);
            break;
        }
        if (eof)
            break;
        if (d.id) {  /* not JSON Lines: parsed by the reader */
            keep_doc(g, &d);
            continue;
        }
        CHECK(d.text != NULL && d.title == NULL && d.meta_json == NULL);
        const char *file = NULL;
        uint64_t line = 0;
        tsr_reader_where(r, &file, &line);
        CHECK(file != NULL && line > 0);
        tsr_jsonl_doc *jd = (tsr_jsonl_doc *)1;
        rc = tsr_parse_jsonl(&ro, d.text, d.text_len, file, line, &jd, &e);
        if (rc != TSR_OK) {
            CHECK(jd == NULL && e.code == rc);
            if (ro.skip_bad && rc != TSR_ERR_NOMEM) {
                parse_skipped++;
                continue;
            }
            g->rc = rc;
            snprintf(g->msg, sizeof g->msg, "%s", e.message);
            break;
        }
        keep_doc(g, &jd->doc);
        tsr_jsonl_doc_free(jd);
    }
    g->skipped = tsr_reader_skipped(r) + parse_skipped;
    g->done = tsr_reader_bytes_done(r);
    g->total = tsr_reader_bytes_total(r);
    tsr_reader_close(r);
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_same(const got *a, const got *b)
{
    CHECK(a->rc == b->rc);
    CHECK(strcmp(a->msg, b->msg) == 0);
    if (strcmp(a->msg, b->msg) != 0)
        fprintf(stderr, "  reader: %s\n  raw:    %s\n", a->msg, b->msg);
    CHECK(a->n == b->n && a->skipped == b->skipped);
    CHECK(a->done == b->done && a->total == b->total);
    int ok = 1;
    for (int i = 0; i < a->n && i < b->n && i < 64; i++)
        ok &= same_str(a->id[i], b->id[i]) && same_str(a->title[i], b->title[i]) &&
              same_str(a->date[i], b->date[i]) && same_str(a->series[i], b->series[i]) &&
              same_str(a->meta[i], b->meta[i]) && a->len[i] == b->len[i] &&
              memcmp(a->text[i], b->text[i], a->len[i]) == 0;
    CHECK(ok);
}

static int streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int has(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

static const char *JSONL3 =
    "{\"id\":\"a\",\"text\":\"alpha text\",\"title\":\"A\",\"date\":\"1890-01-02\",\"series\":\"s1\"}\n"
    "{\"id\":\"b\",\"text\":\"beta text\"}\n"
    "{\"id\":\"c\",\"text\":\"gamma\"}\n";

/* ------------------------------------------------------------------------
 * Tests
 * --------------------------------------------------------------------- */

static void test_text_file(void)
{
    write_str("one.txt", "Hello, world.\nSecond line.\n");
    got g;
    read_all(path_of("one.txt"), NULL, &g);
    CHECK(g.rc == TSR_OK);
    CHECK(g.n == 1);
    CHECK(streq(g.id[0], path_of("one.txt")));
    CHECK(streq(g.title[0], path_of("one.txt")));
    CHECK(g.date[0] == NULL && g.series[0] == NULL && g.meta[0] == NULL);
    CHECK(streq(g.text[0], "Hello, world.\nSecond line.\n"));
    CHECK(g.total == 27 && g.done == 27);
    got_free(&g);

    /* a byte order mark is dropped; offsets count after it */
    write_str("bom.txt", "\xEF\xBB\xBFzz\xFF");
    read_all(path_of("bom.txt"), NULL, &g);
    CHECK(g.rc == TSR_ERR_UTF8);
    CHECK(has(g.msg, "at byte 2"));
    got_free(&g);
    write_str("bom2.txt", "\xEF\xBB\xBF" "caf\xC3\xA9");
    read_all(path_of("bom2.txt"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 1 && streq(g.text[0], "caf\xC3\xA9"));
    got_free(&g);
}

static void test_empty_file(void)
{
    write_str("empty.txt", "");
    got g;
    read_all(path_of("empty.txt"), NULL, &g);
    CHECK(g.rc == TSR_OK);
    CHECK(g.n == 1);
    CHECK(g.len[0] == 0);
    got_free(&g);

    write_str("empty.jsonl", "");
    read_all(path_of("empty.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 0);
    got_free(&g);

    write_str("blank.jsonl", "\n  \n\r\n");
    read_all(path_of("blank.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 0);
    got_free(&g);

    write_bytes("empty.jsonl.gz", "", 0);
    read_all(path_of("empty.jsonl.gz"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 0);
    got_free(&g);
    write_bytes("empty.jsonl.zst", "", 0);
    read_all(path_of("empty.jsonl.zst"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 0);
    got_free(&g);
}

static void test_directory(void)
{
    write_str("dir/b.txt", "bee");
    write_str("dir/a.txt", "ay");
    write_str("dir/a/z.txt", "zed");
    write_str("dir/.hidden.txt", "hidden");
    write_str("dir/.git/x.txt", "hidden too");
    write_str("dir/sub/data.jsonl", "{\"id\":\"j1\",\"text\":\"one\"}\n{\"id\":\"j2\",\"text\":\"two\"}\n");
    write_gz("dir/sub/more.txt.gz", "gzipped text", "wb");
    mkdir(path_of("dir/emptydir"), 0700);
    char target[600];
    snprintf(target, sizeof target, "%s/dir/a.txt", tmpdir);
    if (symlink(target, path_of("dir/link.txt")) != 0) perror("symlink");
    snprintf(target, sizeof target, "%s/dir", tmpdir);
    if (symlink(target, path_of("dir/sub/loop")) != 0) perror("symlink");

    got g;
    read_all(path_of("dir"), NULL, &g);
    CHECK(g.rc == TSR_OK);
    CHECK(g.n == 7);
    /* byte order of full paths: "a.txt" < "a/z.txt" since '.' < '/' */
    CHECK(streq(g.id[0], path_of("dir/a.txt")) && streq(g.text[0], "ay"));
    CHECK(streq(g.id[1], path_of("dir/a/z.txt")) && streq(g.text[1], "zed"));
    CHECK(streq(g.id[2], path_of("dir/b.txt")) && streq(g.text[2], "bee"));
    CHECK(streq(g.id[3], path_of("dir/link.txt")) && streq(g.text[3], "ay"));
    CHECK(streq(g.id[4], "j1") && streq(g.id[5], "j2"));
    CHECK(streq(g.id[6], path_of("dir/sub/more.txt.gz")) &&
          streq(g.text[6], "gzipped text"));
    CHECK(g.total > 0 && g.done == g.total);
    got_free(&g);

    /* a trailing slash does not double the separator */
    char withslash[600];
    snprintf(withslash, sizeof withslash, "%s/dir/a/", tmpdir);
    read_all(withslash, NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 1);
    CHECK(streq(g.id[0], path_of("dir/a/z.txt")));
    got_free(&g);

    mkdir(path_of("nothing"), 0700);
    read_all(path_of("nothing"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 0 && g.total == 0);
    got_free(&g);
}

static void test_jsonl_fields(void)
{
    write_str("f.jsonl", JSONL3);
    got g;
    read_all(path_of("f.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 3);
    CHECK(streq(g.id[0], "a") && streq(g.title[0], "A") &&
          streq(g.date[0], "1890-01-02") && streq(g.series[0], "s1"));
    CHECK(streq(g.text[0], "alpha text"));
    CHECK(g.meta[0] == NULL);
    CHECK(streq(g.id[1], "b") && g.title[1] == NULL && g.series[1] == NULL);
    CHECK(streq(g.text[2], "gamma"));
    got_free(&g);

    /* extra fields kept in meta_json, compact, sorted keys; escapes decoded */
    write_str("meta.jsonl",
              "{\"z\":\"last\",\"id\":\"m\",\"text\":\"t\\u00e9\\n\\\"q\\\"\",\"b\":[1,2],"
              "\"a\":{\"y\":null,\"x\":true},\"title\":null}\r\n");
    read_all(path_of("meta.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 1);
    CHECK(streq(g.meta[0], "{\"a\":{\"x\":true,\"y\":null},\"b\":[1,2],\"z\":\"last\"}"));
    CHECK(streq(g.text[0], "t\xC3\xA9\n\"q\""));
    CHECK(g.title[0] == NULL);
    got_free(&g);

    /* reals keep their short form unless they need 17 digits */
    write_str("real.jsonl", "{\"id\":\"r\",\"text\":\"t\",\"k\":1.1,\"l\":[0.5,1e300]}\n"
                            "{\"id\":\"s\",\"text\":\"t\",\"k\":0.30000000000000004}\n");
    read_all(path_of("real.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 2);
    CHECK(streq(g.meta[0], "{\"k\":1.1,\"l\":[0.5,1e300]}"));
    CHECK(streq(g.meta[1], "{\"k\":0.30000000000000004}"));
    got_free(&g);

    /* integer ids (and integer dates) become decimal text */
    write_str("int.jsonl", "{\"id\":42,\"text\":\"x\",\"date\":1890}\n"
                           "{\"id\":-7,\"text\":\"y\"}\n"
                           "{\"id\":9007199254740993,\"text\":\"z\"}\n");
    read_all(path_of("int.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 3);
    CHECK(streq(g.id[0], "42") && streq(g.date[0], "1890"));
    CHECK(streq(g.id[1], "-7"));
    CHECK(streq(g.id[2], "9007199254740993"));
    got_free(&g);

    /* a real id is refused */
    write_str("realid.jsonl", "{\"id\":1.5,\"text\":\"x\"}\n");
    read_all(path_of("realid.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_ERR_JSON && has(g.msg, "realid.jsonl:1:") && has(g.msg, "\"id\""));
    got_free(&g);
}

static void test_passim(void)
{
    /* passim's field names work with the defaults unchanged */
    write_str("passim.json",
              "{\"id\":\"p1\",\"series\":\"nytimes\",\"text\":\"first\",\"seq\":3}\n"
              "{\"id\":\"p2\",\"series\":\"latimes\",\"text\":\"second\"}\n");
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.id_field = "id";
    o.series_field = "series";
    o.text_field = "text";
    got g;
    read_all(path_of("passim.json"), &o, &g);
    CHECK(g.rc == TSR_OK && g.n == 2);
    CHECK(streq(g.series[0], "nytimes") && streq(g.series[1], "latimes"));
    CHECK(streq(g.meta[0], "{\"seq\":3}") && g.meta[1] == NULL);
    got_free(&g);
}

static void test_field_options(void)
{
    write_str("custom.ndjson",
              "{\"doc_id\":\"c1\",\"body\":\"the body\",\"text\":\"not the text\","
              "\"headline\":\"H\",\"when\":\"2001\",\"paper\":\"P\"}\n");
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.id_field = "doc_id";
    o.text_field = "body";
    o.title_field = "headline";
    o.date_field = "when";
    o.series_field = "paper";
    got g;
    read_all(path_of("custom.ndjson"), &o, &g);
    CHECK(g.rc == TSR_OK && g.n == 1);
    CHECK(streq(g.id[0], "c1") && streq(g.text[0], "the body"));
    CHECK(streq(g.title[0], "H") && streq(g.date[0], "2001") && streq(g.series[0], "P"));
    CHECK(streq(g.meta[0], "{\"text\":\"not the text\"}"));
    got_free(&g);

    /* with the defaults the same line lacks an id */
    read_all(path_of("custom.ndjson"), NULL, &g);
    CHECK(g.rc == TSR_ERR_JSON && has(g.msg, "custom.ndjson:1: missing \"id\" field"));
    got_free(&g);
}

static void test_compressed(void)
{
    got g;
    write_gz("c.jsonl.gz", JSONL3, "wb");
    read_all(path_of("c.jsonl.gz"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 3);
    CHECK(streq(g.id[2], "c") && streq(g.text[2], "gamma"));
    struct stat st;
    stat(path_of("c.jsonl.gz"), &st);
    CHECK(g.total == (uint64_t)st.st_size && g.done == g.total);
    got_free(&g);

    /* two gzip members, as `cat a.gz b.gz` gives */
    write_gz("two.jsonl.gz", "{\"id\":\"m1\",\"text\":\"x\"}\n", "wb");
    write_gz("two.jsonl.gz", "{\"id\":\"m2\",\"text\":\"y\"}\n", "ab");
    read_all(path_of("two.jsonl.gz"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 2 && streq(g.id[1], "m2"));
    got_free(&g);

    write_zst("c.jsonl.zst", JSONL3);
    read_all(path_of("c.jsonl.zst"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 3);
    CHECK(streq(g.id[0], "a") && streq(g.series[0], "s1"));
    stat(path_of("c.jsonl.zst"), &st);
    CHECK(g.total == (uint64_t)st.st_size && g.done == g.total);
    got_free(&g);

    write_zst("t.txt.zst", "zstd text");
    read_all(path_of("t.txt.zst"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 1 && streq(g.text[0], "zstd text"));
    CHECK(streq(g.id[0], path_of("t.txt.zst")));
    got_free(&g);

    /* bzip2: a file by its name, two streams one after another (pbzip2) */
    char *b1, *b2;
    size_t n1 = bzip2_of("{\"id\":\"z1\",\"text\":\"bzip one\"}\n", &b1);
    size_t n2 = bzip2_of("{\"id\":\"z2\",\"text\":\"bzip two\"}\n", &b2);
    char *both = malloc(n1 + n2);
    memcpy(both, b1, n1);
    memcpy(both + n1, b2, n2);
    write_bytes("c.jsonl.bz2", both, n1 + n2);
    read_all(path_of("c.jsonl.bz2"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 2 && streq(g.id[1], "z2") && streq(g.text[1], "bzip two"));
    stat(path_of("c.jsonl.bz2"), &st);
    CHECK(g.total == (uint64_t)st.st_size && g.done == g.total);
    got_free(&g);
    write_bytes("t.txt.bz2", b1, n1);
    read_all(path_of("t.txt.bz2"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 1 && has(g.text[0], "bzip one"));
    got_free(&g);
    /* truncated inside the second stream; not bzip2 at all */
    write_bytes("trunc.jsonl.bz2", both, n1 + n2 / 2);
    read_all(path_of("trunc.jsonl.bz2"), NULL, &g);
    CHECK(g.rc == TSR_ERR_FORMAT && g.n == 1 && has(g.msg, "trunc.jsonl.bz2: truncated bzip2"));
    got_free(&g);
    write_str("bad.txt.bz2", "this is not bzip2");
    read_all(path_of("bad.txt.bz2"), NULL, &g);
    CHECK(g.rc == TSR_ERR_FORMAT && has(g.msg, "bad.txt.bz2: corrupt bzip2 data"));
    got_free(&g);
    write_bytes("empty.jsonl.bz2", "", 0);
    read_all(path_of("empty.jsonl.bz2"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 0);
    got_free(&g);
    free(both);
    free(b1);
    free(b2);

    /* corrupt and truncated streams */
    write_str("bad.jsonl.gz", "this is not gzip at all");
    read_all(path_of("bad.jsonl.gz"), NULL, &g);
    CHECK(g.rc == TSR_ERR_FORMAT && has(g.msg, "bad.jsonl.gz"));
    got_free(&g);

    char *z;
    size_t zn = zstd_of(JSONL3, &z);
    write_bytes("trunc.jsonl.zst", z, zn - 5);
    read_all(path_of("trunc.jsonl.zst"), NULL, &g);
    CHECK(g.rc == TSR_ERR_FORMAT && has(g.msg, "trunc.jsonl.zst"));
    got_free(&g);
    z[zn / 2] ^= 0x55;
    write_bytes("flip.jsonl.zst", z, zn);
    read_all(path_of("flip.jsonl.zst"), NULL, &g);
    CHECK(g.rc != TSR_OK);
    got_free(&g);
    free(z);

    /* a truncated gzip stream in a directory: skipped with skip_bad */
    FILE *f = fopen(path_of("c.jsonl.gz"), "rb");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_bytes("zdir/1.jsonl.gz", buf, n - 10);
    write_str("zdir/2.txt", "after");
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.skip_bad = 1;
    read_all(path_of("zdir"), &o, &g);
    CHECK(g.rc == TSR_OK && g.skipped == 1);
    CHECK(g.n >= 1 && streq(g.text[g.n - 1], "after"));
    got_free(&g);
}

static void test_malformed(void)
{
    write_str("bad.jsonl",
              "{\"id\":\"1\",\"text\":\"ok\"}\n"
              "{\"id\":\"2\",\"text\":\"broken\"\n"
              "{\"id\":\"3\",\"text\":\"ok again\"}\n");
    tsr_reader *r = NULL;
    tsr_error e;
    CHECK(tsr_reader_open(path_of("bad.jsonl"), NULL, &r, &e) == TSR_OK);
    tsr_docinfo d;
    int eof = 0;
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof && streq(d.id, "1"));
    int rc = tsr_reader_next(r, &d, &eof, &e);
    CHECK(rc == TSR_ERR_JSON && e.code == TSR_ERR_JSON);
    CHECK(has(e.message, "bad.jsonl:2: malformed JSON: "));
    CHECK(has(e.message, "at column"));
    CHECK(d.id == NULL && d.text == NULL);
    /* the reader stands at the next line */
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof && streq(d.id, "3"));
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && eof);
    CHECK(tsr_reader_skipped(r) == 0 && tsr_reader_last_skip(r) == NULL);
    tsr_reader_close(r);

    got g;
    write_str("notobj.jsonl", "[1,2]\n");
    read_all(path_of("notobj.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_ERR_JSON && has(g.msg, "notobj.jsonl:1: not a JSON object"));
    got_free(&g);

    write_str("trail.jsonl", "{\"id\":\"1\",\"text\":\"x\"} {}\n");
    read_all(path_of("trail.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_ERR_JSON);
    got_free(&g);

    write_str("badutf.jsonl", "{\"id\":\"1\",\"text\":\"x\"}\n{\"id\":\"2\",\"text\":\"ab\xC3(\"}\n");
    read_all(path_of("badutf.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_ERR_UTF8 && has(g.msg, "badutf.jsonl:2: invalid UTF-8 at byte 20 of the line"));
    CHECK(g.n == 1);
    got_free(&g);
}

static void test_missing_text(void)
{
    write_str("notext.jsonl", "{\"id\":\"1\",\"text\":\"x\"}\n\n{\"id\":\"2\",\"title\":\"t\"}\n");
    got g;
    read_all(path_of("notext.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_ERR_JSON);
    CHECK(has(g.msg, "notext.jsonl:3: missing \"text\" field"));
    got_free(&g);

    write_str("numtext.jsonl", "{\"id\":\"1\",\"text\":5}\n");
    read_all(path_of("numtext.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_ERR_JSON && has(g.msg, "not a string"));
    got_free(&g);

    write_str("emptyid.jsonl", "{\"id\":\"\",\"text\":\"x\"}\n");
    read_all(path_of("emptyid.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_ERR_JSON && has(g.msg, "empty \"id\""));
    got_free(&g);
}

static void test_skip_bad(void)
{
    write_str("skip.jsonl",
              "{\"id\":\"1\",\"text\":\"one\"}\n"
              "garbage\n"
              "{\"id\":\"3\",\"text\":\"three\"}\n"
              "{\"id\":\"4\"}\n"
              "{\"id\":\"5\",\"text\":\"n\\u0000l\"}\n"
              "{\"id\":\"6\",\"text\":\"six\"}");  /* no final newline */
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.skip_bad = 1;
    tsr_reader *r = NULL;
    tsr_error e;
    CHECK(tsr_reader_open(path_of("skip.jsonl"), &o, &r, &e) == TSR_OK);
    /* "\u0000" in the text is a character (a space), not a bad record */
    const char *want[] = { "1", "3", "5", "6" };
    tsr_docinfo d;
    int eof = 0, n = 0;
    while (tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof) {
        CHECK(n < 4 && streq(d.id, want[n]));
        if (n == 2) CHECK(d.text_len == 3 && memcmp(d.text, "n l", 3) == 0);
        n++;
    }
    CHECK(eof && n == 4);
    CHECK(tsr_reader_skipped(r) == 2);
    CHECK(has(tsr_reader_last_skip(r), "skip.jsonl:4: missing \"text\""));
    tsr_reader_close(r);

    /* bad text files in a directory are skipped too */
    write_str("sdir/a.txt", "good");
    write_bytes("sdir/b.txt", "bad \xFF byte", 10);
    write_str("sdir/c.txt", "good too");
    got g;
    read_all(path_of("sdir"), &o, &g);
    CHECK(g.rc == TSR_OK && g.n == 2 && g.skipped == 1);
    CHECK(streq(g.text[1], "good too"));
    got_free(&g);

    /* without skip_bad the first bad file stops the reading */
    read_all(path_of("sdir"), NULL, &g);
    CHECK(g.rc == TSR_ERR_UTF8 && g.n == 1 && has(g.msg, "b.txt: invalid UTF-8 at byte 4"));
    got_free(&g);
}

/* One NUL policy: in a directory a text file with a NUL byte is binary and
 * skipped with a notice; given by name it is refused; with allow_nul every
 * NUL byte is a space; "\u0000" in a JSON text is a space either way.
 * Spark's and Hadoop's bookkeeping files are not read. */
static void test_nul_policy(void)
{
    got g;
    write_str("bdir/a.txt", "first text");
    write_bytes("bdir/img.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    write_str("bdir/sub/b.txt", "second text");
    write_str("bdir/_SUCCESS", "spark bookkeeping");
    write_str("bdir/_temporary/0/part-1.txt", "half written");
    write_str("bdir/part-0.crc", "a checksum file");
    write_str("bdir/.part-0.crc", "a hidden checksum file");
    read_all(path_of("bdir"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 2 && g.skipped == 0 && g.binary == 1);
    CHECK(g.n == 2 && has(g.id[0], "bdir/a.txt") && has(g.id[1], "bdir/sub/b.txt"));
    CHECK(has(g.notes, "bdir/img.png: binary file (NUL byte at byte 8), skipped\n"));
    got_free(&g);

    /* several binary files in a row: a notice each */
    write_bytes("b2/x1.bin", "a\0", 2);
    write_bytes("b2/x2.bin", "bb\0", 3);
    write_str("b2/y.txt", "text");
    read_all(path_of("b2"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 1 && g.binary == 2);
    CHECK(has(g.notes, "x1.bin: binary file (NUL byte at byte 1), skipped\n") &&
          has(g.notes, "x2.bin: binary file (NUL byte at byte 2), skipped\n"));
    got_free(&g);

    /* a binary file over max_doc_bytes is binary all the same (its first
     * block tells), not a text too big */
    tsr_reader_opts small;
    tsr_reader_opts_default(&small);
    small.max_doc_bytes = 16;
    char big[100];
    memset(big, 'x', sizeof big);
    big[40] = 0;
    write_bytes("b3/big.bin", big, sizeof big);
    write_str("b3/ok.txt", "short text");
    read_all(path_of("b3"), &small, &g);
    CHECK(g.rc == TSR_OK && g.n == 1 && g.binary == 1);
    CHECK(has(g.notes, "big.bin: binary file (NUL byte at byte 40), skipped\n"));
    got_free(&g);

    /* allow_nul: no file is binary, NUL bytes are spaces, offsets hold */
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.allow_nul = 1;
    read_all(path_of("b2"), &o, &g);
    CHECK(g.rc == TSR_OK && g.n == 3 && g.binary == 0 && g.notes[0] == 0);
    CHECK(g.n == 3 && g.len[0] == 2 && streq(g.text[0], "a ") && streq(g.text[1], "bb "));
    got_free(&g);

    /* a file given by name is refused, or read with allow_nul */
    write_bytes("named.txt", "ab\0cd", 5);
    read_all(path_of("named.txt"), NULL, &g);
    CHECK(g.rc == TSR_ERR_NUL && g.binary == 0 && has(g.msg, "named.txt: NUL byte at byte 2"));
    got_free(&g);
    read_all(path_of("named.txt"), &o, &g);
    CHECK(g.rc == TSR_OK && g.n == 1 && g.len[0] == 5 && streq(g.text[0], "ab cd"));
    got_free(&g);

    /* a raw NUL byte in a JSON line: refused, or a space with allow_nul */
    write_bytes("raw2.jsonl", "{\"id\":\"x\",\"text\":\"ab\0\"}\n", 24);
    read_all(path_of("raw2.jsonl"), &o, &g);
    CHECK(g.rc == TSR_OK && g.n == 1 && g.len[0] == 3 && streq(g.text[0], "ab "));
    got_free(&g);

    /* tsr_parse_jsonl: "\u0000" in the text is a space; in the title refused */
    tsr_jsonl_doc *jd = NULL;
    tsr_error e;
    const char *l = "{\"id\":\"1\",\"text\":\"a\\u0000b\"}";
    CHECK(tsr_parse_jsonl(NULL, l, strlen(l), "f.jsonl", 7, &jd, &e) == TSR_OK && jd);
    if (jd) CHECK(jd->doc.text_len == 3 && memcmp(jd->doc.text, "a b", 3) == 0);
    tsr_jsonl_doc_free(jd);
}

static void test_bad_text(void)
{
    got g;
    write_bytes("inv.txt", "abc\xFFxyz", 7);
    read_all(path_of("inv.txt"), NULL, &g);
    CHECK(g.rc == TSR_ERR_UTF8);
    CHECK(has(g.msg, "inv.txt: invalid UTF-8 at byte 3"));
    got_free(&g);

    write_bytes("nul.txt", "ab\0cd", 5);
    read_all(path_of("nul.txt"), NULL, &g);
    CHECK(g.rc == TSR_ERR_NUL);
    CHECK(has(g.msg, "nul.txt: NUL byte at byte 2 (binary file?)"));
    got_free(&g);

    /* "\u0000" in the text: a character of the text, read as a space */
    write_str("nul.jsonl", "{\"id\":\"x\",\"text\":\"abc\\u0000def\"}\n");
    read_all(path_of("nul.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_OK && g.n == 1 && g.len[0] == 7 && streq(g.text[0], "abc def"));
    got_free(&g);

    /* a raw NUL byte in a JSON line */
    write_bytes("rawnul.jsonl", "{\"id\":\"x\",\"text\":\"ab\0\"}\n", 24);
    read_all(path_of("rawnul.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_ERR_NUL && has(g.msg, "rawnul.jsonl:1: NUL byte at byte 20"));
    got_free(&g);
}

static void test_missing_path(void)
{
    got g;
    read_all(path_of("no/such/file.jsonl"), NULL, &g);
    CHECK(g.rc == TSR_ERR_NOTFOUND && has(g.msg, "file.jsonl"));
    got_free(&g);

    tsr_reader *r = (tsr_reader *)1;
    tsr_error e;
    CHECK(tsr_reader_open("", NULL, &r, &e) == TSR_ERR_INVALID && r == NULL);
    tsr_reader_close(NULL);
    CHECK(tsr_reader_skipped(NULL) == 0);
}

static void test_long_line(void)
{
    /* one 20 MB text in one line, then a short line */
    size_t big = 20u << 20;
    char *line = malloc(big + 64);
    size_t k = (size_t)sprintf(line, "{\"id\":\"big\",\"text\":\"");
    for (size_t i = 0; i < big; i++)
        line[k + i] = (i % 7 == 6) ? ' ' : (char)('a' + i % 7);
    k += big;
    k += (size_t)sprintf(line + k, "\"}\n{\"id\":\"small\",\"text\":\"s\"}\n");
    write_bytes("long.jsonl", line, k);

    tsr_reader *r = NULL;
    tsr_error e;
    CHECK(tsr_reader_open(path_of("long.jsonl"), NULL, &r, &e) == TSR_OK);
    tsr_docinfo d;
    int eof = 0;
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof);
    CHECK(streq(d.id, "big") && d.text_len == big);
    CHECK(d.text && memcmp(d.text, line + 20, big) == 0);
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof && streq(d.id, "small"));
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && eof);
    tsr_reader_close(r);

    /* over max_doc_bytes: the line is refused, with its number, and
     * reading goes on after it (the 20 MB line is over the line limit) */
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.max_doc_bytes = 1000;
    CHECK(tsr_reader_open(path_of("long.jsonl"), &o, &r, &e) == TSR_OK);
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_ERR_TOOBIG);
    CHECK(has(e.message, "long.jsonl:1:"));
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof && streq(d.id, "small"));
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && eof);
    tsr_reader_close(r);

    /* a text just over the limit, in a line under the line limit */
    write_str("over.jsonl", "{\"id\":\"1\",\"text\":\"0123456789A\"}\n{\"id\":\"2\",\"text\":\"0123456789\"}\n");
    o.max_doc_bytes = 10;
    o.skip_bad = 1;
    got g;
    read_all(path_of("over.jsonl"), &o, &g);
    CHECK(g.rc == TSR_OK && g.n == 1 && streq(g.id[0], "2") && g.skipped == 1);
    got_free(&g);

    /* text files: the limit applies to the whole file */
    write_str("over.txt", "0123456789A");
    o.skip_bad = 0;
    read_all(path_of("over.txt"), &o, &g);
    CHECK(g.rc == TSR_ERR_TOOBIG && has(g.msg, "over.txt"));
    got_free(&g);
    free(line);
}

/* Many lines of varied lengths, so that line ends fall everywhere around
 * the read chunk boundaries; gzip and zstd versions too. */
static void test_chunk_edges(void)
{
    size_t cap = 4u << 20, n = 0;
    char *s = malloc(cap);
    int lines = 0;
    while (n < (3u << 20) + 12345) {
        size_t len = (size_t)(lines * 7919) % 3000;
        n += (size_t)sprintf(s + n, "{\"id\":\"%d\",\"text\":\"", lines);
        memset(s + n, 'x', len);
        n += len;
        n += (size_t)sprintf(s + n, "\"}\n");
        lines++;
    }
    s[n] = 0;
    write_bytes("edges.jsonl", s, n);
    write_gz("edges.jsonl.gz", s, "wb");
    write_zst("edges.jsonl.zst", s);
    const char *names[] = { "edges.jsonl", "edges.jsonl.gz", "edges.jsonl.zst" };
    for (int f = 0; f < 3; f++) {
        tsr_reader *r = NULL;
        tsr_error e;
        CHECK(tsr_reader_open(path_of(names[f]), NULL, &r, &e) == TSR_OK);
        tsr_docinfo d;
        int eof = 0, i = 0, ok = 1;
        while (tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof) {
            char want[16];
            snprintf(want, sizeof want, "%d", i);
            if (!streq(d.id, want) || d.text_len != (size_t)(i * 7919) % 3000)
                ok = 0;
            i++;
        }
        CHECK(eof && ok && i == lines);
        CHECK(tsr_reader_bytes_done(r) == tsr_reader_bytes_total(r));
        tsr_reader_close(r);
    }
    free(s);
}

/* tsr_parse_jsonl on its own: fields, errors with file:line. */
static void test_parse_jsonl(void)
{
    tsr_jsonl_doc *jd = NULL;
    tsr_error e;
    const char *l1 = "{\"id\":\"a\",\"text\":\"alpha\",\"title\":\"A\",\"date\":1890,"
                     "\"series\":\"s\",\"z\":1.1,\"b\":[true]}\nNOT PART OF IT";
    size_t n1 = strchr(l1, '\n') - l1;  /* not NUL-terminated: stops at len */
    CHECK(tsr_parse_jsonl(NULL, l1, n1, "x.jsonl", 1, &jd, &e) == TSR_OK && jd);
    if (jd) {
        const tsr_docinfo *d = &jd->doc;
        CHECK(streq(d->id, "a") && streq(d->title, "A") && streq(d->date, "1890"));
        CHECK(streq(d->series, "s") && streq(d->meta_json, "{\"b\":[true],\"z\":1.1}"));
        CHECK(d->text_len == 5 && memcmp(d->text, "alpha", 5) == 0);
    }
    tsr_jsonl_doc_free(jd);
    tsr_jsonl_doc_free(NULL);

    /* each error, with the file and line given */
    struct { const char *line; size_t len; int rc; const char *msg; } bad[] = {
        { "{\"id\":\"1\",\"text\":\"x\"", 0, TSR_ERR_JSON, "f.jsonl:7: malformed JSON: " },
        { "[1]", 0, TSR_ERR_JSON, "f.jsonl:7: not a JSON object" },
        { "{\"id\":\"1\"}", 0, TSR_ERR_JSON, "f.jsonl:7: missing \"text\" field" },
        { "{\"id\":\"1\",\"text\":5}", 0, TSR_ERR_JSON,
          "f.jsonl:7: \"text\" field is not a string" },
        { "{\"id\":\"\",\"text\":\"x\"}", 0, TSR_ERR_JSON, "f.jsonl:7: empty \"id\" field" },
        { "{\"text\":\"x\"}", 0, TSR_ERR_JSON, "f.jsonl:7: missing \"id\" field" },
        { "{\"id\":[],\"text\":\"x\"}", 0, TSR_ERR_JSON,
          "f.jsonl:7: \"id\" field is not a string or integer" },
        { "{\"id\":\"1\",\"text\":\"ab\xC3(\"}", 0, TSR_ERR_UTF8,
          "f.jsonl:7: invalid UTF-8 at byte 20 of the line" },
        { "{\"id\":\"1\",\"text\":\"x\",\"title\":\"t\\u0000\"}", 0, TSR_ERR_NUL,
          "f.jsonl:7: NUL byte (\\u0000) in \"title\" at byte 1" },
        { "{\"id\":\"1\",\"text\":\"ab\0\"}", 22, TSR_ERR_NUL,
          "f.jsonl:7: NUL byte at byte 20 of the line (binary file?)" },
        { "", 0, TSR_ERR_JSON, "f.jsonl:7: malformed JSON: " },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t len = bad[i].len ? bad[i].len : strlen(bad[i].line);
        jd = (tsr_jsonl_doc *)1;
        int rc = tsr_parse_jsonl(NULL, bad[i].line, len, "f.jsonl", 7, &jd, &e);
        CHECK(rc == bad[i].rc && e.code == rc && jd == NULL);
        CHECK(strncmp(e.message, bad[i].msg, strlen(bad[i].msg)) == 0);
        if (strncmp(e.message, bad[i].msg, strlen(bad[i].msg)) != 0)
            fprintf(stderr, "  case %zu: %s\n", i, e.message);
    }

    /* options: field names, the size limit; a NULL file name */
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.text_field = "body";
    o.max_doc_bytes = 4;
    CHECK(tsr_parse_jsonl(&o, "{\"id\":1,\"body\":\"abcd\"}", 22, NULL, 3, &jd, &e) == TSR_OK);
    CHECK(jd && streq(jd->doc.id, "1") && jd->doc.text_len == 4);
    tsr_jsonl_doc_free(jd);
    CHECK(tsr_parse_jsonl(&o, "{\"id\":1,\"body\":\"abcde\"}", 23, NULL, 3, &jd, &e) ==
          TSR_ERR_TOOBIG);
    CHECK(has(e.message, "<input>:3: text of 5 bytes is over the limit of 4 bytes"));
    o.text_field = NULL;  /* NULL names are the defaults */
    CHECK(tsr_parse_jsonl(&o, "{\"id\":1,\"text\":\"abc\"}", 21, "g", 1, &jd, &e) == TSR_OK);
    tsr_jsonl_doc_free(jd);
    CHECK(tsr_parse_jsonl(NULL, "{}", 2, "g", 1, NULL, &e) == TSR_ERR_INVALID);
}

/* Raw mode: lines as they are, with their numbers; other files parsed. */
static void test_raw_mode(void)
{
    write_str("raw.jsonl", "\xEF\xBB\xBF{\"id\":\"1\",\"text\":\"one\"}\n"
                           "\n   \r\n"
                           "{\"id\":\"2\",\"text\":\"two\"}  \r\n"
                           "garbage");
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.raw_jsonl = 1;
    tsr_reader *r = NULL;
    tsr_error e;
    const char *file = "x";
    uint64_t line = 9;
    CHECK(tsr_reader_open(path_of("raw.jsonl"), &o, &r, &e) == TSR_OK);
    tsr_reader_where(r, &file, &line);
    CHECK(file == NULL && line == 0);
    tsr_docinfo d;
    int eof = 0;
    const char *want[] = { "{\"id\":\"1\",\"text\":\"one\"}",
                           "{\"id\":\"2\",\"text\":\"two\"}  \r", "garbage" };
    const uint64_t lines[] = { 1, 4, 5 };
    for (int i = 0; i < 3; i++) {
        CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof);
        CHECK(d.id == NULL && d.text_len == strlen(want[i]) &&
              memcmp(d.text, want[i], d.text_len) == 0);
        tsr_reader_where(r, &file, &line);
        CHECK(has(file, "raw.jsonl") && line == lines[i]);
    }
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && eof);
    tsr_reader_close(r);

    /* a text file in raw mode: parsed as always */
    write_str("raw.txt", "plain");
    CHECK(tsr_reader_open(path_of("raw.txt"), &o, &r, &e) == TSR_OK);
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !eof);
    CHECK(streq(d.id, path_of("raw.txt")) && d.text_len == 5);
    tsr_reader_where(r, &file, &line);
    CHECK(streq(file, path_of("raw.txt")) && line == 0);
    tsr_reader_close(r);

    /* a line over the line limit is still the reader's error */
    o.raw_jsonl = 0;  /* read_all reads both ways itself */
    o.max_doc_bytes = 10;
    write_str("rawlong.jsonl", "{\"id\":\"1\",\"text\":\"0123456789A\"}\n");
    got g;
    read_all(path_of("rawlong.jsonl"), &o, &g);
    CHECK(g.rc == TSR_ERR_TOOBIG && has(g.msg, "rawlong.jsonl:1: text of 11 bytes"));
    got_free(&g);
    CHECK(raw_runs > 20);  /* every read_all above compared the two modes */
}

/* Many threads parsing at once give what one thread gives. */
typedef struct { char **lines; size_t n, from, step; int bad; } par_job;

static void *par_main(void *arg)
{
    par_job *j = arg;
    for (size_t i = j->from; i < j->n; i += j->step) {
        tsr_jsonl_doc *jd = NULL;
        tsr_error e;
        char want[32];
        snprintf(want, sizeof want, "%zu", i);
        int rc = tsr_parse_jsonl(NULL, j->lines[i], strlen(j->lines[i]), "p.jsonl", i + 1,
                                 &jd, &e);
        if (i % 97 == 5) {
            char m[64];
            snprintf(m, sizeof m, "p.jsonl:%zu: malformed JSON", i + 1);
            j->bad |= rc != TSR_ERR_JSON || !has(e.message, m);
        } else {
            j->bad |= rc != TSR_OK || !streq(jd->doc.id, want) || !jd->doc.meta_json;
        }
        tsr_jsonl_doc_free(jd);
    }
    return NULL;
}

static void test_parse_threads(void)
{
    enum { N = 4000, T = 4 };
    char **lines = malloc(N * sizeof *lines);
    for (size_t i = 0; i < N; i++) {
        lines[i] = malloc(128);
        if (i % 97 == 5)
            snprintf(lines[i], 128, "{\"id\":\"%zu\",\"text\":", i);
        else
            snprintf(lines[i], 128, "{\"id\":%zu,\"text\":\"t %zu\",\"k\":{\"v\":%zu.5}}",
                     i, i, i);
    }
    pthread_t th[T];
    par_job j[T];
    for (int t = 0; t < T; t++) {
        j[t] = (par_job){ lines, N, (size_t)t, T, 0 };
        pthread_create(&th[t], NULL, par_main, &j[t]);
    }
    int bad = 0;
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        bad |= j[t].bad;
    }
    CHECK(!bad);
    for (size_t i = 0; i < N; i++)
        free(lines[i]);
    free(lines);
}

static void test_defaults(void)
{
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    CHECK(streq(o.id_field, "id") && streq(o.text_field, "text"));
    CHECK(streq(o.title_field, "title") && streq(o.date_field, "date"));
    CHECK(streq(o.series_field, "series"));
    CHECK(o.skip_bad == 0 && o.max_doc_bytes == (size_t)1 << 30);
}

/* ------------------------------------------------------------------------
 * Main
 * --------------------------------------------------------------------- */


/* ------------------------------------------------------------------------
 * Common Crawl WET
 * --------------------------------------------------------------------- */

/* One WARC record into `buf` (appended); `len` -1: the body's length. */
static void wet_record(char *buf, const char *type, const char *uri, const char *id,
                       const char *body, long len)
{
    char h[1024];
    snprintf(h, sizeof h,
             "WARC/1.0\r\nWARC-Type: %s\r\nWARC-Target-URI: %s\r\n"
             "WARC-Date: 2024-03-01T10:00:00Z\r\nWARC-Record-ID: %s\r\n"
             "Content-Type: text/plain\r\nContent-Length: %ld\r\n\r\n",
             type, uri, id, len < 0 ? (long)strlen(body) : len);
    strcat(buf, h);
    strcat(buf, body);
    strcat(buf, "\r\n\r\n");
}

/* A record over max_doc_bytes is a bad record, and reading goes on with
 * the next record: its body is passed over, not read as WARC headers (was:
 * a format error that dropped the rest of the file, and a record written
 * inside the body came out as a document). */
static void test_wet_too_big(void)
{
    static char w[8192];
    char body[512];
    snprintf(body, sizeof body,
             "\r\nWARC/1.0\r\nWARC-Type: conversion\r\nWARC-Record-ID: <urn:fake>\r\n"
             "Content-Length: 4\r\n\r\nfake\r\n\r\n%s", "and more text after it, to be long");
    w[0] = 0;
    wet_record(w, "conversion", "http://big.example/", "<urn:uuid:1>", body, -1);
    wet_record(w, "conversion", "http://small.example/", "<urn:uuid:2>", "small page", -1);
    write_str("big.wet", w);
    write_gz("big.wet.gz", w, "wb");
    const char *names[2] = { "big.wet", "big.wet.gz" };
    for (int k = 0; k < 2; k++) {
        for (int skip = 0; skip < 2; skip++) {
            tsr_reader_opts o;
            tsr_reader_opts_default(&o);
            o.max_doc_bytes = 64;
            o.skip_bad = skip;
            tsr_reader *r = NULL;
            tsr_error e;
            CHECK(tsr_reader_open(path_of(names[k]), &o, &r, &e) == TSR_OK);
            if (!r)
                continue;
            int rcs[8], n = 0, ndocs = 0, good = 1, eof = 0;
            while (n < 8) {
                tsr_docinfo d;
                const int rc = tsr_reader_next(r, &d, &eof, &e);
                rcs[n++] = rc;
                if (rc == TSR_OK && eof)
                    break;
                if (rc == TSR_OK) {
                    good &= ndocs == 0 && streq(d.id, "<urn:uuid:2>") && d.text_len == 10;
                    ndocs++;
                } else if (rc != TSR_ERR_TOOBIG || !has(e.message, ":1: record of")) {
                    good = 0;
                }
            }
            CHECK(good && eof && ndocs == 1);
            CHECK(skip ? n == 2 && tsr_reader_skipped(r) == 1
                       : n == 3 && rcs[0] == TSR_ERR_TOOBIG);
            tsr_reader_close(r);
        }
    }
}

static void test_wet(void)
{
    static char w[8192];
    w[0] = 0;
    wet_record(w, "warcinfo", "", "<urn:uuid:0>", "software: test\n", -1);
    wet_record(w, "conversion", "http://example.com/a/b", "<urn:uuid:1>",
               "First page.\nAbout harbours.", -1);
    wet_record(w, "conversion", "https://news.example.org:8080/x", "<urn:uuid:2>",
               "Second page, \xc3\xbc" "n\xc3\xaf" "code.", -1);
    write_str("cc.warc.wet", w);
    write_gz("cc2.warc.wet.gz", w, "wb");
    const char *names[2] = { "cc.warc.wet", "cc2.warc.wet.gz" };
    for (int k = 0; k < 2; k++) {
        got g;
        read_all(path_of(names[k]), NULL, &g);
        CHECK(g.rc == TSR_OK && g.n == 2);
        CHECK(streq(g.id[0], "<urn:uuid:1>") && streq(g.title[0], "http://example.com/a/b"));
        CHECK(streq(g.series[0], "example.com") && streq(g.date[0], "2024-03-01T10:00:00Z"));
        CHECK(streq(g.text[0], "First page.\nAbout harbours.") && g.len[0] == 27);
        CHECK(streq(g.series[1], "news.example.org"));
        CHECK(streq(g.text[1], "Second page, \xc3\xbc" "n\xc3\xaf" "code."));
        got_free(&g);
    }
    /* a record with bad UTF-8 is a record error: named by line, skippable */
    w[0] = 0;
    wet_record(w, "conversion", "http://a.example/", "<urn:uuid:1>", "good text", -1);
    wet_record(w, "conversion", "http://b.example/", "<urn:uuid:2>", "bad \xff text", -1);
    wet_record(w, "conversion", "http://c.example/", "<urn:uuid:3>", "more good text", -1);
    write_str("bad.wet", w);
    got g;
    read_all(path_of("bad.wet"), NULL, &g);
    CHECK(g.n == 1 && g.rc == TSR_ERR_UTF8 && has(g.msg, "bad.wet:11") && has(g.msg, "byte 4"));
    got_free(&g);
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.skip_bad = 1;
    read_all(path_of("bad.wet"), &o, &g);
    CHECK(g.rc == TSR_OK && g.n == 2 && g.skipped == 1 && streq(g.id[1], "<urn:uuid:3>"));
    got_free(&g);
    /* a body cut short, and a record without Content-Length */
    w[0] = 0;
    wet_record(w, "conversion", "http://a.example/", "<urn:uuid:1>", "short", 500);
    write_str("cut.wet", w);
    read_all(path_of("cut.wet"), NULL, &g);
    CHECK(g.n == 0 && g.rc == TSR_ERR_FORMAT && has(g.msg, "cut short"));
    got_free(&g);
    write_str("nolen.wet", "WARC/1.0\r\nWARC-Type: conversion\r\n\r\nbody\r\n\r\n");
    read_all(path_of("nolen.wet"), NULL, &g);
    CHECK(g.rc == TSR_ERR_FORMAT && has(g.msg, "nolen.wet:1") && has(g.msg, "Content-Length"));
    got_free(&g);
    write_str("notwarc.wet", "hello\n");
    read_all(path_of("notwarc.wet"), NULL, &g);
    CHECK(g.rc == TSR_ERR_FORMAT && has(g.msg, "not a WARC record"));
    got_free(&g);
    test_wet_too_big();
}

static void test_ranges(void)
{
    char body[64 * 1024];
    size_t len = 0;
    for (int i = 0; i < 300; i++) {
        if (i % 37 == 5) len += (size_t)snprintf(body + len, sizeof body - len, "\n");
        len += (size_t)snprintf(body + len, sizeof body - len,
                                "{\"id\":\"d%d\",\"text\":\"%.*s\"}\n", i, i % 50 + 1,
                                "words words words words words words words words words words");
    }
    len += (size_t)snprintf(body + len, sizeof body - len, "{\"id\":\"last\",\"text\":\"x\"}");
    write_bytes("r.jsonl", body, len);
    const size_t cuts[][5] = { { 0, 0, 0, 0, 0 }, { 1, 2, 3, 4, 5 }, { 100, 101, 4000, 9000, 0 },
                               { 17, 18, 19, 5000, 0 } };
    int all_ok = 1;
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        /* parts [0, c0), [c0, c1), ..., [c_last, end) */
        size_t pts[7] = { 0 }, np = 1;
        for (int k = 0; k < 5; k++)
            if (cuts[c][k] && cuts[c][k] > pts[np - 1]) pts[np++] = cuts[c][k];
        pts[np] = 0;
        int next = 0, last_seen = 0;
        for (size_t k = 0; k < np; k++) {
            tsr_reader_opts o;
            tsr_reader_opts_default(&o);
            o.range_begin = pts[k];
            o.range_end = pts[k + 1];
            tsr_reader *r = NULL;
            tsr_error e;
            if (tsr_reader_open(path_of("r.jsonl"), &o, &r, &e) != TSR_OK) { all_ok = 0; break; }
            for (;;) {
                tsr_docinfo d;
                int eof = 0;
                if (tsr_reader_next(r, &d, &eof, &e) != TSR_OK) { all_ok = 0; break; }
                if (eof) break;
                char want[16];
                if (next < 300) snprintf(want, sizeof want, "d%d", next);
                else snprintf(want, sizeof want, "last");
                if (strcmp(d.id, want)) all_ok = 0;
                if (!strcmp(d.id, "last")) last_seen = 1;
                /* the line number, as one reader of the whole file counts it */
                uint64_t line;
                tsr_reader_where(r, NULL, &line);
                if (line != (uint64_t)(next + 1 + (next + 32) / 37)) all_ok = 0;
                next++;
            }
            tsr_reader_close(r);
        }
        CHECK(all_ok && next == 301 && last_seen);
    }
    /* a range of a compressed file or a directory is refused */
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.range_begin = 10;
    tsr_reader *r = NULL;
    tsr_error e;
    write_bytes("rdir/a.txt", "x", 1);
    CHECK(tsr_reader_open(path_of("rdir"), &o, &r, &e) == TSR_ERR_INVALID);
    write_bytes("r.txt", "x", 1);
    CHECK(tsr_reader_open(path_of("r.txt"), &o, &r, &e) == TSR_ERR_INVALID);
}

/* Extra fields over max_meta_bytes: TSR_ERR_TOOBIG naming the line, or
 * skipped with skip_bad; under it, kept whole. */
static void test_meta_cap(void)
{
    const size_t big = (size_t)1 << 21;   /* 2 MiB of an extra field */
    char *line = malloc(big + 200);
    size_t n = (size_t)sprintf(line, "{\"id\":\"a\",\"text\":\"x y\",\"html\":\"");
    memset(line + n, 'h', big);
    n += big;
    n += (size_t)sprintf(line + n, "\"}\n{\"id\":\"b\",\"text\":\"z\",\"k\":1}\n");
    write_bytes("meta.jsonl", line, n);
    free(line);
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    CHECK(o.max_meta_bytes == (size_t)1 << 20);
    tsr_reader *r = NULL;
    tsr_error e;
    tsr_docinfo d;
    int eof = 0;
    CHECK(tsr_reader_open(path_of("meta.jsonl"), &o, &r, &e) == TSR_OK);
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_ERR_TOOBIG);
    CHECK(strstr(e.message, "meta.jsonl:1: extra fields of 2097163 bytes") != NULL);
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !strcmp(d.id, "b") &&
          !strcmp(d.meta_json, "{\"k\":1}"));
    tsr_reader_close(r);
    o.skip_bad = 1;
    CHECK(tsr_reader_open(path_of("meta.jsonl"), &o, &r, &e) == TSR_OK);
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && !strcmp(d.id, "b"));
    CHECK(tsr_reader_skipped(r) == 1);
    tsr_reader_close(r);
    o.skip_bad = 0;
    o.max_meta_bytes = (size_t)4 << 20;
    CHECK(tsr_reader_open(path_of("meta.jsonl"), &o, &r, &e) == TSR_OK);
    CHECK(tsr_reader_next(r, &d, &eof, &e) == TSR_OK && strlen(d.meta_json) == big + 11);
    tsr_reader_close(r);
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/tsr-reader-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    RUN(test_defaults);
    RUN(test_text_file);
    RUN(test_empty_file);
    RUN(test_directory);
    RUN(test_jsonl_fields);
    RUN(test_passim);
    RUN(test_field_options);
    RUN(test_compressed);
    RUN(test_malformed);
    RUN(test_missing_text);
    RUN(test_skip_bad);
    RUN(test_bad_text);
    RUN(test_nul_policy);
    RUN(test_missing_path);
    RUN(test_long_line);
    RUN(test_chunk_edges);
    RUN(test_wet);
    RUN(test_parse_jsonl);
    RUN(test_raw_mode);
    RUN(test_parse_threads);
    RUN(test_ranges);
    RUN(test_meta_cap);
    if (rm_tree(tmpdir) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_report();
}
