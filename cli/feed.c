/*
 * feed.c - documents read on a thread of their own and parsed on many, for
 * `tessera index` and `tessera dedup`.
 *
 * Parsing JSON Lines (jansson) costs about a third of indexing, too much
 * for one thread: it would bound the whole run.  So the work is split in
 * two.  The reader thread only finds the lines: it opens the inputs in raw
 * mode (tsr_reader_opts.raw_jsonl), copies each line, with its file name
 * and line number, into a batch (one arena per batch) and hands batches
 * over through a bounded queue, so memory stays at a few batches however
 * large the input.  Each batch's lines are then parsed with
 * tsr_parse_jsonl (cli_batch_parse) in one of two places:
 *
 *   - on the reader thread and a few helpers, before the batch is queued
 *     (parse_threads > 0; cmd_index): parsing overlaps with the consumer's
 *     work, which has serial stretches of its own (adding documents in
 *     order), and the consumer gets parsed batches;
 *   - by the consumer (parse_threads 0; cmd_dedup, whose workers each
 *     parse the batch they took, beside each other).
 *
 * Text and WET files come parsed from the reader, as before.
 *
 * Errors keep their order.  A reading error (a missing file, I/O, and
 * without skip_bad any bad record the reader itself finds) ends the
 * reader thread and travels after the batches read before it, so the
 * consumer sees those documents first.  A bad line found by the parse
 * ends its batch just before it; as the consumer stops there, and the
 * reader stops at its first error, the first error in input order is the
 * one reported, with the reader's own message.
 *
 * With skip_bad, records are counted where they are found: the reader's
 * skips (too long lines, damaged streams, bad text files) become markers
 * in the batch, the parse's skips are counted by the parse.  The last
 * message per input is kept by input position (batch number, item), so it
 * is the last in input order even when batches are parsed out of order.
 */
#include "feed.h"
#include "cli.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FEED_BATCH_DOCS CLI_FEED_BATCH_DOCS
#define FEED_BATCH_BYTES (4u << 20)
#define FEED_QUEUE 4
#define FEED_INPUTS 64        /* skip figures kept for the first 64 inputs */
#define PARSE_CHUNK 8         /* lines a parse thread takes at a time */

/* One record of a batch, in input order. */
typedef struct item {
    tsr_docinfo d;            /* as read: parsed (id set) or a raw line;
                                 a raw line once parsed: the document */
    const char *file;         /* raw lines: file name (in the arena) */
    uint64_t lineno;          /* raw lines: line number */
    uint64_t nskip;           /* a marker: records the reader skipped here;
                                 d.text is the last one's message */
    int status;               /* raw lines: the parse's status */
    char *msg;                /* and its message when not TSR_OK (owned) */
    char *own;                /* the document's strings, when they did not
                                 fit where the line was (owned) */
} item;

struct cli_batch {
    size_t n;                 /* documents in doc[] (valid once parsed) */
    tsr_docinfo doc[FEED_BATCH_DOCS];
    size_t nitem;
    item it[FEED_BATCH_DOCS];
    size_t nraw;              /* raw lines among the items */
    int input;                /* index of the input the documents came from */
    uint64_t seq;             /* batch number, for the order of skips */
    const char *error;        /* the bad record that ended the batch */
    int parsed, status;       /* cli_batch_parse done, and its result */
    char *arena;
    size_t used, cap;
    struct cli_batch *next;
};

struct cli_feed {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cli_batch *head, *tail;   /* the queue */
    int queued;
    int done;                 /* the reader thread has finished */
    int stop;                 /* the consumer asks the reader to stop */
    /* the reader's outcome, valid once done */
    int status;
    tsr_error err;
    /* progress, read without the lock (approximate) */
    _Atomic uint64_t bytes_done, bytes_total;   /* (relaxed: a progress bar's) */
    /* skipped records per input, under mu */
    uint64_t skipped[FEED_INPUTS];
    uint64_t skip_at[FEED_INPUTS];  /* position of the last one + 1 */
    char last_skip[FEED_INPUTS][256];
    uint64_t binary;          /* files of directories skipped as binary, under mu */
    char *const *inputs;
    int ninputs;
    const uint64_t *ranges;   /* 2 per input (tsr_reader_opts' range), or NULL */
    tsr_reader_opts ro;       /* as given (skip_bad as asked, not raw) */
    int parse_threads;        /* > 0: the reader thread parses batches */
};

