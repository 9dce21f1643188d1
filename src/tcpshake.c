/*
 * tcpshake.c - the handle: source -> decode -> lane -> record callback, with
 * the configuration check, the clock, time jumps, the periodic interval
 * callbacks, read progress and the choice of packets to save (-w). Everything
 * after decoding (the flow table, trackers, expiry, eviction, worker threads)
 * is behind the lane (lane.h), whatever the number of threads.
 *
 * Everything the handle needs is allocated in tcpshake_new; the per-packet
 * path allocates nothing. Time for expiry is the latest capture timestamp
 * seen, so a trace is analysed the same way however fast it is read, and a
 * timestamp that goes backwards never un-expires anything. On a live source
 * the wall clock moves time on too (tcpshake_tick) while the link is idle.
 */
#include "tcpshake.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "config.h"
#include "decode.h"
#include "ladders.h"
#include "lane.h"
#include "p0f.h"
#include "siphash.h"
#include "source.h"

#define NS_PER_S 1000000000ull

/* A rarely taken branch of the per-packet path, kept out of line. */
#if defined(__GNUC__)
#define SLOW_PATH __attribute__((cold, noinline))
#else
#define SLOW_PATH
#endif

struct tcpshake {
    struct tcpshake_config cfg;
    char *bpf; /* our copy of cfg.bpf */
    tcpshake_record_fn on_record;
    void *user;
    struct lane *lane; /* where decoded packets go */
    struct source *src;
    struct tcpshake_stats stats;
    uint64_t now_ns;       /* latest timestamp seen */
    uint64_t live_push_ns; /* live: when queued packets were last pushed on */
    volatile sig_atomic_t stop;
    tcpshake_event_fn on_event; /* handshake-decided events, or NULL */
    void *event_user;
    tcpshake_interval_fn on_interval; /* periodic callback, or NULL */
    void *interval_user;
    uint64_t interval_ns;             /* 0 = no interval callback */
    uint64_t interval_start_ns;       /* start of the current interval; 0 before the first packet */
    tcpshake_progress_fn on_progress; /* file read progress, or NULL */
    void *progress_user;
    /* A packet stamped more than jump_ns ahead of the clock waits here for the
     * next one (see admit): held.data is a copy, held_cap bytes allocated. */
    uint64_t jump_ns;
    bool holding;
    bool held_save; /* a packet of the source: -w saves it */
    struct source_packet held;
    uint8_t *held_buf;
    size_t held_cap;
    bool dumping;                      /* the source writes a trace (tcpshake_dump_open) */
    unsigned dump_flags;               /* TCPSHAKE_DUMP_* */
    struct tcpshake_dump_rotation rot; /* -w rotation; rot.next NULL: none */
    uint64_t rot_start_ns;             /* the current file's first packet */
    bool rot_started;                  /* rot_start_ns is set */
    struct tcpshake_ladders *ladders;  /* tcpshake_set_ladders, not owned; or NULL */
    struct p0f_db *p0f;                /* labels for p0f signatures, or NULL */
    unsigned views;                    /* what records carry (ENGINE_VIEW_*) */
    char errmsg[512];
};

/* Records and events, in emission-key order, to the user's callbacks. */
static void deliver_record(void *ctx, enum tcpshake_event ev, const struct tcpshake_record *rec)
{
    struct tcpshake *h = ctx;
    if (ev == TCPSHAKE_EVENT_CLOSE && h->ladders != NULL) {
        ladders_record(h->ladders, rec);
    }
    if (ev == TCPSHAKE_EVENT_HANDSHAKE) {
        if (h->on_event != NULL) {
            h->on_event(ev, rec, h->event_user);
        }
    } else if (h->on_record != NULL) {
        h->on_record(rec, h->user);
    }
}

static void deliver_interval(void *ctx, uint64_t start_ns, uint64_t end_ns)
{
    struct tcpshake *h = ctx;
    if (h->on_interval != NULL) {
        h->on_interval(start_ns, end_ns, h->interval_user);
    }
}

/* The smallest timeout: a clock step beyond it can decide connections that no
 * packet of theirs would have (see admit). */
