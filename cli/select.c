/*
 * select.c - the record selection of --outcome, --slower and --top/--sort.
 * See cli_select.h.
 *
 * --top N keeps the N best records seen so far in a binary heap whose root is
 * the worst of them, so memory is N records whatever the capture holds; at
 * the end they are sorted and written, largest first. Ties are broken by the
 * record id, then handshake before close: ids are the same for any --threads,
 * so the output is too.
 */
#include "cli_select.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_habits.h"

enum { EXIT_USAGE = 2 };

struct select_item {
    uint64_t key; /* the --sort duration, ns */
    enum tcpshake_event ev;
    struct tcpshake_record r;
};

static const char *const field_names[SELECT_FIELD_COUNT] = {
    [SELECT_SERVER] = "server", [SELECT_CLIENT] = "client",     [SELECT_HANDSHAKE] = "handshake",
    [SELECT_APP] = "app",       [SELECT_DURATION] = "duration",
};

/* The outcomes `failed` stands for: the handshake was tried and did not complete. */
static const uint32_t failed_outcomes =
        1u << TCPSHAKE_OUTCOME_REFUSED | 1u << TCPSHAKE_OUTCOME_UNANSWERED |
        1u << TCPSHAKE_OUTCOME_ICMP_REJECTED | 1u << TCPSHAKE_OUTCOME_HALF_OPEN |
        1u << TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE;

void select_options_default(struct select_options *o)
{
    memset(o, 0, sizeof(*o));
    o->sort = -1;
}

void select_usage(FILE *out)
{
    fputs("  --outcome LIST          print only connections with these outcomes, e.g.\n"
          "                          refused,unanswered; 'failed' is refused, unanswered,\n"
          "                          icmp_rejected, half_open and reset_in_handshake\n"
          "  --slower FIELD=D        print only connections whose FIELD (server, client,\n"
          "                          handshake or app) took more than D, e.g. server=100ms;\n"
          "                          repeat for more fields (all must hold)\n"
          "  --top N --sort FIELD    print only the N connections with the largest FIELD\n"
          "                          (server, client, handshake, app or duration), largest\n"
          "                          first, at the end; ties in id order\n",
          out);
}

static int bad(const char *opt, const char *arg, const char *want)
{
    fprintf(stderr, "tcpshake: %s %s: %s\n", opt, arg, want);
    return EXIT_USAGE;
}

/* A --sort / --slower field name; -1 when unknown. */
static int field_of(const char *s, size_t len)
{
    for (int i = 0; i < SELECT_FIELD_COUNT; i++) {
        if (strlen(field_names[i]) == len && strncmp(s, field_names[i], len) == 0) {
            return i;
        }
    }
    return -1;
}

static bool parse_outcomes(const char *s, uint32_t *bits)
{
    while (*s != '\0') {
        size_t len = strcspn(s, ",");
        bool found = len == 6 && strncmp(s, "failed", 6) == 0;
        if (found) {
            *bits |= failed_outcomes;
        }
        for (int i = 0; i < TCPSHAKE_OUTCOME_COUNT && !found; i++) {
            const char *name = tcpshake_outcome_name((enum tcpshake_outcome)i);
            if (strlen(name) == len && strncmp(s, name, len) == 0) {
                *bits |= 1u << i;
                found = true;
            }
        }
        if (!found) {
            return false;
        }
        s += len;
        if (*s == ',') {
            s++;
            if (*s == '\0') {
                return false;
            }
        }
    }
    return true;
}

static void note_words(struct select_options *o, const char *opt, const char *arg)
{
    size_t used = strlen(o->words);
    snprintf(o->words + used, sizeof(o->words) - used, "%s%s %s", used > 0 ? " " : "", opt, arg);
}

static int parse_slower(const char *arg, struct select_options *o)
{
    const char *eq = strchr(arg, '=');
    int f = eq != NULL ? field_of(arg, (size_t)(eq - arg)) : -1;
    uint64_t ns;
    if (f < 0 || f == SELECT_DURATION) {
        return bad("--slower", arg,
                   "want FIELD=DURATION, FIELD one of server, client, handshake"
                   " or app, e.g. server=100ms");
    }
    if (!habits_duration(eq + 1, &ns)) {
        return bad("--slower", arg, "want FIELD=DURATION, with " HABITS_DURATION_WORDS);
    }
    o->slower_set[f] = true;
    o->slower_ns[f] = ns;
    return 0;
}

int select_parse_option(int ch, const char *arg, struct select_options *o)
{
    int rc = 0;
    switch (ch) {
    case SELECT_OPT_OUTCOME:
        if (!parse_outcomes(arg, &o->outcomes)) {
            return bad("--outcome", arg,
                       "want outcome names separated by commas (see tcpshake(1)), or failed");
        }
        note_words(o, "--outcome", arg);
        break;
    case SELECT_OPT_SLOWER:
        rc = parse_slower(arg, o);
        note_words(o, "--slower", arg);
        break;
    case SELECT_OPT_TOP: {
        char *end;
        unsigned long long v = arg[0] >= '0' && arg[0] <= '9' ? strtoull(arg, &end, 10) : 0;
        if (v < 1 || v > SELECT_TOP_MAX || *end != '\0') {
            return bad("--top", arg, "want a number of connections from 1 to 100000");
        }
        o->top = v;
        note_words(o, "--top", arg);
        break;
    }
    case SELECT_OPT_SORT:
        o->sort = field_of(arg, strlen(arg));
        if (o->sort < 0) {
            return bad("--sort", arg, "want server, client, handshake, app or duration");
        }
        note_words(o, "--sort", arg);
        break;
    default:
        return -1;
    }
    o->any = true;
    return rc;
}

