/*
 * tessera.h - the public API of tessera, a text-reuse engine.
 *
 * If it is not in this header, it is not API.  Everything else under lib/
 * may change without notice.
 *
 * OVERVIEW
 *
 * tessera finds passages of text that were reused: copied verbatim or
 * reworded (words swapped, inserted, deleted; sentences reordered or
 * rewritten), within one text, between two, between a text and an indexed
 * corpus, and across a whole corpus; and near-duplicate documents,
 * repeated substrings and boilerplate lines.  One file of lib/ per stage:
 *
 *   reader    documents from files: text, directories, JSON Lines, WARC
 *             WET, gzip/zstd (reader.c)
 *   text      UTF-8 validation, Unicode normalization and case folding,
 *             words with their byte offsets (text.c)
 *   ngram     word n-gram hashes (XXH3) and winnowed fingerprints
 *             (fingerprint.c)
 *   align     seeds -> runs -> clusters -> banded word alignment ->
 *             passages (align.c); then, in tsr_align, the sentence stage
 *             for rewritten text and summaries (paraphrase.c)
 *   signif    each passage's E-value: how many as strong a search of the
 *             corpus would give by chance (signif.c)
 *   index     a directory: SQLite catalog + immutable, checksummed,
 *             memory-mapped posting segments (catalog.c, segment.c,
 *             index.c), sharded for many machines (shard.c), with a cache
 *             of tokenized documents (cache.c)
 *   check     one text against an index (check.c)
 *   discover  every passage shared by two documents of an index, grouped
 *             into reuse families (discover.c)
 *   dedup     near-duplicate documents: MinHash and LSH (minhash.c,
 *             dedup.c, dedup_index.c), verified by alignment
 *             (dedup_verify.c); repeated substrings (substr.c, suffix
 *             arrays); boilerplate lines (boiler.c)
 *   report    results, their coverage and sources (result.c), as JSON
 *             (json.c)
 *
 * WAYS TO USE IT
 *
 * 1. One-shot, one pair of texts, no index:
 *
 *      tsr_params p; tsr_params_default(&p);
 *      tsr_result *r = NULL; tsr_error e;
 *      if (tsr_align(a, alen, b, blen, &p, &r, &e) != TSR_OK)
 *          fprintf(stderr, "%s\n", e.message);
 *      for (size_t i = 0; i < r->n_passages; i++) ... r->passages[i] ...
 *      tsr_result_free(r);
 *
 * 2. Incremental indexing:
 *
 *      tsr_index *ix = NULL;
 *      tsr_index_open("news.tsr", TSR_OPEN_CREATE, &ix, &e);
 *      for (each document) tsr_index_add(ix, &doc, &e);
 *      tsr_index_commit(ix, &e);       // durable from here on
 *      tsr_index_close(ix);
 *
 * 3. Index query:
 *
 *      tsr_index_open("news.tsr", TSR_OPEN_READONLY, &ix, &e);
 *      tsr_index_check(ix, text, len, &p, &r, &e);
 *      char *json = tsr_result_json(r, 0);  ... tsr_free(json);
 *      tsr_result_free(r); tsr_index_close(ix);
 *
 * 4. Discovery over an index: tsr_discover (tsr_discover_opts), its
 *    tsr_discovery holding the passage pairs (tsr_link) and families.
 *
 * 5. Dedup of a stream of documents: tsr_dedup_create, tsr_dedup_add per
 *    document, tsr_dedup_run, then tsr_dedup_kept_as / tsr_dedup_clusters;
 *    tsr_substr_* for repeated substrings, tsr_boiler_* for boilerplate
 *    lines; documents from files through tsr_reader_open / _next.
 *
 * ERRORS
 *
 * Calls that can fail return an int status (TSR_OK == 0 on success, else a
 * tsr_status code) and take an optional `tsr_error *` (may be NULL) that
 * receives a one-line message naming what failed: the file, line or byte.
 * The library never prints and never exits.
 *
 * THREADS
 *
 * - tsr_params, tsr_result, tsr_doc: plain values; share read-only freely.
 * - tsr_index opened TSR_OPEN_READONLY: tsr_index_check, tsr_index_get,
 *   tsr_index_get_docno, tsr_index_get_info, tsr_index_stats,
 *   tsr_index_near_duplicate and tsr_discover may be called from many
 *   threads at once on one handle.
 *   tsr_index_refresh must not run concurrently with other calls on the
 *   same handle.  A snapshot taken with tsr_index_read_begin holds for the
 *   gets of every thread on the handle until it ends.
 * - tsr_index opened for writing: one thread at a time.  Only one writer
 *   per index directory (a lock file enforces it; a second writer gets
 *   TSR_ERR_LOCKED).  Readers in other processes may run at any time and
 *   see the state of the last completed commit.
 *
 * CAVEATS
 *
 * - Offsets are byte offsets into the UTF-8 text as given, end exclusive.
 * - Texts must be valid UTF-8 without NUL bytes; anything else is refused
 *   with TSR_ERR_UTF8 / TSR_ERR_NUL and the byte offset of the fault
 *   (tsr_params.allow_nul lets NUL bytes pass as spaces).
 * - Words are runs of letters, digits and combining marks.  Scripts written
 *   without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) give
 *   one word per character.
 */
#ifndef TESSERA_H
#define TESSERA_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && __GNUC__ >= 4
#  define TSR_API __attribute__((visibility("default")))
#else
#  define TSR_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Version
 * --------------------------------------------------------------------- */
#define TSR_VERSION_MAJOR 0
#define TSR_VERSION_MINOR 1
#define TSR_VERSION_PATCH 0
#define TSR_VERSION_STRING "0.1.0"
#define TSR_VERSION_NUMBER \
    (TSR_VERSION_MAJOR * 10000 + TSR_VERSION_MINOR * 100 + TSR_VERSION_PATCH)

/** The library's version as a number (see TSR_VERSION_NUMBER). */
TSR_API unsigned tsr_version_number(void);
/** The library's version as a static string, e.g. "0.1.0". */
TSR_API const char *tsr_version_string(void);

/* ------------------------------------------------------------------------
 * Status codes.  Never renumbered; retired codes keep their slot.
 * --------------------------------------------------------------------- */
typedef enum tsr_status {
    TSR_OK = 0,
    TSR_ERR_NOMEM = 1,     /* out of memory */
    TSR_ERR_IO = 2,        /* a read, write, fsync or rename failed */
    TSR_ERR_UTF8 = 3,      /* text is not valid UTF-8 */
    TSR_ERR_NUL = 4,       /* text contains a NUL byte */
    TSR_ERR_FORMAT = 5,    /* an index file has a bad magic or is truncated */
    TSR_ERR_CHECKSUM = 6,  /* an index file fails its checksum */
    TSR_ERR_VERSION = 7,   /* an index file has an unsupported format version */
    TSR_ERR_CORRUPT = 8,   /* the catalog is inconsistent with the segments */
    TSR_ERR_INVALID = 9,   /* a bad argument or parameter */
    TSR_ERR_JSON = 10,     /* malformed JSON input */
    TSR_ERR_NOTFOUND = 11, /* no such document, file or index */
    TSR_ERR_DUPLICATE = 12,/* a document id is already indexed */
    TSR_ERR_DB = 13,       /* the SQLite catalog failed */
    TSR_ERR_TOOBIG = 14,   /* input over a size limit */
    TSR_ERR_LOCKED = 15,   /* another writer holds the index */
    TSR_ERR_EMPTY = 16,    /* input has no words */
    TSR_ERR_READONLY = 17, /* a write on a read-only handle, or one the files refuse */
    TSR_ERR_NOSPACE = 18,  /* the disk is full (ENOSPC, EDQUOT, SQLITE_FULL) */
    TSR_ERR_TIMEOUT = 19,  /* a time limit passed (tsr_index_check_timed) */
    TSR_STATUS_MAX_ = 20
} tsr_status;

/** A static, human-readable description of a status code. */
TSR_API const char *tsr_strerror(int status);

/** Error detail filled in by failing calls.  `code` repeats the status. */
typedef struct tsr_error {
    int code;
    char message[512];
} tsr_error;

/** Free memory that a tsr_* call returned as a plain buffer (char *). */
TSR_API void tsr_free(void *p);

/* ------------------------------------------------------------------------
 * Parameters
 * --------------------------------------------------------------------- */
/* Values of tsr_params.paraphrase. */
enum { TSR_PARAPHRASE_OFF = 0, TSR_PARAPHRASE_ALIGN = 1, TSR_PARAPHRASE_ALL = 2 };

