/*
 * cmd_check.c - `tessera check`: a text against an index.
 */
#include "cli.h"
#include "atomic.h"
#include "mpi.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char check_help[] =
"Usage: tessera check [OPTIONS] --db DIR FILE|-...\n"
"\n"
"Find the passages of FILE (or standard input) that occur in the documents of\n"
"the index DIR: each passage's span in FILE and in its source (byte offsets, or\n"
"code points with --offsets chars; end exclusive), the source's id, title and\n"
"date, the similarity (and with --text, the text of both spans); the share of\n"
"FILE reused, per source and in total; passages repeated inside FILE; and\n"
"boilerplate lines (lines recurring across many indexed documents), kept apart.\n"
"The text report marks what changed in each passage: [-source words-] and\n"
"{+text words+}, as git diff --word-diff does (red and green in colour).\n"
"With several FILEs, --json writes one line per file, its name under \"file\".\n"
"\n"
"Batches: --jsonl QUERIES checks every record of a JSON Lines file of texts\n"
"({\"id\", \"text\"}, as for index) and writes one JSON line per record, in\n"
"input order, its id under \"id\" (a record that cannot be checked gets\n"
"\"error\" instead, and the exit code is 3).  Under mpirun (or srun) the ranks\n"
"share the records (rank r checks records r, r + N, ...) and rank 0 writes\n"
"-o FILE, which must then be on a file system every rank sees.\n"
"\n"
"Options:\n"
"      --db DIR           the index (default: $TESSERA_DB, else ./tessera.tsr)\n"
"      --json             JSON (doc/json.md)\n"
"      --pretty           indented JSON\n"
CLI_HELP_TEXT_OFFSETS
CLI_HELP_FIELDS
"      --html FILE        a self-contained HTML report, sources side by side\n"
"      --color=WHEN       auto (default), always, never\n"
"      --full             whole passages in the text report, not one-line\n"
"                         excerpts\n"
"      --min-words N      shortest passage, in words (default 15); a shorter\n"
"                         one, down to 2/3 of N, only alone in its pair and\n"
"                         with an E-value 10^7 times below the cut\n"
"      --min-similarity S least share of matching words, 0..1 (default 0.5)\n"
CLI_HELP_PARAPHRASE
CLI_HELP_SIGNIFICANCE("10")
"      --max-gap N        largest gap inside a passage, in words (default 50)\n"
"      --max-candidates N source documents aligned (default 64)\n"
"      --boilerplate-df N an n-gram in more than N documents is boilerplate\n"
"                         (default: 0 = automatic, max(20, documents/500))\n"
"      --allow-nul        read NUL bytes as spaces (default: refuse the text)\n"
"      --jsonl QUERIES    check each record of QUERIES (JSON Lines), see above\n"
"  -o, --output FILE      with --jsonl: where the result lines go (default:\n"
"                         standard output; written whole or not at all)\n"
"      --cache BYTES      with several FILEs, memory for source documents kept\n"
"                         ready from file to file, K/M/G suffixes (default 256M)\n"
"  -h, --help             this help\n"
"\n"
"Examples:\n"
"  tessera check --db news.tsr article.txt\n"
"  tessera check --db news.tsr --json - < article.txt\n"
"  tessera check --db news.tsr --html report.html article.txt\n"
"  mpirun -np 8 tessera check --db news.tsr --jsonl queries.jsonl -o results.jsonl\n";

const char *cli_default_db(void)
{
    const char *e = getenv("TESSERA_DB");
    return e && *e ? e : "tessera.tsr";
}

int cli_index_fail(const char *db, int status, const char *message)
{
    int code = status == TSR_ERR_NOTFOUND ? EXIT_INDEX : cli_exit_code(status);
    if (code == EXIT_INPUT) code = EXIT_INDEX;
    if (status != TSR_ERR_NOTFOUND)
        return cli_fail(code, "%s", message);
    const char *env = getenv("TESSERA_DB");
    const char *from = env && *env && !strcmp(db, env) ? " (from TESSERA_DB)"
                     : !strcmp(db, "tessera.tsr") && !(env && *env)
                         ? " (no --db given, TESSERA_DB not set)" : "";
    return cli_fail(code, "%s%s; give --db DIR or set TESSERA_DB=DIR (make one with "
                    "'tessera index --db DIR INPUT...')", message, from);
}

