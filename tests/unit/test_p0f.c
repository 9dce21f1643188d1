/*
 * test_p0f.c - p0f signatures (src/app/p0f.c) from SYN and SYN-ACK frames,
 * the p0f.fp parser and the matcher.
 *
 * The frames are raw IP (LINK_RAW). The expected signatures are the raw_sig
 * p0f 3.09b logs for the same frames (written into a capture and read with
 * p0f -r): the Linux frames come from tests/data/sample.pcap, the others
 * were made to show one rule each.
 */
#include "p0f.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "decode.h"
#include "hex.h"

/* ------------------------------------------------------------ frames */

/* Linux 6 SYN, 10.99.0.1 > 10.99.0.2: MSS 1460, SACK-permitted, timestamps,
 * NOP, window scale 10; window 64240, DF, IP id 0x7f6e, TTL 64. */
#define LINUX_SYN                                                                                  \
    "4500003c7f6e40004006a6850a6300010a630002 842c1f44fe30fb9000000000a002faf0eda80000"            \
    "020405b4 0402 080a43476a2100000000 01 03030a"

/* Its SYN-ACK: window 65160 (45 x 1448: MSS less 12 for timestamps), IP id 0. */
#define LINUX_SYNACK                                                                               \
    "4500003c00004000400625f40a6300020a630001 1f45844acd6a00e60dd74053a012fe886ee70000"            \
    "020405b4 0402 080a84f88db07cb4764c 01 03030a"

/* The same over IPv6, fd99::1 > fd99::2, flow label 0xb5b66: MSS 1440, window 64800. */
#define LINUX_SYN6                                                                                 \
    "600b5b6600280640fd990000000000000000000000000001fd990000000000000000000000000002"             \
    "acda1f49fccfe66c00000000a002fd2096ce0000 020405a0 0402 080a0c5bfd2f00000000 01 03030a"

/* Every quirk a header can show at once: TTL 50, no DF but the reserved flag,
 * IP id 0, ECN bit in the TOS; seq 0, ACK number 0x01000000 without ACK, PSH,
 * urgent pointer 5 without URG; MSS 1000 (window 4000 = 4 x MSS), timestamps
 * 0 / 7, window scale 15, EOL then 05 00; 2 bytes of payload. */
#define QUIRKY_SYN                                                                                 \
    "4501003e00008000320600000a0000010a000002 9c40005000000000 01000000 a00a 0fa0 0000 0005"       \
    "020403e8 080a0000000000000007 03030f 00 0500 6869"

/* TTL 200, 4 bytes of IP options (NOP NOP NOP EOL), window 0; options: MSS
 * with length byte 5 (read as 4), kind 99 length 3, a timestamp kind with
 * no room left. */
#define BAD_SYN                                                                                    \
    "4600003400014000c80600000a0000010a000002 01010100"                                            \
    "9c40005000000064000000007002000000000000 020505b4 630300 08"

/* Windows-like: TTL 128, MSS, NOP, WS 8, NOP, NOP, SACK-permitted; window 64240. */
#define WINDOWS_SYN                                                                                \
    "4500003400014000800600000a0000010a000002 9c40005000000064000000008002faf000000000"            \
    "020405b4 01 030308 0101 0402"

/* MSS 1460, window 15000: 10 x (MSS + 40), an MTU; DF with IP id 0. */
#define MTU_SYN                                                                                    \
    "4500002c00004000400600000a0000010a000002 9c400050000000640000000060023a9800000000 020405b4"

/* ECE and CWR on the SYN, TTL 61, window 29200 = 20 x 1460. */
#define ECN_SYN                                                                                    \
    "4500002c000140003d0600000a0000010a000002 9c400050000000640000000060c2721000000000 020405b4"

/* A SYN-ACK with MSS 1380 and window 7000: a multiple of nothing of its own,
 * 7 x the SYN's MSS when that was 1000. */
#define PEER_SYNACK                                                                                \
    "4500002c000140004006 0000 0a000002 0a000001 0050 9c40 00000064 00000065 6012 1b58 0000 0000"  \
    "02040564"

/* Facts whose every number is at its widest, with every quirk and all
 * P0F_MAX_OPT options (all zero, EOL, until the caller says otherwise). */
static void widest_facts(struct p0f_facts *f, uint8_t ip_version)
{
    memset(f, 0, sizeof(*f));
    f->ip_version = ip_version;
    f->ttl = 255;
    f->ip_opt_len = 255;
    f->mss = 65535;
    f->window = 65535;
    f->wscale = 255;
    f->n_opt = P0F_MAX_OPT;
    f->quirks = (1u << P0F_N_QUIRKS) - 1;
    f->payload = true;
}

static bool facts_of(const char *hex, struct p0f_facts *f)
{
    uint8_t pkt[256];
    size_t n = unhex(hex, pkt, sizeof(pkt));
    struct packet_view v;
    if (n == SIZE_MAX || decode_packet(LINK_RAW, pkt, n, n, &v) != DECODE_OK ||
        v.kind != PACKET_TCP || (v.u.tcp.flags & TCP_SYN) == 0) {
        fprintf(stderr, "frame does not decode to a SYN: %.40s...\n", hex);
        return false;
    }
    p0f_take(f, &v.u.tcp);
    return true;
}

/* ------------------------------------------------------------ signatures */