typedef struct tsr_params {
    /* Fingerprints (index and candidate search).  Any run of at least
     * (ngram + window - 1) identical words shared by two texts yields at
     * least one shared fingerprint (the winnowing guarantee). */
    int ngram;          /* words per n-gram; default 4 */
    int window;         /* winnowing window, in n-grams; default 5 */

    /* Alignment */
    int seed;           /* words per alignment seed; default 3 */
    int max_gap;        /* largest gap, in words, inside one passage; default 50 */
    int min_words;      /* shortest passage reported, in words; default 15.
                         * check and discovery also report a shorter one, down
                         * to 2/3 of it (at least 8), when it is all the
                         * aligner finds in the pair and its E-value is 10^7
                         * times below max_evalue (none with no cut) */
    double min_similarity; /* least share of matching words; default 0.5 */
    /* Significance: a passage is reported only when its E-value (the
     * number of passages as strong expected by chance in the search, from
     * the corpus's n-gram document frequencies; tsr_passage.evalue) is at
     * most this; default 10 (a few as strong expected by chance in the
     * whole search, with each figure that one span holds and the other
     * lacks counted against: template look-alikes fail it); 0 or less
     * reports every passage (no cut).  Passages of the sentence stage
     * (TSR_KIND_PARAPHRASE) are not cut: they share terms, not n-grams,
     * and have a test of their own.
     * Without a corpus (tsr_align) every E-value is at most 1, so the
     * default keeps every aligned passage.  The cost in recall is small
     * for copies and for reuse reworded at 15%, larger for heavily
     * reworded text in discovery (EVAL.md). */
    double max_evalue;
    /* The sentence stage (paraphrase.c), which also looks for reuse whose
     * words and word order changed, sentence by sentence (tf-isf cosine
     * and Dice of stemmed content words), where the aligner found nothing,
     * extends the aligner's passages by the sentences next to them that
     * are alike so, and finds summaries (a short text condensing a longer
     * stretch, in order).  Where it runs:
     *   TSR_PARAPHRASE_OFF (0)    nowhere;
     *   TSR_PARAPHRASE_ALIGN (1)  in tsr_align only (the default);
     *   TSR_PARAPHRASE_ALL (2)    also on every candidate of
     *                             tsr_index_check and every pair of
     *                             discovery, which then read each
     *                             document's sentences and stems beside
     *                             its words (the document cache keeps
     *                             them): checks take about twice as long,
     *                             discovery 1.4-1.7 times (BENCHMARKS.md).
     *                             It adds passages only between texts
     *                             that share fingerprints. */
    int paraphrase;

    /* Index query */
    int max_candidates; /* source documents aligned per check; default 64 */
    int min_shared;     /* fingerprints a candidate must share; default 2 */
    /* A fingerprint held by more than this many documents marks
     * boilerplate: it is not used to find candidates, and lines of the
     * checked text made of such fingerprints are reported as boilerplate.
     * 0 = automatic: max(20, documents / 500). */
    int boilerplate_df;

    /* Input: 0 (default) refuses texts with NUL bytes (TSR_ERR_NUL); 1
     * reads a NUL byte as a space (some real web text holds stray NULs). */
    int allow_nul;
} tsr_params;

/** Fill `p` with the defaults above. */
TSR_API void tsr_params_default(tsr_params *p);

/** Check a parameter set; TSR_ERR_INVALID with a message naming the field. */
TSR_API int tsr_params_validate(const tsr_params *p, tsr_error *err);

/* ------------------------------------------------------------------------
 * Text analysis
 * --------------------------------------------------------------------- */

/** Check that `text` is valid UTF-8 without NUL bytes.  On failure returns
 *  TSR_ERR_UTF8 or TSR_ERR_NUL and sets *bad_offset to the first bad byte. */
TSR_API int tsr_utf8_check(const char *text, size_t len, size_t *bad_offset);

/** One word of an analyzed text. `hash` identifies the normalized word
 *  (NFKC, case folded, marks stripped); begin/end are byte offsets into
 *  the original text. */
typedef struct tsr_word {
    uint64_t hash;
    uint32_t begin;
    uint32_t end;
} tsr_word;

/** Split `text` into words.  On success *out is an array of *n words that
 *  the caller frees with tsr_free (NULL when *n is 0).  Texts of 4 GiB or
 *  more are refused with TSR_ERR_TOOBIG. */
TSR_API int tsr_tokenize(const char *text, size_t len, tsr_word **out,
                         size_t *n, tsr_error *err);

/** Winnowed fingerprints of a word sequence, in text order, each the hash
 *  of `p->ngram` consecutive words.  *out is freed with tsr_free; `pos`
 *  (may be NULL) receives the index of the first word of each n-gram,
 *  also freed with tsr_free. */
TSR_API int tsr_fingerprints(const tsr_word *words, size_t n,
                             const tsr_params *p, uint64_t **out,
                             uint32_t **pos, size_t *nout, tsr_error *err);

/* ------------------------------------------------------------------------
 * Results
 * --------------------------------------------------------------------- */

/** One reused passage: a span of the checked text (a) and the span of a
 *  source document (b) it was aligned with. */
/** What kind of reuse a passage is (tsr_passage.kind, tsr_link.kind). */
typedef enum tsr_kind {
    TSR_KIND_VERBATIM = 0,   /* the same words in the same order */
    TSR_KIND_EDITED = 1,     /* the same text with words changed, added, dropped or
                              * moved: what the aligner finds from runs of words */
    TSR_KIND_PARAPHRASE = 2, /* rewritten sentence by sentence: their content words in
                              * other forms and orders (the sentence stage,
                              * tsr_params.paraphrase) */
    TSR_KIND_SUMMARY = 3     /* a short text condensing a longer stretch of the source,
                              * sentence by sentence in order (the sentence stage) */
} tsr_kind;

/** The name of a kind as the outputs write it ("verbatim", "edited",
 *  "paraphrase"); "?" for a value out of range. */
TSR_API const char *tsr_kind_name(int kind);

typedef struct tsr_passage {
    size_t a_begin, a_end;  /* bytes in the checked text */
    size_t b_begin, b_end;  /* bytes in the source text */
    size_t a_words, b_words;/* length of each span in words */
    size_t matches;         /* words aligned as identical */
    double similarity;      /* 2*matches / (a_words + b_words) */
    double evalue;          /* passages this strong expected by chance in the
                             * search (tsr_params.max_evalue; signif.c) */
    size_t source;          /* index into tsr_result.sources */
    int boilerplate;        /* 1 when the passage is boilerplate */
    int kind;               /* tsr_kind */
    uint64_t _text_hash;    /* private, not API: the source span's words, hashed
                             * (how re-filings are told, tsr_source.group) */
} tsr_passage;

/** A document that passages came from. Strings are UTF-8, owned by the
 *  result; NULL when unknown. */
typedef struct tsr_source {
    char *id;
    char *title;
    char *date;
    char *series;
    int64_t docno;          /* the document's number in the index; -1 for align */
    size_t bytes_reused;    /* bytes of the checked text covered by it */
    double coverage;        /* bytes_reused / checked text length */
    /* Re-filings.  Sources whose passages are the same text (the same spans
     * of the checked text, each with the same words in the source: one
     * story indexed several times) form a group, numbered 0, 1, ... in the
     * order of its first source; a source unlike every other is a group of
     * its own.  Each covers what the others of its group cover, so the
     * coverages of all sources may add up past 1; unique_bytes counts the
     * bytes of the checked text covered by this source's group and by no
     * other source (non-boilerplate passages), and the unique coverages of
     * one source per group add up to at most `coverage` of the result. */
    size_t group;
    size_t unique_bytes;
    double unique_coverage; /* unique_bytes / checked text length */
} tsr_source;

/** A span of the checked text that repeats an earlier span of it. */
typedef struct tsr_repeat {
    size_t begin, end;          /* the later occurrence */
    size_t first_begin, first_end; /* the earlier one */
    double similarity;
} tsr_repeat;

/** A span of the checked text (boilerplate lines). */
typedef struct tsr_span {
    size_t begin, end;
} tsr_span;

/** The outcome of tsr_align or tsr_index_check.  Passages are sorted by
 *  a_begin.  Free with tsr_result_free; everything inside belongs to it. */
typedef struct tsr_result {
    size_t n_passages;  tsr_passage *passages;
    size_t n_sources;   tsr_source *sources;
    size_t n_repeats;   tsr_repeat *repeats;
    size_t n_boilerplate; tsr_span *boilerplate;
    size_t text_bytes;  /* length of the checked text */
    size_t text_words;  /* words in the checked text */
    size_t bytes_reused;/* bytes covered by non-boilerplate passages */
    double coverage;    /* bytes_reused / text_bytes; 0 for an empty text */
} tsr_result;

/** Free a result and everything it holds.  Accepts NULL. */
TSR_API void tsr_result_free(tsr_result *r);

/* JSON flags */
#define TSR_JSON_PRETTY 1u  /* indented output; default is one line */
#define TSR_JSON_TEXT   2u  /* tsr_result_json_ex: each passage's text, both sides */
#define TSR_JSON_CHARS  4u  /* tsr_result_json_ex: offsets in Unicode code points */

/** s[0..n) as a JSON string, quotes included: control characters, quote and
 *  backslash escaped as RFC 8259 asks, bytes that are not UTF-8 written as
 *  U+FFFD (so the output is always valid JSON), as every string of the
 *  library's JSON is written.  For programs that write JSON around
 *  tessera's (ids, file names, messages).  Freed with tsr_free; NULL when
 *  out of memory. */
TSR_API char *tsr_json_string(const char *s, size_t n);

/** The result as JSON (doc/json.md): {"passages": [...], "coverage": C, ...}.
 *  Keys come out in a fixed order.  Returns a NUL-terminated string freed
 *  with tsr_free, or NULL when out of memory.  Only TSR_JSON_PRETTY counts
 *  here; the other flags need the texts, given to tsr_result_json_ex. */
TSR_API char *tsr_result_json(const tsr_result *r, unsigned flags);

/** What tsr_result_json_ex writes beyond tsr_result_json, and the texts it
 *  needs for it.  Borrowed: nothing is copied or freed. */
typedef struct tsr_json_opts {
    unsigned flags;              /* TSR_JSON_PRETTY, TSR_JSON_TEXT, TSR_JSON_CHARS */
    /* The checked text (for tsr_align: text a), as given to the check:
     * needed by TSR_JSON_TEXT and TSR_JSON_CHARS. */
    const char *text;
    size_t text_len;
    /* n_sources entries each (or NULL): each source's text, as stored
     * (tsr_index_get_docno; for tsr_align: text b), needed by TSR_JSON_TEXT
     * and TSR_JSON_CHARS for the sources that passages name. */
    const char *const *source_texts;
    const size_t *source_lens;
    /* n_sources entries (or NULL): a JSON object of the source's further
     * fields to echo (a NULL entry: none), written as the source's
     * "fields" in passages[].source and sources[]. */
    const char *const *source_fields;
} tsr_json_opts;

