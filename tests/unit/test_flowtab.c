/*
 * test_flowtab.c - the bounded flow table, sequence arithmetic and the
 * engine's memory bounds: lookups survive heavy insert/remove churn
 * (backward-shift deletion), eviction prefers half-open entries, a SYN flood
 * larger than --max-flows stays within it, two handles never interfere, and
 * every allocation failure in tcpshake_new is a clean NULL.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "flowtab.h"
#include "seq.h"
#include "tcpshake.h"
#include "tracker.h"

/* A fixed key: these tests are about the table, not the secret. */
static const struct siphash_key test_key = { 0x0706050403020100u, 0x0f0e0d0c0b0a0908u };
static uint64_t test_probes;

static struct flow_tuple tuple_n(uint32_t n)
{
    struct flow_tuple t;
    memset(&t, 0, sizeof(t));
    t.ip_version = 4;
    t.vlan = -1;
    t.src[0] = 10;
    t.src[1] = (uint8_t)(n >> 16);
    t.src[2] = (uint8_t)(n >> 8);
    t.src[3] = (uint8_t)n;
    t.dst[0] = 192;
    t.dst[3] = 1;
    t.sport = (uint16_t)(1024 + n % 50000);
    t.dport = 80;
    return t;
}

static void test_seq(void)
{
    CHECK(seq_lt(1, 2));
    CHECK(seq_lt(0xfffffff0u, 5)); /* across the wrap */
    CHECK(seq_gt(5, 0xfffffff0u));
    CHECK(seq_leq(7, 7));
    CHECK(seq_geq(0, 0xffffffffu));
    CHECK_INT(seq_diff(5, 0xfffffffbu), 10);
    CHECK_INT(seq_diff(0xfffffffbu, 5), -10);
    CHECK_INT(seq_diff(0x80000000u, 0), INT32_MIN);
    CHECK_INT(seq_max(0xfffffff0u, 3), 3);
}

static void test_key_is_symmetric(void)
{
    struct flow_tuple a = tuple_n(7), b = a;
    memcpy(b.src, a.dst, 16);
    memcpy(b.dst, a.src, 16);
    b.sport = a.dport;
    b.dport = a.sport;
    struct flow_key ka, kb;
    flowtab_key(&a, &ka);
    flowtab_key(&b, &kb);
    CHECK(memcmp(&ka, &kb, sizeof(ka)) == 0);
    struct flowtab *ft = flowtab_new(16, &test_key, &test_probes);
    CHECK_INT(flowtab_hash(ft, &ka), flowtab_hash(ft, &kb));
    flowtab_free(ft);
    b.vlan = 5; /* another VLAN is another connection */
    flowtab_key(&b, &kb);
    CHECK(memcmp(&ka, &kb, sizeof(ka)) != 0);
}

static void test_churn(void)
{
    enum { CAP = 1000, ROUNDS = 20000 };
    struct flowtab *ft = flowtab_new(CAP, &test_key, &test_probes);
    CHECK(ft != NULL);
    static bool present[CAP * 4];
    uint32_t rng = 12345;
    for (int i = 0; i < ROUNDS; i++) {
        rng = rng * 1103515245u + 12345u;
        uint32_t n = (rng >> 8) % (CAP * 4);
        struct flow_tuple t = tuple_n(n);
        struct flow_key k;
        flowtab_key(&t, &k);
        uint32_t h = flowtab_hash(ft, &k);
        struct conn *c = flowtab_find(ft, &k, h);
        CHECK((c != NULL) == present[n]);
        if (c != NULL) {
            flowtab_remove(ft, c);
            present[n] = false;
        } else if (!flowtab_full(ft)) {
            CHECK(flowtab_insert(ft, &k, h, (uint64_t)i) != NULL);
            present[n] = true;
        }
    }
    size_t live = 0;
    for (uint32_t n = 0; n < CAP * 4; n++) {
        struct flow_tuple t = tuple_n(n);
        struct flow_key k;
        flowtab_key(&t, &k);
        bool found = flowtab_find(ft, &k, flowtab_hash(ft, &k)) != NULL;
        CHECK(found == present[n]);
        live += found;
    }
    CHECK_U64(live, flowtab_count(ft));
    flowtab_free(ft);
}

/* Insert connection n (tuple_n) as seen at now_ns. */
static struct conn *insert_n(struct flowtab *ft, uint32_t n, uint64_t now_ns)
{
    struct flow_tuple t = tuple_n(n);
    struct flow_key k;
    flowtab_key(&t, &k);
    return flowtab_insert(ft, &k, flowtab_hash(ft, &k), now_ns);
}

