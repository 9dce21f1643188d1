/*
 * report.c - gathering the HTML report: the timeline of outcomes, the
 * latency histograms, the scatter sample, per-server rows and series, the
 * slowest connections and the first failed ones of each kind, the alerts
 * (and the ladder set that draws those connections). Fixed memory, allocated at
 * tcpshake_report_new; nothing is allocated per record. The page itself is
 * written by src/output/report_html.c.
 *
 * Everything here depends only on the records and alerts and their order,
 * which the library keeps the same for any number of threads: the reservoir
 * draws from its own generator with a fixed seed (Vitter's algorithm R), the
 * timeline is aligned to absolute time, ties are broken by record id.
 */
#include "tcpshake.h"

#include <string.h>

#include "agg_health.h"
#include "alloc.h"
#include "outcome.h"
#include "report_data.h"

#define REPORT_SEED 0x9e3779b97f4a7c15u

/* ------------------------------------------------------------ timeline */

enum report_kind report_kind_of(enum tcpshake_outcome o)
{
    switch (o) {
    case TCPSHAKE_OUTCOME_ESTABLISHED:
    case TCPSHAKE_OUTCOME_FAST_OPEN:
    case TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN:
        return REPORT_ESTABLISHED;
    case TCPSHAKE_OUTCOME_REFUSED:
        return REPORT_REFUSED;
    case TCPSHAKE_OUTCOME_UNANSWERED:
        return REPORT_UNANSWERED;
    case TCPSHAKE_OUTCOME_ICMP_REJECTED:
        return REPORT_ICMP;
    case TCPSHAKE_OUTCOME_HALF_OPEN:
        return REPORT_HALF_OPEN;
    case TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE:
        return REPORT_RESET;
    default:
        return REPORT_OTHER;
    }
}

bool report_kind_failed(enum report_kind k)
{
    return k != REPORT_ESTABLISHED && k != REPORT_OTHER;
}

/* Two slots into one: slot i (absolute base + i) goes to (base + i) / 2 - base / 2. */
static void fold64(uint64_t *a, uint64_t base)
{
    uint64_t tmp[REPORT_SLOTS] = { 0 };
    for (uint64_t i = 0; i < REPORT_SLOTS; i++) {
        tmp[(base + i) / 2 - base / 2] += a[i];
    }
    memcpy(a, tmp, sizeof(tmp));
}

static void fold32(uint32_t *a, uint64_t base)
{
    uint32_t tmp[REPORT_SLOTS] = { 0 };
    for (uint64_t i = 0; i < REPORT_SLOTS; i++) {
        uint64_t j = (base + i) / 2 - base / 2;
        uint64_t sum = (uint64_t)tmp[j] + a[i];
        tmp[j] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
    }
    memcpy(a, tmp, sizeof(tmp));
}

/* Slot i takes what was slot i + from - to; nothing used falls outside. */
static void move64(uint64_t *a, uint64_t from, uint64_t to)
{
    uint64_t tmp[REPORT_SLOTS] = { 0 };
    for (uint64_t i = 0; i < REPORT_SLOTS; i++) {
        uint64_t abs = from + i;
        if (abs >= to && abs - to < REPORT_SLOTS) {
            tmp[abs - to] = a[i];
        }
    }
    memcpy(a, tmp, sizeof(tmp));
}

static void move32(uint32_t *a, uint64_t from, uint64_t to)
{
    uint32_t tmp[REPORT_SLOTS] = { 0 };
    for (uint64_t i = 0; i < REPORT_SLOTS; i++) {
        uint64_t abs = from + i;
        if (abs >= to && abs - to < REPORT_SLOTS) {
            tmp[abs - to] = a[i];
        }
    }
    memcpy(a, tmp, sizeof(tmp));
}

static void double_width(struct tcpshake_report *r)
{
    uint64_t base = r->tl.base;
    for (unsigned k = 0; k < REPORT_KIND_COUNT; k++) {
        fold64(r->slots[k], base);
    }
    for (size_t s = 0; s < r->series_index.n; s++) {
        fold32(r->series[s].connections, base);
        fold32(r->series[s].failures, base);
    }
    r->tl.width_ns *= 2;
    r->tl.base = base / 2;
    r->tl.lo_used /= 2;
    r->tl.hi_used /= 2;
}

static void move_window(struct tcpshake_report *r, uint64_t to)
{
    uint64_t from = r->tl.base;
    for (unsigned k = 0; k < REPORT_KIND_COUNT; k++) {
        move64(r->slots[k], from, to);
    }
    for (size_t s = 0; s < r->series_index.n; s++) {
        move32(r->series[s].connections, from, to);
        move32(r->series[s].failures, from, to);
    }
    r->tl.base = to;
}

