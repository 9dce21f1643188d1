/*
 * abi_fields.h - record and stats fields as plain numbers, so that a file
 * built against tcpshake_old.h and one built against the current header can
 * compare what each reads at the same address (abi_reference.c).
 */
#ifndef TCPSHAKE_ABI_FIELDS_H
#define TCPSHAKE_ABI_FIELDS_H

#include <stddef.h>
#include <stdint.h>

struct abi_fields {
    uint64_t id, first_ns, syn_ns, ack_ns, icmp_ns;
    int64_t vlan, server_side_ns, client_side_ns, handshake_ns, app_latency_ns;
    uint64_t client_port, server_port, client_isn, server_mss, client_packets;
    uint64_t server_payload_bytes, server_rst_ttl, client_retransmits;
    uint64_t ip_version, outcome, end, tfo, rtt_rule, n_syn, n_synack, anomalies;
    uint64_t first_flags, first_by, rst_by;
    char zeek_state[8];
    char zeek_history[32];
};

struct abi_stats {
    uint64_t packets_read, packets_tcp, connections, evictions, flows_peak, last_ns;
    uint64_t live, live_if_dropped;
};

/* What the current header's layout holds at rec / stats (abi_reference.c). */
void abi_reference_record(const void *rec, struct abi_fields *out);
void abi_reference_stats(const void *stats, struct abi_stats *out);
/* sizeof(struct tcpshake_record) and sizeof(struct tcpshake_config) of the current header. */
size_t abi_reference_record_size(void);
size_t abi_reference_config_size(void);

#endif
