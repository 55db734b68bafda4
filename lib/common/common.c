/*
 * common.c - error strings, error detail, growable arrays, versions.
 */
#include "common.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

unsigned tsr_version_number(void) { return TSR_VERSION_NUMBER; }
const char *tsr_version_string(void) { return TSR_VERSION_STRING; }

static const char *const status_text[TSR_STATUS_MAX_] = {
    [TSR_OK] = "success",
    [TSR_ERR_NOMEM] = "out of memory",
    [TSR_ERR_IO] = "input/output error",
    [TSR_ERR_UTF8] = "invalid UTF-8",
    [TSR_ERR_NUL] = "NUL byte in text",
    [TSR_ERR_FORMAT] = "bad index file format",
    [TSR_ERR_CHECKSUM] = "checksum mismatch",
    [TSR_ERR_VERSION] = "unsupported index format version",
    [TSR_ERR_CORRUPT] = "index is corrupt",
    [TSR_ERR_INVALID] = "invalid argument",
    [TSR_ERR_JSON] = "malformed JSON",
    [TSR_ERR_NOTFOUND] = "not found",
    [TSR_ERR_DUPLICATE] = "duplicate document id",
    [TSR_ERR_DB] = "catalog database error",
    [TSR_ERR_TOOBIG] = "input too large",
    [TSR_ERR_LOCKED] = "index is locked by another writer",
    [TSR_ERR_EMPTY] = "no words in input",
    [TSR_ERR_READONLY] = "index is open read-only",
    [TSR_ERR_NOSPACE] = "no space left on the disk",
    [TSR_ERR_TIMEOUT] = "time limit reached",
};

const char *tsr_strerror(int status)
{
    if (status < 0 || status >= TSR_STATUS_MAX_ || !status_text[status])
        return "unknown error";
    return status_text[status];
}

void tsr_free(void *p) { free(p); }

int tsr_seterr(tsr_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

int tsr_preferr(tsr_error *err, int code, const char *fmt, ...)
{
    if (err) {
        char prefix[256], old[sizeof err->message];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        memcpy(old, err->message, sizeof old);
        old[sizeof old - 1] = 0;
        err->code = code;
        size_t pl = strlen(prefix), ol = strlen(old);
        if (pl > sizeof err->message - 3) pl = sizeof err->message - 3;
        memcpy(err->message, prefix, pl);
        memcpy(err->message + pl, ": ", 2);
        if (ol > sizeof err->message - pl - 3) ol = sizeof err->message - pl - 3;
        memcpy(err->message + pl + 2, old, ol);
        err->message[pl + 2 + ol] = 0;
    }
    return code;
}

int tsr_vec_grow_(void **a, size_t *cap, size_t n, size_t extra, size_t elsize)
{
    if (n + extra <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < n + extra) {
        if (nc > SIZE_MAX / 2 / elsize)
            return -1;
        nc *= 2;
    }
    void *p = realloc(*a, nc * elsize);
    if (!p)
        return -1;
    *a = p;
    *cap = nc;
    return 0;
}

char *tsr_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

char *tsr_strdup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = tsr_strndup(s, strlen(s));
    if (!d)
        *oom = 1;
    return d;
}

/* ------------------------------------------------------------------------
 * Arena (common.h).
 * `tessera index` of 100,000 documents (103 MB, one batch) with the
 * batch's documents and postings in arenas: page faults 35,900 -> 7,200,
 * CPU -4% to -14% (BENCHMARKS.md, "The batch's memory in arenas").
 * --------------------------------------------------------------------- */

#define ARENA_ALIGN ((size_t)16)

/* A chunk: one malloc of its header, its blocks' bytes and a huge page; the
 * blocks start at the first huge-page boundary after this header and
 * fill whole huge pages, so that all of them can be huge.  (The head and
 * tail left over are address space, never touched.) */
struct tsr_arena_chunk {
    tsr_arena_chunk *next;
    char *base;         /* the first block */
    size_t size;        /* bytes for blocks from base: whole huge pages */
    size_t used;        /* bytes handed out */
};

void *tsr_huge_alloc(size_t head, size_t size, char **base)
{
    if (head > SIZE_MAX / 4 || size > SIZE_MAX / 4)
        return NULL;
    size = tsr_huge_round(size);
    char *raw = malloc(head + TSR_HUGE_PAGE + size);
    if (!raw)
        return NULL;
    /* base is at most TSR_HUGE_PAGE - 1 bytes past the head's end */
    const uintptr_t at = (uintptr_t)(raw + head);
    *base = (char *)((at + TSR_HUGE_PAGE - 1) & ~(uintptr_t)(TSR_HUGE_PAGE - 1));
#ifdef MADV_HUGEPAGE
    (void)madvise(*base, size, MADV_HUGEPAGE);   /* a refusal costs nothing */
#endif
    return raw;
}

static tsr_arena_chunk *arena_chunk(size_t n)
{
    if (n > SIZE_MAX / 4)
        return NULL;
    const size_t size = tsr_huge_round(n < TSR_ARENA_CHUNK ? TSR_ARENA_CHUNK : n);
    char *base;
    tsr_arena_chunk *c = tsr_huge_alloc(sizeof *c, size, &base);
    if (!c)
        return NULL;
    c->next = NULL;
    c->base = base;
    c->size = size;
    c->used = 0;
    return c;
}

void *tsr_arena_alloc(tsr_arena *a, size_t n)
{
    if (n > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    tsr_arena_chunk *c = a->cur;
    /* the current chunk, else the next kept one with room, else a new one
     * at the end of the list */
    while (c && c->size - c->used < n) {
        if (!c->next)
            break;
        c = c->next;
    }
    if (!c || c->size - c->used < n) {
        tsr_arena_chunk *nc = arena_chunk(n);
        if (!nc)
            return NULL;
        if (c)
            c->next = nc;
        else
            a->first = nc;
        a->bytes += nc->size;
        c = nc;
    }
    a->cur = c;
    void *p = c->base + c->used;
    c->used += n;
    return p;
}

void tsr_arena_reset(tsr_arena *a)
{
    for (tsr_arena_chunk *c = a->first; c; c = c->next)
        c->used = 0;
    a->cur = a->first;
}

void tsr_arena_free(tsr_arena *a)
{
    tsr_arena_chunk *c = a->first;
    while (c) {
        tsr_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    memset(a, 0, sizeof *a);
}
