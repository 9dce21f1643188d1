/*
 * tcpshake.h - the public API of libtcpshake.
 *
 * tcpshake watches TCP connections from the wire, as an RFC 9293 observer, and
 * reports for each one what happened during its handshake and teardown: who
 * was slow (server side SYN -> SYN-ACK, client side SYN-ACK -> ACK) and who was
 * at fault (refused, unanswered, reset, ICMP-rejected ...).
 *
 * Use:
 *   struct tcpshake_config cfg;
 *   tcpshake_config_default(&cfg);
 *   struct tcpshake *h = tcpshake_new(&cfg, on_record, user);
 *   tcpshake_open_file(h, "trace.pcap");
 *   enum tcpshake_status rc = tcpshake_run(h);   (calls on_record once per connection)
 *   tcpshake_free(h);
 *
 * Threads: one handle per thread; the library has no global mutable state.
 * A handle starts worker threads of its own only when tcpshake_config.threads
 * asks for them (then it locks between them, and still calls every callback on
 * the thread that called tcpshake_run / tcpshake_feed / tcpshake_flush /
 * tcpshake_tick). It never prints and never exits;
 * errors are returned as enum tcpshake_status with details in
 * tcpshake_errmsg().
 *
 * Time is always uint64_t nanoseconds since the Unix epoch; durations are
 * int64_t nanoseconds, with TCPSHAKE_NO_TIME (-1) meaning "not measured".
 *
 * This header declares the handle; the rest of the API is one header per
 * object, included below: tcpshake/status.h (status codes, the version),
 * record.h (the connection record, the run's counters), config.h (the
 * handle's configuration), sink.h (output formats), aggregate.h (summary,
 * health, detection) and probe.h (active probing), ladder.h (the ladder of a
 * connection, segment by segment), report.h (the HTML report). Public
 * structs only grow at their end (see tcpshake_config and tcpshake_record).
 */
#ifndef TCPSHAKE_H
#define TCPSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcpshake/aggregate.h"
#include "tcpshake/config.h"
#include "tcpshake/ladder.h"
#include "tcpshake/probe.h"
#include "tcpshake/record.h"
#include "tcpshake/report.h"
#include "tcpshake/sink.h"
#include "tcpshake/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*tcpshake_record_fn)(const struct tcpshake_record *rec, void *user);

struct tcpshake;

/*
 * Make a handle. cfg is copied (NULL = defaults). on_record is called once per
 * connection, in the order connections end; it may be NULL. Returns NULL when
 * memory runs out, tcpshake_config_check refuses cfg, a worker thread cannot
 * start, or hash_key is not set and getrandom() fails (errno then says why; we
 * never fall back to a guessable key), or cfg->size is 0 (cfg never went
 * through tcpshake_config_default). These are the only failures.
 * All memory for max_flows connections is allocated here.
 */
TCPSHAKE_API struct tcpshake *tcpshake_new(const struct tcpshake_config *cfg,
                                           tcpshake_record_fn on_record, void *user);

/* Free the handle and close its source. NULL is a no-op. Does not flush. */
TCPSHAKE_API void tcpshake_free(struct tcpshake *h);

/*
 * Open a pcap or pcapng file ("-" = standard input) with nanosecond time
 * stamps, and compile cfg->bpf on it. A gzip or zstd compressed capture is
 * read directly (known by its magic number). Fails with ERR_OPEN, ERR_FORMAT,
 * ERR_FILTER, ERR_LINKTYPE or ERR_STATE (a source is already open); see
 * tcpshake_errmsg().
 */
TCPSHAKE_API enum tcpshake_status tcpshake_open_file(struct tcpshake *h, const char *path);

/*
 * Open n files (1 to TCPSHAKE_MAX_FILES; "-" at most once) as one capture,
 * merged by packet time: a connection whose packets are in several files is
 * one connection, and record ids count packets in the merged order. The files'
 * link types may differ. Fails as tcpshake_open_file does, the message naming
 * the file; ERR_ARG for n out of range.
 */
#define TCPSHAKE_MAX_FILES 256
TCPSHAKE_API enum tcpshake_status tcpshake_open_files(struct tcpshake *h, const char *const *paths,
                                                      size_t n);

/* The same from an already open stream (h owns it afterwards: closed by tcpshake_free). */
TCPSHAKE_API enum tcpshake_status tcpshake_open_stream(struct tcpshake *h, FILE *fp);

/*
 * Read the open source to its end (or max_packets, or tcpshake_stop), analyse
 * every packet, then flush: every connection still tracked is reported.
 * Returns OK, or ERR_TRUNCATED / ERR_READ after a read fault; in that case too
 * everything read before the fault has been analysed and flushed.
 */
TCPSHAKE_API enum tcpshake_status tcpshake_run(struct tcpshake *h);

/* Ask a running tcpshake_run to return soon. Async-signal-safe. */
TCPSHAKE_API void tcpshake_stop(struct tcpshake *h);

