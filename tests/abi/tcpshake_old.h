/*
 * tcpshake_old.h - the public layouts as a program built against an older
 * header sees them: frozen, never edited to follow include/tcpshake.
 *
 * struct tcpshake_side, tcpshake_record and tcpshake_stats are those of
 * 0.1.0. struct tcpshake_config is 0.1.0's cut before "threads", as if
 * threads, hash_key_set and hash_key had been appended later: the caller's
 * config is shorter than the library's, which must read only what the caller
 * has. The option structs that say their size (live, health, detect, probe)
 * are cut the same way before their last member or two: timeout_ms and
 * buffer_kib, max_rows, max_record_alerts, mode. abi_old_caller.c, built
 * against this header and linked with the current library, checks that it
 * does (docs/internals.md, "The public API").
 */
#ifndef TCPSHAKE_H
#define TCPSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum tcpshake_status { TCPSHAKE_OK = 0, TCPSHAKE_ERR_ARG = 2 };

enum tcpshake_outcome {
    TCPSHAKE_OUTCOME_ESTABLISHED,
    TCPSHAKE_OUTCOME_FAST_OPEN,
    TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN,
    TCPSHAKE_OUTCOME_REFUSED,
    TCPSHAKE_OUTCOME_UNANSWERED,
    TCPSHAKE_OUTCOME_ICMP_REJECTED,
    TCPSHAKE_OUTCOME_HALF_OPEN,
    TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE,
    TCPSHAKE_OUTCOME_NO_SYN,
    TCPSHAKE_OUTCOME_MIDSTREAM,
    TCPSHAKE_OUTCOME_COUNT
};

enum tcpshake_rtt_rule {
    TCPSHAKE_RTT_NONE,
    TCPSHAKE_RTT_EXACT,
    TCPSHAKE_RTT_LAST_SYN,
    TCPSHAKE_RTT_LAST_SYNACK,
    TCPSHAKE_RTT_LAST_BOTH,
    TCPSHAKE_RTT_COUNT
};

enum tcpshake_end {
    TCPSHAKE_END_FIN,
    TCPSHAKE_END_RST,
    TCPSHAKE_END_HANDSHAKE,
    TCPSHAKE_END_IDLE,
    TCPSHAKE_END_OPEN,
    TCPSHAKE_END_EVICTED,
    TCPSHAKE_END_REUSED,
    TCPSHAKE_END_COUNT
};

enum tcpshake_tfo {
    TCPSHAKE_TFO_NONE,
    TCPSHAKE_TFO_COOKIE_REQUEST,
    TCPSHAKE_TFO_ACCEPTED,
    TCPSHAKE_TFO_IGNORED,
    TCPSHAKE_TFO_SENT,
    TCPSHAKE_TFO_COUNT
};

enum tcpshake_who {
    TCPSHAKE_WHO_NONE,
    TCPSHAKE_WHO_CLIENT,
    TCPSHAKE_WHO_SERVER,
    TCPSHAKE_WHO_BOTH,
    TCPSHAKE_WHO_COUNT
};

struct tcpshake_side {
    uint8_t addr[16];
    uint16_t port;
    bool syn_seen;
    uint32_t isn;
    uint16_t mss;
    int8_t wscale;
    bool sack_permitted;
    bool timestamps;
    uint32_t tsval;
    uint32_t tsecr;
    uint16_t initial_window;
    uint8_t ttl;
    uint64_t fin_ns;
    bool fin_acked;
    uint64_t rst_ns;
    bool rst_in_window;
    uint64_t packets;
    uint64_t payload_bytes;
    uint64_t ip_bytes;
    uint64_t first_payload_ns;
    uint32_t retransmits;
    uint8_t rst_ttl;
};

#define TCPSHAKE_MAX_GAPS 8

struct tcpshake_record {
    size_t size;
    uint64_t id;
    uint8_t ip_version;
    int32_t vlan;
    struct tcpshake_side client;
    struct tcpshake_side server;
    bool roles_inferred;
    enum tcpshake_outcome outcome;
    enum tcpshake_end end;
    enum tcpshake_tfo tfo;
    uint64_t first_ns;
    uint64_t last_ns;
    uint64_t syn_ns;
    uint64_t syn_last_ns;
    uint64_t synack_ns;
    uint64_t synack_last_ns;
    uint64_t ack_ns;
    uint32_t n_syn;
    uint32_t n_synack;
    uint32_t n_syn_gaps;
    int64_t syn_gaps_ns[TCPSHAKE_MAX_GAPS];
    uint32_t n_synack_gaps;
    int64_t synack_gaps_ns[TCPSHAKE_MAX_GAPS];
    int64_t server_side_ns;
    int64_t client_side_ns;
    int64_t handshake_ns;
    enum tcpshake_rtt_rule rtt_rule;
    int64_t app_latency_ns;
    int64_t duration_ns;
    uint8_t icmp_type;
    uint8_t icmp_code;
    uint64_t icmp_ns;
    enum tcpshake_who first_fin;
    enum tcpshake_who rst_by;
    bool half_close;
    uint32_t anomalies;
    char zeek_state[8];
    char zeek_history[32];
    bool zeek_flipped;
    uint8_t first_flags;
    enum tcpshake_who first_by;
};

