/*
 * engine.c — the queue engine's state and its operations.
 *
 * Room: hostd/engine. Pure: libc memory and string functions only, no I/O,
 * no clock (the time comes in each command). Owned by one thread.
 *
 * Waiting tickets live in doubly linked queues (links are ticket ids):
 * three per service, one per class (appointment, green channel, normal),
 * and one per window for tickets transferred to that window by name. A
 * queue is in calling order: issue order, changed only by a no-show's
 * re-queue (K places behind the head) and by transfers (placed by their
 * original issue time). Dispatch (dispatch.c) compares only queue heads.
 */
#include "engine/engine_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors and names ---- */

static const char *const error_names[ENGINE_ERR_COUNT] = {
    [ENGINE_OK] = "OK",
    [ENGINE_ERR_NO_SUCH_SERVICE] = "NO_SUCH_SERVICE",
    [ENGINE_ERR_NO_SUCH_WINDOW] = "NO_SUCH_WINDOW",
    [ENGINE_ERR_NO_SUCH_TICKET] = "NO_SUCH_TICKET",
    [ENGINE_ERR_BAD_ARGUMENT] = "BAD_ARGUMENT",
    [ENGINE_ERR_CLOSED_TODAY] = "CLOSED_TODAY",
    [ENGINE_ERR_OUTSIDE_HOURS] = "OUTSIDE_HOURS",
    [ENGINE_ERR_QUOTA_REACHED] = "QUOTA_REACHED",
    [ENGINE_ERR_WINDOW_NOT_LOGGED_IN] = "WINDOW_NOT_LOGGED_IN",
    [ENGINE_ERR_WINDOW_LOGGED_IN] = "WINDOW_LOGGED_IN",
    [ENGINE_ERR_WINDOW_PAUSED] = "WINDOW_PAUSED",
    [ENGINE_ERR_WINDOW_NOT_PAUSED] = "WINDOW_NOT_PAUSED",
    [ENGINE_ERR_WINDOW_BUSY] = "WINDOW_BUSY",
    [ENGINE_ERR_WINDOW_HOLDS_TICKETS] = "WINDOW_HOLDS_TICKETS",
    [ENGINE_ERR_PAUSE_REASON_REQUIRED] = "PAUSE_REASON_REQUIRED",
    [ENGINE_ERR_UNKNOWN_PAUSE_REASON] = "UNKNOWN_PAUSE_REASON",
    [ENGINE_ERR_NO_TICKET_WAITING] = "NO_TICKET_WAITING",
    [ENGINE_ERR_NOT_CALLED] = "NOT_CALLED",
    [ENGINE_ERR_NOT_SERVING] = "NOT_SERVING",
    [ENGINE_ERR_NOT_WAITING] = "NOT_WAITING",
    [ENGINE_ERR_NOT_HELD_HERE] = "NOT_HELD_HERE",
    [ENGINE_ERR_NOT_SERVED_HERE] = "NOT_SERVED_HERE",
    [ENGINE_ERR_NOT_FINISHED] = "NOT_FINISHED",
    [ENGINE_ERR_ALREADY_RATED] = "ALREADY_RATED",
    [ENGINE_ERR_SAME_PLACE] = "SAME_PLACE",
    [ENGINE_ERR_DAY_CLOSED] = "DAY_CLOSED",
};

static const char *const error_texts[ENGINE_ERR_COUNT] = {
    [ENGINE_OK] = "ok",
    [ENGINE_ERR_NO_SUCH_SERVICE] = "no such service",
    [ENGINE_ERR_NO_SUCH_WINDOW] = "no such window",
    [ENGINE_ERR_NO_SUCH_TICKET] = "no such ticket today",
    [ENGINE_ERR_BAD_ARGUMENT] = "bad argument",
    [ENGINE_ERR_CLOSED_TODAY] = "the hall is closed today",
    [ENGINE_ERR_OUTSIDE_HOURS] = "outside the service's hours",
    [ENGINE_ERR_QUOTA_REACHED] = "today's tickets for this service are gone",
    [ENGINE_ERR_WINDOW_NOT_LOGGED_IN] = "nobody is logged in at the window",
    [ENGINE_ERR_WINDOW_LOGGED_IN] = "someone is already logged in at the window",
    [ENGINE_ERR_WINDOW_PAUSED] = "the window is paused",
    [ENGINE_ERR_WINDOW_NOT_PAUSED] = "the window is not paused",
    [ENGINE_ERR_WINDOW_BUSY] = "the window has a called or serving ticket",
    [ENGINE_ERR_WINDOW_HOLDS_TICKETS] = "the window holds tickets",
    [ENGINE_ERR_PAUSE_REASON_REQUIRED] = "a pause needs a reason",
    [ENGINE_ERR_UNKNOWN_PAUSE_REASON] = "not one of the configured pause reasons",
    [ENGINE_ERR_NO_TICKET_WAITING] = "no ticket waiting for this window",
    [ENGINE_ERR_NOT_CALLED] = "the window has no called ticket",
    [ENGINE_ERR_NOT_SERVING] = "the window has no ticket being served",
    [ENGINE_ERR_NOT_WAITING] = "the ticket is not waiting",
    [ENGINE_ERR_NOT_HELD_HERE] = "the ticket is not held at this window",
    [ENGINE_ERR_NOT_SERVED_HERE] = "the window does not serve this ticket",
    [ENGINE_ERR_NOT_FINISHED] = "the ticket is not finished",
    [ENGINE_ERR_ALREADY_RATED] = "the ticket is already rated",
    [ENGINE_ERR_SAME_PLACE] = "the ticket is already there",
    [ENGINE_ERR_DAY_CLOSED] = "the business day is closed",
};

const char *engine_strerror(int err)
{
	if (err == ENGINE_ERR_BAD_COMMAND)
		return "bad command (a bug in the caller)";
	if (err == ENGINE_ERR_NOMEM)
		return "out of memory";
	if (err < 0 || err >= ENGINE_ERR_COUNT || !error_texts[err])
		return "unknown engine error";
	return error_texts[err];
}

