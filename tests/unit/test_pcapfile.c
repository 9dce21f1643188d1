/*
 * test_pcapfile.c - the classic pcap block reader (src/pcapfile.c).
 *
 * 1. Crafted files: the reader declines each one libpcap reads differently
 *    (old versions, FCS bits, swapped cooked captures) and gives exactly
 *    libpcap's records and error text for every one it takes (snapshot
 *    length cuts, time stamp fields of 2^31 and more in both byte orders,
 *    over-long and cut records).
 * 2. A file cut while it is read (log rotation with copytruncate): the reader
 *    says so between blocks, and a whole run through the public API reports
 *    every packet read before the cut, with TCPSHAKE_ERR_TRUNCATED.
 */
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pcapfile.h"
#include "tcpshake.h"

#define MAX_FILE (3u << 20)

/* A file image being built, in either byte order. */
struct image {
    uint8_t b[MAX_FILE];
    size_t len;
    bool big; /* big-endian fields */
};

static void put32(struct image *im, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        int shift = im->big ? 24 - 8 * i : 8 * i;
        im->b[im->len++] = (uint8_t)(v >> shift);
    }
}

static void put16(struct image *im, uint16_t v)
{
    im->b[im->len++] = (uint8_t)(im->big ? v >> 8 : v);
    im->b[im->len++] = (uint8_t)(im->big ? v : v >> 8);
}

static void file_header(struct image *im, uint32_t magic, uint16_t vmaj, uint16_t vmin,
                        uint32_t snaplen, uint32_t linktype)
{
    im->len = 0;
    put32(im, magic);
    put16(im, vmaj);
    put16(im, vmin);
    put32(im, 0);
    put32(im, 0);
    put32(im, snaplen);
    put32(im, linktype);
}

/* A record of caplen bytes (filled with a pattern), of which only `have` are written. */
static void record(struct image *im, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
                   uint32_t have)
{
    put32(im, sec);
    put32(im, frac);
    put32(im, caplen);
    put32(im, len);
    for (uint32_t i = 0; i < have && im->len < MAX_FILE; i++) {
        im->b[im->len++] = (uint8_t)(i * 7 + sec);
    }
}

static char *write_temp(const uint8_t *b, size_t len)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    snprintf(path, 4096, "%s/test_pcapfile.XXXXXX", dir != NULL ? dir : "/tmp");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, b, len) == (ssize_t)len);
    close(fd);
    return path;
}

/* libpcap's next packet, or its end: 1, 0 at the end, -1 with its error text. */
static int pcap_read(pcap_t *p, struct pcap_pkthdr **hdr, const u_char **data, char *err,
                     size_t err_len, unsigned long long n)
{
    int rc = pcap_next_ex(p, hdr, data);
    if (rc == 1) {
        return 1;
    }
    if (rc == PCAP_ERROR_BREAK) {
        return 0;
    }
    snprintf(err, err_len, "packet %llu: %s", n, pcap_geterr(p));
    return -1;
}

/* Read path with both readers; false when the block reader declined it. */
static bool same_as_libpcap(const char *name, const char *path)
{
    int fd = open(path, O_RDONLY);
    struct pcapfile *pf = pcapfile_open(fd);
    if (pf == NULL) {
        close(fd);
        return false;
    }
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    CHECK(p != NULL);
    if (p == NULL) {
        fprintf(stderr, "%s: libpcap refused a file the block reader took: %s\n", name, ebuf);
        pcapfile_close(pf);
        return true;
    }
    CHECK_INT(pcapfile_linktype(pf), pcap_datalink(p));
    CHECK_INT(pcapfile_snaplen(pf), pcap_snapshot(p));
    for (unsigned long long n = 1;; n++) {
        char err_a[256] = "", err_b[256] = "";
        struct pcapfile_record rec;
        struct pcap_pkthdr *hdr;
        const u_char *data;
        int a = pcapfile_next(pf, &rec, err_a, sizeof(err_a));
        int b = pcap_read(p, &hdr, &data, err_b, sizeof(err_b), n);
        CHECK_INT(a > 0 ? 1 : a < 0 ? -1 : 0, b);
        if (a != 1 || b != 1) {
            CHECK_STR(err_a, err_b);
            break;
        }
        CHECK_INT(rec.ts_sec, hdr->ts.tv_sec);
        CHECK_INT(rec.ts_frac, hdr->ts.tv_usec);
        CHECK_INT(rec.caplen, hdr->caplen);
        CHECK_INT(rec.wire_len, hdr->len);
        CHECK(memcmp(rec.data, data, rec.caplen) == 0);
    }
    pcap_close(p);
    pcapfile_close(pf);
    return true;
}

#define US 0xa1b2c3d4u
#define NS 0xa1b23c4du

