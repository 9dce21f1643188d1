/*
 * runner.c - run one command for `make bench` and print one row of figures: wall time
 * (CLOCK_MONOTONIC around fork/exec/wait), CPU time and peak RSS (wait4's rusage of the
 * child), per packet and per byte of the capture, and the ratios to a baseline run.
 * Nothing here asserts: a failing command prints its exit status in the row.
 *
 * Usage: runner [-n PACKETS] [-b BYTES] [-B BASE_NS] [-M BASE_KIB] [-w FILE] [-O FILE]
 *               LABEL -- CMD ARGS...
 *   -n, -b   the capture's packet count and size, for packets/s, MB/s and ns/packet
 *   -B       baseline wall time in ns; fills "x base" (this run's time over the baseline)
 *   -M       baseline peak RSS in KiB; fills "x RSS" (this run's peak RSS over it)
 *   -w       also write "WALL_NS RSS_KIB" of this run to FILE (for another run's -B and -M)
 *   -O       the command's standard output goes to FILE (default /dev/null)
 * Option -h prints the header line only.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void header(void)
{
    printf("%-34s %11s %8s %10s %8s %8s %9s %7s %7s  %s\n", "run", "packets", "wall s", "pkt/s",
           "MB/s", "ns/pkt", "RSS MB", "x base", "x RSS", "cpu s (user+sys)");
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t num(const char *s)
{
    return strtoull(s, NULL, 10);
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    uint64_t n_pkts = 0, n_bytes = 0, base_ns = 0, base_rss_kib = 0;
    const char *wall_file = NULL, *out_file = "/dev/null";
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i += 2) {
        switch (argv[i][1]) {
        case 'n':
            n_pkts = num(argv[i + 1]);
            break;
        case 'b':
            n_bytes = num(argv[i + 1]);
            break;
        case 'B':
            base_ns = num(argv[i + 1]);
            break;
        case 'M':
            base_rss_kib = num(argv[i + 1]);
            break;
        case 'w':
            wall_file = argv[i + 1];
            break;
        case 'O':
            out_file = argv[i + 1];
            break;
        default:
            fprintf(stderr, "runner: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (argc == 2 && strcmp(argv[1], "-h") == 0) {
        header();
        return 0;
    }
    if (i + 2 >= argc || strcmp(argv[i + 1], "--") != 0) {
        fprintf(stderr,
                "usage: runner [-n N] [-b BYTES] [-B NS] [-M KIB] [-w FILE] [-O FILE] LABEL -- "
                "CMD ARGS...\n");
        return 2;
    }
    const char *label = argv[i];
    char **cmd = argv + i + 2;
    fflush(stdout);
    uint64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "runner: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        int fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0) {
            fprintf(stderr, "runner: %s: %s\n", out_file, strerror(errno));
            _exit(127);
        }
        close(fd);
        execvp(cmd[0], cmd);
        fprintf(stderr, "runner: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        fprintf(stderr, "runner: wait4: %s\n", strerror(errno));
        return 1;
    }
    uint64_t wall_ns = now_ns() - t0;
    double wall_s = (double)wall_ns / 1e9;
    char ratio[32] = "-", rss_ratio[32] = "-";
    if (base_ns > 0) {
        snprintf(ratio, sizeof(ratio), "%.2f", (double)wall_ns / (double)base_ns);
    }
    if (base_rss_kib > 0) {
        snprintf(rss_ratio, sizeof(rss_ratio), "%.1f", (double)ru.ru_maxrss / (double)base_rss_kib);
    }
    printf("%-34s %11" PRIu64 " %8.3f %10.0f %8.1f %8.1f %9.1f %7s %7s  %.2f", label, n_pkts,
           wall_s, (double)n_pkts / wall_s, (double)n_bytes / 1e6 / wall_s,
           n_pkts ? (double)wall_ns / (double)n_pkts : 0.0, (double)ru.ru_maxrss / 1024.0, ratio,
           rss_ratio, tv_s(ru.ru_utime) + tv_s(ru.ru_stime));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("  (%s %d)", WIFEXITED(status) ? "exit" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    printf("\n");
    if (wall_file != NULL) {
        FILE *f = fopen(wall_file, "w");
        if (f != NULL) {
            fprintf(f, "%" PRIu64 " %ld\n", wall_ns, (long)ru.ru_maxrss);
            fclose(f);
        }
    }
    return 0;
}
