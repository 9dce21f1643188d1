/*
 * pcapfile.c - a fast reader for classic pcap files: the file is mapped into
 * memory and records are handed out in place, with no copy and no call into
 * libpcap per packet.
 *
 * It takes over only the plain case: a regular file with one of the four
 * classic magic numbers (micro- or nanosecond, either byte order), version
 * 2.x and an ordinary link type. Everything else (pcapng, standard input,
 * "modified" pcap, FCS bits in the link type) is left to libpcap, which the
 * caller uses whenever pcapfile_open declines. Record checks and error texts
 * follow libpcap's sf-pcap.c so both readers fail the same way.
 *
 *   file header (24 bytes): magic, version 2.4, thiszone, sigfigs, snaplen, linktype
 *   record header (16 bytes): ts_sec, ts_frac (us or ns), caplen, len; then caplen bytes
 */
#include "pcapfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "tcpshake.h"

#define MAGIC_US        0xa1b2c3d4u
#define MAGIC_NS        0xa1b23c4du
#define FILE_HDR_LEN    24
#define REC_HDR_LEN     16
#define MAX_CAPLEN      262144u /* libpcap's limit for every link type we decode */
#define LINKTYPE_RAW    101
#define DLT_RAW_LINUX   12         /* what libpcap reports for LINKTYPE_RAW on Linux */
#define RELEASE_STEP    (8u << 20) /* give back mapped pages already read, 8 MiB at a time */
#define CACHE_AHEAD     2048u      /* bytes pulled into the CPU cache ahead of the reader */
#define CACHE_LINE      64u
#define PREFETCH_WINDOW (256u << 10) /* how far pcapfile_prefetch_next runs ahead */
#define FAULT_AROUND    (64u << 10)  /* what the kernel maps around a page fault */

struct pcapfile {
    const uint8_t *map;
    size_t size;
    size_t off;      /* next record header */
    size_t released; /* pages before this offset were given back */
    size_t cached;   /* bytes before this offset were prefetched into the CPU cache */
    size_t touched;  /* pages before this offset were faulted in ahead (FAULT_AROUND steps) */
    size_t page;     /* sysconf(_SC_PAGESIZE), asked once: it is not cheap per packet */
    uint64_t n_read; /* records handed out */
    uint32_t snaplen;
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

/* Map the file; NULL when it is not a regular, non-empty file we can map. */
static const uint8_t *map_file(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    struct stat st;
    const uint8_t *map = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= FILE_HDR_LEN) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            map = m;
            *size = (size_t)st.st_size;
        }
    }
    close(fd);
    return map;
}

