/*
 * test_report.c - the HTML report: every string from packets escaped, the
 * timeline keeping every record however its times arrive, the reservoir's
 * bound and determinism, the slowest and failed lists, the page's size bound
 * on a flood of distinct failing servers with alerts, the ladder's brackets.
 */
#include "report_data.h"

#include <stdlib.h>

#include "check.h"

#define SEC UINT64_C(1000000000)
#define MS  UINT64_C(1000000)
#define T0  (UINT64_C(1700000000) * SEC)

static struct tcpshake_record rec(uint64_t id, uint32_t server, enum tcpshake_outcome o, uint64_t t,
                                  int64_t server_ns, int64_t client_ns)
{
    struct tcpshake_record r;
    memset(&r, 0, sizeof(r));
    r.size = sizeof(r);
    r.id = id;
    r.ip_version = 4;
    r.client.addr[0] = 192;
    r.client.addr[3] = 7;
    r.client.port = 40000;
    r.server.addr[0] = 10;
    r.server.addr[1] = (uint8_t)(server >> 16);
    r.server.addr[2] = (uint8_t)(server >> 8);
    r.server.addr[3] = (uint8_t)server;
    r.server.port = 443;
    r.outcome = o;
    r.first_ns = r.syn_ns = r.syn_last_ns = t;
    r.n_syn = 1;
    r.server_side_ns = server_ns;
    r.client_side_ns = client_ns;
    r.handshake_ns = TCPSHAKE_NO_TIME;
    if (server_ns != TCPSHAKE_NO_TIME && client_ns != TCPSHAKE_NO_TIME) {
        r.n_synack = 1;
        r.synack_ns = r.synack_last_ns = t + (uint64_t)server_ns;
        r.ack_ns = r.synack_ns + (uint64_t)client_ns;
        r.handshake_ns = server_ns + client_ns;
    }
    r.app_latency_ns = TCPSHAKE_NO_TIME;
    r.duration_ns = 0;
    return r;
}

/* The page in memory (caller frees). */
static char *page(const struct tcpshake_report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    CHECK(f != NULL);
    CHECK_INT(tcpshake_report_write_html(r, NULL, f), TCPSHAKE_OK);
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void test_escaping(void)
{
    struct tcpshake_report *r = tcpshake_report_new();
    tcpshake_report_set_title(r, "<script>alert(1)</script>\"'&\x01");
    struct tcpshake_record a = rec(1, 1, TCPSHAKE_OUTCOME_ESTABLISHED, T0, 5 * MS, 1 * MS);
    snprintf(a.tls.sni, sizeof(a.tls.sni), "<img src=x onerror=alert(2)>\"&");
    tcpshake_report_add(r, &a);
    size_t len;
    char *html = page(r, &len);
    CHECK_INT(count(html, "<script"), 1); /* ours, at the end */
    CHECK_INT(count(html, "<img"), 0);
    CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;?") != NULL);
    CHECK(strstr(html, "&lt;img src=x onerror=alert(2)&gt;&quot;&amp;") != NULL);
    CHECK(strstr(html, "default-src 'none'") != NULL);
    CHECK(strstr(html, "http://") == NULL || strstr(html, "http://www.w3.org/2000/svg") != NULL);
    CHECK(strstr(html, "src=\"") == NULL && strstr(html, "href=\"") == NULL);
    free(html);
    tcpshake_report_free(r);
}

static uint64_t slot_total(const struct tcpshake_report *r)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < REPORT_KIND_COUNT; k++) {
        for (size_t i = 0; i < REPORT_SLOTS; i++) {
            n += r->slots[k][i];
        }
    }
    return n;
}

