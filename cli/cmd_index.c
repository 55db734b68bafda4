/*
 * cmd_index.c - `tessera index`: add documents to an index.
 */
#define _XOPEN_SOURCE 700  /* nftw */
#include "cli.h"
#include "feed.h"
#include "mpi.h"

#include <dirent.h>
#include <errno.h>
#include <strings.h>
#include <ftw.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char index_help[] =
"Usage: tessera index [OPTIONS] --db DIR INPUT...\n"
"\n"
"Add documents to the index DIR (created when missing; a run that created it\n"
"and added nothing, every input failed, removes it again).  INPUT is a text file\n"
"(one document; its path is its id), a directory (read recursively; hidden\n"
"files, Spark's _SUCCESS and other _names, and .crc files left out; a binary\n"
"file, one with a NUL byte, skipped with a warning), a JSON\n"
"Lines file (.jsonl, .ndjson, .json: one {\"id\", \"text\", ...} object per line;\n"
"passim's {\"id\", \"series\", \"text\"} works as is), any of them compressed\n"
"(.gz, .zst, .bz2), or - for standard input.\n"
"\n"
"Documents are committed in batches: a crash or a kill leaves the index as of\n"
"the last completed commit.  A document whose id is already indexed is skipped\n"
"and reported: the index keeps the first document with an id.  A document\n"
"without words (an empty file, a blank record) is added and reported: it can\n"
"match nothing.\n"
"\n"
"Under mpirun (or srun), N ranks divide the inputs in order (a JSON Lines file\n"
"by byte ranges, other inputs whole), each writes a shard of its own, and the\n"
"shards are added to DIR in one step when every rank has finished: the result\n"
"reads as the index one process would build.  A failed or killed rank leaves\n"
"DIR as it was.  Standard input cannot be divided.\n"
"\n"
"Options:\n"
"      --db DIR            the index (default: $TESSERA_DB, else ./tessera.tsr)\n"
"      --id-field NAME     JSON field of the id (default id)\n"
"      --text-field NAME   JSON field of the text (default text)\n"
"      --title-field NAME  JSON field of the title (default title)\n"
"      --date-field NAME   JSON field of the date (default date)\n"
"      --series-field NAME JSON field of the source or series (default series)\n"
"      --skip-bad          skip bad records (malformed JSON, bad UTF-8, NUL\n"
"                          bytes, missing fields), count them, go on\n"
"      --allow-nul         read NUL bytes as spaces (default: refuse the text;\n"
"                          in a directory, skip the file as binary, with a\n"
"                          warning)\n"
"      --batch-mb N        commit after every N MB of text (default 256)\n"
"      --max-extra-bytes N the most bytes of a JSON line's other fields (kept as\n"
"                          the document's meta, compact) (default 1M; a larger\n"
"                          record is bad input, or skipped with --skip-bad)\n"
"      --threads N         threads that parse and fingerprint (default: all cores)\n"
"      --wait-lock[=S]     when another writer holds the index, wait for it (at\n"
"                          most S seconds; without S, as long as it takes)\n"
"                          instead of failing at once (exit 4)\n"
"  -q, --quiet             no progress bar, no summary\n"
"  -h, --help              this help\n"
"\n"
"Examples:\n"
"  tessera index --db news.tsr news.jsonl.gz\n"
"  tessera index --db docs.tsr /usr/share/common-licenses\n";

static volatile sig_atomic_t interrupted;
static int threads = -1;   /* --threads; -1: all cores */
static double wait_lock;   /* --wait-lock: seconds; -1: no limit; 0: do not wait */

/* Open `db` for writing; while another writer holds it, wait (--wait-lock)
 * and try again every tenth of a second. */
static int open_waiting(const char *db, unsigned flags, tsr_index **ix, int quiet)
{
    const double t0 = cli_now();
    int said = 0;
    for (;;) {
        tsr_error e = { 0 };
        const int st = tsr_index_open(db, TSR_OPEN_CREATE | flags, ix, &e);
        if (st != TSR_ERR_LOCKED || wait_lock == 0 || interrupted ||
            (wait_lock > 0 && cli_now() - t0 >= wait_lock))
            return st == TSR_OK ? EXIT_OK
                   : st == TSR_ERR_LOCKED && wait_lock != 0
                       ? cli_fail(EXIT_INDEX, "%s: still locked by another writer after %.1f s",
                                  db, cli_now() - t0)
                       : cli_open_index(db, TSR_OPEN_CREATE | flags, ix);
        if (!said && !quiet) {
            cli_warn("%s: another writer holds the index; waiting (--wait-lock)", db);
            said = 1;
        }
        struct timespec ts = { 0, 100000000L };
        nanosleep(&ts, NULL);
    }
}
static void on_signal(int sig) { (void)sig; interrupted = 1; }

