/*
 * gen_trace.c - a deterministic generator of realistic TCP traffic as a classic pcap file
 * (nanosecond magic 0xa1b23c4d, LINKTYPE_ETHERNET), for `make bench`.
 *
 * What it writes, all driven by one seeded PRNG (xoshiro256**, never rand()):
 *   - connections, IPv4 and IPv6 (80/20), with real handshakes carrying options (Linux style
 *     MSS, SACK-permitted, timestamps, window scale; a fifth Windows style without timestamps),
 *     request/response rounds, and a close: FIN from the client or the server, or a RST;
 *   - refused connections (SYN, RST-ACK) and unanswered SYNs retransmitted after 1, 2, 4 s...;
 *   - answered connections whose SYN or SYN-ACK was retransmitted once (1 s later);
 *   - a SYN flood burst (--flood N: N SYNs from distinct random sources to one server);
 *   - a port scan (--scan N: one source, N ports: SYN, then RST-ACK, or SYN-ACK and RST);
 *   - TLS (--tls PERCENT: that share of the answered connections, to port 443): after the
 *     handshake a TLS 1.3 ClientHello as a browser sends it (GREASE, SNI, ALPN, key shares;
 *     60 % with a post-quantum X25519MLKEM768 share and ECH GREASE, 1.77-1.84 KB in two
 *     segments, the rest padded to 512-712 bytes), the server's flight (ServerHello, ChangeCipherSpec and
 *     encrypted records of 2.5-6 KB for its certificate chain), the client's ChangeCipherSpec
 *     and Finished, then the request/response rounds as application data records (one record
 *     per segment; see tls_client_hello).
 * Each connection is a small state machine producing its next packet and that packet's time;
 * a binary min-heap of next-packet times merges them, so output timestamps never decrease and
 * concurrent connections interleave as they would on a wire.
 *
 * Latencies: the server side (SYN -> SYN-ACK as seen at the capture point) is log-normal,
 * median 2 ms, clamped to 0.1-100 ms; the client side (SYN-ACK -> ACK) log-normal, median
 * 15 ms, clamped to 0.3-500 ms. Lengths (IPv4 total length, IPv6 payload length, TCP data
 * offset) are correct; the IPv4 header checksum is computed; TCP checksums are left 0.
 *
 * Usage: gen_trace -o FILE [-p PACKETS] [-c CONNECTIONS] [-s SEED] [-d SECONDS]
 *                  [--flood N] [--scan N] [--snaplen N] [--ooo N] [--tls PERCENT]
 * --ooo N writes one connection of N reordered segments instead (see ooo_connection).
 * -p is approximate: the mean number of request/response rounds per connection is chosen so
 * the total comes out near it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS  1000000ull
#define NS_PER_SEC 1000000000ull
#define T0_NS      (1700000000ull * NS_PER_SEC) /* 2023-11-14, an arbitrary start */
#define MAX_PKT    1600                         /* Ethernet + IPv6 + TCP + one MSS */
#define OUT_BUF    (8u << 20)

/* TCP flags (RFC 9293 §3.1). */
enum { F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10 };

enum kind {
    K_NORMAL,
    K_REFUSED,
    K_UNANSWERED,
    K_FLOOD,
    K_SCAN,
    K_SPAWN_CONN, /* spawners: popped from the heap, they start a new connection */
    K_SPAWN_FLOOD,
    K_SPAWN_SCAN,
};

enum state {
    S_SYN,
    S_SYNACK,
    S_ACK,
    S_REQ,
    S_RESP,
    S_RESP_ACK,
    S_CLOSE,
    S_FIN2,
    S_LASTACK,
    S_RSTACK,   /* refused: the server answers the SYN with RST-ACK */
    S_SCAN_RST, /* scan: the scanner resets an open port's SYN-ACK */
    S_DONE,
    S_TLS_CH, /* --tls: the client's ClientHello, in segments of at most mss */
    S_TLS_SF, /* the server's flight */
    S_TLS_CF, /* the client's ChangeCipherSpec and Finished */
};

enum close_how { C_CLIENT_FIN, C_SERVER_FIN, C_CLIENT_RST, C_SERVER_RST };

/* How a scanned port answers: SYN-ACK, RST-ACK, or not at all. */
enum scan_answer { A_CLOSED, A_OPEN, A_FILTERED };

enum synopts { O_NONE, O_MSS_ONLY, O_LINUX, O_WINDOWS };

struct conn {
    uint64_t t_ns;       /* time of the next packet */
    uint64_t rto_ns;     /* next SYN retransmission gap */
    uint64_t srv_lat_ns; /* server side latency at the capture point */
    uint64_t cli_lat_ns; /* client side latency at the capture point */
    uint64_t t_start_ns; /* first SYN, the timestamp clocks' origin */
    uint8_t cli_ip[16];  /* client address (first 4 bytes for IPv4) */
    uint8_t srv_ip[16];  /* server address */
    uint16_t cli_port;
    uint16_t srv_port;
    uint32_t cli_seq;       /* client's next sequence number */
    uint32_t srv_seq;       /* server's next sequence number */
    uint32_t cli_tsbase;    /* client TSval at t_start_ns */
    uint32_t srv_tsbase;    /* server TSval at t_start_ns */
    uint32_t flow_label;    /* IPv6 flow label, or the next IPv4 id */
    uint32_t rounds_left;   /* request/response rounds still to come */
    uint32_t resp_left_len; /* response bytes still to send this round */
    uint32_t burst_len;     /* bytes sent in the current burst */
    uint32_t burst_acked;   /* bytes of the burst the client has acknowledged */
    uint16_t mss;
    uint8_t kind;
    uint8_t state;
    uint8_t v6;
    uint8_t use_ts;
    uint8_t syn_retx;    /* SYN retransmissions still to send */
    uint8_t synack_retx; /* SYN-ACK retransmissions still to send */
    uint8_t close_how;
    uint8_t burst_segs;  /* segments left in the current burst */
    uint8_t scan_answer; /* scan probe: enum scan_answer */
    uint8_t cli_ttl;
    uint8_t srv_ttl;
    uint8_t tls;       /* --tls: a TLS connection */
    uint32_t tls_seed; /* its hellos' bytes come from this seed (tls_client_hello) */
    uint32_t tls_off;  /* bytes of the current flight already sent */
};

struct heap_item {
    uint64_t t_ns;
    uint32_t idx;
};

struct rng {
    uint64_t s[4];
};

struct gen {
    struct rng rng;
    FILE *out;
    uint32_t snaplen;
    struct conn *pool; /* connections and spawners, indexed by heap items */
    uint32_t *free_idx;
    size_t pool_len, pool_cap, n_free;
    struct heap_item *heap;
    size_t heap_len, heap_cap;
    /* What remains to be spawned and how. */
    uint64_t conns_left, flood_left, scan_left;
    uint64_t conn_gap_ns, flood_gap_ns, scan_gap_ns;
    double rounds_mean;
    uint8_t flood_srv[4], scan_src[4], scan_dst[4];
    uint16_t scan_sport;
    uint32_t scan_next_port;
    /* Counters for the closing line. */
    uint64_t n_pkts, n_bytes, n_conns;
    double tls_frac; /* --tls PERCENT / 100 */
    uint64_t n_tls;
    const uint8_t *data; /* the next segment's first data_len payload bytes (zeros after) */
    uint32_t data_len;
};

