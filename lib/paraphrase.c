/*
 * paraphrase.c - the sentence stage: reuse whose words and word order
 * changed.
 *
 * Why.  The aligner (align.c) starts from runs of identical words.  Text
 * that a person or a program rewrote keeps few such runs: PAN 2013's
 * random obfuscation (words dropped, inserted, swapped for synonyms,
 * phrases shuffled) and round-trip translations leave a run of three
 * words here and there, and the aligner finds 81% and 73% of them.  What
 * rewritten text keeps is its content words, sentence by sentence, in
 * other forms and another order.  The best PAN systems (Sanchez-Perez,
 * Sidorov and Gelbukh, 2014) compare sentences as bags of content words
 * weighted by tf-isf and take a pair when both its cosine and its Dice
 * coefficient pass a third; this stage does the same and adds what it
 * finds where the aligner found nothing.
 *
 * How it works.
 * 1. Sentences (pp_text_init).  A sentence ends where the bytes between
 *    two words hold '.', '!', '?' (or the CJK full stop, exclamation and
 *    question marks) or a blank line (a full stop after one letter is an
 *    abbreviation's: "U.S."), or after PP_MAX_SENTENCE (100) words
 *    (text without marks, lists, OCR: windows then).  A sentence of fewer
 *    than 4 words ("Mr.", "U.S.", a heading) joins the next one.
 * 2. Terms.  Each word is normalized as text.c does (NFKD, case folded,
 *    marks stripped); English function words are left out; the rest are
 *    stemmed (Snowball's English stemmer from libstemmer: "reported",
 *    "reporting" and "reports" are one term) and hashed.  A sentence is the
 *    bag of its terms.
 * 3. Weights (pp_weigh).  A term held by many of the N sentences of the two
 *    texts says little about which pairs belong together: its weight is
 *    tf * log(N / sentences holding it), from the pair itself.
 * 4. Seeds.  Each sentence of A against each sentence of B that shares a
 *    term with it (an inverted index of B's terms): a seed when the cosine
 *    of their weighted vectors is at least PP_MIN_COS and the Dice
 *    coefficient of their term sets at least PP_MIN_DICE (both 0.33).
 * 5. Passages.  Seeds sorted by A's sentence go into the first group whose
 *    last A sentence is at most PP_GAP sentences back and whose B sentences
 *    span within PP_GAP of the seed's; a group is a passage from its first
 *    to its last sentence on each side when it holds PP_MIN_SEEDS seeds
 *    (one sentence pair alike is chance too often: a shared topic) and
 *    PP_MIN_BYTES on each side, and when at least PP_MIN_SHARE (0.45) of
 *    the terms of its two spans are terms they have in common (as bags):
 *    two texts on one topic share a few terms sentence by sentence, a
 *    rewrite shares most of them.  Its similarity, as the aligner's, is
 *    the share of its words (unstemmed, as bags) the two spans have in
 *    common, counted by the aligner's own al_bag_matches in its
 *    workspace.
 * 6. With the aligner's passages.  A passage that overlaps one the aligner
 *    found, on either side, is dropped: the aligner's spans are exact, this
 *    stage's are whole sentences.
 * 7. Extension (pp_extend).  A passage of the aligner's that stops inside
 *    reworded text, where the edits left no seed, grows by whole sentences
 *    while the next sentence on both sides (or the one before, backwards)
 *    is a seed pair by step 4's test with both thresholds at PP_EXT_MIN
 *    (0.25: being next to a passage is evidence too; on PAN 0.33 gave
 *    0.8968 overall, 0.25 0.8983, 0.20 0.8989).  The rest of the sentence
 *    it stops in comes with it, sandwiched between reused text as a gap
 *    inside a passage is.  It never grows into another passage.  Unlike widening
 *    every passage to its sentence's edges (tried: it claims words nothing
 *    supports, EVAL.md), each sentence added is similar to its counterpart.
 * 7b. Word-level extension (pp_bag_extend).  Rewriting leaves a passage's
 *    ends ragged: the aligner's last run of identical words ends inside a
 *    sentence whose rest was reworded, and a stage passage's sentence
 *    bounds on one side do not match the words the other side holds.  Each
 *    passage but summaries grows at each end over the words, on both
 *    sides at once and up to PP_BAG_MAX (60) on each, whose content words
 *    (terms, as bags, each weighted by its step-3 weight log(N / sentences
 *    holding it)) share the most: the pair of windows maximizing
 *    2 * shared weight - PP_BAG_TAU (0.4) * (weight of both windows),
 *    sharing PP_BAG_MIN (2) words or more, and ending on a content word
 *    that the other window holds on each side; never into another passage.
 *    The weights matter: unweighted, words that every sentence holds (a
 *    language without a stop list; the round trips' made-up language) made
 *    two unrelated sentences after a passage look alike, and the passage
 *    took them in.  On PAN: random obfuscation 0.9000 -> 0.9085,
 *    translation 0.9032 -> 0.9221, summaries 0.5330 -> 0.5386, overall
 *    0.9105 -> 0.9194, no obfuscation 0.9845 -> 0.9844, the no-plagiarism
 *    folder still 2 detections.  A tau of 0.3 gave 0.9221 overall (random
 *    0.9131) but let the round trips' reworded passages take in 5-10
 *    words of the unrelated text after them (3 of 14 seeds), 0.35 in 3
 *    of 43; at 0.4 the round trips fail where they failed before this
 *    step (2 of 31 further seeds), and one OCR'd passage of 12 further
 *    OCR seeds starts 6 words early (the tolerance is 5).
 *    Across the ends: rewriters move phrases and sentences, so the words
 *    after a passage in A are often a rewrite of those before it in B (or
 *    the other way).  A rewritten passage (less similar than
 *    AL_REWRITTEN_SIM, 0.97, the aligner's own line between an edit and
 *    moved text) grows the same way over such crossed windows too, A
 *    onwards with B backwards and A backwards with B onwards, when they
 *    share PP_CROSS_MIN (3) content words (a moved phrase needs more
 *    evidence than a continued one: two, "mln vs" against "mln vs 58.1",
 *    took a generated copy two words too far and its E-value over the cut),
 *    are of comparable lengths (neither more than PP_CROSS_RATIO (2) times the
 *    other and PP_CROSS_SLACK (2) words: seven words of A against two of B
 *    is a chance pair of content words, the OCR round trip of seed 8) and
 *    do not each hold a figure that the other lacks (pp_figs_differ: a
 *    template filled twice, "3.5 mln shares at 17 dlrs" against "four mln
 *    shares at 33.75 dlrs", which a stitched article showed).  A copy
 *    (similarity 0.97 and more) never does: clean text in another order
 *    is moved text, a passage of its own (issue 9).  On PAN: random
 *    obfuscation 0.9120 -> 0.9195, translation 0.9232 -> 0.9236, overall
 *    0.9210 -> 0.9234; no obfuscation, summaries and the no-plagiarism
 *    folder unchanged (with two content words: random 0.9201).
 * 8. Summaries (pp_summary).  A summary condenses a long stretch of its
 *    source, a sentence of it for several of the source's, in order, and
 *    shares too few terms with any one source sentence for step 4's seeds.
 *    Each sentence of A has a best match in B (the largest cosine found in
 *    step 4); a run of A's sentences, at most one apart, whose best matches
 *    (cosine >= PP_SUM_COS, 0.3) come in B's order, PP_SUM_MIN (3) or more,
 *    over a stretch of B from PP_SUM_RATIO (2) to PP_SUM_MAXRATIO (25) times
 *    as long in words, which holds PP_SUM_SHARE (70%) of the run's terms,
 *    is one passage of kind summary from the run's first sentence to its
 *    last and from the first match to the last.  A sentence that a passage
 *    found before holds (half of its words) and that has no match of its
 *    own is matched where that passage maps it.  A run of which more than
 *    half of the sentences lie in passages at least PP_SUM_COPY (0.7)
 *    similar is copied text, no summary; otherwise the summary takes in the
 *    passages it overlaps in A, and those next to it (one sentence apart at
 *    most) that map into the stretch it condenses: summarizers copy a
 *    sentence here and there, and a summary reported in pieces is one claim
 *    made several times.  On PAN: summaries 0.267 -> 0.447, overall 0.898
 *    -> 0.904, the no-plagiarism folder still 2 (the veto on any copied
 *    sentence and no neighbours; with them, summaries 0.438 -> 0.533,
 *    overall 0.9045 -> 0.9105, EVAL.md); the
 *    ratio cap and the cosine of 0.3 are what keep two topic look-alikes
 *    (one 67 times longer) out of it.  Nor is a stretch of B a summary's
 *    source when it holds PP_SUM_HOLE (4) sentences in a row that share no
 *    term with the run (pp_sum_hole): another story between two that the
 *    run condenses (PAN summaries 0.447 -> 0.438: its summarizers skip up
 *    to three sentences; sharing fewer than two terms, or a hole of two
 *    sentences, cost 0.03-0.08).
 * 9. Merges (al_merge_passages: the aligner's stage 9 again).  Steps 7 and
 *    7b grow passages towards each other: two of the aligner's with a
 *    reworded sentence between them, which it left out (no run there),
 *    now touch, and are one reuse reported twice.  The aligner's own
 *    merge of neighbours runs over the stage's output, under its rules:
 *    same order on both sides, no stretch that one side lacks between
 *    them, no text that another passage claims (so a moved paragraph
 *    stays a passage of its own).  On PAN: random obfuscation 0.9085 ->
 *    0.9120 (granularity 1.0116 -> 1.0066), translation 0.9221 -> 0.9232,
 *    summaries 0.5386 -> 0.5417, overall 0.9194 -> 0.9210; no obfuscation
 *    and the no-plagiarism folder unchanged.
 * Where it runs: tsr_align by default; tsr_index_check and discovery only
 * with tsr_params.paraphrase = TSR_PARAPHRASE_ALL, since they must read
 * each candidate's text beside its words (check.c, discover.c; discovery
 * splits a document into sentences once for all its pairs as A,
 * pp_align_texts, and keeps each document's marks, pp_marks, in its
 * document cache, so that a text is read once, not once per pair).
 *
 * Ruling pairs out (pp_may_pair).  In discovery most candidate pairs are
 * chance: three in four that the aligner leaves empty, and of those the
 * stage finds something in one in 20,000 (generated corpus, 100,000
 * documents).  Splitting B and weighing the pair cost more than the
 * aligner.  So a pair the aligner left empty is first tested from B's
 * marks, in one pass over its words: which of its term occurrences A
 * holds, and which of A's terms B holds.  A passage of step 5 has spans of
 * PP_MIN_BYTES whose bags share PP_MIN_SHARE of their terms, so (the
 * shared count being at most what either span holds of the other text at
 * all) some run of sentences of PP_MIN_BYTES holds the other text's terms
 * at PP_MIN_SHARE / 2 on each side and at PP_MIN_SHARE on one of them; and
 * a seed's Dice needs a sentence of A with enough of its distinct terms in
 * B; and a passage of seeds needs PP_MIN_SEEDS of them: pairs of sentences
 * whose Dice over distinct terms reaches PP_MIN_DICE, counted from B's
 * marks and A's postings (the cosine not asked).  A summary needs
 * PP_SUM_MIN sentences of A holding PP_SUM_SHARE of their terms in B.
 * When none of that holds, pp_align_texts could add nothing to the pair,
 * and is not run.  The test only loosens the stage's own conditions (the
 * whole of the other text for a span of it, seeds without their cosine),
 * so it changes no output (test_may_pair: generated pairs; discovery's
 * output byte for byte the same, on PAN and on 100,000 and 1,000,000
 * generated documents).  On the generated corpus of 1M documents it rules
 * out 96% of the 2.55 million empty pairs (64% without the count of seeds,
 * which left 0.92 million of them to split and weigh).
 *
 * The thresholds were set on PAN 2013's training corpus (EVAL.md): the
 * seed tests are the published ones; two seeds per passage and the
 * share of terms keep out what the seeds let in on a shared topic, so that
 * the no-plagiarism folder has no more detections than the aligner's alone.
 *
 * Edge cases.  A text without sentence marks is cut into windows of
 * PP_MAX_SENTENCE words, which also bounds the work per sentence.  Words longer than
 * PP_WORD_MAX bytes are hashed unstemmed.  Texts in other languages get
 * no stop words and English stemming, which leaves most of their words as
 * they are; the weights still discount frequent words.
 */
