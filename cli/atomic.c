/*
 * atomic.c - output files written whole or not at all: the one place where
 * the CLI makes a file appear under its name (check --jsonl -o and --html,
 * dedup -o and --clusters, every output of discover and its last-run mark).
 *
 * How it works.  A rename within one folder replaces a name in one step:
 * whoever opens the target sees the old file or the new one, never half
 * of one.  So cli_atomic_open makes the temporary in the target's own
 * folder (a rename cannot cross file systems), in one of two ways:
 *
 *   - anonymous (open O_TMPFILE on the folder; Linux, most local file
 *     systems): the file has no name until it is complete, so nothing is
 *     left behind whatever ends the process, SIGKILL and power loss
 *     included;
 *   - named, where the file system refuses that or the writer opens the
 *     file by name (SQLite): PATH.tessera-XXXXXX.tmp, which says whose it
 *     is and sorts beside the target.  It is created as mkstemp(3) does
 *     (a random XXXXXX, O_EXCL, again on EEXIST), so it never truncates
 *     nor follows an existing file, and two runs never share it; but with
 *     mode 0666 less the umask, as fopen would create the target, not
 *     mkstemp's 0600, which would leave the output private.  Its name is
 *     kept in a small registry that a signal handler empties with
 *     unlink() alone (cli_atomic_cleanup); only a SIGKILL or a power loss
 *     can leave it.
 *
 * cli_atomic_commit then flushes the stream and fsyncs the file (its data
 * is on disk before any name points at it), gives an anonymous file a
 * temporary name (linkat of /proc/self/fd/N: linkat cannot replace a name,
 * rename can), renames over the target, and fsyncs the folder, so that the
 * new name itself survives a power loss.  Before the rename the target is
 * the old file; after it, the complete new one.  cli_atomic_abort closes
 * the temporary and removes it.
 *
 * Edge cases.  "-" is standard output when the caller says so
 * (CLI_ATOMIC_STDOUT): written and flushed, never closed, with no
 * whole-or-nothing promise.  A target that exists and is not a regular
 * file (a FIFO, /dev/null, /dev/stdout, a terminal) is written in place:
 * renaming over it would put a regular file where a reader waits on a pipe,
 * or (as root) replace a device node.  A folder as target is refused when
 * opening, before the command does its work.  A symbolic link as target is
 * replaced by the new file (rename's rule), and the new file has the
 * default mode, not the mode of the file it replaces.
 *
 * Errors are printed here ("tessera: cannot create PATH: reason",
 * "tessera: writing PATH failed: reason; PATH is as it was") and are
 * EXIT_SYSTEM, as every failure to write an output is (a missing folder,
 * a full disk, an I/O error, memory): see the exit codes in cli.h.  The
 * reason is the errno of the first write that failed, whenever it came:
 * the stream writes through a small sink (fopencookie) that keeps it, as
 * stdio does not (a large fwrite that fails leaves nothing buffered for a
 * later fflush to fail on again, and errno is long gone by the commit).
 */
/* O_TMPFILE, AT_EMPTY_PATH and fopencookie are declared under _GNU_SOURCE */
#define _GNU_SOURCE 1
#include "atomic.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { HOW_STDOUT = 1, HOW_INPLACE, HOW_ANON, HOW_NAMED };

/* What a->f writes through: the descriptor, and the errno of the first
 * write that failed (0: none). */
struct cli_atomic_sink {
    int fd;
    int err;
};

/* ------------------------------------------------------------------------
 * Registry of named temporaries, for signal handlers
 * --------------------------------------------------------------------- */

#define N_SLOTS 8
static const char *volatile slots[N_SLOTS];

static void registry_add(const char *tmp)
{
    for (int i = 0; i < N_SLOTS; i++)
        if (!slots[i]) {
            slots[i] = tmp;
            return;
        }
}

static void registry_remove(const char *tmp)
{
    for (int i = 0; i < N_SLOTS; i++)
        if (slots[i] == tmp)
            slots[i] = NULL;
}

