/*
 * fuzz_decode.c - libFuzzer target for the frame decoders (bytes -> view).
 *
 * Input: first byte picks a link type from the supported list, the rest is
 * the frame. The frame is copied into a malloc of exactly its size so ASan
 * sees one-byte over-reads. wire_len is the captured length, or, when the
 * picker byte's high bit is set, something larger (a snaplen cut).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = { 1, 0, 101, 108, 113, 228, 229, 276, 12 };
#define N_LINKTYPES (sizeof(linktypes) / sizeof(linktypes[0]))

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