int cli_index_interrupted(void)
{
    return interrupted != 0;
}

/* What one run of the indexing loop did. */
typedef struct {
    uint64_t added, dups, skipped, bytes, committed;
    uint64_t binary;   /* files of directories skipped as binary */
    uint64_t wordless; /* documents added without a word: they can match nothing */
} ix_counts;

/* Whether a text has no word for certain: empty, or short (the only ones
 * looked at: the check is on the appending thread) with no ASCII letter
 * or digit and no byte of a multibyte character, which may be a letter. */
static int wordless(const tsr_docinfo *doc)
{
    if (doc->text_len > 256)
        return 0;
    for (size_t i = 0; i < doc->text_len; i++) {
        const unsigned char ch = (unsigned char)doc->text[i];
        if (ch >= 0x80 || (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'))
            return 0;
    }
    return 1;
}

/* The ids added, in order (kept only when a rank needs them for the
 * duplicate rule across ranks): NUL-separated in one buffer. */
typedef struct {
    char *buf;
    size_t len, cap;
    int on;
} id_list;
static id_list added_ids;

/* Append n bytes to the growable buffer *b (*len bytes used of *cap). */
static int put(char **b, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        size_t c = *cap ? *cap * 2 : 4096;
        while (c < *len + n) c *= 2;
        char *nb = realloc(*b, c);
        if (!nb) return -1;
        *b = nb;
        *cap = c;
    }
    memcpy(*b + *len, p, n);
    *len += n;
    return 0;
}



/* Commit the batch of `ix`; an exit code.  A commit that is durable but
 * followed by an error (a merge, or the reload after it, failed: the
 * library says so, and the batch is gone, tsr_index_pending() 0) counts as
 * committed, so that a run that created the index does not remove it with
 * those documents in it (red before: tests/cli/powerloss.sh's
 * "createfault eio 0 75", an I/O error in the reload after the first
 * commit, left no index). */
static int commit_batch(tsr_index *ix, const char *db, ix_counts *c)
{
    tsr_error e;
    const int st = tsr_index_commit(ix, &e);
    if (st == TSR_OK || tsr_index_pending(ix) == 0)
        c->committed = c->added;
    return st == TSR_OK ? EXIT_OK : cli_fail(cli_exit_code(st), "%s: %s", db, e.message);
}

/* Read `inputs` (input i only bytes ranges[2i]..ranges[2i+1] when
 * `ranges` is not NULL) into `ix`, committing every `batch_mb` MB of text
 * and at the end.  `db` names the index in messages.  Returns an exit code;
 * *c counts what was done. */
static int index_run(tsr_index *ix, const char *db, char *const *inputs, const uint64_t *ranges,
                     int ninputs, const tsr_reader_opts *ro, long batch_mb, int quiet,
                     ix_counts *c)
{
    tsr_error e = { 0 };
    int rc = EXIT_OK;
    uint64_t batch_bytes = 0;
    const uint64_t batch_limit = (uint64_t)batch_mb << 20;
    memset(c, 0, sizeof *c);
    cli_progress pg;
    cli_progress_start(&pg, "indexing", !quiet);

    cli_feed *feed = NULL;
    /* --threads 1: one thread of work (the consumer parses), else a reader
     * thread that parses (with a helper per FEED_PARSE_CORES cores beyond
     * the first six) while this one fingerprints */
    if (cli_feed_start_ranges(&feed, inputs, ranges, ninputs, ro,
                              threads == 1 ? 0 : cli_feed_parse_threads(threads)) != 0)
        return cli_fail(EXIT_SYSTEM, "cannot start the reader thread");
    cli_batch *bt = NULL;
    int got = 0;
    int *status = malloc(CLI_FEED_BATCH_DOCS * sizeof *status);
    tsr_error *errs = malloc(CLI_FEED_BATCH_DOCS * sizeof *errs);
    if (!status || !errs) {
        free(status); free(errs);
        cli_feed_stop(feed);
        return cli_fail(EXIT_SYSTEM, "out of memory");
    }
    while (rc == EXIT_OK && !interrupted && (got = cli_feed_next(feed, &bt)) == 1) {
        const char *input = inputs[cli_batch_input(bt)];
        /* parsed on all cores by the reader thread; a bad record ends the batch */
        const int bad = cli_batch_parse(feed, bt, 0);
        const size_t nb = cli_batch_count(bt);
        /* in pieces that end where a commit is due, so that commits fall
         * every --batch-mb of text, as with one document at a time */
        for (size_t lo = 0; lo < nb && rc == EXIT_OK;) {
            size_t hi = lo;
            uint64_t bytes = batch_bytes;
            while (hi < nb && bytes < batch_limit)
                bytes += cli_batch_doc(bt, hi++)->text_len;
            /* prepared on all cores, added in input order */
            int st = tsr_index_add_batch(ix, cli_batch_doc(bt, lo), hi - lo,
                                         threads > 0 ? threads : 0, status, errs, &e);
            if (st != TSR_OK) {
                rc = cli_fail(cli_exit_code(st), "%s: %s", db, e.message);
                break;
            }
            for (size_t i = lo; i < hi && rc == EXIT_OK; i++) {
                const tsr_docinfo *doc = cli_batch_doc(bt, i);
                st = status[i - lo];
                if (st == TSR_ERR_DUPLICATE) {
                    if (c->dups < 5) {
                        cli_progress_end(&pg);
                        cli_warn("duplicate id '%s' skipped (the index keeps the first)", doc->id);
                    }
                    c->dups++;
                    continue;
                }
                if (st != TSR_OK && ro->skip_bad &&
                    (st == TSR_ERR_UTF8 || st == TSR_ERR_NUL || st == TSR_ERR_TOOBIG)) {
                    c->skipped++;
                    continue;
                }
                if (st != TSR_OK) {
                    rc = cli_fail(cli_exit_code(st), "%s: document '%s': %s", input, doc->id,
                                  errs[i - lo].message);
                    break;
                }
                if (added_ids.on && put(&added_ids.buf, &added_ids.len, &added_ids.cap,
                                        doc->id, strlen(doc->id) + 1) != 0) {
                    rc = cli_fail(EXIT_SYSTEM, "out of memory");
                    break;
                }
                if (wordless(doc)) {
                    if (c->wordless < 5) {
                        cli_progress_end(&pg);
                        cli_warn("%s: document '%s' has no words: indexed, it can match nothing",
                                 input, doc->id);
                    }
                    c->wordless++;
                }
                c->added++;
                batch_bytes += doc->text_len;
                c->bytes += doc->text_len;
            }
            if (rc == EXIT_OK && batch_bytes >= batch_limit) {
                rc = commit_batch(ix, db, c);
                batch_bytes = 0;
            }
            lo = hi;
        }
        /* a bad record: reported as a reading error, after the documents
         * before it, as when the reader stopped there */
        if (bad != TSR_OK && rc == EXIT_OK && !interrupted)
            rc = cli_read_fail(bad, cli_batch_error(bt));
        cli_batch_free(bt);
        bt = NULL;
        uint64_t done, total;
        cli_feed_progress(feed, &done, &total);
        cli_progress_update(&pg, done, total, c->added, 0);
    }
    if (rc == EXIT_OK && !interrupted && got < 0)
        rc = cli_feed_fail(feed);
    for (int a = 0; a < ninputs; a++) {
        const char *last = NULL;
        uint64_t sk = cli_feed_skipped(feed, a, &last);
        c->skipped += sk;
        if (sk && !quiet)
            cli_warn("%s: skipped %llu bad records; last: %s", inputs[a],
                     (unsigned long long)sk, last ? last : "?");
    }
    c->binary = cli_feed_binary(feed);
    cli_feed_stop(feed);
    free(status);
    free(errs);
    cli_progress_end(&pg);
    if (rc == EXIT_OK) {
        /* a clean end, or an interrupt: commit what was read */
        rc = commit_batch(ix, db, c);
    } else if (c->committed < c->added) {
        cli_warn("%llu documents of the failed batch were not added; the index is as of "
                 "its last commit (%llu documents added by this run)",
                 (unsigned long long)(c->added - c->committed),
                 (unsigned long long)c->committed);
    }
    return rc;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p) != 0 ? -1 : 0;
}

