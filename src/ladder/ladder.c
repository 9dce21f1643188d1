/*
 * ladder.c - the ladders of selected connections (tcpshake/ladder.h).
 *
 * Two halves. While the input is read, the engine shows every tracked
 * segment and ICMP error to ladders_tap with the id of the connection it
 * went to; the tap keeps compact rows per connection not yet ended
 * (struct pending, in a table keyed by id), notable segments one a row and
 * plain ones summed into runs. When a connection's close record comes
 * (ladders_record), the selection decides; a selected connection's rows are
 * turned into a ladder: directions from the record's client and server,
 * sequence numbers relative to each side's ISN, and the notes and brackets
 * that explain the record. Then the pending rows are dropped.
 *
 * A set has one to TCPSHAKE_LADDER_MAX_LISTS lists (the config's selection,
 * and those tcpshake_ladders_add_list adds): each selects, ranks and caps on
 * its own at the close record, over the one table of pending rows, so a
 * second list costs nothing per packet.
 *
 * Bounds: pool_rows rows held in all by the connections not yet ended,
 * max_rows per connection, max_ladders ladders kept per list. Past them segments are
 * counted as lost, never stored. A selection by id holds rows only for those
 * ids, from the connection's first packet on. Otherwise at most pool_rows / 8
 * connections are pending at once: a connection that starts while the table
 * is that full is not tracked at all (the engine shows the tap none of its
 * packets), so a SYN flood costs a bounded table, not an entry per SYN; if a
 * list selects it, its ladder is one KIND_LOST row from the record's counts.
 *
 * The notes repeat the tracker's verdicts, never a rule of their own: which
 * SYN and SYN-ACK the latencies were measured from is found by the record's
 * syn_last_ns, synack_ns, synack_last_ns and ack_ns; whether a RST was
 * acceptable and which ACK completed the handshake, the tracker said per
 * segment (engine_tap_item). So the brackets equal server_side_ns and
 * client_side_ns by construction, and the row times show it.
 */
#include "ladders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "seq.h"

#define DEFAULT_MAX_LADDERS 50
#define DEFAULT_ROWS        64
#define DEFAULT_ROWS_ALL    4096
#define DEFAULT_POOL_ROWS   262144
#define MIN_ROWS            16
#define MAX_ROWS            1000000
#define MIN_POOL_ROWS       1024
#define MAX_POOL_ROWS       16777216
#define NOTABLE_RESERVE     8 /* with all_segments: rows kept back for notable segments */
#define ROWS_PER_TRACKED    8 /* connections tracked at once: at most pool_rows / 8 */

/* A row as captured: endpoint A / B, raw numbers. */
struct prow {
    uint64_t t_ns;
    uint64_t end_ns; /* a run: its last segment */
    uint64_t bytes[2];
    uint32_t segs[2];
    uint32_t retransmits;
    uint32_t seq, ack, payload_len;
    uint16_t flags;
    uint16_t window;
    struct tcp_options opt;
    uint8_t kind; /* enum tcpshake_ladder_kind */
    uint8_t from; /* 0 = A, 1 = B; ICMP: the sender of the quoted segment */
    uint8_t ttl;
    uint8_t icmp_type, icmp_code, icmp_version;
    bool completes; /* tracker: completed the handshake */
    bool rst_valid;
    bool fin_ack;    /* first ACK of the peer's FIN */
    bool half_close; /* first payload after the peer's FIN */
    bool retransmit; /* payload already sent */
};

/* A connection not yet ended. id 0 marks a free slot. */
struct pending {
    uint64_t id;
    uint8_t a_addr[16]; /* endpoint A: the first segment's sender */
    uint16_t a_port;
    struct prow *rows;
    uint32_t n, cap;
    /* Segments not kept, either way, and when. */
    uint64_t lost_segs[2], lost_bytes[2], lost_first_ns, lost_end_ns;
    uint64_t first_ns, last_ns; /* its first packet's time, the latest packet's */
    bool backwards;             /* capture time went backwards between its packets */
    /* Per endpoint, for the notes the tap decides. */
    uint32_t snd_max[2];
    uint32_t fin_seq[2];
    bool seq_known[2];
    bool fin_seen[2];
    bool fin_acked[2];  /* its FIN was acknowledged by the peer */
    bool sent_after[2]; /* it sent payload after the peer's FIN */
};

struct kept {
    struct tcpshake_ladder l;
    struct tcpshake_ladder_row *rows;
};

/* A list of kept ladders: list 0 is the config's own selection, the others
 * were added by tcpshake_ladders_add_list. All share the pending rows. */
struct list {
    uint32_t outcomes;
    bool slowest;
    size_t max_ladders;
    struct kept **kept; /* sorted: by id, or slowest first */
    size_t n_kept;
    uint64_t matched;
};

struct tcpshake_ladders {
    struct tcpshake_ladder_config cfg;
    uint64_t *ids; /* sorted */
    bool *seen;    /* per ids[i] */
    struct pending *tab;
    size_t tab_cap, tab_n; /* power of two; at most half full */
    size_t pool_used;
    uint64_t pool_drops;
    size_t max_tracked; /* pending connections at most, without ids */
    size_t tab_peak;    /* the most pending at once */
    uint64_t untracked; /* connections that came while max_tracked were pending */
    struct list lists[TCPSHAKE_LADDER_MAX_LISTS];
    size_t n_lists;
};

static const char *const note_texts[TCPSHAKE_LADDER_NOTE_BITS] = {
#define NOTE_TEXT(name, bit, text) [bit] = text,
    TCPSHAKE_LADDER_NOTE_MAP(NOTE_TEXT)
#undef NOTE_TEXT
};

