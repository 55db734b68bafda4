/*
 * shard.c - sharded indexes: an index made of indexes.
 *
 * What a sharded index is.  A directory whose file `shards` lists plain
 * indexes in its subdirectories, in order (doc/index-format.md section
 * 10).  Each shard numbers its documents 0, 1, ... as every plain index
 * does; the sharded index numbers them through: shard k's document d is
 * document base[k] + d, where base[k] is the number of documents in the
 * shards before it.  Nothing stores the bases, so no shard is rewritten
 * when shards are added; they stay put because only the last shard ever
 * grows (a writer appends to it) and new shards go to the end of the list.
 *
 * Why.  Shards are written in parallel, one per process (an MPI rank
 * indexes its part of the input into its own shard), with no shared
 * catalog to fight over, and published at the end in one step: the list
 * is replaced atomically, so readers see all of a build or none of it,
 * and a failed build leaves the index as it was.  When the ranks take
 * contiguous, ordered parts of the input, the through-numbering is the
 * numbering one process would have given.
 *
 * How a handle joins them.  The handle (index_impl.h) keeps one plain
 * handle per shard and joins them:
 * - lookups and discovery's scans walk every shard's segments in order,
 *   each segment adding its shard's base to the numbers it hands out
 *   (seg_file.base), so they come out increasing, as in a plain index;
 * - document reads go to the shard whose range holds the number;
 * - ids are looked up in each shard (the duplicate rule spans them all);
 * - counts are sums, verification verifies each shard and the list.
 * A sharded handle has no catalog of its own: index.c hands every call
 * that would touch one to the functions here.
 */
#include "index_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define SH_LIST "shards"
#define SH_MAGIC "tessera-shards 1"
#define SH_PREFIX "shard-"
#define SH_MAX 1000000          /* shards in one list */

struct ix_shards {
    size_t n;
    char **names;               /* as listed */
    tsr_index **sub;            /* open shards, in list order */
    int64_t *base;              /* first document number of each */
    int lock_fd;                /* the directory's writer lock (writers) */
    unsigned flags;             /* as opened */
};

/* ------------------------------------------------------------------------
 * The list
 * --------------------------------------------------------------------- */

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

/* "." or "shard-" and decimal digits. */
static int name_ok(const char *s)
{
    if (!strcmp(s, ".")) return 1;
    if (strncmp(s, SH_PREFIX, strlen(SH_PREFIX))) return 0;
    const char *d = s + strlen(SH_PREFIX);
    if (!*d || strlen(d) > 18) return 0;
    for (; *d; d++)
        if (*d < '0' || *d > '9') return 0;
    return 1;
}

/* The shard's number (-1 for "."). */
static int64_t name_number(const char *s)
{
    return strcmp(s, ".") ? (int64_t)strtoll(s + strlen(SH_PREFIX), NULL, 10) : -1;
}

static char *shard_path(const char *dir, const char *name)
{
    return strcmp(name, ".") ? ix_path_join(dir, name) : tsr_strndup(dir, strlen(dir));
}

/* Read dir/shards.  TSR_ERR_NOTFOUND when there is none. */
static int list_read(const char *dir, char ***names, size_t *n, tsr_error *err)
{
    *names = NULL;
    *n = 0;
    char *path = ix_path_join(dir, SH_LIST);
    TSR_CHECK_ALLOC(path, err);
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        int rc = tsr_seterr(err, e == ENOENT ? TSR_ERR_NOTFOUND : TSR_ERR_IO, "%s: %s", path,
                            strerror(e));
        free(path);
        return rc;
    }
    TSR_VEC(char *) v = { 0 };
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t lineno = 0;
    int rc = TSR_OK;
    while (rc == TSR_OK && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n') line[--len] = 0;
        if (lineno == 1) {
            if (strncmp(line, "tessera-shards ", 15))
                rc = tsr_seterr(err, TSR_ERR_FORMAT, "%s:1: not a tessera shard list", path);
            else if (strcmp(line, SH_MAGIC))
                rc = tsr_seterr(err, TSR_ERR_VERSION, "%s:1: shard list version %s; this "
                                "build reads version 1", path, line + 15);
            continue;
        }
        if (!name_ok(line)) {
            rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s:%" PRIu64 ": bad shard name '%.40s'",
                            path, lineno, line);
            break;
        }
        for (size_t i = 0; i < v.n; i++)
            if (!strcmp(v.a[i], line))
                rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s:%" PRIu64 ": shard %s listed twice",
                                path, lineno, line);
        char *s = tsr_strndup(line, (size_t)len);
        if (rc == TSR_OK && (!s || v.n >= SH_MAX || tsr_vec_push(&v, s))) {
            free(s);
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory", path);
        } else if (rc != TSR_OK) {
            free(s);
        }
    }
    if (rc == TSR_OK && ferror(f))
        rc = tsr_seterr(err, TSR_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc == TSR_OK && v.n == 0)
        rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: lists no shard", path);
    free(line);
    fclose(f);
    free(path);
    if (rc != TSR_OK) {
        names_free(v.a, v.n);
        return rc;
    }
    *names = v.a;
    *n = v.n;
    return TSR_OK;
}

