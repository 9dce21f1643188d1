/*
 * probe_connect.c - the prober's connect() mode: one non-blocking TCP socket
 * per attempt; no privilege needed.
 *
 * connect() returns EINPROGRESS and poll() reports the socket writable
 * (handshake done) or in error; SO_ERROR then says which:
 *   0               open: the SYN-ACK came; the socket is closed at once,
 *                   without sending data (an ordinary FIN close)
 *   ECONNREFUSED    closed: a RST answered the SYN, unless the error queue
 *                   holds an ICMP error (Linux reports ICMP port unreachable
 *                   as ECONNREFUSED too)
 *   anything else   unreachable: EHOSTUNREACH, ENETUNREACH, EACCES, EPERM ...
 * The latency is connect() to the wakeup, so it includes our own stack.
 *
 * ICMP details: with IP_RECVERR / IPV6_RECVERR set, Linux queues the ICMP
 * error that ended the handshake on the socket's error queue
 * (recvmsg(MSG_ERRQUEUE), struct sock_extended_err with ee_origin ICMP or
 * ICMP6 and the message's type and code; see ip(7), ipv6(7)).
 */
#include "probe.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/errqueue.h>
#endif

/* Read one ICMP error from the socket's error queue into a; false when none. */
static bool read_icmp_error(int fd, struct probe_answer *a)
{
#ifdef __linux__
    union {
        char buf[512];
        struct cmsghdr align;
    } control;
    char data[64];
    struct iovec iov = { data, sizeof(data) };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
        return false;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
        bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if ((!v4 && !v6) || c->cmsg_len < CMSG_LEN(sizeof(struct sock_extended_err))) {
            continue;
        }
        struct sock_extended_err ee;
        memcpy(&ee, CMSG_DATA(c), sizeof(ee));
        if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
            a->icmp = true;
            a->icmp_type = ee.ee_type;
            a->icmp_code = ee.ee_code;
            a->error = (int)ee.ee_errno;
            return true;
        }
    }
    return false;
#else
    (void)fd;
    (void)a;
    return false;
#endif
}

static void classify_errno(int err, struct probe_answer *a)
{
    a->error = err;
    if (err == 0) {
        a->state = TCPSHAKE_PROBE_OPEN;
    } else if (err == ECONNREFUSED) {
        a->state = TCPSHAKE_PROBE_CLOSED;
    } else if (err == ETIMEDOUT) {
        a->state = TCPSHAKE_PROBE_FILTERED;
        a->timed = false;
    } else {
        a->state = TCPSHAKE_PROBE_UNREACHABLE;
    }
}

static void ask_for_icmp_errors(int fd, int family)
{
#ifdef __linux__
    int on = 1;
    if (family == AF_INET) {
        (void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
    } else {
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
    }
#else
    (void)fd;
    (void)family;
#endif
}

static int connect_start(struct tcpshake_probe *p, struct probe_slot *s)
{
    int family = p->dst.ss_family;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE) && p->n_busy > 1) {
        return PROBE_NO_FD; /* the other attempts in flight hold them: wait for those */
    }
    if (fd < 0) {
        return probe_fail(p, TCPSHAKE_ERR_SOCKET, "socket: %s", strerror(errno));
    }
    ask_for_icmp_errors(fd, family);
    struct sockaddr_storage to = p->dst;
    uint16_t port_be = htons(p->ports[s->port_idx]);
    if (family == AF_INET) {
        ((struct sockaddr_in *)&to)->sin_port = port_be;
    } else {
        ((struct sockaddr_in6 *)&to)->sin6_port = port_be;
    }
    s->fd = fd;
    s->sent_wall_ns = probe_wall_ns();
    s->start_ns = probe_mono_ns();
    s->deadline_ns = s->start_ns + p->cfg.timeout_ns;
    int rc = connect(fd, (const struct sockaddr *)&to, p->dst_len);
    int err = rc == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
        return TCPSHAKE_OK;
    }
    /* Decided at once: connected already (loopback) or a local refusal such as no route. */
    uint64_t now_ns = probe_mono_ns();
    struct probe_answer a = {
        TCPSHAKE_PROBE_OPEN, err == 0 || err == ECONNREFUSED, false, 0, 0, 0
    };
    if (!read_icmp_error(fd, &a)) {
        classify_errno(err, &a);
    } else {
        a.state = TCPSHAKE_PROBE_UNREACHABLE;
        a.timed = true;
    }
    probe_finish(p, s, &a, now_ns);
    return TCPSHAKE_OK;
}

static size_t connect_fill(struct tcpshake_probe *p, struct pollfd *pfds)
{
    size_t n = 0;
    for (uint32_t i = 0; i < p->cfg.parallel; i++) {
        if (p->slots[i].busy) {
            pfds[n].fd = p->slots[i].fd;
            pfds[n].events = POLLOUT;
            pfds[n].revents = 0;
            n++;
        }
    }
    return n;
}

static struct probe_slot *slot_of_fd(struct tcpshake_probe *p, int fd)
{
    for (uint32_t i = 0; i < p->cfg.parallel; i++) {
        if (p->slots[i].busy && p->slots[i].fd == fd) {
            return &p->slots[i];
        }
    }
    return NULL;
}

static void connect_collect(struct tcpshake_probe *p, const struct pollfd *pfds, size_t n)
{
    /* One clock read for the whole wakeup: the time poll() returned. */
    uint64_t now_ns = probe_mono_ns();
    for (size_t i = 0; i < n; i++) {
        if (pfds[i].revents == 0) {
            continue;
        }
        struct probe_slot *s = slot_of_fd(p, pfds[i].fd);
        if (s == NULL) {
            continue;
        }
        struct probe_answer a = { TCPSHAKE_PROBE_UNREACHABLE, true, false, 0, 0, 0 };
        if (read_icmp_error(s->fd, &a)) {
            probe_finish(p, s, &a, now_ns);
            continue;
        }
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
        }
        classify_errno(err, &a);
        probe_finish(p, s, &a, now_ns);
    }
}

/* Nothing to set up for the whole run: each attempt has its own socket, closed by probe_finish. */
static int connect_open(struct tcpshake_probe *p)
{
    (void)p;
    return TCPSHAKE_OK;
}

static void connect_close(struct tcpshake_probe *p)
{
    (void)p;
}

const struct probe_mode probe_mode_connect = {
    .fd_per_attempt = true,
    .open = connect_open,
    .start = connect_start,
    .fill = connect_fill,
    .collect = connect_collect,
    .close = connect_close,
};
