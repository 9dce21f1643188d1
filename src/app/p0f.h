/*
 * p0f.h - who is on each end, passively: the p0f v3 signature of a SYN or
 * SYN-ACK, and its label from a p0f fingerprint database (p0f.fp).
 *
 * A signature is the text p0f v3 (Michal Zalewski) writes as raw_sig:
 *
 *   ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass
 *
 * The tracker keeps the compact facts of a side's SYN or SYN-ACK
 * (p0f_take, from the decoder's view); the record's text is made only when
 * the record is (p0f_signature), and the label looked up then (p0f_match)
 * in a database parsed once (p0f_db_parse / p0f_db_load) and read-only
 * afterwards, so worker threads may share it.
 *
 * The grammar, the quirks and the matching rules are those of p0f's
 * documentation (its README, section 5, and the comments of p0f.fp); where
 * p0f 3.09b does something the documentation does not say, we do what p0f
 * does, so that our signatures and labels are the ones p0f gives. Those
 * rules are listed in p0f.c and in the man page (P0F FINGERPRINTS).
 */
#ifndef TCPSHAKE_P0F_H
#define TCPSHAKE_P0F_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "tcpshake.h"

#define P0F_MAX_OPT   24  /* option kinds p0f reads from one header, at most */
#define P0F_SIG_CAP   256 /* bytes a signature text takes at most, NUL included */
#define P0F_SIG_ROOM  328 /* bytes the memo writes a signature into (cut at P0F_SIG_CAP) */
#define P0F_LABEL_CAP 128 /* bytes a label takes at most, NUL included */

/* p0f's quirks, in the order its raw_sig lists them. */
enum p0f_quirk {
    P0F_Q_DF = 1u << 0,          /* df: IPv4 don't fragment */
    P0F_Q_NZ_ID = 1u << 1,       /* id+: DF set and IP id not 0 */
    P0F_Q_ZERO_ID = 1u << 2,     /* id-: DF not set and IP id 0 */
    P0F_Q_ECN = 1u << 3,         /* ecn: ECN bits in IP, or ECE / CWR / AE in TCP */
    P0F_Q_NZ_MBZ = 1u << 4,      /* 0+: the IPv4 reserved flag is set */
    P0F_Q_FLOW = 1u << 5,        /* flow: IPv6 flow label not 0 */
    P0F_Q_ZERO_SEQ = 1u << 6,    /* seq-: sequence number 0 */
    P0F_Q_NZ_ACK = 1u << 7,      /* ack+: ACK number without ACK flag (see p0f.c) */
    P0F_Q_ZERO_ACK = 1u << 8,    /* ack-: ACK flag with ACK number 0 */
    P0F_Q_NZ_URG = 1u << 9,      /* uptr+: urgent pointer without URG */
    P0F_Q_URG = 1u << 10,        /* urgf+: URG flag */
    P0F_Q_PUSH = 1u << 11,       /* pushf+: PSH flag */
    P0F_Q_ZERO_TS1 = 1u << 12,   /* ts1-: own timestamp 0 */
    P0F_Q_NZ_TS2 = 1u << 13,     /* ts2+: peer timestamp not 0 on a SYN */
    P0F_Q_OPT_EOL_NZ = 1u << 14, /* opt+: non-zero bytes after the end of options */
    P0F_Q_EXWS = 1u << 15,       /* exws: window scale above 14 */
    P0F_Q_OPT_BAD = 1u << 16,    /* bad: malformed options */
};
#define P0F_N_QUIRKS 17

/* What a signature is made of: one SYN or SYN-ACK, 44 bytes. */
struct p0f_facts {
    uint8_t layout[P0F_MAX_OPT]; /* option kinds in order (0 end of list, 1 no-op ...) */
    uint8_t n_opt;               /* entries of layout; 0 with ip_version 0: no facts */
    uint8_t eol_pad;             /* bytes after an end-of-options */
    uint8_t ip_version;          /* 4 or 6; 0 = nothing taken */
    uint8_t ttl;
    uint8_t ip_opt_len; /* IPv4 option bytes, IPv6 extension header bytes */
    uint8_t tot_hdr;    /* IP + TCP header bytes */
    uint8_t wscale;     /* as p0f reads it: 0 when absent */
    uint8_t tcp_type;   /* the flags SYN, ACK, FIN, RST of the segment */
    uint16_t mss;       /* as p0f reads it: 0 when absent */
    uint16_t window;    /* raw */
    uint32_t quirks;    /* enum p0f_quirk */
    bool payload;       /* the segment carried payload (pclass +) */
    bool ts1_set;       /* its own timestamp is not 0 (window rule mss - 12) */
};