/** The result as JSON, as tsr_result_json, with what `o->flags` asks for:
 *  TSR_JSON_TEXT adds "text" to each passage and to its "source" (the
 *  spans' text; bytes that are not UTF-8 become U+FFFD); TSR_JSON_CHARS
 *  writes every offset (passages, repeats, boilerplate) as a count of
 *  Unicode code points from the start of its text instead of bytes, as
 *  Python's str slices and PAN count (a byte offset inside a character
 *  counts the characters that begin before it).  "bytes" and
 *  "bytes_reused" stay bytes.  On success *out is a NUL-terminated string
 *  freed with tsr_free.  Errors: TSR_ERR_INVALID when a text these flags
 *  need is missing, a span lies outside its text (the texts are not the
 *  ones checked), or a fields entry is not a JSON object; TSR_ERR_NOMEM. */
TSR_API int tsr_result_json_ex(const tsr_result *r, const tsr_json_opts *o, char **out,
                               tsr_error *err);

/** The number of Unicode code points in the first `len` bytes of the UTF-8
 *  `text`: the bytes that do not continue a sequence (0x80..0xBF).  The
 *  code-point offset of byte offset `len`, as TSR_JSON_CHARS writes it. */
TSR_API size_t tsr_utf8_chars(const char *text, size_t len);

/** Replace the descriptive fields of source `i` (copies the strings; any may
 *  be NULL).  For tsr_align results, whose one source has no id, this is how
 *  a caller names it.  TSR_ERR_INVALID when `i` is out of range. */
TSR_API int tsr_result_set_source(tsr_result *r, size_t i, const char *id,
                                  const char *title, const char *date,
                                  const char *series);

/* ------------------------------------------------------------------------
 * Alignment of one pair of texts
 * --------------------------------------------------------------------- */

/** Find the passages of text `a` that are reused from text `b` (or vice
 *  versa: the relation is symmetric, spans are given for both).  Also
 *  fills the repeats of `a` inside itself.  `p` may be NULL for defaults.
 *  On success *out holds a result with one source (b, id NULL). */
TSR_API int tsr_align(const char *a, size_t alen, const char *b, size_t blen,
                      const tsr_params *p, tsr_result **out, tsr_error *err);

/* ------------------------------------------------------------------------
 * The index
 * --------------------------------------------------------------------- */
typedef struct tsr_index tsr_index;

#define TSR_OPEN_READONLY 0u
#define TSR_OPEN_WRITE    1u  /* open for adding documents */
#define TSR_OPEN_CREATE   3u  /* TSR_OPEN_WRITE, and create when missing */
#define TSR_OPEN_NOVERIFY 4u  /* or'ed in: map segments without checksumming
                                 them at open (tsr_index_verify does it
                                 itself) */
#define TSR_OPEN_SCRATCH  8u  /* or'ed in with TSR_OPEN_CREATE, for an index
                                 this open creates and that is thrown away
                                 after use (tessera discover INPUT): no
                                 fsync (catalog, segments, directory), the
                                 catalog's rollback journal in memory, so
                                 each text is written once (not to a
                                 write-ahead log, then again), and the
                                 texts stored uncompressed (zstd frames of
                                 raw blocks, which every build reads).  A
                                 crash or power loss can leave it
                                 unreadable.  TSR_ERR_INVALID when the
                                 index exists */

/** Open the index in directory `dir`.  On failure *out is NULL and the
 *  error says why (TSR_ERR_NOTFOUND, TSR_ERR_FORMAT, TSR_ERR_VERSION,
 *  TSR_ERR_CHECKSUM, TSR_ERR_LOCKED...).  Opening checks every segment's
 *  header and size, and the table of checksums of its chunks
 *  (doc/index-format.md, section 4; a segment written before 2026-12-05
 *  has none and is checksummed whole).  Each chunk (1024 entries of the
 *  directory or of the postings) is checked the first time a query reads
 *  it: a check, discovery or dedup that meets a damaged chunk fails with
 *  TSR_ERR_CHECKSUM naming the file, never returns a result with postings
 *  missing.  So opening costs the tables (0.1% of the segment files), not
 *  the files.  tsr_index_verify checks everything: every checksum, the
 *  structure and the catalog. */
TSR_API int tsr_index_open(const char *dir, unsigned flags, tsr_index **out,
                           tsr_error *err);

/** Close an index.  Uncommitted documents are discarded.  Accepts NULL. */
TSR_API void tsr_index_close(tsr_index *ix);

/** A document to add. `id` and `text` are required; the other fields may be
 *  NULL.  `meta_json` is a JSON object of any further fields, kept as is.
 *  The strings are copied; the caller keeps ownership. */
typedef struct tsr_docinfo {
    const char *id;
    const char *title;
    const char *date;      /* ISO 8601 preferred: compared as text */
    const char *series;    /* source, outlet or series */
    const char *meta_json;
    const char *text;
    size_t text_len;
} tsr_docinfo;

/** Add one document to the current batch (a batch starts implicitly).
 *  Duplicate rule: an id that is already indexed, or already in this batch,
 *  is not added: the call returns TSR_ERR_DUPLICATE and the index keeps the
 *  first document with that id.  Texts that are not valid UTF-8 or hold
 *  NUL bytes are refused (TSR_ERR_UTF8, TSR_ERR_NUL).  A batch grows in
 *  memory until tsr_index_commit. */
TSR_API int tsr_index_add(tsr_index *ix, const tsr_docinfo *doc, tsr_error *err);

/** Add n documents at once, preparing them (validation, words,
 *  fingerprints, compression) on `threads` threads (0 = all cores), then
 *  adding them in input order, so the outcome is the same as n calls of
 *  tsr_index_add whatever the threads.  status[i] (may be NULL) receives
 *  each document's status as tsr_index_add would return it (TSR_OK,
 *  TSR_ERR_DUPLICATE, TSR_ERR_UTF8, ...), errs[i] (may be NULL) its
 *  message.  Returns TSR_OK unless the batch as a whole failed
 *  (TSR_ERR_NOMEM, a read-only handle); refused documents do not fail it.
 *  The helper threads are started by the first batch that needs them and
 *  sleep between batches until tsr_index_close (a child process forked
 *  in between starts its own). */
TSR_API int tsr_index_add_batch(tsr_index *ix, const tsr_docinfo *docs, size_t n,
                                int threads, int *status, tsr_error *errs,
                                tsr_error *err);

/** Make the current batch durable: its postings are written as a new
 *  segment, fsync'ed, and the catalog commits in one SQLite transaction.
 *  A crash at any moment leaves the index as of the last completed commit.
 *  Documents of the batch are not visible (tsr_index_get, checks) before.
 *  May merge segments afterwards (see tsr_index_merge); if that merge, or
 *  mapping the new segment, fails, the error is returned although the
 *  commit itself is durable (the message says so, and the batch is gone:
 *  tsr_index_pending() is 0); an error before the commit keeps the batch,
 *  so that the caller may retry.  Such an error commits nothing, with one
 *  exception: an I/O error in the final sync of the catalog's log (the
 *  message says "outcome unknown"), after which the index, when next
 *  opened, may hold the whole batch (or none of it; a retry then finds its
 *  ids as duplicates).  The first commit of an index this handle created
 *  is in SQLite's rollback journal (doc/index-format.md, section 3): there
 *  the final sync is the directory's, which the library tries again; if
 *  that fails too, the outcome is unknown likewise, and this handle
 *  refuses every later write (TSR_ERR_IO: close and open the index
 *  again).  Documents without words are stored, with no
 *  postings.  Texts are stored zstd-compressed; once a writer has added
 *  512 KB of text it trains a dictionary on them and compresses the later
 *  texts with it (faster, and a fifth smaller), and the commit that first
 *  stores such a text makes the catalog format 3, which builds before
 *  2026-12-05 refuse (TSR_ERR_VERSION; doc/index-format.md, "dicts"). */
TSR_API int tsr_index_commit(tsr_index *ix, tsr_error *err);

/** Merge segments so that at most `max_segments` remain (0 = one), then
 *  rewrite each segment that still holds postings of removed documents
 *  (tsr_index_remove) without them. */
TSR_API int tsr_index_merge(tsr_index *ix, unsigned max_segments, tsr_error *err);

/** Remove the documents with ids `ids[0..n)`.  In one catalog transaction
 *  (durable when the call returns) each document's row leaves the catalog
 *  and its number is recorded as removed: from then on no check,
 *  discovery, near-duplicate search, tsr_index_get or count of this handle,
 *  or of a reader once it has refreshed, sees them.  Their postings stay in
 *  the segments, skipped by every reader, until a merge rewrites those
 *  segments (the automatic merges after commits, or tsr_index_merge, which
 *  rewrites every segment that holds any): that is when their space comes
 *  back.  found[i] (may be NULL) receives 1 when ids[i] named an indexed
 *  document, now removed, else 0: an id the index does not hold (or an id
 *  listed again after its first copy) is not an error.  *nremoved (may be
 *  NULL) counts the documents removed.  A removed id may be added again: it
 *  is then a new document with a new number (numbers are never reused).
 *
 *  The uncommitted batch is left alone; an id of the batch is
 *  TSR_ERR_INVALID and nothing is removed (commit it first).  A sharded
 *  index, or a shard of one, is refused (TSR_ERR_INVALID): its document
 *  numbering does not allow gaps.  TSR_ERR_READONLY on a read-only handle.
 *  A failed transaction removes nothing, but for an I/O error in the final
 *  sync of the catalog's log ("outcome unknown", as in tsr_index_commit),
 *  after which the next open may find all of them removed.  The first
 *  removal makes the catalog format version 2 (doc/index-format.md), which
 *  tessera builds before it refuse to open (TSR_ERR_VERSION). */
TSR_API int tsr_index_remove(tsr_index *ix, const char *const *ids, size_t n, int *found,
                             size_t *nremoved, tsr_error *err);