static void test_timeline(void)
{
    /* Times that go backwards, then far ahead: nothing lost, width within 2x of the span. */
    struct tcpshake_report *r = tcpshake_report_new();
    for (uint64_t i = 0; i < 1000; i++) {
        struct tcpshake_record a = rec(i + 1, 1, TCPSHAKE_OUTCOME_REFUSED, T0 - i * MS,
                                       TCPSHAKE_NO_TIME, TCPSHAKE_NO_TIME);
        tcpshake_report_add(r, &a);
    }
    CHECK_U64(slot_total(r), 1000);
    CHECK(r->tl.width_ns * REPORT_SLOTS >= 999 * MS);
    CHECK(r->tl.width_ns * REPORT_SLOTS / 2 < 2 * 999 * MS);
    const struct report_series *s = report_series_of(r, 4, (const uint8_t[16]){ 10, 0, 0, 1 }, 443);
    CHECK(s != NULL);
    uint64_t conns = 0, fails = 0;
    for (size_t i = 0; s != NULL && i < REPORT_SLOTS; i++) {
        conns += s->connections[i];
        fails += s->failures[i];
    }
    CHECK_U64(conns, 1000);
    CHECK_U64(fails, 1000);
    struct tcpshake_record far = rec(2000, 2, TCPSHAKE_OUTCOME_ESTABLISHED, UINT64_MAX, 1, 1);
    struct tcpshake_record zero = rec(2001, 2, TCPSHAKE_OUTCOME_ESTABLISHED, 0, 1, 1);
    tcpshake_report_add(r, &far);
    tcpshake_report_add(r, &zero);
    CHECK_U64(slot_total(r), 1002);
    /* The two extremes sit in the first and last used slots. */
    CHECK_U64(r->tl.lo_used, 0);
    CHECK(r->slots[REPORT_ESTABLISHED][r->tl.hi_used - r->tl.base] >= 1);
    CHECK(r->slots[REPORT_ESTABLISHED][r->tl.lo_used - r->tl.base] >= 1);
    tcpshake_report_free(r);
}

static void feed_many(struct tcpshake_report *r, uint64_t n)
{
    for (uint64_t i = 1; i <= n; i++) {
        /* Latencies from a small deterministic scramble; every 7th fails. */
        int64_t s = (int64_t)((i * 2654435761u) % 100000u) * 1000 + 1000;
        int64_t c = (int64_t)((i * 40503u) % 50000u) * 1000 + 1000;
        bool fail = i % 7 == 0;
        struct tcpshake_record a =
                rec(i, (uint32_t)(i % 5000),
                    fail ? TCPSHAKE_OUTCOME_UNANSWERED : TCPSHAKE_OUTCOME_ESTABLISHED, T0 + i * MS,
                    fail ? TCPSHAKE_NO_TIME : s, fail ? TCPSHAKE_NO_TIME : c);
        tcpshake_report_add(r, &a);
    }
}

static void test_sample_and_lists(void)
{
    struct tcpshake_report *a = tcpshake_report_new(), *b = tcpshake_report_new();
    feed_many(a, 20000);
    feed_many(b, 20000);
    CHECK_U64(a->n_sample, TCPSHAKE_REPORT_SAMPLE);
    CHECK_U64(a->n_timed, 20000 - 20000 / 7);
    CHECK_U64(a->n_slow, TCPSHAKE_REPORT_TOP);
    for (size_t i = 1; i < a->n_slow; i++) {
        CHECK(a->slow[i - 1].handshake_ns >= a->slow[i].handshake_ns);
    }
    /* The slowest is the largest handshake of all. */
    int64_t max = 0;
    for (uint64_t i = 1; i <= 20000; i++) {
        if (i % 7 != 0) {
            int64_t s = (int64_t)((i * 2654435761u) % 100000u) * 1000 + 1000;
            int64_t c = (int64_t)((i * 40503u) % 50000u) * 1000 + 1000;
            max = s + c > max ? s + c : max;
        }
    }
    CHECK_INT(a->slow[0].handshake_ns, max);
    /* Failed: the lowest ids of each kind (here all unanswered). */
    CHECK_U64(a->n_failed[REPORT_UNANSWERED], TCPSHAKE_REPORT_FAILED);
    CHECK_U64(a->n_failed[REPORT_REFUSED], 0);
    for (size_t i = 0; i < a->n_failed[REPORT_UNANSWERED]; i++) {
        CHECK_U64(a->failed[REPORT_UNANSWERED][i].id, 7 * (i + 1));
    }
    size_t la, lb;
    char *pa = page(a, &la), *pb = page(b, &lb);
    CHECK(la == lb && memcmp(pa, pb, la) == 0); /* the same records, the same page */
    CHECK_U64(count(pa, "<circle"), TCPSHAKE_REPORT_SAMPLE);
    CHECK_U64(count(pa, "class=\"ladder\""), TCPSHAKE_REPORT_TOP + TCPSHAKE_REPORT_FAILED);
    CHECK(strstr(pa, "<h3 data-kind=\"unanswered\">unanswered: 4 of 2857</h3>") != NULL);
    CHECK_U64(count(pa, "<tr data-server="), TCPSHAKE_REPORT_SERVERS);
    free(pa);
    free(pb);
    tcpshake_report_free(a);
    tcpshake_report_free(b);
}

