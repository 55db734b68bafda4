/*
 * cmd_dedup.c - `tessera dedup`: drop near-duplicate documents, repeated
 * passages and boilerplate lines from a corpus.
 *
 * Two passes over the input, so that memory does not hold the corpus:
 *
 *   1. read (feed thread) and, on --threads workers, parse the JSON
 *      lines of a batch (cli_batch_parse) and compute each
 *      document's MinHash signature (and count its lines for
 *      --boilerplate, and look it up in the index for --db); signatures
 *      are added in input order; then the LSH step (tsr_dedup_run).
 *      With a measure that reads texts (aligned, containment: the
 *      default), the workers also make each document's compact form
 *      (tsr_dedup_prepare, from the same words), which the library
 *      spools to an unlinked file in $TMPDIR; after the LSH step,
 *      tsr_dedup_verify scores the candidate pairs from it and clusters.
 *   2. read again and write the kept records (all fields: id, title,
 *      date, series, then the other fields as the reader kept them, then
 *      text), with repeated substrings (--substrings, in blocks bounded by
 *      --memory) and boilerplate lines removed or reported.
 *
 * Standard input is spooled to a temporary file for the second pass.
 * The output (and --clusters) is written whole or not at all (atomic.c):
 * opened before the work, so that a bad path fails at once, as an
 * anonymous file in the output's folder, named only when complete, so a
 * kill at any moment leaves no partial output behind.
 */
/* mkstemps is declared under _GNU_SOURCE (or _DEFAULT_SOURCE) */
#define _GNU_SOURCE 1
#include "cli.h"
#include "atomic.h"
#include "feed.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char dedup_help[] =
"Usage: tessera dedup [OPTIONS] INPUT... -o OUT.jsonl\n"
"\n"
"Drop near-duplicate documents from INPUT (JSON Lines, text files or\n"
"directories, gzip, zstd or bzip2 compressed, or - for standard input) and\n"
"write the kept records to OUT.jsonl with all their fields.  Candidate pairs\n"
"come from MinHash signatures of word shingles with LSH banding; each\n"
"candidate is verified by a measure; one document is kept per cluster, the\n"
"others dropped.\n"
"\n"
"Measures (--measure):\n"
"  aligned      (default) the share of the shorter document's words that the\n"
"               aligner matches to the other in exact runs of 3 or more words,\n"
"               and of its figures (numbers as written) found in the other:\n"
"               the smaller of the two.  A copy with words changed, a\n"
"               paragraph dropped or a byline added keeps both high; two texts\n"
"               that share only a template (\"Oper shr 35 cts vs 34 cts ...\")\n"
"               differ in their figures and match in short runs.  Default\n"
"               threshold 0.8.  Candidates: word 3-gram signatures at\n"
"               estimated Jaccard 0.3 (--candidate).  Each document's words\n"
"               are kept compactly (2 bytes a word) in an unlinked temporary\n"
"               file in $TMPDIR for the candidates' scores.  Every dropped\n"
"               document scores at least the threshold with the document\n"
"               kept in its place (no chains).\n"
"  containment  the share of the shorter document's distinct word 3-grams that\n"
"               the other holds, wherever they are, and of its figures, as\n"
"               aligned.  Cheaper than aligned, a little less strict.  Default\n"
"               threshold 0.7; candidates and clusters as aligned (about 4\n"
"               bytes a word in $TMPDIR).\n"
"  jaccard      the Jaccard similarity of the two sets of word 5-shingles as\n"
"               the signatures estimate it (the rule of tessera 0.1): no text\n"
"               read again, but an edited copy often falls below it.  Default\n"
"               threshold 0.8; clusters by union-find of the pairs that pass.\n"
"\n"
"Options:\n"
"  -o, --output FILE       the kept records, JSON Lines (- for stdout); written\n"
"                          whole or not at all\n"
"      --measure M         aligned (default), containment or jaccard\n"
"      --threshold S       the score of the measure at which two documents are\n"
"                          near duplicates: in (0, 1] (jaccard: (0, 1));\n"
"                          default 0.8 (aligned, jaccard), 0.7 (containment)\n"
"      --candidate J       aligned, containment: the estimated Jaccard of the\n"
"                          signatures from which a pair is verified (default\n"
"                          0.3); lower finds more at more cost (a text held\n"
"                          whole by one over 1/J times its size is not found)\n"
"      --shingle N         words per shingle of the signatures (default 3;\n"
"                          jaccard: 5)\n"
"      --perm K            MinHash values per document (default 128)\n"
"      --keep RULE         which document of a cluster is kept: first (input\n"
"                          order, default), longest (most bytes), earliest\n"
"                          (smallest date; undated last); ties: the first\n"
"      --clusters FILE     write one JSON line per cluster: {\"cluster\", \"keep\",\n"
"                          \"ids\", \"similarity\"} (the least score of a member\n"
"                          with the kept one)\n"
"      --mark              keep every record; mark near duplicates with\n"
"                          \"tessera_duplicate_of\": ID instead of dropping them\n"
"      --substrings N      find exact repeats of at least N bytes (suffix\n"
"                          array) in the kept records: report them as\n"
"                          \"tessera_repeats\": [[begin, end], ...] byte spans\n"
"      --boilerplate       find lines that recur in many documents of a series\n"
"                          (--boiler-min documents, default 10, and 1% of the\n"
"                          series): report them as \"tessera_boilerplate\"\n"
"      --boiler-min N      documents a boilerplate line recurs in (default 10)\n"
"      --offsets UNIT      the spans of --substrings, --boilerplate and\n"
"                          --explain in bytes (default) or chars (Unicode code\n"
"                          points, as Python's str slices count)\n"
"      --remove            remove the repeats and boilerplate lines from the\n"
"                          text instead of reporting them; repeats are cut to\n"
"                          whole sentences and lines\n"
"      --db DIR            also drop (or --mark) documents that are near\n"
"                          duplicates (same measure) of documents of the index\n"
"      --explain           for each dropped document, a JSON line on stdout:\n"
"                          what it duplicated, the estimated Jaccard, the score\n"
"                          of the measure, and the passages shared with it\n"
"      --memory SIZE       memory for a block of --substrings (13 bytes per\n"
"                          byte of text; default 4G; suffixes K, M, G)\n"
"      --threads N         worker threads (default: all cores)\n"
"      --id-field NAME, --text-field NAME, --title-field NAME,\n"
"      --date-field NAME, --series-field NAME   JSON field names\n"
"      --skip-bad          skip bad records, count them, go on\n"
"      --allow-nul         read NUL bytes as spaces (default: refuse the text;\n"
"                          in a directory, skip the file as binary, with a\n"
"                          warning)\n"
"  -q, --quiet             no progress bar, no summary\n"
"  -h, --help              this help\n"
"\n"
"Examples:\n"
"  tessera dedup news.jsonl.gz -o news.dedup.jsonl --clusters clusters.jsonl\n"
"  tessera dedup news.jsonl -o strict.jsonl --measure aligned --threshold 0.9\n"
"  tessera dedup crawl/ -o out.jsonl --measure jaccard --substrings 100 --boilerplate --remove\n"
"  tessera dedup new.jsonl --db archive.tsr -o fresh.jsonl\n";

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { (void)sig; interrupted = 1; }