/** Number of documents in the batch not yet committed. */
TSR_API size_t tsr_index_pending(const tsr_index *ix);

/** See changes committed by other processes since open (readers): maps
 *  new segments (checksumming each) and drops merged-away ones.  Must not
 *  run concurrently with other calls on the same handle. */
TSR_API int tsr_index_refresh(tsr_index *ix, tsr_error *err);

/** tsr_index_refresh in two halves, so that a server never stops its
 *  readers for I/O: tsr_index_refresh_prepare may run beside every reading
 *  call on the handle (not beside another prepare or apply): it reads the
 *  catalog's generation and, when there are new commits, maps and
 *  checksums the new segments into `*out` (NULL: nothing changed, the
 *  common case, one catalog read).  tsr_index_refresh_apply installs them
 *  (pointer swaps, no I/O) and frees `r`; like tsr_index_refresh it must
 *  not run beside other calls on the handle.  A sharded index's prepare
 *  only tells whether something changed; its apply does the whole
 *  refresh.  tsr_refresh_free drops a prepared refresh unapplied. */
typedef struct tsr_refresh tsr_refresh;
TSR_API int tsr_index_refresh_prepare(tsr_index *ix, tsr_refresh **out, tsr_error *err);
TSR_API int tsr_index_refresh_apply(tsr_index *ix, tsr_refresh *r, tsr_error *err);
TSR_API void tsr_refresh_free(tsr_refresh *r);

/** Check `text` against the index: every passage reused from indexed
 *  documents, the share reused per source and in total, repetition inside
 *  the text, and boilerplate lines.  `p` may be NULL for defaults.  A
 *  damaged chunk of postings that the check reads makes it fail with
 *  TSR_ERR_CHECKSUM naming the segment, and no result (tsr_index_open). */
TSR_API int tsr_index_check(tsr_index *ix, const char *text, size_t len,
                            const tsr_params *p, tsr_result **out,
                            tsr_error *err);

/** tsr_index_check within a time limit: TSR_ERR_TIMEOUT (and no result)
 *  once `seconds` of wall-clock time have passed; <= 0 means no limit.  The
 *  clock is read between steps (a few thousand n-gram lookups, one
 *  candidate's alignment), so the call may overrun by one step.  A server
 *  bounds each request with it. */
TSR_API int tsr_index_check_timed(tsr_index *ix, const char *text, size_t len,
                                  const tsr_params *p, double seconds,
                                  tsr_result **out, tsr_error *err);

/** Keep up to `bytes` of documents in memory, in the form a check aligns
 *  (their words, and the fields a report names), shared by all threads
 *  checking on this handle.  A check must otherwise read each candidate
 *  document from the catalog, decompress it and cut it into words, about
 *  half of its time; a server checking many texts against one index meets
 *  the same documents again and again.  Documents leave in blocks, the
 *  oldest first; one found again and again stays (lib/cache.c).  Results are the same with or without the cache.
 *  0, the default, turns it off and frees it.  Must not run concurrently
 *  with other calls on the same handle.  tsr_index_stats counts its use. */
TSR_API int tsr_index_set_cache(tsr_index *ix, size_t bytes, tsr_error *err);

/** A document as stored. All strings owned by the struct; free with
 *  tsr_document_free. */
typedef struct tsr_document {
    int64_t docno;
    char *id, *title, *date, *series, *meta_json;
    char *text;
    size_t text_len;
} tsr_document;

/** Fetch a document by id. TSR_ERR_NOTFOUND when absent. */
TSR_API int tsr_index_get(tsr_index *ix, const char *id, tsr_document **out,
                          tsr_error *err);
/** Fetch a document by number. TSR_ERR_NOTFOUND when absent. */
TSR_API int tsr_index_get_docno(tsr_index *ix, int64_t docno,
                                tsr_document **out, tsr_error *err);
/** Free a document. Accepts NULL. */
TSR_API void tsr_document_free(tsr_document *d);

/** The fields of `d` that `spec` names, as a compact JSON object in a new
 *  string (free it with tsr_free), for tsr_json_opts.source_fields and the
 *  "fields" of the command's outputs (--fields).  `spec` is "all": every
 *  extra field of the input record (meta_json, keys as stored), or names
 *  separated by commas: each an extra field or one of id, title, date,
 *  series, in the order named, null when `d` lacks it.  Errors:
 *  TSR_ERR_INVALID for an empty spec or an empty name in it; TSR_ERR_NOMEM.
 *  A meta_json that is not a JSON object counts as none. */
TSR_API int tsr_document_fields(const tsr_document *d, const char *spec, char **out,
                                tsr_error *err);

typedef struct tsr_stats {
    uint64_t documents;         /* documents of the index (not the removed ones) */
    uint64_t text_bytes;        /* raw text, as given */
    uint64_t stored_bytes;      /* text as stored, compressed */
    uint64_t segments;
    uint64_t postings;          /* with those of removed documents, until a merge */
    uint64_t postings_bytes;    /* size of the segment files */
    uint64_t catalog_bytes;     /* size of the SQLite catalog */
    uint64_t commits;
    int ngram, window;          /* fingerprint parameters of this index */
    /* the document cache of this handle (tsr_index_set_cache; 0 without) */
    uint64_t cache_bytes, cache_docs;
    uint64_t cache_hits, cache_misses;  /* candidate documents found, not found */
    uint64_t shards;            /* shards of a sharded index; 1 for a plain one */
} tsr_stats;

/** Counts of the index as of the last commit it has seen. */
TSR_API int tsr_index_stats(tsr_index *ix, tsr_stats *out, tsr_error *err);

/** Called by tsr_index_verify for each file checked; `status` is TSR_OK or
 *  the fault, `message` describes it. */
typedef void (*tsr_verify_fn)(void *ud, const char *file, int status,
                              const char *message);

/** Check every segment's checksum and structure and the catalog (SQLite
 *  integrity check, document counts against segment headers).  Returns
 *  TSR_OK when all is well, else the first fault's status; `fn` (may be
 *  NULL) hears each file.  On a read-only handle it refreshes first, so it
 *  must not run concurrently with other calls on the same handle. */
TSR_API int tsr_index_verify(tsr_index *ix, tsr_verify_fn fn, void *ud,
                             tsr_error *err);

/** Rebuild the damaged or missing segments of the plain index in `dir`
 *  from the texts its catalog stores (every document's text is kept): each
 *  segment is checked as tsr_index_verify checks it; a bad one is replaced
 *  by a new segment of the same documents, fingerprinted again, in one
 *  catalog transaction (the old file is then removed).  Takes the writer
 *  lock.  `fn` (may be NULL) hears each segment: "ok", its fault, then
 *  "rebuilt as ..." or why it could not be.  *repaired (may be NULL)
 *  counts the segments rebuilt.  Returns TSR_OK when every segment is sound
 *  at the end; a damaged catalog (a text that does not decompress) cannot
 *  be repaired here.  A sharded index: repair each shard's directory. */
TSR_API int tsr_index_repair(const char *dir, tsr_verify_fn fn, void *ud, size_t *repaired,
                             tsr_error *err);


/* ------------------------------------------------------------------------
 * Sharded indexes (doc/index-format.md section 10)
 *
 * A sharded index is a directory whose file `shards` lists, in order,
 * indexes in its subdirectories (and "." for a plain index in the
 * directory itself, which becomes the first shard).  tsr_index_open reads
 * it as one index: document numbers run through the shards in list
 * order, lookups and checks span them all, a writer appends to the last.
 * Shards are built in parallel (one per process, e.g. per MPI rank) and
 * then published in one step, so a failed build leaves the index as it
 * was.
 * --------------------------------------------------------------------- */

/** The number of the first new shard of `dir`: one more than the largest
 *  shard number listed, 0 when there is none (or no index yet). */
TSR_API int tsr_shard_next(const char *dir, uint64_t *first, tsr_error *err);

/** Create shard `number` of `dir` (the directory dir/shard-NNNNNN; dir is
 *  made when missing) as a new, empty, writable plain index, not listed
 *  yet, so that no reader sees it: a directory of that name left by a
 *  failed build is cleared first.  Its duplicate rule also counts the ids
 *  of the index already at `dir`, if any. */
TSR_API int tsr_shard_create(const char *dir, uint64_t number, tsr_index **out,
                             tsr_error *err);

/** Publish shards: append shards numbers[0..n) of `dir` (closed, built
 *  with tsr_shard_create) to its list in one atomic step (the list is
 *  written to a temporary file, fsync'ed and renamed).  A plain index
 *  already in `dir` becomes shard ".", the first.  Takes the writer lock
 *  of `dir` meanwhile (TSR_ERR_LOCKED when another writer holds it). */
TSR_API int tsr_shard_publish(const char *dir, const uint64_t *numbers, size_t n,
                              tsr_error *err);

/** Remove an unlisted shard directory (a failed or empty build).  Refuses
 *  (TSR_ERR_INVALID) a shard that the list holds. */
TSR_API int tsr_shard_drop(const char *dir, uint64_t number, tsr_error *err);

/* ------------------------------------------------------------------------
 * Discovery: every reused passage in an index, grouped into families
 * --------------------------------------------------------------------- */

/** Progress of a long call: `stage` names the stage ("pairs", "align",
 *  "families"), done/total count its units (total 0 when unknown).  Called
 *  from the calling thread; must not call back into the library. */
typedef void (*tsr_progress_fn)(void *ud, const char *stage, uint64_t done,
                                uint64_t total);

/** A group of processes that run one call together: the ranks of an MPI
 *  job, say.  The library calls no message-passing library itself; the
 *  caller wraps its own in `exchange` (the tessera command wraps MPI). */