const char *engine_error_name(int err)
{
	if (err == ENGINE_ERR_BAD_COMMAND)
		return "BAD_COMMAND";
	if (err == ENGINE_ERR_NOMEM)
		return "NOMEM";
	if (err < 0 || err >= ENGINE_ERR_COUNT || !error_names[err])
		return "UNKNOWN";
	return error_names[err];
}

static const char *const op_names[ENGINE_OP_COUNT] = {
    [ENGINE_OP_ISSUE] = "issue",
    [ENGINE_OP_LOGIN] = "login",
    [ENGINE_OP_LOGOUT] = "logout",
    [ENGINE_OP_PAUSE] = "pause",
    [ENGINE_OP_RESUME] = "resume",
    [ENGINE_OP_CALL_NEXT] = "call_next",
    [ENGINE_OP_CALL_TICKET] = "call_ticket",
    [ENGINE_OP_RECALL] = "recall",
    [ENGINE_OP_NO_SHOW] = "no_show",
    [ENGINE_OP_START] = "start",
    [ENGINE_OP_HOLD] = "hold",
    [ENGINE_OP_CALL_BACK] = "call_back",
    [ENGINE_OP_FINISH] = "finish",
    [ENGINE_OP_TRANSFER] = "transfer",
    [ENGINE_OP_CANCEL] = "cancel",
    [ENGINE_OP_RATE] = "rate",
    [ENGINE_OP_CLOSE_DAY] = "close_day",
};

const char *engine_op_name(enum engine_op op)
{
	return op > 0 && op < ENGINE_OP_COUNT ? op_names[op] : "unknown";
}

int engine_op_parse(const char *name)
{
	for (int op = 1; op < ENGINE_OP_COUNT; op++)
		if (strcmp(op_names[op], name) == 0)
			return op;
	return -1;
}

static const char *const class_names[ENGINE_CLASS_COUNT] = {"normal", "green", "appointment"};
static const char *const ticket_state_names[ENGINE_TICKET_STATE_COUNT] = {
    "waiting", "called", "serving", "held", "finished", "no_show", "cancelled", "expired"};
static const char *const window_state_names[ENGINE_WINDOW_STATE_COUNT] = {
    "logged_out", "idle", "paused", "called", "serving"};

const char *engine_class_name(int cls)
{
	return cls >= 0 && cls < ENGINE_CLASS_COUNT ? class_names[cls] : "unknown";
}

int engine_class_parse(const char *name)
{
	for (int i = 0; i < ENGINE_CLASS_COUNT; i++)
		if (strcmp(class_names[i], name) == 0)
			return i;
	return -1;
}

const char *engine_ticket_state_name(int state)
{
	return state >= 0 && state < ENGINE_TICKET_STATE_COUNT ? ticket_state_names[state]
							       : "unknown";
}

const char *engine_window_state_name(int state)
{
	return state >= 0 && state < ENGINE_WINDOW_STATE_COUNT ? window_state_names[state]
							       : "unknown";
}

/* ---- queues ---- */

static struct engine_queue *queue_of(struct engine *e, int32_t list)
{
	return &e->queues[list];
}

/* ---- the two kinds of lists a ticket can be linked into ---- */

/* Links t into q right after `after` (ENGINE_NO_TICKET: at the head). */
static void link_after(struct engine *e, struct engine_queue *q, int kind, uint32_t after,
		       struct engine_ticket *t)
{
	uint32_t next = after == ENGINE_NO_TICKET ? q->head : e->tickets[after].link[kind].next;

	t->link[kind] = (struct engine_link){after, next};
	if (after == ENGINE_NO_TICKET)
		q->head = t->id;
	else
		e->tickets[after].link[kind].next = t->id;
	if (next == ENGINE_NO_TICKET)
		q->tail = t->id;
	else
		e->tickets[next].link[kind].prev = t->id;
	q->count++;
}

static void unlink_from(struct engine *e, struct engine_queue *q, int kind, struct engine_ticket *t)
{
	struct engine_link l = t->link[kind];

	if (l.prev != ENGINE_NO_TICKET)
		e->tickets[l.prev].link[kind].next = l.next;
	else
		q->head = l.next;
	if (l.next != ENGINE_NO_TICKET)
		e->tickets[l.next].link[kind].prev = l.prev;
	else
		q->tail = l.prev;
	q->count--;
	t->link[kind] = (struct engine_link){ENGINE_NO_TICKET, ENGINE_NO_TICKET};
}

/* Adds an appointment to its service's pending list, by slot, then id. */
static void pending_insert(struct engine *e, struct engine_ticket *t)
{
	struct engine_queue *q = &e->pending[t->service];
	uint32_t after = q->tail;

	while (after != ENGINE_NO_TICKET &&
	       (e->tickets[after].slot_s > t->slot_s ||
		(e->tickets[after].slot_s == t->slot_s && after > t->id)))
		after = e->tickets[after].link[ENGINE_LINK_PENDING].prev;
	link_after(e, q, ENGINE_LINK_PENDING, after, t);
	t->pending = t->service;
}

void engine_queue_remove(struct engine *e, struct engine_ticket *t)
{
	unlink_from(e, queue_of(e, t->list), ENGINE_LINK_QUEUE, t);
	if (t->list < e->n_service_queues)
		e->waiting[t->list / ENGINE_CLASS_COUNT]--;
	t->list = -1;
	if (t->pending >= 0) {
		unlink_from(e, &e->pending[t->pending], ENGINE_LINK_PENDING, t);
		t->pending = -1;
	}
}

/* Puts t into queue `list` right after `after` (ENGINE_NO_TICKET: at the head). */
static void queue_insert_after(struct engine *e, int32_t list, uint32_t after,
			       struct engine_ticket *t)
{
	link_after(e, queue_of(e, list), ENGINE_LINK_QUEUE, after, t);
	t->list = list;
	if (list < e->n_service_queues)
		e->waiting[list / ENGINE_CLASS_COUNT]++;
}

static int32_t service_queue(int service, int cls)
{
	return service * ENGINE_CLASS_COUNT + cls;
}

static int32_t window_queue(const struct engine *e, int window)
{
	return e->n_service_queues + window;
}

