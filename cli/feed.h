/* feed.h - documents read on their own thread (feed.c). */
#ifndef TSR_CLI_FEED_H
#define TSR_CLI_FEED_H
#include <stdint.h>
#include "tessera.h"

/* Most documents in one batch. */
#define CLI_FEED_BATCH_DOCS 512

typedef struct cli_feed cli_feed;
typedef struct cli_batch cli_batch;

/* Start reading `inputs` (paths; "-" = stdin) on a new thread. 0 or -1. */
int cli_feed_start(cli_feed **f, char *const *inputs, int n, const tsr_reader_opts *ro);
/* The next batch of documents, in input order: 1 and *b set; 0 at the end;
 * -1 after a reading error (see cli_feed_error).  Free *b with cli_batch_free. */
int cli_feed_next(cli_feed *f, cli_batch **b);
size_t cli_batch_count(const cli_batch *b);
const tsr_docinfo *cli_batch_doc(const cli_batch *b, size_t i);
int cli_batch_input(const cli_batch *b);
void cli_batch_free(cli_batch *b);
/* The reading error: status, index of the input, message. */
const tsr_error *cli_feed_error(const cli_feed *f, int *status, int *input);
/* Bytes read so far and in all (approximate; for progress). */
void cli_feed_progress(const cli_feed *f, uint64_t *done, uint64_t *total);
/* Records of input `input` skipped by skip_bad (known once it was read). */
uint64_t cli_feed_skipped(const cli_feed *f, int input, const char **last);
/* Stop the reader (if still running), wait for it, free everything. */
void cli_feed_stop(cli_feed *f);
#endif
