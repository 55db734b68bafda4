/*
 * discover.c - every reused passage in an index, grouped into families.
 *
 * How it works.  Three stages, each a pure function of the index and the
 * parameters, each written to the work directory when it finishes, so that
 * a run killed at any moment resumes after its last finished stage and
 * gives the same result as a run that was never interrupted.
 *
 * 1. Pairs.  The postings of all segments are scanned in fingerprint
 *    order (a k-way merge; seg_scan).  A fingerprint held by d documents,
 *    2 <= d <= max_df, makes d(d-1)/2 document pairs; fingerprints held by
 *    more documents are boilerplate and make none (passim's bound, which
 *    keeps the work linear in practice).  Pair keys (a << 32 | b) go to a
 *    buffer; a full buffer is radix-sorted, counted and spilled to disk as
 *    a sorted run of (pair, count); the runs are merged, counts summed, and
 *    pairs sharing at least `min_shared` fingerprints are candidates.  The
 *    fingerprint space is cut into partitions by the top bits of the hash,
 *    and threads take partitions, so the stage spreads over cores (and,
 *    later, over machines) with memory bounded by `memory`.
 *
 * 2. Alignment.  Candidate pairs are sorted by (a, b); each a's text is
 *    prepared once (al_query) and aligned with each of its b's exactly as
 *    tsr_align does.  Threads take chunks of consecutive a's; results are
 *    kept per chunk, so their order does not depend on scheduling.  With
 *    the sentence stage (--paraphrase), a is split into sentences once per
 *    chunk, each document's marks (stems, sentence ends: pp_marks) are
 *    made when it is read and kept in the document cache beside its words,
 *    a pair the aligner left empty is first tested from b's marks
 *    (pp_may_pair: 96% are ruled out on generated text), and only the rest have b
 *    split (kept in the thread's slots, disc_ppc) and compared.
 *
 * 3. Families.  Every passage pair is two spans, one per document; a
 *    union-find joins the two spans of a pair, and joins spans of one
 *    document that overlap by at least half of the longer.  A family's
 *    members are the merged spans per document; its origin the member
 *    with the earliest date, else the lowest document number.
 *
 * The code.  tsr_discover is the list of the stages, each a static
 * function with its contract above it, passing a disc_run from one to the
 * next: disc_plan (arguments, defaults, buffer sizes), disc_result_new,
 * disc_workdir_open (the work directory and its key), then
 *   1. disc_pairs: the pairs file, or disc_pairs_find (s1_worker threads,
 *      merge_runs, disc_pairs_save);
 *   2. disc_links: the links file, or disc_links_align (disc_chunks,
 *      s2_worker threads, disc_links_join);
 *   3. disc_families: build_families, itself fam_spans, fam_info,
 *      fam_members, fam_order and fam_output.
 *
 * Edge cases.  An empty index gives an empty result.  A work directory
 * from another index state or other parameters (its key differs) is
 * cleared.  Stage files are written to a temporary name, fsync'ed and
 * renamed, so a stage is either whole or absent.
 */
#include "align.h"
#include "cache.h"
#include "paraphrase.h"
#include "index_internal.h"
#include "segment.h"
#include "signif.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Partitions of the fingerprint space (top bits of the hash). */
#define DISC_PART_BITS 8u
#define DISC_NPART (1u << DISC_PART_BITS)
/* Default bound on a fingerprint's document frequency (passim's). */
#define DISC_MAX_DF 100
/* A fingerprint held by at most this many documents counts twice. */
#ifndef DISC_RARE_DF
#define DISC_RARE_DF 4
#endif
/* Pairs of a's per alignment work chunk. */
#define DISC_CHUNK 256
/* Format of the stage files. */
#define DISC_MAGIC 0x31435349445253ull  /* "TSRDISC1" little-endian-ish tag */

/* ------------------------------------------------------------------------
 * Options
 * --------------------------------------------------------------------- */

void tsr_discover_opts_default(tsr_discover_opts *o)
{
    memset(o, 0, sizeof *o);
    o->new_after = -1;
}

/* ------------------------------------------------------------------------
 * Small file helpers
 * --------------------------------------------------------------------- */

static int disc_path(char *buf, size_t n, const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    if (a + b + 2 > n) return -1;
    memcpy(buf, dir, a);
    buf[a] = '/';
    memcpy(buf + a + 1, name, b + 1);
    return 0;
}

/* Write `len` bytes to `path` atomically: temp file, fsync when `sync`,
 * rename (disc_run.sync: not in a work directory that is thrown away). */
