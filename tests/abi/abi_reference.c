/*
 * abi_reference.c - reads records and stats with the current header's
 * layout, for abi_old_caller.c to compare with what it reads through the
 * older one.
 */
#include "abi_fields.h"

#include <string.h>

#include "tcpshake.h"

void abi_reference_record(const void *rec, struct abi_fields *out)
{
    const struct tcpshake_record *r = rec;
    memset(out, 0, sizeof(*out));
    out->id = r->id;
    out->first_ns = r->first_ns;
    out->syn_ns = r->syn_ns;
    out->ack_ns = r->ack_ns;
    out->icmp_ns = r->icmp_ns;
    out->vlan = r->vlan;
    out->server_side_ns = r->server_side_ns;
    out->client_side_ns = r->client_side_ns;
    out->handshake_ns = r->handshake_ns;
    out->app_latency_ns = r->app_latency_ns;
    out->client_port = r->client.port;
    out->server_port = r->server.port;
    out->client_isn = r->client.isn;
    out->server_mss = r->server.mss;
    out->client_packets = r->client.packets;
    out->server_payload_bytes = r->server.payload_bytes;
    out->server_rst_ttl = r->server.rst_ttl;
    out->client_retransmits = r->client.retransmits;
    out->ip_version = r->ip_version;
    out->outcome = r->outcome;
    out->end = r->end;
    out->tfo = r->tfo;
    out->rtt_rule = r->rtt_rule;
    out->n_syn = r->n_syn;
    out->n_synack = r->n_synack;
    out->anomalies = r->anomalies;
    out->first_flags = r->first_flags;
    out->first_by = r->first_by;
    out->rst_by = r->rst_by;
    memcpy(out->zeek_state, r->zeek_state, sizeof(out->zeek_state));
    memcpy(out->zeek_history, r->zeek_history, sizeof(out->zeek_history));
}

void abi_reference_stats(const void *stats, struct abi_stats *out)
{
    const struct tcpshake_stats *s = stats;
    memset(out, 0, sizeof(*out));
    out->packets_read = s->packets_read;
    out->packets_tcp = s->packets_tcp;
    out->connections = s->connections;
    out->evictions = s->evictions;
    out->flows_peak = s->flows_peak;
    out->last_ns = s->last_ns;
    out->live = s->live;
    out->live_if_dropped = s->live_if_dropped;
}

size_t abi_reference_record_size(void)
{
    return sizeof(struct tcpshake_record);
}

size_t abi_reference_config_size(void)
{
    return sizeof(struct tcpshake_config);
}
