/*
 * reader.c - documents from files: plain text, directories, JSON Lines,
 * gzip, zstd or bzip2 compressed, and standard input (tsr_reader_*).
 *
 * A reader turns one input path into a stream of tsr_docinfo records:
 *
 *   - a file whose name ends in .jsonl, .ndjson or .json (optionally
 *     followed by .gz, .zst or .bz2) is JSON Lines: one object per line;
 *   - any other file is one text document; its id and title are the path
 *     as given;
 *   - a directory is walked recursively; its regular files (and symbolic
 *     links to regular files) are read in byte order of their full paths,
 *     each by the rule above.  Entries whose name starts with '.' or '_'
 *     (Spark's _SUCCESS, _temporary/), .crc files (Hadoop checksums) and
 *     symbolic links to directories (no loops) are skipped; a text file
 *     of the directory with a NUL byte is binary: skipped, counted and
 *     told in a notice (tsr_reader_notice), as ripgrep does, rather than a
 *     bad record that stops the run;
 *   - "-" is standard input: gzip, zstd or bzip2 when it starts with their magic
 *     bytes, then JSON Lines when its first non-space byte is '{', else one
 *     text document with id and title "-".
 *
 * HOW IT WORKS
 *
 * Below the document logic sits a byte source (struct bytesrc): a file
 * descriptor, optionally decoded by zlib's inflate (gzip, concatenated
 * members allowed), ZSTD_decompressStream (several frames allowed) or
 * libbz2's BZ2_bzDecompress (several streams allowed).
 * The source counts the raw (compressed) bytes it has read, which gives
 * the progress figures.
 *
 * Text files are read whole into one growing buffer: a single read() for
 * a plain file, sized from fstat.  JSON Lines go through a line buffer:
 * data is read in chunks of at least 1 MiB, lines are found with memchr,
 * and the buffer grows (doubling) for long lines, so a line of hundreds
 * of megabytes works; the only limit is max_doc_bytes (below).  Each line
 * is parsed (two paths, below); the text and other strings handed out
 * point into the parsed line's own memory, which lives until the next
 * call.
 *
 * TWO PATHS
 *
 * jansson is the parser of record: every rule and every message below is
 * what parse_line makes of jansson's tree.  But a tree is a costly way to
 * read {"id": ..., "text": ...}: jansson reads a byte at a time through a
 * stream, checks UTF-8 as it goes, grows a string buffer, hashes every key
 * into the object and copies every value, and the reader then looks each
 * field up again.  That was 44% of the CPU of `tessera dedup` and 31% of
 * `tessera index` (BENCHMARKS.md, issue 13).
 *
 * So a fast path (fast_line) goes first, for the common record only: a
 * flat object whose keys are all field names (id, text, title, date,
 * series as configured), each once, with values that are strings,
 * integers (-?(0|[1-9][0-9]*), 18 digits at most, so that json_int_t
 * holds them; no fraction, no exponent) or null, with JSON whitespace
 * between the tokens and nothing after the object but whitespace.  It
 * scans the line once, left to right:
 *
 *   - a key is plain printable ASCII between quotes, no escape, compared
 *     with the field names (a key may name several fields, as jansson's
 *     lookup of each name would find it);
 *   - a string value is copied into one buffer of the line's length that
 *     the parsed line owns (jdoc.strs), eight bytes at a time while no
 *     byte is '"', '\' or a control byte (SWAR, as text.c does), with its
 *     escapes decoded: \" \\ \/ \b \f \n \r \t and \uXXXX, a surrogate
 *     pair as one character; decoding never lengthens a string, so the
 *     buffer is enough for all.  Raw bytes of 0x80 and above are checked
 *     by tsr_utf8_check's rules (text_check), which are jansson's (RFC
 *     3629: no overlong form, no surrogate, nothing above U+10FFFF);
 *   - an integer is printed back with JSON_INTEGER_FORMAT, as get_field
 *     prints jansson's.
 *
 * Then parse_line's rules, in its order: the text a string within
 * max_doc_bytes, its "\u0000" made spaces, a non-empty id, no NUL in the
 * other fields.  A record the fast path takes needs no meta_json (there
 * is no other field) and gets exactly jansson's strings.
 *
 * At any doubt the fast path declines and the line goes to jansson as if
 * the fast path did not exist: any other key (its value belongs to
 * meta_json, which is jansson's canonical dump), a key twice (jansson
 * keeps the last), an escape in a key, a nested value, true or false, a
 * real or a long integer, a raw control or NUL byte, a bad or lone
 * escape, invalid UTF-8, a line over the limit, a broken line, a record
 * parse_line would refuse; and out of memory.  The fast path never
 * reports an error: every error, and every message, is jansson's path's.
 * tests/fuzz/fuzz_jsonl.c checks this differentially (each path alone,
 * lib/reader.h).  (With allow_nul, a line with raw NUL bytes is declined,
 * refused by jansson, and its copy with spaces for the NULs goes through
 * both paths again, as it went through jansson before.)  A plain record
 * costs about a twentieth of what jansson took: 2-4% of the CPU of index
 * and dedup.
 *
 * PARALLEL PARSING
 *
 * Parsing, even the fast path, costs more than finding the lines, and the
 * byte source is sequential.  So the parser (parse_line) is a pure
 * function of its arguments, public as tsr_parse_jsonl: in raw mode
 * (tsr_reader_opts.raw_jsonl) the reader only finds the lines, hands each
 * out unparsed, and the caller parses them on as many threads as it
 * likes, with the same rules and the same messages as the reader's own
 * parse.  Lines too long, blank lines and byte order marks are still the
 * reader's business in raw mode; text and WET files are read as always.
 *
 * EDGE CASES AND CHOICES
 *
 * - An empty text file is a document with empty text (text_len 0): the
 *   caller decides what to do with it (the index keeps it, with no
 *   postings, and `tessera index` reports it; a check of it answers no
 *   passage).  Empty JSON Lines files, blank lines and empty directories
 *   give no documents.
 * - A leading UTF-8 byte order mark is dropped from text files and from
 *   the first line of JSON Lines files.  The text handed out starts after
 *   it, and all byte offsets, including those in error messages, count in
 *   the text as handed out (not in the file).
 * - JSON Lines fields: the id may be a string or an integer (given as its
 *   decimal text); title, date and series likewise, or null/absent.  All
 *   other fields go to meta_json as one compact object with sorted keys
 *   (NULL when there are none).  An empty id, a missing or non-string text
 *   are bad records.
 * - UTF-8 in JSON is validated by jansson (TSR_ERR_UTF8, byte offset in the
 *   line; the fast path declines such lines); "\u0000" in the text field is a character of the text, read as
 *   a space (one byte, like the NUL it decodes to: offsets hold); in the
 *   id, title, date and series it is refused as TSR_ERR_NUL.  Text files
 *   are checked with tsr_utf8_check.  With allow_nul every NUL byte, in
 *   text files, WET records and JSON lines, is read as a space.
 * - Size limit: a text longer than max_doc_bytes is TSR_ERR_TOOBIG.  A
 *   JSON line may be longer than its text (escapes, other fields): lines
 *   are buffered up to max_doc_bytes + max_doc_bytes/4 + 1 MiB; a longer
 *   line is refused without being buffered, and reading goes on after it.
 * - Bad records (malformed JSON, missing field, invalid UTF-8, NUL, too
 *   big, and a corrupt gzip/zstd/bzip2 stream) are returned as errors, or with
 *   skip_bad counted and skipped.  After a returned bad-record error the
 *   reader stands at the next record (the next line, or the next file for
 *   text files and corrupt streams), so a caller may go on calling
 *   tsr_reader_next.  I/O errors, a missing file and out of memory are
 *   never skipped and are final: every later call returns the same error.
 */
#include "common/common.h"
#include "reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bzlib.h>
#include <jansson.h>
#include <zlib.h>
#include <zstd.h>

/* ------------------------------------------------------------------------
 * Types
 * --------------------------------------------------------------------- */

#ifndef TSR_FUZZING
#define RAW_CHUNK ((size_t)1 << 20)  /* compressed input buffer */
#define READ_CHUNK ((size_t)1 << 20) /* least free room for each read */
#else
/* Fuzzing builds (tests/fuzz/Makefile): buffers of a few dozen bytes, so
 * that inputs of a few hundred bytes cross buffer boundaries (refills,
 * lines and gzip/zstd frames split between reads) and an execution does
 * not map and fault in megabytes under ASan (fuzz_reader: 315 -> 2,800
 * exec/s; tests/fuzz/README.md). */
#define RAW_CHUNK ((size_t)61)
#define READ_CHUNK ((size_t)67)
#endif
#define DEFAULT_MAX_DOC ((size_t)1 << 30)
#define DEFAULT_MAX_META ((size_t)1 << 20)

enum { COMP_NONE, COMP_GZIP, COMP_ZSTD, COMP_BZIP2, COMP_AUTO };
enum { KIND_TEXT, KIND_JSONL, KIND_WET, KIND_SNIFF };
enum { F_ID, F_TEXT, F_TITLE, F_DATE, F_SERIES, F_COUNT };
/* read_text: the file is binary and was skipped (a notice says so) */
enum { RD_BINARY = -1 };

/* The longest list of notices kept waiting for tsr_reader_notice; more
 * binary files are still skipped and counted, without a notice. */
#define MAX_NOTICES 4096

/* A stream of bytes from a file descriptor, decoded when compressed. */
typedef struct bytesrc {
    const char *name;     /* for messages */
    int fd, own_fd, comp;
    z_stream z;
    int z_init;
    bz_stream bz;
    int bz_init;
    ZSTD_DStream *zs;
    size_t zs_last;       /* last ZSTD_decompressStream hint; 0 = frame done */
    unsigned char *in;    /* raw input buffer (compressed, or sniffed) */
    size_t in_pos, in_len, in_cap;
    int in_eof;           /* read() returned 0 */
    int done;             /* gzip: the last member ended */
    uint64_t raw;         /* raw bytes read from fd */
} bytesrc;

