/*
 * source.h - where packets come from: pcap and pcapng trace files (or a
 * stream such as standard input) through libpcap, with nanosecond time
 * stamps and an optional BPF filter. The only file that uses libpcap.
 */
#ifndef TCPSHAKE_SOURCE_H
#define TCPSHAKE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct source;

struct source_packet {
    uint64_t ts_ns;
    const uint8_t *data; /* borrowed until the next source_next */
    size_t caplen;
    size_t wire_len;
};

/* Open a file by name ("-" = stdin) or an open stream (the source owns fp).
 * Returns a tcpshake status; on failure *err says why and *out is NULL. */
int source_open_file(struct source **out, const char *path, const char *bpf, char *err,
                     size_t err_len);
int source_open_stream(struct source **out, FILE *fp, const char *bpf, char *err, size_t err_len);
int source_linktype(const struct source *s);

/* 1 = a packet in *pkt, 0 = clean end of input, or a negative tcpshake
 * status (-TCPSHAKE_ERR_TRUNCATED, -TCPSHAKE_ERR_READ) with *err set. */
int source_next(struct source *s, struct source_packet *pkt, char *err, size_t err_len);
void source_close(struct source *s);

#endif
