/*
 * config.c - the handle's configuration: its defaults, reading a caller's
 * struct tcpshake_config that may be older (shorter) than ours, and the one
 * check of its values (tcpshake_config_check, for tcpshake_new and the CLI).
 *
 * The struct grows only at its end, and its first member says how big the
 * caller's copy is (tcpshake_config_default passes the caller's sizeof to
 * tcpshake_config_init, which writes no further): we take the fields within
 * that size and keep our defaults for the rest, so a program built against
 * an older header keeps working.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lane.h"

#define NS_PER_S 1000000000ull

void options_init(void *dst, size_t size, const void *defaults, size_t full)
{
    if (size < sizeof(size_t)) {
        return;
    }
    memcpy(dst, defaults, size < full ? size : full);
    memcpy(dst, &size, sizeof(size));
}

bool options_read(void *out, const void *in, const void *defaults, size_t full)
{
    memcpy(out, defaults, full);
    memcpy(out, &full, sizeof(full));
    if (in == NULL) {
        return true;
    }
    size_t size;
    memcpy(&size, in, sizeof(size));
    if (size < sizeof(size)) {
        return false;
    }
    memcpy(out, in, size < full ? size : full);
    memcpy(out, &full, sizeof(full));
    return true;
}

static struct tcpshake_config config_defaults(void)
{
    struct tcpshake_config d;
    memset(&d, 0, sizeof(d));
    d.size = sizeof(d);
    d.max_flows = 262144;
    d.handshake_timeout_ns = 60 * NS_PER_S;
    d.idle_timeout_ns = 300 * NS_PER_S;
    d.close_linger_ns = 5 * NS_PER_S;
    return d;
}

void tcpshake_config_init(struct tcpshake_config *cfg, size_t size)
{
    const struct tcpshake_config d = config_defaults();
    options_init(cfg, size, &d, sizeof(d));
}

bool config_read(struct tcpshake_config *out, const struct tcpshake_config *in)
{
    const struct tcpshake_config d = config_defaults();
    return options_read(out, in, &d, sizeof(d));
}

enum tcpshake_status tcpshake_config_check(const struct tcpshake_config *cfg, char *msg,
                                           size_t msg_len)
{
    struct tcpshake_config known;
    if (!config_read(&known, cfg)) {
        snprintf(msg, msg_len, "size %zu: the config did not come from tcpshake_config_default",
                 cfg->size);
        return TCPSHAKE_ERR_ARG;
    }
    if (known.max_flows < LANE_MIN_FLOWS || known.max_flows > LANE_MAX_FLOWS) {
        snprintf(msg, msg_len, "max_flows %zu: want a number from %u to %u", known.max_flows,
                 LANE_MIN_FLOWS, LANE_MAX_FLOWS);
        return TCPSHAKE_ERR_ARG;
    }
    if (known.threads > LANE_MAX_THREADS) {
        snprintf(msg, msg_len, "threads %u: want a number from 0 to %u", known.threads,
                 LANE_MAX_THREADS);
        return TCPSHAKE_ERR_ARG;
    }
    if (msg_len > 0) {
        msg[0] = '\0';
    }
    return TCPSHAKE_OK;
}
