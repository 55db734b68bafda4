/*
 * result.c - results: building them from word-level passages, coverage,
 * freeing; and tsr_align, the one-pair entry point.
 */
#include "result.h"
#include "paraphrase.h"
#include "signif.h"

/* ------------------------------------------------------------------------
 * Building
 * --------------------------------------------------------------------- */

tsr_result *rs_new(size_t bytes, size_t words)
{
    tsr_result *r = calloc(1, sizeof *r);
    if (r) {
        r->text_bytes = bytes;
        r->text_words = words;
    }
    return r;
}

/* grow array *a of *n elements by `extra` (exact sizes; results are small) */
/* Room for n + extra elements in *a, which holds n.  The arrays only ever
 * grow here, to powers of two (at least 4), so the capacity need not be
 * stored: it is at least the least power of two >= n. */
static int rs_grow(void **a, size_t n, size_t extra, size_t el)
{
    size_t cap = 0;
    if (n)
        for (cap = 4; cap < n; cap <<= 1) {}
    if (n + extra <= cap)
        return 0;
    size_t want = 4;
    while (want < n + extra) want <<= 1;
    void *p = realloc(*a, want * el);
    if (!p) return -1;
    *a = p;
    return 0;
}

int rs_add_source(tsr_result *r, const char *id, const char *title,
                  const char *date, const char *series, int64_t docno,
                  size_t *index)
{
    if (rs_grow((void **)&r->sources, r->n_sources, 1, sizeof *r->sources))
        return TSR_ERR_NOMEM;
    tsr_source *s = &r->sources[r->n_sources];
    memset(s, 0, sizeof *s);
    int oom = 0;
    s->id = tsr_strdup_or_null(id, &oom);
    s->title = tsr_strdup_or_null(title, &oom);
    s->date = tsr_strdup_or_null(date, &oom);
    s->series = tsr_strdup_or_null(series, &oom);
    s->docno = docno;
    r->n_sources++;
    if (oom) return TSR_ERR_NOMEM;
    if (index) *index = r->n_sources - 1;
    return TSR_OK;
}

const char *tsr_kind_name(int kind)
{
    switch (kind) {
    case TSR_KIND_VERBATIM: return "verbatim";
    case TSR_KIND_EDITED: return "edited";
    case TSR_KIND_PARAPHRASE: return "paraphrase";
    case TSR_KIND_SUMMARY: return "summary";
    default: return "?";
    }
}

int rs_add_passages(tsr_result *r, const al_passages *ps, const tsr_word *A,
                    const tsr_word *B, size_t src)
{
    if (ps->n == 0) return TSR_OK;
    if (rs_grow((void **)&r->passages, r->n_passages, ps->n, sizeof *r->passages))
        return TSR_ERR_NOMEM;
    for (size_t i = 0; i < ps->n; i++) {
        const al_passage *a = &ps->a[i];
        tsr_passage *t = &r->passages[r->n_passages++];
        t->a_begin = A[a->a_lo].begin;
        t->a_end = A[a->a_hi - 1].end;
        t->b_begin = B[a->b_lo].begin;
        t->b_end = B[a->b_hi - 1].end;
        t->a_words = a->a_hi - a->a_lo;
        t->b_words = a->b_hi - a->b_lo;
        t->matches = a->matches;
        t->similarity = a->similarity;
        t->evalue = a->evalue;
        t->source = src;
        t->boilerplate = 0;
        t->kind = al_kind(a, A, B);
        /* the source span's normalized words, for telling re-filings */
        uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)(a->b_hi - a->b_lo);
        for (size_t k = a->b_lo; k < a->b_hi; k++) {
            h ^= B[k].hash;
            h *= 0xFF51AFD7ED558CCDull;
            h ^= h >> 33;
        }
        t->_text_hash = h;
    }
    return TSR_OK;
}

