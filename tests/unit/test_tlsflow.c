/*
 * test_tlsflow.c - the TLS handshake of a tracked connection (src/track/tlsflow.c):
 * a ClientHello reassembled from reordered and retransmitted segments and
 * timed by the segment that completed it, a snaplen cut, a connection that
 * does not start with TLS, and the pools running out.
 */
#include <string.h>

#include "check.h"
#include "tlsflow.h"
#include "tracker.h"

#define MS  1000000ull
#define T0  (1700000000ull * 1000000000ull)
#define ISN 1000u

enum { C2S, S2C };

static uint8_t hello[600];
static size_t hello_len;

/* A TLS 1.2 ClientHello record for SNI "test.example": one cipher suite, no
 * compression, the server_name extension, padded with a padding extension
 * (21) so that it spans several segments. */
static void make_hello(void)
{
    static const char name[] = "test.example";
    uint8_t body[560];
    size_t n = 0;
    body[n++] = 3; /* legacy_version 3.3 */
    body[n++] = 3;
    memset(body + n, 0x42, 32); /* random */
    n += 32;
    body[n++] = 0; /* session id */
    body[n++] = 0; /* cipher suites: 2 bytes */
    body[n++] = 2;
    body[n++] = 0xc0; /* ECDHE-ECDSA-AES128-GCM-SHA256 */
    body[n++] = 0x2b;
    body[n++] = 1; /* compression methods: null */
    body[n++] = 0;
    size_t ext_at = n;
    n += 2;
    size_t sni = sizeof(name) - 1;
    body[n++] = 0; /* server_name */
    body[n++] = 0;
    body[n++] = 0;
    body[n++] = (uint8_t)(sni + 5);
    body[n++] = 0;
    body[n++] = (uint8_t)(sni + 3);
    body[n++] = 0; /* host_name */
    body[n++] = 0;
    body[n++] = (uint8_t)sni;
    memcpy(body + n, name, sni);
    n += sni;
    size_t pad = sizeof(body) - n - 4;
    body[n++] = 0; /* padding */
    body[n++] = 21;
    body[n++] = (uint8_t)(pad >> 8);
    body[n++] = (uint8_t)pad;
    memset(body + n, 0, pad);
    n += pad;
    body[ext_at] = (uint8_t)((n - ext_at - 2) >> 8);
    body[ext_at + 1] = (uint8_t)(n - ext_at - 2);
    size_t hs = n + 4;
    uint8_t *p = hello;
    *p++ = 22;
    *p++ = 3;
    *p++ = 1;
    *p++ = (uint8_t)(hs >> 8);
    *p++ = (uint8_t)hs;
    *p++ = 1; /* ClientHello */
    *p++ = 0;
    *p++ = (uint8_t)(n >> 8);
    *p++ = (uint8_t)n;
    memcpy(p, body, n);
    hello_len = 9 + n;
}

static struct tcp_view view(int dir, uint16_t flags, uint32_t seq, uint32_t ack)
{
    struct tcp_view v;
    memset(&v, 0, sizeof(v));
    v.tuple.ip_version = 4;
    v.tuple.vlan = -1;
    uint8_t cli[4] = { 10, 0, 0, 1 }, srv[4] = { 10, 0, 0, 2 };
    memcpy(v.tuple.src, dir == C2S ? cli : srv, 4);
    memcpy(v.tuple.dst, dir == C2S ? srv : cli, 4);
    v.tuple.sport = dir == C2S ? 40000 : 8443;
    v.tuple.dport = dir == C2S ? 8443 : 40000;
    v.flags = flags;
    v.seq = seq;
    v.ack = ack;
    v.window = 64000;
    v.ttl = 64;
    v.opt.wscale = -1;
    return v;
}

/* One segment through the tracker and, as the engine does, tlsflow. */
static void seg(struct tlsflow_pool *p, struct conn *c, struct tcp_view v, uint64_t t_ms)
{
    tracker_segment(c, &v, T0 + t_ms * MS);
    if (c->tls_state == TLSFLOW_LOOKING || (c->tls_state == TLSFLOW_UNSEEN && v.payload_len > 0)) {
        tlsflow_segment(p, c, &v, T0 + t_ms * MS);
    }
}

