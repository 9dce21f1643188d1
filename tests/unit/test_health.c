/*
 * test_health.c - per-group health rows: grouping by server, port, subnet and
 * client; time buckets; counters and retransmission totals; percentiles
 * within the histogram's stated error; eviction from a full table; the four
 * output formats; rows written as their buckets close (the same text) and
 * counted at the handshake; the capture point paragraph.
 */
#include "agg_health.h"

#include <stdlib.h>

#include "alloc.h"
#include "check.h"

#define SEC UINT64_C(1000000000)
#define MS  UINT64_C(1000000)
#define T0  (UINT64_C(1700000000) * SEC) /* a multiple of 10 s */

static struct tcpshake_record rec(unsigned client_last, unsigned server_c, unsigned server_d,
                                  uint16_t port, enum tcpshake_outcome o, uint64_t t)
{
    struct tcpshake_record r;
    memset(&r, 0, sizeof(r));
    r.ip_version = 4;
    r.client.addr[0] = 192;
    r.client.addr[1] = 168;
    r.client.addr[3] = (uint8_t)client_last;
    r.client.port = 40000;
    r.server.addr[0] = 10;
    r.server.addr[2] = (uint8_t)server_c;
    r.server.addr[3] = (uint8_t)server_d;
    r.server.port = port;
    r.outcome = o;
    r.first_ns = t;
    r.n_syn = 1;
    r.n_synack = o == TCPSHAKE_OUTCOME_ESTABLISHED ? 1 : 0;
    r.server_side_ns = r.client_side_ns = r.app_latency_ns = TCPSHAKE_NO_TIME;
    return r;
}

static size_t rows_of(const struct tcpshake_health *h, const struct health_row **rows)
{
    return health_rows(h, rows, 64);
}

static struct tcpshake_health *health(enum tcpshake_health_by by, unsigned prefix,
                                      uint64_t bucket_ns, size_t max_rows)
{
    struct tcpshake_health_config cfg;
    tcpshake_health_config_default(&cfg);
    cfg.by = by;
    cfg.prefix_len = prefix;
    cfg.bucket_ns = bucket_ns;
    cfg.max_rows = max_rows;
    struct tcpshake_health *h = tcpshake_health_new(&cfg);
    CHECK(h != NULL);
    return h;
}

/* Three servers: 10.0.1.5:80, 10.0.1.9:80, 10.0.2.1:443; clients .1 and .2. */
static void feed_three(struct tcpshake_health *h)
{
    struct tcpshake_record r[] = {
        rec(1, 1, 5, 80, TCPSHAKE_OUTCOME_ESTABLISHED, T0 + 1 * SEC),
        rec(1, 1, 5, 80, TCPSHAKE_OUTCOME_REFUSED, T0 + 2 * SEC),
        rec(2, 1, 9, 80, TCPSHAKE_OUTCOME_UNANSWERED, T0 + 3 * SEC),
        rec(2, 2, 1, 443, TCPSHAKE_OUTCOME_HALF_OPEN, T0 + 4 * SEC),
        rec(2, 2, 1, 443, TCPSHAKE_OUTCOME_ICMP_REJECTED, T0 + 5 * SEC),
        rec(1, 2, 1, 443, TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE, T0 + 15 * SEC),
    };
    r[2].n_syn = 4; /* three retransmissions */
    r[3].n_synack = 3;
    for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
        tcpshake_health_add(h, &r[i]);
    }
}

static void test_by_server(void)
{
    struct tcpshake_health *h = health(TCPSHAKE_HEALTH_BY_SERVER, 24, 0, 64);
    feed_three(h);
    const struct health_row *rows[64];
    CHECK_INT(rows_of(h, rows), 3);
    CHECK_INT(rows[0]->addr[3], 5);
    CHECK_U64(rows[0]->connections, 2);
    CHECK_U64(rows[0]->established, 1);
    CHECK_U64(rows[0]->refused, 1);
    CHECK_INT(rows[1]->addr[3], 9);
    CHECK_U64(rows[1]->unanswered, 1);
    CHECK_U64(rows[1]->syns, 4);
    CHECK_U64(rows[1]->syn_retransmits, 3);
    CHECK_INT(rows[2]->port, 443);
    CHECK_U64(rows[2]->connections, 3);
    CHECK_U64(rows[2]->half_open, 1);
    CHECK_U64(rows[2]->icmp_rejected, 1);
    CHECK_U64(rows[2]->reset, 1);
    CHECK_U64(rows[2]->synack_retransmits, 2);
    tcpshake_health_free(h);
}

