/*
 * model.c — the citizen and staff models of the simulated hall (model.h):
 * random variates on an erand48() state, the daily volumes that load the
 * windows, and the plan of one day.
 *
 * Room: tools/hallsim. Pure: no I/O, no clock, no global state; libm for
 * the variates. Every citizen takes the same number of draws whatever it
 * turns out to do, so changing one share does not shift the others.
 */
#define _DEFAULT_SOURCE /* erand48 */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

enum {
	STREAM_ARRIVALS = 1000, /* + service */
	STREAM_CITIZENS = 2000, /* + service */
	STREAM_STAFF = 3000,    /* + window */
	DAY_S = 86400,
	MIN_HANDLING_S = 30,
};

/* ---- random variates ---- */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

void model_rng_seed(struct model_rng *r, uint64_t seed, int64_t day, uint64_t stream)
{
	uint64_t x = splitmix64(splitmix64(splitmix64(seed) ^ (uint64_t)day) ^ stream);

	r->x[0] = (unsigned short)(x & 0xFFFF);
	r->x[1] = (unsigned short)((x >> 16) & 0xFFFF);
	r->x[2] = (unsigned short)((x >> 32) & 0xFFFF);
}

double model_uniform(struct model_rng *r)
{
	return erand48(r->x);
}

double model_uniform_in(struct model_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * erand48(r->x);
}

int model_pick(struct model_rng *r, int n)
{
	int k = (int)(erand48(r->x) * n);

	return k < n ? k : n - 1;
}

double model_exponential(struct model_rng *r, double mean)
{
	return -mean * log(1.0 - erand48(r->x)); /* 1 - u is in (0, 1] */
}