const char *tcpshake_ladder_note_text(uint32_t bit)
{
    for (unsigned i = 0; i < TCPSHAKE_LADDER_NOTE_BITS; i++) {
        if (bit == 1u << i) {
            return note_texts[i];
        }
    }
    return NULL;
}

void tcpshake_ladder_config_default(struct tcpshake_ladder_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_ladders = DEFAULT_MAX_LADDERS;
    cfg->max_rows = 0; /* DEFAULT_ROWS, or DEFAULT_ROWS_ALL with all_segments */
    cfg->pool_rows = DEFAULT_POOL_ROWS;
}

static enum tcpshake_status refuse(char *msg, size_t len, const char *why)
{
    if (msg != NULL && len > 0) {
        snprintf(msg, len, "%s", why);
    }
    return TCPSHAKE_ERR_ARG;
}

enum tcpshake_status tcpshake_ladder_config_check(const struct tcpshake_ladder_config *cfg,
                                                  char *msg, size_t msg_len)
{
    if (cfg->n_ids > TCPSHAKE_LADDER_MAX_IDS || (cfg->n_ids > 0 && cfg->ids == NULL)) {
        return refuse(msg, msg_len, "n_ids must be 0 to 1000, with ids");
    }
    if (cfg->max_ladders < 1 || cfg->max_ladders > TCPSHAKE_LADDER_MAX_LADDERS) {
        return refuse(msg, msg_len, "max_ladders must be 1 to 1000");
    }
    if (cfg->max_rows != 0 && (cfg->max_rows < MIN_ROWS || cfg->max_rows > MAX_ROWS)) {
        return refuse(msg, msg_len, "max_rows must be 16 to 1000000");
    }
    if (cfg->pool_rows < MIN_POOL_ROWS || cfg->pool_rows > MAX_POOL_ROWS) {
        return refuse(msg, msg_len, "pool_rows must be 1024 to 16777216");
    }
    for (size_t i = 0; i < cfg->n_ids; i++) {
        if (cfg->ids[i] == 0) {
            return refuse(msg, msg_len, "ids start at 1");
        }
    }
    return TCPSHAKE_OK;
}

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct tcpshake_ladders *tcpshake_ladders_new(const struct tcpshake_ladder_config *cfg)
{
    struct tcpshake_ladder_config def;
    if (cfg == NULL) {
        tcpshake_ladder_config_default(&def);
        cfg = &def;
    }
    if (tcpshake_ladder_config_check(cfg, NULL, 0) != TCPSHAKE_OK) {
        return NULL;
    }
    struct tcpshake_ladders *ls = ts_calloc(1, sizeof(*ls));
    if (ls == NULL) {
        return NULL;
    }
    ls->cfg = *cfg;
    if (ls->cfg.max_rows == 0) {
        ls->cfg.max_rows = cfg->all_segments ? DEFAULT_ROWS_ALL : DEFAULT_ROWS;
    }
    ls->max_tracked = ls->cfg.pool_rows / ROWS_PER_TRACKED;
    ls->tab_cap = 1024;
    ls->tab = ts_calloc(ls->tab_cap, sizeof(*ls->tab));
    struct list *l0 = &ls->lists[0];
    l0->outcomes = cfg->outcomes;
    l0->slowest = cfg->slowest;
    l0->max_ladders = cfg->max_ladders;
    l0->kept = ts_calloc(cfg->max_ladders, sizeof(*l0->kept));
    ls->n_lists = 1;
    if (cfg->n_ids > 0) {
        ls->ids = ts_calloc(cfg->n_ids, sizeof(*ls->ids));
        ls->seen = ts_calloc(cfg->n_ids, sizeof(*ls->seen));
    }
    if (ls->tab == NULL || l0->kept == NULL || (cfg->n_ids > 0 && (!ls->ids || !ls->seen))) {
        tcpshake_ladders_free(ls);
        return NULL;
    }
    if (cfg->n_ids > 0) {
        memcpy(ls->ids, cfg->ids, cfg->n_ids * sizeof(*ls->ids));
        qsort(ls->ids, cfg->n_ids, sizeof(*ls->ids), by_u64);
    }
    ls->cfg.ids = ls->ids;
    return ls;
}

static void free_kept(struct kept *k)
{
    if (k != NULL) {
        ts_free(k->rows);
        ts_free(k);
    }
}

void tcpshake_ladders_free(struct tcpshake_ladders *ls)
{
    if (ls == NULL) {
        return;
    }
    for (size_t i = 0; ls->tab != NULL && i < ls->tab_cap; i++) {
        ts_free(ls->tab[i].rows);
    }
    for (size_t k = 0; k < ls->n_lists; k++) {
        for (size_t i = 0; i < ls->lists[k].n_kept; i++) {
            free_kept(ls->lists[k].kept[i]);
        }
        ts_free(ls->lists[k].kept);
    }
    ts_free(ls->tab);
    ts_free(ls->ids);
    ts_free(ls->seen);
    ts_free(ls);
}

enum tcpshake_status tcpshake_ladders_add_list(struct tcpshake_ladders *ls,
                                               const struct tcpshake_ladder_list *sel,
                                               size_t *index)
{
    if (ls == NULL || sel == NULL || ls->cfg.n_ids > 0 ||
        ls->n_lists == TCPSHAKE_LADDER_MAX_LISTS || sel->max_ladders < 1 ||
        sel->max_ladders > TCPSHAKE_LADDER_MAX_LADDERS) {
        return TCPSHAKE_ERR_ARG;
    }
    struct list *l = &ls->lists[ls->n_lists];
    memset(l, 0, sizeof(*l));
    l->kept = ts_calloc(sel->max_ladders, sizeof(*l->kept));
    if (l->kept == NULL) {
        return TCPSHAKE_ERR_NOMEM;
    }
    l->outcomes = sel->outcomes;
    l->slowest = sel->slowest;
    l->max_ladders = sel->max_ladders;
    if (index != NULL) {
        *index = ls->n_lists;
    }
    ls->n_lists++;
    return TCPSHAKE_OK;
}

