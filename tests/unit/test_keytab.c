/*
 * test_keytab.c - the aggregators' key index: finding, re-keying and clearing,
 * with the entry keyed last (which keytab_find compares before hashing) both
 * the one asked for and another one.
 */
#include <string.h>

#include "check.h"
#include "keytab.h"
#include "tcpshake.h"

static struct keytab_key key_of(uint8_t v)
{
    struct keytab_key k;
    memset(&k, 0, sizeof(k));
    k.b[0] = v;
    k.b[sizeof(k.b) - 1] = (uint8_t)(v ^ 0x5a);
    return k;
}

static void test_find_rekey_clear(void)
{
    struct keytab t;
    CHECK_INT(keytab_init(&t, 4), TCPSHAKE_OK);
    struct keytab_key a = key_of(1), b = key_of(2), c = key_of(3);
    CHECK_U64(keytab_find(&t, &a), KEYTAB_NONE); /* empty: entry 0 is not in use */
    CHECK_U64(keytab_add(&t, &a), 0);
    CHECK_U64(keytab_find(&t, &a), 0); /* the entry keyed last */
    CHECK_U64(keytab_add(&t, &b), 1);
    CHECK_U64(keytab_find(&t, &a), 0); /* another: found by its hash */
    CHECK_U64(keytab_find(&t, &b), 1);
    CHECK_U64(keytab_find(&t, &c), KEYTAB_NONE);
    /* Entry 0 takes key c: a is gone, c is found, b still by its hash. */
    keytab_rekey(&t, 0, &c);
    CHECK_U64(keytab_find(&t, &a), KEYTAB_NONE);
    CHECK_U64(keytab_find(&t, &c), 0);
    CHECK_U64(keytab_find(&t, &b), 1);
    /* Re-keying entry 1 to a leaves nothing under b, even though 1 was keyed last. */
    keytab_rekey(&t, 1, &a);
    CHECK_U64(keytab_find(&t, &b), KEYTAB_NONE);
    CHECK_U64(keytab_find(&t, &a), 1);
    /* Cleared: the entry keyed last is no longer in use. */
    keytab_clear(&t);
    CHECK_U64(keytab_find(&t, &a), KEYTAB_NONE);
    CHECK_U64(keytab_find(&t, &c), KEYTAB_NONE);
    CHECK_U64(keytab_add(&t, &c), 0);
    CHECK_U64(keytab_find(&t, &a), KEYTAB_NONE);
    CHECK_U64(keytab_find(&t, &c), 0);
    keytab_release(&t);
}

/* A full table: every key still found after many re-keyings. */
static void test_many(void)
{
    struct keytab t;
    CHECK_INT(keytab_init(&t, 64), TCPSHAKE_OK);
    for (unsigned i = 0; i < 64; i++) {
        struct keytab_key k = key_of((uint8_t)i);
        CHECK_U64(keytab_add(&t, &k), i);
    }
    struct keytab_key extra = key_of(200);
    CHECK_U64(keytab_add(&t, &extra), KEYTAB_NONE);
    for (unsigned i = 0; i < 64; i += 2) {
        struct keytab_key k = key_of((uint8_t)(100 + i));
        keytab_rekey(&t, i, &k);
    }
    for (unsigned i = 0; i < 64; i++) {
        struct keytab_key now = key_of((uint8_t)(i % 2 == 0 ? 100 + i : i));
        CHECK_U64(keytab_find(&t, &now), i);
        if (i % 2 == 0) {
            struct keytab_key old = key_of((uint8_t)i);
            CHECK_U64(keytab_find(&t, &old), KEYTAB_NONE);
        }
    }
    keytab_release(&t);
}

int main(void)
{
    test_find_rekey_clear();
    test_many();
    return check_report("keytab");
}
