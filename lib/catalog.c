/*
 * catalog.c - the SQLite catalog of an index (catalog.sqlite): meta values,
 * documents with their compressed text, and the live segment files.
 *
 * The catalog is the single source of truth for which segment files belong
 * to the index: a segment file becomes part of the index in the same SQLite
 * transaction that inserts its documents, and leaves it in the transaction
 * that inserts the segment replacing it.  The database runs in WAL mode
 * with synchronous=FULL, so a committed transaction survives a crash and
 * readers in other processes see a consistent snapshot without blocking
 * the writer.
 *
 * Except while it is made: a catalog that this connection creates stays in
 * SQLite's rollback journal (journal_mode=DELETE, synchronous=EXTRA) until
 * its first commit is done, then turns to WAL.  The WAL writes every page
 * twice (into the log, then into the database at the checkpoint); the
 * rollback journal writes a new database's pages once, and journals only
 * the few it held before.  A new index's first commit holds up to 256 MB of
 * text (cmd_index's batches), so for most indexes it is all of them:
 * `tessera index` 9.5% less wall time at 10k documents, 21% at 100k
 * (BENCHMARKS.md).  What a crash leaves is the same: the commit whole or
 * not at all (a hot journal, rolled back by the next opener that may write
 * the file, a reader too: roll_back_hot_journal; synchronous=EXTRA syncs
 * the directory after the journal's unlink, so a commit reported done
 * stays done).  What it costs: readers wait while that first commit runs
 * (SQLite's locks), where the WAL lets them read beside it
 * (doc/index-format.md, section 3).
 *
 * Every call takes the mutex of the cat, and statements are prepared once
 * and cached, so the threads of a read-only index can share one cat.  Write
 * transactions span several calls (begin ... commit); only the single
 * writer thread of an index makes them.  A thread that reads many documents
 * (a discovery worker) may instead open a cat_reader: a read-only
 * connection of its own in a read transaction of its own, used without the
 * mutex (WAL lets readers run side by side); through the cat's one
 * connection two such threads spent a tenth of their time waiting for each
 * other (BENCHMARKS.md, "Where discovery's second core goes").
 */
#include "catalog.h"
#include "common/xxh.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>

enum {
    S_META, S_SEGS, S_GEN, S_MAXDOC, S_HASID, S_INSDOC, S_INSSEG, S_DELSEG,
    S_PUTMETA, S_GETID, S_GETNO, S_COUNT, S_EACH, S_REMOVED, S_RMGET, S_RMDEL, S_RMADD,
    S_RMFORGET, S_COUNT_
};

