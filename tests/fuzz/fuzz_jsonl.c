/*
 * fuzz_jsonl.c - libFuzzer target for the two paths of the JSON Lines
 * parser (lib/reader.c: the fast path and jansson), differentially.
 *
 * The fast path must give, for every line it takes, exactly what jansson
 * gives, and take no line that jansson refuses; for the rest it declines
 * and jansson answers, as before it existed.  Each line of the input is
 * parsed three times (rd_parse_jsonl, lib/reader.h):
 *
 *   - the fast path alone: a document, or declined;
 *   - jansson alone;
 *   - both, as tsr_parse_jsonl and the reader do.
 *
 * The target traps (abort) when the fast path took a line that jansson
 * refuses, or gave a document that differs from jansson's in any field
 * (id, title, date, series as NULL or bytes; meta_json, which jansson
 * must have NULL too; text length and bytes); and when the two paths
 * together differ from jansson alone in the status, the error message or
 * the document.  A document the fast path gave must say so
 * (rd_jsonl_doc_fast), one of jansson alone must not, and a line the fast
 * path takes alone it must take first when both may.
 *
 * Input: byte 0 picks options: bit 0 short field names (id "i", text "t",
 * title "h", date "d", series "s": easier for the fuzzer to find), bit 1
 * shared names (the title is the text field, the series the id field),
 * bit 2 a tiny max_doc_bytes (8), bit 3 allow_nul.  The rest is cut into
 * lines at '\n', each parsed as above (without its '\n', so a line may end
 * anywhere, even inside a string or an escape).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "tessera.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The same string, or both NULL. */
static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_doc(const tsr_docinfo *a, const tsr_docinfo *b)
{
    return same_str(a->id, b->id) && same_str(a->title, b->title) &&
           same_str(a->date, b->date) && same_str(a->series, b->series) &&
           same_str(a->meta_json, b->meta_json) && a->text && b->text &&
           a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0 &&
           a->text[a->text_len] == 0 && b->text[b->text_len] == 0;
}

static void check_line(const tsr_reader_opts *o, const char *line, size_t len)
{
    tsr_jsonl_doc *fast = NULL, *slow = NULL, *both = NULL;
    tsr_error ef, es, eb;
    memset(&es, 0, sizeof es);
    memset(&eb, 0, sizeof eb);
    const int rf = rd_parse_jsonl(o, RD_PATH_FAST, line, len, "f", 1, &fast, &ef);
    const int rs = rd_parse_jsonl(o, RD_PATH_JANSSON, line, len, "f", 1, &slow, &es);
    const int rb = rd_parse_jsonl(o, RD_PATH_BOTH, line, len, "f", 1, &both, &eb);

    if (rf != TSR_OK)  /* the fast path reports nothing: it declines */
        abort();
    if (fast) {
        if (rs != TSR_OK || !slow)  /* took a line jansson refuses */
            abort();
        if (!same_doc(&fast->doc, &slow->doc) || fast->doc.meta_json)
            abort();
        if (!rd_jsonl_doc_fast(fast))
            abort();
    }
    if (slow && rd_jsonl_doc_fast(slow))
        abort();
    /* both paths: jansson's answer, whoever gave it */
    if (rb != rs || (rb != TSR_OK && (eb.code != es.code || strcmp(eb.message, es.message))))
        abort();
    if (rb == TSR_OK && (!both || !slow || !same_doc(&both->doc, &slow->doc)))
        abort();
    /* (a line the fast path declines may still come back from it: with
     * allow_nul, jansson's copy with raw NUL bytes made spaces) */
    if (fast && !rd_jsonl_doc_fast(both))
        abort();
    tsr_jsonl_doc_free(fast);
    tsr_jsonl_doc_free(slow);
    tsr_jsonl_doc_free(both);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const unsigned opt = data[0];
    tsr_reader_opts o;
    tsr_reader_opts_default(&o);
    if (opt & 1) {
        o.id_field = "i";
        o.text_field = "t";
        o.title_field = "h";
        o.date_field = "d";
        o.series_field = "s";
    }
    if (opt & 2) {
        o.title_field = o.text_field;
        o.series_field = o.id_field;
    }
    if (opt & 4)
        o.max_doc_bytes = 8;
    o.allow_nul = (opt & 8) != 0;

    /* each line in a buffer of its own, so that ASan sees a read past it */
    const char *p = (const char *)data + 1, *const e = (const char *)data + size;
    while (p <= e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const size_t len = (size_t)((nl ? nl : e) - p);
        char *line = malloc(len ? len : 1);
        if (!line)
            return 0;
        memcpy(line, p, len);
        check_line(&o, line, len);
        free(line);
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}
