/*
 * day.c — follows one business day of the journal, event by event, and
 * adds what it sees to the report's figures: each ticket (waiting,
 * called, serving, held, final) and each window (logged in with a staff
 * member, paused with a reason, its current ticket, its held tickets).
 *
 * Room: hostd/eval, part of eval_compute(). Reads the `events` rows of one
 * day (hostd/store/store.c journals them; docs/store.md) in id order;
 * never the clock (the report's time is run->now_s). docs/evaluation.md
 * defines every figure counted here.
 *
 * Cost: each event is O(1) but for a service's waiting count going from
 * 0 to 1 or back, which looks at the windows serving that service (to
 * start or stop their idle time); memory is the day's tickets.
 * Time accounts are settled per window: each window keeps the time up
 * to which it has been accounted and, at any change of its state, adds
 * the seconds since then (inside the sessions, before now) to whatever it
 * was doing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "eval/compute_internal.h"

enum { MINUTES_PER_DAY = 1440 };

/* One row of the journal. Window indexes are into the report (-1 none). */
struct event {
	int64_t at_s;
	int minute;
	int op; /* enum engine_op, -1 unknown */
	int window, target;
	const char *service, *ticket, *reason, *staff; /* NULL when the column is */
	int rating;
	bool appointment; /* an issue of class appointment */
};

/* ---- local time and spans ---- */

/* Epoch seconds of a local minute of a day (1440: the next midnight). */
static int64_t local_epoch(int32_t day, int minute)
{
	struct tm tm = {
	    .tm_year = day / 10000 - 1900,
	    .tm_mon = day / 100 % 100 - 1,
	    .tm_mday = day % 100,
	    .tm_min = minute,
	    .tm_isdst = -1,
	};
	return (int64_t)mktime(&tm);
}

static int64_t overlap(int64_t a, int64_t b, int64_t from, int64_t to)
{
	int64_t lo = a > from ? a : from, hi = b < to ? b : to;

	return hi > lo ? hi - lo : 0;
}

static int64_t in_spans(const struct eval_span *spans, int n, int64_t a, int64_t b)
{
	int64_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += overlap(a, b, spans[i].from_s, spans[i].to_s);
	return sum;
}

/* Seconds of [a, b) inside the day's sessions and before the report. */
static int64_t in_hours(const struct eval_run *run, int64_t a, int64_t b)
{
	if (b > run->now_s)
		b = run->now_s;
	return in_spans(run->day.sessions, run->day.n_sessions, a, b);
}

/* The same inside the window's hours outside its leave. */
static int64_t in_open_hours(const struct eval_run *run, const struct eval_window_day *wd,
			     int64_t a, int64_t b)
{
	if (wd->open_first < 0)
		return in_hours(run, a, b);
	if (b > run->now_s)
		b = run->now_s;
	return in_spans(run->day.pool + wd->open_first, wd->n_open, a, b);
}

/* A ticket's duration from a to b, leaving out the breaks between
 * consecutive sessions. */
static int64_t duration(const struct eval_day *d, int64_t a, int64_t b)
{
	int64_t s = b - a;

	if (s <= 0)
		return 0;
	for (int i = 0; i + 1 < d->n_sessions; i++)
		s -= overlap(a, b, d->sessions[i].to_s, d->sessions[i + 1].from_s);
	return s;
}

/* ---- the subjects an event counts for ---- */

/* The window, the staff member logged in there (when any) and the hall. */
struct actors {
	struct eval_figures *f[3];
	struct eval_subject_samples *s[3];
	int n;
};

static void actors_of(struct eval_run *run, int w, struct actors *a)
{
	int staff = run->day.windows[w].staff;

	a->n = 0;
	a->f[a->n] = &run->r->windows[w].f;
	a->s[a->n++] = &run->window_samples[w];
	if (staff >= 0) {
		a->f[a->n] = &run->r->staff[staff].f;
		a->s[a->n++] = &run->staff_samples[staff];
	}
	a->f[a->n] = &run->r->hall;
	a->s[a->n++] = &run->hall_samples;
}

static bool add_samples(const struct actors *a, int which, int64_t value_s)
{
	bool ok = true;

	for (int i = 0; i < a->n; i++)
		ok = eval_samples_add(&a->s[i]->d[which], value_s) && ok;
	return ok;
}

static int hour_of(int minute)
{
	int hour = minute / 60;

	return hour < 0 ? 0 : hour >= EVAL_HOURS ? EVAL_HOURS - 1 : hour;
}

/* ---- windows: time accounts and idleness ---- */

/* Adds the window's time since it was last settled to what it was doing. */
static void settle(struct eval_run *run, int w, int64_t at_s)
{
	struct eval_window_day *wd = &run->day.windows[w];
	int64_t from = wd->since_s;
	struct actors a;

	if (at_s <= from)
		return;
	wd->since_s = at_s;
	if (!wd->logged_in)
		return;
	int64_t in = in_hours(run, from, at_s);
	actors_of(run, w, &a);
	for (int i = 0; i < a.n; i++) {
		a.f[i]->logged_in_s += in;
		if (wd->paused) {
			a.f[i]->paused_s += in;
			a.f[i]->paused_by_reason_s[wd->reason] += in;
		}
		if (wd->idle)
			a.f[i]->idle_s += in;
	}
	if (run->day.counted && !wd->exempt)
		wd->attended_s += in_open_hours(run, wd, from, at_s);
}