static void test_by_port_subnet_client(void)
{
    const struct health_row *rows[64];
    struct tcpshake_health *h = health(TCPSHAKE_HEALTH_BY_PORT, 24, 0, 64);
    feed_three(h);
    CHECK_INT(rows_of(h, rows), 2);
    CHECK_INT(rows[0]->port, 80);
    CHECK_U64(rows[0]->connections, 3);
    CHECK_INT(rows[1]->port, 443);
    tcpshake_health_free(h);

    h = health(TCPSHAKE_HEALTH_BY_SUBNET, 24, 0, 64);
    feed_three(h);
    CHECK_INT(rows_of(h, rows), 2); /* 10.0.1.0/24 and 10.0.2.0/24 */
    CHECK_INT(rows[0]->addr[2], 1);
    CHECK_INT(rows[0]->addr[3], 0);
    CHECK_U64(rows[0]->connections, 3);
    CHECK_INT(rows[0]->port, 0);
    tcpshake_health_free(h);

    h = health(TCPSHAKE_HEALTH_BY_SUBNET, 30, 0, 64); /* .5 and .9 part at /30 */
    feed_three(h);
    CHECK_INT(rows_of(h, rows), 3);
    CHECK_INT(rows[0]->addr[3], 4);
    CHECK_INT(rows[1]->addr[3], 8);
    tcpshake_health_free(h);

    h = health(TCPSHAKE_HEALTH_BY_CLIENT, 24, 0, 64);
    feed_three(h);
    CHECK_INT(rows_of(h, rows), 2);
    CHECK_INT(rows[0]->addr[0], 192);
    CHECK_INT(rows[0]->addr[3], 1);
    CHECK_U64(rows[0]->connections, 3);
    CHECK_U64(rows[1]->connections, 3);
    tcpshake_health_free(h);
}

static void test_buckets(void)
{
    const struct health_row *rows[64];
    struct tcpshake_health *h = health(TCPSHAKE_HEALTH_BY_PORT, 24, 10 * SEC, 64);
    feed_three(h);
    /* 80 and 443 in [T0, T0+10s), 443 again in [T0+10s, T0+20s). */
    CHECK_INT(rows_of(h, rows), 3);
    CHECK_U64(rows[0]->bucket, T0 / (10 * SEC));
    CHECK_INT(rows[0]->port, 80);
    CHECK_INT(rows[1]->port, 443);
    CHECK_U64(rows[1]->connections, 2);
    CHECK_U64(rows[2]->bucket, T0 / (10 * SEC) + 1);
    CHECK_U64(rows[2]->reset, 1);
    tcpshake_health_free(h);
}

static void test_percentiles(void)
{
    const struct health_row *rows[64];
    struct tcpshake_health *h = health(TCPSHAKE_HEALTH_BY_SERVER, 24, 0, 64);
    /* server side 1..1000 ms, client side 20 ms, app latency 2x server side */
    for (unsigned i = 1; i <= 1000; i++) {
        struct tcpshake_record r = rec(1, 1, 1, 80, TCPSHAKE_OUTCOME_ESTABLISHED, T0 + i);
        r.server_side_ns = (int64_t)(i * MS);
        r.client_side_ns = (int64_t)(20 * MS);
        r.app_latency_ns = (int64_t)(2 * i * MS);
        tcpshake_health_add(h, &r);
    }
    CHECK_INT(rows_of(h, rows), 1);
    const struct hist *s = &rows[0]->server_side;
    const struct {
        double q;
        int64_t exact;
    } want[] = { { 0.50, 500 * (int64_t)MS },
                 { 0.95, 950 * (int64_t)MS },
                 { 0.99, 990 * (int64_t)MS } };
    for (size_t i = 0; i < 3; i++) {
        int64_t got = hist_quantile(s, want[i].q);
        double err = (double)(got - want[i].exact) / (double)want[i].exact * 100.0;
        CHECK(err >= -HIST_ERROR_PCT && err <= HIST_ERROR_PCT);
    }
    CHECK(hist_max(s) == 1000 * (int64_t)MS);
    CHECK(hist_max(&rows[0]->app_latency) == 2000 * (int64_t)MS);
    CHECK_U64(hist_count(&rows[0]->client_side), 1000);
    tcpshake_health_free(h);
}

