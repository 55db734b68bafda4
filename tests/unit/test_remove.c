/*
 * test_remove.c - tsr_index_remove: removed documents leave lookups,
 * checks, discovery, near-duplicate search, fetches and counts at once, on
 * the writer and on a reader once it refreshes; verify stays sound before
 * and after the merge that drops their postings; numbers are never
 * reused; a removed id may come back; the batch, read-only handles and
 * sharded indexes are refused; repair rebuilds a segment that has removed
 * documents.
 */
#include "index_internal.h"
#include "segment.h"
#include "testhelp.h"
#include "testutil.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];
static char ixdir[128];

/* the file's random numbers (testutil.h): the same every run */
static rng R = { 777 };

/* `a` then `b`, one newly allocated text. */
static char *concat(const char *a, const char *b)
{
    char *t = malloc(strlen(a) + strlen(b) + 2);
    sprintf(t, "%s\n%s", a, b);
    return t;
}

static int add_doc(tsr_index *ix, const char *id, const char *text, tsr_error *e)
{
    tsr_docinfo d = { .id = id, .text = text, .text_len = strlen(text) };
    return tsr_index_add(ix, &d, e);
}

/* How many fingerprints of `text` ix_lookup finds in document `docno`. */
static size_t hits(const tsr_index *ix, const char *text, uint32_t docno)
{
    tsr_word *w = NULL;
    size_t nw = 0, nf = 0, n = 0;
    uint64_t *fp = NULL;
    tsr_params p;
    tsr_params_default(&p);
    ix_fingerprint_params(ix, &p.ngram, &p.window);
    if (tsr_tokenize(text, strlen(text), &w, &nw, NULL) != TSR_OK ||
        tsr_fingerprints(w, nw, &p, &fp, NULL, &nf, NULL) != TSR_OK)
        return 0;
    uint32_t docs[64];
    for (size_t i = 0; i < nf; i++) {
        const size_t k = ix_lookup(ix, fp[i], docs, 64);
        for (size_t j = 0; j < k && j < 64; j++)
            n += docs[j] == docno;
    }
    tsr_free(w);
    tsr_free(fp);
    return n;
}

/* Whether a check of `text` names document `id` among its sources. */
static int check_names(tsr_index *ix, const char *text, const char *id)
{
    tsr_result *r = NULL;
    tsr_error e = {0};
    int found = 0;
    if (tsr_index_check(ix, text, strlen(text), NULL, &r, &e) != TSR_OK) {
        fprintf(stderr, "check: %s\n", e.message);
        return -1;
    }
    for (size_t i = 0; i < r->n_sources; i++)
        found |= r->sources[i].id && !strcmp(r->sources[i].id, id);
    tsr_result_free(r);
    return found;
}

/* Whether discovery links document `docno` to any other. */
static int discover_links(tsr_index *ix, int64_t docno, size_t *nlinks)
{
    tsr_discover_opts o;
    tsr_discover_opts_default(&o);
    o.threads = 2;
    tsr_discovery *d = NULL;
    tsr_error e = {0};
    if (tsr_discover(ix, NULL, &o, &d, &e) != TSR_OK) {
        fprintf(stderr, "discover: %s\n", e.message);
        return -1;
    }
    int found = 0;
    for (size_t i = 0; i < d->n_links; i++)
        found |= d->links[i].a_doc == docno || d->links[i].b_doc == docno;
    for (size_t i = 0; i < d->n_members; i++)
        found |= d->members[i].docno == docno;
    *nlinks = d->n_links;
    tsr_discovery_free(d);
    return found;
}

