/*
 * bench_dispatch.c — how good the engine's dispatch and estimates are, in
 * simulated time with hallsim fast mode's models (tools/hallsim) and the
 * real engine, in-process, no store. A program, not a test: it prints the
 * lines issue 8 names, and "name: value unit" lines.
 *
 *   mmc c=C load=RHO mean_service_s=S theory_wait_s=X sim_wait_s=Y
 *       one service, C windows, Poisson arrivals, exponential handling (an
 *       M/M/c queue) through the engine's call_next; X is Erlang C computed
 *       here from the formula, Y the simulated mean wait; target
 *       |Y - X| / X <= 5 %. The 999 numbers a service has a day are spread
 *       over 16 identical services every window serves at level 1 (the
 *       engine then calls the longest wait across them: one FCFS queue,
 *       checked: tickets are called in the order they were issued); each
 *       day runs 00:00-22:00 and its first hours (three relaxation times)
 *       are discarded as warm-up.
 *   policy=NAME mean_wait_s=X p90_wait_s=Y over_target_share=Z
 *       the demo hall at its realistic load for 20 weeks with the same citizens (common
 *       random numbers) under hallq's dispatch (the config as it is),
 *       dedicated (each window serves only its level-1 services) and pooled
 *       (every window serves every service at level 1: the pooled lower
 *       bound); and hallq_all_services, hallq's dispatch with every window
 *       also taking every service it lacks at level 3 (its own services
 *       first, the rest only when nothing of its own waits or a ticket is
 *       over its wait target): how much of the gap to pooled is the
 *       config's coverage rather than the dispatch rule. A wait is issue to
 *       first call; a ticket never called waits
 *       until the last window of its day logs out. over_target_share: waits
 *       over the service's wait_target_minutes.
 *   estimate=hallq mae_s=X, estimate=naive mae_s=Y
 *       a simulated week of the demo hall: mean absolute error, against the
 *       actual wait, of the estimate the engine gives at issue (whole
 *       minutes) and of the naive one: people ahead x the service's mean
 *       handling time so far in the run / the windows configured to serve
 *       the service (any level, logged in or not).
 *
 * usage: bench_dispatch [--quick] [--config FILE] [--seed N]
 *   --quick: small counts, a check that it runs (not a measurement)
 */
#define _DEFAULT_SOURCE /* setenv */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "engine/engine.h"
#include "model.h"
#include "sim.h"

#ifndef HALLQ_CONFIG
#define HALLQ_CONFIG "config/hall.json"
#endif

enum {
	MMC_SERVICES = 16, /* a window serves at most ENGINE_MAX_WINDOW_SERVICES */
	MMC_ARRIVALS_END_S = 22 * 3600,
	DAY_S = 86400,
	FIRST_DAY = 20260302, /* a Monday */
};

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "bench_dispatch: out of memory\n");
		exit(1);
	}
	return p;
}

/* ---- M/M/c ---- */

/* Erlang C: the mean wait in queue of an M/M/c with c servers at load rho
 * (per server) and mean service time s. */
static double erlang_c_wait(int c, double rho, double s)
{
	double a = c * rho, term = 1, sum = 0;

	for (int k = 0; k < c; k++) {
		sum += term; /* a^k / k! */
		term *= a / (k + 1);
	}
	double top = term / (1 - rho); /* a^c / c! / (1 - rho) */
	double p_wait = top / (sum + top);
	return p_wait * s / (c - a);
}

