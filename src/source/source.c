/*
 * source.c - trace files and live interfaces through libpcap
 * (pcap_next_ex(3PCAP), pcap_create(3PCAP) ... pcap_activate(3PCAP)), and the
 * trace writer (pcap_dump_open(3PCAP)) that saves what was read.
 *
 * Files are opened with PCAP_TSTAMP_PRECISION_NANO so micro- and nanosecond
 * captures (and pcapng interfaces with any if_tsresol) all arrive as
 * nanoseconds. libpcap reads the magic number, not the file name. Live
 * interfaces ask for nanoseconds too and fall back to microseconds; reads
 * wait at most a timeout, so the engine's clock advances on an idle link.
 * A dump file takes the source's link type, snaplen and time precision.
 *
 * A path is opened once (a FIFO has one writer to wait for). A plain classic
 * pcap file read without a filter goes through pcapfile.c instead (block
 * reads, no per-packet copy, and the same records as libpcap); s->pcap is then
 * only a "dead" handle, made when a dump file needs one. Anything else (a
 * pipe, pcapng, an unusual header) goes to libpcap on the same open file.
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "pcapfile.h"
#include "pcapng.h"
#include "tcpshake.h"
#include "zstream.h"

#define DLT_RAW_OPENBSD  14   /* raw IP, as OpenBSD numbers it (LINKTYPE 14 in a file) */
#define PCAPNG_FIRST     0x0a /* first byte of a pcapng file in either byte order */
#define MAX_FILTER_LINKS 8    /* link types a pcapng file's filter is compiled for */

/* A pcapng file's filter, compiled for one link type. */
/* Classic pcap: the file header, and each record's header (progress on a pipe). */
#define PCAP_FILE_HEADER_LEN   24u
#define PCAP_RECORD_HEADER_LEN 16u

struct link_filter {
    int linktype;
    struct bpf_program prog;
};

struct source {
    pcap_t *pcap;              /* NULL while a pcapfile reads without a dump */
    struct pcapfile *pf;       /* the fast reader, or NULL */
    struct pcap_pkthdr pf_hdr; /* the pcapfile record last read, for dumping */
    int linktype;
    uint64_t n_read;
    bool live;                    /* an interface, not a file */
    bool nano;                    /* tv_usec holds nanoseconds */
    int fd;                       /* live, non-blocking: what to poll(); else -1 */
    int timeout_ms;               /* live: longest wait for a packet */
    struct pcap_pkthdr *last_hdr; /* of the last packet read, for source_dump_last */
    const u_char *last_data;      /* borrowed until the next read */
    pcap_dumper_t *dump;          /* the trace being written, or NULL */
    struct pcapng *ng;            /* the pcapng reader, or NULL */
    FILE *ng_fp;                  /* its stream (closed here unless stdin) */
    char *bpf;                    /* pcapng: the filter, compiled per link type */
    struct link_filter filters[MAX_FILTER_LINKS];
    unsigned n_filters;
    int last_linktype; /* of the last packet read, for source_dump_last */
    struct zstream *z; /* a compressed file's decompressor (owned by its stream), or NULL */
    /* Several files merged by time (source_merge): the files, each one's next packet. */
    struct source **subs;
    struct source_packet *heads;
    bool *pending; /* heads[i] holds subs[i]'s next packet */
    char **names;  /* of the files, for error messages */
    size_t n_subs;
    size_t last; /* the file whose packet was returned last; n_subs at first, SIZE_MAX at the end */
    struct source_packet last_pkt; /* that packet, for source_dump_last */
    uint64_t n_bytes;              /* libpcap reading a file: bytes of the records it returned */
};

/* libpcap says "truncated dump file" (or similar) for a record cut short. */
static int classify_open_error(const char *msg)
{
    if (strstr(msg, "No such file") != NULL || strstr(msg, "Permission denied") != NULL ||
        strstr(msg, "Is a directory") != NULL) {
        return TCPSHAKE_ERR_OPEN;
    }
    return TCPSHAKE_ERR_FORMAT;
}

