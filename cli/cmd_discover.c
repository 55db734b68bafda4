/*
 * cmd_discover.c - `tessera discover`: every passage that documents of an
 * index share, grouped into reuse families.
 *
 * The command is a thin driver over tsr_discover(): it parses options,
 * opens the index read-only, keeps a work directory (by default
 * DIR/discover inside the index) where the engine keeps finished stages so
 * a killed run resumes, shows the engine's progress on a terminal, and
 * hands the discovery to the writers of discover_out.c.
 *
 * One step (INPUT given).  The inputs are indexed first, as `tessera
 * index` does (cli_index_into): into --db, else into a temporary index
 * (TSR_OPEN_SCRATCH: not synced, texts uncompressed) in a directory of
 * $TMPDIR that the run removes at its end, whatever the outcome; then the
 * writer is closed and the discovery runs on a read-only handle as
 * without INPUT.
 *
 * Incremental runs (--new).  After a run completes and its outputs are
 * written, WORKDIR/last-run.json records {"last_docno": N}, the highest
 * document number that run saw.  A later run with --new passes N to the
 * engine as new_after, so only pairs involving a document added since are
 * aligned.  The mark is written last and atomically: a run that fails or
 * is killed leaves the previous mark, so nothing is skipped next time.
 *
 * Interrupts.  The engine cannot be stopped midway, but it may be killed
 * at any moment, so SIGINT and SIGTERM remove the tmp files in flight (and
 * the temporary index) and exit at once (130); the final output names
 * never hold partial files.  While INPUT is indexed, an interrupt commits
 * what was read and ends the run (cli_index_into), as for `tessera index`;
 * one that comes after is taken by the handler above (signals blocked
 * while it is put in place, so none falls between the two).
 */
#include "cli.h"
#include "atomic.h"
#include "mpi.h"
#include "discover_out.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char discover_help[] =
"Usage: tessera discover [OPTIONS] [--db DIR] [-o FILE] [INPUT...]\n"
"\n"
"Find every passage that two documents of the index DIR share, verbatim or\n"
"reworded, and group the passages into reuse families: passages that overlap\n"
"in a shared document, linked transitively.  A family's origin is its earliest\n"
"member by date (else by document number).  The work grows with the pairs of\n"
"documents that share text, not with the square of the corpus.\n"
"\n"
"With INPUT (files, directories, JSON Lines, as `tessera index` reads them),\n"
"the documents are indexed first, in the same run: into DIR when --db names it\n"
"(created when missing, and kept for later checks and runs), else into a\n"
"temporary index in $TMPDIR (default /tmp) that is removed at the end.\n"
"\n"
"Writes one JSON object per aligned passage pair (JSON Lines, doc/json.md):\n"
"  {\"family\": F, \"a\": {\"id\", \"begin\", \"end\", ...}, \"b\": {...},\n"
"   \"similarity\": S, \"words\": [A, B], ...}\n"
"Offsets are bytes (code points with --offsets chars), end exclusive.  Families\n"
"are numbered real reuse first: those whose passage pairs are at least half\n"
"significant (E-value <= 1), by size, largest first; then the others (template\n"
"look-alikes), by size.  Files are written whole or not at all: a temporary\n"
"file beside FILE, renamed over it when complete.\n"
"\n"
"Outputs:\n"
"  -o, --output FILE      passage pairs as JSON Lines (default: standard output)\n"
"      --format FORMAT    what -o writes: pairs (the default), or passim: one\n"
"                         record per passage as passim writes its clusters\n"
"                         (uid, cluster, size, pboiler, id, begin, end, title,\n"
"                         date, series, the input fields, text; offsets in\n"
"                         code points; --fields LIST echoes those alone)\n"
"      --families FILE    one JSON line per family: size, links, origin, members\n"
"      --sqlite FILE      an SQLite database: tables documents, passages,\n"
"                         families, members, summary\n"
"      --html DIR         a browsable report: DIR/index.html and a page for each\n"
"                         of the first families\n"
CLI_HELP_TEXT_OFFSETS
"                         (--text and chars hold the texts of the documents\n"
"                         with passages in memory)\n"
CLI_HELP_FIELDS
"\n"
"Options:\n"
"      --db DIR           the index (default: $TESSERA_DB, else ./tessera.tsr)\n"
"      --workdir DIR      where finished stages are kept, so that a killed run\n"
"                         resumes (default: DIR/discover inside the index)\n"
"      --new              only reuse involving documents added since the last\n"
"                         completed run with this workdir\n"
"      --threads N        worker threads (default 0: all cores)\n"
"      --memory SIZE      memory for candidate pairs before they spill to disk,\n"
"                         then, while aligning, for documents kept tokenized\n"
"                         (half) and as stored (a quarter; an eighth more\n"
"                         with --paraphrase: their sentences), e.g. 512M, 2G\n"
"                         (default 1G)\n"
"      --min-length N     shortest passage, in words (default 15; also\n"
"                         --min-words); a shorter one, down to 2/3 of N,\n"
"                         only alone in its pair and with an E-value 10^7\n"
"                         times below the cut\n"
"      --min-similarity S least share of matching words, 0..1 (default 0.5)\n"
CLI_HELP_PARAPHRASE
CLI_HELP_SIGNIFICANCE("10")
"      --max-gap N        largest gap inside a passage, in words (default 50)\n"
"      --seed N           words per alignment seed (default 3)\n"
"      --max-df N         an n-gram in more than N documents is boilerplate and\n"
"                         makes no pairs (default 100)\n"
"      --cross-source     only pairs of documents of different series\n"
"      --same-source      only pairs of documents of one series\n"
"      --allow-nul        read NUL bytes as spaces\n"
"      --id-field NAME, --text-field NAME, --title-field NAME, --date-field NAME,\n"
"      --series-field NAME, --skip-bad\n"
"                         with INPUT: how its JSON lines are read, as for index\n"
"  -q, --quiet            no progress, no summary\n"
"  -h, --help             this help\n"
"\n"
"Examples:\n"
"  tessera discover --db news.tsr -o pairs.jsonl --families families.jsonl\n"
"  tessera discover --db news.tsr --html report --sqlite reuse.db\n"
"  tessera discover --db news.tsr --new --cross-source -o new-pairs.jsonl\n"
"  tessera discover --db news.tsr --format passim -o out.json\n"
"  tessera discover -o pairs.jsonl --families families.jsonl corpus.jsonl\n";

