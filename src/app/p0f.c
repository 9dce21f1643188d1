/*
 * p0f.c - p0f v3 signatures of SYNs and SYN-ACKs, the p0f.fp database and
 * the lookup of a signature's label in it.
 *
 * Owns p0f's view of a SYN: its own walk of the TCP options (p0f reads each
 * known option at its fixed size, whatever the length byte says), its
 * quirks, the window as a multiple of the MSS or MTU, the initial TTL guess;
 * and the database grammar and matching rules. The decoder hands the raw
 * facts over (decode.h: struct tcp_syn_facts); the tracker keeps one
 * struct p0f_facts per side.
 *
 * Signature, as p0f writes raw_sig (README section 5):
 *   ver     4 or 6 ('*' only in the database)
 *   ittl    observed TTL "+" distance to the next of 32, 64, 128, 255; "+?"
 *           when that distance is above 35. The database gives an initial
 *           TTL ("64"), "ttl+dist", or "ttl-" (random TTLs up to ttl).
 *   olen    IPv4 option bytes (IPv6: extension header bytes; see below)
 *   mss     the MSS option, 0 when absent; '*' in the database is any
 *   wsize   "mss*N" / "mtu*N" when the window is N times the MSS or an MTU
 *           (the rules of detect_window below), else the window; the
 *           database also has "%N" (a multiple of N) and '*'
 *   scale   window scale, 0 when absent; '*' in the database
 *   olayout eol+N (end of options and N bytes after it), nop, mss, ws, sok,
 *           sack, ts, ?N (any other kind N)
 *   quirks  df id+ id- ecn 0+ flow seq- ack+ ack- uptr+ urgf+ pushf+ ts1-
 *           ts2+ opt+ exws bad (enum p0f_quirk)
 *   pclass  0 no payload, + payload; '*' in the database
 *
 * Where p0f 3.09b's code goes its own way, we follow it (the differential
 * test against p0f -r holds us to it; the man page lists these):
 *   - ack+ is set only when the ACK number's first byte is odd (p0f tests
 *     the raw field, in network order, with a bitwise and with 1).
 *   - opt+ ignores a non-zero byte in the last position after an EOL.
 *   - the matcher does not compare the IP version of a signature that
 *     names one: a "4:" signature also matches an IPv6 SYN.
 *   - on a SYN-ACK with MSS 1331 (p0f-sendsyn's) the mss is written '*'.
 *   - a window that divides by a tiny peer MSS gives p0f's 16-bit result.
 */
#include "p0f.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "digits.h"

enum {
    OPT_EOL = 0,
    OPT_NOP = 1,
    OPT_MSS = 2,
    OPT_WS = 3,
    OPT_SOK = 4,
    OPT_SACK = 5,
    OPT_TS = 8,
    MAX_DIST = 35,      /* p0f: a TTL further from its initial value is not a guess */
    SPECIAL_MSS = 1331, /* p0f-sendsyn's MSS: a SYN-ACK echoing it says nothing */
    MIN_TCP4 = 40,      /* IPv4 + TCP headers without options */
    MIN_TCP6 = 60,
    T_SYN = 0x02,
    T_ACK = 0x10,
    T_FIN = 0x01,
    T_RST = 0x04,
};

