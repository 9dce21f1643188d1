/*
 * config.c - the handle's configuration: its defaults, and reading a caller's
 * struct tcpshake_config that may be older (shorter) than ours.
 *
 * The struct grows only at its end, and its first member says how big the
 * caller's copy is (tcpshake_config_default passes the caller's sizeof to
 * tcpshake_config_init, which writes no further): we take the fields within
 * that size and keep our defaults for the rest, so a program built against
 * an older header keeps working.
 */
#include "config.h"

#include <string.h>

#define NS_PER_S 1000000000ull

void tcpshake_config_init(struct tcpshake_config *cfg, size_t size)
{
    struct tcpshake_config d;
    memset(&d, 0, sizeof(d));
    d.max_flows = 262144;
    d.handshake_timeout_ns = 60 * NS_PER_S;
    d.idle_timeout_ns = 300 * NS_PER_S;
    d.close_linger_ns = 5 * NS_PER_S;
    if (size < sizeof(d.size)) {
        return;
    }
    d.size = size;
    memcpy(cfg, &d, size < sizeof(d) ? size : sizeof(d));
}

bool config_read(struct tcpshake_config *out, const struct tcpshake_config *in)
{
    tcpshake_config_init(out, sizeof(*out));
    if (in == NULL) {
        return true;
    }
    if (in->size < sizeof(in->size)) {
        return false;
    }
    memcpy(out, in, in->size < sizeof(*out) ? in->size : sizeof(*out));
    out->size = sizeof(*out);
    return true;
}
