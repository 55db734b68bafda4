/*
 * report.h - human-readable reports of a tessera result: a terminal report
 * (report_text.c) and a self-contained HTML page (report_html.c).
 *
 * Both take the result together with the texts it refers to, because a
 * tsr_result holds byte spans only.  Offsets are UTF-8 byte offsets; the
 * reports clamp spans that fall outside a text and never cut a multi-byte
 * character, so a damaged result gives a damaged report, never a crash.
 *
 * Part of the CLI: uses only the public header, never lib/ internals.
 */
#ifndef TSR_CLI_REPORT_H
#define TSR_CLI_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "tessera.h"

/* What to render.  `src_text` may be NULL (no source text known), and so
 * may any src_text[i]; when `src_text` is set, `src_len` must be too and
 * both have r->n_sources entries. */
typedef struct report_input {
    const char *name;             /* checked text's name (path or "-") */
    const char *text;             /* the checked text, `len` bytes */
    size_t len;
    const tsr_result *r;
    const char *const *src_text;  /* src_text[i]: text of r->sources[i] */
    const size_t *src_len;
} report_input;

/* report_text flags */
#define REPORT_COLOR 0x1u   /* ANSI colours; without it no escape codes */
#define REPORT_FULL  0x2u   /* whole passages, not one-line excerpts */

/* Write a terminal report to `out`: a summary, then per source its
 * passages with spans (bytes and line:col), similarity and what changed
 * between the two sides (a word diff of the passage: the source's words
 * it lacks as [-old-], its own words the source lacks as {+new+}; in red
 * and green instead with REPORT_COLOR), then repeats inside the text and
 * boilerplate.  Excerpts take one line, cut at about 84 columns, unless
 * REPORT_FULL.  REPORT_COLOR also gives each source a colour.  Returns 0,
 * or -1 when out of memory or when writing failed. */
int report_text(FILE *out, const report_input *in, unsigned flags);

/* Write one self-contained HTML5 page to `out` (inline CSS and script, no
 * external resources): summary, coverage bar per source, the checked text
 * with every passage highlighted in its source's colour, and each passage
 * side by side with its source.  Returns 0, or -1 when out of memory or
 * when writing failed. */
int report_html(FILE *out, const report_input *in);

/* ------------------------------------------------------------------------
 * Helpers shared by the two reports (defined in report_text.c).
 * --------------------------------------------------------------------- */

/* Line starts of a text, for byte offset -> line:column. */
typedef struct rpt_lines {
    const char *text;
    size_t len;
    size_t *start;  /* start[i]: byte offset of line i (0-based) */
    size_t n;
} rpt_lines;

/* Index the lines of text[0..len).  Returns 0, or -1 when out of memory. */
int rpt_lines_init(rpt_lines *l, const char *text, size_t len);
void rpt_lines_free(rpt_lines *l);
/* 1-based line and column (in characters) of byte offset `off`. */
void rpt_lines_pos(const rpt_lines *l, size_t off, size_t *line, size_t *col);

/* Clamp the span [*b, *e) to text[0..len) and widen it to whole UTF-8
 * characters (b moves back, e forward, over continuation bytes). */
void rpt_clamp_span(const char *text, size_t len, size_t *b, size_t *e);

/* Decode one UTF-8 character at s[0..n) (n >= 1).  Returns its byte
 * length; *cp gets the code point, U+FFFD for a malformed sequence (then
 * the length is 1). */
size_t rpt_utf8_next(const unsigned char *s, size_t n, unsigned *cp);

/* The start of both reports: *in = *src with a NULL text made empty, and
 * *la the line index of that text.  Returns 0, or -1 when out of memory
 * (nothing to free then). */
int rpt_start(report_input *in, rpt_lines *la, const report_input *src);

/* Number of passages of each source: an array of r->n_sources counts, or
 * NULL when out of memory (or when there are no sources). */
size_t *rpt_count_passages(const tsr_result *r);

#endif /* TSR_CLI_REPORT_H */