/* Compile bpf for packets of link type dlt on a dead handle; false with err set. */
static bool compile_dead(int dlt, int snaplen, const char *bpf, struct bpf_program *prog, char *err,
                         size_t err_len)
{
    pcap_t *dead = pcap_open_dead(dlt, snaplen);
    if (dead == NULL) {
        snprintf(err, err_len, "filter '%s': %s", bpf, tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
        return false;
    }
    bool ok = pcap_compile(dead, prog, bpf, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (!ok) {
        snprintf(err, err_len, "filter '%s': %s", bpf, pcap_geterr(dead));
    }
    pcap_close(dead);
    return ok;
}

/*
 * Compile bpf for p's packets. libpcap on Linux has no filter code for DLT 14,
 * raw IP in OpenBSD's numbering ("unknown data link type 14"); its packets are
 * the same raw IP as DLT_RAW's, so the filter is compiled for that on a dead
 * handle and then set on p (a savefile applies any program it is given).
 */
static int compile_filter(pcap_t *p, const char *bpf, struct bpf_program *prog, char *err,
                          size_t err_len)
{
    if (pcap_datalink(p) == DLT_RAW_OPENBSD) {
        return compile_dead(DLT_RAW, pcap_snapshot(p), bpf, prog, err, err_len)
                       ? TCPSHAKE_OK
                       : TCPSHAKE_ERR_FILTER;
    }
    if (pcap_compile(p, prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, err_len, "filter '%s': %s", bpf, pcap_geterr(p));
        return TCPSHAKE_ERR_FILTER;
    }
    return TCPSHAKE_OK;
}

/* A zeroed source with no descriptor to poll; NULL, with the message, when memory runs out. */
static struct source *new_source(char *err, size_t err_len)
{
    struct source *s = ts_calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, err_len, "%s", tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
        return NULL;
    }
    s->fd = -1;
    return s;
}

static int finish_open(struct source **out, pcap_t *p, const char *bpf, char *err, size_t err_len)
{
    if (bpf != NULL && bpf[0] != '\0') {
        struct bpf_program prog;
        int rc = compile_filter(p, bpf, &prog, err, err_len);
        if (rc != TCPSHAKE_OK) {
            pcap_close(p);
            return rc;
        }
        rc = pcap_setfilter(p, &prog);
        pcap_freecode(&prog);
        if (rc != 0) {
            snprintf(err, err_len, "filter '%s': %s", bpf, pcap_geterr(p));
            pcap_close(p);
            return TCPSHAKE_ERR_FILTER;
        }
    }
    struct source *s = new_source(err, err_len);
    if (s == NULL) {
        pcap_close(p);
        return TCPSHAKE_ERR_NOMEM;
    }
    s->pcap = p;
    s->linktype = pcap_datalink(p);
    s->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    *out = s;
    return TCPSHAKE_OK;
}

/* Open path once: the same open file goes to the block reader or to libpcap, so a
 * FIFO's writer is never waited for twice (nor gone by a second open). */
static int open_path(const char *path, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "%s", strerror(errno));
    }
    return fd;
}

int source_open_file(struct source **out, const char *path, const char *bpf, char *err,
                     size_t err_len)
{
    *out = NULL;
    if (strcmp(path, "-") == 0) {
        return source_open_stream(out, stdin, bpf, err, err_len);
    }
    int fd = open_path(path, err, err_len);
    if (fd < 0) {
        return TCPSHAKE_ERR_OPEN;
    }
    if (bpf == NULL || bpf[0] == '\0') {
        struct pcapfile *pf = pcapfile_open(fd);
        if (pf != NULL) {
            struct source *s = new_source(err, err_len);
            if (s == NULL) {
                pcapfile_close(pf);
                return TCPSHAKE_ERR_NOMEM;
            }
            s->pf = pf;
            s->linktype = pcapfile_linktype(pf);
            s->nano = true;
            *out = s;
            return TCPSHAKE_OK;
        }
    }
    FILE *fp = fdopen(fd, "rb");
    if (fp == NULL) {
        snprintf(err, err_len, "%s", strerror(errno));
        close(fd);
        return TCPSHAKE_ERR_NOMEM;
    }
    return source_open_stream(out, fp, bpf, err, err_len);
}

/*
 * A packet's time from the pcap_pkthdr fields at nanosecond precision, for
 * both readers alike. Classic pcap keeps unsigned 32-bit seconds, which
 * libpcap 1.10 reads as signed: a time after 2038-01-19 arrives negative. Take
 * it back as the unsigned number it was; anything more negative is clamped to
 * the epoch. A negative fraction (a field of 2^31 or more read as signed) is
 * clamped to 0, as tcpshake always has; tshark shows the same time.
 */
static uint64_t ts_ns_of(int64_t sec, int64_t frac_ns)
{
    uint64_t s = 0;
    if (sec >= 0) {
        s = (uint64_t)sec;
    } else if (sec >= INT32_MIN) {
        s = (uint32_t)sec;
    }
    return s * 1000000000u + (frac_ns < 0 ? 0 : (uint64_t)frac_ns);
}

/* ------------------------------------------------------------------ pcapng */

/*
 * What libpcap makes of a link type field and snaplen (pcapng.h): ask it, by
 * opening a classic pcap header in memory; its LINKTYPE_ to DLT_ mapping and
 * snapshot rule are the same for both formats.
 */
static bool libpcap_link(uint16_t linktype, uint32_t snaplen, int *dlt, uint32_t *snapshot,
                         void *ctx)
{
    (void)ctx;
    uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 }; /* little-endian, 2.4 */
    for (int i = 0; i < 4; i++) {
        hdr[16 + i] = (uint8_t)(snaplen >> (8 * i));
    }
    hdr[20] = (uint8_t)linktype;
    hdr[21] = (uint8_t)(linktype >> 8);
    FILE *fp = fmemopen(hdr, sizeof(hdr), "rb");
    if (fp == NULL) {
        return false;
    }
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_fopen_offline(fp, ebuf);
    if (p == NULL) {
        fclose(fp);
        return false;
    }
    *dlt = pcap_datalink(p);
    *snapshot = (uint32_t)pcap_snapshot(p);
    pcap_close(p);
    return true;
}

