/*
 * index.c - the index: a directory holding a SQLite catalog and immutable
 * posting segments.  Opening, the writer lock, the in-memory batch of
 * tsr_index_add, the commit and merge protocols, refresh for readers,
 * document fetch, stats and verification.  tsr_index_check lives in
 * check.c and reads the index through index_internal.h.
 *
 * Crash safety rests on one rule: the catalog is the single source of truth
 * for which segment files are live.  A commit writes its segment under a
 * temporary name, fsyncs it, renames it into place and fsyncs the
 * directory; only then does one SQLite transaction insert the batch's
 * documents, the segment row and the new counters.  Killed before that
 * transaction, the index is as it was (the new file is an orphan, deleted
 * by the next writer); killed after, the commit is complete.  A merge does
 * the same with its output, swaps the rows in one transaction and only
 * then unlinks its inputs, which readers that still have them mapped keep
 * using.  doc/index-format.md has the full specification.
 *
 * Segments cover disjoint, increasing docno ranges: a commit's documents
 * get numbers above every earlier one, and merges only combine neighbours
 * (in docno order).  So a lookup that walks the segments in order yields
 * documents in increasing docno order.
 *
 * Merge policy (tiered, as in size-tiered LSM compaction).  A segment's
 * tier is the base-4 logarithm of its size (postings + documents) over
 * IX_TIER_BASE; tier 0 holds everything smaller.  After a commit, for the
 * lowest tier L that has one: find a run of neighbouring segments, all of
 * tier <= L, holding at least IX_TIER_FANIN segments of tier L, and merge
 * it; repeat until no such run exists.  Each merge at least roughly
 * quadruples the size of what it rewrites, so a posting is rewritten about
 * log4(N / base) times, and about 3 segments per tier remain: 1000
 * commits of 1000 documents end with ~10 segments after writing ~4.7
 * times the final size (a greedy "merge the cheapest run when over 8
 * segments" rule, simulated on the same load, wrote 18 times the final
 * size).  As a backstop, beyond IX_MAX_SEGMENTS the run of 2..10
 * neighbours with the least bytes per segment removed is merged.
 */
#include "common/common.h"
#include "cache.h"
#include "catalog.h"
#include "index_impl.h"
#include "segment.h"
#include "common/xxh.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define IX_CATALOG "catalog.sqlite"
#define IX_LOCK "LOCK"
#define IX_TMP_SUFFIX ".tmp"
#define IX_ZSTD_LEVEL TD_LEVEL /* text compression: speed first (1) */
/* Where a writer's dictionary stands (textdict.c). */
enum {
    IX_DICT_NONE,       /* none, and none to be trained (a repair, or the sample gave none) */
    IX_DICT_SAMPLING,   /* sampling the texts added, to train one */
    IX_DICT_NEW,        /* trained: texts are compressed with it, the next commit stores it */
    IX_DICT_STORED      /* in the catalog */
};
#define IX_TIER_BASE 4096      /* tier 0: segments of fewer postings + documents */
#define IX_TIER_FANIN 4        /* segments of one tier that trigger a merge */
#define IX_MAX_SEGMENTS 16     /* backstop: merge beyond this many */
#define IX_LOAD_TRIES 8        /* reader retries when a merge races its load */

/* ------------------------------------------------------------------------
 * Types
 * --------------------------------------------------------------------- */


/* ------------------------------------------------------------------------
 * Small helpers
 * --------------------------------------------------------------------- */

char *ix_path_join(const char *dir, const char *name)
{
    const size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p) {
        memcpy(p, dir, a);
        p[a] = '/';
        memcpy(p + a + 1, name, b + 1);
    }
    return p;
}

static void seg_name(uint64_t num, char *buf, size_t n)
{
    snprintf(buf, n, "seg-%06" PRIu64 ".tsg", num);
}

/* fsync the directory that holds `path` (after creating `path` in it). */
int ix_fsync_parent(const char *path, tsr_error *err)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;          /* "a/b/" -> "a/b" */
    while (n > 0 && path[n - 1] != '/') n--;          /* -> "a/" */
    while (n > 1 && path[n - 1] == '/') n--;          /* -> "a" */
    char *parent = n ? tsr_strndup(path, n) : tsr_strndup(".", 1);
    TSR_CHECK_ALLOC(parent, err);
    const int rc = ix_fsync_dir(parent, err);
    free(parent);
    return rc;
}

int ix_fsync_dir(const char *dir, tsr_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return tsr_seterr(err, TSR_ERR_IO, "%s: open directory: %s", dir, strerror(errno));
    int rc = TSR_OK;
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = tsr_seterr(err, tsr_io_status(errno), "%s: fsync directory: %s", dir, strerror(errno));
    close(fd);
    return rc;
}

static int has_suffix(const char *s, const char *suf)
{
    const size_t a = strlen(s), b = strlen(suf);
    return a >= b && !memcmp(s + a - b, suf, b);
}

/* End the catalog write transaction that the caller began (cat_begin) and
 * filled, its status so far `rc`: when that is TSR_OK, write `m` as the
 * meta row (the counters, generation and next_seg) and commit; when that
 * or anything before failed, roll back.  Every transaction of the index
 * that commits ends here, so none commits without its meta row.  Returns
 * TSR_OK once the transaction is durable, else the first failure.  A
 * failed commit's outcome may be unknown (cat_commit): a caller whose
 * transaction listed segment meta.next_seg must not use that number again
 * (ix_skip_number).  ix->meta is left as it is: the caller takes `m` (or
 * reloads the catalog) once it knows the outcome. */
static int ix_commit_meta(tsr_index *ix, int rc, const cat_meta *m, tsr_error *err)
{
    if (rc == TSR_OK)
        rc = cat_put_meta(ix->cat, m, err);
    if (rc == TSR_OK)
        rc = cat_commit(ix->cat, err);
    /* A new catalog's first commit is in, but the directory's sync that
     * makes it durable failed (cat_unsynced): sync it again.  If that
     * fails too, this handle no longer knows what the catalog holds (the
     * batch is in it, unless a power loss undoes it): it refuses to write
     * more (ix_writable), and the next open knows. */
    if (rc != TSR_OK && cat_unsynced(ix->cat)) {
        if (ix_fsync_dir(ix->dir, NULL) == TSR_OK) {
            cat_synced(ix->cat);
            return TSR_OK;
        }
        ix->unsettled = 1;
    }
    if (rc != TSR_OK)
        cat_rollback(ix->cat);
    return rc;
}

/* ------------------------------------------------------------------------
 * Removed documents
 * --------------------------------------------------------------------- */

static void removed_free(ix_removed *r)
{
    free(r->list);
    free((void *)r->dead.bits);
    memset(r, 0, sizeof *r);
}

/* Build the bitmap of `list` (n docnos, ascending) into *r, taking `list`. */
static int removed_make(ix_removed *r, uint32_t *list, size_t n, tsr_error *err)
{
    memset(r, 0, sizeof *r);
    r->list = list;
    r->n = n;
    if (n == 0)
        return TSR_OK;
    const uint64_t nbits = (uint64_t)list[n - 1] + 1;
    uint64_t *bits = calloc((size_t)((nbits + 63) / 64), sizeof *bits);
    if (!bits) {
        removed_free(r);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for %zu removed documents", n);
    }
    for (size_t i = 0; i < n; i++)
        bits[list[i] >> 6] |= (uint64_t)1 << (list[i] & 63);
    r->dead.bits = bits;
    r->dead.n = nbits;
    return TSR_OK;
}

/* Removed documents with docno in [lo, hi]. */
static uint64_t removed_in(const ix_removed *r, uint64_t lo, uint64_t hi)
{
    size_t a = 0, z = r->n;
    while (a < z) {     /* first >= lo */
        const size_t m = a + (z - a) / 2;
        if (r->list[m] < lo) a = m + 1; else z = m;
    }
    size_t b = a;
    z = r->n;
    while (b < z) {     /* first > hi */
        const size_t m = b + (z - b) / 2;
        if (r->list[m] <= hi) b = m + 1; else z = m;
    }
    return b - a;
}

/* ------------------------------------------------------------------------
 * Loading segments from the catalog
 * --------------------------------------------------------------------- */

static int row_matches(const seg_file *s, const cat_seg *r, tsr_error *err)
{
    const seg_info *in = &s->info;
    if (in->npostings != r->npostings || in->bytes != r->bytes ||
        in->checksum != r->checksum || in->ndocs != r->ndocs ||
        in->doc_lo != r->doc_lo || in->doc_hi != r->doc_hi)
        return tsr_seterr(err, TSR_ERR_CORRUPT,
                          "%s: header does not match its catalog row (postings %" PRIu64
                          "/%" PRIu64 ", bytes %" PRIu64 "/%" PRIu64 ", docs %u..%u/%u..%u,"
                          " checksum %016" PRIx64 "/%016" PRIx64 ")",
                          s->path, in->npostings, r->npostings, in->bytes, r->bytes,
                          in->doc_lo, in->doc_hi, r->doc_lo, r->doc_hi, in->checksum,
                          r->checksum);
    return TSR_OK;
}

/* What a refresh takes in (tsr_index_refresh_prepare, ix_stage): the
 * catalog's state and its segments, each either one the handle has mapped
 * already (reused) or one mapped and checked for this refresh (owned here
 * until installed).  `full`: a sharded index, refreshed whole in apply. */
struct tsr_refresh {
    int full;
    cat_meta m;
    ix_removed removed;
    cat_seg *rows;
    seg_file **segs;
    unsigned char *mine;      /* per segment: opened for this refresh */
    size_t n;
};

static void stage_free(tsr_refresh *st)
{
    if (!st)
        return;
    for (size_t i = 0; st->segs && i < st->n; i++)
        if (st->mine[i]) seg_close(st->segs[i]);
    free(st->segs);
    free(st->mine);
    free(st->rows);
    removed_free(&st->removed);
    free(st);
}

/* Whether `row` is the segment this handle wrote last, as it wrote it. */
static int is_fresh(const tsr_index *ix, const cat_seg *row)
{
    return ix->fresh.file[0] && !strcmp(ix->fresh.file, row->file) &&
           ix->fresh.checksum == row->checksum && ix->fresh.bytes == row->bytes;
}

/* Read the catalog and map its segments, reusing the ones the handle has
 * mapped: the new state in `*out`, the handle untouched (so this may run
 * beside readers of the handle, never beside another ix_stage/ix_install).
 * A reader may lose a race with a merge (it read the old list, the writer
 * then swapped it and unlinked an input): tried again when the catalog
 * moved on. */
static int ix_stage(tsr_index *ix, tsr_refresh **out, tsr_error *err)
{
    *out = NULL;
    for (int attempt = 0;; attempt++) {
        tsr_refresh *st = calloc(1, sizeof *st);
        if (!st)
            return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        uint32_t *rm = NULL;
        size_t nrm = 0;
        int rc = cat_snapshot(ix->cat, &st->m, &st->rows, &st->n, &rm, &nrm, err);
        if (rc == TSR_OK)
            rc = removed_make(&st->removed, rm, nrm, err);
        if (rc != TSR_OK) {
            free(st->rows);
            free(st);
            return rc;
        }
        const size_t n = st->n;
        cat_seg *rows = st->rows;
        st->segs = calloc(n ? n : 1, sizeof *st->segs);
        st->mine = calloc(n ? n : 1, 1);
        unsigned char *reused = calloc(ix->nsegs ? ix->nsegs : 1, 1);
        if (!st->segs || !st->mine || !reused)
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n && rc == TSR_OK; i++) {
            if (i > 0 && rows[i].doc_lo <= rows[i - 1].doc_hi)
                rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s/%s: documents %u..%u overlap %s",
                                ix->dir, rows[i].file, rows[i].doc_lo, rows[i].doc_hi,
                                rows[i - 1].file);
            for (size_t k = 0; k < ix->nsegs && !st->segs[i] && rc == TSR_OK; k++) {
                if (!reused[k] && !strcmp(ix->rows[k].file, rows[i].file) &&
                    ix->rows[k].checksum == rows[i].checksum) {
                    st->segs[i] = ix->segs[k];
                    reused[k] = 1;
                }
            }
            if (st->segs[i] || rc != TSR_OK)
                continue;
            char *path = ix_path_join(ix->dir, rows[i].file);
            if (!path) {
                rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
                break;
            }
            rc = seg_open(path, &st->segs[i], err);
            free(path);
            if (st->segs[i])
                st->mine[i] = 1;
            if (rc == TSR_OK)
                rc = row_matches(st->segs[i], &rows[i], err);
            /* a segment is checksummed once, when it is mapped: a flipped
             * bit is refused here rather than read as postings (XXH3 runs
             * near memory speed, so this costs little next to the I/O).
             * The one this handle has just written was hashed as it was
             * written: reading it back cost a commit of 100,000 documents
             * a tenth of a second (BENCHMARKS.md). */
            if (rc == TSR_OK && ix->verify_on_map && !is_fresh(ix, &rows[i]))
                rc = seg_verify(st->segs[i], SEG_CHECK_OPEN, err);
        }
        free(reused);
        if (rc == TSR_OK) {
            *out = st;
            return TSR_OK;
        }
        const uint64_t seen = st->m.generation;
        stage_free(st);
        uint64_t gen;
        tsr_error e2;
        if (rc != TSR_ERR_NOTFOUND || attempt + 1 >= IX_LOAD_TRIES ||
            cat_generation(ix->cat, &gen, &e2) != TSR_OK || gen == seen) {
            if (rc == TSR_ERR_NOTFOUND)
                tsr_preferr(err, TSR_ERR_CORRUPT, "the catalog lists a missing segment");
            return rc == TSR_ERR_NOTFOUND ? TSR_ERR_CORRUPT : rc;
        }
    }
}

