/*
 * main.c - the tcpshake command line: parse arguments, wire a source, a sink
 * and the summary to the library, report errors. No analysis happens here.
 *
 * Exit status: 0 success, 1 runtime or input failure (whatever was analysed
 * before the fault is still printed), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cli_agg.h"
#include "cli_habits.h"
#include "cli_inputs.h"
#include "cli_ladder.h"
#include "cli_metrics.h"
#include "cli_options.h"
#include "cli_p0f.h"
#include "cli_probe.h"
#include "cli_report.h"
#include "cli_rotate.h"
#include "cli_select.h"
#include "cli_streams.h"
#include "cli_summary.h"
#include "cli_table.h"
#include "cli_writer.h"
#include "tcpshake.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* The longest time option: a year. */
#define MAX_DURATION_NS (365ull * 86400u * 1000000000u)

/* Which records --events prints (bits). */
enum { EVENTS_HANDSHAKE = 1u << 0, EVENTS_CLOSE = 1u << 1 };

struct options {
    const char *read_path; /* the first file read (-r, -V) */
    struct inputs inputs;  /* every one of them (cli/inputs.c) */
    bool list_given;       /* -V */
    const char *iface;     /* -i: live capture */
    struct tcpshake_live_options live;
    bool snaplen_set;          /* --snaplen given */
    unsigned events;           /* EVENTS_* bits; EVENTS_CLOSE by default */
    uint64_t stats_interval;   /* --stats-interval in ns; 0 = none */
    const char *write_path;    /* -w */
    struct rotate_options rot; /* -C, -G, -W (cli/rotate.c) */
    bool handshake_only;       /* --handshake-only */
    const char *user;          /* -Z */
    uid_t uid;                 /* of -Z USER, looked up while parsing */
    gid_t gid;
    enum tcpshake_format format;
    bool format_set;
    int color; /* -1 auto, 0 off, 1 on */
    bool quiet;
    const char *summary_json;              /* --summary-json FILE */
    enum tcpshake_time_format time_format; /* --time-format */
    struct tcpshake_config cfg;
    struct agg_options agg;           /* --by, --bucket, --detect ... (cli/agg.c) */
    struct ladder_options ladder;     /* --ladder (cli/ladder.c) */
    struct select_options sel;        /* --outcome, --slower, --top (cli/select.c) */
    struct table_options columns;     /* --columns, -v: the terminal table's (cli/table.c) */
    char *bpf;                        /* joined from the filter words, or read by -F; heap */
    const char *filter_file;          /* -F */
    struct habits_words filter_words; /* the arguments that are not options */
    struct report_run html;           /* --html FILE (cli/report.c): only its path while parsing */
    const char *p0f_db;               /* --p0f-db FILE or none; NULL: the default (cli/p0f.c) */
    /* --metrics-listen, --metrics-file (cli/metrics.c) */
    struct metrics_options metrics;
};

struct run {
    struct tcpshake_sink *sink;
    struct writer *writer; /* with worker threads: writes to sink on its own thread */
    bool writer_wanted;    /* start one when records come thick enough (start_writer) */
    uint64_t n_sunk;       /* records handed to the sink or the writer */
    uint64_t writer_seen;  /* packets read at start_writer's last look */
    struct tcpshake_summary *summary;
    struct tcpshake_summary *interval; /* --stats-interval: this interval's handshakes */
    FILE *summary_json;                /* --summary-json: opened before the run */
    FILE *interval_out;                /* where interval blocks go */
    bool interval_json;                /* -o json: each one a JSON object */
    uint64_t interval_ns;              /* --stats-interval */
    unsigned events;                   /* EVENTS_* */
    bool live;                         /* flush after every record */
    bool write_failed;
    int write_errno;                  /* of the first write that failed */
    bool out_gone;                    /* standard output's reader went away (EPIPE) */
    bool time_origin;                 /* --time-format offset: the sink has its origin */
    struct agg_run agg;               /* health rows and detectors (cli/agg.c) */
    struct agg_ticker ticker;         /* live rows: the interval callback's own period */
    struct select_run sel;            /* which records are written (cli/select.c) */
    struct table *table;              /* the terminal's table instead of the sink, or NULL */
    struct rotator rotator;           /* -w rotation: the next file (cli/rotate.c) */
    struct tcpshake_ladders *ladders; /* --ladder: collected during the run */
    struct report_run html;           /* --html: the report and its file (cli/report.c) */
    bool color;                       /* --ladder: colour the ladders */
    struct tcpshake *h;      /* while it runs: to stop it, and the progress line's packet count */
    uint64_t start_ns;       /* progress line: when reading started */
    uint64_t drawn_ns;       /* when it was last drawn; 0 = not on screen */
    char progress_line[128]; /* its text, to draw it again after an alert */
    bool alert_hid_progress; /* an alert is being written where it was */
    /* --metrics-listen / --metrics-file; NULL without */
    struct metrics *metrics;
};

