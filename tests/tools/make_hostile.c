/*
 * make_hostile.c - writes small hostile captures for tests/e2e/bad_input.sh.
 *
 * Usage: make_hostile DIR
 *
 * Every file is built byte by byte: classic pcap (little-endian, microsecond
 * magic 0xa1b2c3d4, LINKTYPE_ETHERNET) unless its name ends in .pcapng. Most
 * start as a valid mini-capture holding one real handshake between
 * 10.1.1.1:40000 and 10.1.1.2:80 (SYN, SYN-ACK, ACK with correct IP and TCP
 * lengths and checksums), so what was analysed before the damage shows in
 * the output; then one thing is broken. The file names are the case names the
 * e2e script expects; the list is in `cases` at the end.
 *
 * Record header of classic pcap (pcap-savefile(5)):
 *   | ts_sec (4) | ts_usec (4) | caplen (4) | len (4) |
 * pcapng blocks (draft-ietf-opsawg-pcapng):
 *   | block type (4) | total length (4) | body ... | total length (4) |
 *
 * Only the C standard library; exits 1 with one line on stderr on failure.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    ETH_HDR = 14,
    IP4_HDR = 20,
    IP6_HDR = 40,
    TCP_HDR = 20,
    LINKTYPE_ETHERNET = 1,
    SNAPLEN = 65535,
    T0 = 1700000000, /* 2023-11-14, seconds */
    TH_FIN = 0x01,
    TH_SYN = 0x02,
    TH_PSH = 0x08,
    TH_ACK = 0x10,
    CLIENT_ISN = 1000,
    SERVER_ISN = 5000,
};

/* ------------------------------------------------------------------ bytes */

struct buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("make_hostile: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void put(struct buf *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap != 0 ? b->cap : 256;
        while (cap < b->len + n) {
            cap *= 2;
        }
        uint8_t *p = realloc(b->p, cap);
        if (p == NULL) {
            die("out of memory");
        }
        b->p = p;
        b->cap = cap;
    }
    if (n > 0) {
        memcpy(b->p + b->len, src, n);
    }
    b->len += n;
}

static void u8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void be16(struct buf *b, unsigned v)
{
    u8(b, v >> 8);
    u8(b, v);
}

static void be32(struct buf *b, uint32_t v)
{
    be16(b, v >> 16);
    be16(b, v & 0xffff);
}

static void le16(struct buf *b, unsigned v)
{
    u8(b, v);
    u8(b, v >> 8);
}

static void le32(struct buf *b, uint32_t v)
{
    le16(b, v & 0xffff);
    le16(b, v >> 16);
}

static void zeros(struct buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        u8(b, 0);
    }
}

static void set_be16(struct buf *b, size_t at, unsigned v)
{
    b->p[at] = (uint8_t)(v >> 8);
    b->p[at + 1] = (uint8_t)v;
}

static void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* RFC 1071 one's-complement sum, continued from sum. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += ((uint32_t)p[i] << 8) | p[i + 1];
    }
    if (n % 2 != 0) {
        sum += (uint32_t)p[n - 1] << 8;
    }
    return sum;
}

static unsigned fold(uint32_t sum)
{
    while (sum >> 16 != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum & 0xffff;
}

/* ----------------------------------------------------------------- frames */

/* One TCP segment of the test connection (or of a connection given by ports). */
struct seg {
    int from_server;
    uint8_t flags;
    uint32_t seq;
    uint32_t ack;
    const uint8_t *opts; /* a multiple of 4 bytes */
    size_t opts_len;
    size_t payload; /* bytes of 'x' after the header */
    uint16_t client_port;
};

static const uint8_t CLIENT4[4] = { 10, 1, 1, 1 };
static const uint8_t SERVER4[4] = { 10, 1, 1, 2 };
static const uint8_t CLIENT6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t SERVER6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t SYN_OPTS[8] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 }; /* MSS 1460, SACK ok */

