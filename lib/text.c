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
    RANGE(boilerplate_df, 0, 2000000000);
#undef RANGE
    if (!(p->min_similarity >= 0.0 && p->min_similarity <= 1.0))
        return tsr_seterr(err, TSR_ERR_INVALID, "min_similarity must be in 0..1");
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

/* ASCII: 0 = separator, else the lower-cased byte. */
static unsigned char ascii_word[128];
static int ascii_ready;

static void ascii_init(void)
{
    for (int c = 0; c < 128; c++) {
        if (c >= 'a' && c <= 'z') ascii_word[c] = (unsigned char)c;
        else if (c >= 'A' && c <= 'Z') ascii_word[c] = (unsigned char)(c + 32);
        else if (c >= '0' && c <= '9') ascii_word[c] = (unsigned char)c;
        else ascii_word[c] = 0;
    }
    ascii_ready = 1; /* benign race: every thread writes the same values */
}

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

typedef struct {
    TSR_VEC(tsr_word) w;
    unsigned char buf[TEXT_WORD_MAX + 8];
    size_t blen;
    size_t begin;     /* byte offset where the current word started */
    int open;         /* inside a word */
} text_state;

static int text_flush(text_state *st, size_t end)
{
    if (!st->open)
        return 0;
    st->open = 0;
    if (st->blen == 0)  /* only marks, stripped away */
        return 0;
    tsr_word t;
    t.hash = XXH3_64bits(st->buf, st->blen);
    t.begin = (uint32_t)st->begin;
    t.end = (uint32_t)end;
    st->blen = 0;
    return tsr_vec_push(&st->w, t);
}

static void text_put(text_state *st, const unsigned char *b, size_t n)
{
    if (st->blen + n <= TEXT_WORD_MAX) {
        memcpy(st->buf + st->blen, b, n);
        st->blen += n;
    }
}

/* Normalize one non-ASCII code point into the word buffer. */
static void text_put_cp(text_state *st, utf8proc_int32_t cp)
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
        text_put(st, enc, (size_t)m);
    }
}

int tsr_tokenize(const char *text, size_t len, tsr_word **out, size_t *n,
                 tsr_error *err)
{
    *out = NULL;
    *n = 0;
    if (len >= UINT32_MAX)
        return tsr_seterr(err, TSR_ERR_TOOBIG,
                          "text of %zu bytes: at most 4 GiB per document", len);
    if (!ascii_ready)
        ascii_init();
    const unsigned char *s = (const unsigned char *)text;
    text_state st;
    st.w.a = NULL; st.w.n = st.w.cap = 0;
    st.blen = 0; st.open = 0; st.begin = 0;
    /* about one word per 6 bytes of English */
    if (tsr_vec_reserve(&st.w, len / 6 + 16))
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory tokenizing %zu bytes", len);

    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            unsigned char lc = ascii_word[c];
            if (lc) {
                if (!st.open) { st.open = 1; st.begin = i; }
                if (st.blen < TEXT_WORD_MAX) st.buf[st.blen++] = lc;
            } else if (st.open && text_flush(&st, i)) {
                goto oom;
            }
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t m = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (m <= 0) {
            tsr_vec_free(&st.w);
            return tsr_seterr(err, TSR_ERR_UTF8, "invalid UTF-8 at byte %zu", i);
        }
        if (text_is_unspaced(cp)) {
            if (text_flush(&st, i)) goto oom;
            st.open = 1; st.begin = i;
            text_put_cp(&st, cp);
            if (text_flush(&st, i + (size_t)m)) goto oom;
        } else if (text_is_wordchar(cp)) {
            if (!st.open) { st.open = 1; st.begin = i; }
            text_put_cp(&st, cp);
        } else if (st.open && text_flush(&st, i)) {
            goto oom;
        }
        i += (size_t)m;
    }
    if (text_flush(&st, len))
        goto oom;
    if (st.w.n == 0) {
        tsr_vec_free(&st.w);
        return TSR_OK;
    }
    *out = st.w.a;
    *n = st.w.n;
    return TSR_OK;
oom:
    tsr_vec_free(&st.w);
    return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory tokenizing %zu bytes", len);
}
