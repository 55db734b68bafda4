/*
 * html.c - HTML pieces shared by the CLI's reports (html.h): escaping of
 * untrusted text, the side-by-side excerpt with its context and word
 * differences, and the frame of a page.  The check/align report
 * (report_html.c) and the discover report (discover_out.c) differ in
 * layout, and in a few choices that are flags here rather than copies:
 * how bidirectional controls show, how context is chosen, which word
 * difference is affordable.
 *
 * Context around a passage.  An excerpt shows up to `context` bytes on
 * each side of the passage, trimmed so that it starts and ends at a word:
 * after the first whitespace inside the window on the left, before the
 * last one on the right.  With HTML_CTX_LINES the context stops at the
 * passage's own line ends when they fall inside the window, so a passage
 * that starts a paragraph shows none of the paragraph before.  A window
 * with no whitespace at all (a long token, or a script written without
 * spaces) is dropped, or with HTML_CTX_RAGGED kept and cut at a character.
 *
 * Word differences.  Both sides are tokenized with tsr_tokenize(), the
 * words the two sides share are flagged (by a longest common subsequence,
 * or by set membership for the cheap "bag" method), and each run of
 * unflagged neighbours becomes one marked span.
 */
#include "cli.h"
#include "html.h"
#include "report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LCS_MAX_CELLS 2000000u  /* largest LCS table (uint16 cells) */

#define ELLIPSIS "\xE2\x80\xA6"
#define REPLACEMENT "\xEF\xBF\xBD"

/* ------------------------------------------------------------------------
 * Escaping
 * --------------------------------------------------------------------- */

void html_esc(FILE *f, const char *s, size_t n, unsigned flags)
{
    const unsigned char *t = (const unsigned char *)s;
    size_t run = 0, i = 0;
    char bidi[96];

    if (!s)
        return;
    while (i < n) {
        unsigned c = t[i], cp = c;
        const char *rep = NULL;
        size_t k = 1;

        if (c < 0x80) {
            switch (c) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&#39;"; break;
            case '\n': case '\t': case '\r': break;
            default:
                if (c < 0x20 || c == 0x7F)
                    rep = REPLACEMENT;
            }
        } else {
            k = rpt_utf8_next(t + i, n - i, &cp);
            if ((cp == 0xFFFD && k == 1) || (cp >= 0x80 && cp <= 0x9F)) {
                rep = REPLACEMENT;
            } else if ((cp >= 0x202A && cp <= 0x202E) ||
                       (cp >= 0x2066 && cp <= 0x2069)) {
                rep = REPLACEMENT;
                if (flags & HTML_BIDI_VISIBLE) {
                    snprintf(bidi, sizeof bidi, "<span class=\"cc\" title=\""
                             "bidirectional control character\">U+%04X</span>", cp);
                    rep = bidi;
                }
            }
        }
        if (rep) {
            fwrite(s + run, 1, i - run, f);
            fputs(rep, f);
            run = i + k;
        }
        i += k;
    }
    fwrite(s + run, 1, n - run, f);
}

void html_esc_str(FILE *f, const char *s, unsigned flags)
{
    if (s)
        html_esc(f, s, strlen(s), flags);
}

void html_esc_cut(FILE *f, const char *s, size_t n, size_t maxch,
                  unsigned flags)
{
    size_t i = 0, ch = 0, run = 0;
    int sp = 0;

    if (!s)
        return;
    while (i < n && ch < maxch) {
        unsigned cp;
        size_t k = rpt_utf8_next((const unsigned char *)s + i, n - i, &cp);

        if ((flags & HTML_FOLD_SPACE) &&
            (cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r')) {
            html_esc(f, s + run, i - run, flags);
            if (!sp && ch > 0)
                fputc(' ', f);
            run = i + k;
            sp = 1;
        } else {
            sp = 0;
            ch++;
        }
        i += k;
    }
    html_esc(f, s + run, i - run, flags);
    if (i < n)
        fputs(ELLIPSIS, f);
}

/* ------------------------------------------------------------------------
 * Word differences
 * --------------------------------------------------------------------- */

void html_spans_free(html_spans *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* Append the spans of the unflagged words of w[0..n) (offsets + base),
 * joining runs of neighbouring unflagged words into one span. */
static int unmatched_spans(const tsr_word *w, size_t n, const unsigned char *hit,
                           size_t base, html_spans *out)
{
    for (size_t i = 0; i < n; i++) {
        tsr_span s;

        if (hit[i])
            continue;
        s.begin = base + w[i].begin;
        s.end = base + w[i].end;
        if (out->n > 0 && i > 0 && !hit[i - 1]) {
            out->v[out->n - 1].end = s.end;
            continue;
        }
        if (cli_vec_grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v))
            return -1;
        out->v[out->n++] = s;
    }
    return 0;
}

/* Flag the words of a longest common subsequence of wa and wb.  Returns
 * -1 when the table would be too large or memory runs out. */
static int lcs_hits(const tsr_word *wa, size_t na, const tsr_word *wb,
                    size_t nb, unsigned char *ha, unsigned char *hb)
{
    uint16_t *L;

    if (na >= UINT16_MAX || nb >= UINT16_MAX ||
        (double)(na + 1) * (double)(nb + 1) > LCS_MAX_CELLS)
        return -1;
    L = calloc((na + 1) * (nb + 1), sizeof *L);
    if (!L)
        return -1;
    /* L[i][j]: length of the LCS of wa[i..] and wb[j..]. */
    for (size_t i = na; i-- > 0;)
        for (size_t j = nb; j-- > 0;) {
            uint16_t *c = &L[i * (nb + 1) + j];
            if (wa[i].hash == wb[j].hash)
                *c = (uint16_t)(L[(i + 1) * (nb + 1) + j + 1] + 1);
            else {
                uint16_t down = L[(i + 1) * (nb + 1) + j];
                uint16_t right = L[i * (nb + 1) + j + 1];
                *c = down > right ? down : right;
            }
        }
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        if (wa[i].hash == wb[j].hash) {
            ha[i++] = hb[j++] = 1;
        } else if (L[(i + 1) * (nb + 1) + j] >= L[i * (nb + 1) + j + 1]) {
            i++;
        } else {
            j++;
        }
    }
    free(L);
    return 0;
}