typedef struct tsr_comm {
    int rank, size;           /* this process, and how many (>= 1) */
    /* All-to-all: send send_len[i] bytes at send[i] to process i (this one
     * included), and receive what each process sent this one: *recv, a
     * buffer the callback allocates with malloc (the library frees it),
     * holds them in process order, recv_len[j] bytes from process j.
     * Every process calls it the same number of times, in the same order.
     * Returns 0, or -1 with a message in msg (msg_size bytes). */
    int (*exchange)(void *ud, const void *const *send, const size_t *send_len,
                    void **recv, size_t *recv_len, char *msg, size_t msg_size);
    void *ud;
} tsr_comm;

typedef struct tsr_discover_opts {
    int threads;          /* worker threads; 0 = all cores */
    size_t memory;        /* bytes for candidate pairs before they spill
                           * to sorted runs on disk, then, while pairs are
                           * aligned, for documents read again: half for
                           * documents kept tokenized, a quarter for
                           * documents kept as stored (an eighth more with
                           * the sentence stage: for documents' sentence
                           * marks and texts split into sentences);
                           * 0 = 1 GiB */
    /* A fingerprint held by more documents than this is boilerplate or a
     * formula: it makes no pairs (passim's bound, which keeps the work
     * linear in the corpus).  0 = the default, 100. */
    int max_df;
    /* Directory for spilled runs and finished stages.  A run killed at any
     * moment and started again with the same workdir, index and parameters
     * resumes after its last finished stage and gives the same result.
     * NULL: a temporary directory, removed at the end. */
    const char *workdir;
    /* Only pairs with at least one document numbered above this (documents
     * added since a previous run); -1 (the default) for all pairs. */
    int64_t new_after;
    /* 0: all pairs; 1: only pairs inside one series (source); -1: only
     * pairs across series.  Documents without a series count as a series
     * of their own. */
    int series;
    tsr_progress_fn progress;
    void *progress_ud;
    /* Processes that share the run (NULL: this one alone).  Each must
     * call tsr_discover with the same index (a sharded index on a shared
     * file system, typically), parameters and options but for `workdir`,
     * which may be one directory for all (each uses a subdirectory of its
     * own, rank-R-of-N).  The fingerprint space is divided among them,
     * the pair counts are exchanged so that each aligns the pairs of its
     * range of documents, and process 0 gathers the passage pairs and
     * builds the families: its result is the whole result, the same as
     * one process would give on the same index; the others' results hold
     * no links or families, only their own counts. */
    const tsr_comm *comm;
    /* 1: `workdir` is thrown away after the run, as a temporary index's
     * (tessera discover INPUT): its files are not synced to the disk.  A
     * workdir kept for resuming is (0, the default), so that the stages it
     * holds are whole after a power loss.  Neither a temporary directory
     * of the run's own (workdir NULL) nor the discovery of an index opened
     * with TSR_OPEN_SCRATCH syncs. */
    int scratch;
} tsr_discover_opts;

/** Fill `o` with the defaults above. */
TSR_API void tsr_discover_opts_default(tsr_discover_opts *o);

/** One aligned passage pair between documents a and b (a < b by number).
 *  Offsets are bytes into each document's text, end exclusive. */
typedef struct tsr_link {
    int64_t a_doc, b_doc;
    uint32_t a_begin, a_end, b_begin, b_end;
    uint32_t a_words, b_words, matches;
    float similarity;
    float evalue;         /* as tsr_passage.evalue (a search of the index) */
    uint32_t family;      /* index into tsr_discovery.families */
    uint32_t kind;        /* tsr_kind */
} tsr_link;

/** A span of one document that belongs to a family. */
typedef struct tsr_member {
    int64_t docno;
    uint32_t begin, end;
} tsr_member;

/** A reuse family: passages that overlap on shared documents, linked
 *  transitively (union-find).  Its members are members[first, first+n). */
typedef struct tsr_family {
    size_t first, n;        /* members, sorted by date (when known), docno */
    size_t links;           /* passage pairs inside the family */
    size_t same_series;     /* of them, pairs whose documents share a series */
    int64_t origin;         /* earliest member by date, else lowest docno */
    int origin_dated;       /* 1 when `origin` was chosen by date */
} tsr_family;

/** The outcome of tsr_discover.  Families are sorted by size (members),
 *  largest first; links by family, then a_doc, b_doc, a_begin.  Free with
 *  tsr_discovery_free. */
typedef struct tsr_discovery {
    size_t n_links;    tsr_link *links;
    size_t n_families; tsr_family *families;
    size_t n_members;  tsr_member *members;
    uint64_t documents;        /* documents in the index */
    int64_t last_docno;        /* largest document number covered (-1: none);
                                * the new_after of a later incremental run */
    uint64_t fingerprints;     /* distinct fingerprints scanned */
    uint64_t skipped;          /* fingerprints over max_df (boilerplate) */
    uint64_t candidate_pairs;  /* document pairs aligned */
    int resumed_stages;        /* stages taken from the workdir */
    /* The alignment's reads of the texts (0 when its stage was resumed):
     * texts read and tokenized, and of those the ones copied into the
     * cache of tokenized documents, which takes only documents that the
     * pairs read again.  A document is read more than once only when the
     * cache (half of tsr_discover_opts.memory) let it go. */
    uint64_t texts_read, texts_cached;
    /* The fields of every document of the links, by document number: id,
     * title, date, series and text_len (no text, no meta_json), as the
     * alignment had them at hand, for the families' dates and series and
     * for what the caller names the documents by.  None without links,
     * nor on a process other than 0 of a shared run. */
    size_t n_docs;     tsr_document *docs;
    /* Of texts_read, those whose stored text came from the copies that
     * the alignment keeps (in a quarter of tsr_discover_opts.memory) of
     * documents read again once its cache of tokenized documents is
     * full, not from the catalog. */
    uint64_t texts_kept;
} tsr_discovery;

/** Find every passage that documents of `ix` share: candidate pairs by a
 *  sort-merge of the postings (fingerprints partitioned by hash, pairs
 *  counted in bounded memory), each pair aligned as tsr_align does, then
 *  families.  Never quadratic in the number of documents: the work grows
 *  with the pairs that share fingerprints.  `p`, `o` may be NULL for the
 *  defaults.  Takes the index as of its last commit; safe beside readers,
 *  not beside a writer on the same handle. */
TSR_API int tsr_discover(tsr_index *ix, const tsr_params *p,
                         const tsr_discover_opts *o, tsr_discovery **out,
                         tsr_error *err);

/** Free a discovery result.  Accepts NULL. */
TSR_API void tsr_discovery_free(tsr_discovery *d);

/** Fetch a document's fields without its text (text NULL, text_len set):
 *  cheaper than tsr_index_get_docno when only ids and dates are needed. */
TSR_API int tsr_index_get_info(tsr_index *ix, int64_t docno, tsr_document **out,
                               tsr_error *err);

/** Read many documents as of one moment: the gets (tsr_index_get,
 *  tsr_index_get_docno, tsr_index_get_info) between tsr_index_read_begin
 *  and tsr_index_read_end see the catalog as it was at the first of them,
 *  and share one read transaction instead of taking and releasing the
 *  catalog's lock for each (tens of microseconds a get; a discovery's
 *  report reads every linked document).  Pairs nest; the snapshot ends with
 *  the outermost tsr_index_read_end.  Commits by other processes and
 *  handles go on meanwhile and are seen after it; this handle must not
 *  add, remove or commit in between (its writes fail).  Keep it
 *  short on a live index: SQLite cannot checkpoint its write-ahead log
 *  past a snapshot still open. */
TSR_API int tsr_index_read_begin(tsr_index *ix, tsr_error *err);

/** End what tsr_index_read_begin began.  Accepts NULL. */
TSR_API void tsr_index_read_end(tsr_index *ix);

/* ------------------------------------------------------------------------
 * Reading documents: text files, directories, JSON Lines
 * --------------------------------------------------------------------- */

/** A stream of documents from one input: a .txt (or any text) file, a
 *  directory (read recursively, files in byte order of their paths; hidden
 *  files, names starting with '_' such as Spark's _SUCCESS, and .crc files
 *  are left out, and a text file with a NUL byte is binary: skipped, with a
 *  notice, see tsr_reader_notice), a
 *  JSON Lines file (.jsonl, .ndjson, .json; one object per line), a Common
 *  Crawl WET file (.wet, .warc.wet: its "conversion" records; id =
 *  WARC-Record-ID, title = WARC-Target-URI, date = WARC-Date, series = the
 *  URI's host), any of them gzip- (.gz), zstd- (.zst) or bzip2- (.bz2)
 *  compressed, or "-"
 *  for standard input (JSON Lines when its first byte is '{', WET when it
 *  starts "WARC/", else one text document).
 *  Not thread-safe: one reader per thread. */
typedef struct tsr_reader tsr_reader;

typedef struct tsr_reader_opts {
    /* JSON field names; passim's {"id", "series", "text"} works as is. */
    const char *id_field;     /* default "id" */
    const char *text_field;   /* default "text" */
    const char *title_field;  /* default "title" */
    const char *date_field;   /* default "date" */
    const char *series_field; /* default "series" */
    /* On a bad record (malformed JSON, missing field, invalid UTF-8, NUL
     * byte) return the error (0, the default) or skip it and count it (1). */
    int skip_bad;
    /* Largest document accepted, in bytes; default 1 GiB. */
    size_t max_doc_bytes;
    /* Largest extra fields of a JSON line kept (meta_json, compact), in
     * bytes; default 1 MiB.  A record whose other fields are larger is
     * TSR_ERR_TOOBIG (skipped with skip_bad): they are stored with the
     * document and come back in every output. */
    size_t max_meta_bytes;
    /* Raw mode (1; default 0): JSON Lines are not parsed by the reader.
     * tsr_reader_next hands out each non-blank line as it is (id NULL,
     * text = the line, see there), to be parsed with tsr_parse_jsonl,
     * typically on other threads.  Text and WET files are read as always. */
    int raw_jsonl;
    /* A part of one input (0, 0, the default: all of it): only the
     * records that start in bytes [range_begin, range_end) of the file
     * (range_end 0: to its end), so that processes can share one big
     * file, each reading its own part and all parts together reading each
     * record once.  Only for an uncompressed JSON Lines file; other inputs
     * refuse a range (TSR_ERR_INVALID).  Line numbers in messages count
     * from the start of the file, as without a range (the reader counts
     * the lines before its part). */
    uint64_t range_begin, range_end;
    /* NUL bytes (0, the default): a text file or WET record with one is
     * refused (TSR_ERR_NUL; in a directory, a text file with one is binary
     * and skipped, see tsr_reader_notice), and so is a JSON line with a raw
     * one.  1: NUL bytes are read as spaces everywhere (nothing is binary).
     * Either way "\u0000" inside a JSON text field is a character of the
     * text, not binary input: it is read as a space (one byte, as the NUL
     * it decodes to, so offsets are those of the decoded text). */
    int allow_nul;
} tsr_reader_opts;