/* ------------------------------------------------------------ the facts */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(((uint32_t)p[0] << 8) | (uint32_t)p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/*
 * p0f's option walk over opt[0 .. n): each kind is noted (at most
 * P0F_MAX_OPT), known options are read at their fixed size (a wrong length
 * byte is the quirk "bad" but the walk goes on as if it were right), and an
 * option that cannot fit ends the walk with "bad".
 */
static void walk_options(struct p0f_facts *f, const uint8_t *opt, size_t n)
{
    size_t i = 0;
    while (i < n && f->n_opt < P0F_MAX_OPT) {
        uint8_t kind = opt[i++];
        f->layout[f->n_opt++] = kind;
        size_t need = 0; /* bytes after the kind this option takes */
        switch (kind) {
        case OPT_EOL:
            f->eol_pad = (uint8_t)(n - i);
            while (i < n) {
                if (opt[i++] != 0) {
                    break;
                }
            }
            if (i != n) {
                f->quirks |= P0F_Q_OPT_EOL_NZ;
                i = n;
            }
            continue;
        case OPT_NOP:
            continue;
        case OPT_MSS:
            need = 3;
            break;
        case OPT_WS:
            need = 2;
            break;
        case OPT_SOK:
            need = 1;
            break;
        case OPT_TS:
            need = 9;
            break;
        default: /* SACK and unknown kinds: the length byte says, within bounds */
            if (i == n) {
                f->quirks |= P0F_Q_OPT_BAD;
                return;
            }
            uint8_t len = opt[i];
            bool sane = kind == OPT_SACK ? len >= 10 && len <= 34 : len >= 2 && len <= 40;
            if (!sane || i - 1 + len > n) {
                f->quirks |= P0F_Q_OPT_BAD;
                return;
            }
            i += (size_t)len - 1;
            continue;
        }
        if (i + need > n) {
            f->quirks |= P0F_Q_OPT_BAD;
            return;
        }
        if (opt[i] != need + 1) {
            f->quirks |= P0F_Q_OPT_BAD; /* wrong length byte: read at the fixed size anyway */
        }
        if (kind == OPT_MSS) {
            f->mss = be16(opt + i + 1);
        } else if (kind == OPT_WS) {
            f->wscale = opt[i + 1];
            if (f->wscale > 14) {
                f->quirks |= P0F_Q_EXWS;
            }
        } else if (kind == OPT_TS) {
            uint32_t ts1 = be32(opt + i + 1);
            f->ts1_set = ts1 != 0;
            if (ts1 == 0) {
                f->quirks |= P0F_Q_ZERO_TS1;
            }
            if (f->tcp_type == T_SYN && be32(opt + i + 5) != 0) {
                f->quirks |= P0F_Q_NZ_TS2;
            }
        }
        i += need;
    }
    if (i != n) {
        f->quirks |= P0F_Q_OPT_BAD; /* more options than p0f reads */
    }
}

/* The IP layer's quirks. */
static uint32_t ip_quirks(const struct tcp_syn_facts *s, uint8_t ip_version)
{
    uint32_t q = (s->ip_tos & 3u) != 0 ? P0F_Q_ECN : 0;
    if (ip_version == 6) {
        return q | ((s->ip_bits & IPF_FLOW) ? P0F_Q_FLOW : 0);
    }
    if (s->ip_bits & IPF_MBZ) {
        q |= P0F_Q_NZ_MBZ;
    }
    if (s->ip_bits & IPF_DF) {
        q |= P0F_Q_DF | ((s->ip_bits & IPF_ID_ZERO) ? 0 : P0F_Q_NZ_ID);
    } else if (s->ip_bits & IPF_ID_ZERO) {
        q |= P0F_Q_ZERO_ID;
    }
    return q;
}

/* The TCP header's quirks, options apart. */
static uint32_t tcp_quirks(const struct tcp_view *v)
{
    uint32_t q = 0;
    if (v->flags & (TCP_ECE | TCP_CWR | TCP_AE)) {
        q |= P0F_Q_ECN;
    }
    if (v->seq == 0) {
        q |= P0F_Q_ZERO_SEQ;
    }
    if (v->flags & TCP_ACK) {
        q |= v->ack == 0 ? P0F_Q_ZERO_ACK : 0;
    } else if ((v->flags & TCP_RST) == 0 && ((v->ack >> 24) & 1u) != 0) {
        /* p0f 3.09b tests "raw ack field & !rst": a bitwise and with 1 of the field
         * as it lies in memory, which on the little-endian machines it runs on is
         * the low bit of the number's first (most significant) byte. */
        q |= P0F_Q_NZ_ACK;
    }
    if (v->flags & TCP_URG) {
        q |= P0F_Q_URG;
    } else if (v->syn.urg_ptr != 0) {
        q |= P0F_Q_NZ_URG;
    }
    if (v->flags & TCP_PSH) {
        q |= P0F_Q_PUSH;
    }
    return q;
}

void p0f_take(struct p0f_facts *f, const struct tcp_view *v)
{
    const struct tcp_syn_facts *s = &v->syn;
    memset(f, 0, sizeof(*f));
    f->ip_version = v->tuple.ip_version;
    f->ttl = v->ttl;
    f->ip_opt_len = s->ip_opt_len;
    unsigned ip_hdr = (v->tuple.ip_version == 6 ? 40u : 20u) + s->ip_opt_len;
    unsigned tot = ip_hdr + s->tcp_hdr_len;
    f->tot_hdr = (uint8_t)(tot > UINT8_MAX ? UINT8_MAX : tot);
    f->tcp_type = (uint8_t)(v->flags & (T_SYN | T_ACK | T_FIN | T_RST));
    f->window = v->window;
    f->payload = v->payload_len != 0;
    f->quirks = ip_quirks(s, v->tuple.ip_version) | tcp_quirks(v);
    walk_options(f, s->opt, s->opt_len);
}

/* ------------------------------------------------------------ the text */

/*
 * The text is written with a cursor held in a register into a scratch buffer
 * with room for the longest text any facts can give (SIG_ROOM), without a
 * bound check per piece, and then copied into the caller's buffer, cut at
 * its cap: every piece is written whole, so a cut text is the first cap - 1
 * bytes of the whole one, as a writer checking every byte gives. No printf:
 * every record has two signatures, and printf cost more than the rest of the
 * record put together; SYNs from random sources (a flood) miss the memo, so
 * the text is made once per SYN there.
 */
enum {
    /* "255:255+35:255:65535:mss*32767,255:" (35 bytes) with room to spare */
    SIG_HEAD_MAX = 40,
    /* per option: "eol+255," (any kind may be EOL in facts not from p0f_take) */
    SIG_OPT_MAX = 8,
    /* every quirk and its comma (64 + 17 bytes), two closing ':'s, the pclass */
    SIG_TAIL_MAX = 84,
    /* pieces are stored 8 bytes at a time: a write may run 8 bytes past the end */
    SIG_SLACK = 8,
    SIG_ROOM = SIG_HEAD_MAX + P0F_MAX_OPT * SIG_OPT_MAX + SIG_TAIL_MAX + SIG_SLACK,
};

static char *put_pair(char *p, unsigned v)
{
    memcpy(p, digit_pairs + 2 * v, 2);
    return p + 2;
}

/* v in decimal at p; the end. Every number of a signature fits 16 bits. */
static inline char *put_u16(char *p, uint16_t v)
{
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    if (v < 100) {
        return put_pair(p, v);
    }
    if (v < 1000) {
        *p = (char)('0' + v / 100);
        return put_pair(p + 1, v % 100u);
    }
    if (v < 10000) {
        return put_pair(put_pair(p, v / 100u), v % 100u);
    }
    *p = (char)('0' + v / 10000);
    unsigned low = v % 10000u;
    return put_pair(put_pair(p + 1, low / 100), low % 100);
}
/* The distance to the nearest initial TTL at or above ttl (p0f's guess). */
static unsigned guess_dist(uint8_t ttl)
{
    if (ttl <= 32) {
        return 32u - ttl;
    }
    if (ttl <= 64) {
        return 64u - ttl;
    }
    if (ttl <= 128) {
        return 128u - ttl;
    }
    return 255u - ttl;
}

/* p0f keeps the multiplier in a 16-bit signed integer. */
static int as_s16(int q)
{
    unsigned u = (unsigned)q & 0xffffu;
    return u >= 0x8000u ? (int)u - 0x10000 : (int)u;
}

/* Is the window a multiple of div? Then *mult is the multiplier. */
static bool divides(int win, int div, int *mult)
{
    if (div == 0 || win % div != 0) {
        return false;
    }
    *mult = as_s16(win / div);
    return true;
}

/*
 * The window as a multiple of something (p0f's detect_win_multi), in p0f's
 * order: the MSS, the MSS less 12 (with timestamps), the MSS of a 1500-byte
 * MTU (IPv4 and, for IPv6, IPv6), the MTU from the MSS (IPv4 headers, the
 * actual headers, IPv6 headers), 1500, then the peer's MSS and that less 12.
 * Returns the multiplier (>= 1) and sets *mtu when an MTU divides it, or -1
 * (also for a zero window or an MSS below 100).
 */
static int detect_window(const struct p0f_facts *f, uint16_t syn_mss, bool *mtu)
{
    int win = f->window, mss = f->mss, m = -1;
    *mtu = false;
    if (win == 0 || mss < 100) {
        return -1;
    }
    bool v6 = f->ip_version == 6;
    if (divides(win, mss, &m) || (f->ts1_set && divides(win, mss - 12, &m)) ||
        divides(win, 1500 - MIN_TCP4, &m) || divides(win, 1500 - MIN_TCP4 - 12, &m) ||
        (v6 && (divides(win, 1500 - MIN_TCP6, &m) || divides(win, 1500 - MIN_TCP6 - 12, &m)))) {
        return m;
    }
    *mtu = true;
    if (divides(win, mss + MIN_TCP4, &m) || divides(win, mss + f->tot_hdr, &m) ||
        (v6 && divides(win, mss + MIN_TCP6, &m)) || divides(win, 1500, &m)) {
        return m;
    }
    *mtu = false;
    if (syn_mss != 0 && (divides(win, syn_mss, &m) || divides(win, (int)syn_mss - 12, &m))) {
        return m;
    }
    return -1;
}

/* A name and its comma, stored 8 bytes long (written whole, counted by len). */
struct sig_word {
    char text[8];
    uint8_t len;
};

/* The option kinds with names: "kind," (EOL and unknown kinds carry a number). */
static const struct sig_word opt_words[OPT_TS + 1] = {
    [OPT_NOP] = { "nop,", 4 }, [OPT_MSS] = { "mss,", 4 },   [OPT_WS] = { "ws,", 3 },
    [OPT_SOK] = { "sok,", 4 }, [OPT_SACK] = { "sack,", 5 }, [OPT_TS] = { "ts,", 3 },
};

/* olayout, each option followed by a comma (the caller turns the last into ':'). */
static char *put_layout(char *p, const struct p0f_facts *f)
{
    unsigned n = f->n_opt < P0F_MAX_OPT ? f->n_opt : P0F_MAX_OPT;
    for (unsigned i = 0; i < n; i++) {
        uint8_t k = f->layout[i];
        if (k == OPT_EOL) {
            memcpy(p, "eol+", 4);
            p = put_u16(p + 4, f->eol_pad);
            *p++ = ',';
        } else if (k <= OPT_TS && opt_words[k].len != 0) {
            memcpy(p, opt_words[k].text, 8);
            p += opt_words[k].len;
        } else {
            *p = '?';
            p = put_u16(p + 1, k);
            *p++ = ',';
        }
    }
    return p;
}

/* The index of the lowest set bit of x (x != 0). */
static unsigned lowest_bit(uint32_t x)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(x);
#else
    unsigned i = 0;
    while ((x & 1u) == 0) {
        x >>= 1;
        i++;
    }
    return i;
#endif
}