static int disc_write_file(int sync, const char *dir, const char *name, const void *data,
                           size_t len, tsr_error *err)
{
    char path[4096], tmp[4200];
    if (disc_path(path, sizeof path, dir, name))
        return tsr_seterr(err, TSR_ERR_INVALID, "%s: path too long", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return tsr_seterr(err, tsr_io_status(errno), "%s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return tsr_seterr(err, tsr_io_status(e), "%s: %s", tmp, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if ((sync && fsync(fd) != 0) || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return tsr_seterr(err, tsr_io_status(e), "%s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0)
        return tsr_seterr(err, tsr_io_status(errno), "%s: %s", path, strerror(errno));
    int dfd = sync ? open(dir, O_RDONLY) : -1;
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    return TSR_OK;
}

/* Read a whole file; TSR_ERR_NOTFOUND when absent. */
static int disc_read_file(const char *dir, const char *name, void **data, size_t *len,
                          tsr_error *err)
{
    char path[4096];
    *data = NULL;
    *len = 0;
    if (disc_path(path, sizeof path, dir, name))
        return tsr_seterr(err, TSR_ERR_INVALID, "%s: path too long", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? TSR_ERR_NOTFOUND
                               : tsr_seterr(err, TSR_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return tsr_seterr(err, TSR_ERR_IO, "%s: %s", path, strerror(errno));
    }
    size_t n = (size_t)st.st_size;
    void *b = malloc(n ? n : 1);
    if (!b) {
        fclose(f);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading %s", path);
    }
    if (n && fread(b, 1, n, f) != n) {
        fclose(f);
        free(b);
        return tsr_seterr(err, TSR_ERR_IO, "%s: short read", path);
    }
    fclose(f);
    *data = b;
    *len = n;
    return TSR_OK;
}

static void disc_remove(const char *dir, const char *name)
{
    char path[4096];
    if (!disc_path(path, sizeof path, dir, name))
        unlink(path);
}

/* ------------------------------------------------------------------------
 * Stage 1: candidate pairs
 * --------------------------------------------------------------------- */

/* One counted pair.  Stage files hold arrays of these, little-endian. */
typedef struct { uint64_t key; uint32_t count, pad_; } disc_pc;

/* LSD radix sort of 64-bit keys, 16 bits a pass; passes over digits that
 * are equal in every key are skipped. */
static void radix_u64(uint64_t *a, uint64_t *tmp, size_t n, size_t *cnt)
{
    uint64_t or_all = 0, and_all = ~(uint64_t)0;
    for (size_t i = 0; i < n; i++) { or_all |= a[i]; and_all &= a[i]; }
    for (unsigned shift = 0; shift < 64; shift += 16) {
        if ((((or_all ^ and_all) >> shift) & 0xffff) == 0)
            continue;
        memset(cnt, 0, 65536 * sizeof *cnt);
        for (size_t i = 0; i < n; i++) cnt[(a[i] >> shift) & 0xffff]++;
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) { size_t c = cnt[d]; cnt[d] = sum; sum += c; }
        for (size_t i = 0; i < n; i++) tmp[cnt[(a[i] >> shift) & 0xffff]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
}

typedef struct {
    tsr_index *ix;
    seg_file *const *segs;
    size_t nsegs;
    uint32_t max_df;
    int64_t new_after;
    size_t cap;               /* pair keys per thread buffer */
    const char *workdir;
    int sync;                 /* disc_run.sync */
    /* shared */
    pthread_mutex_t mu;
    unsigned next_part;       /* counts this process's partitions */
    unsigned part_first, part_step;  /* its partitions: first + k * step */
    unsigned parts_done;
    unsigned runs;            /* spill files written */
    uint64_t fingerprints, skipped;
    int rc;
    tsr_error err;
} disc_s1;

/* Sort, count and spill buf[0, n) as run file run-NNNNN, with the radix
 * sort's 65,536 counters in cnt.  The sort's scratch (n keys) and the
 * counted records (n at most) go right after buf[n - 1], in the room that
 * s1_worker's block keeps behind its buffer: so a spill of a few pairs
 * touches a few pages, not three huge pages far apart. */
static int spill(disc_s1 *s, uint64_t *buf, size_t n, size_t *cnt, tsr_error *err)
{
    if (n == 0) return TSR_OK;
    uint64_t *tmp = buf + n;
    disc_pc *out = (disc_pc *)(void *)(tmp + n);
    radix_u64(buf, tmp, n, cnt);
    /* count into out as disc_pc records (n >= records) */
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && buf[j] == buf[i]) j++;
        out[m].key = buf[i];
        out[m].count = (uint32_t)(j - i);
        out[m].pad_ = 0;
        m++;
        i = j;
    }
    pthread_mutex_lock(&s->mu);
    unsigned r = s->runs++;
    pthread_mutex_unlock(&s->mu);
    char name[64];
    snprintf(name, sizeof name, "run-%05u", r);
    return disc_write_file(s->sync, s->workdir, name, out, m * sizeof *out, err);
}

static void *s1_worker(void *arg)
{
    disc_s1 *s = arg;
    tsr_error err = { 0 };
    int rc = TSR_OK;
    /* the sort's counters, then the pairs with room behind for the sort's
     * scratch and the counted records (spill), in one block on huge pages:
     * filled afresh by every spill, they were a third of discovery's page
     * faults at 100,000 documents (BENCHMARKS.md, "The document cache on
     * huge pages"); the scratch and the records once lay at fixed places a
     * buffer apart, three huge pages for a spill of any size: 12 MB of
     * fresh memory for 640 KB of pairs at 10,000 documents (BENCHMARKS.md,
     * "Discovery at small sizes: fewer fresh pages and syncs") */
    const size_t one = 2 * sizeof(uint64_t) + sizeof(disc_pc);
    const size_t head = 65536 * sizeof(size_t);
    char *base = NULL;
    void *raw = s->cap <= (SIZE_MAX - head) / one ? tsr_huge_alloc(0, head + s->cap * one, &base)
                                                  : NULL;
    size_t *cnt = raw ? (size_t *)(void *)base : NULL;
    uint64_t *buf = raw ? (uint64_t *)(void *)(base + head) : NULL;
    size_t n = 0;
    uint64_t fps = 0, skipped = 0;
    /* removed documents (tsr_index_remove) whose postings are still in the
     * segments: left out of every fingerprint's documents */
    const seg_dead *dead = ix_dead(s->ix);
    TSR_VEC(uint32_t) live = { 0 };
    if (!raw)
        rc = tsr_seterr(&err, TSR_ERR_NOMEM, "out of memory for %zu pairs", s->cap);
    for (;;) {
        pthread_mutex_lock(&s->mu);
        unsigned part = s->rc == TSR_OK && rc == TSR_OK
                            ? s->part_first + s->part_step * s->next_part++ : DISC_NPART;
        pthread_mutex_unlock(&s->mu);
        if (part >= DISC_NPART) break;
        seg_scan *sc = NULL;
        rc = seg_scan_open(s->segs, s->nsegs, DISC_PART_BITS, part, &sc, &err);
        uint64_t id;
        const uint32_t *docs;
        long d;
        while (rc == TSR_OK && (d = seg_scan_next(sc, &id, &docs)) > 0) {
            if (dead) {
                live.n = 0;
                for (long x = 0; x < d && rc == TSR_OK; x++)
                    if (!seg_is_dead(dead, docs[x]) && tsr_vec_push(&live, docs[x]) != 0)
                        rc = tsr_seterr(&err, TSR_ERR_NOMEM, "out of memory");
                docs = live.a;
                d = (long)live.n;
                if (d == 0) continue;
            }
            fps++;
            if (d < 2) continue;
            if ((uint32_t)d > s->max_df) { skipped++; continue; }
            for (long x = 0; x < d && rc == TSR_OK; x++)
                for (long y = x + 1; y < d; y++) {
                    if (s->new_after >= 0 && (int64_t)docs[y] <= s->new_after) continue;
                    if (n == s->cap) {
                        rc = spill(s, buf, n, cnt, &err);
                        n = 0;
                        if (rc != TSR_OK) break;
                    }
                    buf[n++] = (uint64_t)docs[x] << 32 | docs[y];
                    /* a fingerprint that only a few documents hold is
                     * strong evidence: it counts twice, so one is enough
                     * (a short reworded copy may keep just one) */
                    if (d <= DISC_RARE_DF) {
                        if (n == s->cap) {
                            rc = spill(s, buf, n, cnt, &err);
                            n = 0;
                            if (rc != TSR_OK) break;
                        }
                        buf[n++] = (uint64_t)docs[x] << 32 | docs[y];
                    }
                }
        }
        if (rc == TSR_OK && d < 0)
            rc = seg_scan_error(sc, &err);
        seg_scan_close(sc);
        pthread_mutex_lock(&s->mu);
        s->parts_done++;
        pthread_mutex_unlock(&s->mu);
    }
    if (rc == TSR_OK)
        rc = spill(s, buf, n, cnt, &err);
    free(raw);
    tsr_vec_free(&live);
    pthread_mutex_lock(&s->mu);
    s->fingerprints += fps;
    s->skipped += skipped;
    if (rc != TSR_OK && s->rc == TSR_OK) {
        s->rc = rc;
        s->err = err;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Merge the run files into the candidate pairs (count >= min_shared). */
typedef struct { FILE *f; disc_pc cur; int live; } disc_rd;

static int rd_next(disc_rd *r)
{
    r->live = fread(&r->cur, sizeof r->cur, 1, r->f) == 1;
    return r->live;
}

static int merge_runs(const char *dir, unsigned nruns, uint32_t min_shared,
                      disc_pc **out, size_t *nout, tsr_error *err)
{
    disc_rd *rd = calloc(nruns ? nruns : 1, sizeof *rd);
    TSR_VEC(disc_pc) res = { 0 };
    int rc = TSR_OK;
    if (!rd) return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    for (unsigned r = 0; r < nruns && rc == TSR_OK; r++) {
        char name[64], path[4096];
        snprintf(name, sizeof name, "run-%05u", r);
        disc_path(path, sizeof path, dir, name);
        rd[r].f = fopen(path, "rb");
        if (!rd[r].f) rc = tsr_seterr(err, TSR_ERR_IO, "%s: %s", path, strerror(errno));
        else {
            setvbuf(rd[r].f, NULL, _IOFBF, 1 << 16);
            rd_next(&rd[r]);
        }
    }
    while (rc == TSR_OK) {
        /* smallest key among live runs (runs are few: a linear scan) */
        int best = -1;
        for (unsigned r = 0; r < nruns; r++)
            if (rd[r].live && (best < 0 || rd[r].cur.key < rd[best].cur.key)) best = (int)r;
        if (best < 0) break;
        uint64_t key = rd[best].cur.key;
        uint64_t c = 0;
        for (unsigned r = 0; r < nruns; r++)
            while (rd[r].live && rd[r].cur.key == key) {
                c += rd[r].cur.count;
                rd_next(&rd[r]);
            }
        if (c >= min_shared) {
            disc_pc pc = { key, c > UINT32_MAX ? UINT32_MAX : (uint32_t)c, 0 };
            if (tsr_vec_push(&res, pc)) rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        }
    }
    for (unsigned r = 0; r < nruns; r++)
        if (rd[r].f) fclose(rd[r].f);
    free(rd);
    if (rc != TSR_OK) { tsr_vec_free(&res); return rc; }
    *out = res.a;
    *nout = res.n;
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * Stage 2: alignment
 * --------------------------------------------------------------------- */

typedef TSR_VEC(tsr_link) link_vec;
typedef TSR_VEC(tsr_document) doc_vec;

typedef struct {
    tsr_index *ix;
    const tsr_params *p;
    const disc_pc *pairs;
    size_t npairs;
    const size_t *chunk_at;   /* chunk c covers pairs [chunk_at[c], chunk_at[c+1]) */
    size_t nchunks;
    link_vec *out;            /* one per chunk */
    doc_vec *seen;            /* one per chunk: the fields of its links'
                               * documents (seen_put) */
    int series;
    dcache *cache;            /* tokenized documents, shared by the threads */
    /* per docno, the reads of it still to come, up to 255 (DISC_MANY: so
     * many that it is never counted down): a document read for the last
     * time is not put in the cache (disc_reads) */
    _Atomic unsigned char *reads;
    size_t nreads;
    size_t pp_budget;         /* bytes of split texts each thread keeps (disc_ppc) */
    pthread_mutex_t mu;
    size_t next_chunk;
    size_t pairs_done;
    uint64_t texts_read, texts_cached, texts_kept;
    dc_rows *rows;              /* stored rows of documents read again */
    int rc;
    tsr_error err;
} disc_s2;


/* The words (and series) of a document.  The b side of one pair is often
 * the b side of the next (a family's members pair up with one another), and
 * reading, decompressing and tokenizing a text costs more than aligning it:
 * the threads share a cache of tokenized documents (cache.h).  A document
 * the cache cannot take stays in the thread's own buffers. */
typedef struct {
    const dc_doc *held;       /* from the cache, or NULL: then `own` */
    dc_doc own;
    tsr_word *w;              /* own words and figures, kept from call to call */
    size_t cap;
    tsr_fig *fig;
    size_t fcap;
    tsr_document *d;          /* own fields */
    /* with the sentence stage: the words' marks (pp_marks), the cache's
     * or the thread's own (kept from call to call) */
    const uint64_t *term;
    const unsigned char *cut;
    pp_markbuf own_marks;
    struct cat_reader *rd;    /* the thread's own catalog reader, or NULL */
    dc_rows *rows;            /* the stored rows kept (shared), or NULL */
    ix_row row;               /* the last row read, its text decompressed: */
    char *text;
    size_t tcap;
    uint64_t reads, cached;   /* texts read, and put in the cache */
    uint64_t kept;            /* texts read from the rows kept */
} disc_words;

static void words_release(dcache *c, disc_words *dw)
{
    dc_release(c, dw->held);
    dw->held = NULL;
    tsr_document_free(dw->d);
    dw->d = NULL;
}

/* The marks of text's n words w into dw's own buffers. */
static int words_marks(disc_words *dw, const char *text, const tsr_word *w, size_t n,
                       tsr_error *err)
{
    if (pp_markbuf_fill(&dw->own_marks, text, w, n))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading sentences");
    dw->term = dw->own_marks.term;
    dw->cut = dw->own_marks.cut;
    return TSR_OK;
}

/* Whether the document will be read again after this read (counting this
 * one down).  The pairs say how often each document is read, so a
 * document read for the last time, most of them read only once, is not
 * copied into the cache, where it would only take memory from the others
 * (BENCHMARKS.md, "Documents read once are not cached"). */
#define DISC_MANY 255
static int read_again(disc_s2 *s, int64_t doc)
{
    if (!s->reads || doc < 0 || (uint64_t)doc >= s->nreads)
        return 1;
    _Atomic unsigned char *r = &s->reads[doc];
    unsigned char n = atomic_load_explicit(r, memory_order_relaxed);
    while (n != DISC_MANY && n > 0 &&
           !atomic_compare_exchange_weak_explicit(r, &n, (unsigned char)(n - 1),
                                                  memory_order_relaxed, memory_order_relaxed)) {}
    return n == DISC_MANY || n > 1;
}

/* One more read of a document, up to DISC_MANY. */
static void count_read(_Atomic unsigned char *r)
{
    const unsigned char v = atomic_load_explicit(r, memory_order_relaxed);
    if (v < DISC_MANY)
        atomic_store_explicit(r, (unsigned char)(v + 1), memory_order_relaxed);
}

/* The reads of each document by the chunks' alignment (align_chunk): its
 * a side once per chunk, its b side once per pair.  NULL when out of
 * memory (then every document read is cached, as without the counts). */
static _Atomic unsigned char *disc_reads(const disc_s2 *s, size_t *n)
{
    uint64_t top = 0;
    for (size_t i = 0; i < s->npairs; i++) {
        const uint64_t a = s->pairs[i].key >> 32, b = (uint32_t)s->pairs[i].key;
        if (a + 1 > top) top = a + 1;
        if (b + 1 > top) top = b + 1;
    }
    _Atomic unsigned char *r = malloc((top ? top : 1) * sizeof *r);
    if (!r)
        return NULL;
    for (uint64_t d = 0; d < top; d++)
        atomic_init(&r[d], 0);
    /* counted by this thread alone, before the workers start */
    for (size_t c = 0; c < s->nchunks; c++)
        for (size_t i = s->chunk_at[c]; i < s->chunk_at[c + 1]; i++) {
            const uint64_t a = s->pairs[i].key >> 32, b = (uint32_t)s->pairs[i].key;
            if (i == s->chunk_at[c] || (s->pairs[i - 1].key >> 32) != a)
                count_read(&r[a]);
            count_read(&r[b]);
        }
    *n = top;
    return r;
}

/* Document doc's fields into *f and its text into *text, kept in dw until
 * its next read: its stored row from the rows kept (dc_rows) or the
 * catalog, then kept there too when the document will be read again. */
static int words_row(tsr_index *ix, dcache *c, int64_t doc, int last, disc_words *dw,
                     dc_doc *f, const char **text, tsr_error *err)
{
    const int got = dc_rows_get(dw->rows, doc, last, &dw->row);
    if (got < 0)
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading document %" PRId64, doc);
    dw->kept += got;
    if (!got) {
        TSR_FORWARD(ix_reader_row(ix, dw->rd, doc, &dw->row, err));
        if (!last && dc_full(c))   /* else the tokenized cache holds it */
            dc_rows_put(dw->rows, &dw->row);
    }
    const ix_row *r = &dw->row;
    if (r->text_len + 1 > dw->tcap) {
        size_t cap = dw->tcap ? dw->tcap : 4096;
        while (cap < r->text_len + 1) cap *= 2;
        char *t = realloc(dw->text, cap);
        if (!t)
            return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for %" PRIu64 " bytes",
                              r->text_len);
        dw->text = t;
        dw->tcap = cap;
    }
    TSR_FORWARD(ix_row_text(ix, dw->rd, r, dw->text, err));
    *f = (dc_doc){ .docno = doc, .text_len = r->text_len, .id = r->id, .title = r->title,
                   .date = r->date, .series = r->series };
    *text = dw->text;
    return TSR_OK;
}

/* words_row for an index without a catalog of its own (a sharded one):
 * the document read whole, kept in dw->d until released. */
static int words_doc(tsr_index *ix, int64_t doc, disc_words *dw, dc_doc *f,
                     const char **text, tsr_error *err)
{
    TSR_FORWARD(tsr_index_get_docno(ix, doc, &dw->d, err));
    const tsr_document *d = dw->d;
    *f = (dc_doc){ .docno = doc, .text_len = d->text_len, .id = d->id, .title = d->title,
                   .date = d->date, .series = d->series };
    *text = d->text;
    return TSR_OK;
}

/* The words of document doc in *out (and, when `marks`, their marks in
 * dw->term and dw->cut).  A document's text is read only when the cache
 * lacks it: in a run with the sentence stage the cache keeps the marks of
 * the documents it takes, which the stage needs, not the text.  One read
 * after which the document is not read again (`last`) leaves it out of
 * the cache. */
static int words_get(tsr_index *ix, dcache *c, int64_t doc, int marks, int last,
                     disc_words *dw, const dc_doc **out, tsr_error *err)
{
    words_release(c, dw);
    dw->term = NULL;
    dw->cut = NULL;
    if ((dw->held = dc_get(c, doc, marks))) {   /* with its marks when they are needed */
        *out = dw->held;
        dw->term = dw->held->term;
        dw->cut = dw->held->cut;
        return TSR_OK;
    }
    dc_doc f = { .docno = doc };   /* its fields */
    const char *text = NULL;
    int rc = dw->rd ? words_row(ix, c, doc, last, dw, &f, &text, err)
                    : words_doc(ix, doc, dw, &f, &text, err);
    if (rc != TSR_OK)
        return rc;
    size_t n = 0;
    size_t nfig = 0;
    rc = text_words(text, (size_t)f.text_len, &dw->w, &dw->cap, &n, err);
    if (rc == TSR_OK && text_figures(text, dw->w, n, &dw->fig, &dw->fcap, &nfig))
        rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading figures");
    if (rc == TSR_OK && marks)
        rc = words_marks(dw, text, dw->w, n, err);
    if (rc != TSR_OK)
        return rc;
    dw->own = (dc_doc){ doc, dw->w, n, f.text_len, f.id, f.title, f.date, f.series,
                        dw->fig, nfig, dw->term, dw->cut };
    dw->reads++;
    if (!last)
        dw->held = dc_put(c, &dw->own);   /* else its fields stay with dw until released */
    *out = dw->held ? dw->held : &dw->own;
    dw->cached += dw->held != NULL;
    if (dw->held && marks) {   /* the entry has them (dc_put) */
        dw->term = dw->held->term;
        dw->cut = dw->held->cut;
    }
    return TSR_OK;
}

static int same_series_str(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* The significance model's view of document a (signif.c): its n-grams
 * and fingerprints, with counts not yet looked up (UINT32_MAX), and its
 * figures (da's: valid while da is the a side). */
static int disc_units(const dc_doc *da, const tsr_params *fp, sg_text *t, tsr_error *err)
{
    sg_text_free(t);
    TSR_FORWARD(sg_text_init(t, da->w, da->n, fp, err));
    for (size_t i = 0; i < t->nu; i++) t->u[i].df = UINT32_MAX;
    t->fig = da->fig;
    t->nfig = da->nfig;
    return TSR_OK;
}

/* With the sentence stage, the b documents a thread split into sentences
 * are kept in this many slots (by docno) from chunk to chunk, so that a
 * document paired with several others is split once or a few times: the
 * pairs of a chunk share few b's (PAN as discovery: 40,000 splits for
 * 44,000 pairs when the slots were emptied at each chunk, 7,000 now).  At
 * most `budget` bytes of them: past it, the slots after the newest are
 * emptied in turn (a clock hand). */
#ifndef DISC_PP_CACHE
#define DISC_PP_CACHE 4096
#endif
typedef struct {
    pp_text t[DISC_PP_CACHE];
    int64_t key[DISC_PP_CACHE];   /* the docno in each slot, or -1 */
    size_t bytes, budget, hand;
} disc_ppc;

static disc_ppc *ppc_new(size_t budget)
{
    disc_ppc *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    for (size_t x = 0; x < DISC_PP_CACHE; x++) c->key[x] = -1;
    c->budget = budget;
    return c;
}

static void ppc_drop(disc_ppc *c, size_t x)
{
    if (c->key[x] >= 0) c->bytes -= pp_text_bytes(&c->t[x]);
    pp_text_free(&c->t[x]);
    c->key[x] = -1;
}

static void ppc_free(disc_ppc *c)
{
    if (!c) return;
    for (size_t x = 0; x < DISC_PP_CACHE; x++) pp_text_free(&c->t[x]);
    free(c);
}

/* Document doc (the marks of its n words) split into slot x of c. */
static int ppc_put(disc_ppc *c, size_t x, int64_t doc, const disc_words *dw, size_t n,
                   tsr_error *err)
{
    ppc_drop(c, x);
    TSR_FORWARD(pp_text_build(&c->t[x], dw->term, dw->cut, n, err));
    c->key[x] = doc;
    c->bytes += pp_text_bytes(&c->t[x]);
    for (size_t k = 0; c->bytes > c->budget && k < DISC_PP_CACHE; k++) {
        c->hand = (c->hand + 1) % DISC_PP_CACHE;
        if (c->hand != x) ppc_drop(c, c->hand);
    }
    return TSR_OK;
}

/* Free the strings of n documents' fields (not the array). */
static void docs_fields_free(tsr_document *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ix_document_clear(&v[i]);
}

/* Keep the fields of d, a document of a link, in v (unless it is v's last
 * one): the families need its date and series and an output names it by
 * its id and title, and the aligner has them at hand, where reading them
 * again (fam_info) was half of the families' time.  0 or -1 (out of
 * memory). */
static int seen_put(doc_vec *v, const dc_doc *d)
{
    if (v->n && v->a[v->n - 1].docno == d->docno) return 0;
    if (tsr_vec_reserve(v, 1)) return -1;
    tsr_document *x = &v->a[v->n];
    memset(x, 0, sizeof *x);
    int oom = 0;
    x->docno = d->docno;
    x->text_len = (size_t)d->text_len;
    x->id = tsr_strdup_or_null(d->id, &oom);
    x->title = tsr_strdup_or_null(d->title, &oom);
    x->date = tsr_strdup_or_null(d->date, &oom);
    x->series = tsr_strdup_or_null(d->series, &oom);
    if (oom) {
        docs_fields_free(x, 1);
        return -1;
    }
    v->n++;
    return 0;
}

static int align_chunk(disc_s2 *s, size_t c, disc_words *dwa, disc_words *dwb, al_work *wk,
                       disc_ppc *ppc, tsr_error *err)
{
    int rc = TSR_OK;
    const dc_doc *da = NULL;
    al_query q;
    memset(&q, 0, sizeof q);
    al_passages ps = { 0 };
    sg_model sm;
    tsr_params fp = *s->p;  /* with the index's fingerprint parameters */
    ix_fingerprint_params(s->ix, &fp.ngram, &fp.window);
    sg_model_init(&sm, ix_ndocs(s->ix), s->p->boilerplate_df, fp.ngram);
    sg_text units;
    memset(&units, 0, sizeof units);
    int have_units = 0;
    sg_work *sw = sg_work_new();
    if (!sw)
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    int64_t cur_a = -1;
    int a_seen = 0;   /* cur_a's fields kept (seen_put) */
    link_vec *out = &s->out[c];
    const int texts = s->p->paraphrase == TSR_PARAPHRASE_ALL;
    pp_text ta;
    memset(&ta, 0, sizeof ta);
    for (size_t i = s->chunk_at[c]; i < s->chunk_at[c + 1] && rc == TSR_OK; i++) {
        int64_t a = (int64_t)(s->pairs[i].key >> 32), b = (int64_t)(uint32_t)s->pairs[i].key;
        if (a != cur_a) {
            cur_a = a;
            a_seen = 0;
            if ((rc = words_get(s->ix, s->cache, a, texts, !read_again(s, a), dwa, &da, err)))
                break;
            if ((rc = al_query_reset(&q, da->w, da->n, s->p, err))) break;
            pp_text_free(&ta);
            if (texts && (rc = pp_text_build(&ta, dwa->term, dwa->cut, da->n, err))) break;
            have_units = 0;  /* made when a's first passage needs them */
        }
        const dc_doc *db = NULL;
        const size_t slot = (size_t)b % DISC_PP_CACHE;
        const int need_split = texts && ppc->key[slot] != b;   /* b not kept split */
        if ((rc = words_get(s->ix, s->cache, b, texts, !read_again(s, b), dwb, &db, err)))
            break;
        if (s->series && (same_series_str(da->series, db->series) ? s->series < 0 : s->series > 0))
            continue;
        const tsr_word *A = da->w, *B = db->w;
        ps.n = 0;
        if ((rc = al_align(&q, B, db->n, s->p, AL_BRIEF, wk, &ps, err))) break;
        /* the sentence stage where it may find something: a pair the
         * aligner left empty is ruled out from b's marks when it can */
        int may = texts;
        if (texts && !ps.n && (may = pp_may_pair(&ta, A, B, dwb->term, dwb->cut, db->n)) < 0) {
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
            break;
        }
        if (may) {   /* the sentence stage, a once per chunk, b when not kept */
            if (need_split && (rc = ppc_put(ppc, slot, b, dwb, db->n, err))) break;
            ta.fig = da->fig;
            ta.nfig = da->nfig;
            ppc->t[slot].fig = db->fig;
            ppc->t[slot].nfig = db->nfig;
            if ((rc = pp_align_texts(&ta, &ppc->t[slot], A, da->n, B, db->n, s->p, wk, &ps,
                                      err))) break;
        }
        if (ps.n && !have_units) {
            if ((rc = disc_units(da, &fp, &units, err))) break;
            have_units = 1;
        }
        if (ps.n && (rc = sg_judge(&sm, &units, 1, &sm, db->w, db->n, db->fig, db->nfig, &fp,
                                   ix_count, s->ix, s->p->max_evalue, &ps, sw, err)))
            break;
        if (ps.n && ((!a_seen && seen_put(&s->seen[c], da)) || seen_put(&s->seen[c], db))) {
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
            break;
        }
        a_seen |= ps.n > 0;
        for (size_t k = 0; k < ps.n; k++) {
            const al_passage *x = &ps.a[k];
            tsr_link l;
            memset(&l, 0, sizeof l);
            l.a_doc = a;
            l.b_doc = b;
            l.a_begin = A[x->a_lo].begin;
            l.a_end = A[x->a_hi - 1].end;
            l.b_begin = B[x->b_lo].begin;
            l.b_end = B[x->b_hi - 1].end;
            l.a_words = x->a_hi - x->a_lo;
            l.b_words = x->b_hi - x->b_lo;
            l.matches = x->matches;
            l.similarity = (float)x->similarity;
            l.evalue = (float)x->evalue;
            l.kind = (uint32_t)al_kind(x, A, B);
            if (tsr_vec_push(out, l)) { rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory"); break; }
        }
    }
    al_query_free(&q);
    pp_text_free(&ta);
    tsr_vec_free(&ps);
    sg_text_free(&units);
    sg_work_free(sw);
    return rc;
}

static void *s2_worker(void *arg)
{
    disc_s2 *s = arg;
    tsr_error err = { 0 };
    disc_words dwa, dwb;  /* the a and the b side of the pair at hand */
    memset(&dwa, 0, sizeof dwa);
    memset(&dwb, 0, sizeof dwb);
    al_work *wk = al_work_new();
    disc_ppc *ppc = s->p->paraphrase == TSR_PARAPHRASE_ALL ? ppc_new(s->pp_budget) : NULL;
    /* documents read through a catalog connection of the thread's own, not
     * the index's one under its mutex (catalog.c); without one (out of
     * memory, file handles), through the index's */
    struct cat_reader *rd;
    (void)ix_reader_open(s->ix, &rd, NULL);   /* rd is NULL when it fails */
    dwa.rd = dwb.rd = rd;
    dwa.rows = dwb.rows = s->rows;
    if (!wk || (s->p->paraphrase == TSR_PARAPHRASE_ALL && !ppc)) {
        ix_reader_close(rd);
        al_work_free(wk);
        ppc_free(ppc);
        pthread_mutex_lock(&s->mu);
        if (s->rc == TSR_OK) s->rc = tsr_seterr(&s->err, TSR_ERR_NOMEM, "out of memory");
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&s->mu);
        size_t c = s->rc == TSR_OK ? s->next_chunk++ : s->nchunks;
        pthread_mutex_unlock(&s->mu);
        if (c >= s->nchunks) break;
        int rc = align_chunk(s, c, &dwa, &dwb, wk, ppc, &err);
        pthread_mutex_lock(&s->mu);
        s->pairs_done += s->chunk_at[c + 1] - s->chunk_at[c];
        if (rc != TSR_OK && s->rc == TSR_OK) {
            s->rc = rc;
            s->err = err;
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_lock(&s->mu);
    s->texts_read += dwa.reads + dwb.reads;
    s->texts_cached += dwa.cached + dwb.cached;
    s->texts_kept += dwa.kept + dwb.kept;
    pthread_mutex_unlock(&s->mu);
    words_release(s->cache, &dwa);
    words_release(s->cache, &dwb);
    free(dwa.w);
    free(dwb.w);
    free(dwa.fig);
    free(dwb.fig);
    ix_row_free(&dwa.row);
    ix_row_free(&dwb.row);
    free(dwa.text);
    free(dwb.text);
    pp_markbuf_free(&dwa.own_marks);
    pp_markbuf_free(&dwb.own_marks);
    ix_reader_close(rd);
    al_work_free(wk);
    ppc_free(ppc);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Stage 3: families
 * --------------------------------------------------------------------- */


typedef struct { int64_t doc; uint32_t begin, end, node; } disc_node;

static int node_cmp(const void *x, const void *y)
{
    const disc_node *p = x, *q = y;
    if (p->doc != q->doc) return p->doc < q->doc ? -1 : 1;
    if (p->begin != q->begin) return p->begin < q->begin ? -1 : 1;
    if (p->end != q->end) return p->end < q->end ? -1 : 1;
    return (p->node > q->node) - (p->node < q->node);
}

/* Per-document facts needed for families: date and series. */
typedef struct { int64_t doc; const char *date, *series; } disc_info;   /* in r->docs */


static const disc_info *info_find(const disc_info *v, size_t n, int64_t doc)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (v[m].doc < doc) lo = m + 1; else hi = m;
    }
    return lo < n && v[lo].doc == doc ? &v[lo] : NULL;
}

/* A member span; `rank` orders documents by date (dated ones first,
 * ascending), then number. */
typedef struct { uint32_t fam, rank; int64_t doc; uint32_t begin, end; } disc_mem;

static int mem_cmp(const void *x, const void *y)
{
    const disc_mem *p = x, *q = y;
    if (p->fam != q->fam) return p->fam < q->fam ? -1 : 1;
    if (p->rank != q->rank) return p->rank < q->rank ? -1 : 1;
    return (p->begin > q->begin) - (p->begin < q->begin);
}

static int info_date_cmp(const void *x, const void *y)
{
    const disc_info *a = *(const disc_info *const *)x, *b = *(const disc_info *const *)y;
    const char *da = a->date && *a->date ? a->date : NULL;
    const char *db = b->date && *b->date ? b->date : NULL;
    if (da && !db) return -1;
    if (!da && db) return 1;
    if (da && db) {
        int c = strcmp(da, db);
        if (c) return c;
    }
    return (a->doc > b->doc) - (a->doc < b->doc);
}

static int link_cmp(const void *x, const void *y)
{
    const tsr_link *p = x, *q = y;
    if (p->family != q->family) return p->family < q->family ? -1 : 1;
    if (p->a_doc != q->a_doc) return p->a_doc < q->a_doc ? -1 : 1;
    if (p->b_doc != q->b_doc) return p->b_doc < q->b_doc ? -1 : 1;
    if (p->a_begin != q->a_begin) return p->a_begin < q->a_begin ? -1 : 1;
    return (p->b_begin > q->b_begin) - (p->b_begin < q->b_begin);
}

typedef struct { uint32_t root; size_t members, links, strong; int64_t first_doc; } disc_fam;

static int fam_cmp(const void *x, const void *y)
{
    const disc_fam *p = x, *q = y;
    const int pw = 2 * p->strong < p->links, qw = 2 * q->strong < q->links;  /* weak */
    if (pw != qw) return pw - qw;
    if (p->members != q->members) return p->members > q->members ? -1 : 1;
    if (p->first_doc != q->first_doc) return p->first_doc < q->first_doc ? -1 : 1;
    return (p->root > q->root) - (p->root < q->root);
}

/* The working arrays of build_families.  A link has two spans: span 2i is
 * the a side of link i, span 2i+1 its b side; a span's number is its node
 * in the union-find `up`. */
typedef struct {
    size_t n;                 /* spans: twice the links */
    uint32_t *up;             /* union-find parents, by span number */
    disc_node *nd;            /* the spans, sorted (node_cmp) */
    disc_info *info;          /* the spans' documents, by number (info_find) */
    size_t ninfo;
    uint32_t *fam_of_root;    /* a root's family, numbered by first span */
    size_t nf;                /* families */
    disc_mem *mem;            /* member spans, merged: the first nm */
    size_t nm;
} disc_fb;

static int fam_oom(tsr_error *err)
{
    return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory building families");
}

/* Spans of one document overlapping by at least half of the longer are
 * one; so is a span lying (90%) inside a longer one at most five times its
 * length when either is a block of a reordered copy (moved[link],
 * fam_join_moved): the same copy, aligned whole or in other blocks with
 * a third document.  `nd` holds `n` spans
 * sorted by document, begin, end (node_cmp). */
static void fam_join_overlaps(const disc_node *nd, size_t n, const uint8_t *moved,
                              uint32_t *up)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        size_t best = i;  /* the span reaching furthest so far */
        for (j = i + 1; j < n && nd[j].doc == nd[i].doc; j++) {
            const disc_node *a = &nd[best], *b = &nd[j];
            if (b->begin < a->end) {
                uint32_t ov = (a->end < b->end ? a->end : b->end) - b->begin;
                uint32_t la = a->end - a->begin, lb = b->end - b->begin;
                /* half of the longer: two spans of mostly the same text.
                 * (Half of the shorter would let one long passage absorb
                 * every short one inside it and chain whole corpora.) */
                uint32_t lg = la > lb ? la : lb, sh = la > lb ? lb : la;
                if (2 * (uint64_t)ov >= lg ||
                    ((moved[a->node / 2] || moved[b->node / 2]) &&
                     10 * (uint64_t)ov >= 9 * (uint64_t)sh &&
                     5 * (uint64_t)sh >= lg))
                    tsr_uf_union(up, a->node, b->node);
            }
            if (b->end > nd[best].end) best = j;
        }
        i = j;
    }
}

/* Whether two spans are within FAM_NEAR bytes of each other. */
#define FAM_NEAR 64
static int fam_near(uint32_t b0, uint32_t e0, uint32_t b1, uint32_t e1)
{
    return b1 <= e0 + FAM_NEAR && b0 <= e1 + FAM_NEAR;
}

/* Links of one pair of documents whose spans are next to each other in
 * one of the documents are one reuse: a copy whose blocks were reordered,
 * each block a passage of its own (align.c), lies block after block in
 * each document, though in another order in the other.  Links of a pair are consecutive
 * (discovery aligns a pair once). */
static void fam_join_moved(const tsr_link *links, size_t nl, uint8_t *moved, uint32_t *up)
{
    for (size_t i = 0; i < nl;) {
        size_t j = i + 1;
        while (j < nl && links[j].a_doc == links[i].a_doc && links[j].b_doc == links[i].b_doc) j++;
        for (size_t x = i; x < j; x++)
            for (size_t y = x + 1; y < j; y++)
                if (fam_near(links[x].a_begin, links[x].a_end, links[y].a_begin, links[y].a_end) ||
                    fam_near(links[x].b_begin, links[x].b_end, links[y].b_begin, links[y].b_end)) {
                    tsr_uf_union(up, (uint32_t)(2 * x), (uint32_t)(2 * y));
                    moved[x] = moved[y] = 1;
                }
        i = j;
    }
}

/* The spans of the links, `up` and `nd`: the two spans of each link
 * joined, `nd` sorted, then overlapping spans of a document joined. */
static int fam_spans(disc_fb *fb, const tsr_link *links, tsr_error *err)
{
    const size_t nl = fb->n / 2;
    uint32_t *up = fb->up = malloc(2 * nl * sizeof *up);
    disc_node *nd = fb->nd = malloc(2 * nl * sizeof *nd);
    if (!up || !nd) return fam_oom(err);
    for (size_t i = 0; i < nl; i++) {
        const tsr_link *l = &links[i];
        up[2 * i] = (uint32_t)(2 * i);
        up[2 * i + 1] = (uint32_t)(2 * i + 1);
        nd[2 * i] = (disc_node){ l->a_doc, l->a_begin, l->a_end, (uint32_t)(2 * i) };
        nd[2 * i + 1] = (disc_node){ l->b_doc, l->b_begin, l->b_end, (uint32_t)(2 * i + 1) };
        tsr_uf_union(up, (uint32_t)(2 * i), (uint32_t)(2 * i + 1));
    }
    uint8_t *moved = calloc(nl + 1, 1);
    if (!moved) return fam_oom(err);
    fam_join_moved(links, nl, moved, up);
    tsr_sort(nd, 2 * nl, sizeof *nd, node_cmp);
    fam_join_overlaps(nd, 2 * nl, moved, up);
    free(moved);
    return TSR_OK;
}

/* The fields of the spans' documents, into r->docs (one entry a document,
 * in document order: nd is sorted), and their dates and series, `info`,
 * pointing into them.  Those the alignment kept (seen, by number) are
 * moved from there; the others (links taken from the work directory, or
 * another process's) are read.  On an error the entries made so far stay,
 * for tsr_discovery_free. */
static int fam_info(tsr_index *ix, disc_fb *fb, tsr_discovery *r, doc_vec *seen,
                    tsr_error *err)
{
    const disc_node *nd = fb->nd;
    disc_info *info = fb->info = calloc(fb->n, sizeof *info);
    r->docs = calloc(fb->n, sizeof *r->docs);
    if (!info || !r->docs) return fam_oom(err);
    size_t j = 0;
    for (size_t i = 0; i < fb->n; i++)
        if (i == 0 || nd[i].doc != nd[i - 1].doc) {
            while (j < seen->n && seen->a[j].docno < nd[i].doc) j++;
            tsr_document *x = &r->docs[r->n_docs];
            if (j < seen->n && seen->a[j].docno == nd[i].doc) {
                *x = seen->a[j];   /* moved: seen keeps the number only */
                memset(&seen->a[j], 0, sizeof seen->a[j]);
                seen->a[j].docno = x->docno;
            } else {
                tsr_document *d = NULL;
                int rc = tsr_index_get_info(ix, nd[i].doc, &d, err);
                if (rc) return rc;
                *x = *d;
                free(d);
                free(x->meta_json);   /* as the alignment's: no meta */
                x->meta_json = NULL;
            }
            r->n_docs++;
            info[fb->ninfo].doc = r->docs[fb->ninfo].docno;
            info[fb->ninfo].date = r->docs[fb->ninfo].date;
            info[fb->ninfo].series = r->docs[fb->ninfo].series;
            fb->ninfo++;
        }
    return TSR_OK;
}

/* Each document's rank by date (dated ones first, ascending), then
 * number, indexed like `info`; NULL when out of memory.  Free it. */
static uint32_t *fam_rank_docs(const disc_info *info, size_t ninfo)
{
    const disc_info **ord = malloc((ninfo ? ninfo : 1) * sizeof *ord);
    uint32_t *rank_of = malloc((ninfo ? ninfo : 1) * sizeof *rank_of);
    if (!ord || !rank_of) { free(ord); free(rank_of); return NULL; }
    for (size_t i = 0; i < ninfo; i++) ord[i] = &info[i];
    tsr_sort(ord, ninfo, sizeof *ord, info_date_cmp);
    for (size_t i = 0; i < ninfo; i++) rank_of[ord[i] - info] = (uint32_t)i;
    free(ord);
    return rank_of;
}

/* The families, one per union-find root, numbered in order of their first
 * span (`fam_of_root`, `nf`); and the member spans (`mem`), each with its
 * family and its document's rank, sorted (mem_cmp), the overlapping spans
 * of one document within a family merged into the first `nm`. */
static int fam_members(disc_fb *fb, tsr_error *err)
{
    const size_t n = fb->n;
    const disc_node *nd = fb->nd;
    uint32_t *fam_of_root = fb->fam_of_root = malloc(n * sizeof *fam_of_root);
    disc_mem *mem = fb->mem = malloc(n * sizeof *mem);
    if (!fam_of_root || !mem) return fam_oom(err);
    for (size_t i = 0; i < n; i++) fam_of_root[i] = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        uint32_t root = tsr_uf_find(fb->up, (uint32_t)i);
        if (fam_of_root[root] == UINT32_MAX) fam_of_root[root] = (uint32_t)fb->nf++;
    }
    uint32_t *rank_of = fam_rank_docs(fb->info, fb->ninfo);
    if (!rank_of) return fam_oom(err);
    for (size_t i = 0; i < n; i++) {
        const disc_info *in = info_find(fb->info, fb->ninfo, nd[i].doc);
        mem[i] = (disc_mem){ fam_of_root[tsr_uf_find(fb->up, nd[i].node)],
                             rank_of[in - fb->info], nd[i].doc, nd[i].begin, nd[i].end };
    }
    free(rank_of);
    tsr_sort(mem, n, sizeof *mem, mem_cmp);
    /* merge overlapping spans of one document within a family; sort puts
     * one document's spans together (same date, same doc) */
    size_t nm = 0;
    for (size_t i = 0; i < n; i++) {
        if (nm && mem[nm - 1].fam == mem[i].fam && mem[nm - 1].doc == mem[i].doc &&
            mem[i].begin <= mem[nm - 1].end) {
            if (mem[i].end > mem[nm - 1].end) mem[nm - 1].end = mem[i].end;
            continue;
        }
        mem[nm++] = mem[i];
    }
    fb->nm = nm;
    return TSR_OK;
}

/* A link this significant (E-value at most this: fewer than one as strong
 * expected by chance in the search) is strong evidence of reuse. */
#define DISC_STRONG_EVALUE 1.0

/* Number the families (fam_cmp): first those whose links are at least half
 * strong (E-value at most DISC_STRONG_EVALUE), then the others; in each
 * tier by size (members), largest first, then by first document.  A
 * family of template look-alikes (earnings tables, "Oper shr ... vs ...",
 * eurobond terms), however large, is held together by weak links (on
 * news.jsonl 4-37% strong against 58-90% for reprints) and comes after the
 * real reprints and copies.  Renumber the members and set each link's
 * family to match; sort the members (mem_cmp) and the links (link_cmp). */
static int fam_order(disc_fb *fb, tsr_discovery *r, tsr_error *err)
{
    const size_t nf = fb->nf, nm = fb->nm, nl = r->n_links;
    disc_mem *mem = fb->mem;
    disc_fam *fams = calloc(nf ? nf : 1, sizeof *fams);
    if (!fams) return fam_oom(err);
    for (size_t f = 0; f < nf; f++) { fams[f].root = (uint32_t)f; fams[f].first_doc = INT64_MAX; }
    for (size_t i = 0; i < nm; i++) {
        fams[mem[i].fam].members++;
        if (mem[i].doc < fams[mem[i].fam].first_doc) fams[mem[i].fam].first_doc = mem[i].doc;
    }
    for (size_t i = 0; i < nl; i++) {
        disc_fam *f = &fams[fb->fam_of_root[tsr_uf_find(fb->up, (uint32_t)(2 * i))]];
        f->links++;
        f->strong += r->links[i].evalue <= DISC_STRONG_EVALUE;
    }
    tsr_sort(fams, nf, sizeof *fams, fam_cmp);
    uint32_t *rank = malloc((nf ? nf : 1) * sizeof *rank);
    if (!rank) { free(fams); return fam_oom(err); }
    for (size_t f = 0; f < nf; f++) rank[fams[f].root] = (uint32_t)f;
    free(fams);
    for (size_t i = 0; i < nm; i++) mem[i].fam = rank[mem[i].fam];
    tsr_sort(mem, nm, sizeof *mem, mem_cmp);
    for (size_t i = 0; i < nl; i++)
        r->links[i].family = rank[fb->fam_of_root[tsr_uf_find(fb->up, (uint32_t)(2 * i))]];
    free(rank);
    tsr_sort(r->links, nl, sizeof *r->links, link_cmp);
    return TSR_OK;
}

/* The result's families and members.  A family's members are contiguous
 * in the sorted `mem`; its origin is its first member (the earliest by
 * date, else the lowest number).  Each family counts its links, and of
 * them those whose documents share a series. */
static int fam_output(const disc_fb *fb, tsr_discovery *r, tsr_error *err)
{
    const size_t nf = fb->nf, nm = fb->nm, nl = r->n_links;
    const disc_mem *mem = fb->mem;
    const disc_info *info = fb->info;
    const size_t ninfo = fb->ninfo;
    r->families = calloc(nf ? nf : 1, sizeof *r->families);
    r->members = malloc((nm ? nm : 1) * sizeof *r->members);
    if (!r->families || !r->members) return fam_oom(err);
    r->n_families = nf;
    r->n_members = nm;
    for (size_t i = 0; i < nm; i++) {
        r->members[i].docno = mem[i].doc;
        r->members[i].begin = mem[i].begin;
        r->members[i].end = mem[i].end;
        tsr_family *f = &r->families[mem[i].fam];
        if (f->n == 0) {
            f->first = i;
            f->origin = mem[i].doc;
            const disc_info *in = info_find(info, ninfo, mem[i].doc);
            f->origin_dated = in && in->date && *in->date;
        }
        f->n++;
    }
    for (size_t i = 0; i < nl; i++) {
        tsr_family *f = &r->families[r->links[i].family];
        f->links++;
        const disc_info *a = info_find(info, ninfo, r->links[i].a_doc);
        const disc_info *b = info_find(info, ninfo, r->links[i].b_doc);
        if (a && b && a->series && b->series && !strcmp(a->series, b->series))
            f->same_series++;
    }
    return TSR_OK;
}

/* Stage 3: group the links into families (see the top of the file).  The
 * steps: the links' spans and their joins (fam_spans), the documents'
 * dates and series (fam_info), families and merged members (fam_members),
 * families numbered by size (fam_order), the result (fam_output).  Sets
 * each link's family and fills r->families and r->members; reads the
 * documents' fields from `ix`. */
static int build_families(tsr_index *ix, tsr_discovery *r, doc_vec *seen, tsr_error *err)
{
    const size_t nl = r->n_links;
    if (nl == 0) return TSR_OK;
    if (nl > UINT32_MAX / 2)
        return tsr_seterr(err, TSR_ERR_TOOBIG, "too many passages (%zu)", nl);
    disc_fb fb;
    memset(&fb, 0, sizeof fb);
    fb.n = 2 * nl;
    int rc = fam_spans(&fb, r->links, err);
    if (rc == TSR_OK) rc = fam_info(ix, &fb, r, seen, err);
    if (rc == TSR_OK) rc = fam_members(&fb, err);
    if (rc == TSR_OK) rc = fam_order(&fb, r, err);
    if (rc == TSR_OK) rc = fam_output(&fb, r, err);
    free(fb.info);
    free(fb.up);
    free(fb.nd);
    free(fb.mem);
    free(fb.fam_of_root);
    return rc;
}

/* ------------------------------------------------------------------------
 * The work directory
 * --------------------------------------------------------------------- */

/* What the stage files depend on: the index state and the parameters. */
static void work_key(tsr_index *ix, const tsr_params *p, uint32_t max_df,
                     const tsr_discover_opts *o, char *buf, size_t n)
{
    snprintf(buf, n,
             "tessera-discover 3\ngeneration %" PRIu64 "\ndocuments %" PRIu64
             "\nseed %d\nmax_gap %d\nmin_words %d\nmin_similarity %.6f\nmax_evalue %g\nmin_shared %d"
             "\nmax_df %u\nnew_after %" PRId64 "\nseries %d\nparaphrase %d\n",
             ix_generation(ix), ix_ndocs(ix), p->seed, p->max_gap, p->min_words,
             p->min_similarity, p->max_evalue, p->min_shared, max_df, o->new_after, o->series,
             p->paraphrase == TSR_PARAPHRASE_ALL);
}

static void work_clear(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *s = e->d_name;
        if (!strncmp(s, "run-", 4) || !strncmp(s, "pairs", 5) || !strncmp(s, "links", 5) ||
            !strncmp(s, "key", 3))
            disc_remove(dir, s);
    }
    closedir(d);
}

/* Remove a temporary work directory and everything in it (flat). */
static void work_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                disc_remove(dir, e->d_name);
        closedir(d);
    }
    rmdir(dir);
}