int select_check_options(const struct select_options *o, bool by)
{
    if ((o->top != 0) != (o->sort >= 0)) {
        fprintf(stderr, "tcpshake: %s: give --top N and --sort FIELD together\n",
                o->top != 0 ? "--top" : "--sort");
        return EXIT_USAGE;
    }
    if (o->any && by) {
        fputs("tcpshake: --outcome, --slower, --top: they choose connection records;"
              " --by prints health rows instead\n",
              stderr);
        return EXIT_USAGE;
    }
    return -1;
}

static int64_t field_ns(const struct tcpshake_record *r, int f)
{
    switch (f) {
    case SELECT_SERVER:
        return r->server_side_ns;
    case SELECT_CLIENT:
        return r->client_side_ns;
    case SELECT_HANDSHAKE:
        return r->handshake_ns;
    case SELECT_APP:
        return r->app_latency_ns;
    default:
        return r->duration_ns;
    }
}

static bool passes(const struct select_options *o, const struct tcpshake_record *r)
{
    if (o->outcomes != 0 && !(o->outcomes & 1u << r->outcome)) {
        return false;
    }
    for (int f = 0; f < SELECT_FIELD_COUNT; f++) {
        int64_t v = field_ns(r, f);
        if (o->slower_set[f] &&
            (v == TCPSHAKE_NO_TIME || v < 0 || (uint64_t)v <= o->slower_ns[f])) {
            return false;
        }
    }
    return true;
}

bool select_start(struct select_run *run, const struct select_options *o)
{
    memset(run, 0, sizeof(*run));
    run->o = o;
    if (o->top != 0) {
        run->heap = calloc(o->top, sizeof(*run->heap));
        return run->heap != NULL;
    }
    return true;
}

/* a ranks before b: larger key, then smaller id, then handshake before close. */
static bool before(const struct select_item *a, const struct select_item *b)
{
    if (a->key != b->key) {
        return a->key > b->key;
    }
    if (a->r.id != b->r.id) {
        return a->r.id < b->r.id;
    }
    return a->ev < b->ev;
}

static void swap(struct select_item *a, struct select_item *b)
{
    struct select_item t = *a;
    *a = *b;
    *b = t;
}

/* The root holds the item every other ranks before: sift [i] down to keep it so. */
static void sift_down(struct select_item *h, uint64_t n, uint64_t i)
{
    for (;;) {
        uint64_t worst = i, l = 2 * i + 1, r = l + 1;
        if (l < n && before(&h[worst], &h[l])) {
            worst = l;
        }
        if (r < n && before(&h[worst], &h[r])) {
            worst = r;
        }
        if (worst == i) {
            return;
        }
        swap(&h[i], &h[worst]);
        i = worst;
    }
}

static void keep(struct select_run *run, const struct select_item *it)
{
    struct select_item *h = run->heap;
    if (run->n_heap < run->o->top) {
        uint64_t i = run->n_heap++;
        h[i] = *it;
        while (i > 0 && before(&h[(i - 1) / 2], &h[i])) {
            swap(&h[i], &h[(i - 1) / 2]);
            i = (i - 1) / 2;
        }
        return;
    }
    if (before(it, &h[0])) {
        h[0] = *it;
        sift_down(h, run->n_heap, 0);
    }
}

bool select_take(struct select_run *run, enum tcpshake_event ev, const struct tcpshake_record *r)
{
    run->seen++;
    if (!passes(run->o, r)) {
        return false;
    }
    if (run->heap == NULL) {
        run->shown++;
        return true;
    }
    int64_t v = field_ns(r, run->o->sort);
    if (v == TCPSHAKE_NO_TIME || v < 0) {
        return false; /* not measured: not among the largest */
    }
    struct select_item it = { .key = (uint64_t)v, .ev = ev, .r = *r };
    keep(run, &it);
    return false;
}

void select_drain(struct select_run *run,
                  void (*fn)(enum tcpshake_event ev, const struct tcpshake_record *r, void *user),
                  void *user)
{
    /* Heap sort: the worst goes last each round, so the array ends best first. */
    uint64_t n = run->n_heap;
    for (uint64_t end = n; end > 1; end--) {
        swap(&run->heap[0], &run->heap[end - 1]);
        sift_down(run->heap, end - 1, 0);
    }
    for (uint64_t i = 0; i < n; i++) {
        fn(run->heap[i].ev, &run->heap[i].r, user);
    }
    run->shown += n;
    run->n_heap = 0;
}

void select_summary(const struct select_run *run, bool connections, FILE *out)
{
    if (!run->o->any) {
        return;
    }
    fprintf(out, "shown: %llu of %llu %s (%s)\n", (unsigned long long)run->shown,
            (unsigned long long)run->seen, connections ? "connections" : "records", run->o->words);
}

void select_free(struct select_run *run)
{
    free(run->heap);
    run->heap = NULL;
}
