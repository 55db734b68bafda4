/*
 * fuzz_reader.c - libFuzzer target for the document readers (lib/reader.c).
 *
 * The first input byte picks how the rest is presented to the reader:
 *
 *   mode 0  a text file            in.txt
 *   mode 1  a JSON Lines file      in.jsonl
 *   mode 2  raw bytes as gzip      in.jsonl.gz   (decoder error paths)
 *   mode 3  raw bytes as zstd      in.jsonl.zst
 *   mode 4  JSON Lines, gzip-compressed here     in.jsonl.gz
 *   mode 5  JSON Lines, zstd-compressed here     in.jsonl.zst
 *   mode 6  text, gzip-compressed here           in.txt.gz
 *   mode 7  a directory: the rest is cut at 0xFF bytes into up to eight
 *           files of mixed kinds, one in a subdirectory, one hidden
 *   mode 8  standard input ("-"): the bytes become file descriptor 0
 *   mode 9  a Common Crawl WET file              in.warc.wet
 *   mode 10 WET, gzip-compressed here            in.warc.wet.gz
 *   mode 11 raw bytes as bzip2     in.jsonl.bz2  (decoder error paths)
 *   mode 12 JSON Lines, bzip2-compressed here    in.jsonl.bz2
 *
 * The second byte picks options: bit 0 custom field names, bit 1 a tiny
 * max_doc_bytes (64) so that the size limits trip, else 1 MiB (which also
 * bounds memory on decompression bombs).
 *
 * Every input is read twice, with skip_bad off (going on after each
 * bad-record error, as a caller may) and on.  Besides the sanitizers'
 * checks, the target traps when a document breaks the reader's contract:
 * a NULL id or text, a text over the limit, or a text or id that is not
 * valid UTF-8 without NUL bytes.
 *
 * Raw mode, differentially: each of those reads is done again with
 * raw_jsonl, JSON lines parsed here by tsr_parse_jsonl (with the file and
 * line from tsr_reader_where) and bad ones skipped or returned as the
 * reader would.  Both reads must give the same sequence of documents and
 * errors, byte for byte (a digest of each is compared), the same count of
 * skipped records and the same last skip message; else the target traps.
 * Standard input (mode 8), which can be read once only, is read in raw
 * mode when bit 2 of the second byte is set.  Raw compressed bytes (modes
 * 2, 3 and 11) that expand past 4 MB (is_bomb) are read as is only.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>
#include <xxhash.h>

#include "tessera.h"

static char dir[256];

static void put(const char *name, const uint8_t *data, size_t len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    if (len && fwrite(data, 1, len, f) != len)
        abort();
    fclose(f);
}

static void put_gz(const char *name, const uint8_t *data, size_t len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&z, (uLong)len);
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    put(name, out, cap - z.avail_out);
    deflateEnd(&z);
    free(out);
}

static void put_zst(const char *name, const uint8_t *data, size_t len)
{
    size_t cap = ZSTD_compressBound(len);
    uint8_t *out = malloc(cap);
    size_t n = ZSTD_compress(out, cap, data, len, 1);
    if (ZSTD_isError(n))
        abort();
    put(name, out, n);
    free(out);
}

static void put_bz2(const char *name, const uint8_t *data, size_t len)
{
    unsigned cap = (unsigned)(len + len / 100 + 600);
    char *out = malloc(cap);
    if (!out || BZ2_bzBuffToBuffCompress(out, &cap, (char *)data, (unsigned)len, 1, 0, 0) != BZ_OK)
        abort();
    put(name, (const uint8_t *)out, cap);
    free(out);
}

static void check_doc(const tsr_docinfo *d, size_t max)
{
    size_t off;
    if (!d->id || !d->text || d->text_len > max)
        __builtin_trap();
    if (tsr_utf8_check(d->text, d->text_len, &off) != TSR_OK)
        __builtin_trap();
    if (tsr_utf8_check(d->id, strlen(d->id), &off) != TSR_OK)
        __builtin_trap();
    if (d->meta_json && d->meta_json[0] != '{')
        __builtin_trap();
}

/* What a read gave: a digest of its documents and errors, in order;
 * `capped` when it stopped at READ_CAP calls before the end.  An input of
 * at most a few KB holds a few thousand records unless it is compressed;
 * the reads that reach the cap are decompression bombs (200 bytes of
 * bzip2, 131,497 lines), whose reads are not compared (read_both), so
 * the cap only bounds how long they take: at 100,000 calls the bombs the
 * campaign kept took half its time. */
