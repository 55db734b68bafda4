/*
 * _tessera.c - the C side of the tessera Python package: thin wrappers over
 * the public API of lib/tessera.h.  The Python side (tessera/__init__.py)
 * turns arguments and results into Python objects and documents the API;
 * this file only moves bytes across, releasing the GIL for every call that
 * does work, and turns a library status into the package's exception of
 * that status (registered by the Python side through _init).
 *
 * Results cross as the library's own JSON (tsr_result_json), so a check
 * from Python holds exactly what `tessera check --json` prints.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "tessera.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */

#define NSTATUS 32
static PyObject *error_base;              /* tessera.Error */
static PyObject *error_of[NSTATUS];       /* its subclass per status */

/* Raise the exception of `status` with the library's message; returns NULL. */
static PyObject *raise_status(int status, const char *message, Py_ssize_t offset)
{
    PyObject *cls = status > 0 && status < NSTATUS && error_of[status] ? error_of[status]
                                                                        : error_base;
    if (!cls) cls = PyExc_RuntimeError;
    PyObject *exc = offset >= 0 ? PyObject_CallFunction(cls, "sin", message, status, offset)
                                : PyObject_CallFunction(cls, "si", message, status);
    if (exc) {
        PyErr_SetObject(cls, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

static PyObject *raise_err(int status, const tsr_error *e)
{
    return raise_status(status, e->message[0] ? e->message : tsr_strerror(status), -1);
}

/* _init(Error, {status: class}) */
static PyObject *mod_init(PyObject *self, PyObject *args)
{
    PyObject *base, *map;
    if (!PyArg_ParseTuple(args, "OO!", &base, &PyDict_Type, &map)) return NULL;
    Py_XDECREF(error_base);
    Py_INCREF(base);
    error_base = base;
    PyObject *key, *val;
    Py_ssize_t pos = 0;
    while (PyDict_Next(map, &pos, &key, &val)) {
        long st = PyLong_AsLong(key);
        if (st <= 0 || st >= NSTATUS) continue;
        Py_XDECREF(error_of[st]);
        Py_INCREF(val);
        error_of[st] = val;
    }
    Py_RETURN_NONE;
}

/* Text as UTF-8 bytes: str (encoded) or bytes-like (checked: invalid
 * UTF-8 raises the UTF-8 error with the byte offset). */
typedef struct {
    Py_buffer view;
    const char *p;
    Py_ssize_t n;
    int has_view;
} text_arg;

static int text_get(PyObject *o, text_arg *t, int allow_nul)
{
    memset(t, 0, sizeof *t);
    if (PyUnicode_Check(o)) {
        t->p = PyUnicode_AsUTF8AndSize(o, &t->n);
        return t->p ? 0 : -1;
    }
    if (PyObject_GetBuffer(o, &t->view, PyBUF_SIMPLE) != 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "text must be str or bytes");
        return -1;
    }
    t->has_view = 1;
    t->p = t->view.buf;
    t->n = t->view.len;
    size_t bad = 0;
    const int st = tsr_utf8_check(t->p, (size_t)t->n, &bad);
    if (st == TSR_ERR_UTF8 || (st == TSR_ERR_NUL && !allow_nul)) {
        char msg[160];
        snprintf(msg, sizeof msg, st == TSR_ERR_UTF8 ? "invalid UTF-8 at byte %zu"
                                                      : "NUL byte at byte %zu", bad);
        PyBuffer_Release(&t->view);
        t->has_view = 0;
        raise_status(st, msg, (Py_ssize_t)bad);
        return -1;
    }
    return 0;
}

static void text_release(text_arg *t)
{
    if (t->has_view) PyBuffer_Release(&t->view);
}

/* ------------------------------------------------------------------------
 * Parameters: a dict of tsr_params fields (checked by the Python side)
 * --------------------------------------------------------------------- */

static int params_get(PyObject *d, tsr_params *p)
{
    tsr_params_default(p);
    if (!d || d == Py_None) return 0;
    if (!PyDict_Check(d)) { PyErr_SetString(PyExc_TypeError, "params must be a dict"); return -1; }
    static const struct { const char *name; size_t off; int real; } f[] = {
        { "ngram", offsetof(tsr_params, ngram), 0 },
        { "window", offsetof(tsr_params, window), 0 },
        { "seed", offsetof(tsr_params, seed), 0 },
        { "max_gap", offsetof(tsr_params, max_gap), 0 },
        { "min_words", offsetof(tsr_params, min_words), 0 },
        { "min_similarity", offsetof(tsr_params, min_similarity), 1 },
        { "max_evalue", offsetof(tsr_params, max_evalue), 1 },
        { "max_candidates", offsetof(tsr_params, max_candidates), 0 },
        { "min_shared", offsetof(tsr_params, min_shared), 0 },
        { "boilerplate_df", offsetof(tsr_params, boilerplate_df), 0 },
        { "allow_nul", offsetof(tsr_params, allow_nul), 0 },
        { "paraphrase", offsetof(tsr_params, paraphrase), 0 },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        PyObject *v = PyDict_GetItemString(d, f[i].name);
        if (!v) continue;
        if (f[i].real) {
            double x = PyFloat_AsDouble(v);
            if (x == -1.0 && PyErr_Occurred()) return -1;
            *(double *)((char *)p + f[i].off) = x;
        } else {
            long x = PyLong_AsLong(v);
            if (x == -1 && PyErr_Occurred()) return -1;
            *(int *)((char *)p + f[i].off) = (int)x;
        }
    }
    tsr_error e;
    if (tsr_params_validate(p, &e) != TSR_OK) { raise_err(TSR_ERR_INVALID, &e); return -1; }
    return 0;
}

/* A result as the library's JSON text. */
static PyObject *result_json(tsr_result *r)
{
    char *s = tsr_result_json(r, 0);
    tsr_result_free(r);
    if (!s) return PyErr_NoMemory();
    PyObject *o = PyUnicode_FromString(s);
    tsr_free(s);
    return o;
}

/* A result as JSON with what `flags` (TSR_JSON_TEXT, TSR_JSON_CHARS) and
 * `fields` (a --fields value, or NULL) add: the sources' texts and fields
 * come from `ix`, or (align, ix NULL) the one source is text `b`.  `a` is
 * the checked text.  Frees `r`. */
static PyObject *result_json_ex(tsr_result *r, tsr_index *ix, const char *a, size_t al,
                                const char *b, size_t bl, unsigned flags, const char *fields)
{
    if (!flags && !fields) return result_json(r);
    const size_t n = r->n_sources;
    tsr_document **docs = calloc(n + 1, sizeof *docs);
    const char **srcs = calloc(n + 1, sizeof *srcs);
    size_t *lens = calloc(n + 1, sizeof *lens);
    char **fl = calloc(n + 1, sizeof *fl);
    tsr_error e = { 0, "" };
    int st = docs && srcs && lens && fl ? TSR_OK : TSR_ERR_NOMEM;
    for (size_t i = 0; i < n && st == TSR_OK; i++) {
        if (!ix) {
            srcs[i] = b;
            lens[i] = bl;
            continue;
        }
        st = tsr_index_get_docno(ix, r->sources[i].docno, &docs[i], &e);
        if (st != TSR_OK) break;
        srcs[i] = docs[i]->text;
        lens[i] = docs[i]->text_len;
        if (fields) st = tsr_document_fields(docs[i], fields, &fl[i], &e);
    }
    char *s = NULL;
    if (st == TSR_OK) {
        tsr_json_opts jo = { flags, a, al, srcs, lens, fields ? (const char *const *)fl : NULL };
        st = tsr_result_json_ex(r, &jo, &s, &e);
    }
    for (size_t i = 0; docs && i < n; i++) tsr_document_free(docs[i]);
    for (size_t i = 0; fl && i < n; i++) tsr_free(fl[i]);
    free(docs); free(srcs); free(lens); free(fl);
    tsr_result_free(r);
    if (st == TSR_ERR_NOMEM) return PyErr_NoMemory();
    if (st != TSR_OK) return raise_err(st, &e);
    PyObject *o = PyUnicode_FromString(s);
    tsr_free(s);
    return o;
}

/* ------------------------------------------------------------------------
 * align
 * --------------------------------------------------------------------- */

static PyObject *mod_align(PyObject *self, PyObject *args)
{
    PyObject *a, *b, *pd = NULL;
    unsigned flags = 0;
    if (!PyArg_ParseTuple(args, "OO|OI", &a, &b, &pd, &flags)) return NULL;
    tsr_params p;
    if (params_get(pd, &p) != 0) return NULL;
    text_arg ta, tb;
    if (text_get(a, &ta, p.allow_nul) != 0) return NULL;
    if (text_get(b, &tb, p.allow_nul) != 0) { text_release(&ta); return NULL; }
    tsr_result *r = NULL;
    tsr_error e = { 0, "" };
    int st;
    Py_BEGIN_ALLOW_THREADS
    st = tsr_align(ta.p, (size_t)ta.n, tb.p, (size_t)tb.n, &p, &r, &e);
    Py_END_ALLOW_THREADS
    PyObject *o = st == TSR_OK ? result_json_ex(r, NULL, ta.p, (size_t)ta.n, tb.p,
                                                (size_t)tb.n, flags, NULL)
                               : raise_err(st, &e);
    text_release(&ta);
    text_release(&tb);
    return o;
}

/* ------------------------------------------------------------------------
 * Index
 * --------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    tsr_index *ix;
} IndexObject;

static int Index_init(IndexObject *self, PyObject *args, PyObject *kw)
{
    const char *path;
    int readonly = 0, scratch = 0;
    Py_ssize_t cache = 0;
    static char *kws[] = { "path", "readonly", "cache", "scratch", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|pnp", kws, &path, &readonly, &cache,
                                     &scratch))
        return -1;
    if (self->ix) { tsr_index_close(self->ix); self->ix = NULL; }
    tsr_error e = { 0, "" };
    int st;
    tsr_index *ix = NULL;
    Py_BEGIN_ALLOW_THREADS
    st = tsr_index_open(path, readonly ? TSR_OPEN_READONLY
                              : TSR_OPEN_CREATE | (scratch ? TSR_OPEN_SCRATCH : 0), &ix, &e);
    if (st == TSR_OK && cache > 0) st = tsr_index_set_cache(ix, (size_t)cache, &e);
    Py_END_ALLOW_THREADS
    if (st != TSR_OK) {
        tsr_index_close(ix);
        raise_err(st, &e);
        return -1;
    }
    self->ix = ix;
    return 0;
}

static void Index_dealloc(IndexObject *self)
{
    tsr_index_close(self->ix);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int open_or_raise(IndexObject *self)
{
    if (self->ix) return 0;
    raise_status(TSR_ERR_INVALID, "the index is closed", -1);
    return -1;
}

static PyObject *Index_close(IndexObject *self, PyObject *unused)
{
    tsr_index *ix = self->ix;
    self->ix = NULL;
    Py_BEGIN_ALLOW_THREADS
    tsr_index_close(ix);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

/* add_batch([(id, text, title, date, series, meta_json), ...]) -> [(status,
 * message), ...] per document, in order (status 0: added). */
static PyObject *Index_add_batch(IndexObject *self, PyObject *args)
{
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &list)) return NULL;
    if (open_or_raise(self) != 0) return NULL;
    const Py_ssize_t n = PyList_GET_SIZE(list);
    tsr_docinfo *docs = calloc((size_t)n + 1, sizeof *docs);
    text_arg *texts = calloc((size_t)n + 1, sizeof *texts);
    int *status = calloc((size_t)n + 1, sizeof *status);
    tsr_error *errs = calloc((size_t)n + 1, sizeof *errs);
    PyObject *out = NULL;
    Py_ssize_t got = 0;
    if (!docs || !texts || !status || !errs) { PyErr_NoMemory(); goto done; }
    for (; got < n; got++) {
        PyObject *t = PyList_GET_ITEM(list, got);
        PyObject *id, *text, *title, *date, *series, *meta;
        if (!PyArg_ParseTuple(t, "OOOOOO", &id, &text, &title, &date, &series, &meta)) goto done;
        const char **f[5] = { &docs[got].id, &docs[got].title, &docs[got].date,
                              &docs[got].series, &docs[got].meta_json };
        PyObject *v[5] = { id, title, date, series, meta };
        for (int k = 0; k < 5; k++) {
            if (v[k] == Py_None) { *f[k] = NULL; continue; }
            if (!(*f[k] = PyUnicode_AsUTF8(v[k]))) goto done;
        }
        /* a bad text is the document's status, not the batch's error */
        if (PyUnicode_Check(text)) {
            texts[got].p = PyUnicode_AsUTF8AndSize(text, &texts[got].n);
            if (!texts[got].p) goto done;
        } else if (PyObject_GetBuffer(text, &texts[got].view, PyBUF_SIMPLE) == 0) {
            texts[got].has_view = 1;
            texts[got].p = texts[got].view.buf;
            texts[got].n = texts[got].view.len;
        } else {
            goto done;
        }
        docs[got].text = texts[got].p;
        docs[got].text_len = (size_t)texts[got].n;
    }
    tsr_error e = { 0, "" };
    int st;
    Py_BEGIN_ALLOW_THREADS
    st = tsr_index_add_batch(self->ix, docs, (size_t)n, 0, status, errs, &e);
    Py_END_ALLOW_THREADS
    if (st != TSR_OK) { raise_err(st, &e); goto done; }
    out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++)
        PyList_SET_ITEM(out, i, Py_BuildValue("(is)", status[i],
                                              status[i] ? errs[i].message : ""));