/* The handle the signal handler stops; the CLI's only global. */
static struct tcpshake *volatile running_handle;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tcpshake -r FILE [options] [BPF expression] [options]\n"
            "       tcpshake -i IFACE [options] [BPF expression] [options]\n"
            "       tcpshake probe HOST [options]   (active probing: tcpshake probe --help)\n"
            "\n"
            "Report every TCP connection's handshake and teardown in a capture:\n"
            "who was slow (server side SYN->SYN-ACK, client side SYN-ACK->ACK)\n"
            "and who was at fault (refused, unanswered, reset, ICMP-rejected ...).\n"
            "\n"
            "  -r FILE                 read a pcap or pcapng file, also gzip or zstd\n"
            "                          compressed; '-' reads standard input. Given again,\n"
            "                          the files are merged by packet time into one\n"
            "                          analysis (a connection may cross files)\n"
            "  -V LISTFILE             read the files listed in LISTFILE, one per line,\n"
            "                          merged as with several -r\n"
            "  -i IFACE                capture live on an interface ('any': all of them);\n"
            "                          Ctrl-C (or SIGTERM) ends it: open connections are\n"
            "                          reported with end=open, then the summary\n"
            "  --snaplen N             live: bytes kept per packet (default 384, the\n"
            "                          headers; with -w 262144, whole packets)\n"
            "  -B KIB                  live: kernel capture buffer in KiB (default 32768)\n"
            "  --no-promisc            live: do not put the interface in promiscuous mode\n"
            "  -Z USER                 live: drop privileges to USER once the capture is open\n"
            "  -w FILE                 save the packets read (after the filter) to a pcap\n"
            "                          file; never the capture being read (by any name)\n"
            "  -C MB                   with -w: a new file before one would pass MB million\n"
            "                          bytes: FILE, FILE1, FILE2 ... as tcpdump names them\n"
            "  -G SECONDS              with -w: a new file every SECONDS of capture time,\n"
            "                          FILE an strftime(3) pattern (local time)\n"
            "  -W N                    with -C: a ring of N files FILE0 ... (oldest\n"
            "                          overwritten); with -G: stop after N files\n"
            "  --handshake-only        with -w: save only SYNs, SYN-ACKs, the ACK completing\n"
            "                          a handshake, FINs, RSTs and ICMP errors about them\n"
            "  --events close|handshake|all\n"
            "                          close: one record per connection when it ends\n"
            "                          (default); handshake: one when its handshake outcome\n"
            "                          is decided; all: both, with an \"event\" field\n"
            "  --stats-interval D      every D (capture time; wall time live) print the\n"
            "                          handshakes decided in that interval: outcomes,\n"
            "                          latency percentiles, top servers (-o json: one\n"
            "                          JSON object per interval, on standard error)\n"
            "  -o table|json|csv|zeek|zeek-json\n"
            "                          output format, in any case (default: table on a\n"
            "                          terminal, json otherwise); zeek: conn.log TSV,\n"
            "                          zeek-json: conn.log as Zeek's JSON writer\n"
            "  --time-format ns|s|iso|offset\n"
            "                          times of json and csv records: ns since the epoch\n"
            "                          (default; exact, but above 2^53 for JavaScript and\n"
            "                          jq 1.6), \"seconds.nanoseconds\", ISO-8601 UTC, or ns\n"
            "                          since the input's first packet\n"
            "  --columns LIST          table: these columns, e.g. time,client,server,outcome\n"
            "                          (names as the JSON fields; see tcpshake(1)); also\n"
            "                          sni,tls_ms,tls_cli_ms,tls_ver,ja4 (TLS)\n"
            "  -v                      table: every column\n"
            "  -F FILE                 read the BPF expression from FILE ('#' comments)\n"
            "  -c N                    stop after N packets\n"
            "  -n                      do not resolve names (always the case; kept for habit)\n"
            "  -q                      no summary\n");
    fputs("  --summary-json FILE     also write the summary as one JSON object to FILE\n"
          "                          ('-': standard output, after the records)\n"
          "  --max-flows N           connections tracked at once (default 262144);\n"
          "                          when full, half-open ones are evicted first\n"
          "  --handshake-timeout D   time before an unfinished handshake is decided\n"
          "                          (default 60s)\n"
          "  --idle-timeout D        time before an idle connection is reported\n"
          "                          (default 5m)\n"
          "  --threads N             analyse on N threads (1-64; default 0: one per\n"
          "                          online CPU): one reads, N-1 track connections;\n"
          "                          same output as one thread, unless --max-flows\n"
          "                          (split between 2 or more trackers) fills up;\n"
          "                          --handshake-only always uses one\n"
          "  --p0f-db FILE|none      p0f database labelling each side's p0f signature\n"
          "                          (default: /etc/p0f/p0f.fp when readable, else none)\n"
          "  --color, --no-color     colour the table (default: only on a terminal)\n",
          out);
    agg_usage(out);
    report_usage(out);
    ladder_usage(out);
    select_usage(out);
    metrics_usage(out);
    fprintf(out, "  -h, --help              this help\n"
                 "  --version               print the version\n"
                 "\n"
                 "Options may follow the BPF expression, as with tcpdump; '--' ends them.\n"
                 "A duration D is a number and a unit: ns, us, ms, s, m, h or d (500ms,\n"
                 "1.5s, 5m, 1h); a bare number is seconds.\n"
                 "On a terminal the table fits its width: time (of the SYN, UTC), client,\n"
                 "server, outcome, srv_ms, cli_ms, end, state (state, end, time go first\n"
                 "when narrow); long addresses are shortened in the middle. Into a pipe\n"
                 "or a file all the columns, as ever.\n"
                 "The summary (and each --stats-interval block) goes to standard output\n"
                 "after a table, to standard error after json, csv or zeek output.\n"
                 "Exit status: 0 success (also when Ctrl-C ends a live capture), 1 input\n"
                 "or runtime failure (what was analysed before it is still printed; a\n"
                 "closed or full standard output or error too), 2 usage error or bad\n"
                 "filter. When the reader of standard output goes away (| head), the\n"
                 "-w file is closed on a whole record, then SIGPIPE ends tcpshake (141).\n"
                 "TCPSHAKE_HASH_KEY=<32 hex digits> pins the flow table's hash key (default:\n"
                 "a fresh secret per run); for reproducible tests and benchmarks only.\n"
                 "See tcpshake(1).\n");
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
        [TCPSHAKE_FORMAT_ZEEK_JSON] = "zeek-json",
    };
    for (int i = 0; i < TCPSHAKE_FORMAT_COUNT; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum tcpshake_format)i;
            return true;
        }
    }
    return false;
}

static bool parse_events(const char *s, unsigned *out)
{
    if (strcmp(s, "close") == 0) {
        *out = EVENTS_CLOSE;
    } else if (strcmp(s, "handshake") == 0) {
        *out = EVENTS_HANDSHAKE;
    } else if (strcmp(s, "all") == 0) {
        *out = EVENTS_HANDSHAKE | EVENTS_CLOSE;
    } else {
        return false;
    }
    return true;
}

/* -Z USER: look the user up now, so a typo fails before the capture starts. */
static int parse_user(const char *name, struct options *o)
{
    errno = 0;
    const struct passwd *pw = getpwnam(name);
    if (pw == NULL) {
        complain("-Z %s: %s", name, errno != 0 ? strerror(errno) : "no such user");
        return EXIT_USAGE;
    }
    o->user = name;
    o->uid = pw->pw_uid;
    o->gid = pw->pw_gid;
    return 0;
}

enum {
    OPT_MAX_FLOWS = CLI_OPT_MAIN,
    OPT_HANDSHAKE_TIMEOUT,
    OPT_IDLE_TIMEOUT,
    OPT_COLOR,
    OPT_NO_COLOR,
    OPT_VERSION,
    OPT_SNAPLEN,
    OPT_NO_PROMISC,
    OPT_EVENTS,
    OPT_STATS_INTERVAL,
    OPT_HANDSHAKE_ONLY,
    OPT_THREADS,
    OPT_SUMMARY_JSON,
    OPT_COLUMNS,
    OPT_P0F_DB,
    OPT_TIME_FORMAT,
};

/* Each part's option codes stay in its own range (cli_options.h). */
#define IN_RANGE(last, base) ((last) < (base) + CLI_OPT_RANGE)
_Static_assert(IN_RANGE(OPT_TIME_FORMAT, CLI_OPT_MAIN), "main's options overflow their range");
_Static_assert(IN_RANGE(AGG_OPT_FAIL_MIN, CLI_OPT_AGG), "agg's options overflow their range");
_Static_assert(IN_RANGE(LADDER_OPT_MAX, CLI_OPT_LADDER), "ladder's options overflow");
_Static_assert(IN_RANGE(METRICS_OPT_FILE, CLI_OPT_METRICS), "metrics' options overflow");
_Static_assert(IN_RANGE(REPORT_OPT_HTML, CLI_OPT_REPORT), "report's options overflow");
_Static_assert(IN_RANGE(SELECT_OPT_SORT, CLI_OPT_SELECT), "select's options overflow");

static bool parse_time_format(const char *s, enum tcpshake_time_format *tf)
{
    for (int i = 0; i < TCPSHAKE_TIME_FORMAT_COUNT; i++) {
        if (strcmp(s, tcpshake_time_format_name((enum tcpshake_time_format)i)) == 0) {
            *tf = (enum tcpshake_time_format)i;
            return true;
        }
    }
    return false;
}

