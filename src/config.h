/*
 * config.h - reading the caller's struct tcpshake_config (see config.c).
 */
#ifndef TCPSHAKE_CONFIG_INTERNAL_H
#define TCPSHAKE_CONFIG_INTERNAL_H

#include <stdbool.h>

#include "tcpshake.h"

/* The caller's config in, ours out: in's fields within in->size, our defaults
 * for the rest, out->size our own size. in NULL = the defaults. False when
 * in->size does not even cover the size member (a config never given defaults). */
bool config_read(struct tcpshake_config *out, const struct tcpshake_config *in);

/*
 * Every public struct of options that can grow (tcpshake_config, the live,
 * health, detect and probe options) begins with `size_t size`, the size of the
 * caller's copy, and is handled by these two, which only know that:
 *
 * options_init: behind each X_init(dst, size): the first size bytes of
 * `defaults` (our full struct, full bytes) into dst, no further, and dst's size
 * member set to size. A size below sizeof(size_t) leaves dst untouched.
 *
 * options_read: the caller's struct `in` as we use it, in `out` (full bytes):
 * `defaults`, then over them in's first in->size bytes (at most full), and
 * out's size set to full. in NULL: the defaults. False when in's size does not
 * cover the size member (a struct that never had its defaults).
 */
void options_init(void *dst, size_t size, const void *defaults, size_t full);
bool options_read(void *out, const void *in, const void *defaults, size_t full);

#endif
