/*
 * subjects.c — the subjects of a report being computed: its services,
 * windows and staff members, found by id or number and added on first
 * sight, with every array that runs parallel to them, and put in the
 * report's order at the end.
 *
 * Room: hostd/eval, part of eval_compute(). The config's services and
 * windows come first (a window's index is then its config index, which
 * the list of windows serving each service relies on); services, windows
 * and staff the journal or the supervisors' records name that the config
 * lacks are added as they appear. The order of docs/evaluation.md is made
 * only once the figures are final: config services in config order, then
 * others by id; config windows by number, then others by number; staff
 * by id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/compute_internal.h"

/* Makes room for one more item in an array of *cap items. */
static bool grow(void **items, int cap, int new_cap, size_t item_size)
{
	void *p = realloc(*items, (size_t)new_cap * item_size);

	if (!p)
		return false;
	memset((char *)p + (size_t)cap * item_size, 0, (size_t)(new_cap - cap) * item_size);
	*items = p;
	return true;
}

static int next_cap(int cap)
{
	return cap ? cap * 2 : 16;
}

int eval_run_service(struct eval_run *run, const char *id)
{
	struct eval_report *r = run->r;

	for (int s = 0; s < r->n_services; s++)
		if (strcmp(r->services[s].id, id) == 0)
			return s;
	if (r->n_services == run->cap_services) {
		int cap = run->cap_services, new_cap = next_cap(cap);
		if (!grow((void **)&r->services, cap, new_cap, sizeof(*r->services)) ||
		    !grow((void **)&run->service_samples, cap, new_cap,
			  sizeof(*run->service_samples)) ||
		    !grow((void **)&run->day.service_waiting, cap, new_cap,
			  sizeof(*run->day.service_waiting)))
			return -1;
		run->cap_services = new_cap;
	}
	struct eval_service_record *rec = &r->services[r->n_services];
	snprintf(rec->id, sizeof(rec->id), "%s", id);
	int c = config_service_index(run->cfg, id);
	if (c >= 0) {
		const struct engine_service *svc = &run->cfg->hall.services[c];
		snprintf(rec->name, sizeof(rec->name), "%s", svc->name);
		rec->standard_min = svc->standard_min;
		rec->wait_target_min = svc->wait_target_min;
		rec->takes_appointments = svc->appointment.mode != ENGINE_APPOINTMENT_NONE;
	}
	return r->n_services++;
}

static unsigned window_hash(int number)
{
	return (unsigned)number * 2654435761u;
}

int eval_run_find_window(const struct eval_run *run, int number)
{
	unsigned mask = (unsigned)run->cap_window_slots - 1;

	if (!run->cap_window_slots)
		return -1;
	for (unsigned i = window_hash(number) & mask;; i = (i + 1) & mask) {
		int slot = run->window_slots[i];
		if (slot == 0)
			return -1;
		if (run->r->windows[slot - 1].number == number)
			return slot - 1;
	}
}

/* Rebuilds the table of window numbers, twice as large as the windows. */
static bool index_windows(struct eval_run *run)
{
	int cap = 16;

	while (cap < 2 * (run->r->n_windows + 1))
		cap *= 2;
	int *slots = calloc((size_t)cap, sizeof(*slots));
	if (!slots)
		return false;
	free(run->window_slots);
	run->window_slots = slots;
	run->cap_window_slots = cap;
	for (int w = 0; w < run->r->n_windows; w++) {
		unsigned mask = (unsigned)cap - 1,
			 i = window_hash(run->r->windows[w].number) & mask;
		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = w + 1;
	}
	return true;
}

static bool grow_windows(struct eval_run *run)
{
	int cap = run->cap_windows, new_cap = next_cap(cap);

	if (!grow((void **)&run->r->windows, cap, new_cap, sizeof(*run->r->windows)) ||
	    !grow((void **)&run->window_samples, cap, new_cap, sizeof(*run->window_samples)) ||
	    !grow((void **)&run->window_in_config, cap, new_cap, sizeof(*run->window_in_config)) ||
	    !grow((void **)&run->day.windows, cap, new_cap, sizeof(*run->day.windows)))
		return false;
	run->cap_windows = new_cap;
	return true;
}

/* Adds window `number` (config window c, or -1). */
static int add_window(struct eval_run *run, int number, int c)
{
	struct eval_report *r = run->r;

	if (r->n_windows == run->cap_windows && !grow_windows(run))
		return -1;
	int w = r->n_windows++;
	r->windows[w].number = number;
	if (c >= 0)
		snprintf(r->windows[w].name, sizeof(r->windows[w].name), "%s",
			 run->cfg->hall.windows[c].name);
	run->window_in_config[w] = c >= 0;
	eval_day_reset_window(run, w);
	if (2 * (r->n_windows + 1) > run->cap_window_slots)
		return index_windows(run) ? w : -1;
	unsigned mask = (unsigned)run->cap_window_slots - 1, i = window_hash(number) & mask;
	while (run->window_slots[i])
		i = (i + 1) & mask;
	run->window_slots[i] = w + 1;
	return w;
}

int eval_run_window(struct eval_run *run, int number)
{
	int w = eval_run_find_window(run, number);

	return w >= 0 ? w : add_window(run, number, -1);
}

