/*
 * p0f.c - --p0f-db: the p0f fingerprint database the library labels the
 * records' p0f signatures from. Without the option, Debian's
 * /etc/p0f/p0f.fp is used when it can be read: a p0f label is worth having
 * wherever p0f is installed, and nothing is missed where it is not (the
 * signatures are made either way). A database that is there but broken is
 * an error, named, rather than labels silently missing.
 */
#include "cli_p0f.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_p0f_db(struct tcpshake *h, const char *arg)
{
    const char *path = arg;
    if (arg != NULL && strcmp(arg, "none") == 0) {
        return 0;
    }
    if (arg == NULL) {
        if (access(CLI_P0F_DEFAULT_DB, R_OK) != 0) {
            return 0;
        }
        path = CLI_P0F_DEFAULT_DB;
    }
    if (tcpshake_set_p0f_db(h, path) != TCPSHAKE_OK) {
        fprintf(stderr, "tcpshake: --p0f-db %s\n", tcpshake_errmsg(h));
        if (arg == NULL) {
            fprintf(stderr, "tcpshake: (the default database; --p0f-db none runs without)\n");
        }
        return 1;
    }
    return 0;
}
