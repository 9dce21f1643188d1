/*
 * agg_detect.h - internals shared by the detectors (the public API is
 * tcpshake_detect_* in tcpshake.h): the alert hand-off that agg_scan.c uses,
 * and the scan / repeated-failure tables it owns.
 */
#ifndef TCPSHAKE_AGG_DETECT_H
#define TCPSHAKE_AGG_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include "keytab.h"
#include "tcpshake.h"

#define SCAN_HLL_P    10   /* 1024 registers per sketch: 3.25 % standard error */
#define SCAN_SOURCES  1024 /* scanners tracked at once */
#define PAIR_ENTRIES  4096 /* client -> service pairs tracked at once */
#define SCAN_MAX_OPEN TCPSHAKE_ALERT_MAX_PORTS

/* Hands a finished alert to the detector (counting, keeping, callback). */
typedef void (*detect_emit_fn)(void *detect, struct tcpshake_alert *a);
/* Was a flood alert raised for this service (then repeated failures there are part of it)? */
typedef bool (*detect_flooded_fn)(const void *detect, uint8_t ip_version, const uint8_t *addr,
                                  uint16_t port);

/* One source's probes in its current scan session. */
struct scanner {
    uint8_t ip_version;
    uint8_t addr[16];
    uint64_t first_ns, last_ns; /* of the probes (records' first_ns) */
    uint64_t probes;
    uint32_t by_type[TCPSHAKE_SCAN_TYPE_COUNT];
    uint8_t first_host[16];
    uint16_t first_port;
    bool many_hosts; /* probes reached another host than first_host */
    bool many_ports;
    uint8_t ports[1u << SCAN_HLL_P]; /* HLL of target ports */
    uint8_t hosts[1u << SCAN_HLL_P]; /* HLL of target hosts */
    uint32_t n_open;                 /* distinct open ports (counted beyond the list too) */
    uint16_t open[SCAN_MAX_OPEN];    /* ascending */
};

/* One client's failed handshakes to one service in the current session. */
struct pair {
    uint8_t ip_version;
    uint8_t client[16];
    uint8_t server[16];
    uint16_t port;
    uint64_t first_ns, last_ns;
    uint64_t failures;
};

struct scans {
    uint64_t window_ns; /* a session ends after this long without a probe / failure */
    uint64_t scan_min;
    uint64_t fail_min;
    struct keytab src_index;
    struct scanner *src;
    struct keytab pair_index;
    struct pair *pairs;
    uint64_t src_evictions;
    uint64_t pair_evictions;
    uint64_t suppressed_by_flood; /* repeated failures folded into a flood alert */
    void *detect;
    detect_emit_fn emit;
    detect_flooded_fn flooded;
};

int scans_init(struct scans *s, const struct tcpshake_detect_config *cfg, void *detect,
               detect_emit_fn emit, detect_flooded_fn flooded);
void scans_release(struct scans *s);
void scans_add(struct scans *s, const struct tcpshake_record *r);
/* Report every session idle since before now_ns - window (all of them when final). */
void scans_sweep(struct scans *s, uint64_t now_ns, bool final);
/* The probe type of a record, and which sides scanned / were scanned; NONE if not a probe. */
enum tcpshake_scan_type scans_probe_type(const struct tcpshake_record *r, bool *open,
                                         const struct tcpshake_side **scanner,
                                         const struct tcpshake_side **target);

#endif