struct crafted {
    const char *name;
    bool big;
    uint32_t magic;
    uint16_t vmaj, vmin;
    uint32_t snaplen, linktype;
    uint32_t frac;              /* of every record */
    uint32_t caplen, len, have; /* of the last record (two good ones come first) */
    bool taken;                 /* the block reader reads it (else libpcap does) */
};

static const struct crafted crafted[] = {
    { "plain", false, US, 2, 4, 65535, 1, 5, 60, 60, 60, true },
    { "plain big-endian ns", true, NS, 2, 4, 65535, 1, 5, 60, 60, 60, true },
    { "caplen above snaplen is cut", false, US, 2, 4, 20, 1, 5, 60, 60, 60, true },
    { "cut record above snaplen, short of it", false, US, 2, 4, 20, 1, 5, 60, 60, 10, true },
    { "cut record above snaplen, past it", false, US, 2, 4, 20, 1, 5, 60, 60, 30, true },
    { "cut record", false, US, 2, 4, 65535, 1, 5, 60, 60, 59, true },
    { "snaplen 0", false, US, 2, 4, 0, 1, 5, 60, 60, 60, true },
    { "snaplen above INT_MAX", false, US, 2, 4, 0x80000000u, 1, 5, 60, 60, 60, true },
    { "caplen above the maximum and snaplen", false, US, 2, 4, 65535, 1, 5, 300000, 60, 0, true },
    { "caplen above the maximum only", false, US, 2, 4, 400000, 1, 5, 300000, 60, 0, true },
    { "us field 2^31 + 1", false, US, 2, 4, 65535, 1, 0x80000001u, 60, 60, 60, true },
    { "us field 2^31 + 1 big-endian", true, US, 2, 4, 65535, 1, 0x80000001u, 60, 60, 60, true },
    { "us field 2^32 - 1 big-endian", true, US, 2, 4, 65535, 1, 0xffffffffu, 60, 60, 60, true },
    { "us field above a second", false, US, 2, 4, 65535, 1, 4294968u, 60, 60, 60, true },
    { "ns field 2^31 + 1", false, NS, 2, 4, 65535, 1, 0x80000001u, 60, 60, 60, true },
    { "ns field 2^31 + 1 big-endian", true, NS, 2, 4, 65535, 1, 0x80000001u, 60, 60, 60, true },
    { "raw IP 101", false, US, 2, 4, 65535, 101, 5, 60, 60, 60, true },
    { "raw IP 14", false, US, 2, 4, 65535, 14, 5, 60, 60, 60, true },
    { "SLL", false, US, 2, 4, 65535, 113, 5, 60, 60, 60, true },
    { "version 2.2: lengths swapped", false, US, 2, 2, 65535, 1, 5, 60, 40, 40, false },
    { "version 2.3: lengths maybe swapped", false, US, 2, 3, 65535, 1, 5, 60, 40, 40, false },
    { "version 2.5: refused by libpcap", false, US, 2, 5, 65535, 1, 5, 60, 60, 60, false },
    { "version 543.0", false, US, 543, 0, 65535, 1, 5, 60, 40, 40, false },
    { "version 1.4", false, US, 1, 4, 65535, 1, 5, 60, 60, 60, false },
    { "FCS bits in the link type", false, US, 2, 4, 65535, 0x10000001u, 5, 60, 60, 60, false },
    { "SLL big-endian: libpcap rewrites CAN headers", true, US, 2, 4, 65535, 113, 5, 60, 60, 60,
      false },
    { "link type libpcap maps (ATM RFC1483)", false, US, 2, 4, 65535, 100, 5, 60, 60, 60, false },
};

static void test_same_as_libpcap(void)
{
    static struct image im;
    for (size_t i = 0; i < sizeof(crafted) / sizeof(crafted[0]); i++) {
        const struct crafted *c = &crafted[i];
        im.big = c->big;
        file_header(&im, c->magic, c->vmaj, c->vmin, c->snaplen, c->linktype);
        record(&im, 1, c->frac, 60, 60, 60);
        record(&im, 0x90000000u, c->frac, 40, 1500, 40);
        record(&im, 3, c->frac, c->caplen, c->len, c->have);
        char *path = write_temp(im.b, im.len);
        bool taken = same_as_libpcap(c->name, path);
        if (taken != c->taken) {
            CHECK(taken == c->taken);
            fprintf(stderr, "  case: %s\n", c->name);
        }
        unlink(path);
        free(path);
    }
}