/* ------------------------------------------------------------------ PRNG */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix64(&seed);
    }
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_u64(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static uint32_t rng_u32(struct rng *r)
{
    return (uint32_t)(rng_u64(r) >> 32);
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
    return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(rng_unit(r) * n);
}

static bool rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

static double rng_exp(struct rng *r, double mean)
{
    return -mean * log(1.0 - rng_unit(r));
}

/* Log-normal with the given median, by Box-Muller. */
static double rng_lognormal(struct rng *r, double median, double sigma)
{
    double u1 = 1.0 - rng_unit(r);
    double u2 = rng_unit(r);
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    return median * exp(sigma * z);
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* -------------------------------------------------------------- the heap */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) {
        fprintf(stderr, "gen_trace: out of memory\n");
        exit(1);
    }
    return q;
}

static void heap_push(struct gen *g, uint64_t t_ns, uint32_t idx)
{
    if (g->heap_len == g->heap_cap) {
        g->heap_cap = g->heap_cap ? g->heap_cap * 2 : 4096;
        g->heap = xrealloc(g->heap, g->heap_cap * sizeof(*g->heap));
    }
    size_t i = g->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (g->heap[parent].t_ns <= t_ns) {
            break;
        }
        g->heap[i] = g->heap[parent];
        i = parent;
    }
    g->heap[i].t_ns = t_ns;
    g->heap[i].idx = idx;
}

static struct heap_item heap_pop(struct gen *g)
{
    struct heap_item top = g->heap[0];
    struct heap_item last = g->heap[--g->heap_len];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= g->heap_len) {
            break;
        }
        if (child + 1 < g->heap_len && g->heap[child + 1].t_ns < g->heap[child].t_ns) {
            child++;
        }
        if (last.t_ns <= g->heap[child].t_ns) {
            break;
        }
        g->heap[i] = g->heap[child];
        i = child;
    }
    if (g->heap_len > 0) {
        g->heap[i] = last;
    }
    return top;
}

static uint32_t conn_alloc(struct gen *g)
{
    if (g->n_free > 0) {
        return g->free_idx[--g->n_free];
    }
    if (g->pool_len == g->pool_cap) {
        g->pool_cap = g->pool_cap ? g->pool_cap * 2 : 4096;
        g->pool = xrealloc(g->pool, g->pool_cap * sizeof(*g->pool));
        g->free_idx = xrealloc(g->free_idx, g->pool_cap * sizeof(*g->free_idx));
    }
    return (uint32_t)g->pool_len++;
}

static void conn_release(struct gen *g, uint32_t idx)
{
    g->free_idx[g->n_free++] = idx;
}

/* --------------------------------------------------------- packet output */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void write_or_die(struct gen *g, const void *p, size_t n)
{
    if (fwrite(p, 1, n, g->out) != n) {
        fprintf(stderr, "gen_trace: write failed: %s\n", strerror(errno));
        exit(1);
    }
}

/* One segment as the caller describes it; the options are chosen from syn_opts/use_ts. */
struct seg {
    bool from_client;
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t window;
    uint32_t payload_len;
    uint8_t syn_opts; /* enum synopts, for SYN and SYN-ACK */
};

static size_t tcp_options(const struct conn *c, const struct seg *s, uint8_t *o)
{
    uint32_t ms = (uint32_t)((c->t_ns - c->t_start_ns) / NS_PER_MS);
    uint32_t tsval = (s->from_client ? c->cli_tsbase : c->srv_tsbase) + ms;
    uint32_t tsecr = (s->from_client ? c->srv_tsbase : c->cli_tsbase) + ms;
    bool syn_ack = s->flags == (F_SYN | F_ACK);
    if (s->flags & F_RST) {
        return 0; /* Linux sends resets without options */
    }
    switch (s->syn_opts) {
    case O_NONE:
        break;
    case O_MSS_ONLY:
        memcpy(o, (const uint8_t[]){ 2, 4, 0, 0 }, 4);
        put16(o + 2, c->mss);
        return 4;
    case O_LINUX: /* MSS, SACK-permitted, timestamps, NOP, window scale 7 */
        memcpy(o, (const uint8_t[]){ 2, 4, 0, 0, 4, 2, 8, 10 }, 8);
        put16(o + 2, c->mss);
        put32(o + 8, tsval);
        put32(o + 12, syn_ack ? c->cli_tsbase : 0);
        memcpy(o + 16, (const uint8_t[]){ 1, 3, 3, 7 }, 4);
        return 20;
    case O_WINDOWS: /* MSS, NOP, window scale 8, NOP, NOP, SACK-permitted */
        memcpy(o, (const uint8_t[]){ 2, 4, 0, 0, 1, 3, 3, 8, 1, 1, 4, 2 }, 12);
        put16(o + 2, c->mss);
        return 12;
    default:
        break;
    }
    if (s->syn_opts == O_NONE && !(s->flags & F_SYN) && c->use_ts) {
        memcpy(o, (const uint8_t[]){ 1, 1, 8, 10 }, 4);
        put32(o + 4, tsval);
        put32(o + 8, tsecr - (s->from_client ? 0 : 1));
        return 12;
    }
    return 0;
}

static size_t ip_header(const struct conn *c, const struct seg *s, uint8_t *p, size_t l4_len)
{
    const uint8_t *src = s->from_client ? c->cli_ip : c->srv_ip;
    const uint8_t *dst = s->from_client ? c->srv_ip : c->cli_ip;
    uint8_t ttl = s->from_client ? c->cli_ttl : c->srv_ttl;
    if (c->v6) {
        put32(p, 0x60000000u | (c->flow_label & 0xfffffu));
        put16(p + 4, (uint32_t)l4_len);
        p[6] = 6; /* next header: TCP */
        p[7] = ttl;
        memcpy(p + 8, src, 16);
        memcpy(p + 24, dst, 16);
        return 40;
    }
    p[0] = 0x45;
    p[1] = 0;
    put16(p + 2, (uint32_t)(20 + l4_len));
    put16(p + 4, (c->flow_label + (uint32_t)(c->t_ns >> 10)) & 0xffffu);
    put16(p + 6, 0x4000); /* DF */
    p[8] = ttl;
    p[9] = 6;
    p[10] = p[11] = 0;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    uint32_t sum = 0; /* RFC 791 header checksum */
    for (int i = 0; i < 20; i += 2) {
        sum += ((uint32_t)p[i] << 8) | p[i + 1];
    }
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    put16(p + 10, ~sum & 0xffffu);
    return 20;
}