static void test_victim_order(void)
{
    struct flowtab *ft = flowtab_new(4, &test_key, &test_probes);
    struct conn *c[3];
    for (uint32_t i = 0; i < 3; i++) {
        c[i] = insert_n(ft, i, i);
    }
    flowtab_touch(ft, c[0], FLOW_ESTABLISHED, 10);
    flowtab_touch(ft, c[1], FLOW_CLOSED, 11);
    /* c[2] is still handshake-only: it goes first, then closed, then established.
     * Prefetching the next victim's lines is a hint only: it changes no choice. */
    flowtab_prefetch_victim(ft);
    CHECK(flowtab_victim(ft) == c[2]);
    flowtab_remove(ft, c[2]);
    flowtab_prefetch_victim(ft);
    CHECK(flowtab_victim(ft) == c[1]);
    flowtab_remove(ft, c[1]);
    flowtab_prefetch_victim(ft);
    CHECK(flowtab_victim(ft) == c[0]);
    CHECK_U64(flowtab_count(ft), 1);
    flowtab_remove(ft, c[0]);
    flowtab_prefetch_victim(ft); /* an empty table: nothing to fetch */
    CHECK(flowtab_victim(ft) == NULL);
    flowtab_free(ft);
}

/* The idle lists stay in last_ns order and every cached time expiry reads
 * instead of loading a connection is a lower bound, exact for the head once
 * settled, through inserts, touches (in place at the tail, or moving between
 * classes) and removals. */
static void check_idle_lists(struct flowtab *ft, size_t *seen)
{
    for (int cls = 0; cls < FLOW_CLASS_COUNT; cls++) {
        const struct conn *c = flowtab_oldest(ft, (enum flow_class)cls);
        uint64_t bound = flowtab_oldest_ns(ft, (enum flow_class)cls);
        if (c == NULL) {
            CHECK_U64(bound, UINT64_MAX);
        }
        for (; c != NULL; c = flowtab_next(ft, c)) {
            CHECK(bound <= c->link.last_ns);
            CHECK_INT(c->link.cls, cls);
            const struct conn *n = flowtab_next(ft, c);
            CHECK(n == NULL || c->link.last_ns <= n->link.last_ns);
            bound = flowtab_next_ns(ft, c);
            (*seen)++;
        }
        uint64_t exact = flowtab_settle_oldest(ft, (enum flow_class)cls);
        CHECK_U64(flowtab_oldest_ns(ft, (enum flow_class)cls), exact);
        const struct conn *head = flowtab_oldest(ft, (enum flow_class)cls);
        CHECK_U64(exact, head != NULL ? head->link.last_ns : UINT64_MAX);
    }
}

/* The bounds are exact wherever a connection was not touched in place since. */
static void test_idle_list_bounds_exact(void)
{
    struct flowtab *ft = flowtab_new(8, &test_key, &test_probes);
    struct conn *c[3];
    for (uint32_t i = 0; i < 3; i++) {
        c[i] = insert_n(ft, i, i + 1); /* A at 1, B at 2, C at 3 */
    }
    CHECK_U64(flowtab_oldest_ns(ft, FLOW_HANDSHAKE), 1);
    CHECK_U64(flowtab_next_ns(ft, c[0]), 2);
    CHECK_U64(flowtab_next_ns(ft, c[1]), 3);
    flowtab_remove(ft, c[1]);
    CHECK_U64(flowtab_next_ns(ft, c[0]), 3);
    flowtab_touch(ft, c[0], FLOW_HANDSHAKE, 5); /* A moves behind C */
    CHECK(flowtab_oldest(ft, FLOW_HANDSHAKE) == c[2]);
    CHECK_U64(flowtab_oldest_ns(ft, FLOW_HANDSHAKE), 3);
    CHECK_U64(flowtab_next_ns(ft, c[2]), 5);
    flowtab_touch(ft, c[0], FLOW_HANDSHAKE, 6); /* the tail, in place: C's bound lags */
    CHECK_U64(flowtab_next_ns(ft, c[2]), 5);
    CHECK_U64(c[0]->link.last_ns, 6);
    flowtab_touch(ft, c[2], FLOW_CLOSED, 7); /* C leaves: A heads the list, bound 5 */
    CHECK(flowtab_oldest(ft, FLOW_HANDSHAKE) == c[0]);
    CHECK_U64(flowtab_oldest_ns(ft, FLOW_HANDSHAKE), 5);
    CHECK_U64(flowtab_settle_oldest(ft, FLOW_HANDSHAKE), 6);
    CHECK_U64(flowtab_oldest_ns(ft, FLOW_HANDSHAKE), 6);
    CHECK_U64(flowtab_oldest_ns(ft, FLOW_CLOSED), 7);
    CHECK_U64(flowtab_oldest_ns(ft, FLOW_ESTABLISHED), UINT64_MAX);
    flowtab_free(ft);
}