/* A run that created the index `db` and added nothing to it (every input
 * failed) leaves no empty index behind.  The directory is renamed away
 * while this run still holds the writer lock, so that a writer waiting for
 * the lock starts a new index rather than adding to one being removed;
 * then the index is closed and the renamed directory, whose every file
 * this run made, is removed.  Closes *ix.  Returns 0, or -1 when the
 * index stays (message printed). */
static int drop_new_index(const char *db, tsr_index **ix)
{
    size_t n = strlen(db);
    while (n > 1 && db[n - 1] == '/') n--;
    char *away = malloc(n + 48);
    int rc = -1;

    if (away) {
        snprintf(away, n + 48, "%.*s.failed-%ld", (int)n, db, (long)getpid());
        if (rename(db, away) == 0) {
            tsr_index_close(*ix);
            *ix = NULL;
            rc = nftw(away, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
            if (rc != 0)
                cli_warn("%s: could not remove the empty index this run made (moved to %s): %s",
                         db, away, strerror(errno));
        } else {
            cli_warn("%s: could not remove the empty index this run made: %s", db,
                     strerror(errno));
        }
    }
    free(away);
    tsr_index_close(*ix);
    *ix = NULL;
    return rc;
}

static void summary(const char *db, const ix_counts *c, double el)
{
    char more[160] = "";   /* the counts printed only when not 0 */
    int at = 0;
    if (c->binary)
        at = snprintf(more, sizeof more, "; %llu binary files skipped",
                      (unsigned long long)c->binary);
    if (c->wordless && at >= 0 && (size_t)at < sizeof more)
        snprintf(more + at, sizeof more - (size_t)at, "; %llu documents without words",
                 (unsigned long long)c->wordless);
    fprintf(stderr, "%s: %s: added %llu documents (%.1f MB) in %.1f s, %.1f MB/s; "
            "%llu duplicate ids skipped; %llu bad records skipped%s\n", cli_prog, db,
            (unsigned long long)c->committed, c->bytes / 1e6, el,
            el > 0 ? c->bytes / 1e6 / el : 0.0, (unsigned long long)c->dups,
            (unsigned long long)c->skipped, more);
}

/* ------------------------------------------------------------------------
 * Several ranks (MPI)
 * --------------------------------------------------------------------- */

/* A JSON Lines file that a byte range may cut: uncompressed, by name. */
static int splittable(const char *path, const struct stat *st)
{
    if (!S_ISREG(st->st_mode)) return 0;
    static const char *ext[] = { ".jsonl", ".ndjson", ".json" };
    const size_t n = strlen(path);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        const size_t k = strlen(ext[i]);
        if (n > k && !strcasecmp(path + n - k, ext[i])) return 1;
    }
    return 0;
}