static void emit(struct gen *g, const struct conn *c, const struct seg *s)
{
    static const uint8_t mac_client_side[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
    static const uint8_t mac_server_side[6] = { 0x02, 0x00, 0x5e, 0x20, 0x00, 0x02 };
    static const uint8_t zeros[MAX_PKT];
    uint8_t pkt[16 + 14 + 40 + 60];
    uint8_t opts[40];
    size_t opt_len = tcp_options(c, s, opts);
    size_t tcp_len = 20 + opt_len;
    uint8_t *eth = pkt + 16;
    memcpy(eth, s->from_client ? mac_server_side : mac_client_side, 6);
    memcpy(eth + 6, s->from_client ? mac_client_side : mac_server_side, 6);
    put16(eth + 12, c->v6 ? 0x86dd : 0x0800);
    uint8_t *ip = eth + 14;
    size_t ip_len = ip_header(c, s, ip, tcp_len + s->payload_len);
    uint8_t *tcp = ip + ip_len;
    put16(tcp, s->from_client ? c->cli_port : c->srv_port);
    put16(tcp + 2, s->from_client ? c->srv_port : c->cli_port);
    put32(tcp + 4, s->seq);
    put32(tcp + 8, s->ack);
    tcp[12] = (uint8_t)((tcp_len / 4) << 4);
    tcp[13] = s->flags;
    put16(tcp + 14, s->window);
    put32(tcp + 16, 0); /* checksum and urgent pointer */
    memcpy(tcp + 20, opts, opt_len);
    size_t hdr_len = 14 + ip_len + tcp_len;
    size_t wire_len = hdr_len + s->payload_len;
    size_t cap_len = wire_len < g->snaplen ? wire_len : g->snaplen;
    put32le(pkt, (uint32_t)(c->t_ns / NS_PER_SEC));
    put32le(pkt + 4, (uint32_t)(c->t_ns % NS_PER_SEC));
    put32le(pkt + 8, (uint32_t)cap_len);
    put32le(pkt + 12, (uint32_t)wire_len);
    if (cap_len <= hdr_len) {
        write_or_die(g, pkt, 16 + cap_len);
    } else {
        write_or_die(g, pkt, 16 + hdr_len);
        size_t room = cap_len - hdr_len;
        size_t data = g->data_len < room ? g->data_len : room;
        if (data > 0) {
            write_or_die(g, g->data, data);
        }
        write_or_die(g, zeros, room - data);
    }
    g->data = NULL;
    g->data_len = 0;
    g->n_pkts++;
    g->n_bytes += 16 + cap_len;
}

/* -------------------------------------------------- connection behaviour */

/* --tls (below): the choice, and what a TLS connection's data segments carry. */
static void tls_pick(struct gen *g, struct conn *c);
static void tls_data_record(struct gen *g, const struct conn *c, uint32_t len, uint8_t hdr[5]);
static uint32_t tls_response_len(const struct conn *c, uint32_t len);

static uint64_t srv_latency(struct rng *r)
{
    return (uint64_t)(clamp(rng_lognormal(r, 2.0, 1.3), 0.1, 100.0) * NS_PER_MS);
}

static uint64_t cli_latency(struct rng *r)
{
    return (uint64_t)(clamp(rng_lognormal(r, 15.0, 1.0), 0.3, 500.0) * NS_PER_MS);
}

static uint64_t small_gap(struct rng *r)
{
    return 5000 + (uint64_t)rng_exp(r, 40000.0); /* 5 us + Exp(40 us) */
}

static uint32_t response_len(struct rng *r)
{
    return (uint32_t)clamp(rng_lognormal(r, 500.0, 1.4), 1.0, 2000000.0);
}

static uint32_t request_len(struct rng *r)
{
    return (uint32_t)clamp(rng_lognormal(r, 250.0, 0.6), 20.0, 1400.0);
}

/* Segments of at most mss bytes, sent in bursts of up to 10, each pair acknowledged. */
static double packets_per_round(uint32_t resp_len, uint32_t mss)
{
    uint32_t segs = (resp_len + mss - 1) / mss;
    uint32_t bursts = (segs + 9) / 10;
    uint32_t acks = 0;
    for (uint32_t b = 0; b < bursts; b++) {
        uint32_t in_burst = segs - b * 10 < 10 ? segs - b * 10 : 10;
        acks += (in_burst + 1) / 2;
    }
    return 1.0 + segs + acks;
}

static void random_ip(struct rng *r, struct conn *c, bool client)
{
    uint8_t *ip = client ? c->cli_ip : c->srv_ip;
    memset(ip, 0, 16);
    if (c->v6) {
        /* 2001:db8:c::/48 clients, 2001:db8:5::/48 servers (RFC 3849). */
        ip[0] = 0x20, ip[1] = 0x01, ip[2] = 0x0d, ip[3] = 0xb8;
        ip[5] = client ? 0x0c : 0x05;
        uint32_t host = client ? 1 + rng_below(r, 40000) : 1 + rng_below(r, 64);
        put32(ip + 12, host);
        ip[8] = client ? (uint8_t)(host * 37) : 0;
    } else if (client) {
        put32(ip, 0x0a000000u | (1 + rng_below(r, 200000))); /* 10/8 */
    } else {
        /* A few popular servers take most of the load (roughly Zipf). */
        uint32_t rank = (uint32_t)clamp(rng_exp(r, 12.0), 0.0, 199.0);
        put32(ip, 0xac100000u | (1 + rank)); /* 172.16/12 */
    }
}

static uint16_t server_port(struct rng *r)
{
    static const uint16_t ports[] = { 443, 443, 443,  443,  443,  443, 80,   80,
                                      80,  22,  8080, 5432, 8000, 25,  8443, 6379 };
    return ports[rng_below(r, sizeof(ports) / sizeof(ports[0]))];
}

static void conn_common(struct gen *g, struct conn *c, uint64_t t_ns)
{
    struct rng *r = &g->rng;
    c->t_ns = c->t_start_ns = t_ns;
    c->state = S_SYN;
    c->cli_seq = rng_u32(r);
    c->srv_seq = rng_u32(r);
    c->cli_tsbase = rng_u32(r);
    c->srv_tsbase = rng_u32(r);
    c->flow_label = rng_u32(r);
    c->srv_lat_ns = srv_latency(r);
    c->cli_lat_ns = cli_latency(r);
    c->cli_port = (uint16_t)(32768 + rng_below(r, 28232));
    c->cli_ttl = (uint8_t)(64 - 3 - rng_below(r, 12));
    c->srv_ttl = (uint8_t)(rng_chance(r, 0.8) ? 63 : 127);
    c->rto_ns = NS_PER_SEC;
    c->syn_retx = c->synack_retx = 0;
    c->use_ts = 0;
    c->rounds_left = 0;
    c->tls = 0;
    c->tls_off = 0;
    g->n_conns++;
}

static void new_connection(struct gen *g, struct conn *c, uint64_t t_ns)
{
    struct rng *r = &g->rng;
    c->v6 = rng_chance(r, 0.2);
    conn_common(g, c, t_ns);
    random_ip(r, c, true);
    random_ip(r, c, false);
    c->srv_port = server_port(r);
    c->mss = c->v6 ? 1440 : 1460;
    c->use_ts = rng_chance(r, 0.8);
    double u = rng_unit(r);
    if (u < 0.05) {
        c->kind = K_REFUSED;
    } else if (u < 0.09) {
        c->kind = K_UNANSWERED;
        c->syn_retx = (uint8_t)(1 + rng_below(r, 6)); /* Linux gives up after 6 */
    } else {
        c->kind = K_NORMAL;
        c->syn_retx = rng_chance(r, 0.03) ? 1 : 0;
        c->synack_retx = rng_chance(r, 0.02) ? 1 : 0;
        c->rounds_left = (uint32_t)(rng_exp(r, g->rounds_mean) + 0.5);
        double v = rng_unit(r);
        c->close_how = v < 0.6    ? C_CLIENT_FIN
                       : v < 0.85 ? C_SERVER_FIN
                       : v < 0.95 ? C_CLIENT_RST
                                  : C_SERVER_RST;
        tls_pick(g, c);
    }
}

static void new_flood_syn(struct gen *g, struct conn *c, uint64_t t_ns)
{
    c->v6 = 0;
    c->kind = K_FLOOD;
    conn_common(g, c, t_ns);
    memset(c->cli_ip, 0, 16);
    memset(c->srv_ip, 0, 16);
    put32(c->cli_ip, rng_u32(&g->rng) | 0x01000000u); /* spoofed: anywhere but 0/8 */
    memcpy(c->srv_ip, g->flood_srv, 4);
    c->cli_port = (uint16_t)(1024 + rng_below(&g->rng, 64512));
    c->srv_port = 80;
    c->cli_ttl = (uint8_t)(30 + rng_below(&g->rng, 200));
}

static void new_scan_probe(struct gen *g, struct conn *c, uint64_t t_ns)
{
    c->v6 = 0;
    c->kind = K_SCAN;
    conn_common(g, c, t_ns);
    memset(c->cli_ip, 0, 16);
    memset(c->srv_ip, 0, 16);
    memcpy(c->cli_ip, g->scan_src, 4);
    memcpy(c->srv_ip, g->scan_dst, 4);
    c->cli_port = g->scan_sport;
    c->srv_port = (uint16_t)(1 + g->scan_next_port % 65535);
    if (++g->scan_next_port % 65535 == 0) {
        g->scan_dst[3]++; /* the next target host */
    }
    c->mss = 1460;
    c->cli_lat_ns = 20000 + rng_below(&g->rng, 200000); /* the scanner resets at once */
    c->srv_lat_ns = 100000 + rng_below(&g->rng, 900000);
    double u = rng_unit(&g->rng);
    c->scan_answer = u < 0.04 ? A_OPEN : u < 0.97 ? A_CLOSED : A_FILTERED;
}

/* The packet a state sends, then the next state and the gap before it. */
static void step_syn(struct gen *g, struct conn *c)
{
    struct rng *r = &g->rng;
    uint8_t opts = c->kind == K_FLOOD  ? O_NONE
                   : c->kind == K_SCAN ? O_MSS_ONLY
                   : c->use_ts         ? O_LINUX
                                       : O_WINDOWS;
    uint16_t win = c->kind == K_FLOOD  ? (uint16_t)(512 + rng_below(r, 8192))
                   : c->kind == K_SCAN ? 1024
                                       : (c->use_ts ? 64240 : 65535);
    struct seg s = { true, F_SYN, c->cli_seq, 0, win, 0, opts };
    emit(g, c, &s);
    if (c->kind == K_FLOOD || (c->kind == K_SCAN && c->scan_answer == A_FILTERED)) {
        c->state = S_DONE;
        return;
    }
    if (c->syn_retx > 0) {
        c->syn_retx--;
        c->t_ns += c->rto_ns;
        c->rto_ns *= 2;
        return;
    }
    if (c->kind == K_UNANSWERED) {
        c->state = S_DONE;
        return;
    }
    c->cli_seq++;
    c->state = (c->kind == K_REFUSED || (c->kind == K_SCAN && c->scan_answer == A_CLOSED))
                       ? S_RSTACK
                       : S_SYNACK;
    c->t_ns += c->srv_lat_ns;
}

static void step_synack(struct gen *g, struct conn *c)
{
    uint8_t opts = c->kind == K_SCAN ? O_MSS_ONLY : c->use_ts ? O_LINUX : O_WINDOWS;
    struct seg s = { false, F_SYN | F_ACK, c->srv_seq, c->cli_seq, 65160, 0, opts };
    emit(g, c, &s);
    if (c->synack_retx > 0) {
        c->synack_retx--; /* the first one was lost beyond the capture point */
        c->t_ns += NS_PER_SEC;
        return;
    }
    c->srv_seq++;
    c->state = c->kind == K_SCAN ? S_SCAN_RST : S_ACK;
    c->t_ns += c->cli_lat_ns;
}

static void start_round_or_close(struct gen *g, struct conn *c, double think_mean_ms)
{
    if (c->rounds_left > 0) {
        c->state = S_REQ;
        c->t_ns += (uint64_t)(rng_exp(&g->rng, think_mean_ms) * NS_PER_MS);
    } else {
        c->state = S_CLOSE;
        c->t_ns += (uint64_t)(rng_exp(&g->rng, 50.0) * NS_PER_MS);
    }
}

static void step_request(struct gen *g, struct conn *c)
{
    uint32_t len = request_len(&g->rng);
    struct seg s = { true, F_PSH | F_ACK, c->cli_seq, c->srv_seq, 502, len, O_NONE };
    uint8_t hdr[5];
    tls_data_record(g, c, len, hdr);
    emit(g, c, &s);
    c->cli_seq += len;
    c->rounds_left--;
    c->resp_left_len = tls_response_len(c, response_len(&g->rng));
    c->burst_len = c->burst_acked = 0;
    c->burst_segs = 10;
    c->state = S_RESP;
    c->t_ns += c->srv_lat_ns + (uint64_t)(rng_exp(&g->rng, 3.0) * NS_PER_MS);
}

static void step_response(struct gen *g, struct conn *c)
{
    uint32_t len = c->resp_left_len < c->mss ? c->resp_left_len : c->mss;
    bool last = len == c->resp_left_len;
    struct seg s = { false, (uint8_t)(F_ACK | (last ? F_PSH : 0)), c->srv_seq, c->cli_seq, 509, len,
                     O_NONE };
    uint8_t hdr[5];
    tls_data_record(g, c, len, hdr);
    emit(g, c, &s);
    c->srv_seq += len;
    c->resp_left_len -= len;
    c->burst_len += len;
    c->burst_segs--;
    if (!last && c->burst_segs > 0) {
        c->t_ns += small_gap(&g->rng);
        return;
    }
    c->state = S_RESP_ACK;
    c->t_ns += c->cli_lat_ns;
}

/* Delayed ACKs: one for every two segments of the burst. */
static void step_response_ack(struct gen *g, struct conn *c)
{
    uint32_t start = c->srv_seq - c->burst_len;
    c->burst_acked += 2u * c->mss;
    if (c->burst_acked > c->burst_len) {
        c->burst_acked = c->burst_len;
    }
    struct seg s = { true, F_ACK, c->cli_seq, start + c->burst_acked, 502, 0, O_NONE };
    emit(g, c, &s);
    if (c->burst_acked < c->burst_len) {
        c->t_ns += small_gap(&g->rng);
        return;
    }
    if (c->resp_left_len > 0) {
        c->burst_len = c->burst_acked = 0;
        c->burst_segs = 10;
        c->state = S_RESP;
        c->t_ns += c->srv_lat_ns;
        return;
    }
    start_round_or_close(g, c, 20.0);
}

static uint64_t one_way(const struct conn *c, bool from_client)
{
    return from_client ? c->cli_lat_ns : c->srv_lat_ns;
}

static void step_close(struct gen *g, struct conn *c)
{
    bool client = c->close_how == C_CLIENT_FIN || c->close_how == C_CLIENT_RST;
    uint32_t seq = client ? c->cli_seq : c->srv_seq;
    uint32_t ack = client ? c->srv_seq : c->cli_seq;
    if (c->close_how == C_CLIENT_RST || c->close_how == C_SERVER_RST) {
        struct seg s = { client, F_RST | F_ACK, seq, ack, 0, 0, O_NONE };
        emit(g, c, &s);
        c->state = S_DONE;
        return;
    }
    struct seg s = { client, F_FIN | F_ACK, seq, ack, client ? 502 : 509, 0, O_NONE };
    emit(g, c, &s);
    if (client) {
        c->cli_seq++;
    } else {
        c->srv_seq++;
    }
    c->state = S_FIN2;
    c->t_ns += one_way(c, !client); /* the answer comes from the other side */
}

static void step_fin2(struct gen *g, struct conn *c)
{
    bool client = c->close_how != C_CLIENT_FIN; /* the side that answers the first FIN */
    uint32_t seq = client ? c->cli_seq : c->srv_seq;
    uint32_t ack = client ? c->srv_seq : c->cli_seq;
    struct seg s = { client, F_FIN | F_ACK, seq, ack, client ? 502 : 509, 0, O_NONE };
    emit(g, c, &s);
    if (client) {
        c->cli_seq++;
    } else {
        c->srv_seq++;
    }
    c->state = S_LASTACK;
    c->t_ns += one_way(c, !client);
}

static void step_lastack(struct gen *g, struct conn *c)
{
    bool client = c->close_how == C_CLIENT_FIN;
    uint32_t seq = client ? c->cli_seq : c->srv_seq;
    uint32_t ack = client ? c->srv_seq : c->cli_seq;
    struct seg s = { client, F_ACK, seq, ack, client ? 502 : 509, 0, O_NONE };
    emit(g, c, &s);
    c->state = S_DONE;
}

/* ------------------------------------------------------------- TLS (--tls) */

/* A byte writer for the hellos; lengths are filled in once their contents are written. */
struct bytes {
    uint8_t *p;
    size_t n;
};

static void b_u8(struct bytes *b, uint32_t v)
{
    b->p[b->n++] = (uint8_t)v;
}

static void b_u16(struct bytes *b, uint32_t v)
{
    b_u8(b, v >> 8);
    b_u8(b, v);
}

static void b_list16(struct bytes *b, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b_u16(b, v[i]);
    }
}