static void mmc_hall(struct engine_hall *h, int c, double service_s)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "M/M/%d", c);
	h->hours.workdays = 0x7F;
	h->hours.sessions[0] = (struct engine_period){0, 1440};
	h->hours.n_sessions = 1;
	for (int s = 0; s < MMC_SERVICES; s++) {
		struct engine_service *svc = &h->services[s];
		snprintf(svc->id, sizeof(svc->id), "queue-%02d", s);
		snprintf(svc->name, sizeof(svc->name), "queue %02d", s);
		svc->prefix[0] = (char)('A' + s);
		svc->standard_min = (int)(service_s / 60) > 0 ? (int)(service_s / 60) : 1;
		svc->wait_target_min = 100000; /* never over: one FCFS queue */
	}
	h->n_services = MMC_SERVICES;
	for (int w = 0; w < c; w++) {
		h->windows[w].number = w + 1;
		snprintf(h->windows[w].name, sizeof(h->windows[w].name), "window %d", w + 1);
		for (int s = 0; s < MMC_SERVICES; s++)
			h->windows[w].services[s] = (struct engine_window_service){s, 1};
		h->windows[w].n_services = MMC_SERVICES;
	}
	h->n_windows = c;
	h->queue.estimate_recent_tickets = 20;
}

static int mmc_apply(struct engine *e, enum engine_op op, int w, int service, int32_t day,
		     int64_t base_s, double t, struct engine_result *res)
{
	struct engine_command cmd = {.op = op,
				     .window = w,
				     .service = service,
				     .target_window = -1,
				     .ticket = ENGINE_NO_TICKET,
				     .reason = -1};
	int64_t s = (int64_t)t;

	cmd.clock = (struct engine_clock){base_s + s, day, (int16_t)(s / 60 % 1440), 1};
	snprintf(cmd.staff, sizeof(cmd.staff), "%d", 100 + w);
	return engine_apply(e, &cmd, res);
}

struct mmc_run {
	double wait_sum;
	long n;
	double day_mean_sum, day_mean_sq; /* over days, for the confidence interval */
	int days;
	long fcfs_violations; /* calls out of issue order */
	long customers;
};

struct mmc_server {
	bool busy;
	double until;
};

/* Waits of the customers of one day (arrivals in [warmup_s, 22:00)). */
static void mmc_day(struct engine *e, int c, double rho, double service_s, double warmup_s,
		    struct model_rng *r, int32_t day, int64_t base_s, double *arrived,
		    struct mmc_run *run)
{
	struct mmc_server server[ENGINE_MAX_WINDOWS] = {{0}};
	struct engine_result res;
	double lambda = c * rho / service_s, next = model_exponential(r, 1 / lambda);
	double wait_sum = 0;
	long n = 0, issued = 0;
	uint32_t last_called = 0;
	bool any_called = false;

	for (int w = 0; w < c; w++)
		mmc_apply(e, ENGINE_OP_LOGIN, w, -1, day, base_s, 0, &res);
	for (;;) {
		int first = -1;
		for (int w = 0; w < c; w++)
			if (server[w].busy && (first < 0 || server[w].until < server[first].until))
				first = w;
		bool arrival =
		    next < MMC_ARRIVALS_END_S && (first < 0 || next <= server[first].until);
		double t;
		int w;
		if (arrival) {
			t = next;
			next += model_exponential(r, 1 / lambda);
			/* round robin over the services: each keeps below 999 a day */
			if (mmc_apply(e, ENGINE_OP_ISSUE, -1, (int)(issued++ % MMC_SERVICES), day,
				      base_s, t, &res) != ENGINE_OK) {
				fprintf(stderr, "bench_dispatch: issue refused (too many a day)\n");
				exit(1);
			}
			arrived[res.ticket] = t;
			for (w = 0; w < c && server[w].busy; w++)
				;
			if (w == c)
				continue; /* all busy: it waits */
		} else if (first >= 0) {
			w = first;
			t = server[w].until;
			mmc_apply(e, ENGINE_OP_FINISH, w, -1, day, base_s, t, &res);
			server[w].busy = false;
		} else {
			break;
		}
		if (mmc_apply(e, ENGINE_OP_CALL_NEXT, w, -1, day, base_s, t, &res) != ENGINE_OK)
			continue; /* nobody waits: idle */
		run->fcfs_violations += any_called && res.ticket != last_called + 1;
		last_called = res.ticket;
		any_called = true;
		server[w].busy = true;
		server[w].until = t + model_exponential(r, service_s);
		if (arrived[res.ticket] >= warmup_s) {
			wait_sum += t - arrived[res.ticket];
			n++;
		}
	}
	run->customers += issued;
	run->fcfs_violations += last_called + 1 != (uint32_t)issued; /* someone never called */
	run->wait_sum += wait_sum;
	run->n += n;
	if (n > 0) {
		double mean = wait_sum / (double)n;
		run->day_mean_sum += mean;
		run->day_mean_sq += mean * mean;
		run->days++;
	}
}