typedef struct entry {
    char *path;
    uint64_t size;        /* from stat; 0 when not a regular file */
} entry;

/* The options a JSON line is parsed with, resolved: field names (defaults
 * for NULL or empty ones) and the limits.  The reader keeps one; each
 * tsr_parse_jsonl call makes one on its stack. */
typedef struct jopts {
    const char *field[F_COUNT];
    size_t flen[F_COUNT]; /* strlen of each name */
    int path;             /* RD_PATH_BOTH, or one path alone (reader.h) */
    size_t max_doc;       /* largest text */
    size_t max_meta;      /* largest meta_json */
    size_t line_limit;    /* longest line */
    int allow_nul;        /* raw NUL bytes in a line read as spaces */
} jopts;

/* A parsed JSON line.  The public part comes first, so that a
 * tsr_jsonl_doc pointer handed out is a pointer to the whole. */
typedef struct jdoc {
    tsr_jsonl_doc pub;
    json_t *root;         /* the strings of pub.doc point into it ... */
    char *meta;           /* ... or here ... */
    char *strs;           /* ... or here (the fast path's strings) ... */
    char num[F_COUNT][24]; /* ... or here (integer fields as text) */
    int fast;             /* parsed by the fast path */
} jdoc;

struct tsr_reader {
    tsr_reader_opts o;
    char *field[F_COUNT]; /* owned copies of the field names */
    size_t line_limit;    /* longest JSON line buffered */

    TSR_VEC(entry) files;
    size_t fi;            /* current file */
    int is_stdin;

    /* the open file */
    int open;
    int kind;
    int file_done;        /* close the file before going on */
    const char *name;     /* file name in messages */
    bytesrc src;
    uint64_t lineno;
    uint64_t next_at;     /* with a range: file offset of the next line */

    /* one buffer, for whole text files and for JSON lines: buf, inside
     * the allocation buf_raw (buf_reserve) */
    char *buf;
    void *buf_raw;
    size_t cap, beg, end, scan;
    int eof;              /* the source is exhausted */
    int dropping;         /* discarding the rest of a too-long line */

    /* the current document */
    jopts jo;             /* how JSON lines are parsed */
    jdoc cur;             /* the last line parsed */
    uint64_t n_fast, n_jansson; /* lines parsed by each path */
    char *wet[4];         /* WET record: id, URI, date, host (owned) */
    size_t wet_hole;      /* where the record's terminating NUL went ... */
    char wet_byte;        /* ... over this byte, put back before reading on */
    int wet_has_hole;

    uint64_t done_prev, total, skipped;
    int walked;           /* the path is a directory: its binary files are skipped */
    uint64_t binary;      /* files of the directory skipped as binary */
    TSR_VEC(char *) notices; /* what tsr_reader_notice hands out, oldest first */
    size_t notice_next;   /* notices[0, notice_next) were handed out */
    int has_skip;
    char skipmsg[sizeof(((tsr_error *)0)->message)];
    int failed;
    tsr_error fail;
};

/* ------------------------------------------------------------------------
 * Byte sources
 * --------------------------------------------------------------------- */

static int src_fill(bytesrc *s, tsr_error *err)
{
    /* Append to in[]; the caller has consumed it or is sniffing. */
    if (s->in_pos == s->in_len)
        s->in_pos = s->in_len = 0;
    ssize_t n;
    do
        n = read(s->fd, s->in + s->in_len, s->in_cap - s->in_len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return tsr_seterr(err, TSR_ERR_IO, "%s: read failed: %s", s->name,
                          strerror(errno));
    if (n == 0)
        s->in_eof = 1;
    s->in_len += (size_t)n;
    s->raw += (uint64_t)n;
    return TSR_OK;
}

static int src_start_decoder(bytesrc *s, tsr_error *err)
{
    if (s->comp == COMP_GZIP) {
        memset(&s->z, 0, sizeof s->z);
        /* 15 + 16: gzip wrapper only */
        int zr = inflateInit2(&s->z, 15 + 16);
        if (zr != Z_OK)
            return tsr_seterr(err, zr == Z_MEM_ERROR ? TSR_ERR_NOMEM : TSR_ERR_IO,
                              "%s: cannot start gzip decoder", s->name);
        s->z_init = 1;
    } else if (s->comp == COMP_BZIP2) {
        memset(&s->bz, 0, sizeof s->bz);
        const int br = BZ2_bzDecompressInit(&s->bz, 0, 0);
        if (br != BZ_OK)
            return tsr_seterr(err, br == BZ_MEM_ERROR ? TSR_ERR_NOMEM : TSR_ERR_IO,
                              "%s: cannot start bzip2 decoder", s->name);
        s->bz_init = 1;
    } else if (s->comp == COMP_ZSTD) {
        s->zs = ZSTD_createDStream();
        TSR_CHECK_ALLOC(s->zs, err);
        ZSTD_initDStream(s->zs);
        s->zs_last = 0;
    }
    return TSR_OK;
}

/* Open a byte source on `fd`.  COMP_AUTO (standard input) looks at the
 * first bytes for the gzip, zstd or bzip2 magic. */
static int src_open(bytesrc *s, int fd, int own_fd, int comp, const char *name,
                    tsr_error *err)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->own_fd = own_fd;
    s->name = name;
    if (comp != COMP_NONE) {
        s->in = malloc(RAW_CHUNK);
        TSR_CHECK_ALLOC(s->in, err);
        s->in_cap = RAW_CHUNK;
    }
    if (comp == COMP_AUTO) {
        while (s->in_len < 4 && !s->in_eof)
            TSR_FORWARD(src_fill(s, err));
        const unsigned char *m = s->in;
        if (s->in_len >= 2 && m[0] == 0x1f && m[1] == 0x8b)
            comp = COMP_GZIP;
        else if (s->in_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f &&
                 m[3] == 0xfd)
            comp = COMP_ZSTD;
        else if (s->in_len >= 4 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h' &&
                 m[3] >= '1' && m[3] <= '9')
            comp = COMP_BZIP2;
        else
            comp = COMP_NONE;
    }
    s->comp = comp;
    return src_start_decoder(s, err);
}

static void src_close(bytesrc *s)
{
    if (s->z_init)
        inflateEnd(&s->z);
    if (s->bz_init)
        BZ2_bzDecompressEnd(&s->bz);
    ZSTD_freeDStream(s->zs);
    free(s->in);
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

static int src_read_gzip(bytesrc *s, char *buf, size_t cap, size_t *got,
                         tsr_error *err)
{
    uInt room = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
    while (!s->done) {
        if (s->in_pos == s->in_len && !s->in_eof)
            TSR_FORWARD(src_fill(s, err));
        if (s->in_pos == s->in_len && s->in_eof && s->raw == 0) {
            s->done = 1; /* an empty file: no data, not an error */
            break;
        }
        s->z.next_in = s->in + s->in_pos;
        s->z.avail_in = (uInt)(s->in_len - s->in_pos);
        s->z.next_out = (unsigned char *)buf;
        s->z.avail_out = room;
        int zr = inflate(&s->z, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->z.avail_in;
        size_t produced = room - s->z.avail_out;
        if (zr == Z_STREAM_END) {
            /* another gzip member may follow */
            if (s->in_pos == s->in_len && !s->in_eof)
                TSR_FORWARD(src_fill(s, err));
            if (s->in_pos == s->in_len)
                s->done = 1;
            else
                inflateReset(&s->z);
        } else if (zr == Z_BUF_ERROR) {
            if (s->in_eof && s->in_pos == s->in_len)
                return tsr_seterr(err, TSR_ERR_FORMAT,
                                  "%s: truncated gzip data", s->name);
        } else if (zr == Z_MEM_ERROR) {
            return tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory in gzip decoder",
                              s->name);
        } else if (zr != Z_OK) {
            return tsr_seterr(err, TSR_ERR_FORMAT, "%s: corrupt gzip data: %s",
                              s->name, s->z.msg ? s->z.msg : "inflate failed");
        }
        if (produced) {
            *got = produced;
            return TSR_OK;
        }
    }
    *got = 0;
    return TSR_OK;
}

/* bzip2, as gzip above: several streams one after another (pbzip2 writes
 * them) read as one; the end of the input inside a stream is truncation. */
static int src_read_bzip2(bytesrc *s, char *buf, size_t cap, size_t *got,
                          tsr_error *err)
{
    const unsigned room = cap > UINT_MAX ? UINT_MAX : (unsigned)cap;
    while (!s->done) {
        if (s->in_pos == s->in_len && !s->in_eof)
            TSR_FORWARD(src_fill(s, err));
        if (s->in_pos == s->in_len && s->in_eof && s->raw == 0) {
            s->done = 1; /* an empty file: no data, not an error */
            break;
        }
        s->bz.next_in = (char *)s->in + s->in_pos;
        s->bz.avail_in = (unsigned)(s->in_len - s->in_pos);
        s->bz.next_out = buf;
        s->bz.avail_out = room;
        const int br = BZ2_bzDecompress(&s->bz);
        s->in_pos = s->in_len - s->bz.avail_in;
        const size_t produced = room - s->bz.avail_out;
        if (br == BZ_STREAM_END) {
            /* another stream may follow */
            if (s->in_pos == s->in_len && !s->in_eof)
                TSR_FORWARD(src_fill(s, err));
            if (s->in_pos == s->in_len) {
                s->done = 1;
            } else {
                BZ2_bzDecompressEnd(&s->bz);
                s->bz_init = 0;
                TSR_FORWARD(src_start_decoder(s, err));
            }
        } else if (br == BZ_OK) {
            if (!produced && s->in_eof && s->in_pos == s->in_len)
                return tsr_seterr(err, TSR_ERR_FORMAT, "%s: truncated bzip2 data", s->name);
        } else if (br == BZ_MEM_ERROR) {
            return tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory in bzip2 decoder",
                              s->name);
        } else {
            return tsr_seterr(err, TSR_ERR_FORMAT, "%s: corrupt bzip2 data (%s)", s->name,
                              br == BZ_DATA_ERROR_MAGIC ? "not bzip2" : "bad block");
        }
        if (produced) {
            *got = produced;
            return TSR_OK;
        }
    }
    *got = 0;
    return TSR_OK;
}