static void refresh_idle(struct eval_run *run, int w, int64_t at_s)
{
	struct eval_window_day *wd = &run->day.windows[w];
	bool idle = wd->logged_in && !wd->paused && wd->current < 0 &&
		    (wd->targeted_waiting > 0 || wd->services_waiting > 0);

	if (idle != wd->idle) {
		settle(run, w, at_s);
		wd->idle = idle;
	}
}

/* A service got its first waiting ticket (+1) or lost its last (-1). */
static void service_waiting_changed(struct eval_run *run, int s, int delta, int64_t at_s)
{
	if (s >= run->cfg->hall.n_services)
		return; /* no window serves a service the config lacks */
	for (int k = run->servers_first[s]; k < run->servers_first[s + 1]; k++) {
		int w = run->servers[k];
		run->day.windows[w].services_waiting += delta;
		refresh_idle(run, w, at_s);
	}
}

static void enter_waiting(struct eval_run *run, struct eval_ticket *t, int64_t at_s)
{
	t->state = EVAL_TICKET_WAITING;
	t->window = -1;
	if (t->target >= 0) {
		if (run->day.windows[t->target].targeted_waiting++ == 0)
			refresh_idle(run, t->target, at_s);
	} else if (run->day.service_waiting[t->service]++ == 0) {
		service_waiting_changed(run, t->service, +1, at_s);
	}
}

static void leave_waiting(struct eval_run *run, const struct eval_ticket *t, int64_t at_s)
{
	if (t->target >= 0) {
		if (--run->day.windows[t->target].targeted_waiting == 0)
			refresh_idle(run, t->target, at_s);
	} else if (--run->day.service_waiting[t->service] == 0) {
		service_waiting_changed(run, t->service, -1, at_s);
	}
}

void eval_day_reset_window(struct eval_run *run, int w)
{
	run->day.windows[w] = (struct eval_window_day){
	    .staff = -1,
	    .reason = -1,
	    .current = -1,
	    .first_staff = -1,
	    .since_s = run->day.start_s,
	    .open_first = -1,
	};
}

/* ---- tickets by label ---- */

static unsigned label_hash(const char *label)
{
	unsigned h = 2166136261u;

	for (; *label; label++)
		h = (h ^ (unsigned char)*label) * 16777619u;
	return h;
}

static int find_ticket(const struct eval_day *d, const char *label)
{
	unsigned mask = (unsigned)d->cap_slots - 1;

	if (!label || !d->cap_slots)
		return -1;
	for (unsigned i = label_hash(label) & mask;; i = (i + 1) & mask) {
		int slot = d->ticket_slots[i];
		if (slot == 0)
			return -1;
		if (strcmp(d->tickets[slot - 1].label, label) == 0)
			return slot - 1;
	}
}

static void put_slot(struct eval_day *d, int index)
{
	unsigned mask = (unsigned)d->cap_slots - 1;
	unsigned i = label_hash(d->tickets[index].label) & mask;

	while (d->ticket_slots[i])
		i = (i + 1) & mask;
	d->ticket_slots[i] = index + 1;
}

/* A new ticket of the day (zeroed but for its label), or -1: no memory. */
static int add_ticket(struct eval_day *d, const char *label)
{
	if (d->n_tickets == d->cap_tickets) {
		int cap = d->cap_tickets ? d->cap_tickets * 2 : 1024;
		struct eval_ticket *p = realloc(d->tickets, (size_t)cap * sizeof(*p));
		if (!p)
			return -1;
		d->tickets = p;
		d->cap_tickets = cap;
	}
	if (2 * (d->n_tickets + 1) > d->cap_slots) {
		int cap = d->cap_slots ? d->cap_slots * 2 : 2048;
		int *slots = calloc((size_t)cap, sizeof(*slots));
		if (!slots)
			return -1;
		free(d->ticket_slots);
		d->ticket_slots = slots;
		d->cap_slots = cap;
		for (int i = 0; i < d->n_tickets; i++)
			put_slot(d, i);
	}
	int index = d->n_tickets++;
	struct eval_ticket *t = &d->tickets[index];
	memset(t, 0, sizeof(*t));
	snprintf(t->label, sizeof(t->label), "%s", label);
	put_slot(d, index);
	return index;
}

/* The ticket an event names, or NULL. */
static struct eval_ticket *ticket_of(struct eval_run *run, const struct event *ev)
{
	int i = find_ticket(&run->day, ev->ticket);

	return i >= 0 ? &run->day.tickets[i] : NULL;
}

/* The report's index of a service for eval_figures.served_by_service. */
static int by_service(const struct eval_run *run, int s)
{
	return s < run->cfg->hall.n_services ? s : ENGINE_MAX_SERVICES;
}

/* ---- the operations ---- */