struct sig_case {
    const char *name;
    const char *hex;
    uint16_t syn_mss; /* of the SYN a SYN-ACK answers */
    const char *sig;
};

static const struct sig_case sig_cases[] = {
    { "Linux SYN", LINUX_SYN, 0, "4:64+0:0:1460:mss*44,10:mss,sok,ts,nop,ws:df,id+:0" },
    { "Linux SYN-ACK", LINUX_SYNACK, 1460, "4:64+0:0:1460:mss*45,10:mss,sok,ts,nop,ws:df:0" },
    { "Linux SYN over IPv6", LINUX_SYN6, 0, "6:64+0:0:1440:mss*45,10:mss,sok,ts,nop,ws:flow:0" },
    { "every quirk", QUIRKY_SYN, 0,
      "4:50+14:0:1000:mss*4,15:mss,ts,ws,eol+2:id-,ecn,0+,seq-,ack+,uptr+,pushf+,ts1-,ts2+,opt+,"
      "exws:+" },
    { "bad options, far TTL, IP options", BAD_SYN, 0,
      "4:200+?:4:1460:0,0:mss,?99,ts:df,id+,bad:0" },
    { "Windows-like", WINDOWS_SYN, 0, "4:128+0:0:1460:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0" },
    { "window a multiple of the MTU", MTU_SYN, 0, "4:64+0:0:1460:mtu*10,0:mss:df:0" },
    { "ECE and CWR", ECN_SYN, 0, "4:61+3:0:1460:mss*20,0:mss:df,id+,ecn:0" },
    { "SYN-ACK, window from the peer's MSS", PEER_SYNACK, 1000,
      "4:64+0:0:1380:mss*7,0:mss:df,id+:0" },
    { "SYN-ACK, peer's MSS unknown", PEER_SYNACK, 0, "4:64+0:0:1380:7000,0:mss:df,id+:0" },
};

static void test_signatures(void)
{
    for (size_t i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++) {
        const struct sig_case *c = &sig_cases[i];
        struct p0f_facts f;
        char sig[P0F_SIG_CAP];
        if (!facts_of(c->hex, &f)) {
            CHECK(false);
            continue;
        }
        size_t n = p0f_signature(&f, c->syn_mss, sig, sizeof(sig));
        if (strcmp(sig, c->sig) != 0) {
            fprintf(stderr, "case \"%s\":\n", c->name);
        }
        CHECK_STR(sig, c->sig);
        CHECK_INT(n, strlen(c->sig));
    }
}

/* Nothing taken: no text. A short buffer: cut, NUL-terminated, never overrun. */
static void test_signature_edges(void)
{
    struct p0f_facts none;
    memset(&none, 0, sizeof(none));
    char sig[P0F_SIG_CAP] = "x";
    CHECK_INT(p0f_signature(&none, 0, sig, sizeof(sig)), 0);
    CHECK_STR(sig, "");

    struct p0f_facts f;
    CHECK(facts_of(LINUX_SYN, &f));
    char small[12];
    memset(small, '#', sizeof(small));
    size_t n = p0f_signature(&f, 0, small, 8);
    CHECK_INT(n, 7);
    CHECK_STR(small, "4:64+0:");
    CHECK_INT(small[8], '#');
    /* A cut inside a number keeps its leading digits. */
    memset(small, '#', sizeof(small));
    CHECK_INT(p0f_signature(&f, 0, small, 4), 3);
    CHECK_STR(small, "4:6");
    CHECK_INT(small[4], '#');

    /* The longest text: 24 unknown options and every quirk fits in P0F_SIG_CAP. */
    widest_facts(&f, 6);
    memset(f.layout, 255, sizeof(f.layout));
    n = p0f_signature(&f, 0, sig, sizeof(sig));
    CHECK(n < P0F_SIG_CAP - 1);
    CHECK(n > 200);
    CHECK_INT(sig[n - 1], '+');
}

/* Hand-made facts: IPv4, TTL 64, MSS 0, window 1000, no options, no quirks. */
static void plain_facts(struct p0f_facts *f)
{
    memset(f, 0, sizeof(*f));
    f->ip_version = 4;
    f->ttl = 64;
    f->window = 1000;
    f->tcp_type = 0x02;
}

