/*
 * bench_check.c - latency and throughput of tsr_index_check.
 *
 * Opens an index read-only, loads the query texts (any input that
 * tsr_reader_open takes: a JSON Lines file of {"id", "text"} objects, a
 * directory of text files, single files), checks every query once to warm
 * the page cache and the allocator, then checks each query `repeat` more
 * times, timing every call.  With -t T, T threads share the one read-only
 * handle (tessera.h: tsr_index_check is thread-safe on such a handle) and
 * take queries from a shared counter.
 *
 * Prints the latency distribution (p50, p90, p99, mean, max, in ms), the
 * checks per second over the wall clock of the timed phase, and what the
 * checks found (queries with any reuse, mean coverage), so that a fast run
 * that finds nothing is visible as such.  --json prints one JSON object.
 *
 * Uses only the public API, lib/tessera.h.
 *
 * With -o FILE it also writes, from the first pass, the sources each
 * query was found to reuse, for bench/score_peers.py.
 *
 *   bench_check [-t THREADS] [-r REPEAT] [-n MAX] [-w N] [-o FOUND] [--json]
 *               DB INPUT...
 */
#include "tessera.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* ---- types --------------------------------------------------------------- */

typedef struct query {
    char *id;
    char *text;
    size_t len;
    char *found;        /* with -o: "id\tsource\tbytes\n" lines, from the first pass */
} query;

typedef struct job {
    tsr_index *ix;
    query *q;
    size_t nq;          /* queries */
    int record;         /* keep the sources found (the first pass, with -o) */
    int paraphrase;     /* --paraphrase: the sentence stage too */
    size_t ncalls;      /* nq * repeat */
    atomic_size_t next; /* next call to run */
    double *lat_ms;     /* one per call */
    double *coverage;   /* one per query (last run wins; all runs agree) */
    atomic_int failed;
    char errmsg[600];
} job;

/* ---- helpers ------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *v, size_t n, double pct)
{
    if (n == 0) return 0;
    size_t rank = (size_t)(pct / 100.0 * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1];
}

static void usage(FILE *f)
{
    fputs("usage: bench_check [-t THREADS] [-r REPEAT] [-n MAX] [-w N] [-c MB] [-o FOUND] [--json]\n"
          "                   [--paraphrase] DB INPUT...\n"
          "  Times tsr_index_check on each query of INPUT (JSONL, directory or files)\n"
          "  against the index DB, after one untimed warm-up pass.\n"
          "  -t THREADS  threads sharing one read-only handle (default 1)\n"
          "  -r REPEAT   timed checks per query (default 1)\n"
          "  -n MAX      use at most MAX queries (default all)\n"
          "  -w N        untimed warm-up passes, 0 or 1 (default 1)\n"
          "  -c MB       document cache of the handle, MiB (default 0: none;\n"
          "              tsr_index_set_cache)\n"
          "  -o FOUND    write the sources found, \"query<TAB>source<TAB>bytes\" lines\n"
          "  --json      one JSON object on stdout instead of text\n"
          "  --paraphrase  the sentence stage too, as `tessera check --paraphrase`\n"
          "              (tsr_params.paraphrase = TSR_PARAPHRASE_ALL)\n", f);
}

static int load_queries(int argc, char **argv, size_t max, query **out, size_t *n)
{
    query *q = NULL;
    size_t nq = 0, cap = 0;
    for (int a = 0; a < argc && nq < max; a++) {
        tsr_reader *rd = NULL;
        tsr_error e = { 0 };
        if (tsr_reader_open(argv[a], NULL, &rd, &e) != TSR_OK) {
            fprintf(stderr, "bench_check: %s\n", e.message);
            return -1;
        }
        for (;;) {
            tsr_docinfo d;
            int eof = 0;
            if (tsr_reader_next(rd, &d, &eof, &e) != TSR_OK) {
                fprintf(stderr, "bench_check: %s\n", e.message);
                tsr_reader_close(rd);
                return -1;
            }
            if (eof || nq >= max) break;
            if (nq == cap) {
                cap = cap ? 2 * cap : 256;
                query *g = realloc(q, cap * sizeof *q);
                if (!g) { fprintf(stderr, "bench_check: out of memory\n"); return -1; }
                q = g;
            }
            q[nq].text = malloc(d.text_len + 1);
            q[nq].id = strdup(d.id ? d.id : "?");
            q[nq].found = NULL;
            if (!q[nq].text || !q[nq].id) { fprintf(stderr, "bench_check: out of memory\n"); return -1; }
            memcpy(q[nq].text, d.text, d.text_len);
            q[nq].text[d.text_len] = '\0';
            q[nq].len = d.text_len;
            nq++;
        }
        tsr_reader_close(rd);
    }
    *out = q;
    *n = nq;
    return 0;
}

/* Keep the sources of `r` as text lines in q->found (one thread owns q). */
static void record(query *q, const tsr_result *r)
{
    size_t need = strlen(q->id) + 32;
    for (size_t k = 0; k < r->n_sources; k++)
        need += strlen(q->id) + (r->sources[k].id ? strlen(r->sources[k].id) : 1) + 32;
    free(q->found);
    q->found = malloc(need);
    if (!q->found) return;
    size_t at = (size_t)snprintf(q->found, need, "%s\t*\t%zu\n", q->id, r->bytes_reused);
    for (size_t k = 0; k < r->n_sources; k++)
        at += (size_t)snprintf(q->found + at, need - at, "%s\t%s\t%zu\n", q->id,
                               r->sources[k].id ? r->sources[k].id : "?",
                               r->sources[k].bytes_reused);
}

