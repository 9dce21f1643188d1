/*
 * agg_health.c - per-server (or port, subnet, client) health by time bucket.
 *
 * Owns grouping records into (group, bucket) rows, the counters and
 * histograms of each row, and writing the rows as a table, JSON lines, CSV or
 * Zeek-style TSV: JSON and CSV encode the field list of health_fields.h,
 * Zeek's TSV is the CSV line with tabs; the table keeps its own narrower
 * columns in ms. Records come from the caller; nothing here reads packets.
 *
 * A record belongs to the bucket of its first_ns (floor(first_ns / bucket_ns)).
 * Rows live in a fixed array behind a keytab index (keytab.c); when it is
 * full, a new row replaces the lightest of a sample of rows (fewest
 * connections), and the eviction is counted. Latency quantiles come from
 * hist.h: within HIST_ERROR_PCT (3.125 %) of the exact sample, min and max
 * exact. Histograms merge, so coarser views could be built from these rows.
 *
 * Rows as their buckets close (tcpshake_health_write_closed, for a live
 * capture): the caller says up to when no more connections will come for a
 * bucket; the rows of the buckets that ended by then are written in the
 * order tcpshake_health_write uses and forgotten (the table is compacted,
 * entries keep their order of arrival). A record for a bucket already
 * written is counted as late, in no row. Fed by tcpshake_health_add_event, a
 * row counts a connection at its handshake's decision, and its close adds
 * only what needs payload after the handshake: the application latency and
 * the TLS handshake.
 */
#include "agg_health.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "encode_csv.h"
#include "encode_json.h"
#include "health_fields.h"
#include "keytab.h"
#include "outcome.h"
#include "sink.h"
#include "text.h"

#define HEALTH_DEFAULT_ROWS 4096
#define HEALTH_MAX_ROWS     (1u << 20)

struct tcpshake_health {
    struct tcpshake_health_config cfg;
    struct keytab index;
    struct health_row *rows;      /* cfg.max_rows */
    uint64_t evicted_rows;        /* rows replaced by newer groups */
    uint64_t evicted_connections; /* connections those rows had counted */
    uint64_t closed_buckets;      /* buckets 0 .. closed_buckets-1 are written */
    uint64_t rows_written;        /* by tcpshake_health_write_closed */
    bool header_written;          /* the table's, CSV's or Zeek's header, by it */
    uint64_t late_connections;    /* came for a bucket already written: in no row */
};

static const char *const by_names[TCPSHAKE_HEALTH_BY_COUNT] = {
    [TCPSHAKE_HEALTH_BY_SERVER] = "server",
    [TCPSHAKE_HEALTH_BY_PORT] = "port",
    [TCPSHAKE_HEALTH_BY_SUBNET] = "subnet",
    [TCPSHAKE_HEALTH_BY_CLIENT] = "client",
};

static struct tcpshake_health_config health_defaults(void)
{
    struct tcpshake_health_config d;
    memset(&d, 0, sizeof(d));
    d.size = sizeof(d);
    d.by = TCPSHAKE_HEALTH_BY_SERVER;
    d.prefix_len = 24;
    d.bucket_ns = 0;
    d.max_rows = HEALTH_DEFAULT_ROWS;
    return d;
}

void tcpshake_health_config_init(struct tcpshake_health_config *cfg, size_t size)
{
    const struct tcpshake_health_config d = health_defaults();
    options_init(cfg, size, &d, sizeof(d));
}

const char *tcpshake_health_by_name(enum tcpshake_health_by by)
{
    return (unsigned)by < TCPSHAKE_HEALTH_BY_COUNT ? by_names[by] : "?";
}

/* ------------------------------------------------------------ grouping */

/* Keep the first `bits` bits of a 16-byte address; clear the rest. */
static void cut_prefix(uint8_t addr[16], unsigned bits)
{
    for (unsigned i = 0; i < 16; i++) {
        if (bits >= 8 * (i + 1)) {
            continue;
        }
        unsigned keep = bits > 8 * i ? bits - 8 * i : 0;
        addr[i] &= (uint8_t)(0xffu << (8 - keep));
    }
}

