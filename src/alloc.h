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

#include <stddef.h>

void *ts_calloc(size_t n, size_t size);
void ts_free(void *p);
/* Tests: make the nth allocation from now (1 = the next) fail; 0 disables. */
void alloc_fail_after(unsigned long n);

#endif
