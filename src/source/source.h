/*
 * source.h - where packets come from: pcap and pcapng trace files (or a
 * stream such as standard input) and live interfaces through libpcap, with
 * nanosecond time stamps and an optional BPF filter; and the pcap file that
 * saves what was read (-w). The only file that uses libpcap.
 */
#ifndef TCPSHAKE_SOURCE_H
#define TCPSHAKE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct source;

struct source_packet {
    uint64_t ts_ns;
    const uint8_t *data; /* borrowed until the next source_next */
    size_t caplen;
    size_t wire_len;
    int linktype; /* DLT_ value: a pcapng file's interfaces may differ */
};

/* Open a file by name ("-" = stdin) or an open stream (the source owns fp).
 * Returns a tcpshake status; on failure *err says why and *out is NULL. */
int source_open_file(struct source **out, const char *path, const char *bpf, char *err,
                     size_t err_len);
int source_open_stream(struct source **out, FILE *fp, const char *bpf, char *err, size_t err_len);
/* Several open files (n >= 2) read as one, merged by packet time (the first
 * file's packet on a tie); names (copied) label their errors. The new source
 * owns subs, and closes them even when it fails (out of memory only). The
 * files' link types may differ: a packet carries its own. */
int source_merge(struct source **out, struct source **subs, const char *const *names, size_t n,
                 char *err, size_t err_len);
/* The link type of a file (a pcapng file: of its first interface) or interface. */
int source_linktype(const struct source *s);

/* How to open an interface. */
struct source_live {
    int snaplen;    /* bytes kept per packet */
    bool promisc;   /* promiscuous mode */
    int timeout_ms; /* longest wait in source_next before it returns SOURCE_TIMEOUT */
    int buffer_kib; /* the kernel's capture buffer */
};

/* Open an interface (pcap_create ... pcap_activate). On success *err is empty
 * or holds a libpcap warning worth showing; on failure it says why (with its
 * own words for no permission and no such interface). */
int source_open_live(struct source **out, const char *iface, const struct source_live *opt,
                     const char *bpf, char *err, size_t err_len);
bool source_is_live(const struct source *s);
/* A file: bytes read so far and its size (0 when unknown, e.g. a pipe). False when live. */
bool source_progress(struct source *s, uint64_t *done, uint64_t *total);
/* Make a waiting source_next return 0 soon. Async-signal-safe (pcap_breakloop). */
void source_breakloop(struct source *s);
/* Kernel counters of a live source (pcap_stats); false for a file or on failure. */
bool source_stats(struct source *s, uint64_t *received, uint64_t *dropped, uint64_t *if_dropped);

/* Start writing a pcap file ("-" = standard output) with the source's link
 * type, snaplen and time precision. OK, ERR_STATE or ERR_WRITE (*err says why). */
int source_dump_open(struct source *s, const char *path, char *err, size_t err_len);
/* The same on an open stream, which the source owns from the call on (closed
 * by source_close, or before an error is returned). */
int source_dump_stream(struct source *s, FILE *fp, char *err, size_t err_len);
/* Append the packet source_next returned last. OK, ERR_WRITE, or ERR_LINKTYPE
 * (*err says why) for a pcapng packet whose interface has another link type
 * than the trace being written. */
int source_dump_last(struct source *s, char *err, size_t err_len);
/* Append a packet read earlier (a copy of its bytes): the same results. */
int source_dump_packet(struct source *s, const struct source_packet *pkt, char *err,
                       size_t err_len);
/* -w rotation: whether a dump file is open, its size in bytes so far, and
 * closing it (OK, or ERR_WRITE when what was buffered could not be written);
 * source_dump_stream then starts the next one. */
bool source_dump_active(const struct source *s);
uint64_t source_dump_size(struct source *s);
int source_dump_close(struct source *s);
/* Flush the dump file. OK (also when none is open) or ERR_WRITE. */
int source_dump_flush(struct source *s);

#define SOURCE_TIMEOUT 2 /* source_next: live, nothing arrived within the timeout */

/* 1 = a packet in *pkt, 0 = clean end of input (or a break), SOURCE_TIMEOUT, or a negative tcpshake
 * status (-TCPSHAKE_ERR_TRUNCATED, -TCPSHAKE_ERR_READ) with *err set. */
int source_next(struct source *s, struct source_packet *pkt, char *err, size_t err_len);
void source_close(struct source *s);

#endif