static int on_issue(struct eval_run *run, const struct event *ev)
{
	struct eval_report *r = run->r;

	if (!ev->service || !ev->ticket || find_ticket(&run->day, ev->ticket) >= 0)
		return EVAL_OK; /* not in a journal hostd writes */
	int s = eval_run_service(run, ev->service);
	int i = s < 0 ? -1 : add_ticket(&run->day, ev->ticket);
	if (i < 0)
		return EVAL_ERR_NOMEM;
	struct eval_ticket *t = &run->day.tickets[i];
	t->issued_service = t->service = s;
	t->target = t->window = t->transferred_by = -1;
	t->finish_window = t->finish_staff = t->finish_service = -1;
	t->issued_s = ev->at_s;
	r->hall.issued++;
	r->services[s].issued++;
	r->services[s].appointments += ev->appointment;
	r->hourly_issued[hour_of(ev->minute)]++;
	enter_waiting(run, t, ev->at_s);
	return EVAL_OK;
}

/* Sign-in: the window's first login of a counted day, and the staff
 * member's first login of it at any window checked for attendance (an
 * exempt window's logins are not checked, neither for it nor for them). */
static void note_sign_in(struct eval_run *run, int w, int staff, int64_t at_s)
{
	struct eval_window_day *wd = &run->day.windows[w];

	if (!run->day.counted || wd->exempt)
		return;
	if (!wd->signed_in) {
		wd->signed_in = true;
		wd->first_login_s = at_s;
		wd->first_staff = staff;
	}
	if (staff >= 0 && !run->day.staff_signed_in[staff]) {
		run->day.staff_signed_in[staff] = true;
		/* the window's leave excuses them as it excuses the window */
		if (at_s > run->day.sign_in_end_s &&
		    in_open_hours(run, wd, run->day.start_s, at_s) > 0)
			run->r->staff[staff].f.sign_in_late++;
		else
			run->r->staff[staff].f.sign_in_on_time++;
	}
}

/* Window `number` joins the staff member's ascending list of windows
 * worked at; the list doubles when full (its capacity is the next power
 * of two of n_windows). */
static bool note_worked_at(struct eval_staff_record *s, int number)
{
	int at = 0, n = s->n_windows;

	while (at < n && s->windows[at] < number)
		at++;
	if (at < n && s->windows[at] == number)
		return true;
	if (n == 0 || (n & (n - 1)) == 0) { /* full: 0, 1, 2, 4, 8 ... */
		int *p = realloc(s->windows, (size_t)(n ? 2 * n : 4) * sizeof(*p));
		if (!p)
			return false;
		s->windows = p;
	}
	memmove(s->windows + at + 1, s->windows + at, (size_t)(n - at) * sizeof(*s->windows));
	s->windows[at] = number;
	s->n_windows++;
	return true;
}

static int on_login(struct eval_run *run, const struct event *ev)
{
	int w = ev->window, staff = -1;

	if (ev->staff && *ev->staff && (staff = eval_run_staff(run, ev->staff)) < 0)
		return EVAL_ERR_NOMEM;
	if (staff >= 0 && !note_worked_at(&run->r->staff[staff], run->r->windows[w].number))
		return EVAL_ERR_NOMEM;
	struct eval_window_day *wd = &run->day.windows[w];
	settle(run, w, ev->at_s);
	wd->logged_in = true;
	wd->paused = false;
	wd->staff = staff;
	note_sign_in(run, w, staff, ev->at_s);
	refresh_idle(run, w, ev->at_s);
	return EVAL_OK;
}

static int on_logout(struct eval_run *run, const struct event *ev)
{
	struct eval_window_day *wd = &run->day.windows[ev->window];

	settle(run, ev->window, ev->at_s);
	wd->logged_in = wd->paused = false;
	wd->staff = -1;
	refresh_idle(run, ev->window, ev->at_s);
	return EVAL_OK;
}

static int on_pause(struct eval_run *run, const struct event *ev)
{
	const struct engine_queue_rules *q = &run->cfg->hall.queue;
	struct eval_window_day *wd = &run->day.windows[ev->window];
	int reason = ENGINE_MAX_PAUSE_REASONS; /* others */

	for (int i = 0; ev->reason && i < q->n_pause_reasons; i++)
		if (strcmp(q->pause_reasons[i], ev->reason) == 0)
			reason = i;
	settle(run, ev->window, ev->at_s);
	wd->paused = true;
	wd->reason = reason;
	refresh_idle(run, ev->window, ev->at_s);
	return EVAL_OK;
}

static int on_resume(struct eval_run *run, const struct event *ev)
{
	settle(run, ev->window, ev->at_s);
	run->day.windows[ev->window].paused = false;
	refresh_idle(run, ev->window, ev->at_s);
	return EVAL_OK;
}

/* The first call of a ticket ends its wait. */
static int count_wait(struct eval_run *run, int w, const struct eval_ticket *t, int64_t at_s)
{
	struct eval_service_record *svc = &run->r->services[t->issued_service];
	int64_t wait = duration(&run->day, t->issued_s, at_s);
	struct actors a;
	int bucket = 0;

	actors_of(run, w, &a);
	bool ok = add_samples(&a, EVAL_DUR_WAIT, wait) &&
		  eval_samples_add(&run->service_samples[t->issued_service].d[EVAL_DUR_WAIT], wait);
	while (bucket < EVAL_WAIT_BUCKETS - 1 && wait >= eval_wait_bucket_limits_s[bucket])
		bucket++;
	svc->wait_buckets[bucket]++;
	if (svc->wait_target_min > 0 && wait > (int64_t)svc->wait_target_min * 60) {
		svc->over_wait_target++;
		for (int i = 0; i < a.n; i++)
			a.f[i]->over_wait_target++;
	}
	return ok ? EVAL_OK : EVAL_ERR_NOMEM;
}