static void b_random(struct bytes *b, struct rng *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b_u8(b, rng_u32(r) >> 24);
    }
}

/* Room for a length of `width` bytes; b_close writes it when what follows is complete. */
static size_t b_open(struct bytes *b, size_t width)
{
    size_t at = b->n;
    b->n += width;
    return at;
}

static void b_close(struct bytes *b, size_t at, size_t width)
{
    size_t v = b->n - at - width;
    for (size_t i = 0; i < width; i++) {
        b->p[at + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    }
}

/* An extension: its type, then its body between b_ext and b_close(b, at, 2). */
static size_t b_ext(struct bytes *b, uint32_t type)
{
    b_u16(b, type);
    return b_open(b, 2);
}

#define TLS_FLIGHT_MAX 8192
#define TLS_PQ_SHARE   1216 /* X25519MLKEM768 key share, client (draft-ietf-tls-ecdhe-mlkem) */
#define TLS_PQ_REPLY   1120 /* its server share */

/* The connection's fixed choices, from its seed: the same for both hellos. */
struct tls_choice {
    struct rng r;
    bool pq;
    uint16_t grease[3];
    uint8_t session_id[32];
    uint32_t host;
    uint32_t pad_to; /* the ClientHello record's length without a PQ share */
};

static void tls_choose(const struct conn *c, struct tls_choice *t)
{
    rng_seed(&t->r, c->tls_seed);
    t->pq = rng_chance(&t->r, 0.6);
    for (int i = 0; i < 3; i++) {
        uint32_t g = rng_below(&t->r, 16);
        t->grease[i] = (uint16_t)(0x0a0a + 0x1010 * g); /* RFC 8701: 0x?a?a */
    }
    for (int i = 0; i < 32; i++) {
        t->session_id[i] = (uint8_t)(rng_u32(&t->r) >> 24);
    }
    t->host = rng_below(&t->r, 5000);
    t->pad_to = 512 + rng_below(&t->r, 201);
}

/*
 * A TLS 1.3 ClientHello record as Chrome sends one (the extensions of RFC 8446 and
 * friends, GREASE values of RFC 8701), into out; returns its length (512 to 712 bytes
 * padded, 1.77 to 1.84 KB with a post-quantum key share).
 */
static size_t tls_client_hello(const struct conn *c, uint8_t *out)
{
    static const uint16_t suites[] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
                                       0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
                                       0x009d, 0x002f, 0x0035 };
    static const uint16_t sigalgs[] = { 0x0403, 0x0804, 0x0401, 0x0503,
                                        0x0805, 0x0501, 0x0806, 0x0601 };
    struct tls_choice t;
    tls_choose(c, &t);
    struct bytes b = { out, 0 };
    b_u8(&b, 22);
    b_u16(&b, 0x0301);
    size_t rec = b_open(&b, 2);
    b_u8(&b, 1); /* client_hello */
    size_t hs = b_open(&b, 3);
    b_u16(&b, 0x0303);
    b_random(&b, &t.r, 32);
    b_u8(&b, 32);
    memcpy(b.p + b.n, t.session_id, 32);
    b.n += 32;
    size_t at = b_open(&b, 2);
    b_u16(&b, t.grease[0]);
    b_list16(&b, suites, sizeof(suites) / sizeof(suites[0]));
    b_close(&b, at, 2);
    b_u16(&b, 0x0100); /* compression: null only */
    size_t exts = b_open(&b, 2);
    b_close(&b, b_ext(&b, t.grease[1]), 2);
    at = b_ext(&b, 0x0000); /* server_name */
    size_t list = b_open(&b, 2);
    b_u8(&b, 0);
    char name[48];
    int len = snprintf(name, sizeof(name), "h%u.cdn%u.example.com", (unsigned)t.host,
                       (unsigned)(t.host % 7));
    b_u16(&b, (uint32_t)len);
    memcpy(b.p + b.n, name, (size_t)len);
    b.n += (size_t)len;
    b_close(&b, list, 2);
    b_close(&b, at, 2);
    b_close(&b, b_ext(&b, 0x0017), 2); /* extended_master_secret */
    at = b_ext(&b, 0xff01);            /* renegotiation_info */
    b_u8(&b, 0);
    b_close(&b, at, 2);
    at = b_ext(&b, 0x000a); /* supported_groups */
    list = b_open(&b, 2);
    b_u16(&b, t.grease[2]);
    if (t.pq) {
        b_u16(&b, 0x11ec); /* X25519MLKEM768 */
    }
    b_list16(&b, (const uint16_t[]){ 0x001d, 0x0017, 0x0018 }, 3);
    b_close(&b, list, 2);
    b_close(&b, at, 2);
    at = b_ext(&b, 0x000b); /* ec_point_formats: uncompressed */
    b_u16(&b, 0x0100);
    b_close(&b, at, 2);
    b_close(&b, b_ext(&b, 0x0023), 2); /* session_ticket */
    at = b_ext(&b, 0x0010);            /* ALPN: h2, http/1.1 */
    list = b_open(&b, 2);
    memcpy(b.p + b.n, "\x02h2\x08http/1.1", 12);
    b.n += 12;
    b_close(&b, list, 2);
    b_close(&b, at, 2);
    at = b_ext(&b, 0x0005); /* status_request: OCSP */
    memcpy(b.p + b.n, "\x01\x00\x00\x00\x00", 5);
    b.n += 5;
    b_close(&b, at, 2);
    at = b_ext(&b, 0x000d); /* signature_algorithms */
    list = b_open(&b, 2);
    b_list16(&b, sigalgs, sizeof(sigalgs) / sizeof(sigalgs[0]));
    b_close(&b, list, 2);
    b_close(&b, at, 2);
    b_close(&b, b_ext(&b, 0x0012), 2); /* signed_certificate_timestamp */
    at = b_ext(&b, 0x0033);            /* key_share */
    list = b_open(&b, 2);
    b_u16(&b, t.grease[2]);
    b_u16(&b, 1);
    b_u8(&b, 0);
    if (t.pq) {
        b_u16(&b, 0x11ec);
        b_u16(&b, TLS_PQ_SHARE);
        b_random(&b, &t.r, TLS_PQ_SHARE);
    }
    b_u16(&b, 0x001d);
    b_u16(&b, 32);
    b_random(&b, &t.r, 32);
    b_close(&b, list, 2);
    b_close(&b, at, 2);
    at = b_ext(&b, 0x002d); /* psk_key_exchange_modes: psk_dhe_ke */
    b_u16(&b, 0x0101);
    b_close(&b, at, 2);
    at = b_ext(&b, 0x002b); /* supported_versions */
    b_u8(&b, 6);
    b_list16(&b, (const uint16_t[]){ t.grease[0], 0x0304, 0x0303 }, 3);
    b_close(&b, at, 2);
    at = b_ext(&b, 0x001b); /* compress_certificate: brotli */
    memcpy(b.p + b.n, "\x02\x00\x02", 3);
    b.n += 3;
    b_close(&b, at, 2);
    if (t.pq) { /* encrypted_client_hello GREASE (draft-ietf-tls-esni), as Chrome sends it */
        at = b_ext(&b, 0xfe0d);
        memcpy(b.p + b.n, "\x00\x00\x01\x00\x01", 5); /* outer; HKDF-SHA256, AES-128-GCM */
        b.n += 5;
        b_u8(&b, rng_u32(&t.r) >> 24); /* config id */
        b_u16(&b, 32);
        b_random(&b, &t.r, 32);
        uint32_t payload = 208 + 32 * rng_below(&t.r, 3);
        b_u16(&b, payload);
        b_random(&b, &t.r, payload);
        b_close(&b, at, 2);
    }
    at = b_ext(&b, t.grease[1] ^ 0x1010);
    b_u8(&b, 0);
    b_close(&b, at, 2);
    if (!t.pq && b.n + 4 < t.pad_to) { /* padding (RFC 7685) up to the chosen size */
        at = b_ext(&b, 0x0015);
        size_t pad = t.pad_to - b.n;
        memset(b.p + b.n, 0, pad);
        b.n += pad;
        b_close(&b, at, 2);
    }
    b_close(&b, exts, 2);
    b_close(&b, hs, 3);
    b_close(&b, rec, 2);
    return b.n;
}