/* Every quirk's name, alone; and every option's. */
static void test_signature_words(void)
{
    static const char *const quirk_sigs[P0F_N_QUIRKS] = {
        "4:64+0:0:0:1000,0::df:0",    "4:64+0:0:0:1000,0::id+:0",   "4:64+0:0:0:1000,0::id-:0",
        "4:64+0:0:0:1000,0::ecn:0",   "4:64+0:0:0:1000,0::0+:0",    "4:64+0:0:0:1000,0::flow:0",
        "4:64+0:0:0:1000,0::seq-:0",  "4:64+0:0:0:1000,0::ack+:0",  "4:64+0:0:0:1000,0::ack-:0",
        "4:64+0:0:0:1000,0::uptr+:0", "4:64+0:0:0:1000,0::urgf+:0", "4:64+0:0:0:1000,0::pushf+:0",
        "4:64+0:0:0:1000,0::ts1-:0",  "4:64+0:0:0:1000,0::ts2+:0",  "4:64+0:0:0:1000,0::opt+:0",
        "4:64+0:0:0:1000,0::exws:0",  "4:64+0:0:0:1000,0::bad:0",
    };
    struct p0f_facts f;
    char sig[P0F_SIG_CAP];
    for (unsigned q = 0; q < P0F_N_QUIRKS; q++) {
        plain_facts(&f);
        f.quirks = 1u << q;
        CHECK_INT(p0f_signature(&f, 0, sig, sizeof(sig)), strlen(quirk_sigs[q]));
        CHECK_STR(sig, quirk_sigs[q]);
    }
    /* Bits above the last quirk are not written. */
    plain_facts(&f);
    f.quirks = 0xffffffffu << P0F_N_QUIRKS;
    p0f_signature(&f, 0, sig, sizeof(sig));
    CHECK_STR(sig, "4:64+0:0:0:1000,0:::0");

    /* Every kind from 0 to 9, one at a time, then all of them in one layout. */
    static const char *const opt_sigs[] = {
        "4:64+0:0:0:1000,0:eol+3::0", "4:64+0:0:0:1000,0:nop::0", "4:64+0:0:0:1000,0:mss::0",
        "4:64+0:0:0:1000,0:ws::0",    "4:64+0:0:0:1000,0:sok::0", "4:64+0:0:0:1000,0:sack::0",
        "4:64+0:0:0:1000,0:?6::0",    "4:64+0:0:0:1000,0:?7::0",  "4:64+0:0:0:1000,0:ts::0",
        "4:64+0:0:0:1000,0:?9::0",
    };
    for (uint8_t k = 0; k < sizeof(opt_sigs) / sizeof(opt_sigs[0]); k++) {
        plain_facts(&f);
        f.n_opt = 1;
        f.layout[0] = k;
        f.eol_pad = 3;
        CHECK_INT(p0f_signature(&f, 0, sig, sizeof(sig)), strlen(opt_sigs[k]));
        CHECK_STR(sig, opt_sigs[k]);
    }
    plain_facts(&f);
    static const uint8_t kinds[] = { 1, 2, 3, 4, 5, 8, 9, 34, 99, 100, 254, 255, 0 };
    f.n_opt = sizeof(kinds);
    memcpy(f.layout, kinds, sizeof(kinds));
    f.eol_pad = 255;
    f.quirks = P0F_Q_DF | P0F_Q_OPT_BAD;
    f.payload = true;
    p0f_signature(&f, 0, sig, sizeof(sig));
    CHECK_STR(sig, "4:64+0:0:0:1000,0:nop,mss,ws,sok,sack,ts,?9,?34,?99,?100,?254,?255,eol+255:"
                   "df,bad:+");
}

/* Numbers of every width, at the edges of each width. */
static void test_signature_numbers(void)
{
    static const struct {
        uint16_t v;
        const char *text;
    } nums[] = { { 0, "0" },         { 9, "9" },        { 10, "10" },       { 99, "99" },
                 { 100, "100" },     { 101, "101" },    { 999, "999" },     { 1000, "1000" },
                 { 1009, "1009" },   { 9999, "9999" },  { 10000, "10000" }, { 10203, "10203" },
                 { 60009, "60009" }, { 65535, "65535" } };
    struct p0f_facts f;
    char sig[P0F_SIG_CAP], want[P0F_SIG_CAP];
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        plain_facts(&f);
        f.mss = nums[i].v; /* below 100: the window is written as it is */
        f.window = nums[i].v;
        p0f_signature(&f, 0, sig, sizeof(sig));
        snprintf(want, sizeof(want), "4:64+0:0:%s:%s,0:::0", nums[i].text,
                 nums[i].v >= 100 ? "mss*1" : nums[i].text);
        CHECK_STR(sig, want);
    }
    /* Every TTL and its distance; the 8-bit fields at their top. */
    for (unsigned ttl = 0; ttl <= 255; ttl++) {
        plain_facts(&f);
        f.ttl = (uint8_t)ttl;
        unsigned top = ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
        char dist[8];
        snprintf(dist, sizeof(dist), "%u", top - ttl);
        snprintf(want, sizeof(want), "4:%u+%s:0:0:1000,0:::0", ttl, top - ttl > 35 ? "?" : dist);
        p0f_signature(&f, 0, sig, sizeof(sig));
        CHECK_STR(sig, want);
    }
    plain_facts(&f);
    f.ip_version = 6;
    f.ip_opt_len = 255;
    f.wscale = 255;
    f.window = 0;
    p0f_signature(&f, 0, sig, sizeof(sig));
    CHECK_STR(sig, "6:64+0:255:0:0,255:::0");
}

/* A text cut at any cap is the first cap - 1 bytes of the whole one, and
 * nothing past the cap is written; also for facts whose text is longer than
 * P0F_SIG_CAP (24 ends of options: not from p0f_take, but allowed). */
static void check_cuts(const struct p0f_facts *f, const char *whole, size_t len)
{
    char buf[P0F_SIG_CAP + 16];
    for (size_t cap = 1; cap <= len + 2 && cap <= P0F_SIG_CAP + 8; cap++) {
        memset(buf, '#', sizeof(buf));
        size_t n = p0f_signature(f, 0, buf, cap);
        size_t want = len < cap - 1 ? len : cap - 1;
        CHECK_INT(n, want);
        CHECK(memcmp(buf, whole, want) == 0);
        CHECK_INT(buf[want], '\0');
        CHECK_INT(buf[cap], '#');
    }
}

