/*
 * test_shard.c - sharded indexes (lib/shard.c): a corpus indexed as one
 * plain index and as three shards built apart and published must read
 * the same: numbers, documents, checks, discovery; the list's faults, the
 * duplicate rule across shards, appends, unpublished and dropped shards.
 */
#define SYNTH_PROG "test_shard"
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../tools/synth.h"
#include "testhelp.h"
#include "tessera.h"

#include <pthread.h>
#include <sys/stat.h>

#define NDOCS 120
#define NWORDS 300

static char tmpdir[64];
static char *texts[NDOCS];
static char ids[NDOCS][32];

/* Texts from the made-up vocabulary; every fifth copies 80 words of an
 * earlier one, so that discovery has pairs across the shard cuts. */
static void corpus_make(void)
{
    vocab_make(7);
    rng r = { 42 };
    textb tb[NDOCS];
    memset(tb, 0, sizeof tb);
    for (int i = 0; i < NDOCS; i++) {
        tb_filler(&tb[i], &r, NWORDS / 2);
        if (i % 5 == 4) {
            const int j = rng_range(&r, 0, i - 1), at = rng_range(&r, 0, NWORDS / 2 - 80);
            for (int k = 0; k < 80; k++) tb_word(&tb[i], &r, tb[j].words.v[at + k]);
        }
        tb_filler(&tb[i], &r, NWORDS / 2);
        tb_finish(&tb[i]);
        texts[i] = strndup(tb[i].text.s, tb[i].text.len);
        snprintf(ids[i], sizeof ids[i], "doc-%03d", i);
    }
    for (int i = 0; i < NDOCS; i++) tb_free(&tb[i]);
}

static int add_range(tsr_index *ix, int lo, int hi)
{
    tsr_error e;
    for (int i = lo; i < hi; i++) {
        tsr_docinfo d = { .id = ids[i], .text = texts[i], .text_len = strlen(texts[i]) };
        if (tsr_index_add(ix, &d, &e) != TSR_OK) return -1;
    }
    return tsr_index_commit(ix, &e);
}

static char plain[128], sharded[128];

static void test_build(void)
{
    tsr_index *ix = NULL;
    tsr_error e;
    snprintf(plain, sizeof plain, "%s/plain.tsr", tmpdir);
    snprintf(sharded, sizeof sharded, "%s/sharded.tsr", tmpdir);
    CHECK(tsr_index_open(plain, TSR_OPEN_CREATE, &ix, &e) == TSR_OK);
    CHECK(add_range(ix, 0, NDOCS) == TSR_OK);
    tsr_index_close(ix);

    /* three shards, built in any order, published together */
    const int cut[4] = { 0, 37, 90, NDOCS };
    uint64_t first = 99, nums[3];
    CHECK(tsr_shard_next(sharded, &first, &e) == TSR_OK && first == 0);
    for (int k = 2; k >= 0; k--) {
        nums[k] = first + (uint64_t)k;
        CHECK(tsr_shard_create(sharded, nums[k], &ix, &e) == TSR_OK);
        CHECK(add_range(ix, cut[k], cut[k + 1]) == TSR_OK);
        tsr_index_close(ix);
        /* not published: no index to read yet */
        CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &ix, &e) != TSR_OK);
    }
    CHECK(tsr_shard_publish(sharded, nums, 3, &e) == TSR_OK);
    CHECK(tsr_shard_next(sharded, &first, &e) == TSR_OK && first == 3);
    /* a listed shard is neither rebuilt nor dropped */
    CHECK(tsr_shard_create(sharded, 1, &ix, &e) == TSR_ERR_INVALID);
    CHECK(tsr_shard_drop(sharded, 1, &e) == TSR_ERR_INVALID);
}