static int u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Sorted hashes of w[0..n), or NULL when out of memory. */
static uint64_t *sorted_hashes(const tsr_word *w, size_t n)
{
    uint64_t *h = malloc((n ? n : 1) * sizeof *h);

    if (h) {
        for (size_t i = 0; i < n; i++)
            h[i] = w[i].hash;
        qsort(h, n, sizeof *h, u64_cmp);
    }
    return h;
}

/* Flag the words of each side that the other side has anywhere.  Returns
 * -1 when out of memory. */
static int bag_hits(const tsr_word *wa, size_t na, const tsr_word *wb,
                    size_t nb, unsigned char *ha, unsigned char *hb)
{
    uint64_t *sa = sorted_hashes(wa, na), *sb = sorted_hashes(wb, nb);
    int rc = -1;

    if (sa && sb) {
        for (size_t i = 0; i < na; i++)
            ha[i] = bsearch(&wa[i].hash, sb, nb, sizeof *sb, u64_cmp) != NULL;
        for (size_t j = 0; j < nb; j++)
            hb[j] = bsearch(&wb[j].hash, sa, na, sizeof *sa, u64_cmp) != NULL;
        rc = 0;
    }
    free(sa);
    free(sb);
    return rc;
}

void html_word_diff(const char *a, size_t ab, size_t ae, const char *b,
                    size_t bb, size_t be, int method, html_spans *da,
                    html_spans *db)
{
    tsr_word *wa = NULL, *wb = NULL;
    size_t na = 0, nb = 0;
    unsigned char *ha = NULL, *hb = NULL;

    da->n = db->n = 0;
    if (tsr_tokenize(a + ab, ae - ab, &wa, &na, NULL) != TSR_OK ||
        tsr_tokenize(b + bb, be - bb, &wb, &nb, NULL) != TSR_OK)
        goto done;
    ha = calloc(na + 1, 1);
    hb = calloc(nb + 1, 1);
    if (!ha || !hb)
        goto done;
    if ((method == HTML_DIFF_LCS ? lcs_hits(wa, na, wb, nb, ha, hb)
                                 : bag_hits(wa, na, wb, nb, ha, hb)) != 0)
        goto done;
    if (unmatched_spans(wa, na, ha, ab, da) != 0 ||
        unmatched_spans(wb, nb, hb, bb, db) != 0)
        da->n = db->n = 0;
done:
    free(ha);
    free(hb);
    tsr_free(wa);
    tsr_free(wb);
}

void html_marked(FILE *f, const char *t, size_t b, size_t e,
                 const html_spans *d, unsigned flags)
{
    size_t at = b;

    for (size_t i = 0; d && i < d->n && at < e; i++) {
        size_t x = d->v[i].begin, y = d->v[i].end;

        if (y <= at || x >= e)
            continue;
        if (x < at) x = at;
        if (y > e) y = e;
        html_esc(f, t + at, x - at, flags);
        fputs("<span class=\"d\">", f);
        html_esc(f, t + x, y - x, flags);
        fputs("</span>", f);
        at = y;
    }
    html_esc(f, t + at, e - at, flags);
}

/* ------------------------------------------------------------------------
 * Excerpts
 * --------------------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Move a cut point to a character boundary at or after `i`. */
