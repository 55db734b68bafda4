/*
 * test_textdict.c - the zstd dictionary of an index's texts (lib/textdict.c):
 * trained once a writer has sampled enough text, stored with the first
 * commit of texts compressed with it, used again by later writers, read by
 * readers that opened before it existed, guarded by two copies and a
 * checksum, and the catalog versions around it.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "textdict.h"
#include "tessera.h"
#include "testhelp.h"
#include "testutil.h"

static char tmpdir[64];
static rng R = { 4242 };

enum { NDOCS = 3000 };           /* about 3.5 MB of text: past the sample */
static char *texts[NDOCS];
static char ids[NDOCS][16];

/* Add documents [lo, hi) to w in batches of 256 and commit. */
static int add_range(tsr_index *w, int lo, int hi)
{
    tsr_docinfo d[256];
    tsr_error e = {0};
    for (int at = lo; at < hi; at += 256) {
        const int n = hi - at < 256 ? hi - at : 256;
        for (int i = 0; i < n; i++)
            d[i] = (tsr_docinfo){ .id = ids[at + i], .text = texts[at + i],
                                  .text_len = strlen(texts[at + i]) };
        if (tsr_index_add_batch(w, d, (size_t)n, 2, NULL, NULL, &e) != TSR_OK) {
            fprintf(stderr, "%s\n", e.message);
            return -1;
        }
    }
    return tsr_index_commit(w, &e) == TSR_OK ? 0 : -1;
}

/* Every document of [lo, hi) reads back as added, by id and by docno. */
static int all_read_back(tsr_index *ix, int lo, int hi)
{
    int ok = 1;
    for (int i = lo; i < hi && ok; i++) {
        tsr_document *d = NULL;
        tsr_error e = {0};
        ok = tsr_index_get(ix, ids[i], &d, &e) == TSR_OK && d && d->text &&
             !strcmp(d->text, texts[i]);
        if (ok) {
            const int64_t no = d->docno;
            tsr_document_free(d);
            d = NULL;
            ok = tsr_index_get_docno(ix, no, &d, &e) == TSR_OK && d &&
                 !strcmp(d->text, texts[i]);
        }
        if (!ok)
            fprintf(stderr, "document %s: %s\n", ids[i], e.message);
        tsr_document_free(d);
    }
    return ok;
}