size_t tcpshake_ladders_list_count(const struct tcpshake_ladders *ls, size_t list)
{
    return list < ls->n_lists ? ls->lists[list].n_kept : 0;
}

const struct tcpshake_ladder *tcpshake_ladders_list_get(const struct tcpshake_ladders *ls,
                                                        size_t list, size_t i)
{
    if (list >= ls->n_lists || i >= ls->lists[list].n_kept) {
        return NULL;
    }
    return &ls->lists[list].kept[i]->l;
}

uint64_t tcpshake_ladders_list_matched(const struct tcpshake_ladders *ls, size_t list)
{
    return list < ls->n_lists ? ls->lists[list].matched : 0;
}

size_t tcpshake_ladders_count(const struct tcpshake_ladders *ls)
{
    return tcpshake_ladders_list_count(ls, 0);
}

const struct tcpshake_ladder *tcpshake_ladders_get(const struct tcpshake_ladders *ls, size_t i)
{
    return tcpshake_ladders_list_get(ls, 0, i);
}

uint64_t tcpshake_ladders_matched(const struct tcpshake_ladders *ls)
{
    return tcpshake_ladders_list_matched(ls, 0);
}

uint64_t tcpshake_ladders_pool_drops(const struct tcpshake_ladders *ls)
{
    return ls->pool_drops;
}

uint64_t tcpshake_ladders_untracked(const struct tcpshake_ladders *ls)
{
    return ls->untracked;
}

size_t tcpshake_ladders_tracked_peak(const struct tcpshake_ladders *ls)
{
    return ls->tab_peak;
}

/* Index of id in the sorted ids, or -1. */
static long id_index(const struct tcpshake_ladders *ls, uint64_t id)
{
    const uint64_t *hit = bsearch(&id, ls->ids, ls->cfg.n_ids, sizeof(*ls->ids), by_u64);
    return hit == NULL ? -1 : (long)(hit - ls->ids);
}

bool tcpshake_ladders_seen(const struct tcpshake_ladders *ls, uint64_t id)
{
    long i = id_index(ls, id);
    return i >= 0 && ls->seen[i];
}

/* ------------------------------------------------------------ the pending table */

static size_t slot_of(uint64_t id, size_t cap)
{
    /* Ids are packet numbers, not chosen by a sender: Fibonacci hashing spreads them. */
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
}

static struct pending *find(struct tcpshake_ladders *ls, uint64_t id)
{
    for (size_t i = slot_of(id, ls->tab_cap);; i = (i + 1) & (ls->tab_cap - 1)) {
        if (ls->tab[i].id == id) {
            return &ls->tab[i];
        }
        if (ls->tab[i].id == 0) {
            return NULL;
        }
    }
}

static struct pending *place(struct pending *tab, size_t cap, uint64_t id)
{
    size_t i = slot_of(id, cap);
    while (tab[i].id != 0) {
        i = (i + 1) & (cap - 1);
    }
    return &tab[i];
}

/* Double the table. false when memory runs out. */
static bool grow(struct tcpshake_ladders *ls)
{
    size_t cap = ls->tab_cap * 2;
    struct pending *tab = ts_calloc(cap, sizeof(*tab));
    if (tab == NULL) {
        return false;
    }
    for (size_t i = 0; i < ls->tab_cap; i++) {
        if (ls->tab[i].id != 0) {
            *place(tab, cap, ls->tab[i].id) = ls->tab[i];
        }
    }
    ts_free(ls->tab);
    ls->tab = tab;
    ls->tab_cap = cap;
    return true;
}

static struct pending *insert(struct tcpshake_ladders *ls, uint64_t id, const uint8_t *addr,
                              uint16_t port)
{
    if (2 * (ls->tab_n + 1) > ls->tab_cap && !grow(ls)) {
        return NULL;
    }
    struct pending *p = place(ls->tab, ls->tab_cap, id);
    memset(p, 0, sizeof(*p));
    p->id = id;
    memcpy(p->a_addr, addr, sizeof(p->a_addr));
    p->a_port = port;
    ls->tab_n++;
    if (ls->tab_n > ls->tab_peak) {
        ls->tab_peak = ls->tab_n;
    }
    return p;
}

/* Remove p, shifting back the entries after it (linear probing). */
static void remove_pending(struct tcpshake_ladders *ls, struct pending *p)
{
    ls->pool_used -= p->n;
    ts_free(p->rows);
    p->rows = NULL;
    size_t mask = ls->tab_cap - 1;
    size_t hole = (size_t)(p - ls->tab);
    ls->tab[hole].id = 0;
    ls->tab_n--;
    for (size_t i = (hole + 1) & mask; ls->tab[i].id != 0; i = (i + 1) & mask) {
        size_t home = slot_of(ls->tab[i].id, ls->tab_cap);
        /* Move it into the hole unless its home lies cyclically in (hole, i]. */
        bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!stays) {
            ls->tab[hole] = ls->tab[i];
            ls->tab[i].id = 0;
            ls->tab[i].rows = NULL;
            hole = i;
        }
    }
}