static const char *const stmt_sql[S_COUNT_] = {
    [S_META] = "SELECT key, value FROM meta",
    [S_SEGS] = "SELECT file, doc_lo, doc_hi, ndocs, npostings, bytes, checksum "
               "FROM segments ORDER BY doc_lo, file",
    [S_GEN] = "SELECT value FROM meta WHERE key = 'generation'",
    [S_MAXDOC] = "SELECT max(docno) FROM docs",
    [S_HASID] = "SELECT 1 FROM docs WHERE id = ?1",
    [S_INSDOC] = "INSERT INTO docs(docno, id, title, date, series, meta, text_len, text,"
                 " commit_no) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [S_INSSEG] = "INSERT INTO segments(file, doc_lo, doc_hi, ndocs, npostings, bytes,"
                 " checksum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_DELSEG] = "DELETE FROM segments WHERE file = ?1",
    [S_PUTMETA] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
    [S_GETID] = "SELECT docno, id, title, date, series, meta, text_len, text "
                "FROM docs WHERE id = ?1",
    [S_GETNO] = "SELECT docno, id, title, date, series, meta, text_len, text "
                "FROM docs WHERE docno = ?1",
    [S_COUNT] = "SELECT count(*) FROM docs WHERE docno BETWEEN ?1 AND ?2",
    [S_EACH] = "SELECT docno, text_len, text FROM docs ORDER BY docno",
    /* version 2 catalogs only: the table exists from the first removal */
    [S_REMOVED] = "SELECT docno FROM removed ORDER BY docno",
    [S_RMGET] = "SELECT docno, text_len, length(text) FROM docs WHERE id = ?1",
    [S_RMDEL] = "DELETE FROM docs WHERE docno = ?1",
    [S_RMADD] = "INSERT INTO removed(docno) VALUES (?1)",
    [S_RMFORGET] = "DELETE FROM removed WHERE docno BETWEEN ?1 AND ?2",
};

static const char schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE docs(\n"
    "  docno INTEGER PRIMARY KEY,\n"
    "  id TEXT UNIQUE NOT NULL,\n"
    "  title TEXT, date TEXT, series TEXT, meta TEXT,\n"
    "  text_len INTEGER NOT NULL,\n"
    "  text BLOB NOT NULL,\n"
    "  commit_no INTEGER NOT NULL);\n"
    "CREATE TABLE segments(\n"
    "  file TEXT PRIMARY KEY,\n"
    "  doc_lo INTEGER NOT NULL, doc_hi INTEGER NOT NULL, ndocs INTEGER NOT NULL,\n"
    "  npostings INTEGER NOT NULL, bytes INTEGER NOT NULL,\n"
    "  checksum TEXT NOT NULL);\n";

struct cat {
    sqlite3 *db;
    char *path;
    pthread_mutex_t mu;
    sqlite3_stmt *st[S_COUNT_];
    int reading;               /* cat_read_begin calls not yet ended */
    int lookup;                /* cat_has_id's read transaction is open */
    int making;                /* created here, first commit not done: rollback journal */
    int unsynced;              /* making's last commit is in, its directory sync failed */
};

/* ------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

static int db_err_on(const cat *c, sqlite3 *db, tsr_error *err, const char *what)
{
    const int code = sqlite3_errcode(db);
    int status = TSR_ERR_DB;
    if (code == SQLITE_NOTADB)
        status = TSR_ERR_FORMAT;
    else if (code == SQLITE_CORRUPT)
        status = TSR_ERR_CORRUPT;
    else if (code == SQLITE_NOMEM)
        status = TSR_ERR_NOMEM;
    else if (code == SQLITE_READONLY)
        status = TSR_ERR_READONLY;
    else if (code == SQLITE_FULL)
        status = TSR_ERR_NOSPACE;   /* the disk, not the catalog */
    else if (code == SQLITE_IOERR)
        status = TSR_ERR_IO;
    /* a hot journal that this process may not roll back (a crash during a
     * new index's first commit, met by a reader without write permission:
     * roll_back_hot_journal could not open the file for writing) */
    if (sqlite3_extended_errcode(db) == SQLITE_READONLY_ROLLBACK)
        return tsr_seterr(err, status, "%s: a write was interrupted, and its journal (%s-journal)"
                          " must be rolled back before the catalog can be read, which takes"
                          " write permission on the index's folder and catalog: open the"
                          " index once as a user who has it (any command does it)", c->path,
                          c->path);
    return tsr_seterr(err, status, "%s: %s: %s", c->path, what, sqlite3_errmsg(db));
}

static int db_err(cat *c, tsr_error *err, const char *what)
{
    return db_err_on(c, c->db, err, what);
}

/* The cached statement k, reset and unbound, or NULL with err set. */
static sqlite3_stmt *stmt(cat *c, int k, tsr_error *err)
{
    if (!c->st[k]) {
        if (sqlite3_prepare_v3(c->db, stmt_sql[k], -1, SQLITE_PREPARE_PERSISTENT,
                               &c->st[k], NULL) != SQLITE_OK) {
            db_err(c, err, "prepare");
            return NULL;
        }
    }
    return c->st[k];
}

static void done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

static int exec(cat *c, const char *sql, tsr_error *err)
{
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_err(c, err, sql);
    return TSR_OK;
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

static uint64_t col_u64(sqlite3_stmt *s, int i)
{
    const sqlite3_int64 v = sqlite3_column_int64(s, i);
    return v < 0 ? 0 : (uint64_t)v;
}

static int read_meta(cat *c, cat_meta *m, tsr_error *err)
{
    sqlite3_stmt *s = stmt(c, S_META, err);
    if (!s)
        return err ? err->code : TSR_ERR_DB;
    memset(m, 0, sizeof *m);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(s, 0);
        const char *v = (const char *)sqlite3_column_text(s, 1);
        if (!k || !v)
            continue;
        const unsigned long long x = strtoull(v, NULL, 10);
        if (!strcmp(k, "format")) m->format = (int)x;
        else if (!strcmp(k, "ngram")) m->ngram = (int)x;
        else if (!strcmp(k, "window")) m->window = (int)x;
        else if (!strcmp(k, "commits")) m->commits = x;
        else if (!strcmp(k, "generation")) m->generation = x;
        else if (!strcmp(k, "docs")) m->docs = x;
        else if (!strcmp(k, "text_bytes")) m->text_bytes = x;
        else if (!strcmp(k, "stored_bytes")) m->stored_bytes = x;
        else if (!strcmp(k, "next_seg")) m->next_seg = x;
        else if (!strcmp(k, "removals")) m->removals = x != 0;
    }
    done(s);
    if (rc != SQLITE_DONE)
        return db_err(c, err, "reading meta");
    if (m->format == CAT_FORMAT_REMOVED)
        m->removals = 1;
    return TSR_OK;
}

static int put_meta1(cat *c, const char *key, uint64_t v, tsr_error *err)
{
    sqlite3_stmt *s = stmt(c, S_PUTMETA, err);
    if (!s)
        return err ? err->code : TSR_ERR_DB;
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, buf, -1, SQLITE_STATIC);
    const int rc = sqlite3_step(s);
    done(s);
    if (rc != SQLITE_DONE)
        return db_err(c, err, "writing meta");
    return TSR_OK;
}

static int put_meta_all(cat *c, const cat_meta *m, int with_fixed, tsr_error *err)
{
    if (with_fixed) {
        TSR_FORWARD(put_meta1(c, "format", (uint64_t)m->format, err));
        TSR_FORWARD(put_meta1(c, "ngram", (uint64_t)m->ngram, err));
        TSR_FORWARD(put_meta1(c, "window", (uint64_t)m->window, err));
    }
    TSR_FORWARD(put_meta1(c, "commits", m->commits, err));
    TSR_FORWARD(put_meta1(c, "generation", m->generation, err));
    TSR_FORWARD(put_meta1(c, "docs", m->docs, err));
    TSR_FORWARD(put_meta1(c, "text_bytes", m->text_bytes, err));
    TSR_FORWARD(put_meta1(c, "stored_bytes", m->stored_bytes, err));
    TSR_FORWARD(put_meta1(c, "next_seg", m->next_seg, err));
    return TSR_OK;
}

static int int_pragma(cat *c, const char *sql, int64_t *out, tsr_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_err(c, err, sql);
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_err(c, err, sql);
    return TSR_OK;
}

