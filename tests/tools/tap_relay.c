/*
 * tap_relay.c: a two-port Ethernet relay with fixed per-leg delays, which is
 * also the capture point that writes what it sees to a pcap file.
 *
 * It owns: creating two TAP devices, holding frames for the configured delays,
 * recording them (nanosecond pcap, LINKTYPE_ETHERNET), and a few fault rules.
 * It leaves to its caller (tests/data/record.sh): moving the taps into network
 * namespaces, addressing them, and running the real TCP peers.
 *
 * The timeline of one frame from the client side (the other direction is the
 * mirror image, with the two delays swapped):
 *
 *   client tap --read--> [hold client delay] --record--> [hold server delay] --write--> server tap
 *
 * so on the capture the server side of a handshake (SYN -> SYN-ACK) takes
 * about 2 * server delay plus the server stack's time, and the client side
 * (SYN-ACK -> ACK) about 2 * client delay plus the client stack's time.
 *
 * Fault rules, all keyed by TCP port:
 *   --drop-syn-port P     a SYN (no ACK) to port P is recorded, then not delivered;
 *   --drop-synack N       the first N SYN-ACKs from the server side are recorded,
 *                         then not delivered (--synack-port P limits this to port P);
 *   --lose-port P         client-to-server segments to port P other than the SYN are
 *                         lost before the capture point: neither recorded nor delivered;
 *   --unseen-syn-port P   a SYN to port P is delivered but not recorded;
 *   --late-port P         frames of port P are delivered but not recorded until the
 *                         first one that carries payload (a capture started late).
 *
 * Queues are bounded: a frame that finds its lane full is dropped and counted.
 * Holding uses CLOCK_MONOTONIC. A frame's pcap timestamp is the moment its first
 * hold ends (read time + the first leg's delay), in CLOCK_REALTIME: the moment it
 * passes the capture point, even when a loaded machine runs the relay late (stamped
 * when the relay got round to it, a request recorded 10 ms late made a 60 ms server
 * leg look like 50). SIGINT and SIGTERM end the run; the pcap is flushed and closed.
 *
 * Build: gcc -std=c11 -O2 -Wall -Wextra -Wpedantic -o tap_relay tap_relay.c
 * Needs CAP_NET_ADMIN (open /dev/net/tun, TUNSETIFF).
 */
#define _GNU_SOURCE /* ppoll, getopt_long */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define FRAME_CAP     2048u  /* bytes kept per frame; tap MTU is 1500 */
#define READ_CAP      65536u /* one read from a tap; larger frames are oversized */
#define LANE_CAP      1024u  /* frames held per direction */
#define MAX_PORTS     16u    /* ports per rule list */
#define PCAP_MAGIC_NS 0xa1b23c4du
#define LINKTYPE_ETH  1u
#define NS_PER_MS     1000000ull
#define NS_PER_S      1000000000ull

/* TCP flag bits (RFC 9293 section 3.1). */
#define TH_FIN 0x01u
#define TH_SYN 0x02u
#define TH_RST 0x04u
#define TH_ACK 0x10u

/* What the rules need to know about a frame, parsed once on arrival. */
struct tcpinfo {
    bool is_tcp;
    uint16_t sport;
    uint16_t dport;
    uint8_t flags;
    uint32_t payload_len; /* TCP payload bytes, from the IP length */
};

struct frame {
    uint64_t t_in_ns; /* CLOCK_MONOTONIC at read */
    uint32_t len;     /* bytes in data */
    bool record;      /* write to the pcap when the first hold ends */
    bool deliver;     /* write to the far tap when the second hold ends */
    uint8_t data[FRAME_CAP];
};

/*
 * One direction. Indices only grow; a slot is index % LANE_CAP.
 * out <= rec <= tail: [out, rec) recorded, waiting for delivery;
 * [rec, tail) waiting to be recorded.
 */
struct lane {
    const char *name;
    int in_fd;
    int out_fd;
    bool from_client;
    uint64_t hold1_ns; /* before the capture point */
    uint64_t hold2_ns; /* after the capture point */
    struct frame *ring;
    uint64_t out, rec, tail;
    uint64_t n_in, n_recorded, n_delivered, n_full, n_oversized, n_dropped, n_hidden;
};

