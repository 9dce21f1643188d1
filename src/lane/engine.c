/*
 * engine.c - one shard of the analysis: decoded packets in, keyed records
 * out. Owns the flow table and the trackers in it, idle expiry, eviction when
 * the table is full, port reuse and the handshake-decided events. The handle
 * (tcpshake.c) owns the source, the clock and the callbacks; the lane (lane.c)
 * runs one engine inline, or shard.c one per worker thread. See engine.h for
 * the emission key.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "flowtab.h"
#include "tracker.h"

bool engine_init(struct engine *e, const struct tcpshake_config *cfg, size_t cap,
                 struct tcpshake_stats *st, engine_out_fn out, void *ctx)
{
    memset(e, 0, sizeof(*e));
    e->timeout_ns[FLOW_HANDSHAKE] = cfg->handshake_timeout_ns;
    e->timeout_ns[FLOW_CLOSED] = cfg->close_linger_ns;
    e->timeout_ns[FLOW_ESTABLISHED] = cfg->idle_timeout_ns;
    e->next_due_ns = UINT64_MAX;
    e->st = st;
    e->out = out;
    e->out_ctx = ctx;
    struct siphash_key key;
    siphash_key_from_bytes(&key, cfg->hash_key);
    e->ft = flowtab_new(cap, &key, &st->flow_probes);
    e->due = ts_calloc(cap, sizeof(*e->due));
    /* The TLS pools are divided among the engines as max_flows is. */
    size_t engines = cap < cfg->max_flows ? cfg->max_flows / cap : 1;
    uint32_t n_work = (uint32_t)(TLSFLOW_WORK / engines);
    uint32_t n_facts = (uint32_t)(TLSFLOW_FACTS / engines);
    n_work = n_work < 16 ? 16 : n_work;
    n_facts = n_facts > cap ? (uint32_t)cap : n_facts < 16 ? 16 : n_facts;
    bool tls = tlsflow_pool_init(&e->tls, n_work, n_facts, &st->tls_untracked);
    bool memo = p0f_memo_init(&e->p0f, NULL);
    if (e->ft == NULL || e->due == NULL || !tls || !memo) {
        engine_release(e);
        return false;
    }
    return true;
}

void engine_release(struct engine *e)
{
    flowtab_free(e->ft);
    ts_free(e->due);
    tlsflow_pool_release(&e->tls);
    p0f_memo_release(&e->p0f);
    e->ft = NULL;
    e->due = NULL;
}

void engine_set_tap(struct engine *e, engine_tap_fn fn, void *ctx)
{
    e->tap = fn;
    e->tap_ctx = ctx;
}

void engine_set_views(struct engine *e, unsigned views)
{
    e->p0f.off = !(views & ENGINE_VIEW_P0F);
    e->zeek_off = !(views & ENGINE_VIEW_ZEEK);
}

/* Hand one record on with key k, whose b field counts within a packet. */
static void put(struct engine *e, struct emit_key *k, enum tcpshake_event ev)
{
    if (k->phase == EMIT_PACKET) {
        k->b++;
    } else {
        k->b = (uint64_t)ev;
    }
    e->out(e->out_ctx, k, ev, &e->scratch);
}

/* The connection's record into e->scratch. */
static void finish(struct engine *e, const struct conn *c, enum tcpshake_end reason)
{
    tracker_finish(c, reason, &e->scratch);
    tracker_p0f(c, &e->p0f, &e->scratch);
    tlsflow_finish(&e->tls, c, &e->scratch);
}

static void emit(struct engine *e, struct conn *c, enum tcpshake_end reason, struct emit_key *k)
{
    finish(e, c, reason);
    e->st->connections++;
    if (k->phase != EMIT_PACKET) {
        k->a = c->facts.id;
    }
    /* Unanswered, half-open, midstream ...: decided only now, just before the record. */
    if (e->events && !c->decision_reported) {
        c->decision_reported = true;
        put(e, k, TCPSHAKE_EVENT_HANDSHAKE);
    }
    put(e, k, TCPSHAKE_EVENT_CLOSE);
    tlsflow_release(&e->tls, c);
}

/* A connection started being tracked: tell a merge that counts them. */
static void mark_new(struct engine *e)
{
    if (e->mark_new) {
        put(e, &e->key, ENGINE_EVENT_NEW);
    }
}

/* With events on: the handshake event for a connection whose outcome this packet
 * settled (once per connection). */
