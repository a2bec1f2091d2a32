/*
 * test_engine_random.c — hostd/engine under a long random run: 120,000
 * operations over some sixty business days (close_day, then open_day) of a
 * hall with 6 services and 8 windows, every operation mixed in, valid and
 * invalid alike, on a clock that moves by random seconds.
 *
 * Expectations come from the test's own model of the hall (tickets,
 * windows, handling history), written from the rules of the brief, not
 * from the engine's internals. For every command the model derives which
 * refusals apply (none: the command must succeed) and what a success must
 * do. After every step: engine_check() is NULL; the ticket count, every
 * ticket's state and every window agree with the model (so no ticket is
 * lost or made twice, and a final state never changes); a window has at
 * most one called or serving ticket; 32 tickets, in turn, are found by
 * engine_find_ticket(). A refused command must leave engine_digest()
 * unchanged: checked whenever the model allows a refusal, and every 8th
 * step anyway (the digest costs O(tickets)). Every 97 steps and at each
 * day's end: every field of every ticket, numbers unique per day and
 * prefix, engine_find_ticket() and engine_find_label() for each ticket, the
 * issued and waiting counts; after close_day every ticket is final.
 *
 * Checked as they happen: numbers per service from 001, restarting each
 * day; wait = first call - issue >= 0; handling = finish - start - time on
 * hold; people ahead and the estimated wait (exact arithmetic); and the
 * dispatch order. For call_next: a ticket transferred to the window comes
 * first; otherwise no waiting ticket the window serves may have a better
 * (class, level or 0 when over target, issue time, id) key than the one
 * called. Tickets re-queued after a no-show are left out of that check, and
 * so are tickets of another queue that holds one (they may wait behind
 * it); instead a re-queued ticket may be called only once at least
 * min(no_show_requeue_places, waiting then) of the tickets waiting in its
 * queue when it went back have left.
 *
 * A state mismatch stops the run at once. Rule breaks that leave model and
 * engine in step (a refusal, a dispatch order, an estimate) are counted by
 * kind and printed with their first examples, and the test fails at the
 * end if there were any. The seed is printed; HALLQ_SEED=N replays a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/engine.h"

enum {
	N_SVC = 6,
	N_WIN = 8,
	N_REASONS = 3,
	RECENT = 5,
	REQUEUE_MAX = 2,
	REQUEUE_PLACES = 3,
	DUE_BEFORE_MIN = 15,
	MAX_TICKETS = N_SVC * ENGINE_MAX_QUOTA,
	N_OPS = 120000,
	FULL_CHECK_EVERY = 97,
};

#define NONE   ENGINE_NO_TICKET
#define E(err) (1ULL << ((err) + 2)) /* a set of engine_apply() results */

/* ---- random numbers: splitmix64 ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int rnd(int n)
{
	return (int)(rng() % (uint64_t)n);
}

static bool chance(int percent)
{
	return rnd(100) < percent;
}

/* ---- the hall ---- */

static struct engine_hall hall;

struct svc_def {
	const char *prefix;
	int standard, target, quota;
	int n_hours;
	int hours[2][2]; /* minutes */
};

static const struct svc_def svc_defs[N_SVC] = {
    {"A", 20, 30, 0, 0, {{0, 0}, {0, 0}}},
    {"B", 15, 20, 15, 2, {{9 * 60, 11 * 60}, {14 * 60, 16 * 60}}},
    {"C", 10, 15, 0, 1, {{13 * 60, 17 * 60 + 30}, {0, 0}}},
    {"E", 5, 45, 30, 0, {{0, 0}, {0, 0}}},
    {"F", 30, 60, 0, 1, {{8 * 60, 12 * 60}, {0, 0}}},
    {"HK", 8, 10, 0, 0, {{0, 0}, {0, 0}}},
};

/* window -> (service, level) pairs, -1 ends */
static const int win_defs[N_WIN][9] = {
    {0, 1, 1, 2, -1},
    {1, 1, 0, 2, 2, 3, -1},
    {2, 1, -1},
    {3, 1, 4, 2, -1},
    {4, 1, 3, 1, -1},
    {5, 1, 0, 2, 1, 3, 2, 4},
    {0, 1, 3, 2, 5, 3, -1},
    {5, 1, -1},
};

static void build_hall(void)
{
	memset(&hall, 0, sizeof(hall));
	snprintf(hall.name, sizeof(hall.name), "随机大厅");
	hall.hours.workdays = 0x7E; /* Monday .. Saturday */
	hall.hours.sign_in = (struct engine_period){8 * 60, 8 * 60 + 30};
	hall.hours.sessions[0] = (struct engine_period){8 * 60 + 30, 11 * 60 + 30};
	hall.hours.sessions[1] = (struct engine_period){13 * 60 + 30, 17 * 60};
	hall.hours.n_sessions = 2;
	for (int s = 0; s < N_SVC; s++) {
		struct engine_service *svc = &hall.services[s];
		const struct svc_def *d = &svc_defs[s];
		snprintf(svc->id, sizeof(svc->id), "svc%d", s);
		snprintf(svc->name, sizeof(svc->name), "业务%d", s);
		snprintf(svc->prefix, sizeof(svc->prefix), "%s", d->prefix);
		svc->standard_min = d->standard;
		svc->wait_target_min = d->target;
		svc->daily_quota = d->quota;
		svc->n_hours = d->n_hours;
		for (int i = 0; i < d->n_hours; i++)
			svc->hours[i] = (struct engine_period){(uint16_t)d->hours[i][0],
							       (uint16_t)d->hours[i][1]};
	}
	hall.n_services = N_SVC;
	for (int w = 0; w < N_WIN; w++) {
		struct engine_window *win = &hall.windows[w];
		win->number = w + 1;
		snprintf(win->name, sizeof(win->name), "%d号窗口", w + 1);
		for (int i = 0; i < 8 && win_defs[w][i] >= 0; i += 2)
			win->services[win->n_services++] =
			    (struct engine_window_service){win_defs[w][i], win_defs[w][i + 1]};
	}
	hall.n_windows = N_WIN;
	hall.queue.no_show_requeue_max = REQUEUE_MAX;
	hall.queue.no_show_requeue_places = REQUEUE_PLACES;
	hall.queue.appointment_due_before_min = DUE_BEFORE_MIN;
	hall.queue.estimate_recent_tickets = RECENT;
	for (int i = 0; i < N_REASONS; i++)
		snprintf(hall.queue.pause_reasons[i], ENGINE_NAME_SIZE, "reason%d", i);
	hall.queue.n_pause_reasons = N_REASONS;
}

/* The window's level for a service, or -1 when it does not serve it. */
static int level_at(int w, int s)
{
	for (int i = 0; i < 8 && win_defs[w][i] >= 0; i += 2)
		if (win_defs[w][i] == s)
			return win_defs[w][i + 1];
	return -1;
}

static bool open_at(int s, int minute)
{
	const struct svc_def *d = &svc_defs[s];

	if (d->n_hours == 0)
		return (minute >= 510 && minute < 690) || (minute >= 810 && minute < 1020);
	for (int i = 0; i < d->n_hours; i++)
		if (minute >= d->hours[i][0] && minute < d->hours[i][1])
			return true;
	return false;
}

/* ---- the model ---- */

struct mticket {
	int svc, issued_svc, cls, number, state, window, target;
	int no_shows, recalls, transfers;
	bool displaced; /* re-queued after a no-show, not called since */
	int left;       /* times it left the waiting state */
	/* when re-queued: the tickets waiting in its queue then (ahead_n of
	 * them at ahead[ahead_at]), of which ahead_need are ahead of it */
	int ahead_at, ahead_n, ahead_need;
	bool specific, rated;
	int64_t slot_s, issued_s, first_called_s, called_s, recalled_s, started_s, held_s, hold_s;
};

