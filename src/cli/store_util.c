/* store_util.c: what the commands over the session database share: opening it for
 * reading where it cannot be written, and printing stored text (titles, transcript
 * lines, snippets) to a terminal without letting it drive the terminal. A title can
 * hold anything a file name can, ESC sequences that retitle the window or rewrite the
 * screen included. */
#include "cli.h"

#include <parley/store.h>

parley_status cli_store_open_read(parley_store **db)
{
    parley_status st = parley_store_open(NULL, db);
    if (st == PARLEY_ERR_PERMISSION || st == PARLEY_ERR_DISK_FULL || st == PARLEY_ERR_IO) {
        /* A read-only or full disk, a database owned by root: reading still works.
         * NOT_FOUND: there is no database yet (and none can be made here). */
        return parley_store_open_readonly(NULL, db);
    }
    return st;
}

void cli_put_safe(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t')
            fputc(' ', f); /* one row stays one row */
        else if (*p < 0x20 || *p == 0x7f)
            fputc('?', f);
        else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) { /* C1 controls (CSI is U+009B) */
            fputc('?', f);
            p++;
        } else
            fputc(*p, f);
    }
}