#define READ_CAP 10000
typedef struct outcome {
    uint64_t h;
    uint64_t skipped;
    char last[512];
    int capped;
} outcome;

/* Each field hashed with the digest so far as its seed (XXH3 counts the
 * length, so "ab","c" and "a","bc" differ).  libxxhash, not a loop here:
 * the target's own code is instrumented, and a byte loop over every text
 * read was an eighth of its time. */
static void mix(uint64_t *h, const void *p, size_t n)
{
    *h = XXH3_64bits_withSeed(p, n, *h);
}

static void mix_str(uint64_t *h, const char *s)
{
    if (s)
        mix(h, s, strlen(s));
    else
        mix(h, "(null)", 7);
}

static void mix_doc(uint64_t *h, const tsr_docinfo *d)
{
    mix(h, "doc", 3);
    mix_str(h, d->id);
    mix_str(h, d->title);
    mix_str(h, d->date);
    mix_str(h, d->series);
    mix_str(h, d->meta_json);
    mix(h, d->text, d->text_len);
}

static void mix_err(uint64_t *h, int rc, const char *msg)
{
    mix(h, &rc, sizeof rc);
    mix_str(h, msg);
}

static void read_all(const char *path, int skip_bad, unsigned optbits, int raw,
                     outcome *out)
{
    memset(out, 0, sizeof *out);
    out->h = 0xcbf29ce484222325ULL;
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.skip_bad = skip_bad;
    o.max_doc_bytes = (optbits & 2) ? 64 : (size_t)1 << 20;
    if (optbits & 1) {
        o.id_field = "n";
        o.text_field = "body";
        o.series_field = "id";
    }
    o.raw_jsonl = raw;
    tsr_reader *r = NULL;
    tsr_error e;
    int rc = tsr_reader_open(path, &o, &r, &e);
    if (rc != TSR_OK) {
        mix_err(&out->h, rc, e.message);
        return;
    }
    uint64_t skipped = 0, parse_skipped = 0;
    int i;
    for (i = 0; i < READ_CAP; i++) {
        tsr_docinfo d;
        int eof = 0;
        rc = tsr_reader_next(r, &d, &eof, &e);
        if (tsr_reader_skipped(r) != skipped) { /* the newest skip */
            skipped = tsr_reader_skipped(r);
            snprintf(out->last, sizeof out->last, "%s", tsr_reader_last_skip(r));
        }
        if (rc != TSR_OK) {
            if (e.code != rc || !memchr(e.message, 0, sizeof e.message))
                __builtin_trap();
            mix_err(&out->h, rc, e.message);
            if (rc == TSR_ERR_IO || rc == TSR_ERR_NOMEM || rc == TSR_ERR_NOTFOUND)
                break;
            continue;
        }
        if (eof)
            break;
        if (raw && !d.id) {
            const char *file = NULL;
            uint64_t line = 0;
            tsr_reader_where(r, &file, &line);
            if (!file || !line || !d.text)
                __builtin_trap();
            tsr_jsonl_doc *jd = NULL;
            rc = tsr_parse_jsonl(&o, d.text, d.text_len, file, line, &jd, &e);
            if (rc != TSR_OK) {
                if (jd || e.code != rc || !memchr(e.message, 0, sizeof e.message))
                    __builtin_trap();
                if (skip_bad && rc != TSR_ERR_NOMEM) {
                    parse_skipped++;
                    snprintf(out->last, sizeof out->last, "%s", e.message);
                } else {
                    mix_err(&out->h, rc, e.message);
                }
                continue;
            }
            check_doc(&jd->doc, o.max_doc_bytes);
            mix_doc(&out->h, &jd->doc);
            tsr_jsonl_doc_free(jd);
            continue;
        }
        check_doc(&d, o.max_doc_bytes);
        mix_doc(&out->h, &d);
    }
    out->capped = i == READ_CAP;
    (void)tsr_reader_bytes_done(r);
    out->skipped = tsr_reader_skipped(r) + parse_skipped;
    if (!raw && tsr_reader_last_skip(r) &&
        strcmp(tsr_reader_last_skip(r), out->last) != 0)
        __builtin_trap();
    tsr_reader_close(r);
}

