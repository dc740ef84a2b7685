/*
 * saga_int.h - the registry's layout, shared by the files of src/saga (recording, exports).
 */
#ifndef RUNE_SAGA_INT_H
#define RUNE_SAGA_INT_H

#include <pthread.h>

#include "rune/saga.h"

typedef struct saga_rune {
    bool used;
    char name[RUNE_SAGA_NAME_MAX + 1];
    uint64_t added_ms, inferences, traps, cap_reads, mem_bytes;
    rune_saga_hist lat;
} saga_rune;

struct rune_saga {
    pthread_mutex_t mu;
    uint64_t (*now_ms)(void *ud);
    void *clock_ud;
    uint64_t start_ms;
    saga_rune *runes;
    size_t n_runes;
    rune_saga_log_entry *log;
    size_t log_cap;
    uint64_t next_seq; /* seq of the next entry; entry k lives at log[k % log_cap] */
};

/* Oldest seq still in the ring (== next_seq when it is empty). Call under the lock. */
uint64_t saga_log_oldest(const rune_saga *s);
/* Fill st from slot r. Call under the lock. */
void saga_stats_fill(const rune_saga *s, const saga_rune *r, rune_saga_stats *st);

#endif
