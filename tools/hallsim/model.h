/*
 * model.h — the citizen and staff models of the simulated hall: how many
 * citizens come for each service and when, what each of them does, and
 * when each window's staff sign in. Pure functions of a random state.
 *
 * Room: tools/hallsim. Includes engine types only; no I/O, no clock, no
 * global state. Randomness is glibc's re-entrant erand48() on a state the
 * caller owns (struct model_rng), derived from the run's seed, the day
 * and a stream number, so a day is the same whatever came before it, and
 * the arrivals do not depend on what the windows do: the same seed gives
 * the same citizens under any dispatch policy (common random numbers).
 *
 * Everything random about a day is drawn up front by model_plan_day();
 * the simulation loop (sim.c) only plays the plan against the engine.
 * tools/hallsim/README.md describes the models and their figures.
 */
#ifndef HALLQ_HALLSIM_MODEL_H
#define HALLQ_HALLSIM_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/hall.h"

/* A 48-bit erand48()/nrand48() state. */
struct model_rng {
	unsigned short x[3];
};

/* The state of stream `stream` of `day` in the run seeded with `seed`. */
void model_rng_seed(struct model_rng *r, uint64_t seed, int64_t day, uint64_t stream);
double model_uniform(struct model_rng *r);                          /* [0, 1) */
double model_uniform_in(struct model_rng *r, double lo, double hi); /* [lo, hi) */
int model_pick(struct model_rng *r, int n);                         /* 0 .. n-1 */
double model_exponential(struct model_rng *r, double mean);
double model_normal(struct model_rng *r); /* standard normal */
double model_lognormal(struct model_rng *r, double median, double sigma);

/* The knobs of the models; model_default_params() gives the figures of
 * the README. */
struct model_params {
	double load;              /* offered load on the windows' time, 0.8 */
	double green_share;       /* 绿色通道 tickets */
	double appointment_share; /* tickets with an appointment slot */
	double no_show_share;     /* citizens gone when called */
	double handling_median;   /* median handling / standard_minutes */
	double handling_sigma;    /* of the log of the handling time */
	double walk_min_s;        /* call to start: uniform in [min, max] */
	double walk_max_s;
	double hold_share; /* tickets held (挂起) once */
	double hold_min_s; /* time the citizen is away, uniform */
	double hold_max_s;
	double transfer_share; /* tickets transferred to another service */
	double pause_share;    /* the window pauses after this ticket */
	double pause_min_s;    /* length of a pause, uniform */
	double pause_max_s;
	double rating_share; /* finished tickets the citizen rates */
	double late_share;   /* staff signing in after the session starts */
	int recall_after_s;  /* a window recalls an absent citizen after this,
			      * and marks the no-show as long again after */
	int react_s;         /* an idle window calls a new ticket this late */
	int overtime_max_s;  /* windows serve the queue this long past a
			      * session's end before they log out */
};

void model_default_params(struct model_params *p);

/*
 * The expected daily volume of each service (volume[n_services]) that puts
 * p->load on the windows: each window's minutes in the hall's sessions go
 * to the services it serves at its best level among those open for issue
 * at that minute, shared equally; a service's minutes divided by the mean
 * time a citizen takes at a window (handling and walk) and times the load
 * make its volume, capped by its daily quota.
 */
void model_volumes(const struct engine_hall *hall, const struct model_params *p, double *volume);

/* Mean handling seconds of a citizen of service s (the lognormal's mean). */
double model_mean_handling_s(const struct engine_hall *hall, const struct model_params *p, int s);

/* One citizen's day, drawn in advance. Times are epoch seconds. */
struct model_citizen {
	int64_t arrive_s;
	int service;
	uint8_t cls; /* enum engine_class */
	int64_t slot_s;
	bool no_show;
	int walk_s;      /* call to start */
	int handling_s;  /* at the window, hold not included */
	int hold_s;      /* 0: never held; else held this long ... */
	double hold_at;  /* ... after this share of the handling time */
	int transfer_to; /* -1, or a service: transferred after transfer_at ... */
	double transfer_at;
	int walk2_s; /* ... and then at the second window */
	int handling2_s;
	int rating;       /* 0: does not rate; 1..5 */
	int rate_after_s; /* after the finish */
	int pause_reason; /* -1, or the window pauses after finishing this ticket */
	int pause_s;
};

/* When a window's staff log in for each session of the day (-1: not). */
struct model_staff {
	int64_t login_s[ENGINE_MAX_PERIODS];
};

struct model_day {
	int64_t midnight_s;             /* local 00:00 of the day */
	struct model_citizen *citizens; /* by arrival time */
	int n_citizens, cap_citizens;
	struct model_staff staff[ENGINE_MAX_WINDOWS];
};

/*
 * Draws the day (yyyymmdd `day`, weekday `wday`, local midnight at
 * midnight_s; the hall's minutes are counted from it) into out, which
 * starts zeroed and is reused from day to day. A day that is not a
 * workday has no citizens and no staff. Returns 0, or -1 when out of
 * memory. Free out->citizens with model_day_free().
 */
int model_plan_day(const struct engine_hall *hall, const struct model_params *p,
		   const double *volume, uint64_t seed, int32_t day, int wday, int64_t midnight_s,
		   struct model_day *out);
void model_day_free(struct model_day *d);

#endif /* HALLQ_HALLSIM_MODEL_H */
