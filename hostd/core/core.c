/*
 * core.c — the core thread: a bounded request queue, group commit, restore
 * from the journal, day rollover.
 *
 * Room: hostd/core. Includes the engine, the store and the log; never
 * SQLite itself. All engine and store calls happen on the core thread
 * (or before it starts, in core_new); the mutex guards only the request
 * queue and the reply flags.
 */
#define _DEFAULT_SOURCE /* localtime_r, timegm on older libcs */
#include "core/core.h"
#include "core/core_internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nettle/hmac.h>

#include "log/log.h"

enum { TOKEN_KEY_SIZE = 32 };

struct core {
	struct engine_hall hall;
	struct store *st;
	struct core_clock clock;
	struct engine *e;   /* NULL after a failed rebuild: every request fails */
	int64_t last_now_s; /* the latest time journalled: time never goes back */
	/* The store: the last write failed (store_error says why) at the hall's
	 * time store_failed_s, and none has worked since; a write was last
	 * tried at last_try_ms (monotonic), with the busy timeout cut from
	 * busy_ms to CORE_FAILING_BUSY_MS meanwhile. */
	bool store_failed;
	int store_error;
	int64_t store_failed_s;
	int64_t last_try_ms;
	int busy_ms;
	uint64_t failed_tries;
	uint8_t token_key[TOKEN_KEY_SIZE];      /* set once in core_new() */
	uint8_t phone_key[CORE_PHONE_KEY_SIZE]; /* the bookings' phone hash key, likewise */
	struct {
		core_observer fn;
		void *arg;
	} observers[CORE_MAX_OBSERVERS];
	int n_observers;
	void (*tick_fn)(void *arg); /* core_on_tick() */
	void *tick_arg;
	int tick_period_ms; /* the longest idle wait: 1000 without a tick */

	pthread_mutex_t mu;
	pthread_cond_t wake; /* requests arrived, or stop */
	pthread_cond_t done; /* a batch was answered */
	struct core_request *head, *tail;
	int pending, capacity;
	bool stopping, started;
	pthread_t thread;
	struct core_stats stats;

	pthread_mutex_t view_mu; /* guards view */
	struct core_view view;
	struct core_view next_view; /* built on the core thread */
};

/* The core's refusals, in enum core_refusal order: docs/api.md lists them. */
static const struct {
	const char *name, *text;
} refusals[CORE_REFUSE_END - CORE_REFUSE_NOT_FOUND] = {
    {"NOT_FOUND", "no booking has that code"},
    {"NO_APPOINTMENTS", "the service takes no appointments"},
    {"APPOINTMENT_REQUIRED", "the service takes appointments only (必须预约): no walk-in tickets"},
    {"NOT_A_SLOT", "not the start of one of the service's slots that day"},
    {"TOO_FAR_AHEAD", "that day is not open for booking yet"},
    {"BOOKING_CLOSED", "booking that slot has closed"},
    {"SLOT_FULL", "every place of that slot is booked"},
    {"ALREADY_BOOKED", "this phone number has a booking of the service that day"},
    {"PHONE_LIMIT_REACHED", "this phone number has as many bookings that day as one may"},
    {"PHONE_BLOCKED", "this phone number may not book for now, after repeated no-shows"},
    {"IDEMPOTENCY_KEY_REUSED", "the idempotency key was used for another booking"},
    {"ALREADY_CHECKED_IN", "the booking was checked in already"},
    {"BOOKING_CANCELLED", "the booking was cancelled"},
    {"NOT_TODAY", "the booking is for another day"},
    {"CHECK_IN_TOO_LATE", "too late to check in: the grace after the slot's start is over"},
    {"CANCEL_TOO_LATE", "too late to cancel: the slot has started"},
};

const char *core_strerror(int err)
{
	switch (err) {
	case CORE_OK:
		return "ok";
	case CORE_ERR_BUSY:
		return "busy: too many requests waiting, try again";
	case CORE_ERR_STOPPED:
		return "hostd is stopping";
	case CORE_ERR_STORE:
		return "the database failed; nothing was recorded";
	case CORE_ERR_NOMEM:
		return "out of memory";
	case CORE_ERR_RANDOM:
		return "no random bytes from the system for a booking code";
	}
	if (err >= CORE_REFUSE_NOT_FOUND && err < CORE_REFUSE_END)
		return refusals[err - CORE_REFUSE_NOT_FOUND].text;
	return engine_strerror(err);
}