static int dd_seterr(tsr_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int dd_seterr(tsr_error *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        e->code = code;
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
    }
    return code;
}
#define DD_FORWARD(expr) do { int dd_rc_ = (expr); if (dd_rc_ != TSR_OK) return dd_rc_; } while (0)

/* ------------------------------------------------------------------------
 * JSON writing
 * --------------------------------------------------------------------- */

/* A JSON string of s[0..n): runs of plain bytes in one fwrite. */
static void put_json(FILE *f, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', f);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (i > run) fwrite(s + run, 1, i - run, f);
        run = i + 1;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default: {
            char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
            fputs(u, f);
        }
        }
    }
    if (n > run) fwrite(s + run, 1, n - run, f);
    fputc('"', f);
}

static void put_key_str(FILE *f, const char *key, const char *val)
{
    fputc(',', f);
    put_json(f, key, strlen(key));
    fputc(':', f);
    put_json(f, val, strlen(val));
}

/* ------------------------------------------------------------------------
 * State
 * --------------------------------------------------------------------- */

typedef struct {
    /* options */
    tsr_dedup_opts o;
    tsr_reader_opts ro;
    const char *out_path, *clusters_path, *db;
    int mark, explain, remove, boiler, quiet;
    size_t substr_min;
    unsigned boiler_min;
    uint64_t memory;
    int threads;
    char **inputs;
    int ninputs;
    /* pass 1 */
    tsr_dedup *d;
    tsr_boiler *bp;
    tsr_index *ix;
    int need_ids;
    CLI_VEC(char) ids;             /* id arena */
    CLI_VEC(uint64_t) id_off;
    CLI_VEC(int64_t) dbmatch;      /* per doc: index docno or -1 */
    CLI_VEC(float) dbjac;
    CLI_VEC(float) dbscore;
    cli_feed *feed;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t next_seq, commit_seq;
    int feed_done, status, feed_status;
    char errmsg[600];
    int bad;                  /* a bad record ended a batch: its status ... */
    char badmsg[512];         /* ... and message, reported as a reading error */
    uint64_t docs, bytes;
    cli_progress pg;
    int chars;                /* --offsets chars: spans in code points */
} dd_state;

static const char *doc_id(const dd_state *s, uint64_t doc)
{
    return s->ids.a + s->id_off.a[doc];
}

/* The result of one batch, computed by a worker. */
typedef struct {
    uint16_t *sig;        /* n * perm */
    unsigned char *has;
    int64_t *match;
    float *jac, *score;
    unsigned char *pack;  /* compact forms, back to back (measures that read texts) */
    size_t *poff;         /* n + 1 offsets into pack */
} dd_work;