struct portset {
    size_t n;
    uint16_t port[MAX_PORTS];
};

struct rules {
    struct portset drop_syn;
    struct portset lose;
    struct portset unseen_syn;
    struct portset late;
    bool late_seen[MAX_PORTS];
    uint64_t drop_synack_left;
    uint16_t synack_port; /* 0: any */
};

struct pcapw {
    FILE *f;
    const char *path;
    uint64_t real_minus_mono; /* CLOCK_REALTIME - CLOCK_MONOTONIC, taken once (mod 2^64) */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(((uint32_t)p[0] << 8) | (uint32_t)p[1]);
}

static bool portset_has(const struct portset *s, uint16_t port, size_t *idx)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->port[i] == port) {
            if (idx) {
                *idx = i;
            }
            return true;
        }
    }
    return false;
}

/* Reads the TCP header at off, given the IP payload length ip_len. */
static void parse_tcp(const uint8_t *p, size_t len, size_t off, size_t ip_len, struct tcpinfo *ti)
{
    if (off + 20 > len || ip_len < 20) {
        return;
    }
    size_t doff = (size_t)(p[off + 12] >> 4) * 4u;
    if (doff < 20 || doff > ip_len) {
        return; /* A lying data offset: treat as not TCP, rules do not apply. */
    }
    ti->is_tcp = true;
    ti->sport = be16(p + off);
    ti->dport = be16(p + off + 2);
    ti->flags = p[off + 13];
    ti->payload_len = (uint32_t)(ip_len - doff);
}

/* Ethernet II, then IPv4 or IPv6 with TCP directly inside (what Linux sends here). */
static struct tcpinfo parse_frame(const uint8_t *p, size_t len)
{
    struct tcpinfo ti = { 0 };
    if (len < 14) {
        return ti;
    }
    uint16_t etype = be16(p + 12);
    if (etype == 0x0800 && len >= 14 + 20) {
        size_t ihl = (size_t)(p[14] & 0x0fu) * 4u;
        size_t tot = be16(p + 16);
        bool first_frag = (be16(p + 20) & 0x1fffu) == 0;
        if (p[23] == 6 && ihl >= 20 && tot >= ihl && first_frag) {
            parse_tcp(p, len, 14 + ihl, tot - ihl, &ti);
        }
    } else if (etype == 0x86dd && len >= 14 + 40) {
        if (p[20] == 6) {
            parse_tcp(p, len, 54, be16(p + 18), &ti);
        }
    }
    return ti;
}

