/*
 * textdict.c - the zstd dictionary of an index's texts (textdict.h).
 *
 * Why.  Every text is a zstd frame of its own, so that one document reads
 * without its neighbours; but a news article is about 1 KB, and a frame
 * that small starts with empty tables: compression ran at 135-158 MB/s and
 * took a third of `tessera index`'s CPU.  With a dictionary trained on the
 * corpus's first texts, each frame starts from the words and phrases the
 * corpus repeats: compression 1.35-1.48 times as fast, decompression 1.2
 * times, the stored texts 15-20% smaller (BENCHMARKS.md, "A zstd
 * dictionary for the stored texts").
 *
 * How.  A writer samples the start of each text it adds until it holds
 * TD_SAMPLE_BYTES (512 KB), then trains one dictionary (fastCover, 3-5
 * ms once) and compresses every later text with it; the texts before stay
 * plain frames.  The dictionary goes into the catalog in the
 * transaction of the commit that first stores a text compressed with it
 * (catalog version 3, table `dicts`: two copies and a checksum, since
 * every text after it needs it), and a writer that opens a catalog with
 * one compresses with that one.  A frame names its dictionary (the id in
 * its header), so readers need no other bookkeeping: a frame that names
 * one is decompressed with it, loaded from the catalog the first time, and
 * plain frames as before.
 */
#include "textdict.h"

/* ZDICT_trainFromBuffer_fastCover and its parameters are in zdict.h's
 * section for static linking, but the shared library exports them and
 * their layout has not changed since zstd 1.3.6 (2018); the stable
 * ZDICT_trainFromBuffer searches its parameters and took 90-115 ms for the
 * same sample, a third of the CPU of indexing 10,000 documents. */
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>

void td_sample_add(td_sample *s, const char *text, size_t len)
{
    if (td_sample_full(s) || len == 0)
        return;
    if (len > TD_PIECE_MAX)
        len = TD_PIECE_MAX;
    /* room for the whole sample at once: it is never more (full at
     * TD_SAMPLE_BYTES, pieces of at most TD_PIECE_MAX), and the pages of a
     * smaller one are never touched, where growing it by doubling copied
     * it and faulted in fresh pages three times over */
    if (!s->buf && !(s->buf = malloc(TD_SAMPLE_BYTES + TD_PIECE_MAX)))
        return;
    s->cap = TD_SAMPLE_BYTES + TD_PIECE_MAX;
    if (tsr_vec_push(&s->sizes, len))
        return;
    memcpy(s->buf + s->len, text, len);
    s->len += len;
}

int td_sample_full(const td_sample *s)
{
    return s->len >= TD_SAMPLE_BYTES;
}

void td_sample_free(td_sample *s)
{
    free(s->buf);
    tsr_vec_free(&s->sizes);
    memset(s, 0, sizeof *s);
}

int td_train(const td_sample *s, void **dict, size_t *len, uint32_t *id)
{
    *dict = NULL;
    *len = 0;
    *id = 0;
    if (s->sizes.n < 16 || s->sizes.n > UINT32_MAX)
        return TSR_ERR_NOTFOUND;
    void *d = malloc(TD_DICT_BYTES);
    if (!d)
        return TSR_ERR_NOMEM;
    /* fixed parameters, no search, one thread, seeded by nothing but the
     * samples: the same texts give the same dictionary, id included (a
     * hash of it).  k and d as zstd's defaults.  f = 17 (tables of 512
     * KB, in the cache) with accel = 4 (a quarter of the positions scored)
     * trains a 512 KB sample in 3-5 ms, where f = 18, accel = 1 took 13-18
     * ms and f = 20 38 ms, for texts -0.2% to +0.5% larger (BENCHMARKS.md);
     * the training runs while the index's other threads wait */
    ZDICT_fastCover_params_t fp;
    memset(&fp, 0, sizeof fp);
    fp.k = 200;
    fp.d = 8;
    fp.f = 17;
    fp.accel = 4;
    fp.zParams.compressionLevel = TD_LEVEL;
    const size_t n = ZDICT_trainFromBuffer_fastCover(d, TD_DICT_BYTES, s->buf, s->sizes.a,
                                                     (unsigned)s->sizes.n, fp);
    const uint32_t did = ZDICT_isError(n) ? 0 : ZDICT_getDictID(d, n);
    if (did == 0) {
        free(d);
        return TSR_ERR_NOTFOUND;
    }
    *dict = d;
    *len = n;
    *id = did;
    return TSR_OK;
}