/* Whether a was issued before b (ids break ties). */
static bool issued_before(const struct engine_ticket *a, const struct engine_ticket *b)
{
	return a->issued_s != b->issued_s ? a->issued_s < b->issued_s : a->id < b->id;
}

/*
 * Places t by its issue time: before the first ticket issued after it,
 * walking from the head. A re-queued no-show keeps the place it was given
 * (it may be older than the tickets around it), so t never goes in front
 * of one.
 */
static void queue_insert_by_issue(struct engine *e, int32_t list, struct engine_ticket *t)
{
	uint32_t after = ENGINE_NO_TICKET;

	for (uint32_t at = queue_of(e, list)->head; at != ENGINE_NO_TICKET;
	     at = e->tickets[at].link[ENGINE_LINK_QUEUE].next) {
		const struct engine_ticket *x = &e->tickets[at];
		if (issued_before(t, x) && !x->displaced)
			break;
		after = at;
	}
	queue_insert_after(e, list, after, t);
}

/* Inserts with `places` tickets of its own class ahead of it (or last, if
 * fewer wait). Appointments not yet due that wait in the normal queue are
 * not counted: they leave that queue when due. */
static void queue_insert_at(struct engine *e, int32_t list, int places, struct engine_ticket *t)
{
	uint32_t after = ENGINE_NO_TICKET;

	for (int counted = 0; counted < places;) {
		uint32_t next = after == ENGINE_NO_TICKET
				    ? queue_of(e, list)->head
				    : e->tickets[after].link[ENGINE_LINK_QUEUE].next;
		if (next == ENGINE_NO_TICKET)
			break;
		after = next;
		counted += e->tickets[next].cls == t->cls;
	}
	queue_insert_after(e, list, after, t);
}

bool engine_is_due(const struct engine *e, const struct engine_ticket *t, int64_t now_s)
{
	return t->cls == ENGINE_CLASS_APPOINTMENT &&
	       now_s >= t->slot_s - (int64_t)e->hall.queue.appointment_due_before_min * 60;
}

/* The queue a waiting ticket belongs in at now_s: an appointment not yet
 * due waits with the normal tickets. */
static int32_t home_queue(const struct engine *e, const struct engine_ticket *t, int64_t now_s)
{
	if (t->target_window >= 0)
		return window_queue(e, t->target_window);
	if (t->cls == ENGINE_CLASS_APPOINTMENT && !engine_is_due(e, t, now_s))
		return service_queue(t->service, ENGINE_CLASS_NORMAL);
	return service_queue(t->service, t->cls);
}

/* After t went into `list`: a pending appointment also joins its list. */
static void note_pending(struct engine *e, int32_t list, struct engine_ticket *t)
{
	if (t->cls == ENGINE_CLASS_APPOINTMENT &&
	    list == service_queue(t->service, ENGINE_CLASS_NORMAL))
		pending_insert(e, t);
}

void engine_promote_due(struct engine *e, int service, int64_t now_s)
{
	struct engine_queue *q = &e->pending[service];

	while (q->head != ENGINE_NO_TICKET && engine_is_due(e, &e->tickets[q->head], now_s)) {
		struct engine_ticket *t = &e->tickets[q->head];
		engine_queue_remove(e, t);
		t->displaced = 0;
		queue_insert_by_issue(e, service_queue(service, ENGINE_CLASS_APPOINTMENT), t);
	}
}

/* ---- life cycle ---- */

static void reset_day(struct engine *e, int32_t day)
{
	e->day = day;
	e->closed = false;
	e->n_tickets = 0;
	memset(e->by_number, 0xFF,
	       sizeof(*e->by_number) * (size_t)e->hall.n_services * (ENGINE_MAX_QUOTA + 1));
	memset(e->issued, 0, sizeof(e->issued));
	memset(e->waiting, 0, sizeof(e->waiting));
	memset(e->open_windows, 0, sizeof(e->open_windows));
	memset(e->open_halves, 0, sizeof(e->open_halves));
	memset(e->busy_halves, 0, sizeof(e->busy_halves));
	memset(e->idle_windows, 0, sizeof(e->idle_windows));
	for (int i = 0; i < e->n_queues; i++)
		e->queues[i] = (struct engine_queue){ENGINE_NO_TICKET, ENGINE_NO_TICKET, 0};
	for (int s = 0; s < e->hall.n_services; s++)
		e->pending[s] = (struct engine_queue){ENGINE_NO_TICKET, ENGINE_NO_TICKET, 0};
	for (int w = 0; w < e->hall.n_windows; w++) {
		e->windows[w] = (struct engine_window_status){.state = ENGINE_WINDOW_LOGGED_OUT,
							      .pause_reason = -1,
							      .current = ENGINE_NO_TICKET};
	}
}

struct engine *engine_new(const struct engine_hall *hall, int32_t day)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->hall = *hall;
	e->n_service_queues = hall->n_services * ENGINE_CLASS_COUNT;
	e->n_queues = e->n_service_queues + hall->n_windows;
	e->capacity = (uint32_t)hall->n_services * ENGINE_MAX_QUOTA;
	e->recent_cap =
	    hall->queue.estimate_recent_tickets > 0 ? hall->queue.estimate_recent_tickets : 1;
	e->queues = calloc((size_t)e->n_queues + 1, sizeof(*e->queues));
	e->pending = calloc((size_t)hall->n_services + 1, sizeof(*e->pending));
	e->tickets = calloc((size_t)e->capacity + 1, sizeof(*e->tickets));
	e->recent =
	    calloc((size_t)hall->n_services * (size_t)e->recent_cap + 1, sizeof(*e->recent));
	e->by_number =
	    calloc((size_t)hall->n_services * (ENGINE_MAX_QUOTA + 1) + 1, sizeof(*e->by_number));
	if (!e->queues || !e->pending || !e->tickets || !e->recent || !e->by_number) {
		engine_free(e);
		return NULL;
	}
	reset_day(e, day);
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	free(e->queues);
	free(e->pending);
	free(e->tickets);
	free(e->recent);
	free(e->by_number);
	free(e);
}

