/*
 * hex.h - packets written as hex text in the unit tests' tables.
 */
#ifndef TCPSHAKE_TEST_HEX_H
#define TCPSHAKE_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Hex text (spaces allowed) to bytes; returns the count, or SIZE_MAX on bad text. */
static inline size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *c = hex; *c != '\0'; c++) {
        int v;
        if (*c >= '0' && *c <= '9') {
            v = *c - '0';
        } else if (*c >= 'a' && *c <= 'f') {
            v = *c - 'a' + 10;
        } else if (*c == ' ') {
            continue;
        } else {
            return SIZE_MAX;
        }
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n == cap) {
            return SIZE_MAX;
        }
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    return hi < 0 ? n : SIZE_MAX;
}

#endif
