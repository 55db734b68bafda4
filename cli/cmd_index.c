/*
 * cmd_index.c - `tessera index`: add documents to an index.
 */
#include "cli.h"
#include "feed.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char index_help[] =
"Usage: tessera index [OPTIONS] --db DIR INPUT...\n"
"\n"
"Add documents to the index DIR (created when missing).  INPUT is a text file\n"
"(one document; its path is its id), a directory (read recursively), a JSON\n"
"Lines file (.jsonl, .ndjson, .json: one {\"id\", \"text\", ...} object per line;\n"
"passim's {\"id\", \"series\", \"text\"} works as is), any of them compressed\n"
"(.gz, .zst), or - for standard input.\n"
"\n"
"Documents are committed in batches: a crash or a kill leaves the index as of\n"
"the last completed commit.  A document whose id is already indexed is skipped\n"
"and reported: the index keeps the first document with an id.\n"
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
"      --batch-mb N        commit after every N MB of text (default 256)\n"
"  -q, --quiet             no progress bar, no summary\n"
"  -h, --help              this help\n"
"\n"
"Examples:\n"
"  tessera index --db news.tsr news.jsonl.gz\n"
"  tessera index --db docs.tsr /usr/share/common-licenses\n";

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { (void)sig; interrupted = 1; }

int cmd_index(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, { "id-field", required_argument, 0, 'i' },
        { "text-field", required_argument, 0, 't' }, { "title-field", required_argument, 0, 'T' },
        { "date-field", required_argument, 0, 'D' }, { "series-field", required_argument, 0, 'S' },
        { "skip-bad", no_argument, 0, 'k' }, { "batch-mb", required_argument, 0, 'b' },
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
        case 'i': ro.id_field = optarg; break;
        case 't': ro.text_field = optarg; break;
        case 'T': ro.title_field = optarg; break;
        case 'D': ro.date_field = optarg; break;
        case 'S': ro.series_field = optarg; break;
        case 'k': ro.skip_bad = 1; break;
        case 'b': {
            char *end;
            batch_mb = strtol(optarg, &end, 10);
            if (*end || batch_mb < 1 || batch_mb > 1 << 20)
                return cli_usage_error("index", "--batch-mb takes 1..1048576");
            break;
        }
        case 'q': quiet = 1; break;
        case 'h': fputs(index_help, stdout); return EXIT_OK;
        default: return cli_usage_error("index", "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("index", "no INPUT given");

    tsr_index *ix = NULL;
    int rc = cli_open_index(db, TSR_OPEN_CREATE, &ix);
    if (rc != EXIT_OK) return rc;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    tsr_error e = { 0 };
    uint64_t added = 0, dups = 0, skipped = 0, batch_bytes = 0, total_bytes = 0;
    uint64_t committed = 0;
    const uint64_t batch_limit = (uint64_t)batch_mb << 20;
    cli_progress pg;
    cli_progress_start(&pg, "indexing", !quiet);
    double t0 = cli_now();

    cli_feed *feed = NULL;
    if (cli_feed_start(&feed, argv + optind, argc - optind, &ro, -1) != 0) {
        tsr_index_close(ix);
        return cli_fail(EXIT_SYSTEM, "cannot start the reader thread");
    }
    cli_batch *bt = NULL;
    int got = 0;
    int *status = malloc(CLI_FEED_BATCH_DOCS * sizeof *status);
    tsr_error *errs = malloc(CLI_FEED_BATCH_DOCS * sizeof *errs);
    if (!status || !errs) {
        free(status); free(errs);
        cli_feed_stop(feed);
        tsr_index_close(ix);
        return cli_fail(EXIT_SYSTEM, "out of memory");
    }
    while (rc == EXIT_OK && !interrupted && (got = cli_feed_next(feed, &bt)) == 1) {
        const char *input = argv[optind + cli_batch_input(bt)];
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
            int st = tsr_index_add_batch(ix, cli_batch_doc(bt, lo), hi - lo, 0, status, errs, &e);
            if (st != TSR_OK) {
                rc = cli_fail(cli_exit_code(st), "%s: %s", db, e.message);
                break;
            }
            for (size_t i = lo; i < hi && rc == EXIT_OK; i++) {
                const tsr_docinfo *doc = cli_batch_doc(bt, i);
                st = status[i - lo];
                if (st == TSR_ERR_DUPLICATE) {
                    if (dups < 5) {
                        cli_progress_end(&pg);
                        cli_warn("duplicate id '%s' skipped (the index keeps the first)", doc->id);
                    }
                    dups++;
                    continue;
                }
                if (st != TSR_OK && ro.skip_bad &&
                    (st == TSR_ERR_UTF8 || st == TSR_ERR_NUL || st == TSR_ERR_TOOBIG)) {
                    skipped++;
                    continue;
                }
                if (st != TSR_OK) {
                    rc = cli_fail(cli_exit_code(st), "%s: document '%s': %s", input, doc->id,
                                  errs[i - lo].message);
                    break;
                }
                added++;
                batch_bytes += doc->text_len;
                total_bytes += doc->text_len;
            }
            if (rc == EXIT_OK && batch_bytes >= batch_limit) {
                st = tsr_index_commit(ix, &e);
                if (st != TSR_OK) rc = cli_fail(cli_exit_code(st), "%s: %s", db, e.message);
                else { committed = added; batch_bytes = 0; }
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
        cli_progress_update(&pg, done, total, added, 0);
    }
    if (rc == EXIT_OK && !interrupted && got < 0)
        rc = cli_feed_fail(feed);
    for (int a = optind; a < argc; a++) {
        const char *last = NULL;
        uint64_t sk = cli_feed_skipped(feed, a - optind, &last);
        skipped += sk;
        if (sk && !quiet)
            cli_warn("%s: skipped %llu bad records; last: %s", argv[a],
                     (unsigned long long)sk, last ? last : "?");
    }
    cli_feed_stop(feed);
    free(status);
    free(errs);
    cli_progress_end(&pg);
    if (rc == EXIT_OK) {
        /* a clean end, or an interrupt: commit what was read */
        int st = tsr_index_commit(ix, &e);
        if (st != TSR_OK) rc = cli_fail(cli_exit_code(st), "%s: %s", db, e.message);
        else committed = added;
    } else if (committed < added) {
        cli_warn("%llu documents of the failed batch were not added; the index is as of "
                 "its last commit (%llu documents added by this run)",
                 (unsigned long long)(added - committed), (unsigned long long)committed);
    }
    double el = cli_now() - t0;
    if (!quiet)
        fprintf(stderr, "%s: %s: added %llu documents (%.1f MB) in %.1f s, %.1f MB/s; "
                "%llu duplicate ids skipped; %llu bad records skipped\n", cli_prog, db,
                (unsigned long long)committed, total_bytes / 1e6, el,
                el > 0 ? total_bytes / 1e6 / el : 0.0, (unsigned long long)dups,
                (unsigned long long)skipped);
    tsr_index_close(ix);
    if (rc == EXIT_OK && interrupted) rc = EXIT_INTERRUPTED;
    return rc;
}