/* The filter for packets of this link type, compiled when first needed; NULL with err set. */
static const struct bpf_program *link_filter(struct source *s, int linktype, char *err,
                                             size_t err_len)
{
    for (unsigned i = 0; i < s->n_filters; i++) {
        if (s->filters[i].linktype == linktype) {
            return &s->filters[i].prog;
        }
    }
    if (s->n_filters == MAX_FILTER_LINKS) {
        snprintf(err, err_len, "filter '%s': more than %d link types", s->bpf, MAX_FILTER_LINKS);
        return NULL;
    }
    struct link_filter *f = &s->filters[s->n_filters];
    int dlt = linktype == DLT_RAW_OPENBSD ? DLT_RAW : linktype;
    if (!compile_dead(dlt, (int)pcapng_snaplen(s->ng), s->bpf, &f->prog, err, err_len)) {
        return NULL;
    }
    f->linktype = linktype;
    s->n_filters++;
    return &f->prog;
}

/* The library's status for a fault of the pcapng reader: the one place they are mapped. */
static enum tcpshake_status pcapng_fault_status(enum pcapng_status st)
{
    switch (st) {
    case PCAPNG_ERR_TRUNCATED:
        return TCPSHAKE_ERR_TRUNCATED;
    case PCAPNG_ERR_NOMEM:
        return TCPSHAKE_ERR_NOMEM;
    case PCAPNG_OK:
    case PCAPNG_END:
        return TCPSHAKE_OK;
    case PCAPNG_ERR:
    default:
        return TCPSHAKE_ERR_READ;
    }
}

