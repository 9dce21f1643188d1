/*
 * probe.c - "tcpshake probe HOST": argument parsing and output for the
 * library's active prober (tcpshake_probe_*). No probing happens here.
 *
 * Output: one row per attempt as it finishes, then one summary row per port
 * (table, JSON lines with a "type" member, or CSV with a "type" column).
 * Exit status: 0 every port was open on some attempt, 1 a port was not (or a
 * runtime failure), 2 usage error.
 */
#include "cli_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli_habits.h"
#include "cli_table.h"
#include "tcpshake.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };
enum format { FMT_TABLE, FMT_JSON, FMT_CSV };

struct probe_opts {
    struct tcpshake_probe_config cfg;
    uint16_t *ports; /* heap, TCPSHAKE_PROBE_MAX ports */
    enum format format;
    bool format_set;
};

struct out {
    FILE *f;
    enum format format;
    const struct tcpshake_probe_config *cfg;
    const char *mode;
    bool header_done;         /* table: heading and attempt column names written */
    bool summary_header_done; /* table: summary column names written */
    size_t n_open;            /* ports whose summary state is open */
    unsigned width;           /* a terminal's columns; 0: no limit (not a terminal) */
};

/* The probe the signal handler stops; this file's only global. */
static struct tcpshake_probe *volatile running_probe;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tcpshake probe HOST [options]\n"
            "\n"
            "Open TCP handshakes to HOST's ports and time them (like tcping, hping3 -S).\n"
            "\n"
            "  -p PORTS          ports: a list and ranges such as 22,80,8000-8010 (default 80)\n"
            "  -c COUNT          attempts per port (default 1)\n"
            "  -i DURATION       between attempts on a port (default 1s; 500ms, 1.5s ...)\n"
            "  --timeout D       no answer within this is 'filtered' (default 2s)\n"
            "  --rate N          new attempts per second at most (default 100)\n"
            "  --parallel N      attempts in flight at most (default 64, at most 1024;\n"
            "                    kept below the open-file limit, ulimit -n)\n"
            "  -4, -6            use IPv4 or IPv6 only\n"
            "  --syn             half-open SYN probing on a raw socket (root or\n"
            "                    CAP_NET_RAW): times the wire and the server's kernel only\n"
            "  -o table|json|csv output format (default: table on a terminal, json otherwise)\n"
            "  -h, --help        this help\n"
            "\n"
            "States: open (SYN-ACK), closed (RST), filtered (no answer in time),\n"
            "unreachable (ICMP error or a local error such as no route).\n"
            "One row per attempt, then per port: state, attempts, loss and the\n"
            "min / median / p90 / max / stddev latency of the open attempts.\n"
            "Exit status: 0 every port was open, 1 a port was closed, filtered or\n"
            "unreachable, or a runtime failure, 2 usage error. See tcpshake(1).\n");
}

