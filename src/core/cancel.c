/* parley_cancel: an allocated atomic flag, so that public headers need no <stdatomic.h>
 * (which C++ before C++23 cannot include inside extern "C"). */
#include <stdatomic.h>
#include <stdlib.h>

#include "parley/parley.h"

struct parley_cancel {
    atomic_int flag;
};

parley_cancel *parley_cancel_new(void)
{
    parley_cancel *c = malloc(sizeof *c);
    if (c)
        atomic_init(&c->flag, 0);
    return c;
}

void parley_cancel_free(parley_cancel *c) { free(c); }

/* A lock-free atomic store: async-signal-safe. */
void parley_cancel_set(parley_cancel *c)
{
    if (c)
        atomic_store_explicit(&c->flag, 1, memory_order_release);
}

void parley_cancel_reset(parley_cancel *c)
{
    if (c)
        atomic_store_explicit(&c->flag, 0, memory_order_release);
}

int parley_cancel_is_set(const parley_cancel *c)
{
    return c ? atomic_load_explicit(&((parley_cancel *)c)->flag, memory_order_acquire) : 0;
}