/* The options of live capture, -w and events. -1: not one of them; else 0 or an exit status. */
static int parse_live_option(int ch, const char *arg, struct options *o)
{
    uint64_t v;
    switch (ch) {
    case 'i':
        o->iface = arg;
        return 0;
    case 'w':
        o->write_path = arg;
        return 0;
    case 'Z':
        return parse_user(arg, o);
    case OPT_SNAPLEN:
        if (!parse_u64(arg, 64, 262144, &v)) {
            complain("--snaplen %s: want a number of bytes from 64 to 262144", arg);
            return EXIT_USAGE;
        }
        o->live.snaplen = (int)v;
        o->snaplen_set = true;
        return 0;
    case 'B':
        if (!parse_u64(arg, 256, 4194304, &v)) {
            complain("-B %s: want a buffer size in KiB from 256 to 4194304", arg);
            return EXIT_USAGE;
        }
        o->live.buffer_kib = (int)v;
        return 0;
    case OPT_NO_PROMISC:
        o->live.promisc = false;
        return 0;
    case OPT_EVENTS:
        if (!parse_events(arg, &o->events)) {
            complain("--events %s: want close, handshake or all", arg);
            return EXIT_USAGE;
        }
        return 0;
    case OPT_STATS_INTERVAL:
        if (!habits_duration(arg, &v) || v < 1000000u || v > MAX_DURATION_NS) {
            complain("--stats-interval %s: want %s, from 1ms to 365d", arg, HABITS_DURATION_WORDS);
            return EXIT_USAGE;
        }
        o->stats_interval = v;
        return 0;
    case OPT_HANDSHAKE_ONLY:
        o->handshake_only = true;
        return 0;
    default:
        return -1;
    }
}

/* Combinations that make no sense. -1 when all is well, else an exit status. */
static int check_live_options(const struct options *o)
{
    if (o->read_path != NULL && o->iface != NULL) {
        complain("-r and -i: read a file or capture live, not both");
        return EXIT_USAGE;
    }
    if (o->handshake_only && o->write_path == NULL) {
        complain("--handshake-only: needs -w FILE");
        return EXIT_USAGE;
    }
    if (o->write_path != NULL && strcmp(o->write_path, "-") == 0) {
        /* The records always go to standard output: the two would be mixed. */
        complain("-w -: the records already go to standard output; give -w a file name");
        return EXIT_USAGE;
    }
    if ((o->events & EVENTS_HANDSHAKE) && o->format_set &&
        (o->format == TCPSHAKE_FORMAT_ZEEK || o->format == TCPSHAKE_FORMAT_ZEEK_JSON)) {
        complain("--events: zeek output has one row per connection (use json, csv or table)");
        return EXIT_USAGE;
    }
    if (o->columns.chosen && o->format_set && o->format != TCPSHAKE_FORMAT_TABLE) {
        complain("--columns, -v: they choose the table's columns (-o table)");
        return EXIT_USAGE;
    }
    if (o->user != NULL && o->iface == NULL) {
        complain("-Z %s: only with -i (live capture)", o->user);
        return EXIT_USAGE;
    }
    return -1;
}

/* The library's verdict on the configuration, in the words of the options that
 * set it. -1 when all is well, else an exit status. */
static int check_config(const struct tcpshake_config *cfg)
{
    static const struct {
        const char *field, *option;
    } names[] = {
        { "max_flows", "--max-flows" },
        { "threads", "--threads" },
    };
    char msg[256];
    if (tcpshake_config_check(cfg, msg, sizeof(msg)) == TCPSHAKE_OK) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i].field);
        if (strncmp(msg, names[i].field, n) == 0 && msg[n] == ' ') {
            complain("%s%s", names[i].option, msg + n);
            return EXIT_USAGE;
        }
    }
    complain("%s", msg);
    return EXIT_USAGE;
}

/* -r FILE or -V LISTFILE: one more input, or all those listed. -1 or an exit status. */
static int add_input(struct options *o, int ch, const char *arg)
{
    const char *what = NULL;
    char why[256];
    if (ch == 'r' && !inputs_add(&o->inputs, arg, &what)) {
        complain("-r %s: %s", arg, what);
        return EXIT_USAGE;
    }
    if (ch == 'V' && !inputs_add_list(&o->inputs, arg, why, sizeof(why))) {
        complain("-V %s: %s", arg, why);
        return EXIT_RUNTIME;
    }
    o->list_given = o->list_given || ch == 'V';
    o->read_path = o->inputs.paths[0];
    return -1;
}