struct mwindow {
	bool in, paused;
	uint32_t current;
	int n_held;
	char staff[ENGINE_ID_SIZE];
};

static struct model {
	int32_t ymd;
	int64_t midnight_s;
	int wday;
	bool closed;
	struct mticket t[MAX_TICKETS];
	uint32_t n;
	int issued[N_SVC];
	bool used[N_SVC][ENGINE_MAX_QUOTA + 1];
	bool requeued_in[N_SVC][ENGINE_CLASS_COUNT]; /* a no-show went back there today */
	struct mwindow w[N_WIN];
	int64_t recent[N_SVC][RECENT];
	int recent_n[N_SVC], recent_pos[N_SVC];
} m;

/* the tickets waiting when a no-show was re-queued, and their `left` */
struct ahead {
	uint32_t id;
	int left;
};
static struct ahead *aheads;
static int n_aheads, cap_aheads;

static struct engine *e;
static int64_t now_s;
static long step, n_ops, n_refused, n_days;
/* engine_digest() of the state as it is, when digest_valid */
static uint64_t digest_cache;
static bool digest_valid;
static long op_count[ENGINE_OP_COUNT + 1], op_refused[ENGINE_OP_COUNT + 1];
static long err_count[ENGINE_ERR_COUNT + 2]; /* by error + 2 */
static uint64_t seed;
static char what[256]; /* the command being checked, for messages */

static bool is_final(int state)
{
	return state >= ENGINE_TICKET_FINISHED;
}

static void push_recent(int s, int64_t v)
{
	m.recent[s][m.recent_pos[s]] = v;
	m.recent_pos[s] = (m.recent_pos[s] + 1) % RECENT;
	if (m.recent_n[s] < RECENT)
		m.recent_n[s]++;
}

/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
static int32_t ymd_of(int64_t days)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, mo = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (mo <= 2);
	return (int32_t)(y * 10000 + mo * 100 + d);
}

static void model_day(int64_t days)
{
	memset(&m, 0, sizeof(m));
	n_aheads = 0;
	m.midnight_s = days * 86400;
	m.ymd = ymd_of(days);
	m.wday = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
	for (int w = 0; w < N_WIN; w++)
		m.w[w].current = NONE;
}

static struct engine_clock clock_now(void)
{
	int64_t local = now_s - m.midnight_s;

	return (struct engine_clock){now_s, m.ymd, (int16_t)(local / 60), (int8_t)m.wday};
}

/* ---- reporting ---- */

enum viol {
	V_REFUSED_VALID,
	V_WRONG_REFUSAL,
	V_ACCEPTED_SLOT,
	V_ACCEPTED_INVALID,
	V_RULE1,
	V_ORDER_APPT,
	V_ORDER_NOT_DUE,
	V_ORDER_AFTER_REQUEUE,
	V_ORDER_CLASS,
	V_ORDER_QUEUE,
	V_ORDER_ACROSS,
	V_REQUEUE,
	V_AHEAD,
	V_ESTIMATE_SHORT,
	V_ESTIMATE,
	V_HANDLING,
	V_COUNT
};

static const char *const viol_names[V_COUNT] = {
    "a valid command was refused",
    "refused with a code that does not apply",
    "issued a normal or green ticket with a slot_s other than 0",
    "accepted a command the rules refuse",
    "rule 1: a ticket transferred to the window was not called first",
    "a due appointment was passed by a due appointment with a worse (level, wait)",
    "an appointment not yet due was passed by a ticket of the rest issued after it",
    "in a queue that has held a re-queued no-show today, a ticket placed since (transferred, "
    "or an appointment) was passed by a worse one",
    "a better class was passed (due appointment or green before the rest)",
    "out of issue order within one service and class",
    "a better (level, wait) ticket of another queue was passed",
    "a re-queued no-show was called before the tickets placed ahead of it",
    "people ahead at issue",
    "estimated wait at issue: short of the exact figure by less than a minute's rounding",
    "estimated wait at issue",
    "handling time",
};

enum { N_EXAMPLES = 3 };
static long viol_count[V_COUNT];
static char viol_example[V_COUNT][N_EXAMPLES][640];