/* A flood: 300 000 records to distinct servers, failing, with long SNIs, 500 alerts. */
static void test_size_bound(void)
{
    struct tcpshake_report *r = tcpshake_report_new();
    for (uint64_t i = 1; i <= 300000; i++) {
        struct tcpshake_record a = rec(
                i, (uint32_t)i, i % 2 ? TCPSHAKE_OUTCOME_REFUSED : TCPSHAKE_OUTCOME_HALF_OPEN,
                T0 + i * 997 * MS, i % 2 ? TCPSHAKE_NO_TIME : (int64_t)(3 * MS), TCPSHAKE_NO_TIME);
        a.n_syn = 1 + TCPSHAKE_MAX_GAPS + 3;
        a.n_syn_gaps = TCPSHAKE_MAX_GAPS;
        for (size_t g = 0; g < TCPSHAKE_MAX_GAPS; g++) {
            a.syn_gaps_ns[g] = (int64_t)SEC << g;
        }
        memset(a.tls.sni, '<', TCPSHAKE_TLS_SNI_MAX);
        tcpshake_report_add(r, &a);
    }
    struct tcpshake_alert al;
    memset(&al, 0, sizeof(al));
    al.has_target = true;
    for (uint64_t i = 0; i < 500; i++) {
        al.first_ns = T0 + i * SEC;
        al.last_ns = al.first_ns + 60 * SEC;
        tcpshake_report_add_alert(r, &al);
    }
    CHECK_U64(r->n_alerts, TCPSHAKE_REPORT_ALERTS);
    CHECK_U64(r->alerts_dropped, 500 - TCPSHAKE_REPORT_ALERTS);
    size_t len;
    char *html = page(r, &len);
    CHECK(len < TCPSHAKE_REPORT_MAX_BYTES);
    CHECK(len > 100000);
    free(html);
    tcpshake_report_free(r);
}

/* The ladder's brackets carry the record's own figures. */
static void test_ladder(void)
{
    struct tcpshake_report *r = tcpshake_report_new();
    struct tcpshake_record a = rec(42, 1, TCPSHAKE_OUTCOME_ESTABLISHED, T0, 0, 0);
    a.n_syn = 3;
    a.n_syn_gaps = 2;
    a.syn_gaps_ns[0] = (int64_t)SEC;
    a.syn_gaps_ns[1] = 2 * (int64_t)SEC;
    a.syn_last_ns = T0 + 3 * SEC;
    a.synack_ns = a.synack_last_ns = a.syn_last_ns + 12345678;
    a.ack_ns = a.synack_ns + 2345678;
    a.server_side_ns = 12345678;
    a.client_side_ns = 2345678;
    a.handshake_ns = a.server_side_ns + a.client_side_ns;
    a.rtt_rule = TCPSHAKE_RTT_LAST_SYN;
    a.client.fin_ns = a.ack_ns + SEC;
    a.server.rst_ns = a.client.fin_ns + MS;
    tcpshake_report_add(r, &a);
    size_t len;
    char *html = page(r, &len);
    CHECK(strstr(html, ">server side 12.346 ms<") != NULL);
    CHECK(strstr(html, ">client side 2.346 ms<") != NULL);
    CHECK(strstr(html, "retransmission 1, 1 s after the last") != NULL);
    CHECK(strstr(html, "retransmission 2, 2 s after the last") != NULL);
    CHECK(strstr(html, "server side timed from this SYN") != NULL);
    CHECK(strstr(html, "out of window: not acceptable") != NULL);
    CHECK_U64(count(html, ">SYN</text>"), 3);
    free(html);
    tcpshake_report_free(r);
}

int main(void)
{
    test_escaping();
    test_timeline();
    test_sample_and_lists();
    test_size_bound();
    test_ladder();
    return check_report("report");
}