static void bench_mmc(uint64_t seed, bool quick)
{
	static const struct {
		int c;
		double rho, service_s;
		int days;
	} points[] = {{2, 0.70, 60, 1000}, {5, 0.85, 60, 600}, {10, 0.93, 60, 400}};
	struct engine_hall *hall = xcalloc(1, sizeof(*hall));
	double t0 = seconds(), worst = 0;
	long customers = 0, violations = 0;

	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		int c = points[i].c, days = quick ? 2 : points[i].days;
		double rho = points[i].rho, s = points[i].service_s;
		double sq = 1 - sqrt(rho);
		double relax_s = s / (c * sq * sq); /* heavy-traffic relaxation time */
		double warmup_s = 3 * relax_s > 3600 ? 3 * relax_s : 3600;
		struct mmc_run run = {0};
		mmc_hall(hall, c, s);
		struct engine *e = engine_new(hall, FIRST_DAY);
		double *arrived = xcalloc((size_t)MMC_SERVICES * ENGINE_MAX_QUOTA, sizeof(double));
		if (!e) {
			fprintf(stderr, "bench_dispatch: out of memory\n");
			exit(1);
		}
		for (int d = 0; d < days; d++) {
			struct model_rng r;
			struct engine_result res;
			int32_t day = FIRST_DAY + d; /* a label: the engine does not read it */
			int64_t base_s = 1772380800 + (int64_t)d * DAY_S;
			model_rng_seed(&r, seed, d, 7000 + i);
			if (d > 0)
				engine_open_day(e, day);
			mmc_day(e, c, rho, s, warmup_s, &r, day, base_s, arrived, &run);
			mmc_apply(e, ENGINE_OP_CLOSE_DAY, -1, -1, day, base_s, DAY_S - 1, &res);
		}
		engine_free(e);
		free(arrived);
		double theory = erlang_c_wait(c, rho, s), sim = run.wait_sum / (double)run.n;
		double mean = run.day_mean_sum / run.days;
		double var =
		    run.days > 1 ? (run.day_mean_sq - run.days * mean * mean) / (run.days - 1) : 0;
		double ci95 = 1.96 * sqrt(var > 0 ? var / run.days : 0);
		double rel = fabs(sim - theory) / theory;
		printf(
		    "mmc c=%d load=%.2f mean_service_s=%.0f theory_wait_s=%.1f sim_wait_s=%.1f\n",
		    c, rho, s, theory, sim);
		printf("mmc_c%d_rel_error: %.4f ratio (target <= 0.05; 95%% interval of the "
		       "simulation +-%.1f s, %ld waits, warm-up %.0f s a day)\n",
		       c, rel, ci95, run.n, warmup_s);
		worst = rel > worst ? rel : worst;
		customers += run.customers;
		violations += run.fcfs_violations;
	}
	double took = seconds() - t0;
	printf("mmc_max_rel_error: %.4f ratio (target <= 0.05)\n", worst);
	printf("mmc_fcfs_violations: %ld calls (target 0: one queue, first come first served)\n",
	       violations);
	printf("mmc_customers_per_s: %.0f customers/s (%ld through the engine in %.2f s)\n",
	       customers / took, customers, took);
	free(hall);
}

/* ---- the demo hall: policies and estimates ---- */