int cli_open_index(const char *db, unsigned flags, tsr_index **ix)
{
    tsr_error e = { 0 };
    int st = tsr_index_open(db, flags, ix, &e);
    return st == TSR_OK ? EXIT_OK : cli_index_fail(db, st, e.message);
}


/* Write the JSON of `r` (a check of `text`) to `out`, with what `co` adds:
 * the sources' texts and fields are fetched from the index for it. */
static int put_json(FILE *out, tsr_index *ix, const tsr_result *r, const char *text,
                    size_t len, int pretty, const char *const *names, const cli_out *co)
{
    if (!co->text && !co->chars && !co->fields)
        return cli_fput_result_json(out, r, pretty, names);
    const size_t n = r->n_sources;
    tsr_document **docs = calloc(n + 1, sizeof *docs);
    const char **srcs = calloc(n + 1, sizeof *srcs);
    size_t *lens = calloc(n + 1, sizeof *lens);
    char **fields = co->fields ? calloc(n + 1, sizeof *fields) : NULL;
    int rc = docs && srcs && lens && (fields || !co->fields)
                 ? EXIT_OK : cli_fail(EXIT_SYSTEM, "out of memory");
    for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
        tsr_error e = { 0 };
        const int st = tsr_index_get_docno(ix, r->sources[i].docno, &docs[i], &e);
        if (st != TSR_OK) {
            rc = cli_fail(cli_exit_code(st), "source '%s': %s",
                          r->sources[i].id ? r->sources[i].id : "?", e.message);
            break;
        }
        srcs[i] = docs[i]->text;
        lens[i] = docs[i]->text_len;
        if (fields && tsr_document_fields(docs[i], co->fields, &fields[i], NULL) != TSR_OK)
            rc = cli_fail(EXIT_SYSTEM, "out of memory");
    }
    if (rc == EXIT_OK) {
        tsr_json_opts jo = { (co->text ? TSR_JSON_TEXT : 0) | (co->chars ? TSR_JSON_CHARS : 0),
                             text, len, srcs, lens, (const char *const *)fields };
        rc = cli_fput_result_json_ex(out, r, pretty, names, &jo);
    }
    for (size_t i = 0; docs && i < n; i++) tsr_document_free(docs[i]);
    for (size_t i = 0; fields && i < n; i++) tsr_free(fields[i]);
    free(docs); free(srcs); free(lens); free(fields);
    return rc;
}

/* Check one file and print its report.  With `many`, JSON output is one
 * line per file with a "file" key in front. */
static int check_one(tsr_index *ix, const char *db, const char *path, const tsr_params *p,
                     int json, int pretty, const char *html, int rflags, int many,
                     const cli_out *co)
{
    char *text = NULL;
    size_t len = 0;
    int rc = EXIT_OK;
    tsr_error e = { 0 };
    rc = cli_read_input(path, &text, &len);
    if (rc != EXIT_OK)
        return rc;
    tsr_result *r = NULL;
    int st = tsr_index_check(ix, text, len, p, &r, &e);
    if (st != TSR_OK) {
        rc = cli_fail(cli_exit_code(st), "%s: %s", st == TSR_ERR_UTF8 || st == TSR_ERR_NUL ? path : db,
                      e.message);
        goto out;
    }
    /* source texts, for the reports */
    const char **srcs = NULL;
    size_t *lens = NULL;
    tsr_document **docs = NULL;
    if (!json || html) {
        srcs = calloc(r->n_sources + 1, sizeof *srcs);
        lens = calloc(r->n_sources + 1, sizeof *lens);
        docs = calloc(r->n_sources + 1, sizeof *docs);
        if (!srcs || !lens || !docs) { rc = cli_fail(EXIT_SYSTEM, "out of memory"); goto out2; }
        for (size_t i = 0; i < r->n_sources; i++)
            if (tsr_index_get_docno(ix, r->sources[i].docno, &docs[i], NULL) == TSR_OK) {
                srcs[i] = docs[i]->text;
                lens[i] = docs[i]->text_len;
            }
    }
    if (json) {
        const char *names[] = { "file", path, NULL };
        rc = put_json(stdout, ix, r, text, len, pretty, many ? names : NULL, co);
        if (rc != EXIT_OK) goto out2;
    } else if (!html) {
        report_input in = { path, text, len, r, srcs, lens };
        if (report_text(stdout, &in, (unsigned)rflags) != 0)
            rc = cli_fail(EXIT_SYSTEM, "writing the report failed");
        if (many) putchar('\n');
    }
    if (html) {
        report_input in = { path, text, len, r, srcs, lens };
        int hr = cli_write_html(html, &in);
        if (hr != EXIT_OK) rc = hr;
    }
out2:
    if (docs)
        for (size_t i = 0; i < r->n_sources; i++) tsr_document_free(docs[i]);
    free(docs); free(srcs); free(lens);
out:
    tsr_result_free(r);
    free(text);
    return rc;
}

