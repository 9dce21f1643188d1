/*
 * test_detect.c - the detectors on records built by hand: a SYN flood
 * triggers (with SYN cookie evidence) and a busy legitimate server does not;
 * vertical and horizontal scans with the right kind, source, target and open
 * ports; FIN / NULL / Xmas probes; an injected RST by its TTL; repeated
 * failures; backscatter; bounded tables under a flood of sources.
 */
#include "agg_detect.h"

#include <stdlib.h>

#include "alloc.h"
#include "check.h"

#define SEC UINT64_C(1000000000)
#define T0  (UINT64_C(1700000000) * SEC)

struct got {
    size_t n;
    struct tcpshake_alert a[256];
    size_t by_kind[TCPSHAKE_ALERT_COUNT];
};

static void on_alert(const struct tcpshake_alert *a, void *user)
{
    struct got *g = user;
    g->by_kind[a->kind]++;
    if (g->n < 256) {
        g->a[g->n++] = *a;
    }
}

static const struct tcpshake_alert *first_of(const struct got *g, enum tcpshake_alert_kind k)
{
    for (size_t i = 0; i < g->n; i++) {
        if (g->a[i].kind == k) {
            return &g->a[i];
        }
    }
    return NULL;
}

static void ip4(uint8_t addr[16], unsigned a, unsigned b, unsigned c, unsigned d)
{
    memset(addr, 0, 16);
    addr[0] = (uint8_t)a;
    addr[1] = (uint8_t)b;
    addr[2] = (uint8_t)c;
    addr[3] = (uint8_t)d;
}

static bool same_ip4(const uint8_t *addr, unsigned a, unsigned b, unsigned c, unsigned d)
{
    uint8_t want[16];
    ip4(want, a, b, c, d);
    return memcmp(addr, want, 4) == 0;
}

/* A kernel-made handshake (SACK, wscale, timestamps) of the given outcome at t. */
static struct tcpshake_record rec(uint64_t id, uint32_t client, uint16_t cport, uint32_t server,
                                  uint16_t sport, enum tcpshake_outcome o, uint64_t t)
{
    struct tcpshake_record r;
    memset(&r, 0, sizeof(r));
    r.id = id;
    r.ip_version = 4;
    r.vlan = -1;
    ip4(r.client.addr, client >> 24, (client >> 16) & 255, (client >> 8) & 255, client & 255);
    ip4(r.server.addr, server >> 24, (server >> 16) & 255, (server >> 8) & 255, server & 255);
    r.client.port = cport;
    r.server.port = sport;
    r.outcome = o;
    r.first_ns = r.syn_ns = r.syn_last_ns = t;
    r.last_ns = t + SEC / 1000;
    r.n_syn = 1;
    r.client.syn_seen = true;
    r.client.sack_permitted = r.client.timestamps = true;
    r.client.wscale = 7;
    r.client.ttl = 64;
    r.client.packets = 1;
    r.server.wscale = -1;
    r.server_side_ns = r.client_side_ns = r.handshake_ns = r.app_latency_ns = TCPSHAKE_NO_TIME;
    r.first_flags = 0x02;
    r.first_by = TCPSHAKE_WHO_CLIENT;
    bool answered = o == TCPSHAKE_OUTCOME_ESTABLISHED || o == TCPSHAKE_OUTCOME_HALF_OPEN ||
                    o == TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE;
    if (answered) {
        r.server.syn_seen = true;
        r.server.sack_permitted = r.server.timestamps = true;
        r.server.wscale = 7;
        r.server.ttl = 64;
        r.n_synack = 1;
        r.synack_ns = r.synack_last_ns = t + SEC / 2000;
        r.server.packets = 1;
    }
    if (o == TCPSHAKE_OUTCOME_ESTABLISHED) {
        r.ack_ns = t + SEC / 1000;
        r.client.packets = 6;
        r.server.packets = 5;
        r.client.payload_bytes = 100;
        r.server.payload_bytes = 1000;
        r.client.fin_ns = r.server.fin_ns = t + SEC / 100;
        r.first_fin = TCPSHAKE_WHO_CLIENT;
        r.last_ns = t + SEC / 50;
        r.duration_ns = (int64_t)(SEC / 50);
    }
    if (o == TCPSHAKE_OUTCOME_REFUSED) {
        r.server.rst_ns = t + SEC / 2000;
        r.server.rst_ttl = 64;
        r.rst_by = TCPSHAKE_WHO_SERVER;
    }
    return r;
}