/* One TLS 1.2-framed record header of type `type` whose body follows: its length at b_close. */
static size_t b_record(struct bytes *b, uint32_t type)
{
    b_u8(b, type);
    b_u16(b, 0x0303);
    return b_open(b, 2);
}

/*
 * The server's first flight in TLS 1.3: ServerHello (the session id echoed, the group the
 * client's first share named), ChangeCipherSpec, then encrypted records as OpenSSL sends them,
 * one per message: EncryptedExtensions, Certificate (a chain of 2.4 to 5.6 KB), CertificateVerify,
 * Finished. Returns its length.
 */
static size_t tls_server_flight(const struct conn *c, uint8_t *out)
{
    struct tls_choice t;
    tls_choose(c, &t);
    struct rng r;
    rng_seed(&r, (uint64_t)c->tls_seed << 1 | 1);
    struct bytes b = { out, 0 };
    size_t rec = b_record(&b, 22);
    b_u8(&b, 2); /* server_hello */
    size_t hs = b_open(&b, 3);
    b_u16(&b, 0x0303);
    b_random(&b, &r, 32);
    b_u8(&b, 32);
    memcpy(b.p + b.n, t.session_id, 32);
    b.n += 32;
    b_u16(&b, 0x1301);
    b_u8(&b, 0);
    size_t exts = b_open(&b, 2);
    size_t at = b_ext(&b, 0x002b);
    b_u16(&b, 0x0304);
    b_close(&b, at, 2);
    at = b_ext(&b, 0x0033);
    b_u16(&b, t.pq ? 0x11ec : 0x001d);
    b_u16(&b, t.pq ? TLS_PQ_REPLY : 32);
    b_random(&b, &r, t.pq ? TLS_PQ_REPLY : 32);
    b_close(&b, at, 2);
    b_close(&b, exts, 2);
    b_close(&b, hs, 3);
    b_close(&b, rec, 2);
    memcpy(b.p + b.n, "\x14\x03\x03\x00\x01\x01", 6); /* ChangeCipherSpec */
    b.n += 6;
    const uint32_t bodies[4] = { 25 + 17, 2400 + rng_below(&r, 3200) + 17, 264 + 17, 52 + 17 };
    for (int i = 0; i < 4; i++) {
        rec = b_record(&b, 23);
        b_random(&b, &r, bodies[i]);
        b_close(&b, rec, 2);
    }
    return b.n;
}