static void test_signature_cuts(void)
{
    struct p0f_facts f;
    char whole[512];
    CHECK(facts_of(QUIRKY_SYN, &f));
    size_t n = p0f_signature(&f, 0, whole, P0F_SIG_CAP);
    CHECK_INT(n, strlen(whole));
    check_cuts(&f, whole, n);

    widest_facts(&f, 4);
    f.eol_pad = 255; /* the layout: P0F_MAX_OPT EOLs (kind 0) */
    strcpy(whole, "4:255+0:255:65535:mss*1,255:");
    for (unsigned i = 0; i < P0F_MAX_OPT; i++) {
        strcat(whole, i + 1 < P0F_MAX_OPT ? "eol+255," : "eol+255:");
    }
    strcat(whole, "df,id+,id-,ecn,0+,flow,seq-,ack+,ack-,uptr+,urgf+,pushf+,ts1-,ts2+,opt+,exws,"
                  "bad:+");
    size_t len = strlen(whole);
    CHECK(len > P0F_SIG_CAP);
    char sig[P0F_SIG_CAP];
    CHECK_INT(p0f_signature(&f, 0, sig, sizeof(sig)), P0F_SIG_CAP - 1);
    CHECK(memcmp(sig, whole, P0F_SIG_CAP - 1) == 0);
    check_cuts(&f, whole, len);
}

/* ------------------------------------------------------------ the database */

static const char small_db[] = "; a small p0f.fp\n"
                               "classes = win,unix,other\n"
                               "\n"
                               "[mtu]\n"
                               "label = Ethernet or modem\n"
                               "sig   = 1500\n"
                               "\n"
                               "[tcp:request]\n"
                               "label = s:unix:Linux:3.11 and newer\n"
                               "sig   = *:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0\n"
                               "label = g:unix:Linux:2.2.x-3.x\n"
                               "sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+:0\n"
                               "label = s:!:NMap:SYN scan\n"
                               "sys   = @unix,@win\n"
                               "sig   = *:64-:0:1460:1024,0:mss::0\n"
                               "label = s:win:Windows:7 or 8\n"
                               "sig   = *:128:0:*:%8192,8:mss,nop,ws,nop,nop,sok:df,id+:0\n"
                               "  \t\n"
                               "[tcp:response]\n"
                               "label = s:unix:Linux:3.x\n"
                               "sig   = *:64:0:*:mss*10,0:mss:df:0\r\n"
                               "label = s:unix:FreeBSD:9.x\n"
                               "sig   = 4:64:0:*:65535,6:mss,nop,ws,sok,ts:df,id+:0\n"
                               "\n"
                               "[http:request]\n"
                               "ua_os = Linux,Windows\n"
                               "label = s:!:Firefox:2.x\n"
                               "sys   = Windows,@unix\n"
                               "sig   = *:Host,User-Agent:Accept-Charset:Firefox/\n";

static struct p0f_db *parse(const char *text)
{
    struct p0f_db *db = NULL;
    char msg[256];
    enum tcpshake_status rc = p0f_db_parse(text, strlen(text), &db, msg, sizeof(msg));
    if (rc != TCPSHAKE_OK) {
        fprintf(stderr, "parse: %s\n", msg);
    }
    CHECK_INT(rc, TCPSHAKE_OK);
    return db;
}

/* Look facts up; label "" when nothing matches. */
static void expect_match(const struct p0f_db *db, const struct p0f_facts *f, uint16_t syn_mss,
                         const char *want, bool want_fuzzy)
{
    const char *label = NULL;
    bool fuzzy = false;
    bool found = p0f_match(db, f, syn_mss, &label, &fuzzy);
    CHECK_STR(found ? label : "", want);
    CHECK_INT(fuzzy, want_fuzzy);
}