/* The slot of time t, widening and moving the timeline until it holds t. */
static size_t slot_of(struct tcpshake_report *r, uint64_t t)
{
    struct report_timeline *tl = &r->tl;
    if (!tl->started) {
        tl->started = true;
        tl->width_ns = REPORT_FIRST_SLOT;
        tl->base = tl->lo_used = tl->hi_used = t / REPORT_FIRST_SLOT;
    }
    uint64_t a = t / tl->width_ns;
    uint64_t lo = a < tl->lo_used ? a : tl->lo_used, hi = a > tl->hi_used ? a : tl->hi_used;
    while (hi - lo >= REPORT_SLOTS) { /* ends: the width doubles each time */
        double_width(r);
        a = t / tl->width_ns;
        lo = a < tl->lo_used ? a : tl->lo_used;
        hi = a > tl->hi_used ? a : tl->hi_used;
    }
    if (a < tl->base) {
        /* Room below for earlier times still to come: the window ends at hi. */
        move_window(r, hi >= REPORT_SLOTS - 1 ? hi - (REPORT_SLOTS - 1) : 0);
    } else if (a - tl->base >= REPORT_SLOTS) {
        move_window(r, lo);
    }
    tl->lo_used = lo;
    tl->hi_used = hi;
    return (size_t)(a - tl->base);
}

/* ------------------------------------------------------------- servers */

void report_server_key(uint8_t ip_version, const uint8_t addr[16], uint16_t port,
                       struct keytab_key *k)
{
    memset(k, 0, sizeof(*k));
    k->b[0] = ip_version;
    k->b[1] = (uint8_t)(port >> 8);
    k->b[2] = (uint8_t)port;
    memcpy(k->b + 3, addr, ip_version == 6 ? 16 : 4);
}

static uint64_t series_weight(const void *ctx, size_t e)
{
    const struct tcpshake_report *r = ctx;
    uint64_t sum = 0;
    for (size_t i = 0; i < REPORT_SLOTS; i++) {
        sum += r->series[e].connections[i];
    }
    return sum;
}

static struct report_series *series_entry(struct tcpshake_report *r,
                                          const struct tcpshake_record *rec)
{
    struct keytab_key key;
    report_server_key(rec->ip_version, rec->server.addr, rec->server.port, &key);
    size_t e = keytab_find(&r->series_index, &key);
    if (e != KEYTAB_NONE) {
        return &r->series[e];
    }
    e = keytab_add(&r->series_index, &key);
    if (e == KEYTAB_NONE) {
        e = keytab_victim(&r->series_index, series_weight, r);
        keytab_rekey(&r->series_index, e, &key);
        r->series_evictions++;
    }
    memset(&r->series[e], 0, sizeof(r->series[e]));
    return &r->series[e];
}

const struct report_series *report_series_of(const struct tcpshake_report *r, uint8_t ip_version,
                                             const uint8_t addr[16], uint16_t port)
{
    struct keytab_key key;
    report_server_key(ip_version, addr, port, &key);
    size_t e = keytab_find(&r->series_index, &key);
    return e == KEYTAB_NONE ? NULL : &r->series[e];
}

/* ---------------------------------------------------- sample and lists */

static uint64_t next_random(struct tcpshake_report *r)
{
    uint64_t x = r->rng; /* xorshift64 (Marsaglia 2003) */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->rng = x;
    return x;
}

static void sample_add(struct tcpshake_report *r, const struct tcpshake_record *rec)
{
    if (rec->server_side_ns == TCPSHAKE_NO_TIME || rec->client_side_ns == TCPSHAKE_NO_TIME) {
        return;
    }
    struct report_point p = { rec->server_side_ns, rec->client_side_ns, rec->id };
    uint64_t seen = r->n_timed++;
    if (r->n_sample < TCPSHAKE_REPORT_SAMPLE) {
        r->sample[r->n_sample++] = p;
        return;
    }
    uint64_t j = next_random(r) % (seen + 1);
    if (j < TCPSHAKE_REPORT_SAMPLE) {
        r->sample[j] = p;
    }
}

int64_t report_rank_ns(const struct tcpshake_record *r)
{
    return r->handshake_ns != TCPSHAKE_NO_TIME ? r->handshake_ns : r->server_side_ns;
}

static bool slower(const struct tcpshake_record *a, const struct tcpshake_record *b)
{
    if (report_rank_ns(a) != report_rank_ns(b)) {
        return report_rank_ns(a) > report_rank_ns(b);
    }
    return a->id < b->id;
}

/* Keep rec in list[0 .. *n) (at most cap, ordered by before). */
static void keep_top(struct tcpshake_record *list, size_t *n, size_t cap,
                     const struct tcpshake_record *rec,
                     bool (*before)(const struct tcpshake_record *, const struct tcpshake_record *))
{
    size_t pos = *n;
    while (pos > 0 && before(rec, &list[pos - 1])) {
        pos--;
    }
    if (pos >= cap) {
        return;
    }
    size_t last = *n < cap ? *n : cap - 1;
    memmove(&list[pos + 1], &list[pos], (last - pos) * sizeof(list[0]));
    list[pos] = *rec;
    if (*n < cap) {
        (*n)++;
    }
}

static bool earlier_id(const struct tcpshake_record *a, const struct tcpshake_record *b)
{
    return a->id < b->id;
}

/* ------------------------------------------------------------------ API */