int engine_open_day(struct engine *e, int32_t day)
{
	if (!e->closed && e->n_tickets > 0)
		return ENGINE_ERR_BAD_COMMAND;
	reset_day(e, day);
	return ENGINE_OK;
}

void engine_seed_handling(struct engine *e, int service, int64_t handling_s)
{
	if (service < 0 || service >= e->hall.n_services || handling_s < 0)
		return;
	int32_t *ring = &e->recent[(size_t)service * (size_t)e->recent_cap];
	int32_t value = handling_s > INT32_MAX ? INT32_MAX : (int32_t)handling_s;
	if (e->recent_n[service] == e->recent_cap)
		e->recent_sum[service] -= ring[e->recent_pos[service]];
	else
		e->recent_n[service]++;
	ring[e->recent_pos[service]] = value;
	e->recent_sum[service] += value;
	e->recent_pos[service] = (e->recent_pos[service] + 1) % e->recent_cap;
}

/* ---- reading ---- */

int32_t engine_day(const struct engine *e)
{
	return e->day;
}

bool engine_day_is_closed(const struct engine *e)
{
	return e->closed;
}

uint32_t engine_ticket_count(const struct engine *e)
{
	return e->n_tickets;
}

const struct engine_ticket *engine_ticket(const struct engine *e, uint32_t id)
{
	return id < e->n_tickets ? &e->tickets[id] : NULL;
}

uint32_t engine_find_ticket(const struct engine *e, const char *prefix, int number)
{
	if (number < 1 || number > ENGINE_MAX_QUOTA)
		return ENGINE_NO_TICKET;
	for (int s = 0; s < e->hall.n_services; s++)
		if (strcmp(e->hall.services[s].prefix, prefix) == 0)
			return e->by_number[s * (ENGINE_MAX_QUOTA + 1) + number];
	return ENGINE_NO_TICKET;
}

uint32_t engine_find_label(const struct engine *e, const char *label)
{
	char prefix[3] = "";
	int n = 0, number = 0;

	while (n < 2 && label[n] >= 'A' && label[n] <= 'Z') {
		prefix[n] = label[n];
		n++;
	}
	prefix[n] = '\0';
	for (int i = 0; i < 3; i++) {
		if (label[n + i] < '0' || label[n + i] > '9')
			return ENGINE_NO_TICKET;
		number = number * 10 + (label[n + i] - '0');
	}
	return n > 0 && label[n + 3] == '\0' ? engine_find_ticket(e, prefix, number)
					     : ENGINE_NO_TICKET;
}

const struct engine_window_status *engine_window(const struct engine *e, int window)
{
	return window >= 0 && window < e->hall.n_windows ? &e->windows[window] : NULL;
}

int engine_waiting_count(const struct engine *e, int service)
{
	return service >= 0 && service < e->hall.n_services ? e->waiting[service] : 0;
}

int engine_issued_count(const struct engine *e, int service)
{
	return service >= 0 && service < e->hall.n_services ? e->issued[service] : 0;
}

const struct engine_hall *engine_hall(const struct engine *e)
{
	return &e->hall;
}

const char *engine_ticket_label(const struct engine_ticket *t, char *buf)
{
	int n = t->number, k = 0;

	for (; k < 2 && t->prefix[k]; k++)
		buf[k] = t->prefix[k];
	buf[k] = (char)('0' + n / 100 % 10);
	buf[k + 1] = (char)('0' + n / 10 % 10);
	buf[k + 2] = (char)('0' + n % 10);
	buf[k + 3] = '\0';
	return buf;
}

int64_t engine_handling_s(const struct engine_ticket *t)
{
	if (t->state != ENGINE_TICKET_FINISHED)
		return 0;
	int64_t handling = t->finished_s - t->started_s - t->hold_total_s;
	return handling > 0 ? handling : 0;
}

/* ---- helpers for the operations ---- */

static void changed_ticket(struct engine_result *r, uint32_t id)
{
	if (r->n_tickets < 2)
		r->tickets[r->n_tickets++] = id;
}

/* The ticket the command concerned, which it also changed. */
static void result_ticket(struct engine_result *r, uint32_t id)
{
	r->ticket = id;
	changed_ticket(r, id);
}

static void changed_window(struct engine_result *r, int w)
{
	if (r->n_windows < 2)
		r->windows[r->n_windows++] = w;
}

/* Add (sign +1) or take away (-1) window w's part in the estimate's
 * counts of the services it serves, as its state gives it. */
static void window_estimate_counts(struct engine *e, int w, int sign)
{
	const struct engine_window *win = &e->hall.windows[w];
	int state = e->windows[w].state;

	if (state == ENGINE_WINDOW_LOGGED_OUT)
		return;
	for (int i = 0; i < win->n_services; i++) {
		int s = win->services[i].service;
		int halves = engine_estimate_halves(win->services[i].level);
		e->open_halves[s] += sign * halves;
		if (state == ENGINE_WINDOW_CALLED || state == ENGINE_WINDOW_SERVING)
			e->busy_halves[s] += sign * halves;
		else if (state == ENGINE_WINDOW_IDLE)
			e->idle_windows[s] += sign;
	}
}

static void set_window_state(struct engine *e, int w, enum engine_window_state state, int64_t now)
{
	window_estimate_counts(e, w, -1);
	e->windows[w].state = (uint8_t)state;
	e->windows[w].since_s = now;
	window_estimate_counts(e, w, +1);
}

static bool in_periods(const struct engine_period *p, int n, int minute)
{
	for (int i = 0; i < n; i++)
		if (minute >= p[i].start_min && minute < p[i].end_min)
			return true;
	return false;
}

/* People who will be called before a new ticket of this class. */
static int people_ahead(const struct engine *e, int service, int cls)
{
	const struct engine_queue *q = &e->queues[service_queue(service, 0)];

	switch (cls) {
	case ENGINE_CLASS_APPOINTMENT:
		return q[ENGINE_CLASS_APPOINTMENT].count + e->pending[service].count;
	case ENGINE_CLASS_GREEN:
		return q[ENGINE_CLASS_APPOINTMENT].count + e->pending[service].count +
		       q[ENGINE_CLASS_GREEN].count;
	default:
		return e->waiting[service];
	}
}

