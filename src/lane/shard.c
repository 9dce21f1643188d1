/*
 * shard.c - the worker pool behind the lane (lane.h) when
 * tcpshake_config.threads > 1.
 *
 * The caller's thread reads and decodes (tcpshake.c) and hands each decoded
 * packet here through the lane. It goes to the worker that owns its flow: the
 * keyed hash of its canonical (direction-free) tuple (flow_hash64; for an ICMP
 * error, of the quoted tuple), so both directions and the ICMP errors about a
 * connection meet in one engine, and crafted traffic cannot pile its flows
 * onto one worker and its share of the flow table. With one worker there is
 * nothing to route, and the hash (which the worker's flow table needs) is
 * made by whichever thread has time to spare: the reader when it last had to
 * wait for the worker (a SYN flood), else the worker (ordinary traffic, where
 * reading is the larger stage).
 *
 * The caller's thread counts as one of tcpshake_config.threads: with two, one
 * worker tracks every connection while the caller reads, a pipeline. Reading
 * is the largest single stage (the file passes through the reader's core), so
 * a worker per CPU beside it only makes the threads fight over the cores.
 *
 * Packets travel in rounds: the caller decodes each packet straight into the
 * round's one array of items, and lists its position in the batch of the
 * worker that owns it: no copy per packet, and one array of items per round
 * rather than one per worker. A round of ROUND_CAP packets is far larger than
 * the inline engine's batch (lane.c): it pays for waking the workers and
 * taking the lock once per round. The round is sent to every worker at once,
 * each batch stamped with the clock of the last decoded packet (the sweep
 * clock) and the last packet index. Every worker sweeps at that clock, so
 * expiry happens at the same clock values in every worker; the emission keys
 * (engine.h) make the order independent of who reported what.
 *
 *   caller: read, decode, route ──> in[w]: ring of IN_SLOTS batches ──> worker w
 *   caller: merge by key, callbacks <── out[w]: ring of OUT_CAP records <── engine
 *
 * A record goes into its slot in the bytes it or the slot's last record uses
 * (tcpshake_record_copy): in a SYN flood there is one per packet, and most of its 2 KB
 * is zero.
 *
 * Each worker publishes a watermark: a key below every record it will still
 * produce (the round's end, or its last record: it publishes every HANDOFF
 * records, and when its output ring is full). The caller delivers, in key
 * order, every record not above the lowest watermark; the rest waits. It
 * gives the slots back every HANDOFF records too, so that in a SYN flood (a
 * record per packet) the worker makes records while the caller writes them;
 * handed over only a full ring at a time, each waited for the other. Both
 * rings are bounded: a full input ring makes the caller wait (delivering
 * meanwhile), a full output ring makes the worker wait. One mutex guards the
 * ring indexes and watermarks, taken once per batch and per HANDOFF records,
 * never per packet.
 *
 * With one worker, the reader may take its engine back while most packets
 * make a record (a SYN flood): each record then crosses cores once
 * more than the packet that made it, and when the hooks are cheap (counting
 * into rows, --by) the crossing costs more than tracking the packet where it
 * was read. Every WINDOW packets the reader counts the records of the last
 * WINDOW. After TRIAL windows in a row of at least TAKE_AT per 100 packets,
 * it waits until the worker is idle and everything it made is delivered, and
 * runs the engine itself, INLINE_BATCH packets at a time, its records going
 * straight to the hooks. It keeps the engine only if the shorter of its next
 * TRIAL windows (after one to warm the caches up) took no longer than the
 * shortest of the worker's: hooks that format every record as text may be
 * the slower stage. Either way the question is asked again later (the
 * worker's windows may have been slow only while the table filled up): a
 * trial again after PATIENCE windows, or the worker measured again, and
 * twice as late each time, up to PATIENCE_MAX. When records fall below
 * GIVE_AT per 100 packets the flood is over: it hands the engine back with
 * the next round. The clock decides only who runs the engine: one engine
 * sees the same packets in the same order either way, and its records come
 * in key order, so the output does not depend on it.
 */