double model_normal(struct model_rng *r)
{
	/* Box-Muller; one of the pair is enough, and keeps draws per call fixed */
	double u1 = 1.0 - erand48(r->x), u2 = erand48(r->x);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double model_lognormal(struct model_rng *r, double median, double sigma)
{
	return median * exp(sigma * model_normal(r));
}

/* ---- the parameters ---- */

void model_default_params(struct model_params *p)
{
	*p = (struct model_params){
	    .load = 0.8,
	    .green_share = 0.05,
	    .appointment_share = 0.08,
	    .no_show_share = 0.05,
	    .handling_median = 0.8,
	    .handling_sigma = 0.5,
	    .walk_min_s = 10,
	    .walk_max_s = 60,
	    .hold_share = 0.03,
	    .hold_min_s = 120,
	    .hold_max_s = 480,
	    .transfer_share = 0.01,
	    .pause_share = 0.02,
	    .pause_min_s = 300,
	    .pause_max_s = 900,
	    .rating_share = 0.7,
	    .late_share = 0.05,
	    .recall_after_s = 45,
	    .react_s = 5,
	    .overtime_max_s = 5400,
	};
}

/* ---- hours and the time-of-day profile ---- */

static bool in_periods(const struct engine_period *p, int n, int minute)
{
	for (int i = 0; i < n; i++)
		if (minute >= p[i].start_min && minute < p[i].end_min)
			return true;
	return false;
}

/* Is service s open for issue at this minute of the day? */
static bool service_open(const struct engine_hall *hall, int s, int minute)
{
	const struct engine_service *svc = &hall->services[s];

	return svc->n_hours > 0 ? in_periods(svc->hours, svc->n_hours, minute)
				: in_periods(hall->hours.sessions, hall->hours.n_sessions, minute);
}

/* Relative arrival intensity by local minute: a morning peak around 09:30
 * to 10:30, a quieter afternoon that fades towards the close. Linear
 * between the points, flat beyond the ends. Zero where the service is
 * closed (the lunch break) comes from service_open(). */
static double profile(double minute)
{
	static const struct {
		double minute, weight;
	} pts[] = {
	    {480, 0.80}, {510, 0.90}, {570, 1.25}, {630, 1.25}, {690, 0.90},  {720, 0.60},
	    {840, 0.60}, {870, 0.80}, {930, 0.90}, {990, 0.85}, {1050, 0.55},
	};
	int n = (int)(sizeof(pts) / sizeof(pts[0]));

	if (minute <= pts[0].minute)
		return pts[0].weight;
	for (int i = 1; i < n; i++)
		if (minute <= pts[i].minute) {
			double f =
			    (minute - pts[i - 1].minute) / (pts[i].minute - pts[i - 1].minute);
			return pts[i - 1].weight + f * (pts[i].weight - pts[i - 1].weight);
		}
	return pts[n - 1].weight;
}

/* ---- volumes ---- */

double model_mean_handling_s(const struct engine_hall *hall, const struct model_params *p, int s)
{
	double median = p->handling_median * hall->services[s].standard_min * 60.0;

	return median * exp(p->handling_sigma * p->handling_sigma / 2.0);
}

void model_volumes(const struct engine_hall *hall, const struct model_params *p, double *volume)
{
	double minutes[ENGINE_MAX_SERVICES] = {0};

	for (int m = 0; m < 1440; m++) {
		if (!in_periods(hall->hours.sessions, hall->hours.n_sessions, m))
			continue;
		for (int w = 0; w < hall->n_windows; w++) {
			const struct engine_window *win = &hall->windows[w];
			int best = ENGINE_MAX_LEVEL + 1, n = 0;
			for (int i = 0; i < win->n_services; i++) {
				if (!service_open(hall, win->services[i].service, m))
					continue;
				if (win->services[i].level < best) {
					best = win->services[i].level;
					n = 0;
				}
				n += win->services[i].level == best;
			}
			for (int i = 0; i < win->n_services && n > 0; i++)
				if (win->services[i].level == best &&
				    service_open(hall, win->services[i].service, m))
					minutes[win->services[i].service] += 1.0 / n;
		}
	}
	for (int s = 0; s < hall->n_services; s++) {
		double per_citizen_s =
		    model_mean_handling_s(hall, p, s) + (p->walk_min_s + p->walk_max_s) / 2.0;
		int quota = hall->services[s].daily_quota > 0 ? hall->services[s].daily_quota
							      : ENGINE_MAX_QUOTA;
		volume[s] = p->load * minutes[s] * 60.0 / per_citizen_s;
		if (volume[s] > quota)
			volume[s] = quota;
	}
}

/* ---- one day ---- */

static int push_citizen(struct model_day *d, const struct model_citizen *c)
{
	if (d->n_citizens == d->cap_citizens) {
		int cap = d->cap_citizens ? d->cap_citizens * 2 : 256;
		struct model_citizen *grown = realloc(d->citizens, (size_t)cap * sizeof(*grown));
		if (!grown)
			return -1;
		d->citizens = grown;
		d->cap_citizens = cap;
	}
	d->citizens[d->n_citizens++] = *c;
	return 0;
}

static bool served_anywhere(const struct engine_hall *hall, int s)
{
	for (int w = 0; w < hall->n_windows; w++)
		for (int i = 0; i < hall->windows[w].n_services; i++)
			if (hall->windows[w].services[i].service == s)
				return true;
	return false;
}

/* A rating on the 好差评 scale: mostly satisfied, a few not. */
static int draw_rating(double u)
{
	static const double cumulative[] = {0.55, 0.83, 0.95, 0.98, 1.0};

	for (int k = 0; k < 5; k++)
		if (u < cumulative[k])
			return k + 1;
	return 5;
}

static int draw_handling(const struct engine_hall *hall, const struct model_params *p, int s,
			 struct model_rng *r)
{
	double median = p->handling_median * hall->services[s].standard_min * 60.0;
	double h = model_lognormal(r, median, p->handling_sigma);

	return h < MIN_HANDLING_S ? MIN_HANDLING_S : (int)lround(h);
}

/* The attributes of one citizen: a fixed number of draws from r. */
static void draw_citizen(const struct engine_hall *hall, const struct model_params *p,
			 struct model_rng *r, struct model_citizen *c)
{
	double u_class = model_uniform(r), u_slot = model_uniform_in(r, 120, 900);
	double u_show = model_uniform(r);
	double u_event = model_uniform(r), u_at = model_uniform_in(r, 0.2, 0.7);
	double u_hold = model_uniform_in(r, p->hold_min_s, p->hold_max_s);
	double u_to = model_uniform(r);
	double u_rate = model_uniform(r), u_rating = model_uniform(r);
	double u_rate_after = model_uniform_in(r, 3, 25);
	double u_pause = model_uniform(r), u_reason = model_uniform(r);
	double u_pause_s = model_uniform_in(r, p->pause_min_s, p->pause_max_s);

	c->walk_s = (int)lround(model_uniform_in(r, p->walk_min_s, p->walk_max_s));
	c->walk2_s = (int)lround(model_uniform_in(r, p->walk_min_s, p->walk_max_s));
	c->handling_s = draw_handling(hall, p, c->service, r);

	c->cls = ENGINE_CLASS_NORMAL;
	c->slot_s = 0;
	if (u_class < p->green_share) {
		c->cls = ENGINE_CLASS_GREEN;
	} else if (u_class < p->green_share + p->appointment_share) {
		/* booked for a slot on the next 5 minutes after a short while */
		c->cls = ENGINE_CLASS_APPOINTMENT;
		c->slot_s = ((c->arrive_s + (int64_t)u_slot + 299) / 300) * 300;
	}
	c->no_show = u_show < p->no_show_share;

	/* hold or transfer, at most one of them */
	c->hold_s = 0;
	c->transfer_to = -1;
	if (u_event < p->hold_share) {
		c->hold_s = (int)lround(u_hold);
		c->hold_at = u_at;
	} else if (u_event < p->hold_share + p->transfer_share) {
		int others[ENGINE_MAX_SERVICES], n = 0;
		for (int s = 0; s < hall->n_services; s++)
			if (s != c->service && served_anywhere(hall, s))
				others[n++] = s;
		if (n > 0) {
			c->transfer_to = others[(int)(u_to * n) < n ? (int)(u_to * n) : n - 1];
			c->transfer_at = u_at;
		}
	}
	c->handling2_s =
	    draw_handling(hall, p, c->transfer_to >= 0 ? c->transfer_to : c->service, r);

	c->rating = u_rate < p->rating_share ? draw_rating(u_rating) : 0;
	c->rate_after_s = (int)u_rate_after;
	c->pause_reason = -1;
	c->pause_s = 0;
	if (u_pause < p->pause_share && hall->queue.n_pause_reasons > 0) {
		c->pause_reason = (int)(u_reason * hall->queue.n_pause_reasons);
		if (c->pause_reason >= hall->queue.n_pause_reasons)
			c->pause_reason = hall->queue.n_pause_reasons - 1;
		c->pause_s = (int)lround(u_pause_s);
	}
}

/* Non-homogeneous Poisson arrivals of service s over the day, by thinning
 * a homogeneous process at the peak intensity; appended to d. */
static int plan_arrivals(const struct engine_hall *hall, const struct model_params *p,
			 double volume, int s, uint64_t seed, int32_t day, struct model_day *d)
{
	double integral = 0, peak = 0; /* of profile x open, in minutes */
	struct model_rng arrivals, attrs;

	for (int m = 0; m < 1440; m++)
		if (service_open(hall, s, m)) {
			double w = profile(m + 0.5);
			integral += w;
			peak = w > peak ? w : peak;
		}
	if (integral <= 0 || volume <= 0)
		return 0;
	model_rng_seed(&arrivals, seed, day, STREAM_ARRIVALS + (uint64_t)s);
	model_rng_seed(&attrs, seed, day, STREAM_CITIZENS + (uint64_t)s);
	double per_s = volume / integral / 60.0; /* arrivals a second per unit of weight */
	double max_rate = per_s * peak;
	for (double t = model_exponential(&arrivals, 1.0 / max_rate); t < DAY_S;
	     t += model_exponential(&arrivals, 1.0 / max_rate)) {
		int minute = (int)(t / 60.0);
		double keep = model_uniform(&arrivals);
		if (!service_open(hall, s, minute) || keep * peak >= profile(t / 60.0))
			continue;
		struct model_citizen c = {.arrive_s = d->midnight_s + (int64_t)t, .service = s};
		draw_citizen(hall, p, &attrs, &c);
		if (push_citizen(d, &c) != 0)
			return -1;
	}
	return 0;
}

static void plan_staff(const struct engine_hall *hall, const struct model_params *p, uint64_t seed,
		       int32_t day, struct model_day *d)
{
	const struct engine_hours *h = &hall->hours;

	for (int w = 0; w < hall->n_windows; w++) {
		struct model_rng r;
		model_rng_seed(&r, seed, day, STREAM_STAFF + (uint64_t)w);
		for (int k = 0; k < ENGINE_MAX_PERIODS; k++) {
			double late = model_uniform(&r), when = model_uniform(&r);
			if (k >= h->n_sessions) {
				d->staff[w].login_s[k] = -1;
				continue;
			}
			double start = h->sessions[k].start_min * 60.0, from, to;
			if (late < p->late_share) {
				from = start;
				to = start + (k == 0 ? 1800 : 1200);
			} else if (k == 0 && h->sign_in.end_min > h->sign_in.start_min) {
				from = h->sign_in.start_min * 60.0;
				to = h->sign_in.end_min * 60.0;
			} else {
				from = start - 900;
				to = start;
			}
			d->staff[w].login_s[k] =
			    d->midnight_s + (int64_t)(from + when * (to - from));
		}
	}
}

int model_plan_day(const struct engine_hall *hall, const struct model_params *p,
		   const double *volume, uint64_t seed, int32_t day, int wday, int64_t midnight_s,
		   struct model_day *out)
{
	struct model_day by_service = {.midnight_s = midnight_s};
	int start[ENGINE_MAX_SERVICES + 1] = {0}, at[ENGINE_MAX_SERVICES];
	int rc = 0;

	out->midnight_s = midnight_s;
	out->n_citizens = 0;
	for (int w = 0; w < ENGINE_MAX_WINDOWS; w++)
		for (int k = 0; k < ENGINE_MAX_PERIODS; k++)
			out->staff[w].login_s[k] = -1;
	if (wday < 0 || wday > 6 || !(hall->hours.workdays & (1u << wday)))
		return 0;
	plan_staff(hall, p, seed, day, out);
	for (int s = 0; s < hall->n_services && rc == 0; s++) {
		start[s] = by_service.n_citizens;
		rc = plan_arrivals(hall, p, volume[s], s, seed, day, &by_service);
	}
	start[hall->n_services] = by_service.n_citizens;
	/* merge the services' lists by arrival time, services in order on a tie */
	for (int s = 0; s < hall->n_services; s++)
		at[s] = start[s];
	for (int i = 0; rc == 0 && i < by_service.n_citizens; i++) {
		int best = -1;
		for (int s = 0; s < hall->n_services; s++)
			if (at[s] < start[s + 1] &&
			    (best < 0 || by_service.citizens[at[s]].arrive_s <
					     by_service.citizens[at[best]].arrive_s))
				best = s;
		rc = push_citizen(out, &by_service.citizens[at[best]++]);
	}
	model_day_free(&by_service);
	return rc;
}

void model_day_free(struct model_day *d)
{
	free(d->citizens);
	d->citizens = NULL;
	d->n_citizens = d->cap_citizens = 0;
}
