/*
 * summary.c - the end-of-run summary: outcome and end-reason counts, latency
 * histograms overall, and a bounded per-server table.
 *
 * Owns aggregation and its text rendering, and builds the view its JSON form
 * is written from (summary_fields.h); records come from the caller and
 * capture counters from tcpshake_get_stats(). Memory is fixed at
 * tcpshake_summary_new (about 5 MB, mostly per-server histograms) and
 * nothing is allocated per record.
 *
 * Per-server table: SUMMARY_SERVERS entries keyed by (ip version, address,
 * port) of the server side, found through a keytab index (keytab.c), which
 * numbers entries by arrival. When it is full, a new server replaces the entry with the
 * fewest connections, Space-Saving style (Metwally, Agrawal, El Abbadi,
 * "Efficient computation of frequent and top-k elements in data streams",
 * ICDT 2005): it inherits that count as `overcount`, so a heavy server that
 * arrives late still rises to the top, and its connection count is an upper
 * bound that is at most `overcount` too high. Its other counters and
 * histograms start from zero. Evictions are counted and printed; finding the
 * smallest entry is a linear scan, paid only once the table is full.
 */
#include "tcpshake.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "encode_json.h"
#include "hist.h"
#include "keytab.h"
#include "outcome.h"
#include "summary_fields.h"

#define SUMMARY_SERVERS 1024 /* per-server entries */
/* The JSON object's bound: its longest possible text is under 18 KiB (ten servers of about
 * 1.1 KiB, the run's figures about 6 KiB with TLS). */
#define SUMMARY_JSON_CAP 32768
#define SHAPE_COLUMNS    48 /* columns of the latency shape */

struct server {
    uint8_t addr[16];
    uint16_t port;
    uint8_t ip_version;
    uint64_t connections; /* records, plus overcount */
    uint64_t overcount;   /* inherited from the evicted entry (Space-Saving) */
    uint64_t established; /* established, fast_open or simultaneous_open */
    uint64_t refused;
    uint64_t unanswered;
    uint64_t icmp_rejected;
    uint64_t half_open;
    uint64_t reset; /* reset_in_handshake */
    uint64_t syn_retransmits;
    uint64_t synack_retransmits;
    struct hist server_side; /* SYN -> SYN-ACK, ns */
    struct hist client_side; /* SYN-ACK -> ACK, ns */
};

struct tcpshake_summary {
    uint64_t connections;
    uint64_t by_outcome[TCPSHAKE_OUTCOME_COUNT];
    uint64_t by_end[TCPSHAKE_END_COUNT];
    struct hist server_side;
    struct hist client_side;
    struct hist handshake;
    struct hist app_latency;
    struct summary_tls_view tls; /* TLS counts */
    struct hist tls_server_side; /* the record's tls.server_side_ns */
    struct hist tls_client_side; /* tls.client_side_ns */
    struct hist tls_handshake;   /* tls.handshake_ns of established handshakes */
    struct hist tls_syn_to_data; /* tls.syn_to_data_ns */
    uint64_t server_evictions;   /* Space-Saving replacements */
    struct keytab index;         /* server key -> servers[]: index.n entries in use */
    struct server servers[SUMMARY_SERVERS];
    tcpshake_capture_point_fn capture_point_fn; /* puts the capture point into words */
    void *capture_point_user;
    bool shape; /* print the latency shape in block characters */
};

/* ------------------------------------------------------------ aggregation */

static size_t addr_len(uint8_t ip_version)
{
    return ip_version == 6 ? 16 : 4;
}

/* The server's (version, port, address), unused bytes zero as keytab compares them. */
static void server_key(const struct tcpshake_record *r, struct keytab_key *k)
{
    memset(k, 0, sizeof(*k));
    k->b[0] = r->ip_version;
    k->b[1] = (uint8_t)(r->server.port >> 8);
    k->b[2] = (uint8_t)r->server.port;
    memcpy(k->b + 3, r->server.addr, addr_len(r->ip_version));
}

static size_t smallest_entry(const struct tcpshake_summary *s)
{
    size_t min = 0;
    for (size_t i = 1; i < s->index.n; i++) {
        if (s->servers[i].connections < s->servers[min].connections) {
            min = i;
        }
    }
    return min;
}