int cli_batch_parse(cli_feed *f, cli_batch *b, int threads);

/* ------------------------------------------------------------------------
 * Batches
 * --------------------------------------------------------------------- */

static char *arena_put(cli_batch *b, const char *s, size_t n)
{
    if (!s) return NULL;
    if (b->used + n + 1 > b->cap) {
        /* strings already handed out point into the arena: never move it;
         * callers size batches so that this only happens for huge docs */
        return NULL;
    }
    char *d = b->arena + b->used;
    memcpy(d, s, n);
    d[n] = 0;
    b->used += n + 1;
    return d;
}

/* The batches' arenas.  Each batch's text is copied into one, so a run
 * writes its whole input into them: as fresh 4 KB pages, one page fault
 * each (about 12 us on this project's host), that was 38% of the page
 * faults of `tessera index` and 12% of its CPU at 10,000 documents.  So an
 * arena of FEED_BATCH_BYTES lies on transparent huge pages where the
 * kernel offers them (madvise; one fault per 2 MiB), and a freed one is
 * kept (up to FEED_SPARE of them, for the whole process) for the next
 * batch, which then touches no new memory at all (BENCHMARKS.md,
 * "Discovery in one step on a scratch index; fewer fresh pages when
 * indexing"). */
#define FEED_HUGE ((size_t)2 << 20)
#define FEED_SPARE (FEED_QUEUE + 4)
static struct {
    pthread_mutex_t mu;
    char *a[FEED_SPARE];
    int n;
} spare = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0 };

static char *arena_new(size_t cap)
{
    if (cap == FEED_BATCH_BYTES) {
        char *a = NULL;
        pthread_mutex_lock(&spare.mu);
        if (spare.n > 0) a = spare.a[--spare.n];
        pthread_mutex_unlock(&spare.mu);
        if (a) return a;
        void *p = NULL;
        if (posix_memalign(&p, FEED_HUGE, cap) != 0) return NULL;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, cap, MADV_HUGEPAGE);   /* a refusal costs nothing */
#endif
        return p;
    }
    return malloc(cap);
}

static void arena_free(char *a, size_t cap)
{
    if (a && cap == FEED_BATCH_BYTES) {
        pthread_mutex_lock(&spare.mu);
        const int kept = spare.n < FEED_SPARE;
        if (kept) spare.a[spare.n++] = a;
        pthread_mutex_unlock(&spare.mu);
        if (kept) return;
    }
    free(a);
}

static size_t doc_bytes(const tsr_docinfo *d)
{
    size_t n = d->text_len + 1;
    const char *f[5] = { d->id, d->title, d->date, d->series, d->meta_json };
    for (int i = 0; i < 5; i++)
        if (f[i]) n += strlen(f[i]) + 1;
    return n;
}

static cli_batch *batch_new(size_t cap)
{
    cli_batch *b = malloc(sizeof *b);
    if (!b) return NULL;
    b->arena = arena_new(cap);
    if (!b->arena) { free(b); return NULL; }
    b->n = b->nitem = b->nraw = 0;
    b->error = NULL;
    b->parsed = 0;
    b->status = TSR_OK;
    b->used = 0;
    b->cap = cap;
    b->next = NULL;
    return b;
}

void cli_batch_free(cli_batch *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->nitem; i++) {
        free(b->it[i].msg);
        free(b->it[i].own);
    }
    arena_free(b->arena, b->cap);
    free(b);
}

size_t cli_batch_count(const cli_batch *b) { return b->n; }
const tsr_docinfo *cli_batch_doc(const cli_batch *b, size_t i) { return &b->doc[i]; }
int cli_batch_input(const cli_batch *b) { return b->input; }
const char *cli_batch_error(const cli_batch *b) { return b->error ? b->error : ""; }

