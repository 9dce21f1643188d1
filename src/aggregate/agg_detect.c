/*
 * agg_detect.c - attack and anomaly detectors over connection records.
 *
 * Owns the SYN flood, SYN cookie and backscatter rules, the per-record alerts
 * (injected RST by TTL, RST out of window, SYN-ACK with the wrong ACK), the
 * alert list kept for the summary, and writing alerts as JSON lines (the
 * members are the field lists of alert_fields.h) and in words. Scans and
 * repeated failures live in agg_scan.c. The man page (DETECTION) is the
 * user's statement of every rule below; keep them in step.
 *
 * Rate rules use a sliding window of DETECT_BUCKETS buckets (default 6 x 10 s)
 * per target, by each record's first_ns. Records arrive when connections end,
 * which for a failed handshake is up to the handshake timeout later: a record
 * older than the target's window is counted in the window's oldest bucket
 * rather than dropped, so a flood decided late still counts.
 *
 * SYN flood: per destination host and per host:port, failed = half_open +
 * unanswered, completed = established, fast_open, simultaneous_open. Alert
 * when failed >= flood_min and failed >= flood_ratio * completed in the
 * window; distinct sources come from a HyperLogLog sketch per bucket (2^10
 * registers, 3.25 % standard error), merged over the window. One alert per
 * target per window; a host alert is left out when one of its services
 * alerted in the same window.
 *
 * SYN cookies (per host:port; evidence in the man page):
 *   no_retransmit    a half-open handshake whose SYN-ACK was never
 *                    retransmitted although the capture went on for 5 s after
 *                    it: a stateful stack retransmits after 1 s (Linux) to 3 s,
 *                    a cookie SYN-ACK keeps no state to retransmit from;
 *   options_dropped  a SYN-ACK granting none of SACK-permitted, window scale and
 *                    timestamps although the SYN offered some, from a server
 *                    that grants them in other handshakes (Linux cookies
 *                    without timestamps cannot carry them).
 * Reported once per service when either count reaches cookie_min.
 *
 * Backscatter: answers to SYNs nobody here sent: records whose first segment
 * is a SYN-ACK (no_syn) or a RST (midstream) and whose receiver sent nothing
 * but RSTs. Counted per receiving host with distinct senders; alert at
 * backscatter_min segments from backscatter_sources distinct sources.
 */
#include "agg_detect.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alert_fields.h"
#include "alloc.h"
#include "config.h"
#include "encode_json.h"
#include "hll.h"
#include "outcome.h"
#include "sink.h"
#include "text.h"

#define DETECT_BUCKETS  6
#define SVC_ENTRIES     1024 /* flood / backscatter targets tracked at once */
#define KEEP_ALERTS     64   /* alerts kept for the summary */
#define COOKIE_QUIET_NS (UINT64_C(5) * 1000000000)
#define NO_EPOCH        UINT64_MAX

enum { KEY_FLOOD_HOST = 10, KEY_FLOOD_SVC = 11, KEY_BACKSCATTER = 12 };

/* A flood or backscatter target: a sliding window of buckets. */
struct target {
    uint8_t kind; /* KEY_* */
    uint8_t ip_version;
    uint8_t addr[16];
    uint16_t port;
    uint64_t epoch[DETECT_BUCKETS];     /* bucket number held by each slot; NO_EPOCH = none */
    uint32_t failed[DETECT_BUCKETS];    /* flood: failed handshakes; backscatter: segments */
    uint32_t completed[DETECT_BUCKETS]; /* flood: completed handshakes */
    struct hll sources[DETECT_BUCKETS];
    uint64_t newest;   /* latest bucket number seen */
    uint64_t first_ns; /* evidence span, since the last alert */
    uint64_t last_ns;
    uint64_t alert_epoch; /* bucket of the last alert; NO_EPOCH = none yet */
    uint64_t child_alert; /* host entries: bucket of a service alert on this host */
    bool flood_alerted;   /* a flood alert was raised for it, ever */
    /* SYN cookie evidence (service entries). */
    uint64_t lone;            /* half-open, SYN-ACK never retransmitted, confirmed */
    uint64_t lone_pending;    /* the same, waiting for 5 s more of capture */
    uint64_t lone_pending_ns; /* latest SYN-ACK among the pending */
    uint64_t opts_dropped;
    uint64_t opts_granted;
    uint64_t cookie_first_ns; /* span of the SYN-ACKs counted as evidence */
    uint64_t cookie_last_ns;
    bool cookie_alerted;
};

