/*
 * version.c - the library's version, for programs that may run with another
 * build than the header they were compiled against.
 */
#include "tcpshake.h"

const char *tcpshake_version(void)
{
    return TCPSHAKE_VERSION;
}