static void report_decision(struct engine *e, struct conn *c)
{
    if (c->decision_reported || !tracker_decided(c)) {
        return;
    }
    c->decision_reported = true;
    finish(e, c, TCPSHAKE_END_OPEN);
    put(e, &e->key, TCPSHAKE_EVENT_HANDSHAKE);
}

/* When a connection last seen at last_ns times out in class cls (UINT64_MAX: never). */
static uint64_t deadline_at(const struct engine *e, uint64_t last_ns, int cls)
{
    uint64_t d = last_ns + e->timeout_ns[cls];
    return d < last_ns ? UINT64_MAX : d;
}

static uint64_t deadline(const struct engine *e, const struct conn *c)
{
    return deadline_at(e, c->link.last_ns, c->link.cls);
}

static int by_key(const void *a, const void *b)
{
    const struct engine_due *x = a;
    const struct engine_due *y = b;
    if (x->deadline_ns != y->deadline_ns) {
        return x->deadline_ns < y->deadline_ns ? -1 : 1;
    }
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Sort the first n of e->due by key. They often come in order already (a
 * flood's unanswered SYNs, which the lists keep in the order they came, are
 * most of a flush), and a check in one pass is far cheaper than the sort. */
static void sort_due(struct engine *e, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (by_key(&e->due[i - 1], &e->due[i]) > 0) {
            qsort(e->due, n, sizeof(*e->due), by_key);
            return;
        }
    }
}

/* A connection was touched: its deadline may now be the earliest. */
static void note_deadline(struct engine *e, const struct conn *c)
{
    uint64_t d = deadline(e, c);
    if (d < e->next_due_ns) {
        e->next_due_ns = d;
    }
}

void engine_sweep(struct engine *e, uint64_t now_ns)
{
    /* Most packets find nothing due: one comparison instead of a look at each list. */
    if (now_ns <= e->next_due_ns) {
        return;
    }
    size_t n = 0;
    for (int cls = 0; cls < FLOW_CLASS_COUNT; cls++) {
        /* Idle lists are in last_ns order, so the expired ones lead each list. The
         * flow table's lower bound on each one's last_ns says when the next is not
         * due yet without loading it. */
        uint64_t seen_by = flowtab_oldest_ns(e->ft, (enum flow_class)cls);
        for (struct conn *c = flowtab_oldest(e->ft, (enum flow_class)cls); c != NULL;
             c = flowtab_next(e->ft, c)) {
            if (deadline_at(e, seen_by, cls) >= now_ns) {
                break; /* not due, and c not loaded */
            }
            uint64_t d = deadline(e, c);
            if (d >= now_ns) {
                break;
            }
            e->due[n++] = (struct engine_due){ d, c->facts.id, c };
            flowtab_prefetch_slot(e->ft, c->link.hash); /* for its removal, after its record */
            seen_by = flowtab_next_ns(e->ft, c);
        }
    }
    sort_due(e, n);
    for (size_t i = 0; i < n; i++) {
        struct emit_key k = { e->due[i].deadline_ns, EMIT_EXPIRY, 0, 0 };
        emit(e, e->due[i].conn, TCPSHAKE_END_IDLE, &k);
        flowtab_remove(e->ft, e->due[i].conn);
    }
    /* Each list is in last_ns order, so its head has its earliest deadline. A head
     * whose lower bound says it is already due was touched since: settle it. */
    e->next_due_ns = UINT64_MAX;
    const struct conn *next = NULL;
    for (int cls = 0; cls < FLOW_CLASS_COUNT; cls++) {
        uint64_t d = deadline_at(e, flowtab_oldest_ns(e->ft, (enum flow_class)cls), cls);
        if (d < now_ns) {
            d = deadline_at(e, flowtab_settle_oldest(e->ft, (enum flow_class)cls), cls);
        }
        if (d < e->next_due_ns) {
            e->next_due_ns = d;
            next = flowtab_oldest(e->ft, (enum flow_class)cls);
        }
    }
    /* The next to expire has been idle a while and is out of cache: start
     * loading it now, a few packets before its record is due. */
    if (next != NULL) {
        flowtab_prefetch_entry(next);
    }
}

/* Report c as evicted to make room for a new connection. */
static void evict(struct engine *e, struct conn *c)
{
    e->st->evictions++;
    if (c->link.cls == FLOW_HANDSHAKE) {
        e->st->evictions_half_open++;
    }
    emit(e, c, TCPSHAKE_END_EVICTED, &e->key);
}

