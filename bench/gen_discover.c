/*
 * gen_discover.c - a seeded corpus for benchmarking `tessera discover`,
 * with planted reuse and its ground truth.
 *
 * Resampling whole sentences of a small news collection (gen_corpus.py)
 * makes every sentence recur dozens of times at a million documents: the
 * document pairs explode and a discovery benchmark would measure the
 * corpus, not the engine.  Real archives are mostly new text with some
 * reuse.  So every document here is NEW text, drawn from a word-bigram
 * model of news.jsonl, and a known share of documents copies passages
 * from earlier ones:
 *
 *   fresh text   each word follows the previous one by the bigram model
 *                with probability BIGRAM_P, else it is drawn from the
 *                unigram distribution.  Runs of bigram steps are short
 *                (mean 1 / (1 - BIGRAM_P) words), so chance overlaps of
 *                8 or more words between documents are rare, while the
 *                word frequencies, and so the fingerprint frequencies
 *                that drive the pair stage, are those of news text.
 *                Lengths in words follow the articles of news.jsonl.
 *   planted      REUSE_SHARE of the documents (the "copiers") receive 1-3
 *                passages of 30-100 words copied from earlier documents,
 *                inserted at random word positions: half verbatim, half
 *                reworded (each word edited with probability EDIT_P:
 *                replaced, dropped, or followed by an inserted word).
 *                Sources are non-copiers: most from the last RECENT
 *                documents (news reuse is recent), HUB_P of them from
 *                "hubs" (every HUB_EVERY-th document, wire stories that
 *                many later documents reprint), which makes families.
 *                Copiers are never sources, so the truth has no chains;
 *                two copiers of overlapping spans of one source do share
 *                text (the scorer counts such "sibling" pairs as true).
 *
 * Outputs: the corpus as JSON Lines {"id": "dNNNNNNNN", "text": ...}
 * (ids in document order), the truth as TSV, one planted passage a line:
 *
 *   target_id  t_begin  t_end  source_id  s_begin  s_end  reworded  words
 *
 * offsets in bytes of the document texts, end exclusive; and with
 * --files-dir, the first --files documents as one .txt file each (in
 * subfolders of 10,000) for peers that need files (sim_text).
 *
 * Everything derives from --seed: the same arguments give the same bytes.
 * Uses only the public API (tsr_reader) to read news.jsonl.
 *
 *   gen_discover --data news.jsonl --docs N --out corpus.jsonl
 *                --truth truth.tsv [--files N --files-dir DIR] [--seed S]
 */
#include "tessera.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BIGRAM_P     0.5    /* a word follows the previous by the bigram model */
#define REUSE_SHARE  0.10   /* documents that copy passages */
#define EDIT_P       0.12   /* word edit probability of a reworded passage */
#define HUB_EVERY    1000   /* every HUB_EVERY-th document is a hub */
#define HUB_P        0.10   /* a passage copied from a hub, else a recent document */
#define RECENT       10000  /* recent documents a passage may come from */
#define MIN_PASSAGE  30
#define MAX_PASSAGE  100
#define FIRST_COPIER 100    /* documents before this never copy */

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)   /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n) { return rnd() % n; }
static double rnd_unit(void) { return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0); }

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) { fputs("gen_discover: out of memory\n", stderr); exit(1); }
    return q;
}

static void die(const char *what, const char *path)
{
    fprintf(stderr, "gen_discover: %s: %s: %s\n", path, what, strerror(errno));
    exit(1);
}

/* ---- the model: vocabulary, token stream, successor lists --------------- */