/* Write dir/shards atomically: temporary file, fsync, rename, fsync dir. */
static int list_write(const char *dir, char *const *names, size_t n, tsr_error *err)
{
    char *path = ix_path_join(dir, SH_LIST), *tmp = ix_path_join(dir, SH_LIST ".tmp");
    int rc = path && tmp ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    FILE *f = rc == TSR_OK ? fopen(tmp, "w") : NULL;
    if (rc == TSR_OK && !f)
        rc = tsr_seterr(err, tsr_io_status(errno), "%s: %s", tmp, strerror(errno));
    if (f) {
        fprintf(f, "%s\n", SH_MAGIC);
        for (size_t i = 0; i < n; i++) fprintf(f, "%s\n", names[i]);
        if (fflush(f) != 0 || fsync(fileno(f)) != 0)
            rc = tsr_seterr(err, tsr_io_status(errno), "%s: %s",
                            tmp, strerror(errno));
        if (fclose(f) != 0 && rc == TSR_OK)
            rc = tsr_seterr(err, tsr_io_status(errno), "%s: %s", tmp, strerror(errno));
        if (rc == TSR_OK && rename(tmp, path) != 0)
            rc = tsr_seterr(err, tsr_io_status(errno), "%s: %s", path, strerror(errno));
        if (rc != TSR_OK) unlink(tmp);
        else rc = ix_fsync_dir(dir, err);
    }
    free(path);
    free(tmp);
    return rc;
}

int sh_detect(const char *dir)
{
    char *path = ix_path_join(dir, SH_LIST);
    struct stat st;
    int yes = path && stat(path, &st) == 0;
    free(path);
    return yes;
}

/* ------------------------------------------------------------------------
 * Opening, joining, closing
 * --------------------------------------------------------------------- */

static void shards_free(ix_shards *sh)
{
    if (!sh) return;
    for (size_t k = 0; k < sh->n; k++) tsr_index_close(sh->sub ? sh->sub[k] : NULL);
    free(sh->sub);
    free(sh->base);
    names_free(sh->names, sh->n);
    if (sh->lock_fd >= 0) close(sh->lock_fd);
    free(sh);
}

