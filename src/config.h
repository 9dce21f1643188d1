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

#endif