static unsigned family_bits(uint8_t ip_version, unsigned prefix_len)
{
    unsigned width = ip_version == 6 ? 128 : 32;
    return prefix_len < width ? prefix_len : width;
}

/* The row a record belongs to, as a zeroed row carrying only its key fields. */
static void row_key(const struct tcpshake_health *h, const struct tcpshake_record *r,
                    struct health_row *k)
{
    memset(k, 0, offsetof(struct health_row, first_ns));
    k->bucket = h->cfg.bucket_ns > 0 ? r->first_ns / h->cfg.bucket_ns : 0;
    size_t alen = r->ip_version == 6 ? 16 : 4;
    switch (h->cfg.by) {
    case TCPSHAKE_HEALTH_BY_SERVER:
        k->ip_version = r->ip_version;
        memcpy(k->addr, r->server.addr, alen);
        k->port = r->server.port;
        break;
    case TCPSHAKE_HEALTH_BY_PORT:
        k->port = r->server.port;
        break;
    case TCPSHAKE_HEALTH_BY_SUBNET:
        k->ip_version = r->ip_version;
        memcpy(k->addr, r->server.addr, alen);
        cut_prefix(k->addr, family_bits(r->ip_version, h->cfg.prefix_len));
        break;
    default:
        k->ip_version = r->ip_version;
        memcpy(k->addr, r->client.addr, alen);
        break;
    }
}

static void pack_key(const struct health_row *k, struct keytab_key *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->b, &k->bucket, sizeof(k->bucket));
    out->b[8] = k->ip_version;
    memcpy(out->b + 9, k->addr, sizeof(k->addr));
    out->b[25] = (uint8_t)(k->port >> 8);
    out->b[26] = (uint8_t)(k->port & 0xffu);
}

static uint64_t row_weight(const void *ctx, size_t e)
{
    const struct tcpshake_health *h = ctx;
    return h->rows[e].connections;
}

static struct health_row *find_row(struct tcpshake_health *h, const struct tcpshake_record *r)
{
    struct health_row k;
    struct keytab_key key;
    row_key(h, r, &k);
    pack_key(&k, &key);
    size_t e = keytab_find(&h->index, &key);
    if (e != KEYTAB_NONE) {
        return &h->rows[e];
    }
    e = keytab_add(&h->index, &key);
    if (e == KEYTAB_NONE) {
        e = keytab_victim(&h->index, row_weight, h);
        h->evicted_rows++;
        h->evicted_connections += h->rows[e].connections;
        keytab_rekey(&h->index, e, &key);
    }
    struct health_row *row = &h->rows[e];
    memset(row, 0, sizeof(*row)); /* empty histograms too: hist_init is a memset */
    memcpy(row, &k, offsetof(struct health_row, first_ns));
    row->first_ns = r->first_ns;
    return row;
}

/* A TLS handshake that failed: ended by an alert, a RST or a FIN, or left unanswered or
 * unfinished (not one the capture could not show: truncated, malformed, capped, untracked). */
static bool tls_failed(enum tcpshake_tls_outcome o)
{
    return o == TCPSHAKE_TLS_ALERT || o == TCPSHAKE_TLS_RESET || o == TCPSHAKE_TLS_FIN ||
           o == TCPSHAKE_TLS_NO_SERVER_HELLO || o == TCPSHAKE_TLS_INCOMPLETE;
}

static void row_add_tls(struct health_row *row, const struct tcpshake_tls *t)
{
    if (t->outcome == TCPSHAKE_TLS_NONE) {
        return;
    }
    bool established = t->outcome == TCPSHAKE_TLS_ESTABLISHED;
    row->tls_connections++;
    row->tls_established += established;
    row->tls_resumed += established && t->resumed;
    row->tls_alerts += t->outcome == TCPSHAKE_TLS_ALERT;
    row->tls_failed += tls_failed(t->outcome);
    if (t->server_side_ns != TCPSHAKE_NO_TIME) {
        hist_add(&row->tls_server_side, t->server_side_ns);
    }
    if (established && t->handshake_ns != TCPSHAKE_NO_TIME) {
        hist_add(&row->tls_handshake, t->handshake_ns);
    }
}