/* One integer from the catalog of index `dir` (-1 when the query fails). */
static long long cat_int(const char *dir, const char *sql)
{
    char path[512];
    snprintf(path, sizeof path, "%s/catalog.sqlite", dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static int cat_exec(const char *dir, const char *sql)
{
    char path[512];
    snprintf(path, sizeof path, "%s/catalog.sqlite", dir);
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db) == SQLITE_OK &&
             sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return rc;
}

/* The sample and the training on their own. */
static void test_train(void)
{
    td_sample s = {0};
    CHECK(!td_sample_full(&s));
    for (int i = 0; i < NDOCS && !td_sample_full(&s); i++)
        td_sample_add(&s, texts[i], strlen(texts[i]));
    CHECK(td_sample_full(&s) && s.len >= TD_SAMPLE_BYTES && s.len < TD_SAMPLE_BYTES + TD_PIECE_MAX);
    void *d1 = NULL, *d2 = NULL;
    size_t n1 = 0, n2 = 0;
    uint32_t id1 = 0, id2 = 0;
    CHECK(td_train(&s, &d1, &n1, &id1) == TSR_OK && n1 > 0 && n1 <= TD_DICT_BYTES);
    CHECK(td_valid(d1, n1, id1) && !td_valid(d1, n1, id1 + 1));
    /* the same texts, the same dictionary */
    CHECK(td_train(&s, &d2, &n2, &id2) == TSR_OK && n1 == n2 && id1 == id2 &&
          !memcmp(d1, d2, n1));
    /* a piece of a long text only */
    td_sample t = {0};
    char *big = malloc(3 * TD_PIECE_MAX);
    memset(big, 'x', 3 * TD_PIECE_MAX);
    td_sample_add(&t, big, 3 * TD_PIECE_MAX);
    CHECK(t.len == TD_PIECE_MAX && t.sizes.n == 1);
    /* too few texts: no dictionary, no error */
    void *d3 = NULL;
    size_t n3 = 0;
    uint32_t id3 = 0;
    CHECK(td_train(&t, &d3, &n3, &id3) == TSR_ERR_NOTFOUND && !d3);
    CHECK(!td_valid(big, 100, 5));
    free(big);
    free(d1);
    free(d2);
    td_sample_free(&t);
    td_sample_free(&s);
}

/* An index past the sample: a dictionary, stored once, used for the texts
 * after the sample, read back by every path; a reader opened before it
 * existed reads the texts compressed with it. */
static void test_index(void)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/dict.tsr", tmpdir);
    tsr_index *w = NULL, *early = NULL, *r = NULL;
    tsr_error e = {0};
    CHECK(tsr_index_open(dir, TSR_OPEN_CREATE, &w, &e) == TSR_OK);
    if (!w)
        return;
    CHECK(add_range(w, 0, 100) == 0);
    CHECK(cat_int(dir, "PRAGMA user_version") == 1);     /* no dictionary yet */
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &early, &e) == TSR_OK);
    CHECK(add_range(w, 100, 2000) == 0);
    CHECK(cat_int(dir, "PRAGMA user_version") == 3);
    CHECK(cat_int(dir, "SELECT value FROM meta WHERE key = 'format'") == 3);
    CHECK(cat_int(dir, "SELECT count(*) FROM dicts") == 1);
    CHECK(cat_int(dir, "SELECT count(*) FROM removed") == 0);
    CHECK(cat_int(dir, "SELECT count(*) FROM meta WHERE key = 'removals'") == 0);
    /* the texts after the sample name it; the first ones do not */
    const long long did = cat_int(dir, "SELECT id FROM dicts");
    CHECK(did > 0);
    CHECK(early && all_read_back(early, 0, 2000));       /* loaded when first named */
    CHECK(all_read_back(w, 0, 2000));
    tsr_stats st;
    CHECK(tsr_index_stats(w, &st, &e) == TSR_OK && st.documents == 2000);
    const double ratio = (double)st.stored_bytes / (double)st.text_bytes;
    tsr_index_close(w);
    w = NULL;
    /* a writer opened later compresses with the same one */
    CHECK(tsr_index_open(dir, TSR_OPEN_WRITE, &w, &e) == TSR_OK);
    CHECK(w && add_range(w, 2000, NDOCS) == 0);
    CHECK(cat_int(dir, "SELECT count(*) FROM dicts") == 1);
    CHECK(cat_int(dir, "SELECT id FROM dicts") == did);
    tsr_index_close(w);
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &r, &e) == TSR_OK);
    CHECK(r && all_read_back(r, 0, NDOCS));
    CHECK(r && tsr_index_verify(r, NULL, NULL, &e) == TSR_OK);
    /* check reads its candidates in one fetch (ix_docs_fetch) */
    tsr_result *res = NULL;
    CHECK(r && tsr_index_check(r, texts[2500], strlen(texts[2500]), NULL, &res, &e) == TSR_OK &&
          res && res->n_passages >= 1);
    tsr_result_free(res);
    /* discovery's workers read through their own connections */
    tsr_discover_opts dopt;
    tsr_discover_opts_default(&dopt);
    tsr_discovery *disc = NULL;
    CHECK(r && tsr_discover(r, NULL, &dopt, &disc, &e) == TSR_OK && disc);
    tsr_discovery_free(disc);
    tsr_index_close(r);
    tsr_index_close(early);

    /* the first of those documents, fewer than the sample holds: no
     * dictionary, larger */
    char plain[128];
    snprintf(plain, sizeof plain, "%s/plain.tsr", tmpdir);
    tsr_index *p = NULL;
    CHECK(tsr_index_open(plain, TSR_OPEN_CREATE, &p, &e) == TSR_OK);
    tsr_stats ps;
    CHECK(p && add_range(p, 0, 400) == 0 && tsr_index_stats(p, &ps, &e) == TSR_OK);
    CHECK(ps.text_bytes < TD_SAMPLE_BYTES);
    CHECK(cat_int(plain, "PRAGMA user_version") == 1);
    CHECK((double)ps.stored_bytes / (double)ps.text_bytes > ratio);
    tsr_index_close(p);
}