static int on_call(struct eval_run *run, const struct event *ev)
{
	struct eval_ticket *t = ticket_of(run, ev);
	int w = ev->window, ret = EVAL_OK;
	struct actors a;

	/* a ticket out of line after a no-show is called again when the engine
	 * had put it back in line after all: the journal decides */
	if (!t || (t->state >= EVAL_TICKET_FINISHED && t->state != EVAL_TICKET_NO_SHOW))
		return EVAL_OK;
	settle(run, w, ev->at_s);
	actors_of(run, w, &a);
	for (int i = 0; i < a.n; i++) {
		a.f[i]->calls++;
		if (t->transferred_by >= 0 && t->transferred_by != w)
			a.f[i]->transfers_in++;
	}
	t->transferred_by = -1;
	if (t->state == EVAL_TICKET_WAITING)
		leave_waiting(run, t, ev->at_s);
	if (!t->first_called)
		ret = count_wait(run, w, t, ev->at_s);
	t->first_called = true;
	t->state = EVAL_TICKET_CALLED;
	t->window = w;
	t->call_s = ev->at_s;
	t->start_s = t->hold_s = 0;
	run->day.windows[w].current = (int)(t - run->day.tickets);
	refresh_idle(run, w, ev->at_s);
	return ret;
}

static int on_recall(struct eval_run *run, const struct event *ev)
{
	struct actors a;

	actors_of(run, ev->window, &a);
	for (int i = 0; i < a.n; i++)
		a.f[i]->recalls++;
	return EVAL_OK;
}

/* The window lets go of its current ticket (gone, held, finished...). */
static void release(struct eval_run *run, int w, const struct eval_ticket *t)
{
	struct eval_window_day *wd = &run->day.windows[w];

	if (wd->current == (int)(t - run->day.tickets))
		wd->current = -1;
}

static int on_no_show(struct eval_run *run, const struct event *ev)
{
	struct eval_ticket *t = ticket_of(run, ev);
	int w = ev->window;
	struct actors a;

	if (!t)
		return EVAL_OK;
	settle(run, w, ev->at_s);
	actors_of(run, w, &a);
	for (int i = 0; i < a.n; i++)
		a.f[i]->no_shows++;
	run->r->services[t->issued_service].no_shows++;
	release(run, w, t);
	t->window = -1;
	/* The journal does not say whether the engine put it back in line: the
	 * config's rule (back in line while no-shows <= no_show_requeue_max) is
	 * the best guess for what waits (idle time, expiry at the close), but
	 * a later call, start, finish or cancel of it is followed whatever the
	 * guess (on_call, on_cancel): the rule may have changed since. */
	if (++t->no_shows <= run->cfg->hall.queue.no_show_requeue_max)
		enter_waiting(run, t, ev->at_s);
	else
		t->state = EVAL_TICKET_NO_SHOW;
	refresh_idle(run, w, ev->at_s);
	return EVAL_OK;
}

static int on_start(struct eval_run *run, const struct event *ev)
{
	struct eval_ticket *t = ticket_of(run, ev);
	struct actors a;

	if (!t || t->state != EVAL_TICKET_CALLED)
		return EVAL_OK;
	settle(run, ev->window, ev->at_s);
	t->state = EVAL_TICKET_SERVING;
	t->start_s = ev->at_s;
	actors_of(run, ev->window, &a);
	return add_samples(&a, EVAL_DUR_WALK, duration(&run->day, t->call_s, ev->at_s))
		   ? EVAL_OK
		   : EVAL_ERR_NOMEM;
}

static int on_hold(struct eval_run *run, const struct event *ev)
{
	struct eval_ticket *t = ticket_of(run, ev);
	int w = ev->window;
	struct actors a;

	if (!t)
		return EVAL_OK;
	settle(run, w, ev->at_s);
	actors_of(run, w, &a);
	for (int i = 0; i < a.n; i++)
		a.f[i]->holds++;
	release(run, w, t);
	t->state = EVAL_TICKET_HELD;
	t->window = w;
	t->hold_from_s = ev->at_s;
	run->day.windows[w].n_held++;
	refresh_idle(run, w, ev->at_s);
	return EVAL_OK;
}

static int on_call_back(struct eval_run *run, const struct event *ev)
{
	struct eval_ticket *t = ticket_of(run, ev);
	int w = ev->window;

	if (!t || t->state != EVAL_TICKET_HELD)
		return EVAL_OK;
	settle(run, w, ev->at_s);
	t->hold_s += duration(&run->day, t->hold_from_s, ev->at_s);
	if (t->window >= 0)
		run->day.windows[t->window].n_held--;
	t->state = EVAL_TICKET_SERVING;
	t->window = w;
	run->day.windows[w].current = (int)(t - run->day.tickets);
	refresh_idle(run, w, ev->at_s);
	return EVAL_OK;
}

/* Handling: service start (the start after the last call, else that call)
 * to finish, minus the time held since. */