static int dd_fail(dd_state *s, int status, const char *fmt, const char *a, const char *b)
{
    pthread_mutex_lock(&s->mu);
    if (s->status == TSR_OK) {
        s->status = status;
        snprintf(s->errmsg, sizeof s->errmsg, fmt, a, b);
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return status;
}

static void *pass1_worker(void *arg)
{
    dd_state *s = arg;
    tsr_error e = { 0 };
    const size_t perm = (size_t)s->o.perm;
    unsigned char *pack_buf = NULL;
    size_t pack_cap = 0;
    for (;;) {
        cli_batch *bt = NULL;
        pthread_mutex_lock(&s->mu);
        if (s->feed_done || s->status != TSR_OK || interrupted) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        int got = cli_feed_next(s->feed, &bt);
        uint64_t seq = s->next_seq;
        if (got != 1) {
            s->feed_done = 1;
            s->feed_status = got;
            pthread_cond_broadcast(&s->cv);
            pthread_mutex_unlock(&s->mu);
            break;
        }
        s->next_seq++;
        pthread_mutex_unlock(&s->mu);

        /* parse the batch's JSON lines here, beside the other workers; a
         * bad record ends the batch */
        const int bad = cli_batch_parse(s->feed, bt, 1);
        size_t n = cli_batch_count(bt);
        const char *input = s->inputs[cli_batch_input(bt)];
        dd_work w;
        w.sig = malloc((n * perm + 1) * sizeof *w.sig);
        w.has = malloc(n + 1);
        w.match = malloc((n + 1) * sizeof *w.match);
        w.jac = malloc((n + 1) * sizeof *w.jac);
        w.score = malloc((n + 1) * sizeof *w.score);
        const int packed = s->o.measure != TSR_MEASURE_JACCARD;
        size_t pbytes = 0;
        for (size_t i = 0; packed && i < n; i++)
            pbytes += tsr_dedup_pack_bound(cli_batch_doc(bt, i)->text_len);
        /* the compact forms' buffer is kept from batch to batch */
        if (packed && pbytes + 1 > pack_cap) {
            unsigned char *nb = realloc(pack_buf, pbytes + 1);
            if (nb) { pack_buf = nb; pack_cap = pbytes + 1; }
        }
        w.pack = packed && pbytes + 1 <= pack_cap ? pack_buf : NULL;
        w.poff = malloc((n + 1) * sizeof *w.poff);
        int st = (w.sig && w.has && w.match && w.jac && w.score && w.poff &&
                  (w.pack || !packed)) ? TSR_OK : TSR_ERR_NOMEM;
        if (w.poff) w.poff[0] = 0;
        for (size_t i = 0; i < n && st == TSR_OK; i++) {
            const tsr_docinfo *doc = cli_batch_doc(bt, i);
            size_t ns = 0, plen = 0;
            st = tsr_dedup_prepare(doc->text, doc->text_len, &s->o, w.sig + i * perm, &ns,
                                   packed ? w.pack + w.poff[i] : NULL, &plen, &e);
            w.poff[i + 1] = w.poff[i] + plen;
            w.has[i] = ns > 0;
            if (st == TSR_OK && s->bp)
                st = tsr_boiler_add(s->bp, doc->series, doc->text, doc->text_len, &e);
            w.match[i] = -1;
            w.jac[i] = w.score[i] = 0;
            if (st == TSR_OK && s->ix && ns > 0) {
                tsr_dup_match m;
                st = tsr_index_near_duplicate(s->ix, doc->text, doc->text_len, &s->o, &m, &e);
                w.match[i] = m.docno;
                w.jac[i] = (float)m.jaccard;
                w.score[i] = (float)m.score;
            }
            if (st != TSR_OK) {
                dd_fail(s, st, "%s: document '%s': ", input, doc->id);
                pthread_mutex_lock(&s->mu);
                strncat(s->errmsg, e.message, sizeof s->errmsg - strlen(s->errmsg) - 1);
                pthread_mutex_unlock(&s->mu);
            }
        }
        if (st == TSR_ERR_NOMEM && !(w.sig && w.has && w.match && w.jac && w.score && w.poff))
            dd_fail(s, st, "%s%s", "out of memory", "");

        /* commit in input order */
        pthread_mutex_lock(&s->mu);
        while (s->commit_seq != seq && s->status == TSR_OK)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->status == TSR_OK && !s->bad) {
            for (size_t i = 0; i < n && st == TSR_OK; i++) {
                const tsr_docinfo *doc = cli_batch_doc(bt, i);
                st = tsr_dedup_add_packed(s->d, w.has[i] ? w.sig + i * perm : NULL,
                                          doc->text_len, doc->date,
                                          w.pack ? w.pack + w.poff[i] : NULL,
                                          w.pack ? w.poff[i + 1] - w.poff[i] : 0, &e);
                if (st == TSR_OK && s->need_ids) {
                    size_t l = strlen(doc->id) + 1;
                    if (cli_vec_push(&s->id_off, s->ids.n) || cli_vec_reserve(&s->ids, l)) {
                        st = TSR_ERR_NOMEM;
                    } else {
                        memcpy(s->ids.a + s->ids.n, doc->id, l);
                        s->ids.n += l;
                    }
                }
                if (st == TSR_OK && s->ix &&
                    (cli_vec_push(&s->dbmatch, w.match[i]) || cli_vec_push(&s->dbjac, w.jac[i]) ||
                     cli_vec_push(&s->dbscore, w.score[i])))
                    st = TSR_ERR_NOMEM;
                s->docs++;
                s->bytes += doc->text_len;
            }
            if (st != TSR_OK && s->status == TSR_OK) {
                s->status = st;
                snprintf(s->errmsg, sizeof s->errmsg, "%s", e.message);
            }
            if (bad != TSR_OK && s->status == TSR_OK) {
                /* as when the reader stopped at it: the documents before
                 * it are in, later batches are not */
                s->bad = bad;
                snprintf(s->badmsg, sizeof s->badmsg, "%s", cli_batch_error(bt));
                s->feed_done = 1;
            }
            s->commit_seq++;
            uint64_t done, total;
            cli_feed_progress(s->feed, &done, &total);
            cli_progress_update(&s->pg, done, total, s->docs, 0);
        }
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        free(w.sig); free(w.has); free(w.match); free(w.jac); free(w.score);
        free(w.poff);
        cli_batch_free(bt);
    }
    free(pack_buf);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Pass 2: write
 * --------------------------------------------------------------------- */

/* A kept record waiting for its substring block. */
typedef struct {
    char *id, *title, *date, *series, *meta, *text;
    size_t text_len;
    uint64_t doc;
} dd_rec;

typedef struct {
    dd_state *s;
    cli_atomic out;
    tsr_substr *sub;
    CLI_VEC(dd_rec) block;
    uint64_t written, dropped_dup, dropped_db, rep_bytes, boiler_lines;
    /* --explain: texts of clustered documents */
    char **ctext;
    size_t *clen;
} dd_writer;

static int cmp_span(const void *x, const void *y)
{
    const tsr_span *a = x, *b = y;
    return (a->begin > b->begin) - (a->begin < b->begin);
}

/* Byte offset `off` of `text` as written: itself, or with --offsets chars
 * its code points, counted on from the last offset converted (*cb bytes,
 * *cc code points), forwards or back, so that a text's spans in order walk
 * it once. */
static size_t out_offset(int chars, const char *text, size_t off, size_t *cb, size_t *cc)
{
    if (!chars)
        return off;
    if (off >= *cb) *cc += tsr_utf8_chars(text + *cb, off - *cb);
    else *cc -= tsr_utf8_chars(text + off, *cb - off);
    *cb = off;
    return *cc;
}

static void put_spans(FILE *f, const char *key, const tsr_span *sp, size_t n, int chars,
                      const char *text)
{
    size_t cb = 0, cc = 0;
    fputc(',', f);
    put_json(f, key, strlen(key));
    fputs(":[", f);
    for (size_t i = 0; i < n; i++) {
        const size_t b = out_offset(chars, text, sp[i].begin, &cb, &cc);
        fprintf(f, "%s[%zu,%zu]", i ? "," : "", b, out_offset(chars, text, sp[i].end, &cb, &cc));
    }
    fputc(']', f);
}

/* Write one record: rep (n_rep) and boil (n_boil) spans of its text. */
static int write_record(dd_writer *w, const tsr_docinfo *doc, const char *dup_of,
                        const tsr_span *rep, size_t n_rep, const tsr_span *boil, size_t n_boil)
{
    dd_state *s = w->s;
    FILE *f = w->out.f;
    fputc('{', f);
    put_json(f, s->ro.id_field, strlen(s->ro.id_field));
    fputc(':', f);
    put_json(f, doc->id, strlen(doc->id));
    if (doc->title) put_key_str(f, s->ro.title_field, doc->title);
    if (doc->date) put_key_str(f, s->ro.date_field, doc->date);
    if (doc->series) put_key_str(f, s->ro.series_field, doc->series);
    if (doc->meta_json) {
        size_t ml = strlen(doc->meta_json);
        if (ml > 2) { fputc(',', f); fwrite(doc->meta_json + 1, 1, ml - 2, f); }
    }
    if (dup_of) put_key_str(f, "tessera_duplicate_of", dup_of);
    fputc(',', f);
    put_json(f, s->ro.text_field, strlen(s->ro.text_field));
    fputc(':', f);
    if (s->remove && (n_rep || n_boil)) {
        /* merge both span lists and write the text without them */
        size_t n = n_rep + n_boil;
        tsr_span *all = malloc(n * sizeof *all);
        if (!all) return TSR_ERR_NOMEM;
        if (n_rep) memcpy(all, rep, n_rep * sizeof *all);
        if (n_boil) memcpy(all + n_rep, boil, n_boil * sizeof *all);
        qsort(all, n, sizeof *all, cmp_span);
        char *t = malloc(doc->text_len + 1);
        if (!t) { free(all); return TSR_ERR_NOMEM; }
        size_t tl = 0, pos = 0;
        for (size_t i = 0; i < n; i++) {
            size_t b = all[i].begin, e = all[i].end;
            if (b > pos) { memcpy(t + tl, doc->text + pos, b - pos); tl += b - pos; }
            /* a removed boilerplate line takes its line break along */
            if (e < doc->text_len && doc->text[e] == '\n' &&
                (b == 0 || doc->text[b - 1] == '\n'))
                e++;
            /* and a removed sentence the space after it */
            if (e < doc->text_len && (b == 0 || doc->text[b - 1] == ' ' || doc->text[b - 1] == '\n'))
                while (e < doc->text_len && doc->text[e] == ' ') e++;
            if (e > pos) pos = e;
        }
        if (doc->text_len > pos) { memcpy(t + tl, doc->text + pos, doc->text_len - pos); tl += doc->text_len - pos; }
        put_json(f, t, tl);
        free(t);
        free(all);
    } else {
        put_json(f, doc->text, doc->text_len);
        if (n_rep) put_spans(f, "tessera_repeats", rep, n_rep, s->chars, doc->text);
        if (n_boil) put_spans(f, "tessera_boilerplate", boil, n_boil, s->chars, doc->text);
    }
    fputs("}\n", f);
    w->written++;
    return ferror(f) ? TSR_ERR_IO : TSR_OK;
}

static int emit(dd_writer *w, const tsr_docinfo *doc, const tsr_substr *sub, size_t subdoc,
                const char *dup_of, tsr_error *e)
{
    dd_state *s = w->s;
    tsr_span *rep = NULL, *boil = NULL;
    size_t nr = 0, nb = 0;
    int st = TSR_OK;
    if (sub) st = tsr_substr_spans(sub, subdoc, s->remove, &rep, &nr, e);
    if (st == TSR_OK && s->bp && !dup_of)
        st = tsr_boiler_spans(s->bp, doc->series, doc->text, doc->text_len, &boil, &nb, e);
    if (st == TSR_OK) {
        for (size_t i = 0; i < nr; i++) w->rep_bytes += rep[i].end - rep[i].begin;
        w->boiler_lines += nb;
        st = write_record(w, doc, dup_of, rep, nr, boil, nb);
        if (st != TSR_OK) dd_seterr(e, st, "%s: write failed", s->out_path);
    }
    tsr_free(rep);
    tsr_free(boil);
    return st;
}

static void rec_free(dd_rec *r)
{
    free(r->id); free(r->title); free(r->date); free(r->series); free(r->meta); free(r->text);
}

/* Run the substring block and write its records. */
static int flush_block(dd_writer *w, tsr_error *e)
{
    int st = TSR_OK;
    if (w->block.n == 0) return TSR_OK;
    st = tsr_substr_run(w->sub, e);
    for (size_t i = 0; i < w->block.n; i++) {
        dd_rec *r = &w->block.a[i];
        if (st == TSR_OK) {
            tsr_docinfo di = { r->id, r->title, r->date, r->series, r->meta, r->text, r->text_len };
            st = emit(w, &di, w->sub, i, NULL, e);
        }
        rec_free(r);
    }
    w->block.n = 0;
    tsr_substr_reset(w->sub);
    return st;
}

static char *dupn(const char *s, int *oom)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *oom = 1;
    return d;
}