/* A raw-socket SYN: MSS only, as nmap -sS, masscan and hping3 send. */
static void crafted(struct tcpshake_record *r)
{
    r->client.sack_permitted = r->client.timestamps = false;
    r->client.wscale = -1;
}

static struct tcpshake_detect *detector(struct got *g)
{
    memset(g, 0, sizeof(*g));
    struct tcpshake_detect *d = tcpshake_detect_new(NULL, on_alert, g);
    CHECK(d != NULL);
    return d;
}

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static void test_flood(void)
{
    struct got g;
    struct tcpshake_detect *d = detector(&g);
    uint64_t id = 1;
    /* A few real clients, then 300 spoofed SYNs from 50 sources within 20 s. */
    for (int i = 0; i < 10; i++) {
        struct tcpshake_record r =
                rec(id++, IP(192, 168, 1, 10), (uint16_t)(40000 + i), IP(10, 0, 0, 1), 80,
                    TCPSHAKE_OUTCOME_ESTABLISHED, T0 + (uint64_t)i * SEC);
        tcpshake_detect_add(d, &r);
    }
    for (int i = 0; i < 300; i++) {
        struct tcpshake_record r =
                rec(id++, IP(172, 16, 0, 1 + i % 50), (uint16_t)(1024 + i), IP(10, 0, 0, 1), 80,
                    TCPSHAKE_OUTCOME_HALF_OPEN, T0 + (uint64_t)i * SEC / 15);
        crafted(&r);
        r.server.sack_permitted = r.server.timestamps = false;
        r.server.wscale = -1;
        tcpshake_detect_add(d, &r);
    }
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_SYN_FLOOD], 1); /* the service; its host is left out */
    const struct tcpshake_alert *a = first_of(&g, TCPSHAKE_ALERT_SYN_FLOOD);
    if (a != NULL) {
        CHECK(same_ip4(a->target, 10, 0, 0, 1));
        CHECK_INT(a->target_port, 80);
        CHECK_U64(a->count, 200); /* raised when the threshold was reached */
        CHECK_U64(a->completed, 10);
        CHECK(a->distinct >= 48 && a->distinct <= 52);
        CHECK(!a->has_source);
    }
    /* SYN-ACKs never retransmitted, 5 s of capture after them: SYN cookies. */
    tcpshake_detect_finish(d, T0 + 60 * SEC);
    a = first_of(&g, TCPSHAKE_ALERT_SYN_COOKIES);
    CHECK(a != NULL);
    if (a != NULL) {
        CHECK(same_ip4(a->target, 10, 0, 0, 1));
        CHECK_INT(a->target_port, 80);
        CHECK(a->evidence & TCPSHAKE_COOKIE_NO_RETRANSMIT);
    }
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_PORT_SCAN], 0);
    /* 50 spoofed sources x 6 failures each: part of the flood, not separate alerts. */
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_REPEATED_FAILURES], 0);
    tcpshake_detect_free(d);
}

static void test_busy_server_quiet(void)
{
    struct got g;
    struct tcpshake_detect *d = detector(&g);
    uint64_t id = 1;
    /* 6000 handshakes in 60 s from 293 clients, 5 % of them failing (lost SYNs,
     * impatient clients): many failures in absolute terms, few relative. */
    for (int i = 0; i < 6000; i++) {
        enum tcpshake_outcome o = i % 20 == 0   ? TCPSHAKE_OUTCOME_UNANSWERED
                                  : i % 20 == 1 ? TCPSHAKE_OUTCOME_HALF_OPEN
                                                : TCPSHAKE_OUTCOME_ESTABLISHED;
        unsigned c = (unsigned)i % 293; /* prime: the failures spread over all clients */
        struct tcpshake_record r =
                rec(id++, IP(192, 168, c / 250, c % 250 + 1), (uint16_t)(30000 + i % 30000),
                    IP(10, 0, 0, 2), 443, o, T0 + (uint64_t)i * SEC / 100);
        if (o == TCPSHAKE_OUTCOME_HALF_OPEN) {
            r.n_synack = 3; /* a stateful server retransmits */
        }
        tcpshake_detect_add(d, &r);
    }
    tcpshake_detect_finish(d, T0 + 120 * SEC);
    CHECK_INT(g.n, 0);
    for (size_t i = 0; i < g.n; i++) {
        fprintf(stderr, "unexpected alert: %s\n", tcpshake_alert_kind_name(g.a[i].kind));
    }
    tcpshake_detect_free(d);
}