/* ------------------------------------------------------------ the tap */

static void lose(struct tcpshake_ladders *ls, struct pending *p, const struct prow *r, bool pool)
{
    if (p->lost_segs[0] + p->lost_segs[1] == 0) {
        p->lost_first_ns = r->t_ns;
    }
    p->lost_segs[r->from]++;
    p->lost_bytes[r->from] += r->payload_len;
    p->lost_end_ns = r->t_ns;
    if (pool) {
        ls->pool_drops++;
    }
}

/* A new row at the end of p's list, or NULL (then the segment counts as lost). */
static struct prow *append(struct tcpshake_ladders *ls, struct pending *p, const struct prow *r)
{
    if (p->n >= ls->cfg.max_rows) {
        lose(ls, p, r, false);
        return NULL;
    }
    if (ls->pool_used >= ls->cfg.pool_rows) {
        lose(ls, p, r, true);
        return NULL;
    }
    if (p->n == p->cap) {
        uint32_t cap = p->cap == 0 ? 2 : p->cap * 2; /* at most twice the rows used */
        if (cap > ls->cfg.max_rows) {
            cap = (uint32_t)ls->cfg.max_rows;
        }
        struct prow *rows = ts_calloc(cap, sizeof(*rows));
        if (rows == NULL) {
            lose(ls, p, r, true);
            return NULL;
        }
        if (p->n > 0) {
            memcpy(rows, p->rows, p->n * sizeof(*rows));
        }
        ts_free(p->rows);
        p->rows = rows;
        p->cap = cap;
    }
    ls->pool_used++;
    p->rows[p->n] = *r;
    return &p->rows[p->n++];
}

/* A plain segment into the run at the end of the list, or a new run. */
static void add_to_run(struct tcpshake_ladders *ls, struct pending *p, const struct prow *r)
{
    struct prow *run = p->n > 0 ? &p->rows[p->n - 1] : NULL;
    if (run == NULL || run->kind != TCPSHAKE_LADDER_KIND_RUN) {
        struct prow fresh;
        memset(&fresh, 0, sizeof(fresh));
        fresh.kind = TCPSHAKE_LADDER_KIND_RUN;
        fresh.t_ns = r->t_ns;
        fresh.from = r->from;
        fresh.payload_len = r->payload_len;
        run = append(ls, p, &fresh);
        if (run == NULL) {
            return;
        }
    }
    run->segs[r->from]++;
    run->bytes[r->from] += r->payload_len;
    run->retransmits += r->retransmit ? 1 : 0;
    run->end_ns = r->t_ns;
}

/* What the tap works out itself: FIN acknowledgements, half-close, data
 * retransmission (a payload below what the side already sent). */
static void follow_segment(struct pending *p, struct prow *r, const struct tcp_view *v)
{
    int ep = r->from;
    int peer = 1 - ep;
    if ((v->flags & TCP_ACK) && p->fin_seen[peer] && !p->fin_acked[peer] &&
        seq_geq(v->ack, p->fin_seq[peer] + 1)) {
        p->fin_acked[peer] = true;
        r->fin_ack = true;
    }
    if (v->payload_len > 0 && p->fin_seen[peer] && !p->fin_seen[ep] && !p->sent_after[ep]) {
        p->sent_after[ep] = true;
        r->half_close = true;
    }
    uint32_t len =
            v->payload_len + ((v->flags & TCP_SYN) ? 1u : 0u) + ((v->flags & TCP_FIN) ? 1u : 0u);
    if (v->payload_len > 0 && !(v->flags & TCP_SYN) && p->seq_known[ep] &&
        seq_lt(v->seq, p->snd_max[ep])) {
        r->retransmit = true;
    }
    uint32_t end = v->seq + len;
    if (!p->seq_known[ep] || seq_gt(end, p->snd_max[ep])) {
        p->snd_max[ep] = end;
        p->seq_known[ep] = true;
    }
    if ((v->flags & TCP_FIN) && !p->fin_seen[ep]) {
        p->fin_seen[ep] = true;
        p->fin_seq[ep] = v->seq + v->payload_len;
    }
}

static void tap_tcp(struct tcpshake_ladders *ls, struct pending *p,
                    const struct engine_tap_item *it)
{
    const struct tcp_view *v = it->tcp;
    struct prow r;
    memset(&r, 0, sizeof(r));
    r.kind = TCPSHAKE_LADDER_KIND_SEGMENT;
    r.t_ns = it->ts_ns;
    r.from = memcmp(v->tuple.src, p->a_addr, sizeof(p->a_addr)) == 0 && v->tuple.sport == p->a_port
                     ? 0
                     : 1;
    r.seq = v->seq;
    r.ack = v->ack;
    r.flags = v->flags;
    r.window = v->window;
    r.payload_len = v->payload_len;
    r.ttl = v->ttl;
    r.opt = v->opt;
    r.completes = it->completes;
    r.rst_valid = it->rst_valid;
    follow_segment(p, &r, v);
    bool notable = it->key_segment || r.fin_ack || r.half_close;
    bool room = p->n + NOTABLE_RESERVE < ls->cfg.max_rows;
    if (notable || (ls->cfg.all_segments && room)) {
        append(ls, p, &r);
    } else {
        add_to_run(ls, p, &r);
    }
}

