/*
 * pcapfile.c - a fast reader for classic pcap files: the file is read with
 * pread(2) in large blocks into one reusable buffer and records are handed out
 * in place, with no per-packet copy and no call into libpcap per packet.
 *
 * It takes over only files it reads exactly as libpcap 1.10 (sf-pcap.c) does:
 * a regular file with one of the four classic magic numbers (micro- or
 * nanosecond, either byte order), version 2.4 and a link type the decoder
 * knows. Everything else (pcapng, pipes, versions 2.0-2.3 and 543.0 whose
 * length fields may be swapped, "modified" pcap, FCS bits in the link type,
 * byte-swapped Linux cooked captures whose headers libpcap rewrites) is left
 * to libpcap, which the caller uses whenever pcapfile_open declines. For the
 * files it takes, records, time stamp fields, snapshot length rules and error
 * texts follow sf-pcap.c, so both readers give the same packets and fail the
 * same way (fuzz/fuzz_pcapfile.c compares them).
 *
 * Why pread and not mmap: a mapped file that shrinks while it is read (log
 * rotation with copytruncate) kills the process with SIGBUS, losing every
 * record not yet written. A read past the new end simply returns short: the
 * reader then says the file was truncated, and the caller reports what was
 * analysed. Reading costs no more than mapping did: the block just copied in
 * is still in the CPU cache when its records are decoded.
 *
 *   file header (24 bytes): magic, version 2.4, thiszone, sigfigs, snaplen, linktype
 *   record header (16 bytes): ts_sec, ts_frac (us or ns), caplen, len; then caplen bytes
 */
#include "pcapfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "tcpshake.h"

#define MAGIC_US      0xa1b2c3d4u
#define MAGIC_NS      0xa1b23c4du
#define FILE_HDR_LEN  24
#define REC_HDR_LEN   16
#define MAX_CAPLEN    262144u /* libpcap's max_snaplen_for_dlt for every link type we take */
#define LINKTYPE_RAW  101
#define DLT_RAW_LINUX 12           /* what libpcap reports for LINKTYPE_RAW on Linux */
#define BUF_CAP       (512u << 10) /* one block read; holds the largest record */

struct pcapfile {
    int fd;
    uint8_t *buf;     /* BUF_CAP bytes: file bytes [buf_at, buf_at + buf_len) */
    size_t buf_len;   /* bytes valid in buf */
    size_t pos;       /* next record header, an index into buf */
    uint64_t buf_at;  /* file offset of buf[0] */
    uint64_t size;    /* file size when opened */
    uint64_t n_read;  /* records handed out */
    uint32_t snaplen; /* as libpcap adjusts it */
    int linktype;
    bool swap; /* file written in the other byte order */
    bool nano;
};

static inline uint32_t get32(const uint8_t *p, bool swap)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (swap) {
        v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
    }
    return v;
}