/* Make the staged state the handle's: the segments it no longer lists are
 * closed.  No I/O; must not run beside readers of the handle.  Takes `st`. */
static void ix_install(tsr_index *ix, tsr_refresh *st)
{
    for (size_t k = 0; k < ix->nsegs; k++) {
        int kept = 0;
        for (size_t i = 0; i < st->n && !kept; i++)
            kept = !st->mine[i] && st->segs[i] == ix->segs[k];
        if (!kept)
            seg_close(ix->segs[k]);
    }
    free(ix->segs);
    free(ix->rows);
    ix->segs = st->segs;
    ix->rows = st->rows;
    ix->nsegs = st->n;
    ix->meta = st->m;
    removed_free(&ix->removed);
    ix->removed = st->removed;
    free(st->mine);
    free(st);
}

/* Read the catalog and map its segments, reusing the ones already mapped.
 * On failure the handle keeps its previous state. */
static int ix_load(tsr_index *ix, tsr_error *err)
{
    tsr_refresh *st;
    TSR_FORWARD(ix_stage(ix, &st, err));
    ix_install(ix, st);
    return TSR_OK;
}

/* The catalog's segment list, without mapping the files (repair): rows
 * in ix->rows, ix->segs all NULL. */
static int ix_load_rows(tsr_index *ix, tsr_error *err)
{
    cat_meta m;
    cat_seg *rows = NULL;
    size_t n = 0, nrm = 0;
    uint32_t *rm = NULL;
    TSR_FORWARD(cat_snapshot(ix->cat, &m, &rows, &n, &rm, &nrm, err));
    seg_file **segs = calloc(n ? n : 1, sizeof *segs);
    int rc = segs ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    if (rc == TSR_OK)
        rc = removed_make(&ix->removed, rm, nrm, err);
    else
        free(rm);
    if (rc != TSR_OK) {
        free(segs);
        free(rows);
        return rc;
    }
    ix->segs = segs;
    ix->rows = rows;
    ix->nsegs = n;
    ix->meta = m;
    return TSR_OK;
}

/* The number of segment file `name` (seg-NNNNNN.tsg), or 0 for any other
 * name. */
static uint64_t seg_number(const char *name)
{
    if (strncmp(name, "seg-", 4) != 0)
        return 0;
    uint64_t n = 0;
    int digits = 0;
    const char *p = name + 4;
    for (; *p >= '0' && *p <= '9' && digits < 19; p++, digits++)
        n = n * 10 + (uint64_t)(*p - '0');
    return digits && !strcmp(p, ".tsg") ? n : 0;
}

/* Is `name` a segment file (seg-*.tsg) that the catalog does not list? */
static int ix_unlisted(const tsr_index *ix, const char *name)
{
    if (strncmp(name, "seg-", 4) != 0 || !has_suffix(name, ".tsg"))
        return 0;
    for (size_t k = 0; k < ix->nsegs; k++)
        if (!strcmp(ix->rows[k].file, name))
            return 0;
    return 1;
}

/* Before unlisted segment files numbered from meta.next_seg up are
 * deleted: commit next_seg = `hi` + 1.  Such a file may belong to a
 * catalog transaction whose outcome is unknown (its WAL sync failed,
 * cat_commit): whole in the WAL, beyond what this connection sees when
 * another connection (a reader: `tessera serve`, a check) kept SQLite's
 * WAL index alive, so that no recovery ran at this open; the next opener
 * that does run it would apply the transaction and list the file.  This
 * commit's frames take that transaction's place in the WAL (or restart
 * it), so once it is durable the transaction can never be applied, and
 * the number is not used again.  A lower number is safe: a transaction
 * beyond this view starts from it and only lists numbers from next_seg up
 * (found by tests/cli/powerloss.sh's API cases: a server's second add, on
 * a full disk, deleted the file of the first, whose sync had failed, and
 * the index no longer opened; test_syncfail). */
static int ix_settle_numbers(tsr_index *ix, uint64_t hi, tsr_error *err)
{
    cat_meta m = ix->meta;
    m.next_seg = hi + 1;
    int rc = cat_begin(ix->cat, err);
    rc = ix_commit_meta(ix, rc, &m, err);
    if (rc != TSR_OK)
        return tsr_preferr(err, rc, "%s: before removing orphan segment files", ix->dir);
    ix->meta.next_seg = m.next_seg;
    return TSR_OK;
}

/* Delete segment files that the catalog does not list (left by a crash
 * between writing a segment and committing it, or between a merge's
 * commit and its unlinks, or by a commit whose outcome was unknown) and
 * temporary files.  Writers only. */
static int ix_clean_orphans(tsr_index *ix, tsr_error *err)
{
    DIR *d = opendir(ix->dir);
    if (!d)
        return tsr_seterr(err, TSR_ERR_IO, "%s: %s", ix->dir, strerror(errno));
    struct dirent *e;
    uint64_t hi = 0;
    while ((e = readdir(d)) != NULL) {
        const uint64_t num = seg_number(e->d_name);
        if (num >= ix->meta.next_seg && num > hi && ix_unlisted(ix, e->d_name))
            hi = num;
    }
    if (hi > 0) {
        const int st = ix_settle_numbers(ix, hi, err);
        if (st != TSR_OK) {
            closedir(d);
            return st;
        }
    }
    rewinddir(d);
    int removed = 0, rc = TSR_OK;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strncmp(name, "seg-", 4) != 0)
            continue;
        if (!has_suffix(name, IX_TMP_SUFFIX) && !ix_unlisted(ix, name))
            continue;
        char *path = ix_path_join(ix->dir, name);
        if (!path) {
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
            break;
        }
        if (unlink(path) != 0 && errno != ENOENT)
            rc = tsr_seterr(err, TSR_ERR_IO, "%s: cannot remove orphan: %s", path,
                            strerror(errno));
        else
            removed = 1;
        free(path);
        if (rc != TSR_OK)
            break;
    }
    closedir(d);
    if (rc == TSR_OK && removed && !ix->scratch)
        rc = ix_fsync_dir(ix->dir, err);
    return rc;
}

/* ------------------------------------------------------------------------
 * Open and close
 * --------------------------------------------------------------------- */

/* Take the writer lock of the index directory `dir` (its LOCK file):
 * *fd receives the descriptor that holds it (closing it releases it). */
int ix_flock(const char *dir, int *fd, tsr_error *err)
{
    char *path = ix_path_join(dir, IX_LOCK);
    TSR_CHECK_ALLOC(path, err);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = TSR_OK;
    if (*fd < 0)
        rc = tsr_seterr(err, errno == EACCES || errno == EROFS ? TSR_ERR_READONLY : TSR_ERR_IO,
                        "%s: cannot open lock file: %s", path, strerror(errno));
    else if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK
                 ? tsr_seterr(err, TSR_ERR_LOCKED, "%s: another writer holds the index", dir)
                 : tsr_seterr(err, TSR_ERR_IO, "%s: flock: %s", path, strerror(errno));
        close(*fd);
        *fd = -1;
    }
    free(path);
    return rc;
}

static int ix_dict_load(tsr_index *ix, int repair, tsr_error *err);

int tsr_index_open(const char *dir, unsigned flags, tsr_index **out, tsr_error *err)
{
    if (!out)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_open: out is NULL");
    *out = NULL;
    if (!dir || !*dir)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_open: no directory given");
    const int noverify = (flags & TSR_OPEN_NOVERIFY) != 0;
    const int plain = (flags & IX_OPEN_PLAIN) != 0;
    const int repair = (flags & IX_OPEN_REPAIR) != 0;
    const int scratch = (flags & TSR_OPEN_SCRATCH) != 0;
    flags &= ~(TSR_OPEN_NOVERIFY | IX_OPEN_PLAIN | IX_OPEN_REPAIR | TSR_OPEN_SCRATCH);
    if (flags != TSR_OPEN_READONLY && flags != TSR_OPEN_WRITE && flags != TSR_OPEN_CREATE)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_open: bad flags %u", flags);
    if (scratch && flags != TSR_OPEN_CREATE)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_open: TSR_OPEN_SCRATCH needs "
                          "TSR_OPEN_CREATE");
    const int create = flags == TSR_OPEN_CREATE;

    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT || !create)
            return tsr_seterr(err, errno == ENOENT ? TSR_ERR_NOTFOUND : TSR_ERR_IO,
                              "%s: no index here: %s", dir, strerror(errno));
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            return tsr_seterr(err, tsr_io_status(errno), "%s: cannot create: %s", dir, strerror(errno));
        /* its entry in the parent is made durable below, with the catalog */
    } else if (!S_ISDIR(st.st_mode)) {
        return tsr_seterr(err, TSR_ERR_NOTFOUND, "%s: not an index directory", dir);
    }

    tsr_index *ix = calloc(1, sizeof *ix);
    TSR_CHECK_ALLOC(ix, err);
    ix->lock_fd = -1;
    pthread_mutex_init(&ix->dmu, NULL);
    td_cache_init(&ix->dicts);
    ix->writable = flags != TSR_OPEN_READONLY;
    ix->scratch = scratch;
    ix->verify_on_map = !noverify;
    ix->dir = tsr_strndup(dir, strlen(dir));
    int rc = ix->dir ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    if (rc == TSR_OK && !plain && !repair && sh_detect(dir)) {
        /* a sharded index: shard.c opens its shards */
        rc = sh_open(ix, flags | (noverify ? TSR_OPEN_NOVERIFY : 0), err);
        if (rc != TSR_OK) {
            tsr_index_close(ix);
            return rc;
        }
        *out = ix;
        return TSR_OK;
    }
    if (rc == TSR_OK && ix->writable)
        rc = ix_flock(ix->dir, &ix->lock_fd, err);

    char *catpath = NULL;
    if (rc == TSR_OK) {
        catpath = ix_path_join(dir, IX_CATALOG);
        if (!catpath)
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    if (rc == TSR_OK && !create && stat(catpath, &st) != 0)
        rc = tsr_seterr(err, TSR_ERR_NOTFOUND, "%s: not a tessera index (no %s)", dir,
                        IX_CATALOG);
    if (rc == TSR_OK && scratch && stat(catpath, &st) == 0)
        rc = tsr_seterr(err, TSR_ERR_INVALID, "%s: an index is here already: "
                        "TSR_OPEN_SCRATCH makes a new one", dir);
    /* A new index: its folder's entry in the parent must survive a power
     * loss before any commit counts on it.  Whenever the catalog is not
     * there yet, not only after our own mkdir: a writer killed between its
     * mkdir and this fsync leaves the folder behind, the next writer finds
     * it and would otherwise never sync the entry, and a power loss then
     * drops the folder with every commit made in it (found by
     * tests/cli/powerloss.sh, "kill create 2"). */
    if (rc == TSR_OK && create && !scratch && stat(catpath, &st) != 0)
        rc = ix_fsync_parent(dir, err);
    if (rc == TSR_OK) {
        tsr_params def;
        tsr_params_default(&def);
        cat_meta init = {0};
        init.format = CAT_FORMAT_VERSION;
        init.ngram = def.ngram;
        init.window = def.window;
        init.next_seg = 1;
        /* a writer also finishes a creation that a killed writer began:
         * a catalog without a table yet (nothing was ever committed) */
        rc = cat_open(catpath, scratch ? CAT_SCRATCH : ix->writable,
                      ix->writable ? &init : NULL, &ix->cat, err);
    }
    free(catpath);
    if (rc == TSR_OK)
        rc = repair ? ix_load_rows(ix, err) : ix_load(ix, err);
    if (rc == TSR_OK) {
        tsr_params_default(&ix->fp);
        ix->fp.ngram = ix->meta.ngram;
        ix->fp.window = ix->meta.window;
        if (ix->fp.ngram < 1 || ix->fp.ngram > 16 || ix->fp.window < 1)
            rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: bad fingerprint parameters ngram=%d"
                            " window=%d in the catalog", dir, ix->fp.ngram, ix->fp.window);
    }
    if (rc == TSR_OK && ix->writable) {
        int64_t maxdoc = -1;
        rc = ix_clean_orphans(ix, err);
        if (rc == TSR_OK)
            rc = cat_max_docno(ix->cat, &maxdoc, err);
        /* never a number used before: the last document may have been
         * removed, but its segment's range still covers it */
        ix->next_docno = maxdoc + 1;
        if (ix->nsegs && (int64_t)ix->rows[ix->nsegs - 1].doc_hi >= ix->next_docno)
            ix->next_docno = (int64_t)ix->rows[ix->nsegs - 1].doc_hi + 1;
        if (rc == TSR_OK && !(ix->zc = ZSTD_createCCtx()))
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        if (rc == TSR_OK)
            rc = ix_dict_load(ix, repair, err);
    }
    if (rc != TSR_OK) {
        tsr_index_close(ix);
        return rc;
    }
    *out = ix;
    return TSR_OK;
}

