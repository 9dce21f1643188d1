/*
 * metrics.c - the registry and the Prometheus text exposition (format 0.0.4)
 * of --metrics-listen and --metrics-file. See cli_metrics.h for the threads;
 * the HTTP side is cli/metrics_http.c.
 *
 * Histogram buckets: a fixed subset of the edges of the project's log-linear
 * histogram (src/aggregate/hist.h, 16 sub-buckets per power of two): 4 per
 * power of two, 2^e * {1, 1.25, 1.5, 1.75} ns for e = 10 .. 39, that is from
 * 1.024 us to about 962 s, then +Inf. Every sensor uses the same edges, so the
 * buckets of many sensors add up exactly in Prometheus. A bucket is at most
 * 25 % of its lower edge wide, so histogram_quantile() is within 25 % of the
 * true sample value (its linear interpolation stays inside the bucket).
 *
 * Per-server series: the first METRICS_SERVERS servers (address and port)
 * seen completing a handshake get a `server` label of their own, for the
 * rest of the run (a counter must never go back, so a server never loses its
 * series); every other record is counted under server="other". Summing over
 * server gives the totals.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_metrics.h"
#include "metrics_int.h"

void metrics_usage(FILE *out)
{
    fputs("  --metrics-listen ADDR:PORT\n"
          "                          serve Prometheus metrics on http://ADDR:PORT/metrics\n"
          "                          (IPv4, [IPv6], or :PORT for every address)\n"
          "  --metrics-file PATH     write the same metrics to PATH (atomically, for\n"
          "                          node_exporter's textfile collector) every\n"
          "                          --stats-interval seconds (default 10) and at the end\n",
          out);
}

int metrics_parse_option(int ch, const char *arg, struct metrics_options *o)
{
    switch (ch) {
    case METRICS_OPT_LISTEN:
        if (!metrics_http_parse_addr(arg, NULL)) {
            fprintf(stderr, "tcpshake: --metrics-listen %s: want ADDR:PORT, [IPV6]:PORT or :PORT\n",
                    arg);
            return 2;
        }
        o->listen = arg;
        return 0;
    case METRICS_OPT_FILE:
        if (arg[0] == '\0') {
            fputs("tcpshake: --metrics-file: want a file name\n", stderr);
            return 2;
        }
        o->file = arg;
        return 0;
    default:
        return -1;
    }
}

bool metrics_wanted(const struct metrics_options *o)
{
    return o->listen != NULL || o->file != NULL;
}

/* ------------------------------------------------------------ registry */

static void edges_init(uint64_t *edges)
{
    size_t n = 0;
    for (unsigned e = METRICS_EXP_LO; e < METRICS_EXP_HI; e++) {
        for (unsigned k = 0; k < METRICS_PER_POW2; k++) {
            /* sub-bucket k * HIST_SUB / METRICS_PER_POW2 of the power of two 2^e */
            edges[n++] = ((uint64_t)1 << e) + (uint64_t)k * (((uint64_t)1 << e) / METRICS_PER_POW2);
        }
    }
}

/* Smallest bucket whose upper edge is >= v (Prometheus' le is inclusive);
 * METRICS_EDGES is +Inf. */