/* Open the shards `names` of `dir` (taking over `names`). */
static int shards_open(const char *dir, unsigned flags, char **names, size_t n,
                       ix_shards **out, tsr_error *err)
{
    const unsigned noverify = flags & TSR_OPEN_NOVERIFY;
    const int writable = (flags & ~TSR_OPEN_NOVERIFY) != TSR_OPEN_READONLY;
    ix_shards *sh = calloc(1, sizeof *sh);
    if (!sh) {
        names_free(names, n);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    sh->lock_fd = -1;
    sh->names = names;
    sh->n = n;
    sh->flags = flags;
    sh->sub = calloc(n, sizeof *sh->sub);
    sh->base = calloc(n, sizeof *sh->base);
    int rc = sh->sub && sh->base ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    /* a writer holds the directory's lock, as for a plain index (unless
     * the directory's own index is the one written: it takes that lock) */
    if (rc == TSR_OK && writable && strcmp(names[n - 1], "."))
        rc = ix_flock(dir, &sh->lock_fd, err);
    for (size_t k = 0; k < n && rc == TSR_OK; k++) {
        char *path = shard_path(dir, names[k]);
        if (!path) { rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory"); break; }
        const unsigned fl = (writable && k + 1 == n ? TSR_OPEN_WRITE : TSR_OPEN_READONLY);
        /* IX_OPEN_PLAIN: a shard is read as a plain index, whatever lists it holds */
        rc = tsr_index_open(path, fl | noverify | IX_OPEN_PLAIN, &sh->sub[k], err);
        if (rc == TSR_ERR_NOTFOUND)
            rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s/%s lists shard %s, which is missing",
                            dir, SH_LIST, names[k]);
        /* through-numbering has no room for gaps: documents are never
         * removed from a shard (tsr_index_remove refuses; this catches a
         * plain index that had some before it was made one) */
        if (rc == TSR_OK && sh->sub[k]->meta.removals)
            rc = tsr_seterr(err, TSR_ERR_INVALID, "%s: documents were removed from this index,"
                            " so it cannot be a shard of %s", path, dir);
        if (rc == TSR_OK && k > 0 && (sh->sub[k]->meta.ngram != sh->sub[0]->meta.ngram ||
                                      sh->sub[k]->meta.window != sh->sub[0]->meta.window))
            rc = tsr_seterr(err, TSR_ERR_CORRUPT, "%s: fingerprint parameters differ from "
                            "shard %s's", path, names[0]);
        free(path);
    }
    if (rc == TSR_OK && writable) {   /* the duplicate rule spans the shards */
        sh->sub[n - 1]->peers = sh->sub;
        sh->sub[n - 1]->npeers = n - 1;
    }
    if (rc != TSR_OK) {
        shards_free(sh);
        return rc;
    }
    *out = sh;
    return TSR_OK;
}

int sh_open(tsr_index *ix, unsigned flags, tsr_error *err)
{
    char **names;
    size_t n;
    TSR_FORWARD(list_read(ix->dir, &names, &n, err));
    TSR_FORWARD(shards_open(ix->dir, flags, names, n, &ix->sh, err));
    ix->writable = (flags & ~TSR_OPEN_NOVERIFY) != TSR_OPEN_READONLY;
    return sh_rebuild(ix, err);
}

void sh_close(tsr_index *ix)
{
    shards_free(ix->sh);
    ix->sh = NULL;
}

/* Join the shards: bases, summed counts, the segments in order. */
int sh_rebuild(tsr_index *ix, tsr_error *err)
{
    ix_shards *sh = ix->sh;
    int64_t base = 0;
    size_t nsegs = 0;
    cat_meta m;
    memset(&m, 0, sizeof m);
    for (size_t k = 0; k < sh->n; k++) {
        const tsr_index *s = sh->sub[k];
        /* through-numbering needs each shard numbered 0..docs-1 */
        if (s->nsegs && (int64_t)s->rows[s->nsegs - 1].doc_hi + 1 != (int64_t)s->meta.docs)
            return tsr_seterr(err, TSR_ERR_CORRUPT, "%s: documents are not numbered 0..%"
                              PRIu64 " (last %u)", s->dir, s->meta.docs - 1,
                              s->rows[s->nsegs - 1].doc_hi);
        sh->base[k] = base;
        base += (int64_t)s->meta.docs;
        if (base > (int64_t)UINT32_MAX + 1)
            return tsr_seterr(err, TSR_ERR_TOOBIG, "%s: more than 2^32 documents in all",
                              ix->dir);
        nsegs += s->nsegs;
        m.docs += s->meta.docs;
        m.text_bytes += s->meta.text_bytes;
        m.stored_bytes += s->meta.stored_bytes;
        m.commits += s->meta.commits;
        m.generation += s->meta.generation;
    }
    seg_file **segs = malloc((nsegs ? nsegs : 1) * sizeof *segs);
    TSR_CHECK_ALLOC(segs, err);
    size_t i = 0;
    for (size_t k = 0; k < sh->n; k++)
        for (size_t j = 0; j < sh->sub[k]->nsegs; j++) {
            segs[i] = sh->sub[k]->segs[j];
            segs[i++]->base = (uint32_t)sh->base[k];
        }
    m.format = sh->sub[0]->meta.format;
    m.ngram = sh->sub[0]->meta.ngram;
    m.window = sh->sub[0]->meta.window;
    m.generation += sh->n;  /* a new shard changes it even when empty */
    free(ix->segs);
    ix->segs = segs;
    ix->nsegs = nsegs;
    ix->meta = m;
    tsr_params_default(&ix->fp);
    ix->fp.ngram = m.ngram;
    ix->fp.window = m.window;
    ix->peers = sh->sub;
    ix->npeers = sh->n;
    return TSR_OK;
}

tsr_index *sh_writer(tsr_index *ix)
{
    return ix->sh->sub[ix->sh->n - 1];
}

/* Whether `names` (n of them, read from the list) are the handle's shards. */
static int same_shards(const ix_shards *sh, char *const *names, size_t n)
{
    int same = n == sh->n;
    for (size_t k = 0; same && k < n; k++) same = !strcmp(names[k], sh->names[k]);
    return same;
}

int sh_stale(tsr_index *ix, int *stale, tsr_error *err)
{
    ix_shards *sh = ix->sh;
    char **names;
    size_t n;
    *stale = 0;
    TSR_FORWARD(list_read(ix->dir, &names, &n, err));
    int same = same_shards(sh, names, n);
    names_free(names, n);
    int rc = TSR_OK;
    for (size_t k = 0; same && k < sh->n && rc == TSR_OK; k++) {
        uint64_t gen;   /* a shard is a plain index: one catalog read */
        rc = cat_generation(sh->sub[k]->cat, &gen, err);
        same = gen == sh->sub[k]->meta.generation;
    }
    *stale = rc == TSR_OK && !same;
    return rc;
}

int sh_refresh(tsr_index *ix, tsr_error *err)
{
    ix_shards *sh = ix->sh;
    char **names;
    size_t n;
    TSR_FORWARD(list_read(ix->dir, &names, &n, err));
    const int same = same_shards(sh, names, n);
    const uint64_t docs = ix->meta.docs;
    int rc = TSR_OK;
    if (same) {
        names_free(names, n);
        for (size_t k = 0; k < sh->n && rc == TSR_OK; k++)
            rc = tsr_index_refresh(sh->sub[k], err);
        if (rc == TSR_OK) rc = sh_rebuild(ix, err);
    } else {
        ix_shards *old = sh;
        rc = shards_open(ix->dir, old->flags, names, n, &ix->sh, err);
        if (rc == TSR_OK) rc = sh_rebuild(ix, err);
        if (rc == TSR_OK) shards_free(old);
        else { if (ix->sh != old) shards_free(ix->sh); ix->sh = old; }
    }
    /* documents never change once committed, unless a shard was replaced */
    if (rc == TSR_OK && ix->cache && ix->meta.docs < docs)
        dc_clear(ix->cache);
    return rc;
}

/* ------------------------------------------------------------------------
 * Documents
 * --------------------------------------------------------------------- */

/* The shard holding document `docno`, or -1. */
static ssize_t shard_of(const ix_shards *sh, int64_t docno)
{
    size_t lo = 0, hi = sh->n;
    while (lo < hi) {   /* the last shard whose base is <= docno */
        const size_t mid = lo + (hi - lo) / 2;
        if (sh->base[mid] <= docno) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return -1;
    const size_t k = lo - 1;
    return docno - sh->base[k] < (int64_t)sh->sub[k]->meta.docs ? (ssize_t)k : -1;
}

int sh_get(tsr_index *ix, const char *id, int64_t docno, int with_text,
           tsr_document **out, tsr_error *err)
{
    ix_shards *sh = ix->sh;
    if (id) {
        for (size_t k = 0; k < sh->n; k++) {
            int rc = tsr_index_get(sh->sub[k], id, out, err);
            if (rc == TSR_ERR_NOTFOUND) continue;
            if (rc == TSR_OK) (*out)->docno += sh->base[k];
            return rc;
        }
        return tsr_seterr(err, TSR_ERR_NOTFOUND, "%s: no document '%s'", ix->dir, id);
    }
    const ssize_t k = shard_of(sh, docno);
    if (k < 0)
        return tsr_seterr(err, TSR_ERR_NOTFOUND, "%s: no document %" PRId64, ix->dir, docno);
    const int64_t local = docno - sh->base[k];
    int rc = with_text ? tsr_index_get_docno(sh->sub[k], local, out, err)
                       : tsr_index_get_info(sh->sub[k], local, out, err);
    if (rc == TSR_OK) (*out)->docno = docno;
    return rc;
}

int sh_docs_fetch(tsr_index *ix, const int64_t *docnos, size_t n, ix_docs **out,
                  tsr_error *err)
{
    ix_shards *sh = ix->sh;
    ix_docs *b = calloc(1, sizeof *b);
    TSR_CHECK_ALLOC(b, err);
    b->ix = ix;
    b->n = n;
    b->nparts = sh->n;
    b->meta = calloc(n + 1, sizeof *b->meta);
    b->parts = calloc(sh->n, sizeof *b->parts);
    b->part_of = calloc(n + 1, sizeof *b->part_of);
    b->part_idx = calloc(n + 1, sizeof *b->part_idx);
    int64_t *loc = malloc((n + 1) * sizeof *loc);
    size_t *which = malloc((n + 1) * sizeof *which);
    int rc = b->meta && b->parts && b->part_of && b->part_idx && loc && which
                 ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == TSR_OK; i++) {
        const ssize_t k = shard_of(sh, docnos[i]);
        if (k < 0)
            rc = tsr_seterr(err, TSR_ERR_NOTFOUND, "%s: no document %" PRId64, ix->dir,
                            docnos[i]);
        else
            b->part_of[i] = (size_t)k;
    }
    for (size_t k = 0; k < sh->n && rc == TSR_OK; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (b->part_of[i] == k) {
                loc[m] = docnos[i] - sh->base[k];
                which[m++] = i;
            }
        if (m == 0) continue;
        rc = ix_docs_fetch(sh->sub[k], loc, m, &b->parts[k], err);
        for (size_t j = 0; j < m && rc == TSR_OK; j++) {
            const size_t i = which[j];
            b->part_idx[i] = j;
            b->meta[i] = *ix_docs_meta(b->parts[k], j);
            b->meta[i].docno = docnos[i];
        }
    }
    free(loc);
    free(which);
    if (rc != TSR_OK) {
        ix_docs_free(b);
        return rc;
    }
    *out = b;
    return TSR_OK;
}

int sh_read_begin(tsr_index *ix, tsr_error *err)
{
    ix_shards *sh = ix->sh;
    for (size_t k = 0; k < sh->n; k++) {
        int rc = ix_read_begin(sh->sub[k], err);
        if (rc != TSR_OK) {
            while (k-- > 0) ix_read_end(sh->sub[k]);
            return rc;
        }
    }
    return TSR_OK;
}

void sh_read_end(tsr_index *ix)
{
    for (size_t k = 0; k < ix->sh->n; k++) ix_read_end(ix->sh->sub[k]);
}

/* ------------------------------------------------------------------------
 * Counts and verification
 * --------------------------------------------------------------------- */

int sh_stats(tsr_index *ix, tsr_stats *out, tsr_error *err)
{
    ix_shards *sh = ix->sh;
    memset(out, 0, sizeof *out);
    for (size_t k = 0; k < sh->n; k++) {
        tsr_stats s;
        TSR_FORWARD(tsr_index_stats(sh->sub[k], &s, err));
        out->documents += s.documents;
        out->text_bytes += s.text_bytes;
        out->stored_bytes += s.stored_bytes;
        out->segments += s.segments;
        out->postings += s.postings;
        out->postings_bytes += s.postings_bytes;
        out->catalog_bytes += s.catalog_bytes;
        out->commits += s.commits;
    }
    out->shards = sh->n;
    return TSR_OK;
}

typedef struct {
    tsr_verify_fn fn;
    void *ud;
    const char *shard;
} sh_vctx;

/* A shard's file, named from the index directory. */
static void sh_report(void *ud, const char *file, int status, const char *msg)
{
    sh_vctx *v = ud;
    if (!v->fn) return;
    char name[4200];
    if (strcmp(v->shard, ".")) snprintf(name, sizeof name, "%s/%s", v->shard, file);
    else snprintf(name, sizeof name, "%s", file);
    v->fn(v->ud, name, status, msg);
}

int sh_verify(tsr_index *ix, tsr_verify_fn fn, void *ud, tsr_error *err)
{
    ix_shards *sh = ix->sh;
    int first = TSR_OK;
    tsr_error e = { 0 };
    if (!ix->writable && (first = sh_refresh(ix, &e)) != TSR_OK) {
        if (fn) fn(ud, SH_LIST, first, e.message);
        if (err) *err = e;
        return first;
    }
    sh = ix->sh;
    for (size_t k = 0; k < sh->n; k++) {
        sh_vctx v = { fn, ud, sh->names[k] };
        tsr_error se = { 0 };
        int rc = tsr_index_verify(sh->sub[k], sh_report, &v, &se);
        if (rc != TSR_OK && first == TSR_OK) {
            first = rc;
            e = se;
        }
    }
    if (fn) {
        char msg[256];
        snprintf(msg, sizeof msg, "ok: %zu shards, %" PRIu64 " documents", sh->n,
                 ix->meta.docs);
        fn(ud, SH_LIST, TSR_OK, msg);
    }
    if (first != TSR_OK && err) *err = e;
    return first;
}

/* ------------------------------------------------------------------------
 * Building shards (public)
 * --------------------------------------------------------------------- */

static void number_name(uint64_t number, char *buf, size_t n)
{
    snprintf(buf, n, SH_PREFIX "%06" PRIu64, number);
}

/* Whether dir holds a plain index of its own (a catalog). */
static int has_catalog(const char *dir)
{
    char *p = ix_path_join(dir, "catalog.sqlite");
    struct stat st;
    int yes = p && stat(p, &st) == 0;
    free(p);
    return yes;
}

/* The listed names, or none; TSR_OK without a list. */
static int list_or_none(const char *dir, char ***names, size_t *n, tsr_error *err)
{
    int rc = list_read(dir, names, n, err);
    return rc == TSR_ERR_NOTFOUND ? TSR_OK : rc;
}

static int listed(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return 1;
    return 0;
}

/* Remove a shard directory and the files in it (an index has no
 * subdirectories). */
static int rm_shard_dir(const char *path, tsr_error *err)
{
    DIR *d = opendir(path);
    if (!d) return errno == ENOENT ? TSR_OK
                                   : tsr_seterr(err, TSR_ERR_IO, "%s: %s", path, strerror(errno));
    struct dirent *e;
    int rc = TSR_OK;
    while ((e = readdir(d)) != NULL && rc == TSR_OK) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *p = ix_path_join(path, e->d_name);
        if (!p) rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        else if (unlink(p) != 0 && errno != ENOENT)
            rc = tsr_seterr(err, TSR_ERR_IO, "%s: %s", p, strerror(errno));
        free(p);
    }
    closedir(d);
    if (rc == TSR_OK && rmdir(path) != 0 && errno != ENOENT)
        rc = tsr_seterr(err, TSR_ERR_IO, "%s: %s", path, strerror(errno));
    return rc;
}