__attribute__((format(printf, 1, 2))) static void complain(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tcpshake: probe: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static bool parse_uint(const char *s, unsigned long min, unsigned long max, uint32_t *out)
{
    char *end;
    if (s[0] < '0' || s[0] > '9') {
        return false;
    }
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* A duration (cli_habits.h: 500ms, 1.5s ...) from min_ns to max_ns. */
static bool parse_duration(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *out_ns)
{
    uint64_t v;
    if (!habits_duration(s, &v) || v < min_ns || v > max_ns) {
        return false;
    }
    *out_ns = v;
    return true;
}

#define NS_PER_S 1000000000ull

enum { OPT_TIMEOUT = 256, OPT_RATE, OPT_PARALLEL, OPT_SYN };

/* One option; returns -1 to go on or an exit status. */
static int take_option(int ch, const char *arg, struct probe_opts *o)
{
    size_t n;
    switch (ch) {
    case 'p':
        if (tcpshake_probe_parse_ports(arg, o->ports, 65535, &n) != TCPSHAKE_OK) {
            complain("-p %s: want ports 1-65535 as a list like 22,80,8000-8010", arg);
            return EXIT_USAGE;
        }
        o->cfg.n_ports = n;
        return -1;
    case 'c':
        if (!parse_uint(arg, 1, 100000, &o->cfg.count)) {
            complain("-c %s: want an attempt count from 1 to 100000", arg);
            return EXIT_USAGE;
        }
        return -1;
    case 'i':
        if (!parse_duration(arg, 0, 3600 * NS_PER_S, &o->cfg.interval_ns)) {
            complain("-i %s: want %s, from 0 to 1h", arg, HABITS_DURATION_WORDS);
            return EXIT_USAGE;
        }
        return -1;
    case OPT_TIMEOUT:
        if (!parse_duration(arg, NS_PER_S / 1000, 60 * NS_PER_S, &o->cfg.timeout_ns)) {
            complain("--timeout %s: want %s, from 1ms to 60s", arg, HABITS_DURATION_WORDS);
            return EXIT_USAGE;
        }
        return -1;
    case OPT_RATE:
        if (!parse_uint(arg, 1, 100000, &o->cfg.rate)) {
            complain("--rate %s: want attempts per second from 1 to 100000", arg);
            return EXIT_USAGE;
        }
        return -1;
    case OPT_PARALLEL:
        if (!parse_uint(arg, 1, TCPSHAKE_PROBE_MAX_PARALLEL, &o->cfg.parallel)) {
            complain("--parallel %s: want a number from 1 to %u", arg, TCPSHAKE_PROBE_MAX_PARALLEL);
            return EXIT_USAGE;
        }
        return -1;
    case 'o':
        if (strcasecmp(arg, "table") == 0) {
            o->format = FMT_TABLE;
        } else if (strcasecmp(arg, "json") == 0) {
            o->format = FMT_JSON;
        } else if (strcasecmp(arg, "csv") == 0) {
            o->format = FMT_CSV;
        } else {
            complain("-o %s: unknown format (table, json or csv)", arg);
            return EXIT_USAGE;
        }
        o->format_set = true;
        return -1;
    default:
        return EXIT_USAGE;
    }
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct probe_opts *o)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "rate", required_argument, NULL, OPT_RATE },
        { "parallel", required_argument, NULL, OPT_PARALLEL },
        { "syn", no_argument, NULL, OPT_SYN },
        { NULL, 0, NULL, 0 },
    };
    int ch;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":p:c:i:o:46h", longopts, NULL)) != -1) {
        int status = -1;
        if (ch == 'h') {
            usage(stdout);
            return 0;
        } else if (ch == '4' || ch == '6') {
            o->cfg.family = ch - '0';
        } else if (ch == OPT_SYN) {
            o->cfg.mode = TCPSHAKE_PROBE_SYN;
        } else if (ch == ':' || ch == '?') {
            /* optopt is 0 for a long option: name it from the argument getopt just read. */
            const char *what = optopt != 0 ? NULL : argv[optind - 1];
            const char *near = what != NULL && ch == '?' ? habits_suggest(what, longopts) : NULL;
            if (near != NULL) {
                complain("%.*s: unknown option; did you mean --%s? (see tcpshake probe --help)",
                         (int)strcspn(what, "="), what, near);
            } else if (what != NULL) {
                complain("%.*s: %s (see tcpshake probe --help)", (int)strcspn(what, "="), what,
                         ch == ':' ? "needs a value" : "unknown option");
            } else {
                complain("-%c: %s (see tcpshake probe --help)", optopt,
                         ch == ':' ? "needs a value" : "unknown option");
            }
            return EXIT_USAGE;
        } else {
            status = take_option(ch, optarg, o);
        }
        if (status >= 0) {
            return status;
        }
    }
    if (optind + 1 != argc) {
        complain(optind == argc ? "no host given (see tcpshake probe --help)"
                                : "give one host only (see tcpshake probe --help)");
        return EXIT_USAGE;
    }
    o->cfg.host = argv[optind];
    if (o->cfg.host[0] == '\0') {
        complain("empty host");
        return EXIT_USAGE;
    }
    if ((uint64_t)o->cfg.n_ports * o->cfg.count > TCPSHAKE_PROBE_MAX_ATTEMPTS) {
        complain("%zu ports x %" PRIu32 " attempts: at most %u attempts in all", o->cfg.n_ports,
                 o->cfg.count, TCPSHAKE_PROBE_MAX_ATTEMPTS);
        return EXIT_USAGE;
    }
    return -1;
}

