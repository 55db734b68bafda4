/*
 * test_syncfail.c - a catalog commit whose final sync fails, and what the
 * writer does after it.
 *
 * THE CASE
 *
 * SQLite writes a commit into its WAL (frames, the last one marked as the
 * commit) and then syncs the WAL.  When that sync fails, COMMIT returns
 * SQLITE_IOERR_FSYNC and the connection rolls the transaction back, but
 * the frames stay in the WAL, whole.  If the WAL outlives the connection
 * (its checkpoint at close fails too: a disk still full or failing), the
 * next opener's recovery finds them and applies the transaction.  So its
 * outcome is unknown until the index is next opened, and the writer must
 * never reuse the segment number that transaction lists: a later segment
 * written under the same name would be listed with the first one's
 * checksum, and the index would no longer open.
 *
 * The test: commit A; commit B with the WAL's sync failing (EIO, once):
 * the error must say the outcome is unknown; then, on a full disk (every
 * SQLite write fails, ENOSPC), add C and commit again (the batch is B and
 * C): it fails; close (the checkpoint fails, the WAL stays).  Then, the
 * disk fine again, the index must open and verify sound, hold A, hold B
 * whole or not at all (here SQLite finds it: whole), never C, and a writer
 * must clean the orphan files.  Red before ix_skip_number (lib/index.c):
 * the second commit wrote B+C's segment over B's, and the open failed on
 * its checksum.  Found by tests/cli/powerloss.sh's fault cases.
 *
 * The second test: the same failed commit while another handle (a reader,
 * as `tessera serve` keeps) holds the catalog open.  Its connection keeps
 * SQLite's WAL index alive, so a writer opened next does not run the WAL's
 * recovery and does not see the transaction: to it, the failed commit's
 * segment is an orphan.  It must not delete it while the transaction may
 * still be applied: here the disk stays full (the writer's open, then every
 * close: the WAL stays), and the next opener's recovery applies it.  Red
 * before the writer made such a transaction dead before deleting the file
 * (lib/index.c, ix_clean_orphans): the index listed a segment that was gone
 * and no longer opened.  Found by tests/cli/powerloss.sh's API cases (a
 * server on a full disk: ENOSPC at the WAL's sync, then a second add).
 *
 * HOW IT WORKS
 *
 * This program defines pwrite64 and fdatasync, which SQLite's unix VFS
 * calls (Linux), so its definitions take the place of the C library's for
 * SQLite (the unit tests link the C library and SQLite dynamically; the
 * symbols are exported because libsqlite3 refers to them).  They do the
 * system calls themselves, failing on demand.  The library's own segment
 * writes (pwrite, fsync) are untouched.  Where the override does not take
 * (no /proc, another VFS), no failure comes and the test says so and
 * checks nothing more.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "tessera.h"
#include "testhelp.h"
#include "testutil.h"

/* ------------------------------------------------------------------------
 * The failing calls
 * --------------------------------------------------------------------- */

static int fail_wal_sync;  /* the next fdatasync of a -wal file fails (EIO) */
static int fail_dir_sync;  /* the next fdatasync of a directory after a journal's unlink fails
                              (1), and every directory sync after it (2) */
static int journal_gone;   /* a -journal file was unlinked since fail_dir_sync was set */
static int dir_sync_failed;
static int dirs_fail;      /* every sync of a directory fails (EIO): fail_dir_sync 2 sets it */
static int disk_full;      /* every pwrite64 fails (ENOSPC) */
static int wal_sync_failed;
static int syncs;          /* fdatasync calls (SQLite's) */
static int fsyncs;         /* fsync calls (the library's, SQLite's) */

static int is_wal(int fd)
{
    char proc[64], path[512];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    const ssize_t n = readlink(proc, path, sizeof path - 1);
    if (n < 4)
        return 0;
    path[n] = 0;
    return !strcmp(path + n - 4, "-wal");
}

__attribute__((visibility("default"))) ssize_t pwrite64(int fd, const void *buf, size_t n,
                                                        off64_t off)
{
    if (disk_full) {
        errno = ENOSPC;
        return -1;
    }
    return (ssize_t)syscall(SYS_pwrite64, fd, buf, n, off);
}

