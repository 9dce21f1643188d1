/*
 * tcpshake.c - the engine: source -> decoder -> flow table -> tracker ->
 * record callback, plus idle expiry and eviction, handshake-decided events,
 * periodic interval callbacks, and the choice of packets to save (-w).
 *
 * Everything the handle needs is allocated in tcpshake_new; the per-packet
 * path allocates nothing. Time for expiry is the latest capture timestamp
 * seen, so a trace is analysed the same way however fast it is read, and a
 * timestamp that goes backwards never un-expires anything. On a live source
 * the wall clock moves time on too (tcpshake_tick) while the link is idle.
 */
#include "tcpshake.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "decode.h"
#include "flowtab.h"
#include "source.h"
#include "tracker.h"

#define NS_PER_S 1000000000ull

struct tcpshake {
    struct tcpshake_config cfg;
    char *bpf; /* our copy of cfg.bpf */
    tcpshake_record_fn on_record;
    void *user;
    struct flowtab *ft;
    struct conn **flush_order; /* max_flows pointers, used by tcpshake_flush */
    struct source *src;
    struct tcpshake_stats stats;
    struct tcpshake_record scratch;
    uint64_t next_id;
    uint64_t now_ns; /* latest timestamp seen */
    volatile sig_atomic_t stop;
    tcpshake_event_fn on_event; /* handshake-decided events, or NULL */
    void *event_user;
    tcpshake_interval_fn on_interval; /* periodic callback, or NULL */
    void *interval_user;
    uint64_t interval_ns;       /* 0 = no interval callback */
    uint64_t interval_start_ns; /* start of the current interval; 0 before the first packet */
    bool dumping;               /* the source writes a trace (tcpshake_dump_open) */
    unsigned dump_flags;        /* TCPSHAKE_DUMP_* */
    char errmsg[512];
};

void tcpshake_config_default(struct tcpshake_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_flows = 262144;
    cfg->handshake_timeout_ns = 60 * NS_PER_S;
    cfg->idle_timeout_ns = 300 * NS_PER_S;
    cfg->close_linger_ns = 5 * NS_PER_S;
}

struct tcpshake *tcpshake_new(const struct tcpshake_config *cfg, tcpshake_record_fn on_record,
                              void *user)
{
    struct tcpshake_config defaults;
    if (cfg == NULL) {
        tcpshake_config_default(&defaults);
        cfg = &defaults;
    }
    if (cfg->max_flows < 16 || cfg->max_flows > (1u << 28)) {
        return NULL;
    }
    struct tcpshake *h = ts_calloc(1, sizeof(*h));
    if (h == NULL) {
        return NULL;
    }
    h->cfg = *cfg;
    h->on_record = on_record;
    h->user = user;
    if (cfg->bpf != NULL) {
        size_t n = strlen(cfg->bpf) + 1;
        h->bpf = ts_calloc(n, 1);
        if (h->bpf == NULL) {
            tcpshake_free(h);
            return NULL;
        }
        memcpy(h->bpf, cfg->bpf, n);
    }
    h->cfg.bpf = h->bpf;
    h->ft = flowtab_new(cfg->max_flows);
    h->flush_order = ts_calloc(cfg->max_flows, sizeof(*h->flush_order));
    if (h->ft == NULL || h->flush_order == NULL) {
        tcpshake_free(h);
        return NULL;
    }
    return h;
}

void tcpshake_free(struct tcpshake *h)
{
    if (h == NULL) {
        return;
    }
    source_close(h->src);
    flowtab_free(h->ft);
    ts_free(h->flush_order);
    ts_free(h->bpf);
    ts_free(h);
}

const char *tcpshake_errmsg(const struct tcpshake *h)
{
    return h->errmsg;
}

const struct tcpshake_stats *tcpshake_get_stats(const struct tcpshake *h)
{
    return &h->stats;
}

void tcpshake_stop(struct tcpshake *h)
{
    h->stop = 1;
    if (h->src != NULL) {
        source_breakloop(h->src); /* wakes a live read waiting in poll() */
    }
}

void tcpshake_set_event_fn(struct tcpshake *h, tcpshake_event_fn fn, void *user)
{
    h->on_event = fn;
    h->event_user = user;
}

void tcpshake_set_interval(struct tcpshake *h, uint64_t interval_ns, tcpshake_interval_fn fn,
                           void *user)
{
    h->on_interval = interval_ns != 0 ? fn : NULL;
    h->interval_ns = interval_ns;
    h->interval_user = user;
}

static void emit(struct tcpshake *h, struct conn *c, enum tcpshake_end reason)
{
    tracker_finish(c, reason, &h->scratch);
    h->stats.connections++;
    /* Unanswered, half-open, midstream ...: decided only now, just before the record. */
    if (h->on_event != NULL && !c->decision_reported) {
        c->decision_reported = true;
        h->on_event(TCPSHAKE_EVENT_HANDSHAKE, &h->scratch, h->event_user);
    }
    if (h->on_record != NULL) {
        h->on_record(&h->scratch, h->user);
    }
}