struct waits {
	double *wait_s;
	size_t n, cap;
	long over_target, uncalled;
};

static void waits_add(struct waits *w, double wait_s)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 4096;
		w->wait_s = realloc(w->wait_s, w->cap * sizeof(*w->wait_s));
		if (!w->wait_s) {
			fprintf(stderr, "bench_dispatch: out of memory\n");
			exit(1);
		}
	}
	w->wait_s[w->n++] = wait_s;
}

static void waits_day_end(void *arg, const struct engine *e, int64_t staff_gone_s)
{
	struct waits *w = arg;
	const struct engine_hall *hall = engine_hall(e);

	for (uint32_t id = 0; id < engine_ticket_count(e); id++) {
		const struct engine_ticket *t = engine_ticket(e, id);
		int64_t until = t->first_called_s ? t->first_called_s : staff_gone_s;
		double wait = until > t->issued_s ? (double)(until - t->issued_s) : 0;
		waits_add(w, wait);
		w->uncalled += t->first_called_s == 0;
		w->over_target += wait > hall->services[t->issued_service].wait_target_min * 60.0;
	}
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static const char *const *staff_ids(const struct config *cfg)
{
	static const char *ids[ENGINE_MAX_WINDOWS];

	for (int w = 0; w < cfg->n_staff && w < ENGINE_MAX_WINDOWS; w++)
		ids[w] = cfg->staff[w].id;
	return ids;
}

/* Runs days calendar days from FIRST_DAY; returns the workdays run. */
static int run_days(const struct config *cfg, const struct engine_hall *hall, const double *volume,
		    uint64_t seed, int days, struct sim_hooks hooks, struct sim **out)
{
	struct sim_config sc = {.hall = hall,
				.volume = volume,
				.seed = seed,
				.staff = staff_ids(cfg),
				.n_staff = cfg->n_staff,
				.hooks = hooks};
	struct sim_day_summary sum;
	int workdays = 0;

	model_default_params(&sc.params);
	struct sim *s = sim_new(&sc);
	if (!s) {
		fprintf(stderr, "bench_dispatch: out of memory\n");
		exit(1);
	}
	if (out)
		*out = s;
	for (int d = 0; d < days; d++) {
		struct tm tm = {.tm_year = FIRST_DAY / 10000 - 1900,
				.tm_mon = FIRST_DAY / 100 % 100 - 1,
				.tm_mday = FIRST_DAY % 100 + d,
				.tm_hour = 12,
				.tm_isdst = -1};
		mktime(&tm);
		int32_t day = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
		if (sim_run_day(s, day, &sum) != 0) {
			fprintf(stderr, "bench_dispatch: %s\n", sim_error(s));
			exit(1);
		}
		workdays += sum.workday;
	}
	if (!out)
		sim_free(s);
	return workdays;
}

static void policy_hall(const struct engine_hall *from, const char *name, struct engine_hall *to)
{
	*to = *from;
	if (strcmp(name, "dedicated") == 0) {
		for (int w = 0; w < to->n_windows; w++) {
			struct engine_window *win = &to->windows[w];
			int n = 0;
			for (int i = 0; i < win->n_services; i++)
				if (win->services[i].level == 1)
					win->services[n++] = win->services[i];
			win->n_services = n;
		}
	} else if (strcmp(name, "hallq_all_services") == 0) {
		for (int w = 0; w < to->n_windows; w++) {
			struct engine_window *win = &to->windows[w];
			int own = win->n_services;
			for (int s = 0; s < to->n_services; s++) {
				bool has = false;
				for (int i = 0; i < own; i++)
					has = has || win->services[i].service == s;
				if (!has)
					win->services[win->n_services++] =
					    (struct engine_window_service){s, 3};
			}
		}
	} else if (strcmp(name, "pooled") == 0) {
		for (int w = 0; w < to->n_windows; w++) {
			for (int s = 0; s < to->n_services; s++)
				to->windows[w].services[s] = (struct engine_window_service){s, 1};
			to->windows[w].n_services = to->n_services;
		}
	}
}

static void bench_policies(const struct config *cfg, uint64_t seed, bool quick)
{
	static const char *const names[] = {"hallq", "dedicated", "pooled", "hallq_all_services"};
	enum { N_POLICIES = sizeof(names) / sizeof(names[0]) };
	struct model_params p;
	double volume[ENGINE_MAX_SERVICES];
	struct engine_hall *hall = xcalloc(1, sizeof(*hall));
	int days = quick ? 2 : 140, workdays = 0;
	double mean[N_POLICIES] = {0}, t0 = seconds();

	model_default_params(&p);
	model_volumes(&cfg->hall, &p, volume); /* of the hall as it is, for all three */
	for (int k = 0; k < N_POLICIES; k++) {
		struct waits w = {0};
		if (k >= 2 && /* pooled, hallq_all_services: every service on every window */
		    cfg->hall.n_services > ENGINE_MAX_WINDOW_SERVICES) {
			printf("policy=%s skipped: a window serves at most %d services\n", names[k],
			       ENGINE_MAX_WINDOW_SERVICES);
			continue;
		}
		policy_hall(&cfg->hall, names[k], hall);
		workdays += run_days(cfg, hall, volume, seed, days,
				     (struct sim_hooks){.day_end = waits_day_end, .arg = &w}, NULL);
		qsort(w.wait_s, w.n, sizeof(double), compare_double);
		double sum = 0;
		for (size_t i = 0; i < w.n; i++)
			sum += w.wait_s[i];
		mean[k] = w.n ? sum / (double)w.n : 0;
		size_t p90 = w.n ? (size_t)ceil(0.9 * (double)w.n) - 1 : 0;
		printf("policy=%s mean_wait_s=%.1f p90_wait_s=%.1f over_target_share=%.4f\n",
		       names[k], mean[k], w.n ? w.wait_s[p90] : 0.0,
		       w.n ? (double)w.over_target / (double)w.n : 0.0);
		printf("policy_%s_tickets: %zu tickets (%ld never called)\n", names[k], w.n,
		       w.uncalled);
		free(w.wait_s);
	}
	double took = seconds() - t0;
	if (mean[2] > 0 && mean[1] > mean[2])
		printf("policy_hallq_gap_closed: %.3f ratio ((dedicated - hallq) / (dedicated - "
		       "pooled): 1 is the pooled bound)\n",
		       (mean[1] - mean[0]) / (mean[1] - mean[2]));
	if (mean[2] > 0)
		printf("policy_hallq_vs_pooled: %.2f ratio (mean wait)\n", mean[0] / mean[2]);
	if (mean[2] > 0 && mean[3] > 0)
		printf("policy_hallq_all_services_vs_pooled: %.2f ratio (mean wait: the same rule "
		       "with every window covering every service)\n",
		       mean[3] / mean[2]);
	printf("sim_workdays_per_s: %.0f days/s (the demo hall, engine only, %d workdays in %.2f "
	       "s)\n",
	       workdays / took, workdays, took);
	free(hall);
}

struct estimates {
	struct sim *sim;
	int windows_serving[ENGINE_MAX_SERVICES];
	double *hallq_s, *naive_s; /* by ticket id, today */
	double err_hallq, err_naive;
	long n;
};

static void estimates_issued(void *arg, const struct engine *e, const struct model_citizen *c,
			     const struct engine_result *res)
{
	struct estimates *est = arg;
	int windows = est->windows_serving[c->service] > 0 ? est->windows_serving[c->service] : 1;

	(void)e;
	est->hallq_s[res->ticket] = res->estimated_wait_min * 60.0;
	est->naive_s[res->ticket] =
	    res->people_ahead * sim_mean_handling_s(est->sim, c->service) / windows;
}

static void estimates_day_end(void *arg, const struct engine *e, int64_t staff_gone_s)
{
	struct estimates *est = arg;

	(void)staff_gone_s;
	for (uint32_t id = 0; id < engine_ticket_count(e); id++) {
		const struct engine_ticket *t = engine_ticket(e, id);
		if (t->first_called_s == 0)
			continue;
		double actual = (double)(t->first_called_s - t->issued_s);
		est->err_hallq += fabs(est->hallq_s[id] - actual);
		est->err_naive += fabs(est->naive_s[id] - actual);
		est->n++;
	}
}

static void bench_estimates(const struct config *cfg, uint64_t seed, bool quick)
{
	struct estimates est = {0};
	size_t capacity = (size_t)cfg->hall.n_services * ENGINE_MAX_QUOTA;
	struct model_params p;
	double volume[ENGINE_MAX_SERVICES];
	struct sim *s = NULL;

	est.hallq_s = xcalloc(capacity, sizeof(double));
	est.naive_s = xcalloc(capacity, sizeof(double));
	for (int w = 0; w < cfg->hall.n_windows; w++)
		for (int i = 0; i < cfg->hall.windows[w].n_services; i++)
			est.windows_serving[cfg->hall.windows[w].services[i].service]++;
	model_default_params(&p);
	model_volumes(&cfg->hall, &p, volume);
	/* the hook needs the sim for the running mean: make it, then run */
	struct sim_config sc = {
	    .hall = &cfg->hall,
	    .params = p,
	    .volume = volume,
	    .seed = seed,
	    .staff = staff_ids(cfg),
	    .n_staff = cfg->n_staff,
	    .hooks = {.issued = estimates_issued, .day_end = estimates_day_end, .arg = &est}};
	s = sim_new(&sc);
	if (!s) {
		fprintf(stderr, "bench_dispatch: out of memory\n");
		exit(1);
	}
	est.sim = s;
	int days = quick ? 2 : 7;
	for (int d = 0; d < days; d++) {
		struct sim_day_summary sum;
		struct tm tm = {.tm_year = FIRST_DAY / 10000 - 1900,
				.tm_mon = FIRST_DAY / 100 % 100 - 1,
				.tm_mday = FIRST_DAY % 100 + d,
				.tm_hour = 12,
				.tm_isdst = -1};
		mktime(&tm);
		if (sim_run_day(s, (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday,
				&sum) != 0) {
			fprintf(stderr, "bench_dispatch: %s\n", sim_error(s));
			exit(1);
		}
	}
	sim_free(s);
	printf("estimate=hallq mae_s=%.1f\n", est.n ? est.err_hallq / (double)est.n : 0.0);
	printf("estimate=naive mae_s=%.1f\n", est.n ? est.err_naive / (double)est.n : 0.0);
	printf("estimate_tickets: %ld tickets (called, over %d days)\n", est.n, days);
	free(est.hallq_s);
	free(est.naive_s);
}

int main(int argc, char **argv)
{
	const char *config_path = HALLQ_CONFIG;
	struct config_report report = {0};
	uint64_t seed = 1;
	bool quick = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = true;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 10);
		} else {
			fprintf(stderr,
				"usage: bench_dispatch [--quick] [--config FILE] [--seed N]\n");
			return 2;
		}
	}
	struct config *cfg = config_load(config_path, &report);
	if (!cfg) {
		fputs(report.text ? report.text : "", stderr);
		config_report_clear(&report);
		return 2;
	}
	setenv("TZ", cfg->timezone, 1);
	tzset();
	printf("bench_dispatch: %s, seed %llu%s\n", config_path, (unsigned long long)seed,
	       quick ? ", quick (small counts: not a measurement)" : "");
	double t0 = seconds();
	bench_mmc(seed, quick);
	bench_policies(cfg, seed, quick);
	bench_estimates(cfg, seed, quick);
	printf("wall_s: %.2f s\n", seconds() - t0);
	config_free(cfg);
	return 0;
}
