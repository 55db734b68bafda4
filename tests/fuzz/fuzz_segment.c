/*
 * fuzz_segment.c - libFuzzer target for the segment loader: arbitrary bytes
 * as a segment file go through seg_open, the check a reader makes when it
 * maps a file (SEG_CHECK_OPEN: in version 2 the directory and the chunk
 * table only), then as a reader uses it: seg_lookup and a full seg_scan,
 * which check each chunk of entries as they first read it, and seg_fault;
 * a merge of it into a new segment, some of its documents removed (an index
 * checks the body first; the merge must hold without that too); then the
 * body checksum and the deep check.  Nothing may crash, read out of bounds
 * or loop: a damaged file is refused or reported, never trusted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz-seg-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (size && write(fd, data, size) != (ssize_t)size) { close(fd); unlink(path); return 0; }
    close(fd);
    seg_file *s = NULL;
    tsr_error e;
    if (seg_open(path, &s, &e) == TSR_OK) {
        /* what a reader checks when it maps the file; then reads it as the
         * index does, chunks checked as they are read */
        if (seg_verify(s, SEG_CHECK_OPEN, &e) == TSR_OK) {
            uint32_t docs[8];
            uint64_t h = 0;
            for (size_t i = 0; i < size && i < 64; i++) h = h * 31 + data[i];
            seg_lookup(s, h, docs, 8);
            seg_lookup(s, ~h, docs, 8);
            seg_scan *sc = NULL;
            if (seg_scan_open(&s, 1, 2, h & 3, &sc, &e) == TSR_OK) {
                uint64_t id;
                const uint32_t *d;
                while (seg_scan_next(sc, &id, &d) > 0) {}
                seg_scan_error(sc, &e);
                seg_scan_close(sc);
            }
            seg_fault(s, &e);
            seg_chunks_checked(s);
            /* the documents whose number shares its low bit with h removed */
            uint64_t bits[4];
            for (int k = 0; k < 4; k++)
                bits[k] = h & 1 ? 0xAAAAAAAAAAAAAAAAull : 0x5555555555555555ull;
            const seg_dead dead = { bits, 256 };
            char out[sizeof path + 4];
            snprintf(out, sizeof out, "%s.mg", path);
            seg_info info;
            seg_merge_live(out, &s, 1, h & 2 ? &dead : NULL, &info, &e);
            unlink(out);
        }
        seg_verify(s, SEG_CHECK_BODY, &e);
        seg_verify(s, SEG_CHECK_DEEP, &e);
        seg_close(s);
    }
    unlink(path);
    return 0;
}
