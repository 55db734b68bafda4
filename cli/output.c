/*
 * output.c - the options that add to the outputs of align, check and
 * discover: --text (each passage's text), --offsets chars (code points, not
 * bytes) and --fields (a document's input fields echoed).  The JSON of a
 * result comes from the library (tsr_result_json_ex); this file reads the
 * options and picks the fields.
 */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void cli_json_string_n(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s, *e = c + n; c < e; c++) {
        if (*c == '"' || *c == '\\') { fputc('\\', f); fputc(*c, f); }
        else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
        else fputc(*c, f);
    }
    fputc('"', f);
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
        if (!with_fields)
            return 0;
        /* a comma-separated list of names, none empty */
        if (!*arg || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")) {
            cli_usage_error(cmd, "--fields takes names separated by commas (e.g. "
                            "url,title) or all, not '%s'", arg);
            return -1;
        }
        o->fields = arg;
        return 1;
    default:
        return 0;
    }
}

int cli_select_fields(const tsr_document *d, const char *spec, char **out)
{
    *out = NULL;
    json_t *meta = d->meta_json ? json_loads(d->meta_json, 0, NULL) : NULL;
    if (meta && !json_is_object(meta)) {
        json_decref(meta);
        meta = NULL;
    }
    json_t *o = NULL;
    if (!strcmp(spec, "all")) {
        o = meta ? json_incref(meta) : json_object();
    } else {
        o = json_object();
        const char *p = spec;
        while (o && *p) {
            const size_t n = strcspn(p, ",");
            char *k = strndup(p, n);
            if (!k) {
                json_decref(o);
                o = NULL;
                break;
            }
            const char *std = !strcmp(k, "id") ? d->id : !strcmp(k, "title") ? d->title
                            : !strcmp(k, "date") ? d->date : !strcmp(k, "series") ? d->series
                            : NULL;
            const int is_std = !strcmp(k, "id") || !strcmp(k, "title") ||
                               !strcmp(k, "date") || !strcmp(k, "series");
            json_t *v = is_std ? (std ? json_string(std) : json_null())
                               : json_incref(meta ? json_object_get(meta, k) : NULL);
            if (!v) v = json_null();
            if (json_object_set_new(o, k, v) != 0) {
                json_decref(o);
                o = NULL;
            }
            free(k);
            p += n;
            if (*p == ',') p++;
        }
    }
    json_decref(meta);
    if (!o)
        return -1;
    *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *out ? 0 : -1;
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
