/*
 * abi_old_caller.c - a program built against an older header (tcpshake_old.h)
 * and linked with the current shared library: its shorter config must be read
 * as it is, with defaults for what it lacks, and the records and stats it is
 * handed must read the same through its layout as through the current one.
 *
 * Usage: abi_old_caller CAPTURE (one with TCP handshakes; tests/data/handshakes.pcap).
 */
#include "tcpshake_old.h"

#include <stdlib.h>
#include <string.h>

#include "abi_fields.h"
#include "check.h"

/* Past the end of the caller's config: what a library reading beyond size would
 * take for threads (0xffffffff: refused) and the hash key. */
#define POISON 0xff
#define TAIL   64

struct seen {
    size_t n_records;
};

static void same_record(const struct tcpshake_record *r)
{
    struct abi_fields ref;
    abi_reference_record(r, &ref);
    CHECK(r->size >= sizeof(struct tcpshake_record));
    CHECK_U64(r->size, abi_reference_record_size());
    CHECK_U64(r->id, ref.id);
    CHECK_U64(r->first_ns, ref.first_ns);
    CHECK_U64(r->syn_ns, ref.syn_ns);
    CHECK_U64(r->ack_ns, ref.ack_ns);
    CHECK_U64(r->icmp_ns, ref.icmp_ns);
    CHECK_INT(r->vlan, ref.vlan);
    CHECK_INT(r->server_side_ns, ref.server_side_ns);
    CHECK_INT(r->client_side_ns, ref.client_side_ns);
    CHECK_INT(r->handshake_ns, ref.handshake_ns);
    CHECK_INT(r->app_latency_ns, ref.app_latency_ns);
    CHECK_U64(r->client.port, ref.client_port);
    CHECK_U64(r->server.port, ref.server_port);
    CHECK_U64(r->client.isn, ref.client_isn);
    CHECK_U64(r->server.mss, ref.server_mss);
    CHECK_U64(r->client.packets, ref.client_packets);
    CHECK_U64(r->server.payload_bytes, ref.server_payload_bytes);
    CHECK_U64(r->server.rst_ttl, ref.server_rst_ttl);
    CHECK_U64(r->client.retransmits, ref.client_retransmits);
    CHECK_U64(r->ip_version, ref.ip_version);
    CHECK_U64(r->outcome, ref.outcome);
    CHECK_U64(r->end, ref.end);
    CHECK_U64(r->tfo, ref.tfo);
    CHECK_U64(r->rtt_rule, ref.rtt_rule);
    CHECK_U64(r->n_syn, ref.n_syn);
    CHECK_U64(r->n_synack, ref.n_synack);
    CHECK_U64(r->anomalies, ref.anomalies);
    CHECK_U64(r->first_flags, ref.first_flags);
    CHECK_U64(r->first_by, ref.first_by);
    CHECK_U64(r->rst_by, ref.rst_by);
    CHECK(memcmp(r->zeek_state, ref.zeek_state, sizeof(ref.zeek_state)) == 0);
    CHECK(memcmp(r->zeek_history, ref.zeek_history, sizeof(ref.zeek_history)) == 0);
    /* Values, not only agreement: a handshake capture has ports and versions. */
    CHECK(r->ip_version == 4 || r->ip_version == 6);
    CHECK(r->client.port != 0 && r->server.port != 0);
}

static void on_record(const struct tcpshake_record *r, void *user)
{
    struct seen *seen = user;
    seen->n_records++;
    same_record(r);
}

static void same_stats(const struct tcpshake_stats *st)
{
    struct abi_stats ref;
    abi_reference_stats(st, &ref);
    CHECK_U64(st->packets_read, ref.packets_read);
    CHECK_U64(st->packets_tcp, ref.packets_tcp);
    CHECK_U64(st->connections, ref.connections);
    CHECK_U64(st->evictions, ref.evictions);
    CHECK_U64(st->flows_peak, ref.flows_peak);
    CHECK_U64(st->last_ns, ref.last_ns);
    CHECK_U64(st->live, ref.live);
    CHECK_U64(st->live_if_dropped, ref.live_if_dropped);
}

/* The caller's config, followed by poison the library must not read. */
static struct tcpshake_config *old_config(void)
{
    unsigned char *mem = malloc(sizeof(struct tcpshake_config) + TAIL);
    if (mem == NULL) {
        return NULL;
    }
    memset(mem, POISON, sizeof(struct tcpshake_config) + TAIL);
    struct tcpshake_config *cfg = (struct tcpshake_config *)mem;
    tcpshake_config_default(cfg);
    return cfg;
}

/* Run the capture with cfg; the stats after, copied. */
static struct tcpshake_stats run(const struct tcpshake_config *cfg, const char *path,
                                 struct seen *seen)
{
    struct tcpshake_stats st;
    memset(&st, 0, sizeof(st));
    memset(seen, 0, sizeof(*seen));
    struct tcpshake *h = tcpshake_new(cfg, on_record, seen);
    CHECK(h != NULL);
    if (h == NULL) {
        return st;
    }
    CHECK_INT(tcpshake_open_file(h, path), TCPSHAKE_OK);
    CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
    const struct tcpshake_stats *got = tcpshake_get_stats(h);
    same_stats(got);
    st = *got;
    tcpshake_free(h);
    return st;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: abi_old_caller CAPTURE\n");
        return 2;
    }
    const char *path = argv[1];
    CHECK(abi_reference_config_size() > sizeof(struct tcpshake_config));
    struct tcpshake_config *cfg = old_config();
    CHECK(cfg != NULL);
    if (cfg == NULL) {
        return check_report("abi");
    }
    /* tcpshake_config_init wrote the caller's size and nothing past it. */
    CHECK_U64(cfg->size, sizeof(struct tcpshake_config));
    CHECK_U64(cfg->max_flows, 262144);
    CHECK(cfg->bpf == NULL);
    const unsigned char *tail = (const unsigned char *)(cfg + 1);
    for (size_t i = 0; i < TAIL; i++) {
        CHECK_INT(tail[i], POISON);
    }

    /* The defaults: every record, read the same through both layouts. */
    struct seen seen;
    struct tcpshake_stats all = run(cfg, path, &seen);
    CHECK(all.connections > 2 && all.packets_read > 10);
    CHECK_U64(seen.n_records, all.connections);
    CHECK_U64(all.evictions, 0);

    /* Fields within the caller's size are read: max_packets, bpf, max_flows. */
    cfg->max_packets = 10;
    struct tcpshake_stats some = run(cfg, path, &seen);
    CHECK_U64(some.packets_read, 10);
    cfg->max_packets = 0;

    cfg->bpf = "tcp[tcpflags] & tcp-syn != 0";
    struct tcpshake_stats syns = run(cfg, path, &seen);
    CHECK(syns.packets_read > 0 && syns.packets_read < all.packets_read);
    cfg->bpf = NULL;

    cfg->max_flows = 16;
    cfg->handshake_timeout_ns = UINT64_MAX / 4;
    cfg->idle_timeout_ns = UINT64_MAX / 4;
    cfg->close_linger_ns = UINT64_MAX / 4;
    struct tcpshake_stats small = run(cfg, path, &seen);
    if (all.flows_peak > 16) {
        CHECK(small.evictions > 0);
    }
    CHECK(small.flows_peak <= 16);

    /* A config that never had its defaults (size 0) is refused. */
    cfg->size = 0;
    CHECK(tcpshake_new(cfg, NULL, NULL) == NULL);
    free(cfg);
    return check_report("abi");
}