/* The filter: the words among the arguments, or -F's file; -1 or an exit status. */
static int take_filter(struct options *o)
{
    if (o->filter_file != NULL && o->filter_words.n > 0) {
        complain("-F %s: the filter is in the file; the command line has one too ('%s' ...)",
                 o->filter_file, o->filter_words.words[0]);
        return EXIT_USAGE;
    }
    if (o->filter_file != NULL) {
        const char *why;
        o->bpf = habits_read_filter(o->filter_file, &why);
        if (o->bpf == NULL) {
            complain("-F %s: %s", o->filter_file, why);
            return strcmp(why, "out of memory") == 0 ? EXIT_RUNTIME : EXIT_USAGE;
        }
    } else if (o->filter_words.n > 0) {
        o->bpf = habits_words_join(&o->filter_words);
        if (o->bpf == NULL) {
            complain("out of memory");
            return EXIT_RUNTIME;
        }
    }
    o->cfg.bpf = o->bpf;
    return -1;
}

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
        { "snaplen", required_argument, NULL, OPT_SNAPLEN },
        { "no-promisc", no_argument, NULL, OPT_NO_PROMISC },
        { "events", required_argument, NULL, OPT_EVENTS },
        { "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
        { "handshake-only", no_argument, NULL, OPT_HANDSHAKE_ONLY },
        { "threads", required_argument, NULL, OPT_THREADS },
        { "summary-json", required_argument, NULL, OPT_SUMMARY_JSON },
        { "columns", required_argument, NULL, OPT_COLUMNS },
        { "p0f-db", required_argument, NULL, OPT_P0F_DB },
        { "time-format", required_argument, NULL, OPT_TIME_FORMAT },
        AGG_LONGOPTS REPORT_LONGOPTS LADDER_LONGOPTS SELECT_LONGOPTS METRICS_LONGOPTS{ NULL, 0,
                                                                                       NULL, 0 },
    };
    uint64_t v;
    int ch;
    opterr = 0;
    for (;;) {
        /* With '+' nothing is permuted: argv[optind] is the element parsed next. */
        const char *arg = optind < argc ? argv[optind] : "";
        bool is_long = strncmp(arg, "--", 2) == 0;
        ch = getopt_long(argc, argv, "+:r:o:c:nqhi:w:Z:B:V:C:G:W:F:v", longopts, NULL);
        if (ch == -1) {
            /* A filter word: options may follow it, as tcpdump allows ("--" ends them). */
            if (habits_take_word(&o->filter_words, argc, argv, &optind, arg)) {
                continue;
            }
            break;
        }
        int live_rc = parse_live_option(ch, optarg, o);
        if (live_rc == -1) {
            live_rc = agg_parse_option(ch, optarg, &o->agg);
        }
        if (live_rc == -1) {
            live_rc = rotate_parse_option(ch, optarg, &o->rot);
        }
        if (live_rc == -1) {
            live_rc = report_parse_option(ch, optarg, &o->html);
        }
        if (live_rc == -1) {
            live_rc = ladder_parse_option(ch, optarg, &o->ladder);
        }
        if (live_rc == -1) {
            live_rc = select_parse_option(ch, optarg, &o->sel);
        }
        if (live_rc == -1) {
            live_rc = metrics_parse_option(ch, optarg, &o->metrics);
        }
        if (live_rc != -1) {
            if (live_rc != 0) {
                return live_rc;
            }
            continue;
        }
        switch (ch) {
        case 'r':
        case 'V': {
            int in_rc = add_input(o, ch, optarg);
            if (in_rc >= 0) {
                return in_rc;
            }
            break;
        }
        case 'F':
            o->filter_file = optarg;
            break;
        case 'v':
            table_all_columns(&o->columns);
            break;
        case OPT_COLUMNS: {
            char bad[64];
            if (!table_parse_columns(optarg, &o->columns, bad, sizeof(bad))) {
                fprintf(stderr, "tcpshake: --columns %s: unknown column '%s' (columns: ", optarg,
                        bad);
                table_print_names(stderr);
                fputs(")\n", stderr);
                return EXIT_USAGE;
            }
            break;
        }
        case 'o':
            if (!parse_format(optarg, &o->format)) {
                complain("-o %s: unknown format (table, json, csv, zeek or zeek-json)", optarg);
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
            /* The range is the library's to say (check_config). */
            if (!parse_u64(optarg, 0, SIZE_MAX, &v)) {
                complain("--max-flows %s: want a number", optarg);
                return EXIT_USAGE;
            }
            o->cfg.max_flows = (size_t)v;
            break;
        case OPT_HANDSHAKE_TIMEOUT:
        case OPT_IDLE_TIMEOUT:
            if (!habits_duration(optarg, &v) || v < 1000000u || v > MAX_DURATION_NS) {
                complain("%s %s: want %s, from 1ms to 365d",
                         ch == OPT_IDLE_TIMEOUT ? "--idle-timeout" : "--handshake-timeout", optarg,
                         HABITS_DURATION_WORDS);
                return EXIT_USAGE;
            }
            if (ch == OPT_IDLE_TIMEOUT) {
                o->cfg.idle_timeout_ns = v;
            } else {
                o->cfg.handshake_timeout_ns = v;
            }
            break;
        case OPT_THREADS:
            /* 0: one per CPU (pick_threads); the upper bound is the library's. */
            if (!parse_u64(optarg, 0, UINT_MAX, &v)) {
                complain("--threads %s: want a number (0: one per CPU)", optarg);
                return EXIT_USAGE;
            }
            o->cfg.threads = (unsigned)v;
            break;
        case OPT_SUMMARY_JSON:
            o->summary_json = optarg;
            break;
        case OPT_P0F_DB:
            o->p0f_db = optarg;
            break;
        case OPT_TIME_FORMAT:
            if (!parse_time_format(optarg, &o->time_format)) {
                complain("--time-format %s: want ns, s, iso or offset", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_COLOR:
            o->color = 1;
            break;
        case OPT_NO_COLOR:
            o->color = 0;
            break;
        case OPT_VERSION:
            printf("tcpshake %s\n", tcpshake_version());
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
                const char *near = optopt == 0 ? habits_suggest(arg, longopts) : NULL;
                if (near != NULL) {
                    complain("%.*s: unknown option; did you mean --%s? (see tcpshake --help)", n,
                             arg, near);
                } else {
                    complain("%.*s: %s (see tcpshake --help)", n, arg,
                             optopt != 0 && arg[n] == '=' ? "takes no value" : "unknown option");
                }
            } else {
                complain("-%c: unknown option (see tcpshake --help)", optopt);
            }
            return EXIT_USAGE;
        }
    }
    int rc = check_config(&o->cfg);
    if (rc >= 0) {
        return rc;
    }
    if (o->read_path == NULL && o->iface == NULL) {
        complain("no input: give -r FILE (or -r - for standard input) or -i IFACE");
        return EXIT_USAGE;
    }
    rc = check_live_options(o);
    if (rc < 0) {
        rc = agg_check_options(&o->agg);
    }
    if (rc < 0 && rotate_check(&o->rot, o->write_path != NULL) != 0) {
        rc = EXIT_USAGE;
    }
    if (rc < 0) {
        rc = ladder_check_options(&o->ladder, o->format_set, o->agg.by);
    }
    if (rc < 0) {
        rc = select_check_options(&o->sel, o->agg.by);
    }
    if (rc < 0) {
        rc = report_check_options(&o->html, o->ladder.on);
    }
    if (rc >= 0) {
        return rc;
    }
    /* Nothing saved: the analysis reads headers only, and small slots let the
     * kernel's buffer hold far more packets while the reader is held up. */
    if (!o->snaplen_set && o->write_path == NULL) {
        o->live.snaplen = TCPSHAKE_SNAPLEN_HEADERS;
    }
    if (o->filter_words.n > 0 && o->read_path != NULL &&
        inputs_file_not_filter(o->filter_words.words[0])) {
        complain("%s: a file, not a filter expression; to read several captures give -r "
                 "once for each (or -V LISTFILE)",
                 o->filter_words.words[0]);
        return EXIT_USAGE;
    }
    return take_filter(o);
}

/* A write to standard output that failed, as its errno (0: none). When its
 * reader went away (tcpshake ... | head -1) nothing more can be said to it:
 * stop reading, and end as SIGPIPE would have (end_streams). */
static void take_write_error(struct run *run, int error)
{
    if (error == 0) {
        return;
    }
    bool first = !run->write_failed;
    if (first) {
        run->write_failed = true;
        run->write_errno = error;
    }
    /* A poll for the first failure only: a full disk fails every record after it. */
    if (!run->out_gone && (error == EPIPE || (first && streams_reader_gone()))) {
        run->out_gone = true;
        if (run->h != NULL) {
            tcpshake_stop(run->h);
        }
    }
}

/*
 * With worker threads, the calling thread reads, decodes and merges, and
 * formatting every record there too can make it the bottleneck: a thread of
 * its own then formats them (cli/writer.c). That pays when records are many
 * (a SYN flood: one per packet, two threads 1.36x faster with it) and costs
 * when they are few (ordinary traffic, one per 30 packets: two threads took
 * 0.94 of the time without it, its wake-ups taking a core from the reader and
 * the worker). So the calling thread writes the first records itself and
 * starts the writer once the last WRITER_CHECK records came at one per
 * WRITER_PACKETS packets or more. The records go out in the same order either
 * way.
 */
#define WRITER_CHECK   4096 /* records between looks */
#define WRITER_PACKETS 4

static void start_writer(struct run *run)
{
    uint64_t packets = tcpshake_get_stats(run->h)->packets_read;
    if (WRITER_CHECK * WRITER_PACKETS >= packets - run->writer_seen) {
        run->writer_wanted = false; /* one try: NULL writes on this thread */
        run->writer = writer_start(run->sink);
    }
    run->writer_seen = packets;
}

static void write_record(enum tcpshake_event ev, const struct tcpshake_record *r, void *user)
{
    struct run *run = user;
    if (run->table != NULL && !run->out_gone) {
        errno = 0;
        bool ok = table_write(run->table, ev, r) && (!run->live || fflush(stdout) == 0);
        if (!ok) {
            take_write_error(run, errno != 0 ? errno : EIO);
        }
        return;
    }
    if (run->sink == NULL || run->out_gone) {
        return; /* --by: health rows instead of records; or nobody reads them */
    }
    /* Offsets count from the input's first packet, read before any record is made. */
    if (!run->time_origin && run->h != NULL) {
        tcpshake_sink_set_time_origin(run->sink, tcpshake_get_stats(run->h)->first_ns);
        run->time_origin = true;
    }
    if (run->writer_wanted && ++run->n_sunk % WRITER_CHECK == 0) {
        start_writer(run);
    }
    if (run->writer != NULL) {
        take_write_error(run, writer_put(run->writer, ev, r));
        return;
    }
    errno = 0;
    bool ok = tcpshake_sink_write_event(run->sink, ev, r) == TCPSHAKE_OK;
    /* Live, a pipeline reading us sees each record at once. */
    if (ok && run->live) {
        ok = fflush(stdout) == 0;
    }
    if (!ok) {
        take_write_error(run, errno != 0 ? errno : EIO);
    }
}

/* A record through the selection (--outcome, --slower, --top) to the sink. */
static void put_record(struct run *run, enum tcpshake_event ev, const struct tcpshake_record *r)
{
    if (select_take(&run->sel, ev, r)) {
        write_record(ev, r, run);
    }
}

static void on_record(const struct tcpshake_record *r, void *user)
{
    struct run *run = user;
    if (run->events & EVENTS_CLOSE) {
        put_record(run, TCPSHAKE_EVENT_CLOSE, r);
    }
    tcpshake_summary_add(run->summary, r);
    agg_record(&run->agg, r);
    tcpshake_report_add(run->html.report, r);
    if (run->metrics != NULL) {
        metrics_record(run->metrics, r, run->h != NULL ? tcpshake_get_stats(run->h) : NULL);
    }
}

static void on_event(enum tcpshake_event ev, const struct tcpshake_record *r, void *user)
{
    struct run *run = user;
    if (run->events & EVENTS_HANDSHAKE) {
        put_record(run, ev, r);
    }
    tcpshake_summary_add(run->interval, r);
    agg_event(&run->agg, r);
}

/* ISO-8601 UTC to the second; to the millisecond when the interval is not whole seconds. */
static const char *iso_seconds(uint64_t ns, bool ms, char *buf, size_t len)
{
    time_t sec = (time_t)(ns / 1000000000u);
    struct tm tm;
    char whole[32];
    if (gmtime_r(&sec, &tm) == NULL ||
        strftime(whole, sizeof(whole), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(buf, len, "?");
    } else if (ms) {
        snprintf(buf, len, "%s.%03uZ", whole, (unsigned)(ns / 1000000u % 1000u));
    } else {
        snprintf(buf, len, "%sZ", whole);
    }
    return buf;
}

/* --stats-interval: the handshakes decided in [start_ns, end_ns), then a fresh summary. */
static void on_interval(uint64_t start_ns, uint64_t end_ns, void *user)
{
    struct run *run = user;
    char a[40], b[40];
    if (run->ticker.tick_ns != 0) {
        /* Live rows: every expiry before start_ns has been reported (the sweep at the
         * clock that ended the last interval), so the rows due by then are final. */
        if (!run->out_gone && !agg_clock(&run->agg, start_ns)) {
            take_write_error(run, errno != 0 ? errno : EIO);
        }
        if (!agg_ticker_block(&run->ticker, &start_ns, &end_ns)) {
            return;
        }
    }
    if (run->metrics != NULL) {
        metrics_tick(run->metrics, run->h != NULL ? tcpshake_get_stats(run->h) : NULL);
    }
    if (run->interval == NULL) {
        return;
    }
    /* After the records before it, which may still be on their way. */
    if (run->writer != NULL) {
        take_write_error(run, writer_sync(run->writer));
    }
    bool ms = run->interval_ns % 1000000000u != 0;
    if (run->interval_json) {
        /* One line, as the records are: an error on standard error is not the run's. */
        (void)tcpshake_summary_write_interval_json(run->interval, start_ns, end_ns,
                                                   run->interval_out);
    } else {
        fprintf(run->interval_out, "\ninterval %s to %s:\n",
                iso_seconds(start_ns, ms, a, sizeof(a)), iso_seconds(end_ns, ms, b, sizeof(b)));
        tcpshake_summary_print(run->interval, NULL, run->interval_out);
    }
    tcpshake_summary_free(run->interval);
    run->interval = cli_summary_new(); /* NULL (out of memory) only skips blocks */
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A progress line on standard error, at most 4 times a second, after the first second. */
static void on_progress(uint64_t done, uint64_t total, void *user)
{
    struct run *run = user;
    uint64_t now = monotonic_ns();
    if (run->start_ns == 0) {
        run->start_ns = now;
        return;
    }
    uint64_t elapsed = now - run->start_ns;
    if (elapsed < 1000000000u || now - run->drawn_ns < 250000000u) {
        return;
    }
    run->drawn_ns = now;
    double secs = (double)elapsed / 1e9;
    double pps = (double)tcpshake_get_stats(run->h)->packets_read / secs;
    char *line = run->progress_line;
    size_t len = sizeof(run->progress_line);
    if (total >= done && total > 0) {
        double left = done > 0 ? (double)(total - done) * secs / (double)done : 0;
        unsigned eta = (unsigned)left;
        snprintf(line, len, "%.0f / %.0f MB (%.0f%%), %.2f M packets/s, ETA %u:%02u ",
                 (double)done / 1e6, (double)total / 1e6, 100.0 * (double)done / (double)total,
                 pps / 1e6, eta / 60, eta % 60);
    } else {
        /* A pipe: no size to compare with, so the bytes read so far, finer. */
        snprintf(line, len, "%.1f MB read, %.2f M packets/s ", (double)done / 1e6, pps / 1e6);
    }
    fprintf(stderr, "\r%s", line);
}

/* Take the progress line off the screen before anything else goes to standard error. */
static void clear_progress(struct run *run)
{
    if (run->drawn_ns != 0) {
        fputs("\r\033[K", stderr);
        run->drawn_ns = 0;
    }
}

/* --detect: an alert goes to standard error: take the progress line off
 * first (before), draw it again after, so that the alert stays readable. */
static void around_alert(bool before, void *user)
{
    struct run *run = user;
    if (before) {
        run->alert_hid_progress = run->drawn_ns != 0;
        clear_progress(run);
    } else if (run->alert_hid_progress) {
        fprintf(stderr, "\r%s", run->progress_line);
        run->drawn_ns = monotonic_ns();
        run->alert_hid_progress = false;
    }
}

/* -Z: give up root once the interface (and the -w file) are open, as tcpdump does. */
static int drop_privileges(const struct options *o)
{
    if (initgroups(o->user, o->gid) != 0 || setgid(o->gid) != 0 || setuid(o->uid) != 0) {
        complain("-Z %s: cannot switch to that user: %s", o->user, strerror(errno));
        return EXIT_RUNTIME;
    }
    return 0;
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

static const char *input_name(const struct options *o)
{
    if (o->iface != NULL) {
        return o->iface;
    }
    return strcmp(o->read_path, "-") == 0 ? "standard input" : o->read_path;
}

/* Several files (-r twice, -V): the library's messages name the file themselves. */
static bool several_files(const struct options *o)
{
    return o->inputs.n > 1 || o->list_given;
}

/* What went wrong with the input, named once. */
static void complain_input(const struct options *o, struct tcpshake *h)
{
    if (several_files(o)) {
        complain("%s", tcpshake_errmsg(h));
    } else {
        complain("%s: %s", input_name(o), tcpshake_errmsg(h));
    }
}

/* -C, -G: the files come from cli/rotate.c; the first one now, unless its name
 * depends on the first packet's time (-G). -1 or an exit status. */
static int open_rotation(const struct options *o, struct run *run, struct tcpshake *h)
{
    struct rotator *r = &run->rotator;
    r->opt = &o->rot;
    r->pattern = o->write_path;
    r->inputs = o->inputs.paths;
    r->n_inputs = o->inputs.n;
    unsigned flags = o->handshake_only ? TCPSHAKE_DUMP_HANDSHAKE_ONLY : 0;
    FILE *fp = NULL;
    if (o->rot.every_s == 0 && rotate_next(0, TCPSHAKE_ROTATE_FIRST, &fp, r) != TCPSHAKE_OK) {
        complain("-w %s", r->why);
        return r->refused ? EXIT_USAGE : EXIT_RUNTIME;
    }
    struct tcpshake_dump_rotation rot = { o->rot.max_bytes, o->rot.every_s * 1000000000u,
                                          rotate_next, r };
    if ((fp != NULL && tcpshake_dump_stream(h, fp, flags) != TCPSHAKE_OK) ||
        tcpshake_dump_rotate(h, &rot, flags) != TCPSHAKE_OK) {
        complain("-w %s: %s", o->write_path, tcpshake_errmsg(h));
        return EXIT_RUNTIME;
    }
    return -1;
}

/* -w: the file opened, checked and truncated in cli/streams.c, then handed over. */
static int open_dump(const struct options *o, struct run *run, struct tcpshake *h)
{
    if (rotate_wanted(&o->rot)) {
        return open_rotation(o, run, h);
    }
    const char *why;
    bool refused;
    FILE *fp = streams_open_dump(o->write_path, o->inputs.paths, o->inputs.n, &why, &refused);
    if (fp == NULL) {
        complain("-w %s: %s", o->write_path, why);
        return refused ? EXIT_USAGE : EXIT_RUNTIME;
    }
    unsigned flags = o->handshake_only ? TCPSHAKE_DUMP_HANDSHAKE_ONLY : 0;
    if (tcpshake_dump_stream(h, fp, flags) != TCPSHAKE_OK) { /* owns fp now */
        complain("-w %s: %s", o->write_path, tcpshake_errmsg(h));
        return EXIT_RUNTIME;
    }
    return -1;
}

/* Open the file or interface, the -w file, then drop privileges. -1 or an exit status. */
static int open_input(const struct options *o, struct run *run, struct tcpshake *h)
{
    enum tcpshake_status rc = o->iface != NULL ? tcpshake_open_live(h, o->iface, &o->live)
                              : several_files(o)
                                      ? tcpshake_open_files(h, o->inputs.paths, o->inputs.n)
                                      : tcpshake_open_file(h, o->read_path);
    if (rc == TCPSHAKE_ERR_FILTER || rc == TCPSHAKE_ERR_ARG) {
        complain("%s", tcpshake_errmsg(h));
        return EXIT_USAGE;
    }
    if (rc != TCPSHAKE_OK && o->iface != NULL) {
        complain("%s", tcpshake_errmsg(h)); /* names the interface already */
        return EXIT_RUNTIME;
    }
    if (rc != TCPSHAKE_OK) {
        complain_input(o, h);
        return EXIT_RUNTIME;
    }
    if (o->iface != NULL && tcpshake_errmsg(h)[0] != '\0') {
        complain("warning: %s", tcpshake_errmsg(h)); /* e.g. promiscuous mode unsupported */
    }
    if (o->write_path != NULL) {
        rc = open_dump(o, run, h);
        if (rc >= 0) {
            return rc;
        }
    }
    if (o->user != NULL) {
        rc = drop_privileges(o);
        if (rc != 0) {
            return rc;
        }
    }
    return -1;
}

/* After the run: the sink's trailer, the --by rows, the summary. 0 or EXIT_RUNTIME. */
static int report(const struct options *o, struct run *run, struct tcpshake *h)
{
    if (!run->out_gone) {
        errno = 0;
        bool ok = agg_finish(&run->agg, o->format, tcpshake_get_stats(h));
        if (run->sink != NULL && tcpshake_sink_finish(run->sink) != TCPSHAKE_OK) {
            ok = false;
        }
        if (run->table != NULL && !table_finish(run->table)) {
            ok = false;
        }
        if (!ok) {
            take_write_error(run, errno != 0 ? errno : EIO);
        }
    }
    /* Whatever became of standard output, the page has its own file. */
    bool html_ok = report_finish(&run->html, tcpshake_get_stats(h));
    if (run->out_gone) {
        return 0; /* no summary either: end_streams ends tcpshake as SIGPIPE would */
    }
    int status = html_ok ? 0 : EXIT_RUNTIME;
    if (run->write_failed) {
        complain("write failed: %s", strerror(run->write_errno));
        status = EXIT_RUNTIME;
    }
    if (run->summary_json != NULL && !cli_summary_json_write(run->summary_json, o->summary_json,
                                                             run->summary, tcpshake_get_stats(h))) {
        status = EXIT_RUNTIME;
    }
    if (run->ladders != NULL && ladder_print(&o->ladder, run->ladders, stdout, run->color) != 0) {
        status = EXIT_RUNTIME; /* an id asked for was not in the input */
    }
    if (!o->quiet) {
        /* After ladders, as after json: the summary goes to standard error. */
        bool table = o->format == TCPSHAKE_FORMAT_TABLE && run->ladders == NULL;
        FILE *out = table ? stdout : stderr;
        if (table) {
            fputc('\n', out);
        }
        /* On a terminal the latency shape too; in a file or a pipe nothing changes. */
        tcpshake_summary_set_shape(run->summary, isatty(fileno(out)) == 1);
        tcpshake_summary_print(run->summary, tcpshake_get_stats(h), out);
        select_summary(&run->sel, run->events == EVENTS_CLOSE, out);
        agg_summary(&run->agg, out);
    }
    return status;
}

/* --metrics-listen / --metrics-file: bind the socket, start the thread. */
static bool start_metrics(const struct options *o, struct run *run)
{
    char why[200];
    /* Whole seconds, at least 1: --stats-interval is in ns. */
    uint64_t every = o->stats_interval != 0 ? (o->stats_interval + 999999999u) / 1000000000u : 10;
    run->metrics = metrics_start(&o->metrics, every, why, sizeof(why));
    if (run->metrics == NULL) {
        if (o->metrics.listen != NULL) {
            complain("--metrics-listen %s: %s", o->metrics.listen, why);
        } else {
            complain("--metrics-file %s: %s", o->metrics.file, why);
        }
        return false;
    }
    metrics_set_alerts(run->metrics, o->agg.detect ? run->agg.alerts : NULL);
    return true;
}

/* Open, analyse, print; returns the exit status. */
static int analyse(const struct options *o, struct run *run)
{
    errno = 0;
    struct tcpshake *h = tcpshake_new(&o->cfg, on_record, run);
    if (h == NULL && !o->cfg.hash_key_set && errno != 0 && errno != ENOMEM) {
        complain("no random hash key: getrandom: %s (TCPSHAKE_HASH_KEY pins one)", strerror(errno));
        return EXIT_RUNTIME;
    }
    if (h == NULL) {
        complain("out of memory for %zu flows (try a smaller --max-flows)", o->cfg.max_flows);
        return EXIT_RUNTIME;
    }
    if (cli_p0f_db(h, o->p0f_db) != 0) {
        tcpshake_free(h);
        return EXIT_RUNTIME;
    }
    /* Only JSON and CSV records show p0f signatures: for rows, a table or Zeek's
     * columns nobody would read them. */
    if (run->sink == NULL ||
        (o->format != TCPSHAKE_FORMAT_JSON && o->format != TCPSHAKE_FORMAT_CSV)) {
        tcpshake_set_p0f(h, false);
    }
    /* Zeek's state and history are in every format's records, the table's and the
     * ladders' titles: health rows alone (--by) and the HTML report show neither. */
    if (run->sink == NULL && run->table == NULL && run->ladders == NULL) {
        tcpshake_set_zeek(h, false);
    }
    /* Live --by --bucket: rows as their buckets close, counted at the handshake. */
    bool live_rows =
            o->iface != NULL && agg_set_live(&run->agg, o->cfg.handshake_timeout_ns, o->format);
    if (run->events & EVENTS_HANDSHAKE || o->stats_interval != 0 || live_rows) {
        tcpshake_set_event_fn(h, on_event, run);
    }
    /* Live: fresh metrics every second of wall time, even while the link is idle. */
    uint64_t block = o->stats_interval != 0                     ? o->stats_interval
                     : run->metrics != NULL && o->iface != NULL ? 1000000000u
                                                                : 0;
    agg_ticker_start(&run->ticker, live_rows, block);
    uint64_t every = run->ticker.tick_ns != 0 ? run->ticker.tick_ns : block;
    if (every != 0) {
        tcpshake_set_interval(h, every, on_interval, run);
    }
    if (o->ladder.on && tcpshake_set_ladders(h, run->ladders) != TCPSHAKE_OK) {
        complain("--ladder: %s", tcpshake_errmsg(h));
        tcpshake_free(h);
        return EXIT_RUNTIME;
    }
    if (!report_attach(&run->html, h)) {
        tcpshake_free(h);
        return EXIT_RUNTIME;
    }
    int rc = open_input(o, run, h);
    if (rc >= 0) {
        tcpshake_free(h);
        return rc;
    }
    run->h = h;
    /* Only when the records do not share the terminal: they would tear the line. */
    if (o->read_path != NULL && !o->quiet && isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO)) {
        tcpshake_set_progress(h, on_progress, run);
        agg_set_alert_hook(&run->agg, around_alert, run);
    }
    running_handle = h;
    catch_signals();
    /* With worker threads, records may be formatted on a thread of their own
     * (start_writer). Live, every record is flushed at once. */
    run->writer_wanted = run->sink != NULL && o->cfg.threads > 1 && !run->live;
    enum tcpshake_status ran = tcpshake_run(h);
    running_handle = NULL;
    run->writer_wanted = false; /* what is left is written on this thread */
    take_write_error(run, writer_stop(run->writer));
    run->writer = NULL;
    select_drain(&run->sel, write_record, run); /* --top: the records kept, in order */
    run->h = NULL;
    clear_progress(run);
    int status = report(o, run, h);
    char why[200];
    if (!metrics_finish(run->metrics, tcpshake_get_stats(h), why, sizeof(why))) {
        complain("--metrics-file %s: %s", o->metrics.file, why);
        status = EXIT_RUNTIME;
    }
    if (ran == TCPSHAKE_ERR_WRITE && run->rotator.why[0] != '\0') {
        complain("-w %s", run->rotator.why); /* the next file of a rotation */
        status = EXIT_RUNTIME;
    } else if (ran == TCPSHAKE_ERR_WRITE) {
        complain("%s: %s", o->write_path, tcpshake_errmsg(h));
        status = EXIT_RUNTIME;
    } else if (ran != TCPSHAKE_OK) {
        complain_input(o, h);
        status = EXIT_RUNTIME;
    }
    tcpshake_free(h); /* closes the -w file */
    return status;
}

/*
 * Standard output and error, last (the -w file is closed by now). A write that
 * failed on either is exit 1: the message may be lost with standard error, the
 * status is not. A reader of standard output that went away (tcpshake ... |
 * head -1) ends tcpshake by SIGPIPE, silently, as for any command in a pipeline.
 */
static int end_streams(int status, bool out_gone)
{
    int earlier = errno; /* of the last write, when stdio gave up on its buffer then */
    errno = 0;
    if (!out_gone && (fflush(stdout) != 0 || ferror(stdout))) {
        int why = errno != 0 ? errno : earlier != 0 ? earlier : EIO;
        if (why == EPIPE || streams_reader_gone()) {
            out_gone = true;
        } else if (status == 0) {
            complain("write failed: %s", strerror(why));
            status = EXIT_RUNTIME;
        }
    }
    if (out_gone) {
        return streams_die_of_sigpipe();
    }
    if ((fflush(stderr) != 0 || ferror(stderr)) && status == 0) {
        status = EXIT_RUNTIME;
    }
    return status;
}

/* TCPSHAKE_HASH_KEY=32 hex digits pins the flow table's hash key (tests, bench);
 * unset, a fresh secret from getrandom(), drawn here so that a kernel without
 * it gets a clear message rather than "out of memory" from the first table.
 * Returns -1, or the exit status. */
static int hash_key_from_env(struct tcpshake_config *cfg)
{
    const char *v = getenv("TCPSHAKE_HASH_KEY");
    if (v == NULL) {
        ssize_t n;
        do {
            n = getrandom(cfg->hash_key, sizeof(cfg->hash_key), 0);
        } while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(cfg->hash_key)) {
            complain("no random hash key: getrandom: %s (TCPSHAKE_HASH_KEY pins one)",
                     n < 0 ? strerror(errno) : "short read");
            return EXIT_RUNTIME;
        }
        cfg->hash_key_set = true;
        return -1;
    }
    static const char hex[] = "0123456789abcdef0123456789ABCDEF";
    for (size_t i = 0; i < 2 * sizeof(cfg->hash_key); i++) {
        const char *d = v[i] != '\0' ? strchr(hex, v[i]) : NULL;
        if (d == NULL) {
            complain("TCPSHAKE_HASH_KEY: want 32 hex digits");
            return EXIT_USAGE;
        }
        unsigned nibble = (unsigned)(d - hex) & 15u;
        cfg->hash_key[i / 2] = (uint8_t)(cfg->hash_key[i / 2] << 4 | nibble);
    }
    if (v[2 * sizeof(cfg->hash_key)] != '\0') {
        complain("TCPSHAKE_HASH_KEY: want 32 hex digits");
        return EXIT_USAGE;
    }
    cfg->hash_key_set = true;
    return -1;
}

/* --threads: 0 = one per online CPU; --handshake-only needs the packet's verdict at once. */
static unsigned pick_threads(const struct options *o)
{
    unsigned n = o->cfg.threads;
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned)cpus;
    }
    /* --ladder, --html: the ladders follow the one engine's segments on this thread. */
    return o->handshake_only || o->ladder.on || o->html.path != NULL ? 1 : n;
}