/* The quirk names, in enum p0f_quirk order (the parser's words). */
static const char *const quirk_names[P0F_N_QUIRKS] = {
    "df",    "id+",   "id-",    "ecn",  "0+",   "flow", "seq-", "ack+", "ack-",
    "uptr+", "urgf+", "pushf+", "ts1-", "ts2+", "opt+", "exws", "bad",
};

/* The same names with their commas, for the writer. */
static const struct sig_word quirk_words[P0F_N_QUIRKS] = {
    { "df,", 3 },    { "id+,", 4 },    { "id-,", 4 },  { "ecn,", 4 },  { "0+,", 3 },
    { "flow,", 5 },  { "seq-,", 5 },   { "ack+,", 5 }, { "ack-,", 5 }, { "uptr+,", 6 },
    { "urgf+,", 6 }, { "pushf+,", 7 }, { "ts1-,", 5 }, { "ts2+,", 5 }, { "opt+,", 5 },
    { "exws,", 5 },  { "bad,", 4 },
};

/* The quirks that are set, lowest bit first, each followed by a comma. */
static char *put_quirks(char *p, uint32_t quirks)
{
    for (uint32_t rest = quirks & ((1u << P0F_N_QUIRKS) - 1); rest != 0; rest &= rest - 1) {
        const struct sig_word *w = &quirk_words[lowest_bit(rest)];
        memcpy(p, w->text, 8);
        p += w->len;
    }
    return p;
}

/* A list's closing ':': over its last comma, or after its start when it is empty. */
static char *close_list(char *start, char *p)
{
    if (p == start) {
        *p++ = ':';
    } else {
        p[-1] = ':';
    }
    return p;
}

/* The whole text of f (ip_version != 0) at p, not terminated; its end. */
static char *put_signature(char *p, const struct p0f_facts *f, uint16_t syn_mss)
{
    p = put_u16(p, f->ip_version);
    *p++ = ':';
    p = put_u16(p, f->ttl);
    unsigned dist = guess_dist(f->ttl);
    if (dist > MAX_DIST) {
        memcpy(p, "+?:", 3);
        p += 3;
    } else {
        *p++ = '+';
        p = put_u16(p, (uint16_t)dist);
        *p++ = ':';
    }
    p = put_u16(p, f->ip_opt_len);
    *p++ = ':';
    if (f->mss == SPECIAL_MSS && f->tcp_type == (T_SYN | T_ACK)) {
        *p++ = '*';
    } else {
        p = put_u16(p, f->mss);
    }
    *p++ = ':';
    bool mtu;
    int mult = detect_window(f, syn_mss, &mtu);
    if (mult > 0) {
        memcpy(p, mtu ? "mtu*" : "mss*", 4);
        p = put_u16(p + 4, (uint16_t)mult);
    } else {
        p = put_u16(p, f->window);
    }
    *p++ = ',';
    p = put_u16(p, f->wscale);
    *p++ = ':';
    p = close_list(p, put_layout(p, f));
    p = close_list(p, put_quirks(p, f->quirks));
    *p++ = f->payload ? '+' : '0';
    return p;
}

_Static_assert(SIG_ROOM <= P0F_SIG_ROOM, "the memo's entries hold the writer's longest text");