/* ---- the timed loop ------------------------------------------------------ */

static void *worker(void *arg)
{
    job *j = arg;
    tsr_params p;
    tsr_params_default(&p);
    if (j->paraphrase) p.paraphrase = TSR_PARAPHRASE_ALL;
    for (;;) {
        const size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->ncalls || atomic_load(&j->failed)) break;
        query *q = &j->q[i % j->nq];
        tsr_result *r = NULL;
        tsr_error e = { 0 };
        const double t0 = now_s();
        const int st = tsr_index_check(j->ix, q->text, q->len, &p, &r, &e);
        const double t1 = now_s();
        if (st != TSR_OK) {
            if (atomic_exchange(&j->failed, 1) == 0)
                snprintf(j->errmsg, sizeof j->errmsg, "query %zu: %s", i % j->nq, e.message);
            break;
        }
        j->lat_ms[i] = (t1 - t0) * 1e3;
        j->coverage[i % j->nq] = r->coverage;
        if (j->record) record(q, r);
        tsr_result_free(r);
    }
    return NULL;
}

/* Run every call of `j` on `threads` threads; the wall time in *wall. */
static int run(job *j, int threads, double *wall)
{
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!tid) return -1;
    atomic_store(&j->next, 0);
    const double t0 = now_s();
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&tid[started], NULL, worker, j) != 0) break;
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    *wall = now_s() - t0;
    free(tid);
    if (started == 0) { fprintf(stderr, "bench_check: cannot start threads\n"); return -1; }
    if (atomic_load(&j->failed)) {
        fprintf(stderr, "bench_check: %s\n", j->errmsg);
        return -1;
    }
    return 0;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    int threads = 1, repeat = 1, warmup = 1, json = 0, paraphrase = 0;
    long cache_mb = 0;
    const char *found_path = NULL;
    size_t max = (size_t)-1;
    int a = 1;
    for (; a < argc && argv[a][0] == '-' && argv[a][1]; a++) {
        const char *o = argv[a];
        if (!strcmp(o, "--json")) json = 1;
        else if (!strcmp(o, "--paraphrase")) paraphrase = 1;
        else if (!strcmp(o, "-h") || !strcmp(o, "--help")) { usage(stdout); return 0; }
        else if (!strcmp(o, "-o") && a + 1 < argc) found_path = argv[++a];
        else if ((!strcmp(o, "-t") || !strcmp(o, "-r") || !strcmp(o, "-n") ||
                  !strcmp(o, "-w") || !strcmp(o, "-c")) && a + 1 < argc) {
            char *end;
            const long v = strtol(argv[++a], &end, 10);
            if (*end || v < (o[1] == 'w' || o[1] == 'c' ? 0 : 1) || v > 1000000) {
                usage(stderr);
                return 2;
            }
            if (o[1] == 't') threads = (int)v;
            else if (o[1] == 'c') cache_mb = v;
            else if (o[1] == 'w') warmup = (int)v;
            else if (o[1] == 'r') repeat = (int)v;
            else max = (size_t)v;
        } else { usage(stderr); return 2; }
    }
    if (argc - a < 2) { usage(stderr); return 2; }
    const char *db = argv[a++];

    query *q = NULL;
    size_t nq = 0;
    if (load_queries(argc - a, argv + a, max, &q, &nq) != 0) return 1;
    if (nq == 0) { fprintf(stderr, "bench_check: no queries\n"); return 1; }
    size_t qbytes = 0;
    for (size_t i = 0; i < nq; i++) qbytes += q[i].len;

    tsr_index *ix = NULL;
    tsr_error e = { 0 };
    const double topen = now_s();
    if (tsr_index_open(db, TSR_OPEN_READONLY, &ix, &e) != TSR_OK) {
        fprintf(stderr, "bench_check: %s\n", e.message);
        return 1;
    }
    const double open_ms = (now_s() - topen) * 1e3;
    if (tsr_index_set_cache(ix, (size_t)cache_mb << 20, &e) != TSR_OK) {
        fprintf(stderr, "bench_check: %s\n", e.message);
        return 1;
    }
    tsr_stats s;
    memset(&s, 0, sizeof s);
    (void)tsr_index_stats(ix, &s, NULL);

    job j;
    memset(&j, 0, sizeof j);
    j.ix = ix;
    j.q = q;
    j.nq = nq;
    j.paraphrase = paraphrase;
    j.coverage = calloc(nq, sizeof *j.coverage);
    int rc = 1;

    /* Warm-up: every query once, on the same threads as the timed phase;
     * with -o it records the sources found.  With -w 0 there is none: the
     * first timed pass records, and the figures include cold caches (the
     * setting of the peer comparison, one process per run). */
    double warm_wall = 0, wall = 0, cold_first_ms = 0;
    if (!j.coverage) goto done;
    if (warmup) {
        j.ncalls = nq;
        j.lat_ms = calloc(nq, sizeof *j.lat_ms);
        j.record = found_path != NULL;
        if (!j.lat_ms || run(&j, threads, &warm_wall) != 0) goto done;
        cold_first_ms = j.lat_ms[0];
        free(j.lat_ms);
    }
    j.ncalls = nq * (size_t)repeat;
    j.lat_ms = calloc(j.ncalls, sizeof *j.lat_ms);
    j.record = found_path != NULL && !warmup;
    if (!j.lat_ms || run(&j, threads, &wall) != 0) goto done;
    j.record = 0;
    if (!warmup) cold_first_ms = j.lat_ms[0];
    if (found_path) {
        FILE *f = fopen(found_path, "w");
        if (!f) { perror(found_path); goto done; }
        for (size_t i = 0; i < nq; i++)
            if (q[i].found) fputs(q[i].found, f);
        if (fclose(f) != 0) { perror(found_path); goto done; }
    }

    double sum = 0;
    for (size_t i = 0; i < j.ncalls; i++) sum += j.lat_ms[i];
    qsort(j.lat_ms, j.ncalls, sizeof *j.lat_ms, cmp_double);
    size_t found = 0;
    double cov = 0;
    for (size_t i = 0; i < nq; i++) {
        found += j.coverage[i] > 0;
        cov += j.coverage[i];
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const double mean = sum / (double)j.ncalls;
    const double p50 = percentile(j.lat_ms, j.ncalls, 50);
    const double p90 = percentile(j.lat_ms, j.ncalls, 90);
    const double p99 = percentile(j.lat_ms, j.ncalls, 99);
    const double mx = j.lat_ms[j.ncalls - 1];
    const double cps = (double)j.ncalls / wall;

    if (json) {
        printf("{\"documents\":%llu,\"queries\":%zu,\"query_bytes_mean\":%.0f,"
               "\"threads\":%d,\"repeat\":%d,\"calls\":%zu,"
               "\"open_ms\":%.3f,\"first_ms\":%.3f,\"warmup_s\":%.3f,"
               "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"mean_ms\":%.3f,"
               "\"max_ms\":%.3f,\"wall_s\":%.3f,\"checks_per_s\":%.2f,"
               "\"with_reuse\":%zu,\"mean_coverage\":%.4f,\"max_rss_kb\":%ld}\n",
               (unsigned long long)s.documents, nq, (double)qbytes / (double)nq,
               threads, repeat, j.ncalls, open_ms, cold_first_ms, warm_wall,
               p50, p90, p99, mean, mx, wall, cps, found, cov / (double)nq, ru.ru_maxrss);
    } else {
        printf("index      %s (%llu documents), opened in %.1f ms\n", db,
               (unsigned long long)s.documents, open_ms);
        printf("queries    %zu (mean %.0f bytes), %d thread(s), %d timed run(s) each\n",
               nq, (double)qbytes / (double)nq, threads, repeat);
        printf("warm-up    %.2f s (first check %.1f ms)\n", warm_wall, cold_first_ms);
        printf("latency    p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  mean %.2f ms  max %.2f ms\n",
               p50, p90, p99, mean, mx);
        printf("throughput %.1f checks/s (%zu checks in %.2f s)\n", cps, j.ncalls, wall);
        printf("found      reuse in %zu of %zu queries, mean coverage %.3f\n",
               found, nq, cov / (double)nq);
        printf("memory     peak RSS %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    }
    rc = 0;
done:
    free(j.lat_ms);
    free(j.coverage);
    tsr_index_close(ix);
    for (size_t i = 0; i < nq; i++) {
        free(q[i].id);
        free(q[i].text);
        free(q[i].found);
    }
    free(q);
    return rc;
}