int rs_add_repeats(tsr_result *r, const al_passages *ps, const tsr_word *A)
{
    if (ps->n == 0) return TSR_OK;
    if (rs_grow((void **)&r->repeats, r->n_repeats, ps->n, sizeof *r->repeats))
        return TSR_ERR_NOMEM;
    for (size_t i = 0; i < ps->n; i++) {
        const al_passage *a = &ps->a[i];
        tsr_repeat *t = &r->repeats[r->n_repeats++];
        t->first_begin = A[a->a_lo].begin;
        t->first_end = A[a->a_hi - 1].end;
        t->begin = A[a->b_lo].begin;
        t->end = A[a->b_hi - 1].end;
        t->similarity = a->similarity;
    }
    return TSR_OK;
}

int rs_add_boilerplate(tsr_result *r, size_t begin, size_t end)
{
    if (r->n_boilerplate && r->boilerplate[r->n_boilerplate - 1].end >= begin) {
        if (end > r->boilerplate[r->n_boilerplate - 1].end)
            r->boilerplate[r->n_boilerplate - 1].end = end;
        return TSR_OK;
    }
    if (rs_grow((void **)&r->boilerplate, r->n_boilerplate, 1, sizeof *r->boilerplate))
        return TSR_ERR_NOMEM;
    r->boilerplate[r->n_boilerplate].begin = begin;
    r->boilerplate[r->n_boilerplate].end = end;
    r->n_boilerplate++;
    return TSR_OK;
}

static int passage_cmp(const void *x, const void *y)
{
    const tsr_passage *p = x, *q = y;
    if (p->a_begin != q->a_begin) return p->a_begin < q->a_begin ? -1 : 1;
    if (p->a_end != q->a_end) return p->a_end < q->a_end ? -1 : 1;
    if (p->source != q->source) return p->source < q->source ? -1 : 1;
    return (p->b_begin > q->b_begin) - (p->b_begin < q->b_begin);
}

typedef struct { size_t b, e; } rs_iv;

static int iv_cmp(const void *x, const void *y)
{
    const rs_iv *p = x, *q = y;
    return (p->b > q->b) - (p->b < q->b);
}

/* Size of the union of intervals (sorts them). */
static size_t union_len(rs_iv *v, size_t n)
{
    tsr_sort(v, n, sizeof *v, iv_cmp);
    size_t total = 0, reach = 0;
    for (size_t i = 0; i < n; i++) {
        size_t s = v[i].b > reach ? v[i].b : reach;
        if (v[i].e > s) total += v[i].e - s;
        if (v[i].e > reach) reach = v[i].e;
    }
    return total;
}

/* Length of the intersection of two sorted lists of disjoint intervals. */
static size_t meet_len(const rs_iv *x, size_t nx, const rs_iv *y, size_t ny)
{
    size_t total = 0;
    for (size_t i = 0, j = 0; i < nx && j < ny;) {
        const size_t lo = x[i].b > y[j].b ? x[i].b : y[j].b;
        const size_t hi = x[i].e < y[j].e ? x[i].e : y[j].e;
        if (hi > lo) total += hi - lo;
        if (x[i].e < y[j].e) i++;
        else j++;
    }
    return total;
}

/* Sort intervals and merge them into disjoint ones; returns their count. */
static size_t merge_ivs(rs_iv *v, size_t n)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, iv_cmp);
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (v[i].b <= v[k].e) {
            if (v[i].e > v[k].e) v[k].e = v[i].e;
        } else {
            v[++k] = v[i];
        }
    }
    return k + 1;
}

/* One passage as re-filings compare them. */
typedef struct { size_t b, e; uint64_t h; int bp; } rs_key;

static int key_cmp(const void *x, const void *y)
{
    const rs_key *p = x, *q = y;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    if (p->e != q->e) return p->e < q->e ? -1 : 1;
    if (p->h != q->h) return p->h < q->h ? -1 : 1;
    return (p->bp > q->bp) - (p->bp < q->bp);
}