struct tcpshake_detect {
    struct tcpshake_detect_config cfg;
    uint64_t bucket_ns;
    tcpshake_alert_fn on_alert;
    void *user;
    struct keytab index;
    struct target *targets;
    struct scans scans;
    uint64_t clock_ns; /* latest last_ns of any record */
    uint64_t swept_ns; /* when scan sessions were last swept */
    uint64_t target_evictions;
    uint64_t by_kind[TCPSHAKE_ALERT_COUNT];
    uint64_t suppressed[TCPSHAKE_ALERT_COUNT]; /* per-record kinds over the cap */
    size_t n_kept;
    struct tcpshake_alert kept[KEEP_ALERTS];
};

static const char *const kind_names[TCPSHAKE_ALERT_COUNT] = {
    [TCPSHAKE_ALERT_SYN_FLOOD] = "syn_flood",
    [TCPSHAKE_ALERT_SYN_COOKIES] = "syn_cookies",
    [TCPSHAKE_ALERT_BACKSCATTER] = "backscatter",
    [TCPSHAKE_ALERT_PORT_SCAN] = "port_scan",
    [TCPSHAKE_ALERT_RST_TTL] = "rst_ttl",
    [TCPSHAKE_ALERT_RST_OUT_OF_WINDOW] = "rst_out_of_window",
    [TCPSHAKE_ALERT_SYNACK_BAD_ACK] = "synack_bad_ack",
    [TCPSHAKE_ALERT_REPEATED_FAILURES] = "repeated_failures",
};

static const char *const type_names[TCPSHAKE_SCAN_TYPE_COUNT] = {
    "none", "syn", "connect", "fin", "null", "xmas",
};

static const char *const shape_names[TCPSHAKE_SCAN_SHAPE_COUNT] = {
    "vertical",
    "horizontal",
    "mixed",
};

const char *tcpshake_alert_kind_name(enum tcpshake_alert_kind k)
{
    return (unsigned)k < TCPSHAKE_ALERT_COUNT ? kind_names[k] : "?";
}

const char *tcpshake_scan_type_name(enum tcpshake_scan_type t)
{
    return (unsigned)t < TCPSHAKE_SCAN_TYPE_COUNT ? type_names[t] : "?";
}

const char *tcpshake_scan_shape_name(enum tcpshake_scan_shape s)
{
    return (unsigned)s < TCPSHAKE_SCAN_SHAPE_COUNT ? shape_names[s] : "?";
}

static struct tcpshake_detect_config detect_defaults(void)
{
    struct tcpshake_detect_config d;
    memset(&d, 0, sizeof(d));
    d.size = sizeof(d);
    d.window_ns = UINT64_C(60) * 1000000000;
    d.flood_min = 200;
    d.flood_ratio = 1.0;
    d.backscatter_min = 100;
    d.backscatter_sources = 10;
    d.scan_min = 20;
    d.fail_min = 10;
    d.cookie_min = 8;
    d.ttl_delta = 2;
    d.max_record_alerts = 100;
    return d;
}

void tcpshake_detect_config_init(struct tcpshake_detect_config *cfg, size_t size)
{
    const struct tcpshake_detect_config d = detect_defaults();
    options_init(cfg, size, &d, sizeof(d));
}

/* ------------------------------------------------------------- alerts */

static void emit(void *ctx, struct tcpshake_alert *a)
{
    struct tcpshake_detect *d = ctx;
    d->by_kind[a->kind]++;
    if (d->n_kept < KEEP_ALERTS) {
        d->kept[d->n_kept++] = *a;
    }
    if (d->on_alert != NULL) {
        d->on_alert(a, d->user);
    }
}

