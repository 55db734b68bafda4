/*
 * reader.h - the two paths of the JSON Lines parser, one at a time, for
 * the tests and the differential fuzz target (tests/fuzz/fuzz_jsonl.c).
 * Not API: the reader and tsr_parse_jsonl always take both, the fast path
 * first (the essay of reader.c says how and why).
 */
#ifndef TSR_READER_H
#define TSR_READER_H

#include "tessera.h"

/* Which path parses a line. */
enum {
    RD_PATH_BOTH = 0,  /* the fast path, and jansson for what it declines */
    RD_PATH_FAST,      /* the fast path alone: a declined line gives no document */
    RD_PATH_JANSSON    /* jansson alone, as before the fast path existed */
};

/* tsr_parse_jsonl on the path(s) `path` says.  With RD_PATH_FAST a line
 * the fast path declines returns TSR_OK with *out NULL; the fast path
 * itself never returns an error but TSR_ERR_INVALID for bad arguments. */
int rd_parse_jsonl(const tsr_reader_opts *o, int path, const char *line, size_t len,
                   const char *file, uint64_t lineno, tsr_jsonl_doc **out, tsr_error *err);

/* 1 when `doc` (of tsr_parse_jsonl or rd_parse_jsonl) was parsed by the
 * fast path, 0 when by jansson. */
int rd_jsonl_doc_fast(const tsr_jsonl_doc *doc);

/* Lines of JSON Lines the reader `r` parsed so far by each path (raw mode
 * parses none).  Either pointer may be NULL. */
void rd_reader_paths(const tsr_reader *r, uint64_t *fast, uint64_t *jansson);

#endif /* TSR_READER_H */