static void test_same_documents(void)
{
    tsr_index *a = NULL, *b = NULL;
    tsr_error e;
    CHECK(tsr_index_open(plain, TSR_OPEN_READONLY, &a, &e) == TSR_OK);
    CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &b, &e) == TSR_OK);
    if (!a || !b) { tsr_index_close(a); tsr_index_close(b); return; }
    tsr_stats sa, sb;
    CHECK(tsr_index_stats(a, &sa, &e) == TSR_OK && tsr_index_stats(b, &sb, &e) == TSR_OK);
    CHECK(sa.documents == NDOCS && sb.documents == NDOCS);
    CHECK(sa.shards == 1 && sb.shards == 3);
    CHECK(sa.postings == sb.postings && sa.text_bytes == sb.text_bytes);
    int same = 1;
    /* the gets in one snapshot of every shard (tsr_index_read_begin) */
    CHECK(tsr_index_read_begin(b, &e) == TSR_OK);
    for (int i = 0; i < NDOCS; i++) {
        tsr_document *d = NULL;
        if (tsr_index_get_docno(b, i, &d, &e) != TSR_OK || strcmp(d->id, ids[i]) ||
            strcmp(d->text, texts[i]) || d->docno != i)
            same = 0;
        tsr_document_free(d);
        d = NULL;
        if (tsr_index_get(b, ids[i], &d, &e) != TSR_OK || d->docno != i) same = 0;
        tsr_document_free(d);
    }
    tsr_index_read_end(b);
    CHECK(same);
    tsr_document *d = NULL;
    CHECK(tsr_index_get_docno(b, NDOCS, &d, &e) == TSR_ERR_NOTFOUND);
    CHECK(tsr_index_get(b, "nope", &d, &e) == TSR_ERR_NOTFOUND);

    /* a check of a text made of two documents, one on each side of a cut */
    char q[8192];
    snprintf(q, sizeof q, "%.1500s\n\n%.1500s", texts[30] + 200, texts[95] + 100);
    tsr_result *ra = NULL, *rb = NULL;
    CHECK(tsr_index_check(a, q, strlen(q), NULL, &ra, &e) == TSR_OK);
    CHECK(tsr_index_check(b, q, strlen(q), NULL, &rb, &e) == TSR_OK);
    char *ja = ra ? tsr_result_json(ra, 0) : NULL, *jb = rb ? tsr_result_json(rb, 0) : NULL;
    CHECK(ja && jb && !strcmp(ja, jb));
    CHECK(ja && strstr(ja, "doc-030") && strstr(ja, "doc-095"));
    tsr_free(ja);
    tsr_free(jb);
    tsr_result_free(ra);
    tsr_result_free(rb);

    /* discovery: the same links and families, in the same order */
    tsr_discover_opts o;
    tsr_discover_opts_default(&o);
    o.threads = 2;
    tsr_discovery *da = NULL, *db = NULL;
    CHECK(tsr_discover(a, NULL, &o, &da, &e) == TSR_OK);
    CHECK(tsr_discover(b, NULL, &o, &db, &e) == TSR_OK);
    CHECK(da && db && da->n_links >= NDOCS / 5 && da->n_links == db->n_links &&
          !memcmp(da->links, db->links, da->n_links * sizeof *da->links));
    CHECK(da && db && da->n_families == db->n_families && da->n_members == db->n_members &&
          !memcmp(da->members, db->members, da->n_members * sizeof *da->members));
    tsr_discovery_free(da);
    tsr_discovery_free(db);

    int nfiles = 0;
    CHECK(tsr_index_verify(b, NULL, NULL, &e) == TSR_OK);
    (void)nfiles;
    tsr_index_close(a);
    tsr_index_close(b);
}


/* ---- discovery over several processes, played by threads ---------------- */

#define MAXP 4
typedef struct {
    int size;
    pthread_barrier_t bar;
    const void *send[MAXP][MAXP];
    size_t slen[MAXP][MAXP];
} mailbox;

typedef struct {
    mailbox *mb;
    int rank;
} endpoint;