/* Per-record kinds: at most max_record_alerts of each, the rest counted. */
static void emit_capped(struct tcpshake_detect *d, struct tcpshake_alert *a)
{
    if (d->by_kind[a->kind] >= d->cfg.max_record_alerts) {
        d->suppressed[a->kind]++;
        return;
    }
    emit(d, a);
}

static size_t alen(uint8_t ip_version)
{
    return ip_version == 6 ? 16 : 4;
}

static void alert_init(struct tcpshake_alert *a, enum tcpshake_alert_kind kind,
                       const struct tcpshake_record *r)
{
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->ip_version = r->ip_version;
    a->first_ns = a->last_ns = r->first_ns;
    a->record_id = r->id;
}

static void set_ends(struct tcpshake_alert *a, const struct tcpshake_side *src,
                     const struct tcpshake_side *dst)
{
    a->has_source = a->has_target = true;
    memcpy(a->source, src->addr, sizeof(a->source));
    memcpy(a->target, dst->addr, sizeof(a->target));
    a->target_port = dst->port;
}

static void check_rst_ttl(struct tcpshake_detect *d, const struct tcpshake_record *r,
                          const struct tcpshake_side *s, const struct tcpshake_side *peer)
{
    /* Only in established connections: a raw-socket scanner's SYN has a TTL of its own
     * (nmap picks one at random) and its kernel's RST another, which is no injection. */
    bool established =
            r->outcome == TCPSHAKE_OUTCOME_ESTABLISHED || r->outcome == TCPSHAKE_OUTCOME_FAST_OPEN;
    if (!established || s->rst_ns == 0 || !s->syn_seen || s->ttl == 0 || s->rst_ttl == 0) {
        return;
    }
    unsigned diff = s->rst_ttl > s->ttl ? s->rst_ttl - s->ttl : s->ttl - s->rst_ttl;
    if (diff <= d->cfg.ttl_delta) {
        return;
    }
    struct tcpshake_alert a;
    alert_init(&a, TCPSHAKE_ALERT_RST_TTL, r);
    set_ends(&a, s, peer);
    a.count = 1;
    a.ttl_usual = s->ttl;
    a.ttl_seen = s->rst_ttl;
    emit_capped(d, &a);
}

static void per_record_alerts(struct tcpshake_detect *d, const struct tcpshake_record *r)
{
    check_rst_ttl(d, r, &r->client, &r->server);
    check_rst_ttl(d, r, &r->server, &r->client);
    struct tcpshake_alert a;
    if (r->anomalies & TCPSHAKE_ANOMALY_RST_OUT_OF_WINDOW) {
        alert_init(&a, TCPSHAKE_ALERT_RST_OUT_OF_WINDOW, r);
        bool by_client = r->client.rst_ns != 0 && !r->client.rst_in_window;
        set_ends(&a, by_client ? &r->client : &r->server, by_client ? &r->server : &r->client);
        a.count = 1;
        emit_capped(d, &a);
    }
    if (r->anomalies & TCPSHAKE_ANOMALY_BAD_SYNACK_ACK) {
        alert_init(&a, TCPSHAKE_ALERT_SYNACK_BAD_ACK, r);
        set_ends(&a, &r->server, &r->client);
        a.count = 1;
        emit_capped(d, &a);
    }
}

/* ------------------------------------------------------------ targets */

static uint64_t target_weight(const void *ctx, size_t i)
{
    const struct tcpshake_detect *d = ctx;
    const struct target *t = &d->targets[i];
    uint64_t sum = 0;
    for (size_t b = 0; b < DETECT_BUCKETS; b++) {
        sum += (uint64_t)t->failed[b] + t->completed[b];
    }
    return (t->newest << 20) + (sum < 0xfffff ? sum : 0xfffff);
}

static void target_key(uint8_t kind, uint8_t ip_version, const uint8_t *addr, uint16_t port,
                       struct keytab_key *k)
{
    memset(k, 0, sizeof(*k));
    k->b[0] = kind;
    k->b[1] = ip_version;
    memcpy(k->b + 2, addr, alen(ip_version));
    k->b[18] = (uint8_t)(port >> 8);
    k->b[19] = (uint8_t)(port & 0xffu);
}

