/*
 * cli.h - what the tessera command's files share.  The CLI uses only the
 * public API, lib/tessera.h.
 */
#ifndef TSR_CLI_H
#define TSR_CLI_H

#include <stdio.h>
#include <stddef.h>
#include "tessera.h"

/* Exit codes (documented in doc/tessera.1 and README). */
enum {
    EXIT_OK = 0,
    EXIT_FOUND_FAULT = 1, /* verify: the index is damaged */
    EXIT_USAGE = 2,       /* bad command line */
    EXIT_INPUT = 3,       /* bad input: missing file, a directory as FILE, bad UTF-8,
                             malformed JSON */
    EXIT_INDEX = 4,       /* index missing, corrupt, locked, wrong version */
    EXIT_SYSTEM = 5,      /* I/O error, out of memory */
    EXIT_INTERRUPTED = 130
};

extern const char *cli_prog;
/* The arguments as main got them (for cli_exec_full). */
extern char **cli_argv;
/* Run tessera-full with `argv` in place of this program (full.c): the
 * program built without the server and Open MPI hands it `why` (a serve,
 * an MPI run).  Returns only on failure, with the exit code, having said
 * why. */
int cli_exec_full(char **argv, const char *why);

void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "tessera: <msg>" and return the exit code for status `rc`. */
int cli_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit code for a library status. */
int cli_exit_code(int status);
/* Print a usage hint for `cmd` to stderr and return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Of `names`, the one nearest to `word` (fewest edits: a letter added,
 * dropped, changed, or two swapped), when at most a third of `word` differs;
 * else NULL.  For "did you mean" hints. */
const char *cli_nearest(const char *word, const char *const *names, size_t n);
/* After getopt_long (with opterr 0) returned '?': print one line, "tessera
 * CMD: unknown option '--min-wrods'; did you mean '--min-words'?" (or the
 * option that needs a value, takes none, or is ambiguous) and return
 * EXIT_USAGE.  `shortopts` and `opts` are what getopt_long was given. */
struct option;
int cli_option_error(const char *cmd, int argc, char **argv, const char *shortopts,
                     const struct option *opts);

/* Read a whole file ("-" = stdin) into a NUL-terminated buffer. Returns
 * 0 or -1 with errno set (EISDIR for a directory). */
int cli_read_file(const char *path, char **buf, size_t *len);
/* The exit code of a failure to read an input file with errno `e`:
 * EXIT_INPUT when the name is wrong (no such file, a directory, a file
 * where a directory should be), else EXIT_SYSTEM. */
int cli_errno_exit(int e);
/* cli_read_file() that reports a failure: prints "tessera: PATH: reason"
 * and returns cli_errno_exit(errno); else EXIT_OK.  A directory (errno
 * EISDIR from cli_read_file) is bad input, exit 3. */
int cli_read_input(const char *path, char **buf, size_t *len);
/* Report an error met reading documents (`status` from the reader, with its
 * message, which names the file and line) and return its exit code: a
 * reading error is about the input whatever the status says (a truncated
 * .gz is TSR_ERR_FORMAT, as a bad segment would be), so EXIT_INPUT, but
 * EXIT_SYSTEM when out of memory. */
int cli_read_fail(int status, const char *message);

/* "DIR/NAME" in a new string (free it), or NULL when out of memory. */
char *cli_path_join(const char *dir, const char *name);

/* Parse a decimal integer in [lo, hi] (nothing else in `arg`) into *out.
 * Returns 0, or -1 when `arg` is not one (nothing printed). */
int cli_parse_int(const char *arg, long lo, long hi, int *out);
/* Parse a size in bytes in [lo, hi]: a number, possibly fractional, with an
 * optional K, M, G or T (powers of 1024, "Ki" alike) and an optional B:
 * "65536", "512M", "1.5g", "2GiB".  Returns 0, or -1 (nothing printed). */
int cli_parse_size(const char *arg, uint64_t lo, uint64_t hi, uint64_t *out);

/* Common alignment options of command `cmd`; returns 1 if `opt` was one of
 * them, 0 if not, -1 on a bad value (message printed: the option and its
 * range). */
int cli_param_option(const char *cmd, tsr_params *p, int opt, const char *arg);

/* How JSON lines are read (index, dedup, discover INPUT): the options, to
 * put in a getopt_long table, and their parsing into `ro`; returns 1 if
 * `opt` was one of them, else 0. */