static int thr_exchange(void *ud, const void *const *send, const size_t *send_len,
                        void **recv, size_t *recv_len, char *msg, size_t msg_size)
{
    endpoint *ep = ud;
    mailbox *mb = ep->mb;
    for (int k = 0; k < mb->size; k++) {
        mb->send[ep->rank][k] = send[k];
        mb->slen[ep->rank][k] = send_len[k];
    }
    pthread_barrier_wait(&mb->bar);
    size_t total = 0;
    for (int j = 0; j < mb->size; j++) total += recv_len[j] = mb->slen[j][ep->rank];
    char *buf = malloc(total ? total : 1);
    size_t at = 0;
    for (int j = 0; buf && j < mb->size; j++) {
        if (recv_len[j]) memcpy(buf + at, mb->send[j][ep->rank], recv_len[j]);
        at += recv_len[j];
    }
    pthread_barrier_wait(&mb->bar);   /* the senders' buffers may go now */
    *recv = buf;
    if (!buf) snprintf(msg, msg_size, "out of memory");
    return buf ? 0 : -1;
}

typedef struct {
    endpoint ep;
    tsr_comm comm;
    const char *workdir;
    tsr_discovery *d;
    int rc;
} proc;

static void *proc_main(void *arg)
{
    proc *p = arg;
    tsr_index *ix = NULL;
    tsr_error e;
    p->rc = tsr_index_open(sharded, TSR_OPEN_READONLY, &ix, &e);
    tsr_discover_opts o;
    tsr_discover_opts_default(&o);
    o.threads = 1;
    o.comm = &p->comm;
    o.workdir = p->workdir;
    if (p->rc == TSR_OK) p->rc = tsr_discover(ix, NULL, &o, &p->d, &e);
    tsr_index_close(ix);
    return NULL;
}

/* Run discovery on `size` "processes"; rank 0's result in *out. */
static int run_procs(int size, const char *workdir, tsr_discovery **out)
{
    mailbox mb;
    memset(&mb, 0, sizeof mb);
    mb.size = size;
    pthread_barrier_init(&mb.bar, NULL, (unsigned)size);
    proc ps[MAXP];
    pthread_t th[MAXP];
    for (int k = 0; k < size; k++) {
        ps[k] = (proc){ { &mb, k }, { k, size, thr_exchange, NULL }, workdir, NULL, 0 };
        ps[k].comm.ud = &ps[k].ep;
        pthread_create(&th[k], NULL, proc_main, &ps[k]);
    }
    int ok = 1;
    for (int k = 0; k < size; k++) {
        pthread_join(th[k], NULL);
        if (ps[k].rc != TSR_OK) ok = 0;
        if (k > 0) {
            if (ps[k].d && ps[k].d->n_links) ok = 0;   /* only rank 0 holds links */
            tsr_discovery_free(ps[k].d);
        }
    }
    pthread_barrier_destroy(&mb.bar);
    *out = ps[0].d;
    return ok;
}

static void test_discover_processes(void)
{
    tsr_index *a = NULL;
    tsr_error e;
    CHECK(tsr_index_open(plain, TSR_OPEN_READONLY, &a, &e) == TSR_OK);
    if (!a) return;
    tsr_discover_opts o;
    tsr_discover_opts_default(&o);
    o.threads = 1;
    tsr_discovery *one = NULL;
    CHECK(tsr_discover(a, NULL, &o, &one, &e) == TSR_OK);
    tsr_index_close(a);
    if (!one) return;
    char wd[128];
    snprintf(wd, sizeof wd, "%s/work", tmpdir);
    for (int size = 1; size <= MAXP; size++) {
        for (int again = 0; again < 2; again++) {
            tsr_discovery *d = NULL;
            CHECK(run_procs(size, again || size == 3 ? wd : NULL, &d));
            CHECK(d && d->n_links == one->n_links &&
                  !memcmp(d->links, one->links, one->n_links * sizeof *one->links));
            CHECK(d && d->n_families == one->n_families && d->n_members == one->n_members &&
                  !memcmp(d->members, one->members, one->n_members * sizeof *one->members));
            CHECK(d && d->candidate_pairs == one->candidate_pairs &&
                  d->fingerprints == one->fingerprints && d->skipped == one->skipped);
            if (size == 3 && again) CHECK(d && d->resumed_stages == 2);  /* from the workdir */
            tsr_discovery_free(d);
        }
    }
    tsr_discovery_free(one);
}