#define _GNU_SOURCE /* SCHED_BATCH */
#include "shard.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "carry.h"
#include "engine.h"
#include "flowtab.h"
#include "siphash.h"

#define ROUND_CAP    8192 /* packets per round, and per batch at most (fits a uint16_t index) */
#define IN_SLOTS     4    /* batches queued per worker */
#define OUT_CAP      1024
#define HANDOFF      64   /* records a worker publishes, and the caller frees, at a time */
#define DELIVER_AT   1024 /* packets between deliveries within a round */
#define N_PENDING    64   /* interval callbacks waiting for their turn */
#define ROUND_ARENA  (16 * CARRY_MAX_COPY) /* payload copies per round (carry.h) */
#define WINDOW       ROUND_CAP /* packets between decisions on who runs one worker's engine */
#define TAKE_AT      50        /* the reader takes it at TAKE_AT records per 100 packets */
#define GIVE_AT      12        /* and gives it back below GIVE_AT */
#define TRIAL        2         /* windows of each to compare */
#define PATIENCE     16        /* windows until the question is asked again, at first */
#define PATIENCE_MAX 1024      /* and at most (doubled every time) */
#define INLINE_BATCH 256       /* packets the reader analyses at a time (lane.c's batch) */

_Static_assert(ROUND_CAP <= UINT16_MAX + 1, "batch positions are uint16_t");

/* One worker's part of a round: positions in the round's items. */
struct batch {
    size_t n;
    uint64_t sweep_ns;  /* sweep at this clock after the packets */
    uint64_t end_index; /* packets read so far */
    bool flush;         /* then report every open connection */
    uint16_t pick[ROUND_CAP];
};

/* A record on its way to the caller. The worker writes into the slot only the
 * bytes that this record or the slot's last one uses (tcpshake_record_copy), and so only
 * their cache lines cross to the caller's core. */
struct out_item {
    struct emit_key key;
    enum tcpshake_event ev;
    struct tcpshake_record rec;
};

/* Between fields that different threads write, so that a write by one does not
 * take the cache line of the other's fields away from its core. */
#define LINE_GAP 64

struct worker {
    struct shard *s;
    pthread_t tid;
    bool started;
    struct engine eng;
    struct tcpshake_stats st;              /* the engine's counters */
    pthread_cond_t work_cv;                /* input arrived, or quit */
    pthread_cond_t space_cv;               /* the caller consumed output */
    struct batch *in;                      /* IN_SLOTS, in step with the shard's rounds */
    struct out_item *out;                  /* OUT_CAP */
    struct tcpshake_record_mark *out_mark; /* OUT_CAP, the worker's: what each slot's record uses */
    bool direct; /* the reader runs the engine: records go straight to the hooks */
    char gap0[LINE_GAP];
    /* Shared, under s->mu. */
    uint64_t in_head, in_tail; /* batches taken by the worker / sent by the caller */
    uint64_t out_head;         /* records consumed by the caller */
    uint64_t out_tail;         /* records published by the worker */
    struct emit_key wm;        /* every later record sorts above this */
    char gap1[LINE_GAP];
    /* The worker's own. */
    uint64_t w_tail, w_head_seen, w_published;
    struct emit_key w_last;
    char gap2[LINE_GAP];
    /* The caller's own. */
    uint64_t c_head, c_tail;
    struct batch *c_fill; /* batch being filled in the open round */
    char gap3[LINE_GAP];
};

struct pending {
    struct emit_key key;
    uint64_t start_ns, end_ns;
};

