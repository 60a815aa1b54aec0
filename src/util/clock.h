/*
 * clock.h — milliseconds on a monotonic clock, for durations (never for
 * dates: it does not move with the wall clock).
 */
#ifndef PGW_CLOCK_H
#define PGW_CLOCK_H

#include <stdint.h>

int64_t		pgw_now_ms(void);

#endif
