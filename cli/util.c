/*
 * util.c - messages, exit codes, file reading, option values, paths,
 * progress and the HTML report file, for the CLI's commands.
 */
#include "cli.h"
#include "atomic.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *cli_prog = "tessera";

/* "tessera: MESSAGE\n" on stderr. */
static void vwarn(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
}

int cli_exit_code(int status)
{
    switch (status) {
    case TSR_OK: return EXIT_OK;
    case TSR_ERR_UTF8: case TSR_ERR_NUL: case TSR_ERR_JSON: case TSR_ERR_EMPTY:
    case TSR_ERR_TOOBIG: case TSR_ERR_DUPLICATE:
        return EXIT_INPUT;
    case TSR_ERR_FORMAT: case TSR_ERR_CHECKSUM: case TSR_ERR_VERSION:
    case TSR_ERR_CORRUPT: case TSR_ERR_LOCKED: case TSR_ERR_DB: case TSR_ERR_READONLY:
        return EXIT_INDEX;
    case TSR_ERR_INVALID:
        return EXIT_USAGE;
    case TSR_ERR_NOTFOUND:
        return EXIT_INPUT;
    default:
        return EXIT_SYSTEM;
    }
}

int cli_fail(int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
    return rc;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s %s: ", cli_prog, cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s %s --help' for more information.\n", cli_prog, cmd);
    va_end(ap);
    return EXIT_USAGE;
}

/* The optimal string alignment distance of a and b (edits: insert, delete,
 * replace, swap two neighbours), or a large number when either is long. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAXN = 64 };
    const size_t na = strlen(a), nb = strlen(b);
    size_t d[MAXN + 1][MAXN + 1];

    if (na > MAXN || nb > MAXN)
        return SIZE_MAX;
    for (size_t i = 0; i <= na; i++) d[i][0] = i;
    for (size_t j = 0; j <= nb; j++) d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[na][nb];
}

const char *cli_nearest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    const size_t len = strlen(word);
    /* a third of the word may be wrong: "chekc" is "check", "frob" nothing */
    const size_t limit = len / 3 > 0 ? len / 3 : 1;

    for (size_t i = 0; i < n; i++) {
        const size_t dist = edit_distance(word, names[i]);
        if (dist <= limit && dist < best_d) {
            best = names[i];
            best_d = dist;
        }
    }
    return best;
}

/* The long option of `opts` that `name` (up to '=' or its end) names:
 * exactly, or as the unique start of one (as getopt_long reads it).
 * Returns its index, -1 when none, -2 when several start so. */
static int long_match(const struct option *opts, const char *name, size_t n)
{
    int found = -1;
    for (int i = 0; opts[i].name; i++) {
        if (strncmp(opts[i].name, name, n)) continue;
        if (strlen(opts[i].name) == n) return i;
        if (found >= 0 && opts[found].val != opts[i].val) found = -2;
        else if (found == -1) found = i;
    }
    return found;
}

