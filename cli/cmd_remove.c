/*
 * cmd_remove.c - `tessera remove`: documents leave an index by id
 * (tsr_index_remove), listed as arguments or one per line in a file.
 *
 * As rm(1): every id the index holds is removed, and an id it does not
 * hold is named on stderr and makes the exit code 3 (bad input), unless
 * --force, which takes such ids in silence.  All the removals are one
 * catalog transaction: all of them or, on an error, none.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char remove_help[] =
"Usage: tessera remove [--db DIR] [OPTIONS] ID...\n"
"       tessera remove [--db DIR] [OPTIONS] --ids-from FILE\n"
"\n"
"Remove the documents with these ids from the index DIR.  From then on checks,\n"
"discover, serve and stats no longer see them (a running serve sees the change\n"
"at its next refresh).  Their postings stay in the segment files, skipped by\n"
"every reader, until a merge rewrites those segments (after later index runs,\n"
"or now with --reclaim).  A removed id may be indexed again later.  All the\n"
"removals are one transaction: all of them or, on an error, none.\n"
"\n"
"  -d, --db DIR          the index (default $TESSERA_DB, else tessera.tsr)\n"
"      --ids-from FILE   also the ids in FILE, one per line (\"-\": stdin);\n"
"                        empty lines are skipped\n"
"  -f, --force           ids the index does not hold are no error\n"
"      --reclaim         rewrite the segments that hold removed documents (of\n"
"                        this run or earlier ones) at once, so that their\n"
"                        space comes back now\n"
"  -q, --quiet           print nothing on success\n"
"  -h, --help            this help\n"
"\n"
"Prints how many documents were removed.  Exit 0 when every id was removed,\n"
"3 when an id is not in the index (each is named; the others are removed all\n"
"the same; not with --force) or FILE cannot be read, 4 when the index cannot\n"
"be opened, is locked by another writer, or is sharded (documents cannot be\n"
"removed from a sharded index), 5 on a system error.\n";

/* Append the lines of `path` to *ids (pointers into *buf, which the caller
 * frees). */
typedef CLI_VEC(const char *) id_vec;

static int read_ids(const char *path, char **buf, id_vec *ids)
{
    size_t len = 0;
    int rc = cli_read_input(path, buf, &len);
    if (rc != EXIT_OK)
        return rc;
    char *p = *buf, *end = *buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r') e--;
        *e = 0;
        if (e > p && cli_vec_push(ids, (const char *)p))
            return cli_fail(EXIT_SYSTEM, "out of memory");
        p = nl ? nl + 1 : end;
    }
    return EXIT_OK;
}

static const char **sort_base;

static int by_id(const void *a, const void *b)
{
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const int c = strcmp(sort_base[i], sort_base[j]);
    return c ? c : (i > j) - (i < j);
}

static int by_pos(const void *a, const void *b)
{
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    return (i > j) - (i < j);
}

/* Drop the later copies of ids listed twice; the first copies keep their
 * order.  Returns the new count, or (size_t)-1 when out of memory. */
static size_t unique_ids(const char **ids, size_t n)
{
    if (n < 2) return n;
    size_t *ord = malloc(n * sizeof *ord);
    const char **copy = malloc(n * sizeof *copy);
    if (!ord || !copy) {
        free(ord);
        free(copy);
        return (size_t)-1;
    }
    for (size_t i = 0; i < n; i++) ord[i] = i;
    sort_base = ids;
    qsort(ord, n, sizeof *ord, by_id);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(ids[ord[i]], ids[ord[i - 1]]))
            ord[m++] = ord[i];
    qsort(ord, m, sizeof *ord, by_pos);
    for (size_t i = 0; i < m; i++) copy[i] = ids[ord[i]];
    memcpy(ids, copy, m * sizeof *copy);
    free(ord);
    free(copy);
    return m;
}

int cmd_remove(int argc, char **argv)
{
    enum { OPT_IDS_FROM = 2001, OPT_RECLAIM };
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, { "ids-from", required_argument, 0, OPT_IDS_FROM },
        { "force", no_argument, 0, 'f' }, { "reclaim", no_argument, 0, OPT_RECLAIM },
        { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
    };
    const char *db = cli_default_db(), *from = NULL;
    int force = 0, reclaim = 0, quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hqfd:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case OPT_IDS_FROM: from = optarg; break;
        case 'f': force = 1; break;
        case OPT_RECLAIM: reclaim = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(remove_help, stdout); return EXIT_OK;
        default: return cli_usage_error("remove", "unknown option");
        }
    }
    if (optind == argc && !from)
        return cli_usage_error("remove", "no document id given (ID... or --ids-from FILE)");

    id_vec iv = { 0 };
    char *buf = NULL;
    int rc = EXIT_OK;
    for (int i = optind; i < argc && rc == EXIT_OK; i++) {
        if (!*argv[i])
            rc = cli_usage_error("remove", "an empty document id");
        else if (cli_vec_push(&iv, (const char *)argv[i]))
            rc = cli_fail(EXIT_SYSTEM, "out of memory");
    }
    if (rc == EXIT_OK && from)
        rc = read_ids(from, &buf, &iv);
    const char **ids = iv.a;
    size_t n = iv.n;
    if (rc == EXIT_OK && (n = unique_ids(ids, n)) == (size_t)-1)
        rc = cli_fail(EXIT_SYSTEM, "out of memory");
    int *found = NULL;
    if (rc == EXIT_OK && !(found = calloc(n ? n : 1, sizeof *found)))
        rc = cli_fail(EXIT_SYSTEM, "out of memory");

    tsr_index *ix = NULL;
    if (rc == EXIT_OK)
        rc = cli_open_index(db, TSR_OPEN_WRITE, &ix);
    size_t removed = 0;
    tsr_error e = { 0 };
    if (rc == EXIT_OK) {
        const int st = tsr_index_remove(ix, ids, n, found, &removed, &e);
        /* a sharded index refuses: a property of the index, not a usage error */
        if (st != TSR_OK)
            rc = cli_fail(st == TSR_ERR_INVALID ? EXIT_INDEX : cli_exit_code(st), "%s", e.message);
    }
    if (rc == EXIT_OK && reclaim) {
        /* merge nothing together (any count of segments is fine): only
         * rewrite the segments that hold removed documents, of this run
         * or of earlier ones (a run killed before it reclaimed) */
        const int st = tsr_index_merge(ix, ~0u, &e);
        if (st != TSR_OK)
            rc = cli_fail(cli_exit_code(st), "%s: the removal is done, but reclaiming its "
                          "space failed: %s", db, e.message);
    }
    tsr_index_close(ix);
    if (rc == EXIT_OK) {
        size_t missing = 0;
        for (size_t i = 0; i < n; i++) {
            if (found[i] || force) continue;
            missing++;
            cli_warn("%s: no document with id '%s'", db, ids[i]);
        }
        if (!quiet)
            printf("removed %zu document%s%s\n", removed, removed == 1 ? "" : "s",
                   removed && !reclaim ? " (their space comes back at the next merge)" : "");
        if (missing)
            rc = EXIT_INPUT;
    }
    free(found);
    cli_vec_free(&iv);
    free(buf);
    return rc;
}