/* ------------------------------------------------------------------------
 * The reader thread
 * --------------------------------------------------------------------- */

/* Hand a batch to the consumer (parsed first when the reader thread
 * parses); waits while the queue is full.  Returns 0, or -1 when reading
 * should stop: the consumer asked to (the batch is freed), or the batch
 * ends with a bad record (the consumer stops there). */
static int push(cli_feed *f, cli_batch *b)
{
    int bad = f->parse_threads > 0 && cli_batch_parse(f, b, f->parse_threads) != TSR_OK;
    pthread_mutex_lock(&f->mu);
    while (f->queued >= FEED_QUEUE && !f->stop)
        pthread_cond_wait(&f->cv, &f->mu);
    if (f->stop) {
        pthread_mutex_unlock(&f->mu);
        cli_batch_free(b);
        return -1;
    }
    if (f->tail) f->tail->next = b; else f->head = b;
    f->tail = b;
    f->queued++;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return bad ? -1 : 0;
}

/* Make room in *bp for one item of `need` arena bytes from input `in`,
 * pushing the full batch first.  0, -1 (stop), or TSR_ERR_NOMEM. */
static int room_for(cli_feed *f, cli_batch **bp, size_t need, int in, uint64_t *seq)
{
    cli_batch *b = *bp;
    if (b && (b->nitem == FEED_BATCH_DOCS || b->used + need > b->cap || b->input != in)) {
        *bp = NULL;
        if (push(f, b)) return -1;
    }
    if (!*bp) {
        b = batch_new(need > FEED_BATCH_BYTES ? need : FEED_BATCH_BYTES);
        if (!b) return TSR_ERR_NOMEM;
        b->input = in;
        b->seq = (*seq)++;
        *bp = b;
    }
    return 0;
}