/* Decides, on arrival, whether the frame is recorded and whether it is delivered. */
static void apply_rules(struct rules *r, const struct lane *ln, struct frame *fr)
{
    fr->record = true;
    fr->deliver = true;
    struct tcpinfo ti = parse_frame(fr->data, fr->len);
    if (!ti.is_tcp) {
        return;
    }
    bool syn_only = (ti.flags & (TH_SYN | TH_ACK)) == TH_SYN;
    bool synack = (ti.flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
    uint16_t srv_port = ln->from_client ? ti.dport : ti.sport;
    size_t idx = 0;

    if (portset_has(&r->late, srv_port, &idx) && !r->late_seen[idx]) {
        if (ti.payload_len == 0) {
            fr->record = false;
        } else {
            r->late_seen[idx] = true;
        }
    }
    if (ln->from_client) {
        if (!syn_only && portset_has(&r->lose, ti.dport, NULL)) {
            fr->record = false;
            fr->deliver = false;
        }
        if (syn_only && portset_has(&r->unseen_syn, ti.dport, NULL)) {
            fr->record = false;
        }
        if (syn_only && portset_has(&r->drop_syn, ti.dport, NULL)) {
            fr->deliver = false;
        }
    } else if (synack && r->drop_synack_left > 0 &&
               (r->synack_port == 0 || r->synack_port == ti.sport)) {
        r->drop_synack_left--;
        fr->deliver = false;
    }
}

static int pcap_open(struct pcapw *w, const char *path)
{
    w->path = path;
    w->real_minus_mono = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
    w->f = fopen(path, "wb");
    if (!w->f) {
        fprintf(stderr, "tap_relay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* Global header in host byte order; readers detect it from the magic. */
    const uint32_t magic = PCAP_MAGIC_NS, zone = 0, sigfigs = 0, snaplen = READ_CAP;
    const uint32_t linktype = LINKTYPE_ETH;
    const uint16_t major = 2, minor = 4;
    uint8_t hdr[24];
    memcpy(hdr, &magic, 4);
    memcpy(hdr + 4, &major, 2);
    memcpy(hdr + 6, &minor, 2);
    memcpy(hdr + 8, &zone, 4);
    memcpy(hdr + 12, &sigfigs, 4);
    memcpy(hdr + 16, &snaplen, 4);
    memcpy(hdr + 20, &linktype, 4);
    if (fwrite(hdr, sizeof(hdr), 1, w->f) != 1) {
        fprintf(stderr, "tap_relay: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

/* fr as it passed the capture point at at_mono (CLOCK_MONOTONIC). */
static int pcap_write(struct pcapw *w, const struct frame *fr, uint64_t at_mono)
{
    uint64_t t = at_mono + w->real_minus_mono;
    uint32_t rec[4] = { (uint32_t)(t / NS_PER_S), (uint32_t)(t % NS_PER_S), fr->len, fr->len };
    if (fwrite(rec, sizeof(rec), 1, w->f) != 1 || fwrite(fr->data, fr->len, 1, w->f) != 1) {
        fprintf(stderr, "tap_relay: %s: write failed\n", w->path);
        return -1;
    }
    return fflush(w->f) == 0 ? 0 : -1;
}

static int tap_open(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "tap_relay: /dev/net/tun: %s\n", strerror(errno));
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (strlen(name) >= sizeof(ifr.ifr_name)) {
        fprintf(stderr, "tap_relay: %s: interface name too long\n", name);
        close(fd);
        return -1;
    }
    memcpy(ifr.ifr_name, name, strlen(name) + 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "tap_relay: TUNSETIFF %s: %s\n", name, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads every frame waiting on the lane's input tap. */
static void lane_read(struct lane *ln, struct rules *r, uint8_t *buf)
{
    for (;;) {
        ssize_t n = read(ln->in_fd, buf, READ_CAP);
        if (n <= 0) {
            return; /* EAGAIN, or the device went away: nothing more now. */
        }
        ln->n_in++;
        if ((size_t)n > FRAME_CAP) {
            ln->n_oversized++;
            continue;
        }
        if (ln->tail - ln->out >= LANE_CAP) {
            ln->n_full++;
            continue;
        }
        struct frame *fr = &ln->ring[ln->tail % LANE_CAP];
        fr->t_in_ns = clock_ns(CLOCK_MONOTONIC);
        fr->len = (uint32_t)n;
        memcpy(fr->data, buf, (size_t)n);
        apply_rules(r, ln, fr);
        ln->tail++;
    }
}

static bool lane_rec_due(const struct lane *ln, uint64_t now, uint64_t *due)
{
    if (ln->rec == ln->tail) {
        return false;
    }
    *due = ln->ring[ln->rec % LANE_CAP].t_in_ns + ln->hold1_ns;
    return *due <= now;
}

static int lane_record_one(struct lane *ln, struct pcapw *w)
{
    const struct frame *fr = &ln->ring[ln->rec % LANE_CAP];
    ln->rec++;
    if (!fr->record) {
        ln->n_hidden++;
        return 0;
    }
    ln->n_recorded++;
    return pcap_write(w, fr, fr->t_in_ns + ln->hold1_ns);
}

static void lane_deliver(struct lane *ln, uint64_t now)
{
    while (ln->out < ln->rec) {
        const struct frame *fr = &ln->ring[ln->out % LANE_CAP];
        if (fr->t_in_ns + ln->hold1_ns + ln->hold2_ns > now) {
            return;
        }
        ln->out++;
        if (!fr->deliver) {
            ln->n_dropped++;
            continue;
        }
        /* A tap that is down or gone refuses the write; the frame is lost, as on a wire. */
        if (write(ln->out_fd, fr->data, fr->len) == (ssize_t)fr->len) {
            ln->n_delivered++;
        }
    }
}

/* Records due frames of both lanes in time order, then delivers due frames. */
static int process_due(struct lane *a, struct lane *b, struct pcapw *w)
{
    uint64_t now = clock_ns(CLOCK_MONOTONIC);
    for (;;) {
        uint64_t da = 0, db = 0;
        bool ra = lane_rec_due(a, now, &da);
        bool rb = lane_rec_due(b, now, &db);
        if (!ra && !rb) {
            break;
        }
        struct lane *ln = (ra && (!rb || da <= db)) ? a : b;
        if (lane_record_one(ln, w) < 0) {
            return -1;
        }
    }
    lane_deliver(a, now);
    lane_deliver(b, now);
    return 0;
}

/* The earliest moment anything is due, or UINT64_MAX. */
static uint64_t next_due(const struct lane *ln)
{
    uint64_t t = UINT64_MAX;
    if (ln->rec < ln->tail) {
        t = ln->ring[ln->rec % LANE_CAP].t_in_ns + ln->hold1_ns;
    }
    if (ln->out < ln->rec) {
        uint64_t d = ln->ring[ln->out % LANE_CAP].t_in_ns + ln->hold1_ns + ln->hold2_ns;
        t = d < t ? d : t;
    }
    return t;
}

static int run(struct lane *c2s, struct lane *s2c, struct rules *r, struct pcapw *w)
{
    uint8_t *buf = malloc(READ_CAP);
    if (!buf) {
        return -1;
    }
    int rc = 0;
    while (!stop_flag && rc == 0) {
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        uint64_t due = next_due(c2s);
        uint64_t d2 = next_due(s2c);
        due = d2 < due ? d2 : due;
        uint64_t wait = NS_PER_S; /* wake at least once a second */
        if (due != UINT64_MAX) {
            wait = due > now ? due - now : 0;
            wait = wait < NS_PER_S ? wait : NS_PER_S;
        }
        struct timespec ts = { (time_t)(wait / NS_PER_S), (long)(wait % NS_PER_S) };
        struct pollfd pfd[2] = { { c2s->in_fd, POLLIN, 0 }, { s2c->in_fd, POLLIN, 0 } };
        int n = ppoll(pfd, 2, &ts, NULL);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "tap_relay: poll: %s\n", strerror(errno));
            rc = -1;
            break;
        }
        if (n > 0 && (pfd[0].revents & POLLIN)) {
            lane_read(c2s, r, buf);
        }
        if (n > 0 && (pfd[1].revents & POLLIN)) {
            lane_read(s2c, r, buf);
        }
        rc = process_due(c2s, s2c, w);
    }
    free(buf);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tap_relay --client-tap NAME --server-tap NAME -w FILE.pcap\n"
            "                 [--client-delay-ms MS] [--server-delay-ms MS]\n"
            "                 [--drop-syn-port P]... [--drop-synack N [--synack-port P]]\n"
            "                 [--lose-port P]... [--unseen-syn-port P]... [--late-port P]...\n");
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end != '\0' || v > max || s[0] == '-') {
        return false;
    }
    *out = v;
    return true;
}

static bool add_port(struct portset *s, const char *arg)
{
    uint64_t v = 0;
    if (!parse_u64(arg, 65535, &v) || v == 0 || s->n >= MAX_PORTS) {
        return false;
    }
    s->port[s->n++] = (uint16_t)v;
    return true;
}

struct config {
    const char *ctap, *stap, *out;
    uint64_t cdelay_ms, sdelay_ms;
    struct rules rules;
};

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        { "client-tap", required_argument, NULL, 'c' },
        { "server-tap", required_argument, NULL, 's' },
        { "client-delay-ms", required_argument, NULL, 'C' },
        { "server-delay-ms", required_argument, NULL, 'S' },
        { "write", required_argument, NULL, 'w' },
        { "drop-syn-port", required_argument, NULL, 'y' },
        { "drop-synack", required_argument, NULL, 'a' },
        { "synack-port", required_argument, NULL, 'A' },
        { "lose-port", required_argument, NULL, 'l' },
        { "unseen-syn-port", required_argument, NULL, 'u' },
        { "late-port", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int o;
    while ((o = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        bool ok = true;
        uint64_t v = 0;
        switch (o) {
        case 'c':
            cfg->ctap = optarg;
            break;
        case 's':
            cfg->stap = optarg;
            break;
        case 'w':
            cfg->out = optarg;
            break;
        case 'C':
            ok = parse_u64(optarg, 60000, &cfg->cdelay_ms);
            break;
        case 'S':
            ok = parse_u64(optarg, 60000, &cfg->sdelay_ms);
            break;
        case 'y':
            ok = add_port(&cfg->rules.drop_syn, optarg);
            break;
        case 'a':
            ok = parse_u64(optarg, 1000000, &cfg->rules.drop_synack_left);
            break;
        case 'A':
            ok = parse_u64(optarg, 65535, &v);
            cfg->rules.synack_port = (uint16_t)v;
            break;
        case 'l':
            ok = add_port(&cfg->rules.lose, optarg);
            break;
        case 'u':
            ok = add_port(&cfg->rules.unseen_syn, optarg);
            break;
        case 'L':
            ok = add_port(&cfg->rules.late, optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
        if (!ok) {
            fprintf(stderr, "tap_relay: bad value for option: %s\n", optarg);
            return -1;
        }
    }
    if (!cfg->ctap || !cfg->stap || !cfg->out || optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static void print_stats(const struct lane *ln)
{
    fprintf(stderr,
            "tap_relay: %s: in %" PRIu64 " recorded %" PRIu64 " hidden %" PRIu64
            " delivered %" PRIu64 " dropped %" PRIu64 " full %" PRIu64 " oversized %" PRIu64 "\n",
            ln->name, ln->n_in, ln->n_recorded, ln->n_hidden, ln->n_delivered, ln->n_dropped,
            ln->n_full, ln->n_oversized);
}

int main(int argc, char **argv)
{
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    if (parse_args(argc, argv, &cfg) < 0) {
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: ppoll must return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int cfd = tap_open(cfg.ctap);
    int sfd = cfd < 0 ? -1 : tap_open(cfg.stap);
    struct frame *rings = calloc(2u * LANE_CAP, sizeof(*rings));
    struct pcapw w = { 0 };
    if (sfd < 0 || !rings || pcap_open(&w, cfg.out) < 0) {
        return 1;
    }
    struct lane c2s = { .name = "client->server",
                        .in_fd = cfd,
                        .out_fd = sfd,
                        .from_client = true,
                        .hold1_ns = cfg.cdelay_ms * NS_PER_MS,
                        .hold2_ns = cfg.sdelay_ms * NS_PER_MS,
                        .ring = rings };
    struct lane s2c = { .name = "server->client",
                        .in_fd = sfd,
                        .out_fd = cfd,
                        .from_client = false,
                        .hold1_ns = cfg.sdelay_ms * NS_PER_MS,
                        .hold2_ns = cfg.cdelay_ms * NS_PER_MS,
                        .ring = rings + LANE_CAP };
    fprintf(stderr, "tap_relay: ready: %s <-> %s, delays %" PRIu64 "/%" PRIu64 " ms\n", cfg.ctap,
            cfg.stap, cfg.cdelay_ms, cfg.sdelay_ms);

    int rc = run(&c2s, &s2c, &cfg.rules, &w);
    print_stats(&c2s);
    print_stats(&s2c);
    if (fclose(w.f) != 0) {
        fprintf(stderr, "tap_relay: %s: close failed\n", cfg.out);
        rc = -1;
    }
    close(cfd);
    close(sfd);
    free(rings);
    return rc == 0 ? 0 : 1;
}
