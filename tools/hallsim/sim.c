/*
 * sim.c — fast mode's simulation loop (sim.h): a discrete-event loop in
 * virtual time over one planned day, the window staff's behaviour, the
 * journal in hourly transactions, the day close at midnight.
 *
 * Room: tools/hallsim. Uses the engine, the store and the models; the
 * local calendar comes from localtime_r()/mktime() under the caller's TZ.
 * All the randomness is in the day's plan (model.c): the loop is a pure
 * function of the plan, so equal seeds give equal journals.
 *
 * A window's staff (one agent per window):
 *   - log in at the planned time of each session (the first one in the
 *     sign-in period, a few late);
 *   - when free: call back a held citizen who is back, else call the next
 *     ticket; idle when nothing waits, until a new ticket they serve
 *     arrives (they react params.react_s later);
 *   - an absent citizen is recalled once after params.recall_after_s and
 *     marked no_show as long after; a present one walks to the window
 *     (start), is served (finish), maybe held once (挂起) or transferred;
 *   - after a finish the citizen may rate, and the window may pause with
 *     one of the config's reasons;
 *   - at a session's end they go on calling while tickets wait, up to
 *     params.overtime_max_s, then log out once free with nothing held
 *     (lunch, or the end of the day).
 */
#define _DEFAULT_SOURCE /* localtime_r */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum ev_type {
	EV_LOGIN,       /* window, session */
	EV_SESSION_END, /* window */
	EV_WAKE,        /* window: a ticket it serves arrived */
	EV_RECALL,      /* window */
	EV_NO_SHOW,     /* window */
	EV_START,       /* window */
	EV_HOLD,        /* window */
	EV_HOLD_BACK,   /* citizen: back from fetching the document */
	EV_TRANSFER,    /* window */
	EV_FINISH,      /* window */
	EV_RATE,        /* citizen */
	EV_RESUME,      /* window */
};

struct event {
	int64_t t;
	uint64_t seq; /* order of scheduling: equal times run first come first */
	int type;
	int who; /* window or citizen */
	int arg;
};

struct agent {
	bool in; /* logged in */
	bool paused;
	bool wake_queued; /* an EV_WAKE is on its way */
	int session;      /* the session it logged in for */
	int citizen;      /* called or serving, else -1 */
	int held;         /* citizens held at this window */
	int back;         /* of them, back and waiting for the call back */
};

/* A citizen's progress through the day. */
struct walker {
	uint32_t ticket; /* ENGINE_NO_TICKET: refused at the kiosk */
	int stage;       /* 0 at the first service, 1 after a transfer */
	int window;      /* the window calling, serving or holding it */
	int remaining_s; /* handling left when it comes back from a hold */
	bool back;       /* held and back */
};

struct sim {
	struct engine_hall hall;
	struct model_params p;
	double volume[ENGINE_MAX_SERVICES];
	uint64_t seed;
	char staff[ENGINE_MAX_WINDOWS][ENGINE_ID_SIZE];
	struct store *st;
	char source[ENGINE_ID_SIZE];
	struct sim_hooks hooks;

	struct engine *e;
	struct model_day plan;
	struct walker *walkers;
	int cap_walkers;
	int *ticket_citizen; /* ticket id -> citizen of the day */
	struct agent agents[ENGINE_MAX_WINDOWS];
	struct event *heap;
	int n_heap, cap_heap;
	uint64_t seq;
	int64_t midnight_s, next_midnight_s, staff_gone_s;
	int refused;

	bool in_tx;
	int64_t tx_hour;
	int rc; /* the first error of the run: SIM_ERR_* */
	char err[256];

	int64_t handling_sum[ENGINE_MAX_SERVICES];
	int64_t handling_n[ENGINE_MAX_SERVICES];
};

/* ---- the event queue: a binary min-heap on (t, seq) ---- */

