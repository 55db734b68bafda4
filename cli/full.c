/*
 * full.c - the two programs of the command line.
 *
 * `tessera` is built twice from the same sources.  tessera-full links
 * everything: the HTTP server (libmicrohttpd, and through it GnuTLS and
 * eight more libraries) and Open MPI.  tessera, the program users run,
 * leaves those two out: loading and relocating them cost about 10 ms at
 * every start, half of a `tessera check` against 100,000 documents
 * (BENCHMARKS.md, "One program without the server and MPI").  It hands
 * the runs that need them to tessera-full, whole, with exec: `tessera
 * serve`, and any run under an MPI launcher (mpi.c).  Nothing else
 * differs between the two.
 *
 * tessera-full is looked for beside the running program (the build
 * directory), then in ../libexec/tessera from it (make install puts it
 * there, whatever the PREFIX).
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FULL_NAME "tessera-full"
#define FULL_DIR "../libexec/tessera"   /* where make install puts it, from bin/ */

/* The path of tessera-full into buf: beside this program, else where
 * make install puts it.  0, or -1 when neither exists. */
static int full_path(char *buf, size_t n)
{
    char self[PATH_MAX];
    const ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0)
        return -1;
    self[k] = 0;
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = 0;
    static const char *const where[] = { FULL_NAME, FULL_DIR "/" FULL_NAME };
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++)
        if ((size_t)snprintf(buf, n, "%s/%s", self, where[i]) < n && access(buf, X_OK) == 0)
            return 0;
    return -1;
}

int cli_exec_full(char **argv, const char *why)
{
    char path[PATH_MAX];
    if (full_path(path, sizeof path) != 0)
        return cli_fail(EXIT_SYSTEM, "%s needs %s, which is neither beside this program nor "
                        "in %s from it (make install puts it there)", why, FULL_NAME, FULL_DIR);
    fflush(stdout);
    fflush(stderr);
    execv(path, argv);
    return cli_fail(EXIT_SYSTEM, "%s: cannot run %s: %s", why, path, strerror(errno));
}