static void handshake(struct tlsflow_pool *p, struct conn *c)
{
    struct flow_tuple first = view(C2S, 0, 0, 0).tuple;
    tracker_init(c, &first, 1, T0);
    seg(p, c, view(C2S, TCP_SYN, ISN, 0), 0);
    seg(p, c, view(S2C, TCP_SYN | TCP_ACK, 5000, ISN + 1), 10);
    seg(p, c, view(C2S, TCP_ACK, ISN + 1, 5001), 11);
}

/* Client payload hello[from .. from + len), of which cap bytes captured. */
static struct tcp_view client_data(uint32_t from, uint32_t len, uint32_t cap)
{
    struct tcp_view v = view(C2S, TCP_ACK | TCP_PSH, ISN + 1 + from, 5001);
    v.payload_len = len;
    v.payload_cap = cap;
    v.payload = hello + from;
    return v;
}

static void test_reordered_hello(void)
{
    struct tlsflow_pool p;
    uint64_t untracked = 0;
    CHECK(tlsflow_pool_init(&p, 4, 4, &untracked));
    static struct conn c;
    handshake(&p, &c);
    CHECK_INT(c.tls_state, TLSFLOW_UNSEEN);
    /* Three pieces: the first, then the third, the first again, then the second. */
    uint32_t a = 200, b = 400, n = (uint32_t)hello_len;
    seg(&p, &c, client_data(0, a, a), 12);
    CHECK_INT(c.tls_state, TLSFLOW_LOOKING);
    seg(&p, &c, client_data(b, n - b, n - b), 13);
    seg(&p, &c, client_data(0, a, a), 14);
    struct tcpshake_record r = { 0 };
    tracker_finish(&c, TCPSHAKE_END_OPEN, &r);
    tlsflow_finish(&p, &c, &r);
    CHECK_INT(r.tls.outcome, TCPSHAKE_TLS_INCOMPLETE); /* no ClientHello yet */
    CHECK_U64(r.tls.client_hello_ns, 0);
    seg(&p, &c, client_data(a, b - a, b - a), 15);
    tracker_finish(&c, TCPSHAKE_END_OPEN, &r);
    tlsflow_finish(&p, &c, &r);
    CHECK_INT(r.tls.outcome, TCPSHAKE_TLS_NO_SERVER_HELLO);
    CHECK_U64(r.tls.client_hello_ns, T0 + 15 * MS); /* the segment that completed it */
    CHECK_STR(r.tls.sni, "test.example");
    CHECK_INT(r.tls.ch_legacy_version, 0x0303);
    CHECK_INT(r.tls.n_ciphers, 1);
    CHECK_INT(r.tls.n_extensions, 2);
    CHECK(!r.tls.session_id_offered);
    CHECK_INT(r.tls.server_side_ns, TCPSHAKE_NO_TIME);
    /* A RST from the server ends the handshake, and gives the work item back. */
    struct tcp_view rst = view(S2C, TCP_RST | TCP_ACK, 5001, ISN + 1 + n);
    seg(&p, &c, rst, 20);
    CHECK_INT(c.tls_state, TLSFLOW_DONE);
    CHECK_INT(p.work.n_free, 4);
    tracker_finish(&c, TCPSHAKE_END_OPEN, &r);
    tlsflow_finish(&p, &c, &r);
    CHECK_INT(r.tls.outcome, TCPSHAKE_TLS_RESET);
    CHECK_INT(r.tls.closed_by, TCPSHAKE_WHO_SERVER);
    tlsflow_release(&p, &c);
    CHECK_INT(p.facts.n_free, 4);
    CHECK_U64(untracked, 0);
    tlsflow_pool_release(&p);
}