static int src_read_zstd(bytesrc *s, char *buf, size_t cap, size_t *got,
                         tsr_error *err)
{
    for (;;) {
        if (s->in_pos == s->in_len && !s->in_eof)
            TSR_FORWARD(src_fill(s, err));
        ZSTD_inBuffer ib = { s->in, s->in_len, s->in_pos };
        ZSTD_outBuffer ob = { buf, cap, 0 };
        size_t zr = ZSTD_decompressStream(s->zs, &ob, &ib);
        if (ZSTD_isError(zr))
            return tsr_seterr(err, TSR_ERR_FORMAT, "%s: corrupt zstd data: %s",
                              s->name, ZSTD_getErrorName(zr));
        /* The hint is 0 when a frame is complete and flushed.  A call that
         * did nothing (no input left) asks for the next frame's header:
         * its hint says nothing about the last frame. */
        if (ob.pos || ib.pos != s->in_pos)
            s->zs_last = zr;
        s->in_pos = ib.pos;
        if (ob.pos) {
            *got = ob.pos;
            return TSR_OK;
        }
        if (s->in_pos == s->in_len && s->in_eof) {
            if (s->zs_last != 0 && s->raw > 0)
                return tsr_seterr(err, TSR_ERR_FORMAT, "%s: truncated zstd data",
                                  s->name);
            *got = 0;
            return TSR_OK;
        }
    }
}