typedef struct model {
    char *chars; size_t nchars, capchars;     /* word strings, back to back */
    uint32_t *woff, *wlen; size_t nwords, capwords;
    uint32_t *slot; size_t nslot;             /* hash table of word ids + 1 */
    uint32_t *stream; size_t nstream, capstream; /* word ids; UINT32_MAX ends an article */
    uint32_t *occ_first, *occ;                /* positions of each word in stream (CSR) */
    uint32_t *lengths; size_t nlengths;       /* article lengths in words */
} model;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void grow_slots(model *m)
{
    size_t n = m->nslot ? m->nslot * 2 : 1u << 16;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s) { fputs("gen_discover: out of memory\n", stderr); exit(1); }
    for (size_t w = 0; w < m->nwords; w++) {
        size_t i = fnv(m->chars + m->woff[w], m->wlen[w]) & (n - 1);
        while (s[i]) i = (i + 1) & (n - 1);
        s[i] = (uint32_t)w + 1;
    }
    free(m->slot);
    m->slot = s;
    m->nslot = n;
}

static uint32_t intern(model *m, const char *s, size_t n)
{
    if ((m->nwords + 1) * 2 > m->nslot) grow_slots(m);
    size_t i = fnv(s, n) & (m->nslot - 1);
    for (; m->slot[i]; i = (i + 1) & (m->nslot - 1)) {
        uint32_t w = m->slot[i] - 1;
        if (m->wlen[w] == n && memcmp(m->chars + m->woff[w], s, n) == 0) return w;
    }
    if (m->nwords == m->capwords) {
        m->capwords = m->capwords ? m->capwords * 2 : 4096;
        m->woff = xrealloc(m->woff, m->capwords * sizeof *m->woff);
        m->wlen = xrealloc(m->wlen, m->capwords * sizeof *m->wlen);
    }
    while (m->nchars + n > m->capchars) {
        m->capchars = m->capchars ? m->capchars * 2 : 1u << 20;
        m->chars = xrealloc(m->chars, m->capchars);
    }
    memcpy(m->chars + m->nchars, s, n);
    m->woff[m->nwords] = (uint32_t)m->nchars;
    m->wlen[m->nwords] = (uint32_t)n;
    m->nchars += n;
    m->slot[i] = (uint32_t)m->nwords + 1;
    return (uint32_t)m->nwords++;
}

static void push_stream(model *m, uint32_t w)
{
    if (m->nstream == m->capstream) {
        m->capstream = m->capstream ? m->capstream * 2 : 1u << 20;
        m->stream = xrealloc(m->stream, m->capstream * sizeof *m->stream);
    }
    m->stream[m->nstream++] = w;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void load_model(model *m, const char *path)
{
    tsr_reader *r = NULL;
    tsr_error err = { 0 };
    if (tsr_reader_open(path, NULL, &r, &err) != TSR_OK) {
        fprintf(stderr, "gen_discover: %s\n", err.message);
        exit(1);
    }
    for (;;) {
        tsr_docinfo d;
        int eof = 0;
        if (tsr_reader_next(r, &d, &eof, &err) != TSR_OK) {
            fprintf(stderr, "gen_discover: %s\n", err.message);
            exit(1);
        }
        if (eof) break;
        size_t words = 0;
        for (size_t i = 0; i < d.text_len;) {
            while (i < d.text_len && is_space(d.text[i])) i++;
            size_t b = i;
            while (i < d.text_len && !is_space(d.text[i])) i++;
            if (i > b) { push_stream(m, intern(m, d.text + b, i - b)); words++; }
        }
        push_stream(m, UINT32_MAX);
        if (words) {
            m->lengths = xrealloc(m->lengths, (m->nlengths + 1) * sizeof *m->lengths);
            m->lengths[m->nlengths++] = (uint32_t)words;
        }
    }
    tsr_reader_close(r);
    if (!m->nlengths) { fprintf(stderr, "gen_discover: %s: no text\n", path); exit(1); }
    /* successor lists: occ[occ_first[w] .. occ_first[w+1]) = positions of w */
    m->occ_first = calloc(m->nwords + 1, sizeof *m->occ_first);
    m->occ = malloc((m->nstream ? m->nstream : 1) * sizeof *m->occ);
    if (!m->occ_first || !m->occ) { fputs("gen_discover: out of memory\n", stderr); exit(1); }
    for (size_t i = 0; i < m->nstream; i++)
        if (m->stream[i] != UINT32_MAX) m->occ_first[m->stream[i] + 1]++;
    for (size_t w = 0; w < m->nwords; w++) m->occ_first[w + 1] += m->occ_first[w];
    uint32_t *fill = malloc((m->nwords ? m->nwords : 1) * sizeof *fill);
    if (!fill) { fputs("gen_discover: out of memory\n", stderr); exit(1); }
    memcpy(fill, m->occ_first, m->nwords * sizeof *fill);
    for (size_t i = 0; i < m->nstream; i++)
        if (m->stream[i] != UINT32_MAX) m->occ[fill[m->stream[i]]++] = (uint32_t)i;
    free(fill);
}

static uint32_t unigram(const model *m)
{
    for (;;) {
        uint32_t w = m->stream[rnd_below(m->nstream)];
        if (w != UINT32_MAX) return w;
    }
}

static uint32_t next_word(const model *m, uint32_t prev)
{
    if (prev != UINT32_MAX && rnd_unit() < BIGRAM_P) {
        uint32_t n = m->occ_first[prev + 1] - m->occ_first[prev];
        uint32_t pos = m->occ[m->occ_first[prev] + rnd_below(n)];
        if (pos + 1 < m->nstream && m->stream[pos + 1] != UINT32_MAX) return m->stream[pos + 1];
    }
    return unigram(m);
}

/* ---- documents ------------------------------------------------------------ */

typedef struct wordvec { uint32_t *w; size_t n, cap; } wordvec;

static void wv_push(wordvec *v, uint32_t w)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->w = xrealloc(v->w, v->cap * sizeof *v->w);
    }
    v->w[v->n++] = w;
}