/* Take the facts of v, a segment with SYN, into *f. */
void p0f_take(struct p0f_facts *f, const struct tcp_view *v);

/*
 * Write f's signature into buf (cap bytes, at least P0F_SIG_CAP for the whole
 * text) and return its length; "" when f holds nothing. syn_mss is the MSS
 * of the SYN a SYN-ACK answers (0: unknown), for p0f's "peer MSS" window rule.
 */
size_t p0f_signature(const struct p0f_facts *f, uint16_t syn_mss, char *buf, size_t cap);

/* A parsed p0f.fp: its TCP signatures and their labels. */
struct p0f_db;

#define P0F_DB_MAX_BYTES (1u << 20) /* a larger file is refused */
#define P0F_DB_MAX_SIGS  16384      /* more signatures are refused */

/*
 * Parse len bytes of p0f.fp text. Sections other than [tcp:request] and
 * [tcp:response] ([mtu], [http:*]) are skipped. On success *out owns the
 * database (free with p0f_db_free). Fails with ERR_FORMAT and a one-line
 * message in msg ("line N: why") on a line p0f would refuse, a file over the
 * bounds above, or a file without TCP signatures; ERR_NOMEM.
 */
enum tcpshake_status p0f_db_parse(const char *text, size_t len, struct p0f_db **out, char *msg,
                                  size_t msg_len);

/* p0f_db_parse on a file: also ERR_OPEN (with strerror in msg). */
enum tcpshake_status p0f_db_load(const char *path, struct p0f_db **out, char *msg, size_t msg_len);

void p0f_db_free(struct p0f_db *db);

/* Signatures in the database (of both directions). */
size_t p0f_db_count(const struct p0f_db *db);

/*
 * Look f up in db as p0f does: an exact match of a specific signature, else
 * of a generic one, else a fuzzy one. On a match, *label points at the
 * label's text in db ("s:unix:Linux:3.11 and newer") and *fuzzy says whether
 * the fuzzy rules were needed; false when nothing matches.
 */
bool p0f_match(const struct p0f_db *db, const struct p0f_facts *f, uint16_t syn_mss,
               const char **label, bool *fuzzy);

/*
 * What one SYN or SYN-ACK shape gives: its signature text and its label.
 * Connections from the same host, and from hosts of one system, send SYNs of
 * one shape again and again, so an engine remembers the last shapes it
 * described (a direct-mapped table: a clash only replaces an entry, so
 * hostile input costs at most the lookup it would have cost anyway).
 */
struct p0f_seen {
    struct p0f_facts facts; /* the key, with syn_mss */
    uint16_t syn_mss;
    bool valid;
    bool fuzzy;             /* the label needed the fuzzy rules */
    const char *label;      /* in the database; NULL: no label */
    uint16_t label_len;     /* its bytes, NUL not counted */
    uint16_t sig_len;       /* bytes of sig, NUL not counted (below P0F_SIG_CAP) */
    char sig[P0F_SIG_ROOM]; /* written in place: room for the writer's longest text */
};

#define P0F_MEMO_SLOTS 128u

struct p0f_memo {
    struct p0f_seen *slot;   /* P0F_MEMO_SLOTS entries */
    const struct p0f_db *db; /* labels from here; NULL: no labels */
    bool off;                /* describe nothing: the records' p0f members stay empty */
};

/* An empty memo labelling from db (NULL: signatures only). false: no memory. */
bool p0f_memo_init(struct p0f_memo *m, const struct p0f_db *db);
void p0f_memo_release(struct p0f_memo *m);

/* f's signature and label (p0f_signature, p0f_match), described once per shape. */
const struct p0f_seen *p0f_describe(struct p0f_memo *m, const struct p0f_facts *f,
                                    uint16_t syn_mss);

#endif