/* A pcapng stream: tcpshake's reader (interfaces of several link types), filters per link type. */
static int open_pcapng(struct source **out, FILE *fp, const char *bpf, char *err, size_t err_len)
{
    struct source *s = new_source(err, err_len);
    if (s == NULL) {
        if (fp != stdin) {
            fclose(fp);
        }
        return TCPSHAKE_ERR_NOMEM;
    }
    s->ng_fp = fp;
    s->nano = true;
    enum pcapng_status st = pcapng_open(&s->ng, fp, libpcap_link, NULL, err, err_len);
    if (st != PCAPNG_OK) {
        source_close(s);
        if (pcapng_fault_status(st) == TCPSHAKE_ERR_NOMEM) {
            snprintf(err, err_len, "%s", tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
            return TCPSHAKE_ERR_NOMEM;
        }
        /* Opening words its other faults as libpcap would, and is classified as libpcap's are. */
        return classify_open_error(err);
    }
    s->linktype = pcapng_linktype(s->ng);
    if (bpf != NULL && bpf[0] != '\0') {
        size_t n = strlen(bpf) + 1;
        s->bpf = ts_calloc(1, n);
        if (s->bpf == NULL) {
            source_close(s);
            snprintf(err, err_len, "%s", tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
            return TCPSHAKE_ERR_NOMEM;
        }
        memcpy(s->bpf, bpf, n);
        /* A bad expression fails now, before any packet is read. */
        if (link_filter(s, s->linktype, err, err_len) == NULL) {
            source_close(s);
            return TCPSHAKE_ERR_FILTER;
        }
    }
    *out = s;
    return TCPSHAKE_OK;
}

static int pcapng_read(struct source *s, struct source_packet *pkt, char *err, size_t err_len)
{
    for (;;) {
        struct pcapng_record rec;
        char why[256] = "";
        enum pcapng_status st = pcapng_next(s->ng, &rec, why, sizeof(why));
        int rc = st == PCAPNG_OK ? 1 : st == PCAPNG_END ? 0 : -(int)pcapng_fault_status(st);
        if (rc == 1 && s->bpf != NULL) {
            const struct bpf_program *prog = link_filter(s, rec.linktype, why, sizeof(why));
            if (prog == NULL) {
                rc = -TCPSHAKE_ERR_FILTER;
            } else {
                struct pcap_pkthdr h = { .caplen = rec.caplen, .len = rec.wire_len };
                if (pcap_offline_filter(prog, &h, rec.data) == 0) {
                    continue;
                }
            }
        }
        if (rc < 0) {
            snprintf(err, err_len, "packet %llu: %s", (unsigned long long)(s->n_read + 1), why);
        }
        if (rc != 1) {
            return rc;
        }
        s->n_read++;
        pkt->ts_ns = ts_ns_of(rec.ts_sec, rec.ts_frac);
        pkt->data = rec.data;
        pkt->caplen = rec.caplen;
        pkt->wire_len = rec.wire_len;
        pkt->linktype = rec.linktype;
        s->pf_hdr.ts.tv_sec = (time_t)rec.ts_sec;
        s->pf_hdr.ts.tv_usec = (suseconds_t)rec.ts_frac;
        s->pf_hdr.caplen = rec.caplen;
        s->pf_hdr.len = rec.wire_len;
        s->last_hdr = &s->pf_hdr;
        s->last_data = rec.data;
        s->last_linktype = rec.linktype;
        return 1;
    }
}

/* ------------------------------------------------------------------ streams */

/*
 * A stream: pcapng (its first byte is 0x0a in either byte order, and no
 * classic pcap magic starts so) goes to tcpshake's reader, anything else to
 * libpcap. One byte of look-ahead, which ungetc always allows.
 */
static int open_plain(struct source **out, FILE *fp, int first, const char *bpf, char *err,
                      size_t err_len)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    if (first == PCAPNG_FIRST) {
        return open_pcapng(out, fp, bpf, err, err_len);
    }
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (p == NULL) {
        if (fp != stdin) {
            fclose(fp);
        }
        snprintf(err, err_len, "%s", ebuf[0] != '\0' ? ebuf : "cannot read capture");
        return classify_open_error(ebuf);
    }
    return finish_open(out, p, bpf, err, err_len);
}

/* The first byte of a gzip (0x1f) or zstd (0x28) file, which no capture starts with. */
static bool compressed_first(int first)
{
    return first == 0x1f || first == 0x28;
}

/* A stream whose failure may be the decompressor's: say so in its words. */
static int compressed_fault(const struct zstream *z, int rc, char *err, size_t err_len)
{
    const char *why;
    enum zstream_fault fault = zstream_fault(z, &why);
    if (fault == ZSTREAM_OK) {
        return rc;
    }
    snprintf(err, err_len, "%s", why);
    return fault == ZSTREAM_TRUNCATED ? TCPSHAKE_ERR_TRUNCATED : TCPSHAKE_ERR_FORMAT;
}

/*
 * A gzip or zstd stream (fp has given its first byte): read on through a
 * decompressing stream (zstream.c), which must hold a capture itself; a
 * capture compressed twice is refused.
 */
static int open_compressed(struct source **out, FILE *fp, int first, const char *bpf, char *err,
                           size_t err_len)
{
    uint8_t head[4] = { (uint8_t)first };
    size_t n = 1 + fread(head + 1, 1, sizeof(head) - 1, fp);
    enum zstream_kind kind = zstream_detect(head, n);
    struct zstream *z = NULL;
    FILE *zfp = kind != ZSTREAM_NONE ? zstream_open(fp, kind, head, n, &z) : NULL;
    if (zfp == NULL) {
        if (fp != stdin) {
            fclose(fp);
        }
        snprintf(err, err_len, "%s",
                 kind == ZSTREAM_NONE ? "unknown file format (not pcap, pcapng, gzip or zstd)"
                                      : tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
        return kind == ZSTREAM_NONE ? TCPSHAKE_ERR_FORMAT : TCPSHAKE_ERR_NOMEM;
    }
    int inner = getc(zfp);
    int rc;
    if (inner == EOF || compressed_first(inner)) {
        fclose(zfp);
        snprintf(err, err_len, "%s holds no capture (%s)", zstream_name(kind),
                 inner == EOF ? "it is empty" : "it is compressed twice");
        rc = compressed_fault(z, TCPSHAKE_ERR_FORMAT, err, err_len);
    } else {
        ungetc(inner, zfp);
        rc = open_plain(out, zfp, inner, bpf, err, err_len);
        if (rc == TCPSHAKE_ERR_FORMAT) {
            char inner_err[200];
            snprintf(inner_err, sizeof(inner_err), "%s", err);
            snprintf(err, err_len, "%s content: %s", zstream_name(kind), inner_err);
        }
        rc = rc == TCPSHAKE_OK ? rc : compressed_fault(z, rc, err, err_len);
    }
    if (rc != TCPSHAKE_OK) {
        zstream_free(z);
        return rc;
    }
    (*out)->z = z;
    return TCPSHAKE_OK;
}

int source_open_stream(struct source **out, FILE *fp, const char *bpf, char *err, size_t err_len)
{
    *out = NULL;
    int first = getc(fp);
    if (compressed_first(first)) {
        return open_compressed(out, fp, first, bpf, err, err_len);
    }
    if (first != EOF) {
        ungetc(first, fp);
    }
    return open_plain(out, fp, first, bpf, err, err_len);
}

int source_linktype(const struct source *s)
{
    return s->linktype;
}

static int pcapfile_read(struct source *s, struct source_packet *pkt, char *err, size_t err_len)
{
    struct pcapfile_record rec;
    int rc = pcapfile_next(s->pf, &rec, err, err_len);
    if (rc != 1) {
        return rc;
    }
    s->n_read++;
    pkt->ts_ns = ts_ns_of(rec.ts_sec, rec.ts_frac);
    pkt->data = rec.data;
    pkt->caplen = rec.caplen;
    pkt->wire_len = rec.wire_len;
    pkt->linktype = s->linktype;
    if (s->dump != NULL) {
        s->pf_hdr.ts.tv_sec = (time_t)rec.ts_sec;
        s->pf_hdr.ts.tv_usec = (suseconds_t)rec.ts_frac; /* a nanosecond dump handle */
        s->pf_hdr.caplen = rec.caplen;
        s->pf_hdr.len = rec.wire_len;
        s->last_hdr = &s->pf_hdr;
        s->last_data = rec.data;
    }
    return 1;
}

/* ------------------------------------------------------------ merged files */

/*
 * Several files read as one (source_merge), as mergecap would merge them: each
 * file keeps its own order, and the next packet is the earliest of the files'
 * next packets (the first file's on a tie). A packet's bytes stay valid until
 * the next source_next, because only the file it came from is read on then.
 */

/* Read file i's next packet into heads[i]; 1, 0 at its end, or a negative status. */
static int merge_advance(struct source *s, size_t i, char *err, size_t err_len)
{
    char why[256] = "";
    int rc = source_next(s->subs[i], &s->heads[i], why, sizeof(why));
    s->pending[i] = rc == 1;
    if (rc < 0) {
        snprintf(err, err_len, "%s: %s", s->names[i], why);
    }
    return rc;
}

static int merge_next(struct source *s, struct source_packet *pkt, char *err, size_t err_len)
{
    if (s->last == s->n_subs) {
        for (size_t i = 0; i < s->n_subs; i++) {
            int rc = merge_advance(s, i, err, err_len);
            if (rc < 0) {
                return rc;
            }
        }
    } else if (s->last < s->n_subs) {
        int rc = merge_advance(s, s->last, err, err_len);
        if (rc < 0) {
            return rc;
        }
    }
    size_t best = s->n_subs;
    for (size_t i = 0; i < s->n_subs; i++) {
        if (s->pending[i] && (best == s->n_subs || s->heads[i].ts_ns < s->heads[best].ts_ns)) {
            best = i;
        }
    }
    if (best == s->n_subs) {
        s->last = SIZE_MAX; /* every file has ended: nothing to read on */
        return 0;
    }
    s->last = best;
    s->n_read++;
    s->last_pkt = s->heads[best];
    *pkt = s->heads[best];
    return 1;
}

static void merge_progress(struct source *s, uint64_t *done, uint64_t *total)
{
    bool known = true;
    for (size_t i = 0; i < s->n_subs; i++) {
        uint64_t d, t;
        source_progress(s->subs[i], &d, &t);
        *done += d;
        *total += t;
        known = known && t > 0;
    }
    if (!known) {
        *total = 0;
    }
}

int source_merge(struct source **out, struct source **subs, const char *const *names, size_t n,
                 char *err, size_t err_len)
{
    *out = NULL;
    struct source *s = new_source(err, err_len);
    if (s != NULL) {
        s->subs = ts_calloc(n, sizeof(*s->subs));
        s->heads = ts_calloc(n, sizeof(*s->heads));
        s->pending = ts_calloc(n, sizeof(*s->pending));
        s->names = ts_calloc(n, sizeof(*s->names));
    }
    bool ok = s != NULL && s->subs != NULL && s->heads != NULL && s->pending != NULL &&
              s->names != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        size_t len = strlen(names[i]) + 1;
        s->names[i] = ts_calloc(1, len);
        ok = s->names[i] != NULL;
        if (ok) {
            memcpy(s->names[i], names[i], len);
        }
    }
    if (!ok) {
        for (size_t i = 0; i < n; i++) {
            source_close(subs[i]);
        }
        source_close(s);
        snprintf(err, err_len, "%s", tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
        return TCPSHAKE_ERR_NOMEM;
    }
    memcpy(s->subs, subs, n * sizeof(*subs));
    s->n_subs = n;
    s->last = n;
    s->linktype = subs[0]->linktype;
    s->nano = true;
    *out = s;
    return TCPSHAKE_OK;
}

bool source_progress(struct source *s, uint64_t *done, uint64_t *total)
{
    *done = *total = 0;
    if (s->live) {
        return false;
    }
    if (s->pf != NULL) {
        pcapfile_progress(s->pf, done, total);
        return true;
    }
    if (s->subs != NULL) {
        merge_progress(s, done, total);
        return true;
    }
    if (s->z != NULL) {
        zstream_progress(s->z, done, total);
        return true;
    }
    FILE *fp = s->ng != NULL ? s->ng_fp : pcap_file(s->pcap);
    if (fp == NULL) {
        return true;
    }
    struct stat st;
    off_t off = ftello(fp);
    *done = off > 0 ? (uint64_t)off : 0;
    if (off < 0) {
        /* A pipe: count what was read. libpcap's records, not the ones its filter skipped. */
        *done = s->ng != NULL   ? pcapng_bytes_read(s->ng)
                : s->n_read > 0 ? PCAP_FILE_HEADER_LEN + s->n_bytes
                                : 0;
    }
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        *total = (uint64_t)st.st_size;
    }
    return true;
}

/* A compressed file's read error: the decompressor's words, for the packet that was due. */
static int decompress_error(struct source *s, int rc, char *err, size_t err_len)
{
    const char *why;
    enum zstream_fault fault = zstream_fault(s->z, &why);
    if (rc >= 0 || fault == ZSTREAM_OK) {
        return rc;
    }
    snprintf(err, err_len, "packet %llu: %s", (unsigned long long)(s->n_read + 1), why);
    return fault == ZSTREAM_TRUNCATED ? -TCPSHAKE_ERR_TRUNCATED : -TCPSHAKE_ERR_READ;
}

static int read_one(struct source *s, struct source_packet *pkt, char *err, size_t err_len);

int source_next(struct source *s, struct source_packet *pkt, char *err, size_t err_len)
{
    if (s->subs != NULL) {
        return merge_next(s, pkt, err, err_len);
    }
    int rc = read_one(s, pkt, err, err_len);
    return s->z != NULL ? decompress_error(s, rc, err, err_len) : rc;
}

static int read_one(struct source *s, struct source_packet *pkt, char *err, size_t err_len)
{
    if (s->pf != NULL) {
        return pcapfile_read(s, pkt, err, err_len);
    }
    if (s->ng != NULL) {
        return pcapng_read(s, pkt, err, err_len);
    }
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = pcap_next_ex(s->pcap, &hdr, &data);
    if (rc == 0 && s->fd >= 0) {
        /* Non-blocking and nothing buffered: wait ourselves, so the timeout really
         * returns (libpcap 1.10 keeps polling inside pcap_next_ex in immediate mode).
         * A signal ends the wait early too (EINTR). */
        struct pollfd pfd = { .fd = s->fd, .events = POLLIN, .revents = 0 };
        if (poll(&pfd, 1, s->timeout_ms) > 0) {
            rc = pcap_next_ex(s->pcap, &hdr, &data);
        }
    }
    if (rc == 1) {
        s->n_read++;
        s->n_bytes += PCAP_RECORD_HEADER_LEN + hdr->caplen;
        pkt->ts_ns = ts_ns_of(hdr->ts.tv_sec, s->nano ? hdr->ts.tv_usec : hdr->ts.tv_usec * 1000);
        s->last_hdr = hdr;
        s->last_data = data;
        pkt->data = data;
        pkt->caplen = hdr->caplen;
        pkt->wire_len = hdr->len;
        pkt->linktype = s->linktype;
        return 1;
    }
    if (rc == 0) {
        return SOURCE_TIMEOUT; /* live: nothing arrived within the timeout */
    }
    if (rc == PCAP_ERROR_BREAK) {
        return 0;
    }
    const char *why = pcap_geterr(s->pcap);
    snprintf(err, err_len, "packet %llu: %s", (unsigned long long)(s->n_read + 1),
             why != NULL && why[0] != '\0' ? why : "read error");
    if (why != NULL && strstr(why, "truncated") != NULL) {
        return -TCPSHAKE_ERR_TRUNCATED;
    }
    return -TCPSHAKE_ERR_READ;
}

void source_close(struct source *s)
{
    if (s == NULL) {
        return;
    }
    if (s->dump != NULL) {
        pcap_dump_close(s->dump);
    }
    if (s->pcap != NULL) {
        pcap_close(s->pcap);
    }
    pcapfile_close(s->pf);
    pcapng_close(s->ng);
    if (s->ng_fp != NULL && s->ng_fp != stdin) {
        fclose(s->ng_fp);
    }
    for (unsigned i = 0; i < s->n_filters; i++) {
        pcap_freecode(&s->filters[i].prog);
    }
    zstream_free(s->z); /* its stream is closed by now */
    for (size_t i = 0; i < s->n_subs; i++) {
        source_close(s->subs[i]);
        ts_free(s->names[i]);
    }
    ts_free(s->subs);
    ts_free(s->heads);
    ts_free(s->pending);
    ts_free(s->names);
    ts_free(s->bpf);
    ts_free(s);
}

/* ------------------------------------------------------------ live capture */

/* One line for what pcap_activate said, naming the interface once. */
static int activate_error(pcap_t *p, int rc, const char *iface, char *err, size_t err_len)
{
    const char *why = pcap_geterr(p);
    switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
        snprintf(err, err_len,
                 "%s: no permission to capture (needs root, or CAP_NET_RAW and "
                 "CAP_NET_ADMIN)",
                 iface);
        return TCPSHAKE_ERR_OPEN;
    case PCAP_ERROR_NO_SUCH_DEVICE:
        snprintf(err, err_len, "%s: no such interface", iface);
        return TCPSHAKE_ERR_OPEN;
    case PCAP_ERROR_IFACE_NOT_UP:
        snprintf(err, err_len, "%s: interface is down", iface);
        return TCPSHAKE_ERR_OPEN;
    default:
        snprintf(err, err_len, "%s: %s", iface,
                 why != NULL && why[0] != '\0' ? why : pcap_statustostr(rc));
        return TCPSHAKE_ERR_OPEN;
    }
}