/* SQLite's unlink of a rollback journal (the commit of a catalog being
 * made: lib/catalog.c), noted for fail_dir_sync. */
__attribute__((visibility("default"))) int unlink(const char *path)
{
    const size_t n = strlen(path);
    if (fail_dir_sync && n > 8 && !strcmp(path + n - 8, "-journal"))
        journal_gone = 1;
    return (int)syscall(SYS_unlink, path);
}

__attribute__((visibility("default"))) int fdatasync(int fd)
{
    syncs++;
    struct stat st;
    if (fail_dir_sync && journal_gone && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        dirs_fail = fail_dir_sync == 2;   /* 2: the library's sync of it too */
        fail_dir_sync = journal_gone = 0;
        dir_sync_failed = 1;
        errno = EIO;
        return -1;
    }
    if (fail_wal_sync && is_wal(fd)) {
        fail_wal_sync = 0;
        wal_sync_failed = 1;
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}

/* Counted, and failed for a directory once dirs_fail is set: the
 * library's segment and directory syncs. */
__attribute__((visibility("default"))) int fsync(int fd)
{
    fsyncs++;
    struct stat st;
    if (dirs_fail && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}

/* ------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

static char tmpdir[64], ixdir[128];

/* Add documents PREFIX0..PREFIX4, each of its own made-up words. */
static int add_five(tsr_index *ix, char prefix)
{
    for (int i = 0; i < 5; i++) {
        char id[16], text[400];
        snprintf(id, sizeof id, "%c%d", prefix, i);
        size_t len = 0;
        for (int w = 0; w < 40; w++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%c%dw%d ", prefix, i,
                                    (w * 7 + i) % 40);
        tsr_docinfo d = { .id = id, .text = text, .text_len = len };
        tsr_error e;
        if (tsr_index_add(ix, &d, &e) != TSR_OK)
            return -1;
    }
    return 0;
}

/* How many of PREFIX0..PREFIX4 the index holds. */
static int count_five(tsr_index *ix, char prefix)
{
    int n = 0;
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "%c%d", prefix, i);
        tsr_document *doc = NULL;
        tsr_error e;
        if (tsr_index_get(ix, id, &doc, &e) == TSR_OK)
            n++;
        tsr_document_free(doc);
    }
    return n;
}

static void count_faults(void *ud, const char *file, int status, const char *message)
{
    (void)file;
    (void)message;
    if (status != TSR_OK)
        ++*(int *)ud;
}

/* Segment files that the catalog does not list, and temporary files. */
static int orphans(void)
{
    tsr_index *ix = NULL;
    tsr_error e;
    if (tsr_index_open(ixdir, TSR_OPEN_READONLY, &ix, &e) != TSR_OK)
        return -1;
    tsr_stats st;
    const int ok = tsr_index_stats(ix, &st, &e) == TSR_OK;
    tsr_index_close(ix);
    DIR *d = opendir(ixdir);
    if (!d || !ok) {
        if (d)
            closedir(d);
        return -1;
    }
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        files += !strncmp(de->d_name, "seg-", 4);
    closedir(d);
    return files - (int)st.segments;
}

/* The index opens read-only and verifies sound, and holds the five
 * documents of each prefix in `whole`. */
static void sound_with(const char *whole)
{
    tsr_index *ix = NULL;
    tsr_error e;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_READONLY, &ix, &e) == TSR_OK);
    if (!ix)
        return;
    int faults = 0;
    CHECK(tsr_index_verify(ix, count_faults, &faults, &e) == TSR_OK);
    CHECK(faults == 0);
    for (const char *p = whole; *p; p++)
        CHECK(count_five(ix, *p) == 5);
    tsr_index_close(ix);
}

/* ------------------------------------------------------------------------
 * Tests
 * --------------------------------------------------------------------- */

