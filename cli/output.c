/*
 * output.c - the options that add to the outputs of align, check and
 * discover: --text (each passage's text), --offsets chars (code points, not
 * bytes) and --fields (a document's input fields echoed).  The JSON of a
 * result comes from the library (tsr_result_json_ex); this file reads the
 * options and picks the fields.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The library's escaper (tsr_json_string), so that the CLI's strings are
 * written as the library's: bytes that are not UTF-8 (a file name) as
 * U+FFFD, never invalid JSON. */
void cli_json_string_n(FILE *f, const char *s, size_t n)
{
    char *q = tsr_json_string(s, n);
    fputs(q ? q : "\"\"", f);
    tsr_free(q);
}

int cli_out_option(cli_out *o, int opt, const char *arg, const char *cmd, int with_fields)
{
    switch (opt) {
    case 1101:
        o->text = 1;
        return 1;
    case 1102:
        if (!strcmp(arg, "bytes")) o->chars = 0;
        else if (!strcmp(arg, "chars")) o->chars = 1;
        else {
            cli_usage_error(cmd, "--offsets takes bytes or chars, not '%s'", arg);
            return -1;
        }
        return 1;
    case 1103:
        if (!with_fields) {   /* align: the texts come from files, with no fields */
            cli_usage_error(cmd, "--fields echoes indexed documents' fields: check and "
                            "discover take it, %s reads files", cmd);
            return -1;
        }
        /* a comma-separated list of names, none empty: as the library reads it */
        {
            char *probe = NULL;
            tsr_document none = { 0 };
            const int st = tsr_document_fields(&none, arg, &probe, NULL);
            tsr_free(probe);
            if (st == TSR_ERR_INVALID) {
                cli_usage_error(cmd, "--fields takes names separated by commas (e.g. "
                                "url,title) or all, not '%s'", arg);
                return -1;
            }
        }
        o->fields = arg;
        return 1;
    default:
        return 0;
    }
}

int cli_fput_result_json_ex(FILE *out, const tsr_result *r, int pretty,
                            const char *const *names, tsr_json_opts *jo)
{
    const int line = names && names[0];
    tsr_error e = { 0 };
    char *s = NULL;
    jo->flags = (jo->flags & ~TSR_JSON_PRETTY) | (pretty && !line ? TSR_JSON_PRETTY : 0);
    const int st = tsr_result_json_ex(r, jo, &s, &e);
    if (st != TSR_OK)
        return cli_fail(cli_exit_code(st), "%s", e.message);
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