/* f's text written in room (SIG_ROOM bytes), cut at cap - 1 bytes (cap >= 1),
 * NUL-terminated; its length. */
static size_t signature_in(const struct p0f_facts *f, uint16_t syn_mss, char *room, size_t cap)
{
    size_t len = f->ip_version == 0 ? 0 : (size_t)(put_signature(room, f, syn_mss) - room);
    if (len > cap - 1) {
        len = cap - 1; /* cut: the first bytes that fit */
    }
    room[len] = '\0';
    return len;
}

size_t p0f_signature(const struct p0f_facts *f, uint16_t syn_mss, char *buf, size_t cap)
{
    if (cap == 0) {
        return 0;
    }
    char text[SIG_ROOM];
    size_t len = signature_in(f, syn_mss, text, cap);
    memcpy(buf, text, len + 1);
    return len;
}

/* ------------------------------------------------------------ the database */

enum win_type { WIN_ANY, WIN_EXACT, WIN_MOD, WIN_MSS, WIN_MTU };

/* One "sig =" line of a [tcp:...] section. */
struct p0f_sig {
    uint8_t layout[P0F_MAX_OPT];
    uint8_t n_opt;
    uint8_t eol_pad;
    uint8_t ip_opt_len;
    uint8_t ttl;       /* initial TTL (ttl+dist summed) */
    int8_t ip_version; /* 4, 6, -1 any */
    int8_t pclass;     /* 0, 1, -1 any */
    bool bad_ttl;      /* "ttl-": random TTLs up to ttl */
    bool request;      /* [tcp:request] (SYN) or [tcp:response] (SYN-ACK) */
    uint8_t win_type;  /* enum win_type */
    int32_t mss;       /* -1 any */
    int32_t win;       /* value, modulus or multiplier */
    int32_t wscale;    /* -1 any */
    uint32_t quirks;
    uint32_t label; /* index into labels */
};

struct p0f_label {
    char text[P0F_LABEL_CAP];
    bool generic; /* type 'g': considered only when nothing specific matches */
    bool app;     /* class '!': a tool, not an operating system */
};

/*
 * Signatures of one direction and one option layout: by[first .. first + count)
 * in file order. A signature matches only a segment of its direction with its
 * layout, so the lookup reads one run instead of the whole file.
 */
struct p0f_run {
    uint32_t first;
    uint32_t count;
    uint32_t hash; /* layout_hash of its direction and layout */
};

struct p0f_db {
    struct p0f_sig *sigs;
    size_t n_sigs;
    size_t cap_sigs;
    struct p0f_label *labels;
    size_t n_labels;
    size_t cap_labels;
    uint32_t *by;         /* indexes of sigs sorted by (direction, layout, file order) */
    struct p0f_run *runs; /* the runs of by with one direction and layout, in that order */
    size_t n_runs;
    uint32_t *slots;  /* a run's index + 1 at its layout_hash (open addressing), 0 empty */
    size_t slot_mask; /* slots has slot_mask + 1 entries, at least twice n_runs */
};

/* The parser's state: one line at a time. */
struct parser {
    struct p0f_db *db;
    unsigned line_no;
    enum { SECT_NONE, SECT_TCP, SECT_OTHER } section;
    bool request;
    bool have_label; /* a label line in this section: sig lines may follow */
    char *msg;
    size_t msg_len;
};