static void test_commit_sync_fails(void)
{
    tsr_index *ix = NULL;
    tsr_error e;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_CREATE, &ix, &e) == TSR_OK);
    if (!ix)
        return;
    CHECK(add_five(ix, 'a') == 0);
    CHECK(tsr_index_commit(ix, &e) == TSR_OK);

    CHECK(add_five(ix, 'b') == 0);
    fail_wal_sync = 1;
    const int rc_b = tsr_index_commit(ix, &e);
    fail_wal_sync = 0;
    if (!wal_sync_failed) {
        printf("test_syncfail: SQLite's fdatasync is not reachable here: nothing tested\n");
        tsr_index_close(ix);
        return;
    }
    CHECK(rc_b == TSR_ERR_IO);
    CHECK(strstr(e.message, "outcome unknown") != NULL);

    /* the disk is full: the batch (B and C now) cannot commit */
    CHECK(add_five(ix, 'c') == 0);
    disk_full = 1;
    CHECK(tsr_index_commit(ix, &e) != TSR_OK);
    tsr_index_close(ix); /* its checkpoint fails: the WAL stays, B's frames in it */
    disk_full = 0;

    ix = NULL;
    const int rc = tsr_index_open(ixdir, TSR_OPEN_READONLY, &ix, &e);
    CHECK(rc == TSR_OK);
    if (rc != TSR_OK)
        fprintf(stderr, "test_syncfail: reopen: %s\n", e.message);
    if (ix) {
        int faults = 0;
        CHECK(tsr_index_verify(ix, count_faults, &faults, &e) == TSR_OK);
        CHECK(faults == 0);
        CHECK(count_five(ix, 'a') == 5);
        const int b = count_five(ix, 'b');
        CHECK(b == 0 || b == 5);
        CHECK(count_five(ix, 'c') == 0);
        tsr_index_close(ix);
    }

    /* a writer deletes the orphans (the segment of the failed commit) */
    ix = NULL;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_WRITE, &ix, &e) == TSR_OK);
    tsr_index_close(ix);
    CHECK(orphans() == 0);
}

/* A new index's first commit is in SQLite's rollback journal
 * (lib/catalog.c): its commit point is the directory's sync after the
 * journal's unlink.  When that sync fails, the catalog holds the
 * transaction, but a power loss may bring the journal back.
 *
 * `sticky` 0: SQLite's sync fails once; the library syncs the directory
 * again, and the commit is durable: it succeeds, the index holds A, and
 * the next commit adds B.  Red without that second sync (ix_commit_meta):
 * the commit failed, and B's commit with it (before the handle refused
 * to write after it, on a docno already in the catalog).
 *
 * `sticky` 1: every directory sync fails from there on: the outcome is
 * unknown, the error says so (red with cat_commit's test for the WAL's
 * failed sync only), and the handle refuses further writes rather than
 * write from a view the catalog no longer matches.  Reopened (the disk
 * fine again), the index is sound, A whole, no orphan, and B commits. */
static void first_commit_dir_sync_fails(int sticky)
{
    tsr_index *ix = NULL;
    tsr_error e;
    dir_sync_failed = 0;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_CREATE, &ix, &e) == TSR_OK);
    if (!ix)
        return;
    CHECK(add_five(ix, 'a') == 0);
    fail_dir_sync = sticky ? 2 : 1;
    const int rc_a = tsr_index_commit(ix, &e);
    fail_dir_sync = journal_gone = 0;
    if (!dir_sync_failed) {
        printf("test_syncfail: SQLite's directory sync is not reachable here: nothing tested\n");
        tsr_index_close(ix);
        return;
    }
    if (sticky) {
        CHECK(rc_a == TSR_ERR_IO);
        CHECK(strstr(e.message, "outcome unknown") != NULL);
        CHECK(add_five(ix, 'b') != 0);
        CHECK(tsr_index_commit(ix, &e) == TSR_ERR_IO);
        CHECK(strstr(e.message, "open it again") != NULL);
        tsr_index_close(ix);
        dirs_fail = 0;
        ix = NULL;
        CHECK(tsr_index_open(ixdir, TSR_OPEN_WRITE, &ix, &e) == TSR_OK);
        if (!ix)
            return;
    } else {
        CHECK(rc_a == TSR_OK);
        if (rc_a != TSR_OK)
            fprintf(stderr, "test_syncfail: first commit, one directory sync failed: %s\n",
                    e.message);
    }
    CHECK(add_five(ix, 'b') == 0);
    const int rc_b = tsr_index_commit(ix, &e);
    CHECK(rc_b == TSR_OK);
    if (rc_b != TSR_OK)
        fprintf(stderr, "test_syncfail: the commit after: %s\n", e.message);
    tsr_index_close(ix);
    sound_with("ab");
    ix = NULL;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_WRITE, &ix, &e) == TSR_OK);
    tsr_index_close(ix);
    CHECK(orphans() == 0);
}