static uint64_t jump_threshold(const struct tcpshake_config *cfg)
{
    uint64_t t = cfg->handshake_timeout_ns;
    if (cfg->idle_timeout_ns < t) {
        t = cfg->idle_timeout_ns;
    }
    if (cfg->close_linger_ns < t) {
        t = cfg->close_linger_ns;
    }
    return t;
}

struct tcpshake *tcpshake_new(const struct tcpshake_config *cfg, tcpshake_record_fn on_record,
                              void *user)
{
    struct tcpshake_config known;
    if (!config_read(&known, cfg)) {
        return NULL;
    }
    cfg = &known;
    if (tcpshake_config_check(cfg, NULL, 0) != TCPSHAKE_OK) {
        return NULL;
    }
    struct tcpshake *h = ts_calloc(1, sizeof(*h));
    if (h == NULL) {
        return NULL;
    }
    h->cfg = *cfg;
    h->on_record = on_record;
    h->user = user;
    if (cfg->bpf != NULL) {
        size_t n = strlen(cfg->bpf) + 1;
        h->bpf = ts_calloc(n, 1);
        if (h->bpf == NULL) {
            tcpshake_free(h);
            return NULL;
        }
        memcpy(h->bpf, cfg->bpf, n);
    }
    h->cfg.bpf = h->bpf;
    if (!h->cfg.hash_key_set) {
        int err = siphash_key_random(h->cfg.hash_key);
        if (err != 0) {
            tcpshake_free(h);
            errno = err;
            return NULL;
        }
        h->cfg.hash_key_set = true;
    }
    cfg = &h->cfg;
    h->jump_ns = jump_threshold(cfg);
    struct lane_hooks hooks = { deliver_record, deliver_interval, h };
    h->lane = lane_new(cfg, &h->stats, &hooks);
    if (h->lane == NULL) {
        tcpshake_free(h);
        return NULL;
    }
    h->views = ENGINE_VIEWS_ALL;
    return h;
}

void tcpshake_free(struct tcpshake *h)
{
    if (h == NULL) {
        return;
    }
    lane_free(h->lane);
    p0f_db_free(h->p0f);
    source_close(h->src);
    ts_free(h->held_buf);
    ts_free(h->bpf);
    ts_free(h);
}

enum tcpshake_status tcpshake_set_p0f_db(struct tcpshake *h, const char *path)
{
    if (h->stats.packets_read > 0) {
        snprintf(h->errmsg, sizeof(h->errmsg), "a p0f database is set before the first packet");
        return TCPSHAKE_ERR_STATE;
    }
    struct p0f_db *db = NULL;
    if (path != NULL) {
        char why[256];
        enum tcpshake_status rc = p0f_db_load(path, &db, why, sizeof(why));
        if (rc != TCPSHAKE_OK) {
            snprintf(h->errmsg, sizeof(h->errmsg), "%s: %s", path,
                     rc == TCPSHAKE_ERR_NOMEM ? "out of memory" : why);
            return rc;
        }
    }
    lane_set_p0f_db(h->lane, db);
    p0f_db_free(h->p0f);
    h->p0f = db;
    return TCPSHAKE_OK;
}

/* Turn one view of the records on or off (what: its name, for the error). */
static enum tcpshake_status set_view(struct tcpshake *h, unsigned view, bool on, const char *what)
{
    if (h->stats.packets_read > 0) {
        snprintf(h->errmsg, sizeof(h->errmsg), "%s are turned on or off before the first packet",
                 what);
        return TCPSHAKE_ERR_STATE;
    }
    h->views = on ? h->views | view : h->views & ~view;
    lane_set_views(h->lane, h->views);
    return TCPSHAKE_OK;
}

enum tcpshake_status tcpshake_set_p0f(struct tcpshake *h, bool on)
{
    return set_view(h, ENGINE_VIEW_P0F, on, "p0f signatures");
}

enum tcpshake_status tcpshake_set_zeek(struct tcpshake *h, bool on)
{
    return set_view(h, ENGINE_VIEW_ZEEK, on, "Zeek's states and histories");
}

const char *tcpshake_errmsg(const struct tcpshake *h)
{
    return h->errmsg;
}

