/*
 * test_text.c - UTF-8 validation, words, the data-driven tokenizer
 * cases of tests/unit/cases/tokenize.txt, and figures (text_figures) by
 * the cases of tests/unit/cases/figures.txt.
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "common/common.h"
#include "tessera.h"
#include "testhelp.h"
#include "testutil.h"

static size_t unescape(const char *in, char *out)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (*p != '\\' || !p[1]) { out[n++] = *p; continue; }
        p++;
        if (*p == 'n') out[n++] = '\n';
        else if (*p == 't') out[n++] = '\t';
        else if (*p == 'r') out[n++] = '\r';
        else if (*p == '\\') out[n++] = '\\';
        else if (*p == 'x' && p[1] && p[2]) {
            char hex[3] = { p[1], p[2], 0 };
            out[n++] = (char)strtol(hex, NULL, 16);
            p += 2;
        } else out[n++] = *p;
    }
    out[n] = 0;
    return n;
}

static void test_cases(void)
{
    FILE *f = fopen("tests/unit/cases/tokenize.txt", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) { CHECK(!"case line without a tab"); continue; }
        *tab = 0;
        char text[4096];
        size_t len = unescape(line, text);
        char *want = tab + 1, *eq = strstr(want, " | ");
        if (eq) *eq = 0;
        tsr_word *w = NULL;
        size_t n = 0;
        int rc = tsr_tokenize(text, len, &w, &n, NULL);
        CHECK(rc == TSR_OK);
        size_t i = 0;
        int ok = 1;
        for (char *tok = strtok(want, " "); tok; tok = strtok(NULL, " "), i++) {
            unsigned b, e;
            if (sscanf(tok, "%u-%u", &b, &e) != 2 || i >= n || w[i].begin != b || w[i].end != e)
                ok = 0;
        }
        if (!ok || i != n)
            fprintf(stderr, "tokenize.txt:%d: got %zu words:", lineno, n), ok = 0;
        if (!ok) for (size_t k = 0; k < n; k++) fprintf(stderr, " %u-%u", w[k].begin, w[k].end);
        if (!ok) fputc('\n', stderr);
        CHECK(ok);
        if (eq) {
            for (char *pr = strtok(eq + 3, " "); pr; pr = strtok(NULL, " ")) {
                unsigned a, b;
                if (sscanf(pr, "%u=%u", &a, &b) == 2 && a < n && b < n) {
                    if (w[a].hash != w[b].hash)
                        fprintf(stderr, "tokenize.txt:%d: words %u and %u differ\n", lineno, a, b);
                    CHECK(w[a].hash == w[b].hash);
                } else {
                    CHECK(!"bad equality pair");
                }
            }
        }
        tsr_free(w);
    }
    fclose(f);
}

static void test_distinct(void)
{
    const char *t = "cat cats dog";
    tsr_word *w;
    size_t n;
    CHECK(tsr_tokenize(t, strlen(t), &w, &n, NULL) == TSR_OK && n == 3);
    CHECK(w[0].hash != w[1].hash && w[1].hash != w[2].hash);
    tsr_free(w);
}

static void test_utf8(void)
{
    size_t off = 99;
    CHECK(tsr_utf8_check("plain", 5, &off) == TSR_OK);
    CHECK(tsr_utf8_check("", 0, &off) == TSR_OK);
    CHECK(tsr_utf8_check("ab\xffz", 4, &off) == TSR_ERR_UTF8 && off == 2);
    CHECK(tsr_utf8_check("ab\0c", 4, &off) == TSR_ERR_NUL && off == 2);
    CHECK(tsr_utf8_check("\xc0\x80", 2, &off) == TSR_ERR_UTF8 && off == 0);      /* overlong */
    CHECK(tsr_utf8_check("\xed\xa0\x80", 3, &off) == TSR_ERR_UTF8 && off == 0);  /* surrogate */
    CHECK(tsr_utf8_check("\xf4\x90\x80\x80", 4, &off) == TSR_ERR_UTF8);          /* > U+10FFFF */
    CHECK(tsr_utf8_check("ok \xe2\x82", 5, &off) == TSR_ERR_UTF8 && off == 3);   /* truncated at end */
    CHECK(tsr_utf8_check("\xe2\x82\xac", 3, &off) == TSR_OK);                    /* euro sign */
    /* long ASCII runs take the 8-byte path; a fault after one is found */
    char buf[100];
    memset(buf, 'a', sizeof buf);
    buf[77] = (char)0x80;
    CHECK(tsr_utf8_check(buf, sizeof buf, &off) == TSR_ERR_UTF8 && off == 77);
    buf[77] = 0;
    CHECK(tsr_utf8_check(buf, sizeof buf, &off) == TSR_ERR_NUL && off == 77);
    /* every byte offset of a truncated sequence at the very end */
    for (size_t k = 1; k < 4; k++)
        CHECK(tsr_utf8_check("\xf0\x9f\x98\x80", k, &off) == TSR_ERR_UTF8 && off == 0);
}

