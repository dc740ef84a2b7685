/*
 * transport.c - what every SMP transport shares: closing through its vtable.
 */
#include "rune/smp.h"

void rune_smp_transport_close(rune_smp_transport *t)
{
    if (t && t->close) t->close(t);
}
