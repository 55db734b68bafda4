/* result.h - building a tsr_result from word-level passages. Not API. */
#ifndef TSR_RESULT_H
#define TSR_RESULT_H
#include "align.h"

/* A new, empty result for a text of `bytes` bytes and `words` words. */
tsr_result *rs_new(size_t bytes, size_t words);

/* Append a source (strings copied; any may be NULL); *index receives its
 * position in r->sources. */
int rs_add_source(tsr_result *r, const char *id, const char *title,
                  const char *date, const char *series, int64_t docno,
                  size_t *index);

/* Append passages found against source `src`: word spans converted to
 * byte spans with the words of A (checked text) and B (source). */
int rs_add_passages(tsr_result *r, const al_passages *ps, const tsr_word *A,
                    const tsr_word *B, size_t src);

/* Append repeats of A inside itself (from al_align in self mode). */
int rs_add_repeats(tsr_result *r, const al_passages *ps, const tsr_word *A);

/* Append a boilerplate span of the checked text. */
int rs_add_boilerplate(tsr_result *r, size_t begin, size_t end);

/* Among several sources: drop the passages that another source explains
 * better (result.c), and the sources left without a passage. */
void rs_explain_away(tsr_result *r);

/* Sort passages, mark those inside boilerplate spans, compute coverage
 * per source and in total. */
int rs_finish(tsr_result *r);
#endif
