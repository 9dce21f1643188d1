/*
 * test_probe.c - the prober's pure parts: port lists, latency statistics,
 * handle creation rejecting unusable configurations, and SYN-mode answers
 * read through the decoder (hex packets as a raw socket hands them over).
 * Probing itself needs a network and is tested end to end
 * (tests/e2e/probe.sh).
 */
#include "probe.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "check.h"
#include "hex.h"

struct port_case {
    const char *spec;
    int status;
    size_t n;             /* ports parsed */
    uint16_t first, last; /* first and last of them, when n > 0 */
};

static const struct port_case port_cases[] = {
    { "22", TCPSHAKE_OK, 1, 22, 22 },
    { "22,80,443", TCPSHAKE_OK, 3, 22, 443 },
    { "8000-8010", TCPSHAKE_OK, 11, 8000, 8010 },
    { "22,80,8000-8010", TCPSHAKE_OK, 13, 22, 8010 },
    { "1-65535", TCPSHAKE_OK, 65535, 1, 65535 },
    { "65535", TCPSHAKE_OK, 1, 65535, 65535 },
    { "80,80,79-81", TCPSHAKE_OK, 3, 80, 81 }, /* duplicates dropped, order kept */
    { "5-5", TCPSHAKE_OK, 1, 5, 5 },
    { "0080", TCPSHAKE_OK, 1, 80, 80 },
    { "", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "0", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "65536", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "100000", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "000080", TCPSHAKE_ERR_ARG, 0, 0, 0 }, /* six digits */
    { "80,", TCPSHAKE_ERR_ARG, 1, 80, 80 },
    { ",80", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "80,,81", TCPSHAKE_ERR_ARG, 1, 80, 80 },
    { "90-80", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "80-", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "-80", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "1-2-3", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "80 ", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { " 80", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "+80", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "http", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "80x", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "0-10", TCPSHAKE_ERR_ARG, 0, 0, 0 },
    { "10-65536", TCPSHAKE_ERR_ARG, 0, 0, 0 },
};

static void test_ports(void)
{
    uint16_t *ports = calloc(65535, sizeof(*ports));
    CHECK(ports != NULL);
    if (ports == NULL) {
        return;
    }
    for (size_t i = 0; i < sizeof(port_cases) / sizeof(port_cases[0]); i++) {
        const struct port_case *c = &port_cases[i];
        size_t n = 99;
        int rc = tcpshake_probe_parse_ports(c->spec, ports, 65535, &n);
        if (rc != c->status) {
            fprintf(stderr, "port list \"%s\":\n", c->spec);
        }
        CHECK_INT(rc, c->status);
        CHECK_U64(n, c->n);
        if (c->n > 0 && n == c->n) {
            CHECK_INT(ports[0], c->first);
            CHECK_INT(ports[n - 1], c->last);
        }
    }
    /* More ports than room: an error, and nothing written past cap. */
    size_t n = 0;
    ports[3] = 7;
    CHECK_INT(tcpshake_probe_parse_ports("1-10", ports, 3, &n), TCPSHAKE_ERR_ARG);
    CHECK_U64(n, 3);
    CHECK_INT(ports[3], 7);
    CHECK_INT(tcpshake_probe_parse_ports(NULL, ports, 3, &n), TCPSHAKE_ERR_ARG);
    free(ports);
}

struct stats_case {
    const char *name;
    int64_t v[10];
    size_t n;
    int64_t min, median, p90, max, stddev;
};

static const struct stats_case stats_cases[] = {
    { "one value", { 5 }, 1, 5, 5, 5, 5, 0 },
    { "two: median is their mean", { 10, 20 }, 2, 10, 15, 20, 20, 5 },
    { "odd, unsorted", { 9, 1, 5 }, 3, 1, 5, 9, 9, 3 }, /* sd sqrt(32/3) = 3.27 */
    { "1..10: p90 rank 9", { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 }, 10, 1, 5, 9, 10, 3 },
    /* mean 5, squares 9+1+1+1+0+0+4+16 = 32 over 8 = 4: sd 2 */
    { "population sd", { 2, 4, 4, 4, 5, 5, 7, 9 }, 8, 2, 4, 9, 9, 2 },
    { "equal values", { 7, 7, 7, 7 }, 4, 7, 7, 7, 7, 0 },
    { "large ns",
      { 1000000000, 3000000000 },
      2,
      1000000000,
      2000000000,
      3000000000,
      3000000000,
      1000000000 },
};

static void test_stats(void)
{
    for (size_t i = 0; i < sizeof(stats_cases) / sizeof(stats_cases[0]); i++) {
        const struct stats_case *c = &stats_cases[i];
        int64_t v[10];
        memcpy(v, c->v, sizeof(v));
        struct probe_stats st;
        probe_stats_compute(v, c->n, &st);
        if (st.median_ns != c->median || st.p90_ns != c->p90 || st.stddev_ns != c->stddev) {
            fprintf(stderr, "stats case \"%s\":\n", c->name);
        }
        CHECK_INT(st.min_ns, c->min);
        CHECK_INT(st.median_ns, c->median);
        CHECK_INT(st.p90_ns, c->p90);
        CHECK_INT(st.max_ns, c->max);
        CHECK_INT(st.stddev_ns, c->stddev);
    }
    /* p90 by nearest rank over 20 values: rank 18. */
    int64_t v[20];
    for (int i = 0; i < 20; i++) {
        v[i] = 20 - i;
    }
    struct probe_stats st;
    probe_stats_compute(v, 20, &st);
    CHECK_INT(st.p90_ns, 18);
    CHECK_INT(st.median_ns, 10); /* (10 + 11) / 2 rounded down */
    probe_stats_compute(v, 0, &st);
    CHECK_INT(st.min_ns, TCPSHAKE_NO_TIME);
    CHECK_INT(st.median_ns, TCPSHAKE_NO_TIME);
    CHECK_INT(st.stddev_ns, TCPSHAKE_NO_TIME);
}

static void test_new(void)
{
    static const uint16_t ports[] = { 22, 80 };
    static const uint16_t zero[] = { 0 };
    struct tcpshake_probe_config cfg;
    tcpshake_probe_config_default(&cfg);
    CHECK_INT(cfg.count, 1);
    CHECK_INT(cfg.rate, 100);
    CHECK_INT(cfg.parallel, 64);
    CHECK_U64(cfg.timeout_ns, 2000000000u);
    CHECK(tcpshake_probe_new(&cfg, NULL, NULL, NULL) == NULL); /* no host, no ports */
    cfg.host = "127.0.0.1";
    cfg.ports = ports;
    cfg.n_ports = 2;
    struct tcpshake_probe *p = tcpshake_probe_new(&cfg, NULL, NULL, NULL);
    CHECK(p != NULL);
    tcpshake_probe_free(p);
    tcpshake_probe_free(NULL);

    struct tcpshake_probe_config bad = cfg;
    bad.ports = zero;
    bad.n_ports = 1;
    CHECK(tcpshake_probe_new(&bad, NULL, NULL, NULL) == NULL);
    bad = cfg;
    bad.count = TCPSHAKE_PROBE_MAX_ATTEMPTS; /* 2 ports: twice the bound */
    CHECK(tcpshake_probe_new(&bad, NULL, NULL, NULL) == NULL);
    bad = cfg;
    bad.parallel = TCPSHAKE_PROBE_MAX_PARALLEL + 1;
    CHECK(tcpshake_probe_new(&bad, NULL, NULL, NULL) == NULL);
    bad = cfg;
    bad.family = 5;
    CHECK(tcpshake_probe_new(&bad, NULL, NULL, NULL) == NULL);
    bad = cfg;
    bad.rate = 0;
    CHECK(tcpshake_probe_new(&bad, NULL, NULL, NULL) == NULL);

    /* Every allocation failing in turn gives NULL, never a leak (ASan checks). */
    for (unsigned long n = 1; n <= 8; n++) {
        alloc_fail_after(n);
        p = tcpshake_probe_new(&cfg, NULL, NULL, NULL);
        alloc_fail_after(0);
        tcpshake_probe_free(p);
    }

    /* A run on an address outside the forced family fails cleanly (no DNS asked); a
     * second run is out of order. */
    cfg.host = "::1";
    cfg.family = 4;
    p = tcpshake_probe_new(&cfg, NULL, NULL, NULL);
    CHECK(p != NULL);
    if (p != NULL) {
        CHECK_INT(tcpshake_probe_run(p), TCPSHAKE_ERR_RESOLVE);
        CHECK(strstr(tcpshake_probe_errmsg(p), "::1") != NULL);
        CHECK_INT(tcpshake_probe_run(p), TCPSHAKE_ERR_STATE);
        tcpshake_probe_free(p);
    }
    CHECK_STR(tcpshake_probe_state_name(TCPSHAKE_PROBE_UNREACHABLE), "unreachable");
    CHECK_STR(tcpshake_probe_state_name(TCPSHAKE_PROBE_STATE_COUNT), "?");
    CHECK_STR(tcpshake_strerror(TCPSHAKE_ERR_PERM), "permission denied");
}

/* ------------------------------------------------------------ SYN answers */

/*
 * Our SYN went from 192.0.2.1 port 40000 (9c40) to the target 192.0.2.10
 * port 80 with ISN 11223344 (2001:db8::1 to 2001:db8::a for IPv6). An IPv6
 * packet starts with the header drain() puts in front of the payload.
 */
#define V4_TCP(len) "45 00 " len " 0000 4000 40 06 0000  c000020a c0000201 "
#define V6_TCP(len)                                                                                \
    "60000000 " len " 06 40  20010db8 00000000 00000000 0000000a "                                 \
    "20010db8 00000000 00000000 00000001 "
#define SYN_QUOTE_V4 "45 00 002c 0000 4000 40 06 0000  c0000201 c000020a  9c40 0050 11223344 "

struct reply_case {
    const char *name;
    const char *hex;
    bool answers; /* probe_syn_reply's verdict; the rest only when true */
    enum tcpshake_probe_state state;
    bool icmp;
    uint8_t icmp_type, icmp_code;
    int error;
    bool send_rst;
    uint32_t isn;
};

static const struct reply_case reply_cases[] = {
    { .name = "SYN-ACK: open, and a RST to send",
      .hex = V4_TCP("002c") "0050 9c40 aabbccdd 11223345 60 12 ffff 0000 0000 020405b4",
      .answers = true,
      .state = TCPSHAKE_PROBE_OPEN,
      .send_rst = true,
      .isn = 0x11223344 },
    { .name = "RST-ACK: closed",
      .hex = V4_TCP("0028") "0050 9c40 00000000 11223345 50 14 0000 0000 0000",
      .answers = true,
      .state = TCPSHAKE_PROBE_CLOSED,
      .error = ECONNREFUSED,
      .isn = 0x11223344 },
    { .name = "ICMP port unreachable quoting the SYN",
      .hex = "45 00 0038 0000 0000 40 01 0000  c6336401 c0000201  03 03 0000 "
             "00000000 " SYN_QUOTE_V4,
      .answers = true,
      .state = TCPSHAKE_PROBE_UNREACHABLE,
      .icmp = true,
      .icmp_type = 3,
      .icmp_code = 3,
      .isn = 0x11223344 },
    { .name = "ICMP time exceeded quoting the SYN",
      .hex = "45 00 0038 0000 0000 40 01 0000  c6336401 c0000201  0b 00 0000 "
             "00000000 " SYN_QUOTE_V4,
      .answers = true,
      .state = TCPSHAKE_PROBE_UNREACHABLE,
      .icmp = true,
      .icmp_type = 11,
      .isn = 0x11223344 },
    { .name = "IPv6 SYN-ACK",
      .hex = V6_TCP("0018") "0050 9c40 aabbccdd 11223345 60 12 ffff 0000 0000 020405b4",
      .answers = true,
      .state = TCPSHAKE_PROBE_OPEN,
      .send_rst = true,
      .isn = 0x11223344 },
    { .name = "ICMPv6 port unreachable quoting the SYN",
      .hex = "60000000 0048 3a 40  20010db8 00000000 00000000 000000fe "
             "20010db8 00000000 00000000 00000001  01 04 0000 00000000 "
             "60000000 0018 06 40  20010db8 00000000 00000000 00000001 "
             "20010db8 00000000 00000000 0000000a  9c40 0050 11223344 00000000 60 02 faf0 0000 "
             "0000 020405b4",
      .answers = true,
      .state = TCPSHAKE_PROBE_UNREACHABLE,
      .icmp = true,
      .icmp_type = 1,
      .icmp_code = 4,
      .isn = 0x11223344 },
    { .name = "SYN-ACK cut short", .hex = V4_TCP("002c") "0050 9c40 aabbccdd 1122" },
    { .name = "garbage", .hex = "ff00ff00 deadbeef 0102" },
    { .name = "empty", .hex = "" },
    { .name = "SYN-ACK from another host",
      .hex = "45 00 002c 0000 4000 40 06 0000  c000020b c0000201 "
             "0050 9c40 aabbccdd 11223345 60 12 ffff 0000 0000 020405b4" },
    { .name = "bare ACK: neither SYN nor RST",
      .hex = V4_TCP("0028") "0050 9c40 aabbccdd 11223345 50 10 ffff 0000 0000" },
    { .name = "RST without ACK",
      .hex = V4_TCP("0028") "0050 9c40 11223345 00000000 50 04 0000 0000 0000" },
    { .name = "ICMP echo reply",
      .hex = "45 00 001c 0000 0000 40 01 0000  c000020a c0000201  00 00 0000 00010001" },
    { .name = "ICMP source quench quoting the SYN: not an answer we use",
      .hex = "45 00 0038 0000 0000 40 01 0000  c6336401 c0000201  04 00 0000 "
             "00000000 " SYN_QUOTE_V4 },
    { .name = "ICMP unreachable quoting a SYN to another host",
      .hex = "45 00 0038 0000 0000 40 01 0000  c6336401 c0000201  03 03 0000 00000000 "
             "45 00 002c 0000 4000 40 06 0000  c0000201 c000020b  9c40 0050 11223344" },
};

static void test_syn_reply(void)
{
    static const uint8_t target4[16] = { 192, 0, 2, 10 };
    static const uint8_t target6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a };
    for (size_t i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
        const struct reply_case *c = &reply_cases[i];
        uint8_t pkt[256];
        size_t n = unhex(c->hex, pkt, sizeof(pkt));
        CHECK(n != SIZE_MAX);
        if (n == SIZE_MAX) {
            fprintf(stderr, "reply case \"%s\": bad hex\n", c->name);
            continue;
        }
        const uint8_t *target = n > 0 && pkt[0] >> 4 == 6 ? target6 : target4;
        struct syn_reply r;
        bool answers = probe_syn_reply(pkt, n, target, &r);
        if (answers != c->answers) {
            fprintf(stderr, "reply case \"%s\":\n", c->name);
        }
        CHECK_INT(answers, c->answers);
        if (!answers || !c->answers) {
            continue;
        }
        CHECK_INT(r.probed, 80);
        CHECK_INT(r.ours, 40000);
        CHECK_U64(r.isn, c->isn);
        CHECK_INT(r.send_rst, c->send_rst);
        CHECK_INT(r.a.state, c->state);
        CHECK_INT(r.a.timed, true);
        CHECK_INT(r.a.icmp, c->icmp);
        CHECK_INT(r.a.icmp_type, c->icmp_type);
        CHECK_INT(r.a.icmp_code, c->icmp_code);
        CHECK_INT(r.a.error, c->error);
    }
}

int main(void)
{
    test_ports();
    test_stats();
    test_new();
    test_syn_reply();
    return check_report("probe");
}