static int count_handling(struct eval_run *run, int w, const struct eval_ticket *t, int64_t at_s)
{
	struct eval_service_record *svc = &run->r->services[t->service];
	int64_t start = t->start_s ? t->start_s : t->call_s;
	int64_t handling = duration(&run->day, start, at_s) - t->hold_s;
	struct actors a;

	if (handling < 0)
		handling = 0;
	actors_of(run, w, &a);
	bool ok =
	    add_samples(&a, EVAL_DUR_HANDLING, handling) &&
	    eval_samples_add(&run->service_samples[t->service].d[EVAL_DUR_HANDLING], handling);
	if (svc->standard_min > 0 && handling > (int64_t)svc->standard_min * 60) {
		svc->over_standard++;
		for (int i = 0; i < a.n; i++)
			a.f[i]->over_standard++;
	}
	return ok ? EVAL_OK : EVAL_ERR_NOMEM;
}

static int on_finish(struct eval_run *run, const struct event *ev)
{
	struct eval_ticket *t = ticket_of(run, ev);
	int w = ev->window;
	struct actors a;

	if (!t || (t->state != EVAL_TICKET_CALLED && t->state != EVAL_TICKET_SERVING))
		return EVAL_OK;
	settle(run, w, ev->at_s);
	actors_of(run, w, &a);
	for (int i = 0; i < a.n; i++) {
		a.f[i]->served++;
		a.f[i]->served_by_service[by_service(run, t->service)]++;
	}
	run->r->services[t->service].served++;
	run->r->hourly_served[hour_of(ev->minute)]++;
	int ret = count_handling(run, w, t, ev->at_s);
	t->state = EVAL_TICKET_FINISHED;
	t->finish_window = w;
	t->finish_staff = run->day.windows[w].staff;
	t->finish_service = t->service;
	t->window = -1;
	release(run, w, t);
	refresh_idle(run, w, ev->at_s);
	return ret;
}

static int on_transfer(struct eval_run *run, const struct event *ev)
{
	struct eval_ticket *t = ticket_of(run, ev);
	int w = ev->window, to_service = -1;
	struct actors a;

	if (!t || (t->state != EVAL_TICKET_CALLED && t->state != EVAL_TICKET_SERVING))
		return EVAL_OK;
	if (ev->service && (to_service = eval_run_service(run, ev->service)) < 0)
		return EVAL_ERR_NOMEM;
	if (to_service < 0 && ev->target < 0)
		return EVAL_OK; /* nowhere to go: not a journal hostd writes */
	settle(run, w, ev->at_s);
	actors_of(run, w, &a);
	for (int i = 0; i < a.n; i++)
		a.f[i]->transfers_out++;
	if (to_service >= 0) {
		run->r->services[t->service].transferred_out++;
		run->r->services[to_service].transferred_in++;
		t->service = to_service;
		t->target = -1;
	} else {
		t->target = ev->target;
	}
	t->transferred_by = w;
	t->start_s = t->hold_s = 0;
	release(run, w, t);
	enter_waiting(run, t, ev->at_s);
	refresh_idle(run, w, ev->at_s);
	return EVAL_OK;
}

static int on_cancel(struct eval_run *run, const struct event *ev)
{
	struct eval_ticket *t = ticket_of(run, ev);

	if (!t || (t->state != EVAL_TICKET_WAITING && t->state != EVAL_TICKET_HELD &&
		   t->state != EVAL_TICKET_NO_SHOW))
		return EVAL_OK; /* a no-show the engine put back in line can be cancelled */
	if (t->state == EVAL_TICKET_WAITING)
		leave_waiting(run, t, ev->at_s);
	else if (t->state == EVAL_TICKET_HELD && t->window >= 0)
		run->day.windows[t->window].n_held--;
	t->state = EVAL_TICKET_GONE;
	t->window = -1;
	run->r->hall.cancelled++;
	run->r->services[t->issued_service].cancelled++;
	return EVAL_OK;
}

static bool list_low_rating(struct eval_run *run, const struct eval_ticket *t,
			    const struct event *ev)
{
	struct eval_report *r = run->r;

	if (r->n_low_ratings == run->cap_low_ratings) {
		int cap = run->cap_low_ratings ? 2 * run->cap_low_ratings : 64;
		struct eval_rating_item *p = realloc(r->low_ratings, (size_t)cap * sizeof(*p));
		if (!p)
			return false;
		r->low_ratings = p;
		run->cap_low_ratings = cap;
	}
	struct eval_rating_item *item = &r->low_ratings[r->n_low_ratings++];
	memset(item, 0, sizeof(*item));
	item->day = run->day.day;
	item->at_s = ev->at_s;
	snprintf(item->ticket, sizeof(item->ticket), "%s", t->label);
	snprintf(item->service, sizeof(item->service), "%s", r->services[t->finish_service].id);
	item->window = r->windows[t->finish_window].number;
	if (t->finish_staff >= 0)
		snprintf(item->staff, sizeof(item->staff), "%s", r->staff[t->finish_staff].id);
	item->rating = ev->rating;
	return true;
}

