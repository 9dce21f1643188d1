/*
 * test_reasm.c - bounded reassembly of a stream's start (src/track/reasm.c)
 * and the fixed pool its buffers come from, and the payload gate that
 * decides which bytes reach it (src/lane/carry.c).
 */
#include <string.h>

#include "carry.h"
#include "check.h"
#include "reasm.h"

#define CAP  64u
#define BASE 4000000000u /* near the top: offsets wrap around 2^32 */

static uint8_t stream[256]; /* the bytes the sender sent: stream[i] = i * 7 + 3 */

static void init_stream(void)
{
    for (unsigned i = 0; i < sizeof(stream); i++) {
        stream[i] = (uint8_t)(i * 7 + 3);
    }
}

/* Place stream[off .. off + len), all of it captured. */
static bool put(struct reasm *r, uint8_t *buf, uint32_t off, uint32_t len)
{
    return reasm_place(r, buf, BASE + off, stream + off, len, len);
}

static void test_in_order(void)
{
    struct reasm r;
    uint8_t buf[CAP];
    reasm_init(&r, BASE, CAP);
    CHECK(put(&r, buf, 0, 10));
    CHECK_INT(r.have, 10);
    CHECK(put(&r, buf, 10, 20));
    CHECK_INT(r.have, 30);
    CHECK(memcmp(buf, stream, 30) == 0);
    CHECK_INT(r.n_ranges, 0);
    CHECK(!reasm_stuck_cut(&r));
}

static void test_out_of_order(void)
{
    struct reasm r;
    uint8_t buf[CAP];
    reasm_init(&r, BASE, CAP);
    CHECK(!put(&r, buf, 20, 10)); /* past a gap: kept, not readable yet */
    CHECK(!put(&r, buf, 40, 5));
    CHECK_INT(r.have, 0);
    CHECK_INT(r.n_ranges, 2);
    CHECK(!put(&r, buf, 30, 10)); /* joins the two pieces */
    CHECK_INT(r.n_ranges, 1);
    CHECK(put(&r, buf, 0, 20)); /* the gap closes: everything up to 45 */
    CHECK_INT(r.have, 45);
    CHECK_INT(r.n_ranges, 0);
    CHECK(memcmp(buf, stream, 45) == 0);
}

static void test_retransmission_and_overlap(void)
{
    struct reasm r;
    uint8_t buf[CAP];
    reasm_init(&r, BASE, CAP);
    CHECK(put(&r, buf, 0, 16));
    CHECK(!put(&r, buf, 0, 16)); /* the same again: nothing new */
    CHECK(!put(&r, buf, 4, 8));  /* inside what is there */
    CHECK_INT(r.have, 16);
    /* A retransmission that also carries new bytes: only those are written. */
    buf[10] = 0xEE; /* as if the reader had rewritten consumed bytes */
    uint8_t other[24];
    memcpy(other, stream + 8, sizeof(other));
    other[0] = 0x55; /* different bytes below `have` lose */
    CHECK(reasm_place(&r, buf, BASE + 8, other, sizeof(other), sizeof(other)));
    CHECK_INT(r.have, 32);
    CHECK_INT(buf[8], stream[8]);
    CHECK_INT(buf[10], 0xEE);
    CHECK(memcmp(buf + 16, stream + 16, 16) == 0);
    /* A segment that starts before the base (its SYN's sequence number): the part
     * before offset 0 is not stream. */
    struct reasm r2;
    uint8_t buf2[CAP];
    reasm_init(&r2, BASE + 5, CAP);
    CHECK(reasm_place(&r2, buf2, BASE, stream, 12, 12));
    CHECK_INT(r2.have, 7);
    CHECK(memcmp(buf2, stream + 5, 7) == 0);
    /* Overlapping pieces past a gap merge into one range. */
    struct reasm r3;
    uint8_t buf3[CAP];
    reasm_init(&r3, BASE, CAP);
    CHECK(!put(&r3, buf3, 10, 10));
    CHECK(!put(&r3, buf3, 15, 10));
    CHECK(!put(&r3, buf3, 8, 4));
    CHECK_INT(r3.n_ranges, 1);
    CHECK_INT(r3.lo[0], 8);
    CHECK_INT(r3.hi[0], 25);
    CHECK(put(&r3, buf3, 0, 8));
    CHECK_INT(r3.have, 25);
    CHECK(memcmp(buf3, stream, 25) == 0);
}