struct pcapfile *pcapfile_open(const char *path)
{
    size_t size = 0;
    const uint8_t *map = map_file(path, &size);
    if (map == NULL) {
        return NULL;
    }
    uint32_t magic = get32(map, false);
    bool swap = false;
    bool nano = false;
    if (magic == MAGIC_US || magic == MAGIC_NS) {
        nano = magic == MAGIC_NS;
    } else if (get32(map, true) == MAGIC_US || get32(map, true) == MAGIC_NS) {
        swap = true;
        nano = get32(map, true) == MAGIC_NS;
    } else {
        munmap((void *)map, size);
        return NULL;
    }
    uint32_t version_major = swap ? (uint32_t)map[4] << 8 | map[5] : (uint32_t)map[5] << 8 | map[4];
    uint32_t linktype = get32(map + 20, swap);
    /* Unusual headers (old versions, FCS bits) go to libpcap, which knows them all. */
    if (version_major != 2 || (linktype & 0xfc000000u) != 0 || linktype > 0xffffu) {
        munmap((void *)map, size);
        return NULL;
    }
    struct pcapfile *pf = ts_calloc(1, sizeof(*pf));
    if (pf == NULL) {
        munmap((void *)map, size);
        return NULL;
    }
    pf->map = map;
    pf->size = size;
    pf->off = FILE_HDR_LEN;
    long page = sysconf(_SC_PAGESIZE);
    pf->page = page > 0 ? (size_t)page : 4096;
    pf->swap = swap;
    pf->nano = nano;
    pf->snaplen = get32(map + 16, swap);
    pf->linktype = linktype == LINKTYPE_RAW ? DLT_RAW_LINUX : (int)linktype;
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
 * Pages already read count in the process's resident memory until dropped;
 * drop them (a private read-only mapping simply re-reads on demand), keeping
 * the record being handed out, so memory does not grow with the file.
 */
static void release_behind(struct pcapfile *pf, size_t keep_from)
{
    size_t upto = keep_from & ~(pf->page - 1); /* a power of two: no division per packet */
    if (upto - pf->released >= RELEASE_STEP) {
        madvise((void *)(pf->map + pf->released), upto - pf->released, MADV_DONTNEED);
        pf->released = upto;
    }
}

/* Prefetch the lines from at up to want, two a pass (a record is six or seven
 * lines on average), and remember how far that went. */
static void fetch_lines(struct pcapfile *pf, size_t at, size_t want)
{
    for (; at < want; at += 2 * CACHE_LINE) {
        __builtin_prefetch(pf->map + at);
        __builtin_prefetch(pf->map + at + CACHE_LINE);
    }
    pf->cached = at;
}

/*
 * Each record header is the first touch of its cache line, and waiting for
 * it was a third of the reading time (the hardware prefetcher does not follow
 * records of varying length across pages). Ask for the next 2 KiB ahead of
 * the reader, so headers and packet headers are in cache when needed.
 * (Mapping pages ahead with MADV_POPULATE_READ was measured too: no gain over
 * the kernel's fault-around.)
 */
static void read_ahead(struct pcapfile *pf)
{
    size_t want = pf->size - pf->off < CACHE_AHEAD ? pf->size : pf->off + CACHE_AHEAD;
    size_t at = pf->cached;
    if (at < pf->off) {
        at = pf->off / CACHE_LINE * CACHE_LINE;
    }
    fetch_lines(pf, at, want);
}

int pcapfile_next(struct pcapfile *pf, struct pcapfile_record *rec, char *err, size_t err_len)
{
    size_t left = pf->size - pf->off;
    if (left == 0) {
        return 0;
    }
    unsigned long long n = pf->n_read + 1;
    if (left < REC_HDR_LEN) {
        snprintf(err, err_len,
                 "packet %llu: truncated dump file; tried to read %d header bytes, only got %zu", n,
                 REC_HDR_LEN, left);
        return -TCPSHAKE_ERR_TRUNCATED;
    }
    const uint8_t *h = pf->map + pf->off;
    uint32_t caplen = get32(h + 8, pf->swap);
    if (caplen > MAX_CAPLEN) {
        snprintf(err, err_len,
                 "packet %llu: invalid packet capture length %u, bigger than maximum of %u", n,
                 caplen, MAX_CAPLEN);
        return -TCPSHAKE_ERR_READ;
    }
    if (left - REC_HDR_LEN < caplen) {
        snprintf(err, err_len,
                 "packet %llu: truncated dump file; tried to read %u captured bytes, only got %zu",
                 n, caplen, left - REC_HDR_LEN);
        return -TCPSHAKE_ERR_TRUNCATED;
    }
    uint64_t sec = get32(h, pf->swap);
    uint64_t frac = get32(h + 4, pf->swap);
    if (frac > INT32_MAX) {
        /* libpcap reads the fraction as a signed 32-bit number and tcpshake has
         * always clamped a negative one to 0; tshark shows the same time. */
        frac = 0;
    }
    rec->ts_sec = (uint32_t)sec;
    rec->ts_frac_ns = pf->nano ? (uint32_t)frac : (uint32_t)(frac * 1000u);
    rec->ts_ns = sec * 1000000000u + (pf->nano ? frac : frac * 1000u);
    rec->data = h + REC_HDR_LEN;
    rec->caplen = caplen;
    rec->wire_len = get32(h + 12, pf->swap);
    pf->off += REC_HDR_LEN + caplen;
    pf->n_read++;
    release_behind(pf, (size_t)(rec->data - pf->map));
    read_ahead(pf);
    return 1;
}

/*
 * The next batch's bytes, fetched while the engine analyses this one: without
 * it, reading and analysis took turns and the file's misses came all at once
 * in the reading turn (10 M trace: 1.86 -> 1.60 s, bench/README.md). A
 * prefetch of a page that is not mapped yet is dropped, and costs a page walk
 * for nothing (a file cached in 4 KiB pages got 25 % slower): so the pages
 * are faulted in first, one read per FAULT_AROUND, the same faults the reader
 * would take a little later.
 */
void pcapfile_prefetch_next(struct pcapfile *pf, unsigned records)
{
    if (pf->n_read == 0) {
        return;
    }
    size_t bytes = (size_t)(pf->off / pf->n_read) * records;
    size_t end = pf->size - pf->off < PREFETCH_WINDOW ? pf->size : pf->off + PREFETCH_WINDOW;
    size_t at = pf->cached < pf->off ? pf->off / CACHE_LINE * CACHE_LINE : pf->cached;
    if (at >= end) {
        return;
    }
    size_t want = end - at < bytes ? end : at + bytes;
    if (pf->touched < at) {
        pf->touched = at / FAULT_AROUND * FAULT_AROUND;
    }
    for (; pf->touched < want; pf->touched += FAULT_AROUND) {
        (void)*(volatile const uint8_t *)(pf->map + pf->touched);
    }
    fetch_lines(pf, at, want);
}

void pcapfile_progress(const struct pcapfile *pf, uint64_t *done, uint64_t *total)
{
    *done = pf->off;
    *total = pf->size;
}

void pcapfile_close(struct pcapfile *pf)
{
    if (pf == NULL) {
        return;
    }
    munmap((void *)pf->map, pf->size);
    ts_free(pf);
}
