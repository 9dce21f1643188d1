/*
 * test_pcapng.c - the pcapng reader (src/pcapng.c) through source.c.
 *
 * One section with an Ethernet interface (microseconds) and a raw-IP one
 * (LINKTYPE_RAW, if_tsresol 10^-9, if_tsoffset 10 s), a SYN on each, then a
 * Simple Packet Block (interface 0, no time): each packet comes with its own
 * interface's link type and time; a filter is compiled per link type; a
 * packet on an undeclared interface is libpcap's error. The fuzz target
 * readers compares the rest with libpcap byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "source.h"
#include "tcpshake.h"

struct image {
    uint8_t b[4096];
    size_t len;
};

static void le(struct image *im, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        im->b[im->len++] = (uint8_t)(v >> (8 * i));
    }
}

static void put(struct image *im, const uint8_t *p, size_t n)
{
    memcpy(im->b + im->len, p, n);
    im->len += n;
}

/* Open a block of type t; close_block pads it and writes both lengths. */
static size_t open_block(struct image *im, uint32_t t)
{
    size_t at = im->len;
    le(im, t, 4);
    le(im, 0, 4);
    return at;
}

static void close_block(struct image *im, size_t at)
{
    while (im->len % 4 != 0) {
        im->b[im->len++] = 0;
    }
    uint32_t total = (uint32_t)(im->len - at + 4);
    for (int i = 0; i < 4; i++) {
        im->b[at + 4 + (size_t)i] = (uint8_t)(total >> (8 * i));
    }
    le(im, total, 4);
}

/* Ethernet + IPv4 + TCP SYN from 10.0.0.1:port to 192.0.2.1:80. */
static const uint8_t SYN[54] = {
    0,    1,    2, 3,  4, 5, 0,    1, 2,  3, 4, 6, 0x08, 0x00, /* Ethernet */
    0x45, 0,    0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10,   0,    0,    1,    192, 0, 2, 1, /* IPv4 */
    0x9c, 0x40, 0, 80, 0, 0, 0x10, 0, 0,  0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0,   0, 0, 0, /* TCP */
};

static void epb(struct image *im, uint32_t iface, uint64_t t, const uint8_t *p, size_t n)
{
    size_t at = open_block(im, 6);
    le(im, iface, 4);
    le(im, t >> 32, 4);
    le(im, t & 0xffffffffu, 4);
    le(im, n, 4);
    le(im, n, 4);
    put(im, p, n);
    close_block(im, at);
}

static void build(struct image *im, bool bad_interface)
{
    im->len = 0;
    size_t at = open_block(im, 0x0a0d0d0a); /* SHB */
    le(im, 0x1a2b3c4d, 4);
    le(im, 1, 2);
    le(im, 0, 2);
    le(im, UINT64_MAX, 8);
    close_block(im, at);
    at = open_block(im, 1); /* IDB 0: Ethernet, microseconds */
    le(im, 1, 2);
    le(im, 0, 2);
    le(im, 65535, 4);
    close_block(im, at);
    at = open_block(im, 1); /* IDB 1: raw IP, nanoseconds, 10 s offset */
    le(im, 101, 2);
    le(im, 0, 2);
    le(im, 65535, 4);
    le(im, 9, 2); /* if_tsresol */
    le(im, 1, 2);
    le(im, 9, 4);  /* 10^-9, padded */
    le(im, 14, 2); /* if_tsoffset */
    le(im, 8, 2);
    le(im, 10, 8);
    le(im, 0, 4); /* opt_endofopt */
    close_block(im, at);
    epb(im, 0, 1700000000000001ull, SYN, sizeof(SYN));
    epb(im, 1, 1700000000000000002ull, SYN + 14, sizeof(SYN) - 14);
    at = open_block(im, 3); /* SPB: interface 0, no time */
    le(im, sizeof(SYN), 4);
    put(im, SYN, sizeof(SYN));
    close_block(im, at);
    if (bad_interface) {
        epb(im, 2, 5, SYN, sizeof(SYN));
    }
}

static struct source *open_image(struct image *im, const char *bpf)
{
    FILE *fp = fmemopen(im->b, im->len, "rb");
    struct source *s = NULL;
    char err[256] = "";
    CHECK_INT(source_open_stream(&s, fp, bpf, err, sizeof(err)), TCPSHAKE_OK);
    CHECK_STR(err, "");
    return s;
}

