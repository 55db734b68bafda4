/*
 * text.c - the first stage of the pipeline: UTF-8 validation and words.
 *
 * A word is a maximal run of letters, digits and combining marks.  Each
 * word is identified by a 64-bit hash (XXH3) of its normalized form, and
 * keeps the byte offsets of the original text, so that every later stage
 * can report spans in the text exactly as the user gave it.
 *
 * Normalization is what makes "Café", "CAFE" and "cafe" one word: Unicode
 * compatibility decomposition (NFKD), case folding, and removal of
 * combining marks, all from utf8proc's tables.  Scripts written without
 * spaces between words (Han, Hiragana, Katakana, Thai, Lao, Khmer,
 * Myanmar) give one word per character: that is what character n-grams
 * need, and it needs no dictionary.
 *
 * Speed: ASCII is by far the most common input, so bytes below 0x80 take
 * a table-driven fast path (lower-casing is the whole of normalization
 * there) and only other bytes go through utf8proc.  Both paths produce the
 * same normalized bytes for the same word, so hashes agree.
 */
#include "common/common.h"
#include "common/xxh.h"

#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <math.h>

/* ------------------------------------------------------------------------
 * Parameters
 * --------------------------------------------------------------------- */

void tsr_params_default(tsr_params *p)
{
    memset(p, 0, sizeof *p);
    p->ngram = 4;
    p->window = 5;
    p->seed = 3;
    p->max_gap = 50;
    p->min_words = 15;
    p->min_similarity = 0.5;
    p->max_evalue = 10.0;
    p->paraphrase = TSR_PARAPHRASE_ALIGN;
    p->max_candidates = 64;
    p->min_shared = 2;
    p->boilerplate_df = 0;
}

int tsr_params_validate(const tsr_params *p, tsr_error *err)
{
    if (!p)
        return tsr_seterr(err, TSR_ERR_INVALID, "no parameters given");
#define RANGE(field, lo, hi)                                                  \
    if (p->field < (lo) || p->field > (hi))                                   \
        return tsr_seterr(err, TSR_ERR_INVALID, #field " must be in %d..%d, not %d", \
                          (int)(lo), (int)(hi), (int)p->field)
    RANGE(ngram, 1, 16);
    RANGE(window, 1, 64);
    RANGE(seed, 1, 16);
    RANGE(max_gap, 0, 10000);
    RANGE(min_words, 1, 1000000);
    RANGE(max_candidates, 1, 1000000);
    RANGE(min_shared, 1, 1000000);
    RANGE(paraphrase, TSR_PARAPHRASE_OFF, TSR_PARAPHRASE_ALL);
    RANGE(boilerplate_df, 0, 2000000000);
#undef RANGE
    if (!(p->min_similarity >= 0.0 && p->min_similarity <= 1.0))
        return tsr_seterr(err, TSR_ERR_INVALID, "min_similarity must be in 0..1");
    if (isnan(p->max_evalue))
        return tsr_seterr(err, TSR_ERR_INVALID, "max_evalue must be a number");
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * UTF-8 validation
 * --------------------------------------------------------------------- */

/* Validate per RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF.  ASCII runs are skipped eight bytes at a time. */
int tsr_utf8_check(const char *text, size_t len, size_t *bad_offset)
{
    return text_check(text, len, 0, bad_offset);
}

int text_check(const char *text, size_t len, int allow_nul, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            /* any byte >= 0x80, or any zero byte, leaves the fast loop */
            if ((w & 0x8080808080808080ull) ||
                ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            if (c == 0 && !allow_nul) {
                if (bad_offset) *bad_offset = i;
                return TSR_ERR_NUL;
            }
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
        else goto bad;
        if (len - i <= need)
            goto bad;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += need + 1;
    }
    return TSR_OK;
bad:
    if (bad_offset) *bad_offset = i;
    return TSR_ERR_UTF8;
}

/* ------------------------------------------------------------------------
 * Words
 * --------------------------------------------------------------------- */

/* Longest normalized word hashed in full; longer ones (URLs, base64) are
 * identified by their first TEXT_WORD_MAX normalized bytes. */
#define TEXT_WORD_MAX 256

/* ASCII: 0 = separator, else the lower-cased byte.  A constant table: it
 * was filled on first use, by whichever threads tokenized first, all at
 * once (ThreadSanitizer's report on test_textdict, whose first texts are
 * tokenized by two threads). */
#define AW1(c) ((c) >= 'a' && (c) <= 'z' ? (c) : (c) >= 'A' && (c) <= 'Z' ? (c) + 32 : \
                (c) >= '0' && (c) <= '9' ? (c) : 0)
