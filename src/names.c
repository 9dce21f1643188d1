/*
 * names.c - the stable output vocabulary: names of statuses, outcomes, rules,
 * end reasons, anomalies and skip reasons, and address formatting.
 *
 * Every sink prints through these, so a name is spelled in exactly one place.
 * The man page documents the same lists; changing a name breaks users' scripts.
 */
#include "tcpshake.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

const char *tcpshake_strerror(int status)
{
    switch (status) {
#define STATUS_TEXT(name, num, text)                                                               \
    case num:                                                                                      \
        return text;
        TCPSHAKE_STATUS_MAP(STATUS_TEXT)
#undef STATUS_TEXT
    default:
        return "unknown status";
    }
}

static const char *const outcome_names[TCPSHAKE_OUTCOME_COUNT] = {
    [TCPSHAKE_OUTCOME_ESTABLISHED] = "established",
    [TCPSHAKE_OUTCOME_FAST_OPEN] = "fast_open",
    [TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN] = "simultaneous_open",
    [TCPSHAKE_OUTCOME_REFUSED] = "refused",
    [TCPSHAKE_OUTCOME_UNANSWERED] = "unanswered",
    [TCPSHAKE_OUTCOME_ICMP_REJECTED] = "icmp_rejected",
    [TCPSHAKE_OUTCOME_HALF_OPEN] = "half_open",
    [TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE] = "reset_in_handshake",
    [TCPSHAKE_OUTCOME_NO_SYN] = "no_syn",
    [TCPSHAKE_OUTCOME_MIDSTREAM] = "midstream",
};

static const char *const rtt_rule_names[TCPSHAKE_RTT_COUNT] = {
    [TCPSHAKE_RTT_NONE] = "none",           [TCPSHAKE_RTT_EXACT] = "exact",
    [TCPSHAKE_RTT_LAST_SYN] = "last_syn",   [TCPSHAKE_RTT_LAST_SYNACK] = "last_synack",
    [TCPSHAKE_RTT_LAST_BOTH] = "last_both",
};

static const char *const end_names[TCPSHAKE_END_COUNT] = {
    [TCPSHAKE_END_FIN] = "fin",
    [TCPSHAKE_END_RST] = "rst",
    [TCPSHAKE_END_HANDSHAKE] = "handshake",
    [TCPSHAKE_END_IDLE] = "idle",
    [TCPSHAKE_END_OPEN] = "open",
    [TCPSHAKE_END_EVICTED] = "evicted",
    [TCPSHAKE_END_REUSED] = "reused",
};

static const char *const tfo_names[TCPSHAKE_TFO_COUNT] = {
    [TCPSHAKE_TFO_NONE] = "none",         [TCPSHAKE_TFO_COOKIE_REQUEST] = "cookie_request",
    [TCPSHAKE_TFO_ACCEPTED] = "accepted", [TCPSHAKE_TFO_IGNORED] = "ignored",
    [TCPSHAKE_TFO_SENT] = "sent",
};

static const char *const who_names[TCPSHAKE_WHO_COUNT] = {
    [TCPSHAKE_WHO_NONE] = "none",
    [TCPSHAKE_WHO_CLIENT] = "client",
    [TCPSHAKE_WHO_SERVER] = "server",
    [TCPSHAKE_WHO_BOTH] = "both",
};

static const char *const skip_names[TCPSHAKE_SKIP_COUNT] = {
    [TCPSHAKE_SKIP_TRUNCATED] = "truncated", [TCPSHAKE_SKIP_MALFORMED] = "malformed",
    [TCPSHAKE_SKIP_NOT_TCP] = "not_tcp",     [TCPSHAKE_SKIP_UNSUPPORTED] = "unsupported",
    [TCPSHAKE_SKIP_FRAGMENT] = "fragment",
};

/* Bounds-checked lookup in one of the tables above. */
static const char *pick(const char *const *names, unsigned n, unsigned i)
{
    return i < n && names[i] != NULL ? names[i] : "unknown";
}

const char *tcpshake_outcome_name(enum tcpshake_outcome o)
{
    return pick(outcome_names, TCPSHAKE_OUTCOME_COUNT, (unsigned)o);
}

const char *tcpshake_rtt_rule_name(enum tcpshake_rtt_rule r)
{
    return pick(rtt_rule_names, TCPSHAKE_RTT_COUNT, (unsigned)r);
}

const char *tcpshake_end_name(enum tcpshake_end e)
{
    return pick(end_names, TCPSHAKE_END_COUNT, (unsigned)e);
}

const char *tcpshake_tfo_name(enum tcpshake_tfo t)
{
    return pick(tfo_names, TCPSHAKE_TFO_COUNT, (unsigned)t);
}

const char *tcpshake_who_name(enum tcpshake_who w)
{
    return pick(who_names, TCPSHAKE_WHO_COUNT, (unsigned)w);
}

const char *tcpshake_skip_name(enum tcpshake_skip s)
{
    return pick(skip_names, TCPSHAKE_SKIP_COUNT, (unsigned)s);
}

const char *tcpshake_anomaly_name(uint32_t bit)
{
    switch (bit) {
#define ANOMALY_TEXT(name, b, text)                                                                \
    case 1u << (b):                                                                                \
        return text;
        TCPSHAKE_ANOMALY_MAP(ANOMALY_TEXT)
#undef ANOMALY_TEXT
    default:
        return NULL;
    }
}

char *tcpshake_addr_str(const struct tcpshake_side *s, uint8_t ip_version, char *buf,
                        size_t buf_len)
{
    if (buf_len == 0) {
        return buf;
    }
    if (ip_version != 6 && buf_len >= 16) {
        /* Every record prints two addresses; inet_ntop's stdio is slow for four bytes. */
        char *p = buf;
        for (int i = 0; i < 4; i++) {
            unsigned v = s->addr[i];
            if (v >= 100) {
                *p++ = (char)('0' + v / 100);
            }
            if (v >= 10) {
                *p++ = (char)('0' + v / 10 % 10);
            }
            *p++ = (char)('0' + v % 10);
            *p++ = i < 3 ? '.' : '\0';
        }
        return buf;
    }
    if (inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, s->addr, buf, (socklen_t)buf_len) == NULL) {
        buf[0] = '\0';
    }
    return buf;
}
