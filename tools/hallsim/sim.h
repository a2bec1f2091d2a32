/*
 * sim.h — fast mode's simulation loop: plays the planned citizens and the
 * window staff (model.h) against the real queue engine in virtual time,
 * one business day at a time, and journals every accepted command in the
 * store as hostd's core does.
 *
 * Room: tools/hallsim. Includes the engine, the store and the models;
 * never SQLite, never the config loader (the caller gives the hall and
 * the staff ids). One struct sim is owned by one thread.
 *
 * Like the core (hostd/core/core.c), a command is stamped with the hall's
 * local clock (the process's TZ, which the caller sets to the config's
 * time zone), applied with engine_apply() and, when accepted, journalled
 * with store_record(); at each local midnight the day is closed with
 * CLOSE_DAY (journalled under the day it closes) and the next opened with
 * engine_open_day(). Unlike the core, commands are committed in batches,
 * one transaction per simulated hour, since nobody waits for a reply.
 */
#ifndef HALLQ_HALLSIM_SIM_H
#define HALLQ_HALLSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "model.h"
#include "store/store.h"

/* Observers of a run, for the benchmarks; any may be NULL. */
struct sim_hooks {
	/* citizen c got a ticket; res is what the engine told it */
	void (*issued)(void *arg, const struct engine *e, const struct model_citizen *c,
		       const struct engine_result *res);
	/* the day's last event is over; the engine still holds the day's
	 * tickets as they are before CLOSE_DAY expires the rest */
	void (*day_end)(void *arg, const struct engine *e, int64_t staff_gone_s);
	void *arg;
};

struct sim_config {
	const struct engine_hall *hall;
	struct model_params params;
	const double *volume; /* per service; NULL: model_volumes(hall, params) */
	uint64_t seed;
	/* staff[w] logs in at window w; a window beyond n_staff uses 9000 + its
	 * number */
	const char *const *staff;
	int n_staff;
	struct store *store; /* NULL: the engine only */
	const char *source;  /* the journal's source column, "hallsim" */
	struct sim_hooks hooks;
};

/* What one day came to, counted before CLOSE_DAY. */
struct sim_day_summary {
	int32_t day;
	int wday;
	bool workday;
	int citizens; /* who came */
	int issued;
	int refused; /* QUOTA_REACHED at the kiosk */
	int called;  /* called at least once */
	int finished;
	int no_shows;         /* final no_show */
	int expired;          /* not final at the close */
	double mean_wait_s;   /* issue to first call, of the tickets called */
	int64_t staff_gone_s; /* the last logout of the day, 0 if none */
	uint64_t digest;      /* engine_digest() after the close */
};

enum {
	SIM_ERR_STORE = -1,  /* the store failed: sim_error() says how */
	SIM_ERR_ENGINE = -2, /* the engine refused what the model expects: a bug */
	SIM_ERR_NOMEM = -3,
};

/* A new simulation (the hall and the staff ids are copied). NULL when out
 * of memory. */
struct sim *sim_new(const struct sim_config *cfg);
void sim_free(struct sim *s); /* NULL is fine */

/*
 * Simulates the business day `day` (yyyymmdd, local; later than the last
 * one run) and closes it at the next local midnight. A day that is not a
 * workday has no events but its close, as a hostd running through it
 * writes. Returns 0 and fills *out, or a SIM_ERR_*.
 */
int sim_run_day(struct sim *s, int32_t day, struct sim_day_summary *out);

/* Commits what is journalled and not yet committed. 0 or SIM_ERR_STORE. */
int sim_finish(struct sim *s);

/* A sentence about the last error. */
const char *sim_error(const struct sim *s);

const struct engine *sim_engine(const struct sim *s);

/* Mean handling seconds of the service's tickets finished so far in the
 * run; the service's standard time until there are any. */
double sim_mean_handling_s(const struct sim *s, int service);

#endif /* HALLQ_HALLSIM_SIM_H */