int td_valid(const void *data, size_t len, uint32_t id)
{
    return data && len > 0 && ZDICT_getDictID(data, len) == id && id != 0;
}

void td_cache_init(td_cache *c)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
}

void td_cache_free(td_cache *c)
{
    for (int i = 0; i < c->n; i++)
        ZSTD_freeDDict(c->dd[i]);
    c->n = 0;
    pthread_mutex_destroy(&c->mu);
}

/* The dictionary `id` if loaded (under c->mu). */
static ZSTD_DDict *find(const td_cache *c, uint32_t id)
{
    for (int i = 0; i < c->n; i++)
        if (c->id[i] == id)
            return c->dd[i];
    return NULL;
}

/* Keep dd as dictionary `id` (under c->mu); dd is freed when the cache is
 * full (more dictionaries than any index holds: each is loaded again). */
static ZSTD_DDict *keep(td_cache *c, uint32_t id, ZSTD_DDict *dd)
{
    ZSTD_DDict *had = find(c, id);
    if (had) {
        ZSTD_freeDDict(dd);
        return had;
    }
    if (c->n == TD_MAX)
        return NULL;
    c->id[c->n] = id;
    c->dd[c->n++] = dd;
    return dd;
}

int td_cache_add(td_cache *c, uint32_t id, const void *data, size_t len, tsr_error *err)
{
    ZSTD_DDict *dd = ZSTD_createDDict(data, len);
    if (!dd)
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for a dictionary");
    pthread_mutex_lock(&c->mu);
    const int kept = keep(c, id, dd) != NULL;
    pthread_mutex_unlock(&c->mu);
    if (!kept)
        ZSTD_freeDDict(dd);
    return TSR_OK;
}

int td_decompress(td_cache *c, cat *cg, cat_reader *rd, ZSTD_DCtx *dc, char *dst,
                  size_t text_len, const void *blob, size_t blen, tsr_error *err)
{
    const uint32_t id = ZSTD_getDictID_fromFrame(blob, blen);
    size_t got;
    if (id == 0) {
        got = dc ? ZSTD_decompressDCtx(dc, dst, text_len, blob, blen)
                 : ZSTD_decompress(dst, text_len, blob, blen);
    } else {
        if (!dc)
            return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
        pthread_mutex_lock(&c->mu);
        ZSTD_DDict *dd = find(c, id), *own = NULL;
        pthread_mutex_unlock(&c->mu);
        if (!dd) {   /* the first frame that names it: from the catalog */
            void *data = NULL;
            size_t len = 0;
            TSR_FORWARD(cat_get_dict(cg, rd, id, &data, &len, NULL, err));
            if (!td_valid(data, len, id)) {
                free(data);
                return tsr_seterr(err, TSR_ERR_CORRUPT, "dictionary %u is not a zstd"
                                  " dictionary of that id", id);
            }
            own = ZSTD_createDDict(data, len);
            free(data);
            if (!own)
                return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory for a dictionary");
            pthread_mutex_lock(&c->mu);
            dd = keep(c, id, own);
            pthread_mutex_unlock(&c->mu);
            if (dd)
                own = NULL;    /* the cache's now */
            else
                dd = own;      /* the cache is full: used once, freed below */
        }
        got = ZSTD_decompress_usingDDict(dc, dst, text_len, blob, blen, dd);
        ZSTD_freeDDict(own);
    }
    if (ZSTD_isError(got) || got != text_len)
        return tsr_seterr(err, TSR_ERR_CORRUPT, "%s",
                          ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong length");
    return TSR_OK;
}
