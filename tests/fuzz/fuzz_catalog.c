/*
 * fuzz_catalog.c - libFuzzer target for an index whose SQLite catalog
 * (catalog.sqlite, lib/catalog.c; doc/index-format.md section 3) is
 * damaged or lies, read through the public API.
 *
 * Once per process a small real index is built in a mkdtemp directory
 * (five documents in two commits, so two segments, and the fifth then
 * removed, so that the catalog has a row in its table `removed`, read at
 * every open and refresh), then given a zstd dictionary that the texts of
 * c and d are compressed with, as a writer does past 512 KB of text (format
 * 3: the table `dicts`, read when a text names it), its catalog is
 * rewritten with 512-byte pages (7 KB) and kept in memory.  For each
 * input, the first byte picks how the catalog of a copy of that index is
 * made:
 *
 *   mode 0  the rest is the whole catalog.sqlite file;
 *   mode 1  the real catalog with bytes overwritten: the rest is a list of
 *           patches, each 2 bytes of offset (big-endian, modulo the file
 *           size), 1 byte n, then n % 16 + 1 bytes written there;
 *   mode 2  the real catalog edited through SQLite, so that the file is
 *           sound but its contents lie: the rest is a list of edits, each
 *           a byte choosing a statement (an UPDATE of one column of docs,
 *           meta, segments, removed or dicts, a DELETE or a copied or new
 *           row), a byte choosing
 *           the row, a byte choosing the value's type (integer from 8
 *           bytes, small integer, text or blob from a length byte and
 *           bytes, NULL), then the value.  Statements that SQLite refuses
 *           (NOT NULL, UNIQUE) change nothing.
 *
 * Then tsr_index_open (read-only), tsr_index_stats, tsr_index_verify,
 * tsr_index_get of the four ids and one absent, tsr_index_get_docno of
 * -1..4, tsr_index_refresh and a tsr_index_check of a text holding two of
 * the documents, whose result must give JSON that parses.  Nothing
 * may crash, leak, hang or ask for more memory than libFuzzer's limit; every call must answer TSR_OK or a tessera
 * status (1 .. TSR_STATUS_MAX_ - 1, never a raw SQLite code) with the
 * same code and a message in the error; a document handed out has its id
 * and text; SQLite's "database disk image is malformed" must come out as
 * TSR_ERR_CORRUPT and "file is not a database" as TSR_ERR_FORMAT or
 * TSR_ERR_CORRUPT.
 *
 * SQLite is the system's library, not instrumented: a crash whose stack
 * is inside libsqlite3 is SQLite's behaviour on a corrupt file (check the
 * version against sqlite.org's advisories), not tessera's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>
#include <xxhash.h>
#include <zdict.h>
#include <zstd.h>

#include "tessera.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];           /* the mkdtemp directory */
static char src[320], ix[320];  /* the real index, and the copy fuzzed */
static uint8_t *real_cat;       /* the real catalog.sqlite */
static size_t real_len;

static const char *const ids[4] = { "a", "b", "c", "d" };

/* ------------------------------------------------------------------------
 * Files
 * --------------------------------------------------------------------- */

static void path_in(char *p, size_t n, const char *d, const char *name)
{
    snprintf(p, n, "%s/%s", d, name);
}

static void put(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (len && fwrite(data, 1, len, f) != len)
        abort();
    fclose(f);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        abort();
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || n < 0 || (n && fread(b, 1, (size_t)n, f) != (size_t)n))
        abort();
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* The catalog of the copy, and SQLite's files beside it, removed. */
static void clear_catalog(void)
{
    static const char *const names[] = { "catalog.sqlite", "catalog.sqlite-wal",
                                         "catalog.sqlite-shm", "catalog.sqlite-journal" };
    char p[512];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        path_in(p, sizeof p, ix, names[i]);
        unlink(p);
    }
}

static void remove_all(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_catalog: could not remove %s\n", dir);
}

static void sql(sqlite3 *db, const char *q)
{
    if (sqlite3_exec(db, q, NULL, NULL, NULL) != SQLITE_OK)
        abort();
}