static int pass2_doc(dd_writer *w, const tsr_docinfo *doc, uint64_t i, tsr_error *e)
{
    dd_state *s = w->s;
    int64_t c = -1;
    uint64_t keep = tsr_dedup_kept_as(s->d, i, &c);
    int64_t dbm = s->ix ? s->dbmatch.a[i] : -1;
    if (w->ctext && (c >= 0 || dbm >= 0)) {
        w->ctext[i] = malloc(doc->text_len + 1);
        if (!w->ctext[i]) return dd_seterr(e, TSR_ERR_NOMEM, "out of memory (--explain)");
        memcpy(w->ctext[i], doc->text, doc->text_len);
        w->ctext[i][doc->text_len] = 0;
        w->clen[i] = doc->text_len;
    }
    if (keep != i || dbm >= 0) {
        if (keep != i) w->dropped_dup++;
        else w->dropped_db++;
        if (!s->mark) return TSR_OK;
        char dbid[64];
        const char *dup_of;
        if (keep != i) {
            dup_of = doc_id(s, keep);
        } else {
            tsr_document *id = NULL;
            dup_of = dbid;
            snprintf(dbid, sizeof dbid, "#%lld", (long long)dbm);
            if (tsr_index_get_info(s->ix, dbm, &id, NULL) == TSR_OK && id->id) {
                int st = emit(w, doc, NULL, 0, id->id, e);
                tsr_document_free(id);
                return st;
            }
            tsr_document_free(id);
        }
        return emit(w, doc, NULL, 0, dup_of, e);
    }
    if (!w->sub)
        return emit(w, doc, NULL, 0, NULL, e);
    /* block full (13 bytes per byte during the run): flush first */
    if (tsr_substr_bytes(w->sub) > 0 &&
        (tsr_substr_bytes(w->sub) + doc->text_len + 1) * 13 > s->memory)
        DD_FORWARD(flush_block(w, e));
    if ((doc->text_len + 1) * 13 > s->memory || doc->text_len + 1 > 0x7ffffff0u)
        return emit(w, doc, NULL, 0, NULL, e); /* alone too big: as is */
    DD_FORWARD(tsr_substr_add(w->sub, doc->text, doc->text_len, e));
    int oom = 0;
    dd_rec r = { dupn(doc->id, &oom), dupn(doc->title, &oom), dupn(doc->date, &oom),
                 dupn(doc->series, &oom), dupn(doc->meta_json, &oom), NULL, doc->text_len, i };
    r.text = malloc(doc->text_len + 1);
    if (!r.text || oom || cli_vec_push(&w->block, r)) {
        rec_free(&r);
        return dd_seterr(e, TSR_ERR_NOMEM, "out of memory holding a block of records");
    }
    memcpy(r.text, doc->text, doc->text_len);
    r.text[doc->text_len] = 0;
    return TSR_OK;
}

/* --explain: one JSON line per dropped document, on stdout. */
static void explain_one(dd_writer *w, uint64_t doc, const char *other_id, int64_t cluster,
                        double jac, double score, const char *a, size_t al, const char *b,
                        size_t bl)
{
    dd_state *s = w->s;
    FILE *f = stdout;
    fputs("{\"id\":", f);
    put_json(f, doc_id(s, doc), strlen(doc_id(s, doc)));
    fputs(",\"duplicate_of\":", f);
    put_json(f, other_id, strlen(other_id));
    if (cluster >= 0) fprintf(f, ",\"cluster\":%lld", (long long)cluster);
    else fputs(",\"index\":true", f);
    fprintf(f, ",\"jaccard\":%.4f,\"measure\":\"%s\",\"score\":%.4f", jac,
            tsr_measure_name(s->o.measure), score);
    tsr_result *r = NULL;
    if (a && b && tsr_align(a, al, b, bl, NULL, &r, NULL) == TSR_OK) {
        fprintf(f, ",\"coverage\":%.4f,\"shared\":[", r->coverage);
        size_t ab = 0, ac = 0, bb = 0, bc = 0;   /* out_offset's cursors */
        for (size_t i = 0; i < r->n_passages && i < 5; i++) {
            const tsr_passage *p = &r->passages[i];
            size_t n = p->a_end - p->a_begin;
            if (n > 160) { n = 160; while (n > 0 && ((unsigned char)a[p->a_begin + n] & 0xC0) == 0x80) n--; }
            const size_t o1 = out_offset(s->chars, a, p->a_begin, &ab, &ac);
            const size_t o2 = out_offset(s->chars, a, p->a_end, &ab, &ac);
            const size_t o3 = out_offset(s->chars, b, p->b_begin, &bb, &bc);
            const size_t o4 = out_offset(s->chars, b, p->b_end, &bb, &bc);
            fprintf(f, "%s{\"begin\":%zu,\"end\":%zu,\"source_begin\":%zu,\"source_end\":%zu,"
                    "\"similarity\":%.3f,\"text\":", i ? "," : "", o1, o2, o3, o4,
                    p->similarity);
            put_json(f, a + p->a_begin, n);
            fputc('}', f);
        }
        fputc(']', f);
    }
    tsr_result_free(r);
    fputs("}\n", f);
}

