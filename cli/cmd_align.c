/*
 * cmd_align.c - `tessera align`: the alignment of one pair of texts, or of
 * a list of pairs (--pairs, JSON Lines out), with no index.
 */
#include "cli.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char align_help[] =
"Usage: tessera align [OPTIONS] FILE_A FILE_B\n"
"       tessera align [OPTIONS] --pairs LIST [--dir-a DIR] [--dir-b DIR]\n"
"\n"
"Find the passages of FILE_A that are reused in FILE_B: their spans in both\n"
"texts (byte offsets, or code points with --offsets chars; end exclusive) and\n"
"their similarity.  No index needed.  The text report marks what changed in\n"
"each passage: [-source words-] and {+text words+}, as git diff --word-diff\n"
"does (red and green in colour).\n"
"Either FILE may be - for standard input (not both).\n"
"\n"
"Output:\n"
"      --json             JSON (doc/json.md); the source id is FILE_B as given\n"
"      --pretty           indented JSON\n"
CLI_HELP_TEXT_OFFSETS
"      --html FILE        a self-contained HTML report, side by side\n"
"      --color=WHEN       auto (default), always, never\n"
"      --full             whole passages in the text report, not one-line\n"
"                         excerpts\n"
"Batch:\n"
"      --pairs LIST       align each line 'A B' of LIST; JSON Lines out, one\n"
"                         object per pair with \"a\" and \"b\" names added\n"
"      --dir-a DIR        directory of the A names (default: as given)\n"
"      --dir-b DIR        directory of the B names (default: as given)\n"
"Alignment:\n"
"      --min-words N      shortest passage, in words (default 15)\n"
"      --min-similarity S least share of matching words, 0..1 (default 0.5)\n"
CLI_HELP_SIGNIFICANCE("10")
"      --max-gap N        largest gap inside a passage, in words (default 50)\n"
"      --seed N           words per seed (default 3)\n"
"      --no-paraphrase    no sentence stage: only passages that keep runs of\n"
"                         words in order (default: rewritten sentences too)\n"
"      --allow-nul        read NUL bytes as spaces (default: refuse the text)\n"
"  -h, --help             this help\n"
"\n"
"Example:\n"
"  tessera align --json essay.txt source.txt\n";

static int align_one(const char *pa, const char *pb, const char *name_a,
                     const char *name_b, const tsr_params *p, int json, int pretty,
                     const char *html, int rflags, int jsonl, const cli_out *co)
{
    char *a = NULL, *b = NULL;
    size_t al = 0, bl = 0;
    int rc = cli_read_input(pa, &a, &al);
    if (rc == EXIT_OK) rc = cli_read_input(pb, &b, &bl);
    if (rc != EXIT_OK) { free(a); free(b); return rc; }
    tsr_result *r = NULL;
    tsr_error e = { 0 };
    int st = tsr_align(a, al, b, bl, p, &r, &e);
    if (st != TSR_OK) {
        /* name the file at fault: the message says first or second text */
        const char *which = strstr(e.message, "second text") ? pb : pa;
        const char *msg = strchr(e.message, ':');
        rc = cli_fail(cli_exit_code(st), "%s%s", which, msg ? msg : e.message);
        free(a); free(b);
        return rc;
    }
    tsr_result_set_source(r, 0, name_b, NULL, NULL, NULL);
    if (json || jsonl) {
        const char *names[] = { "a", name_a, "b", name_b, NULL };
        const char *srcs[1] = { b };
        const size_t lens[1] = { bl };
        tsr_json_opts jo = { (co->text ? TSR_JSON_TEXT : 0) | (co->chars ? TSR_JSON_CHARS : 0),
                             a, al, srcs, lens, NULL };
        rc = cli_fput_result_json_ex(stdout, r, pretty, jsonl ? names : NULL, &jo);
        if (rc != EXIT_OK) goto out;
    } else if (!html) {
        const char *srcs[1] = { b };
        size_t lens[1] = { bl };
        report_input in = { name_a, a, al, r, srcs, lens };
        if (report_text(stdout, &in, (unsigned)rflags) != 0)
            rc = cli_fail(EXIT_SYSTEM, "writing the report failed");
    }
    if (html) {
        const char *srcs[1] = { b };
        size_t lens[1] = { bl };
        report_input in = { name_a, a, al, r, srcs, lens };
        int hr = cli_write_html(html, &in);
        if (hr != EXIT_OK) rc = hr;
    }
out:
    tsr_result_free(r);
    free(a);
    free(b);
    return rc;
}