static void test_first_commit_dir_sync_fails_once(void)
{
    first_commit_dir_sync_fails(0);
}

static void test_first_commit_dir_sync_fails(void)
{
    first_commit_dir_sync_fails(1);
}

static void test_commit_sync_fails_reader_open(void)
{
    tsr_index *ix = NULL, *rd = NULL, *w2 = NULL;
    tsr_error e;
    wal_sync_failed = 0;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_CREATE, &ix, &e) == TSR_OK);
    if (!ix)
        return;
    CHECK(add_five(ix, 'a') == 0);
    CHECK(tsr_index_commit(ix, &e) == TSR_OK);
    CHECK(tsr_index_open(ixdir, TSR_OPEN_READONLY, &rd, &e) == TSR_OK);
    CHECK(count_five(rd, 'a') == 5);

    CHECK(add_five(ix, 'b') == 0);
    fail_wal_sync = 1;
    const int rc_b = tsr_index_commit(ix, &e);
    fail_wal_sync = 0;
    if (!wal_sync_failed) {
        printf("test_syncfail: SQLite's fdatasync is not reachable here: nothing tested\n");
        tsr_index_close(ix);
        tsr_index_close(rd);
        return;
    }
    CHECK(rc_b == TSR_ERR_IO);
    CHECK(strstr(e.message, "outcome unknown") != NULL);

    /* the disk is full from here on: the writer closes, a new one opens
     * (it may fail, but must not delete B's segment), every handle closes
     * (no checkpoint: the WAL stays, B's frames in it) */
    disk_full = 1;
    tsr_index_close(ix);
    if (tsr_index_open(ixdir, TSR_OPEN_WRITE, &w2, &e) == TSR_OK)
        tsr_index_close(w2);
    tsr_index_close(rd);
    disk_full = 0;

    ix = NULL;
    const int rc = tsr_index_open(ixdir, TSR_OPEN_READONLY, &ix, &e);
    CHECK(rc == TSR_OK);
    if (rc != TSR_OK)
        fprintf(stderr, "test_syncfail: reopen after a writer beside a reader: %s\n", e.message);
    if (ix) {
        int faults = 0;
        CHECK(tsr_index_verify(ix, count_faults, &faults, &e) == TSR_OK);
        CHECK(faults == 0);
        CHECK(count_five(ix, 'a') == 5);
        const int b = count_five(ix, 'b');
        CHECK(b == 0 || b == 5);
        tsr_index_close(ix);
    }

    /* the disk fine again: a writer beside a reader adds C, and the
     * orphans are gone */
    rd = ix = NULL;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_READONLY, &rd, &e) == TSR_OK);
    CHECK(tsr_index_open(ixdir, TSR_OPEN_WRITE, &ix, &e) == TSR_OK);
    if (ix) {
        CHECK(add_five(ix, 'c') == 0);
        CHECK(tsr_index_commit(ix, &e) == TSR_OK);
        tsr_index_close(ix);
    }
    tsr_index_close(rd);
    CHECK(orphans() == 0);
    sound_with("ac");
}

/* TSR_OPEN_SCRATCH: a new index whose catalog is never synced (SQLite's
 * fdatasync is not called: its journal is in memory, synchronous OFF),
 * nor its segments and directory (no fsync), whose texts are stored
 * uncompressed, and which reads back whole once closed.  A durable index beside it syncs: the counts would see a
 * scratch index's syncs.  Refused for an index that exists and without
 * TSR_OPEN_CREATE. */
