/*
 * feed.c - documents read on a thread of their own, for `tessera index`.
 *
 * Parsing JSON Lines (jansson) costs about a third of indexing; on a
 * machine with a second core it can run beside tokenizing, hashing and
 * compressing.  The reader thread copies documents into batches (one
 * allocation per batch) and hands them over through a bounded queue, so
 * memory stays at a few batches however large the input.  Errors travel
 * in order with the documents: the consumer sees every document read
 * before the error, then the error.
 */
#include "feed.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FEED_BATCH_DOCS CLI_FEED_BATCH_DOCS
#define FEED_BATCH_BYTES (4u << 20)
#define FEED_QUEUE 4

struct cli_batch {
    size_t n;
    tsr_docinfo doc[FEED_BATCH_DOCS];
    int input;                /* index of the input the documents came from */
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
    int err_input;
    /* progress, read without the lock (approximate) */
    volatile uint64_t bytes_done, bytes_total;
    uint64_t skipped[64];     /* per input (first 64) */
    char last_skip[64][256];
    char *const *inputs;
    int ninputs;
    tsr_reader_opts ro;
};

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
    b->arena = malloc(cap);
    if (!b->arena) { free(b); return NULL; }
    b->n = 0;
    b->used = 0;
    b->cap = cap;
    b->next = NULL;
    return b;
}

void cli_batch_free(cli_batch *b)
{
    if (b) { free(b->arena); free(b); }
}

size_t cli_batch_count(const cli_batch *b) { return b->n; }
const tsr_docinfo *cli_batch_doc(const cli_batch *b, size_t i) { return &b->doc[i]; }
int cli_batch_input(const cli_batch *b) { return b->input; }

/* Hand a batch to the consumer; waits while the queue is full.  Returns
 * 0, or -1 when the consumer asked to stop (the batch is freed). */
static int push(cli_feed *f, cli_batch *b)
{
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
    return 0;
}

static void *reader_main(void *arg)
{
    cli_feed *f = arg;
    int status = TSR_OK, err_input = -1;
    tsr_error e = { 0 };
    uint64_t base = 0;
    cli_batch *b = NULL;
    for (int in = 0; in < f->ninputs && status == TSR_OK; in++) {
        tsr_reader *rd = NULL;
        status = tsr_reader_open(f->inputs[in], &f->ro, &rd, &e);
        if (status != TSR_OK) { err_input = in; break; }
        f->bytes_total = base + tsr_reader_bytes_total(rd);
        for (;;) {
            tsr_docinfo d;
            int eof = 0;
            status = tsr_reader_next(rd, &d, &eof, &e);
            if (status != TSR_OK) { err_input = in; break; }
            if (eof) break;
            size_t need = doc_bytes(&d);
            if (b && (b->n == FEED_BATCH_DOCS || b->used + need > b->cap || b->input != in)) {
                if (push(f, b)) { b = NULL; status = -1; break; }
                b = NULL;
            }
            if (!b) {
                b = batch_new(need > FEED_BATCH_BYTES ? need : FEED_BATCH_BYTES);
                if (!b) { status = TSR_ERR_NOMEM; err_input = in; break; }
                b->input = in;
            }
            tsr_docinfo *c = &b->doc[b->n++];
            c->id = arena_put(b, d.id, strlen(d.id));
            c->title = d.title ? arena_put(b, d.title, strlen(d.title)) : NULL;
            c->date = d.date ? arena_put(b, d.date, strlen(d.date)) : NULL;
            c->series = d.series ? arena_put(b, d.series, strlen(d.series)) : NULL;
            c->meta_json = d.meta_json ? arena_put(b, d.meta_json, strlen(d.meta_json)) : NULL;
            c->text = arena_put(b, d.text ? d.text : "", d.text_len);
            c->text_len = d.text_len;
            f->bytes_done = base + tsr_reader_bytes_done(rd);
        }
        if (in < 64) {
            f->skipped[in] = tsr_reader_skipped(rd);
            const char *ls = tsr_reader_last_skip(rd);
            if (ls) {
                strncpy(f->last_skip[in], ls, sizeof f->last_skip[in] - 1);
                f->last_skip[in][sizeof f->last_skip[in] - 1] = 0;
            }
        }
        base += tsr_reader_bytes_total(rd);
        f->bytes_done = base;
        tsr_reader_close(rd);
    }
    if (b && status == TSR_OK) {
        if (push(f, b)) status = -1;
    } else if (b && status != -1) {
        /* documents read before the error still go first */
        if (push(f, b)) status = -1;
    }
    pthread_mutex_lock(&f->mu);
    f->status = status == -1 ? TSR_OK : status;
    f->err = e;
    f->err_input = err_input;
    f->done = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

int cli_feed_start(cli_feed **out, char *const *inputs, int n, const tsr_reader_opts *ro)
{
    cli_feed *f = calloc(1, sizeof *f);
    if (!f) return -1;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->inputs = inputs;
    f->ninputs = n;
    f->ro = *ro;
    f->err_input = -1;
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

const tsr_error *cli_feed_error(const cli_feed *f, int *status, int *input)
{
    *status = f->status;
    *input = f->err_input;
    return &f->err;
}

void cli_feed_progress(const cli_feed *f, uint64_t *done, uint64_t *total)
{
    *done = f->bytes_done;
    *total = f->bytes_total;
}

uint64_t cli_feed_skipped(const cli_feed *f, int input, const char **last)
{
    if (input < 0 || input >= 64) { *last = NULL; return 0; }
    *last = f->last_skip[input][0] ? f->last_skip[input] : NULL;
    return f->skipped[input];
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