static void test_not_tls_and_cut(void)
{
    struct tlsflow_pool p;
    uint64_t untracked = 0;
    CHECK(tlsflow_pool_init(&p, 2, 2, &untracked));
    static struct conn c;
    handshake(&p, &c);
    static const uint8_t get[] = "GET / HTTP/1.1\r\n";
    struct tcp_view v = view(C2S, TCP_ACK | TCP_PSH, ISN + 1, 5001);
    v.payload_len = v.payload_cap = sizeof(get) - 1;
    v.payload = get;
    seg(&p, &c, v, 12);
    CHECK_INT(c.tls_state, TLSFLOW_NONE);
    CHECK_INT(p.facts.n_free, 2); /* nothing taken */
    struct tcpshake_record r = { 0 };
    tracker_finish(&c, TCPSHAKE_END_OPEN, &r);
    tlsflow_finish(&p, &c, &r);
    CHECK_INT(r.tls.outcome, TCPSHAKE_TLS_NONE);

    /* A snaplen of 100 bytes: the ClientHello can never complete. */
    handshake(&p, &c);
    seg(&p, &c, client_data(0, (uint32_t)hello_len, 100), 12);
    CHECK_INT(c.tls_state, TLSFLOW_DONE);
    tracker_finish(&c, TCPSHAKE_END_OPEN, &r);
    tlsflow_finish(&p, &c, &r);
    CHECK_INT(r.tls.outcome, TCPSHAKE_TLS_TRUNCATED);
    tlsflow_release(&p, &c);

    /* The record made again for a connection without TLS: the TLS object is
     * cleared, byte for byte as in a fresh record. */
    static struct conn plain;
    handshake(&p, &plain);
    struct tcpshake_record fresh = { 0 };
    tracker_finish(&plain, TCPSHAKE_END_OPEN, &fresh);
    tlsflow_finish(&p, &plain, &fresh);
    tracker_finish(&plain, TCPSHAKE_END_OPEN, &r);
    tlsflow_finish(&p, &plain, &r);
    CHECK_INT(r.tls.outcome, TCPSHAKE_TLS_NONE);
    CHECK(memcmp(&r, &fresh, sizeof(r)) == 0);
    tlsflow_pool_release(&p);
}

static void test_pool_exhausted(void)
{
    struct tlsflow_pool p;
    uint64_t untracked = 0;
    CHECK(tlsflow_pool_init(&p, 1, 4, &untracked));
    static struct conn c1, c2, c3;
    handshake(&p, &c1);
    handshake(&p, &c2);
    seg(&p, &c1, client_data(0, 100, 100), 12);
    CHECK_INT(c1.tls_state, TLSFLOW_LOOKING);
    seg(&p, &c2, client_data(0, 100, 100), 12);
    CHECK_INT(c2.tls_state, TLSFLOW_NO_ROOM);
    CHECK_U64(untracked, 1);
    CHECK_INT(p.facts.n_free, 3); /* the facts item it took first went back */
    struct tcpshake_record r = { 0 };
    tracker_finish(&c2, TCPSHAKE_END_OPEN, &r);
    tlsflow_finish(&p, &c2, &r);
    CHECK_INT(r.tls.outcome, TCPSHAKE_TLS_UNTRACKED);
    /* Once it is untracked, later segments are not looked at. */
    seg(&p, &c2, client_data(100, 100, 100), 13);
    CHECK_U64(untracked, 1);
    /* The first connection leaves: its items serve the next one. */
    tlsflow_release(&p, &c1);
    tlsflow_release(&p, &c2);
    handshake(&p, &c3);
    seg(&p, &c3, client_data(0, 100, 100), 14);
    CHECK_INT(c3.tls_state, TLSFLOW_LOOKING);
    tlsflow_release(&p, &c3);
    CHECK_INT(p.work.n_free, 1);
    CHECK_INT(p.facts.n_free, 4);
    tlsflow_pool_release(&p);
}

int main(void)
{
    make_hello();
    test_reordered_hello();
    test_not_tls_and_cut();
    test_pool_exhausted();
    return check_report("tlsflow");
}