static uint64_t removed_rows(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/catalog.sqlite", dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    uint64_t n = UINT64_MAX;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM removed", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

static int catalog_format(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/catalog.sqlite", dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'format'", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void on_verify(void *ud, const char *file, int status, const char *msg)
{
    (void)file;
    if (status != TSR_OK)
        fprintf(stderr, "verify: %s\n", msg);
    (*(int *)ud) += status != TSR_OK;
}

static int verify_ok(tsr_index *ix)
{
    int bad = 0;
    tsr_error e = {0};
    const int rc = tsr_index_verify(ix, on_verify, &bad, &e);
    return rc == TSR_OK && bad == 0;
}

/* The main path: remove, then every reader of the index. */
static void test_remove(void)
{
    tsr_index *w = NULL, *r = NULL;
    tsr_error e = {0};
    CHECK(tsr_index_open(ixdir, TSR_OPEN_CREATE, &w, &e) == TSR_OK);
    if (!w)
        return;
    /* a and b share a long passage, c and d share another; e stands alone */
    char *pa = make_text(&R, 300), *pc = make_text(&R, 300);
    char *ta = concat(pa, "alpha one"), *tb = concat("beta two", pa);
    char *tc = concat(pc, "gamma three"), *td = concat("delta four", pc);
    char *te = make_text(&R, 200);
    CHECK(add_doc(w, "a", ta, &e) == TSR_OK);
    CHECK(add_doc(w, "b", tb, &e) == TSR_OK);
    CHECK(add_doc(w, "c", tc, &e) == TSR_OK);
    CHECK(tsr_index_commit(w, &e) == TSR_OK);
    CHECK(add_doc(w, "d", td, &e) == TSR_OK);
    CHECK(add_doc(w, "e", te, &e) == TSR_OK);
    CHECK(tsr_index_commit(w, &e) == TSR_OK);
    CHECK(catalog_format(ixdir) == 1);   /* no removal yet: readable by older builds */

    CHECK(tsr_index_open(ixdir, TSR_OPEN_READONLY, &r, &e) == TSR_OK);
    if (!r)
        return;
    tsr_stats st0, st;
    CHECK(tsr_index_stats(w, &st0, &e) == TSR_OK && st0.documents == 5);
    CHECK(check_names(r, pa, "b") == 1 && check_names(r, pa, "a") == 1);
    size_t nl = 0;
    CHECK(discover_links(r, 1, &nl) == 1);
    tsr_dup_match m;
    CHECK(tsr_index_near_duplicate(r, tb, strlen(tb), NULL, &m, &e) == TSR_OK && m.docno == 1);

    /* remove b (docno 1) and an id the index does not hold */
    const char *ids[3] = { "b", "nope", "b" };
    int found[3] = { 7, 7, 7 };
    size_t nrm = 99;
    CHECK(tsr_index_remove(w, ids, 3, found, &nrm, &e) == TSR_OK);
    CHECK(found[0] == 1 && found[1] == 0 && found[2] == 0 && nrm == 1);
    CHECK(catalog_format(ixdir) == 2 && removed_rows(ixdir) == 1);

    /* the writer: gone from fetches, counts, lookups, checks, discovery */
    tsr_document *d = NULL;
    CHECK(tsr_index_get(w, "b", &d, &e) == TSR_ERR_NOTFOUND && !d);
    CHECK(tsr_index_get_docno(w, 1, &d, &e) == TSR_ERR_NOTFOUND && !d);
    CHECK(tsr_index_stats(w, &st, &e) == TSR_OK && st.documents == 4);
    CHECK(st.text_bytes == st0.text_bytes - strlen(tb));
    CHECK(st.stored_bytes < st0.stored_bytes);
    CHECK(st.postings == st0.postings);   /* space comes back at the next merge */
    CHECK(ix_ndocs(w) == 4 && ix_dead(w) != NULL);
    CHECK(hits(w, tb, 1) == 0 && hits(w, ta, 0) > 0);
    CHECK(check_names(w, pa, "b") == 0 && check_names(w, pa, "a") == 1);
    CHECK(verify_ok(w));

    /* the reader: as it was until it refreshes, then as the writer */
    CHECK(hits(r, tb, 1) > 0);
    CHECK(tsr_index_refresh(r, &e) == TSR_OK);
    CHECK(tsr_index_stats(r, &st, &e) == TSR_OK && st.documents == 4);
    CHECK(hits(r, tb, 1) == 0 && hits(r, ta, 0) > 0);
    CHECK(check_names(r, pa, "b") == 0 && check_names(r, pa, "a") == 1);
    CHECK(tsr_index_get(r, "b", &d, &e) == TSR_ERR_NOTFOUND);
    size_t nl2 = 0;
    CHECK(discover_links(r, 1, &nl2) == 0 && nl2 > 0 && nl2 < nl);
    CHECK(verify_ok(r));
    /* a near-duplicate search no longer answers with b */
    CHECK(tsr_index_near_duplicate(r, tb, strlen(tb), NULL, &m, &e) == TSR_OK && m.docno != 1);

    /* refused: an id of the uncommitted batch, and a read-only handle */
    CHECK(add_doc(w, "f", te, &e) == TSR_OK);
    const char *pend[2] = { "a", "f" };
    CHECK(tsr_index_remove(w, pend, 2, found, &nrm, &e) == TSR_ERR_INVALID);
    CHECK(strstr(e.message, "'f'") != NULL && nrm == 0);
    CHECK(tsr_index_get(w, "a", &d, &e) == TSR_OK);   /* nothing was removed */
    tsr_document_free(d);
    CHECK(tsr_index_commit(w, &e) == TSR_OK);
    CHECK(tsr_index_remove(r, ids, 1, NULL, NULL, &e) == TSR_ERR_READONLY);

    /* a removed id may come back: a new document, a new number */
    CHECK(add_doc(w, "b", tb, &e) == TSR_OK);
    CHECK(tsr_index_commit(w, &e) == TSR_OK);
    CHECK(tsr_index_get(w, "b", &d, &e) == TSR_OK && d && d->docno == 6);
    tsr_document_free(d);
    CHECK(hits(w, tb, 6) > 0 && hits(w, tb, 1) == 0);
    CHECK(check_names(w, pa, "b") == 1);
    CHECK(verify_ok(w));

    /* the last document goes: its number is not given again, even after
     * the writer is reopened */
    CHECK(tsr_index_remove(w, ids, 1, NULL, &nrm, &e) == TSR_OK && nrm == 1);
    tsr_index_close(w);
    CHECK(tsr_index_open(ixdir, TSR_OPEN_WRITE, &w, &e) == TSR_OK);
    if (!w)
        return;
    CHECK(add_doc(w, "g", "some other words entirely here", &e) == TSR_OK);
    CHECK(tsr_index_commit(w, &e) == TSR_OK);
    CHECK(tsr_index_get(w, "g", &d, &e) == TSR_OK && d && d->docno == 7);
    tsr_document_free(d);
    CHECK(verify_ok(w));

    /* a removal beside a pending batch leaves the batch be; both count */
    CHECK(add_doc(w, "h", tc, &e) == TSR_OK);
    const char *idc = "c";
    CHECK(tsr_index_remove(w, &idc, 1, NULL, &nrm, &e) == TSR_OK && nrm == 1);
    CHECK(tsr_index_pending(w) == 1);
    CHECK(tsr_index_commit(w, &e) == TSR_OK);
    CHECK(tsr_index_stats(w, &st, &e) == TSR_OK && st.documents == 6);
    CHECK(hits(w, tc, 2) == 0 && hits(w, tc, 8) > 0);
    CHECK(check_names(w, pc, "c") == 0 && check_names(w, pc, "h") == 1);
    CHECK(verify_ok(w));

    /* the merge drops the postings of removed documents and their
     * records; what the readers see does not change */
    CHECK(tsr_index_stats(w, &st0, &e) == TSR_OK);
    CHECK(tsr_index_merge(w, 0, &e) == TSR_OK);
    CHECK(tsr_index_stats(w, &st, &e) == TSR_OK);
    CHECK(st.segments == 1 && st.documents == st0.documents && st.documents == 6);
    CHECK(st.postings < st0.postings && st.postings_bytes < st0.postings_bytes);
    CHECK(ix_dead(w) == NULL && removed_rows(ixdir) == 0);
    CHECK(hits(w, tb, 1) == 0 && hits(w, tb, 6) == 0 && hits(w, ta, 0) > 0);
    CHECK(check_names(w, pa, "a") == 1 && check_names(w, pa, "b") == 0);
    CHECK(verify_ok(w));
    CHECK(tsr_index_refresh(r, &e) == TSR_OK && verify_ok(r));
    CHECK(tsr_index_stats(r, &st, &e) == TSR_OK && st.documents == 6 && st.segments == 1);
    CHECK(discover_links(r, 1, &nl2) == 0 && discover_links(r, 6, &nl2) == 0);

    /* with nothing removed, a merge down to one segment does nothing */
    CHECK(tsr_index_merge(w, 0, &e) == TSR_OK);
    CHECK(tsr_index_stats(w, &st0, &e) == TSR_OK && st0.segments == 1);
    CHECK(st0.postings == st.postings);
    tsr_index_close(r);
    tsr_index_close(w);
    free(pa); free(pc); free(ta); free(tb); free(tc); free(td); free(te);
}

/* Every document of a segment removed, then merged: the segment keeps
 * its range with no document, and the index stays sound and opens. */
static void test_remove_all(void)
{
    char dir[160];
    snprintf(dir, sizeof dir, "%s/all.tsr", tmpdir);
    tsr_index *w = NULL;
    tsr_error e = {0};
    CHECK(tsr_index_open(dir, TSR_OPEN_CREATE, &w, &e) == TSR_OK);
    if (!w)
        return;
    char *t[4];
    const char *ids[4] = { "p", "q", "r", "s" };
    for (int i = 0; i < 4; i++) {
        t[i] = make_text(&R, 150);
        CHECK(add_doc(w, ids[i], t[i], &e) == TSR_OK);
        if (i % 2) CHECK(tsr_index_commit(w, &e) == TSR_OK);
    }
    size_t n = 0;
    CHECK(tsr_index_remove(w, ids + 2, 2, NULL, &n, &e) == TSR_OK && n == 2);
    CHECK(verify_ok(w));
    CHECK(tsr_index_merge(w, 2, &e) == TSR_OK);    /* rewrites the second alone */
    tsr_stats st;
    CHECK(tsr_index_stats(w, &st, &e) == TSR_OK && st.segments == 2 && st.documents == 2);
    CHECK(verify_ok(w));
    CHECK(add_doc(w, "t", t[2], &e) == TSR_OK);    /* r's text again, as a new id */
    CHECK(tsr_index_commit(w, &e) == TSR_OK);
    tsr_document *d = NULL;
    CHECK(tsr_index_get(w, "t", &d, &e) == TSR_OK && d && d->docno == 4);
    tsr_document_free(d);
    CHECK(hits(w, t[2], 4) > 0 && hits(w, t[2], 2) == 0);
    CHECK(tsr_index_remove(w, ids, 2, NULL, &n, &e) == TSR_OK && n == 2);
    CHECK(tsr_index_merge(w, 0, &e) == TSR_OK);
    CHECK(tsr_index_stats(w, &st, &e) == TSR_OK && st.segments == 1 && st.documents == 1);
    CHECK(verify_ok(w));
    tsr_index_close(w);
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &w, &e) == TSR_OK);
    CHECK(w && verify_ok(w) && hits(w, t[2], 4) > 0);
    tsr_index_close(w);
    for (int i = 0; i < 4; i++) free(t[i]);
    rm_tree(dir);
}

