/*
 * replay.c - run a fuzz target's LLVMFuzzerTestOneInput over files, so
 * machines without libFuzzer (gcc only) replay the corpus and the
 * regressions (libpcap testprogs/fuzz/onefile.c does the same).
 *
 * Usage: replay NAME DIR|FILE ...   prints "fuzz-replay NAME: N passed, 0 failed".
 * A crash aborts the process (the sanitizers say where); the file being run
 * is printed first with -v.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int verbose;
static unsigned long n_run, n_failed;

static void run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "replay: %s: cannot open\n", path);
        n_failed++;
        return;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int err = ferror(fp);
    fclose(fp);
    if (buf == NULL || err) {
        fprintf(stderr, "replay: %s: read failed\n", path);
        free(buf);
        n_failed++;
        return;
    }
    /* An exact-size copy, as libFuzzer gives it, so ASan sees over-reads. */
    uint8_t *exact = malloc(len > 0 ? len : 1);
    if (exact == NULL) {
        free(buf);
        n_failed++;
        return;
    }
    memcpy(exact, buf, len);
    free(buf);
    if (verbose) {
        fprintf(stderr, "replay: %s\n", path);
    }
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    n_run++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        return; /* a missing directory (no regressions yet) is fine */
    }
    if (!S_ISDIR(sb.st_mode)) {
        run_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "replay: %s: cannot open directory\n", path);
        n_failed++;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*names));
            if (nn == NULL) {
                break;
            }
            names = nn;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (names[n] == NULL) {
            break;
        }
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof(*names), by_name);
    }
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
            run_file(names[i]);
        }
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: replay [-v] NAME DIR|FILE ...\n");
        return 2;
    }
    int i = 1;
    if (strcmp(argv[i], "-v") == 0) {
        verbose = 1;
        i++;
    }
    const char *name = i < argc ? argv[i++] : "?";
    for (; i < argc; i++) {
        run_path(argv[i]);
    }
    printf("fuzz-replay %s: %lu passed, %lu failed\n", name, n_run, n_failed);
    return n_failed == 0 ? 0 : 1;
}