static size_t bucket_of(const uint64_t *edges, uint64_t v)
{
    size_t lo = 0, hi = METRICS_EDGES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (edges[mid] >= v) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

static void observe(const uint64_t *edges, struct mhist *h, int64_t ns)
{
    if (ns < 0) { /* TCPSHAKE_NO_TIME: not measured */
        return;
    }
    h->bucket[bucket_of(edges, (uint64_t)ns)]++;
    h->count++;
    h->sum_ns += (uint64_t)ns;
}

static bool same_server(const struct mserver *s, const struct tcpshake_record *r)
{
    return s->ip_version == r->ip_version && s->port == r->server.port &&
           memcmp(s->addr, r->server.addr, sizeof(s->addr)) == 0;
}

static bool completed(enum tcpshake_outcome o)
{
    return o == TCPSHAKE_OUTCOME_ESTABLISHED || o == TCPSHAKE_OUTCOME_FAST_OPEN ||
           o == TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN;
}

/* The record's server's series: its own, a new one while slots are free, or "other". */
static struct mserver *server_of(struct metrics *m, const struct tcpshake_record *r)
{
    for (size_t i = 0; i < m->n_servers; i++) {
        if (same_server(&m->servers[i], r)) {
            return &m->servers[i];
        }
    }
    if (m->n_servers < METRICS_SERVERS && completed(r->outcome)) {
        struct mserver *s = &m->servers[m->n_servers++];
        s->ip_version = r->ip_version;
        s->port = r->server.port;
        memcpy(s->addr, r->server.addr, sizeof(s->addr));
        char a[64];
        tcpshake_addr_str(&r->server, r->ip_version, a, sizeof(a));
        snprintf(s->name, sizeof(s->name), r->ip_version == 6 ? "[%s]:%u" : "%s:%u", a,
                 (unsigned)r->server.port);
        return s;
    }
    return &m->other;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------ rendering */

static void put(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct mbuf *b, const char *fmt, ...)
{
    if (b->failed) {
        return;
    }
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n;
        char *p = realloc(b->data, cap);
        if (p == NULL) {
            b->failed = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
}

/* A label value as the exposition format wants it: \ " and newline escaped. */
static void put_label(struct mbuf *b, const char *v)
{
    for (; *v != '\0'; v++) {
        switch (*v) {
        case '\\':
            put(b, "\\\\");
            break;
        case '"':
            put(b, "\\\"");
            break;
        case '\n':
            put(b, "\\n");
            break;
        default:
            put(b, "%c", *v);
        }
    }
}

static void put_head(struct mbuf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ns as seconds, exactly (a decimal with nine places, trailing zeros cut). */
static void put_seconds(struct mbuf *b, uint64_t ns)
{
    char s[48];
    snprintf(s, sizeof(s), "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
    size_t n = strlen(s);
    while (s[n - 1] == '0') {
        s[--n] = '\0';
    }
    if (s[n - 1] == '.') {
        s[--n] = '\0';
    }
    put(b, "%s", s);
}

/* One histogram's lines; server NULL for none. */
static void put_hist(struct mbuf *b, const uint64_t *edges, const char *name, const char *server,
                     const struct mhist *h)
{
    uint64_t cum = 0;
    for (size_t i = 0; i <= METRICS_EDGES; i++) {
        cum += h->bucket[i];
        put(b, "%s_bucket{", name);
        if (server != NULL) {
            put(b, "server=\"");
            put_label(b, server);
            put(b, "\",");
        }
        put(b, "le=\"");
        if (i < METRICS_EDGES) {
            put_seconds(b, edges[i]);
        } else {
            put(b, "+Inf");
        }
        put(b, "\"} %" PRIu64 "\n", cum);
    }
    const char *lab = server != NULL ? "{server=\"" : "";
    for (int twice = 0; twice < 2; twice++) {
        put(b, "%s_%s%s", name, twice == 0 ? "sum" : "count", lab);
        if (server != NULL) {
            put_label(b, server);
            put(b, "\"}");
        }
        put(b, " ");
        if (twice == 0) {
            put_seconds(b, h->sum_ns);
        } else {
            put(b, "%" PRIu64, h->count);
        }
        put(b, "\n");
    }
}

/* every: all outcomes, zeros too ("other"); else a server's series appear as they count. */
static void put_outcomes(struct mbuf *b, const struct mserver *s, bool every)
{
    for (int o = 0; o < TCPSHAKE_OUTCOME_COUNT; o++) {
        if (s->outcomes[o] == 0 && !every) {
            continue;
        }
        put(b, "tcpshake_handshakes_total{server=\"");
        put_label(b, s->name);
        put(b, "\",outcome=\"%s\"} %" PRIu64 "\n", tcpshake_outcome_name((enum tcpshake_outcome)o),
            s->outcomes[o]);
    }
}

static void put_counter(struct mbuf *b, const char *name, const char *help, uint64_t v)
{
    put_head(b, name, "counter", help);
    put(b, "%s %" PRIu64 "\n", name, v);
}

static void render_stats(struct mbuf *b, const struct metrics *m, const struct tcpshake_stats *st)
{
    put_counter(b, "tcpshake_packets_read_total", "Packets read from the capture.",
                st->packets_read);
    put_head(b, "tcpshake_packets_skipped_total", "counter", "Packets not analysed, by reason.");
    for (int i = 0; i < TCPSHAKE_SKIP_COUNT; i++) {
        put(b, "tcpshake_packets_skipped_total{reason=\"%s\"} %" PRIu64 "\n",
            tcpshake_skip_name((enum tcpshake_skip)i), st->skipped[i]);
    }
    put_counter(b, "tcpshake_connections_total", "Connection records emitted.", st->connections);
    put_counter(b, "tcpshake_flow_evictions_total", "Connections pushed out of a full flow table.",
                st->evictions);
    put_head(b, "tcpshake_connections_tracked_peak", "gauge", "Most connections tracked at once.");
    put(b, "tcpshake_connections_tracked_peak %" PRIu64 "\n", st->flows_peak);
    if (m->live) {
        put_head(b, "tcpshake_kernel_dropped_packets_total", "counter",
                 "Packets the kernel dropped (buffer: ps_drop, interface: ps_ifdrop).");
        put(b, "tcpshake_kernel_dropped_packets_total{where=\"buffer\"} %" PRIu64 "\n",
            st->live_dropped);
        put(b, "tcpshake_kernel_dropped_packets_total{where=\"interface\"} %" PRIu64 "\n",
            st->live_if_dropped);
    }
}

static void render(struct metrics *m, struct mbuf *b, const struct tcpshake_stats *st)
{
    b->len = 0;
    b->failed = false;
    if (st != NULL) {
        m->stats = *st; /* without: the last figures seen, so that no counter goes back */
    }
    st = &m->stats;
    if (st->live) {
        m->live = true;
    }
    put_head(b, "tcpshake_build_info", "gauge", "The tcpshake version, as a label.");
    put(b, "tcpshake_build_info{version=\"");
    put_label(b, tcpshake_version());
    put(b, "\"} 1\n");
    put_head(b, "tcpshake_handshakes_total", "counter",
             "Connection records by handshake outcome and server (top servers, then \"other\").");
    for (size_t i = 0; i < m->n_servers; i++) {
        put_outcomes(b, &m->servers[i], false);
    }
    put_outcomes(b, &m->other, true);
    put_head(b, "tcpshake_server_side_seconds", "histogram",
             "Server side handshake latency, SYN to SYN-ACK, by server.");
    for (size_t i = 0; i < m->n_servers; i++) {
        put_hist(b, m->edges, "tcpshake_server_side_seconds", m->servers[i].name,
                 &m->servers[i].server_side);
    }
    put_hist(b, m->edges, "tcpshake_server_side_seconds", "other", &m->other.server_side);
    put_head(b, "tcpshake_client_side_seconds", "histogram",
             "Client side handshake latency, SYN-ACK to ACK.");
    put_hist(b, m->edges, "tcpshake_client_side_seconds", NULL, &m->client_side);
    put_head(b, "tcpshake_handshake_seconds", "histogram", "Handshake latency, SYN to ACK.");
    put_hist(b, m->edges, "tcpshake_handshake_seconds", NULL, &m->handshake);
    put_head(b, "tcpshake_tls_handshake_seconds", "histogram",
             "TLS handshake latency, ClientHello to the client's second flight.");
    put_hist(b, m->edges, "tcpshake_tls_handshake_seconds", NULL, &m->tls_handshake);
    if (m->alerts != NULL) {
        put_head(b, "tcpshake_alerts_total", "counter", "Alerts raised by --detect, by kind.");
        for (int k = 0; k < TCPSHAKE_ALERT_COUNT; k++) {
            put(b, "tcpshake_alerts_total{kind=\"%s\"} %" PRIu64 "\n",
                tcpshake_alert_kind_name((enum tcpshake_alert_kind)k), m->alerts[k]);
        }
    }
    render_stats(b, m, st);
}

/* Render into the capture thread's buffer and swap it with the published one. */
static void publish(struct metrics *m, const struct tcpshake_stats *st)
{
    render(m, &m->draft, st);
    m->published_ms = now_ms();
    if (m->draft.failed) {
        return; /* out of memory: the last text stays published */
    }
    pthread_mutex_lock(&m->lock);
    struct mbuf t = m->shown;
    m->shown = m->draft;
    m->draft = t;
    pthread_mutex_unlock(&m->lock);
}

size_t metrics_copy_text(struct metrics *m, char **out)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->shown.len;
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, m->shown.data, n);
        p[n] = '\0';
    }
    pthread_mutex_unlock(&m->lock);
    *out = p;
    return p != NULL ? n : 0;
}

void metrics_set_alerts(struct metrics *m, const uint64_t *alerts)
{
    if (m != NULL) {
        m->alerts = alerts;
    }
}

void metrics_record(struct metrics *m, const struct tcpshake_record *r,
                    const struct tcpshake_stats *stats)
{
    if (m == NULL) {
        return;
    }
    struct mserver *s = server_of(m, r);
    if (r->outcome < TCPSHAKE_OUTCOME_COUNT) {
        s->outcomes[r->outcome]++;
    }
    observe(m->edges, &s->server_side, r->server_side_ns);
    observe(m->edges, &m->client_side, r->client_side_ns);
    observe(m->edges, &m->handshake, r->handshake_ns);
    if (r->tls.outcome == TCPSHAKE_TLS_ESTABLISHED) {
        observe(m->edges, &m->tls_handshake, r->tls.handshake_ns);
    }
    metrics_tick(m, stats);
}

void metrics_tick(struct metrics *m, const struct tcpshake_stats *stats)
{
    if (m != NULL && now_ms() - m->published_ms >= 1000) {
        publish(m, stats);
    }
}

struct metrics *metrics_start(const struct metrics_options *o, uint64_t file_every_s, char *why,
                              size_t why_len)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    edges_init(m->edges);
    snprintf(m->other.name, sizeof(m->other.name), "other");
    pthread_mutex_init(&m->lock, NULL);
    m->file = o->file;
    m->file_every_ms = file_every_s * 1000u;
    m->listen_fd = -1;
    m->wake[0] = m->wake[1] = -1;
    publish(m, NULL);
    if (m->shown.data == NULL) {
        snprintf(why, why_len, "out of memory");
        metrics_free(m);
        return NULL;
    }
    if (!metrics_http_start(m, o->listen, why, why_len)) {
        metrics_free(m);
        return NULL;
    }
    return m;
}

bool metrics_finish(struct metrics *m, const struct tcpshake_stats *stats, char *why,
                    size_t why_len)
{
    if (m == NULL) {
        return true;
    }
    publish(m, stats);
    metrics_http_stop(m);
    if (m->file != NULL && !metrics_write_file(m)) {
        snprintf(why, why_len, "%s", m->file_error);
        return false;
    }
    if (m->file_error[0] != '\0') {
        snprintf(why, why_len, "%s", m->file_error);
        return false;
    }
    return true;
}

void metrics_free(struct metrics *m)
{
    if (m == NULL) {
        return;
    }
    metrics_http_stop(m);
    pthread_mutex_destroy(&m->lock);
    free(m->draft.data);
    free(m->shown.data);
    free(m);
}