const char *core_error_name(int err)
{
	switch (err) {
	case CORE_ERR_BUSY:
		return "BUSY";
	case CORE_ERR_STOPPED:
		return "STOPPING";
	case CORE_ERR_STORE:
		return "STORE_FAILED";
	case CORE_ERR_NOMEM:
		return "OUT_OF_MEMORY";
	case CORE_ERR_RANDOM:
		return "NO_RANDOM";
	}
	if (err >= CORE_REFUSE_NOT_FOUND && err < CORE_REFUSE_END)
		return refusals[err - CORE_REFUSE_NOT_FOUND].name;
	return engine_error_name(err);
}

/* ---- the system clock ---- */

void core_clock_at(int64_t t, struct engine_clock *out)
{
	struct tm tm;
	time_t tt = (time_t)t;

	localtime_r(&tt, &tm);
	out->now_s = t;
	out->day = (int32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
	out->minute = (int16_t)(tm.tm_hour * 60 + tm.tm_min);
	out->wday = (int8_t)tm.tm_wday;
}

static void system_now(void *arg, struct engine_clock *out)
{
	(void)arg;
	core_clock_at((int64_t)time(NULL), out);
}

const struct core_clock core_system_clock = {system_now, NULL};

static void scaled_now(void *arg, struct engine_clock *out)
{
	const struct core_scaled_clock *c = arg;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	double real = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	core_clock_at(c->start_s + (int64_t)floor((real - c->origin_s) * c->speed), out);
}

struct core_clock core_scaled_clock(struct core_scaled_clock *state)
{
	return (struct core_clock){scaled_now, state};
}

/* ---- restore ---- */

static void seed(void *arg, int service, int64_t handling_s)
{
	engine_seed_handling(arg, service, handling_s);
}

struct replay {
	struct engine *e;
	int64_t last_now_s;
	int mismatches; /* issues that did not get back their number */
};

static int replay_one(void *arg, const struct store_event *ev)
{
	struct replay *rp = arg;
	struct engine *e = rp->e;
	struct engine_command cmd = ev->cmd;
	struct engine_result res;
	char label[8];

	if (cmd.clock.now_s > rp->last_now_s)
		rp->last_now_s = cmd.clock.now_s;
	cmd.replay = true;
	if (ev->unknown_ref) {
		log_warn("journal event %lld names a service, window or reason the config no "
			 "longer has; skipped",
			 (long long)ev->id);
		return 0;
	}
	if (ev->ticket[0] && (cmd.op == ENGINE_OP_CALL_TICKET || cmd.op == ENGINE_OP_CALL_BACK ||
			      cmd.op == ENGINE_OP_CANCEL || cmd.op == ENGINE_OP_RATE))
		cmd.ticket = engine_find_label(e, ev->ticket);
	int err = engine_apply(e, &cmd, &res);
	if (err)
		log_warn("journal event %lld (%s) refused on replay: %s", (long long)ev->id,
			 engine_op_name(cmd.op), engine_strerror(err));
	if (cmd.op == ENGINE_OP_ISSUE &&
	    (err ||
	     strcmp(engine_ticket_label(engine_ticket(e, res.ticket), label), ev->ticket) != 0)) {
		/* Later events name tickets by number: they would reach the wrong one. */
		log_error("journal event %lld issued %s, the replay could not give it back that "
			  "number",
			  (long long)ev->id, ev->ticket);
		rp->mismatches++;
		return 1;
	}
	return 0;
}

/* Builds c->e from the store: the last journalled day, replayed. */
static int restore(struct core *c, int32_t today, char *err, int err_size)
{
	int32_t day = 0;
	int rc = store_last_day(c->st, &day);

	engine_free(c->e);
	c->e = NULL;
	if (rc != STORE_OK) {
		snprintf(err, (size_t)err_size, "cannot read the journal: %s [%s]",
			 store_strerror(rc), store_last_error(c->st));
		c->store_error = rc;
		return CORE_ERR_STORE;
	}
	if (day == 0)
		day = today;
	struct engine *e = engine_new(&c->hall, day);
	if (!e) {
		snprintf(err, (size_t)err_size, "out of memory");
		return CORE_ERR_NOMEM;
	}
	struct replay rp = {.e = e};
	rc = store_recent_handling(c->st, &c->hall, day, c->hall.queue.estimate_recent_tickets,
				   seed, e);
	if (rc == STORE_OK)
		rc = store_replay_day(c->st, &c->hall, day, replay_one, &rp);
	if (rp.mismatches) {
		snprintf(err, (size_t)err_size,
			 "the journal of %d cannot be replayed with this config: a ticket would "
			 "change its number (was a service removed?)",
			 (int)day);
		engine_free(e);
		return CORE_ERR_STORE;
	}
	if (rc != STORE_OK) {
		snprintf(err, (size_t)err_size, "cannot replay the journal of %d: %s [%s]",
			 (int)day, store_strerror(rc), store_last_error(c->st));
		c->store_error = rc;
		engine_free(e);
		return CORE_ERR_STORE;
	}
	const char *broken = engine_check(e);
	if (broken) {
		snprintf(err, (size_t)err_size, "the journal of %d replays to a broken state: %s",
			 (int)day, broken);
		engine_free(e);
		return CORE_ERR_STORE;
	}
	c->e = e;
	if (rp.last_now_s > c->last_now_s)
		c->last_now_s = rp.last_now_s;
	return CORE_OK;
}

static struct booking_ctx booking_ctx(struct core *c, const struct engine_clock *now)
{
	return (struct booking_ctx){c->st, &c->hall, c->e, c->phone_key, now};
}

/* Rebuilds the view other threads read; O(services + windows x their services). */
static void refresh_view(struct core *c, const struct engine_clock *now)
{
	struct core_view *v = &c->next_view;
	const struct engine *e = c->e;
	bool failing = c->store_failed || !e;

	v->store_failing = failing;
	v->store_error = failing ? (c->store_error ? c->store_error : STORE_ERR_IO) : STORE_OK;
	v->store_failing_since = failing ? c->store_failed_s : 0;
	if (!e) {
		pthread_mutex_lock(&c->view_mu);
		if (!c->view.store_failing || c->view.store_error != v->store_error)
			c->view.version++;
		c->view.store_failing = true;
		c->view.store_error = v->store_error;
		c->view.store_failing_since = v->store_failing_since;
		*v = c->view;
		pthread_mutex_unlock(&c->view_mu);
		return;
	}
	v->day = engine_day(e);
	v->now_s = now->now_s;
	v->n_services = c->hall.n_services;
	v->n_windows = c->hall.n_windows;
	for (int s = 0; s < c->hall.n_services; s++) {
		struct core_service_view *sv = &v->services[s];
		sv->waiting = engine_waiting_count(e, s);
		sv->issued = engine_issued_count(e, s);
		sv->issue_err = now->day == engine_day(e) ? engine_issue_check(e, s, now)
							  : ENGINE_ERR_DAY_CLOSED;
		/* appointments only, or the quota left held for bookings */
		struct booking_ctx bc = booking_ctx(c, now);
		if (now->day != engine_day(e) || booking_due(&bc, s, &sv->booked) != STORE_OK)
			sv->booked = 0;
		if (sv->issue_err == ENGINE_OK)
			sv->issue_err = booking_walk_in_refusal(&bc, s, false, sv->booked);
		sv->wait_min = engine_estimate(e, s, ENGINE_CLASS_NORMAL, NULL);
	}
	for (int w = 0; w < c->hall.n_windows; w++) {
		const struct engine_window_status *ws = engine_window(e, w);
		const struct engine_window *win = &c->hall.windows[w];
		struct core_window_view *wv = &v->windows[w];
		wv->state = ws->state;
		wv->pause_reason = ws->pause_reason;
		wv->n_held = ws->n_held;
		wv->current = ws->current;
		wv->label[0] = 0;
		if (ws->current != ENGINE_NO_TICKET)
			engine_ticket_label(engine_ticket(e, ws->current), wv->label);
		wv->waiting = 0;
		for (int i = 0; i < win->n_services; i++)
			wv->waiting += engine_waiting_count(e, win->services[i].service);
		memcpy(wv->staff, ws->staff, sizeof(wv->staff));
	}
	pthread_mutex_lock(&c->view_mu);
	uint64_t version = c->view.version;
	v->version = version;
	v->now_s = c->view.now_s;
	if (memcmp(v, &c->view, sizeof(*v)) != 0)
		version++;
	c->view = *v;
	c->view.version = version;
	c->view.now_s = now->now_s;
	pthread_mutex_unlock(&c->view_mu);
}

void core_view(struct core *c, struct core_view *out)
{
	pthread_mutex_lock(&c->view_mu);
	*out = c->view;
	pthread_mutex_unlock(&c->view_mu);
}

struct core *core_new(const struct engine_hall *hall, struct store *st,
		      const struct core_clock *clock, int queue_capacity, char *err, int err_size)
{
	struct core *c = calloc(1, sizeof(*c));
	struct engine_clock now;

	if (!c) {
		snprintf(err, (size_t)err_size, "out of memory");
		return NULL;
	}
	c->hall = *hall;
	c->st = st;
	c->clock = clock ? *clock : core_system_clock;
	c->capacity = queue_capacity > 0 ? queue_capacity : 1;
	c->tick_period_ms = 1000;
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->view_mu, NULL);
	pthread_cond_init(&c->wake, NULL);
	pthread_cond_init(&c->done, NULL);
	c->clock.now(c->clock.arg, &now);
	if (store_secret(st, "ticket_token_key", c->token_key, sizeof(c->token_key)) != STORE_OK ||
	    store_secret(st, "phone_key", c->phone_key, sizeof(c->phone_key)) != STORE_OK) {
		snprintf(err, (size_t)err_size,
			 "cannot read or make the keys kept in the database");
		core_free(c);
		return NULL;
	}
	if (restore(c, now.day, err, err_size) != CORE_OK) {
		core_free(c);
		return NULL;
	}
	log_info("restored business day %d: %u tickets", (int)engine_day(c->e),
		 engine_ticket_count(c->e));
	refresh_view(c, &now);
	return c;
}