void cli_atomic_cleanup(void)
{
    for (int i = 0; i < N_SLOTS; i++) {
        const char *p = slots[i];
        if (p)
            unlink(p);
    }
}

/* ------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

/* The folder of `path` in a new string: "." for a bare name, "/" for a
 * file at the root.  NULL when out of memory. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = 0;
    }
    return d;
}

/* Write a fresh name PATH.tessera-XXXXXX.tmp into a->tmp (allocated on the
 * first call, sized for it): six random letters or digits, from the clock,
 * the process id and a counter.  Returns 0, or -1 when out of memory. */
static int next_tmp_name(cli_atomic *a)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static uint64_t counter;
    const size_t n = strlen(a->path);
    if (!a->tmp && !(a->tmp = malloc(n + sizeof ".tessera-XXXXXX.tmp"))) {
        errno = ENOMEM;
        return -1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 ((uint64_t)getpid() << 40) ^ ++counter * 0x9e3779b97f4a7c15ull;
    x ^= x >> 31;   /* a splitmix64 finish: every bit of the seed moves the name */
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    char sfx[7];
    for (int i = 0; i < 6; i++, x /= 62)
        sfx[i] = abc[x % 62];
    sfx[6] = 0;
    snprintf(a->tmp, n + sizeof ".tessera-XXXXXX.tmp", "%s.tessera-%s.tmp", a->path, sfx);
    return 0;
}

/* Create a new named temporary, a->tmp; returns its descriptor, or -1
 * (errno; a->tmp then names no file of ours). */
