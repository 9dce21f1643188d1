/*
 * hash_flood.c - the algorithmic-complexity attack on the flow table, for
 * tests/e2e/hashflood.sh and the bench (issue 14 §1).
 *
 * Usage:
 *   hash_flood craft KEYHEX N OUT.pcap   N SYNs from sources chosen so that, under
 *                                        the 32-hex-digit key KEYHEX, every flow's
 *                                        home slot in a table of the default size
 *                                        (--max-flows 262144: 2^19 slots) lies in
 *                                        its first SPAN slots: what an attacker who
 *                                        knew the key would send
 *   hash_flood random N OUT.pcap         N SYNs from pseudo-random sources (the baseline)
 *   hash_flood cost KEYHEX|random FILE   analyse FILE on one thread with that key (or a
 *                                        fresh random one) and print
 *                                        "packets P probes S crowded C evictions E":
 *                                        S is the flow table's count of slots looked
 *                                        at (tcpshake_stats.flow_probes), a cost
 *                                        measure that does not depend on the machine
 *                                        or its load, unlike a timing
 *
 * The hash is the library's own (flowtab_key, flowtab_hash), so a change there
 * cannot leave this tool aiming at the wrong slots. Each SYN is Ethernet +
 * IPv4 + TCP from 10.a.b.c:40000 to 192.0.2.1:80, one microsecond apart.
 * Exits 1 with one line on stderr on failure, 2 on a bad command line.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "siphash.h"
#include "tcpshake.h"

#define DEFAULT_SLOTS (1u << 19) /* flowtab_new(262144): the next power of two >= 2 * cap */
#define SPAN          4096u      /* slots the crafted flows aim at: 1 try in 128 hits */
#define T0            1700000000u

static int usage(void)
{
    fputs("usage: hash_flood craft KEYHEX N OUT | random N OUT | cost KEYHEX|random FILE\n",
          stderr);
    return 2;
}

static int parse_key(const char *hex, uint8_t key[SIPHASH_KEY_LEN])
{
    if (strlen(hex) != 2 * SIPHASH_KEY_LEN) {
        return -1;
    }
    for (size_t i = 0; i < SIPHASH_KEY_LEN; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        key[i] = (uint8_t)v;
    }
    return 0;
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* The source of candidate n: 10.a.b.c:40000. */
static struct flow_tuple tuple_of(uint32_t n)
{
    struct flow_tuple t;
    memset(&t, 0, sizeof(t));
    t.ip_version = 4;
    t.vlan = -1;
    t.src[0] = 10;
    t.src[1] = (uint8_t)(n >> 16);
    t.src[2] = (uint8_t)(n >> 8);
    t.src[3] = (uint8_t)n;
    t.dst[0] = 192;
    t.dst[2] = 2;
    t.dst[3] = 1;
    t.sport = 40000;
    t.dport = 80;
    return t;
}

/* One SYN record (pcap record header + 54-byte frame) for candidate n, packet i. */
static int write_syn(FILE *f, uint32_t n, uint32_t i)
{
    static const uint8_t tmpl[54] = {
        0,    1,    2,   3,  4, 5, 0,    1, 2,  3, 4, 6, 0x08, 0x00, /* Ethernet */
        0x45, 0,    0,   40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10,   0,
        0,    0,    192, 0,  2, 1, /* IPv4 */
        0x9c, 0x40, 0,   80, 0, 0, 0x10, 0, 0,  0, 0, 0, 0x50, 0x02,
        0xff, 0xff, 0,   0,  0, 0, /* TCP */
    };
    uint8_t rec[16 + sizeof(tmpl)];
    put32le(rec, T0 + i / 1000000);
    put32le(rec + 4, i % 1000000);
    put32le(rec + 8, sizeof(tmpl));
    put32le(rec + 12, sizeof(tmpl));
    memcpy(rec + 16, tmpl, sizeof(tmpl));
    rec[16 + 27] = (uint8_t)(n >> 16);
    rec[16 + 28] = (uint8_t)(n >> 8);
    rec[16 + 29] = (uint8_t)n;
    return fwrite(rec, sizeof(rec), 1, f) == 1 ? 0 : -1;
}

static FILE *open_pcap(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return NULL;
    }
    uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
    put32le(hdr + 16, 65535);
    put32le(hdr + 20, 1); /* LINKTYPE_ETHERNET */
    if (fwrite(hdr, sizeof(hdr), 1, f) != 1) {
        fclose(f);
        return NULL;
    }
    return f;
}

