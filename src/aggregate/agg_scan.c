/*
 * agg_scan.c - port scans and repeated failed handshakes, from records.
 *
 * Owns classifying a record as a scan probe, the per-source scan sessions and
 * the per (client, service) failure sessions; agg_detect.c owns the alerts.
 *
 * A probe (scans_probe_type) is a record that looks like a scanner's single
 * question to one port:
 *   syn      SYN answered by SYN-ACK and then a RST from the scanner
 *            (reset_in_handshake, rst_by client), or no answer to the SYN-ACK
 *            (half_open); a failed SYN (refused, unanswered, ICMP-rejected)
 *            counts as syn when the SYN carries none of SACK-permitted,
 *            window scale or timestamps: raw-socket scanners (nmap -sS,
 *            masscan, hping3) craft such SYNs, kernels do not;
 *   connect  a completed handshake where the client sent no data and closed
 *            first (FIN or RST) within 2 s; a failed kernel-made SYN;
 *   fin, null, xmas  the connection's first segment carries FIN only, no
 *            flags, or FIN|PSH|URG (ECE and CWR ignored) and no SYN was seen.
 * Open ports are those that answered the SYN with a SYN-ACK.
 *
 * A scan session is one source's probes with no gap longer than the window;
 * it is reported when it ends (or the input does, or its entry is evicted) if
 * it reached scan_min distinct ports (vertical: fewer than scan_min hosts),
 * hosts (horizontal: fewer than scan_min ports) or both (mixed). Distinct
 * ports and hosts are counted with 1024-register HyperLogLog sketches (3.25 %
 * standard error; about 2 % at a few hundred); whether a session stayed on
 * one host or one port is known exactly.
 *
 * Repeated failures: refused, unanswered, ICMP-rejected, half-open and reset
 * handshakes from one client to one server address and port, in sessions
 * with no gap longer than the window, reported at fail_min or more unless
 * that service had a SYN flood alert (then they are counted as part of it).
 */
#include "agg_detect.h"

#include <string.h>

#include "alloc.h"
#include "hll.h"

#define CONNECT_PROBE_MAX_NS (INT64_C(2) * 1000000000) /* a connect probe closes within 2 s */

enum { KEY_SCANNER = 1, KEY_PAIR = 2 };

static size_t alen(uint8_t ip_version)
{
    return ip_version == 6 ? 16 : 4;
}

int scans_init(struct scans *s, const struct tcpshake_detect_config *cfg, void *detect,
               detect_emit_fn emit, detect_flooded_fn flooded)
{
    memset(s, 0, sizeof(*s));
    s->window_ns = cfg->window_ns;
    s->scan_min = cfg->scan_min;
    s->fail_min = cfg->fail_min;
    s->detect = detect;
    s->emit = emit;
    s->flooded = flooded;
    s->src = ts_calloc(SCAN_SOURCES, sizeof(*s->src));
    s->pairs = ts_calloc(PAIR_ENTRIES, sizeof(*s->pairs));
    if (s->src == NULL || s->pairs == NULL ||
        keytab_init(&s->src_index, SCAN_SOURCES) != TCPSHAKE_OK ||
        keytab_init(&s->pair_index, PAIR_ENTRIES) != TCPSHAKE_OK) {
        scans_release(s);
        return TCPSHAKE_ERR_NOMEM;
    }
    return TCPSHAKE_OK;
}

void scans_release(struct scans *s)
{
    keytab_release(&s->src_index);
    keytab_release(&s->pair_index);
    ts_free(s->src);
    ts_free(s->pairs);
    s->src = NULL;
    s->pairs = NULL;
}

/* ------------------------------------------------------------ probes */

static bool crafted_syn(const struct tcpshake_side *c)
{
    return c->syn_seen && !c->sack_permitted && c->wscale < 0 && !c->timestamps;
}

static enum tcpshake_scan_type stealth_type(uint8_t flags)
{
    switch (flags & 0x3fu) {
    case 0x01:
        return TCPSHAKE_SCAN_FIN;
    case 0x00:
        return TCPSHAKE_SCAN_NULL;
    case 0x29: /* FIN | PSH | URG */
        return TCPSHAKE_SCAN_XMAS;
    default:
        return TCPSHAKE_SCAN_NONE;
    }
}

