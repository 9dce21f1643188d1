/*
 * metrics_http.c - the thread behind --metrics-listen and --metrics-file.
 *
 * One thread, poll(), non-blocking sockets. At most MAX_CLIENTS connections at
 * once (one more is accepted and closed at once); a request may be REQ_MAX
 * bytes (more: 431 and close); a client has CLIENT_MS to send its request and
 * read the answer, then it is dropped. One request per connection: GET or
 * HEAD of /metrics, anything else an error status, always "Connection: close".
 * The answer is a copy of the text the capture thread published, taken under
 * a mutex held only for the copy.
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "metrics_int.h"

enum { MAX_CLIENTS = 16, REQ_MAX = 8192, CLIENT_MS = 5000, POLL_MS = 250 };

struct mclient {
    int fd; /* -1: free */
    uint64_t deadline_ms;
    size_t in_len;
    char in[REQ_MAX + 1];
    char *out; /* the answer, once the request is complete */
    size_t out_len, out_off;
};

static uint64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool metrics_http_parse_addr(const char *arg, struct sockaddr_storage *ss)
{
    char host[64];
    const char *colon = strrchr(arg, ':');
    if (colon == NULL || (size_t)(colon - arg) >= sizeof(host)) {
        return false;
    }
    size_t hl = (size_t)(colon - arg);
    memcpy(host, arg, hl);
    host[hl] = '\0';
    const char *port = colon + 1;
    char *end;
    errno = 0;
    unsigned long p = strtoul(port, &end, 10);
    if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno != 0 || p > 65535) {
        return false;
    }
    struct sockaddr_storage tmp;
    if (ss == NULL) {
        ss = &tmp;
    }
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (hl == 0) { /* every address: IPv6 any, dual stack where the system allows */
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        s6->sin6_port = htons((uint16_t)p);
        return true;
    }
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)p);
        return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1;
    }
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)p);
    return inet_pton(AF_INET, host, &s4->sin_addr) == 1;
}

static void close_client(struct mclient *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c->out);
    c->fd = -1;
    c->out = NULL;
    c->in_len = c->out_len = c->out_off = 0;
}

static void answer(struct mclient *c, const char *status, const char *body, size_t body_len,
                   bool head, const char *extra)
{
    char hdr[256];
    int n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n",
                     status,
                     body_len > 0 && status[0] == '2' ? "text/plain; version=0.0.4; charset=utf-8"
                                                      : "text/plain; charset=utf-8",
                     body_len, extra);
    size_t send_body = head ? 0 : body_len;
    c->out = malloc((size_t)n + send_body);
    if (c->out == NULL) {
        c->out_len = 0;
        return;
    }
    memcpy(c->out, hdr, (size_t)n);
    memcpy(c->out + n, body, send_body);
    c->out_len = (size_t)n + send_body;
    c->out_off = 0;
}

static void answer_error(struct mclient *c, const char *status, const char *extra)
{
    char body[64];
    int n = snprintf(body, sizeof(body), "%s\n", status);
    answer(c, status, body, (size_t)n, false, extra);
}

/* A whole request in c->in: decide the answer. */
static void handle_request(struct metrics *m, struct mclient *c)
{
    char *eol = strpbrk(c->in, "\r\n");
    if (eol == NULL) {
        answer_error(c, "400 Bad Request", "");
        return;
    }
    *eol = '\0';
    char *sp1 = strchr(c->in, ' ');
    char *sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 == NULL || sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp1 == c->in) {
        answer_error(c, "400 Bad Request", "");
        return;
    }
    *sp1 = '\0';
    *sp2 = '\0';
    const char *method = c->in, *target = sp1 + 1;
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0) {
        answer_error(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n");
        return;
    }
    size_t tl = strcspn(target, "?");
    if (tl != 8 || strncmp(target, "/metrics", 8) != 0) {
        answer_error(c, "404 Not Found", "");
        return;
    }
    char *text;
    size_t n = metrics_copy_text(m, &text);
    if (text == NULL) {
        answer_error(c, "503 Service Unavailable", "");
        return;
    }
    answer(c, "200 OK", text, n, head, "");
    free(text);
}

static bool request_complete(const struct mclient *c)
{
    return strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL;
}

static void on_readable(struct metrics *m, struct mclient *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->in_len, REQ_MAX - c->in_len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n <= 0) {
            close_client(c); /* gone, or an error, before a whole request */
            return;
        }
        c->in_len += (size_t)n;
        c->in[c->in_len] = '\0';
        if (memchr(c->in, '\0', c->in_len) != NULL) {
            answer_error(c, "400 Bad Request", "");
            return;
        }
        if (request_complete(c)) {
            handle_request(m, c);
            return;
        }
        if (c->in_len == REQ_MAX) {
            answer_error(c, "431 Request Header Fields Too Large", "");
            return;
        }
    }
}

/* Send what the client will take; closed once all is sent. */
static void on_writable(struct mclient *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n <= 0) {
            break;
        }
        c->out_off += (size_t)n;
    }
    close_client(c);
}

static void accept_clients(struct metrics *m)
{
    for (;;) {
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return; /* EAGAIN, or a transient error: poll says when to try again */
        }
        struct mclient *free_slot = NULL;
        for (size_t i = 0; i < MAX_CLIENTS && free_slot == NULL; i++) {
            if (m->clients[i].fd < 0) {
                free_slot = &m->clients[i];
            }
        }
        if (free_slot == NULL) {
            close(fd); /* too many at once */
            continue;
        }
        free_slot->fd = fd;
        free_slot->deadline_ms = clock_ms() + CLIENT_MS;
    }
}

