/*
 * test_saga_registry.c - the LibSaga registry: rune slots, counters, stats, the log ring's
 * wrap-around (oldest dropped, dropped counts, filters, cut messages), recording from several
 * threads at once, and no allocation per recorded sample.
 */
#include <pthread.h>

#include "rune/alloc.h"
#include "rune/saga.h"
#include "test.h"

static uint64_t fake_now;
static uint64_t fake_clock(void *ud)
{
    return fake_now;
}

TEST(runes_and_counters)
{
    rune_error err;
    long live = rune_alloc_live();
    rune_saga *s;
    rune_saga_config cfg = {.max_runes = 3, .log_entries = 8, .now_ms = fake_clock};
    fake_now = 1000;
    CHECK_OK(rune_saga_create(&s, &cfg, &err), &err);
    int a, b, c, d;
    CHECK_OK(rune_saga_rune_add(s, "sine", &a, &err), &err);
    CHECK_OK(rune_saga_rune_add(s, "microspeech", &b, &err), &err);
    CHECK_STATUS(rune_saga_rune_add(s, "sine", &d, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "already registered");
    CHECK_STATUS(rune_saga_rune_add(s, "", &d, &err), RUNE_E_ARG);
    char longname[80];
    memset(longname, 'x', sizeof longname - 1);
    longname[79] = 0;
    CHECK_STATUS(rune_saga_rune_add(s, longname, &d, &err), RUNE_E_ARG);
    CHECK_OK(rune_saga_rune_add(s, "person", &c, &err), &err);
    CHECK_STATUS(rune_saga_rune_add(s, "fourth", &d, &err), RUNE_E_LIMIT);
    CHECK_EQ_INT(rune_saga_rune_find(s, "microspeech"), b);
    CHECK_EQ_INT(rune_saga_rune_find(s, "nope"), -1);

    fake_now = 4000;
    for (int i = 1; i <= 100; i++)
        rune_saga_inference(s, a, (uint64_t)i * 10);
    rune_saga_trap(s, a);
    rune_saga_trap(s, a);
    rune_saga_cap_read(s, a, 5);
    rune_saga_cap_read(s, a, 7);
    rune_saga_memory(s, a, 1 << 20);
    rune_saga_memory(s, a, 3 << 20); /* a gauge: the last value counts */
    rune_saga_inference(s, 99, 1);   /* unknown ids are ignored */
    rune_saga_stats st;
    CHECK_OK(rune_saga_stats_get(s, a, &st, &err), &err);
    CHECK_STR(st.name, "sine");
    CHECK_EQ_INT(st.uptime_ms, 3000);
    CHECK_EQ_INT(st.inferences, 100);
    CHECK_EQ_INT(st.traps, 2);
    CHECK_EQ_INT(st.cap_reads, 12);
    CHECK_EQ_INT(st.mem_bytes, 3 << 20);
    CHECK_EQ_INT(st.lat_count, 100);
    CHECK_EQ_INT(st.lat_sum, 50500);
    CHECK_EQ_INT(st.lat_min, 10);
    CHECK_EQ_INT(st.lat_max, 1000);
    CHECK_NEAR(st.p50, 500, 500.0 / 64 + 1);
    CHECK_NEAR(st.p90, 900, 900.0 / 64 + 1);
    CHECK_NEAR(st.p99, 990, 990.0 / 64 + 1);
    CHECK_EQ_INT(rune_saga_uptime_ms(s), 3000);
    /* removal frees the slot and the name */
    rune_saga_rune_remove(s, a);
    CHECK_STATUS(rune_saga_stats_get(s, a, &st, &err), RUNE_E_NOT_FOUND);
    CHECK_OK(rune_saga_rune_add(s, "sine", &d, &err), &err);
    CHECK_OK(rune_saga_stats_get(s, d, &st, &err), &err);
    CHECK_EQ_INT(st.inferences, 0);
    rune_saga_destroy(s);
    rune_saga_destroy(NULL);
    CHECK_EQ_INT(rune_alloc_live(), live);
    /* allocation failures at creation */
    for (long k = 0; k < 3; k++) {
        rune_alloc_fail_after(k);
        rune_saga *s2 = NULL;
        rune_status r = rune_saga_create(&s2, NULL, &err);
        rune_alloc_fail_after(-1);
        CHECK_STATUS(r, RUNE_E_NOMEM);
        CHECK(s2 == NULL);
        CHECK_EQ_INT(rune_alloc_live(), live);
    }
}

typedef struct collected {
    uint64_t seq[64];
    char msg[64][RUNE_SAGA_LOG_MSG_MAX + 1];
    char rune[64][RUNE_SAGA_NAME_MAX + 1];
    int level[64];
    size_t n, room;
} collected;

static bool collect(void *ud, const rune_saga_log_entry *e)
{
    collected *c = ud;
    if (c->n >= c->room) return false;
    c->seq[c->n] = e->seq;
    c->level[c->n] = e->level;
    memcpy(c->msg[c->n], e->msg, sizeof c->msg[0]);
    memcpy(c->rune[c->n], e->rune, sizeof c->rune[0]);
    c->n++;
    return true;
}

TEST(log_ring_wraps)
{
    rune_error err;
    rune_saga *s;
    rune_saga_config cfg = {.log_entries = 8, .now_ms = fake_clock};
    fake_now = 0;
    CHECK_OK(rune_saga_create(&s, &cfg, &err), &err);
    int a;
    CHECK_OK(rune_saga_rune_add(s, "sine", &a, &err), &err);
    collected c = {.room = 64};
    uint64_t next = 0, dropped = 0;
    rune_saga_logs_read(s, 0, 100, NULL, collect, &c, &next, &dropped);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(next, 1);
    CHECK_EQ_INT(dropped, 0);
    for (int i = 1; i <= 20; i++) {
        fake_now = (uint64_t)i * 10;
        rune_saga_log(s, i % 2 ? a : -1, i % 4, "line %d", i);
    }
    /* 20 written into 8 slots: 13..20 remain, 12 dropped for a reader from the start */
    memset(&c, 0, sizeof c);
    c.room = 64;
    rune_saga_logs_read(s, 1, 100, NULL, collect, &c, &next, &dropped);
    CHECK_EQ_INT(c.n, 8);
    CHECK_EQ_INT(dropped, 12);
    CHECK_EQ_INT(next, 21);
    for (size_t i = 0; i < c.n; i++) {
        char want[32];
        snprintf(want, sizeof want, "line %zu", 13 + i);
        CHECK_EQ_INT(c.seq[i], 13 + i);
        CHECK_STR(c.msg[i], want);
        CHECK_STR(c.rune[i], (13 + i) % 2 ? "sine" : "");
        CHECK_EQ_INT(c.level[i], (13 + i) % 4);
    }
    /* paging: max 3 from 15, then on from next */
    memset(&c, 0, sizeof c);
    c.room = 64;
    rune_saga_logs_read(s, 15, 3, NULL, collect, &c, &next, &dropped);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_INT(c.seq[0], 15);
    CHECK_EQ_INT(next, 18);
    CHECK_EQ_INT(dropped, 0);
    /* nothing new */
    memset(&c, 0, sizeof c);
    c.room = 64;
    rune_saga_logs_read(s, 21, 10, NULL, collect, &c, &next, &dropped);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(next, 21);
    /* a reader with room for 2: it stops, and next is the first entry it did not take */
    memset(&c, 0, sizeof c);
    c.room = 2;
    rune_saga_logs_read(s, 13, 100, NULL, collect, &c, &next, &dropped);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_INT(next, 15);
    /* only one rune's lines */
    memset(&c, 0, sizeof c);
    c.room = 64;
    rune_saga_logs_read(s, 1, 100, "sine", collect, &c, &next, &dropped);
    CHECK_EQ_INT(c.n, 4);
    for (size_t i = 0; i < c.n; i++)
        CHECK_STR(c.rune[i], "sine");
    CHECK_STR(rune_saga_level_name(RUNE_SAGA_WARN), "warn");
    CHECK_STR(rune_saga_level_name(9), "?");
    /* a message longer than the entry is cut, not overflowed */
    char big[400];
    memset(big, 'm', sizeof big - 1);
    big[399] = 0;
    rune_saga_log(s, a, RUNE_SAGA_ERROR, "%s", big);
    memset(&c, 0, sizeof c);
    c.room = 64;
    rune_saga_logs_read(s, 21, 10, NULL, collect, &c, &next, &dropped);
    CHECK_EQ_INT(c.n, 1);
    CHECK_EQ_INT(strlen(c.msg[0]), RUNE_SAGA_LOG_MSG_MAX);
    rune_saga_destroy(s);
}

typedef struct worker {
    rune_saga *s;
    int id;
} worker;

static void *record_many(void *p)
{
    worker *w = p;
    for (int i = 0; i < 20000; i++) {
        rune_saga_inference(w->s, w->id, (uint64_t)(i % 1000));
        rune_saga_cap_read(w->s, w->id, 1);
        if (i % 100 == 0) rune_saga_log(w->s, w->id, RUNE_SAGA_DEBUG, "tick %d", i);
    }
    return NULL;
}

TEST(threads_and_no_allocation)
{
    rune_error err;
    rune_saga *s;
    CHECK_OK(rune_saga_create(&s, NULL, &err), &err);
    int a, b;
    CHECK_OK(rune_saga_rune_add(s, "a", &a, &err), &err);
    CHECK_OK(rune_saga_rune_add(s, "b", &b, &err), &err);
    /* from here on, any allocation fails: recording must not need one */
    long live = rune_alloc_live();
    rune_alloc_fail_after(0);
    worker w[4] = {{s, a}, {s, a}, {s, b}, {s, b}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, record_many, &w[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    long made = rune_alloc_fail_after(-1);
    CHECK_EQ_INT(made, 0);
    CHECK_EQ_INT(rune_alloc_live(), live);
    rune_saga_stats st;
    CHECK_OK(rune_saga_stats_get(s, a, &st, &err), &err);
    CHECK_EQ_INT(st.inferences, 40000);
    CHECK_EQ_INT(st.cap_reads, 40000);
    CHECK_EQ_INT(st.lat_count, 40000);
    CHECK_EQ_INT(st.lat_sum, 2 * 20 * 499500);
    CHECK_OK(rune_saga_stats_get(s, b, &st, &err), &err);
    CHECK_EQ_INT(st.inferences, 40000);
    uint64_t next, dropped;
    rune_saga_logs_read(s, 0, 0, NULL, NULL, NULL, &next, &dropped);
    CHECK_EQ_INT(next, 801 - 256); /* max 0: nothing read, the dropped ones skipped */
    rune_saga_logs_read(s, 0, 1000000, NULL, NULL, NULL, &next, &dropped);
    CHECK_EQ_INT(next, 801);
    CHECK_EQ_INT(dropped, 800 - 256);
    rune_saga_destroy(s);
}

int main(void)
{
    RUN(runes_and_counters);
    RUN(log_ring_wraps);
    RUN(threads_and_no_allocation);
    return test_report();
}