__attribute__((format(printf, 2, 3))) static enum tcpshake_status fail(struct parser *p,
                                                                       const char *fmt, ...)
{
    if (p->msg_len > 0) {
        int n = snprintf(p->msg, p->msg_len, "line %u: ", p->line_no);
        if (n >= 0 && (size_t)n < p->msg_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->msg + n, p->msg_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return TCPSHAKE_ERR_FORMAT;
}

/* A cursor over one value, NUL-terminated. */
struct cur {
    const char *s;
};

/* Read a decimal number of at most 7 digits; false when there is none. */
static bool number(struct cur *c, long *v)
{
    if (!isdigit((unsigned char)*c->s)) {
        return false;
    }
    long n = 0;
    for (int digits = 0; isdigit((unsigned char)*c->s); digits++, c->s++) {
        if (digits == 7) {
            return false;
        }
        n = n * 10 + (*c->s - '0');
    }
    *v = n;
    return true;
}

static bool take(struct cur *c, char ch)
{
    if (*c->s != ch) {
        return false;
    }
    c->s++;
    return true;
}

static bool take_word(struct cur *c, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(c->s, w, n) != 0) {
        return false;
    }
    c->s += n;
    return true;
}

/* A number in [lo, hi] followed by end. */
static bool bounded(struct cur *c, long lo, long hi, char end, long *v)
{
    return number(c, v) && *v >= lo && *v <= hi && take(c, end);
}

/* ittl: "64", "54+10", "255-". */
static bool parse_ttl(struct cur *c, struct p0f_sig *s)
{
    long ttl, add;
    if (!number(c, &ttl) || ttl < 1 || ttl > 255) {
        return false;
    }
    if (take(c, '-')) {
        s->bad_ttl = true;
    } else if (take(c, '+')) {
        if (!number(c, &add) || ttl + add > 255) {
            return false;
        }
        ttl += add;
    }
    s->ttl = (uint8_t)ttl;
    return take(c, ':');
}

/* wsize and scale: "*,", "%8192,", "mss*4,", "mtu*4,", "65535," then "7:" or "*:". */
static bool parse_window(struct cur *c, struct p0f_sig *s)
{
    long v = 0;
    if (take(c, '*')) {
        s->win_type = WIN_ANY;
        if (!take(c, ',')) {
            return false;
        }
    } else if (take(c, '%')) {
        s->win_type = WIN_MOD;
        if (!bounded(c, 2, 65535, ',', &v)) {
            return false;
        }
    } else if (take_word(c, "mss*") || take_word(c, "mtu*")) {
        s->win_type = c->s[-3] == 's' ? WIN_MSS : WIN_MTU;
        if (!bounded(c, 1, 1000, ',', &v)) {
            return false;
        }
    } else {
        s->win_type = WIN_EXACT;
        if (!bounded(c, 0, 65535, ',', &v)) {
            return false;
        }
    }
    s->win = (int32_t)v;
    if (take(c, '*')) {
        s->wscale = -1;
        return take(c, ':');
    }
    if (!bounded(c, 0, 255, ':', &v)) {
        return false;
    }
    s->wscale = (int32_t)v;
    return true;
}

/* olayout, up to its closing ':'. */
static bool parse_layout(struct cur *c, struct p0f_sig *s)
{
    static const struct {
        const char *name;
        uint8_t kind;
    } names[] = { { "nop", OPT_NOP }, { "mss", OPT_MSS },   { "ws", OPT_WS },
                  { "sok", OPT_SOK }, { "sack", OPT_SACK }, { "ts", OPT_TS } };
    if (take(c, ':')) {
        return true; /* no options */
    }
    for (;;) {
        if (s->n_opt == P0F_MAX_OPT) {
            return false;
        }
        long v;
        bool known = false;
        if (take_word(c, "eol+")) {
            if (!bounded(c, 0, 255, ':', &v)) {
                return false; /* the end of options must be the last */
            }
            s->layout[s->n_opt++] = OPT_EOL;
            s->eol_pad = (uint8_t)v;
            return true;
        }
        if (take(c, '?')) {
            if (!number(c, &v) || v > 255) {
                return false;
            }
            s->layout[s->n_opt++] = (uint8_t)v;
            known = true;
        }
        for (size_t i = 0; !known && i < sizeof(names) / sizeof(names[0]); i++) {
            if (take_word(c, names[i].name)) {
                s->layout[s->n_opt++] = names[i].kind;
                known = true;
            }
        }
        if (!known) {
            return false;
        }
        if (take(c, ':')) {
            return true;
        }
        if (!take(c, ',')) {
            return false;
        }
    }
}

/* quirks, up to their closing ':'; IPv4-only ones refused on IPv6 and flow on IPv4. */
static bool parse_quirks(struct cur *c, struct p0f_sig *s)
{
    if (take(c, ':')) {
        return true;
    }
    for (;;) {
        unsigned q = 0; /* no name is the start of another */
        while (q < P0F_N_QUIRKS && !take_word(c, quirk_names[q])) {
            q++;
        }
        if (q == P0F_N_QUIRKS) {
            return false;
        }
        uint32_t bit = 1u << q;
        uint32_t v4_only = P0F_Q_DF | P0F_Q_NZ_ID | P0F_Q_ZERO_ID | P0F_Q_NZ_MBZ;
        if ((s->ip_version == 6 && (bit & v4_only)) || (s->ip_version == 4 && bit == P0F_Q_FLOW)) {
            return false;
        }
        s->quirks |= bit;
        if (take(c, ':')) {
            return true;
        }
        if (!take(c, ',')) {
            return false;
        }
    }
}

/* A signature line's value into *s; false when p0f would refuse it. */
static bool parse_sig(const char *val, struct p0f_sig *s)
{
    struct cur c = { val };
    long v;
    memset(s, 0, sizeof(*s));
    if (take(&c, '4')) {
        s->ip_version = 4;
    } else if (take(&c, '6')) {
        s->ip_version = 6;
    } else if (take(&c, '*')) {
        s->ip_version = -1;
    } else {
        return false;
    }
    if (!take(&c, ':') || !parse_ttl(&c, s) || !bounded(&c, 0, 255, ':', &v)) {
        return false;
    }
    s->ip_opt_len = (uint8_t)v;
    if (take(&c, '*')) {
        s->mss = -1;
        if (!take(&c, ':')) {
            return false;
        }
    } else if (bounded(&c, 0, 65535, ':', &v)) {
        s->mss = (int32_t)v;
    } else {
        return false;
    }
    if (!parse_window(&c, s) || !parse_layout(&c, s) || !parse_quirks(&c, s)) {
        return false;
    }
    if (strcmp(c.s, "*") == 0) {
        s->pclass = -1;
    } else if (strcmp(c.s, "0") == 0) {
        s->pclass = 0;
    } else if (strcmp(c.s, "+") == 0) {
        s->pclass = 1;
    } else {
        return false;
    }
    return true;
}

/* p0f's characters of a name: letters, digits and " ./-_!?()". */
static bool name_char(char ch)
{
    return isalnum((unsigned char)ch) || (ch != '\0' && strchr(" ./-_!?()", ch) != NULL);
}

/* "type:class:name:flavor" into *l; false when p0f would refuse it. */
static bool parse_label(const char *val, struct p0f_label *l)
{
    if ((val[0] != 's' && val[0] != 'g') || val[1] != ':' || strlen(val) >= sizeof(l->text)) {
        return false;
    }
    const char *cls = val + 2, *p = cls;
    while (isalnum((unsigned char)*p) || *p == '!') {
        p++;
    }
    if (p == cls || *p != ':') {
        return false;
    }
    const char *name = ++p;
    while (name_char(*p)) {
        p++;
    }
    if (p == name || *p != ':') {
        return false;
    }
    memset(l, 0, sizeof(*l));
    memcpy(l->text, val, strlen(val) + 1);
    l->generic = val[0] == 'g';
    l->app = cls[0] == '!' && cls[1] == ':';
    return true;
}

/* Room for one more element in a growing array (doubling, up to max). */
static bool grow(void **arr, size_t *cap, size_t n, size_t size, size_t max)
{
    if (n < *cap) {
        return true;
    }
    size_t ncap = *cap == 0 ? 64 : *cap * 2;
    if (ncap > max) {
        ncap = max;
    }
    if (n >= ncap) {
        return false;
    }
    void *bigger = ts_calloc(ncap, size);
    if (bigger == NULL) {
        return false;
    }
    if (n > 0) {
        memcpy(bigger, *arr, n * size);
    }
    ts_free(*arr);
    *arr = bigger;
    *cap = ncap;
    return true;
}

/* A section header: "[tcp:request]" and the like. */
static enum tcpshake_status section(struct parser *p, const char *line)
{
    p->have_label = false;
    if (strcmp(line, "[tcp:request]") == 0 || strcmp(line, "[tcp:response]") == 0) {
        p->section = SECT_TCP;
        p->request = line[5] == 'r' && line[7] == 'q';
        return TCPSHAKE_OK;
    }
    if (strcmp(line, "[mtu]") == 0 || strcmp(line, "[http:request]") == 0 ||
        strcmp(line, "[http:response]") == 0) {
        p->section = SECT_OTHER;
        return TCPSHAKE_OK;
    }
    return fail(p, "unknown section %.40s", line);
}

/* "name = value" in a [tcp:...] section (the rest are skipped). */
static enum tcpshake_status tcp_line(struct parser *p, const char *name, const char *val)
{
    struct p0f_db *db = p->db;
    if (strcmp(name, "label") == 0) {
        if (!grow((void **)&db->labels, &db->cap_labels, db->n_labels, sizeof(*db->labels),
                  P0F_DB_MAX_SIGS)) {
            return fail(p, "more than %u labels, or out of memory", P0F_DB_MAX_SIGS);
        }
        if (!parse_label(val, &db->labels[db->n_labels])) {
            return fail(p, "malformed label (want type:class:name:flavor, under %u bytes)",
                        P0F_LABEL_CAP);
        }
        db->n_labels++;
        p->have_label = true;
        return TCPSHAKE_OK;
    }
    if (strcmp(name, "sys") == 0) {
        return TCPSHAKE_OK; /* the systems a tool runs on: p0f's NAT checks, not ours */
    }
    if (strcmp(name, "sig") != 0) {
        return fail(p, "unknown field '%.20s'", name);
    }
    if (!p->have_label) {
        return fail(p, "signature before any label");
    }
    if (!grow((void **)&db->sigs, &db->cap_sigs, db->n_sigs, sizeof(*db->sigs), P0F_DB_MAX_SIGS)) {
        return fail(p, "more than %u signatures, or out of memory", P0F_DB_MAX_SIGS);
    }
    struct p0f_sig *s = &db->sigs[db->n_sigs];
    if (!parse_sig(val, s)) {
        return fail(p, "malformed signature (want ver:ittl:olen:mss:wsize,scale:olayout:"
                       "quirks:pclass)");
    }
    s->request = p->request;
    s->label = (uint32_t)(db->n_labels - 1);
    db->n_sigs++;
    return TCPSHAKE_OK;
}

/* One line, blanks at both ends already cut. */
static enum tcpshake_status parse_line(struct parser *p, char *line)
{
    if (line[0] == '\0' || line[0] == ';') {
        return TCPSHAKE_OK;
    }
    if (line[0] == '[') {
        return section(p, line);
    }
    char *eq = strchr(line, '=');
    if (eq == NULL) {
        return fail(p, "want name = value");
    }
    char *end = eq;
    while (end > line && isblank((unsigned char)end[-1])) {
        end--;
    }
    *end = '\0';
    const char *val = eq + 1;
    while (isblank((unsigned char)*val)) {
        val++;
    }
    for (const char *n = line; *n != '\0'; n++) {
        if (!isalpha((unsigned char)*n) && *n != '_') {
            return fail(p, "want name = value");
        }
    }
    if (p->section == SECT_TCP) {
        return tcp_line(p, line, val);
    }
    if (p->section == SECT_NONE && strcmp(line, "classes") != 0) {
        return fail(p, "'%.20s' outside a section", line);
    }
    return TCPSHAKE_OK; /* classes, and the lines of [mtu] and [http:*] */
}

/* The order of the index: direction, then layout (length, then kinds). */
static int layout_cmp(bool request_a, uint8_t n_a, const uint8_t *a, bool request_b, uint8_t n_b,
                      const uint8_t *b)
{
    if (request_a != request_b) {
        return request_a ? 1 : -1;
    }
    if (n_a != n_b) {
        return n_a < n_b ? -1 : 1;
    }
    return memcmp(a, b, n_a);
}

static int sig_cmp(const struct p0f_sig *a, const struct p0f_sig *b)
{
    return layout_cmp(a->request, a->n_opt, a->layout, b->request, b->n_opt, b->layout);
}

/* by[] sorted as the index wants it: insertion sort, stable, so file order holds
 * within a run (a few hundred signatures, parsed once). */
static void sort_by(const struct p0f_db *db, uint32_t *by)
{
    for (size_t i = 0; i < db->n_sigs; i++) {
        uint32_t v = (uint32_t)i;
        size_t j = i;
        while (j > 0 && sig_cmp(&db->sigs[by[j - 1]], &db->sigs[v]) > 0) {
            by[j] = by[j - 1];
            j--;
        }
        by[j] = v;
    }
}

/*
 * The hash of a direction and an option layout, which finds its run (a
 * binary search over the runs cost a few hundred instructions a SYN). The
 * layout is read 8 kinds at a time, bytes past n masked off. The table holds
 * only the database's runs and is at most half full, so no input makes a
 * lookup longer than the longest cluster of the database's own layouts.
 */
static uint32_t layout_hash(bool request, uint8_t n, const uint8_t *layout)
{
    uint64_t h = ((uint64_t)n << 1 | (request ? 1u : 0u)) * 0x9e3779b97f4a7c15u;
    for (unsigned at = 0; at < n; at += 8) {
        uint64_t w;
        memcpy(&w, layout + at, 8);
        unsigned left = n - at;
        if (left < 8) { /* only the first left bytes in memory */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            w &= ~(uint64_t)0 << (8 * (8 - left));
#else
            w &= ~(uint64_t)0 >> (8 * (8 - left));
#endif
        }
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    return (uint32_t)h;
}

_Static_assert(P0F_MAX_OPT % 8 == 0, "layout_hash reads layouts 8 bytes at a time");

/* The hash table over the runs. */
static enum tcpshake_status build_slots(struct p0f_db *db)
{
    size_t n = 16;
    while (n < 2 * db->n_runs) {
        n *= 2;
    }
    db->slots = ts_calloc(n, sizeof(*db->slots));
    if (db->slots == NULL) {
        return TCPSHAKE_ERR_NOMEM;
    }
    db->slot_mask = n - 1;
    for (size_t r = 0; r < db->n_runs; r++) {
        struct p0f_run *run = &db->runs[r];
        const struct p0f_sig *s = &db->sigs[db->by[run->first]];
        run->hash = layout_hash(s->request, s->n_opt, s->layout);
        size_t i = run->hash & db->slot_mask;
        while (db->slots[i] != 0) {
            i = (i + 1) & db->slot_mask;
        }
        db->slots[i] = (uint32_t)(r + 1);
    }
    return TCPSHAKE_OK;
}

/* The lookup's index of a parsed database (by, runs, slots). */
static enum tcpshake_status build_index(struct p0f_db *db)
{
    db->by = ts_calloc(db->n_sigs, sizeof(*db->by));
    db->runs = ts_calloc(db->n_sigs, sizeof(*db->runs));
    if (db->by == NULL || db->runs == NULL) {
        return TCPSHAKE_ERR_NOMEM;
    }
    sort_by(db, db->by);
    for (size_t i = 0; i < db->n_sigs; i++) {
        struct p0f_run *last = db->n_runs > 0 ? &db->runs[db->n_runs - 1] : NULL;
        if (last != NULL && sig_cmp(&db->sigs[db->by[last->first]], &db->sigs[db->by[i]]) == 0) {
            last->count++;
        } else {
            db->runs[db->n_runs++] = (struct p0f_run){ .first = (uint32_t)i, .count = 1 };
        }
    }
    return build_slots(db);
}

/* The run of signatures with f's direction and layout; NULL when there is none. */
static const struct p0f_run *find_run(const struct p0f_db *db, bool request,
                                      const struct p0f_facts *f)
{
    uint32_t h = layout_hash(request, f->n_opt, f->layout);
    for (size_t i = h & db->slot_mask; db->slots[i] != 0; i = (i + 1) & db->slot_mask) {
        const struct p0f_run *run = &db->runs[db->slots[i] - 1];
        if (run->hash != h) {
            continue;
        }
        const struct p0f_sig *s = &db->sigs[db->by[run->first]];
        if (layout_cmp(s->request, s->n_opt, s->layout, request, f->n_opt, f->layout) == 0) {
            return run;
        }
    }
    return NULL;
}

enum tcpshake_status p0f_db_parse(const char *text, size_t len, struct p0f_db **out, char *msg,
                                  size_t msg_len)
{
    enum { LINE_CAP = 1024 };
    struct parser p = { .msg = msg, .msg_len = msg_len };
    *out = NULL;
    if (msg_len > 0) {
        msg[0] = '\0';
    }
    if (len > P0F_DB_MAX_BYTES) {
        return fail(&p, "file larger than %u bytes", P0F_DB_MAX_BYTES);
    }
    p.db = ts_calloc(1, sizeof(*p.db));
    if (p.db == NULL) {
        return TCPSHAKE_ERR_NOMEM;
    }
    enum tcpshake_status rc = TCPSHAKE_OK;
    size_t at = 0;
    while (rc == TCPSHAKE_OK && at < len) {
        p.line_no++;
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;
        char line[LINE_CAP];
        if (n >= LINE_CAP) {
            rc = fail(&p, "line longer than %u bytes", LINE_CAP - 1);
            break;
        }
        const char *b = text + at;
        at += n + 1;
        while (n > 0 && isspace((unsigned char)b[n - 1])) {
            n--;
        }
        while (n > 0 && isblank((unsigned char)*b)) {
            b++;
            n--;
        }
        if (memchr(b, '\0', n) != NULL) {
            rc = fail(&p, "a NUL byte");
            break;
        }
        memcpy(line, b, n);
        line[n] = '\0';
        rc = parse_line(&p, line);
    }
    if (rc == TCPSHAKE_OK && p.db->n_sigs == 0) {
        rc = fail(&p, "no TCP signatures ([tcp:request] or [tcp:response] sig lines)");
    }
    if (rc == TCPSHAKE_OK) {
        rc = build_index(p.db);
    }
    if (rc != TCPSHAKE_OK) {
        p0f_db_free(p.db);
        return rc;
    }
    *out = p.db;
    return TCPSHAKE_OK;
}

enum tcpshake_status p0f_db_load(const char *path, struct p0f_db **out, char *msg, size_t msg_len)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(msg, msg_len, "%s", strerror(errno));
        return TCPSHAKE_ERR_OPEN;
    }
    char *text = ts_calloc(P0F_DB_MAX_BYTES + 1, 1);
    if (text == NULL) {
        fclose(fp);
        return TCPSHAKE_ERR_NOMEM;
    }
    size_t len = fread(text, 1, P0F_DB_MAX_BYTES + 1, fp);
    bool err = ferror(fp) != 0;
    int saved = errno;
    fclose(fp);
    enum tcpshake_status rc;
    if (err) {
        snprintf(msg, msg_len, "read error: %s", strerror(saved));
        rc = TCPSHAKE_ERR_OPEN;
    } else if (len > P0F_DB_MAX_BYTES) {
        snprintf(msg, msg_len, "larger than %u bytes: not a p0f database", P0F_DB_MAX_BYTES);
        rc = TCPSHAKE_ERR_FORMAT;
    } else {
        rc = p0f_db_parse(text, len, out, msg, msg_len);
    }
    ts_free(text);
    return rc;
}