static int set_options(pcap_t *p, const struct source_live *opt)
{
    if (pcap_set_snaplen(p, opt->snaplen) != 0 || pcap_set_promisc(p, opt->promisc ? 1 : 0) != 0 ||
        pcap_set_timeout(p, opt->timeout_ms) != 0 || pcap_set_immediate_mode(p, 1) != 0 ||
        pcap_set_buffer_size(p, opt->buffer_kib * 1024) != 0) {
        return -1;
    }
    /* Nanoseconds where the platform has them, microseconds otherwise. */
    if (pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0) {
        pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
    }
    return 0;
}

int source_open_live(struct source **out, const char *iface, const struct source_live *opt,
                     const char *bpf, char *err, size_t err_len)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    *out = NULL;
    err[0] = '\0';
    pcap_t *p = pcap_create(iface, ebuf);
    if (p == NULL) {
        snprintf(err, err_len, "%s: %s", iface, ebuf[0] != '\0' ? ebuf : "cannot open");
        return TCPSHAKE_ERR_OPEN;
    }
    if (set_options(p, opt) != 0) {
        snprintf(err, err_len, "%s: %s", iface, pcap_geterr(p));
        pcap_close(p);
        return TCPSHAKE_ERR_OPEN;
    }
    int rc = pcap_activate(p);
    if (rc < 0) {
        rc = activate_error(p, rc, iface, err, err_len);
        pcap_close(p);
        return rc;
    }
    /* A warning (promiscuous mode not supported ...) is not fatal: hand it back. */
    char warning[256] = "";
    if (rc > 0) {
        const char *why = pcap_geterr(p);
        snprintf(warning, sizeof(warning), "%s: %s", iface,
                 rc == PCAP_WARNING && why != NULL && why[0] != '\0' ? why : pcap_statustostr(rc));
    }
    rc = finish_open(out, p, bpf, err, err_len);
    if (rc == TCPSHAKE_OK) {
        struct source *s = *out;
        s->live = true;
        s->timeout_ms = opt->timeout_ms;
        /* Where the platform gives a pollable descriptor, read without blocking
         * and wait in poll(); elsewhere rely on libpcap's own timeout. */
        int fd = pcap_get_selectable_fd(p);
        if (fd >= 0 && pcap_setnonblock(p, 1, ebuf) == 0) {
            s->fd = fd;
        }
        snprintf(err, err_len, "%s", warning);
    }
    return rc;
}