/* ---------------------------------------------------------------- output */

static const char *addr_text(uint8_t ip_version, const uint8_t *addr, char *buf, size_t len)
{
    if (inet_ntop(ip_version == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len) == NULL) {
        snprintf(buf, len, "?");
    }
    return buf;
}

static const char *icmp_text(uint8_t ip_version, uint8_t type, uint8_t code)
{
    static const char *const v4_unreach[16] = {
        "net unreachable",
        "host unreachable",
        "protocol unreachable",
        "port unreachable",
        "fragmentation needed",
        "source route failed",
        "net unknown",
        "host unknown",
        "source host isolated",
        "net prohibited",
        "host prohibited",
        "net unreachable for tos",
        "host unreachable for tos",
        "admin prohibited",
        "host precedence violation",
        "precedence cutoff",
    };
    static const char *const v6_unreach[8] = {
        "no route",         "admin prohibited",     "beyond scope of source", "address unreachable",
        "port unreachable", "source policy failed", "reject route",           "bad source route",
    };
    if (ip_version == 4 && type == 3 && code < 16) {
        return v4_unreach[code];
    }
    if (ip_version == 6 && type == 1 && code < 8) {
        return v6_unreach[code];
    }
    if ((ip_version == 4 && type == 11) || (ip_version == 6 && type == 3)) {
        return "time exceeded";
    }
    return "";
}

static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
        } else if (c < 0x20 || c >= 0x7f) {
            fprintf(f, "\\u%04x", (unsigned)c);
        } else {
            fputc(c, f);
        }
    }
    fputc('"', f);
}

