/*
 * tcpshake/config.h - what a handle is made with: its configuration and live-capture options.
 *
 * Part of the public API: include <tcpshake.h>, not this file.
 */
#ifndef TCPSHAKE_PUBLIC_CONFIG_H
#define TCPSHAKE_PUBLIC_CONFIG_H

#include "tcpshake/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Growth: fields are only ever appended, and size (set by
 * tcpshake_config_default) is sizeof(struct tcpshake_config) in the header
 * the caller was compiled with. tcpshake_new reads only the fields within
 * size and gives the ones after it their defaults, so a program built
 * against an older header runs unchanged with a newer library, and a newer
 * program with an older library gets the fields that library knows. Always
 * start from tcpshake_config_default: tcpshake_new refuses a size of 0.
 */
struct tcpshake_config {
    size_t size;                   /* sizeof(struct tcpshake_config); see above */
    size_t max_flows;              /* flow table capacity (default 262144, at least 16) */
    uint64_t handshake_timeout_ns; /* idle time before a connection that never
                                      established is decided (default 60 s) */
    uint64_t idle_timeout_ns;      /* idle time before an established connection
                                      is reported as idle (default 300 s) */
    uint64_t close_linger_ns;      /* time a closed connection is kept to see
                                      late ACKs and retransmitted FINs (default 5 s) */
    uint64_t max_packets;          /* stop after this many packets; 0 = no limit */
    const char *bpf;               /* capture filter (tcpdump syntax) or NULL; copied */
    unsigned threads;              /* threads in all (default 0 = 1 = no workers); see below */
    bool hash_key_set;             /* use hash_key; false (the default): tcpshake_new
                                      draws a fresh one from getrandom() */
    uint8_t hash_key[16];          /* SipHash-1-3 key of the flow table and of the
                                      routing to workers; see below */
};

/*
 * threads > 1 (at most 64): the thread calling tcpshake_run or tcpshake_feed
 * is one of them: it reads and decodes, and tcpshake_new starts threads - 1
 * worker threads in the handle (joined by tcpshake_free) to track the
 * connections. With two or more workers, connections are sharded over them
 * by a hash of their direction-free tuple, each worker with its own flow
 * table of max_flows / (threads - 1) connections. The records are merged
 * back in the order a single thread gives, and every callback still runs on
 * the calling thread. Records come out with the same content and order as
 * with one thread, except when a worker's table fills up with two or more
 * workers: eviction is then per worker. flows_peak counts the connections
 * tracked by all workers at once, as one thread counts them. Records of fed packets may be
 * delivered later than with one thread (at the latest by tcpshake_flush);
 * TCPSHAKE_DUMP_HANDSHAKE_ONLY needs threads <= 1. Each worker queues at most a few thousand
 * packets and records.
 */

/*
 * hash_key: crafted traffic that knew where flows land in the flow table could
 * pile them all into one probe run and make each packet cost time in
 * proportion to the flood. The table is keyed with SipHash-1-3 under a 128-bit
 * secret drawn per handle, and no flow sits more than 127 slots past its home,
 * so the work per packet is bounded even for someone who knows the key. The
 * records do not depend on the key (except, with two or more workers, which
 * connection a full worker table evicts; and in the practically impossible
 * evictions_crowded case). Pin the key only for reproducible tests and
 * benchmarks: whoever knows it can craft the slow case (the tcpshake CLI reads
 * it from TCPSHAKE_HASH_KEY).
 */

/*
 * Fill *cfg with the defaults above. A macro, so that the size of the struct
 * the caller was compiled with reaches the library: tcpshake_config_init
 * writes size bytes (the defaults of the fields within them) and no more, and
 * sets cfg->size = size. size below sizeof(size_t) leaves *cfg untouched.
 */
#define tcpshake_config_default(cfg) tcpshake_config_init((cfg), sizeof(struct tcpshake_config))
TCPSHAKE_API void tcpshake_config_init(struct tcpshake_config *cfg, size_t size);

/*
 * Check *cfg as tcpshake_new does: TCPSHAKE_OK, or TCPSHAKE_ERR_ARG with a
 * one-line message in msg (msg_len bytes, truncated to fit; msg may be NULL
 * when msg_len is 0) that starts with the field's name and value, e.g.
 * "max_flows 1: want a number from 16 to 268435456".
 */
TCPSHAKE_API enum tcpshake_status tcpshake_config_check(const struct tcpshake_config *cfg,
                                                        char *msg, size_t msg_len);

/* Opening a network interface (tcpshake_open_live). */
/* Grows as struct tcpshake_config does: start from tcpshake_live_options_default. */
struct tcpshake_live_options {
    size_t size;    /* sizeof(struct tcpshake_live_options) where the caller was built */
    int snaplen;    /* bytes kept of each packet (default 262144) */
    bool promisc;   /* promiscuous mode (default true) */
    int timeout_ms; /* longest wait for a packet before the clock advances (default 100) */
    int buffer_kib; /* the kernel's capture buffer, KiB (default 32768, also for 0;
                       pcap_set_buffer_size): what it holds while the reader is busy or stalled */
};

/* The default kernel capture buffer, KiB (buffer_kib). */
#define TCPSHAKE_LIVE_BUFFER_KIB 32768

/* A snaplen that keeps every header the analysis reads (Ethernet with two
 * VLAN tags, an outer IPv6 header and a UDP tunnel, an inner IPv6 header with
 * 100 bytes of extension headers and TCP with 40 bytes of options: 292 bytes)
 * with room to spare, and no payload. The CLI uses it live when no trace is
 * saved: smaller slots make the same buffer hold many more packets. */
#define TCPSHAKE_SNAPLEN_HEADERS 384

/* Fill *opt with the defaults above; a macro, as tcpshake_config_default is:
 * tcpshake_live_options_init writes size bytes and sets opt->size. */
#define tcpshake_live_options_default(opt)                                                         \
    tcpshake_live_options_init((opt), sizeof(struct tcpshake_live_options))
TCPSHAKE_API void tcpshake_live_options_init(struct tcpshake_live_options *opt, size_t size);

#ifdef __cplusplus
}
#endif
#endif