/* Repair rebuilds a lost segment that had a removed document. */
static void test_remove_repair(void)
{
    char dir[160], seg[224];
    snprintf(dir, sizeof dir, "%s/rep.tsr", tmpdir);
    tsr_index *w = NULL;
    tsr_error e = {0};
    CHECK(tsr_index_open(dir, TSR_OPEN_CREATE, &w, &e) == TSR_OK);
    if (!w)
        return;
    char *a = make_text(&R, 200), *b = make_text(&R, 200);
    CHECK(add_doc(w, "a", a, &e) == TSR_OK && add_doc(w, "b", b, &e) == TSR_OK);
    CHECK(tsr_index_commit(w, &e) == TSR_OK);
    const char *id = "a";
    CHECK(tsr_index_remove(w, &id, 1, NULL, NULL, &e) == TSR_OK);
    tsr_index_close(w);
    snprintf(seg, sizeof seg, "%s/seg-000001.tsg", dir);
    CHECK(unlink(seg) == 0);
    size_t fixed = 0;
    CHECK(tsr_index_repair(dir, NULL, NULL, &fixed, &e) == TSR_OK && fixed == 1);
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &w, &e) == TSR_OK);
    if (w) {
        CHECK(verify_ok(w));
        CHECK(hits(w, a, 0) == 0 && hits(w, b, 1) > 0);
        CHECK(check_names(w, a, "a") == 0 && check_names(w, b, "b") == 1);
    }
    tsr_index_close(w);
    free(a);
    free(b);
    rm_tree(dir);
}