/** Fill `o` with the defaults above. */
TSR_API void tsr_reader_opts_default(tsr_reader_opts *o);

/** Open `path` ("-" for standard input).  `o` may be NULL for defaults. */
TSR_API int tsr_reader_open(const char *path, const tsr_reader_opts *o,
                            tsr_reader **out, tsr_error *err);

/** Read the next document into *doc.  Sets *eof to 1 (and returns TSR_OK)
 *  at the end.  The strings in *doc stay valid until the next call on the
 *  reader.  Text files get their path as id and title.  Errors name the
 *  file and, for JSON Lines, the line; for bad UTF-8, the byte offset.
 *
 *  - After a bad record (without skip_bad) the next call goes on with the
 *    next line, or the next file for text files and damaged streams.  I/O
 *    errors, a missing path and TSR_ERR_NOMEM are final: later calls return
 *    the same error.
 *  - With skip_bad, records that are too big and a damaged compressed stream
 *    are skipped too (the rest of that file counts as one skipped record).
 *  - An empty text file is one document with empty text; an empty JSON
 *    Lines file, blank lines and an empty directory give none.
 *  - A leading byte order mark is dropped from text files and from the
 *    first line of JSON Lines; offsets count in the text as handed out.
 *  - Standard input is recognised as gzip, zstd or bzip2 by its first bytes;
 *    files go by their extension.
 *  - id, title, date and series may be JSON strings or integers; an empty
 *    id is a bad record.  Other fields go to meta_json, compact, keys
 *    sorted.  NULL field names in the options mean the defaults, and
 *    max_doc_bytes and max_meta_bytes 0 mean the defaults.
 *  - With raw_jsonl, a line of JSON Lines input comes back unparsed: id,
 *    title, date, series and meta_json NULL, text = the line (after a byte
 *    order mark on line 1; without its '\n'; not NUL-terminated),
 *    text_len its length.  Blank lines are still skipped, and a line over
 *    the line limit is still TSR_ERR_TOOBIG (or skipped).  Errors inside
 *    the line are left to tsr_parse_jsonl; tsr_reader_where gives the
 *    file and line number it needs.  Other documents come parsed, with a
 *    non-NULL id, so the id tells the two apart. */
TSR_API int tsr_reader_next(tsr_reader *r, tsr_docinfo *doc, int *eof,
                            tsr_error *err);

/** Where the reader stands: *file (may be NULL) receives the name used in
 *  messages of the file of the last document ("<stdin>" for standard
 *  input; NULL before the first), valid until tsr_reader_close; *line (may
 *  be NULL) the line number of the last line read, which for JSON Lines is
 *  the line of the document just returned (0 for text files).  Meant for
 *  raw mode: pass both to tsr_parse_jsonl. */
TSR_API void tsr_reader_where(const tsr_reader *r, const char **file, uint64_t *line);

/** One parsed JSON line: `doc` holds the document; its strings belong to
 *  the object and live until tsr_jsonl_doc_free.  Other members, if any,
 *  are private. */
typedef struct tsr_jsonl_doc {
    tsr_docinfo doc;
} tsr_jsonl_doc;

/** Parse one line of JSON Lines exactly as tsr_reader_next does without
 *  raw_jsonl: same field rules (from `o`, which may be NULL for the
 *  defaults; skip_bad and raw_jsonl are ignored), integer ids as their
 *  decimal text, meta_json, the max_doc_bytes limit, and the same errors
 *  and messages ("FILE:LINE: malformed JSON: ...", TSR_ERR_JSON,
 *  TSR_ERR_UTF8 with the byte offset in the line, TSR_ERR_NUL,
 *  TSR_ERR_TOOBIG, TSR_ERR_NOMEM).
 *  `line`, `len`: the line without its '\n' (need not be NUL-terminated);
 *  a byte order mark is not dropped here (the reader drops it); a blank
 *  line is malformed JSON.  `file`, `lineno`: for messages only (`file`
 *  NULL gives "<input>").  On success *out receives a new object (free it
 *  with tsr_jsonl_doc_free); on an error *out is NULL.
 *  Thread-safe and reentrant: touches nothing but its arguments, so any
 *  number of threads may parse lines of one reader at once. */
TSR_API int tsr_parse_jsonl(const tsr_reader_opts *o, const char *line, size_t len,
                            const char *file, uint64_t lineno, tsr_jsonl_doc **out,
                            tsr_error *err);

/** Free a parsed line.  Accepts NULL. */
TSR_API void tsr_jsonl_doc_free(tsr_jsonl_doc *doc);

/** Bytes consumed so far and in all (0 when unknown, e.g. stdin), for
 *  progress reports.  Compressed inputs count compressed bytes. */
TSR_API uint64_t tsr_reader_bytes_done(const tsr_reader *r);
TSR_API uint64_t tsr_reader_bytes_total(const tsr_reader *r);

/** Records skipped because of errors (with skip_bad). */
TSR_API uint64_t tsr_reader_skipped(const tsr_reader *r);

/** The message of the most recent skipped record, or NULL. */
TSR_API const char *tsr_reader_last_skip(const tsr_reader *r);

/** Files of a directory skipped so far because they are binary (a text
 *  file with a NUL byte, without allow_nul). */
TSR_API uint64_t tsr_reader_binary(const tsr_reader *r);

/** The next notice of the reader, oldest first, or NULL when there is none
 *  waiting: a file of a directory skipped as binary ("DIR/x.png: binary
 *  file (NUL byte at byte 3), skipped").  Each notice is handed out once;
 *  the string lives until the next tsr_reader_next or tsr_reader_close.
 *  Call it after each tsr_reader_next to hear of every skipped file (at
 *  most 4096 wait; the count above is complete). */
TSR_API const char *tsr_reader_notice(tsr_reader *r);

/** Close the reader.  Accepts NULL. */
TSR_API void tsr_reader_close(tsr_reader *r);

/* ------------------------------------------------------------------------
 * Deduplication: near-duplicate documents, repeated substrings, boilerplate
 *
 * Three independent tools (lib/minhash.c, dedup.c, dedup_index.c, substr.c,
 * boiler.c), used together by `tessera dedup`:
 *
 *   near duplicates   MinHash signatures of each document's set of word
 *                     shingles, LSH banding for candidate pairs, candidates
 *                     verified by a measure (below), clusters by
 *                     union-find, one document kept per cluster
 *   repeated spans    byte spans of at least N bytes that occur earlier in
 *                     the corpus, by suffix array (libdivsufsort)
 *   boilerplate       lines that recur in many documents of one series
 *
 * Measures.  TSR_MEASURE_JACCARD verifies a candidate pair by the Jaccard
 * similarity that the signatures estimate: cheap, needs no text, but a
 * copy a reader calls a duplicate (the same article with a few words
 * changed, a paragraph dropped, a byline added) often falls below 0.8 on
 * word 5-shingles: a 5% word edit rate changes a quarter of them.
 * TSR_MEASURE_ALIGNED and TSR_MEASURE_CONTAINMENT measure what a reader
 * means, from the two texts: how much of the shorter document the longer
 * one holds.  For them each document also has a compact form
 * (tsr_dedup_prepare: 2 bytes a word for aligned, about 4 for
 * containment), which the corpus keeps in an unlinked temporary file, not
 * in memory, and reads back for the candidate pairs:
 *
 *      tsr_dedup_opts o; tsr_dedup_opts_default(&o);
 *      tsr_dedup_opts_measure(&o, TSR_MEASURE_ALIGNED);
 *      tsr_dedup *d = NULL; tsr_dedup_create(&o, &d, &e);
 *      uint16_t *sig = malloc(o.perm * sizeof *sig);
 *      void *pack = malloc(tsr_dedup_pack_bound(max_len));
 *      for (each document) {
 *          size_t nsh, plen;                            // any thread:
 *          tsr_dedup_prepare(text, len, &o, sig, &nsh, pack, &plen, &e);
 *          tsr_dedup_add_packed(d, nsh ? sig : NULL, len, date, pack, plen, &e);
 *      }                                                // in order
 *      tsr_dedup_run(d, NULL, NULL, &e);     // LSH: candidate pairs
 *      tsr_dedup_verify(d, NULL, NULL, &e);  // scores, clusters
 *      for (each document i) if (tsr_dedup_kept_as(d, i, NULL) == i) keep it;
 *      tsr_dedup_free(d);
 *
 * With TSR_MEASURE_JACCARD, tsr_minhash and tsr_dedup_add do (no compact
 * forms), and tsr_dedup_verify has nothing to do.
 * --------------------------------------------------------------------- */

/* Which document of a cluster is kept (the others are dropped). */
#define TSR_KEEP_FIRST    0 /* the first added (input order) */
#define TSR_KEEP_LONGEST  1 /* the longest text in bytes; ties: the first */
#define TSR_KEEP_EARLIEST 2 /* the smallest date (compared as text);
                               undated documents come after dated ones;
                               ties: the first */

