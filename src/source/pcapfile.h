/*
 * pcapfile.h - memory-mapped reader for classic pcap files (see pcapfile.c).
 * Used by source.c for plain trace files; libpcap handles everything else.
 */
#ifndef TCPSHAKE_PCAPFILE_H
#define TCPSHAKE_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pcapfile;

struct pcapfile_record {
    uint64_t ts_ns;
    uint32_t ts_sec; /* the two fields as written, for re-dumping */
    uint32_t ts_frac_ns;
    const uint8_t *data; /* points into the mapping; valid until pcapfile_close */
    uint32_t caplen;
    uint32_t wire_len;
};

/* Map a classic pcap file. NULL when the file is anything else (pcapng, a pipe,
 * an unusual header, an error): the caller then uses libpcap, which also says
 * what is wrong with a file that is not a capture. */
struct pcapfile *pcapfile_open(const char *path);
/* The link type as libpcap would report it (a DLT_ value). */
int pcapfile_linktype(const struct pcapfile *pf);
uint32_t pcapfile_snaplen(const struct pcapfile *pf);
/* 1 = a record, 0 = end of file, or a negative tcpshake status
 * (-TCPSHAKE_ERR_TRUNCATED, -TCPSHAKE_ERR_READ) with *err naming the packet. */
int pcapfile_next(struct pcapfile *pf, struct pcapfile_record *rec, char *err, size_t err_len);
/*
 * Start fetching into the CPU cache the bytes of about the next `records`
 * records after those already fetched (at the mean record size so far), at
 * most PREFETCH_WINDOW past the reader. Called while the caller analyses what
 * it has read, so that reading the file overlaps with the analysis.
 */
void pcapfile_prefetch_next(struct pcapfile *pf, unsigned records);
/* Bytes of the file read so far, and its size. */
void pcapfile_progress(const struct pcapfile *pf, uint64_t *done, uint64_t *total);
void pcapfile_close(struct pcapfile *pf);

#endif
