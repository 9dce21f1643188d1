/*
 * probe.h - internals shared by the active prober: the handle (probe.c),
 * its modes, the ways of sending a probe (struct probe_mode: probe_connect.c,
 * probe_syn.c) and the latency statistics (probe_stats.c).
 *
 * probe.c owns scheduling: which port goes next, the rate limit, the bound
 * on attempts in flight, timeouts, and turning answers into results and
 * summaries. A mode owns its sockets: it starts an attempt in a slot, names
 * the descriptors poll() should watch, and reads what became ready, calling
 * probe_finish() for every slot it can decide. probe.c reaches a mode only
 * through its table; a new mode is a new file with one such table, and an
 * entry in probe.c's list of modes.
 */
#ifndef TCPSHAKE_PROBE_H
#define TCPSHAKE_PROBE_H

#include "tcpshake.h"

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* One attempt in flight. */
struct probe_slot {
    bool busy;
    uint32_t port_idx;     /* index into the port list */
    uint32_t attempt;      /* 1 .. count */
    uint64_t start_ns;     /* CLOCK_MONOTONIC at connect() / sendto() */
    uint64_t deadline_ns;  /* start_ns + timeout */
    uint64_t sent_wall_ns; /* CLOCK_REALTIME at the same moment */
    int fd;                /* connect mode: the socket; -1 otherwise */
    uint16_t sport;        /* SYN mode: our source port */
    uint32_t isn;          /* SYN mode: our initial sequence number */
};

/* What a mode learned about one attempt. */
struct probe_answer {
    enum tcpshake_probe_state state;
    bool timed; /* an answer arrived: the RTT is meaningful */
    bool icmp;  /* an ICMP error; type and code are valid */
    uint8_t icmp_type;
    uint8_t icmp_code;
    int error; /* errno behind the state, 0 when open */
};

/* Per-port progress and counts. */
struct probe_port {
    uint32_t started;  /* attempts started */
    uint32_t finished; /* attempts finished */
    uint32_t n_open;   /* RTTs stored in the port's row of rtts */
    uint32_t n_state[TCPSHAKE_PROBE_STATE_COUNT];
    uint64_t due_ns; /* earliest start of the next attempt */
};

struct tcpshake_probe {
    struct tcpshake_probe_config cfg; /* host and ports point to our copies */
    char *host;
    uint16_t *ports;
    tcpshake_probe_result_fn on_result;
    tcpshake_probe_summary_fn on_summary;
    void *user;

    struct sockaddr_storage dst; /* the resolved target (port 0) */
    socklen_t dst_len;
    struct sockaddr_storage src; /* SYN mode: our source address towards dst */
    uint8_t ip_version;
    uint8_t addr[16];

    struct probe_port *port; /* n_ports */
    int64_t *rtts;           /* n_ports * count: the open attempts' RTTs, row per port */
    uint32_t *heap;          /* ports waiting for their next attempt, by due_ns */
    size_t heap_len;
    struct probe_slot *slots; /* cfg.parallel */
    struct pollfd *pfds;      /* cfg.parallel + 2 */
    uint32_t n_busy;
    uint32_t parallel;      /* attempts in flight at most: cfg.parallel, or fewer when file
                               descriptors run short (connect mode) */
    uint64_t next_start_ns; /* rate limit: no attempt starts before this */

    const struct probe_mode *mode;
    int raw_tcp;  /* SYN mode: raw TCP socket, sends SYNs and RSTs, reads answers */
    int raw_icmp; /* SYN mode: raw ICMP / ICMPv6 socket */
    uint64_t rng; /* xorshift64* state for source ports and ISNs */

    volatile sig_atomic_t stop;
    bool ran;
    char err[256];
};

/* probe_mode.start: no file descriptor for the socket now, but attempts in
 * flight will free some (EMFILE / ENFILE); the slot was left untouched. */
#define PROBE_NO_FD (-1)

/* Clocks, in nanoseconds. */
uint64_t probe_mono_ns(void);
uint64_t probe_wall_ns(void);
uint64_t probe_random(struct tcpshake_probe *p);

/* Decide a slot: report the attempt, free the slot (closing its fd) and queue the port. */
void probe_finish(struct tcpshake_probe *p, struct probe_slot *s, const struct probe_answer *a,
                  uint64_t now_ns);

/* Sets p->err with a printf format; returns status. */
int probe_fail(struct tcpshake_probe *p, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * A mode: how attempts are sent and answers read. probe.c calls open once
 * before the first attempt (OK, ERR_PERM, ERR_SOCKET); start for each
 * attempt, with slot s filled in but for the start times, which the mode
 * sets as close to the send as it can (OK, ERR_SOCKET, or PROBE_NO_FD); it
 * may decide the attempt at once with probe_finish. fill names the pollfds
 * to watch and returns how many; collect decides what poll() found ready.
 * close releases what open took (also after a failed or skipped open).
 */
struct probe_mode {
    bool fd_per_attempt; /* holds a descriptor per attempt in flight */
    int (*open)(struct tcpshake_probe *p);
    int (*start)(struct tcpshake_probe *p, struct probe_slot *s);
    size_t (*fill)(struct tcpshake_probe *p, struct pollfd *pfds);
    void (*collect)(struct tcpshake_probe *p, const struct pollfd *pfds, size_t n);
    void (*close)(struct tcpshake_probe *p);
};

extern const struct probe_mode probe_mode_connect; /* probe_connect.c */
extern const struct probe_mode probe_mode_syn;     /* probe_syn.c */

/*
 * An answer to a SYN of ours, as the decoder read it from a raw socket
 * (probe_syn.c): a SYN-ACK or a RST acknowledging our ISN, or an ICMP
 * destination unreachable / time exceeded quoting the SYN.
 */
struct syn_reply {
    uint16_t probed; /* the port the SYN went to */
    uint16_t ours;   /* our source port */
    uint32_t isn;    /* the ISN it answers: ack - 1 for TCP, the quoted seq for ICMP */
    bool send_rst;   /* a SYN-ACK: reset the server's half-open connection */
    struct probe_answer a;
};

/*
 * Read one IP packet (IPv4 or IPv6 header first) received on a raw socket
 * from target (the probed address, 4 or 16 bytes by the packet's version)
 * with decode_packet. True when it answers a SYN: *r filled. False for
 * anything else: other traffic, other hosts, other ICMP, bytes that do not
 * decode.
 */
bool probe_syn_reply(const uint8_t *pkt, size_t len, const uint8_t target[16], struct syn_reply *r);

/* Latency statistics over n values (sorted in place). With n == 0 all are NO_TIME. */
struct probe_stats {
    int64_t min_ns, median_ns, p90_ns, max_ns, stddev_ns;
};
void probe_stats_compute(int64_t *v, size_t n, struct probe_stats *out);

#endif