/* Candidates n whose flow's home slot lies in [0, SPAN), or every n when ft is NULL. */
static int write_flood(const char *path, uint32_t count, struct flowtab *ft, uint64_t *tries)
{
    FILE *f = open_pcap(path);
    if (f == NULL) {
        perror(path);
        return 1;
    }
    uint32_t written = 0;
    uint64_t rng = 0x9e3779b97f4a7c15u;
    for (uint32_t n = 1; written < count && n < (1u << 24); n++) {
        uint32_t cand = n;
        if (ft != NULL) {
            struct flow_tuple t = tuple_of(cand);
            struct flow_key k;
            flowtab_key(&t, &k);
            if ((flowtab_hash(ft, &k) & (DEFAULT_SLOTS - 1)) >= SPAN) {
                continue;
            }
        } else {
            rng = rng * 6364136223846793005u + 1442695040888963407u;
            cand = (uint32_t)(rng >> 40); /* 24 bits: a pseudo-random 10.a.b.c */
        }
        if (write_syn(f, cand, written) != 0) {
            perror(path);
            fclose(f);
            return 1;
        }
        written++;
        *tries = n;
    }
    if (fclose(f) != 0 || written < count) {
        fprintf(stderr, "hash_flood: %s: wrote %u of %u SYNs\n", path, written, count);
        return 1;
    }
    return 0;
}

static int cost(const char *keyhex, const char *path)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.threads = 1;
    if (strcmp(keyhex, "random") != 0) {
        if (parse_key(keyhex, cfg.hash_key) != 0) {
            return usage();
        }
        cfg.hash_key_set = true;
    }
    struct tcpshake *h = tcpshake_new(&cfg, NULL, NULL);
    if (h == NULL || tcpshake_open_file(h, path) != TCPSHAKE_OK || tcpshake_run(h) != TCPSHAKE_OK) {
        fprintf(stderr, "hash_flood: %s: %s\n", path, h ? tcpshake_errmsg(h) : "no handle");
        tcpshake_free(h);
        return 1;
    }
    tcpshake_flush(h);
    const struct tcpshake_stats *st = tcpshake_get_stats(h);
    printf("packets %" PRIu64 " probes %" PRIu64 " crowded %" PRIu64 " evictions %" PRIu64 "\n",
           st->packets_tcp, st->flow_probes, st->evictions_crowded, st->evictions);
    tcpshake_free(h);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "craft") == 0) {
        uint8_t kb[SIPHASH_KEY_LEN];
        if (parse_key(argv[2], kb) != 0) {
            return usage();
        }
        struct siphash_key key;
        siphash_key_from_bytes(&key, kb);
        uint64_t probes = 0, tries = 0;
        struct flowtab *ft = flowtab_new(16, &key, &probes);
        if (ft == NULL) {
            fputs("hash_flood: out of memory\n", stderr);
            return 1;
        }
        int rc = write_flood(argv[4], (uint32_t)strtoul(argv[3], NULL, 10), ft, &tries);
        flowtab_free(ft);
        if (rc == 0) {
            fprintf(stderr, "hash_flood: %s SYNs aimed at %u of %u slots in %" PRIu64 " tries\n",
                    argv[3], SPAN, DEFAULT_SLOTS, tries);
        }
        return rc;
    }
    if (argc == 4 && strcmp(argv[1], "random") == 0) {
        uint64_t tries = 0;
        return write_flood(argv[3], (uint32_t)strtoul(argv[2], NULL, 10), NULL, &tries);
    }
    if (argc == 4 && strcmp(argv[1], "cost") == 0) {
        return cost(argv[2], argv[3]);
    }
    return usage();
}