static struct target *find_target(const struct tcpshake_detect *d, uint8_t kind, uint8_t ip_version,
                                  const uint8_t *addr, uint16_t port)
{
    struct keytab_key k;
    target_key(kind, ip_version, addr, port, &k);
    size_t i = keytab_find(&d->index, &k);
    return i == KEYTAB_NONE ? NULL : &d->targets[i];
}

static struct target *target_entry(struct tcpshake_detect *d, uint8_t kind, uint8_t ip_version,
                                   const uint8_t *addr, uint16_t port)
{
    struct keytab_key k;
    target_key(kind, ip_version, addr, port, &k);
    size_t i = keytab_find(&d->index, &k);
    if (i != KEYTAB_NONE) {
        return &d->targets[i];
    }
    i = keytab_add(&d->index, &k);
    if (i == KEYTAB_NONE) {
        i = keytab_victim(&d->index, target_weight, d);
        d->target_evictions++;
        keytab_rekey(&d->index, i, &k);
    }
    struct target *t = &d->targets[i];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->ip_version = ip_version;
    memcpy(t->addr, addr, alen(ip_version));
    t->port = port;
    for (size_t b = 0; b < DETECT_BUCKETS; b++) {
        t->epoch[b] = NO_EPOCH;
    }
    t->alert_epoch = t->child_alert = NO_EPOCH;
    return t;
}

/* The slot for bucket e; a bucket older than the window goes to its oldest bucket. */
static size_t slot_for(struct target *t, uint64_t e)
{
    if (e > t->newest) {
        t->newest = e;
    } else if (e + DETECT_BUCKETS <= t->newest) {
        e = t->newest - (DETECT_BUCKETS - 1);
    }
    size_t slot = (size_t)(e % DETECT_BUCKETS);
    if (t->epoch[slot] != e) {
        t->epoch[slot] = e;
        t->failed[slot] = t->completed[slot] = 0;
        hll_init(&t->sources[slot]);
    }
    return slot;
}

static bool live_slot(const struct target *t, size_t b)
{
    return t->epoch[b] != NO_EPOCH && t->epoch[b] + DETECT_BUCKETS > t->newest;
}

static void window_sums(const struct target *t, uint64_t *failed, uint64_t *completed,
                        struct hll *sources)
{
    *failed = *completed = 0;
    hll_init(sources);
    for (size_t b = 0; b < DETECT_BUCKETS; b++) {
        if (live_slot(t, b)) {
            *failed += t->failed[b];
            *completed += t->completed[b];
            hll_merge(sources, &t->sources[b]);
        }
    }
}

static bool alerted_recently(uint64_t alert_epoch, uint64_t now)
{
    return alert_epoch != NO_EPOCH && now < alert_epoch + DETECT_BUCKETS;
}

static unsigned cookie_evidence(const struct tcpshake_detect *d, const struct target *t)
{
    unsigned ev = 0;
    if (t->lone >= d->cfg.cookie_min) {
        ev |= TCPSHAKE_COOKIE_NO_RETRANSMIT;
    }
    if (t->opts_dropped >= d->cfg.cookie_min && t->opts_granted > 0) {
        ev |= TCPSHAKE_COOKIE_OPTIONS_DROPPED;
    }
    return ev;
}

static void target_alert(struct tcpshake_detect *d, struct target *t, enum tcpshake_alert_kind kind,
                         uint64_t failed, uint64_t completed, const struct hll *sources)
{
    struct tcpshake_alert a;
    memset(&a, 0, sizeof(a));
    a.kind = kind;
    a.first_ns = t->first_ns;
    a.last_ns = t->last_ns;
    a.ip_version = t->ip_version;
    a.has_target = true;
    memcpy(a.target, t->addr, sizeof(a.target));
    a.target_port = t->port;
    a.count = failed;
    a.completed = completed;
    a.distinct = (uint64_t)(hll_estimate(sources) + 0.5);
    a.evidence = kind == TCPSHAKE_ALERT_SYN_FLOOD ? cookie_evidence(d, t) : 0;
    t->alert_epoch = t->newest;
    t->first_ns = t->last_ns = 0;
    emit(d, &a);
}

