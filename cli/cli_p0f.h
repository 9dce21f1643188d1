/*
 * cli_p0f.h - which p0f database labels the records (cli/p0f.c, --p0f-db).
 */
#ifndef TCPSHAKE_CLI_P0F_H
#define TCPSHAKE_CLI_P0F_H

#include "tcpshake.h"

/* Debian's p0f package installs its database here. */
#define CLI_P0F_DEFAULT_DB "/etc/p0f/p0f.fp"

/*
 * Give h the database --p0f-db named: a file, "none" (no labels), or NULL
 * (the option not given: CLI_P0F_DEFAULT_DB when it is readable, else none).
 * Returns 0, or exit status 1 after a one-line message on standard error
 * when the database cannot be read or parsed.
 */
int cli_p0f_db(struct tcpshake *h, const char *arg);

#endif