/* A rating counts for the window and staff who finished the ticket. */
static int on_rate(struct eval_run *run, const struct event *ev)
{
	struct eval_ticket *t = ticket_of(run, ev);
	struct eval_figures *f[3];
	int n = 0;

	if (!t || t->state != EVAL_TICKET_FINISHED || t->rated || ev->rating < 1 || ev->rating > 5)
		return EVAL_OK;
	t->rated = true;
	f[n++] = &run->r->windows[t->finish_window].f;
	if (t->finish_staff >= 0)
		f[n++] = &run->r->staff[t->finish_staff].f;
	f[n++] = &run->r->hall;
	for (int i = 0; i < n; i++) {
		f[i]->ratings[ev->rating]++;
		f[i]->rated++;
	}
	if (ev->rating >= ENGINE_RATING_DISSATISFIED && !list_low_rating(run, t, ev))
		return EVAL_ERR_NOMEM;
	return EVAL_OK;
}

/* Every ticket not final expires; every window logs out. */
static int on_close_day(struct eval_run *run, const struct event *ev)
{
	struct eval_day *d = &run->day;

	for (int w = 0; w < run->r->n_windows; w++) {
		struct eval_window_day *wd = &d->windows[w];
		settle(run, w, ev->at_s);
		wd->logged_in = wd->paused = wd->idle = false;
		wd->staff = wd->current = -1;
		wd->n_held = wd->targeted_waiting = wd->services_waiting = 0;
	}
	for (int i = 0; i < d->n_tickets; i++) {
		struct eval_ticket *t = &d->tickets[i];
		if (t->state >= EVAL_TICKET_FINISHED)
			continue;
		t->state = EVAL_TICKET_GONE;
		t->window = -1;
		run->r->hall.expired++;
		run->r->services[t->issued_service].expired++;
	}
	if (run->r->n_services)
		memset(d->service_waiting, 0,
		       (size_t)run->r->n_services * sizeof(*d->service_waiting));
	return EVAL_OK;
}

typedef int (*op_fn)(struct eval_run *run, const struct event *ev);

static const struct {
	op_fn fn;
	bool needs_window;
} ops[ENGINE_OP_COUNT] = {
    [ENGINE_OP_ISSUE] = {on_issue, false},
    [ENGINE_OP_LOGIN] = {on_login, true},
    [ENGINE_OP_LOGOUT] = {on_logout, true},
    [ENGINE_OP_PAUSE] = {on_pause, true},
    [ENGINE_OP_RESUME] = {on_resume, true},
    [ENGINE_OP_CALL_NEXT] = {on_call, true},
    [ENGINE_OP_CALL_TICKET] = {on_call, true},
    [ENGINE_OP_RECALL] = {on_recall, true},
    [ENGINE_OP_NO_SHOW] = {on_no_show, true},
    [ENGINE_OP_START] = {on_start, true},
    [ENGINE_OP_HOLD] = {on_hold, true},
    [ENGINE_OP_CALL_BACK] = {on_call_back, true},
    [ENGINE_OP_FINISH] = {on_finish, true},
    [ENGINE_OP_TRANSFER] = {on_transfer, true},
    [ENGINE_OP_CANCEL] = {on_cancel, false},
    [ENGINE_OP_RATE] = {on_rate, false},
    [ENGINE_OP_CLOSE_DAY] = {on_close_day, false},
};

/* ---- one day ---- */

static const char *column_text(sqlite3_stmt *q, int col)
{
	return (const char *)sqlite3_column_text(q, col);
}

/* The window a column names (added when the config lacks it), -1 none,
 * -2 out of memory. */
static int window_column(struct eval_run *run, sqlite3_stmt *q, int col)
{
	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return -1;
	int w = eval_run_window(run, sqlite3_column_int(q, col));
	if (w < 0)
		return -2;
	run->day.windows[w].seen = true;
	return w;
}

/* Columns: at, minute, op, window, target_window, service, ticket, reason,
 * rating, staff, class. */
static int read_event(struct eval_run *run, sqlite3_stmt *q, struct event *ev)
{
	const char *op = column_text(q, 2);

	ev->at_s = sqlite3_column_int64(q, 0);
	ev->minute = sqlite3_column_int(q, 1);
	ev->op = engine_op_parse(op ? op : "");
	ev->window = window_column(run, q, 3);
	ev->target = window_column(run, q, 4);
	ev->service = column_text(q, 5);
	ev->ticket = column_text(q, 6);
	ev->reason = column_text(q, 7);
	ev->rating = sqlite3_column_int(q, 8);
	ev->staff = column_text(q, 9);
	const char *cls = column_text(q, 10);
	ev->appointment = cls && engine_class_parse(cls) == ENGINE_CLASS_APPOINTMENT;
	return ev->window == -2 || ev->target == -2 ? EVAL_ERR_NOMEM : EVAL_OK;
}

static bool reserve_pool(struct eval_day *d, int need)
{
	if (need <= d->cap_pool)
		return true;
	int cap = d->cap_pool ? d->cap_pool : 32;
	while (cap < need)
		cap *= 2;
	struct eval_span *p = realloc(d->pool, (size_t)cap * sizeof(*p));
	if (!p)
		return false;
	d->pool = p;
	d->cap_pool = cap;
	return true;
}