const struct tcpshake_stats *tcpshake_get_stats(const struct tcpshake *h)
{
    return &h->stats;
}

void tcpshake_stop(struct tcpshake *h)
{
    h->stop = 1;
    if (h->src != NULL) {
        source_breakloop(h->src); /* wakes a live read waiting in poll() */
    }
}

void tcpshake_set_event_fn(struct tcpshake *h, tcpshake_event_fn fn, void *user)
{
    h->on_event = fn;
    h->event_user = user;
    lane_set_events(h->lane, fn != NULL);
}

enum tcpshake_status tcpshake_set_ladders(struct tcpshake *h, struct tcpshake_ladders *ls)
{
    if (h->ladders != NULL || ls == NULL) {
        snprintf(h->errmsg, sizeof(h->errmsg), "%s",
                 ls == NULL ? "no ladder set" : "a ladder set is already attached");
        return ls == NULL ? TCPSHAKE_ERR_ARG : TCPSHAKE_ERR_STATE;
    }
    if (!lane_set_tap(h->lane, ladders_tap, ls)) {
        snprintf(h->errmsg, sizeof(h->errmsg), "ladders need one thread (threads is %u)",
                 h->cfg.threads);
        return TCPSHAKE_ERR_STATE;
    }
    h->ladders = ls;
    return TCPSHAKE_OK;
}

void tcpshake_set_progress(struct tcpshake *h, tcpshake_progress_fn fn, void *user)
{
    h->on_progress = fn;
    h->progress_user = user;
}

static void report_progress(struct tcpshake *h)
{
    uint64_t done, total;
    if (h->on_progress != NULL && source_progress(h->src, &done, &total)) {
        h->on_progress(done, total, h->progress_user);
    }
}

void tcpshake_set_interval(struct tcpshake *h, uint64_t interval_ns, tcpshake_interval_fn fn,
                           void *user)
{
    h->on_interval = interval_ns != 0 ? fn : NULL;
    h->interval_ns = interval_ns;
    h->interval_user = user;
}

/* Call the interval callback for every whole interval the clock has passed. */
static void run_intervals(struct tcpshake *h, bool ticking)
{
    if (h->on_interval == NULL || h->now_ns == 0) {
        return;
    }
    if (h->interval_start_ns == 0) {
        h->interval_start_ns = h->now_ns;
        return;
    }
    uint64_t elapsed = h->now_ns - h->interval_start_ns;
    if (elapsed < h->interval_ns) {
        return;
    }
    uint64_t end = h->interval_start_ns + elapsed / h->interval_ns * h->interval_ns;
    uint64_t start = h->interval_start_ns;
    h->interval_start_ns = end;
    /* In its turn among the records: before the next packet's. */
    lane_interval(h->lane, h->stats.packets_read + (ticking ? 1 : 0), start, end);
}

/* Move the clock forward (never back) and run what depends on it. */
static void advance_clock(struct tcpshake *h, uint64_t ts_ns, bool ticking)
{
    if (ts_ns > h->now_ns) {
        h->now_ns = ts_ns;
    }
    if (h->on_interval != NULL) {
        run_intervals(h, ticking);
    }
}

static const enum tcpshake_skip skip_of[] = {
    [DECODE_TRUNCATED] = TCPSHAKE_SKIP_TRUNCATED, [DECODE_MALFORMED] = TCPSHAKE_SKIP_MALFORMED,
    [DECODE_NOT_TCP] = TCPSHAKE_SKIP_NOT_TCP,     [DECODE_UNSUPPORTED] = TCPSHAKE_SKIP_UNSUPPORTED,
    [DECODE_FRAGMENT] = TCPSHAKE_SKIP_FRAGMENT,
};

/* tcpshake_feed of a supported link type, and say in *key whether the packet is one
 * --handshake-only keeps. jumped: a time jump nothing confirmed (see admit), analysed
 * at the clock's time. */