/* ------------------------------------------------------------------------
 * Progress on a terminal
 * --------------------------------------------------------------------- */

typedef struct dprog {
    int on, dirty;
    char stage[32];
    double t0, last;
    uint64_t done, total;
} dprog;

static dprog prog;      /* static: the signal handler ends its line */

static void human_count(char *buf, size_t n, double v)
{
    const char *u[] = { "", "k", "M", "G", "T" };
    int i = 0;

    while (v >= 1000 && i < 4) { v /= 1000; i++; }
    snprintf(buf, n, i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

static void prog_draw(dprog *pg)
{
    double el = cli_now() - pg->t0;
    double rate = el > 0 ? (double)pg->done / el : 0;
    char d[32], t[32], r[32];

    human_count(d, sizeof d, (double)pg->done);
    human_count(t, sizeof t, (double)pg->total);
    human_count(r, sizeof r, rate);
    if (pg->total > 0) {
        double frac = (double)pg->done / (double)pg->total;
        int width = 24, fill;
        char bar[32];

        if (frac > 1) frac = 1;
        fill = (int)(frac * width);
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        double eta = rate > 0 && pg->done < pg->total
                         ? (double)(pg->total - pg->done) / rate : 0;
        fprintf(stderr, "\r%-9s [%s] %3.0f%% %s/%s, %s/s, ETA %02d:%02d  ", pg->stage,
                bar, frac * 100, d, t, r, (int)(eta / 60), (int)eta % 60);
    } else {
        fprintf(stderr, "\r%-9s %s, %s/s, %02d:%02d elapsed  ", pg->stage, d, r,
                (int)(el / 60), (int)el % 60);
    }
    fflush(stderr);
    pg->dirty = 1;
}

static void prog_end(dprog *pg)
{
    if (pg->on && pg->dirty) {
        prog_draw(pg);
        fputc('\n', stderr);
    }
    pg->dirty = 0;
}

/* tsr_progress_fn: one line per stage, redrawn at most five times a second. */
static void on_progress(void *ud, const char *stage, uint64_t done, uint64_t total)
{
    dprog *pg = ud;
    double now;

    if (!pg->on)
        return;
    if (!stage)
        stage = "?";
    if (strncmp(pg->stage, stage, sizeof pg->stage - 1) != 0) {
        prog_end(pg);
        snprintf(pg->stage, sizeof pg->stage, "%s", stage);
        pg->t0 = pg->last = cli_now();
    }
    pg->done = done;
    pg->total = total;
    now = cli_now();
    if (now - pg->last < 0.2 && !(total && done >= total))
        return;
    pg->last = now;
    prog_draw(pg);
}

static void on_docs_tick(void *ud, uint64_t done, uint64_t total)
{
    on_progress(ud, "documents", done, total);
}

/* ------------------------------------------------------------------------
 * Signals
 * --------------------------------------------------------------------- */

/* The temporary index of a run with INPUT and no --db: the directory that
 * holds it, "" when there is none.  Removed at the end, and by on_signal. */
static char tmp_dir[4096];

/* Remove directory `name` (under the directory `at`) and what it holds,
 * `depth` levels of subdirectories deep, with the calls a signal handler
 * may make (open, getdents64, unlinkat, lseek, close): its names are read
 * and unlinked, again while a pass removes something (removing may move
 * names that the reading had not reached yet), at most 8 passes. */
static void rm_tree(int at, const char *name, int depth)
{
    const int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    struct ent { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; };
    _Alignas(8) char buf[4096];
    for (int removed = 1, pass = 0; removed && pass < 8; pass++) {
        removed = 0;
        long n;
        while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
            for (long off = 0; off < n;) {
                const struct ent *e = (const struct ent *)(void *)(buf + off);
                off += e->reclen;
                if (e->name[0] == '.' && (!e->name[1] || (e->name[1] == '.' && !e->name[2])))
                    continue;
                if (unlinkat(fd, e->name, 0) == 0) {
                    removed = 1;
                } else if (depth > 0 && (errno == EISDIR || errno == EPERM)) {
                    rm_tree(fd, e->name, depth - 1);
                    removed = 1;
                }
            }
        lseek(fd, 0, SEEK_SET);
    }
    close(fd);
    unlinkat(at, name, AT_REMOVEDIR);
}

static void on_signal(int sig)
{
    (void)sig;
    cli_atomic_cleanup();
    if (tmp_dir[0])
        rm_tree(AT_FDCWD, tmp_dir, 2);
    if (prog.dirty) {
        ssize_t w = write(STDERR_FILENO, "\n", 1);
        (void)w;
    }
    _exit(EXIT_INTERRUPTED);
}

/* ------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

/* Read the mark of the last completed run: *last = its last_docno, or -1
 * when there is none.  Returns EXIT_OK or an exit code (message printed). */
static int read_mark(const char *path, int64_t *last)
{
    json_error_t je;
    json_t *root, *v;

    *last = -1;
    if (access(path, F_OK) != 0)
        return errno == ENOENT ? EXIT_OK
                               : cli_fail(EXIT_SYSTEM, "%s: %s", path, strerror(errno));
    root = json_load_file(path, 0, &je);
    if (!root)
        return cli_fail(EXIT_INPUT, "%s:%d: %s (remove the file to discover all pairs "
                        "again)", path, je.line, je.text);
    v = json_object_get(root, "last_docno");
    if (!json_is_integer(v) || json_integer_value(v) < -1) {
        json_decref(root);
        return cli_fail(EXIT_INPUT, "%s: no integer \"last_docno\" (remove the file to "
                        "discover all pairs again)", path);
    }
    *last = (int64_t)json_integer_value(v);
    json_decref(root);
    return EXIT_OK;
}

static int write_mark(const char *path, int64_t last)
{
    cli_atomic mk;
    const int rc = cli_atomic_open(&mk, path, 0);
    if (rc != EXIT_OK)
        return rc;
    fprintf(mk.f, "{\"last_docno\":%lld}\n", (long long)last);
    return cli_atomic_commit(&mk);
}

/* What write_jsonl writes */
enum { OUT_PAIRS, OUT_FAMILIES, OUT_PASSIM };

static int write_which(FILE *f, int which, const tsr_discovery *d, const dsc_docs *docs)
{
    return which == OUT_FAMILIES ? dsc_write_families(f, d, docs)
         : which == OUT_PASSIM ? dsc_write_passim(f, d, docs)
         : dsc_write_links(f, d, docs);
}

/* Write the passage pairs, families or passim records (`which`) to `path`
 * ("-" or NULL: standard output). */
static int write_jsonl(const char *path, int which, const tsr_discovery *d,
                       const dsc_docs *docs)
{
    const char *what = which == OUT_FAMILIES ? "families"
                     : which == OUT_PASSIM ? "passim records" : "passage pairs";
    cli_atomic out;
    const int rc = cli_atomic_open(&out, path ? path : "-", CLI_ATOMIC_STDOUT);
    if (rc != EXIT_OK)
        return rc;
    if (write_which(out.f, which, d, docs) != 0) {
        const int e = errno;
        const int code = cli_fail(EXIT_SYSTEM, "%s: writing the %s failed: %s", out.name,
                                  what, strerror(e));
        cli_atomic_abort(&out);
        return code;
    }
    return cli_atomic_commit(&out);
}

/* The command line (the program's name, then `argv`: the command and its
 * options) as a JSON array of strings, in a new string (NULL when out of
 * memory). */
static char *argv_json(int argc, char **argv)
{
    json_t *a = json_array();
    if (a && json_array_append_new(a, json_string(cli_prog)) != 0) {
        json_decref(a);
        a = NULL;
    }
    for (int i = 0; a && i < argc; i++)
        if (json_array_append_new(a, json_string(argv[i])) != 0) {
            json_decref(a);
            a = NULL;
        }
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

static int write_sqlite(const char *path, const tsr_discovery *d, const dsc_docs *docs,
                        const dsc_param *params, size_t n_params)
{
    char msg[512] = "";
    cli_atomic db;   /* named: SQLite opens it by name */
    const int rc = cli_atomic_open(&db, path, CLI_ATOMIC_NAMED);
    if (rc != EXIT_OK)
        return rc;
    if (dsc_write_sqlite(db.tmp, d, docs, params, n_params, msg, sizeof msg) != 0) {
        cli_atomic_abort(&db);
        return cli_fail(EXIT_SYSTEM, "%s: %s", path, msg);
    }
    return cli_atomic_commit(&db);
}

/* ------------------------------------------------------------------------
 * The command
 * --------------------------------------------------------------------- */

enum {
    OPT_FAMILIES = 2001, OPT_SQLITE, OPT_HTML, OPT_THREADS, OPT_MEMORY, OPT_WORKDIR,
    OPT_NEW, OPT_MAXDF, OPT_CROSS, OPT_SAME, OPT_FORMAT
};

/* Remove the temporary index, if any. */
static void tmp_remove(void)
{
    if (tmp_dir[0])
        rm_tree(AT_FDCWD, tmp_dir, 2);
    tmp_dir[0] = 0;
}

/* Index the n inputs first (INPUT given): into *db when `db_given`, else
 * into a temporary index made here (*db set to it; tmp_dir).  Returns an
 * exit code; *ix open on EXIT_OK. */
static int index_inputs(const char **db, int db_given, char *const *inputs, int n,
                        tsr_reader_opts *ro, const tsr_params *p, int quiet, tsr_index **ix)
{
    static char tmp_db[sizeof tmp_dir + 8];
    if (!db_given) {
        const char *t = getenv("TMPDIR");
        if (!t || !*t)
            t = "/tmp";
        if ((size_t)snprintf(tmp_dir, sizeof tmp_dir, "%s/tessera-discover-XXXXXX", t) >=
            sizeof tmp_dir) {
            tmp_dir[0] = 0;
            return cli_fail(EXIT_SYSTEM, "TMPDIR is too long");
        }
        if (!mkdtemp(tmp_dir)) {
            const int e = errno;
            tmp_dir[0] = 0;
            return cli_fail(EXIT_SYSTEM, "cannot make a temporary index in %s: %s (set "
                            "TMPDIR, or name an index with --db)", t, strerror(e));
        }
        snprintf(tmp_db, sizeof tmp_db, "%s/index", tmp_dir);
        *db = tmp_db;
    }
    ro->allow_nul = p->allow_nul;
    /* a temporary index need not survive a crash: nothing is synced */
    int rc = cli_index_into(*db, inputs, n, ro, 256, db_given ? 0 : TSR_OPEN_SCRATCH, quiet, ix);
    if (rc == EXIT_OK && !*ix)
        rc = cli_fail(EXIT_INPUT, "nothing was indexed: no documents to discover");
    /* the discovery on a handle of its own, read-only, as without INPUT:
     * the writer's memory (its batch arenas, its helpers) goes with it
     * (peak RSS at 100,000 documents: 0.41 -> 0.30 GiB) */
    if (rc == EXIT_OK) {
        tsr_index_close(*ix);
        *ix = NULL;
        rc = cli_open_index(*db, TSR_OPEN_READONLY, ix);
    }
    if (rc != EXIT_OK)
        tmp_remove();
    return rc;
}

int cmd_discover(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, { "output", required_argument, 0, 'o' },
        { "families", required_argument, 0, OPT_FAMILIES },
        { "sqlite", required_argument, 0, OPT_SQLITE },
        { "html", required_argument, 0, OPT_HTML },
        { "threads", required_argument, 0, OPT_THREADS },
        { "memory", required_argument, 0, OPT_MEMORY },
        { "workdir", required_argument, 0, OPT_WORKDIR },
        { "new", no_argument, 0, OPT_NEW },
        { "min-length", required_argument, 0, 1001 },
        { "max-df", required_argument, 0, OPT_MAXDF },
        { "cross-source", no_argument, 0, OPT_CROSS },
        { "same-source", no_argument, 0, OPT_SAME },
        { "format", required_argument, 0, OPT_FORMAT },
        { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' },
        CLI_PARAM_OPTIONS, CLI_OUT_OPTIONS, CLI_READER_OPTIONS, { 0, 0, 0, 0 }
    };
    tsr_params p;
    tsr_discover_opts o;
    cli_out co = { 0 };
    const char *db = cli_default_db(), *out = NULL, *families = NULL, *sqlite = NULL;
    const char *html = NULL, *workdir = NULL;
    int quiet = 0, only_new = 0, passim = 0, offsets_bytes = 0, db_given = 0, c;
    tsr_reader_opts ro;   /* how INPUT is read */
    tsr_reader_opts_default(&ro);

    tsr_params_default(&p);
    tsr_discover_opts_default(&o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "hqd:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; db_given = 1; break;
        case 'o': out = optarg; break;
        case OPT_FAMILIES: families = optarg; break;
        case OPT_SQLITE: sqlite = optarg; break;
        case OPT_HTML: html = optarg; break;
        case OPT_WORKDIR: workdir = optarg; break;
        case OPT_NEW: only_new = 1; break;
        case OPT_THREADS:
            if (cli_parse_int(optarg, 0, 4096, &o.threads) != 0)
                return cli_usage_error("discover", "--threads takes 0..4096 (0: all cores)");
            break;
        case OPT_MEMORY: {
            uint64_t bytes;
            if (cli_parse_size(optarg, 65536, SIZE_MAX / 2, &bytes) != 0)
                return cli_usage_error("discover", "--memory takes a size of at least 64K, "
                                       "e.g. 512M or 2G, not '%s'", optarg);
            o.memory = (size_t)bytes;
            break;
        }
        case OPT_MAXDF:
            if (cli_parse_int(optarg, 0, 2000000000, &o.max_df) != 0)
                return cli_usage_error("discover", "--max-df takes a number of documents "
                                       "(0: automatic)");
            break;
        case OPT_CROSS:
        case OPT_SAME: {
            int want = c == OPT_CROSS ? -1 : 1;
            if (o.series && o.series != want)
                return cli_usage_error("discover", "--cross-source and --same-source "
                                       "exclude each other");
            o.series = want;
            break;
        }
        case OPT_FORMAT:
            if (!strcmp(optarg, "passim")) passim = 1;
            else if (!strcmp(optarg, "pairs")) passim = 0;
            else
                return cli_usage_error("discover", "--format takes pairs or passim, not "
                                       "'%s'", optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(discover_help, stdout); return EXIT_OK;
        case 1005: case 1006:
            return cli_usage_error("discover", "--max-candidates and --boilerplate-df are "
                                   "for check; discover takes --max-df");
        default: {
            int r = cli_out_option(&co, c, optarg, "discover", 1);
            if (r > 0 && c == 1102)     /* --offsets: passim's are chars */
                offsets_bytes = !co.chars;
            if (r == 0) r = cli_param_option("discover", &p, c, optarg);
            if (r == 0) r = cli_reader_option(&ro, c, optarg);
            if (r < 0) return EXIT_USAGE;
            if (r == 0) return cli_option_error("discover", argc, argv, "hqd:o:", opts);
        }
        }
    }
    const int ninputs = argc - optind;
    if (ninputs && cli_mpi_size() > 1)
        return cli_usage_error("discover", "INPUT cannot be given under mpirun: index it "
                               "first (tessera index under mpirun), then discover the index");
    if (ninputs && only_new && !db_given)
        return cli_usage_error("discover", "--new with INPUT needs the index kept between "
                               "runs: name it with --db");
    if (passim && offsets_bytes)
        return cli_usage_error("discover", "--format passim writes offsets in characters "
                               "(code points), as passim does; --offsets bytes cannot "
                               "apply to it");
    tsr_error e = { 0 };
    if (tsr_params_validate(&p, &e) != TSR_OK)
        return cli_usage_error("discover", "%s", e.message);

    tsr_index *ix = NULL;
    int rc = ninputs ? index_inputs(&db, db_given, argv + optind, ninputs, &ro, &p, quiet, &ix)
                     : cli_open_index(db, TSR_OPEN_READONLY, &ix);
    if (rc != EXIT_OK)
        return rc;

    /* the handler of the discovery, in place of the indexing's; an
     * interrupt the indexing's took after it had finished ends the run */
    sigset_t stop, was;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &was);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    const int late = ninputs && cli_index_interrupted();
    pthread_sigmask(SIG_SETMASK, &was, NULL);
    if (late) {
        tsr_index_close(ix);
        tmp_remove();
        return EXIT_INTERRUPTED;
    }

    char *wd = workdir ? strdup(workdir) : cli_path_join(db, "discover");
    char *mark = wd ? cli_path_join(wd, "last-run.json") : NULL;
    tsr_discovery *d = NULL;
    dsc_docs docs = { 0 };
    int64_t last = -1;
    double t0 = cli_now();

    if (!wd || !mark) {
        rc = cli_fail(EXIT_SYSTEM, "out of memory");
        goto done;
    }
    if (mkdir(wd, 0777) != 0 && errno != EEXIST) {
        rc = cli_fail(EXIT_SYSTEM, "%s: cannot create the work directory: %s%s", wd,
                      strerror(errno), workdir ? "" : " (choose one with --workdir)");
        goto done;
    }
    if (only_new) {
        if ((rc = read_mark(mark, &last)) != EXIT_OK)
            goto done;
        if (last < 0 && !quiet)
            cli_warn("--new: no completed run recorded in %s; discovering all pairs", wd);
    }

    memset(&prog, 0, sizeof prog);
    prog.on = !quiet && isatty(STDERR_FILENO) && cli_mpi_rank() == 0;
    o.workdir = wd;
    o.scratch = tmp_dir[0] != 0 && !workdir;   /* the temporary index's: removed with it */
    /* under mpirun: the ranks share the run; rank 0 writes the outputs */
    o.comm = cli_mpi_size() > 1 ? cli_mpi_comm() : NULL;
    o.new_after = only_new ? last : -1;
    o.progress = on_progress;
    o.progress_ud = &prog;

    int st = tsr_discover(ix, &p, &o, &d, &e);
    if (st != TSR_OK) {
        prog_end(&prog);
        rc = cli_fail(cli_exit_code(st), "%s: %s", db, e.message);
        /* the other ranks may wait for this one in an exchange: end the job
         * (no output was written; the work directory keeps finished stages) */
        cli_mpi_abort(rc);
        goto done;
    }
    if (o.comm && cli_mpi_rank() != 0) {   /* rank 0 has the result */
        cli_mpi_sum(cli_mpi_bytes_sent());
        rc = cli_mpi_max(EXIT_OK);
        goto done;
    }
    /* passim records need every text, its code points and the input fields
     * (all, unless --fields names some); the other outputs keep to what
     * --text, --offsets and --fields ask */
    st = dsc_docs_load_ex(&docs, ix, d, co.text || passim, co.chars || passim,
                          co.fields ? co.fields : passim ? "all" : NULL, on_docs_tick,
                          &prog, &e);
    docs.text = co.text;
    docs.chars = co.chars;
    docs.fields = co.fields != NULL;
    prog_end(&prog);
    if (st != TSR_OK) {
        rc = cli_fail(cli_exit_code(st), "%s: %s", db, e.message);
        goto done;
    }

    /* outputs, then the mark: a failed output keeps the previous mark */
    rc = write_jsonl(out, passim ? OUT_PASSIM : OUT_PAIRS, d, &docs);
    if (rc == EXIT_OK && families)
        rc = write_jsonl(families, OUT_FAMILIES, d, &docs);
    if (rc == EXIT_OK && sqlite) {
        /* the run's parameters, in the summary: what made these results */
        tsr_stats ist;
        memset(&ist, 0, sizeof ist);
        if (tsr_index_stats(ix, &ist, &e) != TSR_OK) {
            rc = cli_fail(cli_exit_code(e.code), "%s: %s", db, e.message);
            goto done;
        }
        char *cmdline = argv_json(argc, argv);
        const dsc_param params[] = {
            { "command", 's', 0, 0, cmdline }, { "index", 's', 0, 0, db },
            { "ngram", 'i', ist.ngram, 0, NULL }, { "window", 'i', ist.window, 0, NULL },
            { "seed", 'i', p.seed, 0, NULL }, { "max_gap", 'i', p.max_gap, 0, NULL },
            { "min_words", 'i', p.min_words, 0, NULL },
            { "min_similarity", 'r', 0, p.min_similarity, NULL },
            { "max_evalue", 'r', 0, p.max_evalue, NULL },
            { "min_shared", 'i', p.min_shared, 0, NULL },
            { "allow_nul", 'i', p.allow_nul, 0, NULL },
            { "max_df", 'i', o.max_df, 0, NULL },
            { "series", 's', 0, 0, o.series > 0 ? "same" : o.series < 0 ? "cross" : "all" },
            { "new_after", 'i', o.new_after, 0, NULL },
            { "threads", 'i', o.threads, 0, NULL },
            { "offsets", 's', 0, 0, co.chars ? "chars" : "bytes" },
            { "text", 'i', co.text, 0, NULL }, { "fields", 's', 0, 0, co.fields },
        };
        rc = cmdline ? write_sqlite(sqlite, d, &docs, params, sizeof params / sizeof *params)
                     : cli_fail(EXIT_SYSTEM, "out of memory");
        free(cmdline);
    }
    if (rc == EXIT_OK && html)
        rc = dsc_write_html(html, ix, d, &docs);
    if (rc == EXIT_OK && !tmp_dir[0])   /* (a temporary index has no next run) */
        rc = write_mark(mark, d->last_docno);

    if (rc == EXIT_OK && !quiet)
        fprintf(stderr, "%s: discover: %llu documents, %llu document pairs aligned, %zu "
                "passage pairs in %zu famil%s (%zu passages, %zu documents); %llu "
                "boilerplate fingerprints skipped; %s%.1f s\n", cli_prog,
                (unsigned long long)d->documents, (unsigned long long)d->candidate_pairs,
                d->n_links, d->n_families, d->n_families == 1 ? "y" : "ies", d->n_members, docs.n,
                (unsigned long long)d->skipped,
                d->resumed_stages ? "resumed from the work directory; " : "",
                cli_now() - t0);
    if (o.comm) {
        const uint64_t sent = cli_mpi_sum(cli_mpi_bytes_sent());
        if (rc == EXIT_OK && !quiet)
            fprintf(stderr, "%s: %d ranks, %llu bytes exchanged between them (%.1f per "
                    "document, %.1f per document pair aligned)\n", cli_prog, cli_mpi_size(),
                    (unsigned long long)sent, d->documents ? (double)sent / d->documents : 0.0,
                    d->candidate_pairs ? (double)sent / d->candidate_pairs : 0.0);
        rc = cli_mpi_max(rc);   /* every rank exits with rank 0's outcome */
    }
done:
    dsc_docs_free(&docs);
    tsr_discovery_free(d);
    tsr_index_close(ix);
    tmp_remove();
    free(mark);
    free(wd);
    return rc;
}