static bool earlier(const struct event *a, const struct event *b)
{
	return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static void schedule(struct sim *s, int64_t t, int type, int who, int arg)
{
	if (s->n_heap == s->cap_heap) {
		int cap = s->cap_heap ? s->cap_heap * 2 : 256;
		struct event *grown = realloc(s->heap, (size_t)cap * sizeof(*grown));
		if (!grown) {
			s->rc = s->rc ? s->rc : SIM_ERR_NOMEM;
			snprintf(s->err, sizeof(s->err), "out of memory");
			return;
		}
		s->heap = grown;
		s->cap_heap = cap;
	}
	struct event ev = {t, s->seq++, type, who, arg};
	int i = s->n_heap++;
	while (i > 0 && earlier(&ev, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = ev;
}

static struct event pop(struct sim *s)
{
	struct event top = s->heap[0], last = s->heap[--s->n_heap];
	int i = 0;

	for (;;) {
		int child = 2 * i + 1;
		if (child >= s->n_heap)
			break;
		if (child + 1 < s->n_heap && earlier(&s->heap[child + 1], &s->heap[child]))
			child++;
		if (!earlier(&s->heap[child], &last))
			break;
		s->heap[i] = s->heap[child];
		i = child;
	}
	if (s->n_heap > 0)
		s->heap[i] = last;
	return top;
}

/* ---- the clock and the journal ---- */

static void clock_at(int64_t t, struct engine_clock *c)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	c->now_s = t;
	c->day = (int32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
	c->minute = (int16_t)(tm.tm_hour * 60 + tm.tm_min);
	c->wday = (int8_t)tm.tm_wday;
}

static int64_t local_midnight(int32_t day, int plus_days)
{
	struct tm tm = {.tm_year = day / 10000 - 1900,
			.tm_mon = day / 100 % 100 - 1,
			.tm_mday = day % 100 + plus_days,
			.tm_isdst = -1};

	return (int64_t)mktime(&tm);
}

static void journal(struct sim *s, const struct engine_command *cmd,
		    const struct engine_result *res)
{
	int64_t hour = cmd->clock.now_s / 3600;
	int rc = STORE_OK;

	if (!s->st || s->rc)
		return;
	if (!s->in_tx || hour != s->tx_hour) {
		if (s->in_tx)
			rc = store_commit(s->st);
		s->in_tx = false;
		if (rc == STORE_OK)
			rc = store_begin(s->st);
		s->in_tx = rc == STORE_OK;
		s->tx_hour = hour;
	}
	if (rc == STORE_OK)
		rc = store_record(s->st, s->e, cmd, res, s->source);
	if (rc != STORE_OK) {
		s->rc = SIM_ERR_STORE;
		snprintf(s->err, sizeof(s->err), "the database failed: %s", store_strerror(rc));
	}
}

static struct engine_command command(enum engine_op op, int window)
{
	return (struct engine_command){.op = op,
				       .window = window,
				       .service = -1,
				       .target_window = -1,
				       .ticket = ENGINE_NO_TICKET,
				       .reason = -1};
}

/* Applies cmd at time t and journals it when accepted; returns the
 * engine's answer. */
static int apply(struct sim *s, struct engine_command *cmd, int64_t t, struct engine_result *res)
{
	clock_at(t, &cmd->clock);
	int err = engine_apply(s->e, cmd, res);
	if (err == ENGINE_OK)
		journal(s, cmd, res);
	return err;
}

/* The engine refused what the staff model only does when it is allowed. */
static void unexpected(struct sim *s, const struct engine_command *cmd, int err)
{
	if (s->rc)
		return;
	s->rc = SIM_ERR_ENGINE;
	snprintf(s->err, sizeof(s->err), "day %d, window %d: %s refused: %s", (int)engine_day(s->e),
		 cmd->window >= 0 ? s->hall.windows[cmd->window].number : -1,
		 engine_op_name(cmd->op), engine_error_name(err));
}

/* Applies a command the model expects the engine to take. */
static bool must_apply(struct sim *s, struct engine_command *cmd, int64_t t,
		       struct engine_result *res)
{
	int err = apply(s, cmd, t, res);

	if (err != ENGINE_OK)
		unexpected(s, cmd, err);
	return err == ENGINE_OK;
}

/* ---- the staff ---- */

static bool serves(const struct sim *s, int w, int service)
{
	const struct engine_window *win = &s->hall.windows[w];

	for (int i = 0; i < win->n_services; i++)
		if (win->services[i].service == service)
			return true;
	return false;
}

static bool idle(const struct agent *ag)
{
	return ag->in && !ag->paused && ag->citizen < 0;
}

/* A ticket of this service waits: idle windows serving it react. */
static void poke(struct sim *s, int service, int64_t t)
{
	for (int w = 0; w < s->hall.n_windows; w++) {
		struct agent *ag = &s->agents[w];
		if (idle(ag) && !ag->wake_queued && serves(s, w, service)) {
			ag->wake_queued = true;
			schedule(s, t + s->p.react_s, EV_WAKE, w, 0);
		}
	}
}

static const struct model_citizen *citizen(const struct sim *s, int c)
{
	return &s->plan.citizens[c];
}

/* The window called ticket: the citizen walks up, or is not there. */
static void called(struct sim *s, int w, uint32_t ticket, int64_t t)
{
	int c = s->ticket_citizen[ticket];
	const struct model_citizen *cz = citizen(s, c);
	struct walker *wk = &s->walkers[c];

	s->agents[w].citizen = c;
	wk->window = w;
	if (cz->no_show)
		schedule(s, t + s->p.recall_after_s, EV_RECALL, w, 0);
	else
		schedule(s, t + (wk->stage ? cz->walk2_s : cz->walk_s), EV_START, w, 0);
}

static bool call_next(struct sim *s, int w, int64_t t)
{
	struct engine_command cmd = command(ENGINE_OP_CALL_NEXT, w);
	struct engine_result res;
	int err = apply(s, &cmd, t, &res);

	if (err == ENGINE_ERR_NO_TICKET_WAITING)
		return false;
	if (err != ENGINE_OK) {
		unexpected(s, &cmd, err);
		return false;
	}
	called(s, w, res.ticket, t);
	return true;
}

static void call_back(struct sim *s, int w, int64_t t)
{
	struct agent *ag = &s->agents[w];
	int c = -1;

	for (int i = 0; i < s->plan.n_citizens && c < 0; i++)
		if (s->walkers[i].back && s->walkers[i].window == w)
			c = i;
	if (c < 0)
		return;
	struct engine_command cmd = command(ENGINE_OP_CALL_BACK, w);
	struct engine_result res;
	cmd.ticket = s->walkers[c].ticket;
	if (!must_apply(s, &cmd, t, &res))
		return;
	s->walkers[c].back = false;
	ag->back--;
	ag->held--;
	ag->citizen = c;
	schedule(s, t + s->walkers[c].remaining_s, EV_FINISH, w, 0);
}

static int64_t session_end(const struct sim *s, int k)
{
	return s->midnight_s + (int64_t)s->hall.hours.sessions[k].end_min * 60;
}

/* A free window decides what to do next. */
static void decide(struct sim *s, int w, int64_t t)
{
	struct agent *ag = &s->agents[w];

	if (!idle(ag))
		return;
	if (ag->back > 0) {
		call_back(s, w, t);
		return;
	}
	int64_t end = session_end(s, ag->session);
	if (t < end) {
		call_next(s, w, t);
		return;
	}
	if (t < end + s->p.overtime_max_s && call_next(s, w, t))
		return;
	if (ag->held > 0)
		return; /* waits for the citizens it holds */
	struct engine_command cmd = command(ENGINE_OP_LOGOUT, w);
	struct engine_result res;
	if (!must_apply(s, &cmd, t, &res))
		return;
	ag->in = false;
	s->staff_gone_s = t > s->staff_gone_s ? t : s->staff_gone_s;
	int next = ag->session + 1;
	if (next < s->hall.hours.n_sessions && s->plan.staff[w].login_s[next] >= 0) {
		int64_t at = s->plan.staff[w].login_s[next];
		schedule(s, at > t ? at : t + 1, EV_LOGIN, w, next);
	}
}

static void on_login(struct sim *s, int w, int session, int64_t t)
{
	struct agent *ag = &s->agents[w];
	struct engine_command cmd = command(ENGINE_OP_LOGIN, w);
	struct engine_result res;

	if (t >= session_end(s, session))
		return; /* too late for this session */
	snprintf(cmd.staff, sizeof(cmd.staff), "%s", s->staff[w]);
	if (!must_apply(s, &cmd, t, &res))
		return;
	ag->in = true;
	ag->session = session;
	schedule(s, session_end(s, session), EV_SESSION_END, w, 0);
	decide(s, w, t);
}

static void on_start(struct sim *s, int w, int64_t t)
{
	struct engine_command cmd = command(ENGINE_OP_START, w);
	struct engine_result res;
	int c = s->agents[w].citizen;
	const struct model_citizen *cz = citizen(s, c);
	struct walker *wk = &s->walkers[c];

	if (!must_apply(s, &cmd, t, &res))
		return;
	if (wk->stage == 1) {
		schedule(s, t + cz->handling2_s, EV_FINISH, w, 0);
	} else if (cz->hold_s > 0) {
		int before = (int)(cz->hold_at * cz->handling_s);
		wk->remaining_s = cz->handling_s - before;
		schedule(s, t + before, EV_HOLD, w, 0);
	} else if (cz->transfer_to >= 0) {
		schedule(s, t + (int64_t)(cz->transfer_at * cz->handling_s), EV_TRANSFER, w, 0);
	} else {
		schedule(s, t + cz->handling_s, EV_FINISH, w, 0);
	}
}

/* The window is done with its citizen for now. */
static void release(struct sim *s, int w, int64_t t)
{
	s->agents[w].citizen = -1;
	decide(s, w, t);
}

static void on_no_show(struct sim *s, int w, int64_t t)
{
	struct engine_command cmd = command(ENGINE_OP_NO_SHOW, w);
	struct engine_result res;

	if (!must_apply(s, &cmd, t, &res))
		return;
	s->agents[w].citizen = -1;
	if (res.requeued)
		poke(s, engine_ticket(s->e, res.ticket)->service, t);
	decide(s, w, t);
}

static void on_hold(struct sim *s, int w, int64_t t)
{
	struct engine_command cmd = command(ENGINE_OP_HOLD, w);
	struct engine_result res;
	int c = s->agents[w].citizen;

	if (!must_apply(s, &cmd, t, &res))
		return;
	s->agents[w].held++;
	schedule(s, t + citizen(s, c)->hold_s, EV_HOLD_BACK, c, 0);
	release(s, w, t);
}

static void on_hold_back(struct sim *s, int c, int64_t t)
{
	struct walker *wk = &s->walkers[c];

	wk->back = true;
	s->agents[wk->window].back++;
	decide(s, wk->window, t);
}

static void on_transfer(struct sim *s, int w, int64_t t)
{
	struct engine_command cmd = command(ENGINE_OP_TRANSFER, w);
	struct engine_result res;
	int c = s->agents[w].citizen;

	cmd.service = citizen(s, c)->transfer_to;
	if (!must_apply(s, &cmd, t, &res))
		return;
	s->walkers[c].stage = 1;
	s->agents[w].citizen = -1;
	poke(s, cmd.service, t);
	decide(s, w, t);
}

static void on_finish(struct sim *s, int w, int64_t t)
{
	struct agent *ag = &s->agents[w];
	struct engine_command cmd = command(ENGINE_OP_FINISH, w);
	struct engine_result res;
	int c = ag->citizen;
	const struct model_citizen *cz = citizen(s, c);

	if (!must_apply(s, &cmd, t, &res))
		return;
	const struct engine_ticket *tk = engine_ticket(s->e, res.ticket);
	s->handling_sum[tk->service] += engine_handling_s(tk);
	s->handling_n[tk->service]++;
	if (cz->rating > 0)
		schedule(s, t + cz->rate_after_s, EV_RATE, c, 0);
	ag->citizen = -1;
	if (cz->pause_reason >= 0 && t + 600 < session_end(s, ag->session)) {
		struct engine_command pause = command(ENGINE_OP_PAUSE, w);
		pause.reason = cz->pause_reason;
		if (!must_apply(s, &pause, t, &res))
			return;
		ag->paused = true;
		schedule(s, t + cz->pause_s, EV_RESUME, w, 0);
		return;
	}
	decide(s, w, t);
}

/* ---- the citizens ---- */

static void on_arrive(struct sim *s, int c, int64_t t)
{
	const struct model_citizen *cz = citizen(s, c);
	struct engine_command cmd = command(ENGINE_OP_ISSUE, -1);
	struct engine_result res;

	cmd.service = cz->service;
	cmd.cls = (enum engine_class)cz->cls;
	cmd.slot_s = cz->slot_s;
	int err = apply(s, &cmd, t, &res);
	if (err == ENGINE_ERR_QUOTA_REACHED || err == ENGINE_ERR_OUTSIDE_HOURS) {
		s->refused++;
		return;
	}
	if (err != ENGINE_OK) {
		unexpected(s, &cmd, err);
		return;
	}
	s->walkers[c].ticket = res.ticket;
	s->ticket_citizen[res.ticket] = c;
	if (s->hooks.issued)
		s->hooks.issued(s->hooks.arg, s->e, cz, &res);
	poke(s, cz->service, t);
}

static void on_rate(struct sim *s, int c, int64_t t)
{
	struct engine_command cmd = command(ENGINE_OP_RATE, -1);
	struct engine_result res;

	cmd.ticket = s->walkers[c].ticket;
	cmd.rating = citizen(s, c)->rating;
	must_apply(s, &cmd, t, &res);
}

static void run_event(struct sim *s, const struct event *ev)
{
	struct engine_command cmd;
	struct engine_result res;

	switch (ev->type) {
	case EV_LOGIN:
		on_login(s, ev->who, ev->arg, ev->t);
		break;
	case EV_SESSION_END:
		decide(s, ev->who, ev->t);
		break;
	case EV_WAKE:
		s->agents[ev->who].wake_queued = false;
		decide(s, ev->who, ev->t);
		break;
	case EV_RECALL:
		cmd = command(ENGINE_OP_RECALL, ev->who);
		if (must_apply(s, &cmd, ev->t, &res))
			schedule(s, ev->t + s->p.recall_after_s, EV_NO_SHOW, ev->who, 0);
		break;
	case EV_NO_SHOW:
		on_no_show(s, ev->who, ev->t);
		break;
	case EV_START:
		on_start(s, ev->who, ev->t);
		break;
	case EV_HOLD:
		on_hold(s, ev->who, ev->t);
		break;
	case EV_HOLD_BACK:
		on_hold_back(s, ev->who, ev->t);
		break;
	case EV_TRANSFER:
		on_transfer(s, ev->who, ev->t);
		break;
	case EV_FINISH:
		on_finish(s, ev->who, ev->t);
		break;
	case EV_RATE:
		on_rate(s, ev->who, ev->t);
		break;
	case EV_RESUME:
		cmd = command(ENGINE_OP_RESUME, ev->who);
		if (must_apply(s, &cmd, ev->t, &res)) {
			s->agents[ev->who].paused = false;
			decide(s, ev->who, ev->t);
		}
		break;
	}
}

/* ---- a day ---- */

static int prepare_day(struct sim *s, int32_t day, int *wday)
{
	struct tm tm;
	time_t mid;

	s->midnight_s = local_midnight(day, 0);
	s->next_midnight_s = local_midnight(day, 1);
	mid = (time_t)s->midnight_s;
	localtime_r(&mid, &tm);
	*wday = tm.tm_wday;
	if (!s->e) {
		s->e = engine_new(&s->hall, day);
		if (!s->e)
			return SIM_ERR_NOMEM;
	} else if (engine_day(s->e) != day && engine_open_day(s->e, day) != ENGINE_OK) {
		snprintf(s->err, sizeof(s->err), "cannot open day %d", (int)day);
		return SIM_ERR_ENGINE;
	}
	if (model_plan_day(&s->hall, &s->p, s->volume, s->seed, day, *wday, s->midnight_s,
			   &s->plan) != 0)
		return SIM_ERR_NOMEM;
	if (s->plan.n_citizens > s->cap_walkers) {
		struct walker *grown =
		    realloc(s->walkers, (size_t)s->plan.n_citizens * sizeof(*grown));
		if (!grown)
			return SIM_ERR_NOMEM;
		s->walkers = grown;
		s->cap_walkers = s->plan.n_citizens;
	}
	for (int c = 0; c < s->plan.n_citizens; c++)
		s->walkers[c] = (struct walker){.ticket = ENGINE_NO_TICKET, .window = -1};
	for (int w = 0; w < s->hall.n_windows; w++)
		s->agents[w] = (struct agent){.citizen = -1};
	s->n_heap = 0;
	s->refused = 0;
	s->staff_gone_s = 0;
	for (int w = 0; w < s->hall.n_windows; w++)
		if (s->plan.staff[w].login_s[0] >= 0)
			schedule(s, s->plan.staff[w].login_s[0], EV_LOGIN, w, 0);
	return s->rc;
}

/* Plays the plan: arrivals in order, merged with the scheduled events
 * (those first on equal times). */
static void play(struct sim *s)
{
	int next = 0;

	while (!s->rc && (next < s->plan.n_citizens || s->n_heap > 0)) {
		bool arrival = next < s->plan.n_citizens &&
			       (s->n_heap == 0 || s->plan.citizens[next].arrive_s < s->heap[0].t);
		if (arrival) {
			on_arrive(s, next, s->plan.citizens[next].arrive_s);
			next++;
			continue;
		}
		struct event ev = pop(s);
		if (ev.t >= s->next_midnight_s)
			continue; /* the day is over before it */
		run_event(s, &ev);
	}
}

static void summarize(struct sim *s, int32_t day, int wday, struct sim_day_summary *out)
{
	const struct engine *e = s->e;
	double wait_sum = 0;

	*out = (struct sim_day_summary){
	    .day = day,
	    .wday = wday,
	    .workday = (s->hall.hours.workdays >> wday) & 1,
	    .citizens = s->plan.n_citizens,
	    .issued = (int)engine_ticket_count(e),
	    .refused = s->refused,
	    .staff_gone_s = s->staff_gone_s,
	};
	for (uint32_t id = 0; id < engine_ticket_count(e); id++) {
		const struct engine_ticket *t = engine_ticket(e, id);
		if (t->first_called_s > 0) {
			out->called++;
			wait_sum += (double)(t->first_called_s - t->issued_s);
		}
		out->finished += t->state == ENGINE_TICKET_FINISHED;
		out->no_shows += t->state == ENGINE_TICKET_NO_SHOW;
		out->expired += t->state < ENGINE_TICKET_FINISHED;
	}
	out->mean_wait_s = out->called ? wait_sum / out->called : 0;
}

int sim_run_day(struct sim *s, int32_t day, struct sim_day_summary *out)
{
	int wday = 0;

	if (s->rc)
		return s->rc;
	s->rc = prepare_day(s, day, &wday);
	if (s->rc) {
		if (!s->err[0])
			snprintf(s->err, sizeof(s->err), "out of memory");
		return s->rc;
	}
	play(s);
	if (s->rc)
		return s->rc;
	summarize(s, day, wday, out);
	if (s->hooks.day_end)
		s->hooks.day_end(s->hooks.arg, s->e, s->staff_gone_s);
	/* as the core's roll_day(): close at the first moment of the next day */
	struct engine_command close = command(ENGINE_OP_CLOSE_DAY, -1);
	struct engine_result res;
	if (must_apply(s, &close, s->next_midnight_s, &res))
		out->digest = engine_digest(s->e);
	return s->rc;
}

int sim_finish(struct sim *s)
{
	if (s->st && s->in_tx) {
		if (s->rc == 0 && store_commit(s->st) != STORE_OK) {
			s->rc = SIM_ERR_STORE;
			snprintf(s->err, sizeof(s->err), "the database failed at the last commit");
		}
		if (s->rc)
			store_rollback(s->st);
		s->in_tx = false;
	}
	return s->rc;
}

/* ---- the object ---- */

struct sim *sim_new(const struct sim_config *cfg)
{
	struct sim *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->hall = *cfg->hall;
	s->p = cfg->params;
	s->seed = cfg->seed;
	s->st = cfg->store;
	s->hooks = cfg->hooks;
	snprintf(s->source, sizeof(s->source), "%s", cfg->source ? cfg->source : "hallsim");
	if (cfg->volume)
		memcpy(s->volume, cfg->volume, sizeof(double) * (size_t)s->hall.n_services);
	else
		model_volumes(&s->hall, &s->p, s->volume);
	for (int w = 0; w < s->hall.n_windows; w++) {
		if (w < cfg->n_staff && cfg->staff[w])
			snprintf(s->staff[w], sizeof(s->staff[w]), "%s", cfg->staff[w]);
		else
			snprintf(s->staff[w], sizeof(s->staff[w]), "%d",
				 9000 + s->hall.windows[w].number);
	}
	s->ticket_citizen =
	    calloc((size_t)s->hall.n_services * ENGINE_MAX_QUOTA + 1, sizeof(*s->ticket_citizen));
	if (!s->ticket_citizen) {
		sim_free(s);
		return NULL;
	}
	return s;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	if (s->st && s->in_tx)
		store_rollback(s->st);
	engine_free(s->e);
	model_day_free(&s->plan);
	free(s->walkers);
	free(s->ticket_citizen);
	free(s->heap);
	free(s);
}

const char *sim_error(const struct sim *s)
{
	return s->err[0] ? s->err : "no error";
}

const struct engine *sim_engine(const struct sim *s)
{
	return s->e;
}

double sim_mean_handling_s(const struct sim *s, int service)
{
	if (s->handling_n[service] == 0)
		return s->hall.services[service].standard_min * 60.0;
	return (double)s->handling_sum[service] / (double)s->handling_n[service];
}