/* The dictionary's two copies: one damaged, the texts still read and
 * verify names it; both damaged, reads and a writer's open fail as
 * corrupt, naming it. */
static void test_damage(void)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/dict.tsr", tmpdir);
    tsr_index *r = NULL;
    tsr_error e = {0};
    CHECK(cat_exec(dir, "UPDATE dicts SET data = zeroblob(length(data))"));
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &r, &e) == TSR_OK);
    CHECK(r && all_read_back(r, 0, NDOCS));
    CHECK(r && tsr_index_verify(r, NULL, NULL, &e) == TSR_ERR_CORRUPT);
    CHECK(strstr(e.message, "dictionary") && strstr(e.message, "first copy"));
    tsr_index_close(r);
    r = NULL;
    CHECK(cat_exec(dir, "UPDATE dicts SET data2 = zeroblob(length(data2))"));
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &r, &e) == TSR_OK);
    tsr_document *d = NULL;
    CHECK(r && tsr_index_get(r, ids[NDOCS - 1], &d, &e) == TSR_ERR_CORRUPT && !d);
    CHECK(strstr(e.message, "dictionary") && strstr(e.message, "damaged"));
    CHECK(r && tsr_index_get(r, ids[0], &d, &e) == TSR_OK && d);   /* a plain frame */
    tsr_document_free(d);
    tsr_index_close(r);
    tsr_index *w = NULL;
    CHECK(tsr_index_open(dir, TSR_OPEN_WRITE, &w, &e) == TSR_ERR_CORRUPT && !w);
    CHECK(strstr(e.message, "dictionary") != NULL);
    /* a frame that names a dictionary the catalog lacks */
    CHECK(cat_exec(dir, "DELETE FROM dicts"));
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &r, &e) == TSR_OK);
    CHECK(r && tsr_index_get(r, ids[NDOCS - 1], &d, &e) == TSR_ERR_CORRUPT && !d);
    CHECK(strstr(e.message, "lacks") != NULL);
    CHECK(r && tsr_index_verify(r, NULL, NULL, &e) == TSR_ERR_CORRUPT);
    CHECK(strstr(e.message, "lacks") != NULL);
    tsr_index_close(r);
}

/* A catalog of version 2 (a removal) becomes version 3 with its removed
 * documents kept; a build that reads up to 3 refuses 4. */
static void test_versions(void)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/v2.tsr", tmpdir);
    tsr_index *w = NULL;
    tsr_error e = {0};
    CHECK(tsr_index_open(dir, TSR_OPEN_CREATE, &w, &e) == TSR_OK);
    if (!w)
        return;
    CHECK(add_range(w, 0, 100) == 0);
    const char *gone[1] = { ids[5] };
    size_t nrm = 0;
    CHECK(tsr_index_remove(w, gone, 1, NULL, &nrm, &e) == TSR_OK && nrm == 1);
    CHECK(cat_int(dir, "PRAGMA user_version") == 2);
    CHECK(add_range(w, 100, 1600) == 0);
    CHECK(cat_int(dir, "PRAGMA user_version") == 3);
    CHECK(cat_int(dir, "SELECT count(*) FROM removed") == 1);
    /* what format 2 said, format 3 keeps: no shard can be made of it */
    CHECK(cat_int(dir, "SELECT value FROM meta WHERE key = 'removals'") == 1);
    tsr_document *d = NULL;
    CHECK(tsr_index_get(w, ids[5], &d, &e) == TSR_ERR_NOTFOUND);
    /* a second removal leaves the version at 3 */
    gone[0] = ids[6];
    CHECK(tsr_index_remove(w, gone, 1, NULL, &nrm, &e) == TSR_OK && nrm == 1);
    CHECK(cat_int(dir, "PRAGMA user_version") == 3);
    CHECK(cat_int(dir, "SELECT value FROM meta WHERE key = 'format'") == 3);
    CHECK(tsr_index_verify(w, NULL, NULL, &e) == TSR_OK);
    tsr_index_close(w);
    CHECK(cat_exec(dir, "UPDATE meta SET value = '4' WHERE key = 'format'"));
    tsr_index *r = NULL;
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &r, &e) == TSR_ERR_VERSION && !r);
    CHECK(strstr(e.message, "version 4") != NULL);
}