/* ------------------------------------------------------------------------
 * Threads
 * --------------------------------------------------------------------- */

static int ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

/* Run `fn` on `nt` threads; the calling thread reports progress every
 * fifth of a second (`done` read under `mu`) until they all finish. */
typedef struct {
    void *(*fn)(void *);
    void *arg;
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *running;
} disc_thr;

static void *thr_main(void *x)
{
    disc_thr *t = x;
    t->fn(t->arg);
    pthread_mutex_lock(t->mu);
    (*t->running)--;
    pthread_cond_broadcast(t->cv);
    pthread_mutex_unlock(t->mu);
    return NULL;
}

static void run_threads(int nt, void *(*fn)(void *), void *arg, tsr_progress_fn progress,
                        void *ud, const char *stage, pthread_mutex_t *mu,
                        const size_t *done, uint64_t total, const unsigned *done32)
{
    pthread_t th[256];
    pthread_cond_t cv;
    pthread_cond_init(&cv, NULL);
    int running = 0;
    disc_thr t = { fn, arg, mu, &cv, &running };
    pthread_mutex_lock(mu);
    for (int i = 0; i < nt; i++)
        if (pthread_create(&th[running], NULL, thr_main, &t) == 0) running++;
    const int started = running;
    pthread_mutex_unlock(mu);
    if (started == 0) {
        fn(arg);  /* no threads to be had: work on this one */
    } else {
        pthread_mutex_lock(mu);
        while (running > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200000000L;
            if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
            pthread_cond_timedwait(&cv, mu, &ts);
            if (progress && running > 0) {
                uint64_t d = done ? *done : *done32;
                pthread_mutex_unlock(mu);
                progress(ud, stage, d, total);
                pthread_mutex_lock(mu);
            }
        }
        pthread_mutex_unlock(mu);
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    }
    pthread_cond_destroy(&cv);
    if (progress) {
        pthread_mutex_lock(mu);
        uint64_t d = done ? *done : *done32;
        pthread_mutex_unlock(mu);
        progress(ud, stage, d, total);
    }
}

