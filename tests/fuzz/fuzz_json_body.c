/*
 * fuzz_json_body.c - libFuzzer target for the JSON bodies `tessera serve`
 * parses (server/api.c): the input is the body of a POST to /api/check
 * (application/json) or /api/documents (application/json or JSON Lines),
 * with the right key, driven through the http_handler (api_harness.h):
 * the value count before parsing, jansson's parse, the shapes and fields,
 * the caps, the answers.
 *
 * Input: byte 0 picks the endpoint and type (0: check, 1: add as JSON,
 * 2: add as JSON Lines); the rest is the body.
 */
#include "api_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const int mode = data[0] % 3;
    data++;
    size--;
    char *body = malloc(size + 1);
    if (!body) return 0;
    if (size) memcpy(body, data, size);
    body[size] = 0;
    http_request rq = {
        .method = "POST", .path = mode == 0 ? "/api/check" : "/api/documents",
        .content_type = mode == 2 ? "application/x-ndjson" : "application/json", .charset = "",
        .api_key = FZ_KEY, .body = body, .body_len = size,
    };
    fz_request(&rq);
    free(body);
    return 0;
}
