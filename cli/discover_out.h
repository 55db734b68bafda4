/*
 * discover_out.h - the outputs of `tessera discover` (discover_out.c): JSON
 * Lines of passage pairs, JSON Lines of families, an SQLite database and a
 * browsable HTML report, all from one tsr_discovery.
 *
 * A discovery holds document numbers only; the writers name documents by
 * their ids, titles, dates and series, looked up once per document in a
 * dsc_docs cache.  Files are written whole or not at all (atomic.h), so a
 * killed run never leaves a partial output under the final name.
 *
 * Part of the CLI: uses only the public header, never lib/ internals.
 */
#ifndef TSR_CLI_DISCOVER_OUT_H
#define TSR_CLI_DISCOVER_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tessera.h"

/* ------------------------------------------------------------------------
 * Document fields, fetched once per document
 * --------------------------------------------------------------------- */

/* One document that a discovery mentions.  Strings are NULL when unknown. */
typedef struct dsc_doc {
    int64_t docno;
    char *id, *title, *date, *series;
    size_t text_len;
    char *text;          /* with --text or --offsets chars: the text, else NULL */
    size_t *ckpt;        /* with --offsets chars: code points before each
                          * DSC_CKPT bytes (dsc_chars) */
    char *fields;        /* with --fields: the fields echoed, a JSON object */
    char *js_id;         /* "id":..., and ,"title":...,"date":...,"series":..., */
    char *js_meta;       /* as a span writes them (NULL when out of memory) */
} dsc_doc;

/* The documents of a discovery (every a_doc, b_doc and member), sorted by
 * docno, and what the writers add (set by dsc_docs_load). */
typedef struct dsc_docs {
    size_t n;
    dsc_doc *v;
    int text;            /* write each span's text */
    int chars;           /* write offsets as code points */
    int fields;          /* write each document's "fields" */
} dsc_docs;

#define DSC_CKPT 4096

/* Byte offset `off` of document `dd` as it is written: itself, or with
 * docs->chars its count of code points (-1 when the text is unknown: a
 * document the index no longer has). */
long long dsc_offset(const dsc_docs *docs, const dsc_doc *dd, uint32_t off);
/* Byte offset `off` of `dd` as a count of code points, whatever
 * docs->chars says (-1 when the text or its checkpoints are not loaded). */
long long dsc_chars(const dsc_doc *dd, uint32_t off);

/* Called while loading documents: done of total. */
typedef void (*dsc_tick_fn)(void *ud, uint64_t done, uint64_t total);

/* Fetch the fields of every document `d` mentions, with tsr_index_get_info,
 * each once.  A document the index no longer has gets a NULL id (the
 * writers then name it "#docno").  Returns TSR_OK or the status of the
 * failure (message in *err). */
int dsc_docs_load(dsc_docs *c, tsr_index *ix, const tsr_discovery *d,
                  dsc_tick_fn tick, void *ud, tsr_error *err);
/* The same, keeping what --text (`text`), --offsets chars (`chars`) and
 * --fields (`fields`, NULL when absent) need: the texts of every document
 * mentioned are then held in memory. */
int dsc_docs_load_ex(dsc_docs *c, tsr_index *ix, const tsr_discovery *d, int text,
                     int chars, const char *fields, dsc_tick_fn tick, void *ud,
                     tsr_error *err);
/* The entry of `docno`, or NULL. */
const dsc_doc *dsc_docs_find(const dsc_docs *c, int64_t docno);
void dsc_docs_free(dsc_docs *c);

/* ------------------------------------------------------------------------
 * Writers.  Each returns 0, or -1 when writing failed or memory ran out
 * (errno set when the system said why); dsc_write_html, an exit code.
 * --------------------------------------------------------------------- */

/* One line per passage pair (doc/json.md, "tessera discover"):
 *   {"family": F, "a": {"id", "begin", "end", "title", "date", "series"},
 *    "b": {...}, "similarity": S, "words": [A, B], "matches": M} */
int dsc_write_links(FILE *f, const tsr_discovery *d, const dsc_docs *docs);

/* One line per family: size, links, origin, same-series share, members. */
int dsc_write_families(FILE *f, const tsr_discovery *d, const dsc_docs *docs);

/* passim's clusters output: one line per member (passage) of each family,
 * families in order, members in theirs:
 *   {"uid": docno, "cluster": F, "size": members, "pboiler": same-series
 *    share, "id", "begin", "end" (code points), "title", "date", "series"
 *    (when known), the document's fields (docs loaded with --fields or
 *    "all"; keys of a passim record's own left out), "text": the passage}
 * `docs` must have been loaded with the texts and code-point checkpoints
 * (dsc_docs_load_ex with text and chars); offsets are then code points
 * whatever docs->chars says.  See doc/json.md. */
int dsc_write_passim(FILE *f, const tsr_discovery *d, const dsc_docs *docs);

/* One parameter of the run, for the SQLite summary: an integer, a real or
 * a text (NULL: SQL NULL), by `type` 'i', 'r' or 's'. */
typedef struct dsc_param {
    const char *key;
    int type;
    long long i;
    double r;
    const char *s;
} dsc_param;

/* An SQLite database at `path`, which must be absent or an empty file
 * (the caller passes a new temporary, cli_atomic's, and renames; the file
 * is written into, never replaced, so the caller's fsync of it holds):
 * tables documents, passages, families, members, summary, filled in one
 * transaction; the summary holds the counts of `d` and the run's
 * parameters `params[0..n_params)`.  On failure `msg` (may be NULL) gets
 * the step and the reason ("committing: database or disk is full"), not the
 * file name (the caller names the file the user knows). */
int dsc_write_sqlite(const char *path, const tsr_discovery *d,
                     const dsc_docs *docs, const dsc_param *params, size_t n_params,
                     char *msg, size_t msglen);

/* A browsable report in directory `dir` (created when missing):
 * index.html (summary, family-size histogram, timeline, the largest
 * families) and family-N.html for each family listed, with excerpts of
 * the texts fetched from `ix`; each page written whole or not at all.
 * Returns EXIT_OK, or prints the reason and returns an exit code. */
int dsc_write_html(const char *dir, tsr_index *ix, const tsr_discovery *d,
                   const dsc_docs *docs);

/* Families listed in index.html, each with its own page. */
#define DSC_HTML_FAMILIES 200

#endif /* TSR_CLI_DISCOVER_OUT_H */