bool source_is_live(const struct source *s)
{
    return s->live;
}

void source_breakloop(struct source *s)
{
    /* tcpshake's readers never block: the engine's stop flag is enough there. */
    if (s->pf == NULL && s->ng == NULL && s->subs == NULL) {
        pcap_breakloop(s->pcap);
    }
}

bool source_stats(struct source *s, uint64_t *received, uint64_t *dropped, uint64_t *if_dropped)
{
    struct pcap_stat ps;
    if (!s->live || pcap_stats(s->pcap, &ps) != 0) {
        return false;
    }
    *received = ps.ps_recv;
    *dropped = ps.ps_drop;
    *if_dropped = ps.ps_ifdrop;
    return true;
}

/* ------------------------------------------------------------- trace writer */

/* The snapshot length of what is read: of several files, the largest. */
static uint32_t snaplen_of(const struct source *s)
{
    if (s->pf != NULL) {
        return pcapfile_snaplen(s->pf);
    }
    if (s->ng != NULL) {
        return pcapng_snaplen(s->ng);
    }
    if (s->pcap != NULL) {
        return (uint32_t)pcap_snapshot(s->pcap);
    }
    uint32_t max = 0;
    for (size_t i = 0; i < s->n_subs; i++) {
        uint32_t v = snaplen_of(s->subs[i]);
        max = v > max ? v : max;
    }
    return max;
}

