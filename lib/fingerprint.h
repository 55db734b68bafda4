/* fingerprint.h - n-gram hashing shared by fingerprint.c and align.c. Not API. */
#ifndef TSR_FINGERPRINT_H
#define TSR_FINGERPRINT_H
#include "common/common.h"
/* Hash of the n (<= 16) consecutive words starting at w. */
uint64_t fp_ngram_hash(const tsr_word *w, size_t n);
#endif