/* A dictionary in the catalog `db` as a writer stores it (lib/textdict.c,
 * doc/index-format.md "dicts"), and the texts of docnos 2 and 3 compressed
 * with it.  A writer trains one past 512 KB of text only: this one is 1 KB,
 * trained on sentences made of the words of `text`, so that the catalog
 * stays small. */
static void add_dictionary(sqlite3 *db, const char *const *text, int ntext)
{
    enum { NS = 400, SW = 12 };
    static char words[64][24];
    int nw = 0;
    for (int k = 0; k < ntext; k++)
        for (const char *p = text[k]; *p && nw < 64;) {
            size_t n = strcspn(p, " ,");
            if (n > 0 && n < sizeof words[0]) {
                memcpy(words[nw], p, n);
                words[nw++][n] = 0;
            }
            p += n;
            p += strspn(p, " ,");
        }
    static char samples[NS * SW * 24];
    static size_t sizes[NS];
    size_t at = 0;
    uint32_t x = 12345;
    for (int i = 0; i < NS; i++) {
        const size_t start = at;
        for (int w = 0; w < SW; w++) {
            x = x * 1103515245u + 12345u;
            const char *wd = words[(x >> 16) % (uint32_t)nw];
            at += (size_t)sprintf(samples + at, "%s ", wd);
        }
        sizes[i] = at - start;
    }
    static uint8_t dict[1024];
    const size_t dl = ZDICT_trainFromBuffer(dict, sizeof dict, samples, sizes, NS);
    const unsigned id = ZDICT_isError(dl) ? 0 : ZDICT_getDictID(dict, dl);
    if (id == 0)
        abort();
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    sql(db, "CREATE TABLE IF NOT EXISTS dicts(id INTEGER PRIMARY KEY, data BLOB NOT NULL,"
            " data2 BLOB NOT NULL, checksum INTEGER NOT NULL)");
    sqlite3_stmt *s = NULL;
    if (!cc || sqlite3_prepare_v2(db, "INSERT INTO dicts VALUES (?1, ?2, ?2, ?3)", -1, &s,
                                  NULL) != SQLITE_OK)
        abort();
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_blob(s, 2, dict, (int)dl, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)XXH3_64bits(dict, dl));
    if (sqlite3_step(s) != SQLITE_DONE)
        abort();
    sqlite3_finalize(s);
    for (int k = 2; k <= 3; k++) {
        uint8_t z[512];
        const size_t zl = ZSTD_compress_usingDict(cc, z, sizeof z, text[k], strlen(text[k]),
                                                  dict, dl, 1);
        if (ZSTD_isError(zl) || ZSTD_getDictID_fromFrame(z, zl) != id ||
            sqlite3_prepare_v2(db, "UPDATE docs SET text = ?1 WHERE docno = ?2", -1, &s,
                               NULL) != SQLITE_OK)
            abort();
        sqlite3_bind_blob(s, 1, z, (int)zl, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 2, k);
        if (sqlite3_step(s) != SQLITE_DONE)
            abort();
        sqlite3_finalize(s);
    }
    ZSTD_freeCCtx(cc);
    sql(db, "UPDATE meta SET value = (SELECT sum(length(text)) FROM docs)"
            " WHERE key = 'stored_bytes'; UPDATE meta SET value = '3' WHERE key = 'format';"
            " INSERT INTO meta VALUES ('removals', '1'); PRAGMA user_version = 3");
}

/* The real index (two commits, so two segments), and a copy of its
 * segment files in `ix`, which the inputs never change. */