/* Remove the directory of shard `number` of dir, which the list must not
 * hold (TSR_ERR_INVALID); *path (free it) gets its path, *nlisted the
 * number of shards listed. */
static int clear_unlisted(const char *dir, uint64_t number, char **path, size_t *nlisted,
                          tsr_error *err)
{
    char name[64];
    number_name(number, name, sizeof name);
    char **names = NULL;
    size_t n = 0;
    *path = NULL;
    TSR_FORWARD(list_or_none(dir, &names, &n, err));
    const int taken = listed(names, n, name);
    names_free(names, n);
    *nlisted = n;
    if (taken)
        return tsr_seterr(err, TSR_ERR_INVALID, "%s: shard %s is listed", dir, name);
    *path = ix_path_join(dir, name);
    TSR_CHECK_ALLOC(*path, err);
    return rm_shard_dir(*path, err);
}

int tsr_shard_next(const char *dir, uint64_t *first, tsr_error *err)
{
    if (!dir || !first) return tsr_seterr(err, TSR_ERR_INVALID, "tsr_shard_next: NULL argument");
    char **names = NULL;
    size_t n = 0;
    TSR_FORWARD(list_or_none(dir, &names, &n, err));
    uint64_t next = 0;
    for (size_t i = 0; i < n; i++) {
        const int64_t k = name_number(names[i]);
        if (k >= 0 && (uint64_t)k + 1 > next) next = (uint64_t)k + 1;
    }
    names_free(names, n);
    *first = next;
    return TSR_OK;
}