/* Takes [cut) out of the window's hours; its spans are the pool's last. */
static bool cut_hours(struct eval_day *d, struct eval_window_day *wd, struct eval_span cut)
{
	int n = wd->n_open, m = 0;

	if (!reserve_pool(d, wd->open_first + 2 * n + 1))
		return false;
	struct eval_span *in = d->pool + wd->open_first, *out = in + n;
	for (int i = 0; i < n; i++) {
		struct eval_span x = in[i];
		if (cut.to_s <= x.from_s || cut.from_s >= x.to_s) {
			out[m++] = x;
			continue;
		}
		if (x.from_s < cut.from_s)
			out[m++] = (struct eval_span){x.from_s, cut.from_s};
		if (cut.to_s < x.to_s)
			out[m++] = (struct eval_span){cut.to_s, x.to_s};
	}
	memmove(in, out, (size_t)m * sizeof(*in));
	wd->n_open = m;
	d->n_pool = wd->open_first + m;
	return true;
}

/* Each window with leave today gets its hours outside the leave. The
 * report's leave is sorted by day and window: a window's rows are
 * together. */
static int apply_leave(struct eval_run *run)
{
	struct eval_day *d = &run->day;

	for (int i = 0; i < run->r->n_leave; i++) {
		const struct eval_leave *l = &run->r->leave[i];
		int w = l->day == d->day ? eval_run_find_window(run, l->window) : -1;
		if (w < 0)
			continue;
		struct eval_window_day *wd = &d->windows[w];
		if (wd->open_first < 0) {
			if (!reserve_pool(d, d->n_pool + d->n_sessions))
				return EVAL_ERR_NOMEM;
			wd->open_first = d->n_pool;
			wd->n_open = d->n_sessions;
			memcpy(d->pool + d->n_pool, d->sessions,
			       (size_t)d->n_sessions * sizeof(*d->sessions));
			d->n_pool += d->n_sessions;
		}
		struct eval_span cut = {local_epoch(d->day, l->from_min),
					local_epoch(d->day, l->to_min)};
		if (!cut_hours(d, wd, cut))
			return EVAL_ERR_NOMEM;
	}
	return EVAL_OK;
}

/* evaluation.closed_days: a day the hall did not work is not counted. */
static bool closed_day(const struct eval_run *run, int32_t day)
{
	for (int i = 0; i < run->cfg->eval.n_closed_days; i++)
		if (run->cfg->eval.closed_days[i] == day)
			return true;
	return false;
}

/* evaluation.attendance_exempt_windows: not checked for attendance. */
static bool exempt(const struct eval_run *run, int number)
{
	for (int i = 0; i < run->cfg->eval.n_exempt_windows; i++)
		if (run->cfg->eval.exempt_windows[i] == number)
			return true;
	return false;
}

static int start_day(struct eval_run *run, int32_t day)
{
	const struct engine_hours *h = &run->cfg->hall.hours;
	struct eval_day *d = &run->day;

	d->day = day;
	d->counted = ((h->workdays >> eval_day_wday(day)) & 1u) && !closed_day(run, day);
	d->start_s = local_epoch(day, 0);
	d->end_s = local_epoch(day, MINUTES_PER_DAY);
	d->sign_in_end_s = local_epoch(day, h->sign_in.end_min);
	d->n_sessions = h->n_sessions;
	for (int i = 0; i < h->n_sessions; i++) {
		d->sessions[i].from_s = local_epoch(day, h->sessions[i].start_min);
		d->sessions[i].to_s = local_epoch(day, h->sessions[i].end_min);
	}
	d->n_pool = d->n_tickets = 0;
	if (d->cap_slots)
		memset(d->ticket_slots, 0, (size_t)d->cap_slots * sizeof(*d->ticket_slots));
	for (int w = 0; w < run->r->n_windows; w++) {
		eval_day_reset_window(run, w);
		d->windows[w].exempt =
		    run->window_in_config[w] && exempt(run, run->r->windows[w].number);
	}
	if (run->r->n_services)
		memset(d->service_waiting, 0,
		       (size_t)run->r->n_services * sizeof(*d->service_waiting));
	if (run->r->n_staff)
		memset(d->staff_signed_in, 0, (size_t)run->r->n_staff * sizeof(bool));
	return apply_leave(run);
}

static bool add_attendance(struct eval_run *run, const struct eval_attendance_day *a)
{
	struct eval_report *r = run->r;

	if (r->n_attendance == run->cap_attendance) {
		int cap = run->cap_attendance ? 2 * run->cap_attendance : 64;
		struct eval_attendance_day *p = realloc(r->attendance, (size_t)cap * sizeof(*p));
		if (!p)
			return false;
		r->attendance = p;
		run->cap_attendance = cap;
	}
	r->attendance[r->n_attendance++] = *a;
	return true;
}

/* A counted day's attendance of a window: hours, leave, attended,
 * unattended, its class and its sign-in. */
