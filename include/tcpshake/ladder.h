/*
 * tcpshake/ladder.h - the ladder of a connection: its setup and teardown
 * segments one by one, with the annotations that explain its record.
 *
 * Part of the public API: include <tcpshake.h>, not this file.
 *
 * A ladder is a data model, not text: the CLI draws it in the terminal
 * (cli/ladder.c), a report can draw the same model as a sequence diagram.
 *
 * Use:
 *   struct tcpshake_ladder_config lc;
 *   tcpshake_ladder_config_default(&lc);
 *   lc.outcomes = TCPSHAKE_LADDER_FAILED;             (or ids, or slowest)
 *   struct tcpshake_ladders *ls = tcpshake_ladders_new(&lc);
 *   tcpshake_set_ladders(h, ls);                      (before tcpshake_run)
 *   tcpshake_run(h);
 *   for (size_t i = 0; i < tcpshake_ladders_count(ls); i++) {
 *       const struct tcpshake_ladder *l = tcpshake_ladders_get(ls, i);
 *       ... draw l ...
 *   }
 *   tcpshake_free(h);
 *   tcpshake_ladders_free(ls);
 *
 * How a renderer walks a ladder:
 *   - l->rec is the connection's record (the same values as the record
 *     callback got): title it with rec.id, rec.client, rec.server, rec.outcome.
 *   - l->rows[0 .. l->n_rows) in capture order. Each row is one segment
 *     (KIND_SEGMENT), an ICMP error (KIND_ICMP), or a summary of the plain
 *     segments between two notable ones (KIND_RUN: "... 42 segments, 61 kB
 *     ..."); KIND_LOST says segments were not kept (a bound was reached).
 *     dir says which way it went: an arrow from the client column to the
 *     server column (TO_SERVER) or back (TO_CLIENT). An ICMP error travels
 *     toward the sender of the segment it quotes.
 *   - row.notes is a set of TCPSHAKE_LADDER_NOTE_* bits: print or draw each
 *     that is set (gap_ns goes with the retransmission notes). The order of
 *     the bits is the order to print them in.
 *   - l->server_side and l->client_side are brackets from one row to another
 *     (from_row <= to_row, indices into rows) labelled with ns, which is
 *     exactly the record's server_side_ns / client_side_ns. present is false
 *     when the record has no such figure or the rows were not kept. The
 *     notes SERVER_FROM / SERVER_TO and CLIENT_FROM / CLIENT_TO mark the
 *     segments that start and end each (where a renderer puts the figure).
 *
 * Which segments become rows. Notable segments always get a row of their
 * own: SYN, SYN-ACK, RST, FIN, the ACK that completed the handshake, the
 * first ACK of each side's FIN, the first payload sent after the peer's FIN
 * (half-close), ICMP errors. Other segments are summarised into KIND_RUN rows
 * unless all_segments is set. Bounds: max_rows rows per ladder (past it, plain
 * segments go into runs again, and notable ones into a KIND_LOST row at the
 * end); pool_rows rows in all for the connections not yet ended (with a
 * selection by id, only the selected connections hold rows). A connection
 * whose rows did not fit is still drawn, with a KIND_LOST row saying how many
 * segments are missing where. Without ids, at most pool_rows / 8 connections
 * hold rows at once (32768 at the default): one that starts while that many
 * are pending is not tracked (tcpshake_ladders_untracked counts them), and if
 * a list selects it, its ladder is a single KIND_LOST row with all its
 * segments (from the record's packet counts); so a SYN flood costs the set a
 * bounded table, not an entry per unanswered SYN. A connection no list can select any more when
 * its handshake completes (a list of failures; a full list of the lowest ids
 * and a higher id; a full list of the slowest and a handshake shorter than
 * its last one's) is dropped then and its further packets are not looked at.
 *
 * Threads: a ladder set follows one handle on its thread; tcpshake_set_ladders
 * refuses a handle with worker threads (tcpshake_config.threads > 1).
 */
#ifndef TCPSHAKE_PUBLIC_LADDER_H
#define TCPSHAKE_PUBLIC_LADDER_H

#include "tcpshake/record.h"
#include "tcpshake/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of tcpshake_ladder_config.outcomes: 1u << enum tcpshake_outcome. */
#define TCPSHAKE_LADDER_OUTCOME(o) (1u << (o))
/* Every handshake that failed: refused, unanswered, ICMP-rejected, half-open,
 * reset in the handshake. */