/* The fast reader has no libpcap handle: a dead one carries the link type. */
static int dump_handle(struct source *s, char *err, size_t err_len)
{
    if (s->dump != NULL) {
        snprintf(err, err_len, "a trace is already being written");
        return TCPSHAKE_ERR_STATE;
    }
    if (s->pcap == NULL) {
        /* tcpshake's readers have no libpcap handle: a dead one carries the link type. */
        uint32_t snaplen = snaplen_of(s);
        s->pcap = pcap_open_dead_with_tstamp_precision(s->linktype, (int)snaplen,
                                                       PCAP_TSTAMP_PRECISION_NANO);
        if (s->pcap == NULL) {
            snprintf(err, err_len, "%s", tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
            return TCPSHAKE_ERR_NOMEM;
        }
    }
    return TCPSHAKE_OK;
}

int source_dump_open(struct source *s, const char *path, char *err, size_t err_len)
{
    int rc = dump_handle(s, err, err_len);
    if (rc != TCPSHAKE_OK) {
        return rc;
    }
    s->dump = pcap_dump_open(s->pcap, path);
    if (s->dump == NULL) {
        /* libpcap says "path: why"; the caller names the file itself. */
        const char *why = pcap_geterr(s->pcap);
        size_t n = strlen(path);
        if (strncmp(why, path, n) == 0 && why[n] == ':') {
            why += n + 1;
            while (*why == ' ') {
                why++;
            }
        }
        snprintf(err, err_len, "%s", why[0] != '\0' ? why : "cannot create");
        return TCPSHAKE_ERR_WRITE;
    }
    return TCPSHAKE_OK;
}

int source_dump_stream(struct source *s, FILE *fp, char *err, size_t err_len)
{
    int rc = dump_handle(s, err, err_len);
    if (rc != TCPSHAKE_OK) {
        fclose(fp);
        return rc;
    }
    s->dump = pcap_dump_fopen(s->pcap, fp);
    if (s->dump == NULL) {
        /* libpcap closes fp when the file header cannot be written ("Can't write
         * to ..."), not when it refuses the handle before that (pcap_dump_fopen in
         * sf-pcap.c). Tell them apart by its words: a second fclose would be
         * undefined, a stream left open only a leak. */
        const char *why = pcap_geterr(s->pcap);
        if (strstr(why, "isn't supported in savefiles") != NULL ||
            strstr(why, "not-yet-activated") != NULL) {
            fclose(fp);
        }
        snprintf(err, err_len, "%s", why[0] != '\0' ? why : "cannot write");
        return TCPSHAKE_ERR_WRITE;
    }
    return TCPSHAKE_OK;
}

int source_dump_last(struct source *s, char *err, size_t err_len)
{
    if (s->subs != NULL && s->dump != NULL && s->n_read > 0) {
        int rc = source_dump_packet(s, &s->last_pkt, err, err_len);
        if (rc == TCPSHAKE_ERR_LINKTYPE) {
            snprintf(err, err_len,
                     "packet %llu: link type %d cannot be saved in a trace of link type %d",
                     (unsigned long long)s->n_read, s->last_pkt.linktype, s->linktype);
        }
        return rc;
    }
    if (s->dump == NULL || s->last_hdr == NULL) {
        return TCPSHAKE_OK;
    }
    if (s->ng != NULL && s->last_linktype != s->linktype) {
        /* A pcap file has one link type: a pcapng file's other interfaces cannot go in. */
        snprintf(err, err_len,
                 "packet %llu: link type %d cannot be saved in a trace of link type %d",
                 (unsigned long long)s->n_read, s->last_linktype, s->linktype);
        return TCPSHAKE_ERR_LINKTYPE;
    }
    pcap_dump((u_char *)s->dump, s->last_hdr, s->last_data);
    return ferror(pcap_dump_file(s->dump)) ? TCPSHAKE_ERR_WRITE : TCPSHAKE_OK;
}

int source_dump_packet(struct source *s, const struct source_packet *pkt, char *err, size_t err_len)
{
    if (s->dump == NULL) {
        return TCPSHAKE_OK;
    }
    if (pkt->linktype != s->linktype) {
        snprintf(err, err_len, "link type %d cannot be saved in a trace of link type %d",
                 pkt->linktype, s->linktype);
        return TCPSHAKE_ERR_LINKTYPE;
    }
    /* The dump handle has the source's precision: nanoseconds in tv_usec when nano. */
    uint64_t frac = pkt->ts_ns % 1000000000u;
    struct pcap_pkthdr hdr = { 0 };
    hdr.ts.tv_sec = (time_t)(pkt->ts_ns / 1000000000u);
    hdr.ts.tv_usec = (suseconds_t)(s->nano ? frac : frac / 1000u);
    hdr.caplen = (bpf_u_int32)pkt->caplen;
    hdr.len = (bpf_u_int32)pkt->wire_len;
    pcap_dump((u_char *)s->dump, &hdr, pkt->data);
    return ferror(pcap_dump_file(s->dump)) ? TCPSHAKE_ERR_WRITE : TCPSHAKE_OK;
}

bool source_dump_active(const struct source *s)
{
    return s->dump != NULL;
}

uint64_t source_dump_size(struct source *s)
{
    int64_t n = s->dump != NULL ? pcap_dump_ftell64(s->dump) : -1;
    return n > 0 ? (uint64_t)n : 0;
}

int source_dump_close(struct source *s)
{
    if (s->dump == NULL) {
        return TCPSHAKE_OK;
    }
    bool ok = pcap_dump_flush(s->dump) == 0 && !ferror(pcap_dump_file(s->dump));
    pcap_dump_close(s->dump); /* everything was flushed: closing writes nothing more */
    s->dump = NULL;
    return ok ? TCPSHAKE_OK : TCPSHAKE_ERR_WRITE;
}

int source_dump_flush(struct source *s)
{
    if (s->dump == NULL) {
        return TCPSHAKE_OK;
    }
    if (pcap_dump_flush(s->dump) != 0 || ferror(pcap_dump_file(s->dump))) {
        return TCPSHAKE_ERR_WRITE;
    }
    return TCPSHAKE_OK;
}