static void test_idle_list_bounds(void)
{
    enum { CAP = 64, ROUNDS = 20000 };
    struct flowtab *ft = flowtab_new(CAP, &test_key, &test_probes);
    CHECK(ft != NULL);
    struct conn *live[CAP];
    size_t n_live = 0;
    uint32_t rng = 777;
    uint64_t now = 1;
    for (uint32_t i = 0; i < ROUNDS; i++) {
        rng = rng * 1103515245u + 12345u;
        uint32_t r = rng >> 8;
        now += r % 3; /* equal times too */
        if (n_live < CAP && (n_live == 0 || r % 4 == 0)) {
            live[n_live++] = insert_n(ft, i, now);
        } else if (r % 7 == 0) {
            size_t at = (r >> 4) % n_live;
            flowtab_remove(ft, live[at]);
            live[at] = live[--n_live];
        } else {
            /* Touch the newest of a class often, so tails are touched in place. */
            size_t at = r % 2 ? n_live - 1 : (r >> 4) % n_live;
            flowtab_touch(ft, live[at], (enum flow_class)((r >> 12) % FLOW_CLASS_COUNT), now);
        }
        if (i % 97 == 0) {
            size_t seen = 0;
            check_idle_lists(ft, &seen);
            CHECK_U64(seen, n_live);
        }
    }
    flowtab_free(ft);
}

/* An Ethernet + IPv4 + TCP SYN from 10.x.y.z:port to 192.0.2.1:80. */
static size_t make_syn(uint8_t *f, uint32_t n)
{
    static const uint8_t tmpl[54] = {
        0,    1, 2, 3,  4, 5, 0,    1, 2,  3, 4, 6, 0x08, 0x00, /* Ethernet */
        0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10,   0,    0,    0,    192, 0, 2, 1, /* IPv4 */
        0,    0, 0, 80, 0, 0, 0x10, 0, 0,  0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0,   0, 0, 0, /* TCP */
    };
    memcpy(f, tmpl, sizeof(tmpl));
    f[27] = (uint8_t)(n >> 16);
    f[28] = (uint8_t)(n >> 8);
    f[29] = (uint8_t)n;
    f[34] = (uint8_t)((1024 + n % 60000) >> 8);
    f[35] = (uint8_t)(1024 + n % 60000);
    return sizeof(tmpl);
}

static void count_record(const struct tcpshake_record *r, void *user)
{
    uint64_t *n = user;
    (void)r;
    (*n)++;
}

static void test_syn_flood_is_bounded(void)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.max_flows = 64;
    uint64_t records = 0;
    struct tcpshake *h = tcpshake_new(&cfg, count_record, &records);
    uint8_t frame[64];
    for (uint32_t i = 0; i < 10000; i++) {
        size_t len = make_syn(frame, i);
        CHECK_INT(tcpshake_feed(h, 1, 1000000000ull + i, frame, len, len), TCPSHAKE_OK);
    }
    const struct tcpshake_stats *st = tcpshake_get_stats(h);
    CHECK_U64(st->flows_peak, 64);
    CHECK_U64(st->evictions, 10000 - 64);
    CHECK_U64(st->evictions_half_open, 10000 - 64);
    tcpshake_flush(h);
    CHECK_U64(records, 10000);
    CHECK_U64(st->connections, 10000);
    CHECK_INT(tcpshake_feed(h, 9999, 0, frame, 10, 10), TCPSHAKE_ERR_LINKTYPE);
    tcpshake_free(h);
}

static void test_handles_are_independent(void)
{
    uint64_t a = 0, b = 0;
    struct tcpshake *ha = tcpshake_new(NULL, count_record, &a);
    struct tcpshake *hb = tcpshake_new(NULL, count_record, &b);
    uint8_t frame[64];
    size_t len = make_syn(frame, 1);
    tcpshake_feed(ha, 1, 5, frame, len, len);
    tcpshake_flush(hb);
    CHECK_U64(b, 0);
    tcpshake_flush(ha);
    CHECK_U64(a, 1);
    CHECK_U64(tcpshake_get_stats(hb)->packets_read, 0);
    tcpshake_free(ha);
    tcpshake_free(hb);
}

