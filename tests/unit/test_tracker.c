/*
 * test_tracker.c - the connection observer, driven by tables of segments.
 *
 * Each case is a list of segments {direction, flags, seq, ack, payload, time}
 * and the record we expect: outcome, end, latency split and its rule,
 * retransmission counts, who closed, anomalies. No pcap and no decoder: the
 * views are built by hand, so each case reads like a ladder diagram.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tracker.h"

#define MS 1000000ull
#define T0 1700000000000000000ull

enum { C2S, S2C }; /* client to server, server to client */

struct seg {
    int dir;
    uint16_t flags;
    uint32_t seq;
    uint32_t ack;
    uint32_t len;
    uint64_t t_ms;
};

#define S TCP_SYN
#define A TCP_ACK
#define F TCP_FIN
#define R TCP_RST
#define P TCP_PSH
#define END_OF_SEGS                                                                                \
    {                                                                                              \
        -1, 0, 0, 0, 0, 0                                                                          \
    }

struct tracker_case {
    const char *name;
    struct seg segs[16];
    enum tcpshake_outcome outcome;
    enum tcpshake_end end;
    int64_t server_ms; /* -1: not measured */
    int64_t client_ms;
    enum tcpshake_rtt_rule rule;
    uint32_t n_syn;
    uint32_t n_synack;
    enum tcpshake_who first_fin;
    enum tcpshake_who rst_by;
    uint32_t anomalies;
};