/* ---- the core thread ---- */

/* Closes the engine's day (journalled) and opens `now`'s when they differ. */
static int roll_day(struct core *c, const struct engine_clock *now)
{
	if (now->day == engine_day(c->e))
		return STORE_OK;
	if (!engine_day_is_closed(c->e)) {
		struct engine_command close = {.op = ENGINE_OP_CLOSE_DAY, .clock = *now};
		struct engine_result res;
		if (engine_apply(c->e, &close, &res) == ENGINE_OK) {
			int rc = store_record(c->st, c->e, &close, &res, "core");
			if (rc != STORE_OK)
				return rc;
		}
	}
	struct booking_ctx bc = booking_ctx(c, now);
	int rc = booking_close_days(&bc, now->day);
	if (rc != STORE_OK)
		return rc;
	log_info("business day %d closed, %d opened", (int)engine_day(c->e), (int)now->day);
	engine_open_day(c->e, now->day);
	return store_prune_prints(c->st, now->day);
}

/*
 * The journal's time only goes forward: a clock stepped back (NTP, a host
 * without a battery-backed clock) must not make a call come before its
 * issue, nor close today and open yesterday. Such a step is held at the
 * last time journalled until the clock catches up.
 */
static void keep_time_forward(struct core *c, struct engine_clock *now)
{
	if (c->e && now->day < engine_day(c->e)) {
		log_warn("the clock went back to %d, before the business day %d; holding time",
			 (int)now->day, (int)engine_day(c->e));
		now->day = engine_day(c->e);
	}
	if (now->now_s < c->last_now_s)
		now->now_s = c->last_now_s;
	else
		c->last_now_s = now->now_s;
}

