/*
 * tcp.h - the TCP header and its options (tcp.c), called by ip.c.
 */
#ifndef TCPSHAKE_TCP_H
#define TCPSHAKE_TCP_H

#include <stddef.h>

#include "decode.h"
#include "wire.h"

/*
 * Decode the TCP header at w into t (ports, seq, ack, flags, window, options,
 * quirks, payload_len). claimed is the IP payload length the IP header
 * promises, which may exceed what w holds when the capture was cut. The
 * caller fills t->tuple addresses, ttl and ip_len. Returns OK, MALFORMED
 * (data offset < 5 or a header longer than claimed) or TRUNCATED.
 */
enum decode_status tcp_decode(struct wire *w, size_t claimed, struct tcp_view *t);

#endif
