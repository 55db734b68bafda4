/*
 * substr.c - exact repeated substrings of a block of documents, by suffix
 * array (Lee et al. 2022, "Deduplicating Training Data Makes Language
 * Models Better", ExactSubstr).
 *
 * How it works.  The documents are concatenated, each followed by the byte
 * 0xFF, which never occurs in UTF-8: no match can run across the end of a
 * document, because the separator would have to match a text byte.  Over
 * the concatenation T (n bytes):
 *
 *   SA   suffix array, libdivsufsort (O(n log n), in practice near linear)
 *   LCP  LCP[r] = longest common prefix of the suffixes of rank r-1 and r
 *        (Kasai et al. 2001, linear, with the inverse suffix array)
 *   LPF  LPF[i] = longest prefix of suffix i that also starts at some
 *        j < i: the "longest previous factor" (Crochemore & Ilie 2008).
 *        Scan ranks in order with a stack of ranks whose positions
 *        increase; a rank popped by a smaller position has found its next
 *        smaller position in rank order, the rank below it on the stack is
 *        its previous one, and the LCPs carried along (minimum over the
 *        ranks between) are its prefixes shared with the two.  The larger
 *        is LPF.  Linear.
 *
 * A position i with LPF[i] >= min_bytes starts a span [i, i + LPF[i]) that
 * repeats earlier text; the union of such spans, per document, is the
 * answer.  The first occurrence of any text is never marked, so removing
 * every span leaves one copy of each repeated passage (the earliest in
 * input order).  Unlike ExactSubstr, whose removal cuts sentences apart,
 * tsr_substr_spans can shrink spans to whole sentences and lines.
 *
 * Memory.  Text n bytes, SA 4n, inverse SA 4n then reused for LPF, LCP 4n:
 * about 13n during the run (int32 indexes limit a block to 2 GiB).  The
 * caller bounds n (shards); repeats across shards are not seen.
 */
#include "common/common.h"

#include <divsufsort.h>

#define SUB_SEP 0xFF
#define SUB_MAX ((size_t)INT32_MAX - 1)

struct tsr_substr {
    size_t min_bytes;
    TSR_VEC(unsigned char) text;
    TSR_VEC(size_t) start;     /* document starts, then one past the last */
    /* after run: spans (begin, end) in T, sorted, and per document the
     * index of its first span */
    TSR_VEC(size_t) span;
    size_t *first_span;        /* ndocs + 1 */
    int ran;
};

int tsr_substr_create(size_t min_bytes, tsr_substr **out, tsr_error *err)
{
    *out = NULL;
    if (min_bytes < 8)
        return tsr_seterr(err, TSR_ERR_INVALID, "substring length must be at least 8 bytes, not %zu",
                          min_bytes);
    tsr_substr *s = calloc(1, sizeof *s);
    TSR_CHECK_ALLOC(s, err);
    s->min_bytes = min_bytes;
    *out = s;
    return TSR_OK;
}

void tsr_substr_reset(tsr_substr *s)
{
    s->text.n = 0;
    s->start.n = 0;
    s->span.n = 0;
    free(s->first_span);
    s->first_span = NULL;
    s->ran = 0;
}

void tsr_substr_free(tsr_substr *s)
{
    if (!s) return;
    tsr_vec_free(&s->text);
    tsr_vec_free(&s->start);
    tsr_vec_free(&s->span);
    free(s->first_span);
    free(s);
}

size_t tsr_substr_bytes(const tsr_substr *s) { return s->text.n; }
size_t tsr_substr_count(const tsr_substr *s) { return s->start.n; }

int tsr_substr_add(tsr_substr *s, const char *text, size_t len, tsr_error *err)
{
    if (s->ran)
        return tsr_seterr(err, TSR_ERR_INVALID, "add after run: reset the shard first");
    if (len > SUB_MAX || s->text.n + len + 1 > SUB_MAX)
        return tsr_seterr(err, TSR_ERR_TOOBIG, "a substring shard holds at most 2 GiB (%zu + %zu bytes)",
                          s->text.n, len + 1);
    if (tsr_vec_reserve(&s->text, len + 1) || tsr_vec_push(&s->start, s->text.n))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory adding %zu bytes", len);
    memcpy(s->text.a + s->text.n, text, len);
    s->text.n += len;
    s->text.a[s->text.n++] = SUB_SEP;
    return TSR_OK;
}