/* Everything a row takes from a record but what only its close knows (row_add_close). */
static void row_add_handshake(struct health_row *row, const struct tcpshake_record *r)
{
    if (r->first_ns < row->first_ns) {
        row->first_ns = r->first_ns;
    }
    row->connections++;
    row->established += outcome_established(r->outcome);
    row->refused += r->outcome == TCPSHAKE_OUTCOME_REFUSED;
    row->unanswered += r->outcome == TCPSHAKE_OUTCOME_UNANSWERED;
    row->icmp_rejected += r->outcome == TCPSHAKE_OUTCOME_ICMP_REJECTED;
    row->half_open += r->outcome == TCPSHAKE_OUTCOME_HALF_OPEN;
    row->reset += r->outcome == TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE;
    row->syns += r->n_syn;
    row->syn_retransmits += r->n_syn > 1 ? r->n_syn - 1 : 0;
    row->synacks += r->n_synack;
    row->synack_retransmits += r->n_synack > 1 ? r->n_synack - 1 : 0;
    if (r->server_side_ns != TCPSHAKE_NO_TIME) {
        hist_add(&row->server_side, r->server_side_ns);
    }
    if (r->client_side_ns != TCPSHAKE_NO_TIME) {
        hist_add(&row->client_side, r->client_side_ns);
    }
}

/* What only the close knows: the application latency (payload after the handshake)
 * and the TLS handshake. */
static void row_add_close(struct health_row *row, const struct tcpshake_record *r)
{
    if (r->app_latency_ns != TCPSHAKE_NO_TIME) {
        hist_add(&row->app_latency, r->app_latency_ns);
    }
    row_add_tls(row, &r->tls);
}

/* A record for a bucket whose rows were written already. */
static bool too_late(const struct tcpshake_health *h, const struct tcpshake_record *r)
{
    return h->cfg.bucket_ns > 0 && r->first_ns / h->cfg.bucket_ns < h->closed_buckets;
}

/* ------------------------------------------------------------ ordering */

static int cmp_rows(const void *a, const void *b)
{
    const struct health_row *x = *(const struct health_row *const *)a;
    const struct health_row *y = *(const struct health_row *const *)b;
    if (x->bucket != y->bucket) {
        return x->bucket < y->bucket ? -1 : 1;
    }
    if (x->ip_version != y->ip_version) {
        return x->ip_version < y->ip_version ? -1 : 1;
    }
    int c = memcmp(x->addr, y->addr, sizeof(x->addr));
    if (c != 0) {
        return c;
    }
    return (x->port > y->port) - (x->port < y->port);
}

size_t health_rows(const struct tcpshake_health *h, const struct health_row **rows, size_t cap)
{
    size_t n = h->index.n;
    for (size_t i = 0; i < n && i < cap; i++) {
        rows[i] = &h->rows[i];
    }
    if (n <= cap) {
        qsort(rows, n, sizeof(rows[0]), cmp_rows);
    }
    return n;
}

void health_evictions(const struct tcpshake_health *h, uint64_t *rows, uint64_t *connections)
{
    *rows = h->evicted_rows;
    *connections = h->evicted_connections;
}

/* ------------------------------------------------------------- output */

static const char *group_name(const struct tcpshake_health *h, const struct health_row *row,
                              char *buf, size_t len)
{
    struct tcpshake_side side;
    memset(&side, 0, sizeof(side));
    memcpy(side.addr, row->addr, sizeof(side.addr));
    char addr[64];
    tcpshake_addr_str(&side, row->ip_version, addr, sizeof(addr));
    switch (h->cfg.by) {
    case TCPSHAKE_HEALTH_BY_SERVER:
        snprintf(buf, len, row->ip_version == 6 ? "[%s]:%u" : "%s:%u", addr, (unsigned)row->port);
        break;
    case TCPSHAKE_HEALTH_BY_PORT:
        snprintf(buf, len, "%u", (unsigned)row->port);
        break;
    case TCPSHAKE_HEALTH_BY_SUBNET:
        snprintf(buf, len, "%s/%u", addr, family_bits(row->ip_version, h->cfg.prefix_len));
        break;
    default:
        snprintf(buf, len, "%s", addr);
        break;
    }
    return buf;
}