static void test_vertical_syn_scan(void)
{
    struct got g;
    struct tcpshake_detect *d = detector(&g);
    for (uint16_t port = 1; port <= 100; port++) {
        bool open = port == 22 || port == 53 || port == 80;
        struct tcpshake_record r =
                rec(port, IP(10, 9, 9, 9), 61000, IP(10, 0, 0, 3), port,
                    open ? TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE : TCPSHAKE_OUTCOME_REFUSED,
                    T0 + port * SEC / 100);
        crafted(&r);
        if (open) {
            r.client.rst_ns = r.synack_ns + 1000;
            r.client.packets = 2;
            r.rst_by = TCPSHAKE_WHO_CLIENT;
        }
        tcpshake_detect_add(d, &r);
    }
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_PORT_SCAN], 0); /* reported when the session ends */
    tcpshake_detect_finish(d, T0 + 5 * SEC);
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_PORT_SCAN], 1);
    const struct tcpshake_alert *a = first_of(&g, TCPSHAKE_ALERT_PORT_SCAN);
    if (a != NULL) {
        CHECK_INT(a->scan_shape, TCPSHAKE_SCAN_VERTICAL);
        CHECK_INT(a->scan_type, TCPSHAKE_SCAN_SYN);
        CHECK(a->has_source && same_ip4(a->source, 10, 9, 9, 9));
        CHECK(a->has_target && same_ip4(a->target, 10, 0, 0, 3));
        CHECK_U64(a->count, 100);
        CHECK(a->distinct >= 95 && a->distinct <= 105);
        CHECK_INT(a->n_open_ports, 3);
        CHECK_INT(a->open_ports[0], 22);
        CHECK_INT(a->open_ports[1], 53);
        CHECK_INT(a->open_ports[2], 80);
    }
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_REPEATED_FAILURES], 0);
    tcpshake_detect_free(d);
}

static void test_horizontal_connect_scan(void)
{
    struct got g;
    struct tcpshake_detect *d = detector(&g);
    for (unsigned h = 1; h <= 60; h++) {
        bool open = h % 10 == 0;
        struct tcpshake_record r = rec(
                h, IP(10, 8, 8, 8), (uint16_t)(50000 + h), IP(10, 1, 0, h), 443,
                open ? TCPSHAKE_OUTCOME_ESTABLISHED : TCPSHAKE_OUTCOME_REFUSED, T0 + h * SEC / 10);
        if (open) {
            /* connect() then close() at once, no data. */
            r.client.payload_bytes = r.server.payload_bytes = 0;
            r.duration_ns = (int64_t)(SEC / 500);
        }
        tcpshake_detect_add(d, &r);
    }
    /* A probe far later ends the first session and starts a small second one. */
    struct tcpshake_record late = rec(99, IP(10, 8, 8, 8), 50999, IP(10, 1, 0, 1), 443,
                                      TCPSHAKE_OUTCOME_REFUSED, T0 + 600 * SEC);
    tcpshake_detect_add(d, &late);
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_PORT_SCAN], 1);
    const struct tcpshake_alert *a = first_of(&g, TCPSHAKE_ALERT_PORT_SCAN);
    if (a != NULL) {
        CHECK_INT(a->scan_shape, TCPSHAKE_SCAN_HORIZONTAL);
        CHECK_INT(a->scan_type, TCPSHAKE_SCAN_CONNECT);
        CHECK(same_ip4(a->source, 10, 8, 8, 8));
        CHECK(!a->has_target);
        CHECK_INT(a->target_port, 443);
        CHECK(a->distinct >= 57 && a->distinct <= 63);
        CHECK_INT(a->n_open_ports, 1);
        CHECK_INT(a->open_ports[0], 443);
    }
    tcpshake_detect_finish(d, T0 + 700 * SEC);
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_PORT_SCAN], 1);
    tcpshake_detect_free(d);
}

/* A probe with no SYN: the scanner's first segment, a RST back from a closed port. */
static struct tcpshake_record stealth(uint64_t id, uint8_t flags, uint16_t port, uint64_t t)
{
    struct tcpshake_record r =
            rec(id, IP(10, 7, 7, 7), 45000, IP(10, 0, 0, 5), port, TCPSHAKE_OUTCOME_MIDSTREAM, t);
    r.client.syn_seen = false;
    r.n_syn = 0;
    r.roles_inferred = true;
    r.first_flags = flags;
    r.first_by = TCPSHAKE_WHO_CLIENT;
    r.server.packets = 1;
    r.server.rst_ns = t + 1000;
    r.rst_by = TCPSHAKE_WHO_SERVER;
    return r;
}

