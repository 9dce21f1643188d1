/*
 * tcpshake/probe.h - active probing: timing handshakes to one host's ports.
 *
 * Part of the public API: include <tcpshake.h>, not this file.
 */
#ifndef TCPSHAKE_PUBLIC_PROBE_H
#define TCPSHAKE_PUBLIC_PROBE_H

#include "tcpshake/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Active probing: open TCP handshakes to one host's ports and time them, as
 * tcping, hping3 -S or nmap -sT / -sS do.
 *
 * Use:
 *   struct tcpshake_probe_config cfg;
 *   tcpshake_probe_config_default(&cfg);
 *   cfg.host = "example.org"; cfg.ports = ports; cfg.n_ports = n;
 *   struct tcpshake_probe *p = tcpshake_probe_new(&cfg, on_result, on_summary, user);
 *   enum tcpshake_status rc = tcpshake_probe_run(p);   (on_result per attempt, then on_summary per
 * port) tcpshake_probe_free(p);
 *
 * Two modes. TCPSHAKE_PROBE_CONNECT uses ordinary non-blocking connect()
 * calls: no privilege needed; the latency runs from connect() to the socket
 * becoming writable, so it includes the local stack and the wakeup.
 * TCPSHAKE_PROBE_SYN crafts the SYN on a raw socket (root or CAP_NET_RAW) and
 * reads the SYN-ACK, RST or ICMP error from raw sockets: the latency is the
 * wire plus the server's kernel. An open port gets a RST after its SYN-ACK so
 * no half-open entry stays behind (the local kernel, which owns no socket for
 * that port, usually sends one as well).
 *
 * Only the first address the host name resolves to (in the forced family,
 * if any) is probed. Every port has at most one attempt in flight; at most
 * cfg.parallel attempts are in flight, and new ones start at most cfg.rate
 * per second. ICMP details (IP_RECVERR) and TCPSHAKE_PROBE_SYN work on Linux only.
 */

/* What one attempt found. Names (tcpshake_probe_state_name) are output vocabulary. */
enum tcpshake_probe_state {
    TCPSHAKE_PROBE_OPEN,        /* the handshake completed (SYN-ACK) */
    TCPSHAKE_PROBE_CLOSED,      /* RST answered the SYN (ECONNREFUSED) */
    TCPSHAKE_PROBE_FILTERED,    /* no answer within the timeout */
    TCPSHAKE_PROBE_UNREACHABLE, /* an ICMP error, or a local error such as no route */
    TCPSHAKE_PROBE_STATE_COUNT
};

enum tcpshake_probe_mode {
    TCPSHAKE_PROBE_CONNECT, /* connect(): unprivileged, includes the local stack */
    TCPSHAKE_PROBE_SYN      /* raw SYN, half-open: needs root or CAP_NET_RAW */
};

#define TCPSHAKE_PROBE_MAX_ATTEMPTS 1000000u /* n_ports * count at most */
#define TCPSHAKE_PROBE_MAX_PARALLEL 1024u

/* Grows as struct tcpshake_config does: start from tcpshake_probe_config_default. */
struct tcpshake_probe_config {
    size_t size;           /* sizeof(struct tcpshake_probe_config) where the caller was built */
    const char *host;      /* name or address; copied by tcpshake_probe_new */
    const uint16_t *ports; /* ports to probe (1..65535); copied */
    size_t n_ports;        /* at least 1 */
    uint32_t count;        /* attempts per port (default 1) */
    uint64_t interval_ns;  /* from one attempt's start to the next on a port (default 1 s) */
    uint64_t timeout_ns;   /* no answer within this is "filtered" (default 2 s) */
    uint32_t rate;         /* attempts started per second at most (default 100) */
    uint32_t parallel;     /* attempts in flight at most (default 64) */
    int family;            /* 0 any, 4 IPv4 only, 6 IPv6 only (default 0) */
    enum tcpshake_probe_mode mode; /* default TCPSHAKE_PROBE_CONNECT */
};

/* Fill *cfg with the defaults above (host NULL, no ports); a macro, as
 * tcpshake_config_default is: tcpshake_probe_config_init writes size bytes
 * and sets cfg->size. */
#define tcpshake_probe_config_default(cfg)                                                         \
    tcpshake_probe_config_init((cfg), sizeof(struct tcpshake_probe_config))
TCPSHAKE_API void tcpshake_probe_config_init(struct tcpshake_probe_config *cfg, size_t size);

/* One attempt. Borrowed by the callback until it returns. */
struct tcpshake_probe_result {
    uint16_t port;
    uint32_t attempt;   /* 1 .. count */
    uint8_t ip_version; /* 4 or 6 */
    uint8_t addr[16];   /* the probed address, network order; IPv4 in the first 4 bytes */
    enum tcpshake_probe_state state;
    uint64_t sent_ns; /* wall clock when the SYN / connect() went out, ns since the epoch */
    int64_t rtt_ns;   /* SYN / connect() to the answer (SYN-ACK, RST or ICMP error), on
                         CLOCK_MONOTONIC; TCPSHAKE_NO_TIME when filtered or a local error */
    bool icmp;        /* an ICMP error answered; its type and code follow */
    uint8_t icmp_type;
    uint8_t icmp_code;
    int error; /* errno behind the state (ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT ...); 0 when
                  open, and in SYN mode when an ICMP error answered */
};

