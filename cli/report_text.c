/*
 * report_text.c - the terminal report of a tessera result, and the helpers
 * that the HTML report shares (line index, span clamping, UTF-8 decoding).
 *
 * The report reads top-down: one summary, then each source with its
 * passages (the passage numbers are the 1-based positions in
 * r->passages, the same as in the HTML report and the JSON), then the
 * repeats inside the checked text and its boilerplate lines.  Each passage
 * shows both spans in bytes and as line:column (column in characters),
 * and what changed between the two sides, as `git diff --word-diff` shows
 * it: the passage as it reads in the checked text, with the source's words
 * that it lacks as [-old-] and its own words that the source lacks as
 * {+new+} (in red and green, without the markers, in colour).  Whitespace
 * is collapsed, control and bidirectional-override characters are replaced
 * (the texts are untrusted and must not drive the terminal), and the line
 * is cut to a column budget at a character boundary with "…", or with
 * REPORT_FULL shown whole, line breaks kept.
 *
 * The word diff.  Each side is split into tokens: the words of
 * tsr_tokenize(), and each run of other non-space characters (punctuation)
 * between them.  Tokens are equal when their bytes are (so a change of
 * case, accent or punctuation shows, though the aligner counts such words
 * as identical).  After the common head and tail are set aside, a longest
 * common subsequence of the rest is found by dynamic programming.  A rest
 * of more than DIFF_MAX_CELLS token pairs (about 2,800 tokens a side) is
 * first split at the tokens that occur once on each side, in the same
 * order (patience diff), and each part diffed alike; a part still too
 * large with no such token (or after DIFF_MAX_DEPTH splits within splits)
 * is shown as one change, and the report says so.
 */
#include "cli.h"
#include "report.h"

#include <stdint.h>
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
    int full;        /* REPORT_FULL: whole passages, line breaks kept */
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

/* ------------------------------------------------------------------------
 * Word diff
 * --------------------------------------------------------------------- */

#define DIFF_MAX_CELLS 8000000u
#define DIFF_MAX_DEPTH 32   /* splits at anchors, nested */
#define DIFF_LEAD 4     /* tokens shown before the first change in an excerpt */

/* A token of a span: bytes [b, e) of the text; `gap` says what separates
 * it from the token before: 0 nothing, 1 whitespace, 2 whitespace with a
 * line break. */
typedef struct wtok {
    size_t b, e;
    unsigned char gap;
} wtok;

typedef struct wtoks {
    const char *t;
    wtok *v;
    size_t n, cap;
} wtoks;

static int wtoks_push(wtoks *w, size_t b, size_t e, unsigned char gap)
{
    if (cli_vec_grow((void **)&w->v, &w->cap, w->n + 1, sizeof *w->v))
        return -1;
    w->v[w->n++] = (wtok){ b, e, gap };
    return 0;
}

/* Tokens of t[from..to): each run of non-space characters becomes one
 * token; *gap carries the whitespace seen before the next one. */
static int gap_tokens(wtoks *w, size_t from, size_t to, unsigned char *gap)
{
    const unsigned char *t = (const unsigned char *)w->t;
    size_t i = from, run = from;
    int in_run = 0;

    while (i < to) {
        unsigned cp;
        size_t k = rpt_utf8_next(t + i, to - i, &cp);
        if (is_space_cp(cp)) {
            if (in_run && wtoks_push(w, run, i, *gap) != 0)
                return -1;
            if (in_run)
                *gap = 0;
            in_run = 0;
            if (*gap < 1) *gap = 1;
            if (cp == '\n' || cp == 0x2028 || cp == 0x2029) *gap = 2;
        } else if (!in_run) {
            in_run = 1;
            run = i;
        }
        i += k;
    }
    if (in_run) {
        if (wtoks_push(w, run, to, *gap) != 0)
            return -1;
        *gap = 0;
    }
    return 0;
}