static void test_stealth_types(void)
{
    static const struct {
        uint8_t flags;
        enum tcpshake_scan_type want;
    } cases[] = {
        { 0x01, TCPSHAKE_SCAN_FIN },  { 0x00, TCPSHAKE_SCAN_NULL },
        { 0x29, TCPSHAKE_SCAN_XMAS }, { 0xe9, TCPSHAKE_SCAN_XMAS }, /* with ECE|CWR */
        { 0x10, TCPSHAKE_SCAN_NONE },                               /* ACK: ordinary */
        { 0x11, TCPSHAKE_SCAN_NONE },                               /* FIN|ACK: a late close */
        { 0x18, TCPSHAKE_SCAN_NONE },                               /* PSH|ACK: mid-stream data */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tcpshake_record r = stealth(1, cases[i].flags, 21, T0);
        bool open;
        const struct tcpshake_side *scanner, *target;
        CHECK_INT(scans_probe_type(&r, &open, &scanner, &target), cases[i].want);
        CHECK(!open);
        CHECK(scanner == &r.client && target == &r.server);
    }
    /* The probe's sender may have been taken for the server (a low source port). */
    struct tcpshake_record r = stealth(1, 0x01, 21, T0);
    r.first_by = TCPSHAKE_WHO_SERVER;
    bool open;
    const struct tcpshake_side *scanner, *target;
    CHECK_INT(scans_probe_type(&r, &open, &scanner, &target), TCPSHAKE_SCAN_FIN);
    CHECK(scanner == &r.server && target == &r.client);

    /* An Xmas scan of 40 ports gives one alert of type xmas. */
    struct got g;
    struct tcpshake_detect *d = detector(&g);
    for (uint16_t p = 1; p <= 40; p++) {
        struct tcpshake_record x = stealth(p, 0x29, p, T0 + p * SEC / 10);
        tcpshake_detect_add(d, &x);
    }
    tcpshake_detect_finish(d, T0 + 10 * SEC);
    const struct tcpshake_alert *a = first_of(&g, TCPSHAKE_ALERT_PORT_SCAN);
    CHECK(a != NULL);
    if (a != NULL) {
        CHECK_INT(a->scan_type, TCPSHAKE_SCAN_XMAS);
        CHECK_INT(a->scan_shape, TCPSHAKE_SCAN_VERTICAL);
        CHECK(same_ip4(a->source, 10, 7, 7, 7));
        CHECK_INT(a->n_open_ports, 0);
    }
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_BACKSCATTER], 0);
    tcpshake_detect_free(d);
}

static void test_rst_ttl(void)
{
    struct got g;
    struct tcpshake_detect *d = detector(&g);
    struct tcpshake_record r = rec(7, IP(192, 168, 1, 2), 40000, IP(10, 0, 0, 6), 443,
                                   TCPSHAKE_OUTCOME_ESTABLISHED, T0);
    r.server.ttl = 52; /* the server is 12 hops away */
    r.server.rst_ns = T0 + SEC / 200;
    r.server.rst_in_window = true;
    r.server.rst_ttl = 60; /* but the RST came from 4 hops away: injected on the path */
    r.rst_by = TCPSHAKE_WHO_SERVER;
    tcpshake_detect_add(d, &r);
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_RST_TTL], 1);
    const struct tcpshake_alert *a = first_of(&g, TCPSHAKE_ALERT_RST_TTL);
    if (a != NULL) {
        CHECK_INT(a->ttl_usual, 52);
        CHECK_INT(a->ttl_seen, 60);
        CHECK_U64(a->record_id, 7);
        CHECK(same_ip4(a->source, 10, 0, 0, 6));
    }
    /* A hop of routing change is not an injection. */
    r.server.rst_ttl = 53;
    tcpshake_detect_add(d, &r);
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_RST_TTL], 1);
    /* Out-of-window RST and a SYN-ACK with the wrong ACK: one alert each. */
    r.anomalies = TCPSHAKE_ANOMALY_RST_OUT_OF_WINDOW | TCPSHAKE_ANOMALY_BAD_SYNACK_ACK;
    r.server.rst_in_window = false;
    tcpshake_detect_add(d, &r);
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_RST_OUT_OF_WINDOW], 1);
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_SYNACK_BAD_ACK], 1);
    /* Per-record alerts are capped; the rest are counted. */
    for (int i = 0; i < 150; i++) {
        tcpshake_detect_add(d, &r);
    }
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_SYNACK_BAD_ACK], 100);
    tcpshake_detect_free(d);
}