/* A stored earlier document: its words and their byte offsets. */
typedef struct stored { uint32_t *w, *off; size_t n; int64_t docno; } stored;

static void store(stored *s, int64_t docno, const uint32_t *w, const uint32_t *off, size_t n)
{
    s->w = xrealloc(s->w, (n ? n : 1) * sizeof *s->w);
    s->off = xrealloc(s->off, (n ? n : 1) * sizeof *s->off);
    memcpy(s->w, w, n * sizeof *w);
    memcpy(s->off, off, n * sizeof *off);
    s->n = n;
    s->docno = docno;
}

typedef struct passage {
    size_t at;                 /* insertion point among the fresh words */
    size_t tw_begin, tw_end;   /* word range in the final document */
    int64_t src;
    uint32_t s_begin, s_end;   /* bytes in the source */
    int reworded;
    size_t words;
} passage;

static int cmp_passage(const void *a, const void *b)
{
    const passage *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

/* Render words into text; offsets of each word into off[]. */
static size_t render(const model *m, const uint32_t *w, size_t n, char **buf, size_t *cap,
                     uint32_t *off)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = m->chars + m->woff[w[i]];
        size_t k = m->wlen[w[i]];
        if (len + k + 3 > *cap) {
            *cap = (len + k + 3) * 2;
            *buf = xrealloc(*buf, *cap);
        }
        if (i) {
            char last = (*buf)[len - 1];
            if ((last == '.' || last == '!' || last == '?') && rnd_unit() < 0.25) {
                (*buf)[len++] = '\n';
                (*buf)[len++] = '\n';
            } else {
                (*buf)[len++] = ' ';
            }
        }
        off[i] = (uint32_t)len;
        memcpy(*buf + len, s, k);
        len += k;
    }
    return len;
}

static void json_string(FILE *f, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { putc('\\', f); putc(c, f); }
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20) fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        else putc(c, f);
    }
    putc('"', f);
}

static void write_file(const char *dir, int64_t docno, const char *text, size_t len)
{
    char sub[4096], path[4200];
    snprintf(sub, sizeof sub, "%s/%04lld", dir, (long long)(docno / 10000));
    if (docno % 10000 == 0 && mkdir(sub, 0777) != 0 && errno != EEXIST) die("mkdir", sub);
    snprintf(path, sizeof path, "%s/d%08lld.txt", sub, (long long)docno);
    FILE *f = fopen(path, "w");
    if (!f) die("open", path);
    if (fwrite(text, 1, len, f) != len || putc('\n', f) == EOF || fclose(f) != 0)
        die("write", path);
}

