/*
 * alloc.c - the allocation wrapper (see alloc.h).
 *
 * Fault injection exists only in builds with TCPSHAKE_FAULT_INJECTION (the
 * unit tests); the library proper has no mutable global at all.
 */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#ifdef TCPSHAKE_FAULT_INJECTION
static _Thread_local unsigned long fail_countdown;

void alloc_fail_after(unsigned long n)
{
    fail_countdown = n;
}

static int injected_failure(void)
{
    return fail_countdown > 0 && --fail_countdown == 0;
}

bool alloc_fault_injection(void)
{
    return true;
}
#else
void alloc_fail_after(unsigned long n)
{
    (void)n;
}

static int injected_failure(void)
{
    return 0;
}

bool alloc_fault_injection(void)
{
    return false;
}
#endif

void *ts_calloc(size_t n, size_t size)
{
    if (injected_failure()) {
        return NULL;
    }
    return calloc(n, size);
}

#define HUGE_PAGE ((size_t)2 << 20)

/* n * size rounded up to whole 2 MiB pages; 0 on overflow. */
static size_t table_bytes(size_t n, size_t size)
{
    if (size != 0 && n > (SIZE_MAX - HUGE_PAGE) / size) {
        return 0;
    }
    return (n * size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
}

void *ts_calloc_table(size_t n, size_t size)
{
    size_t bytes = table_bytes(n, size);
    if (bytes == 0 || injected_failure()) {
        return NULL;
    }
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    /* A hint (4 KiB pages work too), and not for the first 2 MiB: a small capture
     * touches only the start of each table and should not pay 2 MiB for it. */
    if (bytes > HUGE_PAGE) {
        madvise((char *)p + HUGE_PAGE, bytes - HUGE_PAGE, MADV_HUGEPAGE);
    }
#endif
    return p;
}

void ts_free_table(void *p, size_t n, size_t size)
{
    if (p != NULL) {
        munmap(p, table_bytes(n, size));
    }
}

void ts_free(void *p)
{
    free(p);
}
