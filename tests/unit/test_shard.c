/*
 * test_shard.c - multi-core analysis (shard.c) against one thread: the
 * emission key's order, and the same records, events and interval callbacks
 * in the same order from 1, 2, 3 and 5 threads (the reader and 1, 2 or 4
 * workers) on a generated workload with expiry in bulk (more records in one
 * sweep than a worker's output ring holds), port reuse, ticks and a large
 * final flush; with one worker, also when the flow table fills up, and when
 * the reading thread takes the worker's engine during a flood and gives it
 * back after. And the configuration check that stands before the lane
 * (tcpshake_config_check).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "decode.h"
#include "engine.h"
#include "lane.h"
#include "tcpshake.h"

static void test_key_order(void)
{
    static const struct {
        struct emit_key a, b;
        int want;
    } cases[] = {
        { { 5, EMIT_PACKET, 9, 1 }, { 5, EMIT_PACKET, 9, 2 }, -1 },  /* n-th of one packet */
        { { 5, EMIT_PACKET, 9, 7 }, { 5, EMIT_PACKET, 10, 0 }, -1 }, /* later packet */
        { { 5, EMIT_EXPIRY, 1, 0 }, { 5, EMIT_PACKET, 99, 1 }, 1 },  /* deadline == clock:
                                                                         not expired yet */
        { { 4, EMIT_EXPIRY, 99, 1 }, { 5, EMIT_PACKET, 1, 1 }, -1 }, /* expired before */
        { { 4, EMIT_EXPIRY, 3, 0 }, { 4, EMIT_EXPIRY, 3, 1 }, -1 },  /* event, then close */
        { { UINT64_MAX, EMIT_FLUSH, 2, 1 }, { UINT64_MAX, EMIT_END, 0, 0 }, -1 },
        { { 7, EMIT_PACKET, 3, 2 }, { 7, EMIT_PACKET, 3, 2 }, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_INT(emit_key_cmp(&cases[i].a, &cases[i].b), cases[i].want);
        CHECK_INT(emit_key_cmp(&cases[i].b, &cases[i].a), -cases[i].want);
    }
}

/* What a callback saw, in order. */
struct seen {
    int what; /* 0 handshake event, 1 close record, 2 interval */
    uint64_t id, a, b;
    int outcome, end;
};

struct log {
    struct seen *v;
    size_t n, cap;
};

static void add(struct log *l, struct seen s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        if (l->v == NULL) {
            abort();
        }
    }
    l->v[l->n++] = s;
}

static void on_record(const struct tcpshake_record *r, void *user)
{
    add(user,
        (struct seen){ 1, r->id, r->last_ns, r->client.packets, (int)r->outcome, (int)r->end });
}

static void on_event(enum tcpshake_event ev, const struct tcpshake_record *r, void *user)
{
    (void)ev;
    add(user, (struct seen){ 0, r->id, r->first_ns, r->server.packets, (int)r->outcome, 0 });
}

static void on_interval(uint64_t start_ns, uint64_t end_ns, void *user)
{
    add(user, (struct seen){ 2, 0, start_ns, end_ns, 0, 0 });
}