static int align_pairs(const char *list, const char *dir_a, const char *dir_b,
                       const tsr_params *p, const cli_out *co)
{
    FILE *f = strcmp(list, "-") ? fopen(list, "r") : stdin;
    if (!f)
        return cli_fail(EXIT_INPUT, "%s: %s", list, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int worst = EXIT_OK;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        char *sa = strtok(line, " \t\r\n");
        char *sb = sa ? strtok(NULL, " \t\r\n") : NULL;
        if (!sa) continue;
        if (!sb) {
            worst = cli_fail(EXIT_INPUT, "%s:%ld: expected two names", list, lineno);
            continue;
        }
        char pa[4096], pb[4096];
        snprintf(pa, sizeof pa, "%s%s%s", dir_a ? dir_a : "", dir_a ? "/" : "", sa);
        snprintf(pb, sizeof pb, "%s%s%s", dir_b ? dir_b : "", dir_b ? "/" : "", sb);
        int rc = align_one(pa, pb, sa, sb, p, 0, 0, NULL, 0, 1, co);
        if (rc != EXIT_OK) worst = rc;
    }
    free(line);
    if (f != stdin) fclose(f);
    return worst;
}

int cmd_align(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, 0, 'j' }, { "pretty", no_argument, 0, 'P' },
        { "html", required_argument, 0, 'H' }, { "color", optional_argument, 0, 'C' },
        { "pairs", required_argument, 0, 'p' }, { "dir-a", required_argument, 0, 'a' },
        { "dir-b", required_argument, 0, 'b' }, { "jsonl", no_argument, 0, 'l' },
        { "help", no_argument, 0, 'h' }, { "no-paraphrase", no_argument, 0, 1010 },
        { "full", no_argument, 0, 'F' },
        CLI_PARAM_OPTIONS, CLI_OUT_OPTIONS, { 0, 0, 0, 0 }
    };
    tsr_params p;
    tsr_params_default(&p);
    int json = 0, pretty = 0, color = -1, full = 0;
    cli_out co = { 0 };
    const char *html = NULL, *pairs = NULL, *dir_a = NULL, *dir_b = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'P': json = 1; pretty = 1; break;
        case 'H': html = optarg; break;
        case 'C':
            if (cli_parse_color(optarg, &color) != 0)
                return cli_usage_error("align", "--color takes auto, always or never");
            break;
        case 'p': pairs = optarg; break;
        case 'a': dir_a = optarg; break;
        case 'b': dir_b = optarg; break;
        case 'l': break; /* --pairs output is always JSON Lines */
        case 'F': full = 1; break;
        case 'h': fputs(align_help, stdout); return EXIT_OK;
        default: {
            int r = cli_out_option(&co, c, optarg, "align", 0);
            if (r == 0) r = cli_param_option("align", &p, c, optarg);
            if (r < 0) return EXIT_USAGE;
            if (r == 0) return cli_option_error("align", argc, argv, "h", opts);
        }
        }
    }
    tsr_error e;
    if (tsr_params_validate(&p, &e) != TSR_OK)
        return cli_usage_error("align", "%s", e.message);
    if (full && (json || html || pairs))
        return cli_usage_error("align", "--full is for the text report (not with --json, "
                               "--html or --pairs)");
    if (pairs) {
        if (optind != argc)
            return cli_usage_error("align", "--pairs takes no FILE arguments");
        return align_pairs(pairs, dir_a, dir_b, &p, &co);
    }
    if (argc - optind != 2)
        return cli_usage_error("align", "expected two files, FILE_A and FILE_B");
    if ((co.text || co.chars) && !json)
        return cli_usage_error("align", "--text and --offsets go with --json or --pairs");
    if (!strcmp(argv[optind], "-") && !strcmp(argv[optind + 1], "-"))
        return cli_usage_error("align", "FILE_A and FILE_B are both standard input (-); "
                               "give at most one as -");
    return align_one(argv[optind], argv[optind + 1], argv[optind], argv[optind + 1], &p,
                     json, pretty, html,
                     (cli_want_color(stdout, color) ? REPORT_COLOR : 0) |
                     (full ? REPORT_FULL : 0), 0, &co);
}
