/* capture_null.c: the capture backend of builds without a sound server library (not
 * Linux, or no libpulse): devices are unsupported; file replay (capture.c) still works. */
#ifndef PARLEY_HAVE_PULSE

#include "capture/capture_platform.h"
#include "core/internal.h"

static parley_status unsupported(void)
{
    return parley_fail(PARLEY_ERR_UNSUPPORTED,
                       "this build has no audio capture backend (Linux: build with libpulse-dev)");
}

parley_status capture_backend_list(parley_capture_source **out, size_t *n)
{
    (void)out;
    (void)n;
    return unsupported();
}

parley_status capture_backend_default(parley_capture_kind kind, char *out, size_t out_size)
{
    (void)kind;
    (void)out;
    (void)out_size;
    return unsupported();
}

parley_status capture_backend_open(parley_capture *cap)
{
    (void)cap;
    return unsupported();
}

void capture_backend_run(parley_capture *cap) { (void)cap; }
void capture_backend_close(parley_capture *cap) { (void)cap; }

#endif