struct shard {
    pthread_mutex_t mu;
    pthread_cond_t caller_cv; /* a worker published or took something */
    uint64_t gen;             /* bumped with every caller_cv signal */
    bool quit;
    unsigned n;
    struct worker *w;
    struct siphash_key key; /* the flow tables' key: routing uses other bits of the hash */
    /* IN_SLOTS rounds of ROUND_CAP items. Every round goes to every worker, so
     * round k is worker w's batch k (w->in[k % IN_SLOTS]) for all w, and a
     * round can be refilled once every worker has taken its batch. */
    struct engine_item *rounds;
    struct carry_arena arena[IN_SLOTS]; /* round k's payload copies: arena[k % IN_SLOTS] */
    struct lane_hooks hooks;
    /* The caller's own. */
    bool round_open;
    size_t round_n;
    struct engine_item *c_items; /* the open round's items */
    struct carry_arena *c_arena; /* and its payload copies */
    bool reader_hashes;          /* one worker: the reader hashes this round's flows */
    uint64_t sweep_ns;           /* clock of the last decoded packet or tick */
    uint64_t end_index;          /* last packet index seen */
    uint64_t n_tracked;          /* two or more workers: connections tracked at the merge's key */
    uint64_t peak_tracked;       /* the most of them at once */
    struct pending pending[N_PENDING];
    size_t p_head, p_n;
    /* One worker: who runs its engine (see the top of this file). */
    bool reader_runs;      /* the reader, with the worker idle */
    uint64_t win_packets;  /* packets committed in this window */
    uint64_t win_records;  /* records delivered in it */
    uint64_t win_start_ns; /* when it started (CLOCK_MONOTONIC) */
    uint64_t pipe_ns;      /* the shortest of them, the worker running the engine */
    unsigned thick_run;    /* windows in a row with many records, the worker running it */
    unsigned trial;        /* windows until the reader compares its time with pipe_ns */
    uint64_t trial_ns;     /* the shortest of its own windows so far */
    unsigned wait;         /* windows until the next trial, or the next measure of the worker */
    unsigned patience;     /* the next wait */
    uint64_t handovers;    /* times the engine changed threads */
};

static const struct emit_key key_end = { UINT64_MAX, EMIT_END, 0, 0 };

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* For who runs the engine (choose_runner) only: the output never depends on it. */
static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ worker */

/* Publish the records written so far; called with s->mu held. */
static void publish(struct worker *w, const struct emit_key *wm)
{
    w->out_tail = w->w_published = w->w_tail;
    w->wm = *wm;
    w->s->gen++;
    pthread_cond_signal(&w->s->caller_cv);
}

static void worker_out(void *ctx, const struct emit_key *key, enum tcpshake_event ev,
                       const struct tcpshake_record *rec)
{
    struct worker *w = ctx;
    struct shard *s = w->s;
    if (w->direct) {
        /* the reader runs the engine: one worker, so no start markers */
        s->win_records++;
        s->hooks.record(s->hooks.ctx, ev, rec);
        return;
    }
    if (w->w_tail - w->w_head_seen == OUT_CAP) {
        pthread_mutex_lock(&s->mu);
        /* Everything this worker writes later sorts above its last record. */
        publish(w, &w->w_last);
        while (w->w_tail - w->out_head == OUT_CAP && !s->quit) {
            pthread_cond_wait(&w->space_cv, &s->mu);
        }
        w->w_head_seen = s->quit ? w->w_tail - OUT_CAP + 1 : w->out_head;
        pthread_mutex_unlock(&s->mu);
    }
    struct out_item *o = &w->out[w->w_tail % OUT_CAP];
    o->key = *key;
    o->ev = ev;
    if (ev != ENGINE_EVENT_NEW) {
        /* a start marker carries no record */
        tcpshake_record_copy(&o->rec, &w->out_mark[w->w_tail % OUT_CAP], rec);
    }
    w->w_tail++;
    w->w_last = *key;
    if (w->w_tail - w->w_published == HANDOFF) {
        /* Hand records over as they come, so that the caller writes them while
         * this worker makes more (a SYN flood: a record per packet). */
        pthread_mutex_lock(&s->mu);
        publish(w, &w->w_last);
        w->w_head_seen = w->out_head;
        pthread_mutex_unlock(&s->mu);
    }
}

static void run_batch(struct worker *w, const struct batch *b, const struct engine_item *items)
{
    engine_packets(&w->eng, items, b->pick, b->n);
    engine_sweep(&w->eng, b->sweep_ns);
    if (b->flush) {
        engine_flush(&w->eng);
    }
}