static uint64_t walk_bytes;
static int walk_add(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)p; (void)f;
    if (flag == FTW_F && S_ISREG(st->st_mode)) walk_bytes += (uint64_t)st->st_size;
    return 0;
}

/* This rank's part of the inputs.  The inputs, one after another, make
 * one stream of T bytes (a directory counts the bytes of its files); rank
 * r of N takes bytes [r T / N, (r + 1) T / N): of a JSON Lines file the
 * records that start there (a byte range), of any other input all of it
 * when the input starts there.  So the parts follow the input order, and
 * the shards in rank order hold the documents in the order one process
 * would add them.  Every rank computes the same plan. */
static int plan_part(char *const *inputs, int n, int rank, int size, char ***pin,
                     uint64_t **pranges, int *pn)
{
    uint64_t *w = calloc((size_t)n + 1, sizeof *w);
    int *split = calloc((size_t)n + 1, sizeof *split);
    char **in = calloc((size_t)n + 1, sizeof *in);
    uint64_t *rg = calloc(2 * (size_t)n + 2, sizeof *rg);
    if (!w || !split || !in || !rg) {
        free(w); free(split); free(in); free(rg);
        return cli_fail(EXIT_SYSTEM, "out of memory");
    }
    uint64_t total = 0;
    int rc = EXIT_OK;
    for (int i = 0; i < n && rc == EXIT_OK; i++) {
        struct stat st;
        if (!strcmp(inputs[i], "-"))
            rc = cli_usage_error("index", "standard input cannot be divided among %d ranks; "
                                 "give files", size);
        else if (stat(inputs[i], &st) != 0)
            rc = cli_fail(EXIT_INPUT, "%s: %s", inputs[i], strerror(errno));
        else if (S_ISDIR(st.st_mode)) {
            walk_bytes = 0;
            nftw(inputs[i], walk_add, 16, FTW_PHYS);
            w[i] = walk_bytes;
        } else {
            w[i] = (uint64_t)st.st_size;
            split[i] = splittable(inputs[i], &st);
        }
        total += w[i];
    }
    const uint64_t lo = total / (uint64_t)size * (uint64_t)rank +
                        total % (uint64_t)size * (uint64_t)rank / (uint64_t)size;
    const uint64_t hi = rank + 1 == size ? UINT64_MAX
                        : total / (uint64_t)size * (uint64_t)(rank + 1) +
                          total % (uint64_t)size * (uint64_t)(rank + 1) / (uint64_t)size;
    int k = 0;
    uint64_t off = 0;
    for (int i = 0; i < n && rc == EXIT_OK; i++) {
        const uint64_t b = off, e = off + w[i];
        off = e;
        if (split[i] && w[i] > 0) {
            const uint64_t from = b > lo ? b : lo, to = e < hi ? e : hi;
            if (from >= to) continue;
            in[k] = inputs[i];
            rg[2 * k] = from - b;
            rg[2 * k + 1] = to == e ? 0 : to - b;   /* 0: to the end */
            k++;
        } else if (b >= lo && b < hi) {
            in[k] = inputs[i];   /* whole, where it starts */
            k++;
        }
    }
    free(w);
    free(split);
    if (rc != EXIT_OK) { free(in); free(rg); return rc; }
    *pin = in;
    *pranges = rg;
    *pn = k;
    return EXIT_OK;
}