enum tcpshake_scan_type scans_probe_type(const struct tcpshake_record *r, bool *open,
                                         const struct tcpshake_side **scanner,
                                         const struct tcpshake_side **target)
{
    *open = false;
    *scanner = &r->client;
    *target = &r->server;
    bool quiet_client = r->client.payload_bytes == 0;
    bool client_rst = r->rst_by == TCPSHAKE_WHO_CLIENT || r->rst_by == TCPSHAKE_WHO_BOTH;
    switch (r->outcome) {
    case TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE:
    case TCPSHAKE_OUTCOME_HALF_OPEN:
        if (!quiet_client || (r->outcome == TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE && !client_rst)) {
            return TCPSHAKE_SCAN_NONE;
        }
        *open = true;
        return TCPSHAKE_SCAN_SYN;
    case TCPSHAKE_OUTCOME_ESTABLISHED: {
        bool client_closed = r->first_fin == TCPSHAKE_WHO_CLIENT || client_rst;
        if (!quiet_client || !client_closed || r->duration_ns > CONNECT_PROBE_MAX_NS) {
            return TCPSHAKE_SCAN_NONE;
        }
        *open = true;
        return TCPSHAKE_SCAN_CONNECT;
    }
    case TCPSHAKE_OUTCOME_REFUSED:
    case TCPSHAKE_OUTCOME_UNANSWERED:
    case TCPSHAKE_OUTCOME_ICMP_REJECTED:
        return crafted_syn(&r->client) ? TCPSHAKE_SCAN_SYN : TCPSHAKE_SCAN_CONNECT;
    case TCPSHAKE_OUTCOME_MIDSTREAM: {
        if (r->first_by == TCPSHAKE_WHO_NONE) {
            return TCPSHAKE_SCAN_NONE;
        }
        bool by_server = r->first_by == TCPSHAKE_WHO_SERVER;
        *scanner = by_server ? &r->server : &r->client;
        *target = by_server ? &r->client : &r->server;
        /* The target answers a closed port with a RST, an open one not at all. */
        if ((*scanner)->packets > 2 || (*target)->payload_bytes > 0) {
            return TCPSHAKE_SCAN_NONE;
        }
        return stealth_type(r->first_flags);
    }
    default:
        return TCPSHAKE_SCAN_NONE;
    }
}

/* ------------------------------------------------------------- scans */

static void scanner_key(uint8_t ip_version, const uint8_t *addr, struct keytab_key *k)
{
    memset(k, 0, sizeof(*k));
    k->b[0] = KEY_SCANNER;
    k->b[1] = ip_version;
    memcpy(k->b + 2, addr, alen(ip_version));
}

static uint64_t scanner_distinct_ports(const struct scanner *e)
{
    if (!e->many_ports) {
        return e->probes > 0 ? 1 : 0;
    }
    uint64_t n = (uint64_t)(hll_reg_estimate(e->ports, SCAN_HLL_P) + 0.5);
    return n < 2 ? 2 : n;
}

static uint64_t scanner_distinct_hosts(const struct scanner *e)
{
    if (!e->many_hosts) {
        return e->probes > 0 ? 1 : 0;
    }
    uint64_t n = (uint64_t)(hll_reg_estimate(e->hosts, SCAN_HLL_P) + 0.5);
    return n < 2 ? 2 : n;
}

static enum tcpshake_scan_type main_type(const struct scanner *e)
{
    enum tcpshake_scan_type best = TCPSHAKE_SCAN_NONE;
    for (unsigned t = 1; t < TCPSHAKE_SCAN_TYPE_COUNT; t++) {
        if (e->by_type[t] > e->by_type[best]) {
            best = (enum tcpshake_scan_type)t;
        }
    }
    return best;
}