/* Source s's passages as keys, sorted, into k; returns their count. */
static size_t source_keys(const tsr_result *r, size_t s, rs_key *k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_passages; i++) {
        const tsr_passage *p = &r->passages[i];
        if (p->source == s)
            k[n++] = (rs_key){ p->a_begin, p->a_end, p->_text_hash, p->boilerplate };
    }
    qsort(k, n, sizeof *k, key_cmp);
    return n;
}

/* Re-filings (tsr_source.group, unique_bytes): sources are grouped when
 * their passages are the same (same_passages: quadratic in the sources, a
 * check keeps at most max_candidates), and each group's unique bytes are
 * those of its passages that no passage of another group covers. */
static int rs_group_sources(tsr_result *r)
{
    const size_t ns = r->n_sources;
    size_t groups = 0;
    rs_key *ks = malloc((r->n_passages + 1) * sizeof *ks);
    rs_key *kt = malloc((r->n_passages + 1) * sizeof *kt);
    rs_iv *mine = malloc((r->n_passages + 1) * sizeof *mine);
    rs_iv *other = malloc((r->n_passages + 1) * sizeof *other);
    if (!ks || !kt || !mine || !other) {
        free(ks); free(kt); free(mine); free(other);
        return TSR_ERR_NOMEM;
    }
    for (size_t s = 0; s < ns; s++) {
        r->sources[s].group = SIZE_MAX;
        const size_t n = source_keys(r, s, ks);
        for (size_t t = 0; t < s && r->sources[s].group == SIZE_MAX; t++) {
            if (r->sources[t].bytes_reused != r->sources[s].bytes_reused)
                continue;
            int same = source_keys(r, t, kt) == n;
            for (size_t k = 0; same && k < n; k++)
                same = key_cmp(&ks[k], &kt[k]) == 0;
            if (same)
                r->sources[s].group = r->sources[t].group;
        }
        if (r->sources[s].group == SIZE_MAX)
            r->sources[s].group = groups++;
    }
    free(ks);
    free(kt);
    for (size_t s = 0; s < ns; s++) {
        const size_t g = r->sources[s].group;
        size_t nm = 0, no = 0;
        for (size_t i = 0; i < r->n_passages; i++) {
            const tsr_passage *p = &r->passages[i];
            if (p->boilerplate) continue;
            const rs_iv iv = { p->a_begin, p->a_end };
            if (p->source == s) mine[nm++] = iv;
            else if (r->sources[p->source].group != g) other[no++] = iv;
        }
        nm = merge_ivs(mine, nm);
        no = merge_ivs(other, no);
        size_t all = 0;
        for (size_t k = 0; k < nm; k++) all += mine[k].e - mine[k].b;
        r->sources[s].unique_bytes = all - meet_len(mine, nm, other, no);
        r->sources[s].unique_coverage = r->text_bytes ?
            (double)r->sources[s].unique_bytes / (double)r->text_bytes : 0.0;
    }
    free(mine);
    free(other);
    return TSR_OK;
}

int rs_finish(tsr_result *r)
{
    if (r->n_passages > 1)
        tsr_sort(r->passages, r->n_passages, sizeof *r->passages, passage_cmp);
    /* a passage lying mostly inside boilerplate spans is boilerplate */
    for (size_t i = 0; i < r->n_passages; i++) {
        tsr_passage *p = &r->passages[i];
        size_t in = 0;
        for (size_t k = 0; k < r->n_boilerplate; k++) {
            size_t lo = p->a_begin > r->boilerplate[k].begin ? p->a_begin : r->boilerplate[k].begin;
            size_t hi = p->a_end < r->boilerplate[k].end ? p->a_end : r->boilerplate[k].end;
            if (hi > lo) in += hi - lo;
        }
        p->boilerplate = in * 2 > p->a_end - p->a_begin;
    }
    rs_iv *v = malloc((r->n_passages + 1) * sizeof *v);
    if (!v) return TSR_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < r->n_passages; i++)
        if (!r->passages[i].boilerplate) {
            v[n].b = r->passages[i].a_begin;
            v[n].e = r->passages[i].a_end;
            n++;
        }
    r->bytes_reused = union_len(v, n);
    r->coverage = r->text_bytes ? (double)r->bytes_reused / (double)r->text_bytes : 0.0;
    for (size_t s = 0; s < r->n_sources; s++) {
        n = 0;
        for (size_t i = 0; i < r->n_passages; i++)
            if (r->passages[i].source == s && !r->passages[i].boilerplate) {
                v[n].b = r->passages[i].a_begin;
                v[n].e = r->passages[i].a_end;
                n++;
            }
        r->sources[s].bytes_reused = union_len(v, n);
        r->sources[s].coverage = r->text_bytes ?
            (double)r->sources[s].bytes_reused / (double)r->text_bytes : 0.0;
    }
    free(v);
    return rs_group_sources(r);
}