static void ethernet(struct buf *f, int from_server, unsigned vlan_depth, unsigned type)
{
    static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0x01 };
    static const uint8_t mac_s[6] = { 0x02, 0, 0, 0, 0, 0x02 };
    put(f, from_server ? mac_c : mac_s, 6); /* destination */
    put(f, from_server ? mac_s : mac_c, 6); /* source */
    for (unsigned i = 0; i < vlan_depth; i++) {
        be16(f, 0x8100);
        be16(f, 100 + i); /* PCP 0, DEI 0, VID */
    }
    be16(f, type);
}

/* The TCP header + payload of s at f[at..], checksummed over the pseudo header. */
static void tcp(struct buf *f, const struct seg *s, const uint8_t *src, const uint8_t *dst,
                size_t alen)
{
    size_t at = f->len;
    uint16_t cport = s->client_port != 0 ? s->client_port : 40000;
    be16(f, s->from_server ? 80 : cport);
    be16(f, s->from_server ? cport : 80);
    be32(f, s->seq);
    be32(f, s->ack);
    u8(f, (unsigned)((TCP_HDR + s->opts_len) / 4) << 4);
    u8(f, s->flags);
    be16(f, 64240);
    be16(f, 0); /* checksum, below */
    be16(f, 0); /* urgent pointer */
    put(f, s->opts, s->opts_len);
    for (size_t i = 0; i < s->payload; i++) {
        u8(f, 'x');
    }
    size_t tcp_len = f->len - at;
    uint32_t sum = sum16(0, src, alen);
    sum = sum16(sum, dst, alen);
    sum += 6 + (uint32_t)tcp_len;
    set_be16(f, at + 16, fold(sum16(sum, f->p + at, tcp_len)));
}

/* An Ethernet / IPv4 / TCP frame. The IPv4 header starts at ETH_HDR + 4 * vlan_depth. */
static void frame4(struct buf *f, const struct seg *s, unsigned vlan_depth)
{
    ethernet(f, s->from_server, vlan_depth, 0x0800);
    size_t ip = f->len;
    const uint8_t *src = s->from_server ? SERVER4 : CLIENT4;
    const uint8_t *dst = s->from_server ? CLIENT4 : SERVER4;
    u8(f, 0x45);
    u8(f, 0);
    be16(f, (unsigned)(IP4_HDR + TCP_HDR + s->opts_len + s->payload));
    be16(f, 0x1234); /* identification */
    be16(f, 0x4000); /* DF */
    u8(f, 64);
    u8(f, 6);
    be16(f, 0); /* checksum, below */
    put(f, src, 4);
    put(f, dst, 4);
    set_be16(f, ip + 10, fold(sum16(0, f->p + ip, IP4_HDR)));
    tcp(f, s, src, dst, 4);
}

/* The same frame without its Ethernet header: raw IP (LINKTYPE_RAW and kin). */
static void frame4_raw(struct buf *f, const struct seg *s)
{
    frame4(f, s, 0);
    memmove(f->p, f->p + ETH_HDR, f->len - ETH_HDR);
    f->len -= ETH_HDR;
}

/* Recompute the IPv4 header checksum after patching (IHL is taken as 5). */
static void reseal4(struct buf *f, size_t ip)
{
    set_be16(f, ip + 10, 0);
    set_be16(f, ip + 10, fold(sum16(0, f->p + ip, IP4_HDR)));
}

/* Ethernet / IPv6 with n extension headers (hop-by-hop, then destination options) / TCP. */
static void frame6_ext(struct buf *f, const struct seg *s, unsigned n)
{
    ethernet(f, s->from_server, 0, 0x86dd);
    const uint8_t *src = s->from_server ? SERVER6 : CLIENT6;
    const uint8_t *dst = s->from_server ? CLIENT6 : SERVER6;
    be32(f, 0x60000000);
    be16(f, (unsigned)(8 * n + TCP_HDR + s->opts_len + s->payload));
    u8(f, n > 0 ? 0 : 6); /* hop-by-hop first, as RFC 8200 4.1 wants */
    u8(f, 64);
    put(f, src, 16);
    put(f, dst, 16);
    for (unsigned i = 0; i < n; i++) {
        u8(f, i + 1 < n ? 60 : 6); /* next: destination options ... TCP */
        u8(f, 0);                  /* 8 bytes */
        static const uint8_t padn[6] = { 1, 4, 0, 0, 0, 0 };
        put(f, padn, sizeof(padn));
    }
    tcp(f, s, src, dst, 16);
}

