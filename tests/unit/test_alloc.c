/*
 * test_alloc.c - every allocation of every constructor fails in turn.
 *
 * The unit tests link alloc.c built with TCPSHAKE_FAULT_INJECTION, so
 * alloc_fail_after(n) makes the nth ts_calloc from now return NULL. For each
 * constructor this fails allocation 1, 2, 3 ... until the constructor no longer
 * reaches the failing one and succeeds. Every earlier attempt must return NULL
 * (or ERR_NOMEM), never a half-built object; the number of such attempts is the
 * number of allocations the constructor makes, checked against the list below so a
 * swallowed failure (a constructor that succeeds although an allocation failed)
 * shows. LeakSanitizer, in the ASan run (make asan), and valgrind (make valgrind)
 * prove that nothing taken before the failure leaks.
 */
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "check.h"
#include "tcpshake.h"

typedef void *(*make_fn)(void);
typedef void (*drop_fn)(void *obj);

/* Fails allocation 1, 2, ... in turn; returns how many attempts gave NULL before one
 * succeeded (that is, the number of allocations make() does), or -1 if none did. */
static int failures_until_success(make_fn make, drop_fn drop)
{
    for (unsigned long n = 1; n <= 64; n++) {
        alloc_fail_after(n);
        void *obj = make();
        alloc_fail_after(0);
        if (obj != NULL) {
            drop(obj);
            return (int)n - 1;
        }
    }
    return -1;
}

/* ------------------------------------------------------------ the handle */

static void *make_handle(void)
{
    return tcpshake_new(NULL, NULL, NULL);
}

static void *make_handle_bpf(void)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.max_flows = 1000;
    cfg.bpf = "tcp port 80";
    return tcpshake_new(&cfg, NULL, NULL);
}

/* Four threads, so three workers: each worker's queues and flow table, and the
 * threads already started when a later allocation fails must be stopped and joined. */
static void *make_handle_threads(void)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.max_flows = 3000;
    cfg.threads = 4;
    return tcpshake_new(&cfg, NULL, NULL);
}

static void drop_handle(void *obj)
{
    tcpshake_free(obj);
}

/* ----------------------------------------------------- sinks and summary */

static enum tcpshake_format sink_fmt;

static void *make_sink(void)
{
    return tcpshake_sink_new(sink_fmt, stdout, 0);
}

static void drop_sink(void *obj)
{
    tcpshake_sink_free(obj);
}

static void *make_summary(void)
{
    return tcpshake_summary_new();
}

static void drop_summary(void *obj)
{
    tcpshake_summary_free(obj);
}

/* ---------------------------------------------------- health and detect */

static void *make_health(void)
{
    return tcpshake_health_new(NULL);
}

static void drop_health(void *obj)
{
    tcpshake_health_free(obj);
}

static void *make_detect(void)
{
    return tcpshake_detect_new(NULL, NULL, NULL);
}

static void drop_detect(void *obj)
{
    tcpshake_detect_free(obj);
}

/* ----------------------------------------------------------------- probe */

static void *make_probe(void)
{
    static const uint16_t ports[] = { 22, 80, 443 };
    struct tcpshake_probe_config cfg;
    tcpshake_probe_config_default(&cfg);
    cfg.host = "127.0.0.1";
    cfg.ports = ports;
    cfg.n_ports = 3;
    return tcpshake_probe_new(&cfg, NULL, NULL, NULL);
}

static void drop_probe(void *obj)
{
    tcpshake_probe_free(obj);
}

/* ------------------------------------------------------------ the tests */

static void test_constructors(void)
{
    /* handle, pool, slots and the flow table, flush order (+ the filter's copy); a
     * lower bound, so that new per-handle state does not break this test. */
    CHECK(failures_until_success(make_handle, drop_handle) >= 5);
    CHECK(failures_until_success(make_handle_bpf, drop_handle) >= 6);
    /* handle, shard, workers, and per worker its two queues and flow table (4 at least) */
    CHECK(failures_until_success(make_handle_threads, drop_handle) >= 3 + 3 * 6);
    for (int f = 0; f < TCPSHAKE_FORMAT_COUNT; f++) {
        sink_fmt = (enum tcpshake_format)f;
        CHECK_INT(failures_until_success(make_sink, drop_sink), 1); /* sink + its state */
    }
    CHECK_INT(failures_until_success(make_summary, drop_summary), 4); /* s, keytab 3 */
    CHECK_INT(failures_until_success(make_health, drop_health), 5);   /* h, rows, keytab 3 */
    /* d, targets, its keytab (3); scans: sources, pairs, two keytabs (3 each). */
    CHECK_INT(failures_until_success(make_detect, drop_detect), 13);
    /* p, host, ports, per-port state, rtts, heap, slots, poll fds. */
    CHECK_INT(failures_until_success(make_probe, drop_probe), 8);
}

/* The one allocation outside a constructor: health_write's sorted row list. */
static void test_health_write(void)
{
    struct tcpshake_health *h = tcpshake_health_new(NULL);
    CHECK(h != NULL);
    if (h == NULL) {
        return;
    }
    FILE *null = fopen("/dev/null", "w");
    CHECK(null != NULL);
    if (null != NULL) {
        alloc_fail_after(1);
        CHECK_INT(tcpshake_health_write(h, null, TCPSHAKE_FORMAT_JSON), TCPSHAKE_ERR_NOMEM);
        alloc_fail_after(0);
        CHECK_INT(tcpshake_health_write(h, null, TCPSHAKE_FORMAT_JSON), TCPSHAKE_OK);
        fclose(null);
    }
    tcpshake_health_free(h);
}

/* Opening a file allocates its source (and the mapped reader's state for a classic
 * pcap: when that fails, libpcap reads the file instead). A failure is ERR_NOMEM,
 * leaves the handle without a source, and the next open works. */
static void test_open_file(void)
{
    static const char *const files[] = { "tests/data/sample.pcap", "tests/data/sample.pcapng" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        FILE *probe = fopen(files[i], "rb");
        if (probe == NULL) {
            continue; /* run from elsewhere than the repository's top */
        }
        fclose(probe);
        int nomem = 0;
        for (unsigned long n = 1; n <= 4; n++) {
            struct tcpshake *h = tcpshake_new(NULL, NULL, NULL);
            CHECK(h != NULL);
            if (h == NULL) {
                return;
            }
            alloc_fail_after(n);
            int rc = tcpshake_open_file(h, files[i]);
            alloc_fail_after(0);
            CHECK(rc == TCPSHAKE_OK || rc == TCPSHAKE_ERR_NOMEM);
            if (rc == TCPSHAKE_ERR_NOMEM) {
                nomem++;
                CHECK_INT(tcpshake_open_file(h, files[i]), TCPSHAKE_OK);
            }
            CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
            CHECK(tcpshake_get_stats(h)->packets_read > 0);
            tcpshake_free(h);
        }
        CHECK(nomem >= 1);
    }
}

int main(void)
{
    if (!alloc_fault_injection()) {
        printf("alloc: skipped: alloc.c built without fault injection\n");
        return 0;
    }
    test_constructors();
    test_health_write();
    test_open_file();
    return check_report("alloc");
}