/* Count one record into a target's window; alert when the rule holds. */
static void target_count(struct tcpshake_detect *d, struct target *t,
                         const struct tcpshake_record *r, bool failed,
                         const struct tcpshake_side *source)
{
    size_t slot = slot_for(t, r->first_ns / d->bucket_ns);
    if (failed) {
        t->failed[slot] += t->failed[slot] < UINT32_MAX;
        hll_add(&t->sources[slot], hll_hash(source->addr, sizeof(source->addr)));
        t->first_ns = t->first_ns == 0 || r->first_ns < t->first_ns ? r->first_ns : t->first_ns;
        t->last_ns = r->first_ns > t->last_ns ? r->first_ns : t->last_ns;
    } else {
        t->completed[slot] += t->completed[slot] < UINT32_MAX;
    }
}

static bool flood_rule(const struct tcpshake_detect *d, uint64_t failed, uint64_t completed)
{
    return failed >= d->cfg.flood_min && (double)failed >= d->cfg.flood_ratio * (double)completed;
}

static void check_flood(struct tcpshake_detect *d, struct target *t, struct target *host)
{
    if (alerted_recently(t->alert_epoch, t->newest)) {
        return;
    }
    if (host == NULL && alerted_recently(t->child_alert, t->newest)) {
        return; /* a host whose service already alerted in this window */
    }
    uint64_t failed, completed;
    struct hll sources;
    window_sums(t, &failed, &completed, &sources);
    if (!flood_rule(d, failed, completed)) {
        return;
    }
    t->flood_alerted = true;
    if (host != NULL) {
        host->child_alert = host->newest;
    }
    target_alert(d, t, TCPSHAKE_ALERT_SYN_FLOOD, failed, completed, &sources);
}

/* ------------------------------------------------------------- cookies */

static void cookie_alert(struct tcpshake_detect *d, struct target *t)
{
    unsigned ev = cookie_evidence(d, t);
    if (t->cookie_alerted || ev == 0) {
        return;
    }
    t->cookie_alerted = true;
    struct tcpshake_alert a;
    memset(&a, 0, sizeof(a));
    a.kind = TCPSHAKE_ALERT_SYN_COOKIES;
    a.first_ns = t->cookie_first_ns;
    a.last_ns = t->cookie_last_ns;
    a.ip_version = t->ip_version;
    a.has_target = true;
    memcpy(a.target, t->addr, sizeof(a.target));
    a.target_port = t->port;
    a.count = t->lone > t->opts_dropped ? t->lone : t->opts_dropped;
    a.evidence = ev;
    emit(d, &a);
}

static void confirm_pending(const struct tcpshake_detect *d, struct target *t, uint64_t now_ns)
{
    (void)d;
    if (t->lone_pending > 0 && now_ns >= t->lone_pending_ns + COOKIE_QUIET_NS) {
        t->lone += t->lone_pending;
        t->lone_pending = 0;
    }
}

static void cookie_span(struct target *t, uint64_t ns)
{
    if (t->cookie_first_ns == 0 || ns < t->cookie_first_ns) {
        t->cookie_first_ns = ns;
    }
    if (ns > t->cookie_last_ns) {
        t->cookie_last_ns = ns;
    }
}