/* ------------------------------------------------------------------------
 * Batches (--jsonl), on one process or the ranks of an MPI job
 * --------------------------------------------------------------------- */

/* One record's result line ({"id":...,<result>}, or {"id":...,"error":...}). */
static int check_record(FILE *out, tsr_index *ix, const tsr_docinfo *q, const tsr_params *p,
                        const cli_out *co, int *bad)
{
    tsr_result *r = NULL;
    tsr_error e = { 0 };
    const int st = tsr_index_check(ix, q->text, q->text_len, p, &r, &e);
    const char *names[] = { "id", q->id, NULL };
    if (st == TSR_OK) {
        const int rc = put_json(out, ix, r, q->text, q->text_len, 0, names, co);
        tsr_result_free(r);
        return rc;
    }
    if (cli_exit_code(st) != EXIT_INPUT)
        return cli_fail(cli_exit_code(st), "record '%s': %s", q->id, e.message);
    *bad = 1;
    fputs("{\"id\":", out);
    cli_json_string(out, q->id);
    fputs(",\"error\":", out);
    cli_json_string(out, e.message);
    fputs("}\n", out);
    return EXIT_OK;
}

/* Rank 0: the ranks' part files, line by line in turn (record i is line
 * i / N of part i mod N), into `out`. */
static int interleave(FILE *out, char **parts, int n)
{
    FILE **f = calloc((size_t)n, sizeof *f);
    if (!f) return cli_fail(EXIT_SYSTEM, "out of memory");
    int rc = EXIT_OK;
    for (int k = 0; k < n && rc == EXIT_OK; k++)
        if (!(f[k] = fopen(parts[k], "r")))
            rc = cli_fail(EXIT_SYSTEM, "%s: %s", parts[k], strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    for (int live = 1; live && rc == EXIT_OK;) {
        live = 0;
        for (int k = 0; k < n; k++) {
            const ssize_t got = getline(&line, &cap, f[k]);
            if (got < 0) break;   /* parts run out in rank order */
            live = 1;
            if (fwrite(line, 1, (size_t)got, out) != (size_t)got) {
                rc = cli_fail(EXIT_SYSTEM, "writing the results: %s", strerror(errno));
                break;
            }
        }
    }
    free(line);
    for (int k = 0; k < n; k++) if (f[k]) fclose(f[k]);
    free(f);
    return rc;
}

static int check_files(int argc, char **argv, const char *db, const tsr_params *pp, int json,
                       int pretty, const char *html, int rflags, uint64_t cache,
                       const cli_out *co);

static int check_batch(tsr_index *ix, const char *queries, const char *outpath,
                       const tsr_params *p, const cli_out *co)
{
    const int rank = cli_mpi_rank(), size = cli_mpi_size();
    if (size > 1 && (!outpath || !strcmp(outpath, "-")))
        return cli_usage_error("check", "under mpirun, --jsonl needs -o FILE on a file "
                               "system that every rank sees");
    /* alone, the lines go to OUT itself (or standard output), written
     * whole or not at all (atomic.c); several ranks write theirs to
     * OUT.part-R-of-N first, which rank 0 interleaves into OUT */
    cli_atomic out;
    memset(&out, 0, sizeof out);
    char **parts = NULL;
    FILE *mine = NULL;   /* this process's lines */
    int rc = EXIT_OK;
    if (size <= 1) {
        rc = cli_atomic_open(&out, outpath ? outpath : "-", CLI_ATOMIC_STDOUT);
        mine = out.f;
    } else {
        const size_t plen = strlen(outpath) + 32;
        if (!(parts = calloc((size_t)size, sizeof *parts)))
            rc = cli_fail(EXIT_SYSTEM, "out of memory");
        for (int k = 0; parts && k < size && rc == EXIT_OK; k++) {
            if (!(parts[k] = malloc(plen))) rc = cli_fail(EXIT_SYSTEM, "out of memory");
            else snprintf(parts[k], plen, "%s.part-%d-of-%d", outpath, k, size);
        }
        if (rc == EXIT_OK && !(mine = fopen(parts[rank], "w")))
            rc = cli_fail(EXIT_SYSTEM, "%s: %s", parts[rank], strerror(errno));
    }
    tsr_reader *rd = NULL;
    tsr_error e = { 0 };
    int bad = 0;
    if (rc == EXIT_OK) {
        tsr_reader_opts ro;
        tsr_reader_opts_default(&ro);
        ro.allow_nul = p->allow_nul;   /* NUL bytes: one rule for FILE and QUERIES */
        const int st = tsr_reader_open(queries, &ro, &rd, &e);
        if (st != TSR_OK) rc = cli_read_fail(st, e.message);
    }
    /* progress on a terminal, from rank 0 only (all ranks read alike) */
    cli_progress pg;
    cli_progress_start(&pg, "checking", rank == 0 && !(mine == stdout && isatty(STDOUT_FILENO)));
    for (uint64_t i = 0; rc == EXIT_OK; i++) {
        tsr_docinfo q;
        int eof = 0;
        const int st = tsr_reader_next(rd, &q, &eof, &e);
        const int mine_i = i % (uint64_t)size == (uint64_t)rank;
        for (const char *m; (m = tsr_reader_notice(rd)) != NULL;)
            if (rank == 0) cli_warn("%s", m);   /* a binary file of a directory, skipped */
        if (st == TSR_ERR_JSON || st == TSR_ERR_UTF8 || st == TSR_ERR_NUL ||
            st == TSR_ERR_TOOBIG) {
            /* a bad record is a line of its own; the reader goes on */
            if (mine_i) {
                fputs("{\"id\":null,\"error\":", mine);
                cli_json_string(mine, e.message);
                fputs("}\n", mine);
            }
            bad = 1;
            continue;
        }
        if (st != TSR_OK) { rc = cli_read_fail(st, e.message); break; }
        if (eof) break;
        if (mine_i)
            rc = check_record(mine, ix, &q, p, co, &bad);
        if ((i & 15) == 0)
            cli_progress_update(&pg, tsr_reader_bytes_done(rd), tsr_reader_bytes_total(rd),
                                i + 1, 0);
    }
    cli_progress_end(&pg);
    tsr_reader_close(rd);
    if (size > 1 && mine && fclose(mine) != 0 && rc == EXIT_OK)
        rc = cli_fail(EXIT_SYSTEM, "%s: %s", parts[rank], strerror(errno));
    rc = cli_mpi_max(rc);
    if (rc == EXIT_OK && size > 1 && rank == 0 &&
        (rc = cli_atomic_open(&out, outpath, 0)) == EXIT_OK)
        rc = interleave(out.f, parts, size);
    if (rc == EXIT_OK) rc = cli_atomic_commit(&out);   /* OUT whole, on rank 0 */
    else cli_atomic_abort(&out);
    rc = cli_mpi_max(rc);
    if (parts && parts[rank]) unlink(parts[rank]);
    for (int k = 0; parts && k < size; k++) free(parts[k]);
    free(parts);
    if (rc == EXIT_OK) rc = cli_mpi_max(bad ? EXIT_INPUT : EXIT_OK);
    return rc;
}

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, { "json", no_argument, 0, 'j' },
        { "pretty", no_argument, 0, 'P' }, { "html", required_argument, 0, 'H' },
        { "color", optional_argument, 0, 'C' }, { "help", no_argument, 0, 'h' },
        { "full", no_argument, 0, 'F' },
        { "cache", required_argument, 0, 'K' }, { "jsonl", required_argument, 0, 'J' },
        { "output", required_argument, 0, 'o' }, CLI_PARAM_OPTIONS, CLI_OUT_OPTIONS,
        { 0, 0, 0, 0 }
    };
    tsr_params p;
    tsr_params_default(&p);
    int json = 0, pretty = 0, color = -1, full = 0;
    cli_out co = { 0 };
    const char *html = NULL, *db = cli_default_db(), *queries = NULL, *outpath = NULL;
    uint64_t cache = (uint64_t)256 << 20;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hd:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'J': queries = optarg; break;
        case 'o': outpath = optarg; break;
        case 'j': json = 1; break;
        case 'P': json = 1; pretty = 1; break;
        case 'H': html = optarg; break;
        case 'C':
            if (cli_parse_color(optarg, &color) != 0)
                return cli_usage_error("check", "--color takes auto, always or never");
            break;
        case 'K':
            if (cli_parse_size(optarg, 0, 1ull << 44, &cache) != 0)
                return cli_usage_error("check", "--cache takes a size in bytes, e.g. 256M, "
                                       "or 0");
            break;
        case 'F': full = 1; break;
        case 'h': fputs(check_help, stdout); return EXIT_OK;
        default: {
            int r = cli_out_option(&co, c, optarg, "check", 1);
            if (r == 0) r = cli_param_option("check", &p, c, optarg);
            if (r < 0) return EXIT_USAGE;
            if (r == 0) return cli_option_error("check", argc, argv, "hd:o:", opts);
        }
        }
    }
    tsr_error e = { 0 };
    if (tsr_params_validate(&p, &e) != TSR_OK)
        return cli_usage_error("check", "%s", e.message);
    if (full && (json || html || queries))
        return cli_usage_error("check", "--full is for the text report (not with --json, "
                               "--jsonl or --html)");
    if (queries) {
        if (argc > optind || html)
            return cli_usage_error("check", "--jsonl takes no FILE and no --html");
        tsr_index *bix = NULL;
        int brc = cli_open_index(db, TSR_OPEN_READONLY, &bix);
        if (brc == EXIT_OK && tsr_index_set_cache(bix, (size_t)cache, &e) != TSR_OK)
            brc = cli_fail(EXIT_SYSTEM, "%s", e.message);
        if (brc == EXIT_OK) brc = check_batch(bix, queries, outpath, &p, &co);
        tsr_index_close(bix);
        return cli_mpi_max(brc);
    }
    if (outpath)
        return cli_usage_error("check", "-o goes with --jsonl");
    const int rflags = (cli_want_color(stdout, color) ? REPORT_COLOR : 0) |
                       (full ? REPORT_FULL : 0);
    if ((co.text || co.chars || co.fields) && !json)
        return cli_usage_error("check", "--text, --offsets and --fields go with --json or "
                               "--jsonl");
    if (cli_mpi_size() > 1) {   /* FILE arguments are not divided: rank 0 checks */
        int r0 = EXIT_OK;
        if (cli_mpi_rank() == 0) r0 = check_files(argc, argv, db, &p, json, pretty, html,
                                                  rflags, cache, &co);
        return cli_mpi_max(r0);
    }
    return check_files(argc, argv, db, &p, json, pretty, html, rflags, cache, &co);
}