/* Report the session if it was a scan; either way the entry is then free to reuse. */
static void scanner_report(struct scans *s, const struct scanner *e)
{
    uint64_t ports = scanner_distinct_ports(e), hosts = scanner_distinct_hosts(e);
    if (e->probes == 0 || (ports < s->scan_min && hosts < s->scan_min)) {
        return;
    }
    struct tcpshake_alert a;
    memset(&a, 0, sizeof(a));
    a.kind = TCPSHAKE_ALERT_PORT_SCAN;
    a.first_ns = e->first_ns;
    a.last_ns = e->last_ns;
    a.ip_version = e->ip_version;
    a.has_source = true;
    memcpy(a.source, e->addr, sizeof(a.source));
    a.count = e->probes;
    if (ports >= s->scan_min && hosts >= s->scan_min) {
        a.scan_shape = TCPSHAKE_SCAN_MIXED;
        a.distinct = ports;
    } else if (ports >= s->scan_min) {
        a.scan_shape = TCPSHAKE_SCAN_VERTICAL;
        a.distinct = ports;
    } else {
        a.scan_shape = TCPSHAKE_SCAN_HORIZONTAL;
        a.distinct = hosts;
    }
    if (!e->many_hosts) {
        a.has_target = true;
        memcpy(a.target, e->first_host, sizeof(a.target));
    }
    if (!e->many_ports) {
        a.target_port = e->first_port;
    }
    a.scan_type = main_type(e);
    a.n_open_ports = e->n_open;
    memcpy(a.open_ports, e->open, sizeof(a.open_ports));
    s->emit(s->detect, &a);
}

static void note_open(struct scanner *e, uint16_t port)
{
    uint32_t kept = e->n_open < SCAN_MAX_OPEN ? e->n_open : SCAN_MAX_OPEN;
    uint32_t i = 0;
    while (i < kept && e->open[i] < port) {
        i++;
    }
    if (i < kept && e->open[i] == port) {
        return;
    }
    e->n_open++; /* beyond the list, repeats of unlisted ports count again: an upper bound */
    if (kept == SCAN_MAX_OPEN && i == kept) {
        return;
    }
    uint32_t last = kept < SCAN_MAX_OPEN ? kept : SCAN_MAX_OPEN - 1;
    memmove(&e->open[i + 1], &e->open[i], (last - i) * sizeof(e->open[0]));
    e->open[i] = port;
}

static uint64_t scanner_weight(const void *ctx, size_t i)
{
    const struct scans *s = ctx;
    const struct scanner *e = &s->src[i];
    uint64_t age = e->last_ns / (s->window_ns > 0 ? s->window_ns : 1);
    return (age << 20) + (e->probes < 0xfffff ? e->probes : 0xfffff);
}

static struct scanner *scanner_entry(struct scans *s, const struct tcpshake_side *who,
                                     uint8_t ip_version)
{
    struct keytab_key k;
    scanner_key(ip_version, who->addr, &k);
    size_t i = keytab_find(&s->src_index, &k);
    if (i != KEYTAB_NONE) {
        return &s->src[i];
    }
    i = keytab_add(&s->src_index, &k);
    if (i == KEYTAB_NONE) {
        i = keytab_victim(&s->src_index, scanner_weight, s);
        scanner_report(s, &s->src[i]);
        s->src_evictions++;
        keytab_rekey(&s->src_index, i, &k);
    }
    struct scanner *e = &s->src[i];
    memset(e, 0, sizeof(*e));
    e->ip_version = ip_version;
    memcpy(e->addr, who->addr, sizeof(e->addr));
    return e;
}

static void session_restart(struct scanner *e)
{
    uint8_t ip_version = e->ip_version;
    uint8_t addr[16];
    memcpy(addr, e->addr, sizeof(addr));
    memset(e, 0, sizeof(*e));
    e->ip_version = ip_version;
    memcpy(e->addr, addr, sizeof(addr));
}

static void scan_add(struct scans *s, const struct tcpshake_record *r)
{
    bool open;
    const struct tcpshake_side *scanner, *target;
    enum tcpshake_scan_type t = scans_probe_type(r, &open, &scanner, &target);
    if (t == TCPSHAKE_SCAN_NONE) {
        return;
    }
    struct scanner *e = scanner_entry(s, scanner, r->ip_version);
    if (e->probes > 0 && r->first_ns > e->last_ns + s->window_ns) {
        scanner_report(s, e); /* the previous session ended long ago */
        session_restart(e);
    }
    if (e->probes == 0) {
        e->first_ns = e->last_ns = r->first_ns;
        memcpy(e->first_host, target->addr, sizeof(e->first_host));
        e->first_port = target->port;
    }
    e->first_ns = r->first_ns < e->first_ns ? r->first_ns : e->first_ns;
    e->last_ns = r->first_ns > e->last_ns ? r->first_ns : e->last_ns;
    e->probes++;
    e->by_type[t]++;
    e->many_hosts = e->many_hosts || memcmp(e->first_host, target->addr, 16) != 0;
    e->many_ports = e->many_ports || e->first_port != target->port;
    hll_reg_add(e->hosts, SCAN_HLL_P, hll_hash(target->addr, 16));
    hll_reg_add(e->ports, SCAN_HLL_P, hll_hash(&target->port, sizeof(target->port)));
    if (open) {
        note_open(e, target->port);
    }
}