/* Ethernet + IPv4 + TCP from client n (10.n) to 192.0.2.1:80, or back. */
static size_t make_seg(uint8_t *f, uint32_t n, bool to_server, uint8_t flags, uint32_t seq,
                       uint32_t ack)
{
    static const uint8_t tmpl[] = {
        0,    1, 2, 3,  4, 5, 0,    1, 2,  3, 4, 6, 0x08, 0x00, /* Ethernet */
        0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10,   0,    0,    0,    192, 0, 2, 1, /* IPv4 */
        0,    0, 0, 80, 0, 0, 0,    0, 0,  0, 0, 0, 0x50, 0,    0xff, 0xff, 0,   0, 0, 0, /* TCP */
    };
    memcpy(f, tmpl, sizeof(tmpl));
    uint8_t cli[4] = { 10, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    uint8_t srv[4] = { 192, 0, 2, 1 };
    uint16_t cport = (uint16_t)(1024 + n % 60000);
    memcpy(f + 26, to_server ? cli : srv, 4);
    memcpy(f + 30, to_server ? srv : cli, 4);
    uint16_t sport = to_server ? cport : 80, dport = to_server ? 80 : cport;
    f[34] = (uint8_t)(sport >> 8);
    f[35] = (uint8_t)sport;
    f[36] = (uint8_t)(dport >> 8);
    f[37] = (uint8_t)dport;
    for (int i = 0; i < 4; i++) {
        f[38 + i] = (uint8_t)(seq >> (24 - 8 * i));
        f[42 + i] = (uint8_t)(ack >> (24 - 8 * i));
    }
    f[47] = flags;
    return sizeof(tmpl);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define N_CONN 3000

/* Feed the same workload to a handle with this many threads and flow table
 * size; log what comes out. Returns the evictions. */
static uint64_t run_workload(unsigned threads, uint32_t max_flows, struct log *log)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.threads = threads;
    cfg.max_flows = max_flows;
    struct tcpshake *h = tcpshake_new(&cfg, on_record, log);
    CHECK(h != NULL);
    if (h == NULL) {
        return 0;
    }
    tcpshake_set_event_fn(h, on_event, log);
    tcpshake_set_interval(h, 10 * 1000000000ull, on_interval, log);
    static uint8_t step[N_CONN];
    memset(step, 0, sizeof(step));
    uint64_t rng = 88172645463325252ull, t = 1000000000ull;
    uint8_t f[64];
    for (uint32_t i = 0; i < 60000; i++) {
        uint32_t n = (uint32_t)(rng_next(&rng) % N_CONN);
        uint32_t isn = n * 7919u + step[n] / 6 * 1000003u;
        static const struct {
            bool to_server;
            uint8_t flags;
        } plan[6] = { { true, 0x02 }, { false, 0x12 }, { true, 0x10 },
                      { true, 0x11 }, { false, 0x11 }, { true, 0x10 } };
        int s = step[n] % 6;
        if (n % 17 == 0 && s == 1) {
            s = 0; /* never answered: SYN retransmissions */
        }
        uint8_t flags = n % 23 == 0 && s == 3 ? 0x04 : plan[s].flags; /* some reset */
        size_t len = make_seg(f, n, plan[s].to_server, flags, isn + (s >= 2) + (s == 5),
                              s == 0 ? 0 : isn + 1);
        if (tcpshake_feed(h, 1, t, f, len, len) != TCPSHAKE_OK) {
            CHECK(!"tcpshake_feed failed");
        }
        step[n]++;
        t += rng_next(&rng) % 20000000u;
        if (i % 9000 == 8999) {
            t += 70 * 1000000000ull; /* handshakes time out in bulk */
        }
        if (i % 5000 == 4999) {
            tcpshake_tick(h, t);
        }
    }
    tcpshake_flush(h);
    CHECK_U64(tcpshake_get_stats(h)->packets_read, 60000);
    uint64_t evictions = tcpshake_get_stats(h)->evictions;
    tcpshake_free(h);
    return evictions;
}

static bool same_seen(const struct seen *x, const struct seen *y)
{
    return x->what == y->what && x->id == y->id && x->a == y->a && x->b == y->b &&
           x->outcome == y->outcome && x->end == y->end;
}

/* The same callbacks in the same order, whoever ran the engine. */
static void check_same_log(const struct log *one, const struct log *other)
{
    CHECK_U64(other->n, one->n);
    for (size_t i = 0; i < one->n && i < other->n; i++) {
        if (!same_seen(&one->v[i], &other->v[i])) {
            CHECK_U64(i, one->n);
            break;
        }
    }
}

/* The same callbacks in the same order from threads as from one thread; the
 * table fills up (evicts) or not, as full says. */
static void check_same_as_one_thread(uint32_t max_flows, bool full, const unsigned *threads,
                                     size_t n)
{
    struct log one = { 0 };
    CHECK((run_workload(1, max_flows, &one) > 0) == full);
    CHECK(one.n > 10000);
    for (size_t k = 0; k < n; k++) {
        struct log many = { 0 };
        run_workload(threads[k], max_flows, &many);
        check_same_log(&one, &many);
        free(many.v);
    }
    free(one.v);
}

static void test_same_as_one_thread(void)
{
    /* A table never full: eviction would be per worker. Two threads are the
     * reader and one worker; three and five shard over two and four. */
    static const unsigned any[] = { 2, 3, 5 };
    check_same_as_one_thread(1u << 16, false, any, sizeof(any) / sizeof(any[0]));
    /* One worker has the whole table: the same evictions as one thread. */
    static const unsigned one_worker[] = { 2 };
    check_same_as_one_thread(256, true, one_worker, 1);
}

/* The lane's hooks, logged as the handle's callbacks are. */
static void lane_record(void *ctx, enum tcpshake_event ev, const struct tcpshake_record *r)
{
    if (ev == TCPSHAKE_EVENT_CLOSE) {
        on_record(r, ctx);
    } else {
        on_event(ev, r, ctx);
    }
}

static void lane_interval_cb(void *ctx, uint64_t start_ns, uint64_t end_ns)
{
    on_interval(start_ns, end_ns, ctx);
}

#define FLOOD_PHASE    40000 /* packets: nearly five of shard.c's decision windows */
#define ORDINARY_PHASE 20000 /* two and a half: one is enough to give the engine back */

/* Decode a frame into the lane and commit it as packet *index at clock t. */
static void lane_feed(struct lane *l, uint64_t *index, uint64_t t, const uint8_t *f, size_t len)
{
    ++*index;
    if (decode_packet(LINK_ETHERNET, f, len, len, lane_slot(l)) != DECODE_OK) {
        CHECK(!"the test's frame does not decode");
        return;
    }
    lane_commit(l, *index, t, t);
}

/*
 * Floods of SYNs from new sources into a full table (every packet evicts: a
 * record each) between phases of ordinary connections (a record every 20
 * packets), phases of them in all, starting with an ordinary one; an interval
 * callback every second and a tick every 5000 packets. Returns the handovers
 * (lane_handovers).
 */
static uint64_t run_phases(unsigned threads, int phases, struct log *log)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.threads = threads;
    cfg.max_flows = 1024;
    struct tcpshake_stats st = { 0 };
    struct lane_hooks hooks = { lane_record, lane_interval_cb, log };
    struct lane *l = lane_new(&cfg, &st, &hooks);
    CHECK(l != NULL);
    if (l == NULL) {
        return 0;
    }
    lane_set_events(l, true);
    lane_set_batching(l, true);
    uint8_t f[64];
    uint64_t index = 0, t = 1000000000ull, tick = t;
    uint32_t flooder = 100000; /* clients above the ordinary ones */
    for (int phase = 0; phase < phases; phase++) {
        uint32_t n = phase % 2 == 1 ? FLOOD_PHASE : ORDINARY_PHASE;
        for (uint32_t i = 0; i < n; i++) {
            size_t len;
            if (phase % 2 == 1) {
                len = make_seg(f, flooder++, true, 0x02, i, 0);
            } else {
                /* 100 connections, each SYN, SYN-ACK, ACK, 14 ACKs, FIN, FIN, ACK */
                uint32_t k = i / 20 % 100 + 1000 * (uint32_t)phase, s = i % 20;
                uint32_t isn = k * 7919u;
                bool to_server = s != 1 && s != 18;
                uint8_t flags = s == 0 ? 0x02 : s == 1 ? 0x12 : s == 17 || s == 18 ? 0x11 : 0x10;
                len = make_seg(f, k, to_server, flags, isn + (s > 0) + (s > 17), isn + 1);
            }
            t += 100000; /* 10 k packets a second */
            if (t - tick >= 1000000000ull) {
                lane_interval(l, index + 1, tick, t);
                tick = t;
            }
            lane_feed(l, &index, t, f, len);
            if (index % 5000 == 0) {
                lane_tick(l, t + 50000);
            }
        }
    }
    lane_flush(l);
    uint64_t handovers = lane_handovers(l);
    lane_free(l);
    return handovers;
}