/* The estimated wait in minutes (docs/engine.md, "Estimates"):
 * mean x (8 x ahead + busy) / (4 x open) seconds, busy only when no idle
 * window could take the ticket at once, rounded to the nearest minute;
 * open and busy in half windows. O(1). */
static int estimate_wait_min(const struct engine *e, int service, int ahead)
{
	int64_t sum = e->recent_sum[service], n = e->recent_n[service];
	int64_t open = e->open_halves[service], busy = e->busy_halves[service];

	if (n == 0) {
		sum = (int64_t)e->hall.services[service].standard_min * 60;
		n = 1;
	}
	if (open <= 0) {
		open = 2; /* as one window of level 1 */
		busy = 0;
	}
	if (ahead < e->idle_windows[service])
		busy = 0;
	/* round(sum / n * (8 * ahead + busy) / (4 * open) / 60) in integers */
	int64_t num = sum * (8 * (int64_t)ahead + busy), den = 240 * n * open;
	int64_t minutes = (num + den / 2) / den;
	return minutes > INT_MAX ? INT_MAX : (int)minutes;
}

static void window_services_open(struct engine *e, int w, int delta)
{
	const struct engine_window *win = &e->hall.windows[w];

	for (int i = 0; i < win->n_services; i++)
		e->open_windows[win->services[i].service] += delta;
}

static bool window_serves(const struct engine *e, int w, int service)
{
	const struct engine_window *win = &e->hall.windows[w];

	for (int i = 0; i < win->n_services; i++)
		if (win->services[i].service == service)
			return true;
	return false;
}

/* The window may take a new ticket now (logged in, not paused, free). */
static int window_free(const struct engine *e, int w)
{
	const struct engine_window_status *ws = &e->windows[w];

	if (ws->state == ENGINE_WINDOW_LOGGED_OUT)
		return ENGINE_ERR_WINDOW_NOT_LOGGED_IN;
	if (ws->state == ENGINE_WINDOW_PAUSED)
		return ENGINE_ERR_WINDOW_PAUSED;
	if (ws->current != ENGINE_NO_TICKET)
		return ENGINE_ERR_WINDOW_BUSY;
	return ENGINE_OK;
}

/* For the operations that take a ticket at a free window. */
static int free_window_and_ticket(struct engine *e, const struct engine_command *c,
				  struct engine_ticket **t)
{
	int err = window_free(e, c->window);

	if (err)
		return err;
	if (c->ticket >= e->n_tickets)
		return ENGINE_ERR_NO_SUCH_TICKET;
	*t = &e->tickets[c->ticket];
	return ENGINE_OK;
}

/* The window's current ticket if it is in one of the two states given. */
static struct engine_ticket *current_ticket(struct engine *e, int w, int state_a, int state_b)
{
	uint32_t id = e->windows[w].current;

	if (id == ENGINE_NO_TICKET)
		return NULL;
	struct engine_ticket *t = &e->tickets[id];
	return t->state == state_a || t->state == state_b ? t : NULL;
}

static void call_ticket(struct engine *e, int w, struct engine_ticket *t, int64_t now,
			struct engine_result *r)
{
	engine_queue_remove(e, t);
	t->state = ENGINE_TICKET_CALLED;
	t->window = (int16_t)w;
	t->called_s = now;
	if (t->first_called_s == 0)
		t->first_called_s = now;
	e->windows[w].current = t->id;
	set_window_state(e, w, ENGINE_WINDOW_CALLED, now);
	result_ticket(r, t->id);
	changed_window(r, w);
}

/* The window is done with its current ticket (finished, gone, held...). */
static void release_window(struct engine *e, int w, int64_t now, struct engine_result *r)
{
	e->windows[w].current = ENGINE_NO_TICKET;
	set_window_state(e, w, ENGINE_WINDOW_IDLE, now);
	changed_window(r, w);
}

/* The ticket this window has held longest, or ENGINE_NO_TICKET; O(tickets). */
static uint32_t first_held(const struct engine *e, int w)
{
	uint32_t best = ENGINE_NO_TICKET;

	if (e->windows[w].n_held == 0)
		return best;
	for (uint32_t i = 0; i < e->n_tickets; i++) {
		const struct engine_ticket *t = &e->tickets[i];
		if (t->state == ENGINE_TICKET_HELD && t->window == w &&
		    (best == ENGINE_NO_TICKET || t->held_s < e->tickets[best].held_s))
			best = i;
	}
	return best;
}

int engine_issue_check(const struct engine *e, int s, const struct engine_clock *clock)
{
	if (s < 0 || s >= e->hall.n_services)
		return ENGINE_ERR_NO_SUCH_SERVICE;
	if (e->closed)
		return ENGINE_ERR_DAY_CLOSED;
	const struct engine_service *svc = &e->hall.services[s];
	if (clock->wday < 0 || clock->wday > 6 || !(e->hall.hours.workdays & (1u << clock->wday)))
		return ENGINE_ERR_CLOSED_TODAY;
	bool open = svc->n_hours > 0 ? in_periods(svc->hours, svc->n_hours, clock->minute)
				     : in_periods(e->hall.hours.sessions, e->hall.hours.n_sessions,
						  clock->minute);
	if (!open)
		return ENGINE_ERR_OUTSIDE_HOURS;
	if (e->issued[s] >= ENGINE_MAX_QUOTA ||
	    (svc->daily_quota > 0 && e->issued[s] >= svc->daily_quota))
		return ENGINE_ERR_QUOTA_REACHED;
	return ENGINE_OK;
}

int engine_estimate(const struct engine *e, int service, int cls, int *ahead)
{
	int n = people_ahead(e, service, cls);

	if (ahead)
		*ahead = n;
	return estimate_wait_min(e, service, n);
}