/* Create the schema and the meta rows in one transaction. */
static int create_schema(cat *c, const cat_meta *init, tsr_error *err)
{
    char sql[128];
    TSR_FORWARD(exec(c, "BEGIN IMMEDIATE", err));
    int rc = exec(c, schema_sql, err);
    if (rc == TSR_OK) {
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
                 CAT_APPLICATION_ID, CAT_FORMAT_VERSION);
        rc = exec(c, sql, err);
    }
    if (rc == TSR_OK) {
        cat_meta m = *init;
        m.format = CAT_FORMAT_VERSION;
        rc = put_meta_all(c, &m, 1, err);
    }
    if (rc == TSR_OK)
        rc = exec(c, "COMMIT", err);
    if (rc != TSR_OK)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ------------------------------------------------------------------------
 * Open and close
 * --------------------------------------------------------------------- */

/* The settings of every connection to a catalog.  A catalog is read as it
 * is found on disk, damaged or forged: SQLite's advice for untrusted
 * databases (its "defense against the dark arts"): no writes to the schema
 * or shadow tables, and each b-tree cell's size checked as it is read. */
static int harden(sqlite3 *db)
{
    sqlite3_busy_timeout(db, 10000);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)0);
    return sqlite3_exec(db, "PRAGMA cell_size_check = ON", NULL, NULL, NULL);
}

/* A reader's open of a catalog that a crash left with a hot rollback
 * journal (a crash in the first commit of a catalog being made, or in its
 * switch to WAL after it: see the top of this file).  A read-only
 * connection cannot roll the journal back (SQLITE_READONLY_ROLLBACK), and
 * the catalog would stay unreadable until a writer opened it; so a reader
 * that may write the file rolls it back first, as SQLite does for any
 * connection that can: a read-write connection's first read.  SQLite's
 * locks decide whether the journal is hot: one that a live writer holds is
 * left alone, and so is everything when the reader may not write (the
 * read-only open then fails with SQLITE_READONLY_ROLLBACK, and db_err_on
 * says what to do). */
static void roll_back_hot_journal(const char *path)
{
    char jpath[4096];
    struct stat st;
    if (snprintf(jpath, sizeof jpath, "%s-journal", path) >= (int)sizeof jpath ||
        stat(jpath, &st) != 0 || st.st_size == 0)
        return;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) ==
            SQLITE_OK && harden(db) == SQLITE_OK)
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    sqlite3_close(db);
}

int cat_open(const char *path, int writable, const cat_meta *init, cat **out,
             tsr_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0 && !(writable && init))
        return tsr_seterr(err, TSR_ERR_NOTFOUND, "%s: no catalog: %s", path, strerror(errno));
    cat *c = calloc(1, sizeof *c);
    TSR_CHECK_ALLOC(c, err);
    c->path = tsr_strndup(path, strlen(path));
    if (!c->path || pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c->path);
        free(c);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    if (!writable)
        roll_back_hot_journal(path);
    int flags = (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
                (writable && init ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    int rc = TSR_OK;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        rc = c->db ? db_err(c, err, "open")
                   : tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory", path);
        cat_close(c);
        return rc;
    }
    if (harden(c->db) != SQLITE_OK)
        rc = db_err(c, err, "PRAGMA cell_size_check = ON");
    /* A catalog being created gets CAT_PAGE_SIZE pages (a page size is set
     * before the first write, and kept for the database's life; an older
     * catalog keeps its own, and every SQLite reads any). */
    if (rc == TSR_OK && writable && init) {
        char sql[48];
        snprintf(sql, sizeof sql, "PRAGMA page_size = %d", CAT_PAGE_SIZE);
        rc = exec(c, sql, err);
    }
    int64_t app = 0, ntables = 0, has_meta = 0;
    if (rc == TSR_OK)
        rc = int_pragma(c, "PRAGMA application_id", &app, err);
    if (rc == TSR_OK)
        rc = int_pragma(c, "SELECT count(*) FROM sqlite_master", &ntables, err);
    if (rc == TSR_OK)
        rc = int_pragma(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                           " AND name = 'meta'", &has_meta, err);
    /* the journal of a catalog made here: the rollback journal until its
     * first commit (cat_commit), see the top of this file */
    c->making = writable == 1 && init && app == 0 && ntables == 0;
    if (rc == TSR_OK && writable)
        rc = exec(c, writable == CAT_SCRATCH
                         ? "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF"
                     : c->making ? "PRAGMA journal_mode = DELETE; PRAGMA synchronous = EXTRA"
                                 : "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", err);
    if (rc == TSR_OK) {
        if (app == 0 && ntables == 0 && writable && init)
            rc = create_schema(c, init, err);
        else if (app == 0 && ntables == 0)
            rc = tsr_seterr(err, TSR_ERR_NOTFOUND, "%s: no index yet (its creation did not"
                            " finish; a writer finishes it)", path);
        else if (app != CAT_APPLICATION_ID || !has_meta)
            rc = tsr_seterr(err, TSR_ERR_FORMAT, "%s: not a tessera catalog%s", path,
                            ntables == 0 ? " (empty database)" : "");
    }
    cat_meta m;
    if (rc == TSR_OK)
        rc = read_meta(c, &m, err);
    if (rc == TSR_OK && (m.format < CAT_FORMAT_VERSION || m.format > CAT_FORMAT_DICT))
        rc = tsr_seterr(err, TSR_ERR_VERSION,
                        "%s: catalog format version %d, this build reads versions %d to %d",
                        path, m.format, CAT_FORMAT_VERSION, CAT_FORMAT_DICT);
    if (rc != TSR_OK) {
        if (rc == TSR_ERR_DB && sqlite3_errcode(c->db) == SQLITE_NOTADB)
            rc = TSR_ERR_FORMAT;
        cat_close(c);
        return rc;
    }
    *out = c;
    return TSR_OK;
}

void cat_close(cat *c)
{
    if (!c)
        return;
    for (int k = 0; k < S_COUNT_; k++)
        sqlite3_finalize(c->st[k]);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->mu);
    free(c->path);
    free(c);
}

