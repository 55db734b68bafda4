/*
 * atomic.h - output files written whole or not at all (atomic.c).
 *
 * Every file a command writes for the user goes through these four calls:
 * the file is written beside its target under another name and renamed
 * over it only when complete and on disk, so a failure, an interrupt or a
 * kill never leaves a partial file under the target's name, and never
 * spoils the file that was there before.  How, and the edge cases: the
 * top of atomic.c.
 *
 *   cli_atomic out;
 *   int rc = cli_atomic_open(&out, path, CLI_ATOMIC_STDOUT);
 *   if (rc != EXIT_OK) return rc;               (message printed)
 *   if (write_everything(out.f) != 0) {
 *       rc = cli_fail(EXIT_SYSTEM, "%s: ...", out.name);
 *       cli_atomic_abort(&out);                 (the target untouched)
 *       return rc;
 *   }
 *   return cli_atomic_commit(&out);             (EXIT_OK, or printed)
 *
 * Threads: a cli_atomic belongs to one thread; opens and commits of
 * different files may not run at once on several threads (the registry of
 * cli_atomic_cleanup is not locked).
 *
 * Part of the CLI: uses only the public header, never lib/ internals.
 */
#ifndef TSR_CLI_ATOMIC_H
#define TSR_CLI_ATOMIC_H

#include <stdio.h>

/* An output file being written.  `f`, `name` and `tmp` are for the caller
 * to read, until the commit or the abort (which zero the struct); the rest
 * is the helper's.  `f` is a stdio stream to write, never to seek; but
 * standard output, it has no descriptor of its own (fileno gives -1). */
typedef struct cli_atomic {
    FILE *f;             /* write here; NULL once committed or aborted */
    const char *name;    /* the target as messages name it: its path, or
                          * "standard output" */
    char *tmp;           /* the temporary's path while it has one (always
                          * with CLI_ATOMIC_NAMED), else NULL */
    char *path, *dir;    /* the target and its folder */
    int how;             /* standard output, in place, anonymous, named */
    struct cli_atomic_sink *sink;   /* what `f` writes through (atomic.c) */
} cli_atomic;

/* cli_atomic_open flags */
#define CLI_ATOMIC_STDOUT 1u /* the path "-" means standard output */
#define CLI_ATOMIC_NAMED  2u /* the temporary must have a name, `tmp`, for a
                              * writer that opens the file itself (SQLite):
                              * it must write into that file, not unlink or
                              * replace it (commit fsyncs the file it made) */

/* Start writing the file `path`: open a new temporary in the folder of
 * `path` (anonymous where the file system allows, else named
 * PATH.tessera-XXXXXX.tmp with a random XXXXXX, created exclusively, mode
 * 0666 less the umask as for any new file) and point a->f at it.  Standard
 * output instead for "-" with CLI_ATOMIC_STDOUT; `path` itself, written in
 * place, when it exists and is neither a regular file nor a folder (a
 * FIFO, /dev/null: renaming over it would replace it).  A folder is
 * refused at once.
 * Returns EXIT_OK, or prints "tessera: cannot create PATH: reason" and
 * returns EXIT_SYSTEM (a is then as after cli_atomic_abort). */
int cli_atomic_open(cli_atomic *a, const char *path, unsigned flags);

/* Finish the file: flush it, fsync it, rename it over the target (for an
 * anonymous file: link it under a temporary name first), fsync the folder;
 * close it in every case.  With CLI_ATOMIC_NAMED, what was written through
 * other descriptors of `tmp` is fsynced too (fsync is per file).  Standard
 * output is flushed, never closed; a file written in place is flushed and
 * closed.  Returns EXIT_OK, or prints "tessera: writing PATH failed:
 * reason; PATH is as it was" (or the folder's fsync failed, naming it) and
 * returns EXIT_SYSTEM; the temporary is then removed. */
int cli_atomic_commit(cli_atomic *a);

/* Give up the file: close the temporary and remove it; the target is left
 * as it was.  (Standard output is flushed; a file written in place keeps
 * what was written.)  Accepts a zeroed cli_atomic, and one already
 * committed or aborted or whose open failed: then does nothing. */
void cli_atomic_abort(cli_atomic *a);

/* Remove every named temporary in flight (at most 8 at once are known).
 * Async-signal-safe: for a SIGINT or SIGTERM handler that then _exit()s. */
void cli_atomic_cleanup(void);

#endif /* TSR_CLI_ATOMIC_H */