static void batch_clear(tsr_index *ix)
{
    tsr_arena_reset(&ix->docmem);
    ix->docs.n = 0;
    seg_batch_clear(&ix->post);
    if (ix->idcap)
        memset(ix->idtab, 0, ix->idcap * sizeof *ix->idtab);
}

static void ix_pool_free(struct ix_pool *pool);

void tsr_index_close(tsr_index *ix)
{
    if (!ix)
        return;
    batch_clear(ix);
    tsr_vec_free(&ix->docs);
    tsr_arena_free(&ix->docmem);
    tsr_arena_free(&ix->prepmem);
    seg_batch_free(&ix->post);
    free(ix->idtab);
    ix_pool_free(ix->pool);
    free(ix->zbuf);
    ZSTD_freeCCtx(ix->zc);
    td_sample_free(&ix->sample);
    ZSTD_freeCDict(ix->cdict);
    free(ix->dict);
    for (int i = 0; i < ix->ndctx; i++)
        ZSTD_freeDCtx(ix->dctx[i]);
    td_cache_free(&ix->dicts);
    pthread_mutex_destroy(&ix->dmu);
    dc_free(ix->cache);
    if (ix->sh)
        sh_close(ix);   /* the segments are the shards' */
    else
        for (size_t i = 0; i < ix->nsegs; i++)
            seg_close(ix->segs[i]);
    tsr_index_close(ix->peer_owned);
    free(ix->segs);
    free(ix->rows);
    removed_free(&ix->removed);
    cat_close(ix->cat);
    if (ix->lock_fd >= 0)
        close(ix->lock_fd); /* releases the flock */
    free(ix->dir);
    free(ix);
}

/* ------------------------------------------------------------------------
 * The batch
 * --------------------------------------------------------------------- */

static ssize_t idtab_find(const tsr_index *ix, const char *id, uint64_t h)
{
    if (!ix->idcap)
        return -1;
    for (size_t i = (size_t)h & (ix->idcap - 1);; i = (i + 1) & (ix->idcap - 1)) {
        const uint32_t v = ix->idtab[i];
        if (!v)
            return -1;
        const ix_doc *d = &ix->docs.a[v - 1];
        if (d->idhash == h && !strcmp(d->id, id))
            return (ssize_t)(v - 1);
    }
}

static void idtab_put(tsr_index *ix, size_t docidx)
{
    size_t i = (size_t)ix->docs.a[docidx].idhash & (ix->idcap - 1);
    while (ix->idtab[i])
        i = (i + 1) & (ix->idcap - 1);
    ix->idtab[i] = (uint32_t)(docidx + 1);
}

/* Room for one more id at a load of at most 1/2. */
static int idtab_reserve(tsr_index *ix, tsr_error *err)
{
    if (2 * (ix->docs.n + 1) <= ix->idcap)
        return TSR_OK;
    if (ix->docs.n >= UINT32_MAX - 1)
        return tsr_seterr(err, TSR_ERR_TOOBIG, "too many documents in one batch");
    const size_t cap = ix->idcap ? 2 * ix->idcap : 1024;
    uint32_t *t = calloc(cap, sizeof *t);
    TSR_CHECK_ALLOC(t, err);
    free(ix->idtab);
    ix->idtab = t;
    ix->idcap = cap;
    for (size_t i = 0; i < ix->docs.n; i++)
        idtab_put(ix, i);
    return TSR_OK;
}

static int check_field(const char *s, const char *what, const char *id, tsr_error *err)
{
    size_t bad = 0;
    if (s && tsr_utf8_check(s, strlen(s), &bad) != TSR_OK)
        return tsr_seterr(err, TSR_ERR_UTF8, "document '%s': %s is not valid UTF-8 (byte %zu)",
                          id, what, bad);
    return TSR_OK;
}

/* A document made ready to add: the work that needs no index state
 * (validation, words, fingerprints, compression), so that it can run on
 * many threads; ix_append then adds it in order. */
typedef struct ix_prep {
    int rc;                 /* TSR_OK, or why the document is refused */
    tsr_error err;
    uint64_t *fps;          /* fingerprints (tsr_free, unless in_arena) */
    size_t nfp;
    char *block;            /* the strings, then the compressed text (free,
                             * unless in_arena) */
    int in_arena;           /* fps and block are in the preparing thread's
                             * arena (ix_scratch.mem): nothing to free */
    size_t blen;            /* bytes of block */
    char *ptrs[5];          /* id, title, date, series, meta inside block */
    void *z;
    size_t zlen, len;
    uint64_t idhash;
} ix_prep;

/* The compression level of the texts without a dictionary: a scratch
 * index's (TSR_OPEN_SCRATCH) are stored as they are, in zstd's raw blocks
 * (its fastest level: 3.8 GB/s on 1 KB texts here, where level 1 with
 * the dictionary runs at 180 MB/s; ratio 0.99 instead of 2.1), since it
 * is read back once and thrown away; any build reads them. */
static int ix_zlevel(const tsr_index *ix)
{
    return ix->scratch ? ZSTD_minCLevel() : IX_ZSTD_LEVEL;
}

/* Scratch of one preparing thread.  `mem`, when not NULL, is the thread's
 * arena for what it prepares in a batch (the blocks and fingerprints),
 * emptied when the next batch starts: each preparation was two mallocs on
 * a helper and two frees on the appending thread, whose frees into the
 * helper's malloc arena (locked, beside the helper's mallocs) took 13% of
 * the appending thread's time at 10,000 documents (BENCHMARKS.md,
 * "Discovery at small sizes: fewer fresh pages and syncs"). */
typedef struct ix_scratch {
    ZSTD_CCtx *zc;
    void *zbuf;
    size_t zcap;
    tsr_arena *mem;
} ix_scratch;

static int ix_prepare(const tsr_params *fp, const ZSTD_CDict *cdict, int level, ix_scratch *sc,
                      const tsr_docinfo *doc, ix_prep *out, tsr_error *err)
{
    memset(out, 0, sizeof *out);
    if (!doc->id || !*doc->id)
        return tsr_seterr(err, TSR_ERR_INVALID, "document without an id");
    if (!doc->text && doc->text_len)
        return tsr_seterr(err, TSR_ERR_INVALID, "document '%s': no text", doc->id);
    const char *text = doc->text ? doc->text : "";
    const size_t len = doc->text_len;

    size_t bad = 0;
    int rc = tsr_utf8_check(doc->id, strlen(doc->id), &bad);
    if (rc != TSR_OK)
        return tsr_seterr(err, TSR_ERR_UTF8, "document id is not valid UTF-8 (byte %zu)", bad);
    TSR_FORWARD(check_field(doc->title, "title", doc->id, err));
    TSR_FORWARD(check_field(doc->date, "date", doc->id, err));
    TSR_FORWARD(check_field(doc->series, "series", doc->id, err));
    TSR_FORWARD(check_field(doc->meta_json, "meta", doc->id, err));
    rc = tsr_utf8_check(text, len, &bad);
    if (rc == TSR_ERR_NUL)
        return tsr_seterr(err, rc, "document '%s': NUL byte at byte %zu", doc->id, bad);
    if (rc != TSR_OK)
        return tsr_seterr(err, TSR_ERR_UTF8, "document '%s': invalid UTF-8 at byte %zu",
                          doc->id, bad);

    /* Fingerprints. */
    tsr_word *words = NULL;
    size_t nwords = 0;
    rc = tsr_tokenize(text, len, &words, &nwords, err);
    if (rc == TSR_OK)
        rc = tsr_fingerprints(words, nwords, fp, &out->fps, NULL, &out->nfp, err);
    tsr_free(words);
    if (rc != TSR_OK) {
        tsr_free(out->fps);
        out->fps = NULL;
        return tsr_preferr(err, rc, "document '%s'", doc->id);
    }

    /* The compressed text. */
    const size_t bound = ZSTD_compressBound(len);
    if (bound > sc->zcap) {
        void *nb = realloc(sc->zbuf, bound);
        if (!nb) {
            tsr_free(out->fps);
            out->fps = NULL;
            return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory compressing '%s'", doc->id);
        }
        sc->zbuf = nb;
        sc->zcap = bound;
    }
    const size_t zlen = cdict ? ZSTD_compress_usingCDict(sc->zc, sc->zbuf, sc->zcap, text, len,
                                                         cdict)
                              : ZSTD_compressCCtx(sc->zc, sc->zbuf, sc->zcap, text, len,
                                                  level);
    if (ZSTD_isError(zlen)) {
        tsr_free(out->fps);
        out->fps = NULL;
        return tsr_seterr(err, TSR_ERR_NOMEM, "document '%s': zstd: %s", doc->id,
                          ZSTD_getErrorName(zlen));
    }

    /* One block for the strings and the compressed text. */
    const char *strs[5] = { doc->id, doc->title, doc->date, doc->series, doc->meta_json };
    size_t total = zlen, sl[5];
    for (int k = 0; k < 5; k++) {
        sl[k] = strs[k] ? strlen(strs[k]) + 1 : 0;
        total += sl[k];
    }
    out->blen = total ? total : 1;
    out->block = sc->mem ? tsr_arena_alloc(sc->mem, out->blen) : malloc(out->blen);
    if (!out->block) {
        tsr_free(out->fps);
        out->fps = NULL;
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory adding '%s'", doc->id);
    }
    char *p = out->block;
    for (int k = 0; k < 5; k++) {
        out->ptrs[k] = strs[k] ? memcpy(p, strs[k], sl[k]) : NULL;
        p += sl[k];
    }
    memcpy(p, sc->zbuf, zlen);
    out->z = p;
    out->zlen = zlen;
    out->len = len;
    out->idhash = XXH3_64bits(doc->id, strlen(doc->id));
    if (sc->mem) {   /* the fingerprints too, freed here, by this thread */
        uint64_t *f = tsr_arena_alloc(sc->mem, (out->nfp ? out->nfp : 1) * sizeof *f);
        if (!f) {
            tsr_free(out->fps);
            out->fps = NULL;
            out->block = NULL;   /* the arena's */
            return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory adding '%s'", doc->id);
        }
        if (out->nfp)
            memcpy(f, out->fps, out->nfp * sizeof *f);
        tsr_free(out->fps);
        out->fps = f;
        out->in_arena = 1;
    }
    return TSR_OK;
}

static void ix_prep_free(ix_prep *p)
{
    if (!p->in_arena) {
        tsr_free(p->fps);
        free(p->block);
    }
    p->fps = NULL;
    p->block = NULL;
}

/* Add a prepared document to the batch: the duplicate rule, a number, the
 * postings.  Consumes the preparation (frees it on failure). */
static int ix_append(tsr_index *ix, ix_prep *pr, tsr_error *err)
{
    const char *id = pr->ptrs[0];
    int rc = TSR_OK;
    if (ix->next_docno > (int64_t)UINT32_MAX) {
        rc = tsr_seterr(err, TSR_ERR_TOOBIG, "%s: the index is full (2^32 documents)", ix->dir);
        goto refuse;
    }
    /* Duplicates: first in this batch, then in the catalog. */
    if (idtab_find(ix, id, pr->idhash) >= 0) {
        rc = tsr_seterr(err, TSR_ERR_DUPLICATE,
                        "document id '%s' appears twice in this batch; kept the first", id);
        goto refuse;
    }
    int found = 0;
    if ((rc = ix_has_id(ix, id, &found, err)) != TSR_OK)
        goto refuse;
    if (found) {
        rc = tsr_seterr(err, TSR_ERR_DUPLICATE,
                        "document id '%s' is already indexed; kept the first", id);
        goto refuse;
    }
    /* the block moves into the batch's arena (a few bytes of it wasted
     * when a later step fails) */
    char *blk = NULL;
    if (tsr_vec_reserve(&ix->docs, 1) != 0 || idtab_reserve(ix, err) != TSR_OK ||
        !(blk = tsr_arena_alloc(&ix->docmem, pr->blen)) ||
        seg_batch_add(&ix->post, pr->fps, pr->nfp, (uint32_t)ix->next_docno, err) != TSR_OK) {
        rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory adding '%s'", id);
        goto refuse;
    }
    memcpy(blk, pr->block, pr->blen);
#define IX_MOVED(ptr) ((ptr) ? blk + ((char *)(ptr) - pr->block) : NULL)
    ix_doc d = { .docno = ix->next_docno, .id = IX_MOVED(pr->ptrs[0]),
                 .title = IX_MOVED(pr->ptrs[1]), .date = IX_MOVED(pr->ptrs[2]),
                 .series = IX_MOVED(pr->ptrs[3]), .meta = IX_MOVED(pr->ptrs[4]),
                 .z = IX_MOVED(pr->z), .zlen = pr->zlen, .text_len = pr->len,
                 .idhash = pr->idhash };
#undef IX_MOVED
    ix_prep_free(pr);
    ix->docs.a[ix->docs.n++] = d;
    idtab_put(ix, ix->docs.n - 1);
    ix->next_docno++;
    return TSR_OK;
refuse:
    ix_prep_free(pr);
    return rc;
}

/* Whether the id is taken: by a document of the index's own catalog (a
 * sharded index has none), or of one of its peers (index_impl.h: a sharded
 * index's shards, a shard's earlier shards or its index). */