/*
 * Analyse one captured frame without a source (tests, fuzzing, embedding).
 * linktype is a libpcap DLT_/LINKTYPE_ value; data is borrowed for the call.
 * A frame stamped more than the smallest timeout ahead of the clock is copied
 * and analysed with the next frame, tcpshake_tick or tcpshake_flush, which
 * decide whether its time is believed (else it counts in timestamps_jumped;
 * see the man page, --idle-timeout). Returns OK or ERR_LINKTYPE.
 */
TCPSHAKE_API enum tcpshake_status tcpshake_feed(struct tcpshake *h, int linktype, uint64_t ts_ns,
                                                const uint8_t *data, size_t caplen,
                                                size_t wire_len);

/* Report every connection still tracked (end = OPEN) and empty the table. */
TCPSHAKE_API void tcpshake_flush(struct tcpshake *h);

/* Counters so far; valid until the handle is freed. */
TCPSHAKE_API const struct tcpshake_stats *tcpshake_get_stats(const struct tcpshake *h);

/* Details of the last failure ("trace.pcap: packet 1532: truncated record"); never NULL. */
TCPSHAKE_API const char *tcpshake_errmsg(const struct tcpshake *h);

/*
 * Capture on a network interface ("any" = all of them, on Linux) in
 * immediate mode, with nanosecond time stamps where the platform has them,
 * and compile cfg->bpf on it. opt NULL = defaults. tcpshake_run then reads
 * until tcpshake_stop (or max_packets); while the link is idle the clock
 * still advances with the wall clock, so handshakes and idle connections time
 * out as they would on a busy link. The kernel counters (pcap_stats) appear
 * in tcpshake_stats.live_*.
 * Fails with ERR_OPEN (no such interface, no permission, interface down ...:
 * tcpshake_errmsg() has one line naming the interface), ERR_FILTER,
 * ERR_LINKTYPE or ERR_STATE. On success tcpshake_errmsg() is empty, or holds
 * a libpcap warning (e.g. promiscuous mode not supported) worth showing.
 */
TCPSHAKE_API enum tcpshake_status tcpshake_open_live(struct tcpshake *h, const char *iface,
                                                     const struct tcpshake_live_options *opt);

/*
 * Advance the clock to now_ns (ignored if not later than the latest time
 * seen) and decide every connection idle beyond its timeout, as a packet at
 * that time would. tcpshake_run calls it on a live source while no packets
 * arrive; embedders feeding packets themselves may call it too.
 */
TCPSHAKE_API void tcpshake_tick(struct tcpshake *h, uint64_t now_ns);

typedef void (*tcpshake_event_fn)(enum tcpshake_event ev, const struct tcpshake_record *rec,
                                  void *user);

/*
 * Ask for one TCPSHAKE_EVENT_HANDSHAKE event per connection, at the moment its
 * handshake outcome is decided: at the ACK that completes it (established,
 * fast_open, simultaneous_open, no_syn), the RST that refuses or resets it,
 * the ICMP error that rejects it; unanswered, half_open and midstream are
 * decided when the connection times out or ends, just before its record.
 * rec is a snapshot (end = open while the connection lives on), borrowed until
 * fn returns; the close record keeps the final word. fn NULL turns it off.
 */
TCPSHAKE_API void tcpshake_set_event_fn(struct tcpshake *h, tcpshake_event_fn fn, void *user);

/*
 * Read a p0f v3 fingerprint database (p0f.fp; Debian's p0f package installs
 * /etc/p0f/p0f.fp) once, to label the p0f signatures of every record
 * (record.client_p0f, server_p0f). Call before the first packet; NULL drops
 * the database (no labels, the default; signatures are always made). A
 * file over 1 MiB or with more than 16384 signatures is refused. Fails with
 * ERR_OPEN (unreadable), ERR_FORMAT (a line p0f would refuse, or no TCP
 * signature: the message names the line), ERR_NOMEM or ERR_STATE (packets
 * were read already); see tcpshake_errmsg(). On failure the database in use
 * stays.
 */
TCPSHAKE_API enum tcpshake_status tcpshake_set_p0f_db(struct tcpshake *h, const char *path);

/*
 * Whether records carry p0f signatures and labels (on by default). Off, every
 * record's client_p0f and server_p0f are empty: for a caller that reads
 * neither, which saves describing two SYNs per connection (about 8 % of a SYN
 * flood's time when only rows are written). Call before the first packet;
 * fails with ERR_STATE after it.
 */
TCPSHAKE_API enum tcpshake_status tcpshake_set_p0f(struct tcpshake *h, bool on);

/*
 * Whether records carry Zeek's view of the connection (on by default): off,
 * every record's zeek_state and zeek_history are empty, zeek_flipped false,
 * zeek_orig_bytes and zeek_resp_bytes 0 and zeek_last_ns its last_ns. For a
 * caller that shows none of them (-o zeek, json, csv and the table do): the
 * Zeek state machine runs on every segment, about 14 % of a SYN flood's time
 * and 11 % of ordinary traffic's when only rows are written. Call before the
 * first packet; fails with ERR_STATE after it.
 */