int engine_ticket_position(const struct engine *e, uint32_t id, int *ahead)
{
	const struct engine_ticket *t = engine_ticket(e, id);
	int n = 0, pending_before = 0;

	if (ahead)
		*ahead = 0;
	if (!t || t->state != ENGINE_TICKET_WAITING || t->list < 0)
		return -1;
	const struct engine_queue *q = &e->queues[service_queue(t->service, 0)];
	int pending = e->pending[t->service].count;
	if (t->pending >= 0) {
		/* an appointment not yet due: after those due, by slot */
		n = q[ENGINE_CLASS_APPOINTMENT].count;
		for (uint32_t at = t->link[ENGINE_LINK_PENDING].prev; at != ENGINE_NO_TICKET;
		     at = e->tickets[at].link[ENGINE_LINK_PENDING].prev)
			n++;
	} else {
		for (uint32_t at = t->link[ENGINE_LINK_QUEUE].prev; at != ENGINE_NO_TICKET;
		     at = e->tickets[at].link[ENGINE_LINK_QUEUE].prev) {
			n++;
			pending_before += e->tickets[at].pending >= 0;
		}
		/* the classes served first, counted as people_ahead() counts them:
		 * appointments not yet due wait in the normal queue, and count as
		 * ahead of every green and normal ticket */
		if (t->list < e->n_service_queues) {
			switch (t->list % ENGINE_CLASS_COUNT) {
			case ENGINE_CLASS_GREEN:
				n += q[ENGINE_CLASS_APPOINTMENT].count + pending;
				break;
			case ENGINE_CLASS_NORMAL:
				n += q[ENGINE_CLASS_APPOINTMENT].count +
				     q[ENGINE_CLASS_GREEN].count + pending - pending_before;
				break;
			default:
				break;
			}
		}
	}
	if (ahead)
		*ahead = n;
	return estimate_wait_min(e, t->service, n);
}

uint32_t engine_first_held(const struct engine *e, int window)
{
	return window >= 0 && window < e->hall.n_windows ? first_held(e, window) : ENGINE_NO_TICKET;
}

/* ---- operations: each checks everything before it changes anything ---- */

static int op_issue(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	int s = c->service;

	if (s < 0 || s >= e->hall.n_services)
		return ENGINE_ERR_NO_SUCH_SERVICE;
	const struct engine_service *svc = &e->hall.services[s];
	if (c->cls < 0 || c->cls >= ENGINE_CLASS_COUNT ||
	    (c->cls == ENGINE_CLASS_APPOINTMENT ? c->slot_s <= 0 : c->slot_s != 0))
		return ENGINE_ERR_BAD_ARGUMENT;
	if (c->replay) {
		if (e->issued[s] >= ENGINE_MAX_QUOTA)
			return ENGINE_ERR_QUOTA_REACHED;
	} else {
		int err = engine_issue_check(e, s, &c->clock);
		if (err)
			return err;
	}

	struct engine_ticket *t = &e->tickets[e->n_tickets];
	*t = (struct engine_ticket){
	    .id = e->n_tickets,
	    .number = (int16_t)(e->issued[s] + 1),
	    .issued_service = (int16_t)s,
	    .service = (int16_t)s,
	    .cls = (uint8_t)c->cls,
	    .state = ENGINE_TICKET_WAITING,
	    .window = -1,
	    .target_window = -1,
	    .slot_s = c->slot_s,
	    .issued_s = c->clock.now_s,
	    .link = {{ENGINE_NO_TICKET, ENGINE_NO_TICKET}, {ENGINE_NO_TICKET, ENGINE_NO_TICKET}},
	    .list = -1,
	    .pending = -1,
	};
	r->people_ahead = people_ahead(e, s, c->cls);
	r->estimated_wait_min = estimate_wait_min(e, s, r->people_ahead);
	e->n_tickets++;
	e->issued[s]++;
	memcpy(t->prefix, svc->prefix, sizeof(t->prefix));
	e->by_number[s * (ENGINE_MAX_QUOTA + 1) + t->number] = t->id;
	/* The newest ticket goes last; a due appointment among the due ones
	 * by its issue time, which is also last. */
	int32_t list = home_queue(e, t, c->clock.now_s);
	queue_insert_after(e, list, queue_of(e, list)->tail, t);
	note_pending(e, list, t);
	result_ticket(r, t->id);
	return ENGINE_OK;
}

static int op_login(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_window_status *ws = &e->windows[c->window];

	if (!c->staff[0] || !memchr(c->staff, '\0', sizeof(c->staff)))
		return ENGINE_ERR_BAD_ARGUMENT;
	if (ws->state != ENGINE_WINDOW_LOGGED_OUT)
		return ENGINE_ERR_WINDOW_LOGGED_IN;
	memcpy(ws->staff, c->staff, sizeof(ws->staff));
	set_window_state(e, c->window, ENGINE_WINDOW_IDLE, c->clock.now_s);
	window_services_open(e, c->window, +1);
	changed_window(r, c->window);
	return ENGINE_OK;
}

static int op_logout(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_window_status *ws = &e->windows[c->window];

	if (ws->state == ENGINE_WINDOW_LOGGED_OUT)
		return ENGINE_ERR_WINDOW_NOT_LOGGED_IN;
	if (ws->current != ENGINE_NO_TICKET)
		return ENGINE_ERR_WINDOW_BUSY;
	if (ws->n_held > 0)
		return ENGINE_ERR_WINDOW_HOLDS_TICKETS;
	window_services_open(e, c->window, -1);
	set_window_state(e, c->window, ENGINE_WINDOW_LOGGED_OUT, c->clock.now_s);
	ws->pause_reason = -1;
	changed_window(r, c->window);
	return ENGINE_OK;
}

static int op_pause(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_window_status *ws = &e->windows[c->window];

	if (ws->state == ENGINE_WINDOW_LOGGED_OUT)
		return ENGINE_ERR_WINDOW_NOT_LOGGED_IN;
	if (ws->state == ENGINE_WINDOW_PAUSED)
		return ENGINE_ERR_WINDOW_PAUSED;
	if (ws->current != ENGINE_NO_TICKET)
		return ENGINE_ERR_WINDOW_BUSY;
	if (c->reason < 0)
		return ENGINE_ERR_PAUSE_REASON_REQUIRED;
	if (c->reason >= e->hall.queue.n_pause_reasons)
		return ENGINE_ERR_UNKNOWN_PAUSE_REASON;
	ws->pause_reason = (int8_t)c->reason;
	set_window_state(e, c->window, ENGINE_WINDOW_PAUSED, c->clock.now_s);
	changed_window(r, c->window);
	return ENGINE_OK;
}