static void test_cap(void)
{
    struct reasm r;
    uint8_t buf[CAP + 8];
    memset(buf, 0xAA, sizeof(buf));
    reasm_init(&r, BASE, CAP);
    CHECK(put(&r, buf, 0, 50));
    CHECK(put(&r, buf, 50, 50)); /* only 14 of them fit */
    CHECK_INT(r.have, CAP);
    CHECK_INT(buf[CAP], 0xAA); /* nothing written past the cap */
    CHECK(!put(&r, buf, 100, 20));
    CHECK_INT(r.have, CAP);
    CHECK_INT(r.n_ranges, 0);
    /* Pieces past a gap need a range each; one more than there is room for is
     * dropped and counted, and its retransmission can still fill the gap. */
    struct reasm g;
    uint8_t gb[CAP];
    reasm_init(&g, BASE, CAP);
    for (unsigned i = 0; i < REASM_RANGES; i++) {
        CHECK(!put(&g, gb, 2 + i * 4, 2));
    }
    CHECK_INT(g.n_ranges, REASM_RANGES);
    CHECK(!put(&g, gb, 2 + REASM_RANGES * 4, 2));
    CHECK_INT(g.dropped, 1);
    CHECK(put(&g, gb, 0, 2 + REASM_RANGES * 4 + 2));
    CHECK_INT(g.have, 2 + REASM_RANGES * 4 + 2);
    CHECK_INT(g.n_ranges, 0);
}

static void test_snaplen_cut(void)
{
    struct reasm r;
    uint8_t buf[CAP];
    reasm_init(&r, BASE, CAP);
    /* 30 bytes on the wire, 12 captured: the stream stops at 12. */
    CHECK(reasm_place(&r, buf, BASE, stream, 12, 30));
    CHECK_INT(r.have, 12);
    CHECK_INT(r.cut_at, 12);
    CHECK(reasm_stuck_cut(&r));
    /* A cut past the cap is no cut for us. */
    struct reasm r2;
    uint8_t buf2[CAP];
    reasm_init(&r2, BASE, CAP);
    CHECK(reasm_place(&r2, buf2, BASE, stream, CAP, CAP + 40));
    CHECK(!reasm_stuck_cut(&r2));
    /* A cut segment past a gap: stuck only once the prefix reaches it. */
    struct reasm r3;
    uint8_t buf3[CAP];
    reasm_init(&r3, BASE, CAP);
    CHECK(!reasm_place(&r3, buf3, BASE + 20, stream + 20, 4, 10));
    CHECK_INT(r3.cut_at, 24);
    CHECK(!reasm_stuck_cut(&r3));
    CHECK(put(&r3, buf3, 0, 20));
    CHECK_INT(r3.have, 24);
    CHECK(reasm_stuck_cut(&r3));
    /* A segment of which nothing was captured: only its length says what is missing. */
    struct reasm r4;
    uint8_t buf4[CAP];
    reasm_init(&r4, BASE, CAP);
    CHECK(put(&r4, buf4, 0, 10));
    CHECK(!reasm_place(&r4, buf4, BASE + 10, NULL, 0, 30));
    CHECK_INT(r4.have, 10);
    CHECK_INT(r4.cut_at, 10);
    CHECK(reasm_stuck_cut(&r4));
}