static uint64_t fnv64(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* One id of a shard, as exchanged: hash, docno, length, then the bytes. */
typedef struct { uint64_t hash; uint32_t docno, len; } id_rec;

typedef struct {
    uint64_t hash;
    int rank;
    uint32_t docno;
    const char *id;
    uint32_t len;
} id_ent;

static int ent_cmp(const void *x, const void *y)
{
    const id_ent *a = x, *b = y;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    return a->docno < b->docno ? -1 : a->docno > b->docno;
}

/* The duplicate rule across ranks: an id that several ranks' shards hold
 * stays in the first (by rank, so by input order).  Each rank sends its
 * ids to the rank their hash names, which finds the repeats and tells
 * their ranks; *drop (free it) gets this rank's docnos to leave out. */

static int find_dups(uint64_t ndocs, uint32_t **drop, size_t *ndrop)
{
    const int size = cli_mpi_size();
    *drop = NULL;
    *ndrop = 0;
    char **buf = calloc((size_t)size, sizeof *buf);
    size_t *len = calloc((size_t)size, sizeof *len), *cap = calloc((size_t)size, sizeof *cap);
    int rc = buf && len && cap ? EXIT_OK : cli_fail(EXIT_SYSTEM, "out of memory");
    const char *id = added_ids.buf;
    for (uint64_t d = 0; d < ndocs && rc == EXIT_OK; d++) {
        const size_t n = strlen(id);
        const id_rec r = { fnv64(id), (uint32_t)d, (uint32_t)n };
        const int to = (int)(r.hash % (uint64_t)size);
        if (put(&buf[to], &len[to], &cap[to], &r, sizeof r) ||
            put(&buf[to], &len[to], &cap[to], id, n))
            rc = cli_fail(EXIT_SYSTEM, "out of memory");
        id += n + 1;
    }
    rc = cli_mpi_max(rc);
    void *got = NULL, *back = NULL;
    size_t *rlen = calloc((size_t)size, sizeof *rlen);
    const tsr_comm *cm = cli_mpi_comm();
    char msg[200];
    char *eb = NULL;              /* id_ent records, elen of ecap bytes */
    size_t elen = 0, ecap = 0;
    if (rc == EXIT_OK && (!rlen || cm->exchange(NULL, (const void *const *)buf, len, &got,
                                                 rlen, msg, sizeof msg) != 0))
        rc = cli_fail(EXIT_SYSTEM, "exchanging ids: %s", rlen ? msg : "out of memory");
    /* the ids this rank was sent, and the repeats among them */
    const char *p = got;
    for (int j = 0; j < size && rc == EXIT_OK; j++) {
        const char *end = p + rlen[j];
        while (p < end) {
            id_rec r;
            memcpy(&r, p, sizeof r);
            const id_ent x = { r.hash, j, r.docno, p + sizeof r, r.len };
            if (put(&eb, &elen, &ecap, &x, sizeof x)) {
                rc = cli_fail(EXIT_SYSTEM, "out of memory");
                break;
            }
            p += sizeof r + r.len;
        }
    }
    for (int j = 0; len && j < size; j++) len[j] = 0;
    id_ent *ents = (id_ent *)eb;   /* realloc'ed memory: aligned for any type */
    const size_t nents = elen / sizeof *ents;
    if (rc == EXIT_OK && nents) qsort(ents, nents, sizeof *ents, ent_cmp);
    for (size_t i = 0; i < nents && rc == EXIT_OK; i++) {
        for (size_t k = i; k-- > 0 && ents[k].hash == ents[i].hash;) {
            if (ents[k].len == ents[i].len &&
                !memcmp(ents[k].id, ents[i].id, ents[i].len)) {
                const int to = ents[i].rank;   /* a later copy: tell its rank */
                if (put(&buf[to], &len[to], &cap[to], &ents[i].docno, 4))
                    rc = cli_fail(EXIT_SYSTEM, "out of memory");
                break;
            }
        }
    }
    free(eb);
    free(got);
    rc = cli_mpi_max(rc);
    if (rc == EXIT_OK && cm->exchange(NULL, (const void *const *)buf, len, &back, rlen, msg,
                                      sizeof msg) != 0)
        rc = cli_fail(EXIT_SYSTEM, "exchanging ids: %s", msg);
    if (rc == EXIT_OK) {
        size_t n = 0;
        for (int j = 0; j < size; j++) n += rlen[j] / 4;
        *drop = (uint32_t *)back;
        *ndrop = n;
        back = NULL;
    }
    free(back);
    for (int j = 0; j < size; j++) free(buf ? buf[j] : NULL);
    free(buf);
    free(len);
    free(cap);
    free(rlen);
    return rc;
}

static int u32_cmp(const void *x, const void *y)
{
    const uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Copy shard `from` of db into a new shard `to`, without the documents
 * drop[0..n) (sorted). */
static int rebuild_without(const char *db, uint64_t from, uint64_t to, const uint32_t *drop,
                           size_t n, uint64_t ndocs)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/shard-%06" PRIu64, db, from);
    tsr_index *src = NULL, *dst = NULL;
    tsr_error e;
    int st = tsr_index_open(path, TSR_OPEN_READONLY, &src, &e);
    if (st == TSR_OK) st = tsr_shard_create(db, to, &dst, &e);
    if (st == TSR_OK) st = tsr_index_read_begin(src, &e);   /* one snapshot for every get */
    uint64_t bytes = 0;
    size_t k = 0;
    for (uint64_t d = 0; d < ndocs && st == TSR_OK; d++) {
        if (k < n && drop[k] == d) { k++; continue; }
        tsr_document *doc = NULL;
        st = tsr_index_get_docno(src, (int64_t)d, &doc, &e);
        if (st != TSR_OK) break;
        tsr_docinfo di = { doc->id, doc->title, doc->date, doc->series, doc->meta_json,
                           doc->text, doc->text_len };
        st = tsr_index_add(dst, &di, &e);
        bytes += doc->text_len;
        tsr_document_free(doc);
        if (st == TSR_OK && bytes > (256u << 20)) { st = tsr_index_commit(dst, &e); bytes = 0; }
    }
    if (st == TSR_OK) st = tsr_index_commit(dst, &e);
    tsr_index_read_end(src);
    tsr_index_close(src);
    tsr_index_close(dst);
    if (st != TSR_OK) return cli_fail(cli_exit_code(st), "%s: %s", db, e.message);
    st = tsr_shard_drop(db, from, &e);
    return st == TSR_OK ? EXIT_OK : cli_fail(cli_exit_code(st), "%s", e.message);
}

/* `tessera index` on several ranks: plan, a shard each, the duplicate rule
 * across them, then rank 0 publishes the shards that hold documents. */
static int index_ranks(const char *db, char *const *inputs, int ninputs,
                       const tsr_reader_opts *ro, long batch_mb, int quiet)
{
    const int rank = cli_mpi_rank(), size = cli_mpi_size();
    double t0 = cli_now();
    char **in = NULL;
    uint64_t *ranges = NULL;
    int n = 0;
    int rc = plan_part(inputs, ninputs, rank, size, &in, &ranges, &n);
    uint64_t first = 0;
    tsr_error e;
    struct stat dbst;
    const int fresh = rank == 0 && stat(db, &dbst) != 0 && errno == ENOENT;
    if (rc == EXIT_OK && rank == 0) {
        int st = tsr_shard_next(db, &first, &e);
        if (st != TSR_OK) rc = cli_fail(cli_exit_code(st), "%s", e.message);
    }
    if ((rc = cli_mpi_max(rc)) != EXIT_OK) { free(in); free(ranges); return rc; }
    cli_mpi_bcast(&first);
    uint64_t number = first + (uint64_t)rank;
    tsr_index *ix = NULL;
    ix_counts c;
    memset(&c, 0, sizeof c);
    int st = tsr_shard_create(db, number, &ix, &e);
    if (st != TSR_OK) rc = cli_fail(cli_exit_code(st), "%s", e.message);
    added_ids.on = 1;
    if (st == TSR_OK) rc = index_run(ix, db, in, ranges, n, ro, batch_mb, quiet || rank != 0, &c);
    tsr_index_close(ix);
    free(in);
    free(ranges);
    if (rc == EXIT_OK && interrupted) rc = EXIT_INTERRUPTED;
    /* every rank finished well, or none of it counts */
    const int all = cli_mpi_max(rc);
    if (all != EXIT_OK) {
        tsr_shard_drop(db, number, &e);
        /* every shard dropped; a folder this run made goes too (rmdir: only
         * when nothing else is in it) */
        cli_mpi_max(EXIT_OK);
        if (fresh) rmdir(db);
        if (rank == 0) cli_warn("%s is unchanged: no shard of this run was added", db);
        return all;
    }
    /* the duplicate rule across the ranks' shards (the ids as added) */
    const uint64_t ndocs = c.committed;
    uint32_t *drop = NULL;
    size_t ndrop = 0;
    rc = find_dups(ndocs, &drop, &ndrop);
    free(added_ids.buf);
    memset(&added_ids, 0, sizeof added_ids);
    if (rc == EXIT_OK && ndrop) {
        qsort(drop, ndrop, sizeof *drop, u32_cmp);
        cli_warn("%zu ids of this rank's part are also in an earlier part: skipped (the "
                 "index keeps the first)", ndrop);
        rc = rebuild_without(db, number, first + (uint64_t)size + (uint64_t)rank, drop, ndrop,
                             ndocs);
        number = first + (uint64_t)size + (uint64_t)rank;
        c.committed -= ndrop;
        c.dups += ndrop;
    }
    free(drop);
    /* rank 0 lists the shards that hold documents, in rank order */
    uint64_t mine = c.committed > 0 ? number : UINT64_MAX;
    if (rc == EXIT_OK && c.committed == 0) tsr_shard_drop(db, number, &e);
    uint64_t *nums = calloc((size_t)size, sizeof *nums);
    if (!nums) rc = cli_fail(EXIT_SYSTEM, "out of memory");
    if ((rc = cli_mpi_max(rc)) == EXIT_OK) {
        cli_mpi_allgather(mine, nums);
        if (rank == 0) {
            size_t k = 0;
            for (int r = 0; r < size; r++)
                if (nums[r] != UINT64_MAX) nums[k++] = nums[r];
            st = tsr_shard_publish(db, nums, k, &e);
            if (st != TSR_OK) rc = cli_fail(cli_exit_code(st), "%s", e.message);
        }
        rc = cli_mpi_max(rc);
    }
    free(nums);
    if (rc != EXIT_OK) {
        tsr_shard_drop(db, number, &e);
        if (rank == 0) cli_warn("%s is unchanged: no shard of this run was added", db);
        return rc;
    }
    ix_counts sum = { cli_mpi_sum(c.committed), cli_mpi_sum(c.dups), cli_mpi_sum(c.skipped),
                      cli_mpi_sum(c.bytes), 0, cli_mpi_sum(c.binary),
                      cli_mpi_sum(c.wordless) };
    sum.committed = sum.added;
    const uint64_t sent = cli_mpi_sum(cli_mpi_bytes_sent());
    if (rank == 0 && !quiet) {
        summary(db, &sum, cli_now() - t0);
        fprintf(stderr, "%s: %d ranks, %" PRIu64 " bytes exchanged between them (%.1f per "
                "document)\n", cli_prog, size, sent, sum.added ? (double)sent / sum.added : 0.0);
    }
    return EXIT_OK;
}

int cmd_index(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, CLI_READER_OPTIONS,
        { "batch-mb", required_argument, 0, 'b' },
        { "allow-nul", no_argument, 0, 'N' },
        { "max-extra-bytes", required_argument, 0, 'X' },
        { "threads", required_argument, 0, 'n' }, { "wait-lock", optional_argument, 0, 'W' },
        { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
    };
    tsr_reader_opts ro;
    tsr_reader_opts_default(&ro);
    const char *db = cli_default_db();
    int quiet = 0;
    long batch_mb = 256;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hqd:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'N': ro.allow_nul = 1; break;
        case 'X': {
            uint64_t v;
            if (cli_parse_size(optarg, 1, (uint64_t)1 << 30, &v) != 0)
                return cli_usage_error("index", "--max-extra-bytes takes a size, 1 to 1G "
                                       "(K/M/G suffixes)");
            ro.max_meta_bytes = (size_t)v;
            break;
        }
        case 'b': {
            char *end;
            batch_mb = strtol(optarg, &end, 10);
            if (*end || batch_mb < 1 || batch_mb > 1 << 20)
                return cli_usage_error("index", "--batch-mb takes 1..1048576");
            break;
        }
        case 'n': {
            char *end;
            long t = strtol(optarg, &end, 10);
            if (*end || t < 1 || t > 256)
                return cli_usage_error("index", "--threads takes 1..256");
            threads = (int)t;
            break;
        }
        case 'W':
            if (!optarg) wait_lock = -1.0;
            else {
                char *end;
                wait_lock = strtod(optarg, &end);
                if (*end || !(wait_lock >= 0) || wait_lock > 1e7)
                    return cli_usage_error("index", "--wait-lock takes seconds, 0 to 10000000");
            }
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(index_help, stdout); return EXIT_OK;
        default:
            if (cli_reader_option(&ro, c, optarg)) break;
            return cli_option_error("index", argc, argv, "hqd:", opts);
        }
    }
    if (optind >= argc)
        return cli_usage_error("index", "no INPUT given");

    if (cli_mpi_size() > 1)
        return index_ranks(db, argv + optind, argc - optind, &ro, batch_mb, quiet);
    tsr_index *ix = NULL;
    const int rc = cli_index_into(db, argv + optind, argc - optind, &ro, batch_mb, 0, quiet,
                                  &ix);
    tsr_index_close(ix);
    return rc;
}