/*
 * The caller wakes every worker once a round. An ordinary thread woken may
 * preempt the caller, whose reading is the critical path of the whole run,
 * and the caller's core then waits for it. A SCHED_BATCH thread does not
 * preempt on wake-up; it needs no privilege and gets the same share of the
 * CPU otherwise. Best effort: without it the output is the same.
 */
static void make_batch_thread(void)
{
#ifdef SCHED_BATCH
    struct sched_param none = { 0 };
    (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &none);
#endif
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shard *s = w->s;
    make_batch_thread();
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (w->in_head == w->in_tail && !s->quit) {
            pthread_cond_wait(&w->work_cv, &s->mu);
        }
        if (s->quit) {
            break;
        }
        const struct batch *b = &w->in[w->in_head % IN_SLOTS];
        const struct engine_item *items = &s->rounds[w->in_head % IN_SLOTS * ROUND_CAP];
        w->w_head_seen = w->out_head;
        pthread_mutex_unlock(&s->mu);
        run_batch(w, b, items);
        /* Later records: packets after end_index, or deadlines not before sweep_ns. */
        struct emit_key wm = { b->sweep_ns, EMIT_PACKET, b->end_index, UINT64_MAX };
        if (b->flush) {
            wm = key_end;
        }
        pthread_mutex_lock(&s->mu);
        w->in_head++;
        publish(w, &wm);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ------------------------------------------------------------------ caller */

/* In key order, a connection starts (ENGINE_EVENT_NEW) or leaves the table or
 * its port is reused (a CLOSE record): the number tracked by all workers at
 * once, as one engine would have counted it after each packet. */
static void count_tracked(struct shard *s, enum tcpshake_event ev)
{
    if (ev == ENGINE_EVENT_NEW) {
        if (++s->n_tracked > s->peak_tracked) {
            s->peak_tracked = s->n_tracked;
        }
    } else if (ev == TCPSHAKE_EVENT_CLOSE && s->n_tracked > 0) {
        s->n_tracked--;
    }
}

/* Give the slots of the records delivered so far back to their workers. */
static void free_slots(struct shard *s)
{
    pthread_mutex_lock(&s->mu);
    for (unsigned i = 0; i < s->n; i++) {
        struct worker *w = &s->w[i];
        if (w->out_head != w->c_head) {
            w->out_head = w->c_head;
            pthread_cond_signal(&w->space_cv);
        }
    }
    pthread_mutex_unlock(&s->mu);
}

/* Hand the records that can no longer be preceded by anything to the hooks. */
static void deliver(struct shard *s)
{
    struct emit_key safe = key_end;
    pthread_mutex_lock(&s->mu);
    for (unsigned i = 0; i < s->n; i++) {
        struct worker *w = &s->w[i];
        w->c_tail = w->out_tail;
        if (emit_key_cmp(&w->wm, &safe) < 0) {
            safe = w->wm;
        }
    }
    pthread_mutex_unlock(&s->mu);
    bool moved = false;
    for (;;) {
        struct worker *best = NULL;
        const struct emit_key *bk = NULL;
        for (unsigned i = 0; i < s->n; i++) {
            struct worker *w = &s->w[i];
            if (w->c_head == w->c_tail) {
                continue;
            }
            const struct emit_key *k = &w->out[w->c_head % OUT_CAP].key;
            if (bk == NULL || emit_key_cmp(k, bk) < 0) {
                best = w;
                bk = k;
            }
        }
        const struct pending *p = s->p_n > 0 ? &s->pending[s->p_head] : NULL;
        if (p != NULL && (bk == NULL || emit_key_cmp(&p->key, bk) < 0)) {
            if (emit_key_cmp(&p->key, &safe) > 0) {
                break;
            }
            s->p_head = (s->p_head + 1) % N_PENDING;
            s->p_n--;
            s->hooks.interval(s->hooks.ctx, p->start_ns, p->end_ns);
            continue;
        }
        if (bk == NULL || emit_key_cmp(bk, &safe) > 0) {
            break;
        }
        const struct out_item *o = &best->out[best->c_head % OUT_CAP];
        count_tracked(s, o->ev);
        if (o->ev != ENGINE_EVENT_NEW) {
            s->win_records++;
            s->hooks.record(s->hooks.ctx, o->ev, &o->rec);
        }
        if (++best->c_head % HANDOFF == 0) {
            free_slots(s); /* the worker may be waiting for them */
        }
        moved = true;
    }
    if (moved) {
        free_slots(s);
    }
}

typedef bool (*ready_fn)(const struct shard *s); /* called with s->mu held */

/* Deliver until ready(s), sleeping while no worker moves; true if it was not
 * ready at once. */
static bool wait_for(struct shard *s, ready_fn ready)
{
    for (bool waited = false;; waited = true) {
        pthread_mutex_lock(&s->mu);
        uint64_t gen = s->gen;
        bool ok = ready(s);
        pthread_mutex_unlock(&s->mu);
        if (ok) {
            return waited;
        }
        deliver(s);
        pthread_mutex_lock(&s->mu);
        while (s->gen == gen && !ready(s)) {
            pthread_cond_wait(&s->caller_cv, &s->mu);
        }
        pthread_mutex_unlock(&s->mu);
    }
}

static bool input_space(const struct shard *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        if (s->w[i].in_tail - s->w[i].in_head == IN_SLOTS) {
            return false;
        }
    }
    return true;
}

