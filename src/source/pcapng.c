/*
 * pcapng.c - reads pcapng (draft-ietf-opsawg-pcapng) from a stream, block by
 * block, for source.c.
 *
 * libpcap 1.10 refuses a file whose interfaces have different link types (an
 * Ethernet and a raw-IP interface in one capture): this reader gives each
 * packet the link type of its own interface instead, and a per-interface
 * snapshot length. For everything libpcap does read, it follows libpcap's
 * sf-pcapng.c: the same blocks are accepted, the same time stamps result
 * (if_tsresol, if_tsoffset, scaled to nanoseconds in the same integer steps),
 * and faults get libpcap's words, so output does not depend on the reader.
 * fuzz/fuzz_readers.c compares the two on the same bytes.
 *
 * Blocks (all fields in the byte order the Section Header Block announces):
 *   | block type (4) | total length (4) | body ... | total length (4) |
 *   SHB 0x0A0D0D0A: | byte-order magic 0x1A2B3C4D | major 1 (2) | minor 0 or 2 (2) |
 *                   | section length (8) | options |
 *   IDB 1: | link type (2) | reserved (2) | snaplen (4) | options |
 *          options | code (2) | length (2) | value, padded to 4 |; 9 = if_tsresol
 *          (1 byte: 10^-n, or 2^-n with the top bit set), 14 = if_tsoffset (8, seconds)
 *   EPB 6: | interface (4) | time high (4) | time low (4) | caplen (4) | len (4) | data |
 *   PB 2 (obsolete): | interface (2) | drops (2) | time high | time low | caplen | len | data |
 *   SPB 3: | len (4) | data |: interface 0, no time stamp
 * Other block types are skipped. Bounded: a block of at most 16 MiB (libpcap's
 * limit), at most MAX_IFACES interfaces per section.
 */
#include "pcapng.h"

#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "tcpshake.h"

#define BT_SHB          0x0a0d0d0au
#define BT_IDB          1u
#define BT_PB           2u
#define BT_SPB          3u
#define BT_EPB          6u
#define BYTE_ORDER      0x1a2b3c4du
#define SHB_MIN         28u         /* block header, fixed SHB part, trailer */
#define SHB_MAX         (1u << 20)  /* libpcap's BT_SHB_INSANE_MAX */
#define BLOCK_MAX       (16u << 20) /* libpcap's INITIAL_MAX_BLOCKSIZE */
#define BUF_START       2048u
#define MAX_IFACES      4096u
#define OPT_ENDOFOPT    0
#define OPT_IF_TSRESOL  9
#define OPT_IF_TSOFFSET 14
#define NS_PER_S        1000000000u

enum scale { PASS_THROUGH, SCALE_UP_DEC, SCALE_DOWN_DEC, SCALE_UP_BIN, SCALE_DOWN_BIN };

struct iface {
    int dlt;
    uint32_t snapshot; /* adjusted as libpcap does */
    uint64_t tsresol;  /* units per second */
    int64_t tsoffset;  /* seconds */
    enum scale scale;
    uint64_t scale_factor;
};

/* The body of the block being read: a bounded cursor. */
struct cursor {
    const uint8_t *p;
    size_t left;
    uint32_t type;
};

struct pcapng {
    FILE *fp;
    uint8_t *buf;
    size_t buf_cap;
    bool swap;
    struct iface *ifaces; /* MAX_IFACES */
    uint32_t n_ifaces;    /* in the current section */
    int first_dlt;        /* of the first interface in the file */
    uint32_t first_snapshot;
    pcapng_link_fn link;
    void *link_ctx;
    enum pcapng_status fault; /* of the call under way, when it fails: PCAPNG_ERR unless set */
    uint64_t n_bytes; /* read from fp so far (progress on a pipe, where ftello cannot say) */
};