int ix_has_id(tsr_index *ix, const char *id, int *found, tsr_error *err)
{
    *found = 0;
    if (!ix->sh && ix->meta.docs > 0)
        TSR_FORWARD(cat_has_id(ix->cat, id, found, err));
    for (size_t k = 0; k < ix->npeers && !*found; k++)
        TSR_FORWARD(ix_has_id(ix->peers[k], id, found, err));
    return TSR_OK;
}

static int ix_writable(tsr_index *ix, tsr_error *err)
{
    if (!ix)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_add: NULL argument");
    if (!ix->writable)
        return tsr_seterr(err, TSR_ERR_READONLY, "%s: index is open read-only", ix->dir);
    if (ix->unsettled)
        return tsr_seterr(err, TSR_ERR_IO, "%s: a commit's outcome is unknown (its last sync"
                          " failed): close the index and open it again", ix->dir);
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * The dictionary of the texts (textdict.c)
 * --------------------------------------------------------------------- */

/* Compress the texts prepared from now on with dictionary `id` (`d`, n
 * bytes; copied), and read the frames that name it with it too. */
static int ix_dict_use(tsr_index *ix, const void *d, size_t n, uint32_t id, tsr_error *err)
{
    ZSTD_CDict *cd = ZSTD_createCDict(d, n, IX_ZSTD_LEVEL);
    if (!cd)
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for a dictionary");
    const int rc = td_cache_add(&ix->dicts, id, d, n, err);
    if (rc != TSR_OK) {
        ZSTD_freeCDict(cd);
        return rc;
    }
    ix->cdict = cd;
    ix->dict_id = id;
    return TSR_OK;
}

/* A writer's dictionary at its open: the catalog's, or none yet and a
 * sample to train one on (none at all for a repair). */
static int ix_dict_load(tsr_index *ix, int repair, tsr_error *err)
{
    /* a scratch index stores its texts uncompressed (ix_zlevel): no
     * dictionary to train */
    ix->dict_state = repair || ix->scratch ? IX_DICT_NONE : IX_DICT_SAMPLING;
    if (repair)
        return TSR_OK;
    void *d = NULL;
    size_t n = 0;
    uint32_t id = 0;
    int rc = cat_get_dict(ix->cat, NULL, 0, &d, &n, &id, err);
    if (rc == TSR_ERR_NOTFOUND)
        return TSR_OK;
    if (rc == TSR_OK && !td_valid(d, n, id))
        rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s/%s: dictionary %u is not a zstd dictionary"
                        " of that id", ix->dir, IX_CATALOG, id);
    if (rc == TSR_OK)
        rc = ix_dict_use(ix, d, n, id, err);
    free(d);
    if (rc == TSR_OK)
        ix->dict_state = IX_DICT_STORED;
    return rc;
}

/* Train the dictionary once the sample is full; the texts prepared from
 * then on are compressed with it, and the next commit stores it.  No
 * dictionary (the sample gave none, or no memory for one) is no error:
 * the texts stay plain frames. */
static void ix_dict_ready(tsr_index *ix)
{
    if (ix->dict_state != IX_DICT_SAMPLING || !td_sample_full(&ix->sample))
        return;
    void *d = NULL;
    size_t n = 0;
    uint32_t id = 0;
    const int rc = td_train(&ix->sample, &d, &n, &id);
    td_sample_free(&ix->sample);
    ix->dict_state = IX_DICT_NONE;
    if (rc != TSR_OK || ix_dict_use(ix, d, n, id, NULL) != TSR_OK) {
        free(d);
        return;
    }
    ix->dict = d;       /* kept until the commit that stores it */
    ix->dict_len = n;
    ix->dict_state = IX_DICT_NEW;
}

/* Texts added while sampling go into the sample. */
static void ix_dict_sample(tsr_index *ix, const tsr_docinfo *docs, size_t n)
{
    for (size_t i = 0; i < n && ix->dict_state == IX_DICT_SAMPLING; i++)
        if (docs[i].text)
            td_sample_add(&ix->sample, docs[i].text, docs[i].text_len);
}

int tsr_index_add(tsr_index *ix, const tsr_docinfo *doc, tsr_error *err)
{
    TSR_FORWARD(ix_writable(ix, err));
    if (ix->sh)
        return tsr_index_add(sh_writer(ix), doc, err);
    if (!doc)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_add: NULL argument");
    ix_scratch sc = { ix->zc, ix->zbuf, ix->zcap, NULL };
    ix_prep pr;
    ix_dict_ready(ix);
    int rc = ix_prepare(&ix->fp, ix->cdict, ix_zlevel(ix), &sc, doc, &pr, err);
    ix->zbuf = sc.zbuf;
    ix->zcap = sc.zcap;
    if (rc != TSR_OK)
        return rc;
    rc = ix_append(ix, &pr, err);
    if (rc == TSR_OK)
        ix_dict_sample(ix, doc, 1);
    return rc;
}

/* The work of one tsr_index_add_batch, shared by its threads.  Whichever
 * thread is free takes the next document (so that none waits for another's
 * share) and marks it ready when prepared; the calling thread appends the
 * ready documents in input order between preparations of its own, so that
 * appending, which only it may do, overlaps the others' preparing.  The
 * result is the same whatever the threads: documents are appended in input
 * order.  (Before: a fixed share per thread, then every append after every
 * thread had finished; two threads prepared at 65-80% of their time, waiting
 * on each other, BENCHMARKS.md.) */
typedef struct {
    const tsr_params *fp;
    const ZSTD_CDict *cdict;  /* the texts' dictionary, or NULL */
    int level;                /* the compression level without one */
    const tsr_docinfo *docs;
    ix_prep *prep;
    atomic_uchar *ready;     /* prep[i] is complete (release / acquire) */
    size_t n;
    atomic_size_t next;      /* the next document no thread has taken */
    atomic_int waiting;      /* the calling thread sleeps on the pool's `ready` */
} ix_work;

/* The helpers of tsr_index_add_batch live as long as the index, started
 * by its first batch that asks for them (a CLI batch is 512 documents: a
 * start per batch, each helper with a new zstd context whose tables were
 * faulted in again, cost more than the helpers did).  Between batches they
 * sleep on `go`; a batch hands them its ix_work with a new generation,
 * and `busy` counts those still in it, so that the work outlives none of
 * them.  The calling thread, when the next document to append is still
 * being prepared by a helper, sleeps on `ready`; a helper that marks a
 * document ready wakes it (a yield instead gave the core away to other
 * processes for 237 ms of a 2.3 s index, BENCHMARKS.md).  A process that
 * forked after the helpers started (they are not in the child) starts
 * its own. */
typedef struct ix_helper {
    struct ix_pool *pool;
    int id;                  /* 1 .. nthreads - 1 */
    ix_scratch sc;           /* its own zstd context and buffer */
    tsr_arena mem;           /* and arena (sc.mem) */
    pthread_t th;
} ix_helper;

typedef struct ix_pool {
    pthread_mutex_t mu;
    pthread_cond_t go, idle, ready;
    pid_t pid;               /* the process that started the helpers */
    unsigned gen;            /* bumped for every batch */
    int want;                /* helpers 1 .. want take part in this batch */
    int busy;                /* of those, still in it */
    int quit;
    ix_work *work;
    int nhelpers;
    ix_helper h[];
} ix_pool;

/* Prepare the next document no thread has taken; 0 when none is left. */
static int ix_prepare_next(ix_work *w, ix_scratch *sc, ix_pool *pool)
{
    const size_t i = atomic_fetch_add_explicit(&w->next, 1, memory_order_relaxed);
    if (i >= w->n)
        return 0;
    ix_prep *p = &w->prep[i];
    tsr_error e = { 0, "" };
    const int rc = ix_prepare(w->fp, w->cdict, w->level, sc, &w->docs[i], p, &e);
    p->rc = rc;
    if (rc != TSR_OK) p->err = e;
    atomic_store(&w->ready[i], 1);   /* seq_cst: against `waiting`, see ix_wait_ready */
    if (pool && atomic_load(&w->waiting)) {
        pthread_mutex_lock(&pool->mu);
        pthread_cond_signal(&pool->ready);
        pthread_mutex_unlock(&pool->mu);
    }
    return 1;
}

