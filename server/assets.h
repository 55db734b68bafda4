/*
 * assets.h - the web page of `tessera serve`, carried inside the binary.
 *
 * serve_assets.c is generated at build time from web/ by web/embed.sh:
 * each file one entry, named by its base name ("index.html", "app.js").
 */
#ifndef TSR_SERVER_ASSETS_H
#define TSR_SERVER_ASSETS_H

#include <stddef.h>

typedef struct serve_asset {
    const char *name;
    const unsigned char *data;
    size_t len;
} serve_asset;

extern const serve_asset serve_assets[];
extern const size_t serve_n_assets;

#endif