static void explain_all(dd_writer *w)
{
    dd_state *s = w->s;
    uint64_t n = tsr_dedup_count(s->d);
    for (uint64_t i = 0; i < n; i++) {
        int64_t c;
        uint64_t keep = tsr_dedup_kept_as(s->d, i, &c);
        if (keep != i) {
            /* the score of the measure with the kept document (through a
             * chain of pairs it may be below the threshold) */
            const double jac = tsr_dedup_similarity(s->d, i, keep);
            double score = jac;
            if (s->o.measure != TSR_MEASURE_JACCARD &&
                tsr_dedup_measure(w->ctext[i], w->clen[i], w->ctext[keep], w->clen[keep],
                                  &s->o, &score, NULL) != TSR_OK)
                score = 0.0;
            explain_one(w, i, doc_id(s, keep), c, jac, score,
                        w->ctext[i], w->clen[i], w->ctext[keep], w->clen[keep]);
        } else if (s->ix && s->dbmatch.a[i] >= 0) {
            tsr_document *d = NULL;
            if (tsr_index_get_docno(s->ix, s->dbmatch.a[i], &d, NULL) != TSR_OK) continue;
            explain_one(w, i, d->id ? d->id : "?", -1, s->dbjac.a[i], s->dbscore.a[i],
                        w->ctext[i], w->clen[i], d->text, d->text_len);
            tsr_document_free(d);
        }
    }
    fflush(stdout);
}

static int write_clusters(dd_state *s)
{
    cli_atomic o;
    const int rc = cli_atomic_open(&o, s->clusters_path, CLI_ATOMIC_STDOUT);
    if (rc != EXIT_OK)
        return rc;
    size_t nc = 0;
    const tsr_dedup_cluster *cl = tsr_dedup_clusters(s->d, &nc);
    const uint64_t *m = tsr_dedup_members(s->d);
    for (size_t c = 0; c < nc && !interrupted; c++) {
        fprintf(o.f, "{\"cluster\":%zu,\"keep\":", c);
        put_json(o.f, doc_id(s, cl[c].keep), strlen(doc_id(s, cl[c].keep)));
        fputs(",\"ids\":[", o.f);
        for (size_t k = 0; k < cl[c].n; k++) {
            if (k) fputc(',', o.f);
            const char *id = doc_id(s, m[cl[c].first + k]);
            put_json(o.f, id, strlen(id));
        }
        fprintf(o.f, "],\"similarity\":%.4f}\n", cl[c].similarity);
    }
    if (interrupted) { cli_atomic_abort(&o); return EXIT_INTERRUPTED; }
    return cli_atomic_commit(&o);
}

/* ------------------------------------------------------------------------
 * Standard input, spooled for the second pass
 * --------------------------------------------------------------------- */

static char *spool_stdin(void)
{
    const char *td = getenv("TMPDIR");
    if (!td || !*td) td = "/tmp";
    size_t n = strlen(td) + 40;
    char *path = malloc(n);
    if (!path) return NULL;
    int c = getchar();
    snprintf(path, n, "%s/tessera-dedup-XXXXXX%s", td, c == '{' ? ".jsonl" : ".txt");
    int fd = mkstemps(path, c == '{' ? 6 : 4);
    if (fd < 0) { free(path); return NULL; }
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); unlink(path); free(path); return NULL; }
    if (c != EOF) fputc(c, f);
    char buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, stdin)) > 0)
        if (fwrite(buf, 1, got, f) != got) break;
    if (ferror(stdin) || fclose(f) != 0) { unlink(path); free(path); return NULL; }
    return path;
}

/* ------------------------------------------------------------------------
 * The command
 * --------------------------------------------------------------------- */

static int run_pass2(dd_state *s, dd_writer *w)
{
    tsr_error e = { 0 };
    cli_feed *feed = NULL;
    cli_feed_warn_binary = 0;   /* the first pass told of the binary files */
    if (cli_feed_start(&feed, s->inputs, s->ninputs, &s->ro, s->threads) != 0)
        return cli_fail(EXIT_SYSTEM, "cannot start the reader thread");
    cli_progress_start(&s->pg, "dedup: writing", !s->quiet);
    cli_batch *bt = NULL;
    int got, rc = EXIT_OK;
    uint64_t i = 0;
    const uint64_t n = tsr_dedup_count(s->d);
    while (rc == EXIT_OK && !interrupted && (got = cli_feed_next(feed, &bt)) == 1) {
        const int bad = cli_batch_parse(feed, bt, s->threads);
        for (size_t k = 0; k < cli_batch_count(bt) && rc == EXIT_OK; k++, i++) {
            if (i >= n) {
                rc = cli_fail(EXIT_INPUT, "the input changed between the two passes "
                              "(more documents the second time)");
                break;
            }
            int st = pass2_doc(w, cli_batch_doc(bt, k), i, &e);
            if (st != TSR_OK) rc = cli_fail(cli_exit_code(st), "%s", e.message);
        }
        if (bad != TSR_OK && rc == EXIT_OK && !interrupted)
            rc = cli_read_fail(bad, cli_batch_error(bt));
        cli_batch_free(bt);
        bt = NULL;
        uint64_t done, total;
        cli_feed_progress(feed, &done, &total);
        cli_progress_update(&s->pg, done, total, i, 0);
    }
    if (rc == EXIT_OK && !interrupted && got < 0) rc = cli_feed_fail(feed);
    if (rc == EXIT_OK && !interrupted && i != n)
        rc = cli_fail(EXIT_INPUT, "the input changed between the two passes "
                      "(%llu documents, then %llu)", (unsigned long long)n, (unsigned long long)i);
    if (rc == EXIT_OK && !interrupted && w->sub) {
        int st = flush_block(w, &e);
        if (st != TSR_OK) rc = cli_fail(cli_exit_code(st), "%s", e.message);
    }
    cli_feed_stop(feed);
    cli_progress_end(&s->pg);
    return rc;
}

/* Pass 2 without parsing: when every input is an uncompressed JSON Lines
 * file, no record was skipped as bad, and records are written unchanged
 * (no --substrings, --boilerplate, --mark or --explain), the kept records
 * are copied as the raw lines they were, byte for byte.  Record k is the
 * k-th line that is not blank, exactly as the reader counts them. */