/* Track c, new or restarted by port reuse, from its first packet on. */
static void start_tracking(struct engine *e, struct conn *c, const struct flow_tuple *first,
                           uint64_t ts_ns)
{
    tracker_init(c, first, e->key.a, ts_ns);
    c->p0f_off = e->p0f.off; /* records without p0f signatures need no p0f facts */
    if (e->zeek_off) {
        zeek_turn_off(&c->zeek);
    }
    mark_new(e);
}

static struct conn *new_conn(struct engine *e, const struct flow_key *key, uint32_t hash,
                             const struct flow_tuple *first, uint64_t ts_ns)
{
    struct conn *c;
    struct conn *crowded = flowtab_crowded(e->ft, hash);
    if (crowded != NULL) {
        /* Every slot this flow may take is in use (flowtab.h: with a secret key,
         * practically never): it takes the place of one of those flows. */
        e->st->evictions_crowded++;
        evict(e, crowded);
        c = flowtab_reuse(e->ft, crowded, key, hash, ts_ns);
    } else {
        if (flowtab_full(e->ft)) {
            struct conn *victim = flowtab_victim(e->ft);
            evict(e, victim);
            flowtab_remove(e->ft, victim);
            flowtab_prefetch_victim(e->ft); /* the next new flow's, in a flood */
        }
        c = flowtab_insert(e->ft, key, hash, ts_ns);
    }
    start_tracking(e, c, first, ts_ns);
    size_t n = flowtab_count(e->ft);
    if (n > e->st->flows_peak) {
        e->st->flows_peak = n;
    }
    return c;
}

static bool on_tcp(struct engine *e, const struct tcp_view *v, uint64_t ts_ns,
                   const struct flow_key *key, uint32_t hash)
{
    struct conn *c = flowtab_find(e->ft, key, hash);
    if (c == NULL) {
        c = new_conn(e, key, hash, &v->tuple, ts_ns);
    }
    struct track_info info;
    if (tracker_segment_info(c, v, ts_ns, &info) == TRACK_NEW_CONNECTION) {
        /* Port reuse: finish the old connection in place and start over. */
        emit(e, c, TCPSHAKE_END_REUSED, &e->key);
        start_tracking(e, c, &v->tuple, ts_ns);
        tracker_segment_info(c, v, ts_ns, &info);
    }
    /* One byte of the hot part keeps a connection that is not TLS out of here. */
    if (c->tls_state == TLSFLOW_LOOKING || (c->tls_state == TLSFLOW_UNSEEN && v->payload_len > 0)) {
        tlsflow_segment(&e->tls, c, v, ts_ns);
    }
    if (e->events) {
        report_decision(e, c);
    }
    if (e->tap != NULL && !c->tap_off) {
        struct engine_tap_item it = {
            c->facts.id, e->key.a, ts_ns, v, NULL, info.key_segment, info.completes, info.rst_valid
        };
        c->tap_off = !e->tap(e->tap_ctx, &it);
    }
    flowtab_touch(e->ft, c, tracker_class(c), e->key.t_ns);
    note_deadline(e, c);
    return info.key_segment;
}

static bool on_icmp(struct engine *e, const struct icmp_view *icmp, uint64_t ts_ns,
                    const struct flow_key *key, uint32_t hash)
{
    struct conn *c = flowtab_find(e->ft, key, hash);
    if (c == NULL) {
        return false; /* about a connection we never saw */
    }
    tracker_icmp(c, icmp, ts_ns);
    if (e->events) {
        report_decision(e, c);
    }
    if (e->tap != NULL && !c->tap_off) {
        struct engine_tap_item it = {
            c->facts.id, e->key.a, ts_ns, NULL, icmp, true, false, false
        };
        c->tap_off = !e->tap(e->tap_ctx, &it);
    }
    flowtab_touch(e->ft, c, tracker_class(c), e->key.t_ns);
    note_deadline(e, c);
    return true;
}

/* The flow key of a decoded packet (of the quoted tuple for an ICMP error), and its hash. */
static uint32_t packet_key(const struct flowtab *ft, const struct packet_view *pv,
                           struct flow_key *key)
{
    flowtab_key(packet_flow_tuple(pv), key);
    return flowtab_hash(ft, key);
}

static bool packet_keyed(struct engine *e, uint64_t index, uint64_t now_ns, uint64_t ts_ns,
                         const struct packet_view *pv, const struct flow_key *key, uint32_t hash)
{
    engine_sweep(e, now_ns);
    e->key = (struct emit_key){ now_ns, EMIT_PACKET, index, 0 };
    if (pv->kind == PACKET_TCP) {
        return on_tcp(e, &pv->u.tcp, ts_ns, key, hash);
    }
    return on_icmp(e, &pv->u.icmp, ts_ns, key, hash);
}