/* The handshake event for a connection whose outcome this packet settled. */
static void report_decision(struct tcpshake *h, struct conn *c)
{
    if (h->on_event == NULL || c->decision_reported || !tracker_decided(c)) {
        return;
    }
    c->decision_reported = true;
    tracker_finish(c, TCPSHAKE_END_OPEN, &h->scratch);
    h->on_event(TCPSHAKE_EVENT_HANDSHAKE, &h->scratch, h->event_user);
}

static uint64_t timeout_of(const struct tcpshake *h, enum flow_class cls)
{
    switch (cls) {
    case FLOW_HANDSHAKE:
        return h->cfg.handshake_timeout_ns;
    case FLOW_CLOSED:
        return h->cfg.close_linger_ns;
    default:
        return h->cfg.idle_timeout_ns;
    }
}

/* Report and drop every connection idle for longer than its class allows. */
static void expire(struct tcpshake *h)
{
    for (int cls = 0; cls < FLOW_CLASS_COUNT; cls++) {
        uint64_t limit = timeout_of(h, (enum flow_class)cls);
        struct conn *c;
        while ((c = flowtab_expired(h->ft, (enum flow_class)cls, h->now_ns, limit)) != NULL) {
            emit(h, c, TCPSHAKE_END_IDLE);
            flowtab_remove(h->ft, c);
        }
    }
}

static struct conn *new_conn(struct tcpshake *h, const struct flow_key *key, uint32_t hash,
                             const struct flow_tuple *first, uint64_t ts_ns)
{
    if (flowtab_full(h->ft)) {
        struct conn *victim = flowtab_victim(h->ft);
        h->stats.evictions++;
        if (victim->link.cls == FLOW_HANDSHAKE) {
            h->stats.evictions_half_open++;
        }
        emit(h, victim, TCPSHAKE_END_EVICTED);
        flowtab_remove(h->ft, victim);
    }
    struct conn *c = flowtab_insert(h->ft, key, hash, ts_ns);
    tracker_init(c, first, ++h->next_id, ts_ns);
    size_t n = flowtab_count(h->ft);
    if (n > h->stats.flows_peak) {
        h->stats.flows_peak = n;
    }
    return c;
}

/* Returns true for a handshake or teardown segment (what --handshake-only keeps). */
static bool on_tcp(struct tcpshake *h, const struct tcp_view *v, uint64_t ts_ns)
{
    struct flow_key key;
    flowtab_key(&v->tuple, &key);
    uint32_t hash = flowtab_hash(&key);
    struct conn *c = flowtab_find(h->ft, &key, hash);
    if (c == NULL) {
        c = new_conn(h, &key, hash, &v->tuple, ts_ns);
    }
    struct track_info info;
    if (tracker_segment_info(c, v, ts_ns, &info) == TRACK_NEW_CONNECTION) {
        /* Port reuse: finish the old connection in place and start over. */
        emit(h, c, TCPSHAKE_END_REUSED);
        tracker_init(c, &v->tuple, ++h->next_id, ts_ns);
        tracker_segment_info(c, v, ts_ns, &info);
    }
    report_decision(h, c);
    flowtab_touch(h->ft, c, tracker_class(c), h->now_ns);
    return info.key_segment;
}

/* Returns true when the error concerns a tracked connection. */
static bool on_icmp(struct tcpshake *h, const struct icmp_view *icmp, uint64_t ts_ns)
{
    struct flow_key key;
    flowtab_key(&icmp->quoted, &key);
    struct conn *c = flowtab_find(h->ft, &key, flowtab_hash(&key));
    if (c == NULL) {
        return false; /* about a connection we never saw */
    }
    tracker_icmp(c, icmp, ts_ns);
    report_decision(h, c);
    flowtab_touch(h->ft, c, tracker_class(c), h->now_ns);
    return true;
}

/* Call the interval callback for every whole interval the clock has passed. */
static void run_intervals(struct tcpshake *h)
{
    if (h->on_interval == NULL || h->now_ns == 0) {
        return;
    }
    if (h->interval_start_ns == 0) {
        h->interval_start_ns = h->now_ns;
        return;
    }
    uint64_t elapsed = h->now_ns - h->interval_start_ns;
    if (elapsed < h->interval_ns) {
        return;
    }
    uint64_t end = h->interval_start_ns + elapsed / h->interval_ns * h->interval_ns;
    uint64_t start = h->interval_start_ns;
    h->interval_start_ns = end;
    h->on_interval(start, end, h->interval_user);
}