int tsr_substr_run(tsr_substr *s, tsr_error *err)
{
    const size_t n = s->text.n;
    s->span.n = 0;
    free(s->first_span);
    const size_t nd = s->start.n;
    s->first_span = calloc(nd + 1, sizeof *s->first_span);
    TSR_CHECK_ALLOC(s->first_span, err);
    s->ran = 1;
    if (n == 0)
        return TSR_OK;
    const unsigned char *T = s->text.a;
    int32_t *sa = malloc(n * sizeof *sa);
    int32_t *rank = malloc(n * sizeof *rank);
    int32_t *lcp = malloc((n + 1) * sizeof *lcp);
    if (!sa || !rank || !lcp) {
        free(sa); free(rank); free(lcp);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory: suffix array of %zu bytes needs %zu",
                          n, 13 * n);
    }
    if (divsufsort(T, sa, (saidx_t)n) != 0) {
        free(sa); free(rank); free(lcp);
        return tsr_seterr(err, TSR_ERR_NOMEM, "divsufsort failed on %zu bytes", n);
    }
    /* Kasai: lcp[r] = lcp(sa[r-1], sa[r]); lcp[0] = 0 */
    for (size_t r = 0; r < n; r++) rank[sa[r]] = (int32_t)r;
    size_t h = 0;
    lcp[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = (size_t)rank[i];
        if (r == 0) { h = 0; continue; }
        size_t j = (size_t)sa[r - 1];
        while (i + h < n && j + h < n && T[i + h] == T[j + h] && T[i + h] != SUB_SEP) h++;
        lcp[r] = (int32_t)h;
        if (h > 0) h--;
    }
    lcp[n] = 0;
    /* LPF into rank[] (no longer needed).  Stack of ranks in sa[]'s own
     * memory is not possible (we read sa); use a separate stack. */
    int32_t *lpf = rank;
    memset(lpf, 0, n * sizeof *lpf);
    int32_t *stack = malloc((n + 1) * sizeof *stack);
    if (!stack) {
        free(sa); free(rank); free(lcp);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory: LPF stack of %zu bytes", 4 * n);
    }
    size_t top = 0;
    for (size_t r = 0; r <= n; r++) {
        int32_t cur = r < n ? lcp[r] : 0;
        while (top > 0 && (r == n || sa[r] < sa[stack[top - 1]])) {
            int32_t t = stack[--top];
            int32_t lt = lcp[t];
            lpf[sa[t]] = lt > cur ? lt : cur;
            cur = lt < cur ? lt : cur;
        }
        if (r < n) {
            lcp[r] = cur;
            stack[top++] = (int32_t)r;
        }
    }
    free(stack);
    free(sa);
    free(lcp);

    /* spans: union of [i, i + lpf[i]) with lpf[i] >= min_bytes */
    int rc = TSR_OK;
    size_t d = 0, cb = 0, ce = 0;
    int open = 0;
    for (size_t i = 0; i < n && rc == TSR_OK; i++) {
        while (d + 1 < nd && s->start.a[d + 1] <= i) {
            if (open) {
                if (tsr_vec_push(&s->span, cb) || tsr_vec_push(&s->span, ce)) rc = TSR_ERR_NOMEM;
                open = 0;
            }
            d++;
            s->first_span[d] = s->span.n / 2;
        }
        if ((size_t)lpf[i] < s->min_bytes) continue;
        size_t e = i + (size_t)lpf[i];
        if (open && i <= ce) {
            if (e > ce) ce = e;
        } else {
            if (open && (tsr_vec_push(&s->span, cb) || tsr_vec_push(&s->span, ce))) rc = TSR_ERR_NOMEM;
            cb = i; ce = e; open = 1;
        }
    }
    if (open && rc == TSR_OK && (tsr_vec_push(&s->span, cb) || tsr_vec_push(&s->span, ce)))
        rc = TSR_ERR_NOMEM;
    for (size_t k = d + 1; k <= nd; k++) s->first_span[k] = s->span.n / 2;
    free(lpf);
    if (rc != TSR_OK)
        return tsr_seterr(err, rc, "out of memory collecting repeated spans");
    return TSR_OK;
}

/* Sentence and line boundaries of a text, for cutting: positions where a
 * span may start (starts) and end (ends). */
static int sub_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Shrink [b, e) to whole sentences or lines of text t (length len). */
static void sub_cut(const unsigned char *t, size_t len, size_t *pb, size_t *pe)
{
    size_t b = *pb, e = *pe;
    /* start: b itself when at a boundary, else the next boundary */
    while (b < e) {
        if (b == 0 || t[b - 1] == '\n') break;
        if (sub_is_space(t[b - 1]) && !sub_is_space(t[b])) {
            /* after white space that follows a sentence end? */
            size_t k = b - 1;
            while (k > 0 && sub_is_space(t[k])) k--;
            while (k > 0 && (t[k] == '"' || t[k] == '\'' || t[k] == ')' || t[k] == ']')) k--;
            if (t[k] == '.' || t[k] == '!' || t[k] == '?') break;
        }
        b++;
    }
    /* end: e itself when at a boundary, else the previous boundary */
    while (e > b) {
        if (e == len || t[e - 1] == '\n') break;
        if (sub_is_space(t[e])) {
            size_t k = e - 1;
            while (k > b && (t[k] == '"' || t[k] == '\'' || t[k] == ')' || t[k] == ']')) k--;
            if (t[k] == '.' || t[k] == '!' || t[k] == '?') break;
        }
        e--;
    }
    *pb = b;
    *pe = e;
}

int tsr_substr_spans(const tsr_substr *s, size_t doc, int cut, tsr_span **spans,
                     size_t *n, tsr_error *err)
{
    *spans = NULL;
    *n = 0;
    if (!s->ran)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_substr_spans before tsr_substr_run");
    if (doc >= s->start.n)
        return tsr_seterr(err, TSR_ERR_INVALID, "no document %zu in the shard (%zu)", doc,
                          s->start.n);
    size_t a = s->first_span[doc], z = s->first_span[doc + 1];
    if (a == z)
        return TSR_OK;
    size_t base = s->start.a[doc];
    size_t end = doc + 1 < s->start.n ? s->start.a[doc + 1] - 1 : s->text.n - 1;
    const unsigned char *t = s->text.a + base;
    tsr_span *out = malloc((z - a) * sizeof *out);
    TSR_CHECK_ALLOC(out, err);
    size_t k = 0;
    for (size_t i = a; i < z; i++) {
        size_t b = s->span.a[2 * i] - base, e = s->span.a[2 * i + 1] - base;
        if (e > end - base) e = end - base;
        if (cut) sub_cut(t, end - base, &b, &e);
        if (e > b) { out[k].begin = b; out[k].end = e; k++; }
    }
    if (k == 0) { free(out); return TSR_OK; }
    *spans = out;
    *n = k;
    return TSR_OK;
}