static void tap_icmp(struct tcpshake_ladders *ls, struct pending *p,
                     const struct engine_tap_item *it)
{
    const struct icmp_view *ic = it->icmp;
    struct prow r;
    memset(&r, 0, sizeof(r));
    r.kind = TCPSHAKE_LADDER_KIND_ICMP;
    r.t_ns = it->ts_ns;
    r.from = memcmp(ic->quoted.src, p->a_addr, sizeof(p->a_addr)) == 0 &&
                             ic->quoted.sport == p->a_port
                     ? 0
                     : 1;
    r.seq = ic->quoted_seq;
    r.icmp_type = ic->type;
    r.icmp_code = ic->code;
    r.icmp_version = ic->ip_version;
    append(ls, p, &r);
}

/* The latency slowest ranks by; TCPSHAKE_NO_TIME when none was measured. */
static int64_t rank_ns(const struct tcpshake_record *r)
{
    return r->handshake_ns != TCPSHAKE_NO_TIME ? r->handshake_ns : r->server_side_ns;
}

/*
 * Whether no list can select p's connection, whose handshake has just
 * completed. A completed handshake does not fail, so a list of failures
 * only cannot take it. A full list of the lowest ids cannot take an id above
 * its last. A full list of the slowest cannot take a latency below its
 * last's: the record's server side plus client side lie between the
 * connection's packets up to this one (the SYN, the SYN-ACK, this ACK), so
 * they are at most the time since its first packet, when capture time did
 * not go backwards. Then its rows are not needed: the tap drops them and
 * asks to see no more of it, and most packets of a long trace cost the
 * ladders nothing.
 */
static bool unwanted(const struct tcpshake_ladders *ls, const struct pending *p, uint64_t now)
{
    if (ls->cfg.n_ids > 0) {
        return false; /* the selected ids are wanted whatever */
    }
    for (size_t i = 0; i < ls->n_lists; i++) {
        const struct list *l = &ls->lists[i];
        if (l->outcomes != 0 && (l->outcomes & ~(uint32_t)TCPSHAKE_LADDER_FAILED) == 0) {
            continue;
        }
        if (l->n_kept < l->max_ladders) {
            return false;
        }
        const struct tcpshake_record *last = &l->kept[l->n_kept - 1]->l.rec;
        if (!l->slowest && p->id > last->id) {
            continue;
        }
        if (l->slowest && !p->backwards && now >= p->first_ns &&
            (int64_t)(now - p->first_ns) < rank_ns(last)) {
            continue;
        }
        return false;
    }
    return true;
}