enum tcpshake_skip {
    TCPSHAKE_SKIP_TRUNCATED,
    TCPSHAKE_SKIP_MALFORMED,
    TCPSHAKE_SKIP_NOT_TCP,
    TCPSHAKE_SKIP_UNSUPPORTED,
    TCPSHAKE_SKIP_FRAGMENT,
    TCPSHAKE_SKIP_COUNT
};

struct tcpshake_stats {
    uint64_t packets_read;
    uint64_t packets_tcp;
    uint64_t packets_icmp;
    uint64_t skipped[TCPSHAKE_SKIP_COUNT];
    uint64_t snaplen_cut;
    uint64_t time_backwards;
    uint64_t timestamps_jumped;
    uint64_t connections;
    uint64_t evictions;
    uint64_t evictions_half_open;
    uint64_t flows_peak;
    uint64_t evictions_crowded;
    uint64_t flow_probes;
    uint64_t first_ns, last_ns;
    bool live;
    uint64_t live_received;
    uint64_t live_dropped;
    uint64_t live_if_dropped;
};

struct tcpshake_config {
    size_t size;
    size_t max_flows;
    uint64_t handshake_timeout_ns;
    uint64_t idle_timeout_ns;
    uint64_t close_linger_ns;
    uint64_t max_packets;
    const char *bpf;
};

struct tcpshake_live_options {
    size_t size;
    int snaplen;
    bool promisc;
};

enum tcpshake_health_by { TCPSHAKE_HEALTH_BY_SERVER, TCPSHAKE_HEALTH_BY_PORT };
struct tcpshake_health_config {
    size_t size;
    enum tcpshake_health_by by;
    unsigned prefix_len;
    uint64_t bucket_ns;
};

struct tcpshake_detect_config {
    size_t size;
    uint64_t window_ns;
    uint64_t flood_min;
    double flood_ratio;
    uint64_t backscatter_min;
    uint64_t backscatter_sources;
    uint64_t scan_min;
    uint64_t fail_min;
    uint64_t cookie_min;
    unsigned ttl_delta;
};

struct tcpshake_probe_config {
    size_t size;
    const char *host;
    const uint16_t *ports;
    size_t n_ports;
    uint32_t count;
    uint64_t interval_ns;
    uint64_t timeout_ns;
    uint32_t rate;
    uint32_t parallel;
    int family;
};

enum tcpshake_format { TCPSHAKE_FORMAT_TABLE, TCPSHAKE_FORMAT_JSON };

struct tcpshake;
typedef void (*tcpshake_record_fn)(const struct tcpshake_record *rec, void *user);

void tcpshake_config_init(struct tcpshake_config *cfg, size_t size);
#define tcpshake_config_default(cfg) tcpshake_config_init((cfg), sizeof(struct tcpshake_config))
struct tcpshake *tcpshake_new(const struct tcpshake_config *cfg, tcpshake_record_fn on_record,
                              void *user);
enum tcpshake_status tcpshake_open_file(struct tcpshake *h, const char *path);
enum tcpshake_status tcpshake_run(struct tcpshake *h);
const struct tcpshake_stats *tcpshake_get_stats(const struct tcpshake *h);
const char *tcpshake_errmsg(const struct tcpshake *h);
void tcpshake_free(struct tcpshake *h);

void tcpshake_live_options_init(struct tcpshake_live_options *opt, size_t size);
#define tcpshake_live_options_default(opt)                                                         \
    tcpshake_live_options_init((opt), sizeof(struct tcpshake_live_options))
enum tcpshake_status tcpshake_open_live(struct tcpshake *h, const char *iface,
                                        const struct tcpshake_live_options *opt);

struct tcpshake_health;
void tcpshake_health_config_init(struct tcpshake_health_config *cfg, size_t size);
#define tcpshake_health_config_default(cfg)                                                        \
    tcpshake_health_config_init((cfg), sizeof(struct tcpshake_health_config))
struct tcpshake_health *tcpshake_health_new(const struct tcpshake_health_config *cfg);
void tcpshake_health_add(struct tcpshake_health *h, const struct tcpshake_record *r);
enum tcpshake_status tcpshake_health_write(const struct tcpshake_health *h, FILE *out,
                                           enum tcpshake_format fmt);
void tcpshake_health_free(struct tcpshake_health *h);

struct tcpshake_detect;
void tcpshake_detect_config_init(struct tcpshake_detect_config *cfg, size_t size);
#define tcpshake_detect_config_default(cfg)                                                        \
    tcpshake_detect_config_init((cfg), sizeof(struct tcpshake_detect_config))
struct tcpshake_detect *tcpshake_detect_new(const struct tcpshake_detect_config *cfg,
                                            void (*on_alert)(const void *alert, void *user),
                                            void *user);
void tcpshake_detect_free(struct tcpshake_detect *d);

struct tcpshake_probe;
void tcpshake_probe_config_init(struct tcpshake_probe_config *cfg, size_t size);
#define tcpshake_probe_config_default(cfg)                                                         \
    tcpshake_probe_config_init((cfg), sizeof(struct tcpshake_probe_config))
struct tcpshake_probe *tcpshake_probe_new(const struct tcpshake_probe_config *cfg,
                                          void (*on_result)(const void *r, void *user),
                                          void (*on_summary)(const void *s, void *user),
                                          void *user);
void tcpshake_probe_free(struct tcpshake_probe *p);

#endif