static bool all_delivered(const struct shard *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        const struct worker *w = &s->w[i];
        if (w->in_head != w->in_tail || w->wm.phase != EMIT_END || w->c_head != w->out_tail) {
            return false;
        }
    }
    return s->p_n == 0;
}

static bool pending_space(const struct shard *s)
{
    return s->p_n < N_PENDING;
}

static void open_round(struct shard *s)
{
    /* One worker: whoever has time to spare hashes the flows. The reader waited
     * for the worker (a SYN flood: a record per packet): the reader; else the
     * worker. The hash is the same either way. */
    s->reader_hashes = wait_for(s, input_space);
    for (unsigned i = 0; i < s->n; i++) {
        struct worker *w = &s->w[i];
        w->c_fill = &w->in[w->in_tail % IN_SLOTS]; /* the worker is done with this slot */
        w->c_fill->n = 0;
        w->c_fill->flush = false;
    }
    /* Every worker has sent as many batches: one in_tail names the round. */
    s->c_items = &s->rounds[s->w[0].in_tail % IN_SLOTS * ROUND_CAP];
    s->c_arena = &s->arena[s->w[0].in_tail % IN_SLOTS];
    s->c_arena->used = 0;
    s->round_open = true;
    s->round_n = 0;
}

static void send_round(struct shard *s, bool flush)
{
    if (!s->round_open) {
        open_round(s);
    }
    for (unsigned i = 0; i < s->n; i++) {
        s->w[i].c_fill->sweep_ns = s->sweep_ns;
        s->w[i].c_fill->end_index = s->end_index;
        s->w[i].c_fill->flush = flush;
    }
    pthread_mutex_lock(&s->mu);
    for (unsigned i = 0; i < s->n; i++) {
        s->w[i].in_tail++;
        pthread_cond_signal(&s->w[i].work_cv);
    }
    pthread_mutex_unlock(&s->mu);
    s->round_open = false;
}

/* ------------------------------------------------- the reader runs the engine */

static bool worker_idle(const struct shard *s)
{
    const struct worker *w = &s->w[0];
    return w->in_head == w->in_tail && w->c_head == w->out_tail;
}

/* Analyse the packets of the open round on this thread (the reader has the engine). */
static void run_inline(struct shard *s)
{
    engine_packets(&s->w[0].eng, s->c_items, NULL, s->round_n);
    s->round_n = 0;
    s->c_arena->used = 0;
}

/* Send the open round, wait until the one worker has analysed everything and its
 * records are delivered, then run its engine on this thread. */