void p0f_db_free(struct p0f_db *db)
{
    if (db == NULL) {
        return;
    }
    ts_free(db->sigs);
    ts_free(db->labels);
    ts_free(db->by);
    ts_free(db->runs);
    ts_free(db->slots);
    ts_free(db);
}

size_t p0f_db_count(const struct p0f_db *db)
{
    return db != NULL ? db->n_sigs : 0;
}

/* ------------------------------------------------------------ matching */

/* Does the window rule of s accept f? */
static bool window_matches(const struct p0f_sig *s, const struct p0f_facts *f, int mult, bool mtu)
{
    switch (s->win_type) {
    case WIN_EXACT:
        return s->win == f->window;
    case WIN_MOD:
        return f->window % s->win == 0;
    case WIN_MSS:
        return !mtu && s->win == mult;
    case WIN_MTU:
        return mtu && s->win == mult;
    default:
        return true;
    }
}

/*
 * p0f's tcp_find_match. Signatures of the segment's direction with the same
 * option layout (one run of the index), in file order. Quirks must be equal, except that "df" and
 * "id+" may have gone and "id-" and "ecn" come (fuzzy; only while no fuzzy
 * match is known); quirks of the other IP version are ignored for a '*'
 * signature. EOL padding and IP option length must be equal. A TTL above the
 * signature's, or more than 35 below it, makes the match fuzzy ("ttl-"
 * signatures: only above refuses). MSS, scale and payload class must be
 * equal unless '*'; the window as its rule says. The first exact specific
 * match wins; else the first exact generic one; else the first fuzzy one,
 * unless it is a tool's (class '!').
 */
