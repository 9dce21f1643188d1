/*
 * names.c - the stable output vocabulary: names of statuses, outcomes, rules,
 * end reasons, anomalies and skip reasons, and address formatting.
 *
 * Every sink prints through these, so a name is spelled in exactly one place.
 * The man page documents the same lists; changing a name breaks users' scripts.
 */
#include "tcpshake.h"

#include "sink.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

const char *tcpshake_strerror(enum tcpshake_status status)
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

static const char *const capture_point_names[TCPSHAKE_CAPTURE_POINT_COUNT] = {
    [TCPSHAKE_CAPTURE_POINT_UNKNOWN] = "unknown",
    [TCPSHAKE_CAPTURE_POINT_ONE_HOST] = "one_host",
    [TCPSHAKE_CAPTURE_POINT_NEAR_CLIENT] = "near_client",
    [TCPSHAKE_CAPTURE_POINT_NEAR_SERVER] = "near_server",
    [TCPSHAKE_CAPTURE_POINT_MIDDLE] = "middle",
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

static const char *const tls_outcome_names[TCPSHAKE_TLS_OUTCOME_COUNT] = {
    [TCPSHAKE_TLS_NONE] = "none",
    [TCPSHAKE_TLS_ESTABLISHED] = "established",
    [TCPSHAKE_TLS_ALERT] = "alert",
    [TCPSHAKE_TLS_RESET] = "reset",
    [TCPSHAKE_TLS_FIN] = "fin",
    [TCPSHAKE_TLS_NO_SERVER_HELLO] = "no_server_hello",
    [TCPSHAKE_TLS_INCOMPLETE] = "incomplete",
    [TCPSHAKE_TLS_TRUNCATED] = "truncated",
    [TCPSHAKE_TLS_MALFORMED] = "malformed",
    [TCPSHAKE_TLS_CAPPED] = "capped",
    [TCPSHAKE_TLS_UNTRACKED] = "untracked",
};

static const char *const tls_resumption_names[TCPSHAKE_TLS_RESUMPTION_COUNT] = {
    [TCPSHAKE_TLS_RESUMPTION_NONE] = "none",
    [TCPSHAKE_TLS_RESUMPTION_SESSION_ID] = "session_id",
    [TCPSHAKE_TLS_RESUMPTION_TICKET] = "ticket",
    [TCPSHAKE_TLS_RESUMPTION_PSK] = "psk",
};

const char *tcpshake_tls_outcome_name(enum tcpshake_tls_outcome o)
{
    return pick(tls_outcome_names, TCPSHAKE_TLS_OUTCOME_COUNT, (unsigned)o);
}

const char *tcpshake_tls_resumption_name(unsigned r)
{
    return pick(tls_resumption_names, TCPSHAKE_TLS_RESUMPTION_COUNT, r);
}

const char *tcpshake_who_name(enum tcpshake_who w)
{
    return pick(who_names, TCPSHAKE_WHO_COUNT, (unsigned)w);
}

const char *tcpshake_capture_point_name(enum tcpshake_capture_point cp)
{
    return pick(capture_point_names, TCPSHAKE_CAPTURE_POINT_COUNT, (unsigned)cp);
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

/* Octet v in decimal and a dot, in the first 2, 3 or 4 of four bytes. */
#define OCTET_LEN(v) (1 + ((v) >= 10) + ((v) >= 100))
#define OCTET_POW(k) ((k) == 2 ? 100 : (k) == 1 ? 10 : 1)
#define OCTET_AT(v, i)                                                                             \
    ((char)((i) < OCTET_LEN(v)    ? '0' + (v) / OCTET_POW(OCTET_LEN(v) - 1 - (i)) % 10             \
            : (i) == OCTET_LEN(v) ? '.'                                                            \
                                  : 0))
#define OCTET(v)                                                                                   \
    {                                                                                              \
        OCTET_AT(v, 0), OCTET_AT(v, 1), OCTET_AT(v, 2), OCTET_AT(v, 3)                             \
    }
#define OCTETS4(v)  OCTET(v), OCTET((v) + 1), OCTET((v) + 2), OCTET((v) + 3)
#define OCTETS16(v) OCTETS4(v), OCTETS4((v) + 4), OCTETS4((v) + 8), OCTETS4((v) + 12)
#define OCTETS64(v) OCTETS16(v), OCTETS16((v) + 16), OCTETS16((v) + 32), OCTETS16((v) + 48)
static const char octet_text[256][4] = { OCTETS64(0), OCTETS64(64), OCTETS64(128), OCTETS64(192) };

/* An IPv4 address in dotted decimal at p (room for 16 bytes); returns the end (its NUL).
 * Four bytes of a table per octet: a third of the instructions of working out digits. */
static char *put_v4(char *p, const uint8_t *a)
{
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        memcpy(p, octet_text[v], 4);
        p += OCTET_LEN(v) + 1;
    }
    p[-1] = '\0'; /* the last dot */
    return p - 1;
}

/*
 * RFC 5952 text, exactly as glibc's inet_ntop writes it: lower-case hex
 * without leading zeros, the longest run of two or more zero groups (the
 * first of equal runs) as "::", and the last 32 bits in dotted decimal for
 * ::a.b.c.d and ::ffff:a.b.c.d. Needs 46 bytes at p; returns the end (its NUL).
 */
static char *put_v6(char *p, const uint8_t *a)
{
    static const char hex[] = "0123456789abcdef";
    unsigned words[8];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    for (int i = 0; i < 8; i++) {
        words[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
        if (words[i] == 0) {
            if (cur < 0) {
                cur = i;
                cur_len = 0;
            }
            cur_len++;
            if (cur_len > best_len) {
                best = cur;
                best_len = cur_len;
            }
        } else {
            cur = -1;
        }
    }
    if (best_len < 2) {
        best = -1;
    }
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best) {
                *p++ = ':';
            }
            continue;
        }
        if (i != 0) {
            *p++ = ':';
        }
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
            return put_v4(p, a + 12);
        }
        bool digits = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned d = words[i] >> shift & 0xf;
            if (d != 0 || digits || shift == 0) {
                *p++ = hex[d];
                digits = true;
            }
        }
    }
    if (best >= 0 && best + best_len == 8) {
        *p++ = ':';
    }
    *p = '\0';
    return p;
}

char *sink_put_ip(char *p, const uint8_t addr[16], uint8_t ip_version)
{
    return ip_version == 6 ? put_v6(p, addr) : put_v4(p, addr);
}

char *tcpshake_addr_str(const struct tcpshake_side *s, uint8_t ip_version, char *buf,
                        size_t buf_len)
{
    /* Every record prints two addresses; inet_ntop costs more than the rest of a line. */
    if (ip_version != 6 && buf_len >= 16) {
        put_v4(buf, s->addr);
        return buf;
    }
    if (ip_version == 6 && buf_len >= 46) {
        put_v6(buf, s->addr);
        return buf;
    }
    if (buf_len == 0) {
        return buf;
    }
    if (inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, s->addr, buf, (socklen_t)buf_len) == NULL) {
        buf[0] = '\0';
    }
    return buf;
}
