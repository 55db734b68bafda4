/*
 * json.c - results as JSON (the format of doc/json.md).
 *
 * Keys come out in a fixed order (the order of doc/json.md), so that the
 * output of the same result is byte-for-byte stable.  Reals carry six
 * significant digits.
 */
#include "common/common.h"

#include <jansson.h>

static json_t *span_obj(size_t b, size_t e)
{
    json_t *o = json_object();
    json_object_set_new(o, "begin", json_integer((json_int_t)b));
    json_object_set_new(o, "end", json_integer((json_int_t)e));
    return o;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

char *tsr_result_json(const tsr_result *r, unsigned flags)
{
    json_t *root = json_object();
    json_t *ps = json_array();
    for (size_t i = 0; i < r->n_passages; i++) {
        const tsr_passage *p = &r->passages[i];
        const tsr_source *s = p->source < r->n_sources ? &r->sources[p->source] : NULL;
        json_t *o = span_obj(p->a_begin, p->a_end);
        json_t *so = json_object();
        set_str(so, "id", s ? s->id : NULL);
        json_object_set_new(so, "begin", json_integer((json_int_t)p->b_begin));
        json_object_set_new(so, "end", json_integer((json_int_t)p->b_end));
        if (s && s->title) set_str(so, "title", s->title);
        if (s && s->date) set_str(so, "date", s->date);
        if (s && s->series) set_str(so, "series", s->series);
        json_object_set_new(o, "source", so);
        json_object_set_new(o, "similarity", json_real(p->similarity));
        json_object_set_new(o, "words", json_integer((json_int_t)p->a_words));
        json_object_set_new(o, "source_words", json_integer((json_int_t)p->b_words));
        json_object_set_new(o, "matches", json_integer((json_int_t)p->matches));
        json_object_set_new(o, "boilerplate", json_boolean(p->boilerplate));
        json_array_append_new(ps, o);
    }
    json_object_set_new(root, "passages", ps);
    json_object_set_new(root, "coverage", json_real(r->coverage));
    json_object_set_new(root, "bytes", json_integer((json_int_t)r->text_bytes));
    json_object_set_new(root, "words", json_integer((json_int_t)r->text_words));
    json_object_set_new(root, "bytes_reused", json_integer((json_int_t)r->bytes_reused));

    json_t *ss = json_array();
    for (size_t i = 0; i < r->n_sources; i++) {
        const tsr_source *s = &r->sources[i];
        json_t *o = json_object();
        set_str(o, "id", s->id);
        set_str(o, "title", s->title);
        set_str(o, "date", s->date);
        set_str(o, "series", s->series);
        json_object_set_new(o, "coverage", json_real(s->coverage));
        json_object_set_new(o, "bytes_reused", json_integer((json_int_t)s->bytes_reused));
        size_t np = 0;
        for (size_t k = 0; k < r->n_passages; k++)
            np += r->passages[k].source == i;
        json_object_set_new(o, "passages", json_integer((json_int_t)np));
        json_array_append_new(ss, o);
    }
    json_object_set_new(root, "sources", ss);

    json_t *rp = json_array();
    for (size_t i = 0; i < r->n_repeats; i++) {
        const tsr_repeat *t = &r->repeats[i];
        json_t *o = span_obj(t->begin, t->end);
        json_object_set_new(o, "first", span_obj(t->first_begin, t->first_end));
        json_object_set_new(o, "similarity", json_real(t->similarity));
        json_array_append_new(rp, o);
    }
    json_object_set_new(root, "repeats", rp);

    json_t *bp = json_array();
    for (size_t i = 0; i < r->n_boilerplate; i++)
        json_array_append_new(bp, span_obj(r->boilerplate[i].begin, r->boilerplate[i].end));
    json_object_set_new(root, "boilerplate", bp);

    size_t f = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6) | JSON_ENSURE_ASCII * 0;
    f |= (flags & TSR_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT;
    char *s = json_dumps(root, f);
    json_decref(root);
    if (!s) return NULL;
    /* json_dumps allocates with jansson's allocator (malloc by default);
     * copy so that tsr_free (free) is always right */
    size_t n = strlen(s);
    char *copy = tsr_strndup(s, n);
    free(s);
    return copy;
}

int tsr_result_set_source(tsr_result *r, size_t i, const char *id,
                          const char *title, const char *date,
                          const char *series)
{
    if (!r || i >= r->n_sources)
        return TSR_ERR_INVALID;
    tsr_source *s = &r->sources[i];
    int oom = 0;
    char *nid = tsr_strdup_or_null(id, &oom), *nt = tsr_strdup_or_null(title, &oom);
    char *nd = tsr_strdup_or_null(date, &oom), *ns = tsr_strdup_or_null(series, &oom);
    if (oom) {
        free(nid); free(nt); free(nd); free(ns);
        return TSR_ERR_NOMEM;
    }
    free(s->id); free(s->title); free(s->date); free(s->series);
    s->id = nid; s->title = nt; s->date = nd; s->series = ns;
    return TSR_OK;
}
