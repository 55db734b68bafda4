/*
 * testutil.h - what the unit tests (tests/unit/) and the testers
 * (tests/tools/, through synth.h) share besides the harness of testhelp.h:
 * seeded random numbers, made-up texts, and the removal of a temporary
 * directory.
 *
 * Header-only, like testhelp.h and synth.h: each test is one program built
 * from one .c file, and the functions are `static inline`, so that a test
 * that uses some of them is not warned about the others.  Nothing here
 * reaches inside the library (the testers link libtessera.a, which exports
 * the API alone).
 *
 * The random numbers are splitmix64 on a state the caller owns and seeds:
 * a test keeps one `rng` for the whole file (`static rng R = { 12345 };`),
 * so that it draws the same numbers, in the same order, on every run.
 */
#ifndef TSR_TESTS_TESTUTIL_H
#define TSR_TESTS_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- random numbers -------------------------------------------------------- */

typedef struct { uint64_t s; } rng;

static inline uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* a double in [0, 1) */
static inline double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) / 9007199254740992.0; }

/* an integer in [lo, hi] */
static inline int rng_range(rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* ---- made-up texts --------------------------------------------------------- */

/* A text of `nwords` pseudo-words, each three syllables drawn by `r` (a
 * vocabulary of 3000), separated by spaces, a line break after every 17th.
 * Newly allocated: free() it. */
static inline char *make_text(rng *r, size_t nwords)
{
    static const char *syl[] = { "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "zu", "pe",
                                 "dra", "ston", "qui", "bel", "ham" };
    char *t = malloc(nwords * 12 + 1), *p = t;
    for (size_t i = 0; i < nwords; i++) {
        unsigned w = (unsigned)(rng_next(r) % 3000);
        for (int k = 0; k < 3; k++) {
            const char *s = syl[w % 15];
            w /= 15;
            memcpy(p, s, strlen(s));
            p += strlen(s);
        }
        *p++ = i % 17 == 16 ? '\n' : ' ';
    }
    *p = 0;
    return t;
}

/* ---- temporary directories ------------------------------------------------- */

/* Remove `path`: a file, or a directory with everything below it (rm -rf;
 * links are removed, not followed).  Returns 0 when nothing is left at
 * `path` (including when there was nothing), -1 otherwise. */
static inline int rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[4096];
            if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < (int)sizeof sub)
                rm_tree(sub); /* else too long: left, and the rmdir below fails */
        }
        closedir(d);
    }
    return rmdir(path);
}

#endif
