/* assets.c: the pages (web/), compiled into the library with #embed as the catalog is
 * (catalog_data.c), so `parley serve` needs no files installed and fetches nothing. */
#include "server/server_internal.h"

#include <string.h>

static const unsigned char index_html[] = {
#embed "../../web/index.html"
};
static const unsigned char app_js[] = {
#embed "../../web/app.js"
};
static const unsigned char style_css[] = {
#embed "../../web/style.css"
};

static const srv_asset assets[] = {
    {"/index.html", "text/html; charset=utf-8", index_html, sizeof index_html},
    {"/app.js", "text/javascript; charset=utf-8", app_js, sizeof app_js},
    {"/style.css", "text/css; charset=utf-8", style_css, sizeof style_css},
};

const srv_asset *srv_asset_find(const char *path)
{
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
        if (strcmp(path, assets[i].path) == 0)
            return &assets[i];
    return NULL;
}