/* Client 10.0.0.1:40000, server 10.0.0.2:80. ISNs 1000 (client) and 5000 (server). */
static const struct tracker_case cases[] = {
    { .name = "established, client closes",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { S2C, S | A, 5000, 1001, 0, 30 },
                { C2S, A, 1001, 5001, 0, 40 },
                { C2S, A | P, 1001, 5001, 100, 41 },
                { S2C, A | P, 5001, 1101, 200, 75 },
                { C2S, F | A, 1101, 5201, 0, 80 },
                { S2C, F | A, 5201, 1102, 0, 110 },
                { C2S, A, 1102, 5202, 0, 120 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_ESTABLISHED,
      .end = TCPSHAKE_END_FIN,
      .server_ms = 30,
      .client_ms = 10,
      .rule = TCPSHAKE_RTT_EXACT,
      .n_syn = 1,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_CLIENT,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = 0 },
    { .name = "refused",
      .segs = { { C2S, S, 1000, 0, 0, 0 }, { S2C, R | A, 0, 1001, 0, 1 }, END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_REFUSED,
      .end = TCPSHAKE_END_RST,
      .server_ms = -1,
      .client_ms = -1,
      .rule = TCPSHAKE_RTT_NONE,
      .n_syn = 1,
      .n_synack = 0,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_SERVER,
      .anomalies = 0 },
    { .name = "unanswered, two retransmissions",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { C2S, S, 1000, 0, 0, 1000 },
                { C2S, S, 1000, 0, 0, 3000 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_UNANSWERED,
      .end = TCPSHAKE_END_HANDSHAKE,
      .server_ms = -1,
      .client_ms = -1,
      .rule = TCPSHAKE_RTT_NONE,
      .n_syn = 3,
      .n_synack = 0,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = 0 },
    { .name = "SYN retransmitted, then answered: Karn, from the last SYN",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { C2S, S, 1000, 0, 0, 1000 },
                { S2C, S | A, 5000, 1001, 0, 1030 },
                { C2S, A, 1001, 5001, 0, 1040 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_ESTABLISHED,
      .end = TCPSHAKE_END_OPEN,
      .server_ms = 30,
      .client_ms = 10,
      .rule = TCPSHAKE_RTT_LAST_SYN,
      .n_syn = 2,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = 0 },
    { .name = "SYN-ACK retransmitted",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { S2C, S | A, 5000, 1001, 0, 30 },
                { S2C, S | A, 5000, 1001, 0, 1030 },
                { C2S, A, 1001, 5001, 0, 1040 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_ESTABLISHED,
      .end = TCPSHAKE_END_OPEN,
      .server_ms = 30,
      .client_ms = 10,
      .rule = TCPSHAKE_RTT_LAST_SYNACK,
      .n_syn = 1,
      .n_synack = 2,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = 0 },
    { .name = "half-open: SYN-ACK never acknowledged",
      .segs = { { C2S, S, 1000, 0, 0, 0 }, { S2C, S | A, 5000, 1001, 0, 30 }, END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_HALF_OPEN,
      .end = TCPSHAKE_END_HANDSHAKE,
      .server_ms = 30,
      .client_ms = -1,
      .rule = TCPSHAKE_RTT_EXACT,
      .n_syn = 1,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = 0 },
    { .name = "SYN scan: client resets after the SYN-ACK",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { S2C, S | A, 5000, 1001, 0, 30 },
                { C2S, R, 1001, 0, 0, 31 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE,
      .end = TCPSHAKE_END_RST,
      .server_ms = 30,
      .client_ms = -1,
      .rule = TCPSHAKE_RTT_EXACT,
      .n_syn = 1,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_CLIENT,
      .anomalies = 0 },
    { .name = "SYN-ACK acknowledging the wrong number",
      .segs = { { C2S, S, 1000, 0, 0, 0 }, { S2C, S | A, 5000, 7777, 0, 30 }, END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_UNANSWERED,
      .end = TCPSHAKE_END_HANDSHAKE,
      .server_ms = -1,
      .client_ms = -1,
      .rule = TCPSHAKE_RTT_NONE,
      .n_syn = 1,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = TCPSHAKE_ANOMALY_BAD_SYNACK_ACK },
    { .name = "final ACK of the wrong number",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { S2C, S | A, 5000, 1001, 0, 30 },
                { C2S, A, 1001, 9999, 0, 40 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_HALF_OPEN,
      .end = TCPSHAKE_END_HANDSHAKE,
      .server_ms = 30,
      .client_ms = -1,
      .rule = TCPSHAKE_RTT_EXACT,
      .n_syn = 1,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = TCPSHAKE_ANOMALY_BAD_HANDSHAKE_ACK },
    { .name = "server resets an established connection; RST in window",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { S2C, S | A, 5000, 1001, 0, 30 },
                { C2S, A, 1001, 5001, 0, 40 },
                { S2C, R | A, 5001, 1001, 0, 50 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_ESTABLISHED,
      .end = TCPSHAKE_END_RST,
      .server_ms = 30,
      .client_ms = 10,
      .rule = TCPSHAKE_RTT_EXACT,
      .n_syn = 1,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_SERVER,
      .anomalies = 0 },
    { .name = "RST far outside the window is an anomaly, not a close",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { S2C, S | A, 5000, 1001, 0, 30 },
                { C2S, A, 1001, 5001, 0, 40 },
                { S2C, R, 5001u + 3000000u, 0, 0, 50 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_ESTABLISHED,
      .end = TCPSHAKE_END_OPEN,
      .server_ms = 30,
      .client_ms = 10,
      .rule = TCPSHAKE_RTT_EXACT,
      .n_syn = 1,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_SERVER,
      .anomalies = TCPSHAKE_ANOMALY_RST_OUT_OF_WINDOW },
    { .name = "half-close: server sends after the client's FIN",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { S2C, S | A, 5000, 1001, 0, 30 },
                { C2S, A, 1001, 5001, 0, 40 },
                { C2S, F | A, 1001, 5001, 0, 50 },
                { S2C, A, 5001, 1002, 0, 80 },
                { S2C, A | P, 5001, 1002, 500, 90 },
                { S2C, F | A, 5501, 1002, 0, 95 },
                { C2S, A, 1002, 5502, 0, 100 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_ESTABLISHED,
      .end = TCPSHAKE_END_FIN,
      .server_ms = 30,
      .client_ms = 10,
      .rule = TCPSHAKE_RTT_EXACT,
      .n_syn = 1,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_CLIENT,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = 0 },
    { .name = "capture starts at the SYN-ACK",
      .segs = { { S2C, S | A, 5000, 1001, 0, 0 }, { C2S, A, 1001, 5001, 0, 10 }, END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_NO_SYN,
      .end = TCPSHAKE_END_OPEN,
      .server_ms = -1,
      .client_ms = 10,
      .rule = TCPSHAKE_RTT_EXACT,
      .n_syn = 0,
      .n_synack = 1,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = 0 },
    { .name = "mid-stream",
      .segs = { { C2S, A | P, 1001, 5001, 10, 0 }, { S2C, A, 5001, 1011, 0, 10 }, END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_MIDSTREAM,
      .end = TCPSHAKE_END_OPEN,
      .server_ms = -1,
      .client_ms = -1,
      .rule = TCPSHAKE_RTT_NONE,
      .n_syn = 0,
      .n_synack = 0,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = 0 },
    { .name = "simultaneous open",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { S2C, S, 5000, 0, 0, 1 },
                { C2S, S | A, 1000, 5001, 0, 30 },
                { S2C, S | A, 5000, 1001, 0, 31 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN,
      .end = TCPSHAKE_END_OPEN,
      .server_ms = -1,
      .client_ms = -1,
      .rule = TCPSHAKE_RTT_NONE,
      .n_syn = 1,
      .n_synack = 1,
      .first_fin = /* the SYN-ACKs of the server side only */
      TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = 0 },
    { .name = "client data before the handshake completes",
      .segs = { { C2S, S, 1000, 0, 0, 0 }, { C2S, A | P, 1001, 0, 10, 5 }, END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_UNANSWERED,
      .end = TCPSHAKE_END_HANDSHAKE,
      .server_ms = -1,
      .client_ms = -1,
      .rule = TCPSHAKE_RTT_NONE,
      .n_syn = 1,
      .n_synack = 0,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = TCPSHAKE_ANOMALY_DATA_BEFORE_ESTABLISHED },
    { .name = "SYN-ACK with a changed ISN",
      .segs = { { C2S, S, 1000, 0, 0, 0 },
                { S2C, S | A, 5000, 1001, 0, 30 },
                { S2C, S | A, 6000, 1001, 0, 35 },
                { C2S, A, 1001, 6001, 0, 45 },
                END_OF_SEGS },
      .outcome = TCPSHAKE_OUTCOME_ESTABLISHED,
      .end = TCPSHAKE_END_OPEN,
      .server_ms = 30,
      .client_ms = 10,
      .rule = TCPSHAKE_RTT_LAST_SYNACK,
      .n_syn = 1,
      .n_synack = 2,
      .first_fin = TCPSHAKE_WHO_NONE,
      .rst_by = TCPSHAKE_WHO_NONE,
      .anomalies = TCPSHAKE_ANOMALY_SYNACK_ISN_CHANGED },
};

static struct tcp_view make_view(const struct seg *s)
{
    struct tcp_view v;
    memset(&v, 0, sizeof(v));
    v.tuple.ip_version = 4;
    v.tuple.vlan = -1;
    uint8_t cli[4] = { 10, 0, 0, 1 }, srv[4] = { 10, 0, 0, 2 };
    memcpy(v.tuple.src, s->dir == C2S ? cli : srv, 4);
    memcpy(v.tuple.dst, s->dir == C2S ? srv : cli, 4);
    v.tuple.sport = s->dir == C2S ? 40000 : 80;
    v.tuple.dport = s->dir == C2S ? 80 : 40000;
    v.flags = s->flags;
    v.seq = s->seq;
    v.ack = s->ack;
    v.payload_len = s->len;
    v.ip_len = 40 + s->len;
    v.window = 64000;
    v.ttl = 64;
    v.opt.wscale = -1;
    return v;
}

static int64_t ms_or_none(int64_t ns)
{
    return ns == TCPSHAKE_NO_TIME ? -1 : (int64_t)((uint64_t)ns / MS);
}

/* Feed a case's segments; returns the number of TRACK_NEW_CONNECTION answers. */
static int feed(struct conn *c, const struct seg *segs)
{
    int reused = 0;
    for (int i = 0; segs[i].dir >= 0; i++) {
        struct tcp_view v = make_view(&segs[i]);
        uint64_t t = T0 + segs[i].t_ms * MS;
        if (i == 0) {
            tracker_init(c, &v.tuple, 1, t);
        }
        if (tracker_segment(c, &v, t) == TRACK_NEW_CONNECTION) {
            reused++;
            tracker_init(c, &v.tuple, 2, t);
            tracker_segment(c, &v, t);
        }
    }
    return reused;
}

static void run_case(const struct tracker_case *tc)
{
    struct conn *c = calloc(1, sizeof(*c));
    struct tcpshake_record r = { 0 };
    feed(c, tc->segs);
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    if (r.outcome != tc->outcome || r.end != tc->end) {
        fprintf(stderr, "case: %s\n", tc->name);
    }
    CHECK_STR(tcpshake_outcome_name(r.outcome), tcpshake_outcome_name(tc->outcome));
    CHECK_STR(tcpshake_end_name(r.end), tcpshake_end_name(tc->end));
    CHECK_INT(ms_or_none(r.server_side_ns), tc->server_ms);
    CHECK_INT(ms_or_none(r.client_side_ns), tc->client_ms);
    CHECK_STR(tcpshake_rtt_rule_name(r.rtt_rule), tcpshake_rtt_rule_name(tc->rule));
    CHECK_INT(r.n_syn, tc->n_syn);
    CHECK_INT(r.n_synack, tc->n_synack);
    CHECK_STR(tcpshake_who_name(r.first_fin), tcpshake_who_name(tc->first_fin));
    CHECK_STR(tcpshake_who_name(r.rst_by), tcpshake_who_name(tc->rst_by));
    CHECK_INT(r.anomalies, tc->anomalies);
    if (tc->outcome != TCPSHAKE_OUTCOME_MIDSTREAM) {
        CHECK_INT(r.client.port, 40000);
        CHECK_INT(r.server.port, 80);
    }
    free(c);
}

static void test_details(void)
{
    /* Everything about the first case that the table does not hold. */
    struct conn *c = calloc(1, sizeof(*c));
    struct tcpshake_record r = { 0 };
    feed(c, cases[0].segs);
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK_INT(r.client.isn, 1000);
    CHECK_INT(r.server.isn, 5000);
    CHECK(r.client.fin_acked);
    CHECK(r.server.fin_acked);
    CHECK_U64(r.client.payload_bytes, 100);
    CHECK_U64(r.server.payload_bytes, 200);
    CHECK_U64(r.client.packets, 5);
    CHECK_U64(r.server.packets, 3);
    CHECK_INT(r.app_latency_ns, 34 * MS);
    CHECK_INT(r.handshake_ns, 40 * MS);
    CHECK_INT(r.duration_ns, 120 * MS);
    CHECK(!r.half_close);
    CHECK_STR(r.zeek_state, "SF");
    free(c);

    /* Half-close flag. */
    c = calloc(1, sizeof(*c));
    feed(c, cases[11].segs);
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK(r.half_close);
    free(c);

    /* Retransmission gaps. */
    c = calloc(1, sizeof(*c));
    feed(c, cases[2].segs);
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK_INT(r.n_syn_gaps, 2);
    CHECK_INT(r.syn_gaps_ns[0], 1000 * MS);
    CHECK_INT(r.syn_gaps_ns[1], 2000 * MS);
    free(c);
}

static void test_port_reuse(void)
{
    /* A closed connection, then a new SYN with a new ISN from the same port. */
    static const struct seg segs[] = {
        { C2S, S, 1000, 0, 0, 0 },         { S2C, S | A, 5000, 1001, 0, 30 },
        { C2S, A, 1001, 5001, 0, 40 },     { C2S, F | A, 1001, 5001, 0, 50 },
        { S2C, F | A, 5001, 1002, 0, 60 }, { C2S, A, 1002, 5002, 0, 70 },
        { C2S, S, 90000, 0, 0, 2000 },     { S2C, S | A, 7000, 90001, 0, 2020 },
        { C2S, A, 90001, 7001, 0, 2030 },  END_OF_SEGS,
    };
    struct conn *c = calloc(1, sizeof(*c));
    CHECK_INT(feed(c, segs), 1);
    struct tcpshake_record r = { 0 };
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK_INT(r.id, 2);
    CHECK_INT(r.client.isn, 90000);
    CHECK_INT(ms_or_none(r.server_side_ns), 20);
    CHECK_STR(tcpshake_outcome_name(r.outcome), "established");

    /* A retransmitted SYN (same ISN) is not a new connection. */
    static const struct seg retx[] = {
        { C2S, S, 1000, 0, 0, 0 },
        { C2S, S, 1000, 0, 0, 1000 },
        END_OF_SEGS,
    };
    CHECK_INT(feed(c, retx), 0);
    free(c);
}

static void test_fast_open(void)
{
    static const struct seg accepted[] = {
        { C2S, S, 1000, 0, 20, 0 },
        { S2C, S | A, 5000, 1021, 0, 30 },
        { C2S, A, 1021, 5001, 0, 40 },
        END_OF_SEGS,
    };
    struct conn *c = calloc(1, sizeof(*c));
    feed(c, accepted);
    struct tcpshake_record r = { 0 };
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK_STR(tcpshake_outcome_name(r.outcome), "fast_open");
    CHECK_STR(tcpshake_tfo_name(r.tfo), "accepted");

    static const struct seg ignored[] = {
        { C2S, S, 1000, 0, 20, 0 },
        { S2C, S | A, 5000, 1001, 0, 30 },
        { C2S, A | P, 1001, 5001, 20, 40 },
        END_OF_SEGS,
    };
    feed(c, ignored);
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK_STR(tcpshake_outcome_name(r.outcome), "fast_open");
    CHECK_STR(tcpshake_tfo_name(r.tfo), "ignored");

    /* A cookie request (empty TFO option, no data) is an ordinary handshake. */
    static const struct seg request[] = {
        { C2S, S, 1000, 0, 0, 0 },
        { S2C, S | A, 5000, 1001, 0, 30 },
        { C2S, A, 1001, 5001, 0, 40 },
        END_OF_SEGS,
    };
    struct tcp_view v = make_view(&request[0]);
    v.opt.tfo = true;
    tracker_init(c, &v.tuple, 1, T0);
    tracker_segment(c, &v, T0);
    for (int i = 1; i < 3; i++) {
        struct tcp_view w = make_view(&request[i]);
        tracker_segment(c, &w, T0 + request[i].t_ms * MS);
    }
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK_STR(tcpshake_outcome_name(r.outcome), "established");
    CHECK_STR(tcpshake_tfo_name(r.tfo), "cookie_request");

    /* SYN data that nobody answers: sent, and neither accepted nor ignored. */
    static const struct seg unanswered[] = { { C2S, S, 1000, 0, 20, 0 }, END_OF_SEGS };
    feed(c, unanswered);
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK_STR(tcpshake_outcome_name(r.outcome), "unanswered");
    CHECK_STR(tcpshake_tfo_name(r.tfo), "sent");
    free(c);
}

static void test_icmp(void)
{
    static const struct seg syn[] = { { C2S, S, 1000, 0, 0, 0 }, END_OF_SEGS };
    struct conn *c = calloc(1, sizeof(*c));
    feed(c, syn);
    struct tcp_view v = make_view(&syn[0]);
    struct icmp_view icmp = { .type = 3, .code = 3, .ip_version = 4 };
    icmp.quoted = v.tuple;
    icmp.quoted_seq = 1000;
    tracker_icmp(c, &icmp, T0 + 5 * MS);
    struct tcpshake_record r = { 0 };
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK_STR(tcpshake_outcome_name(r.outcome), "icmp_rejected");
    CHECK_INT(r.icmp_type, 3);
    CHECK_INT(r.icmp_code, 3);
    free(c);
}

/* Which segments are handshake or teardown segments (-w --handshake-only), and when the
 * outcome counts as decided (handshake events). */
static void test_key_segments(void)
{
    static const struct {
        struct seg seg;
        bool key;
        bool decided_after;
    } steps[] = {
        { { C2S, S, 1000, 0, 0, 0 }, true, false },             /* SYN */
        { { C2S, S, 1000, 0, 0, 1000 }, true, false },          /* retransmitted SYN */
        { { S2C, S | A, 5000, 1001, 0, 1030 }, true, false },   /* SYN-ACK */
        { { C2S, A, 1001, 5001, 0, 1040 }, true, true },        /* the final ACK */
        { { C2S, A | P, 1001, 5001, 100, 1041 }, false, true }, /* data */
        { { S2C, A, 5001, 1101, 0, 1070 }, false, true },       /* a later pure ACK */
        { { C2S, A, 1101, 5001, 0, 1071 }, false, true },       /* the same ACK number again */
        { { S2C, F | A, 5001, 1101, 0, 1080 }, true, true },    /* FIN */
        { { C2S, A, 1101, 5002, 0, 1090 }, false, true },       /* ACK of that FIN */
        { { C2S, R | A, 1101, 5002, 0, 1100 }, true, true },    /* RST */
    };
    struct conn *c = calloc(1, sizeof(*c));
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct tcp_view v = make_view(&steps[i].seg);
        uint64_t t = T0 + steps[i].seg.t_ms * MS;
        if (i == 0) {
            tracker_init(c, &v.tuple, 1, t);
        }
        struct track_info info = { .key_segment = !steps[i].key };
        CHECK_INT(tracker_segment_info(c, &v, t, &info), TRACK_OK);
        if (info.key_segment != steps[i].key) {
            fprintf(stderr, "key segment step %zu\n", i);
        }
        CHECK_INT(info.key_segment, steps[i].key);
        CHECK_INT(tracker_decided(c), steps[i].decided_after);
    }

    /* Later traffic proves the handshake without its ACK: the proving segment is kept, so
     * a trace of key segments alone still says established. */
    static const struct seg no_final_ack[] = {
        { C2S, S, 1000, 0, 0, 0 },
        { S2C, S | A, 5000, 1001, 0, 30 },
        { S2C, A | P, 5001, 1001, 50, 35 },
        { C2S, A, 1001, 5051, 0, 40 },
        END_OF_SEGS,
    };
    struct track_info info;
    for (int i = 0; no_final_ack[i].dir >= 0; i++) {
        struct tcp_view v = make_view(&no_final_ack[i]);
        uint64_t t = T0 + no_final_ack[i].t_ms * MS;
        if (i == 0) {
            tracker_init(c, &v.tuple, 1, t);
        }
        tracker_segment_info(c, &v, t, &info);
        CHECK_INT(info.key_segment, i != 2); /* the server's data is not; its ACK is */
    }
    CHECK(tracker_decided(c));

    /* Refused: decided by the RST; unanswered: never decided by a segment. */
    static const struct seg refused[] = {
        { C2S, S, 1000, 0, 0, 0 },
        { S2C, R | A, 0, 1001, 0, 1 },
        END_OF_SEGS,
    };
    feed(c, refused);
    CHECK(tracker_decided(c));
    static const struct seg unanswered[] = {
        { C2S, S, 1000, 0, 0, 0 },
        { C2S, S, 1000, 0, 0, 1000 },
        END_OF_SEGS,
    };
    feed(c, unanswered);
    CHECK(!tracker_decided(c));
    free(c);
}

/* The first segment's flags and sender (scan probes) and each side's RST TTL (injection). */
static void test_first_segment_and_rst_ttl(void)
{
    static const struct {
        struct seg segs[4];
        uint8_t flags;
        enum tcpshake_who by;
    } probes[] = {
        { { { C2S, F, 1000, 0, 0, 0 }, { S2C, R | A, 0, 1001, 0, 1 }, END_OF_SEGS },
          F,
          TCPSHAKE_WHO_CLIENT },
        { { { C2S, 0, 1000, 0, 0, 0 }, { S2C, R | A, 0, 1000, 0, 1 }, END_OF_SEGS },
          0,
          TCPSHAKE_WHO_CLIENT },
        { { { C2S, F | P | TCP_URG, 1000, 0, 0, 0 }, END_OF_SEGS },
          F | P | TCP_URG,
          TCPSHAKE_WHO_CLIENT },
        { { { S2C, S | A, 5000, 1001, 0, 0 }, { C2S, R, 1001, 0, 0, 1 }, END_OF_SEGS },
          S | A,
          TCPSHAKE_WHO_SERVER },
    };
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        struct conn *c = calloc(1, sizeof(*c));
        struct tcpshake_record r = { 0 };
        feed(c, probes[i].segs);
        tracker_finish(c, TCPSHAKE_END_OPEN, &r);
        CHECK_INT(r.first_flags, probes[i].flags);
        CHECK_STR(tcpshake_who_name(r.first_by), tcpshake_who_name(probes[i].by));
        free(c);
    }
    /* An established connection reset by a "server" 14 hops closer than the server. */
    static const struct seg segs[] = {
        { C2S, S, 1000, 0, 0, 0 },
        { S2C, S | A, 5000, 1001, 0, 10 },
        { C2S, A, 1001, 5001, 0, 20 },
        { S2C, R | A, 5001, 1001, 0, 30 },
    };
    struct conn *c = calloc(1, sizeof(*c));
    for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
        struct tcp_view v = make_view(&segs[i]);
        v.ttl = segs[i].flags & R ? 50 : 64;
        uint64_t t = T0 + segs[i].t_ms * MS;
        if (i == 0) {
            tracker_init(c, &v.tuple, 1, t);
        }
        tracker_segment(c, &v, t);
    }
    struct tcpshake_record r = { 0 };
    tracker_finish(c, TCPSHAKE_END_OPEN, &r);
    CHECK_INT(r.server.ttl, 64);
    CHECK_INT(r.server.rst_ttl, 50);
    CHECK_INT(r.client.rst_ttl, 0);
    CHECK_INT(r.first_flags, S);
    CHECK_STR(tcpshake_who_name(r.first_by), "client");
    free(c);
}

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_case(&cases[i]);
    }
    test_details();
    test_port_reuse();
    test_fast_open();
    test_icmp();
    test_key_segments();
    test_first_segment_and_rst_ttl();
    return check_report("tracker");
}