static void take_engine(struct shard *s)
{
    send_round(s, false);
    wait_for(s, worker_idle);
    /* Intervals still waiting are due before the next packet: after every record. */
    for (; s->p_n > 0; s->p_n--) {
        const struct pending *p = &s->pending[s->p_head];
        s->p_head = (s->p_head + 1) % N_PENDING;
        s->hooks.interval(s->hooks.ctx, p->start_ns, p->end_ns);
    }
    s->w[0].direct = true; /* the worker is idle: it sees this with its next round */
    s->reader_runs = true;
    s->handovers++;
    open_round(s);
}

/* Analyse what waits, and let the worker run the engine from the next round on. */
static void give_engine(struct shard *s)
{
    run_inline(s);
    s->w[0].direct = false;
    s->reader_runs = false;
    s->handovers++;
    s->round_open = false;
}

/* At the end of a window (one worker only): who runs its engine for the next. */
static void choose_runner(struct shard *s)
{
    uint64_t took_ns = monotonic_ns() - s->win_start_ns;
    bool thick = s->win_records * 100 >= s->win_packets * TAKE_AT;
    if (!s->reader_runs) {
        /* The fastest of the thick windows in a row: one slow spell of the
         * machine should not decide. */
        s->pipe_ns = !thick              ? UINT64_MAX
                     : s->thick_run == 0 ? took_ns
                                         : min_u64(s->pipe_ns, took_ns);
        s->thick_run = thick ? s->thick_run + 1 : 0;
        if (s->wait > 0) {
            s->wait--;
        } else if (s->thick_run >= TRIAL) {
            take_engine(s);
            s->trial = TRIAL + 1; /* its first window warms the caches up: not counted */
            s->trial_ns = UINT64_MAX;
        }
    } else if (s->win_records * 100 < s->win_packets * GIVE_AT) {
        give_engine(s); /* the flood is over */
        s->patience = PATIENCE;
    } else if (s->trial > 0) {
        if (s->trial <= TRIAL) {
            s->trial_ns = min_u64(s->trial_ns, took_ns);
        }
        if (--s->trial == 0) {
            /* Slower (the hooks cost more than the crossing: records formatted
             * as text), it gives the engine back and tries again later; faster,
             * it measures the worker again later (the traffic changes: the
             * worker's windows may have been slow only while the table filled).
             * Later each time, so that a settled question costs ever less. */
            s->wait = s->patience;
            s->patience = s->patience < PATIENCE_MAX ? 2 * s->patience : PATIENCE_MAX;
            if (s->trial_ns > s->pipe_ns) {
                give_engine(s);
            }
        }
    } else if (s->wait > 0 && --s->wait == 0) {
        give_engine(s); /* to measure the worker again */
    }
    s->win_packets = 0;
    s->win_records = 0;
    s->win_start_ns = monotonic_ns();
}

/*
 * Which worker owns a packet's connection: the high half of the flow tables'
 * keyed hash of the canonical key (flowtab_hash64; the flow table takes its
 * slot from the low half, so the two are independent, and the item carries
 * that half to the worker: one hash per packet, not two). It replaced
 * an unkeyed xor of two endpoint hashes: cheaper, but anyone could compute
 * which tuples go to which worker.
 */
static uint64_t flow_hash64(const struct shard *s, const struct flow_tuple *t)
{
    struct flow_key k;
    flowtab_key(t, &k);
    return flowtab_hash64(&s->key, &k);
}

struct packet_view *shard_slot(struct shard *s)
{
    if (!s->round_open) {
        open_round(s);
    }
    return &s->c_items[s->round_n].pv;
}

struct carry_arena *shard_arena(struct shard *s)
{
    if (!s->round_open) {
        open_round(s);
    }
    return s->c_arena;
}