int tsr_shard_create(const char *dir, uint64_t number, tsr_index **out, tsr_error *err)
{
    if (out) *out = NULL;
    if (!dir || !out) return tsr_seterr(err, TSR_ERR_INVALID, "tsr_shard_create: NULL argument");
    if (mkdir(dir, 0777) == 0) TSR_FORWARD(ix_fsync_parent(dir, err));
    else if (errno != EEXIST)
        return tsr_seterr(err, tsr_io_status(errno), "%s: cannot create: %s", dir, strerror(errno));
    char *path = NULL;
    size_t n = 0;
    int rc = clear_unlisted(dir, number, &path, &n, err);   /* what a failed build left */
    if (rc == TSR_OK) rc = tsr_index_open(path, TSR_OPEN_CREATE, out, err);
    free(path);
    if (rc == TSR_OK && (n > 0 || has_catalog(dir))) {
        /* ids already in the index count as taken */
        tsr_index *peer = NULL;
        rc = tsr_index_open(dir, TSR_OPEN_READONLY | TSR_OPEN_NOVERIFY, &peer, err);
        if (rc == TSR_OK) {
            (*out)->peer_owned = peer;
            (*out)->peers = &(*out)->peer_owned;
            (*out)->npeers = 1;
        } else {
            tsr_index_close(*out);
            *out = NULL;
        }
    }
    return rc;
}