#define TCPSHAKE_LADDER_FAILED                                                                     \
    (TCPSHAKE_LADDER_OUTCOME(TCPSHAKE_OUTCOME_REFUSED) |                                           \
     TCPSHAKE_LADDER_OUTCOME(TCPSHAKE_OUTCOME_UNANSWERED) |                                        \
     TCPSHAKE_LADDER_OUTCOME(TCPSHAKE_OUTCOME_ICMP_REJECTED) |                                     \
     TCPSHAKE_LADDER_OUTCOME(TCPSHAKE_OUTCOME_HALF_OPEN) |                                         \
     TCPSHAKE_LADDER_OUTCOME(TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE))

#define TCPSHAKE_LADDER_MAX_LADDERS 1000 /* the largest max_ladders */
#define TCPSHAKE_LADDER_MAX_IDS     1000 /* the most ids */

/*
 * Which connections get a ladder, and the bounds. A record is selected when
 * its id is in ids (n_ids > 0), or else when its outcome's bit is in outcomes
 * (0: any outcome). With slowest, of those the ones with a measured latency
 * are ranked by the handshake (SYN -> ACK; the server side alone when there
 * is no ACK) and the max_ladders slowest kept; otherwise the max_ladders
 * lowest ids. tcpshake_ladders_matched says how many were selected in all.
 */
struct tcpshake_ladder_config {
    const uint64_t *ids; /* record ids (copied by tcpshake_ladders_new); NULL when n_ids 0 */
    size_t n_ids;        /* 0 .. TCPSHAKE_LADDER_MAX_IDS */
    uint32_t outcomes;   /* TCPSHAKE_LADDER_OUTCOME bits; 0 = any (when n_ids is 0) */
    bool slowest;        /* keep the slowest, not the lowest ids */
    size_t max_ladders;  /* ladders kept, 1 .. 1000 (default 50) */
    bool all_segments;   /* a row for every segment, not runs (default false) */
    size_t max_rows;     /* rows per ladder, 16 .. 1000000 (default 64; 4096 with
                            all_segments when left at 0) */
    size_t pool_rows;    /* rows held for connections not yet ended, 1024 ..
                            16777216 (default 262144: 96 bytes each, 25 MB,
                            and at most twice that allocated as rows grow) */
};

TCPSHAKE_API void tcpshake_ladder_config_default(struct tcpshake_ladder_config *cfg);

enum tcpshake_ladder_kind {
    TCPSHAKE_LADDER_KIND_SEGMENT, /* one TCP segment */
    TCPSHAKE_LADDER_KIND_ICMP,    /* an ICMP / ICMPv6 error quoting a segment */
    TCPSHAKE_LADDER_KIND_RUN,     /* plain segments summarised (run_* fields) */
    TCPSHAKE_LADDER_KIND_LOST,    /* run_segments[] segments not kept: a bound was reached */
};

enum tcpshake_ladder_dir {
    TCPSHAKE_LADDER_TO_SERVER, /* client -> server */
    TCPSHAKE_LADDER_TO_CLIENT, /* server -> client */
    TCPSHAKE_LADDER_BOTH,      /* runs and lost rows: segments either way */
};

/*
 * Annotations of a row, as bits of tcpshake_ladder_row.notes, in the order to
 * print them. X(name, bit, short text): the text is what the terminal prints
 * (tcpshake_ladder_note_text), a renderer may use its own words.
 */
#define TCPSHAKE_LADDER_NOTE_MAP(X)                                                                \
    X(SYN_RETRANSMIT, 0, "SYN retransmitted")        /* gap_ns: since the previous SYN */          \
    X(SYNACK_RETRANSMIT, 1, "SYN-ACK retransmitted") /* gap_ns: since the previous one */          \
    X(SERVER_FROM, 2, "server side measured from this SYN")                                        \
    X(KARN_SYN, 3, "Karn: the last SYN before the SYN-ACK")                                        \
    X(SERVER_TO, 4, "server side ends: first SYN-ACK acknowledging the SYN")                       \
    X(CLIENT_FROM, 5, "client side measured from this SYN-ACK")                                    \
    X(KARN_SYNACK, 6, "Karn: the last SYN-ACK before the ACK")                                     \
    X(SYNACK_BAD_ACK, 7, "SYN-ACK does not acknowledge the SYN")                                   \
    X(SIMULTANEOUS, 8, "simultaneous open: both sides sent a SYN")                                 \
    X(SYN_DATA, 9, "SYN carries data (Fast Open)")                                                 \
    X(COMPLETES, 10, "completes the handshake")                                                    \
    X(REFUSES, 11, "refuses the connection")                                                       \
    X(RESETS_HANDSHAKE, 12, "resets the handshake")                                                \
    X(RST_VALID, 13, "valid RST: the receiver accepts it")                                         \
    X(RST_INVALID, 14, "invalid RST: out of window, the receiver ignores it")                      \
    X(ICMP_ERROR, 15, "ICMP error quoting this connection")                                        \
    X(REJECTS, 16, "rejects the SYN")                                                              \
    X(FIN_FIRST, 17, "FIN: closes first")                                                          \
    X(FIN_SECOND, 18, "FIN: closes second")                                                        \
    X(FIN_ACKED, 19, "acknowledges the peer's FIN")                                                \
    X(HALF_CLOSE, 20, "half-close: sends after the peer's FIN")                                    \
    X(DATA_RETRANSMIT, 21, "retransmission")                                                       \
    X(NO_ANSWER, 22, "no answer before the connection ended")                                      \
    X(CLIENT_TO, 23, "client side ends: the ACK of the server's SYN")