static void test_match(void)
{
    struct p0f_db *db = parse(small_db);
    if (db == NULL) {
        return;
    }
    CHECK_INT(p0f_db_count(db), 6);
    struct p0f_facts f;

    /* mss*44: only the generic signature's wildcard window takes it. */
    CHECK(facts_of(LINUX_SYN, &f));
    expect_match(db, &f, 0, "g:unix:Linux:2.2.x-3.x", false);
    /* 20 x MSS: the specific one, exact; a TTL a hop lower still exact. */
    f.window = 1460 * 20;
    expect_match(db, &f, 0, "s:unix:Linux:3.11 and newer", false);
    f.ttl = 60;
    expect_match(db, &f, 0, "s:unix:Linux:3.11 and newer", false);
    /* A TTL above the initial one: fuzzy, the first fuzzy match in file order. */
    f.ttl = 100;
    expect_match(db, &f, 0, "s:unix:Linux:3.11 and newer", true);
    /* df and id+ may go, ecn may come: fuzzy. */
    f.ttl = 64;
    f.quirks = P0F_Q_ECN;
    expect_match(db, &f, 0, "s:unix:Linux:3.11 and newer", true);
    /* pushf+ may not come. */
    f.quirks = P0F_Q_DF | P0F_Q_NZ_ID | P0F_Q_PUSH;
    expect_match(db, &f, 0, "", false);
    /* Over IPv6 the '*' signature's df and id+ are not asked for. */
    CHECK(facts_of(LINUX_SYN6, &f));
    f.window = 1440 * 20;
    f.quirks = 0;
    expect_match(db, &f, 0, "s:unix:Linux:3.11 and newer", false);
    /* ...but flow is not ignored over IPv6. */
    f.quirks = P0F_Q_FLOW;
    expect_match(db, &f, 0, "", false);

    /* A tool: "64-" accepts any TTL up to 64, refuses above, and is never fuzzy. */
    memset(&f, 0, sizeof(f));
    f.ip_version = 4;
    f.ttl = 40;
    f.tcp_type = 0x02;
    f.mss = 1460;
    f.window = 1024;
    f.n_opt = 1;
    f.layout[0] = 2;
    expect_match(db, &f, 0, "s:!:NMap:SYN scan", false);
    f.ttl = 70;
    expect_match(db, &f, 0, "", false);
    f.ttl = 40;
    f.quirks = P0F_Q_ZERO_ID; /* would be fuzzy: no fuzzy match for tools */
    expect_match(db, &f, 0, "", false);

    /* "%8192": any multiple of 8192. */
    CHECK(facts_of(WINDOWS_SYN, &f));
    expect_match(db, &f, 0, "", false);
    f.window = 8192 * 2;
    expect_match(db, &f, 0, "s:win:Windows:7 or 8", false);

    /* Responses are matched against [tcp:response] only. */
    CHECK(facts_of(LINUX_SYNACK, &f));
    expect_match(db, &f, 1460, "", false);
    CHECK(facts_of(MTU_SYN, &f)); /* a SYN with the response's shape */
    expect_match(db, &f, 0, "", false);
    f.tcp_type = 0x12;
    f.window = 14600; /* 10 x 1460 */
    expect_match(db, &f, 0, "s:unix:Linux:3.x", false);
    /* As p0f 3.09b does: a "4:" signature is not kept from an IPv6 SYN-ACK (its
     * df and id+ gone make it fuzzy, not refused). */
    memset(&f, 0, sizeof(f));
    f.ip_version = 6;
    f.ttl = 64;
    f.tcp_type = 0x12;
    f.mss = 1440;
    f.window = 65535;
    f.wscale = 6;
    const uint8_t bsd[] = { 2, 1, 3, 4, 8 };
    memcpy(f.layout, bsd, sizeof(bsd));
    f.n_opt = sizeof(bsd);
    expect_match(db, &f, 0, "s:unix:FreeBSD:9.x", true);

    /* No database, no facts: no label. */
    expect_match(NULL, &f, 0, "", false);
    memset(&f, 0, sizeof(f));
    expect_match(db, &f, 0, "", false);
    p0f_db_free(db);
    p0f_db_free(NULL);
}

/* Layouts that interleave in the file, a direction with a layout of the other's:
 * the lookup reads only the signatures of the segment's direction and layout,
 * and among them file order still decides. */
static const char index_db[] = "[tcp:request]\n"
                               "label = s:unix:A:1\n"
                               "sig   = *:64:0:*:*,*:mss,nop,ws:df:0\n"
                               "label = s:unix:B:1\n"
                               "sig   = *:64:0:*:*,*:mss:df:0\n"
                               "label = g:unix:C:1\n"
                               "sig   = *:64:0:*:*,*:mss,nop,ws::0\n"
                               "label = s:unix:D:1\n"
                               "sig   = *:64:0:*:*,*:mss,nop,ws::0\n"
                               "label = s:unix:F:1\n"
                               "sig   = *:64:0:*:*,*:mss,nop,ws::0\n"
                               "[tcp:response]\n"
                               "label = s:unix:E:1\n"
                               "sig   = *:64:0:*:*,*:mss,nop,ws:df:0\n";

static void layout_facts(struct p0f_facts *f, uint8_t tcp_type, const uint8_t *layout, uint8_t n,
                         uint32_t quirks)
{
    memset(f, 0, sizeof(*f));
    f->ip_version = 4;
    f->ttl = 64;
    f->tcp_type = tcp_type;
    f->mss = 1460;
    f->window = 1000;
    memcpy(f->layout, layout, n);
    f->n_opt = n;
    f->quirks = quirks;
}

static void test_match_index(void)
{
    struct p0f_db *db = parse(index_db);
    if (db == NULL) {
        return;
    }
    CHECK_INT(p0f_db_count(db), 6);
    const uint8_t l1[] = { 2, 1, 3 }, l2[] = { 2 }, l3[] = { 2, 4 };
    struct p0f_facts f;
    layout_facts(&f, 0x02, l1, sizeof(l1), P0F_Q_DF);
    expect_match(db, &f, 0, "s:unix:A:1", false);
    /* A is fuzzy (df gone), C exact but generic: D, the first exact specific. */
    layout_facts(&f, 0x02, l1, sizeof(l1), 0);
    expect_match(db, &f, 0, "s:unix:D:1", false);
    /* Only A's quirks may become these (ecn came): its fuzzy match. */
    layout_facts(&f, 0x02, l1, sizeof(l1), P0F_Q_DF | P0F_Q_ECN);
    expect_match(db, &f, 0, "s:unix:A:1", true);
    layout_facts(&f, 0x02, l2, sizeof(l2), P0F_Q_DF);
    expect_match(db, &f, 0, "s:unix:B:1", false);
    layout_facts(&f, 0x02, l3, sizeof(l3), P0F_Q_DF);
    expect_match(db, &f, 0, "", false);
    /* A SYN-ACK: the response's signature of layout l1, none of l2. */
    layout_facts(&f, 0x12, l1, sizeof(l1), P0F_Q_DF);
    expect_match(db, &f, 0, "s:unix:E:1", false);
    layout_facts(&f, 0x12, l2, sizeof(l2), P0F_Q_DF);
    expect_match(db, &f, 0, "", false);
    /* A layout longer than any in the file, and none at all. */
    const uint8_t l4[] = { 2, 1, 3, 1, 1, 4, 8 };
    layout_facts(&f, 0x02, l4, sizeof(l4), P0F_Q_DF);
    expect_match(db, &f, 0, "", false);
    layout_facts(&f, 0x02, l4, 0, P0F_Q_DF);
    expect_match(db, &f, 0, "", false);
    p0f_db_free(db);
}

