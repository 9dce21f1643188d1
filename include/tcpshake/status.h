/*
 * tcpshake/status.h - status codes, the version, and what every part of the API shares.
 *
 * Part of the public API: include <tcpshake.h>, not this file.
 */
#ifndef TCPSHAKE_PUBLIC_STATUS_H
#define TCPSHAKE_PUBLIC_STATUS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TCPSHAKE_API __attribute__((visibility("default")))
#else
#define TCPSHAKE_API
#endif

/* The version of this header. tcpshake_version() says which library is linked:
 * a program may compare them, at run time, with the numbers below. */
#define TCPSHAKE_VERSION_MAJOR 0
#define TCPSHAKE_VERSION_MINOR 1
#define TCPSHAKE_VERSION_PATCH 0
#define TCPSHAKE_VERSION       "0.1.0"

/* The linked library's version, "MAJOR.MINOR.PATCH" (TCPSHAKE_VERSION when it
 * was built); a static string. */
TCPSHAKE_API const char *tcpshake_version(void);

/* Status codes. Append only: numbers are never reused. */
#define TCPSHAKE_STATUS_MAP(X)                                                                     \
    X(OK, 0, "success")                                                                            \
    X(ERR_NOMEM, 1, "out of memory")                                                               \
    X(ERR_ARG, 2, "invalid argument")                                                              \
    X(ERR_OPEN, 3, "cannot open capture")                                                          \
    X(ERR_FORMAT, 4, "not a capture file")                                                         \
    X(ERR_TRUNCATED, 5, "capture truncated")                                                       \
    X(ERR_READ, 6, "capture read error")                                                           \
    X(ERR_FILTER, 7, "bad filter expression")                                                      \
    X(ERR_LINKTYPE, 8, "unsupported link type")                                                    \
    X(ERR_STATE, 9, "call out of order")                                                           \
    X(ERR_WRITE, 10, "write failed")                                                               \
    X(ERR_RESOLVE, 11, "cannot resolve host")                                                      \
    X(ERR_PERM, 12, "permission denied")                                                           \
    X(ERR_SOCKET, 13, "socket error")

enum tcpshake_status {
#define TCPSHAKE_STATUS_ENUM(name, num, text) TCPSHAKE_##name = num,
    TCPSHAKE_STATUS_MAP(TCPSHAKE_STATUS_ENUM)
#undef TCPSHAKE_STATUS_ENUM
};

/* A fixed, human-readable text for a status code; never NULL. */
TCPSHAKE_API const char *tcpshake_strerror(enum tcpshake_status status);

#define TCPSHAKE_NO_TIME (-1)

#ifdef __cplusplus
}
#endif
#endif
