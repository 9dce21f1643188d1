/*
 * main.c - the tcpshake command line: parse arguments, wire a source, a sink
 * and the summary to the library, report errors. No analysis happens here.
 *
 * Exit status: 0 success, 1 runtime or input failure (whatever was analysed
 * before the fault is still printed), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpshake.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

struct options {
    const char *read_path;
    enum tcpshake_format format;
    bool format_set;
    int color; /* -1 auto, 0 off, 1 on */
    bool quiet;
    struct tcpshake_config cfg;
    char *bpf; /* joined from the remaining arguments; heap */
};

struct run {
    struct tcpshake_sink *sink;
    struct tcpshake_summary *summary;
    bool write_failed;
};

/* The handle the signal handler stops; the CLI's only global. */
static struct tcpshake *volatile running_handle;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tcpshake -r FILE [options] [BPF expression]\n"
            "\n"
            "Report every TCP connection's handshake and teardown in a capture:\n"
            "who was slow (server side SYN->SYN-ACK, client side SYN-ACK->ACK)\n"
            "and who was at fault (refused, unanswered, reset, ICMP-rejected ...).\n"
            "\n"
            "  -r FILE                 read a pcap or pcapng file; '-' reads standard input\n"
            "  -o table|json|csv|zeek  output format (default: table on a terminal,\n"
            "                          json otherwise)\n"
            "  -c N                    stop after N packets\n"
            "  -n                      do not resolve names (always the case; kept for habit)\n"
            "  -q                      no summary\n"
            "  --max-flows N           connections tracked at once (default 262144);\n"
            "                          when full, half-open ones are evicted first\n"
            "  --handshake-timeout S   seconds before an unfinished handshake is decided\n"
            "                          (default 60)\n"
            "  --idle-timeout S        seconds before an idle connection is reported\n"
            "                          (default 300)\n"
            "  --color, --no-color     colour the table (default: only on a terminal)\n"
            "  -h, --help              this help\n"
            "  --version               print the version\n"
            "\n"
            "The summary goes to standard output after a table, to standard error\n"
            "after json, csv or zeek output.\n"
            "Exit status: 0 success, 1 input or runtime failure (what was analysed\n"
            "before it is still printed), 2 usage error. See tcpshake(1).\n");
}

__attribute__((format(printf, 1, 2))) static void complain(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tcpshake: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (s[0] == '-' || s[0] == '\0') {
        return false;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_format(const char *s, enum tcpshake_format *out)
{
    static const char *const names[TCPSHAKE_FORMAT_COUNT] = {
        [TCPSHAKE_FORMAT_TABLE] = "table",
        [TCPSHAKE_FORMAT_JSON] = "json",
        [TCPSHAKE_FORMAT_CSV] = "csv",
        [TCPSHAKE_FORMAT_ZEEK] = "zeek",
    };
    for (int i = 0; i < TCPSHAKE_FORMAT_COUNT; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum tcpshake_format)i;
            return true;
        }
    }
    return false;
}

/* The BPF expression is the remaining arguments joined by spaces, as tcpdump does. */
static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++) {
        len += strlen(argv[i]) + 1;
    }
    char *s = calloc(1, len);
    if (s == NULL) {
        return NULL;
    }
    for (int i = 0; i < argc; i++) {
        if (i > 0) {
            strcat(s, " ");
        }
        strcat(s, argv[i]);
    }
    return s;
}