void shard_commit(struct shard *s, uint64_t index, uint64_t now_ns, uint64_t ts_ns)
{
    struct engine_item *it = &s->c_items[s->round_n];
    struct worker *w = &s->w[0];
    if (s->reader_runs) {
        it->hashed = false; /* the engine hashes */
    } else if (s->n > 1 || s->reader_hashes) {
        uint64_t h = flow_hash64(s, packet_flow_tuple(&it->pv));
        w = &s->w[(h >> 32) * s->n >> 32];
        it->hash = (uint32_t)h; /* the worker's flow table takes its slot from the low half */
        it->hashed = true;
    } else {
        it->hashed = false; /* one worker, behind the reader: it hashes */
    }
    it->index = index;
    it->now_ns = now_ns;
    it->ts_ns = ts_ns;
    s->sweep_ns = now_ns;
    s->end_index = index;
    if (s->reader_runs) {
        if (++s->round_n == INLINE_BATCH || !carry_arena_room(s->c_arena)) {
            run_inline(s);
        }
    } else {
        w->c_fill->pick[w->c_fill->n++] = (uint16_t)s->round_n;
        if (++s->round_n == ROUND_CAP || !carry_arena_room(s->c_arena)) {
            send_round(s, false);
            deliver(s);
        } else if (s->round_n % DELIVER_AT == 0) {
            /* A worker whose output ring filled waits for it to drain (a SYN flood
             * makes a record per packet): drain it now, not at the round's end. */
            deliver(s);
        }
    }
    if (s->n == 1 && ++s->win_packets == WINDOW) { /* several workers: nothing to choose */
        choose_runner(s);
    }
}

void shard_tick(struct shard *s, uint64_t now_ns)
{
    if (now_ns > s->sweep_ns) {
        s->sweep_ns = now_ns;
    }
}

void shard_interval(struct shard *s, uint64_t index, uint64_t start_ns, uint64_t end_ns)
{
    /* Every packet before this one has been handed over, decoded or not: the
     * workers' watermarks may pass the intervals of those packets. */
    if (index - 1 > s->end_index) {
        s->end_index = index - 1;
    }
    if (s->reader_runs) {
        run_inline(s);
        s->hooks.interval(s->hooks.ctx, start_ns, end_ns);
        return;
    }
    if (s->p_n == N_PENDING) {
        send_round(s, false);
        wait_for(s, pending_space);
    }
    struct pending *p = &s->pending[(s->p_head + s->p_n) % N_PENDING];
    /* After the records of earlier packets and sweeps, before this packet's sweep. */
    p->key = (struct emit_key){ s->sweep_ns, EMIT_PACKET, index, 0 };
    p->start_ns = start_ns;
    p->end_ns = end_ns;
    s->p_n++;
}

void shard_push(struct shard *s)
{
    if (s->reader_runs) {
        run_inline(s);
        engine_sweep(&s->w[0].eng, s->sweep_ns); /* as the worker does after a round */
        return;
    }
    send_round(s, false);
    deliver(s);
}

void shard_flush(struct shard *s)
{
    if (s->reader_runs) {
        shard_push(s); /* what the worker does with the last round */
        engine_flush(&s->w[0].eng);
        return;
    }
    send_round(s, true);
    wait_for(s, all_delivered);
}

void shard_set_events(struct shard *s, bool on)
{
    for (unsigned i = 0; i < s->n; i++) {
        s->w[i].eng.events = on;
    }
}

void shard_set_p0f_db(struct shard *s, const struct p0f_db *db)
{
    pthread_mutex_lock(&s->mu); /* the workers take it before their next round */
    for (unsigned i = 0; i < s->n; i++) {
        s->w[i].eng.p0f.db = db;
    }
    pthread_mutex_unlock(&s->mu);
}

void shard_set_views(struct shard *s, unsigned views)
{
    pthread_mutex_lock(&s->mu); /* as shard_set_p0f_db */
    for (unsigned i = 0; i < s->n; i++) {
        engine_set_views(&s->w[i].eng, views);
    }
    pthread_mutex_unlock(&s->mu);
}