static void test_eviction(void)
{
    const struct health_row *rows[64];
    struct tcpshake_health *h = health(TCPSHAKE_HEALTH_BY_SERVER, 24, 0, 4);
    /* A heavy server, then 10 servers with one connection each. */
    for (int i = 0; i < 50; i++) {
        struct tcpshake_record r = rec(1, 9, 9, 80, TCPSHAKE_OUTCOME_ESTABLISHED, T0);
        tcpshake_health_add(h, &r);
    }
    for (unsigned i = 1; i <= 10; i++) {
        struct tcpshake_record r = rec(1, 1, i, 80, TCPSHAKE_OUTCOME_ESTABLISHED, T0);
        tcpshake_health_add(h, &r);
    }
    CHECK_INT(rows_of(h, rows), 4);
    uint64_t ev_rows, ev_conns;
    health_evictions(h, &ev_rows, &ev_conns);
    CHECK_U64(ev_rows, 7);
    CHECK_U64(ev_conns, 7);
    bool heavy_kept = false;
    for (size_t i = 0; i < 4; i++) {
        heavy_kept = heavy_kept || rows[i]->connections == 50;
    }
    CHECK(heavy_kept);
    tcpshake_health_free(h);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

static void test_formats(void)
{
    struct tcpshake_health *h = health(TCPSHAKE_HEALTH_BY_SERVER, 24, 10 * SEC, 64);
    feed_three(h);
    static const size_t want_lines[TCPSHAKE_FORMAT_COUNT] = {
        [TCPSHAKE_FORMAT_TABLE] = 2 + 4 + 1, /* title, header, rows, evictions */
        [TCPSHAKE_FORMAT_JSON] = 4 + 1,      [TCPSHAKE_FORMAT_CSV] = 1 + 4,
        [TCPSHAKE_FORMAT_ZEEK] = 3 + 4 + 2,  [TCPSHAKE_FORMAT_ZEEK_JSON] = 4 + 1,
    };
    for (int f = 0; f < TCPSHAKE_FORMAT_COUNT; f++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        CHECK(out != NULL);
        if (out == NULL) {
            continue;
        }
        CHECK_INT(tcpshake_health_write(h, out, (enum tcpshake_format)f), TCPSHAKE_OK);
        fclose(out);
        CHECK_INT(count_lines(buf), want_lines[f]);
        if (f == TCPSHAKE_FORMAT_CSV) {
            CHECK(strncmp(buf, "by,group,bucket_start,", 22) == 0);
            CHECK(strstr(buf, "\nserver,10.0.1.9:80,") != NULL);
        }
        if (f == TCPSHAKE_FORMAT_JSON) {
            CHECK(strncmp(buf, "{\"by\":\"server\",\"group\":\"10.0.1.5:80\"", 36) == 0);
            CHECK(strstr(buf, "\"server_side_p50_ns\":null") != NULL);
        }
        free(buf);
    }
    CHECK_INT(tcpshake_health_write(h, stdout, TCPSHAKE_FORMAT_COUNT), TCPSHAKE_ERR_ARG);
    tcpshake_health_free(h);
}

/* TLS in a row: counts by outcome, resumption, the TLS percentiles; the handshake only of
 * established handshakes; JSON carries them, null percentiles when a row had no TLS. */
static void test_tls(void)
{
    struct tcpshake_health *h = health(TCPSHAKE_HEALTH_BY_PORT, 24, 0, 64);
    struct tcpshake_record r = rec(1, 1, 5, 443, TCPSHAKE_OUTCOME_ESTABLISHED, T0);
    r.tls.outcome = TCPSHAKE_TLS_ESTABLISHED;
    r.tls.server_side_ns = (int64_t)(2 * MS);
    r.tls.handshake_ns = (int64_t)(4 * MS);
    tcpshake_health_add(h, &r);
    r.tls.resumed = true;
    r.tls.server_side_ns = (int64_t)(6 * MS);
    r.tls.handshake_ns = (int64_t)(8 * MS);
    tcpshake_health_add(h, &r);
    r.tls.resumed = false;
    r.tls.outcome = TCPSHAKE_TLS_ALERT;
    r.tls.server_side_ns = (int64_t)(1 * MS);
    r.tls.handshake_ns = (int64_t)(50 * MS); /* not an established handshake's: left out */
    tcpshake_health_add(h, &r);
    r.tls.outcome = TCPSHAKE_TLS_TRUNCATED; /* the capture's fault, not a failure */
    r.tls.server_side_ns = TCPSHAKE_NO_TIME;
    tcpshake_health_add(h, &r);
    r = rec(1, 1, 5, 80, TCPSHAKE_OUTCOME_ESTABLISHED, T0); /* no TLS */
    tcpshake_health_add(h, &r);
    const struct health_row *rows[64];
    CHECK_INT(rows_of(h, rows), 2);
    const struct health_row *t = rows[1];
    CHECK_INT(t->port, 443);
    CHECK_U64(t->tls_connections, 4);
    CHECK_U64(t->tls_established, 2);
    CHECK_U64(t->tls_resumed, 1);
    CHECK_U64(t->tls_alerts, 1);
    CHECK_U64(t->tls_failed, 1);
    CHECK_U64(hist_count(&t->tls_server_side), 3);
    CHECK_U64(hist_count(&t->tls_handshake), 2);
    CHECK(hist_max(&t->tls_handshake) == (int64_t)(8 * MS));
    CHECK_U64(rows[0]->tls_connections, 0);

    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    CHECK(out != NULL);
    if (out != NULL) {
        CHECK_INT(tcpshake_health_write(h, out, TCPSHAKE_FORMAT_JSON), TCPSHAKE_OK);
        fclose(out);
        CHECK(strstr(buf, "\"group\":\"80\",") != NULL);
        CHECK(strstr(buf, ",\"tls_connections\":0,\"tls_established\":0,\"tls_established_pct\":"
                          "0.00,") != NULL);
        CHECK(strstr(buf, ",\"tls_handshake_count\":0,\"tls_handshake_p50_ns\":null,") != NULL);
        CHECK(strstr(buf, ",\"tls_connections\":4,\"tls_established\":2,\"tls_established_pct\":"
                          "50.00,\"tls_resumed\":1,\"tls_resumed_pct\":50.00,\"tls_alerts\":1,"
                          "\"tls_failed\":1,\"tls_server_side_count\":3,") != NULL);
        CHECK(strstr(buf, ",\"tls_handshake_count\":2,") != NULL);
        CHECK(strstr(buf, ",\"tls_handshake_max_ns\":8000000,\"latency_error_pct\":") != NULL);
        free(buf);
    }
    tcpshake_health_free(h);
}

/* What writing to a memory stream gives: the text (caller frees). */
static char *written(struct tcpshake_health *h, bool closed, uint64_t until_ns,
                     enum tcpshake_format f, enum tcpshake_status want)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    CHECK(out != NULL);
    if (out == NULL) {
        return NULL;
    }
    CHECK_INT(closed ? tcpshake_health_write_closed(h, until_ns, out, f)
                     : tcpshake_health_write(h, out, f),
              want);
    fclose(out);
    return buf;
}