bool p0f_match(const struct p0f_db *db, const struct p0f_facts *f, uint16_t syn_mss,
               const char **label, bool *fuzzy)
{
    if (db == NULL || f->ip_version == 0) {
        return false;
    }
    bool request = (f->tcp_type & T_ACK) == 0; /* a SYN, not a SYN-ACK */
    const struct p0f_run *run = find_run(db, request, f);
    if (run == NULL) {
        return false;
    }
    bool mtu;
    int mult = detect_window(f, syn_mss, &mtu);
    const struct p0f_sig *generic = NULL, *fuzzy_match = NULL;
    for (uint32_t i = run->first; i < run->first + run->count; i++) {
        const struct p0f_sig *s = &db->sigs[db->by[i]];
        bool is_fuzzy = false;
        uint32_t ref = s->quirks;
        if (s->ip_version == -1) {
            ref &= f->ip_version == 4 ? ~(uint32_t)P0F_Q_FLOW
                                      : ~(uint32_t)(P0F_Q_DF | P0F_Q_NZ_ID | P0F_Q_ZERO_ID);
        }
        if (ref != f->quirks) {
            uint32_t gone = (ref ^ f->quirks) & ref, came = (ref ^ f->quirks) & f->quirks;
            if (fuzzy_match != NULL || (gone & ~(uint32_t)(P0F_Q_DF | P0F_Q_NZ_ID)) != 0 ||
                (came & ~(uint32_t)(P0F_Q_ZERO_ID | P0F_Q_ECN)) != 0) {
                continue;
            }
            is_fuzzy = true;
        }
        if (s->eol_pad != f->eol_pad || s->ip_opt_len != f->ip_opt_len) {
            continue;
        }
        if (s->bad_ttl) {
            if (s->ttl < f->ttl) {
                continue;
            }
        } else if (s->ttl < f->ttl || s->ttl - f->ttl > MAX_DIST) {
            is_fuzzy = true;
        }
        if ((s->mss != -1 && s->mss != f->mss) || (s->wscale != -1 && s->wscale != f->wscale) ||
            (s->pclass != -1 && s->pclass != (f->payload ? 1 : 0)) ||
            !window_matches(s, f, mult, mtu)) {
            continue;
        }
        if (is_fuzzy) {
            if (fuzzy_match == NULL) {
                fuzzy_match = s;
            }
        } else if (!db->labels[s->label].generic) {
            *label = db->labels[s->label].text;
            *fuzzy = false;
            return true;
        } else if (generic == NULL) {
            generic = s;
        }
    }
    const struct p0f_sig *m = generic != NULL ? generic : fuzzy_match;
    if (m == NULL || (m == fuzzy_match && db->labels[m->label].app)) {
        return false; /* no fuzzy matching for tools */
    }
    *label = db->labels[m->label].text;
    *fuzzy = m == fuzzy_match;
    return true;
}