/* The client's second flight: ChangeCipherSpec, then its Finished in a record of 53 bytes. */
static size_t tls_client_flight(const struct conn *c, uint8_t *out)
{
    struct rng r;
    rng_seed(&r, (uint64_t)c->tls_seed << 2 | 2);
    struct bytes b = { out, 0 };
    memcpy(b.p, "\x14\x03\x03\x00\x01\x01", 6);
    b.n = 6;
    size_t rec = b_record(&b, 23);
    b_random(&b, &r, 53);
    b_close(&b, rec, 2);
    return b.n;
}

/* A TLS connection: chosen once an answered connection is made (only with --tls). */
static void tls_pick(struct gen *g, struct conn *c)
{
    if (g->tls_frac <= 0 || c->kind != K_NORMAL || !rng_chance(&g->rng, g->tls_frac)) {
        return;
    }
    c->tls = 1;
    c->tls_seed = rng_u32(&g->rng);
    c->srv_port = 443;
    g->n_tls++;
}

/* One segment of a flight (at most mss bytes from tls_off on); true when it was the last. */
static bool tls_flight_segment(struct gen *g, struct conn *c, bool from_client,
                               size_t (*flight)(const struct conn *, uint8_t *))
{
    static uint8_t buf[TLS_FLIGHT_MAX];
    size_t len = flight(c, buf);
    uint32_t n = (uint32_t)(len - c->tls_off) < c->mss ? (uint32_t)(len - c->tls_off) : c->mss;
    bool last = c->tls_off + n == len;
    uint32_t seq = from_client ? c->cli_seq : c->srv_seq;
    uint32_t ack = from_client ? c->srv_seq : c->cli_seq;
    struct seg s = { from_client, (uint8_t)(F_ACK | (last ? F_PSH : 0)), seq, ack,
                     from_client ? 502 : 509, n, O_NONE };
    g->data = buf + c->tls_off;
    g->data_len = n;
    emit(g, c, &s);
    if (from_client) {
        c->cli_seq += n;
    } else {
        c->srv_seq += n;
    }
    c->tls_off = last ? 0 : c->tls_off + n;
    return last;
}

static void step_tls(struct gen *g, struct conn *c)
{
    switch (c->state) {
    case S_TLS_CH:
        if (tls_flight_segment(g, c, true, tls_client_hello)) {
            c->state = S_TLS_SF;
            c->t_ns += c->srv_lat_ns + (uint64_t)(rng_exp(&g->rng, 1.0) * NS_PER_MS);
        } else {
            c->t_ns += small_gap(&g->rng);
        }
        break;
    case S_TLS_SF:
        if (tls_flight_segment(g, c, false, tls_server_flight)) {
            c->state = S_TLS_CF;
            c->t_ns += c->cli_lat_ns + (uint64_t)(rng_exp(&g->rng, 2.0) * NS_PER_MS);
        } else {
            c->t_ns += small_gap(&g->rng);
        }
        break;
    default:
        tls_flight_segment(g, c, true, tls_client_flight);
        start_round_or_close(g, c, 1.0);
        break;
    }
}