static void cookie_count(struct tcpshake_detect *d, struct target *t,
                         const struct tcpshake_record *r)
{
    const struct tcpshake_side *c = &r->client, *s = &r->server;
    if (r->outcome == TCPSHAKE_OUTCOME_HALF_OPEN && r->n_synack == 1 && r->synack_ns != 0) {
        cookie_span(t, r->first_ns);
        if (d->clock_ns >= r->synack_ns + COOKIE_QUIET_NS) {
            t->lone++;
        } else {
            t->lone_pending++;
            if (r->synack_ns > t->lone_pending_ns) {
                t->lone_pending_ns = r->synack_ns;
            }
        }
    }
    confirm_pending(d, t, d->clock_ns);
    if (c->syn_seen && s->syn_seen) {
        bool offered = c->sack_permitted || c->wscale >= 0 || c->timestamps;
        bool granted_any = (c->sack_permitted && s->sack_permitted) ||
                           (c->wscale >= 0 && s->wscale >= 0) || (c->timestamps && s->timestamps);
        bool granted_all = (!c->sack_permitted || s->sack_permitted) &&
                           (c->wscale < 0 || s->wscale >= 0) && (!c->timestamps || s->timestamps);
        if (offered && !granted_any) {
            cookie_span(t, r->first_ns);
        }
        t->opts_dropped += offered && !granted_any;
        t->opts_granted += offered && granted_all;
    }
    cookie_alert(d, t);
}

/* -------------------------------------------------------------- floods */

static void flood_add(struct tcpshake_detect *d, const struct tcpshake_record *r)
{
    bool failed =
            r->outcome == TCPSHAKE_OUTCOME_HALF_OPEN || r->outcome == TCPSHAKE_OUTCOME_UNANSWERED;
    if (!failed && !outcome_established(r->outcome)) {
        return;
    }
    struct target *svc =
            target_entry(d, KEY_FLOOD_SVC, r->ip_version, r->server.addr, r->server.port);
    target_count(d, svc, r, failed, &r->client);
    cookie_count(d, svc, r);
    struct target *host = target_entry(d, KEY_FLOOD_HOST, r->ip_version, r->server.addr, 0);
    /* target_entry may have evicted svc to make room for host: look it up again. */
    svc = find_target(d, KEY_FLOOD_SVC, r->ip_version, r->server.addr, r->server.port);
    target_count(d, host, r, failed, &r->client);
    if (svc != NULL) {
        check_flood(d, svc, host);
    }
    check_flood(d, host, NULL);
}

/* SYN-ACKs or RSTs answering nothing we saw, to a receiver that sent nothing but RSTs. */
static bool backscatter(const struct tcpshake_record *r, const struct tcpshake_side **sender,
                        const struct tcpshake_side **receiver)
{
    if (r->outcome == TCPSHAKE_OUTCOME_NO_SYN && !r->client.syn_seen) {
        *sender = &r->server;
        *receiver = &r->client;
    } else if (r->outcome == TCPSHAKE_OUTCOME_MIDSTREAM && (r->first_flags & 0x04u) &&
               !(r->first_flags & 0x02u) && r->first_by != TCPSHAKE_WHO_NONE) {
        bool by_server = r->first_by == TCPSHAKE_WHO_SERVER;
        *sender = by_server ? &r->server : &r->client;
        *receiver = by_server ? &r->client : &r->server;
    } else {
        return false;
    }
    const struct tcpshake_side *rx = *receiver;
    return rx->payload_bytes == 0 && rx->fin_ns == 0 && (rx->packets == 0 || rx->rst_ns != 0);
}

static void backscatter_add(struct tcpshake_detect *d, const struct tcpshake_record *r)
{
    const struct tcpshake_side *sender, *receiver;
    if (!backscatter(r, &sender, &receiver)) {
        return;
    }
    struct target *t = target_entry(d, KEY_BACKSCATTER, r->ip_version, receiver->addr, 0);
    target_count(d, t, r, true, sender);
    if (alerted_recently(t->alert_epoch, t->newest)) {
        return;
    }
    uint64_t count, unused;
    struct hll sources;
    window_sums(t, &count, &unused, &sources);
    if (count >= d->cfg.backscatter_min &&
        hll_estimate(&sources) >= (double)d->cfg.backscatter_sources) {
        target_alert(d, t, TCPSHAKE_ALERT_BACKSCATTER, count, 0, &sources);
    }
}

static bool flooded(const void *ctx, uint8_t ip_version, const uint8_t *addr, uint16_t port)
{
    const struct target *t = find_target(ctx, KEY_FLOOD_SVC, ip_version, addr, port);
    return t != NULL && t->flood_alerted;
}

/* ---------------------------------------------------------------- API */