/* ------------------------------------------------------------------------
 * The run: its plan, its work directory, its stages
 * --------------------------------------------------------------------- */

/* One run of tsr_discover: the arguments with their defaults, the sizes
 * that follow from them, the work directory, the candidate pairs passed
 * from stage 1 to stage 2, and the result being built.  It lives on
 * tsr_discover's stack; `p`, `o` and `dir` may point into it. */
typedef struct {
    tsr_index *ix;
    const tsr_params *p;      /* the caller's, or defp */
    const tsr_discover_opts *o;  /* the caller's, or defo */
    tsr_params defp;
    tsr_discover_opts defo;
    uint32_t max_df;          /* bound on a pair-making fingerprint's documents */
    int nt;                   /* worker threads */
    size_t memory;            /* the budget: pair buffers, then (a quarter)
                               * tokenized documents */
    size_t cap;               /* pair keys per thread buffer */
    const char *dir;          /* the work directory */
    char tmpdir[4096];        /* its name when the run made it (own_dir) */
    int own_dir;              /* remove `dir` at the end */
    int sync;                 /* fsync the stage files: `dir` is kept, for
                               * resuming (not own_dir, not o->scratch, not
                               * the work of a scratch index) */
    int in_txn;               /* a read transaction is open (stages 2, 3) */
    doc_vec seen;             /* stage 2's documents of links, by number
                               * (seen_join), for stage 3 (fam_info) */
    disc_pc *pairs;           /* stage 1's candidate pairs, by key */
    size_t npairs;
    tsr_discovery *r;
    const tsr_comm *comm;     /* the processes of the run, or NULL: one */
    char subdir[4200];        /* this process's part of a shared workdir */
    int load_pairs, load_links;  /* finished stages may be taken from dir */
} disc_run;

