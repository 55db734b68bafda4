/*
 * fuzz_wet.c - libFuzzer target for the Common Crawl WET reader (the WARC
 * records of read_wet in lib/reader.c), through tsr_reader_open and
 * tsr_reader_next.
 *
 * The first input byte picks how the rest, a WET file, is presented:
 *
 *   mode 0  as is                              in.warc.wet
 *   mode 1  gzip-compressed here               in.warc.wet.gz
 *   mode 2  gzip-compressed here in two members, cut where byte 1 says
 *                                              in.warc.wet.gz
 *   mode 3  the raw bytes named as gzip        in.warc.wet.gz (decoder errors)
 *   mode 4  standard input ("-"): WET when it starts with "WARC/" (else
 *           text or JSON Lines, checked as any document)
 *
 * The second byte picks options: bit 0 a tiny max_doc_bytes (64) so that
 * the size limit trips, else 1 MiB; bit 1 skip_bad.  Without skip_bad the
 * reading goes on after each bad-record error, as a caller may.
 *
 * Besides the sanitizers' checks, the target traps when the reader breaks
 * its contract: a document with a NULL id or text, a text over
 * max_doc_bytes, an id, text, title, date or series that is not valid
 * UTF-8 or holds a NUL byte, a series (the URI's host) that is not part of
 * the title (the URI), an error whose code differs from the status or
 * whose message is empty, an error after an I/O, not-found or
 * out-of-memory error that is not the same one.
 *
 * Differentially, in modes 1 and 2 the same bytes are also read as a
 * plain file: decompression must not change what the reader gives, so the
 * two reads must give the same documents and error codes in the same
 * order, and the same count of skipped records (messages differ: they name
 * the file).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "tessera.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

static void path_of(char *p, size_t n, const char *name)
{
    snprintf(p, n, "%s/%s", dir, name);
}

static void put(const char *name, const uint8_t *data, size_t len)
{
    char p[512];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    if (len && fwrite(data, 1, len, f) != len)
        abort();
    fclose(f);
}

/* Append `len` bytes as one gzip member to `out` (capacity checked). */
static size_t gz_member(uint8_t *out, size_t cap, const uint8_t *data, size_t len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    if (deflateBound(&z, (uLong)len) > cap)
        abort();
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    const size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

/* The data gzip-compressed, as one member, or two cut at `cut`. */
static void put_gz(const char *name, const uint8_t *data, size_t len, size_t cut)
{
    const size_t cap = 2 * (len + 64) + 256;
    uint8_t *out = malloc(cap);
    if (!out)
        abort();
    size_t n = gz_member(out, cap, data, cut);
    if (cut < len)
        n += gz_member(out + n, cap - n, data + cut, len - cut);
    put(name, out, n);
    free(out);
}

static void check_str(const char *s)
{
    size_t off;
    if (s && tsr_utf8_check(s, strlen(s), &off) != TSR_OK)
        __builtin_trap();
}

static int wet_only;   /* the input is WET for sure (not sniffed stdin) */

static void check_doc(const tsr_docinfo *d, size_t max)
{
    size_t off;
    if (!d->id || !d->text || d->text_len > max)
        __builtin_trap();
    if (tsr_utf8_check(d->text, d->text_len, &off) != TSR_OK)
        __builtin_trap();
    check_str(d->id);
    check_str(d->title);
    check_str(d->date);
    check_str(d->series);
    if (!wet_only)
        return;
    if (d->series && (!d->title || !strstr(d->title, d->series)))
        __builtin_trap();
    if (d->meta_json)   /* WET records have no extra fields */
        __builtin_trap();
}

/* FNV-1a over what a read gives, in order. */
static void mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 0x100000001b3ULL;
    *h = (*h ^ 0xFF) * 0x100000001b3ULL; /* a separator */
}

static void mix_str(uint64_t *h, const char *s)
{
    if (s)
        mix(h, s, strlen(s));
    else
        mix(h, "(null)", 7);
}

/* Read all of `path`; returns a digest of the documents, error codes and
 * the count of skipped records. */
static uint64_t read_all(const char *path, unsigned optbits)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    o.max_doc_bytes = (optbits & 1) ? 64 : (size_t)1 << 20;
    o.skip_bad = (optbits & 2) != 0;
    tsr_reader *r = NULL;
    tsr_error e;
    int rc = tsr_reader_open(path, &o, &r, &e);
    if (rc != TSR_OK) {
        if (r || e.code != rc || !e.message[0])
            __builtin_trap();
        mix(&h, &rc, sizeof rc);
        return h;
    }
    int final = TSR_OK;
    for (int i = 0; i < 100000; i++) {
        tsr_docinfo d;
        int eof = 0;
        memset(&e, 0, sizeof e);
        rc = tsr_reader_next(r, &d, &eof, &e);
        if (rc != TSR_OK) {
            if (e.code != rc || !e.message[0] || !memchr(e.message, 0, sizeof e.message))
                __builtin_trap();
            if (final != TSR_OK && rc != final)
                __builtin_trap();
            mix(&h, &rc, sizeof rc);
            if (final != TSR_OK)
                break;   /* it said the same again */
            if (rc == TSR_ERR_IO || rc == TSR_ERR_NOMEM || rc == TSR_ERR_NOTFOUND)
                final = rc;  /* ask once more: the same error must come */
            continue;
        }
        if (final != TSR_OK)
            __builtin_trap();   /* a document after a final error */
        if (eof)
            break;
        check_doc(&d, o.max_doc_bytes);
        mix_str(&h, d.id);
        mix_str(&h, d.title);
        mix_str(&h, d.date);
        mix_str(&h, d.series);
        mix(&h, d.text, d.text_len);
    }
    const uint64_t skipped = tsr_reader_skipped(r);
    if (skipped && !tsr_reader_last_skip(r))
        __builtin_trap();
    mix(&h, &skipped, sizeof skipped);
    tsr_reader_close(r);
    return h;
}

static void clear_dir(void)
{
    static const char *const names[] = { "in.warc.wet", "in.warc.wet.gz", "stdin" };
    char p[512];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        path_of(p, sizeof p, names[i]);
        unlink(p);
    }
}

static void remove_dir(void)
{
    clear_dir();
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/tsr-fuzz-wet-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    if (size < 2)
        return 0;
    const unsigned mode = data[0] % 5, optbits = data[1];
    data += 2;
    size -= 2;
    clear_dir();
    wet_only = mode != 4 || (size >= 5 && memcmp(data, "WARC/", 5) == 0);
    char plain[512], gz[512];
    path_of(plain, sizeof plain, "in.warc.wet");
    path_of(gz, sizeof gz, "in.warc.wet.gz");
    switch (mode) {
    case 0:
        put("in.warc.wet", data, size);
        read_all(plain, optbits);
        break;
    case 1:
    case 2: {
        const size_t cut = mode == 1 ? size : size * (optbits >> 2) / 64;
        put("in.warc.wet", data, size);
        put_gz("in.warc.wet.gz", data, size, cut);
        if (read_all(plain, optbits) != read_all(gz, optbits))
            __builtin_trap();
        break;
    }
    case 3:
        put("in.warc.wet.gz", data, size);
        read_all(gz, optbits);
        break;
    case 4: {
        char p[512];
        put("stdin", data, size);
        path_of(p, sizeof p, "stdin");
        int fd = open(p, O_RDONLY);
        if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
            abort();
        close(fd);
        read_all("-", optbits);
        break;
    }
    }
    return 0;
}
