/*
 * host_double.h - a test double of the rune host for native guest tests: defines the runic_* and
 * rune_nn_raw_* imports of rune_guest.h over plain process memory, with knobs and a record of what
 * the guest did. Not a host implementation: just enough behaviour to check the SDK's contract.
 */
#ifndef RUNE_TEST_GUEST_HOST_DOUBLE_H
#define RUNE_TEST_GUEST_HOST_DOUBLE_H

#include <stddef.h>
#include <stdint.h>

#include "rune_guest.h"

typedef struct host_double {
    /* SOUND capability: samples served in reads of `samples` (from the params) */
    const int16_t *audio;
    size_t audio_len, audio_pos;
    char last_params[256];
    int deny_image; /* IMAGE is refused by "policy" */
    /* outputs: everything written, concatenated, one '\n' after each write */
    char written[1 << 16];
    size_t written_len;
    int writes;
    int short_write; /* accept one byte less than asked */
    /* resources */
    const char *resource_name, *resource;
    /* logs */
    int last_level;
    char last_log[600];
    /* models: the input bytes the model must receive, and the output it then gives */
    const uint8_t *expect_input;
    size_t expect_input_len;
    uint8_t nn_output[64];
    size_t nn_output_len;
    int computed;
    uint32_t last_dims[8], last_rank;
    int last_type;
} host_double;

extern host_double hd;
void host_double_reset(void);

#endif
