/*
 * replay.h — reads a simulated day back from the journal the way hostd's
 * core restores it, so that hallsim --verify can show the database holds
 * exactly the day the simulation played.
 *
 * Room: tools/hallsim. Uses the engine and the store; no SQLite.
 */
#ifndef HALLQ_HALLSIM_REPLAY_H
#define HALLQ_HALLSIM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/hall.h"
#include "store/store.h"

/*
 * Rebuilds `day` from st as core.c's restore() does (the recent handling
 * times of the days before, then the day's events replayed) and gives the
 * engine's digest. Returns 0, or -1 with a sentence in err when the
 * journal cannot be read, an event is refused or the state is broken.
 */
int replay_day(struct store *st, const struct engine_hall *hall, int32_t day, uint64_t *digest,
	       char *err, size_t err_size);

#endif /* HALLQ_HALLSIM_REPLAY_H */
