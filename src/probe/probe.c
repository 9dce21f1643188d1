/*
 * probe.c - the active prober's handle and scheduler (see tcpshake.h,
 * "probe").
 *
 * Owns: resolving the host, deciding which port is probed next, the rate
 * limit (a start time spaced 1/rate apart), the bound on attempts in flight
 * (cfg.parallel slots), timeouts (no answer is "filtered"), and turning
 * answers into results and per-port summaries. Leaves sockets to the modes,
 * reached only through their tables (struct probe_mode in probe.h):
 * probe_connect.c (connect()) and probe_syn.c (raw SYN).
 *
 * Each port has at most one attempt in flight. Ports waiting for their next
 * attempt sit in a binary min-heap keyed by the time that attempt is due
 * (the previous attempt's start + interval), ties broken by list order, so
 * a first pass goes through the ports in the order given.
 */
#include "probe.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"

#define NS_PER_SEC  1000000000u
#define MAX_POLL_MS 1000 /* wake at least this often */
#define FD_RESERVE  16   /* descriptors not counted on for attempts (see fd_limited) */

/* The modes, by enum tcpshake_probe_mode. */
static const struct probe_mode *const modes[] = {
    [TCPSHAKE_PROBE_CONNECT] = &probe_mode_connect,
    [TCPSHAKE_PROBE_SYN] = &probe_mode_syn,
};

static const char *const state_names[TCPSHAKE_PROBE_STATE_COUNT] = {
    [TCPSHAKE_PROBE_OPEN] = "open",
    [TCPSHAKE_PROBE_CLOSED] = "closed",
    [TCPSHAKE_PROBE_FILTERED] = "filtered",
    [TCPSHAKE_PROBE_UNREACHABLE] = "unreachable",
};

const char *tcpshake_probe_state_name(enum tcpshake_probe_state s)
{
    if ((unsigned)s >= TCPSHAKE_PROBE_STATE_COUNT) {
        return "?";
    }
    return state_names[s];
}

static struct tcpshake_probe_config probe_defaults(void)
{
    struct tcpshake_probe_config d;
    memset(&d, 0, sizeof(d));
    d.size = sizeof(d);
    d.count = 1;
    d.interval_ns = NS_PER_SEC;
    d.timeout_ns = 2ull * NS_PER_SEC;
    d.rate = 100;
    d.parallel = 64;
    d.family = 0;
    d.mode = TCPSHAKE_PROBE_CONNECT;
    return d;
}

void tcpshake_probe_config_init(struct tcpshake_probe_config *cfg, size_t size)
{
    const struct tcpshake_probe_config d = probe_defaults();
    options_init(cfg, size, &d, sizeof(d));
}

/* ------------------------------------------------------------- helpers */

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t probe_mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

uint64_t probe_wall_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}

/* xorshift64*: source ports and ISNs need to be unpredictable to others, not strong. */
uint64_t probe_random(struct tcpshake_probe *p)
{
    uint64_t x = p->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

int probe_fail(struct tcpshake_probe *p, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof(p->err), fmt, ap);
    va_end(ap);
    return status;
}

static bool heap_less(const struct tcpshake_probe *p, uint32_t a, uint32_t b)
{
    uint64_t da = p->port[a].due_ns;
    uint64_t db = p->port[b].due_ns;
    return da < db || (da == db && a < b);
}

static void heap_push(struct tcpshake_probe *p, uint32_t idx)
{
    size_t i = p->heap_len++;
    p->heap[i] = idx;
    while (i > 0 && heap_less(p, p->heap[i], p->heap[(i - 1) / 2])) {
        uint32_t t = p->heap[i];
        p->heap[i] = p->heap[(i - 1) / 2];
        p->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static uint32_t heap_pop(struct tcpshake_probe *p)
{
    uint32_t top = p->heap[0];
    p->heap[0] = p->heap[--p->heap_len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < p->heap_len && heap_less(p, p->heap[l], p->heap[m])) {
            m = l;
        }
        if (r < p->heap_len && heap_less(p, p->heap[r], p->heap[m])) {
            m = r;
        }
        if (m == i) {
            return top;
        }
        uint32_t t = p->heap[i];
        p->heap[i] = p->heap[m];
        p->heap[m] = t;
        i = m;
    }
}

/* ------------------------------------------------------------ lifecycle */

static bool config_ok(const struct tcpshake_probe_config *cfg)
{
    if (cfg == NULL || cfg->host == NULL || cfg->ports == NULL || cfg->n_ports == 0 ||
        cfg->n_ports > 65535 || cfg->count == 0 || cfg->rate == 0 || cfg->parallel == 0 ||
        cfg->parallel > TCPSHAKE_PROBE_MAX_PARALLEL || cfg->timeout_ns == 0) {
        return false;
    }
    if ((uint64_t)cfg->n_ports * cfg->count > TCPSHAKE_PROBE_MAX_ATTEMPTS) {
        return false;
    }
    if (cfg->family != 0 && cfg->family != 4 && cfg->family != 6) {
        return false;
    }
    if ((unsigned)cfg->mode >= sizeof(modes) / sizeof(modes[0]) || modes[cfg->mode] == NULL) {
        return false;
    }
    for (size_t i = 0; i < cfg->n_ports; i++) {
        if (cfg->ports[i] == 0) {
            return false;
        }
    }
    return true;
}

static uint64_t seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
        s = probe_wall_ns() ^ ((uint64_t)getpid() << 32) ^ probe_mono_ns();
    }
    return s != 0 ? s : 0x9E3779B97F4A7C15ull;
}