static void violation(enum viol v, const char *fmt, ...)
{
	if (viol_count[v] < N_EXAMPLES) {
		char detail[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		snprintf(viol_example[v][viol_count[v]], sizeof(viol_example[v][0]),
			 "step %ld, day %d %02d:%02d:%02d, %s: %s", step, m.ymd,
			 (int)((now_s - m.midnight_s) / 3600),
			 (int)((now_s - m.midnight_s) / 60 % 60),
			 (int)((now_s - m.midnight_s) % 60), what, detail);
	}
	viol_count[v]++;
}

static void fatal(const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fail_msg("seed %llu, step %ld, day %d, %s: %s", (unsigned long long)seed, step, m.ymd, what,
		 detail);
}

static const char *tlabel(uint32_t id, char *buf)
{
	const struct engine_ticket *t = engine_ticket(e, id);

	if (!t) {
		snprintf(buf, 16, "#%u", id);
		return buf;
	}
	return engine_ticket_label(t, buf);
}

static void describe(const struct engine_command *c)
{
	char l[16] = "-";

	if (c->ticket != NONE)
		tlabel(c->ticket, l);
	snprintf(what, sizeof(what),
		 "%s(window %d, service %d, target %d, ticket %s, class %d, slot %lld, reason %d, "
		 "rating %d)",
		 engine_op_name(c->op), c->window, c->service, c->target_window, l, (int)c->cls,
		 (long long)c->slot_s, c->reason, c->rating);
}

/* ---- checks ---- */

static int want_window_state(int w)
{
	const struct mwindow *mw = &m.w[w];

	if (!mw->in)
		return ENGINE_WINDOW_LOGGED_OUT;
	if (mw->paused)
		return ENGINE_WINDOW_PAUSED;
	if (mw->current == NONE)
		return ENGINE_WINDOW_IDLE;
	return m.t[mw->current].state == ENGINE_TICKET_CALLED ? ENGINE_WINDOW_CALLED
							      : ENGINE_WINDOW_SERVING;
}

/* Every step: consistency, counts, states, windows. */
static void check_light(void)
{
	const char *why = engine_check(e);
	int at_window[N_WIN] = {0};

	if (why)
		fatal("engine_check: %s", why);
	if (engine_ticket_count(e) != m.n)
		fatal("the engine has %u tickets, the model %u", engine_ticket_count(e), m.n);
	if (engine_day(e) != m.ymd || engine_day_is_closed(e) != m.closed)
		fatal("day %d closed %d, model %d closed %d", engine_day(e),
		      engine_day_is_closed(e), m.ymd, m.closed);
	for (uint32_t id = 0; id < m.n; id++) {
		const struct engine_ticket *t = engine_ticket(e, id);
		char l[16];
		if (!t)
			fatal("ticket %u is missing", id);
		if (t->state != m.t[id].state)
			fatal("%s is %s, the model says %s", tlabel(id, l),
			      engine_ticket_state_name(t->state),
			      engine_ticket_state_name(m.t[id].state));
		if (t->state == ENGINE_TICKET_CALLED || t->state == ENGINE_TICKET_SERVING) {
			if (t->window < 0 || t->window >= N_WIN)
				fatal("%s is at window %d", tlabel(id, l), t->window);
			if (++at_window[t->window] > 1)
				fatal("window %d has two called or serving tickets", t->window);
		}
	}
	/* lookups by number: 32 tickets a step, round the day (all of them in
	 * check_full(), and each new ticket as it is issued) */
	static uint32_t next_lookup;
	for (int i = 0; i < 32 && m.n > 0; i++) {
		uint32_t id = next_lookup++ % m.n;
		if (engine_find_ticket(e, svc_defs[m.t[id].issued_svc].prefix, m.t[id].number) !=
		    id)
			fatal("%s%03d is not found", svc_defs[m.t[id].issued_svc].prefix,
			      m.t[id].number);
	}
	for (int w = 0; w < N_WIN; w++) {
		const struct engine_window_status *ws = engine_window(e, w);
		if (ws->state != want_window_state(w) || ws->current != m.w[w].current ||
		    ws->n_held != m.w[w].n_held)
			fatal("window %d: %s current %u held %d; model %s current %u held %d", w,
			      engine_window_state_name(ws->state), ws->current, ws->n_held,
			      engine_window_state_name(want_window_state(w)), m.w[w].current,
			      m.w[w].n_held);
	}
}

static int model_waiting(int s)
{
	int n = 0;

	for (uint32_t id = 0; id < m.n; id++)
		n += m.t[id].state == ENGINE_TICKET_WAITING && m.t[id].target < 0 &&
		     m.t[id].svc == s;
	return n;
}

/* Now and then: every field of every ticket, lookups, counters. */
static void check_full(void)
{
	static uint32_t seen[N_SVC][ENGINE_MAX_QUOTA + 1];
	static uint32_t stamp;

	check_light();
	stamp++;
	for (uint32_t id = 0; id < m.n; id++) {
		const struct engine_ticket *t = engine_ticket(e, id);
		const struct mticket *mt = &m.t[id];
		char l[16], want_label[16];
		tlabel(id, l);
		snprintf(want_label, sizeof(want_label), "%s%03d", svc_defs[mt->issued_svc].prefix,
			 mt->number);
		if (strcmp(l, want_label) != 0 || t->number != mt->number ||
		    strcmp(t->prefix, svc_defs[mt->issued_svc].prefix) != 0)
			fatal("ticket %u is %s, the model says %s", id, l, want_label);
		if (seen[mt->issued_svc][t->number] == stamp)
			fatal("number %s given twice today", l);
		seen[mt->issued_svc][t->number] = stamp;
		if (engine_find_ticket(e, t->prefix, t->number) != id ||
		    engine_find_label(e, l) != id)
			fatal("%s is not found by its number", l);
		bool placed = mt->state == ENGINE_TICKET_CALLED ||
			      mt->state == ENGINE_TICKET_SERVING || mt->state == ENGINE_TICKET_HELD;
		if (t->service != mt->svc || t->issued_service != mt->issued_svc ||
		    t->cls != mt->cls || t->target_window != mt->target ||
		    (placed && t->window != mt->window) ||
		    (mt->state == ENGINE_TICKET_WAITING && t->window != -1))
			fatal(
			    "%s: service %d/%d class %d target %d window %d; model %d/%d %d %d %d",
			    l, t->service, t->issued_service, t->cls, t->target_window, t->window,
			    mt->svc, mt->issued_svc, mt->cls, mt->target, mt->window);
		if (t->issued_s != mt->issued_s || t->slot_s != mt->slot_s ||
		    t->first_called_s != mt->first_called_s)
			fatal("%s: issued %lld slot %lld first called %lld; model %lld %lld %lld",
			      l, (long long)t->issued_s, (long long)t->slot_s,
			      (long long)t->first_called_s, (long long)mt->issued_s,
			      (long long)mt->slot_s, (long long)mt->first_called_s);
		if (mt->first_called_s && t->first_called_s - t->issued_s < 0)
			fatal("%s waited a negative time", l);
		if (t->transfers != mt->transfers || t->no_shows != mt->no_shows ||
		    t->recalls != mt->recalls || (t->rating != 0) != mt->rated ||
		    (t->called_specifically != 0) != mt->specific)
			fatal(
			    "%s: transfers %d no-shows %d recalls %d rating %d specific %d; model "
			    "%d %d %d %d %d",
			    l, t->transfers, t->no_shows, t->recalls, t->rating,
			    t->called_specifically, mt->transfers, mt->no_shows, mt->recalls,
			    mt->rated, mt->specific);
	}
	for (int s = 0; s < N_SVC; s++) {
		if (engine_issued_count(e, s) != m.issued[s])
			fatal("service %d issued %d, model %d", s, engine_issued_count(e, s),
			      m.issued[s]);
		if (engine_waiting_count(e, s) != model_waiting(s))
			fatal("service %d waiting %d, model %d", s, engine_waiting_count(e, s),
			      model_waiting(s));
	}
}

/* ---- what the rules expect of a command ---- */

struct expect {
	uint64_t refuse; /* non-empty: must be refused, with one of refuse | may */
	uint64_t may;    /* refusals that may or may not apply */
};

static bool anything_for(int w)
{
	for (uint32_t id = 0; id < m.n; id++) {
		const struct mticket *t = &m.t[id];
		if (t->state == ENGINE_TICKET_WAITING &&
		    (t->target == w || (t->target < 0 && level_at(w, t->svc) >= 0)))
			return true;
	}
	return false;
}

static uint64_t window_not_free(const struct mwindow *mw)
{
	uint64_t r = 0;

	if (!mw->in)
		r |= E(ENGINE_ERR_WINDOW_NOT_LOGGED_IN);
	if (mw->paused)
		r |= E(ENGINE_ERR_WINDOW_PAUSED);
	if (mw->current != NONE)
		r |= E(ENGINE_ERR_WINDOW_BUSY);
	return r;
}

static bool needs_window(enum engine_op op)
{
	return op != ENGINE_OP_ISSUE && op != ENGINE_OP_CANCEL && op != ENGINE_OP_RATE &&
	       op != ENGINE_OP_CLOSE_DAY;
}

static struct expect expected(const struct engine_command *c)
{
	struct expect x = {0, 0};

	if (c->op <= 0 || c->op >= ENGINE_OP_COUNT)
		return (struct expect){E(ENGINE_ERR_BAD_COMMAND), 0};
	if (c->op != ENGINE_OP_CLOSE_DAY && c->clock.day != m.ymd)
		return (struct expect){E(ENGINE_ERR_BAD_COMMAND), 0};
	if (m.closed)
		return (struct expect){E(ENGINE_ERR_DAY_CLOSED), 0};
	int w = c->window;
	if (needs_window(c->op) && (w < 0 || w >= N_WIN))
		return (struct expect){E(ENGINE_ERR_NO_SUCH_WINDOW), 0};
	const struct mwindow *mw = needs_window(c->op) ? &m.w[w] : NULL;
	const struct mticket *cur = mw && mw->current != NONE ? &m.t[mw->current] : NULL;
	const struct mticket *t = c->ticket < m.n ? &m.t[c->ticket] : NULL;
	uint64_t out = mw && !mw->in ? E(ENGINE_ERR_WINDOW_NOT_LOGGED_IN) : 0;

	switch (c->op) {
	case ENGINE_OP_ISSUE: {
		int s = c->service;
		if (s < 0 || s >= N_SVC)
			x.refuse |= E(ENGINE_ERR_NO_SUCH_SERVICE);
		if ((int)c->cls < 0 || (int)c->cls >= ENGINE_CLASS_COUNT ||
		    (c->cls == ENGINE_CLASS_APPOINTMENT ? c->slot_s <= 0 : c->slot_s != 0))
			x.refuse |= E(ENGINE_ERR_BAD_ARGUMENT);
		if (!(0x7E & (1 << c->clock.wday)))
			x.refuse |= E(ENGINE_ERR_CLOSED_TODAY);
		if (s >= 0 && s < N_SVC) {
			if (!open_at(s, c->clock.minute))
				x.refuse |= E(ENGINE_ERR_OUTSIDE_HOURS);
			if (m.issued[s] >= ENGINE_MAX_QUOTA ||
			    (svc_defs[s].quota && m.issued[s] >= svc_defs[s].quota))
				x.refuse |= E(ENGINE_ERR_QUOTA_REACHED);
		}
		break;
	}
	case ENGINE_OP_LOGIN:
		if (!c->staff[0])
			x.refuse |= E(ENGINE_ERR_BAD_ARGUMENT);
		if (mw->in)
			x.refuse |= E(ENGINE_ERR_WINDOW_LOGGED_IN);
		break;
	case ENGINE_OP_LOGOUT:
		x.refuse |= out;
		if (cur)
			x.refuse |= E(ENGINE_ERR_WINDOW_BUSY);
		if (mw->n_held)
			x.refuse |= E(ENGINE_ERR_WINDOW_HOLDS_TICKETS);
		break;
	case ENGINE_OP_PAUSE:
		x.refuse |= window_not_free(mw);
		if (c->reason < 0)
			x.refuse |= E(ENGINE_ERR_PAUSE_REASON_REQUIRED);
		else if (c->reason >= N_REASONS)
			x.refuse |= E(ENGINE_ERR_UNKNOWN_PAUSE_REASON);
		break;
	case ENGINE_OP_RESUME:
		if (!mw->paused)
			x.refuse |= E(ENGINE_ERR_WINDOW_NOT_PAUSED) | out;
		break;
	case ENGINE_OP_CALL_NEXT:
		x.refuse |= window_not_free(mw);
		if (!anything_for(w))
			x.refuse |= E(ENGINE_ERR_NO_TICKET_WAITING);
		break;
	case ENGINE_OP_CALL_TICKET:
		x.refuse |= window_not_free(mw);
		if (!t) {
			x.refuse |= E(ENGINE_ERR_NO_SUCH_TICKET);
		} else if (t->state != ENGINE_TICKET_WAITING) {
			x.refuse |= E(ENGINE_ERR_NOT_WAITING);
		} else {
			bool serves = level_at(w, t->svc) >= 0;
			if (t->target < 0 ? !serves : t->target != w && !serves)
				x.refuse |= E(ENGINE_ERR_NOT_SERVED_HERE);
			else if ((t->target >= 0 && t->target != w) || (t->target == w && !serves))
				x.may |= E(ENGINE_ERR_NOT_SERVED_HERE); /* not settled */
		}
		break;
	case ENGINE_OP_RECALL:
	case ENGINE_OP_NO_SHOW:
	case ENGINE_OP_START:
		if (!cur || cur->state != ENGINE_TICKET_CALLED)
			x.refuse |= E(ENGINE_ERR_NOT_CALLED) | out;
		break;
	case ENGINE_OP_HOLD:
		if (!cur || cur->state != ENGINE_TICKET_SERVING)
			x.refuse |= E(ENGINE_ERR_NOT_SERVING) | out;
		break;
	case ENGINE_OP_CALL_BACK:
		x.refuse |= window_not_free(mw);
		if (!t)
			x.refuse |= E(ENGINE_ERR_NO_SUCH_TICKET);
		else if (t->state != ENGINE_TICKET_HELD || t->window != w)
			x.refuse |= E(ENGINE_ERR_NOT_HELD_HERE);
		break;
	case ENGINE_OP_FINISH:
		if (!cur)
			x.refuse |= E(ENGINE_ERR_NOT_CALLED) | E(ENGINE_ERR_NOT_SERVING) | out;
		break;
	case ENGINE_OP_TRANSFER: {
		int s = c->service, tw = c->target_window;
		if (!cur)
			x.refuse |= E(ENGINE_ERR_NOT_CALLED) | E(ENGINE_ERR_NOT_SERVING) | out;
		if ((s >= 0) == (tw >= 0))
			x.refuse |= E(ENGINE_ERR_BAD_ARGUMENT);
		else if (s >= N_SVC)
			x.refuse |= E(ENGINE_ERR_NO_SUCH_SERVICE);
		else if (tw >= N_WIN)
			x.refuse |= E(ENGINE_ERR_NO_SUCH_WINDOW);
		else if (tw == w)
			x.refuse |= E(ENGINE_ERR_SAME_PLACE);
		else if (cur && s == cur->svc && cur->target < 0)
			x.refuse |= E(ENGINE_ERR_SAME_PLACE);
		else if (cur && s == cur->svc)
			x.may |= E(ENGINE_ERR_SAME_PLACE); /* came by window: not settled */
		break;
	}
	case ENGINE_OP_CANCEL:
		if (!t)
			x.refuse |= E(ENGINE_ERR_NO_SUCH_TICKET);
		else if (t->state != ENGINE_TICKET_WAITING && t->state != ENGINE_TICKET_HELD)
			x.refuse |= E(ENGINE_ERR_NOT_WAITING);
		break;
	case ENGINE_OP_RATE:
		if (!t)
			x.refuse |= E(ENGINE_ERR_NO_SUCH_TICKET);
		if (c->rating < 1 || c->rating > 5)
			x.refuse |= E(ENGINE_ERR_BAD_ARGUMENT);
		if (t && t->state != ENGINE_TICKET_FINISHED)
			x.refuse |= E(ENGINE_ERR_NOT_FINISHED);
		else if (t && t->rated)
			x.refuse |= E(ENGINE_ERR_ALREADY_RATED);
		break;
	default:
		break;
	}
	return x;
}

/* ---- checks made when they happen ---- */

static int class_rank(const struct mticket *t, int64_t now)
{
	if (t->cls == ENGINE_CLASS_GREEN)
		return 1;
	if (t->cls == ENGINE_CLASS_APPOINTMENT && now >= t->slot_s - DUE_BEFORE_MIN * 60)
		return 0;
	return 2;
}

struct key {
	int rank, level;
	int64_t issued_s;
	uint32_t id;
};

static struct key key_of(int w, uint32_t id, int64_t now)
{
	const struct mticket *t = &m.t[id];
	bool overdue = now - t->issued_s > (int64_t)svc_defs[t->svc].target * 60;

	return (struct key){class_rank(t, now), overdue ? 0 : level_at(w, t->svc), t->issued_s, id};
}

static bool key_less(struct key a, struct key b)
{
	if (a.rank != b.rank)
		return a.rank < b.rank;
	if (a.level != b.level)
		return a.level < b.level;
	if (a.issued_s != b.issued_s)
		return a.issued_s < b.issued_s;
	return a.id < b.id;
}

/*
 * The line a waiting ticket stands in: an appointment not yet due waits
 * as a normal ticket ("early arrivals wait as normal until due"), so it
 * stands in its service's normal line, behind whatever stands there, a
 * re-queued no-show included.
 */
static int line_of(const struct mticket *t, int64_t now)
{
	if (t->cls == ENGINE_CLASS_APPOINTMENT && class_rank(t, now) == 2)
		return ENGINE_CLASS_NORMAL;
	return t->cls;
}

/* call_next at window w picked ticket x: is that what the rules pick? */
static void check_dispatch(int w, uint32_t x)
{
	const struct mticket *X = &m.t[x];
	bool mine = false, displaced_in[N_SVC][ENGINE_CLASS_COUNT] = {{false}};
	char lx[16], ly[16];

	if (X->state != ENGINE_TICKET_WAITING)
		fatal("call_next picked %s, which is not waiting", tlabel(x, lx));
	for (uint32_t id = 0; id < m.n; id++) {
		const struct mticket *t = &m.t[id];
		if (t->state != ENGINE_TICKET_WAITING)
			continue;
		mine |= t->target == w;
		if (t->target < 0 && t->displaced)
			displaced_in[t->svc][line_of(t, now_s)] = true;
	}
	if (X->target == w)
		return;
	if (X->target >= 0)
		fatal("window %d called %s, transferred to window %d", w, tlabel(x, lx), X->target);
	if (level_at(w, X->svc) < 0)
		fatal("window %d called %s of service %d, which it does not serve", w,
		      tlabel(x, lx), X->svc);
	if (mine)
		violation(V_RULE1, "called %s", tlabel(x, lx));
	if (X->displaced) {
		/* it was placed with ahead_need tickets ahead of it: that many of
		 * the tickets waiting then must have left before it is next */
		int gone = 0;
		for (int i = 0; i < X->ahead_n; i++)
			gone += m.t[aheads[X->ahead_at + i].id].left > aheads[X->ahead_at + i].left;
		if (X->target < 0 && X->cls != ENGINE_CLASS_APPOINTMENT && gone < X->ahead_need)
			violation(V_REQUEUE,
				  "called %s: re-queued behind %d of %d waiting, %d of those left",
				  tlabel(x, lx), X->ahead_need, X->ahead_n, gone);
		return;
	}
	struct key kx = key_of(w, x, now_s);
	for (uint32_t id = 0; id < m.n; id++) {
		const struct mticket *Y = &m.t[id];
		if (id == x || Y->state != ENGINE_TICKET_WAITING || Y->target >= 0 ||
		    Y->displaced || level_at(w, Y->svc) < 0)
			continue;
		bool same = Y->svc == X->svc && Y->cls == X->cls;
		if (!same && displaced_in[Y->svc][line_of(Y, now_s)])
			continue;
		struct key ky = key_of(w, id, now_s);
		if (!key_less(ky, kx))
			continue;
		/* named by the passed ticket, so that each kind points at one cause */
		bool requeued_queue = m.requeued_in[Y->svc][line_of(Y, now_s)];
		enum viol v = same ? V_ORDER_QUEUE : V_ORDER_ACROSS;
		if (requeued_queue && (ky.rank < kx.rank || Y->transfers))
			v = V_ORDER_AFTER_REQUEUE;
		else if (ky.rank < kx.rank)
			v = V_ORDER_CLASS;
		else if (ky.rank == 0)
			v = V_ORDER_APPT;
		else if (Y->cls == ENGINE_CLASS_APPOINTMENT)
			v = V_ORDER_NOT_DUE;
		violation(
		    v,
		    "called %s (class %d rank %d level %d issued %+llds slot %+llds transfers "
		    "%d) while %s waits (class %d rank %d level %d issued %+llds slot %+llds "
		    "transfers %d)",
		    tlabel(x, lx), X->cls, kx.rank, kx.level, (long long)(X->issued_s - now_s),
		    (long long)(X->slot_s ? X->slot_s - now_s : 0), X->transfers, tlabel(id, ly),
		    Y->cls, ky.rank, ky.level, (long long)(Y->issued_s - now_s),
		    (long long)(Y->slot_s ? Y->slot_s - now_s : 0), Y->transfers);
		return;
	}
}

static void check_estimate(int s, int cls, const struct engine_result *r)
{
	int ahead = 0;

	for (uint32_t id = 0; id < m.n; id++) {
		const struct mticket *t = &m.t[id];
		if (t->state != ENGINE_TICKET_WAITING || t->target >= 0 || t->svc != s)
			continue;
		if (cls == ENGINE_CLASS_NORMAL ||
		    (cls == ENGINE_CLASS_GREEN && t->cls != ENGINE_CLASS_NORMAL) ||
		    t->cls == ENGINE_CLASS_APPOINTMENT)
			ahead++;
	}
	/* docs/engine.md, "Estimates": windows in half windows (2 where the
	 * service is level 1, else 1), counted from the model's windows */
	int open_halves = 0, busy_halves = 0, idle = 0;
	for (int w = 0; w < N_WIN; w++) {
		int level = level_at(w, s), state = want_window_state(w);
		if (level < 0 || state == ENGINE_WINDOW_LOGGED_OUT)
			continue;
		int halves = level == 1 ? 2 : 1;
		open_halves += halves;
		if (state == ENGINE_WINDOW_CALLED || state == ENGINE_WINDOW_SERVING)
			busy_halves += halves;
		else if (state == ENGINE_WINDOW_IDLE)
			idle++;
	}
	if (open_halves == 0)
		open_halves = 2, busy_halves = 0;
	if (ahead < idle)
		busy_halves = 0;
	int64_t sum = (int64_t)svc_defs[s].standard * 60, n = 1;
	if (m.recent_n[s] > 0) {
		sum = 0;
		for (int i = 0; i < m.recent_n[s]; i++)
			sum += m.recent[s][i];
		n = m.recent_n[s];
	}
	/* mean x (ahead + busy / 8) / (open / 2) seconds, to the nearest
	 * minute (halves round up), exactly */
	int64_t num = 8 * (int64_t)ahead * sum + busy_halves * sum;
	int64_t den = 4 * n * open_halves * 60;
	int64_t want = (2 * num + den) / (2 * den);
	if (r->people_ahead != ahead)
		violation(V_AHEAD, "people ahead %d, want %d", r->people_ahead, ahead);
	else if (r->estimated_wait_min != want)
		violation(r->estimated_wait_min == want - 1 ? V_ESTIMATE_SHORT : V_ESTIMATE,
			  "%d min, want round((8 x %d + %d) x %lld / %lld / (4 x %d) / 60) = %lld",
			  r->estimated_wait_min, ahead, busy_halves, (long long)sum, (long long)n,
			  open_halves, (long long)want);
}

/* ---- applying a command the engine accepted to the model ---- */

static void model_call(int w, uint32_t id, bool specific)
{
	struct mticket *t = &m.t[id];
	const struct engine_ticket *et = engine_ticket(e, id);
	char l[16];

	t->state = ENGINE_TICKET_CALLED;
	t->left++;
	t->window = w;
	t->called_s = t->recalled_s = now_s;
	if (!t->first_called_s)
		t->first_called_s = now_s;
	t->displaced = false;
	t->specific |= specific;
	m.w[w].current = id;
	if (et->first_called_s != t->first_called_s || et->first_called_s - et->issued_s < 0)
		fatal("%s: first called %lld, issued %lld, model first called %lld", tlabel(id, l),
		      (long long)et->first_called_s, (long long)et->issued_s,
		      (long long)t->first_called_s);
}

static void model_apply(const struct engine_command *c, const struct engine_result *r)
{
	int w = c->window;
	struct mwindow *mw = w >= 0 && w < N_WIN ? &m.w[w] : NULL;
	struct mticket *cur = mw && mw->current != NONE ? &m.t[mw->current] : NULL;
	char l[16];

	switch (c->op) {
	case ENGINE_OP_ISSUE: {
		int s = c->service;
		uint32_t id = m.n;
		const struct engine_ticket *et = engine_ticket(e, id);
		if (r->ticket != id || !et)
			fatal("issue gave ticket %u, want %u", r->ticket, id);
		int number = m.issued[s] + 1;
		if (et->number != number || strcmp(et->prefix, svc_defs[s].prefix) != 0)
			fatal("issue gave %s, want %s%03d", tlabel(id, l), svc_defs[s].prefix,
			      number);
		if (m.used[s][number])
			fatal("number %s given twice", tlabel(id, l));
		m.used[s][number] = true;
		check_estimate(s, (int)c->cls, r);
		m.t[id] = (struct mticket){
		    .svc = s,
		    .issued_svc = s,
		    .cls = (int)c->cls,
		    .number = number,
		    .state = ENGINE_TICKET_WAITING,
		    .window = -1,
		    .target = -1,
		    .slot_s = c->slot_s,
		    .issued_s = now_s,
		};
		m.n++;
		m.issued[s]++;
		if (engine_find_ticket(e, svc_defs[s].prefix, number) != id)
			fatal("the new ticket %s is not found", tlabel(id, l));
		break;
	}
	case ENGINE_OP_LOGIN:
		mw->in = true;
		mw->paused = false;
		memcpy(mw->staff, c->staff, sizeof(mw->staff));
		if (strcmp(engine_window(e, w)->staff, c->staff) != 0)
			fatal("window %d staff %s", w, engine_window(e, w)->staff);
		break;
	case ENGINE_OP_LOGOUT:
		mw->in = mw->paused = false;
		break;
	case ENGINE_OP_PAUSE:
		mw->paused = true;
		if (engine_window(e, w)->pause_reason != c->reason)
			fatal("window %d paused for %d", w, engine_window(e, w)->pause_reason);
		break;
	case ENGINE_OP_RESUME:
		mw->paused = false;
		break;
	case ENGINE_OP_CALL_NEXT:
		if (r->ticket >= m.n)
			fatal("call_next gave ticket %u", r->ticket);
		check_dispatch(w, r->ticket);
		model_call(w, r->ticket, false);
		break;
	case ENGINE_OP_CALL_TICKET:
		model_call(w, c->ticket, true);
		break;
	case ENGINE_OP_RECALL:
		cur->recalls++;
		cur->recalled_s = now_s;
		break;
	case ENGINE_OP_NO_SHOW:
		cur->no_shows++;
		cur->window = -1;
		mw->current = NONE;
		if (cur->no_shows <= REQUEUE_MAX) {
			cur->ahead_at = n_aheads;
			cur->ahead_n = 0;
			for (uint32_t id = 0; id < m.n; id++) {
				const struct mticket *u = &m.t[id];
				if (u->state != ENGINE_TICKET_WAITING || u->target >= 0 ||
				    u->svc != cur->svc || u->cls != cur->cls)
					continue;
				if (n_aheads == cap_aheads) {
					cap_aheads = cap_aheads ? 2 * cap_aheads : 4096;
					aheads =
					    realloc(aheads, sizeof(*aheads) * (size_t)cap_aheads);
					assert_non_null(aheads);
				}
				aheads[n_aheads++] = (struct ahead){id, u->left};
				cur->ahead_n++;
			}
			cur->ahead_need =
			    cur->ahead_n < REQUEUE_PLACES ? cur->ahead_n : REQUEUE_PLACES;
			cur->state = ENGINE_TICKET_WAITING;
			cur->displaced = true;
			if (cur->target < 0)
				m.requeued_in[cur->svc][line_of(cur, now_s)] = true;
		} else {
			cur->state = ENGINE_TICKET_NO_SHOW;
		}
		if (r->requeued != (cur->state == ENGINE_TICKET_WAITING))
			fatal("no_show: requeued %d after %d no-shows", r->requeued, cur->no_shows);
		break;
	case ENGINE_OP_START:
		cur->state = ENGINE_TICKET_SERVING;
		cur->started_s = now_s;
		break;
	case ENGINE_OP_HOLD:
		cur->state = ENGINE_TICKET_HELD;
		cur->held_s = now_s;
		mw->current = NONE;
		mw->n_held++;
		break;
	case ENGINE_OP_CALL_BACK: {
		struct mticket *t = &m.t[c->ticket];
		t->state = ENGINE_TICKET_SERVING;
		t->hold_s += now_s - t->held_s;
		mw->current = c->ticket;
		mw->n_held--;
		if (engine_ticket(e, c->ticket)->hold_total_s != t->hold_s)
			fatal("%s: on hold %lld s, want %lld", tlabel(c->ticket, l),
			      (long long)engine_ticket(e, c->ticket)->hold_total_s,
			      (long long)t->hold_s);
		break;
	}
	case ENGINE_OP_FINISH: {
		uint32_t id = mw->current;
		int64_t want, alt;
		if (cur->state == ENGINE_TICKET_SERVING) {
			want = alt = now_s - cur->started_s - cur->hold_s;
		} else { /* finished from called: started when called */
			want = now_s - cur->called_s;
			alt = now_s - cur->recalled_s; /* a recall calls again */
		}
		cur->state = ENGINE_TICKET_FINISHED;
		mw->current = NONE;
		int64_t got = engine_handling_s(engine_ticket(e, id));
		if (got != want && got != alt) {
			violation(V_HANDLING, "%s: %lld s, want %lld", tlabel(id, l),
				  (long long)got, (long long)want);
			got = want;
		}
		push_recent(cur->svc, got);
		break;
	}
	case ENGINE_OP_TRANSFER:
		if (c->service >= 0) {
			cur->svc = c->service;
			cur->target = -1;
		} else {
			cur->target = c->target_window;
		}
		cur->transfers++;
		cur->state = ENGINE_TICKET_WAITING;
		cur->window = -1;
		cur->displaced = false;
		cur->started_s = cur->hold_s = 0;
		mw->current = NONE;
		break;
	case ENGINE_OP_CANCEL: {
		struct mticket *t = &m.t[c->ticket];
		if (t->state == ENGINE_TICKET_HELD)
			m.w[t->window].n_held--;
		else
			t->left++;
		t->window = -1;
		t->state = ENGINE_TICKET_CANCELLED;
		break;
	}
	case ENGINE_OP_RATE:
		m.t[c->ticket].rated = true;
		if (engine_ticket(e, c->ticket)->rating != c->rating)
			fatal("%s rated %d", tlabel(c->ticket, l),
			      engine_ticket(e, c->ticket)->rating);
		break;
	case ENGINE_OP_CLOSE_DAY:
		for (uint32_t id = 0; id < m.n; id++) {
			if (!is_final(m.t[id].state)) {
				m.t[id].left++;
				m.t[id].state = ENGINE_TICKET_EXPIRED;
				m.t[id].window = -1;
			}
		}
		for (int i = 0; i < N_WIN; i++)
			m.w[i] = (struct mwindow){.current = NONE};
		m.closed = true;
		break;
	default:
		fatal("unexpected op");
	}
}

/* Applies one command and checks the outcome against the model. */
static void run_command(const struct engine_command *c)
{
	struct expect x = expected(c);
	struct engine_result r;
	/* engine_digest() costs O(tickets): taken when a refusal is possible,
	 * and every 8th step anyway (an unexpected refusal is also caught by
	 * the model comparison that follows every step) */
	bool digest = x.refuse || x.may || step % 8 == 0;
	uint64_t before = !digest ? 0 : digest_valid ? digest_cache : engine_digest(e);

	describe(c);
	int err = engine_apply(e, c, &r);
	int op = c->op > 0 && c->op < ENGINE_OP_COUNT ? (int)c->op : ENGINE_OP_COUNT;
	n_ops++;
	op_count[op]++;
	if (err != ENGINE_OK) {
		n_refused++;
		op_refused[op]++;
		if (err + 2 >= 0 && err + 2 < ENGINE_ERR_COUNT + 2)
			err_count[err + 2]++;
		digest_valid = digest;
		if (digest) {
			digest_cache = engine_digest(e);
			if (digest_cache != before)
				fatal("refused with %s but the state changed",
				      engine_error_name(err));
		}
		if (!((x.refuse | x.may) & E(err))) {
			if (x.refuse == 0)
				violation(V_REFUSED_VALID, "refused: %s", engine_error_name(err));
			else
				violation(V_WRONG_REFUSAL, "refused: %s", engine_error_name(err));
		}
	} else {
		digest_valid = false;
		if (x.refuse) {
			/* the model can follow an issue; anything else stops here */
			if (x.refuse & (E(ENGINE_ERR_BAD_COMMAND) | E(ENGINE_ERR_DAY_CLOSED) |
					E(ENGINE_ERR_NO_SUCH_SERVICE)) ||
			    c->op != ENGINE_OP_ISSUE)
				fatal("accepted, but the rules refuse it");
			bool slot_only = x.refuse == E(ENGINE_ERR_BAD_ARGUMENT) &&
					 (int)c->cls >= 0 && (int)c->cls < ENGINE_CLASS_APPOINTMENT;
			violation(slot_only ? V_ACCEPTED_SLOT : V_ACCEPTED_INVALID,
				  "accepted; refusals that apply: %llx",
				  (unsigned long long)x.refuse);
		}
		model_apply(c, &r);
	}
	check_light();
	if (step % FULL_CHECK_EVERY == 0)
		check_full();
}

/* ---- generating commands ---- */

static struct engine_command base(enum engine_op op)
{
	return (struct engine_command){
	    .op = op,
	    .clock = clock_now(),
	    .window = -1,
	    .service = -1,
	    .target_window = -1,
	    .ticket = NONE,
	    .reason = -1,
	};
}

static int any_window(void)
{
	if (chance(2))
		return chance(50) ? -1 : N_WIN + rnd(3);
	return rnd(N_WIN);
}

/* A window for which the predicate holds, if one does (a few tries). */
static int window_where(bool (*pred)(int))
{
	for (int i = 0; i < 12; i++) {
		int w = rnd(N_WIN);
		if (pred(w))
			return w;
	}
	return any_window();
}

static uint32_t ticket_where(unsigned states);

static bool is_busy(int w)
{
	return m.w[w].current != NONE;
}

static bool is_free(int w)
{
	return m.w[w].in && !m.w[w].paused && m.w[w].current == NONE;
}

static bool is_out(int w)
{
	return !m.w[w].in;
}

static bool is_paused(int w)
{
	return m.w[w].paused;
}

static bool is_in(int w)
{
	return m.w[w].in;
}

static bool is_called(int w)
{
	return m.w[w].current != NONE && m.t[m.w[w].current].state == ENGINE_TICKET_CALLED;
}

static bool is_serving(int w)
{
	return m.w[w].current != NONE && m.t[m.w[w].current].state == ENGINE_TICKET_SERVING;
}

static bool is_free_holding(int w)
{
	return is_free(w) && m.w[w].n_held > 0;
}

/* A waiting ticket window w serves, or any ticket id. */
static uint32_t ticket_for(int w)
{
	if (m.n > 0 && w >= 0 && w < N_WIN)
		for (int i = 0; i < 24; i++) {
			uint32_t id = (uint32_t)rnd((int)m.n);
			if (m.t[id].state == ENGINE_TICKET_WAITING &&
			    (m.t[id].target == w || level_at(w, m.t[id].svc) >= 0))
				return id;
		}
	return ticket_where(1u << ENGINE_TICKET_WAITING);
}

/* A ticket held at window w, if any. */
static uint32_t held_at(int w)
{
	for (uint32_t id = 0; w >= 0 && w < N_WIN && id < m.n; id++)
		if (m.t[id].state == ENGINE_TICKET_HELD && m.t[id].window == w && chance(70))
			return id;
	return ticket_where(1u << ENGINE_TICKET_HELD);
}

/* A service open now, if one is found quickly. */
static int open_service(void)
{
	int minute = (int)((now_s - m.midnight_s) / 60);

	for (int i = 0; i < 8; i++) {
		int s = rnd(N_SVC);
		if (open_at(s, minute))
			return s;
	}
	return rnd(N_SVC);
}

/* A ticket in one of the states (bit per state), if one is found quickly. */
static uint32_t ticket_where(unsigned states)
{
	if (m.n > 0)
		for (int i = 0; i < 24; i++) {
			uint32_t id = (uint32_t)rnd((int)m.n);
			if (states & (1u << m.t[id].state))
				return id;
		}
	return chance(80) && m.n ? (uint32_t)rnd((int)m.n) : m.n + (uint32_t)rnd(5);
}

static struct engine_command random_command(void)
{
	static const struct {
		enum engine_op op;
		int weight;
	} mix[] = {
	    {ENGINE_OP_ISSUE, 20},      {ENGINE_OP_LOGIN, 3},    {ENGINE_OP_LOGOUT, 2},
	    {ENGINE_OP_PAUSE, 2},       {ENGINE_OP_RESUME, 2},   {ENGINE_OP_CALL_NEXT, 16},
	    {ENGINE_OP_CALL_TICKET, 3}, {ENGINE_OP_RECALL, 3},   {ENGINE_OP_NO_SHOW, 5},
	    {ENGINE_OP_START, 10},      {ENGINE_OP_HOLD, 3},     {ENGINE_OP_CALL_BACK, 4},
	    {ENGINE_OP_FINISH, 12},     {ENGINE_OP_TRANSFER, 5}, {ENGINE_OP_CANCEL, 3},
	    {ENGINE_OP_RATE, 4},
	};
	int total = 0, pick;
	enum engine_op op = ENGINE_OP_ISSUE;

	for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++)
		total += mix[i].weight;
	pick = rnd(total);
	for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
		if (pick < mix[i].weight) {
			op = mix[i].op;
			break;
		}
		pick -= mix[i].weight;
	}
	struct engine_command c = base(op);
	const unsigned waiting_or_held = (1u << ENGINE_TICKET_WAITING) | (1u << ENGINE_TICKET_HELD);

	switch (op) {
	case ENGINE_OP_ISSUE:
		c.service = chance(97) ? (chance(85) ? open_service() : rnd(N_SVC))
				       : (chance(50) ? -1 : N_SVC + rnd(3));
		c.cls = (enum engine_class)(chance(70)   ? ENGINE_CLASS_NORMAL
					    : chance(50) ? ENGINE_CLASS_GREEN
							 : ENGINE_CLASS_APPOINTMENT);
		if (chance(2))
			c.cls = (enum engine_class)(ENGINE_CLASS_COUNT + rnd(3));
		if (c.cls == ENGINE_CLASS_APPOINTMENT)
			c.slot_s = chance(96) ? now_s - 1800 + rnd(5 * 3600) : -rnd(2);
		else if (chance(3))
			c.slot_s = chance(50) ? now_s + 600 : -1 - rnd(100);
		break;
	case ENGINE_OP_LOGIN:
		c.window = chance(85) ? window_where(is_out) : any_window();
		if (chance(97))
			snprintf(c.staff, sizeof(c.staff), "staff%d", rnd(40));
		break;
	case ENGINE_OP_LOGOUT:
		c.window = window_where(is_in);
		break;
	case ENGINE_OP_PAUSE:
		c.window = window_where(is_free);
		c.reason = chance(80) ? rnd(N_REASONS) : (chance(50) ? -1 : N_REASONS + rnd(3));
		break;
	case ENGINE_OP_RESUME:
		c.window = chance(80) ? window_where(is_paused) : any_window();
		break;
	case ENGINE_OP_CALL_NEXT:
		c.window = chance(90) ? window_where(is_free) : any_window();
		break;
	case ENGINE_OP_CALL_TICKET:
		c.window = chance(85) ? window_where(is_free) : any_window();
		c.ticket = chance(80) ? ticket_for(c.window) : ticket_where(0);
		break;
	case ENGINE_OP_RECALL:
	case ENGINE_OP_NO_SHOW:
	case ENGINE_OP_START:
		c.window = chance(85) ? window_where(is_called) : any_window();
		break;
	case ENGINE_OP_HOLD:
		c.window = chance(85) ? window_where(is_serving) : any_window();
		break;
	case ENGINE_OP_FINISH:
		c.window = chance(85) ? window_where(is_busy) : any_window();
		break;
	case ENGINE_OP_CALL_BACK:
		c.window = chance(85) ? window_where(is_free_holding) : any_window();
		c.ticket = chance(85) ? held_at(c.window) : ticket_where(0);
		break;
	case ENGINE_OP_TRANSFER:
		c.window = chance(90) ? window_where(is_busy) : any_window();
		switch (rnd(20)) {
		case 0:
			c.service = rnd(N_SVC);
			c.target_window = rnd(N_WIN);
			break;
		case 1:
			break; /* neither */
		case 2:
			c.service = N_SVC + rnd(3);
			break;
		case 3:
			c.target_window = N_WIN + rnd(3);
			break;
		default:
			if (chance(55))
				c.service = rnd(N_SVC);
			else
				c.target_window = rnd(N_WIN);
		}
		break;
	case ENGINE_OP_CANCEL:
		c.ticket = chance(60) ? ticket_where(waiting_or_held) : ticket_where(0);
		break;
	case ENGINE_OP_RATE:
		c.ticket =
		    chance(70) ? ticket_where(1u << ENGINE_TICKET_FINISHED) : ticket_where(0);
		c.rating = chance(92) ? 1 + rnd(5) : (chance(50) ? 0 : 6 + rnd(3));
		break;
	default:
		break;
	}
	if (chance(1)) { /* the caller's bugs */
		if (chance(70))
			c.clock.day = m.ymd + 1 + rnd(3);
		else
			c.op = chance(50) ? (enum engine_op)0 : ENGINE_OP_COUNT;
	}
	return c;
}