done:
    for (Py_ssize_t i = 0; texts && i < got; i++) text_release(&texts[i]);
    free(docs);
    free(texts);
    free(status);
    free(errs);
    return out;
}

static PyObject *Index_commit(IndexObject *self, PyObject *unused)
{
    if (open_or_raise(self) != 0) return NULL;
    tsr_error e = { 0, "" };
    int st;
    Py_BEGIN_ALLOW_THREADS
    st = tsr_index_commit(self->ix, &e);
    Py_END_ALLOW_THREADS
    if (st != TSR_OK) return raise_err(st, &e);
    Py_RETURN_NONE;
}

/* remove([id, ...]) -> [found, ...] (bools, in order); tsr_index_remove */
static PyObject *Index_remove(IndexObject *self, PyObject *args)
{
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &list)) return NULL;
    if (open_or_raise(self) != 0) return NULL;
    const Py_ssize_t n = PyList_GET_SIZE(list);
    const char **ids = calloc((size_t)n + 1, sizeof *ids);
    int *found = calloc((size_t)n + 1, sizeof *found);
    PyObject *out = NULL;
    if (!ids || !found) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < n; i++)
        if (!(ids[i] = PyUnicode_AsUTF8(PyList_GET_ITEM(list, i)))) goto done;
    tsr_error e = { 0, "" };
    int st;
    Py_BEGIN_ALLOW_THREADS
    st = tsr_index_remove(self->ix, ids, (size_t)n, found, NULL, &e);
    Py_END_ALLOW_THREADS
    if (st != TSR_OK) { raise_err(st, &e); goto done; }
    out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++)
        PyList_SET_ITEM(out, i, PyBool_FromLong(found[i]));