enum {
    OPT_MAX_FLOWS = 256,
    OPT_HANDSHAKE_TIMEOUT,
    OPT_IDLE_TIMEOUT,
    OPT_COLOR,
    OPT_NO_COLOR,
    OPT_VERSION,
};

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
        { "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT },
        { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
        { "color", no_argument, NULL, OPT_COLOR },
        { "no-color", no_argument, NULL, OPT_NO_COLOR },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    uint64_t v;
    int ch;
    opterr = 0;
    for (;;) {
        /* With '+' nothing is permuted: argv[optind] is the element parsed next. */
        const char *arg = optind < argc ? argv[optind] : "";
        bool is_long = strncmp(arg, "--", 2) == 0;
        ch = getopt_long(argc, argv, "+:r:o:c:nqh", longopts, NULL);
        if (ch == -1) {
            break;
        }
        switch (ch) {
        case 'r':
            o->read_path = optarg;
            break;
        case 'o':
            if (!parse_format(optarg, &o->format)) {
                complain("-o %s: unknown format (table, json, csv or zeek)", optarg);
                return EXIT_USAGE;
            }
            o->format_set = true;
            break;
        case 'c':
            if (!parse_u64(optarg, 1, UINT64_MAX, &v)) {
                complain("-c %s: want a packet count of at least 1", optarg);
                return EXIT_USAGE;
            }
            o->cfg.max_packets = v;
            break;
        case 'n':
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case OPT_MAX_FLOWS:
            if (!parse_u64(optarg, 16, 1u << 28, &v)) {
                complain("--max-flows %s: want a number from 16 to %u", optarg, 1u << 28);
                return EXIT_USAGE;
            }
            o->cfg.max_flows = (size_t)v;
            break;
        case OPT_HANDSHAKE_TIMEOUT:
        case OPT_IDLE_TIMEOUT:
            if (!parse_u64(optarg, 1, 365u * 86400u, &v)) {
                complain("%s %s: want whole seconds from 1 to 31536000",
                         ch == OPT_IDLE_TIMEOUT ? "--idle-timeout" : "--handshake-timeout", optarg);
                return EXIT_USAGE;
            }
            if (ch == OPT_IDLE_TIMEOUT) {
                o->cfg.idle_timeout_ns = v * 1000000000u;
            } else {
                o->cfg.handshake_timeout_ns = v * 1000000000u;
            }
            break;
        case OPT_COLOR:
            o->color = 1;
            break;
        case OPT_NO_COLOR:
            o->color = 0;
            break;
        case OPT_VERSION:
            printf("tcpshake %s\n", TCPSHAKE_VERSION);
            return 0;
        case ':':
            if (is_long) {
                complain("%s: needs a value", arg);
            } else {
                complain("-%c: needs a value", optopt);
            }
            return EXIT_USAGE;
        default:
            if (is_long) {
                /* optopt is 0 for an unknown name, the option's value for "--name=x". */
                int n = (int)strcspn(arg, "=");
                complain("%.*s: %s (see tcpshake --help)", n, arg,
                         optopt != 0 && arg[n] == '=' ? "takes no value" : "unknown option");
            } else {
                complain("-%c: unknown option (see tcpshake --help)", optopt);
            }
            return EXIT_USAGE;
        }
    }
    if (o->read_path == NULL) {
        complain("no input: give -r FILE (or -r - for standard input)");
        return EXIT_USAGE;
    }
    if (optind < argc) {
        o->bpf = join_args(argc - optind, argv + optind);
        if (o->bpf == NULL) {
            complain("out of memory");
            return EXIT_RUNTIME;
        }
        o->cfg.bpf = o->bpf;
    }
    return -1;
}

static void on_record(const struct tcpshake_record *r, void *user)
{
    struct run *run = user;
    if (tcpshake_sink_write(run->sink, r) != TCPSHAKE_OK) {
        run->write_failed = true;
    }
    tcpshake_summary_add(run->summary, r);
}

static void on_signal(int sig)
{
    (void)sig;
    struct tcpshake *h = running_handle;
    if (h != NULL) {
        tcpshake_stop(h);
    }
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Open, analyse, print; returns the exit status. */
static int analyse(const struct options *o, struct run *run)
{
    struct tcpshake *h = tcpshake_new(&o->cfg, on_record, run);
    if (h == NULL) {
        complain("out of memory for %zu flows (try a smaller --max-flows)", o->cfg.max_flows);
        return EXIT_RUNTIME;
    }
    int rc = tcpshake_open_file(h, o->read_path);
    if (rc != TCPSHAKE_OK) {
        const char *name = strcmp(o->read_path, "-") == 0 ? "standard input" : o->read_path;
        if (rc == TCPSHAKE_ERR_FILTER) {
            complain("%s", tcpshake_errmsg(h));
            tcpshake_free(h);
            return EXIT_USAGE;
        }
        complain("%s: %s", name, tcpshake_errmsg(h));
        tcpshake_free(h);
        return EXIT_RUNTIME;
    }
    running_handle = h;
    catch_signals();
    rc = tcpshake_run(h);
    running_handle = NULL;
    int status = 0;
    if (tcpshake_sink_finish(run->sink) != TCPSHAKE_OK || run->write_failed) {
        complain("write failed: %s", strerror(errno));
        status = EXIT_RUNTIME;
    }
    if (!o->quiet) {
        FILE *out = o->format == TCPSHAKE_FORMAT_TABLE ? stdout : stderr;
        if (o->format == TCPSHAKE_FORMAT_TABLE) {
            fputc('\n', out);
        }
        tcpshake_summary_print(run->summary, tcpshake_get_stats(h), out);
    }
    if (rc != TCPSHAKE_OK) {
        const char *name = strcmp(o->read_path, "-") == 0 ? "standard input" : o->read_path;
        complain("%s: %s", name, tcpshake_errmsg(h));
        status = EXIT_RUNTIME;
    }
    if (fflush(stdout) != 0 && status == 0) {
        complain("write failed: %s", strerror(errno));
        status = EXIT_RUNTIME;
    }
    tcpshake_free(h);
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    memset(&o, 0, sizeof(o));
    o.color = -1;
    tcpshake_config_default(&o.cfg);
    int status = parse_args(argc, argv, &o);
    if (status >= 0) {
        free(o.bpf);
        return status;
    }
    bool tty = isatty(STDOUT_FILENO);
    if (!o.format_set) {
        o.format = tty ? TCPSHAKE_FORMAT_TABLE : TCPSHAKE_FORMAT_JSON;
    }
    unsigned flags = 0;
    if (o.color == 1 || (o.color == -1 && tty && getenv("NO_COLOR") == NULL)) {
        flags |= TCPSHAKE_SINK_COLOR;
    }
    struct run run = { 0 };
    run.sink = tcpshake_sink_new(o.format, stdout, flags);
    run.summary = tcpshake_summary_new();
    if (run.sink == NULL || run.summary == NULL) {
        complain("out of memory");
        status = EXIT_RUNTIME;
    } else {
        status = analyse(&o, &run);
    }
    tcpshake_sink_free(run.sink);
    tcpshake_summary_free(run.summary);
    free(o.bpf);
    return status;
}