static void test_repeated_failures_and_backscatter(void)
{
    struct got g;
    struct tcpshake_detect *d = detector(&g);
    for (int i = 0; i < 12; i++) {
        struct tcpshake_record r =
                rec(i + 1, IP(192, 168, 5, 5), (uint16_t)(40000 + i), IP(10, 0, 0, 4), 5432,
                    TCPSHAKE_OUTCOME_REFUSED, T0 + (uint64_t)i * 3 * SEC);
        tcpshake_detect_add(d, &r);
    }
    /* SYN-ACKs from 150 servers to one host that sent no SYN (reflection). */
    for (int i = 0; i < 150; i++) {
        struct tcpshake_record r = rec(100 + i, IP(10, 0, 0, 7), (uint16_t)(1024 + i),
                                       IP(203, 0, (unsigned)i / 200, (unsigned)i % 200 + 1), 80,
                                       TCPSHAKE_OUTCOME_NO_SYN, T0 + (uint64_t)i * SEC / 10);
        r.client.syn_seen = false;
        r.n_syn = 0;
        r.server.syn_seen = true;
        r.n_synack = 1;
        r.first_flags = 0x12;
        r.first_by = TCPSHAKE_WHO_SERVER;
        r.client.packets = 1; /* the RST the victim's kernel sends back */
        r.client.rst_ns = r.first_ns + 100;
        tcpshake_detect_add(d, &r);
    }
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_BACKSCATTER], 1);
    const struct tcpshake_alert *a = first_of(&g, TCPSHAKE_ALERT_BACKSCATTER);
    if (a != NULL) {
        CHECK(same_ip4(a->target, 10, 0, 0, 7));
        CHECK_U64(a->count, 100);
        CHECK(a->distinct >= 95 && a->distinct <= 105);
    }
    tcpshake_detect_finish(d, T0 + 100 * SEC);
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_REPEATED_FAILURES], 1);
    a = first_of(&g, TCPSHAKE_ALERT_REPEATED_FAILURES);
    if (a != NULL) {
        CHECK(same_ip4(a->source, 192, 168, 5, 5));
        CHECK(same_ip4(a->target, 10, 0, 0, 4));
        CHECK_INT(a->target_port, 5432);
        CHECK_U64(a->count, 12);
    }
    /* The summary and JSON writers handle every alert kept. */
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK_INT(tcpshake_detect_print(d, f), TCPSHAKE_OK);
        for (size_t i = 0; i < g.n; i++) {
            CHECK_INT(tcpshake_alert_write_json(&g.a[i], f), TCPSHAKE_OK);
        }
        fclose(f);
    }
    tcpshake_detect_free(d);
}

static void test_bounded(void)
{
    /* A million single SYNs from random sources to random ports keeps every table full;
     * nothing grows, evictions are sampled, and the flood is still seen per host. */
    struct got g;
    struct tcpshake_detect *d = detector(&g);
    uint64_t state = 1;
    for (int i = 0; i < 200000; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        struct tcpshake_record r =
                rec((uint64_t)i + 1, (uint32_t)(state >> 32), (uint16_t)(state >> 16),
                    IP(10, 0, 0, 9), (uint16_t)(1 + (state >> 8) % 60000),
                    TCPSHAKE_OUTCOME_UNANSWERED, T0 + (uint64_t)i * 50000);
        crafted(&r);
        tcpshake_detect_add(d, &r);
    }
    tcpshake_detect_finish(d, T0 + 20 * SEC);
    const struct tcpshake_alert *a = first_of(&g, TCPSHAKE_ALERT_SYN_FLOOD);
    CHECK(a != NULL);
    if (a != NULL) {
        CHECK(same_ip4(a->target, 10, 0, 0, 9));
        CHECK_INT(a->target_port, 0); /* spread over ports: the host */
    }
    CHECK_INT(g.by_kind[TCPSHAKE_ALERT_PORT_SCAN], 0);
    tcpshake_detect_free(d);
}

static void test_alloc_failure(void)
{
    for (unsigned long n = 1; n <= 8; n++) {
        alloc_fail_after(n);
        struct tcpshake_detect *d = tcpshake_detect_new(NULL, NULL, NULL);
        alloc_fail_after(0);
        tcpshake_detect_free(d); /* NULL, or a whole detector: ASan finds any leak */
    }
}

int main(void)
{
    test_flood();
    test_busy_server_quiet();
    test_vertical_syn_scan();
    test_horizontal_connect_scan();
    test_stealth_types();
    test_rst_ttl();
    test_repeated_failures_and_backscatter();
    test_bounded();
    test_alloc_failure();
    return check_report("detect");
}
