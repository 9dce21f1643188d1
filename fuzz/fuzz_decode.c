/*
 * fuzz_decode.c - libFuzzer target for the frame decoders (bytes -> view).
 *
 * Input: first byte picks a link type from the supported list, the rest is
 * the frame. The frame is copied into a malloc of exactly its size so ASan
 * sees one-byte over-reads. wire_len is the captured length, or, when the
 * picker byte's high bit is set, something larger (a snaplen cut). Every
 * frame is also decoded by decode_packet_general: decode_packet's shortcut
 * for plain frames must give exactly the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = { 1, 0, 101, 108, 113, 228, 229, 276, 12 };
#define N_LINKTYPES (sizeof(linktypes) / sizeof(linktypes[0]))

static bool same_tuple(const struct flow_tuple *a, const struct flow_tuple *b)
{
    return memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
           memcmp(a->dst, b->dst, sizeof(a->dst)) == 0 && a->sport == b->sport &&
           a->dport == b->dport && a->ip_version == b->ip_version && a->vlan == b->vlan;
}

/* A SYN's fingerprint facts (only segments with SYN carry them). */
static bool same_syn_facts(const struct tcp_view *x, const struct tcp_view *y)
{
    if ((x->flags & TCP_SYN) == 0) {
        return true;
    }
    const struct tcp_syn_facts *a = &x->syn, *b = &y->syn;
    return a->opt_len == b->opt_len && memcmp(a->opt, b->opt, a->opt_len) == 0 &&
           a->tcp_hdr_len == b->tcp_hdr_len && a->ip_opt_len == b->ip_opt_len &&
           a->ip_tos == b->ip_tos && a->ip_bits == b->ip_bits && a->urg_ptr == b->urg_ptr;
}

static bool same_view(const struct packet_view *a, const struct packet_view *b)
{
    if (a->kind != b->kind) {
        return false;
    }
    if (a->kind == PACKET_ICMP_ERROR) {
        const struct icmp_view *x = &a->u.icmp, *y = &b->u.icmp;
        return x->type == y->type && x->code == y->code && x->ip_version == y->ip_version &&
               x->quoted_seq == y->quoted_seq && same_tuple(&x->quoted, &y->quoted);
    }
    const struct tcp_view *x = &a->u.tcp, *y = &b->u.tcp;
    const struct tcp_options *o = &x->opt, *p = &y->opt;
    return same_tuple(&x->tuple, &y->tuple) && x->ttl == y->ttl && x->ip_len == y->ip_len &&
           x->seq == y->seq && x->ack == y->ack && x->flags == y->flags &&
           x->window == y->window && x->payload_len == y->payload_len &&
           x->quirks == y->quirks && o->mss == p->mss && o->wscale == p->wscale &&
           o->sack_permitted == p->sack_permitted && o->timestamps == p->timestamps &&
           o->tsval == p->tsval && o->tsecr == p->tsecr && o->tfo == p->tfo &&
           o->tfo_cookie_len == p->tfo_cookie_len && same_syn_facts(x, y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    int linktype = linktypes[(data[0] & 0x7f) % N_LINKTYPES];
    size_t caplen = size - 1;
    size_t wire_len = (data[0] & 0x80) ? caplen + 1500 : caplen;
    uint8_t *frame = malloc(caplen > 0 ? caplen : 1);
    if (frame == NULL) {
        return 0;
    }
    if (caplen > 0) {
        memcpy(frame, data + 1, caplen);
    }
    struct packet_view view;
    memset(&view, 0xa5, sizeof(view));
    enum decode_status st = decode_packet(linktype, frame, caplen, wire_len, &view);
    if ((unsigned)st > DECODE_FRAGMENT) {
        abort();
    }
    struct packet_view walked;
    memset(&walked, 0x5a, sizeof(walked));
    if (decode_packet_general(linktype, frame, caplen, &walked) != st ||
        (st == DECODE_OK && !same_view(&view, &walked))) {
        abort();
    }
    if (st == DECODE_OK) {
        if (view.kind == PACKET_TCP) {
            const struct tcp_view *v = &view.u.tcp;
            if (v->tuple.ip_version != 4 && v->tuple.ip_version != 6) {
                abort();
            }
            if (v->opt.wscale < -1) {
                abort();
            }
        } else if (view.kind == PACKET_ICMP_ERROR) {
            const struct icmp_view *ic = &view.u.icmp;
            if (ic->quoted.ip_version != 4 && ic->quoted.ip_version != 6) {
                abort();
            }
        } else {
            abort();
        }
    }
    free(frame);
    return 0;
}