done:
    free(ids);
    free(found);
    return out;
}

static PyObject *Index_refresh(IndexObject *self, PyObject *unused)
{
    if (open_or_raise(self) != 0) return NULL;
    tsr_error e = { 0, "" };
    const int st = tsr_index_refresh(self->ix, &e);
    if (st != TSR_OK) return raise_err(st, &e);
    Py_RETURN_NONE;
}

/* check(text, params, seconds) -> the result's JSON; seconds <= 0: no
 * time limit (tsr_index_check_timed) */
static PyObject *Index_check(IndexObject *self, PyObject *args)
{
    PyObject *text, *pd = NULL;
    double seconds = 0;
    unsigned flags = 0;
    const char *fields = NULL;
    if (!PyArg_ParseTuple(args, "O|OdIz", &text, &pd, &seconds, &flags, &fields)) return NULL;
    if (open_or_raise(self) != 0) return NULL;
    tsr_params p;
    if (params_get(pd, &p) != 0) return NULL;
    text_arg t;
    if (text_get(text, &t, p.allow_nul) != 0) return NULL;
    tsr_result *r = NULL;
    tsr_error e = { 0, "" };
    int st;
    Py_BEGIN_ALLOW_THREADS
    st = tsr_index_check_timed(self->ix, t.p, (size_t)t.n, &p, seconds, &r, &e);
    Py_END_ALLOW_THREADS
    PyObject *o = st == TSR_OK ? result_json_ex(r, self->ix, t.p, (size_t)t.n, NULL, 0, flags,
                                                fields)
                               : raise_err(st, &e);
    text_release(&t);
    return o;
}