/* ------------------------------------------------------------------------
 * Several processes (tsr_discover_opts.comm)
 *
 * Stage 1 runs on every process over its share of the partitions of the
 * fingerprint space (every size-th one), reading those buckets of every
 * segment: segments are bucketed by hash, so a process reads a slice of
 * each, and all of them together read each posting once.  A pair's count
 * is then split over the processes that saw its fingerprints: the counted
 * pairs go, all to all, to the process that owns the pair's first
 * document (documents are dealt out in turn: process a mod size), which
 * sums them and keeps the candidates (disc_pairs_exchange); the candidates
 * then move so that the pairs of one family meet on one process
 * (place_pairs, balance_roots).  Stage 2 aligns each process's own
 * candidates; process 0 gathers the links, merging them by pair into the
 * order one process gives, and the counts (disc_gather), and builds the
 * families.  A finished stage is taken from the work directory only when
 * every process has it (disc_agree), so all take the same path through
 * the exchanges.
 * --------------------------------------------------------------------- */

/* Call the exchange; a failure is TSR_ERR_IO with its message. */
static int comm_x(const tsr_comm *c, const void *const *send, const size_t *slen,
                  void **recv, size_t *rlen, tsr_error *err)
{
    char msg[200] = "";
    *recv = NULL;
    if (c->exchange(c->ud, send, slen, recv, rlen, msg, sizeof msg) != 0) {
        free(*recv);
        *recv = NULL;
        return tsr_seterr(err, TSR_ERR_IO, "exchange between processes failed: %s",
                          msg[0] ? msg : "?");
    }
    return TSR_OK;
}

/* The same `len` bytes to every process; *recv gets what all sent, in
 * process order, *total its length. */