static int op_resume(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_window_status *ws = &e->windows[c->window];

	if (ws->state != ENGINE_WINDOW_PAUSED)
		return ws->state == ENGINE_WINDOW_LOGGED_OUT ? ENGINE_ERR_WINDOW_NOT_LOGGED_IN
							     : ENGINE_ERR_WINDOW_NOT_PAUSED;
	ws->pause_reason = -1;
	set_window_state(e, c->window, ENGINE_WINDOW_IDLE, c->clock.now_s);
	changed_window(r, c->window);
	return ENGINE_OK;
}

static int op_call_next(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	int err = window_free(e, c->window);

	if (err)
		return err;
	uint32_t id = engine_choose(e, c->window, c->clock.now_s);
	if (id == ENGINE_NO_TICKET)
		return ENGINE_ERR_NO_TICKET_WAITING;
	call_ticket(e, c->window, &e->tickets[id], c->clock.now_s, r);
	return ENGINE_OK;
}

static int op_call_ticket(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_ticket *t;
	int err = free_window_and_ticket(e, c, &t);

	if (err)
		return err;
	if (t->state != ENGINE_TICKET_WAITING)
		return ENGINE_ERR_NOT_WAITING;
	if (t->target_window >= 0 ? t->target_window != c->window
				  : !window_serves(e, c->window, t->service))
		return ENGINE_ERR_NOT_SERVED_HERE;
	t->called_specifically = 1;
	call_ticket(e, c->window, t, c->clock.now_s, r);
	return ENGINE_OK;
}

static int op_recall(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_ticket *t = current_ticket(e, c->window, ENGINE_TICKET_CALLED, -1);

	if (!t)
		return ENGINE_ERR_NOT_CALLED;
	t->recalls++;
	t->called_s = c->clock.now_s;
	result_ticket(r, t->id);
	return ENGINE_OK;
}

static int op_no_show(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_ticket *t = current_ticket(e, c->window, ENGINE_TICKET_CALLED, -1);

	if (!t)
		return ENGINE_ERR_NOT_CALLED;
	t->no_shows++;
	t->window = -1;
	if (t->no_shows <= e->hall.queue.no_show_requeue_max) {
		t->state = ENGINE_TICKET_WAITING;
		int32_t list = home_queue(e, t, c->clock.now_s);
		queue_insert_at(e, list, e->hall.queue.no_show_requeue_places, t);
		t->displaced = 1;
		note_pending(e, list, t);
		r->requeued = 1;
	} else {
		t->state = ENGINE_TICKET_NO_SHOW;
		t->finished_s = c->clock.now_s;
	}
	result_ticket(r, t->id);
	release_window(e, c->window, c->clock.now_s, r);
	return ENGINE_OK;
}

static int op_start(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_ticket *t = current_ticket(e, c->window, ENGINE_TICKET_CALLED, -1);

	if (!t)
		return ENGINE_ERR_NOT_CALLED;
	t->state = ENGINE_TICKET_SERVING;
	t->started_s = c->clock.now_s;
	set_window_state(e, c->window, ENGINE_WINDOW_SERVING, c->clock.now_s);
	result_ticket(r, t->id);
	changed_window(r, c->window);
	return ENGINE_OK;
}

static int op_hold(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_ticket *t = current_ticket(e, c->window, ENGINE_TICKET_SERVING, -1);

	if (!t)
		return ENGINE_ERR_NOT_SERVING;
	t->state = ENGINE_TICKET_HELD;
	t->held_s = c->clock.now_s;
	e->windows[c->window].n_held++;
	result_ticket(r, t->id);
	release_window(e, c->window, c->clock.now_s, r);
	return ENGINE_OK;
}

static int op_call_back(struct engine *e, const struct engine_command *c0, struct engine_result *r)
{
	struct engine_command cc = *c0;
	const struct engine_command *c = &cc;
	struct engine_ticket *t;

	if (cc.ticket == ENGINE_NO_TICKET) { /* a keypad's 回呼: the longest held */
		cc.ticket = first_held(e, cc.window);
		if (cc.ticket == ENGINE_NO_TICKET && window_free(e, cc.window) == ENGINE_OK)
			return ENGINE_ERR_NOT_HELD_HERE;
	}
	int err = free_window_and_ticket(e, c, &t);

	if (err)
		return err;
	if (t->state != ENGINE_TICKET_HELD || t->window != c->window)
		return ENGINE_ERR_NOT_HELD_HERE;
	t->state = ENGINE_TICKET_SERVING;
	t->hold_total_s += c->clock.now_s - t->held_s;
	t->held_s = 0;
	t->called_s = c->clock.now_s;
	e->windows[c->window].n_held--;
	e->windows[c->window].current = t->id;
	set_window_state(e, c->window, ENGINE_WINDOW_SERVING, c->clock.now_s);
	result_ticket(r, t->id);
	changed_window(r, c->window);
	return ENGINE_OK;
}

static int op_finish(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_ticket *t =
	    current_ticket(e, c->window, ENGINE_TICKET_SERVING, ENGINE_TICKET_CALLED);

	if (!t)
		return ENGINE_ERR_NOT_CALLED;
	if (t->state == ENGINE_TICKET_CALLED) /* "start" was not pressed */
		t->started_s = t->called_s;
	t->state = ENGINE_TICKET_FINISHED;
	t->finished_s = c->clock.now_s;
	engine_seed_handling(e, t->service, engine_handling_s(t));
	result_ticket(r, t->id);
	release_window(e, c->window, c->clock.now_s, r);
	return ENGINE_OK;
}

