/*
 * alloc.h - the library's one allocation wrapper.
 *
 * Every allocation goes through here so that tests can make the Nth call
 * fail (alloc_fail_after) and prove each failure path returns a status and
 * frees what it took. The failure counter is per thread (tests only); with
 * it unset, these are plain calloc/free.
 */
#ifndef TCPSHAKE_ALLOC_H
#define TCPSHAKE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

void *ts_calloc(size_t n, size_t size);
void ts_free(void *p);

/* A large zeroed table that is read at random (the flow table): mapped apart,
 * and backed by 2 MiB pages where the kernel allows (after its first 2 MiB), so
 * that lookups do not each pay a TLB miss. Pages are still only made resident
 * when touched.
 * Freed with ts_free_table(p, n, size). NULL on failure or overflow. */
void *ts_calloc_table(size_t n, size_t size);
void ts_free_table(void *p, size_t n, size_t size);
/* Tests: make the nth allocation from now (1 = the next) fail; 0 disables. */
void alloc_fail_after(unsigned long n);
/* Tests: whether this build can inject failures (else alloc_fail_after does nothing). */
bool alloc_fault_injection(void);

#endif