void shard_stats(struct shard *s, struct tcpshake_stats *st)
{
    st->connections = st->evictions = st->evictions_half_open = st->flows_peak = 0;
    st->evictions_crowded = st->flow_probes = st->tls_untracked = 0;
    pthread_mutex_lock(&s->mu);
    for (unsigned i = 0; i < s->n; i++) {
        const struct tcpshake_stats *ws = &s->w[i].st;
        st->connections += ws->connections;
        st->evictions += ws->evictions;
        st->evictions_half_open += ws->evictions_half_open;
        st->flows_peak = ws->flows_peak; /* one worker: its own peak */
        st->evictions_crowded += ws->evictions_crowded;
        st->flow_probes += ws->flow_probes;
        st->tls_untracked += ws->tls_untracked;
    }
    pthread_mutex_unlock(&s->mu);
    if (s->n > 1) {
        st->flows_peak = s->peak_tracked; /* counted by the merge, on this thread */
    }
}

uint64_t shard_handovers(const struct shard *s)
{
    return s->handovers;
}

/* --------------------------------------------------------------- lifecycle */

static bool worker_init(struct shard *s, struct worker *w, const struct tcpshake_config *cfg,
                        size_t cap, bool mark_new)
{
    w->s = s;
    pthread_cond_init(&w->work_cv, NULL);
    pthread_cond_init(&w->space_cv, NULL);
    w->in = ts_calloc(IN_SLOTS, sizeof(*w->in));
    w->out = ts_calloc(OUT_CAP, sizeof(*w->out));
    w->out_mark = ts_calloc(OUT_CAP, sizeof(*w->out_mark));
    if (w->in == NULL || w->out == NULL || w->out_mark == NULL ||
        !engine_init(&w->eng, cfg, cap, &w->st, worker_out, w)) {
        return false;
    }
    w->eng.mark_new = mark_new;
    w->started = pthread_create(&w->tid, NULL, worker_main, w) == 0;
    return w->started;
}

struct shard *shard_new(const struct tcpshake_config *cfg, unsigned n,
                        const struct lane_hooks *hooks)
{
    if (n < 1 || n > SHARD_MAX_WORKERS) {
        return NULL;
    }
    struct shard *s = ts_calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->caller_cv, NULL);
    s->hooks = *hooks;
    siphash_key_from_bytes(&s->key, cfg->hash_key);
    s->win_start_ns = monotonic_ns();
    s->patience = PATIENCE;
    s->w = ts_calloc(n, sizeof(*s->w));
    s->rounds = ts_calloc((size_t)IN_SLOTS * ROUND_CAP, sizeof(*s->rounds));
    bool arenas = true;
    for (unsigned i = 0; i < IN_SLOTS; i++) {
        arenas = arenas && carry_arena_init(&s->arena[i], ROUND_ARENA);
    }
    if (s->w == NULL || s->rounds == NULL || !arenas) {
        shard_free(s);
        return NULL;
    }
    size_t cap = cfg->max_flows / n < LANE_MIN_FLOWS ? LANE_MIN_FLOWS : cfg->max_flows / n;
    for (unsigned i = 0; i < n; i++) {
        s->n = i + 1; /* so shard_free releases what was made */
        if (!worker_init(s, &s->w[i], cfg, cap, n > 1)) {
            shard_free(s);
            return NULL;
        }
    }
    return s;
}

void shard_free(struct shard *s)
{
    if (s == NULL) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->quit = true;
    for (unsigned i = 0; i < s->n; i++) {
        pthread_cond_signal(&s->w[i].work_cv);
        pthread_cond_signal(&s->w[i].space_cv);
    }
    pthread_mutex_unlock(&s->mu);
    for (unsigned i = 0; i < s->n; i++) {
        struct worker *w = &s->w[i];
        if (w->started) {
            pthread_join(w->tid, NULL);
        }
        engine_release(&w->eng);
        ts_free(w->in);
        ts_free(w->out);
        ts_free(w->out_mark);
        pthread_cond_destroy(&w->work_cv);
        pthread_cond_destroy(&w->space_cv);
    }
    ts_free(s->w);
    ts_free(s->rounds);
    for (unsigned i = 0; i < IN_SLOTS; i++) {
        carry_arena_release(&s->arena[i]);
    }
    pthread_cond_destroy(&s->caller_cv);
    pthread_mutex_destroy(&s->mu);
    ts_free(s);
}