static int op_transfer(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	struct engine_ticket *t =
	    current_ticket(e, c->window, ENGINE_TICKET_SERVING, ENGINE_TICKET_CALLED);
	int to_service = c->service, to_window = c->target_window;

	if (!t)
		return ENGINE_ERR_NOT_CALLED;
	if ((to_service >= 0) == (to_window >= 0))
		return ENGINE_ERR_BAD_ARGUMENT; /* exactly one destination */
	if (to_service >= e->hall.n_services)
		return ENGINE_ERR_NO_SUCH_SERVICE;
	if (to_window >= e->hall.n_windows)
		return ENGINE_ERR_NO_SUCH_WINDOW;
	if (to_window == c->window || to_service == t->service)
		return ENGINE_ERR_SAME_PLACE;
	if (to_service >= 0) {
		t->service = (int16_t)to_service;
		t->target_window = -1;
	} else {
		t->target_window = (int16_t)to_window;
	}
	t->transfers++;
	t->displaced = 0; /* placed by its issue time from now on */
	t->state = ENGINE_TICKET_WAITING;
	t->window = -1;
	t->started_s = 0;
	t->hold_total_s = 0;
	/* The citizen keeps the original issue time: placed by it. */
	int32_t list = home_queue(e, t, c->clock.now_s);
	if (to_window >= 0)
		queue_insert_after(e, list, queue_of(e, list)->tail, t);
	else
		queue_insert_by_issue(e, list, t);
	note_pending(e, list, t);
	result_ticket(r, t->id);
	release_window(e, c->window, c->clock.now_s, r);
	return ENGINE_OK;
}

static int op_cancel(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	if (c->ticket >= e->n_tickets)
		return ENGINE_ERR_NO_SUCH_TICKET;
	struct engine_ticket *t = &e->tickets[c->ticket];
	if (t->state == ENGINE_TICKET_WAITING) {
		engine_queue_remove(e, t);
	} else if (t->state == ENGINE_TICKET_HELD) {
		e->windows[t->window].n_held--;
		changed_window(r, t->window);
		t->window = -1;
	} else {
		return ENGINE_ERR_NOT_WAITING;
	}
	t->state = ENGINE_TICKET_CANCELLED;
	t->finished_s = c->clock.now_s;
	result_ticket(r, t->id);
	return ENGINE_OK;
}

static int op_rate(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	if (c->ticket >= e->n_tickets)
		return ENGINE_ERR_NO_SUCH_TICKET;
	struct engine_ticket *t = &e->tickets[c->ticket];
	if (c->rating < ENGINE_RATING_VERY_SATISFIED || c->rating > ENGINE_RATING_VERY_DISSATISFIED)
		return ENGINE_ERR_BAD_ARGUMENT;
	if (t->state != ENGINE_TICKET_FINISHED)
		return ENGINE_ERR_NOT_FINISHED;
	if (t->rating != ENGINE_RATING_NONE)
		return ENGINE_ERR_ALREADY_RATED;
	t->rating = (uint8_t)c->rating;
	result_ticket(r, t->id);
	return ENGINE_OK;
}

/* Everything not final expires; every window is logged out. */
static int op_close_day(struct engine *e, const struct engine_command *c, struct engine_result *r)
{
	for (uint32_t i = 0; i < e->n_tickets; i++) {
		struct engine_ticket *t = &e->tickets[i];
		if (t->state >= ENGINE_TICKET_FINISHED)
			continue;
		if (t->list >= 0)
			engine_queue_remove(e, t);
		t->state = ENGINE_TICKET_EXPIRED;
		t->finished_s = c->clock.now_s;
		t->window = -1;
	}
	for (int w = 0; w < e->hall.n_windows; w++) {
		struct engine_window_status *ws = &e->windows[w];
		ws->current = ENGINE_NO_TICKET;
		ws->n_held = 0;
		ws->pause_reason = -1;
		if (ws->state != ENGINE_WINDOW_LOGGED_OUT)
			set_window_state(e, w, ENGINE_WINDOW_LOGGED_OUT, c->clock.now_s);
	}
	memset(e->open_windows, 0, sizeof(e->open_windows));
	e->closed = true;
	r->all_changed = true;
	return ENGINE_OK;
}

typedef int (*op_fn)(struct engine *, const struct engine_command *, struct engine_result *);

static const struct {
	op_fn fn;
	bool needs_window;
} ops[ENGINE_OP_COUNT] = {
    [ENGINE_OP_ISSUE] = {op_issue, false},
    [ENGINE_OP_LOGIN] = {op_login, true},
    [ENGINE_OP_LOGOUT] = {op_logout, true},
    [ENGINE_OP_PAUSE] = {op_pause, true},
    [ENGINE_OP_RESUME] = {op_resume, true},
    [ENGINE_OP_CALL_NEXT] = {op_call_next, true},
    [ENGINE_OP_CALL_TICKET] = {op_call_ticket, true},
    [ENGINE_OP_RECALL] = {op_recall, true},
    [ENGINE_OP_NO_SHOW] = {op_no_show, true},
    [ENGINE_OP_START] = {op_start, true},
    [ENGINE_OP_HOLD] = {op_hold, true},
    [ENGINE_OP_CALL_BACK] = {op_call_back, true},
    [ENGINE_OP_FINISH] = {op_finish, true},
    [ENGINE_OP_TRANSFER] = {op_transfer, true},
    [ENGINE_OP_CANCEL] = {op_cancel, false},
    [ENGINE_OP_RATE] = {op_rate, false},
    [ENGINE_OP_CLOSE_DAY] = {op_close_day, false},
};

int engine_apply(struct engine *e, const struct engine_command *cmd, struct engine_result *res)
{
	*res = (struct engine_result){.ticket = ENGINE_NO_TICKET, .window = -1};
	if (cmd->op <= 0 || cmd->op >= ENGINE_OP_COUNT)
		return ENGINE_ERR_BAD_COMMAND;
	if (cmd->op != ENGINE_OP_CLOSE_DAY && cmd->clock.day != e->day)
		return ENGINE_ERR_BAD_COMMAND; /* the core opens each day first */
	if (e->closed)
		return ENGINE_ERR_DAY_CLOSED;
	if (ops[cmd->op].needs_window) {
		if (cmd->window < 0 || cmd->window >= e->hall.n_windows)
			return ENGINE_ERR_NO_SUCH_WINDOW;
		res->window = cmd->window;
	}
	return ops[cmd->op].fn(e, cmd, res);
}