/* Explaining away.  When two sources are aligned with the same stretch of
 * the checked text, the text was taken from one of them at most once: a
 * passage is dropped when a passage of another source covers at least
 * half of its span, is more similar by more than EXPLAIN_MARGIN and
 * matches nearly as many words (EXPLAIN_MATCHES of them).  This is how a
 * template look-alike of the real source (the same wire formula around
 * other names and figures, which shares the template but not the
 * specifics) leaves the report, while identical re-filings of one story
 * (equally similar) all stay. */
#define EXPLAIN_MARGIN 0.02
#define EXPLAIN_MATCHES 0.8

void rs_explain_away(tsr_result *r)
{
    if (r->n_sources < 2 || r->n_passages < 2)
        return;
    const size_t n = r->n_passages;
    unsigned char *drop = calloc(n, 1);
    size_t *map = malloc(r->n_sources * sizeof *map);
    unsigned char *used = calloc(r->n_sources, 1);
    if (!drop || !map || !used) {  /* out of memory: nothing removed */
        free(drop); free(map); free(used);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const tsr_passage *x = &r->passages[i];
        for (size_t j = 0; j < n && !drop[i]; j++) {
            const tsr_passage *y = &r->passages[j];
            if (y->source == x->source || y->similarity <= x->similarity + EXPLAIN_MARGIN ||
                (double)y->matches < EXPLAIN_MATCHES * (double)x->matches)
                continue;
            size_t lo = x->a_begin > y->a_begin ? x->a_begin : y->a_begin;
            size_t hi = x->a_end < y->a_end ? x->a_end : y->a_end;
            drop[i] = hi > lo && 2 * (hi - lo) >= x->a_end - x->a_begin;
        }
    }
    /* decided on the full list: a dropped passage still explains others
     * (the order of sources does not matter) */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!drop[i])
            r->passages[kept++] = r->passages[i];
    r->n_passages = kept;
    /* sources without passages go; the others keep their order */
    for (size_t i = 0; i < kept; i++) used[r->passages[i].source] = 1;
    size_t ns = 0;
    for (size_t s = 0; s < r->n_sources; s++) {
        if (used[s]) {
            map[s] = ns;
            r->sources[ns++] = r->sources[s];
        } else {
            free(r->sources[s].id); free(r->sources[s].title);
            free(r->sources[s].date); free(r->sources[s].series);
        }
    }
    r->n_sources = ns;
    for (size_t i = 0; i < kept; i++) r->passages[i].source = map[r->passages[i].source];
    free(drop);
    free(map);
    free(used);
}

void tsr_result_free(tsr_result *r)
{
    if (!r) return;
    for (size_t s = 0; s < r->n_sources; s++) {
        free(r->sources[s].id);
        free(r->sources[s].title);
        free(r->sources[s].date);
        free(r->sources[s].series);
    }
    free(r->sources);
    free(r->passages);
    free(r->repeats);
    free(r->boilerplate);
    free(r);
}

/* ------------------------------------------------------------------------
 * tsr_align
 * --------------------------------------------------------------------- */

