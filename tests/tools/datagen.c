/*
 * datagen.c - a seeded generator of synthetic documents for the tests (after
 * zstd's datagen): language-like text from a generated vocabulary whose word
 * frequencies follow a Zipf law, so common words recur as in real prose while
 * every document stays distinct.  The same seed always gives the same bytes.
 *
 *   datagen [--seed N] [--docs N] [--bytes N] [--prefix P] [--jsonl]
 *   datagen [--seed N] [--bytes N] --text I      text of document I only
 *   datagen --bytes N --pattern-line              one line of N bytes, no '\n'
 *
 * --jsonl (the default) prints one {"id","title","text"} object per line,
 * ids P000000, P000001, ... (P = --prefix, default "doc-").  Each text is
 * exactly --bytes bytes (default 2000): words, sentences, padded with
 * spaces.  Equal sizes let the kill test predict commit boundaries.
 * --text I prints the text of document I exactly as it appears in the JSON.
 * Uses no part of libtessera: the generator must not share bugs with the
 * code it tests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers: splitmix64, small and seedable ---------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(void) { return (double)(rng_next() >> 11) / 9007199254740992.0; }

/* ---- vocabulary ------------------------------------------------------------ */

#define VOCAB 4000

static char vocab[VOCAB][24];
static double zipf_cdf[VOCAB];

static void make_vocab(uint64_t seed)
{
    static const char *syl[] = {
        "ka", "lo", "mi", "ter", "an", "sol", "ve", "ri", "dun", "po", "sa", "el",
        "mar", "ti", "no", "gra", "be", "us", "lin", "fe", "do", "ha", "qui", "ros",
    };
    const size_t nsyl = sizeof syl / sizeof syl[0];
    rng_state = seed * 7919 + 17;
    for (int i = 0; i < VOCAB; i++) {
        /* short words are the frequent ones, as in real languages; the rank
         * suffix in base 24 syllables keeps every word distinct */
        char *w = vocab[i];
        w[0] = 0;
        int extra = i < 50 ? 0 : i < 800 ? 1 : 2;
        for (int s = 0; s < extra; s++)
            strcat(w, syl[rng_next() % nsyl]);
        int r = i;
        do {
            strcat(w, syl[r % nsyl]);
            r /= (int)nsyl;
        } while (r);
    }
    double sum = 0;
    for (int i = 0; i < VOCAB; i++) sum += 1.0 / (i + 2.7);
    double acc = 0;
    for (int i = 0; i < VOCAB; i++) {
        acc += 1.0 / (i + 2.7) / sum;
        zipf_cdf[i] = acc;
    }
    zipf_cdf[VOCAB - 1] = 1.0;
}

static const char *zipf_word(void)
{
    double u = rng_unit();
    int lo = 0, hi = VOCAB - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (zipf_cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return vocab[lo];
}

/* ---- documents ---------------------------------------------------------------- */

/* Fill buf with exactly `bytes` bytes of text for document `docno`. */
static void make_text(uint64_t seed, uint64_t docno, char *buf, size_t bytes)
{
    rng_state = seed * 1000003u + docno * 7777u + 1;
    size_t n = 0;
    int in_sentence = 0, left = 0;
    for (;;) {
        const char *w = zipf_word();
        size_t wl = strlen(w);
        if (!in_sentence) left = 6 + (int)(rng_next() % 14);
        /* word + ". " must fit */
        if (n + wl + 3 > bytes) break;
        if (n) buf[n++] = ' ';
        memcpy(buf + n, w, wl);
        if (!in_sentence && buf[n] >= 'a' && buf[n] <= 'z') buf[n] -= 'a' - 'A';
        n += wl;
        in_sentence = 1;
        if (--left == 0) {
            buf[n++] = '.';
            in_sentence = 0;
        }
    }
    if (in_sentence && n < bytes) buf[n++] = '.';
    while (n < bytes) buf[n++] = ' ';
}

static void usage(void)
{
    fputs("usage: datagen [--seed N] [--docs N] [--bytes N] [--prefix P] [--jsonl]\n"
          "       datagen [--seed N] [--bytes N] --text I\n"
          "       datagen --bytes N --pattern-line\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, docs = 10, bytes = 2000;
    long long text_of = -1;
    int pattern = 0;
    const char *prefix = "doc-";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--seed") && v) { seed = strtoull(v, NULL, 10); i++; }
        else if (!strcmp(a, "--docs") && v) { docs = strtoull(v, NULL, 10); i++; }
        else if (!strcmp(a, "--bytes") && v) { bytes = strtoull(v, NULL, 10); i++; }
        else if (!strcmp(a, "--prefix") && v) { prefix = v; i++; }
        else if (!strcmp(a, "--text") && v) { text_of = strtoll(v, NULL, 10); i++; }
        else if (!strcmp(a, "--jsonl")) { /* default */ }
        else if (!strcmp(a, "--pattern-line")) pattern = 1;
        else usage();
    }
    if (bytes < 8) usage();
    make_vocab(seed);
    if (pattern) {
        /* one huge line: 64 KiB of text repeated, written in big blocks */
        size_t blk = 1 << 16;
        char *b = malloc(blk);
        if (!b) return 5;
        make_text(seed, 0, b, blk);
        for (size_t k = 0; k < blk; k++)
            if (b[k] == '\n') b[k] = ' ';
        b[blk - 1] = ' ';
        for (uint64_t left = bytes; left > 0;) {
            size_t m = left < blk ? (size_t)left : blk;
            if (fwrite(b, 1, m, stdout) != m) { free(b); return 5; }
            left -= m;
        }
        free(b);
        return 0;
    }
    char *buf = malloc(bytes + 1);
    if (!buf) return 5;
    if (text_of >= 0) {
        make_text(seed, (uint64_t)text_of, buf, bytes);
        fwrite(buf, 1, bytes, stdout);
        free(buf);
        return 0;
    }
    for (uint64_t d = 0; d < docs; d++) {
        make_text(seed, d, buf, bytes);
        printf("{\"id\":\"%s%06llu\",\"title\":\"Document %llu\",\"text\":\"", prefix,
               (unsigned long long)d, (unsigned long long)d);
        fwrite(buf, 1, bytes, stdout);
        fputs("\"}\n", stdout);
    }
    free(buf);
    return ferror(stdout) ? 5 : 0;
}