/* A device's event, its print owed or done: in the batch's transaction. */
static int record_device(struct core *c, struct core_request *r)
{
	int rc = r->device.set ? store_put_device(c->st, &r->device.row) : STORE_OK;

	if (rc == STORE_OK && r->device.print_done)
		rc = store_delete_print(c->st, r->device.row.id, r->device.print_done);
	if (rc == STORE_OK && r->device.owe_print && r->cmd.op == ENGINE_OP_ISSUE &&
	    r->err == ENGINE_OK) {
		struct store_print *p = &r->print;
		*p = (struct store_print){.seq = r->device.owe_print,
					  .boot = r->device.row.boot,
					  .day = engine_day(c->e),
					  .people_ahead = r->res.people_ahead,
					  .wait_min = r->res.estimated_wait_min};
		memcpy(p->device, r->device.row.id, sizeof(p->device));
		engine_ticket_label(engine_ticket(c->e, r->res.ticket), p->ticket);
		rc = store_put_print(c->st, p);
	}
	return rc;
}

/* A ticket named by its number: false (the reply set) when there is none. */
static bool resolve_label(struct core *c, struct core_request *r)
{
	if (!r->ticket_label[0] || r->cmd.ticket != ENGINE_NO_TICKET)
		return true;
	r->cmd.ticket = engine_find_label(c->e, r->ticket_label);
	if (r->cmd.ticket != ENGINE_NO_TICKET)
		return true;
	r->err = ENGINE_ERR_NO_SUCH_TICKET;
	r->res = (struct engine_result){.ticket = ENGINE_NO_TICKET, .window = -1};
	return false;
}

