/*
 * align_pair.c - one-shot use of libtessera: the passages two texts share.
 *
 *   cc -Ilib examples/align_pair.c build/libtessera.a $(pkg-config --libs ...) -o align_pair
 *   ./align_pair
 */
#include <stdio.h>
#include <string.h>

#include "tessera.h"

int main(void)
{
    const char *a = "In a sudden about turn, the president suggested that a historic peace deal "
                    "without any preconditions could be signed by the end of the year, "
                    "observers said on Wednesday.";
    const char *b = "Officials met on Tuesday. The president suggested that a historic peace deal "
                    "without any preconditions could be signed by the end of this year. "
                    "Talks resume next month.";
    tsr_params p;
    tsr_params_default(&p);
    tsr_result *r = NULL;
    tsr_error e;
    if (tsr_align(a, strlen(a), b, strlen(b), &p, &r, &e) != TSR_OK) {
        fprintf(stderr, "align_pair: %s\n", e.message);
        return 1;
    }
    for (size_t i = 0; i < r->n_passages; i++) {
        const tsr_passage *x = &r->passages[i];
        printf("a[%zu,%zu) ~ b[%zu,%zu) similarity %.2f: %.*s\n", x->a_begin, x->a_end,
               x->b_begin, x->b_end, x->similarity, (int)(x->a_end - x->a_begin), a + x->a_begin);
    }
    printf("coverage %.2f\n", r->coverage);
    int found = r->n_passages == 1;
    tsr_result_free(r);
    return found ? 0 : 1;
}