/* ------------------------------------------------------------------------
 * Reads
 * --------------------------------------------------------------------- */

/* Whether a segment row names a file of the index's own directory as the
 * writer names them (seg-NNNNNN.tsg, six or more digits): a damaged or
 * forged catalog must not make a reader open another path ("../x", a
 * FIFO that would hang it, a device). */
static int seg_file_name_ok(const char *f)
{
    if (strncmp(f, "seg-", 4) != 0)
        return 0;
    size_t d = 0;
    for (f += 4; *f >= '0' && *f <= '9'; f++) d++;
    return d >= 6 && !strcmp(f, ".tsg");
}

/* The docnos of table `removed`, ascending (a version 2 catalog). */
static int read_removed(cat *c, uint32_t **out, size_t *n, tsr_error *err)
{
    TSR_VEC(uint32_t) v = {0};
    sqlite3_stmt *s = stmt(c, S_REMOVED, err);
    if (!s)
        return err ? err->code : TSR_ERR_DB;
    int rc, status = TSR_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const sqlite3_int64 d = sqlite3_column_int64(s, 0);
        if (d < 0 || d > (sqlite3_int64)UINT32_MAX) {
            status = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: table removed holds docno %lld,"
                                " out of range", c->path, (long long)d);
            break;
        }
        if (tsr_vec_push(&v, (uint32_t)d) != 0) {
            status = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
            break;
        }
    }
    done(s);
    if (status == TSR_OK && rc != SQLITE_DONE)
        status = db_err(c, err, "reading removed documents");
    if (status != TSR_OK) {
        tsr_vec_free(&v);
        return status;
    }
    *out = v.a;
    *n = v.n;
    return TSR_OK;
}

static int snapshot_locked(cat *c, cat_meta *m, cat_seg **segs, size_t *nsegs,
                           uint32_t **removed, size_t *nremoved, tsr_error *err)
{
    TSR_VEC(cat_seg) v = {0};
    TSR_FORWARD(read_meta(c, m, err));
    uint32_t *rm = NULL;
    size_t nrm = 0;
    if (m->format >= CAT_FORMAT_REMOVED)
        TSR_FORWARD(read_removed(c, &rm, &nrm, err));
    sqlite3_stmt *s = stmt(c, S_SEGS, err);
    if (!s) {
        free(rm);
        return err ? err->code : TSR_ERR_DB;
    }
    int rc, status = TSR_OK;
    uint64_t in_segs = 0;   /* documents, by the segment rows */
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        cat_seg g = {0};
        const char *file = (const char *)sqlite3_column_text(s, 0);
        const char *sum = (const char *)sqlite3_column_text(s, 6);
        if (!file || strlen(file) >= sizeof g.file || !sum) {
            status = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: bad row in table segments",
                                c->path);
            break;
        }
        if (!seg_file_name_ok(file)) {
            status = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: table segments names '%.80s', "
                                "not a segment file of the index (seg-NNNNNN.tsg)", c->path,
                                file);
            break;
        }
        memcpy(g.file, file, strlen(file) + 1);
        g.doc_lo = (uint32_t)sqlite3_column_int64(s, 1);
        g.doc_hi = (uint32_t)sqlite3_column_int64(s, 2);
        g.ndocs = (uint32_t)sqlite3_column_int64(s, 3);
        g.npostings = col_u64(s, 4);
        g.bytes = col_u64(s, 5);
        g.checksum = strtoull(sum, NULL, 16);
        in_segs += g.ndocs;
        if (tsr_vec_push(&v, g) != 0) {
            status = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
            break;
        }
    }
    done(s);
    if (status == TSR_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        status = db_err(c, err, "reading segments");
    /* The segment rows' counts are checked against the segments' headers
     * when they are mapped; the meta counter, which sizes a check's work,
     * must agree with them (doc/index-format.md, "segments"). */
    /* (no overflow: a forged meta.docs near 2^64 plus the removed ones
     * must not wrap round to the segments' count) */
    if (status == TSR_OK && (nrm > in_segs || in_segs - nrm != m->docs))
        status = nrm ? tsr_seterr(err, TSR_ERR_CORRUPT, "%s: meta counts %" PRIu64 " documents"
                                  " and %zu removed, the segments %" PRIu64, c->path, m->docs,
                                  nrm, in_segs)
                     : tsr_seterr(err, TSR_ERR_CORRUPT, "%s: meta counts %" PRIu64 " documents,"
                                  " the segments %" PRIu64, c->path, m->docs, in_segs);
    if (status != TSR_OK) {
        tsr_vec_free(&v);
        free(rm);
        return status;
    }
    *segs = v.a;
    *nsegs = v.n;
    if (removed) {
        *removed = rm;
        *nremoved = nrm;
    } else {
        free(rm);
    }
    return TSR_OK;
}

