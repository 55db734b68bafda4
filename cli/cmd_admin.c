/*
 * cmd_admin.c - `tessera stats` and `tessera verify`.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static const char stats_help[] =
"Usage: tessera stats [--db DIR] [--json]\n"
"\n"
"Counts of the index DIR: documents, text size, stored size, segments,\n"
"postings and their size relative to the text, commits.\n";

static const char verify_help[] =
"Usage: tessera verify [--db DIR] [--quiet]\n"
"\n"
"Check every segment file's checksum and header against the catalog, and the\n"
"catalog's own integrity.  Prints one line per file.  Exit 0 when the index is\n"
"sound, 1 when something is damaged, 4 when it cannot be opened.\n";

static const char repair_help[] =
"Usage: tessera repair [--db DIR] [--quiet]\n"
"\n"
"Rebuild the damaged or missing segment files of the index from the texts its\n"
"catalog stores: each segment is checked as verify checks it, and a bad one is\n"
"replaced by a new segment of the same documents, fingerprinted again (one\n"
"catalog transaction; a crash leaves the old state).  Prints one line per\n"
"segment.  Exit 0 when the index is sound at the end, 1 when something could\n"
"not be repaired (a damaged catalog), 4 when the index cannot be opened or\n"
"another writer holds it.  For a sharded index, repair each shard directory.\n";

static int parse_db(int argc, char **argv, const char *cmd, const char *help,
                    const char **db, int *flag)
{
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, { "json", no_argument, 0, 'j' },
        { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
    };
    int c;
    optind = 1;
    *db = cli_default_db();
    while ((c = getopt_long(argc, argv, "hqd:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': *db = optarg; break;
        case 'j': case 'q': *flag = 1; break;
        case 'h': fputs(help, stdout); return -1;
        default: return cli_option_error(cmd, argc, argv, "hqd:", opts);
        }
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return 0;
}

int cmd_stats(int argc, char **argv)
{
    const char *db;
    int json = 0;
    int r = parse_db(argc, argv, "stats", stats_help, &db, &json);
    if (r) return r < 0 ? EXIT_OK : r;
    tsr_index *ix = NULL;
    int rc = cli_open_index(db, TSR_OPEN_READONLY, &ix);
    if (rc) return rc;
    tsr_stats s;
    tsr_error e = { 0 };
    int st = tsr_index_stats(ix, &s, &e);
    tsr_index_close(ix);
    if (st) return cli_fail(cli_exit_code(st), "%s: %s", db, e.message);
    double ratio = s.text_bytes ? (double)s.postings_bytes / (double)s.text_bytes : 0;
    if (json) {
        printf("{\"documents\":%llu,\"text_bytes\":%llu,\"stored_bytes\":%llu,"
               "\"segments\":%llu,\"postings\":%llu,\"postings_bytes\":%llu,"
               "\"catalog_bytes\":%llu,\"commits\":%llu,\"ngram\":%d,\"window\":%d,"
               "\"postings_ratio\":%.4f,\"shards\":%llu}\n",
               (unsigned long long)s.documents, (unsigned long long)s.text_bytes,
               (unsigned long long)s.stored_bytes, (unsigned long long)s.segments,
               (unsigned long long)s.postings, (unsigned long long)s.postings_bytes,
               (unsigned long long)s.catalog_bytes, (unsigned long long)s.commits,
               s.ngram, s.window, ratio, (unsigned long long)s.shards);
    } else {
        printf("index        %s\n", db);
        printf("documents    %llu\n", (unsigned long long)s.documents);
        printf("text         %.1f MB\n", s.text_bytes / 1e6);
        printf("stored       %.1f MB (compressed text and catalog: %.1f MB)\n",
               s.stored_bytes / 1e6, s.catalog_bytes / 1e6);
        if (s.shards > 1)
            printf("shards       %llu (doc/index-format.md section 10)\n",
                   (unsigned long long)s.shards);
        printf("segments     %llu\n", (unsigned long long)s.segments);
        printf("postings     %llu, %.1f MB, %.2f x text\n", (unsigned long long)s.postings,
               s.postings_bytes / 1e6, ratio);
        printf("commits      %llu\n", (unsigned long long)s.commits);
        printf("fingerprints %d-word n-grams, winnowing window %d (any shared run of %d words is found)\n",
               s.ngram, s.window, s.ngram + s.window - 1);
    }
    return EXIT_OK;
}

typedef struct { int quiet, bad; } verify_ctx;

static void on_file(void *ud, const char *file, int status, const char *message)
{
    verify_ctx *v = ud;
    if (status != TSR_OK) {
        v->bad++;
        printf("DAMAGED  %s: %s\n", file, message ? message : tsr_strerror(status));
    } else if (!v->quiet) {
        printf("ok       %s\n", file);
    }
}

typedef struct { int quiet; } repair_ctx;

static void on_repair(void *ud, const char *file, int status, const char *message)
{
    const repair_ctx *v = ud;
    if (status != TSR_OK)
        printf("DAMAGED  %s: %s\n", file, message ? message : tsr_strerror(status));
    else if (strncmp(message, "rebuilt", 7) == 0)
        printf("REPAIRED %s: %s\n", file, message);
    else if (!v->quiet)
        printf("ok       %s\n", file);
}

int cmd_repair(int argc, char **argv)
{
    const char *db;
    int quiet = 0;
    int r = parse_db(argc, argv, "repair", repair_help, &db, &quiet);
    if (r) return r < 0 ? EXIT_OK : r;
    repair_ctx v = { quiet };
    size_t n = 0;
    tsr_error e = { 0 };
    int st = tsr_index_repair(db, on_repair, &v, &n, &e);
    if (st == TSR_ERR_NOTFOUND || st == TSR_ERR_LOCKED || st == TSR_ERR_INVALID ||
        st == TSR_ERR_VERSION || st == TSR_ERR_READONLY)
        return cli_fail(st == TSR_ERR_INVALID ? EXIT_USAGE : EXIT_INDEX, "%s", e.message);
    if (st != TSR_OK) {
        cli_warn("%s: not repaired: %s", db, e.message);
        return EXIT_FOUND_FAULT;
    }
    if (!quiet) printf("%s: sound (%zu segment%s rebuilt)\n", db, n, n == 1 ? "" : "s");
    return EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
    const char *db;
    int quiet = 0;
    int r = parse_db(argc, argv, "verify", verify_help, &db, &quiet);
    if (r) return r < 0 ? EXIT_OK : r;
    tsr_index *ix = NULL;
    /* open without checksumming: verify does it, file by file, and names
     * each damaged one */
    tsr_error oe = { 0 };
    int ost = tsr_index_open(db, TSR_OPEN_READONLY | TSR_OPEN_NOVERIFY, &ix, &oe);
    if (ost == TSR_ERR_FORMAT || ost == TSR_ERR_CHECKSUM || ost == TSR_ERR_CORRUPT ||
        ost == TSR_ERR_DB) {
        /* the index exists but cannot even be opened: that is damage */
        printf("DAMAGED  %s\n", oe.message);
        cli_warn("%s: damaged: %s", db, oe.message);
        return EXIT_FOUND_FAULT;
    }
    if (ost != TSR_OK) {
        int code = cli_exit_code(ost);
        return cli_fail(code == EXIT_INPUT ? EXIT_INDEX : code, "%s", oe.message);
    }
    verify_ctx v = { quiet, 0 };
    tsr_error e = { 0 };
    int st = tsr_index_verify(ix, on_file, &v, &e);
    tsr_index_close(ix);
    if (st != TSR_OK) {
        cli_warn("%s: damaged: %s", db, e.message);
        return EXIT_FOUND_FAULT;
    }
    if (!quiet) printf("%s: sound\n", db);
    return EXIT_OK;
}
