/*
 * testhelp.h - a tiny unit-test harness (after redis testhelp.h).
 *
 *   TEST("tokenize ascii") { ... CHECK(x == 1); ... }
 *   int main(void) { RUN(test_fn); ...; return test_report(); }
 *
 * Each CHECK that fails prints file:line and the expression; test_report()
 * prints "N passed, N failed" for the file's checks and returns the exit code.
 */
#ifndef TESTHELP_H
#define TESTHELP_H
#include <stdio.h>

static int th_passed, th_failed;
static const char *th_name = "";

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) th_passed++;                                               \
        else {                                                               \
            th_failed++;                                                     \
            fprintf(stderr, "FAIL %s: %s:%d: %s\n", th_name, __FILE__,       \
                    __LINE__, #cond);                                        \
        }                                                                    \
    } while (0)

#define RUN(fn) do { th_name = #fn; fn(); } while (0)

static inline int test_report(void)
{
    printf("%d passed, %d failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}
#endif