/* The name of option kind k in a database layout. */
static void kind_name(uint8_t k, char *out, size_t cap)
{
    static const char *const names[] = {
        [1] = "nop", [2] = "mss", [3] = "ws", [4] = "sok", [5] = "sack", [8] = "ts"
    };
    if (k < sizeof(names) / sizeof(names[0]) && names[k] != NULL) {
        snprintf(out, cap, "%s", names[k]);
    } else {
        snprintf(out, cap, "?%u", k);
    }
}

enum { MANY_LAYOUTS = 24 * 11 };

/* Layout i of the many: i % 24 + 1 kinds, NOPs but the last, which is 2 + i / 24. */
static uint8_t many_layout(unsigned i, uint8_t *layout)
{
    uint8_t n = (uint8_t)(i % P0F_MAX_OPT + 1);
    memset(layout, 1, n);
    layout[n - 1] = (uint8_t)(2 + i / P0F_MAX_OPT);
    return n;
}

/* Many layouts of every length, in both directions, each found by its own
 * label: layouts that differ only in their 9th, 17th or 24th kind, and facts
 * with other bytes after their layout. */
static void test_match_many_layouts(void)
{
    size_t cap = 2 * MANY_LAYOUTS * 200 + 64;
    char *text = calloc(1, cap);
    CHECK(text != NULL);
    if (text == NULL) {
        return;
    }
    size_t at = 0;
    for (int dir = 0; dir < 2; dir++) {
        at += (size_t)snprintf(text + at, cap - at, "%s\n",
                               dir == 0 ? "[tcp:request]" : "[tcp:response]");
        for (unsigned i = 0; i < MANY_LAYOUTS; i++) {
            uint8_t layout[P0F_MAX_OPT];
            uint8_t n = many_layout(i, layout);
            at += (size_t)snprintf(
                    text + at, cap - at,
                    "label = s:unix:%c%u:1\nsig = *:64:0:*:*,*:", dir == 0 ? 'Q' : 'R', i);
            for (uint8_t j = 0; j < n; j++) {
                char name[8];
                kind_name(layout[j], name, sizeof(name));
                at += (size_t)snprintf(text + at, cap - at, "%s%s", j > 0 ? "," : "", name);
            }
            at += (size_t)snprintf(text + at, cap - at, "::0\n");
        }
    }
    CHECK(at < cap);
    struct p0f_db *db = parse(text);
    free(text);
    if (db == NULL) {
        return;
    }
    CHECK_INT(p0f_db_count(db), 2 * MANY_LAYOUTS);
    for (unsigned i = 0; i < MANY_LAYOUTS; i++) {
        uint8_t layout[P0F_MAX_OPT];
        uint8_t n = many_layout(i, layout);
        struct p0f_facts f;
        char want[32];
        layout_facts(&f, 0x02, layout, n, 0);
        snprintf(want, sizeof(want), "s:unix:Q%u:1", i);
        expect_match(db, &f, 0, want, false);
        memset(f.layout + n, 0xab, sizeof(f.layout) - n); /* not part of the layout */
        expect_match(db, &f, 0, want, false);
        layout_facts(&f, 0x12, layout, n, 0);
        snprintf(want, sizeof(want), "s:unix:R%u:1", i);
        expect_match(db, &f, 0, want, false);
        /* One kind past the last the file has at that place: no run. */
        layout[n - 1] = (uint8_t)(2 + MANY_LAYOUTS / P0F_MAX_OPT);
        layout_facts(&f, 0x02, layout, n, 0);
        expect_match(db, &f, 0, "", false);
    }
    p0f_db_free(db);
}

/* The memo gives what p0f_signature and p0f_match give, whatever it held before:
 * more shapes than slots (clashes replace entries), asked twice in two orders. */
static void check_described(struct p0f_memo *m, const struct p0f_facts *f, uint16_t syn_mss)
{
    char sig[P0F_SIG_CAP];
    size_t n = p0f_signature(f, syn_mss, sig, sizeof(sig));
    const char *label = NULL;
    bool fuzzy = false;
    bool found = p0f_match(m->db, f, syn_mss, &label, &fuzzy);
    const struct p0f_seen *seen = p0f_describe(m, f, syn_mss);
    CHECK_INT(seen->sig_len, n);
    CHECK_STR(seen->sig, sig);
    CHECK_STR(seen->label != NULL ? seen->label : "", found ? label : "");
    CHECK_INT(seen->label_len, found ? strlen(label) : 0);
    CHECK_INT(seen->fuzzy, found && fuzzy);
}

enum { MEMO_SHAPES = 3 * P0F_MEMO_SLOTS };

