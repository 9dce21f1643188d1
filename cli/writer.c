/*
 * writer.c - records handed to the sink on a thread of their own.
 *
 * With worker threads, the library's calling thread reads, decodes, routes and
 * merges; formatting every record as text there too made it the bottleneck
 * while the workers waited. So the CLI copies each record
 * into a bounded ring and a writer thread formats and writes them, in the
 * order they were given. Whatever else the CLI prints to the same stream
 * (interval blocks, the summary) waits for writer_sync first. The CLI starts
 * it only when records come thick enough to pay for it (start_writer in
 * main.c), after writing the earlier ones itself.
 *
 * In a SYN flood every packet makes a record, and taking the mutex twice per
 * record (to find space, then to publish) was 40 % of the calling thread's time
 * with two threads (perf: pthread_mutex_lock, the lock's line bouncing between
 * the two cores). The producer now takes it once per WAKE_AT records: it
 * remembers how much space the writer had left (p_head) and publishes its
 * tail in batches; the writer sees the same records in the same order.
 *
 * A record is about 2 KB, most of it zero in a SYN flood (no TLS, short p0f
 * texts), and every byte copied into the ring crosses to the writer's core.
 * So a slot is written only as far as this record or the slot's last one uses
 * it (tcpshake_record_copy, as the library's workers do): the slot then holds
 * the record byte for byte. What the slot's last record used is kept in the
 * producer's own memory (its mark), not read back from the slot, whose cache
 * lines the writer's core has.
 */
#include "cli_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define RING_CAP 1024 /* records queued; a full ring makes the producer wait */
/* Wake an idle writer only once this many records wait: a wake-up per record
 * cost the producer more than the formatting. */
#define WAKE_AT 64
/* The writer frees the slots it has written FREE_AT at a time, and a producer
 * that found the ring full resumes once REFILL slots are free: it refills them
 * while the writer goes on with the rest, rather than both taking turns over
 * the whole ring, and without a wake-up per FREE_AT records. */
#define FREE_AT 64
#define REFILL  (RING_CAP / 4)

struct slot {
    enum tcpshake_event ev;
    struct tcpshake_record rec;
};

/* What a slot's record uses beyond its head: the p0f texts' lengths (client
 * sig, label, server sig, label) and whether it has a TLS object. */

struct writer {
    struct tcpshake_sink *sink;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;  /* records arrived, or quit */
    pthread_cond_t space_cv; /* records written */
    struct slot *ring;
    struct tcpshake_record_mark *marks; /* RING_CAP, the producer's */
    /* Under mu. */
    uint64_t head; /* records written */
    uint64_t tail; /* records queued */
    bool idle;     /* the writer waits for work */
    bool waiting;  /* the producer waits for space (or for the ring to empty) */
    bool quit;
    int error; /* errno of the first failed write (EIO if it set none); 0 = none */
    /* The producer's own. */
    uint64_t p_tail; /* records copied into the ring (tail lags it by < WAKE_AT) */
    uint64_t p_head; /* head when last seen: slots before p_head + RING_CAP are free */
    int p_error;     /* error when last seen */
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->head == w->tail && !w->quit) {
            w->idle = true;
            pthread_cond_wait(&w->work_cv, &w->mu);
        }
        w->idle = false;
        if (w->head == w->tail) {
            break; /* quit, and everything is written */
        }
        uint64_t from = w->head, to = w->tail - w->head > FREE_AT ? w->head + FREE_AT : w->tail;
        pthread_mutex_unlock(&w->mu);
        int error = 0;
        for (uint64_t i = from; i < to; i++) {
            const struct slot *s = &w->ring[i % RING_CAP];
            errno = 0;
            if (tcpshake_sink_write_event(w->sink, s->ev, &s->rec) != TCPSHAKE_OK && error == 0) {
                error = errno != 0 ? errno : EIO;
            }
        }
        pthread_mutex_lock(&w->mu);
        if (w->error == 0) {
            w->error = error;
        }
        w->head = to;
        if (w->waiting && (w->tail - w->head <= RING_CAP - REFILL || w->head == w->tail)) {
            pthread_cond_broadcast(&w->space_cv);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Free what writer_start made, once the thread is gone (or never started). */
static void writer_free(struct writer *w)
{
    pthread_cond_destroy(&w->space_cv);
    pthread_cond_destroy(&w->work_cv);
    pthread_mutex_destroy(&w->mu);
    free(w->ring);
    free(w->marks);
    free(w);
}

struct writer *writer_start(struct tcpshake_sink *sink)
{
    struct writer *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return NULL;
    }
    w->ring = calloc(RING_CAP, sizeof(*w->ring));
    w->marks = calloc(RING_CAP, sizeof(*w->marks));
    if (w->ring == NULL || w->marks == NULL) {
        free(w->ring);
        free(w->marks);
        free(w);
        return NULL;
    }
    w->sink = sink;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work_cv, NULL);
    pthread_cond_init(&w->space_cv, NULL);
    if (pthread_create(&w->tid, NULL, writer_main, w) != 0) {
        writer_free(w);
        return NULL;
    }
    return w;
}

/* Publish the records copied so far, waking an idle writer, and see how far it
 * got; called with mu held. */
static void publish(struct writer *w)
{
    w->tail = w->p_tail;
    if (w->idle && w->tail != w->head) {
        pthread_cond_signal(&w->work_cv);
    }
    w->p_head = w->head;
    w->p_error = w->error;
}

int writer_put(struct writer *w, enum tcpshake_event ev, const struct tcpshake_record *r)
{
    if (w->p_tail - w->p_head == RING_CAP) {
        pthread_mutex_lock(&w->mu);
        publish(w);
        while (w->tail - w->head > RING_CAP - REFILL) {
            w->waiting = true;
            pthread_cond_signal(&w->work_cv); /* it may be idle */
            pthread_cond_wait(&w->space_cv, &w->mu);
        }
        w->waiting = false;
        w->p_head = w->head;
        pthread_mutex_unlock(&w->mu);
    }
    /* The writer never touches slots at or after tail: copy without the lock. */
    struct slot *s = &w->ring[w->p_tail % RING_CAP];
    s->ev = ev;
    tcpshake_record_copy(&s->rec, &w->marks[w->p_tail % RING_CAP], r);
    w->p_tail++;
    if (w->p_tail % WAKE_AT == 0) {
        pthread_mutex_lock(&w->mu);
        publish(w);
        pthread_mutex_unlock(&w->mu);
    }
    return w->p_error;
}

int writer_sync(struct writer *w)
{
    pthread_mutex_lock(&w->mu);
    publish(w);
    pthread_cond_signal(&w->work_cv);
    while (w->head != w->tail) {
        w->waiting = true;
        pthread_cond_wait(&w->space_cv, &w->mu);
    }
    w->waiting = false;
    w->p_head = w->head;
    int error = w->error;
    pthread_mutex_unlock(&w->mu);
    return error;
}

int writer_stop(struct writer *w)
{
    if (w == NULL) {
        return 0;
    }
    pthread_mutex_lock(&w->mu);
    publish(w);
    w->quit = true;
    pthread_cond_signal(&w->work_cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->tid, NULL);
    int error = w->error;
    writer_free(w);
    return error;
}
