/*
 * config.h - tunables of librune, each a default that a build may override with -D.
 */
#ifndef RUNE_CONFIG_H
#define RUNE_CONFIG_H

/* Default maximum linear memory of a guest, in 64 KiB pages: 16 MiB is enough for person detection
 * pipelines and small enough for a Raspberry-class device. */
#ifndef RUNE_WASM_DEFAULT_MAX_PAGES
#define RUNE_WASM_DEFAULT_MAX_PAGES 256
#endif

/* Default value-stack size of the interpreter, in 64-bit slots: deep enough for clang's output of
 * recursive code, small enough for a microcontroller. */
#ifndef RUNE_WASM_DEFAULT_STACK_SLOTS
#define RUNE_WASM_DEFAULT_STACK_SLOTS (64 * 1024)
#endif

/* Default maximum call depth (wasm frames). */
#ifndef RUNE_WASM_DEFAULT_CALL_DEPTH
#define RUNE_WASM_DEFAULT_CALL_DEPTH 1024
#endif

/* Alignment of the model engine's arena and of every tensor in it; 16 suits SSE/NEON loads. */
#ifndef RUNE_NN_ARENA_ALIGN
#define RUNE_NN_ARENA_ALIGN 16
#endif

#endif
