/*
 * bench_discover.c - where the time of tsr_discover goes.
 *
 * Opens an index read-only and runs tsr_discover once, with a progress
 * callback that notes when each stage ("pairs", "align", "families") is
 * first reported, so that the wall time splits into stages: pairs runs from
 * the start to the first "align" report, align to the first "families"
 * report, families to the end.  Prints one JSON object: the stage times,
 * the total, the counts of the result (documents, candidate pairs, passage
 * pairs, families), and the peak RSS of the process.  `tessera discover`
 * (the CLI) adds loading the ids of the documents involved and writing
 * the output; run.sh times that separately.
 *
 * Uses only the public API, lib/tessera.h.
 *
 *   bench_discover [-t THREADS] [-m MEMORY_MB] [-w WORKDIR] DB
 */
#include "tessera.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* First report time of each stage, relative to the start. */
typedef struct stages {
    double t0;
    double first[3];
} stages;

static void on_progress(void *ud, const char *stage, uint64_t done, uint64_t total)
{
    static const char *const names[3] = { "pairs", "align", "families" };
    stages *s = ud;
    (void)done;
    (void)total;
    for (int i = 0; i < 3; i++)
        if (!strcmp(stage, names[i]) && s->first[i] < 0) s->first[i] = now_s() - s->t0;
}

int main(int argc, char **argv)
{
    tsr_discover_opts o;
    tsr_discover_opts_default(&o);
    const char *db = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc) o.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-m") && i + 1 < argc)
            o.memory = (size_t)atoll(argv[++i]) << 20;
        else if (!strcmp(argv[i], "-w") && i + 1 < argc) o.workdir = argv[++i];
        else if (argv[i][0] != '-' && !db) db = argv[i];
        else {
            fputs("usage: bench_discover [-t THREADS] [-m MEMORY_MB] [-w WORKDIR] DB\n", stderr);
            return 2;
        }
    }
    if (!db) {
        fputs("usage: bench_discover [-t THREADS] [-m MEMORY_MB] [-w WORKDIR] DB\n", stderr);
        return 2;
    }
    tsr_error err = { 0 };
    tsr_index *ix = NULL;
    if (tsr_index_open(db, TSR_OPEN_READONLY, &ix, &err) != TSR_OK) {
        fprintf(stderr, "bench_discover: %s\n", err.message);
        return 1;
    }
    stages s = { now_s(), { -1, -1, -1 } };
    o.progress = on_progress;
    o.progress_ud = &s;
    tsr_discovery *d = NULL;
    if (tsr_discover(ix, NULL, &o, &d, &err) != TSR_OK) {
        fprintf(stderr, "bench_discover: %s\n", err.message);
        tsr_index_close(ix);
        return 1;
    }
    double total = now_s() - s.t0;
    double a = s.first[1] >= 0 ? s.first[1] : total;
    double f = s.first[2] >= 0 ? s.first[2] : total;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"documents\": %llu, \"fingerprints\": %llu, \"skipped\": %llu, "
           "\"candidate_pairs\": %llu, \"links\": %zu, \"families\": %zu, "
           "\"pairs_s\": %.3f, \"align_s\": %.3f, \"families_s\": %.3f, \"total_s\": %.3f, "
           "\"cpu_s\": %.2f, \"max_rss_kb\": %ld, \"resumed_stages\": %d, "
           "\"texts_read\": %llu, \"texts_cached\": %llu, \"texts_kept\": %llu}\n",
           (unsigned long long)d->documents, (unsigned long long)d->fingerprints,
           (unsigned long long)d->skipped, (unsigned long long)d->candidate_pairs, d->n_links,
           d->n_families, a, f - a, total - f, total,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6,
           ru.ru_maxrss, d->resumed_stages, (unsigned long long)d->texts_read,
           (unsigned long long)d->texts_cached, (unsigned long long)d->texts_kept);
    tsr_discovery_free(d);
    tsr_index_close(ix);
    return 0;
}