#define CLI_READER_OPTIONS                                        \
    { "id-field", required_argument, 0, 1201 },                   \
    { "text-field", required_argument, 0, 1202 },                 \
    { "title-field", required_argument, 0, 1203 },                \
    { "date-field", required_argument, 0, 1204 },                 \
    { "series-field", required_argument, 0, 1205 },               \
    { "skip-bad", no_argument, 0, 1206 }
int cli_reader_option(tsr_reader_opts *ro, int opt, const char *arg);

/* The value of --color[=WHEN] (`arg` NULL when absent, meaning always):
 * *mode = 1 always, 0 never, -1 auto.  Returns 0, or -1 for another WHEN
 * (nothing printed). */
int cli_parse_color(const char *arg, int *mode);
/* Whether to use colour on `f` given the --color mode (1, 0, -1 = auto:
 * a terminal, unless NO_COLOR is set or TERM is dumb). */
int cli_want_color(FILE *f, int mode);

/* Write the HTML report of `in` (report.h) to the file `path`, whole or
 * not at all (atomic.h).  Returns EXIT_OK, or prints "tessera: PATH:
 * reason" and returns EXIT_SYSTEM. */
struct report_input;
int cli_write_html(const char *path, const struct report_input *in);

/* The index named by $TESSERA_DB, else "tessera.tsr". */
const char *cli_default_db(void);
/* Report a failure to open the index `db` (`status`, `message` from the
 * library) and return its exit code (EXIT_INDEX, or EXIT_SYSTEM...); when
 * there is no index there, the message says how to name one (--db,
 * TESSERA_DB) and whether `db` came from TESSERA_DB or the default. */
int cli_index_fail(const char *db, int status, const char *message);
/* Open an index; prints the error and returns an exit code on failure. */
int cli_open_index(const char *db, unsigned flags, tsr_index **ix);
/* `tessera index` of inputs[0, ninputs) into db (cmd_index.c): db opened
 * for writing (created when missing; `flags` or'ed into TSR_OPEN_CREATE:
 * TSR_OPEN_SCRATCH for a temporary index), the documents added and committed
 * every batch_mb MB, the summary printed unless `quiet`.  Returns EXIT_OK
 * and the open index in *ix (NULL when the run created db, added nothing
 * and removed it again), or an exit code, the error printed, *ix NULL.  An
 * interrupt (SIGINT, SIGTERM) commits what was read and returns
 * EXIT_INTERRUPTED. */
int cli_index_into(const char *db, char *const *inputs, int ninputs, const tsr_reader_opts *ro,
                   long batch_mb, unsigned flags, int quiet, tsr_index **ix);
/* Whether cli_index_into's handler has taken SIGINT or SIGTERM. */
int cli_index_interrupted(void);

/* Write `s` as a JSON string (quoted, escaped) to `f`. */
void cli_json_string(FILE *f, const char *s);
/* The same for the `n` bytes at `s` (a NUL byte is "\u0000"). */
void cli_json_string_n(FILE *f, const char *s, size_t n);
/* Print the JSON of `r` (doc/json.md) on stdout: a document, indented when
 * `pretty`; or, when `names` has a pair, one line (never indented) with string
 * fields in front, from the pairs names[0]: names[1], names[2]: names[3],
 * ... up to a NULL name.  Returns EXIT_OK, or EXIT_SYSTEM when out of
 * memory (message printed). */
int cli_put_result_json(const tsr_result *r, int pretty, const char *const *names);
/* The same, to `out`. */
int cli_fput_result_json(FILE *out, const tsr_result *r, int pretty, const char *const *names);

/* ------------------------------------------------------------------------
 * What the outputs add (output.c): --text, --offsets, --fields, shared by
 * align, check and discover
 * --------------------------------------------------------------------- */
typedef struct cli_out {
    int text;            /* --text: each passage's text on both sides */
    int chars;           /* --offsets chars: offsets in code points, not bytes */
    const char *fields;  /* --fields LIST or "all": input fields echoed, or NULL */
} cli_out;

#define CLI_OUT_OPTIONS                                           \
    { "text", no_argument, 0, 1101 },                             \
    { "offsets", required_argument, 0, 1102 },                    \
    { "fields", required_argument, 0, 1103 }

/* The help of --text and --offsets (and of --fields, for the commands
 * with an index) */