static PyObject *doc_dict(const tsr_document *d)
{
    return Py_BuildValue("{s:L,s:s,s:z,s:z,s:z,s:z,s:z#}", "docno", (long long)d->docno,
                         "id", d->id, "title", d->title, "date", d->date, "series", d->series,
                         "meta", d->meta_json, "text", d->text,
                         (Py_ssize_t)(d->text ? d->text_len : 0));
}

/* get(id) or get(docno, with_text) -> dict */
static PyObject *Index_get(IndexObject *self, PyObject *args)
{
    PyObject *key;
    int with_text = 1;
    if (!PyArg_ParseTuple(args, "O|p", &key, &with_text)) return NULL;
    if (open_or_raise(self) != 0) return NULL;
    tsr_document *d = NULL;
    tsr_error e = { 0, "" };
    int st;
    if (PyLong_Check(key)) {
        const long long docno = PyLong_AsLongLong(key);
        if (docno == -1 && PyErr_Occurred()) return NULL;
        Py_BEGIN_ALLOW_THREADS
        st = with_text ? tsr_index_get_docno(self->ix, docno, &d, &e)
                       : tsr_index_get_info(self->ix, docno, &d, &e);
        Py_END_ALLOW_THREADS
    } else {
        const char *id = PyUnicode_AsUTF8(key);
        if (!id) return NULL;
        Py_BEGIN_ALLOW_THREADS
        st = tsr_index_get(self->ix, id, &d, &e);
        Py_END_ALLOW_THREADS
    }
    if (st != TSR_OK) return raise_err(st, &e);
    PyObject *o = doc_dict(d);
    tsr_document_free(d);
    return o;
}