/* Shape i: the Linux SYN (or its SYN-ACK) with one field moved. */
static void memo_shape(unsigned i, struct p0f_facts *f, uint16_t *syn_mss)
{
    CHECK(facts_of(i % 2 ? LINUX_SYNACK : LINUX_SYN, f));
    *syn_mss = i % 2 ? 1460 : 0;
    switch (i % 6) {
    case 0:
    case 1:
        f->window = (uint16_t)(1460 * (1 + i % 44)); /* mss*N, and then one that is not */
        f->window += (uint16_t)(i / 88);
        break;
    case 2:
    case 3:
        f->ttl = (uint8_t)(30 + i % 200);
        break;
    default:
        f->quirks ^= 1u << (i % P0F_N_QUIRKS);
        f->payload = i % 5 == 0;
        break;
    }
}

static void test_memo(void)
{
    struct p0f_db *db = parse(small_db);
    struct p0f_memo m;
    CHECK(p0f_memo_init(&m, db));
    struct p0f_facts f;
    uint16_t syn_mss;
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < MEMO_SHAPES; i++) {
            memo_shape(round == 0 ? i : MEMO_SHAPES - 1 - i, &f, &syn_mss);
            check_described(&m, &f, syn_mss);
            check_described(&m, &f, syn_mss); /* now from the memo */
        }
    }
    /* The same shape with another peer MSS is another entry. */
    CHECK(facts_of(LINUX_SYNACK, &f));
    check_described(&m, &f, 1460);
    check_described(&m, &f, 0);
    /* Nothing taken: no signature, no label. */
    memset(&f, 0, sizeof(f));
    check_described(&m, &f, 0);
    CHECK_INT(p0f_describe(&m, &f, 0)->sig_len, 0);
    p0f_memo_release(&m);

    /* Without a database: signatures, no labels. */
    CHECK(p0f_memo_init(&m, NULL));
    CHECK(facts_of(LINUX_SYN, &f));
    f.window = 1460 * 20;
    check_described(&m, &f, 0);
    CHECK(p0f_describe(&m, &f, 0)->label == NULL);
    /* A text longer than P0F_SIG_CAP (24 ends of options): cut as p0f_signature cuts it. */
    memset(&f, 0, sizeof(f));
    f.ip_version = 6;
    f.ttl = 1;
    f.mss = 65535;
    f.window = 12345;
    f.n_opt = P0F_MAX_OPT;
    f.eol_pad = 200;
    f.quirks = (1u << P0F_N_QUIRKS) - 1;
    check_described(&m, &f, 0);
    CHECK_INT(p0f_describe(&m, &f, 0)->sig_len, P0F_SIG_CAP - 1);
    p0f_memo_release(&m);
    p0f_db_free(db);
}

struct bad_db {
    const char *text;
    const char *msg; /* the start of the message */
};

static const struct bad_db bad_dbs[] = {
    { "[tcp:request]\nsig = *:64:0:*:*,*:mss::0\n", "line 2: signature before any label" },
    { "[tcp:request]\nlabel = s:unix:Linux:3.x\nsig = *:64:0:*:*,*:mss,bogus::0\n",
      "line 3: malformed signature" },
    { "[tcp:request]\nlabel = s:unix:Linux:3.x\nsig = 6:64:0:*:*,*:mss:df:0\n",
      "line 3: malformed signature" },
    { "[tcp:request]\nlabel = s:unix:Linux:3.x\nsig = 4:64:0:*:*,*:mss:flow:0\n",
      "line 3: malformed signature" },
    { "[tcp:request]\nlabel = s:unix:Linux:3.x\nsig = *:300:0:*:*,*:mss::0\n",
      "line 3: malformed signature" },
    { "[tcp:request]\nlabel = s:unix:Linux:3.x\nsig = *:64:0:*:mss*1001,*:mss::0\n",
      "line 3: malformed signature" },
    { "[tcp:request]\nlabel = s:unix:Linux:3.x\nsig = *:64:0:*:*,*:eol+1,mss::0\n",
      "line 3: malformed signature" },
    { "[tcp:request]\nlabel = s:unix:Linux:3.x\nsig = *:64:0:*:*,*:mss::0 \n", NULL },
    { "[tcp:request]\nlabel = s:unix:Linux:3.x\nsig = *:64:0:*:*,*:mss::x\n",
      "line 3: malformed signature" },
    { "[tcp:request]\nlabel = x:unix:Linux:3.x\n", "line 2: malformed label" },
    { "[tcp:request]\nlabel = s:unix::3.x\n", "line 2: malformed label" },
    { "[tcp:sideways]\n", "line 1: unknown section" },
    { "[tcp:request]\nlabel = s:unix:Linux:3.x\nwhat = 1\n", "line 3: unknown field" },
    { "[tcp:request]\nlabel s:unix:Linux:3.x\n", "line 2: want name = value" },
    { "label = s:unix:Linux:3.x\n", "line 1: 'label' outside a section" },
    { "classes = win\n[mtu]\nlabel = x\nsig = 1500\n", "line 4: no TCP signatures" },
    { "", "line 0: no TCP signatures" },
};