static inline uint32_t get16(const uint8_t *p, bool swap)
{
    return swap ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

/* pread until want bytes arrived or the file ended; bytes read, or -1 (errno). */
static ssize_t read_at(int fd, uint8_t *dst, size_t want, uint64_t off)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(fd, dst + got, want - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* The DLT value libpcap reports for a link type field we take, or -1 to decline. */
static int dlt_of(uint32_t linktype, bool swap)
{
    switch (linktype) {
    case LINKTYPE_RAW:
        return DLT_RAW_LINUX;
    case 0:   /* null */
    case 1:   /* Ethernet */
    case 12:  /* raw IP (BSD numbering) */
    case 14:  /* raw IP (OpenBSD numbering) */
    case 108: /* OpenBSD loop */
    case 228: /* IPv4 */
    case 229: /* IPv6 */
        return (int)linktype;
    case 113: /* Linux SLL */
    case 276: /* Linux SLL2 */
        /* libpcap rewrites some cooked headers (CAN ids) in swapped files. */
        return swap ? -1 : (int)linktype;
    default:
        return -1; /* libpcap knows it, or refuses it, in its own words */
    }
}

/* Fill pf from the 24-byte file header; false to decline the file. */
static bool take_header(struct pcapfile *pf, const uint8_t *h)
{
    uint32_t magic = get32(h, false);
    if (magic == MAGIC_US || magic == MAGIC_NS) {
        pf->swap = false;
    } else if (get32(h, true) == MAGIC_US || get32(h, true) == MAGIC_NS) {
        pf->swap = true;
    } else {
        return false;
    }
    pf->nano = get32(h, pf->swap) == MAGIC_NS;
    /* Only 2.4: older minor versions may have caplen and len interchanged. */
    if (get16(h + 4, pf->swap) != 2 || get16(h + 6, pf->swap) != 4) {
        return false;
    }
    int dlt = dlt_of(get32(h + 20, pf->swap), pf->swap);
    if (dlt < 0) {
        return false;
    }
    pf->linktype = dlt;
    /* pcap_adjust_snapshot: 0 or more than INT_MAX means the link type's maximum. */
    uint32_t snaplen = get32(h + 16, pf->swap);
    pf->snaplen = snaplen == 0 || snaplen > INT_MAX ? MAX_CAPLEN : snaplen;
    return true;
}

struct pcapfile *pcapfile_open(int fd)
{
    struct stat st;
    uint8_t hdr[FILE_HDR_LEN];
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < FILE_HDR_LEN ||
        read_at(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
        return NULL;
    }
    struct pcapfile *pf = ts_calloc(1, sizeof(*pf));
    if (pf == NULL) {
        return NULL;
    }
    pf->buf = ts_calloc(1, BUF_CAP);
    if (pf->buf == NULL || !take_header(pf, hdr)) {
        ts_free(pf->buf);
        ts_free(pf);
        return NULL;
    }
    pf->fd = fd;
    pf->size = (uint64_t)st.st_size;
    pf->buf_at = FILE_HDR_LEN;
    return pf;
}

int pcapfile_linktype(const struct pcapfile *pf)
{
    return pf->linktype;
}

uint32_t pcapfile_snaplen(const struct pcapfile *pf)
{
    return pf->snaplen;
}

/*
 * Make at least need bytes from pos available in buf (need <= BUF_CAP),
 * reading a whole block when it runs short. Returns the bytes available from
 * pos (fewer than need only at the end of the file), or -1 on a read error.
 */
static ssize_t fill(struct pcapfile *pf, size_t need)
{
    size_t left = pf->buf_len - pf->pos;
    if (left >= need) {
        return (ssize_t)left;
    }
    memmove(pf->buf, pf->buf + pf->pos, left);
    pf->buf_at += pf->pos;
    pf->pos = 0;
    pf->buf_len = left;
    ssize_t n = read_at(pf->fd, pf->buf + left, BUF_CAP - left, pf->buf_at + left);
    if (n < 0) {
        return -1;
    }
    pf->buf_len += (size_t)n;
    return (ssize_t)pf->buf_len;
}

/*
 * The file ended before the size it had when opened: it was cut while we read
 * it (a log rotation's copytruncate). Said apart from a file that was always
 * short, which libpcap's words below describe.
 */
static bool shrank(const struct pcapfile *pf, char *err, size_t err_len)
{
    struct stat st;
    if (fstat(pf->fd, &st) != 0 || (uint64_t)st.st_size >= pf->size) {
        return false;
    }
    snprintf(err, err_len,
             "packet %llu: file truncated while being read (%llu bytes when opened, %llu now)",
             (unsigned long long)(pf->n_read + 1), (unsigned long long)pf->size,
             (unsigned long long)st.st_size);
    return true;
}

static int read_error(const struct pcapfile *pf, char *err, size_t err_len)
{
    snprintf(err, err_len, "packet %llu: error reading dump file: %s",
             (unsigned long long)(pf->n_read + 1), strerror(errno));
    return -TCPSHAKE_ERR_READ;
}

/* A record cut short at the end of the file: libpcap's words (sf-pcap.c), or shrank's. */
static int cut_short(const struct pcapfile *pf, const char *what, uint32_t want, size_t got,
                     char *err, size_t err_len)
{
    if (!shrank(pf, err, err_len)) {
        snprintf(err, err_len,
                 "packet %llu: truncated dump file; tried to read %u %s, only got %zu",
                 (unsigned long long)(pf->n_read + 1), want, what, got);
    }
    return -TCPSHAKE_ERR_TRUNCATED;
}

/* caplen above the link type's maximum: libpcap's two texts. */
static int too_long(const struct pcapfile *pf, uint32_t caplen, char *err, size_t err_len)
{
    unsigned long long n = pf->n_read + 1;
    if (caplen > pf->snaplen) {
        snprintf(err, err_len,
                 "packet %llu: invalid packet capture length %u, bigger than snaplen of %u", n,
                 caplen, pf->snaplen);
    } else {
        snprintf(err, err_len,
                 "packet %llu: invalid packet capture length %u, bigger than maximum of %u", n,
                 caplen, MAX_CAPLEN);
    }
    return -TCPSHAKE_ERR_READ;
}

/* The time stamp fields as libpcap's pcap_pkthdr holds them at nanosecond
 * precision: its swap yields an unsigned 32-bit number, a native read a signed
 * one, and microseconds are scaled up in 64 bits. */
static void take_time(const struct pcapfile *pf, const uint8_t *h, struct pcapfile_record *rec)
{
    uint32_t sec = get32(h, pf->swap);
    uint32_t frac = get32(h + 4, pf->swap);
    rec->ts_sec = pf->swap ? (int64_t)sec : (int64_t)(int32_t)sec;
    rec->ts_frac = pf->swap ? (int64_t)frac : (int64_t)(int32_t)frac;
    if (!pf->nano) {
        rec->ts_frac *= 1000;
    }
}

int pcapfile_next(struct pcapfile *pf, struct pcapfile_record *rec, char *err, size_t err_len)
{
    ssize_t avail = fill(pf, REC_HDR_LEN);
    if (avail < 0) {
        return read_error(pf, err, err_len);
    }
    if (avail == 0) {
        return shrank(pf, err, err_len) ? -TCPSHAKE_ERR_TRUNCATED : 0;
    }
    if (avail < REC_HDR_LEN) {
        return cut_short(pf, "header bytes", REC_HDR_LEN, (size_t)avail, err, err_len);
    }
    const uint8_t *h = pf->buf + pf->pos;
    uint32_t caplen = get32(h + 8, pf->swap);
    if (caplen > MAX_CAPLEN) {
        return too_long(pf, caplen, err, err_len);
    }
    avail = fill(pf, REC_HDR_LEN + (size_t)caplen);
    if (avail < 0) {
        return read_error(pf, err, err_len);
    }
    h = pf->buf + pf->pos;
    size_t got = (size_t)avail - REC_HDR_LEN;
    if (got < caplen) {
        /* libpcap reads up to the snapshot length first, then the rest. */
        uint32_t want = caplen > pf->snaplen && got < pf->snaplen ? pf->snaplen : caplen;
        return cut_short(pf, "captured bytes", want, got, err, err_len);
    }
    take_time(pf, h, rec);
    rec->data = h + REC_HDR_LEN;
    /* A record longer than the file's snapshot length is cut to it (sf-pcap.c). */
    rec->caplen = caplen > pf->snaplen ? pf->snaplen : caplen;
    rec->wire_len = get32(h + 12, pf->swap);
    pf->pos += REC_HDR_LEN + (size_t)caplen;
    pf->n_read++;
    return 1;
}

void pcapfile_progress(const struct pcapfile *pf, uint64_t *done, uint64_t *total)
{
    *done = pf->buf_at + pf->pos;
    *total = pf->size;
}

void pcapfile_close(struct pcapfile *pf)
{
    if (pf == NULL) {
        return;
    }
    close(pf->fd);
    ts_free(pf->buf);
    ts_free(pf);
}