int tsr_shard_publish(const char *dir, const uint64_t *numbers, size_t n, tsr_error *err)
{
    if (!dir || (n && !numbers))
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_shard_publish: NULL argument");
    if (n == 0) return TSR_OK;
    int fd = -1;
    char **names = NULL;
    size_t nn = 0;
    int rc = ix_flock(dir, &fd, err);
    if (rc == TSR_OK) rc = list_or_none(dir, &names, &nn, err);
    char **all = NULL;
    size_t na = 0;
    if (rc == TSR_OK && !(all = calloc(nn + n + 1, sizeof *all)))
        rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    if (rc == TSR_OK && nn == 0 && has_catalog(dir)) {
        /* the plain index here becomes shard ".": not one with removals */
        tsr_index *here = NULL;
        rc = tsr_index_open(dir, TSR_OPEN_READONLY | TSR_OPEN_NOVERIFY | IX_OPEN_PLAIN, &here,
                            err);
        if (rc == TSR_OK && here->meta.removals)
            rc = tsr_seterr(err, TSR_ERR_INVALID, "%s: documents were removed from the index "
                            "here: it cannot become a sharded index", dir);
        tsr_index_close(here);
        if (rc == TSR_OK)
            rc = (all[na++] = tsr_strndup(".", 1)) ? TSR_OK
                                                   : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nn && rc == TSR_OK; i++) { all[na++] = names[i]; names[i] = NULL; }
    for (size_t i = 0; i < n && rc == TSR_OK; i++) {
        char name[64];
        number_name(numbers[i], name, sizeof name);
        char *p = ix_path_join(dir, name);
        if (!p) { rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory"); break; }
        if (listed(all, na, name))
            rc = tsr_seterr(err, TSR_ERR_INVALID, "%s: shard %s is already listed", dir, name);
        else if (!has_catalog(p))
            rc = tsr_seterr(err, TSR_ERR_NOTFOUND, "%s: no shard built here", p);
        else if (!(all[na++] = tsr_strndup(name, strlen(name))))
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        free(p);
    }
    if (rc == TSR_OK) rc = list_write(dir, all, na, err);
    names_free(all, na);
    names_free(names, nn);
    if (fd >= 0) close(fd);
    return rc;
}

int tsr_shard_drop(const char *dir, uint64_t number, tsr_error *err)
{
    if (!dir) return tsr_seterr(err, TSR_ERR_INVALID, "tsr_shard_drop: NULL argument");
    char *path = NULL;
    size_t n = 0;
    const int rc = clear_unlisted(dir, number, &path, &n, err);
    free(path);
    return rc;
}