static void test_two_link_types(void)
{
    static struct image im;
    build(&im, true);
    struct source *s = open_image(&im, NULL);
    if (s == NULL) {
        return;
    }
    CHECK_INT(source_linktype(s), 1);
    struct source_packet pkt;
    char err[256] = "";
    CHECK_INT(source_next(s, &pkt, err, sizeof(err)), 1);
    CHECK_INT(pkt.linktype, 1);
    CHECK_U64(pkt.ts_ns, 1700000000000001000ull);
    CHECK_INT(pkt.caplen, sizeof(SYN));
    CHECK_INT(source_next(s, &pkt, err, sizeof(err)), 1);
    CHECK_INT(pkt.linktype, 12); /* LINKTYPE_RAW is DLT_RAW on Linux */
    CHECK_U64(pkt.ts_ns, 1700000010000000002ull);
    CHECK_INT(pkt.caplen, sizeof(SYN) - 14);
    CHECK(memcmp(pkt.data, SYN + 14, pkt.caplen) == 0);
    CHECK_INT(source_next(s, &pkt, err, sizeof(err)), 1);
    CHECK_INT(pkt.linktype, 1);
    CHECK_U64(pkt.ts_ns, 0);
    CHECK_INT(source_next(s, &pkt, err, sizeof(err)), -TCPSHAKE_ERR_READ);
    CHECK_STR(err, "packet 4: a packet arrived on interface 2, but there's no Interface "
                   "Description Block for that interface");
    source_close(s);
}

static void test_filter_per_link_type(void)
{
    static struct image im;
    build(&im, false);
    /* Matches both the Ethernet and the raw-IP SYN: compiled for each link type. */
    struct source *s = open_image(&im, "tcp dst port 80 and src host 10.0.0.1");
    if (s == NULL) {
        return;
    }
    struct source_packet pkt;
    char err[256] = "";
    int n = 0, raw = 0;
    while (source_next(s, &pkt, err, sizeof(err)) == 1) {
        n++;
        raw += pkt.linktype == 12;
    }
    CHECK_INT(n, 3);
    CHECK_INT(raw, 1);
    source_close(s);
    s = open_image(&im, "tcp dst port 81");
    if (s != NULL) {
        CHECK_INT(source_next(s, &pkt, err, sizeof(err)), 0);
        source_close(s);
    }
}

/* Through the public API: every packet of both link types is decoded as TCP. */
static void count_record(const struct tcpshake_record *r, void *user)
{
    (void)r;
    (*(int *)user)++;
}

static void test_run(void)
{
    static struct image im;
    build(&im, false);
    int records = 0;
    struct tcpshake *h = tcpshake_new(NULL, count_record, &records);
    FILE *fp = fmemopen(im.b, im.len, "rb");
    CHECK_INT(tcpshake_open_stream(h, fp), TCPSHAKE_OK);
    CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
    const struct tcpshake_stats *st = tcpshake_get_stats(h);
    CHECK_U64(st->packets_read, 3);
    CHECK_U64(st->packets_tcp, 3);
    CHECK_INT(records, 1); /* the three SYNs share one 5-tuple: one connection */
    tcpshake_free(h);
}

/* A packet block bigger than the reader's first buffer (2048 bytes), so that
 * reading it allocates: a failed allocation is ERR_NOMEM, an input cut inside
 * the block ERR_TRUNCATED, each with libpcap's words after the packet number. */
static void big_image(struct image *im)
{
    static uint8_t frame[3000];
    memcpy(frame, SYN, sizeof(SYN));
    im->len = 0;
    size_t at = open_block(im, 0x0a0d0d0a);
    le(im, 0x1a2b3c4d, 4);
    le(im, 1, 2);
    le(im, 0, 2);
    le(im, UINT64_MAX, 8);
    close_block(im, at);
    at = open_block(im, 1);
    le(im, 1, 2);
    le(im, 0, 2);
    le(im, 65535, 4);
    close_block(im, at);
    epb(im, 0, 1700000000000001ull, frame, sizeof(frame));
}

static void test_faults(void)
{
    static struct image im;
    big_image(&im);
    struct source_packet pkt;
    char err[256] = "";
    struct source *s = open_image(&im, NULL);
    if (s != NULL && alloc_fault_injection()) {
        alloc_fail_after(1);
        CHECK_INT(source_next(s, &pkt, err, sizeof(err)), -TCPSHAKE_ERR_NOMEM);
        alloc_fail_after(0);
        CHECK_STR(err, "packet 1: out of memory");
    }
    source_close(s);
    s = open_image(&im, NULL);
    if (s != NULL) {
        CHECK_INT(source_next(s, &pkt, err, sizeof(err)), 1);
        CHECK_INT(pkt.caplen, 3000);
        CHECK_INT(source_next(s, &pkt, err, sizeof(err)), 0);
    }
    source_close(s);
    im.len -= 100; /* the packet block cut short */
    s = open_image(&im, NULL);
    if (s != NULL) {
        CHECK_INT(source_next(s, &pkt, err, sizeof(err)), -TCPSHAKE_ERR_TRUNCATED);
        CHECK_STR(err, "packet 1: truncated pcapng dump file; tried to read 3024 bytes, only "
                       "got 2924");
    }
    source_close(s);
    if (alloc_fault_injection()) {
        FILE *fp = fmemopen(im.b, im.len, "rb");
        s = NULL;
        alloc_fail_after(2); /* the source, then the reader's state */
        CHECK_INT(source_open_stream(&s, fp, NULL, err, sizeof(err)), TCPSHAKE_ERR_NOMEM);
        alloc_fail_after(0);
        CHECK(s == NULL);
        CHECK_STR(err, tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
    }
}

int main(void)
{
    test_two_link_types();
    test_filter_per_link_type();
    test_run();
    test_faults();
    return check_report("pcapng");
}