/* ------------------------------------------------------------ pcap files */

static void pcap_global(struct buf *b, uint32_t snaplen, uint32_t linktype)
{
    le32(b, 0xa1b2c3d4);
    le16(b, 2);
    le16(b, 4);
    le32(b, 0); /* thiszone */
    le32(b, 0); /* sigfigs */
    le32(b, snaplen);
    le32(b, linktype);
}

static void pcap_rec_hdr(struct buf *b, uint32_t sec, uint32_t usec, uint32_t caplen, uint32_t len)
{
    le32(b, sec);
    le32(b, usec);
    le32(b, caplen);
    le32(b, len);
}

/* A record of the first caplen bytes of frame f (whose full length is f->len). */
static void pcap_rec_cut(struct buf *b, uint32_t sec, uint32_t usec, const struct buf *f,
                         size_t caplen)
{
    pcap_rec_hdr(b, sec, usec, (uint32_t)caplen, (uint32_t)f->len);
    put(b, f->p, caplen);
}

static void pcap_rec(struct buf *b, uint32_t sec, uint32_t usec, const struct buf *f)
{
    pcap_rec_cut(b, sec, usec, f, f->len);
}

/* The three segments of the test handshake; syn_opts replaces the SYN's options. */
static struct seg hs_seg(int i, const uint8_t *syn_opts, size_t syn_opts_len)
{
    struct seg s;
    memset(&s, 0, sizeof(s));
    switch (i) {
    case 0:
        s.flags = TH_SYN;
        s.seq = CLIENT_ISN;
        s.opts = syn_opts;
        s.opts_len = syn_opts_len;
        break;
    case 1:
        s.from_server = 1;
        s.flags = TH_SYN | TH_ACK;
        s.seq = SERVER_ISN;
        s.ack = CLIENT_ISN + 1;
        s.opts = SYN_OPTS;
        s.opts_len = sizeof(SYN_OPTS);
        break;
    default:
        s.flags = TH_ACK;
        s.seq = CLIENT_ISN + 1;
        s.ack = SERVER_ISN + 1;
        break;
    }
    return s;
}

/* Times of the handshake: SYN, SYN-ACK 10 ms later, ACK 0.2 ms after that. */
static const uint32_t HS_USEC[3] = { 100, 10100, 10300 };

/* Append the handshake as three records, the ACK at ack_sec/ack_usec. */
static void handshake_at(struct buf *b, const uint8_t *syn_opts, size_t syn_opts_len,
                         uint32_t ack_sec, uint32_t ack_usec)
{
    for (int i = 0; i < 3; i++) {
        struct buf f = { 0 };
        struct seg s = hs_seg(i, syn_opts, syn_opts_len);
        frame4(&f, &s, 0);
        if (i < 2) {
            pcap_rec(b, T0, HS_USEC[i], &f);
        } else {
            pcap_rec(b, ack_sec, ack_usec, &f);
        }
        buf_free(&f);
    }
}

static void handshake(struct buf *b)
{
    handshake_at(b, SYN_OPTS, sizeof(SYN_OPTS), T0, HS_USEC[2]);
}

/* Global header + handshake: the valid start every damaged pcap shares. */
static void start(struct buf *b)
{
    pcap_global(b, SNAPLEN, LINKTYPE_ETHERNET);
    handshake(b);
}

/* The client's first data segment (10 bytes), the usual 4th packet. */
static struct seg data_seg(void)
{
    struct seg s;
    memset(&s, 0, sizeof(s));
    s.flags = TH_PSH | TH_ACK;
    s.seq = CLIENT_ISN + 1;
    s.ack = SERVER_ISN + 1;
    s.payload = 10;
    return s;
}