/* Rows written as their buckets close, then the rest at the end: the same text, in
 * every format, as all of them at the end. */
static void test_write_closed(void)
{
    for (int f = 0; f < TCPSHAKE_FORMAT_COUNT; f++) {
        struct tcpshake_health *all = health(TCPSHAKE_HEALTH_BY_SERVER, 24, 10 * SEC, 64);
        struct tcpshake_health *live = health(TCPSHAKE_HEALTH_BY_SERVER, 24, 10 * SEC, 64);
        feed_three(all);
        feed_three(live);
        char *want = written(all, false, 0, (enum tcpshake_format)f, TCPSHAKE_OK);
        /* The first bucket [T0, T0+10s) has not ended by T0+9.999s: nothing yet. */
        char *none = written(live, true, T0 + 10 * SEC - 1, (enum tcpshake_format)f, TCPSHAKE_OK);
        char *first = written(live, true, T0 + 10 * SEC, (enum tcpshake_format)f, TCPSHAKE_OK);
        char *again = written(live, true, T0 + 11 * SEC, (enum tcpshake_format)f, TCPSHAKE_OK);
        const struct health_row *rows[64];
        CHECK_INT(rows_of(live, rows), 1); /* the three rows written are forgotten */
        /* Late for the first bucket: in no row, counted; the second bucket still takes one. */
        struct tcpshake_record late = rec(1, 1, 5, 80, TCPSHAKE_OUTCOME_ESTABLISHED, T0 + SEC);
        tcpshake_health_add(live, &late);
        CHECK_U64(tcpshake_health_late(live), 1);
        char *rest = written(live, false, 0, (enum tcpshake_format)f, TCPSHAKE_OK);
        if (want != NULL && none != NULL && first != NULL && again != NULL && rest != NULL) {
            CHECK_STR(none, "");
            CHECK_STR(again, "");
            CHECK(strlen(first) > 0);
            size_t n = strlen(first);
            CHECK(strncmp(want, first, n) == 0);
            CHECK_STR(want + (strlen(want) >= n ? n : 0), rest);
        }
        free(want);
        free(none);
        free(first);
        free(again);
        free(rest);
        tcpshake_health_free(all);
        tcpshake_health_free(live);
    }
    struct tcpshake_health *whole = health(TCPSHAKE_HEALTH_BY_SERVER, 24, 0, 64);
    CHECK_INT(tcpshake_health_write_closed(whole, T0, stdout, TCPSHAKE_FORMAT_JSON),
              TCPSHAKE_ERR_ARG); /* one bucket for the whole input never closes */
    CHECK_U64(tcpshake_health_late(NULL), 0);
    tcpshake_health_free(whole);
}