static void feed_packet(struct tcpshake *h, const struct source_packet *pkt, bool jumped, bool *key)
{
    *key = false;
    uint64_t ts_ns = pkt->ts_ns;
    struct tcpshake_stats *st = &h->stats;
    st->packets_read++;
    if (st->packets_read == 1) {
        st->first_ns = ts_ns;
    }
    if (jumped) {
        st->timestamps_jumped++;
        ts_ns = h->now_ns;
    } else if (ts_ns < st->last_ns) {
        st->time_backwards++;
    } else {
        st->last_ns = ts_ns;
    }
    advance_clock(h, ts_ns, false);
    /* Decoded straight into the lane; the slot counts only when it decodes. */
    struct packet_view *pv = lane_slot(h->lane);
    enum decode_status ds = decode_packet(pkt->linktype, pkt->data, pkt->caplen, pkt->wire_len, pv);
    if (ds != DECODE_OK) {
        st->skipped[skip_of[ds]]++;
        return;
    }
    if (pv->kind == PACKET_TCP) {
        st->packets_tcp++;
        if (pv->u.tcp.quirks & TCPQ_SNAPLEN_CUT) {
            st->snaplen_cut++;
        }
    } else {
        st->packets_icmp++;
    }
    *key = lane_commit(h->lane, st->packets_read, h->now_ns, ts_ns);
}

/* True, with the error message set, for a link type the decoder does not know. */
static bool link_refused(struct tcpshake *h, int linktype)
{
    if (decode_link_supported(linktype)) {
        return false;
    }
    snprintf(h->errmsg, sizeof(h->errmsg), "link type %d is not supported", linktype);
    return true;
}

/* After a source opened: refuse link types the decoder does not know. */
static int check_opened(struct tcpshake *h, int rc)
{
    if (rc == TCPSHAKE_OK && link_refused(h, source_linktype(h->src))) {
        source_close(h->src);
        h->src = NULL;
        return TCPSHAKE_ERR_LINKTYPE;
    }
    return rc;
}

static bool refuse_second_source(struct tcpshake *h)
{
    if (h->src != NULL) {
        snprintf(h->errmsg, sizeof(h->errmsg), "a source is already open");
        return true;
    }
    return false;
}

enum tcpshake_status tcpshake_open_file(struct tcpshake *h, const char *path)
{
    if (refuse_second_source(h)) {
        return TCPSHAKE_ERR_STATE;
    }
    return check_opened(h, source_open_file(&h->src, path, h->bpf, h->errmsg, sizeof(h->errmsg)));
}

/* Open paths[i] for tcpshake_open_files; the message names the file. */
static int open_one(struct tcpshake *h, const char *path, struct source **out)
{
    char why[256];
    int rc = source_open_file(out, path, h->bpf, why, sizeof(why));
    if (rc == TCPSHAKE_OK && !decode_link_supported(source_linktype(*out))) {
        snprintf(why, sizeof(why), "link type %d is not supported", source_linktype(*out));
        source_close(*out);
        *out = NULL;
        rc = TCPSHAKE_ERR_LINKTYPE;
    }
    if (rc != TCPSHAKE_OK) {
        snprintf(h->errmsg, sizeof(h->errmsg), "%s: %s",
                 strcmp(path, "-") == 0 ? "standard input" : path, why);
    }
    return rc;
}