struct tcpshake_detect *tcpshake_detect_new(const struct tcpshake_detect_config *cfg,
                                            tcpshake_alert_fn on_alert, void *user)
{
    const struct tcpshake_detect_config defaults = detect_defaults();
    struct tcpshake_detect_config c;
    if (!options_read(&c, cfg, &defaults, sizeof(c))) {
        return NULL;
    }
    struct tcpshake_detect *d = ts_calloc(1, sizeof(*d));
    if (d == NULL) {
        return NULL;
    }
    d->cfg = c;
    if (d->cfg.window_ns < DETECT_BUCKETS) {
        d->cfg.window_ns = DETECT_BUCKETS;
    }
    d->bucket_ns = d->cfg.window_ns / DETECT_BUCKETS;
    d->on_alert = on_alert;
    d->user = user;
    d->targets = ts_calloc(SVC_ENTRIES, sizeof(*d->targets));
    if (d->targets == NULL || keytab_init(&d->index, SVC_ENTRIES) != TCPSHAKE_OK ||
        scans_init(&d->scans, &d->cfg, d, emit, flooded) != TCPSHAKE_OK) {
        tcpshake_detect_free(d);
        return NULL;
    }
    return d;
}

void tcpshake_detect_add(struct tcpshake_detect *d, const struct tcpshake_record *r)
{
    if (d == NULL || r == NULL) {
        return;
    }
    if (r->last_ns > d->clock_ns) {
        d->clock_ns = r->last_ns;
    }
    per_record_alerts(d, r);
    flood_add(d, r);
    backscatter_add(d, r);
    scans_add(&d->scans, r);
    if (d->clock_ns >= d->swept_ns + d->bucket_ns) {
        d->swept_ns = d->clock_ns;
        scans_sweep(&d->scans, d->clock_ns, false);
    }
}

void tcpshake_detect_finish(struct tcpshake_detect *d, uint64_t end_ns)
{
    if (d == NULL) {
        return;
    }
    uint64_t now = end_ns > d->clock_ns ? end_ns : d->clock_ns;
    for (size_t i = 0; i < d->index.n; i++) {
        struct target *t = &d->targets[i];
        if (t->kind == KEY_FLOOD_SVC) {
            confirm_pending(d, t, now);
            cookie_alert(d, t);
        }
    }
    scans_sweep(&d->scans, now, true);
}

void tcpshake_detect_free(struct tcpshake_detect *d)
{
    if (d == NULL) {
        return;
    }
    scans_release(&d->scans);
    keytab_release(&d->index);
    ts_free(d->targets);
    ts_free(d);
}

/* --------------------------------------------------------------- output */

#define ALERT_CASE(kind, fields)                                                                   \
    case kind:                                                                                     \
        fields(JSON_FIELD) break;

enum tcpshake_status tcpshake_alert_write_json(const struct tcpshake_alert *a, FILE *out)
{
    if (a == NULL || out == NULL) {
        return TCPSHAKE_ERR_ARG;
    }
    struct text_buf text;
    struct text_cursor line = text_start(&text);
    struct text_cursor *b = &line;
    ALERT_FIELDS(JSON_FIELD)
    switch (a->kind) {
        ALERT_KINDS(ALERT_CASE)
    default:
        ALERT_RECORD_FIELDS(JSON_FIELD)
        break;
    }
    json_close(b, line.start);
    text_char(b, '\n');
    if (line.overflow) {
        return TCPSHAKE_ERR_WRITE; /* cannot happen with SINK_TEXT_CAP */
    }
    fwrite(line.start, 1, (size_t)(line.p - line.start), out);
    return ferror(out) ? TCPSHAKE_ERR_WRITE : TCPSHAKE_OK;
}