static const uint32_t USEC4 = 20000; /* the 4th packet's time */

/* ------------------------------------------------------------------ cases */

static void c_valid(struct buf *b)
{
    start(b);
}

static void c_empty(struct buf *b)
{
    (void)b;
}

static void c_bad_magic(struct buf *b)
{
    start(b);
    b->p[0] = 0xde;
    b->p[1] = 0xad;
    b->p[2] = 0xbe;
    b->p[3] = 0xef;
}

static void c_short_global_header(struct buf *b)
{
    pcap_global(b, SNAPLEN, LINKTYPE_ETHERNET);
    b->len = 10;
}

static void c_trunc_record_header(struct buf *b)
{
    start(b);
    le32(b, T0); /* 8 of the 16 header bytes */
    le32(b, USEC4);
}

static void c_trunc_record_body(struct buf *b)
{
    start(b);
    struct buf f = { 0 };
    struct seg s = data_seg();
    frame4(&f, &s, 0);
    pcap_rec_hdr(b, T0, USEC4, (uint32_t)f.len, (uint32_t)f.len);
    put(b, f.p, 20); /* the file ends inside the body */
    buf_free(&f);
}

static void c_huge_caplen(struct buf *b)
{
    start(b);
    struct buf f = { 0 };
    struct seg s = data_seg();
    frame4(&f, &s, 0);
    /* caplen 1 MiB: over the snaplen (65535) and over libpcap's 256 KiB limit. */
    pcap_rec_hdr(b, T0, USEC4, 1u << 20, 1u << 20);
    put(b, f.p, f.len);
    buf_free(&f);
}

/* caplen over the file's snaplen (96) but within 256 KiB: libpcap reads what it may. */
static void c_caplen_over_snaplen(struct buf *b)
{
    pcap_global(b, 96, LINKTYPE_ETHERNET);
    handshake(b);
    struct buf f = { 0 };
    struct seg s = data_seg();
    s.payload = 200;
    frame4(&f, &s, 0);
    pcap_rec(b, T0, USEC4, &f);
    buf_free(&f);
}

static void c_zero_length_record(struct buf *b)
{
    start(b);
    pcap_rec_hdr(b, T0, USEC4, 0, 0);
}

/* The data segment with the IPv4 header patched by fn, as the 4th record. */
static void damaged4(struct buf *b, void (*fn)(struct buf *f, size_t ip, size_t tcp_at))
{
    start(b);
    struct buf f = { 0 };
    struct seg s = data_seg();
    frame4(&f, &s, 0);
    fn(&f, ETH_HDR, ETH_HDR + IP4_HDR);
    reseal4(&f, ETH_HDR);
    pcap_rec(b, T0, USEC4, &f);
    buf_free(&f);
}

static void p_ihl4(struct buf *f, size_t ip, size_t tcp_at)
{
    (void)tcp_at;
    f->p[ip] = 0x44;
}

static void p_totlen_lt_hdr(struct buf *f, size_t ip, size_t tcp_at)
{
    (void)tcp_at;
    set_be16(f, ip + 2, 12);
}

static void p_totlen_no_tcp(struct buf *f, size_t ip, size_t tcp_at)
{
    (void)tcp_at;
    set_be16(f, ip + 2, IP4_HDR + 8); /* room for ports, not for a TCP header */
}

static void p_doff4(struct buf *f, size_t ip, size_t tcp_at)
{
    (void)ip;
    f->p[tcp_at + 12] = 0x40;
}

static void p_doff_past_end(struct buf *f, size_t ip, size_t tcp_at)
{
    (void)ip;
    f->p[tcp_at + 12] = 0xf0; /* 60 bytes of header in a 30-byte segment */
}

static void c_ipv4_ihl_short(struct buf *b)
{
    damaged4(b, p_ihl4);
}

static void c_ipv4_totlen_lt_hdr(struct buf *b)
{
    damaged4(b, p_totlen_lt_hdr);
}

