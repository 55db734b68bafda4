/*
 * util.c - messages, exit codes, file reading, option values, paths,
 * progress and the HTML report file, for the CLI's commands.
 */
#include "cli.h"
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
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

int cli_read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return -1;
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

int cli_read_input(const char *path, char **buf, size_t *len)
{
    if (cli_read_file(path, buf, len) != 0)
        return cli_fail(errno == ENOENT ? EXIT_INPUT : EXIT_SYSTEM, "%s: %s", path,
                        strerror(errno));
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

int cli_param_option(tsr_params *p, int opt, const char *arg)
{
    int bad = 0;
    switch (opt) {
    case 1001: bad = cli_parse_int(arg, 1, 1000000, &p->min_words); break;
    case 1002: {
        char *end;
        double v = strtod(arg, &end);
        if (*end || end == arg || !(v >= 0 && v <= 1)) bad = -1;
        else p->min_similarity = v;
        break;
    }
    case 1003: bad = cli_parse_int(arg, 0, 10000, &p->max_gap); break;
    case 1004: bad = cli_parse_int(arg, 1, 16, &p->seed); break;
    case 1005: bad = cli_parse_int(arg, 1, 1000000, &p->max_candidates); break;
    case 1006: bad = cli_parse_int(arg, 0, 2000000000, &p->boilerplate_df); break;
    case 1007: p->allow_nul = 1; break;
    case 1008: {
        char *end;
        double v = strtod(arg, &end);
        if (*end || end == arg || !(v >= 0)) bad = -1;
        else p->max_evalue = v;
        break;
    }
    case 1009: p->max_evalue = 0; break;
    case 1010: p->paraphrase = TSR_PARAPHRASE_OFF; break;
    case 1011: p->paraphrase = TSR_PARAPHRASE_ALL; break;
    default: return 0;
    }
    if (bad) {
        cli_warn("bad value '%s' for an alignment option", arg);
        return -1;
    }
    return 1;
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
    const int line = names && names[0];
    char *s = tsr_result_json(r, pretty && !line ? TSR_JSON_PRETTY : 0);

    if (!s)
        return cli_fail(EXIT_SYSTEM, "out of memory");
    if (line) {
        /* {"NAME":"VALUE",...,<the result's own fields>} */
        for (size_t i = 0; names[i]; i += 2) {
            fputs(i ? "," : "{", out);
            cli_json_string(out, names[i]);
            fputc(':', out);
            cli_json_string(out, names[i + 1]);
        }
        fprintf(out, ",%s\n", s + 1);
    } else {
        fprintf(out, "%s\n", s);
    }
    tsr_free(s);
    return EXIT_OK;
}

int cli_write_html(const char *path, const report_input *in)
{
    FILE *f = fopen(path, "w");
    int bad;

    if (!f)
        return cli_fail(EXIT_SYSTEM, "%s: %s", path, strerror(errno));
    bad = report_html(f, in);
    if (fclose(f) != 0 || bad)
        return cli_fail(EXIT_SYSTEM, "%s: writing the report failed", path);
    return EXIT_OK;
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
