/*
 * index_and_check.c - incremental indexing and an index query with
 * libtessera: add documents, commit, reopen read-only, check a text, print
 * the result as JSON.
 *
 *   ./index_and_check DIR      (DIR: a new index directory)
 */
#include <stdio.h>
#include <string.h>

#include "tessera.h"

static const char *const texts[] = {
    "The harbour master reported that three fishing boats returned late on Friday after a storm "
    "swept across the northern coast, damaging nets and flooding the lower quay.",
    "Local bakers will open a new market hall in the spring, the council announced, with room "
    "for twenty stalls and a small cafe overlooking the river.",
    "Scientists at the observatory recorded an unusually bright meteor shower on Tuesday night, "
    "with more than one hundred trails counted in a single hour.",
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: index_and_check DIR\n");
        return 2;
    }
    tsr_error e;
    tsr_index *ix = NULL;
    /* 1. add documents and commit: durable from here on */
    if (tsr_index_open(argv[1], TSR_OPEN_CREATE, &ix, &e) != TSR_OK) {
        fprintf(stderr, "index_and_check: %s\n", e.message);
        return 1;
    }
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char id[16];
        snprintf(id, sizeof id, "doc-%zu", i);
        tsr_docinfo d = { id, "A local story", "2024-05-01", "gazette", NULL, texts[i],
                          strlen(texts[i]) };
        if (tsr_index_add(ix, &d, &e) != TSR_OK) {
            fprintf(stderr, "index_and_check: %s\n", e.message);
            tsr_index_close(ix);
            return 1;
        }
    }
    int rc = tsr_index_commit(ix, &e);
    tsr_index_close(ix);
    if (rc != TSR_OK) {
        fprintf(stderr, "index_and_check: %s\n", e.message);
        return 1;
    }
    /* 2. reopen read-only and check a text that reuses the second story */
    const char *query = "In other news, local bakers will open a new market hall in the spring, "
                        "the council announced, with room for twenty stalls and a cafe.";
    if (tsr_index_open(argv[1], TSR_OPEN_READONLY, &ix, &e) != TSR_OK) {
        fprintf(stderr, "index_and_check: %s\n", e.message);
        return 1;
    }
    tsr_result *r = NULL;
    rc = tsr_index_check(ix, query, strlen(query), NULL, &r, &e);
    if (rc != TSR_OK) {
        fprintf(stderr, "index_and_check: %s\n", e.message);
        tsr_index_close(ix);
        return 1;
    }
    char *json = tsr_result_json(r, TSR_JSON_PRETTY);
    puts(json ? json : "(out of memory)");
    int found = r->n_passages == 1 && r->n_sources == 1 && !strcmp(r->sources[0].id, "doc-1");
    tsr_free(json);
    tsr_result_free(r);
    tsr_index_close(ix);
    return found ? 0 : 1;
}