/* ---- days ---- */

static void end_day(int64_t *days)
{
	check_full();
	struct engine_command c = base(ENGINE_OP_CLOSE_DAY);
	if (chance(50)) { /* the core closes at midnight, with the next day's clock */
		c.clock.now_s = m.midnight_s + 86400 + rnd(60);
		c.clock.day = ymd_of(*days + 1);
		c.clock.minute = 0;
		c.clock.wday = (int8_t)((m.wday + 1) % 7);
	}
	step++;
	run_command(&c);
	check_full();
	for (uint32_t id = 0; id < m.n; id++)
		if (!is_final(engine_ticket(e, id)->state))
			fatal("ticket %u is not final after close_day", id);
	for (int i = 0; i < 3; i++) { /* the day is closed now */
		step++;
		struct engine_command x = random_command();
		run_command(&x);
	}
	*days += 1;
	int32_t next = ymd_of(*days);
	uint64_t before = engine_digest(e);
	step++;
	snprintf(what, sizeof(what), "engine_open_day(%d)", next);
	digest_valid = false;
	if (engine_open_day(e, next) != ENGINE_OK)
		fatal("refused");
	n_ops++;
	n_days++;
	if (engine_digest(e) == before)
		fatal("nothing changed");
	/* only the handling history carries over */
	int64_t recent[N_SVC][RECENT];
	int recent_n[N_SVC], recent_pos[N_SVC];
	memcpy(recent, m.recent, sizeof(recent));
	memcpy(recent_n, m.recent_n, sizeof(recent_n));
	memcpy(recent_pos, m.recent_pos, sizeof(recent_pos));
	model_day(*days);
	memcpy(m.recent, recent, sizeof(recent));
	memcpy(m.recent_n, recent_n, sizeof(recent_n));
	memcpy(m.recent_pos, recent_pos, sizeof(recent_pos));
	now_s = m.midnight_s + 8 * 3600;
	check_full();
}