bool metrics_write_file(struct metrics *m)
{
    char tmp[4096];
    const char *slash = strrchr(m->file, '/');
    int dl = slash != NULL ? (int)(slash - m->file + 1) : 0;
    int n = snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp.%ld", dl, m->file,
                     slash != NULL ? slash + 1 : m->file, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        snprintf(m->file_error, sizeof(m->file_error), "file name too long");
        return false;
    }
    char *text;
    size_t len = metrics_copy_text(m, &text);
    if (text == NULL) {
        snprintf(m->file_error, sizeof(m->file_error), "out of memory");
        return false;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    size_t off = 0;
    while (ok && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    int err = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && rename(tmp, m->file) != 0) {
        ok = false;
        err = errno;
    }
    free(text);
    if (!ok) {
        if (fd >= 0) {
            unlink(tmp);
        }
        if (m->file_error[0] == '\0') {
            snprintf(m->file_error, sizeof(m->file_error), "%s", strerror(err));
        }
    }
    return ok;
}

static void *serve(void *arg)
{
    struct metrics *m = arg;
    struct pollfd pf[MAX_CLIENTS + 2];
    uint64_t next_file = m->file != NULL ? clock_ms() + m->file_every_ms : UINT64_MAX;
    for (;;) {
        size_t n = 0;
        pf[n++] = (struct pollfd){ m->wake[0], POLLIN, 0 };
        if (m->listen_fd >= 0) {
            pf[n++] = (struct pollfd){ m->listen_fd, POLLIN, 0 };
        }
        size_t first = n;
        for (size_t i = 0; i < MAX_CLIENTS; i++) {
            struct mclient *c = &m->clients[i];
            pf[n++] = (struct pollfd){ c->fd, (short)(c->out != NULL ? POLLOUT : POLLIN), 0 };
        }
        if (poll(pf, (nfds_t)n, POLL_MS) < 0 && errno != EINTR) {
            break;
        }
        if (pf[0].revents != 0) {
            break; /* metrics_http_stop */
        }
        uint64_t now = clock_ms();
        for (size_t i = 0; i < MAX_CLIENTS; i++) {
            struct mclient *c = &m->clients[i];
            short ev = pf[first + i].revents;
            if (c->fd < 0) {
                continue;
            }
            if (ev != 0 && c->out == NULL) {
                on_readable(m, c);
            }
            if (c->fd >= 0 && c->out != NULL) {
                on_writable(c);
            }
            if (c->fd >= 0 && now >= c->deadline_ms) {
                close_client(c); /* too slow to ask or to read */
            }
        }
        if (m->listen_fd >= 0 && pf[1].revents != 0) {
            accept_clients(m);
        }
        if (now >= next_file) {
            metrics_write_file(m);
            next_file = now + m->file_every_ms;
        }
    }
    return NULL;
}

static bool bind_listen(struct metrics *m, const char *listen_arg, char *why, size_t why_len)
{
    struct sockaddr_storage ss;
    if (!metrics_http_parse_addr(listen_arg, &ss)) {
        snprintf(why, why_len, "want ADDR:PORT, [IPV6]:PORT or :PORT");
        return false;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, why_len, "socket: %s", strerror(errno));
        return false;
    }
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    }
    socklen_t sl =
            ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
        snprintf(why, why_len, "%s", strerror(errno));
        close(fd);
        return false;
    }
    m->listen_fd = fd;
    return true;
}

bool metrics_http_start(struct metrics *m, const char *listen_arg, char *why, size_t why_len)
{
    m->clients = calloc(MAX_CLIENTS, sizeof(*m->clients));
    if (m->clients == NULL) {
        snprintf(why, why_len, "out of memory");
        return false;
    }
    for (size_t i = 0; i < MAX_CLIENTS; i++) {
        m->clients[i].fd = -1;
    }
    if (listen_arg != NULL && !bind_listen(m, listen_arg, why, why_len)) {
        return false;
    }
    if (pipe2(m->wake, O_CLOEXEC) != 0) {
        snprintf(why, why_len, "pipe: %s", strerror(errno));
        return false;
    }
    /* Ctrl-C and SIGTERM go to the capture thread, whose read they interrupt. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&m->thread, NULL, serve, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(why, why_len, "cannot start a thread: %s", strerror(rc));
        return false;
    }
    m->thread_running = true;
    return true;
}

void metrics_http_stop(struct metrics *m)
{
    if (m->thread_running) {
        ssize_t w;
        do {
            w = write(m->wake[1], "x", 1);
        } while (w < 0 && errno == EINTR);
        pthread_join(m->thread, NULL);
        m->thread_running = false;
    }
    if (m->clients != NULL) {
        for (size_t i = 0; i < MAX_CLIENTS; i++) {
            close_client(&m->clients[i]);
        }
        free(m->clients);
        m->clients = NULL;
    }
    if (m->listen_fd >= 0) {
        close(m->listen_fd);
        m->listen_fd = -1;
    }
    for (int i = 0; i < 2; i++) {
        if (m->wake[i] >= 0) {
            close(m->wake[i]);
            m->wake[i] = -1;
        }
    }
}