static int raw_possible(const dd_state *s, uint64_t skipped)
{
    if (skipped || s->substr_min || s->boiler || s->mark || s->explain)
        return 0;
    for (int i = 0; i < s->ninputs; i++) {
        const char *p = s->inputs[i];
        size_t n = strlen(p);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
        int ok = 0;
        const char *ext[] = { ".jsonl", ".ndjson", ".json" };
        for (int k = 0; k < 3; k++) {
            size_t l = strlen(ext[k]);
            if (n >= l && !strcasecmp(p + n - l, ext[k])) ok = 1;
        }
        if (!ok) return 0;
    }
    return 1;
}

/* The lines of one file, read a block at a time: *line and *len for each
 * (its '\n' included when it has one); 1, 0 at the end, -1 on a read
 * error (errno set).  No copy: a line points into the block. */
typedef struct {
    int fd;
    char *buf;
    size_t cap, lo, hi;   /* unread bytes: buf[lo, hi) */
    int eof;
    /* called before the block moves: lines handed out are then gone */
    void (*moving)(void *ud);
    void *ud;
} dd_lines;

static int lines_next(dd_lines *r, const char **line, size_t *len)
{
    for (;;) {
        const char *nl = r->hi > r->lo ? memchr(r->buf + r->lo, '\n', r->hi - r->lo) : NULL;
        if (nl || (r->eof && r->hi > r->lo)) {
            size_t end = nl ? (size_t)(nl - r->buf) + 1 : r->hi;
            *line = r->buf + r->lo;
            *len = end - r->lo;
            r->lo = end;
            return 1;
        }
        if (r->eof) return 0;
        if (r->moving) r->moving(r->ud);
        /* keep the partial line, make room, read on */
        if (r->lo > 0) {
            memmove(r->buf, r->buf + r->lo, r->hi - r->lo);
            r->hi -= r->lo;
            r->lo = 0;
        }
        if (r->hi == r->cap) {
            size_t nc = r->cap * 2;
            char *nb = realloc(r->buf, nc);
            if (!nb) { errno = ENOMEM; return -1; }
            r->buf = nb;
            r->cap = nc;
        }
        ssize_t got = read(r->fd, r->buf + r->hi, r->cap - r->hi);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (got == 0) r->eof = 1;
        r->hi += (size_t)got;
    }
}

/* Kept lines that follow each other in the block go out in one write. */
typedef struct {
    FILE *f;
    const char *run;
    size_t len;
} dd_run_out;

static void run_flush(void *ud)
{
    dd_run_out *o = ud;
    if (o->run) fwrite(o->run, 1, o->len, o->f);
    o->run = NULL;
    o->len = 0;
}

static int run_pass2_raw(dd_state *s, dd_writer *w)
{
    const uint64_t n = tsr_dedup_count(s->d);
    uint64_t i = 0, done = 0, total = 0;
    int rc = EXIT_OK;
    dd_lines r;
    dd_run_out ro = { w->out.f, NULL, 0 };
    memset(&r, 0, sizeof r);
    r.cap = (size_t)4 << 20;
    r.buf = malloc(r.cap);
    r.moving = run_flush;
    r.ud = &ro;
    if (!r.buf) return cli_fail(EXIT_SYSTEM, "out of memory");
    for (int in = 0; in < s->ninputs; in++) {
        struct stat st;
        if (stat(s->inputs[in], &st) == 0) total += (uint64_t)st.st_size;
    }
    cli_progress_start(&s->pg, "dedup: writing", !s->quiet);
    for (int in = 0; in < s->ninputs && rc == EXIT_OK && !interrupted; in++) {
        r.fd = open(s->inputs[in], O_RDONLY | O_CLOEXEC);
        if (r.fd < 0) { rc = cli_fail(EXIT_INPUT, "%s: %s", s->inputs[in], strerror(errno)); break; }
        r.lo = r.hi = 0;
        r.eof = 0;
        const char *l;
        size_t len;
        int got;
        uint64_t lineno = 0;
        while ((got = lines_next(&r, &l, &len)) > 0 && !interrupted) {
            done += len;
            if (++lineno == 1 && len >= 3 && !memcmp(l, "\xEF\xBB\xBF", 3)) { l += 3; len -= 3; }
            size_t k = 0;
            while (k < len && (l[k] == ' ' || l[k] == '\t' || l[k] == '\r' || l[k] == '\n')) k++;
            if (k == len) continue;
            if (i >= n) break;
            int64_t c;
            uint64_t keep = tsr_dedup_kept_as(s->d, i, &c);
            if (keep != i) w->dropped_dup++;
            else if (s->ix && s->dbmatch.a[i] >= 0) w->dropped_db++;
            else {
                if (ro.run && ro.run + ro.len == l) {
                    ro.len += len;
                } else {
                    run_flush(&ro);
                    ro.run = l;
                    ro.len = len;
                }
                if (l[len - 1] != '\n') {   /* the last line, without its break */
                    run_flush(&ro);
                    fputc('\n', w->out.f);
                }
                w->written++;
            }
            i++;
            if ((i & 4095) == 0) cli_progress_update(&s->pg, done, total, i, 0);
        }
        run_flush(&ro);
        if (got < 0) rc = cli_fail(EXIT_INPUT, "%s: read error: %s", s->inputs[in], strerror(errno));
        close(r.fd);
    }
    free(r.buf);
    cli_progress_end(&s->pg);
    if (rc == EXIT_OK && !interrupted && i != n)
        rc = cli_fail(EXIT_INPUT, "the input changed between the two passes "
                      "(%llu documents, then %llu)", (unsigned long long)n, (unsigned long long)i);
    return rc;   /* a failed write: cli_atomic_commit says why (its fflush tries again) */
}

