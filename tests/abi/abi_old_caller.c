/*
 * abi_old_caller.c - a program built against an older header (tcpshake_old.h)
 * and linked with the current shared library: its shorter config must be read
 * as it is, with defaults for what it lacks, and the records and stats it is
 * handed must read the same through its layout as through the current one.
 * The same for its shorter live, health, detect and probe options.
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

/* size bytes of options followed by poison, and whether the poison is still all there. */
static void *poisoned(size_t size)
{
    unsigned char *mem = malloc(size + TAIL);
    if (mem != NULL) {
        memset(mem, POISON, size + TAIL);
    }
    return mem;
}

static bool tail_intact(const void *opt, size_t size)
{
    const unsigned char *tail = (const unsigned char *)opt + size;
    for (size_t i = 0; i < TAIL; i++) {
        if (tail[i] != POISON) {
            return false;
        }
    }
    return true;
}

/* Read past its size, the poison would be timeout_ms -1, which is refused
 * (ERR_ARG) before the interface is looked for; within it, the interface is
 * looked for, and does not exist. */
static void test_live(void)
{
    struct tcpshake_live_options *opt = poisoned(sizeof(*opt));
    CHECK(opt != NULL);
    if (opt == NULL) {
        return;
    }
    tcpshake_live_options_default(opt);
    CHECK_U64(opt->size, sizeof(*opt));
    CHECK_INT(opt->snaplen, 262144);
    CHECK(opt->promisc);
    CHECK(tail_intact(opt, sizeof(*opt)));
    struct tcpshake *h = tcpshake_new(NULL, NULL, NULL);
    int rc = tcpshake_open_live(h, "tcpshakeabi0", opt);
    CHECK(rc != TCPSHAKE_OK && rc != TCPSHAKE_ERR_ARG);
    tcpshake_free(h);
    opt->size = 0;
    h = tcpshake_new(NULL, NULL, NULL);
    CHECK_INT(tcpshake_open_live(h, "tcpshakeabi0", opt), TCPSHAKE_ERR_ARG);
    tcpshake_free(h);
    free(opt);
}

static void add_health(const struct tcpshake_record *r, void *user)
{
    tcpshake_health_add(user, r);
}

/* Read past its size, the poison would be max_rows 2^64 - 1, which is refused. */
static void test_health(const char *path)
{
    struct tcpshake_health_config *cfg = poisoned(sizeof(*cfg));
    CHECK(cfg != NULL);
    if (cfg == NULL) {
        return;
    }
    tcpshake_health_config_default(cfg);
    CHECK_U64(cfg->size, sizeof(*cfg));
    CHECK_INT(cfg->by, TCPSHAKE_HEALTH_BY_SERVER);
    CHECK_INT(cfg->prefix_len, 24);
    CHECK(tail_intact(cfg, sizeof(*cfg)));
    cfg->by = TCPSHAKE_HEALTH_BY_PORT;
    struct tcpshake_health *health = tcpshake_health_new(cfg);
    CHECK(health != NULL);
    if (health != NULL) {
        struct tcpshake *h = tcpshake_new(NULL, add_health, health);
        CHECK_INT(tcpshake_open_file(h, path), TCPSHAKE_OK);
        CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
        tcpshake_free(h);
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        CHECK_INT(tcpshake_health_write(health, out, TCPSHAKE_FORMAT_JSON), TCPSHAKE_OK);
        fclose(out);
        /* Rows by port, as the caller's field asked, and the trailer. */
        static const char row[] = "{\"by\":\"port\",";
        CHECK(text != NULL && strncmp(text, row, sizeof(row) - 1) == 0);
        CHECK(text != NULL && strstr(text, "{\"health_rows\":") != NULL);
        free(text);
        tcpshake_health_free(health);
    }
    cfg->size = 0;
    CHECK(tcpshake_health_new(cfg) == NULL);
    free(cfg);
}

static void test_detect(void)
{
    struct tcpshake_detect_config *cfg = poisoned(sizeof(*cfg));
    CHECK(cfg != NULL);
    if (cfg == NULL) {
        return;
    }
    tcpshake_detect_config_default(cfg);
    CHECK_U64(cfg->size, sizeof(*cfg));
    CHECK_U64(cfg->flood_min, 200);
    CHECK_INT(cfg->ttl_delta, 2);
    CHECK(tail_intact(cfg, sizeof(*cfg)));
    struct tcpshake_detect *d = tcpshake_detect_new(cfg, NULL, NULL);
    CHECK(d != NULL);
    tcpshake_detect_free(d);
    cfg->size = 0;
    CHECK(tcpshake_detect_new(cfg, NULL, NULL) == NULL);
    free(cfg);
}

/* Read past its size, the poison would be mode 0xffffffff, which is refused. */
static void test_probe(void)
{
    static const uint16_t ports[] = { 80 };
    struct tcpshake_probe_config *cfg = poisoned(sizeof(*cfg));
    CHECK(cfg != NULL);
    if (cfg == NULL) {
        return;
    }
    tcpshake_probe_config_default(cfg);
    CHECK_U64(cfg->size, sizeof(*cfg));
    CHECK_U64(cfg->count, 1);
    CHECK_U64(cfg->parallel, 64);
    CHECK(tail_intact(cfg, sizeof(*cfg)));
    cfg->host = "127.0.0.1";
    cfg->ports = ports;
    cfg->n_ports = 1;
    struct tcpshake_probe *p = tcpshake_probe_new(cfg, NULL, NULL, NULL);
    CHECK(p != NULL);
    tcpshake_probe_free(p);
    cfg->size = 0;
    CHECK(tcpshake_probe_new(cfg, NULL, NULL, NULL) == NULL);
    free(cfg);
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

    test_live();
    test_health(path);
    test_detect();
    test_probe();
    return check_report("abi");
}
