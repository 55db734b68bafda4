/*
 * report_text.c - the terminal report of a tessera result, and the helpers
 * that the HTML report shares (line index, span clamping, UTF-8 decoding).
 *
 * The report reads top-down: one summary, then each source with its
 * passages (the passage numbers are the 1-based positions in
 * r->passages, the same as in the HTML report and the JSON), then the
 * repeats inside the checked text and its boilerplate lines.  Each passage
 * shows both spans in bytes and as line:column (column in characters),
 * and a one-line excerpt of each side: whitespace collapsed, control and
 * bidirectional-override characters replaced (the texts are untrusted and
 * must not drive the terminal), cut to a column budget at a character
 * boundary with "…".
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ------------------------------------------------------------------------
 * Shared helpers
 * --------------------------------------------------------------------- */

size_t rpt_utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;

    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; c &= 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; c &= 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; c &= 0x07; min = 0x10000; }
    else goto bad;
    if (len > n)
        goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto bad;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        goto bad;
    *cp = c;
    return len;
bad:
    *cp = 0xFFFD;
    return 1;
}

void rpt_clamp_span(const char *text, size_t len, size_t *b, size_t *e)
{
    const unsigned char *t = (const unsigned char *)text;

    if (*e > len) *e = len;
    if (*b > *e) *b = *e;
    if (!t)
        return;
    while (*b > 0 && *b < len && (t[*b] & 0xC0) == 0x80)
        (*b)--;
    while (*e < len && (t[*e] & 0xC0) == 0x80)
        (*e)++;
}

int rpt_lines_init(rpt_lines *l, const char *text, size_t len)
{
    size_t n = 1, k = 1;

    l->text = text;
    l->len = text ? len : 0;
    for (size_t i = 0; i < l->len; i++)
        n += text[i] == '\n';
    l->start = malloc(n * sizeof *l->start);
    if (!l->start) { l->n = 0; return -1; }
    l->start[0] = 0;
    for (size_t i = 0; i < l->len; i++)
        if (text[i] == '\n')
            l->start[k++] = i + 1;
    l->n = n;
    return 0;
}

void rpt_lines_free(rpt_lines *l)
{
    free(l->start);
    l->start = NULL;
    l->n = 0;
}

void rpt_lines_pos(const rpt_lines *l, size_t off, size_t *line, size_t *col)
{
    size_t lo = 0, hi = l->n, c = 1;

    if (off > l->len) off = l->len;
    if (!l->start || l->n == 0) { *line = 1; *col = off + 1; return; }
    /* Last line start <= off. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->start[mid] <= off) lo = mid; else hi = mid;
    }
    for (size_t i = l->start[lo]; i < off; i++)
        c += ((unsigned char)l->text[i] & 0xC0) != 0x80;
    *line = lo + 1;
    *col = c;
}

int rpt_start(report_input *in, rpt_lines *la, const report_input *src)
{
    *in = *src;
    if (!in->text) {
        in->text = "";
        in->len = 0;
    }
    return rpt_lines_init(la, in->text, in->len);
}

size_t *rpt_count_passages(const tsr_result *r)
{
    size_t *n;

    if (!r->n_sources)
        return NULL;
    n = calloc(r->n_sources, sizeof *n);
    if (!n)
        return NULL;
    for (size_t i = 0; i < r->n_passages; i++)
        if (r->passages[i].source < r->n_sources)
            n[r->passages[i].source]++;
    return n;
}

/* ------------------------------------------------------------------------
 * Terminal output
 * --------------------------------------------------------------------- */

#define EXCERPT_COLS 84   /* excerpt budget after a 15-column label */

/* One ANSI foreground colour per source, cycling. */
static const char *const ansi_palette[] = {
    "34", "33", "32", "31", "35", "36",
    "94", "93", "92", "91", "95", "96",
};
#define N_ANSI (sizeof ansi_palette / sizeof ansi_palette[0])

typedef struct tout {
    FILE *f;
    int color;
} tout;

static void sgr(const tout *o, const char *code)
{
    if (o->color)
        fprintf(o->f, "\033[%sm", code);
}

static void sgr_source(const tout *o, size_t src)
{
    if (o->color)
        fprintf(o->f, "\033[1;%sm", ansi_palette[src % N_ANSI]);
}

static int is_space_cp(unsigned cp)
{
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85)
        return 1;
    if (cp < 0x80)
        return 0;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return 1;
    default:
        return 0;
    }
}