static PyObject *Index_stats(IndexObject *self, PyObject *unused)
{
    if (open_or_raise(self) != 0) return NULL;
    tsr_stats s;
    tsr_error e = { 0, "" };
    const int st = tsr_index_stats(self->ix, &s, &e);
    if (st != TSR_OK) return raise_err(st, &e);
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:i,s:i,s:K,s:{s:K,s:K,s:K,s:K}}",
                         "documents", (unsigned long long)s.documents,
                         "text_bytes", (unsigned long long)s.text_bytes,
                         "stored_bytes", (unsigned long long)s.stored_bytes,
                         "segments", (unsigned long long)s.segments,
                         "postings", (unsigned long long)s.postings,
                         "postings_bytes", (unsigned long long)s.postings_bytes,
                         "catalog_bytes", (unsigned long long)s.catalog_bytes,
                         "commits", (unsigned long long)s.commits, "ngram", s.ngram,
                         "window", s.window, "shards", (unsigned long long)s.shards, "cache",
                         "bytes", (unsigned long long)s.cache_bytes,
                         "documents", (unsigned long long)s.cache_docs,
                         "hits", (unsigned long long)s.cache_hits,
                         "misses", (unsigned long long)s.cache_misses);
}

/* discover(params, threads, max_df, workdir, new_after, series) ->
 * (links, families, counts, docs): links as tuples (a_doc, b_doc, a_begin,
 * a_end, b_begin, b_end, a_words, b_words, matches, similarity, evalue,
 * family, kind); families as tuples (size, links, same_series, origin,
 * origin_dated, [(docno, begin, end), ...]); docs {docno: (id, title, date,
 * series)} for every linked document (tsr_discovery.docs). */