static void test_empty_and_params(void)
{
    tsr_word *w = (tsr_word *)1;
    size_t n = 7;
    CHECK(tsr_tokenize("", 0, &w, &n, NULL) == TSR_OK && n == 0 && w == NULL);
    CHECK(tsr_tokenize(" ,.;!? ", 7, &w, &n, NULL) == TSR_OK && n == 0);
    tsr_params p;
    tsr_params_default(&p);
    tsr_error e;
    CHECK(tsr_params_validate(&p, &e) == TSR_OK);
    p.ngram = 0;
    CHECK(tsr_params_validate(&p, &e) == TSR_ERR_INVALID && strstr(e.message, "ngram"));
    tsr_params_default(&p);
    p.min_similarity = 1.5;
    CHECK(tsr_params_validate(&p, &e) == TSR_ERR_INVALID);
    CHECK(strcmp(tsr_strerror(TSR_ERR_UTF8), "invalid UTF-8") == 0);
    CHECK(strcmp(tsr_strerror(-5), "unknown error") == 0);
    CHECK(tsr_version_number() == TSR_VERSION_NUMBER);
}

/* Each line of cases/figures.txt: the figures of a text as written; and
 * a figure's hash is the same wherever it is written. */
static void test_figures(void)
{
    FILE *f = fopen("tests/unit/cases/figures.txt", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[4096];
    int lineno = 0, cases = 0;
    tsr_fig *fig = NULL;
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        CHECK(tab != NULL);
        if (!tab) continue;
        *tab = 0;
        const char *text = line, *want = tab + 1;
        tsr_word *w = NULL;
        size_t n = 0, nf = 0;
        CHECK(tsr_tokenize(text, strlen(text), &w, &n, NULL) == TSR_OK);
        CHECK(text_figures(text, w, n, &fig, &cap, &nf) == 0);
        char got[4096] = "";
        size_t at = 0;
        for (size_t i = 0; i < nf; i++) {
            const uint32_t b = w[fig[i].lo].begin, e = w[fig[i].hi - 1].end;
            at += (size_t)snprintf(got + at, sizeof got - at, "%s%.*s", i ? " | " : "",
                                   (int)(e - b), text + b);
        }
        if (strcmp(got, want) != 0)
            fprintf(stderr, "figures.txt:%d: got \"%s\", want \"%s\"\n", lineno, got, want);
        CHECK(strcmp(got, want) == 0);
        tsr_free(w);
        cases++;
    }
    fclose(f);
    CHECK(cases >= 10);
    /* the hash: "6-3/8" as one figure, the same in two texts; not "6-3/4" */
    const char *t1 = "at 6-3/8 pct", *t2 = "rate of 6-3/8, then 6-3/4";
    tsr_word *w1 = NULL, *w2 = NULL;
    size_t n1 = 0, n2 = 0, f1 = 0, f2 = 0;
    tsr_fig *g = NULL;
    size_t gcap = 0;
    CHECK(tsr_tokenize(t1, strlen(t1), &w1, &n1, NULL) == TSR_OK &&
          tsr_tokenize(t2, strlen(t2), &w2, &n2, NULL) == TSR_OK);
    CHECK(text_figures(t1, w1, n1, &fig, &cap, &f1) == 0 && f1 == 1);
    CHECK(text_figures(t2, w2, n2, &g, &gcap, &f2) == 0 && f2 == 2);
    CHECK(f1 == 1 && f2 == 2 && fig[0].hash == g[0].hash && fig[0].hash != g[1].hash);
    tsr_free(w1);
    tsr_free(w2);
    free(g);
    free(fig);
}

/* text_figures against a plain reading of its definition, on 3,000
 * random strings of digits, letters and the joining marks: the figures'
 * word ranges, and a figure's hash the same as the one of the same words
 * alone in a text of their own. */
static rng R = { 20261204 };