static void test_alloc_failures(void)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.max_flows = 100;
    cfg.bpf = "tcp";
    /* Fail each allocation of tcpshake_new in turn; each must give NULL, and
     * LeakSanitizer (in the ASan run) proves nothing taken before leaks. */
    int failures = 0;
    for (unsigned long n = 1; n < 20; n++) {
        alloc_fail_after(n);
        struct tcpshake *h = tcpshake_new(&cfg, NULL, NULL);
        alloc_fail_after(0);
        if (h == NULL) {
            failures++;
        } else {
            tcpshake_free(h);
            break;
        }
    }
    CHECK(failures >= 4); /* handle, filter copy, pool, slots, flush order */
    struct tcpshake *h = tcpshake_new(&cfg, NULL, NULL);
    CHECK(h != NULL);
    tcpshake_free(h);
    cfg.max_flows = 1;
    CHECK(tcpshake_new(&cfg, NULL, NULL) == NULL);
}

/* Tuples whose hash under test_key has its home among the first `span` slots of
 * a table of `slots` slots (what an attacker who knew the key would send). */
static size_t crafted_tuples(uint32_t *out, size_t n, size_t slots, size_t span)
{
    struct flowtab *ft = flowtab_new(16, &test_key, &test_probes);
    size_t found = 0;
    for (uint32_t i = 0; found < n && i < (1u << 24); i++) {
        struct flow_tuple t = tuple_n(i);
        struct flow_key k;
        flowtab_key(&t, &k);
        if ((flowtab_hash(ft, &k) & (slots - 1)) < span) {
            out[found++] = i;
        }
    }
    flowtab_free(ft);
    return found;
}

/* The probe window: 400 flows aimed at 8 home slots of a 2048-slot table.
 * Without a bound they would form one run of 400 and each insertion would walk
 * it; with it no operation looks at more than FLOWTAB_WINDOW slots, a new flow
 * whose window is full takes the place of the window's first victim
 * (handshake-only and oldest before established), and every flow still in the
 * table is found, also after deletions in the crowded run. */
static void test_crowded_window(void)
{
    enum { CAP = 1024, SLOTS = 2048, N = 400 };
    static uint32_t ids[N];
    CHECK_U64(crafted_tuples(ids, N, SLOTS, 8), N);
    struct flowtab *ft = flowtab_new(CAP, &test_key, &test_probes);
    static struct conn *conn_of[N];
    size_t crowded = 0;
    uint64_t worst = 0;
    for (size_t i = 0; i < N; i++) {
        struct flow_tuple t = tuple_n(ids[i]);
        struct flow_key k;
        flowtab_key(&t, &k);
        uint32_t h = flowtab_hash(ft, &k);
        uint64_t before = test_probes;
        CHECK(flowtab_find(ft, &k, h) == NULL);
        struct conn *victim = flowtab_crowded(ft, h);
        if (victim != NULL) {
            crowded++;
            /* Established flows are spared while handshake-only ones remain. */
            CHECK_INT(victim->link.cls, FLOW_HANDSHAKE);
            for (size_t j = 0; j < i; j++) {
                if (conn_of[j] == victim) {
                    conn_of[j] = NULL;
                }
            }
            conn_of[i] = flowtab_reuse(ft, victim, &k, h, i);
        } else {
            conn_of[i] = flowtab_insert(ft, &k, h, i);
        }
        CHECK(conn_of[i] != NULL);
        conn_of[i]->facts.id = i + 1;
        if (i % 3 == 0) {
            flowtab_touch(ft, conn_of[i], FLOW_ESTABLISHED, i);
        }
        uint64_t cost = test_probes - before;
        worst = cost > worst ? cost : worst;
    }
    CHECK(crowded > 0);
    CHECK_U64(flowtab_count(ft), N - crowded);
    /* find + crowded + insert or reuse: each at most one window. */
    CHECK(worst <= 3 * FLOWTAB_WINDOW);
    /* Every flow still held is found; remove every other one, then look again. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < N; i++) {
            struct flow_tuple t = tuple_n(ids[i]);
            struct flow_key k;
            flowtab_key(&t, &k);
            uint64_t before = test_probes;
            struct conn *c = flowtab_find(ft, &k, flowtab_hash(ft, &k));
            CHECK(test_probes - before <= FLOWTAB_WINDOW);
            CHECK(c == conn_of[i]);
            if (pass == 0 && c != NULL && i % 2 == 0) {
                before = test_probes;
                flowtab_remove(ft, c);
                CHECK(test_probes - before <= 2 * FLOWTAB_WINDOW + 1);
                conn_of[i] = NULL;
            }
        }
    }
    flowtab_free(ft);
}

int main(void)
{
    test_seq();
    test_key_is_symmetric();
    test_churn();
    test_idle_list_bounds_exact();
    test_idle_list_bounds();
    test_victim_order();
    test_crowded_window();
    test_syn_flood_is_bounded();
    test_handles_are_independent();
    test_alloc_failures();
    return check_report("flowtab");
}