/* "tessera CMD: MESSAGE" on stderr, one line; returns EXIT_USAGE. */
static int usage_line(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_line(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s %s: ", cli_prog, cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_option_error(const char *cmd, int argc, char **argv, const char *shortopts,
                     const struct option *opts)
{
    const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "";

    if (!strncmp(arg, "--", 2) && arg[2]) {
        const char *name = arg + 2, *eq = strchr(name, '=');
        const size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const int i = long_match(opts, name, n);
        if (i == -2) {
            char list[512];
            size_t used = 0;
            list[0] = 0;
            for (int j = 0; opts[j].name; j++)
                if (!strncmp(opts[j].name, name, n) && used < sizeof list) {
                    const int w = snprintf(list + used, sizeof list - used, "%s--%s",
                                           used ? ", " : "", opts[j].name);
                    used += w > 0 ? (size_t)w : 0;
                }
            return usage_line(cmd, "option '--%.*s' is ambiguous: %s", (int)n, name, list);
        }
        if (i == -1) {
            const char *names[128];
            size_t k = 0;
            char word[128];
            snprintf(word, sizeof word, "%.*s", (int)n, name);
            /* the opposite of a switch: say what the switch does rather than
             * suggest it ("--no-paraphrase" is not "--paraphrase") */
            const int neg = !strncmp(word, "no-", 3) ? long_match(opts, word + 3, strlen(word + 3))
                                                     : -1;
            char pos[132];
            snprintf(pos, sizeof pos, "no-%s", word);
            const int posi = long_match(opts, pos, strlen(pos));
            if (neg >= 0 && opts[neg].has_arg == no_argument && !strcmp(opts[neg].name, word + 3))
                return usage_line(cmd, "unknown option '--%s': '--%s' is off unless given",
                                  word, word + 3);
            if (posi >= 0 && !strcmp(opts[posi].name, pos))
                return usage_line(cmd, "unknown option '--%s': it is on unless '--%s' is given",
                                  word, pos);
            for (int j = 0; opts[j].name && k < 128; j++)
                names[k++] = opts[j].name;
            const char *near = cli_nearest(word, names, k);
            if (near)
                return usage_line(cmd, "unknown option '--%s'; did you mean '--%s'?", word,
                                  near);
            return usage_line(cmd, "unknown option '--%s' (see '%s %s --help')", word,
                              cli_prog, cmd);
        }
        if (eq && opts[i].has_arg == no_argument)
            return usage_line(cmd, "option '--%s' takes no value", opts[i].name);
        if (!eq && opts[i].has_arg == required_argument && optind == argc)
            return usage_line(cmd, "option '--%s' needs a value", opts[i].name);
    }
    /* a short option (or a long one that the text above did not explain) */
    if (optopt > 0 && optopt < 128 && optopt != ':') {
        /* a long option written with one dash, "-min-words": getopt read
         * its letters as short options; name the long one */
        const char *word = optind < argc && argv[optind][0] == '-' && argv[optind][1] == optopt
                               ? argv[optind]
                           : optind >= 1 && optind <= argc && argv[optind - 1][0] == '-' &&
                                   argv[optind - 1][1] == optopt
                               ? argv[optind - 1]
                               : NULL;
        if (word && strlen(word) > 2 && word[1] != '-') {
            const char *names[128];
            size_t k = 0;
            char w[128];
            snprintf(w, sizeof w, "%.*s", (int)strcspn(word + 1, "="), word + 1);
            for (int j = 0; opts[j].name && k < 128; j++)
                names[k++] = opts[j].name;
            const char *near = cli_nearest(w, names, k);
            if (near)
                return usage_line(cmd, "unknown option '%s'; did you mean '--%s'?", word, near);
        }
        const char *at = strchr(shortopts, optopt);
        if (at && at[1] == ':')
            return usage_line(cmd, "option '-%c' needs a value", optopt);
        return usage_line(cmd, "unknown option '-%c' (see '%s %s --help')", optopt, cli_prog,
                          cmd);
    }
    return usage_line(cmd, "bad option '%s' (see '%s %s --help')", arg, cli_prog, cmd);
}

int cli_read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    struct stat st;
    if (!f)
        return -1;
    if (f != stdin && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        errno = EISDIR;
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    if (!b) { if (f != stdin) fclose(f); errno = ENOMEM; return -1; }
    for (;;) {
        if (n == cap) {
            char *nb = realloc(b, cap * 2 + 1);
            if (!nb) { free(b); if (f != stdin) fclose(f); errno = ENOMEM; return -1; }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno ? errno : EIO;
                free(b);
                if (f != stdin) fclose(f);
                errno = e;
                return -1;
            }
            break;
        }
    }
    if (f != stdin) fclose(f);
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

int cli_errno_exit(int e)
{
    return e == ENOENT || e == ENOTDIR || e == EISDIR ? EXIT_INPUT : EXIT_SYSTEM;
}

int cli_read_input(const char *path, char **buf, size_t *len)
{
    if (cli_read_file(path, buf, len) != 0) {
        const int e = errno;
        if (e == EISDIR)
            return cli_fail(EXIT_INPUT, "%s: is a directory, not a file", path);
        return cli_fail(cli_errno_exit(e), "%s: %s", path, strerror(e));
    }
    return EXIT_OK;
}

char *cli_path_join(const char *dir, const char *name)
{
    size_t ld = strlen(dir), ln = strlen(name);
    char *p = malloc(ld + ln + 2);

    if (p) {
        memcpy(p, dir, ld);
        p[ld] = '/';
        memcpy(p + ld + 1, name, ln + 1);
    }
    return p;
}

int cli_read_fail(int status, const char *message)
{
    return cli_fail(status == TSR_ERR_NOMEM ? EXIT_SYSTEM : EXIT_INPUT, "%s", message);
}

int cli_parse_int(const char *arg, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || *end || end == arg || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_size(const char *arg, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    double mult = 1;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || !(v >= 0))
        return -1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (mult > 1 && *end == 'i') end++;
    if (*end == 'b' || *end == 'B') end++;
    if (*end)
        return -1;
    v *= mult;
    if (v < (double)lo || v > (double)hi)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int cli_reader_option(tsr_reader_opts *ro, int opt, const char *arg)
{
    switch (opt) {
    case 1201: ro->id_field = arg; return 1;
    case 1202: ro->text_field = arg; return 1;
    case 1203: ro->title_field = arg; return 1;
    case 1204: ro->date_field = arg; return 1;
    case 1205: ro->series_field = arg; return 1;
    case 1206: ro->skip_bad = 1; return 1;
    default: return 0;
    }
}

int cli_param_option(const char *cmd, tsr_params *p, int opt, const char *arg)
{
    /* the ranges are tsr_params_validate's */
    static const struct { int opt; const char *name; long lo, hi; } ints[] = {
        { 1001, "min-words", 1, 1000000 },     { 1003, "max-gap", 0, 10000 },
        { 1004, "seed", 1, 16 },               { 1005, "max-candidates", 1, 1000000 },
        { 1006, "boilerplate-df", 0, 2000000000 },
    };
    int *const fields[] = { &p->min_words, &p->max_gap, &p->seed, &p->max_candidates,
                            &p->boilerplate_df };
    char *end;
    double v;

    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (ints[i].opt != opt) continue;
        if (cli_parse_int(arg, ints[i].lo, ints[i].hi, fields[i]) != 0) {
            cli_usage_error(cmd, "--%s takes a whole number from %ld to %ld, not '%s'",
                            ints[i].name, ints[i].lo, ints[i].hi, arg);
            return -1;
        }
        return 1;
    }
    switch (opt) {
    case 1002:
        v = strtod(arg, &end);
        if (*end || end == arg || !(v >= 0 && v <= 1)) {
            cli_usage_error(cmd, "--min-similarity takes a number from 0 to 1, not '%s'", arg);
            return -1;
        }
        p->min_similarity = v;
        return 1;
    case 1007: p->allow_nul = 1; return 1;
    case 1008:
        v = strtod(arg, &end);
        if (*end || end == arg || !(v >= 0)) {
            cli_usage_error(cmd, "--max-evalue takes a number, 0 or more, not '%s'", arg);
            return -1;
        }
        p->max_evalue = v;
        return 1;
    case 1009: p->max_evalue = 0; return 1;
    case 1010: p->paraphrase = TSR_PARAPHRASE_OFF; return 1;
    case 1011: p->paraphrase = TSR_PARAPHRASE_ALL; return 1;
    default: return 0;
    }
}

int cli_parse_color(const char *arg, int *mode)
{
    if (!arg || !strcmp(arg, "always")) *mode = 1;
    else if (!strcmp(arg, "never")) *mode = 0;
    else if (!strcmp(arg, "auto")) *mode = -1;
    else return -1;
    return 0;
}

int cli_want_color(FILE *f, int mode)
{
    if (mode == 1) return 1;
    if (mode == 0) return 0;
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc) return 0;
    const char *term = getenv("TERM");
    if (term && !strcmp(term, "dumb")) return 0;
    return isatty(fileno(f));
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_progress_start(cli_progress *pg, const char *what, int enabled)
{
    pg->enabled = enabled && isatty(STDERR_FILENO);
    pg->t0 = pg->last = cli_now();
    pg->what = what;
}

static void human_bytes(char *buf, size_t n, double v)
{
    const char *u[] = { "B", "KB", "MB", "GB", "TB" };
    int i = 0;
    while (v >= 1000 && i < 4) { v /= 1000; i++; }
    snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

void cli_progress_update(cli_progress *pg, uint64_t done, uint64_t total, uint64_t items, int force)
{
    if (!pg->enabled) return;
    double now = cli_now();
    if (!force && now - pg->last < 0.2) return;
    pg->last = now;
    double el = now - pg->t0;
    double rate = el > 0 ? done / el : 0;
    char d[32], r[32];
    human_bytes(d, sizeof d, (double)done);
    human_bytes(r, sizeof r, rate);
    if (total > 0) {
        double frac = (double)done / (double)total;
        if (frac > 1) frac = 1;
        int width = 24, fill = (int)(frac * width);
        char bar[32];
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        double eta = rate > 0 ? (double)(total - (done < total ? done : total)) / rate : 0;
        fprintf(stderr, "\r%s [%s] %3.0f%% %s, %llu docs, %s/s, ETA %02d:%02d  ",
                pg->what, bar, frac * 100, d, (unsigned long long)items, r,
                (int)(eta / 60), (int)eta % 60);
    } else {
        fprintf(stderr, "\r%s %s, %llu docs, %s/s  ", pg->what, d,
                (unsigned long long)items, r);
    }
    fflush(stderr);
}

void cli_progress_end(cli_progress *pg)
{
    if (pg->enabled) fputc('\n', stderr);
}

void cli_json_string(FILE *f, const char *s)
{
    cli_json_string_n(f, s, strlen(s));
}

int cli_put_result_json(const tsr_result *r, int pretty, const char *const *names)
{
    return cli_fput_result_json(stdout, r, pretty, names);
}

int cli_fput_result_json(FILE *out, const tsr_result *r, int pretty, const char *const *names)
{
    tsr_json_opts jo;
    memset(&jo, 0, sizeof jo);   /* byte offsets, no texts, no fields */
    return cli_fput_result_json_ex(out, r, pretty, names, &jo);
}

int cli_write_html(const char *path, const report_input *in)
{
    cli_atomic out;
    int rc = cli_atomic_open(&out, path, 0);

    if (rc != EXIT_OK)
        return rc;
    if (report_html(out.f, in) != 0) {
        const int e = errno ? errno : EIO;
        cli_atomic_abort(&out);
        return cli_fail(EXIT_SYSTEM, "%s: writing the report failed: %s", path, strerror(e));
    }
    return cli_atomic_commit(&out);
}

int cli_vec_grow(void **a, size_t *cap, size_t need, size_t elsize)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need) nc *= 2;
    void *p = realloc(*a, nc * elsize);
    if (!p)
        return -1;
    *a = p;
    *cap = nc;
    return 0;
}