/* A query: the ticket as it is, and its place if it waits. */
static void answer_query(struct core *c, struct core_request *r)
{
	const struct engine_ticket *t = engine_ticket(c->e, r->cmd.ticket);

	r->res = (struct engine_result){.ticket = ENGINE_NO_TICKET, .window = -1};
	if (!t) {
		r->err = ENGINE_ERR_NO_SUCH_TICKET;
		return;
	}
	r->err = ENGINE_OK;
	r->ticket = *t;
	r->res.ticket = t->id;
	r->res.window = t->window;
	r->res.estimated_wait_min = engine_ticket_position(c->e, t->id, &r->res.people_ahead);
}

/* After a committed batch: each request the engine took, in order. */
static void tell_observers(struct core *c, struct core_request *batch)
{
	if (c->n_observers == 0 || !c->e)
		return;
	for (struct core_request *r = batch; r; r = r->next_) {
		if (r->query || r->cmd.op == CORE_OP_NONE || r->err != ENGINE_OK)
			continue;
		struct core_change ch = {.req = r, .window = NULL, .view = &c->next_view};
		if (r->res.window >= 0)
			ch.window = engine_window(c->e, r->res.window);
		for (int k = 0; k < c->n_observers; k++)
			c->observers[k].fn(c->observers[k].arg, &ch);
	}
}

int core_observe(struct core *c, core_observer fn, void *arg)
{
	if (c->n_observers == CORE_MAX_OBSERVERS || c->started)
		return -1;
	c->observers[c->n_observers].fn = fn;
	c->observers[c->n_observers].arg = arg;
	c->n_observers++;
	return 0;
}

/* Twelve hex digits of HMAC-SHA256(key, "day:id"). */
static void token_mac(const struct core *c, int32_t day, uint32_t id, char *out)
{
	struct hmac_sha256_ctx h;
	uint8_t digest[SHA256_DIGEST_SIZE];
	char msg[32];
	int n = snprintf(msg, sizeof(msg), "%d:%u", (int)day, (unsigned)id);

	hmac_sha256_set_key(&h, sizeof(c->token_key), c->token_key);
	hmac_sha256_update(&h, (size_t)n, (const uint8_t *)msg);
	hmac_sha256_digest(&h, sizeof(digest), digest);
	for (int k = 0; k < 6; k++)
		snprintf(out + 2 * k, 3, "%02x", digest[k]);
}

void core_ticket_token(const struct core *c, int32_t day, uint32_t id, char *out)
{
	snprintf(out, 5, "%04x", (unsigned)(id & 0xffff));
	token_mac(c, day, id, out + 4);
}

uint32_t core_token_ticket(const struct core *c, int32_t day, const char *token)
{
	char want[CORE_TOKEN_SIZE];
	unsigned id = 0;

	if (!token || strlen(token) != CORE_TOKEN_SIZE - 1)
		return ENGINE_NO_TICKET;
	for (int k = 0; k < CORE_TOKEN_SIZE - 1; k++) {
		char ch = token[k];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return ENGINE_NO_TICKET;
		if (k < 4)
			id = id * 16 + (unsigned)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
	}
	core_ticket_token(c, day, id, want);
	/* compared in constant time: the answer must not tell how much matched */
	unsigned diff = 0;
	for (int k = 0; k < CORE_TOKEN_SIZE - 1; k++)
		diff |= (unsigned)(want[k] ^ token[k]);
	return diff == 0 ? id : ENGINE_NO_TICKET;
}