/* An entry for r's server: found, new, or taken over from the smallest. */
static struct server *server_entry(struct tcpshake_summary *s, const struct tcpshake_record *r)
{
    struct keytab_key key;
    server_key(r, &key);
    size_t n = keytab_find(&s->index, &key);
    if (n != KEYTAB_NONE) {
        return &s->servers[n];
    }
    uint64_t inherited = 0;
    n = keytab_add(&s->index, &key);
    if (n == KEYTAB_NONE) {
        n = smallest_entry(s);
        inherited = s->servers[n].connections;
        keytab_rekey(&s->index, n, &key);
        s->server_evictions++;
    }
    struct server *e = &s->servers[n];
    memset(e, 0, sizeof(*e));
    memcpy(e->addr, r->server.addr, addr_len(r->ip_version));
    e->port = r->server.port;
    e->ip_version = r->ip_version;
    e->connections = inherited;
    e->overcount = inherited;
    return e;
}

static void server_add(struct server *e, const struct tcpshake_record *r)
{
    e->connections++;
    e->established += outcome_established(r->outcome);
    e->refused += r->outcome == TCPSHAKE_OUTCOME_REFUSED;
    e->unanswered += r->outcome == TCPSHAKE_OUTCOME_UNANSWERED;
    e->icmp_rejected += r->outcome == TCPSHAKE_OUTCOME_ICMP_REJECTED;
    e->half_open += r->outcome == TCPSHAKE_OUTCOME_HALF_OPEN;
    e->reset += r->outcome == TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE;
    e->syn_retransmits += r->n_syn > 1 ? r->n_syn - 1 : 0;
    e->synack_retransmits += r->n_synack > 1 ? r->n_synack - 1 : 0;
    if (r->server_side_ns != TCPSHAKE_NO_TIME) {
        hist_add(&e->server_side, r->server_side_ns);
    }
    if (r->client_side_ns != TCPSHAKE_NO_TIME) {
        hist_add(&e->client_side, r->client_side_ns);
    }
}

/* A record's TLS handshake into the run's TLS counts and histograms. */
static void tls_add(struct tcpshake_summary *s, const struct tcpshake_tls *t)
{
    struct summary_tls_view *c = &s->tls;
    if (t->outcome == TCPSHAKE_TLS_NONE || (unsigned)t->outcome >= TCPSHAKE_TLS_OUTCOME_COUNT) {
        return;
    }
    c->connections++;
    c->by_outcome[t->outcome]++;
    if (t->version != 0) {
        c->by_version[summary_tls_version_slot(t->version)]++;
    }
    bool established = t->outcome == TCPSHAKE_TLS_ESTABLISHED;
    if (established && t->resumed && t->resumption < TCPSHAKE_TLS_RESUMPTION_COUNT) {
        c->resumed++;
        c->by_resumption[t->resumption]++;
    }
    c->hrr += t->hrr;
    if (t->outcome == TCPSHAKE_TLS_ALERT && t->alert_by != TCPSHAKE_WHO_NONE) {
        c->alerts++;
        c->alerts_by_client += t->alert_by == TCPSHAKE_WHO_CLIENT;
        c->alerts_by_server += t->alert_by == TCPSHAKE_WHO_SERVER;
        c->by_alert[summary_tls_alert_slot(t->alert_desc)]++;
    }
    const int64_t v[4] = { t->server_side_ns, t->client_side_ns,
                           established ? t->handshake_ns : TCPSHAKE_NO_TIME, t->syn_to_data_ns };
    struct hist *h[4] = { &s->tls_server_side, &s->tls_client_side, &s->tls_handshake,
                          &s->tls_syn_to_data };
    for (size_t i = 0; i < 4; i++) {
        if (v[i] != TCPSHAKE_NO_TIME) {
            hist_add(h[i], v[i]);
        }
    }
}

static uint64_t server_failures(const struct server *e)
{
    return e->refused + e->unanswered + e->icmp_rejected + e->reset + e->half_open;
}

/* ----------------------------------------------------------------- output */

