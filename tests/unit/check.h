/*
 * check.h - a tiny set of typed asserts for the unit tests.
 *
 * Quiet on success; on failure prints file:line, the expression and both
 * values, counts the failure and carries on, so one run shows every broken
 * case. A test file's main() ends with `return check_report("name");`.
 */
#ifndef TCPSHAKE_CHECK_H
#define TCPSHAKE_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long check_g_ = (long long)(got), check_w_ = (long long)(want);                       \
        check_count++;                                                                             \
        if (check_g_ != check_w_) {                                                                \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", __FILE__, __LINE__, #got,          \
                    check_g_, check_w_);                                                           \
        }                                                                                          \
    } while (0)

#define CHECK_U64(got, want)                                                                       \
    do {                                                                                           \
        uint64_t check_g_ = (uint64_t)(got), check_w_ = (uint64_t)(want);                          \
        check_count++;                                                                             \
        if (check_g_ != check_w_) {                                                                \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s: got %" PRIu64 ", want %" PRIu64 "\n", __FILE__, __LINE__,  \
                    #got, check_g_, check_w_);                                                     \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *check_g_ = (got), *check_w_ = (want);                                          \
        check_count++;                                                                             \
        if (check_g_ == NULL || check_w_ == NULL || strcmp(check_g_, check_w_) != 0) {             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got,      \
                    check_g_ ? check_g_ : "(null)", check_w_ ? check_w_ : "(null)");               \
        }                                                                                          \
    } while (0)

/* Print the one-line verdict and give main() its exit code. */
static inline int check_report(const char *suite)
{
    printf("%s: %d checks, %d failed\n", suite, check_count, check_failures);
    return check_failures == 0 ? 0 : 1;
}

#endif
