/*
 * pcapfile.h - block reader for classic pcap files (see pcapfile.c).
 * Used by source.c for plain trace files; libpcap handles everything else.
 */
#ifndef TCPSHAKE_PCAPFILE_H
#define TCPSHAKE_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pcapfile;

struct pcapfile_record {
    int64_t ts_sec;      /* the time stamp as libpcap's pcap_pkthdr holds it at */
    int64_t ts_frac;     /* nanosecond precision (ts.tv_sec, ts.tv_usec), unclamped */
    const uint8_t *data; /* borrowed until the next pcapfile_next or pcapfile_close */
    uint32_t caplen;     /* cut to the file's snapshot length, as libpcap does */
    uint32_t wire_len;
};

/* Read a classic pcap file from fd, an open regular file. NULL (fd untouched,
 * still the caller's) when the file is anything else or not read exactly as
 * libpcap would (pcapng, a pipe, an old version, an unusual link type, no
 * memory): the caller then uses libpcap, which also says what is wrong with a
 * file that is not a capture. On success the reader owns fd and closes it. */
struct pcapfile *pcapfile_open(int fd);
/* The link type as libpcap would report it (a DLT_ value). */
int pcapfile_linktype(const struct pcapfile *pf);
/* The snapshot length as libpcap would report it (pcap_snapshot). */
uint32_t pcapfile_snaplen(const struct pcapfile *pf);
/* 1 = a record, 0 = end of file, or a negative tcpshake status
 * (-TCPSHAKE_ERR_TRUNCATED, also when the file shrank while being read;
 * -TCPSHAKE_ERR_READ) with *err naming the packet. */
int pcapfile_next(struct pcapfile *pf, struct pcapfile_record *rec, char *err, size_t err_len);
/* Bytes of the file read so far, and its size when opened. */
void pcapfile_progress(const struct pcapfile *pf, uint64_t *done, uint64_t *total);
void pcapfile_close(struct pcapfile *pf);

#endif