#define AW4(c) AW1(c), AW1((c) + 1), AW1((c) + 2), AW1((c) + 3)
#define AW16(c) AW4(c), AW4((c) + 4), AW4((c) + 8), AW4((c) + 12)
static const unsigned char ascii_word[128] = {
    AW16(0), AW16(16), AW16(32), AW16(48), AW16(64), AW16(80), AW16(96), AW16(112)
};
#undef AW16
#undef AW4
#undef AW1

/* Eight bytes at once (SWAR): the high bit of each byte of the result is
 * set where that byte of x, which must be below 0x80, is in [lo, hi]. */
#define TEXT_HIGH 0x8080808080808080ull
#define TEXT_ONES 0x0101010101010101ull
static inline uint64_t text_in_range(uint64_t x, unsigned lo, unsigned hi)
{
    const uint64_t ge = x + TEXT_ONES * (0x80 - lo);   /* high bit: byte >= lo */
    const uint64_t gt = x + TEXT_ONES * (0x7F - hi);   /* high bit: byte > hi */
    return ge & ~gt & TEXT_HIGH;
}

#if defined(__SSE2__)
/* The 64 bytes at s: the bit mask of their word bytes (ASCII letters and
 * digits), their lower case in low[0, 64), and in *high the mask of the
 * bytes >= 0x80 (when that is not 0, the rest is not made). */
static inline uint64_t text_block64(const unsigned char *s, unsigned char *low, uint64_t *high)
{
    __m128i x[4];
    uint64_t h = 0, word = 0;
    for (int k = 0; k < 4; k++) {
        x[k] = _mm_loadu_si128((const __m128i *)(s + 16 * k));
        h |= (uint64_t)(unsigned)_mm_movemask_epi8(x[k]) << (16 * k);
    }
    *high = h;
    if (h)
        return 0;
    for (int k = 0; k < 4; k++) {
        /* signed compares: every byte is below 0x80 here */
#define TEXT_IN(v, a, z) _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((a) - 1)), \
                                       _mm_cmplt_epi8(v, _mm_set1_epi8((z) + 1)))
        const __m128i up = TEXT_IN(x[k], 'A', 'Z');
        const __m128i is = _mm_or_si128(_mm_or_si128(up, TEXT_IN(x[k], 'a', 'z')),
                                        TEXT_IN(x[k], '0', '9'));
#undef TEXT_IN
        word |= (uint64_t)(unsigned)_mm_movemask_epi8(is) << (16 * k);
        _mm_storeu_si128((__m128i *)(low + 16 * k),
                         _mm_or_si128(x[k], _mm_and_si128(up, _mm_set1_epi8(0x20))));
    }
    return word;
}
#endif

/* Scripts written without spaces: one word per character. */
static int text_is_unspaced(utf8proc_int32_t cp)
{
    return (cp >= 0x0E00 && cp <= 0x0EFF) ||    /* Thai, Lao */
           (cp >= 0x1000 && cp <= 0x109F) ||    /* Myanmar */
           (cp >= 0x1780 && cp <= 0x17FF) ||    /* Khmer */
           (cp >= 0x3040 && cp <= 0x30FF) ||    /* Hiragana, Katakana */
           (cp >= 0x3400 && cp <= 0x4DBF) ||    /* CJK ext. A */
           (cp >= 0x4E00 && cp <= 0x9FFF) ||    /* CJK unified */
           (cp >= 0xF900 && cp <= 0xFAFF) ||    /* CJK compatibility */
           (cp >= 0x20000 && cp <= 0x3134F);    /* CJK ext. B-G */
}