/* Move the clock forward (never back) and run what depends on it. */
static void advance_clock(struct tcpshake *h, uint64_t ts_ns)
{
    if (ts_ns > h->now_ns) {
        h->now_ns = ts_ns;
    }
    run_intervals(h);
}

void tcpshake_tick(struct tcpshake *h, uint64_t now_ns)
{
    if (h->now_ns == 0 && h->on_interval == NULL && flowtab_count(h->ft) == 0) {
        return; /* nothing seen yet: keep the clock at the first packet */
    }
    advance_clock(h, now_ns);
    expire(h);
}

static const enum tcpshake_skip skip_of[] = {
    [DECODE_TRUNCATED] = TCPSHAKE_SKIP_TRUNCATED, [DECODE_MALFORMED] = TCPSHAKE_SKIP_MALFORMED,
    [DECODE_NOT_TCP] = TCPSHAKE_SKIP_NOT_TCP,     [DECODE_UNSUPPORTED] = TCPSHAKE_SKIP_UNSUPPORTED,
    [DECODE_FRAGMENT] = TCPSHAKE_SKIP_FRAGMENT,
};

/* tcpshake_feed, and say in *key whether the packet is one --handshake-only keeps. */
static int feed_packet(struct tcpshake *h, int linktype, uint64_t ts_ns, const uint8_t *data,
                       size_t caplen, size_t wire_len, bool *key)
{
    *key = false;
    if (!decode_link_supported(linktype)) {
        snprintf(h->errmsg, sizeof(h->errmsg), "link type %d is not supported", linktype);
        return TCPSHAKE_ERR_LINKTYPE;
    }
    struct tcpshake_stats *st = &h->stats;
    st->packets_read++;
    if (st->packets_read == 1) {
        st->first_ns = ts_ns;
    }
    if (ts_ns < st->last_ns) {
        st->time_backwards++;
    } else {
        st->last_ns = ts_ns;
    }
    advance_clock(h, ts_ns);
    struct packet_view pv;
    enum decode_status ds = decode_packet(linktype, data, caplen, wire_len, &pv);
    if (ds != DECODE_OK) {
        st->skipped[skip_of[ds]]++;
        return TCPSHAKE_OK;
    }
    expire(h);
    if (pv.kind == PACKET_TCP) {
        st->packets_tcp++;
        if (pv.u.tcp.quirks & TCPQ_SNAPLEN_CUT) {
            st->snaplen_cut++;
        }
        *key = on_tcp(h, &pv.u.tcp, ts_ns);
    } else {
        st->packets_icmp++;
        *key = on_icmp(h, &pv.u.icmp, ts_ns);
    }
    return TCPSHAKE_OK;
}

int tcpshake_feed(struct tcpshake *h, int linktype, uint64_t ts_ns, const uint8_t *data,
                  size_t caplen, size_t wire_len)
{
    bool key;
    return feed_packet(h, linktype, ts_ns, data, caplen, wire_len, &key);
}

static int by_id(const void *a, const void *b)
{
    const struct conn *x = *(struct conn *const *)a;
    const struct conn *y = *(struct conn *const *)b;
    return x->rec.id < y->rec.id ? -1 : x->rec.id > y->rec.id;
}

void tcpshake_flush(struct tcpshake *h)
{
    size_t n = 0;
    for (int cls = 0; cls < FLOW_CLASS_COUNT; cls++) {
        for (struct conn *c = flowtab_oldest(h->ft, (enum flow_class)cls); c != NULL;
             c = flowtab_next(h->ft, c)) {
            h->flush_order[n++] = c;
        }
    }
    /* Oldest first, so the records of one trace always come out in the same order. */
    qsort(h->flush_order, n, sizeof(*h->flush_order), by_id);
    for (size_t i = 0; i < n; i++) {
        emit(h, h->flush_order[i], TCPSHAKE_END_OPEN);
        flowtab_remove(h->ft, h->flush_order[i]);
    }
}

/* After a source opened: refuse link types the decoder does not know. */
static int check_opened(struct tcpshake *h, int rc)
{
    if (rc == TCPSHAKE_OK && !decode_link_supported(source_linktype(h->src))) {
        snprintf(h->errmsg, sizeof(h->errmsg), "link type %d is not supported",
                 source_linktype(h->src));
        source_close(h->src);
        h->src = NULL;
        return TCPSHAKE_ERR_LINKTYPE;
    }
    return rc;
}

static bool refuse_second_source(struct tcpshake *h)
{
    if (h->src != NULL) {
        snprintf(h->errmsg, sizeof(h->errmsg), "a source is already open");
        return true;
    }
    return false;
}

int tcpshake_open_file(struct tcpshake *h, const char *path)
{
    if (refuse_second_source(h)) {
        return TCPSHAKE_ERR_STATE;
    }
    return check_opened(h, source_open_file(&h->src, path, h->bpf, h->errmsg, sizeof(h->errmsg)));
}