#include "paraphrase.h"
#include "common/common.h"
#include "common/xxh.h"

#include <libstemmer.h>
#include <math.h>
#include <pthread.h>
#include <utf8proc.h>

#define PP_WORD_MAX 64
#define PP_MIN_SENTENCE 4
#define PP_MAX_SENTENCE 100

/* English function words, sorted (bsearch). */
static const char *const pp_stop[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
    "any", "are", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down",
    "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he",
    "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "just", "may", "me", "might", "more", "most",
    "must", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "one",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same",
    "shall", "she", "should", "so", "some", "such", "than", "that", "the", "their",
    "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those",
    "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what",
    "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you",
    "your", "yours", "yourself", "yourselves",
};

/* The stop words as text.c hashes words (XXH3 of the normalized form:
 * lower-case ASCII for these), in an open-addressing set built once. */
#define PP_STOP_SLOTS 512
static uint64_t pp_stop_set[PP_STOP_SLOTS];

static void pp_stop_init(void)
{
    for (size_t i = 0; i < sizeof pp_stop / sizeof *pp_stop; i++) {
        const uint64_t h = XXH3_64bits(pp_stop[i], strlen(pp_stop[i])) | 1;
        size_t s = (size_t)(h >> 17) & (PP_STOP_SLOTS - 1);
        while (pp_stop_set[s]) s = (s + 1) & (PP_STOP_SLOTS - 1);
        pp_stop_set[s] = h;
    }
}

/* Is the word of hash h (tsr_word.hash) a stop word? */
static int pp_is_stop(uint64_t h)
{
    h |= 1;
    size_t s = (size_t)(h >> 17) & (PP_STOP_SLOTS - 1);
    while (pp_stop_set[s] && pp_stop_set[s] != h) s = (s + 1) & (PP_STOP_SLOTS - 1);
    return pp_stop_set[s] != 0;
}

/* Word [beg, end) of text, normalized into buf (NUL-terminated, at most
 * PP_WORD_MAX bytes); its length, or 0 when too long or not normalizable. */
static size_t pp_normalize(const char *text, uint32_t beg, uint32_t end, char *buf)
{
    const unsigned char *s = (const unsigned char *)text + beg;
    const size_t n = end - beg;
    size_t i = 0;
    for (; i < n && s[i] < 0x80; i++) ;
    if (i == n) {
        if (n > PP_WORD_MAX) return 0;
        for (i = 0; i < n; i++)
            buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
        buf[n] = 0;
        return n;
    }
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t m = utf8proc_map(s, (utf8proc_ssize_t)n, &out,
                                      UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
                                      UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
    size_t len = 0;
    if (m > 0 && m <= PP_WORD_MAX) {
        memcpy(buf, out, (size_t)m);
        len = (size_t)m;
    }
    free(out);
    buf[len] = 0;
    return len;
}

/* Does the gap g[0, n) between two words end a sentence?  `abbrev`: a
 * full stop there does not (the word before is one letter: "U.S."). */
static int pp_ends_sentence(const char *g, size_t n, int abbrev)
{
    if (n == 1) {   /* most gaps (a space): without a branch on the byte */
        const unsigned char c = (unsigned char)*g;
        return ((c == '.') & !abbrev) | (c == '!') | (c == '?');
    }
    int newline = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)g[i];
        if ((c == '.' && !abbrev) || c == '!' || c == '?')
            return 1;
        if (c == '\n') {
            if (newline) return 1;
            newline = 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            newline = 0;
        }
        /* U+3002 (E3 80 82), U+FF01 (EF BC 81), U+FF1F (EF BC 9F) */
        if (i + 2 < n && ((c == 0xE3 && (unsigned char)g[i + 1] == 0x80 &&
                           (unsigned char)g[i + 2] == 0x82) ||
                          (c == 0xEF && (unsigned char)g[i + 1] == 0xBC &&
                           ((unsigned char)g[i + 2] == 0x81 || (unsigned char)g[i + 2] == 0x9F))))
            return 1;
    }
    return 0;
}

/* Sorts 64-bit keys ascending: insertion sort for the short runs, quicksort
 * (median of three, the smaller side first) beyond.  A sentence's terms
 * (at most about PP_MAX_SENTENCE) and a text's; qsort's calls through a
 * comparison function were a fifth of splitting a text. */
#define PP_INSERTION_MAX 16

