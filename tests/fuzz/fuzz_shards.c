/*
 * fuzz_shards.c - libFuzzer target for what sharded indexes and MPI runs
 * read from outside: the shard list of a sharded index (lib/shard.c), and
 * JSON Lines read in byte ranges (lib/reader.c, tsr_reader_opts.range_*).
 *
 * The first input byte picks the mode:
 *
 *   even  the rest is the file `shards` of an index directory that holds
 *         two real shards (shard-000000 with two documents, shard-000001
 *         with one, made once per process); tsr_index_open must refuse it or
 *         open an index whose counts and documents are sound: every listed
 *         document is found by number, and a check and a lookup run.
 *   odd   the rest (after 3 more bytes, cut points) is a JSON Lines file,
 *         read whole and in up to four byte ranges, with skip_bad: the
 *         parts together must give exactly the whole read's documents and
 *         skipped records, in order (a digest of each is compared), else
 *         the target traps.
 *
 * Files live under $TMPDIR (else /tmp): the campaign sets it to /dev/shm,
 * where the file written for each input and the shards' SQLite opens cost
 * far less than on ext4.  The directory is removed at exit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

static const char *tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t && strlen(t) < 160 ? t : "/tmp";
}

static void remove_all(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "fuzz_shards: could not remove %s\n", dir);
}

/* The index directory with two shards, made on the first call. */
static int setup(void)
{
    if (dir[0]) return 0;
    snprintf(dir, sizeof dir, "%s/fuzz-shards-XXXXXX", tmpdir());
    if (!mkdtemp(dir)) {
        dir[0] = 0;
        return -1;
    }
    atexit(remove_all);
    static const char *text[3] = {
        "the lighthouse keeper climbed the iron stairs every evening at dusk",
        "a loaf of bread needs flour water salt and a long slow rise",
        "the keeper climbed the iron stairs every evening and wound the clock" };
    static const char *id[3] = { "a", "b", "c" };
    for (int k = 0, d = 0; k < 2; k++) {
        tsr_index *ix = NULL;
        tsr_error e;
        if (tsr_shard_create(dir, (uint64_t)k, &ix, &e) != TSR_OK) return -1;
        for (int j = 0; j < (k ? 1 : 2); j++, d++) {
            tsr_docinfo doc = { .id = id[d], .text = text[d], .text_len = strlen(text[d]) };
            tsr_index_add(ix, &doc, &e);
        }
        tsr_index_commit(ix, &e);
        tsr_index_close(ix);
    }
    return 0;
}

static void list_mode(const uint8_t *data, size_t size)
{
    if (setup() != 0) return;
    char path[300];
    snprintf(path, sizeof path, "%s/shards", dir);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    tsr_index *ix = NULL;
    tsr_error e;
    if (tsr_index_open(dir, TSR_OPEN_READONLY, &ix, &e) != TSR_OK) return;
    tsr_stats st;
    if (tsr_index_stats(ix, &st, &e) != TSR_OK || st.documents > 3 * st.shards) __builtin_trap();
    for (uint64_t d = 0; d < st.documents; d++) {
        tsr_document *doc = NULL;
        if (tsr_index_get_docno(ix, (int64_t)d, &doc, &e) != TSR_OK) __builtin_trap();
        tsr_document_free(doc);
    }
    tsr_result *r = NULL;
    const char *q = "every evening at dusk the keeper climbed the iron stairs and wound it";
    if (tsr_index_check(ix, q, strlen(q), NULL, &r, &e) == TSR_OK) tsr_result_free(r);
    tsr_index_verify(ix, NULL, NULL, &e);
    tsr_index_close(ix);
}

/* FNV-1a over the documents and skips a read gives, in order. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

static uint64_t read_part(const char *path, uint64_t begin, uint64_t end, uint64_t h,
                          uint64_t *skipped)
{
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.skip_bad = 1;
    o.max_doc_bytes = 4096;
    o.range_begin = begin;
    o.range_end = end;
    tsr_reader *r = NULL;
    tsr_error e;
    if (tsr_reader_open(path, &o, &r, &e) != TSR_OK) __builtin_trap();
    for (;;) {
        tsr_docinfo d;
        int eof = 0;
        if (tsr_reader_next(r, &d, &eof, &e) != TSR_OK || eof) break;
        h = mix(h, d.id, strlen(d.id));
        h = mix(h, d.text, d.text_len);
        uint64_t line;
        tsr_reader_where(r, NULL, &line);
        h = mix(h, &line, sizeof line);
    }
    *skipped += tsr_reader_skipped(r);
    tsr_reader_close(r);
    return h;
}

static void range_mode(const uint8_t *data, size_t size)
{
    if (size < 3) return;
    const uint8_t *cut = data;
    data += 3;
    size -= 3;
    char path[256];
    snprintf(path, sizeof path, "%s/fuzz-range-XXXXXX.jsonl", tmpdir());
    int fd = mkstemps(path, 6);
    if (fd < 0) return;
    if (size && write(fd, data, size) != (ssize_t)size) { close(fd); unlink(path); return; }
    close(fd);
    uint64_t whole_skips = 0, part_skips = 0;
    const uint64_t whole = read_part(path, 0, 0, 14695981039346656037ull, &whole_skips);
    /* cut points at fractions of the file, increasing */
    uint64_t pts[5] = { 0 };
    size_t np = 1;
    for (int k = 0; k < 3; k++) {
        const uint64_t p = (uint64_t)cut[k] * size / 256;
        if (p > pts[np - 1]) pts[np++] = p;
    }
    pts[np] = 0;   /* the last part runs to the end */
    uint64_t h = 14695981039346656037ull;
    for (size_t k = 0; k < np; k++) h = read_part(path, pts[k], pts[k + 1], h, &part_skips);
    unlink(path);
    if (h != whole || part_skips != whole_skips) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (data[0] & 1) range_mode(data + 1, size - 1);
    else list_mode(data + 1, size - 1);
    return 0;
}