static int text_is_wordchar(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

/* Normalize one non-ASCII code point onto the word buffer buf[0, blen);
 * returns the new length (the buffer keeps at most TEXT_WORD_MAX bytes). */
static size_t text_put_cp(unsigned char *buf, size_t blen, utf8proc_int32_t cp)
{
    utf8proc_int32_t dec[18];
    int last = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(
        cp, dec, 18,
        UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK,
        &last);
    if (n < 0 || n > 18) {  /* cannot happen for valid code points; keep it */
        dec[0] = cp;
        n = 1;
    }
    for (utf8proc_ssize_t k = 0; k < n; k++) {
        unsigned char enc[4];
        utf8proc_ssize_t m = utf8proc_encode_char(dec[k], enc);
        if (blen + (size_t)m <= TEXT_WORD_MAX) {
            memcpy(buf + blen, enc, (size_t)m);
            blen += (size_t)m;
        }
    }
    return blen;
}

/* Room for `want` words in *words (*cap of them), at least doubled when
 * it grows; 0, or -1 when out of memory. */
static inline int text_room(tsr_word **words, size_t *cap, size_t want)
{
    if (want <= *cap)
        return 0;
    const size_t nc = *cap * 2 > want ? *cap * 2 : want;
    tsr_word *g = realloc(*words, nc * sizeof *g);
    if (!g)
        return -1;
    *words = g;
    *cap = nc;
    return 0;
}

#if defined(__SSE2__)
/* The words of a 64-byte ASCII block at text offset `at` that end inside
 * it, from m, the mask of its word bytes left to take, and low, its lower
 * case: into w[0, 32), hashed; returns how many, and in *tail where a
 * word that runs on past the block starts (64: none does). */
static inline size_t text_block_words(const unsigned char *low, uint64_t m, size_t at,
                                      tsr_word *w, size_t *tail)
{
    size_t k = 0;
    *tail = 64;
    while (m) {
        const size_t b0 = (size_t)__builtin_ctzll(m);
        const uint64_t past = ~(m >> b0);
        const size_t wl = past ? (size_t)__builtin_ctzll(past) : 64 - b0;
        if (b0 + wl == 64) {
            *tail = b0;
            break;
        }
        w[k].hash = XXH3_64bits(low + b0, wl);
        w[k].begin = (uint32_t)(at + b0);
        w[k].end = (uint32_t)(at + b0 + wl);
        k++;
        m &= ~(uint64_t)0 << (b0 + wl);
    }
    return k;
}
#endif

TSR_FLATTEN int text_words(const char *text, size_t len, tsr_word **words, size_t *cap, size_t *n,
               tsr_error *err)
{
    *n = 0;
    if (len >= UINT32_MAX)
        return tsr_seterr(err, TSR_ERR_TOOBIG,
                          "text of %zu bytes: at most 4 GiB per document", len);
    const unsigned char *s = (const unsigned char *)text;
    /* about one word per 6 bytes of English; grown when short */
    if (text_room(words, cap, len / 5 + 16))
        goto oom;
    /* the state lives in locals, not in memory that the byte stores into
     * `buf` could alias, so that the loop keeps it in registers */
    tsr_word *w = *words;
    size_t nw = 0, wcap = *cap;
    unsigned char buf[TEXT_WORD_MAX + 8];
    size_t blen = 0, begin = 0;
    int open = 0;
    size_t retry = 0;   /* where the 64-byte path may be tried again */

#define TEXT_FLUSH(at)                                                       \
    do {                                                                     \
        open = 0;                                                            \
        if (blen) { /* else only marks, stripped away */                    \
            if (nw == wcap) {                                                \
                if (text_room(words, cap, nw + 1)) goto oom;                 \
                w = *words;                                                  \
                wcap = *cap;                                                 \
            }                                                                \
            w[nw].hash = XXH3_64bits(buf, blen);                             \
            w[nw].begin = (uint32_t)begin;                                   \
            w[nw].end = (uint32_t)(at);                                      \
            nw++;                                                            \
            blen = 0;                                                        \
        }                                                                    \
    } while (0)

    size_t i = 0;
    while (i < len) {
#if defined(__SSE2__)
        /* 64 ASCII bytes at a time: their word bytes as a bit mask, and
         * each word that ends inside the block hashed straight from the
         * block's lower-cased copy: a branch per word, where the paths
         * below take one per run of bytes (1.35x as fast on news text,
         * the same words and hashes: BENCHMARKS.md) */
        if (i + 64 <= len && i >= retry) {
            unsigned char low[64];
            uint64_t high;
            const uint64_t word = text_block64(s + i, low, &high);
            if (high) {   /* to the paths below, up to the first non-ASCII byte */
                retry = i + (size_t)__builtin_ctzll(high) + 1;
            } else {
                uint64_t m = word;
                if (open) {   /* the word the last block left open */
                    const size_t run = ~word ? (size_t)__builtin_ctzll(~word) : 64;
                    const size_t take = run < TEXT_WORD_MAX - blen ? run : TEXT_WORD_MAX - blen;
                    memcpy(buf + blen, low, take);
                    blen += take;
                    if (run == 64) { i += 64; continue; }
                    TEXT_FLUSH(i + run);
                    m = word >> run << run;
                }
                if (nw + 32 > wcap) {   /* a block holds at most 32 words */
                    if (text_room(words, cap, nw + 32)) goto oom;
                    w = *words;
                    wcap = *cap;
                }
                size_t tail;
                nw += text_block_words(low, m, i, w + nw, &tail);
                if (tail < 64) {   /* a word runs on into the next block */
                    open = 1;
                    begin = i + tail;
                    blen = 64 - tail;
                    memcpy(buf, low + tail, blen);
                }
                i += 64;
                continue;
            }
        }
#endif
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* eight ASCII bytes at a time: which are word bytes (letters,
         * digits), how many lead, and their lower case, without a branch
         * per byte; other bytes go the byte-wise way below */
        if (i + 8 <= len) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (!(x & TEXT_HIGH)) {
                const uint64_t upper = text_in_range(x, 'A', 'Z');
                const uint64_t word = upper | text_in_range(x, 'a', 'z') |
                                      text_in_range(x, '0', '9');
                if (!(word & 0x80)) {  /* at a separator: skip the run */
                    if (open) TEXT_FLUSH(i);
                    i += word ? (size_t)__builtin_ctzll(word) / 8 : 8;
                    continue;
                }
                if (!open) { open = 1; begin = i; }
                const uint64_t lower = x | (upper >> 2);  /* 'A' | 0x20 == 'a' */
                const size_t run = ~word & TEXT_HIGH
                                       ? (size_t)__builtin_ctzll(~word & TEXT_HIGH) / 8 : 8;
                if (blen < TEXT_WORD_MAX) {  /* buf has 8 bytes of slack */
                    memcpy(buf + blen, &lower, 8);
                    blen = blen + run < TEXT_WORD_MAX ? blen + run : TEXT_WORD_MAX;
                }
                i += run;
                continue;
            }
        }
#endif
        unsigned c = s[i];
        if (c < 0x80) {
            unsigned char lc = ascii_word[c];
            if (!lc) {
                if (open) TEXT_FLUSH(i);
                i++;
                continue;
            }
            if (!open) { open = 1; begin = i; }
            /* a run of ASCII word bytes */
            do {
                if (blen < TEXT_WORD_MAX) buf[blen++] = lc;
                i++;
            } while (i < len && (c = s[i]) < 0x80 && (lc = ascii_word[c]) != 0);
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t m = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (m <= 0) {
            *n = 0;
            return tsr_seterr(err, TSR_ERR_UTF8, "invalid UTF-8 at byte %zu", i);
        }
        if (text_is_unspaced(cp)) {
            if (open) TEXT_FLUSH(i);
            open = 1; begin = i;
            blen = text_put_cp(buf, blen, cp);
            TEXT_FLUSH(i + (size_t)m);
        } else if (text_is_wordchar(cp)) {
            if (!open) { open = 1; begin = i; }
            blen = text_put_cp(buf, blen, cp);
        } else if (open) {
            TEXT_FLUSH(i);
        }
        i += (size_t)m;
    }
    if (open) TEXT_FLUSH(len);
#undef TEXT_FLUSH
    *n = nw;
    return TSR_OK;
oom:
    *n = 0;
    return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory tokenizing %zu bytes", len);
}

/* Figures (common.h): a word starts or ends with a digit; two such
 * words next to each other are joined when the one byte between them is
 * one of . , / - : */
static inline int fig_word(const char *text, const tsr_word *w)
{
    return (unsigned)((unsigned char)text[w->begin] - '0') < 10u ||
           (unsigned)((unsigned char)text[w->end - 1] - '0') < 10u;
}

static inline int fig_joins(unsigned char c)
{
    return c == '.' || c == ',' || c == '/' || c == '-' || c == ':';
}

int text_next_figure(const char *text, const tsr_word *w, size_t n, size_t *i, tsr_fig *f)
{
    size_t k = *i;
    while (k < n && !fig_word(text, &w[k])) k++;
    if (k >= n) {
        *i = n;
        return 0;
    }
    f->lo = (uint32_t)k;
    uint64_t h = w[k].hash;
    while (k + 1 < n && w[k + 1].begin == w[k].end + 1 &&
           fig_joins((unsigned char)text[w[k].end]) && fig_word(text, &w[k + 1])) {
        k++;
        h = tsr_mix64(h ^ w[k].hash);
    }
    f->hi = (uint32_t)(k + 1);
    f->hash = tsr_mix64(h);
    *i = k + 1;
    return 1;
}

void text_figures_within(const tsr_fig *f, size_t n, uint32_t lo, uint32_t hi, size_t *i0,
                         size_t *i1)
{
    size_t a = 0, b = n;
    while (a < b) {   /* the first figure starting at lo or after */
        const size_t mid = a + (b - a) / 2;
        if (f[mid].lo < lo) a = mid + 1; else b = mid;
    }
    size_t e = a;
    while (e < n && f[e].lo < hi && f[e].hi <= hi) e++;
    *i0 = a;
    *i1 = e;
}

int text_figures(const char *text, const tsr_word *w, size_t n, tsr_fig **figs, size_t *cap,
                 size_t *nfig)
{
    size_t nf = 0, i = 0;
    tsr_fig f;
    while (text_next_figure(text, w, n, &i, &f)) {
        if (nf == *cap) {
            const size_t nc = *cap ? 2 * *cap : 16;
            tsr_fig *g = realloc(*figs, nc * sizeof *g);
            if (!g) return -1;
            *figs = g;
            *cap = nc;
        }
        (*figs)[nf++] = f;
    }
    *nfig = nf;
    return 0;
}

int tsr_tokenize(const char *text, size_t len, tsr_word **out, size_t *n,
                 tsr_error *err)
{
    *out = NULL;
    *n = 0;
    tsr_word *w = NULL;
    size_t cap = 0;
    int rc = text_words(text, len, &w, &cap, n, err);
    if (rc != TSR_OK || *n == 0) {
        free(w);
        *n = 0;
        return rc;
    }
    *out = w;
    return TSR_OK;
}