/* An application data record header for a TLS connection's next segment, of len bytes. */
static void tls_data_record(struct gen *g, const struct conn *c, uint32_t len, uint8_t hdr[5])
{
    if (!c->tls || len < 6) {
        return;
    }
    hdr[0] = 23;
    put16(hdr + 1, 0x0303);
    put16(hdr + 3, len - 5);
    g->data = hdr;
    g->data_len = 5;
}

/* A TLS connection's response: whole records in every segment, so no segment is under 6. */
static uint32_t tls_response_len(const struct conn *c, uint32_t len)
{
    if (!c->tls) {
        return len;
    }
    uint32_t tail = len % c->mss;
    return len < 6 ? 6 : tail > 0 && tail < 6 ? len + 6 : len;
}

static void step(struct gen *g, struct conn *c)
{
    switch (c->state) {
    case S_SYN:
        step_syn(g, c);
        break;
    case S_SYNACK:
        step_synack(g, c);
        break;
    case S_ACK: {
        struct seg s = { true, F_ACK, c->cli_seq, c->srv_seq, 502, 0, O_NONE };
        emit(g, c, &s);
        if (c->tls) {
            c->state = S_TLS_CH;
            c->t_ns += small_gap(&g->rng);
            break;
        }
        start_round_or_close(g, c, 1.0);
        break;
    }
    case S_TLS_CH:
    case S_TLS_SF:
    case S_TLS_CF:
        step_tls(g, c);
        break;
    case S_REQ:
        step_request(g, c);
        break;
    case S_RESP:
        step_response(g, c);
        break;
    case S_RESP_ACK:
        step_response_ack(g, c);
        break;
    case S_CLOSE:
        step_close(g, c);
        break;
    case S_FIN2:
        step_fin2(g, c);
        break;
    case S_LASTACK:
        step_lastack(g, c);
        break;
    case S_RSTACK: {
        struct seg s = { false, F_RST | F_ACK, 0, c->cli_seq, 0, 0, O_NONE };
        emit(g, c, &s);
        c->state = S_DONE;
        break;
    }
    case S_SCAN_RST: {
        struct seg s = { true, F_RST, c->cli_seq, 0, 0, 0, O_NONE };
        emit(g, c, &s);
        c->state = S_DONE;
        break;
    }
    default:
        c->state = S_DONE;
        break;
    }
}

/* ------------------------------------------- one connection, reordered (--ooo) */

/*
 * --ooo N: a single IPv4 connection (Linux options, timestamps) whose data phase is N
 * segments of 1-1460 bytes in both directions, sent in random order within a window of
 * OOO_WINDOW segments; 5 % of them are sent twice (a retransmission, later in the window)
 * and 5 % overlap the end of the segment before them in the same direction. Every segment
 * acknowledges the highest byte the other side has sent so far. Then a client FIN close.
 * It shows that a connection's tracking state does not grow with its segment count.
 */
#define OOO_WINDOW 64

struct ooo_seg {
    uint32_t seq;
    uint32_t len;
    uint8_t from_client;
    uint8_t copies; /* how many more times it is sent */
};

struct ooo_dir {
    uint32_t next;     /* sequence number after the last byte generated */
    uint32_t last_len; /* length of the last segment generated */
    uint32_t sent_end; /* highest sequence number sent so far (what the other side ACKs) */
};

static struct ooo_seg ooo_make(struct gen *g, struct ooo_dir dir[2])
{
    struct rng *r = &g->rng;
    struct ooo_seg s = { 0 };
    s.from_client = (uint8_t)rng_chance(r, 0.5);
    struct ooo_dir *d = &dir[s.from_client];
    uint32_t len = 1 + rng_below(r, 1460);
    uint32_t back = 0;
    if (d->last_len > 1 && rng_chance(r, 0.05)) {
        back = 1 + rng_below(r, d->last_len - 1); /* resend part of the previous segment */
        if (len + back > 1460) {
            len = 1460 - back;
        }
    }
    s.seq = d->next - back;
    s.len = len + back;
    d->next += len;
    d->last_len = s.len;
    s.copies = rng_chance(r, 0.05) ? 2 : 1;
    return s;
}

static void ooo_connection(struct gen *g, uint64_t n_segs)
{
    struct rng *r = &g->rng;
    struct conn c = { 0 };
    c.kind = K_NORMAL;
    conn_common(g, &c, T0_NS);
    random_ip(r, &c, true);
    random_ip(r, &c, false);
    c.srv_port = 443;
    c.mss = 1460;
    c.use_ts = 1;
    c.close_how = C_CLIENT_FIN;
    while (c.state != S_CLOSE) { /* SYN, SYN-ACK, ACK */
        step(g, &c);
    }
    struct ooo_dir dir[2] = { { c.srv_seq, 0, c.srv_seq }, { c.cli_seq, 0, c.cli_seq } };
    struct ooo_seg win[OOO_WINDOW];
    size_t n_win = 0;
    uint64_t made = 0;
    while (n_win < OOO_WINDOW && made < n_segs) {
        win[n_win++] = ooo_make(g, dir);
        made++;
    }
    while (n_win > 0) {
        size_t i = rng_below(r, (uint32_t)n_win);
        struct ooo_seg *s = &win[i];
        struct ooo_dir *d = &dir[s->from_client];
        const struct ooo_dir *other = &dir[!s->from_client];
        bool cli = s->from_client;
        uint16_t rwnd = cli ? 502 : 509;
        struct seg out = { cli, F_ACK | F_PSH, s->seq, other->sent_end, rwnd, s->len, O_NONE };
        c.t_ns += small_gap(r);
        emit(g, &c, &out);
        if ((int32_t)(s->seq + s->len - d->sent_end) > 0) {
            d->sent_end = s->seq + s->len;
        }
        if (--s->copies > 0) {
            continue;
        }
        if (made < n_segs) {
            *s = ooo_make(g, dir);
            made++;
        } else {
            *s = win[--n_win];
        }
    }
    c.cli_seq = dir[1].next;
    c.srv_seq = dir[0].next;
    c.t_ns += NS_PER_MS;
    while (c.state != S_DONE) { /* FIN, FIN, ACK */
        step(g, &c);
    }
}

/* ------------------------------------------------------------ scheduling */

static void spawn(struct gen *g, uint32_t spawner_idx)
{
    struct conn *sp = &g->pool[spawner_idx];
    uint64_t t_ns = sp->t_ns;
    uint8_t kind = sp->kind;
    uint64_t *left = kind == K_SPAWN_CONN    ? &g->conns_left
                     : kind == K_SPAWN_FLOOD ? &g->flood_left
                                             : &g->scan_left;
    uint64_t gap_ns = kind == K_SPAWN_CONN    ? g->conn_gap_ns
                      : kind == K_SPAWN_FLOOD ? g->flood_gap_ns
                                              : g->scan_gap_ns;
    uint32_t idx = conn_alloc(g); /* may move the pool: sp is stale after this */
    struct conn *c = &g->pool[idx];
    if (kind == K_SPAWN_CONN) {
        new_connection(g, c, t_ns);
    } else if (kind == K_SPAWN_FLOOD) {
        new_flood_syn(g, c, t_ns);
    } else {
        new_scan_probe(g, c, t_ns);
    }
    heap_push(g, c->t_ns, idx);
    if (--*left > 0) {
        sp = &g->pool[spawner_idx];
        sp->t_ns = t_ns + 1 + (uint64_t)rng_exp(&g->rng, (double)gap_ns);
        heap_push(g, sp->t_ns, spawner_idx);
    } else {
        conn_release(g, spawner_idx);
    }
}