bool engine_packet(struct engine *e, uint64_t index, uint64_t now_ns, uint64_t ts_ns,
                   const struct packet_view *pv)
{
    struct flow_key key;
    uint32_t hash = packet_key(e->ft, pv, &key);
    return packet_keyed(e, index, now_ns, ts_ns, pv, &key, hash);
}

/* How far ahead engine_packets looks: a packet's key and hash are worked out
 * and its slot fetched SLOT_AHEAD packets ahead, the connection the slot names
 * (and its idle-list link) CONN_AHEAD packets ahead, by which time that slot
 * is in cache, and the links of its idle-list neighbours, which its touch
 * rewrites, NEIGHBOUR_AHEAD packets ahead. A worker thread also fetches the
 * packet itself ITEM_AHEAD packets ahead: the reader thread wrote it on the
 * other core, and its first read (the key) waited for it. */
#define SLOT_AHEAD      8
#define CONN_AHEAD      4
#define NEIGHBOUR_AHEAD 2
#define ITEM_AHEAD      16
#define LOOK            16 /* ring of keys, a power of two > SLOT_AHEAD */

static const struct engine_item *nth(const struct engine_item *items, const uint16_t *pick,
                                     size_t i)
{
    return pick != NULL ? &items[pick[i]] : &items[i];
}

/* An item's flow key, and its hash: the sender's when it sent one. */
static uint32_t item_key(const struct flowtab *ft, const struct engine_item *it,
                         struct flow_key *key)
{
    if (!it->hashed) {
        return packet_key(ft, &it->pv, key);
    }
    flowtab_key(packet_flow_tuple(&it->pv), key);
    return it->hash;
}

void engine_packets(struct engine *e, const struct engine_item *items, const uint16_t *pick,
                    size_t n)
{
    struct flow_key keys[LOOK];
    uint32_t hashes[LOOK];
    for (size_t i = 0; i < n && i < SLOT_AHEAD; i++) {
        hashes[i % LOOK] = item_key(e->ft, nth(items, pick, i), &keys[i % LOOK]);
        flowtab_prefetch_slot(e->ft, hashes[i % LOOK]);
    }
    for (size_t i = 0; i < n; i++) {
        if (pick != NULL && i + ITEM_AHEAD < n) {
            const char *item = (const char *)nth(items, pick, i + ITEM_AHEAD);
            __builtin_prefetch(item);
            __builtin_prefetch(item + sizeof(*items) - 1);
        }
        size_t ahead = i + SLOT_AHEAD;
        if (ahead < n) {
            hashes[ahead % LOOK] = item_key(e->ft, nth(items, pick, ahead), &keys[ahead % LOOK]);
            flowtab_prefetch_slot(e->ft, hashes[ahead % LOOK]);
        }
        if (i + CONN_AHEAD < n) {
            const struct packet_view *pv = &nth(items, pick, i + CONN_AHEAD)->pv;
            bool whole = pv->kind != PACKET_TCP ||
                         (pv->u.tcp.flags & (TCP_SYN | TCP_FIN | TCP_RST)) != 0;
            flowtab_prefetch_conn(e->ft, hashes[(i + CONN_AHEAD) % LOOK], whole);
        }
        if (i + NEIGHBOUR_AHEAD < n) {
            flowtab_prefetch_neighbours(e->ft, hashes[(i + NEIGHBOUR_AHEAD) % LOOK]);
        }
        const struct engine_item *it = nth(items, pick, i);
        packet_keyed(e, it->index, it->now_ns, it->ts_ns, &it->pv, &keys[i % LOOK],
                     hashes[i % LOOK]);
    }
}

void engine_flush(struct engine *e)
{
    size_t n = 0;
    for (int cls = 0; cls < FLOW_CLASS_COUNT; cls++) {
        for (struct conn *c = flowtab_oldest(e->ft, (enum flow_class)cls); c != NULL;
             c = flowtab_next(e->ft, c)) {
            e->due[n++] = (struct engine_due){ UINT64_MAX, c->facts.id, c };
        }
    }
    /* Oldest first, so the records of one trace always come out in the same order. */
    sort_due(e, n);
    for (size_t i = 0; i < n; i++) {
        struct emit_key k = { UINT64_MAX, EMIT_FLUSH, 0, 0 };
        emit(e, e->due[i].conn, TCPSHAKE_END_OPEN, &k);
        flowtab_remove(e->ft, e->due[i].conn);
    }
    e->next_due_ns = UINT64_MAX;
}