static void test_bad_databases(void)
{
    for (size_t i = 0; i < sizeof(bad_dbs) / sizeof(bad_dbs[0]); i++) {
        const struct bad_db *c = &bad_dbs[i];
        struct p0f_db *db = (struct p0f_db *)&db; /* must come back NULL */
        char msg[256] = "";
        enum tcpshake_status rc = p0f_db_parse(c->text, strlen(c->text), &db, msg, sizeof(msg));
        if (c->msg == NULL) {
            CHECK_INT(rc, TCPSHAKE_OK); /* trailing blanks are cut, as p0f's own files have them */
            p0f_db_free(db);
            continue;
        }
        CHECK_INT(rc, TCPSHAKE_ERR_FORMAT);
        CHECK(db == NULL);
        if (strncmp(msg, c->msg, strlen(c->msg)) != 0) {
            fprintf(stderr, "database %zu: message \"%s\", want \"%s...\"\n", i, msg, c->msg);
            CHECK(false);
        }
    }

    /* Bounds: a long line, a long label, a file over 1 MiB. */
    char line[2048];
    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    struct p0f_db *db = NULL;
    char msg[256];
    CHECK_INT(p0f_db_parse(line, strlen(line), &db, msg, sizeof(msg)), TCPSHAKE_ERR_FORMAT);
    CHECK_STR(msg, "line 1: line longer than 1023 bytes");
    char label[300];
    snprintf(label, sizeof(label), "[tcp:request]\nlabel = s:unix:%0200d:x\n", 0);
    CHECK_INT(p0f_db_parse(label, strlen(label), &db, msg, sizeof(msg)), TCPSHAKE_ERR_FORMAT);
    size_t big = P0F_DB_MAX_BYTES + 1;
    char *huge = malloc(big);
    if (huge != NULL) {
        memset(huge, '\n', big);
        CHECK_INT(p0f_db_parse(huge, big, &db, msg, sizeof(msg)), TCPSHAKE_ERR_FORMAT);
        free(huge);
    }
    CHECK_INT(p0f_db_load("/nonexistent/p0f.fp", &db, msg, sizeof(msg)), TCPSHAKE_ERR_OPEN);
    CHECK_STR(msg, "No such file or directory");
    CHECK(db == NULL);
}

/* ------------------------------------------------------------ through the handle */

struct labels {
    size_t records;
    size_t client_sigs;
    size_t client_labels;
};

static void count_labels(const struct tcpshake_record *r, void *user)
{
    struct labels *l = user;
    l->records++;
    l->client_sigs += r->client_p0f.sig[0] != '\0';
    l->client_labels += r->client_p0f.label[0] != '\0';
}

/* A handle on threads threads counting into *l; NULL (a failed check) when none. */
static struct tcpshake *counting_handle(unsigned threads, struct labels *l)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.threads = threads;
    *l = (struct labels){ 0, 0, 0 };
    struct tcpshake *h = tcpshake_new(&cfg, count_labels, l);
    CHECK(h != NULL);
    return h;
}

/* sample.pcap's ten Linux SYNs: the eight over IPv4 match the small database's
 * generic signature ("mss*44"), the two over IPv6 carry a flow label, which no
 * signature allows (p0f says ??? for them too); on three threads as on one. */
static void test_handle(unsigned threads)
{
    char path[] = "/tmp/test_p0f_XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(fp != NULL);
    if (fp == NULL) {
        return;
    }
    fputs(small_db, fp);
    fclose(fp);

    struct labels l;
    struct tcpshake *h = counting_handle(threads, &l);
    if (h == NULL) {
        unlink(path);
        return;
    }
    CHECK_INT(tcpshake_set_p0f_db(h, "/nonexistent/p0f.fp"), TCPSHAKE_ERR_OPEN);
    CHECK_STR(tcpshake_errmsg(h), "/nonexistent/p0f.fp: No such file or directory");
    CHECK_INT(tcpshake_set_p0f_db(h, path), TCPSHAKE_OK);
    CHECK_INT(tcpshake_open_file(h, "tests/data/sample.pcap"), TCPSHAKE_OK);
    CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
    CHECK_INT(l.records, 10);
    CHECK_INT(l.client_sigs, 10);
    CHECK_INT(l.client_labels, 8);
    /* After the first packet the database stays as it is. */
    CHECK_INT(tcpshake_set_p0f_db(h, NULL), TCPSHAKE_ERR_STATE);
    tcpshake_free(h);
    unlink(path);
}

/* tcpshake_set_p0f(h, false): the same records, without signatures or labels,
 * whatever the database; on three threads as on one. */
static void test_handle_off(unsigned threads)
{
    struct labels l;
    struct tcpshake *h = counting_handle(threads, &l);
    if (h == NULL) {
        return;
    }
    CHECK_INT(tcpshake_set_p0f(h, false), TCPSHAKE_OK);
    CHECK_INT(tcpshake_open_file(h, "tests/data/sample.pcap"), TCPSHAKE_OK);
    CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
    CHECK_INT(l.records, 10);
    CHECK_INT(l.client_sigs, 0);
    CHECK_INT(l.client_labels, 0);
    CHECK_INT(tcpshake_set_p0f(h, true), TCPSHAKE_ERR_STATE);
    CHECK_STR(tcpshake_errmsg(h), "p0f signatures are turned on or off before the first packet");
    tcpshake_free(h);
}

int main(void)
{
    test_signatures();
    test_signature_edges();
    test_signature_words();
    test_signature_numbers();
    test_signature_cuts();
    test_match();
    test_match_index();
    test_match_many_layouts();
    test_memo();
    test_bad_databases();
    test_handle(1);
    test_handle(3);
    test_handle_off(1);
    test_handle_off(3);
    return check_report("p0f");
}