static int check_files(int argc, char **argv, const char *db, const tsr_params *pp, int json,
                       int pretty, const char *html, int rflags, uint64_t cache,
                       const cli_out *co)
{
    tsr_error e = { 0 };
    const tsr_params p = *pp;
    if (argc - optind < 1)
        return cli_usage_error("check", "expected a FILE (or - for standard input)");
    if (html && argc - optind > 1)
        return cli_usage_error("check", "--html takes one FILE");
    for (int a = optind, stdin_at = 0; a < argc; a++)
        if (!strcmp(argv[a], "-") && stdin_at++)
            return cli_usage_error("check", "standard input (-) given twice");
    tsr_index *ix = NULL;
    int rc = cli_open_index(db, TSR_OPEN_READONLY, &ix);
    if (rc != EXIT_OK) return rc;
    const int many = argc - optind > 1;
    /* sources recur from file to file: keep them ready (tessera.h) */
    if (many && tsr_index_set_cache(ix, (size_t)cache, &e) != TSR_OK) {
        tsr_index_close(ix);
        return cli_fail(EXIT_SYSTEM, "%s", e.message);
    }
    for (int a = optind; a < argc; a++) {
        int r = check_one(ix, db, argv[a], &p, json, pretty, html, rflags, many, co);
        if (r != EXIT_OK) rc = r;
        if (r == EXIT_INDEX || r == EXIT_SYSTEM) break;
    }
    tsr_index_close(ix);
    return rc;
}