/* Split t[b..e) into tokens: the words of tsr_tokenize() and the runs of
 * other non-space characters between them.  Returns 0, or -1 when out of
 * memory (or the span cannot be tokenized). */
static int tokens_of(wtoks *w, const char *t, size_t b, size_t e)
{
    tsr_word *words = NULL;
    size_t nw = 0, at = b;
    unsigned char gap = 0;
    int rc = 0;

    w->t = t;
    w->n = 0;
    if (e > b && tsr_tokenize(t + b, e - b, &words, &nw, NULL) != TSR_OK)
        return -1;
    for (size_t i = 0; rc == 0 && i < nw; i++) {
        size_t wb = b + words[i].begin, we = b + words[i].end;
        if (wb < at || we > e || wb >= we)
            continue;   /* not expected of tsr_tokenize; skipped */
        rc = gap_tokens(w, at, wb, &gap);
        if (rc == 0)
            rc = wtoks_push(w, wb, we, gap);
        gap = 0;
        at = we;
    }
    if (rc == 0)
        rc = gap_tokens(w, at, e, &gap);
    tsr_free(words);
    return rc;
}

static int tok_eq(const wtoks *x, size_t i, const wtoks *y, size_t j)
{
    const wtok *a = &x->v[i], *b = &y->v[j];
    return a->e - a->b == b->e - b->b && !memcmp(x->t + a->b, y->t + b->b, a->e - a->b);
}

enum { OP_EQ, OP_DEL, OP_INS };

/* One step of a diff: keep token `i` of the new side (OP_EQ), drop token
 * `i` of the old side (OP_DEL) or add token `i` of the new side (OP_INS). */
typedef struct wop {
    unsigned char op;
    size_t i;
} wop;

typedef struct wdiff {
    wop *v;
    size_t n;
    int coarse;      /* a part too long for the LCS, without anchors: one change */
} wdiff;

/* A token's bytes hashed (FNV-1a), to find the tokens that occur once. */
static uint64_t tok_hash(const wtoks *w, size_t i)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t k = w->v[i].b; k < w->v[i].e; k++)
        h = (h ^ (unsigned char)w->t[k]) * 1099511628211ull;
    return h;
}

typedef struct hidx {
    uint64_t h;
    size_t i;
    int side;
} hidx;

