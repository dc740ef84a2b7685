/* version.h - version of the rune toolchain and of the host ABI that runes are built against. */
#ifndef RUNE_VERSION_H
#define RUNE_VERSION_H

#define RUNE_VERSION "0.1.0"

#endif