static void test_reader_takes_engine(void)
{
    /* Ending with an ordinary phase: the engine is the worker's at the flush. */
    struct log one = { 0 }, two = { 0 }, three = { 0 };
    CHECK_U64(run_phases(1, 7, &one), 0);
    /* One worker: taken in the first flood at least, and back with the worker
     * once each flood is over (also within a flood when it was slower, or to
     * measure the worker again: that, and so the number of handovers, depends
     * on the machine) */
    uint64_t handovers = run_phases(2, 7, &two);
    CHECK(handovers >= 2);
    CHECK_U64(handovers % 2, 0);
    /* Two workers: never (each has half the table: other evictions) */
    CHECK_U64(run_phases(3, 3, &three), 0);
    CHECK(one.n > 3 * FLOOD_PHASE);
    check_same_log(&one, &two);
    free(one.v);
    free(two.v);
    free(three.v);

    /* Ending in a flood: the reader flushes the engine itself if it kept it. */
    struct log one_f = { 0 }, two_f = { 0 };
    CHECK_U64(run_phases(1, 4, &one_f), 0);
    CHECK(run_phases(2, 4, &two_f) >= 1);
    check_same_log(&one_f, &two_f);
    free(one_f.v);
    free(two_f.v);
}

/* Mostly packets that are not TCP, far apart: many interval callbacks wait for their
 * turn (more than the pending queue holds) while no worker sees a packet. */
