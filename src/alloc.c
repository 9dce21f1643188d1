/*
 * alloc.c - the allocation wrapper (see alloc.h).
 *
 * Fault injection exists only in builds with TCPSHAKE_FAULT_INJECTION (the
 * unit tests); the library proper has no mutable global at all.
 */
#include "alloc.h"

#include <stdlib.h>

#ifdef TCPSHAKE_FAULT_INJECTION
static _Thread_local unsigned long fail_countdown;

void alloc_fail_after(unsigned long n)
{
    fail_countdown = n;
}

void *ts_calloc(size_t n, size_t size)
{
    if (fail_countdown > 0 && --fail_countdown == 0) {
        return NULL;
    }
    return calloc(n, size);
}
#else
void alloc_fail_after(unsigned long n)
{
    (void)n;
}

void *ts_calloc(size_t n, size_t size)
{
    return calloc(n, size);
}
#endif

void ts_free(void *p)
{
    free(p);
}
