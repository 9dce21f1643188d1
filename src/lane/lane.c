/*
 * lane.c - the lane (lane.h): one engine on the caller's thread when there
 * are no workers, shard.c's worker pool otherwise. The handle sees only this
 * interface; each function here picks one of the two, nothing else does.
 */
#include "lane.h"

#include "alloc.h"
#include "carry.h"
#include "engine.h"
#include "shard.h"

/* Decoded packets waiting for the inline engine: enough for its look-ahead
 * (engine_packets) to pay off, few enough to stay in the cache between
 * decoding and analysis. */
#define LANE_BATCH_CAP 256
/* Payload copied for the batch (carry.h): a batch whose arena has less than
 * the largest copy left is analysed at once. */
#define LANE_ARENA_BYTES (4 * CARRY_MAX_COPY)

struct lane {
    struct shard *pool; /* the workers, or NULL: the engine below */
    struct engine eng;  /* no workers: the one engine, on the caller's thread */
    struct tcpshake_stats *st;
    struct lane_hooks hooks;
    /* No workers: packets decoded but not yet analysed, batch_n of them;
     * with batching off, batch[0] is only where the next packet is decoded. */
    struct engine_item *batch; /* LANE_BATCH_CAP */
    size_t batch_n;
    bool batching;
    struct carry_gate gate;   /* which payload travels with a view (carry.h) */
    struct carry_arena arena; /* no workers: the batch's payload copies */
};

/* The inline engine's records already come in key order. */
static void engine_out(void *ctx, const struct emit_key *key, enum tcpshake_event ev,
                       const struct tcpshake_record *rec)
{
    const struct lane *l = ctx;
    (void)key;
    l->hooks.record(l->hooks.ctx, ev, rec);
}

/* Analyse the packets waiting in the batch. */
static void run_batch(struct lane *l)
{
    engine_packets(&l->eng, l->batch, NULL, l->batch_n);
    l->batch_n = 0;
    l->arena.used = 0;
}

struct lane *lane_new(const struct tcpshake_config *cfg, struct tcpshake_stats *st,
                      const struct lane_hooks *hooks)
{
    struct lane *l = ts_calloc(1, sizeof(*l));
    if (l == NULL) {
        return NULL;
    }
    l->st = st;
    l->hooks = *hooks;
    bool ok = carry_gate_init(&l->gate, cfg->hash_key);
    if (!ok) {
        /* nothing more to make */
    } else if (cfg->threads > 1) {
        /* The caller's thread reads and decodes: one thread fewer to track. */
        l->pool = shard_new(cfg, cfg->threads - 1, hooks);
        ok = l->pool != NULL;
    } else {
        l->batch = ts_calloc(LANE_BATCH_CAP, sizeof(*l->batch));
        ok = l->batch != NULL && carry_arena_init(&l->arena, LANE_ARENA_BYTES) &&
             engine_init(&l->eng, cfg, cfg->max_flows, st, engine_out, l);
    }
    if (!ok) {
        lane_free(l);
        return NULL;
    }
    return l;
}

bool lane_set_tap(struct lane *l, engine_tap_fn fn, void *ctx)
{
    if (l->pool != NULL) {
        return false; /* the engines run on the workers' threads */
    }
    engine_set_tap(&l->eng, fn, ctx);
    return true;
}

uint64_t lane_handovers(const struct lane *l)
{
    return l->pool != NULL ? shard_handovers(l->pool) : 0;
}

void lane_free(struct lane *l)
{
    if (l == NULL) {
        return;
    }
    shard_free(l->pool);
    engine_release(&l->eng);
    ts_free(l->batch);
    carry_arena_release(&l->arena);
    carry_gate_release(&l->gate);
    ts_free(l);
}

void lane_set_events(struct lane *l, bool on)
{
    if (l->pool != NULL) {
        shard_set_events(l->pool, on);
    } else {
        l->eng.events = on;
    }
}

void lane_set_p0f_db(struct lane *l, const struct p0f_db *db)
{
    if (l->pool != NULL) {
        shard_set_p0f_db(l->pool, db);
    } else {
        l->eng.p0f.db = db;
    }
}

void lane_set_views(struct lane *l, unsigned views)
{
    if (l->pool != NULL) {
        shard_set_views(l->pool, views);
    } else {
        engine_set_views(&l->eng, views);
    }
}

void lane_set_batching(struct lane *l, bool on)
{
    if (l->pool == NULL && !on) {
        run_batch(l);
    }
    l->batching = on;
}

struct packet_view *lane_slot(struct lane *l)
{
    if (l->pool != NULL) {
        return shard_slot(l->pool);
    }
    return &l->batch[l->batch_n].pv;
}

bool lane_commit(struct lane *l, uint64_t index, uint64_t now_ns, uint64_t ts_ns)
{
    if (l->pool != NULL) {
        carry_packet(&l->gate, shard_arena(l->pool), shard_slot(l->pool));
        shard_commit(l->pool, index, now_ns, ts_ns);
        return false;
    }
    struct engine_item *it = &l->batch[l->batch_n];
    bool copied = carry_packet(&l->gate, &l->arena, &it->pv);
    if (!l->batching) {
        bool key = engine_packet(&l->eng, index, now_ns, ts_ns, &it->pv);
        l->arena.used = 0;
        return key;
    }
    it->index = index;
    it->now_ns = now_ns;
    it->ts_ns = ts_ns;
    if (++l->batch_n == LANE_BATCH_CAP || (copied && !carry_arena_room(&l->arena))) {
        run_batch(l);
    }
    return false;
}

void lane_tick(struct lane *l, uint64_t now_ns)
{
    if (l->pool != NULL) {
        shard_tick(l->pool, now_ns);
        shard_push(l->pool);
    } else {
        run_batch(l);
        engine_sweep(&l->eng, now_ns);
    }
}

void lane_interval(struct lane *l, uint64_t index, uint64_t start_ns, uint64_t end_ns)
{
    if (l->pool != NULL) {
        shard_interval(l->pool, index, start_ns, end_ns);
    } else {
        run_batch(l);
        l->hooks.interval(l->hooks.ctx, start_ns, end_ns);
    }
}

void lane_push(struct lane *l)
{
    if (l->pool != NULL) {
        shard_push(l->pool);
    } else {
        run_batch(l);
    }
}

void lane_flush(struct lane *l)
{
    if (l->pool != NULL) {
        shard_flush(l->pool);
        shard_stats(l->pool, l->st);
    } else {
        run_batch(l);
        engine_flush(&l->eng);
    }
}