static void setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/tsr-fuzz-catalog-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir))
        abort();
    atexit(remove_all);
    path_in(src, sizeof src, dir, "src");
    path_in(ix, sizeof ix, dir, "ix");
    static const char *const text[5] = {
        "the lighthouse keeper climbed the iron stairs every evening at dusk, trimmed"
        " the wick, polished the great lens and wrote the weather in his log",
        "a loaf of bread needs flour water salt and a long slow rise, then a hot oven,"
        " a little steam for the crust and an hour of patience before slicing",
        "the keeper climbed the iron stairs every evening and wound the clock",
        "flour water salt and a long slow rise make a loaf worth the wait",
        "the iron stairs of the lighthouse and a loaf of bread, removed at once",
    };
    static const char *const all_ids[5] = { "a", "b", "c", "d", "e" };
    tsr_index *w = NULL;
    tsr_error e;
    if (tsr_index_open(src, TSR_OPEN_CREATE, &w, &e) != TSR_OK)
        abort();
    for (int k = 0; k < 5; k++) {
        const tsr_docinfo d = { .id = all_ids[k], .title = "A title", .date = "2024-03-01",
                                .series = k & 1 ? "bakery" : "coast",
                                .meta_json = k == 0 ? "{\"n\":1}" : NULL,
                                .text = text[k], .text_len = strlen(text[k]) };
        if (tsr_index_add(w, &d, &e) != TSR_OK)
            abort();
        if (k == 1 && tsr_index_commit(w, &e) != TSR_OK)
            abort();
    }
    if (tsr_index_commit(w, &e) != TSR_OK)
        abort();
    size_t nrm = 0;
    if (tsr_index_remove(w, all_ids + 4, 1, NULL, &nrm, &e) != TSR_OK || nrm != 1)
        abort();
    tsr_index_close(w);   /* checkpoints the WAL into catalog.sqlite */
    /* Pages of 512 bytes instead of 4096: the same catalog in 5 KB instead
     * of 28, so that inputs are small and patches land on structure. */
    char p[512];
    path_in(p, sizeof p, src, "catalog.sqlite");
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        abort();
    add_dictionary(db, text, 5);
    if (sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM;"
                         " PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_close(db) != SQLITE_OK)
        abort();
    /* the real catalog reads whole, every text, through its dictionary */
    tsr_index *r = NULL;
    if (tsr_index_open(src, TSR_OPEN_READONLY, &r, &e) != TSR_OK ||
        tsr_index_verify(r, NULL, NULL, &e) != TSR_OK)
        abort();
    for (int k = 0; k < 4; k++) {
        tsr_document *d = NULL;
        if (tsr_index_get(r, all_ids[k], &d, &e) != TSR_OK || strcmp(d->text, text[k]))
            abort();
        tsr_document_free(d);
    }
    tsr_index_close(r);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir '%s' && cp '%s'/seg-*.tsg '%s'/", ix, src, ix);
    if (system(cmd) != 0)
        abort();
    real_cat = slurp(p, &real_len);
    /* the seed of mode 0 (tests/fuzz/make_seeds.py) */
    const char *seed = getenv("FUZZ_CATALOG_SEED");
    if (seed && *seed)
        put(seed, real_cat, real_len);
}

/* ------------------------------------------------------------------------
 * Making the catalog
 * --------------------------------------------------------------------- */

static void make_patched(const char *path, const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(real_len);
    if (!b)
        abort();
    memcpy(b, real_cat, real_len);
    size_t i = 0;
    while (i + 3 <= size) {
        size_t off = ((size_t)data[i] << 8 | data[i + 1]) % real_len;
        size_t n = (size_t)(data[i + 2] % 16) + 1;
        i += 3;
        for (size_t k = 0; k < n && i < size && off < real_len; k++)
            b[off++] = data[i++];
    }
    put(path, b, real_len);
    free(b);
}

/* "the row-th row of the table", for tables keyed by text */
#define NTH_META "(SELECT key FROM meta ORDER BY key LIMIT 1 OFFSET ?2)"
#define NTH_SEG "(SELECT file FROM segments ORDER BY file LIMIT 1 OFFSET ?2)"

