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