/* A mode holding a descriptor per attempt in flight: keep parallel under
 * the open-file limit (RLIMIT_NOFILE), less FD_RESERVE for standard streams,
 * the resolver and the caller's own files. */
static uint32_t fd_limited(uint32_t parallel)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur >= (rlim_t)parallel + FD_RESERVE) {
        return parallel;
    }
    return rl.rlim_cur > FD_RESERVE ? (uint32_t)(rl.rlim_cur - FD_RESERVE) : 1;
}

struct tcpshake_probe *tcpshake_probe_new(const struct tcpshake_probe_config *cfg,
                                          tcpshake_probe_result_fn on_result,
                                          tcpshake_probe_summary_fn on_summary, void *user)
{
    const struct tcpshake_probe_config defaults = probe_defaults();
    struct tcpshake_probe_config known;
    if (cfg == NULL || !options_read(&known, cfg, &defaults, sizeof(known)) || !config_ok(&known)) {
        return NULL;
    }
    cfg = &known;
    struct tcpshake_probe *p = ts_calloc(1, sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    p->mode = modes[cfg->mode];
    p->raw_tcp = -1;
    p->raw_icmp = -1;
    p->cfg = *cfg;
    p->on_result = on_result;
    p->on_summary = on_summary;
    p->user = user;
    size_t host_len = strlen(cfg->host) + 1;
    p->host = ts_calloc(host_len, 1);
    p->ports = ts_calloc(cfg->n_ports, sizeof(*p->ports));
    p->port = ts_calloc(cfg->n_ports, sizeof(*p->port));
    p->rtts = ts_calloc(cfg->n_ports * cfg->count, sizeof(*p->rtts));
    p->heap = ts_calloc(cfg->n_ports, sizeof(*p->heap));
    p->slots = ts_calloc(cfg->parallel, sizeof(*p->slots));
    p->pfds = ts_calloc(cfg->parallel + 2, sizeof(*p->pfds));
    if (p->host == NULL || p->ports == NULL || p->port == NULL || p->rtts == NULL ||
        p->heap == NULL || p->slots == NULL || p->pfds == NULL) {
        tcpshake_probe_free(p);
        return NULL;
    }
    memcpy(p->host, cfg->host, host_len);
    memcpy(p->ports, cfg->ports, cfg->n_ports * sizeof(*p->ports));
    p->cfg.host = p->host;
    p->cfg.ports = p->ports;
    for (uint32_t i = 0; i < cfg->parallel; i++) {
        p->slots[i].fd = -1;
    }
    p->parallel = p->mode->fd_per_attempt ? fd_limited(cfg->parallel) : cfg->parallel;
    p->rng = seed();
    return p;
}

void tcpshake_probe_free(struct tcpshake_probe *p)
{
    if (p == NULL) {
        return;
    }
    for (uint32_t i = 0; p->slots != NULL && i < p->cfg.parallel; i++) {
        if (p->slots[i].fd >= 0) {
            close(p->slots[i].fd);
        }
    }
    p->mode->close(p);
    ts_free(p->host);
    ts_free(p->ports);
    ts_free(p->port);
    ts_free(p->rtts);
    ts_free(p->heap);
    ts_free(p->slots);
    ts_free(p->pfds);
    ts_free(p);
}

void tcpshake_probe_stop(struct tcpshake_probe *p)
{
    p->stop = 1;
}

uint32_t tcpshake_probe_parallel(const struct tcpshake_probe *p)
{
    return p->parallel;
}

const char *tcpshake_probe_errmsg(const struct tcpshake_probe *p)
{
    return p->err;
}

/* ------------------------------------------------------------- running */

static int resolve(struct tcpshake_probe *p)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = p->cfg.family == 4 ? AF_INET : p->cfg.family == 6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    int rc = getaddrinfo(p->host, NULL, &hints, &res);
    if (rc != 0 || res == NULL) {
        return probe_fail(p, TCPSHAKE_ERR_RESOLVE, "%s: %s", p->host,
                          rc != 0 ? gai_strerror(rc) : "no address");
    }
    memcpy(&p->dst, res->ai_addr, res->ai_addrlen);
    p->dst_len = res->ai_addrlen;
    freeaddrinfo(res);
    memset(p->addr, 0, sizeof(p->addr));
    if (p->dst.ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&p->dst;
        p->ip_version = 4;
        memcpy(p->addr, &sin->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&p->dst;
        p->ip_version = 6;
        memcpy(p->addr, &sin6->sin6_addr, 16);
    }
    return TCPSHAKE_OK;
}

void probe_finish(struct tcpshake_probe *p, struct probe_slot *s, const struct probe_answer *a,
                  uint64_t now_ns)
{
    struct probe_port *pp = &p->port[s->port_idx];
    struct tcpshake_probe_result r;
    memset(&r, 0, sizeof(r));
    r.port = p->ports[s->port_idx];
    r.attempt = s->attempt;
    r.ip_version = p->ip_version;
    memcpy(r.addr, p->addr, sizeof(r.addr));
    r.state = a->state;
    r.sent_ns = s->sent_wall_ns;
    r.rtt_ns = a->timed ? (int64_t)(now_ns - s->start_ns) : TCPSHAKE_NO_TIME;
    r.icmp = a->icmp;
    r.icmp_type = a->icmp_type;
    r.icmp_code = a->icmp_code;
    r.error = a->error;

    pp->finished++;
    pp->n_state[a->state]++;
    if (a->state == TCPSHAKE_PROBE_OPEN && a->timed) {
        p->rtts[(size_t)s->port_idx * p->cfg.count + pp->n_open++] = r.rtt_ns;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    s->busy = false;
    p->n_busy--;
    if (pp->started < p->cfg.count) {
        pp->due_ns = s->start_ns + p->cfg.interval_ns;
        heap_push(p, s->port_idx);
    }
    if (p->on_result != NULL) {
        p->on_result(&r, p->user);
    }
}

/* Attempts nobody answered in time are filtered. */
static void expire(struct tcpshake_probe *p, uint64_t now_ns)
{
    static const struct probe_answer none = {
        TCPSHAKE_PROBE_FILTERED, false, false, 0, 0, ETIMEDOUT
    };
    for (uint32_t i = 0; i < p->cfg.parallel; i++) {
        if (p->slots[i].busy && p->slots[i].deadline_ns <= now_ns) {
            probe_finish(p, &p->slots[i], &none, now_ns);
        }
    }
}

static struct probe_slot *free_slot(struct tcpshake_probe *p)
{
    for (uint32_t i = 0; i < p->cfg.parallel; i++) {
        if (!p->slots[i].busy) {
            return &p->slots[i];
        }
    }
    return NULL;
}

/* Out of file descriptors: undo the attempt just begun in s, and from now on
 * keep in flight only as many as there are now (they hold the descriptors). */
static void give_back(struct tcpshake_probe *p, struct probe_slot *s)
{
    s->busy = false;
    p->n_busy--;
    p->port[s->port_idx].started--;
    heap_push(p, s->port_idx);
    p->parallel = p->n_busy;
}

/* Start every attempt that is due, as the rate limit and free slots allow. */
static int start_due(struct tcpshake_probe *p, uint64_t now_ns)
{
    uint64_t period_ns = NS_PER_SEC / p->cfg.rate;
    while (p->n_busy < p->parallel && p->heap_len > 0 && p->port[p->heap[0]].due_ns <= now_ns &&
           p->next_start_ns <= now_ns) {
        struct probe_slot *s = free_slot(p);
        if (s == NULL) {
            break; /* cannot happen while n_busy < parallel */
        }
        uint32_t idx = heap_pop(p);
        memset(s, 0, sizeof(*s));
        s->fd = -1;
        s->busy = true;
        s->port_idx = idx;
        s->attempt = ++p->port[idx].started;
        p->n_busy++;
        /* Behind schedule (a slow loop): restart the spacing from now, no burst. */
        p->next_start_ns += period_ns;
        if (p->next_start_ns < now_ns) {
            p->next_start_ns = now_ns;
        }
        int rc = p->mode->start(p, s);
        if (rc == PROBE_NO_FD) {
            give_back(p, s);
            break;
        }
        if (rc != TCPSHAKE_OK) {
            return rc;
        }
    }
    return TCPSHAKE_OK;
}

/* Milliseconds until the next deadline or start, rounded up and capped. */
static int wait_ms(const struct tcpshake_probe *p, uint64_t now_ns)
{
    uint64_t until = UINT64_MAX;
    for (uint32_t i = 0; i < p->cfg.parallel; i++) {
        if (p->slots[i].busy && p->slots[i].deadline_ns < until) {
            until = p->slots[i].deadline_ns;
        }
    }
    if (p->n_busy < p->parallel && p->heap_len > 0) {
        uint64_t next = p->port[p->heap[0]].due_ns;
        if (p->next_start_ns > next) {
            next = p->next_start_ns;
        }
        if (next < until) {
            until = next;
        }
    }
    if (until <= now_ns) {
        return 0;
    }
    uint64_t ms = (until - now_ns + 999999) / 1000000;
    return ms > MAX_POLL_MS ? MAX_POLL_MS : (int)ms;
}

static int probe_loop(struct tcpshake_probe *p)
{
    uint64_t now_ns = probe_mono_ns();
    for (uint32_t i = 0; i < p->cfg.n_ports; i++) {
        p->port[i].due_ns = now_ns;
        heap_push(p, i);
    }
    p->next_start_ns = now_ns;
    int failed = TCPSHAKE_OK;
    while (!p->stop) {
        now_ns = probe_mono_ns();
        expire(p, now_ns);
        int rc = failed == TCPSHAKE_OK ? start_due(p, now_ns) : TCPSHAKE_OK;
        if (rc != TCPSHAKE_OK) {
            /* Start nothing more, but let the attempts in flight finish: they are reported. */
            failed = rc;
            p->parallel = 0;
        }
        if (p->n_busy == 0 && (p->heap_len == 0 || failed != TCPSHAKE_OK)) {
            return failed;
        }
        size_t n = p->mode->fill(p, p->pfds);
        int ready = poll(p->pfds, (nfds_t)n, wait_ms(p, now_ns));
        if (ready < 0 && errno != EINTR) {
            return failed != TCPSHAKE_OK
                           ? failed
                           : probe_fail(p, TCPSHAKE_ERR_SOCKET, "poll: %s", strerror(errno));
        }
        if (ready > 0) {
            p->mode->collect(p, p->pfds, n);
        }
    }
    return failed;
}

static enum tcpshake_probe_state port_state(const struct probe_port *pp)
{
    static const enum tcpshake_probe_state order[] = {
        TCPSHAKE_PROBE_OPEN,
        TCPSHAKE_PROBE_CLOSED,
        TCPSHAKE_PROBE_UNREACHABLE,
    };
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (pp->n_state[order[i]] > 0) {
            return order[i];
        }
    }
    return TCPSHAKE_PROBE_FILTERED;
}

static void report_summaries(struct tcpshake_probe *p)
{
    for (uint32_t i = 0; i < p->cfg.n_ports; i++) {
        const struct probe_port *pp = &p->port[i];
        if (pp->finished == 0) {
            continue;
        }
        struct tcpshake_probe_summary sum;
        memset(&sum, 0, sizeof(sum));
        sum.port = p->ports[i];
        sum.ip_version = p->ip_version;
        memcpy(sum.addr, p->addr, sizeof(sum.addr));
        sum.state = port_state(pp);
        sum.attempts = pp->finished;
        memcpy(sum.n_state, pp->n_state, sizeof(sum.n_state));
        sum.loss_pct = 100.0 * (double)(pp->finished - pp->n_open) / (double)pp->finished;
        struct probe_stats st;
        probe_stats_compute(p->rtts + (size_t)i * p->cfg.count, pp->n_open, &st);
        sum.min_ns = st.min_ns;
        sum.median_ns = st.median_ns;
        sum.p90_ns = st.p90_ns;
        sum.max_ns = st.max_ns;
        sum.stddev_ns = st.stddev_ns;
        if (p->on_summary != NULL) {
            p->on_summary(&sum, p->user);
        }
    }
}

enum tcpshake_status tcpshake_probe_run(struct tcpshake_probe *p)
{
    if (p->ran) {
        return probe_fail(p, TCPSHAKE_ERR_STATE, "a probe runs only once");
    }
    p->ran = true;
    int rc = resolve(p);
    if (rc == TCPSHAKE_OK) {
        rc = p->mode->open(p);
    }
    if (rc == TCPSHAKE_OK) {
        rc = probe_loop(p);
    }
    report_summaries(p);
    return rc;
}