/* All attempts on one port. Latency figures cover the open attempts only. */
struct tcpshake_probe_summary {
    uint16_t port;
    uint8_t ip_version;
    uint8_t addr[16];
    enum tcpshake_probe_state state;              /* open if any attempt was, else closed, else
                                                     unreachable, else filtered */
    uint32_t attempts;                            /* attempts finished */
    uint32_t n_state[TCPSHAKE_PROBE_STATE_COUNT]; /* attempts per state */
    double loss_pct;                              /* attempts that were not open, in percent */
    int64_t min_ns;    /* the rest: TCPSHAKE_NO_TIME when nothing was open */
    int64_t median_ns; /* the mean of the middle two for an even count */
    int64_t p90_ns;    /* nearest rank */
    int64_t max_ns;
    int64_t stddev_ns; /* population standard deviation */
};

typedef void (*tcpshake_probe_result_fn)(const struct tcpshake_probe_result *r, void *user);
typedef void (*tcpshake_probe_summary_fn)(const struct tcpshake_probe_summary *s, void *user);

struct tcpshake_probe;

/*
 * Make a probe. cfg, its host and ports are copied. on_result is called once
 * per finished attempt, in the order they finish; on_summary once per port
 * with at least one finished attempt, in port-list order, after all attempts.
 * Either may be NULL. Returns NULL when memory runs out or cfg is unusable
 * (no host, no ports, a port 0, count, parallel or rate 0, parallel above
 * TCPSHAKE_PROBE_MAX_PARALLEL, n_ports * count above TCPSHAKE_PROBE_MAX_ATTEMPTS,
 * family not 0, 4 or 6). Opens no socket.
 */
TCPSHAKE_API struct tcpshake_probe *tcpshake_probe_new(const struct tcpshake_probe_config *cfg,
                                                       tcpshake_probe_result_fn on_result,
                                                       tcpshake_probe_summary_fn on_summary,
                                                       void *user);

/*
 * Resolve the host, probe every port cfg.count times, then report the
 * summaries. Blocks until done or tcpshake_probe_stop. Returns OK (whatever
 * the ports' states), ERR_RESOLVE (the name did not resolve in the family),
 * ERR_PERM (SYN mode without raw-socket privilege), ERR_SOCKET (a socket
 * call failed; no more attempts start, those in flight finish and are
 * reported, and every finished one is summarised), ERR_NOMEM or ERR_STATE
 * (run twice). Running out of file descriptors with attempts in flight is
 * not a failure: see tcpshake_probe_parallel. Details in
 * tcpshake_probe_errmsg().
 */
TCPSHAKE_API enum tcpshake_status tcpshake_probe_run(struct tcpshake_probe *p);

/* Ask a running tcpshake_probe_run to stop starting attempts and return soon
 * (attempts in flight are dropped; summaries are still reported). Async-signal-safe. */
TCPSHAKE_API void tcpshake_probe_stop(struct tcpshake_probe *p);

/* Details of the last failure; never NULL. */
TCPSHAKE_API const char *tcpshake_probe_errmsg(const struct tcpshake_probe *p);

/* Attempts allowed in flight at once. cfg.parallel, except in connect mode
 * (one socket per attempt): tcpshake_probe_new keeps it 16 below the
 * open-file limit (RLIMIT_NOFILE), and when socket() still runs out of
 * descriptors (EMFILE, ENFILE) tcpshake_probe_run puts the attempt back and
 * lowers it to the number then in flight. 0 after a fatal failure. */
TCPSHAKE_API uint32_t tcpshake_probe_parallel(const struct tcpshake_probe *p);

/* Close every socket and free. NULL is a no-op. */
TCPSHAKE_API void tcpshake_probe_free(struct tcpshake_probe *p);

/* "open", "closed", "filtered", "unreachable"; "?" when out of range. */
TCPSHAKE_API const char *tcpshake_probe_state_name(enum tcpshake_probe_state s);

/*
 * Parse a port list such as "22,80,8000-8010" into ports[] (in the order
 * given, duplicates dropped). Each item is a port 1..65535 or a range A-B
 * with A <= B; no spaces, no empty items. Returns OK, or ERR_ARG for a bad
 * list or more than cap ports (then *n_ports is the count up to the fault).
 */
TCPSHAKE_API enum tcpshake_status tcpshake_probe_parse_ports(const char *spec, uint16_t *ports,
                                                             size_t cap, size_t *n_ports);

#ifdef __cplusplus
}
#endif
#endif