/* Does `data`, as gzip (kind 'g'), zstd ('z') or bzip2 ('b'), possibly in
 * several members or frames, expand past BOMB_BYTES before its end or
 * its first error?  Decompressed here with the same libraries, up to
 * that much. */
#define BOMB_BYTES ((size_t)4 << 20)
static int is_bomb(int kind, const uint8_t *data, size_t size)
{
    static uint8_t buf[65536];
    size_t total = 0;
    if (kind == 'g') {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 32) != Z_OK)
            abort();
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)size;
        while (total < BOMB_BYTES) {
            z.next_out = buf;
            z.avail_out = sizeof buf;
            int zr = inflate(&z, Z_NO_FLUSH);
            total += sizeof buf - z.avail_out;
            if (zr == Z_STREAM_END && z.avail_in > 0)
                zr = inflateReset(&z);
            else if (zr == Z_STREAM_END || (zr == Z_BUF_ERROR && z.avail_in == 0))
                break;
            if (zr != Z_OK && zr != Z_BUF_ERROR)
                break;
        }
        inflateEnd(&z);
    } else if (kind == 'z') {
        ZSTD_DStream *zs = ZSTD_createDStream();
        if (!zs)
            abort();
        ZSTD_inBuffer in = { data, size, 0 };
        while (total < BOMB_BYTES) {
            ZSTD_outBuffer ob = { buf, sizeof buf, 0 };
            size_t zr = ZSTD_decompressStream(zs, &ob, &in);
            total += ob.pos;
            if (ZSTD_isError(zr) || (ob.pos == 0 && in.pos == in.size))
                break;
        }
        ZSTD_freeDStream(zs);
    } else {
        bz_stream b;
        memset(&b, 0, sizeof b);
        if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
            abort();
        b.next_in = (char *)data;
        b.avail_in = (unsigned)size;
        while (total < BOMB_BYTES) {
            b.next_out = (char *)buf;
            b.avail_out = sizeof buf;
            int br = BZ2_bzDecompress(&b);
            total += sizeof buf - b.avail_out;
            if (br == BZ_STREAM_END && b.avail_in > 0) {
                unsigned left = b.avail_in;
                char *next = b.next_in;
                BZ2_bzDecompressEnd(&b);
                memset(&b, 0, sizeof b);
                if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
                    abort();
                b.next_in = next;
                b.avail_in = left;
            } else if (br != BZ_OK || (b.avail_out > 0 && b.avail_in == 0)) {
                break;
            }
        }
        BZ2_bzDecompressEnd(&b);
    }
    return total >= BOMB_BYTES;
}

/* Read `path` as is and in raw mode: both must give the same, when both
 * read to the end.  A bomb (is_bomb: a few hundred bytes of bzip2 expand
 * to 20 MB) is read as is only: each read of it decompresses all of it
 * (one line of 20 MB is read to its end to be skipped), four reads of the
 * bombs the campaign kept took most of its time, and a read of more
 * records than READ_CAP is not compared anyway.  (A read stopped at READ_CAP calls cannot be compared:
 * a bad line that skip_bad skips takes no call of its own in the reader
 * and one here in raw mode, so a few hundred bytes of bzip2 that expand
 * to 131,497 bad lines were read whole one way and cut the other: the
 * target's own fault, regress-bzip2-lines.) */