static int failing_exchange(void *ud, const void *const *send, const size_t *send_len,
                            void **recv, size_t *recv_len, char *msg, size_t msg_size)
{
    (void)ud; (void)send; (void)send_len; (void)recv_len;
    *recv = NULL;
    snprintf(msg, msg_size, "rank 1 is gone");
    return -1;
}

/* A failed exchange is the call's error, with the caller's message; a
 * comm that makes no sense is refused. */
static void test_discover_comm_errors(void)
{
    tsr_index *ix = NULL;
    tsr_error e;
    CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &ix, &e) == TSR_OK);
    if (!ix) return;
    tsr_comm c = { 0, 2, failing_exchange, NULL };
    tsr_discover_opts o;
    tsr_discover_opts_default(&o);
    o.comm = &c;
    tsr_discovery *d = NULL;
    CHECK(tsr_discover(ix, NULL, &o, &d, &e) == TSR_ERR_IO && d == NULL);
    CHECK(strstr(e.message, "rank 1 is gone") != NULL);
    tsr_comm bad = { 2, 2, failing_exchange, NULL };
    o.comm = &bad;
    CHECK(tsr_discover(ix, NULL, &o, &d, &e) == TSR_ERR_INVALID);
    tsr_index_close(ix);
}

static void test_append_and_duplicates(void)
{
    tsr_index *ix = NULL, *rd = NULL;
    tsr_error e;
    CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &rd, &e) == TSR_OK);
    /* a new shard refuses ids of the listed ones */
    CHECK(tsr_shard_create(sharded, 3, &ix, &e) == TSR_OK);
    tsr_docinfo d = { .id = ids[5], .text = "some words here", .text_len = 15 };
    CHECK(tsr_index_add(ix, &d, &e) == TSR_ERR_DUPLICATE);
    tsr_index_close(ix);
    CHECK(tsr_shard_drop(sharded, 3, &e) == TSR_OK);
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/shard-000003", sharded);
    CHECK(stat(p, &st) != 0);

    /* a writer appends to the last shard, numbering on */
    CHECK(tsr_index_open(sharded, TSR_OPEN_WRITE, &ix, &e) == TSR_OK);
    if (!ix) { tsr_index_close(rd); return; }
    CHECK(tsr_index_add(ix, &d, &e) == TSR_ERR_DUPLICATE);      /* in shard 0 */
    d.id = ids[100];
    CHECK(tsr_index_add(ix, &d, &e) == TSR_ERR_DUPLICATE);      /* in the last */
    d.id = "new-one";
    CHECK(tsr_index_add(ix, &d, &e) == TSR_OK);
    CHECK(tsr_index_commit(ix, &e) == TSR_OK);
    tsr_document *doc = NULL;
    CHECK(tsr_index_get(ix, "new-one", &doc, &e) == TSR_OK && doc->docno == NDOCS);
    tsr_document_free(doc);
    /* a second writer is refused */
    tsr_index *ix2 = NULL;
    CHECK(tsr_index_open(sharded, TSR_OPEN_WRITE, &ix2, &e) == TSR_ERR_LOCKED);
    tsr_index_close(ix);
    /* a reader sees the append after a refresh, in two steps (prepare
     * only tells that something changed; apply refreshes) */
    tsr_stats s;
    tsr_refresh *rf = NULL;
    CHECK(tsr_index_refresh_prepare(rd, &rf, &e) == TSR_OK && rf != NULL);
    CHECK(tsr_index_stats(rd, &s, &e) == TSR_OK && s.documents == NDOCS);
    CHECK(tsr_index_refresh_apply(rd, rf, &e) == TSR_OK && tsr_index_stats(rd, &s, &e) == TSR_OK &&
          s.documents == NDOCS + 1);
    rf = (tsr_refresh *)&e;
    CHECK(tsr_index_refresh_prepare(rd, &rf, &e) == TSR_OK && rf == NULL);
    tsr_index_close(rd);
}

