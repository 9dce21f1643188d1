/*
 * fuzz_pipeline.c - libFuzzer target for the whole pipeline: a pcap or pcapng
 * image in memory -> source -> decoders -> flow table -> tracker -> every sink
 * and the summary. A small flow table (64) makes eviction reachable.
 *
 * Allocation failures are injected (alloc.c built with fault injection): an
 * input whose size is a multiple of 16 makes allocation number
 * 1 + last byte % 8 fail, which reaches every failure path of tcpshake_new,
 * the sinks and the summary; the harness then just frees what it got.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "tcpshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
    FILE *devnull;
    struct tcpshake_sink *sinks[TCPSHAKE_FORMAT_COUNT];
    struct tcpshake_summary *summary;
};

static void on_record(const struct tcpshake_record *r, void *user)
{
    struct out *o = user;
    if ((unsigned)r->outcome >= TCPSHAKE_OUTCOME_COUNT || (unsigned)r->end >= TCPSHAKE_END_COUNT ||
        memchr(r->zeek_state, '\0', sizeof(r->zeek_state)) == NULL ||
        memchr(r->zeek_history, '\0', sizeof(r->zeek_history)) == NULL) {
        abort();
    }
    for (int f = 0; f < TCPSHAKE_FORMAT_COUNT; f++) {
        if (o->sinks[f] != NULL) {
            tcpshake_sink_write(o->sinks[f], r);
        }
    }
    tcpshake_summary_add(o->summary, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    /* An exact-size copy: fmemopen reads from it, so over-reads show. */
    uint8_t *copy = malloc(size);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    struct out o;
    memset(&o, 0, sizeof(o));
    o.devnull = fopen("/dev/null", "w");
    if (o.devnull == NULL) {
        abort();
    }
    alloc_fail_after(size % 16 == 0 ? 1u + data[size - 1] % 8u : 0);
    int failed = 0;
    o.summary = tcpshake_summary_new();
    failed |= o.summary == NULL;
    for (int f = 0; f < TCPSHAKE_FORMAT_COUNT; f++) {
        o.sinks[f] = tcpshake_sink_new((enum tcpshake_format)f, o.devnull,
                                       f == TCPSHAKE_FORMAT_TABLE ? TCPSHAKE_SINK_COLOR : 0);
        failed |= o.sinks[f] == NULL;
    }
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.max_flows = 64;
    cfg.max_packets = 100000;
    struct tcpshake *h = tcpshake_new(&cfg, on_record, &o);
    failed |= h == NULL;
    alloc_fail_after(0);
    if (!failed) {
        FILE *fp = fmemopen(copy, size, "rb");
        if (fp != NULL && tcpshake_open_stream(h, fp) == TCPSHAKE_OK) {
            tcpshake_run(h); /* errors are fine; what was read is flushed */
        }
        tcpshake_summary_print(o.summary, tcpshake_get_stats(h), o.devnull);
        for (int f = 0; f < TCPSHAKE_FORMAT_COUNT; f++) {
            tcpshake_sink_finish(o.sinks[f]);
        }
    }
    for (int f = 0; f < TCPSHAKE_FORMAT_COUNT; f++) {
        tcpshake_sink_free(o.sinks[f]);
    }
    tcpshake_summary_free(o.summary);
    tcpshake_free(h); /* closes fp */
    fclose(o.devnull);
    free(copy);
    return 0;
}