static PyObject *Index_discover(IndexObject *self, PyObject *args)
{
    PyObject *pd = NULL;
    int threads = 0, max_df = 0, series = 0;
    long long new_after = -1;
    const char *workdir = NULL;
    if (!PyArg_ParseTuple(args, "|OiizLi", &pd, &threads, &max_df, &workdir, &new_after,
                          &series))
        return NULL;
    if (open_or_raise(self) != 0) return NULL;
    tsr_params p;
    if (params_get(pd, &p) != 0) return NULL;
    tsr_discover_opts o;
    tsr_discover_opts_default(&o);
    o.threads = threads;
    o.max_df = max_df;
    o.workdir = workdir;
    o.new_after = new_after;
    o.series = series;
    tsr_discovery *d = NULL;
    tsr_error e = { 0, "" };
    int st;
    Py_BEGIN_ALLOW_THREADS
    st = tsr_discover(self->ix, &p, &o, &d, &e);
    Py_END_ALLOW_THREADS
    if (st != TSR_OK) return raise_err(st, &e);
    PyObject *links = PyList_New((Py_ssize_t)d->n_links);
    PyObject *fams = PyList_New((Py_ssize_t)d->n_families);
    for (size_t i = 0; links && i < d->n_links; i++) {
        const tsr_link *l = &d->links[i];
        PyList_SET_ITEM(links, (Py_ssize_t)i,
                        Py_BuildValue("(LLIIIIIIIddIs)", (long long)l->a_doc,
                                      (long long)l->b_doc, l->a_begin, l->a_end, l->b_begin,
                                      l->b_end, l->a_words, l->b_words, l->matches,
                                      (double)l->similarity, (double)l->evalue, l->family,
                                      tsr_kind_name((int)l->kind)));
    }
    for (size_t i = 0; fams && i < d->n_families; i++) {
        const tsr_family *f = &d->families[i];
        PyObject *mem = PyList_New((Py_ssize_t)f->n);
        for (size_t k = 0; mem && k < f->n; k++) {
            const tsr_member *m = &d->members[f->first + k];
            PyList_SET_ITEM(mem, (Py_ssize_t)k,
                            Py_BuildValue("(LII)", (long long)m->docno, m->begin, m->end));
        }
        PyList_SET_ITEM(fams, (Py_ssize_t)i,
                        Py_BuildValue("(nnnLiN)", (Py_ssize_t)f->n, (Py_ssize_t)f->links,
                                      (Py_ssize_t)f->same_series, (long long)f->origin,
                                      f->origin_dated, mem));
    }
    PyObject *counts = Py_BuildValue("{s:K,s:L,s:K,s:K,s:K,s:i,s:K,s:K,s:K}", "documents",
                                     (unsigned long long)d->documents, "last_docno",
                                     (long long)d->last_docno, "fingerprints",
                                     (unsigned long long)d->fingerprints, "skipped",
                                     (unsigned long long)d->skipped, "candidate_pairs",
                                     (unsigned long long)d->candidate_pairs, "resumed_stages",
                                     d->resumed_stages, "texts_read",
                                     (unsigned long long)d->texts_read, "texts_cached",
                                     (unsigned long long)d->texts_cached, "texts_kept",
                                     (unsigned long long)d->texts_kept);
    /* the linked documents' fields as the discovery had them: no reads again */
    PyObject *docs = PyDict_New();
    for (size_t i = 0; docs && i < d->n_docs; i++) {
        const tsr_document *x = &d->docs[i];
        PyObject *k = PyLong_FromLongLong((long long)x->docno);
        PyObject *v = Py_BuildValue("(zzzz)", x->id, x->title, x->date, x->series);
        if (!k || !v || PyDict_SetItem(docs, k, v) != 0)
            Py_CLEAR(docs);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    tsr_discovery_free(d);
    if (!links || !fams || !counts || !docs) {
        Py_XDECREF(links);
        Py_XDECREF(fams);
        Py_XDECREF(counts);
        Py_XDECREF(docs);
        return NULL;
    }
    return Py_BuildValue("(NNNN)", links, fams, counts, docs);
}

static PyMethodDef Index_methods[] = {
    { "close", (PyCFunction)Index_close, METH_NOARGS, "Close the index." },
    { "add_batch", (PyCFunction)Index_add_batch, METH_VARARGS, "Add documents (tuples)." },
    { "commit", (PyCFunction)Index_commit, METH_NOARGS, "Commit the batch." },
    { "refresh", (PyCFunction)Index_refresh, METH_NOARGS, "See other writers' commits." },
    { "remove", (PyCFunction)Index_remove, METH_VARARGS, "Remove documents by id." },
    { "check", (PyCFunction)Index_check, METH_VARARGS, "Check a text; JSON." },
    { "get", (PyCFunction)Index_get, METH_VARARGS, "A document by id or number." },
    { "stats", (PyCFunction)Index_stats, METH_NOARGS, "Counts." },
    { "discover", (PyCFunction)Index_discover, METH_VARARGS, "Discovery." },
    { NULL, NULL, 0, NULL }
};

static PyTypeObject IndexType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tessera._tessera.Index",
    .tp_basicsize = sizeof(IndexObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Index_init,
    .tp_dealloc = (destructor)Index_dealloc,
    .tp_methods = Index_methods,
    .tp_doc = "An open tessera index (the C handle; see tessera.Index).",
};

/* ------------------------------------------------------------------------
 * dedup(texts, dates, threshold, shingle, perm, keep, threads)
 *   -> (kept_as, clusters) with clusters as (keep, [members], similarity)
 * --------------------------------------------------------------------- */

static PyObject *mod_dedup(PyObject *self, PyObject *args)
{
    PyObject *texts, *dates;
    tsr_dedup_opts o;
    tsr_dedup_opts_default(&o);
    if (!PyArg_ParseTuple(args, "O!O!|diiii", &PyList_Type, &texts, &PyList_Type, &dates,
                          &o.threshold, &o.shingle, &o.perm, &o.keep, &o.threads))
        return NULL;
    tsr_error e = { 0, "" };
    if (tsr_dedup_opts_validate(&o, &e) != TSR_OK) return raise_err(TSR_ERR_INVALID, &e);
    tsr_dedup *dd = NULL;
    int st = tsr_dedup_create(&o, &dd, &e);
    if (st != TSR_OK) return raise_err(st, &e);
    uint16_t *sig = malloc((size_t)o.perm * sizeof *sig);
    const Py_ssize_t n = PyList_GET_SIZE(texts);
    PyObject *out = NULL;
    if (!sig) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < n; i++) {
        text_arg t;
        if (text_get(PyList_GET_ITEM(texts, i), &t, 0) != 0) goto done;
        PyObject *dv = i < PyList_GET_SIZE(dates) ? PyList_GET_ITEM(dates, i) : Py_None;
        const char *date = dv == Py_None ? NULL : PyUnicode_AsUTF8(dv);
        if (dv != Py_None && !date) { text_release(&t); goto done; }
        size_t nsh = 0;
        Py_BEGIN_ALLOW_THREADS
        st = tsr_minhash(t.p, (size_t)t.n, &o, sig, &nsh, &e);
        if (st == TSR_OK) st = tsr_dedup_add(dd, nsh ? sig : NULL, (uint64_t)t.n, date, &e);
        Py_END_ALLOW_THREADS
        text_release(&t);
        if (st != TSR_OK) { raise_err(st, &e); goto done; }
    }
    Py_BEGIN_ALLOW_THREADS
    st = tsr_dedup_run(dd, NULL, NULL, &e);
    Py_END_ALLOW_THREADS
    if (st != TSR_OK) { raise_err(st, &e); goto done; }
    PyObject *kept = PyList_New(n);
    for (Py_ssize_t i = 0; kept && i < n; i++)
        PyList_SET_ITEM(kept, i, PyLong_FromUnsignedLongLong(
                                     (unsigned long long)tsr_dedup_kept_as(dd, (uint64_t)i, NULL)));
    size_t nc = 0;
    const tsr_dedup_cluster *cl = tsr_dedup_clusters(dd, &nc);
    const uint64_t *mem = tsr_dedup_members(dd);
    PyObject *clusters = PyList_New((Py_ssize_t)nc);
    for (size_t c = 0; clusters && c < nc; c++) {
        PyObject *m = PyList_New((Py_ssize_t)cl[c].n);
        for (size_t k = 0; m && k < cl[c].n; k++)
            PyList_SET_ITEM(m, (Py_ssize_t)k,
                            PyLong_FromUnsignedLongLong((unsigned long long)mem[cl[c].first + k]));
        PyList_SET_ITEM(clusters, (Py_ssize_t)c,
                        Py_BuildValue("(KNd)", (unsigned long long)cl[c].keep, m,
                                      cl[c].similarity));
    }
    if (kept && clusters) out = Py_BuildValue("(NN)", kept, clusters);
    else { Py_XDECREF(kept); Py_XDECREF(clusters); }
done:
    free(sig);
    tsr_dedup_free(dd);
    return out;
}

static PyObject *mod_version(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(tsr_version_string());
}

static PyMethodDef mod_methods[] = {
    { "_init", mod_init, METH_VARARGS, "Register the exception classes." },
    { "align", mod_align, METH_VARARGS, "Align two texts; JSON." },
    { "dedup", mod_dedup, METH_VARARGS, "Near-duplicate clusters." },
    { "version", mod_version, METH_NOARGS, "The library's version." },
    { NULL, NULL, 0, NULL }
};

static struct PyModuleDef moddef = {
    PyModuleDef_HEAD_INIT, "_tessera", "The C side of the tessera package.", -1, mod_methods,
    NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit__tessera(void);
PyMODINIT_FUNC PyInit__tessera(void)
{
    if (PyType_Ready(&IndexType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moddef);
    if (!m) return NULL;
    Py_INCREF(&IndexType);
    if (PyModule_AddObject(m, "Index", (PyObject *)&IndexType) < 0) {
        Py_DECREF(&IndexType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