/* RFC 4180: quote a field holding a comma, quote or line break. */
static void put_csv_string(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"') {
            fputc('"', f);
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_ms(FILE *f, int64_t ns, int width)
{
    if (ns == TCPSHAKE_NO_TIME) {
        fprintf(f, "%*s", width, "-");
    } else {
        fprintf(f, "%*.3f", width, (double)ns / 1e6);
    }
}

/* JSON null or the number; CSV empty or the number. */
static void put_opt_i64(FILE *f, bool json, bool present, int64_t v)
{
    if (present) {
        fprintf(f, "%" PRId64, v);
    } else if (json) {
        fputs("null", f);
    }
}

static void table_heading(struct out *o, uint8_t ip_version, const uint8_t *addr)
{
    char buf[64];
    fprintf(o->f, "probe %s (%s): %zu port%s, %" PRIu32 " attempt%s each, %s mode\n\n",
            o->cfg->host, addr_text(ip_version, addr, buf, sizeof(buf)), o->cfg->n_ports,
            o->cfg->n_ports == 1 ? "" : "s", o->cfg->count, o->cfg->count == 1 ? "" : "s", o->mode);
    fprintf(o->f, "%-6s %7s  %-11s %10s  %s\n", "PORT", "ATTEMPT", "STATE", "RTT_MS", "DETAIL");
    o->header_done = true;
}

static void table_attempt(struct out *o, const struct tcpshake_probe_result *r)
{
    if (!o->header_done) {
        table_heading(o, r->ip_version, r->addr);
    }
    fprintf(o->f, "%-6u %7" PRIu32 "  %-11s ", (unsigned)r->port, r->attempt,
            tcpshake_probe_state_name(r->state));
    put_ms(o->f, r->rtt_ns, 10);
    if (r->icmp) {
        fprintf(o->f, "  icmp %u/%u %s", (unsigned)r->icmp_type, (unsigned)r->icmp_code,
                icmp_text(r->ip_version, r->icmp_type, r->icmp_code));
    } else if (r->state == TCPSHAKE_PROBE_FILTERED) {
        fprintf(o->f, "  no answer in %.3g s", (double)o->cfg->timeout_ns / 1e9);
    } else if (r->error != 0) {
        fprintf(o->f, "  %s", strerror(r->error));
    }
    fputc('\n', o->f);
    fflush(o->f);
}

static void json_attempt(struct out *o, const struct tcpshake_probe_result *r)
{
    char buf[64];
    FILE *f = o->f;
    fputs("{\"type\":\"attempt\",\"host\":", f);
    put_json_string(f, o->cfg->host);
    fprintf(f,
            ",\"addr\":\"%s\",\"ip_version\":%u,\"port\":%u,\"mode\":\"%s\",\"attempt\":%" PRIu32
            ",\"state\":\"%s\",\"sent_ns\":%" PRIu64 ",\"rtt_ns\":",
            addr_text(r->ip_version, r->addr, buf, sizeof(buf)), (unsigned)r->ip_version,
            (unsigned)r->port, o->mode, r->attempt, tcpshake_probe_state_name(r->state),
            r->sent_ns);
    put_opt_i64(f, true, r->rtt_ns != TCPSHAKE_NO_TIME, r->rtt_ns);
    fputs(",\"icmp_type\":", f);
    put_opt_i64(f, true, r->icmp, r->icmp_type);
    fputs(",\"icmp_code\":", f);
    put_opt_i64(f, true, r->icmp, r->icmp_code);
    fputs(",\"errno\":", f);
    put_opt_i64(f, true, r->error != 0, r->error);
    fputs(",\"error\":", f);
    if (r->error != 0) {
        put_json_string(f, strerror(r->error));
    } else {
        fputs("null", f);
    }
    fputs("}\n", f);
}

static const char csv_header[] =
        "type,host,addr,ip_version,port,mode,attempt,state,sent_ns,rtt_ns,icmp_type,icmp_code,"
        "errno,attempts,open,closed,filtered,unreachable,loss_pct,min_ns,median_ns,p90_ns,"
        "max_ns,stddev_ns\n";

static void csv_start(FILE *f, const char *type, const struct out *o, uint8_t ip_version,
                      const uint8_t *addr, uint16_t port)
{
    char buf[64];
    fprintf(f, "%s,", type);
    put_csv_string(f, o->cfg->host);
    fprintf(f, ",%s,%u,%u,%s,", addr_text(ip_version, addr, buf, sizeof(buf)), (unsigned)ip_version,
            (unsigned)port, o->mode);
}

static void csv_attempt(struct out *o, const struct tcpshake_probe_result *r)
{
    FILE *f = o->f;
    csv_start(f, "attempt", o, r->ip_version, r->addr, r->port);
    fprintf(f, "%" PRIu32 ",%s,%" PRIu64 ",", r->attempt, tcpshake_probe_state_name(r->state),
            r->sent_ns);
    put_opt_i64(f, false, r->rtt_ns != TCPSHAKE_NO_TIME, r->rtt_ns);
    fputc(',', f);
    put_opt_i64(f, false, r->icmp, r->icmp_type);
    fputc(',', f);
    put_opt_i64(f, false, r->icmp, r->icmp_code);
    fputc(',', f);
    put_opt_i64(f, false, r->error != 0, r->error);
    fputs(",,,,,,,,,,,\n", f);
}

static void on_result(const struct tcpshake_probe_result *r, void *user)
{
    struct out *o = user;
    switch (o->format) {
    case FMT_TABLE:
        table_attempt(o, r);
        break;
    case FMT_JSON:
        json_attempt(o, r);
        break;
    case FMT_CSV:
        csv_attempt(o, r);
        break;
    }
}

static void table_summary(struct out *o, const struct tcpshake_probe_summary *s)
{
    if (!o->header_done) {
        table_heading(o, s->ip_version, s->addr);
    }
    /* The latency columns that fit a terminal: 91 characters hold all five; below
     * that STDDEV_MS goes, below 81 P90_MS too. Not a terminal: all of them. */
    static const char *const names[5] = { "MIN_MS", "MEDIAN_MS", "P90_MS", "MAX_MS", "STDDEV_MS" };
    static const size_t all[5] = { 0, 1, 2, 3, 4 }, no_sd[4] = { 0, 1, 2, 3 }, few[3] = { 0, 1, 3 };
    const size_t *cols = all;
    size_t n = 5;
    if (o->width != 0 && o->width < 91) {
        cols = o->width < 81 ? few : no_sd;
        n = o->width < 81 ? 3 : 4;
    }
    if (!o->summary_header_done) {
        fprintf(o->f, "\n%-6s %-11s %8s %6s %6s", "PORT", "STATE", "ATTEMPTS", "OPEN", "LOSS%");
        for (size_t i = 0; i < n; i++) {
            fprintf(o->f, " %9s", names[cols[i]]);
        }
        fputc('\n', o->f);
        o->summary_header_done = true;
    }
    fprintf(o->f, "%-6u %-11s %8" PRIu32 " %6" PRIu32 " %6.1f ", (unsigned)s->port,
            tcpshake_probe_state_name(s->state), s->attempts, s->n_state[TCPSHAKE_PROBE_OPEN],
            s->loss_pct);
    const int64_t v[5] = { s->min_ns, s->median_ns, s->p90_ns, s->max_ns, s->stddev_ns };
    for (size_t i = 0; i < n; i++) {
        put_ms(o->f, v[cols[i]], 9);
        fputc(i + 1 < n ? ' ' : '\n', o->f);
    }
}

static void json_summary(struct out *o, const struct tcpshake_probe_summary *s)
{
    char buf[64];
    FILE *f = o->f;
    fputs("{\"type\":\"summary\",\"host\":", f);
    put_json_string(f, o->cfg->host);
    fprintf(f,
            ",\"addr\":\"%s\",\"ip_version\":%u,\"port\":%u,\"mode\":\"%s\",\"state\":\"%s\","
            "\"attempts\":%" PRIu32 ",\"open\":%" PRIu32 ",\"closed\":%" PRIu32
            ",\"filtered\":%" PRIu32 ",\"unreachable\":%" PRIu32 ",\"loss_pct\":%.1f",
            addr_text(s->ip_version, s->addr, buf, sizeof(buf)), (unsigned)s->ip_version,
            (unsigned)s->port, o->mode, tcpshake_probe_state_name(s->state), s->attempts,
            s->n_state[TCPSHAKE_PROBE_OPEN], s->n_state[TCPSHAKE_PROBE_CLOSED],
            s->n_state[TCPSHAKE_PROBE_FILTERED], s->n_state[TCPSHAKE_PROBE_UNREACHABLE],
            s->loss_pct);
    static const char *const names[5] = { "min_ns", "median_ns", "p90_ns", "max_ns", "stddev_ns" };
    const int64_t v[5] = { s->min_ns, s->median_ns, s->p90_ns, s->max_ns, s->stddev_ns };
    for (size_t i = 0; i < 5; i++) {
        fprintf(f, ",\"%s\":", names[i]);
        put_opt_i64(f, true, v[i] != TCPSHAKE_NO_TIME, v[i]);
    }
    fputs("}\n", f);
}

static void csv_summary(struct out *o, const struct tcpshake_probe_summary *s)
{
    FILE *f = o->f;
    csv_start(f, "summary", o, s->ip_version, s->addr, s->port);
    fprintf(f, ",%s,,,,,,%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%.1f",
            tcpshake_probe_state_name(s->state), s->attempts, s->n_state[TCPSHAKE_PROBE_OPEN],
            s->n_state[TCPSHAKE_PROBE_CLOSED], s->n_state[TCPSHAKE_PROBE_FILTERED],
            s->n_state[TCPSHAKE_PROBE_UNREACHABLE], s->loss_pct);
    const int64_t v[5] = { s->min_ns, s->median_ns, s->p90_ns, s->max_ns, s->stddev_ns };
    for (size_t i = 0; i < 5; i++) {
        fputc(',', f);
        put_opt_i64(f, false, v[i] != TCPSHAKE_NO_TIME, v[i]);
    }
    fputc('\n', f);
}

static void on_summary(const struct tcpshake_probe_summary *s, void *user)
{
    struct out *o = user;
    if (s->state == TCPSHAKE_PROBE_OPEN) {
        o->n_open++;
    }
    switch (o->format) {
    case FMT_TABLE:
        table_summary(o, s);
        break;
    case FMT_JSON:
        json_summary(o, s);
        break;
    case FMT_CSV:
        csv_summary(o, s);
        break;
    }
}

/* ------------------------------------------------------------------ run */

static void on_signal(int sig)
{
    (void)sig;
    struct tcpshake_probe *p = running_probe;
    if (p != NULL) {
        tcpshake_probe_stop(p);
    }
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int run(const struct probe_opts *po)
{
    struct out o;
    memset(&o, 0, sizeof(o));
    o.f = stdout;
    o.format = po->format;
    o.cfg = &po->cfg;
    o.mode = po->cfg.mode == TCPSHAKE_PROBE_SYN ? "syn" : "connect";
    o.width = isatty(STDOUT_FILENO) ? table_terminal_width(STDOUT_FILENO) : 0;
    struct tcpshake_probe *p = tcpshake_probe_new(&po->cfg, on_result, on_summary, &o);
    if (p == NULL) {
        complain("out of memory");
        return EXIT_RUNTIME;
    }
    if (o.format == FMT_CSV) {
        fputs(csv_header, o.f);
    }
    uint32_t parallel = tcpshake_probe_parallel(p);
    if (parallel < po->cfg.parallel) {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        complain("--parallel %" PRIu32 ": at most %" PRIu32
                 " attempts in flight, for the open-file limit of %llu (ulimit -n)",
                 po->cfg.parallel, parallel, (unsigned long long)rl.rlim_cur);
    }
    running_probe = p;
    catch_signals();
    enum tcpshake_status rc = tcpshake_probe_run(p);
    running_probe = NULL;
    if (rc == TCPSHAKE_OK && tcpshake_probe_parallel(p) < parallel) {
        complain("out of file descriptors: went on with at most %" PRIu32 " attempts in flight",
                 tcpshake_probe_parallel(p));
    }
    int status = o.n_open == po->cfg.n_ports ? 0 : EXIT_RUNTIME;
    if (rc == TCPSHAKE_ERR_PERM) {
        fputs("tcpshake: probe --syn: needs root or CAP_NET_RAW\n", stderr);
    } else if (rc != TCPSHAKE_OK) {
        complain("%s", tcpshake_probe_errmsg(p));
    }
    if (rc != TCPSHAKE_OK) {
        status = EXIT_RUNTIME;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        complain("write failed: %s", strerror(errno));
        status = EXIT_RUNTIME;
    }
    tcpshake_probe_free(p);
    return status;
}

int probe_main(int argc, char **argv)
{
    struct probe_opts o;
    memset(&o, 0, sizeof(o));
    tcpshake_probe_config_default(&o.cfg);
    o.ports = calloc(65535, sizeof(*o.ports));
    if (o.ports == NULL) {
        complain("out of memory");
        return EXIT_RUNTIME;
    }
    o.ports[0] = 80;
    o.cfg.n_ports = 1;
    o.cfg.ports = o.ports;
    int status = parse_args(argc, argv, &o);
    if (status < 0) {
        if (!o.format_set) {
            o.format = isatty(STDOUT_FILENO) ? FMT_TABLE : FMT_JSON;
        }
        status = run(&o);
    }
    free(o.ports);
    return status;
}