bool ladders_tap(void *ctx, const struct engine_tap_item *it)
{
    struct tcpshake_ladders *ls = ctx;
    if (ls->cfg.n_ids > 0 && id_index(ls, it->conn_id) < 0) {
        return false; /* not one of the ids: none of its packets */
    }
    struct pending *p = find(ls, it->conn_id);
    if (p == NULL) {
        if (it->tcp == NULL) {
            return true; /* a connection always starts with a segment */
        }
        if (ls->cfg.n_ids == 0 && ls->tab_n >= ls->max_tracked) {
            ls->untracked++; /* the table is full: none of its packets */
            return false;
        }
        p = insert(ls, it->conn_id, it->tcp->tuple.src, it->tcp->tuple.sport);
        if (p == NULL) {
            ls->pool_drops++;
            return true;
        }
        p->first_ns = p->last_ns = it->ts_ns;
    }
    p->backwards |= it->ts_ns < p->last_ns;
    p->last_ns = it->ts_ns;
    if (it->tcp != NULL) {
        tap_tcp(ls, p, it);
    } else {
        tap_icmp(ls, p, it);
    }
    if (it->completes && unwanted(ls, p, it->ts_ns)) {
        remove_pending(ls, p);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ building a ladder */

/* The facts of the connection a ladder is drawn from. */
struct build {
    const struct tcpshake_record *rec;
    int client_ep;   /* 0 = A, 1 = B */
    uint32_t isn[2]; /* by direction: [0] the client's, [1] the server's */
    bool isn_known[2];
    int shift[2]; /* window shift by direction; -1: no scaling */
};

static int dir_of(const struct build *b, int ep)
{
    return ep == b->client_ep ? TCPSHAKE_LADDER_TO_SERVER : TCPSHAKE_LADDER_TO_CLIENT;
}

static void find_isns(struct build *b, const struct pending *p)
{
    const struct tcpshake_side *sd[2] = { &b->rec->client, &b->rec->server };
    for (int d = 0; d < 2; d++) {
        b->isn_known[d] = sd[d]->syn_seen;
        b->isn[d] = sd[d]->isn;
        b->shift[d] = b->rec->client.wscale >= 0 && b->rec->server.wscale >= 0
                              ? (sd[d]->wscale > 14 ? 14 : sd[d]->wscale)
                              : -1;
    }
    for (uint32_t i = 0; i < p->n; i++) {
        const struct prow *r = &p->rows[i];
        int d = dir_of(b, r->from);
        if (r->kind == TCPSHAKE_LADDER_KIND_SEGMENT && !b->isn_known[d]) {
            b->isn[d] = r->seq - ((r->flags & TCP_SYN) ? 0u : 1u);
            b->isn_known[d] = true;
        }
    }
}

static void fill_segment(const struct build *b, const struct prow *r, struct tcpshake_ladder_row *o)
{
    int d = o->dir;
    o->flags = r->flags;
    o->seq = r->seq;
    o->ack = r->ack;
    o->rel_seq = r->seq - b->isn[d];
    o->rel_ack = r->ack - b->isn[1 - d];
    o->rel_ack_known = b->isn_known[1 - d];
    o->payload_len = r->payload_len;
    o->window = r->window;
    o->window_scaled = r->window;
    if (!(r->flags & TCP_SYN) && b->shift[d] >= 0) {
        o->window_scaled = (uint64_t)r->window << b->shift[d];
    }
    o->ttl = r->ttl;
    o->mss = r->opt.mss;
    o->wscale = r->opt.wscale;
    o->sack_permitted = r->opt.sack_permitted;
    o->timestamps = r->opt.timestamps;
    o->tsval = r->opt.tsval;
    o->tsecr = r->opt.tsecr;
    o->tfo = r->opt.tfo;
    o->tfo_cookie_len = r->opt.tfo_cookie_len;
}

static void fill_row(const struct build *b, const struct prow *r, struct tcpshake_ladder_row *o)
{
    memset(o, 0, sizeof(*o));
    o->kind = (enum tcpshake_ladder_kind)r->kind;
    o->t_ns = r->t_ns;
    o->dir = (enum tcpshake_ladder_dir)dir_of(b, r->from);
    if (r->kind == TCPSHAKE_LADDER_KIND_RUN) {
        o->dir = TCPSHAKE_LADDER_BOTH;
        for (int ep = 0; ep < 2; ep++) {
            o->run_segments[dir_of(b, ep)] = r->segs[ep];
            o->run_bytes[dir_of(b, ep)] = r->bytes[ep];
        }
        o->run_retransmits = r->retransmits;
        o->run_end_ns = r->end_ns;
        return;
    }
    if (r->kind == TCPSHAKE_LADDER_KIND_ICMP) {
        /* It travels toward the sender of the segment it quotes. */
        o->dir = o->dir == TCPSHAKE_LADDER_TO_SERVER ? TCPSHAKE_LADDER_TO_CLIENT
                                                     : TCPSHAKE_LADDER_TO_SERVER;
        int quoted = dir_of(b, r->from);
        o->seq = r->seq;
        o->rel_seq = r->seq - b->isn[quoted];
        o->icmp_type = r->icmp_type;
        o->icmp_code = r->icmp_code;
        o->icmp_version = r->icmp_version;
        o->notes |= TCPSHAKE_LADDER_NOTE_ICMP_ERROR;
        if (b->rec->outcome == TCPSHAKE_OUTCOME_ICMP_REJECTED && r->t_ns == b->rec->icmp_ns) {
            o->notes |= TCPSHAKE_LADDER_NOTE_REJECTS;
        }
        return;
    }
    fill_segment(b, r, o);
}

static bool bare_syn(const struct tcpshake_ladder_row *o)
{
    return o->kind == TCPSHAKE_LADDER_KIND_SEGMENT && (o->flags & TCP_SYN) &&
           !(o->flags & (TCP_ACK | TCP_RST));
}

static bool synack(const struct tcpshake_ladder_row *o)
{
    return o->kind == TCPSHAKE_LADDER_KIND_SEGMENT && (o->flags & TCP_SYN) &&
           (o->flags & TCP_ACK) && !(o->flags & TCP_RST);
}

/* Retransmission gaps, simultaneous open, Fast Open data, SYN-ACKs that
 * acknowledge something else, and the last SYN of an unanswered handshake. */
static void note_handshake(const struct build *b, struct tcpshake_ladder_row *rows, size_t n)
{
    const struct tcpshake_record *rec = b->rec;
    uint64_t prev[2] = { 0, 0 };
    bool seen[2] = { false, false };
    size_t last_syn = n;
    for (size_t i = 0; i < n; i++) {
        struct tcpshake_ladder_row *o = &rows[i];
        int k = bare_syn(o) ? 0 : synack(o) ? 1 : -1;
        if (k < 0) {
            continue;
        }
        if (k == 0 && rec->outcome == TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN) {
            o->notes |= TCPSHAKE_LADDER_NOTE_SIMULTANEOUS;
        }
        bool ours = (k == 0) == (o->dir == TCPSHAKE_LADDER_TO_SERVER);
        if (!ours) {
            continue; /* simultaneous open: the other side's SYN or SYN-ACK */
        }
        if (seen[k]) {
            o->notes |= k == 0 ? TCPSHAKE_LADDER_NOTE_SYN_RETRANSMIT
                               : TCPSHAKE_LADDER_NOTE_SYNACK_RETRANSMIT;
            o->gap_ns = (int64_t)(o->t_ns - prev[k]);
        }
        seen[k] = true;
        prev[k] = o->t_ns;
        if (k == 0) {
            last_syn = i;
            if (o->payload_len > 0) {
                o->notes |= TCPSHAKE_LADDER_NOTE_SYN_DATA;
            }
        } else if (b->isn_known[0] && rec->client.syn_seen &&
                   rec->outcome != TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN &&
                   seq_lt(o->ack, b->isn[0] + 1)) {
            o->notes |= TCPSHAKE_LADDER_NOTE_SYNACK_BAD_ACK;
        }
    }
    if (rec->outcome == TCPSHAKE_OUTCOME_UNANSWERED && last_syn < n) {
        rows[last_syn].notes |= TCPSHAKE_LADDER_NOTE_NO_ANSWER;
    }
}

/* The row of kind pick() in direction dir at time t, searching [from, to). */
static size_t find_row(const struct tcpshake_ladder_row *rows, size_t from, size_t to,
                       bool (*pick)(const struct tcpshake_ladder_row *), int dir, uint64_t t,
                       bool last)
{
    size_t hit = SIZE_MAX;
    for (size_t i = from; i < to; i++) {
        if (rows[i].t_ns == t && (int)rows[i].dir == dir && pick(&rows[i])) {
            hit = i;
            if (!last) {
                break;
            }
        }
    }
    return hit;
}

static bool ack_segment(const struct tcpshake_ladder_row *o)
{
    return o->kind == TCPSHAKE_LADDER_KIND_SEGMENT && !(o->flags & (TCP_SYN | TCP_RST));
}

/* A bracket between rows a and b, in row order (capture time may have gone
 * backwards between them: record anomaly time_went_backwards). */
static struct tcpshake_ladder_bracket bracket(size_t a, size_t b, int64_t ns)
{
    struct tcpshake_ladder_bracket br = { true, a < b ? a : b, a < b ? b : a, ns };
    return br;
}

/* The row that starts a bracket ending at row to: the last match before it,
 * else (time went backwards) the first after it. */
static size_t find_start(const struct tcpshake_ladder_row *rows, size_t n, size_t to,
                         bool (*pick)(const struct tcpshake_ladder_row *), int dir, uint64_t t)
{
    if (to == SIZE_MAX) {
        return SIZE_MAX;
    }
    size_t from = find_row(rows, 0, to, pick, dir, t, true);
    return from != SIZE_MAX ? from : find_row(rows, to + 1, n, pick, dir, t, false);
}

/* The brackets, found by the record's own times, so they equal its figures. */
static void note_brackets(const struct build *b, struct tcpshake_ladder *l,
                          struct tcpshake_ladder_row *rows, size_t n)
{
    const struct tcpshake_record *rec = b->rec;
    bool karn_syn =
            rec->rtt_rule == TCPSHAKE_RTT_LAST_SYN || rec->rtt_rule == TCPSHAKE_RTT_LAST_BOTH;
    bool karn_synack =
            rec->rtt_rule == TCPSHAKE_RTT_LAST_SYNACK || rec->rtt_rule == TCPSHAKE_RTT_LAST_BOTH;
    if (rec->server_side_ns != TCPSHAKE_NO_TIME) {
        size_t to = find_row(rows, 0, n, synack, TCPSHAKE_LADDER_TO_CLIENT, rec->synack_ns, false);
        size_t from =
                find_start(rows, n, to, bare_syn, TCPSHAKE_LADDER_TO_SERVER, rec->syn_last_ns);
        if (from != SIZE_MAX) {
            l->server_side = bracket(from, to, rec->server_side_ns);
            rows[from].notes |= TCPSHAKE_LADDER_NOTE_SERVER_FROM;
            rows[from].notes |= karn_syn ? TCPSHAKE_LADDER_NOTE_KARN_SYN : 0;
            rows[to].notes |= TCPSHAKE_LADDER_NOTE_SERVER_TO;
        }
    }
    if (rec->client_side_ns != TCPSHAKE_NO_TIME) {
        size_t to =
                find_row(rows, 0, n, ack_segment, TCPSHAKE_LADDER_TO_SERVER, rec->ack_ns, false);
        size_t from =
                find_start(rows, n, to, synack, TCPSHAKE_LADDER_TO_CLIENT, rec->synack_last_ns);
        if (from != SIZE_MAX) {
            l->client_side = bracket(from, to, rec->client_side_ns);
            rows[to].notes |= TCPSHAKE_LADDER_NOTE_CLIENT_TO;
            rows[from].notes |= TCPSHAKE_LADDER_NOTE_CLIENT_FROM;
            rows[from].notes |= karn_synack ? TCPSHAKE_LADDER_NOTE_KARN_SYNACK : 0;
        }
    }
}

/* RSTs and FINs: the tracker's verdicts, and who closed first. */
static void note_teardown(const struct build *b, const struct prow *pr,
                          struct tcpshake_ladder_row *rows, size_t n)
{
    const struct tcpshake_record *rec = b->rec;
    bool fin[2] = { false, false };
    bool any_fin = false;
    for (size_t i = 0; i < n; i++) {
        struct tcpshake_ladder_row *o = &rows[i];
        if (o->kind != TCPSHAKE_LADDER_KIND_SEGMENT) {
            continue;
        }
        const struct prow *r = &pr[i];
        o->notes |= r->completes ? TCPSHAKE_LADDER_NOTE_COMPLETES : 0;
        o->notes |= r->fin_ack ? TCPSHAKE_LADDER_NOTE_FIN_ACKED : 0;
        o->notes |= r->half_close ? TCPSHAKE_LADDER_NOTE_HALF_CLOSE : 0;
        o->notes |= r->retransmit ? TCPSHAKE_LADDER_NOTE_DATA_RETRANSMIT : 0;
        int d = o->dir == TCPSHAKE_LADDER_TO_SERVER ? 0 : 1;
        if (o->flags & TCP_RST) {
            o->notes |= r->rst_valid ? TCPSHAKE_LADDER_NOTE_RST_VALID
                                     : TCPSHAKE_LADDER_NOTE_RST_INVALID;
            const struct tcpshake_side *sd = d == 0 ? &rec->client : &rec->server;
            if (r->rst_valid && o->t_ns == sd->rst_ns) {
                if (rec->outcome == TCPSHAKE_OUTCOME_REFUSED && d == 1) {
                    o->notes |= TCPSHAKE_LADDER_NOTE_REFUSES;
                } else if (rec->outcome == TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE) {
                    o->notes |= TCPSHAKE_LADDER_NOTE_RESETS_HANDSHAKE;
                }
            }
        }
        if ((o->flags & TCP_FIN) && !fin[d]) {
            fin[d] = true;
            o->notes |= any_fin ? TCPSHAKE_LADDER_NOTE_FIN_SECOND : TCPSHAKE_LADDER_NOTE_FIN_FIRST;
            any_fin = true;
        }
    }
}

/* Relative times and deltas, in place. */
static void set_times(struct tcpshake_ladder_row *rows, size_t n)
{
    uint64_t prev_end = n > 0 ? rows[0].t_ns : 0;
    for (size_t i = 0; i < n; i++) {
        rows[i].rel_ns = (int64_t)(rows[i].t_ns - rows[0].t_ns); /* < 0: time went back */
        rows[i].delta_ns = (int64_t)(rows[i].t_ns - prev_end);
        bool span = rows[i].kind == TCPSHAKE_LADDER_KIND_RUN ||
                    rows[i].kind == TCPSHAKE_LADDER_KIND_LOST;
        prev_end = span ? rows[i].run_end_ns : rows[i].t_ns;
    }
}

/* A connection with no rows (it came while the table was full, or memory ran
 * out): all its segments are lost, one KIND_LOST row from the record's counts. */
static void untracked_rows(struct pending *none, const struct tcpshake_record *rec)
{
    memset(none, 0, sizeof(*none));
    memcpy(none->a_addr, rec->client.addr, sizeof(none->a_addr));
    none->a_port = rec->client.port;
    none->lost_segs[0] = rec->client.packets;
    none->lost_segs[1] = rec->server.packets;
    none->lost_bytes[0] = rec->client.payload_bytes;
    none->lost_bytes[1] = rec->server.payload_bytes;
    none->lost_first_ns = rec->first_ns;
    none->lost_end_ns = rec->last_ns;
}

/* The ladder of rec from p's rows (p NULL: no rows were kept). NULL: out of memory. */
static struct kept *build(const struct tcpshake_record *rec, const struct pending *p)
{
    struct pending none;
    if (p == NULL) {
        untracked_rows(&none, rec);
        p = &none;
    }
    struct build b = { .rec = rec };
    bool client_a = memcmp(rec->client.addr, p->a_addr, sizeof(p->a_addr)) == 0 &&
                    rec->client.port == p->a_port;
    b.client_ep = client_a ? 0 : 1;
    find_isns(&b, p);
    uint64_t lost = p->lost_segs[0] + p->lost_segs[1];
    size_t n = p->n + (lost > 0 ? 1 : 0);
    struct kept *k = ts_calloc(1, sizeof(*k));
    struct tcpshake_ladder_row *rows = n > 0 ? ts_calloc(n, sizeof(*rows)) : NULL;
    if (k == NULL || (n > 0 && rows == NULL)) {
        ts_free(k);
        ts_free(rows);
        return NULL;
    }
    for (uint32_t i = 0; i < p->n; i++) {
        fill_row(&b, &p->rows[i], &rows[i]);
    }
    if (lost > 0) {
        struct tcpshake_ladder_row *o = &rows[p->n];
        o->kind = TCPSHAKE_LADDER_KIND_LOST;
        o->dir = TCPSHAKE_LADDER_BOTH;
        o->t_ns = p->lost_first_ns;
        o->run_end_ns = p->lost_end_ns;
        for (int ep = 0; ep < 2; ep++) {
            o->run_segments[dir_of(&b, ep)] = p->lost_segs[ep];
            o->run_bytes[dir_of(&b, ep)] = p->lost_bytes[ep];
        }
    }
    k->rows = rows;
    k->l.rec = *rec;
    k->l.rows = rows;
    k->l.n_rows = n;
    k->l.segments_lost = lost;
    note_handshake(&b, rows, p->n);
    note_brackets(&b, &k->l, rows, p->n);
    note_teardown(&b, p->rows, rows, p->n);
    set_times(rows, n);
    return k;
}

/* ------------------------------------------------------------ selection */

/* Whether a comes before b in list l. */
static bool before(const struct list *l, const struct tcpshake_record *a,
                   const struct tcpshake_record *b)
{
    if (l->slowest && rank_ns(a) != rank_ns(b)) {
        return rank_ns(a) > rank_ns(b);
    }
    return a->id < b->id;
}

static bool selected(struct tcpshake_ladders *ls, const struct list *l,
                     const struct tcpshake_record *rec)
{
    if (ls->cfg.n_ids > 0) {
        long i = id_index(ls, rec->id);
        if (i < 0) {
            return false;
        }
        ls->seen[i] = true;
        return true;
    }
    if (l->outcomes != 0 && !(l->outcomes & TCPSHAKE_LADDER_OUTCOME(rec->outcome))) {
        return false;
    }
    return !l->slowest || rank_ns(rec) != TCPSHAKE_NO_TIME;
}

/* Keep rec's ladder in l if it ranks among the first max_ladders. */
static void keep(struct list *l, const struct tcpshake_record *rec, const struct pending *p)
{
    size_t n = l->n_kept;
    if (n == l->max_ladders && !before(l, rec, &l->kept[n - 1]->l.rec)) {
        return;
    }
    struct kept *k = build(rec, p);
    if (k == NULL) {
        return; /* out of memory: this ladder is left out, the run goes on */
    }
    if (n == l->max_ladders) {
        free_kept(l->kept[--n]);
    }
    size_t at = n;
    while (at > 0 && before(l, rec, &l->kept[at - 1]->l.rec)) {
        l->kept[at] = l->kept[at - 1];
        at--;
    }
    l->kept[at] = k;
    l->n_kept = n + 1;
}

void ladders_record(struct tcpshake_ladders *ls, const struct tcpshake_record *rec)
{
    struct pending *p = find(ls, rec->id);
    for (size_t i = 0; i < ls->n_lists; i++) {
        struct list *l = &ls->lists[i];
        if (selected(ls, l, rec)) {
            l->matched++;
            keep(l, rec, p);
        }
    }
    if (p != NULL) {
        remove_pending(ls, p);
    }
}