static int comm_share(const tsr_comm *c, const void *buf, size_t len, void **recv,
                      size_t *total, tsr_error *err)
{
    const int n = c->size;
    const void **send = calloc((size_t)n, sizeof *send);
    size_t *slen = calloc((size_t)n, sizeof *slen), *rlen = calloc((size_t)n, sizeof *rlen);
    int rc = send && slen && rlen ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    for (int k = 0; k < n && rc == TSR_OK; k++) { send[k] = buf; slen[k] = len; }
    if (rc == TSR_OK) rc = comm_x(c, send, slen, recv, rlen, err);
    *total = 0;
    for (int k = 0; k < n && rc == TSR_OK; k++) *total += rlen[k];
    free(send);
    free(slen);
    free(rlen);
    return rc;
}

/* comm_share of `len` bytes that every process sends alike: *recv gets
 * size times len bytes. */
static int comm_all(const tsr_comm *c, const void *buf, size_t len, void **recv,
                    tsr_error *err)
{
    size_t total = 0;
    TSR_FORWARD(comm_share(c, buf, len, recv, &total, err));
    if (total != (size_t)c->size * len) {
        free(*recv);
        *recv = NULL;
        return tsr_seterr(err, TSR_ERR_IO, "processes sent %zu bytes, not %d x %zu", total,
                          c->size, len);
    }
    return TSR_OK;
}

/* Which finished stages to take from the work directory: those that
 * every process has (2: links, 1: pairs, 0: none). */
static int disc_agree(disc_run *run, tsr_error *err)
{
    char path[4300];
    struct stat st;
    int32_t have = 0;
    snprintf(path, sizeof path, "%s/links", run->dir);
    if (stat(path, &st) == 0) have = 2;
    snprintf(path, sizeof path, "%s/pairs", run->dir);
    if (have == 0 && stat(path, &st) == 0) have = 1;
    void *all = NULL;
    TSR_FORWARD(comm_all(run->comm, &have, sizeof have, &all, err));
    int32_t lo = have;
    for (int k = 0; k < run->comm->size; k++) {
        int32_t v;
        memcpy(&v, (char *)all + (size_t)k * sizeof v, sizeof v);
        if (v < lo) lo = v;
    }
    free(all);
    run->load_pairs = lo >= 1;
    run->load_links = lo >= 2;
    return TSR_OK;
}

/* Send pairs[i] to process owner[i] (the pairs in key order); *in gets
 * what arrives, from each process a run in key order, at[k]..at[k+1] the
 * run of process k (at: size + 1 entries). */
static int route(const tsr_comm *c, const disc_pc *pairs, size_t npairs, const int *owner,
                 disc_pc **in, size_t *at, tsr_error *err)
{
    const int n = c->size;
    const void **send = calloc((size_t)n, sizeof *send);
    size_t *slen = calloc((size_t)n, sizeof *slen), *rlen = calloc((size_t)n, sizeof *rlen);
    size_t *end = calloc((size_t)n + 1, sizeof *end);
    disc_pc *out = malloc((npairs ? npairs : 1) * sizeof *out);
    void *recv = NULL;
    int rc = send && slen && rlen && end && out
                 ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    if (rc == TSR_OK) {   /* grouped by owner, each group in key order */
        for (size_t i = 0; i < npairs; i++) end[owner[i] + 1]++;
        for (int k = 0; k < n; k++) end[k + 1] += end[k];
        for (size_t i = 0; i < npairs; i++) out[end[owner[i]]++] = pairs[i];
        for (int k = 0; k < n; k++) {   /* end[k] is now group k's end */
            const size_t b0 = k ? end[k - 1] : 0;
            send[k] = out + b0;
            slen[k] = (end[k] - b0) * sizeof *out;
        }
        rc = comm_x(c, send, slen, &recv, rlen, err);
    }
    if (rc == TSR_OK) {
        at[0] = 0;
        for (int k = 0; k < n; k++) at[k + 1] = at[k] + rlen[k] / sizeof **in;
        *in = recv;
        recv = NULL;
    }
    free(recv);
    free(out);
    free(send);
    free(slen);
    free(rlen);
    free(end);
    return rc;
}

/* Merge the n runs of `in` (see route) by key, summing the counts of a
 * key; keep the keys whose sum is at least `min`. */
static int merge_sum(const disc_pc *in, const size_t *at, int n, uint64_t min, disc_pc **out,
                     size_t *nout, tsr_error *err)
{
    TSR_VEC(disc_pc) res = { 0 };
    size_t *pos = calloc((size_t)n, sizeof *pos);
    int rc = pos ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    for (int k = 0; pos && k < n; k++) pos[k] = at[k];
    while (rc == TSR_OK) {
        int best = -1;
        for (int k = 0; k < n; k++)
            if (pos[k] < at[k + 1] && (best < 0 || in[pos[k]].key < in[pos[best]].key))
                best = k;
        if (best < 0) break;
        const uint64_t key = in[pos[best]].key;
        uint64_t sum = 0;
        for (int k = 0; k < n; k++)
            while (pos[k] < at[k + 1] && in[pos[k]].key == key) sum += in[pos[k]++].count;
        if (sum >= min) {
            disc_pc pc = { key, sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum, 0 };
            if (tsr_vec_push(&res, pc)) rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        }
    }
    free(pos);
    if (rc != TSR_OK) { tsr_vec_free(&res); return rc; }
    *out = res.a;
    *nout = res.n;
    return TSR_OK;
}

static int root_cmp(const void *x, const void *y)
{
    const disc_pc *a = x, *b = y;   /* key: root; count: pairs; by count desc, root */
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return a->key < b->key ? -1 : a->key > b->key;
}

static int key_cmp(const void *x, const void *y)
{
    const disc_pc *a = x, *b = y;
    return a->key < b->key ? -1 : a->key > b->key;
}

/* A group with at least this share, 1 / (DISC_HEAVY * processes), of
 * all candidate pairs is placed by load; the others by hash. */
#define DISC_HEAVY 64

/* A process for a light group: its root, hashed. */
static int hash_owner(uint64_t root, int n)
{
    return (int)(((root + 1) * 0x9E3779B97F4A7C15ull >> 32) % (uint64_t)n);
}

/* Give each group of pairs (the pairs whose first document's smallest
 * neighbour is one root) to a process.  The group sizes are summed at
 * each root's home (root mod size).  Heavy groups (DISC_HEAVY above) go
 * to every process, which place them the same way: the largest first, each
 * to the process with the fewest pairs so far (longest processing time
 * first, within 4/3 of the best balance); the many light groups go by a
 * hash of their root, which balances them on average.  So what is shared
 * stays small, at most DISC_HEAVY groups per process, at any scale.
 * owner[i] receives the process of the i-th local pair. */
static int balance_roots(disc_run *run, const uint32_t *m, int *owner, tsr_error *err)
{
    const tsr_comm *c = run->comm;
    const int n = c->size;
    const size_t np = run->npairs;
    disc_pc *loc = malloc((np ? np : 1) * sizeof *loc), *in = NULL, *tot = NULL, *heavy = NULL;
    size_t *at = calloc((size_t)n + 1, sizeof *at), nloc = 0, ntot = 0, nheavy = 0, len = 0;
    int *own = malloc((np ? np : 1) * sizeof *own);
    uint64_t *load = calloc((size_t)n, sizeof *load), total = 0;
    void *got = NULL;
    int rc = loc && at && own && load ? TSR_OK
                                      : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    /* pairs per root, here; then summed at the root's home */
    for (size_t i = 0; i < np && rc == TSR_OK; i++)
        loc[i] = (disc_pc){ m[(run->pairs[i].key >> 32) / (uint64_t)n], 1, 0 };
    if (rc == TSR_OK && np) {
        qsort(loc, np, sizeof *loc, key_cmp);
        for (size_t i = 0; i < np; i++) {
            if (nloc && loc[nloc - 1].key == loc[i].key) loc[nloc - 1].count++;
            else loc[nloc++] = loc[i];
        }
    }
    for (size_t i = 0; i < nloc; i++) own[i] = (int)(loc[i].key % (uint64_t)n);
    if (rc == TSR_OK) rc = route(c, loc, nloc, own, &in, at, err);
    if (rc == TSR_OK) rc = merge_sum(in, at, n, 1, &tot, &ntot, err);
    /* all pairs, and the heavy groups, to everyone */
    const uint64_t mine = np;
    if (rc == TSR_OK) rc = comm_all(c, &mine, sizeof mine, &got, err);
    for (int k = 0; rc == TSR_OK && k < n; k++) {
        uint64_t v;
        memcpy(&v, (char *)got + k * sizeof v, sizeof v);
        total += v;
    }
    free(got);
    got = NULL;
    const uint64_t thr = total / ((uint64_t)DISC_HEAVY * (uint64_t)n) + 1;
    for (size_t i = 0; i < ntot && rc == TSR_OK; i++)
        if (tot[i].count >= thr) tot[nheavy++] = tot[i];
    if (rc == TSR_OK) rc = comm_share(c, tot, nheavy * sizeof *tot, &got, &len, err);
    heavy = got;
    nheavy = rc == TSR_OK ? len / sizeof *heavy : 0;
    if (rc == TSR_OK) {
        qsort(heavy, nheavy, sizeof *heavy, root_cmp);
        for (size_t i = 0; i < nheavy; i++) {   /* the least loaded, lowest rank first */
            int best = 0;
            for (int k = 1; k < n; k++) if (load[k] < load[best]) best = k;
            load[best] += heavy[i].count;
            heavy[i].pad_ = (uint32_t)best;
        }
        qsort(heavy, nheavy, sizeof *heavy, key_cmp);
        for (size_t i = 0; i < np; i++) {
            const uint64_t r = m[(run->pairs[i].key >> 32) / (uint64_t)n];
            size_t lo = 0, hi = nheavy;
            while (lo < hi) {
                const size_t mid = lo + (hi - lo) / 2;
                if (heavy[mid].key < r) lo = mid + 1; else hi = mid;
            }
            owner[i] = lo < nheavy && heavy[lo].key == r ? (int)heavy[lo].pad_
                                                          : hash_owner(r, n);
        }
    }
    free(heavy);
    free(in);
    free(tot);
    free(loc);
    free(own);
    free(load);
    free(at);
    return rc;
}

/* Where the candidate pairs are aligned.  Preparing a document's text for
 * alignment (read, decompress, cut into words) costs more than aligning
 * it, and a process prepares each document it meets once: so the pairs of
 * one group of documents should meet on one process.  The first document
 * of each candidate pair (a, b), owned by process a mod size, learns the
 * smallest document that any candidate pairs it with, m(a) <= a (one
 * exchange: (b, a) goes to b's owner); the pair is aligned on process
 * m(a) mod size.  The documents of a family share their smallest member,
 * so a family's pairs meet (a chain a-b-c splits at most once). */
static int place_pairs(disc_run *run, tsr_error *err)
{
    const tsr_comm *c = run->comm;
    const int n = c->size, me = c->rank;
    const size_t np = run->npairs;
    const uint64_t mine = (run->r->documents + (uint64_t)n - 1) / (uint64_t)n;
    disc_pc *nb = malloc((np ? np : 1) * sizeof *nb), *in = NULL;
    int *owner = malloc((np ? np : 1) * sizeof *owner);
    uint32_t *m = malloc((mine ? mine : 1) * sizeof *m);
    size_t *at = calloc((size_t)n + 1, sizeof *at);
    int rc = nb && owner && m && at ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < np && rc == TSR_OK; i++) {   /* (b, a) to b's owner */
        const uint64_t a = run->pairs[i].key >> 32, b = run->pairs[i].key & 0xffffffffu;
        nb[i] = (disc_pc){ b << 32 | a, 0, 0 };
        owner[i] = (int)(b % (uint64_t)n);
    }
    if (rc == TSR_OK) rc = route(c, nb, np, owner, &in, at, err);
    for (uint64_t j = 0; j < mine && rc == TSR_OK; j++)   /* own document j*n+me: itself */
        m[j] = (uint32_t)(j * (uint64_t)n + (uint64_t)me);
    for (size_t i = 0; i < at[n] && rc == TSR_OK; i++) {
        const uint64_t d = in[i].key >> 32, y = in[i].key & 0xffffffffu;
        if (d / (uint64_t)n < mine && y < m[d / (uint64_t)n]) m[d / (uint64_t)n] = (uint32_t)y;
    }
    free(in);
    in = NULL;
    if (rc == TSR_OK) rc = balance_roots(run, m, owner, err);
    if (rc == TSR_OK) rc = route(c, run->pairs, np, owner, &in, at, err);
    disc_pc *out = NULL;
    size_t nout = 0;
    if (rc == TSR_OK) rc = merge_sum(in, at, n, 1, &out, &nout, err);
    free(in);
    free(nb);
    free(owner);
    free(m);
    free(at);
    if (rc != TSR_OK) return rc;
    free(run->pairs);
    run->pairs = out;
    run->npairs = nout;
    return TSR_OK;
}