static uint64_t bucket_start(const struct tcpshake_health *h, const struct health_row *row)
{
    return h->cfg.bucket_ns > 0 ? row->bucket * h->cfg.bucket_ns : row->first_ns;
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* p50, p95, p99, max of a histogram; false when it is empty. */
static bool quantiles(const struct hist *hs, int64_t v[4])
{
    if (hist_count(hs) == 0) {
        return false;
    }
    v[0] = hist_quantile(hs, 0.50);
    v[1] = hist_quantile(hs, 0.95);
    v[2] = hist_quantile(hs, 0.99);
    v[3] = hist_max(hs);
    return true;
}

static const char *const q_names[4] = { "p50", "p95", "p99", "max" };

static const struct hist *row_hist(const struct health_row *row, size_t i)
{
    const struct hist *const h[HEALTH_N_LATENCIES] = {
        [HEALTH_SERVER_SIDE] = &row->server_side,
        [HEALTH_CLIENT_SIDE] = &row->client_side,
        [HEALTH_APP_LATENCY] = &row->app_latency,
        [HEALTH_TLS_SERVER_SIDE] = &row->tls_server_side,
        [HEALTH_TLS_HANDSHAKE] = &row->tls_handshake,
    };
    return h[i];
}

static void table_ms(FILE *out, int64_t ns)
{
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = mag / 1000u + (mag % 1000u >= 500u ? 1 : 0);
    char buf[40];
    snprintf(buf, sizeof(buf), "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", us / 1000u,
             us % 1000u);
    fprintf(out, " %9s", buf);
}

static void table_header(const struct tcpshake_health *h, FILE *out)
{
    fprintf(out,
            "health by %s%s, latency in ms (percentiles within ±%g%%, max exact)\n"
            "%-20s %-28s %7s %6s %7s %7s %5s %6s %6s %6s %6s",
            tcpshake_health_by_name(h->cfg.by), h->cfg.bucket_ns > 0 ? " and time bucket" : "",
            HIST_ERROR_PCT, "bucket", "group", "conns", "est%", "refused", "unansw", "icmp", "half",
            "reset", "syn_r%", "sa_r%");
    for (size_t l = 0; l < 3; l++) {
        for (size_t q = 0; q < 4; q++) {
            char name[16];
            snprintf(name, sizeof(name), "%c_%s", "sca"[l], q_names[q]);
            fprintf(out, " %9s", name);
        }
    }
    fputc('\n', out);
}

static void table_row(const struct tcpshake_health *h, const struct health_row *row, FILE *out)
{
    char group[HEALTH_GROUP_LEN], iso[SINK_ISO_LEN];
    sink_iso8601(bucket_start(h, row), iso);
    iso[19] = '\0'; /* to the second: 2024-05-01T12:00:00 */
    fprintf(out,
            "%-20s %-28s %7" PRIu64 " %6.1f %7" PRIu64 " %7" PRIu64 " %5" PRIu64 " %6" PRIu64
            " %6" PRIu64 " %6.1f %6.1f",
            iso, group_name(h, row, group, sizeof(group)), row->connections,
            pct(row->established, row->connections), row->refused, row->unanswered,
            row->icmp_rejected, row->half_open, row->reset, pct(row->syn_retransmits, row->syns),
            pct(row->synack_retransmits, row->synacks));
    for (size_t l = 0; l < 3; l++) {
        int64_t v[4];
        bool any = quantiles(row_hist(row, l), v);
        for (size_t q = 0; q < 4; q++) {
            if (any) {
                table_ms(out, v[q]);
            } else {
                fprintf(out, " %9s", "-");
            }
        }
    }
    fputc('\n', out);
}

/* The row as the formats see it (health_fields.h); group is its buffer. */
static void row_view(const struct tcpshake_health *h, const struct health_row *row,
                     char group[HEALTH_GROUP_LEN], struct health_view *v)
{
    v->by = h->cfg.by;
    v->group = group_name(h, row, group, HEALTH_GROUP_LEN);
    v->start_ns = bucket_start(h, row);
    v->bucket_ns = h->cfg.bucket_ns;
    v->row = row;
    for (size_t l = 0; l < HEALTH_N_LATENCIES; l++) {
        v->samples[l] = hist_count(row_hist(row, l));
        /* NO_TIME (-1) is never a quantile: -1 is never a sample (the record's
         * "not measured"), and quantiles stay within the exact min and max. */
        if (!quantiles(row_hist(row, l), v->q_ns[l])) {
            for (size_t q = 0; q < HEALTH_N_QUANTILES; q++) {
                v->q_ns[l][q] = TCPSHAKE_NO_TIME;
            }
        }
    }
}

/* One line, all of it or (overflowed, which SINK_TEXT_CAP rules out) nothing. */
static bool put_line(FILE *out, const struct text_cursor *line, size_t skip)
{
    if (line->overflow) {
        return false;
    }
    fwrite(line->start + skip, 1, (size_t)(line->p - line->start) - skip, out);
    return true;
}

/*
 * A CSV line as Zeek-style TSV: tabs for commas and '-' for an empty field.
 * No health field holds a comma or a quote, so the CSV line has no quoting to
 * undo. lead: keep a tab for the line's leading comma.
 */
static bool put_tsv(FILE *out, const struct text_cursor *line, bool lead)
{
    if (line->overflow) {
        return false;
    }
    for (const char *p = line->start; p < line->p; p++) {
        if (*p != ',') {
            fputc(*p, out);
            continue;
        }
        if (p > line->start || lead) {
            fputc('\t', out);
        }
        if (p + 1 == line->p || p[1] == ',' || p[1] == '\n') {
            fputc('-', out);
        }
    }
    return true;
}

static bool json_row(const struct health_view *v, FILE *out)
{
    struct text_buf text;
    struct text_cursor line = text_start(&text);
    struct text_cursor *b = &line;
    HEALTH_FIELDS(JSON_FIELD)
    HEALTH_JSON_FIELDS(JSON_FIELD)
    json_close(b, line.start);
    text_char(b, '\n');
    return put_line(out, &line, 0);
}

/* CSV and Zeek-style TSV share the columns. */
#define CSV_COLUMN(kind, name, ...) csv_put_column(c, "", name);

static bool delimited_header(FILE *out, bool zeek)
{
    struct text_buf text;
    struct text_cursor line = text_start(&text);
    struct text_cursor *c = &line;
    HEALTH_FIELDS(CSV_COLUMN)
    text_char(c, '\n');
    if (zeek) {
        fputs("#separator \\x09\n#path\ttcpshake_health\n#fields", out);
        return put_tsv(out, &line, true);
    }
    return put_line(out, &line, 1);
}

static bool delimited_row(const struct health_view *v, FILE *out, bool zeek)
{
    struct text_buf text;
    struct text_cursor line = text_start(&text);
    struct text_cursor *c = &line;
    HEALTH_FIELDS(CSV_FIELD)
    text_char(c, '\n');
    return zeek ? put_tsv(out, &line, false) : put_line(out, &line, 1);
}

static bool write_trailer(const struct tcpshake_health *h, FILE *out, enum tcpshake_format fmt,
                          size_t n)
{
    const struct health_trailer trailer = { n, h->evicted_rows, h->evicted_connections };
    const struct health_trailer *tr = &trailer;
    switch (fmt) {
    case TCPSHAKE_FORMAT_TABLE:
        fprintf(out,
                "%zu rows; %" PRIu64 " rows evicted from the full table (%" PRIu64
                " connections)\n",
                n, h->evicted_rows, h->evicted_connections);
        return true;
    case TCPSHAKE_FORMAT_JSON: {
        struct text_buf text;
        struct text_cursor line = text_start(&text);
        struct text_cursor *b = &line;
        HEALTH_TRAILER_FIELDS(JSON_FIELD)
        json_close(b, line.start);
        text_char(b, '\n');
        return put_line(out, &line, 0);
    }
    case TCPSHAKE_FORMAT_ZEEK:
        fprintf(out, "#evicted_rows\t%" PRIu64 "\n#evicted_connections\t%" PRIu64 "\n",
                h->evicted_rows, h->evicted_connections);
        return true;
    default:
        return true; /* CSV stays one table: header and rows only */
    }
}

/* ---------------------------------------------------------------- API */

struct tcpshake_health *tcpshake_health_new(const struct tcpshake_health_config *cfg)
{
    const struct tcpshake_health_config defaults = health_defaults();
    struct tcpshake_health_config c;
    if (!options_read(&c, cfg, &defaults, sizeof(c))) {
        return NULL;
    }
    if ((unsigned)c.by >= TCPSHAKE_HEALTH_BY_COUNT || c.prefix_len > 128 || c.max_rows < 1 ||
        c.max_rows > HEALTH_MAX_ROWS) {
        return NULL;
    }
    struct tcpshake_health *h = ts_calloc(1, sizeof(*h));
    if (h == NULL) {
        return NULL;
    }
    h->cfg = c;
    h->rows = ts_calloc(c.max_rows, sizeof(*h->rows));
    if (h->rows == NULL || keytab_init(&h->index, c.max_rows) != TCPSHAKE_OK) {
        tcpshake_health_free(h);
        return NULL;
    }
    return h;
}

void tcpshake_health_add(struct tcpshake_health *h, const struct tcpshake_record *r)
{
    if (h == NULL || r == NULL) {
        return;
    }
    if (too_late(h, r)) {
        h->late_connections++;
        return;
    }
    struct health_row *row = find_row(h, r);
    row_add_handshake(row, r);
    row_add_close(row, r);
}

/* The format a row is written in: a health row is no conn.log line, so
 * zeek-json writes the rows of json. */
static enum tcpshake_format row_format(enum tcpshake_format fmt)
{
    return fmt == TCPSHAKE_FORMAT_ZEEK_JSON ? TCPSHAKE_FORMAT_JSON : fmt;
}

/* The header of fmt (none for JSON); false when a line overflowed. */
static bool write_header(const struct tcpshake_health *h, FILE *out, enum tcpshake_format fmt)
{
    if (fmt == TCPSHAKE_FORMAT_TABLE) {
        table_header(h, out);
        return true;
    }
    return fmt == TCPSHAKE_FORMAT_JSON || delimited_header(out, fmt == TCPSHAKE_FORMAT_ZEEK);
}

/* rows[0 .. n-1] in fmt (already row_format); false when a line overflowed. */
static bool write_rows(const struct tcpshake_health *h, const struct health_row *const *rows,
                       size_t n, FILE *out, enum tcpshake_format fmt)
{
    bool zeek = fmt == TCPSHAKE_FORMAT_ZEEK;
    bool whole = true;
    for (size_t i = 0; i < n; i++) {
        if (fmt == TCPSHAKE_FORMAT_TABLE) {
            table_row(h, rows[i], out);
            continue;
        }
        char group[HEALTH_GROUP_LEN];
        struct health_view v;
        row_view(h, rows[i], group, &v);
        whole &= fmt == TCPSHAKE_FORMAT_JSON ? json_row(&v, out) : delimited_row(&v, out, zeek);
    }
    return whole;
}

/* Every row in writing order (see health_rows), in an array of its own to free with
 * ts_free; NULL when out of memory. */
static const struct health_row **sorted_rows(const struct tcpshake_health *h)
{
    size_t n = h->index.n;
    const struct health_row **rows = ts_calloc(n > 0 ? n : 1, sizeof(*rows));
    if (rows != NULL) {
        health_rows(h, rows, n);
    }
    return rows;
}

enum tcpshake_status tcpshake_health_write(const struct tcpshake_health *h, FILE *out,
                                           enum tcpshake_format fmt)
{
    if (h == NULL || out == NULL || (unsigned)fmt >= TCPSHAKE_FORMAT_COUNT) {
        return TCPSHAKE_ERR_ARG;
    }
    size_t n = h->index.n;
    const struct health_row **rows = sorted_rows(h);
    if (rows == NULL) {
        return TCPSHAKE_ERR_NOMEM;
    }
    fmt = row_format(fmt);
    bool whole = h->header_written || write_header(h, out, fmt); /* no line overflowed */
    whole &= write_rows(h, rows, n, out, fmt);
    whole &= write_trailer(h, out, fmt, (size_t)h->rows_written + n);
    ts_free(rows);
    if (fflush(out) != 0 || ferror(out) || !whole) {
        return TCPSHAKE_ERR_WRITE;
    }
    return TCPSHAKE_OK;
}

/* Keep the rows of buckets from h->closed_buckets on, in their order of arrival. */
static void compact(struct tcpshake_health *h)
{
    size_t n = h->index.n, kept = 0;
    keytab_clear(&h->index);
    for (size_t i = 0; i < n; i++) {
        if (h->rows[i].bucket < h->closed_buckets) {
            continue;
        }
        if (kept != i) {
            h->rows[kept] = h->rows[i];
        }
        struct keytab_key key;
        pack_key(&h->rows[kept], &key);
        (void)keytab_add(&h->index, &key); /* entry `kept`: the table has room for all n */
        kept++;
    }
}

enum tcpshake_status tcpshake_health_write_closed(struct tcpshake_health *h, uint64_t until_ns,
                                                  FILE *out, enum tcpshake_format fmt)
{
    if (h == NULL || out == NULL || (unsigned)fmt >= TCPSHAKE_FORMAT_COUNT ||
        h->cfg.bucket_ns == 0) {
        return TCPSHAKE_ERR_ARG;
    }
    uint64_t closed = until_ns / h->cfg.bucket_ns; /* buckets that ended by until_ns */
    if (closed <= h->closed_buckets) {
        return TCPSHAKE_OK;
    }
    size_t n = h->index.n;
    const struct health_row **rows = sorted_rows(h);
    if (rows == NULL) {
        return TCPSHAKE_ERR_NOMEM;
    }
    size_t due = 0; /* sorted by bucket first: the rows to write lead */
    while (due < n && rows[due]->bucket < closed) {
        due++;
    }
    fmt = row_format(fmt);
    bool whole = true;
    if (due > 0 && !h->header_written) {
        whole = write_header(h, out, fmt);
        h->header_written = true;
    }
    whole &= write_rows(h, rows, due, out, fmt);
    ts_free(rows);
    h->rows_written += due;
    h->closed_buckets = closed;
    if (due > 0) {
        compact(h);
    }
    if (fflush(out) != 0 || ferror(out) || !whole) {
        return TCPSHAKE_ERR_WRITE;
    }
    return TCPSHAKE_OK;
}

void tcpshake_health_add_event(struct tcpshake_health *h, enum tcpshake_event ev,
                               const struct tcpshake_record *r)
{
    if (h == NULL || r == NULL) {
        return;
    }
    if (ev == TCPSHAKE_EVENT_HANDSHAKE) {
        if (too_late(h, r)) {
            h->late_connections++;
            return;
        }
        row_add_handshake(find_row(h, r), r);
        return;
    }
    if (too_late(h, r)) {
        return; /* counted (or counted late) at its handshake */
    }
    struct health_row k;
    struct keytab_key key;
    row_key(h, r, &k);
    pack_key(&k, &key);
    size_t e = keytab_find(&h->index, &key);
    if (e != KEYTAB_NONE) {
        row_add_close(&h->rows[e], r); /* not when its row was evicted since */
    }
}

uint64_t tcpshake_health_late(const struct tcpshake_health *h)
{
    return h != NULL ? h->late_connections : 0;
}

void tcpshake_health_evictions(const struct tcpshake_health *h, uint64_t *rows,
                               uint64_t *connections)
{
    *rows = *connections = 0;
    if (h != NULL) {
        health_evictions(h, rows, connections);
    }
}

void tcpshake_health_free(struct tcpshake_health *h)
{
    if (h == NULL) {
        return;
    }
    keytab_release(&h->index);
    ts_free(h->rows);
    ts_free(h);
}