/* Sharded indexes number documents through their shards, with no gaps:
 * no removal from them, and a plain index with removals cannot become one. */
static void test_remove_sharded(void)
{
    char dir[160], sub[224];
    snprintf(dir, sizeof dir, "%s/sh.tsr", tmpdir);
    tsr_error e = {0};
    tsr_index *s = NULL;
    CHECK(tsr_shard_create(dir, 0, &s, &e) == TSR_OK);
    if (!s)
        return;
    CHECK(add_doc(s, "x", "one two three four five six seven", &e) == TSR_OK);
    CHECK(tsr_index_commit(s, &e) == TSR_OK);
    tsr_index_close(s);
    const uint64_t num = 0;
    CHECK(tsr_shard_publish(dir, &num, 1, &e) == TSR_OK);
    const char *id = "x";
    CHECK(tsr_index_open(dir, TSR_OPEN_WRITE, &s, &e) == TSR_OK);
    CHECK(s && tsr_index_remove(s, &id, 1, NULL, NULL, &e) == TSR_ERR_INVALID);
    CHECK(strstr(e.message, "shard") != NULL);
    tsr_index_close(s);
    snprintf(sub, sizeof sub, "%s/shard-000000", dir);   /* a shard opened by itself */
    CHECK(tsr_index_open(sub, TSR_OPEN_WRITE, &s, &e) == TSR_OK);
    CHECK(s && tsr_index_remove(s, &id, 1, NULL, NULL, &e) == TSR_ERR_INVALID);
    tsr_index_close(s);
    rm_tree(dir);

    /* a plain index with a removal, then a shard built beside it */
    snprintf(dir, sizeof dir, "%s/plain.tsr", tmpdir);
    CHECK(tsr_index_open(dir, TSR_OPEN_CREATE, &s, &e) == TSR_OK);
    if (!s)
        return;
    CHECK(add_doc(s, "x", "one two three four five six seven", &e) == TSR_OK);
    CHECK(add_doc(s, "y", "eight nine ten eleven twelve thirteen", &e) == TSR_OK);
    CHECK(tsr_index_commit(s, &e) == TSR_OK);
    CHECK(tsr_index_remove(s, &id, 1, NULL, NULL, &e) == TSR_OK);
    tsr_index_close(s);
    CHECK(tsr_shard_create(dir, 0, &s, &e) == TSR_OK);
    CHECK(s && add_doc(s, "z", "fourteen fifteen sixteen seventeen", &e) == TSR_OK);
    CHECK(s && tsr_index_commit(s, &e) == TSR_OK);
    tsr_index_close(s);
    CHECK(tsr_shard_publish(dir, &num, 1, &e) == TSR_ERR_INVALID);
    CHECK(strstr(e.message, "removed") != NULL);
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &s, &e) == TSR_OK);   /* still plain */
    tsr_stats st;
    CHECK(s && tsr_index_stats(s, &st, &e) == TSR_OK && st.documents == 1 && st.shards == 1);
    tsr_index_close(s);
    rm_tree(dir);
}