/* ---------------------------------------------------- repeated failures */

static bool is_failure(enum tcpshake_outcome o)
{
    return o == TCPSHAKE_OUTCOME_REFUSED || o == TCPSHAKE_OUTCOME_UNANSWERED ||
           o == TCPSHAKE_OUTCOME_ICMP_REJECTED || o == TCPSHAKE_OUTCOME_HALF_OPEN ||
           o == TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE;
}

static void pair_report(struct scans *s, const struct pair *p)
{
    if (p->failures < s->fail_min || p->failures == 0) {
        return;
    }
    if (s->flooded(s->detect, p->ip_version, p->server, p->port)) {
        s->suppressed_by_flood++;
        return;
    }
    struct tcpshake_alert a;
    memset(&a, 0, sizeof(a));
    a.kind = TCPSHAKE_ALERT_REPEATED_FAILURES;
    a.first_ns = p->first_ns;
    a.last_ns = p->last_ns;
    a.ip_version = p->ip_version;
    a.has_source = a.has_target = true;
    memcpy(a.source, p->client, sizeof(a.source));
    memcpy(a.target, p->server, sizeof(a.target));
    a.target_port = p->port;
    a.count = p->failures;
    s->emit(s->detect, &a);
}

static uint64_t pair_weight(const void *ctx, size_t i)
{
    const struct scans *s = ctx;
    const struct pair *p = &s->pairs[i];
    uint64_t age = p->last_ns / (s->window_ns > 0 ? s->window_ns : 1);
    return (age << 20) + (p->failures < 0xfffff ? p->failures : 0xfffff);
}

static void pair_add(struct scans *s, const struct tcpshake_record *r)
{
    if (!is_failure(r->outcome)) {
        return;
    }
    struct keytab_key k;
    memset(&k, 0, sizeof(k));
    k.b[0] = KEY_PAIR;
    k.b[1] = r->ip_version;
    memcpy(k.b + 2, r->client.addr, 16);
    memcpy(k.b + 18, r->server.addr, 16);
    k.b[34] = (uint8_t)(r->server.port >> 8);
    k.b[35] = (uint8_t)(r->server.port & 0xffu);
    size_t i = keytab_find(&s->pair_index, &k);
    if (i == KEYTAB_NONE) {
        i = keytab_add(&s->pair_index, &k);
        if (i == KEYTAB_NONE) {
            i = keytab_victim(&s->pair_index, pair_weight, s);
            pair_report(s, &s->pairs[i]);
            s->pair_evictions++;
            keytab_rekey(&s->pair_index, i, &k);
        }
        memset(&s->pairs[i], 0, sizeof(s->pairs[i]));
    }
    struct pair *p = &s->pairs[i];
    if (p->failures > 0 && r->first_ns > p->last_ns + s->window_ns) {
        pair_report(s, p);
        p->failures = 0;
    }
    if (p->failures == 0) {
        p->ip_version = r->ip_version;
        memcpy(p->client, r->client.addr, 16);
        memcpy(p->server, r->server.addr, 16);
        p->port = r->server.port;
        p->first_ns = p->last_ns = r->first_ns;
    }
    p->first_ns = r->first_ns < p->first_ns ? r->first_ns : p->first_ns;
    p->last_ns = r->first_ns > p->last_ns ? r->first_ns : p->last_ns;
    p->failures++;
}

/* ---------------------------------------------------------------- API */

void scans_add(struct scans *s, const struct tcpshake_record *r)
{
    scan_add(s, r);
    pair_add(s, r);
}

void scans_sweep(struct scans *s, uint64_t now_ns, bool final)
{
    for (size_t i = 0; i < s->src_index.n; i++) {
        struct scanner *e = &s->src[i];
        if (e->probes > 0 && (final || e->last_ns + s->window_ns < now_ns)) {
            scanner_report(s, e);
            session_restart(e);
        }
    }
    for (size_t i = 0; i < s->pair_index.n; i++) {
        struct pair *p = &s->pairs[i];
        if (p->failures > 0 && (final || p->last_ns + s->window_ns < now_ns)) {
            pair_report(s, p);
            p->failures = 0;
        }
    }
}