/* Send each counted pair to the owner of its first document (a mod size),
 * which sums what arrives and keeps the candidates (count >= min_shared);
 * then place them (place_pairs). */
static int disc_pairs_exchange(disc_run *run, tsr_error *err)
{
    const tsr_comm *c = run->comm;
    const int n = c->size;
    int *owner = malloc((run->npairs ? run->npairs : 1) * sizeof *owner);
    size_t *at = calloc((size_t)n + 1, sizeof *at);
    disc_pc *in = NULL, *cand = NULL;
    size_t ncand = 0;
    int rc = owner && at ? TSR_OK : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < run->npairs && rc == TSR_OK; i++)
        owner[i] = (int)((run->pairs[i].key >> 32) % (uint64_t)n);
    if (rc == TSR_OK) rc = route(c, run->pairs, run->npairs, owner, &in, at, err);
    if (rc == TSR_OK)
        rc = merge_sum(in, at, n, (uint64_t)run->p->min_shared, &cand, &ncand, err);
    free(in);
    free(owner);
    free(at);
    if (rc != TSR_OK) return rc;
    free(run->pairs);
    run->pairs = cand;
    run->npairs = ncand;
    return place_pairs(run, err);
}

/* Process 0 gathers every process's links, in process order, and sums
 * the counts; the others keep their counts and no links. */
static int disc_gather(disc_run *run, tsr_error *err)
{
    const tsr_comm *c = run->comm;
    tsr_discovery *r = run->r;
    const int n = c->size;
    const size_t head = 6 * sizeof(uint64_t);
    const size_t mine = head + r->n_links * sizeof *r->links;
    unsigned char *msg = malloc(mine);
    const void **send = calloc((size_t)n, sizeof *send);
    size_t *slen = calloc((size_t)n, sizeof *slen), *rlen = calloc((size_t)n, sizeof *rlen);
    void *recv = NULL;
    int rc = msg && send && slen && rlen ? TSR_OK
                                         : tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    if (rc == TSR_OK) {
        const uint64_t cnt[6] = { r->fingerprints, r->skipped, r->candidate_pairs,
                                  (uint64_t)r->resumed_stages, r->texts_read, r->texts_cached };
        memcpy(msg, cnt, head);
        if (r->n_links) memcpy(msg + head, r->links, r->n_links * sizeof *r->links);
        send[0] = msg;
        slen[0] = mine;
        rc = comm_x(c, send, slen, &recv, rlen, err);
    }
    if (rc == TSR_OK && c->rank == 0) {
        size_t total = 0;
        for (int k = 0; k < n && rc == TSR_OK; k++) {
            if (rlen[k] < head || (rlen[k] - head) % sizeof *r->links)
                rc = tsr_seterr(err, TSR_ERR_IO, "process %d sent %zu bytes of links", k,
                                rlen[k]);
            else total += (rlen[k] - head) / sizeof *r->links;
        }
        tsr_link *all = rc == TSR_OK ? malloc((total ? total : 1) * sizeof *all) : NULL;
        if (rc == TSR_OK && !all) rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        uint64_t sum[6] = { 0, 0, 0, 0, 0, 0 };
        const unsigned char *p = recv;
        const tsr_link **from = calloc((size_t)n, sizeof *from);
        size_t *left = calloc((size_t)n, sizeof *left);
        if (rc == TSR_OK && (!from || !left)) rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        for (int k = 0; k < n && rc == TSR_OK; k++) {
            uint64_t cnt[6];
            memcpy(cnt, p, head);
            for (int q = 0; q < 6; q++) sum[q] += cnt[q];
            from[k] = (const tsr_link *)(p + head);   /* tsr_link is 8-aligned, so is head */
            left[k] = (rlen[k] - head) / sizeof *r->links;
            p += rlen[k];
        }
        /* each process's links come by pair, in the order one process
         * gives; a pair is one process's: merging by pair is that order */
        for (size_t got = 0; got < total && rc == TSR_OK; got++) {
            int best = -1;
            for (int k = 0; k < n; k++)
                if (left[k] && (best < 0 || from[k]->a_doc < from[best]->a_doc ||
                                (from[k]->a_doc == from[best]->a_doc &&
                                 from[k]->b_doc < from[best]->b_doc)))
                    best = k;
            memcpy(&all[got], from[best], sizeof *all);
            from[best]++;
            left[best]--;
        }
        free(from);
        free(left);
        if (rc == TSR_OK) {
            free(r->links);
            r->links = all;
            r->n_links = total;
            r->fingerprints = sum[0];
            r->skipped = sum[1];
            r->candidate_pairs = sum[2];
            r->resumed_stages = (int)(sum[3] / (uint64_t)n);
            r->texts_read = sum[4];
            r->texts_cached = sum[5];
        }
    } else if (rc == TSR_OK) {
        free(r->links);
        r->links = NULL;
        r->n_links = 0;
    }
    free(recv);
    free(msg);
    free(send);
    free(slen);
    free(rlen);
    return rc;
}

/* Check the arguments; set `run`'s parameters, defaults filled in, and the
 * sizes that follow from them.  Allocates nothing. */
static int disc_plan(disc_run *run, tsr_index *ix, const tsr_params *p,
                     const tsr_discover_opts *o, tsr_error *err)
{
    if (!ix) return tsr_seterr(err, TSR_ERR_INVALID, "tsr_discover: NULL index");
    if (!p) { tsr_params_default(&run->defp); p = &run->defp; }
    if (!o) { tsr_discover_opts_default(&run->defo); o = &run->defo; }
    TSR_FORWARD(tsr_params_validate(p, err));
    if (o->threads < 0 || o->max_df < 0)
        return tsr_seterr(err, TSR_ERR_INVALID, "threads and max_df must be >= 0");
    if (o->comm && (o->comm->size < 1 || o->comm->rank < 0 ||
                    o->comm->rank >= o->comm->size || !o->comm->exchange))
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_discover: bad comm (rank %d of %d)",
                          o->comm->rank, o->comm->size);
    run->ix = ix;
    run->p = p;
    run->o = o;
    run->comm = o->comm && o->comm->size > 1 ? o->comm : NULL;
    run->load_pairs = run->load_links = 1;
    /* a fixed bound, not one that grows with the corpus: the pairs a
     * fingerprint makes grow with the square of its document frequency,
     * so a bound that grew with the corpus (ndocs / 10000) made 44 times
     * the pairs at 5M documents that it made at 1M */
    run->max_df = o->max_df > 0 ? (uint32_t)o->max_df : DISC_MAX_DF;
    run->nt = o->threads > 0 ? (o->threads > 256 ? 256 : o->threads) : ncores();
    run->memory = o->memory ? o->memory : (size_t)1 << 30;
    /* each thread holds a key buffer and a sort buffer of 8 bytes a pair */
    run->cap = run->memory / (size_t)run->nt / 16;
    if (run->cap < 4096) run->cap = 4096;
    return TSR_OK;
}

/* The result, still empty of passages: the documents of the index and the
 * largest document number, the new_after of a later incremental run. */
static int disc_result_new(disc_run *run, tsr_error *err)
{
    tsr_discovery *r = calloc(1, sizeof *r);
    TSR_CHECK_ALLOC(r, err);
    r->documents = ix_ndocs(run->ix);
    r->last_docno = -1;
    seg_file *const *sg;
    size_t ns = ix_segments(run->ix, &sg);
    for (size_t i = 0; i < ns; i++)
        if (sg[i]->info.ndocs && (int64_t)sg[i]->info.doc_hi > r->last_docno)
            r->last_docno = sg[i]->info.doc_hi;
    run->r = r;
    return TSR_OK;
}

/* The work directory: the caller's, made when missing, or else a new
 * temporary one that the run removes (own_dir).  Stage files that another
 * index state or other parameters left (their key differs) are cleared,
 * and the key of this run written. */
static int disc_workdir_open(disc_run *run, tsr_error *err)
{
    run->dir = run->o->workdir;
    if (!run->dir) {
        const char *t = getenv("TMPDIR");
        snprintf(run->tmpdir, sizeof run->tmpdir, "%s/tessera-discover-XXXXXX",
                 t && *t ? t : "/tmp");
        if (!mkdtemp(run->tmpdir))
            return tsr_seterr(err, tsr_io_status(errno), "%s: %s", run->tmpdir, strerror(errno));
        run->dir = run->tmpdir;
        run->own_dir = 1;
    } else if (mkdir(run->dir, 0755) != 0 && errno != EEXIST) {
        return tsr_seterr(err, tsr_io_status(errno), "%s: %s", run->dir, strerror(errno));
    } else if (run->comm) {   /* a shared workdir: a subdirectory each */
        snprintf(run->subdir, sizeof run->subdir, "%s/rank-%d-of-%d", run->dir,
                 run->comm->rank, run->comm->size);
        run->dir = run->subdir;
        if (mkdir(run->dir, 0755) != 0 && errno != EEXIST)
            return tsr_seterr(err, tsr_io_status(errno), "%s: %s", run->dir, strerror(errno));
    }
    run->sync = !run->own_dir && !run->o->scratch && !ix_is_scratch(run->ix);
    char key[1024];
    work_key(run->ix, run->p, run->max_df, run->o, key, sizeof key);
    void *old = NULL;
    size_t oldn = 0;
    int rc = TSR_OK;
    int st = disc_read_file(run->dir, "key", &old, &oldn, err);
    if (st != TSR_OK || oldn != strlen(key) || memcmp(old, key, oldn)) {
        work_clear(run->dir);
        rc = disc_write_file(run->sync, run->dir, "key", key, strlen(key), err);
    }
    free(old);
    return rc;
}

/* Stage 1 as a finished run left it: the pairs file.  TSR_ERR_NOTFOUND
 * when there is none, or it is not a pairs file: then the stage runs. */