/* Counted at the handshake: all but the application latency, which the close adds
 * while the row is held. */
static void test_add_event(void)
{
    const struct health_row *rows[64];
    struct tcpshake_health *h = health(TCPSHAKE_HEALTH_BY_SERVER, 24, 10 * SEC, 64);
    struct tcpshake_record snap = rec(1, 1, 5, 80, TCPSHAKE_OUTCOME_ESTABLISHED, T0 + SEC);
    snap.server_side_ns = 60 * (int64_t)MS;
    snap.app_latency_ns = 5 * (int64_t)MS;       /* not in a snapshot's share */
    snap.tls.outcome = TCPSHAKE_TLS_ESTABLISHED; /* nor the TLS handshake */
    tcpshake_health_add_event(h, TCPSHAKE_EVENT_HANDSHAKE, &snap);
    CHECK_INT(rows_of(h, rows), 1);
    CHECK_U64(rows[0]->connections, 1);
    CHECK_U64(rows[0]->established, 1);
    CHECK_U64(hist_count(&rows[0]->server_side), 1);
    CHECK_U64(hist_count(&rows[0]->app_latency), 0);
    CHECK_U64(rows[0]->tls_connections, 0);
    struct tcpshake_record close = snap;
    close.n_syn = 2;
    tcpshake_health_add_event(h, TCPSHAKE_EVENT_CLOSE, &close);
    CHECK_INT(rows_of(h, rows), 1);
    CHECK_U64(rows[0]->connections, 1);
    CHECK_U64(rows[0]->syns, 1); /* as the snapshot said */
    CHECK_U64(hist_count(&rows[0]->server_side), 1);
    CHECK_U64(hist_count(&rows[0]->app_latency), 1);
    CHECK_U64(rows[0]->tls_connections, 1);
    CHECK_U64(rows[0]->tls_established, 1);
    /* A close whose row is not held (another server) makes none. */
    struct tcpshake_record other = rec(1, 1, 6, 80, TCPSHAKE_OUTCOME_ESTABLISHED, T0 + SEC);
    tcpshake_health_add_event(h, TCPSHAKE_EVENT_CLOSE, &other);
    CHECK_INT(rows_of(h, rows), 1);
    /* After the bucket was written: a handshake is late, a close is not counted twice. */
    char *out = written(h, true, T0 + 10 * SEC, TCPSHAKE_FORMAT_CSV, TCPSHAKE_OK);
    free(out);
    tcpshake_health_add_event(h, TCPSHAKE_EVENT_CLOSE, &close);
    CHECK_U64(tcpshake_health_late(h), 0);
    tcpshake_health_add_event(h, TCPSHAKE_EVENT_HANDSHAKE, &other);
    CHECK_U64(tcpshake_health_late(h), 1);
    CHECK_INT(rows_of(h, rows), 0);
    tcpshake_health_free(h);
}

