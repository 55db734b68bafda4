/*
 * html.h - the HTML pieces that the CLI's two HTML reports share
 * (html.c): the check/align report (report_html.c) and the discover
 * report (discover_out.c).  Each report keeps its own layout; what is
 * here is what they write alike: escaping of untrusted text, the
 * side-by-side excerpt of one side of a passage pair with its context and
 * its differing words marked, and the frame of a page (head, header bar,
 * footer).
 *
 * Every writer takes a FILE and ignores write errors: the callers check
 * ferror() once at the end of a page.  Texts are UTF-8 byte ranges;
 * malformed UTF-8 never stops a writer, it is shown as U+FFFD.
 *
 * Part of the CLI: uses only the public header, never lib/ internals.
 */
#ifndef TSR_CLI_HTML_H
#define TSR_CLI_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "tessera.h"

/* ------------------------------------------------------------------------
 * Flags.  One set of bits; each function says which ones it reads.
 * --------------------------------------------------------------------- */

/* Escaping: show a bidirectional control (U+202A-202E, U+2066-2069) as a
 * visible chip, <span class="cc">U+202E</span>, which the page must style.
 * Without it such a character becomes U+FFFD.  For element text only,
 * never for attribute values or <title>. */
#define HTML_BIDI_VISIBLE 0x1u
/* html_esc_cut: write each run of whitespace as one space (none leading),
 * and count only the other characters against the limit. */
#define HTML_FOLD_SPACE   0x2u
/* Excerpts: keep the context inside the lines of the passage. */
#define HTML_CTX_LINES    0x4u
/* Excerpts: context with no whitespace to start or end at is cut at a
 * character (right for scripts written without spaces); without this
 * flag it is left out. */
#define HTML_CTX_RAGGED   0x8u

/* ------------------------------------------------------------------------
 * Escaping
 * --------------------------------------------------------------------- */

/* Write s[0..n) escaped for HTML element text or a quoted attribute value
 * (& < > " ' become entities).  Malformed UTF-8 and control characters
 * other than tab, CR and LF (C0, DEL, C1: not allowed in HTML) become
 * U+FFFD.  Bidirectional controls, which would silently reorder the text
 * after them (a known way to disguise copied text), become U+FFFD, or a
 * visible chip with HTML_BIDI_VISIBLE.  `s` NULL writes nothing. */
void html_esc(FILE *f, const char *s, size_t n, unsigned flags);

/* html_esc() of the NUL-terminated `s`; NULL writes nothing. */
void html_esc_str(FILE *f, const char *s, unsigned flags);

/* At most `maxch` characters of s[0..n), escaped, and "…" when cut.
 * Reads HTML_BIDI_VISIBLE and HTML_FOLD_SPACE. */
void html_esc_cut(FILE *f, const char *s, size_t n, size_t maxch,
                  unsigned flags);

/* ------------------------------------------------------------------------
 * Words that differ between the two sides of a passage pair
 * --------------------------------------------------------------------- */

/* Byte spans, sorted and disjoint.  Zero-initialise; the arrays grow as
 * needed and may be reused (n reset) for the next pair. */
typedef struct html_spans {
    tsr_span *v;
    size_t n, cap;
} html_spans;

void html_spans_free(html_spans *s);

/* How html_word_diff() pairs the words of the two sides. */
enum {
    /* Longest common subsequence: words outside it differ.  Shows what a
     * reader expects, but quadratic, so spans past a limit (about two
     * million word pairs) are shown without marks. */
    HTML_DIFF_LCS,
    /* Bag of words: a word differs when the other side lacks it anywhere.
     * Cheap for spans of any length, and still shows the substitutions
     * and insertions a reader looks for; misses moved words. */
    HTML_DIFF_BAG
};

/* The differing words of a[ab..ae) into `da` and of b[bb..be) into `db`,
 * as spans of byte offsets into a and b; neighbouring differing words
 * make one span.  Words are compared as tsr_tokenize() hashes them, so
 * case and accents do not count.  Leaves both empty when a text cannot be
 * tokenized, when the LCS would be too large, or when memory runs out:
 * the excerpts are then shown without marks. */
void html_word_diff(const char *a, size_t ab, size_t ae, const char *b,
                    size_t bb, size_t be, int method, html_spans *da,
                    html_spans *db);

/* Write t[b..e) escaped, the parts inside the spans of `d` (may be NULL)
 * wrapped in <span class="d">.  Reads HTML_BIDI_VISIBLE. */
void html_marked(FILE *f, const char *t, size_t b, size_t e,
                 const html_spans *d, unsigned flags);

/* ------------------------------------------------------------------------
 * Side-by-side excerpts
 * --------------------------------------------------------------------- */

/* How a report shows one side of a passage pair. */
typedef struct html_excerpt {
    size_t context;     /* bytes of context, at most, on each side */
    size_t long_span;   /* a longer passage is cut in the middle ... */
    size_t head, tail;  /* ... to its first `head` and last `tail` bytes */
    unsigned tint;      /* passage background: percent of the colour --t */
    unsigned flags;     /* HTML_BIDI_VISIBLE, HTML_CTX_LINES, HTML_CTX_RAGGED */
} html_excerpt;

/* Write <div class="ex">: the context before t[b..e) (starting at a line
 * or word, "…" when it starts mid-line), the passage with the spans of
 * `d` (may be NULL) marked, cut in the middle when long, and the context
 * after it.  `t` must not be NULL; the span is clamped to t[0..len). */
void html_side(FILE *f, const html_excerpt *x, const char *t, size_t len,
               size_t b, size_t e, const html_spans *d);

/* Write the style rules of the classes html_side() writes (ex, ctx, pas,
 * d, cut), for the page's style sheet. */
void html_excerpt_css(FILE *f, const html_excerpt *x);

/* ------------------------------------------------------------------------
 * Page frame
 * --------------------------------------------------------------------- */

/* Write the start of a page up to an open <style> element, into which the
 * caller writes its style sheet: doctype, meta tags (tessera's version as
 * generator) and the title: `prefix` then `title` (both escaped, either
 * may be NULL) then " — tessera". */
void html_page_open(FILE *f, const char *prefix, const char *title);

/* Close the style sheet and the head, open the body and its <div
 * class="wrap">, and write the header bar: <h1>HEADING</h1>, the name
 * (class "name") and the brand.  `flags`: escaping of heading and name. */
void html_page_header(FILE *f, const char *heading, const char *name,
                      unsigned flags);

/* Write the footer "Made by tessera VERSION" followed by `note` (markup,
 * written as is), close the wrapper, add `script` (may be NULL) in a
 * <script> element, and close the page. */
void html_page_close(FILE *f, const char *note, const char *script);

#endif /* TSR_CLI_HTML_H */
