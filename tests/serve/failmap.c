/*
 * failmap.c - an LD_PRELOAD shim for tests/serve/api_test.py: mmap(2) of
 * an index segment (a file whose name ends in ".tsg") fails with EIO from
 * the Nth such call of the process on (TSR_FAILMAP_AFTER=N, counting from
 * 0); other mappings, and all of them without the variable, go through.
 *
 * It makes "the commit is durable, but taking it in failed" happen on
 * demand: a server started with N = the segments it maps at start plus
 * those its writer maps when it opens sees its commit's own reload fail,
 * and then every refresh.
 *
 *   cc -shared -fPIC -o failmap.so tests/serve/failmap.c -ldl
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static atomic_int seen;

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (!real)
        real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    const char *after = getenv("TSR_FAILMAP_AFTER");
    if (after && fd >= 0) {
        char link[64], path[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        if (n > 4) {
            path[n] = 0;
            if (!strcmp(path + n - 4, ".tsg") && atomic_fetch_add(&seen, 1) >= atoi(after)) {
                errno = EIO;
                return MAP_FAILED;
            }
        }
    }
    return real(addr, len, prot, flags, fd, off);
}
