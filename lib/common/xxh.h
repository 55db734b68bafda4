/*
 * xxh.h - xxHash (Debian's libxxhash-dev), compiled inline.
 *
 * Words are hashed one at a time, a few bytes each: a call into the shared
 * library per word costs more than the hash itself.  XXH_INLINE_ALL makes
 * the header's own implementation static and inlinable in each file that
 * includes this one; the values are the library's, bit for bit (the hash
 * known-answer tests in tests/unit check them).
 */
#ifndef TSR_XXH_H
#define TSR_XXH_H

#define XXH_INLINE_ALL
#include <xxhash.h>

#endif