static void pp_sort_u64(uint64_t *a, size_t n)
{
    while (n > PP_INSERTION_MAX) {
        uint64_t *m = a + n / 2, *z = a + n - 1, t;
        if (*m < *a) { t = *m; *m = *a; *a = t; }
        if (*z < *m) { t = *z; *z = *m; *m = t; }
        if (*m < *a) { t = *m; *m = *a; *a = t; }
        const uint64_t pivot = *m;
        size_t i = 0, j = n - 1;
        for (;;) {   /* Hoare: a[0, j] <= pivot <= a[j + 1, n) */
            while (a[i] < pivot) i++;
            while (pivot < a[j]) j--;
            if (i >= j) break;
            t = a[i]; a[i] = a[j]; a[j] = t;
            i++;
            j--;
        }
        const size_t left = j + 1;
        if (left < n - left) {
            pp_sort_u64(a, left);
            a += left;
            n -= left;
        } else {
            pp_sort_u64(a + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        const uint64_t x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > x; j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

/* The terms of words [lo, hi) appended to t->t as a sorted set with
 * counts (t->t has room for one term a word); terms[] holds each word's
 * term (0: none), key[] room for hi - lo keys. */
static void pp_add_sentence(pp_text *t, const uint64_t *terms, uint32_t lo, uint32_t hi,
                            uint64_t *key)
{
    pp_sentence s = { lo, hi, (uint32_t)t->nt, 0 };
    size_t k = 0;
    for (uint32_t i = lo; i < hi; i++) {   /* stop words (0) left out, without a branch */
        key[k] = terms[i];
        k += terms[i] != 0;
    }
    pp_sort_u64(key, k);
    pp_term *base = t->t + t->nt;
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && base[m - 1].term == key[i]) base[m - 1].tf++;
        else base[m++] = (pp_term){ key[i], 1, 0 };
    }
    t->nt += m;
    s.t_hi = (uint32_t)t->nt;
    t->s[t->ns++] = s;
}

/* The term of one word (0: a stop word). */
static uint64_t pp_term_of(struct sb_stemmer *st, const char *text, const tsr_word *w)
{
    if (pp_is_stop(w->hash)) return 0;
    char buf[PP_WORD_MAX + 1];
    const size_t len = pp_normalize(text, w->begin, w->end, buf);
    if (!len) return w->hash | 1;
    const sb_symbol *stem = sb_stemmer_stem(st, (const sb_symbol *)buf, (int)len);
    const int sl = stem ? sb_stemmer_length(st) : 0;
    return (stem && sl > 0 ? XXH3_64bits(stem, (size_t)sl) : XXH3_64bits(buf, len)) | 1;
}

/* What pp_align_texts needs from pair to pair, kept by each thread (in its
 * pp_cache): the pair's weights, the seeds' accumulators (dot, shared: all
 * zero between uses), each of a's sentences' best match (best, bestcos:
 * pp_seeds sets them, pp_summary fills in where passages map), counts by
 * term (cnt: all zero between uses), and which of a's sentences lie in
 * copied passages (copy, pp_summary). */
typedef struct { uint32_t i, j; } pp_seed;
typedef TSR_VEC(pp_seed) pp_seeds_vec;
typedef struct { uint32_t i0, i1, j0, j1, n; } pp_group;

typedef struct {
    pp_pair pair;
    pp_seeds_vec seeds;
    double *dot, *bestcos;
    uint32_t *shared, *touched, *best, *cnt;
    unsigned char *copy;
    size_t cap[7];
} pp_scratch;

/* buf (*cap elements of `size` bytes) when it holds n, else a new buffer of
 * at least n in its place, its contents not kept (all zero when `zero`);
 * NULL when out of memory (buf freed, *cap 0). */
static void *pp_reserve(void *buf, size_t *cap, size_t n, size_t size, int zero)
{
    if (buf && n <= *cap) return buf;
    free(buf);
    const size_t nc = n + n / 2 + 16;
    void *q = zero ? calloc(nc, size) : malloc(nc * size);
    *cap = q ? nc : 0;
    return q;
}

static void pp_scratch_free(pp_scratch *sc)
{
    pp_pair_free(&sc->pair);
    tsr_vec_free(&sc->seeds);
    free(sc->dot);
    free(sc->bestcos);
    free(sc->shared);
    free(sc->touched);
    free(sc->best);
    free(sc->cnt);
    free(sc->copy);
    memset(sc, 0, sizeof *sc);
}

/* Where a text is split before it is copied to its own block (one
 * allocation, as discovery keeps thousands of split texts), kept by each
 * thread from text to text. */
typedef struct pp_split {
    uint64_t *key, *dk;
    pp_sentence *s;
    pp_term *t;
    uint32_t *dsf, *slot, *start;
    size_t cap[7];            /* of each buffer, in this order (pp_reserve) */
} pp_split;

static void pp_split_free(pp_split *sp)
{
    free(sp->key);
    free(sp->dk);
    free(sp->s);
    free(sp->t);
    free(sp->dsf);
    free(sp->slot);
    free(sp->start);
    memset(sp, 0, sizeof *sp);
}

/* pp_may_pair's buffers, kept by each thread: a mark for each distinct
 * term of a, the counts of each sentence, and what counting seeds needs. */
#define PP_SET_SLOTS 256   /* pp_pre.set: more than twice a sentence's words */

typedef struct pp_pre {
    unsigned char *mark;
    uint32_t *in, *all, *b0, *b1;
    uint32_t *bd;             /* each of b's words: its term as a's distinct term, or UINT32_MAX */
    uint32_t *sb;             /* b's sentences: where each begins */
    uint32_t *seen;           /* each of a's distinct terms: the b sentence (+ 1) last holding it */
    uint32_t *shared, *touched;   /* each of a's sentences: distinct terms in common */
    size_t cap[10];           /* of each buffer, in this order (pp_reserve) */
    struct { uint64_t term; uint32_t gen; } set[PP_SET_SLOTS];   /* a sentence's distinct terms */
    uint32_t gen;             /* the sentence set[] holds: slots of other gens are empty */
} pp_pre;

static void pp_pre_free(pp_pre *q)
{
    free(q->mark);
    free(q->in);
    free(q->all);
    free(q->b0);
    free(q->b1);
    free(q->bd);
    free(q->sb);
    free(q->seen);
    free(q->shared);
    free(q->touched);
    memset(q, 0, sizeof *q);
}

/* Stemming is most of the stage's time (Snowball's English stemmer, about
 * 120 ns a word), and texts share most of their words: each thread keeps
 * the terms of the words it met, by word hash (the hash of the normalized
 * form, so the same key means the same term), with its stemmer.  Two ways
 * a set, the last used first, a set in half a cache line: direct-mapped,
 * the table's 2^17 words missed 2.1% of lookups on generated news text,
 * most of them two words on one slot, and a miss (normalizing, stemming,
 * hashing) costs as much as 50 hits.  Allocated on a thread's first use,
 * freed when it ends. */
#define PP_CACHE_BITS 16   /* sets */
typedef struct {
    struct { uint64_t key[2], val[2]; } kv[1u << PP_CACHE_BITS];   /* first: 64-byte aligned */
    struct sb_stemmer *st;
    void *mem;                /* the allocation c is in */
    pp_scratch sc;
    pp_split sp;
    pp_pre pre;
} pp_cache;

static pthread_key_t pp_cache_key;

static void pp_cache_free(void *p)
{
    pp_cache *c = p;
    if (!c) return;
    if (c->st) sb_stemmer_delete(c->st);
    pp_scratch_free(&c->sc);
    pp_split_free(&c->sp);
    pp_pre_free(&c->pre);
    free(c->mem);
}

static void pp_once(void)
{
    pp_stop_init();
    if (pthread_key_create(&pp_cache_key, pp_cache_free) != 0)
        pp_cache_key = (pthread_key_t)-1;   /* no cache: a stemmer per call */
}

static pthread_once_t pp_once_flag = PTHREAD_ONCE_INIT;

/* This thread's cache, made when missing; NULL when out of memory. */
static pp_cache *pp_cache_get(void)
{
    if (pp_cache_key == (pthread_key_t)-1) return NULL;
    pp_cache *c = pthread_getspecific(pp_cache_key);
    if (c) return c;
    void *mem = malloc(sizeof *c + 63);   /* c on 64 bytes: a set in one cache line */
    if (!mem) return NULL;
    c = (pp_cache *)(void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
    memset(c, 0, sizeof *c);
    c->mem = mem;
    if (!(c->st = sb_stemmer_new("english", "UTF_8")) ||
        pthread_setspecific(pp_cache_key, c) != 0) {
        pp_cache_free(c);
        return NULL;
    }
    return c;
}

/* Each word's term into terms[], through the thread's cache. */
static int pp_terms(const char *text, const tsr_word *w, size_t n, uint64_t *terms)
{
    pthread_once(&pp_once_flag, pp_once);
    pp_cache *c = pp_cache_get();
    if (!c) {   /* without a cache: a stemmer of its own */
        struct sb_stemmer *st = sb_stemmer_new("english", "UTF_8");
        if (!st) return -1;
        for (size_t i = 0; i < n; i++) terms[i] = pp_term_of(st, text, &w[i]);
        sb_stemmer_delete(st);
        return 0;
    }
    const size_t mask = (1u << PP_CACHE_BITS) - 1;
    for (size_t i = 0; i < n; i++) {
        const uint64_t h = w[i].hash | 1;
        const size_t s = (size_t)(h ^ h >> 29) & mask;
        uint64_t *key = c->kv[s].key, *val = c->kv[s].val;
        if (key[0] != h) {   /* the other way's, or a new term: first either way */
            const uint64_t v = key[1] == h ? val[1] : pp_term_of(c->st, text, &w[i]);
            key[1] = key[0];
            val[1] = val[0];
            key[0] = h;
            val[0] = v;
        }
        terms[i] = val[0];
    }
    return 0;
}

/* The distinct terms of t (into dk, dsf, nd, and each term's pp_term.lid),
 * numbered in order of first use, through a table of `slots` (a power of
 * two, at least 2 * t->nt, all zero). */
static void pp_distinct(pp_text *t, uint64_t *dk, uint32_t *dsf, uint32_t *slot, size_t slots)
{
    const size_t mask = slots - 1;
    uint32_t nd = 0;
    for (size_t i = 0; i < t->nt; i++) {
        const uint64_t h = t->t[i].term;
        size_t s = (size_t)(h >> 17) & mask;
        while (slot[s] && dk[slot[s] - 1] != h) s = (s + 1) & mask;
        if (!slot[s]) {
            dk[nd] = h;
            dsf[nd] = 0;
            slot[s] = ++nd;
        }
        t->t[i].lid = slot[s] - 1;
        dsf[slot[s] - 1]++;   /* a sentence's terms are distinct */
    }
    t->nd = nd;
}

/* The index in t->dk of term h, or UINT32_MAX. */
static uint32_t pp_distinct_find(const pp_text *t, uint64_t h)
{
    size_t s = (size_t)(h >> 17) & t->dmask;
    while (t->slot[s]) {
        if (t->dk[t->slot[s] - 1] == h) return t->slot[s] - 1;
        s = (s + 1) & t->dmask;
    }
    return UINT32_MAX;
}

/* The postings of t (t->ph, pst, room made): the sentences holding each
 * distinct term, in order (a sentence's terms are distinct: dsf[d] of
 * them). */
static void pp_postings(pp_text *t)
{
    uint32_t at = 0;
    for (size_t d = 0; d < t->nd; d++) {
        t->ph[d] = at;
        at += t->dsf[d];
    }
    t->ph[t->nd] = at;
    for (uint32_t j = 0; j < t->ns; j++)
        for (uint32_t k = t->s[j].t_lo; k < t->s[j].t_hi; k++)
            t->pst[t->ph[t->t[k].lid]++] = (pp_post){ j, t->t[k].tf };
    for (size_t d = t->nd; d > 0; d--) t->ph[d] = t->ph[d - 1];   /* ph[d] went to d + 1's */
    t->ph[0] = 0;
}

/* Room in sp for n words and `slots` slots (zeroed).  0 or -1. */
static int pp_split_reserve(pp_split *sp, size_t n, size_t slots)
{
    sp->key = pp_reserve(sp->key, &sp->cap[0], n, sizeof *sp->key, 0);
    sp->dk = pp_reserve(sp->dk, &sp->cap[1], n, sizeof *sp->dk, 0);
    sp->s = pp_reserve(sp->s, &sp->cap[2], n, sizeof *sp->s, 0);
    sp->t = pp_reserve(sp->t, &sp->cap[3], n, sizeof *sp->t, 0);
    sp->dsf = pp_reserve(sp->dsf, &sp->cap[4], n, sizeof *sp->dsf, 0);
    sp->slot = pp_reserve(sp->slot, &sp->cap[5], slots, sizeof *sp->slot, 0);
    sp->start = pp_reserve(sp->start, &sp->cap[6], n, sizeof *sp->start, 0);
    if (!sp->key || !sp->dk || !sp->s || !sp->t || !sp->dsf || !sp->slot || !sp->start)
        return -1;
    memset(sp->slot, 0, slots * sizeof *sp->slot);
    return 0;
}

/* The sentences of n words (n > 0; cut: their marks, pp_marks): where
 * each begins, into start[] (room for n), and how many.  A sentence ends
 * at a mark, after PP_MAX_SENTENCE words or at the end, and not before
 * PP_MIN_SENTENCE words but at the end.  The stage's sentences are these
 * with a short last one joined to the one before (pp_joined); pp_may_pair
 * keeps it apart where finer is safer. */
static size_t pp_sentences(const unsigned char *cut, size_t n, uint32_t *start)
{
    size_t ns = 0;
    uint32_t lo = 0;
    for (size_t i = 0; i < n; i++) {
        const int last = i + 1 == n || i + 1 - lo >= PP_MAX_SENTENCE || cut[i];
        if (!last || (i + 1 - lo < PP_MIN_SENTENCE && i + 1 < n)) continue;
        start[ns++] = lo;
        lo = (uint32_t)(i + 1);
    }
    return ns;
}

/* How many of the ns sentences of n words beginning at start[] are the
 * stage's: a last one of fewer than PP_MIN_SENTENCE words joins the one
 * before. */
static size_t pp_joined(const uint32_t *start, size_t ns, size_t n)
{
    return ns >= 2 && n - start[ns - 1] < PP_MIN_SENTENCE ? ns - 1 : ns;
}

/* Split n words (their marks) into t, by way of sp.  0 or -1. */
static int pp_split_text(pp_text *t, pp_split *sp, const uint64_t *terms,
                         const unsigned char *cut, size_t n)
{
    if (pp_split_reserve(sp, n, 0)) return -1;
    pp_text w = { .s = sp->s, .t = sp->t };   /* the split, in sp */
    const size_t ns = pp_joined(sp->start, pp_sentences(cut, n, sp->start), n);
    for (size_t k = 0; k < ns; k++)
        pp_add_sentence(&w, terms, sp->start[k], k + 1 < ns ? sp->start[k + 1] : (uint32_t)n,
                        sp->key);
    size_t slots = 16;
    while (slots < 2 * w.nt) slots <<= 1;
    if (pp_split_reserve(sp, n, slots)) return -1;
    pp_distinct(&w, sp->dk, sp->dsf, sp->slot, slots);
    /* t's block: the arrays by alignment, the distinct terms' table
     * (filled in their order, as the table above was) as small as it
     * can be */
    size_t want = 16;
    while (want < 2 * w.nd) want <<= 1;
    const size_t n_dk = (w.nd + 1) * sizeof *t->dk, n_t = (w.nt + 1) * sizeof *t->t,
                 n_s = (w.ns + 1) * sizeof *t->s, n_pst = (w.nt + 1) * sizeof *t->pst,
                 n_dsf = (w.nd + 1) * sizeof *t->dsf, n_slot = want * sizeof *t->slot,
                 n_ph = (w.nd + 1) * sizeof *t->ph, n_wd = (n + 1) * sizeof *t->wd;
    char *m = malloc(n_dk + n_t + n_s + n_pst + n_dsf + n_slot + n_ph + n_wd);
    if (!m) return -1;
    *t = (pp_text){ .ns = w.ns, .nt = w.nt, .nd = w.nd, .dmask = want - 1, .nw = n };
    t->dk = (uint64_t *)(void *)m;
    t->t = (pp_term *)(void *)(m += n_dk);
    t->s = (pp_sentence *)(void *)(m += n_t);
    t->pst = (pp_post *)(void *)(m += n_s);
    t->dsf = (uint32_t *)(void *)(m += n_pst);
    t->slot = (uint32_t *)(void *)(m += n_dsf);
    t->ph = (uint32_t *)(void *)(m += n_slot);
    t->wd = (uint32_t *)(void *)(m + n_ph);
    memcpy(t->dk, sp->dk, w.nd * sizeof *t->dk);
    memcpy(t->t, w.t, w.nt * sizeof *t->t);
    memcpy(t->s, w.s, w.ns * sizeof *t->s);
    memcpy(t->dsf, sp->dsf, w.nd * sizeof *t->dsf);
    memset(t->slot, 0, n_slot);
    for (uint32_t d = 0; d < w.nd; d++) {
        size_t x = (size_t)(t->dk[d] >> 17) & (want - 1);
        while (t->slot[x]) x = (x + 1) & (want - 1);
        t->slot[x] = d + 1;
        t->filter[t->dk[d] >> 58] |= 1ull << (t->dk[d] >> 52 & 63);
    }
    pp_postings(t);
    for (size_t i = 0; i < n; i++)
        t->wd[i] = terms[i] ? pp_distinct_find(t, terms[i]) + 1 : 0;
    return 0;
}

int pp_marks(const char *text, const tsr_word *w, size_t n, uint64_t *term, unsigned char *cut)
{
    if (n == 0) return 0;
    if (pp_terms(text, w, n, term)) return -1;
    for (size_t i = 0; i + 1 < n; i++)
        cut[i] = (unsigned char)pp_ends_sentence(text + w[i].end, w[i + 1].begin - w[i].end,
                                                 w[i].end - w[i].begin == 1);
    cut[n - 1] = 1;
    return 0;
}

int pp_markbuf_fill(pp_markbuf *m, const char *text, const tsr_word *w, size_t n)
{
    m->term = pp_reserve(m->term, &m->cap[0], n, sizeof *m->term, 0);
    m->cut = pp_reserve(m->cut, &m->cap[1], n, 1, 0);
    if (!m->term || !m->cut) return -1;
    return pp_marks(text, w, n, m->term, m->cut);
}

void pp_markbuf_free(pp_markbuf *m)
{
    free(m->term);
    free(m->cut);
    memset(m, 0, sizeof *m);
}

int pp_text_build(pp_text *t, const uint64_t *terms, const unsigned char *cut, size_t n,
                  tsr_error *err)
{
    memset(t, 0, sizeof *t);
    if (n == 0) return TSR_OK;
    pthread_once(&pp_once_flag, pp_once);
    pp_cache *c = pp_cache_get();
    pp_split own;   /* without a cache: for this call only */
    memset(&own, 0, sizeof own);
    const int rc = pp_split_text(t, c ? &c->sp : &own, terms, cut, n);
    pp_split_free(&own);
    if (rc) {
        pp_text_free(t);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading sentences");
    }
    return TSR_OK;
}

int pp_text_init(pp_text *t, const char *text, const tsr_word *w, size_t n, tsr_error *err)
{
    memset(t, 0, sizeof *t);
    if (n == 0) return TSR_OK;
    uint64_t *terms = malloc(n * sizeof *terms);
    unsigned char *cut = malloc(n);
    int rc = !terms || !cut || pp_marks(text, w, n, terms, cut)
                 ? tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading sentences")
                 : pp_text_build(t, terms, cut, n, err);
    free(terms);
    free(cut);
    return rc;
}

size_t pp_text_bytes(const pp_text *t)
{
    return sizeof *t + (t->ns + 1) * sizeof *t->s + (t->nt + 1) * (sizeof *t->t + sizeof *t->pst) +
           (t->nd + 1) * (sizeof *t->dk + sizeof *t->dsf + sizeof *t->ph) +
           (t->slot ? (t->dmask + 1) * sizeof *t->slot : 0) + (t->nw + 1) * sizeof *t->wd;
}

void pp_text_free(pp_text *t)
{
    if (!t) return;
    free(t->dk);   /* the block (pp_split_text) */
    memset(t, 0, sizeof *t);
}

void pp_pair_free(pp_pair *p)
{
    if (!p) return;
    free(p->amap);
    free(p->bid);
    free(p->lga);
    free(p->lgb);
    free(p->na);
    free(p->nb);
    free(p->lg);
    memset(p, 0, sizeof *p);
}

int pp_weigh(const pp_text *a, const pp_text *b, pp_pair *p)
{
    /* the terms the two share: the smaller side's distinct terms looked up
     * in the other's table; the sentences holding each, from the texts' own
     * counts; a term's log(N / sf) once per distinct sf value */
    const size_t ns = a->ns + b->ns;
    const double N = (double)ns;
    p->nterms = 0;
    p->amap = pp_reserve(p->amap, &p->cap[0], a->nd + 1, sizeof *p->amap, 0);
    p->bid = pp_reserve(p->bid, &p->cap[1], b->nd + 1, sizeof *p->bid, 0);
    p->lga = pp_reserve(p->lga, &p->cap[2], a->nd + 1, sizeof *p->lga, 0);
    p->lgb = pp_reserve(p->lgb, &p->cap[3], b->nd + 1, sizeof *p->lgb, 0);
    p->na = pp_reserve(p->na, &p->cap[4], a->ns + 1, sizeof *p->na, 0);
    p->nb = pp_reserve(p->nb, &p->cap[5], b->ns + 1, sizeof *p->nb, 0);
    p->lg = pp_reserve(p->lg, &p->cap[6], ns + 1, sizeof *p->lg, 0);
    if (!p->amap || !p->bid || !p->lga || !p->lgb || !p->na || !p->nb || !p->lg) return -1;
    uint32_t *amap = p->amap, *bid = p->bid;
    double *lg = p->lg;
    for (size_t d = 0; d < a->nd; d++) amap[d] = UINT32_MAX;
    for (size_t d = 0; d < b->nd; d++) bid[d] = (uint32_t)(a->nd + d);
    if (a->nd && b->nd && a->nd <= b->nd) {
        for (uint32_t d = 0; d < a->nd; d++) {
            const uint32_t y = pp_distinct_find(b, a->dk[d]);
            if (y != UINT32_MAX) { amap[d] = y; bid[y] = d; }
        }
    } else if (a->nd && b->nd) {
        for (uint32_t d = 0; d < b->nd; d++) {
            const uint32_t x = pp_distinct_find(a, b->dk[d]);
            if (x != UINT32_MAX) { amap[x] = d; bid[d] = x; }
        }
    }
    for (size_t k = 0; k <= ns; k++) lg[k] = -1.0;   /* log(N / f), when >= 0 */
    for (size_t d = 0; d < a->nd; d++) {
        const uint32_t f = a->dsf[d] + (amap[d] != UINT32_MAX ? b->dsf[amap[d]] : 0);
        if (lg[f] < 0.0) lg[f] = log(N / (double)f);
        p->lga[d] = lg[f];
    }
    for (size_t d = 0; d < b->nd; d++) {
        const uint32_t f = b->dsf[d] + (bid[d] < a->nd ? a->dsf[bid[d]] : 0);
        if (lg[f] < 0.0) lg[f] = log(N / (double)f);
        p->lgb[d] = lg[f];
    }
    for (size_t x = 0; x < a->ns; x++) {
        double sq = 0.0;
        for (uint32_t i = a->s[x].t_lo; i < a->s[x].t_hi; i++) {
            const double w = pp_wa(p, a, i);
            sq += w * w;
        }
        p->na[x] = sqrt(sq);
    }
    for (size_t x = 0; x < b->ns; x++) {
        double sq = 0.0;
        for (uint32_t i = b->s[x].t_lo; i < b->s[x].t_hi; i++) {
            const double w = pp_wb(p, b, i);
            sq += w * w;
        }
        p->nb[x] = sqrt(sq);
    }
    p->nterms = (uint32_t)(a->nd + b->nd);
    return 0;
}

/* sc->cnt for n terms, all zero; NULL when out of memory. */
static uint32_t *pp_cnt(pp_scratch *sc, size_t n)
{
    return sc->cnt = pp_reserve(sc->cnt, &sc->cap[5], n + 1, sizeof *sc->cnt, 1);
}

/* Step 4's two measures of sentences s ~ t: the cosine of their weighted
 * vectors, given their norms and dot product, and the Dice coefficient of
 * their term sets, given how many terms they share (0 when either is
 * empty). */
static double pp_cos(double ns, double nt, double dot)
{
    const double den = ns * nt;
    return den > 0 ? dot / den : 0.0;
}

static double pp_dice(const pp_sentence *s, const pp_sentence *t, uint32_t shared)
{
    const uint32_t n = (s->t_hi - s->t_lo) + (t->t_hi - t->t_lo);
    return n ? 2.0 * shared / n : 0.0;
}

/* Step 4: the seeds, sorted by (i, j), into sc->seeds; each of a's
 * sentences' best match (sc->best, bestcos).  A term of a's sentence that
 * b holds meets b's sentences holding it through b's postings. */
static int pp_seeds(const pp_text *a, const pp_text *b, const pp_pair *p, pp_scratch *sc)
{
    sc->dot = pp_reserve(sc->dot, &sc->cap[0], b->ns + 1, sizeof *sc->dot, 1);
    sc->shared = pp_reserve(sc->shared, &sc->cap[1], b->ns + 1, sizeof *sc->shared, 1);
    sc->touched = pp_reserve(sc->touched, &sc->cap[2], b->ns + 1, sizeof *sc->touched, 0);
    sc->best = pp_reserve(sc->best, &sc->cap[3], a->ns + 1, sizeof *sc->best, 0);
    sc->bestcos = pp_reserve(sc->bestcos, &sc->cap[4], a->ns + 1, sizeof *sc->bestcos, 0);
    if (!sc->dot || !sc->shared || !sc->touched || !sc->best || !sc->bestcos) return -1;
    double *dot = sc->dot, *bestcos = sc->bestcos;
    uint32_t *shared = sc->shared, *touched = sc->touched, *best = sc->best;
    pp_seeds_vec *seeds = &sc->seeds;
    seeds->n = 0;
    int rc = 0;
    for (uint32_t i = 0; i < a->ns && rc == 0; i++) {
        const pp_sentence *s = &a->s[i];
        size_t nt = 0;
        best[i] = UINT32_MAX;
        bestcos[i] = 0.0;
        for (uint32_t k = s->t_lo; k < s->t_hi; k++) {
            const uint32_t y = p->amap[a->t[k].lid];
            if (y == UINT32_MAX) continue;
            const double wa = pp_wa(p, a, k), ly = p->lgb[y];
            for (uint32_t e = b->ph[y]; e < b->ph[y + 1]; e++) {
                const uint32_t j = b->pst[e].sent;
                if (!shared[j]) touched[nt++] = j;
                shared[j]++;
                dot[j] += wa * (b->pst[e].tf * ly);
            }
        }
        for (size_t x = 0; x < nt; x++) {
            const uint32_t j = touched[x];
            const pp_sentence *t = &b->s[j];
            const double cos = pp_cos(p->na[i], p->nb[j], dot[j]);
            if (cos >= PP_MIN_COS && pp_dice(s, t, shared[j]) >= PP_MIN_DICE &&
                tsr_vec_push(seeds, ((pp_seed){ i, j })))
                rc = -1;
            if (cos > bestcos[i] || (cos == bestcos[i] && j < best[i])) {
                bestcos[i] = cos;
                best[i] = j;
            }
            dot[j] = 0.0;
            shared[j] = 0;
        }
    }
    return rc;
}

static int pp_overlaps(const al_passages *ps, size_t n, uint32_t a_lo, uint32_t a_hi,
                       uint32_t b_lo, uint32_t b_hi)
{
    for (size_t k = 0; k < n; k++) {
        const al_passage *p = &ps->a[k];
        if ((a_lo < p->a_hi && p->a_lo < a_hi) || (b_lo < p->b_hi && p->b_lo < b_hi))
            return 1;
    }
    return 0;
}

/* The share of the terms of sentences a[i0..i1] and b[j0..j1] that they
 * have in common, as bags: 2 * sum min(tf_a, tf_b) / (sum tf_a + sum tf_b).
 * cnt (nterms counts, all 0) is left all 0. */
static double pp_term_share(const pp_text *a, uint32_t i0, uint32_t i1, const pp_text *b,
                            uint32_t j0, uint32_t j1, const pp_pair *p, uint32_t *cnt)
{
    uint64_t na = 0, nb = 0, common = 0;
    for (uint32_t k = a->s[i0].t_lo; k < a->s[i1].t_hi; k++) {
        cnt[pp_ida(a, k)] += a->t[k].tf;
        na += a->t[k].tf;
    }
    for (uint32_t k = b->s[j0].t_lo; k < b->s[j1].t_hi; k++) {
        const uint32_t id = pp_idb(p, b, k), tf = b->t[k].tf;
        const uint32_t m = tf < cnt[id] ? tf : cnt[id];
        common += m;
        cnt[id] -= m;
        nb += tf;
    }
    for (uint32_t k = a->s[i0].t_lo; k < a->s[i1].t_hi; k++) cnt[pp_ida(a, k)] = 0;
    return na + nb ? 2.0 * (double)common / (double)(na + nb) : 0.0;
}

/* Steps 5 and 6: seeds into groups, groups into passages appended to ps
 * (the first n0 of which are the aligner's). */
static int pp_passages(const pp_text *a, const pp_text *b, const pp_pair *p, const tsr_word *A,
                       const tsr_word *B, pp_scratch *sc, al_work *wk, al_passages *ps)
{
    const pp_seed *sd = sc->seeds.a;
    const size_t nsd = sc->seeds.n;
    TSR_VEC(pp_group) g = { 0 };
    for (size_t x = 0; x < nsd; x++) {
        const uint32_t i = sd[x].i, j = sd[x].j;
        size_t k = 0;
        for (; k < g.n; k++) {
            pp_group *c = &g.a[k];
            if (i - c->i1 <= PP_GAP && j + PP_GAP >= c->j0 && j <= c->j1 + PP_GAP) {
                if (i > c->i1) c->i1 = i;
                if (j < c->j0) c->j0 = j;
                if (j > c->j1) c->j1 = j;
                c->n++;
                break;
            }
        }
        if (k == g.n && tsr_vec_push(&g, ((pp_group){ i, i, j, j, 1 }))) {
            tsr_vec_free(&g);
            return -1;
        }
    }
    const size_t n0 = ps->n;
    uint32_t *cnt = NULL;   /* when a group comes that far */
    int rc = 0;
    for (size_t k = 0; k < g.n && rc == 0; k++) {
        const pp_group *c = &g.a[k];
        if (c->n < PP_MIN_SEEDS) continue;
        const uint32_t a_lo = a->s[c->i0].lo, a_hi = a->s[c->i1].hi;
        const uint32_t b_lo = b->s[c->j0].lo, b_hi = b->s[c->j1].hi;
        if (A[a_hi - 1].end - A[a_lo].begin < PP_MIN_BYTES ||
            B[b_hi - 1].end - B[b_lo].begin < PP_MIN_BYTES ||
            pp_overlaps(ps, n0, a_lo, a_hi, b_lo, b_hi))
            continue;
        if (!cnt && !(cnt = pp_cnt(sc, p->nterms))) { rc = -1; break; }
        if (pp_term_share(a, c->i0, c->i1, b, c->j0, c->j1, p, cnt) < PP_MIN_SHARE)
            continue;
        const uint32_t m = al_bag_matches(wk, A, a_lo, a_hi, B, b_lo, b_hi);
        al_passage np = { .a_lo = a_lo, .a_hi = a_hi, .b_lo = b_lo, .b_hi = b_hi,
                          .matches = m, .seeded = 0, .kind = TSR_KIND_PARAPHRASE,
                         .similarity = 2.0 * m / (double)((a_hi - a_lo) + (b_hi - b_lo)) };
        if (tsr_vec_push(ps, np)) rc = -1;
    }
    tsr_vec_free(&g);
    return rc;
}

/* Is sentences a->s[i] ~ b->s[j] a seed (step 4's test, on their sorted
 * term lists)? */
static int pp_is_seed(const pp_text *a, uint32_t i, const pp_text *b, uint32_t j,
                      const pp_pair *p, double min)
{
    const pp_sentence *s = &a->s[i], *t = &b->s[j];
    double dot = 0.0;
    uint32_t shared = 0;
    for (uint32_t x = s->t_lo, y = t->t_lo; x < s->t_hi && y < t->t_hi;) {
        if (a->t[x].term == b->t[y].term) {
            dot += pp_wa(p, a, x) * pp_wb(p, b, y);
            shared++;
            x++;
            y++;
        } else if (a->t[x].term < b->t[y].term) {
            x++;
        } else {
            y++;
        }
    }
    return pp_cos(p->na[i], p->nb[j], dot) >= min && pp_dice(s, t, shared) >= min;
}

/* The sentence of t holding word w (t's sentences cover its words). */
static uint32_t pp_sentence_of(const pp_text *t, uint32_t w)
{
    size_t lo = 0, hi = t->ns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->s[mid].hi <= w) lo = mid + 1; else hi = mid;
    }
    return (uint32_t)lo;
}

/* The room around passage k of ps in A[0, an) and B[0, bn): the nearest
 * ends of the other passages before it (fa, fb) and starts after it (ca,
 * cb), which an extension must not pass. */
typedef struct { uint32_t fa, ca, fb, cb; } pp_room;

static void pp_room_of(const al_passages *ps, size_t k, size_t an, size_t bn, pp_room *r)
{
    const al_passage *p = &ps->a[k];
    *r = (pp_room){ 0, (uint32_t)an, 0, (uint32_t)bn };
    for (size_t j = 0; j < ps->n; j++) {
        const al_passage *q = &ps->a[j];
        if (j == k) continue;
        if (q->a_hi <= p->a_lo && q->a_hi > r->fa) r->fa = q->a_hi;
        if (q->a_lo >= p->a_hi && q->a_lo < r->ca) r->ca = q->a_lo;
        if (q->b_hi <= p->b_lo && q->b_hi > r->fb) r->fb = q->b_hi;
        if (q->b_lo >= p->b_hi && q->b_lo < r->cb) r->cb = q->b_lo;
    }
}

/* A grown passage's matches (never fewer than the `was` it had) and
 * similarity. */
static void pp_rescore(al_work *wk, const tsr_word *A, const tsr_word *B, uint32_t was,
                       al_passage *p)
{
    uint32_t m = al_bag_matches(wk, A, p->a_lo, p->a_hi, B, p->b_lo, p->b_hi);
    if (m < was) m = was;
    p->matches = m;
    p->similarity = 2.0 * m / (double)((p->a_hi - p->a_lo) + (p->b_hi - p->b_lo));
}

/* Step 7: the aligner's passages (ps[0, n0)) grow by whole sentences while
 * the next sentence on both sides, or the one before, is a seed pair: the
 * rest of the sentence a passage stops in, and the next, when that next
 * one is rewritten from the other's next.  Never into another passage. */
static void pp_extend(const pp_text *a, const pp_text *b, const pp_pair *pr, const tsr_word *A,
                      size_t an, const tsr_word *B, size_t bn, al_work *wk, al_passages *ps,
                      size_t n0)
{
    if (!a->ns || !b->ns) return;
    for (size_t k = 0; k < n0; k++) {
        al_passage *p = &ps->a[k];
        pp_room r;
        pp_room_of(ps, k, an, bn, &r);
        const uint32_t fa = r.fa, ca = r.ca, fb = r.fb, cb = r.cb;
        const al_passage old = *p;
        for (;;) {   /* forward */
            if (p->a_hi >= an || p->b_hi >= bn) break;
            const uint32_t i0 = pp_sentence_of(a, p->a_hi - 1), j0 = pp_sentence_of(b, p->b_hi - 1);
            if (i0 + 1 >= a->ns || j0 + 1 >= b->ns) break;
            const uint32_t i = i0 + 1, j = j0 + 1;
            if (a->s[i].hi > ca || b->s[j].hi > cb || !pp_is_seed(a, i, b, j, pr, PP_EXT_MIN)) break;
            p->a_hi = a->s[i].hi;
            p->b_hi = b->s[j].hi;
        }
        for (;;) {   /* backward */
            if (p->a_lo == 0 || p->b_lo == 0) break;
            const uint32_t i0 = pp_sentence_of(a, p->a_lo), j0 = pp_sentence_of(b, p->b_lo);
            if (i0 == 0 || j0 == 0) break;
            const uint32_t i = i0 - 1, j = j0 - 1;
            if (a->s[i].lo < fa || b->s[j].lo < fb || !pp_is_seed(a, i, b, j, pr, PP_EXT_MIN)) break;
            p->a_lo = a->s[i].lo;
            p->b_lo = b->s[j].lo;
        }
        if (p->a_lo == old.a_lo && p->a_hi == old.a_hi && p->b_lo == old.b_lo &&
            p->b_hi == old.b_hi)
            continue;
        pp_rescore(wk, A, B, old.matches, p);
    }
}

/* Step 7b's workspace for one end: the words beyond it on each side as
 * small ids of their terms (-1: a stop word), nearest first (ia, ib); the
 * count of each id in A's window so far and in B's (ca, cb), and its
 * weight (wt: the term's log(N / sentences holding it), step 3); the
 * table from terms to ids (key, val: open addressing, twice the words). */
typedef struct {
    int16_t ia[PP_BAG_MAX], ib[PP_BAG_MAX];
    uint16_t ca[2 * PP_BAG_MAX], cb[2 * PP_BAG_MAX];
    uint8_t inb[2 * PP_BAG_MAX];   /* whether B's window holds the id at all */
    double wt[2 * PP_BAG_MAX];
    uint64_t key[4 * PP_BAG_MAX];
    int16_t val[4 * PP_BAG_MAX];
    int nid;
} pp_bag;

/* The id of word i of t (lg: the weights of t's distinct terms). */
static int16_t pp_bag_id(pp_bag *g, const pp_text *t, const double *lg, uint32_t i)
{
    if (!t->wd[i]) return -1;
    uint64_t h = t->dk[t->wd[i] - 1] | 1;
    size_t s = (size_t)(h ^ h >> 31) % (4 * PP_BAG_MAX);
    while (g->key[s] && g->key[s] != h) s = (s + 1) % (4 * PP_BAG_MAX);
    if (!g->key[s]) {
        g->key[s] = h;
        g->val[s] = (int16_t)g->nid;
        g->wt[g->nid++] = lg[t->wd[i] - 1];
    }
    return g->val[s];
}

/* The best extension of one end: the words (*la of A from a, *lb of B from
 * b, each onwards for a direction of +1 and backwards for -1) whose content
 * words, as bags weighted by their terms' weights in the pair, share the
 * most beyond PP_BAG_TAU of their weight (2 * shared - tau * (weight of
 * both)), PP_BAG_MIN words or more, ending on a content word on each side
 * that the other side's window holds; 0, 0 when none gains.  Crossed
 * (da != db: text moved across the passage's end), the two windows must
 * share PP_CROSS_MIN content words and be of comparable lengths: neither
 * longer than PP_CROSS_RATIO times the other and PP_CROSS_SLACK words. */
static void pp_bag_end(const pp_text *ta, const pp_text *tb, const pp_pair *pr, uint32_t a,
                       uint32_t b, int da, int db, uint32_t ma, uint32_t mb, uint32_t *la,
                       uint32_t *lb)
{
    pp_bag g;
    memset(g.key, 0, sizeof g.key);
    g.nid = 0;
    *la = *lb = 0;
    if (ma > PP_BAG_MAX) ma = PP_BAG_MAX;
    if (mb > PP_BAG_MAX) mb = PP_BAG_MAX;
    if (!ma || !mb) return;
    for (uint32_t i = 0; i < ma; i++)
        g.ia[i] = pp_bag_id(&g, ta, pr->lga, da > 0 ? a + i : a - 1 - i);
    for (uint32_t j = 0; j < mb; j++)
        g.ib[j] = pp_bag_id(&g, tb, pr->lgb, db > 0 ? b + j : b - 1 - j);
    memset(g.ca, 0, (size_t)g.nid * sizeof *g.ca);
    memset(g.cb, 0, (size_t)g.nid * sizeof *g.cb);
    memset(g.inb, 0, (size_t)g.nid);
    for (uint32_t j = 0; j < mb; j++)
        if (g.ib[j] >= 0) { g.inb[g.ib[j]] = 1; g.cb[g.ib[j]]++; }
    /* the words the whole windows share (as bags) bound what any pair of
     * their prefixes shares: too few, and no extension can qualify */
    uint32_t all = 0;
    for (uint32_t i = 0; i < ma; i++)
        if (g.ia[i] >= 0 && g.ca[g.ia[i]]++ < g.cb[g.ia[i]]) all++;
    if (all < (da != db ? PP_CROSS_MIN : PP_BAG_MIN)) return;
    memset(g.ca, 0, (size_t)g.nid * sizeof *g.ca);
    double best = 0, na = 0;
    for (uint32_t x = 1; x <= ma; x++) {
        const int16_t wa = g.ia[x - 1];
        if (wa < 0) continue;   /* an end on a content word */
        g.ca[wa]++;
        na += g.wt[wa];
        if (!g.inb[wa]) continue;   /* ... that B's window holds */
        memset(g.cb, 0, (size_t)g.nid * sizeof *g.cb);
        uint32_t m = 0;
        double wm = 0, nb = 0;
        for (uint32_t y = 1; y <= mb; y++) {
            const int16_t wb = g.ib[y - 1];
            if (wb < 0) continue;
            nb += g.wt[wb];
            if (g.cb[wb] < g.ca[wb]) { m++; wm += g.wt[wb]; }
            g.cb[wb]++;
            const double sc = 2.0 * wm - PP_BAG_TAU * (na + nb);
            if (da != db && (x > PP_CROSS_RATIO * y + PP_CROSS_SLACK ||
                             y > PP_CROSS_RATIO * x + PP_CROSS_SLACK))
                continue;
            if (sc > best && m >= (da != db ? PP_CROSS_MIN : PP_BAG_MIN) && g.cb[wa] &&
                g.ca[wb]) {
                best = sc;
                *la = x;
                *lb = y;
            }
        }
    }
}

/* Whether one of the figures f[i0, i1) is missing from g[j0, j1). */
static int pp_fig_missing(const tsr_fig *f, size_t i0, size_t i1, const tsr_fig *g, size_t j0,
                          size_t j1)
{
    for (size_t i = i0; i < i1; i++) {
        size_t j = j0;
        while (j < j1 && g[j].hash != f[i].hash) j++;
        if (j == j1) return 1;
    }
    return 0;
}

/* Whether A[a0, a1) and B[b0, b1) each hold a figure that the other lacks:
 * a template's slots filled twice ("3.5 mln shares at 17 dlrs" against "four
 * mln shares at 33.75 dlrs"), not one text edited. */
static int pp_figs_differ(const pp_text *ta, uint32_t a0, uint32_t a1, const pp_text *tb,
                          uint32_t b0, uint32_t b1)
{
    size_t i0, i1, j0, j1;
    text_figures_within(ta->fig, ta->nfig, a0, a1, &i0, &i1);
    text_figures_within(tb->fig, tb->nfig, b0, b1, &j0, &j1);
    return pp_fig_missing(ta->fig, i0, i1, tb->fig, j0, j1) &&
           pp_fig_missing(tb->fig, j0, j1, ta->fig, i0, i1);
}

/* Step 7b: each passage but summaries grows at each end by the words
 * pp_bag_end finds, never into another passage; then a rewritten one
 * (less similar than AL_REWRITTEN_SIM) also across its ends, where the two
 * windows hold no figures that differ (pp_figs_differ). */
static void pp_bag_extend(const pp_text *ta, const pp_text *tb, const pp_pair *pr,
                          const tsr_word *A, size_t an,
                          const tsr_word *B, size_t bn, al_work *wk, al_passages *ps)
{
    for (size_t k = 0; k < ps->n; k++) {
        al_passage *p = &ps->a[k];
        if (p->kind == TSR_KIND_SUMMARY) continue;
        const int rewritten = p->similarity < AL_REWRITTEN_SIM;
        pp_room r;
        pp_room_of(ps, k, an, bn, &r);
        uint32_t la, lb, grew = 0;
        if (p->a_hi < r.ca && p->b_hi < r.cb) {
            pp_bag_end(ta, tb, pr, p->a_hi, p->b_hi, +1, +1, r.ca - p->a_hi, r.cb - p->b_hi,
                       &la, &lb);
            p->a_hi += la; p->b_hi += lb; grew |= la;
        }
        if (p->a_lo > r.fa && p->b_lo > r.fb) {
            pp_bag_end(ta, tb, pr, p->a_lo, p->b_lo, -1, -1, p->a_lo - r.fa, p->b_lo - r.fb,
                       &la, &lb);
            p->a_lo -= la; p->b_lo -= lb; grew |= la;
        }
        /* crossed: A's next words from B's previous ones, and the other way */
        if (rewritten && p->a_hi < r.ca && p->b_lo > r.fb) {
            pp_bag_end(ta, tb, pr, p->a_hi, p->b_lo, +1, -1, r.ca - p->a_hi, p->b_lo - r.fb,
                       &la, &lb);
            if (la && !pp_figs_differ(ta, p->a_hi, p->a_hi + la, tb, p->b_lo - lb, p->b_lo)) {
                p->a_hi += la; p->b_lo -= lb; grew |= la;
            }
        }
        if (rewritten && p->a_lo > r.fa && p->b_hi < r.cb) {
            pp_bag_end(ta, tb, pr, p->a_lo, p->b_hi, -1, +1, p->a_lo - r.fa, r.cb - p->b_hi,
                       &la, &lb);
            if (la && !pp_figs_differ(ta, p->a_lo - la, p->a_lo, tb, p->b_hi, p->b_hi + lb)) {
                p->a_lo -= la; p->b_hi += lb; grew |= la;
            }
        }
        if (!grew) continue;
        pp_rescore(wk, A, B, p->matches, p);
    }
}

/* The share of the terms of a's sentences [i0, i1] that b's sentences
 * [j0, j1] hold (as sets); cnt (nterms zeros) is left all zero. */
static double pp_contained(const pp_text *a, uint32_t i0, uint32_t i1, const pp_text *b,
                           uint32_t j0, uint32_t j1, const pp_pair *p, uint32_t *cnt)
{
    for (uint32_t k = b->s[j0].t_lo; k < b->s[j1].t_hi; k++) cnt[pp_idb(p, b, k)] = 1;
    uint64_t in = 0, all = 0;
    for (uint32_t k = a->s[i0].t_lo; k < a->s[i1].t_hi; k++) {
        all += a->t[k].tf;
        if (cnt[pp_ida(a, k)]) in += a->t[k].tf;
    }
    for (uint32_t k = b->s[j0].t_lo; k < b->s[j1].t_hi; k++) cnt[pp_idb(p, b, k)] = 0;
    return all ? (double)in / (double)all : 0.0;
}

/* Whether b's sentences j0..j1 hold a run of PP_SUM_HOLE or more sentences
 * sharing fewer than PP_SUM_HOLE_TERMS terms with a's sentences i0..i1: text the summary does not
 * condense (another story between two that it does).  cnt (nterms counts,
 * all 0) is left all 0. */
static int pp_sum_hole(const pp_text *a, uint32_t i0, uint32_t i1, const pp_text *b,
                       uint32_t j0, uint32_t j1, const pp_pair *p, uint32_t *cnt)
{
    for (uint32_t k = a->s[i0].t_lo; k < a->s[i1].t_hi; k++) cnt[pp_ida(a, k)] = 1;
    uint32_t run = 0, worst = 0;
    for (uint32_t j = j0; j <= j1; j++) {
        uint32_t shared = 0;
        for (uint32_t k = b->s[j].t_lo; k < b->s[j].t_hi; k++)
            shared += cnt[pp_idb(p, b, k)] != 0;
        run = shared >= PP_SUM_HOLE_TERMS ? 0 : run + 1;
        if (run > worst) worst = run;
    }
    for (uint32_t k = a->s[i0].t_lo; k < a->s[i1].t_hi; k++) cnt[pp_ida(a, k)] = 0;
    return worst >= PP_SUM_HOLE;
}

/* Step 8: summaries.  Runs of A's sentences (at most one sentence apart)
 * whose best matches in B (cosine at least PP_SUM_COS, or where a passage
 * of ps maps a sentence without one) come in B's order, PP_SUM_MIN or more
 * of them, at most half of them copies, spread over a stretch of B at least
 * PP_SUM_RATIO times as long as the run, most of whose terms (PP_SUM_SHARE)
 * that stretch holds: a short text condensing a long one, in order.  Such a
 * run becomes one passage, of kind summary, taking in the passages it
 * overlaps on A's side and its neighbours that map into its stretch. */
static int pp_summary(const pp_text *a, const pp_text *b, const pp_pair *pr, const tsr_word *A,
                      const tsr_word *B, pp_scratch *sc, al_work *wk, al_passages *ps)
{
    uint32_t *best = sc->best;
    double *bestcos = sc->bestcos;
    uint32_t *cnt = NULL;   /* when a run comes that far */
    unsigned char *cp = sc->copy = pp_reserve(sc->copy, &sc->cap[6], a->ns + 1, 1, 0);
    if (!cp) return -1;
    /* a sentence that a passage holds (half of its words) and that has no
     * match of its own is matched where the passage maps it */
    for (uint32_t i = 0; i < a->ns; i++) {
        cp[i] = 0;
        const uint32_t lo = a->s[i].lo, hi = a->s[i].hi;
        for (size_t x = 0; x < ps->n; x++) {
            const al_passage *q = &ps->a[x];
            const uint32_t ol = q->a_lo > lo ? q->a_lo : lo, oh = q->a_hi < hi ? q->a_hi : hi;
            if (oh <= ol || 2 * (oh - ol) < hi - lo || q->kind == TSR_KIND_SUMMARY) continue;
            const uint32_t mid = (ol + oh) / 2;
            uint64_t at = q->b_lo + (uint64_t)(mid - q->a_lo) * (q->b_hi - q->b_lo) /
                                        (q->a_hi - q->a_lo ? q->a_hi - q->a_lo : 1);
            if (at >= q->b_hi) at = q->b_hi - 1;
            if (bestcos[i] < PP_SUM_COS || best[i] == UINT32_MAX) {
                best[i] = pp_sentence_of(b, (uint32_t)at);
                bestcos[i] = PP_SUM_COS;
            }
            cp[i] |= q->similarity >= PP_SUM_COPY;
        }
    }
    int rc = 0;
    for (uint32_t i = 0; i < a->ns && rc == 0;) {
        if (best[i] == UINT32_MAX || bestcos[i] < PP_SUM_COS) { i++; continue; }
        uint32_t first = i, last = i, n = 1, lj = best[i];
        for (uint32_t k = i + 1; k < a->ns && k - last <= 2; k++) {
            if (best[k] == UINT32_MAX || bestcos[k] < PP_SUM_COS || best[k] < lj) continue;
            last = k;
            lj = best[k];
            n++;
        }
        i = last + 1;
        const uint32_t j0 = best[first], j1 = lj;
        const uint32_t a_lo = a->s[first].lo, a_hi = a->s[last].hi;
        const uint32_t b_lo = b->s[j0].lo, b_hi = b->s[j1].hi;
        if (n < PP_SUM_MIN || (b_hi - b_lo) < PP_SUM_RATIO * (a_hi - a_lo) ||
            (b_hi - b_lo) > PP_SUM_MAXRATIO * (a_hi - a_lo) ||
            A[a_hi - 1].end - A[a_lo].begin < PP_MIN_BYTES)
            continue;
        if (!cnt && !(cnt = pp_cnt(sc, pr->nterms))) { rc = -1; break; }
        if (pp_contained(a, first, last, b, j0, j1, pr, cnt) < PP_SUM_SHARE ||
            pp_sum_hole(a, first, last, b, j0, j1, pr, cnt))
            continue;
        uint32_t copied = 0;   /* copies there, not a summary */
        for (uint32_t k = first; k <= last; k++) copied += cp[k];
        if (2 * copied > n) continue;
        al_passage p = { .a_lo = a_lo, .a_hi = a_hi, .b_lo = b_lo, .b_hi = b_hi,
                         .kind = TSR_KIND_SUMMARY };
        size_t kept = 0;
        for (size_t x = 0; x < ps->n; x++) {   /* take in what it overlaps in A */
            const al_passage *q = &ps->a[x];
            /* and a passage next to it in A (one sentence apart at most)
             * that maps into the stretch it condenses */
            const int next = pp_sentence_of(a, q->a_lo) <= last + 2 &&
                             pp_sentence_of(a, q->a_hi - 1) + 2 >= first &&
                             q->b_lo >= b_lo && q->b_hi <= b_hi;
            if ((q->a_lo < p.a_hi && p.a_lo < q->a_hi) || next) {
                if (q->a_lo < p.a_lo) p.a_lo = q->a_lo;
                if (q->a_hi > p.a_hi) p.a_hi = q->a_hi;
                if (q->b_lo < p.b_lo) p.b_lo = q->b_lo;
                if (q->b_hi > p.b_hi) p.b_hi = q->b_hi;
                continue;
            }
            ps->a[kept++] = *q;
        }
        ps->n = kept;
        const uint32_t m = al_bag_matches(wk, A, p.a_lo, p.a_hi, B, p.b_lo, p.b_hi);
        p.matches = m;
        p.similarity = 2.0 * m / (double)((p.a_hi - p.a_lo) + (p.b_hi - p.b_lo));
        if (tsr_vec_push(ps, p)) rc = -1;
    }
    return rc;
}

/* Whether some run of consecutive sentences [i0, i1] of one side, of at
 * least `minu` sentences and `minb` bytes, holds in >= theta * all of its
 * term occurrences (in[], all[]: per sentence; b0[], b1[]: its first byte
 * and its end).  The sum of in - theta * all over a run is a difference
 * of two prefix sums; the runs that end at i1 and are long enough start
 * at most at some k(i1), which grows with i1: one pass. */
static int pp_dense(const pp_pre *q, size_t nu, double theta, uint32_t minu, uint32_t minb)
{
    double pre = 0.0, at_k = 0.0, low = HUGE_VAL;   /* prefix to i1 + 1, to k; min to k */
    size_t k = 0;
    for (size_t i1 = 0; i1 < nu; i1++) {
        pre += q->in[i1] - theta * q->all[i1];
        while (k + minu <= i1 + 1 && q->b1[i1] - q->b0[k] >= minb) {
            if (at_k < low) low = at_k;
            at_k += q->in[k] - theta * q->all[k];
            k++;
        }
        if (pre - low >= -1e-9) return 1;
    }
    return 0;
}

/* Room for nd marks (zeroed) and nu sentences in q.  0 or -1. */
static int pp_pre_reserve(pp_pre *q, size_t nd, size_t nu)
{
    q->mark = pp_reserve(q->mark, &q->cap[0], nd, 1, 0);
    q->in = pp_reserve(q->in, &q->cap[1], nu, sizeof *q->in, 0);
    q->all = pp_reserve(q->all, &q->cap[2], nu, sizeof *q->all, 0);
    q->b0 = pp_reserve(q->b0, &q->cap[3], nu, sizeof *q->b0, 0);
    q->b1 = pp_reserve(q->b1, &q->cap[4], nu, sizeof *q->b1, 0);
    q->bd = pp_reserve(q->bd, &q->cap[5], nu, sizeof *q->bd, 0);
    q->sb = pp_reserve(q->sb, &q->cap[6], nu, sizeof *q->sb, 0);
    q->seen = pp_reserve(q->seen, &q->cap[7], nd, sizeof *q->seen, 0);
    q->shared = pp_reserve(q->shared, &q->cap[8], nu, sizeof *q->shared, 1);
    q->touched = pp_reserve(q->touched, &q->cap[9], nu, sizeof *q->touched, 0);
    if (!q->mark || !q->in || !q->all || !q->b0 || !q->b1 || !q->bd || !q->sb || !q->seen ||
        !q->shared || !q->touched)
        return -1;
    memset(q->mark, 0, nd);
    memset(q->seen, 0, nd * sizeof *q->seen);
    return 0;
}

/* The distinct terms of b's words [lo, hi) (a sentence: fewer than
 * PP_SET_SLOTS / 2), counted through q->set. */
static uint32_t pp_distinct_in(pp_pre *q, const uint64_t *bterm, uint32_t lo, uint32_t hi)
{
    if (++q->gen == 0) {   /* wrapped: every slot of an old gen is empty again */
        memset(q->set, 0, sizeof q->set);
        q->gen = 1;
    }
    uint32_t n = 0;
    for (uint32_t i = lo; i < hi; i++) {
        const uint64_t h = bterm[i];
        if (!h) continue;
        size_t x = (size_t)(h >> 17) & (PP_SET_SLOTS - 1);
        while (q->set[x].gen == q->gen && q->set[x].term != h) x = (x + 1) & (PP_SET_SLOTS - 1);
        if (q->set[x].gen != q->gen) {
            q->set[x].term = h;
            q->set[x].gen = q->gen;
            n++;
        }
    }
    return n;
}

/* How many of the nt sentences of a in q->touched, with q->shared[] distinct
 * terms in common with a sentence of b of ntb distinct terms, reach Dice
 * PP_MIN_DICE with it. */
static uint32_t pp_dice_reach(const pp_pre *q, const pp_text *a, size_t nt, uint32_t ntb)
{
    uint32_t n = 0;
    for (size_t x = 0; x < nt; x++) {
        const uint32_t i = q->touched[x], nta = a->s[i].t_hi - a->s[i].t_lo;
        n += 2.0 * q->shared[i] >= (PP_MIN_DICE - 1e-9) * (nta + ntb);
    }
    return n;
}

/* Could a and b hold PP_MIN_SEEDS seeds (pairs of sentences whose Dice
 * over distinct terms reaches PP_MIN_DICE; the cosine not asked)?  b's nb
 * sentences (the stage's) begin at q->sb[], its words' terms are q->bd[]
 * as a's distinct terms; a's postings give the sentences holding each, so
 * each pair's count of distinct terms in common is step 4's. */
static int pp_two_seeds(pp_pre *q, const pp_text *a, const uint64_t *bterm, size_t bn, size_t nb)
{
    uint32_t seeds = 0;
    for (size_t j = 0; j < nb; j++) {
        const uint32_t lo = q->sb[j], hi = j + 1 < nb ? q->sb[j + 1] : (uint32_t)bn;
        size_t nt = 0;
        uint32_t ntb = 0;   /* the sentence's distinct terms: at least those a holds */
        for (uint32_t w = lo; w < hi; w++) {
            const uint32_t d = q->bd[w];
            if (d == UINT32_MAX || q->seen[d] == j + 1) continue;
            q->seen[d] = (uint32_t)j + 1;
            ntb++;
            for (uint32_t e = a->ph[d]; e < a->ph[d + 1]; e++) {
                const uint32_t i = a->pst[e].sent;
                if (!q->shared[i]) q->touched[nt++] = i;
                q->shared[i]++;
            }
        }
        /* with that least count the Dice comes out higher: only when one
         * reaches PP_MIN_DICE so is the sentence's every term counted */
        if (nt && pp_dice_reach(q, a, nt, ntb))
            seeds += pp_dice_reach(q, a, nt, pp_distinct_in(q, bterm, lo, hi));
        for (size_t x = 0; x < nt; x++) q->shared[q->touched[x]] = 0;
        if (seeds >= PP_MIN_SEEDS) return 1;   /* shared[] all zero again */
    }
    return 0;
}

/* pp_may_pair with q's buffers. */
static int pp_may(pp_pre *q, const pp_text *a, const tsr_word *A, const tsr_word *B,
                  const uint64_t *bterm, const unsigned char *bcut, size_t bn)
{
    if (!a->ns || !bn) return 0;
    if (pp_pre_reserve(q, a->nd, (a->ns > bn ? a->ns : bn) + 1)) return -1;
    /* b's sentences (split as pp_split_text does, but for a short last
     * sentence, kept apart: runs of finer sentences are more runs, so the
     * test stays necessary): which of their terms a holds */
    /* the words whose term may be a's (the filter: without branches, as
     * it is a coin toss word by word), then those looked up */
    uint32_t *bd = q->bd, *cand = q->touched;
    unsigned char *mark = q->mark;
    size_t nc = 0;
    for (size_t i = 0; i < bn; i++) {
        const uint64_t h = bterm[i];
        bd[i] = UINT32_MAX;
        cand[nc] = (uint32_t)i;
        nc += (h != 0) & (unsigned)(a->filter[h >> 58] >> (h >> 52 & 63));
    }
    for (size_t k = 0; k < nc; k++) {
        const uint32_t d = pp_distinct_find(a, bterm[cand[k]]);
        bd[cand[k]] = d;
        if (d != UINT32_MAX) mark[d] = 1;
    }
    const size_t nb = pp_sentences(bcut, bn, q->sb);
    for (size_t j = 0; j < nb; j++) {
        const uint32_t lo = q->sb[j], hi = j + 1 < nb ? q->sb[j + 1] : (uint32_t)bn;
        uint32_t in = 0, all = 0;
        for (uint32_t i = lo; i < hi; i++) {
            all += bterm[i] != 0;
            in += bd[i] != UINT32_MAX;
        }
        q->in[j] = in; q->all[j] = all;
        q->b0[j] = B[lo].begin; q->b1[j] = B[hi - 1].end;
    }
    const int b225 = pp_dense(q, nb, 0.225 - 1e-9, 1, PP_MIN_BYTES);
    const int b45 = b225 && pp_dense(q, nb, 0.45 - 1e-9, 1, PP_MIN_BYTES);
    /* a's sentences: their term occurrences b holds, and whether one of
     * them could be a seed at all (Dice over distinct terms, the other
     * sentence holding no more than the shared ones) */
    int seedable = 0;
    for (uint32_t i = 0; i < a->ns; i++) {
        uint32_t m = 0, tin = 0, tall = 0;
        for (uint32_t k = a->s[i].t_lo; k < a->s[i].t_hi; k++) {
            tall += a->t[k].tf;
            const uint32_t in_b = q->mark[a->t[k].lid];   /* 0 or 1 */
            m += in_b;
            tin += in_b * a->t[k].tf;
        }
        const uint32_t nt = a->s[i].t_hi - a->s[i].t_lo;
        if (m && 2.0 * m >= (PP_MIN_DICE - 1e-9) * (nt + m)) seedable = 1;
        q->in[i] = tin; q->all[i] = tall;
        q->b0[i] = A[a->s[i].lo].begin; q->b1[i] = A[a->s[i].hi - 1].end;
    }
    /* a summary: three sentences or more, PP_SUM_SHARE of their terms in b */
    if (pp_dense(q, a->ns, PP_SUM_SHARE - 1e-9, PP_SUM_MIN, PP_MIN_BYTES)) return 1;
    /* passages of seeds: PP_MIN_SHARE of both spans' terms in common, so
     * at least half that of each span's and all of it of one of them */
    if (!seedable || !b225 || !pp_dense(q, a->ns, 0.225 - 1e-9, 1, PP_MIN_BYTES)) return 0;
    if (!b45 && !pp_dense(q, a->ns, 0.45 - 1e-9, 1, PP_MIN_BYTES)) return 0;
    /* and a passage of seeds needs PP_MIN_SEEDS of them */
    return pp_two_seeds(q, a, bterm, bn, pp_joined(q->sb, nb, bn));
}

int pp_may_pair(const pp_text *a, const tsr_word *A, const tsr_word *B, const uint64_t *bterm,
                const unsigned char *bcut, size_t bn)
{
    pthread_once(&pp_once_flag, pp_once);
    pp_cache *c = pp_cache_get();
    pp_pre own;
    memset(&own, 0, sizeof own);
    const int r = pp_may(c ? &c->pre : &own, a, A, B, bterm, bcut, bn);
    pp_pre_free(&own);
    return r;
}

int pp_align_texts(pp_text *ta, pp_text *tb, const tsr_word *A, size_t an, const tsr_word *B,
                   size_t bn, const tsr_params *p, al_work *wk, al_passages *ps,
                   tsr_error *err)
{
    tsr_params def;
    if (!p) { tsr_params_default(&def); p = &def; }
    const size_t n0 = ps->n;
    int rc = TSR_OK;
    al_work *own = NULL;
    if (!wk)
        wk = own = al_work_new();
    pthread_once(&pp_once_flag, pp_once);
    pp_cache *c = pp_cache_get();
    pp_scratch own_sc;   /* without a cache: for this call only */
    memset(&own_sc, 0, sizeof own_sc);
    pp_scratch *sc = c ? &c->sc : &own_sc;
    if (!wk || al_bag_reserve(wk, bn) || pp_weigh(ta, tb, &sc->pair) ||
        pp_seeds(ta, tb, &sc->pair, sc) || pp_passages(ta, tb, &sc->pair, A, B, sc, wk, ps))
        rc = -1;
    if (rc == TSR_OK) {
        pp_extend(ta, tb, &sc->pair, A, an, B, bn, wk, ps, n0);
        pp_bag_extend(ta, tb, &sc->pair, A, an, B, bn, wk, ps);
        rc = pp_summary(ta, tb, &sc->pair, A, B, sc, wk, ps);
    }
    if (rc == TSR_OK)   /* step 9 */
        rc = al_merge_passages(A, an, B, bn, p, wk, ps);
    if (rc != TSR_OK)
        rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory aligning sentences");
    pp_scratch_free(&own_sc);
    al_work_free(own);
    return rc;
}

int pp_align(const char *a, const tsr_word *A, size_t an, const char *b, const tsr_word *B,
             size_t bn, const tsr_params *p, al_work *wk, al_passages *ps, tsr_error *err)
{
    pp_text ta, tb;
    tsr_fig *fa = NULL, *fb = NULL;
    size_t ca = 0, cb = 0, na = 0, nb = 0;
    TSR_FORWARD(pp_text_init(&ta, a, A, an, err));
    int rc = pp_text_init(&tb, b, B, bn, err);
    if (rc == TSR_OK && (text_figures(a, A, an, &fa, &ca, &na) ||
                         text_figures(b, B, bn, &fb, &cb, &nb)))
        rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory reading sentences");
    if (rc == TSR_OK) {
        ta.fig = fa; ta.nfig = na;
        tb.fig = fb; tb.nfig = nb;
        rc = pp_align_texts(&ta, &tb, A, an, B, bn, p, wk, ps, err);
    }
    free(fa);
    free(fb);
    pp_text_free(&ta);
    pp_text_free(&tb);
    return rc;
}