int eval_run_find_staff(const struct eval_run *run, const char *id)
{
	for (int s = 0; s < run->r->n_staff; s++)
		if (strcmp(run->r->staff[s].id, id) == 0)
			return s;
	return -1;
}

int eval_run_staff(struct eval_run *run, const char *id)
{
	struct eval_report *r = run->r;
	int s = eval_run_find_staff(run, id);

	if (s >= 0)
		return s;
	if (r->n_staff == run->cap_staff) {
		int cap = run->cap_staff, new_cap = next_cap(cap);
		if (!grow((void **)&r->staff, cap, new_cap, sizeof(*r->staff)) ||
		    !grow((void **)&run->staff_samples, cap, new_cap,
			  sizeof(*run->staff_samples)) ||
		    !grow((void **)&run->day.staff_signed_in, cap, new_cap,
			  sizeof(*run->day.staff_signed_in)))
			return -1;
		run->cap_staff = new_cap;
	}
	struct eval_staff_record *rec = &r->staff[r->n_staff];
	const struct config_staff *known = config_staff(run->cfg, id);
	snprintf(rec->id, sizeof(rec->id), "%s", id);
	if (known)
		snprintf(rec->name, sizeof(rec->name), "%s", known->name);
	return r->n_staff++;
}

bool eval_run_add_config(struct eval_run *run)
{
	const struct engine_hall *hall = &run->cfg->hall;
	int n = 0;

	for (int s = 0; s < hall->n_services; s++)
		if (eval_run_service(run, hall->services[s].id) != s)
			return false;
	for (int w = 0; w < hall->n_windows; w++)
		if (add_window(run, hall->windows[w].number, w) != w)
			return false;
	/* who serves each service: window index = config index */
	for (int s = 0; s < hall->n_services; s++) {
		run->servers_first[s] = n;
		for (int w = 0; w < hall->n_windows; w++)
			for (int k = 0; k < hall->windows[w].n_services; k++)
				if (hall->windows[w].services[k].service == s)
					run->servers[n++] = w;
	}
	run->servers_first[hall->n_services] = n;
	return true;
}

/* ---- the report's order ---- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Staff ids are numbers (1..65535): 9 before 10; other ids by bytes. */
static int compare_ids(const char *a, const char *b)
{
	if (all_digits(a) && all_digits(b)) {
		size_t la = strlen(a), lb = strlen(b);
		while (la > 1 && *a == '0')
			a++, la--;
		while (lb > 1 && *b == '0')
			b++, lb--;
		if (la != lb)
			return la < lb ? -1 : 1;
	}
	return strcmp(a, b);
}

static int compare_staff(const void *a, const void *b)
{
	return compare_ids(((const struct eval_staff_record *)a)->id,
			   ((const struct eval_staff_record *)b)->id);
}

static int compare_services(const void *a, const void *b)
{
	return strcmp(((const struct eval_service_record *)a)->id,
		      ((const struct eval_service_record *)b)->id);
}

static int compare_windows(const void *a, const void *b)
{
	int x = ((const struct eval_window_record *)a)->number;
	int y = ((const struct eval_window_record *)b)->number;

	return (x > y) - (x < y);
}

/* qsort, which must not be given a NULL array even for no items */
static void sort_items(void *items, int n, size_t size, int (*compare)(const void *, const void *))
{
	if (n > 1)
		qsort(items, (size_t)n, size, compare);
}

bool eval_run_sort_subjects(struct eval_run *run)
{
	struct eval_report *r = run->r;
	int n_config = run->cfg->hall.n_services, n_in_config = 0;

	if (r->n_services > n_config)
		sort_items(r->services + n_config, r->n_services - n_config, sizeof(*r->services),
			   compare_services);
	sort_items(r->staff, r->n_staff, sizeof(*r->staff), compare_staff);
	/* config windows (the first ones) by number, then the others */
	for (int w = 0; w < r->n_windows; w++)
		n_in_config += run->window_in_config[w];
	sort_items(r->windows, n_in_config, sizeof(*r->windows), compare_windows);
	sort_items(r->windows + n_in_config, r->n_windows - n_in_config, sizeof(*r->windows),
		   compare_windows);
	return index_windows(run);
}

void eval_run_free_subjects(struct eval_run *run)
{
	for (int s = 0; s < run->cap_services && run->service_samples; s++)
		for (int d = 0; d < EVAL_DUR_COUNT; d++)
			eval_samples_free(&run->service_samples[s].d[d]);
	for (int w = 0; w < run->cap_windows && run->window_samples; w++)
		for (int d = 0; d < EVAL_DUR_COUNT; d++)
			eval_samples_free(&run->window_samples[w].d[d]);
	for (int s = 0; s < run->cap_staff && run->staff_samples; s++)
		for (int d = 0; d < EVAL_DUR_COUNT; d++)
			eval_samples_free(&run->staff_samples[s].d[d]);
	for (int d = 0; d < EVAL_DUR_COUNT; d++)
		eval_samples_free(&run->hall_samples.d[d]);
	free(run->service_samples);
	free(run->window_samples);
	free(run->staff_samples);
	free(run->window_in_config);
	free(run->window_slots);
	run->service_samples = run->window_samples = run->staff_samples = NULL;
	run->window_in_config = NULL;
	run->window_slots = NULL;
}