static void run_sparse(unsigned threads, struct log *log)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.threads = threads;
    struct tcpshake *h = tcpshake_new(&cfg, on_record, log);
    CHECK(h != NULL);
    if (h == NULL) {
        return;
    }
    tcpshake_set_interval(h, 1000000000ull, on_interval, log);
    uint8_t f[64];
    for (uint32_t i = 0; i < 500; i++) {
        size_t len = make_seg(f, i % 7, true, 0x02, i, 0);
        if (i % 100 != 0) {
            f[23] = 17; /* UDP: skipped, but it moves the clock */
        }
        tcpshake_feed(h, 1, (i + 1) * 10000000000ull, f, len, len);
    }
    tcpshake_flush(h);
    tcpshake_free(h);
}

static void test_sparse_intervals(void)
{
    struct log one = { 0 }, two = { 0 };
    run_sparse(1, &one);
    run_sparse(3, &two);
    CHECK(one.n > 400);
    check_same_log(&one, &two);
    free(one.v);
    free(two.v);
}

/* Every allocation tcpshake_new makes for two workers may fail: NULL, nothing leaked
 * (ASan), no thread left behind. */
static void test_new_out_of_memory(void)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.threads = 3;
    cfg.max_flows = 1024;
    unsigned long n;
    for (n = 1; n < 100; n++) {
        alloc_fail_after(n);
        struct tcpshake *h = tcpshake_new(&cfg, NULL, NULL);
        alloc_fail_after(0);
        if (h != NULL) {
            tcpshake_flush(h);
            tcpshake_free(h);
            break;
        }
    }
    CHECK(n > 3 && n < 100);
}

/* tcpshake_config_check names the field at fault, and tcpshake_new refuses what it refuses. */
static void test_config_check(void)
{
    static const struct {
        size_t max_flows;
        unsigned threads;
        const char *msg; /* "" for TCPSHAKE_OK */
    } cases[] = {
        { 262144, 0, "" },
        { 16, 64, "" },
        { 1u << 28, 1, "" },
        { 15, 1, "max_flows 15: want a number from 16 to 268435456" },
        { (1u << 28) + 1, 1, "max_flows 268435457: want a number from 16 to 268435456" },
        { 1024, 65, "threads 65: want a number from 0 to 64" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tcpshake_config cfg;
        tcpshake_config_default(&cfg);
        cfg.max_flows = cases[i].max_flows;
        cfg.threads = cases[i].threads;
        char msg[128] = "x";
        enum tcpshake_status want = cases[i].msg[0] != '\0' ? TCPSHAKE_ERR_ARG : TCPSHAKE_OK;
        CHECK_INT(tcpshake_config_check(&cfg, msg, sizeof(msg)), want);
        CHECK_STR(msg, cases[i].msg);
        CHECK_INT(tcpshake_config_check(&cfg, NULL, 0), want);
        if (want != TCPSHAKE_OK) {
            CHECK(tcpshake_new(&cfg, NULL, NULL) == NULL);
        }
    }
}

int main(void)
{
    test_key_order();
    test_same_as_one_thread();
    test_sparse_intervals();
    test_reader_takes_engine();
    test_new_out_of_memory();
    test_config_check();
    return check_report("shard");
}