enum tcpshake_status tcpshake_open_files(struct tcpshake *h, const char *const *paths, size_t n)
{
    if (refuse_second_source(h)) {
        return TCPSHAKE_ERR_STATE;
    }
    if (n == 0 || n > TCPSHAKE_MAX_FILES) {
        snprintf(h->errmsg, sizeof(h->errmsg), "want 1 to %d files, not %zu", TCPSHAKE_MAX_FILES,
                 n);
        return TCPSHAKE_ERR_ARG;
    }
    size_t n_stdin = 0;
    for (size_t i = 0; i < n; i++) {
        n_stdin += strcmp(paths[i], "-") == 0;
    }
    if (n_stdin > 1) {
        snprintf(h->errmsg, sizeof(h->errmsg), "standard input ('-') can be read only once");
        return TCPSHAKE_ERR_ARG;
    }
    struct source **subs = ts_calloc(n, sizeof(*subs));
    if (subs == NULL) {
        snprintf(h->errmsg, sizeof(h->errmsg), "%s", tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
        return TCPSHAKE_ERR_NOMEM;
    }
    int rc = TCPSHAKE_OK;
    size_t opened = 0;
    while (rc == TCPSHAKE_OK && opened < n) {
        rc = open_one(h, paths[opened], &subs[opened]);
        opened += rc == TCPSHAKE_OK;
    }
    if (rc == TCPSHAKE_OK && n == 1) {
        h->src = subs[0];
    } else if (rc == TCPSHAKE_OK) {
        rc = source_merge(&h->src, subs, paths, n, h->errmsg, sizeof(h->errmsg));
    } else {
        for (size_t i = 0; i < opened; i++) {
            source_close(subs[i]);
        }
    }
    ts_free(subs);
    return rc;
}

enum tcpshake_status tcpshake_open_stream(struct tcpshake *h, FILE *fp)
{
    if (refuse_second_source(h)) {
        return TCPSHAKE_ERR_STATE;
    }
    return check_opened(h, source_open_stream(&h->src, fp, h->bpf, h->errmsg, sizeof(h->errmsg)));
}

static struct tcpshake_live_options live_defaults(void)
{
    struct tcpshake_live_options d;
    memset(&d, 0, sizeof(d));
    d.size = sizeof(d);
    d.snaplen = 262144;
    d.promisc = true;
    d.timeout_ms = 100;
    d.buffer_kib = TCPSHAKE_LIVE_BUFFER_KIB;
    return d;
}

void tcpshake_live_options_init(struct tcpshake_live_options *opt, size_t size)
{
    const struct tcpshake_live_options d = live_defaults();
    options_init(opt, size, &d, sizeof(d));
}

enum tcpshake_status tcpshake_open_live(struct tcpshake *h, const char *iface,
                                        const struct tcpshake_live_options *opt)
{
    if (refuse_second_source(h)) {
        return TCPSHAKE_ERR_STATE;
    }
    const struct tcpshake_live_options defaults = live_defaults();
    struct tcpshake_live_options known;
    if (!options_read(&known, opt, &defaults, sizeof(known))) {
        snprintf(h->errmsg, sizeof(h->errmsg),
                 "live options of size %zu: they did not come from tcpshake_live_options_default",
                 opt->size);
        return TCPSHAKE_ERR_ARG;
    }
    opt = &known;
    if (iface == NULL || opt->snaplen <= 0 || opt->timeout_ms <= 0 ||
        opt->buffer_kib > INT_MAX / 1024) {
        snprintf(h->errmsg, sizeof(h->errmsg), "bad live capture options");
        return TCPSHAKE_ERR_ARG;
    }
    /* 0 (a struct filled without tcpshake_live_options_default): the default. */
    int buffer_kib = opt->buffer_kib > 0 ? opt->buffer_kib : TCPSHAKE_LIVE_BUFFER_KIB;
    struct source_live sl = { opt->snaplen, opt->promisc, opt->timeout_ms, buffer_kib };
    int rc = check_opened(
            h, source_open_live(&h->src, iface, &sl, h->bpf, h->errmsg, sizeof(h->errmsg)));
    if (rc == TCPSHAKE_OK) {
        h->stats.live = true;
    }
    return rc;
}

/* What both ways of starting a trace check first. OK or ERR_STATE. */
static int dump_allowed(struct tcpshake *h, unsigned flags)
{
    if (h->src == NULL) {
        snprintf(h->errmsg, sizeof(h->errmsg), "no source is open");
        return TCPSHAKE_ERR_STATE;
    }
    if ((flags & TCPSHAKE_DUMP_HANDSHAKE_ONLY) && h->cfg.threads > 1) {
        snprintf(h->errmsg, sizeof(h->errmsg), "saving only handshake packets needs threads = 1");
        return TCPSHAKE_ERR_STATE;
    }
    return TCPSHAKE_OK;
}

enum tcpshake_status tcpshake_dump_open(struct tcpshake *h, const char *path, unsigned flags)
{
    int rc = dump_allowed(h, flags);
    if (rc == TCPSHAKE_OK) {
        rc = source_dump_open(h->src, path, h->errmsg, sizeof(h->errmsg));
    }
    if (rc == TCPSHAKE_OK) {
        h->dumping = true;
        h->dump_flags = flags;
    }
    return rc;
}

enum tcpshake_status tcpshake_dump_stream(struct tcpshake *h, FILE *fp, unsigned flags)
{
    int rc = dump_allowed(h, flags);
    if (rc != TCPSHAKE_OK) {
        fclose(fp);
        return rc;
    }
    rc = source_dump_stream(h->src, fp, h->errmsg, sizeof(h->errmsg));
    if (rc == TCPSHAKE_OK) {
        h->dumping = true;
        h->dump_flags = flags;
    }
    return rc;
}

enum tcpshake_status tcpshake_dump_rotate(struct tcpshake *h,
                                          const struct tcpshake_dump_rotation *rot, unsigned flags)
{
    int rc = dump_allowed(h, flags);
    if (rc != TCPSHAKE_OK) {
        return rc;
    }
    if (rot == NULL || rot->next == NULL) {
        snprintf(h->errmsg, sizeof(h->errmsg), "rotation without a next-file function");
        return TCPSHAKE_ERR_ARG;
    }
    h->rot = *rot;
    h->rot_started = false;
    h->dumping = true;
    h->dump_flags = flags;
    return TCPSHAKE_OK;
}

static uint64_t wall_clock_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void take_live_stats(struct tcpshake *h)
{
    struct tcpshake_stats *st = &h->stats;
    source_stats(h->src, &st->live_received, &st->live_dropped, &st->live_if_dropped);
}

static int write_failed(struct tcpshake *h)
{
    snprintf(h->errmsg, sizeof(h->errmsg), "write failed: %s",
             errno != 0 ? strerror(errno) : "I/O error");
    return TCPSHAKE_ERR_WRITE;
}

/* After a read that timed out on an idle link: move time on, save what is buffered. */
static int idle(struct tcpshake *h)
{
    tcpshake_tick(h, wall_clock_ns());
    take_live_stats(h);
    errno = 0;
    if (source_dump_flush(h->src) != TCPSHAKE_OK) {
        return write_failed(h);
    }
    return TCPSHAKE_OK;
}

/* Live: records should not wait for a full round of packets (with workers). */
static void push_live(struct tcpshake *h)
{
    uint64_t now = wall_clock_ns();
    if (now - h->live_push_ns >= 20 * NS_PER_S / 1000) {
        h->live_push_ns = now;
        lane_push(h->lane);
    }
}

/* ------------------------------------------------------------ time jumps */

/*
 * A packet stamped more than jump_ns (the smallest timeout) ahead of the clock
 * would decide at once every connection that timeout covers: one bad stamp (a
 * corrupt record, a clock glitch) splits every open connection. Such a packet
 * is held (a copy) until the next packet, or a tick, says which time is right:
 *   - the next packet is far ahead too, and not more than jump_ns before the
 *     held one: a true jump (a silent stretch of the capture, an NTP step on a
 *     live one). The held packet is analysed as it always was, clock and all.
 *   - anything else (the next packet is back near the clock): the held packet
 *     is analysed at the clock's time, the clock stays, and it counts in
 *     timestamps_jumped. Its own stamp is still what -w saves.
 *   - a tick (live: the wall clock while the link is idle) far ahead confirms
 *     it, one that is not contradicts it; the end of the input confirms it.
 * So the output is the same as before for every true jump, and one packet
 * (at most) waits for the next.
 */
static bool far_ahead(const struct tcpshake *h, uint64_t ts_ns)
{
    return h->stats.packets_read > 0 && ts_ns > h->now_ns && ts_ns - h->now_ns > h->jump_ns;
}

/* Why pkt belongs in a new file of a rotated trace (TCPSHAKE_ROTATE_* bits), or 0. */
static unsigned rotation_due(struct tcpshake *h, const struct source_packet *pkt)
{
    if (!source_dump_active(h->src)) {
        return TCPSHAKE_ROTATE_FIRST;
    }
    if (!h->rot_started) {
        h->rot_started = true; /* a first file opened by tcpshake_dump_stream */
        h->rot_start_ns = pkt->ts_ns;
    }
    const uint64_t file_header = 24, record_header = 16;
    uint64_t size = source_dump_size(h->src);
    unsigned why = 0;
    if (h->rot.max_bytes != 0 && size > file_header &&
        size + record_header + pkt->caplen > h->rot.max_bytes) {
        why |= TCPSHAKE_ROTATE_SIZE;
    }
    if (h->rot.every_ns != 0 && pkt->ts_ns >= h->rot_start_ns &&
        pkt->ts_ns - h->rot_start_ns >= h->rot.every_ns) {
        why |= TCPSHAKE_ROTATE_TIME;
    }
    return why;
}

/* -w rotation before pkt is saved: OK (*stop when there are no more files) or an error. */
static int rotate(struct tcpshake *h, const struct source_packet *pkt, bool *stop)
{
    *stop = false;
    unsigned why = h->rot.next != NULL ? rotation_due(h, pkt) : 0;
    if (why == 0) {
        return TCPSHAKE_OK;
    }
    errno = 0;
    if (source_dump_close(h->src) != TCPSHAKE_OK) {
        return write_failed(h);
    }
    FILE *fp = NULL;
    if (h->rot.next(pkt->ts_ns, why, &fp, h->rot.user) != TCPSHAKE_OK) {
        snprintf(h->errmsg, sizeof(h->errmsg), "cannot start the next file");
        return TCPSHAKE_ERR_WRITE;
    }
    if (fp == NULL) {
        *stop = true; /* no more files: the run ends here */
        h->stop = 1;
        h->rot.next = NULL;
        h->dumping = false;
        return TCPSHAKE_OK;
    }
    if (why & (TCPSHAKE_ROTATE_FIRST | TCPSHAKE_ROTATE_TIME)) {
        h->rot_started = true;
        h->rot_start_ns = pkt->ts_ns;
    }
    return source_dump_stream(h->src, fp, h->errmsg, sizeof(h->errmsg));
}

/* -w: save pkt (rotating first when due). Out of line: most runs save nothing, and
 * the per-packet path keeps fewer registers to save and restore without it. */
SLOW_PATH static int save_packet(struct tcpshake *h, const struct source_packet *pkt, bool key)
{
    if (key || !(h->dump_flags & TCPSHAKE_DUMP_HANDSHAKE_ONLY)) {
        bool no_more;
        int rc = rotate(h, pkt, &no_more);
        if (rc != TCPSHAKE_OK || no_more) {
            return rc;
        }
        errno = 0;
        /* A rotated trace may open its first file only now, after the read. */
        rc = pkt->data == h->held_buf || h->rot.next != NULL
                     ? source_dump_packet(h->src, pkt, h->errmsg, sizeof(h->errmsg))
                     : source_dump_last(h->src, h->errmsg, sizeof(h->errmsg));
        if (rc == TCPSHAKE_ERR_LINKTYPE) {
            return rc;
        }
        if (rc != TCPSHAKE_OK) {
            return write_failed(h);
        }
    }
    return TCPSHAKE_OK;
}

/* Analyse one packet and, for a packet of the source, save it when asked to. */
static int feed_and_save(struct tcpshake *h, const struct source_packet *pkt, bool jumped,
                         bool save)
{
    bool key;
    feed_packet(h, pkt, jumped, &key);
    return save && h->dumping ? save_packet(h, pkt, key) : TCPSHAKE_OK;
}

/* Keep a copy of pkt until the next packet; false (analyse it now) when out of memory. */
SLOW_PATH static bool hold(struct tcpshake *h, const struct source_packet *pkt, bool save)
{
    if (pkt->caplen > h->held_cap || h->held_buf == NULL) {
        uint8_t *buf = ts_calloc(pkt->caplen > 0 ? pkt->caplen : 1, 1);
        if (buf == NULL) {
            return false;
        }
        ts_free(h->held_buf);
        h->held_buf = buf;
        h->held_cap = pkt->caplen;
    }
    memcpy(h->held_buf, pkt->data, pkt->caplen);
    h->held = *pkt;
    h->held.data = h->held_buf;
    h->held_save = save;
    h->holding = true;
    return true;
}

/* Analyse the held packet, at its own time (take_jump) or at the clock's. */
static int release(struct tcpshake *h, bool take_jump)
{
    if (!h->holding) {
        return TCPSHAKE_OK;
    }
    h->holding = false;
    return feed_and_save(h, &h->held, !take_jump, h->held_save);
}

/* One packet in: settle the held one, then hold this one or analyse it. */
static int admit(struct tcpshake *h, const struct source_packet *pkt, bool save)
{
    if (h->holding) {
        bool agrees = far_ahead(h, pkt->ts_ns) && pkt->ts_ns + h->jump_ns >= h->held.ts_ns;
        int rc = release(h, agrees);
        if (rc != TCPSHAKE_OK) {
            return rc;
        }
    }
    if (far_ahead(h, pkt->ts_ns) && hold(h, pkt, save)) {
        return TCPSHAKE_OK;
    }
    return feed_and_save(h, pkt, false, save);
}

void tcpshake_tick(struct tcpshake *h, uint64_t now_ns)
{
    if (h->now_ns == 0 && h->on_interval == NULL && h->stats.packets_read == 0) {
        return; /* nothing seen yet: keep the clock at the first packet */
    }
    (void)release(h, far_ahead(h, now_ns)); /* a failed save shows at the next flush */
    advance_clock(h, now_ns, true);
    lane_tick(h->lane, h->now_ns);
}

enum tcpshake_status tcpshake_feed(struct tcpshake *h, int linktype, uint64_t ts_ns,
                                   const uint8_t *data, size_t caplen, size_t wire_len)
{
    /* A source's link type was checked when it was opened (check_opened). */
    if (link_refused(h, linktype)) {
        return TCPSHAKE_ERR_LINKTYPE;
    }
    struct source_packet pkt = { ts_ns, data, caplen, wire_len, linktype };
    return admit(h, &pkt, false);
}

void tcpshake_flush(struct tcpshake *h)
{
    (void)release(h, true); /* nothing came to contradict it */
    lane_flush(h->lane);
}

/* Analyse one packet read from the source and save it when asked to. */
static int take_packet(struct tcpshake *h, const struct source_packet *pkt)
{
    int rc = admit(h, pkt, true);
    if (rc != TCPSHAKE_OK) {
        return rc;
    }
    if (h->stats.live) {
        push_live(h);
    }
    if ((h->stats.packets_read & 16383) == 0) {
        report_progress(h);
    }
    return TCPSHAKE_OK;
}

enum tcpshake_status tcpshake_run(struct tcpshake *h)
{
    if (h->src == NULL) {
        snprintf(h->errmsg, sizeof(h->errmsg), "no source is open");
        return TCPSHAKE_ERR_STATE;
    }
    int status = TCPSHAKE_OK;
    /* Live records are due as packets arrive, and saving only handshake packets
     * needs each packet's verdict at once: those analyse one packet at a time. */
    bool at_once = source_is_live(h->src) ||
                   (h->dumping && (h->dump_flags & TCPSHAKE_DUMP_HANDSHAKE_ONLY));
    lane_set_batching(h->lane, !at_once);
    while (!h->stop &&
           (h->cfg.max_packets == 0 || h->stats.packets_read + h->holding < h->cfg.max_packets)) {
        struct source_packet pkt;
        int rc = source_next(h->src, &pkt, h->errmsg, sizeof(h->errmsg));
        if (rc == 0) {
            break;
        }
        if (rc < 0) {
            status = -rc;
            break;
        }
        rc = rc == SOURCE_TIMEOUT ? idle(h) : take_packet(h, &pkt);
        if (rc != TCPSHAKE_OK) {
            status = rc;
            break;
        }
    }
    /* The input ended (nothing contradicts a held jump) or, live, the wall clock judges it. */
    int rc = release(h, !source_is_live(h->src) || far_ahead(h, wall_clock_ns()));
    if (rc != TCPSHAKE_OK && status == TCPSHAKE_OK) {
        status = rc;
    }
    if (source_is_live(h->src)) {
        take_live_stats(h);
    }
    report_progress(h);
    errno = 0;
    if (h->dumping && source_dump_flush(h->src) != TCPSHAKE_OK && status == TCPSHAKE_OK) {
        status = write_failed(h);
    }
    /* Whatever was read before a fault is still reported. */
    tcpshake_flush(h);
    lane_set_batching(h->lane, false);
    return status;
}