/* A removal from a catalog that a dictionary made version 3 marks it, as
 * format 2 would have (meta `removals`: no shard can be made of it). */
static void test_removal_v3(void)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/v3rm.tsr", tmpdir);
    tsr_index *w = NULL;
    tsr_error e = {0};
    CHECK(tsr_index_open(dir, TSR_OPEN_CREATE, &w, &e) == TSR_OK);
    if (!w)
        return;
    CHECK(add_range(w, 0, 1600) == 0);
    CHECK(cat_int(dir, "PRAGMA user_version") == 3);
    CHECK(cat_int(dir, "SELECT count(*) FROM meta WHERE key = 'removals'") == 0);
    const char *gone[1] = { ids[1500] };
    size_t nrm = 0;
    CHECK(tsr_index_remove(w, gone, 1, NULL, &nrm, &e) == TSR_OK && nrm == 1);
    CHECK(cat_int(dir, "PRAGMA user_version") == 3);
    CHECK(cat_int(dir, "SELECT value FROM meta WHERE key = 'removals'") == 1);
    CHECK(cat_int(dir, "SELECT count(*) FROM removed") == 1);
    CHECK(tsr_index_verify(w, NULL, NULL, &e) == TSR_OK);
    tsr_index_close(w);
}

/* A writer killed at any moment around the commit that stores its
 * dictionary (the 8th commit of 64 texts: the kills fall before it,
 * in it, and after it): the index opens and verifies sound,
 * holds whole commits only, each text reads back, and a writer goes on
 * from it. */
static void test_killed(void)
{
    for (int round = 0; round < 10; round++) {
        char dir[128];
        snprintf(dir, sizeof dir, "%s/kill-%d.tsr", tmpdir, round);
        int fds[2];
        CHECK(pipe(fds) == 0);
        fflush(NULL);
        const pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            tsr_index *w = NULL;
            if (tsr_index_open(dir, TSR_OPEN_CREATE, &w, NULL) != TSR_OK)
                _exit(2);
            for (int at = 0; at + 64 <= NDOCS; at += 64)   /* commits of 64 */
                if (add_range(w, at, at + 64) != 0 || write(fds[1], "c", 1) != 1)
                    _exit(3);
            _exit(0);
        }
        close(fds[1]);
        usleep(30000 + (useconds_t)(rng_next(&R) % 150000));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        char buf[256];
        ssize_t k;
        int commits = 0;
        while ((k = read(fds[0], buf, sizeof buf)) > 0)
            commits += (int)k;
        close(fds[0]);
        tsr_index *w = NULL;
        tsr_error e = {0};
        if (tsr_index_open(dir, TSR_OPEN_WRITE, &w, &e) != TSR_OK) {
            CHECK(commits == 0);   /* killed before the index was made */
            continue;
        }
        tsr_stats st;
        CHECK(tsr_index_stats(w, &st, &e) == TSR_OK);
        const int n = (int)st.documents;
        CHECK(n % 64 == 0 && (n == 64 * commits || n == 64 * (commits + 1)));
        CHECK(tsr_index_verify(w, NULL, NULL, &e) == TSR_OK);
        CHECK(all_read_back(w, 0, n));
        /* a writer goes on: the rest added, all of it read back */
        CHECK(add_range(w, n, NDOCS) == 0);
        CHECK(all_read_back(w, 0, NDOCS));
        CHECK(tsr_index_verify(w, NULL, NULL, &e) == TSR_OK);
        CHECK(cat_int(dir, "SELECT count(*) FROM dicts") == 1);
        tsr_index_close(w);
        rm_tree(dir);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tsr-td-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    for (int i = 0; i < NDOCS; i++) {
        texts[i] = make_text(&R, 120 + (size_t)rng_range(&R, 0, 80));
        snprintf(ids[i], sizeof ids[i], "doc-%d", i);
    }
    RUN(test_train);
    RUN(test_index);
    RUN(test_damage);
    RUN(test_versions);
    RUN(test_removal_v3);
    RUN(test_killed);
    for (int i = 0; i < NDOCS; i++)
        free(texts[i]);
    rm_tree(tmpdir);
    return test_report();
}