/* ---- main ------------------------------------------------------------------ */

static int is_copier(uint64_t seed, int64_t i)
{
    if (i < FIRST_COPIER || i % HUB_EVERY == 7) return 0;
    uint64_t z = seed ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ull;
    z ^= z >> 29;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0) < REUSE_SHARE;
}

int main(int argc, char **argv)
{
    const char *data = NULL, *out = NULL, *truth = NULL, *files_dir = NULL;
    long long ndocs = 0, nfiles = 0;
    uint64_t seed = 20240611;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { fprintf(stderr, "gen_discover: %s needs a value\n", a); return 2; }
        if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--docs")) ndocs = atoll(v);
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--truth")) truth = v;
        else if (!strcmp(a, "--files")) nfiles = atoll(v);
        else if (!strcmp(a, "--files-dir")) files_dir = v;
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else { fprintf(stderr, "gen_discover: unknown option %s\n", a); return 2; }
    }
    if (!data || !out || !truth || ndocs < 1 || (nfiles > 0 && !files_dir)) {
        fputs("usage: gen_discover --data news.jsonl --docs N --out corpus.jsonl "
              "--truth truth.tsv [--files N --files-dir DIR] [--seed S]\n", stderr);
        return 2;
    }
    if (files_dir && mkdir(files_dir, 0777) != 0 && errno != EEXIST) die("mkdir", files_dir);

    model m;
    memset(&m, 0, sizeof m);
    load_model(&m, data);
    fprintf(stderr, "gen_discover: model: %zu distinct words, %zu tokens, %zu articles\n",
            m.nwords, m.nstream, m.nlengths);

    FILE *fo = fopen(out, "w"), *ft = fopen(truth, "w");
    if (!fo) die("open", out);
    if (!ft) die("open", truth);
    setvbuf(fo, NULL, _IOFBF, 1 << 22);

    rng_state = seed;
    stored *recent = calloc(RECENT, sizeof *recent);
    size_t nhubs_cap = (size_t)(ndocs / HUB_EVERY + 1);
    stored *hubs = calloc(nhubs_cap, sizeof *hubs);
    size_t nhubs = 0;
    if (!recent || !hubs) { fputs("gen_discover: out of memory\n", stderr); return 1; }
    wordvec fresh = { 0 }, doc = { 0 };
    uint32_t *off = NULL;
    size_t offcap = 0, bufcap = 0;
    char *buf = NULL;
    long long planted = 0, copiers = 0;
    double bytes = 0;

    for (int64_t i = 0; i < ndocs; i++) {
        /* fresh words */
        size_t len = m.lengths[rnd_below(m.nlengths)];
        fresh.n = 0;
        uint32_t prev = UINT32_MAX;
        for (size_t k = 0; k < len; k++) wv_push(&fresh, prev = next_word(&m, prev));

        /* planted passages */
        passage ps[3];
        int np = 0;
        if (is_copier(seed, i)) {
            int want = rnd_unit() < 0.6 ? 1 : rnd_unit() < 0.75 ? 2 : 3;
            for (int t = 0; t < want; t++) {
                const stored *s = NULL;
                for (int tries = 0; tries < 20 && !s; tries++) {
                    const stored *c;
                    if (nhubs && rnd_unit() < HUB_P) {
                        c = &hubs[rnd_below(nhubs)];
                    } else {
                        int64_t lo = i > RECENT ? i - RECENT : 0;
                        int64_t j = lo + (int64_t)rnd_below((uint64_t)(i - lo));
                        if (is_copier(seed, j)) continue;
                        c = &recent[j % RECENT];
                    }
                    if (c->n >= MIN_PASSAGE + 5) s = c;
                }
                if (!s) continue;
                size_t maxw = s->n < MAX_PASSAGE ? s->n : MAX_PASSAGE;
                size_t pw = MIN_PASSAGE + rnd_below(maxw - MIN_PASSAGE + 1);
                size_t sb = rnd_below(s->n - pw + 1);
                passage *p = &ps[np++];
                p->at = rnd_below(fresh.n + 1);
                p->src = s->docno;
                p->s_begin = s->off[sb];
                {
                    /* the source end: the last word's end, from the next word's offset
                     * or the word length */
                    uint32_t lw = s->w[sb + pw - 1];
                    p->s_end = s->off[sb + pw - 1] + m.wlen[lw];
                }
                p->reworded = rnd_unit() < 0.5;
                p->tw_begin = sb;          /* temporarily: source word range */
                p->tw_end = sb + pw;
                p->words = pw;
                /* the words are copied when the document is assembled, below */
            }
            if (np) copiers++;
        }
        qsort(ps, (size_t)np, sizeof *ps, cmp_passage);

        /* assemble: fresh words with the passages inserted */
        doc.n = 0;
        size_t f = 0;
        for (int t = 0; t < np; t++) {
            passage *p = &ps[t];
            while (f < p->at) wv_push(&doc, fresh.w[f++]);
            const stored *s = NULL;
            if (p->src % HUB_EVERY == 7 && (size_t)(p->src / HUB_EVERY) < nhubs &&
                hubs[p->src / HUB_EVERY].docno == p->src)
                s = &hubs[p->src / HUB_EVERY];
            else
                s = &recent[p->src % RECENT];
            size_t sb = p->tw_begin, se = p->tw_end;
            p->tw_begin = doc.n;
            for (size_t k = sb; k < se; k++) {
                double e = p->reworded ? rnd_unit() : 1.0;
                if (e < EDIT_P / 3) {
                    wv_push(&doc, unigram(&m));                  /* replaced */
                } else if (e < 2 * EDIT_P / 3) {
                    /* dropped (keep the first and last word: the spans stay put) */
                    if (k == sb || k + 1 == se) wv_push(&doc, s->w[k]);
                } else if (e < EDIT_P) {
                    wv_push(&doc, s->w[k]);                     /* word + an inserted one */
                    if (k + 1 < se) wv_push(&doc, unigram(&m));
                } else {
                    wv_push(&doc, s->w[k]);
                }
            }
            p->tw_end = doc.n;
        }
        while (f < fresh.n) wv_push(&doc, fresh.w[f++]);

        if (doc.n > offcap) {
            offcap = doc.n * 2;
            off = xrealloc(off, offcap * sizeof *off);
        }
        size_t tlen = render(&m, doc.w, doc.n, &buf, &bufcap, off);
        bytes += (double)tlen;

        fprintf(fo, "{\"id\": \"d%08lld\", \"text\": ", (long long)i);
        json_string(fo, buf, tlen);
        fputs("}\n", fo);
        for (int t = 0; t < np; t++) {
            const passage *p = &ps[t];
            uint32_t tb = off[p->tw_begin];
            uint32_t te = off[p->tw_end - 1] + m.wlen[doc.w[p->tw_end - 1]];
            fprintf(ft, "d%08lld\t%u\t%u\td%08lld\t%u\t%u\t%d\t%zu\n", (long long)i, tb, te,
                    (long long)p->src, p->s_begin, p->s_end, p->reworded, p->words);
            planted++;
        }
        if (files_dir && i < nfiles) write_file(files_dir, i, buf, tlen);

        /* keep it as a possible source */
        if (!is_copier(seed, i)) {
            store(&recent[i % RECENT], i, doc.w, off, doc.n);
            if (i % HUB_EVERY == 7) store(&hubs[nhubs++], i, doc.w, off, doc.n);
        }
        if ((i + 1) % 1000000 == 0)
            fprintf(stderr, "gen_discover: %lld documents\n", (long long)(i + 1));
    }
    if (fclose(fo) != 0) die("write", out);
    if (fclose(ft) != 0) die("write", truth);
    fprintf(stderr, "gen_discover: %s: %lld documents, %.1f MB of text, %lld copiers, "
            "%lld planted passages\n", out, ndocs, bytes / 1e6, copiers, planted);
    return 0;
}