static void *ix_helper_main(void *arg)
{
    ix_helper *h = arg;
    ix_pool *pool = h->pool;
    unsigned seen = 0;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (!pool->quit && (pool->gen == seen || h->id > pool->want)) {
            seen = pool->gen;      /* a batch without this helper */
            pthread_cond_wait(&pool->go, &pool->mu);
        }
        if (pool->quit)
            break;
        seen = pool->gen;
        ix_work *w = pool->work;
        pthread_mutex_unlock(&pool->mu);
        while (ix_prepare_next(w, &h->sc, pool)) {}
        pthread_mutex_lock(&pool->mu);
        if (--pool->busy == 0)
            pthread_cond_signal(&pool->idle);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

/* Stop and free the helpers (an index's close, or a pool of the parent
 * process, whose threads this process does not have: then only freed). */
static void ix_pool_free(ix_pool *pool)
{
    if (!pool)
        return;
    const int ours = pool->pid == getpid();
    if (ours) {
        pthread_mutex_lock(&pool->mu);
        pool->quit = 1;
        pthread_cond_broadcast(&pool->go);
        pthread_mutex_unlock(&pool->mu);
    }
    for (int t = 0; t < pool->nhelpers; t++) {
        if (ours)
            pthread_join(pool->h[t].th, NULL);
        ZSTD_freeCCtx(pool->h[t].sc.zc);
        free(pool->h[t].sc.zbuf);
        tsr_arena_free(&pool->h[t].mem);
    }
    if (ours) {
        pthread_cond_destroy(&pool->go);
        pthread_cond_destroy(&pool->idle);
        pthread_cond_destroy(&pool->ready);
        pthread_mutex_destroy(&pool->mu);
    }
    free(pool);
}

/* At least `n` helpers in ix->pool (fewer when a thread or a context cannot
 * be had: the batch runs with those there are). */
static ix_pool *ix_pool_get(tsr_index *ix, int n)
{
    ix_pool *pool = ix->pool;
    if (pool && pool->pid == getpid() && pool->nhelpers >= n)
        return pool;
    ix_pool_free(pool);   /* too few helpers, or the parent process's */
    ix->pool = NULL;
    pool = calloc(1, sizeof *pool + (size_t)n * sizeof pool->h[0]);
    if (!pool)
        return NULL;
    if (pthread_mutex_init(&pool->mu, NULL) != 0) {
        free(pool);
        return NULL;
    }
    pthread_cond_init(&pool->go, NULL);
    pthread_cond_init(&pool->idle, NULL);
    pthread_cond_init(&pool->ready, NULL);
    pool->pid = getpid();
    for (int t = 0; t < n; t++) {
        ix_helper *h = &pool->h[t];
        h->pool = pool;
        h->id = t + 1;
        h->sc.mem = &h->mem;
        if (!(h->sc.zc = ZSTD_createCCtx()))
            break;
        if (pthread_create(&h->th, NULL, ix_helper_main, h) != 0) {
            ZSTD_freeCCtx(h->sc.zc);
            h->sc.zc = NULL;
            break;
        }
        pool->nhelpers = t + 1;
    }
    ix->pool = pool;
    return pool;
}

/* The calling thread: wait until document i is ready (a helper has it). */
static void ix_wait_ready(ix_pool *pool, ix_work *w, size_t i)
{
    pthread_mutex_lock(&pool->mu);
    atomic_store(&w->waiting, 1);
    while (!atomic_load(&w->ready[i]))
        pthread_cond_wait(&pool->ready, &pool->mu);
    atomic_store(&w->waiting, 0);
    pthread_mutex_unlock(&pool->mu);
}

/* Append prepared document i (or report why it was refused) into status
 * and errs; the first out-of-memory ends the batch (*rc). */
static void ix_append_one(tsr_index *ix, ix_prep *pr, size_t i, int *rc, int *status,
                          tsr_error *errs, tsr_error *err)
{
    tsr_error e = { 0, "" };
    int st = *rc != TSR_OK ? *rc : pr->rc;
    if (st == TSR_OK)
        st = ix_append(ix, pr, &e);
    else {
        e = pr->err;
        ix_prep_free(pr);
    }
    if (status) status[i] = st;
    if (errs) errs[i] = e;
    if (st == TSR_ERR_NOMEM && *rc == TSR_OK)
        *rc = tsr_seterr(err, TSR_ERR_NOMEM, "%s", e.message);
}

int tsr_index_add_batch(tsr_index *ix, const tsr_docinfo *docs, size_t n, int threads,
                        int *status, tsr_error *errs, tsr_error *err)
{
    TSR_FORWARD(ix_writable(ix, err));
    if (ix->sh)
        return tsr_index_add_batch(sh_writer(ix), docs, n, threads, status, errs, err);
    if (!docs && n)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_add_batch: NULL documents");
    if (n == 0)
        return TSR_OK;
    if (threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        threads = c < 1 ? 1 : c > 64 ? 64 : (int)c;
    }
    if ((size_t)threads > n) threads = (int)n;
    ix_prep *prep = calloc(n, sizeof *prep);
    atomic_uchar *ready = malloc(n * sizeof *ready);
    if (!prep || !ready) {
        free(prep); free(ready);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for a batch of %zu documents", n);
    }
    ix_dict_ready(ix);
    ix_work work = { &ix->fp, ix->cdict, ix_zlevel(ix), docs, prep, ready, n, 0, 0 };
    for (size_t i = 0; i < n; i++)
        atomic_init(&ready[i], 0);
    atomic_init(&work.next, 0);
    atomic_init(&work.waiting, 0);
    /* the calling thread with the index's scratch, the helpers with theirs;
     * without helpers (none asked, or none could be had) it does it all */
    ix_pool *pool = threads > 1 ? ix_pool_get(ix, threads - 1) : NULL;
    int helpers = 0;
    /* the last batch's preparations are all appended: their arenas empty */
    tsr_arena_reset(&ix->prepmem);
    for (int t = 0; pool && t < pool->nhelpers; t++)
        tsr_arena_reset(&pool->h[t].mem);
    if (pool && pool->nhelpers > 0) {
        helpers = pool->nhelpers < threads - 1 ? pool->nhelpers : threads - 1;
        pthread_mutex_lock(&pool->mu);
        pool->work = &work;
        pool->want = helpers;
        pool->busy = helpers;
        pool->gen++;
        pthread_cond_broadcast(&pool->go);
        pthread_mutex_unlock(&pool->mu);
    }
    ix_scratch sc = { ix->zc, ix->zbuf, ix->zcap, &ix->prepmem };
    int rc = TSR_OK;
    size_t done = 0;
    while (done < n) {
        while (done < n && atomic_load_explicit(&ready[done], memory_order_acquire)) {
            ix_append_one(ix, &prep[done], done, &rc, status, errs, err);
            done++;
        }
        if (done < n && !ix_prepare_next(&work, &sc, NULL) &&
            !atomic_load_explicit(&ready[done], memory_order_acquire))
            ix_wait_ready(pool, &work, done);   /* every document is taken: a helper's */
    }
    if (helpers) {
        pthread_mutex_lock(&pool->mu);
        while (pool->busy > 0)
            pthread_cond_wait(&pool->idle, &pool->mu);
        pool->work = NULL;
        pthread_mutex_unlock(&pool->mu);
    }
    ix->zbuf = sc.zbuf;
    ix->zcap = sc.zcap;
    free(prep);
    free(ready);
    if (rc == TSR_OK)
        ix_dict_sample(ix, docs, n);
    return rc;
}

/* Whether `dir` is a shard of a sharded index: "." of its own shard
 * list, or a shard-NNN subdirectory of a directory that holds one. */
static int ix_is_shard(const char *dir)
{
    if (sh_detect(dir))
        return 1;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    size_t b = n;
    while (b > 0 && dir[b - 1] != '/') b--;
    if (strncmp(dir + b, "shard-", 6) != 0)
        return 0;
    char *parent = b ? tsr_strndup(dir, b) : tsr_strndup(".", 1);
    const int yes = parent && sh_detect(parent);
    free(parent);
    return yes;
}

int tsr_index_remove(tsr_index *ix, const char *const *ids, size_t n, int *found,
                     size_t *nremoved, tsr_error *err)
{
    if (nremoved)
        *nremoved = 0;
    if (found && n)
        memset(found, 0, n * sizeof *found);
    if (!ix || (!ids && n))
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_remove: NULL argument");
    TSR_FORWARD(ix_writable(ix, err));
    if (ix->sh || ix_is_shard(ix->dir))
        return tsr_seterr(err, TSR_ERR_INVALID, "%s: a sharded index (or a shard of one): "
                          "documents cannot be removed from it", ix->dir);
    for (size_t i = 0; i < n; i++) {
        if (!ids[i] || !*ids[i])
            return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_remove: id %zu is empty", i);
        if (idtab_find(ix, ids[i], XXH3_64bits(ids[i], strlen(ids[i]))) >= 0)
            return tsr_seterr(err, TSR_ERR_INVALID, "document '%s' is in the uncommitted "
                              "batch: commit it first (nothing was removed)", ids[i]);
    }
    if (n == 0)
        return TSR_OK;
    cat_meta m = ix->meta;
    m.generation++;
    size_t count = 0;
    int rc = cat_begin(ix->cat, err);
    if (rc == TSR_OK)
        rc = cat_enable_removed(ix->cat, err);
    for (size_t i = 0; i < n && rc == TSR_OK; i++) {
        int hit = 0;
        int64_t docno = 0;
        uint64_t tl = 0, sl = 0;
        rc = cat_remove_doc(ix->cat, ids[i], &hit, &docno, &tl, &sl, err);
        if (rc != TSR_OK || !hit)
            continue;
        if (m.docs == 0 || m.text_bytes < tl || m.stored_bytes < sl)
            rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: meta counts fewer documents or bytes "
                            "than the catalog holds", ix->dir);
        m.docs--;
        m.text_bytes -= tl;
        m.stored_bytes -= sl;
        count++;
        if (found)
            found[i] = 1;
    }
    if (rc == TSR_OK && count == 0) {   /* nothing to remove: leave the catalog be */
        cat_rollback(ix->cat);
        return TSR_OK;
    }
    rc = ix_commit_meta(ix, rc, &m, err);
    if (rc != TSR_OK) {
        if (found && n)
            memset(found, 0, n * sizeof *found);
        return tsr_preferr(err, rc, "%s: removal failed", ix->dir);
    }
    if (nremoved)
        *nremoved = count;
    /* the removed documents' cached words are of no use any more */
    if (ix->cache)
        dc_clear(ix->cache);
    rc = ix_load(ix, err);
    if (rc != TSR_OK)
        return tsr_preferr(err, rc, "%s: the removal is durable, but then", ix->dir);
    return TSR_OK;
}

size_t tsr_index_pending(const tsr_index *ix)
{
    if (ix && ix->sh)
        return tsr_index_pending(sh_writer((tsr_index *)ix));
    return ix ? ix->docs.n : 0;
}

/* ------------------------------------------------------------------------
 * Commit and merge
 * --------------------------------------------------------------------- */

/* A catalog transaction that listed segment meta.next_seg failed.  If it
 * failed in its final sync, its outcome is unknown (cat_commit): SQLite
 * rolled it back here, but the next opener may find it in the WAL and
 * apply it, listing that file with that checksum.  So the number is never
 * written again by this handle: a retry, the next batch or merge takes
 * the next one, and the file stays as it is (an orphan that the next
 * writer deletes, unless the transaction comes back).  Reusing it let a
 * later segment overwrite the file, and the transaction, applied at the
 * next open, then listed a file with another checksum: an index that no
 * longer opens (test_syncfail).  Numbers may have gaps. */
static void ix_skip_number(tsr_index *ix)
{
    ix->meta.next_seg++;
}

/* Write a segment with `write` (seg_batch_write or seg_merge behind `ctx`) under
 * a temporary name, fsync, rename into place, fsync the directory. */
typedef int (*ix_write_fn)(void *ctx, const char *path, seg_info *info, tsr_error *err);

static int ix_place_segment(tsr_index *ix, ix_write_fn write, void *ctx, cat_seg *row,
                            tsr_error *err)
{
    char name[64], tmpname[80];
    seg_name(ix->meta.next_seg, name, sizeof name);
    snprintf(tmpname, sizeof tmpname, "%s%s", name, IX_TMP_SUFFIX);
    char *tmp = ix_path_join(ix->dir, tmpname), *final = ix_path_join(ix->dir, name);
    int rc = tmp && final ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    seg_info info;
    if (rc == TSR_OK)
        rc = write(ctx, tmp, &info, err);
    if (rc == TSR_OK && rename(tmp, final) != 0) {
        rc = tsr_seterr(err, tsr_io_status(errno), "%s: rename to %s: %s", tmp, name, strerror(errno));
        unlink(tmp);
    }
    if (rc == TSR_OK && !ix->scratch)
        rc = ix_fsync_dir(ix->dir, err);
    if (rc == TSR_OK) {
        memset(row, 0, sizeof *row);
        memcpy(row->file, name, strlen(name) + 1);
        row->doc_lo = info.doc_lo;
        row->doc_hi = info.doc_hi;
        row->ndocs = info.ndocs;
        row->npostings = info.npostings;
        row->bytes = info.bytes;
        row->checksum = info.checksum;
    }
    free(tmp);
    free(final);
    return rc;
}

typedef struct { seg_batch *b; uint32_t ndocs, lo, hi; } ix_write_ctx;

static int write_batch(void *ctx, const char *path, seg_info *info, tsr_error *err)
{
    const ix_write_ctx *c = ctx;
    return seg_batch_write(path, c->b, c->ndocs, c->lo, c->hi, info, err);
}

typedef struct { seg_file *const *in; size_t n; const seg_dead *dead; } ix_merge_ctx;

static int write_merge(void *ctx, const char *path, seg_info *info, tsr_error *err)
{
    const ix_merge_ctx *c = ctx;
    return seg_merge_live(path, c->in, c->n, c->dead, info, err);
}

/* Removed documents in the docno ranges of segments [a, b). */
static uint64_t removed_in_run(const tsr_index *ix, size_t a, size_t b)
{
    uint64_t n = 0;
    for (size_t i = a; i < b; i++)
        n += removed_in(&ix->removed, ix->rows[i].doc_lo, ix->rows[i].doc_hi);
    return n;
}

/* Merge the neighbouring segments [a, b) into one (b - a may be 1: a
 * segment rewritten without the postings of its removed documents).  The
 * postings of removed documents are left out, and their records in
 * `removed` go in the transaction that lists the output. */
static int ix_merge_run(tsr_index *ix, size_t a, size_t b, tsr_error *err)
{
    /* Never launder a damaged input into a freshly checksummed output. */
    for (size_t i = a; i < b; i++)
        TSR_FORWARD(seg_verify(ix->segs[i], SEG_CHECK_BODY, err));
    const int drop = removed_in_run(ix, a, b) > 0;
    ix_merge_ctx mc = { ix->segs + a, b - a, drop ? &ix->removed.dead : NULL };
    cat_seg row;
    TSR_FORWARD(ix_place_segment(ix, write_merge, &mc, &row, err));

    cat_meta m = ix->meta;
    m.generation++;
    m.next_seg++;
    int rc = cat_begin(ix->cat, err);
    for (size_t i = a; i < b && rc == TSR_OK; i++)
        rc = cat_delete_seg(ix->cat, ix->rows[i].file, err);
    if (rc == TSR_OK && drop)
        rc = cat_forget_removed(ix->cat, ix->rows[a].doc_lo, ix->rows[b - 1].doc_hi, err);
    if (rc == TSR_OK)
        rc = cat_insert_seg(ix->cat, &row, err);
    rc = ix_commit_meta(ix, rc, &m, err);
    if (rc != TSR_OK) {
        ix_skip_number(ix); /* the new file is an orphan now, or listed later */
        return rc;
    }
    ix->meta = m; /* even if the reload below fails, never reuse next_seg */
    ix->fresh = row;

    /* Committed.  Remember the inputs' names, then reload (which unmaps
     * them) and unlink them. */
    char (*old)[sizeof row.file] = malloc((b - a) * sizeof *old);
    for (size_t i = a; old && i < b; i++)
        memcpy(old[i - a], ix->rows[i].file, sizeof row.file);
    rc = ix_load(ix, err);
    ix->fresh.file[0] = 0;
    if (old) {
        for (size_t i = 0; i < b - a; i++) {
            char *path = ix_path_join(ix->dir, old[i]);
            if (path)
                unlink(path); /* a leftover is removed by the next writer */
            free(path);
        }
        free(old);
    }
    return rc;
}

/* The run of neighbours [*a, *a + len) with len in [minlen, maxlen] and the
 * least bytes per segment removed; 0 when none may be merged. */
static int ix_pick_run(const tsr_index *ix, size_t minlen, size_t maxlen, size_t *a,
                       size_t *b)
{
    double best = 0;
    int found = 0;
    if (maxlen > ix->nsegs)
        maxlen = ix->nsegs;
    for (size_t len = minlen; len <= maxlen; len++) {
        for (size_t i = 0; i + len <= ix->nsegs; i++) {
            uint64_t bytes = 0, post = 0;
            for (size_t k = i; k < i + len; k++) {
                bytes += ix->rows[k].bytes;
                post += ix->rows[k].npostings;
            }
            if (post > SEG_MAX_POSTINGS)
                continue;
            const double cost = (double)bytes / (double)(len - 1);
            if (!found || cost <= best) { /* ties: the later, newer run */
                best = cost;
                *a = i;
                *b = i + len;
                found = 1;
            }
        }
    }
    return found;
}

static unsigned ix_tier(const cat_seg *r)
{
    const uint64_t size = r->npostings + r->ndocs;
    unsigned t = 0;
    for (uint64_t lim = IX_TIER_BASE; size >= lim && t < 32; lim *= IX_TIER_FANIN)
        t++;
    return t;
}

/* The tiered rule (see the top of the file): the newest run of neighbours
 * of tier <= L with IX_TIER_FANIN segments of tier L, for the lowest L. */