static void read_both(const char *path, int skip_bad, unsigned optbits, int bomb)
{
    outcome a, b;
    read_all(path, skip_bad, optbits, 0, &a);
    if (bomb)
        return;
    read_all(path, skip_bad, optbits, 1, &b);
    if (a.capped || b.capped)
        return;
    if (a.h != b.h || a.skipped != b.skipped || strcmp(a.last, b.last) != 0)
        __builtin_trap();
}

static void clear_dir(void)
{
    static const char *const names[] = {
        "in.txt", "in.jsonl", "in.jsonl.gz", "in.jsonl.zst", "in.txt.gz",
        "d/0.txt", "d/1.jsonl", "d/2.jsonl.gz", "d/3.txt.zst", "d/4.ndjson",
        "d/5.json.zst", "d/.6.txt", "d/sub/7.txt", "stdin", "in.warc.wet",
        "in.warc.wet.gz", "in.jsonl.bz2",
    };
    char p[512];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
}

static void remove_dir(void)
{
    char p[512];
    clear_dir();
    snprintf(p, sizeof p, "%s/d/sub", dir);
    rmdir(p);
    snprintf(p, sizeof p, "%s/d", dir);
    rmdir(p);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/tsr-fuzz-reader-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir))
            abort();
        char p[512];
        snprintf(p, sizeof p, "%s/d", dir);
        mkdir(p, 0700);
        snprintf(p, sizeof p, "%s/d/sub", dir);
        mkdir(p, 0700);
        atexit(remove_dir);
    }
    if (size < 2)
        return 0;
    unsigned mode = data[0] % 13, optbits = data[1];
    data += 2;
    size -= 2;
    clear_dir();

    char path[512];
    const char *name = NULL;
    switch (mode) {
    case 0: put(name = "in.txt", data, size); break;
    case 1: put(name = "in.jsonl", data, size); break;
    case 2: put(name = "in.jsonl.gz", data, size); break;
    case 3: put(name = "in.jsonl.zst", data, size); break;
    case 4: put_gz(name = "in.jsonl.gz", data, size); break;
    case 5: put_zst(name = "in.jsonl.zst", data, size); break;
    case 6: put_gz(name = "in.txt.gz", data, size); break;
    case 9: put(name = "in.warc.wet", data, size); break;
    case 10: put_gz(name = "in.warc.wet.gz", data, size); break;
    case 11: put(name = "in.jsonl.bz2", data, size); break;
    case 12: put_bz2(name = "in.jsonl.bz2", data, size); break;
    case 7: {
        static const char *const files[] = {
            "d/0.txt", "d/1.jsonl", "d/2.jsonl.gz", "d/3.txt.zst",
            "d/4.ndjson", "d/5.json.zst", "d/.6.txt", "d/sub/7.txt",
        };
        size_t k = 0, start = 0;
        for (size_t i = 0; i <= size && k < 8; i++) {
            if (i == size || data[i] == 0xFF) {
                const uint8_t *piece = data + start;
                size_t n = i - start;
                if (k == 2) put_gz(files[k], piece, n);
                else if (k == 3 || k == 5) put_zst(files[k], piece, n);
                else put(files[k], piece, n);
                k++;
                start = i + 1;
            }
        }
        name = "d";
        break;
    }
    case 8: {
        put("stdin", data, size);
        snprintf(path, sizeof path, "%s/stdin", dir);
        int fd = open(path, O_RDONLY);
        if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
            abort();
        close(fd);
        outcome a;
        read_all("-", 0, optbits, (optbits & 4) != 0, &a);
        return 0; /* stdin is consumed: one pass only */
    }
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int bomb = (mode == 2 && is_bomb('g', data, size)) ||
               (mode == 3 && is_bomb('z', data, size)) ||
               (mode == 11 && is_bomb('b', data, size));
    read_both(path, 0, optbits, bomb);
    read_both(path, 1, optbits, bomb);
    return 0;
}