int cmd_dedup(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, 0, 'o' }, { "threshold", required_argument, 0, 1 },
        { "shingle", required_argument, 0, 2 }, { "perm", required_argument, 0, 3 },
        { "keep", required_argument, 0, 4 }, { "clusters", required_argument, 0, 5 },
        { "substrings", required_argument, 0, 6 }, { "remove", no_argument, 0, 7 },
        { "boilerplate", no_argument, 0, 8 }, { "db", required_argument, 0, 9 },
        { "explain", no_argument, 0, 10 }, { "memory", required_argument, 0, 11 },
        { "threads", required_argument, 0, 12 }, { "mark", no_argument, 0, 13 },
        { "boiler-min", required_argument, 0, 14 }, { "measure", required_argument, 0, 15 },
        { "candidate", required_argument, 0, 16 }, { "offsets", required_argument, 0, 17 },
        CLI_READER_OPTIONS, { "allow-nul", no_argument, 0, 26 },
        { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
    };
    dd_state s;
    memset(&s, 0, sizeof s);
    tsr_dedup_opts_default(&s.o);
    tsr_dedup_opts_measure(&s.o, TSR_MEASURE_ALIGNED);
    tsr_reader_opts_default(&s.ro);
    /* explicit values, applied over the chosen measure's defaults */
    double threshold = 0, candidate = 0;
    int shingle = 0, measure = TSR_MEASURE_ALIGNED;
    s.memory = (uint64_t)4 << 30;
    s.boiler_min = 10;
    int v, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hqo:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': s.out_path = optarg; break;
        case 1: {
            char *end;
            threshold = strtod(optarg, &end);
            if (*end || end == optarg || !(threshold > 0 && threshold <= 1))
                return cli_usage_error("dedup", "--threshold takes a number in (0, 1], not '%s'", optarg);
            break;
        }
        case 2:
            if (cli_parse_int(optarg, 1, 16, &v)) return cli_usage_error("dedup", "--shingle takes 1..16");
            shingle = v; break;
        case 3:
            if (cli_parse_int(optarg, 8, 1024, &v)) return cli_usage_error("dedup", "--perm takes 8..1024");
            s.o.perm = v; break;
        case 4:
            if (!strcmp(optarg, "first")) s.o.keep = TSR_KEEP_FIRST;
            else if (!strcmp(optarg, "longest")) s.o.keep = TSR_KEEP_LONGEST;
            else if (!strcmp(optarg, "earliest")) s.o.keep = TSR_KEEP_EARLIEST;
            else return cli_usage_error("dedup", "--keep takes first, longest or earliest, not '%s'", optarg);
            break;
        case 5: s.clusters_path = optarg; break;
        case 6:
            if (cli_parse_int(optarg, 8, 1 << 30, &v)) return cli_usage_error("dedup", "--substrings takes a length in bytes, at least 8");
            s.substr_min = (size_t)v; break;
        case 7: s.remove = 1; break;
        case 17:
            if (!strcmp(optarg, "bytes") || !strcmp(optarg, "chars")) s.chars = optarg[0] == 'c';
            else return cli_usage_error("dedup", "--offsets takes bytes or chars, not '%s'",
                                        optarg);
            break;
        case 8: s.boiler = 1; break;
        case 9: s.db = optarg; break;
        case 10: s.explain = 1; break;
        case 11:
            if (cli_parse_size(optarg, 1024, UINT64_MAX, &s.memory)) return cli_usage_error("dedup", "--memory takes a size such as 512M or 4G, not '%s'", optarg);
            break;
        case 12:
            if (cli_parse_int(optarg, 0, 256, &v)) return cli_usage_error("dedup", "--threads takes 0..256");
            s.threads = v; break;
        case 13: s.mark = 1; break;
        case 14:
            if (cli_parse_int(optarg, 2, 2000000000, &v)) return cli_usage_error("dedup", "--boiler-min takes 2 or more");
            s.boiler_min = (unsigned)v; break;
        case 15:
            if (!strcmp(optarg, "aligned")) measure = TSR_MEASURE_ALIGNED;
            else if (!strcmp(optarg, "containment")) measure = TSR_MEASURE_CONTAINMENT;
            else if (!strcmp(optarg, "jaccard")) measure = TSR_MEASURE_JACCARD;
            else return cli_usage_error("dedup", "--measure takes aligned, containment or jaccard, not '%s'", optarg);
            break;
        case 16: {
            char *end;
            candidate = strtod(optarg, &end);
            if (*end || end == optarg || !(candidate > 0 && candidate < 1))
                return cli_usage_error("dedup", "--candidate takes a number in (0, 1), not '%s'", optarg);
            break;
        }
        case 26: s.ro.allow_nul = 1; break;
        case 'q': s.quiet = 1; break;
        case 'h': fputs(dedup_help, stdout); return EXIT_OK;
        default:
            if (cli_reader_option(&s.ro, c, optarg)) break;
            return cli_option_error("dedup", argc, argv, "hqo:", opts);
        }
    }
    tsr_dedup_opts_measure(&s.o, measure);
    if (threshold > 0) s.o.threshold = threshold;
    if (shingle > 0) s.o.shingle = shingle;
    if (candidate > 0) s.o.candidate = candidate;
    if (measure == TSR_MEASURE_JACCARD && s.o.threshold >= 1)
        return cli_usage_error("dedup", "--threshold of jaccard must be below 1");
    if (measure == TSR_MEASURE_JACCARD && candidate > 0)
        return cli_usage_error("dedup", "--candidate is for the measures aligned and containment");
    if (optind >= argc) return cli_usage_error("dedup", "no INPUT given");
    if (!s.out_path) return cli_usage_error("dedup", "no output given (-o OUT.jsonl)");
    if (s.remove && !s.substr_min && !s.boiler)
        return cli_usage_error("dedup", "--remove needs --substrings or --boilerplate");
    if (s.explain && !strcmp(s.out_path, "-"))
        return cli_usage_error("dedup", "--explain writes to stdout: give -o a file");
    if (s.threads == 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        s.threads = nc > 0 ? (int)nc : 1;
    }
    s.o.threads = s.threads;
    s.inputs = argv + optind;
    s.ninputs = argc - optind;
    s.need_ids = s.clusters_path || s.mark || s.explain;

    tsr_error e = { 0 };
    int rc = EXIT_OK, st;
    int complete = 0;         /* the output is in place: a late signal changes nothing */
    char *spooled = NULL;
    dd_writer w;
    memset(&w, 0, sizeof w);
    w.s = &s;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    for (int i = 0; i < s.ninputs; i++) {
        if (!strcmp(s.inputs[i], "-")) {
            if (spooled) { rc = cli_usage_error("dedup", "standard input given twice"); goto out; }
            spooled = spool_stdin();
            if (!spooled) { rc = cli_fail(EXIT_SYSTEM, "cannot spool standard input to $TMPDIR: %s", strerror(errno)); goto out; }
            s.inputs[i] = spooled;
        }
    }
    if ((st = tsr_dedup_create(&s.o, &s.d, &e)) != TSR_OK) { rc = cli_fail(cli_exit_code(st), "%s", e.message); goto out; }
    if (s.boiler && (st = tsr_boiler_create(s.boiler_min, 0.01, &s.bp, &e)) != TSR_OK) {
        rc = cli_fail(cli_exit_code(st), "%s", e.message);
        goto out;
    }
    if (s.db && (rc = cli_open_index(s.db, TSR_OPEN_READONLY, &s.ix)) != EXIT_OK) goto out;
    if (s.substr_min && (st = tsr_substr_create(s.substr_min, &w.sub, &e)) != TSR_OK) {
        rc = cli_fail(cli_exit_code(st), "%s", e.message);
        goto out;
    }
    /* open the output before the work: a bad path fails at once */
    if ((rc = cli_atomic_open(&w.out, s.out_path, CLI_ATOMIC_STDOUT)) != EXIT_OK)
        goto out;

    /* ---- pass 1 ---- */
    double t0 = cli_now();
    cli_progress_start(&s.pg, "dedup: reading", !s.quiet);
    if (cli_feed_start(&s.feed, s.inputs, s.ninputs, &s.ro, 0) != 0) {
        rc = cli_fail(EXIT_SYSTEM, "cannot start the reader thread");
        goto out;
    }
    pthread_t th[256];
    int started = 0;
    for (int t = 1; t < s.threads; t++)
        if (pthread_create(&th[started], NULL, pass1_worker, &s) == 0) started++;
    pass1_worker(&s);
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    cli_progress_end(&s.pg);
    if (!interrupted && s.status != TSR_OK)
        rc = cli_fail(cli_exit_code(s.status), "%s", s.errmsg);
    else if (!interrupted && s.bad)
        rc = cli_read_fail(s.bad, s.badmsg);
    else if (!interrupted && s.feed_status < 0)
        rc = cli_feed_fail(s.feed);
    uint64_t skipped = 0;
    for (int a = 0; a < s.ninputs && rc == EXIT_OK; a++) {
        const char *last = NULL;
        uint64_t sk = cli_feed_skipped(s.feed, a, &last);
        skipped += sk;
        if (sk && !s.quiet)
            cli_warn("%s: skipped %llu bad records; last: %s", s.inputs[a],
                     (unsigned long long)sk, last ? last : "?");
    }
    cli_feed_stop(s.feed);
    s.feed = NULL;
    if (rc != EXIT_OK || interrupted) goto out;
    double t1 = cli_now();

    if ((st = tsr_dedup_run(s.d, NULL, NULL, &e)) != TSR_OK) {
        rc = cli_fail(cli_exit_code(st), "%s", e.message);
        goto out;
    }
    double t2 = cli_now();
    if (interrupted) goto out;
    if ((st = tsr_dedup_verify(s.d, NULL, NULL, &e)) != TSR_OK) {
        rc = cli_fail(cli_exit_code(st), "%s", e.message);
        goto out;
    }
    if (interrupted) goto out;
    double t2v = cli_now();

    /* ---- pass 2 ---- */
    if (s.explain) {
        uint64_t n = tsr_dedup_count(s.d);
        w.ctext = calloc(n + 1, sizeof *w.ctext);
        w.clen = calloc(n + 1, sizeof *w.clen);
        if (!w.ctext || !w.clen) { rc = cli_fail(EXIT_SYSTEM, "out of memory"); goto out; }
    }
    rc = raw_possible(&s, skipped) ? run_pass2_raw(&s, &w) : run_pass2(&s, &w);
    if (rc != EXIT_OK || interrupted) goto out;
    if (s.clusters_path && (rc = write_clusters(&s)) != EXIT_OK) goto out;
    if (interrupted) goto out;
    if ((rc = cli_atomic_commit(&w.out)) != EXIT_OK)
        goto out;
    complete = 1;
    if (s.explain) explain_all(&w);
    double t3 = cli_now();
    if (!s.quiet) {
        size_t ncl = 0;
        tsr_dedup_clusters(s.d, &ncl);
        uint64_t cand = 0, ver = 0;
        tsr_dedup_stats(s.d, &cand, &ver);
        int b, r;
        tsr_dedup_banding(s.d, &b, &r);
        fprintf(stderr, "%s: dedup: %llu documents (%.1f MB) in %.1f s (%.1f MB/s): "
                "%zu clusters, %llu near duplicates dropped", cli_prog,
                (unsigned long long)s.docs, s.bytes / 1e6, t3 - t0,
                t3 > t0 ? s.bytes / 1e6 / (t3 - t0) : 0.0, ncl,
                (unsigned long long)w.dropped_dup);
        if (s.ix) fprintf(stderr, ", %llu duplicates of the index", (unsigned long long)w.dropped_db);
        if (s.mark) fputs(" (marked, not dropped)", stderr);
        fprintf(stderr, "; %llu written", (unsigned long long)w.written);
        if (w.sub) fprintf(stderr, "; %llu repeated bytes %s", (unsigned long long)w.rep_bytes,
                           s.remove ? "removed" : "reported");
        if (s.bp) fprintf(stderr, "; %llu boilerplate lines %s", (unsigned long long)w.boiler_lines,
                          s.remove ? "removed" : "reported");
        if (s.o.measure == TSR_MEASURE_JACCARD) {
            fprintf(stderr, "\n%s: dedup: jaccard, threshold %.2f, %d-word shingles, %d values = %d "
                    "bands x %d rows; %llu candidate pairs, %llu verified; read+hash %.1f s, "
                    "cluster %.1f s, write %.1f s\n", cli_prog, s.o.threshold, s.o.shingle,
                    s.o.perm, b, r, (unsigned long long)cand, (unsigned long long)ver, t1 - t0,
                    t2 - t1, t3 - t2v);
        } else {
            tsr_dedup_counts k;
            tsr_dedup_get_counts(s.d, &k);
            fprintf(stderr, "\n%s: dedup: %s, threshold %.2f; candidates: %d-word shingles, "
                    "Jaccard %.2f, %d values = %d bands x %d rows: %llu bucket pairs, %llu "
                    "candidates, of them %llu with equal signatures and %llu scored (the "
                    "others not needed); %llu documents joined; %.1f MB of compact forms "
                    "spooled; read+hash %.1f s, bands %.1f s, verify %.1f s, write %.1f s\n",
                    cli_prog, tsr_measure_name(s.o.measure), s.o.threshold, s.o.shingle,
                    s.o.candidate, s.o.perm, b, r, (unsigned long long)k.band_pairs,
                    (unsigned long long)k.candidates,
                    (unsigned long long)k.identical, (unsigned long long)k.scored,
                    (unsigned long long)k.joined, k.spooled / 1e6, t1 - t0, t2 - t1, t2v - t2,
                    t3 - t2v);
        }
    }

out:
    if (s.feed) cli_feed_stop(s.feed);
    cli_atomic_abort(&w.out);   /* nothing once committed */
    if (rc == EXIT_OK && interrupted && !complete) {
        cli_warn("interrupted: no output written");
        rc = EXIT_INTERRUPTED;
    }
    for (size_t i = 0; i < w.block.n; i++) rec_free(&w.block.a[i]);
    cli_vec_free(&w.block);
    if (w.ctext) {
        uint64_t n = tsr_dedup_count(s.d);
        for (uint64_t i = 0; i < n; i++) free(w.ctext[i]);
    }
    free(w.ctext);
    free(w.clen);
    tsr_substr_free(w.sub);
    tsr_dedup_free(s.d);
    tsr_boiler_free(s.bp);
    tsr_index_close(s.ix);
    cli_vec_free(&s.ids);
    cli_vec_free(&s.id_off);
    cli_vec_free(&s.dbmatch);
    cli_vec_free(&s.dbjac);
    cli_vec_free(&s.dbscore);
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cv);
    if (spooled) { unlink(spooled); free(spooled); }
    return rc;
}