/* A file of n Ethernet SYNs, each its own connection (54-byte frames). */
static void syn_file(struct image *im, uint32_t n)
{
    static const uint8_t tmpl[54] = {
        0,    1, 2, 3,  4, 5, 0,    1, 2,  3, 4, 6, 0x08, 0x00, /* Ethernet */
        0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10,   0,    0,    0,    192, 0, 2, 1, /* IPv4 */
        0,    0, 0, 80, 0, 0, 0x10, 0, 0,  0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0,   0, 0, 0, /* TCP */
    };
    im->big = false;
    file_header(im, US, 2, 4, 65535, 1);
    for (uint32_t i = 0; i < n; i++) {
        put32(im, 1000 + i / 1000);
        put32(im, i % 1000);
        put32(im, sizeof(tmpl));
        put32(im, sizeof(tmpl));
        uint8_t *f = im->b + im->len;
        memcpy(f, tmpl, sizeof(tmpl));
        f[27] = (uint8_t)(i >> 16); /* source address 10.x.y.z */
        f[28] = (uint8_t)(i >> 8);
        f[29] = (uint8_t)i;
        im->len += sizeof(tmpl);
    }
}

#define SYN_REC   (16 + 54)
#define SYN_COUNT 14000u /* 980 KB: two blocks of the reader and a bit */

/* Cut the file between two block reads: the reader says so, after every record before the cut. */
static void test_cut_between_blocks(void)
{
    static struct image im;
    syn_file(&im, SYN_COUNT);
    char *path = write_temp(im.b, im.len);
    int fd = open(path, O_RDONLY);
    struct pcapfile *pf = pcapfile_open(fd);
    CHECK(pf != NULL);
    struct pcapfile_record rec;
    char err[256] = "";
    CHECK_INT(pcapfile_next(pf, &rec, err, sizeof(err)), 1);
    /* The first block holds 512 KiB; cut the file short of its end and a bit after. */
    uint32_t keep = 9000;
    CHECK(truncate(path, 24 + (off_t)keep * SYN_REC + 30) == 0);
    uint32_t n = 1;
    int rc;
    while ((rc = pcapfile_next(pf, &rec, err, sizeof(err))) == 1) {
        n++;
    }
    CHECK_INT(rc, -TCPSHAKE_ERR_TRUNCATED);
    CHECK_INT(n, keep);
    CHECK_STR(err, "packet 9001: file truncated while being read (980024 bytes when opened, "
                   "630054 now)");
    pcapfile_close(pf);
    /* Cut at a record boundary: still a truncation, not a clean end. */
    CHECK(truncate(path, 0) == 0);
    int wfd = open(path, O_WRONLY);
    CHECK(write(wfd, im.b, im.len) == (ssize_t)im.len);
    close(wfd);
    fd = open(path, O_RDONLY);
    pf = pcapfile_open(fd);
    CHECK(pf != NULL);
    CHECK(truncate(path, 24 + (off_t)keep * SYN_REC) == 0);
    n = 0;
    while ((rc = pcapfile_next(pf, &rec, err, sizeof(err))) == 1) {
        n++;
    }
    CHECK_INT(rc, -TCPSHAKE_ERR_TRUNCATED);
    CHECK_INT(n, keep);
    CHECK(strstr(err, "truncated while being read") != NULL);
    pcapfile_close(pf);
    unlink(path);
    free(path);
}

struct cut_run {
    const char *path;
    off_t cut_to;
    uint64_t records;
    unsigned calls;
};

static void count_record(const struct tcpshake_record *r, void *user)
{
    struct cut_run *c = user;
    (void)r;
    c->records++;
}

/* The first progress report (after 16384 packets) cuts the file. */
static void cut_on_progress(uint64_t done, uint64_t total, void *user)
{
    struct cut_run *c = user;
    (void)done;
    (void)total;
    if (c->calls++ == 0) {
        CHECK(truncate(c->path, c->cut_to) == 0);
    }
}

/* A whole run: every packet before the cut is analysed and its record delivered. */
static void test_cut_during_run(void)
{
    static struct image im;
    /* Past 16384 packets and well past what one block holds beyond them. */
    uint32_t total = 40000, keep = 30000;
    syn_file(&im, total);
    char *path = write_temp(im.b, im.len);
    struct cut_run c = { path, 24 + (off_t)keep * SYN_REC, 0, 0 };
    struct tcpshake *h = tcpshake_new(NULL, count_record, &c);
    CHECK(h != NULL);
    tcpshake_set_progress(h, cut_on_progress, &c);
    CHECK_INT(tcpshake_open_file(h, path), TCPSHAKE_OK);
    CHECK_INT(tcpshake_run(h), TCPSHAKE_ERR_TRUNCATED);
    CHECK(strstr(tcpshake_errmsg(h), "packet 30001: file truncated while being read") != NULL);
    const struct tcpshake_stats *st = tcpshake_get_stats(h);
    CHECK_U64(st->packets_read, keep);
    CHECK_U64(st->connections, keep);
    CHECK_U64(c.records, keep);
    tcpshake_free(h);
    unlink(path);
    free(path);
}

int main(void)
{
    test_same_as_libpcap();
    test_cut_between_blocks();
    test_cut_during_run();
    return check_report("pcapfile");
}