/* ------------------------------------------------------------ the memo */

bool p0f_memo_init(struct p0f_memo *m, const struct p0f_db *db)
{
    m->db = db;
    m->slot = ts_calloc(P0F_MEMO_SLOTS, sizeof(*m->slot));
    return m->slot != NULL;
}

void p0f_memo_release(struct p0f_memo *m)
{
    ts_free(m->slot);
    m->slot = NULL;
}

/* The slot of a shape: a mix of the fields that vary most between systems. */
static unsigned memo_slot(const struct p0f_facts *f, uint16_t syn_mss)
{
    uint32_t h = (uint32_t)f->window * 0x9e3779b1u;
    h ^= ((uint32_t)f->mss << 16 | (uint32_t)f->ttl << 8 | f->n_opt) * 0x85ebca6bu;
    h ^= (f->quirks ^ (uint32_t)syn_mss << 15 ^ (uint32_t)f->wscale << 24 ^ f->tcp_type) *
         0xc2b2ae35u;
    h ^= h >> 15;
    return h % P0F_MEMO_SLOTS;
}

_Static_assert(sizeof(struct p0f_facts) == 44, "same_shape compares every field of p0f_facts");

/* Equal shapes: every field the signature and the label are made from. */
static bool same_shape(const struct p0f_seen *e, const struct p0f_facts *f, uint16_t syn_mss)
{
    const struct p0f_facts *k = &e->facts;
    return e->valid && e->syn_mss == syn_mss && k->n_opt == f->n_opt && k->eol_pad == f->eol_pad &&
           k->ip_version == f->ip_version && k->ttl == f->ttl && k->ip_opt_len == f->ip_opt_len &&
           k->tot_hdr == f->tot_hdr && k->wscale == f->wscale && k->tcp_type == f->tcp_type &&
           k->mss == f->mss && k->window == f->window && k->quirks == f->quirks &&
           k->payload == f->payload && k->ts1_set == f->ts1_set &&
           memcmp(k->layout, f->layout, f->n_opt) == 0;
}

const struct p0f_seen *p0f_describe(struct p0f_memo *m, const struct p0f_facts *f, uint16_t syn_mss)
{
    struct p0f_seen *e = &m->slot[memo_slot(f, syn_mss)];
    if (same_shape(e, f, syn_mss)) {
        return e;
    }
    e->facts = *f;
    e->syn_mss = syn_mss;
    e->valid = true;
    e->sig_len = (uint16_t)signature_in(f, syn_mss, e->sig, P0F_SIG_CAP); /* in place */
    e->label = NULL;
    e->label_len = 0;
    e->fuzzy = false;
    const char *label;
    bool fuzzy;
    if (p0f_match(m->db, f, syn_mss, &label, &fuzzy)) {
        e->label = label;
        e->label_len = (uint16_t)strlen(label);
        e->fuzzy = fuzzy;
    }
    return e;
}