static void write_list(const char *body)
{
    char p[256];
    snprintf(p, sizeof p, "%s/shards", sharded);
    FILE *f = fopen(p, "w");
    if (f) { fputs(body, f); fclose(f); }
}

static void test_bad_lists(void)
{
    tsr_index *ix = NULL;
    tsr_error e;
    write_list("tessera-shards 1\nshard-000000\n../etc\n");
    CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &ix, &e) == TSR_ERR_CORRUPT);
    CHECK(strstr(e.message, "shards:3") != NULL);
    write_list("tessera-shards 2\nshard-000000\n");
    CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &ix, &e) == TSR_ERR_VERSION);
    write_list("hello\n");
    CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &ix, &e) == TSR_ERR_FORMAT);
    write_list("tessera-shards 1\nshard-000000\nshard-000007\n");
    CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &ix, &e) == TSR_ERR_CORRUPT);
    CHECK(strstr(e.message, "shard-000007") != NULL);
    write_list("tessera-shards 1\nshard-000000\nshard-000000\n");
    CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &ix, &e) == TSR_ERR_CORRUPT);
    /* two shards, out of order: numbering follows the list */
    write_list("tessera-shards 1\nshard-000002\nshard-000000\n");
    CHECK(tsr_index_open(sharded, TSR_OPEN_READONLY, &ix, &e) == TSR_OK);
    tsr_document *d = NULL;
    CHECK(ix && tsr_index_get_docno(ix, 0, &d, &e) == TSR_OK && !strcmp(d->id, ids[90]));
    tsr_document_free(d);
    tsr_index_close(ix);
}

/* A plain index that gets shards keeps its documents first ("."). */
static void test_plain_then_shards(void)
{
    tsr_index *ix = NULL;
    tsr_error e;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/grow.tsr", tmpdir);
    CHECK(tsr_index_open(dir, TSR_OPEN_CREATE, &ix, &e) == TSR_OK);
    CHECK(add_range(ix, 0, 10) == TSR_OK);
    tsr_index_close(ix);
    uint64_t n = 0;
    CHECK(tsr_shard_next(dir, &n, &e) == TSR_OK && n == 0);
    CHECK(tsr_shard_create(dir, 0, &ix, &e) == TSR_OK);
    CHECK(add_range(ix, 10, 20) == TSR_OK);
    tsr_docinfo d = { .id = ids[3], .text = "x y z", .text_len = 5 };
    CHECK(tsr_index_add(ix, &d, &e) == TSR_ERR_DUPLICATE);
    tsr_index_close(ix);
    CHECK(tsr_shard_publish(dir, &n, 1, &e) == TSR_OK);
    CHECK(tsr_index_open(dir, TSR_OPEN_READONLY, &ix, &e) == TSR_OK);
    tsr_document *doc = NULL;
    CHECK(ix && tsr_index_get_docno(ix, 15, &doc, &e) == TSR_OK && !strcmp(doc->id, ids[15]));
    tsr_document_free(doc);
    tsr_stats s;
    CHECK(ix && tsr_index_stats(ix, &s, &e) == TSR_OK && s.documents == 20 && s.shards == 2);
    CHECK(ix && tsr_index_verify(ix, NULL, NULL, &e) == TSR_OK);
    tsr_index_close(ix);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tsr-shard-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    corpus_make();
    RUN(test_build);
    RUN(test_same_documents);
    RUN(test_discover_processes);
    RUN(test_discover_comm_errors);
    RUN(test_append_and_duplicates);
    RUN(test_bad_lists);
    RUN(test_plain_then_shards);
    for (int i = 0; i < NDOCS; i++) free(texts[i]);
    if (!getenv("KEEP")) rm_tree(tmpdir);
    return test_report();
}
