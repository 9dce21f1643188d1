/*
 * probe_ports.c - port lists for the prober: "22,80,8000-8010".
 *
 * Items are separated by commas; each is a port 1..65535 or a range A-B with
 * A <= B. Digits only: no signs, spaces or empty items. Ports keep the order
 * given; a port seen before is dropped, so a list never exceeds 65535 ports.
 */
#include "tcpshake.h"

#include <stdbool.h>
#include <string.h>

/* Reads a decimal port at *s, advancing it; false when absent or out of 1..65535. */
static bool read_port(const char **s, uint16_t *out)
{
    uint32_t v = 0;
    size_t digits = 0;
    while (**s >= '0' && **s <= '9') {
        v = v * 10 + (uint32_t)(**s - '0');
        (*s)++;
        if (++digits > 5) {
            return false;
        }
    }
    if (digits == 0 || v < 1 || v > 65535) {
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

enum tcpshake_status tcpshake_probe_parse_ports(const char *spec, uint16_t *ports, size_t cap,
                                                size_t *n_ports)
{
    uint8_t seen[65536 / 8];
    memset(seen, 0, sizeof(seen));
    *n_ports = 0;
    if (spec == NULL || ports == NULL) {
        return TCPSHAKE_ERR_ARG;
    }
    const char *s = spec;
    for (;;) {
        uint16_t lo, hi;
        if (!read_port(&s, &lo)) {
            return TCPSHAKE_ERR_ARG;
        }
        hi = lo;
        if (*s == '-') {
            s++;
            if (!read_port(&s, &hi) || hi < lo) {
                return TCPSHAKE_ERR_ARG;
            }
        }
        if (*s != ',' && *s != '\0') {
            return TCPSHAKE_ERR_ARG;
        }
        for (uint32_t port = lo; port <= hi; port++) {
            if (seen[port / 8] & (1u << (port % 8))) {
                continue;
            }
            if (*n_ports == cap) {
                return TCPSHAKE_ERR_ARG;
            }
            seen[port / 8] |= (uint8_t)(1u << (port % 8));
            ports[(*n_ports)++] = (uint16_t)port;
        }
        if (*s == '\0') {
            return TCPSHAKE_OK;
        }
        s++; /* the comma; an empty item after it fails in read_port */
    }
}