static bool is_question(const struct core_request *r)
{
	return r->query || booking_is_question(r->booking.op);
}

/* A question: a ticket's place, or the bookings'. */
static void answer(struct core *c, struct core_request *r, const struct engine_clock *now)
{
	r->cmd.clock = *now;
	if (r->booking.op) {
		struct booking_ctx bc = booking_ctx(c, now);
		booking_question(&bc, r);
	} else if (resolve_label(c, r)) {
		answer_query(c, r);
	}
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Observers hear when the store starts or stops failing (req NULL). */
static void tell_store_change(struct core *c)
{
	struct core_change ch = {.req = NULL, .window = NULL, .view = &c->next_view};

	for (int k = 0; k < c->n_observers; k++)
		c->observers[k].fn(c->observers[k].arg, &ch);
}

/* A write failed with rc (a store_error): the store fails from now on. */
static void note_failure(struct core *c, int rc, const struct engine_clock *now)
{
	c->last_try_ms = mono_ms();
	c->failed_tries++;
	if (c->store_failed) {
		c->store_error = rc;
		log_debug("the database still fails: %s [%s]", store_strerror(rc),
			  store_last_error(c->st));
		return;
	}
	c->store_failed = true;
	c->store_error = rc;
	c->store_failed_s = now->now_s;
	c->failed_tries = 1;
	log_error("the database failed: %s [%s]; nothing of the last requests was recorded. "
		  "Tickets are refused (kiosks show 暂停取号) until a write works again; one "
		  "is tried every %d ms",
		  store_strerror(rc), store_last_error(c->st), CORE_STORE_RETRY_MS);
	/* a lock held elsewhere must not hold up the core at every try */
	c->busy_ms = store_busy_timeout(c->st);
	if (c->busy_ms > CORE_FAILING_BUSY_MS)
		store_set_busy_timeout(c->st, CORE_FAILING_BUSY_MS);
}

static void note_success(struct core *c, const struct engine_clock *now)
{
	if (!c->store_failed)
		return;
	log_info("the database works again after %lld s (%llu failed tr%s); tickets are issued "
		 "again",
		 (long long)(now->now_s - c->store_failed_s), (unsigned long long)c->failed_tries,
		 c->failed_tries == 1 ? "y" : "ies");
	c->store_failed = false;
	c->store_error = STORE_OK;
	store_set_busy_timeout(c->st, c->busy_ms);
}

/* While the store fails: true when it is not yet time to try a write. */
static bool store_resting(const struct core *c)
{
	return c->store_failed && mono_ms() - c->last_try_ms < CORE_STORE_RETRY_MS;
}

/* Answers the queries of a batch and refuses the rest: the store fails. */
static void refuse_batch(struct core *c, struct core_request *batch, const struct engine_clock *now)
{
	for (struct core_request *r = batch; r; r = r->next_) {
		if (is_question(r) && c->e) {
			answer(c, r, now);
		} else {
			r->cmd.clock = *now;
			r->err = CORE_ERR_STORE;
			r->res = (struct engine_result){.ticket = ENGINE_NO_TICKET, .window = -1};
		}
	}
}

/*
 * One request that may change things, in the batch's transaction: a
 * booking's command, or an engine command (a walk-in ISSUE checked
 * against the appointments first). Sets r->err and the reply; returns
 * STORE_OK, or the store's error when the batch must fail.
 */
static int apply_one(struct core *c, struct core_request *r, const struct engine_clock *now)
{
	struct booking_ctx bc = booking_ctx(c, now);
	bool apply = r->cmd.op != CORE_OP_NONE;
	int rc = STORE_OK;

	r->err = CORE_OK;
	r->res = (struct engine_result){.ticket = ENGINE_NO_TICKET, .window = -1};
	if (r->booking.op) {
		rc = booking_command(&bc, r, &apply);
	} else if (r->cmd.op == ENGINE_OP_ISSUE && r->cmd.cls != ENGINE_CLASS_APPOINTMENT &&
		   engine_issue_check(c->e, r->cmd.service, now) == ENGINE_OK) {
		int due = 0;
		rc = booking_due(&bc, r->cmd.service, &due);
		if (rc != STORE_OK)
			return rc;
		r->err = booking_walk_in_refusal(&bc, r->cmd.service, false, due);
		apply = r->err == 0;
	}
	if (rc != STORE_OK || !apply)
		return rc;
	r->err = engine_apply(c->e, &r->cmd, &r->res);
	if (r->err != ENGINE_OK)
		return STORE_OK;
	rc = store_record(c->st, c->e, &r->cmd, &r->res, r->source);
	if (rc == STORE_OK && r->res.ticket != ENGINE_NO_TICKET)
		r->ticket = *engine_ticket(c->e, r->res.ticket);
	if (rc == STORE_OK && r->booking.op == CORE_BOOKING_CHECK_IN)
		rc = booking_checked_in(&bc, r);
	return rc;
}

/*
 * Applies a batch in one transaction; on any store failure, none of it:
 * the engine is rebuilt from the store when the batch had changed it.
 * Returns STORE_OK or the first store failure.
 */
static int apply_batch(struct core *c, struct core_request *batch, const struct engine_clock *now)
{
	bool changed = false;
	int rc = store_begin(c->st);

	if (rc == STORE_OK) {
		changed = now->day != engine_day(c->e);
		rc = roll_day(c, now);
	}
	for (struct core_request *r = batch; r && rc == STORE_OK; r = r->next_) {
		if (is_question(r)) {
			answer(c, r, now);
			continue;
		}
		r->cmd.clock = *now;
		if (!resolve_label(c, r))
			continue;
		/* a refusal changes nothing; a rebuild costs little */
		changed = changed || r->cmd.op != CORE_OP_NONE || r->booking.op;
		rc = apply_one(c, r, now);
		if (rc == STORE_OK && (r->device.set || r->device.print_done))
			rc = record_device(c, r);
	}
	if (rc == STORE_OK)
		rc = store_commit(c->st);
	if (rc == STORE_OK)
		return STORE_OK;
	store_rollback(c->st);
	/* Even refusals: they may rest on a request that did not happen. */
	for (struct core_request *r = batch; r; r = r->next_)
		r->err = CORE_ERR_STORE;
	char err[256];
	if (changed && restore(c, now->day, err, sizeof(err)) != CORE_OK)
		log_error("%s", err);
	return rc;
}

static void process(struct core *c, struct core_request *batch)
{
	struct engine_clock now;
	char err[256];
	bool was_failing = c->store_failed || !c->e;

	c->clock.now(c->clock.arg, &now);
	keep_time_forward(c, &now);
	bool resting = store_resting(c);
	if (!c->e && (resting || restore(c, now.day, err, sizeof(err)) != CORE_OK)) {
		if (!resting) {
			log_debug("%s", err);
			note_failure(c, c->store_error ? c->store_error : STORE_ERR_IO, &now);
		}
		refuse_batch(c, batch, &now);
		refresh_view(c, &now);
		if (!was_failing)
			tell_store_change(c);
		return;
	}
	bool writes = now.day != engine_day(c->e);
	for (struct core_request *r = batch; r; r = r->next_)
		writes = writes || !is_question(r);
	if (!writes) {
		/* queries, or an idle tick: reading takes no transaction (and works
		 * while writes fail); hours open and close with the clock */
		for (struct core_request *r = batch; r; r = r->next_)
			answer(c, r, &now);
		if (c->store_failed && !batch && !store_resting(c)) {
			int rc = store_check_write(c->st, now.now_s);
			if (rc == STORE_OK)
				note_success(c, &now);
			else
				note_failure(c, rc, &now);
		}
		if (batch)
			return;
	} else if (store_resting(c)) {
		refuse_batch(c, batch, &now);
	} else {
		int rc = apply_batch(c, batch, &now);
		if (rc == STORE_OK)
			note_success(c, &now);
		else
			note_failure(c, rc, &now);
	}
	refresh_view(c, &now);
	if (!c->store_failed)
		tell_observers(c, batch);
	if (was_failing != (c->store_failed || !c->e))
		tell_store_change(c);
}

static void *core_main(void *arg)
{
	struct core *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		if (!c->head && !c->stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			long ns = until.tv_nsec + (long)c->tick_period_ms * 1000000L;
			until.tv_sec += ns / 1000000000L;
			until.tv_nsec = ns % 1000000000L;
			pthread_cond_timedwait(&c->wake, &c->mu, &until);
		}
		if (c->stopping)
			break;
		struct core_request *batch = c->head;
		int n = c->pending;
		c->head = c->tail = NULL;
		c->pending = 0;
		pthread_mutex_unlock(&c->mu);

		process(c, batch);
		if (c->tick_fn)
			c->tick_fn(c->tick_arg);

		pthread_mutex_lock(&c->mu);
		for (struct core_request *r = batch; r; r = r->next_)
			r->done_ = 1;
		if (batch) {
			c->stats.batches++;
			c->stats.requests += (uint64_t)n;
			if ((uint64_t)n > c->stats.max_batch)
				c->stats.max_batch = (uint64_t)n;
			pthread_cond_broadcast(&c->done);
		}
	}
	/* Stopping: what was not taken is answered "stopped". */
	for (struct core_request *r = c->head; r; r = r->next_) {
		r->err = CORE_ERR_STOPPED;
		r->done_ = 1;
	}
	c->head = c->tail = NULL;
	c->pending = 0;
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int core_on_tick(struct core *c, void (*fn)(void *arg), void *arg, int period_ms)
{
	if (c->started || period_ms < 1 || period_ms > 1000)
		return -1;
	c->tick_fn = fn;
	c->tick_arg = arg;
	c->tick_period_ms = period_ms;
	return 0;
}

int core_start(struct core *c)
{
	int rc = pthread_create(&c->thread, NULL, core_main, c);

	if (rc != 0)
		return -rc;
	c->started = true;
	return CORE_OK;
}

void core_stop(struct core *c)
{
	if (!c || !c->started)
		return;
	pthread_mutex_lock(&c->mu);
	c->stopping = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_mutex_lock(&c->mu);
	c->started = false;
	pthread_mutex_unlock(&c->mu);
}

void core_free(struct core *c)
{
	if (!c)
		return;
	core_stop(c);
	engine_free(c->e);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->view_mu);
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->done);
	free(c);
}

