/*
 * streams.c - the standard streams and the -w file, for the command line.
 *
 * A closed standard descriptor (tcpshake ... >&-) would give its number to
 * the next file opened, and whatever was meant for it would go into that
 * file: the records into the -w trace. So closed descriptors are held on
 * /dev/null, opened the other way round (read-only for 1 and 2, write-only
 * for 0): reading or writing them fails with EBADF, as on the closed
 * descriptor, and main.c reports it as a failed write.
 *
 * A reader of standard output that goes away (tcpshake ... | head -1) would
 * kill the process by SIGPIPE in the middle of a -w record. SIGPIPE is
 * ignored instead; main.c stops at the first EPIPE, closes the trace on whole
 * records and only then ends by SIGPIPE, as any command in a pipeline would.
 *
 * The -w file is opened without O_TRUNC and compared with the inputs by
 * device and inode (names lie: ./x, /abs/x, a symlink, a hard link); only a
 * file that is none of them is truncated. Truncating the capture being read
 * destroys it, and the mapped reader (src/pcapfile.c) dies of SIGBUS.
 */
#include "cli_streams.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool streams_hold_closed(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
            continue;
        }
        /* The lowest free number: fd itself, as those below it are open. */
        int held = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
        if (held < 0) {
            return false;
        }
        if (held != fd) {
            bool ok = dup2(held, fd) == fd;
            close(held);
            if (!ok) {
                return false;
            }
        }
    }
    return true;
}

static void set_sigpipe(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
}

void streams_ignore_sigpipe(void)
{
    set_sigpipe(SIG_IGN);
}

bool streams_reader_gone(void)
{
    struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT, .revents = 0 };
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR) != 0;
}

int streams_die_of_sigpipe(void)
{
    set_sigpipe(SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(SIGPIPE);
    return 128 + SIGPIPE;
}

/* The same file, under whatever name. A device (/dev/null) is not a file to protect. */
static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && !S_ISCHR(a->st_mode) &&
           !S_ISBLK(a->st_mode);
}

/* Why the file out may not be the -w file, or NULL. */
static const char *clash(const struct stat *out, const char *const *inputs, size_t n_inputs)
{
    struct stat st;
    for (size_t i = 0; i < n_inputs; i++) {
        bool known = strcmp(inputs[i], "-") == 0 ? fstat(STDIN_FILENO, &st) == 0
                                                 : stat(inputs[i], &st) == 0;
        if (known && same_file(&st, out)) {
            return "would overwrite the capture being read";
        }
    }
    if (fstat(STDOUT_FILENO, &st) == 0 && same_file(&st, out)) {
        return "is standard output too, where the records go";
    }
    if (fstat(STDERR_FILENO, &st) == 0 && same_file(&st, out)) {
        return "is standard error too";
    }
    return NULL;
}

/* Close fd unused; *why = text. */
static FILE *unused(int fd, const char **why, const char *text)
{
    *why = text;
    close(fd);
    return NULL;
}

FILE *streams_open_dump(const char *path, const char *const *inputs, size_t n_inputs,
                        const char **why, bool *refused)
{
    *refused = false;
    *why = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        *why = strerror(errno);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return unused(fd, why, strerror(errno));
    }
    const char *conflict = clash(&st, inputs, n_inputs);
    if (conflict != NULL) {
        *refused = true;
        return unused(fd, why, conflict);
    }
    if (S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
        return unused(fd, why, strerror(errno));
    }
    FILE *fp = fdopen(fd, "wb");
    if (fp == NULL) {
        return unused(fd, why, strerror(errno));
    }
    return fp;
}