static int close_attendance(struct eval_run *run, int w)
{
	const struct config_eval *rules = &run->cfg->eval;
	const struct eval_day *d = &run->day;
	const struct eval_window_day *wd = &d->windows[w];
	struct eval_attendance_day a = {.day = d->day, .window = run->r->windows[w].number};
	struct eval_figures *f[2] = {&run->r->windows[w].f, &run->r->hall};

	a.hours_s = in_hours(run, d->start_s, d->end_s);
	a.leave_s = a.hours_s - in_open_hours(run, wd, d->start_s, d->end_s);
	a.unattended_s = a.hours_s - a.leave_s - wd->attended_s;
	if (a.unattended_s < 0)
		a.unattended_s = 0;
	if (a.unattended_s > (int64_t)rules->half_day_min * 60)
		a.cls = EVAL_ATT_ABSENT;
	else if (a.unattended_s > (int64_t)rules->unattended_grace_min * 60)
		a.cls = EVAL_ATT_LEFT_POST;
	/* Late: signed in after the sign-in period while hours not on leave
	 * had begun (leave for the morning makes an afternoon sign-in on
	 * time). No login on a day wholly on leave is not checked. */
	if (!wd->signed_in)
		a.sign_in = a.hours_s > 0 && a.leave_s >= a.hours_s ? EVAL_SIGN_IN_LEAVE
								    : EVAL_SIGN_IN_NONE;
	else if (wd->first_login_s > d->sign_in_end_s &&
		 in_open_hours(run, wd, d->start_s, wd->first_login_s) > 0)
		a.sign_in = EVAL_SIGN_IN_LATE;
	else
		a.sign_in = EVAL_SIGN_IN_ON_TIME;
	if (wd->signed_in) {
		a.first_login_s = wd->first_login_s;
		if (wd->first_staff >= 0)
			snprintf(a.staff, sizeof(a.staff), "%s", run->r->staff[wd->first_staff].id);
	}
	for (int i = 0; i < 2; i++) {
		f[i]->hours_s += a.hours_s;
		f[i]->leave_s += a.leave_s;
		f[i]->attended_s += wd->attended_s;
		f[i]->unattended_s += a.unattended_s;
		f[i]->left_post_days += a.cls == EVAL_ATT_LEFT_POST;
		f[i]->absent_days += a.cls == EVAL_ATT_ABSENT;
		f[i]->sign_in_on_time += a.sign_in == EVAL_SIGN_IN_ON_TIME;
		f[i]->sign_in_late += a.sign_in == EVAL_SIGN_IN_LATE;
		f[i]->sign_in_none += a.sign_in == EVAL_SIGN_IN_NONE;
	}
	return add_attendance(run, &a) ? EVAL_OK : EVAL_ERR_NOMEM;
}

/* Intervals still open end with the day (or the report); attendance. */
static int end_day(struct eval_run *run)
{
	int ret = EVAL_OK;

	for (int w = 0; w < run->r->n_windows; w++)
		settle(run, w, run->day.end_s);
	for (int w = 0; ret == EVAL_OK && w < run->r->n_windows; w++)
		if (run->day.counted && !run->day.windows[w].exempt &&
		    (run->window_in_config[w] || run->day.windows[w].seen))
			ret = close_attendance(run, w);
	return ret;
}

static bool fold_all(struct eval_run *run)
{
	bool ok = true;

	for (int d = 0; d < EVAL_DUR_COUNT; d++) {
		ok = eval_samples_fold(&run->hall_samples.d[d]) && ok;
		for (int i = 0; i < run->r->n_services; i++)
			ok = eval_samples_fold(&run->service_samples[i].d[d]) && ok;
		for (int i = 0; i < run->r->n_windows; i++)
			ok = eval_samples_fold(&run->window_samples[i].d[d]) && ok;
		for (int i = 0; i < run->r->n_staff; i++)
			ok = eval_samples_fold(&run->staff_samples[i].d[d]) && ok;
	}
	return ok;
}

int eval_follow_day(struct eval_run *run, int32_t day, bool *had_events, char *err, size_t err_size)
{
	sqlite3_stmt *q = run->events;
	struct event ev;
	int rows = 0, rc = SQLITE_DONE, ret = start_day(run, day);

	sqlite3_reset(q);
	sqlite3_bind_int(q, 1, day);
	sqlite3_bind_int64(q, 2, run->now_s); /* what happened up to the report */
	while (ret == EVAL_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		ret = read_event(run, q, &ev);
		if (ret != EVAL_OK || ev.op <= 0 || ev.op >= ENGINE_OP_COUNT)
			continue;
		/* hostd closes every day, open or not: a day with nothing but its
		 * close is a day the hall did not work (a holiday) */
		rows += ev.op != ENGINE_OP_CLOSE_DAY;
		if (ops[ev.op].needs_window && ev.window < 0)
			continue; /* not a journal hostd writes */
		ret = ops[ev.op].fn(run, &ev);
	}
	if (ret == EVAL_OK && rc != SQLITE_DONE) {
		eval_errorf(err, err_size, "cannot read the journal of %ld: %s", (long)day,
			    sqlite3_errmsg(run->db));
		ret = (rc & 0xFF) == SQLITE_BUSY ? EVAL_ERR_BUSY : EVAL_ERR_IO;
	}
	sqlite3_reset(q);
	*had_events = rows > 0;
	if (ret == EVAL_OK && rows > 0)
		ret = end_day(run);
	if (ret == EVAL_OK && !fold_all(run))
		ret = EVAL_ERR_NOMEM;
	if (ret == EVAL_ERR_NOMEM)
		eval_errorf(err, err_size, "out of memory");
	return ret;
}

void eval_day_free(struct eval_day *day)
{
	free(day->pool);
	free(day->tickets);
	free(day->ticket_slots);
	free(day->windows);
	free(day->service_waiting);
	free(day->staff_signed_in);
	memset(day, 0, sizeof(*day));
}