/* Characters that must not reach a terminal: controls, and the bidi
 * overrides and isolates that can reorder what follows them. */
static int is_unsafe_cp(unsigned cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

/* Write s[0..n) on one line: whitespace runs become one space (none at
 * the ends), unsafe characters become U+FFFD, and the whole takes at most
 * `cols` terminal columns, else it is cut and ends with "…".  Reads only
 * as far as the budget needs, so a huge span costs no more than a short
 * one. */
static void put_line(FILE *f, const char *s, size_t n, int cols)
{
    char buf[EXCERPT_COLS * 8 + 16];
    size_t blen = 0, cut = 0, i = 0;
    int w = 0, pending_space = 0, truncated = 0;

    if (!s)
        n = 0;
    while (i < n) {
        const char *c = s + i;
        unsigned cp;
        size_t k = rpt_utf8_next((const unsigned char *)c, n - i, &cp);
        int cw;

        i += k;
        if (is_space_cp(cp)) {
            pending_space = blen > 0;
            continue;
        }
        if (cp == 0xFFFD || is_unsafe_cp(cp)) {
            cp = 0xFFFD;
            c = "\xEF\xBF\xBD";
            k = 3;
        }
        cw = utf8proc_charwidth((utf8proc_int32_t)cp);
        if (cw < 0) cw = 1;
        /* Over the column budget, or over the buffer (a long run of
         * zero-width marks): stop here. */
        if (w + pending_space + cw > cols || blen + 1 + k > sizeof buf) {
            truncated = 1;
            break;
        }
        if (pending_space) {
            buf[blen++] = ' ';
            w++;
            pending_space = 0;
        }
        memcpy(buf + blen, c, k);
        blen += k;
        w += cw;
        /* Room left for "…" (one column) after this character? */
        if (w <= cols - 1)
            cut = blen;
    }
    if (truncated) {
        while (cut > 0 && buf[cut - 1] == ' ')
            cut--;
        fwrite(buf, 1, cut, f);
        fputs("\xE2\x80\xA6", f);
    } else {
        fwrite(buf, 1, blen, f);
    }
}

/* A NUL-terminated string (metadata) on one line; nothing for NULL. */
static void put_str(FILE *f, const char *s, int cols)
{
    put_line(f, s, s ? strlen(s) : 0, cols);
}

static void put_span(const tout *o, const rpt_lines *l, size_t b, size_t e)
{
    size_t bl, bc, el, ec, last = e;

    fprintf(o->f, "%zu-%zu", b, e);
    if (!l)
        return;
    /* line:col of the first and of the last character. */
    if (last > b) {
        last--;
        while (last > b && ((unsigned char)l->text[last] & 0xC0) == 0x80)
            last--;
    }
    rpt_lines_pos(l, b, &bl, &bc);
    rpt_lines_pos(l, last, &el, &ec);
    sgr(o, "2");
    if (bl == el)
        fprintf(o->f, " (%zu:%zu-%zu)", bl, bc, ec);
    else
        fprintf(o->f, " (%zu:%zu-%zu:%zu)", bl, bc, el, ec);
    sgr(o, "0");
}

static void put_excerpt(const tout *o, const char *label, const char *s,
                        size_t n)
{
    fputs("      ", o->f);
    sgr(o, "2");
    fprintf(o->f, "%-6s \xE2\x94\x82 ", label);
    sgr(o, "0");
    put_line(o->f, s, n, EXCERPT_COLS);
    fputc('\n', o->f);
}

static void put_passage(const tout *o, const report_input *in,
                        const rpt_lines *la, const rpt_lines *lsrc,
                        size_t idx)
{
    const tsr_passage *p = &in->r->passages[idx];
    size_t ab = p->a_begin, ae = p->a_end, bb = p->b_begin, be = p->b_end;
    const char *st = NULL;
    size_t sl = 0;

    if (p->source < in->r->n_sources && in->src_text && in->src_text[p->source]) {
        st = in->src_text[p->source];
        sl = in->src_len[p->source];
    }
    rpt_clamp_span(in->text, in->len, &ab, &ae);
    fputs("  ", o->f);
    if (p->source < in->r->n_sources)
        sgr_source(o, p->source);
    else
        sgr(o, "1");
    fprintf(o->f, "#%zu", idx + 1);
    sgr(o, "0");
    fputs("  text ", o->f);
    put_span(o, la, ab, ae);
    fputs("  source ", o->f);
    if (st) {
        rpt_clamp_span(st, sl, &bb, &be);
        put_span(o, lsrc, bb, be);
    } else {
        put_span(o, NULL, bb, be);
    }
    fputc('\n', o->f);
    fprintf(o->f, "      %s \xC2\xB7 similarity %.2f \xC2\xB7 %zu / %zu words \xC2\xB7 "
            "%zu identical \xC2\xB7 E-value %.2g", tsr_kind_name(p->kind), p->similarity,
            p->a_words, p->b_words, p->matches, p->evalue);
    if (p->boilerplate) {
        sgr(o, "2");
        fputs(" \xC2\xB7 boilerplate", o->f);
        sgr(o, "0");
    }
    fputc('\n', o->f);
    put_excerpt(o, "text", in->text + ab, ae - ab);
    if (st)
        put_excerpt(o, "source", st + bb, be - bb);
    else
        put_excerpt(o, "source", "(text not available)", 20);
}

static void put_source_header(const tout *o, const tsr_result *r, size_t i,
                              size_t npass)
{
    const tsr_source *s = &r->sources[i];

    sgr_source(o, i);
    fprintf(o->f, "Source %zu", i + 1);
    sgr(o, "0");
    sgr(o, "1");
    fputs("  ", o->f);
    if (s->id) put_str(o->f, s->id, 60);
    else fputs("(no id)", o->f);
    sgr(o, "0");
    if (s->title && (!s->id || strcmp(s->title, s->id) != 0)) {
        fputs("  \xE2\x80\x9C", o->f);
        put_str(o->f, s->title, 60);
        fputs("\xE2\x80\x9D", o->f);
    }
    if (s->date) { fputs("  ", o->f); put_str(o->f, s->date, 30); }
    if (s->series) {
        fputs("  ", o->f);
        sgr(o, "2");
        put_str(o->f, s->series, 40);
        sgr(o, "0");
    }
    fputc('\n', o->f);
    fprintf(o->f, "  %.1f%% of the text \xC2\xB7 %zu passage%s \xC2\xB7 "
            "%zu bytes", s->coverage * 100.0, npass, npass == 1 ? "" : "s",
            s->bytes_reused);
    /* a re-filing: the same passages as an earlier source (tsr_source.group) */
    size_t first = i;
    for (size_t k = 0; k < i && first == i; k++)
        if (r->sources[k].group == s->group) first = k;
    if (first < i)
        fprintf(o->f, " \xC2\xB7 the same text as source %zu", first + 1);
    else if (s->unique_bytes != s->bytes_reused)
        fprintf(o->f, " \xC2\xB7 %.1f%% in no other source", s->unique_coverage * 100.0);
    fputc('\n', o->f);
}

static void put_summary(const tout *o, const report_input *in)
{
    const tsr_result *r = in->r;

    sgr(o, "1");
    fputs("tessera report: ", o->f);
    put_str(o->f, in->name && strcmp(in->name, "-") != 0 ? in->name
                                                        : "standard input", 80);
    sgr(o, "0");
    fputc('\n', o->f);
    if (r->n_passages == 0) {
        fprintf(o->f, "No reuse found (%zu bytes, %zu words checked).\n",
                r->text_bytes, r->text_words);
    } else {
        sgr(o, "1");
        fprintf(o->f, "%.1f%%", r->coverage * 100.0);
        sgr(o, "0");
        fprintf(o->f, " of the text reused (%zu of %zu bytes, %zu words) "
                "\xC2\xB7 %zu passage%s from %zu source%s\n",
                r->bytes_reused, r->text_bytes, r->text_words, r->n_passages,
                r->n_passages == 1 ? "" : "s", r->n_sources,
                r->n_sources == 1 ? "" : "s");
    }
    if (r->n_repeats || r->n_boilerplate)
        fprintf(o->f, "%zu repeat%s inside the text \xC2\xB7 %zu boilerplate "
                "span%s\n", r->n_repeats, r->n_repeats == 1 ? "" : "s",
                r->n_boilerplate, r->n_boilerplate == 1 ? "" : "s");
}

int report_text(FILE *out, const report_input *in0, int color)
{
    report_input in1;          /* in0 with a NULL text made empty */
    const report_input *in = &in1;
    const tsr_result *r = in0->r;
    tout o = { out, color };
    rpt_lines la;
    size_t *npass = NULL, *first = NULL, *order = NULL;
    size_t orphans = 0;
    int rc = 0;

    if (rpt_start(&in1, &la, in0) != 0)
        return -1;
    if (r->n_sources && !(npass = rpt_count_passages(r))) {
        rpt_lines_free(&la);
        return -1;
    }
    /* Passages grouped by source, in result order within each group
     * (a counting sort), so that many sources cost no extra pass. */
    first = calloc(r->n_sources + 1, sizeof *first);
    order = malloc((r->n_passages ? r->n_passages : 1) * sizeof *order);
    if (!first || !order) {
        free(first);
        free(order);
        free(npass);
        rpt_lines_free(&la);
        return -1;
    }
    for (size_t s = 0; s < r->n_sources; s++)
        first[s + 1] = first[s] + npass[s];
    {
        size_t *fill = npass;   /* reused as the next free slot per source */
        for (size_t s = 0; s < r->n_sources; s++)
            fill[s] = first[s];
        for (size_t i = 0; i < r->n_passages; i++)
            if (r->passages[i].source < r->n_sources)
                order[fill[r->passages[i].source]++] = i;
    }
    put_summary(&o, in);

    for (size_t s = 0; s < r->n_sources; s++) {
        rpt_lines ls, *lsp = NULL;

        if (in->src_text && in->src_text[s]) {
            if (rpt_lines_init(&ls, in->src_text[s], in->src_len[s]) != 0) {
                rc = -1;
                break;
            }
            lsp = &ls;
        }
        fputc('\n', out);
        put_source_header(&o, r, s, first[s + 1] - first[s]);
        for (size_t i = first[s]; i < first[s + 1]; i++)
            put_passage(&o, in, &la, lsp, order[i]);
        if (lsp)
            rpt_lines_free(lsp);
    }
    for (size_t i = 0; i < r->n_passages; i++)
        orphans += r->passages[i].source >= r->n_sources;
    if (orphans) {
        fputc('\n', out);
        sgr(&o, "1");
        fputs("Unknown source", out);
        sgr(&o, "0");
        fputc('\n', out);
        for (size_t i = 0; i < r->n_passages; i++)
            if (r->passages[i].source >= r->n_sources)
                put_passage(&o, in, &la, NULL, i);
    }

    if (r->n_repeats) {
        fputc('\n', out);
        sgr(&o, "1");
        fprintf(out, "Repeated inside the text (%zu)", r->n_repeats);
        sgr(&o, "0");
        fputc('\n', out);
        for (size_t i = 0; i < r->n_repeats; i++) {
            const tsr_repeat *t = &r->repeats[i];
            size_t b = t->begin, e = t->end;
            size_t fb = t->first_begin, fe = t->first_end;

            rpt_clamp_span(in->text, in->len, &b, &e);
            rpt_clamp_span(in->text, in->len, &fb, &fe);
            fputs("  ", out);
            put_span(&o, &la, b, e);
            fputs(" repeats ", out);
            put_span(&o, &la, fb, fe);
            fprintf(out, " \xC2\xB7 similarity %.2f\n", t->similarity);
            put_excerpt(&o, "text", in->text + b, e - b);
        }
    }
    if (r->n_boilerplate) {
        fputc('\n', out);
        sgr(&o, "1");
        fprintf(out, "Boilerplate (%zu)", r->n_boilerplate);
        sgr(&o, "0");
        fputc('\n', out);
        for (size_t i = 0; i < r->n_boilerplate; i++) {
            size_t b = r->boilerplate[i].begin, e = r->boilerplate[i].end;

            rpt_clamp_span(in->text, in->len, &b, &e);
            fputs("  ", out);
            put_span(&o, &la, b, e);
            fputc('\n', out);
            put_excerpt(&o, "text", in->text + b, e - b);
        }
    }

    free(npass);
    free(first);
    free(order);
    rpt_lines_free(&la);
    if (fflush(out) != 0 || ferror(out))
        rc = -1;
    return rc;
}