/* ns as milliseconds with 3 decimals (rounded to the microsecond). */
static const char *fmt_ms(char *buf, size_t len, int64_t ns)
{
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = mag / 1000u + (mag % 1000u >= 500u ? 1 : 0);
    snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", us / 1000u, us % 1000u);
    return buf;
}

static double percent(uint64_t part, uint64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_counts(const struct tcpshake_summary *s, FILE *out)
{
    fprintf(out, "connections %" PRIu64 "\n", s->connections);
    fputs("outcomes:\n", out);
    for (unsigned i = 0; i < TCPSHAKE_OUTCOME_COUNT; i++) {
        fprintf(out, "  %-20s %10" PRIu64 " %6.1f%%\n",
                tcpshake_outcome_name((enum tcpshake_outcome)i), s->by_outcome[i],
                percent(s->by_outcome[i], s->connections));
    }
    fputs("end reasons:\n", out);
    for (unsigned i = 0; i < TCPSHAKE_END_COUNT; i++) {
        fprintf(out, "  %-20s %10" PRIu64 " %6.1f%%\n", tcpshake_end_name((enum tcpshake_end)i),
                s->by_end[i], percent(s->by_end[i], s->connections));
    }
}

/* The count and the quantiles of h, as the text and the JSON summary show them. */
static void latency_view(const struct hist *h, struct summary_latency *l)
{
    l->count = hist_count(h);
    if (l->count == 0) {
        for (size_t q = 0; q < SUMMARY_N_QUANTILES; q++) {
            l->q_ns[q] = TCPSHAKE_NO_TIME;
        }
        return;
    }
    l->q_ns[SUMMARY_MIN] = hist_min(h);
    l->q_ns[SUMMARY_P50] = hist_quantile(h, 0.50);
    l->q_ns[SUMMARY_P90] = hist_quantile(h, 0.90);
    l->q_ns[SUMMARY_P99] = hist_quantile(h, 0.99);
    l->q_ns[SUMMARY_MAX] = hist_max(h);
}

static void print_hist_row(FILE *out, const char *label, const struct hist *h)
{
    struct summary_latency l;
    latency_view(h, &l);
    fprintf(out, "  %-14s %10" PRIu64, label, l.count);
    if (l.count == 0) {
        fprintf(out, " %10s %10s %10s %10s %10s\n", "-", "-", "-", "-", "-");
        return;
    }
    for (size_t i = 0; i < SUMMARY_N_QUANTILES; i++) {
        char buf[32];
        fprintf(out, " %10s", fmt_ms(buf, sizeof(buf), l.q_ns[i]));
    }
    fputc('\n', out);
}

static void print_latency(const struct tcpshake_summary *s, FILE *out)
{
    fprintf(out, "latency in ms (percentiles ±%g%%, min and max exact):\n", HIST_ERROR_PCT);
    fprintf(out, "  %-14s %10s %10s %10s %10s %10s %10s\n", "", "count", "min", "p50", "p90", "p99",
            "max");
    print_hist_row(out, "server side", &s->server_side);
    print_hist_row(out, "client side", &s->client_side);
    print_hist_row(out, "handshake", &s->handshake);
    print_hist_row(out, "app latency", &s->app_latency);
}

/* "name count" pairs of the non-zero counts, on one line after label. */
static void print_tally_line(FILE *out, const char *label, const char *(*name)(unsigned),
                             const uint64_t *counts, unsigned n)
{
    fprintf(out, "  %-14s", label);
    bool any = false;
    for (unsigned i = 0; i < n; i++) {
        if (counts[i] != 0) {
            fprintf(out, "%s %s %" PRIu64, any ? "," : "", name(i), counts[i]);
            any = true;
        }
    }
    fputs(any ? "\n" : " -\n", out);
}

static const char *tls_outcome_slot_name(unsigned i)
{
    return tcpshake_tls_outcome_name((enum tcpshake_tls_outcome)i);
}

/* The TLS block: only when the run saw TLS, so a summary without TLS is as before. */
static void print_tls(const struct tcpshake_summary *s, FILE *out)
{
    const struct summary_tls_view *t = &s->tls;
    if (t->connections == 0) {
        return;
    }
    uint64_t est = t->by_outcome[TCPSHAKE_TLS_ESTABLISHED];
    fprintf(out, "tls: %" PRIu64 " connections, %" PRIu64 " established (%.1f%%)\n", t->connections,
            est, percent(est, t->connections));
    print_tally_line(out, "outcomes", tls_outcome_slot_name, t->by_outcome,
                     TCPSHAKE_TLS_OUTCOME_COUNT);
    print_tally_line(out, "versions", summary_tls_version_name, t->by_version,
                     SUMMARY_TLS_VERSIONS);
    fprintf(out, "  %-14s %" PRIu64 " (%.1f%% of established)", "resumed", t->resumed,
            percent(t->resumed, est));
    for (unsigned i = 1; i < TCPSHAKE_TLS_RESUMPTION_COUNT; i++) {
        if (t->by_resumption[i] != 0) {
            fprintf(out, ", %s %" PRIu64, tcpshake_tls_resumption_name(i), t->by_resumption[i]);
        }
    }
    fprintf(out, "\n  %-14s %" PRIu64 "\n", "hello retry", t->hrr);
    fprintf(out, "  %-14s %" PRIu64 " (by client %" PRIu64 ", by server %" PRIu64 ")\n", "alerts",
            t->alerts, t->alerts_by_client, t->alerts_by_server);
    if (t->alerts != 0) {
        print_tally_line(out, "  described", summary_tls_alert_name, t->by_alert,
                         SUMMARY_TLS_ALERTS);
    }
    fprintf(out, "tls latency in ms (percentiles ±%g%%, min and max exact):\n", HIST_ERROR_PCT);
    fprintf(out, "  %-14s %10s %10s %10s %10s %10s %10s\n", "", "count", "min", "p50", "p90", "p99",
            "max");
    print_hist_row(out, "server side", &s->tls_server_side);
    print_hist_row(out, "client side", &s->tls_client_side);
    print_hist_row(out, "handshake", &s->tls_handshake);
    print_hist_row(out, "syn to data", &s->tls_syn_to_data);
}

/* Column of value v on the log axis from lo to hi (lo >= 1, hi > lo). */
static size_t shape_column(double v, double lo, double hi)
{
    double x = (log(v < lo ? lo : v) - log(lo)) / (log(hi) - log(lo)) * SHAPE_COLUMNS;
    return x >= SHAPE_COLUMNS ? SHAPE_COLUMNS - 1 : x < 0 ? 0 : (size_t)x;
}

static void print_shape_row(FILE *out, const char *label, const struct hist *h, double lo,
                            double hi)
{
    static const char *const blocks[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
    uint64_t col[SHAPE_COLUMNS] = { 0 }, peak = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        if (h->bucket[i] == 0) {
            continue;
        }
        int64_t blo, bhi;
        hist_bucket_bounds(i, &blo, &bhi);
        size_t c = shape_column((double)blo + (double)(bhi - blo) / 2.0, lo, hi);
        col[c] += h->bucket[i];
        peak = col[c] > peak ? col[c] : peak;
    }
    size_t end = SHAPE_COLUMNS;
    while (end > 0 && col[end - 1] == 0) {
        end--;
    }
    fprintf(out, "  %-14s ", label);
    for (size_t c = 0; c < end; c++) {
        if (col[c] == 0) {
            fputc(' ', out);
            continue;
        }
        uint64_t level = (col[c] * 8 + peak - 1) / peak; /* 1 .. 8 */
        fputs(blocks[level - 1], out);
    }
    fputc('\n', out);
}

/* The server and client side distributions as one row of block characters
 * each, on a shared log axis from the smaller minimum to the larger maximum. */
static void print_shape(const struct tcpshake_summary *s, FILE *out)
{
    const struct hist *h[2] = { &s->server_side, &s->client_side };
    double lo = 0, hi = 0;
    for (size_t i = 0; i < 2; i++) {
        if (hist_count(h[i]) == 0) {
            continue;
        }
        double a = (double)hist_min(h[i]), b = (double)hist_max(h[i]);
        lo = lo == 0 || a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    if (hi <= 0) {
        return;
    }
    lo = lo < 1000 ? 1000 : lo; /* 1 us: below, every column is noise */
    hi = hi < lo * 10 ? lo * 10 : hi;
    char a[32], b[32];
    fprintf(out, "latency shape (log axis, %s ms .. %s ms):\n", fmt_ms(a, sizeof(a), (int64_t)lo),
            fmt_ms(b, sizeof(b), (int64_t)hi));
    print_shape_row(out, "server side", h[0], lo, hi);
    print_shape_row(out, "client side", h[1], lo, hi);
}

/*
 * Where was the capture taken? An observer's server side (SYN -> SYN-ACK)
 * holds the network path from the capture point to the server and back, plus
 * the server's stack time; the client side (SYN-ACK -> ACK) the same towards
 * the client. So the side whose median is near zero is the side the capture
 * point sits next to. "Near zero" is under a tenth of the other median, or
 * under 0.1 ms for both (one host, or a very short path).
 */
#define NEAR_ZERO_NS 100000

/* a * 10 <= b, without overflowing on huge medians (a capture can claim any time). */
static bool tenfold_at_most(int64_t a, int64_t b)
{
    if (a > INT64_MAX / 10) {
        return false;
    }
    if (a < INT64_MIN / 10) {
        return true;
    }
    return a * 10 <= b;
}

enum tcpshake_capture_point tcpshake_capture_point_judge(int64_t server_side_p50_ns,
                                                         int64_t client_side_p50_ns,
                                                         uint64_t n_samples)
{
    int64_t s = server_side_p50_ns, c = client_side_p50_ns;
    if (n_samples == 0) {
        return TCPSHAKE_CAPTURE_POINT_UNKNOWN;
    }
    if (s < NEAR_ZERO_NS && c < NEAR_ZERO_NS) {
        return TCPSHAKE_CAPTURE_POINT_ONE_HOST;
    }
    if (tenfold_at_most(c, s)) {
        return TCPSHAKE_CAPTURE_POINT_NEAR_CLIENT;
    }
    if (tenfold_at_most(s, c)) {
        return TCPSHAKE_CAPTURE_POINT_NEAR_SERVER;
    }
    return TCPSHAKE_CAPTURE_POINT_MIDDLE;
}

enum tcpshake_capture_point tcpshake_summary_capture_point(const struct tcpshake_summary *s)
{
    uint64_t ns = hist_count(&s->server_side), nc = hist_count(&s->client_side);
    return tcpshake_capture_point_judge(hist_quantile(&s->server_side, 0.5),
                                        hist_quantile(&s->client_side, 0.5), ns < nc ? ns : nc);
}

void tcpshake_summary_set_capture_point_fn(struct tcpshake_summary *s, tcpshake_capture_point_fn fn,
                                           void *user)
{
    s->capture_point_fn = fn;
    s->capture_point_user = user;
}

static void print_capture_point(const struct tcpshake_summary *s, FILE *out)
{
    enum tcpshake_capture_point cp = tcpshake_summary_capture_point(s);
    if (s->capture_point_fn != NULL) {
        s->capture_point_fn(cp, out, s->capture_point_user);
    }
}

/* Orders entries for the "top" lists: larger value first, then by key, for stable output. */
static bool ranks_before(const struct server *a, uint64_t va, const struct server *b, uint64_t vb)
{
    if (va != vb) {
        return va > vb;
    }
    if (a->ip_version != b->ip_version) {
        return a->ip_version < b->ip_version;
    }
    int c = memcmp(a->addr, b->addr, sizeof(a->addr));
    return c != 0 ? c < 0 : a->port < b->port;
}

/* The (at most SUMMARY_TOP) entries with the largest non-zero value; returns how many. */
static size_t select_top(const struct tcpshake_summary *s, uint64_t (*value)(const struct server *),
                         const struct server *top[SUMMARY_TOP])
{
    size_t n = 0;
    for (size_t i = 0; i < s->index.n; i++) {
        const struct server *e = &s->servers[i];
        uint64_t v = value(e);
        if (v == 0) {
            continue;
        }
        size_t pos = n < SUMMARY_TOP ? n : SUMMARY_TOP;
        while (pos > 0 && ranks_before(e, v, top[pos - 1], value(top[pos - 1]))) {
            if (pos < SUMMARY_TOP) {
                top[pos] = top[pos - 1];
            }
            pos--;
        }
        if (pos < SUMMARY_TOP) {
            top[pos] = e;
            n += n < SUMMARY_TOP;
        }
    }
    return n;
}

static uint64_t server_connections(const struct server *e)
{
    return e->connections;
}

static const char *fmt_server(char *buf, size_t len, const struct server *e)
{
    struct tcpshake_side side;
    memset(&side, 0, sizeof(side));
    memcpy(side.addr, e->addr, sizeof(side.addr));
    char addr[48]; /* INET6_ADDRSTRLEN, 46, and room */
    tcpshake_addr_str(&side, e->ip_version, addr, sizeof(addr));
    if (e->ip_version == 6) {
        snprintf(buf, len, "[%s]:%u", addr, (unsigned)e->port);
    } else {
        snprintf(buf, len, "%s:%u", addr, (unsigned)e->port);
    }
    return buf;
}

static void print_top_servers(const struct tcpshake_summary *s, FILE *out)
{
    const struct server *top[SUMMARY_TOP];
    size_t n = select_top(s, server_connections, top);
    fprintf(out, "top servers by connections (latency in ms, columns as above):\n");
    bool inherited = false;
    for (size_t i = 0; i < n; i++) {
        const struct server *e = top[i];
        char name[SUMMARY_SERVER_LEN];
        inherited = inherited || e->overcount > 0;
        fprintf(out,
                "  %s: %" PRIu64 "%s connections, %" PRIu64 " established, %" PRIu64 " failed\n",
                fmt_server(name, sizeof(name), e), e->connections, e->overcount > 0 ? "*" : "",
                e->established, server_failures(e));
        print_hist_row(out, "  server side", &e->server_side);
        print_hist_row(out, "  client side", &e->client_side);
    }
    if (inherited) {
        fputs("  * an upper bound: includes connections of servers evicted from the table\n", out);
    }
}

static void print_top_failing(const struct tcpshake_summary *s, FILE *out)
{
    const struct server *top[SUMMARY_TOP];
    size_t n = select_top(s, server_failures, top);
    fprintf(out, "top failing servers:\n");
    fprintf(out, "  %-30s %8s %8s %10s %8s %8s %9s %8s\n", "server", "fail", "refused",
            "unanswered", "icmp", "reset", "half_open", "syn_rtx");
    for (size_t i = 0; i < n; i++) {
        const struct server *e = top[i];
        char name[SUMMARY_SERVER_LEN];
        fprintf(out,
                "  %-30s %8" PRIu64 " %8" PRIu64 " %10" PRIu64 " %8" PRIu64 " %8" PRIu64
                " %9" PRIu64 " %8" PRIu64 "\n",
                fmt_server(name, sizeof(name), e), server_failures(e), e->refused, e->unanswered,
                e->icmp_rejected, e->reset, e->half_open, e->syn_retransmits);
    }
    if (n == 0) {
        fputs("  (none)\n", out);
    }
}

static void print_stats(const struct tcpshake_summary *s, const struct tcpshake_stats *st,
                        FILE *out)
{
    fputs("capture:\n", out);
    fprintf(out, "  %-28s %12" PRIu64 "\n", "packets read", st->packets_read);
    fprintf(out, "  %-28s %12" PRIu64 "\n", "tcp segments", st->packets_tcp);
    fprintf(out, "  %-28s %12" PRIu64 "\n", "icmp errors about tcp", st->packets_icmp);
    for (unsigned i = 0; i < TCPSHAKE_SKIP_COUNT; i++) {
        char label[64];
        snprintf(label, sizeof(label), "skipped %s", tcpshake_skip_name((enum tcpshake_skip)i));
        fprintf(out, "  %-28s %12" PRIu64 "\n", label, st->skipped[i]);
    }
    fprintf(out, "  %-28s %12" PRIu64 "\n", "cut by snaplen", st->snaplen_cut);
    fprintf(out, "  %-28s %12" PRIu64 "\n", "timestamps backwards", st->time_backwards);
    if (st->timestamps_jumped > 0) {
        fprintf(out, "  %-28s %12" PRIu64 "\n", "timestamps jumped", st->timestamps_jumped);
    }
    fprintf(out, "  %-28s %12" PRIu64 "\n", "connections", st->connections);
    fprintf(out, "  %-28s %12" PRIu64 " (%" PRIu64 " half-open)\n", "flow table evictions",
            st->evictions, st->evictions_half_open);
    /* Only when it happened: with a secret hash key it practically never does
     * (flowtab.h), and the line would be noise in every summary. */
    if (st->evictions_crowded != 0) {
        fprintf(out, "  %-28s %12" PRIu64 "\n", "  of which: hash window full",
                st->evictions_crowded);
    }
    fprintf(out, "  %-28s %12" PRIu64 "\n", "peak flows", st->flows_peak);
    /* Only when it happened, as above: the TLS pools are sized for far more. */
    if (st->tls_untracked != 0) {
        fprintf(out, "  %-28s %12" PRIu64 "\n", "tls untracked", st->tls_untracked);
    }
    fprintf(out, "  %-28s %12" PRIu64 "\n", "server table evictions", s->server_evictions);
    if (st->live) {
        /* The kernel's pcap_stats counters: what the capture itself lost. */
        fprintf(out, "  %-28s %12" PRIu64 "\n", "kernel received", st->live_received);
        fprintf(out, "  %-28s %12" PRIu64 "\n", "kernel dropped", st->live_dropped);
        fprintf(out, "  %-28s %12" PRIu64 "\n", "interface dropped", st->live_if_dropped);
    }
}

/* ------------------------------------------------------------ JSON output */

static void server_view(const struct server *e, struct summary_server_view *sv)
{
    fmt_server(sv->server, sizeof(sv->server), e);
    sv->connections = e->connections;
    sv->overcount = e->overcount;
    sv->established = e->established;
    sv->failed = server_failures(e);
    sv->refused = e->refused;
    sv->unanswered = e->unanswered;
    sv->icmp_rejected = e->icmp_rejected;
    sv->reset = e->reset;
    sv->half_open = e->half_open;
    sv->syn_retransmits = e->syn_retransmits;
    sv->synack_retransmits = e->synack_retransmits;
    latency_view(&e->server_side, &sv->server_side);
    latency_view(&e->client_side, &sv->client_side);
}

/* The servers of a "top" list (select_top's order) as the formats see them; returns how many. */
static size_t top_view(const struct tcpshake_summary *s, uint64_t (*value)(const struct server *),
                       struct summary_server_view views[SUMMARY_TOP])
{
    const struct server *top[SUMMARY_TOP];
    size_t n = select_top(s, value, top);
    for (size_t i = 0; i < n; i++) {
        server_view(top[i], &views[i]);
    }
    return n;
}

static void summary_view(const struct tcpshake_summary *s, struct summary_view *v)
{
    v->connections = s->connections;
    v->by_outcome = s->by_outcome;
    v->by_end = s->by_end;
    latency_view(&s->server_side, &v->latency[SUMMARY_SERVER_SIDE]);
    latency_view(&s->client_side, &v->latency[SUMMARY_CLIENT_SIDE]);
    latency_view(&s->handshake, &v->latency[SUMMARY_HANDSHAKE]);
    latency_view(&s->app_latency, &v->latency[SUMMARY_APP_LATENCY]);
    latency_view(&s->tls_server_side, &v->latency[SUMMARY_TLS_SERVER_SIDE]);
    latency_view(&s->tls_client_side, &v->latency[SUMMARY_TLS_CLIENT_SIDE]);
    latency_view(&s->tls_handshake, &v->latency[SUMMARY_TLS_HANDSHAKE]);
    latency_view(&s->tls_syn_to_data, &v->latency[SUMMARY_TLS_SYN_TO_DATA]);
    v->tls = &s->tls;
    v->capture_point = tcpshake_summary_capture_point(s);
    v->n_top = top_view(s, server_connections, v->top);
    v->n_failing = top_view(s, server_failures, v->failing);
    v->server_evictions = s->server_evictions;
    v->start_ns = v->end_ns = 0;
}

/* Close the JSON object in line, end the line and write it to out. */
static enum tcpshake_status json_line_out(struct text_cursor *line, FILE *out)
{
    json_close(line, line->start);
    text_char(line, '\n');
    if (line->overflow) {
        return TCPSHAKE_ERR_WRITE; /* SUMMARY_JSON_CAP rules it out */
    }
    fwrite(line->start, 1, (size_t)(line->p - line->start), out);
    if (fflush(out) != 0 || ferror(out)) {
        return TCPSHAKE_ERR_WRITE;
    }
    return TCPSHAKE_OK;
}

enum tcpshake_status tcpshake_summary_write_json(const struct tcpshake_summary *s,
                                                 const struct tcpshake_stats *stats, FILE *out)
{
    if (s == NULL || stats == NULL || out == NULL) {
        return TCPSHAKE_ERR_ARG;
    }
    struct summary_view view;
    summary_view(s, &view);
    const struct summary_view *v = &view;
    const struct tcpshake_stats *st = stats;
    char buf[SUMMARY_JSON_CAP];
    struct text_cursor line = { .start = buf, .p = buf, .end = buf + sizeof(buf) };
    struct text_cursor *b = &line;
    SUMMARY_FIELDS(JSON_FIELD, JSON_LIST, JSON_OBJECT)
    return json_line_out(&line, out);
}

enum tcpshake_status tcpshake_summary_write_interval_json(const struct tcpshake_summary *s,
                                                          uint64_t start_ns, uint64_t end_ns,
                                                          FILE *out)
{
    if (s == NULL || out == NULL) {
        return TCPSHAKE_ERR_ARG;
    }
    struct summary_view view;
    summary_view(s, &view);
    view.start_ns = start_ns;
    view.end_ns = end_ns;
    const struct summary_view *v = &view;
    char buf[SUMMARY_JSON_CAP];
    struct text_cursor line = { .start = buf, .p = buf, .end = buf + sizeof(buf) };
    struct text_cursor *b = &line;
    SUMMARY_INTERVAL_FIELDS(JSON_FIELD, JSON_LIST, JSON_OBJECT)
    return json_line_out(&line, out);
}

/* ------------------------------------------------------------------- API */

struct tcpshake_summary *tcpshake_summary_new(void)
{
    /* Zeroed memory is an empty summary: hist_init is a memset to 0. */
    struct tcpshake_summary *s = ts_calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    if (keytab_init(&s->index, SUMMARY_SERVERS) != TCPSHAKE_OK) {
        ts_free(s);
        return NULL;
    }
    return s;
}

void tcpshake_summary_add(struct tcpshake_summary *s, const struct tcpshake_record *r)
{
    if (s == NULL || r == NULL) {
        return;
    }
    s->connections++;
    if ((unsigned)r->outcome < TCPSHAKE_OUTCOME_COUNT) {
        s->by_outcome[r->outcome]++;
    }
    if ((unsigned)r->end < TCPSHAKE_END_COUNT) {
        s->by_end[r->end]++;
    }
    const int64_t v[4] = { r->server_side_ns, r->client_side_ns, r->handshake_ns,
                           r->app_latency_ns };
    struct hist *h[4] = { &s->server_side, &s->client_side, &s->handshake, &s->app_latency };
    for (size_t i = 0; i < 4; i++) {
        if (v[i] != TCPSHAKE_NO_TIME) {
            hist_add(h[i], v[i]);
        }
    }
    server_add(server_entry(s, r), r);
    tls_add(s, &r->tls);
}

enum tcpshake_status tcpshake_summary_print(const struct tcpshake_summary *s,
                                            const struct tcpshake_stats *stats, FILE *out)
{
    if (s == NULL || out == NULL) {
        return TCPSHAKE_ERR_ARG;
    }
    print_counts(s, out);
    print_latency(s, out);
    if (s->shape) {
        print_shape(s, out);
    }
    print_capture_point(s, out);
    print_tls(s, out);
    print_top_servers(s, out);
    print_top_failing(s, out);
    if (stats != NULL) {
        print_stats(s, stats, out);
    }
    if (fflush(out) != 0 || ferror(out)) {
        return TCPSHAKE_ERR_WRITE;
    }
    return TCPSHAKE_OK;
}

void tcpshake_summary_set_shape(struct tcpshake_summary *s, bool on)
{
    if (s != NULL) {
        s->shape = on;
    }
}

void tcpshake_summary_free(struct tcpshake_summary *s)
{
    if (s == NULL) {
        return;
    }
    keytab_release(&s->index);
    ts_free(s);
}