static void c_ipv4_totlen_no_tcp(struct buf *b)
{
    damaged4(b, p_totlen_no_tcp);
}

static void c_tcp_doff_short(struct buf *b)
{
    damaged4(b, p_doff4);
}

static void c_tcp_doff_past_end(struct buf *b)
{
    damaged4(b, p_doff_past_end);
}

/* IP total length beyond the capture: snaplen 64 cuts a 1000-byte data segment. */
static void c_ipv4_snaplen_cut(struct buf *b)
{
    pcap_global(b, 64, LINKTYPE_ETHERNET);
    handshake(b);
    struct buf f = { 0 };
    struct seg s = data_seg();
    s.payload = 1000;
    frame4(&f, &s, 0);
    pcap_rec_cut(b, T0, USEC4, &f, 64);
    buf_free(&f);
}

static void c_tcp_opt_len0(struct buf *b)
{
    static const uint8_t opts[8] = { 2, 0, 0x05, 0xb4, 1, 1, 4, 2 };
    pcap_global(b, SNAPLEN, LINKTYPE_ETHERNET);
    handshake_at(b, opts, sizeof(opts), T0, HS_USEC[2]);
}

static void c_tcp_opt_len1(struct buf *b)
{
    static const uint8_t opts[8] = { 1, 1, 1, 3, 1, 0, 0, 0 };
    pcap_global(b, SNAPLEN, LINKTYPE_ETHERNET);
    handshake_at(b, opts, sizeof(opts), T0, HS_USEC[2]);
}

static void c_tcp_opt_past_end(struct buf *b)
{
    static const uint8_t opts[8] = { 2, 4, 0x05, 0xb4, 8, 10, 0, 0 }; /* timestamps: 10 > 4 left */
    pcap_global(b, SNAPLEN, LINKTYPE_ETHERNET);
    handshake_at(b, opts, sizeof(opts), T0, HS_USEC[2]);
}

/* 40 IPv6 extension headers before a SYN of another connection. */
static void c_ipv6_ext_chain(struct buf *b)
{
    start(b);
    struct buf f = { 0 };
    struct seg s = hs_seg(0, SYN_OPTS, sizeof(SYN_OPTS));
    s.client_port = 40001;
    frame6_ext(&f, &s, 40);
    pcap_rec(b, T0, USEC4, &f);
    buf_free(&f);
}

/* 20 stacked 802.1Q tags before a SYN of another connection. */
static void c_vlan_stack(struct buf *b)
{
    start(b);
    struct buf f = { 0 };
    struct seg s = hs_seg(0, SYN_OPTS, sizeof(SYN_OPTS));
    s.client_port = 40001;
    frame4(&f, &s, 20);
    pcap_rec(b, T0, USEC4, &f);
    buf_free(&f);
}

/* The handshake's ACK is stamped before the SYN. */
static void c_ts_backwards(struct buf *b)
{
    pcap_global(b, SNAPLEN, LINKTYPE_ETHERNET);
    handshake_at(b, SYN_OPTS, sizeof(SYN_OPTS), T0, 50);
}

/* A FIN in the year 2103 (ts_sec 4200000000, near the u32 limit). */
static void c_ts_future(struct buf *b)
{
    start(b);
    struct buf f = { 0 };
    struct seg s = data_seg();
    s.flags = TH_FIN | TH_ACK;
    s.payload = 0;
    frame4(&f, &s, 0);
    pcap_rec(b, 4200000000u, 999999, &f);
    buf_free(&f);
}

/* One connection with one frame stamped in 2106 (ts_sec 4294000000) in its
 * middle: a data segment, then the client's FIN back at the capture's time. */
static void c_ts_jump(struct buf *b)
{
    start(b);
    struct buf f = { 0 };
    struct seg s = data_seg();
    frame4(&f, &s, 0);
    pcap_rec(b, 4294000000u, 0, &f);
    buf_free(&f);
    s.flags = TH_FIN | TH_ACK;
    s.seq = CLIENT_ISN + 11;
    s.payload = 0;
    frame4(&f, &s, 0);
    pcap_rec(b, T0, 30000, &f);
    buf_free(&f);
}