int main(int argc, char **argv)
{
    if (!streams_hold_closed()) {
        complain("cannot open /dev/null: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    /* "tcpshake probe ..." is active probing, a front end of its own (cli/probe.c). */
    if (argc >= 2 && strcmp(argv[1], "probe") == 0) {
        return probe_main(argc - 1, argv + 1);
    }
    streams_ignore_sigpipe();
    struct options o;
    memset(&o, 0, sizeof(o));
    o.color = -1;
    o.events = EVENTS_CLOSE;
    agg_options_default(&o.agg);
    ladder_options_default(&o.ladder);
    select_options_default(&o.sel);
    tcpshake_config_default(&o.cfg);
    tcpshake_live_options_default(&o.live);
    int status = EXIT_RUNTIME;
    if (habits_words_init(&o.filter_words, argc)) {
        status = parse_args(argc, argv, &o);
    } else {
        complain("out of memory");
    }
    if (status < 0) {
        status = hash_key_from_env(&o.cfg);
    }
    if (status >= 0) {
        free(o.bpf);
        inputs_free(&o.inputs);
        habits_words_release(&o.filter_words);
        return end_streams(status, false);
    }
    o.cfg.threads = pick_threads(&o);
    bool tty = isatty(STDOUT_FILENO);
    /* Records read from a file into a file or a pipe go out in big writes: with
     * stdio's 4 KiB, a write call every three records was a visible share of a run.
     * Live records are flushed one by one anyway, a terminal line by line, and
     * standard input may be a live capture piped in: those keep stdio's buffer. */
    if (!tty && o.read_path != NULL && strcmp(o.read_path, "-") != 0) {
        static char out_buf[1u << 20]; /* glibc ignores the size without a buffer */
        setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
    }
    if (!o.format_set) {
        /* --columns and -v are the table's: they ask for one. */
        o.format = tty || o.columns.chosen ? TCPSHAKE_FORMAT_TABLE : TCPSHAKE_FORMAT_JSON;
    }
    unsigned flags = 0;
    if (o.color == 1 || (o.color == -1 && tty && getenv("NO_COLOR") == NULL)) {
        flags |= TCPSHAKE_SINK_COLOR;
    }
    if (o.events & EVENTS_HANDSHAKE) {
        flags |= TCPSHAKE_SINK_EVENTS;
    }
    struct run run = { 0 };
    run.events = o.events;
    run.live = o.iface != NULL;
    run.interval_ns = o.stats_interval;
    /* Beside a table on standard output; elsewhere (json ..., ladders) on standard error. */
    run.interval_out = o.format == TCPSHAKE_FORMAT_TABLE && !o.ladder.on ? stdout : stderr;
    run.interval_json = o.format == TCPSHAKE_FORMAT_JSON || o.format == TCPSHAKE_FORMAT_ZEEK_JSON;
    bool sink_wanted = !agg_replaces_records(&o.agg) && !o.ladder.on;
    run.color = (flags & TCPSHAKE_SINK_COLOR) != 0;
    if (o.ladder.on) {
        run.ladders = tcpshake_ladders_new(&o.ladder.cfg);
    }
    /* A table on a terminal (or with --columns, -v) fits it; into a pipe it is the sink's. */
    struct table table;
    if (sink_wanted && o.format == TCPSHAKE_FORMAT_TABLE && (tty || o.columns.chosen)) {
        table_start(&table, &o.columns, table_terminal_width(STDOUT_FILENO),
                    (o.events & EVENTS_HANDSHAKE) != 0, (flags & TCPSHAKE_SINK_COLOR) != 0, stdout);
        run.table = &table;
        sink_wanted = false;
    }
    run.sink = sink_wanted ? tcpshake_sink_new(o.format, stdout, flags) : NULL;
    tcpshake_sink_set_time_format(run.sink, o.time_format);
    /* -q prints no summary, so unless --summary-json wants one, do not build one
     * (tcpshake_summary_add(NULL, ..) is a no-op). */
    run.summary = o.quiet && o.summary_json == NULL ? NULL : cli_summary_new();
    if (o.stats_interval != 0) {
        run.interval = cli_summary_new();
    }
    run.html = o.html;
    status = report_start(&run.html, input_name(&o));
    if (status >= 0) {
        /* said why */
    } else if (o.summary_json != NULL &&
               (run.summary_json = cli_summary_json_open(o.summary_json)) == NULL) {
        status = EXIT_RUNTIME; /* it said why */
    } else if ((sink_wanted && run.sink == NULL) ||
               ((!o.quiet || o.summary_json != NULL) && run.summary == NULL) ||
               (o.stats_interval != 0 && !run.interval) ||
               !agg_start(&run.agg, &o.agg, run.html.report) ||
               (o.ladder.on && run.ladders == NULL) || !select_start(&run.sel, &o.sel)) {
        complain("out of memory");
        status = EXIT_RUNTIME;
    } else if (metrics_wanted(&o.metrics) && !start_metrics(&o, &run)) {
        status = EXIT_RUNTIME;
    } else {
        if (tty && o.format == TCPSHAKE_FORMAT_TABLE) {
            agg_set_terminal(&run.agg, table_terminal_width(STDOUT_FILENO), o.agg.bucket);
        }
        status = analyse(&o, &run);
    }
    tcpshake_sink_free(run.sink);
    tcpshake_summary_free(run.summary);
    tcpshake_summary_free(run.interval);
    cli_summary_json_close(run.summary_json);
    agg_free(&run.agg);
    report_free(&run.html);
    tcpshake_ladders_free(run.ladders);
    select_free(&run.sel);
    metrics_free(run.metrics);
    free(o.bpf);
    inputs_free(&o.inputs);
    habits_words_release(&o.filter_words);
    return end_streams(status, run.out_gone);
}