int cli_index_into(const char *db, char *const *inputs, int ninputs, const tsr_reader_opts *ro,
                   long batch_mb, unsigned flags, int quiet, tsr_index **out)
{
    *out = NULL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    tsr_index *ix = NULL;
    struct stat dbst;
    int fresh = stat(db, &dbst) != 0 && errno == ENOENT;   /* made by this run */
    int rc = open_waiting(db, flags, &ix, quiet);
    if (rc != EXIT_OK) return rc;
    /* ... and, now that this run holds the writer lock, still empty: another
     * writer may have made it between the stat and the open (this run then
     * waited for it, --wait-lock) and added documents, which must stay */
    tsr_stats st0;
    tsr_error e0;
    if (fresh && (tsr_index_stats(ix, &st0, &e0) != TSR_OK || st0.commits || st0.documents))
        fresh = 0;

    double t0 = cli_now();
    ix_counts cnt;
    rc = index_run(ix, db, inputs, NULL, ninputs, ro, batch_mb, quiet, &cnt);
    /* a scratch index is a temporary one (discover INPUT): named so, and
     * its removal not reported */
    const int tmp = (flags & TSR_OPEN_SCRATCH) != 0;
    if (!quiet) summary(tmp ? "the temporary index" : db, &cnt, cli_now() - t0);
    /* nothing added, and something failed or was skipped: no empty index */
    if ((rc != EXIT_OK || interrupted || cnt.binary || cnt.skipped) && fresh &&
        cnt.committed == 0 &&
        drop_new_index(db, &ix) == 0 && !quiet && !tmp)
        cli_warn("%s: removed: this run created the index and added nothing to it", db);
    if (rc == EXIT_OK && interrupted) rc = EXIT_INTERRUPTED;
    if (rc != EXIT_OK) {
        tsr_index_close(ix);
        return rc;
    }
    *out = ix;
    return EXIT_OK;
}