static void print_alert_line(const struct tcpshake_alert *a, FILE *out)
{
    char src[SINK_ADDR_LEN] = "-", dst[SINK_ADDR_LEN] = "-";
    if (a->has_source) {
        sink_ip(a->source, a->ip_version, src);
    }
    if (a->has_target) {
        sink_ip(a->target, a->ip_version, dst);
    }
    fprintf(out, "  %-18s", tcpshake_alert_kind_name(a->kind));
    switch (a->kind) {
    case TCPSHAKE_ALERT_SYN_FLOOD:
        fprintf(out,
                " %s port %u: %" PRIu64 " failed, %" PRIu64 " completed, ~%" PRIu64 " sources%s\n",
                dst, (unsigned)a->target_port, a->count, a->completed, a->distinct,
                a->evidence ? ", SYN cookies seen" : "");
        break;
    case TCPSHAKE_ALERT_SYN_COOKIES:
        fprintf(out, " %s port %u answers with SYN cookies (%" PRIu64 " SYN-ACKs%s%s)\n", dst,
                (unsigned)a->target_port, a->count,
                a->evidence & TCPSHAKE_COOKIE_NO_RETRANSMIT ? ", never retransmitted" : "",
                a->evidence & TCPSHAKE_COOKIE_OPTIONS_DROPPED ? ", options dropped" : "");
        break;
    case TCPSHAKE_ALERT_BACKSCATTER:
        fprintf(out, " to %s: %" PRIu64 " unsolicited SYN-ACKs/RSTs from ~%" PRIu64 " sources\n",
                dst, a->count, a->distinct);
        break;
    case TCPSHAKE_ALERT_PORT_SCAN:
        fprintf(out, " %s: %s %s scan of %s", src, tcpshake_scan_shape_name(a->scan_shape),
                tcpshake_scan_type_name(a->scan_type), a->has_target ? dst : "many hosts");
        fprintf(out, ", %" PRIu64 " probes, ~%" PRIu64 " %s, %" PRIu32 " open\n", a->count,
                a->distinct, a->scan_shape == TCPSHAKE_SCAN_HORIZONTAL ? "hosts" : "ports",
                a->n_open_ports);
        break;
    case TCPSHAKE_ALERT_REPEATED_FAILURES:
        fprintf(out, " %s -> %s port %u: %" PRIu64 " failed handshakes\n", src, dst,
                (unsigned)a->target_port, a->count);
        break;
    case TCPSHAKE_ALERT_RST_TTL:
        fprintf(out, " connection %" PRIu64 ": RST from %s with TTL %u, usually %u\n", a->record_id,
                src, (unsigned)a->ttl_seen, (unsigned)a->ttl_usual);
        break;
    default:
        fprintf(out, " connection %" PRIu64 ": from %s to %s\n", a->record_id, src, dst);
        break;
    }
}

enum tcpshake_status tcpshake_detect_print(const struct tcpshake_detect *d, FILE *out)
{
    if (d == NULL || out == NULL) {
        return TCPSHAKE_ERR_ARG;
    }
    uint64_t total = 0;
    for (unsigned k = 0; k < TCPSHAKE_ALERT_COUNT; k++) {
        total += d->by_kind[k];
    }
    fprintf(out, "alerts: %" PRIu64 "\n", total);
    for (unsigned k = 0; k < TCPSHAKE_ALERT_COUNT; k++) {
        if (d->by_kind[k] > 0 || d->suppressed[k] > 0) {
            fprintf(out, "  %-18s %8" PRIu64, kind_names[k], d->by_kind[k]);
            if (d->suppressed[k] > 0) {
                fprintf(out, " (%" PRIu64 " more not reported)", d->suppressed[k]);
            }
            fputc('\n', out);
        }
    }
    for (size_t i = 0; i < d->n_kept; i++) {
        print_alert_line(&d->kept[i], out);
    }
    if (total > d->n_kept) {
        fprintf(out, "  (%" PRIu64 " more alerts; all are on standard error)\n", total - d->n_kept);
    }
    fprintf(out,
            "  detector evictions: %" PRIu64 " targets, %" PRIu64 " scan sources, %" PRIu64
            " client-service pairs; %" PRIu64 " repeated failures folded into floods\n",
            d->target_evictions, d->scans.src_evictions, d->scans.pair_evictions,
            d->scans.suppressed_by_flood);
    return ferror(out) ? TCPSHAKE_ERR_WRITE : TCPSHAKE_OK;
}