#define CLI_HELP_TEXT_OFFSETS                                                       \
    "      --text             each passage's text too, on both sides (JSON)\n"      \
    "      --offsets UNIT     offsets in bytes (default) or chars (Unicode code\n"  \
    "                         points, as Python's str slices and PAN count)\n"
#define CLI_HELP_FIELDS                                                             \
    "      --fields LIST      echo these fields of each document as indexed\n"      \
    "                         (e.g. url,title; all: every extra field) under\n"     \
    "                         \"fields\"\n"

/* Handle option `opt` of CLI_OUT_OPTIONS for command `cmd`: 1 if it was one
 * (fields only when `with_fields`), 0 if not, -1 on a bad value (usage
 * message printed). */
int cli_out_option(cli_out *o, int opt, const char *arg, const char *cmd, int with_fields);
/* Write the JSON of `r` as cli_fput_result_json does, with what `jo` adds
 * (tsr_result_json_ex; its PRETTY flag is set from `pretty`). */
int cli_fput_result_json_ex(FILE *out, const tsr_result *r, int pretty,
                            const char *const *names, tsr_json_opts *jo);

/* Growable arrays of the CLI (lib/common's are not API, the CLI sees only
 * tessera.h):  CLI_VEC(int) v = {0};  cli_vec_push(&v, x);  cli_vec_free(&v).
 * cli_vec_reserve and cli_vec_push are 0, or -1 when out of memory (the
 * array is left as it was). */
#define CLI_VEC(type) struct { type *a; size_t n, cap; }
int cli_vec_grow(void **a, size_t *cap, size_t need, size_t elsize);
#define cli_vec_reserve(v, extra) \
    cli_vec_grow((void **)&(v)->a, &(v)->cap, (v)->n + (extra), sizeof *(v)->a)
#define cli_vec_push(v, x) (cli_vec_reserve((v), 1) ? -1 : ((v)->a[(v)->n++] = (x), 0))
#define cli_vec_free(v) do { free((v)->a); (v)->a = NULL; (v)->n = (v)->cap = 0; } while (0)

/* Commands */
int cmd_align(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_dedup(int argc, char **argv);
int cmd_discover(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_repair(int argc, char **argv);

/* Progress on a terminal (stderr); silent when stderr is not a TTY or
 * when disabled. */
typedef struct cli_progress {
    int enabled;
    double t0, last;
    const char *what;
} cli_progress;
void cli_progress_start(cli_progress *pg, const char *what, int enabled);
/* done/total in bytes (total 0 = unknown), items = documents so far */
void cli_progress_update(cli_progress *pg, uint64_t done, uint64_t total, uint64_t items, int force);
void cli_progress_end(cli_progress *pg);
double cli_now(void);

/* The help of --max-evalue and --no-significance (align, check, discover),
 * with the command's default (a string) */
#define CLI_HELP_SIGNIFICANCE(dflt)                                                 \
    "      --max-evalue E     report a passage only when fewer than E passages as\n" \
    "                         strong are expected by chance in the search (its\n"    \
    "                         E-value, from the corpus's n-gram frequencies and\n"   \
    "                         the figures the two sides do not share: template\n"    \
    "                         look-alikes fail it); default " dflt "\n"              \
    "      --no-significance  no E-value cut (same as --max-evalue 0): every\n"  \
    "                         passage the aligner finds, E-value reported\n"

/* The help of --paraphrase (check, discover, serve) */
#define CLI_HELP_PARAPHRASE                                                         \
    "      --paraphrase       also run align's sentence stage on every candidate\n"  \
    "                         (reworded reuse; about 2x the time, BENCHMARKS.md)\n"

/* Long options shared by align, check, discover and serve (align alone
 * has --no-paraphrase: the sentence stage is on in align by default, off
 * elsewhere unless --paraphrase) */
#define CLI_PARAM_OPTIONS                                         \
    { "min-words", required_argument, 0, 1001 },                  \
    { "min-similarity", required_argument, 0, 1002 },             \
    { "max-gap", required_argument, 0, 1003 },                    \
    { "seed", required_argument, 0, 1004 },                       \
    { "max-candidates", required_argument, 0, 1005 },             \
    { "boilerplate-df", required_argument, 0, 1006 },             \
    { "allow-nul", no_argument, 0, 1007 },                        \
    { "max-evalue", required_argument, 0, 1008 },                 \
    { "no-significance", no_argument, 0, 1009 },                 \
    { "paraphrase", no_argument, 0, 1011 }

#endif
