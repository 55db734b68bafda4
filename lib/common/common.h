/*
 * common.h - helpers shared by every stage of lib/: error reporting,
 * growable arrays, checked allocation.  Depends on nothing but libc and
 * the public header.  Not API.
 */
#ifndef TSR_COMMON_H
#define TSR_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tessera.h"

#include <errno.h>

#if defined(__GNUC__)
#  define TSR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#  define TSR_LIKELY(x) __builtin_expect(!!(x), 1)
#  define TSR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define TSR_FLATTEN __attribute__((flatten))
#else
#  define TSR_PRINTF(f, a)
#  define TSR_LIKELY(x) (x)
#  define TSR_UNLIKELY(x) (x)
#  define TSR_FLATTEN
#endif

/* The status of a failed write, fsync, create or rename: the disk is full
 * (TSR_ERR_NOSPACE: a caller may free space and retry; HTTP 507) or it
 * failed (TSR_ERR_IO). */
static inline int tsr_io_status(int e)
{
    return e == ENOSPC || e == EDQUOT ? TSR_ERR_NOSPACE : TSR_ERR_IO;
}

/* Set `err` (may be NULL) to `code` and a printf-style message; returns
 * `code` so that callers can write `return tsr_seterr(err, ...)`. */
int tsr_seterr(tsr_error *err, int code, const char *fmt, ...) TSR_PRINTF(3, 4);

/* Prefix an existing error message with "prefix: " (keeps the code). */
int tsr_preferr(tsr_error *err, int code, const char *fmt, ...) TSR_PRINTF(3, 4);

/* Forward a failing status: evaluate `expr`; if it is not TSR_OK, return
 * it.  The error detail was already set by the callee. */
#define TSR_FORWARD(expr)                                  \
    do {                                                   \
        int tsr_fwd_rc_ = (expr);                          \
        if (TSR_UNLIKELY(tsr_fwd_rc_ != TSR_OK))           \
            return tsr_fwd_rc_;                            \
    } while (0)

/* Return TSR_ERR_NOMEM with a message when `ptr` is NULL. */
#define TSR_CHECK_ALLOC(ptr, err)                                          \
    do {                                                                   \
        if (TSR_UNLIKELY((ptr) == NULL))                                   \
            return tsr_seterr((err), TSR_ERR_NOMEM, "out of memory (%s:%d)", \
                              __FILE__, __LINE__);                         \
    } while (0)

/* Growable array: `TSR_VEC(int) v = {0};` then tsr_vec_push(&v, x). */
#define TSR_VEC(type) struct { type *a; size_t n, cap; }

/* Ensure room for `extra` more elements; returns 0 on success, -1 on OOM. */
int tsr_vec_grow_(void **a, size_t *cap, size_t n, size_t extra, size_t elsize);
#define tsr_vec_reserve(v, extra)                                           \
    ((v)->n + (extra) <= (v)->cap                                           \
         ? 0 : tsr_vec_grow_((void **)&(v)->a, &(v)->cap, (v)->n, (extra), sizeof(*(v)->a)))
#define tsr_vec_push(v, x) \
    (tsr_vec_reserve((v), 1) ? -1 : ((v)->a[(v)->n++] = (x), 0))
#define tsr_vec_free(v) do { free((v)->a); (v)->a = NULL; (v)->n = (v)->cap = 0; } while (0)

/* A bump allocator for memory that lives and dies together (a batch's
 * documents and postings): blocks are carved in order from chunks of at
 * least TSR_ARENA_CHUNK bytes, never freed one by one; tsr_arena_reset
 * empties it and keeps the chunks for the next batch, tsr_arena_free
 * gives them back.  Why not malloc: the batch's memory is most of an index
 * run's, and, freed and grown piece by piece, it came back as fresh pages,
 * one page fault each (a third of `tessera index`'s system time, common.c).
 * The chunks come from malloc (so that test_oom fails them too) and their
 * aligned middle is offered to the kernel for transparent huge pages
 * (madvise MADV_HUGEPAGE; nothing where it has none): one fault per 2 MiB.
 * Zero-initialise a tsr_arena; blocks are 16-byte aligned. */
#define TSR_ARENA_CHUNK ((size_t)8 << 20)

/* Memory on whole transparent huge pages, for large blocks that are
 * filled once and kept (the arena's chunks, the document cache's blocks):
 * one malloc of `head` bytes, then `size` bytes starting on the first
 * 2 MiB boundary after them, offered to the kernel for huge pages
 * (madvise MADV_HUGEPAGE; nothing where it has none).  On this project's
 * host a 4 KB page's first touch costs about 12 us (a 2 MiB page about 0.5
 * ms: 24 times less a byte).  `size` is rounded up to whole huge pages
 * (tsr_huge_round).  Returns the malloc'd pointer, to be freed with free
 * (the head is at it), and sets *base; NULL when out of memory or too
 * large. */