static void test_figures_random(void)
{
    static const char alphabet[] = "0123456789abcXYZ .,/-:;";
    char text[64];
    tsr_fig *fig = NULL, *one = NULL;
    size_t cap = 0, ocap = 0;
    int bad = 0;
    for (int t = 0; t < 3000 && !bad; t++) {
        const size_t len = 1 + rng_next(&R) % 40;
        for (size_t i = 0; i < len; i++)
            text[i] = alphabet[rng_next(&R) % (sizeof alphabet - 1)];
        text[len] = 0;
        tsr_word *w = NULL;
        size_t n = 0, nf = 0;
        if (tsr_tokenize(text, len, &w, &n, NULL) != TSR_OK ||
            text_figures(text, w, n, &fig, &cap, &nf) != 0) { bad = 1; break; }
        /* the reference: a word is a figure's when its first or last byte
         * is a digit; it joins the one before when that is a figure's too
         * and one byte of . , / - : lies between them */
        size_t k = 0;
        for (size_t i = 0; i < n && !bad; i++) {
            const int dig = (text[w[i].begin] >= '0' && text[w[i].begin] <= '9') ||
                            (text[w[i].end - 1] >= '0' && text[w[i].end - 1] <= '9');
            if (!dig) continue;
            size_t j = i;
            while (j + 1 < n && w[j + 1].begin == w[j].end + 1 &&
                   strchr(".,/-:", text[w[j].end]) &&
                   ((text[w[j + 1].begin] >= '0' && text[w[j + 1].begin] <= '9') ||
                    (text[w[j + 1].end - 1] >= '0' && text[w[j + 1].end - 1] <= '9')))
                j++;
            if (k >= nf || fig[k].lo != i || fig[k].hi != j + 1) { bad = 1; break; }
            /* the same figure written alone has the same hash */
            const size_t b = w[i].begin, e = w[j].end;
            tsr_word *w1 = NULL;
            size_t n1 = 0, nf1 = 0;
            if (tsr_tokenize(text + b, e - b, &w1, &n1, NULL) != TSR_OK ||
                text_figures(text + b, w1, n1, &one, &ocap, &nf1) != 0 || nf1 != 1 ||
                one[0].hash != fig[k].hash)
                bad = 1;
            tsr_free(w1);
            k++;
            i = j;
        }
        if (k != nf) bad = 1;
        if (bad) fprintf(stderr, "figures of \"%s\" differ from the definition\n", text);
        tsr_free(w);
    }
    CHECK(!bad);
    free(fig);
    free(one);
}

/* text_words against a plain byte-by-byte reading of its definition on
 * text whose words are ASCII (a word: a maximal run of letters and
 * digits, its hash XXH3 of its lower case, of the first 256 bytes of a
 * longer one), between separators of one to three bytes (a space, an em
 * dash, a no-break space, NUL): 3,000 random texts of up to 2,000 bytes,
 * words of 1 to 300 bytes, so that words start, end and run on across
 * every place of the 64-byte and 8-byte steps of the fast paths. */
static void test_words_random(void)
{
    static const char *const sep[] = { " ", " ", ", ", "\n", "\xe2\x80\x94", "\xc2\xa0",
                                       "...", "\0", "'" };
    static const char wordch[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char text[2400];
    unsigned char low[400];
    tsr_word *w = NULL;
    size_t cap = 0;
    int bad = 0;
    for (int t = 0; t < 3000 && !bad; t++) {
        const size_t want = rng_next(&R) % 2000;
        size_t len = 0;
        while (len < want) {
            const uint64_t r = rng_next(&R) % 100;
            const size_t wl = r < 85 ? 1 + rng_next(&R) % 12
                            : r < 97 ? 50 + rng_next(&R) % 30 : 240 + rng_next(&R) % 60;
            for (size_t i = 0; i < wl; i++)
                text[len++] = wordch[rng_next(&R) % (sizeof wordch - 1)];
            const char *sp = sep[rng_next(&R) % (sizeof sep / sizeof *sep)];
            const size_t sl = *sp ? strlen(sp) : 1;
            memcpy(text + len, sp, sl);
            len += sl;
        }
        size_t n = 0, k = 0;
        if (text_words(text, len, &w, &cap, &n, NULL) != TSR_OK) { bad = 1; break; }
        for (size_t i = 0; i < len && !bad;) {
            const unsigned char c = (unsigned char)text[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
                i++;
                continue;
            }
            size_t e = i, m = 0;
            for (; e < len; e++) {
                const unsigned char d = (unsigned char)text[e];
                if (!((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9')))
                    break;
                if (m < 256) low[m++] = d >= 'A' && d <= 'Z' ? (unsigned char)(d + 32) : d;
            }
            bad = k >= n || w[k].begin != i || w[k].end != e || w[k].hash != XXH3_64bits(low, m);
            k++;
            i = e;
        }
        if (k != n) bad = 1;
        if (bad) fprintf(stderr, "words of random text %d (%zu bytes) differ from the definition\n",
                         t, len);
    }
    CHECK(!bad);
    free(w);
}

int main(void)
{
    RUN(test_words_random);
    RUN(test_figures_random);
    RUN(test_figures);
    RUN(test_cases);
    RUN(test_distinct);
    RUN(test_utf8);
    RUN(test_empty_and_params);
    return test_report();
}