static int ix_pick_tier(const tsr_index *ix, size_t *a, size_t *b)
{
    unsigned maxt = 0;
    for (size_t i = 0; i < ix->nsegs; i++)
        if (ix_tier(&ix->rows[i]) > maxt)
            maxt = ix_tier(&ix->rows[i]);
    for (unsigned L = 0; L <= maxt; L++) {
        size_t j = ix->nsegs;
        while (j > 0) {
            while (j > 0 && ix_tier(&ix->rows[j - 1]) > L)
                j--;
            size_t i = j, at_l = 0;
            uint64_t post = 0;
            while (i > 0 && ix_tier(&ix->rows[i - 1]) <= L) {
                i--;
                at_l += ix_tier(&ix->rows[i]) == L;
                post += ix->rows[i].npostings;
            }
            if (at_l >= IX_TIER_FANIN && post <= SEG_MAX_POSTINGS) {
                *a = i;
                *b = j;
                return 1;
            }
            j = i;
        }
    }
    return 0;
}

static int ix_auto_merge(tsr_index *ix, tsr_error *err)
{
    for (;;) {
        size_t a, b;
        if (ix_pick_tier(ix, &a, &b) ||
            (ix->nsegs > IX_MAX_SEGMENTS && ix_pick_run(ix, 2, 10, &a, &b)))
            TSR_FORWARD(ix_merge_run(ix, a, b, err));
        else
            return TSR_OK;
    }
}

int tsr_index_merge(tsr_index *ix, unsigned max_segments, tsr_error *err)
{
    if (!ix)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_merge: NULL index");
    TSR_FORWARD(ix_writable(ix, err));
    if (ix->sh) {   /* the shard that takes the appends; the others are read-only */
        TSR_FORWARD(tsr_index_merge(sh_writer(ix), max_segments, err));
        return sh_rebuild(ix, err);
    }
    const size_t target = max_segments ? max_segments : 1;
    while (ix->nsegs > target) {
        const size_t len = ix->nsegs - target + 1;
        size_t a, b;
        if (!ix_pick_run(ix, len, len, &a, &b))
            return tsr_seterr(err, TSR_ERR_TOOBIG,
                              "%s: cannot merge down to %zu segments: a segment holds at most"
                              " %u postings", ix->dir, target, (unsigned)SEG_MAX_POSTINGS);
        TSR_FORWARD(ix_merge_run(ix, a, b, err));
    }
    /* reclaim the space of removed documents: every segment still holding
     * postings of one is rewritten without them */
    for (size_t i = 0; i < ix->nsegs; i++)
        if (removed_in_run(ix, i, i + 1))
            TSR_FORWARD(ix_merge_run(ix, i, i + 1, err));
    return TSR_OK;
}

/* The batch's segment file, written by a thread of its own while the
 * committing thread puts the batch's documents into the catalog: the two
 * share nothing (the postings and the segment number; the documents and
 * the catalog) and each waits on a sync of its own, so a commit takes the
 * longer of the two instead of their sum (BENCHMARKS.md, "The commit's
 * two halves side by side").  The catalog transaction lists the segment
 * only after the thread is joined, so the file is durable before any
 * commit names it, as when the two ran one after the other. */
typedef struct {
    tsr_index *ix;
    ix_write_ctx wc;
    cat_seg row;
    int rc;
    tsr_error err;
} ix_seg_job;

static void *ix_seg_job_main(void *arg)
{
    ix_seg_job *j = arg;
    j->rc = ix_place_segment(j->ix, write_batch, &j->wc, &j->row, &j->err);
    return NULL;
}