int tcpshake_open_stream(struct tcpshake *h, FILE *fp)
{
    if (refuse_second_source(h)) {
        return TCPSHAKE_ERR_STATE;
    }
    return check_opened(h, source_open_stream(&h->src, fp, h->bpf, h->errmsg, sizeof(h->errmsg)));
}

void tcpshake_live_options_default(struct tcpshake_live_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->snaplen = 262144;
    opt->promisc = true;
    opt->timeout_ms = 100;
}

int tcpshake_open_live(struct tcpshake *h, const char *iface,
                       const struct tcpshake_live_options *opt)
{
    if (refuse_second_source(h)) {
        return TCPSHAKE_ERR_STATE;
    }
    struct tcpshake_live_options defaults;
    if (opt == NULL) {
        tcpshake_live_options_default(&defaults);
        opt = &defaults;
    }
    if (iface == NULL || opt->snaplen <= 0 || opt->timeout_ms <= 0) {
        snprintf(h->errmsg, sizeof(h->errmsg), "bad live capture options");
        return TCPSHAKE_ERR_ARG;
    }
    struct source_live sl = { opt->snaplen, opt->promisc, opt->timeout_ms };
    int rc = check_opened(
            h, source_open_live(&h->src, iface, &sl, h->bpf, h->errmsg, sizeof(h->errmsg)));
    if (rc == TCPSHAKE_OK) {
        h->stats.live = true;
    }
    return rc;
}

int tcpshake_dump_open(struct tcpshake *h, const char *path, unsigned flags)
{
    if (h->src == NULL) {
        snprintf(h->errmsg, sizeof(h->errmsg), "no source is open");
        return TCPSHAKE_ERR_STATE;
    }
    int rc = source_dump_open(h->src, path, h->errmsg, sizeof(h->errmsg));
    if (rc == TCPSHAKE_OK) {
        h->dumping = true;
        h->dump_flags = flags;
    }
    return rc;
}

static uint64_t wall_clock_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void take_live_stats(struct tcpshake *h)
{
    struct tcpshake_stats *st = &h->stats;
    source_stats(h->src, &st->live_received, &st->live_dropped, &st->live_if_dropped);
}

static int write_failed(struct tcpshake *h)
{
    snprintf(h->errmsg, sizeof(h->errmsg), "write failed: %s",
             errno != 0 ? strerror(errno) : "I/O error");
    return TCPSHAKE_ERR_WRITE;
}

/* After a read that timed out on an idle link: move time on, save what is buffered. */
static int idle(struct tcpshake *h)
{
    tcpshake_tick(h, wall_clock_ns());
    take_live_stats(h);
    errno = 0;
    if (source_dump_flush(h->src) != TCPSHAKE_OK) {
        return write_failed(h);
    }
    return TCPSHAKE_OK;
}

/* Analyse one packet read from the source and save it when asked to. */
static int take_packet(struct tcpshake *h, int linktype, const struct source_packet *pkt)
{
    bool key;
    feed_packet(h, linktype, pkt->ts_ns, pkt->data, pkt->caplen, pkt->wire_len, &key);
    if (h->dumping && (key || !(h->dump_flags & TCPSHAKE_DUMP_HANDSHAKE_ONLY))) {
        errno = 0;
        if (source_dump_last(h->src) != TCPSHAKE_OK) {
            return write_failed(h);
        }
    }
    return TCPSHAKE_OK;
}

int tcpshake_run(struct tcpshake *h)
{
    if (h->src == NULL) {
        snprintf(h->errmsg, sizeof(h->errmsg), "no source is open");
        return TCPSHAKE_ERR_STATE;
    }
    int linktype = source_linktype(h->src);
    int status = TCPSHAKE_OK;
    while (!h->stop && (h->cfg.max_packets == 0 || h->stats.packets_read < h->cfg.max_packets)) {
        struct source_packet pkt;
        int rc = source_next(h->src, &pkt, h->errmsg, sizeof(h->errmsg));
        if (rc == 0) {
            break;
        }
        if (rc < 0) {
            status = -rc;
            break;
        }
        rc = rc == SOURCE_TIMEOUT ? idle(h) : take_packet(h, linktype, &pkt);
        if (rc != TCPSHAKE_OK) {
            status = rc;
            break;
        }
    }
    if (source_is_live(h->src)) {
        take_live_stats(h);
    }
    errno = 0;
    if (h->dumping && source_dump_flush(h->src) != TCPSHAKE_OK && status == TCPSHAKE_OK) {
        status = write_failed(h);
    }
    /* Whatever was read before a fault is still reported. */
    tcpshake_flush(h);
    return status;
}