static void test_pool(void)
{
    struct slot_pool p;
    CHECK(slot_pool_init(&p, 3, 100));
    uint32_t a = slot_pool_get(&p);
    uint32_t b = slot_pool_get(&p);
    uint32_t c = slot_pool_get(&p);
    CHECK(a != 0 && b != 0 && c != 0 && a != b && b != c && a != c);
    memset(slot_pool_at(&p, b), 0x7f, 100);
    CHECK_INT(slot_pool_get(&p), 0); /* exhausted */
    slot_pool_put(&p, b);
    uint32_t again = slot_pool_get(&p);
    CHECK_INT(again, b);
    const uint8_t *item = slot_pool_at(&p, again);
    CHECK_INT(item[0], 0); /* handed out zeroed */
    CHECK_INT(item[99], 0);
    CHECK_INT(slot_pool_get(&p), 0);
    slot_pool_put(&p, 0); /* "none" is no item */
    CHECK_INT(slot_pool_get(&p), 0);
    slot_pool_release(&p);
}

/* A view of one segment from 10.0.0.1:40000 to 10.0.0.2:443 with this payload. */
static struct packet_view view(uint32_t seq, const uint8_t *payload, uint32_t len)
{
    struct packet_view pv;
    memset(&pv, 0, sizeof(pv));
    pv.kind = PACKET_TCP;
    struct tcp_view *v = &pv.u.tcp;
    v->tuple.src[0] = 10;
    v->tuple.src[3] = 1;
    v->tuple.dst[0] = 10;
    v->tuple.dst[3] = 2;
    v->tuple.sport = 40000;
    v->tuple.dport = 443;
    v->tuple.ip_version = 4;
    v->tuple.vlan = -1;
    v->seq = seq;
    v->payload_len = v->payload_cap = len;
    v->payload = payload;
    return pv;
}

static void test_gate(void)
{
    static const uint8_t key[SIPHASH_KEY_LEN] = { 1, 2, 3 };
    struct carry_gate g;
    struct carry_arena a;
    CHECK(carry_gate_init(&g, key));
    CHECK(carry_arena_init(&a, 4 * CARRY_MAX_COPY));
    uint8_t hello[40] = { 22, 3, 1, 0x02, 0x00, 1 }; /* a ClientHello record of 512 bytes */
    uint8_t rest[40];
    memset(rest, 0x61, sizeof(rest));
    uint8_t http[40] = "GET / HTTP/1.1\r\n";

    struct packet_view pv = view(1000, http, sizeof(http));
    CHECK(!carry_packet(&g, &a, &pv));
    CHECK(pv.u.tcp.payload == NULL); /* never left pointing into the frame */
    CHECK_INT(a.used, 0);

    pv = view(5000, hello, sizeof(hello));
    CHECK(carry_packet(&g, &a, &pv));
    CHECK(pv.u.tcp.payload == a.buf);
    CHECK(memcmp(pv.u.tcp.payload, hello, sizeof(hello)) == 0);
    CHECK_INT(g.live, 1);
    /* The rest of that record: no header of its own, carried as the direction's. */
    pv = view(5040, rest, sizeof(rest));
    CHECK(carry_packet(&g, &a, &pv));
    CHECK_INT(a.used, 80);
    /* Past the window: not carried, and the direction is forgotten. */
    pv = view(5000 + CARRY_WINDOW, rest, sizeof(rest));
    CHECK(!carry_packet(&g, &a, &pv));
    CHECK_INT(g.live, 0);
    /* The other direction was never remembered. */
    pv = view(9000, rest, sizeof(rest));
    pv.u.tcp.tuple.sport = 443;
    pv.u.tcp.tuple.dport = 40000;
    CHECK(!carry_packet(&g, &a, &pv));
    CHECK_INT(a.used, 80);
    carry_arena_release(&a);
    carry_gate_release(&g);
}

int main(void)
{
    init_stream();
    test_in_order();
    test_out_of_order();
    test_retransmission_and_overlap();
    test_cap();
    test_snaplen_cut();
    test_pool();
    test_gate();
    return check_report("reasm");
}