static const char *const edits[] = {
    "UPDATE docs SET id = ?1 WHERE docno = ?2",
    "UPDATE docs SET title = ?1 WHERE docno = ?2",
    "UPDATE docs SET date = ?1 WHERE docno = ?2",
    "UPDATE docs SET series = ?1 WHERE docno = ?2",
    "UPDATE docs SET meta = ?1 WHERE docno = ?2",
    "UPDATE docs SET text_len = ?1 WHERE docno = ?2",
    "UPDATE docs SET text = ?1 WHERE docno = ?2",
    "UPDATE docs SET docno = ?1 WHERE docno = ?2",
    "UPDATE docs SET commit_no = ?1 WHERE docno = ?2",
    "DELETE FROM docs WHERE docno = ?2 AND ?1 IS ?1",
    "INSERT INTO docs SELECT ?2, ?1, title, date, series, meta, text_len, text, commit_no"
    " FROM docs LIMIT 1",
    "UPDATE meta SET value = ?1 WHERE key = " NTH_META,
    "UPDATE meta SET key = ?1 WHERE key = " NTH_META,
    "DELETE FROM meta WHERE key = " NTH_META " AND ?1 IS ?1",
    "UPDATE segments SET file = ?1 WHERE file = " NTH_SEG,
    "UPDATE segments SET doc_lo = ?1 WHERE file = " NTH_SEG,
    "UPDATE segments SET doc_hi = ?1 WHERE file = " NTH_SEG,
    "UPDATE segments SET ndocs = ?1 WHERE file = " NTH_SEG,
    "UPDATE segments SET npostings = ?1 WHERE file = " NTH_SEG,
    "UPDATE segments SET bytes = ?1 WHERE file = " NTH_SEG,
    "UPDATE segments SET checksum = ?1 WHERE file = " NTH_SEG,
    "DELETE FROM segments WHERE file = " NTH_SEG " AND ?1 IS ?1",
    "INSERT INTO segments SELECT ?1, doc_lo, doc_hi, ndocs, npostings, bytes, checksum"
    " FROM segments LIMIT 1 OFFSET ?2",
    "UPDATE removed SET docno = ?1 WHERE docno = (SELECT docno FROM removed ORDER BY docno"
    " LIMIT 1 OFFSET ?2)",
    "DELETE FROM removed WHERE docno = ?2 AND ?1 IS ?1",
    "INSERT INTO removed(docno) VALUES (?1)",
    "UPDATE dicts SET data = ?1 WHERE ?2 IS ?2",
    "UPDATE dicts SET data2 = ?1 WHERE ?2 IS ?2",
    "UPDATE dicts SET checksum = ?1 WHERE ?2 IS ?2",
    "UPDATE dicts SET id = ?1 WHERE ?2 IS ?2",
    "DELETE FROM dicts WHERE ?1 IS ?1 AND ?2 IS ?2",
    "INSERT INTO dicts SELECT ?1, data, data2, checksum FROM dicts LIMIT 1 OFFSET ?2",
};
#define N_EDITS (sizeof edits / sizeof *edits)

static void make_edited(const char *path, const uint8_t *data, size_t size)
{
    put(path, real_cat, real_len);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        abort();
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    size_t i = 0;
    for (int k = 0; k < 32 && i + 3 <= size; k++) {
        const unsigned op = data[i] % N_EDITS;
        const int row = (int8_t)data[i + 1];
        const unsigned kind = data[i + 2] % 5;
        i += 3;
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db, edits[op], -1, &s, NULL) != SQLITE_OK)
            abort();   /* a statement of this file is wrong */
        sqlite3_bind_int(s, 2, row);
        if (kind == 0) {           /* an integer, 8 bytes little-endian */
            uint64_t v = 0;
            for (int b = 0; b < 8 && i < size; b++)
                v |= (uint64_t)data[i++] << (8 * b);
            sqlite3_bind_int64(s, 1, (sqlite3_int64)v);
        } else if (kind == 1) {    /* a small integer */
            sqlite3_bind_int(s, 1, i < size ? (int8_t)data[i++] : 0);
        } else if (kind == 2 || kind == 3) {  /* text or blob */
            size_t n = i < size ? data[i++] % 64 : 0;
            if (n > size - i)
                n = size - i;
            if (kind == 2)
                sqlite3_bind_text(s, 1, (const char *)data + i, (int)n, SQLITE_TRANSIENT);
            else
                sqlite3_bind_blob(s, 1, data + i, (int)n, SQLITE_TRANSIENT);
            i += n;
        } else {
            sqlite3_bind_null(s, 1);
        }
        sqlite3_step(s);   /* a refused change is no change */
        sqlite3_finalize(s);
    }
    if (sqlite3_close(db) != SQLITE_OK)   /* checkpoints the WAL */
        abort();
}