static uint16_t get16(const struct pcapng *ng, const uint8_t *p)
{
    return ng->swap ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t get32(const struct pcapng *ng, const uint8_t *p)
{
    uint32_t le =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    uint32_t be =
            (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
    return ng->swap ? be : le;
}

static uint64_t get64(const struct pcapng *ng, const uint8_t *p)
{
    uint64_t a = get32(ng, p), b = get32(ng, p + 4);
    return ng->swap ? a << 32 | b : b << 32 | a;
}

/* fread; 1 = all, 0 = nothing at the end (when allowed), -1 with err set. */
static int read_bytes(struct pcapng *ng, uint8_t *dst, size_t n, bool fail_on_eof, char *err,
                      size_t err_len)
{
    FILE *fp = ng->fp;
    size_t got = fread(dst, 1, n, fp);
    ng->n_bytes += got;
    if (got == n) {
        return 1;
    }
    if (ferror(ng->fp)) {
        snprintf(err, err_len, "error reading dump file: %s", strerror(errno));
        return -1;
    }
    if (got == 0 && !fail_on_eof) {
        return 0;
    }
    snprintf(err, err_len, "truncated pcapng dump file; tried to read %zu bytes, only got %zu", n,
             got);
    ng->fault = PCAPNG_ERR_TRUNCATED;
    return -1;
}

static const uint8_t *take(struct cursor *c, size_t n, char *err, size_t err_len)
{
    if (c->left < n) {
        snprintf(err, err_len, "block of type %u in pcapng dump file is too short", c->type);
        return NULL;
    }
    const uint8_t *p = c->p;
    c->p += n;
    c->left -= n;
    return p;
}

static bool grow(struct pcapng *ng, size_t need, char *err, size_t err_len)
{
    if (need <= ng->buf_cap) {
        return true;
    }
    uint8_t *bigger = ts_calloc(1, need);
    if (bigger == NULL) {
        snprintf(err, err_len, "out of memory");
        ng->fault = PCAPNG_ERR_NOMEM;
        return false;
    }
    ts_free(ng->buf);
    ng->buf = bigger;
    ng->buf_cap = need;
    return true;
}

/* The next block into ng->buf (sf-pcapng.c read_block): 1, 0 at the end, -1. */
static int read_block(struct pcapng *ng, struct cursor *c, char *err, size_t err_len)
{
    uint8_t hdr[8];
    int rc = read_bytes(ng, hdr, sizeof(hdr), false, err, err_len);
    if (rc <= 0) {
        return rc;
    }
    uint32_t type = get32(ng, hdr);
    uint32_t total = get32(ng, hdr + 4);
    if (total < 12) {
        snprintf(err, err_len, "block in pcapng dump file has a length of %u < 12", total);
        return -1;
    }
    if (total % 4 != 0) {
        snprintf(err, err_len,
                 "block in pcapng dump file has a length of %u that is not a multiple of 4", total);
        return -1;
    }
    if (total > ng->buf_cap && total > BLOCK_MAX) {
        snprintf(err, err_len, "pcapng block size %u > maximum %u", total, BLOCK_MAX);
        return -1;
    }
    if (!grow(ng, total, err, err_len) ||
        read_bytes(ng, ng->buf, total - 8, true, err, err_len) < 0) {
        return -1;
    }
    uint32_t trailer = get32(ng, ng->buf + total - 12);
    if (trailer != total) {
        snprintf(err, err_len, "block total length in header and trailer don't match");
        return -1;
    }
    c->p = ng->buf;
    c->left = total - 12;
    c->type = type;
    return 1;
}

/* if_tsresol's value: units per second; false with err for one libpcap refuses. */
static bool tsresol_of(uint8_t v, uint64_t *tsresol, bool *binary, char *err, size_t err_len)
{
    if (v & 0x80) {
        unsigned shift = v & 0x7fu;
        if (shift > 63) {
            snprintf(err, err_len,
                     "Interface Description Block if_tsresol option resolution 2^-%u is too high",
                     shift);
            return false;
        }
        *binary = true;
        *tsresol = (uint64_t)1 << shift;
        return true;
    }
    if (v > 19) {
        snprintf(err, err_len,
                 "Interface Description Block if_tsresol option resolution 10^-%u is too high", v);
        return false;
    }
    *binary = false;
    *tsresol = 1;
    for (unsigned i = 0; i < v; i++) {
        *tsresol *= 10;
    }
    return true;
}

/* The IDB options that matter for time stamps (sf-pcapng.c process_idb_options). */
static bool idb_options(const struct pcapng *ng, struct cursor *c, struct iface *ifc, bool *binary,
                        char *err, size_t err_len)
{
    bool saw_tsresol = false, saw_tsoffset = false;
    while (c->left != 0) {
        const uint8_t *oh = take(c, 4, err, err_len);
        if (oh == NULL) {
            return false;
        }
        uint16_t code = get16(ng, oh), len = get16(ng, oh + 2);
        const uint8_t *v = take(c, ((size_t)len + 3) / 4 * 4, err, err_len);
        if (v == NULL) {
            return false;
        }
        if (code == OPT_ENDOFOPT) {
            if (len != 0) {
                snprintf(err, err_len,
                         "Interface Description Block has opt_endofopt option with length %u != 0",
                         len);
                return false;
            }
            return true;
        }
        if (code == OPT_IF_TSRESOL) {
            if (len != 1) {
                snprintf(err, err_len,
                         "Interface Description Block has if_tsresol option with length %u != 1",
                         len);
                return false;
            }
            if (saw_tsresol) {
                snprintf(err, err_len,
                         "Interface Description Block has more than one if_tsresol option");
                return false;
            }
            saw_tsresol = true;
            if (!tsresol_of(v[0], &ifc->tsresol, binary, err, err_len)) {
                return false;
            }
        } else if (code == OPT_IF_TSOFFSET) {
            if (len != 8) {
                snprintf(err, err_len,
                         "Interface Description Block has if_tsoffset option with length %u != 8",
                         len);
                return false;
            }
            if (saw_tsoffset) {
                snprintf(err, err_len,
                         "Interface Description Block has more than one if_tsoffset option");
                return false;
            }
            saw_tsoffset = true;
            ifc->tsoffset = (int64_t)get64(ng, v);
        }
    }
    return true;
}

/* How the fraction is brought to nanoseconds (sf-pcapng.c add_interface). */
static void set_scale(struct iface *ifc, bool binary)
{
    if (ifc->tsresol == NS_PER_S) {
        ifc->scale = PASS_THROUGH;
    } else if (ifc->tsresol > NS_PER_S) {
        ifc->scale = binary ? SCALE_DOWN_BIN : SCALE_DOWN_DEC;
        ifc->scale_factor = ifc->tsresol / NS_PER_S;
    } else {
        ifc->scale = binary ? SCALE_UP_BIN : SCALE_UP_DEC;
        ifc->scale_factor = NS_PER_S / ifc->tsresol;
    }
}

/* An IDB: a new interface of the current section. */
static bool add_interface(struct pcapng *ng, struct cursor *c, char *err, size_t err_len)
{
    const uint8_t *fixed = take(c, 8, err, err_len);
    if (fixed == NULL) {
        return false;
    }
    if (ng->n_ifaces == MAX_IFACES) {
        snprintf(err, err_len, "more than %u interfaces in one section", MAX_IFACES);
        return false;
    }
    struct iface *ifc = &ng->ifaces[ng->n_ifaces];
    memset(ifc, 0, sizeof(*ifc));
    if (!ng->link(get16(ng, fixed), get32(ng, fixed + 4), &ifc->dlt, &ifc->snapshot,
                  ng->link_ctx)) {
        snprintf(err, err_len, "out of memory");
        ng->fault = PCAPNG_ERR_NOMEM;
        return false;
    }
    ifc->tsresol = 1000000; /* microseconds unless if_tsresol says otherwise */
    bool binary = false;
    if (!idb_options(ng, c, ifc, &binary, err, err_len)) {
        return false;
    }
    set_scale(ifc, binary);
    ng->n_ifaces++;
    return true;
}

/* The first SHB, its first 4 bytes already known to be 0x0a (savefile.c, pcap_ng_check_header). */
static bool read_shb(struct pcapng *ng, char *err, size_t err_len)
{
    uint8_t head[12];
    size_t got = fread(head, 1, 4, ng->fp);
    ng->n_bytes += got;
    if (got != 4) {
        if (ferror(ng->fp)) {
            snprintf(err, err_len, "error reading dump file: %s", strerror(errno));
        } else {
            snprintf(err, err_len,
                     "truncated dump file; tried to read 4 file header bytes, only got %zu", got);
        }
        return false;
    }
    ng->swap = false;
    if (get32(ng, head) != BT_SHB || fread(head + 4, 1, 8, ng->fp) != 8) {
        if (ferror(ng->fp)) {
            snprintf(err, err_len, "error reading dump file: %s", strerror(errno));
        } else {
            snprintf(err, err_len, "unknown file format");
        }
        return false;
    }
    if (get32(ng, head + 8) != BYTE_ORDER) {
        ng->swap = true;
        if (get32(ng, head + 8) != BYTE_ORDER) {
            snprintf(err, err_len, "unknown file format");
            return false;
        }
    }
    uint32_t total = get32(ng, head + 4);
    if (total < SHB_MIN || total > SHB_MAX) {
        snprintf(err, err_len,
                 "Section Header Block in pcapng dump file has invalid length %u < _%u_ < %u "
                 "(BT_SHB_INSANE_MAX)",
                 SHB_MIN, total, SHB_MAX);
        return false;
    }
    if (!grow(ng, total, err, err_len) ||
        read_bytes(ng, ng->buf, total - 12, true, err, err_len) < 0) {
        return false;
    }
    uint16_t major = get16(ng, ng->buf), minor = get16(ng, ng->buf + 2);
    if (major != 1 || (minor != 0 && minor != 2)) {
        snprintf(err, err_len, "unsupported pcapng savefile version %u.%u", major, minor);
        return false;
    }
    return true;
}

/* Blocks up to the first IDB. */
static bool first_interface(struct pcapng *ng, char *err, size_t err_len)
{
    for (;;) {
        struct cursor c;
        int rc = read_block(ng, &c, err, err_len);
        if (rc == 0) {
            snprintf(err, err_len, "the capture file has no Interface Description Blocks");
            return false;
        }
        if (rc < 0) {
            return false;
        }
        if (c.type == BT_IDB) {
            if (!add_interface(ng, &c, err, err_len)) {
                return false;
            }
            ng->first_dlt = ng->ifaces[0].dlt;
            ng->first_snapshot = ng->ifaces[0].snapshot;
            return true;
        }
        if (c.type == BT_EPB || c.type == BT_SPB || c.type == BT_PB) {
            snprintf(err, err_len,
                     "the capture file has a packet block before any Interface "
                     "Description Blocks");
            return false;
        }
    }
}

enum pcapng_status pcapng_open(struct pcapng **out, FILE *fp, pcapng_link_fn link, void *link_ctx,
                               char *err, size_t err_len)
{
    *out = NULL;
    struct pcapng *ng = ts_calloc(1, sizeof(*ng));
    if (ng == NULL) {
        snprintf(err, err_len, "out of memory");
        return PCAPNG_ERR_NOMEM;
    }
    ng->fp = fp;
    ng->link = link;
    ng->link_ctx = link_ctx;
    ng->fault = PCAPNG_ERR;
    ng->ifaces = ts_calloc(MAX_IFACES, sizeof(*ng->ifaces));
    if (ng->ifaces == NULL) {
        snprintf(err, err_len, "out of memory");
        ng->fault = PCAPNG_ERR_NOMEM;
    }
    if (ng->ifaces == NULL || !grow(ng, BUF_START, err, err_len) || !read_shb(ng, err, err_len) ||
        !first_interface(ng, err, err_len)) {
        enum pcapng_status fault = ng->fault;
        pcapng_close(ng);
        return fault;
    }
    *out = ng;
    return PCAPNG_OK;
}

int pcapng_linktype(const struct pcapng *ng)
{
    return ng->first_dlt;
}

uint32_t pcapng_snaplen(const struct pcapng *ng)
{
    return ng->first_snapshot;
}

uint64_t pcapng_bytes_read(const struct pcapng *ng)
{
    return ng->n_bytes;
}

/* A later SHB: a new section, same byte order, no interfaces yet. */
static bool next_section(struct pcapng *ng, struct cursor *c, char *err, size_t err_len)
{
    const uint8_t *shb = take(c, 16, err, err_len);
    if (shb == NULL) {
        return false;
    }
    uint32_t magic = get32(ng, shb);
    if (magic != BYTE_ORDER) {
        snprintf(err, err_len,
                 magic == 0x4d3c2b1au ? "the file has sections with different byte orders"
                                      : "the file has a section with a bad byte order magic field");
        return false;
    }
    uint16_t major = get16(ng, shb + 4);
    if (major != 1) {
        snprintf(err, err_len, "unknown pcapng savefile major version number %u", major);
        return false;
    }
    ng->n_ifaces = 0;
    return true;
}

/* The fixed part of a packet block into rec and *t; false with err set. */
static bool packet_fields(struct pcapng *ng, struct cursor *c, struct pcapng_record *rec,
                          uint64_t *t, char *err, size_t err_len)
{
    const uint8_t *f;
    switch (c->type) {
    case BT_EPB:
        f = take(c, 20, err, err_len);
        if (f == NULL) {
            return false;
        }
        rec->interface = get32(ng, f);
        *t = (uint64_t)get32(ng, f + 4) << 32 | get32(ng, f + 8);
        rec->caplen = get32(ng, f + 12);
        rec->wire_len = get32(ng, f + 16);
        return true;
    case BT_PB:
        f = take(c, 20, err, err_len);
        if (f == NULL) {
            return false;
        }
        rec->interface = get16(ng, f);
        *t = (uint64_t)get32(ng, f + 4) << 32 | get32(ng, f + 8);
        rec->caplen = get32(ng, f + 12);
        rec->wire_len = get32(ng, f + 16);
        return true;
    default: /* BT_SPB: interface 0, no time, captured up to the (first) snapshot length */
        f = take(c, 4, err, err_len);
        if (f == NULL) {
            return false;
        }
        rec->interface = 0;
        *t = 0;
        rec->wire_len = get32(ng, f);
        rec->caplen = rec->wire_len > ng->first_snapshot ? ng->first_snapshot : rec->wire_len;
        return true;
    }
}

/* Time units of the interface to pcap_pkthdr's seconds and nanoseconds (sf-pcapng.c). */
static void take_time(const struct iface *ifc, uint64_t t, struct pcapng_record *rec)
{
    uint64_t sec = t / ifc->tsresol + (uint64_t)ifc->tsoffset;
    uint64_t frac = t % ifc->tsresol;
    switch (ifc->scale) {
    case PASS_THROUGH:
        break;
    case SCALE_UP_DEC:
        frac *= ifc->scale_factor;
        break;
    case SCALE_DOWN_DEC:
        frac /= ifc->scale_factor;
        break;
    case SCALE_UP_BIN:
    case SCALE_DOWN_BIN:
        frac = frac * NS_PER_S / ifc->tsresol;
        break;
    }
    rec->ts_sec = (int64_t)sec;
    rec->ts_frac = (int32_t)(uint32_t)frac; /* libpcap stores (int)frac */
}

/* A packet block's record, checked as libpcap checks it. */
static bool packet(struct pcapng *ng, struct cursor *c, struct pcapng_record *rec, char *err,
                   size_t err_len)
{
    uint64_t t;
    if (!packet_fields(ng, c, rec, &t, err, err_len)) {
        return false;
    }
    if (rec->interface >= ng->n_ifaces) {
        snprintf(err, err_len,
                 "a packet arrived on interface %u, but there's no Interface Description Block "
                 "for that interface",
                 rec->interface);
        return false;
    }
    const struct iface *ifc = &ng->ifaces[rec->interface];
    if (rec->caplen > ifc->snapshot) {
        snprintf(err, err_len, "invalid packet capture length %u, bigger than snaplen of %d",
                 rec->caplen, (int)ifc->snapshot);
        return false;
    }
    take_time(ifc, t, rec);
    rec->linktype = ifc->dlt;
    rec->data = take(c, rec->caplen, err, err_len);
    return rec->data != NULL;
}

enum pcapng_status pcapng_next(struct pcapng *ng, struct pcapng_record *rec, char *err,
                               size_t err_len)
{
    ng->fault = PCAPNG_ERR;
    for (;;) {
        struct cursor c;
        int rc = read_block(ng, &c, err, err_len);
        if (rc == 0) {
            return PCAPNG_END;
        }
        bool ok = rc > 0;
        if (ok && (c.type == BT_EPB || c.type == BT_SPB || c.type == BT_PB)) {
            if (!packet(ng, &c, rec, err, err_len)) {
                return ng->fault;
            }
            return PCAPNG_OK;
        }
        if (ok && c.type == BT_IDB) {
            ok = add_interface(ng, &c, err, err_len);
        } else if (ok && c.type == BT_SHB) {
            ok = next_section(ng, &c, err, err_len);
        }
        if (!ok) {
            return ng->fault;
        }
    }
}

void pcapng_close(struct pcapng *ng)
{
    if (ng == NULL) {
        return;
    }
    ts_free(ng->buf);
    ts_free(ng->ifaces);
    ts_free(ng);
}