enum tcpshake_ladder_note {
#define TCPSHAKE_LADDER_NOTE_ENUM(name, bit, text) TCPSHAKE_LADDER_NOTE_##name = 1u << (bit),
    TCPSHAKE_LADDER_NOTE_MAP(TCPSHAKE_LADDER_NOTE_ENUM)
#undef TCPSHAKE_LADDER_NOTE_ENUM
};
#define TCPSHAKE_LADDER_NOTE_BITS 24

/* The words of one note bit; NULL for a bit that is not a note. */
TCPSHAKE_API const char *tcpshake_ladder_note_text(uint32_t bit);

/* One line of a ladder. Times are ns since the epoch, durations ns. */
struct tcpshake_ladder_row {
    enum tcpshake_ladder_kind kind;
    enum tcpshake_ladder_dir dir;
    uint64_t t_ns;    /* when it was captured (a run: its first segment) */
    int64_t rel_ns;   /* since the ladder's first row */
    int64_t delta_ns; /* since the previous row ended (0 for the first row) */
    uint32_t notes;   /* TCPSHAKE_LADDER_NOTE_* bits */
    int64_t gap_ns;   /* with a *_RETRANSMIT note: time since the previous one; else 0 */
    /* KIND_SEGMENT; for KIND_ICMP the quoted segment's seq (rel_seq) */
    uint16_t flags;         /* TCP flags as on the wire: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08,
                               ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80, AE 0x100 */
    uint32_t seq, ack;      /* raw */
    uint32_t rel_seq;       /* seq minus the sender's ISN; with no SYN seen, minus
                             its first seq less 1 (as Wireshark counts) */
    uint32_t rel_ack;       /* ack minus the receiver's ISN; meaningful with the ACK flag */
    bool rel_ack_known;     /* the receiver's ISN (or first seq) is known */
    uint32_t payload_len;   /* bytes of payload, from the IP length */
    uint16_t window;        /* raw window field */
    uint64_t window_scaled; /* window << the sender's shift, when both sides offered window
                               scaling (RFC 7323) and this is not a SYN; else = window */
    uint8_t ttl;            /* IPv4 TTL / IPv6 hop limit (of the ICMP packet for KIND_ICMP) */
    uint16_t mss;           /* options: 0 absent */
    int8_t wscale;          /* -1 absent */
    bool sack_permitted;
    bool timestamps;
    uint32_t tsval, tsecr;
    bool tfo;               /* Fast Open option present */
    uint8_t tfo_cookie_len; /* 0 with tfo: a cookie request */
    /* KIND_ICMP */
    uint8_t icmp_type, icmp_code;
    uint8_t icmp_version; /* 4 ICMP, 6 ICMPv6 */
    /* KIND_RUN and KIND_LOST: [0] client -> server, [1] server -> client */
    uint64_t run_segments[2];
    uint64_t run_bytes[2]; /* payload bytes */
    uint64_t run_retransmits;
    uint64_t run_end_ns; /* last segment of the run */
};

/* A latency drawn from one row to another. */
struct tcpshake_ladder_bracket {
    bool present;
    size_t from_row, to_row; /* indices into rows, from_row <= to_row: the rows of the
                                two segments in row order (the SYN, or the SYN-ACK, is
                                to_row only when capture time went backwards between
                                them; the notes *_FROM and *_TO say which is which) */
    int64_t ns;              /* the record's server_side_ns / client_side_ns */
};

struct tcpshake_ladder {
    struct tcpshake_record rec; /* the connection's record */
    const struct tcpshake_ladder_row *rows;
    size_t n_rows;
    struct tcpshake_ladder_bracket server_side; /* SYN -> SYN-ACK */
    struct tcpshake_ladder_bracket client_side; /* SYN-ACK -> ACK */
    uint64_t segments_lost;                     /* segments not kept (see KIND_LOST) */
};