static void c_unsupported_linktype(struct buf *b)
{
    pcap_global(b, SNAPLEN, 147); /* LINKTYPE_USER0 */
    handshake(b);
}

/* The handshake as raw IP under link type 14 (OpenBSD's number for raw IP). */
static void c_raw14(struct buf *b)
{
    pcap_global(b, SNAPLEN, 14);
    for (int i = 0; i < 3; i++) {
        struct buf f = { 0 };
        struct seg s = hs_seg(i, SYN_OPTS, sizeof(SYN_OPTS));
        frame4_raw(&f, &s);
        pcap_rec(b, T0, HS_USEC[i], &f);
        buf_free(&f);
    }
}

static void c_not_a_capture(struct buf *b)
{
    static const char text[] = "this is not a capture, just a line of text\n";
    put(b, text, sizeof(text) - 1);
}

/* ----------------------------------------------------------------- pcapng */

static void ng_block(struct buf *b, uint32_t type, const struct buf *body)
{
    size_t pad = (4 - body->len % 4) % 4;
    uint32_t total = (uint32_t)(12 + body->len + pad);
    le32(b, type);
    le32(b, total);
    put(b, body->p, body->len);
    zeros(b, pad);
    le32(b, total);
}

static void ng_start(struct buf *b)
{
    struct buf body = { 0 };
    le32(&body, 0x1a2b3c4d); /* byte-order magic */
    le16(&body, 1);
    le16(&body, 0);
    le32(&body, 0xffffffff); /* section length: unknown */
    le32(&body, 0xffffffff);
    ng_block(b, 0x0a0d0d0a, &body); /* SHB */
    body.len = 0;
    le16(&body, LINKTYPE_ETHERNET);
    le16(&body, 0);
    le32(&body, SNAPLEN);
    ng_block(b, 0x00000001, &body); /* IDB, default resolution: microseconds */
    buf_free(&body);
}

static void ng_epb_on(struct buf *b, uint32_t iface, uint64_t usec, const struct buf *f)
{
    struct buf body = { 0 };
    le32(&body, iface);
    le32(&body, (uint32_t)(usec >> 32));
    le32(&body, (uint32_t)usec);
    le32(&body, (uint32_t)f->len);
    le32(&body, (uint32_t)f->len);
    put(&body, f->p, f->len);
    ng_block(b, 0x00000006, &body);
    buf_free(&body);
}

static void ng_epb(struct buf *b, uint64_t usec, const struct buf *f)
{
    ng_epb_on(b, 0, usec, f);
}

static void ng_idb(struct buf *b, unsigned linktype)
{
    struct buf body = { 0 };
    le16(&body, linktype);
    le16(&body, 0);
    le32(&body, SNAPLEN);
    ng_block(b, 0x00000001, &body);
    buf_free(&body);
}

/*
 * Two interfaces of different link types in one section (libpcap refuses the
 * second): Ethernet (0) and raw IP (1). The test handshake from port 40000
 * on interface 0, the same from port 40001 as raw IP on interface 1, 1 ms
 * later, their packets interleaved.
 */
static void c_pcapng_two_links(struct buf *b)
{
    ng_start(b);
    ng_idb(b, 101); /* LINKTYPE_RAW */
    for (int i = 0; i < 3; i++) {
        for (uint32_t iface = 0; iface < 2; iface++) {
            struct buf f = { 0 };
            struct seg s = hs_seg(i, SYN_OPTS, sizeof(SYN_OPTS));
            s.client_port = (uint16_t)(40000 + iface);
            if (iface == 0) {
                frame4(&f, &s, 0);
            } else {
                frame4_raw(&f, &s);
            }
            ng_epb_on(b, iface, (uint64_t)T0 * 1000000u + HS_USEC[i] + 1000 * iface, &f);
            buf_free(&f);
        }
    }
}

