/*
 * pcapng.h - block reader for pcapng files and streams (see pcapng.c).
 * Used by source.c for every pcapng input: unlike libpcap 1.10 it reads
 * interfaces of different link types in one file.
 */
#ifndef TCPSHAKE_PCAPNG_H
#define TCPSHAKE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pcapng;

/* How a call ended. An error comes with libpcap's words for it in *err; the
 * status says what kind of fault it was, so that nobody compares the words. */
enum pcapng_status {
    PCAPNG_OK,            /* pcapng_open: the reader is ready; pcapng_next: rec holds a packet */
    PCAPNG_END,           /* pcapng_next: the input ended between blocks */
    PCAPNG_ERR,           /* the bytes are not (valid) pcapng, or reading failed */
    PCAPNG_ERR_TRUNCATED, /* the input ended inside a block */
    PCAPNG_ERR_NOMEM,     /* an allocation failed */
};

/* What libpcap makes of an IDB's link type field: the DLT_ value it reports
 * and the snapshot length it adjusts snaplen to (0 or too big: the link
 * type's maximum). Returns false when that cannot be found out (no memory). */
typedef bool (*pcapng_link_fn)(uint16_t linktype, uint32_t snaplen, int *dlt, uint32_t *snapshot,
                               void *ctx);

struct pcapng_record {
    int64_t ts_sec;      /* the time stamp as libpcap's pcap_pkthdr holds it at */
    int64_t ts_frac;     /* nanosecond precision (ts.tv_sec, ts.tv_usec) */
    const uint8_t *data; /* borrowed until the next pcapng_next or pcapng_close */
    uint32_t caplen;
    uint32_t wire_len;
    int linktype;       /* DLT_ value of the packet's interface */
    uint32_t interface; /* its index in the current section */
};

/*
 * Start reading a pcapng stream at its first byte: the Section Header Block,
 * then blocks up to and including the first Interface Description Block.
 * fp stays the caller's (closed by the caller after pcapng_close). PCAPNG_OK
 * with the reader in *out, or an error with *out NULL and libpcap's words for
 * the fault in *err ("unknown file format" when the bytes are not pcapng).
 */
enum pcapng_status pcapng_open(struct pcapng **out, FILE *fp, pcapng_link_fn link, void *link_ctx,
                               char *err, size_t err_len);
/* The first interface's link type and snapshot length, as libpcap reports them. */
int pcapng_linktype(const struct pcapng *ng);
uint32_t pcapng_snaplen(const struct pcapng *ng);
/* PCAPNG_OK (a packet), PCAPNG_END, or an error with *err in libpcap's words (the
 * caller names the packet). */
enum pcapng_status pcapng_next(struct pcapng *ng, struct pcapng_record *rec, char *err,
                               size_t err_len);
/* Bytes read from the stream so far: the blocks read (whole ones, but for a fault). */
uint64_t pcapng_bytes_read(const struct pcapng *ng);
void pcapng_close(struct pcapng *ng);

#endif
