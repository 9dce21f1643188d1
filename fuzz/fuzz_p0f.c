/*
 * fuzz_p0f.c - libFuzzer target for the p0f database parser, the matcher and
 * the signature text (src/app/p0f.c).
 *
 * Input layout: bytes 0..43 are one struct p0f_facts' worth of bytes (layout
 * kinds, counts, TTL, MSS, window, quirks ...; made what p0f_take can make:
 * n_opt modulo 25 and ending at an end-of-options, its padding at most 40,
 * ip_version 4 or 6), the rest is p0f.fp text, copied into a malloc of
 * exactly its size. The text is parsed; when it parses, the facts (and the
 * same facts as a SYN-ACK, with a peer MSS) are matched against it. The
 * signature of the facts is always written. Aborts when a signature does not
 * fit P0F_SIG_CAP, is not NUL-terminated where its length says, when a
 * refused database comes back non-NULL or without a message, or when a
 * label is not one of the database's (NUL-terminated, under P0F_LABEL_CAP).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p0f.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FACT_BYTES 44

static void facts_from(const uint8_t *d, struct p0f_facts *f)
{
    memset(f, 0, sizeof(*f));
    memcpy(f->layout, d, P0F_MAX_OPT);
    f->n_opt = (uint8_t)(d[24] % (P0F_MAX_OPT + 1));
    for (uint8_t i = 0; i < f->n_opt; i++) {
        if (f->layout[i] == 0) {
            f->n_opt = (uint8_t)(i + 1); /* p0f's walk ends at the end of options */
        }
    }
    f->eol_pad = (uint8_t)(d[25] % 41); /* what is left of 40 option bytes */
    f->ip_version = (d[26] & 1) ? 6 : 4;
    f->ttl = d[27];
    f->ip_opt_len = d[28];
    f->tot_hdr = d[29];
    f->wscale = d[30];
    f->tcp_type = d[31];
    f->mss = (uint16_t)(d[32] << 8 | d[33]);
    f->window = (uint16_t)(d[34] << 8 | d[35]);
    f->quirks = ((uint32_t)d[36] << 16 | (uint32_t)d[37] << 8 | d[38]) & ((1u << P0F_N_QUIRKS) - 1);
    f->payload = d[39] & 1;
    f->ts1_set = d[39] & 2;
}

static void check_signature(const struct p0f_facts *f, uint16_t syn_mss)
{
    char sig[P0F_SIG_CAP + 1];
    sig[P0F_SIG_CAP] = 'X';
    size_t n = p0f_signature(f, syn_mss, sig, P0F_SIG_CAP);
    if (n >= P0F_SIG_CAP - 1 || sig[n] != '\0' || strlen(sig) != n || sig[P0F_SIG_CAP] != 'X') {
        abort();
    }
    /* A short buffer: cut, NUL-terminated, nothing written past it. */
    char small[17];
    small[16] = 'X';
    n = p0f_signature(f, syn_mss, small, 16);
    if (n > 15 || small[n] != '\0' || strlen(small) != n || small[16] != 'X') {
        abort();
    }
}

static void check_match(const struct p0f_db *db, const struct p0f_facts *f, uint16_t syn_mss)
{
    const char *label = NULL;
    bool fuzzy = false;
    if (p0f_match(db, f, syn_mss, &label, &fuzzy)) {
        if (label == NULL || strnlen(label, P0F_LABEL_CAP) >= P0F_LABEL_CAP || label[1] != ':') {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FACT_BYTES) {
        return 0;
    }
    struct p0f_facts f;
    facts_from(data, &f);
    uint16_t syn_mss = (uint16_t)(data[40] << 8 | data[41]);
    check_signature(&f, 0);
    check_signature(&f, syn_mss);

    size_t len = size - FACT_BYTES;
    char *text = malloc(len > 0 ? len : 1);
    if (text == NULL) {
        return 0;
    }
    if (len > 0) {
        memcpy(text, data + FACT_BYTES, len);
    }
    struct p0f_db *db = (struct p0f_db *)&db;
    char msg[128];
    msg[0] = 'X';
    enum tcpshake_status rc = p0f_db_parse(text, len, &db, msg, sizeof(msg));
    if (rc != TCPSHAKE_OK) {
        if (db != NULL || msg[0] == '\0' || msg[0] == 'X' || strnlen(msg, sizeof(msg)) >= sizeof(msg)) {
            abort();
        }
    } else {
        if (db == NULL || p0f_db_count(db) == 0) {
            abort();
        }
        check_match(db, &f, syn_mss);
        f.tcp_type = 0x12;
        check_match(db, &f, syn_mss);
        f.tcp_type = 0x02;
        check_match(db, &f, 0);
        p0f_db_free(db);
    }
    free(text);
    return 0;
}