int tsr_index_commit(tsr_index *ix, tsr_error *err)
{
    if (!ix)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_commit: NULL index");
    TSR_FORWARD(ix_writable(ix, err));
    if (ix->sh) {
        TSR_FORWARD(tsr_index_commit(sh_writer(ix), err));
        return sh_rebuild(ix, err);
    }
    if (ix->docs.n == 0) {   /* nothing added: the ids looked up need no transaction */
        cat_lookup_end(ix->cat);
        return TSR_OK;
    }

    ix->post.nosync = ix->scratch;
    ix_seg_job job = { ix, { &ix->post, (uint32_t)ix->docs.n,
                             (uint32_t)ix->docs.a[0].docno,
                             (uint32_t)ix->docs.a[ix->docs.n - 1].docno },
                       { .file = "" }, TSR_OK, { 0, "" } };
    pthread_t th;
    const int threaded = pthread_create(&th, NULL, ix_seg_job_main, &job) == 0;
    if (!threaded)   /* no thread to be had: one after the other */
        ix_seg_job_main(&job);

    cat_meta m = ix->meta;
    m.commits++;
    m.generation++;
    m.next_seg++;
    m.docs += ix->docs.n;
    for (size_t i = 0; i < ix->docs.n; i++) {
        m.text_bytes += ix->docs.a[i].text_len;
        m.stored_bytes += ix->docs.a[i].zlen;
    }
    int rc = cat_begin(ix->cat, err);
    for (size_t i = 0; i < ix->docs.n && rc == TSR_OK; i++) {
        const ix_doc *d = &ix->docs.a[i];
        const cat_doc cd = { .docno = d->docno, .id = d->id, .title = d->title,
                             .date = d->date, .series = d->series, .meta = d->meta,
                             .text_len = d->text_len, .blob = d->z, .blob_len = d->zlen };
        rc = cat_insert_doc(ix->cat, &cd, m.commits, err);
    }
    /* the dictionary, in the transaction of the first texts it compressed */
    if (rc == TSR_OK && ix->dict_state == IX_DICT_NEW)
        rc = cat_put_dict(ix->cat, ix->dict_id, ix->dict, ix->dict_len, err);
    if (threaded)
        pthread_join(th, NULL);
    if (job.rc != TSR_OK) {
        /* No segment, so no commit: the catalog's part is undone, and the
         * number may be used again (nothing that names it was written). */
        cat_rollback(ix->cat);
        if (err)
            *err = job.err;
        return job.rc;
    }
    if (rc == TSR_OK)
        rc = cat_insert_seg(ix->cat, &job.row, err);
    rc = ix_commit_meta(ix, rc, &m, err);
    if (rc != TSR_OK) {
        /* The batch stays, so the caller may retry; the segment file is an
         * orphan that the next writer deletes (unless the transaction turns
         * out committed: see ix_skip_number). */
        ix_skip_number(ix);
        return tsr_preferr(err, rc, "%s: commit failed", ix->dir);
    }
    ix->meta = m; /* even if the reload below fails, never reuse next_seg */
    ix->fresh = job.row;
    if (ix->dict_state == IX_DICT_NEW) {
        ix->dict_state = IX_DICT_STORED;
        free(ix->dict);
        ix->dict = NULL;
    }
    batch_clear(ix);
    rc = ix_load(ix, err);
    ix->fresh.file[0] = 0;
    if (rc == TSR_OK)
        rc = ix_auto_merge(ix, err);
    if (rc != TSR_OK)
        return tsr_preferr(err, rc, "%s: commit %" PRIu64 " is durable, but then", ix->dir,
                           m.commits);
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * Readers: refresh, documents, stats
 * --------------------------------------------------------------------- */

/* The cache after a refresh: documents never change once committed,
 * unless the directory was replaced by another index, and then what the
 * cache holds is not it. */
static void after_refresh(tsr_index *ix, uint64_t docs, uint64_t was)
{
    if (ix->cache && (ix->meta.generation < was || ix->meta.docs < docs))
        dc_clear(ix->cache);
}

int tsr_index_refresh(tsr_index *ix, tsr_error *err)
{
    if (ix && ix->sh)
        return sh_refresh(ix, err);
    tsr_refresh *r;
    TSR_FORWARD(tsr_index_refresh_prepare(ix, &r, err));
    return r ? tsr_index_refresh_apply(ix, r, err) : TSR_OK;
}

int tsr_index_refresh_prepare(tsr_index *ix, tsr_refresh **out, tsr_error *err)
{
    *out = NULL;
    if (!ix)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_refresh_prepare: NULL index");
    if (ix->writable)
        return TSR_OK; /* the only writer has seen every commit */
    if (ix->sh) {
        int stale;
        TSR_FORWARD(sh_stale(ix, &stale, err));
        if (stale && !(*out = calloc(1, sizeof **out)))
            return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        if (*out) (*out)->full = 1;
        return TSR_OK;
    }
    uint64_t gen;
    TSR_FORWARD(cat_generation(ix->cat, &gen, err));
    if (gen == ix->meta.generation)
        return TSR_OK;
    return ix_stage(ix, out, err);
}

int tsr_index_refresh_apply(tsr_index *ix, tsr_refresh *r, tsr_error *err)
{
    if (!ix || !r) {
        stage_free(r);
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_refresh_apply: NULL argument");
    }
    if (r->full) {
        stage_free(r);
        return sh_refresh(ix, err);
    }
    const uint64_t docs = ix->meta.docs, was = ix->meta.generation;
    ix_install(ix, r);
    after_refresh(ix, docs, was);
    return TSR_OK;
}

void tsr_refresh_free(tsr_refresh *r)
{
    stage_free(r);
}

int tsr_index_set_cache(tsr_index *ix, size_t bytes, tsr_error *err)
{
    if (!ix)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_set_cache: NULL index");
    dc_free(ix->cache);
    ix->cache = NULL;
    if (bytes && !(ix->cache = dc_new(bytes)))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for a document cache");
    return TSR_OK;
}

/* A decompression context from the pool (or a new one; NULL when out of
 * memory), and back to the pool. */
static ZSTD_DCtx *dctx_take(tsr_index *ix)
{
    pthread_mutex_lock(&ix->dmu);
    ZSTD_DCtx *dc = ix->ndctx ? ix->dctx[--ix->ndctx] : NULL;
    pthread_mutex_unlock(&ix->dmu);
    return dc ? dc : ZSTD_createDCtx();
}

static void dctx_give(tsr_index *ix, ZSTD_DCtx *dc)
{
    if (!dc)
        return;
    pthread_mutex_lock(&ix->dmu);
    if (ix->ndctx < IX_DCTX_POOL) { ix->dctx[ix->ndctx++] = dc; dc = NULL; }
    pthread_mutex_unlock(&ix->dmu);
    ZSTD_freeDCtx(dc);  /* the pool was full */
}

/* The most text a zstd frame yields per byte of it: a block gives at most
 * 128 KiB (ZSTD_BLOCKSIZE_MAX), and takes at least 4 bytes (an RLE block:
 * a 3-byte header and the byte repeated). */
#define IX_ZSTD_MAX_RATIO ((size_t)1 << 15)

/* Whether a stored text can be `text_len` bytes long: its frame header
 * says so (the writer records the size there, doc/index-format.md), and
 * the frame is large enough to give that much.  Checked before a buffer
 * of text_len bytes is allocated, so that a damaged or forged catalog row
 * is refused as corrupt instead of asking for any amount of memory. */
static int stored_len_ok(const tsr_index *ix, size_t text_len, const void *blob,
                         size_t blen, int64_t docno, const char *id, tsr_error *err)
{
    if (ZSTD_getFrameContentSize(blob, blen) == (unsigned long long)text_len &&
        text_len / IX_ZSTD_MAX_RATIO <= blen)
        return TSR_OK;
    return tsr_seterr(err, TSR_ERR_CORRUPT,
                      "%s: document %" PRId64 " ('%s'): stored text is damaged (its length"
                      " %zu does not match the stored frame)", ix->dir, docno, id ? id : "",
                      text_len);
}

/* Decompress a stored text of `text_len` bytes into dst (text_len + 1
 * bytes; NUL-terminated). */
static int unpack_text(tsr_index *ix, cat_reader *rd, ZSTD_DCtx *dc, char *dst,
                       size_t text_len, const void *blob, size_t blen, int64_t docno,
                       const char *id, tsr_error *err)
{
    tsr_error e = { 0, "" };
    const int rc = td_decompress(&ix->dicts, ix->cat, rd, dc, dst, text_len, blob, blen, &e);
    if (rc == TSR_ERR_CORRUPT)
        return tsr_seterr(err, rc, "%s: document %" PRId64 " ('%s'): stored text is damaged"
                          " (%s)", ix->dir, docno, id ? id : "", e.message);
    if (rc != TSR_OK)
        return tsr_seterr(err, rc, "%s: document %" PRId64 " ('%s'): %s", ix->dir, docno,
                          id ? id : "", e.message);
    dst[text_len] = 0;
    return TSR_OK;
}

/* A document by id or docno, through the index's catalog. */
static int ix_get(tsr_index *ix, const char *id, int64_t docno, int with_text,
                  tsr_document **out, tsr_error *err)
{
    if (ix->sh)
        return sh_get(ix, id, docno, with_text, out, err);
    tsr_document *d = calloc(1, sizeof *d);
    TSR_CHECK_ALLOC(d, err);
    void *blob = NULL;
    size_t blen = 0;
    void **want = with_text ? &blob : NULL;   /* the fields alone: no text read */
    int rc = cat_get_doc(ix->cat, id, docno, d, want, &blen, err);
    if (rc == TSR_OK && with_text)
        rc = stored_len_ok(ix, d->text_len, blob, blen, d->docno, d->id, err);
    if (rc == TSR_OK && with_text) {
        d->text = malloc(d->text_len + 1);
        if (!d->text) {
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for %zu bytes", d->text_len);
        } else {
            ZSTD_DCtx *dc = dctx_take(ix);
            rc = unpack_text(ix, NULL, dc, d->text, d->text_len, blob, blen, d->docno,
                             d->id, err);
            dctx_give(ix, dc);
        }
    }
    free(blob);
    if (rc != TSR_OK) {
        tsr_document_free(d);
        return rc;
    }
    *out = d;
    return TSR_OK;
}

int ix_reader_open(tsr_index *ix, cat_reader **out, tsr_error *err)
{
    *out = NULL;
    return ix->sh ? TSR_OK : cat_reader_open(ix->cat, out, err);
}

void ix_reader_close(cat_reader *r)
{
    cat_reader_close(r);
}

/* cat_reader_row's callback: the row's fields and stored text packed into
 * one block (ix_row), grown as needed and kept from call to call. */
static int row_pack(void *ud, size_t i, const cat_row *v)
{
    (void)i;
    ix_row *row = ud;
    const char *f[4] = { v->id, v->title, v->date, v->series };
    size_t len[4], need = v->blob_len;
    for (int k = 0; k < 4; k++) {
        len[k] = f[k] ? strlen(f[k]) + 1 : 0;
        need += len[k];
    }
    if (need > row->cap) {
        size_t cap = row->cap ? row->cap : 1024;
        while (cap < need) cap *= 2;
        char *b = malloc(cap);
        if (!b)
            return TSR_ERR_NOMEM;
        free(row->block);
        row->block = b;
        row->cap = cap;
    }
    char *at = row->block;
    const char **to[4] = { &row->id, &row->title, &row->date, &row->series };
    for (int k = 0; k < 4; k++) {
        *to[k] = f[k] ? memcpy(at, f[k], len[k]) : NULL;
        at += len[k];
    }
    row->blob = at;
    if (v->blob_len)
        memcpy(at, v->blob, v->blob_len);
    row->blob_len = v->blob_len;
    row->bytes = need;
    row->docno = v->docno;
    row->text_len = v->text_len;
    return TSR_OK;
}

int ix_reader_row(tsr_index *ix, cat_reader *r, int64_t docno, ix_row *row, tsr_error *err)
{
    const int rc = cat_reader_row(r, docno, row_pack, row, err);
    if (rc == TSR_ERR_NOMEM)
        return tsr_seterr(err, rc, "%s: out of memory reading document %" PRId64, ix->dir,
                          docno);
    return rc;
}

int ix_row_text(tsr_index *ix, cat_reader *r, const ix_row *row, char *dst, tsr_error *err)
{
    TSR_FORWARD(stored_len_ok(ix, (size_t)row->text_len, row->blob, row->blob_len, row->docno,
                              row->id, err));
    ZSTD_DCtx *dc = dctx_take(ix);
    const int rc = unpack_text(ix, r, dc, dst, (size_t)row->text_len, row->blob, row->blob_len,
                               row->docno, row->id, err);
    dctx_give(ix, dc);
    return rc;
}

/* p, a pointer into block `from` (or NULL), at the same offset in `to` */
static const char *rebase(const void *p, const char *from, char *to)
{
    return p ? to + ((const char *)p - from) : NULL;
}

int ix_row_copy(ix_row *dst, const ix_row *src)
{
    if (src->bytes > dst->cap) {
        char *b = malloc(src->bytes);
        if (!b)
            return -1;
        free(dst->block);
        dst->block = b;
        dst->cap = src->bytes;
    }
    if (src->bytes)
        memcpy(dst->block, src->block, src->bytes);
    dst->docno = src->docno;
    dst->id = rebase(src->id, src->block, dst->block);
    dst->title = rebase(src->title, src->block, dst->block);
    dst->date = rebase(src->date, src->block, dst->block);
    dst->series = rebase(src->series, src->block, dst->block);
    dst->text_len = src->text_len;
    dst->blob = rebase(src->blob, src->block, dst->block);
    dst->blob_len = src->blob_len;
    dst->bytes = src->bytes;
    return 0;
}

void ix_row_free(ix_row *row)
{
    free(row->block);
    memset(row, 0, sizeof *row);
}

/* ------------------------------------------------------------------------
 * Many documents at once (check's candidates)
 * --------------------------------------------------------------------- */


static size_t arena_put(ix_docs *b, const void *p, size_t n, int nul)
{
    if (!p)
        return SIZE_MAX;
    const size_t need = b->alen + n + 1;
    if (need > b->acap) {
        size_t cap = b->acap ? b->acap : 4096;
        while (cap < need) cap *= 2;
        char *a = realloc(b->arena, cap);
        if (!a)
            return SIZE_MAX - 1;
        b->arena = a;
        b->acap = cap;
    }
    const size_t at = b->alen;
    memcpy(b->arena + at, p, n);
    b->alen += n;
    if (nul)
        b->arena[b->alen++] = 0;
    return at;
}

static int docs_row(void *ud, size_t i, const cat_row *row)
{
    ix_docs *b = ud;
    const char *s[DF_BLOB] = { row->id, row->title, row->date, row->series };
    for (int f = 0; f < DF_BLOB; f++)
        b->off[i][f] = arena_put(b, s[f], s[f] ? strlen(s[f]) : 0, 1);
    b->off[i][DF_BLOB] = arena_put(b, row->blob ? row->blob : "", row->blob_len, 0);
    for (int f = 0; f < DF_N; f++)
        if (b->off[i][f] == SIZE_MAX - 1)
            return TSR_ERR_NOMEM;
    b->blob_len[i] = row->blob_len;
    b->meta[i].docno = row->docno;
    b->meta[i].text_len = row->text_len;
    return TSR_OK;
}

int ix_docs_fetch(tsr_index *ix, const int64_t *docnos, size_t n, ix_docs **out,
                  tsr_error *err)
{
    *out = NULL;
    if (ix->sh)
        return sh_docs_fetch(ix, docnos, n, out, err);
    ix_docs *b = calloc(1, sizeof *b);
    TSR_CHECK_ALLOC(b, err);
    b->ix = ix;
    b->n = n;
    b->meta = calloc(n + 1, sizeof *b->meta);
    b->off = calloc(n + 1, sizeof *b->off);
    b->blob_len = calloc(n + 1, sizeof *b->blob_len);
    if (!b->meta || !b->off || !b->blob_len) {
        ix_docs_free(b);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading %zu documents", n);
    }
    int rc = cat_get_docs(ix->cat, docnos, n, docs_row, b, err);
    if (rc == TSR_ERR_NOMEM)
        rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading %zu documents", n);
    if (rc != TSR_OK) {
        ix_docs_free(b);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {  /* the arena has stopped moving */
        const char **f[DF_BLOB] = { &b->meta[i].id, &b->meta[i].title, &b->meta[i].date,
                                    &b->meta[i].series };
        for (int k = 0; k < DF_BLOB; k++)
            *f[k] = b->off[i][k] == SIZE_MAX ? NULL : b->arena + b->off[i][k];
    }
    b->dc = dctx_take(ix);
    *out = b;
    return TSR_OK;
}

const ix_docmeta *ix_docs_meta(const ix_docs *b, size_t i)
{
    return &b->meta[i];
}

int ix_docs_text(ix_docs *b, size_t i, const char **text, size_t *len, tsr_error *err)
{
    if (b->parts)
        return ix_docs_text(b->parts[b->part_of[i]], b->part_idx[i], text, len, err);
    const size_t tl = (size_t)b->meta[i].text_len;
    const void *blob = b->arena + b->off[i][DF_BLOB];
    TSR_FORWARD(stored_len_ok(b->ix, tl, blob, b->blob_len[i], b->meta[i].docno,
                              b->meta[i].id, err));
    if (tl + 1 > b->tcap) {
        size_t cap = b->tcap ? b->tcap : 16384;
        while (cap < tl + 1) cap *= 2;
        char *t = realloc(b->text, cap);
        if (!t)
            return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for %zu bytes", tl);
        b->text = t;
        b->tcap = cap;
    }
    TSR_FORWARD(unpack_text(b->ix, NULL, b->dc, b->text, tl, blob, b->blob_len[i],
                            b->meta[i].docno, b->meta[i].id, err));
    *text = b->text;
    *len = tl;
    return TSR_OK;
}

void ix_docs_free(ix_docs *b)
{
    if (!b)
        return;
    for (size_t k = 0; k < b->nparts; k++)
        ix_docs_free(b->parts[k]);
    free(b->parts);
    free(b->part_of);
    free(b->part_idx);
    dctx_give(b->ix, b->dc);
    free(b->meta);
    free(b->off);
    free(b->blob_len);
    free(b->arena);
    free(b->text);
    free(b);
}

int tsr_index_get(tsr_index *ix, const char *id, tsr_document **out, tsr_error *err)
{
    if (out)
        *out = NULL;
    if (!ix || !id || !out)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_get: NULL argument");
    return ix_get(ix, id, 0, 1, out, err);
}

int tsr_index_get_docno(tsr_index *ix, int64_t docno, tsr_document **out, tsr_error *err)
{
    if (out)
        *out = NULL;
    if (!ix || !out)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_get_docno: NULL argument");
    return ix_get(ix, NULL, docno, 1, out, err);
}

int tsr_index_get_info(tsr_index *ix, int64_t docno, tsr_document **out, tsr_error *err)
{
    if (out)
        *out = NULL;
    if (!ix || !out)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_get_info: NULL argument");
    return ix_get(ix, NULL, docno, 0, out, err);
}

int tsr_index_read_begin(tsr_index *ix, tsr_error *err)
{
    if (!ix)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_read_begin: NULL index");
    return ix_read_begin(ix, err);
}

void tsr_index_read_end(tsr_index *ix)
{
    if (ix)
        ix_read_end(ix);
}

void ix_document_clear(tsr_document *d)
{
    free(d->id);
    free(d->title);
    free(d->date);
    free(d->series);
    free(d->meta_json);
    free(d->text);
}

void tsr_document_free(tsr_document *d)
{
    if (!d)
        return;
    ix_document_clear(d);
    free(d);
}

static uint64_t file_size(const char *dir, const char *name)
{
    char *p = ix_path_join(dir, name);
    struct stat st;
    uint64_t n = p && stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
    free(p);
    return n;
}

/* The counts of a plain index's catalog and segments. */
static void plain_stats(const tsr_index *ix, tsr_stats *out)
{
    memset(out, 0, sizeof *out);
    out->documents = ix->meta.docs;
    out->text_bytes = ix->meta.text_bytes;
    out->stored_bytes = ix->meta.stored_bytes;
    out->segments = ix->nsegs;
    for (size_t i = 0; i < ix->nsegs; i++) {
        out->postings += ix->rows[i].npostings;
        out->postings_bytes += ix->rows[i].bytes;
    }
    out->catalog_bytes = file_size(ix->dir, IX_CATALOG) + file_size(ix->dir, IX_CATALOG "-wal");
    out->commits = ix->meta.commits;
    out->shards = 1;
}

int tsr_index_stats(tsr_index *ix, tsr_stats *out, tsr_error *err)
{
    if (!ix || !out)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_stats: NULL argument");
    if (ix->sh)
        TSR_FORWARD(sh_stats(ix, out, err));   /* the shards' sums */
    else
        plain_stats(ix, out);
    out->ngram = ix->meta.ngram;
    out->window = ix->meta.window;
    if (ix->cache)
        dc_stats(ix->cache, &out->cache_bytes, &out->cache_docs, &out->cache_hits,
                 &out->cache_misses);
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * Verification
 * --------------------------------------------------------------------- */

typedef struct {
    tsr_verify_fn fn;
    void *ud;
    int first;
    tsr_error *err;
} ix_verify_ctx;

static void report(ix_verify_ctx *v, const char *file, int status, const char *msg)
{
    if (v->fn)
        v->fn(v->ud, file, status, msg);
    if (status != TSR_OK && v->first == TSR_OK) {
        v->first = status;
        tsr_seterr(v->err, status, "%s", msg);
    }
}

typedef struct {
    uint64_t n, text, stored;
    int64_t bad_docno;
    int bad;                 /* 1: a frame's length is wrong; 2: it names no dictionary held */
    uint32_t dict[TD_MAX];   /* the catalog's dictionaries (the first TD_MAX) */
    int ndict;
    uint32_t bad_dict;       /* a dictionary damaged (copy 1, 2 or both) or not one */
    int bad_copy;
} ix_doc_totals;

static int sum_dict(void *ud, uint32_t id, const void *data, size_t len, int ok1, int ok2)
{
    ix_doc_totals *t = ud;
    if (t->ndict < TD_MAX)
        t->dict[t->ndict++] = id;
    const int bad = !ok1 ? (ok2 ? 1 : 3) : !ok2 ? 2 : !td_valid(data, len, id) ? 4 : 0;
    if (bad && !t->bad_dict) {
        t->bad_dict = id;
        t->bad_copy = bad;
    }
    return TSR_OK;
}

static int sum_doc(void *ud, int64_t docno, uint64_t text_len, const void *blob, size_t blen)
{
    ix_doc_totals *t = ud;
    t->n++;
    t->text += text_len;
    t->stored += blen;
    if (!t->bad && ZSTD_getFrameContentSize(blob, blen) != text_len) {
        t->bad = 1;
        t->bad_docno = docno;
    }
    const uint32_t id = t->bad ? 0 : ZSTD_getDictID_fromFrame(blob, blen);
    int held = id == 0 || t->ndict == TD_MAX;
    for (int i = 0; i < t->ndict && !held; i++)
        held = t->dict[i] == id;
    if (!held) {
        t->bad = 2;
        t->bad_docno = docno;
    }
    return TSR_OK;
}

static void verify_catalog(tsr_index *ix, ix_verify_ctx *v)
{
    tsr_error e = {0};
    char msg[sizeof e.message] = "", integ[256];
    int ok = 0;
    int rc = cat_integrity(ix->cat, &ok, integ, sizeof integ, &e);
    if (rc == TSR_OK && !ok) {
        rc = TSR_ERR_CORRUPT;
        snprintf(msg, sizeof msg, "%s/%s: integrity_check: %s", ix->dir, IX_CATALOG, integ);
    }
    ix_doc_totals t = {0};
    if (rc == TSR_OK)
        rc = cat_each_dict(ix->cat, sum_dict, &t, &e);
    if (rc == TSR_OK)
        rc = cat_each_doc(ix->cat, sum_doc, &t, &e);
    uint64_t seg_docs = 0;
    for (size_t i = 0; i < ix->nsegs; i++)
        seg_docs += ix->rows[i].ndocs;
    if (rc == TSR_OK) {
        static const char *const what[] = { "", "its first copy fails its checksum",
                                             "its second copy fails its checksum",
                                             "both copies fail their checksum",
                                             "not a zstd dictionary of that id" };
        if (t.bad_dict) {
            rc = TSR_ERR_CORRUPT;
            snprintf(msg, sizeof msg, "%s/%s: dictionary %u: %s", ix->dir, IX_CATALOG,
                     t.bad_dict, what[t.bad_copy]);
        } else if (t.bad) {
            rc = TSR_ERR_CORRUPT;
            snprintf(msg, sizeof msg, "%s/%s: document %" PRId64 ": %s", ix->dir, IX_CATALOG,
                     t.bad_docno, t.bad == 1 ? "stored text does not match its length"
                                             : "stored text names a dictionary the catalog"
                                               " lacks");
        } else if (t.n != ix->meta.docs || t.n + ix->removed.n != seg_docs) {
            rc = TSR_ERR_CORRUPT;
            snprintf(msg, sizeof msg, "%s/%s: %" PRIu64 " documents and %zu removed, meta says"
                     " %" PRIu64 ", segments say %" PRIu64, ix->dir, IX_CATALOG, t.n,
                     ix->removed.n, ix->meta.docs, seg_docs);
        } else if (t.text != ix->meta.text_bytes || t.stored != ix->meta.stored_bytes) {
            rc = TSR_ERR_CORRUPT;
            snprintf(msg, sizeof msg, "%s/%s: text sizes %" PRIu64 "/%" PRIu64 " do not"
                     " match meta %" PRIu64 "/%" PRIu64, ix->dir, IX_CATALOG, t.text,
                     t.stored, ix->meta.text_bytes, ix->meta.stored_bytes);
        } else if (ix->removed.n) {
            snprintf(msg, sizeof msg, "ok: %" PRIu64 " documents, %" PRIu64 " text bytes, %zu"
                     " removed (their postings go at the next merge)", t.n, t.text,
                     ix->removed.n);
        } else {
            snprintf(msg, sizeof msg, "ok: %" PRIu64 " documents, %" PRIu64 " text bytes",
                     t.n, t.text);
        }
    }
    if (rc != TSR_OK && !msg[0])
        snprintf(msg, sizeof msg, "%s", e.message);
    report(v, IX_CATALOG, rc, msg);
}

int tsr_index_verify(tsr_index *ix, tsr_verify_fn fn, void *ud, tsr_error *err)
{
    if (!ix)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_verify: NULL index");
    if (ix->sh)
        return sh_verify(ix, fn, ud, err);
    /* One read transaction for all catalog reads, on the state the
     * handle has mapped (a reader refreshes inside it when needed). */
    TSR_FORWARD(cat_read_begin(ix->cat, err));
    uint64_t gen = 0;
    int rc = cat_generation(ix->cat, &gen, err);
    if (rc == TSR_OK && gen != ix->meta.generation)
        rc = ix_load(ix, err);
    if (rc != TSR_OK) {
        cat_read_end(ix->cat);
        return rc;
    }
    ix_verify_ctx v = { fn, ud, TSR_OK, err };
    for (size_t i = 0; i < ix->nsegs; i++) {
        tsr_error e = {0};
        const seg_file *s = ix->segs[i];
        const cat_seg *r = &ix->rows[i];
        rc = row_matches(s, r, &e);
        if (rc == TSR_OK)
            rc = seg_verify(s, SEG_CHECK_DEEP, &e);
        uint64_t n = 0;
        const uint64_t gone = removed_in(&ix->removed, r->doc_lo, r->doc_hi);
        if (rc == TSR_OK)
            rc = cat_count_range(ix->cat, r->doc_lo, r->doc_hi, &n, &e);
        /* a removed document is still a document of its segment (its
         * postings are there) until a merge rewrites it */
        if (rc == TSR_OK && n + gone != r->ndocs)
            rc = tsr_seterr(&e, TSR_ERR_CORRUPT, "%s: %u documents, the catalog has %" PRIu64
                            " in %u..%u and %" PRIu64 " removed", s->path, r->ndocs, n,
                            r->doc_lo, r->doc_hi, gone);
        if (rc == TSR_OK)
            snprintf(e.message, sizeof e.message, "ok: %" PRIu64 " postings, %u documents",
                     r->npostings, r->ndocs);
        report(&v, r->file, rc, e.message);
    }
    verify_catalog(ix, &v);
    cat_read_end(ix->cat);
    return v.first;
}

/* ------------------------------------------------------------------------
 * Repair: segments rebuilt from the catalog's texts
 * --------------------------------------------------------------------- */

/* Whether a segment row's file is sound: present, its header matching the
 * row, its body checksum and structure right. */
static int seg_sound(const tsr_index *ix, const cat_seg *r, tsr_error *err)
{
    char *path = ix_path_join(ix->dir, r->file);
    TSR_CHECK_ALLOC(path, err);
    seg_file *s = NULL;
    int rc = seg_open(path, &s, err);
    free(path);
    if (rc == TSR_OK) rc = row_matches(s, r, err);
    if (rc == TSR_OK) rc = seg_verify(s, SEG_CHECK_DEEP, err);
    seg_close(s);
    return rc;
}

/* A new segment for row `r`: the postings of its documents, fingerprinted
 * again from the texts the catalog stores, as tsr_index_add did. */
static int seg_rebuild(tsr_index *ix, const cat_seg *r, cat_seg *out, tsr_error *err)
{
    seg_batch post = { 0 };
    ix_scratch sc = { ix->zc, ix->zbuf, ix->zcap, NULL };
    uint32_t found = 0;
    int rc = TSR_OK;
    for (int64_t d = r->doc_lo; d <= (int64_t)r->doc_hi && rc == TSR_OK; d++) {
        tsr_document *doc = NULL;
        rc = ix_get(ix, NULL, d, 1, &doc, err);
        if (rc == TSR_ERR_NOTFOUND) { rc = TSR_OK; continue; }
        if (rc != TSR_OK) break;
        found++;
        const tsr_docinfo di = { .id = doc->id, .text = doc->text, .text_len = doc->text_len };
        ix_prep pr;
        rc = ix_prepare(&ix->fp, NULL, IX_ZSTD_LEVEL, &sc, &di, &pr, err);
        if (rc == TSR_OK) {
            rc = seg_batch_add(&post, pr.fps, pr.nfp, (uint32_t)d, err);
            ix_prep_free(&pr);
        }
        tsr_document_free(doc);
    }
    ix->zbuf = sc.zbuf;
    ix->zcap = sc.zcap;
    /* removed documents stay counted (the catalog still records them),
     * with no postings now */
    const uint64_t gone = removed_in(&ix->removed, r->doc_lo, r->doc_hi);
    if (rc == TSR_OK && (uint64_t)found + gone != r->ndocs)
        rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: the catalog holds %u of its %u documents"
                        " (%" PRIu64 " removed)", r->file, found, r->ndocs, gone);
    ix_write_ctx wc = { &post, r->ndocs, r->doc_lo, r->doc_hi };
    if (rc == TSR_OK) rc = ix_place_segment(ix, write_batch, &wc, out, err);
    seg_batch_free(&post);
    return rc;
}

/* Put row `fresh` in the place of row i, in one transaction; unlink the
 * old file. */
static int seg_swap(tsr_index *ix, size_t i, const cat_seg *fresh, tsr_error *err)
{
    cat_meta m = ix->meta;
    m.generation++;
    m.next_seg++;
    int rc = cat_begin(ix->cat, err);
    if (rc == TSR_OK) rc = cat_delete_seg(ix->cat, ix->rows[i].file, err);
    if (rc == TSR_OK) rc = cat_insert_seg(ix->cat, fresh, err);
    rc = ix_commit_meta(ix, rc, &m, err);
    if (rc != TSR_OK) {
        ix_skip_number(ix);
        return rc;
    }
    ix->meta = m;
    char *old = ix_path_join(ix->dir, ix->rows[i].file);
    if (old) unlink(old);
    free(old);
    ix->rows[i] = *fresh;
    return TSR_OK;
}

int tsr_index_repair(const char *dir, tsr_verify_fn fn, void *ud, size_t *repaired,
                     tsr_error *err)
{
    if (repaired) *repaired = 0;
    if (!dir) return tsr_seterr(err, TSR_ERR_INVALID, "tsr_index_repair: NULL directory");
    if (sh_detect(dir))
        return tsr_seterr(err, TSR_ERR_INVALID, "%s: a sharded index: repair each shard "
                          "(its subdirectories)", dir);
    tsr_index *ix = NULL;
    TSR_FORWARD(tsr_index_open(dir, TSR_OPEN_WRITE | IX_OPEN_REPAIR, &ix, err));
    tsr_params_default(&ix->fp);
    ix->fp.ngram = ix->meta.ngram;
    ix->fp.window = ix->meta.window;
    int first = TSR_OK;
    for (size_t i = 0; i < ix->nsegs; i++) {
        tsr_error e = { 0 };
        const cat_seg old = ix->rows[i];
        int rc = seg_sound(ix, &old, &e);
        if (rc == TSR_OK) {
            if (fn) fn(ud, old.file, TSR_OK, "ok");
            continue;
        }
        if (fn) fn(ud, old.file, rc, e.message);
        cat_seg fresh;
        rc = seg_rebuild(ix, &old, &fresh, &e);
        if (rc == TSR_OK) rc = seg_swap(ix, i, &fresh, &e);
        if (rc == TSR_OK) {
            char msg[160];
            snprintf(msg, sizeof msg, "rebuilt as %s from the texts of its %u documents",
                     fresh.file, fresh.ndocs);
            if (fn) fn(ud, old.file, TSR_OK, msg);
            if (repaired) (*repaired)++;
        } else {
            if (fn) fn(ud, old.file, rc, e.message);
            if (first == TSR_OK) {
                first = rc;
                if (err) *err = e;
            }
        }
    }
    tsr_index_close(ix);
    return first;
}

/* ------------------------------------------------------------------------
 * For check.c (index_internal.h)
 * --------------------------------------------------------------------- */

int ix_read_begin(tsr_index *ix, tsr_error *err)
{
    if (ix->sh)
        return sh_read_begin(ix, err);
    return cat_read_begin(ix->cat, err);
}

void ix_read_end(tsr_index *ix)
{
    if (ix->sh) {
        sh_read_end(ix);
        return;
    }
    cat_read_end(ix->cat);
}

size_t ix_segments(const tsr_index *ix, struct seg_file *const **segs)
{
    *segs = (struct seg_file *const *)ix->segs;
    return ix->nsegs;
}

int ix_is_scratch(const tsr_index *ix)
{
    return ix->scratch;
}

struct dcache *ix_cache(const tsr_index *ix)
{
    return ix->cache;
}

uint64_t ix_generation(const tsr_index *ix)
{
    return ix->meta.generation;
}

uint64_t ix_ndocs(const tsr_index *ix)
{
    return ix->meta.docs;
}

void ix_fingerprint_params(const tsr_index *ix, int *ngram, int *window)
{
    *ngram = ix->meta.ngram;
    *window = ix->meta.window;
}

void ix_prefetch(const tsr_index *ix, uint64_t hash, int stage)
{
    for (size_t i = 0; i < ix->nsegs; i++)
        seg_prefetch(ix->segs[i], hash, stage);
}

const struct seg_dead *ix_dead(const tsr_index *ix)
{
    return ix->removed.n ? &ix->removed.dead : NULL;
}

size_t ix_lookup(const tsr_index *ix, uint64_t hash, uint32_t *docs, size_t max)
{
    const seg_dead *dead = ix_dead(ix);
    size_t total = 0, got = 0;
    for (size_t i = 0; i < ix->nsegs; i++) {
        const size_t k = seg_lookup_live(ix->segs[i], hash, dead,
                                         got < max ? docs + got : NULL, max - got);
        total += k;
        got += k < max - got ? k : max - got;
    }
    return total;
}

int ix_segments_sound(const tsr_index *ix, tsr_error *err)
{
    for (size_t i = 0; i < ix->nsegs; i++)
        TSR_FORWARD(seg_fault(ix->segs[i], err));
    return TSR_OK;
}

size_t ix_count(void *ix, uint64_t hash)
{
    return ix_lookup(ix, hash, NULL, 0);
}
