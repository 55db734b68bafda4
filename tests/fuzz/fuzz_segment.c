/*
 * fuzz_segment.c - libFuzzer target for the segment loader: arbitrary bytes
 * as a segment file go through seg_open, seg_verify (shallow and deep),
 * seg_lookup and a full seg_scan.  Nothing may crash, read out of bounds or
 * loop: a damaged file is refused or reported, never trusted.
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
        seg_verify(s, 0, &e);
        /* deep verification checks the directory; only a sound segment
         * is scanned (as the index does: checksum at open) */
        if (seg_verify(s, 1, &e) == TSR_OK) {
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
                seg_scan_close(sc);
            }
        }
        seg_close(s);
    }
    unlink(path);
    return 0;
}