/* How a candidate pair is verified (tsr_dedup_opts.measure).  Each is a
 * score in 0..1 compared with tsr_dedup_opts.threshold. */
#define TSR_MEASURE_JACCARD     0 /* the Jaccard similarity of the two sets of
                                     word `shingle`-grams, as the MinHash
                                     signatures estimate it (no text read);
                                     default threshold 0.8 */
#define TSR_MEASURE_ALIGNED     1 /* the share of the shorter document's words
                                     (tsr_tokenize) that the aligner (tsr_align;
                                     lib/dedup_verify.c) matches to the other in
                                     exact runs of at least 3 words: word edits,
                                     a dropped paragraph or an added line cost
                                     only the words they touch, while two texts
                                     that share a template but not its figures
                                     or names ("Oper shr 35 cts vs 34 cts")
                                     match in runs of one or two words and
                                     score low; and no more than the share
                                     of its figures (below); default
                                     threshold 0.8 */
#define TSR_MEASURE_CONTAINMENT 2 /* the share of the shorter document's
                                     distinct word 3-grams that the other holds
                                     (anywhere: order is not checked), and no
                                     more than the share of its figures;
                                     cheaper than aligned, a little less
                                     strict; default threshold 0.7.
                                     Figures (numbers as written: words that
                                     start or end with a digit, joined by
                                     . , / - or :) are
                                     what tells instances of a template
                                     apart ("... arrange 1.5 billion dlrs of
                                     repurchase agreements ... at 6-3/8
                                     pct"): the figure share is (f' + 1) /
                                     (f + 1) for the f figures of the
                                     shorter text, f' of them found in the
                                     other (lib/dedup_verify.c) */

typedef struct tsr_dedup_opts {
    double threshold;   /* the score (of `measure`) at which two documents
                         * are near duplicates; default 0.8 (Jaccard) */
    int shingle;        /* words per shingle of the signatures, 1..16;
                         * default 5 (Jaccard), 3 (the other measures) */
    int perm;           /* MinHash values per signature, 8..1024; default 128 */
    int bands, rows;    /* LSH banding, bands * rows <= perm; 0, 0 (the
                         * default): chosen by tsr_lsh_params for the
                         * threshold (Jaccard), or, for the measures that
                         * read texts, bands of 2 rows, as many as make a
                         * pair of Jaccard candidate + 0.2 a candidate with
                         * probability 0.98 (14 for the default 0.3) */
    int keep;           /* TSR_KEEP_*; default TSR_KEEP_FIRST */
    int threads;        /* threads of tsr_dedup_run and tsr_dedup_verify;
                         * 0 = all cores */
    int measure;        /* TSR_MEASURE_*; default TSR_MEASURE_JACCARD (the
                         * command `tessera dedup` uses TSR_MEASURE_ALIGNED) */
    double candidate;   /* with the measures that read texts: the estimated
                         * Jaccard of the signatures from which a pair is a
                         * candidate, in (0, 1): the LSH banding is chosen
                         * for it (above) and a pair that shares a band but
                         * estimates below it is not verified.  Default
                         * 0.3, for word 3-gram signatures: an edited copy
                         * (10% of its words changed, a paragraph dropped)
                         * keeps a Jaccard of 0.4 or more in 99 cases in
                         * 100 (EVAL.md).  It also bounds the fragments
                         * found: a text that another holds whole has a
                         * Jaccard of their sizes' ratio, so one under
                         * 0.3 of the other's size is not a candidate.
                         * Unused by Jaccard. */
    const char *tmpdir; /* where the compact forms are kept (an unlinked
                         * file); NULL (the default): $TMPDIR, else /tmp.
                         * Not copied: must live as long as the corpus */
} tsr_dedup_opts;

/** Fill `o` with the defaults above (measure TSR_MEASURE_JACCARD). */
TSR_API void tsr_dedup_opts_default(tsr_dedup_opts *o);

/** Set o->measure to `measure` and threshold, shingle and candidate to
 *  that measure's defaults (the other fields are left as they are).
 *  TSR_ERR_INVALID for an unknown measure. */
TSR_API int tsr_dedup_opts_measure(tsr_dedup_opts *o, int measure);

/** The name of a measure ("jaccard", "aligned", "containment"), or NULL. */
TSR_API const char *tsr_measure_name(int measure);

/** Check the options; TSR_ERR_INVALID with a message naming the field. */
TSR_API int tsr_dedup_opts_validate(const tsr_dedup_opts *o, tsr_error *err);

/** The LSH banding for a Jaccard threshold, as datasketch chooses it: among
 *  all b bands of r rows with b*r <= perm, the one that minimises the
 *  false-positive area (integral of P over 0..threshold) plus the
 *  false-negative area (integral of 1-P over threshold..1) of the S-curve
 *  P(s) = 1 - (1 - s^r)^b.  TSR_ERR_INVALID for a threshold outside (0, 1)
 *  or perm outside 1..1024. */
TSR_API int tsr_lsh_params(double threshold, int perm, int *bands, int *rows,
                           tsr_error *err);

/** P(s) = 1 - (1 - s^rows)^bands: the probability that two documents of
 *  Jaccard similarity s share at least one band (become candidates). */
TSR_API double tsr_lsh_probability(double s, int bands, int rows);

/** The MinHash signature of a text: `o->perm` 16-bit values into `sig`
 *  (the caller's buffer).  Shingles are runs of `o->shingle` normalized
 *  words (tsr_tokenize); a text of fewer words is one shingle of all its
 *  words.  One-permutation hashing with optimal densification (Shrivastava
 *  2017): one hash per shingle, not one per shingle and value.  Each value
 *  keeps the low 16 bits of its minimum (b-bit MinHash, Li & Koenig 2010).
 *  *nshingles (may be NULL) receives the number of shingles; a text with
 *  no words has none and a signature of all 0xFFFF.  Thread-safe.
 *  Errors: TSR_ERR_UTF8, TSR_ERR_TOOBIG, TSR_ERR_NOMEM, TSR_ERR_INVALID. */
TSR_API int tsr_minhash(const char *text, size_t len, const tsr_dedup_opts *o,
                        uint16_t *sig, size_t *nshingles, tsr_error *err);

/** The Jaccard similarity estimated from two signatures of `perm` values:
 *  the share of equal values, corrected for 16-bit collisions; in 0..1. */
TSR_API double tsr_minhash_jaccard(const uint16_t *a, const uint16_t *b, int perm);

/** The most bytes of the compact form of a text of `len` bytes. */
TSR_API size_t tsr_dedup_pack_bound(size_t len);

/** tsr_minhash, and, from the same words, the compact form of the text
 *  that the measures reading texts compare (o->measure other than
 *  TSR_MEASURE_JACCARD; lib/minhash.h has the layout): for aligned, per
 *  word 16 bits of its hash; for containment, the sorted hashes of its
 *  distinct word 3-grams; for both, its figures (numbers as written).  Into `pack` (the caller's buffer of tsr_dedup_pack_bound(len)
 *  bytes; may be NULL with Jaccard), *pack_len bytes (0 with Jaccard).
 *  Thread-safe.  Errors as tsr_minhash. */
TSR_API int tsr_dedup_prepare(const char *text, size_t len, const tsr_dedup_opts *o,
                              uint16_t *sig, size_t *nshingles, void *pack,
                              size_t *pack_len, tsr_error *err);

/** A corpus of signatures to cluster.  One thread at a time. */
typedef struct tsr_dedup tsr_dedup;

/** Create an empty corpus.  `o` may be NULL for the defaults; the banding
 *  is chosen here when o->bands is 0.  Free with tsr_dedup_free. */
TSR_API int tsr_dedup_create(const tsr_dedup_opts *o, tsr_dedup **out,
                             tsr_error *err);

/** The banding in use. */
TSR_API void tsr_dedup_banding(const tsr_dedup *d, int *bands, int *rows);

/** Add the next document (numbered 0, 1, ... in the order of the calls):
 *  its signature (copied; NULL for a document without shingles, which is
 *  never a duplicate), the length of its text in bytes (TSR_KEEP_LONGEST)
 *  and date (may be NULL; copied, for TSR_KEEP_EARLIEST).  Memory:
 *  2*perm + 16 bytes per document, plus the dates.  Jaccard only. */
TSR_API int tsr_dedup_add(tsr_dedup *d, const uint16_t *sig, uint64_t length,
                          const char *date, tsr_error *err);

/** tsr_dedup_add with the compact form from tsr_dedup_prepare (made with
 *  the same options), which the measures that read texts need for every
 *  document (tsr_dedup_add alone is then TSR_ERR_INVALID; with Jaccard the
 *  form is ignored).  The form is appended to an unlinked file in
 *  o->tmpdir, made at the first call (about a third of the text's size for
 *  aligned, two thirds for containment; memory holds 8 bytes per document
 *  of it).  TSR_ERR_IO or TSR_ERR_NOSPACE when the file cannot be made or
 *  written, TSR_ERR_FORMAT for a form that is not one of the measure. */
TSR_API int tsr_dedup_add_packed(tsr_dedup *d, const uint16_t *sig, uint64_t length,
                                 const char *date, const void *pack, size_t pack_len,
                                 tsr_error *err);

/** Documents added. */
TSR_API uint64_t tsr_dedup_count(const tsr_dedup *d);

/** The LSH step, over the documents added so far: for each band,
 *  documents whose band values are equal become candidates (a sort per
 *  band, never a comparison of all pairs).  Inside one band bucket each
 *  document is compared with the bucket's first document and, when that
 *  fails, with the previous one, so a bucket of m documents costs O(m).
 *
 *  TSR_MEASURE_JACCARD: a candidate pair whose estimated Jaccard is at
 *  least the threshold is joined (union-find), and the clusters are ready
 *  on return.  The other measures: a pair whose estimated Jaccard is at
 *  least o->candidate is kept for tsr_dedup_verify, and until then there
 *  are no clusters (tsr_dedup_kept_as(d, i) is i).
 *
 *  `progress` (may be NULL) hears stage "bands" with done/total bands.
 *  May be called again after more documents are added (it starts over). */
TSR_API int tsr_dedup_run(tsr_dedup *d, tsr_progress_fn progress, void *ud,
                          tsr_error *err);

/** After tsr_dedup_run, for the measures that read texts: score the
 *  candidate pairs with o->measure on the compact forms (a pair with equal
 *  signatures, the same shingle sets beyond reasonable doubt, scores 1
 *  unread), and make the clusters so that every document dropped scores
 *  at least the threshold with the one kept in its place: documents are
 *  taken in the order of o->keep, and one that no keeper took yet becomes
 *  a keeper and takes the documents not yet taken that it has a passing
 *  pair with (so a chain A ~ B ~ C is not one cluster unless A ~ C
 *  passes).  Only pairs whose score can matter are scored: none of a
 *  document taken before its turn (lib/dedup.c).  The cluster similarity
 *  is the least score of a member with the kept document.  Runs on
 *  o->threads threads; `progress` (may be NULL) hears stage "verify" with
 *  done/total documents of candidate pairs, in keeping order.  With
 *  TSR_MEASURE_JACCARD it does nothing.  TSR_ERR_INVALID before
 *  tsr_dedup_run; TSR_ERR_IO (reading the compact forms back),
 *  TSR_ERR_NOMEM. */
TSR_API int tsr_dedup_verify(tsr_dedup *d, tsr_progress_fn progress, void *ud,
                             tsr_error *err);

/** The score of two texts under o->measure, as tsr_dedup_verify computes
 *  it from their compact forms (TSR_MEASURE_JACCARD: the exact Jaccard of
 *  their sets of word o->shingle-grams, which the signatures estimate),
 *  into *score (0..1; 1 for texts with the same words, 0 when either has
 *  none).  Thread-safe.  Errors as tsr_tokenize. */
TSR_API int tsr_dedup_measure(const char *a, size_t alen, const char *b, size_t blen,
                              const tsr_dedup_opts *o, double *score, tsr_error *err);

/** A cluster of near-duplicate documents (two or more). */
typedef struct tsr_dedup_cluster {
    uint64_t keep;       /* the document kept */
    size_t first, n;     /* members: tsr_dedup_members()[first, first+n),
                          * ascending document numbers, `keep` among them */
    double similarity;   /* the least score of a member with `keep`:
                          * Jaccard: the estimated Jaccard (members join
                          * through chains, so it may be below the
                          * threshold); the other measures: the score,
                          * never below the threshold */
} tsr_dedup_cluster;

/** After tsr_dedup_run (and tsr_dedup_verify): the clusters, ordered by
 *  their first member; the array belongs to `d` and is valid until the
 *  next run or free. */
TSR_API const tsr_dedup_cluster *tsr_dedup_clusters(const tsr_dedup *d, size_t *n);
/** The member array the clusters index into (same lifetime). */
TSR_API const uint64_t *tsr_dedup_members(const tsr_dedup *d);

/** After tsr_dedup_run (and tsr_dedup_verify): the document kept in the
 *  place of document `doc`: `doc` itself when it is kept (alone or its
 *  cluster's keeper), else its cluster's keeper.  Cluster number (index
 *  into tsr_dedup_clusters) in *cluster (may be NULL; -1 for a document
 *  in no cluster). */
TSR_API uint64_t tsr_dedup_kept_as(const tsr_dedup *d, uint64_t doc,
                                   int64_t *cluster);

/** Estimated Jaccard similarity of the signatures of two added documents
 *  (0 when either has no shingles), whatever the measure. */
TSR_API double tsr_dedup_similarity(const tsr_dedup *d, uint64_t a, uint64_t b);

/** Counts of the last run: pairs compared by signature in the bands, and
 *  Jaccard: pairs that passed (with repeats across bands); the other
 *  measures: documents joined to a keeper by tsr_dedup_verify. */
TSR_API void tsr_dedup_stats(const tsr_dedup *d, uint64_t *candidates,
                             uint64_t *verified);

/** What the last run and verification did, in detail (with Jaccard only
 *  band_pairs and joined are set). */
typedef struct tsr_dedup_counts {
    uint64_t band_pairs;  /* pairs compared by signature in the bands */
    uint64_t candidates;  /* distinct pairs at or above o->candidate */
    uint64_t identical;   /* of those looked at, with equal signatures:
                           * score 1, unread */
    uint64_t scored;      /* of them scored on their compact forms (the
                           * others needed no score: a document of them
                           * was taken before) */
    uint64_t joined;      /* documents joined to a cluster: the documents
                           * dropped */
    uint64_t fetched;     /* compact forms read back (a document may be
                           * read more than once) */
    uint64_t spooled;     /* bytes of compact forms in the spool file */
} tsr_dedup_counts;
TSR_API void tsr_dedup_get_counts(const tsr_dedup *d, tsr_dedup_counts *c);

/** Free a corpus.  Accepts NULL. */
TSR_API void tsr_dedup_free(tsr_dedup *d);

/** A near duplicate of a text among the documents of an index. */
typedef struct tsr_dup_match {
    int64_t docno;       /* -1: none */
    double jaccard;      /* estimated Jaccard of the signatures */
    double score;        /* the score of o->measure (Jaccard: = jaccard) */
} tsr_dup_match;

/** Find the indexed document most similar to `text` (the highest score of
 *  o->measure, at least o->threshold), without touching the rest of the
 *  index: candidates are the documents that share the most of the text's
 *  fingerprints (the index's own postings; documents holding at least half
 *  of them; at most 16 are fetched); each candidate's signature (Jaccard)
 *  or score (tsr_dedup_measure) is computed from its stored text.
 *  *out->docno is -1 when there is none.  Thread-safe on a read-only
 *  index. */
TSR_API int tsr_index_near_duplicate(tsr_index *ix, const char *text, size_t len,
                                     const tsr_dedup_opts *o, tsr_dup_match *out,
                                     tsr_error *err);

/** Exact repeated substrings in a block of documents (a shard).  Add the
 *  documents, run, then ask for each document's spans.  Memory: about 13
 *  bytes per byte of text during tsr_substr_run, 1 byte per byte before
 *  and after.  One thread at a time. */
typedef struct tsr_substr tsr_substr;

/** Create a shard that finds spans of at least `min_bytes` (>= 8) bytes. */
TSR_API int tsr_substr_create(size_t min_bytes, tsr_substr **out, tsr_error *err);

/** Append a document (copied).  TSR_ERR_TOOBIG past 2 GiB in a shard. */
TSR_API int tsr_substr_add(tsr_substr *s, const char *text, size_t len,
                           tsr_error *err);

/** Bytes held (texts plus one separator per document). */
TSR_API size_t tsr_substr_bytes(const tsr_substr *s);

/** Find, for every document, the spans of at least min_bytes that occur
 *  earlier in the shard (in an earlier document, or earlier in the same
 *  one): the first occurrence is never a span, every later one is.  The
 *  longest previous factor of every position, from the suffix array
 *  (libdivsufsort), its LCP array (Kasai et al. 2001) and the stack
 *  algorithm of Crochemore & Ilie (2008); linear time after the sort. */
TSR_API int tsr_substr_run(tsr_substr *s, tsr_error *err);

/** After tsr_substr_run: the repeated spans of document `doc` (numbered in
 *  the order added), sorted, not overlapping; byte offsets into its text.
 *  With `cut` set, each span shrinks to whole sentences and lines inside
 *  it (a span starts at the start of the text, after a line break, or
 *  after a sentence end . ! ? and white space; it ends at the end of the
 *  text, after a line break or after a sentence end), and spans with no
 *  whole sentence inside are left out: removing them never cuts a
 *  sentence in half.  *spans is freed with tsr_free (NULL when *n is 0). */
TSR_API int tsr_substr_spans(const tsr_substr *s, size_t doc, int cut,
                             tsr_span **spans, size_t *n, tsr_error *err);

/** Documents in the shard. */
TSR_API size_t tsr_substr_count(const tsr_substr *s);

/** Empty the shard for the next block (keeps min_bytes). */
TSR_API void tsr_substr_reset(tsr_substr *s);

/** Free a shard.  Accepts NULL. */
TSR_API void tsr_substr_free(tsr_substr *s);

/** Boilerplate lines, onion-style: a line (its normalized words) that
 *  recurs in at least `min_docs` documents of one series, and in at least
 *  `min_share` of the series' documents, is boilerplate.  First count
 *  every document (tsr_boiler_add), then ask for spans (tsr_boiler_spans).
 *  Memory: about 16 bytes per distinct (series, line). */
typedef struct tsr_boiler tsr_boiler;

/** Create a counter; min_docs >= 2, min_share in 0..1 (0: no share bound). */
TSR_API int tsr_boiler_create(unsigned min_docs, double min_share,
                              tsr_boiler **out, tsr_error *err);

/** Count the distinct lines of one document of `series` (may be NULL: the
 *  series of documents without one).  Thread-safe: calls may run from
 *  many threads at once. */
TSR_API int tsr_boiler_add(tsr_boiler *b, const char *series, const char *text,
                           size_t len, tsr_error *err);

/** The boilerplate lines of a text of `series`: whole lines (without their
 *  line break), sorted.  *spans is freed with tsr_free.  Thread-safe once
 *  counting is over. */
TSR_API int tsr_boiler_spans(const tsr_boiler *b, const char *series,
                             const char *text, size_t len, tsr_span **spans,
                             size_t *n, tsr_error *err);

/** Free a counter.  Accepts NULL. */
TSR_API void tsr_boiler_free(tsr_boiler *b);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_H */