static void test_scratch(void)
{
    tsr_index *ix = NULL;
    tsr_error e;
    syncs = fsyncs = 0;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_CREATE, &ix, &e) == TSR_OK);
    CHECK(ix && add_five(ix, 'a') == 0 && tsr_index_commit(ix, &e) == TSR_OK);
    tsr_stats st;
    CHECK(ix && tsr_index_stats(ix, &st, &e) == TSR_OK);
    CHECK(st.stored_bytes < st.text_bytes);   /* compressed */
    tsr_index_close(ix);
    CHECK(fsyncs > 0);
    if (syncs == 0) {
        fprintf(stderr, "  (the fdatasync override did not take: nothing checked)\n");
        return;
    }
    CHECK(tsr_index_open(ixdir, TSR_OPEN_CREATE | TSR_OPEN_SCRATCH, &ix, &e) ==
          TSR_ERR_INVALID);
    CHECK(ix == NULL && strstr(e.message, "already"));
    rm_tree(ixdir);
    CHECK(tsr_index_open(ixdir, TSR_OPEN_WRITE | TSR_OPEN_SCRATCH, &ix, &e) ==
          TSR_ERR_INVALID);

    syncs = fsyncs = 0;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_CREATE | TSR_OPEN_SCRATCH, &ix, &e) == TSR_OK);
    CHECK(ix && add_five(ix, 'a') == 0 && tsr_index_commit(ix, &e) == TSR_OK);
    CHECK(ix && add_five(ix, 'b') == 0 && tsr_index_commit(ix, &e) == TSR_OK);
    CHECK(count_five(ix, 'a') == 5 && count_five(ix, 'b') == 5);
    /* its texts stored as they are (zstd's raw blocks: a few bytes more) */
    CHECK(ix && tsr_index_stats(ix, &st, &e) == TSR_OK);
    CHECK(st.stored_bytes >= st.text_bytes);
    tsr_index_close(ix);
    CHECK(syncs == 0 && fsyncs == 0);
    ix = NULL;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_READONLY, &ix, &e) == TSR_OK);
    if (ix) {
        int faults = 0;
        CHECK(tsr_index_verify(ix, count_faults, &faults, &e) == TSR_OK && faults == 0);
        CHECK(count_five(ix, 'a') == 5 && count_five(ix, 'b') == 5);
        tsr_index_close(ix);
    }
}

/* A discovery's work files are synced only where they are kept for
 * resuming: not with tsr_discover_opts.scratch (the workdir of a temporary
 * index, thrown away with it), nor in a temporary directory of the run's
 * own (workdir NULL).  Red before disc_run.sync: the discovery of a
 * temporary index (`tessera discover INPUT`, which reopens it read-only)
 * synced every stage file, ten fsyncs at 1,000 documents. */
static void test_discover_sync(void)
{
    tsr_index *ix = NULL;
    tsr_error e;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_CREATE, &ix, &e) == TSR_OK);
    CHECK(ix && add_five(ix, 'a') == 0 && add_five(ix, 'b') == 0);
    CHECK(ix && tsr_index_commit(ix, &e) == TSR_OK);
    tsr_index_close(ix);
    ix = NULL;
    CHECK(tsr_index_open(ixdir, TSR_OPEN_READONLY, &ix, &e) == TSR_OK);
    if (!ix)
        return;
    char kept[160], thrown[160];
    snprintf(kept, sizeof kept, "%s/kept", tmpdir);
    snprintf(thrown, sizeof thrown, "%s/thrown", tmpdir);
    for (int run = 0; run < 3; run++) {
        tsr_discover_opts o;
        tsr_discover_opts_default(&o);
        o.workdir = run == 0 ? kept : run == 1 ? thrown : NULL;
        o.scratch = run == 1;
        tsr_discovery *d = NULL;
        fsyncs = 0;
        CHECK(tsr_discover(ix, NULL, &o, &d, &e) == TSR_OK);
        if (run == 0)
            CHECK(fsyncs > 0);    /* kept for resuming: synced */
        else
            CHECK(fsyncs == 0);
        tsr_discovery_free(d);
    }
    tsr_index_close(ix);
    rm_tree(kept);
    rm_tree(thrown);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tsr-syncfail-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(ixdir, sizeof ixdir, "%s/ix", tmpdir);
    RUN(test_commit_sync_fails);
    rm_tree(ixdir);
    RUN(test_commit_sync_fails_reader_open);
    rm_tree(ixdir);
    RUN(test_first_commit_dir_sync_fails_once);
    rm_tree(ixdir);
    RUN(test_first_commit_dir_sync_fails);
    rm_tree(ixdir);
    RUN(test_scratch);
    rm_tree(ixdir);
    RUN(test_discover_sync);
    rm_tree(ixdir);
    rmdir(tmpdir);
    return test_report();
}