int cat_snapshot(cat *c, cat_meta *m, cat_seg **segs, size_t *nsegs, uint32_t **removed,
                 size_t *nremoved, tsr_error *err)
{
    *segs = NULL;
    *nsegs = 0;
    if (removed) {
        *removed = NULL;
        *nremoved = 0;
    }
    pthread_mutex_lock(&c->mu);
    const int in_txn = !sqlite3_get_autocommit(c->db);
    int rc = in_txn ? TSR_OK : exec(c, "BEGIN", err);
    if (rc == TSR_OK) {
        rc = snapshot_locked(c, m, segs, nsegs, removed, nremoved, err);
        if (!in_txn) {
            if (rc == TSR_OK)
                rc = exec(c, "COMMIT", err);
            else
                sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        }
        if (rc != TSR_OK) {
            free(*segs);
            *segs = NULL;
            *nsegs = 0;
            if (removed) {
                free(*removed);
                *removed = NULL;
                *nremoved = 0;
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_generation(cat *c, uint64_t *gen, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = stmt(c, S_GEN, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
    } else {
        const int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
            const char *v = (const char *)sqlite3_column_text(s, 0);
            *gen = v ? strtoull(v, NULL, 10) : 0;
        } else {
            rc = r == SQLITE_DONE
                     ? tsr_seterr(err, TSR_ERR_CORRUPT, "%s: no generation in meta", c->path)
                     : db_err(c, err, "reading generation");
        }
        done(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_max_docno(cat *c, int64_t *out, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = stmt(c, S_MAXDOC, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
    } else {
        if (sqlite3_step(s) == SQLITE_ROW)
            *out = sqlite3_column_type(s, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 0);
        else
            rc = db_err(c, err, "reading max(docno)");
        done(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_has_id(cat *c, const char *id, int *found, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    /* A batch looks up every new id: hold one read transaction over them
     * (cat_begin ends it) instead of taking the file locks once per id. */
    if (sqlite3_get_autocommit(c->db)) {
        if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
            rc = db_err(c, err, "starting a read transaction");
            pthread_mutex_unlock(&c->mu);
            return rc;
        }
        c->lookup = 1;
    }
    sqlite3_stmt *s = stmt(c, S_HASID, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
    } else {
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        const int r = sqlite3_step(s);
        if (r == SQLITE_ROW || r == SQLITE_DONE)
            *found = r == SQLITE_ROW;
        else
            rc = db_err(c, err, "looking up a document id");
        done(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static char *col_strdup(sqlite3_stmt *s, int i, int *oom)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return NULL;
    const char *t = (const char *)sqlite3_column_text(s, i);
    if (!t) {
        *oom = 1;
        return NULL;
    }
    char *d = tsr_strndup(t, (size_t)sqlite3_column_bytes(s, i));
    if (!d)
        *oom = 1;
    return d;
}

/* The row of a stepped S_GETID / S_GETNO statement into *d and *blob. */
static int get_doc_row(sqlite3_stmt *s, tsr_document *d, void **blob, size_t *blob_len,
                       tsr_error *err)
{
    int oom = 0;
    d->docno = sqlite3_column_int64(s, 0);
    d->id = col_strdup(s, 1, &oom);
    d->title = col_strdup(s, 2, &oom);
    d->date = col_strdup(s, 3, &oom);
    d->series = col_strdup(s, 4, &oom);
    d->meta_json = col_strdup(s, 5, &oom);
    d->text_len = (size_t)col_u64(s, 6);
    if (blob) {   /* else the text's column is never read (nor its overflow pages) */
        const void *b = sqlite3_column_blob(s, 7);
        const size_t n = (size_t)sqlite3_column_bytes(s, 7);
        *blob = malloc(n ? n : 1);
        if (*blob) {
            if (n)
                memcpy(*blob, b, n);
            *blob_len = n;
        } else {
            oom = 1;
        }
    }
    if (!oom)
        return TSR_OK;
    free(d->id); free(d->title); free(d->date); free(d->series);
    free(d->meta_json);
    memset(d, 0, sizeof *d);
    if (blob) {
        free(*blob);
        *blob = NULL;
        *blob_len = 0;
    }
    return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading a document");
}

/* Statement s (S_GETID / S_GETNO, cached, of connection db) bound to id
 * (when not NULL) or docno and stepped: TSR_OK when it stands on the
 * document's row, else the error (TSR_ERR_NOTFOUND naming it).  The caller
 * reads the row, then resets s (done). */
static int step_doc(const cat *c, sqlite3 *db, sqlite3_stmt *s, const char *id, int64_t docno,
                    tsr_error *err)
{
    if (id)
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 1, docno);
    const int r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        return TSR_OK;
    if (r != SQLITE_DONE)
        return db_err_on(c, db, err, "reading a document");
    return id ? tsr_seterr(err, TSR_ERR_NOTFOUND, "no document with id '%s'", id)
              : tsr_seterr(err, TSR_ERR_NOTFOUND, "no document number %" PRId64, docno);
}

int cat_get_doc(cat *c, const char *id, int64_t docno, tsr_document *d,
                void **blob, size_t *blob_len, tsr_error *err)
{
    memset(d, 0, sizeof *d);
    if (blob) {
        *blob = NULL;
        *blob_len = 0;
    }
    pthread_mutex_lock(&c->mu);
    sqlite3_stmt *s = stmt(c, id ? S_GETID : S_GETNO, err);
    int rc = s ? step_doc(c, c->db, s, id, docno, err) : err ? err->code : TSR_ERR_DB;
    if (rc == TSR_OK)
        rc = get_doc_row(s, d, blob, blob_len, err);
    if (s)
        done(s);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

struct cat_reader {
    const cat *c;
    sqlite3 *db;
    sqlite3_stmt *get;   /* S_GETNO */
};

void cat_reader_close(cat_reader *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->get);
    if (r->db && !sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(r->db);
    free(r);
}

int cat_reader_open(cat *c, cat_reader **out, tsr_error *err)
{
    *out = NULL;
    cat_reader *r = calloc(1, sizeof *r);
    TSR_CHECK_ALLOC(r, err);
    r->c = c;
    int rc = TSR_OK;
    if (sqlite3_open_v2(c->path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        rc = r->db ? db_err_on(c, r->db, err, "open")
                   : tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory", c->path);
    else if (harden(r->db) != SQLITE_OK ||
             sqlite3_exec(r->db, "PRAGMA cache_size = -1024; BEGIN", NULL, NULL, NULL) !=
                 SQLITE_OK ||
             sqlite3_prepare_v3(r->db, stmt_sql[S_GETNO], -1, SQLITE_PREPARE_PERSISTENT,
                                &r->get, NULL) != SQLITE_OK)
        rc = db_err_on(c, r->db, err, "opening a reader");
    if (rc != TSR_OK) {
        cat_reader_close(r);
        return rc;
    }
    *out = r;
    return TSR_OK;
}

/* The row that statement s (S_GETNO or S_GETID) stands on, as pointers
 * into SQLite's memory: valid until s moves. */
static int row_view(sqlite3_stmt *s, cat_row *row, tsr_error *err)
{
    row->docno = sqlite3_column_int64(s, 0);
    row->id = (const char *)sqlite3_column_text(s, 1);
    row->title = (const char *)sqlite3_column_text(s, 2);
    row->date = (const char *)sqlite3_column_text(s, 3);
    row->series = (const char *)sqlite3_column_text(s, 4);
    row->text_len = col_u64(s, 6);
    row->blob = sqlite3_column_blob(s, 7);
    row->blob_len = (size_t)sqlite3_column_bytes(s, 7);
    if (!row->id || (!row->blob && row->blob_len))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading a document");
    return TSR_OK;
}

int cat_reader_row(cat_reader *r, int64_t docno, cat_row_fn fn, void *ud, tsr_error *err)
{
    cat_row row;
    int rc = step_doc(r->c, r->db, r->get, NULL, docno, err);
    if (rc == TSR_OK && (rc = row_view(r->get, &row, err)) == TSR_OK)
        rc = fn(ud, 0, &row);
    done(r->get);
    return rc;
}

int cat_get_docs(cat *c, const int64_t *docnos, size_t n, cat_row_fn fn, void *ud,
                 tsr_error *err)
{
    if (n == 0)
        return TSR_OK;
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    const int own = sqlite3_get_autocommit(c->db);  /* else inside the caller's */
    if (own)
        rc = exec(c, "BEGIN", err);
    sqlite3_stmt *s = rc == TSR_OK ? stmt(c, S_GETNO, err) : NULL;
    if (rc == TSR_OK && !s)
        rc = err ? err->code : TSR_ERR_DB;
    for (size_t i = 0; rc == TSR_OK && i < n; i++) {
        cat_row row;
        rc = step_doc(c, c->db, s, NULL, docnos[i], err);
        if (rc == TSR_OK && (rc = row_view(s, &row, err)) == TSR_OK)
            rc = fn(ud, i, &row);
        done(s);
    }
    if (own && !sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* ------------------------------------------------------------------------
 * Writes
 * --------------------------------------------------------------------- */

int cat_begin(cat *c, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    if (!sqlite3_get_autocommit(c->db))  /* the read transaction of cat_has_id */
        rc = exec(c, "COMMIT", err);
    c->lookup = 0;
    if (rc == TSR_OK)
        rc = exec(c, "BEGIN IMMEDIATE", err);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void cat_lookup_end(cat *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->lookup && !sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    c->lookup = 0;
    pthread_mutex_unlock(&c->mu);
}

int cat_commit(cat *c, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = exec(c, "COMMIT", err);
    const int xcode = rc == TSR_OK ? SQLITE_OK : sqlite3_extended_errcode(c->db);
    /* The sync at the end of COMMIT failed: in WAL mode the transaction is
     * whole in the WAL, commit frame included, only not known to be on the
     * disk.  SQLite rolls it back for this connection, but if the WAL
     * outlives it (the checkpoint at close fails too, on a disk still full
     * or failing) the next opener's recovery finds the transaction there
     * and applies it.  In the rollback journal of a catalog being made,
     * the same holds of the directory's sync after the journal's unlink:
     * the database holds the transaction, but a power loss may bring the
     * journal back.  The outcome is unknown until the index is next opened:
     * say so rather than "rolled back" (found by tests/cli/powerloss.sh
     * and test_syncfail). */
    c->unsynced = c->making && xcode == SQLITE_IOERR_DIR_FSYNC;
    if (xcode == (c->making ? SQLITE_IOERR_DIR_FSYNC : SQLITE_IOERR_FSYNC) && err)
        rc = tsr_preferr(err, rc, "outcome unknown until the index is next opened (the "
                         "catalog holds the transaction, but its sync failed)");
    pthread_mutex_unlock(&c->mu);
    if (rc == TSR_OK)
        cat_synced(c);
    return rc;
}

int cat_unsynced(const cat *c)
{
    return c->unsynced;
}

/* The first commit of a catalog made here is done: from now on, the WAL.
 * If the switch fails (a full disk for the WAL's files), the commits stay
 * in the rollback journal, as durable; the next writer's open switches. */
void cat_synced(cat *c)
{
    pthread_mutex_lock(&c->mu);
    c->unsynced = 0;
    if (c->making) {
        c->making = 0;
        sqlite3_exec(c->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", NULL, NULL,
                     NULL);
    }
    pthread_mutex_unlock(&c->mu);
}

void cat_rollback(cat *c)
{
    pthread_mutex_lock(&c->mu);
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&c->mu);
}

int cat_insert_doc(cat *c, const cat_doc *d, uint64_t commit_no, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = stmt(c, S_INSDOC, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
    } else {
        sqlite3_bind_int64(s, 1, d->docno);
        bind_text(s, 2, d->id);
        bind_text(s, 3, d->title);
        bind_text(s, 4, d->date);
        bind_text(s, 5, d->series);
        bind_text(s, 6, d->meta);
        sqlite3_bind_int64(s, 7, (sqlite3_int64)d->text_len);
        sqlite3_bind_blob64(s, 8, d->blob ? d->blob : "", d->blob_len, SQLITE_STATIC);
        sqlite3_bind_int64(s, 9, (sqlite3_int64)commit_no);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = db_err(c, err, "inserting a document");
        done(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_insert_seg(cat *c, const cat_seg *g, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = stmt(c, S_INSSEG, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
    } else {
        char sum[17];
        snprintf(sum, sizeof sum, "%016" PRIx64, g->checksum);
        sqlite3_bind_text(s, 1, g->file, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, g->doc_lo);
        sqlite3_bind_int64(s, 3, g->doc_hi);
        sqlite3_bind_int64(s, 4, g->ndocs);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)g->npostings);
        sqlite3_bind_int64(s, 6, (sqlite3_int64)g->bytes);
        sqlite3_bind_text(s, 7, sum, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = db_err(c, err, "inserting a segment");
        done(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_delete_seg(cat *c, const char *file, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = stmt(c, S_DELSEG, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
    } else {
        sqlite3_bind_text(s, 1, file, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = db_err(c, err, "deleting a segment");
        else if (sqlite3_changes(c->db) != 1)
            rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: segment %s is not listed", c->path, file);
        done(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

#define SQL_REMOVED "CREATE TABLE IF NOT EXISTS removed(docno INTEGER PRIMARY KEY)"
#define SQL_DICTS "CREATE TABLE IF NOT EXISTS dicts(id INTEGER PRIMARY KEY, data BLOB NOT" \
                  " NULL, data2 BLOB NOT NULL, checksum INTEGER NOT NULL)"

/* Inside a write transaction: make a catalog of format m->format (older
 * than `v`) one of format `v`, with the statements `ddl` (its tables). */
static int upgrade(cat *c, const cat_meta *m, int v, const char *ddl, tsr_error *err)
{
    char sql[400];
    snprintf(sql, sizeof sql, "%s; PRAGMA user_version = %d", ddl, v);
    int rc = exec(c, sql, err);
    if (rc == TSR_OK)
        rc = put_meta1(c, "format", (uint64_t)v, err);
    /* format 2 said that documents were removed; format 3 no longer does */
    if (rc == TSR_OK && v == CAT_FORMAT_DICT && m->removals)
        rc = put_meta1(c, "removals", 1, err);
    return rc;
}

int cat_enable_removed(cat *c, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    cat_meta m;
    int rc = read_meta(c, &m, err);
    if (rc == TSR_OK && m.format < CAT_FORMAT_REMOVED)
        rc = upgrade(c, &m, CAT_FORMAT_REMOVED, SQL_REMOVED, err);
    else if (rc == TSR_OK && !m.removals)   /* format 3: the mark format 2 was */
        rc = put_meta1(c, "removals", 1, err);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_put_dict(cat *c, uint32_t id, const void *data, size_t len, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    cat_meta m;
    int rc = read_meta(c, &m, err);
    if (rc == TSR_OK && m.format < CAT_FORMAT_DICT)
        rc = upgrade(c, &m, CAT_FORMAT_DICT, SQL_REMOVED "; " SQL_DICTS, err);
    sqlite3_stmt *s = NULL;
    if (rc == TSR_OK && sqlite3_prepare_v2(c->db, "INSERT INTO dicts(id, data, data2, checksum)"
                                           " VALUES (?1, ?2, ?2, ?3)", -1, &s, NULL) != SQLITE_OK)
        rc = db_err(c, err, "storing a dictionary");
    if (rc == TSR_OK) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_blob(s, 2, data, (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, (int64_t)XXH3_64bits(data, len));
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = db_err(c, err, "storing a dictionary");
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* Whether a stored copy of a dictionary matches its checksum. */
static int dict_copy_ok(sqlite3_stmt *s, int col, int64_t sum)
{
    const void *p = sqlite3_column_blob(s, col);
    const int n = sqlite3_column_bytes(s, col);
    return p && n > 0 && (int64_t)XXH3_64bits(p, (size_t)n) == sum;
}

int cat_get_dict(cat *c, cat_reader *rd, uint32_t id, void **data, size_t *len,
                 uint32_t *got_id, tsr_error *err)
{
    *data = NULL;
    *len = 0;
    if (!rd)
        pthread_mutex_lock(&c->mu);
    sqlite3 *db = rd ? rd->db : c->db;
    cat_meta m;
    int rc = rd ? TSR_OK : read_meta(c, &m, err);
    sqlite3_stmt *s = NULL;
    /* no table: a catalog of format 1 or 2 (read through c), or the
     * table missing (through rd, which reads no meta) */
    int none = rc == TSR_OK && !rd && m.format < CAT_FORMAT_DICT;
    if (rc == TSR_OK && !none &&
        sqlite3_prepare_v2(db, id ? "SELECT id, data, data2, checksum FROM dicts WHERE id = ?1"
                              : "SELECT id, data, data2, checksum FROM dicts ORDER BY id"
                                " LIMIT 1", -1, &s, NULL) != SQLITE_OK) {
        none = id && sqlite3_errcode(db) == SQLITE_ERROR;
        if (!none)
            rc = db_err_on(c, db, err, "reading a dictionary");
    }
    if (none)
        rc = id ? tsr_seterr(err, TSR_ERR_CORRUPT, "%s: a text names dictionary %u, but the"
                             " catalog holds none", c->path, id)
                : TSR_ERR_NOTFOUND;
    if (rc == TSR_OK) {
        sqlite3_bind_int64(s, 1, id);
        const int r = sqlite3_step(s);
        if (r == SQLITE_DONE) {
            rc = id ? tsr_seterr(err, TSR_ERR_CORRUPT, "%s: a text names dictionary %u, which"
                                 " the catalog lacks", c->path, id)
                    : TSR_ERR_NOTFOUND;
        } else if (r != SQLITE_ROW) {
            rc = db_err_on(c, db, err, "reading a dictionary");
        } else {
            const int64_t sum = sqlite3_column_int64(s, 3);
            const int col = dict_copy_ok(s, 1, sum) ? 1 : dict_copy_ok(s, 2, sum) ? 2 : 0;
            if (!col) {
                rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: dictionary %lld is damaged (both"
                                " copies fail their checksum)", c->path,
                                (long long)sqlite3_column_int64(s, 0));
            } else {
                const size_t n = (size_t)sqlite3_column_bytes(s, col);
                *data = malloc(n);
                if (!*data) {
                    rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
                } else {
                    memcpy(*data, sqlite3_column_blob(s, col), n);
                    *len = n;
                    if (got_id)
                        *got_id = (uint32_t)sqlite3_column_int64(s, 0);
                }
            }
        }
    }
    sqlite3_finalize(s);
    if (!rd)
        pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_each_dict(cat *c, cat_dict_fn fn, void *ud, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    cat_meta m;
    int rc = read_meta(c, &m, err);
    sqlite3_stmt *s = NULL;
    if (rc == TSR_OK && m.format >= CAT_FORMAT_DICT &&
        sqlite3_prepare_v2(c->db, "SELECT id, data, data2, checksum FROM dicts ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        rc = db_err(c, err, "reading the dictionaries");
    int r = SQLITE_DONE;
    while (rc == TSR_OK && s && (r = sqlite3_step(s)) == SQLITE_ROW) {
        const int64_t sum = sqlite3_column_int64(s, 3);
        rc = fn(ud, (uint32_t)sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1),
                (size_t)sqlite3_column_bytes(s, 1), dict_copy_ok(s, 1, sum),
                dict_copy_ok(s, 2, sum));
    }
    if (rc == TSR_OK && r != SQLITE_DONE)
        rc = db_err(c, err, "reading the dictionaries");
    sqlite3_finalize(s);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_remove_doc(cat *c, const char *id, int *found, int64_t *docno, uint64_t *text_len,
                   uint64_t *stored_len, tsr_error *err)
{
    *found = 0;
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = stmt(c, S_RMGET, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
        goto out;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    const int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *found = 1;
        *docno = sqlite3_column_int64(s, 0);
        *text_len = col_u64(s, 1);
        *stored_len = col_u64(s, 2);
    } else if (r != SQLITE_DONE) {
        rc = db_err(c, err, "looking up a document id");
    }
    done(s);
    if (rc != TSR_OK || !*found)
        goto out;
    const int ks[2] = { S_RMDEL, S_RMADD };
    for (int k = 0; k < 2 && rc == TSR_OK; k++) {
        if (!(s = stmt(c, ks[k], err))) {
            rc = err ? err->code : TSR_ERR_DB;
            break;
        }
        sqlite3_bind_int64(s, 1, *docno);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = db_err(c, err, k ? "recording a removed document" : "removing a document");
        done(s);
    }
out:
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_forget_removed(cat *c, int64_t lo, int64_t hi, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = stmt(c, S_RMFORGET, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
    } else {
        sqlite3_bind_int64(s, 1, lo);
        sqlite3_bind_int64(s, 2, hi);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = db_err(c, err, "forgetting removed documents");
        done(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_put_meta(cat *c, const cat_meta *m, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = put_meta_all(c, m, 0, err);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* ------------------------------------------------------------------------
 * Verification
 * --------------------------------------------------------------------- */

int cat_read_begin(cat *c, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    if (c->lookup && !c->reading) {   /* a batch's id lookups, left open: end them */
        rc = exec(c, "COMMIT", err);
        c->lookup = 0;
    }
    if (rc == TSR_OK && !c->reading)
        rc = exec(c, "BEGIN", err);
    if (rc == TSR_OK)
        c->reading++;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void cat_read_end(cat *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->reading > 0 && --c->reading == 0 && !sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&c->mu);
}

int cat_integrity(cat *c, int *ok, char *msg, size_t msgsz, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = NULL;
    *ok = 0;
    if (msgsz)
        msg[0] = 0;
    if (sqlite3_prepare_v2(c->db, "PRAGMA integrity_check(1)", -1, &s, NULL) != SQLITE_OK) {
        rc = db_err(c, err, "integrity_check");
    } else {
        if (sqlite3_step(s) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(s, 0);
            *ok = t && !strcmp(t, "ok");
            if (msgsz)
                snprintf(msg, msgsz, "%s", t ? t : "(no answer)");
        } else {
            rc = db_err(c, err, "integrity_check");
        }
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_count_range(cat *c, int64_t lo, int64_t hi, uint64_t *n, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = stmt(c, S_COUNT, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
    } else {
        sqlite3_bind_int64(s, 1, lo);
        sqlite3_bind_int64(s, 2, hi);
        if (sqlite3_step(s) == SQLITE_ROW)
            *n = col_u64(s, 0);
        else
            rc = db_err(c, err, "counting documents");
        done(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cat_each_doc(cat *c, cat_doc_fn fn, void *ud, tsr_error *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = TSR_OK;
    sqlite3_stmt *s = stmt(c, S_EACH, err);
    if (!s) {
        rc = err ? err->code : TSR_ERR_DB;
    } else {
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW) {
            const void *b = sqlite3_column_blob(s, 2);
            const size_t n = (size_t)sqlite3_column_bytes(s, 2);
            rc = fn(ud, sqlite3_column_int64(s, 0), col_u64(s, 1), b, n);
            if (rc != TSR_OK)
                break;
        }
        if (rc == TSR_OK && r != SQLITE_DONE)
            rc = db_err(c, err, "reading documents");
        done(s);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}