/* SHB, IDB, the handshake as EPBs; an unknown block after the SYN when unknown is set. */
static void ng_handshake(struct buf *b, int unknown)
{
    ng_start(b);
    for (int i = 0; i < 3; i++) {
        struct buf f = { 0 };
        struct seg s = hs_seg(i, SYN_OPTS, sizeof(SYN_OPTS));
        frame4(&f, &s, 0);
        ng_epb(b, (uint64_t)T0 * 1000000u + HS_USEC[i], &f);
        buf_free(&f);
        if (i == 0 && unknown) {
            struct buf body = { 0 };
            static const char junk[] = "an unknown block";
            put(&body, junk, sizeof(junk) - 1);
            ng_block(b, 0x00000bad, &body);
            buf_free(&body);
        }
    }
}

static void c_pcapng_unknown_block(struct buf *b)
{
    ng_handshake(b, 1);
}

static void c_pcapng_bad_block_len(struct buf *b)
{
    ng_handshake(b, 0);
    struct buf f = { 0 };
    struct seg s = data_seg();
    frame4(&f, &s, 0);
    size_t at = b->len;
    ng_epb(b, (uint64_t)T0 * 1000000u + USEC4, &f);
    buf_free(&f);
    b->p[at + 4] = 13; /* total length 13: below the EPB minimum, not a multiple of 4 */
    b->p[at + 5] = 0;
    b->p[at + 6] = 0;
    b->p[at + 7] = 0;
}

/* ------------------------------------------------------------------- main */

static const struct {
    const char *name;
    void (*make)(struct buf *b);
} cases[] = {
    { "valid.pcap", c_valid },
    { "empty.pcap", c_empty },
    { "bad_magic.pcap", c_bad_magic },
    { "short_global_header.pcap", c_short_global_header },
    { "trunc_record_header.pcap", c_trunc_record_header },
    { "trunc_record_body.pcap", c_trunc_record_body },
    { "huge_caplen.pcap", c_huge_caplen },
    { "caplen_over_snaplen.pcap", c_caplen_over_snaplen },
    { "zero_length_record.pcap", c_zero_length_record },
    { "ipv4_ihl_short.pcap", c_ipv4_ihl_short },
    { "ipv4_totlen_lt_hdr.pcap", c_ipv4_totlen_lt_hdr },
    { "ipv4_totlen_no_tcp.pcap", c_ipv4_totlen_no_tcp },
    { "ipv4_snaplen_cut.pcap", c_ipv4_snaplen_cut },
    { "tcp_doff_short.pcap", c_tcp_doff_short },
    { "tcp_doff_past_end.pcap", c_tcp_doff_past_end },
    { "tcp_opt_len0.pcap", c_tcp_opt_len0 },
    { "tcp_opt_len1.pcap", c_tcp_opt_len1 },
    { "tcp_opt_past_end.pcap", c_tcp_opt_past_end },
    { "ipv6_ext_chain.pcap", c_ipv6_ext_chain },
    { "vlan_stack.pcap", c_vlan_stack },
    { "ts_backwards.pcap", c_ts_backwards },
    { "ts_future.pcap", c_ts_future },
    { "ts_jump.pcap", c_ts_jump },
    { "unsupported_linktype.pcap", c_unsupported_linktype },
    { "pcapng_unknown_block.pcapng", c_pcapng_unknown_block },
    { "pcapng_bad_block_len.pcapng", c_pcapng_bad_block_len },
    { "pcapng_two_links.pcapng", c_pcapng_two_links },
    { "raw14.pcap", c_raw14 },
    { "not_a_capture.txt", c_not_a_capture },
};

static void save(const char *dir, const char *name, const struct buf *b)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        die("%s/%s: path too long", dir, name);
    }
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        die("%s: cannot create", path);
    }
    if ((b->len > 0 && fwrite(b->p, 1, b->len, fp) != b->len) || fclose(fp) != 0) {
        die("%s: write failed", path);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: make_hostile DIR\n", stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b = { 0 };
        cases[i].make(&b);
        save(argv[1], cases[i].name, &b);
        buf_free(&b);
    }
    return 0;
}