static int hidx_cmp(const void *x, const void *y)
{
    const hidx *a = x, *b = y;
    if (a->h != b->h) return a->h < b->h ? -1 : 1;
    if (a->side != b->side) return a->side - b->side;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int pair_cmp(const void *x, const void *y)
{
    const size_t *a = x, *b = y;
    return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* Anchors of old[o0..o1) and new[n0..n1): the tokens that occur once on
 * each side, equal, and in the same order on both (the longest such
 * chain: patience diff).  *out gets pairs (old, new), *n their count.
 * Returns 0, or -1 when out of memory. */
static int anchors(const wtoks *old, size_t o0, size_t o1, const wtoks *new, size_t n0,
                   size_t n1, size_t **out, size_t *n)
{
    const size_t m = (o1 - o0) + (n1 - n0);
    hidx *h = malloc((m ? m : 1) * sizeof *h);
    size_t *pr = malloc((m ? m : 1) * 2 * sizeof *pr), np = 0;
    size_t *tail = NULL, *prev = NULL, len = 0;
    int rc = -1;

    *out = NULL;
    *n = 0;
    if (!h || !pr)
        goto done;
    for (size_t i = o0; i < o1; i++) h[i - o0] = (hidx){ tok_hash(old, i), i, 0 };
    for (size_t j = n0; j < n1; j++) h[o1 - o0 + j - n0] = (hidx){ tok_hash(new, j), j, 1 };
    qsort(h, m, sizeof *h, hidx_cmp);
    for (size_t k = 0; k < m;) {
        size_t r = k;
        while (r < m && h[r].h == h[k].h)
            r++;
        /* one from the old side, one from the new, the same bytes */
        if (r - k == 2 && h[k].side == 0 && h[k + 1].side == 1 &&
            tok_eq(old, h[k].i, new, h[k + 1].i)) {
            pr[2 * np] = h[k].i;
            pr[2 * np + 1] = h[k + 1].i;
            np++;
        }
        k = r;
    }
    qsort(pr, np, 2 * sizeof *pr, pair_cmp);
    /* longest increasing run of new indices (patience sorting) */
    tail = malloc((np ? np : 1) * sizeof *tail);
    prev = malloc((np ? np : 1) * sizeof *prev);
    if (!tail || !prev)
        goto done;
    for (size_t k = 0; k < np; k++) {
        size_t lo = 0, hi = len;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (pr[2 * tail[mid] + 1] < pr[2 * k + 1]) lo = mid + 1;
            else hi = mid;
        }
        prev[k] = lo ? tail[lo - 1] : SIZE_MAX;
        tail[lo] = k;
        if (lo == len)
            len++;
    }
    *out = malloc((len ? len : 1) * 2 * sizeof **out);
    if (!*out)
        goto done;
    for (size_t k = len ? tail[len - 1] : SIZE_MAX, q = len; q-- > 0; k = prev[k]) {
        (*out)[2 * q] = pr[2 * k];
        (*out)[2 * q + 1] = pr[2 * k + 1];
    }
    *n = len;
    rc = 0;
done:
    free(h);
    free(pr);
    free(tail);
    free(prev);
    return rc;
}

/* The diff of old[o0..o1) and new[n0..n1), appended to d: the common head
 * and tail set aside, the rest by LCS when small enough, else split at
 * the patience anchors and each part diffed the same way; a part without
 * anchors that is still too large becomes one change (d->coarse).
 * Returns 0, or -1 when out of memory. */
static int diff_range(const wtoks *old, size_t o0, size_t o1, const wtoks *new, size_t n0,
                      size_t n1, wdiff *d, int depth)
{
    size_t p = 0, s = 0, na, nb;

    while (o0 + p < o1 && n0 + p < n1 && tok_eq(old, o0 + p, new, n0 + p))
        p++;
    while (o0 + p + s < o1 && n0 + p + s < n1 && tok_eq(old, o1 - 1 - s, new, n1 - 1 - s))
        s++;
    for (size_t k = 0; k < p; k++)
        d->v[d->n++] = (wop){ OP_EQ, n0 + k };
    o0 += p; n0 += p; o1 -= s; n1 -= s;
    na = o1 - o0;
    nb = n1 - n0;
    if (na && nb && (double)(na + 1) * (double)(nb + 1) <= DIFF_MAX_CELLS) {
        /* L[i][j]: length of the LCS of old[o0+i..o1) and new[n0+j..n1) */
        uint32_t *L = calloc((na + 1) * (nb + 1), sizeof *L);
        if (!L)
            return -1;
        for (size_t i = na; i-- > 0;)
            for (size_t j = nb; j-- > 0;) {
                uint32_t *c = &L[i * (nb + 1) + j];
                if (tok_eq(old, o0 + i, new, n0 + j))
                    *c = L[(i + 1) * (nb + 1) + j + 1] + 1;
                else {
                    const uint32_t down = L[(i + 1) * (nb + 1) + j];
                    const uint32_t right = L[i * (nb + 1) + j + 1];
                    *c = down > right ? down : right;
                }
            }
        size_t i = 0, j = 0;
        while (i < na || j < nb) {
            if (i < na && j < nb && tok_eq(old, o0 + i, new, n0 + j)) {
                d->v[d->n++] = (wop){ OP_EQ, n0 + j };
                i++;
                j++;
            } else if (j == nb || (i < na && L[(i + 1) * (nb + 1) + j] >=
                                                 L[i * (nb + 1) + j + 1])) {
                d->v[d->n++] = (wop){ OP_DEL, o0 + i++ };
            } else {
                d->v[d->n++] = (wop){ OP_INS, n0 + j++ };
            }
        }
        free(L);
    } else if (na && nb) {
        size_t *an = NULL, nan = 0;
        if (depth < DIFF_MAX_DEPTH && anchors(old, o0, o1, new, n0, n1, &an, &nan) != 0)
            return -1;
        if (nan == 0) {
            d->coarse = 1;
            for (size_t i = o0; i < o1; i++) d->v[d->n++] = (wop){ OP_DEL, i };
            for (size_t j = n0; j < n1; j++) d->v[d->n++] = (wop){ OP_INS, j };
        }
        size_t po = o0, pn = n0;
        for (size_t k = 0; k < nan; k++) {
            if (diff_range(old, po, an[2 * k], new, pn, an[2 * k + 1], d, depth + 1) != 0) {
                free(an);
                return -1;
            }
            d->v[d->n++] = (wop){ OP_EQ, an[2 * k + 1] };
            po = an[2 * k] + 1;
            pn = an[2 * k + 1] + 1;
        }
        if (nan && diff_range(old, po, o1, new, pn, n1, d, depth + 1) != 0) {
            free(an);
            return -1;
        }
        free(an);
    } else {
        for (size_t i = o0; i < o1; i++) d->v[d->n++] = (wop){ OP_DEL, i };
        for (size_t j = n0; j < n1; j++) d->v[d->n++] = (wop){ OP_INS, j };
    }
    for (size_t k = n1; k < n1 + s; k++)
        d->v[d->n++] = (wop){ OP_EQ, k };
    return 0;
}

/* The diff from `old` to `new` (diff_range over both whole).  Returns 0,
 * or -1 when out of memory. */
static int word_diff(const wtoks *old, const wtoks *new, wdiff *d)
{
    d->n = 0;
    d->coarse = 0;
    d->v = malloc((old->n + new->n + 1) * sizeof *d->v);
    if (!d->v)
        return -1;
    return diff_range(old, 0, old->n, new, 0, new->n, d, 0);
}

/* ------------------------------------------------------------------------
 * Excerpt lines
 * --------------------------------------------------------------------- */

/* Writes one excerpt: characters made safe, at most `limit` columns (-1:
 * no limit), whitespace as one space, line breaks (REPORT_FULL) as a new
 * line under the label.  With f NULL it only counts the columns. */
typedef struct lwriter {
    FILE *f;
    const tout *o;
    long limit, w;
    int stop;           /* the limit was reached */
    int pending;        /* a space to write before the next character */
    const char *sgr;    /* colour of the group being written, or NULL */
} lwriter;

static void lw_newline(lwriter *lw)
{
    lw->pending = 0;
    if (!lw->f)
        return;
    if (lw->sgr && lw->o->color)
        fputs("\033[0m", lw->f);
    fputs("\n             ", lw->f);
    sgr(lw->o, "2");
    fputs("\xE2\x94\x82 ", lw->f);
    sgr(lw->o, "0");
    if (lw->sgr && lw->o->color)
        fprintf(lw->f, "\033[%sm", lw->sgr);
}

/* Whether `cols` more columns (after a pending space) fit. */
static int lw_fits(lwriter *lw, long cols)
{
    if (lw->stop)
        return 0;
    if (lw->limit >= 0 && lw->w + lw->pending + cols > lw->limit) {
        lw->stop = 1;
        return 0;
    }
    if (lw->pending) {
        if (lw->f) fputc(' ', lw->f);
        lw->w++;
        lw->pending = 0;
    }
    lw->w += cols;
    return 1;
}

/* Characters of s[0..n), none of them whitespace. */
static void lw_chars(lwriter *lw, const char *s, size_t n)
{
    for (size_t i = 0; i < n && !lw->stop;) {
        const char *c = s + i;
        unsigned cp;
        size_t k = rpt_utf8_next((const unsigned char *)c, n - i, &cp);
        int cw;

        i += k;
        if (cp == 0xFFFD || is_unsafe_cp(cp) || is_space_cp(cp)) {
            cp = 0xFFFD;
            c = "\xEF\xBF\xBD";
            k = 3;
        }
        cw = utf8proc_charwidth((utf8proc_int32_t)cp);
        if (cw < 0) cw = 1;
        if (lw_fits(lw, cw) && lw->f)
            fwrite(c, 1, k, lw->f);
    }
}

/* A marker ("[-", "-]", "{+", "+]"), written without colour only. */
static void lw_marker(lwriter *lw, const char *m)
{
    if (!lw->o->color && lw_fits(lw, (long)strlen(m)) && lw->f)
        fputs(m, lw->f);
}

/* What separates token t from what was written before it. */
static void lw_gap(lwriter *lw, const wtok *t, int first)
{
    if (first || lw->stop || !t->gap)
        return;
    if (t->gap == 2 && lw->o->full)
        lw_newline(lw);
    else
        lw->pending = 1;
}

/* Write steps [from, to) of the diff with their marks (d NULL: tokens
 * [from, to) of `nw` as they are). */
static void lw_diff(lwriter *lw, const wtoks *ow, const wtoks *nw, const wdiff *d,
                    size_t from, size_t to)
{
    int first = 1;
    size_t n = to;

    for (size_t k = from; k < n && !lw->stop;) {
        if (!d || d->v[k].op == OP_EQ) {
            const wtok *t = &nw->v[d ? d->v[k].i : k];
            lw_gap(lw, t, first);
            lw_chars(lw, nw->t + t->b, t->e - t->b);
            first = 0;
            k++;
            continue;
        }
        size_t r = k;
        while (r < n && d->v[r].op != OP_EQ)
            r++;
        int had_del = 0;
        for (int pass = OP_DEL; pass <= OP_INS; pass++) {
            const wtoks *w = pass == OP_DEL ? ow : nw;
            int opened = 0;
            for (size_t q = k; q < r && !lw->stop; q++) {
                if (d->v[q].op != pass)
                    continue;
                const wtok *t = &w->v[d->v[q].i];
                if (!opened) {
                    lw_gap(lw, t, first || (pass == OP_INS && had_del));
                    lw_marker(lw, pass == OP_DEL ? "[-" : "{+");
                    lw->sgr = pass == OP_DEL ? "31" : "32";
                    /* the space before the group stays uncoloured */
                    if (lw->o->color && lw_fits(lw, 0) && lw->f)
                        fprintf(lw->f, "\033[%sm", lw->sgr);
                    opened = 1;
                } else {
                    lw_gap(lw, t, 0);
                }
                lw_chars(lw, w->t + t->b, t->e - t->b);
            }
            if (opened) {
                if (lw->f && lw->o->color)
                    fputs("\033[0m", lw->f);
                lw->sgr = NULL;
                lw_marker(lw, pass == OP_DEL ? "-]" : "+}");
                had_del = pass == OP_DEL;
                first = 0;
            }
        }
        k = r;
    }
}

/* The line "label │ excerpt": the tokens of `nw` with the marks of `d`
 * (d NULL: no marks), cut to EXCERPT_COLS columns with "…" unless
 * REPORT_FULL.  When the first change would fall past the first half of
 * the line, the excerpt starts a few words before it, after a "…". */
static void put_tokens(const tout *o, const char *label, const wtoks *ow, const wtoks *nw,
                       const wdiff *d)
{
    lwriter lw = { NULL, o, -1, 0, 0, 0, NULL };
    const size_t n = d ? d->n : nw->n;
    size_t from = 0;

    fputs("      ", o->f);
    sgr(o, "2");
    fprintf(o->f, "%-6s \xE2\x94\x82 ", label);
    sgr(o, "0");
    if (!o->full) {         /* measure first: cut only what does not fit */
        size_t k0 = 0;
        while (d && k0 < n && d->v[k0].op == OP_EQ)
            k0++;
        if (d && k0 < n && k0 > DIFF_LEAD) {
            lw_diff(&lw, ow, nw, d, 0, k0);
            if (lw.w > EXCERPT_COLS / 2)
                from = k0 - DIFF_LEAD;
            lw.w = 0;
            lw.stop = lw.pending = 0;
        }
        lw_diff(&lw, ow, nw, d, from, n);
        if (lw.w + (from > 0) > EXCERPT_COLS)
            lw.limit = EXCERPT_COLS - 1;
    }
    lw.f = o->f;
    lw.w = 0;
    lw.pending = 0;
    lw.stop = 0;
    lw.sgr = NULL;
    if (from > 0) {
        fputs("\xE2\x80\xA6", o->f);
        lw.w = 1;
    }
    lw_diff(&lw, ow, nw, d, from, n);
    if (lw.stop) {
        if (o->color)
            fputs("\033[0m", o->f);
        fputs("\xE2\x80\xA6", o->f);
    }
    fputc('\n', o->f);
}

/* The line "label │ excerpt" of s[0..n), no marks.  Returns 0, or -1
 * when out of memory. */
static int put_excerpt(const tout *o, const char *label, const char *s, size_t n)
{
    wtoks w = { 0 };
    int rc = tokens_of(&w, s, 0, n);

    if (rc == 0)
        put_tokens(o, label, NULL, &w, NULL);
    free(w.v);
    return rc;
}

/* A passage: its spans, its measures, and what changed from the source
 * to the text (or the text alone when the source's is not known).
 * Returns 0, or -1 when out of memory. */
static int put_passage(const tout *o, const report_input *in,
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
    if (!st) {
        if (put_excerpt(o, "text", in->text + ab, ae - ab) != 0)
            return -1;
        return put_excerpt(o, "source", "(text not available)", 20);
    }
    wtoks ow = { 0 }, nw = { 0 };
    wdiff d = { 0 };
    int rc = tokens_of(&ow, st, bb, be);
    if (rc == 0) rc = tokens_of(&nw, in->text, ab, ae);
    if (rc == 0) rc = word_diff(&ow, &nw, &d);
    if (rc == 0) {
        put_tokens(o, "diff", &ow, &nw, &d);
        if (d.coarse) {
            fputs("      ", o->f);
            sgr(o, "2");
            fputs("(too long to compare word by word: shown as one change)", o->f);
            sgr(o, "0");
            fputc('\n', o->f);
        }
    }
    free(ow.v);
    free(nw.v);
    free(d.v);
    return rc;
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

/* How the word diffs read. */
static void put_legend(const tout *o)
{
    fputs("Changes: ", o->f);
    if (o->color) {
        fputs("\033[31monly in the source\033[0m \xC2\xB7 \033[32monly in the text\033[0m\n",
              o->f);
    } else {
        fputs("[-only in the source-] {+only in the text+}\n", o->f);
    }
}

int report_text(FILE *out, const report_input *in0, unsigned flags)
{
    report_input in1;          /* in0 with a NULL text made empty */
    const report_input *in = &in1;
    const tsr_result *r = in0->r;
    tout o = { out, (flags & REPORT_COLOR) != 0, (flags & REPORT_FULL) != 0 };
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
    for (size_t i = 0; i < r->n_passages; i++)
        if (r->passages[i].source < r->n_sources && in->src_text &&
            in->src_text[r->passages[i].source]) {
            put_legend(&o);
            break;
        }

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
        for (size_t i = first[s]; rc == 0 && i < first[s + 1]; i++)
            rc = put_passage(&o, in, &la, lsp, order[i]);
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
        for (size_t i = 0; rc == 0 && i < r->n_passages; i++)
            if (r->passages[i].source >= r->n_sources)
                rc = put_passage(&o, in, &la, NULL, i);
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
            if (put_excerpt(&o, "text", in->text + b, e - b) != 0)
                rc = -1;
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
            if (put_excerpt(&o, "text", in->text + b, e - b) != 0)
                rc = -1;
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