static void test_random_hall(void **state)
{
	(void)state;
	int64_t days = 1772409600 / 86400; /* Monday 2026-03-02 */
	long open_day_try = 0;

	model_day(days);
	e = engine_new(&hall, m.ymd);
	assert_non_null(e);
	now_s = m.midnight_s + 8 * 3600;
	for (step = 0; n_ops < N_OPS; step++) {
		now_s += chance(10) ? 0 : 1 + rnd(40);
		if (now_s - m.midnight_s >= 17 * 3600 + 30 * 60) {
			end_day(&days);
			open_day_try = step + rnd(4000);
			continue;
		}
		if (step == open_day_try && m.n > 0) {
			/* open_day while today's tickets are not final: refused */
			uint64_t before = engine_digest(e);
			snprintf(what, sizeof(what), "engine_open_day(%d) without close_day",
				 ymd_of(days + 1));
			if (engine_open_day(e, ymd_of(days + 1)) != ENGINE_ERR_BAD_COMMAND ||
			    engine_digest(e) != before)
				fatal("not refused, or the state changed");
			n_ops++;
		}
		if (chance(1)) { /* an earlier day's handling time, as a restart feeds */
			int s = rnd(N_SVC);
			int64_t v = 30 + rnd(3000);
			engine_seed_handling(e, s, v);
			digest_valid = false;
			push_recent(s, v);
			n_ops++;
			continue;
		}
		struct engine_command c = random_command();
		run_command(&c);
	}
	check_full();
	engine_free(e);
	e = NULL;
	free(aheads);
	aheads = NULL;

	long total = 0;
	for (int v = 0; v < V_COUNT; v++)
		total += viol_count[v];
	printf("test_engine_random: %ld operations (%ld refused), %ld steps, %ld day changes\n",
	       n_ops, n_refused, step, n_days);
	for (int op = 1; op <= ENGINE_OP_COUNT; op++)
		printf("  %-12s %6ld, %6ld refused\n",
		       op < ENGINE_OP_COUNT ? engine_op_name((enum engine_op)op) : "(bad op)",
		       op_count[op], op_refused[op]);
	printf("  refusals:");
	for (int i = 0, k = 0; i < ENGINE_ERR_COUNT + 2; i++)
		if (err_count[i])
			printf("%s%s %ld", k++ % 4 ? ", " : "\n    ", engine_error_name(i - 2),
			       err_count[i]);
	printf("\n");
	for (int v = 0; v < V_COUNT; v++) {
		if (!viol_count[v])
			continue;
		printf("RULE BROKEN %ld times: %s\n", viol_count[v], viol_names[v]);
		for (long i = 0; i < viol_count[v] && i < N_EXAMPLES; i++)
			printf("    %s\n", viol_example[v][i]);
	}
	fflush(stdout);
	if (total)
		fail_msg("%ld rule breaks (seed %llu)", total, (unsigned long long)seed);
}

int main(void)
{
	const char *env = getenv("HALLQ_SEED");

	seed = env && *env ? strtoull(env, NULL, 0) : 20260302ULL;
	rng_state = seed;
	printf("test_engine_random: seed %llu (HALLQ_SEED=%llu replays this run)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	build_hall();
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_hall),
	};
	return cmocka_run_group_tests_name("engine_random", tests, NULL, NULL);
}