int core_call(struct core *c, struct core_request *req)
{
	req->next_ = NULL;
	req->done_ = 0;
	req->err = CORE_OK;
	pthread_mutex_lock(&c->mu);
	if (c->stopping || !c->started) {
		pthread_mutex_unlock(&c->mu);
		return CORE_ERR_STOPPED;
	}
	if (c->pending >= c->capacity) {
		pthread_mutex_unlock(&c->mu);
		return CORE_ERR_BUSY;
	}
	if (c->tail)
		c->tail->next_ = req;
	else
		c->head = req;
	c->tail = req;
	c->pending++;
	pthread_cond_signal(&c->wake);
	while (!req->done_)
		pthread_cond_wait(&c->done, &c->mu);
	pthread_mutex_unlock(&c->mu);
	return CORE_OK;
}

const struct engine *core_engine(const struct core *c)
{
	return c->e;
}

struct core_stats core_stats(struct core *c)
{
	pthread_mutex_lock(&c->mu);
	struct core_stats s = c->stats;
	s.pending = c->pending;
	pthread_mutex_unlock(&c->mu);
	return s;
}

void core_check_in_request(struct core_request *req, const char *code, const char *source)
{
	memset(req, 0, sizeof(*req));
	req->cmd.op = CORE_OP_NONE;
	req->cmd.window = -1;
	req->cmd.service = -1;
	req->cmd.target_window = -1;
	req->cmd.ticket = ENGINE_NO_TICKET;
	req->cmd.reason = -1;
	req->booking.op = CORE_BOOKING_CHECK_IN;
	req->booking.service = -1;
	snprintf(req->booking.code, sizeof(req->booking.code), "%s", code ? code : "");
	snprintf(req->source, sizeof(req->source), "%s", source ? source : "");
}

int core_check_in(struct core *c, const char *code, const char *source, struct core_request *req)
{
	core_check_in_request(req, code, source);
	return core_call(c, req);
}