struct tcpshake_ladders;
struct tcpshake;

/*
 * A set of ladders to collect (cfg copied; NULL = defaults: every connection,
 * 50 ladders). NULL when memory runs out or cfg is out of range (then
 * tcpshake_ladder_config_check says which field).
 */
TCPSHAKE_API struct tcpshake_ladders *
tcpshake_ladders_new(const struct tcpshake_ladder_config *cfg);
TCPSHAKE_API void tcpshake_ladders_free(struct tcpshake_ladders *ls); /* NULL: no-op */

/* OK, or ERR_ARG with a sentence naming the field in msg (when msg_len > 0). */
TCPSHAKE_API enum tcpshake_status
tcpshake_ladder_config_check(const struct tcpshake_ladder_config *cfg, char *msg, size_t msg_len);

/*
 * Collect ladders from h's run: every segment and ICMP error the handle
 * tracks is offered to ls, every connection record decides whether its
 * ladder is kept. Call before tcpshake_run / the first tcpshake_feed; ls must
 * outlive the run (h does not own it). ERR_ARG when ls is NULL; ERR_STATE when
 * h has worker threads or already has a ladder set (tcpshake_errmsg says which).
 */
TCPSHAKE_API enum tcpshake_status tcpshake_set_ladders(struct tcpshake *h,
                                                       struct tcpshake_ladders *ls);

/* The ladders kept so far: by id, or slowest first with cfg.slowest. */
TCPSHAKE_API size_t tcpshake_ladders_count(const struct tcpshake_ladders *ls);
/* The i-th of them, borrowed until ls changes (a further record) or is freed. */
TCPSHAKE_API const struct tcpshake_ladder *tcpshake_ladders_get(const struct tcpshake_ladders *ls,
                                                                size_t i);
/* Records the selection took, kept or not (more than count: the cap was hit). */
TCPSHAKE_API uint64_t tcpshake_ladders_matched(const struct tcpshake_ladders *ls);
/* With ids: whether a record with this id was seen. */
TCPSHAKE_API bool tcpshake_ladders_seen(const struct tcpshake_ladders *ls, uint64_t id);
/*
 * Further lists. A set keeps one list of ladders, the config's selection
 * (list 0, what tcpshake_ladders_count / _get / _matched give). Up to
 * TCPSHAKE_LADDER_MAX_LISTS - 1 more lists select, rank and cap on their own
 * over the same rows: e.g. the slowest connections in list 0 and the first
 * refused ones in list 1, in one pass and one table of rows (a list costs
 * nothing per packet; a connection two lists keep is built twice). ids,
 * all_segments, max_rows and pool_rows are the set's. Add them before the
 * run. ERR_ARG when sel is out of range, the set selects by ids, or it has
 * TCPSHAKE_LADDER_MAX_LISTS lists already; ERR_NOMEM. *index (may be NULL)
 * gets the new list's number, 1, 2, ...
 */
#define TCPSHAKE_LADDER_MAX_LISTS 8
struct tcpshake_ladder_list {
    uint32_t outcomes;  /* TCPSHAKE_LADDER_OUTCOME bits; 0 = any */
    bool slowest;       /* keep the slowest (as the config's), not the lowest ids */
    size_t max_ladders; /* 1 .. 1000 */
};
TCPSHAKE_API enum tcpshake_status tcpshake_ladders_add_list(struct tcpshake_ladders *ls,
                                                            const struct tcpshake_ladder_list *sel,
                                                            size_t *index);
/* As tcpshake_ladders_count / _get / _matched, for list number list (0 = the
 * config's). A list that does not exist has none. */
TCPSHAKE_API size_t tcpshake_ladders_list_count(const struct tcpshake_ladders *ls, size_t list);
TCPSHAKE_API const struct tcpshake_ladder *
tcpshake_ladders_list_get(const struct tcpshake_ladders *ls, size_t list, size_t i);
TCPSHAKE_API uint64_t tcpshake_ladders_list_matched(const struct tcpshake_ladders *ls, size_t list);

/* Segments left out of ladders because pool_rows was full. */
TCPSHAKE_API uint64_t tcpshake_ladders_pool_drops(const struct tcpshake_ladders *ls);
/* Connections not tracked because pool_rows / 8 connections were pending
 * when they started (without ids); and the most that were pending at once. */
TCPSHAKE_API uint64_t tcpshake_ladders_untracked(const struct tcpshake_ladders *ls);
TCPSHAKE_API size_t tcpshake_ladders_tracked_peak(const struct tcpshake_ladders *ls);

#ifdef __cplusplus
}
#endif
#endif