/* ------------------------------------------------------------------------
 * Reading it
 * --------------------------------------------------------------------- */

static int has(const char *s, const char *sub)
{
    return strstr(s, sub) != NULL;
}

/* A call's answer: TSR_OK, or a tessera status with its message. */
static void check_status(int rc, const tsr_error *e)
{
    if (rc == TSR_OK)
        return;
    if (rc < 0 || rc >= TSR_STATUS_MAX_ || e->code != rc || !e->message[0] ||
        !memchr(e->message, 0, sizeof e->message))
        __builtin_trap();
    if (has(e->message, "database disk image is malformed") && rc != TSR_ERR_CORRUPT)
        __builtin_trap();
    if (has(e->message, "file is not a database") && rc != TSR_ERR_FORMAT &&
        rc != TSR_ERR_CORRUPT)
        __builtin_trap();
}

static void check_doc(int rc, const tsr_error *e, tsr_document *d)
{
    check_status(rc, e);
    if (rc != TSR_OK) {
        if (d)
            __builtin_trap();
        return;
    }
    if (!d || !d->id || !d->text)
        __builtin_trap();
    tsr_document_free(d);
}

static void on_verify(void *ud, const char *file, int status, const char *message)
{
    (void)ud;
    if (!file || !message || status < 0 || status >= TSR_STATUS_MAX_)
        __builtin_trap();
}

static void read_index(void)
{
    tsr_index *x = NULL;
    tsr_error e;
    memset(&e, 0, sizeof e);
    int rc = tsr_index_open(ix, TSR_OPEN_READONLY, &x, &e);
    check_status(rc, &e);
    if (rc != TSR_OK) {
        if (x)
            __builtin_trap();
        return;
    }
    tsr_stats st;
    memset(&e, 0, sizeof e);
    rc = tsr_index_stats(x, &st, &e);
    if (rc != TSR_OK)
        __builtin_trap();   /* nothing to fail once open */
    memset(&e, 0, sizeof e);
    check_status(tsr_index_verify(x, on_verify, NULL, &e), &e);
    for (int k = 0; k < 5; k++) {
        tsr_document *d = NULL;
        memset(&e, 0, sizeof e);
        rc = tsr_index_get(x, k < 4 ? ids[k] : "absent", &d, &e);
        check_doc(rc, &e, d);
    }
    for (int64_t n = -1; n <= 4; n++) {
        tsr_document *d = NULL;
        memset(&e, 0, sizeof e);
        rc = tsr_index_get_docno(x, n, &d, &e);
        check_doc(rc, &e, d);
    }
    memset(&e, 0, sizeof e);
    check_status(tsr_index_refresh(x, &e), &e);
    /* documents a and b whole: passages from both, named by their rows */
    const char *q = "so: the lighthouse keeper climbed the iron stairs every evening at dusk,"
                    " trimmed the wick, polished the great lens and wrote the weather in his"
                    " log. and: a loaf of bread needs flour water salt and a long slow rise,"
                    " then a hot oven, a little steam for the crust and an hour of patience.";
    tsr_result *r = NULL;
    memset(&e, 0, sizeof e);
    rc = tsr_index_check(x, q, strlen(q), NULL, &r, &e);
    check_status(rc, &e);
    if (rc == TSR_OK) {
        if (!r)
            __builtin_trap();
        /* whatever the rows hold, the result's JSON is JSON */
        char *j = tsr_result_json(r, 0);
        if (j) {
            json_t *v = json_loads(j, 0, NULL);
            if (!v)
                __builtin_trap();
            json_decref(v);
            tsr_free(j);
        }
        tsr_result_free(r);
    }
    tsr_index_close(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0])
        setup();
    if (size < 1)
        return 0;
    const unsigned mode = data[0] % 3;
    data++;
    size--;
    clear_catalog();
    char path[512];
    path_in(path, sizeof path, ix, "catalog.sqlite");
    if (mode == 0)
        put(path, data, size);
    else if (mode == 1)
        make_patched(path, data, size);
    else
        make_edited(path, data, size);
    read_index();
    return 0;
}