static void test_capture_point(void)
{
    static const struct {
        int64_t server, client;
        uint64_t n;
        enum tcpshake_capture_point want;
    } cases[] = {
        { 60 * (int64_t)MS, 20 * (int64_t)MS, 10, TCPSHAKE_CAPTURE_POINT_MIDDLE },
        { 60 * (int64_t)MS, 50000, 10, TCPSHAKE_CAPTURE_POINT_NEAR_CLIENT },
        { 40000, 30 * (int64_t)MS, 10, TCPSHAKE_CAPTURE_POINT_NEAR_SERVER },
        { 40000, 30000, 10, TCPSHAKE_CAPTURE_POINT_ONE_HOST },
        { 0, 0, 0, TCPSHAKE_CAPTURE_POINT_UNKNOWN },
        /* A time stamp far in the future makes a huge median; x * 10 overflowed (fuzzing:
         * fuzz/regressions/pipeline/capture-point-overflow-synack-far-future.pcap). */
        { 60 * (int64_t)MS, 1191182336001000000, 10, TCPSHAKE_CAPTURE_POINT_NEAR_SERVER },
        { INT64_MAX, 50000, 10, TCPSHAKE_CAPTURE_POINT_NEAR_CLIENT },
        { INT64_MAX, INT64_MAX / 2, 10, TCPSHAKE_CAPTURE_POINT_MIDDLE },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_INT(tcpshake_capture_point_judge(cases[i].server, cases[i].client, cases[i].n),
                  cases[i].want);
    }
}

static void test_bad_config_and_oom(void)
{
    struct tcpshake_health_config cfg;
    tcpshake_health_config_default(&cfg);
    cfg.max_rows = 0;
    CHECK(tcpshake_health_new(&cfg) == NULL);
    tcpshake_health_config_default(&cfg);
    cfg.prefix_len = 129;
    CHECK(tcpshake_health_new(&cfg) == NULL);
    for (unsigned long n = 1; n <= 6; n++) {
        alloc_fail_after(n);
        struct tcpshake_health *h = tcpshake_health_new(NULL);
        alloc_fail_after(0);
        tcpshake_health_free(h);
    }
    CHECK_STR(tcpshake_health_by_name(TCPSHAKE_HEALTH_BY_SUBNET), "subnet");
}

int main(void)
{
    test_by_server();
    test_by_port_subnet_client();
    test_buckets();
    test_percentiles();
    test_tls();
    test_eviction();
    test_formats();
    test_write_closed();
    test_add_event();
    test_capture_point();
    test_bad_config_and_oom();
    return check_report("health");
}