static size_t char_ceil(const char *t, size_t len, size_t i)
{
    while (i < len && ((unsigned char)t[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* The context [*cb, *ce) around [b, e) of t[0..len), as the essay at the
 * top says. */
static void context_of(const html_excerpt *x, const char *t, size_t len,
                       size_t b, size_t e, size_t *cb, size_t *ce)
{
    const int lines = (x->flags & HTML_CTX_LINES) != 0;
    const int ragged = (x->flags & HTML_CTX_RAGGED) != 0;
    size_t l = b > x->context ? b - x->context : 0;
    size_t r = len - e > x->context ? e + x->context : len;
    size_t k;

    for (k = b; lines && k > l && t[k - 1] != '\n'; k--)
        ;
    if (lines && (k > l || (k > 0 && t[k - 1] == '\n'))) {
        l = k;                          /* the passage's line start */
    } else if (l > 0) {                 /* else start at a word */
        for (k = l; k < b && !is_space(t[k]); k++)
            ;
        l = k < b ? k + 1 : ragged ? l : b;
    }
    for (k = e; lines && k < r && t[k] != '\n'; k++)
        ;
    if (lines && (k < r || (k < len && t[k] == '\n'))) {
        r = k;
    } else if (r < len) {
        for (k = r; k > e && !is_space(t[k - 1]); k--)
            ;
        r = k > e ? k - 1 : ragged ? r : e;
    }
    rpt_clamp_span(t, len, &l, &r);
    *cb = l;
    *ce = r;
}

void html_side(FILE *f, const html_excerpt *x, const char *t, size_t len,
               size_t b, size_t e, const html_spans *d)
{
    size_t cb, ce;

    rpt_clamp_span(t, len, &b, &e);
    context_of(x, t, len, b, e, &cb, &ce);
    fputs("<div class=\"ex\"><span class=\"ctx\">", f);
    if (cb > 0 && t[cb - 1] != '\n')
        fputs(ELLIPSIS, f);
    html_esc(f, t + cb, b - cb, x->flags);
    fputs("</span><span class=\"pas\">", f);
    if (e - b > x->long_span) {
        size_t h = char_ceil(t, len, b + x->head);
        size_t tl = char_ceil(t, len, e - x->tail);
        html_marked(f, t, b, h, d, x->flags);
        fprintf(f, "<span class=\"cut\">[" ELLIPSIS " %zu bytes not shown "
                ELLIPSIS "]</span>", tl - h);
        html_marked(f, t, tl, e, d, x->flags);
    } else {
        html_marked(f, t, b, e, d, x->flags);
    }
    fputs("</span><span class=\"ctx\">", f);
    html_esc(f, t + e, ce - e, x->flags);
    if (ce < len && t[ce] != '\n')
        fputs(ELLIPSIS, f);
    fputs("</span></div>", f);
}

void html_excerpt_css(FILE *f, const html_excerpt *x)
{
    fprintf(f,
        ".ex{font-family:'Iowan Old Style','Palatino Linotype',Palatino,Georgia,serif;"
        "font-size:15.5px;line-height:1.6;white-space:pre-wrap;overflow-wrap:anywhere;"
        "max-height:420px;overflow:auto}\n"
        ".ex .ctx{color:#9ca3af}\n"
        ".ex .pas{background:color-mix(in srgb,var(--t) %u%%,#fff)}\n"
        ".ex .d{background:var(--diff);border-radius:2px;box-shadow:inset 0 -1.5px 0 #d97706}\n"
        ".ex .cut{display:block;text-align:center;color:var(--muted);font:italic 13px "
        "system-ui,sans-serif;margin:6px 0}\n", x->tint);
}

/* ------------------------------------------------------------------------
 * Page frame
 * --------------------------------------------------------------------- */

void html_page_open(FILE *f, const char *prefix, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"tessera ", f);
    html_esc_str(f, tsr_version_string(), 0);
    fputs("\">\n<title>", f);
    html_esc_str(f, prefix, 0);
    html_esc_str(f, title, 0);
    fputs(" \xE2\x80\x94 tessera</title>\n<style>\n", f);
}

void html_page_header(FILE *f, const char *heading, const char *name,
                      unsigned flags)
{
    fputs("</style>\n</head>\n<body>\n<div class=\"wrap\">\n<header class=\"top\"><h1>", f);
    html_esc_str(f, heading, flags);
    fputs("</h1><span class=\"name\">", f);
    html_esc_str(f, name, flags);
    fputs("</span><span class=\"brand\">tessera ", f);
    html_esc_str(f, tsr_version_string(), 0);
    fputs("</span></header>\n", f);
}

void html_page_close(FILE *f, const char *note, const char *script)
{
    fputs("<footer>Made by tessera ", f);
    html_esc_str(f, tsr_version_string(), 0);
    fputs(note, f);
    fputs("</footer>\n</div>\n", f);
    if (script) {
        fputs("<script>\n", f);
        fputs(script, f);
        fputs("</script>\n", f);
    }
    fputs("</body>\n</html>\n", f);
}
