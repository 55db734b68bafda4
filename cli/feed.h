/* feed.h - documents read on their own thread, parsed on many (feed.c). */
#ifndef TSR_CLI_FEED_H
#define TSR_CLI_FEED_H
#include <stdint.h>
#include "tessera.h"

/* Most documents in one batch. */
#define CLI_FEED_BATCH_DOCS 512

typedef struct cli_feed cli_feed;
typedef struct cli_batch cli_batch;

/* Start reading `inputs` (paths; "-" = stdin) on a new thread. 0 or -1.
 * parse_threads > 0: that thread parses each batch, with parse_threads - 1
 * helpers, before queueing it; -1: cli_feed_parse_threads(-1); 0: the
 * consumer parses (cli_batch_parse). */
int cli_feed_start(cli_feed **f, char *const *inputs, int n, const tsr_reader_opts *ro,
                   int parse_threads);
/* The threads that parse for a consumer working on `cores` cores (-1: all
 * online): one for every FEED_PARSE_CORES of them, at least one. */
int cli_feed_parse_threads(int cores);
/* The same, reading of input i only bytes [ranges[2i], ranges[2i+1]) (the
 * reader's range_begin and range_end; 0, 0 for all of it).  `ranges` (2n
 * values, or NULL) must live until cli_feed_stop. */
int cli_feed_start_ranges(cli_feed **f, char *const *inputs, const uint64_t *ranges, int n,
                          const tsr_reader_opts *ro, int parse_threads);
/* The next batch, in input order: 1 and *b set; 0 at the end; -1 after a
 * reading error (see cli_feed_fail).  Call cli_batch_parse before looking
 * at its documents (at once when the reader thread parsed it already).
 * Free *b with cli_batch_free. */
int cli_feed_next(cli_feed *f, cli_batch **b);
/* Parse the JSON lines of `b` on `threads` threads (0 = all cores, 1 = the
 * calling thread only).  Then cli_batch_count and cli_batch_doc give the
 * good documents, in input order, and records skipped as bad (skip_bad)
 * are counted in cli_feed_skipped.  Returns TSR_OK, or the status of the
 * first bad record that is not skipped: the batch then ends just before
 * it, and cli_batch_error gives the message, the same the reader would
 * have given.  Several threads may parse different batches at once. */
int cli_batch_parse(cli_feed *f, cli_batch *b, int threads);
const char *cli_batch_error(const cli_batch *b);
size_t cli_batch_count(const cli_batch *b);
const tsr_docinfo *cli_batch_doc(const cli_batch *b, size_t i);
int cli_batch_input(const cli_batch *b);
void cli_batch_free(cli_batch *b);
/* Report the reading error (cli_read_fail: its message names the input)
 * and return its exit code. */
int cli_feed_fail(const cli_feed *f);
/* Bytes read so far and in all (approximate; for progress). */
void cli_feed_progress(const cli_feed *f, uint64_t *done, uint64_t *total);
/* Records of input `input` skipped by skip_bad, in the batches parsed so
 * far, and the message of the last one in input order. */
uint64_t cli_feed_skipped(const cli_feed *f, int input, const char **last);
/* Files of directories skipped as binary (each told in a warning on
 * stderr by the reader thread as it goes, unless cli_feed_warn_binary is
 * 0, as for a second pass over the same inputs) in the inputs read to the
 * end. */
extern int cli_feed_warn_binary;
uint64_t cli_feed_binary(const cli_feed *f);
/* Stop the reader (if still running), wait for it, free everything. */
void cli_feed_stop(cli_feed *f);
#endif