TCPSHAKE_API enum tcpshake_status tcpshake_set_zeek(struct tcpshake *h, bool on);

typedef void (*tcpshake_interval_fn)(uint64_t start_ns, uint64_t end_ns, void *user);

/*
 * Call fn every interval_ns of capture time (wall time, live): when the clock
 * passes start + interval_ns, before the packet or tick that moved it is
 * analysed. One call covers [start_ns, end_ns); after a long gap the next
 * interval starts at end_ns. The first interval starts at the first packet.
 * interval_ns 0 or fn NULL turns it off.
 */
TCPSHAKE_API void tcpshake_set_interval(struct tcpshake *h, uint64_t interval_ns,
                                        tcpshake_interval_fn fn, void *user);

typedef void (*tcpshake_progress_fn)(uint64_t bytes_read, uint64_t bytes_total, void *user);

/*
 * While tcpshake_run reads a file, call fn every 16384 packets (and once at
 * the end) with the bytes of the file read so far and its size (0 when
 * unknown, e.g. a pipe), on the calling thread. Not called for a live
 * source. fn NULL turns it off.
 */
TCPSHAKE_API void tcpshake_set_progress(struct tcpshake *h, tcpshake_progress_fn fn, void *user);

enum tcpshake_dump_flags {
    TCPSHAKE_DUMP_HANDSHAKE_ONLY = 1u << 0, /* only SYNs, SYN-ACKs, the ACK completing a
                                               handshake, FINs, RSTs, and ICMP errors
                                               about tracked connections */
};

/*
 * Save the packets tcpshake_run reads (after the BPF filter) to a pcap file
 * ("-" = standard output) with the source's link type, snaplen and time
 * precision (nanoseconds when the source has them). Call after opening a
 * source and before tcpshake_run; the file is flushed when the run ends and
 * closed by tcpshake_free. Fails with ERR_STATE (no source, or already
 * writing) or ERR_WRITE (cannot create it: tcpshake_errmsg() says why). A write
 * failure later makes tcpshake_run stop and return ERR_WRITE. An existing file
 * is truncated, whatever it is: the capture being read under another name
 * too (see tcpshake_dump_stream).
 */
TCPSHAKE_API enum tcpshake_status tcpshake_dump_open(struct tcpshake *h, const char *path,
                                                     unsigned flags);

/*
 * The same on a stream open for writing, which h owns from the call on: closed
 * by tcpshake_free, or before an error is returned. A caller that must not
 * truncate the wrong file (the capture being read, under another name) opens
 * it itself without O_TRUNC, compares st_dev and st_ino, truncates, and hands
 * the stream over here.
 */
TCPSHAKE_API enum tcpshake_status tcpshake_dump_stream(struct tcpshake *h, FILE *fp,
                                                       unsigned flags);

/*
 * -w rotation, as tcpdump's -C and -G: the trace goes to a sequence of files.
 * Before a packet is saved, a new file is started when the current one would
 * grow past max_bytes with it (0: no limit; a file always takes at least one
 * packet), or when the packet is every_ns or more after the first packet of
 * the last file started for time (or the first file; 0: never); also for the
 * first packet saved when no file is open yet (tcpshake_dump_stream not
 * called). next(ts_ns, why, &fp, user) then hands over the next file, open for
 * writing (h owns it from then on), with ts_ns the packet's time stamp and why
 * the TCPSHAKE_ROTATE_* reasons; it returns OK with fp NULL when there are no
 * more files (tcpshake_run then stops after this packet, which is not saved),
 * or an error status, which ends the run with ERR_WRITE. The previous file is
 * closed first. A file holds the source's link type, snaplen and precision.
 */
enum tcpshake_rotate_why {
    TCPSHAKE_ROTATE_FIRST = 1u << 0, /* no file was open yet */
    TCPSHAKE_ROTATE_SIZE = 1u << 1,  /* the file would grow past max_bytes */
    TCPSHAKE_ROTATE_TIME = 1u << 2,  /* every_ns have passed since the last time rotation */
};
typedef enum tcpshake_status (*tcpshake_dump_next_fn)(uint64_t ts_ns, unsigned why, FILE **fp,
                                                      void *user);

struct tcpshake_dump_rotation {
    uint64_t max_bytes;
    uint64_t every_ns;
    tcpshake_dump_next_fn next;
    void *user;
};

/* Call after opening a source, with or after tcpshake_dump_stream (the first
 * file) or alone (the first file comes from next too). flags as for
 * tcpshake_dump_open. ERR_STATE or ERR_ARG (next NULL). */
TCPSHAKE_API enum tcpshake_status
tcpshake_dump_rotate(struct tcpshake *h, const struct tcpshake_dump_rotation *rot, unsigned flags);

#ifdef __cplusplus
}
#endif
#endif