struct tcpshake_report *tcpshake_report_new(void)
{
    struct tcpshake_report *r = ts_calloc(1, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    r->rng = REPORT_SEED;
    r->series = ts_calloc(REPORT_SERIES, sizeof(r->series[0]));
    struct tcpshake_health_config hc;
    tcpshake_health_config_default(&hc);
    hc.by = TCPSHAKE_HEALTH_BY_SERVER;
    r->health = tcpshake_health_new(&hc);
    if (r->series == NULL || r->health == NULL ||
        keytab_init(&r->series_index, REPORT_SERIES) != TCPSHAKE_OK) {
        tcpshake_health_free(r->health);
        ts_free(r->series);
        ts_free(r);
        return NULL;
    }
    return r;
}

void tcpshake_report_set_title(struct tcpshake_report *r, const char *title)
{
    if (r != NULL && title != NULL) {
        snprintf(r->title, sizeof(r->title), "%s", title);
    }
}

void tcpshake_report_set_capture_point_fn(struct tcpshake_report *r, tcpshake_capture_point_fn fn,
                                          void *user)
{
    if (r != NULL) {
        r->capture_point_fn = fn;
        r->capture_point_user = user;
    }
}

static void add_latencies(struct tcpshake_report *r, const struct tcpshake_record *rec)
{
    if (rec->server_side_ns != TCPSHAKE_NO_TIME) {
        hist_add(&r->server_side, rec->server_side_ns);
    }
    if (rec->client_side_ns != TCPSHAKE_NO_TIME) {
        hist_add(&r->client_side, rec->client_side_ns);
    }
    if (rec->handshake_ns != TCPSHAKE_NO_TIME) {
        hist_add(&r->handshake, rec->handshake_ns);
    }
    if (rec->tls.outcome != TCPSHAKE_TLS_NONE && rec->tls.handshake_ns != TCPSHAKE_NO_TIME &&
        rec->tls.handshake_ns > 0) {
        hist_add(&r->tls_handshake, rec->tls.handshake_ns);
    }
}

void tcpshake_report_add(struct tcpshake_report *r, const struct tcpshake_record *rec)
{
    if (r == NULL || rec == NULL) {
        return;
    }
    r->connections++;
    if ((unsigned)rec->outcome < TCPSHAKE_OUTCOME_COUNT) {
        r->by_outcome[rec->outcome]++;
    }
    add_latencies(r, rec);
    sample_add(r, rec);
    tcpshake_health_add(r->health, rec);
    struct report_series *s = series_entry(r, rec);
    /* After the entry exists: a widening folds it with the rest. */
    size_t slot = slot_of(r, rec->first_ns);
    enum report_kind kind = report_kind_of(rec->outcome);
    bool failed = report_kind_failed(kind);
    r->slots[kind][slot]++;
    if (s->connections[slot] < UINT32_MAX) {
        s->connections[slot]++;
    }
    if (failed && s->failures[slot] < UINT32_MAX) {
        s->failures[slot]++;
    }
    if (report_rank_ns(rec) != TCPSHAKE_NO_TIME) {
        keep_top(r->slow, &r->n_slow, TCPSHAKE_REPORT_TOP, rec, slower);
    }
    if (failed) {
        r->n_failures++;
        keep_top(r->failed[kind], &r->n_failed[kind], TCPSHAKE_REPORT_FAILED, rec, earlier_id);
    }
}

struct tcpshake_ladders *tcpshake_report_ladders_new(void)
{
    struct tcpshake_ladder_config lc;
    tcpshake_ladder_config_default(&lc);
    lc.slowest = true; /* ranked as slower() ranks: report_rank_ns, then the id */
    lc.max_ladders = TCPSHAKE_REPORT_TOP;
    lc.max_rows = TCPSHAKE_REPORT_ROWS;
    struct tcpshake_ladders *ls = tcpshake_ladders_new(&lc);
    /* One list per failure kind, as the failed lists: the lowest ids. */
    for (unsigned o = 0; ls != NULL && o < TCPSHAKE_OUTCOME_COUNT; o++) {
        if (!report_kind_failed(report_kind_of((enum tcpshake_outcome)o))) {
            continue;
        }
        struct tcpshake_ladder_list sel = { TCPSHAKE_LADDER_OUTCOME(o), false,
                                            TCPSHAKE_REPORT_FAILED };
        if (tcpshake_ladders_add_list(ls, &sel, NULL) != TCPSHAKE_OK) {
            tcpshake_ladders_free(ls);
            ls = NULL;
        }
    }
    return ls;
}

void tcpshake_report_set_ladders(struct tcpshake_report *r, const struct tcpshake_ladders *ls)
{
    if (r != NULL) {
        r->ladders = ls;
    }
}

void tcpshake_report_add_alert(struct tcpshake_report *r, const struct tcpshake_alert *a)
{
    if (r == NULL || a == NULL) {
        return;
    }
    if (r->n_alerts < TCPSHAKE_REPORT_ALERTS) {
        r->alerts[r->n_alerts++] = *a;
    } else {
        r->alerts_dropped++;
    }
}

void tcpshake_report_free(struct tcpshake_report *r)
{
    if (r == NULL) {
        return;
    }
    tcpshake_health_free(r->health);
    keytab_release(&r->series_index);
    ts_free(r->series);
    ts_free(r);
}