static void *reader_main(void *arg)
{
    cli_feed *f = arg;
    int status = TSR_OK;
    tsr_error e = { 0 };
    uint64_t base = 0, seq = 0;
    cli_batch *b = NULL;
    tsr_reader_opts ro = f->ro;
    ro.raw_jsonl = 1;
    for (int in = 0; in < f->ninputs && status == TSR_OK; in++) {
        tsr_reader *rd = NULL;
        if (f->ranges) {
            ro.range_begin = f->ranges[2 * in];
            ro.range_end = f->ranges[2 * in + 1];
        }
        status = tsr_reader_open(f->inputs[in], &ro, &rd, &e);
        if (status != TSR_OK) break;
        atomic_store_explicit(&f->bytes_total, base + tsr_reader_bytes_total(rd),
                              memory_order_relaxed);
        uint64_t skipped = 0;
        const char *file = NULL;  /* the arena copy of the current file name ... */
        uint64_t file_seq = 0;    /* ... in this batch */
        for (;;) {
            tsr_docinfo d;
            int eof = 0;
            status = tsr_reader_next(rd, &d, &eof, &e);
            /* binary files of a directory, skipped: a warning each, now */
            for (const char *m; (m = tsr_reader_notice(rd)) != NULL;) {
                if (!cli_feed_warn_binary) continue;
                flockfile(stderr);
                cli_warn("%s", m);
                funlockfile(stderr);
            }
            uint64_t sk = tsr_reader_skipped(rd);
            if (sk > skipped) {
                /* records skipped before this point: a marker */
                const char *m = tsr_reader_last_skip(rd);
                m = m ? m : "?";
                size_t ml = strlen(m);
                int r = room_for(f, &b, ml + 1, in, &seq);
                if (r) { status = r; break; }
                item *it = &b->it[b->nitem++];
                memset(it, 0, sizeof *it);
                it->nskip = sk - skipped;
                it->d.text = arena_put(b, m, ml);
                skipped = sk;
            }
            if (status != TSR_OK) break;
            if (eof) break;
            const char *name = NULL;
            uint64_t lineno = 0;
            size_t need = doc_bytes(&d);
            if (!d.id) {  /* a raw JSON line */
                tsr_reader_where(rd, &name, &lineno);
                name = name ? name : f->inputs[in];
                need += strlen(name) + 1;
            }
            int r = room_for(f, &b, need, in, &seq);
            if (r) { status = r; break; }
            item *it = &b->it[b->nitem++];
            memset(it, 0, sizeof *it);
            if (!d.id) {
                if (!file || file_seq != b->seq || strcmp(file, name) != 0) {
                    file = arena_put(b, name, strlen(name));
                    file_seq = b->seq;
                }
                it->file = file;
                it->lineno = lineno;
                it->d.text = arena_put(b, d.text, d.text_len);
                it->d.text_len = d.text_len;
                b->nraw++;
            } else {
                tsr_docinfo *c = &it->d;
                c->id = arena_put(b, d.id, strlen(d.id));
                c->title = d.title ? arena_put(b, d.title, strlen(d.title)) : NULL;
                c->date = d.date ? arena_put(b, d.date, strlen(d.date)) : NULL;
                c->series = d.series ? arena_put(b, d.series, strlen(d.series)) : NULL;
                c->meta_json = d.meta_json ? arena_put(b, d.meta_json, strlen(d.meta_json)) : NULL;
                c->text = arena_put(b, d.text ? d.text : "", d.text_len);
                c->text_len = d.text_len;
            }
            atomic_store_explicit(&f->bytes_done, base + tsr_reader_bytes_done(rd),
                                  memory_order_relaxed);
        }
        base += tsr_reader_bytes_total(rd);
        atomic_store_explicit(&f->bytes_done, base, memory_order_relaxed);
        pthread_mutex_lock(&f->mu);
        f->binary += tsr_reader_binary(rd);
        pthread_mutex_unlock(&f->mu);
        tsr_reader_close(rd);
    }
    if (status == TSR_ERR_NOMEM && !e.message[0])
        snprintf(e.message, sizeof e.message, "out of memory");
    /* documents read before an error still go first */
    if (b && status != -1 && push(f, b))
        status = -1;
    pthread_mutex_lock(&f->mu);
    f->status = status == -1 ? TSR_OK : status;
    f->err = e;
    f->err.code = f->status;
    f->done = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

int cli_feed_warn_binary = 1;

/* ------------------------------------------------------------------------
 * Parsing
 * --------------------------------------------------------------------- */

typedef struct parse_job {
    cli_batch *b;
    const tsr_reader_opts *ro;
    atomic_size_t next;
} parse_job;

static char *pack(char **dst, const char *s, size_t n)
{
    if (!s) return NULL;
    char *d = *dst;
    memcpy(d, s, n);
    d[n] = 0;
    *dst += n + 1;
    return d;
}

/* Parse one raw line and move the document's strings out of jansson's
 * tree, into the line's own bytes in the arena when they fit (the text
 * decoded is never longer than the line; other fields may be), so that
 * the tree is freed at once, on the thread that built it: freeing it on
 * the consumer's thread costs malloc a good deal more. */
static void parse_item(const tsr_reader_opts *ro, item *it)
{
    tsr_error e = { 0, "" };
    tsr_jsonl_doc *jd = NULL;
    it->status = tsr_parse_jsonl(ro, it->d.text, it->d.text_len, it->file, it->lineno,
                                 &jd, &e);
    if (it->status == TSR_OK) {
        const tsr_docinfo *d = &jd->doc;
        size_t len[5], need = d->text_len + 1;
        const char *f[5] = { d->id, d->title, d->date, d->series, d->meta_json };
        for (int k = 0; k < 5; k++) {
            len[k] = f[k] ? strlen(f[k]) : 0;
            need += f[k] ? len[k] + 1 : 0;
        }
        char *dst = (char *)it->d.text;  /* the line in the arena: len + 1 bytes */
        if (need > it->d.text_len + 1)
            dst = it->own = malloc(need);
        if (dst) {
            /* jansson's strings are copies: the line is free to overwrite */
            tsr_docinfo c;
            c.text_len = d->text_len;
            c.text = pack(&dst, d->text, d->text_len);
            c.id = pack(&dst, d->id, len[0]);
            c.title = pack(&dst, d->title, len[1]);
            c.date = pack(&dst, d->date, len[2]);
            c.series = pack(&dst, d->series, len[3]);
            c.meta_json = pack(&dst, d->meta_json, len[4]);
            it->d = c;
        } else {
            it->status = TSR_ERR_NOMEM;
            snprintf(e.message, sizeof e.message, "%s:%llu: out of memory", it->file,
                     (unsigned long long)it->lineno);
        }
        tsr_jsonl_doc_free(jd);
    }
    if (it->status != TSR_OK) {
        it->msg = strdup(e.message);
        if (!it->msg) it->status = TSR_ERR_NOMEM;
    }
}

static void parse_some(parse_job *j)
{
    cli_batch *b = j->b;
    for (;;) {
        size_t lo = atomic_fetch_add(&j->next, PARSE_CHUNK);
        if (lo >= b->nitem) return;
        size_t hi = lo + PARSE_CHUNK < b->nitem ? lo + PARSE_CHUNK : b->nitem;
        for (size_t i = lo; i < hi; i++)
            if (b->it[i].file)  /* a raw line */
                parse_item(j->ro, &b->it[i]);
    }
}

static void *parse_main(void *arg)
{
    parse_some(arg);
    return NULL;
}

/* Count `n` skipped records of the batch's input, the last at item `at`. */
static void count_skips(cli_feed *f, const cli_batch *b, uint64_t n, size_t at,
                        const char *msg)
{
    if (!n || b->input < 0 || b->input >= FEED_INPUTS) return;
    uint64_t pos = b->seq * (FEED_BATCH_DOCS + 1) + at + 1;
    pthread_mutex_lock(&f->mu);
    f->skipped[b->input] += n;
    if (pos > f->skip_at[b->input]) {
        f->skip_at[b->input] = pos;
        strncpy(f->last_skip[b->input], msg, sizeof f->last_skip[b->input] - 1);
        f->last_skip[b->input][sizeof f->last_skip[b->input] - 1] = 0;
    }
    pthread_mutex_unlock(&f->mu);
}

int cli_batch_parse(cli_feed *f, cli_batch *b, int threads)
{
    if (b->parsed)
        return b->status;
    if (threads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > 0 ? (int)nc : 1;
    }
    if ((size_t)threads > b->nraw / PARSE_CHUNK + 1)
        threads = (int)(b->nraw / PARSE_CHUNK + 1);
    if (threads > 64)
        threads = 64;
    if (b->nraw) {
        parse_job j;
        j.b = b;
        j.ro = &f->ro;
        atomic_init(&j.next, 0);
        pthread_t th[64];
        int started = 0;
        for (int t = 1; t < threads; t++)
            if (pthread_create(&th[started], NULL, parse_main, &j) == 0) started++;
        parse_some(&j);
        for (int t = 0; t < started; t++)
            pthread_join(th[t], NULL);
    }

    /* in input order: keep the good documents, count the skipped, stop
     * at the first bad record that is not skipped */
    uint64_t nskip = 0;
    size_t last_at = 0;
    const char *last = NULL;
    int status = TSR_OK;
    b->n = 0;
    for (size_t i = 0; i < b->nitem; i++) {
        item *it = &b->it[i];
        if (it->nskip) {
            nskip += it->nskip;
            last = it->d.text;
            last_at = i;
        } else if (!it->file || it->status == TSR_OK) {
            b->doc[b->n++] = it->d;
        } else if (f->ro.skip_bad && it->status != TSR_ERR_NOMEM) {
            nskip++;
            last = it->msg;
            last_at = i;
        } else {
            status = it->status;
            b->error = it->msg ? it->msg : "out of memory";
            break;
        }
    }
    count_skips(f, b, nskip, last_at, last ? last : "?");
    b->parsed = 1;
    b->status = status;
    return status;
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

/* Parsing, with the fast path for plain records (reader.c), is a small
 * part of indexing: at 10,000 documents the reader thread, reading,
 * splitting and parsing alone, was busy a quarter of the time that the
 * indexing kept 1.6 cores busy.  A parsing helper per core, a thread made
 * for each batch, cost 2-5% of the CPU of `tessera discover INPUT` at
 * 10,000 and 100,000 documents and 4% of `tessera index` of 22,000 news
 * articles, on 2 cores (BENCHMARKS.md, "Discovery at small sizes: fewer
 * fresh pages and syncs"); so one thread parses for every
 * FEED_PARSE_CORES cores. */
#define FEED_PARSE_CORES 6

int cli_feed_parse_threads(int cores)
{
    if (cores <= 0) {
        const long nc = sysconf(_SC_NPROCESSORS_ONLN);
        cores = nc > 0 && nc < 4096 ? (int)nc : 1;
    }
    return (cores + FEED_PARSE_CORES - 1) / FEED_PARSE_CORES;
}

int cli_feed_start(cli_feed **out, char *const *inputs, int n, const tsr_reader_opts *ro,
                   int parse_threads)
{
    return cli_feed_start_ranges(out, inputs, NULL, n, ro, parse_threads);
}

int cli_feed_start_ranges(cli_feed **out, char *const *inputs, const uint64_t *ranges, int n,
                          const tsr_reader_opts *ro, int parse_threads)
{
    cli_feed *f = calloc(1, sizeof *f);
    if (!f) return -1;
    atomic_init(&f->bytes_done, 0);
    atomic_init(&f->bytes_total, 0);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->inputs = inputs;
    f->ninputs = n;
    f->ranges = ranges;
    f->ro = *ro;
    f->ro.raw_jsonl = 0;
    f->parse_threads = parse_threads < 0 ? cli_feed_parse_threads(-1) : parse_threads;
    if (pthread_create(&f->th, NULL, reader_main, f) != 0) {
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cv);
        free(f);
        return -1;
    }
    *out = f;
    return 0;
}

int cli_feed_next(cli_feed *f, cli_batch **b)
{
    pthread_mutex_lock(&f->mu);
    while (!f->head && !f->done)
        pthread_cond_wait(&f->cv, &f->mu);
    *b = f->head;
    if (f->head) {
        f->head = f->head->next;
        if (!f->head) f->tail = NULL;
        f->queued--;
        pthread_cond_broadcast(&f->cv);
    }
    int st = *b ? TSR_OK : f->status;
    pthread_mutex_unlock(&f->mu);
    return *b ? 1 : (st == TSR_OK ? 0 : -1);
}

int cli_feed_fail(const cli_feed *f)
{
    return cli_read_fail(f->status, f->err.message);
}

void cli_feed_progress(const cli_feed *f, uint64_t *done, uint64_t *total)
{
    *done = atomic_load_explicit(&f->bytes_done, memory_order_relaxed);
    *total = atomic_load_explicit(&f->bytes_total, memory_order_relaxed);
}

uint64_t cli_feed_skipped(const cli_feed *f, int input, const char **last)
{
    if (input < 0 || input >= FEED_INPUTS) { *last = NULL; return 0; }
    cli_feed *m = (cli_feed *)f;  /* the lock only */
    pthread_mutex_lock(&m->mu);
    *last = f->last_skip[input][0] ? f->last_skip[input] : NULL;
    uint64_t n = f->skipped[input];
    pthread_mutex_unlock(&m->mu);
    return n;
}

uint64_t cli_feed_binary(const cli_feed *f)
{
    cli_feed *m = (cli_feed *)f;  /* the lock only */
    pthread_mutex_lock(&m->mu);
    const uint64_t n = f->binary;
    pthread_mutex_unlock(&m->mu);
    return n;
}

void cli_feed_stop(cli_feed *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->th, NULL);
    for (cli_batch *b = f->head; b;) {
        cli_batch *nx = b->next;
        cli_batch_free(b);
        b = nx;
    }
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}