/* Read up to `cap` decoded bytes into buf; *got is 0 only at the end. */
static int src_read(bytesrc *s, char *buf, size_t cap, size_t *got, tsr_error *err)
{
    if (s->comp == COMP_GZIP)
        return src_read_gzip(s, buf, cap, got, err);
    if (s->comp == COMP_ZSTD)
        return src_read_zstd(s, buf, cap, got, err);
    if (s->comp == COMP_BZIP2)
        return src_read_bzip2(s, buf, cap, got, err);
    if (s->in_pos < s->in_len) { /* bytes read while sniffing */
        size_t n = s->in_len - s->in_pos;
        if (n > cap)
            n = cap;
        memcpy(buf, s->in + s->in_pos, n);
        s->in_pos += n;
        *got = n;
        return TSR_OK;
    }
    if (cap > (size_t)1 << 30)
        cap = (size_t)1 << 30;
    ssize_t n;
    do
        n = read(s->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return tsr_seterr(err, TSR_ERR_IO, "%s: read failed: %s", s->name,
                          strerror(errno));
    s->raw += (uint64_t)n;
    *got = (size_t)n;
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* How a file is read, from its name. */
static void classify(const char *path, int *kind, int *comp)
{
    size_t n = strlen(path);
    *comp = COMP_NONE;
    if (ends_with(path, n, ".gz")) {
        *comp = COMP_GZIP;
        n -= 3;
    } else if (ends_with(path, n, ".zst")) {
        *comp = COMP_ZSTD;
        n -= 4;
    } else if (ends_with(path, n, ".bz2")) {
        *comp = COMP_BZIP2;
        n -= 4;
    }
    *kind = ends_with(path, n, ".jsonl") || ends_with(path, n, ".ndjson") ||
                    ends_with(path, n, ".json")
                ? KIND_JSONL
                : ends_with(path, n, ".wet") ? KIND_WET : KIND_TEXT;
}

/* NUL bytes of s[0, n) to spaces (tsr_reader_opts.allow_nul); same length,
 * so offsets do not move. */
static void nul_to_space(char *s, size_t n)
{
    for (char *z = memchr(s, 0, n); z; z = memchr(z + 1, 0, n - (size_t)(z + 1 - s)))
        *z = ' ';
}

/* Queue a notice for tsr_reader_notice. */
static int add_notice(tsr_reader *r, const char *msg, tsr_error *err)
{
    if (r->notices.n - r->notice_next >= MAX_NOTICES)
        return TSR_OK;
    char *m = tsr_strndup(msg, strlen(msg));
    TSR_CHECK_ALLOC(m, err);
    if (tsr_vec_push(&r->notices, m)) {
        free(m);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    return TSR_OK;
}

/* A bad record may be skipped; anything else ends the reading. */
static int is_record_error(int rc)
{
    return rc == TSR_ERR_JSON || rc == TSR_ERR_UTF8 || rc == TSR_ERR_NUL ||
           rc == TSR_ERR_TOOBIG || rc == TSR_ERR_FORMAT;
}

/* Inputs of at least this many bytes in all are read through a buffer on
 * transparent huge pages (tsr_huge_alloc): one page fault instead of 512
 * for its 2 MiB, 18% of the page faults of `tessera index` at 10,000
 * documents.  A smaller input keeps to malloc, whose pages it touches
 * only as far as its text goes. */
#define READ_HUGE_INPUT ((uint64_t)8 << 20)

/* Ensure room for `extra` more bytes after r->end, plus a terminating NUL. */
static int buf_reserve(tsr_reader *r, size_t extra, tsr_error *err)
{
    if (r->cap - r->end > extra)
        return TSR_OK;
    if (extra >= SIZE_MAX / 4 - r->end)
        return tsr_seterr(err, TSR_ERR_NOMEM, "%s: buffer size overflow", r->name);
    size_t nc = r->cap ? r->cap : READ_CHUNK;
    while (nc - r->end <= extra)
        nc *= 2;
    char *p = NULL;
    void *raw = NULL;
    if (r->total >= READ_HUGE_INPUT)
        raw = tsr_huge_alloc(0, nc, &p);
    if (raw) {
        nc = tsr_huge_round(nc);
        if (r->end)
            memcpy(p, r->buf, r->end);
        free(r->buf_raw);
    } else if (r->buf == r->buf_raw && (raw = realloc(r->buf_raw, nc))) {
        p = raw;   /* (a buffer inside a huge allocation is not realloc'ed) */
    }
    if (!raw)
        return tsr_seterr(err, TSR_ERR_NOMEM, "%s: out of memory (%zu bytes)",
                          r->name, nc);
    r->buf_raw = raw;
    r->buf = p;
    r->cap = nc;
    return TSR_OK;
}

/* Free what a parse left in `d` (not `d` itself); `d` may be reused. */
static void jdoc_release(jdoc *d)
{
    json_decref(d->root);
    d->root = NULL;
    free(d->meta);
    d->meta = NULL;
    free(d->strs);
    d->strs = NULL;
    d->fast = 0;
    memset(&d->pub, 0, sizeof d->pub);
}

static void release_doc(tsr_reader *r)
{
    jdoc_release(&r->cur);
    for (int i = 0; i < 4; i++) {
        free(r->wet[i]);
        r->wet[i] = NULL;
    }
}

/* ------------------------------------------------------------------------
 * Directory walk
 * --------------------------------------------------------------------- */

static int add_file(tsr_reader *r, const char *path, uint64_t size, tsr_error *err)
{
    entry e = { tsr_strndup(path, strlen(path)), size };
    TSR_CHECK_ALLOC(e.path, err);
    if (tsr_vec_push(&r->files, e)) {
        free(e.path);
        return tsr_seterr(err, TSR_ERR_NOMEM, "out of memory listing %s", path);
    }
    return TSR_OK;
}

static int walk(tsr_reader *r, const char *dir, tsr_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return tsr_seterr(err, TSR_ERR_IO, "%s: cannot open directory: %s", dir,
                          strerror(errno));
    size_t dlen = strlen(dir);
    int slash = dlen > 0 && dir[dlen - 1] == '/';
    int rc = TSR_OK;
    struct dirent *de;
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno)
                rc = tsr_seterr(err, TSR_ERR_IO, "%s: cannot read directory: %s",
                                dir, strerror(errno));
            break;
        }
        /* hidden files; Spark's and Hadoop's bookkeeping: _SUCCESS, _temporary/
         * and other _names, and the .crc checksum files beside each part */
        size_t nlen = strlen(de->d_name);
        if (de->d_name[0] == '.' || de->d_name[0] == '_' ||
            ends_with(de->d_name, nlen, ".crc"))
            continue;
        char *child = malloc(dlen + nlen + 2);
        if (!child) {
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory listing %s", dir);
            break;
        }
        memcpy(child, dir, dlen);
        size_t k = dlen;
        if (!slash)
            child[k++] = '/';
        memcpy(child + k, de->d_name, nlen + 1);
        struct stat st;
        if (lstat(child, &st) != 0) {
            rc = tsr_seterr(err, TSR_ERR_IO, "%s: %s", child, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(r, child, err);
        } else if (S_ISREG(st.st_mode)) {
            rc = add_file(r, child, (uint64_t)st.st_size, err);
        } else if (S_ISLNK(st.st_mode) && stat(child, &st) == 0 &&
                   S_ISREG(st.st_mode)) {
            rc = add_file(r, child, (uint64_t)st.st_size, err);
        }
        free(child);
        if (rc != TSR_OK)
            break;
    }
    closedir(d);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

/* ------------------------------------------------------------------------
 * Opening and closing files
 * --------------------------------------------------------------------- */

static void close_file(tsr_reader *r)
{
    if (!r->open)
        return;
    uint64_t size = r->files.a[r->fi].size;
    r->done_prev += size > r->src.raw ? size : r->src.raw;
    src_close(&r->src);
    r->open = 0;
    r->file_done = 0;
    r->beg = r->end = r->scan = 0;
    r->eof = r->dropping = 0;
    r->lineno = 0;
    r->fi++;
}

/* Standard input: read until the first non-space byte decides the kind. */
static int sniff_stdin(tsr_reader *r, tsr_error *err)
{
    for (;;) {
        size_t i = r->beg;
        if (r->end - i >= 3 && memcmp(r->buf + i, "\xEF\xBB\xBF", 3) == 0)
            i += 3; /* a byte order mark */
        while (i < r->end && (r->buf[i] == ' ' || r->buf[i] == '\t' ||
                              r->buf[i] == '\r' || r->buf[i] == '\n'))
            i++;
        if (i < r->end || r->eof) {
            r->kind = i < r->end && r->buf[i] == '{' ? KIND_JSONL
                    : r->end - i >= 5 && memcmp(r->buf + i, "WARC/", 5) == 0 ? KIND_WET
                    : KIND_TEXT;
            return TSR_OK;
        }
        TSR_FORWARD(buf_reserve(r, READ_CHUNK, err));
        size_t got;
        TSR_FORWARD(src_read(&r->src, r->buf + r->end, r->cap - r->end - 1, &got, err));
        if (got == 0)
            r->eof = 1;
        r->end += got;
    }
}

/* A range that starts inside the file: go to the first line that starts
 * at or after range_begin (the line holding byte range_begin - 1 belongs
 * to the part before), and count the lines before it. */
static int seek_range(tsr_reader *r, int fd, tsr_error *err)
{
    char *b = malloc(READ_CHUNK);
    TSR_CHECK_ALLOC(b, err);
    int rc = TSR_OK;
    uint64_t start = UINT64_MAX, lines = 0;
    /* where the part starts: after the first '\n' at or after begin - 1 */
    for (uint64_t at = r->o.range_begin - 1; start == UINT64_MAX;) {
        const ssize_t n = pread(fd, b, READ_CHUNK, (off_t)at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { rc = tsr_seterr(err, TSR_ERR_IO, "%s: read failed: %s", r->name,
                                     strerror(errno)); break; }
        const char *nl = n > 0 ? memchr(b, '\n', (size_t)n) : NULL;
        if (nl) start = at + (uint64_t)(nl - b) + 1;
        else if (n == 0) start = at;    /* no line starts in the range */
        else at += (uint64_t)n;
    }
    /* the lines before it, for messages */
    for (uint64_t at = 0; rc == TSR_OK && at < start;) {
        const size_t want = start - at < READ_CHUNK ? (size_t)(start - at) : READ_CHUNK;
        const ssize_t n = pread(fd, b, want, (off_t)at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { rc = tsr_seterr(err, TSR_ERR_IO, "%s: read failed: %s", r->name,
                                      n < 0 ? strerror(errno) : "file shrank"); break; }
        for (const char *p = b, *e = b + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
            lines++;
        at += (uint64_t)n;
    }
    free(b);
    if (rc == TSR_OK && lseek(fd, (off_t)start, SEEK_SET) < 0)
        rc = tsr_seterr(err, TSR_ERR_IO, "%s: seek failed: %s", r->name, strerror(errno));
    r->next_at = start;
    r->lineno = lines;
    return rc;
}

static int open_file(tsr_reader *r, tsr_error *err)
{
    const char *path = r->files.a[r->fi].path;
    int kind, comp, fd;
    if (r->is_stdin) {
        r->name = "<stdin>";
        kind = KIND_SNIFF;
        comp = COMP_AUTO;
        fd = STDIN_FILENO;
    } else {
        r->name = path;
        classify(path, &kind, &comp);
        do
            fd = open(path, O_RDONLY | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
            return tsr_seterr(err, errno == ENOENT ? TSR_ERR_NOTFOUND : TSR_ERR_IO,
                              "%s: cannot open: %s", path, strerror(errno));
    }
    r->open = 1;
    r->wet_has_hole = 0;
    r->kind = kind;
    r->lineno = 0;
    r->beg = r->end = r->scan = 0;
    r->eof = r->dropping = r->file_done = 0;
    r->next_at = 0;
    int rc = r->o.range_begin ? seek_range(r, fd, err) : TSR_OK;
    if (rc == TSR_OK)
        rc = src_open(&r->src, fd, !r->is_stdin, comp, r->name, err);
    if (rc == TSR_OK && kind == KIND_SNIFF)
        rc = sniff_stdin(r, err);
    return rc;
}

/* ------------------------------------------------------------------------
 * Text documents
 * --------------------------------------------------------------------- */

/* A binary file met in a directory: count it, queue its notice. */
static int binary_skip(tsr_reader *r, size_t at, tsr_error *err)
{
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s: binary file (NUL byte at byte %zu), skipped", r->name, at);
    r->binary++;
    TSR_FORWARD(add_notice(r, msg, err));
    return RD_BINARY;
}

static int read_text(tsr_reader *r, tsr_docinfo *doc, tsr_error *err)
{
    size_t limit = r->o.max_doc_bytes;
    size_t bom = 3;  /* a byte order mark does not count against the limit */
    if (r->src.comp == COMP_NONE && !r->is_stdin) {
        struct stat st;
        if (fstat(r->src.fd, &st) == 0 && S_ISREG(st.st_mode)) {
            if ((uint64_t)st.st_size > (uint64_t)limit + bom && r->walked && !r->o.allow_nul) {
                /* too big to read whole: a binary one (a disk image, say)
                 * shows a NUL byte in its first block, as ripgrep looks */
                char head[8192];
                const ssize_t n = pread(r->src.fd, head, sizeof head, 0);
                const char *z = n > 0 ? memchr(head, 0, (size_t)n) : NULL;
                if (z)
                    return binary_skip(r, (size_t)(z - head), err);
            }
            if ((uint64_t)st.st_size > (uint64_t)limit + bom)
                return tsr_seterr(err, TSR_ERR_TOOBIG,
                                  "%s: file of %" PRIu64 " bytes is over the limit of %zu bytes",
                                  r->name, (uint64_t)st.st_size, limit);
            /* room for the whole file and the end-of-file read */
            TSR_FORWARD(buf_reserve(r, (size_t)st.st_size + 1, err));
        }
    }
    while (!r->eof) {
        if (r->end - r->beg > limit + bom)
            return tsr_seterr(err, TSR_ERR_TOOBIG,
                              "%s: text over the limit of %zu bytes", r->name, limit);
        if (r->cap - r->end < 4096)
            TSR_FORWARD(buf_reserve(r, r->cap < READ_CHUNK ? READ_CHUNK : r->cap, err));
        size_t got;
        TSR_FORWARD(src_read(&r->src, r->buf + r->end, r->cap - r->end - 1, &got, err));
        if (got == 0)
            r->eof = 1;
        r->end += got;
    }
    char *text = r->buf + r->beg;
    size_t len = r->end - r->beg;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    if (len > limit)
        return tsr_seterr(err, TSR_ERR_TOOBIG,
                          "%s: text of %zu bytes is over the limit of %zu bytes",
                          r->name, len, limit);
    text[len] = 0;
    size_t off = 0;
    if (r->o.allow_nul) {
        nul_to_space(text, len);
    } else if (r->walked) {
        /* a binary file met in a directory (a NUL byte anywhere, as ripgrep
         * tells them; before the UTF-8 check, which an image's first byte
         * fails): skipped, and told in a notice */
        const char *z = memchr(text, 0, len);
        if (z)
            return binary_skip(r, (size_t)(z - text), err);
    }
    int rc = tsr_utf8_check(text, len, &off);
    if (rc == TSR_ERR_NUL)
        return tsr_seterr(err, rc, "%s: NUL byte at byte %zu (binary file?)",
                          r->name, off);
    if (rc != TSR_OK)
        return tsr_seterr(err, TSR_ERR_UTF8, "%s: invalid UTF-8 at byte %zu",
                          r->name, off);
    const char *id = r->is_stdin ? "-" : r->files.a[r->fi].path;
    doc->id = id;
    doc->title = id;
    doc->text = text;
    doc->text_len = len;
    return TSR_OK;
}

/* ------------------------------------------------------------------------
 * JSON Lines
 * --------------------------------------------------------------------- */

/* The next line of the open file, without its '\n'.  *line is NULL at the
 * end of the file.  A line over the limit is TSR_ERR_TOOBIG; it is not
 * buffered but dropped as it streams by. */
static int next_line_all(tsr_reader *r, char **line, size_t *len, tsr_error *err);

/* The next line of the file (*line NULL at its end, or at the end of the
 * range: the first line that starts at or after range_end is the next
 * part's). */
static int next_line(tsr_reader *r, char **line, size_t *len, tsr_error *err)
{
    if (r->o.range_end && r->next_at >= r->o.range_end) {
        *line = NULL;
        *len = 0;
        return TSR_OK;
    }
    const int rc = next_line_all(r, line, len, err);
    if (*line || rc == TSR_ERR_TOOBIG)
        r->next_at += (uint64_t)*len + 1;
    return rc;
}

static int next_line_all(tsr_reader *r, char **line, size_t *len, tsr_error *err)
{
    for (;;) {
        char *nl = r->end > r->scan ? memchr(r->buf + r->scan, '\n', r->end - r->scan)
                                    : NULL;
        if (nl) {
            size_t at = (size_t)(nl - r->buf);
            size_t b = r->beg, l = at - b;
            r->beg = r->scan = at + 1;
            if (r->dropping) { /* the end of a line already refused */
                r->dropping = 0;
                continue;
            }
            r->lineno++;
            if (l > r->line_limit)
                return tsr_seterr(err, TSR_ERR_TOOBIG,
                                  "%s:%" PRIu64 ": line of %zu bytes is over the limit of %zu bytes",
                                  r->name, r->lineno, l, r->line_limit);
            *line = r->buf + b;
            *len = l;
            return TSR_OK;
        }
        r->scan = r->end;
        if (r->eof) {
            if (r->beg == r->end || r->dropping) {
                r->beg = r->scan = r->end;
                r->dropping = 0;
                *line = NULL;
                *len = 0;
                return TSR_OK;
            }
            r->lineno++;
            *line = r->buf + r->beg;
            *len = r->end - r->beg;
            r->beg = r->scan = r->end;
            if (*len > r->line_limit)
                return tsr_seterr(err, TSR_ERR_TOOBIG,
                                  "%s:%" PRIu64 ": line of %zu bytes is over the limit of %zu bytes",
                                  r->name, r->lineno, *len, r->line_limit);
            return TSR_OK;
        }
        if (r->dropping) {
            r->beg = r->scan = r->end = 0;
        } else if (r->end - r->beg > r->line_limit) {
            r->lineno++;
            r->dropping = 1;
            r->beg = r->scan = r->end = 0;
            return tsr_seterr(err, TSR_ERR_TOOBIG,
                              "%s:%" PRIu64 ": line over the limit of %zu bytes",
                              r->name, r->lineno, r->line_limit);
        }
        if (r->cap - r->end <= READ_CHUNK && r->beg > 0) {
            memmove(r->buf, r->buf + r->beg, r->end - r->beg);
            r->end -= r->beg;
            r->scan -= r->beg;
            r->beg = 0;
        }
        if (r->cap - r->end <= READ_CHUNK)
            TSR_FORWARD(buf_reserve(r, r->cap < READ_CHUNK ? READ_CHUNK : r->cap, err));
        size_t got;
        TSR_FORWARD(src_read(&r->src, r->buf + r->end, r->cap - r->end - 1, &got, err));
        if (got == 0)
            r->eof = 1;
        r->end += got;
    }
}

static void jopts_init(jopts *j, const tsr_reader_opts *o)
{
    static const char *const defs[F_COUNT] = { "id", "text", "title", "date", "series" };
    const char *names[F_COUNT] = { NULL, NULL, NULL, NULL, NULL };
    size_t m = DEFAULT_MAX_DOC;
    if (o) {
        names[F_ID] = o->id_field;
        names[F_TEXT] = o->text_field;
        names[F_TITLE] = o->title_field;
        names[F_DATE] = o->date_field;
        names[F_SERIES] = o->series_field;
        if (o->max_doc_bytes)
            m = o->max_doc_bytes;
    }
    for (int f = 0; f < F_COUNT; f++) {
        j->field[f] = names[f] && *names[f] ? names[f] : defs[f];
        j->flen[f] = strlen(j->field[f]);
    }
    j->path = RD_PATH_BOTH;
    if (m > SIZE_MAX / 8)
        m = SIZE_MAX / 8;
    size_t slack = m / 4 + ((size_t)1 << 20);
    j->max_doc = m;
    j->max_meta = o && o->max_meta_bytes ? o->max_meta_bytes : DEFAULT_MAX_META;
    j->allow_nul = o ? o->allow_nul : 0;
    j->line_limit = m > SIZE_MAX / 4 - slack ? SIZE_MAX / 4 : m + slack;
}

/* One field as text: a string, or an integer given as its decimal text.
 * Absent or null gives NULL (an error when `required`). */
static int get_field(const jopts *j, jdoc *d, int f, int required, const char *file,
                     uint64_t lineno, const char **out, tsr_error *err)
{
    const char *name = j->field[f];
    json_t *v = json_object_get(d->root, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return tsr_seterr(err, TSR_ERR_JSON, "%s:%" PRIu64 ": missing \"%s\" field",
                              file, lineno, name);
        return TSR_OK;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        const char *z = memchr(s, 0, n);
        if (z)
            return tsr_seterr(err, TSR_ERR_NUL,
                              "%s:%" PRIu64 ": NUL byte (\\u0000) in \"%s\" at byte %zu",
                              file, lineno, name, (size_t)(z - s));
        *out = s;
        return TSR_OK;
    }
    if (json_is_integer(v)) {
        snprintf(d->num[f], sizeof d->num[f], "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        *out = d->num[f];
        return TSR_OK;
    }
    return tsr_seterr(err, TSR_ERR_JSON,
                      "%s:%" PRIu64 ": \"%s\" field is not a string or integer",
                      file, lineno, name);
}

/* jansson prints reals with 17 significant digits, which turns 1.1 into
 * 1.1000000000000001.  15 digits give back what the input most likely
 * said; this tells whether some real of `v` needs all 17 to survive. */
static int needs_17_digits(json_t *v)
{
    if (json_is_real(v)) {
        char b[32];
        double x = json_real_value(v);
        snprintf(b, sizeof b, "%.15g", x);
        return strtod(b, NULL) != x;
    }
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, item)
            if (needs_17_digits(item))
                return 1;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            if (needs_17_digits(item))
                return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * JSON lines: the fast path (the essay at the top, "TWO PATHS")
 * --------------------------------------------------------------------- */

#define FL_ONES 0x0101010101010101ull
#define FL_HIGH 0x8080808080808080ull

/* Nonzero when a byte of the eight in w is '"', '\\' or below 0x20: the
 * bytes that end a run of plain string content.  Each test is the exact
 * "some byte is zero" / "some byte is below n" of Bit Twiddling Hacks
 * (false bits only above a true one, so nonzero is exact). */
static inline uint64_t fl_special(uint64_t w)
{
    const uint64_t q = w ^ (FL_ONES * '"'), b = w ^ (FL_ONES * '\\');
    return (((q - FL_ONES) & ~q) | ((b - FL_ONES) & ~b) | ((w - FL_ONES * 0x20) & ~w)) &
           FL_HIGH;
}

/* What each one-letter escape stands for; 0: not one (\u is apart). */
static const char fl_escape[128] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

/* JSON whitespace, which jansson skips between tokens. */
static const unsigned char *fl_ws(const unsigned char *p, const unsigned char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The four hex digits at p (either case) as *v; 0 when they are not. */
static int fl_hex4(const unsigned char *p, const unsigned char *e, uint32_t *v)
{
    if (e - p < 4)
        return 0;
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        const unsigned c = p[i];
        const unsigned d = c - '0' < 10 ? c - '0' : (c | 0x20) - 'a' < 6 ? (c | 0x20) - 'a' + 10
                                                                         : 16;
        if (d == 16)
            return 0;
        x = x << 4 | d;
    }
    *v = x;
    return 1;
}

/* One \u escape at p (the backslash), a surrogate pair taken whole, as
 * UTF-8 at *w.  Returns the byte after it, or NULL for what jansson
 * refuses: bad hex, a lone or reversed surrogate. */
static const unsigned char *fl_unicode(const unsigned char *p, const unsigned char *e,
                                       char **w)
{
    uint32_t c, lo;
    if (!fl_hex4(p + 2, e, &c))
        return NULL;
    p += 6;
    if (c >= 0xDC00 && c <= 0xDFFF)
        return NULL;
    if (c >= 0xD800 && c <= 0xDBFF) {
        if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || !fl_hex4(p + 2, e, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
            return NULL;
        p += 6;
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
    }
    unsigned char *o = (unsigned char *)*w;
    if (c < 0x80) {
        *o++ = (unsigned char)c;
    } else if (c < 0x800) {
        *o++ = (unsigned char)(0xC0 | c >> 6);
        *o++ = (unsigned char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *o++ = (unsigned char)(0xE0 | c >> 12);
        *o++ = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        *o++ = (unsigned char)(0x80 | (c & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | c >> 18);
        *o++ = (unsigned char)(0x80 | (c >> 12 & 0x3F));
        *o++ = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        *o++ = (unsigned char)(0x80 | (c & 0x3F));
    }
    *w = (char *)o;
    return p;
}

/* The string whose content starts at p (after its opening quote), decoded
 * into out with a terminating NUL; *n receives its length.  Returns the
 * byte after the closing quote, or NULL when the fast path leaves the line
 * to jansson: no closing quote, a raw control byte, an escape it does not
 * take, invalid UTF-8 (tsr_utf8_check's rules are jansson's: RFC 3629).
 * Decoding never lengthens a string, so out needs p's length + 1. */
static const unsigned char *fl_string(const unsigned char *p, const unsigned char *e,
                                      char *out, size_t *n)
{
    const unsigned char *const s = p;
    char *w = out;
    uint64_t high = 0; /* the OR of the words seen: any byte >= 0x80? */
    for (;;) {
        const unsigned char *const run = p;
        while (e - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (fl_special(x))
                break;
            high |= x;
            p += 8;
        }
        while (p < e && *p != '"' && *p != '\\' && *p >= 0x20)
            high |= *p++;
        memcpy(w, run, (size_t)(p - run));
        w += p - run;
        if (p == e || *p < 0x20)
            return NULL;
        if (*p == '"')
            break;
        if (e - p < 2)
            return NULL;
        if (p[1] < 128 && fl_escape[p[1]]) {
            *w++ = fl_escape[p[1]];
            p += 2;
        } else if (p[1] != 'u' || !(p = fl_unicode(p, e, &w))) {
            return NULL;
        }
    }
    if ((high & FL_HIGH) && text_check((const char *)s, (size_t)(p - s), 0, NULL) != TSR_OK)
        return NULL;
    *w = 0;
    *n = (size_t)(w - out);
    return p + 1;
}

/* A JSON integer at p: -?(0|[1-9][0-9]*) of at most 18 digits, so that it
 * fits json_int_t with room (longer ones are left to jansson, which knows
 * its range).  Returns the byte after it, or NULL. */
static const unsigned char *fl_integer(const unsigned char *p, const unsigned char *e,
                                       json_int_t *v)
{
    const int neg = p < e && *p == '-';
    p += neg;
    const unsigned char *const d = p;
    json_int_t x = 0;
    while (p < e && *p >= '0' && *p <= '9') {
        if (p - d == 18)
            return NULL;
        x = x * 10 + (*p++ - '0');
    }
    if (p == d || (*d == '0' && p - d > 1))
        return NULL;
    *v = neg ? -x : x;
    return p;
}

/* The fast path: parse `line` into `d` (empty) if it is a flat object of
 * the known fields only, each a string, an integer or null, and a record
 * parse_line would accept.  Returns 1 when it did, with d->fast set; 0
 * when jansson must parse the line, with nothing left in d to release.
 * Reports no error, not even out of memory: jansson will. */
static int fast_line(const jopts *j, const char *line, size_t len, jdoc *d)
{
    enum { V_NONE, V_NULL, V_STR, V_INT };
    const unsigned char *p = (const unsigned char *)line, *const e = p + len;
    int kind[F_COUNT] = { V_NONE, V_NONE, V_NONE, V_NONE, V_NONE };
    char *str[F_COUNT] = { NULL, NULL, NULL, NULL, NULL };
    size_t slen[F_COUNT] = { 0, 0, 0, 0, 0 };
    unsigned seen = 0; /* the fields whose key came */

    if (len > j->line_limit || len < 2)
        return 0;
    p = fl_ws(p, e);
    if (p == e || *p != '{')
        return 0;
    char *const buf = malloc(len);
    if (!buf)
        return 0;
    char *w = buf;
    p = fl_ws(p + 1, e);
    for (;;) {
        /* a key: plain printable ASCII, one of the field names */
        if (p == e || *p != '"')
            goto declined;
        const unsigned char *const k = ++p;
        while (p < e && *p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\')
            p++;
        if (p == e || *p != '"')
            goto declined;
        const size_t kl = (size_t)(p - k);
        unsigned m = 0;
        for (int f = 0; f < F_COUNT; f++)
            if (kl == j->flen[f] && memcmp(k, j->field[f], kl) == 0)
                m |= 1u << f;
        if (!m || (m & seen)) /* another field, or a key twice */
            goto declined;
        seen |= m;
        p = fl_ws(p + 1, e);
        if (p == e || *p != ':')
            goto declined;
        p = fl_ws(p + 1, e);
        if (p == e)
            goto declined;

        /* its value */
        if (*p == '"') {
            size_t n = 0;
            if (!(p = fl_string(p + 1, e, w, &n)))
                goto declined;
            for (int f = 0; f < F_COUNT; f++)
                if (m >> f & 1) {
                    kind[f] = V_STR;
                    str[f] = w;
                    slen[f] = n;
                }
            w += n + 1;
        } else if (*p == 'n') {
            if (e - p < 4 || memcmp(p, "null", 4) != 0)
                goto declined;
            p += 4;
            for (int f = 0; f < F_COUNT; f++)
                if (m >> f & 1)
                    kind[f] = V_NULL;
        } else {
            json_int_t v;
            if (!(p = fl_integer(p, e, &v)))
                goto declined;
            for (int f = 0; f < F_COUNT; f++)
                if (m >> f & 1) { /* as get_field gives it */
                    snprintf(d->num[f], sizeof d->num[f], "%" JSON_INTEGER_FORMAT, v);
                    kind[f] = V_INT;
                    str[f] = d->num[f];
                    slen[f] = strlen(d->num[f]);
                }
        }
        p = fl_ws(p, e);
        if (p == e)
            goto declined;
        if (*p == '}')
            break;
        if (*p != ',')
            goto declined;
        p = fl_ws(p + 1, e);
    }
    if (fl_ws(p + 1, e) != e)
        goto declined;

    /* parse_line's rules, in its order; what it refuses, it tells */
    if (kind[F_TEXT] != V_STR || slen[F_TEXT] > j->max_doc)
        goto declined;
    nul_to_space(str[F_TEXT], slen[F_TEXT]);
    if (kind[F_ID] < V_STR || !str[F_ID][0])
        goto declined;
    for (int f = 0; f < F_COUNT; f++)
        if (kind[f] == V_STR && memchr(str[f], 0, slen[f]))
            goto declined;

    tsr_docinfo *doc = &d->pub.doc;
    doc->id = str[F_ID];
    doc->title = str[F_TITLE];
    doc->date = str[F_DATE];
    doc->series = str[F_SERIES];
    doc->meta_json = NULL;
    doc->text = str[F_TEXT];
    doc->text_len = slen[F_TEXT];
    d->strs = buf;
    d->fast = 1;
    return 1;
declined:
    free(buf);
    return 0;
}

/* Parse one JSON line (without its '\n', after any byte order mark) into
 * `d`, which must be empty.  The one parser of the reader and of
 * tsr_parse_jsonl: touches nothing but its arguments, so threads may call
 * it at once.  On an error `d` may hold part of the parse: release it. */
static int parse_line(const jopts *j, const char *line, size_t len, const char *file,
                      uint64_t lineno, jdoc *d, tsr_error *err)
{
    tsr_docinfo *doc = &d->pub.doc;
    if (len > j->line_limit) /* the reader refused such lines already */
        return tsr_seterr(err, TSR_ERR_TOOBIG,
                          "%s:%" PRIu64 ": line of %zu bytes is over the limit of %zu bytes",
                          file, lineno, len, j->line_limit);
    if (j->path != RD_PATH_JANSSON && fast_line(j, line, len, d))
        return TSR_OK;
    if (j->path == RD_PATH_FAST)
        return TSR_OK; /* declined: d stays empty (rd_parse_jsonl) */
    json_error_t je;
    json_t *root = json_loadb(line, len, JSON_ALLOW_NUL, &je);
    if (!root) {
        enum json_error_code code = json_error_code(&je);
        if (code == json_error_out_of_memory)
            return tsr_seterr(err, TSR_ERR_NOMEM, "%s:%" PRIu64 ": out of memory",
                              file, lineno);
        const char *z = memchr(line, 0, len);
        if (z && j->allow_nul) {
            /* NUL bytes read as spaces: parse a copy that has them so */
            char *copy = malloc(len ? len : 1);
            if (!copy)
                return tsr_seterr(err, TSR_ERR_NOMEM, "%s:%" PRIu64 ": out of memory",
                                  file, lineno);
            memcpy(copy, line, len);
            nul_to_space(copy, len);
            jopts j2 = *j;
            j2.allow_nul = 0;
            const int rc = parse_line(&j2, copy, len, file, lineno, d, err);
            free(copy);
            return rc;
        }
        if (z) /* a raw NUL byte: more telling than jansson's message */
            return tsr_seterr(err, TSR_ERR_NUL,
                              "%s:%" PRIu64 ": NUL byte at byte %zu of the line (binary file?)",
                              file, lineno, (size_t)(z - line));
        if (code == json_error_invalid_utf8) {
            /* jansson's position is near the fault; find it exactly */
            size_t off = 0;
            if (tsr_utf8_check(line, len, &off) == TSR_OK)
                off = je.position > 0 ? (size_t)je.position - 1 : 0;
            return tsr_seterr(err, TSR_ERR_UTF8,
                              "%s:%" PRIu64 ": invalid UTF-8 at byte %zu of the line",
                              file, lineno, off);
        }
        return tsr_seterr(err, TSR_ERR_JSON,
                          "%s:%" PRIu64 ": malformed JSON: %s at column %d",
                          file, lineno, je.text, je.column);
    }
    d->root = root;
    if (!json_is_object(root))
        return tsr_seterr(err, TSR_ERR_JSON, "%s:%" PRIu64 ": not a JSON object",
                          file, lineno);

    const char *tf = j->field[F_TEXT];
    json_t *t = json_object_get(root, tf);
    if (!t || json_is_null(t))
        return tsr_seterr(err, TSR_ERR_JSON, "%s:%" PRIu64 ": missing \"%s\" field",
                          file, lineno, tf);
    if (!json_is_string(t))
        return tsr_seterr(err, TSR_ERR_JSON, "%s:%" PRIu64 ": \"%s\" field is not a string",
                          file, lineno, tf);
    const char *text = json_string_value(t);
    size_t tlen = json_string_length(t);
    if (tlen > j->max_doc)
        return tsr_seterr(err, TSR_ERR_TOOBIG,
                          "%s:%" PRIu64 ": text of %zu bytes is over the limit of %zu bytes",
                          file, lineno, tlen, j->max_doc);
    if (memchr(text, 0, tlen)) {
        /* "\\u0000" is a character of the text, not binary input: read as a
         * space, as a NUL byte is with allow_nul (one byte each, so offsets
         * hold) */
        char *copy = malloc(tlen);
        int bad = !copy;
        if (copy) {
            memcpy(copy, text, tlen);
            nul_to_space(copy, tlen);
            bad = json_string_setn_nocheck(t, copy, tlen) != 0;
            free(copy);
        }
        if (bad)
            return tsr_seterr(err, TSR_ERR_NOMEM, "%s:%" PRIu64 ": out of memory",
                              file, lineno);
        text = json_string_value(t);
    }

    TSR_FORWARD(get_field(j, d, F_ID, 1, file, lineno, &doc->id, err));
    if (!doc->id[0])
        return tsr_seterr(err, TSR_ERR_JSON, "%s:%" PRIu64 ": empty \"%s\" field",
                          file, lineno, j->field[F_ID]);
    TSR_FORWARD(get_field(j, d, F_TITLE, 0, file, lineno, &doc->title, err));
    TSR_FORWARD(get_field(j, d, F_DATE, 0, file, lineno, &doc->date, err));
    TSR_FORWARD(get_field(j, d, F_SERIES, 0, file, lineno, &doc->series, err));

    /* Every other field, kept as one compact object with sorted keys. */
    json_t *meta = NULL;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        int known = 0;
        for (int f = 0; f < F_COUNT && !known; f++)
            known = strcmp(key, j->field[f]) == 0;
        if (known)
            continue;
        if (!meta && !(meta = json_object()))
            return tsr_seterr(err, TSR_ERR_NOMEM, "%s:%" PRIu64 ": out of memory",
                              file, lineno);
        if (json_object_set(meta, key, val) != 0) {
            json_decref(meta);
            return tsr_seterr(err, TSR_ERR_NOMEM, "%s:%" PRIu64 ": out of memory",
                              file, lineno);
        }
    }
    if (meta) {
        size_t flags = JSON_COMPACT | JSON_SORT_KEYS |
                       JSON_REAL_PRECISION(needs_17_digits(meta) ? 17 : 15);
        d->meta = json_dumps(meta, flags);
        json_decref(meta);
        if (!d->meta)
            return tsr_seterr(err, TSR_ERR_NOMEM, "%s:%" PRIu64 ": out of memory",
                              file, lineno);
        const size_t ml = strlen(d->meta);
        if (ml > j->max_meta)
            return tsr_seterr(err, TSR_ERR_TOOBIG, "%s:%" PRIu64 ": extra fields of %zu bytes "
                              "are over the limit of %zu bytes", file, lineno, ml, j->max_meta);
    }
    doc->meta_json = d->meta;
    doc->text = text;
    doc->text_len = tlen;
    return TSR_OK;
}

/* The next document of a JSON Lines file; *got is 0 at its end.  In raw
 * mode the line itself, unparsed, with a NULL id. */
static int read_jsonl(tsr_reader *r, tsr_docinfo *doc, int *got, tsr_error *err)
{
    *got = 0;
    for (;;) {
        char *line = NULL;
        size_t len = 0;
        TSR_FORWARD(next_line(r, &line, &len, err));
        if (!line)
            return TSR_OK;
        if (r->lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        if (i == len)
            continue; /* blank line */
        *got = 1;
        if (r->o.raw_jsonl) {
            doc->text = line;
            doc->text_len = len;
            return TSR_OK;
        }
        int rc = parse_line(&r->jo, line, len, r->name, r->lineno, &r->cur, err);
        if (rc == TSR_OK) {
            *doc = r->cur.pub.doc;
            if (r->cur.fast)
                r->n_fast++;
            else
                r->n_jansson++;
        }
        return rc;
    }
}


/* ------------------------------------------------------------------------
 * Common Crawl WET (WARC records of extracted text)
 *
 * A WET file is a series of WARC/1.0 records: header lines ("Name: value",
 * CRLF), a blank line, Content-Length bytes of body, a blank line.  The
 * records of type "conversion" hold a page's text; the others (warcinfo)
 * are skipped.  A document's id is the WARC-Record-ID, its title the
 * WARC-Target-URI, its date the WARC-Date and its series the URI's host,
 * so that boilerplate is counted per site.  Files are recognised by their
 * name (.wet, .warc.wet, either compressed) or, on standard input, by
 * "WARC/" at the start.
 * --------------------------------------------------------------------- */

/* Make `need` bytes available from r->beg (fewer only at the end). */
static int fill_bytes(tsr_reader *r, size_t need, tsr_error *err)
{
    while (r->end - r->beg < need && !r->eof) {
        if (r->beg > 0 && r->cap - r->end <= READ_CHUNK) {
            memmove(r->buf, r->buf + r->beg, r->end - r->beg);
            r->end -= r->beg;
            r->scan = r->scan > r->beg ? r->scan - r->beg : 0;
            r->beg = 0;
        }
        size_t want = need - (r->end - r->beg);
        if (r->cap - r->end <= READ_CHUNK || r->cap - r->end <= want + 1)
            TSR_FORWARD(buf_reserve(r, want + READ_CHUNK, err));
        size_t got;
        TSR_FORWARD(src_read(&r->src, r->buf + r->end, r->cap - r->end - 1, &got, err));
        if (got == 0)
            r->eof = 1;
        r->end += got;
    }
    return TSR_OK;
}

/* Pass over `n` bytes from r->beg (fewer at the end), counting their
 * lines, a buffer at a time. */
static int skip_bytes(tsr_reader *r, uint64_t n, tsr_error *err)
{
    while (n > 0) {
        if (r->beg == r->end) {
            if (r->eof)
                break;
            TSR_FORWARD(fill_bytes(r, 1, err));
            continue;
        }
        size_t take = r->end - r->beg;
        if (take > n)
            take = (size_t)n;
        for (const char *p = r->buf + r->beg, *e = p + take;
             (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
            r->lineno++;
        r->beg += take;
        n -= take;
    }
    r->scan = r->beg;
    return TSR_OK;
}

static char *dup_value(const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) { v++; n--; }
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r')) n--;
    return tsr_strndup(v, n);
}

static int read_wet(tsr_reader *r, tsr_docinfo *doc, int *got, tsr_error *err)
{
    *got = 0;
    if (r->wet_has_hole) {
        r->buf[r->wet_hole] = r->wet_byte;
        r->wet_has_hole = 0;
    }
    for (;;) {
        char *line = NULL;
        size_t len = 0;
        /* the version line, after any blank lines between records */
        do {
            TSR_FORWARD(next_line(r, &line, &len, err));
            if (!line)
                return TSR_OK;
            while (len && line[len - 1] == '\r') len--;
        } while (len == 0);
        const uint64_t at = r->lineno;
        if (len < 5 || memcmp(line, "WARC/", 5) != 0)
            return tsr_seterr(err, TSR_ERR_FORMAT,
                              "%s:%" PRIu64 ": not a WARC record (expected \"WARC/\")",
                              r->name, at);
        int conversion = 0;
        uint64_t clen = 0;
        int has_len = 0;
        release_doc(r);
        for (;;) {
            TSR_FORWARD(next_line(r, &line, &len, err));
            if (!line)
                return tsr_seterr(err, TSR_ERR_FORMAT, "%s:%" PRIu64 ": WARC header cut short",
                                  r->name, r->lineno);
            while (len && line[len - 1] == '\r') len--;
            if (len == 0)
                break;
            const char *colon = memchr(line, ':', len);
            if (!colon)
                continue;
            size_t kl = (size_t)(colon - line), vl = len - kl - 1;
            const char *v = colon + 1;
#define WET_KEY(k) (kl == sizeof(k) - 1 && strncasecmp(line, k, kl) == 0)
            char **keep = NULL;   /* a field of the document: the first one counts */
            if (WET_KEY("WARC-Record-ID")) keep = &r->wet[0];
            else if (WET_KEY("WARC-Target-URI")) keep = &r->wet[1];
            else if (WET_KEY("WARC-Date")) keep = &r->wet[2];
            else if (!WET_KEY("WARC-Type") && !WET_KEY("Content-Length")) continue;
            if (keep && *keep)
                continue;
            char *t = dup_value(v, vl);
            if (!t)
                return tsr_seterr(err, TSR_ERR_NOMEM, "%s:%" PRIu64 ": out of memory"
                                  " reading a WARC header", r->name, r->lineno);
            if (keep) {
                *keep = t;
                continue;
            }
            if (WET_KEY("WARC-Type")) {
                conversion = !strcmp(t, "conversion");
            } else {
                char *end = NULL;
                clen = strtoull(t, &end, 10);
                has_len = end != t && *end == 0;
            }
            free(t);
#undef WET_KEY
        }
        if (!has_len)
            return tsr_seterr(err, TSR_ERR_FORMAT,
                              "%s:%" PRIu64 ": WARC record without a Content-Length", r->name, at);
        if (clen > r->o.max_doc_bytes) {
            /* a bad record: the next call reads the next one, not this
             * body (which is not read into memory either) */
            TSR_FORWARD(skip_bytes(r, clen, err));
            return tsr_seterr(err, TSR_ERR_TOOBIG,
                              "%s:%" PRIu64 ": record of %" PRIu64 " bytes is over the limit of %zu bytes",
                              r->name, at, clen, r->o.max_doc_bytes);
        }
        TSR_FORWARD(fill_bytes(r, (size_t)clen + 1, err));
        if (r->end - r->beg < clen)
            return tsr_seterr(err, TSR_ERR_FORMAT, "%s:%" PRIu64 ": WARC record cut short",
                              r->name, at);
        char *body = r->buf + r->beg;
        for (size_t i = 0; i < clen; i++)
            if (body[i] == '\n') r->lineno++;
        r->beg += (size_t)clen;
        r->scan = r->beg;
        if (!conversion)
            continue;
        if (!r->wet[0] || !*r->wet[0])
            return tsr_seterr(err, TSR_ERR_FORMAT,
                              "%s:%" PRIu64 ": WARC record without a WARC-Record-ID", r->name, at);
        for (int i = 0; i < 3; i++) {
            size_t off = 0;
            if (r->wet[i] && tsr_utf8_check(r->wet[i], strlen(r->wet[i]), &off) != TSR_OK)
                return tsr_seterr(err, TSR_ERR_UTF8,
                                  "%s:%" PRIu64 ": invalid UTF-8 or NUL in a WARC header value",
                                  r->name, at);
        }
        /* the byte after the body is the record separator: a terminator
         * fits there (fill_bytes asked for one more byte, and reads leave
         * one byte spare at the end of the buffer) */
        r->wet_hole = r->beg;
        r->wet_byte = body[clen];
        r->wet_has_hole = 1;
        body[clen] = 0;
        size_t off = 0;
        if (r->o.allow_nul)
            nul_to_space(body, (size_t)clen);
        int rc = tsr_utf8_check(body, (size_t)clen, &off);
        if (rc == TSR_ERR_NUL)
            return tsr_seterr(err, rc, "%s:%" PRIu64 ": NUL byte at byte %zu of the record",
                              r->name, at, off);
        if (rc != TSR_OK)
            return tsr_seterr(err, TSR_ERR_UTF8, "%s:%" PRIu64 ": invalid UTF-8 at byte %zu of the record",
                              r->name, at, off);
        if (r->wet[1]) {  /* host of the URI: scheme://host[:port]/... */
            const char *h = strstr(r->wet[1], "://");
            h = h ? h + 3 : r->wet[1];
            size_t hl = strcspn(h, "/:?#");
            r->wet[3] = tsr_strndup(h, hl);
            if (!r->wet[3])
                return tsr_seterr(err, TSR_ERR_NOMEM, "%s:%" PRIu64 ": out of memory",
                                  r->name, at);
        }
        doc->id = r->wet[0];
        doc->title = r->wet[1];
        doc->date = r->wet[2];
        doc->series = r->wet[3];
        doc->text = body;
        doc->text_len = (size_t)clen;
        *got = 1;
        return TSR_OK;
    }
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

void tsr_reader_opts_default(tsr_reader_opts *o)
{
    memset(o, 0, sizeof *o);
    o->id_field = "id";
    o->text_field = "text";
    o->title_field = "title";
    o->date_field = "date";
    o->series_field = "series";
    o->skip_bad = 0;
    o->max_doc_bytes = DEFAULT_MAX_DOC;
    o->max_meta_bytes = DEFAULT_MAX_META;
}

int tsr_reader_open(const char *path, const tsr_reader_opts *o, tsr_reader **out,
                    tsr_error *err)
{
    if (!out)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_reader_open: no output handle");
    *out = NULL;
    if (!path || !*path)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_reader_open: empty path");
    tsr_reader *r = calloc(1, sizeof *r);
    TSR_CHECK_ALLOC(r, err);
    r->src.fd = -1;
    tsr_reader_opts def;
    tsr_reader_opts_default(&def);
    r->o = o ? *o : def;
    const char *names[F_COUNT] = { r->o.id_field, r->o.text_field, r->o.title_field,
                                   r->o.date_field, r->o.series_field };
    const char *defs[F_COUNT] = { def.id_field, def.text_field, def.title_field,
                                  def.date_field, def.series_field };
    int rc = TSR_OK;
    for (int f = 0; f < F_COUNT && rc == TSR_OK; f++) {
        const char *n = names[f] && *names[f] ? names[f] : defs[f];
        r->field[f] = tsr_strndup(n, strlen(n));
        if (!r->field[f])
            rc = tsr_seterr(err, TSR_ERR_NOMEM, "out of memory");
    }
    r->o.id_field = r->field[F_ID];
    r->o.text_field = r->field[F_TEXT];
    r->o.title_field = r->field[F_TITLE];
    r->o.date_field = r->field[F_DATE];
    r->o.series_field = r->field[F_SERIES];
    jopts_init(&r->jo, &r->o); /* the field names: the copies above */
    r->o.max_doc_bytes = r->jo.max_doc;
    r->line_limit = r->jo.line_limit;

    if (rc == TSR_OK && strcmp(path, "-") == 0) {
        r->is_stdin = 1;
        rc = add_file(r, "-", 0, err);
    } else if (rc == TSR_OK) {
        struct stat st;
        if (stat(path, &st) != 0) {
            rc = tsr_seterr(err, errno == ENOENT || errno == ENOTDIR ? TSR_ERR_NOTFOUND
                                                                     : TSR_ERR_IO,
                            "%s: %s", path, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            r->walked = 1;
            rc = walk(r, path, err);
            if (rc == TSR_OK && r->files.n > 1)
                tsr_sort(r->files.a, r->files.n, sizeof *r->files.a, cmp_entry);
        } else {
            rc = add_file(r, path, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0, err);
        }
    }
    if (rc == TSR_OK && (r->o.range_begin || r->o.range_end)) {
        int kind = KIND_TEXT, comp = COMP_NONE;
        if (r->files.n == 1 && !r->is_stdin) classify(r->files.a[0].path, &kind, &comp);
        if (r->files.n != 1 || r->is_stdin || kind != KIND_JSONL || comp != COMP_NONE ||
            (r->o.range_end && r->o.range_end < r->o.range_begin))
            rc = tsr_seterr(err, TSR_ERR_INVALID, "%s: a byte range needs one uncompressed "
                            "JSON Lines file", path);
    }
    if (rc != TSR_OK) {
        tsr_reader_close(r);
        return rc;
    }
    for (size_t i = 0; i < r->files.n; i++)
        r->total += r->files.a[i].size;
    if (r->o.range_begin || r->o.range_end) {   /* progress counts the part */
        const uint64_t e = r->o.range_end && r->o.range_end < r->total ? r->o.range_end
                                                                       : r->total;
        r->total = e > r->o.range_begin ? e - r->o.range_begin : 0;
    }
    *out = r;
    return TSR_OK;
}

int tsr_reader_next(tsr_reader *r, tsr_docinfo *doc, int *eof, tsr_error *err)
{
    if (doc)
        memset(doc, 0, sizeof *doc);
    if (eof)
        *eof = 0;
    if (!r || !doc || !eof)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_reader_next: NULL argument");
    if (r->failed) {
        if (err)
            *err = r->fail;
        return r->fail.code;
    }
    release_doc(r);
    /* the notices handed out since the last call go */
    if (r->notice_next) {
        for (size_t i = 0; i < r->notice_next; i++)
            free(r->notices.a[i]);
        memmove(r->notices.a, r->notices.a + r->notice_next,
                (r->notices.n - r->notice_next) * sizeof *r->notices.a);
        r->notices.n -= r->notice_next;
        r->notice_next = 0;
    }
    tsr_error e = { 0, "" };
    for (;;) {
        int rc;
        if (r->open && r->file_done)
            close_file(r);
        if (!r->open) {
            if (r->fi >= r->files.n) {
                *eof = 1;
                return TSR_OK;
            }
            rc = open_file(r, &e);
            if (rc != TSR_OK && !is_record_error(rc))
                goto fatal;
            if (rc != TSR_OK)
                goto bad; /* corrupt or truncated compressed stream */
        }
        if (r->kind == KIND_TEXT) {
            rc = read_text(r, doc, &e);
            if (rc == RD_BINARY) {
                r->file_done = 1;
                continue;
            }
            if (rc == TSR_OK || is_record_error(rc))
                r->file_done = 1; /* one document per file: done with it */
            if (rc == TSR_OK)
                return TSR_OK;
        } else {
            int got;
            rc = r->kind == KIND_WET ? read_wet(r, doc, &got, &e) : read_jsonl(r, doc, &got, &e);
            if (rc == TSR_OK && got)
                return TSR_OK;
            if (rc == TSR_OK) {
                close_file(r);
                continue;
            }
            if (rc == TSR_ERR_FORMAT)
                r->file_done = 1;
        }
        if (!is_record_error(rc))
            goto fatal;
    bad:
        if (rc == TSR_ERR_FORMAT)
            r->file_done = 1;
        memset(doc, 0, sizeof *doc);
        release_doc(r);
        if (!r->o.skip_bad) {
            if (err)
                *err = e;
            return rc;
        }
        r->skipped++;
        r->has_skip = 1;
        memcpy(r->skipmsg, e.message, sizeof r->skipmsg);
        continue;
    fatal:
        memset(doc, 0, sizeof *doc);
        release_doc(r);
        r->failed = 1;
        r->fail = e;
        r->fail.code = rc;
        if (err)
            *err = e;
        return rc;
    }
}

uint64_t tsr_reader_bytes_done(const tsr_reader *r)
{
    if (!r)
        return 0;
    uint64_t d = r->done_prev + (r->open ? r->src.raw : 0);
    return r->total && d > r->total ? r->total : d;
}

uint64_t tsr_reader_bytes_total(const tsr_reader *r)
{
    return r ? r->total : 0;
}

uint64_t tsr_reader_skipped(const tsr_reader *r)
{
    return r ? r->skipped : 0;
}

const char *tsr_reader_last_skip(const tsr_reader *r)
{
    return r && r->has_skip ? r->skipmsg : NULL;
}

uint64_t tsr_reader_binary(const tsr_reader *r)
{
    return r ? r->binary : 0;
}

const char *tsr_reader_notice(tsr_reader *r)
{
    return r && r->notice_next < r->notices.n ? r->notices.a[r->notice_next++] : NULL;
}

void tsr_reader_where(const tsr_reader *r, const char **file, uint64_t *line)
{
    if (file)
        *file = r ? r->name : NULL;
    if (line)
        *line = r && r->name ? r->lineno : 0;
}

int tsr_parse_jsonl(const tsr_reader_opts *o, const char *line, size_t len,
                    const char *file, uint64_t lineno, tsr_jsonl_doc **out,
                    tsr_error *err)
{
    return rd_parse_jsonl(o, RD_PATH_BOTH, line, len, file, lineno, out, err);
}

int rd_parse_jsonl(const tsr_reader_opts *o, int path, const char *line, size_t len,
                   const char *file, uint64_t lineno, tsr_jsonl_doc **out, tsr_error *err)
{
    if (!out)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_parse_jsonl: no output handle");
    *out = NULL;
    if (!line && len)
        return tsr_seterr(err, TSR_ERR_INVALID, "tsr_parse_jsonl: NULL line");
    if (!file)
        file = "<input>";
    jopts j;
    jopts_init(&j, o);
    j.path = path;
    jdoc *d = calloc(1, sizeof *d);
    if (!d)
        return tsr_seterr(err, TSR_ERR_NOMEM, "%s:%" PRIu64 ": out of memory", file,
                          lineno);
    int rc = parse_line(&j, line ? line : "", len, file, lineno, d, err);
    if (rc != TSR_OK || !d->pub.doc.text) { /* an error, or declined (RD_PATH_FAST) */
        tsr_jsonl_doc_free(&d->pub);
        return rc;
    }
    *out = &d->pub;
    return TSR_OK;
}

int rd_jsonl_doc_fast(const tsr_jsonl_doc *doc)
{
    return doc && ((const jdoc *)doc)->fast;
}

void rd_reader_paths(const tsr_reader *r, uint64_t *fast, uint64_t *jansson)
{
    if (fast)
        *fast = r ? r->n_fast : 0;
    if (jansson)
        *jansson = r ? r->n_jansson : 0;
}

void tsr_jsonl_doc_free(tsr_jsonl_doc *doc)
{
    if (!doc)
        return;
    jdoc *d = (jdoc *)doc; /* pub is the first member */
    jdoc_release(d);
    free(d);
}

void tsr_reader_close(tsr_reader *r)
{
    if (!r)
        return;
    release_doc(r);
    if (r->open)
        src_close(&r->src);
    for (size_t i = 0; i < r->files.n; i++)
        free(r->files.a[i].path);
    tsr_vec_free(&r->files);
    for (size_t i = 0; i < r->notices.n; i++)
        free(r->notices.a[i]);
    tsr_vec_free(&r->notices);
    for (int f = 0; f < F_COUNT; f++)
        free(r->field[f]);
    free(r->buf_raw);
    free(r);
}