static int open_named(cli_atomic *a)
{
    for (int tries = 0; tries < 100; tries++) {
        if (next_tmp_name(a) != 0)
            return -1;
        const int fd = open(a->tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;   /* EEXIST a hundred times over */
}

/* Give the anonymous file `fd` a fresh temporary name in a->tmp.
 * Returns 0, or -1 (errno; a->tmp then NULL). */
static int name_anon(cli_atomic *a, int fd)
{
    char proc[40];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    for (int tries = 0; tries < 100; tries++) {
        if (next_tmp_name(a) != 0)
            return -1;
        int rc = linkat(AT_FDCWD, proc, AT_FDCWD, a->tmp, AT_SYMLINK_FOLLOW);
        if (rc != 0 && errno == ENOENT)   /* no /proc: needs CAP_DAC_READ_SEARCH */
            rc = linkat(fd, "", AT_FDCWD, a->tmp, AT_EMPTY_PATH);
        if (rc == 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    const int e = errno;   /* a->tmp names no file of ours: forget it */
    free(a->tmp);
    a->tmp = NULL;
    errno = e;
    return -1;
}

/* fopencookie's write: all of buf, or 0 with errno (kept in the sink). */
static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
    struct cli_atomic_sink *k = cookie;
    for (size_t done = 0; done < n;) {
        const ssize_t got = write(k->fd, buf + done, n - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO;
            if (!k->err)
                k->err = errno;
            return 0;
        }
        done += (size_t)got;
    }
    return (ssize_t)n;
}

static int sink_close(void *cookie)
{
    struct cli_atomic_sink *k = cookie;
    return close(k->fd);
}

/* Point a->f at `fd` through a new sink; the stream owns fd from here (and
 * closes it on failure).  Returns 0, or -1 (errno). */
static int open_stream(cli_atomic *a, int fd)
{
    static const cookie_io_functions_t io = { NULL, sink_write, NULL, sink_close };
    if ((a->sink = malloc(sizeof *a->sink))) {
        a->sink->fd = fd;
        a->sink->err = 0;
        if ((a->f = fopencookie(a->sink, "w", io)))
            return 0;
    }
    const int e = errno ? errno : ENOMEM;
    close(fd);
    errno = e;
    return -1;
}

/* Free what `a` holds and zero it (the state of a finished cli_atomic). */
static void release(cli_atomic *a)
{
    registry_remove(a->tmp);
    free(a->tmp);
    free(a->path);
    free(a->dir);
    free(a->sink);
    memset(a, 0, sizeof *a);
}

/* fsync the folder `dir`, so that a rename in it is durable.  A file
 * system that cannot sync a folder (EINVAL) has nothing more to do. */
static int sync_folder(const char *dir)
{
    const int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd) != 0 && errno != EINVAL ? -1 : 0;
    const int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

int cli_atomic_open(cli_atomic *a, const char *path, unsigned flags)
{
    memset(a, 0, sizeof *a);
    if ((flags & CLI_ATOMIC_STDOUT) && !strcmp(path, "-")) {
        a->f = stdout;
        a->name = "standard output";
        a->how = HOW_STDOUT;
        return EXIT_OK;
    }
    struct stat st;
    const int special = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
    int fd = -1;
    if (!(a->path = strdup(path)) || !(a->dir = folder_of(path))) {
        errno = ENOMEM;
    } else if (special && S_ISDIR(st.st_mode)) {
        errno = EISDIR;
    } else if (special) {
        a->how = HOW_INPLACE;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    } else {
#ifdef O_TMPFILE
        if (!(flags & CLI_ATOMIC_NAMED))
            fd = open(a->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#endif
        a->how = fd >= 0 ? HOW_ANON : HOW_NAMED;
        if (fd < 0 && (fd = open_named(a)) >= 0)
            registry_add(a->tmp);
    }
    if (fd >= 0 && open_stream(a, fd) != 0 && a->how == HOW_NAMED) {
        const int e = errno;
        unlink(a->tmp);
        errno = e;
    }
    if (a->f) {
        a->name = a->path;
        return EXIT_OK;
    }
    const int e = errno;
    release(a);
    return cli_fail(EXIT_SYSTEM, "cannot create %s: %s", path, strerror(e));
}

int cli_atomic_commit(cli_atomic *a)
{
    if (!a->f)
        return EXIT_OK;
    int e = 0;
    errno = 0;
    if (fflush(a->f) != 0 || ferror(a->f))
        e = a->sink && a->sink->err ? a->sink->err : errno ? errno : EIO;
    if (a->how == HOW_STDOUT) {
        release(a);
        return e ? cli_fail(EXIT_SYSTEM, "writing standard output failed: %s", strerror(e))
                 : EXIT_OK;
    }
    const int anon = a->how == HOW_ANON, inplace = a->how == HOW_INPLACE;
    if (!e && !inplace && fsync(a->sink->fd) != 0)
        e = errno;
    if (!e && anon && name_anon(a, a->sink->fd) != 0)
        e = errno;
    if (anon && a->tmp)
        registry_add(a->tmp);   /* it has a name from here on */
    if (fclose(a->f) != 0 && !e)
        e = errno;
    a->f = NULL;
    if (!e && !inplace && rename(a->tmp, a->path) != 0)
        e = errno;
    if (e) {
        if (a->tmp)
            unlink(a->tmp);
        const int rc = inplace
            ? cli_fail(EXIT_SYSTEM, "writing %s failed: %s", a->path, strerror(e))
            : cli_fail(EXIT_SYSTEM, "writing %s failed: %s; %s is as it was", a->path,
                       strerror(e), a->path);
        release(a);
        return rc;
    }
    if (!inplace && sync_folder(a->dir) != 0) {
        const int rc = cli_fail(EXIT_SYSTEM, "%s: syncing the folder after writing %s: %s",
                                a->dir, a->path, strerror(errno));
        release(a);
        return rc;
    }
    release(a);
    return EXIT_OK;
}

void cli_atomic_abort(cli_atomic *a)
{
    if (!a->f)
        return;
    if (a->how == HOW_STDOUT)
        fflush(stdout);
    else
        fclose(a->f);   /* an anonymous file vanishes here */
    if (a->how == HOW_NAMED)
        unlink(a->tmp);
    release(a);
}