static int disc_pairs_load(disc_run *run, tsr_error *err)
{
    void *data = NULL;
    size_t len = 0;
    int st = disc_read_file(run->dir, "pairs", &data, &len, err);
    if (st != TSR_OK || len < 2 * sizeof(disc_pc) || len % sizeof(disc_pc) != 0 ||
        ((const disc_pc *)data)[0].key != DISC_MAGIC) {
        free(data);
        return st == TSR_OK ? TSR_ERR_NOTFOUND : st;
    }
    const disc_pc *hdr = data;
    run->pairs = malloc(len);
    if (!run->pairs) {
        free(data);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    run->npairs = len / sizeof *run->pairs - 2;
    if (run->npairs) memcpy(run->pairs, hdr + 2, run->npairs * sizeof *run->pairs);
    run->r->fingerprints = hdr[1].key;
    run->r->skipped = ((uint64_t)hdr[0].count << 32) | hdr[1].count;
    run->r->resumed_stages++;
    free(data);
    return TSR_OK;
}

/* The pairs file: a header of two records (the magic, and the counts of
 * fingerprints and of skipped ones), then the pairs. */
static int disc_pairs_save(const disc_run *run, tsr_error *err)
{
    const tsr_discovery *r = run->r;
    const size_t npairs = run->npairs;
    disc_pc *file = malloc((npairs + 2) * sizeof *file);
    if (!file) return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    file[0] = (disc_pc){ DISC_MAGIC, (uint32_t)(r->skipped >> 32), 0 };
    file[1] = (disc_pc){ r->fingerprints, (uint32_t)r->skipped, 0 };
    if (npairs) memcpy(file + 2, run->pairs, npairs * sizeof *run->pairs);
    int rc = disc_write_file(run->sync, run->dir, "pairs", file, (npairs + 2) * sizeof *file,
                             err);
    free(file);
    return rc;
}

/* Stage 1, run: the threads take the partitions of the fingerprint space
 * and spill sorted runs of counted pairs (s1_worker); the runs are merged
 * into the candidate pairs (merge_runs), removed, and the pairs file is
 * written. */
static int disc_pairs_find(disc_run *run, tsr_error *err)
{
    const tsr_discover_opts *o = run->o;
    seg_file *const *segs;
    size_t nsegs = ix_segments(run->ix, &segs);
    disc_s1 s;
    memset(&s, 0, sizeof s);
    s.ix = run->ix; s.segs = segs; s.nsegs = nsegs; s.max_df = run->max_df;
    s.new_after = o->new_after; s.cap = run->cap; s.workdir = run->dir; s.sync = run->sync;
    /* several processes: each takes every size-th partition */
    s.part_first = run->comm ? (unsigned)run->comm->rank : 0;
    s.part_step = run->comm ? (unsigned)run->comm->size : 1;
    const unsigned nparts = (DISC_NPART - s.part_first + s.part_step - 1) / s.part_step;
    pthread_mutex_init(&s.mu, NULL);
    if (o->progress) o->progress(o->progress_ud, "pairs", 0, nparts);
    run_threads(run->nt, s1_worker, &s, o->progress, o->progress_ud, "pairs", &s.mu,
                NULL, nparts, &s.parts_done);
    pthread_mutex_destroy(&s.mu);
    if (s.rc != TSR_OK) {
        if (err) *err = s.err;
        return s.rc;
    }
    run->r->fingerprints = s.fingerprints;
    run->r->skipped = s.skipped;
    /* with several processes a pair's count is summed over all of them
     * (disc_pairs_exchange) before the bound applies */
    TSR_FORWARD(merge_runs(run->dir, s.runs, run->comm ? 1 : (uint32_t)run->p->min_shared,
                           &run->pairs, &run->npairs, err));
    for (unsigned k = 0; k < s.runs; k++) {
        char name[64];
        snprintf(name, sizeof name, "run-%05u", k);
        disc_remove(run->dir, name);
    }
    if (run->comm) TSR_FORWARD(disc_pairs_exchange(run, err));
    return disc_pairs_save(run, err);
}

/* Stage 1: the candidate pairs, from the work directory or found. */
static int disc_pairs(disc_run *run, tsr_error *err)
{
    int rc = run->load_pairs ? disc_pairs_load(run, err) : TSR_ERR_NOTFOUND;
    if (rc == TSR_ERR_NOTFOUND) rc = disc_pairs_find(run, err);
    if (rc == TSR_OK) run->r->candidate_pairs = run->npairs;
    return rc;
}

/* Stage 2 as a finished run left it: the links file.  TSR_ERR_NOTFOUND
 * when there is none, or it is not a links file: then the stage runs. */
static int disc_links_load(disc_run *run, tsr_error *err)
{
    void *data = NULL;
    size_t len = 0;
    int st = disc_read_file(run->dir, "links", &data, &len, err);
    if (st != TSR_OK || len % sizeof(tsr_link) != 0) {
        free(data);
        return st == TSR_OK ? TSR_ERR_NOTFOUND : st;
    }
    run->r->links = data;
    run->r->n_links = len / sizeof(tsr_link);
    run->r->resumed_stages++;
    return TSR_OK;
}

/* The alignment work chunks: about DISC_CHUNK a's each, cut only between
 * different a's, so that an a's text is prepared once.  `*at` (free it)
 * gets each chunk's first pair and then npairs: chunk c is the pairs
 * [at[c], at[c+1]).  -1 when out of memory. */
static int disc_chunks(const disc_pc *pairs, size_t npairs, size_t **at, size_t *nchunks)
{
    TSR_VEC(size_t) v = { 0 };
    for (size_t i = 0; i < npairs;) {
        if (tsr_vec_push(&v, i)) { tsr_vec_free(&v); return -1; }
        size_t j = i, as = 0;
        while (j < npairs && (as < DISC_CHUNK || (pairs[j].key >> 32) == (pairs[j - 1].key >> 32))) {
            if (j == i || (pairs[j].key >> 32) != (pairs[j - 1].key >> 32)) as++;
            j++;
        }
        i = j;
    }
    *nchunks = v.n;
    if (tsr_vec_push(&v, npairs)) { tsr_vec_free(&v); return -1; }
    *at = v.a;
    return 0;
}

/* The chunks' links, in chunk order, into r->links (so their order does
 * not depend on the threads). */
static int disc_links_join(tsr_discovery *r, const link_vec *out, size_t nchunks,
                           tsr_error *err)
{
    size_t total = 0;
    for (size_t c = 0; c < nchunks; c++) total += out[c].n;
    r->links = malloc((total ? total : 1) * sizeof *r->links);
    if (!r->links) return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < nchunks; c++) {
        if (out[c].n)
            memcpy(r->links + r->n_links, out[c].a, out[c].n * sizeof *r->links);
        r->n_links += out[c].n;
    }
    return TSR_OK;
}

static int doc_cmp(const void *x, const void *y)
{
    const int64_t a = ((const tsr_document *)x)->docno, b = ((const tsr_document *)y)->docno;
    return (a > b) - (a < b);
}

/* The chunks' documents (seen_put) moved into `all`, by number, each once. 
 * 0 or -1 (out of memory: nothing moved). */
static int seen_join(doc_vec *all, doc_vec *seen, size_t nchunks)
{
    size_t total = 0;
    for (size_t c = 0; c < nchunks; c++) total += seen[c].n;
    if (tsr_vec_reserve(all, total)) return -1;
    for (size_t c = 0; c < nchunks; c++) {
        if (seen[c].n) memcpy(all->a + all->n, seen[c].a, seen[c].n * sizeof *all->a);
        all->n += seen[c].n;
        seen[c].n = 0;
    }
    tsr_sort(all->a, all->n, sizeof *all->a, doc_cmp);
    size_t k = 0;
    for (size_t i = 0; i < all->n; i++) {
        if (k && all->a[k - 1].docno == all->a[i].docno)
            docs_fields_free(&all->a[i], 1);
        else
            all->a[k++] = all->a[i];
    }
    all->n = k;
    return 0;
}

/* Stage 2, run: the threads take chunks of the candidate pairs and align
 * them (s2_worker), sharing a cache of tokenized documents that gets a
 * quarter of the memory budget; the links are joined in chunk order and
 * the links file is written. */
static int disc_links_align(disc_run *run, tsr_error *err)
{
    const tsr_discover_opts *o = run->o;
    size_t *at = NULL, nchunks = 0;
    if (disc_chunks(run->pairs, run->npairs, &at, &nchunks))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    disc_s2 s;
    memset(&s, 0, sizeof s);
    s.ix = run->ix; s.p = run->p; s.pairs = run->pairs; s.npairs = run->npairs;
    s.chunk_at = at; s.nchunks = nchunks; s.series = o->series;
    s.out = calloc(nchunks ? nchunks : 1, sizeof *s.out);
    s.seen = calloc(nchunks ? nchunks : 1, sizeof *s.seen);
    /* The candidate pairs' memory is free by now.  Half of the budget for
     * tokenized documents, a quarter for the stored rows of documents read
     * again that the tokenized cache let go (cache.h, dc_rows): at 1M
     * documents with --memory 1G, against a quarter and no rows, 2.73M ->
     * 2.25M texts tokenized, 2.73M -> 1.14M rows read from the catalog,
     * CPU -21%, peak RSS +4% (BENCHMARKS.md).  With the sentence stage an
     * eighth more, a 32nd of the budget of it for split texts (disc_ppc),
     * the rest for more documents: reading a document again (its words,
     * its marks) costs more than splitting one again (100,000 generated
     * documents at --memory 128M: 171,000 -> 161,000 reads for 26,000 ->
     * 38,000 splits when the split texts' eighth was cut to a 32nd, CPU -3%) */
    const size_t pp_bytes = run->p->paraphrase == TSR_PARAPHRASE_ALL ? run->memory / 32 : 0;
    s.cache = dc_new(run->memory / 2 + (pp_bytes ? run->memory / 8 - pp_bytes : 0));
    s.pp_budget = pp_bytes / (size_t)(run->nt > 0 ? run->nt : 1);
    if (!s.out || !s.seen || !s.cache) {
        free(s.out);
        free(s.seen);
        dc_free(s.cache);
        free(at);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    s.reads = disc_reads(&s, &s.nreads);
    /* a quarter more for the stored rows of documents read again (the
     * candidate pairs' memory is free by now); none when the reads are
     * not counted (out of memory), as a row would then never leave */
    s.rows = s.reads ? dc_rows_new(run->memory / 4, s.nreads) : NULL;
    pthread_mutex_init(&s.mu, NULL);
    if (o->progress) o->progress(o->progress_ud, "align", 0, run->npairs);
    run_threads(run->nt, s2_worker, &s, o->progress, o->progress_ud, "align", &s.mu,
                &s.pairs_done, run->npairs, NULL);
    pthread_mutex_destroy(&s.mu);
    dc_free(s.cache);
    dc_rows_free(s.rows);
    free((void *)s.reads);
    run->r->texts_read = s.texts_read;
    run->r->texts_cached = s.texts_cached;
    run->r->texts_kept = s.texts_kept;
    if (s.rc == TSR_OK)   /* the significance model's lookups read no damaged chunk */
        s.rc = ix_segments_sound(run->ix, &s.err);
    if (s.rc == TSR_OK)
        s.rc = disc_links_join(run->r, s.out, nchunks, &s.err);
    if (s.rc == TSR_OK && seen_join(&run->seen, s.seen, nchunks))
        s.rc = tsr_seterr(&s.err, TSR_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < nchunks; c++) {
        tsr_vec_free(&s.out[c]);
        docs_fields_free(s.seen[c].a, s.seen[c].n);
        tsr_vec_free(&s.seen[c]);
    }
    free(s.out);
    free(s.seen);
    free(at);
    if (s.rc != TSR_OK) {
        if (err) *err = s.err;
        return s.rc;
    }
    return disc_write_file(run->sync, run->dir, "links", run->r->links,
                           run->r->n_links * sizeof *run->r->links, err);
}

/* Stage 2: the passage pairs (links), from the work directory or aligned. */
static int disc_links(disc_run *run, tsr_error *err)
{
    int rc = run->load_links ? disc_links_load(run, err) : TSR_ERR_NOTFOUND;
    return rc == TSR_ERR_NOTFOUND ? disc_links_align(run, err) : rc;
}

/* Stage 3: the families (build_families); then the read transaction of
 * stages 2 and 3 ends. */
static int disc_families(disc_run *run, tsr_error *err)
{
    const tsr_discover_opts *o = run->o;
    tsr_discovery *r = run->r;
    if (o->progress) o->progress(o->progress_ud, "families", 0, r->n_links);
    int rc = build_families(run->ix, r, &run->seen, err);
    if (run->in_txn) ix_read_end(run->ix);
    run->in_txn = 0;
    if (rc == TSR_OK && o->progress)
        o->progress(o->progress_ud, "families", r->n_links, r->n_links);
    return rc;
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

int tsr_discover(tsr_index *ix, const tsr_params *p, const tsr_discover_opts *o,
                 tsr_discovery **out, tsr_error *err)
{
    disc_run run;
    memset(&run, 0, sizeof run);
    *out = NULL;
    int rc = disc_plan(&run, ix, p, o, err);
    if (rc == TSR_OK) rc = disc_result_new(&run, err);
    if (rc == TSR_OK) rc = disc_workdir_open(&run, err);
    if (rc == TSR_OK && run.comm) rc = disc_agree(&run, err);
    if (rc == TSR_OK) rc = disc_pairs(&run, err);                /* 1. */
    if (rc == TSR_OK) {
        /* one read transaction over the document reads of 2. and 3. made
         * through the index's connection (2.'s workers read through their
         * own, s2_worker) */
        run.in_txn = ix_read_begin(ix, NULL) == TSR_OK;
        rc = disc_links(&run, err);                                /* 2. */
    }
    free(run.pairs);
    run.pairs = NULL;
    if (rc == TSR_OK && run.comm) rc = disc_gather(&run, err);
    if (rc == TSR_OK && (!run.comm || run.comm->rank == 0))
        rc = disc_families(&run, err);                             /* 3. */
    if (run.in_txn) ix_read_end(ix);
    docs_fields_free(run.seen.a, run.seen.n);
    tsr_vec_free(&run.seen);
    if (run.own_dir) work_rmdir(run.dir);
    if (rc != TSR_OK) {
        tsr_discovery_free(run.r);
        return rc;
    }
    *out = run.r;
    return TSR_OK;
}

void tsr_discovery_free(tsr_discovery *d)
{
    if (!d) return;
    docs_fields_free(d->docs, d->n_docs);
    free(d->docs);
    free(d->links);
    free(d->families);
    free(d->members);
    free(d);
}