static int check_text(const char *t, size_t len, const char *which, int allow_nul,
                      tsr_error *err)
{
    size_t off;
    int rc = text_check(t, len, allow_nul, &off);
    if (rc == TSR_ERR_UTF8)
        return tsr_seterr(err, rc, "%s: invalid UTF-8 at byte %zu", which, off);
    if (rc == TSR_ERR_NUL)
        return tsr_seterr(err, rc, "%s: NUL byte at byte %zu (binary file?)", which, off);
    return TSR_OK;
}

/* One pair, no corpus: the E-values of the pair's passages by the pair's
 * own statistics (signif.c: every n-gram counts as rare, a search of one
 * document), and the cut of p->max_evalue. */
static int align_significance(al_passages *ps, const tsr_word *A, size_t an,
                              const tsr_word *B, const tsr_params *p, tsr_error *err)
{
    if (ps->n == 0)
        return TSR_OK;
    sg_model m;
    sg_model_init(&m, 0, 0, p->ngram);
    sg_text t;
    TSR_FORWARD(sg_text_init(&t, A, an, p, err));
    sg_work *w = sg_work_new();
    int rc = w ? sg_filter(&m, &t, B, p->max_evalue, ps, w) : TSR_ERR_NOMEM;
    sg_work_free(w);
    sg_text_free(&t);
    if (rc != TSR_OK)
        return tsr_seterr(err, rc, "out of memory aligning");
    return TSR_OK;
}

int tsr_align(const char *a, size_t alen, const char *b, size_t blen,
              const tsr_params *p, tsr_result **out, tsr_error *err)
{
    tsr_params def;
    *out = NULL;
    if (!p) { tsr_params_default(&def); p = &def; }
    TSR_FORWARD(tsr_params_validate(p, err));
    if ((!a && alen) || (!b && blen))
        return tsr_seterr(err, TSR_ERR_INVALID, "NULL text");
    TSR_FORWARD(check_text(a, alen, "first text", p->allow_nul, err));
    TSR_FORWARD(check_text(b, blen, "second text", p->allow_nul, err));

    tsr_word *A = NULL, *B = NULL;
    size_t an = 0, bn = 0;
    al_query q;
    al_passages ps = { 0 };
    al_work *wk = NULL;   /* the aligner's and the sentence stage's, both ways */
    tsr_result *r = NULL;
    int rc = tsr_tokenize(a, alen, &A, &an, err);
    if (rc == TSR_OK) rc = tsr_tokenize(b, blen, &B, &bn, err);
    if (rc != TSR_OK) { free(A); free(B); return rc; }
    rc = al_query_init(&q, A, an, p, err);
    if (rc != TSR_OK) { free(A); free(B); return rc; }
    r = rs_new(alen, an);
    wk = al_work_new();
    if (!r || !wk) { rc = TSR_ERR_NOMEM; goto out; }
    size_t src;
    if ((rc = rs_add_source(r, NULL, NULL, NULL, NULL, -1, &src))) goto out;
    if ((rc = al_align(&q, B, bn, p, 0, wk, &ps, err))) goto out;
    if (p->paraphrase && (rc = pp_align(a, A, an, b, B, bn, p, wk, &ps, err))) goto out;
    if ((rc = align_significance(&ps, A, an, B, p, err))) goto out;
    if ((rc = rs_add_passages(r, &ps, A, B, src))) goto out;
    ps.n = 0;
    if ((rc = al_align(&q, A, an, p, AL_SELF, wk, &ps, err))) goto out;
    if ((rc = rs_add_repeats(r, &ps, A))) goto out;
    rc = rs_finish(r);
out:
    if (rc == TSR_ERR_NOMEM) tsr_seterr(err, rc, "out of memory aligning");
    if (rc != TSR_OK) { tsr_result_free(r); r = NULL; }
    al_query_free(&q);
    al_work_free(wk);
    tsr_vec_free(&ps);
    free(A);
    free(B);
    *out = r;
    return rc;
}
