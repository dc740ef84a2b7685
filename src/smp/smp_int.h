/*
 * smp_int.h - internals shared by the files of src/smp: base64 of the serial framing, a monotonic
 * clock, and the serve loop's declaration.
 */
#ifndef RUNE_SMP_INT_H
#define RUNE_SMP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rune/smp.h"

/* Raw bytes of one serial frame: 124 base64 characters (127 - 2 marker - 1 newline) hold 93. */
#define SMP_SERIAL_RAW_PER_LINE 93

/* Standard base64 (RFC 4648, with padding) of len bytes into out (4 * ceil(len / 3) chars). */
size_t smp_b64_encode(const uint8_t *in, size_t len, uint8_t *out);
/* Decode n characters (n a multiple of 4; '=' only at the end) into out; returns the bytes written
 * or (size_t)-1 for a character outside the alphabet or misplaced padding. */
size_t smp_b64_decode(const uint8_t *in, size_t n, uint8_t *out);

/* dst = a followed by b, cut to fit cap (always NUL-terminated); for "rsn" texts. */
void smp_strcat2(char *dst, size_t cap, const char *a, const char *b);

/* The status of the response in c->rsp to (group, id): RUNE_OK, or its rc as a status with the
 * device's reason in err (err->code = rc). */
rune_status smp_rsp_status(const rune_smp_client *c, uint16_t group, uint8_t id, rune_error *err);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t smp_now_ms(void);
uint64_t smp_now_us(void);

#endif
