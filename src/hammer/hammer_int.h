/*
 * hammer_int.h - what the files of src/hammer share: growing a target list, splitting addresses,
 * a monotonic clock.
 */
#ifndef RUNE_HAMMER_INT_H
#define RUNE_HAMMER_INT_H

#include "rune/hammer.h"

/* Append a zeroed target; NULL on NOMEM or when the list is full (err filled). */
rune_hmr_target *hmr_targets_push(rune_hmr_targets *ts, rune_error *err);
/* Split "host:port" / "[v6]:port" into host (cap bytes) and port; INVALID with a message. */
rune_status hmr_split_hostport(const char *addr, char *host, size_t cap, uint16_t *port,
                               rune_error *err);
uint64_t hmr_now_ms(void);
/* The probe both discovery paths send: an SMP OS-info read for the node name ("format": "n"),
 * with sequence number seq, into req (32 bytes are enough). */
rune_status hmr_os_info_request(uint8_t seq, uint8_t *req, size_t cap, size_t *len,
                                rune_error *err);
uint64_t hmr_now_us(void);
void hmr_sleep_ms(int ms);

#endif