/* A forged catalog (fuzz_catalog): meta counts 2^64 - 1 documents and no
 * segment is listed, so that meta's count plus the removed one wraps round
 * to the segments' 0.  Refused at open, not trusted to size a check. */
static void test_forged_count(void)
{
    char dir[160], path[224];
    snprintf(dir, sizeof dir, "%s/forged.tsr", tmpdir);
    tsr_index *w = NULL;
    tsr_error e = {0};
    CHECK(tsr_index_open(dir, TSR_OPEN_CREATE, &w, &e) == TSR_OK);
    if (!w)
        return;
    CHECK(add_doc(w, "a", "one two three four five six seven eight", &e) == TSR_OK);
    CHECK(add_doc(w, "b", "nine ten eleven twelve thirteen fourteen", &e) == TSR_OK);
    CHECK(tsr_index_commit(w, &e) == TSR_OK);
    const char *id = "a";
    CHECK(tsr_index_remove(w, &id, 1, NULL, NULL, &e) == TSR_OK);
    tsr_index_close(w);
    snprintf(path, sizeof path, "%s/catalog.sqlite", dir);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK &&
          sqlite3_exec(db, "DELETE FROM segments; UPDATE meta SET value = '-1' WHERE key ="
                           " 'docs'", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    tsr_index *r = NULL;
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &r, &e) == TSR_ERR_CORRUPT && !r);
    tsr_index_close(r);
    rm_tree(dir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tsr-rm-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(ixdir, sizeof ixdir, "%s/news.tsr", tmpdir);
    RUN(test_remove);
    RUN(test_remove_all);
    RUN(test_remove_repair);
    RUN(test_remove_sharded);
    RUN(test_forged_count);
    rm_tree(tmpdir);
    return test_report();
}