#define TSR_HUGE_PAGE ((size_t)2 << 20)
void *tsr_huge_alloc(size_t head, size_t size, char **base);
static inline size_t tsr_huge_round(size_t n)
{
    return (n + TSR_HUGE_PAGE - 1) & ~(TSR_HUGE_PAGE - 1);
}
typedef struct tsr_arena_chunk tsr_arena_chunk;
typedef struct tsr_arena {
    tsr_arena_chunk *first, *cur;
    size_t bytes;        /* the chunks' sizes, summed */
} tsr_arena;
/* n bytes, or NULL when out of memory (the arena is as it was). */
void *tsr_arena_alloc(tsr_arena *a, size_t n);
void tsr_arena_reset(tsr_arena *a);
void tsr_arena_free(tsr_arena *a);

/* strdup that accepts NULL (returns NULL); *oom set to 1 on failure. */
char *tsr_strdup_or_null(const char *s, int *oom);
/* Copy of s[0..n) with a terminating NUL, or NULL on OOM. */
char *tsr_strndup(const char *s, size_t n);

/* qsort that accepts an empty (even NULL) array, which qsort does not. */
static inline void tsr_sort(void *base, size_t n, size_t size,
                            int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* Union-find over an array of parents (p[x] == x for roots), path
 * halving; the smaller index becomes the root, so that a set's root is its
 * first member.  Shared by discovery (families) and dedup (clusters). */
static inline uint32_t tsr_uf_find(uint32_t *p, uint32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

static inline void tsr_uf_union(uint32_t *p, uint32_t a, uint32_t b)
{
    a = tsr_uf_find(p, a);
    b = tsr_uf_find(p, b);
    if (a < b) p[b] = a;
    else if (b < a) p[a] = b;
}

/* tsr_utf8_check, where NUL bytes pass when allow_nul is set (text.c). */
int text_check(const char *text, size_t len, int allow_nul, size_t *bad_offset);

/* tsr_tokenize into a buffer that the caller keeps from text to text:
 * *words (capacity *cap, grown with realloc) receives the *n words. */
int text_words(const char *text, size_t len, tsr_word **words, size_t *cap, size_t *n,
               tsr_error *err);

/* splitmix64's finalizer (with its increment): mixes a 64-bit value. */
static inline uint64_t tsr_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Figures: numbers as written, what tells two items written on one
 * template apart ("Oper shr 35 cts vs 34 cts"; dedup's figure share and the
 * E-value's figures, signif.c, step 7).  A word is part of a figure when
 * it starts or ends with a digit ("35", "MAY7", "3M", "1987s"; a digit
 * inside only, "H2O", is a name); such words joined by one of . , / - :
 * and nothing else are one figure ("1.5", "6-3/8", "51,000", "10:30"), so
 * that "0.50" and "51.00" are two figures, not four pieces of which three
 * recur in "1.00" and "51.50".  A figure is its words [lo, hi) and a hash of
 * them: tsr_mix64 of the first word's hash, each next word's xored in and
 * mixed. */
typedef struct tsr_fig {
    uint32_t lo, hi;
    uint64_t hash;
} tsr_fig;

/* The first figure of text's words w[*i, n) into *f, *i moved past it;
 * 0 when there is none. */
int text_next_figure(const char *text, const tsr_word *w, size_t n, size_t *i, tsr_fig *f);

/* The figures of f[0, n) (a text's, in order) that lie wholly inside its
 * words [lo, hi): f[*i0, *i1) (empty: *i0 == *i1). */
void text_figures_within(const tsr_fig *f, size_t n, uint32_t lo, uint32_t hi, size_t *i0,
                         size_t *i1);

/* All the figures of text's words w[0, n), in order, into *figs (capacity
 * *cap, grown with realloc), their count in *nfig.  0, or -1 when out of
 * memory. */
int text_figures(const char *text, const tsr_word *w, size_t n, tsr_fig **figs, size_t *cap,
                 size_t *nfig);

/* Little-endian fixed-width stores and loads (index files are LE). */
static inline void tsr_put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}
static inline void tsr_put_u64(unsigned char *p, uint64_t v)
{
    tsr_put_u32(p, (uint32_t)v); tsr_put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t tsr_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t tsr_get_u64(const unsigned char *p)
{
    return (uint64_t)tsr_get_u32(p) | (uint64_t)tsr_get_u32(p + 4) << 32;
}

#endif /* TSR_COMMON_H */