static void add_spawner(struct gen *g, uint8_t kind, uint64_t t_ns, uint64_t count)
{
    if (count == 0) {
        return;
    }
    uint32_t idx = conn_alloc(g);
    g->pool[idx].kind = kind;
    g->pool[idx].t_ns = t_ns;
    heap_push(g, t_ns, idx);
}

static void run(struct gen *g)
{
    while (g->heap_len > 0) {
        struct heap_item it = heap_pop(g);
        struct conn *c = &g->pool[it.idx];
        if (c->kind >= K_SPAWN_CONN) {
            spawn(g, it.idx);
            continue;
        }
        step(g, c);
        if (c->state == S_DONE) {
            conn_release(g, it.idx);
        } else {
            heap_push(g, c->t_ns, it.idx);
        }
    }
}

/* Rounds per normal connection so the whole trace comes near the asked packet count. */
static double plan_rounds(uint64_t packets, uint64_t conns, uint64_t flood, uint64_t scan,
                          uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed ^ 0x5eedull);
    double per_round = 0;
    for (int i = 0; i < 20000; i++) {
        per_round += packets_per_round(response_len(&r), 1460);
    }
    per_round /= 20000;
    double normal = conns * 0.91;
    double fixed =
            flood + scan * 2.05 + conns * 0.05 * 2 + conns * 0.04 * 4.5 + normal * (3 + 0.05 + 2.6);
    double budget = (double)packets - fixed;
    if (normal <= 0 || budget <= 0) {
        return 0;
    }
    return budget / normal / per_round;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: gen_trace -o FILE [-p PACKETS] [-c CONNECTIONS] [-s SEED]\n"
            "                 [-d SECONDS] [--flood N] [--scan N] [--snaplen N] [--ooo N]\n"
            "                 [--tls PERCENT]\n");
    exit(2);
}

static uint64_t num_arg(int argc, char **argv, int i)
{
    if (i >= argc) {
        usage();
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(argv[i], &end, 10);
    if (errno != 0 || end == argv[i] || *end != '\0') {
        fprintf(stderr, "gen_trace: %s: not a number: %s\n", argv[i - 1], argv[i]);
        exit(2);
    }
    return (uint64_t)v;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    uint64_t packets = 10000000, conns = UINT64_MAX, seed = 1, seconds = 0;
    uint64_t flood = UINT64_MAX, scan = UINT64_MAX, snaplen = 262144, ooo = 0, tls = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(a, "-p") == 0) {
            packets = num_arg(argc, argv, ++i);
        } else if (strcmp(a, "-c") == 0) {
            conns = num_arg(argc, argv, ++i);
        } else if (strcmp(a, "-s") == 0) {
            seed = num_arg(argc, argv, ++i);
        } else if (strcmp(a, "-d") == 0) {
            seconds = num_arg(argc, argv, ++i);
        } else if (strcmp(a, "--flood") == 0) {
            flood = num_arg(argc, argv, ++i);
        } else if (strcmp(a, "--scan") == 0) {
            scan = num_arg(argc, argv, ++i);
        } else if (strcmp(a, "--snaplen") == 0) {
            snaplen = num_arg(argc, argv, ++i);
        } else if (strcmp(a, "--ooo") == 0) {
            ooo = num_arg(argc, argv, ++i);
        } else if (strcmp(a, "--tls") == 0) {
            tls = num_arg(argc, argv, ++i);
        } else {
            usage();
        }
    }
    if (path == NULL || snaplen < 54 || snaplen > 262144 || tls > 100) {
        usage();
    }
    if (ooo > 0) {
        conns = flood = scan = 0; /* the one reordered connection only */
    }
    if (conns == UINT64_MAX) {
        conns = packets / 30;
    }
    if (flood == UINT64_MAX) {
        flood = packets / 200;
    }
    if (scan == UINT64_MAX) {
        scan = packets / 1000;
    }
    if (seconds == 0) {
        seconds = conns / 2000 > 60 ? conns / 2000 : 60;
    }

    struct gen g = { 0 };
    rng_seed(&g.rng, seed);
    g.snaplen = (uint32_t)snaplen;
    g.conns_left = conns;
    g.flood_left = flood;
    g.scan_left = scan;
    uint64_t span_ns = seconds * NS_PER_SEC;
    g.conn_gap_ns = conns ? span_ns / conns : 0;
    g.flood_gap_ns = 10000; /* 100k SYN/s */
    g.scan_gap_ns = 400000; /* 2500 probes/s */
    g.tls_frac = (double)tls / 100.0;
    /* A TLS connection's handshake flights take about 7 packets of the budget. */
    uint64_t tls_pkts = (uint64_t)((double)conns * 0.91 * g.tls_frac * 7.0);
    g.rounds_mean =
            plan_rounds(packets > tls_pkts ? packets - tls_pkts : 0, conns, flood, scan, seed);
    memcpy(g.flood_srv, (const uint8_t[]){ 172, 16, 0, 1 }, 4);
    memcpy(g.scan_src, (const uint8_t[]){ 198, 51, 100, 77 }, 4);
    memcpy(g.scan_dst, (const uint8_t[]){ 172, 16, 9, 1 }, 4);
    g.scan_sport = (uint16_t)(40000 + rng_below(&g.rng, 20000));
    add_spawner(&g, K_SPAWN_CONN, T0_NS, conns);
    add_spawner(&g, K_SPAWN_FLOOD, T0_NS + (conns ? span_ns * 3 / 10 : 0), flood);
    add_spawner(&g, K_SPAWN_SCAN, T0_NS + (conns ? span_ns * 6 / 10 : 0), scan);

    g.out = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (g.out == NULL) {
        fprintf(stderr, "gen_trace: %s: %s\n", path, strerror(errno));
        return 1;
    }
    char *buf = malloc(OUT_BUF);
    if (buf != NULL) {
        setvbuf(g.out, buf, _IOFBF, OUT_BUF);
    }
    uint8_t hdr[24] = { 0 };
    put32le(hdr, 0xa1b23c4d); /* nanosecond timestamps */
    hdr[4] = 2;
    hdr[6] = 4;
    put32le(hdr + 16, (uint32_t)snaplen);
    put32le(hdr + 20, 1); /* LINKTYPE_ETHERNET */
    write_or_die(&g, hdr, sizeof(hdr));
    run(&g);
    if (ooo > 0) {
        ooo_connection(&g, ooo);
    }
    if (fclose(g.out) != 0) {
        fprintf(stderr, "gen_trace: %s: %s\n", path, strerror(errno));
        return 1;
    }
    free(buf);
    fprintf(stderr,
            "gen_trace: %s: %" PRIu64 " packets, %" PRIu64 " connections (%" PRIu64
            " flood SYNs, %" PRIu64 " scan probes), %.1f MB, seed %" PRIu64 "\n",
            path, g.n_pkts, g.n_conns, flood, scan, (double)(g.n_bytes + 24) / 1e6, seed);
    if (tls > 0) {
        fprintf(stderr, "gen_trace: %s: %" PRIu64 " TLS connections (--tls %" PRIu64 ")\n", path,
                g.n_tls, tls);
    }
    free(g.pool);
    free(g.free_idx);
    free(g.heap);
    return 0;
}
